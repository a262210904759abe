/*
 * strword: strlen and strcmp (a word at a time once aligned) against plain
 * byte loops, for every alignment of each string (0-7), lengths 0-24, a
 * difference at every position, bytes above 127 (compared as unsigned
 * char), and strings that end at the last byte of a page followed by an
 * unmapped page (the word reads must not run into it).  Prints
 * "strword N cases ok" or the first mismatch, exit 1.
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

static size_t ref_len(const char *s)
{
	size_t n = 0;
	while (s[n] != '\0')
		n++;
	return n;
}

static int ref_cmp(const char *a, const char *b)
{
	while (*a != '\0' && *a == *b) {
		a++;
		b++;
	}
	return (unsigned char)*a - (unsigned char)*b;
}

static int sign(int v) { return v < 0 ? -1 : v > 0; }

static long cases;

static int check(const char *a, const char *b)
{
	cases++;
	if (strlen(a) != ref_len(a)) {
		printf("strlen mismatch: %zu %zu at %p\n", strlen(a), ref_len(a), (void *)a);
		return 1;
	}
	if (sign(strcmp(a, b)) != sign(ref_cmp(a, b)) || sign(strcmp(b, a)) != sign(ref_cmp(b, a))) {
		printf("strcmp mismatch: \"%s\" \"%s\" %d %d\n", a, b, strcmp(a, b), ref_cmp(a, b));
		return 1;
	}
	return 0;
}

int main(void)
{
	static char bufa[64], bufb[64];
	static const unsigned char fill[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	int oa, ob, len, pos, d;
	char *page;

	for (oa = 0; oa < 8; oa++)
		for (ob = 0; ob < 8; ob++)
			for (len = 0; len <= 24; len++)
				for (pos = -1; pos <= len; pos++)
					for (d = 0; d < 3; d++) {
						char *a = bufa + oa, *b = bufb + ob;
						int i;
						memset(bufa, 'Z', sizeof(bufa));
						memset(bufb, 'Z', sizeof(bufb));
						for (i = 0; i < len; i++)
							a[i] = b[i] = (char)fill[(i * 7 + len) % 36];
						a[len] = b[len] = '\0';
						if (pos >= 0 && pos < len)	/* b differs at pos */
							b[pos] = d == 0 ? (char)(a[pos] + 1) :
							    d == 1 ? (char)0xe9 : '\0';
						else if (pos == len && d == 1) {	/* b is longer */
							b[len] = 'x';
							b[len + 1] = '\0';
						}
						if (check(a, b))
							return 1;
					}
	/* at the end of a page whose next page is not mapped */
	page = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_ANON | MAP_PRIVATE, -1, 0);
	if (page == MAP_FAILED || munmap(page + 4096, 4096) != 0) {
		printf("mmap/munmap failed\n");
		return 1;
	}
	for (len = 0; len < 12; len++) {
		char *a = page + 4096 - 1 - len, *b;
		memset(a, 'q', (size_t)len);
		a[len] = '\0';
		for (oa = 0; oa < 8; oa++) {
			b = page + 2048 + oa;
			memcpy(b, a, (size_t)len + 1);
			if (check(a, b) || check(b, a))
				return 1;
		}
	}
	printf("strword %ld cases ok\n", cases);
	return 0;
}
