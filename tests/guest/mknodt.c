/*
 * mknodt -- mknod(2) as NetBSD's do_sys_mknodat (tests/test_nbsd_mknod.py):
 * a FIFO with dev 0 is mkfifo for anyone; other types need root (EPERM);
 * an unknown type is EINVAL; a device node, as root, is what kw86 does not
 * make (ENOSYS, reported).  Prints "ok N what" / "FAIL N what", "done".
 */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int syscall(int, ...);

static int n, bad;

static void
check(int cond, const char *what)
{
	n++;
	printf("%s %d %s\n", cond ? "ok" : "FAIL", n, what);
	if (!cond)
		bad++;
}

int
main(void)
{
	struct stat st;
	int r;
	pid_t c;

	chdir("/tmp");
	unlink("f1");
	unlink("f2");
	unlink("f3");
	check(mknod("f1", S_IFIFO | 0640, 0) == 0 && stat("f1", &st) == 0 &&
	    S_ISFIFO(st.st_mode) && (st.st_mode & 0777) == (0640 & ~umask(022)),
	    "mknod(S_IFIFO, dev 0) makes a FIFO");
	errno = 0;
	check(mknod("f1", S_IFIFO | 0640, 0) == -1 && errno == EEXIST, "again: EEXIST");
	/* mknodat(AT_FDCWD = -100, ..., PAD, dev) through the raw call */
	check(syscall(460, -100, "f3", S_IFIFO | 0600, 0, 0, 0) == 0 && stat("f3", &st) == 0 &&
	    S_ISFIFO(st.st_mode), "mknodat(AT_FDCWD, S_IFIFO) makes a FIFO");
	errno = 0;
	check(mknod("f2", S_IFDIR | 0755, 0) == -1 && errno == EINVAL, "root, S_IFDIR: EINVAL");
	errno = 0;
	check(mknod("f2", S_IFCHR | 0600, 0x0101) == -1 && errno == ENOSYS &&
	    stat("f2", &st) == -1, "root, a device node: ENOSYS (not made by kw86)");
	c = fork();
	if (c == 0) {
		setuid(1000);
		errno = 0;
		if (mknod("f2", S_IFCHR | 0600, 0x0101) != -1 || errno != EPERM)
			_exit(1);
		_exit(mknod("f2", S_IFIFO | 0600, 0) == 0 ? 0 : 2);
	}
	waitpid(c, &r, 0);
	check(WIFEXITED(r) && WEXITSTATUS(r) == 0, "a user: a device EPERM, a FIFO made");
	unlink("f1");
	unlink("f2");
	unlink("f3");
	printf("done\n");
	return bad != 0;
}
