/* kw86 libc: <unistd.h>. */
#ifndef _UNISTD_H_
#define _UNISTD_H_

#include <sys/cdefs.h>
#include <sys/types.h>

#define STDIN_FILENO  0
#define STDOUT_FILENO 1
#define STDERR_FILENO 2

/* access() */
#define F_OK 0
#define X_OK 0x01
#define W_OK 0x02
#define R_OK 0x04

#ifndef SEEK_SET
#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2
#endif

/* sysconf() names (NetBSD numbering) */
#define _SC_ARG_MAX        1
#define _SC_CHILD_MAX      2
#define _SC_NGROUPS_MAX    4
#define _SC_OPEN_MAX       5
#define _SC_JOB_CONTROL    6
#define _SC_SAVED_IDS      7
#define _SC_VERSION        8
#define _SC_LINE_MAX       15
#define _SC_CLK_TCK        39
#define _SC_PAGESIZE       28
#define _SC_PAGE_SIZE      _SC_PAGESIZE
#define _SC_NPROCESSORS_CONF 1001
#define _SC_NPROCESSORS_ONLN 1002
#define _SC_PHYS_PAGES     121
#define _SC_FSYNC          29
#define _SC_SYNCHRONIZED_IO 31
#define _SC_IOV_MAX        32
#define _SC_MAPPED_FILES   33
#define _SC_MEMLOCK        34
#define _SC_MEMLOCK_RANGE  35
#define _SC_MEMORY_PROTECTION 36
#define _SC_LOGIN_NAME_MAX 37
#define _SC_MONOTONIC_CLOCK 38
#define _SC_THREADS        41
#define _SC_SEMAPHORES     42
#define _SC_BARRIERS       43
#define _SC_TIMERS         44
#define _SC_SPIN_LOCKS     45
#define _SC_READER_WRITER_LOCKS 46
#define _SC_CLOCK_SELECTION 49
#define _SC_ASYNCHRONOUS_IO 50
#define _SC_MESSAGE_PASSING 53
#define _SC_PRIORITY_SCHEDULING 56
#define _SC_THREAD_STACK_MIN 59
#define _SC_THREAD_ATTR_STACKADDR 61
#define _SC_THREAD_ATTR_STACKSIZE 62
#define _SC_THREAD_PRIORITY_SCHEDULING 63
#define _SC_THREAD_PROCESS_SHARED 66
#define _SC_SHARED_MEMORY_OBJECTS 87
#define _SC_TIMER_MAX      88
#define _SC_SEM_NSEMS_MAX  89
#define _SC_CPUTIME        90
#define _SC_THREAD_CPUTIME 91
#define _SC_DELAYTIMER_MAX 92
#define _SC_SIGQUEUE_MAX   93
#define _SC_REALTIME_SIGNALS 94
#define _SC_RTSIG_MAX      95
#define _SC_SCHED_RT_TS    2001 /* round-robin quantum, microseconds */
#define _SC_SCHED_PRI_MIN  2002 /* real-time priorities (sched.h) */
#define _SC_SCHED_PRI_MAX  2003

/* POSIX options: what kw86's kernel and this libc do now (-1: absent).
 * Update them as features land (userland/README.md). */
#define _POSIX_JOB_CONTROL          1
#define _POSIX_SAVED_IDS            1
#define _POSIX_FSYNC                200112L     /* fsync */
#define _POSIX_SYNCHRONIZED_IO      200112L     /* fdatasync, O_SYNC */
#define _POSIX_MAPPED_FILES         200112L     /* mmap, MAP_SHARED files, msync */
#define _POSIX_MEMLOCK              200112L     /* mlockall */
#define _POSIX_MEMLOCK_RANGE        200112L     /* mlock */
#define _POSIX_MEMORY_PROTECTION    200112L     /* mprotect */
#define _POSIX_MONOTONIC_CLOCK      200112L     /* CLOCK_MONOTONIC */
#define _POSIX_PRIORITY_SCHEDULING  200112L     /* sched_* (one run queue: kept, not applied) */
#define _POSIX_SHARED_MEMORY_OBJECTS 200112L    /* shm_open on /var/shm */
#define _POSIX_CLOCK_SELECTION      200112L     /* clock_nanosleep, pthread_condattr_setclock */
#define _POSIX_TIMERS               200112L     /* timer_create & co. (syscalls/ptimer.py) */
#define _POSIX_CPUTIME              200112L     /* clock_getcpuclockid, CLOCK_PROCESS_CPUTIME_ID */
#define _POSIX_THREAD_CPUTIME       200112L     /* pthread_getcpuclockid, CLOCK_THREAD_CPUTIME_ID */
#define _POSIX_THREADS              200112L     /* libc/pthread*.c on LWPs */
#define _POSIX_THREAD_PRIORITY_SCHEDULING (-1)
#define _POSIX_THREAD_PROCESS_SHARED (-1)
#define _POSIX_THREAD_ATTR_STACKADDR 200112L
#define _POSIX_THREAD_ATTR_STACKSIZE 200112L
#define _POSIX_THREAD_SAFE_FUNCTIONS (-1)
#define _POSIX_REALTIME_SIGNALS     200112L     /* sigqueue, sigwaitinfo, sigtimedwait */
#define _POSIX_SEMAPHORES           200112L     /* sem_* over the kernel's ksem calls */
#define _POSIX_BARRIERS             200112L
#define _POSIX_SPIN_LOCKS           200112L
#define _POSIX_READER_WRITER_LOCKS  200112L
#define _POSIX_ASYNCHRONOUS_IO      (-1)
#define _POSIX_MESSAGE_PASSING      (-1)
#define _POSIX_PRIORITIZED_IO       (-1)
#define _POSIX_SPORADIC_SERVER      (-1)
#define _POSIX_THREAD_SPORADIC_SERVER (-1)
#define _POSIX_ADVISORY_INFO        (-1)
#define _POSIX_TYPED_MEMORY_OBJECTS (-1)

/* pathconf() names */
#define _PC_LINK_MAX    1
#define _PC_MAX_CANON   2
#define _PC_MAX_INPUT   3
#define _PC_NAME_MAX    4
#define _PC_PATH_MAX    5
#define _PC_PIPE_BUF    6

#define _POSIX_VERSION  200112L

__BEGIN_DECLS
extern char **environ;

/* getopt */
extern char *optarg;
extern int optind, opterr, optopt, optreset;
int     getopt(int, char * const [], const char *);

__dead void _exit(int);
int     access(const char *, int);
int     faccessat(int, const char *, int, int);
unsigned int alarm(unsigned int);
int     chdir(const char *);
int     fchdir(int);
int     chown(const char *, uid_t, gid_t);
int     fchown(int, uid_t, gid_t);
int     lchown(const char *, uid_t, gid_t);
int     fchownat(int, const char *, uid_t, gid_t, int);
int     close(int);
int     dup(int);
int     dup2(int, int);
int     dup3(int, int, int);
int     execl(const char *, const char *, ...);
int     execle(const char *, const char *, ...);
int     execlp(const char *, const char *, ...);
int     execv(const char *, char * const *);
int     execve(const char *, char * const *, char * const *);
int     fexecve(int, char * const *, char * const *);
int     fdiscard(int, off_t, off_t);
long    lpathconf(const char *, int);
int     execvp(const char *, char * const *);
int     execvpe(const char *, char * const *, char * const *);
pid_t   fork(void);
pid_t   vfork(void);
long    fpathconf(int, int);
long    pathconf(const char *, int);
int     fsync(int);
int     ftruncate(int, off_t);
int     truncate(const char *, off_t);
char   *getcwd(char *, size_t);
char   *getwd(char *);
gid_t   getegid(void);
uid_t   geteuid(void);
gid_t   getgid(void);
uid_t   getuid(void);
int     getgroups(int, gid_t []);
int     setgroups(int, const gid_t *);
char   *getlogin(void);
int     getlogin_r(char *, size_t);
pid_t   getpgrp(void);
pid_t   getpgid(pid_t);
pid_t   getpid(void);
pid_t   getppid(void);
pid_t   getsid(pid_t);
int     gethostname(char *, size_t);
int     getpagesize(void);
int     isatty(int);
int     link(const char *, const char *);
off_t   lseek(int, off_t, int);
int     pause(void);
int     pipe(int *);
int     pipe2(int *, int);
ssize_t read(int, void *, size_t);
ssize_t pread(int, void *, size_t, off_t);
ssize_t readlink(const char *__restrict, char *__restrict, size_t);
ssize_t readlinkat(int, const char *__restrict, char *__restrict, size_t);
int     rmdir(const char *);
int     setgid(gid_t);
int     setegid(gid_t);
int     setuid(uid_t);
int     seteuid(uid_t);
int     setreuid(uid_t, uid_t);
int     setregid(gid_t, gid_t);
int     setpgid(pid_t, pid_t);
int     setpgrp(pid_t, pid_t);       /* NetBSD's 4.3BSD form (obsoleted by setpgid) */
pid_t   setsid(void);
unsigned int sleep(unsigned int);
int     usleep(useconds_t);
long    sysconf(int);
pid_t   tcgetpgrp(int);
int     tcsetpgrp(int, pid_t);
int     symlink(const char *, const char *);
void    sync(void);
int     unlink(const char *);
int     unlinkat(int, const char *, int);
ssize_t write(int, const void *, size_t);
ssize_t pwrite(int, const void *, size_t, off_t);
int     issetugid(void);
void   *sbrk(intptr_t);
int     brk(void *);
int     getdtablesize(void);
ssize_t getrandom(void *, size_t, unsigned int);
__END_DECLS

#endif
