"""NetBSD/i386 system calls: the table and the dispatcher.

Numbers are NetBSD 10's [abi §2]; the NetBSD 1.5 numbers of the same calls
(__stat13, getdents 272, gettimeofday 116 ...) are rows too, marked
compat="15", with 1.5's layouts.  A number NetBSD defines but kw86 lacks
returns ENOSYS and says so once per name on stderr; a number above the
highest NetBSD defines (or a hole NetBSD leaves) posts SIGSYS, as NetBSD's
sys_nosys does, and returns ENOSYS.

`dispatch(p, code, sp, table)` is the general system-call path (trap.py
calls it with the process's emulation's table): it reads the arguments at
user sp+4, runs the handler, turns its return value into eax/edx with
trap.retregs (the fast path's conversion too) and returns a SysResult
(eax, edx, error, block); it never raises for anything the guest does.
"""
import os

from kw86.nbsd import abi
from kw86.nbsd.errors import Errno, Exit, Fault, WouldBlock
from kw86.nbsd import kernelware, module, signals
from kw86.nbsd.syscalls import ident, lwp, poll, vm
from kw86.nbsd.syscalls.table import Row, Table, format_result, lazy_module

# imported on a program's first socket or kqueue call (table.LazyHandler)
kqcalls = lazy_module("kw86.nbsd.syscalls.kqueue")
sock = lazy_module("kw86.nbsd.syscalls.socket")
# and the file, sysctl, NetBSD 10 and scheduler calls on their first call:
# the kernel itself needs none of them to start a program (exit is vm's);
# the names are dropped after the table (del below), so that `from
# kw86.nbsd.syscalls import fs` still imports the module itself
fs = lazy_module("kw86.nbsd.syscalls.fs")
kern = lazy_module("kw86.nbsd.syscalls.kern")
nb10 = lazy_module("kw86.nbsd.syscalls.nb10")
sched = lazy_module("kw86.nbsd.syscalls.sched")
mknod = lazy_module("kw86.nbsd.syscalls.mknod")
# POSIX semaphores and timers: a process's ksems/ptimers are empty until
# one of their calls (the kernel's fork/exit/exec hooks look only then)
ksem = lazy_module("kw86.nbsd.syscalls.ksem")
ptimer = lazy_module("kw86.nbsd.syscalls.ptimer")
# System V IPC (sysvipc.py): the machine's namespace is made by the first call
sysv = lazy_module("kw86.nbsd.syscalls.sysvipc")

# posix_spawn and fexecve (spawn.py), and the small NetBSD calls of
# nbcalls.py (mincore, mremap, utrace, uuidgen, the clock setters ...)
spawn = lazy_module("kw86.nbsd.syscalls.spawn")
nbc = lazy_module("kw86.nbsd.syscalls.nbcalls")
xat = lazy_module("kw86.nbsd.syscalls.extattr")

R = Row

ROWS = [
    # -- descriptors and I/O --
    R(1, "exit", "int rval", vm.sys_exit, ret="void"),
    R(2, "fork", "", vm.sys_fork),
    R(3, "read", "int fd, void *buf, size_t nbyte", fs.sys_read),
    R(4, "write", "int fd, const void *buf, size_t nbyte", fs.sys_write),
    R(5, "open", "const char *path, int flags, mode_t mode", fs.sys_open),
    R(6, "close", "int fd", fs.sys_close),
    R(7, "wait4", "pid_t pid, int *status, int options, struct rusage50 *rusage", vm.sys_wait4, compat="15"),
    R(9, "link", "const char *path, const char *link", fs.sys_link),
    R(10, "unlink", "const char *path", fs.sys_unlink),
    R(12, "chdir", "const char *path", fs.sys_chdir),
    R(13, "fchdir", "int fd", fs.sys_fchdir),
    R(15, "chmod", "const char *path, mode_t mode", fs.sys_chmod),
    R(16, "chown", "const char *path, uid_t uid, gid_t gid", fs.sys_chown),
    R(17, "break", "char *nsize", vm.sys_obreak),
    R(20, "getpid", "", ident.sys_getpid),
    R(23, "setuid", "uid_t uid", ident.sys_setuid),
    R(24, "getuid", "", ident.sys_getuid),
    R(25, "geteuid", "", ident.sys_geteuid),
    R(33, "access", "const char *path, int flags", fs.sys_access),
    R(36, "sync", "", vm.sys_sync),
    R(37, "kill", "pid_t pid, int signum", vm.sys_kill),
    R(39, "getppid", "", ident.sys_getppid),
    R(41, "dup", "int fd", fs.sys_dup),
    R(42, "pipe", "", fs.sys_pipe),
    R(43, "getegid", "", ident.sys_getegid),
    R(47, "getgid", "", ident.sys_getgid),
    R(49, "__getlogin", "char *namebuf, size_t namelen", ident.sys___getlogin),
    R(50, "__setlogin", "const char *namebuf", ident.sys___setlogin),
    R(54, "ioctl", "int fd, u_long com, void *data", fs.sys_ioctl),
    R(57, "symlink", "const char *path, const char *link", fs.sys_symlink),
    R(58, "readlink", "const char *path, char *buf, size_t count", fs.sys_readlink),
    R(59, "execve", "const char *path, char * const *argp, char * const *envp", vm.sys_execve),
    R(60, "umask", "mode_t newmask", fs.sys_umask),
    R(61, "chroot", "const char *path", fs.sys_chroot),
    R(73, "munmap", "void *addr, size_t len", vm.sys_munmap),
    R(74, "mprotect", "void *addr, size_t len, int prot", vm.sys_mprotect),
    R(75, "madvise", "void *addr, size_t len, int behav", vm.sys_madvise),
    R(79, "getgroups", "int gidsetsize, gid_t *gidset", ident.sys_getgroups),
    R(80, "setgroups", "int gidsetsize, const gid_t *gidset", ident.sys_setgroups),
    R(81, "getpgrp", "", ident.sys_getpgrp),
    R(82, "setpgid", "pid_t pid, pid_t pgid", ident.sys_setpgid),
    R(90, "dup2", "int from, int to", fs.sys_dup2),
    R(91, "getrandom", "void *buf, size_t buflen, u_int flags", vm.sys_getrandom),
    R(92, "fcntl", "int fd, int cmd, void *arg", fs.sys_fcntl),
    R(96, "setpriority", "int which, id_t who, int prio", kern.sys_setpriority),
    R(100, "getpriority", "int which, id_t who", kern.sys_getpriority),
    R(93, "select", "int nd, fd_set *in, fd_set *ou, fd_set *ex, struct timeval50 *tv",
      poll.sys_select, compat="15"),
    R(95, "fsync", "int fd", fs.sys_fsync),
    R(116, "gettimeofday", "struct timeval50 *tp, void *tzp", ident.sys_gettimeofday,
      compat="15"),
    R(117, "getrusage", "int who, struct rusage50 *rusage", kern.sys_getrusage, compat="15"),
    R(120, "readv", "int fd, const struct iovec *iovp, int iovcnt", fs.sys_readv),
    R(121, "writev", "int fd, const struct iovec *iovp, int iovcnt", fs.sys_writev),
    R(123, "fchown", "int fd, uid_t uid, gid_t gid", fs.sys_fchown),
    R(124, "fchmod", "int fd, mode_t mode", fs.sys_fchmod),
    R(126, "setreuid", "uid_t ruid, uid_t euid", ident.sys_setreuid),
    R(127, "setregid", "gid_t rgid, gid_t egid", ident.sys_setregid),
    R(128, "rename", "const char *from, const char *to", fs.sys_rename),
    R(136, "mkdir", "const char *path, mode_t mode", fs.sys_mkdir),
    R(137, "rmdir", "const char *path", fs.sys_rmdir),
    R(138, "utimes", "const char *path, const struct timeval50 *tptr", fs.sys_utimes,
      compat="15"),
    R(147, "setsid", "", ident.sys_setsid),
    R(173, "pread", "int fd, void *buf, size_t nbyte, int PAD, off_t offset", fs.sys_pread),
    R(174, "pwrite", "int fd, const void *buf, size_t nbyte, int PAD, off_t offset",
      fs.sys_pwrite),
    R(181, "setgid", "gid_t gid", ident.sys_setgid),
    R(182, "setegid", "gid_t egid", ident.sys_setegid),
    R(183, "seteuid", "uid_t euid", ident.sys_seteuid),
    R(191, "pathconf", "const char *path, int name", vm.sys_pathconf),
    R(192, "fpathconf", "int fd, int name", vm.sys_fpathconf),
    R(194, "getrlimit", "int which, struct rlimit *rlp", kern.sys_getrlimit),
    R(195, "setrlimit", "int which, const struct rlimit *rlp", kern.sys_setrlimit),
    R(197, "mmap", "void *addr, size_t len, int prot, int flags, int fd, long PAD, off_t pos", vm.sys_mmap, ret="ptr"),
    R(199, "lseek", "int fd, int PAD, off_t offset, int whence", fs.sys_lseek, ret="off_t"),
    R(200, "truncate", "const char *path, int PAD, off_t length", fs.sys_truncate),
    R(201, "ftruncate", "int fd, int PAD, off_t length", fs.sys_ftruncate),
    R(202, "__sysctl", "const int *name, u_int namelen, void *oldv, size_t *oldlenp, "
      "const void *newv, size_t newlen", kern.sys___sysctl),
    R(206, "futimes", "int fd, const struct timeval50 *tptr", fs.sys_futimes, compat="15"),
    R(207, "getpgid", "pid_t pid", ident.sys_getpgid),
    R(209, "poll", "struct pollfd *fds, u_int nfds, int timeout", poll.sys_poll),
    R(232, "clock_gettime", "clockid_t clock_id, struct timespec50 *tp",
      ident.sys_clock_gettime, compat="15"),
    R(240, "nanosleep", "const struct timespec50 *rqtp, struct timespec50 *rmtp", vm.sys_nanosleep, compat="15"),
    R(272, "getdents", "int fd, char *buf, size_t count", fs.sys_getdents12, compat="15"),
    R(274, "lchmod", "const char *path, mode_t mode", fs.sys_lchmod),
    R(275, "lchown", "const char *path, uid_t uid, gid_t gid", fs.sys_lchown),
    R(276, "lutimes", "const char *path, const struct timeval50 *tptr", fs.sys_lutimes,
      compat="15"),
    R(278, "__stat13", "const char *path, struct stat13 *ub", fs.sys___stat13, compat="15"),
    R(279, "__fstat13", "int fd, struct stat13 *sb", fs.sys___fstat13, compat="15"),
    R(280, "__lstat13", "const char *path, struct stat13 *ub", fs.sys___lstat13, compat="15"),
    R(270, "__posix_rename", "const char *from, const char *to", fs.sys___posix_rename),
    R(282, "__vfork14", "", vm.sys_vfork),
    R(283, "__posix_chown", "const char *path, uid_t uid, gid_t gid", fs.sys___posix_chown),
    R(284, "__posix_fchown", "int fd, uid_t uid, gid_t gid", fs.sys___posix_fchown),
    R(285, "__posix_lchown", "const char *path, uid_t uid, gid_t gid", fs.sys___posix_lchown),
    R(286, "getsid", "pid_t pid", ident.sys_getsid),
    R(289, "preadv", "int fd, const struct iovec *iovp, int iovcnt, int PAD, off_t offset",
      fs.sys_preadv),
    R(290, "pwritev", "int fd, const struct iovec *iovp, int iovcnt, int PAD, off_t offset",
      fs.sys_pwritev),
    R(281, "__sigaltstack14", "const struct sigaltstack *nss, struct sigaltstack *oss",
      signals.sys___sigaltstack14),
    R(132, "mkfifo", "const char *path, mode_t mode", fs.sys_mkfifo),
    R(292, "__sigpending14", "sigset_t *set", vm.sys___sigpending14),
    R(294, "__sigsuspend14", "const sigset_t *set", vm.sys___sigsuspend14),
    R(293, "__sigprocmask14", "int how, const sigset_t *set, sigset_t *oset", vm.sys___sigprocmask14),
    R(296, "__getcwd", "char *bufp, size_t length", fs.sys___getcwd),
    R(305, "issetugid", "", ident.sys_issetugid),
    R(307, "getcontext", "struct __ucontext *ucp", signals.sys_getcontext),
    R(308, "setcontext", "const struct __ucontext *ucp", signals.sys_setcontext),
    R(311, "_lwp_self", "", lwp.sys__lwp_self),
    R(316, "_lwp_getprivate", "", lwp.sys__lwp_getprivate),
    R(317, "_lwp_setprivate", "void *ptr", vm.sys__lwp_setprivate),
    R(340, "__sigaction_sigtramp", "int signum, const struct sigaction *nsa, struct sigaction *osa, const void *tramp, int vers", vm.sys___sigaction_sigtramp),
    R(350, "sched_yield", "", kern.sys_sched_yield),
    R(390, "__getdents30", "int fd, char *buf, size_t count", fs.sys___getdents30),
    R(417, "__select50", "int nd, fd_set *in, fd_set *ou, fd_set *ex, struct timeval *tv",
      poll.sys___select50),
    R(418, "__gettimeofday50", "struct timeval *tp, void *tzp", ident.sys___gettimeofday50),
    R(420, "__utimes50", "const char *path, const struct timeval *tptr", fs.sys___utimes50),
    R(423, "__futimes50", "int fd, const struct timeval *tptr", fs.sys___futimes50),
    R(424, "__lutimes50", "const char *path, const struct timeval *tptr", fs.sys___lutimes50),
    R(427, "__clock_gettime50", "clockid_t clock_id, struct timespec *tp",
      ident.sys___clock_gettime50),
    R(429, "__clock_getres50", "clockid_t clock_id, struct timespec *tp",
      ident.sys___clock_getres50),
    R(437, "__pollts50", "struct pollfd *fds, u_int nfds, const struct timespec *ts, "
      "const sigset_t *mask", poll.sys___pollts50),
    R(430, "__nanosleep50", "const struct timespec *rqtp, struct timespec *rmtp", vm.sys___nanosleep50),
    R(439, "__stat50", "const char *path, struct stat *ub", fs.sys___stat50),
    R(440, "__fstat50", "int fd, struct stat *sb", fs.sys___fstat50),
    R(441, "__lstat50", "const char *path, struct stat *ub", fs.sys___lstat50),
    R(445, "__getrusage50", "int who, struct rusage *rusage", kern.sys___getrusage50),
    R(449, "__wait450", "pid_t pid, int *status, int options, struct rusage *rusage", vm.sys___wait450),
    R(481, "wait6", "idtype_t idtype, id_t id, int *status, int options, struct wrusage *wru, "
      "siginfo_t *info", vm.sys_wait6),
    R(453, "pipe2", "int *fildes, int flags", fs.sys_pipe2),
    R(454, "dup3", "int from, int to, int flags", fs.sys_dup3),
    # -- the sigcontext signal ABI of NetBSD 1.5 (compat_16 in 10) --
    R(291, "compat_16___sigaction14", "int signum, const struct sigaction *nsa, "
      "struct sigaction *osa", signals.sys___sigaction14),
    R(295, "compat_16___sigreturn14", "struct sigcontext *scp", signals.sys___sigreturn14),
    # -- NetBSD 10 start-up and base programs (nb10.py) --
    R(165, "sysarch", "int op, void *parms", nb10.sys_sysarch),
    R(241, "fdatasync", "int fd", nb10.sys_fdatasync),
    R(354, "fsync_range", "int fd, int flags, off_t start, off_t length", nb10.sys_fsync_range),
    R(34, "chflags", "const char *path, u_long flags", nb10.sys_chflags),
    R(35, "fchflags", "int fd, u_long flags", nb10.sys_fchflags),
    R(304, "lchflags", "const char *path, u_long flags", nb10.sys_lchflags),
    R(416, "__posix_fadvise50", "int fd, int PAD, off_t offset, off_t len, int advice",
      nb10.sys___posix_fadvise50),
    R(203, "mlock", "const void *addr, size_t len", nb10.sys_mlock),
    R(204, "munlock", "const void *addr, size_t len", nb10.sys_munlock),
    R(242, "mlockall", "int flags", nb10.sys_mlockall),
    R(243, "munlockall", "", nb10.sys_munlockall),
    R(273, "minherit", "void *addr, size_t len, int inherit", nb10.sys_minherit),
    R(277, "__msync13", "void *addr, size_t len, int flags", nb10.sys___msync13),
    # -- LWPs (lwp.py) --
    R(309, "_lwp_create", "const struct __ucontext *ucp, u_long flags, lwpid_t *new_lwp",
      lwp.sys__lwp_create),
    R(310, "_lwp_exit", "", lwp.sys__lwp_exit, ret="void"),
    R(312, "_lwp_wait", "lwpid_t wait_for, lwpid_t *departed", lwp.sys__lwp_wait),
    R(313, "_lwp_suspend", "lwpid_t target", lwp.sys__lwp_suspend),
    R(314, "_lwp_continue", "lwpid_t target", lwp.sys__lwp_continue),
    R(315, "_lwp_wakeup", "lwpid_t target", lwp.sys__lwp_wakeup),
    R(318, "_lwp_kill", "lwpid_t target, int signo", lwp.sys__lwp_kill),
    R(319, "_lwp_detach", "lwpid_t target", lwp.sys__lwp_detach),
    R(321, "_lwp_unpark", "lwpid_t target, const void *hint", lwp.sys__lwp_unpark),
    R(322, "_lwp_unpark_all", "const lwpid_t *targets, size_t ntargets, const void *hint",
      lwp.sys__lwp_unpark_all),
    R(323, "_lwp_setname", "lwpid_t target, const char *name", lwp.sys__lwp_setname),
    R(324, "_lwp_getname", "lwpid_t target, char *name, size_t len", lwp.sys__lwp_getname),
    R(325, "_lwp_ctl", "int features, struct lwpctl **address", lwp.sys__lwp_ctl),
    R(436, "__pselect50", "int nd, fd_set *in, fd_set *ou, fd_set *ex, "
      "const struct timespec *ts, const sigset_t *mask", nb10.sys___pselect50),
    R(457, "linkat", "int fd1, const char *name1, int fd2, const char *name2, int flags",
      nb10.sys_linkat),
    R(458, "renameat", "int fromfd, const char *from, int tofd, const char *to",
      nb10.sys_renameat),
    R(459, "mkfifoat", "int fd, const char *path, mode_t mode", nb10.sys_mkfifoat),
    R(461, "mkdirat", "int fd, const char *path, mode_t mode", nb10.sys_mkdirat),
    R(462, "faccessat", "int fd, const char *path, int amode, int flag", nb10.sys_faccessat),
    R(463, "fchmodat", "int fd, const char *path, mode_t mode, int flag", nb10.sys_fchmodat),
    R(464, "fchownat", "int fd, const char *path, uid_t owner, gid_t group, int flag",
      nb10.sys_fchownat),
    R(466, "fstatat", "int fd, const char *path, struct stat *buf, int flag", nb10.sys_fstatat),
    R(467, "utimensat", "int fd, const char *path, const struct timespec *tptr, int flag",
      nb10.sys_utimensat),
    R(468, "openat", "int fd, const char *path, int oflags, mode_t mode", nb10.sys_openat),
    R(469, "readlinkat", "int fd, const char *path, char *buf, size_t bufsize",
      nb10.sys_readlinkat),
    R(470, "symlinkat", "const char *path1, int fd, const char *path2", nb10.sys_symlinkat),
    R(471, "unlinkat", "int fd, const char *path, int flag", nb10.sys_unlinkat),
    R(472, "futimens", "int fd, const struct timespec *tptr", nb10.sys_futimens),
    R(356, "compat_90_getvfsstat", "struct statvfs90 *buf, size_t bufsize, int flags",
      nb10.sys_getvfsstat_90),
    R(357, "compat_90_statvfs1", "const char *path, struct statvfs90 *buf, int flags",
      nb10.sys_statvfs1_90),
    R(358, "compat_90_fstatvfs1", "int fd, struct statvfs90 *buf, int flags",
      nb10.sys_fstatvfs1_90),
    R(483, "__getvfsstat90", "struct statvfs *buf, size_t bufsize, int flags",
      nb10.sys___getvfsstat90),
    R(484, "__statvfs190", "const char *path, struct statvfs *buf, int flags",
      nb10.sys___statvfs190),
    R(485, "__fstatvfs190", "int fd, struct statvfs *buf, int flags", nb10.sys___fstatvfs190),
    R(478, "___lwp_park60", "clockid_t clock_id, int flags, const struct timespec *ts, "
      "lwpid_t unpark, const void *hint, const void *unparkhint", lwp.sys____lwp_park60),
    # -- POSIX semaphores (ksem.py) --
    R(247, "_ksem_init", "unsigned int value, intptr_t *idp", ksem.sys__ksem_init),
    R(248, "_ksem_open", "const char *name, int oflag, mode_t mode, unsigned int value, "
      "intptr_t *idp", ksem.sys__ksem_open),
    R(249, "_ksem_unlink", "const char *name", ksem.sys__ksem_unlink),
    R(250, "_ksem_close", "intptr_t id", ksem.sys__ksem_close),
    R(251, "_ksem_post", "intptr_t id", ksem.sys__ksem_post),
    R(252, "_ksem_wait", "intptr_t id", ksem.sys__ksem_wait),
    R(253, "_ksem_trywait", "intptr_t id", ksem.sys__ksem_trywait),
    R(254, "_ksem_getvalue", "intptr_t id, unsigned int *value", ksem.sys__ksem_getvalue),
    R(255, "_ksem_destroy", "intptr_t id", ksem.sys__ksem_destroy),
    R(256, "_ksem_timedwait", "intptr_t id, const struct timespec *abstime",
      ksem.sys__ksem_timedwait),
    # -- System V IPC (sysvipc.py) --
    R(221, "semget", "key_t key, int nsems, int semflg", sysv.sys_semget),
    R(222, "semop", "int semid, struct sembuf *sops, size_t nsops", sysv.sys_semop),
    R(223, "semconfig", "int flag", sysv.sys_semconfig),
    R(225, "msgget", "key_t key, int msgflg", sysv.sys_msgget),
    R(226, "msgsnd", "int msqid, const void *msgp, size_t msgsz, int msgflg", sysv.sys_msgsnd),
    R(227, "msgrcv", "int msqid, void *msgp, size_t msgsz, long msgtyp, int msgflg",
      sysv.sys_msgrcv),
    R(228, "shmat", "int shmid, const void *shmaddr, int shmflg", sysv.sys_shmat, ret="ptr"),
    R(230, "shmdt", "const void *shmaddr", sysv.sys_shmdt),
    R(231, "shmget", "key_t key, size_t size, int shmflg", sysv.sys_shmget),
    R(442, "____semctl50", "int semid, int semnum, int cmd, union __semun *arg",
      sysv.sys_____semctl50),
    R(443, "__shmctl50", "int shmid, int cmd, struct shmid_ds *buf", sysv.sys___shmctl50),
    R(444, "__msgctl50", "int msqid, int cmd, struct msqid_ds *buf", sysv.sys___msgctl50),
    R(301, "compat_50_____semctl13", "int semid, int semnum, int cmd, union __semun *arg",
      sysv.sys_____semctl13, compat="15"),
    R(302, "compat_50___msgctl13", "int msqid, int cmd, struct msqid_ds13 *buf",
      sysv.sys___msgctl13, compat="15"),
    R(303, "compat_50___shmctl13", "int shmid, int cmd, struct shmid_ds13 *buf",
      sysv.sys___shmctl13, compat="15"),
    # -- interval timers (kern.py): alarm(3) is setitimer --
    R(425, "__setitimer50", "int which, const struct itimerval *itv, struct itimerval *oitv",
      kern.sys___setitimer50),
    R(426, "__getitimer50", "int which, struct itimerval *itv", kern.sys___getitimer50),
    R(83, "compat_50_setitimer", "int which, const struct itimerval50 *itv, "
      "struct itimerval50 *oitv", kern.sys_setitimer, compat="15"),
    R(86, "compat_50_getitimer", "int which, struct itimerval50 *itv", kern.sys_getitimer,
      compat="15"),
    # -- POSIX scheduling, clocks and file locks (issue 14: sched.py, vm.py, lockf.py) --
    R(346, "_sched_setparam", "pid_t pid, lwpid_t lid, int policy, "
      "const struct sched_param *params", sched.sys__sched_setparam),
    R(347, "_sched_getparam", "pid_t pid, lwpid_t lid, int *policy, "
      "struct sched_param *params", sched.sys__sched_getparam),
    R(348, "_sched_setaffinity", "pid_t pid, lwpid_t lid, size_t size, const cpuset_t *cpuset",
      sched.sys__sched_setaffinity),
    R(349, "_sched_getaffinity", "pid_t pid, lwpid_t lid, size_t size, cpuset_t *cpuset",
      sched.sys__sched_getaffinity),
    R(428, "__clock_settime50", "clockid_t clock_id, const struct timespec *tp",
      sched.sys___clock_settime50),
    R(482, "clock_getcpuclockid2", "idtype_t idtype, id_t id, clockid_t *clock_id",
      ident.sys_clock_getcpuclockid2),
    R(450, "__mknod50", "const char *path, mode_t mode, dev_t dev", mknod.sys___mknod50),
    R(460, "mknodat", "int fd, const char *path, mode_t mode, PAD, dev_t dev",
      mknod.sys_mknodat),
    R(477, "clock_nanosleep", "clockid_t clock_id, int flags, const struct timespec *rqtp, "
      "struct timespec *rmtp", vm.sys_clock_nanosleep),
    R(131, "flock", "int fd, int how", fs.sys_flock),
    # -- POSIX timers, sigtimedwait, sigqueue (ptimer.py) --
    R(235, "timer_create", "clockid_t clock_id, struct sigevent *evp, timer_t *timerid",
      ptimer.sys_timer_create),
    R(236, "timer_delete", "timer_t timerid", ptimer.sys_timer_delete),
    R(239, "timer_getoverrun", "timer_t timerid", ptimer.sys_timer_getoverrun),
    R(446, "__timer_settime50", "timer_t timerid, int flags, const struct itimerspec *value, "
      "struct itimerspec *ovalue", ptimer.sys___timer_settime50),
    R(447, "__timer_gettime50", "timer_t timerid, struct itimerspec *value",
      ptimer.sys___timer_gettime50),
    R(431, "____sigtimedwait50", "const sigset_t *set, siginfo_t *info, "
      "struct timespec *timeout", ptimer.sys____sigtimedwait50),
    R(245, "sigqueueinfo", "pid_t pid, const siginfo_t *info", ptimer.sys_sigqueueinfo),
    # -- sockets (socket.py): AF_LOCAL and the guest's own loopback --
    R(394, "__socket30", "int domain, int type, int protocol", sock.sys___socket30),
    R(97, "socket", "int domain, int type, int protocol", sock.sys_socket, compat="15"),
    R(135, "socketpair", "int domain, int type, int protocol, int *rsv", sock.sys_socketpair),
    R(104, "bind", "int s, const struct sockaddr *name, socklen_t namelen", sock.sys_bind),
    R(106, "listen", "int s, int backlog", sock.sys_listen),
    R(98, "connect", "int s, const struct sockaddr *name, socklen_t namelen", sock.sys_connect),
    R(30, "accept", "int s, struct sockaddr *name, socklen_t *anamelen", sock.sys_accept),
    R(456, "paccept", "int s, struct sockaddr *name, socklen_t *anamelen, "
      "const sigset_t *mask, int flags", sock.sys_paccept),
    R(31, "getpeername", "int fdes, struct sockaddr *asa, socklen_t *alen",
      sock.sys_getpeername),
    R(32, "getsockname", "int fdes, struct sockaddr *asa, socklen_t *alen",
      sock.sys_getsockname),
    R(133, "sendto", "int s, const void *buf, size_t len, int flags, "
      "const struct sockaddr *to, socklen_t tolen", sock.sys_sendto),
    R(29, "recvfrom", "int s, void *buf, size_t len, int flags, struct sockaddr *from, "
      "socklen_t *fromlenaddr", sock.sys_recvfrom),
    R(28, "sendmsg", "int s, const struct msghdr *msg, int flags", sock.sys_sendmsg),
    R(27, "recvmsg", "int s, struct msghdr *msg, int flags", sock.sys_recvmsg),
    R(134, "shutdown", "int s, int how", sock.sys_shutdown),
    R(105, "setsockopt", "int s, int level, int name, const void *val, socklen_t valsize",
      sock.sys_setsockopt),
    R(118, "getsockopt", "int s, int level, int name, void *val, socklen_t *avalsize",
      sock.sys_getsockopt),
    R(475, "recvmmsg", "int s, struct mmsghdr *mmsg, unsigned int vlen, unsigned int flags, "
      "struct timespec *timeout", sock.sys_recvmmsg),
    R(476, "sendmmsg", "int s, struct mmsghdr *mmsg, unsigned int vlen, unsigned int flags",
      sock.sys_sendmmsg),
    # -- posix_spawn, fexecve (spawn.py) --
    R(474, "posix_spawn", "pid_t *pid, const char *path, "
      "const struct posix_spawn_file_actions *file_actions, "
      "const struct posix_spawnattr *attrp, char *const *argv, char *const *envp",
      spawn.sys_posix_spawn),
    R(465, "fexecve", "int fd, char *const *argp, char *const *envp", spawn.sys_fexecve),
    # -- mincore, utrace, uuidgen, mremap, the clock setters, fallocate (nbcalls.py) --
    R(78, "mincore", "void *addr, size_t len, char *vec", nbc.sys_mincore),
    R(306, "utrace", "const char *label, void *addr, size_t len", nbc.sys_utrace),
    R(355, "uuidgen", "struct uuid *store, int count", nbc.sys_uuidgen),
    R(411, "mremap", "void *old_address, size_t old_size, void *new_address, "
      "size_t new_size, int flags", nbc.sys_mremap, ret="ptr"),
    R(419, "__settimeofday50", "const struct timeval *tv, const void *tzp",
      nbc.sys___settimeofday50),
    R(421, "__adjtime50", "const struct timeval *delta, struct timeval *olddelta",
      nbc.sys___adjtime50),
    R(479, "posix_fallocate", "int fd, int PAD, off_t pos, off_t len",
      nbc.sys_posix_fallocate),
    R(480, "fdiscard", "int fd, int PAD, off_t pos, off_t len", nbc.sys_fdiscard),
    R(122, "compat_50_settimeofday", "const struct timeval50 *tv, const void *tzp",
      nbc.sys_settimeofday, compat="15"),
    R(140, "compat_50_adjtime", "const struct timeval50 *delta, struct timeval50 *olddelta",
      nbc.sys_adjtime, compat="15"),
    # vfork (66), 4.4BSD's: the address space copied (on write), the parent
    # waiting until the child execs or exits, as kw86's __vfork14 is
    R(66, "vfork", "", vm.sys_vfork),
    # -- extended attributes: what file systems without them answer (extattr.py) --
    R(361, "extattr_set_file", "const char *path, int attrnamespace, const char *attrname, "
      "const void *data, size_t nbytes", xat.sys_extattr_set_file),
    R(362, "extattr_get_file", "const char *path, int attrnamespace, const char *attrname, "
      "void *data, size_t nbytes", xat.sys_extattr_get_file),
    R(363, "extattr_delete_file", "const char *path, int attrnamespace, const char *attrname",
      xat.sys_extattr_delete_file),
    R(364, "extattr_set_fd", "int fd, int attrnamespace, const char *attrname, "
      "const void *data, size_t nbytes", xat.sys_extattr_set_fd),
    R(365, "extattr_get_fd", "int fd, int attrnamespace, const char *attrname, void *data, "
      "size_t nbytes", xat.sys_extattr_get_fd),
    R(366, "extattr_delete_fd", "int fd, int attrnamespace, const char *attrname",
      xat.sys_extattr_delete_fd),
    R(367, "extattr_set_link", "const char *path, int attrnamespace, const char *attrname, "
      "const void *data, size_t nbytes", xat.sys_extattr_set_link),
    R(368, "extattr_get_link", "const char *path, int attrnamespace, const char *attrname, "
      "void *data, size_t nbytes", xat.sys_extattr_get_link),
    R(369, "extattr_delete_link", "const char *path, int attrnamespace, const char *attrname",
      xat.sys_extattr_delete_link),
    R(370, "extattr_list_fd", "int fd, int attrnamespace, void *data, size_t nbytes",
      xat.sys_extattr_list_fd),
    R(371, "extattr_list_file", "const char *path, int attrnamespace, void *data, "
      "size_t nbytes", xat.sys_extattr_list_file),
    R(372, "extattr_list_link", "const char *path, int attrnamespace, void *data, "
      "size_t nbytes", xat.sys_extattr_list_link),
    R(375, "setxattr", "const char *path, const char *name, const void *value, size_t size, "
      "int flags", xat.sys_setxattr),
    R(376, "lsetxattr", "const char *path, const char *name, const void *value, size_t size, "
      "int flags", xat.sys_lsetxattr),
    R(377, "fsetxattr", "int fd, const char *name, const void *value, size_t size, int flags",
      xat.sys_fsetxattr),
    R(378, "getxattr", "const char *path, const char *name, void *value, size_t size",
      xat.sys_getxattr),
    R(379, "lgetxattr", "const char *path, const char *name, void *value, size_t size",
      xat.sys_lgetxattr),
    R(380, "fgetxattr", "int fd, const char *name, void *value, size_t size",
      xat.sys_fgetxattr),
    R(381, "listxattr", "const char *path, char *list, size_t size", xat.sys_listxattr),
    R(382, "llistxattr", "const char *path, char *list, size_t size", xat.sys_llistxattr),
    R(383, "flistxattr", "int fd, char *list, size_t size", xat.sys_flistxattr),
    R(384, "removexattr", "const char *path, const char *name", xat.sys_removexattr),
    R(385, "lremovexattr", "const char *path, const char *name", xat.sys_lremovexattr),
    R(386, "fremovexattr", "int fd, const char *name", xat.sys_fremovexattr),
    R(487, "__acl_get_link", "const char *path, acl_type_t type, struct acl *aclp",
      xat.sys___acl_get_link),
    R(488, "__acl_set_link", "const char *path, acl_type_t type, struct acl *aclp",
      xat.sys___acl_set_link),
    R(489, "__acl_delete_link", "const char *path, acl_type_t type", xat.sys___acl_delete_link),
    R(490, "__acl_aclcheck_link", "const char *path, acl_type_t type, struct acl *aclp",
      xat.sys___acl_aclcheck_link),
    R(491, "__acl_get_file", "const char *path, acl_type_t type, struct acl *aclp",
      xat.sys___acl_get_file),
    R(492, "__acl_set_file", "const char *path, acl_type_t type, struct acl *aclp",
      xat.sys___acl_set_file),
    R(493, "__acl_get_fd", "int filedes, acl_type_t type, struct acl *aclp",
      xat.sys___acl_get_fd),
    R(494, "__acl_set_fd", "int filedes, acl_type_t type, struct acl *aclp",
      xat.sys___acl_set_fd),
    R(495, "__acl_delete_file", "const char *path, acl_type_t type", xat.sys___acl_delete_file),
    R(496, "__acl_delete_fd", "int filedes, acl_type_t type", xat.sys___acl_delete_fd),
    R(497, "__acl_aclcheck_file", "const char *path, acl_type_t type, struct acl *aclp",
      xat.sys___acl_aclcheck_file),
    R(498, "__acl_aclcheck_fd", "int filedes, acl_type_t type, struct acl *aclp",
      xat.sys___acl_aclcheck_fd),
    R(499, "lpathconf", "const char *path, int name", nbc.sys_lpathconf),
    # -- kw86's own (userland/README.md): partial kernelware (kernelware.py) --
    R(246, "modctl", "int cmd, void *arg", module.sys_modctl),
    R(510, "kw86_switch_to_kernel", "", kernelware.sys_switch_to_kernel_mode),
    R(511, "kw86_switch_to_user", "", kernelware.sys_switch_to_user_mode),
    # -- kqueue (syscalls/kqueue.py, kw86/nbsd/kqueue.py) --
    R(344, "kqueue", "", kqcalls.sys_kqueue),
    R(455, "kqueue1", "int flags", kqcalls.sys_kqueue1),
    R(435, "__kevent50", "int fd, const struct kevent *changelist, size_t nchanges, "
      "struct kevent *eventlist, size_t nevents, const struct timespec *timeout",
      kqcalls.sys___kevent50),
    R(345, "compat_50_kevent", "int fd, const struct kevent *changelist, size_t nchanges, "
      "struct kevent *eventlist, size_t nevents, const struct timespec50 *timeout",
      kqcalls.sys_kevent, compat="50"),
]

# NetBSD calls kw86 does not implement (yet): named for the ENOSYS report.
# The process calls are the CPU-dependent part of the kernel (README.md).
NAMES = {
    0: "syscall", 1: "exit", 2: "fork", 7: "compat_50_wait4", 14: "compat_50_mknod",
    17: "break", 19: "compat_43_olseek", 22: "unmount", 26: "ptrace", 27: "recvmsg",
    28: "sendmsg", 29: "recvfrom", 30: "accept", 31: "getpeername", 32: "getsockname",
36: "sync", 37: "kill", 44: "profil", 45: "ktrace",
    46: "compat_13_sigaction13", 48: "compat_13_sigprocmask13", 51: "acct",
    55: "compat_12_oreboot", 56: "revoke", 59: "execve", 65: "msync", 66: "vfork",
    73: "munmap", 74: "mprotect", 75: "madvise", 78: "mincore", 83: "compat_50_setitimer",
    86: "compat_50_getitimer", 91: "getrandom", 93: "compat_50_select", 96: "setpriority",
    97: "socket", 98: "connect", 104: "bind", 105: "setsockopt",
    106: "listen", 118: "getsockopt", 122: "compat_50_settimeofday", 131: "flock",
    132: "mkfifo", 133: "sendto", 134: "shutdown", 135: "socketpair", 140: "compat_50_adjtime",
    155: "nfssvc", 161: "compat_30_getfh", 165: "sysarch", 191: "pathconf",
    192: "fpathconf", 197: "mmap", 198: "__syscall",
    203: "mlock", 204: "munlock", 209: "poll", 240: "compat_50_nanosleep",
270: "__posix_rename", 281: "__sigaltstack14",
    282: "__vfork14", 292: "__sigpending14",
    293: "__sigprocmask14", 294: "__sigsuspend14",
    301: "compat_50___semctl14", 306: "utrace", 307: "getcontext", 308: "setcontext",
    309: "_lwp_create", 310: "_lwp_exit", 312: "_lwp_wait",
    313: "_lwp_suspend", 314: "_lwp_continue", 315: "_lwp_wakeup", 316: "_lwp_getprivate",
    317: "_lwp_setprivate", 318: "_lwp_kill", 319: "_lwp_detach", 340: "__sigaction_sigtramp",
    343: "rasctl", 344: "kqueue", 
    417: "__select50", 419: "__settimeofday50", 421: "__adjtime50", 425: "__setitimer50",
    426: "__getitimer50", 428: "__clock_settime50", 430: "__nanosleep50",
    431: "____sigtimedwait50", 435: "__kevent50", 436: "__pselect50", 437: "__pollts50",
    449: "__wait450", 450: "__mknod50", 451: "__fhstat50", 455: "kqueue1", 456: "paccept",
    457: "linkat", 458: "renameat", 459: "mkfifoat", 460: "mknodat", 461: "mkdirat",
    462: "faccessat", 463: "fchmodat", 464: "fchownat", 465: "fexecve", 466: "fstatat",
    467: "utimensat", 468: "openat", 469: "readlinkat", 470: "symlinkat", 471: "unlinkat",
    472: "futimens", 473: "__quotactl", 474: "posix_spawn", 475: "recvmmsg",
    476: "sendmmsg", 477: "clock_nanosleep", 478: "___lwp_park60", 479: "posix_fallocate",
    480: "fdiscard", 481: "wait6", 482: "clock_getcpuclockid2", 486: "__fhstatvfs190",
    # and the rest of NetBSD 10's numbers (syscalls.master, as listed by Go's
    # generated zsysnum_netbsd_386.go), each ENOSYS by name
    69: "sbrk", 70: "sstk", 72: "vadvise", 176: "ntp_adjtime", 205: "undelete",
    208: "reboot", 221: "semget", 222: "semop", 223: "semconfig", 225: "msgget",
    226: "msgsnd", 227: "msgrcv", 228: "shmat", 230: "shmdt", 231: "shmget",
    235: "timer_create", 236: "timer_delete", 239: "timer_getoverrun",
    245: "sigqueueinfo", 246: "modctl", 271: "swapctl", 287: "__clone", 288: "fktrace",
    297: "fchroot", 341: "pmc_get_info", 342: "pmc_control",
    346: "_sched_setparam", 347: "_sched_getparam", 348: "_sched_setaffinity",
    349: "_sched_getaffinity", 355: "uuidgen", 360: "extattrctl",
    361: "extattr_set_file", 362: "extattr_get_file", 363: "extattr_delete_file",
    364: "extattr_set_fd", 365: "extattr_get_fd", 366: "extattr_delete_fd",
    367: "extattr_set_link", 368: "extattr_get_link", 369: "extattr_delete_link",
    370: "extattr_list_fd", 371: "extattr_list_file", 372: "extattr_list_link",
    375: "setxattr", 376: "lsetxattr", 377: "fsetxattr", 378: "getxattr",
    379: "lgetxattr", 380: "fgetxattr", 381: "listxattr", 382: "llistxattr",
    383: "flistxattr", 384: "removexattr", 385: "lremovexattr", 386: "fremovexattr",
    394: "__socket30", 395: "__getfh30", 410: "__mount50", 411: "mremap",
    412: "pset_create", 413: "pset_destroy", 414: "pset_assign", 415: "_pset_bind",
    434: "__lwp_park50", 442: "____semctl50", 443: "__shmctl50", 444: "__msgctl50",
    446: "__timer_settime50", 447: "__timer_gettime50", 448: "__ntp_gettime50",
    # NetBSD-current's (after 10.0), each ENOSYS by name
    500: "memfd_create", 501: "__kevent100", 502: "epoll_create1", 503: "epoll_ctl",
    504: "epoll_pwait2", 505: "__dup3100", 506: "semtimedop",
}
# The highest number NetBSD 10 defines (abi doc §0, S2 runs to 506).
NBSD_MAXSYSCALL = 506

TABLE = Table(ROWS, NAMES, NBSD_MAXSYSCALL)
LAZY_MODULES = (kqcalls, sock, fs, kern, nb10, sched, mknod, ksem, ptimer, sysv)
del fs, kern, nb10, sched, mknod, ksem, ptimer, sysv
LAZY_MODULES += (spawn, nbc, xat)
del spawn, nbc, xat
# Calls that read or replace the trap frame (p.frame_esp), or change a segment
# descriptor the exit must reload (%gs: _lwp_setprivate), take the general path.
for _r in TABLE.rows.values():
    if _r.name in ("execve", "getcontext", "setcontext", "compat_16___sigreturn14",
                   "__sigaltstack14", "_lwp_setprivate", "sysarch", "_lwp_create",
                   "kw86_switch_to_kernel", "kw86_switch_to_user", "posix_spawn",
                   "fexecve"):
        _r.fast = False


class SysResult:
    """What a system call leaves in the trap frame.

    error: 0 or a positive errno (eax = errno, CF set); abi.ERESTART to
    rerun the trap; abi.EJUSTRETURN when the handler set the frame itself.
    block: a wait channel when the process must sleep and retry.
    """
    __slots__ = ("eax", "edx", "error", "block", "row")

    def __init__(self, eax=0, edx=0, error=0, block=None, row=None):
        self.eax, self.edx, self.error, self.block, self.row = eax, edx, error, block, row

    @property
    def carry(self):
        return self.error > 0

    def __repr__(self):
        if self.block is not None:
            return f"SysResult(block={self.block!r})"
        if self.error:
            return f"SysResult(error={abi.errno_name(self.error)})"
        return f"SysResult({self.eax:#x}, {self.edx:#x})"


def _strace(p, line):
    """One --strace line as kdump(1) prints a ktrace record: the pid, the
    LWP id (kdump's default shows both, each %6d), the command (8 columns),
    the record."""
    out = p.sys.strace
    if out is not None:
        out.write(f"{p.pid:6d} {p.l.lid:6d} {p.comm[:8]:<8s} {line}\n")


def nosys(p, code, name):
    """A NetBSD call kw86 lacks: ENOSYS and one report per name."""
    key = name or code
    if key not in p.sys.warned:
        p.sys.warned.add(key)
        label = f" ({name})" if name else ""
        p.sys.stderr.write(f"kw86: syscall {code}{label} not implemented\n")
        p.sys.stderr.flush()
    return SysResult(error=abi.ENOSYS)


_NSYS_MASK = abi.NSYSENT - 1


def exc_result(p, row, e, res):
    """Fill res from the exception a handler raised (Exit is the caller's)."""
    if isinstance(e, Errno):
        res.error = e.errno
    elif isinstance(e, Fault):
        res.error = abi.EFAULT
    elif isinstance(e, WouldBlock):
        res.block = e.chan
    elif isinstance(e, MemoryError):        # out of guest physical pages
        res.error = abi.ENOMEM
    elif isinstance(e, OSError):            # a host error a handler did not map
        res.error = abi.xlat_errno(e)
    elif isinstance(e, Exception):          # a kernel bug: report, never crash the host
        if p.sys.strict:
            raise e
        import traceback
        p.sys.stderr.write(f"kw86: internal error in syscall {row.num} ({row.name}):\n")
        if os.environ.get("KW86_DEBUG"):
            traceback.print_exception(e, file=p.sys.stderr)
        else:
            p.sys.stderr.write("  " + "".join(traceback.format_exception(e)).strip()
                               .splitlines()[-1] + "\n")
        res.error = abi.EIO
    else:
        raise e                             # KeyboardInterrupt and the like
    return res


def dispatch(p, code, sp, table=TABLE):
    """Run system call `code` for process p whose user stack pointer is sp."""
    mem = p.mem
    argp = (sp + 4) & 0xffffffff
    code &= _NSYS_MASK
    if code == 0 or code == 198:
        try:
            if code == 0:                   # syscall(2): number is the first int
                code = int.from_bytes(mem.copyin(argp, 4), "little") & _NSYS_MASK
                argp += 4
            else:                           # __syscall(2): a 64-bit quad
                code = int.from_bytes(mem.copyin(argp, 4), "little") & _NSYS_MASK
                argp += 8
        except Fault:
            return SysResult(error=abi.EFAULT)
    row = table.vec[code]
    if row is None or row.handler is None:
        name = table.names.get(code)
        if name is None:
            p.post_signal(abi.NBSD_SIGSYS)
            _strace(p, f"CALL  #{code}: unknown, SIGSYS")
            return SysResult(error=abi.ENOSYS)
        _strace(p, f"CALL  {name}: not implemented")
        return nosys(p, code, name)
    try:
        args = row.argst.unpack(mem.copyin(argp, row.argbytes)) if row.argbytes else ()
    except Fault:
        _strace(p, f"CALL  {row.name}(<args at {argp:#x}: EFAULT>)")
        return SysResult(error=abi.EFAULT, row=row)
    strace = p.sys.strace
    if strace is not None:
        _strace(p, "CALL  " + row.format_call(args, mem))
    res = SysResult(0, 0, 0, None, row)
    try:
        rv = row.handler(p, *args)
        if rv is not None:
            res.eax, res.edx = retregs(row, rv)
    except Exit:
        if strace is not None:
            _strace(p, f"RET   {row.name} (process gone)")
        raise
    except BaseException as e:
        exc_result(p, row, e, res)
        if res.block is not None:
            if strace is not None:
                _strace(p, f"RET   {row.name} (sleeping)")
            return res
    if strace is not None:
        _strace(p, "RET   " + format_result(row, res.error, res.eax, res.edx))
    return res


from kw86.nbsd.trap import retregs  # noqa: E402  (trap.py defines it before importing us)

__all__ = ["TABLE", "ROWS", "NAMES", "dispatch", "nosys", "SysResult", "Row", "Table"]
