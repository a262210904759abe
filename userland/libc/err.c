/* kw86 libc: err/warn (BSD <err.h>): "prog: fmt: strerror(errno)\n" on stderr. */
#include <err.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libc_private.h"

/* The whole message is built first and written with one call, so that it reaches
 * stderr in one piece.  A message longer than the buffer (a path near MAXPATHLEN)
 * is written in pieces instead of being cut short. */
static void
vwarn_common(int with_errno, int code, const char *fmt, va_list ap)
{
    char msg[1024];
    size_t len;
    int n;
    va_list aq;

    (void)fflush(stdout);
    len = (size_t)snprintf(msg, sizeof(msg), "%s: ", __kw86_progname);
    if (fmt != NULL) {
        va_copy(aq, ap);
        n = vsnprintf(msg + len, sizeof(msg) - len, fmt, aq);
        va_end(aq);
        if (n < 0 || len + (size_t)n >= sizeof(msg)) {
            /* too long for the buffer: prog name, message, error, newline */
            fputs(__kw86_progname, stderr);
            fputs(": ", stderr);
            vfprintf(stderr, fmt, ap);
            if (with_errno) {
                fputs(": ", stderr);
                fputs(strerror(code), stderr);
            }
            fputc('\n', stderr);
            return;
        }
        len += (size_t)n;
        if (with_errno)
            len += (size_t)snprintf(msg + len, sizeof(msg) - len, ": ");
    }
    if (with_errno && len < sizeof(msg))
        len += (size_t)snprintf(msg + len, sizeof(msg) - len, "%s", strerror(code));
    if (len > sizeof(msg) - 2)
        len = sizeof(msg) - 2;      /* error text cut: keep room for the newline */
    msg[len++] = '\n';
    msg[len] = '\0';
    fputs(msg, stderr);
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
