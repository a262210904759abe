/*
 * gencat -- generate a formatted message catalogue (kw86 userland, written
 * from gencat(1) of NetBSD and POSIX; no source of any gencat was used).
 *
 *   gencat catfile msgfile ...
 *
 * Reads each message source file ("-" is standard input) and writes the
 * catalogue in NetBSD's format (<nl_types.h> under _NLS_PRIVATE), which
 * catopen(3)/catgets(3) read.  When catfile already holds a catalogue, its
 * messages are kept and those of the source files replace or delete them
 * (POSIX); catfile "-" is standard output.
 *
 * Source lines:
 *   $set n [comment]      following messages go to set n (1..NL_SETMAX);
 *                         messages before any $set go to set NL_SETD
 *   $delset n [comment]   delete set n
 *   $quote c              c quotes message texts; "$quote" alone: no quoting
 *   $ comment             (a '$' followed by a blank or the end of the line)
 *   m message text        message m (1..NL_MSGMAX) after one blank; "m" with
 *                         nothing after it deletes message m, "m " stores ""
 *   (empty line)          ignored
 * In a text: \n \t \v \b \r \f \\ \ddd (octal), \ followed by the quote
 * character, and a backslash ending the line joins the next line.  With a
 * quote character a text that starts with it ends at the next unescaped
 * one, which lets it begin or end with blanks.
 *
 * Errors (a line that is none of these, a number out of range, a text
 * longer than NL_TEXTMAX, an unterminated quote) are reported as
 * "gencat: FILE:LINE: why" and exit 1; no catalogue is written then.
 */
#define _NLS_PRIVATE
#include <nl_types.h>

#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

struct msg {
	int set, no;
	char *text;             /* NULL: deleted */
	size_t len;             /* without the NUL */
	unsigned long seq;      /* later definitions win */
};

static struct msg *msgs;
static size_t nmsgs, cap;
static unsigned long seq;
static int dead_sets[NL_SETMAX + 1];    /* seq of the last $delset, 0: none */
static unsigned long dead_seq[NL_SETMAX + 1];

static const char *fname;
static unsigned long lineno;

static void
fail(const char *why)
{
	fprintf(stderr, "gencat: %s:%lu: %s\n", fname, lineno, why);
	exit(1);
}

static void
add(int set, int no, char *text, size_t len)
{
	if (nmsgs == cap) {
		cap = cap ? cap * 2 : 64;
		msgs = reallocarray(msgs, cap, sizeof(*msgs));
		if (msgs == NULL)
			err(1, NULL);
	}
	msgs[nmsgs].set = set;
	msgs[nmsgs].no = no;
	msgs[nmsgs].text = text;
	msgs[nmsgs].len = len;
	msgs[nmsgs].seq = ++seq;
	nmsgs++;
}

static uint32_t
be32(const void *p)
{
	const unsigned char *b = p;

	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

/* The messages of an existing catalogue: they come first, so that the
 * source files override them. */
static void
load_existing(const char *path)
{
	const size_t H = sizeof(struct _nls_cat_hdr);
	unsigned char *d;
	struct stat st;
	uint32_t nsets, hoff, toff, i, j, idx, n, off, len;
	ssize_t r;
	size_t got = 0;
	int fd;

	if ((fd = open(path, O_RDONLY)) < 0) {
		if (errno == ENOENT)
			return;
		err(1, "%s", path);
	}
	if (fstat(fd, &st) < 0)
		err(1, "%s", path);
	if (st.st_size == 0) {
		close(fd);
		return;
	}
	if ((d = malloc((size_t)st.st_size)) == NULL)
		err(1, NULL);
	while (got < (size_t)st.st_size &&
	    (r = read(fd, d + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)r;
	close(fd);
	if (got < H || be32(d) != _NLS_MAGIC)
		errx(1, "%s: not a message catalogue", path);
	nsets = be32(d + 4);
	hoff = be32(d + 12);
	toff = be32(d + 16);
	if (nsets > (got - H) / 12 || hoff > got - H || toff > got - H)
		errx(1, "%s: damaged message catalogue", path);
	for (i = 0; i < nsets; i++) {
		const unsigned char *s = d + H + 12 * i;
		int set = (int)be32(s);

		idx = be32(s + 8);
		n = be32(s + 4);
		if (set < 1 || set > NL_SETMAX || idx > (got - H - hoff) / 12 ||
		    n > (got - H - hoff) / 12 - idx)
			errx(1, "%s: damaged message catalogue", path);
		for (j = idx; j < idx + n; j++) {
			const unsigned char *m = d + H + hoff + 12 * j;
			char *text;

			len = be32(m + 4);
			off = be32(m + 8);
			if (len == 0 || off > got - H - toff || len > got - H - toff - off)
				errx(1, "%s: damaged message catalogue", path);
			if ((text = malloc(len)) == NULL)
				err(1, NULL);
			memcpy(text, d + H + toff + off, len - 1);
			text[len - 1] = '\0';
			add(set, (int)be32(m), text, len - 1);
		}
	}
	free(d);
}

/* A number of at most `max` at *p; advances *p. */
static int
number(char **p, int max, const char *what)
{
	long v = 0;
	char *s = *p;

	if (!isdigit((unsigned char)*s)) {
		char why[64];

		snprintf(why, sizeof(why), "%s number expected", what);
		fail(why);
	}
	while (isdigit((unsigned char)*s)) {
		v = v * 10 + (*s++ - '0');
		if (v > max) {
			char why[64];

			snprintf(why, sizeof(why), "%s number out of range (1..%d)", what, max);
			fail(why);
		}
	}
	if (v < 1) {
		char why[64];

		snprintf(why, sizeof(why), "%s number out of range (1..%d)", what, max);
		fail(why);
	}
	*p = s;
	return (int)v;
}

static int
is_directive(const char *s, const char *word)
{
	size_t n = strlen(word);

	return strncmp(s, word, n) == 0 && (s[n] == '\0' || s[n] == ' ' || s[n] == '\t');
}

/* One logical line (continuations already joined where outside a text). */
static char *
read_line(FILE *f, size_t *lenp)
{
	static char *buf;
	static size_t bufcap;
	ssize_t n = getline(&buf, &bufcap, f);

	if (n < 0) {
		if (ferror(f))
			err(1, "%s", fname);
		return NULL;
	}
	lineno++;
	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	*lenp = (size_t)n;
	return buf;
}

static void
parse(FILE *f)
{
	int set = NL_SETD, quote = -1;
	size_t len;
	char *line;

	lineno = 0;
	while ((line = read_line(f, &len)) != NULL) {
		char *p = line;

		if (*p == '\0')
			continue;
		if (*p == '$') {
			p++;
			if (*p == '\0' || *p == ' ' || *p == '\t')
				continue;                       /* comment */
			if (is_directive(p, "set")) {
				p += 3;
				while (*p == ' ' || *p == '\t')
					p++;
				set = number(&p, NL_SETMAX, "set");
			} else if (is_directive(p, "delset")) {
				int s;

				p += 6;
				while (*p == ' ' || *p == '\t')
					p++;
				s = number(&p, NL_SETMAX, "set");
				dead_sets[s] = 1;
				dead_seq[s] = ++seq;
			} else if (is_directive(p, "quote")) {
				p += 5;
				while (*p == ' ' || *p == '\t')
					p++;
				quote = *p ? (unsigned char)*p : -1;
			} else {
				fail("unknown directive");
			}
			continue;
		}
		if (!isdigit((unsigned char)*p))
			fail("a message number, a $ directive or an empty line expected");
		{
			int no = number(&p, NL_MSGMAX, "message");
			char *text, *out;
			size_t tcap, tlen = 0;
			int quoted = 0, closed = 0;

			if (*p == '\0') {               /* "m" alone: delete it */
				add(set, no, NULL, 0);
				continue;
			}
			if (*p != ' ' && *p != '\t')
				fail("a blank expected after the message number");
			p++;
			tcap = strlen(p) + 1;
			if ((text = malloc(tcap)) == NULL)
				err(1, NULL);
			out = text;
			if (quote >= 0 && (unsigned char)*p == quote) {
				quoted = 1;
				p++;
			}
			for (;;) {
				if (*p == '\0')
					break;
				if (quoted && (unsigned char)*p == quote) {
					closed = 1;
					p++;
					break;
				}
				if (*p != '\\') {
					*out++ = *p++;
					tlen++;
				} else {
					p++;
					switch (*p) {
					case '\0': {            /* continuation line */
						size_t used = (size_t)(out - text), l2;
						char *next = read_line(f, &l2);

						if (next == NULL)
							fail("end of file after a continuation backslash");
						tcap += l2 + 1;
						if ((text = realloc(text, tcap)) == NULL)
							err(1, NULL);
						out = text + used;
						p = next;
						continue;
					}
					case 'n': *out++ = '\n'; p++; break;
					case 't': *out++ = '\t'; p++; break;
					case 'v': *out++ = '\v'; p++; break;
					case 'b': *out++ = '\b'; p++; break;
					case 'r': *out++ = '\r'; p++; break;
					case 'f': *out++ = '\f'; p++; break;
					case '\\': *out++ = '\\'; p++; break;
					default:
						if (*p >= '0' && *p <= '7') {
							int v = 0, k;

							for (k = 0; k < 3 && *p >= '0' && *p <= '7'; k++)
								v = v * 8 + (*p++ - '0');
							if (v > 0xff)
								fail("octal escape out of range");
							*out++ = (char)v;
						} else {
							*out++ = *p++;  /* \" and any other: the character */
						}
					}
					tlen++;
				}
			}
			if (quoted && !closed)
				fail("unterminated quoted message");
			if (quoted && *p != '\0')
				fail("characters after the closing quote");
			*out = '\0';
			if (tlen > NL_TEXTMAX)
				fail("message longer than NL_TEXTMAX");
			add(set, no, text, tlen);
		}
	}
}

static int
by_key(const void *a, const void *b)
{
	const struct msg *x = a, *y = b;

	if (x->set != y->set)
		return x->set < y->set ? -1 : 1;
	if (x->no != y->no)
		return x->no < y->no ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void
write_all(int fd, const void *p, size_t n, const char *path)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			err(1, "%s", path);
		}
		c += w;
		n -= (size_t)w;
	}
}

static void
write_catalogue(const char *path)
{
	const size_t H = sizeof(struct _nls_cat_hdr);
	size_t i, j, nkeep = 0, nsets = 0, textsize = 0, total, setoff, msgoff, txtoff;
	unsigned char *out, *sp, *mp, *tp;
	int fd, lastset = 0;

	/* the last definition of each (set, message) wins; a deleted set drops
	 * what came before its $delset */
	qsort(msgs, nmsgs, sizeof(*msgs), by_key);
	for (i = 0; i < nmsgs; i = j) {
		for (j = i + 1; j < nmsgs && msgs[j].set == msgs[i].set && msgs[j].no == msgs[i].no; j++)
			;
		struct msg m = msgs[j - 1];

		if (m.text == NULL || (dead_sets[m.set] && dead_seq[m.set] > m.seq))
			continue;
		msgs[nkeep++] = m;
		if (m.set != lastset) {
			nsets++;
			lastset = m.set;
		}
		textsize += m.len + 1;
	}

	setoff = 0;
	msgoff = nsets * sizeof(struct _nls_set_hdr);
	txtoff = msgoff + nkeep * sizeof(struct _nls_msg_hdr);
	total = H + txtoff + textsize;
	if ((out = calloc(1, total)) == NULL)
		err(1, NULL);
	put32(out, _NLS_MAGIC);
	put32(out + 4, (uint32_t)nsets);
	put32(out + 8, (uint32_t)(total - H));
	put32(out + 12, (uint32_t)msgoff);
	put32(out + 16, (uint32_t)txtoff);
	sp = out + H + setoff;
	mp = out + H + msgoff;
	tp = out + H + txtoff;
	lastset = 0;
	for (i = 0; i < nkeep; i++) {
		if (msgs[i].set != lastset) {
			lastset = msgs[i].set;
			put32(sp, (uint32_t)lastset);
			put32(sp + 4, 0);
			put32(sp + 8, (uint32_t)i);
			sp += sizeof(struct _nls_set_hdr);
		}
		put32(sp - sizeof(struct _nls_set_hdr) + 4,
		    be32(sp - sizeof(struct _nls_set_hdr) + 4) + 1);
		put32(mp, (uint32_t)msgs[i].no);
		put32(mp + 4, (uint32_t)(msgs[i].len + 1));
		put32(mp + 8, (uint32_t)(tp - (out + H + txtoff)));
		mp += sizeof(struct _nls_msg_hdr);
		memcpy(tp, msgs[i].text, msgs[i].len + 1);
		tp += msgs[i].len + 1;
	}

	if (strcmp(path, "-") == 0) {
		fd = STDOUT_FILENO;
	} else if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0666)) < 0) {
		err(1, "%s", path);
	}
	write_all(fd, out, total, path);
	if (fd != STDOUT_FILENO && close(fd) < 0)
		err(1, "%s", path);
	free(out);
}

int
main(int argc, char **argv)
{
	int i;

	if (argc < 3) {
		fprintf(stderr, "usage: gencat catfile msgfile ...\n");
		return 1;
	}
	if (strcmp(argv[1], "-") != 0)
		load_existing(argv[1]);
	for (i = 2; i < argc; i++) {
		FILE *f;

		if (strcmp(argv[i], "-") == 0) {
			f = stdin;
			fname = "(stdin)";
		} else {
			if ((f = fopen(argv[i], "r")) == NULL)
				err(1, "%s", argv[i]);
			fname = argv[i];
		}
		parse(f);
		if (f != stdin)
			fclose(f);
	}
	write_catalogue(argv[1]);
	return 0;
}
