/* kqueue(2)/kevent(2) in the guest (tests/test_nbsd_kqueue.py): `kq TEST`
 * runs one test and prints "PASS TEST" at its end; every failed check prints
 * "FAIL line: what" and makes the exit status 1. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/event.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int failures;

#define CHECK(c) do { if (!(c)) { printf("FAIL %d: %s (errno %d)\n", __LINE__, #c, errno); \
                                  failures++; } } while (0)

static const struct timespec zero_ts = {0, 0};

static struct kevent ev[16];

/* kevent with no changes and a zero timeout: how many events are pending */
static int poll_kq(int kq)
{
    return kevent(kq, NULL, 0, ev, 16, &zero_ts);
}

static int change(int kq, uintptr_t ident, uint32_t filter, uint32_t flags, uint32_t fflags,
                  int64_t data)
{
    struct kevent c;
    EV_SET(&c, ident, filter, flags, fflags, data, 0);
    return kevent(kq, &c, 1, NULL, 0, NULL);
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct kevent *find(int n, uintptr_t ident, uint32_t filter)
{
    for (int i = 0; i < n; i++)
        if (ev[i].ident == ident && ev[i].filter == filter)
            return &ev[i];
    return NULL;
}

static void t_layout(void)
{
    struct kevent k;
    CHECK(sizeof(struct kevent) == 28);
    CHECK((char *)&k.filter - (char *)&k == 4);
    CHECK((char *)&k.data - (char *)&k == 16);
    CHECK((char *)&k.udata - (char *)&k == 24);
}

static void t_pipe(void)
{
    int kq = kqueue(), p[2];
    CHECK(kq >= 0);
    CHECK(pipe(p) == 0);
    struct kevent c[2];
    EV_SET(&c[0], p[0], EVFILT_READ, EV_ADD, 0, 0, (void *)0x1234);
    EV_SET(&c[1], p[1], EVFILT_WRITE, EV_ADD, 0, 0, (void *)0x5678);
    CHECK(kevent(kq, c, 2, NULL, 0, NULL) == 0);
    int n = poll_kq(kq);
    CHECK(n == 1);                       /* writable, not readable */
    CHECK(ev[0].ident == (uintptr_t)p[1] && ev[0].filter == EVFILT_WRITE);
    CHECK(ev[0].data == 16384 && ev[0].udata == (void *)0x5678);
    CHECK(ev[0].flags == EV_ADD);
    CHECK(write(p[1], "hello", 5) == 5);
    n = poll_kq(kq);
    CHECK(n == 2);
    struct kevent *r = find(n, p[0], EVFILT_READ);
    CHECK(r != NULL && r->data == 5 && r->udata == (void *)0x1234);
    struct kevent *w = find(n, p[1], EVFILT_WRITE);
    CHECK(w != NULL && w->data == 16384 - 5);
    /* level-triggered: reported again while the condition holds */
    CHECK(poll_kq(kq) == 2);
    char buf[8];
    CHECK(read(p[0], buf, 8) == 5);
    n = poll_kq(kq);
    CHECK(n == 1 && ev[0].filter == EVFILT_WRITE);
    /* the writer goes: EOF with no data */
    CHECK(change(kq, p[1], EVFILT_WRITE, EV_DELETE, 0, 0) == 0);
    CHECK(close(p[1]) == 0);
    n = poll_kq(kq);
    CHECK(n == 1 && ev[0].filter == EVFILT_READ && (ev[0].flags & EV_EOF) && ev[0].data == 0);
    /* the reader goes: EVFILT_WRITE has EV_EOF, data 0; a new one is EBADF */
    int q[2];
    CHECK(pipe(q) == 0);
    CHECK(change(kq, q[1], EVFILT_WRITE, EV_ADD, 0, 0) == 0);
    CHECK(close(q[0]) == 0);
    n = poll_kq(kq);
    w = find(n, q[1], EVFILT_WRITE);
    CHECK(w != NULL && (w->flags & EV_EOF) && w->data == 0);
    CHECK(change(kq, q[1], EVFILT_WRITE, EV_DELETE, 0, 0) == 0);
    CHECK(change(kq, q[1], EVFILT_WRITE, EV_ADD, 0, 0) == -1 && errno == EBADF);
    close(kq);
}

static void t_clear(void)
{
    int kq = kqueue(), p[2];
    CHECK(pipe(p) == 0);
    CHECK(change(kq, p[0], EVFILT_READ, EV_ADD | EV_CLEAR, 0, 0) == 0);
    CHECK(poll_kq(kq) == 0);
    CHECK(write(p[1], "abc", 3) == 3);
    CHECK(poll_kq(kq) == 1 && ev[0].data == 3 && ev[0].flags == (EV_ADD | EV_CLEAR));
    CHECK(poll_kq(kq) == 0);             /* edge-triggered: once per change */
    CHECK(write(p[1], "de", 2) == 2);
    CHECK(poll_kq(kq) == 1 && ev[0].data == 5);
    CHECK(poll_kq(kq) == 0);
    close(kq);
}

static void t_flags(void)
{
    int kq = kqueue(), p[2];
    CHECK(pipe(p) == 0);
    CHECK(write(p[1], "x", 1) == 1);
    /* EV_ONESHOT: reported once, then gone */
    CHECK(change(kq, p[0], EVFILT_READ, EV_ADD | EV_ONESHOT, 0, 0) == 0);
    CHECK(poll_kq(kq) == 1 && (ev[0].flags & EV_ONESHOT));
    CHECK(poll_kq(kq) == 0);
    CHECK(change(kq, p[0], EVFILT_READ, EV_DELETE, 0, 0) == -1 && errno == ENOENT);
    /* EV_DISABLE / EV_ENABLE */
    CHECK(change(kq, p[0], EVFILT_READ, EV_ADD | EV_DISABLE, 0, 0) == 0);
    CHECK(poll_kq(kq) == 0);
    CHECK(change(kq, p[0], EVFILT_READ, EV_ENABLE, 0, 0) == 0);
    CHECK(poll_kq(kq) == 1 && ev[0].data == 1);
    CHECK(change(kq, p[0], EVFILT_READ, EV_DISABLE, 0, 0) == 0);
    CHECK(poll_kq(kq) == 0);
    CHECK(change(kq, p[0], EVFILT_READ, EV_DELETE, 0, 0) == 0);
    /* EV_DISPATCH: disabled after each report until EV_ENABLE */
    CHECK(change(kq, p[0], EVFILT_READ, EV_ADD | EV_DISPATCH, 0, 0) == 0);
    CHECK(poll_kq(kq) == 1);
    CHECK(poll_kq(kq) == 0);
    CHECK(change(kq, p[0], EVFILT_READ, EV_ENABLE, 0, 0) == 0);
    CHECK(poll_kq(kq) == 1);
    CHECK(poll_kq(kq) == 0);
    /* EV_ADD on an existing knote changes udata */
    CHECK(change(kq, p[0], EVFILT_READ, EV_DELETE, 0, 0) == 0);
    struct kevent c;
    EV_SET(&c, p[0], EVFILT_READ, EV_ADD, 0, 0, (void *)1);
    CHECK(kevent(kq, &c, 1, NULL, 0, NULL) == 0);
    EV_SET(&c, p[0], EVFILT_READ, EV_ADD, 0, 0, (void *)2);
    CHECK(kevent(kq, &c, 1, NULL, 0, NULL) == 0);
    CHECK(poll_kq(kq) == 1 && ev[0].udata == (void *)2);
    close(kq);
}

static void t_errors(void)
{
    int kq = kqueue(), p[2];
    CHECK(pipe(p) == 0);
    struct kevent c[4], out[4];
    /* the kqueue descriptor */
    CHECK(kevent(-1, NULL, 0, out, 4, &zero_ts) == -1 && errno == EBADF);
    CHECK(kevent(p[0], NULL, 0, out, 4, &zero_ts) == -1 && errno == EBADF);
    CHECK(kevent(999, NULL, 0, out, 4, &zero_ts) == -1 && errno == EBADF);
    /* changelist errors with no room for them: the call fails */
    CHECK(change(kq, 77, EVFILT_READ, EV_ADD, 0, 0) == -1 && errno == EBADF);
    CHECK(change(kq, p[0], EVFILT_READ, EV_DELETE, 0, 0) == -1 && errno == ENOENT);
    CHECK(change(kq, p[0], 99, EV_ADD, 0, 0) == -1 && errno == EINVAL);
    CHECK(change(kq, p[0], EVFILT_READ, 0, 0, 0) == -1 && errno == ENOENT);
    CHECK(change(kq, kq, EVFILT_WRITE, EV_ADD, 0, 0) == -1 && errno == EINVAL);
    CHECK(change(kq, 1, EVFILT_TIMER, EV_ADD, NOTE_MSECONDS, 0) == -1 && errno == EINVAL);
    CHECK(change(kq, 1, EVFILT_TIMER, EV_ADD, 0x100, 10) == -1 && errno == EINVAL);
    CHECK(change(kq, 999999, EVFILT_PROC, EV_ADD, NOTE_EXIT, 0) == -1 && errno == ESRCH);
    /* ... with room: EV_ERROR events, data = errno, in order; no scan */
    CHECK(write(p[1], "z", 1) == 1);
    EV_SET(&c[0], 77, EVFILT_READ, EV_ADD, 0, 0, 0);
    EV_SET(&c[1], p[0], EVFILT_READ, EV_ADD, 0, 0, 0);
    EV_SET(&c[2], p[0], EVFILT_WRITE, EV_DELETE, 0, 0, 0);
    int n = kevent(kq, c, 3, out, 4, &zero_ts);
    CHECK(n == 2);
    CHECK(out[0].ident == 77 && out[0].flags == EV_ERROR && out[0].data == EBADF);
    CHECK(out[1].ident == (uintptr_t)p[0] && out[1].flags == EV_ERROR && out[1].data == ENOENT);
    /* EV_RECEIPT: EV_ERROR with data 0 for a change that worked */
    EV_SET(&c[0], p[1], EVFILT_WRITE, EV_ADD | EV_RECEIPT, 0, 0, 0);
    n = kevent(kq, c, 1, out, 4, &zero_ts);
    CHECK(n == 1 && out[0].flags == EV_ERROR && out[0].data == 0);
    /* a receipt with no room: 0, the change done */
    CHECK(change(kq, p[1], EVFILT_WRITE, EV_DELETE | EV_RECEIPT, 0, 0) == 0);
    CHECK(change(kq, p[1], EVFILT_WRITE, EV_DELETE, 0, 0) == -1 && errno == ENOENT);
    /* the timeout: invalid is EINVAL (after the changes), bad pointers EFAULT */
    struct timespec bad = {0, 1000000000};
    CHECK(kevent(kq, NULL, 0, out, 4, &bad) == -1 && errno == EINVAL);
    bad.tv_sec = -1; bad.tv_nsec = 0;
    CHECK(kevent(kq, NULL, 0, out, 4, &bad) == -1 && errno == EINVAL);
    CHECK(kevent(kq, NULL, 0, NULL, 0, &bad) == 0);     /* no events wanted: no scan */
    CHECK(kevent(kq, NULL, 0, out, 4, (struct timespec *)8) == -1 && errno == EFAULT);
    CHECK(kevent(kq, (struct kevent *)8, 1, out, 4, &zero_ts) == -1 && errno == EFAULT);
    CHECK(kevent(kq, NULL, 0, (struct kevent *)8, 4, &zero_ts) == -1 && errno == EFAULT);
    /* a kqueue's file: read/write ENXIO, fstat S_IFIFO */
    char b;
    CHECK(read(kq, &b, 1) == -1 && errno == ENXIO);
    CHECK(write(kq, &b, 1) == -1 && errno == ENXIO);
    struct stat st;
    CHECK(fstat(kq, &st) == 0 && S_ISFIFO(st.st_mode) && st.st_size == 1);
    close(kq);
}

static void t_kqueue1(void)
{
    int kq = kqueue1(O_CLOEXEC | O_NONBLOCK);
    CHECK(kq >= 0);
    CHECK(fcntl(kq, F_GETFD) == FD_CLOEXEC);
    CHECK((fcntl(kq, F_GETFL) & (O_NONBLOCK | O_ACCMODE)) == (O_NONBLOCK | O_RDWR));
    int kq2 = kqueue();
    CHECK(fcntl(kq2, F_GETFD) == 0 && (fcntl(kq2, F_GETFL) & O_NONBLOCK) == 0);
    close(kq);
    close(kq2);
}

static void t_close(void)
{
    int kq = kqueue(), p[2];
    CHECK(pipe(p) == 0);
    int r2 = dup(p[0]);
    CHECK(change(kq, r2, EVFILT_READ, EV_ADD, 0, 0) == 0);
    CHECK(change(kq, p[0], EVFILT_READ, EV_ADD, 0, 0) == 0);
    CHECK(close(r2) == 0);               /* its knote goes with the descriptor */
    CHECK(write(p[1], "q", 1) == 1);
    int n = poll_kq(kq);
    CHECK(n == 1 && ev[0].ident == (uintptr_t)p[0]);
    CHECK(dup2(p[1], p[0]) == p[0]);     /* dup2 over it closes it: the knote too */
    CHECK(poll_kq(kq) == 0);
    CHECK(change(kq, p[0], EVFILT_READ, EV_DELETE, 0, 0) == -1 && errno == ENOENT);
    close(kq);
}

static void t_poll(void)
{
    int kq = kqueue(), p[2];
    CHECK(pipe(p) == 0);
    CHECK(change(kq, p[0], EVFILT_READ, EV_ADD, 0, 0) == 0);
    struct pollfd pf = {kq, POLLIN, 0};
    CHECK(poll(&pf, 1, 0) == 0);
    CHECK(write(p[1], "a", 1) == 1);
    CHECK(poll(&pf, 1, 0) == 1 && pf.revents == POLLIN);
    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(kq, &rs);
    struct timeval tv = {0, 0};
    CHECK(select(kq + 1, &rs, NULL, NULL, &tv) == 1 && FD_ISSET(kq, &rs));
    /* a kqueue in a kqueue: EVFILT_READ, data = pending events */
    int outer = kqueue();
    CHECK(change(outer, kq, EVFILT_READ, EV_ADD, 0, 0) == 0);
    CHECK(poll_kq(outer) == 1 && ev[0].ident == (uintptr_t)kq && ev[0].data == 1);
    char c;
    CHECK(read(p[0], &c, 1) == 1);
    CHECK(poll_kq(kq) == 0);             /* (the inner scan drops its stale knote) */
    CHECK(poll_kq(outer) == 0);
    /* poll sleeps on the kqueue until a child writes */
    pid_t pid = fork();
    if (pid == 0) {
        usleep(50000);
        write(p[1], "b", 1);
        _exit(0);
    }
    pf.revents = 0;
    CHECK(poll(&pf, 1, 5000) == 1 && pf.revents == POLLIN);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid);
    close(outer);
    close(kq);
}

static void t_block(void)
{
    int kq = kqueue(), p[2];
    CHECK(pipe(p) == 0);
    CHECK(change(kq, p[0], EVFILT_READ, EV_ADD, 0, 0) == 0);
    long long t0 = now_ms();
    pid_t pid = fork();
    if (pid == 0) {
        usleep(100000);
        write(p[1], "wake", 4);
        _exit(0);
    }
    int n = kevent(kq, NULL, 0, ev, 16, NULL);       /* waits */
    CHECK(n == 1 && ev[0].data == 4);
    CHECK(now_ms() - t0 >= 100);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid);
    /* a timeout with nothing to report: 0 after the time */
    char buf[8];
    CHECK(read(p[0], buf, 8) == 4);
    struct timespec ts = {0, 30000000};
    t0 = now_ms();
    CHECK(kevent(kq, NULL, 0, ev, 16, &ts) == 0);
    long long dt = now_ms() - t0;
    CHECK(dt >= 30 && dt < 1000);
    /* changes in a blocking call are made once: a child writes later */
    CHECK(change(kq, p[0], EVFILT_READ, EV_DELETE, 0, 0) == 0);
    pid = fork();
    if (pid == 0) {
        usleep(50000);
        write(p[1], "x", 1);
        _exit(0);
    }
    struct kevent c;
    EV_SET(&c, p[0], EVFILT_READ, EV_ADD | EV_ONESHOT, 0, 0, 0);
    CHECK(kevent(kq, &c, 1, ev, 16, NULL) == 1 && ev[0].data == 1);
    CHECK(waitpid(pid, &st, 0) == pid);
    CHECK(change(kq, p[0], EVFILT_READ, EV_DELETE, 0, 0) == -1 && errno == ENOENT);
    close(kq);
}

static void t_timer(void)
{
    int kq = kqueue();
    /* a periodic 20 ms timer: EV_CLEAR implied; data counts expiries */
    CHECK(change(kq, 7, EVFILT_TIMER, EV_ADD, 0, 20) == 0);
    long long t0 = now_ms();
    int n = kevent(kq, NULL, 0, ev, 16, NULL);
    CHECK(n == 1 && ev[0].ident == 7 && ev[0].filter == EVFILT_TIMER);
    CHECK(ev[0].data == 1 && (ev[0].flags & EV_CLEAR));
    CHECK(now_ms() - t0 >= 20);
    usleep(110000);                      /* about five periods pass */
    n = poll_kq(kq);
    CHECK(n == 1 && ev[0].data >= 4 && ev[0].data <= 6);
    CHECK(change(kq, 7, EVFILT_TIMER, EV_DELETE, 0, 0) == 0);
    /* EV_ONESHOT in seconds, microseconds, nanoseconds */
    static const struct { uint32_t unit; int64_t n; long long ms; } u[] = {
        {NOTE_SECONDS, 1, 1000}, {NOTE_USECONDS, 50000, 50}, {NOTE_NSECONDS, 30000000, 30},
        {NOTE_MSECONDS, 40, 40},
    };
    for (unsigned i = 0; i < sizeof u / sizeof u[0]; i++) {
        CHECK(change(kq, 100 + i, EVFILT_TIMER, EV_ADD | EV_ONESHOT, u[i].unit, u[i].n) == 0);
        t0 = now_ms();
        n = kevent(kq, NULL, 0, ev, 16, NULL);
        long long dt = now_ms() - t0;
        CHECK(n == 1 && ev[0].ident == 100 + i && ev[0].data == 1);
        CHECK(dt >= u[i].ms && dt < u[i].ms + 100);
        CHECK(change(kq, 100 + i, EVFILT_TIMER, EV_DELETE, 0, 0) == -1 && errno == ENOENT);
    }
    /* poll on the kqueue wakes when a timer fires on an idle machine */
    CHECK(change(kq, 150, EVFILT_TIMER, EV_ADD | EV_ONESHOT, 0, 60) == 0);
    struct pollfd pf = {kq, POLLIN, 0};
    t0 = now_ms();
    CHECK(poll(&pf, 1, 5000) == 1 && pf.revents == POLLIN);
    long long dt = now_ms() - t0;
    CHECK(dt >= 60 && dt < 1000);
    CHECK(poll_kq(kq) == 1 && ev[0].ident == 150);
    /* re-adding a timer re-arms it and clears its count */
    CHECK(change(kq, 160, EVFILT_TIMER, EV_ADD, 0, 30) == 0);
    usleep(70000);
    CHECK(change(kq, 160, EVFILT_TIMER, EV_ADD, 0, 500) == 0);
    CHECK(poll_kq(kq) == 0);
    CHECK(change(kq, 160, EVFILT_TIMER, EV_DELETE, 0, 0) == 0);
    /* an absolute deadline in the past fires at once */
    CHECK(change(kq, 200, EVFILT_TIMER, EV_ADD, NOTE_ABSTIME | NOTE_SECONDS, 1) == 0);
    CHECK(poll_kq(kq) == 1 && ev[0].data == 1);
    close(kq);
}

static volatile int alarms;
static void on_alarm(int sig) { (void)sig; alarms++; }

static void t_signal(void)
{
    int kq = kqueue();
    signal(SIGUSR1, SIG_IGN);            /* counted even when ignored */
    CHECK(change(kq, SIGUSR1, EVFILT_SIGNAL, EV_ADD, 0, 0) == 0);
    CHECK(poll_kq(kq) == 0);
    kill(getpid(), SIGUSR1);
    kill(getpid(), SIGUSR1);
    kill(getpid(), SIGUSR1);
    CHECK(poll_kq(kq) == 1 && ev[0].ident == SIGUSR1 && ev[0].data == 3);
    CHECK(ev[0].flags & EV_CLEAR);
    CHECK(poll_kq(kq) == 0);
    /* a caught signal ends a waiting kevent with EINTR (never restarted) */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    CHECK(change(kq, SIGALRM, EVFILT_SIGNAL, EV_ADD, 0, 0) == 0);
    struct itimerval it = {{0, 0}, {0, 50000}};
    setitimer(ITIMER_REAL, &it, NULL);
    int p[2];
    pipe(p);
    int kq2 = kqueue();
    change(kq2, p[0], EVFILT_READ, EV_ADD, 0, 0);
    errno = 0;
    CHECK(kevent(kq2, NULL, 0, ev, 16, NULL) == -1 && errno == EINTR);
    CHECK(alarms == 1);
    CHECK(poll_kq(kq) == 1 && ev[0].ident == SIGALRM && ev[0].data == 1);
    close(kq2);
    close(kq);
}

static void t_proc(void)
{
    int kq = kqueue(), go[2];
    CHECK(pipe(go) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        char c;
        read(go[0], &c, 1);
        execl("/bin/sh", "sh", "-c", "exit 7", (char *)NULL);
        _exit(99);
    }
    CHECK(change(kq, pid, EVFILT_PROC, EV_ADD, NOTE_EXIT | NOTE_EXEC, 0) == 0);
    CHECK(poll_kq(kq) == 0);
    CHECK(write(go[1], "g", 1) == 1);
    int seen_exec = 0, seen_exit = 0;
    for (int k = 0; k < 4 && !seen_exit; k++) {
        int n = kevent(kq, NULL, 0, ev, 16, NULL);
        for (int i = 0; i < n; i++) {
            CHECK(ev[i].ident == (uintptr_t)pid && ev[i].filter == EVFILT_PROC);
            if (ev[i].fflags & NOTE_EXEC)
                seen_exec = 1;
            if (ev[i].fflags & NOTE_EXIT) {
                seen_exit = 1;
                int ws = (int)ev[i].data;
                CHECK(WIFEXITED(ws) && WEXITSTATUS(ws) == 7);
                CHECK((ev[i].flags & (EV_EOF | EV_ONESHOT)) == (EV_EOF | EV_ONESHOT));
            }
        }
    }
    CHECK(seen_exec && seen_exit);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WEXITSTATUS(st) == 7);
    CHECK(change(kq, pid, EVFILT_PROC, EV_DELETE, 0, 0) == -1 && errno == ENOENT);
    /* NOTE_FORK on ourselves */
    CHECK(change(kq, getpid(), EVFILT_PROC, EV_ADD, NOTE_FORK, 0) == 0);
    pid = fork();
    if (pid == 0)
        _exit(0);
    CHECK(poll_kq(kq) == 1 && (ev[0].fflags & NOTE_FORK) && ev[0].ident == (uintptr_t)getpid());
    CHECK(waitpid(pid, &st, 0) == pid);
    CHECK(change(kq, getpid(), EVFILT_PROC, EV_DELETE, 0, 0) == 0);
    /* NOTE_TRACK: the child is followed (NOTE_CHILD, data: our pid), its exit seen */
    CHECK(change(kq, getpid(), EVFILT_PROC, EV_ADD, NOTE_TRACK | NOTE_FORK | NOTE_EXIT, 0) == 0);
    int go2[2];
    CHECK(pipe(go2) == 0);
    pid = fork();
    if (pid == 0) {
        char c;
        read(go2[0], &c, 1);
        _exit(3);
    }
    int n = poll_kq(kq);
    struct kevent *f = find(n, getpid(), EVFILT_PROC), *ch = find(n, pid, EVFILT_PROC);
    CHECK(n == 2 && f != NULL && ch != NULL);
    CHECK(f != NULL && (f->fflags & NOTE_FORK) && !(f->fflags & NOTE_TRACKERR));
    CHECK(ch != NULL && ch->fflags == NOTE_CHILD && ch->data == getpid());
    CHECK(ch != NULL && (ch->flags & EV_ONESHOT));
    CHECK(write(go2[1], "x", 1) == 1);
    n = kevent(kq, NULL, 0, ev, 16, NULL);
    ch = find(n, pid, EVFILT_PROC);
    int cs = ch != NULL ? (int)ch->data : -1;
    CHECK(n == 1 && ch != NULL && (ch->fflags & NOTE_EXIT) && WEXITSTATUS(cs) == 3);
    CHECK(waitpid(pid, &st, 0) == pid);
    close(kq);
}

static void t_fork(void)
{
    int kq = kqueue();
    int p[2];
    CHECK(pipe(p) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        /* the queue is not inherited: the descriptor is closed */
        int bad = fcntl(kq, F_GETFD) == -1 && errno == EBADF;
        bad &= kevent(kq, NULL, 0, ev, 1, &zero_ts) == -1 && errno == EBADF;
        _exit(bad ? 0 : 1);
    }
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CHECK(fcntl(kq, F_GETFD) == 0);
    close(kq);
}

static void t_user(void)
{
    int kq = kqueue();
    CHECK(change(kq, 42, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0) == 0);
    CHECK(poll_kq(kq) == 0);
    CHECK(change(kq, 42, EVFILT_USER, 0, NOTE_TRIGGER | NOTE_FFCOPY | 0x11, 0) == 0);
    CHECK(poll_kq(kq) == 1 && ev[0].ident == 42 && ev[0].fflags == 0x11);
    CHECK(poll_kq(kq) == 0);
    CHECK(change(kq, 42, EVFILT_USER, 0, NOTE_TRIGGER | NOTE_FFOR | 0x100, 0) == 0);
    CHECK(poll_kq(kq) == 1 && ev[0].fflags == 0x111);
    close(kq);
}

static void t_file(void)
{
    const char *path = "/tmp/kq.file";
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    CHECK(write(fd, "0123456789", 10) == 10);
    CHECK(lseek(fd, 3, SEEK_SET) == 3);
    int kq = kqueue();
    CHECK(change(kq, fd, EVFILT_READ, EV_ADD, 0, 0) == 0);
    CHECK(change(kq, fd, EVFILT_WRITE, EV_ADD, 0, 0) == 0);
    int n = poll_kq(kq);
    CHECK(n == 2);
    struct kevent *r = find(n, fd, EVFILT_READ);
    CHECK(r != NULL && r->data == 7);    /* bytes from the offset to the end */
    CHECK(lseek(fd, 0, SEEK_END) == 10);
    n = poll_kq(kq);                     /* at the end: not readable, still writable */
    CHECK(n == 1 && ev[0].filter == EVFILT_WRITE);
    close(kq);
    close(fd);
    unlink(path);
}

static void t_fifo(void)
{
    const char *path = "/tmp/kq.fifo";
    unlink(path);
    CHECK(mkfifo(path, 0600) == 0);
    int r = open(path, O_RDONLY | O_NONBLOCK);
    CHECK(r >= 0);
    int kq = kqueue();
    CHECK(change(kq, r, EVFILT_READ, EV_ADD, 0, 0) == 0);
    int n = poll_kq(kq);                 /* no writer: EOF */
    CHECK(n == 1 && (ev[0].flags & EV_EOF));
    int w = open(path, O_WRONLY);
    CHECK(w >= 0);
    CHECK(write(w, "fifo", 4) == 4);
    n = poll_kq(kq);
    CHECK(n == 1 && ev[0].data == 4 && !(ev[0].flags & EV_EOF));
    close(w);
    close(r);
    close(kq);
    unlink(path);
}

static void t_dev(void)
{
    int kq = kqueue();
    int fd = open("/dev/null", O_RDWR);
    CHECK(fd >= 0);
    CHECK(change(kq, fd, EVFILT_READ, EV_ADD, 0, 0) == 0);
    CHECK(change(kq, fd, EVFILT_WRITE, EV_ADD, 0, 0) == 0);
    CHECK(poll_kq(kq) == 2);
    CHECK(change(kq, 1, EVFILT_WRITE, EV_ADD, 0, 0) == 0);      /* the console */
    CHECK(find(poll_kq(kq), 1, EVFILT_WRITE) != NULL);
    close(fd);
    close(kq);
}

/* stdin is the console with "abc" waiting, or at its end */
static int console_flags = EV_ADD;
static void t_console(void);

static void t_console_clear(void)
{
    console_flags = EV_ADD | EV_CLEAR;
    t_console();
}

static void t_console(void)
{
    int kq = kqueue();
    CHECK(change(kq, 0, EVFILT_READ, console_flags, 0, 0) == 0);
    int n = kevent(kq, NULL, 0, ev, 16, NULL);
    CHECK(n == 1 && ev[0].ident == 0);
    char buf[16];
    int k = read(0, buf, sizeof buf);
    printf("console data=%lld eof=%d read=%d\n", (long long)ev[0].data,
           !!(ev[0].flags & EV_EOF), k);
    close(kq);
}

static void t_ioctl(void)
{
    int kq = kqueue();
    char name[32];
    struct kfilter_mapping km = {name, sizeof name, EVFILT_TIMER};
    CHECK(KFILTER_BYFILTER == 0xc00c6b00UL && KFILTER_BYNAME == 0xc00c6b01UL);
    CHECK(ioctl(kq, KFILTER_BYFILTER, &km) == 0 && strcmp(name, "EVFILT_TIMER") == 0);
    km.filter = 77;
    CHECK(ioctl(kq, KFILTER_BYFILTER, &km) == -1 && errno == ENOENT);
    km.filter = EVFILT_READ;
    km.len = 4;
    CHECK(ioctl(kq, KFILTER_BYFILTER, &km) == -1 && errno == ENAMETOOLONG);
    strcpy(name, "EVFILT_SIGNAL");
    km.filter = 0;
    CHECK(ioctl(kq, KFILTER_BYNAME, &km) == 0 && km.filter == EVFILT_SIGNAL);
    strcpy(name, "EVFILT_NONE");
    CHECK(ioctl(kq, KFILTER_BYNAME, &km) == -1 && errno == ENOENT);
    CHECK(ioctl(kq, FIONREAD, &km) == -1 && errno == ENOTTY);
    close(kq);
}

static const struct { const char *name; void (*fn)(void); } tests[] = {
    {"layout", t_layout}, {"pipe", t_pipe}, {"clear", t_clear}, {"flags", t_flags},
    {"errors", t_errors}, {"kqueue1", t_kqueue1}, {"close", t_close}, {"poll", t_poll},
    {"block", t_block}, {"timer", t_timer}, {"signal", t_signal}, {"proc", t_proc},
    {"fork", t_fork}, {"user", t_user}, {"file", t_file}, {"fifo", t_fifo}, {"dev", t_dev},
    {"ioctl", t_ioctl}, {"console", t_console}, {"console_clear", t_console_clear},
};

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    for (int a = 1; a < argc; a++) {
        int found = 0;
        for (unsigned i = 0; i < sizeof tests / sizeof tests[0]; i++) {
            if (strcmp(argv[a], tests[i].name) == 0) {
                int before = failures;
                tests[i].fn();
                if (failures == before)
                    printf("PASS %s\n", argv[a]);
                found = 1;
            }
        }
        if (!found) {
            printf("FAIL unknown test %s\n", argv[a]);
            failures++;
        }
    }
    return failures ? 1 : 0;
}
