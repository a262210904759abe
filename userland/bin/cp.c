/*
 * cp -- copy files (kw86 userland, written from cp(1) of NetBSD and POSIX;
 * no source of any other cp was used).
 *
 *   cp [-R [-H | -L | -P]] [-f | -i] [-alpv] source_file target_file
 *   cp [-R [-H | -L | -P]] [-f | -i] [-alpv] source_file ... target_directory
 *
 * -R copies directories recursively and copies symbolic links as links (-P,
 * the default with -R); -H follows links named on the command line, -L all
 * links.  Without -R links are followed and directories refused
 * ("cp: d is a directory (not copied).").  -p keeps times, owner and mode;
 * -f removes a target it cannot open; -i asks before overwriting; -l makes
 * hard links instead of copying files; -v names each copy; -a is -RpP.
 *
 * This is the program of the paper's cp experiment.  All file data moves
 * through copy_data(), a read/write loop over one COPY_BUFSIZE buffer: the
 * kernelware variant replaces that one function by a buffer-cache to
 * buffer-cache copy done in the kernel.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <dirent.h>
#include <errno.h>
#include <err.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if __has_include(<kernelware.h>)	/* kw86's libc (a host build has no kernel path) */
#define KAPI_DYNAMIC	/* kernel symbols filled in at exec: no relink per kernel */
#include <kernelware.h>
#include <sys/kapi.h>
#endif

/* Size of the data buffer of copy_data(): 64 KiB, as in the paper. */
#define COPY_BUFSIZE (64 * 1024)

static int Rflag, fflag, iflag, lflag, pflag, vflag;
static enum { LINKS_NONE, LINKS_CMDLINE, LINKS_ALL } follow = LINKS_NONE;
static int rval;

static void usage(void)
{
	fprintf(stderr,
	    "usage: cp [-R [-H | -L | -P]] [-f | -i] [-alpv] src target\n"
	    "       cp [-R [-H | -L | -P]] [-f | -i] [-alpv] src1 ... srcN directory\n");
	exit(1);
}

/*
 * Copy all the data of `from' (named fromname) to `to' (named toname), both
 * open, `to' positioned at its start.  Returns 0, or -1 after a message.
 * size is the source's size (what the kernel-side copy copies).
 */
static int copy_data(int from, int to, const char *fromname,
    const char *toname, off_t size)
{
	static char buf[COPY_BUFSIZE];
	ssize_t nr, nw, off;
	int ok = 0;

	/* A kernelware with the kernel API (exec fills its table whole or not at all) copies
	 * buffer cache to buffer cache; else, or if that fails, read/write. */
#if __has_include(<kernelware.h>) && !defined(CP_CALLS_ONLY)	/* cp_calls: the paper's cp */
	struct file *ff, *tf;
	struct buf *sb, *db;
	off_t pos;
	int bs = 8192;			/* the file systems' block size (newfs -b 8192) */

	if (in_kernel_mode() && size > 0 && __kapi_curproc != NULL &&
	    getvnode(curproc->p_fd, from, &ff) == 0 && getvnode(curproc->p_fd, to, &tf) == 0)
		for (pos = 0, ok = 1; ok && pos < size; pos += bs) {
			if ((ok = bread(ff->f_data, pos / bs, bs, NOCRED, &sb) == 0 &&
			    (db = getblk(tf->f_data, pos / bs, bs, 0, 0)) != NULL)) {
				db->b_bcount = size - pos < bs ? (long)(size - pos) : bs;
				memcpy(db->b_data, sb->b_data, db->b_bcount);
				ok = bwrite(db) == 0;
				brelse(sb);
			}
		}
#else
	(void)size;
#endif
	if (ok)
		return 0;
	while ((nr = read(from, buf, sizeof(buf))) > 0) {
		for (off = 0; off < nr; off += nw) {
			nw = write(to, buf + off, (size_t)(nr - off));
			if (nw < 0) {
				warn("%s", toname);
				return -1;
			}
		}
	}
	if (nr < 0) {
		warn("%s", fromname);
		return -1;
	}
	return 0;
}

static char *pathjoin(const char *dir, const char *name)
{
	size_t dl = strlen(dir), nl = strlen(name);
	char *p = malloc(dl + nl + 2);

	if (p == NULL)
		err(1, NULL);
	memcpy(p, dir, dl);
	if (dl > 0 && dir[dl - 1] != '/')
		p[dl++] = '/';
	memcpy(p + dl, name, nl + 1);
	return p;
}

/* Last component of a path, ignoring trailing slashes; returned in a
 * malloc'd string. */
static char *last_component(const char *path)
{
	size_t len = strlen(path), start;
	char *p;

	while (len > 1 && path[len - 1] == '/')
		len--;
	start = len;
	while (start > 0 && path[start - 1] != '/')
		start--;
	if (start == len)	/* "/" */
		start = 0;
	p = malloc(len - start + 1);
	if (p == NULL)
		err(1, NULL);
	memcpy(p, path + start, len - start);
	p[len - start] = '\0';
	return p;
}

/* Ask before overwriting; returns nonzero when the answer starts with y. */
static int ask_overwrite(const char *to)
{
	int ch, first;

	fprintf(stderr, "overwrite %s? ", to);
	fflush(stderr);
	first = ch = getchar();
	while (ch != '\n' && ch != EOF)
		ch = getchar();
	return first == 'y' || first == 'Y';
}

/* Apply -p: times, owner, mode.  fd >= 0 for an open regular file. */
static int set_attrs(const struct stat *fs, int fd, const char *to, int islink)
{
	struct timeval tv[2];
	mode_t mode = fs->st_mode & 07777;
	int rv = 0;

	if (!islink) {
		tv[0].tv_sec = fs->st_atime;
		tv[0].tv_usec = 0;
		tv[1].tv_sec = fs->st_mtime;
		tv[1].tv_usec = 0;
		if (fd >= 0 ? futimes(fd, tv) : utimes(to, tv)) {
			warn("utimes: %s", to);
			rv = 1;
		}
	}
	/* Keep setuid/setgid only if the owner could be kept too. */
	if (islink ? lchown(to, fs->st_uid, fs->st_gid)
	    : chown(to, fs->st_uid, fs->st_gid)) {
		if (errno != EPERM) {
			warn("chown: %s", to);
			rv = 1;
		}
		mode &= ~(S_ISUID | S_ISGID);
	}
	if (!islink && (fd >= 0 ? fchmod(fd, mode) : chmod(to, mode))) {
		warn("chmod: %s", to);
		rv = 1;
	}
	return rv;
}

static void copy(const char *from, const char *to, int cmdline);

static int copy_file(const char *from, const struct stat *fs, const char *to)
{
	struct stat ts;
	int fromfd, tofd, exists, rv = 0;

	exists = stat(to, &ts) == 0;
	if (exists && ts.st_dev == fs->st_dev && ts.st_ino == fs->st_ino) {
		warnx("%s and %s are identical (not copied).", from, to);
		return 1;
	}
	if (exists && iflag && !ask_overwrite(to))
		return 0;
	if (lflag) {
		/* -l: a hard link instead of a copy */
		if (exists && unlink(to) < 0) {
			warn("%s", to);
			return 1;
		}
		if (link(from, to) < 0) {
			warn("%s", to);
			return 1;
		}
		if (vflag)
			printf("%s -> %s\n", from, to);
		return 0;
	}
	if ((fromfd = open(from, O_RDONLY)) < 0) {
		warn("%s", from);
		return 1;
	}
	if (exists) {
		tofd = open(to, O_WRONLY | O_TRUNC);
		if (tofd < 0 && fflag) {
			(void)unlink(to);
			tofd = open(to, O_WRONLY | O_CREAT | O_TRUNC,
			    fs->st_mode & ~(S_ISUID | S_ISGID) & 07777);
		}
	} else
		tofd = open(to, O_WRONLY | O_CREAT | O_TRUNC,
		    fs->st_mode & ~(S_ISUID | S_ISGID) & 07777);
	if (tofd < 0) {
		warn("%s", to);
		close(fromfd);
		return 1;
	}
	if (copy_data(fromfd, tofd, from, to, fs->st_size) < 0)
		rv = 1;
	if (pflag && set_attrs(fs, tofd, to, 0))
		rv = 1;
	(void)close(fromfd);
	if (close(tofd) < 0) {
		warn("%s", to);
		rv = 1;
	}
	if (rv == 0 && vflag)
		printf("%s -> %s\n", from, to);
	return rv;
}

static int copy_link(const char *from, const struct stat *fs, const char *to)
{
	char target[PATH_MAX + 1];
	struct stat ts;
	ssize_t n;

	if ((n = readlink(from, target, sizeof(target) - 1)) < 0) {
		warn("readlink: %s", from);
		return 1;
	}
	target[n] = '\0';
	if (lstat(to, &ts) == 0) {
		if (iflag && !ask_overwrite(to))
			return 0;
		if (S_ISDIR(ts.st_mode)) {
			errno = EISDIR;
			warn("%s", to);
			return 1;
		}
		if (unlink(to) < 0) {
			warn("unlink: %s", to);
			return 1;
		}
	}
	if (symlink(target, to) < 0) {
		warn("symlink: %s", target);
		return 1;
	}
	if (pflag && set_attrs(fs, -1, to, 1))
		return 1;
	if (vflag)
		printf("%s -> %s\n", from, to);
	return 0;
}

/*
 * Directories this run has created, so that copying a directory into itself
 * (cp -R d d/sub) does not descend into its own growing copy.
 */
static struct made { dev_t dev; ino_t ino; } *made;
static size_t nmade, capmade;

static void remember_made(const struct stat *st)
{
	if (nmade == capmade) {
		struct made *nv;
		capmade = capmade ? 2 * capmade : 16;
		if ((nv = realloc(made, capmade * sizeof(*nv))) == NULL)
			err(1, NULL);
		made = nv;
	}
	made[nmade].dev = st->st_dev;
	made[nmade].ino = st->st_ino;
	nmade++;
}

static int was_made(const struct stat *st)
{
	size_t i;

	for (i = 0; i < nmade; i++)
		if (made[i].dev == st->st_dev && made[i].ino == st->st_ino)
			return 1;
	return 0;
}

/* -R: a FIFO or a device is created anew, as NetBSD's cp does. */
static int copy_special(const char *from, const struct stat *fs, const char *to)
{
	struct stat ts;

	if (lstat(to, &ts) == 0) {
		if (iflag && !ask_overwrite(to))
			return 0;
		if (unlink(to) < 0) {
			warn("unlink: %s", to);
			return 1;
		}
	}
	if (S_ISFIFO(fs->st_mode)) {
		if (mkfifo(to, fs->st_mode & 07777) < 0) {
			warn("mkfifo: %s", to);
			return 1;
		}
	} else if (mknod(to, fs->st_mode, fs->st_rdev) < 0) {
		warn("mknod: %s", to);
		return 1;
	}
	if (pflag && set_attrs(fs, -1, to, 0))
		return 1;
	if (vflag)
		printf("%s -> %s\n", from, to);
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int copy_dir(const char *from, const struct stat *fs, const char *to)
{
	struct stat ts;
	DIR *d;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	int created = 0, rv = 0;

	if (stat(to, &ts) == 0) {
		if (!S_ISDIR(ts.st_mode)) {
			errno = ENOTDIR;
			warn("%s", to);
			return 1;
		}
	} else {
		/* Owner rwx while filling it; the final mode comes after. */
		if (mkdir(to, (fs->st_mode & 07777) | S_IRWXU) < 0) {
			warn("%s", to);
			return 1;
		}
		created = 1;
		if (stat(to, &ts) < 0) {
			warn("%s", to);
			return 1;
		}
		remember_made(&ts);
	}
	if (vflag)
		printf("%s -> %s\n", from, to);
	if ((d = opendir(from)) == NULL) {
		warn("%s", from);
		return 1;
	}
	while ((de = readdir(d)) != NULL) {
		const char *nm = de->d_name;
		if (nm[0] == '.' && (nm[1] == '\0' ||
		    (nm[1] == '.' && nm[2] == '\0')))
			continue;
		if (n == cap) {
			char **nv;
			cap = cap ? cap * 2 : 32;
			if ((nv = realloc(names, cap * sizeof(*nv))) == NULL)
				err(1, NULL);
			names = nv;
		}
		if ((names[n] = malloc(strlen(nm) + 1)) == NULL)
			err(1, NULL);
		strcpy(names[n++], nm);
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_names);
	for (i = 0; i < n; i++) {
		char *f = pathjoin(from, names[i]);
		char *t = pathjoin(to, names[i]);
		struct stat cs;
		/* Do not descend into the copy itself (cp -R d d/sub). */
		if (lstat(f, &cs) == 0 && S_ISDIR(cs.st_mode) && was_made(&cs)) {
			warnx("%s: directory causes a cycle", f);
			rv = 1;
		} else
			copy(f, t, 0);
		free(f);
		free(t);
		free(names[i]);
	}
	free(names);
	if (pflag) {
		if (set_attrs(fs, -1, to, 0))
			rv = 1;
	} else if (created) {
		/* The source's mode, not modified by the umask (set-id and
		 * sticky bits included, as NetBSD's cp does). */
		if (chmod(to, fs->st_mode & 07777) < 0) {
			warn("chmod: %s", to);
			rv = 1;
		}
	}
	return rv;
}

/* Copy one source (of any type) to the path `to'. */
static void copy(const char *from, const char *to, int cmdline)
{
	struct stat fs;
	int r, dofollow;

	if (!Rflag)
		dofollow = 1;
	else
		dofollow = follow == LINKS_ALL ||
		    (follow == LINKS_CMDLINE && cmdline);
	r = dofollow ? stat(from, &fs) : lstat(from, &fs);
	if (r < 0) {
		warn("%s", from);
		rval = 1;
		return;
	}
	switch (fs.st_mode & S_IFMT) {
	case S_IFDIR:
		if (!Rflag) {
			warnx("%s is a directory (not copied).", from);
			rval = 1;
			return;
		}
		if (copy_dir(from, &fs, to))
			rval = 1;
		return;
	case S_IFLNK:
		if (copy_link(from, &fs, to))
			rval = 1;
		return;
	case S_IFSOCK:
		warnx("%s: %s", from, strerror(EOPNOTSUPP));
		rval = 1;
		return;
	case S_IFIFO:
	case S_IFCHR:
	case S_IFBLK:
		if (Rflag) {	/* without -R their data is read like a file's */
			if (copy_special(from, &fs, to))
				rval = 1;
			return;
		}
		break;
	}
	if (copy_file(from, &fs, to))
		rval = 1;
}

int main(int argc, char *argv[])
{
	struct stat ts;
	const char *target;
	int ch, i, target_is_dir;

	while ((ch = getopt(argc, argv, "HLPRafilpv")) != -1) {
		switch (ch) {
		case 'H': follow = LINKS_CMDLINE; break;
		case 'L': follow = LINKS_ALL; break;
		case 'P': follow = LINKS_NONE; break;
		case 'R': Rflag = 1; break;
		case 'a': Rflag = 1; pflag = 1; follow = LINKS_NONE; break;
		case 'f': fflag = 1; iflag = 0; break;
		case 'i': iflag = 1; fflag = 0; break;
		case 'l': lflag = 1; break;
		case 'p': pflag = 1; break;
		case 'v': vflag = 1; break;
		default: usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 2)
		usage();

	target = argv[argc - 1];
	target_is_dir = stat(target, &ts) == 0 && S_ISDIR(ts.st_mode);
	if (!target_is_dir) {
		if (argc > 2) {
			errno = ENOTDIR;
			err(1, "%s", target);
		}
		copy(argv[0], target, 1);
	} else {
		for (i = 0; i < argc - 1; i++) {
			char *base = last_component(argv[i]);
			char *to = pathjoin(target, base);
			copy(argv[i], to, 1);
			free(base);
			free(to);
		}
	}
	if (fflush(stdout) == EOF) {
		warn("stdout");
		rval = 1;
	}
	return rval;
}
