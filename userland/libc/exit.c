/* kw86 libc: exit, atexit, abort. */
#include <stdlib.h>
#include <signal.h>
#include <unistd.h>
#include <errno.h>

#include "libc_private.h"

#define ATEXIT_MAX 32   /* POSIX asks for at least 32 */

static void (*atexit_fns[ATEXIT_MAX])(void);
static int atexit_count;

int
atexit(void (*fn)(void))
{
    if (atexit_count == ATEXIT_MAX) {
        errno = ENOMEM;
        return -1;
    }
    atexit_fns[atexit_count++] = fn;
    return 0;
}

void
exit(int status)
{
    /* Functions registered with atexit run in reverse order, then stdio flushes. */
    while (atexit_count > 0)
        atexit_fns[--atexit_count]();
    __kw86_stdio_flush_all();
    _exit(status);
}

void
_Exit(int status)
{
    _exit(status);
}

void
abort(void)
{
    sigset_t set;

    /* Unblock SIGABRT and raise it; if a handler returns, reset to the default and
     * raise again: abort never returns. */
    sigemptyset(&set);
    sigaddset(&set, SIGABRT);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    raise(SIGABRT);
    signal(SIGABRT, SIG_DFL);
    raise(SIGABRT);
    _exit(127);
}
