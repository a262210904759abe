/* Conformance fixes found by the Open POSIX Test Suite (tools/posix_suite.py),
 * each checked against NetBSD's documented behaviour: one "ok ..." or
 * "FAIL ..." line per check and "done N" (N failures) at the end.
 * tests/test_nbsd_posix_fix.py runs it as a user process and as a kernelware. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

static int fails;

static void
check(int cond, const char *what)
{
    printf("%s %s\n", cond ? "ok" : "FAIL", what);
    if (!cond)
        fails++;
}

/* -- pthread_spin_unlock: NetBSD keeps no owner ------------------------------ */

static pthread_spinlock_t spin;
static volatile int spin_stage;

static void *
spin_holder(void *arg)
{
    (void)arg;
    pthread_spin_lock(&spin);
    spin_stage = 1;
    while (spin_stage == 1)
        sched_yield();
    return NULL;
}

static void
test_spin_unlock(void)
{
    pthread_t t;

    check(pthread_spin_init(&spin, PTHREAD_PROCESS_PRIVATE) == 0, "spin: init");
    pthread_create(&t, NULL, spin_holder, NULL);
    while (spin_stage == 0)
        sched_yield();
    /* held by the other thread: NetBSD releases it and answers 0 */
    check(pthread_spin_trylock(&spin) == EBUSY, "spin: held by another thread, trylock EBUSY");
    check(pthread_spin_unlock(&spin) == 0, "spin: unlock of another thread's lock is 0");
    check(pthread_spin_trylock(&spin) == 0, "spin: ... and released it (trylock 0)");
    check(pthread_spin_unlock(&spin) == 0, "spin: unlock own 0");
    check(pthread_spin_unlock(&spin) == 0, "spin: unlock of an unlocked lock is 0");
    spin_stage = 2;
    pthread_join(t, NULL);
    check(pthread_spin_destroy(&spin) == 0, "spin: destroy 0");
    check(pthread_spin_unlock(&spin) == EINVAL, "spin: unlock destroyed EINVAL");
}

/* -- a fault on a MAP_SHARED file page marks the file (genfs_getpages) -------- */

static void
test_mmap_times(void)
{
    const char *path = "/tmp/posix_fix_mmap";
    char buf[8192];
    struct stat s0, s1, s2, s3;
    volatile char *pa;
    int fd;

    memset(buf, 'a', sizeof buf);
    unlink(path);
    fd = open(path, O_CREAT | O_RDWR | O_EXCL, 0600);
    check(fd >= 0 && write(fd, buf, sizeof buf) == (ssize_t)sizeof buf, "mmap: file of two pages");
    fstat(fd, &s0);
    sleep(1);
    pa = mmap(NULL, sizeof buf, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    check(pa != MAP_FAILED, "mmap: MAP_SHARED");
    fstat(fd, &s1);
    check(s1.st_atime == s0.st_atime && s1.st_mtime == s0.st_mtime,
          "mmap: mapping alone changes no time");
    sleep(1);
    check(pa[0] == 'a', "mmap: read through the mapping");
    fstat(fd, &s2);
    check(s2.st_atime > s1.st_atime, "mmap: the read fault marks st_atime");
    check(s2.st_mtime == s0.st_mtime && s2.st_ctime == s0.st_ctime,
          "mmap: ... and not st_mtime/st_ctime");
    sleep(1);
    pa[4096] = 'b';
    fstat(fd, &s3);
    check(s3.st_mtime > s2.st_mtime && s3.st_ctime > s2.st_ctime && s3.st_atime > s2.st_atime,
          "mmap: the write fault on another page marks st_mtime, st_ctime and st_atime");
    munmap((void *)pa, sizeof buf);
    sleep(1);
    check(pread(fd, buf, 1, 4096) == 1 && buf[0] == 'b', "mmap: the store reached the file");
    fstat(fd, &s2);
    check(s2.st_atime > s3.st_atime && s2.st_mtime == s3.st_mtime,
          "read: a read of cached blocks marks st_atime (only)");
    sleep(1);
    check(pread(fd, buf, 0, 0) == 0, "read: zero bytes");
    fstat(fd, &s1);
    check(s1.st_atime == s2.st_atime, "read: ... a read of zero bytes marks nothing");
    close(fd);
    unlink(path);
}

/* -- each sem_open is matched by its own sem_close ---------------------------- */

static void
test_sem_open_close(void)
{
    const char *name = "/pfix_sem";
    sem_t *a, *b, *c;
    int v = -1;

    sem_unlink(name);
    a = sem_open(name, O_CREAT, 0600, 1);
    b = sem_open(name, O_CREAT, 0600, 1);
    check(a != SEM_FAILED && a == b, "sem: a second sem_open of the name gives the same sem_t");
    check(sem_close(a) == 0, "sem: the first sem_close 0");
    check(sem_post(b) == 0 && sem_getvalue(b, &v) == 0 && v == 2,
          "sem: ... the other sem_open's handle still works (post, getvalue 2)");
    c = sem_open(name, 0);
    check(c == b, "sem: reopened while open: the same sem_t again");
    check(sem_close(b) == 0 && sem_close(c) == 0, "sem: both closes 0");
    errno = 0;
    check(sem_close(c) == -1 && errno == EINVAL, "sem: a close past the last open EINVAL");
    c = sem_open(name, 0);
    check(c != SEM_FAILED && sem_getvalue(c, &v) == 0 && v == 2,
          "sem: the named semaphore outlives its closes (value 2)");
    check(sem_unlink(name) == 0 && sem_close(c) == 0, "sem: unlink, close");
}

/* -- mmap lengths above 2 GiB: ENOMEM when no range holds them ---------------- */

static void
test_mmap_big(void)
{
    char path[] = "/tmp/posix_fix_bigXXXXXX";
    void *pa;
    int fd;

    errno = 0;
    pa = mmap(NULL, 0xc0000000u, PROT_READ, MAP_ANON | MAP_PRIVATE, -1, 0);
    check(pa == MAP_FAILED && errno == ENOMEM, "mmap: 3 GiB has no room: ENOMEM");
    errno = 0;
    pa = mmap(NULL, 0xffffffffu, PROT_READ, MAP_ANON | MAP_PRIVATE, -1, 0);
    check(pa == MAP_FAILED && errno == ENOMEM, "mmap: a length that wraps when rounded: ENOMEM");
    pa = mmap(NULL, 0x80001000u, PROT_NONE, MAP_ANON | MAP_PRIVATE, -1, 0);
    check(pa != MAP_FAILED && munmap(pa, 0x80001000u) == 0,
          "mmap: a 2 GiB + 4 KiB PROT_NONE reservation fits");
    fd = mkstemp(path);
    unlink(path);
    errno = 0;
    pa = mmap(NULL, 0xfffff000u, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)0xfffff000u);
    check(fd >= 0 && pa == MAP_FAILED && errno == ENOMEM,
          "mmap: offset + length past 4 GiB is no wrap in off_t: ENOMEM, not EOVERFLOW");
    close(fd);
}

int
main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    test_spin_unlock();
    test_mmap_times();
    test_sem_open_close();
    test_mmap_big();
    printf("done %d\n", fails);
    return fails != 0;
}
