/* issue 14: shared file mappings, coherent with read/write both ways,
 * written back on msync/munmap/exit, shared over fork; mmap's EACCES
 * cases; msync's errors; mlock family; fsync of a pipe.
 * Prints one line per check, "ok ..." or "FAIL ...", then "done N".
 * Usage: posix_mmap DIR (a writable directory). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

static int fails;

static void
check(int cond, const char *what)
{
    printf("%s %s\n", cond ? "ok" : "FAIL", what);
    if (!cond)
        fails++;
}

static void
check_err(int r, int want, const char *what)
{
    char buf[160];
    snprintf(buf, sizeof buf, "%s (r=%d errno=%d want %d)", what, r, r < 0 ? errno : 0, want);
    check(r == -1 && errno == want, buf);
}

int
main(int argc, char **argv)
{
    char path[256], buf[64];
    const char *dir = argc > 1 ? argv[1] : "/tmp";
    long pg = sysconf(_SC_PAGESIZE);
    int fd, r, st;
    char *p;

    if (argc > 2 && strcmp(argv[2], "keep") == 0) {
        /* DIR/keep: 3 pages of 'a', "HOST" stored at 4097 through a shared
         * mapping, then exit without msync or munmap: exit writes it back */
        snprintf(path, sizeof path, "%s/keep", dir);
        fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
        memset(buf, 'a', sizeof buf);
        for (int i = 0; i < 3 * pg / (int)sizeof buf; i++)
            write(fd, buf, sizeof buf);
        p = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED)
            return 1;
        close(fd);
        memcpy(p + 4097, "HOST", 4);
        return 0;
    }
    if (argc > 2 && strcmp(argv[2], "big") == 0) {
        /* a shared mapping larger than the buffer cache: every page written
         * through it, then read back with pread and through the mapping */
        long n = 6L << 20, bad = 0;
        snprintf(path, sizeof path, "%s/big", dir);
        fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
        ftruncate(fd, n);
        p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        check(p != MAP_FAILED, "mmap 6 MiB MAP_SHARED");
        if (p == MAP_FAILED)
            return 1;
        for (long off = 0; off < n; off += pg)
            memcpy(p + off + 7, &off, sizeof off);
        for (long off = 0; off < n; off += pg) {
            long got = -1;
            pread(fd, &got, sizeof got, off + 7);
            bad += got != off;
        }
        check(bad == 0, "read(2) sees every page stored through the mapping");
        bad = 0;
        for (long off = 0; off < n; off += pg) {
            long got;
            memcpy(&got, p + off + 7, sizeof got);
            bad += got != off;
        }
        check(bad == 0, "the mapping still holds every page");
        check(munmap(p, n) == 0, "munmap");
        close(fd);
        unlink(path);
        printf("done %d\n", fails);
        return fails != 0;
    }
    snprintf(path, sizeof path, "%s/mmapfile", dir);
    unlink(path);
    fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    check(fd >= 0, "open rw");
    memset(buf, 'a', sizeof buf);
    for (int i = 0; i < 3 * pg / (int)sizeof buf; i++)
        write(fd, buf, sizeof buf);                     /* 3 pages of 'a' */

    p = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    check(p != MAP_FAILED, "mmap MAP_SHARED PROT_WRITE of a regular file");
    if (p == MAP_FAILED)
        return 1;
    check(p[0] == 'a' && p[3 * pg - 1] == 'a', "mapping shows the file");

    /* store through the mapping -> read(2) sees it at once */
    memcpy(p + 10, "MAPPED", 6);
    memset(buf, 0, sizeof buf);
    pread(fd, buf, 6, 10);
    check(memcmp(buf, "MAPPED", 6) == 0, "read sees a store through the mapping");

    /* write(2) -> the mapping sees it at once */
    pwrite(fd, "WRITTEN", 7, pg + 5);
    check(memcmp(p + pg + 5, "WRITTEN", 7) == 0, "mapping sees write(2)");

    /* msync and its errors */
    check(msync(p, 3 * pg, MS_SYNC) == 0, "msync MS_SYNC");
    check(msync(p, pg, MS_ASYNC) == 0, "msync MS_ASYNC");
    check(msync(p, pg, MS_INVALIDATE) == 0, "msync MS_INVALIDATE");
    check_err(msync(p, pg, MS_SYNC | MS_ASYNC), EINVAL, "msync MS_SYNC|MS_ASYNC");
    check_err(msync(p + 1, pg, MS_SYNC), EINVAL, "msync unaligned address");
    check_err(msync(p, pg, 0x100), EINVAL, "msync unknown flag");

    /* fork shares the mapping: the child's store is the parent's */
    if (fork() == 0) {
        memcpy(p + 2 * pg, "CHILD", 5);
        _exit(0);
    }
    wait(&st);
    check(memcmp(p + 2 * pg, "CHILD", 5) == 0, "fork: the child's store shows in the parent");

    /* munmap writes back; a fresh open sees everything */
    check(munmap(p, 3 * pg) == 0, "munmap");
    check_err(msync(p, pg, MS_SYNC), ENOMEM, "msync of an unmapped range");
    close(fd);
    fd = open(path, O_RDONLY);
    memset(buf, 0, sizeof buf);
    read(fd, buf, 16);
    check(memcmp(buf + 10, "MAPPED", 6) == 0, "the file keeps the store after munmap");
    lseek(fd, 2 * pg, SEEK_SET);
    read(fd, buf, 5);
    check(memcmp(buf, "CHILD", 5) == 0, "the file keeps the child's store");

    /* EACCES: a read-only descriptor cannot be mapped shared for writing */
    errno = 0;
    p = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    check(p == MAP_FAILED && errno == EACCES, "PROT_WRITE MAP_SHARED of a read-only fd: EACCES");
    p = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    check(p != MAP_FAILED, "PROT_WRITE MAP_PRIVATE of a read-only fd is fine");
    if (p != MAP_FAILED)
        munmap(p, pg);
    p = mmap(NULL, pg, PROT_READ, MAP_SHARED, fd, 0);
    check(p != MAP_FAILED, "PROT_READ MAP_SHARED of a read-only fd");
    if (p != MAP_FAILED) {
        errno = 0;
        r = mprotect(p, pg, PROT_READ | PROT_WRITE);
        check(r == -1 && errno == EACCES, "mprotect PROT_WRITE of it: EACCES");
        munmap(p, pg);
    }
    close(fd);
    fd = open(path, O_WRONLY);
    errno = 0;
    p = mmap(NULL, pg, PROT_READ, MAP_PRIVATE, fd, 0);
    check(p == MAP_FAILED && errno == EACCES, "PROT_READ MAP_PRIVATE of a write-only fd: EACCES");
    errno = 0;
    p = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    check(p == MAP_FAILED && errno == EACCES, "PROT_READ MAP_SHARED of a write-only fd: EACCES");
    p = mmap(NULL, pg, PROT_WRITE, MAP_SHARED, fd, 0);
    check(p != MAP_FAILED, "PROT_WRITE MAP_SHARED of a write-only fd is fine (mmap(2))");
    if (p != MAP_FAILED)
        munmap(p, pg);
    close(fd);
    check_err((int)(long)mmap(NULL, pg, PROT_READ, MAP_SHARED, fd, 0), EBADF,
              "mmap of a closed descriptor");

    /* a store in a MAP_SHARED mapping reaches the file when the process exits */
    fd = open(path, O_RDWR);
    if (fork() == 0) {
        char *q = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (q == MAP_FAILED)
            _exit(2);
        memcpy(q + 100, "ATEXIT", 6);
        _exit(0);
    }
    wait(&st);
    close(fd);
    fd = open(path, O_RDONLY);
    memset(buf, 0, sizeof buf);
    pread(fd, buf, 6, 100);
    check(WIFEXITED(st) && WEXITSTATUS(st) == 0 && memcmp(buf, "ATEXIT", 6) == 0,
          "exit writes the mapping back");
    close(fd);

    /* mlock family */
    p = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_ANON | MAP_PRIVATE, -1, 0);
    check(mlock(p, 2 * pg) == 0, "mlock");
    check(munlock(p, 2 * pg) == 0, "munlock");
    check(mlock(p + 1, 10) == 0, "mlock of an unaligned address (rounded down)");
    munmap(p + 2 * pg, 2 * pg);
    check_err(mlock(p + pg, 2 * pg), ENOMEM, "mlock of a range with an unmapped page");
    check_err(mlockall(0), EINVAL, "mlockall(0)");
    check_err(mlockall(8), EINVAL, "mlockall(unknown flag)");
    check(mlockall(MCL_CURRENT | MCL_FUTURE) == 0, "mlockall(MCL_CURRENT|MCL_FUTURE)");
    check_err(msync(p, pg, MS_INVALIDATE), EBUSY, "msync MS_INVALIDATE of locked pages");
    check(munlockall() == 0, "munlockall");
    munmap(p, 2 * pg);

    /* fsync of a pipe */
    {
        int pfd[2];
        pipe(pfd);
        check_err(fsync(pfd[0]), EINVAL, "fsync of a pipe");
        close(pfd[0]);
        close(pfd[1]);
    }
    unlink(path);
    printf("done %d\n", fails);
    return fails != 0;
}
