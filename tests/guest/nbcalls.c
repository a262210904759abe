/* mincore, mremap, uuidgen, settimeofday, adjtime, posix_fallocate,
 * fdiscard and utrace as NetBSD 10 answers them (tests/test_nbsd_nbcalls.py).
 * One "ok NAME" or "FAIL NAME: why" line per check, then "done N".
 * With the argument "utrace" it only makes utrace calls and prints their
 * results (the test runs it under --strace). */
#include <sys/types.h>
#include <sys/extattr.h>
#include <sys/ktrace.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/uuid.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PG 4096

int syscall(int, ...);                  /* libc/i386/syscall.S */

static int failures;

static void
check(int cond, const char *name, const char *fmt, long a, long b)
{
    if (cond) {
        printf("ok %s\n", name);
    } else {
        printf("FAIL %s: ", name);
        printf(fmt, a, b);
        printf("\n");
        failures++;
    }
    fflush(stdout);
}

static long long
realtime_us(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (long long)tv.tv_sec * 1000000 + tv.tv_usec;
}

static long long
mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
test_mincore(void)
{
    char vec[8];
    char *a = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANON, -1, 0);
    int r;

    a[0] = 1;
    a[2 * PG] = 1;
    memset(vec, 9, sizeof vec);
    r = mincore(a, 4 * PG, vec);
    check(r == 0 && vec[0] == 1 && vec[1] == 0 && vec[2] == 1 && vec[3] == 0 && vec[4] == 9,
          "mincore", "r %ld vec1 %ld", r, vec[1]);
    r = mincore(a, 3 * PG + 1, vec);    /* the length is rounded up to pages */
    check(r == 0 && vec[3] == 0, "mincore-round", "r %ld %ld", r, 0);
    check(mincore(a + 1, PG, vec) < 0 && errno == EINVAL, "mincore-unaligned", "errno %ld %ld",
          errno, 0);
    check(mincore(a, 0, vec) < 0 && errno == EINVAL, "mincore-zero", "errno %ld %ld", errno, 0);
    check(mincore(a, 4 * PG, (char *)8) < 0 && errno == EFAULT, "mincore-efault",
          "errno %ld %ld", errno, 0);
    munmap(a + PG, PG);
    check(mincore(a, 4 * PG, vec) < 0 && errno == ENOMEM, "mincore-hole", "errno %ld %ld",
          errno, 0);
    check(mincore((void *)0x1000, PG, vec) < 0 && errno == ENOMEM, "mincore-unmapped",
          "errno %ld %ld", errno, 0);
    check(mincore((void *)0x1000, PG, (char *)8) < 0 && errno == EFAULT,
          "mincore-efault-first", "errno %ld %ld", errno, 0);
    munmap(a, 4 * PG);
    /* a shared file mapping: the file's pages in the page cache are resident
     * before this process touches them (the object's layer) */
    {
        int fd = open("/tmp/nbc.mincore", O_RDWR | O_CREAT | O_TRUNC, 0644);
        char buf[PG];
        memset(buf, 'm', sizeof buf);
        write(fd, buf, PG);
        a = mmap(NULL, 2 * PG, PROT_READ, MAP_SHARED, fd, 0);
        r = mincore(a, 2 * PG, vec);
        check(r == 0 && vec[0] == 1 && vec[1] == 0, "mincore-file", "vec %ld %ld", vec[0],
              vec[1]);
        munmap(a, 2 * PG);
        close(fd);
    }
}

static void
test_mremap(void)
{
    char *a, *b, *c, *d, vec[4];
    int fd, ok;

    a = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANON, -1, 0);
    munmap(a + PG, 3 * PG);             /* room to grow into */
    memset(a, 'a', PG);
    b = mremap(a, PG, NULL, 3 * PG, 0);
    check(b == a && b[0] == 'a' && b[PG - 1] == 'a' && b[2 * PG] == 0, "mremap-grow-in-place",
          "a %#lx b %#lx", (long)a, (long)b);
    b[2 * PG + 5] = 'x';
    b = mremap(a, 3 * PG, NULL, PG, 0);
    check(b == a && mincore(a + PG, PG, vec) < 0 && errno == ENOMEM, "mremap-shrink",
          "b %#lx errno %ld", (long)b, errno);
    b = mremap(a, PG, NULL, PG, 0);
    check(b == a, "mremap-same", "b %#lx %ld", (long)b, 0);

    /* moved with MAP_FIXED to a free place: the data goes along */
    c = mmap(NULL, 8 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANON, -1, 0);
    munmap(c, 8 * PG);
    b = mremap(a, PG, c + 2 * PG, 2 * PG, MAP_FIXED);
    check(b == c + 2 * PG && b[0] == 'a' && b[PG - 1] == 'a' && b[PG] == 0,
          "mremap-fixed-move", "b %#lx want %#lx", (long)b, (long)(c + 2 * PG));
    check(mincore(a, PG, vec) < 0 && errno == ENOMEM, "mremap-old-gone", "errno %ld %ld",
          errno, 0);
    /* MAP_FIXED onto a mapping: NetBSD never replaces one */
    d = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANON, -1, 0);
    check(mremap(d, PG, b, PG, MAP_FIXED) == MAP_FAILED && errno == ENOMEM,
          "mremap-fixed-busy", "errno %ld %ld", errno, 0);
    /* a move to wherever mmap would put it, when the space after is taken */
    memset(d, 'd', PG);
    c = mmap(d + PG, PG, PROT_READ, MAP_PRIVATE | MAP_ANON | MAP_FIXED, -1, 0);
    a = mremap(d, PG, NULL, 4 * PG, 0);
    check(a != MAP_FAILED && a != d && a[0] == 'd' && a[3 * PG] == 0, "mremap-move",
          "a %#lx d %#lx", (long)a, (long)d);
    munmap(c, PG);
    /* duplicated: one memory at two addresses */
    d = mremap(a, PG, NULL, PG, MAP_REMAPDUP);
    ok = d != MAP_FAILED && d != a && d[0] == 'd';
    a[10] = 'Z';
    check(ok && d[10] == 'Z', "mremap-dup", "d %#lx a %#lx", (long)d, (long)a);
    d[11] = 'Y';
    check(a[11] == 'Y', "mremap-dup-both-ways", "%ld %ld", a[11], 0);
    /* alignment */
    c = mremap(b, PG, NULL, PG, MAP_ALIGNED(20));
    check(c != MAP_FAILED && ((uintptr_t)c & 0xfffff) == 0 && c[0] == 'a', "mremap-aligned",
          "c %#lx %ld", (long)c, 0);
    check(mremap(c, PG, c + 0x1000, PG, MAP_FIXED | MAP_ALIGNED(20)) == MAP_FAILED &&
          errno == EINVAL, "mremap-aligned-fixed", "errno %ld %ld", errno, 0);
    check(mremap(c, PG, NULL, PG, MAP_ALIGNED(8)) == MAP_FAILED && errno == EINVAL,
          "mremap-align-small", "errno %ld %ld", errno, 0);
    /* arguments */
    check(mremap(c, PG, NULL, PG, MAP_SHARED) == MAP_FAILED && errno == EINVAL,
          "mremap-flags", "errno %ld %ld", errno, 0);
    check(mremap(c + 1, PG, NULL, PG, 0) == MAP_FAILED && errno == EINVAL,
          "mremap-unaligned", "errno %ld %ld", errno, 0);
    check(mremap(c, 0, NULL, PG, 0) == MAP_FAILED && errno == EINVAL, "mremap-zero",
          "errno %ld %ld", errno, 0);

    /* a shared file mapping moved keeps the file behind it */
    fd = open("/tmp/nbc.map", O_RDWR | O_CREAT | O_TRUNC, 0644);
    ftruncate(fd, 2 * PG);
    a = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    a[0] = 'S';
    c = mmap(a + PG, PG, PROT_READ, MAP_PRIVATE | MAP_ANON | MAP_FIXED, -1, 0);
    b = mremap(a, PG, NULL, 2 * PG, 0);
    ok = b != MAP_FAILED && b[0] == 'S';
    if (ok) {
        char ch = 0;
        b[1] = 'T';
        pread(fd, &ch, 1, 1);
        ok = ch == 'T';
    }
    check(ok, "mremap-shared-file", "b %#lx %ld", (long)b, 0);
    /* the growth continues the file (uvm_mapent_extend): its next page */
    pwrite(fd, "Q", 1, PG);
    check(b != MAP_FAILED && b[PG] == 'Q', "mremap-grow-file", "%ld %ld",
          b != MAP_FAILED ? b[PG] : -1, 0);
    /* a range whose last page is not mapped cannot grow in place */
    a = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANON, -1, 0);
    munmap(a + PG, 2 * PG);
    check(mremap(a, 2 * PG, NULL, 3 * PG, 0) == MAP_FAILED && errno == EINVAL,
          "mremap-grow-hole", "errno %ld %ld", errno, 0);
    /* the protection goes with the growth */
    c = mmap(NULL, PG, PROT_READ, MAP_PRIVATE | MAP_ANON, -1, 0);
    d = mremap(c, PG, NULL, 2 * PG, 0);
    {
        int st = 0;
        if (d != MAP_FAILED && d[PG] == 0) {
            pid_t pid = fork();
            if (pid == 0) {
                d[PG] = 1;              /* read-only as the page it continues */
                _exit(0);
            }
            waitpid(pid, &st, 0);
        }
        check(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV, "mremap-grow-prot",
              "status %#lx d %#lx", st, (long)d);
    }
    close(fd);
}

static void
test_uuidgen(void)
{
    struct uuid u[3];
    int i, r;

    check(uuidgen(u, 0) < 0 && errno == EINVAL, "uuidgen-zero", "errno %ld %ld", errno, 0);
    check(uuidgen(u, 2049) < 0 && errno == EINVAL, "uuidgen-2049", "errno %ld %ld", errno, 0);
    check(uuidgen((struct uuid *)8, 1) < 0 && errno == EFAULT, "uuidgen-efault",
          "errno %ld %ld", errno, 0);
    r = uuidgen(u, 3);
    check(r == 0, "uuidgen", "r %ld %ld", r, 0);
    for (i = 0; i < 3; i++) {
        /* version 4 (random), variant 10 (NetBSD's kern_uuid.c since 2014) */
        check((u[i].time_hi_and_version >> 12) == 4, "uuid-version", "%#lx %ld",
              u[i].time_hi_and_version, i);
        check((u[i].clock_seq_hi_and_reserved & 0xc0) == 0x80, "uuid-variant", "%#lx %ld",
              u[i].clock_seq_hi_and_reserved, i);
    }
    check(memcmp(&u[0], &u[1], 16) != 0 && memcmp(&u[1], &u[2], 16) != 0, "uuid-distinct",
          "%ld %ld", 0, 0);
}

static void
test_clock(void)
{
    struct timeval tv, old;
    long long r0, m0, r1, m1, d;
    pid_t pid;
    int st;

    /* settimeofday: the guest's clock, root only */
    tv.tv_sec = 1000000000;
    tv.tv_usec = 500000;
    check(settimeofday(&tv, NULL) == 0, "settimeofday", "errno %ld %ld", errno, 0);
    r0 = realtime_us();
    check(r0 >= 1000000000500000LL && r0 < 1000000001500000LL, "settimeofday-took",
          "now %ld %ld", (long)(r0 / 1000000), 0);
    tv.tv_usec = 1000000;
    check(settimeofday(&tv, NULL) < 0 && errno == EINVAL, "settimeofday-usec",
          "errno %ld %ld", errno, 0);
    check(settimeofday(NULL, NULL) == 0, "settimeofday-null", "errno %ld %ld", errno, 0);
    check(settimeofday((struct timeval *)8, NULL) < 0 && errno == EFAULT,
          "settimeofday-efault", "errno %ld %ld", errno, 0);

    /* adjtime: nothing pending, then 2 s slewed at 5000 us a second */
    check(adjtime(NULL, &old) == 0 && old.tv_sec == 0 && old.tv_usec == 0, "adjtime-none",
          "%ld %ld", old.tv_sec, old.tv_usec);
    tv.tv_sec = 2;
    tv.tv_usec = 0;
    r0 = realtime_us();
    m0 = mono_us();
    check(adjtime(&tv, NULL) == 0, "adjtime", "errno %ld %ld", errno, 0);
    sleep(2);
    r1 = realtime_us();
    m1 = mono_us();
    d = (r1 - r0) - (m1 - m0);          /* what the slew added */
    check(d >= 9000 && d <= 11000, "adjtime-slew", "added %ld us over %ld us", (long)d,
          (long)(m1 - m0));
    check(adjtime(NULL, &old) == 0 && old.tv_sec == 1 && old.tv_usec == 990000,
          "adjtime-olddelta", "%ld.%06ld", old.tv_sec, old.tv_usec);
    tv.tv_sec = -1;
    tv.tv_usec = 500000;                /* -0.5 s */
    check(adjtime(&tv, &old) == 0 && old.tv_sec == 1, "adjtime-replace", "%ld %ld",
          old.tv_sec, old.tv_usec);
    check(adjtime(NULL, &old) == 0 && old.tv_sec == -1 && old.tv_usec == 500000,
          "adjtime-negative", "%ld.%06ld", old.tv_sec, old.tv_usec);
    tv.tv_sec = 0;
    tv.tv_usec = 0;
    adjtime(&tv, NULL);
    check(adjtime(NULL, (struct timeval *)8) < 0 && errno == EFAULT, "adjtime-efault",
          "errno %ld %ld", errno, 0);

    /* the checks before the privilege: an unreasonable time is EINVAL */
    tv.tv_sec = -1;
    tv.tv_usec = 0;
    check(settimeofday(&tv, NULL) < 0 && errno == EINVAL, "settimeofday-negative",
          "errno %ld %ld", errno, 0);
    tv.tv_sec = (1LL << 36) + 1;
    check(settimeofday(&tv, NULL) < 0 && errno == EINVAL, "settimeofday-far",
          "errno %ld %ld", errno, 0);

    /* another user: EPERM to set, and adjtime even to read */
    pid = fork();
    if (pid == 0) {
        int e1, e2, e3, e4;
        setuid(1000);
        tv.tv_sec = 5;
        tv.tv_usec = 0;
        e1 = settimeofday(&tv, NULL) < 0 ? errno : 0;
        e2 = adjtime(&tv, NULL) < 0 ? errno : 0;
        e3 = adjtime(NULL, &old) < 0 ? errno : 0;
        tv.tv_sec = -1;
        e4 = settimeofday(&tv, NULL) < 0 ? errno : 0;     /* EINVAL before EPERM */
        _exit(e1 == EPERM && e2 == EPERM && e3 == EPERM && e4 == EINVAL ? 0 : 1);
    }
    waitpid(pid, &st, 0);
    check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "clock-eperm", "status %#lx %ld", st, 0);
}

static void
test_fallocate(void)
{
    int fd, p[2], r;

    fd = open("/tmp/nbc.falloc", O_RDWR | O_CREAT | O_TRUNC, 0644);
    errno = 0;
    r = posix_fallocate(fd, 0, 8192);
    check(r == EOPNOTSUPP && errno == 0, "fallocate-eopnotsupp", "r %ld errno %ld", r, errno);
    check(posix_fallocate(fd, -1, 10) == EINVAL, "fallocate-neg-pos", "%ld %ld", 0, 0);
    check(posix_fallocate(fd, 0, -1) == EINVAL, "fallocate-neg-len", "%ld %ld", 0, 0);
    check(posix_fallocate(fd, 0x7fffffffffffffffLL, 1) == EINVAL, "fallocate-overflow",
          "%ld %ld", 0, 0);
    check(fdiscard(fd, 0, 4096) < 0 && errno == EOPNOTSUPP, "fdiscard-eopnotsupp",
          "errno %ld %ld", errno, 0);
    check(fdiscard(fd, -1, 4096) < 0 && errno == EINVAL, "fdiscard-einval", "errno %ld %ld",
          errno, 0);
    close(fd);
    fd = open("/tmp/nbc.falloc", O_RDONLY);
    check(posix_fallocate(fd, 0, 1) == EBADF, "fallocate-rdonly", "%ld %ld", 0, 0);
    check(fdiscard(fd, 0, 1) < 0 && errno == EBADF, "fdiscard-rdonly", "errno %ld %ld",
          errno, 0);
    close(fd);
    check(posix_fallocate(fd, 0, 1) == EBADF, "fallocate-ebadf", "%ld %ld", 0, 0);
    pipe(p);
    check(posix_fallocate(p[1], 0, 1) == EINVAL, "fallocate-pipe", "%ld %ld", 0, 0);
    check(fdiscard(p[1], 0, 1) < 0 && errno == EINVAL, "fdiscard-pipe", "errno %ld %ld",
          errno, 0);
    close(p[0]);
    close(p[1]);
    fd = open("/dev/null", O_WRONLY);
    check(posix_fallocate(fd, 0, 1) == EOPNOTSUPP, "fallocate-dev", "%ld %ld", 0, 0);
    check(fdiscard(fd, 0, 1) < 0 && errno == ENODEV, "fdiscard-dev", "errno %ld %ld", errno,
          0);
    close(fd);
}

static void
test_xattr(void)
{
    char buf[64], longname[300];
    int fd, p[2];

    fd = open("/tmp/nbc.xattr", O_RDWR | O_CREAT | O_TRUNC, 0644);
    symlink("/no/such/target", "/tmp/nbc.xlink");
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    /* no guest file system keeps attributes: EOPNOTSUPP, ENOTSUP for *xattr */
    check(extattr_get_file("/tmp/nbc.xattr", EXTATTR_NAMESPACE_USER, "a", buf, sizeof buf) < 0
          && errno == EOPNOTSUPP, "extattr-get", "errno %ld %ld", errno, 0);
    check(extattr_set_fd(fd, EXTATTR_NAMESPACE_USER, "a", "v", 1) < 0 && errno == EOPNOTSUPP,
          "extattr-set-fd", "errno %ld %ld", errno, 0);
    check(extattr_list_file("/tmp", EXTATTR_NAMESPACE_SYSTEM, NULL, 0) < 0 &&
          errno == EOPNOTSUPP, "extattr-list-dir", "errno %ld %ld", errno, 0);
    check(extattr_delete_link("/tmp/nbc.xlink", EXTATTR_NAMESPACE_USER, "a") < 0 &&
          errno == EOPNOTSUPP, "extattr-link-nofollow", "errno %ld %ld", errno, 0);
    check(extattr_delete_file("/tmp/nbc.xlink", EXTATTR_NAMESPACE_USER, "a") < 0 &&
          errno == ENOENT, "extattr-file-follows", "errno %ld %ld", errno, 0);
    check(getxattr("/tmp/nbc.xattr", "user.a", buf, sizeof buf) < 0 && errno == ENOTSUP,
          "getxattr-enotsup", "errno %ld %ld", errno, 0);
    check(flistxattr(fd, buf, sizeof buf) < 0 && errno == ENOTSUP, "flistxattr-enotsup",
          "errno %ld %ld", errno, 0);
    check(setxattr("/tmp/nbc.xattr", "user.a", "v", 1, XATTR_CREATE) < 0 && errno == ENOTSUP,
          "setxattr-enotsup", "errno %ld %ld", errno, 0);
    check(removexattr("/tmp/nbc.xattr", "user.a") < 0 && errno == ENOTSUP,
          "removexattr-enotsup", "errno %ld %ld", errno, 0);
    /* what fails before the file system is asked */
    check(getxattr("/no/such", "user.a", buf, sizeof buf) < 0 && errno == ENOENT,
          "getxattr-enoent", "errno %ld %ld", errno, 0);
    check(getxattr("/tmp/nbc.xattr", longname, buf, sizeof buf) < 0 &&
          errno == ENAMETOOLONG, "getxattr-longname", "errno %ld %ld", errno, 0);
    check(extattr_get_fd(fd, EXTATTR_NAMESPACE_USER, (char *)8, buf, 1) < 0 &&
          errno == EFAULT, "extattr-efault", "errno %ld %ld", errno, 0);
    check(extattr_get_fd(fd, EXTATTR_NAMESPACE_USER, "a", buf, 0x80000000u) < 0 &&
          errno == EINVAL, "extattr-intmax", "errno %ld %ld", errno, 0);
    check(extattr_list_fd(99, EXTATTR_NAMESPACE_USER, NULL, 0) < 0 && errno == EBADF,
          "extattr-ebadf", "errno %ld %ld", errno, 0);
    pipe(p);
    check(fgetxattr(p[0], "user.a", buf, sizeof buf) < 0 && errno == EINVAL,
          "fgetxattr-pipe", "errno %ld %ld", errno, 0);
    close(p[0]);
    close(p[1]);
    close(fd);
}

/* vfork (66), 4.4BSD's: the parent waits, the memory is the child's own */
static void
test_vfork66(void)
{
    volatile int shared = 1;
    int st;
    pid_t pid = syscall(66);

    if (pid == 0) {
        shared = 2;
        _exit(7);
    }
    waitpid(pid, &st, 0);
    check(pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 7 && shared == 1, "vfork66",
          "pid %ld status %#lx", (long)pid, st);
}

/* "mremap SEED N": N random mremaps (grow, shrink, move, MAP_FIXED, dup,
 * aligned) over up to 8 private anonymous mappings, each page of which holds
 * its mapping's tag and page number; after every call the contents are
 * checked (moved data kept, growth zero, a duplicate one memory with its
 * source) and a moved-away range must be gone.  Prints "mremap-fuzz N bad B
 * moved M dups D". */
static unsigned int rng;

static unsigned int
rnd(unsigned int n)
{
    rng = rng * 1103515245u + 12345u;
    return (rng >> 8) % n;
}

struct m { char *a; size_t pages; int tag; };

static int
page_ok(const struct m *m, size_t i)
{
    return m->a[i * PG] == (char)m->tag && m->a[i * PG + 1] == (char)i &&
           m->a[i * PG + PG - 1] == (char)(m->tag ^ 0x5a);
}

static void
page_fill(struct m *m, size_t i)
{
    m->a[i * PG] = (char)m->tag;
    m->a[i * PG + 1] = (char)i;
    m->a[i * PG + PG - 1] = (char)(m->tag ^ 0x5a);
}

static int
mremap_fuzz(unsigned int seed, int n)
{
    struct m ms[8];
    int nm = 0, bad = 0, i, tag = 1, moved = 0, dups = 0;
    char vec[64];

    rng = seed;
    for (i = 0; i < n; i++) {
        int k, op = rnd(7);
        struct m *m;
        size_t np, j, keep;
        char *r, *old;

        if (nm < 2 || (nm < 8 && rnd(4) == 0)) {        /* a new mapping */
            m = &ms[nm];
            m->pages = 1 + rnd(6);
            m->a = mmap(NULL, m->pages * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANON,
                        -1, 0);
            if (m->a == MAP_FAILED) { bad++; continue; }
            m->tag = tag++;
            for (j = 0; j < m->pages; j++)
                page_fill(m, j);
            nm++;
            continue;
        }
        k = rnd(nm);
        m = &ms[k];
        np = 1 + rnd(8);
        old = m->a;
        if (op == 0) {                                   /* grow or shrink, may move */
            r = mremap(old, m->pages * PG, NULL, np * PG, 0);
        } else if (op == 1) {                            /* aligned */
            r = mremap(old, m->pages * PG, NULL, np * PG, MAP_ALIGNED(16 + rnd(4)));
            if (r != MAP_FAILED && ((uintptr_t)r & 0xffff))
                bad++;
        } else if (op == 2) {                            /* MAP_FIXED to a free place */
            char *hole = mmap(NULL, (np + 2) * PG, PROT_NONE, MAP_PRIVATE | MAP_ANON, -1, 0);
            munmap(hole, (np + 2) * PG);
            r = mremap(old, m->pages * PG, hole + PG, np * PG, MAP_FIXED);
            if (r != MAP_FAILED && r != hole + PG)
                bad++;
        } else if (op == 3) {                            /* MAP_FIXED onto another: refused */
            struct m *o = &ms[(k + 1) % nm];
            r = mremap(old, m->pages * PG, o->a, m->pages * PG, MAP_FIXED);
            if (r != MAP_FAILED || errno != ENOMEM)
                bad++;
            r = MAP_FAILED;
        } else if (op == 4 && nm < 8) {                  /* a duplicate: one memory */
            struct m *d = &ms[nm];
            r = mremap(old, m->pages * PG, NULL, m->pages * PG, MAP_REMAPDUP);
            if (r == MAP_FAILED) { bad++; continue; }
            d->a = r;
            dups++;
            d->pages = m->pages;
            d->tag = m->tag;
            for (j = 0; j < m->pages; j++)
                if (!page_ok(d, j))
                    bad++;
            m->tag = d->tag = tag++;                     /* written through one ... */
            for (j = 0; j < m->pages; j++)
                page_fill(m, j);
            for (j = 0; j < d->pages; j++)               /* ... seen through the other */
                if (!page_ok(d, j))
                    bad++;
            /* then each its own again (so later moves stay checkable) */
            munmap(d->a, d->pages * PG);
            continue;
        } else {                                         /* shrink in place */
            np = m->pages > 1 ? 1 + rnd(m->pages - 1) : 1;
            r = mremap(old, m->pages * PG, NULL, np * PG, 0);
            if (r != MAP_FAILED && r != old)
                bad++;
        }
        if (r == MAP_FAILED)
            continue;
        keep = np < m->pages ? np : m->pages;
        m->a = r;
        for (j = 0; j < keep; j++)
            if (!page_ok(m, j))
                bad++;
        for (j = keep; j < np; j++) {
            if (m->a[j * PG] != 0 || m->a[j * PG + PG - 1] != 0)
                bad++;
            page_fill(m, j);
        }
        moved += r != old;
        if (r != old && mincore(old, PG, vec) == 0 &&
            !(old >= r && old < r + np * PG))
            bad++;                                       /* the old place must be gone */
        m->pages = np;
    }
    for (i = 0; i < nm; i++)
        for (size_t j = 0; j < ms[i].pages; j++)
            if (!page_ok(&ms[i], j))
                bad++;
    printf("mremap-fuzz %d bad %d moved %d dups %d\n", n, bad, moved, dups);
    return bad != 0;
}

static void
do_utrace(void)
{
    char big[KTR_USER_MAXLEN + 1];
    int r1, e1, r2, e2, r3, e3;

    memset(big, 'b', sizeof big);
    r1 = utrace("kw86-test", "hello, trace", 12);
    e1 = r1 < 0 ? errno : 0;
    r2 = utrace("kw86-test", big, sizeof big);
    e2 = r2 < 0 ? errno : 0;
    r3 = utrace("kw86-test", (void *)8, 4);
    e3 = r3 < 0 ? errno : 0;
    utrace((const char *)8, "x", 1);    /* a label it cannot read: recorded empty */
    utrace("a-label-of-twenty-chars", "y", 1);
    printf("utrace %d %d %d %d %d %d\n", r1, e1, r2, e2, r3, e3);
}

int
main(int argc, char **argv)
{
    if (argc > 3 && strcmp(argv[1], "mremap") == 0)
        return mremap_fuzz((unsigned int)strtoul(argv[2], NULL, 0), atoi(argv[3]));
    if (argc > 1 && strcmp(argv[1], "utrace") == 0) {
        do_utrace();
        return 0;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    test_mincore();
    test_mremap();
    test_uuidgen();
    test_clock();
    test_fallocate();
    test_xattr();
    test_vfork66();
    printf("done %d\n", failures);
    return failures != 0;
}
