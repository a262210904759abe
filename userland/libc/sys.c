/*
 * kw86 libc: C wrappers over system calls whose C interface differs from the
 * kernel's (variadic open/fcntl/ioctl, a PAD word before 64-bit arguments), and
 * the small POSIX functions built on one or two system calls.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <sys/resource.h>
#include <sys/times.h>
#include <sys/sysctl.h>
#include <sys/utsname.h>
#include <stdarg.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <errno.h>
#include <limits.h>
#include <time.h>
#include <utime.h>

#include "libc_private.h"

int
open(const char *path, int flags, ...)
{
    mode_t mode = 0;

    if (flags & O_CREAT) {
        va_list ap;
        va_start(ap, flags);
        mode = (mode_t)va_arg(ap, int);
        va_end(ap);
    }
    return __sys_open(path, flags, mode);
}

int
openat(int fd, const char *path, int flags, ...)
{
    mode_t mode = 0;

    if (flags & O_CREAT) {
        va_list ap;
        va_start(ap, flags);
        mode = (mode_t)va_arg(ap, int);
        va_end(ap);
    }
    return __sys_openat(fd, path, flags, mode);
}

int
creat(const char *path, mode_t mode)
{
    return __sys_open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
}

int
fcntl(int fd, int cmd, ...)
{
    va_list ap;
    void *arg;

    va_start(ap, cmd);
    arg = va_arg(ap, void *);   /* int or pointer: one word either way on i386 */
    va_end(ap);
    return __sys_fcntl(fd, cmd, arg);
}

int
ioctl(int fd, unsigned long request, ...)
{
    va_list ap;
    void *arg;

    va_start(ap, request);
    arg = va_arg(ap, void *);
    va_end(ap);
    return __sys_ioctl(fd, request, arg);
}

off_t
lseek(int fd, off_t off, int whence)
{
    return __sys_lseek(fd, 0, off, whence);
}

int
truncate(const char *path, off_t len)
{
    return __sys_truncate(path, 0, len);
}

int
ftruncate(int fd, off_t len)
{
    return __sys_ftruncate(fd, 0, len);
}

ssize_t
pread(int fd, void *buf, size_t n, off_t off)
{
    return __sys_pread(fd, buf, n, 0, off);
}

ssize_t
pwrite(int fd, const void *buf, size_t n, off_t off)
{
    return __sys_pwrite(fd, buf, n, 0, off);
}

void *
mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    return __sys_mmap(addr, len, prot, flags, fd, 0, off);
}

void
sync(void)
{
    __sys_sync();
}

/* ---- the break: the kernel keeps it, we remember where we put it */

extern char end[];              /* the linker's end of .bss */
static char *curbrk;

int
brk(void *addr)
{
    if (__sys_obreak(addr) < 0)
        return -1;
    curbrk = addr;
    return 0;
}

void *
sbrk(intptr_t incr)
{
    char *old;

    if (curbrk == NULL)
        curbrk = end;
    old = curbrk;
    if (incr == 0)
        return old;
    if ((incr > 0 && (uintptr_t)old + (uintptr_t)incr < (uintptr_t)old) ||
        (incr < 0 && (uintptr_t)(-incr) > (uintptr_t)old)) {
        errno = ENOMEM;
        return (void *)-1;
    }
    if (__sys_obreak(old + incr) < 0)
        return (void *)-1;
    curbrk = old + incr;
    return old;
}

/* ---- directories and names */

char *
getcwd(char *buf, size_t size)
{
    char *alloc = NULL;

    if (buf == NULL) {
        if (size == 0)
            size = PATH_MAX;
        buf = alloc = malloc(size);
        if (buf == NULL)
            return NULL;
    } else if (size == 0) {
        errno = EINVAL;
        return NULL;
    }
    /* NetBSD's __getcwd fills buf and returns the length including the NUL. */
    if (__sys_getcwd(buf, size) < 0) {
        free(alloc);
        return NULL;
    }
    return buf;
}

char *
getwd(char *buf)
{
    return getcwd(buf, PATH_MAX);
}

int
getlogin_r(char *buf, size_t size)
{
    if (__sys_getlogin(buf, size) < 0)
        return errno;
    return 0;
}

char *
getlogin(void)
{
    static char name[LOGIN_NAME_MAX];

    if (__sys_getlogin(name, sizeof(name)) < 0 || name[0] == '\0')
        return NULL;
    return name;
}

/* ---- time */

time_t
time(time_t *t)
{
    struct timeval tv;

    if (gettimeofday(&tv, NULL) < 0)
        return (time_t)-1;
    if (t != NULL)
        *t = tv.tv_sec;
    return tv.tv_sec;
}

unsigned int
sleep(unsigned int seconds)
{
    struct timespec req, rem;

    req.tv_sec = seconds;
    req.tv_nsec = 0;
    if (nanosleep(&req, &rem) < 0) {
        if (errno != EINTR)
            return seconds;
        return (unsigned int)rem.tv_sec + (rem.tv_nsec > 0);
    }
    return 0;
}

int
usleep(useconds_t us)
{
    struct timespec req;

    req.tv_sec = us / 1000000;
    req.tv_nsec = (long)(us % 1000000) * 1000;
    return nanosleep(&req, NULL);
}

unsigned int
alarm(unsigned int seconds)
{
    struct itimerval it, old;

    memset(&it, 0, sizeof(it));
    it.it_value.tv_sec = seconds;
    if (setitimer(ITIMER_REAL, &it, &old) < 0)
        return 0;
    return (unsigned int)old.it_value.tv_sec + (old.it_value.tv_usec > 0);
}

clock_t
clock(void)
{
    struct rusage ru;
    long long us;

    if (getrusage(RUSAGE_SELF, &ru) < 0)
        return (clock_t)-1;
    us = (long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
         ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
    return (clock_t)(us / (1000000 / CLOCKS_PER_SEC));
}

/* times(3) as NetBSD's libc computes it: each rusage time in clock ticks
 * (CLK_TCK, 100 a second), the return value the monotonic clock in ticks. */
#define TIMES_TCK(tv) ((clock_t)((tv).tv_sec * 100 + (tv).tv_usec / (1000000 / 100)))

clock_t
times(struct tms *tp)
{
    struct rusage ru;
    struct timespec now;

    if (getrusage(RUSAGE_SELF, &ru) < 0)
        return (clock_t)-1;
    tp->tms_utime = TIMES_TCK(ru.ru_utime);
    tp->tms_stime = TIMES_TCK(ru.ru_stime);
    if (getrusage(RUSAGE_CHILDREN, &ru) < 0)
        return (clock_t)-1;
    tp->tms_cutime = TIMES_TCK(ru.ru_utime);
    tp->tms_cstime = TIMES_TCK(ru.ru_stime);
    if (clock_gettime(CLOCK_MONOTONIC, &now) < 0)
        return (clock_t)-1;
    return (clock_t)(now.tv_sec * 100 + now.tv_nsec / (1000000000 / 100));
}

int
utime(const char *path, const struct utimbuf *times)
{
    struct timeval tv[2];

    if (times == NULL)
        return utimes(path, NULL);
    tv[0].tv_sec = times->actime;
    tv[0].tv_usec = 0;
    tv[1].tv_sec = times->modtime;
    tv[1].tv_usec = 0;
    return utimes(path, tv);
}

/* ---- processes */

pid_t
waitpid(pid_t pid, int *status, int options)
{
    return wait4(pid, status, options, NULL);
}

pid_t
wait(int *status)
{
    return wait4(WAIT_ANY, status, 0, NULL);
}

pid_t
wait3(int *status, int options, struct rusage *ru)
{
    return wait4(WAIT_ANY, status, options, ru);
}

int
pause(void)
{
    sigset_t mask;

    if (sigprocmask(SIG_BLOCK, NULL, &mask) < 0)
        return -1;
    return sigsuspend(&mask);
}

/* ---- sysctl-based information */

int
sysctl(const int *name, unsigned int namelen, void *oldp, size_t *oldlenp,
       const void *newp, size_t newlen)
{
    return __sysctl(name, namelen, oldp, oldlenp, newp, newlen);
}

static long
sysctl_int_byname(const char *name)
{
    int value;
    size_t len = sizeof(value);

    if (sysctlbyname(name, &value, &len, NULL, 0) < 0)
        return -1;
    return value;
}

static int
sysctl_string(int top, int second, char *buf, size_t size)
{
    int mib[2];
    size_t len = size;

    mib[0] = top;
    mib[1] = second;
    if (__sysctl(mib, 2, buf, &len, NULL, 0) < 0)
        return -1;
    if (len >= size)
        len = size - 1;
    buf[len] = '\0';
    return 0;
}

int
uname(struct utsname *u)
{
    char *p;

    if (sysctl_string(CTL_KERN, KERN_OSTYPE, u->sysname, sizeof(u->sysname)) < 0 ||
        sysctl_string(CTL_KERN, KERN_HOSTNAME, u->nodename, sizeof(u->nodename)) < 0 ||
        sysctl_string(CTL_KERN, KERN_OSRELEASE, u->release, sizeof(u->release)) < 0 ||
        sysctl_string(CTL_KERN, KERN_VERSION, u->version, sizeof(u->version)) < 0 ||
        sysctl_string(CTL_HW, HW_MACHINE, u->machine, sizeof(u->machine)) < 0)
        return -1;
    /* kern.version is multi-line; uname shows its first line, tabs as spaces. */
    for (p = u->version; *p != '\0'; p++) {
        if (*p == '\n') {
            *p = '\0';
            break;
        }
        if (*p == '\t')
            *p = ' ';
    }
    return 0;
}

int
gethostname(char *name, size_t size)
{
    int mib[2] = { CTL_KERN, KERN_HOSTNAME };
    size_t len = size;

    if (__sysctl(mib, 2, name, &len, NULL, 0) < 0) {
        if (errno == ENOMEM)
            errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

int
getpagesize(void)
{
    return (int)__kw86_pagesize;
}

int
getdtablesize(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur > INT_MAX)
        return OPEN_MAX;
    return (int)rl.rlim_cur;
}

long
sysconf(int name)
{
    struct rlimit rl;
    int mib[2], value;
    size_t len = sizeof(value);

    switch (name) {
    case _SC_ARG_MAX:
        mib[0] = CTL_KERN;
        mib[1] = KERN_ARGMAX;
        if (__sysctl(mib, 2, &value, &len, NULL, 0) == 0)
            return value;
        return ARG_MAX;
    case _SC_CHILD_MAX:
        if (getrlimit(RLIMIT_NPROC, &rl) == 0 && rl.rlim_cur < LONG_MAX)
            return (long)rl.rlim_cur;
        return CHILD_MAX;
    case _SC_OPEN_MAX:
        return getdtablesize();
    case _SC_NGROUPS_MAX:
        return NGROUPS_MAX;
    case _SC_JOB_CONTROL:
    case _SC_SAVED_IDS:
        return 1;
    case _SC_VERSION:
        return _POSIX_VERSION;
    case _SC_LINE_MAX:
        return LINE_MAX;
    case _SC_CLK_TCK:
        return 100;
    case _SC_PAGESIZE:
        return (long)__kw86_pagesize;
    case _SC_NPROCESSORS_CONF:
    case _SC_NPROCESSORS_ONLN:
        mib[0] = CTL_HW;
        mib[1] = HW_NCPU;
        if (__sysctl(mib, 2, &value, &len, NULL, 0) == 0)
            return value;
        return 1;
    /* the POSIX options: <unistd.h>'s macros (-1: the option is absent) */
    case _SC_FSYNC:                 return _POSIX_FSYNC;
    case _SC_SYNCHRONIZED_IO:       return _POSIX_SYNCHRONIZED_IO;
    case _SC_MAPPED_FILES:          return _POSIX_MAPPED_FILES;
    case _SC_MEMLOCK:               return _POSIX_MEMLOCK;
    case _SC_MEMLOCK_RANGE:         return _POSIX_MEMLOCK_RANGE;
    case _SC_MEMORY_PROTECTION:     return _POSIX_MEMORY_PROTECTION;
    case _SC_MONOTONIC_CLOCK:       return _POSIX_MONOTONIC_CLOCK;
    case _SC_PRIORITY_SCHEDULING:   return _POSIX_PRIORITY_SCHEDULING;
    case _SC_SHARED_MEMORY_OBJECTS: return _POSIX_SHARED_MEMORY_OBJECTS;
    case _SC_CLOCK_SELECTION:       return _POSIX_CLOCK_SELECTION;
    case _SC_TIMERS:                return _POSIX_TIMERS;
    case _SC_CPUTIME:               return _POSIX_CPUTIME;
    case _SC_THREAD_CPUTIME:        return _POSIX_THREAD_CPUTIME;
    case _SC_THREADS:               return _POSIX_THREADS;
    case _SC_THREAD_PRIORITY_SCHEDULING: return _POSIX_THREAD_PRIORITY_SCHEDULING;
    case _SC_THREAD_PROCESS_SHARED: return _POSIX_THREAD_PROCESS_SHARED;
    case _SC_THREAD_ATTR_STACKADDR: return _POSIX_THREAD_ATTR_STACKADDR;
    case _SC_THREAD_ATTR_STACKSIZE: return _POSIX_THREAD_ATTR_STACKSIZE;
    case _SC_REALTIME_SIGNALS:      return _POSIX_REALTIME_SIGNALS;
    case _SC_SEMAPHORES:            return _POSIX_SEMAPHORES;
    case _SC_BARRIERS:              return _POSIX_BARRIERS;
    case _SC_SPIN_LOCKS:            return _POSIX_SPIN_LOCKS;
    case _SC_READER_WRITER_LOCKS:   return _POSIX_READER_WRITER_LOCKS;
    case _SC_ASYNCHRONOUS_IO:       return _POSIX_ASYNCHRONOUS_IO;
    case _SC_MESSAGE_PASSING:       return _POSIX_MESSAGE_PASSING;
    case _SC_THREAD_STACK_MIN:
        return PTHREAD_STACK_MIN;       /* <limits.h>: what pthread_attr_setstacksize takes */
    /* limits of absent options: indeterminate (-1, errno unchanged) */
    case _SC_TIMER_MAX:                 /* timer_create: ids 4..35 (NetBSD's TIMER_MAX 36) */
        return 32;
    case _SC_DELAYTIMER_MAX:            /* NetBSD kern_time.c DELAYTIMER_MAX */
        return 32;
    case _SC_SEM_NSEMS_MAX:
    case _SC_SIGQUEUE_MAX:
    case _SC_RTSIG_MAX:
        return -1;
    case _SC_IOV_MAX:
        return 1024;            /* NetBSD's IOV_MAX */
    case _SC_LOGIN_NAME_MAX:
        return 17;              /* MAXLOGNAME + 1 */
    /* NetBSD's scheduler variables, asked of the kernel by name as
     * NetBSD's sysconf does (kern.sched's numbers are given out at boot):
     * the round-robin quantum in milliseconds, SCHED_PRI_MIN/MAX */
    case _SC_SCHED_RT_TS:
        return sysctl_int_byname("kern.sched.rtts");
    case _SC_SCHED_PRI_MIN:
        return sysctl_int_byname("kern.sched.pri_min");
    case _SC_SCHED_PRI_MAX:
        return sysctl_int_byname("kern.sched.pri_max");
    case _SC_PHYS_PAGES: {
        long long mem;
        size_t mlen = sizeof(mem);
        mib[0] = CTL_HW;
        mib[1] = 19;            /* HW_PHYSMEM64 */
        if (__sysctl(mib, 2, &mem, &mlen, NULL, 0) == 0)
            return (long)(mem / (long long)__kw86_pagesize);
        return -1;
    }
    default:
        errno = EINVAL;
        return -1;
    }
}
