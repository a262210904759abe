/*
 * paths DIR: path handling at and beyond the limits, in DIR (a writable
 * directory whose own path is short; run it with DIR = /d).  Each line: "<case> <result>".
 *   - getcwd into buffers too small (ERANGE, nothing written past the size)
 *     and deep below DIR (a path of 1007 bytes, then one beyond PATH_MAX)
 *   - realpath of a long path with "." and ".." components and symlinks
 *   - readlink into a short buffer (truncated, no NUL, nothing past it)
 *   - mkstemp / mkdtemp templates
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char canary[PATH_MAX + 64];

static int intact(const char *b, size_t from, size_t to)
{
	size_t i;
	for (i = from; i < to; i++)
		if (b[i] != '#')
			return 0;
	return 1;
}

int main(int argc, char *argv[])
{
	const char *dir = argc > 1 ? argv[1] : "/tmp";
	char comp[201], path[PATH_MAX], *r;
	size_t len;
	int i, fd;

	if (chdir(dir) < 0) {
		perror(dir);
		return 1;
	}
	/* getcwd: exact fit, one too small, tiny */
	getcwd(path, sizeof(path));
	len = strlen(path);
	printf("cwd %s\n", path);
	memset(canary, '#', sizeof(canary));
	errno = 0;
	r = getcwd(canary, len);
	printf("getcwd short %s %d %s\n", r ? "ptr" : "NULL", errno,
	    intact(canary, len, sizeof(canary)) ? "intact" : "OVERRUN");
	memset(canary, '#', sizeof(canary));
	r = getcwd(canary, len + 1);
	printf("getcwd exact %s %s\n", r ? canary : "NULL",
	    intact(canary, len + 1, sizeof(canary)) ? "intact" : "OVERRUN");
	errno = 0;
	r = getcwd(canary, 0);
	printf("getcwd zero %s %d\n", r ? "ptr" : "NULL", errno);

	/* a chain of 200-byte components down to ~1000 bytes */
	memset(comp, 'd', 200);
	comp[200] = '\0';
	for (i = 0; i < 5; i++) {
		if (mkdir(comp, 0755) < 0 && errno != EEXIST) {
			perror("mkdir");
			return 1;
		}
		if (chdir(comp) < 0) {
			perror("chdir");
			return 1;
		}
	}
	r = getcwd(path, sizeof(path));
	printf("deep %s %zu\n", r ? "ok" : "NULL", r ? strlen(path) : 0);
	symlink("..", "up");
	r = realpath("./up/./up/../" "dddd", path);  /* does not exist */
	printf("realpath missing %s %d\n", r ? r : "NULL", errno);
	snprintf(canary, sizeof(canary), "up/./%s/up/../%s", comp, comp);
	r = realpath(canary, path);
	printf("realpath up %s %zu\n", r ? "ok" : "NULL", r ? strlen(path) : 0);
	errno = 0;
	memset(comp, 'e', 200);
	r = realpath(comp, path);
	printf("realpath too long %s %d\n", r ? "ptr" : "NULL", errno);
	/* one more component would pass PATH_MAX */
	errno = 0;
	if (mkdir(comp, 0755) == 0 && chdir(comp) == 0) {
		r = getcwd(path, sizeof(path));
		printf("too deep getcwd %s %d\n", r ? "ptr" : "NULL", errno);
		chdir("..");
	} else
		printf("too deep mkdir %d\n", errno);
	chdir(dir);

	/* readlink into a short buffer */
	symlink("0123456789", "l10");
	memset(canary, '#', sizeof(canary));
	printf("readlink %zd ", readlink("l10", canary, 4));
	printf("%.4s %s\n", canary, intact(canary, 4, 64) ? "intact" : "OVERRUN");

	/* temporary files */
	{
		char t[] = "tmpXXXXXX", dt[] = "dirXXXXXX";
		struct stat st;
		fd = mkstemp(t);
		fstat(fd, &st);
		printf("mkstemp %s %d %o\n", strncmp(t, "tmp", 3) == 0 &&
		    strcmp(t, "tmpXXXXXX") != 0 ? "named" : t, fd >= 0,
		    (unsigned)(st.st_mode & 0777));
		close(fd);
		unlink(t);
		r = mkdtemp(dt);
		stat(dt, &st);
		printf("mkdtemp %s %o\n", r && strcmp(dt, "dirXXXXXX") ? "named" : "NULL",
		    (unsigned)(st.st_mode & 0777));
		rmdir(dt);
	}
	return 0;
}
