/* kw86 libc: <stdio.h>, buffered streams over file descriptors. */
#ifndef _STDIO_H_
#define _STDIO_H_

#include <sys/cdefs.h>
#include <sys/_types.h>

#ifndef _SIZE_T_DEFINED
#define _SIZE_T_DEFINED
typedef __size_t size_t;
#endif
#ifndef _SSIZE_T_DEFINED
#define _SSIZE_T_DEFINED
typedef __ssize_t ssize_t;
#endif
#ifndef _OFF_T_DEFINED
#define _OFF_T_DEFINED
typedef __off_t off_t;
#endif
#ifndef NULL
#define NULL ((void *)0)
#endif

typedef __off_t fpos_t;

/*
 * A stream.  The buffer holds either unread input (rpos..rend) or unwritten
 * output (buf..wpos), never both: switching direction flushes or discards.
 */
typedef struct __kw86_FILE {
    int            fd;
    int            flags;      /* __SRD, __SWR, __SEOF, __SERR, ... (libc/stdio_impl.h) */
    int            mode;       /* _IOFBF, _IOLBF or _IONBF */
    unsigned char *buf;        /* buffer, size bufsize */
    size_t         bufsize;
    unsigned char *rpos;       /* next byte to read */
    unsigned char *rend;       /* end of buffered input */
    unsigned char *wpos;       /* next free byte of output */
    int            ungot;      /* pushed-back byte or -1 */
    unsigned char *rlim;       /* getc's inline path: rpos < rlim (rend, or NULL when off) */
    unsigned char *wlim;       /* putc's inline path: wpos < wlim (buffer end, or NULL) */
    unsigned char  small[1];   /* buffer of unbuffered streams */
    struct __kw86_FILE *next;  /* list of open streams, flushed at exit */
} FILE;

extern FILE *const stdin;
extern FILE *const stdout;
extern FILE *const stderr;
#define stdin  stdin
#define stdout stdout
#define stderr stderr

#define EOF       (-1)
#define BUFSIZ    8192
#define FOPEN_MAX 20
#define FILENAME_MAX 1024
#define L_tmpnam  1024
#define TMP_MAX   308915776
#define P_tmpdir  "/tmp/"
#define _IOFBF 0
#define _IOLBF 1
#define _IONBF 2
#ifndef SEEK_SET
#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2
#endif

__BEGIN_DECLS
FILE   *fopen(const char *__restrict, const char *__restrict);
FILE   *fdopen(int, const char *);
FILE   *freopen(const char *__restrict, const char *__restrict, FILE *__restrict);
int     fclose(FILE *);
int     fflush(FILE *);
int     setvbuf(FILE *__restrict, char *__restrict, int, size_t);
void    setbuf(FILE *__restrict, char *__restrict);
void    setbuffer(FILE *, char *, int);
int     setlinebuf(FILE *);

int     fgetc(FILE *);
int     getc(FILE *);
int     getchar(void);
int     getc_unlocked(FILE *);
int     getchar_unlocked(void);
char   *fgets(char *__restrict, int, FILE *__restrict);
ssize_t getline(char **__restrict, size_t *__restrict, FILE *__restrict);
ssize_t getdelim(char **__restrict, size_t *__restrict, int, FILE *__restrict);
int     ungetc(int, FILE *);
size_t  fread(void *__restrict, size_t, size_t, FILE *__restrict);

int     fputc(int, FILE *);
int     putc(int, FILE *);
int     putchar(int);
int     putc_unlocked(int, FILE *);
int     putchar_unlocked(int);
int     fputs(const char *__restrict, FILE *__restrict);
int     puts(const char *);
size_t  fwrite(const void *__restrict, size_t, size_t, FILE *__restrict);

int     printf(const char *__restrict, ...) __printflike(1, 2);
int     fprintf(FILE *__restrict, const char *__restrict, ...) __printflike(2, 3);
int     dprintf(int, const char *__restrict, ...) __printflike(2, 3);
int     sprintf(char *__restrict, const char *__restrict, ...) __printflike(2, 3);
int     snprintf(char *__restrict, size_t, const char *__restrict, ...) __printflike(3, 4);
int     asprintf(char **__restrict, const char *__restrict, ...) __printflike(2, 3);
int     vprintf(const char *__restrict, __va_list) __printflike(1, 0);
int     vfprintf(FILE *__restrict, const char *__restrict, __va_list) __printflike(2, 0);
int     vdprintf(int, const char *__restrict, __va_list) __printflike(2, 0);
int     vsprintf(char *__restrict, const char *__restrict, __va_list) __printflike(2, 0);
int     vsnprintf(char *__restrict, size_t, const char *__restrict, __va_list) __printflike(3, 0);
int     vasprintf(char **__restrict, const char *__restrict, __va_list) __printflike(2, 0);
int     scanf(const char *__restrict, ...) __scanflike(1, 2);
int     fscanf(FILE *__restrict, const char *__restrict, ...) __scanflike(2, 3);
int     sscanf(const char *__restrict, const char *__restrict, ...) __scanflike(2, 3);
int     vscanf(const char *__restrict, __va_list) __scanflike(1, 0);
int     vfscanf(FILE *__restrict, const char *__restrict, __va_list) __scanflike(2, 0);
int     vsscanf(const char *__restrict, const char *__restrict, __va_list) __scanflike(2, 0);

int     fseek(FILE *, long, int);
int     fseeko(FILE *, off_t, int);
long    ftell(FILE *);
off_t   ftello(FILE *);
void    rewind(FILE *);
int     fgetpos(FILE *__restrict, fpos_t *__restrict);
int     fsetpos(FILE *, const fpos_t *);

int     feof(FILE *);
int     ferror(FILE *);
void    clearerr(FILE *);
int     fileno(FILE *);
void    perror(const char *);
int     remove(const char *);
int     rename(const char *, const char *);
FILE   *popen(const char *, const char *);
int     pclose(FILE *);
int     __kw86_srget(FILE *);
extern int __isthreaded;
void    flockfile(FILE *);
void    funlockfile(FILE *);
int     ftrylockfile(FILE *);
int     __kw86_swbuf(int, FILE *);
__END_DECLS

/*
 * getc and putc as macros, as real libcs have them (POSIX lets them evaluate
 * the stream more than once): a byte from or to the buffer inline, the
 * functions only at its end or when the stream is not simply buffered
 * (pushback, line buffering, a direction switch).  stdio.c keeps rlim and
 * wlim NULL whenever the inline path must not be taken.
 */
#define getc_unlocked(fp) ((fp)->rpos < (fp)->rlim ? (int)*(fp)->rpos++ : __kw86_srget(fp))
#define getchar_unlocked() getc_unlocked(stdin)
#define putc_unlocked(c, fp) ((fp)->wpos < (fp)->wlim ? \
                              (int)(*(fp)->wpos++ = (unsigned char)(c)) : __kw86_swbuf((c), (fp)))
#define putchar_unlocked(c) putc_unlocked((c), stdout)
/* once the process has threads (__isthreaded), getc and putc take the stream lock */
#define getc(fp)          (!__isthreaded ? getc_unlocked(fp) : __kw86_srget(fp))
#define getchar()         getc(stdin)
#define putc(c, fp)       (!__isthreaded ? putc_unlocked((c), (fp)) : __kw86_swbuf((c), (fp)))
#define putchar(c)        putc((c), stdout)

#endif
