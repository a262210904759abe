/*
 * hard -- guest checks for the kernel's hardening (tests/test_nbsd_hardening.py)
 *
 *   hard pollnone     poll on fd 0 for no events / POLLPRI, 10 ms: returns 0
 *   hard selectex     select on fd 0 for exceptions, 10 ms: returns 0
 *   hard prio         getpriority/setpriority of another process
 *   hard sicode       trap signals: si_signo, si_code, si_addr as NetBSD's trap()
 *   hard alarm        alarm(1) + pause(): SIGALRM after a guest second
 *   hard itimer       setitimer/getitimer REAL, VIRTUAL, PROF
 *   hard sleepalarm   alarm(1) ends sleep(5) early: nanosleep EINTR, time left
 *   hard mmap N       N separate 1 MiB anonymous mappings, then touch them all
 *   hard intspin      spin until SIGINT, whose handler exits 5
 *
 * Each prints "ok NAME" lines or "FAIL NAME ..." and exits 0 when all is well.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int failures;

#define PRIO_PROCESS 0

/* a system call through int $0x80 (libc has no getpriority/setpriority) */
static int
rawsys(int n, int a, int b, int c)
{
	int ret, cf;
	__asm__ __volatile__(
	    "pushl %%edi\n\tpushl %%esi\n\tpushl %%ebx\n\tpushl $0\n\t"
	    "int $0x80\n\t"
	    "setc %%cl\n\tmovzbl %%cl, %%ecx\n\t"
	    "addl $16, %%esp"
	    : "=a"(ret), "=c"(cf) : "0"(n), "b"(a), "S"(b), "D"(c) : "edx", "memory", "cc");
	if (cf) {
		errno = ret;
		return -1;
	}
	return ret;
}
#define getpriority(w, who) rawsys(100, (w), (who), 0)
#define setpriority(w, who, v) rawsys(96, (w), (who), (v))

static void
check(int cond, const char *name, const char *what)
{
	if (cond)
		printf("ok %s\n", name);
	else {
		printf("FAIL %s %s (errno %d)\n", name, what, errno);
		failures++;
	}
}

static long long
now_us(void)
{
	struct timeval tv;
	gettimeofday(&tv, 0);
	return (long long)tv.tv_sec * 1000000 + tv.tv_usec;
}

/* -- trap signals -- */
static sigjmp_buf jb;
static volatile int got_sig, got_code;
static void *volatile got_addr;

static void
trap_handler(int sig, siginfo_t *si, void *ctx)
{
	(void)ctx;
	got_sig = sig;
	got_code = si->si_code;
	got_addr = si->si_addr;
	siglongjmp(jb, 1);
}

struct bounds { int lo, hi; };

/* each returns the address of its faulting instruction */
extern char ins_div[], ins_bound[], ins_into[], ins_ud2[], ins_int3[], ins_hlt[];

static void
do_div(void)
{
	__asm__ __volatile__("xorl %%ecx, %%ecx\n\t"
	    "movl $1, %%eax\n\tcltd\n"
	    "ins_div: idivl %%ecx" ::: "eax", "ecx", "edx");
}

static void
do_bound(void)
{
	static struct bounds b = { 0, 3 };
	__asm__ __volatile__("movl $7, %%eax\n"
	    "ins_bound: bound %%eax, %0" :: "m"(b) : "eax");
}

static void
do_into(void)
{
	__asm__ __volatile__("movl $0x7fffffff, %%eax\n\taddl $1, %%eax\n"
	    "ins_into: into" ::: "eax", "cc");
}

static void
do_ud2(void)
{
	__asm__ __volatile__("ins_ud2: ud2");
}

static void
do_int3(void)
{
	__asm__ __volatile__("ins_int3: int3");
}

static void
do_hlt(void)
{
	__asm__ __volatile__("ins_hlt: hlt");
}

static void
do_null(void)
{
	*(volatile int *)16 = 1;
}

static void
do_text(void)
{
	*(volatile char *)(void *)do_text = 0;
}

static int
run_trap(void (*fn)(void), int sig)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = trap_handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(sig, &sa, 0);
	got_sig = got_code = 0;
	got_addr = 0;
	if (sigsetjmp(jb, 1) == 0)
		fn();
	return got_sig;
}

static void
t_sicode(void)
{
	char buf[64];
	int s;
	s = run_trap(do_div, SIGFPE);
	snprintf(buf, sizeof buf, "sig %d code %d addr %p", s, got_code, got_addr);
	check(s == SIGFPE && got_code == 1 && got_addr == ins_div, "div-FPE_INTDIV", buf);
	s = run_trap(do_bound, SIGFPE);
	snprintf(buf, sizeof buf, "sig %d code %d addr %p", s, got_code, got_addr);
	check(s == SIGFPE && got_code == 8 && got_addr == ins_bound, "bound-FPE_FLTSUB", buf);
	s = run_trap(do_into, SIGFPE);
	snprintf(buf, sizeof buf, "sig %d code %d addr %p", s, got_code, got_addr);
	check(s == SIGFPE && got_code == 2 && got_addr == ins_into + 1, "into-FPE_INTOVF", buf);
	s = run_trap(do_ud2, SIGILL);
	snprintf(buf, sizeof buf, "sig %d code %d addr %p", s, got_code, got_addr);
	check(s == SIGILL && got_code == 5 && got_addr == ins_ud2, "ud2-ILL_PRVOPC", buf);
	s = run_trap(do_int3, SIGTRAP);
	snprintf(buf, sizeof buf, "sig %d code %d addr %p", s, got_code, got_addr);
	check(s == SIGTRAP && got_code == 1, "int3-TRAP_BRKPT", buf);
	s = run_trap(do_null, SIGSEGV);
	snprintf(buf, sizeof buf, "sig %d code %d addr %p", s, got_code, got_addr);
	check(s == SIGSEGV && got_code == 1 && got_addr == (void *)16, "null-SEGV_MAPERR", buf);
	s = run_trap(do_text, SIGSEGV);
	snprintf(buf, sizeof buf, "sig %d code %d addr %p", s, got_code, got_addr);
	check(s == SIGSEGV && got_code == 2 && got_addr == (void *)do_text, "text-SEGV_ACCERR",
	    buf);
	{
		unsigned cs;
		__asm__ __volatile__("movl %%cs, %0" : "=r"(cs));
		if ((cs & 3) == 0)
			return;             /* a kernelware may hlt */
	}
	s = run_trap(do_hlt, SIGSEGV);
	snprintf(buf, sizeof buf, "sig %d code %d", s, got_code);
	check(s == SIGSEGV && got_code == 2, "hlt-SEGV_ACCERR", buf);
}

/* -- timers -- */
static volatile int alarms, vtalrms, profs;

static void
on_alrm(int sig)
{
	if (sig == SIGALRM)
		alarms++;
	else if (sig == SIGVTALRM)
		vtalrms++;
	else if (sig == SIGPROF)
		profs++;
}

static void
t_alarm(void)
{
	long long t0 = now_us(), dt;
	signal(SIGALRM, on_alrm);
	check(alarm(1) == 0, "alarm-first", "returned non-zero");
	check(alarm(1) == 1, "alarm-left", "did not return the second left");
	pause();
	dt = now_us() - t0;
	check(alarms == 1 && dt >= 1000000 && dt < 1100000, "alarm-pause", "no SIGALRM after 1 s");
	check(alarm(0) == 0, "alarm-cancelled", "still armed");
}

static void
t_itimer(void)
{
	struct itimerval it, old;
	volatile unsigned long n = 0;
	memset(&it, 0, sizeof it);
	it.it_value.tv_usec = 50000;
	check(setitimer(ITIMER_REAL, &it, 0) == 0, "setitimer-real", "failed");
	check(getitimer(ITIMER_REAL, &old) == 0 && old.it_value.tv_sec == 0 &&
	    old.it_value.tv_usec > 0 && old.it_value.tv_usec <= 50000, "getitimer-real",
	    "bad value");
	signal(SIGALRM, on_alrm);
	signal(SIGVTALRM, on_alrm);
	signal(SIGPROF, on_alrm);
	while (!alarms)
		pause();
	check(getitimer(ITIMER_REAL, &old) == 0 && old.it_value.tv_sec == 0 &&
	    old.it_value.tv_usec == 0, "itimer-real-oneshot", "still armed");
	it.it_value.tv_usec = 20000;
	it.it_interval.tv_usec = 20000;
	check(setitimer(ITIMER_VIRTUAL, &it, 0) == 0, "setitimer-virtual", "failed");
	while (vtalrms < 2)
		n++;
	check(1, "itimer-virtual-periodic", "");
	memset(&it, 0, sizeof it);
	setitimer(ITIMER_VIRTUAL, &it, 0);
	it.it_value.tv_usec = 20000;
	check(setitimer(ITIMER_PROF, &it, 0) == 0, "setitimer-prof", "failed");
	while (!profs)
		n++;
	check(1, "itimer-prof", "");
	errno = 0;
	check(setitimer(7, &it, 0) == -1 && errno == EINVAL, "setitimer-einval", "");
	it.it_value.tv_usec = 1000000;
	errno = 0;
	check(setitimer(ITIMER_REAL, &it, 0) == -1 && errno == EINVAL, "setitimer-usec", "");
}

static void
t_sleepalarm(void)
{
	unsigned left;
	signal(SIGALRM, on_alrm);
	alarm(1);
	left = sleep(5);
	check(alarms == 1 && left == 4, "sleep-interrupted", "sleep did not return 4");
}

/* -- poll/select that find nothing -- */
static void
t_pollnone(void)
{
	struct pollfd p = { 0, 0, 0 };
	long long t0 = now_us();
	check(poll(&p, 1, 10) == 0, "poll-no-events", "did not time out");
	p.events = POLLPRI;
	check(poll(&p, 1, 10) == 0, "poll-pollpri", "did not time out");
	check(now_us() - t0 >= 20000, "poll-time-passed", "too soon");
}

static void
t_selectex(void)
{
	fd_set ex;
	struct timeval tv = { 0, 10000 };
	FD_ZERO(&ex);
	FD_SET(0, &ex);
	check(select(1, 0, 0, &ex, &tv) == 0, "select-exceptions", "did not time out");
}

static void
t_prio(void)
{
	pid_t c = fork();
	if (c == 0) {
		pause();
		_exit(0);
	}
	errno = 0;
	check(getpriority(PRIO_PROCESS, c) == 0 && errno == 0, "getpriority-other", "");
	check(setpriority(PRIO_PROCESS, c, 5) == 0, "setpriority-other", "");
	check(getpriority(PRIO_PROCESS, c) == 5, "getpriority-other-set", "");
	errno = 0;
	check(getpriority(PRIO_PROCESS, 9999) == -1 && errno == ESRCH, "getpriority-esrch", "");
	kill(c, SIGKILL);
	waitpid(c, 0, 0);
}

static void
t_mmap(int n)
{
	int i;
	char **maps = malloc(n * sizeof *maps);
	for (i = 0; i < n; i++) {
		maps[i] = mmap(0, 1 << 20, PROT_READ | PROT_WRITE, MAP_ANON | MAP_PRIVATE, -1, 0);
		if (maps[i] == MAP_FAILED)
			break;
	}
	printf("mapped %d\n", i);
	fflush(stdout);
	n = i;
	for (i = 0; i < n; i++)
		memset(maps[i], 1, 1 << 20);
	printf("touched %d\n", n);
}

static void
on_int(int sig)
{
	(void)sig;
	_exit(5);
}

int
main(int argc, char **argv)
{
	const char *w = argc > 1 ? argv[1] : "";
	if (!strcmp(w, "pollnone"))
		t_pollnone();
	else if (!strcmp(w, "selectex"))
		t_selectex();
	else if (!strcmp(w, "prio"))
		t_prio();
	else if (!strcmp(w, "sicode"))
		t_sicode();
	else if (!strcmp(w, "alarm"))
		t_alarm();
	else if (!strcmp(w, "itimer"))
		t_itimer();
	else if (!strcmp(w, "sleepalarm"))
		t_sleepalarm();
	else if (!strcmp(w, "intspin")) {
		volatile unsigned long n = 0;
		signal(SIGINT, on_int);
		for (;;)
			n++;
	} else if (!strcmp(w, "mmap") && argc > 2)
		t_mmap(atoi(argv[2]));
	else {
		printf("usage\n");
		return 2;
	}
	return failures != 0;
}
