/*
 * mem: malloc/realloc/calloc/free stress with a fixed pseudo-random sequence.
 * Every block is filled with a pattern derived from its slot and checked before
 * it is resized or freed; realloc must keep the old contents.  Then the failure
 * cases: requests that cannot be met return NULL with errno ENOMEM.
 * Output: "stress ok <ops>" or "stress FAIL ...", then one line per failure case.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 256

static uint32_t seed = 12345;
static uint32_t rnd(void)
{
	seed = seed * 1103515245u + 12345u;
	return seed >> 8;
}

static unsigned char *blk[SLOTS];
static size_t len[SLOTS];
static unsigned char tag[SLOTS];

static void fill(int i, size_t from)
{
	size_t k;
	for (k = from; k < len[i]; k++)
		blk[i][k] = (unsigned char)(tag[i] + k * 7);
}

static int check(int i, size_t upto)
{
	size_t k;
	for (k = 0; k < upto && k < len[i]; k++)
		if (blk[i][k] != (unsigned char)(tag[i] + k * 7))
			return 0;
	return 1;
}

int main(int argc, char **argv)
{
	int ops = argc > 1 ? atoi(argv[1]) : 20000, n;
	for (n = 0; n < ops; n++) {
		int i = (int)(rnd() % SLOTS);
		uint32_t r = rnd();
		size_t sz = (r & 3) == 0 ? rnd() % 70000 : rnd() % 300;
		if (blk[i] == NULL) {
			if (r & 16) {
				blk[i] = calloc(1, sz + 1);
				if (blk[i] == NULL) { printf("stress FAIL calloc %zu\n", sz); return 1; }
				for (size_t k = 0; k <= sz; k++)
					if (blk[i][k] != 0) { printf("stress FAIL calloc not zero\n"); return 1; }
			} else {
				blk[i] = malloc(sz + 1);
				if (blk[i] == NULL) { printf("stress FAIL malloc %zu\n", sz); return 1; }
			}
			if (((uintptr_t)blk[i] & 7) != 0) { printf("stress FAIL alignment\n"); return 1; }
			len[i] = sz + 1;
			tag[i] = (unsigned char)r;
			fill(i, 0);
		} else if (r & 32) {
			if (!check(i, len[i])) { printf("stress FAIL corrupt before free %d\n", n); return 1; }
			free(blk[i]);
			blk[i] = NULL;
		} else {
			unsigned char *p;
			size_t old = len[i];
			if (!check(i, old)) { printf("stress FAIL corrupt before realloc %d\n", n); return 1; }
			p = realloc(blk[i], sz + 1);
			if (p == NULL) { printf("stress FAIL realloc %zu\n", sz); return 1; }
			blk[i] = p;
			len[i] = sz + 1;
			if (!check(i, old < len[i] ? old : len[i])) { printf("stress FAIL realloc lost data %d\n", n); return 1; }
			fill(i, 0);
		}
	}
	for (n = 0; n < SLOTS; n++) {
		if (blk[n] && !check(n, len[n])) { printf("stress FAIL final\n"); return 1; }
		free(blk[n]);
	}
	printf("stress ok %d\n", ops);

	errno = 0;
	void *p = malloc((size_t)-1 / 2);
	printf("malloc huge %s %d\n", p ? "ptr" : "NULL", errno);
	errno = 0;
	p = calloc((size_t)-1 / 2, 4);             /* the product overflows */
	printf("calloc overflow %s %d\n", p ? "ptr" : "NULL", errno);
	p = malloc(100);
	errno = 0;
	void *q = realloc(p, (size_t)-1 - 8);
	printf("realloc huge %s %d old kept %s\n", q ? "ptr" : "NULL", errno, p ? "yes" : "no");
	free(p);
	p = realloc(NULL, 10);
	printf("realloc NULL %s\n", p ? "ptr" : "NULL");
	free(p);
	free(NULL);
	p = malloc(0);
	printf("malloc 0 %s\n", p ? "ptr" : "NULL");
	free(p);
	/* a large block, written end to end */
	p = malloc(8 << 20);
	if (p) {
		memset(p, 0x5a, 8 << 20);
		printf("big %d\n", ((unsigned char *)p)[(8 << 20) - 1]);
		free(p);
	} else
		printf("big NULL %d\n", errno);
	return 0;
}
