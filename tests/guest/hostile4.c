/*
 * hostile4 -- guest side of tests/test_nbsd_hostile4.py: a fourth hostile
 * sweep.  Every attempt prints one line
 *
 *     NAME RV ERRNO [detail]
 *
 * (RV the call's result, ERRNO errno when it failed, else 0), then "done".
 *
 *   hostile4 iov             readv/writev/preadv/pwritev whose vectors all
 *                            name one buffer (1 GiB moved through 1 MiB)
 *   hostile4 procs           root raises RLIMIT_NPROC past kern.maxproc and
 *                            forks until fork fails
 *   hostile4 names DIR       names of every byte (not UTF-8, encoded
 *                            surrogates, 255 bytes, newlines) created,
 *                            listed, renamed, linked and removed in DIR
 *   hostile4 hostnodes DIR   what the host put in DIR: device nodes, long
 *                            symbolic links, loops, links out
 *   hostile4 sigrec          a signal handler that raises its own signal
 *                            (SA_NODEFER) without end; a fault handler on a
 *                            stack that is not there
 *   hostile4 timers          timer and kqueue floods
 *   hostile4 core            a process that dumps core (RLIMIT_CORE unlimited)
 *   hostile4 argmax          execve at and past ARG_MAX, bad vectors
 *   hostile4 sysctl          writes to sysctl nodes, ptrace, setrlimit raising
 *   hostile4 scribble SEED N W LO HI
 *                            (kernelware) N children, each writes W random
 *                            words at random kernel addresses in [LO, HI)
 *                            (CR0.WP cleared: locore's text too), then makes
 *                            system calls and kernel API calls; prints each
 *                            child's status
 *   hostile4 kqnest N        N kqueues each watching the next (EVFILT_READ), the
 *                            last the first, one itself; a user event at the
 *                            end; then poll and kevent on them
 *   hostile4 scmchain N      N socket pairs, each pair's two ends sent over the
 *                            next pair (SCM_RIGHTS), the last pair's ends sent
 *                            over themselves, all closed: garbage to collect
 *   hostile4 vforkchain N    each process vforks the next, N deep; the last
 *                            one execs; statuses come back up the chain
 *   hostile4 deepdir DIR N   mkdir+chdir N levels below DIR, getcwd,
 *                            /proc/self/cwd, rename and remove the chain
 *   hostile4 pde             (kernelware) children rewrite an entry of their own
 *                            page directory: one past the end of memory, then
 *                            exit; their stack's to physical page 0 (no page
 *                            table there), then push
 *   hostile4 bigread FILE    reads of SSIZE_MAX bytes from a large (sparse) file
 *                            into small and large buffers, pread, readv, mmap
 *   hostile4 offsets FILE    writes, reads, truncates, locks and mappings at
 *                            offsets near and past the largest off_t
 *   hostile4 ctxforge        a signal handler edits the context it returns to:
 *                            IOPL 3, a kernel code selector, a kernel stack
 *                            selector, VM86, then an `out` to the hypercall port
 *   hostile4 nop             exit 0 (argmax's child)
 */
#include <sys/types.h>
#include <sys/event.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysctl.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <kernelware.h>

static void
say(const char *what, long r)
{
	printf("%s %ld %d\n", what, r, r < 0 ? errno : 0);
	fflush(stdout);
}

static void
sayd(const char *what, long r, const char *detail)
{
	printf("%s %ld %d %s\n", what, r, r < 0 ? errno : 0, detail);
	fflush(stdout);
}

static char *
cat(const char *a, const char *b)
{
	static char buf[8][1024];
	static int i;
	char *p = buf[i++ & 7];
	snprintf(p, 1024, "%s/%s", a, b);
	return p;
}

/* -- iov ---------------------------------------------------------------------- */

#define NIOV 1024
#define ONE (1 << 20)

static int
iov(void)
{
	static struct iovec v[NIOV];
	char *buf = malloc(ONE), *tmp;
	int i, fd, p[2];
	long r;

	memset(buf, 'x', ONE);
	for (i = 0; i < NIOV; i++) {
		v[i].iov_base = buf;
		v[i].iov_len = ONE;
	}
	fd = open("/dev/null", O_WRONLY);
	say("writev-null-1g", writev(fd, v, NIOV));
	close(fd);
	fd = open("/dev/zero", O_RDONLY);
	say("readv-zero-1g", readv(fd, v, NIOV));
	say("readv-zero-ok", buf[0] == 0 && buf[ONE - 1] == 0 ? 0 : -1);
	close(fd);
	/* a host file: 1 GiB of writes would be the host's disk: 64 MiB */
	fd = open("/tmp/iovf", O_RDWR | O_CREAT | O_TRUNC, 0644);
	memset(buf, 'y', ONE);
	say("writev-mfs-64m", writev(fd, v, 64));
	lseek(fd, 0, SEEK_SET);
	say("readv-mfs", readv(fd, v, NIOV));
	lseek(fd, 1 << 20, SEEK_SET);
	say("writev-mfs-8m", writev(fd, v, 8));
	close(fd);
	unlink("/tmp/iovf");
	/* a pipe: blocks at its buffer, a non-blocking one gives what fits */
	pipe(p);
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	say("writev-pipe", writev(p[1], v, NIOV));
	close(p[0]);
	close(p[1]);
	/* a socket pair, the same */
	socketpair(AF_LOCAL, SOCK_STREAM, 0, p);
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	say("writev-sock", writev(p[1], v, NIOV));
	{
		struct msghdr m;
		memset(&m, 0, sizeof m);
		m.msg_iov = v;
		m.msg_iovlen = NIOV;
		say("sendmsg-sock", sendmsg(p[1], &m, MSG_DONTWAIT));
	}
	close(p[0]);
	close(p[1]);
	/* lengths summing past SSIZE_MAX: EINVAL, nothing moved */
	for (i = 0; i < 4; i++) {
		v[i].iov_base = buf;
		v[i].iov_len = 0x7fffffff;
	}
	fd = open("/dev/null", O_WRONLY);
	say("writev-ssize-max", writev(fd, v, 4));
	close(fd);
	/* a vector of 1,024 entries over an unmapped page */
	tmp = mmap(0, 4096, PROT_NONE, MAP_ANON | MAP_PRIVATE, -1, 0);
	for (i = 0; i < NIOV; i++) {
		v[i].iov_base = tmp;
		v[i].iov_len = 4096;
	}
	fd = open("/dev/zero", O_RDONLY);
	say("readv-prot-none", readv(fd, v, NIOV));
	close(fd);
	r = 0;
	free(buf);
	return (int)r;
}

/* -- procs -------------------------------------------------------------------- */

static int
procs(void)
{
	struct rlimit rl = {RLIM_INFINITY, RLIM_INFINITY};
	static pid_t kids[8192];
	int n, i, mib[2] = {CTL_KERN, KERN_MAXPROC}, maxproc = 0;
	size_t len = sizeof maxproc;
	char buf[64];

	say("setrlimit-nproc", setrlimit(RLIMIT_NPROC, &rl));
	say("sysctl-maxproc", sysctl(mib, 2, &maxproc, &len, 0, 0));
	for (n = 0; n < 8192; n++) {
		pid_t c = fork();
		if (c == 0) {
			pause();
			_exit(0);
		}
		if (c < 0)
			break;
		kids[n] = c;
	}
	snprintf(buf, sizeof buf, "%d %d", n, maxproc);
	sayd("fork-bomb", -1, buf);
	for (i = 0; i < n; i++)
		kill(kids[i], SIGKILL);
	for (i = 0; i < n; i++)
		waitpid(kids[i], 0, 0);
	return 0;
}

/* -- names -------------------------------------------------------------------- */

static const char *const NAMES[] = {
	"\xff\xfe",                    /* not UTF-8 */
	"\xed\xa0\x80",                /* an encoded surrogate (U+D800) */
	"\xed\xb2\x80x",               /* U+DC80: what surrogateescape makes of 0x80 */
	"\x80",
	"a\nb",
	"\xc0\xaf",                    /* an overlong "/" */
	"\xe2\x80\xae" "txt.exe",      /* right-to-left override */
	" ",
	"-",
	"\x01\x1b[2J",
	0
};

static int
names(const char *dir)
{
	char long255[256], long256[257], buf[1100], lnk[600];
	int i, fd, seen;
	DIR *d;
	struct dirent *e;
	struct stat st;

	for (i = 0; NAMES[i]; i++) {
		char what[32];
		const char *p = cat(dir, NAMES[i]);
		snprintf(what, sizeof what, "create-%d", i);
		fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0644);
		say(what, fd);
		if (fd >= 0) {
			write(fd, NAMES[i], strlen(NAMES[i]));
			close(fd);
		}
		snprintf(what, sizeof what, "stat-%d", i);
		say(what, stat(p, &st) < 0 ? -1 : (long)st.st_size);
		snprintf(what, sizeof what, "symlink-%d", i);
		say(what, symlink(NAMES[i], cat(dir, "lnk")));
		snprintf(what, sizeof what, "readlink-%d", i);
		memset(lnk, 0, sizeof lnk);
		say(what, readlink(cat(dir, "lnk"), lnk, sizeof lnk) == (ssize_t)strlen(NAMES[i]) &&
		    memcmp(lnk, NAMES[i], strlen(NAMES[i])) == 0 ? 0 : -1);
		snprintf(what, sizeof what, "through-%d", i);
		say(what, stat(cat(dir, "lnk"), &st) < 0 ? -1 : (long)st.st_size);
		unlink(cat(dir, "lnk"));
		snprintf(what, sizeof what, "mkdir-%d", i);
		snprintf(buf, sizeof buf, "%s.d", NAMES[i]);
		say(what, mkdir(cat(dir, buf), 0755));
		snprintf(what, sizeof what, "rename-%d", i);
		snprintf(buf, sizeof buf, "%s.r", NAMES[i]);
		say(what, rename(p, cat(dir, buf)));
		snprintf(what, sizeof what, "link-%d", i);
		say(what, link(cat(dir, buf), p));
	}
	seen = 0;
	d = opendir(dir);
	while (d && (e = readdir(d)) != 0)
		for (i = 0; NAMES[i]; i++)
			if (strcmp(e->d_name, NAMES[i]) == 0)
				seen++;
	if (d)
		closedir(d);
	say("readdir-seen", seen);
	for (i = 0; NAMES[i]; i++) {
		char what[32];
		snprintf(what, sizeof what, "unlink-%d", i);
		say(what, unlink(cat(dir, NAMES[i])));
		snprintf(buf, sizeof buf, "%s.r", NAMES[i]);
		unlink(cat(dir, buf));
		snprintf(buf, sizeof buf, "%s.d", NAMES[i]);
		rmdir(cat(dir, buf));
	}
	memset(long255, 'n', 255);
	long255[255] = 0;
	memset(long256, 'n', 256);
	long256[256] = 0;
	fd = open(cat(dir, long255), O_WRONLY | O_CREAT, 0644);
	say("create-255", fd);
	close(fd);
	say("rename-255-to-256", rename(cat(dir, long255), cat(dir, long256)));
	say("symlink-256", symlink(long256, cat(dir, "l256")));
	say("stat-l256", stat(cat(dir, "l256"), &st));
	unlink(cat(dir, "l256"));
	/* a target of 1,023 bytes; one of 1,024 (PATH_MAX with its NUL) */
	memset(buf, 'a', 1023);
	buf[1023] = 0;
	say("symlink-1023", symlink(buf, cat(dir, "l1023")));
	buf[1023] = 'a';
	buf[1024] = 0;
	say("symlink-1024", symlink(buf, cat(dir, "l1024")));
	unlink(cat(dir, "l1023"));
	unlink(cat(dir, "l1024"));
	say("unlink-255", unlink(cat(dir, long255)));
	return 0;
}

/* -- hostnodes ------------------------------------------------------------------ */

static int
hostnodes(const char *dir)
{
	static const char *const files[] = {"mem", "null", "zero", "loopdev", "blk", "fifo",
					    "sock", "long", "loop", "up", "abs", "updir",
					    "absdir", "hard", 0};
	char buf[256], what[64];
	struct stat st;
	int i, fd;
	DIR *d;
	struct dirent *e;
	long n;

	d = opendir(dir);
	n = 0;
	while (d && (e = readdir(d)) != 0)
		n++;
	if (d)
		closedir(d);
	say("readdir", n);
	for (i = 0; files[i]; i++) {
		const char *p = cat(dir, files[i]);
		snprintf(what, sizeof what, "lstat-%s", files[i]);
		if (lstat(p, &st) == 0)
			sayd(what, 0, (snprintf(buf, sizeof buf, "%o", (unsigned)st.st_mode), buf));
		else
			say(what, -1);
		snprintf(what, sizeof what, "open-%s", files[i]);
		fd = open(p, O_RDWR | O_NONBLOCK);
		say(what, fd);
		if (fd >= 0) {
			snprintf(what, sizeof what, "read-%s", files[i]);
			say(what, read(fd, buf, 16));
			snprintf(what, sizeof what, "write-%s", files[i]);
			say(what, write(fd, "pwned\n", 6));
			close(fd);
		}
		snprintf(what, sizeof what, "rdonly-%s", files[i]);
		fd = open(p, O_RDONLY | O_NONBLOCK);
		say(what, fd);
		if (fd >= 0) {
			void *m = mmap(0, 4096, PROT_READ, MAP_SHARED, fd, 0);
			snprintf(what, sizeof what, "mmap-%s", files[i]);
			say(what, m == MAP_FAILED ? -1 : 0);
			close(fd);
		}
		snprintf(what, sizeof what, "truncate-%s", files[i]);
		say(what, truncate(p, 0));
		snprintf(what, sizeof what, "chmod-%s", files[i]);
		say(what, chmod(p, 0666));
		snprintf(what, sizeof what, "utimes-%s", files[i]);
		say(what, utimes(p, 0));
		snprintf(what, sizeof what, "chown-%s", files[i]);
		say(what, chown(p, 1000, 1000));
		snprintf(what, sizeof what, "after-%s", files[i]);
		if (lstat(p, &st) == 0)
			sayd(what, 0, (snprintf(buf, sizeof buf, "%o %d %d", (unsigned)st.st_mode,
			    (int)st.st_uid, (int)st.st_gid), buf));
		else
			say(what, -1);
	}
	say("readlink-long", readlink(cat(dir, "long"), buf, sizeof buf));
	say("stat-long", stat(cat(dir, "long"), &st));
	say("stat-loop", stat(cat(dir, "loop/x"), &st));
	say("creat-up", open(cat(dir, "up/created"), O_WRONLY | O_CREAT, 0644));
	say("creat-abs", open(cat(dir, "abs/created"), O_WRONLY | O_CREAT, 0644));
	say("creat-updir", open(cat(dir, "updir/../created"), O_WRONLY | O_CREAT, 0644));
	say("mkdir-absdir", mkdir(cat(dir, "absdir/../x"), 0755));
	say("rename-in-abs", rename(cat(dir, "hard"), cat(dir, "abs/../hard2")));
	say("rename-back", rename(cat(dir, "abs/../hard2"), cat(dir, "hard")));
	return 0;
}

/* -- sigrec ----------------------------------------------------------------------- */

static volatile int depth;

static void
recur(int sig)
{
	depth++;
	raise(sig);
}

static void
onsegv(int sig)
{
	(void)sig;
	_exit(3);
}

static int
child_status(pid_t c)
{
	int st = 0;
	waitpid(c, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* a child that takes SIGSEGV (and SIGBUS) on the alternate stack [sp, sp + size):
 * its status (NetBSD's sendsig cannot build the frame there: SIGILL) */
static int
altstack_fault(void *sp, size_t size)
{
	struct sigaction sa;
	stack_t ss;
	pid_t c = fork();

	if (c == 0) {
		ss.ss_sp = sp;
		ss.ss_size = size;
		ss.ss_flags = 0;
		if (sigaltstack(&ss, 0) < 0)
			_exit(100 + errno);
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = onsegv;
		sa.sa_flags = SA_ONSTACK;
		sigaction(SIGSEGV, &sa, 0);
		sigaction(SIGBUS, &sa, 0);
		*(volatile int *)0 = 1;
		_exit(0);
	}
	return child_status(c);
}

static int
sigrec(void)
{
	struct sigaction sa;
	stack_t ss;
	pid_t c;

	c = fork();
	if (c == 0) {
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = recur;
		sa.sa_flags = SA_NODEFER;
		sigaction(SIGUSR1, &sa, 0);
		raise(SIGUSR1);
		_exit(0);
	}
	say("raise-recursive", child_status(c));
	/* the same with the fault handled on an alternate stack: it recurses
	 * until the stack runs out, then its SIGSEGV is handled */
	c = fork();
	if (c == 0) {
		static char alt[65536];
		ss.ss_sp = alt;
		ss.ss_size = sizeof alt;
		ss.ss_flags = 0;
		sigaltstack(&ss, 0);
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = onsegv;
		sa.sa_flags = SA_ONSTACK;
		sigaction(SIGSEGV, &sa, 0);
		sa.sa_handler = recur;
		sa.sa_flags = SA_NODEFER;
		sigaction(SIGUSR1, &sa, 0);
		raise(SIGUSR1);
		_exit(0);
	}
	say("raise-recursive-altstack", child_status(c));
	/* an alternate stack in the kernel, one read-only, one that wraps */
	say("altstack-kernel", altstack_fault((void *)0xc0100000, 65536));
	say("altstack-readonly",
	    altstack_fault(mmap(0, 65536, PROT_READ, MAP_ANON | MAP_PRIVATE, -1, 0), 65536));
	say("altstack-huge", altstack_fault((void *)0xbfff0000 - 0x100000, 0x7fffffff));
	/* the handler's address in the kernel, at 0 */
	c = fork();
	if (c == 0) {
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = (void (*)(int))0xc0100000;
		sigaction(SIGUSR1, &sa, 0);
		raise(SIGUSR1);
		_exit(0);
	}
	say("handler-kernel", child_status(c));
	/* the stack pointer at 0 when a signal comes */
	c = fork();
	if (c == 0) {
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = onsegv;
		sigaction(SIGSEGV, &sa, 0);
		sigaction(SIGALRM, &sa, 0);
		alarm(1);
		__asm__ __volatile__("xorl %%esp, %%esp\n1: jmp 1b" ::: "memory");
		_exit(0);
	}
	say("esp-zero", child_status(c));
	return 0;
}

/* -- timers ---------------------------------------------------------------------- */

static volatile long alarms;

static void
onalrm(int sig)
{
	(void)sig;
	alarms++;
}

static int
timers(void)
{
	struct itimerval it;
	struct sigevent sev;
	timer_t t;
	int i, kq, n;
	struct kevent ev;
	static struct kevent out[1024];
	struct timespec ts = {0, 0};
	char buf[64];

	for (n = 0; n < 100000; n++) {
		memset(&sev, 0, sizeof sev);
		sev.sigev_notify = SIGEV_SIGNAL;
		sev.sigev_signo = SIGALRM;
		if (timer_create(CLOCK_REALTIME, &sev, &t) < 0)
			break;
	}
	sayd("timer-create-all", -1, (snprintf(buf, sizeof buf, "%d", n), buf));
	signal(SIGALRM, onalrm);
	it.it_interval.tv_sec = 0;
	it.it_interval.tv_usec = 1;
	it.it_value = it.it_interval;
	say("setitimer-1us", setitimer(ITIMER_REAL, &it, 0));
	for (i = 0; i < 2000000 && alarms < 50; i++)
		;
	it.it_interval.tv_usec = 0;
	it.it_value = it.it_interval;
	setitimer(ITIMER_REAL, &it, 0);
	sayd("alarms", 0, alarms >= 1 ? "some" : "none");
	kq = kqueue();
	for (n = 0; n < 100000; n++) {
		EV_SET(&ev, n, EVFILT_TIMER, EV_ADD, NOTE_NSECONDS, 1, 0);
		if (kevent(kq, &ev, 1, 0, 0, 0) < 0)
			break;
	}
	sayd("kq-timers", -1, (snprintf(buf, sizeof buf, "%d %d", n, errno), buf));
	ts.tv_sec = 1;
	n = 0;
	for (i = 0; i < 20; i++)
		n += kevent(kq, 0, 0, out, 1024, &ts);
	say("kq-poll", n > 0 ? 0 : -1);
	close(kq);
	return 0;
}

/* -- core -------------------------------------------------------------------------- */

static int
core(void)
{
	struct rlimit rl = {RLIM_INFINITY, RLIM_INFINITY};
	pid_t c;
	int st = 0;

	c = fork();
	if (c == 0) {
		setrlimit(RLIMIT_CORE, &rl);
		abort();
	}
	waitpid(c, &st, 0);
	sayd("core-abort", WIFSIGNALED(st) ? WTERMSIG(st) : -1, WCOREDUMP(st) ? "core" : "nocore");
	c = fork();
	if (c == 0) {
		setrlimit(RLIMIT_CORE, &rl);
		*(volatile int *)0 = 1;
	}
	waitpid(c, &st, 0);
	sayd("core-segv", WIFSIGNALED(st) ? WTERMSIG(st) : -1, WCOREDUMP(st) ? "core" : "nocore");
	return 0;
}

/* -- argmax ------------------------------------------------------------------------- */

static int
spawn_status(const char *self, char **argv, char **envp)
{
	pid_t c = fork();
	if (c == 0) {
		execve(self, argv, envp);
		_exit(100 + errno);
	}
	return child_status(c);
}

static int
argmax(const char *self)
{
	/* NetBSD's ARG_MAX 262144: the strings of argv and envp */
	static char *av[300000];
	char *big, buf[64];
	char *env0[] = {0};
	int i, n, st;

	big = malloc(300000);
	/* the strings (NULs included) of argv and envp: exactly ARG_MAX, one more */
	n = 262144 - ((int)strlen(self) + 1) - 4 - 1;
	memset(big, 'a', 300000);
	av[0] = (char *)self;
	av[1] = "nop";
	big[n] = 0;
	av[2] = big;
	av[3] = 0;
	st = spawn_status(self, av, env0);
	sayd("argmax-fits", st, "");
	big[n] = 'a';
	big[n + 1] = 0;
	st = spawn_status(self, av, env0);
	sayd("argmax-one-more", st, "");
	big[n + 1] = 'a';
	/* 200,000 empty arguments: 200,000 bytes of strings, 800,000 of pointers */
	for (i = 2; i < 200002; i++)
		av[i] = "";
	av[i] = 0;
	st = spawn_status(self, av, env0);
	sayd("argmax-many-empty", st, "");
	/* an unterminated vector running into unmapped memory */
	{
		char **v = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_ANON | MAP_PRIVATE, -1, 0);
		munmap((char *)v + 4096, 4096);
		for (i = 0; i < 1024; i++)
			v[i] = "x";
		v[0] = (char *)self;
		v[1] = "nop";
		st = spawn_status(self, v, env0);
		sayd("argv-unterminated", st, "");
		/* a string running into unmapped memory */
		memset((char *)v + 3000, 'z', 1096);
		v[2] = (char *)v + 3000;
		v[3] = 0;
		st = spawn_status(self, v, env0);
		sayd("argv-string-unterminated", st, "");
		v[2] = (char *)0xc0100000;
		st = spawn_status(self, v, env0);
		sayd("argv-kernel", st, "");
		st = spawn_status(self, (char **)0xc0100000, env0);
		sayd("argv-vector-kernel", st, "");
		v[2] = 0;
		st = spawn_status(self, v, (char **)((char *)v + 4092));
		sayd("envp-straddle", st, "");
	}
	(void)buf;
	free(big);
	return 0;
}

/* -- sysctl, ptrace, setrlimit ------------------------------------------------------ */

/* a system call by number through int $0x80 (NetBSD's i386 trap ABI: the
 * arguments on the stack above a return address slot, carry set on error) */
static long
raw4(long num, long a, long b, long c, long d)
{
	long args[4] = {a, b, c, d}, ret;
	__asm__ __volatile__(
	    "pushl 12(%%ebx)\n\tpushl 8(%%ebx)\n\tpushl 4(%%ebx)\n\tpushl (%%ebx)\n\t"
	    "pushl $0\n\tint $0x80\n\tjnc 1f\n\tnegl %%eax\n1:\n\taddl $20, %%esp"
	    : "=a"(ret) : "0"(num), "b"(args) : "memory", "cc", "ecx", "edx");
	if (ret < 0 && ret > -4096) {
		errno = (int)-ret;
		return -1;
	}
	return ret;
}

static int
sysctls(void)
{
	int mib[2], v = 1 << 30, old;
	size_t len = sizeof old;
	struct rlimit rl;
	char name[300];

	mib[0] = CTL_KERN;
	mib[1] = KERN_MAXPROC;
	say("sysctl-maxproc-write", sysctl(mib, 2, 0, 0, &v, sizeof v));
	mib[1] = KERN_MAXFILES;
	say("sysctl-maxfiles-write", sysctl(mib, 2, 0, 0, &v, sizeof v));
	mib[1] = KERN_HOSTNAME;
	memset(name, 'h', sizeof name);
	say("sysctl-hostname-long", sysctl(mib, 2, 0, 0, name, sizeof name));
	say("sysctl-hostname-kernel", sysctl(mib, 2, 0, 0, (void *)0xc0100000, 16));
	say("sysctl-hostname-huge", sysctl(mib, 2, 0, 0, name, 0x7fffffff));
	say("sysctl-oldlen-kernel", sysctl(mib, 2, name, (size_t *)0xc0100000, 0, 0));
	len = 0x7fffffff;
	say("sysctl-oldlen-huge", sysctl(mib, 2, name, &len, 0, 0));
	(void)old;
	say("gethostname", gethostname(name, sizeof name));
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max = RLIM_INFINITY;
	say("setrlimit-nofile-inf", setrlimit(RLIMIT_NOFILE, &rl));
	getrlimit(RLIMIT_NOFILE, &rl);
	sayd("getrlimit-nofile", 0, (snprintf(name, sizeof name, "%lld %lld",
	    (long long)rl.rlim_cur, (long long)rl.rlim_max), name));
	getrlimit(RLIMIT_STACK, &rl);
	rl.rlim_cur = rl.rlim_max = RLIM_INFINITY;
	say("setrlimit-stack-inf", setrlimit(RLIMIT_STACK, &rl));
	getrlimit(RLIMIT_STACK, &rl);
	sayd("getrlimit-stack", 0, (snprintf(name, sizeof name, "%lld %lld",
	    (long long)rl.rlim_cur, (long long)rl.rlim_max), name));
	rl.rlim_cur = rl.rlim_max = RLIM_INFINITY;
	say("setrlimit-data-inf", setrlimit(RLIMIT_DATA, &rl));
	say("sbrk-2g", (long)sbrk(0x7ffff000) == -1 ? -1 : 0);
	/* what NetBSD's root may do to its machine: not kw86's host */
	say("ptrace-traceme", raw4(26, 0, 0, 0, 0));
	say("ptrace-attach-1", raw4(26, 10, 1, 0, 0));
	say("reboot", raw4(208, 0x8, 0, 0, 0));		/* RB_HALT */
	say("acct", raw4(51, (long)"/acct", 0, 0, 0));
	say("ktrace", raw4(45, (long)"/ktrace.out", 1, 0xffffff, 0));
	say("swapctl", raw4(271, 2, 0, 0, 0));
	say("mount", raw4(410, (long)"ffs", (long)"/mnt", 0, (long)"/dev/wd0a"));
	say("unmount", raw4(22, (long)"/", 0, 0, 0));
	say("setrlimit-bad", setrlimit(99, &rl));
	say("setrlimit-kernel", setrlimit(RLIMIT_CORE, (struct rlimit *)0xc0100000));
	/* as a user: raising a hard limit is EPERM */
	if (fork() == 0) {
		setgid(1000);
		setuid(1000);
		getrlimit(RLIMIT_NPROC, &rl);
		rl.rlim_max += 1;
		say("user-raise-nproc", setrlimit(RLIMIT_NPROC, &rl));
		mib[1] = KERN_HOSTNAME;
		say("user-sethostname", sysctl(mib, 2, 0, 0, "x", 1));
		_exit(0);
	}
	wait(0);
	return 0;
}

/* -- kqnest, scmchain ------------------------------------------------------------------ */

#include <poll.h>

static int
kqnest(int n)
{
	static int kq[4000];
	struct kevent ev, out[8];
	struct timespec ts = {0, 0};
	struct pollfd pf;
	int i, k = 0, r;
	char buf[64];
	struct rlimit rl = {3404, 3404};

	setrlimit(RLIMIT_NOFILE, &rl);
	for (i = 0; i < n; i++) {
		kq[i] = kqueue();
		if (kq[i] < 0)
			break;
	}
	n = i;
	for (i = 0; i < n; i++) {
		EV_SET(&ev, kq[(i + 1) % n], EVFILT_READ, EV_ADD, 0, 0, 0);
		if (kevent(kq[i], &ev, 1, 0, 0, 0) == 0)
			k++;
	}
	EV_SET(&ev, kq[0], EVFILT_READ, EV_ADD, 0, 0, 0);
	r = kevent(kq[0], &ev, 1, 0, 0, 0);
	sayd("kq-self", r, "");
	EV_SET(&ev, 1, EVFILT_USER, EV_ADD, 0, 0, 0);
	kevent(kq[n - 1], &ev, 1, 0, 0, 0);
	EV_SET(&ev, 1, EVFILT_USER, 0, NOTE_TRIGGER, 0, 0);
	kevent(kq[n - 1], &ev, 1, 0, 0, 0);
	sayd("kq-chain", k, (snprintf(buf, sizeof buf, "%d", n), buf));
	say("kq-wait-first", kevent(kq[0], 0, 0, out, 8, &ts));
	pf.fd = kq[n / 2];
	pf.events = POLLIN;
	say("kq-poll-middle", poll(&pf, 1, 0));
	for (i = 0; i < n; i++)
		close(kq[i]);
	say("kq-closed", 0);
	return 0;
}

static int
send_fds(int s, int *fds, int nfd)
{
	struct msghdr m;
	struct iovec v;
	char c = 'x';
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(2 * sizeof(int))];
	} u;

	memset(&m, 0, sizeof m);
	v.iov_base = &c;
	v.iov_len = 1;
	m.msg_iov = &v;
	m.msg_iovlen = 1;
	m.msg_control = u.b;
	m.msg_controllen = CMSG_SPACE(nfd * sizeof(int));
	u.h.cmsg_len = CMSG_LEN(nfd * sizeof(int));
	u.h.cmsg_level = SOL_SOCKET;
	u.h.cmsg_type = SCM_RIGHTS;
	memcpy(CMSG_DATA(&u.h), fds, nfd * sizeof(int));
	return (int)sendmsg(s, &m, 0);
}

static int
scmchain(int n)
{
	int prev[2] = {-1, -1}, cur[2], i, k = 0, fd;
	char buf[64];

	for (i = 0; i < n; i++) {
		if (socketpair(AF_LOCAL, SOCK_STREAM, 0, cur) < 0)
			break;
		if (prev[0] >= 0) {
			if (send_fds(cur[0], prev, 2) == 1)
				k++;
			close(prev[0]);
			close(prev[1]);
		}
		prev[0] = cur[0];
		prev[1] = cur[1];
	}
	sayd("scm-chain", k, (snprintf(buf, sizeof buf, "%d", i), buf));
	say("scm-self", send_fds(prev[0], prev, 2));
	close(prev[0]);
	close(prev[1]);
	/* everything comes back: as many pairs again */
	for (i = 0; i < n; i++) {
		if (socketpair(AF_LOCAL, SOCK_STREAM, 0, cur) < 0)
			break;
		close(cur[0]);
		close(cur[1]);
	}
	fd = open("/dev/null", O_RDONLY);
	sayd("scm-after", fd >= 0 ? 0 : -1, (snprintf(buf, sizeof buf, "%d", i), buf));
	return 0;
}

/* -- vforkchain, deepdir ------------------------------------------------------------------ */

static int
vfork_level(int left)
{
	pid_t c;
	int st = 0;

	if (left == 0)
		return 0;
	c = vfork();
	if (c == 0) {
		st = vfork_level(left - 1) + 1;
		_exit(st > 250 ? 250 : st);
	}
	if (c < 0)
		return 200;
	waitpid(c, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 255;
}

static int
vforkchain(int n)
{
	char buf[32];
	sayd("vfork-chain", 0, (snprintf(buf, sizeof buf, "%d", vfork_level(n)), buf));
	return 0;
}

static int
deepdir(const char *dir, int n)
{
	char buf[1100];
	int i, made = 0;
	ssize_t r;

	if (chdir(dir) < 0)
		return 1;
	mkdir("deep", 0755);
	chdir("deep");
	for (i = 0; i < n; i++) {
		if (mkdir("d", 0755) < 0 || chdir("d") < 0)
			break;
		made++;
	}
	sayd("deep-made", made, "");
	say("deep-getcwd", getcwd(buf, sizeof buf) == 0 ? -1 : (long)strlen(buf));
	r = readlink("/proc/self/cwd", buf, sizeof buf);
	say("deep-proc-cwd", (long)r);
	say("deep-stat-up", open("../../../../../../../../..", O_RDONLY));
	/* back up and remove, from the top: rename the chain away first */
	chdir(dir);
	say("deep-rename", rename("deep", "deep2"));
	chdir("deep2");
	for (i = 0; i < made; i++)
		chdir("d");
	for (i = made; i > 0; i--) {
		chdir("..");
		if (rmdir("d") < 0)
			break;
	}
	chdir(dir);
	say("deep-removed", rmdir("deep2"));
	return 0;
}

/* -- pde ------------------------------------------------------------------------------------ */

static volatile unsigned int *
pde_of(unsigned long va)
{
	unsigned long cr3;
	__asm__ __volatile__("movl %%cr3, %0" : "=r"(cr3));
	return (volatile unsigned int *)(0xc0000000ul + (cr3 & ~0xffful)) + (va >> 22);
}

static void
reload_cr3(void)
{
	unsigned long cr3;
	__asm__ __volatile__("movl %%cr3, %0; movl %0, %%cr3" : "=r"(cr3) :: "memory");
}

static int
pde(void)
{
	pid_t c;

	if (!in_kernel_mode()) {
		say("pde", -1);
		return 1;
	}
	c = fork();
	if (c == 0) {
		char *m = mmap((void *)0x40000000, 8192, PROT_READ | PROT_WRITE,
		    MAP_ANON | MAP_PRIVATE | MAP_FIXED, -1, 0);
		if (m == MAP_FAILED)
			_exit(100 + errno);
		m[0] = m[4096] = 1;
		*pde_of(0x40000000) = 0xd0000000u | 7;
		reload_cr3();
		_exit(5);
	}
	say("pde-past-memory-exit", child_status(c));
	c = fork();
	if (c == 0) {
		unsigned long esp;
		__asm__ __volatile__("movl %%esp, %0" : "=r"(esp));
		*pde_of(esp) = 0x0u | 7;
		reload_cr3();
		__asm__ __volatile__("pushl $0; pushl $0; popl %%eax; popl %%eax" ::: "eax", "memory");
		_exit(6);
	}
	say("pde-stack-zero", child_status(c));
	c = fork();
	if (c == 0) {
		unsigned long esp;
		__asm__ __volatile__("movl %%esp, %0" : "=r"(esp));
		*pde_of(esp) = 0xd0000000u | 7;
		reload_cr3();
		__asm__ __volatile__("pushl $0; pushl $0; popl %%eax; popl %%eax" ::: "eax", "memory");
		_exit(6);
	}
	say("pde-stack-past-memory", child_status(c));
	return 0;
}

/* -- bigread ----------------------------------------------------------------------------------- */

static int
bigread(const char *path)
{
	static char small[4096];
	char *big;
	struct iovec v[2];
	int fd = open(path, O_RDONLY);
	void *m;

	say("big-open", fd);
	say("big-read-small", read(fd, small, 0x7fffffff));
	big = mmap(0, 48 << 20, PROT_READ | PROT_WRITE, MAP_ANON | MAP_PRIVATE, -1, 0);
	say("big-read-48m", read(fd, big, 0x7fffffff));
	say("big-pread-far", pread(fd, big, 0x7fffffff, 3LL << 30));
	v[0].iov_base = big;
	v[0].iov_len = 0x3fffffff;
	v[1].iov_base = small;
	v[1].iov_len = 0x3fffffff;
	lseek(fd, 0, SEEK_SET);
	say("big-readv", readv(fd, v, 2));
	m = mmap(0, 0x40000000, PROT_READ, MAP_SHARED, fd, 0);
	say("big-mmap-1g", m == MAP_FAILED ? -1 : 0);
	if (m != MAP_FAILED) {
		long i, sum = 0;
		for (i = 0; i < 0x40000000; i += 1 << 20)
			sum += ((volatile char *)m)[i];
		say("big-mmap-touch", sum);
	}
	close(fd);
	return 0;
}

/* -- offsets ------------------------------------------------------------------------------------ */

static int
offsets(const char *path)
{
	const off_t max = 0x7fffffffffffffffLL;
	char buf[256];
	struct flock fl;
	struct stat st;
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	void *m;

	memset(buf, 'o', sizeof buf);
	say("off-open", fd);
	say("off-lseek-max", lseek(fd, max - 16, SEEK_SET) < 0 ? -1 : 0);
	say("off-write-crossing", write(fd, buf, 100));
	say("off-pwrite-max", pwrite(fd, buf, 1, max));
	say("off-pwrite-neg", pwrite(fd, buf, 1, -1));
	say("off-pwrite-2^62", pwrite(fd, buf, 1, 1LL << 62));
	say("off-pread-max", pread(fd, buf, 100, max - 1));
	say("off-lseek-end-overflow", lseek(fd, max, SEEK_END) < 0 ? -1 : 0);
	say("off-lseek-cur-overflow", (lseek(fd, max, SEEK_SET), lseek(fd, max, SEEK_CUR)) < 0
	    ? -1 : 0);
	say("off-ftruncate-max", ftruncate(fd, max));
	say("off-ftruncate-neg", ftruncate(fd, -5));
	say("off-ftruncate-2^40", ftruncate(fd, 1LL << 40));
	say("off-fstat", fstat(fd, &st) < 0 ? -1 : (long)(st.st_size >> 32));
	m = mmap(0, 4096, PROT_READ, MAP_SHARED, fd, (off_t)((1LL << 40) - 4096));
	say("off-mmap-end", m == MAP_FAILED ? -1 : ((volatile char *)m)[0]);
	m = mmap(0, 4096, PROT_READ, MAP_SHARED, fd, max & ~4095LL);
	say("off-mmap-max", m == MAP_FAILED ? -1 : 0);
	m = mmap(0, 8192, PROT_READ, MAP_SHARED, fd, (max & ~4095LL) - 4096);
	say("off-mmap-crossing", m == MAP_FAILED ? -1 : 0);
	memset(&fl, 0, sizeof fl);
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	fl.l_start = max;
	fl.l_len = max;
	say("off-lock-overflow", fcntl(fd, F_SETLK, &fl));
	fl.l_start = max - 1;
	fl.l_len = 0;
	say("off-lock-to-eof", fcntl(fd, F_SETLK, &fl));
	fl.l_start = 10;
	fl.l_len = -20;
	say("off-lock-negative", fcntl(fd, F_SETLK, &fl));
	fl.l_whence = SEEK_END;
	fl.l_start = max;
	fl.l_len = 1;
	say("off-lock-end-overflow", fcntl(fd, F_SETLK, &fl));
	say("off-ftruncate-back", ftruncate(fd, 0));
	close(fd);
	unlink(path);
	return 0;
}

/* -- ctxforge ------------------------------------------------------------------------------------ */

/* NetBSD/i386 ucontext_t: uc_flags, uc_link, uc_sigmask (16), uc_stack (12),
 * then mcontext's __gregs: GS FS ES DS EDI ESI EBP ESP EBX EDX ECX EAX TRAPNO
 * ERR EIP CS EFL UESP SS */
#define GREG(uc, i) (((unsigned int *)((char *)(uc) + 36))[i])
#define R_CS 15
#define R_EFL 16
#define R_SS 18

static volatile int forge_what;

static void
forger(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	switch (forge_what) {
	case 0: GREG(uc, R_EFL) |= 0x3000; break;		/* IOPL 3 */
	case 1: GREG(uc, R_CS) = 0x08; break;			/* GSEL(GCODE_SEL, SEL_KPL) */
	case 2: GREG(uc, R_SS) = 0x10; break;			/* kernel data */
	case 3: GREG(uc, R_EFL) |= 0x20000; break;		/* VM86 */
	case 4: GREG(uc, R_CS) = 0x0b | 0x100; break;		/* past the GDT */
	}
}

static int
ctxforge(void)
{
	int i, st;
	char what[32];

	for (i = 0; i < 5; i++) {
		pid_t c = fork();
		if (c == 0) {
			struct sigaction sa;
			memset(&sa, 0, sizeof sa);
			sa.sa_sigaction = forger;
			sa.sa_flags = SA_SIGINFO;
			sigaction(SIGUSR1, &sa, 0);
			forge_what = i;
			raise(SIGUSR1);
			/* the hypercall port: only CPL 0 (or IOPL 3) may */
			__asm__ __volatile__("movw $0x4b57, %%dx\n\tmovl $1, %%eax\n\toutl %%eax, %%dx"
			    ::: "eax", "edx");
			_exit(3);
		}
		st = child_status(c);
		snprintf(what, sizeof what, "ctxforge-%d", i);
		say(what, st);
	}
	return 0;
}

/* -- scribble -------------------------------------------------------------------------- */

static unsigned int rnd_state;

static unsigned int
rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

static void
scribble_one(unsigned int w, unsigned long lo, unsigned long hi)
{
	static const unsigned int vals[] = {0, 1, 0xffffffff, 0x80000000, 0xc0100000, 0x1000,
					    0x7fffffff, 0x10, 0xbfbff000, 0x00cf9a00, 0x0000ffff};
	unsigned int i, cr0;
	char buf[64];
	int fd, p[2];

	__asm__ __volatile__("movl %%cr0, %0" : "=r"(cr0));
	cr0 &= ~0x10000u;
	__asm__ __volatile__("movl %0, %%cr0" :: "r"(cr0));
	for (i = 0; i < w; i++) {
		unsigned long a = (lo + rnd() % (unsigned int)(hi - lo)) & ~3ul;
		unsigned int v = rnd() & 1 ? rnd() : vals[rnd() % (sizeof vals / sizeof vals[0])];
		*(volatile unsigned int *)a = v;
	}
	cr0 |= 0x10000u;			/* CR0.WP is the CPU's, shared: back */
	__asm__ __volatile__("movl %0, %%cr0" :: "r"(cr0));
	getpid();
	fd = open("/etc/passwd", O_RDONLY);
	read(fd, buf, sizeof buf);
	close(fd);
	pipe(p);
	write(p[1], "x", 1);
	read(p[0], buf, 1);
	if (fork() == 0)
		_exit(0);
	wait(0);
	kill(getpid(), SIGUSR2);		/* ignored below */
	usleep(20000);			/* a clock tick or two: a switch */
	_exit(7);
}

static int
scribble(unsigned int seed, int n, unsigned int w, unsigned long lo, unsigned long hi)
{
	int i;
	char what[64];

	if (!in_kernel_mode()) {
		say("scribble", -1);
		return 1;
	}
	signal(SIGUSR2, SIG_IGN);
	for (i = 0; i < n; i++) {
		pid_t c;
		rnd_state = seed * 2654435761u + (unsigned int)i + 1;
		c = fork();
		if (c == 0)
			scribble_one(w, lo, hi);
		snprintf(what, sizeof what, "scribble-%u-%d", seed, i);
		say(what, c < 0 ? -1 : child_status(c));
	}
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "nop") == 0)
		return 0;
	if (argc >= 2 && strcmp(argv[1], "iov") == 0)
		iov();
	else if (argc >= 2 && strcmp(argv[1], "procs") == 0)
		procs();
	else if (argc >= 3 && strcmp(argv[1], "names") == 0)
		names(argv[2]);
	else if (argc >= 3 && strcmp(argv[1], "hostnodes") == 0)
		hostnodes(argv[2]);
	else if (argc >= 2 && strcmp(argv[1], "sigrec") == 0)
		sigrec();
	else if (argc >= 2 && strcmp(argv[1], "timers") == 0)
		timers();
	else if (argc >= 2 && strcmp(argv[1], "core") == 0)
		core();
	else if (argc >= 2 && strcmp(argv[1], "argmax") == 0)
		argmax(argv[0]);
	else if (argc >= 2 && strcmp(argv[1], "sysctl") == 0)
		sysctls();
	else if (argc >= 3 && strcmp(argv[1], "kqnest") == 0)
		kqnest(atoi(argv[2]));
	else if (argc >= 3 && strcmp(argv[1], "scmchain") == 0)
		scmchain(atoi(argv[2]));
	else if (argc >= 3 && strcmp(argv[1], "vforkchain") == 0)
		vforkchain(atoi(argv[2]));
	else if (argc >= 4 && strcmp(argv[1], "deepdir") == 0)
		deepdir(argv[2], atoi(argv[3]));
	else if (argc >= 3 && strcmp(argv[1], "offsets") == 0)
		offsets(argv[2]);
	else if (argc >= 3 && strcmp(argv[1], "bigread") == 0)
		bigread(argv[2]);
	else if (argc >= 2 && strcmp(argv[1], "ctxforge") == 0)
		ctxforge();
	else if (argc >= 2 && strcmp(argv[1], "pde") == 0)
		pde();
	else if (argc >= 7 && strcmp(argv[1], "scribble") == 0)
		scribble((unsigned)strtoul(argv[2], 0, 0), atoi(argv[3]),
		    (unsigned)strtoul(argv[4], 0, 0), strtoul(argv[5], 0, 0), strtoul(argv[6], 0, 0));
	else {
		fprintf(stderr, "usage: hostile4 iov|procs|names DIR|hostnodes DIR|sigrec|timers|"
		    "core|argmax|sysctl\n");
		return 2;
	}
	printf("done\n");
	return 0;
}
