/*
 * hostsafe -- guest side of tests/test_nbsd_hostsafety.py (issue 13): a guest
 * that tries to make kw86 change host files outside its root.
 *
 *   hostsafe rmdirchmod DIR TARGET
 *       mkdir DIR/d, open it, rmdir it, put a symlink to TARGET (a host
 *       path) under the same name, then fchmod/fchown/futimes the open
 *       descriptor (the exploit of issue 13 item 1).
 *   hostsafe cwdchmod DIR TARGET
 *       the same through the working directory: chdir DIR/d, rmdir it,
 *       symlink, chmod(".") -- what an unprivileged user can do.
 *   hostsafe replacechmod A B TARGET
 *       rmdir A (the host directory of the mount at B), put a symlink to
 *       TARGET there, then chmod/chown/utimes B and mkdir B/x: the mount's
 *       root must stay the directory it was mounted from.
 *   hostsafe fuzz SEED N TARGETS DIR...
 *       N random operations (mkdir, rmdir, rename, symlink, link, unlink,
 *       chmod, chown, utimes, truncate, mkfifo, open/write, and fchmod,
 *       fchown, futimes, ftruncate, write, fchdir on descriptors held
 *       across operations) on a small pool of names under each DIR.
 *       TARGETS is a ':'-separated list of symlink targets to plant (host
 *       paths of the victims among them).  Prints one line per operation
 *       kind: "NAME tried ok", then "done".
 *
 * Exit status 0 unless the program itself went wrong.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <unistd.h>

static unsigned long long rng;

static unsigned
rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)((rng >> 11) % n);
}

static void
say(const char *what, int r)
{
	printf("%s %d %d\n", what, r, r < 0 ? errno : 0);
	fflush(stdout);
}

static int
rmdirchmod(const char *dir, const char *target, int cwd)
{
	char d[512];
	struct timeval tv[2] = {{1000000000, 0}, {1000000000, 0}};
	int fd = -1;

	snprintf(d, sizeof d, "%s/d", dir);
	say("mkdir", mkdir(d, 0755));
	if (cwd)
		say("chdir", chdir(d));
	else {
		fd = open(d, O_RDONLY);
		say("open", fd);
	}
	say("rmdir", rmdir(d));
	say("symlink", symlink(target, d));
	if (cwd) {
		say("chmod", chmod(".", 04777));
		say("chown", chown(".", 1234, 1234));
		say("utimes", utimes(".", tv));
		say("mkdir-in-removed", mkdir("x", 0777));
	} else {
		say("fchmod", fchmod(fd, 04777));
		say("fchown", fchown(fd, 1234, 1234));
		say("futimes", futimes(fd, tv));
		say("fchdir", fchdir(fd));
		say("chmod-dot", chmod(".", 06777));
	}
	return 0;
}

static int
replacechmod(const char *a, const char *b, const char *target)
{
	struct timeval tv[2] = {{1000000000, 0}, {1000000000, 0}};

	say("rmdir", rmdir(a));
	say("symlink", symlink(target, a));
	say("chmod", chmod(b, 04777));
	say("chown", chown(b, 1234, 1234));
	say("utimes", utimes(b, tv));
	return 0;
}

/* -------------------------------------------------------------------------- */

#define NOPS 24
static const char *opname[NOPS] = {
	"mkdir", "rmdir", "rename", "symlink", "link", "unlink", "chmod", "chown",
	"lchown", "utimes", "truncate", "mkfifo", "creat", "openhold", "fchmod",
	"fchown", "futimes", "ftruncate", "write", "fchdir", "chdir", "lutimes",
	"mkdirhold", "closehold",
};
static int tried[NOPS], okcount[NOPS];

static const char *names[] = {
	"a", "b", "c", "d", "v", "w", "s", "s/a", "s/b", "s/v", "s/s", "s/s/a", "t/v",
	"l0", "l1", "s/l0",
};
#define NNAMES (sizeof names / sizeof names[0])

static char **dirs;
static int ndirs;
static char *targets[16];
static int ntargets;
static int held[8];

static void
pick(char *buf, size_t n)
{
	if (rnd(8) == 0)
		snprintf(buf, n, "%s", names[rnd(NNAMES)]);	/* relative to cwd */
	else
		snprintf(buf, n, "%s/%s", dirs[rnd(ndirs)], names[rnd(NNAMES)]);
}

static int
fuzz(unsigned long long seed, int n)
{
	char p[512], q[512];
	struct timeval tv[2];
	int i, k, r, fd;
	mode_t modes[] = {0, 0777, 04777, 06755, 01777, 0644, 0600, 02700};

	rng = seed * 2654435761ULL + 0x9e3779b97f4a7c15ULL;
	if (rng == 0)
		rng = 1;
	for (i = 0; i < 8; i++)
		held[i] = -1;
	for (i = 0; i < n; i++) {
		int op = rnd(NOPS);
		pick(p, sizeof p);
		pick(q, sizeof q);
		tv[0].tv_sec = rnd(2000000000);
		tv[0].tv_usec = 0;
		tv[1] = tv[0];
		k = rnd(8);
		fd = held[k];
		r = -1;
		switch (op) {
		case 0: r = mkdir(p, modes[rnd(8)]); break;
		case 1: r = rmdir(p); break;
		case 2: r = rename(p, q); break;
		case 3:
			r = symlink(rnd(3) ? targets[rnd(ntargets)] : q, p);
			break;
		case 4:		/* a top-level file to a name made free, one directory */
			k = rnd(ndirs);
			snprintf(p, sizeof p, "%s/%s", dirs[k], names[rnd(6)]);
			snprintf(q, sizeof q, "%s/%s", dirs[k], names[NNAMES - 2 - rnd(2)]);
			if ((fd = open(p, O_WRONLY | O_CREAT | O_NONBLOCK, 0644)) >= 0)
				close(fd);
			unlink(q);
			r = link(p, q);
			break;
		case 5: r = unlink(p); break;
		case 6: r = chmod(p, modes[rnd(8)]); break;
		case 7: r = chown(p, rnd(3) * 1000, rnd(3) * 100); break;
		case 8: r = lchown(p, rnd(3) * 1000, rnd(3) * 100); break;
		case 9: r = utimes(p, tv); break;
		case 10: r = truncate(p, rnd(3) * 4096); break;
		case 11: r = mkfifo(p, modes[rnd(8)]); break;
		case 12:
			r = open(p, O_WRONLY | O_CREAT | O_NONBLOCK | (rnd(2) ? O_TRUNC : 0),
			    modes[rnd(8)]);
			if (r >= 0) {
				write(r, "guest data\n", 11);
				close(r);
			}
			break;
		case 13:	/* open and keep: the descriptor outlives its name */
		case 22:
			if (op == 22)
				mkdir(p, 0755);
			r = open(p, (rnd(2) ? O_RDONLY : O_RDWR) | O_NONBLOCK);
			if (r >= 0) {
				if (held[k] >= 0)
					close(held[k]);
				held[k] = r;
			}
			break;
		case 14: r = fd < 0 ? -1 : fchmod(fd, modes[rnd(8)]); break;
		case 15: r = fd < 0 ? -1 : fchown(fd, rnd(3) * 1000, rnd(3) * 100); break;
		case 16: r = fd < 0 ? -1 : futimes(fd, tv); break;
		case 17: r = fd < 0 ? -1 : ftruncate(fd, rnd(3) * 100); break;
		case 18: r = fd < 0 ? -1 : write(fd, "held\n", 5); break;
		case 19:
			r = fd < 0 ? -1 : fchdir(fd);
			if (r == 0) {
				/* operate on "." of a directory that may be gone */
				chmod(".", modes[rnd(8)]);
				chown(".", rnd(3) * 1000, rnd(3) * 100);
				utimes(".", tv);
				r = mkdir("n", 0777);
			}
			break;
		case 20: r = chdir(p); break;
		case 21: r = lutimes(p, tv); break;
		case 23:
			if (fd >= 0) {
				r = close(fd);
				held[k] = -1;
			}
			break;
		}
		tried[op]++;
		if (r >= 0)
			okcount[op]++;
	}
	for (i = 0; i < NOPS; i++)
		printf("%s %d %d\n", opname[i], tried[i], okcount[i]);
	printf("done\n");
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "rmdirchmod") == 0)
		return rmdirchmod(argv[2], argv[3], 0);
	if (argc == 4 && strcmp(argv[1], "cwdchmod") == 0)
		return rmdirchmod(argv[2], argv[3], 1);
	if (argc == 5 && strcmp(argv[1], "replacechmod") == 0)
		return replacechmod(argv[2], argv[3], argv[4]);
	if (argc >= 6 && strcmp(argv[1], "fuzz") == 0) {
		char *t, *s = argv[4];
		while ((t = strsep(&s, ":")) != NULL && ntargets < 16)
			if (*t)
				targets[ntargets++] = t;
		if (ntargets == 0)
			targets[ntargets++] = "/";
		dirs = argv + 5;
		ndirs = argc - 5;
		return fuzz(strtoull(argv[2], NULL, 10), atoi(argv[3]));
	}
	fprintf(stderr, "usage: hostsafe rmdirchmod|cwdchmod DIR TARGET | "
	    "fuzz SEED N TARGETS DIR...\n");
	return 2;
}
