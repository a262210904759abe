/*
 * rw_bench -- cycles of read and write of a large buffer (the paper's
 * Fig. 6: 64 KiB, where the copy dominates the call overhead).
 *
 *   rw_bench [N] [SIZE] [FILE]   (defaults 100, 65536, /tmp/rw_bench.dat)
 *
 * Writes SIZE bytes to FILE N times and reads them back N times, each at
 * offset 0; only the read/write calls are inside the timed regions (the
 * lseek between them is not).  Prints
 *   "write N calls SIZE bytes C cycles P cycles/call"
 *   "read N calls SIZE bytes C cycles P cycles/call"
 * The file is removed afterwards unless FILE was given.  Each loop (its
 * lseeks included) is one bench_mark() region.
 */
#include <sys/types.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/bench.h"

int main(int argc, char *argv[])
{
	long n = argc > 1 ? bench_count(argv[1], "count") : 100, i;
	long size = argc > 2 ? bench_count(argv[2], "size") : 65536;
	const char *path = argc > 3 ? argv[3] : "/tmp/rw_bench.dat";
	unsigned long long t0, wtotal = 0, rtotal = 0;
	char *buf;
	ssize_t r;
	int fd;

	if (argc > 4) {
		fprintf(stderr, "usage: rw_bench [count] [size] [file]\n");
		return 1;
	}
	if ((buf = malloc((size_t)size)) == NULL)
		err(1, NULL);
	memset(buf, 'k', (size_t)size);
	if ((fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644)) < 0)
		err(1, "%s", path);
	if (write(fd, buf, (size_t)size) != size)	/* allocate the blocks */
		err(1, "%s", path);

	bench_mark();
	for (i = 0; i < n; i++) {
		if (lseek(fd, 0, SEEK_SET) < 0)
			err(1, "lseek");
		t0 = rdtsc();
		r = write(fd, buf, (size_t)size);
		wtotal += rdtsc() - t0;
		if (r != size)
			err(1, "write %s", path);
	}
	bench_mark();
	bench_mark();
	for (i = 0; i < n; i++) {
		if (lseek(fd, 0, SEEK_SET) < 0)
			err(1, "lseek");
		t0 = rdtsc();
		r = read(fd, buf, (size_t)size);
		rtotal += rdtsc() - t0;
		if (r != size)
			err(1, "read %s", path);
	}
	bench_mark();
	close(fd);
	if (argc <= 3)
		(void)unlink(path);
	printf("write %ld calls %ld bytes %llu cycles %llu cycles/call\n", n, size,
	    wtotal, wtotal / (unsigned long long)n);
	printf("read %ld calls %ld bytes %llu cycles %llu cycles/call\n", n, size,
	    rtotal, rtotal / (unsigned long long)n);
	free(buf);
	return 0;
}
