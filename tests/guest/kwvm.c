/*
 * Guest helper for tests/test_nbsd_kwfault.py: page faults of a process,
 * run as a user process or as a kernelware (issue 8 section 5).
 *
 *   kwvm all          recurse to just under RLIMIT_STACK; raise it with
 *                     setrlimit and recurse to several MiB; touch 4 MiB of
 *                     heap; fork: the child writes to a page it shares with
 *                     its parent (and grows its own stack), the parent
 *                     checks its page is unchanged
 *   kwvm overflow     recurse without end (SIGSEGV)
 *   kwvm altstack     recurse without end with a SIGSEGV handler on an
 *                     alternate stack: the handler prints and exits 0
 *   kwvm handler      the same handler without an alternate stack
 *                     (NetBSD: no room for the frame is SIGILL)
 *   kwvm shrink       setrlimit below the stack in use: EINVAL
 *   kwvm switch       switch_to_kernel_mode() (510), then "all"'s stack
 *                     and heap checks at CPL 0, then back (511)
 *   kwvm cost         cycles (rdtsc) of the first touch of 32 new stack
 *                     pages below %esp and of a second touch: "cost FIRST
 *                     SECOND" (medians), the fault's round trip
 *   kwvm heapcost     the same for 32 new heap pages (a #PF whose frame can
 *                     be pushed)
 *
 * Every check prints "ok ..." or "FAIL ..."; the exit status is the number
 * of failures.
 */
#include <kernelware.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>
#include <sys/resource.h>
#include <sys/wait.h>

#define FRAME 1024

static int fails;

static void
check(int ok, const char *what)
{
	printf("%s %s\n", ok ? "ok" : "FAIL", what);
	if (!ok)
		fails++;
}

/* About FRAME bytes of stack per level, every 64th byte written (the
 * array escapes, so it stays a real array in the frame). */
static unsigned
recurse(unsigned n)
{
	unsigned char b[FRAME - 32];
	unsigned i, s;

	for (i = 0; i < sizeof(b); i += 64)
		b[i] = (unsigned char)(n + i);
	__asm__ __volatile__("" :: "r"(b) : "memory");
	if (n == 0)
		return 0;
	s = recurse(n - 1);
	__asm__ __volatile__("" :: "r"(b) : "memory");
	for (i = 0; i < sizeof(b); i += 64)
		s += b[i];
	return s;
}

static unsigned
expect(unsigned n)
{
	unsigned s = 0, k, i;

	for (k = 1; k <= n; k++)
		for (i = 0; i < FRAME - 32; i += 64)
			s += (unsigned char)(k + i);
	return s;
}

static unsigned
forever(unsigned n)
{
	unsigned char b[FRAME - 32];

	b[0] = (unsigned char)n;
	b[sizeof(b) - 1] = (unsigned char)n;
	__asm__ __volatile__("" :: "r"(b) : "memory");
	return forever(n + 1) + b[0];
}

static void
on_segv(int sig)
{
	static const char msg[] = "caught SIGSEGV\n";

	(void)sig;
	write(1, msg, sizeof(msg) - 1);
	_exit(0);
}

static char shared[3 * 4096];

static unsigned long long
rdtsc(void)
{
	unsigned lo, hi;

	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return ((unsigned long long)hi << 32) | lo;
}

/* Write a word `off` bytes below %esp (with %esp there: at CPL 0 a fault
 * on it cannot push its frame) and come back; its cycles. */
static unsigned
touch(unsigned off)
{
	unsigned long long t0, t1;

	t0 = rdtsc();
	__asm__ __volatile__(
	    "movl %%esp, %%ecx\n\t"
	    "subl %0, %%esp\n\t"
	    "movl $0, (%%esp)\n\t"
	    "movl %%ecx, %%esp"
	    :: "r"(off) : "ecx", "memory");
	t1 = rdtsc();
	return (unsigned)(t1 - t0);
}

static int
cmp(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "all";
	struct rlimit rl;
	char buf[96];

	setvbuf(stdout, NULL, _IONBF, 0);
	if (strcmp(what, "overflow") == 0) {
		forever(0);
		return 3;
	}
	if (strcmp(what, "altstack") == 0 || strcmp(what, "handler") == 0) {
		struct sigaction sa;
		stack_t ss;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_segv;
		if (strcmp(what, "altstack") == 0) {
			ss.ss_sp = malloc(64 * 1024);
			ss.ss_size = 64 * 1024;
			ss.ss_flags = 0;
			if (sigaltstack(&ss, NULL) != 0)
				return 4;
			sa.sa_flags = SA_ONSTACK;
		}
		sigaction(SIGSEGV, &sa, NULL);
		forever(0);
		return 3;
	}
	if (strcmp(what, "cost") == 0) {
		unsigned first[32], second[32], k;

		for (k = 0; k < 32; k++)
			first[k] = touch(128 * 1024 + k * 4096);
		for (k = 0; k < 32; k++)
			second[k] = touch(128 * 1024 + k * 4096);
		qsort(first, 32, sizeof(first[0]), cmp);
		qsort(second, 32, sizeof(second[0]), cmp);
		printf("cost %u %u\n", first[16], second[16]);
		return 0;
	}
	if (strcmp(what, "heapcost") == 0) {
		unsigned first[32], second[32], k;
		volatile char *h = malloc(33 * 4096);
		unsigned long long t0, t1;

		h = (volatile char *)(((unsigned long)h + 4095) & ~4095UL);
		for (k = 0; k < 32; k++) {
			t0 = rdtsc();
			h[k * 4096] = 1;
			t1 = rdtsc();
			first[k] = (unsigned)(t1 - t0);
		}
		for (k = 0; k < 32; k++) {
			t0 = rdtsc();
			h[k * 4096] = 2;
			t1 = rdtsc();
			second[k] = (unsigned)(t1 - t0);
		}
		qsort(first, 32, sizeof(first[0]), cmp);
		qsort(second, 32, sizeof(second[0]), cmp);
		printf("cost %u %u\n", first[16], second[16]);
		return 0;
	}
	if (strcmp(what, "shrink") == 0) {
		recurse(200);                   /* 200 KiB of stack in use */
		getrlimit(RLIMIT_STACK, &rl);
		rl.rlim_cur = 64 * 1024;
		check(setrlimit(RLIMIT_STACK, &rl) == -1 && errno == EINVAL,
		    "setrlimit below the stack in use is EINVAL");
		return fails;
	}

	if (strcmp(what, "switch") == 0) {
		check(switch_to_kernel_mode() == 0 && in_kernel_mode(), "510: CPL 0");
		check(recurse(1900) == expect(1900), "recursion to 1.9 MiB at CPL 0");
		{
			unsigned char *h = malloc(1 << 20);
			size_t i;
			unsigned s = 0;

			for (i = 0; i < (1 << 20); i += 4096)
				h[i] = 1;
			for (i = 0; i < (1 << 20); i += 4096)
				s += h[i];
			check(s == 256, "1 MiB of heap at CPL 0");
		}
		check(switch_to_user_mode() == 0 && !in_kernel_mode(), "511: CPL 3");
		check(recurse(1900) == expect(1900), "recursion again at CPL 3");
		return fails;
	}

	/* the default limit (2 MiB on NetBSD/i386): just under it */
	check(getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur == 2 * 1024 * 1024,
	    "RLIMIT_STACK 2 MiB");
	check(recurse(1900) == expect(1900), "recursion to 1.9 MiB of stack");

	/* raised: several MiB */
	rl.rlim_cur = 8 * 1024 * 1024;
	check(setrlimit(RLIMIT_STACK, &rl) == 0, "setrlimit 8 MiB");
	check(recurse(7 * 1024) == expect(7 * 1024), "recursion to 7 MiB of stack");

	/* megabytes of heap, every page touched */
	{
		size_t n = 4 * 1024 * 1024, i;
		unsigned char *h = malloc(n);
		unsigned s = 0;

		check(h != NULL, "malloc 4 MiB");
		for (i = 0; i < n; i += 4096)
			h[i] = (unsigned char)(i >> 12);
		for (i = 0; i < n; i += 4096)
			s += h[i];
		check(s == 130560, "4 MiB of heap touched");
	}

	/* fork: copy-on-write */
	{
		pid_t pid;
		int st = 0;

		memset(shared, 'P', sizeof(shared));
		pid = fork();
		if (pid == 0) {
			memset(shared + 4096, 'C', 4096);
			fails = 0;
			check(shared[4096] == 'C' && shared[0] == 'P', "child wrote its copy");
			check(recurse(1024) == expect(1024), "child recursion to 1 MiB");
			_exit(fails);
		}
		check(pid > 0, "fork");
		check(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
		    "child exited 0");
		check(shared[4096] == 'P' && shared[0] == 'P' && shared[8191] == 'P',
		    "parent's page unchanged");
	}
	snprintf(buf, sizeof(buf), "done %d", fails);
	puts(buf);
	return fails;
}
