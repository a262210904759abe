/*
 * shanon -- MAP_SHARED|MAP_ANON memory is shared across fork, MAP_PRIVATE
 * is not; a page wholly past the end of a mapped file is SIGBUS; MAP_SHARED
 * with MAP_PRIVATE is EINVAL (tests/test_nbsd_shared_anon.py).  Prints
 * "ok N" per check, "FAIL ..." on a wrong result, then "done".
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
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

static sigjmp_buf jb;
static volatile int gotsig, gotcode;

static void
on_fault(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	gotsig = sig;
	gotcode = si->si_code;
	siglongjmp(jb, 1);
}

static void
file_checks(void)
{
	struct sigaction sa;
	int fd = open("/tmp/shanon.dat", O_RDWR | O_CREAT | O_TRUNC, 0600);
	volatile char *p;

	check(fd >= 0 && ftruncate(fd, 100) == 0, "a 100-byte file");
	errno = 0;
	check(mmap(0, 4096, PROT_READ, MAP_SHARED | MAP_PRIVATE, fd, 0) == MAP_FAILED &&
	    errno == EINVAL, "MAP_SHARED|MAP_PRIVATE: EINVAL");
	p = mmap(0, 2 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	check(p != MAP_FAILED, "mmap two pages of it");
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGBUS, &sa, 0);
	sigaction(SIGSEGV, &sa, 0);
	if (sigsetjmp(jb, 1) == 0) {
		p[50] = 'x';            /* inside the file */
		p[200] = 'y';           /* past its end, same page: zeros, no signal */
		p[4096 + 1] = 'z';      /* a whole page past the end */
	}
	check(gotsig == SIGBUS && gotcode == 2 /* BUS_ADRERR */,
	    "a store a whole page past the end of the file: SIGBUS, BUS_ADRERR");
	gotsig = 0;
	if (sigsetjmp(jb, 1) == 0)
		(void)*(volatile char *)(p + 4096);
	check(gotsig == SIGBUS, "a load there too");
	munmap((void *)p, 2 * 4096);
	close(fd);
	unlink("/tmp/shanon.dat");
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
	file_checks();
	printf("done\n");
	return bad != 0;
}
