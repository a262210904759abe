/*
 * hostile2 -- guest side of tests/test_nbsd_hostile2.py: an attacker's
 * second look at the sandbox.  Every attempt prints one line
 *
 *     NAME RV ERRNO [detail]
 *
 * (RV the call's result, ERRNO errno when it failed, else 0) and the test
 * checks each against NetBSD's answer and the host side afterwards.
 *
 *   hostile2 paths W        path escapes from a writable directory W:
 *                           symlinks climbing out, to "/", loops, O_NOFOLLOW,
 *                           O_EXCL and O_DIRECTORY on links out, fchdir then
 *                           "..", long names and paths, mount points, what
 *                           getcwd and /proc's links show, execve of a link
 *                           out, "#!" interpreters out, bad pointers
 *   hostile2 ro R           every route to write to a read-only bind R
 *                           (holding f, d/, lnk -> f), mmap included
 *   hostile2 res            resource abuse: huge lengths and counts, bad
 *                           addresses, descriptor and process exhaustion,
 *                           writes to its own code
 *   hostile2 deep W N       mkdir+chdir N levels below W, then back up,
 *                           removing them (the host descriptors bound)
 *   hostile2 race W N [lwp] a child (or another LWP) swaps W/x between a
 *                           directory and links out while the parent makes N
 *                           rounds of calls through W/x/.. paths
 *   hostile2 connect PATH.. connect an AF_LOCAL stream and a datagram socket
 *                           to each PATH (host sockets in a bind: never
 *                           reached), then bind a socket over each name
 *   hostile2 pte PHYS       (a kernelware) point the page table entry of one
 *                           of its pages at physical address PHYS (past the
 *                           end of memory), then read and write through it
 *   hostile2 exec FILE...   execve each FILE in a child (malformed ELF
 *                           files): "exec:FILE STATUS ERRNO", STATUS the
 *                           child's exit status (128+signal), ERRNO execve's
 *   hostile2 hog MB FILE... the same with MB MiB of memory held (and
 *                           touched) by the parent: an exec that finds no
 *                           free pages fails with ENOMEM and leaks none
 *
 * Exit status 0 unless the program itself went wrong.
 */
#include <dirent.h>
#include <errno.h>
#include <kernelware.h>
#include <pthread.h>
#include <sched.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define KADDR ((void *)0xc0100000)

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

/* the first line of a file (or "-" when it cannot be read) */
static const char *
head(const char *path)
{
	static char b[128];
	int fd = open(path, O_RDONLY), n;
	if (fd < 0)
		return "-";
	n = (int)read(fd, b, sizeof b - 1);
	close(fd);
	if (n < 0)
		return "-";
	b[n] = 0;
	b[strcspn(b, "\n")] = 0;
	return b;
}

static int
run(char *const argv[], char *out, size_t outsz)
{
	int pf[2], st = 0;
	size_t got = 0;
	ssize_t n;
	pid_t c;
	if (pipe(pf) < 0)
		return -1;
	c = fork();
	if (c == 0) {
		dup2(pf[1], 1);
		close(pf[0]);
		execv(argv[0], argv);
		_exit(100 + errno);
	}
	close(pf[1]);
	while (got + 1 < outsz && (n = read(pf[0], out + got, outsz - 1 - got)) > 0)
		got += (size_t)n;
	out[got] = 0;
	out[strcspn(out, "\n")] = 0;
	close(pf[0]);
	waitpid(c, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* -- paths ------------------------------------------------------------------- */

static int
paths(const char *w)
{
	char buf[512], big[2048], *huge;
	struct stat a, b;
	int fd, i, st;

	symlink("../../../../../../../../../..", cat(w, "up"));
	symlink("/", cat(w, "root"));
	symlink("loop2", cat(w, "loop1"));
	symlink("loop1", cat(w, "loop2"));
	symlink("self", cat(w, "self"));
	symlink("/tmp/../../../tmp/created_hx", cat(w, "dang"));
	mkdir(cat(w, "d"), 0755);
	mkdir(cat(w, "d/e"), 0755);

	sayd("read-up", 0, head(cat(w, "up/etc/passwd")));
	sayd("read-root", 0, head(cat(w, "root/../../etc/passwd")));
	say("stat-rootdotdot", stat(cat(w, "root/.."), &a));
	stat("/", &b);
	sayd("same-root", 0, a.st_ino == b.st_ino && a.st_dev == b.st_dev ? "1" : "0");
	say("open-loop", open(cat(w, "loop1"), O_RDONLY));
	say("open-self", open(cat(w, "self"), O_RDONLY));
	say("nofollow", open(cat(w, "root"), O_RDONLY | O_NOFOLLOW));
	say("nofollow-dir", open(cat(w, "root"), O_RDONLY | O_NOFOLLOW | O_DIRECTORY));
	say("nofollow-creat", open(cat(w, "up"), O_WRONLY | O_CREAT | O_NOFOLLOW, 0644));
	say("excl-link", open(cat(w, "dang"), O_WRONLY | O_CREAT | O_EXCL, 0644));
	fd = open(cat(w, "dang"), O_WRONLY | O_CREAT, 0644);
	say("creat-dangling", fd);
	if (fd >= 0)
		close(fd);
	say("stat-created", stat("/tmp/created_hx", &a));
	fd = open(cat(w, "root"), O_RDONLY | O_DIRECTORY);
	say("dir-through-link", fd);
	if (fd >= 0)
		close(fd);
	say("mkdir-through-link", mkdir(cat(w, "root"), 0755));
	say("mkfifo-on-link", mkfifo(cat(w, "up"), 0644));
	say("symlink-on-link", symlink("x", cat(w, "up")));
	say("rmdir-link", rmdir(cat(w, "root")));
	say("rmdir-through-link", rmdir(cat(w, "root/")));

	/* chains past MAXSYMLINKS (32) */
	for (i = 0; i < 40; i++) {
		char from[64], to[64];
		snprintf(from, sizeof from, "c%d", i + 1);
		snprintf(to, sizeof to, "%s/c%d", w, i);
		symlink(from, to);
	}
	say("long-chain", open(cat(w, "c0"), O_RDONLY));

	/* names and paths too long */
	memset(big, 'a', 300);
	big[300] = 0;
	say("long-name", open(cat(w, big), O_RDONLY | O_CREAT, 0644));
	huge = malloc(100 * 1024 + 1);
	for (i = 0; i < 100 * 1024; i += 2) {
		huge[i] = '.';
		huge[i + 1] = '/';
	}
	huge[100 * 1024] = 0;
	say("path-100k", open(huge, O_RDONLY));
	say("path-100k-stat", stat(huge, &a));
	say("path-100k-mkdir", mkdir(huge, 0755));
	free(huge);
	for (i = 0; i < 1000; i += 2) {
		big[i] = '.';
		big[i + 1] = '/';
	}
	strcpy(big + 1000, "etc/passwd");
	chdir("/");
	sayd("path-1010", 0, head(big));

	/* climbing from the working directory and from a descriptor */
	say("chdir-up", chdir("/../../../../.."));
	say("getcwd", getcwd(buf, sizeof buf) ? 0 : -1);
	sayd("cwd", 0, buf);
	fd = open(cat(w, "d/e"), O_RDONLY);
	say("fchdir", fchdir(fd));
	say("rmdir-cwd", rmdir(cat(w, "d/e")));
	say("chdir-dotdot-removed", chdir("../../../../../../../../../../../.."));
	getcwd(buf, sizeof buf);
	sayd("cwd2", 0, buf);
	say("openat-up", openat(fd, "../../../../../../../../../../etc/passwd", O_RDONLY));
	say("creat-in-removed", openat(fd, "x", O_WRONLY | O_CREAT, 0644));
	close(fd);
	chdir("/");

	/* what the guest sees of names: never the host's */
	i = (int)readlink("/proc/self/cwd", buf, sizeof buf - 1);
	buf[i < 0 ? 0 : i] = 0;
	sayd("proc-cwd", i, buf);
	i = (int)readlink("/proc/self/root", buf, sizeof buf - 1);
	buf[i < 0 ? 0 : i] = 0;
	sayd("proc-root", i, buf);
	i = (int)readlink("/proc/self/exe", buf, sizeof buf - 1);
	buf[i < 0 ? 0 : i] = 0;
	sayd("proc-exe", i, i < 0 ? "-" : buf);
	i = (int)readlink(cat(w, "up"), buf, sizeof buf - 1);
	buf[i < 0 ? 0 : i] = 0;
	sayd("readlink-up", i, buf);

	/* mount points and the root */
	say("rmdir-root", rmdir("/"));
	say("unlink-root", unlink("/"));
	say("rename-root", rename("/", cat(w, "r")));
	say("rmdir-dev", rmdir("/dev"));
	say("rmdir-proc", rmdir("/proc"));
	say("rename-dev", rename("/dev", cat(w, "dev")));
	say("rename-into-dev", rename(cat(w, "d"), "/dev/d"));
	say("rename-tmp", rename("/tmp", "/tmp2"));
	say("link-across", link("/etc/passwd", cat(w, "pw")));
	say("link-dir", link(cat(w, "d"), cat(w, "d2")));

	/* sockets: a bound name stays in the guest's tree */
	{
		struct sockaddr_un sun;
		int s = socket(AF_LOCAL, SOCK_STREAM, 0);
		memset(&sun, 0, sizeof sun);
		sun.sun_family = AF_LOCAL;
		snprintf(sun.sun_path, sizeof sun.sun_path, "%s/root/tmp/sock_hx", w);
		say("bind-through-link", bind(s, (struct sockaddr *)&sun, sizeof sun));
		say("stat-sock", stat("/tmp/sock_hx", &a));
		sayd("sock-type", 0, S_ISSOCK(a.st_mode) ? "1" : "0");
		close(s);
		unlink("/tmp/sock_hx");
	}

	/* execve of a link out, a "#!" interpreter out */
	symlink("/../../../../../bin/echo", cat(w, "echo"));
	{
		char *av[] = { cat(w, "echo"), "via", "link", 0 };
		st = run(av, buf, sizeof buf);
		sayd("exec-link", st, buf);
	}
	fd = open(cat(w, "s.sh"), O_WRONLY | O_CREAT | O_TRUNC, 0755);
	write(fd, "#!/../../../../bin/echo hi\n", 27);
	close(fd);
	{
		char *av[] = { cat(w, "s.sh"), 0 };
		st = run(av, buf, sizeof buf);
		sayd("exec-script", st, strstr(buf, "hi ") == buf ? "hi" : buf);
	}
	/* an ELF asking for an interpreter (PT_INTERP) that lies outside */
	{
		unsigned char e[52 + 32 * 2 + 32];
		memset(e, 0, sizeof e);
		memcpy(e, "\177ELF\1\1\1", 7);
		e[16] = 2;                      /* ET_EXEC */
		e[18] = 3;                      /* EM_386 */
		e[20] = 1;
		e[24] = 0x00; e[25] = 0x10; e[26] = 0x00; e[27] = 0x08;     /* entry 0x08001000 */
		e[28] = 52;                     /* e_phoff */
		e[40] = 52;                     /* e_ehsize */
		e[42] = 32;                     /* e_phentsize */
		e[44] = 2;                      /* e_phnum */
		e[52] = 3;                      /* PT_INTERP */
		e[56] = 52 + 64;                /* p_offset */
		e[68] = 20;                     /* p_filesz */
		memcpy(e + 52 + 64, "/../../../../bin/sh", 20);
		e[84] = 1;                      /* PT_LOAD */
		e[92] = 0x00; e[93] = 0x10; e[94] = 0x00; e[95] = 0x08;
		e[100] = sizeof e;
		e[104] = sizeof e;
		e[108] = 5;
		fd = open(cat(w, "interp"), O_WRONLY | O_CREAT | O_TRUNC, 0755);
		write(fd, e, sizeof e);
		close(fd);
		say("exec-interp", execl(cat(w, "interp"), "interp", (char *)0));
	}

	/* links the host planted, pointing at a host file outside (the test's
	   host_abs: an absolute host path, host_rel: climbing out) */
	{
		static const char *links[] = { "host_abs", "host_rel" };
		struct timeval tv[2] = {{1, 0}, {1, 0}};
		char name[64];
		for (i = 0; i < 2; i++) {
			const char *l = cat(w, links[i]);
			snprintf(name, sizeof name, "%s-open", links[i]);
			say(name, open(l, O_RDWR | O_TRUNC));
			snprintf(name, sizeof name, "%s-creat", links[i]);
			say(name, open(l, O_WRONLY | O_CREAT, 0666));
			snprintf(name, sizeof name, "%s-chmod", links[i]);
			say(name, chmod(l, 04777));
			snprintf(name, sizeof name, "%s-chown", links[i]);
			say(name, chown(l, 1, 1));
			snprintf(name, sizeof name, "%s-utimes", links[i]);
			say(name, utimes(l, tv));
			snprintf(name, sizeof name, "%s-truncate", links[i]);
			say(name, truncate(l, 0));
			snprintf(name, sizeof name, "%s-link", links[i]);
			say(name, link(l, cat(w, "hardlink")));
			snprintf(name, sizeof name, "%s-lchown", links[i]);
			say(name, lchown(l, 1, 1));
			snprintf(name, sizeof name, "%s-lutimes", links[i]);
			say(name, lutimes(l, tv));
			snprintf(name, sizeof name, "%s-lchmod", links[i]);
			say(name, lchmod(l, 0777));
		}
	}

	/* pointers the guest does not own */
	say("open-kaddr", open((char *)KADDR, O_RDONLY));
	say("open-null", open((char *)0, O_RDONLY));
	say("stat-kbuf", stat("/", (struct stat *)KADDR));
	say("getcwd-kbuf", getcwd((char *)KADDR, 64) ? 0 : -1);
	say("readlink-kbuf", readlink(cat(w, "up"), (char *)KADDR, 64));
	say("symlink-ktarget", symlink((char *)KADDR, cat(w, "kt")));
	printf("done\n");
	return 0;
}

/* -- a read-only bind ------------------------------------------------------ */

static int
ro(const char *r)
{
	struct timeval tv[2] = {{1, 0}, {1, 0}};
	struct sockaddr_un sun;
	struct iovec iov;
	char *m;
	int fd, s;

	say("open-rdwr", open(cat(r, "f"), O_RDWR));
	say("open-wronly", open(cat(r, "f"), O_WRONLY));
	say("open-trunc", open(cat(r, "f"), O_RDONLY | O_TRUNC));
	say("open-append", open(cat(r, "f"), O_WRONLY | O_APPEND));
	say("open-creat-old", open(cat(r, "f"), O_WRONLY | O_CREAT, 0644));
	say("open-creat-new", open(cat(r, "new"), O_WRONLY | O_CREAT, 0644));
	say("open-lnk-rdwr", open(cat(r, "lnk"), O_RDWR));
	say("truncate", truncate(cat(r, "f"), 0));
	say("rename-in", rename(cat(r, "f"), cat(r, "g")));
	say("rename-out", rename(cat(r, "f"), "/tmp/stolen"));
	say("rename-into", rename("/etc/passwd", cat(r, "pw")));
	say("rename-dir", rename(cat(r, "d"), cat(r, "d2")));
	say("rename-mount", rename(r, "/tmp/ro2"));
	say("unlink", unlink(cat(r, "f")));
	say("unlink-lnk", unlink(cat(r, "lnk")));
	say("rmdir", rmdir(cat(r, "d")));
	say("rmdir-mount", rmdir(r));
	say("utimes", utimes(cat(r, "f"), tv));
	say("utimes-now", utimes(cat(r, "f"), 0));
	say("lutimes", lutimes(cat(r, "lnk"), tv));
	say("chmod", chmod(cat(r, "f"), 0777));
	say("lchmod", lchmod(cat(r, "lnk"), 0777));
	say("chown", chown(cat(r, "f"), 1, 1));
	say("lchown", lchown(cat(r, "lnk"), 1, 1));
	say("chmod-mount", chmod(r, 0777));
	say("link-in", link(cat(r, "f"), cat(r, "f2")));
	say("link-out", link(cat(r, "f"), "/tmp/f2"));
	say("symlink", symlink("f", cat(r, "s")));
	say("mkdir", mkdir(cat(r, "dd"), 0755));
	say("mkfifo", mkfifo(cat(r, "fifo"), 0644));
	say("mknod-fifo", mknod(cat(r, "fifo2"), S_IFIFO | 0644, 0));
	s = socket(AF_LOCAL, SOCK_STREAM, 0);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_LOCAL;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s/sock", r);
	say("bind", bind(s, (struct sockaddr *)&sun, sizeof sun));
	close(s);
	fd = open(cat(r, "d"), O_RDONLY);
	say("openat-creat", openat(fd, "x", O_WRONLY | O_CREAT, 0644));
	say("mkdirat", mkdirat(fd, "x", 0755));
	say("unlinkat", unlinkat(fd, "../f", 0));
	say("fchmod-dir", fchmod(fd, 0777));
	close(fd);

	fd = open(cat(r, "f"), O_RDONLY);
	say("open-rdonly", fd);
	say("write", write(fd, "PWNED", 5));
	iov.iov_base = "PWNED";
	iov.iov_len = 5;
	say("writev", writev(fd, &iov, 1));
	say("pwrite", pwrite(fd, "PWNED", 5, 0));
	say("ftruncate", ftruncate(fd, 0));
	say("fchmod", fchmod(fd, 0777));
	say("fchown", fchown(fd, 1, 1));
	say("futimes", futimes(fd, tv));
	say("fsync", fsync(fd));
	say("fcntl-setfl", fcntl(fd, F_SETFL, O_APPEND));
	say("write-after-setfl", write(fd, "PWNED", 5));
	m = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	say("mmap-shared-write", m == MAP_FAILED ? -1 : 0);
	m = mmap(0, 4096, PROT_READ, MAP_SHARED, fd, 0);
	say("mmap-shared-read", m == MAP_FAILED ? -1 : 0);
	if (m != MAP_FAILED) {
		say("mprotect-write", mprotect(m, 4096, PROT_READ | PROT_WRITE));
		say("msync", msync(m, 4096, MS_SYNC));
		munmap(m, 4096);
	}
	m = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	say("mmap-private-write", m == MAP_FAILED ? -1 : 0);
	if (m != MAP_FAILED) {
		memcpy(m, "PWNED", 5);
		say("msync-private", msync(m, 4096, MS_SYNC));
		munmap(m, 4096);
	}
	close(fd);
	sayd("content", 0, head(cat(r, "f")));
	printf("done\n");
	return 0;
}

/* -- resources ---------------------------------------------------------------- */

static void
on_segv(int sig)
{
	(void)sig;
	_exit(11);
}

static int
res(void)
{
	static char small[64], dents[1 << 16];
	struct iovec iov[2];
	struct rlimit rl;
	struct stat st;
	char buf[256];
	pid_t kids[4096];
	int fd, n, i, s, nk = 0;
	void *p;

	fd = open("/dev/zero", O_RDONLY);
	say("read-huge", read(fd, small, 0x7fffffff));
	say("read-ssize-max+1", read(fd, small, 0x80000000u));
	say("read-kaddr", read(fd, KADDR, 4096));
	say("read-null", read(fd, 0, 4096));
	iov[0].iov_base = small;
	iov[0].iov_len = 0x7fffffff;
	iov[1].iov_base = small;
	iov[1].iov_len = 0x7fffffff;
	say("readv-overflow", readv(fd, iov, 2));
	say("readv-1025", readv(fd, iov, 1025));
	say("readv-neg", readv(fd, iov, -1));
	say("readv-kiov", readv(fd, (struct iovec *)KADDR, 1));
	close(fd);
	fd = open("/dev/null", O_WRONLY);
	say("write-kaddr", write(fd, KADDR, 4096));
	say("write-huge", write(fd, small, 0x7fffffff));
	close(fd);
	fd = open("/", O_RDONLY);
	say("getdents-huge", getdents(fd, dents, 0x7fffffff));
	say("getdents-kaddr", getdents(fd, KADDR, 4096));
	say("getdents-zero", getdents(fd, small, 0));
	close(fd);
	say("fstat-kaddr", fstat(0, (struct stat *)KADDR));

	p = mmap(0, 0xc0000000u, PROT_READ | PROT_WRITE, MAP_ANON | MAP_PRIVATE, -1, 0);
	say("mmap-3g", p == MAP_FAILED ? -1 : 0);
	p = mmap(0, 0xfffff000u, PROT_READ, MAP_ANON | MAP_PRIVATE, -1, 0);
	say("mmap-4g", p == MAP_FAILED ? -1 : 0);
	p = mmap(KADDR, 4096, PROT_READ | PROT_WRITE, MAP_ANON | MAP_PRIVATE | MAP_FIXED, -1, 0);
	say("mmap-fixed-kernel", p == MAP_FAILED ? -1 : 0);
	p = mmap((void *)0xbffff000u, 0x2000, PROT_READ, MAP_ANON | MAP_PRIVATE | MAP_FIXED, -1, 0);
	say("mmap-fixed-straddle", p == MAP_FAILED ? -1 : 0);
	p = mmap(0, 0, PROT_READ, MAP_ANON | MAP_PRIVATE, -1, 0);
	say("mmap-zero", p == MAP_FAILED ? -1 : 0);
	p = mmap(0, 4096, PROT_READ, MAP_PRIVATE, 12345, 0);
	say("mmap-badfd", p == MAP_FAILED ? -1 : 0);
	say("munmap-kernel", munmap(KADDR, 4096));
	say("mprotect-kernel", mprotect(KADDR, 4096, PROT_READ | PROT_WRITE));
	p = sbrk(0x40000000);
	say("sbrk-1g", p == (void *)-1 ? -1 : 0);
	p = sbrk(-0x10000000);
	say("sbrk-neg", p == (void *)-1 ? -1 : 0);

	/* descriptors */
	getrlimit(RLIMIT_NOFILE, &rl);
	for (n = 0; open("/dev/null", O_RDONLY) >= 0; n++)
		;
	sayd("fd-exhaust", -1, (sprintf(buf, "%d", n), buf));
	rl.rlim_cur = rl.rlim_max;
	say("setrlimit-nofile", setrlimit(RLIMIT_NOFILE, &rl));
	for (; open("/dev/null", O_RDONLY) >= 0; n++)
		;
	sayd("fd-exhaust-max", -1, (sprintf(buf, "%d", n), buf));
	say("stat-while-full", stat("/etc/passwd", &st));
	say("pipe-while-full", pipe((int *)small));
	say("socket-while-full", socket(AF_LOCAL, SOCK_STREAM, 0));
	say("dup2-huge", dup2(0, 100000));
	say("dup2-neg", dup2(0, -1));
	say("fcntl-dupfd-huge", fcntl(0, F_DUPFD, 100000));
	fcntl(3, F_CLOSEM);

	/* processes */
	for (nk = 0; nk < 4096; nk++) {
		pid_t c = fork();
		if (c == 0) {
			pause();
			_exit(0);
		}
		if (c < 0)
			break;
		kids[nk] = c;
	}
	sayd("fork-bomb", -1, (sprintf(buf, "%d", nk), buf));
	for (i = 0; i < nk; i++)
		kill(kids[i], SIGKILL);
	for (i = 0; i < nk; i++)
		waitpid(kids[i], 0, 0);
	s = fork();
	if (s == 0)
		_exit(0);
	say("fork-after", s < 0 ? -1 : 0);
	if (s > 0)
		waitpid(s, 0, 0);

	/* writing to its own code */
	s = fork();
	if (s == 0) {
		signal(SIGSEGV, on_segv);
		signal(SIGBUS, on_segv);
		*(volatile unsigned char *)(void *)res = 0xcc;
		_exit(0);
	}
	waitpid(s, &i, 0);
	say("write-text", WIFEXITED(i) ? WEXITSTATUS(i) : 128 + WTERMSIG(i));
	s = fork();
	if (s == 0) {
		signal(SIGSEGV, on_segv);
		signal(SIGBUS, on_segv);
		*(volatile unsigned *)KADDR = 0xdeadbeef;
		_exit(0);
	}
	waitpid(s, &i, 0);
	say("write-kernel", WIFEXITED(i) ? WEXITSTATUS(i) : 128 + WTERMSIG(i));
	printf("done\n");
	return 0;
}

/* -- deep ------------------------------------------------------------------ */

static int
deep(const char *w, int n)
{
	int i, e = 0, fd;
	char buf[64];
	if (chdir(w) < 0)
		return 1;
	for (i = 0; i < n; i++) {
		if (mkdir("d", 0755) < 0) {
			e = errno;
			break;
		}
		if (chdir("d") < 0) {
			e = errno;
			break;
		}
	}
	sprintf(buf, "%d %d", i, e);
	sayd("deep", 0, buf);
	fd = open("/etc/passwd", O_RDONLY);
	say("open-at-bottom", fd);
	if (fd >= 0)
		close(fd);
	say("pipe-at-bottom", pipe((int *)(void *)buf));
	say("socket-at-bottom", socket(AF_LOCAL, SOCK_STREAM, 0));
	for (; i > 0; i--) {
		if (chdir("..") < 0 || rmdir("d") < 0) {
			say("up", -1);
			break;
		}
	}
	sprintf(buf, "%d", i);
	sayd("left", 0, buf);
	printf("done\n");
	return 0;
}

/* -- race ------------------------------------------------------------------ */

/*
 * A child keeps swapping the name W/x between a directory and symbolic
 * links climbing out ("../../../../.." and "/"), while the parent opens,
 * creates, makes directories, links and renames through W/x/.. paths: every
 * one of them, whichever object x is at that moment, lands inside the
 * guest's tree.
 */
static char rx[512], rd[512], rl1[512], rl2[512];
static volatile int race_stop;

/* x: the directory, then each link, renamed over it; a yield after each
   step hands the CPU to the other side (both yield: the two interleave call
   by call) */
static void *
swapper(void *arg)
{
	int i;
	(void)arg;
	for (i = 0; !race_stop; i++) {
		rename(rd, rx);
		sched_yield();
		rename(rx, rd);
		if (symlink(i & 1 ? "../../../../../../../.." : "/", rx) == 0) {
			sched_yield();
			unlink(rx);
		}
		link(rl1, rx);
		sched_yield();
		rename(rl2, rx);
		sched_yield();
		symlink("/", rl2);
		unlink(rx);
	}
	return 0;
}

static int
race(const char *w, int n, int lwp)
{
	char *x = rx, p[512];
	int i, ok = 0, fd;
	pid_t c = 0;
	pthread_t t;

	snprintf(rx, sizeof rx, "%s/x", w);
	snprintf(rd, sizeof rd, "%s/xd", w);
	snprintf(rl1, sizeof rl1, "%s/xl1", w);
	snprintf(rl2, sizeof rl2, "%s/xl2", w);
	mkdir(rd, 0755);
	symlink("../../../../../../../..", rl1);
	symlink("/", rl2);
	if (lwp) {
		if (pthread_create(&t, 0, swapper, 0) != 0)
			return 1;
	} else if ((c = fork()) == 0) {
		swapper(0);
		_exit(0);
	}
	for (i = 0; i < n; i++) {
		snprintf(p, sizeof p, "%s/../../../../race_%d", x, i % 7);
		fd = open(p, O_WRONLY | O_CREAT, 0644);
		if (fd >= 0) {
			write(fd, "r", 1);
			close(fd);
			ok++;
		}
		sched_yield();
		snprintf(p, sizeof p, "%s/tmp/race_dir_%d", x, i % 5);
		if (mkdir(p, 0755) == 0)
			ok++;
		sched_yield();
		snprintf(p, sizeof p, "%s/race_f", x);
		fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0)
			close(fd), ok++;
		sched_yield();
		chmod(p, 04777);
		truncate(p, 0);
		sched_yield();
		rename(p, "/tmp/race_renamed");
		symlink("/tmp", p);
		sched_yield();
		unlink(p);
	}
	if (lwp) {
		race_stop = 1;
		pthread_join(t, 0);
	} else {
		kill(c, SIGKILL);
		waitpid(c, 0, 0);
	}
	sayd("race", 0, ok > 0 ? "some" : "none");
	printf("done\n");
	return 0;
}

static int
execs(int n, char **files)
{
	int i, st, pf[2], e;
	char line[600];
	for (i = 0; i < n; i++) {
		pid_t c;
		e = 0;
		pipe(pf);
		c = fork();
		if (c == 0) {
			char *av[] = { files[i], 0 };
			close(pf[0]);
			execv(files[i], av);
			e = errno;
			write(pf[1], &e, sizeof e);
			_exit(127);
		}
		close(pf[1]);
		if (read(pf[0], &e, sizeof e) != sizeof e)
			e = 0;
		close(pf[0]);
		waitpid(c, &st, 0);
		snprintf(line, sizeof line, "%s", files[i]);
		printf("exec:%s %d %d\n", strrchr(line, '/') ? strrchr(line, '/') + 1 : line,
		    WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), e);
		fflush(stdout);
	}
	printf("done\n");
	return 0;
}

static int
connects(int n, char **paths)
{
	struct sockaddr_un sun;
	char name[300];
	int i, s, t;
	for (i = 0; i < n; i++) {
		static const int types[] = { SOCK_STREAM, SOCK_DGRAM };
		const char *base = strrchr(paths[i], '/') ? strrchr(paths[i], '/') + 1 : paths[i];
		memset(&sun, 0, sizeof sun);
		sun.sun_family = AF_LOCAL;
		snprintf(sun.sun_path, sizeof sun.sun_path, "%s", paths[i]);
		for (t = 0; t < 2; t++) {
			s = socket(AF_LOCAL, types[t], 0);
			snprintf(name, sizeof name, "connect-%s-%s", t ? "dgram" : "stream", base);
			say(name, connect(s, (struct sockaddr *)&sun, sizeof sun));
			if (t) {
				snprintf(name, sizeof name, "sendto-%s", base);
				say(name, sendto(s, "PWNED", 5, 0, (struct sockaddr *)&sun, sizeof sun));
			}
			close(s);
		}
		s = socket(AF_LOCAL, SOCK_STREAM, 0);
		snprintf(name, sizeof name, "bind-%s", base);
		say(name, bind(s, (struct sockaddr *)&sun, sizeof sun));
		close(s);
	}
	printf("done\n");
	return 0;
}

static char ptepage[4096] __attribute__((aligned(4096)));

static int
pte(unsigned phys)
{
	unsigned cr3, va = (unsigned)(unsigned long)ptepage, *pd, *pt, v;
	volatile unsigned *p = (volatile unsigned *)(void *)ptepage;
	if (!in_kernel_mode()) {
		printf("not at CPL 0\n");
		return 2;
	}
	ptepage[0] = 1;
	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	pd = (unsigned *)(0xc0000000u + (cr3 & ~0xfffu));         /* memory at KERNBASE */
	pt = (unsigned *)(0xc0000000u + (pd[va >> 22] & ~0xfffu));
	pt[(va >> 12) & 0x3ff] = (phys & ~0xfffu) | 7;
	__asm__ volatile("invlpg (%0)" :: "r"(va) : "memory");
	v = p[0];
	p[0] = 0xdeadbeef;
	p[1023] = 0xdeadbeef;
	printf("pte-read 0 0 %x\n", v);
	printf("pte-reread 0 0 %x\n", p[0]);
	printf("done\n");
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "paths") == 0)
		return paths(argv[2]);
	if (argc >= 3 && strcmp(argv[1], "ro") == 0)
		return ro(argv[2]);
	if (argc >= 2 && strcmp(argv[1], "res") == 0)
		return res();
	if (argc >= 4 && strcmp(argv[1], "deep") == 0)
		return deep(argv[2], atoi(argv[3]));
	if (argc >= 2 && strcmp(argv[1], "exec") == 0)
		return execs(argc - 2, argv + 2);
	if (argc >= 3 && strcmp(argv[1], "pte") == 0)
		return pte((unsigned)strtoul(argv[2], 0, 16));
	if (argc >= 2 && strcmp(argv[1], "connect") == 0)
		return connects(argc - 2, argv + 2);
	if (argc >= 4 && strcmp(argv[1], "race") == 0)
		return race(argv[2], atoi(argv[3]), argc > 4 && strcmp(argv[4], "lwp") == 0);
	if (argc >= 3 && strcmp(argv[1], "hog") == 0) {
		size_t n = (size_t)atoi(argv[2]) << 20;
		char *m = malloc(n);
		if (m == NULL)
			return 1;
		memset(m, 1, n);
		/* m is not read again: without this GCC (-O2 and up) drops the
		   malloc and the memset, and nothing is held */
		__asm__ volatile("" : : "r"(m) : "memory");
		return execs(argc - 3, argv + 3);
	}
	fprintf(stderr, "usage: hostile2 paths W | ro R | res | deep W N | exec FILE...\n");
	return 2;
}
