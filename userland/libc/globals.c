/* kw86 libc: process-wide state set up by crt0. */
#include <stddef.h>
#include <stdlib.h>
#include <errno.h>

#include "libc_private.h"

char **environ;

void *__kw86_syscall_gate;
size_t __kw86_pagesize = 4096;
const char *__kw86_execname;
struct ps_strings *__kw86_ps_strings;
const char *__kw86_progname = "";

void
__kw86_set_progname(const char *argv0)
{
    const char *p;

    if (argv0 == NULL || *argv0 == '\0')
        return;
    __kw86_progname = argv0;
    for (p = argv0; *p != '\0'; p++)
        if (*p == '/' && p[1] != '\0')
            __kw86_progname = p + 1;
}

const char *
getprogname(void)
{
    return __kw86_progname;
}

void
setprogname(const char *name)
{
    __kw86_set_progname(name);
}
