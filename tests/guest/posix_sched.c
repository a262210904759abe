/* issue 14: <sched.h>, the System V signal calls, shm_open/shm_unlink,
 * clock_settime (root only), clock_nanosleep, sysconf's POSIX names,
 * getrusage/clock.  Prints "ok ..."/"FAIL ..." lines and "done N".
 * Run as root and as an ordinary user: the expectations follow geteuid(). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysctl.h>
#include <sys/wait.h>

static int fails;
static volatile int got;

static void
check(int cond, const char *what)
{
    printf("%s %s\n", cond ? "ok" : "FAIL", what);
    fflush(stdout);
    if (!cond)
        fails++;
}

static void
check_err(int r, int want, const char *what)
{
    char buf[200];
    snprintf(buf, sizeof buf, "%s (r=%d errno=%d want %d)", what, r, r < 0 ? errno : 0, want);
    check(r == -1 && errno == want, buf);
}

static void
on_usr1(int sig)
{
    (void)sig;
    got++;
}

int
main(void)
{
    int root = geteuid() == 0, r;
    struct sched_param sp;
    struct timespec ts, t0, t1, rem;
    sigset_t set;
    char name[64];

    printf("euid %d\n", (int)geteuid());

    /* -- sched -- */
    check(sched_get_priority_min(SCHED_FIFO) == 0 && sched_get_priority_max(SCHED_FIFO) == 63,
          "SCHED_FIFO priorities 0..63");
    check(sched_get_priority_min(SCHED_RR) == 0 && sched_get_priority_max(SCHED_RR) == 63,
          "SCHED_RR priorities 0..63");
    check(sched_get_priority_max(SCHED_OTHER) == -1, "SCHED_OTHER has no priorities (-1)");
    check_err(sched_get_priority_max(42), EINVAL, "sched_get_priority_max(42)");
    check_err(sched_get_priority_min(-7), EINVAL, "sched_get_priority_min(-7)");
    check(sched_getscheduler(0) == SCHED_OTHER, "sched_getscheduler(0) is SCHED_OTHER");
    check(sched_getscheduler(getpid()) == SCHED_OTHER, "sched_getscheduler(getpid())");
    check_err(sched_getscheduler(99999), ESRCH, "sched_getscheduler(no such pid)");
    check(sched_getparam(0, &sp) == 0 && sp.sched_priority == 0, "sched_getparam(0)");
    check_err(sched_getparam(99999, &sp), ESRCH, "sched_getparam(no such pid)");
    sp.sched_priority = 0;
    check_err(sched_setparam(0, &sp), EINVAL, "sched_setparam of a SCHED_OTHER process");
    sp.sched_priority = 64;
    check_err(sched_setscheduler(0, SCHED_FIFO, &sp), EINVAL, "priority 64 is out of range");
    sp.sched_priority = 10;
    check_err(sched_setscheduler(0, 5, &sp), EINVAL, "an unknown policy");
    r = sched_setscheduler(0, SCHED_RR, &sp);
    if (root) {
        check(r == SCHED_OTHER, "root: sched_setscheduler(SCHED_RR, 10) returns the old policy");
        check(sched_getscheduler(0) == SCHED_RR, "root: now SCHED_RR");
        check(sched_getparam(0, &sp) == 0 && sp.sched_priority == 10, "root: priority 10");
        sp.sched_priority = 5;
        check(sched_setparam(0, &sp) == 0 && sched_getparam(0, &sp) == 0 &&
              sp.sched_priority == 5, "root: sched_setparam keeps the class, sets 5");
        if (fork() == 0) {
            struct sched_param q;
            _exit(sched_getscheduler(0) == SCHED_RR && sched_getparam(0, &q) == 0 &&
                  q.sched_priority == 5 ? 0 : 1);
        }
        wait(&r);
        check(WIFEXITED(r) && WEXITSTATUS(r) == 0,
              "a fork child inherits the class and priority (SCHED_RR, 5)");
        {
            pid_t parent = getpid();
            if (fork() == 0) {
                struct sched_param q;
                setuid(1000);
                errno = 0;
                _exit(sched_getparam(parent, &q) == -1 && errno == EPERM ? 0 : 1);
            }
            wait(&r);
            check(WIFEXITED(r) && WEXITSTATUS(r) == 0,
                  "another user cannot read root's process's parameters: EPERM");
        }
        sp.sched_priority = 0;
        check(sched_setscheduler(0, SCHED_OTHER, &sp) == -1 && errno == EINVAL,
              "SCHED_OTHER with a priority: EINVAL");
    } else {
        check(r == -1 && errno == EPERM, "user: sched_setscheduler(SCHED_RR): EPERM");
        check_err(sched_setscheduler(1, SCHED_FIFO, &sp), root ? 0 : EPERM,
                  "user: another user's process: EPERM");
    }
    /* NetBSD: kern.sched.rtts is the quantum in milliseconds (hz/10 ticks:
     * 100), and its libc's sched_rr_get_interval multiplies sysconf's
     * value by 1000, so a program is told 100 us */
    check(sysconf(_SC_SCHED_RT_TS) == 100 && sysconf(_SC_SCHED_PRI_MIN) == 0 &&
          sysconf(_SC_SCHED_PRI_MAX) == 63, "sysconf: kern.sched.rtts 100, pri 0..63");
    check(sched_rr_get_interval(0, &ts) == 0 && ts.tv_sec == 0 && ts.tv_nsec == 100000,
          "sched_rr_get_interval: sysconf(_SC_SCHED_RT_TS) * 1000 ns");
    {
        int mib[CTL_MAXNAME], v = -1;
        size_t n = CTL_MAXNAME, len = sizeof(v);
        char name[16];

        check(sysctlnametomib("kern.sched.pri_max", mib, &n) == 0 && n == 3 &&
              mib[0] == CTL_KERN && sysctl(mib, 3, &v, &len, NULL, 0) == 0 && v == 63,
              "sysctlnametomib(kern.sched.pri_max): three numbers, 63");
        len = sizeof(name);
        check(sysctlbyname("kern.sched.name", name, &len, NULL, 0) == 0 &&
              strcmp(name, "4.4BSD") == 0, "sysctlbyname(kern.sched.name): 4.4BSD");
        n = CTL_MAXNAME;
        check(sysctlnametomib("kern.sched.nosuch", mib, &n) == -1 && errno == ENOENT,
              "sysctlnametomib(kern.sched.nosuch): ENOENT");
    }
    check_err(sched_rr_get_interval(99999, &ts), ESRCH, "sched_rr_get_interval(no such pid)");
    check(sched_yield() == 0, "sched_yield");

    /* -- sighold / sigrelse / sigignore / sigset -- */
    signal(SIGUSR1, on_usr1);
    check(sighold(SIGUSR1) == 0, "sighold");
    raise(SIGUSR1);
    sigpending(&set);
    check(got == 0 && sigismember(&set, SIGUSR1), "held SIGUSR1 stays pending");
    check(sigrelse(SIGUSR1) == 0 && got == 1, "sigrelse delivers it");
    check_err(sighold(0), EINVAL, "sighold(0)");
    check_err(sigrelse(NSIG + 3), EINVAL, "sigrelse(NSIG+3)");
    check(sigignore(SIGUSR1) == 0, "sigignore");
    raise(SIGUSR1);
    check(got == 1, "an ignored SIGUSR1 does nothing");
    check_err(sigignore(SIGKILL), EINVAL, "sigignore(SIGKILL)");
    check(sigset(SIGUSR1, on_usr1) == SIG_IGN, "sigset returns the old disposition (SIG_IGN)");
    check(sigset(SIGUSR1, SIG_HOLD) == on_usr1, "sigset(SIG_HOLD) returns the handler");
    raise(SIGUSR1);
    check(got == 1, "sigset(SIG_HOLD) blocks the signal");
    check(sigset(SIGUSR1, on_usr1) == SIG_HOLD && got == 2,
          "sigset(handler) on a held signal returns SIG_HOLD and unblocks it");
    check(sigset(SIGKILL, on_usr1) == SIG_ERR && errno == EINVAL, "sigset(SIGKILL): SIG_ERR/EINVAL");
    errno = 0;
    check(sigset(SIGUSR1, SIG_ERR) == SIG_ERR && errno == EINVAL, "sigset(SIG_ERR): EINVAL");
    check(sigset(SIGUSR2, SIG_HOLD) == SIG_DFL, "sigset(SIG_HOLD) of an unblocked signal: its disposition");
    sigrelse(SIGUSR2);

    /* -- shm_open / shm_unlink -- */
    snprintf(name, sizeof name, "/kw86shm%d", (int)getpid());
    {
        int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
        struct stat st;
        char *p, *q;
        check(fd >= 0, "shm_open(O_CREAT|O_EXCL)");
        check(fcntl(fd, F_GETFD) & FD_CLOEXEC, "shm_open's descriptor is close-on-exec");
        check(ftruncate(fd, 8192) == 0 && fstat(fd, &st) == 0 && st.st_size == 8192,
              "ftruncate a shared memory object");
        p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        check(p != MAP_FAILED, "mmap it MAP_SHARED");
        if (fork() == 0) {
            int cfd = shm_open(name, O_RDWR, 0);
            q = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, cfd, 0);
            if (q == MAP_FAILED)
                _exit(2);
            strcpy(q + 4096, "from the child");
            _exit(0);
        }
        wait(&r);
        check(p != MAP_FAILED && strcmp(p + 4096, "from the child") == 0,
              "another process's shm_open mapping shares the pages");
        check_err(shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600), EEXIST, "shm_open O_EXCL again");
        check_err(shm_open("noslash", O_RDWR | O_CREAT, 0600), EINVAL, "shm_open without a leading /");
        check_err(shm_open("/a/b", O_RDWR | O_CREAT, 0600), EINVAL, "shm_open with another /");
        check(shm_unlink(name) == 0, "shm_unlink");
        check_err(shm_open(name, O_RDWR, 0), ENOENT, "shm_open after shm_unlink");
        check_err(shm_unlink(name), ENOENT, "shm_unlink twice");
        close(fd);
    }

    /* -- clock_settime -- */
    clock_gettime(CLOCK_REALTIME, &t0);
    ts.tv_sec = 2000000000;             /* 2033 */
    ts.tv_nsec = 0;
    r = clock_settime(CLOCK_REALTIME, &ts);
    if (root) {
        check(r == 0, "root: clock_settime(CLOCK_REALTIME)");
        clock_gettime(CLOCK_REALTIME, &t1);
        check(t1.tv_sec >= 2000000000 && t1.tv_sec < 2000000010, "the guest's realtime clock moved");
        ts = t0;
        clock_settime(CLOCK_REALTIME, &ts);
        /* an absolute CLOCK_REALTIME sleep follows the clock being set */
        {
            int pfd[2];
            struct timespec m0, m1;
            pipe(pfd);
            clock_gettime(CLOCK_MONOTONIC, &m0);
            if (fork() == 0) {
                struct timespec dl;
                clock_gettime(CLOCK_REALTIME, &dl);
                dl.tv_sec += 30;
                write(pfd[1], "s", 1);
                _exit(clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &dl, NULL));
            }
            read(pfd[0], name, 1);
            usleep(200000);
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += 60;                    /* past the child's deadline */
            clock_settime(CLOCK_REALTIME, &ts);
            wait(&r);
            clock_gettime(CLOCK_MONOTONIC, &m1);
            check(WIFEXITED(r) && WEXITSTATUS(r) == 0 && m1.tv_sec - m0.tv_sec < 5,
                  "root: setting the clock past a TIMER_ABSTIME deadline wakes the sleeper");
            ts.tv_sec -= 60;
            clock_settime(CLOCK_REALTIME, &ts);
            close(pfd[0]);
            close(pfd[1]);
        }
    } else {
        check(r == -1 && errno == EPERM, "user: clock_settime: EPERM");
    }
    check_err(clock_settime(CLOCK_MONOTONIC, &ts), EINVAL, "clock_settime(CLOCK_MONOTONIC)");
    ts.tv_nsec = 1000000000;
    check_err(clock_settime(CLOCK_REALTIME, &ts), EINVAL, "clock_settime with tv_nsec 1e9");

    /* -- clock_nanosleep -- */
    ts.tv_sec = 0;
    ts.tv_nsec = 50000000;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    check(clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &rem) == 0, "clock_nanosleep 50 ms");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    check((t1.tv_sec - t0.tv_sec) * 1000000000LL + t1.tv_nsec - t0.tv_nsec >= 50000000,
          "... at least 50 ms passed");
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 30000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    check(clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &ts, NULL) == 0, "TIMER_ABSTIME sleep");
    clock_gettime(CLOCK_REALTIME, &t1);
    check(t1.tv_sec > ts.tv_sec || (t1.tv_sec == ts.tv_sec && t1.tv_nsec >= ts.tv_nsec),
          "... woke at or after the deadline");
    ts.tv_sec = 0;
    check(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == 0, "a past deadline returns at once");
    ts.tv_nsec = -1;
    errno = 0;
    check(clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL) == EINVAL && errno == 0,
          "bad tv_nsec: returns EINVAL (errno untouched)");
    ts.tv_nsec = 1000;
    check(clock_nanosleep(CLOCK_VIRTUAL, 0, &ts, NULL) == EINVAL, "CLOCK_VIRTUAL: EINVAL");
    {
        struct sigaction sa;
        struct itimerval it;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_usr1;
        sigaction(SIGALRM, &sa, NULL);
        memset(&it, 0, sizeof it);
        it.it_value.tv_sec = 1;
        setitimer(ITIMER_REAL, &it, NULL);
        ts.tv_sec = 5;
        ts.tv_nsec = 0;
        r = clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &rem);
        check(r == EINTR && rem.tv_sec >= 3 && rem.tv_sec <= 4,
              "a signal ends it: EINTR with about 4 s left");
    }

    /* -- sysconf: the options tell the truth -- */
    check(sysconf(_SC_MAPPED_FILES) > 0 && sysconf(_SC_MEMLOCK) > 0 &&
          sysconf(_SC_MEMLOCK_RANGE) > 0 && sysconf(_SC_MEMORY_PROTECTION) > 0 &&
          sysconf(_SC_MONOTONIC_CLOCK) > 0 && sysconf(_SC_PRIORITY_SCHEDULING) > 0 &&
          sysconf(_SC_SHARED_MEMORY_OBJECTS) > 0 && sysconf(_SC_FSYNC) > 0,
          "sysconf: the options that exist are > 0");
    check(sysconf(_SC_TIMERS) > 0 && sysconf(_SC_THREADS) > 0 &&
          sysconf(_SC_REALTIME_SIGNALS) > 0 && sysconf(_SC_SEMAPHORES) > 0 &&
          sysconf(_SC_CPUTIME) > 0 && sysconf(_SC_THREAD_CPUTIME) > 0 &&
          sysconf(_SC_ASYNCHRONOUS_IO) == -1 && sysconf(_SC_MESSAGE_PASSING) == -1,
          "sysconf: timers, RT signals, semaphores, CPU-time clocks, threads > 0; "
          "no AIO, no message queues (-1)");
    check(sysconf(_SC_PAGESIZE) == 4096 && sysconf(_SC_CLK_TCK) == 100, "sysconf page size, clock ticks");
    errno = 0;
    check(sysconf(123456) == -1 && errno == EINVAL, "sysconf(unknown): EINVAL");

    /* -- getrusage / clock -- */
    {
        struct rusage ru;
        volatile unsigned x = 0;
        clock_t c0 = clock(), c1;
        for (unsigned i = 0; i < 3000000; i++)
            x += i * 7;
        c1 = clock();
        check(getrusage(RUSAGE_SELF, &ru) == 0 && ru.ru_utime.tv_usec >= 0 &&
              ru.ru_utime.tv_usec < 1000000 && ru.ru_stime.tv_usec < 1000000,
              "getrusage(RUSAGE_SELF)");
        check(c1 >= c0 && c1 != (clock_t)-1, "clock() does not go back");
        printf("clock %ld -> %ld, utime %ld.%06ld stime %ld.%06ld\n", (long)c0, (long)c1,
               (long)ru.ru_utime.tv_sec, (long)ru.ru_utime.tv_usec,
               (long)ru.ru_stime.tv_sec, (long)ru.ru_stime.tv_usec);
        check_err(getrusage(5, &ru), EINVAL, "getrusage(5)");
    }
    printf("done %d\n", fails);
    return fails != 0;
}
