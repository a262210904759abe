/*
 * sysscript -- run a given list of system calls and report each result
 * (tests/test_nbsd_hostile_syscalls.py drives it with hypothesis)
 *
 *   sysscript DIR CALL...
 *
 * CALL is NUM:A0,A1,A2,A3,A4,A5 with each argument either a number (hex
 * with 0x, else decimal, may be negative), bOFF (the address of byte OFF of
 * a 64 KiB buffer of random-looking bytes), sIDX (the address of path name
 * IDX of a small table) or S (an address on the stack).
 *
 * A child process chroots to DIR, ignores SIGSYS and makes the calls in
 * order through libc's syscall() (so a kernelware uses its call gate),
 * storing (done, return value, errno) of each in a page shared with the
 * parent; the parent kills a child that does not end in 3 s of guest time
 * and then prints "call I NUM done D rv R errno E" for every call, the
 * child's wait status and "done".
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int syscall(int, ...);

#define MAXCALLS 256

struct res {
	int started, done, rv, err;
};

static unsigned char buf[65536];
static const char *names[] = { "a", "b/c", "/", ".", "..", "../..", "victim",
	"link", "dir", "dir/f", "", "/dev/null", "../../../../../../etc/passwd" };
#define NNAMES (sizeof names / sizeof names[0])

static unsigned int
value(const char *s, unsigned int stack)
{
	if (*s == 'b')
		return (unsigned int)(unsigned long)(buf + (strtoul(s + 1, 0, 10) % sizeof buf));
	if (*s == 's')
		return (unsigned int)(unsigned long)names[strtoul(s + 1, 0, 10) % NNAMES];
	if (*s == 'S')
		return stack;
	if (*s == '-')
		return (unsigned int)strtol(s, 0, 0);
	return (unsigned int)strtoul(s, 0, 0);
}

static volatile pid_t victim;

static void
on_alarm(int sig)
{
	(void)sig;
	if (victim > 0)
		kill(victim, SIGKILL);
}

int
main(int argc, char **argv)
{
	struct res *r;
	int n = argc - 2, i, st = 0;
	unsigned int x = 0x12345678u;
	pid_t c, w;

	if (argc < 2 || n > MAXCALLS) {
		fprintf(stderr, "usage: sysscript DIR CALL... (at most %d)\n", MAXCALLS);
		return 2;
	}
	r = mmap(0, MAXCALLS * sizeof *r, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANON, -1, 0);
	if (r == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	memset(r, 0, MAXCALLS * sizeof *r);
	for (i = 0; i < (int)sizeof buf; i++) {
		x ^= x << 13; x ^= x >> 17; x ^= x << 5;
		buf[i] = (unsigned char)x;
	}
	strcpy((char *)buf + 256, "b/c");
	signal(SIGALRM, on_alarm);
	fflush(stdout);
	c = fork();
	if (c < 0) {
		perror("fork");
		return 1;
	}
	if (c == 0) {
		unsigned int stack[64];
		memset(stack, 0, sizeof stack);
		if (syscall(61, argv[1]) < 0 || chdir("/") < 0)     /* chroot */
			_exit(100);
		signal(SIGSYS, SIG_IGN);
		for (i = 0; i < n; i++) {
			unsigned int a[6] = { 0, 0, 0, 0, 0, 0 };
			char *p = argv[i + 2], *q;
			int num = (int)strtol(p, &q, 10), k;
			for (k = 0; k < 6 && *q; k++) {
				char tok[32];
				size_t m;
				p = q + 1;
				m = strcspn(p, ",");
				if (m >= sizeof tok)
					m = sizeof tok - 1;
				memcpy(tok, p, m);
				tok[m] = 0;
				a[k] = value(tok, (unsigned int)(unsigned long)stack);
				q = p + strcspn(p, ",");
			}
			r[i].started = 1;
			errno = 0;
			r[i].rv = syscall(num, a[0], a[1], a[2], a[3], a[4], a[5]);
			r[i].err = r[i].rv == -1 ? errno : 0;
			r[i].done = 1;
		}
		_exit(0);
	}
	victim = c;
	alarm(3);
	while ((w = waitpid(c, &st, 0)) < 0 && errno == EINTR)
		;
	alarm(0);
	victim = 0;
	for (i = 0; i < n; i++)
		printf("call %d %ld done %d rv %d errno %d\n", i, strtol(argv[i + 2], 0, 10),
		    r[i].done, r[i].rv, r[i].err);
	printf("status %#x\ndone\n", st);
	return 0;
}
