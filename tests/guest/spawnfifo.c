/*
 * spawnfifo.c -- posix_spawn whose file action must sleep: an open of a
 * FIFO with no other end yet (tests/test_nbsd_leftovers.py).  NetBSD's
 * child sleeps in the open, a process of its own; a parent that does not
 * wait (no POSIX_SPAWN_RETURNERROR / SETPGROUP) has 0 and the pid at once,
 * a waiting one returns when the child exec'd or failed.  One line per
 * check, "done N" (N failures).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;
static int failures;

static void
check(int ok, const char *name, long a, long b)
{
	printf("%s %s (%ld %ld)\n", ok ? "ok" : "FAIL", name, a, b);
	fflush(stdout);
	if (!ok)
		failures++;
}

/* a helper that opens the FIFO for writing after `secs` s and writes msg */
static pid_t
writer(const char *fifo, int secs, const char *msg)
{
	pid_t pid = fork();
	if (pid == 0) {
		int fd;
		sleep(secs);
		fd = open(fifo, O_WRONLY);
		if (fd < 0)
			_exit(5);
		write(fd, msg, strlen(msg));
		close(fd);
		_exit(0);
	}
	return pid;
}

static long
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

int
main(void)
{
	const char *fifo = "/tmp/spawnfifo";
	char *cat[] = { "cat", NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	pid_t pid, w;
	int err, st, fd;
	long t0;

	unlink(fifo);
	if (mkfifo(fifo, 0600) != 0) {
		printf("FAIL mkfifo errno %d\n", errno);
		return 1;
	}

	/* 1: not waiting: 0 and the pid at once, the child asleep in its open */
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, fifo, O_RDONLY, 0);
	t0 = now();
	err = posix_spawn(&pid, "/bin/cat", &fa, NULL, cat, environ);
	check(err == 0 && pid > 0, "nowait-returns", err, pid);
	check(waitpid(pid, &st, WNOHANG) == 0, "nowait-child-asleep", 0, 0);
	fd = open(fifo, O_WRONLY);
	check(fd >= 0, "nowait-peer-open", fd, errno);
	write(fd, "one\n", 4);
	close(fd);
	w = waitpid(pid, &st, 0);
	check(w == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0, "nowait-child-ran", w, st);

	/* 2: POSIX_SPAWN_RETURNERROR: the parent returns once the child exec'd,
	   i.e. after the writer opened the FIFO 2 s later */
	posix_spawnattr_init(&at);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_RETURNERROR);
	w = writer(fifo, 2, "two\n");
	t0 = now();
	err = posix_spawn(&pid, "/bin/cat", &fa, &at, cat, environ);
	check(err == 0 && pid > 0 && now() - t0 >= 2, "wait-returns-after-exec", err, now() - t0);
	check(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "wait-child-ran", st, 0);
	check(waitpid(w, &st, 0) == w && WIFEXITED(st) && WEXITSTATUS(st) == 0, "wait-writer", st, 0);

	/* 3: the same, a later action failing: the parent waits, then gets the
	   error; the child is a zombie with status 127 */
	posix_spawn_file_actions_addopen(&fa, 3, "/nonexistent/x", O_RDONLY, 0);
	w = writer(fifo, 1, "");
	pid = -1;
	t0 = now();
	err = posix_spawn(&pid, "/bin/cat", &fa, &at, cat, environ);
	check(err == ENOENT && pid == -1 && now() - t0 >= 1, "wait-error-after-sleep", err, pid);
	check(waitpid(-1, &st, 0) > 0 && waitpid(-1, &st, 0) > 0, "wait-error-reaped", 0, 0);
	posix_spawn_file_actions_destroy(&fa);

	/* 4: a signal ends the child's sleep: the open fails with EINTR and the
	   child exits 127 (spawn_return's report_error), no signal status */
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, fifo, O_RDONLY, 0);
	err = posix_spawn(&pid, "/bin/cat", &fa, NULL, cat, environ);
	check(err == 0, "signal-spawned", err, 0);
	kill(pid, SIGTERM);
	w = waitpid(pid, &st, 0);
	check(w == pid && WIFEXITED(st) && WEXITSTATUS(st) == 127, "signal-exit-127", w, st);
	/* an ignored signal does not: the child still waits for a writer */
	signal(SIGUSR1, SIG_IGN);
	err = posix_spawn(&pid, "/bin/cat", &fa, NULL, cat, environ);
	kill(pid, SIGUSR1);
	check(err == 0 && waitpid(pid, &st, WNOHANG) == 0, "ignored-signal-waits", err, 0);
	fd = open(fifo, O_WRONLY);
	write(fd, "three\n", 6);
	close(fd);
	w = waitpid(pid, &st, 0);
	check(w == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0, "ignored-signal-ran", w, st);
	posix_spawn_file_actions_destroy(&fa);
	unlink(fifo);
	printf("done %d\n", failures);
	return failures != 0;
}
