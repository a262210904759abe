/*
 * sleep -- suspend execution for an interval (kw86 userland, from sleep(1)
 * of NetBSD and POSIX).  The interval is whole seconds (no fractions: the
 * userland uses no floating point); a fraction ".N" is accepted and
 * rounded down to the nanosecond with integer arithmetic.
 */
#include <errno.h>
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static void usage(void)
{
	fprintf(stderr, "usage: sleep seconds\n");
	exit(1);
}

int main(int argc, char *argv[])
{
	struct timespec ts;
	const char *p;
	long long secs = 0;
	long nsec = 0, scale = 100000000;

	/* no options; getopt rejects "-1" as NetBSD's sleep does, and
	 * takes "--" */
	while (getopt(argc, argv, "") != -1)
		usage();
	argc -= optind - 1;
	argv += optind - 1;
	if (argc != 2)
		usage();
	/*
	 * NetBSD's sleep: an operand that is not a non-negative decimal number
	 * ("abc", "1x", "") is a usage error (exit 1); one beyond 2^31-1
	 * seconds is "requested delay (N) out of range".
	 */
	p = argv[1];
	if (*p == '+')
		p++;
	if (*p == '\0' || ((*p < '0' || *p > '9') && *p != '.'))
		usage();
	for (; *p >= '0' && *p <= '9'; p++) {
		secs = secs * 10 + (*p - '0');
		if (secs > 0x7fffffffLL)
			errx(1, "requested delay (%s) out of range", argv[1]);
	}
	if (*p == '.') {
		if ((p == argv[1] || p[-1] == '+') && (p[1] < '0' || p[1] > '9'))
			usage();
		for (p++; *p >= '0' && *p <= '9'; p++) {
			nsec += (*p - '0') * scale;
			scale /= 10;
		}
	}
	if (*p != '\0')
		usage();
	ts.tv_sec = (time_t)secs;
	ts.tv_nsec = nsec;
	while (nanosleep(&ts, &ts) < 0) {
		if (errno != EINTR)
			err(1, "nanosleep");
	}
	return 0;
}
