/*
 * Guest helper for tests/test_nbsd_procfs.py: /proc (procfs) and the large
 * anonymous reservations of issue 11 item 4, as a user process or as a
 * kernelware.
 *
 *   procfs proc ARGS...   curproc/self, exe (readlink, open, exec through
 *                         it), cmdline, cwd, status, getdents of /proc with
 *                         a child that comes and goes, and the errors
 *   procfs child          (exec'd through /proc/curproc/exe by "proc")
 *   procfs reserve        a 768 MiB PROT_NONE reservation (more than the
 *                         machine has), 4 MiB of it committed with
 *                         MAP_FIXED and touched, a hinted mapping, munmap;
 *                         RLIMIT_AS refuses what goes over it
 *   procfs big MIB        mmap MIB MiB read/write and touch every 64th page
 *                         (a --memory 1G machine)
 *
 * Every check prints "ok NAME" or "FAIL NAME (detail)"; other lines are
 * data for the test to compare ("exe=...").  The exit status is the number
 * of failures.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#ifndef RLIMIT_AS
#define RLIMIT_AS 10		/* NetBSD's <sys/resource.h> */
#endif

static int fails;

static void
check(int ok, const char *name, long detail)
{
	if (ok)
		printf("ok %s\n", name);
	else {
		printf("FAIL %s (%ld, errno %d)\n", name, detail, errno);
		fails++;
	}
}

static int
in_proc(const char *name)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int found = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, name) == 0)
			found = 1;
	closedir(d);
	return found;
}

static int
proc(int argc, char **argv)
{
	char buf[1024], want[64], path[64];
	ssize_t n;
	int fd, i, off, status, p[2];
	pid_t pid;
	struct stat st;

	/* curproc and self: symbolic links to the caller's pid */
	snprintf(want, sizeof want, "%d", (int)getpid());
	n = readlink("/proc/curproc", buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = 0;
	check(n > 0 && strcmp(buf, want) == 0, "curproc-is-pid", (long)n);
	n = readlink("/proc/self", buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = 0;
	check(n > 0 && strcmp(buf, want) == 0, "self-is-pid", (long)n);
	check(lstat("/proc/curproc", &st) == 0 && S_ISLNK(st.st_mode), "curproc-lstat-link", 0);
	check(stat("/proc/curproc", &st) == 0 && S_ISDIR(st.st_mode), "curproc-stat-dir", 0);

	/* exe: the program's path; the file itself through it */
	n = readlink("/proc/curproc/exe", buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = 0;
	printf("exe=%s\n", buf);
	snprintf(path, sizeof path, "/proc/%d/exe", (int)getpid());
	n = readlink(path, want, sizeof want - 1);
	want[n > 0 ? n : 0] = 0;
	check(strcmp(buf, want) == 0, "pid-exe-same", (long)n);
	fd = open("/proc/self/exe", O_RDONLY);
	check(fd >= 0 && read(fd, buf, 4) == 4 && memcmp(buf, "\177ELF", 4) == 0, "exe-opens-elf", fd);
	close(fd);

	/* cmdline: the arguments, NUL-terminated */
	fd = open("/proc/curproc/cmdline", O_RDONLY);
	off = 0;
	while (fd >= 0 && (n = read(fd, buf + off, sizeof buf - off)) > 0)
		off += n;
	close(fd);
	printf("cmdline=");
	for (i = 0; i < off; i++)
		putchar(buf[i] ? buf[i] : '|');
	putchar('\n');
	check(fstat(fd = open("/proc/curproc/cmdline", O_RDONLY), &st) == 0 &&
	    S_ISREG(st.st_mode) && st.st_size == 0 && (st.st_mode & 0777) == 0444,
	    "cmdline-stat", (long)st.st_size);
	close(fd);

	/* cwd and status */
	chdir("/tmp");
	n = readlink("/proc/curproc/cwd", buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = 0;
	check(n > 0 && strcmp(buf, "/tmp") == 0, "cwd-link", (long)n);
	fd = open("/proc/curproc/status", O_RDONLY);
	n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	printf("status=%s", buf);
	snprintf(want, sizeof want, "procfs %d %d ", (int)getpid(), (int)getppid());
	check(strncmp(buf, want, strlen(want)) == 0, "status-line", (long)n);

	/* /proc lists live processes: a child while it lives, not once reaped */
	snprintf(want, sizeof want, "%d", (int)getpid());
	check(in_proc(want) == 1 && in_proc("curproc") == 1 && in_proc("self") == 1,
	    "getdents-self", 0);
	pipe(p);
	pid = fork();
	if (pid == 0) {
		close(p[1]);
		read(p[0], buf, 1);		/* until the parent has looked */
		_exit(0);
	}
	close(p[0]);
	snprintf(want, sizeof want, "%d", (int)pid);
	check(in_proc(want) == 1, "getdents-child", pid);
	snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
	check(access(path, R_OK) == 0, "child-cmdline", 0);
	write(p[1], "x", 1);
	close(p[1]);
	waitpid(pid, &status, 0);
	check(in_proc(want) == 0, "getdents-child-gone", pid);
	errno = 0;
	check(access(path, R_OK) == -1 && errno == ENOENT, "child-gone-enoent", 0);

	/* errors: nothing can be created or removed; another's missing pid */
	errno = 0;
	check(open("/proc/new", O_WRONLY | O_CREAT, 0644) == -1 && errno == EROFS, "create-erofs", 0);
	errno = 0;
	check(unlink("/proc/curproc") == -1 && errno == EROFS, "unlink-erofs", 0);
	errno = 0;
	check(mkdir("/proc/1/x", 0755) == -1 && errno == EROFS, "mkdir-erofs", 0);
	errno = 0;
	check(readlink("/proc/99999/exe", buf, sizeof buf) == -1 && errno == ENOENT, "nopid-enoent", 0);
	errno = 0;
	check(open("/proc/1/nosuch", O_RDONLY) == -1 && errno == ENOENT, "nofile-enoent", 0);
	errno = 0;
	check(readlink("/proc/curproc/cmdline", buf, sizeof buf) == -1 && errno == EINVAL,
	    "readlink-file-einval", 0);

	/* exec through /proc/curproc/exe */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		char *av[] = { "procfs", "child", NULL };
		execv("/proc/curproc/exe", av);
		_exit(99);
	}
	waitpid(pid, &status, 0);
	check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "exec-through-exe", status);
	(void)argc;
	(void)argv;
	return fails;
}

static int
child(void)
{
	char buf[256];
	ssize_t n = readlink("/proc/curproc/exe", buf, sizeof buf - 1);

	buf[n > 0 ? n : 0] = 0;
	printf("child exe=%s\n", buf);
	return n > 0 ? 0 : 1;
}

#define MIB (1024L * 1024L)

static int
reserve(void)
{
	char *r, *c, *h, *end;
	long i;
	struct rlimit rl;

	/* a reservation larger than the machine: nothing is committed */
	r = mmap(NULL, 768 * MIB, PROT_NONE, MAP_ANON | MAP_PRIVATE, -1, 0);
	check(r != MAP_FAILED, "reserve-768M", (long)r);
	if (r == MAP_FAILED)
		return fails;
	/* commit 4 MiB of it, aligned, and use it */
	c = (char *)(((unsigned long)r + 4 * MIB - 1) & ~(4 * MIB - 1));
	check(mmap(c, 4 * MIB, PROT_READ | PROT_WRITE, MAP_ANON | MAP_PRIVATE | MAP_FIXED, -1, 0)
	    == c, "commit-fixed", 0);
	for (i = 0; i < 4 * MIB; i += 4096)
		c[i] = (char)(i >> 12);
	for (i = 0; i < 4 * MIB && c[i] == (char)(i >> 12); i += 4096)
		;
	check(i == 4 * MIB, "commit-readback", i);
	/* the rest of the reservation is still inaccessible: mprotect says it
	 * is mapped, mincore-free check: munmap of the whole range works */
	check(mprotect(r, 4096, PROT_NONE) == 0, "mprotect-reserved", 0);
	check(munmap(r, 768 * MIB) == 0, "munmap-all", 0);
	/* a hint is taken when the range is free (Go asks for its heap just
	 * above its image) */
	end = (char *)(((unsigned long)sbrk(0) + 64 * MIB) & ~(4 * MIB - 1));
	h = mmap(end, 16 * MIB, PROT_NONE, MAP_ANON | MAP_PRIVATE, -1, 0);
	check(h == end, "hint-taken", (long)h);
	munmap(h, 16 * MIB);
	/* RLIMIT_AS counts every mapping, reservations too */
	rl.rlim_cur = rl.rlim_max = 256 * MIB;
	check(setrlimit(RLIMIT_AS, &rl) == 0, "setrlimit-as", 0);
	errno = 0;
	r = mmap(NULL, 300 * MIB, PROT_NONE, MAP_ANON | MAP_PRIVATE, -1, 0);
	check(r == MAP_FAILED && errno == ENOMEM, "rlimit-as-enomem", (long)r);
	r = mmap(NULL, 64 * MIB, PROT_NONE, MAP_ANON | MAP_PRIVATE, -1, 0);
	check(r != MAP_FAILED, "rlimit-as-below", (long)r);
	return fails;
}

static int
big(long mib)
{
	char *p = mmap(NULL, mib * MIB, PROT_READ | PROT_WRITE, MAP_ANON | MAP_PRIVATE, -1, 0);
	long i, sum = 0;

	check(p != MAP_FAILED, "big-mmap", (long)p);
	if (p == MAP_FAILED)
		return fails;
	for (i = 0; i < mib * MIB; i += 64 * 4096)
		p[i] = 1;
	p[mib * MIB - 1] = 2;
	for (i = 0; i < mib * MIB; i += 64 * 4096)
		sum += p[i];
	check(sum == mib * MIB / (64 * 4096) && p[mib * MIB - 1] == 2, "big-touch", sum);
	return fails;
}

int
main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "proc") == 0)
		return proc(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "child") == 0)
		return child();
	if (argc >= 2 && strcmp(argv[1], "reserve") == 0)
		return reserve();
	if (argc >= 3 && strcmp(argv[1], "big") == 0)
		return big(atol(argv[2]));
	fprintf(stderr, "usage: procfs proc|child|reserve|big MIB\n");
	return 2;
}
