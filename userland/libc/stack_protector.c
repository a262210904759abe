/*
 * kw86 libc: the stack protector's guard and its failure, the interface NetBSD's
 * libc gives code compiled with -fstack-protector (GCC's, clang's):
 *
 *   long __stack_chk_guard[8]   the canary; the code reads the first word
 *                               (NetBSD's GCC: -mstack-protector-guard=global)
 *   void __stack_chk_fail(void) a function's canary was overwritten
 *   void __stack_chk_fail_local(void)  the same, called by PIC/PIE code (hidden)
 *   void __chk_fail(void)       a _FORTIFY_SOURCE check failed
 *
 * NetBSD fills the guard from kern.arandom at start-up (__guard_setup, from
 * _libc_init) and keeps the "terminator canary" 0, 0, '\n', 0xff when that sysctl
 * fails.  kw86's crt0 runs no start-up hooks (each instruction added there would
 * move every program's modelled cycles), so the guard starts as that terminator
 * canary, which stops string overflows (NUL and newline), and __guard_setup()
 * makes it random for a program that calls it before any protected frame is live
 * (tools/gcc_netbsd.py's start-up wrapper does, for programs it links).
 *
 * On failure, as NetBSD's __fail: every signal but SIGABRT blocked, the message
 * for syslog (LOG_CRIT; kw86 runs no syslogd, and NetBSD drops it too when none
 * listens), SIGABRT's action reset to the default, raise(SIGABRT), and _exit(127)
 * should the signal not end the process.
 */
#include <sys/param.h>
#include <sys/sysctl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "libc_private.h"

/* bytes 0, 0, '\n', 0xff in memory order (little-endian), then zero */
long __stack_chk_guard[8] = { 0xff0a0000L };

void __guard_setup(void);
void __stack_chk_fail(void) __attribute__((noreturn));
void __stack_chk_fail_local(void) __attribute__((noreturn, visibility("hidden")));
void __chk_fail(void) __attribute__((noreturn));

void
__guard_setup(void)
{
    int mib[2] = { CTL_KERN, KERN_ARND };
    long guard[8];
    size_t len = sizeof guard;

    if (sysctl(mib, 2, guard, &len, NULL, 0) == -1 || len != sizeof guard)
        return;                     /* keep the terminator canary */
    memcpy(__stack_chk_guard, guard, sizeof guard);
}

static void __attribute__((noreturn))
ssp_fail(void)
{
    struct sigaction sa;
    sigset_t mask;

    sigfillset(&mask);
    sigdelset(&mask, SIGABRT);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = SIG_DFL;
    sigaction(SIGABRT, &sa, NULL);
    raise(SIGABRT);
    _exit(127);
}

void
__stack_chk_fail(void)
{
    ssp_fail();     /* "stack overflow detected; terminated" for syslog */
}

void
__stack_chk_fail_local(void)
{
    __stack_chk_fail();
}

void
__chk_fail(void)
{
    ssp_fail();     /* "buffer overflow detected; terminated" for syslog */
}
