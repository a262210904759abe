/* kw86 libc: sigwait, sigwaitinfo, sigtimedwait and sigqueue over the kernel's
 * ____sigtimedwait50 (431) and sigqueueinfo (245), as NetBSD's libc builds them.
 * The POSIX timer calls (timer_create ...) are plain system-call stubs
 * (syscalls.master). */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int __sys_sigtimedwait(const sigset_t *, siginfo_t *, struct timespec *);

int
sigtimedwait(const sigset_t *restrict set, siginfo_t *restrict info,
             const struct timespec *restrict timeout)
{
    struct timespec ts, *tp = NULL;

    if (timeout != NULL) {              /* the kernel may write the time left */
        ts = *timeout;
        tp = &ts;
    }
    return __sys_sigtimedwait(set, info, tp);
}

int
sigwaitinfo(const sigset_t *restrict set, siginfo_t *restrict info)
{
    return __sys_sigtimedwait(set, info, NULL);
}

/* sigwait returns the error number instead of setting errno, and is not
 * ended by a caught signal (POSIX: its only error is EINVAL). */
int
sigwait(const sigset_t *restrict set, int *restrict sig)
{
    int saved = errno, r;

    do
        r = __sys_sigtimedwait(set, NULL, NULL);
    while (r == -1 && errno == EINTR);
    if (r == -1) {
        r = errno;
        errno = saved;
        return r;
    }
    *sig = r;
    return 0;
}

int
sigqueue(pid_t pid, int sig, const union sigval value)
{
    siginfo_t info;

    memset(&info, 0, sizeof info);
    info.si_signo = sig;
    info.si_code = SI_QUEUE;
    info.si_pid = getpid();
    info.si_uid = geteuid();
    info.si_value = value;
    return sigqueueinfo(pid, &info);
}
