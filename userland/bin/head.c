/*
 * head -- display the first lines of files (kw86 userland, written from
 * head(1) of NetBSD and POSIX).
 *
 *   head [-n count | -c bytes] [file ...]      (also the old form -count)
 *
 * Default ten lines.  With several files each is preceded by
 * "==> name <==", with a blank line between files.
 */
#include <errno.h>
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(void)
{
	fprintf(stderr, "usage: head [-n lines | -c bytes] [file ...]\n");
	exit(1);
}

static long long parse_count(const char *s, const char *what)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v <= 0)
		errx(1, "illegal %s count -- %s", what, s);
	return v;
}

static int head_file(FILE *fp, const char *name, long long lines,
    long long bytes)
{
	int ch;

	if (bytes > 0) {
		while (bytes > 0 && (ch = getc(fp)) != EOF) {
			putchar(ch);
			bytes--;
		}
	} else {
		while (lines > 0 && (ch = getc(fp)) != EOF) {
			putchar(ch);
			if (ch == '\n')
				lines--;
		}
	}
	if (ferror(fp)) {
		fflush(stdout);
		warn("%s", name);
		return 1;
	}
	return 0;
}

int main(int argc, char *argv[])
{
	long long lines = 10, bytes = 0;
	int ch, i, rval = 0, first = 1;

	/* obsolete form: head -5 */
	if (argc > 1 && argv[1][0] == '-' && argv[1][1] >= '0' &&
	    argv[1][1] <= '9') {
		lines = parse_count(argv[1] + 1, "line");
		argv[1] = argv[0];
		argv++;
		argc--;
	}
	while ((ch = getopt(argc, argv, "n:c:")) != -1) {
		switch (ch) {
		case 'n':
			lines = parse_count(optarg, "line");
			bytes = 0;
			break;
		case 'c':
			bytes = parse_count(optarg, "byte");
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;

	if (argc == 0)
		return head_file(stdin, "stdin", lines, bytes);
	for (i = 0; i < argc; i++) {
		FILE *fp = strcmp(argv[i], "-") == 0 ? stdin : fopen(argv[i], "r");
		if (fp == NULL) {
			fflush(stdout);
			warn("%s", argv[i]);
			rval = 1;
			continue;
		}
		if (argc > 1) {
			printf("%s==> %s <==\n", first ? "" : "\n", argv[i]);
			first = 0;
		}
		rval |= head_file(fp, argv[i], lines, bytes);
		if (fp != stdin)
			fclose(fp);
	}
	if (fflush(stdout) == EOF || ferror(stdout)) {
		warn("stdout");
		rval = 1;
	}
	return rval;
}
