/*
 * The kernel's FPU context (issue 10 item 5), in x87 inline assembly (the
 * userland is built without x87 code: nothing here depends on libc floats).
 *
 *   fpu cw            fnstcw / tag word at the start of the program
 *   fpu nofpu         never touches the FPU
 *   fpu two N         fork: parent and child each add 1.0 N times on the
 *                     x87 stack (different bases, rounding modes), preempted
 *   fpu lazy N        the same loop in one process while a child spins
 *                     without the FPU
 *   fpu sig           a SIGUSR1 handler that uses the FPU (and leaves values
 *                     on its stack and another control word): the
 *                     interrupted state comes back unchanged
 *   fpu fpe [catch]   1/0 with the zero-divide exception unmasked: SIGFPE at
 *                     the next waiting instruction (caught: si_code, si_addr,
 *                     the handler returns and the program goes on)
 *   fpu fork          the child gets the parent's x87 registers and control word
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static unsigned
getcw(void)
{
	unsigned short cw;
	__asm__ volatile("fnstcw %0" : "=m"(cw));
	return cw;
}

static void
setcw(unsigned cw)
{
	unsigned short w = cw;
	__asm__ volatile("fldcw %0" : : "m"(w));
}

static unsigned
getsw(void)
{
	unsigned short sw;
	__asm__ volatile("fnstsw %0" : "=m"(sw));
	return sw;
}

static unsigned
gettw(void)
{
	unsigned env[7];
	/* fnstenv masks the exceptions: fldenv puts the control word back */
	__asm__ volatile("fnstenv %0\n\tfldenv %0" : "+m"(env));
	return env[2] & 0xffff;
}

static void
push(int v)
{
	__asm__ volatile("fildl %0" : : "m"(v));
}

static int
pop(void)
{
	int v;
	__asm__ volatile("fistpl %0" : "=m"(v));
	return v;
}

/* ST(1) = base; ST(0) = 1; ST(1) += ST(0) n times; -> the sum */
static int
count(int base, long n)
{
	push(base);
	push(1);
	for (long i = 0; i < n; i++)
		__asm__ volatile("fadd %%st(0), %%st(1)" : : : "memory");
	__asm__ volatile("fstp %%st(0)" : : : "memory");
	return pop();
}

static void
worker(const char *who, int base, unsigned cw, long n)
{
	setcw(cw);
	int r = count(base, n);
	printf("%s %s cw %04x tw %04x\n", who, r == base + n ? "ok" : "BAD", getcw(), gettw());
	if (r != base + n)
		printf("%s sum %d, want %ld\n", who, r, base + n);
}

static volatile unsigned h_cw, h_tw, h_flags, h_fxcw;

static void
on_usr1(int sig, siginfo_t *si, void *ctx)
{
	(void)sig; (void)si;
	h_cw = getcw();
	h_tw = gettw();
	h_flags = *(unsigned *)ctx;                     /* uc_flags */
	h_fxcw = *(unsigned short *)((char *)ctx + 112);        /* __fpregs: fxsave fx_cw */
	/* use the FPU and leave a mess */
	setcw(0x0c7f);
	push(7); push(9);
	__asm__ volatile("fmulp" : : : "memory");
	push(5); push(6);
}

extern char fpe_at[];

static void __attribute__((noinline))
divide_by_zero(void)
{
	__asm__ volatile(
	    "fldz\n\t"
	    "fld1\n\t"
	    "fdiv %%st(1), %%st\n\t"    /* 1/0: ZE, pending */
	    ".globl fpe_at\n"
	    "fpe_at:\n\t"
	    "fwait\n\t"                 /* #MF here */
	    "fstp %%st(0)\n\t"
	    "fstp %%st(0)" : : : "memory");
}

static void
on_fpe(int sig, siginfo_t *si, void *ctx)
{
	(void)ctx;
	printf("SIGFPE sig %d code %d addr %s sw %04x\n", sig, si->si_code,
	    si->si_addr == (void *)fpe_at ? "fpe_at" : "elsewhere", getsw() & 0x80ff);
}

int
main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "cw";
	long n = argc > 2 ? atol(argv[2]) : 100000;

	setvbuf(stdout, NULL, _IONBF, 0);
	if (strcmp(cmd, "cw") == 0) {
		printf("cw %04x sw %04x tw %04x\n", getcw(), getsw(), gettw());
	} else if (strcmp(cmd, "nofpu") == 0) {
		printf("no fpu\n");
	} else if (strcmp(cmd, "two") == 0) {
		pid_t pid = fork();
		if (pid == 0) {
			worker("child", 1000000, 0x077f, n);    /* round down */
			_exit(0);
		}
		worker("parent", 2000000, 0x0f7f, n);           /* truncate */
		int st;
		waitpid(pid, &st, 0);
		printf("child status %d\n", st);
	} else if (strcmp(cmd, "lazy") == 0) {
		pid_t pid = fork();
		if (pid == 0) {
			volatile long x = 0;
			for (long i = 0; i < n; i++)
				x += i;
			_exit(0);
		}
		worker("fpu", 3000000, 0x037f, n);
		int st;
		waitpid(pid, &st, 0);
	} else if (strcmp(cmd, "sig") == 0) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_sigaction = on_usr1;
		sa.sa_flags = SA_SIGINFO;
		sigaction(SIGUSR1, &sa, NULL);
		setcw(0x077f);
		push(11); push(22); push(33);
		kill(getpid(), SIGUSR1);
		unsigned cw = getcw();
		int c = pop(), b = pop(), a = pop();
		printf("handler cw %04x tw %04x uc_flags&0x28 %02x saved cw %04x\n",
		    h_cw, h_tw, h_flags & 0x28, h_fxcw);
		printf("after cw %04x %d %d %d tw %04x\n", cw, c, b, a, gettw());
	} else if (strcmp(cmd, "fpe") == 0) {
		if (argc > 2) {
			struct sigaction sa;
			memset(&sa, 0, sizeof sa);
			sa.sa_sigaction = on_fpe;
			sa.sa_flags = SA_SIGINFO;
			sigaction(SIGFPE, &sa, NULL);
		}
		setcw(0x037b);          /* zero divide unmasked */
		divide_by_zero();
		printf("continued sw %04x tw %04x\n", getsw() & 0x80ff, gettw());
	} else if (strcmp(cmd, "fork") == 0) {
		setcw(0x0f7f);
		push(42); push(43);
		pid_t pid = fork();
		if (pid == 0) {
			unsigned cw = getcw();
			int b = pop(), a = pop();
			printf("child %d %d cw %04x tw %04x\n", b, a, cw, gettw());
			_exit(0);
		}
		setcw(0x037f);
		pop(); pop();
		push(1);
		int st;
		waitpid(pid, &st, 0);
		printf("parent %d cw %04x\n", pop(), getcw());
	}
	return 0;
}
