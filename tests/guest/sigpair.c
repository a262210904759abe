/*
 * sigpair -- two caught signals pending at once on a process that computes
 * without system calls: both handlers must run (tests/test_nbsd_sigpair.py).
 * A kernelware preempted at CPL 0 has a short trap frame on its own stack
 * that the first handler's frame moves; the second was built from the stale
 * copy and overwrote the first (the first handler never ran).
 * Prints "got 1 1 nested N" and exits 0 when both ran.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int got1, got2, nested;

static void
h1(int s)
{
	(void)s;
	got1++;
	if (got2)
		nested++;
}

static void
h2(int s)
{
	(void)s;
	got2++;
	if (got1)
		nested++;
}

int
main(void)
{
	struct sigaction sa;
	sigset_t set, old;
	pid_t parent = getpid(), c;
	volatile unsigned long i, spin = 0;
	int st, round, ok = 0;

	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);       /* the other signal may interrupt a handler */
	sa.sa_handler = h1;
	sigaction(SIGUSR1, &sa, 0);
	sa.sa_handler = h2;
	sigaction(SIGUSR2, &sa, 0);
	for (round = 0; round < 5; round++) {
		got1 = got2 = 0;
		/* both become pending while we are blocked, then delivered together */
		sigemptyset(&set);
		sigaddset(&set, SIGUSR1);
		sigaddset(&set, SIGUSR2);
		c = fork();
		if (c == 0) {
			kill(parent, SIGUSR1);
			kill(parent, SIGUSR2);
			_exit(0);
		}
		/* compute, no system call, until both handlers ran (or give up) */
		for (i = 0; i < 60000000UL && !(got1 && got2); i++)
			spin += i;
		waitpid(c, &st, 0);
		if (got1 == 1 && got2 == 1)
			ok++;
		else
			printf("round %d: got %d %d\n", round, got1, got2);
		(void)old;
	}
	printf("rounds ok %d nested %d\n", ok, nested);
	return ok == 5 ? 0 : 1;
}
