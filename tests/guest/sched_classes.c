/* NetBSD's real-time scheduling classes on kw86's one CPU
 * (tests/test_nbsd_sched_classes.py).  `sched_classes SCENARIO`: the order
 * scenarios print one token per line, each with write(2) at the moment it
 * happens (no stdio buffer), so the output is the order the LWPs ran in;
 * the check scenarios print "ok ..."/"FAIL ..." lines and "done N".
 *
 *   preempt  a FIFO 10 parent and four children (FIFO 10, inherited): raising
 *            one above the parent runs it at once, a lowered one and a
 *            SCHED_OTHER one run only when the parent blocks, in priority order
 *   lower    the parent lowers itself below a runnable FIFO child, then drops
 *            to SCHED_OTHER with one runnable: it gives way both times
 *   yield    sched_yield between two FIFO 10 processes alternates them; to a
 *            lower-priority one it does not give way
 *   rr, fifo two CPU-bound children at priority 10 (SCHED_RR or SCHED_FIFO)
 *            each spin for 150 ms of their own CPU time; the shared log of
 *            who ran shows the 100 ms round-robin slices (RR) or none (FIFO)
 *   wake     a FIFO 20 child asleep in read(2) preempts its SCHED_OTHER
 *            parent as soon as the parent's write wakes it
 *   tick     a FIFO 20 child whose 20 ms nanosleep ends preempts its FIFO 10
 *            parent spinning in user mode at that clock tick (not at the end
 *            of a quantum: "late" if it woke more than 15 ms after its time);
 *            the preempted parent goes back to the head of its list, before
 *            a FIFO 10 sibling queued all along
 *   stale    a SCHED_OTHER parent preempted at a clock tick by a FIFO 20 child
 *            does not give way again at its next call (a write that makes a
 *            SCHED_OTHER sibling runnable): the preemption was that tick's
 *   spawn    posix_spawn with POSIX_SPAWN_SETSCHEDULER from a FIFO 10 parent:
 *            a FIFO 20 child (echo S) runs at once, a FIFO 5 one (echo L)
 *            once the parent waits
 *   checks   EINVAL, ESRCH, EPERM (an ordinary user, and root's child after
 *            setuid: lower only, same class), getparam/getscheduler round trips
 *   threads  per-LWP classes: pthread_setschedparam on one thread preempts at
 *            once, pthread_getschedparam reads each thread's own
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

int _lwp_self(void);

static int fails;

static void
say(const char *s)
{
    char buf[64];
    size_t n = strlen(s);

    if (n > sizeof buf - 1)
        n = sizeof buf - 1;
    memcpy(buf, s, n);
    buf[n] = '\n';
    (void)write(1, buf, n + 1);
}

static void
check(int cond, const char *what)
{
    char buf[200];

    snprintf(buf, sizeof buf, "%s %s", cond ? "ok" : "FAIL", what);
    say(buf);
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

static int
setsched(pid_t pid, int policy, int pri)
{
    struct sched_param sp;

    sp.sched_priority = pri;
    return sched_setscheduler(pid, policy, &sp);
}

static int
setpri(pid_t pid, int pri)
{
    struct sched_param sp;

    sp.sched_priority = pri;
    return sched_setparam(pid, &sp);
}

static int
getpri(pid_t pid)
{
    struct sched_param sp;

    if (sched_getparam(pid, &sp) != 0)
        return -100;
    return sp.sched_priority;
}

static pid_t
child_says(const char *tok)
{
    pid_t pid = fork();

    if (pid == 0) {
        say(tok);
        _exit(0);
    }
    return pid;
}

static void
reap_all(void)
{
    while (wait(NULL) > 0)
        ;
}

static void
must(int cond, const char *what)
{
    if (!cond) {
        char buf[120];
        snprintf(buf, sizeof buf, "FAIL %s (errno %d)", what, errno);
        say(buf);
        exit(1);
    }
}

static void
preempt(void)
{
    pid_t a, b, c, d;

    must(setsched(0, SCHED_FIFO, 10) == SCHED_OTHER, "FIFO 10");
    a = child_says("A");
    b = child_says("B");
    c = child_says("C");
    d = child_says("D");
    say("P0");
    must(setpri(a, 5) == 0, "A to 5");              /* lower: nothing runs */
    must(setsched(b, SCHED_FIFO, 20) == SCHED_FIFO, "B to FIFO 20");    /* runs now */
    say("P1");
    must(setsched(c, SCHED_RR, 15) == SCHED_FIFO, "C to RR 15");        /* runs now */
    say("P2");
    must(setsched(d, SCHED_OTHER, -1) == SCHED_FIFO, "D to SCHED_OTHER");
    say("P3");
    reap_all();                                     /* A (FIFO 5), then D */
    say("P4");
}

static void
lower(void)
{
    must(setsched(0, SCHED_FIFO, 30) == SCHED_OTHER, "FIFO 30");
    child_says("c1");                               /* FIFO 30 too */
    say("p1");
    must(setpri(0, 29) == 0, "self to 29");         /* c1 outranks us now */
    say("p2");
    reap_all();
    child_says("c2");                               /* FIFO 29, inherited */
    say("p3");
    must(setsched(0, SCHED_OTHER, -1) == SCHED_FIFO, "self to SCHED_OTHER");
    say("p4");
    reap_all();
}

static void
yield(void)
{
    pid_t y;
    int i;
    char tok[8];

    must(setsched(0, SCHED_FIFO, 10) == SCHED_OTHER, "FIFO 10");
    if (fork() == 0) {
        for (i = 0; i < 3; i++) {
            snprintf(tok, sizeof tok, "x%d", i);
            say(tok);
            sched_yield();
        }
        _exit(0);
    }
    for (i = 0; i < 3; i++) {
        snprintf(tok, sizeof tok, "p%d", i);
        say(tok);
        sched_yield();
    }
    reap_all();
    y = child_says("y");                            /* FIFO 10 */
    must(setpri(y, 5) == 0, "y to 5");
    say("q0");
    sched_yield();                                  /* nobody at 10 or above */
    say("q1");
    reap_all();
}

static double
cputime(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct runlog {
    volatile int n;
    volatile char last;
    volatile char who[64];
};

static void
spinner(struct runlog *log, char me, double secs)
{
    double t0 = cputime();

    while (cputime() - t0 < secs) {
        if (log->last != me && log->n < 63) {
            log->who[log->n++] = me;
            log->last = me;
        }
    }
    _exit(0);
}

static void
spin(int policy)
{
    struct runlog *log;
    pid_t a, b;
    char out[80];

    log = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANON, -1, 0);
    must(log != MAP_FAILED, "mmap");
    memset((void *)log, 0, sizeof *log);
    must(setsched(0, SCHED_FIFO, 50) == SCHED_OTHER, "FIFO 50");
    if ((a = fork()) == 0)
        spinner(log, 'A', 0.15);
    if ((b = fork()) == 0)
        spinner(log, 'B', 0.15);
    must(setsched(a, policy, 10) == SCHED_FIFO, "A to 10");
    must(setsched(b, policy, 10) == SCHED_FIFO, "B to 10");
    reap_all();
    snprintf(out, sizeof out, "log %.*s", log->n, (const char *)log->who);
    say(out);
}

static void
wake(void)
{
    int fds[2];
    char c;

    must(pipe(fds) == 0, "pipe");
    if (fork() == 0) {
        must(setsched(0, SCHED_FIFO, 20) == SCHED_OTHER, "child FIFO 20");
        say("c0");
        (void)read(fds[0], &c, 1);                  /* the parent runs meanwhile */
        say("c1");
        _exit(0);
    }
    /* the child, SCHED_OTHER like us until it changes its class, runs
     * when we yield (the round robin): it is asleep in read after that */
    sched_yield();
    say("p0");
    (void)write(fds[1], "x", 1);                    /* c1 at once */
    say("p1");
    reap_all();
}

static double
now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
tick(void)
{
    volatile int *flag;
    pid_t c;

    flag = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANON, -1, 0);
    must(flag != MAP_FAILED, "mmap");
    *flag = 0;
    must(setsched(0, SCHED_FIFO, 10) == SCHED_OTHER, "FIFO 10");
    say("p0");
    child_says("B");                                /* FIFO 10, queued behind us */
    if ((c = fork()) == 0) {
        struct timespec ts = {0, 20000000};
        double t0;

        say("c0");
        t0 = now();
        nanosleep(&ts, NULL);                       /* we run meanwhile, spinning */
        say(now() - t0 > 0.035 ? "c1 late" : "c1");
        *flag = 1;
        _exit(0);
    }
    must(setsched(c, SCHED_FIFO, 20) == SCHED_FIFO, "C to FIFO 20");    /* C runs now */
    say("p1");
    while (!*flag)
        ;                                           /* C preempts us at its tick */
    say("p2");
    reap_all();                                     /* then B */
}

static void
stale(void)
{
    volatile int *flag;
    pid_t r;
    int fds[2];
    char c;

    flag = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANON, -1, 0);
    must(flag != MAP_FAILED, "mmap");
    *flag = 0;
    if ((r = fork()) == 0) {
        struct timespec ts = {0, 20000000};

        while (sched_getscheduler(0) != SCHED_FIFO)
            ;                                       /* (the parent sets it) */
        say("r0");
        nanosleep(&ts, NULL);
        say("r1");
        *flag = 1;
        _exit(0);
    }
    must(pipe(fds) == 0, "pipe");
    must(setsched(r, SCHED_FIFO, 20) == SCHED_OTHER, "R to FIFO 20");   /* r0 */
    if (fork() == 0) {                              /* Q: SCHED_OTHER, queued */
        say("Q");
        (void)read(fds[0], &c, 1);
        say("Q1");
        _exit(0);
    }
    while (!*flag)
        ;               /* R preempts us at its tick: r1; then Q (round robin) */
    (void)write(fds[1], "x", 1);                    /* Q runnable: no yield to it here */
    say("p1");
    say("p2");
    reap_all();                                     /* Q1 */
}

extern char **environ;

static void
spawn_at(int policy, int pri, char *word)
{
    posix_spawnattr_t sa;
    struct sched_param sp;
    char *argv[] = {"echo", word, NULL};
    pid_t pid;

    sp.sched_priority = pri;
    must(posix_spawnattr_init(&sa) == 0, "spawnattr_init");
    must(posix_spawnattr_setflags(&sa, POSIX_SPAWN_SETSCHEDULER) == 0, "setflags");
    must(posix_spawnattr_setschedpolicy(&sa, policy) == 0, "setschedpolicy");
    must(posix_spawnattr_setschedparam(&sa, &sp) == 0, "setschedparam");
    must(posix_spawn(&pid, "/bin/echo", NULL, &sa, argv, environ) == 0, "posix_spawn");
    posix_spawnattr_destroy(&sa);
}

static void
spawn(void)
{
    must(setsched(0, SCHED_FIFO, 10) == SCHED_OTHER, "FIFO 10");
    say("p0");
    spawn_at(SCHED_FIFO, 20, "S");                  /* runs at once */
    say("p1");
    spawn_at(SCHED_FIFO, 5, "L");                   /* runs once we wait */
    say("p2");
    reap_all();
}

static void
checks(void)
{
    struct sched_param sp;
    int policy;

    check_err(setsched(0, 3, 1), EINVAL, "policy 3");
    check_err(setsched(0, -2, 1), EINVAL, "policy -2");
    check_err(setsched(0, SCHED_FIFO, 64), EINVAL, "FIFO priority 64");
    check_err(setsched(0, SCHED_RR, -2), EINVAL, "RR priority -2");
    check_err(setsched(0, SCHED_OTHER, 0), EINVAL, "SCHED_OTHER with a priority");
    check_err(setpri(0, 3), EINVAL, "sched_setparam of a SCHED_OTHER process");
    check_err(setpri(99999, 3), ESRCH, "sched_setparam of no such pid");
    check_err(sched_getparam(99999, &sp), ESRCH, "sched_getparam of no such pid");
    check_err(sched_getscheduler(99999), ESRCH, "sched_getscheduler of no such pid");
    check(setsched(0, SCHED_OTHER, -1) == SCHED_OTHER, "SCHED_OTHER, PRI_NONE: allowed");
    check(sched_getscheduler(0) == SCHED_OTHER && getpri(0) == 0, "SCHED_OTHER reads 0");
    sp.sched_priority = 3;
    check_err(_sched_setparam(0, 12345, SCHED_NONE, &sp), ESRCH, "_sched_setparam of no such lid");
    check_err(_sched_getparam(0, 12345, &policy, &sp), ESRCH, "_sched_getparam of no such lid");
    if (geteuid() != 0) {
        check_err(setsched(0, SCHED_FIFO, 0), EPERM, "user: to SCHED_FIFO");
        check_err(setsched(0, SCHED_RR, 63), EPERM, "user: to SCHED_RR");
    } else {
        int st;
        pid_t pid;

        check(setsched(0, SCHED_RR, 63) == SCHED_OTHER && sched_getscheduler(0) == SCHED_RR &&
              getpri(0) == 63, "root: RR 63 round trip");
        check(setsched(0, SCHED_FIFO, 7) == SCHED_RR && sched_getscheduler(0) == SCHED_FIFO &&
              getpri(0) == 7, "root: FIFO 7 round trip");
        check(setpri(0, 40) == 0 && getpri(0) == 40 && sched_getscheduler(0) == SCHED_FIFO,
              "root: raise to 40 keeps FIFO");
        check(_sched_getparam(0, 0, &policy, &sp) == 0 && policy == SCHED_FIFO &&
              sp.sched_priority == 40, "root: _sched_getparam(0, 0)");
        check(_sched_getparam(getpid(), _lwp_self(), &policy, &sp) == 0 &&
              policy == SCHED_FIFO && sp.sched_priority == 40, "root: _sched_getparam(pid, lid)");
        sp.sched_priority = -1;
        check(_sched_setparam(0, 0, SCHED_RR, &sp) == 0 && sched_getscheduler(0) == SCHED_RR &&
              getpri(0) == 40, "root: class change, PRI_NONE keeps 40");
        pid = fork();
        if (pid == 0) {
            /* an RT process of an ordinary user: lower only, same class */
            int bad = 0;
            if (setuid(1000) != 0)
                _exit(99);
            bad |= !(sched_getscheduler(0) == SCHED_RR && getpri(0) == 40) << 0;
            bad |= !(setpri(0, 30) == 0 && getpri(0) == 30) << 1;
            bad |= !(setpri(0, 31) == -1 && errno == EPERM && getpri(0) == 30) << 2;
            bad |= !(setsched(0, SCHED_FIFO, 10) == -1 && errno == EPERM) << 3;
            bad |= !(setsched(0, SCHED_RR, 30) == SCHED_RR) << 4;
            bad |= !(setsched(0, SCHED_OTHER, -1) == SCHED_RR && getpri(0) == 0) << 5;
            bad |= !(setsched(0, SCHED_RR, 0) == -1 && errno == EPERM) << 6;
            bad |= !(sched_getparam(getppid(), &sp) == -1 && errno == EPERM) << 7;
            bad |= !(setsched(getppid(), SCHED_OTHER, -1) == -1 && errno == EPERM) << 8;
            _exit(bad);
        }
        check(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
              "root's RR 40 child after setuid: lower only, same class or SCHED_OTHER");
        if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
            char buf[40];
            snprintf(buf, sizeof buf, "child status %#x", st);
            say(buf);
        }
        check(setsched(0, SCHED_OTHER, -1) == SCHED_RR && getpri(0) == 0,
              "root: back to SCHED_OTHER");
    }
}

static pthread_t t2;
static int tpipe[2];

static void *
thread_body(void *arg)
{
    char c;

    if (arg == NULL) {
        say("T");
        return NULL;
    }
    say("U0");
    (void)read(tpipe[0], &c, 1);
    say("U1");
    return NULL;
}

static void
threads(void)
{
    pthread_t t;
    struct sched_param sp;
    int policy;
    char buf[80];

    must(setsched(0, SCHED_FIFO, 20) == SCHED_OTHER, "FIFO 20");
    must(pthread_create(&t, NULL, thread_body, NULL) == 0, "create T");   /* FIFO 20 */
    say("m0");
    sp.sched_priority = 30;
    must(pthread_setschedparam(t, SCHED_FIFO, &sp) == 0, "T to 30");     /* T runs now */
    say("m1");
    pthread_join(t, NULL);
    must(pipe(tpipe) == 0, "pipe");
    must(pthread_create(&t2, NULL, thread_body, (void *)1) == 0, "create U");
    say("m2");
    sched_yield();                                  /* U (FIFO 20): U0, asleep in read */
    say("m3");
    sp.sched_priority = 25;
    must(pthread_setschedparam(t2, SCHED_RR, &sp) == 0, "U to RR 25");  /* asleep: nothing */
    must(pthread_getschedparam(t2, &policy, &sp) == 0, "getschedparam U");
    snprintf(buf, sizeof buf, "U %s %d", policy == SCHED_RR ? "RR" : "?", sp.sched_priority);
    say(buf);
    must(pthread_getschedparam(pthread_self(), &policy, &sp) == 0, "getschedparam main");
    snprintf(buf, sizeof buf, "main %s %d", policy == SCHED_FIFO ? "FIFO" : "?",
             sp.sched_priority);
    say(buf);
    (void)write(tpipe[1], "x", 1);                  /* U (25) wakes and runs at once */
    say("m4");
    pthread_join(t2, NULL);
}

int
main(int argc, char **argv)
{
    const char *s = argc > 1 ? argv[1] : "";

    if (!strcmp(s, "preempt"))
        preempt();
    else if (!strcmp(s, "lower"))
        lower();
    else if (!strcmp(s, "yield"))
        yield();
    else if (!strcmp(s, "rr"))
        spin(SCHED_RR);
    else if (!strcmp(s, "fifo"))
        spin(SCHED_FIFO);
    else if (!strcmp(s, "wake"))
        wake();
    else if (!strcmp(s, "tick"))
        tick();
    else if (!strcmp(s, "spawn"))
        spawn();
    else if (!strcmp(s, "stale"))
        stale();
    else if (!strcmp(s, "checks")) {
        checks();
        printf("done %d\n", fails);
    } else if (!strcmp(s, "threads"))
        threads();
    else {
        fprintf(stderr, "usage: sched_classes preempt|lower|yield|rr|fifo|wake|tick|stale|spawn|checks|threads\n");
        return 2;
    }
    return fails != 0;
}
