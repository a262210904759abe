/*
 * stat_bench -- cycles of the stat system call (the paper's Fig. 5).
 *
 *   stat_bench [N] [PATH]   (N calls on PATH, default 1000 and "/")
 *
 * Prints "stat N calls C cycles P cycles/call path PATH".
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <stdio.h>
#include <unistd.h>

#include "common/bench.h"

int main(int argc, char *argv[])
{
	long n = argc > 1 ? bench_count(argv[1], "count") : 1000, i;
	const char *path = argc > 2 ? argv[2] : "/";
	unsigned long long t0, t1, total;
	struct stat st;

	if (argc > 3) {
		fprintf(stderr, "usage: stat_bench [count] [path]\n");
		return 1;
	}
	if (stat(path, &st) < 0)
		err(1, "%s", path);
	bench_mark();
	t0 = rdtsc();
	for (i = 0; i < n; i++)
		if (stat(path, &st) < 0)
			err(1, "%s", path);
	t1 = rdtsc();
	bench_mark();
	total = t1 - t0;
	printf("stat %ld calls %llu cycles %llu cycles/call path %s\n", n, total,
	    total / (unsigned long long)n, path);
	return 0;
}
