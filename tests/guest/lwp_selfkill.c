/*
 * _lwp_kill(_lwp_self(), sig) while another LWP is runnable: the caller's
 * handler runs before the call returns to it (NetBSD: the signal is taken
 * at the return to user mode, whatever the scheduler does next).  For a
 * kernelware the handler's frame moves the call's short frame; a
 * preemption at that return must park the LWP on the moved frame (Go's
 * dieFromSignal: raise, then sched_yield, then exit(2) if still alive).
 *
 *   handler  SA_SIGINFO|SA_ONSTACK handler on an alternate stack, all
 *            signals masked in it: counted once per _lwp_kill, 20 times,
 *            with the mask back to empty after each
 *   dfl      SIGPIPE set to SIG_DFL and raised with _lwp_kill: the process
 *            ends by SIGPIPE (the test checks the wait status)
 * argv[1] "spin": a second LWP spins in sched_yield (always runnable).  The calls are made
 * with int $0x80, as Go makes them.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pthread.h>
#include <sched.h>

int syscall(int, ...);

static volatile int hit, stop;

static void h(int s, siginfo_t *si, void *uc)
{
	(void)s; (void)si; (void)uc;
	hit++;
}

/* _lwp_kill by int $0x80, as Go's runtime makes its calls (a kernelware's
 * int $0x80 at CPL 0 leaves a short frame; libc's calls use the gate) */
static int raw_lwp_kill(int lid, int sig)
{
	int ret;

	__asm__ volatile("pushl %2\n\tpushl %1\n\tpushl $0\n\tint $0x80\n\taddl $12, %%esp"
			 : "=a"(ret) : "r"(lid), "r"(sig), "0"(318) : "memory", "cc", "ecx", "edx");
	return ret;
}

static void *spin(void *a)
{
	(void)a;
	while (!stop)
		sched_yield();		/* always runnable, without a quantum each */
	return NULL;
}

int main(int argc, char **argv)
{
	int self = syscall(311), i, bad = 0;
	struct sigaction sa;
	stack_t ss;
	sigset_t cur;
	pthread_t t;

	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc > 1 && strcmp(argv[1], "spin") == 0)
		pthread_create(&t, NULL, spin, NULL);
	ss.ss_sp = malloc(65536);
	ss.ss_size = 65536;
	ss.ss_flags = 0;
	sigaltstack(&ss, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = h;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
	sigfillset(&sa.sa_mask);
	sigaction(SIGPIPE, &sa, NULL);
	for (i = 1; i <= 20; i++) {
		raw_lwp_kill(self, SIGPIPE);
		sigprocmask(SIG_BLOCK, NULL, &cur);
		if (hit != i || sigismember(&cur, SIGPIPE) || sigismember(&cur, SIGINT))
			bad++;
	}
	printf("handler ran %d times, %d bad\n", hit, bad);
	signal(SIGPIPE, SIG_DFL);
	raw_lwp_kill(self, SIGPIPE);
	printf("still alive after SIG_DFL _lwp_kill\n");
	return 3;
}
