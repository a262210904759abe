/*
 * pwd -- print the working directory (kw86 userland, from pwd(1) of NetBSD):
 *   -P  the physical path, symbolic links resolved (getcwd(3)); the default
 *   -L  $PWD, if it is an absolute path with no "." or ".." component that
 *       names the current directory (same device and inode); otherwise -P
 * The last of -L/-P given wins.  Exit 0 on success, 1 on an error.
 */
#include <err.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void usage(void)
{
	fprintf(stderr, "usage: pwd [-LP]\n");
	exit(1);
}

/* $PWD if it is a usable logical name of ".", else NULL */
static const char *logical(void)
{
	const char *p = getenv("PWD");
	const char *c;
	struct stat a, b;

	if (p == NULL || p[0] != '/')
		return NULL;
	for (c = p; *c != '\0'; c++) {
		if (c[0] != '/' || c[1] != '.')
			continue;
		if (c[2] == '/' || c[2] == '\0')
			return NULL;
		if (c[2] == '.' && (c[3] == '/' || c[3] == '\0'))
			return NULL;
	}
	if (stat(p, &a) < 0 || stat(".", &b) < 0)
		return NULL;
	if (a.st_dev != b.st_dev || a.st_ino != b.st_ino)
		return NULL;
	return p;
}

int main(int argc, char *argv[])
{
	char buf[PATH_MAX];
	const char *p = NULL;
	int ch, lflag = 0;

	while ((ch = getopt(argc, argv, "LP")) != -1) {
		switch (ch) {
		case 'L':
			lflag = 1;
			break;
		case 'P':
			lflag = 0;
			break;
		default:
			usage();
		}
	}
	if (argc != optind)
		usage();
	if (lflag)
		p = logical();
	if (p == NULL) {
		if (getcwd(buf, sizeof(buf)) == NULL)
			err(1, ".");
		p = buf;
	}
	printf("%s\n", p);
	if (fflush(stdout) == EOF || ferror(stdout))
		err(1, "stdout");
	return 0;
}
