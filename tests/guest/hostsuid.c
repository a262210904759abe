/*
 * hostsuid -- guest side of tests/test_nbsd_hostsuid.py: a guest root sets
 * set-user-ID and set-group-ID bits by every route, in a directory DIR (a
 * writable bind, the root), and the test checks the host files never get
 * them while the guest sees them.  Each line is
 *
 *     NAME RV ERRNO [st_mode in octal]
 *
 *   hostsuid make DIR   chmod 04755 DIR/a; open(O_CREAT, 06755) DIR/b;
 *                       fchmod 02711 DIR/c; fchmodat 06700 DIR/d; mkdir DIR/sg
 *                       then chmod 02775; mkfifo DIR/fifo 04644; mknod of a
 *                       character and a block device DIR/cdev, DIR/bdev;
 *                       then what stat shows of each
 *   hostsuid show DIR   what stat shows of each (a later run)
 *
 * then "done".  Exit status 0 unless the program itself went wrong.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

static const char *names[] = { "a", "b", "c", "d", "sg", "fifo", "cdev", "bdev", NULL };
static char dir[512];

static char *
at(const char *name)
{
	static char buf[1024];

	snprintf(buf, sizeof buf, "%s/%s", dir, name);
	return buf;
}

static void
say(const char *what, long r)
{
	printf("%s %ld %d\n", what, r, r < 0 ? errno : 0);
	fflush(stdout);
}

static void
show(void)
{
	struct stat st;
	char what[64];
	int i, r;

	for (i = 0; names[i] != NULL; i++) {
		snprintf(what, sizeof what, "mode-%s", names[i]);
		r = lstat(at(names[i]), &st);
		if (r < 0)
			say(what, r);
		else
			printf("%s 0 0 %o\n", what, (unsigned)st.st_mode);
	}
}

int
main(int argc, char **argv)
{
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: hostsuid make|show DIR\n");
		return 2;
	}
	snprintf(dir, sizeof dir, "%s", argv[2]);
	umask(0);
	if (strcmp(argv[1], "make") == 0) {
		fd = open(at("a"), O_CREAT | O_WRONLY | O_EXCL, 0755);
		say("creat-a", fd);
		close(fd);
		say("chmod-a", chmod(at("a"), 04755));
		fd = open(at("b"), O_CREAT | O_WRONLY | O_EXCL, 06755);
		say("creat-b", fd);
		say("write-b", write(fd, "#!/bin/sh\n", 10));      /* by root: kept */
		close(fd);
		fd = open(at("c"), O_CREAT | O_RDWR | O_EXCL, 0644);
		say("creat-c", fd);
		say("fchmod-c", fchmod(fd, 02711));
		close(fd);
		fd = open(at("d"), O_CREAT | O_WRONLY | O_EXCL, 0600);
		close(fd);
		say("fchmodat-d", fchmodat(AT_FDCWD, at("d"), 06700, 0));
		say("mkdir-sg", mkdir(at("sg"), 0755));
		say("chmod-sg", chmod(at("sg"), 02775));
		say("mkfifo", mkfifo(at("fifo"), 04644));
		say("mknod-cdev", mknod(at("cdev"), S_IFCHR | 0666, makedev(1, 3)));
		say("mknod-bdev", mknod(at("bdev"), S_IFBLK | 0666, makedev(8, 0)));
	} else if (strcmp(argv[1], "show") != 0) {
		fprintf(stderr, "hostsuid: %s?\n", argv[1]);
		return 2;
	}
	show();
	printf("done\n");
	return 0;
}
