/*
 * sysfuzz -- a seeded system-call fuzzer (tests/test_nbsd_syscall_fuzz.py)
 *
 *   sysfuzz SEED CHILDREN CALLS
 *
 * Forks CHILDREN children one after the other; child i seeds its generator
 * with SEED and i, confines itself to /tmp (chroot, so that nothing outside
 * the in-memory file system can be named), points fds 0-2 at /dev/null and
 * makes CALLS random system calls (through libc's syscall(), so a kernelware
 * uses the call gate): mostly numbers the kernel implements, some any number
 * 0..511, with arguments drawn from small integers, -1, random words,
 * pointers into its own buffers (random contents, strings, iovecs), its stack,
 * NULL, the kernel's addresses and unmapped ones.  A child may die of what it
 * did (a signal); a child that does not end in 2 s of guest time is killed.
 * The parent prints one line per child ("child I status S") and "done".
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int syscall(int, ...);
#define chroot(p) syscall(61, (p))

static const unsigned short implemented[] = {
	1, 3, 4, 5, 6, 7, 9, 10, 12, 13, 15, 16, 17, 20, 23, 24, 25, 33, 34, 35,
	36, 37, 39, 41, 42, 43, 47, 49, 50, 54, 57, 58, 60, 61, 73, 74, 75, 79, 80,
	81, 82, 83, 86, 90, 91, 92, 93, 95, 96, 100, 116, 117, 120, 121, 123, 124,
	126, 127, 128, 132, 136, 137, 138, 147, 165, 173, 174, 181, 182, 183, 191,
	192, 194, 195, 197, 199, 200, 201, 202, 203, 204, 206, 207, 209, 232, 240,
	241, 242, 243, 272, 273, 274, 275, 276, 277, 278, 279, 280, 281, 283, 284,
	285, 286, 289, 290, 291, 292, 293, 294, 295, 296, 304, 305, 307, 308, 310,
	311, 312, 315, 316, 317, 318, 319, 321, 322, 323, 324, 325, 340, 350, 354,
	356, 357, 358, 390, 416, 417, 418, 420, 423, 424, 425, 426, 427, 429, 430,
	436, 437, 439, 440, 441, 445, 449, 453, 454, 457, 458, 459, 461, 462, 463,
	464, 466, 467, 468, 469, 470, 471, 472, 478, 483, 484, 485, 510, 511,
};
#define NIMPL (sizeof implemented / sizeof implemented[0])

static unsigned long long rng;

static unsigned int
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned int)(rng >> 11);
}

static unsigned char buf[3][8192];
static const char *names[] = { "a", "b/c", "/", ".", "..", "/a", "x/../y", "/dev/null",
	"/tmp", "d", "d/e", "" };

static unsigned int
arg(void)
{
	unsigned char *b = buf[rnd() % 3];
	switch (rnd() % 16) {
	case 0: return 0;
	case 1: return 0xffffffffu;
	case 2: return rnd() % 8;
	case 3: return rnd() % 64;
	case 4: return rnd();
	case 5: return (unsigned int)(unsigned long)(b + rnd() % 8192);
	case 6: return (unsigned int)(unsigned long)b;
	case 7: return (unsigned int)(unsigned long)names[rnd() % 12];
	case 8: return 0xc0000000u + (rnd() & 0x3fffffff);
	case 9: return 0x1000u * (rnd() % 16);
	case 10: return 0xbfbff000u + (rnd() % 0x1000);
	case 11: return (unsigned int)(unsigned long)&b;        /* the stack */
	case 12: return 1u << (rnd() % 32);
	case 13: return 0x7fffffffu;
	case 14: return (unsigned int)(unsigned long)(buf[0] + 8192 - (rnd() % 16));
	default: return 0x100 + rnd() % 0x1000;
	}
}

static void
fill(void)
{
	int i, j;
	for (i = 0; i < 3; i++)
		for (j = 0; j < 8192; j += 4) {
			unsigned int v = rnd() % 3 == 0 ? arg() : rnd();
			memcpy(&buf[i][j], &v, 4);
		}
	/* some strings among them */
	for (i = 0; i < 8; i++) {
		const char *n = names[rnd() % 12];
		memcpy(&buf[1][i * 64], n, strlen(n) + 1);
	}
}

static void
child(unsigned int seed, int idx, int calls)
{
	int i, fd;
	rng = 0x9e3779b97f4a7c15ull ^ ((unsigned long long)seed << 20) ^ (unsigned)idx;
	if (!rng)
		rng = 1;
	fd = open("/dev/null", O_RDWR);
	if (chroot("/tmp") < 0 || chdir("/") < 0)
		_exit(100);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	signal(SIGSYS, SIG_IGN);            /* numbers NetBSD lacks post it */
	mkdir("d", 0777);
	close(open("a", O_CREAT | O_WRONLY, 0666));
	fill();
	for (i = 0; i < calls; i++) {
		unsigned int n = rnd() % 16 ? implemented[rnd() % NIMPL] : rnd() % 512;
		unsigned int a[6];
		int k;
		for (k = 0; k < 6; k++)
			a[k] = arg();
		switch (n) {
		case 1: case 310:               /* exit, _lwp_exit: only now and then */
			if (rnd() % 16)
				continue;
			break;
		case 2: case 66: case 282:      /* fork, vfork: never (the harness forks) */
		case 59: case 465: case 474:    /* exec: never (keep the fuzzer) */
		case 0: case 198:               /* syscall(2) indirections: pick again */
			continue;
		case 37: case 318:              /* kill, _lwp_kill: only ourselves */
			a[0] = n == 37 ? (unsigned int)getpid() : 1;
			break;
		case 61: case 297:              /* chroot, fchroot: no way out anyway */
			break;
		}
		if (rnd() % 32 == 0)
			fill();
		syscall((int)n, a[0], a[1], a[2], a[3], a[4], a[5]);
	}
	_exit(0);
}

static volatile pid_t victim;

static void
on_alarm(int sig)
{
	(void)sig;
	if (victim > 0)
		kill(victim, SIGKILL);      /* (wait4 is restarted: SA_RESTART) */
}

int
main(int argc, char **argv)
{
	unsigned int seed;
	int children, calls, i;
	if (argc < 4) {
		fprintf(stderr, "usage: sysfuzz SEED CHILDREN CALLS\n");
		return 2;
	}
	seed = (unsigned int)strtoul(argv[1], 0, 10);
	children = atoi(argv[2]);
	calls = atoi(argv[3]);
	signal(SIGALRM, on_alarm);
	for (i = 0; i < children; i++) {
		int st = 0;
		pid_t c, w;
		fflush(stdout);
		c = fork();
		if (c < 0) {
			printf("fork failed: %d\n", errno);
			return 1;
		}
		if (c == 0)
			child(seed, i, calls);
		victim = c;
		alarm(2);
		while ((w = waitpid(c, &st, 0)) < 0 && errno == EINTR)
			;
		alarm(0);
		victim = 0;
		printf("child %d status %#x\n", i, st);
	}
	printf("done\n");
	return 0;
}
