/*
 * ktest -- guest programs for the kernel's end-to-end tests
 * (tests/test_nbsd_e2e.py), one per subcommand so that one compile serves all.
 *
 *   ktest divzero       integer division by zero: killed by SIGFPE
 *   ktest wild          read through a wild pointer: killed by SIGSEGV
 *   ktest segvhandler   a SIGSEGV handler makes the page readable and returns
 *                       (through the trampoline and setcontext); the read is redone
 *   ktest fpehandler    a SIGFPE handler that exits with a status of its own
 *   ktest efault        system calls with wild pointers fail with EFAULT
 *   ktest eintr         a caught signal interrupts a blocking read: EINTR
 *   ktest restart       the same with SA_RESTART: the read is restarted
 *   ktest bigpipe N     one write of N bytes into a pipe returns N (a child reads)
 *   ktest killspin      a child spins with no system call; the parent kills it
 *   ktest spinhandler   the same with a SIGUSR1 handler that ends the spin
 *   ktest suspend       sigpending, sigsuspend (EINTR, the old mask restored)
 *   ktest sleepintr     a caught signal ends nanosleep with EINTR
 *   ktest cow           fork's copy-on-write pages stay private on both sides
 *   ktest bigalloc      malloc and sbrk past physical memory: ENOMEM, no crash
 *   ktest altstack      sigaltstack and SA_ONSTACK
 *   ktest jobctl        SIGSTOP/SIGTSTP/SIGCONT, WUNTRACED, WCONTINUED
 *
 * Each prints "ok NAME" lines or "FAIL NAME ..." and exits 0 when all is well.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
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

static volatile int zero;
static volatile int sink;

static int
divzero(void)
{
	printf("dividing\n");
	fflush(stdout);
	sink = 100 / zero;
	printf("survived %d\n", sink);
	return 0;
}

static int
wild(void)
{
	printf("reading\n");
	fflush(stdout);
	sink = *(volatile int *)0x5a5a5a50;
	printf("survived %d\n", sink);
	return 0;
}

static char *page;
static volatile int segv_calls;

static void
on_segv(int sig, siginfo_t *info, void *uc)
{
	(void)uc;
	segv_calls++;
	if (sig != SIGSEGV || info->si_addr != page + 8)
		_exit(3);
	if (mprotect(page, 4096, PROT_READ | PROT_WRITE) != 0)
		_exit(4);
}

static int
segvhandler(void)
{
	struct sigaction sa;
	volatile long long keep = 0x0123456789abcdefLL;

	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_ANON | MAP_PRIVATE, -1, 0);
	check(page != MAP_FAILED, "mmap", 0);
	page[8] = 42;
	check(mprotect(page, 4096, PROT_NONE) == 0, "mprotect", 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	check(sigaction(SIGSEGV, &sa, NULL) == 0, "sigaction", 0);
	sink = *(volatile char *)(page + 8);
	check(segv_calls == 1 && sink == 42, "handler-returned", segv_calls);
	check(keep == 0x0123456789abcdefLL, "registers-kept", 0);
	return failures != 0;
}

static void
on_fpe(int sig)
{
	_exit(sig == SIGFPE ? 42 : 5);
}

static int
fpehandler(void)
{
	signal(SIGFPE, on_fpe);
	sink = 7 / zero;
	return 6;
}

static int
efault(void)
{
	void *bad[] = { (void *)0x10, (void *)0x5a5a5a50, (void *)0xc0001000,
	    (void *)0xfffffff0 };
	struct stat st;
	unsigned i;
	int fds[2], fd;
	char name[64];

	fd = open("/dev/zero", O_RDONLY);
	check(fd >= 0, "open-zero", fd);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		long r;

		snprintf(name, sizeof(name), "write-%p", bad[i]);
		errno = 0;
		r = write(1, bad[i], 16);
		check(r == -1 && errno == EFAULT, name, r);
		snprintf(name, sizeof(name), "read-%p", bad[i]);
		errno = 0;
		r = read(fd, bad[i], 16);
		check(r == -1 && errno == EFAULT, name, r);
		snprintf(name, sizeof(name), "stat-path-%p", bad[i]);
		errno = 0;
		r = stat(bad[i], &st);
		check(r == -1 && errno == EFAULT, name, r);
		snprintf(name, sizeof(name), "stat-buf-%p", bad[i]);
		errno = 0;
		r = stat("/", bad[i]);
		check(r == -1 && errno == EFAULT, name, r);
		snprintf(name, sizeof(name), "open-%p", bad[i]);
		errno = 0;
		r = open(bad[i], O_RDONLY);
		check(r == -1 && errno == EFAULT, name, r);
		/* (pipe(2) returns the fds in registers and libc stores them:
		 * a bad pointer faults in user mode, as on NetBSD; pipe2 copies out) */
		snprintf(name, sizeof(name), "pipe2-%p", bad[i]);
		errno = 0;
		r = pipe2(bad[i], 0);
		check(r == -1 && errno == EFAULT, name, r);
	}
	/* a buffer that starts mapped and runs off the end of the stack */
	errno = 0;
	check(read(fd, (char *)0xbfc00000 - 8, 16) == -1 && errno == EFAULT, "read-straddle", 0);
	/* the process still works */
	check(pipe(fds) == 0 && write(fds[1], "x", 1) == 1, "still-alive", 0);
	return failures != 0;
}

static volatile int got_usr1;

static void
on_usr1(int sig)
{
	(void)sig;
	got_usr1++;
}

/* The child sends SIGUSR1 to the parent blocked in read(), then (restart
 * case) writes a byte so that the restarted read completes. */
static int
interrupted_read(int flags)
{
	struct sigaction sa;
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	int fds[2], status;
	pid_t pid, parent = getpid();
	char c;
	long r;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	if (pipe(fds) != 0)
		return 2;
	pid = fork();
	if (pid == 0) {
		nanosleep(&ts, NULL);
		kill(parent, SIGUSR1);
		nanosleep(&ts, NULL);
		write(fds[1], "z", 1);
		_exit(0);
	}
	errno = 0;
	r = read(fds[0], &c, 1);
	if (flags & SA_RESTART)
		check(r == 1 && c == 'z' && got_usr1 == 1, "read-restarted", r);
	else
		check(r == -1 && errno == EINTR && got_usr1 == 1, "read-eintr", r);
	waitpid(pid, &status, 0);
	check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child", status);
	return failures != 0;
}

static int
bigpipe(long n)
{
	int fds[2], status;
	pid_t pid;
	char *buf = malloc(n);
	long r, total = 0;

	memset(buf, 'p', n);
	if (pipe(fds) != 0)
		return 2;
	pid = fork();
	if (pid == 0) {
		char tmp[1000];

		close(fds[1]);
		while ((r = read(fds[0], tmp, sizeof(tmp))) > 0)
			total += r;
		_exit(total == n ? 0 : 1);
	}
	close(fds[0]);
	r = write(fds[1], buf, n);
	check(r == n, "write-all", r);
	close(fds[1]);
	waitpid(pid, &status, 0);
	check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "reader-got-all", status);
	return failures != 0;
}

static int
killspin(void)
{
	struct timespec ts = { 0, 30 * 1000 * 1000 };
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		for (;;)
			sink++;
	}
	nanosleep(&ts, NULL);
	check(kill(pid, SIGTERM) == 0, "kill", 0);
	check(waitpid(pid, &status, 0) == pid, "waitpid", 0);
	check(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM, "killed-by-term", status);
	return failures != 0;
}

/* The child spins with no system call until a SIGUSR1 handler sets a flag:
 * a signal reaches a process (or a kernelware at CPL 0) preempted by the timer. */
static int
spinhandler(void)
{
	struct timespec ts = { 0, 30 * 1000 * 1000 };
	struct sigaction sa;
	int status;
	pid_t pid;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	pid = fork();
	if (pid == 0) {
		volatile long long keep = 0x1122334455667788LL;

		while (!got_usr1)
			sink++;
		_exit(keep == 0x1122334455667788LL ? 7 : 8);
	}
	nanosleep(&ts, NULL);
	check(kill(pid, SIGUSR1) == 0, "kill", 0);
	check(waitpid(pid, &status, 0) == pid, "waitpid", 0);
	check(WIFEXITED(status) && WEXITSTATUS(status) == 7, "handler-ran-in-spinner", status);
	return failures != 0;
}

/* sigsuspend: SIGUSR1 blocked, a child sends it, sigsuspend with an empty
 * mask returns EINTR after the handler, and the old mask is back. */
static int
suspend(void)
{
	struct sigaction sa;
	sigset_t block, empty, cur, pend;
	int status;
	pid_t pid, parent = getpid();

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, NULL);
	pid = fork();
	if (pid == 0) {
		kill(parent, SIGUSR1);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	check(got_usr1 == 0, "blocked-while-waiting", got_usr1);
	check(sigpending(&pend) == 0 && sigismember(&pend, SIGUSR1), "sigpending", 0);
	sigemptyset(&empty);
	errno = 0;
	check(sigsuspend(&empty) == -1 && errno == EINTR, "sigsuspend-eintr", 0);
	check(got_usr1 == 1, "handler-ran", got_usr1);
	sigprocmask(SIG_BLOCK, NULL, &cur);
	check(sigismember(&cur, SIGUSR1), "mask-restored", 0);
	/* again, the signal arriving while sigsuspend sleeps */
	pid = fork();
	if (pid == 0) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };

		nanosleep(&ts, NULL);
		kill(parent, SIGUSR1);
		_exit(0);
	}
	errno = 0;
	check(sigsuspend(&empty) == -1 && errno == EINTR && got_usr1 == 2, "sigsuspend-sleeping", 0);
	sigprocmask(SIG_BLOCK, NULL, &cur);
	check(sigismember(&cur, SIGUSR1), "mask-restored-2", 0);
	waitpid(pid, &status, 0);
	return failures != 0;
}

/* nanosleep interrupted by a caught signal: EINTR */
static int
sleepintr(void)
{
	struct sigaction sa;
	struct timespec ts = { 0, 20 * 1000 * 1000 }, big = { 100, 0 };
	int status;
	pid_t pid, parent = getpid();

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	pid = fork();
	if (pid == 0) {
		nanosleep(&ts, NULL);
		kill(parent, SIGUSR1);
		_exit(0);
	}
	errno = 0;
	check(nanosleep(&big, NULL) == -1 && errno == EINTR && got_usr1 == 1, "nanosleep-eintr", 0);
	waitpid(pid, &status, 0);
	return failures != 0;
}

/* fork shares pages copy-on-write: writes by either side (by the CPU, and
 * by the kernel's copyout in read()) stay private */
static int cow_global = 1;

static int
cow(void)
{
	long n = 100000, i, bad = 0;
	char *buf = malloc(n);
	int fds[2], status;
	pid_t pid;

	memset(buf, 'a', n);
	if (pipe(fds) != 0)
		return 2;
	write(fds[1], "kernel", 6);
	pid = fork();
	if (pid == 0) {
		cow_global = 2;
		memset(buf, 'b', n / 2);
		if (read(fds[0], buf + n - 6, 6) != 6)
			_exit(3);
		for (i = 0; i < n / 2; i++)
			bad += buf[i] != 'b';
		_exit(bad || cow_global != 2 || memcmp(buf + n - 6, "kernel", 6) != 0);
	}
	waitpid(pid, &status, 0);
	check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child-saw-its-writes", status);
	for (i = 0; i < n; i++)
		bad += buf[i] != 'a';
	check(bad == 0 && cow_global == 1, "parent-unchanged", bad);
	buf[0] = 'c';		/* the parent's own write after the child is gone */
	check(buf[0] == 'c' && buf[1] == 'a', "parent-writes", 0);
	return failures != 0;
}

/* more memory than the machine has: malloc fails with ENOMEM, no crash;
 * then grow the break page by page and touch it until the kernel says no */
static int
bigalloc(void)
{
	char *p;
	long i, got = 0;

	errno = 0;
	p = malloc(256L << 20);
	check(p == NULL && errno == ENOMEM, "malloc-256M-enomem", (long)p);
	for (i = 0; i < 100000; i++) {
		p = sbrk(65536);
		if (p == (char *)-1)
			break;
		memset(p, 1, 65536);
		got++;
	}
	check(p == (char *)-1 && errno == ENOMEM && got > 10, "sbrk-until-enomem", got);
	return failures != 0;
}

/* sigaltstack: a SA_ONSTACK handler runs on the alternate stack (even when
 * the fault is a stack overflow-like wild esp), a plain one does not */
static char altstack[SIGSTKSZ];
static volatile char *handler_sp;
static volatile int alt_onstack;

static void
on_usr2_alt(int sig)
{
	char here;
	stack_t cur;

	(void)sig;
	handler_sp = &here;
	if (sigaltstack(NULL, &cur) == 0)
		alt_onstack = cur.ss_flags & SS_ONSTACK;
}

static int
altstack_test(void)
{
	struct sigaction sa;
	stack_t ss, old;

	ss.ss_sp = altstack;
	ss.ss_size = sizeof(altstack);
	ss.ss_flags = 0;
	check(sigaltstack(&ss, &old) == 0 && (old.ss_flags & SS_DISABLE), "sigaltstack-set", 0);
	ss.ss_size = 100;
	errno = 0;
	check(sigaltstack(&ss, NULL) == -1 && errno == ENOMEM, "too-small", 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr2_alt;
	sa.sa_flags = SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR2, &sa, NULL);
	raise(SIGUSR2);
	check(handler_sp >= altstack && handler_sp < altstack + sizeof(altstack) && alt_onstack,
	    "handler-on-altstack", 0);
	sa.sa_flags = 0;
	sigaction(SIGUSR2, &sa, NULL);
	raise(SIGUSR2);
	check(!(handler_sp >= altstack && handler_sp < altstack + sizeof(altstack)) && !alt_onstack,
	    "plain-handler-on-own-stack", 0);
	return failures != 0;
}

/* job control: a spinning child (no system calls) and a sleeping one are
 * stopped by SIGSTOP/SIGTSTP, reported by WUNTRACED, continued by SIGCONT
 * (WCONTINUED), and a stopped child still dies of SIGKILL */
static int
jobctl(void)
{
	struct timespec ts = { 0, 30 * 1000 * 1000 };
	int status, fds[2];
	pid_t spin, sleeper;
	char c;

	spin = fork();
	if (spin == 0) {
		for (;;)
			sink++;
	}
	if (pipe(fds) != 0)
		return 2;
	sleeper = fork();
	if (sleeper == 0) {
		close(fds[1]);
		_exit(read(fds[0], &c, 1) == 1 && c == 'g' ? 9 : 8);
	}
	nanosleep(&ts, NULL);
	check(kill(spin, SIGSTOP) == 0 && kill(sleeper, SIGTSTP) == 0, "kill-stop", 0);
	check(waitpid(spin, &status, WUNTRACED) == spin && WIFSTOPPED(status) &&
	    WSTOPSIG(status) == SIGSTOP, "spinner-stopped", status);
	check(waitpid(sleeper, &status, WUNTRACED) == sleeper && WIFSTOPPED(status) &&
	    WSTOPSIG(status) == SIGTSTP, "sleeper-stopped", status);
	check(waitpid(spin, &status, WUNTRACED | WNOHANG) == 0, "reported-once", status);
	write(fds[1], "g", 1);		/* data arrives while it is stopped */
	nanosleep(&ts, NULL);
	check(waitpid(sleeper, &status, WNOHANG) == 0, "stopped-does-not-run", status);
	check(kill(sleeper, SIGCONT) == 0, "kill-cont", 0);
	check(waitpid(sleeper, &status, WCONTINUED) == sleeper && WIFCONTINUED(status),
	    "continued", status);
	check(waitpid(sleeper, &status, 0) == sleeper && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 9, "sleeper-finished-its-read", status);
	check(kill(spin, SIGKILL) == 0 && waitpid(spin, &status, 0) == spin &&
	    WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "stopped-killed", status);
	return failures != 0;
}

/* %gs TLS through the hybrid stubs (the call gate in kernelware mode):
 * _lwp_setprivate makes %gs:0 read the TCB; a fork child inherits it */
void _lwp_setprivate(void *);

static int
tls(void)
{
	static void *tcb[4];
	void *v;
	pid_t pid;
	int status;

	tcb[0] = tcb;
	_lwp_setprivate(tcb);
	__asm__ volatile("movl %%gs:0, %0" : "=r"(v));
	check(v == (void *)tcb, "gs0-is-tcb", (long)v);
	pid = fork();
	if (pid == 0) {
		__asm__ volatile("movl %%gs:0, %0" : "=r"(v));
		_exit(v == (void *)tcb ? 0 : 1);
	}
	check(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0, "fork-child-gs0", status);
	__asm__ volatile("movl %%gs:0, %0" : "=r"(v));
	check(v == (void *)tcb, "gs0-after-switches", (long)v);
	return failures != 0;
}

int
main(int argc, char *argv[])
{
	const char *what = argc > 1 ? argv[1] : "";

	if (strcmp(what, "divzero") == 0)
		return divzero();
	if (strcmp(what, "wild") == 0)
		return wild();
	if (strcmp(what, "segvhandler") == 0)
		return segvhandler();
	if (strcmp(what, "fpehandler") == 0)
		return fpehandler();
	if (strcmp(what, "efault") == 0)
		return efault();
	if (strcmp(what, "eintr") == 0)
		return interrupted_read(0);
	if (strcmp(what, "restart") == 0)
		return interrupted_read(SA_RESTART);
	if (strcmp(what, "bigpipe") == 0)
		return bigpipe(argc > 2 ? atol(argv[2]) : 100000);
	if (strcmp(what, "killspin") == 0)
		return killspin();
	if (strcmp(what, "spinhandler") == 0)
		return spinhandler();
	if (strcmp(what, "suspend") == 0)
		return suspend();
	if (strcmp(what, "sleepintr") == 0)
		return sleepintr();
	if (strcmp(what, "cow") == 0)
		return cow();
	if (strcmp(what, "bigalloc") == 0)
		return bigalloc();
	if (strcmp(what, "altstack") == 0)
		return altstack_test();
	if (strcmp(what, "jobctl") == 0)
		return jobctl();
	if (strcmp(what, "tls") == 0)
		return tls();
	fprintf(stderr, "usage: ktest divzero|wild|segvhandler|fpehandler|efault|eintr|"
	    "restart|bigpipe [N]|killspin|spinhandler|suspend|sleepintr|cow|bigalloc|altstack|jobctl|"
	    "tls\n");
	return 2;
}
