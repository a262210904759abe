/*
 * mkfiles -- create N empty files in a directory, for the paper's
 * "ls over 1,000 files" experiment (Fig. 7).
 *
 *   mkfiles DIR N
 *
 * Creates DIR if needed, then DIR/f00000 ... (five digits at least), each
 * with the guest clock's time (futimens: a host directory would otherwise
 * give them the host's, and `ls -l` over them would differ from run to run).
 * Prints "mkfiles DIR N files C cycles".
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/bench.h"

int main(int argc, char *argv[])
{
	unsigned long long t0, t1;
	char *path;
	long n, i;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: mkfiles directory count\n");
		return 1;
	}
	n = bench_count(argv[2], "count");
	if (mkdir(argv[1], 0755) < 0 && errno != EEXIST)
		err(1, "%s", argv[1]);
	if ((path = malloc(strlen(argv[1]) + 32)) == NULL)
		err(1, NULL);
	t0 = rdtsc();
	for (i = 0; i < n; i++) {
		sprintf(path, "%s/f%05ld", argv[1], i);
		if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0)
			err(1, "%s", path);
		if (futimens(fd, NULL) < 0)
			err(1, "%s", path);
		close(fd);
	}
	t1 = rdtsc();
	printf("mkfiles %s %ld files %llu cycles\n", argv[1], n, t1 - t0);
	free(path);
	return 0;
}
