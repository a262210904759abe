/*
 * lockmany.c N -- a process taking N byte-range locks on one file (fcntl
 * F_SETLK, every other byte, so none merge), asking F_GETLK about each from
 * a child, then dropping them one by one (F_UNLCK) (bench/lockf_bench.py,
 * tests/test_nbsd_leftovers.py).  Prints "locks N getlk N unlocked N".
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static int
lk(int fd, int cmd, int type, off_t start, off_t len)
{
	struct flock fl;

	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	fl.l_start = start;
	fl.l_len = len;
	fl.l_pid = 0;
	if (fcntl(fd, cmd, &fl) != 0)
		return -1;
	return cmd == F_GETLK ? (fl.l_type == F_UNLCK ? 0 : (int)fl.l_start) : 0;
}

int
main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 20000;
	int fd = open("/tmp/lockmany.dat", O_RDWR | O_CREAT | O_TRUNC, 0600);
	int i, got = 0, found = 0, st;
	pid_t pid;

	for (i = 0; i < n; i++)
		if (lk(fd, F_SETLK, i & 1 ? F_RDLCK : F_WRLCK, 2 * (off_t)i, 1) == 0)
			got++;
	pid = fork();
	if (pid == 0) {
		/* another process: each byte's lock is the answer (its start) */
		for (i = 0; i < n; i++)
			if (lk(fd, F_GETLK, F_WRLCK, 2 * (off_t)i, 2) == 2 * i)
				found++;
		_exit(found == n ? 0 : 1);
	}
	waitpid(pid, &st, 0);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		found = n;
	for (i = 0; i < n; i++)
		if (lk(fd, F_SETLK, F_UNLCK, 2 * (off_t)i, 1) == 0)
			got--;
	printf("locks %d getlk %d unlocked %d\n", n, found, n - got);
	unlink("/tmp/lockmany.dat");
	return 0;
}
