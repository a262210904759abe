/*
 * bench.h -- shared by the benchmark programs of userland/bin (header only,
 * found relative to the including file, so no extra build flags).
 *
 * rdtsc() reads the time-stamp counter the way the paper measures: the
 * guest's TSC (kw86's cycle counter) around the loop, in user mode and as
 * a kernelware alike.  Two 32-bit halves so that it compiles for i386.
 */
#ifndef KW86_BENCH_H
#define KW86_BENCH_H

#include <errno.h>
#include <err.h>
#include <stdlib.h>
#include <unistd.h>

static inline unsigned long long rdtsc(void)
{
	unsigned int lo, hi;

	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return ((unsigned long long)hi << 32) | lo;
}

/*
 * bench_mark() brackets a timed region for a host that watches the guest
 * (`kw86 bench paper` splits the region's cycles into executed instructions,
 * the kernel-cost table and the disk model).  It is sync(2), a call none of
 * the measured programs makes and that kw86's write-through buffer cache
 * makes a no-op; the host sees it at the system-call hypercall, before the
 * kernel runs it.  Use it as
 *
 *	bench_mark(); t0 = rdtsc(); ...; t1 = rdtsc(); bench_mark();
 *
 * outside the rdtsc window, and print one result line per marked region,
 * in order.
 */
static inline void bench_mark(void)
{
	sync();
}

/* A positive decimal count argument, or exit with a message. */
static inline long bench_count(const char *s, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v <= 0)
		errx(1, "invalid %s: %s", what, s);
	return v;
}

#endif
