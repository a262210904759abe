/*
 * wc -- word, line and byte count (kw86 userland, written from wc(1) of
 * NetBSD and POSIX).
 *
 *   wc [-c | -m] [-lwL] [file ...]
 *
 * Default -lwc.  Each count is printed right-aligned in a field of eight
 * (" %7llu"), in the order lines, words, bytes (or characters), longest
 * line; then the file name; a "total" line follows when there are several
 * files.  A word is a maximal run of non-white-space characters.
 */
#include <ctype.h>
#include <errno.h>
#include <err.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WC_BUFSIZE (64 * 1024)

#define C_SPACE 1	/* isspace(): ends a word */
#define C_NL    2	/* '\n' */
#define C_TAB   4	/* '\t' */

static int lflag, wflag, cflag, mflag, Lflag;
static unsigned char cls[256];
static int cls_ready;
static unsigned long long tlines, twords, tbytes, tlongest;

static void print_counts(unsigned long long lines, unsigned long long words,
    unsigned long long bytes, unsigned long long longest, const char *name)
{
	if (lflag)
		printf(" %7llu", lines);
	if (wflag)
		printf(" %7llu", words);
	if (cflag)
		printf(" %7llu", bytes);
	if (Lflag)
		printf(" %7llu", longest);
	if (name != NULL)
		printf(" %s", name);
	putchar('\n');
}

static int count(int fd, const char *name, const char *shown)
{
	static unsigned char buf[WC_BUFSIZE + 1];	/* + the sentinel */
	unsigned long long lines = 0, words = 0, bytes = 0, longest = 0, cur = 0;
	int inword = 0;
	ssize_t n, i;
	struct stat st;

	/*
	 * Only bytes asked for (-c) and a regular file: the size says it, from
	 * the file's current offset on, without reading the data (NetBSD's wc
	 * does the same; a 5 GB sparse file is instant).
	 */
	if (cflag && !mflag && !lflag && !wflag && !Lflag &&
	    fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		off_t off = lseek(fd, 0, SEEK_CUR);
		if (off < 0 || off > st.st_size)
			off = 0;
		bytes = (unsigned long long)(st.st_size - off);
		goto done;
	}
	/*
	 * Read a buffer and walk it, one table lookup per byte (NetBSD's wc
	 * walks its buffer the same way): cls[] says, from isspace(), whether
	 * a byte ends a word, and marks newline and tab.  The line length is
	 * tracked only when -L asks for it.
	 */
	if (!cls_ready) {
		for (i = 0; i < 256; i++)
			cls[i] = isspace((int)i) ? C_SPACE : 0;
		cls['\n'] |= C_NL;
		cls['\t'] |= C_TAB;
		cls_ready = 1;
	}
	while ((n = read(fd, buf, WC_BUFSIZE)) > 0) {
		const unsigned char *p = buf, *end = buf + n;
		bytes += (unsigned long long)n;
		if (!Lflag) {
			/*
			 * A word's bytes are skipped by a loop of its own that
			 * needs no bounds check: the space after the data
			 * (buf has a spare byte) stops it.
			 */
			buf[n] = ' ';
			while (p < end) {
				unsigned char k = cls[*p];
				if (k == 0) {
					if (!inword) {
						inword = 1;
						words++;
					}
					while (cls[*++p] == 0)
						;
					continue;
				}
				inword = 0;
				if (k & C_NL)
					lines++;
				p++;
			}
			continue;
		}
		for (; p < end; p++) {
			unsigned char k = cls[*p];
			if (k & C_NL) {
				lines++;
				if (cur > longest)
					longest = cur;
				cur = 0;
			} else if (k & C_TAB)
				cur = (cur + 8) & ~7ULL;
			else
				cur++;
			if (k)
				inword = 0;
			else if (!inword) {
				inword = 1;
				words++;
			}
		}
	}
	if (n < 0) {
		warn("%s", name);
		return 1;
	}
	if (cur > longest)
		longest = cur;
done:
	print_counts(lines, words, bytes, longest, shown);
	tlines += lines;
	twords += words;
	tbytes += bytes;
	if (longest > tlongest)
		tlongest = longest;
	return 0;
}

int main(int argc, char *argv[])
{
	int ch, i, rval = 0;

	while ((ch = getopt(argc, argv, "clmwL")) != -1) {
		switch (ch) {
		case 'c': cflag = 1; break;
		case 'm': cflag = mflag = 1; break;
		case 'l': lflag = 1; break;
		case 'w': wflag = 1; break;
		case 'L': Lflag = 1; break;
		default:
			fprintf(stderr, "usage: wc [-c | -m] [-Llw] [file ...]\n");
			exit(1);
		}
	}
	argc -= optind;
	argv += optind;
	if (!lflag && !wflag && !cflag && !Lflag)
		lflag = wflag = cflag = 1;

	if (argc == 0)
		rval |= count(STDIN_FILENO, "stdin", NULL);
	for (i = 0; i < argc; i++) {
		int fd;
		if (strcmp(argv[i], "-") == 0) {
			rval |= count(STDIN_FILENO, "stdin", argv[i]);
			continue;
		}
		if ((fd = open(argv[i], O_RDONLY)) < 0) {
			fflush(stdout);
			warn("%s", argv[i]);
			rval = 1;
			continue;
		}
		rval |= count(fd, argv[i], argv[i]);
		close(fd);
	}
	if (argc > 1)
		print_counts(tlines, twords, tbytes, tlongest, "total");
	if (fflush(stdout) == EOF || ferror(stdout)) {
		warn("stdout");
		rval = 1;
	}
	return rval;
}
