/* kw86 libc internals shared between libc files and crt0 (not installed). */
#ifndef _KW86_LIBC_PRIVATE_H_
#define _KW86_LIBC_PRIVATE_H_

#include <sys/types.h>
#include <stdarg.h>

/* Set by crt0 from the auxiliary vector and the initial stack. */
extern void *__kw86_syscall_gate;          /* AT_KW86_SYSCALL_GATE, 0 if none */
extern size_t __kw86_pagesize;             /* AT_PAGESZ, default 4096 */
extern const char *__kw86_execname;        /* AT_SUN_EXECNAME, or NULL */
extern struct ps_strings *__kw86_ps_strings;
extern const char *__kw86_progname;        /* basename of argv[0] */
void __kw86_set_progname(const char *argv0);

/* Raw system calls whose C interface differs from the kernel's (libc/syscalls.master). */
int   __sys_open(const char *, int, mode_t);
int   __sys_openat(int, const char *, int, mode_t);
int   __sys_ioctl(int, unsigned long, void *);
int   __sys_fcntl(int, int, void *);
int   __sys_obreak(void *);
void *__sys_mmap(void *, size_t, int, int, int, long, off_t);
off_t __sys_lseek(int, int, off_t, int);
int   __sys_truncate(const char *, int, off_t);
int   __sys_ftruncate(int, int, off_t);
ssize_t __sys_pread(int, void *, size_t, int, off_t);
ssize_t __sys_pwrite(int, const void *, size_t, int, off_t);
int   __sys_getcwd(char *, size_t);
int   __sys_getlogin(char *, size_t);
int   __sys_sigaction_sigtramp(int, const void *, void *, const void *, int);
void  __sys_sync(void);

/* The PATH search of execvp and posix_spawnp (exec.c): fn(path, arg) for
 * file itself when it names a path (a '/' in it), else for each element of
 * PATH (_PATH_DEFPATH without one; an empty element is the current
 * directory) joined with file, in order.  fn returns 0 or an error
 * number: ENOENT, ENOTDIR, ELOOP, ENAMETOOLONG and EACCES go on to the next
 * directory, any other ends the search with it (-1: fn ended it, its
 * own errno stands).  Past the last directory: EACCES if one was seen,
 * else ENOENT; an empty file is ENOENT. */
int __kw86_pathsearch(const char *file, int (*fn)(const char *path, void *arg), void *arg);

/* stdio: run at exit to flush every open stream. */
void __kw86_stdio_flush_all(void);

/* printf engine: out(arg, buf, n) receives the output in pieces. */
typedef int (*__kw86_out_fn)(void *arg, const char *buf, size_t n);
int __kw86_vformat(__kw86_out_fn out, void *arg, const char *fmt, va_list ap);

/* Signal trampoline, version 2 (siginfo): libc/i386/sigtramp.S. */
extern const char __sigtramp_siginfo_2[];

#endif
