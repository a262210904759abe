/*
 * remapfork.c -- mremap(MAP_REMAPDUP) across fork, and a grown private file
 * mapping (tests/test_nbsd_leftovers.py).  mremap(2): with MAP_REMAPDUP "both
 * address ranges reference the same pages"; fork gives the child its own
 * copy of them, the two addresses still one memory in each process,
 * whichever writes first.  A private file mapping grown by mremap maps the
 * file further on (uvm_mapent_extend: the same object at the following
 * offsets), so the new pages read the file, not zeros.  One line per
 * check, "done N" (N failures).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG 4096
static int failures;

static void
check(int ok, const char *name)
{
	printf("%s %s\n", ok ? "ok" : "FAIL", name);
	fflush(stdout);
	if (!ok)
		failures++;
}

/* one round: a and d alias; after fork, `first` (0 parent, 1 child) writes first */
static void
round_(int first)
{
	char *a, *d;
	pid_t pid;
	int st;
	char name[64];

	a = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_ANON | MAP_PRIVATE, -1, 0);
	a[0] = 'A';
	a[2 * PG] = 'a';                 /* page 1 left untouched */
	d = mremap(a, 3 * PG, NULL, 3 * PG, MAP_REMAPDUP);
	snprintf(name, sizeof name, "dup-%d", first);
	check(d != MAP_FAILED && d != a && d[0] == 'A' && d[2 * PG] == 'a', name);
	pid = fork();
	if (pid == 0) {
		int bad = 0;
		if (!first)
			usleep(100000);         /* the parent writes first */
		if (d[0] != 'A' || a[PG] != 0)
			bad |= 1;               /* the fork-time contents */
		a[0] = 'C';
		d[PG] = 'c';
		d[2 * PG] = 'k';
		if (d[0] != 'C' || a[PG] != 'c' || a[2 * PG] != 'k')
			bad |= 2;               /* still one memory in the child */
		_exit(bad);
	}
	if (first)
		waitpid(pid, &st, 0);
	a[2 * PG] = 'P';
	d[0] = 'Q';
	a[PG] = 'R';
	snprintf(name, sizeof name, "parent-aliases-%d", first);
	check(d[2 * PG] == 'P' && a[0] == 'Q' && d[PG] == 'R', name);
	if (!first)
		waitpid(pid, &st, 0);
	snprintf(name, sizeof name, "child-aliases-%d", first);
	check(WIFEXITED(st) && WEXITSTATUS(st) == 0, name);
	if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0))
		printf("  child status %#x\n", st);
	snprintf(name, sizeof name, "parent-unchanged-by-child-%d", first);
	check(a[0] == 'Q' && d[PG] == 'R' && a[2 * PG] == 'P', name);
	/* a second fork of a pair that already went copy-on-write once */
	pid = fork();
	if (pid == 0) {
		d[0] = 'X';
		_exit(a[0] == 'X' ? 0 : 1);
	}
	waitpid(pid, &st, 0);
	snprintf(name, sizeof name, "second-fork-%d", first);
	check(WIFEXITED(st) && WEXITSTATUS(st) == 0 && a[0] == 'Q' && d[0] == 'Q', name);
	munmap(d, 3 * PG);
	a[0] = 'Z';                      /* the other one lives on alone */
	check(a[0] == 'Z', "after-unmap");
	munmap(a, 3 * PG);
}

static int
file_pages(const char *path, int n)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	char buf[PG];
	int i;

	for (i = 0; i < n; i++) {
		memset(buf, 'a' + i, PG);
		write(fd, buf, PG);
	}
	return fd;
}

int
main(void)
{
	const char *path = "/tmp/remapfork.dat";
	char *m, *g, *wall;
	int fd;

	round_(0);
	round_(1);

	/* a private file mapping of page 1 of the file, grown in place to 3 pages */
	fd = file_pages(path, 4);
	m = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_ANON | MAP_PRIVATE, -1, 0);
	munmap(m, 4 * PG);               /* room after it */
	m = mmap(m, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd, PG);
	m[1] = 'X';                      /* our private copy */
	g = mremap(m, PG, NULL, 3 * PG, 0);
	check(g == m, "grow-in-place");
	check(g[0] == 'b' && g[1] == 'X' && g[PG] == 'c' && g[2 * PG - 1] == 'c' &&
	    g[2 * PG] == 'd', "grown-reads-the-file");
	g[PG] = 'Y';                     /* private: the file keeps its bytes */
	{
		char c = 0;
		pread(fd, &c, 1, 2 * PG);
		check(c == 'c', "grown-stays-private");
	}
	munmap(g, 3 * PG);

	/* the same, moved by the growth: a mapping in the way */
	m = mmap(NULL, 2 * PG, PROT_READ, MAP_PRIVATE, fd, 0);
	wall = mmap(m + 2 * PG, PG, PROT_READ, MAP_ANON | MAP_PRIVATE | MAP_FIXED, -1, 0);
	g = mremap(m, 2 * PG, NULL, 4 * PG, 0);
	check(g != MAP_FAILED && g != m && wall == m + 2 * PG, "grow-moved");
	check(g[0] == 'a' && g[PG] == 'b' && g[2 * PG] == 'c' && g[3 * PG] == 'd',
	    "moved-reads-the-file");
	/* past the end of the file: zeros, as the private mapping's own tail */
	g = mremap(g, 4 * PG, NULL, 5 * PG, 0);
	check(g != MAP_FAILED && g[3 * PG] == 'd' && g[4 * PG] == 0, "past-eof-zero");
	close(fd);
	unlink(path);
	printf("done %d\n", failures);
	return failures != 0;
}
