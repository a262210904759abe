/*
 * mv -- move files (kw86 userland, written from mv(1) of NetBSD and POSIX).
 *
 *   mv [-f | -i] [-v] source target
 *   mv [-f | -i] [-v] source ... directory
 *
 * A move is a rename(2).  Across file systems (EXDEV) a regular file is
 * copied here and the source removed; anything else (a directory, a link)
 * is copied by running "cp -PRp -- from to" and removed by "rm -rf --
 * from", as NetBSD's mv does.  -i asks before overwriting; so does a target
 * without write permission when standard input is a terminal, unless -f.
 * -v prints "source -> target".
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <errno.h>
#include <err.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define COPY_BUFSIZE (64 * 1024)
#define PATH_CP "/bin/cp"
#define PATH_RM "/bin/rm"

static int fflag, iflag, vflag;

static void usage(void)
{
	fprintf(stderr, "usage: mv [-fiv] source target\n"
	    "       mv [-fiv] source ... directory\n");
	exit(1);
}

static int yes(void)
{
	int ch, first;

	fflush(stderr);
	first = ch = getchar();
	while (ch != '\n' && ch != EOF)
		ch = getchar();
	return first == 'y' || first == 'Y';
}

/* Run one of cp/rm as a child named "mv"; 0 when it exited with 0. */
static int run_tool(const char *path, const char *opts, const char *from,
    const char *to)
{
	pid_t pid;
	int status;

	fflush(stdout);
	if ((pid = fork()) < 0) {
		warn("fork");
		return 1;
	}
	if (pid == 0) {
		if (to != NULL)
			execl(path, "mv", opts, "--", from, to, (char *)NULL);
		else
			execl(path, "mv", opts, "--", from, (char *)NULL);
		warn("%s", path);
		_exit(1);
	}
	if (waitpid(pid, &status, 0) < 0) {
		warn("%s: waitpid", path);
		return 1;
	}
	if (!WIFEXITED(status)) {
		warnx("%s: did not terminate normally", path);
		return 1;
	}
	if (WEXITSTATUS(status) != 0) {
		warnx("%s: terminated with %d (non-zero) status", path,
		    WEXITSTATUS(status));
		return 1;
	}
	return 0;
}

/* Across file systems, not a regular file: cp -PRp, then rm -rf. */
static int copy_tree(const char *from, const char *to)
{
	struct stat st;

	/* an existing (empty) directory target is replaced, as rename would */
	if (lstat(to, &st) == 0 && S_ISDIR(st.st_mode) && rmdir(to) < 0) {
		warn("rmdir %s", to);
		return 1;
	}
	if (run_tool(PATH_CP, vflag ? "-PRpv" : "-PRp", from, to))
		return 1;
	return run_tool(PATH_RM, "-rf", from, NULL);
}

/* Copy a regular file or symlink across file systems, then remove it. */
static int move_across(const char *from, const char *to)
{
	static char buf[COPY_BUFSIZE];
	struct stat st;
	struct timeval tv[2];
	int in, out, rv = 0;
	ssize_t nr, nw, off;

	if (lstat(from, &st) < 0) {
		warn("%s", from);
		return 1;
	}
	if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX + 1];
		ssize_t n = readlink(from, target, sizeof(target) - 1);
		if (n < 0) {
			warn("%s", from);
			return 1;
		}
		target[n] = '\0';
		(void)unlink(to);
		if (symlink(target, to) < 0) {
			warn("%s", to);
			return 1;
		}
	} else if (S_ISREG(st.st_mode)) {
		if ((in = open(from, O_RDONLY)) < 0) {
			warn("%s", from);
			return 1;
		}
		(void)unlink(to);
		if ((out = open(to, O_WRONLY | O_CREAT | O_TRUNC,
		    st.st_mode & 07777)) < 0) {
			warn("%s", to);
			close(in);
			return 1;
		}
		while (rv == 0 && (nr = read(in, buf, sizeof(buf))) != 0) {
			if (nr < 0) {
				warn("%s", from);
				rv = 1;
				break;
			}
			for (off = 0; off < nr; off += nw) {
				if ((nw = write(out, buf + off,
				    (size_t)(nr - off))) < 0) {
					warn("%s", to);
					rv = 1;
					break;
				}
			}
		}
		tv[0].tv_sec = st.st_atime;
		tv[0].tv_usec = 0;
		tv[1].tv_sec = st.st_mtime;
		tv[1].tv_usec = 0;
		(void)futimes(out, tv);
		if (chown(to, st.st_uid, st.st_gid) < 0)
			st.st_mode &= ~(mode_t)(S_ISUID | S_ISGID);
		(void)fchmod(out, st.st_mode & 07777);
		close(in);
		if (close(out) < 0) {
			warn("%s", to);
			rv = 1;
		}
		if (rv) {
			(void)unlink(to);
			return 1;
		}
	} else
		return copy_tree(from, to);
	if (unlink(from) < 0) {
		warn("%s: remove", from);
		return 1;
	}
	return 0;
}

/* rwxr-xr-x with setuid/setgid/sticky letters, as rm's prompt shows. */
static void modebits(mode_t m, char *p)
{
	const char *rwx = "rwxrwxrwx";
	int i;
	for (i = 0; i < 9; i++)
		p[i] = (m & (0400 >> i)) ? rwx[i] : '-';
	if (m & S_ISUID)
		p[2] = (m & S_IXUSR) ? 's' : 'S';
	if (m & S_ISGID)
		p[5] = (m & S_IXGRP) ? 's' : 'S';
	if (m & S_ISVTX)
		p[8] = (m & S_IXOTH) ? 't' : 'T';
	p[9] = '\0';
}

static int do_move(const char *from, const char *to)
{
	struct stat st;

	if (lstat(to, &st) == 0) {
		if (iflag) {
			fprintf(stderr, "overwrite %s? ", to);
			if (!yes())
				return 0;
		} else if (!fflag && isatty(STDIN_FILENO) &&
		    !S_ISLNK(st.st_mode) && access(to, W_OK) < 0) {
			char mb[10], ub[16], gb[16];
			struct passwd *pw = getpwuid(st.st_uid);
			struct group *gr = getgrgid(st.st_gid);
			modebits(st.st_mode, mb);
			snprintf(ub, sizeof(ub), "%lu", (unsigned long)st.st_uid);
			snprintf(gb, sizeof(gb), "%lu", (unsigned long)st.st_gid);
			fprintf(stderr, "override %s %s/%s for %s? ", mb,
			    pw ? pw->pw_name : ub, gr ? gr->gr_name : gb, to);
			if (!yes())
				return 0;
		}
	}
	if (rename(from, to) == 0) {
		if (vflag)
			printf("%s -> %s\n", from, to);
		return 0;
	}
	if (errno == EXDEV) {
		struct stat fs;
		int reg = lstat(from, &fs) == 0 && S_ISREG(fs.st_mode);
		if (move_across(from, to))
			return 1;
		if (vflag && reg)	/* cp -v has named the others */
			printf("%s -> %s\n", from, to);
		return 0;
	}
	warn("rename %s to %s", from, to);
	return 1;
}

static char *target_path(const char *dir, const char *src)
{
	size_t len = strlen(src), start, dl = strlen(dir);
	char *p;

	while (len > 1 && src[len - 1] == '/')
		len--;
	start = len;
	while (start > 0 && src[start - 1] != '/')
		start--;
	p = malloc(dl + (len - start) + 2);
	if (p == NULL)
		err(1, NULL);
	memcpy(p, dir, dl);
	if (dl > 0 && dir[dl - 1] != '/')
		p[dl++] = '/';
	memcpy(p + dl, src + start, len - start);
	p[dl + len - start] = '\0';
	return p;
}

int main(int argc, char *argv[])
{
	struct stat st;
	int ch, i, rval = 0;
	const char *target;

	while ((ch = getopt(argc, argv, "fiv")) != -1) {
		switch (ch) {
		case 'f': fflag = 1; iflag = 0; break;
		case 'i': iflag = 1; fflag = 0; break;
		case 'v': vflag = 1; break;
		default: usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 2)
		usage();
	target = argv[argc - 1];
	if (stat(target, &st) == 0 && S_ISDIR(st.st_mode)) {
		for (i = 0; i < argc - 1; i++) {
			char *to = target_path(target, argv[i]);
			rval |= do_move(argv[i], to);
			free(to);
		}
	} else {
		if (argc > 2) {
			errno = ENOTDIR;
			err(1, "%s", target);
		}
		rval = do_move(argv[0], target);
	}
	if (fflush(stdout) == EOF)
		rval = 1;
	return rval;
}
