/*
 * POSIX semaphores over the kernel's _ksem_* calls (tests/test_nbsd_ksem.py).
 * Prints "ok NAME" or "FAIL NAME: ..." per check, then "done N" (failures).
 * Unnamed and named semaphores, their errors (as NetBSD's uipc_sem.c gives
 * them), a named semaphore shared with a forked child, a setuid child
 * refused by the mode (EACCES), and a signal during sem_wait: with
 * SA_RESTART the wait goes on (the handler ran, the call returns 0 once the
 * child posts), without it the wait ends with EINTR.
 */
#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int _ksem_init(unsigned int, intptr_t *);
int _ksem_post(intptr_t);
int _ksem_close(intptr_t);
int _ksem_wait(intptr_t);
int _ksem_getvalue(intptr_t, unsigned int *);

static int fails;

static void
check(const char *name, int cond, const char *fmt, long a, long b)
{
    if (cond) {
        printf("ok %s\n", name);
        return;
    }
    printf("FAIL %s: ", name);
    printf(fmt, a, b);
    printf("\n");
    fails++;
}

/* call failed with the errno expected */
#define ERR(name, call, e) do { errno = 0; long r_ = (long)(call); \
    check(name, r_ == -1 && errno == (e), "r=%ld errno=%ld", r_, (long)errno); } while (0)
#define OK(name, call) do { errno = 0; long r_ = (long)(call); \
    check(name, r_ == 0, "r=%ld errno=%ld", r_, (long)errno); } while (0)

static volatile int caught;

static void
on_alrm(int sig)
{
    (void)sig;
    caught++;
}

/* a child that signals the parent, then posts the named semaphore */
static pid_t
signal_then_post(const char *name)
{
    pid_t pid = fork();

    if (pid == 0) {
        struct timespec d = {0, 200000000};
        sem_t *c = sem_open(name, 0);

        nanosleep(&d, NULL);
        kill(getppid(), SIGALRM);
        nanosleep(&d, NULL);
        sem_post(c);
        _exit(c == SEM_FAILED);
    }
    return pid;
}

static void
signal_case(const char *tag, int flags)
{
    struct sigaction sa;
    sem_t *s;
    pid_t pid;
    int st, r, e;
    char name[32];

    snprintf(name, sizeof(name), "/ksig%s", tag);
    sem_unlink(name);
    s = sem_open(name, O_CREAT | O_EXCL, 0600, 0);
    check("signal sem_open", s != SEM_FAILED, "errno=%ld%ld", errno, 0);
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_alrm;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    caught = 0;
    pid = signal_then_post(name);
    errno = 0;
    r = sem_wait(s);
    e = errno;
    if (flags & SA_RESTART)
        check("sa_restart: sem_wait goes on after the handler", r == 0 && caught == 1,
              "r=%ld caught=%ld", r, caught);
    else {
        check("no sa_restart: sem_wait ends with EINTR", r == -1 && e == EINTR && caught == 1,
              "r=%ld errno=%ld", r, e);
        OK("no sa_restart: the post arrives later", sem_wait(s));
    }
    waitpid(pid, &st, 0);
    check("signal child", WIFEXITED(st) && WEXITSTATUS(st) == 0, "st=%ld%ld", st, 0);
    OK("signal sem_close", sem_close(s));
    OK("signal sem_unlink", sem_unlink(name));
}

int
main(void)
{
    sem_t u, m, *n, *n2;
    int v, st;
    unsigned int uv;
    intptr_t id;
    pid_t pid;
    struct timespec ts, now;

    setvbuf(stdout, NULL, _IONBF, 0);

    /* -- unnamed -- */
    ERR("sem_init above SEM_VALUE_MAX", sem_init(&u, 0, (unsigned)SEM_VALUE_MAX + 1), EINVAL);
    OK("sem_init", sem_init(&u, 0, 0));
    ERR("sem_trywait at 0", sem_trywait(&u), EAGAIN);
    OK("sem_post", sem_post(&u));
    OK("sem_getvalue", sem_getvalue(&u, &v));
    check("value 1", v == 1, "v=%ld%ld", v, 0);
    OK("sem_trywait", sem_trywait(&u));
    OK("sem_post 2", sem_post(&u));
    OK("sem_wait with a unit", sem_wait(&u));
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec -= 1;
    ERR("sem_timedwait past", sem_timedwait(&u, &ts), ETIMEDOUT);
    ts.tv_nsec = 1000000000;
    ERR("sem_timedwait bad nsec", sem_timedwait(&u, &ts), EINVAL);
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 300000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_nsec -= 1000000000;
        ts.tv_sec++;
    }
    ERR("sem_timedwait times out", sem_timedwait(&u, &ts), ETIMEDOUT);
    clock_gettime(CLOCK_REALTIME, &now);
    check("sem_timedwait waited until the deadline",
          now.tv_sec > ts.tv_sec || (now.tv_sec == ts.tv_sec && now.tv_nsec >= ts.tv_nsec),
          "short by %ld ns%ld", (long)((ts.tv_sec - now.tv_sec) * 1000000000L + ts.tv_nsec - now.tv_nsec), 0);
    OK("sem_post 3", sem_post(&u));
    OK("sem_timedwait with a unit", sem_timedwait(&u, &ts));
    ERR("sem_close of an unnamed one", sem_close(&u), EINVAL);
    OK("sem_destroy", sem_destroy(&u));
    ERR("sem_post after destroy", sem_post(&u), EINVAL);

    /* raw kernel calls: EOVERFLOW at the kernel's SEM_VALUE_MAX (~0U), bad ids */
    OK("_ksem_init ~0U", _ksem_init(~0U, &id));
    ERR("_ksem_post past the maximum", _ksem_post(id), EOVERFLOW);
    OK("_ksem_getvalue", _ksem_getvalue(id, &uv));
    check("value ~0U", uv == ~0U, "v=%ld%ld", (long)uv, 0);
    ERR("_ksem_getvalue EFAULT", _ksem_getvalue(id, (unsigned int *)8), EFAULT);
    OK("_ksem_close of an unnamed id", _ksem_close(id));
    ERR("_ksem_post of a closed id", _ksem_post(id), EINVAL);
    ERR("_ksem_close of a closed id", _ksem_close(id), EBADF);
    ERR("_ksem_init EFAULT", _ksem_init(0, (intptr_t *)8), EFAULT);

    /* an unnamed semaphore is shared with a forked child (its id is inherited) */
    OK("sem_init shared", sem_init(&m, 1, 0));
    pid = fork();
    if (pid == 0)
        _exit(sem_post(&m) != 0);
    OK("sem_wait for the child's post", sem_wait(&m));
    waitpid(pid, &st, 0);
    check("fork child posted", WIFEXITED(st) && WEXITSTATUS(st) == 0, "st=%ld%ld", st, 0);
    OK("sem_destroy shared", sem_destroy(&m));

    /* -- named -- */
    sem_unlink("/kw86ksem");
    errno = 0;
    check("sem_open missing: ENOENT", sem_open("/kw86ksem", 0) == SEM_FAILED && errno == ENOENT,
          "errno=%ld%ld", errno, 0);
    errno = 0;
    check("sem_open no slash: EINVAL", sem_open("kw86ksem", O_CREAT, 0600, 0) == SEM_FAILED &&
          errno == EINVAL, "errno=%ld%ld", errno, 0);
    errno = 0;
    check("sem_open inner slash: EINVAL", sem_open("/a/b", O_CREAT, 0600, 0) == SEM_FAILED &&
          errno == EINVAL, "errno=%ld%ld", errno, 0);
    errno = 0;
    check("sem_open long name: ENAMETOOLONG",
          sem_open("/abcdefghijklmno", O_CREAT, 0600, 0) == SEM_FAILED && errno == ENAMETOOLONG,
          "errno=%ld%ld", errno, 0);
    errno = 0;
    check("sem_open big value: EINVAL",
          sem_open("/kw86ksem", O_CREAT, 0600, (unsigned)SEM_VALUE_MAX + 1) == SEM_FAILED &&
          errno == EINVAL, "errno=%ld%ld", errno, 0);
    n = sem_open("/kw86ksem", O_CREAT | O_EXCL, 0600, 2);
    check("sem_open O_CREAT|O_EXCL", n != SEM_FAILED, "errno=%ld%ld", errno, 0);
    errno = 0;
    check("sem_open O_EXCL again: EEXIST",
          sem_open("/kw86ksem", O_CREAT | O_EXCL, 0600, 0) == SEM_FAILED && errno == EEXIST,
          "errno=%ld%ld", errno, 0);
    n2 = sem_open("/kw86ksem", 0);
    check("sem_open again: the same sem_t", n2 == n, "%ld %ld", (long)n2, (long)n);
    ERR("sem_destroy of a named one", sem_destroy(n), EINVAL);
    pid = fork();
    if (pid == 0) {
        sem_t *c = sem_open("/kw86ksem", 0);
        int bad = c == SEM_FAILED || sem_post(c) != 0 || sem_close(c) != 0;
        _exit(bad);
    }
    OK("named wait 1", sem_wait(n));
    OK("named wait 2", sem_wait(n));
    OK("named wait 3 (the child's post)", sem_wait(n));
    waitpid(pid, &st, 0);
    check("named child", WIFEXITED(st) && WEXITSTATUS(st) == 0, "st=%ld%ld", st, 0);

    /* a mode without write permission refuses another user (EACCES) */
    n2 = sem_open("/kw86ro", O_CREAT, 0444, 0);
    check("sem_open 0444", n2 != SEM_FAILED, "errno=%ld%ld", errno, 0);
    pid = fork();
    if (pid == 0) {
        int r = 0;

        if (setuid(1000) != 0)
            _exit(3);
        errno = 0;
        if (sem_open("/kw86ro", 0) != SEM_FAILED || errno != EACCES)
            r |= 1;
        errno = 0;
        if (sem_unlink("/kw86ro") != -1 || errno != EACCES)
            r |= 2;
        _exit(r);
    }
    waitpid(pid, &st, 0);
    check("another user: EACCES for open and unlink", WIFEXITED(st) && WEXITSTATUS(st) == 0,
          "status=%ld%ld", st, 0);
    OK("sem_close 0444", sem_close(n2));
    OK("sem_unlink 0444", sem_unlink("/kw86ro"));

    /* unlinked but open: still usable; the name is free again */
    OK("sem_unlink", sem_unlink("/kw86ksem"));
    ERR("sem_unlink again", sem_unlink("/kw86ksem"), ENOENT);
    OK("post after unlink", sem_post(n));
    OK("getvalue after unlink", sem_getvalue(n, &v));
    check("value after unlink", v == 1, "v=%ld%ld", v, 0);
    n2 = sem_open("/kw86ksem", O_CREAT | O_EXCL, 0600, 5);
    check("a new one under the name", n2 != SEM_FAILED && n2 != n, "errno=%ld%ld", errno, 0);
    OK("getvalue new", sem_getvalue(n2, &v));
    check("value new", v == 5, "v=%ld%ld", v, 0);
    OK("sem_close", sem_close(n));
    /* n was opened twice (n2 == n above): the second sem_close matches the
     * second sem_open, and only a third is past the last open */
    OK("sem_close of the second sem_open", sem_close(n));
    ERR("sem_close again", sem_close(n), EINVAL);
    OK("sem_close new", sem_close(n2));
    OK("sem_unlink new", sem_unlink("/kw86ksem"));

    /* -- signals during sem_wait -- */
    signal_case("r", SA_RESTART);
    signal_case("i", 0);

    printf("done %d\n", fails);
    return fails != 0;
}
