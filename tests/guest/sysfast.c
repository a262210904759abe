/* The run loop's answer cache for getpid and the like (tests/test_nbsd_sysfast.py):
 * an answer changes when the kernel changes the process, never stale. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

int
main(int argc, char **argv)
{
	int fd[2], st, i;
	pid_t me = getpid(), c;
	char buf[128];
	ssize_t n;

	if (argc > 1 && strcmp(argv[1], "orphan") == 0) {
		/* a grandchild spins on getppid while its parent exits: it must
		 * see init (1) as its parent then, and say so through the pipe */
		if (pipe(fd) != 0)
			return 1;
		c = fork();
		if (c == 0) {
			pid_t mid = getpid(), g = fork();
			if (g == 0) {
				long spins = 0;
				while (getppid() == mid)
					spins++;
				n = snprintf(buf, sizeof buf, "grandchild: ppid %d -> %d, pid %d %s\n",
				    (int)mid, (int)getppid(), (int)getpid(),
				    getpid() != mid && getpid() != me ? "own" : "WRONG");
				write(fd[1], buf, n);
				_exit(0);
			}
			for (i = 0; i < 1000; i++)	/* the grandchild's getppid is armed by now */
				(void)getpid();
			_exit(0);
		}
		close(fd[1]);
		waitpid(c, &st, 0);
		while ((n = read(fd[0], buf, sizeof buf)) > 0)
			fwrite(buf, 1, n, stdout);
		printf("parent: child %d exited %d\n", (int)c, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		return 0;
	}
	/* uid: the answer after setuid is the new one, asked in a loop (the
	 * cache answers all but the first of each) */
	{
		long su = 0, se = 0;
		for (i = 0; i < 100; i++) {
			su += getuid();
		}
		for (i = 0; i < 100; i++)
			se += getegid();
		printf("before: uid %ld egid %ld\n", su / 100, se / 100);
		if (setgid(20) != 0 || setuid(1000) != 0)
			return 2;
		su = se = 0;
		for (i = 0; i < 100; i++)
			su += getuid();
		for (i = 0; i < 100; i++)
			se += getegid();
		printf("after: uid %ld egid %ld\n", su / 100, se / 100);
	}
	/* process group: a child's answer follows its setpgid */
	fflush(stdout);
	if ((c = fork()) == 0) {
		pid_t g0 = 0, g1 = 0;
		for (i = 0; i < 100; i++)
			g0 = getpgrp();
		if (setpgid(0, 0) != 0)
			_exit(3);
		for (i = 0; i < 100; i++)
			g1 = getpgrp();
		printf("pgrp: child before == parent's %d, after == own pid %d\n",
		    g0 == getpgid(getppid()) && g0 != getpid(), g1 == getpid());
		fflush(stdout);
		_exit(0);
	}
	waitpid(c, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return 4;
	return 0;
}
