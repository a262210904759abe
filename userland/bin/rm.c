/*
 * rm -- remove directory entries (kw86 userland, written from rm(1) of
 * NetBSD and POSIX).
 *
 *   rm [-f | -i] [-dPRrvW] file ...
 *
 * -r/-R remove directory trees, -d removes empty directories too, -f never
 * prompts and ignores missing files, -i asks for each file, -v names what
 * is removed.  Without -f, a file without write permission is only
 * removed after asking when standard input is a terminal.  -P and -W are
 * accepted for compatibility and do nothing.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <dirent.h>
#include <errno.h>
#include <err.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int dflag, fflag, iflag, rflag, vflag, stdin_tty;
static int rval;

static void usage(void)
{
	fprintf(stderr, "usage: rm [-f | -i] [-dPRrvW] file ...\n");
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

/* Decide whether to remove `path' (named `name' from the current
 * directory); prints the prompts rm(1) uses. */
static int check(const char *path, const char *name, const struct stat *sp)
{
	if (iflag) {
		fprintf(stderr, "remove %s? ", path);
		return yes();
	}
	if (fflag || !stdin_tty || S_ISLNK(sp->st_mode) ||
	    access(name, W_OK) == 0 || errno != EACCES)
		return 1;
	{
		char mb[10];
		struct passwd *pw = getpwuid(sp->st_uid);
		struct group *gr = getgrgid(sp->st_gid);
		char ub[16], gb[16];
		modebits(sp->st_mode, mb);
		snprintf(ub, sizeof(ub), "%lu", (unsigned long)sp->st_uid);
		snprintf(gb, sizeof(gb), "%lu", (unsigned long)sp->st_gid);
		fprintf(stderr, "override %s %s/%s for %s? ", mb,
		    pw ? pw->pw_name : ub, gr ? gr->gr_name : gb, path);
		return yes();
	}
}

static void removed(const char *path)
{
	if (vflag)
		printf("%s\n", path);
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

/*
 * Remove the tree `path' (for messages), named `name' from the current
 * directory.  The walk goes down with chdir(2) and works with single names,
 * as NetBSD's rm does through fts(3), so that trees deeper than PATH_MAX
 * can be removed; `top' says that `name' is a command-line operand (then
 * the way back is fchdir to the starting directory, else "..", checked).
 */
static void rm_tree(const char *path, const char *name, const struct stat *sp,
    int top)
{
	static int startfd = -1;
	struct stat here;
	DIR *d;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0, i;

	if (iflag) {
		fprintf(stderr, "examine files in directory %s? ", path);
		if (!yes())
			return;
	} else if (!check(path, name, sp))
		return;
	if (top && startfd < 0 && (startfd = open(".", O_RDONLY)) < 0)
		err(1, ".");
	/* the names first: removing while reading could skip entries */
	if ((d = opendir(name)) == NULL) {
		/* as fts's FTS_DNR: reported, and the directory is left */
		if (!fflag || errno != ENOENT) {
			warn("%s", path);
			rval = 1;
		}
		return;
	}
	while ((de = readdir(d)) != NULL) {
		const char *nm = de->d_name;
		if (nm[0] == '.' && (nm[1] == '\0' ||
		    (nm[1] == '.' && nm[2] == '\0')))
			continue;
		if (n == cap) {
			char **nv;
			cap = cap ? 2 * cap : 64;
			if ((nv = realloc(names, cap * sizeof(*nv))) == NULL)
				err(1, NULL);
			names = nv;
		}
		if ((names[n++] = strdup(nm)) == NULL)
			err(1, NULL);
	}
	closedir(d);
	if (chdir(name) < 0) {
		warn("%s", path);
		rval = 1;
		goto free_names;
	}
	if (stat(".", &here) < 0 || here.st_dev != sp->st_dev ||
	    here.st_ino != sp->st_ino)
		errx(1, "%s: changed while being removed", path);
	for (i = 0; i < n; i++) {
		char *child = pathjoin(path, names[i]);
		struct stat cs;
		if (lstat(names[i], &cs) < 0) {
			if (!fflag || errno != ENOENT) {
				warn("%s", child);
				rval = 1;
			}
		} else if (S_ISDIR(cs.st_mode))
			rm_tree(child, names[i], &cs, 0);
		else if (check(child, names[i], &cs)) {
			if (unlink(names[i]) < 0) {
				warn("%s", child);
				rval = 1;
			} else
				removed(child);
		}
		free(child);
	}
	/* back where `name' is valid again */
	if (top) {
		if (fchdir(startfd) < 0)
			err(1, ".");
	} else if (chdir("..") < 0)
		err(1, "%s/..", path);
free_names:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (iflag) {
		fprintf(stderr, "remove %s? ", path);
		if (!yes())
			return;
	}
	if (rmdir(name) < 0) {
		if (!fflag || errno != ENOENT) {
			warn("%s", path);
			rval = 1;
		}
	} else
		removed(path);
}

/* "." and ".." (as the last component) may not be removed. */
static int is_dot(const char *path)
{
	size_t len = strlen(path);
	const char *base;

	while (len > 1 && path[len - 1] == '/')
		len--;
	base = path + len;
	while (base > path && base[-1] != '/')
		base--;
	len -= (size_t)(base - path);
	return (len == 1 && base[0] == '.') ||
	    (len == 2 && base[0] == '.' && base[1] == '.');
}

int main(int argc, char *argv[])
{
	int ch, i;

	while ((ch = getopt(argc, argv, "dfiPRrvW")) != -1) {
		switch (ch) {
		case 'd': dflag = 1; break;
		case 'f': fflag = 1; iflag = 0; break;
		case 'i': iflag = 1; fflag = 0; break;
		case 'P': case 'W': break;
		case 'R': case 'r': rflag = 1; break;
		case 'v': vflag = 1; break;
		default: usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		if (fflag)
			return 0;
		usage();
	}
	stdin_tty = isatty(STDIN_FILENO);

	for (i = 0; i < argc; i++) {
		struct stat st;
		const char *path = argv[i];
		if (is_dot(path)) {
			warnx("\".\" and \"..\" may not be removed");
			rval = 1;
			continue;
		}
		if (lstat(path, &st) < 0) {
			if (!fflag || errno != ENOENT) {
				warn("%s", path);
				rval = 1;
			}
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			if (rflag) {
				rm_tree(path, path, &st, 1);
				continue;
			}
			if (!dflag) {
				warnx("%s: is a directory", path);
				rval = 1;
				continue;
			}
			if (!check(path, path, &st))
				continue;
			if (rmdir(path) < 0) {
				warn("%s", path);
				rval = 1;
			} else
				removed(path);
			continue;
		}
		if (!check(path, path, &st))
			continue;
		if (unlink(path) < 0) {
			warn("%s", path);
			rval = 1;
		} else
			removed(path);
	}
	if (fflush(stdout) == EOF)
		rval = 1;
	return rval;
}
