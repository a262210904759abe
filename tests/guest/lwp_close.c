/*
 * close(2) of a descriptor another LWP is blocked in (NetBSD fd_close: the
 * descriptor's other users are restarted -- fo_restart -- and close waits
 * for them to leave; the restarted call finds the descriptor gone: EBADF;
 * a write that had already moved some bytes returns that count, as
 * dofilewrite does for ERESTART after a partial transfer).
 *
 *   write  a blocking write(2) of 100 bytes to a full pipe, then close of
 *          the write end from main: the writer gets -1/EBADF
 *   read   a blocking read(2) of an empty pipe, then close of the read end:
 *          -1/EBADF
 *   part   a write of more than the pipe holds to an empty pipe (it moves
 *          what fits and sleeps), then close: the count moved so far
 *   reuse  as write, but a new pipe's write end takes the closed
 *          descriptor's number (dup2) before the writer runs again: the
 *          writer still gets EBADF and nothing reaches the new pipe
 *   eof    a blocking read of an empty pipe, then close of the write end:
 *          0 (end of file), the reader's descriptor untouched
 * Prints one line per case; exit status 0 when every case went as above.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int fd;
static size_t len;
static char *buf;
static volatile int started;
static long ret;
static int err;

static void *writer(void *a)
{
	(void)a;
	started = 1;
	ret = write(fd, buf, len);
	err = ret < 0 ? errno : 0;
	return NULL;
}

static void *reader(void *a)
{
	(void)a;
	started = 1;
	ret = read(fd, buf, len);
	err = ret < 0 ? errno : 0;
	return NULL;
}

static void nap(void)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };	/* the other LWP sleeps */

	nanosleep(&ts, NULL);
}

/* fill the pipe's buffer: bytes written before EAGAIN */
static long fill(int w)
{
	char junk[512];
	long total = 0, k;
	int fl = fcntl(w, F_GETFL);

	memset(junk, 'j', sizeof(junk));
	fcntl(w, F_SETFL, fl | O_NONBLOCK);
	while ((k = write(w, junk, sizeof(junk))) > 0)
		total += k;
	fcntl(w, F_SETFL, fl);
	return total;
}

static int one(const char *name, void *(*fn)(void *), int which, size_t n, int prefill,
	       int reuse)
{
	pthread_t t;
	int p[2], q[2] = { -1, -1 }, rc, ok;
	long cap = 0, left = 0;
	char c;

	if (pipe(p) < 0) {
		perror("pipe");
		return 0;
	}
	if (prefill)
		cap = fill(p[1]);
	fd = p[which];
	len = n;
	started = 0;
	ret = -2;
	err = 0;
	if ((rc = pthread_create(&t, NULL, fn, NULL)) != 0) {
		printf("%s: pthread_create %d\n", name, rc);
		return 0;
	}
	while (!started)
		nap();
	nap();				/* now blocked in the kernel */
	if (reuse && pipe(q) < 0)
		perror("pipe");
	rc = close(fd);
	if (reuse && dup2(q[1], fd) == fd) {
		/* the number now names a fresh pipe's write end, before the
		 * writer runs again */
		close(q[1]);
		q[1] = fd;
	}
	pthread_join(t, NULL);
	printf("%s: close %d, call returned %ld errno %d%s\n", name, rc, ret, err,
	       reuse ? (q[0] == fd || q[1] == fd ? " (number reused)" : " (not reused)") : "");
	if (reuse) {
		int fl = fcntl(q[0], F_GETFL);

		fcntl(q[0], F_SETFL, fl | O_NONBLOCK);
		left = read(q[0], &c, 1);
		printf("%s: new pipe read %ld errno %d\n", name, left, left < 0 ? errno : 0);
		close(q[0]);
		close(q[1]);
	}
	close(p[which ^ 1]);
	if (rc != 0)
		return 0;
	if (!strcmp(name, "part"))
		ok = ret > 0 && (size_t)ret < n && err == 0;
	else
		ok = ret == -1 && err == EBADF;
	if (reuse)
		ok = ok && left == -1 && errno == EAGAIN;
	(void)cap;
	return ok;
}

/* a reader of an empty pipe while main closes the other end: EOF (0),
 * not EBADF -- its own descriptor stays open */
static int eof_case(void)
{
	pthread_t t;
	int p[2];

	if (pipe(p) < 0)
		return 0;
	fd = p[0];
	len = 100;
	started = 0;
	ret = -2;
	err = 0;
	pthread_create(&t, NULL, reader, NULL);
	while (!started)
		nap();
	nap();
	close(p[1]);
	pthread_join(t, NULL);
	printf("eof: call returned %ld errno %d\n", ret, err);
	close(p[0]);
	return ret == 0 && err == 0;
}

int main(void)
{
	int ok = 1;

	buf = calloc(1, 256 * 1024);
	setvbuf(stdout, NULL, _IONBF, 0);
	ok &= one("write", writer, 1, 100, 1, 0);
	ok &= one("read", reader, 0, 100, 0, 0);
	ok &= one("part", writer, 1, 256 * 1024, 0, 0);
	ok &= one("reuse", writer, 1, 100, 1, 1);
	ok &= eof_case();
	printf("%s\n", ok ? "ok" : "FAILED");
	return ok ? 0 : 1;
}
