/* kw86 libc: signals.  sigaction passes the kernel our version-2 (siginfo) trampoline. */
#include <signal.h>
#include <unistd.h>
#include <errno.h>
#include <string.h>

#include "libc_private.h"

int
sigaction(int sig, const struct sigaction *restrict act, struct sigaction *restrict oact)
{
    /* Version 2: the kernel builds a siginfo frame and the handler returns into
     * __sigtramp_siginfo_2, which resumes the interrupted context (abi doc section 7). */
    return __sys_sigaction_sigtramp(sig, act, oact,
                                    act != NULL ? __sigtramp_siginfo_2 : NULL, 2);
}

/* BSD signal(): the handler stays installed and interrupted calls restart. */
void (*signal(int sig, void (*handler)(int)))(int)
{
    struct sigaction sa, osa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = handler;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, &osa) < 0)
        return SIG_ERR;
    return osa.sa_handler;
}

int
siginterrupt(int sig, int flag)
{
    struct sigaction sa;

    if (sigaction(sig, NULL, &sa) < 0)
        return -1;
    if (flag)
        sa.sa_flags &= ~SA_RESTART;
    else
        sa.sa_flags |= SA_RESTART;
    return sigaction(sig, &sa, NULL);
}

static int
valid(int sig)
{
    if (sig <= 0 || sig >= NSIG) {
        errno = EINVAL;
        return 0;
    }
    return 1;
}

int
sigemptyset(sigset_t *set)
{
    memset(set, 0, sizeof(*set));
    return 0;
}

int
sigfillset(sigset_t *set)
{
    memset(set, 0xff, sizeof(*set));
    return 0;
}

int
sigaddset(sigset_t *set, int sig)
{
    if (!valid(sig))
        return -1;
    set->__bits[(sig - 1) / 32] |= 1U << ((sig - 1) % 32);
    return 0;
}

int
sigdelset(sigset_t *set, int sig)
{
    if (!valid(sig))
        return -1;
    set->__bits[(sig - 1) / 32] &= ~(1U << ((sig - 1) % 32));
    return 0;
}

int
sigismember(const sigset_t *set, int sig)
{
    if (!valid(sig))
        return -1;
    return (set->__bits[(sig - 1) / 32] >> ((sig - 1) % 32)) & 1;
}

int _lwp_kill(lwpid_t, int);
lwpid_t _lwp_self(void);

/* POSIX: raise is pthread_kill(pthread_self(), sig), a signal to the calling
 * thread only (NetBSD: _lwp_kill(_lwp_self(), sig)) */
int
raise(int sig)
{
    return _lwp_kill(_lwp_self(), sig);
}

int
killpg(pid_t pgrp, int sig)
{
    if (pgrp <= 1) {
        errno = EINVAL;
        return -1;
    }
    return kill(-pgrp, sig);
}
