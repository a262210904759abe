/* kw86 libc: the printf family, each a sink for the engine in format.c. */
#include <stdio.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>

#include "stdio_impl.h"
#include "libc_private.h"
#include "pthread_int.h"

extern pthread_mutex_t __kw86_stdio_lock;

/* ---- to a FILE */

static int
out_file(void *arg, const char *p, size_t n)
{
    return __kw86_fwrite_bytes(arg, p, n);
}

/*
 * An unbuffered stream (stderr) gets the whole formatted output in one write, as
 * BSD's stdio does with a temporary buffer: a message is not split into pieces that
 * other processes' output could interleave with.
 */
struct tmpbuf {
    FILE  *fp;
    size_t len;
    int    failed;
    char   buf[1024];
};

static int
out_tmp(void *arg, const char *p, size_t n)
{
    struct tmpbuf *tb = arg;

    if (tb->len + n > sizeof(tb->buf)) {
        if (tb->len > 0 && __kw86_fwrite_bytes(tb->fp, tb->buf, tb->len) == EOF)
            tb->failed = 1;
        tb->len = 0;
        if (n > sizeof(tb->buf))
            return __kw86_fwrite_bytes(tb->fp, p, n);
    }
    memcpy(tb->buf + tb->len, p, n);
    tb->len += n;
    return 0;
}

static int
vfprintf_l(FILE *restrict fp, const char *restrict fmt, va_list ap)
{
    if (fp->mode == _IONBF) {
        struct tmpbuf tb;
        int n;

        tb.fp = fp;
        tb.len = 0;
        tb.failed = 0;
        n = __kw86_vformat(out_tmp, &tb, fmt, ap);
        if (tb.len > 0 && __kw86_fwrite_bytes(fp, tb.buf, tb.len) == EOF)
            return -1;
        return tb.failed ? -1 : n;
    }
    return __kw86_vformat(out_file, fp, fmt, ap);
}

int
vfprintf(FILE *restrict fp, const char *restrict fmt, va_list ap)
{
    int r;

    __kw86_libc_lock(&__kw86_stdio_lock);     /* one stream lock (stdio.c) */
    r = vfprintf_l(fp, fmt, ap);
    __kw86_libc_unlock(&__kw86_stdio_lock);
    return r;
}

int
fprintf(FILE *restrict fp, const char *restrict fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vfprintf(fp, fmt, ap);
    va_end(ap);
    return n;
}

int
vprintf(const char *restrict fmt, va_list ap)
{
    return vfprintf(stdout, fmt, ap);
}

int
printf(const char *restrict fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vfprintf(stdout, fmt, ap);
    va_end(ap);
    return n;
}

/* ---- to a bounded string: keep size-1 bytes, always terminate, count them all */

struct strbuf {
    char  *buf;
    size_t size;    /* bytes available including the terminator */
    size_t pos;
};

static int
out_str(void *arg, const char *p, size_t n)
{
    struct strbuf *sb = arg;

    if (sb->size > 0 && sb->pos < sb->size - 1) {
        size_t room = sb->size - 1 - sb->pos;
        memcpy(sb->buf + sb->pos, p, n < room ? n : room);
    }
    sb->pos += n;
    return 0;
}

int
vsnprintf(char *restrict buf, size_t size, const char *restrict fmt, va_list ap)
{
    struct strbuf sb = { buf, size, 0 };
    int n = __kw86_vformat(out_str, &sb, fmt, ap);

    if (size > 0)
        buf[sb.pos < size - 1 ? sb.pos : size - 1] = '\0';
    return n;
}

int
snprintf(char *restrict buf, size_t size, const char *restrict fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

/* sprintf cannot know the buffer's size: the caller promised it is big enough. */
int
vsprintf(char *restrict buf, const char *restrict fmt, va_list ap)
{
    return vsnprintf(buf, (size_t)-1 / 2, fmt, ap);
}

int
sprintf(char *restrict buf, const char *restrict fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsprintf(buf, fmt, ap);
    va_end(ap);
    return n;
}

/* ---- to a growing malloc'd string */

struct dynbuf {
    char  *buf;
    size_t cap;
    size_t len;
    int    failed;
};

static int
out_dyn(void *arg, const char *p, size_t n)
{
    struct dynbuf *db = arg;

    if (db->failed)
        return -1;
    if (db->len + n + 1 > db->cap) {
        size_t cap = db->cap ? db->cap : 64;
        char *nb;
        while (cap < db->len + n + 1)
            cap *= 2;
        nb = realloc(db->buf, cap);
        if (nb == NULL) {
            db->failed = 1;
            return -1;
        }
        db->buf = nb;
        db->cap = cap;
    }
    memcpy(db->buf + db->len, p, n);
    db->len += n;
    return 0;
}

int
vasprintf(char **restrict strp, const char *restrict fmt, va_list ap)
{
    struct dynbuf db = { NULL, 0, 0, 0 };
    int n = __kw86_vformat(out_dyn, &db, fmt, ap);

    if (n < 0 || db.failed) {
        free(db.buf);
        *strp = NULL;
        errno = ENOMEM;
        return -1;
    }
    if (db.buf == NULL && out_dyn(&db, "", 0) < 0) {
        *strp = NULL;
        return -1;
    }
    db.buf[db.len] = '\0';
    *strp = db.buf;
    return n;
}

int
asprintf(char **restrict strp, const char *restrict fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vasprintf(strp, fmt, ap);
    va_end(ap);
    return n;
}

/* ---- to a file descriptor, through a small buffer */

struct fdbuf {
    int    fd;
    size_t len;
    int    failed;
    char   buf[512];
};

static int
fd_drain(struct fdbuf *fb)
{
    size_t off = 0;

    while (off < fb->len) {
        ssize_t w = write(fb->fd, fb->buf + off, fb->len - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            fb->failed = 1;
            return -1;
        }
        off += (size_t)w;
    }
    fb->len = 0;
    return 0;
}

static int
out_fd(void *arg, const char *p, size_t n)
{
    struct fdbuf *fb = arg;

    while (n > 0) {
        size_t k = sizeof(fb->buf) - fb->len;
        if (k == 0) {
            if (fd_drain(fb) < 0)
                return -1;
            continue;
        }
        if (k > n)
            k = n;
        memcpy(fb->buf + fb->len, p, k);
        fb->len += k;
        p += k;
        n -= k;
    }
    return 0;
}

int
vdprintf(int fd, const char *restrict fmt, va_list ap)
{
    struct fdbuf fb;
    int n;

    fb.fd = fd;
    fb.len = 0;
    fb.failed = 0;
    n = __kw86_vformat(out_fd, &fb, fmt, ap);
    if (fd_drain(&fb) < 0 || n < 0)
        return -1;
    return n;
}

int
dprintf(int fd, const char *restrict fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vdprintf(fd, fmt, ap);
    va_end(ap);
    return n;
}
