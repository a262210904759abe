/* wait6(2) (NetBSD 10, syscall 481) and waitid(2) over it: each idtype
 * (P_PID, P_ALL, P_PGID with 0 for the caller's group, P_SID, P_UID, P_GID;
 * P_LWPID selects no child), each option (WEXITED, WSTOPPED, WCONTINUED,
 * WNOHANG, WNOWAIT, WNOZOMBIE), the SIGCHLD siginfo, struct wrusage, the
 * errors (ECHILD, EINVAL, EFAULT), a stopped and continued child.
 * Prints "ok ..."/"FAIL ..." lines and "done N" (N failures). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>

static int fails;

static void
check(int cond, const char *what)
{
    printf("%s %s\n", cond ? "ok" : "FAIL", what);
    fflush(stdout);
    if (!cond)
        fails++;
}

static void
check_err(long r, int want, const char *what)
{
    char buf[200];
    snprintf(buf, sizeof buf, "%s (r=%ld errno=%d want %d)", what, r, r < 0 ? errno : 0, want);
    check(r == -1 && errno == want, buf);
}

/* a child that exits with code once a byte (or EOF) arrives on the pipe */
static pid_t
child_gated(int code, int *gate)
{
    int fd[2];
    char b;
    pid_t c;

    if (pipe(fd) < 0)
        return -1;
    c = fork();
    if (c == 0) {
        close(fd[1]);
        (void)read(fd[0], &b, 1);
        _exit(code);
    }
    close(fd[0]);
    *gate = fd[1];
    return c;
}

static pid_t
child_exit(int code)
{
    pid_t c = fork();
    if (c == 0)
        _exit(code);
    return c;
}

static void
fill(siginfo_t *si)
{
    memset(si, 0xa5, sizeof(*si));
}

static int
is_child_info(const siginfo_t *si, pid_t c, int code, int status)
{
    return si->si_signo == SIGCHLD && si->si_code == code && si->si_pid == c &&
           si->si_uid == getuid() && si->si_status == status;
}

static long
usec(const struct timeval *tv)
{
    return (long)tv->tv_sec * 1000000L + tv->tv_usec;
}

static void
idtypes(void)
{
    siginfo_t si;
    int st, gate;
    pid_t c, c2;

    /* P_PID: status, siginfo */
    c = child_exit(7);
    fill(&si);
    st = -1;
    check(wait6(P_PID, c, &st, WEXITED, NULL, &si) == c && WIFEXITED(st) && WEXITSTATUS(st) == 7,
          "wait6(P_PID, WEXITED): the child, exit status 7");
    check(is_child_info(&si, c, CLD_EXITED, 7), "wait6 siginfo: SIGCHLD, CLD_EXITED, pid, uid, 7");
    check_err(wait6(P_PID, c, &st, WEXITED, NULL, NULL), ECHILD, "wait6(P_PID) reaped: ECHILD");

    /* P_ALL */
    c = child_exit(3);
    fill(&si);
    check(waitid(P_ALL, 0, &si, WEXITED) == 0 && is_child_info(&si, c, CLD_EXITED, 3),
          "waitid(P_ALL): the child, CLD_EXITED 3");

    /* P_PGID: a child in a group of its own, one in the caller's (id 0) */
    c = child_gated(4, &gate);
    check(setpgid(c, c) == 0, "setpgid(child, child)");
    c2 = child_exit(5);
    fill(&si);
    check(waitid(P_PGID, 0, &si, WEXITED) == 0 && is_child_info(&si, c2, CLD_EXITED, 5),
          "waitid(P_PGID, 0): the child of the caller's group");
    fill(&si);
    check(waitid(P_PGID, getpgrp(), &si, WEXITED | WNOHANG) == -1 && errno == ECHILD,
          "waitid(P_PGID, own group): no child left there: ECHILD");
    close(gate);
    fill(&si);
    check(waitid(P_PGID, c, &si, WEXITED) == 0 && is_child_info(&si, c, CLD_EXITED, 4),
          "waitid(P_PGID, the child's group): that child");

    /* P_SID */
    c = child_exit(6);
    check_err(waitid(P_SID, getsid(0) + 1000, &si, WEXITED), ECHILD,
              "waitid(P_SID, another session): ECHILD");
    fill(&si);
    check(waitid(P_SID, getsid(0), &si, WEXITED) == 0 && is_child_info(&si, c, CLD_EXITED, 6),
          "waitid(P_SID, own session): the child");

    /* P_UID, P_GID: effective ids */
    c = child_exit(8);
    check_err(waitid(P_UID, geteuid() + 1, &si, WEXITED), ECHILD, "waitid(P_UID, other uid): ECHILD");
    fill(&si);
    check(waitid(P_UID, geteuid(), &si, WEXITED) == 0 && is_child_info(&si, c, CLD_EXITED, 8),
          "waitid(P_UID, own euid): the child");
    c = child_exit(9);
    check_err(waitid(P_GID, getegid() + 1, &si, WEXITED), ECHILD, "waitid(P_GID, other gid): ECHILD");
    fill(&si);
    check(waitid(P_GID, getegid(), &si, WEXITED) == 0 && is_child_info(&si, c, CLD_EXITED, 9),
          "waitid(P_GID, own egid): the child");

    /* P_LWPID (and any other idtype) selects no child */
    c = child_exit(1);
    check_err(waitid(P_LWPID, c, &si, WEXITED), ECHILD, "waitid(P_LWPID): selects no child: ECHILD");
    check(waitpid(c, &st, 0) == c && WEXITSTATUS(st) == 1, "waitpid still reaps it");
}

static void
options(void)
{
    siginfo_t si;
    struct wrusage wru;
    int st, gate;
    pid_t c;

    /* WNOHANG and nothing to report: 0, si_pid 0 */
    c = child_gated(2, &gate);
    fill(&si);
    check(waitid(P_PID, c, &si, WEXITED | WNOHANG) == 0 && si.si_pid == 0 && si.si_signo == 0,
          "waitid(WNOHANG), child running: 0, si_pid 0");
    fill(&si);
    check(wait6(P_PID, c, &st, WEXITED | WNOHANG, NULL, &si) == 0 && si.si_pid == 0,
          "wait6(WNOHANG), child running: 0, zeroed siginfo");
    close(gate);

    /* WNOWAIT leaves the child waitable, a real wait then reaps it */
    fill(&si);
    check(waitid(P_PID, c, &si, WEXITED | WNOWAIT) == 0 && is_child_info(&si, c, CLD_EXITED, 2),
          "waitid(WEXITED|WNOWAIT): reported");
    fill(&si);
    st = -1;
    check(wait6(P_ALL, 0, &st, WEXITED | WNOWAIT, &wru, &si) == c && WEXITSTATUS(st) == 2 &&
          is_child_info(&si, c, CLD_EXITED, 2), "wait6(WNOWAIT) again: still there");
    /* WNOZOMBIE: zombies are not reported */
    check(wait6(P_PID, c, &st, WEXITED | WNOZOMBIE | WNOHANG, NULL, NULL) == 0,
          "wait6(WNOZOMBIE|WNOHANG) with only a zombie: 0");
    /* without WEXITED an exit is not reported */
    check(wait6(P_PID, c, &st, WSTOPPED | WCONTINUED | WNOHANG, NULL, NULL) == 0,
          "wait6(WSTOPPED|WCONTINUED|WNOHANG) with a zombie: 0");
    fill(&si);
    check(waitid(P_PID, c, &si, WEXITED) == 0 && is_child_info(&si, c, CLD_EXITED, 2),
          "waitid(WEXITED) after WNOWAIT: reaped");
    check_err(waitid(P_PID, c, &si, WEXITED | WNOHANG), ECHILD, "then gone: ECHILD");

    /* killed, dumped */
    c = fork();
    if (c == 0) {
        kill(getpid(), SIGKILL);
        _exit(0);
    }
    fill(&si);
    st = -1;
    check(wait6(P_PID, c, &st, WEXITED, NULL, &si) == c && WIFSIGNALED(st) &&
          WTERMSIG(st) == SIGKILL && !WCOREDUMP(st) && is_child_info(&si, c, CLD_KILLED, SIGKILL),
          "SIGKILL: CLD_KILLED, si_status SIGKILL");
    c = fork();
    if (c == 0) {
        kill(getpid(), SIGQUIT);
        _exit(0);
    }
    fill(&si);
    st = -1;
    check(wait6(P_PID, c, &st, WEXITED, NULL, &si) == c && WIFSIGNALED(st) &&
          WTERMSIG(st) == SIGQUIT && si.si_pid == c && si.si_status == SIGQUIT &&
          si.si_code == (WCOREDUMP(st) ? CLD_DUMPED : CLD_KILLED),
          "SIGQUIT: CLD_DUMPED iff WCOREDUMP, si_status SIGQUIT");

    /* wrusage: the child's own time (a grandchild's included) and its children's */
    c = fork();
    if (c == 0) {
        volatile unsigned long x = 0;
        pid_t g = fork();
        unsigned long i;
        for (i = 0; i < 300000; i++)
            x += i;
        if (g == 0)
            _exit(0);
        waitpid(g, NULL, 0);
        _exit(0);
    }
    memset(&wru, 0xa5, sizeof wru);
    check(wait6(P_PID, c, &st, WEXITED, &wru, NULL) == c, "wait6 with wrusage");
    {
        long self = usec(&wru.wru_self.ru_utime) + usec(&wru.wru_self.ru_stime);
        long kids = usec(&wru.wru_children.ru_utime) + usec(&wru.wru_children.ru_stime);
        char buf[160];
        snprintf(buf, sizeof buf, "wrusage: self %ld us >= children %ld us > 0, usec < 1e6",
                 self, kids);
        check(kids > 0 && self >= kids && wru.wru_self.ru_utime.tv_usec < 1000000 &&
              wru.wru_children.ru_stime.tv_usec < 1000000 && wru.wru_children.ru_maxrss == 0,
              buf);
    }
}

static void
stop_continue(void)
{
    siginfo_t si;
    int st, gate;
    pid_t c = child_gated(0, &gate);

    check(kill(c, SIGSTOP) == 0, "SIGSTOP the child");
    fill(&si);
    check(waitid(P_PID, c, &si, WSTOPPED | WNOWAIT) == 0 && is_child_info(&si, c, CLD_STOPPED, SIGSTOP),
          "waitid(WSTOPPED|WNOWAIT): CLD_STOPPED, SIGSTOP");
    st = -1;
    check(wait6(P_PID, c, &st, WUNTRACED | WNOHANG, NULL, NULL) == c && WIFSTOPPED(st) &&
          WSTOPSIG(st) == SIGSTOP, "wait6(WUNTRACED) after WNOWAIT: still reported, WIFSTOPPED");
    fill(&si);
    check(waitid(P_PID, c, &si, WSTOPPED | WNOHANG) == 0 && si.si_pid == 0,
          "waitid(WSTOPPED|WNOHANG) again: reported once");
    check(waitid(P_PID, c, &si, WEXITED | WCONTINUED | WNOHANG) == 0 && si.si_pid == 0,
          "waitid(WEXITED|WCONTINUED|WNOHANG) while stopped: nothing");
    check(kill(c, SIGCONT) == 0, "SIGCONT the child");
    fill(&si);
    check(waitid(P_PID, c, &si, WCONTINUED | WNOWAIT) == 0 &&
          is_child_info(&si, c, CLD_CONTINUED, SIGCONT), "waitid(WCONTINUED|WNOWAIT): CLD_CONTINUED");
    fill(&si);
    st = -1;
    check(wait6(P_PID, c, &st, WCONTINUED, NULL, &si) == c && WIFCONTINUED(st) &&
          is_child_info(&si, c, CLD_CONTINUED, SIGCONT), "wait6(WCONTINUED): WIFCONTINUED");
    check(wait6(P_PID, c, &st, WCONTINUED | WNOHANG, NULL, NULL) == 0,
          "wait6(WCONTINUED|WNOHANG) again: reported once");
    close(gate);
    fill(&si);
    check(waitid(P_PID, c, &si, WEXITED) == 0 && is_child_info(&si, c, CLD_EXITED, 0),
          "the continued child exits: CLD_EXITED 0");
}

static void
errors(void)
{
    siginfo_t si;
    int st;
    pid_t c;

    check_err(waitid(P_ALL, 0, &si, WEXITED), ECHILD, "waitid, no children: ECHILD");
    check_err(wait6(P_ALL, 0, &st, WEXITED | WNOHANG, NULL, NULL), ECHILD,
              "wait6(WNOHANG), no children: ECHILD");
    c = child_exit(0);
    check_err(waitid(P_PID, c, &si, 0), EINVAL, "waitid, options 0: EINVAL");
    check_err(waitid(P_PID, c, &si, WNOHANG | WNOWAIT), EINVAL,
              "waitid, none of WEXITED/WSTOPPED/WCONTINUED: EINVAL");
    check_err(wait6(P_PID, c, &st, WEXITED | 0x80, NULL, NULL), EINVAL, "wait6, unknown option: EINVAL");
    check_err(wait6(P_PID, c, &st, WEXITED | WNOWAIT, NULL, (siginfo_t *)8), EFAULT,
              "wait6, bad siginfo pointer: EFAULT");
    check_err(wait6(P_PID, c, (int *)8, WEXITED | WNOWAIT, NULL, NULL), EFAULT,
              "wait6, bad status pointer: EFAULT");
    check_err(wait6(P_PID, c, NULL, WEXITED | WNOWAIT, (struct wrusage *)8, NULL), EFAULT,
              "wait6, bad wrusage pointer: EFAULT");
    check_err(waitid(P_PID, c, (siginfo_t *)8, WEXITED), EFAULT, "waitid, bad siginfo pointer: EFAULT");
    check_err(waitid(P_PID, c, &si, WEXITED), ECHILD, "the EFAULT wait reaped it: ECHILD");
}

int
main(void)
{
    idtypes();
    options();
    stop_continue();
    errors();
    printf("done %d\n", fails);
    return fails != 0;
}
