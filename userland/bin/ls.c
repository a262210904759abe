/*
 * ls -- list directory contents (kw86 userland, written from ls(1) of
 * NetBSD and POSIX; no source of any other ls was used).
 *
 * Options: -1 -A -a -C -c -d -F -f -H -i -k -L -l -m -n -p -q -R -r -S -s
 *          -T -t -u -w -x
 *
 * Output follows NetBSD's ls:
 *   - one entry per line when stdout is not a terminal, columns when it is
 *     (width: COLUMNS, else TIOCGWINSZ, else 80);
 *   - the super-user gets -A implied;
 *   - block counts (-s, "total") are in 512-byte units unless BLOCKSIZE or
 *     -k says otherwise;
 *   - long format: "mode  links owner  group  size date name[ -> target]",
 *     the mode string being strmode(3)'s eleven characters (ten and a space);
 *     dates as "%b %e %H:%M" within six months of now, else "%b %e  %Y".
 *
 * This is the program of the paper's ls experiment: it is run unmodified as
 * an ordinary process and as a kernelware.  It asks the kernel only for
 * what it prints (no stat when only names are wanted).
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/ioctl.h>
#include <dirent.h>
#include <errno.h>
#include <err.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/*
 * Host/guest differences, isolated here.  NetBSD's struct stat names the
 * nanosecond parts st_mtimensec etc.; glibc has st_mtim.tv_nsec.  NetBSD
 * i386 encodes dev_t as major = bits 8..19, minor = bits 0..7 | 20..31;
 * glibc's encoding is different and has no portable accessor.
 */
#if defined(__linux__)
#define MTIME_NSEC(sp) ((long)(sp)->st_mtim.tv_nsec)
#define ATIME_NSEC(sp) ((long)(sp)->st_atim.tv_nsec)
#define CTIME_NSEC(sp) ((long)(sp)->st_ctim.tv_nsec)
static unsigned long dev_major(unsigned long long d)
{
	return (unsigned long)(((d >> 8) & 0xfff) | ((d >> 32) & ~0xfffULL));
}
static unsigned long dev_minor(unsigned long long d)
{
	return (unsigned long)((d & 0xff) | ((d >> 12) & ~0xffULL));
}
#else
#define MTIME_NSEC(sp) ((long)(sp)->st_mtimensec)
#define ATIME_NSEC(sp) ((long)(sp)->st_atimensec)
#define CTIME_NSEC(sp) ((long)(sp)->st_ctimensec)
static unsigned long dev_major(unsigned long long d)
{
	return (unsigned long)((d & 0x000fff00) >> 8);
}
static unsigned long dev_minor(unsigned long long d)
{
	return (unsigned long)((d & 0x000000ff) | ((d & 0xfff00000) >> 12));
}
#endif

#define SIXMONTHS ((365 / 2) * 86400)

struct entry {
	char *name;		/* name as given / as read from the directory */
	char *path;		/* path to reach it (for stat, readlink, -R) */
	struct stat st;
	int have_st;		/* st is valid */
	int is_dir;		/* directory to descend into (operands, -R) */
};

struct list {
	struct entry *v;
	size_t n, cap;
};

/* Options. */
static int f_all;		/* -a: include . entries */
static int f_almost;		/* -A: include . entries except . and .. */
static int f_listdir;		/* -d */
static int f_type;		/* -F */
static int f_typedir;		/* -p: '/' after directories only */
static int f_nosort;		/* -f */
static int f_inode;		/* -i */
static int f_long;		/* -l or -n */
static int f_numeric;		/* -n */
static int f_recursive;		/* -R */
static int f_reverse;		/* -r */
static int f_size;		/* -s */
static int f_sectime;		/* -T */
static int f_follow;		/* -L */
static int f_follow_ops;	/* -H: follow symbolic links named as operands */
static int f_nonprint;		/* -q: show non-printables as '?' */
static int f_kblocks;		/* -k */
enum { FMT_ONE, FMT_COLS, FMT_ACROSS, FMT_LONG, FMT_STREAM } fmt;
enum { SORT_NAME, SORT_TIME, SORT_SIZE } sortkey = SORT_NAME;
enum { T_MOD, T_ACC, T_CHG } timekey = T_MOD;

static int termwidth = 80;
static long blocksize = 512;	/* bytes per block shown by -s and total */
static int rval;		/* exit status */
static int output;		/* something has been written to stdout */
static time_t now;
static int need_stat;

static void usage(void)
{
	fprintf(stderr, "usage: ls [-1AaCcdFfHikLlmnpqRrSsTtuwx] [file ...]\n");
	exit(1);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (p == NULL)
		err(1, NULL);
	return p;
}

static char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = xmalloc(n);
	memcpy(p, s, n);
	return p;
}

static char *pathjoin(const char *dir, const char *name)
{
	size_t dl = strlen(dir), nl = strlen(name);
	char *p = xmalloc(dl + nl + 2);
	memcpy(p, dir, dl);
	if (dl > 0 && dir[dl - 1] != '/')
		p[dl++] = '/';
	memcpy(p + dl, name, nl + 1);
	return p;
}

static void list_add(struct list *l, struct entry *e)
{
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 64;
		struct entry *nv = realloc(l->v, ncap * sizeof(*nv));
		if (nv == NULL)
			err(1, NULL);
		l->v = nv;
		l->cap = ncap;
	}
	l->v[l->n++] = *e;
}

static void list_free(struct list *l)
{
	size_t i;
	for (i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].path);
	}
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

/* ---- sorting ---- */

static time_t key_time(const struct stat *sp, long *nsec)
{
	switch (timekey) {
	case T_ACC:
		*nsec = ATIME_NSEC(sp);
		return sp->st_atime;
	case T_CHG:
		*nsec = CTIME_NSEC(sp);
		return sp->st_ctime;
	default:
		*nsec = MTIME_NSEC(sp);
		return sp->st_mtime;
	}
}

static int cmp_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int r = 0;

	if (sortkey == SORT_TIME && x->have_st && y->have_st) {
		long xn, yn;
		time_t xt = key_time(&x->st, &xn), yt = key_time(&y->st, &yn);
		if (xt != yt)
			r = xt > yt ? -1 : 1;
		else if (xn != yn)
			r = xn > yn ? -1 : 1;
	} else if (sortkey == SORT_SIZE && x->have_st && y->have_st) {
		if (x->st.st_size != y->st.st_size)
			r = x->st.st_size > y->st.st_size ? -1 : 1;
	}
	if (r == 0)
		r = strcmp(x->name, y->name);
	return f_reverse ? -r : r;
}

static void sort_list(struct list *l)
{
	if (!f_nosort && l->n > 1)
		qsort(l->v, l->n, sizeof(l->v[0]), cmp_entry);
}

/* ---- formatting helpers ---- */

static int numwidth(unsigned long long v)
{
	int w = 1;
	while (v >= 10) {
		v /= 10;
		w++;
	}
	return w;
}

static unsigned long long blocks_of(unsigned long long nblk512)
{
	unsigned long long per = (unsigned long long)blocksize;
	return (nblk512 * 512 + per - 1) / per;
}

/* Mode string like strmode(3): type, nine permission letters, a space. */
static void modestr(mode_t m, char *p)
{
	switch (m & S_IFMT) {
	case S_IFDIR:  p[0] = 'd'; break;
	case S_IFCHR:  p[0] = 'c'; break;
	case S_IFBLK:  p[0] = 'b'; break;
	case S_IFLNK:  p[0] = 'l'; break;
	case S_IFSOCK: p[0] = 's'; break;
	case S_IFIFO:  p[0] = 'p'; break;
	case S_IFREG:  p[0] = '-'; break;
	default:       p[0] = '?'; break;
	}
	p[1] = (m & S_IRUSR) ? 'r' : '-';
	p[2] = (m & S_IWUSR) ? 'w' : '-';
	if (m & S_ISUID)
		p[3] = (m & S_IXUSR) ? 's' : 'S';
	else
		p[3] = (m & S_IXUSR) ? 'x' : '-';
	p[4] = (m & S_IRGRP) ? 'r' : '-';
	p[5] = (m & S_IWGRP) ? 'w' : '-';
	if (m & S_ISGID)
		p[6] = (m & S_IXGRP) ? 's' : 'S';
	else
		p[6] = (m & S_IXGRP) ? 'x' : '-';
	p[7] = (m & S_IROTH) ? 'r' : '-';
	p[8] = (m & S_IWOTH) ? 'w' : '-';
	if (m & S_ISVTX)
		p[9] = (m & S_IXOTH) ? 't' : 'T';
	else
		p[9] = (m & S_IXOTH) ? 'x' : '-';
	p[10] = ' ';
	p[11] = '\0';
}

/* Owner and group names, with a one-entry cache each (directories usually
 * hold files of one owner). */
static const char *user_name(uid_t uid)
{
	static uid_t last = (uid_t)-1;
	static char buf[64];
	static int valid;
	struct passwd *pw;

	if (valid && uid == last)
		return buf;
	pw = f_numeric ? NULL : getpwuid(uid);
	if (pw != NULL)
		snprintf(buf, sizeof(buf), "%s", pw->pw_name);
	else
		snprintf(buf, sizeof(buf), "%lu", (unsigned long)uid);
	last = uid;
	valid = 1;
	return buf;
}

static const char *group_name(gid_t gid)
{
	static gid_t last = (gid_t)-1;
	static char buf[64];
	static int valid;
	struct group *gr;

	if (valid && gid == last)
		return buf;
	gr = f_numeric ? NULL : getgrgid(gid);
	if (gr != NULL)
		snprintf(buf, sizeof(buf), "%s", gr->gr_name);
	else
		snprintf(buf, sizeof(buf), "%lu", (unsigned long)gid);
	last = gid;
	valid = 1;
	return buf;
}

/* Length of a name as printed (with -q each byte stays one column). */
static int name_len(const char *s)
{
	return (int)strlen(s);
}

static int print_name(const char *s)
{
	int n = 0;
	for (; *s; s++, n++) {
		unsigned char c = (unsigned char)*s;
		if (f_nonprint && (c < 0x20 || c >= 0x7f))
			putchar('?');
		else
			putchar(c);
	}
	return n;
}

static char type_char(const struct entry *e)
{
	mode_t m;
	if (!e->have_st)
		return 0;
	m = e->st.st_mode;
	if (!f_type)		/* -p */
		return S_ISDIR(m) ? '/' : 0;
	switch (m & S_IFMT) {
	case S_IFDIR:  return '/';
	case S_IFLNK:  return '@';
	case S_IFSOCK: return '=';
	case S_IFIFO:  return '|';
	default:
		if (m & (S_IXUSR | S_IXGRP | S_IXOTH))
			return '*';
		return 0;
	}
}

/* ---- printing a list ---- */

struct widths {
	int inode, block, nlink, user, group, size, name;
	int major, minor;	/* device numbers in -l */
	unsigned long long total; /* st_blocks sum, 512-byte units */
};

static void compute_widths(const struct list *l, struct widths *w)
{
	size_t i;
	memset(w, 0, sizeof(*w));
	for (i = 0; i < l->n; i++) {
		const struct entry *e = &l->v[i];
		int n;
		n = name_len(e->name);
		if (n > w->name)
			w->name = n;
		if (!e->have_st)
			continue;
		w->total += (unsigned long long)e->st.st_blocks;
		if (f_inode && (n = numwidth((unsigned long long)e->st.st_ino)) > w->inode)
			w->inode = n;
		if (f_size &&
		    (n = numwidth(blocks_of((unsigned long long)e->st.st_blocks))) > w->block)
			w->block = n;
		if (!f_long)
			continue;
		if ((n = numwidth((unsigned long long)e->st.st_nlink)) > w->nlink)
			w->nlink = n;
		if ((n = (int)strlen(user_name(e->st.st_uid))) > w->user)
			w->user = n;
		if ((n = (int)strlen(group_name(e->st.st_gid))) > w->group)
			w->group = n;
		if (S_ISCHR(e->st.st_mode) || S_ISBLK(e->st.st_mode)) {
			unsigned long long d = (unsigned long long)e->st.st_rdev;
			if ((n = numwidth(dev_major(d))) > w->major)
				w->major = n;
			if ((n = numwidth(dev_minor(d))) > w->minor)
				w->minor = n;
		} else if ((n = numwidth((unsigned long long)e->st.st_size)) > w->size)
			w->size = n;
	}
	if (w->major || w->minor) {
		/* "major, minor" must fit in the size column */
		int dw = w->major + 2 + w->minor;
		if (dw > w->size)
			w->size = dw;
		else
			w->major += w->size - dw;
	}
}

/* Print inode/blocks prefix, the name and -F suffix; return columns used. */
static int print_short(const struct entry *e, const struct widths *w)
{
	int n = 0;
	char c;
	if (f_inode)
		n += printf("%*llu ", w->inode,
		    e->have_st ? (unsigned long long)e->st.st_ino : 0ULL);
	if (f_size)
		n += printf("%*llu ", w->block,
		    e->have_st ? blocks_of((unsigned long long)e->st.st_blocks) : 0ULL);
	n += print_name(e->name);
	if ((f_type || f_typedir) && (c = type_char(e)) != 0) {
		putchar(c);
		n++;
	}
	return n;
}

/* The time column (without the space after it) into buf[64]. */
static const char *time_str(const struct stat *sp, char *buf)
{
	long nsec;
	time_t t = key_time(sp, &nsec);
	struct tm *tm = localtime(&t);
	const char *f;

	if (f_sectime)
		f = "%b %e %H:%M:%S %Y";
	else if (t + SIXMONTHS > now && t - SIXMONTHS < now)
		f = "%b %e %H:%M";
	else
		f = "%b %e  %Y";
	if (tm == NULL || strftime(buf, 64, f, tm) == 0)
		snprintf(buf, 64, "%lld", (long long)t);
	return buf;
}

static void print_long(const struct list *l, const struct widths *w)
{
	size_t i;
	char mode[12], tbuf[64];

	for (i = 0; i < l->n; i++) {
		const struct entry *e = &l->v[i];
		const struct stat *sp = &e->st;
		char c;
		if (!e->have_st)
			continue;
		if (f_inode)
			printf("%*llu ", w->inode, (unsigned long long)sp->st_ino);
		if (f_size)
			printf("%*llu ", w->block,
			    blocks_of((unsigned long long)sp->st_blocks));
		modestr(sp->st_mode, mode);
		/* one printf per line where it can be (each call takes the
		 * stream lock and walks a format) */
		if (S_ISCHR(sp->st_mode) || S_ISBLK(sp->st_mode)) {
			unsigned long long d = (unsigned long long)sp->st_rdev;
			printf("%s %*lu %-*s  %-*s  %*lu, %*lu %s ", mode,
			    w->nlink, (unsigned long)sp->st_nlink,
			    w->user, user_name(sp->st_uid),
			    w->group, group_name(sp->st_gid),
			    w->major, dev_major(d), w->minor, dev_minor(d),
			    time_str(sp, tbuf));
		} else
			printf("%s %*lu %-*s  %-*s  %*lld %s ", mode,
			    w->nlink, (unsigned long)sp->st_nlink,
			    w->user, user_name(sp->st_uid),
			    w->group, group_name(sp->st_gid),
			    w->size, (long long)sp->st_size,
			    time_str(sp, tbuf));
		print_name(e->name);
		if ((f_type || f_typedir) && (c = type_char(e)) != 0)
			putchar(c);
		if (S_ISLNK(sp->st_mode)) {
			char target[PATH_MAX + 1];
			ssize_t n = readlink(e->path, target, sizeof(target) - 1);
			if (n < 0) {
				putchar('\n');
				warn("%s", e->path);
				rval = 1;
				continue;
			}
			target[n] = '\0';
			printf(" -> ");
			print_name(target);
		}
		putchar('\n');
	}
}

static void print_single(const struct list *l, const struct widths *w)
{
	size_t i;
	for (i = 0; i < l->n; i++) {
		print_short(&l->v[i], w);
		putchar('\n');
	}
}

static int column_width(const struct widths *w)
{
	int cw = w->name;
	if (f_inode)
		cw += w->inode + 1;
	if (f_size)
		cw += w->block + 1;
	if (f_type || f_typedir)
		cw += 1;
	return cw + 1;	/* at least one blank between columns */
}

static void pad(int from, int to)
{
	while (from++ < to)
		putchar(' ');
}

/* -C: entries run down the columns. */
static void print_columns(const struct list *l, const struct widths *w)
{
	int cw = column_width(w);
	int num = (int)l->n, ncols, nrows, row, col;

	if (num == 0)
		return;
	if (termwidth < 2 * cw) {
		print_single(l, w);
		return;
	}
	ncols = termwidth / cw;
	nrows = (num + ncols - 1) / ncols;
	ncols = (num + nrows - 1) / nrows;
	for (row = 0; row < nrows; row++) {
		for (col = 0; col < ncols; col++) {
			int idx = col * nrows + row, n;
			if (idx >= num)
				break;
			n = print_short(&l->v[idx], w);
			if (idx + nrows < num)
				pad(n, cw);
		}
		putchar('\n');
	}
}

/* -x: entries run across the rows. */
static void print_across(const struct list *l, const struct widths *w)
{
	int cw = column_width(w);
	int num = (int)l->n, ncols, i, col = 0;

	if (num == 0)
		return;
	if (termwidth < 2 * cw) {
		print_single(l, w);
		return;
	}
	ncols = termwidth / cw;
	for (i = 0; i < num; i++) {
		int n = print_short(&l->v[i], w);
		if (++col == ncols || i == num - 1) {
			putchar('\n');
			col = 0;
		} else
			pad(n, cw);
	}
}

/* -m: names separated by ", ", lines broken before the terminal width. */
static void print_stream(const struct list *l, const struct widths *w)
{
	int col = 0;
	size_t i;

	for (i = 0; i < l->n; i++) {
		const struct entry *e = &l->v[i];
		int len = name_len(e->name) + ((f_type || f_typedir) &&
		    type_char(e) ? 1 : 0);
		if (f_inode)
			len += w->inode + 1;
		if (f_size)
			len += w->block + 1;
		if (i > 0) {
			if (col + 2 + len >= termwidth) {
				printf(",\n");
				col = 0;
			} else {
				printf(", ");
				col += 2;
			}
		}
		col += print_short(e, w);
	}
	if (l->n > 0)
		putchar('\n');
}

/* Print one list; is_dir says it is a directory's contents (total line). */
static void display(const struct list *l, int is_dir)
{
	struct widths w;

	compute_widths(l, &w);
	if (is_dir && (f_long || f_size))
		printf("total %llu\n", blocks_of(w.total));
	switch (fmt) {
	case FMT_LONG:
		print_long(l, &w);
		break;
	case FMT_COLS:
		print_columns(l, &w);
		break;
	case FMT_ACROSS:
		print_across(l, &w);
		break;
	case FMT_STREAM:
		print_stream(l, &w);
		break;
	default:
		print_single(l, &w);
		break;
	}
	if (l->n > 0 || is_dir)
		output = 1;
}

/* ---- reading ---- */

static int do_stat(const char *path, struct stat *sp, int follow)
{
	if (follow) {
		if (stat(path, sp) == 0)
			return 0;
		/* a dangling link is still listed, as the link */
		if (errno == ENOENT && lstat(path, sp) == 0)
			return 0;
		return -1;
	}
	return lstat(path, sp);
}

static void list_dir(const char *path, int header);

static void list_dir(const char *path, int header)
{
	DIR *d;
	struct dirent *de;
	struct list l = { NULL, 0, 0 };
	size_t i;

	if (header) {
		if (output)
			putchar('\n');
		print_name(path);
		printf(":\n");
		output = 1;
	}
	if ((d = opendir(path)) == NULL) {
		fflush(stdout);
		warn("%s", path);
		rval = 1;
		return;
	}
	while ((de = readdir(d)) != NULL) {
		struct entry e;
		const char *nm = de->d_name;
		if (nm[0] == '.') {
			if (!f_all && !f_almost)
				continue;
			if (!f_all && (nm[1] == '\0' ||
			    (nm[1] == '.' && nm[2] == '\0')))
				continue;
		}
		memset(&e, 0, sizeof(e));
		e.name = xstrdup(nm);
		e.path = pathjoin(path, nm);
		if (need_stat) {
			if (do_stat(e.path, &e.st, f_follow) < 0) {
				fflush(stdout);
				warn("%s", e.path);
				rval = 1;
				free(e.name);
				free(e.path);
				continue;
			}
			e.have_st = 1;
			e.is_dir = S_ISDIR(e.st.st_mode);
		}
		list_add(&l, &e);
	}
	closedir(d);

	sort_list(&l);
	display(&l, 1);
	if (f_recursive) {
		for (i = 0; i < l.n; i++) {
			const char *nm = l.v[i].name;
			if (!l.v[i].is_dir)
				continue;
			if (nm[0] == '.' && (nm[1] == '\0' ||
			    (nm[1] == '.' && nm[2] == '\0')))
				continue;
			list_dir(l.v[i].path, 1);
		}
	}
	list_free(&l);
}

static void set_blocksize(void)
{
	const char *s = getenv("BLOCKSIZE");
	char *end;
	long v, mul = 1;

	if (f_kblocks) {
		blocksize = 1024;
		return;
	}
	if (s == NULL || *s == '\0')
		return;
	v = strtol(s, &end, 10);
	if (end == s)
		v = 1;
	switch (*end) {
	case 'k': case 'K': mul = 1024; end++; break;
	case 'm': case 'M': mul = 1024L * 1024; end++; break;
	case 'g': case 'G': mul = 1024L * 1024 * 1024; end++; break;
	}
	if (*end != '\0' || v <= 0) {
		warnx("%s: unknown blocksize", s);
		return;
	}
	v *= mul;
	if (v < 512) {
		warnx("minimum blocksize is 512");
		v = 512;
	}
	blocksize = v;
}

int main(int argc, char *argv[])
{
	struct list files = { NULL, 0, 0 }, dirs = { NULL, 0, 0 };
	static char *dot[] = { ".", NULL };
	char **ops;
	int ch, nops, i, tty, follow_ops;
	const char *cols;

	tty = isatty(STDOUT_FILENO);
	if (tty) {
		struct winsize ws;
		fmt = FMT_COLS;
		f_nonprint = 1;
		if ((cols = getenv("COLUMNS")) != NULL && atoi(cols) > 0)
			termwidth = atoi(cols);
		else if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 &&
		    ws.ws_col > 0)
			termwidth = ws.ws_col;
	} else {
		fmt = FMT_ONE;
		if ((cols = getenv("COLUMNS")) != NULL && atoi(cols) > 0)
			termwidth = atoi(cols);
	}
	if (getuid() == 0)
		f_almost = 1;

	while ((ch = getopt(argc, argv, "1AaCcdFfHikLlmnpqRrSsTtuwx")) != -1) {
		switch (ch) {
		case '1': fmt = FMT_ONE; break;
		case 'C': fmt = FMT_COLS; break;
		case 'x': fmt = FMT_ACROSS; break;
		case 'l': fmt = FMT_LONG; break;
		case 'n': fmt = FMT_LONG; f_numeric = 1; break;
		case 'A': f_almost = 1; break;
		case 'a': f_all = 1; break;
		case 'c': timekey = T_CHG; break;
		case 'u': timekey = T_ACC; break;
		case 'd': f_listdir = 1; f_recursive = 0; break;
		case 'F': f_type = 1; break;
		case 'p': f_typedir = 1; break;
		case 'm': fmt = FMT_STREAM; break;
		case 'f': f_nosort = 1; f_all = 1; break;
		case 'i': f_inode = 1; break;
		case 'k': f_kblocks = 1; break;
		case 'H': f_follow_ops = 1; break;
		case 'L': f_follow = 1; break;
		case 'q': f_nonprint = 1; break;
		case 'w': f_nonprint = 0; break;
		case 'R': f_recursive = 1; break;
		case 'r': f_reverse = 1; break;
		case 'S': sortkey = SORT_SIZE; break;
		case 's': f_size = 1; break;
		case 'T': f_sectime = 1; break;
		case 't': sortkey = SORT_TIME; break;
		default: usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (f_listdir)
		f_recursive = 0;
	f_long = (fmt == FMT_LONG);
	set_blocksize();
	if (f_long)
		now = time(NULL);
	need_stat = f_long || f_type || f_typedir || f_inode || f_size ||
	    f_recursive ||
	    sortkey != SORT_NAME;

	if (argc == 0) {
		ops = dot;
		nops = 1;
	} else {
		ops = argv;
		nops = argc;
	}
	/* Operands that are symbolic links are followed unless the link
	 * itself is to be described (-d, -F, -l), as POSIX says. */
	follow_ops = f_follow || f_follow_ops ||
	    !(f_listdir || f_type || f_long);

	/* Errors first, in operand order sorted by name (as fts does). */
	for (i = 0; i < nops; i++) {
		struct entry e;
		memset(&e, 0, sizeof(e));
		if (ops[i][0] == '\0') {
			warnx("%s: %s", "fts_open", strerror(ENOENT));
			rval = 1;
			continue;
		}
		if (do_stat(ops[i], &e.st, follow_ops) < 0) {
			warn("%s", ops[i]);
			rval = 1;
			continue;
		}
		e.have_st = 1;
		e.name = xstrdup(ops[i]);
		e.path = xstrdup(ops[i]);
		e.is_dir = S_ISDIR(e.st.st_mode) && !f_listdir;
		list_add(e.is_dir ? &dirs : &files, &e);
	}
	sort_list(&files);
	sort_list(&dirs);
	if (files.n > 0)
		display(&files, 0);
	for (i = 0; i < (int)dirs.n; i++)
		list_dir(dirs.v[i].path, nops > 1);
	list_free(&files);
	list_free(&dirs);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		warn("stdout");
		rval = 1;
	}
	return rval;
}
