/* kw86 libc: POSIX process scheduling over NetBSD's system calls, as
 * NetBSD's libc layers them: every call names all LWPs of the process
 * (lid 0); sched_setparam keeps the class (SCHED_NONE), sched_setscheduler
 * reads the old class first and returns it.  The real-time priority range
 * and round-robin quantum are sysconf's _SC_SCHED_PRI_MIN/MAX and
 * _SC_SCHED_RT_TS (kern.sched.rtts, milliseconds: NetBSD's sched_rr_get_interval
 * multiplies it by 1000 for nanoseconds); SCHED_OTHER has no priorities (-1). */
#include <sched.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#define ALL_LWPS 0
#define NO_PRI   (-1)

int
sched_setparam(pid_t pid, const struct sched_param *param)
{
    struct sched_param sp;

    memset(&sp, 0, sizeof(sp));
    sp.sched_priority = param->sched_priority;
    return _sched_setparam(pid, ALL_LWPS, SCHED_NONE, &sp);
}

int
sched_getparam(pid_t pid, struct sched_param *param)
{
    return _sched_getparam(pid, ALL_LWPS, NULL, param);
}

int
sched_setscheduler(pid_t pid, int policy, const struct sched_param *param)
{
    struct sched_param sp;
    int old;

    if (_sched_getparam(pid, ALL_LWPS, &old, &sp) < 0)
        return -1;
    memset(&sp, 0, sizeof(sp));
    sp.sched_priority = param->sched_priority;
    if (_sched_setparam(pid, ALL_LWPS, policy, &sp) < 0)
        return -1;
    return old;
}

int
sched_getscheduler(pid_t pid)
{
    struct sched_param sp;
    int policy;

    if (_sched_getparam(pid, ALL_LWPS, &policy, &sp) < 0)
        return -1;
    return policy;
}

int
sched_get_priority_max(int policy)
{
    switch (policy) {
    case SCHED_OTHER:
        return NO_PRI;
    case SCHED_FIFO:
    case SCHED_RR:
        return (int)sysconf(_SC_SCHED_PRI_MAX);
    default:
        errno = EINVAL;
        return -1;
    }
}

int
sched_get_priority_min(int policy)
{
    switch (policy) {
    case SCHED_OTHER:
        return NO_PRI;
    case SCHED_FIFO:
    case SCHED_RR:
        return (int)sysconf(_SC_SCHED_PRI_MIN);
    default:
        errno = EINVAL;
        return -1;
    }
}

int
sched_rr_get_interval(pid_t pid, struct timespec *interval)
{
    if (pid && kill(pid, 0) == -1)
        return -1;
    interval->tv_sec = 0;
    interval->tv_nsec = sysconf(_SC_SCHED_RT_TS) * 1000;
    return 0;
}
