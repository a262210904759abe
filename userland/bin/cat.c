/*
 * cat -- concatenate and print files (kw86 userland, written from cat(1)
 * of NetBSD and POSIX).
 *
 *   cat [-benstuv] [file ...]        ("-" is standard input)
 *
 * -n numbers output lines ("%6d\t"), -b only the non-blank ones; -s
 * squeezes runs of blank lines into one; -v shows non-printing characters
 * as ^X, ^? and M-x; -e is -v plus '$' at each line end; -t is -v plus
 * tabs as ^I; -u is accepted (output is unbuffered in the raw path anyway).
 * Without options data is copied with read/write and a 64 KiB buffer.
 */
#include <sys/types.h>
#include <errno.h>
#include <err.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RAW_BUFSIZE (64 * 1024)

static int bflag, eflag, nflag, sflag, tflag, vflag;
static int rval;

/* State that carries over from one file to the next, as one stream. */
static int line_no;
static int at_line_start = 1;
static int blank_run;

static void cook(FILE *fp, const char *name)
{
	int ch;

	while ((ch = getc(fp)) != EOF) {
		if (at_line_start) {
			if (ch == '\n') {
				if (sflag && blank_run++)
					continue;
			} else
				blank_run = 0;
			if (nflag && (!bflag || ch != '\n'))
				printf("%6d\t", ++line_no);
		}
		at_line_start = ch == '\n';
		if (ch == '\n') {
			if (eflag)
				putchar('$');
			putchar('\n');
			continue;
		}
		if (ch == '\t') {
			if (tflag) {
				putchar('^');
				putchar('I');
			} else
				putchar('\t');
			continue;
		}
		if (vflag) {
			if (ch >= 0x80) {
				putchar('M');
				putchar('-');
				ch &= 0x7f;
			}
			if (ch < 0x20) {
				putchar('^');
				ch |= 0x40;
			} else if (ch == 0x7f) {
				putchar('^');
				ch = '?';
			}
		}
		putchar(ch);
	}
	if (ferror(fp)) {
		fflush(stdout);
		warn("%s", name);
		rval = 1;
		clearerr(fp);
	}
}

static void raw(int fd, const char *name)
{
	static char buf[RAW_BUFSIZE];
	ssize_t nr, nw, off;

	while ((nr = read(fd, buf, sizeof(buf))) > 0) {
		for (off = 0; off < nr; off += nw) {
			nw = write(STDOUT_FILENO, buf + off, (size_t)(nr - off));
			if (nw < 0)
				err(1, "stdout");
		}
	}
	if (nr < 0) {
		warn("%s", name);
		rval = 1;
	}
}

int main(int argc, char *argv[])
{
	int ch, i, cooked;

	while ((ch = getopt(argc, argv, "benstuv")) != -1) {
		switch (ch) {
		case 'b': bflag = nflag = 1; break;
		case 'e': eflag = vflag = 1; break;
		case 'n': nflag = 1; break;
		case 's': sflag = 1; break;
		case 't': tflag = vflag = 1; break;
		case 'u': break;
		case 'v': vflag = 1; break;
		default:
			fprintf(stderr, "usage: cat [-benstuv] [-] [file ...]\n");
			exit(1);
		}
	}
	argc -= optind;
	argv += optind;
	cooked = bflag || eflag || nflag || sflag || tflag || vflag;

	i = 0;
	do {
		const char *name = argc > 0 ? argv[i] : "-";
		int is_stdin = strcmp(name, "-") == 0;
		if (cooked) {
			FILE *fp = is_stdin ? stdin : fopen(name, "r");
			if (fp == NULL) {
				fflush(stdout);
				warn("%s", name);
				rval = 1;
				continue;
			}
			cook(fp, is_stdin ? "stdin" : name);
			if (!is_stdin)
				fclose(fp);
		} else {
			int fd = is_stdin ? STDIN_FILENO : open(name, O_RDONLY);
			if (fd < 0) {
				warn("%s", name);
				rval = 1;
				continue;
			}
			raw(fd, is_stdin ? "stdin" : name);
			if (!is_stdin)
				close(fd);
		}
	} while (++i < argc);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		warn("stdout");
		rval = 1;
	}
	return rval;
}
