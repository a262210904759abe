/*
 * spin -- a CPU-bound loop that reports progress, to watch preemption
 * (two spinners, one a kernelware, must interleave their lines).
 *
 *   spin [ROUNDS] [TAG] [ITERS]   (defaults 5, "spin", 1000000)
 *
 * Each round runs ITERS iterations of integer work and then prints
 * "spin TAG round R/ROUNDS cycles C" (cycles of that round); the last line
 * is "spin TAG done cycles TOTAL".  No system call inside a round.
 */
#include <stdio.h>
#include <unistd.h>

#include "common/bench.h"

int main(int argc, char *argv[])
{
	long rounds = argc > 1 ? bench_count(argv[1], "round count") : 5;
	const char *tag = argc > 2 ? argv[2] : "spin";
	long iters = argc > 3 ? bench_count(argv[3], "iteration count") : 1000000;
	unsigned long long start, t0, t1;
	volatile unsigned int acc = 1;
	long r, i;

	if (argc > 4) {
		fprintf(stderr, "usage: spin [rounds] [tag] [iterations]\n");
		return 1;
	}
	start = rdtsc();
	for (r = 1; r <= rounds; r++) {
		t0 = rdtsc();
		for (i = 0; i < iters; i++)
			acc = acc * 1103515245u + 12345u;
		t1 = rdtsc();
		printf("spin %s round %ld/%ld cycles %llu\n", tag, r, rounds,
		    t1 - t0);
		fflush(stdout);
	}
	printf("spin %s done cycles %llu\n", tag, rdtsc() - start);
	return 0;
}
