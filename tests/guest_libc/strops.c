/*
 * strops: string.h, strings.h, libgen.h, ctype.h and fnmatch(3) cases read
 * from stdin, one per line, fields separated by tabs: OP <tab> ARG...
 * Output: one line per case (see each OP below); numbers in decimal, signs
 * of comparisons as -1/0/1, pointers as offsets into the first argument (-1
 * for NULL).  "ctype" prints one line per byte value 0..255.
 */
#include <ctype.h>
#include <fnmatch.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int sign(int v) { return v < 0 ? -1 : v > 0; }

static long off(const char *base, const char *p) { return p ? (long)(p - base) : -1L; }

/* bytes of buf[0..n) as hex, a canary after them checked */
static void hex(const unsigned char *b, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		printf("%02x", b[i]);
}

int main(void)
{
	static char line[8192];
	while (fgets(line, sizeof(line), stdin) != NULL) {
		char *f[5] = { "", "", "", "", "" }, *p = line, *op;
		int n = 0;
		line[strcspn(line, "\n")] = '\0';
		while (n < 5) {
			f[n++] = p;
			if ((p = strchr(p, '\t')) == NULL)
				break;
			*p++ = '\0';
		}
		op = f[0];
		if (!strcmp(op, "strlcpy") || !strcmp(op, "strlcat")) {
			/* strlcpy SIZE SRC [DST-INITIAL]: "<ret> <dst> <canary>" */
			char buf[80];
			size_t sz = (size_t)atoi(f[1]), r;
			memset(buf, '#', sizeof(buf));
			strcpy(buf, f[3]);
			r = op[5] == 'p' ? strlcpy(buf, f[2], sz) : strlcat(buf, f[2], sz);
			printf("%zu %s %s\n", r, buf, buf[sz] == '#' || sz <= strlen(f[3]) ? "ok" : "OVER");
		} else if (!strcmp(op, "strncpy")) {
			char buf[40];
			size_t sz = (size_t)atoi(f[1]);
			memset(buf, '#', sizeof(buf));
			strncpy(buf, f[2], sz);
			hex((unsigned char *)buf, sz + 1);
			printf("\n");
		} else if (!strcmp(op, "memmove")) {
			/* memmove DST-OFF SRC-OFF LEN over "0123456789abcdefghij" */
			char buf[] = "0123456789abcdefghij";
			memmove(buf + atoi(f[1]), buf + atoi(f[2]), (size_t)atoi(f[3]));
			printf("%s\n", buf);
		} else if (!strcmp(op, "strstr")) {
			printf("%ld\n", off(f[1], strstr(f[1], f[2])));
		} else if (!strcmp(op, "strchr")) {
			printf("%ld %ld %ld\n", off(f[1], strchr(f[1], f[2][0])),
			    off(f[1], strrchr(f[1], f[2][0])),
			    off(f[1], memchr(f[1], f[2][0], strlen(f[1]))));
		} else if (!strcmp(op, "span")) {
			printf("%zu %zu %ld\n", strspn(f[1], f[2]), strcspn(f[1], f[2]),
			    off(f[1], strpbrk(f[1], f[2])));
		} else if (!strcmp(op, "cmp")) {
			size_t k = (size_t)atoi(f[3]);
			size_t m = strlen(f[1]) < strlen(f[2]) ? strlen(f[1]) : strlen(f[2]);
			printf("%d %d %d %d %d\n", sign(strcmp(f[1], f[2])),
			    sign(strncmp(f[1], f[2], k)), sign(strcasecmp(f[1], f[2])),
			    sign(strncasecmp(f[1], f[2], k)), sign(memcmp(f[1], f[2], m + 1)));
		} else if (!strcmp(op, "strtok")) {
			char *s = strdup(f[1]), *t, *save;
			for (t = strtok_r(s, f[2], &save); t; t = strtok_r(NULL, f[2], &save))
				printf("[%s]", t);
			printf("\n");
			free(s);
		} else if (!strcmp(op, "strsep")) {
			char *s = strdup(f[1]), *q = s, *t;
			while ((t = strsep(&q, f[2])) != NULL)
				printf("[%s]", t);
			printf("\n");
			free(s);
		} else if (!strcmp(op, "libgen")) {
			char *a = strdup(f[1]), *b = strdup(f[1]);
			printf("%s %s\n", basename(a), dirname(b));
			free(a);
			free(b);
		} else if (!strcmp(op, "fnmatch")) {
			printf("%d\n", fnmatch(f[2], f[3], atoi(f[1])));
		} else if (!strcmp(op, "ctype")) {
			int c;
			for (c = -1; c < 256; c++)
				printf("%d %d%d%d%d%d%d%d%d%d%d%d%d %d %d\n", c,
				    !!isalnum(c), !!isalpha(c), !!isblank(c), !!iscntrl(c),
				    !!isdigit(c), !!isgraph(c), !!islower(c), !!isprint(c),
				    !!ispunct(c), !!isspace(c), !!isupper(c), !!isxdigit(c),
				    toupper(c), tolower(c));
		} else if (!strcmp(op, "env")) {
			/* env NAME VALUE: setenv, getenv, overwrite 0, unsetenv */
			const char *g;
			setenv(f[1], f[2], 1);
			g = getenv(f[1]);
			printf("%s", g ? g : "(null)");
			setenv(f[1], "other", 0);
			g = getenv(f[1]);
			printf(" %s", g ? g : "(null)");
			unsetenv(f[1]);
			g = getenv(f[1]);
			printf(" %s %s\n", g ? g : "(null)", getenv("HOME"));
		} else
			printf("bad op %s\n", op);
	}
	return 0;
}
