/* kw86 libc: err/warn (BSD <err.h>): "prog: fmt: strerror(errno)\n" on stderr. */
#include <err.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libc_private.h"

static void
vwarn_common(int with_errno, int code, const char *fmt, va_list ap)
{
    (void)fflush(stdout);
    fprintf(stderr, "%s: ", __kw86_progname);
    if (fmt != NULL) {
        vfprintf(stderr, fmt, ap);
        if (with_errno)
            fputs(": ", stderr);
    }
    if (with_errno)
        fputs(strerror(code), stderr);
    fputc('\n', stderr);
}

void vwarn(const char *fmt, va_list ap) { vwarn_common(1, errno, fmt, ap); }
void vwarnx(const char *fmt, va_list ap) { vwarn_common(0, 0, fmt, ap); }

void
warn(const char *fmt, ...)
{
    va_list ap;
    int e = errno;

    va_start(ap, fmt);
    vwarn_common(1, e, fmt, ap);
    va_end(ap);
}

void
warnc(int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vwarn_common(1, code, fmt, ap);
    va_end(ap);
}

void
warnx(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vwarn_common(0, 0, fmt, ap);
    va_end(ap);
}

void
verr(int status, const char *fmt, va_list ap)
{
    vwarn_common(1, errno, fmt, ap);
    exit(status);
}

void
verrx(int status, const char *fmt, va_list ap)
{
    vwarn_common(0, 0, fmt, ap);
    exit(status);
}

void
err(int status, const char *fmt, ...)
{
    va_list ap;
    int e = errno;

    va_start(ap, fmt);
    vwarn_common(1, e, fmt, ap);
    va_end(ap);
    exit(status);
}

void
errc(int status, int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vwarn_common(1, code, fmt, ap);
    va_end(ap);
    exit(status);
}

void
errx(int status, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vwarn_common(0, 0, fmt, ap);
    va_end(ap);
    exit(status);
}
