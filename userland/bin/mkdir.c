/*
 * mkdir -- make directories (kw86 userland, written from mkdir(1) of
 * NetBSD and POSIX).
 *
 *   mkdir [-p] [-m mode] directory ...
 *
 * -m takes an octal mode or a symbolic one ([ugoa]*[+-=][rwxXst]*, comma
 * separated, starting from a=rwx) and is applied without the umask.  -p
 * creates missing parents (mode u+wx on top of the umask default) and is
 * quiet about directories that already exist.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <errno.h>
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(void)
{
	fprintf(stderr, "usage: mkdir [-p] [-m mode] dirname ...\n");
	exit(1);
}

/* Parse an octal or symbolic mode relative to `base'; -1 if invalid. */
static int parse_mode(const char *s, mode_t base, mode_t umask_bits,
    mode_t *out)
{
	mode_t m = base;

	if (*s >= '0' && *s <= '7') {
		unsigned long v = 0;
		for (; *s >= '0' && *s <= '7'; s++)
			v = v * 8 + (unsigned long)(*s - '0');
		if (*s != '\0' || v > 07777)
			return -1;
		*out = (mode_t)v;
		return 0;
	}
	for (;;) {
		mode_t who = 0, perm = 0;
		int explicit_who = 0;
		char op;
		for (;; s++) {
			if (*s == 'u') who |= S_ISUID | S_IRWXU;
			else if (*s == 'g') who |= S_ISGID | S_IRWXG;
			else if (*s == 'o') who |= S_IRWXO;
			else if (*s == 'a') who |= S_ISUID | S_ISGID | S_IRWXU |
			    S_IRWXG | S_IRWXO;
			else
				break;
			explicit_who = 1;
		}
		if (!explicit_who)
			who = (S_ISUID | S_ISGID | S_IRWXU | S_IRWXG | S_IRWXO) &
			    ~umask_bits;
		if (*s != '+' && *s != '-' && *s != '=')
			return -1;
		while (*s == '+' || *s == '-' || *s == '=') {
			op = *s++;
			perm = 0;
			for (;; s++) {
				if (*s == 'r') perm |= S_IRUSR | S_IRGRP | S_IROTH;
				else if (*s == 'w') perm |= S_IWUSR | S_IWGRP | S_IWOTH;
				else if (*s == 'x' || *s == 'X')
					perm |= S_IXUSR | S_IXGRP | S_IXOTH;
				else if (*s == 's') perm |= S_ISUID | S_ISGID;
				else if (*s == 't') perm |= S_ISVTX;
				else
					break;
			}
			if (op == '+')
				m |= perm & (who | (perm & S_ISVTX));
			else if (op == '-')
				m &= ~(perm & (who | S_ISVTX));
			else {
				m &= ~(explicit_who ? who : (mode_t)07777);
				m |= perm & (who | (perm & S_ISVTX));
			}
		}
		if (*s == '\0')
			break;
		if (*s++ != ',')
			return -1;
	}
	*out = m;
	return 0;
}

/* Create every missing component of path; the last gets `mode'. */
static int mkpath(char *path, mode_t mode, mode_t dir_mode)
{
	struct stat st;
	char *slash = path;

	for (;;) {
		int last;
		slash += strspn(slash, "/");
		slash += strcspn(slash, "/");
		last = slash[strspn(slash, "/")] == '\0';
		*slash = '\0';
		if (mkdir(path, last ? mode : dir_mode) < 0) {
			int e = errno;
			if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
				errno = (e == EEXIST) ? ENOTDIR : e;
				if (e == EEXIST && last)
					errno = EEXIST;
				warn("%s", path);
				if (!last)
					*slash = '/';
				return -1;
			}
		}
		if (last)
			break;
		*slash = '/';
	}
	return 0;
}

int main(int argc, char *argv[])
{
	mode_t mask, mode, dir_mode;
	int ch, pflag = 0, mset = 0, rval = 0, i;
	const char *mstr = NULL;

	mask = umask(0);
	umask(mask);
	while ((ch = getopt(argc, argv, "m:p")) != -1) {
		switch (ch) {
		case 'm': mstr = optarg; mset = 1; break;
		case 'p': pflag = 1; break;
		default: usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		usage();
	mode = 0777 & ~mask;
	if (mset && parse_mode(mstr, 0777, 0, &mode) < 0)
		errx(1, "invalid file mode: %s", mstr);
	dir_mode = (0777 & ~mask) | S_IWUSR | S_IXUSR;

	for (i = 0; i < argc; i++) {
		if (pflag) {
			char *p = malloc(strlen(argv[i]) + 1);
			if (p == NULL)
				err(1, NULL);
			strcpy(p, argv[i]);
			if (mkpath(p, mode, dir_mode) < 0) {
				rval = 1;
				free(p);
				continue;
			}
			free(p);
		} else if (mkdir(argv[i], mode) < 0) {
			warn("%s", argv[i]);
			rval = 1;
			continue;
		}
		/* The umask must not reduce an explicit -m mode. */
		if (mset && chmod(argv[i], mode) < 0) {
			warn("%s", argv[i]);
			rval = 1;
		}
	}
	return rval;
}
