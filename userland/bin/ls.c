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
 *
 * Per file it does little (issue 12: ls -l over 1,000 files): a directory's
 * entries are stat'ed by name from the open directory (fstatat, one path
 * component for the kernel, no path built), kept with their names in large
 * chunks (no malloc per file), sorted as an array of pointers by a merge
 * sort that sees a run already in order in one comparison (kw86's
 * directories read in name order); the long format's line is built by hand
 * in one buffer (no printf: 32-bit decimal conversion where the value
 * fits), with the owner and group names and the last date string cached.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/ioctl.h>
#include <dirent.h>
#include <errno.h>
#include <err.h>
#include <fcntl.h>
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
#define NAMLEN(de) strlen((de)->d_name)
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
#define NAMLEN(de) ((size_t)(de)->d_namlen)
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
	size_t namelen;
	struct stat st;
	int have_st;		/* st is valid */
	int is_dir;		/* directory to descend into (operands, -R) */
};

/*
 * A list is an array of pointers to its entries (what is sorted); the
 * entries and their names live in chunks of the list's own, one allocation
 * for many of them.  dir: the directory the entries were read from (their
 * path is dir/name, made only when needed: readlink, -R, a message), NULL
 * for operands (the name is the path).
 */
union align { long long ll; void *p; double d; };
struct chunk {
	struct chunk *next;
	size_t used, size;
	union align data[];
};
#define CHUNK_BYTES 16384

struct list {
	struct entry **v;
	size_t n, cap;
	struct chunk *mem;
	const char *dir;
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

static size_t entry_bytes(size_t namelen)
{
	return (sizeof(struct entry) + namelen + 1 + sizeof(union align) - 1) &
	    ~(sizeof(union align) - 1);
}

/* A new entry at the end of l, named name (namelen bytes), st not valid. */
static struct entry *list_new(struct list *l, const char *name, size_t namelen)
{
	size_t need = entry_bytes(namelen);
	struct chunk *c = l->mem;
	struct entry *e;

	if (c == NULL || c->size - c->used < need) {
		/* 1 KiB first, doubling up to CHUNK_BYTES: a short listing
		 * takes no more memory than one malloc per name did */
		size_t size = c == NULL ? 1024 : c->size < CHUNK_BYTES ? 2 * c->size : CHUNK_BYTES;
		if (size < need)
			size = need;
		c = xmalloc(sizeof(*c) + size);
		c->used = 0;
		c->size = size;
		c->next = l->mem;
		l->mem = c;
	}
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 64;
		struct entry **nv = realloc(l->v, ncap * sizeof(*nv));
		if (nv == NULL)
			err(1, NULL);
		l->v = nv;
		l->cap = ncap;
	}
	e = (struct entry *)(void *)((char *)c->data + c->used);
	c->used += need;
	e->name = (char *)(e + 1);
	memcpy(e->name, name, namelen);
	e->name[namelen] = '\0';
	e->namelen = namelen;
	e->have_st = 0;
	e->is_dir = 0;
	l->v[l->n++] = e;
	return e;
}

/* Take back the entry list_new just made. */
static void list_drop_last(struct list *l)
{
	struct entry *e = l->v[--l->n];
	l->mem->used -= entry_bytes(e->namelen);
}

/* The path of e: its name, or dir/name (malloc'ed: *owned set, free it). */
static char *entry_path(const struct list *l, const struct entry *e, int *owned)
{
	*owned = l->dir != NULL;
	return l->dir != NULL ? pathjoin(l->dir, e->name) : e->name;
}

static void list_free(struct list *l)
{
	struct chunk *c = l->mem, *next;
	for (; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(l->v);
	l->v = NULL;
	l->mem = NULL;
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

static int cmp_entry(const struct entry *x, const struct entry *y)
{
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

/* Merge sort of a[0..n) (stable), tmp holding n/2 pointers.  Two sorted
 * halves already in order cost one comparison, so a directory read in
 * name order is sorted with n - 1 of them. */
static void merge_sort(struct entry **a, struct entry **tmp, size_t n)
{
	size_t h = n / 2, i, j, k;

	if (n < 2)
		return;
	merge_sort(a, tmp, h);
	merge_sort(a + h, tmp, n - h);
	if (cmp_entry(a[h - 1], a[h]) <= 0)
		return;
	memcpy(tmp, a, h * sizeof(*a));
	i = 0;
	j = h;
	k = 0;
	while (i < h && j < n) {
		if (cmp_entry(a[j], tmp[i]) < 0)
			a[k++] = a[j++];
		else
			a[k++] = tmp[i++];
	}
	while (i < h)
		a[k++] = tmp[i++];
}

static void sort_list(struct list *l)
{
	struct entry **tmp;

	if (f_nosort || l->n < 2)
		return;
	tmp = xmalloc((l->n / 2) * sizeof(*tmp));
	merge_sort(l->v, tmp, l->n);
	free(tmp);
}

/* ---- formatting helpers ---- */

static int numwidth(unsigned long long v)
{
	int w = 1;
	unsigned long u;

	while (v > 0xffffffffUL) {	/* 64-bit division only while it must */
		v /= 10;
		w++;
	}
	for (u = (unsigned long)v; u >= 10; u /= 10)
		w++;
	return w;
}

/* v in decimal, right-aligned in width columns, at p; returns the end. */
static char *put_unum(char *p, unsigned long long v, int width)
{
	char tmp[24];
	int n = 0;
	unsigned long u;

	while (v > 0xffffffffUL) {
		tmp[n++] = (char)('0' + (int)(v % 10));
		v /= 10;
	}
	u = (unsigned long)v;
	do {
		tmp[n++] = (char)('0' + (int)(u % 10));
		u /= 10;
	} while (u != 0);
	for (; width > n; width--)
		*p++ = ' ';
	while (n > 0)
		*p++ = tmp[--n];
	return p;
}

/* As printf's %*lld. */
static char *put_snum(char *p, long long v, int width)
{
	if (v >= 0)
		return put_unum(p, (unsigned long long)v, width);
	for (; width > numwidth(0ULL - (unsigned long long)v) + 1; width--)
		*p++ = ' ';
	*p++ = '-';
	return put_unum(p, 0ULL - (unsigned long long)v, 0);
}

/* s (len bytes) left-aligned in width columns (as %-*s), at p. */
static char *put_left(char *p, const char *s, int len, int width)
{
	memcpy(p, s, (size_t)len);
	p += len;
	for (; width > len; width--)
		*p++ = ' ';
	return p;
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

/* Owner and group names (or numbers: -n, no such user), with a small
 * cache each (a directory's files have few owners). */
struct idname {
	unsigned long id;
	int valid, len;
	char name[64];
};
#define IDCACHE 16

static const struct idname *id_name(struct idname *cache, unsigned long id, int user)
{
	struct idname *c = &cache[id % IDCACHE];
	const char *nm = NULL;

	if (c->valid && c->id == id)
		return c;
	if (!f_numeric) {
		if (user) {
			struct passwd *pw = getpwuid((uid_t)id);
			nm = pw != NULL ? pw->pw_name : NULL;
		} else {
			struct group *gr = getgrgid((gid_t)id);
			nm = gr != NULL ? gr->gr_name : NULL;
		}
	}
	if (nm != NULL)
		snprintf(c->name, sizeof(c->name), "%s", nm);
	else
		snprintf(c->name, sizeof(c->name), "%lu", id);
	c->len = (int)strlen(c->name);
	c->id = id;
	c->valid = 1;
	return c;
}

static const struct idname *user_name(uid_t uid)
{
	static struct idname cache[IDCACHE];
	return id_name(cache, (unsigned long)uid, 1);
}

static const struct idname *group_name(gid_t gid)
{
	static struct idname cache[IDCACHE];
	return id_name(cache, (unsigned long)gid, 0);
}

static int print_name(const char *s)
{
	int n = 0;
	if (!f_nonprint) {
		size_t len = strlen(s);
		fwrite(s, 1, len, stdout);
		return (int)len;
	}
	for (; *s; s++, n++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c >= 0x7f)
			putchar('?');
		else
			putchar(c);
	}
	return n;
}

/* print_name into a buffer (len bytes of s; room for them at p). */
static char *put_name(char *p, const char *s, size_t len)
{
	size_t i;
	if (!f_nonprint) {
		memcpy(p, s, len);
		return p + len;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		*p++ = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
	}
	return p;
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
		const struct entry *e = l->v[i];
		int n;
		n = (int)e->namelen;
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
		if ((n = user_name(e->st.st_uid)->len) > w->user)
			w->user = n;
		if ((n = group_name(e->st.st_gid)->len) > w->group)
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

/* The time column (without the space after it); *lenp its length.  The
 * last one is kept: files made together share their date. */
static const char *time_str(const struct stat *sp, int *lenp)
{
	static char buf[64];
	static time_t last;
	static int valid, len;
	long nsec;
	time_t t = key_time(sp, &nsec);
	struct tm *tm;
	const char *f;

	if (valid && t == last) {
		*lenp = len;
		return buf;
	}
	tm = localtime(&t);
	if (f_sectime)
		f = "%b %e %H:%M:%S %Y";
	else if (t + SIXMONTHS > now && t - SIXMONTHS < now)
		f = "%b %e %H:%M";
	else
		f = "%b %e  %Y";
	if (tm == NULL || strftime(buf, sizeof(buf), f, tm) == 0)
		snprintf(buf, sizeof(buf), "%lld", (long long)t);
	len = (int)strlen(buf);
	last = t;
	valid = 1;
	*lenp = len;
	return buf;
}

/*
 * One line per entry, as NetBSD's ls prints it:
 *	[inode ][blocks ]mode  links owner  group  size date name[ -> target]
 * (printf("%s %*lu %-*s  %-*s  %*lld %s ") and the name), built in one
 * buffer, many lines to one fwrite.
 */
#define LONG_FIXED 512	/* [inode ][blocks ]mode links owner group size date: at most */
static void print_long(const struct list *l, const struct widths *w)
{
	/* lines are gathered here and handed to stdio a buffer at a time
	 * (on the stack: a static one would grow the data segment, which a
	 * guest with little memory may not have room for) */
	char out[4096];
	size_t i, olen = 0;

	for (i = 0; i < l->n; i++) {
		const struct entry *e = l->v[i];
		const struct stat *sp = &e->st;
		const struct idname *u, *g;
		const char *ts;
		char *p;
		char c;
		int tlen;

		if (!e->have_st)
			continue;
		/* room for the longest fixed part (LONG_FIXED), the name, its
		 * -F mark and the newline */
		if (sizeof(out) - olen < LONG_FIXED + e->namelen + 2) {
			fwrite(out, 1, olen, stdout);
			olen = 0;
		}
		p = out + olen;
		if (f_inode) {
			p = put_unum(p, (unsigned long long)sp->st_ino, w->inode);
			*p++ = ' ';
		}
		if (f_size) {
			p = put_unum(p, blocks_of((unsigned long long)sp->st_blocks), w->block);
			*p++ = ' ';
		}
		modestr(sp->st_mode, p);
		p += 11;
		*p++ = ' ';
		p = put_unum(p, (unsigned long long)sp->st_nlink, w->nlink);
		*p++ = ' ';
		u = user_name(sp->st_uid);
		p = put_left(p, u->name, u->len, w->user);
		*p++ = ' ';
		*p++ = ' ';
		g = group_name(sp->st_gid);
		p = put_left(p, g->name, g->len, w->group);
		*p++ = ' ';
		*p++ = ' ';
		if (S_ISCHR(sp->st_mode) || S_ISBLK(sp->st_mode)) {
			unsigned long long d = (unsigned long long)sp->st_rdev;
			p = put_unum(p, dev_major(d), w->major);
			*p++ = ',';
			*p++ = ' ';
			p = put_unum(p, dev_minor(d), w->minor);
		} else
			p = put_snum(p, (long long)sp->st_size, w->size);
		*p++ = ' ';
		ts = time_str(sp, &tlen);
		memcpy(p, ts, (size_t)tlen);
		p += tlen;
		*p++ = ' ';
		/* the name (in the buffer when it fits: a name longer than the
		 * whole buffer goes through stdio after the line so far) */
		if ((size_t)(out + sizeof(out) - p) >= e->namelen + 2)
			p = put_name(p, e->name, e->namelen);
		else {
			fwrite(out, 1, (size_t)(p - out), stdout);
			p = out;
			print_name(e->name);
		}
		if ((f_type || f_typedir) && (c = type_char(e)) != 0)
			*p++ = c;
		if (S_ISLNK(sp->st_mode)) {
			char target[PATH_MAX + 1];
			int owned;
			char *path = entry_path(l, e, &owned);
			ssize_t n = readlink(path, target, sizeof(target) - 1);

			fwrite(out, 1, (size_t)(p - out), stdout);
			p = out;
			if (n < 0) {
				putchar('\n');
				warn("%s", path);
				rval = 1;
				if (owned)
					free(path);
				olen = 0;
				continue;
			}
			if (owned)
				free(path);
			target[n] = '\0';
			printf(" -> ");
			print_name(target);
		}
		*p++ = '\n';
		olen = (size_t)(p - out);
	}
	fwrite(out, 1, olen, stdout);
}

static void print_single(const struct list *l, const struct widths *w)
{
	size_t i;
	for (i = 0; i < l->n; i++) {
		print_short(l->v[i], w);
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
			n = print_short(l->v[idx], w);
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
		int n = print_short(l->v[i], w);
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
		const struct entry *e = l->v[i];
		int len = (int)e->namelen + ((f_type || f_typedir) &&
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

/* stat (follow) or lstat of path, from the directory open on dfd when it
 * is relative (AT_FDCWD: the current one). */
static int do_stat(int dfd, const char *path, struct stat *sp, int follow)
{
	if (follow) {
		if (fstatat(dfd, path, sp, 0) == 0)
			return 0;
		/* a dangling link is still listed, as the link */
		if (errno == ENOENT && fstatat(dfd, path, sp, AT_SYMLINK_NOFOLLOW) == 0)
			return 0;
		return -1;
	}
	return fstatat(dfd, path, sp, AT_SYMLINK_NOFOLLOW);
}

static void list_dir(const char *path, int header);

static void list_dir(const char *path, int header)
{
	DIR *d;
	struct dirent *de;
	struct list l = { NULL, 0, 0, NULL, NULL };
	size_t i;
	int dfd;

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
	l.dir = path;
	dfd = dirfd(d);
	while ((de = readdir(d)) != NULL) {
		struct entry *e;
		const char *nm = de->d_name;
		if (nm[0] == '.') {
			if (!f_all && !f_almost)
				continue;
			if (!f_all && (nm[1] == '\0' ||
			    (nm[1] == '.' && nm[2] == '\0')))
				continue;
		}
		e = list_new(&l, nm, NAMLEN(de));
		if (need_stat) {
			/* by name, from the directory itself (as fts does from
			 * inside it): no path to build, one component to look up */
			if (do_stat(dfd, e->name, &e->st, f_follow) < 0) {
				int owned;
				char *p = entry_path(&l, e, &owned);
				fflush(stdout);
				warn("%s", p);
				rval = 1;
				if (owned)
					free(p);
				list_drop_last(&l);
				continue;
			}
			e->have_st = 1;
			e->is_dir = S_ISDIR(e->st.st_mode);
		}
	}
	closedir(d);

	sort_list(&l);
	display(&l, 1);
	if (f_recursive) {
		for (i = 0; i < l.n; i++) {
			const char *nm = l.v[i]->name;
			int owned;
			char *sub;
			if (!l.v[i]->is_dir)
				continue;
			if (nm[0] == '.' && (nm[1] == '\0' ||
			    (nm[1] == '.' && nm[2] == '\0')))
				continue;
			sub = entry_path(&l, l.v[i], &owned);
			list_dir(sub, 1);
			if (owned)
				free(sub);
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
	struct list files = { NULL, 0, 0, NULL, NULL }, dirs = { NULL, 0, 0, NULL, NULL };
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
		struct stat st;
		struct entry *e;
		int is_dir;
		if (ops[i][0] == '\0') {
			warnx("%s: %s", "fts_open", strerror(ENOENT));
			rval = 1;
			continue;
		}
		if (do_stat(AT_FDCWD, ops[i], &st, follow_ops) < 0) {
			warn("%s", ops[i]);
			rval = 1;
			continue;
		}
		is_dir = S_ISDIR(st.st_mode) && !f_listdir;
		e = list_new(is_dir ? &dirs : &files, ops[i], strlen(ops[i]));
		e->st = st;
		e->have_st = 1;
		e->is_dir = is_dir;
	}
	sort_list(&files);
	sort_list(&dirs);
	if (files.n > 0)
		display(&files, 0);
	for (i = 0; i < (int)dirs.n; i++)
		list_dir(dirs.v[i]->name, nops > 1);
	list_free(&files);
	list_free(&dirs);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		warn("stdout");
		rval = 1;
	}
	return rval;
}
