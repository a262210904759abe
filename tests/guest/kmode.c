/*
 * kmode -- partial kernelware (kw86 system calls 510/511) for
 * tests/test_nbsd_kernelmode.py.
 *
 *   kmode count N     getpid in user mode, switch to kernel mode, getpid N
 *                     times (by the call gate), switch back, getpid; nothing is
 *                     printed in kernel mode, so the gate count is exactly N + 1
 *   kmode signal      a SIGUSR1 handler runs in kernel mode after a switch: sent
 *                     by the process itself (at the gate's return) and by a child
 *                     while the parent spins at CPL 0 (preempted by the timer)
 *   kmode fork        fork after a switch: the child is in kernel mode too
 *   kmode exec        execve after a switch: the new image starts in kernel mode
 *   kmode int80       switch back by int $0x80 at CPL 0 (a short frame)
 *   kmode pingpong N  N round trips, the mode checked after each
 *   kmode perm        one switch attempt; prints its result and errno
 *
 * Each prints "ok NAME" lines or "FAIL NAME ..." and exits 0 when all is well.
 */
#include <errno.h>
#include <kernelware.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int failures;

static void
check(int cond, const char *name, long info)
{
	if (cond)
		printf("ok %s\n", name);
	else {
		printf("FAIL %s %ld errno %d\n", name, info, errno);
		failures++;
	}
	fflush(stdout);
}

static int
count(int n)
{
	pid_t p0, p1, p2, bad = 0;
	int i, r1, r2, k1, k2;

	p0 = getpid();
	r1 = switch_to_kernel_mode();
	k1 = in_kernel_mode();
	for (i = 0; i < n; i++)
		if (getpid() != p0)
			bad++;
	p1 = getpid() == p0 ? p0 : -1;	/* (counted: n + 1 calls in all) */
	r2 = switch_to_user_mode();
	k2 = in_kernel_mode();
	p2 = getpid();
	check(r1 == 0 && k1 == 1, "to-kernel", r1);
	check(bad == 0 && p1 == p0, "getpid-in-kernel", bad);
	check(r2 == 0 && k2 == 0, "to-user", r2);
	check(p2 == p0, "getpid-after", p2);
	printf("calls %d\n", n);
	return failures != 0;
}

static volatile sig_atomic_t got_usr1, handler_mode;
static volatile int sink;

static void
on_usr1(int sig)
{
	(void)sig;
	handler_mode = in_kernel_mode() ? 2 : 1;
	got_usr1++;
}

static int
signal_test(void)
{
	struct sigaction sa;
	int status;
	pid_t pid, parent = getpid();

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	check(switch_to_kernel_mode() == 0 && in_kernel_mode(), "to-kernel", 0);
	kill(getpid(), SIGUSR1);
	check(got_usr1 == 1 && handler_mode == 2, "self-signal-in-kernel", handler_mode);
	check(in_kernel_mode(), "still-kernel", 0);
	got_usr1 = 0;
	pid = fork();
	if (pid == 0) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };

		nanosleep(&ts, NULL);
		_exit(kill(parent, SIGUSR1) == 0 ? 0 : 1);
	}
	while (!got_usr1)		/* no system call: only the timer gets us out */
		sink++;
	check(handler_mode == 2 && in_kernel_mode(), "signal-while-spinning", handler_mode);
	check(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0, "child", status);
	check(switch_to_user_mode() == 0 && !in_kernel_mode(), "to-user", 0);
	kill(getpid(), SIGUSR1);
	check(got_usr1 == 2 && handler_mode == 1, "signal-in-user", handler_mode);
	return failures != 0;
}

static int
fork_test(void)
{
	int status, fds[2];
	char c = 0;
	pid_t pid, parent = getpid();

	check(pipe(fds) == 0, "pipe", 0);
	check(switch_to_kernel_mode() == 0 && in_kernel_mode(), "to-kernel", 0);
	pid = fork();
	if (pid == 0) {
		int code = 0;

		if (!in_kernel_mode())
			code |= 1;
		if (getppid() != parent || getpid() == parent)
			code |= 2;
		c = 'k';
		if (write(fds[1], &c, 1) != 1)
			code |= 4;
		if (switch_to_user_mode() != 0 || in_kernel_mode())
			code |= 8;
		_exit(40 + code);
	}
	check(pid > 0, "fork", pid);
	check(in_kernel_mode(), "parent-kernel", 0);
	check(read(fds[0], &c, 1) == 1 && c == 'k', "pipe-from-child", c);
	check(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 40, "child-in-kernel", status);
	check(switch_to_user_mode() == 0 && !in_kernel_mode(), "to-user", 0);
	return failures != 0;
}

static int
exec_test(void)
{
	char *argv[] = { "libctest", "switch", NULL };
	char *envp[] = { NULL };

	check(switch_to_kernel_mode() == 0 && in_kernel_mode(), "to-kernel", 0);
	execve("/usr/tests/kw86/libctest", argv, envp);
	check(0, "execve", errno);
	return 1;
}

static int
int80_test(void)
{
	unsigned int r, sp0, sp1;

	check(switch_to_kernel_mode() == 0 && in_kernel_mode(), "to-kernel", 0);
	__asm__ __volatile__("movl %%esp, %1\n\t"
	    "movl $511, %%eax\n\t"
	    "int $0x80\n\t"
	    "movl %%esp, %2"
	    : "=a"(r), "=r"(sp0), "=r"(sp1) : : "ecx", "edx", "memory", "cc");
	check(r == 0 && !in_kernel_mode(), "int80-to-user", r);
	check(sp0 == sp1, "same-esp", (long)(sp1 - sp0));
	check(getpid() > 0, "getpid", 0);
	return failures != 0;
}

static int
pingpong(int n)
{
	int i, bad = 0;

	for (i = 0; i < n; i++) {
		if (switch_to_kernel_mode() != 0 || !in_kernel_mode())
			bad++;
		if (switch_to_user_mode() != 0 || in_kernel_mode())
			bad++;
	}
	check(bad == 0, "pingpong", bad);
	return failures != 0;
}

int
main(int argc, char *argv[])
{
	const char *what = argc > 1 ? argv[1] : "";

	if (strcmp(what, "count") == 0)
		return count(argc > 2 ? atoi(argv[2]) : 100);
	if (strcmp(what, "signal") == 0)
		return signal_test();
	if (strcmp(what, "fork") == 0)
		return fork_test();
	if (strcmp(what, "exec") == 0)
		return exec_test();
	if (strcmp(what, "int80") == 0)
		return int80_test();
	if (strcmp(what, "pingpong") == 0)
		return pingpong(argc > 2 ? atoi(argv[2]) : 100);
	if (strcmp(what, "perm") == 0) {
		int r = switch_to_kernel_mode();

		printf("perm %d %d %s\n", r, r < 0 ? errno : 0,
		    in_kernel_mode() ? "kernel" : "user");
		return 0;
	}
	fprintf(stderr, "usage: kmode count N|signal|fork|exec|int80|pingpong N|perm\n");
	return 2;
}
