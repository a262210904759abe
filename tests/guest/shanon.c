/*
 * shanon -- MAP_SHARED|MAP_ANON memory is shared across fork, MAP_PRIVATE
 * is not (tests/test_nbsd_shared_anon.py).  Prints "ok N" per check,
 * "FAIL ..." on a wrong result, then "done".
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static int n, bad;

static void
check(int cond, const char *what)
{
	n++;
	if (cond)
		printf("ok %d %s\n", n, what);
	else {
		printf("FAIL %d %s\n", n, what);
		bad++;
	}
}

static int
child_status(pid_t c)
{
	int st = -1;
	while (waitpid(c, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int
main(void)
{
	size_t big = 16 << 20;
	volatile int *sh = mmap(0, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANON, -1, 0);
	volatile int *pv = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANON, -1, 0);
	volatile char *lg = mmap(0, big, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANON, -1, 0);
	pid_t c;
	int i, zero = 1;

	check(sh != MAP_FAILED && pv != MAP_FAILED && lg != MAP_FAILED, "mmap");
	for (i = 0; i < 3 * 1024; i++)
		zero &= sh[i] == 0;
	check(zero, "shared anonymous memory starts zeroed");
	sh[0] = 1;              /* touched before the fork */
	pv[0] = 1;
	c = fork();
	if (c == 0) {
		sh[0] = 42;
		sh[1024] = 43;  /* a page the parent never touched */
		sh[3 * 1024 - 1] = 44;
		pv[0] = 99;
		lg[big - 1] = 7;
		lg[big / 2] = 8;
		_exit(sh[0] == 42 ? 0 : 1);
	}
	check(child_status(c) == 0, "child wrote");
	check(sh[0] == 42 && sh[1024] == 43 && sh[3 * 1024 - 1] == 44,
	    "the parent sees the child's stores");
	check(pv[0] == 1, "a private mapping stays private");
	check(lg[big - 1] == 7 && lg[big / 2] == 8 && lg[0] == 0, "16 MiB mapping, sparse stores");
	/* the other way, and a grandchild */
	sh[2] = 5;
	c = fork();
	if (c == 0) {
		pid_t g;
		if (sh[2] != 5)
			_exit(1);
		g = fork();
		if (g == 0) {
			sh[3] = 6;
			_exit(0);
		}
		if (child_status(g) != 0 || sh[3] != 6)
			_exit(2);
		munmap((void *)sh, 3 * 4096);   /* the parent's mapping stays */
		_exit(0);
	}
	check(child_status(c) == 0, "the child sees the parent's store, the grandchild's too");
	check(sh[3] == 6 && sh[0] == 42, "still mapped after the child's munmap");
	/* a lock-step ping-pong through shared memory, with sched_yield */
	c = fork();
	if (c == 0) {
		for (i = 0; i < 50; i++) {
			while (sh[10] != 2 * i + 1)
				sched_yield();
			sh[10] = 2 * i + 2;
		}
		_exit(0);
	}
	for (i = 0; i < 50; i++) {
		sh[10] = 2 * i + 1;
		while (sh[10] != 2 * i + 2)
			sched_yield();
	}
	check(child_status(c) == 0 && sh[10] == 100, "ping-pong through shared memory");
	check(munmap((void *)sh, 3 * 4096) == 0 && munmap((void *)lg, big) == 0, "munmap");
	printf("done\n");
	return bad != 0;
}
