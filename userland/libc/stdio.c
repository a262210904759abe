/*
 * kw86 libc: buffered streams on file descriptors.
 *
 * Buffering as in the C standard and BSD: stderr is unbuffered, stdout is line
 * buffered when it is a terminal and fully buffered otherwise, other streams are
 * fully buffered (BUFSIZ bytes).  The buffering mode of a stream is decided at its
 * first I/O, so setvbuf may be called before.  A stream's buffer holds input or
 * output, never both; switching direction flushes or discards (with an lseek back
 * over unread input, so the file offset stays where the program thinks it is).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <errno.h>
#include <limits.h>

#include "stdio_impl.h"
#include "pthread_int.h"

/* One recursive lock for every stream (and the list of open streams), taken by
 * the stdio functions once the process has threads; getc/putc's inline paths are
 * off then (<stdio.h>).  flockfile/funlockfile hold it across calls. */
pthread_mutex_t __kw86_stdio_lock = {
    _PT_MUTEX_MAGIC, 0, PTHREAD_MUTEX_RECURSIVE, 0, 0, 0, 0 };

void flockfile(FILE *fp) { (void)fp; __kw86_libc_lock(&__kw86_stdio_lock); }
void funlockfile(FILE *fp) { (void)fp; __kw86_libc_unlock(&__kw86_stdio_lock); }

int
ftrylockfile(FILE *fp)
{
    (void)fp;
    if (!__isthreaded)
        return 0;
    return pthread_mutex_trylock(&__kw86_stdio_lock) == 0 ? 0 : -1;
}
#include "libc_private.h"

static unsigned char stdin_buf[BUFSIZ];
static unsigned char stdout_buf[BUFSIZ];

static FILE std_files[3] = {
    { .fd = 0, .flags = __SRD | __SSTATIC, .mode = _IOFBF, .buf = stdin_buf,
      .bufsize = BUFSIZ, .ungot = -1, .next = &std_files[1] },
    { .fd = 1, .flags = __SWR | __SSTATIC, .mode = _IOFBF, .buf = stdout_buf,
      .bufsize = BUFSIZ, .ungot = -1, .next = &std_files[2] },
    { .fd = 2, .flags = __SWR | __SSTATIC | __SMODESET, .mode = _IONBF, .buf = NULL,
      .bufsize = 0, .ungot = -1, .next = NULL },
};

FILE *const stdin = &std_files[0];
FILE *const stdout = &std_files[1];
FILE *const stderr = &std_files[2];

static FILE *open_files = &std_files[0];    /* every open stream, for fflush(NULL) */

/* The function forms of the <stdio.h> macros are defined below. */
#undef getc
#undef getc_unlocked
#undef getchar
#undef getchar_unlocked
#undef putc
#undef putc_unlocked
#undef putchar
#undef putchar_unlocked

/* ---------------------------------------------------------------- buffers */

/*
 * The limits of getc's and putc's inline paths (<stdio.h>): input is read
 * inline while the stream is reading with no pushed-back byte, output is
 * written inline while it is writing and fully buffered.  Called after
 * every change of those conditions, of rend or of the buffer.
 */
static void
set_limits(FILE *fp)
{
    fp->rlim = ((fp->flags & __SREADING) && fp->ungot < 0) ? fp->rend : NULL;
    fp->wlim = ((fp->flags & __SWRITING) && fp->mode == _IOFBF && fp->buf != NULL)
        ? fp->buf + fp->bufsize : NULL;
}

static void
decide_mode(FILE *fp)
{
    if (fp->flags & __SMODESET)
        return;
    fp->flags |= __SMODESET;
    if (fp == stdout) {
        int saved = errno;              /* a probe: a successful printf leaves errno alone */
        if (isatty(fp->fd))
            fp->mode = _IOLBF;
        errno = saved;
    }
    if (fp->mode == _IONBF)
        return;
    if (fp->buf == NULL) {
        fp->buf = malloc(BUFSIZ);
        if (fp->buf == NULL) {           /* no memory: work unbuffered */
            fp->mode = _IONBF;
            return;
        }
        fp->bufsize = BUFSIZ;
        fp->flags |= __SMBF;
    }
}

static unsigned char *
buf_start(FILE *fp)
{
    return fp->mode == _IONBF ? fp->small : fp->buf;
}

static size_t
buf_size(FILE *fp)
{
    return fp->mode == _IONBF ? sizeof(fp->small) : fp->bufsize;
}

static int
write_all(int fd, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Write out pending output. */
static int
flush_output(FILE *fp)
{
    unsigned char *start = buf_start(fp);

    if (!(fp->flags & __SWRITING))
        return 0;
    if (fp->wpos > start && write_all(fp->fd, start, (size_t)(fp->wpos - start)) < 0) {
        fp->flags |= __SERR;
        fp->wpos = start;
        return EOF;
    }
    fp->wpos = start;
    return 0;
}

/* Drop buffered input, moving the file offset back over what was not consumed. */
static void
drop_input(FILE *fp)
{
    off_t unread;

    if (!(fp->flags & __SREADING))
        return;
    unread = (off_t)(fp->rend - fp->rpos) + (fp->ungot >= 0 ? 1 : 0);
    if (unread > 0)
        (void)lseek(fp->fd, -unread, SEEK_CUR);   /* fails harmlessly on pipes */
    fp->rpos = fp->rend = NULL;
    fp->ungot = -1;
    fp->flags &= ~__SREADING;
    set_limits(fp);
}

static int
fflush_l(FILE *fp)
{
    int rc = 0;

    if (fp == NULL) {
        for (fp = open_files; fp != NULL; fp = fp->next)
            if ((fp->flags & __SWRITING) && flush_output(fp) == EOF)
                rc = EOF;
        return rc;
    }
    if (fp->flags & __SWRITING)
        return flush_output(fp);
    if (fp->flags & __SREADING)
        drop_input(fp);
    return 0;
}

int
fflush(FILE *fp)
{
    int r;

    __kw86_libc_lock(&__kw86_stdio_lock);
    r = fflush_l(fp);
    __kw86_libc_unlock(&__kw86_stdio_lock);
    return r;
}

/* exit's flush: NetBSD's exit flushes through fflush(NULL), which walks the
 * streams without taking their locks, so a thread that ended holding one
 * (flockfile, ftrylockfile) does not stop the process from ending. */
void
__kw86_stdio_flush_all(void)
{
    (void)fflush_l(NULL);
}

/* Before reading a stream, flush line-buffered output (so prompts appear). */
static void
flush_line_buffered(void)
{
    FILE *fp;

    for (fp = open_files; fp != NULL; fp = fp->next)
        if (fp->mode == _IOLBF && (fp->flags & __SWRITING))
            (void)flush_output(fp);
}

static int
begin_write(FILE *fp)
{
    if (!(fp->flags & __SWR)) {
        fp->flags |= __SERR;
        errno = EBADF;
        return EOF;
    }
    decide_mode(fp);
    if (fp->flags & __SREADING)
        drop_input(fp);
    if (!(fp->flags & __SWRITING)) {
        fp->flags |= __SWRITING;
        fp->wpos = buf_start(fp);
    }
    set_limits(fp);
    return 0;
}

static int
begin_read(FILE *fp)
{
    if (!(fp->flags & __SRD)) {
        fp->flags |= __SERR;
        errno = EBADF;
        return EOF;
    }
    decide_mode(fp);
    if (fp->flags & __SWRITING) {
        if (flush_output(fp) == EOF)
            return EOF;
        fp->flags &= ~__SWRITING;
    }
    if (!(fp->flags & __SREADING)) {
        fp->flags |= __SREADING;
        fp->rpos = fp->rend = buf_start(fp);
    }
    set_limits(fp);
    return 0;
}

/* Refill the input buffer; returns the number of bytes now buffered, 0 at EOF, -1. */
static int
refill(FILE *fp)
{
    ssize_t n;
    unsigned char *start = buf_start(fp);

    if (fp->mode != _IOFBF || fp->fd == 0)
        flush_line_buffered();
    do {
        n = read(fp->fd, start, buf_size(fp));
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        fp->flags |= __SERR;
        return -1;
    }
    if (n == 0) {
        fp->flags |= __SEOF;
        return 0;
    }
    fp->rpos = start;
    fp->rend = start + n;
    set_limits(fp);
    return (int)n;
}

/* ---------------------------------------------------------------- output */

int
__kw86_fwrite_bytes(FILE *fp, const char *p, size_t n)
{
    unsigned char *start;
    size_t size;
    int newline;

    /* Fast path (printf hands over a field at a time): room in a fully
     * buffered stream that is already writing (wlim says both). */
    if (fp->wpos < fp->wlim && n <= (size_t)(fp->wlim - fp->wpos)) {
        unsigned char *w = fp->wpos;
        if (n <= 16) {
            while (n-- > 0)
                *w++ = (unsigned char)*p++;
            fp->wpos = w;
        } else {
            memcpy(w, p, n);
            fp->wpos = w + n;
        }
        return 0;
    }
    if (begin_write(fp) == EOF)
        return EOF;
    start = buf_start(fp);
    size = buf_size(fp);
    if (fp->mode == _IONBF) {
        if (write_all(fp->fd, (const unsigned char *)p, n) < 0) {
            fp->flags |= __SERR;
            return EOF;
        }
        return 0;
    }
    /* A line-buffered stream is flushed when the data holds a newline. */
    newline = fp->mode == _IOLBF && memchr(p, '\n', n) != NULL;
    while (n > 0) {
        size_t room = size - (size_t)(fp->wpos - start);
        size_t k;
        if (room == 0) {
            if (flush_output(fp) == EOF)
                return EOF;
            room = size;
        }
        /* A write as big as the buffer goes straight to the file. */
        if (fp->wpos == start && n >= size) {
            if (write_all(fp->fd, (const unsigned char *)p, n) < 0) {
                fp->flags |= __SERR;
                return EOF;
            }
            break;
        }
        k = n < room ? n : room;
        memcpy(fp->wpos, p, k);
        fp->wpos += k;
        p += k;
        n -= k;
    }
    if (newline)
        return flush_output(fp);
    return 0;
}

static int
fputc_l(int c, FILE *fp)
{
    char ch = (char)c;

    /* Fast path: room in a fully buffered output buffer. */
    if ((fp->flags & __SWRITING) && fp->mode == _IOFBF &&
        fp->wpos < fp->buf + fp->bufsize) {
        *fp->wpos++ = (unsigned char)ch;
        return (unsigned char)ch;
    }
    if (__kw86_fwrite_bytes(fp, &ch, 1) == EOF)
        return EOF;
    return (unsigned char)ch;
}

int
fputc(int c, FILE *fp)
{
    int r;

    __kw86_libc_lock(&__kw86_stdio_lock);
    r = fputc_l(c, fp);
    __kw86_libc_unlock(&__kw86_stdio_lock);
    return r;
}

int __kw86_swbuf(int c, FILE *fp) { return fputc(c, fp); }
int putc(int c, FILE *fp) { return fputc(c, fp); }
int putc_unlocked(int c, FILE *fp) { return fputc(c, fp); }
int putchar(int c) { return fputc(c, stdout); }
int putchar_unlocked(int c) { return fputc(c, stdout); }

static int
fputs_l(const char *restrict s, FILE *restrict fp)
{
    return __kw86_fwrite_bytes(fp, s, strlen(s)) == EOF ? EOF : 0;
}

int
fputs(const char *restrict s, FILE *restrict fp)
{
    int r;

    __kw86_libc_lock(&__kw86_stdio_lock);
    r = fputs_l(s, fp);
    __kw86_libc_unlock(&__kw86_stdio_lock);
    return r;
}

static int
puts_l(const char *s)
{
    if (__kw86_fwrite_bytes(stdout, s, strlen(s)) == EOF)
        return EOF;
    return fputc('\n', stdout) == EOF ? EOF : 0;
}

int
puts(const char *s)
{
    int r;

    __kw86_libc_lock(&__kw86_stdio_lock);
    r = puts_l(s);
    __kw86_libc_unlock(&__kw86_stdio_lock);
    return r;
}

static size_t
fwrite_l(const void *restrict p, size_t size, size_t count, FILE *restrict fp)
{
    size_t n;

    if (size == 0 || count == 0)
        return 0;
    if (count > SIZE_MAX / size) {
        fp->flags |= __SERR;
        errno = EOVERFLOW;
        return 0;
    }
    n = size * count;
    if (__kw86_fwrite_bytes(fp, p, n) == EOF)
        return 0;   /* unknown how much reached the file: report none */
    return count;
}

size_t
fwrite(const void *restrict p, size_t size, size_t count, FILE *restrict fp)
{
    size_t r;

    __kw86_libc_lock(&__kw86_stdio_lock);
    r = fwrite_l(p, size, count, fp);
    __kw86_libc_unlock(&__kw86_stdio_lock);
    return r;
}

/* ---------------------------------------------------------------- input */

static int
fgetc_l(FILE *fp)
{
    if ((fp->flags & __SREADING) && fp->ungot < 0 && fp->rpos < fp->rend)
        return *fp->rpos++;
    if (begin_read(fp) == EOF)
        return EOF;
    if (fp->ungot >= 0) {
        int c = fp->ungot;
        fp->ungot = -1;
        set_limits(fp);
        return c;
    }
    if (fp->rpos >= fp->rend && refill(fp) <= 0)
        return EOF;
    return *fp->rpos++;
}

int
fgetc(FILE *fp)
{
    int r;

    __kw86_libc_lock(&__kw86_stdio_lock);
    r = fgetc_l(fp);
    __kw86_libc_unlock(&__kw86_stdio_lock);
    return r;
}

int __kw86_srget(FILE *fp) { return fgetc(fp); }
int getc(FILE *fp) { return fgetc(fp); }
int getc_unlocked(FILE *fp) { return fgetc(fp); }
int getchar(void) { return fgetc(stdin); }
int getchar_unlocked(void) { return fgetc(stdin); }

static int
ungetc_l(int c, FILE *fp)
{
    if (c == EOF || begin_read(fp) == EOF)
        return EOF;
    /* Put it back into the buffer when the byte before rpos is free to reuse. */
    if (fp->ungot < 0 && fp->rpos > buf_start(fp)) {
        *--fp->rpos = (unsigned char)c;
    } else if (fp->ungot < 0) {
        fp->ungot = (unsigned char)c;
        set_limits(fp);
    } else {
        return EOF;                      /* one byte of pushback is all we promise */
    }
    fp->flags &= ~__SEOF;
    return (unsigned char)c;
}

int
ungetc(int c, FILE *fp)
{
    int r;

    __kw86_libc_lock(&__kw86_stdio_lock);
    r = ungetc_l(c, fp);
    __kw86_libc_unlock(&__kw86_stdio_lock);
    return r;
}

static char *
fgets_l(char *restrict buf, int size, FILE *restrict fp)
{
    int i = 0, c;

    if (size <= 0) {
        errno = EINVAL;
        return NULL;
    }
    while (i < size - 1) {
        c = fgetc(fp);
        if (c == EOF)
            break;
        buf[i++] = (char)c;
        if (c == '\n')
            break;
    }
    if (i == 0 && size > 1)
        return NULL;
    buf[i] = '\0';
    return buf;
}

char *
fgets(char *restrict buf, int size, FILE *restrict fp)
{
    char *r;

    __kw86_libc_lock(&__kw86_stdio_lock);
    r = fgets_l(buf, size, fp);
    __kw86_libc_unlock(&__kw86_stdio_lock);
    return r;
}

static ssize_t
getdelim_l(char **restrict linep, size_t *restrict capp, int delim, FILE *restrict fp)
{
    size_t len = 0;
    int c;

    if (linep == NULL || capp == NULL) {
        errno = EINVAL;
        return -1;
    }
    if (*linep == NULL)
        *capp = 0;
    for (;;) {
        c = fgetc(fp);
        if (c == EOF)
            break;
        if (len + 2 > *capp) {
            size_t ncap = *capp < 64 ? 128 : *capp * 2;
            char *n = realloc(*linep, ncap);
            if (n == NULL) {
                fp->flags |= __SERR;
                return -1;
            }
            *linep = n;
            *capp = ncap;
        }
        (*linep)[len++] = (char)c;
        if (c == delim)
            break;
    }
    if (len == 0)
        return -1;
    (*linep)[len] = '\0';
    return len > SSIZE_MAX ? SSIZE_MAX : (ssize_t)len;
}

ssize_t
getdelim(char **restrict linep, size_t *restrict capp, int delim, FILE *restrict fp)
{
    ssize_t r;

    __kw86_libc_lock(&__kw86_stdio_lock);
    r = getdelim_l(linep, capp, delim, fp);
    __kw86_libc_unlock(&__kw86_stdio_lock);
    return r;
}

ssize_t
getline(char **restrict linep, size_t *restrict capp, FILE *restrict fp)
{
    return getdelim(linep, capp, '\n', fp);
}

static size_t
fread_l(void *restrict p, size_t size, size_t count, FILE *restrict fp)
{
    unsigned char *d = p;
    size_t want, got = 0;

    if (size == 0 || count == 0)
        return 0;
    if (count > SIZE_MAX / size) {
        errno = EOVERFLOW;
        fp->flags |= __SERR;
        return 0;
    }
    want = size * count;
    if (begin_read(fp) == EOF)
        return 0;
    if (fp->ungot >= 0) {
        d[got++] = (unsigned char)fp->ungot;
        fp->ungot = -1;
        set_limits(fp);
    }
    while (got < want) {
        size_t avail = (size_t)(fp->rend - fp->rpos);
        if (avail > 0) {
            size_t k = avail < want - got ? avail : want - got;
            memcpy(d + got, fp->rpos, k);
            fp->rpos += k;
            got += k;
            continue;
        }
        /* Large reads bypass the buffer. */
        if (want - got >= buf_size(fp) && fp->mode != _IONBF) {
            ssize_t n;
            do {
                n = read(fp->fd, d + got, want - got);
            } while (n < 0 && errno == EINTR);
            if (n < 0) {
                fp->flags |= __SERR;
                break;
            }
            if (n == 0) {
                fp->flags |= __SEOF;
                break;
            }
            got += (size_t)n;
            continue;
        }
        if (refill(fp) <= 0)
            break;
    }
    return got / size;
}

size_t
fread(void *restrict p, size_t size, size_t count, FILE *restrict fp)
{
    size_t r;

    __kw86_libc_lock(&__kw86_stdio_lock);
    r = fread_l(p, size, count, fp);
    __kw86_libc_unlock(&__kw86_stdio_lock);
    return r;
}

/* ---------------------------------------------------------------- state */

int feof(FILE *fp) { return (fp->flags & __SEOF) != 0; }
int ferror(FILE *fp) { return (fp->flags & __SERR) != 0; }
void clearerr(FILE *fp) { fp->flags &= ~(__SEOF | __SERR); }
int fileno(FILE *fp) { return fp->fd; }

/* ---------------------------------------------------------------- open/close */

/* "r", "w", "a", with "+", and "b" (ignored), "x" (O_EXCL), "e" (O_CLOEXEC). */
int
__kw86_parse_mode(const char *mode, int *oflags, int *fflags)
{
    int o, f;
    const char *m;

    switch (mode[0]) {
    case 'r': o = O_RDONLY; f = __SRD; break;
    case 'w': o = O_WRONLY | O_CREAT | O_TRUNC; f = __SWR; break;
    case 'a': o = O_WRONLY | O_CREAT | O_APPEND; f = __SWR | __SAPP; break;
    default:
        errno = EINVAL;
        return -1;
    }
    for (m = mode + 1; *m != '\0'; m++) {
        switch (*m) {
        case '+':
            o = (o & ~O_ACCMODE) | O_RDWR;
            f |= __SRD | __SWR;
            break;
        case 'x': o |= O_EXCL; break;
        case 'e': o |= O_CLOEXEC; break;
        case 'b': break;
        default: break;
        }
    }
    *oflags = o;
    *fflags = f;
    return 0;
}

static FILE *
new_file_l(int fd, int fflags)
{
    FILE *fp = calloc(1, sizeof(*fp));

    if (fp == NULL)
        return NULL;
    fp->fd = fd;
    fp->flags = fflags;
    fp->mode = _IOFBF;
    fp->ungot = -1;
    fp->next = open_files;
    open_files = fp;
    return fp;
}

static FILE *
new_file(int fd, int fflags)
{
    FILE *r;

    __kw86_libc_lock(&__kw86_stdio_lock);
    r = new_file_l(fd, fflags);
    __kw86_libc_unlock(&__kw86_stdio_lock);
    return r;
}

FILE *
fopen(const char *restrict path, const char *restrict mode)
{
    int oflags, fflags, fd;
    FILE *fp;

    if (__kw86_parse_mode(mode, &oflags, &fflags) < 0)
        return NULL;
    fd = open(path, oflags, 0666);
    if (fd < 0)
        return NULL;
    fp = new_file(fd, fflags);
    if (fp == NULL) {
        int e = errno;
        close(fd);
        errno = e;
    }
    return fp;
}

FILE *
fdopen(int fd, const char *mode)
{
    int oflags, fflags, fl;

    if (__kw86_parse_mode(mode, &oflags, &fflags) < 0)
        return NULL;
    fl = fcntl(fd, F_GETFL);
    if (fl < 0)
        return NULL;
    /* The mode must be allowed by the descriptor's access mode. */
    if (((fflags & __SRD) && (fl & O_ACCMODE) == O_WRONLY) ||
        ((fflags & __SWR) && (fl & O_ACCMODE) == O_RDONLY)) {
        errno = EINVAL;
        return NULL;
    }
    return new_file(fd, fflags);
}

static void
unlink_file(FILE *fp)
{
    FILE **pp;

    for (pp = &open_files; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == fp) {
            *pp = fp->next;
            break;
        }
    }
}

static int
fclose_l(FILE *fp)
{
    int rc = 0;

    if (fp->flags & __SWRITING)
        rc = flush_output(fp);
    else if (fp->flags & __SREADING)
        drop_input(fp);
    if (close(fp->fd) < 0)
        rc = EOF;
    if (fp->flags & __SMBF)
        free(fp->buf);
    if (fp->flags & __SSTATIC) {
        /* stdin/stdout/stderr stay allocated, closed. */
        fp->flags = __SSTATIC;
        fp->buf = NULL;
        fp->fd = -1;
        fp->rpos = fp->rend = fp->wpos = NULL;
        set_limits(fp);
        return rc;
    }
    unlink_file(fp);
    free(fp);
    return rc;
}

int
fclose(FILE *fp)
{
    int r;

    __kw86_libc_lock(&__kw86_stdio_lock);
    r = fclose_l(fp);
    __kw86_libc_unlock(&__kw86_stdio_lock);
    return r;
}

FILE *
freopen(const char *restrict path, const char *restrict mode, FILE *restrict fp)
{
    int oflags, fflags, fd;

    if (__kw86_parse_mode(mode, &oflags, &fflags) < 0)
        return NULL;
    (void)fflush(fp);
    if (path == NULL) {
        errno = EBADF;      /* changing the mode of an open stream is not supported */
        return NULL;
    }
    fd = open(path, oflags, 0666);
    if (fd < 0)
        return NULL;
    if (fp->fd >= 0 && fp->fd != fd) {
        if (dup2(fd, fp->fd) >= 0) {
            close(fd);
            fd = fp->fd;
        } else {
            close(fp->fd);
        }
    }
    fp->fd = fd;
    fp->flags = (fp->flags & (__SSTATIC | __SMBF)) | fflags;
    if (!(fp->flags & __SSTATIC) || fp != stderr)
        fp->flags &= ~__SMODESET;
    fp->ungot = -1;
    fp->rpos = fp->rend = fp->wpos = NULL;
    set_limits(fp);
    if (fp->flags & __SSTATIC) {
        unlink_file(fp);        /* static streams are always listed */
        fp->next = open_files;
        open_files = fp;
    }
    return fp;
}

static int
setvbuf_l(FILE *restrict fp, char *restrict buf, int mode, size_t size)
{
    if (mode != _IOFBF && mode != _IOLBF && mode != _IONBF) {
        errno = EINVAL;
        return -1;
    }
    (void)fflush(fp);
    if (fp->flags & __SMBF) {
        free(fp->buf);
        fp->flags &= ~__SMBF;
    }
    fp->buf = NULL;
    fp->bufsize = 0;
    fp->mode = mode;
    if (mode != _IONBF) {
        if (buf != NULL && size > 0) {
            fp->buf = (unsigned char *)buf;
            fp->bufsize = size;
        } else {
            fp->buf = malloc(size > 0 ? size : BUFSIZ);
            if (fp->buf == NULL) {
                fp->mode = _IONBF;
            } else {
                fp->bufsize = size > 0 ? size : BUFSIZ;
                fp->flags |= __SMBF;
            }
        }
    }
    fp->flags |= __SMODESET;
    fp->flags &= ~(__SREADING | __SWRITING);
    fp->rpos = fp->rend = fp->wpos = NULL;
    set_limits(fp);
    return 0;
}

int
setvbuf(FILE *restrict fp, char *restrict buf, int mode, size_t size)
{
    int r;

    __kw86_libc_lock(&__kw86_stdio_lock);
    r = setvbuf_l(fp, buf, mode, size);
    __kw86_libc_unlock(&__kw86_stdio_lock);
    return r;
}

void
setbuf(FILE *restrict fp, char *restrict buf)
{
    (void)setvbuf(fp, buf, buf != NULL ? _IOFBF : _IONBF, BUFSIZ);
}

void
setbuffer(FILE *fp, char *buf, int size)
{
    (void)setvbuf(fp, buf, buf != NULL ? _IOFBF : _IONBF, (size_t)size);
}

int
setlinebuf(FILE *fp)
{
    return setvbuf(fp, NULL, _IOLBF, 0);
}

/* ---------------------------------------------------------------- positioning */

static int
fseeko_l(FILE *fp, off_t off, int whence)
{
    if (fp->flags & __SWRITING) {
        if (flush_output(fp) == EOF)
            return -1;
    } else if ((fp->flags & __SREADING) && whence == SEEK_CUR) {
        /* The program's position is behind the kernel's by the unread bytes. */
        off -= (off_t)(fp->rend - fp->rpos) + (fp->ungot >= 0 ? 1 : 0);
    }
    fp->rpos = fp->rend = NULL;
    fp->ungot = -1;
    fp->flags &= ~(__SREADING | __SWRITING | __SEOF);
    set_limits(fp);
    if (lseek(fp->fd, off, whence) < 0)
        return -1;
    return 0;
}

int
fseeko(FILE *fp, off_t off, int whence)
{
    int r;

    __kw86_libc_lock(&__kw86_stdio_lock);
    r = fseeko_l(fp, off, whence);
    __kw86_libc_unlock(&__kw86_stdio_lock);
    return r;
}

int
fseek(FILE *fp, long off, int whence)
{
    return fseeko(fp, (off_t)off, whence);
}

static off_t
ftello_l(FILE *fp)
{
    off_t pos = lseek(fp->fd, 0, SEEK_CUR);

    if (pos < 0)
        return -1;
    if (fp->flags & __SREADING)
        pos -= (off_t)(fp->rend - fp->rpos) + (fp->ungot >= 0 ? 1 : 0);
    else if (fp->flags & __SWRITING)
        pos += (off_t)(fp->wpos - buf_start(fp));
    return pos;
}

off_t
ftello(FILE *fp)
{
    off_t r;

    __kw86_libc_lock(&__kw86_stdio_lock);
    r = ftello_l(fp);
    __kw86_libc_unlock(&__kw86_stdio_lock);
    return r;
}

long
ftell(FILE *fp)
{
    off_t pos = ftello(fp);

    if (pos > LONG_MAX) {
        errno = EOVERFLOW;
        return -1;
    }
    return (long)pos;
}

void
rewind(FILE *fp)
{
    (void)fseeko(fp, 0, SEEK_SET);
    clearerr(fp);
}

int
fgetpos(FILE *restrict fp, fpos_t *restrict pos)
{
    off_t p = ftello(fp);

    if (p < 0)
        return -1;
    *pos = p;
    return 0;
}

int
fsetpos(FILE *fp, const fpos_t *pos)
{
    return fseeko(fp, *pos, SEEK_SET);
}

/* ---------------------------------------------------------------- misc */

int
remove(const char *path)
{
    if (unlink(path) == 0)
        return 0;
    if (errno == EISDIR || errno == EPERM) {
        int e = errno;
        if (rmdir(path) == 0)
            return 0;
        if (errno == ENOTDIR)
            errno = e;
    }
    return -1;
}

void
perror(const char *s)
{
    const char *msg = strerror(errno);

    (void)fflush(stdout);
    if (s != NULL && *s != '\0')
        (void)fprintf(stderr, "%s: %s\n", s, msg);    /* one write: stderr is unbuffered */
    else
        (void)fprintf(stderr, "%s\n", msg);
}
