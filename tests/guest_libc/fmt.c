/*
 * fmt: printf-family cases read from stdin, one per line, fields separated by
 * tabs:  SIZE <tab> FORMAT <tab> TYPES <tab> ARG...
 *   SIZE: the snprintf buffer size (-1: print with printf to stdout directly)
 *   TYPES: one letter per argument: i int, l long, L long long, u unsigned,
 *          U unsigned long long, s string, c char (the argument's first byte),
 *          z size_t, p pointer (hex), N a null string pointer
 * Output, one line per case: "<return value>|<buffer>" (for snprintf; \n and
 * \\ escaped; "OVERRUN" appended if a byte past SIZE changed), or the printed
 * text followed by "|<return value>" for printf.  Backslash escapes
 * \t \n \\ in FORMAT and string arguments are decoded first.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXARG 4

union arg {
	int i; long l; long long L; unsigned u; unsigned long long U;
	const char *s; size_t z; void *p;
};

static char *unescape(char *s)
{
	char *r = s, *w = s;
	while (*r) {
		if (*r == '\\' && r[1]) {
			r++;
			*w++ = *r == 't' ? '\t' : *r == 'n' ? '\n' : *r;
			r++;
		} else
			*w++ = *r++;
	}
	*w = '\0';
	return s;
}

/* Call f with the arguments spread according to types (at most MAXARG). */
#define SPREAD(CALL) do { \
	switch (ntypes) { \
	case 0: ret = CALL(fmt); break; \
	case 1: ret = CALL(fmt, A(0)); break; \
	case 2: ret = CALL(fmt, A(0), A(1)); break; \
	case 3: ret = CALL(fmt, A(0), A(1), A(2)); break; \
	} } while (0)

static int run(char *buf, long size, const char *fmt, const char *types, union arg *a)
{
	int ret = -1, ntypes = (int)strlen(types);
	/* every combination of argument types used by the tests: type letters map to
	 * passing conventions: 4-byte (i l u s c z p) or 8-byte (L U) */
	char sig[MAXARG + 1];
	int k;
	for (k = 0; k < ntypes; k++)
		sig[k] = (types[k] == 'L' || types[k] == 'U') ? '8' : '4';
	sig[ntypes] = '\0';
#define W4(n) a[n].i
#define W8(n) a[n].L
#define ONE(X0) \
	if (size < 0) ret = printf(fmt, X0(0)); else ret = snprintf(buf, (size_t)size, fmt, X0(0))
#define TWO(X0, X1) \
	if (size < 0) ret = printf(fmt, X0(0), X1(1)); else ret = snprintf(buf, (size_t)size, fmt, X0(0), X1(1))
#define THREE(X0, X1, X2) \
	if (size < 0) ret = printf(fmt, X0(0), X1(1), X2(2)); else ret = snprintf(buf, (size_t)size, fmt, X0(0), X1(1), X2(2))
	if (ntypes == 0) {
		if (size < 0) ret = printf(fmt, 0); else ret = snprintf(buf, (size_t)size, fmt, 0);
	} else if (!strcmp(sig, "4")) { ONE(W4); }
	else if (!strcmp(sig, "8")) { ONE(W8); }
	else if (!strcmp(sig, "44")) { TWO(W4, W4); }
	else if (!strcmp(sig, "48")) { TWO(W4, W8); }
	else if (!strcmp(sig, "84")) { TWO(W8, W4); }
	else if (!strcmp(sig, "88")) { TWO(W8, W8); }
	else if (!strcmp(sig, "444")) { THREE(W4, W4, W4); }
	else if (!strcmp(sig, "448")) { THREE(W4, W4, W8); }
	else if (!strcmp(sig, "884")) { THREE(W8, W8, W4); }
	else if (!strcmp(sig, "484")) { THREE(W4, W8, W4); }
	else { fprintf(stderr, "fmt: unsupported types %s\n", types); exit(2); }
	return ret;
}

/* the buffer with \n and \\ escaped, so that each case stays on one line */
static void put_escaped(const char *s)
{
	for (; *s; s++) {
		if (*s == '\n')
			fputs("\\n", stdout);
		else if (*s == '\\')
			fputs("\\\\", stdout);
		else
			putchar(*s);
	}
}

int main(void)
{
	static char line[300000];
	static char out[300000];
	while (fgets(line, sizeof(line), stdin) != NULL) {
		char *f[2 + 1 + MAXARG], *p = line;
		union arg a[MAXARG];
		int n = 0, k, ret;
		long size;
		size_t len = strlen(line);
		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		while (n < 3 + MAXARG) {
			f[n++] = p;
			p = strchr(p, '\t');
			if (p == NULL)
				break;
			*p++ = '\0';
		}
		if (n < 3) {
			fprintf(stderr, "fmt: bad case\n");
			return 2;
		}
		size = strtol(f[0], NULL, 10);
		unescape(f[1]);
		memset(a, 0, sizeof(a));
		for (k = 0; f[2][k] && k < n - 3; k++) {
			char *v = f[3 + k];
			switch (f[2][k]) {
			case 'i': a[k].i = (int)strtol(v, NULL, 0); break;
			case 'l': a[k].l = strtol(v, NULL, 0); break;
			case 'u': a[k].u = (unsigned)strtoul(v, NULL, 0); break;
			case 'z': a[k].z = (size_t)strtoul(v, NULL, 0); break;
			case 'L': a[k].L = strtoll(v, NULL, 0); break;
			case 'U': a[k].U = strtoull(v, NULL, 0); break;
			case 's': a[k].s = unescape(v); break;
			case 'c': a[k].i = (unsigned char)v[0]; break;
			case 'p': a[k].p = (void *)strtoul(v, NULL, 16); break;
			case 'N': a[k].s = NULL; break;
			}
		}
		/* a canary after the buffer: snprintf must not write past size */
		memset(out, '#', 64 + (size > 0 ? size : 0));
		ret = run(out, size, f[1], f[2], a);
		if (size < 0) {
			printf("|%d\n", ret);
		} else {
			int canary = 1;
			for (k = 0; k < 64; k++)
				if (out[size + k] != '#')
					canary = 0;
			printf("%d|", ret);
			if (size == 0)
				canary = canary && out[0] == '#';
			else
				put_escaped(out);
			printf("%s\n", canary ? "" : "OVERRUN");
		}
	}
	return 0;
}
