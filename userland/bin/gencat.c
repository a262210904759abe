/*
 * gencat -- generate a formatted message catalogue (kw86 userland, written
 * from gencat(1) of NetBSD and POSIX; no source of any gencat was used).
 *
 *   gencat catfile [msgfile|- ...]
 *
 * Reads the message source files (none or "-": standard input) and writes
 * the catalogue in NetBSD's format (<nl_types.h> under _NLS_PRIVATE), which
 * catopen(3)/catgets(3) read.  catfile "-" is standard output.  A new
 * catfile is created (O_EXCL) before the sources are read; an existing one
 * is read first, its sets and messages kept unless the sources replace or
 * delete them, and rewritten at the end (POSIX).
 *
 * Source lines, as NetBSD's gencat reads them:
 *   $set n [comment]      following messages go to set n (1..NL_SETMAX); the
 *                         set is in the catalogue even with no message
 *   $delset n [comment]   delete set n and its messages
 *   $quote c              c quotes message texts; "$quote" alone: no quoting
 *   $ comment             (a '$' followed by white space or nothing)
 *   m message text        message m (1..NL_MSGMAX); the white space after the
 *                         number is skipped; "m" alone deletes message m,
 *                         "m" and white space stores ""; messages before any
 *                         $set go to set NL_SETD
 *   (empty line)          ignored
 * In a text: \n \t \v \b \r \f \\ \ddd (octal), \ and the quote character,
 * and a backslash ending the line joins the next line.  With a quote
 * character a text that starts with it ends at the next unescaped one
 * (what follows is ignored with a warning).
 *
 * Diagnostics as NetBSD's: "gencat: WHY on line N, FILE" and the line.
 * Warnings (a line that is none of the above, an unknown $ directive, an
 * unknown escape, an unterminated quote) go on; errors (a set or message
 * number out of range, a damaged catalogue, end of file after a
 * continuation) exit 1 without writing the catalogue.
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
static unsigned long set_added[NL_SETMAX + 1], set_deleted[NL_SETMAX + 1];

static const char *fname;
static unsigned long lineno;
static const char *curline;

static void
warning(const char *why)
{
	if (lineno) {
		fprintf(stderr, "gencat: %s on line %lu, %s\n", why, lineno, fname);
		if (curline)
			fprintf(stderr, "%s\n", curline);
	} else {
		fprintf(stderr, "gencat: %s, %s\n", why, fname);
	}
}

static void
fail(const char *why)
{
	warning(why);
	exit(1);
}

static void
add_set(int set)
{
	if (set <= 0)
		fail("set numbers must be greater than zero");
	if (set > NL_SETMAX)
		fail("set number exceeds NL_SETMAX");
	set_added[set] = ++seq;
}

static void
add(int set, int no, char *text, size_t len)
{
	if (no <= 0)
		fail("message numbers must be greater than zero");
	if (no > NL_MSGMAX)
		fail("message number exceeds NL_MSGMAX");
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

/* The sets and messages of the existing catalogue on fd. */
static void
load_existing(int fd, const char *path)
{
	const size_t H = sizeof(struct _nls_cat_hdr);
	unsigned char *d;
	struct stat st;
	uint32_t nsets, hoff, toff, i, j, idx, n, off, len;
	ssize_t r;
	size_t got = 0;

	fname = path;
	lineno = 0;
	if (fstat(fd, &st) < 0)
		err(1, "%s", path);
	if (st.st_size == 0)
		return;                         /* an empty file: nothing to keep */
	if ((d = malloc((size_t)st.st_size)) == NULL)
		err(1, NULL);
	while (got < (size_t)st.st_size &&
	    (r = read(fd, d + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)r;
	if (got < H)
		fail("corrupt message catalog");
	if (be32(d) != _NLS_MAGIC)
		fail("corrupt message catalog: bad magic number");
	nsets = be32(d + 4);
	hoff = be32(d + 12);
	toff = be32(d + 16);
	if (nsets > (got - H) / 12 || hoff > got - H || toff > got - H)
		fail("corrupt message catalog: catalog header");
	for (i = 0; i < nsets; i++) {
		const unsigned char *s = d + H + 12 * i;
		int set = (int)be32(s);

		idx = be32(s + 8);
		n = be32(s + 4);
		if (set < 1 || set > NL_SETMAX || idx > (got - H - hoff) / 12 ||
		    n > (got - H - hoff) / 12 - idx)
			fail("corrupt message catalog: set header");
		add_set(set);
		for (j = idx; j < idx + n; j++) {
			const unsigned char *m = d + H + hoff + 12 * j;
			char *text;

			len = be32(m + 4);
			off = be32(m + 8);
			if (len == 0 || off > got - H - toff || len > got - H - toff - off)
				fail("corrupt message catalog: message header");
			if ((text = malloc(len)) == NULL)
				err(1, NULL);
			memcpy(text, d + H + toff + off, len - 1);
			text[len - 1] = '\0';
			add(set, (int)be32(m), text, strlen(text));
		}
	}
	free(d);
}

static char *
read_line(FILE *f)
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
	curline = buf;
	return buf;
}

static char *
skip_space(char *p)
{
	while (*p && isspace((unsigned char)*p))
		p++;
	return p;
}

/* The text of a message from p (which the line buffer holds). */
static char *
message_text(FILE *f, char *p, int quote, size_t *lenp)
{
	size_t cap = strlen(p) + 1, n = 0;
	char *out = malloc(cap);
	int quoted = 0;

	if (out == NULL)
		err(1, NULL);
	if (quote >= 0 && (unsigned char)*p == quote) {
		quoted = 1;
		p++;
	}
	while (*p) {
		if (quote >= 0 && (unsigned char)*p == quote) {
			if (!quoted) {
				warning("unexpected quote character, ignoring");
				out[n++] = *p++;
				continue;
			}
			p = skip_space(p + 1);
			if (*p)
				warning("unexpected extra characters, ignoring");
			quoted = 0;
			break;
		}
		if (*p != '\\') {
			out[n++] = *p++;
			continue;
		}
		p++;
		switch (*p) {
		case '\0': {                    /* the text goes on on the next line */
			char *next = read_line(f);

			if (next == NULL)
				fail("premature end of file");
			cap += strlen(next);
			if ((out = realloc(out, cap)) == NULL)
				err(1, NULL);
			p = next;
			break;
		}
		case 'n': out[n++] = '\n'; p++; break;
		case 't': out[n++] = '\t'; p++; break;
		case 'v': out[n++] = '\v'; p++; break;
		case 'b': out[n++] = '\b'; p++; break;
		case 'r': out[n++] = '\r'; p++; break;
		case 'f': out[n++] = '\f'; p++; break;
		case '\\': out[n++] = '\\'; p++; break;
		default:
			if (quote >= 0 && (unsigned char)*p == quote) {
				out[n++] = *p++;
			} else if (isdigit((unsigned char)*p)) {
				unsigned v = 0;
				int k;

				for (k = 0; k < 3 && isdigit((unsigned char)*p); k++) {
					if (*p > '7')
						warning("octal number greater than 7?!");
					v = v * 8 + (unsigned)(*p++ - '0');
				}
				out[n++] = (char)v;
			} else {
				/* the backslash goes, the character stays */
				warning("unrecognized escape sequence");
			}
		}
	}
	if (quoted)
		warning("unterminated quoted message, ignoring");
	out[n] = '\0';
	*lenp = n;
	return out;
}

static void
parse(FILE *f)
{
	int set = 0, quote = -1;
	char *line;

	lineno = 0;
	while ((line = read_line(f)) != NULL) {
		char *p = line;

		if (*p == '$') {
			p++;
			if (strncmp(p, "set", 3) == 0) {
				set = atoi(skip_space(p + 3));
				add_set(set);
			} else if (strncmp(p, "delset", 6) == 0) {
				int s = atoi(skip_space(p + 6));

				if (s <= 0)
					fail("set numbers must be greater than zero");
				if (s > NL_SETMAX)
					fail("set number exceeds NL_SETMAX");
				set_deleted[s] = ++seq;
			} else if (strncmp(p, "quote", 5) == 0) {
				p = skip_space(p + 5);
				quote = *p ? (unsigned char)*p : -1;
			} else if (*p && !isspace((unsigned char)*p)) {
				warning("unrecognized line");
			}
			continue;
		}
		if (*p == '\0')
			continue;
		if (!isdigit((unsigned char)*p)) {
			warning("neither blank line nor start of a message id");
			continue;
		}
		{
			int no = atoi(p);
			size_t len;
			char *text;

			while (*p && !isspace((unsigned char)*p))
				p++;                    /* the number (and anything glued to it) */
			if (set == 0) {
				set = NL_SETD;          /* no $set yet: the default set */
				add_set(set);
			}
			if (*p == '\0') {
				add(set, no, NULL, 0);  /* "m" alone: delete it */
				continue;
			}
			p = skip_space(p);
			if (*p == '\0') {
				if ((text = strdup("")) == NULL)
					err(1, NULL);
				add(set, no, text, 0);
				continue;
			}
			text = message_text(f, p, quote, &len);
			add(set, no, text, len);
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

static int
set_alive(int s)
{
	return set_added[s] != 0 && set_added[s] > set_deleted[s];
}

static void
write_catalogue(int fd, const char *path)
{
	const size_t H = sizeof(struct _nls_cat_hdr);
	size_t i, j, nkeep = 0, nsets = 0, textsize = 0, total, msgoff, txtoff, k;
	unsigned char *out, *sp, *mp, *tp;
	int s;

	/* the last definition of each (set, message) wins; a message defined
	 * before its set's last $delset is gone */
	qsort(msgs, nmsgs, sizeof(*msgs), by_key);
	for (i = 0; i < nmsgs; i = j) {
		struct msg m;

		for (j = i + 1; j < nmsgs && msgs[j].set == msgs[i].set &&
		    msgs[j].no == msgs[i].no; j++)
			;
		m = msgs[j - 1];
		if (m.text == NULL || !set_alive(m.set) || set_deleted[m.set] > m.seq)
			continue;
		msgs[nkeep++] = m;
		textsize += m.len + 1;
	}
	for (s = 1; s <= NL_SETMAX; s++)
		nsets += set_alive(s);

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
	sp = out + H;
	mp = out + H + msgoff;
	tp = out + H + txtoff;
	for (s = 1, k = 0; s <= NL_SETMAX; s++) {
		size_t first = k;

		if (!set_alive(s))
			continue;
		for (; k < nkeep && msgs[k].set == s; k++) {
			put32(mp, (uint32_t)msgs[k].no);
			put32(mp + 4, (uint32_t)(msgs[k].len + 1));
			put32(mp + 8, (uint32_t)(tp - (out + H + txtoff)));
			mp += sizeof(struct _nls_msg_hdr);
			memcpy(tp, msgs[k].text, msgs[k].len + 1);
			tp += msgs[k].len + 1;
		}
		put32(sp, (uint32_t)s);
		put32(sp + 4, (uint32_t)(k - first));
		put32(sp + 8, (uint32_t)first);
		sp += sizeof(struct _nls_set_hdr);
	}

	for (i = 0; i < total;) {
		ssize_t w = write(fd, out + i, total - i);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			err(1, "%s", path);
		}
		i += (size_t)w;
	}
	free(out);
}

int
main(int argc, char **argv)
{
	const char *catfile;
	int fd, update = 0, i;

	if (argc < 2) {
		fprintf(stderr, "usage: gencat catfile [msgfile|- ...]\n");
		return 1;
	}
	catfile = argv[1];
	if (strcmp(catfile, "-") == 0) {
		fd = STDOUT_FILENO;
	} else if ((fd = open(catfile, O_WRONLY | O_CREAT | O_EXCL, 0666)) < 0) {
		if (errno != EEXIST)
			err(1, "Unable to create new %s", catfile);
		if ((fd = open(catfile, O_RDWR)) < 0)
			err(1, "Unable to open %s", catfile);
		update = 1;
		load_existing(fd, catfile);
	}

	if (argc < 3 || (argc == 3 && strcmp(argv[2], "-") == 0)) {
		fname = "(stdin)";
		parse(stdin);
	} else {
		for (i = 2; i < argc; i++) {
			FILE *f;

			if ((f = fopen(argv[i], "r")) == NULL)
				err(1, "Unable to read %s", argv[i]);
			fname = argv[i];
			parse(f);
			fclose(f);
		}
	}
	if (update) {
		if (ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) < 0)
			err(1, "Unable to truncate %s", catfile);
	}
	write_catalogue(fd, catfile);
	if (fd != STDOUT_FILENO && close(fd) < 0)
		err(1, "%s", catfile);
	return 0;
}
