/* The scanf family on cases read from standard input, one per line:
 * KIND <tab> FORMAT <tab> INPUT.  Each case runs through sscanf and through
 * fscanf on a file holding INPUT (the FILE path, with its pushback), and
 * prints "s: RESULT" and "f: RESULT", RESULT being the return value and the
 * stored values.  KIND says what the format stores:
 *   ii  int, int           is  int, string        ss  string, string
 *   uu  unsigned, unsigned ll  long long, string  hh  signed char, short
 *   ff  float, string      dd  double, string     LL  long double, string
 *   in  int, int (%n), int cc  3 chars (%3c)      pp  void *
 * Floating values print with %a, so they compare exactly. */
#include <stdio.h>
#include <string.h>

static FILE *tmp;

static int
run(int use_file, const char *kind, const char *fmt, const char *in, char *out, size_t outsz)
{
	int a = -99, b = -99, n = -99, r = -99;
	unsigned ua = 99, ub = 99;
	long long ll = -99;
	signed char hh = -9;
	short h = -9;
	float f = -9.5f;
	double d = -9.5;
	long double ld = -9.5L;
	void *p = (void *)1;
	char s1[256] = "-", s2[256] = "-", c3[4] = "---";

#define SCAN(...) (use_file ? fscanf(tmp, fmt, __VA_ARGS__) : sscanf(in, fmt, __VA_ARGS__))
	if (use_file) {
		tmp = freopen("/tmp/scanf_t.in", "w+", tmp ? tmp : fopen("/tmp/scanf_t.in", "w+"));
		if (tmp == NULL)
			return -1;
		fputs(in, tmp);
		rewind(tmp);
	}
	if (!strcmp(kind, "ii")) {
		r = SCAN(&a, &b);
		snprintf(out, outsz, "%d %d %d", r, a, b);
	} else if (!strcmp(kind, "is")) {
		r = SCAN(&a, s1);
		snprintf(out, outsz, "%d %d [%s]", r, a, s1);
	} else if (!strcmp(kind, "ss")) {
		r = SCAN(s1, s2);
		snprintf(out, outsz, "%d [%s] [%s]", r, s1, s2);
	} else if (!strcmp(kind, "uu")) {
		r = SCAN(&ua, &ub);
		snprintf(out, outsz, "%d %u %u", r, ua, ub);
	} else if (!strcmp(kind, "ll")) {
		r = SCAN(&ll, s1);
		snprintf(out, outsz, "%d %lld [%s]", r, ll, s1);
	} else if (!strcmp(kind, "hh")) {
		r = SCAN(&hh, &h);
		snprintf(out, outsz, "%d %d %d", r, hh, h);
	} else if (!strcmp(kind, "ff")) {
		r = SCAN(&f, s1);
		snprintf(out, outsz, "%d %a [%s]", r, (double)f, s1);
	} else if (!strcmp(kind, "dd")) {
		r = SCAN(&d, s1);
		snprintf(out, outsz, "%d %a [%s]", r, d, s1);
	} else if (!strcmp(kind, "LL")) {
		r = SCAN(&ld, s1);
		snprintf(out, outsz, "%d %a [%s]", r, (double)ld, s1);
	} else if (!strcmp(kind, "in")) {
		r = SCAN(&a, &n, &b);
		snprintf(out, outsz, "%d %d %d %d", r, a, n, b);
	} else if (!strcmp(kind, "cc")) {
		r = SCAN(c3);
		snprintf(out, outsz, "%d [%.3s]", r, c3);
	} else if (!strcmp(kind, "pp")) {
		r = SCAN(&p);
		snprintf(out, outsz, "%d %lx", r, (unsigned long)p);
	} else {
		snprintf(out, outsz, "bad kind %s", kind);
	}
	return 0;
#undef SCAN
}

int
main(void)
{
	static char line[4096], out[600];

	while (fgets(line, sizeof(line), stdin)) {
		char *kind = line, *fmt, *in, *nl;

		if ((nl = strchr(line, '\n')) != NULL)
			*nl = '\0';
		if ((fmt = strchr(kind, '\t')) == NULL || (in = strchr(fmt + 1, '\t')) == NULL) {
			printf("bad line\n");
			continue;
		}
		*fmt++ = '\0';
		*in++ = '\0';
		run(0, kind, fmt, in, out, sizeof(out));
		printf("s: %s\n", out);
		run(1, kind, fmt, in, out, sizeof(out));
		printf("f: %s\n", out);
	}
	return 0;
}
