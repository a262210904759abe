/*
 * sleepq_bench -- the scheduler's cost with many sleepers (issue 12).
 *
 *   sleepq_bench N ROUNDS SPIN [read|sleep]
 *
 * Forks a child whose N threads (LWPs, 16 KiB stacks) sleep for the whole
 * run: in read(2) on one pipe (default "read") or in nanosleep(2) for a
 * day ("sleep": a timed sleep each); the child is killed at the end (kw86
 * allows 160 processes, so the sleepers are LWPs).  Then two
 * marked regions (bench_mark(), common/bench.h):
 *   1. ROUNDS round trips of one byte between this process and one more
 *      child over a pipe pair (each round trip: two wakeups, two switches);
 *   2. a busy loop of SPIN iterations (clock ticks with nobody to switch to).
 * Prints "pingpong ROUNDS rounds C cycles" and "spin SPIN iterations C
 * cycles", then ends both children and reaps them.
 */
#include <pthread.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/bench.h"

static int hold[2], ready[2], timed;

static void *sleeper(void *arg)
{
	char c = 'x';

	(void)arg;
	write(ready[1], &c, 1);
	if (timed) {
		struct timespec ts = { 86400, 0 };

		nanosleep(&ts, NULL);
	} else {
		while (read(hold[0], &c, 1) > 0)
			;
	}
	return NULL;
}

int main(int argc, char *argv[])
{
	long n, rounds, spin, i;
	int ping[2], pong[2];
	pid_t sleepers, partner;
	pthread_attr_t attr;
	pthread_t t;
	unsigned long long t0, t1;
	volatile unsigned long sink = 0;
	char c = 'x';

	if (argc < 4 || argc > 5 ||
	    (argc == 5 && strcmp(argv[4], "read") && strcmp(argv[4], "sleep"))) {
		fprintf(stderr, "usage: sleepq_bench n rounds spin [read|sleep]\n");
		return 1;
	}
	n = bench_count(argv[1], "count");
	rounds = bench_count(argv[2], "rounds");
	spin = bench_count(argv[3], "spin");
	timed = argc == 5 && !strcmp(argv[4], "sleep");
	if (pipe(hold) == -1 || pipe(ready) == -1)
		err(1, "pipe");
	switch (sleepers = fork()) {
	case -1:
		err(1, "fork");
	case 0:
		close(ready[0]);
		if (pthread_attr_init(&attr) != 0 ||
		    pthread_attr_setstacksize(&attr, 16384) != 0)
			errx(1, "pthread_attr");
		for (i = 0; i < n; i++)
			if (pthread_create(&t, &attr, sleeper, NULL) != 0)
				errx(1, "pthread_create %ld", i);
		for (;;)
			pause();
	}
	for (i = 0; i < n; i++)
		if (read(ready[0], &c, 1) != 1)
			err(1, "ready");
	if (pipe(ping) == -1 || pipe(pong) == -1)
		err(1, "pipe");
	switch (partner = fork()) {
	case -1:
		err(1, "fork");
	case 0:
		close(hold[1]);
		close(ping[1]);
		close(pong[0]);
		while (read(ping[0], &c, 1) == 1)
			write(pong[1], &c, 1);
		_exit(0);
	}
	close(ping[0]);
	close(pong[1]);

	bench_mark();
	t0 = rdtsc();
	for (i = 0; i < rounds; i++) {
		if (write(ping[1], &c, 1) != 1 || read(pong[0], &c, 1) != 1)
			err(1, "pingpong");
	}
	t1 = rdtsc();
	bench_mark();
	printf("pingpong %ld rounds %llu cycles\n", rounds, t1 - t0);

	bench_mark();
	t0 = rdtsc();
	for (i = 0; i < spin; i++)
		sink += (unsigned long)i;
	t1 = rdtsc();
	bench_mark();
	printf("spin %ld iterations %llu cycles\n", spin, t1 - t0);

	close(ping[1]);
	close(hold[1]);
	kill(sleepers, SIGKILL);
	for (i = 0; i < 2; i++)
		if (wait(NULL) == -1)
			err(1, "wait");
	return 0;
}
