/* issue 14, the kernel side of signals and time: POSIX timers, sigwait /
 * sigwaitinfo / sigtimedwait / sigqueue with siginfo, the signal bugs
 * (blocked SIGCONT pending, SIGCONT ends select, SA_NOCLDWAIT, nanosleep's
 * time left), getrusage/clock advancing, FIFO opens by two LWPs.
 * Prints "ok ..."/"FAIL ..." lines and "done N" (N failures).
 * Also: pselect/pollts masks, CLD_CONTINUED, realtime-signal merging, 510/511
 * refused while the process has other LWPs.
 * argv[0] must be a guest path (the timer-after-exec check execs it):
 *   psig            run every check
 *   psig exec TID   (internal) after exec: timer TID must be gone */
#include <errno.h>
#include <fcntl.h>
#include <kernelware.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>

static int fails;
static volatile int got, got_code, got_value, got_pid, got_signo;

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

static long long
now_ns(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void
on_sig(int sig)
{
    (void)sig;
    got++;
}

static void
on_info(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    got++;
    got_signo = sig;
    got_code = si->si_code;
    got_value = si->si_value.sival_int;
    got_pid = si->si_pid;
}

static void
catch(int sig, int info)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    if (info) {
        sa.sa_sigaction = on_info;
        sa.sa_flags = SA_SIGINFO;
    } else
        sa.sa_handler = on_sig;
    sigaction(sig, &sa, NULL);
}

static void
dfl(int sig)
{
    signal(sig, SIG_DFL);
}

static void
mask(int how, int sig)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    sigprocmask(how, &s, NULL);
}

/* a child that sleeps ms, sends sig to its parent and exits */
static pid_t
later(int ms, int sig)
{
    pid_t pp = getpid(), c = fork();
    if (c == 0) {
        struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
        nanosleep(&ts, NULL);
        kill(pp, sig);
        _exit(0);
    }
    return c;
}

static void
reap(pid_t c)
{
    int st;
    while (waitpid(c, &st, 0) == -1 && errno == EINTR)
        ;
}

static void
bugs(void)
{
    sigset_t pend;
    char buf[160];

    /* a blocked SIGCONT stays pending */
    mask(SIG_BLOCK, SIGCONT);
    mask(SIG_BLOCK, SIGUSR1);
    raise(SIGUSR1);
    raise(SIGCONT);
    sigpending(&pend);
    check(sigismember(&pend, SIGUSR1) && sigismember(&pend, SIGCONT),
          "blocked SIGCONT and SIGUSR1 both pending");
    signal(SIGUSR1, SIG_IGN);
    mask(SIG_UNBLOCK, SIGCONT);
    mask(SIG_UNBLOCK, SIGUSR1);
    sigpending(&pend);
    check(!sigismember(&pend, SIGCONT) && !sigismember(&pend, SIGUSR1),
          "unblocked: the default SIGCONT is consumed");
    dfl(SIGUSR1);

    /* a SIGCONT with a handler ends select with EINTR */
    {
        struct timeval tv = { 5, 0 };
        long long t0 = now_ns(CLOCK_MONOTONIC), dt;
        pid_t c;
        int r, e;
        got = 0;
        catch(SIGCONT, 0);
        c = later(300, SIGCONT);
        r = select(0, NULL, NULL, NULL, &tv);
        e = errno;
        dt = now_ns(CLOCK_MONOTONIC) - t0;
        snprintf(buf, sizeof buf, "caught SIGCONT ends select: -1/EINTR (r=%d errno=%d, %lld ms, handler %d)",
                 r, e, dt / 1000000, got);
        check(r == -1 && e == EINTR && got == 1 && dt < 4000000000LL, buf);
        reap(c);
        dfl(SIGCONT);
    }

    /* SA_NOCLDWAIT and SIGCHLD ignored: no zombies, wait gives ECHILD */
    for (int ign = 0; ign < 2; ign++) {
        struct sigaction sa;
        pid_t c1, c2;
        int st, r;
        long long t0 = now_ns(CLOCK_MONOTONIC);
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = ign ? SIG_IGN : SIG_DFL;
        sa.sa_flags = ign ? 0 : SA_NOCLDWAIT;
        sigaction(SIGCHLD, &sa, NULL);
        c1 = fork();
        if (c1 == 0)
            _exit(3);
        c2 = fork();
        if (c2 == 0) {
            usleep(200000);
            _exit(4);
        }
        r = wait(&st);
        snprintf(buf, sizeof buf, "%s: wait blocks until the children are gone, then -1/ECHILD (r=%d errno=%d)",
                 ign ? "SIGCHLD SIG_IGN" : "SA_NOCLDWAIT", r, errno);
        check(r == -1 && errno == ECHILD && now_ns(CLOCK_MONOTONIC) - t0 >= 200000000LL, buf);
        check_err(waitpid(c1, &st, WNOHANG), ECHILD, "no zombie left to waitpid");
        dfl(SIGCHLD);
    }
    {
        int st;
        pid_t c = fork();
        if (c == 0)
            _exit(5);
        check(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 5,
              "SIGCHLD default again: the child is a zombie until waited for");
    }
    /* SIGCHLD's siginfo: CLD_EXITED / CLD_KILLED, the child, its status */
    {
        sigset_t cs;
        siginfo_t si;
        int st;
        pid_t c;
        sigemptyset(&cs);
        sigaddset(&cs, SIGCHLD);
        sigprocmask(SIG_BLOCK, &cs, NULL);
        c = fork();
        if (c == 0)
            _exit(6);
        memset(&si, 0, sizeof si);
        check(sigwaitinfo(&cs, &si) == SIGCHLD && si.si_code == CLD_EXITED && si.si_pid == c &&
              si.si_status == 6 && si.si_uid == getuid(), "SIGCHLD siginfo: CLD_EXITED, pid, status 6");
        waitpid(c, &st, 0);
        c = fork();
        if (c == 0) {
            pause();
            _exit(0);
        }
        usleep(100000);
        kill(c, SIGTERM);
        memset(&si, 0, sizeof si);
        check(sigwaitinfo(&cs, &si) == SIGCHLD && si.si_code == CLD_KILLED && si.si_pid == c &&
              si.si_status == SIGTERM, "SIGCHLD siginfo: CLD_KILLED, SIGTERM");
        waitpid(c, &st, 0);
        sigprocmask(SIG_UNBLOCK, &cs, NULL);
    }

    /* an interrupted nanosleep / clock_nanosleep reports the time left */
    {
        struct timespec rq = { 30, 0 }, rem = { -1, -1 };
        pid_t c;
        int r, e;
        catch(SIGUSR1, 0);
        c = later(1000, SIGUSR1);
        r = nanosleep(&rq, &rem);
        e = errno;
        snprintf(buf, sizeof buf, "nanosleep(30 s) interrupted after 1 s: EINTR, %ld.%09ld s left",
                 (long)rem.tv_sec, rem.tv_nsec);
        check(r == -1 && e == EINTR && rem.tv_sec >= 28 && rem.tv_sec <= 29, buf);
        reap(c);
        rem.tv_sec = rem.tv_nsec = -1;
        c = later(1000, SIGUSR1);
        r = clock_nanosleep(CLOCK_MONOTONIC, 0, &rq, &rem);
        snprintf(buf, sizeof buf, "clock_nanosleep(30 s) interrupted after 1 s: EINTR, %ld.%09ld s left",
                 (long)rem.tv_sec, rem.tv_nsec);
        check(r == EINTR && rem.tv_sec >= 28 && rem.tv_sec <= 29, buf);
        reap(c);
        dfl(SIGUSR1);
    }
}

static void
rusage_checks(void)
{
    struct rusage ru, rc;
    clock_t c0 = clock(), c1 = c0;
    volatile unsigned x = 0;
    char buf[160];
    long i, before;
    pid_t c;
    int st;

    for (i = 0; i < 400000000L && c1 == c0; i++) {
        x += i;
        if (i % 20000 == 0)
            c1 = clock();
    }
    snprintf(buf, sizeof buf, "clock() advances in a busy loop (%ld -> %ld after %ld iterations)",
             (long)c0, (long)c1, i);
    check(c1 > c0, buf);
    getrusage(RUSAGE_SELF, &ru);
    check(ru.ru_utime.tv_sec * 1000000L + ru.ru_utime.tv_usec +
          ru.ru_stime.tv_sec * 1000000L + ru.ru_stime.tv_usec >= 10000,
          "getrusage(RUSAGE_SELF): user + system >= 10 ms");
    getrusage(RUSAGE_CHILDREN, &rc);
    before = rc.ru_utime.tv_sec * 1000000L + rc.ru_utime.tv_usec +
             rc.ru_stime.tv_sec * 1000000L + rc.ru_stime.tv_usec;
    c = fork();
    if (c == 0) {
        clock_t a = clock();
        for (i = 0; i < 400000000L && clock() < a + 3; i++)
            x += i;
        _exit(0);
    }
    usleep(300000);                     /* the child has run and exited */
    getrusage(RUSAGE_CHILDREN, &rc);
    check(rc.ru_utime.tv_sec * 1000000L + rc.ru_utime.tv_usec + rc.ru_stime.tv_sec * 1000000L +
          rc.ru_stime.tv_usec == before, "RUSAGE_CHILDREN does not change before the wait");
    {
        struct rusage wr;
        memset(&wr, 0, sizeof wr);
        check(wait4(c, &st, 0, &wr) == c &&
              wr.ru_utime.tv_sec * 1000000L + wr.ru_utime.tv_usec +
              wr.ru_stime.tv_sec * 1000000L + wr.ru_stime.tv_usec >= 20000,
              "wait4's rusage: the child's time (>= 20 ms)");
    }
    getrusage(RUSAGE_CHILDREN, &rc);
    snprintf(buf, sizeof buf, "RUSAGE_CHILDREN grows by the child's time at the wait: %ld.%06ld user %ld.%06ld sys",
             (long)rc.ru_utime.tv_sec, (long)rc.ru_utime.tv_usec,
             (long)rc.ru_stime.tv_sec, (long)rc.ru_stime.tv_usec);
    check(rc.ru_utime.tv_sec * 1000000L + rc.ru_utime.tv_usec +
          rc.ru_stime.tv_sec * 1000000L + rc.ru_stime.tv_usec >= before + 20000, buf);
}

static void
sigwait_checks(void)
{
    sigset_t set;
    siginfo_t si;
    union sigval v;
    struct timespec tmo;
    char buf[200];
    int r, sig;
    pid_t c;

    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    sigprocmask(SIG_BLOCK, &set, NULL);

    v.sival_int = 42;
    check(sigqueue(getpid(), SIGUSR1, v) == 0, "sigqueue to itself");
    memset(&si, 0, sizeof si);
    r = sigwaitinfo(&set, &si);
    snprintf(buf, sizeof buf, "sigwaitinfo: SIGUSR1, SI_QUEUE, value 42, our pid and uid (r=%d code=%d value=%d pid=%d uid=%d)",
             r, si.si_code, si.si_value.sival_int, (int)si.si_pid, (int)si.si_uid);
    check(r == SIGUSR1 && si.si_signo == SIGUSR1 && si.si_code == SI_QUEUE &&
          si.si_value.sival_int == 42 && si.si_pid == getpid() && si.si_uid == geteuid(), buf);

    /* NetBSD keeps one instance of a pending signal (sigput): a second
     * sigqueue replaces the first one's value.  Realtime signals too: in
     * NetBSD 10's sys/kern/kern_sig.c, sigput's queueing of a second
     * ksiginfo for signo >= SIGRTMIN is under "#ifdef notyet / XXX:
     * QUEUING", so every signal merges, its newest ksiginfo kept. */
    v.sival_int = 1;
    sigqueue(getpid(), SIGUSR2, v);
    v.sival_int = 2;
    sigqueue(getpid(), SIGUSR2, v);
    tmo.tv_sec = 0;
    tmo.tv_nsec = 0;
    r = sigtimedwait(&set, &si, &tmo);
    check(r == SIGUSR2 && si.si_value.sival_int == 2, "two sigqueues of a pending signal: one, the newest value");
    {
        sigset_t rt;
        sigemptyset(&rt);
        sigaddset(&rt, SIGRTMIN + 1);
        sigprocmask(SIG_BLOCK, &rt, NULL);
        v.sival_int = 7;
        sigqueue(getpid(), SIGRTMIN + 1, v);
        v.sival_int = 8;
        sigqueue(getpid(), SIGRTMIN + 1, v);
        r = sigtimedwait(&rt, &si, &tmo);
        snprintf(buf, sizeof buf, "two sigqueues of a realtime signal: merged as NetBSD does, the newest "
                 "value (r=%d value=%d)", r, si.si_value.sival_int);
        check(r == SIGRTMIN + 1 && si.si_code == SI_QUEUE && si.si_value.sival_int == 8, buf);
        check_err(sigtimedwait(&rt, &si, &tmo), EAGAIN, "and no second instance");
        sigprocmask(SIG_UNBLOCK, &rt, NULL);
    }
    check_err(sigtimedwait(&set, &si, &tmo), EAGAIN, "sigtimedwait(zero timeout), nothing pending");

    /* both pending: the lowest number first */
    raise(SIGUSR2);
    raise(SIGUSR1);
    r = sigtimedwait(&set, &si, &tmo);
    check(r == SIGUSR1 && si.si_code == SI_LWP && si.si_pid == getpid() && si.si_uid == geteuid(),
          "raise (_lwp_kill): SI_LWP from our pid; the lowest signal first");
    check(sigtimedwait(&set, &si, &tmo) == SIGUSR2, "then the other");

    {
        long long t0 = now_ns(CLOCK_MONOTONIC), dt;
        tmo.tv_sec = 0;
        tmo.tv_nsec = 250000000;
        r = sigtimedwait(&set, &si, &tmo);
        dt = now_ns(CLOCK_MONOTONIC) - t0;
        snprintf(buf, sizeof buf, "sigtimedwait(250 ms) times out: EAGAIN after %lld ms", dt / 1000000);
        check(r == -1 && errno == EAGAIN && dt >= 250000000LL && dt < 1000000000LL, buf);
    }
    tmo.tv_nsec = 1000000000;
    check_err(sigtimedwait(&set, &si, &tmo), EINVAL, "sigtimedwait(tv_nsec 1e9)");

    /* woken by another process's kill */
    c = later(200, SIGUSR1);
    r = sigwaitinfo(&set, &si);
    check(r == SIGUSR1 && si.si_code == SI_USER && si.si_pid == c,
          "sigwaitinfo sleeps until a child's kill: SI_USER, si_pid the child");
    reap(c);
    c = later(200, SIGUSR2);
    r = sigwait(&set, &sig);
    check(r == 0 && sig == SIGUSR2, "sigwait returns 0 and the signal");
    reap(c);

    /* a caught signal outside the set ends the wait */
    catch(SIGHUP, 0);
    got = 0;
    c = later(200, SIGHUP);
    tmo.tv_sec = 5;
    tmo.tv_nsec = 0;
    r = sigtimedwait(&set, &si, &tmo);
    snprintf(buf, sizeof buf, "a caught SIGHUP ends sigtimedwait: EINTR (r=%d errno=%d handler %d)",
             r, errno, got);
    check(r == -1 && errno == EINTR && got == 1, buf);
    reap(c);
    dfl(SIGHUP);

    /* SA_SIGINFO handlers see SI_QUEUE and the value */
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    catch(SIGUSR1, 1);
    got = 0;
    v.sival_int = -7;
    sigqueue(getpid(), SIGUSR1, v);
    check(got == 1 && got_signo == SIGUSR1 && got_code == SI_QUEUE && got_value == -7 &&
          got_pid == getpid(), "SA_SIGINFO handler: SI_QUEUE, value -7, si_pid");
    got = 0;
    kill(getpid(), SIGUSR1);
    check(got == 1 && got_code == SI_USER && got_pid == getpid(), "SA_SIGINFO handler after kill: SI_USER");
    dfl(SIGUSR1);

    v.sival_int = 0;
    check_err(sigqueue(getpid(), 99, v), EINVAL, "sigqueue(signal 99)");
    check_err(sigqueue(30000, SIGUSR1, v), ESRCH, "sigqueue(no such pid)");
    memset(&si, 0, sizeof si);
    si.si_signo = SIGUSR1;
    si.si_code = SI_USER;
    check_err(sigqueueinfo(getpid(), &si), EPERM, "sigqueueinfo with a kernel si_code (>= 0)");
    check_err(sigqueueinfo(getpid(), (siginfo_t *)8), EFAULT, "sigqueueinfo(bad pointer)");
    check(sigqueue(getpid(), 0, v) == 0, "sigqueue(signal 0) checks only");
}

static void
timer_checks(const char *self)
{
    struct sigevent ev;
    struct itimerspec its, old;
    timer_t t, t2, many[40];
    sigset_t set, none;
    siginfo_t si;
    struct timespec tmo;
    char buf[200];
    int r, n, i;

    sigemptyset(&none);
    /* SIGEV_SIGNAL, one shot, to a SA_SIGINFO handler */
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGUSR1;
    ev.sigev_value.sival_int = 7;
    check(timer_create(CLOCK_REALTIME, &ev, &t) == 0, "timer_create(CLOCK_REALTIME, SIGEV_SIGNAL)");
    catch(SIGUSR1, 1);
    mask(SIG_BLOCK, SIGUSR1);
    got = 0;
    memset(&its, 0, sizeof its);
    its.it_value.tv_nsec = 100000000;
    check(timer_settime(t, 0, &its, NULL) == 0, "timer_settime(100 ms)");
    check(timer_gettime(t, &old) == 0 && old.it_value.tv_sec == 0 && old.it_value.tv_nsec > 0 &&
          old.it_value.tv_nsec <= 100000000 && old.it_interval.tv_nsec == 0,
          "timer_gettime: armed, at most 100 ms left, no interval");
    sigsuspend(&none);
    snprintf(buf, sizeof buf, "expiry: handler with SI_TIMER and the sigev_value (got %d code %d value %d)",
             got, got_code, got_value);
    check(got == 1 && got_signo == SIGUSR1 && got_code == SI_TIMER && got_value == 7, buf);
    check(timer_gettime(t, &old) == 0 && old.it_value.tv_sec == 0 && old.it_value.tv_nsec == 0,
          "a one-shot timer is disarmed after it fired");
    check(timer_getoverrun(t) == 0, "no overrun");

    /* periodic, signal blocked: overruns */
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    its.it_value.tv_nsec = 50000000;
    its.it_interval.tv_nsec = 50000000;
    timer_settime(t, 0, &its, NULL);
    usleep(520000);
    r = sigwaitinfo(&set, &si);
    n = timer_getoverrun(t);
    snprintf(buf, sizeof buf, "50 ms period, blocked for 520 ms: one signal, overrun %d (9 expected, 8..10)", n);
    check(r == SIGUSR1 && si.si_code == SI_TIMER && si.si_value.sival_int == 7 && n >= 8 && n <= 10, buf);
    r = sigwaitinfo(&set, &si);
    check(r == SIGUSR1 && timer_getoverrun(t) == 0, "the next period: a signal, overrun 0");
    memset(&its, 0, sizeof its);
    its.it_value.tv_sec = 3;
    check(timer_settime(t, 0, &its, &old) == 0 && old.it_interval.tv_nsec == 50000000 &&
          old.it_value.tv_sec == 0 && old.it_value.tv_nsec <= 50000000,
          "timer_settime's old value: the 50 ms period");
    memset(&its, 0, sizeof its);
    check(timer_settime(t, 0, &its, &old) == 0 && old.it_value.tv_sec >= 2,
          "disarm (zero it_value) reports the 3 s left");
    tmo.tv_sec = 0;
    tmo.tv_nsec = 300000000;
    check_err(sigtimedwait(&set, &si, &tmo), EAGAIN, "a disarmed timer sends nothing");

    /* TIMER_ABSTIME on CLOCK_REALTIME */
    {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        memset(&its, 0, sizeof its);
        its.it_value.tv_sec = now.tv_sec + (now.tv_nsec >= 800000000 ? 1 : 0);
        its.it_value.tv_nsec = (now.tv_nsec + 200000000) % 1000000000;
        check(timer_settime(t, TIMER_ABSTIME, &its, NULL) == 0, "TIMER_ABSTIME, now + 200 ms");
        tmo.tv_sec = 2;
        tmo.tv_nsec = 0;
        r = sigtimedwait(&set, &si, &tmo);
        clock_gettime(CLOCK_REALTIME, &tmo);
        check(r == SIGUSR1 && si.si_code == SI_TIMER &&
              (tmo.tv_sec > its.it_value.tv_sec ||
               (tmo.tv_sec == its.it_value.tv_sec && tmo.tv_nsec >= its.it_value.tv_nsec)),
              "the absolute timer fired at its time");
        clock_gettime(CLOCK_REALTIME, &now);
        its.it_value.tv_sec = now.tv_sec - 10;
        timer_settime(t, TIMER_ABSTIME, &its, NULL);
        tmo.tv_sec = 1;
        tmo.tv_nsec = 0;
        check(sigtimedwait(&set, &si, &tmo) == SIGUSR1, "an absolute time already past fires at once");
    }
    check(timer_delete(t) == 0, "timer_delete");
    check_err(timer_gettime(t, &old), EINVAL, "timer_gettime of a deleted timer");
    check_err(timer_settime(t, 0, &its, NULL), EINVAL, "timer_settime of a deleted timer");
    check_err(timer_getoverrun(t), EINVAL, "timer_getoverrun of a deleted timer");
    check_err(timer_delete(t), EINVAL, "timer_delete twice");

    /* SIGEV_NONE on CLOCK_MONOTONIC: only timer_gettime shows it */
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_NONE;
    check(timer_create(CLOCK_MONOTONIC, &ev, &t) == 0, "timer_create(CLOCK_MONOTONIC, SIGEV_NONE)");
    memset(&its, 0, sizeof its);
    its.it_value.tv_sec = 10;
    timer_settime(t, 0, &its, NULL);
    usleep(1500000);
    check(timer_gettime(t, &old) == 0 && old.it_value.tv_sec == 8, "SIGEV_NONE counts down (8.x s left after 1.5 s)");
    its.it_value.tv_sec = 0;
    its.it_value.tv_nsec = 100000000;
    timer_settime(t, 0, &its, NULL);
    tmo.tv_sec = 0;
    tmo.tv_nsec = 300000000;
    check_err(sigtimedwait(&set, &si, &tmo), EAGAIN, "SIGEV_NONE sends no signal");
    check(timer_gettime(t, &old) == 0 && old.it_value.tv_nsec == 0 && old.it_value.tv_sec == 0,
          "and is disarmed after its expiry");
    timer_delete(t);

    /* no sigevent: SIGALRM with the timer id as its value */
    check(timer_create(CLOCK_REALTIME, NULL, &t) == 0, "timer_create(NULL sigevent)");
    mask(SIG_BLOCK, SIGALRM);
    sigemptyset(&set);
    sigaddset(&set, SIGALRM);
    memset(&its, 0, sizeof its);
    its.it_value.tv_nsec = 50000000;
    timer_settime(t, 0, &its, NULL);
    r = sigwaitinfo(&set, &si);
    check(r == SIGALRM && si.si_code == SI_TIMER && si.si_value.sival_int == (int)t,
          "default: SIGALRM, SI_TIMER, value = the timer id");
    mask(SIG_UNBLOCK, SIGALRM);

    /* not inherited by fork, gone after exec */
    {
        pid_t c = fork();
        int st;
        if (c == 0)
            _exit(timer_gettime(t, &old) == -1 && errno == EINVAL ? 0 : 1);
        check(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0,
              "a fork child has no timers");
        c = fork();
        if (c == 0) {
            char id[16];
            snprintf(id, sizeof id, "%d", (int)t);
            execl(self, self, "exec", id, (char *)NULL);
            _exit(2);
        }
        check(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0,
              "after exec the timer is gone");
    }
    timer_delete(t);

    /* errors */
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGUSR2;
    check_err(timer_create(CLOCK_PROCESS_CPUTIME_ID, &ev, &t), EINVAL, "timer_create(CLOCK_PROCESS_CPUTIME_ID)");
    check_err(timer_create(77, &ev, &t), EINVAL, "timer_create(clock 77)");
    ev.sigev_signo = 0;
    check_err(timer_create(CLOCK_REALTIME, &ev, &t), EINVAL, "timer_create(SIGEV_SIGNAL, signal 0)");
    ev.sigev_signo = 64;
    check_err(timer_create(CLOCK_REALTIME, &ev, &t), EINVAL, "timer_create(SIGEV_SIGNAL, signal 64)");
    ev.sigev_notify = 99;
    ev.sigev_signo = SIGUSR2;
    check_err(timer_create(CLOCK_REALTIME, &ev, &t), EINVAL, "timer_create(sigev_notify 99)");
    check_err(timer_create(CLOCK_REALTIME, (struct sigevent *)8, &t), EFAULT, "timer_create(bad sigevent)");
    ev.sigev_notify = SIGEV_NONE;
    check_err(timer_create(CLOCK_REALTIME, &ev, (timer_t *)8), EFAULT, "timer_create(bad timerid)");
    check(timer_create(CLOCK_REALTIME, &ev, &t2) == 0, "timer_create");
    memset(&its, 0, sizeof its);
    its.it_value.tv_nsec = 1000000000;
    check_err(timer_settime(t2, 0, &its, NULL), EINVAL, "timer_settime(tv_nsec 1e9)");
    its.it_value.tv_nsec = 0;
    its.it_value.tv_sec = -1;
    check_err(timer_settime(t2, 0, &its, NULL), EINVAL, "timer_settime(tv_sec -1)");
    its.it_value.tv_sec = 1;
    its.it_interval.tv_nsec = -1;
    check_err(timer_settime(t2, 0, &its, NULL), EINVAL, "timer_settime(interval tv_nsec -1)");
    check_err(timer_settime(t2, 0, (struct itimerspec *)8, NULL), EFAULT, "timer_settime(bad value)");
    timer_delete(t2);
    for (i = 0; i < 40; i++)
        if (timer_create(CLOCK_MONOTONIC, &ev, &many[i]) != 0)
            break;
    snprintf(buf, sizeof buf, "32 timers per process, then EAGAIN (made %d, errno %d)", i, errno);
    check(i == 32 && errno == EAGAIN, buf);
    while (i-- > 0)
        timer_delete(many[i]);
    check(timer_create(CLOCK_MONOTONIC, &ev, &t2) == 0 && timer_delete(t2) == 0,
          "deleted ids are free again");
    dfl(SIGUSR1);
    mask(SIG_UNBLOCK, SIGUSR1);
}

/* two LWPs of one process open one FIFO: a reader and a writer */
static const char *fifo_path;
static int fifo_wfd = -1;

static void *
fifo_writer(void *arg)
{
    (void)arg;
    fifo_wfd = open(fifo_path, O_WRONLY);
    if (fifo_wfd >= 0) {
        write(fifo_wfd, "lwp", 3);
        close(fifo_wfd);
    }
    return NULL;
}

static void
fifo_checks(void)
{
    pthread_t th;
    char b[8] = { 0 };
    int fd, n;

    fifo_path = "/tmp/psig.fifo";
    unlink(fifo_path);
    check(mkfifo(fifo_path, 0600) == 0, "mkfifo");
    pthread_create(&th, NULL, fifo_writer, NULL);
    fd = open(fifo_path, O_RDONLY);
    n = fd >= 0 ? (int)read(fd, b, sizeof b) : -1;
    pthread_join(th, NULL);
    check(fd >= 0 && fifo_wfd >= 0 && n == 3 && memcmp(b, "lwp", 3) == 0,
          "a reader LWP and a writer LWP of one process open one FIFO");
    check(fd >= 0 && read(fd, b, sizeof b) == 0, "EOF once the writer closed");
    close(fd);
    unlink(fifo_path);
}

/* the program runs under init (pid 1) in a session and process group of its own */
static void
init_checks(void)
{
    char buf[160];
    int fds[2], st, ppid = -1;
    pid_t c, g;

    snprintf(buf, sizeof buf, "pid %d, parent init (ppid %d), own process group %d and session %d",
             (int)getpid(), (int)getppid(), (int)getpgrp(), (int)getsid(0));
    check(getpid() >= 2 && getppid() == 1 && getpgrp() == getpid() && getsid(0) == getpid(), buf);
    if (geteuid() == 0)
        check(kill(1, 0) == 0, "root: kill(1, 0) finds init");
    else
        check_err(kill(1, 0), EPERM, "kill(1, 0) as an ordinary user");
    check(killpg(getpgrp(), 0) == 0, "killpg(getpgrp(), 0)");
    check(kill(-1, 0) == 0, "kill(-1, 0): everything but init");
    /* an orphan is reparented to init (and reaped by it) */
    pipe(fds);
    c = fork();
    if (c == 0) {
        g = fork();
        if (g == 0) {
            int pp;
            close(fds[0]);
            while ((pp = getppid()) != 1 && pp != -1)
                usleep(10000);
            write(fds[1], &pp, sizeof pp);
            _exit(0);
        }
        _exit(0);
    }
    close(fds[1]);
    waitpid(c, &st, 0);
    read(fds[0], &ppid, sizeof ppid);
    close(fds[0]);
    check(ppid == 1, "the orphaned grandchild's parent is init");
    usleep(100000);
    check_err(waitpid(-1, &st, WNOHANG), ECHILD, "and it is not our child to wait for");
}

/* pselect (436) and pollts (437) called directly: the libc has neither */
int syscall(int, ...);

static int
sys_pselect(int nd, fd_set *in, const struct timespec *ts, const sigset_t *mask)
{
    return syscall(436, nd, in, NULL, NULL, ts, mask);
}

static int
sys_pollts(struct pollfd *fds, unsigned n, const struct timespec *ts, const sigset_t *mask)
{
    return syscall(437, fds, n, ts, mask);
}

/* The masks of pselect and pollts: in force for the wait only, atomically:
 * a signal blocked outside and unblocked by the mask ends the wait (EINTR)
 * and its handler runs; the mask is the old one afterwards. */
static void
mask_checks(void)
{
    sigset_t usr1, empty, cur, inh;
    struct timespec tmo = { 5, 0 }, zero = { 0, 0 };
    struct pollfd pfd;
    fd_set rs;
    int fds[2], r, e, i;
    pid_t c;
    char buf[160];

    pipe(fds);
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigemptyset(&empty);
    catch(SIGUSR1, 0);
    for (i = 0; i < 2; i++) {
        const char *name = i ? "pollts" : "pselect";
        sigprocmask(SIG_BLOCK, &usr1, NULL);
        got = 0;
        c = later(300, SIGUSR1);
        FD_ZERO(&rs);
        FD_SET(fds[0], &rs);
        pfd.fd = fds[0];
        pfd.events = POLLIN;
        r = i ? sys_pollts(&pfd, 1, &tmo, &empty) : sys_pselect(fds[0] + 1, &rs, &tmo, &empty);
        e = errno;
        sigprocmask(SIG_BLOCK, NULL, &cur);
        snprintf(buf, sizeof buf, "%s: SIGUSR1 blocked outside, let through by the mask: "
                 "EINTR, the handler ran (r=%d errno=%d got=%d)", name, r, e, got);
        check(r == -1 && e == EINTR && got == 1, buf);
        snprintf(buf, sizeof buf, "%s: the old mask (SIGUSR1 blocked) is back", name);
        check(sigismember(&cur, SIGUSR1) == 1, buf);
        reap(c);

        /* already pending when the call starts: EINTR at once, handled */
        got = 0;
        raise(SIGUSR1);
        r = i ? sys_pollts(&pfd, 1, &tmo, &empty) : sys_pselect(fds[0] + 1, &rs, &tmo, &empty);
        e = errno;
        snprintf(buf, sizeof buf, "%s: pending and unblocked by the mask: EINTR at once (r=%d errno=%d got=%d)",
                 name, r, e, got);
        check(r == -1 && e == EINTR && got == 1, buf);

        /* the mask blocks what is unblocked outside: the wait runs out */
        sigprocmask(SIG_UNBLOCK, &usr1, NULL);
        got = 0;
        {
            struct timespec t300 = { 0, 300000000 };
            c = later(50, SIGUSR1);
            r = i ? sys_pollts(&pfd, 1, &t300, &usr1) : sys_pselect(fds[0] + 1, &rs, &t300, &usr1);
            e = errno;
            reap(c);
        }
        snprintf(buf, sizeof buf, "%s: the mask blocks SIGUSR1: a timeout (0), the handler "
                 "not run during it (r=%d errno=%d got=%d)", name, r, r < 0 ? e : 0, got);
        check(r == 0 && got == 1, buf);     /* (it runs after the return) */
        sigprocmask(SIG_BLOCK, NULL, &cur);
        snprintf(buf, sizeof buf, "%s: the mask is gone after a timeout", name);
        check(sigismember(&cur, SIGUSR1) == 0, buf);

        /* ready at once: the count, the mask restored */
        write(fds[1], "x", 1);
        FD_ZERO(&rs);
        FD_SET(fds[0], &rs);
        r = i ? sys_pollts(&pfd, 1, &zero, &usr1) : sys_pselect(fds[0] + 1, &rs, &zero, &usr1);
        read(fds[0], buf, 1);
        sigprocmask(SIG_BLOCK, NULL, &cur);
        snprintf(buf, sizeof buf, "%s: a ready descriptor: 1, the old mask back (r=%d)", name, r);
        check(r == 1 && sigismember(&cur, SIGUSR1) == 0, buf);
    }
    /* a pending SIGCHLD at its default (ignore) let through ends nothing */
    {
        sigset_t chld;
        struct timespec t200 = { 0, 200000000 };
        sigemptyset(&chld);
        sigaddset(&chld, SIGCHLD);
        sigprocmask(SIG_BLOCK, &chld, NULL);
        c = fork();
        if (c == 0)
            _exit(0);
        reap(c);
        FD_ZERO(&rs);
        FD_SET(fds[0], &rs);
        r = sys_pselect(fds[0] + 1, &rs, &t200, &empty);
        e = errno;
        snprintf(buf, sizeof buf, "pselect: a pending default-ignored SIGCHLD the mask lets "
                 "through: the timeout runs out (r=%d errno=%d)", r, r < 0 ? e : 0);
        check(r == 0, buf);
        sigprocmask(SIG_UNBLOCK, &chld, NULL);
    }
    check_err(sys_pselect(fds[0] + 1, &rs, &zero, (sigset_t *)8), EFAULT, "pselect(bad mask pointer)");
    check_err(sys_pollts(&pfd, 1, &zero, (sigset_t *)8), EFAULT, "pollts(bad mask pointer)");
    sigemptyset(&inh);
    sigprocmask(SIG_SETMASK, &inh, NULL);
    dfl(SIGUSR1);
    close(fds[0]);
    close(fds[1]);
}

/* SIGCHLD for a stopped child that continues: CLD_CONTINUED; wait4's
 * WCONTINUED; SA_NOCLDSTOP: neither CLD_STOPPED nor CLD_CONTINUED */
static void
cont_checks(void)
{
    sigset_t cs;
    siginfo_t si;
    struct timespec t = { 2, 0 };
    struct sigaction sa;
    int st, r;
    pid_t c;
    char buf[200];

    sigemptyset(&cs);
    sigaddset(&cs, SIGCHLD);
    sigprocmask(SIG_BLOCK, &cs, NULL);
    c = fork();
    if (c == 0) {
        for (;;)
            pause();
    }
    kill(c, SIGSTOP);
    memset(&si, 0, sizeof si);
    r = sigtimedwait(&cs, &si, &t);
    check(r == SIGCHLD && si.si_code == CLD_STOPPED && si.si_pid == c && si.si_status == SIGSTOP,
          "SIGCHLD siginfo: CLD_STOPPED, SIGSTOP");
    check(waitpid(c, &st, WUNTRACED) == c && WIFSTOPPED(st), "waitpid(WUNTRACED): stopped");
    check(waitpid(c, &st, WCONTINUED | WNOHANG) == 0, "waitpid(WCONTINUED) while stopped: nothing");
    kill(c, SIGCONT);
    memset(&si, 0, sizeof si);
    r = sigtimedwait(&cs, &si, &t);
    snprintf(buf, sizeof buf, "SIGCHLD siginfo: CLD_CONTINUED, the child, SIGCONT (r=%d code=%d pid=%d status=%d)",
             r, si.si_code, (int)si.si_pid, si.si_status);
    check(r == SIGCHLD && si.si_code == CLD_CONTINUED && si.si_pid == c && si.si_status == SIGCONT, buf);
    check(waitpid(c, &st, WCONTINUED) == c && WIFCONTINUED(st), "waitpid(WCONTINUED): continued");
    check(waitpid(c, &st, WCONTINUED | WNOHANG) == 0, "waitpid(WCONTINUED) again: reported once");

    /* SA_NOCLDSTOP: no SIGCHLD for the stop nor for the continue */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sig;
    sa.sa_flags = SA_NOCLDSTOP;
    sigaction(SIGCHLD, &sa, NULL);
    kill(c, SIGSTOP);
    check(waitpid(c, &st, WUNTRACED) == c && WIFSTOPPED(st), "SA_NOCLDSTOP: the stop is still seen by waitpid");
    kill(c, SIGCONT);
    check(waitpid(c, &st, WCONTINUED) == c && WIFCONTINUED(st), "SA_NOCLDSTOP: the continue too");
    sigpending(&cs);
    check(!sigismember(&cs, SIGCHLD), "SA_NOCLDSTOP: no SIGCHLD for either");
    kill(c, SIGKILL);
    reap(c);
    sigpending(&cs);
    check(sigismember(&cs, SIGCHLD), "SA_NOCLDSTOP: SIGCHLD for the exit");
    sigemptyset(&cs);
    sigaddset(&cs, SIGCHLD);
    r = sigtimedwait(&cs, &si, &t);
    dfl(SIGCHLD);
    sigprocmask(SIG_UNBLOCK, &cs, NULL);
}

/* 510/511 are refused (EBUSY) while another LWP lives: the mode is the
 * whole process's (kw86/nbsd/kernelware.py) */
static int lwp_pipe[2];

static void *
lwp_sleeper(void *a)
{
    char ch;
    (void)a;
    read(lwp_pipe[0], &ch, 1);
    return NULL;
}

static void
kwlwp_checks(void)
{
    pthread_t t;
    int kern = in_kernel_mode(), root = geteuid() == 0;

    pipe(lwp_pipe);
    pthread_create(&t, NULL, lwp_sleeper, NULL);
    if (!kern) {
        check_err(switch_to_kernel_mode(), root ? EBUSY : EPERM, "510 with a second LWP");
        check(!in_kernel_mode(), "still in user mode");
    } else {
        check_err(switch_to_user_mode(), EBUSY, "511 with a second LWP");
        check(in_kernel_mode(), "still in kernel mode");
    }
    write(lwp_pipe[1], "x", 1);
    pthread_join(t, NULL);
    if (!kern) {
        if (root) {
            check(switch_to_kernel_mode() == 0 && in_kernel_mode(), "510 once it is the only LWP");
            check(switch_to_user_mode() == 0 && !in_kernel_mode(), "and 511 back");
        } else {
            check_err(switch_to_kernel_mode(), EPERM, "510 as an ordinary user");
            check(!in_kernel_mode(), "and still in user mode");
        }
    } else {
        check(switch_to_user_mode() == 0 && !in_kernel_mode(), "511 once it is the only LWP");
        if (root)
            check(switch_to_kernel_mode() == 0 && in_kernel_mode(), "and 510 back");
        else
            check_err(switch_to_kernel_mode(), EPERM, "and 510 back: EPERM as an ordinary user");
    }
    close(lwp_pipe[0]);
    close(lwp_pipe[1]);
}

int
main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "status") == 0)
        return 3;                       /* kw86 exec's status is the program's */
    if (argc == 3 && strcmp(argv[1], "exec") == 0) {
        struct itimerspec its;
        return timer_gettime((timer_t)atoi(argv[2]), &its) == -1 && errno == EINVAL ? 0 : 1;
    }
    init_checks();
    mask_checks();
    cont_checks();
    bugs();
    rusage_checks();
    sigwait_checks();
    timer_checks(argv[0]);
    fifo_checks();
    kwlwp_checks();
    printf("done %d\n", fails);
    return fails != 0;
}
