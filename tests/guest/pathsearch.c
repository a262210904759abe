/*
 * pathsearch.c -- execvp and posix_spawnp search PATH alike (one function in
 * libc, __kw86_pathsearch; tests/test_nbsd_leftovers.py): a directory where
 * the file is not executable (EACCES, the search goes on), an empty element
 * (the current directory), nothing found (ENOENT, or EACCES when one was
 * seen), a '/' in the name (no search), a script without "#!" (execvp runs
 * it with sh; posix_spawnp returns ENOEXEC).  Prints "NAME how result" per
 * case, "done".
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void
put(const char *path, const char *text, int mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	write(fd, text, strlen(text));
	close(fd);
	chmod(path, mode);
}

/* execvp in a child: "exit N" (the program's status) or "errno E" */
static void
via_execvp(const char *name, const char *file)
{
	int p[2], st, e = 0;
	pid_t pid;
	char *argv[] = { (char *)file, NULL };

	pipe(p);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		execvp(file, argv);
		e = errno;
		write(p[1], &e, sizeof e);
		_exit(99);
	}
	close(p[1]);
	if (read(p[0], &e, sizeof e) != sizeof e)
		e = 0;
	close(p[0]);
	waitpid(pid, &st, 0);
	if (e)
		printf("%s execvp errno %d\n", name, e);
	else
		printf("%s execvp exit %d\n", name, WEXITSTATUS(st));
	fflush(stdout);
}

static void
via_spawnp(const char *name, const char *file)
{
	pid_t pid;
	int st, err;
	char *argv[] = { (char *)file, NULL };

	fflush(stdout);
	err = posix_spawnp(&pid, file, NULL, NULL, argv, environ);
	if (err) {
		printf("%s spawnp errno %d\n", name, err);
	} else {
		waitpid(pid, &st, 0);
		printf("%s spawnp exit %d\n", name, WEXITSTATUS(st));
	}
	fflush(stdout);
}

static void
both(const char *name, const char *path, const char *file)
{
	setenv("PATH", path, 1);
	via_execvp(name, file);
	via_spawnp(name, file);
}

int
main(void)
{
	char longname[300];

	mkdir("/tmp/ps", 0755);
	mkdir("/tmp/ps/a", 0755);
	mkdir("/tmp/ps/b", 0755);
	put("/tmp/ps/a/prog", "#!/bin/sh\necho from-a\nexit 1\n", 0644);
	put("/tmp/ps/b/prog", "#!/bin/sh\necho from-b\nexit 7\n", 0755);
	put("/tmp/ps/b/bare", "echo bare-script\nexit 5\n", 0755);
	chdir("/tmp/ps/a");
	both("found-later", "/tmp/ps/a:/tmp/ps/b", "prog");
	both("eacces-only", "/tmp/ps/nowhere:/tmp/ps/a", "prog");
	both("enoent", "/tmp/ps/nowhere:/tmp/ps/b", "nothere");
	both("empty-element", ":/tmp/ps/b", "prog");
	both("slash", "/tmp/ps/nowhere", "../b/prog");
	both("bare-script", "/tmp/ps/b", "bare");
	memset(longname, 'x', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	both("name-too-long", "/tmp/ps/b", longname);
	both("empty-name", "/tmp/ps/b", "");
	printf("done\n");
	return 0;
}
