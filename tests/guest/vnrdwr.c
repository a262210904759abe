/*
 * vnrdwr -- tests/test_nbsd_hostsuid.py: a kernelware's vn_rdwr (<sys/kapi.h>,
 * dynamic resolution) on a large sparse file FILE, with a buffer of MB MiB
 * (mmap'd, followed by an unmapped page):
 *
 *   vnrdwr FILE MB
 *
 * prints one line per call, "NAME RV RESID [detail]":
 *   big-read     read of 0x7ffff000 bytes at offset 0 into the buffer: stops
 *                at its end (EFAULT, resid = the rest)
 *   tail-read    read of 2 MiB at FILE's last MiB: 1 MiB read, resid 1 MiB;
 *                detail: the last 8 bytes read
 *   big-write    write of 0x7ffff000 bytes at offset 4096 from the buffer
 *                (FILE open read-write): EFAULT, resid = the rest
 *   ok-read      read of the buffer's size at offset 4096: 0, resid 0;
 *                detail: the bytes matched what was written ("same")
 * then "done".  Exit status 0 unless the program itself went wrong.
 */
#define KAPI_DYNAMIC
#include <kernelware.h>
#include <sys/kapi.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
line(const char *name, int rv, size_t resid, const char *detail)
{
	printf("%s %d %lu%s%s\n", name, rv, (unsigned long)resid, detail ? " " : "",
	    detail ? detail : "");
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	struct file *fp;
	struct vnode *vp;
	struct stat st;
	size_t resid, len;
	char *buf, *chk, det[64];
	int fd, rv, i;

	if (argc != 3 || !in_kernel_mode()) {
		fprintf(stderr, "usage: vnrdwr FILE MB (as a kernelware)\n");
		return 2;
	}
	len = (size_t)atoi(argv[2]) << 20;
	fd = open(argv[1], O_RDWR);
	if (fd < 0 || fstat(fd, &st) < 0) {
		perror(argv[1]);
		return 1;
	}
	if (getvnode(curproc->p_fd, fd, &fp) != 0) {
		fprintf(stderr, "getvnode failed\n");
		return 1;
	}
	vp = fp->f_data;
	/* the buffer, then a page that is not mapped */
	buf = mmap(NULL, len + 4096, PROT_READ | PROT_WRITE, MAP_ANON | MAP_PRIVATE, -1, 0);
	if (buf == MAP_FAILED || munmap(buf + len, 4096) != 0) {
		perror("mmap");
		return 1;
	}

	resid = 1;
	rv = vn_rdwr(UIO_READ, vp, buf, 0x7ffff000, 0, UIO_USERSPACE, 0, NOCRED, &resid,
	    (struct proc *)curproc);
	line("big-read", rv, resid, NULL);

	resid = 1;
	rv = vn_rdwr(UIO_READ, vp, buf, 2 << 20, st.st_size - (1 << 20), UIO_USERSPACE, 0,
	    NOCRED, &resid, (struct proc *)curproc);
	memcpy(det, buf + (1 << 20) - 8, 8);
	det[8] = 0;
	line("tail-read", rv, resid, det);

	for (i = 0; i < (int)len; i++)
		buf[i] = (char)(i * 7 + 3);
	resid = 1;
	rv = vn_rdwr(UIO_WRITE, vp, buf, 0x7ffff000, 4096, UIO_USERSPACE, 0, NOCRED, &resid,
	    (struct proc *)curproc);
	line("big-write", rv, resid, NULL);

	chk = malloc(len);              /* read back what was written */
	if (chk == NULL) {
		perror("malloc");
		return 1;
	}
	resid = 1;
	rv = vn_rdwr(UIO_READ, vp, chk, len, 4096, UIO_USERSPACE, 0, NOCRED, &resid, (struct proc *)curproc);
	line("ok-read", rv, resid, memcmp(chk, buf, len) == 0 ? "same" : "differ");
	printf("done\n");
	return 0;
}
