/*
 * getpid_bench -- cycles of the getpid system call (the paper's Fig. 4/5).
 *
 *   getpid_bench [N]        (N calls, default 1000)
 *
 * Prints "getpid N calls C cycles P cycles/call".  getpid() is the libc
 * stub: int $0x80 in user mode, a plain call as a kernelware.  (On a host
 * libc that caches the pid the numbers mean nothing; use it for checks.)
 */
#include <stdio.h>
#include <unistd.h>

#include "common/bench.h"

int main(int argc, char *argv[])
{
	long n = argc > 1 ? bench_count(argv[1], "count") : 1000, i;
	unsigned long long t0, t1, total;
	volatile pid_t sink = 0;

	if (argc > 2) {
		fprintf(stderr, "usage: getpid_bench [count]\n");
		return 1;
	}
	sink = getpid();	/* warm up: page in the stub */
	bench_mark();
	t0 = rdtsc();
	for (i = 0; i < n; i++)
		sink = getpid();
	t1 = rdtsc();
	bench_mark();
	(void)sink;
	total = t1 - t0;
	printf("getpid %ld calls %llu cycles %llu cycles/call\n", n, total,
	    total / (unsigned long long)n);
	return 0;
}
