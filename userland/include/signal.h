/* kw86 libc: <signal.h> with NetBSD's numbers and layouts. */
#ifndef _SIGNAL_H_
#define _SIGNAL_H_

#include <sys/cdefs.h>
#include <sys/types.h>
#include <sys/time.h>               /* struct timespec (sigtimedwait), as POSIX asks */

#define SIGHUP    1
#define SIGINT    2
#define SIGQUIT   3
#define SIGILL    4
#define SIGTRAP   5
#define SIGABRT   6
#define SIGIOT    SIGABRT
#define SIGEMT    7
#define SIGFPE    8
#define SIGKILL   9
#define SIGBUS    10
#define SIGSEGV   11
#define SIGSYS    12
#define SIGPIPE   13
#define SIGALRM   14
#define SIGTERM   15
#define SIGURG    16
#define SIGSTOP   17
#define SIGTSTP   18
#define SIGCONT   19
#define SIGCHLD   20
#define SIGTTIN   21
#define SIGTTOU   22
#define SIGIO     23
#define SIGXCPU   24
#define SIGXFSZ   25
#define SIGVTALRM 26
#define SIGPROF   27
#define SIGWINCH  28
#define SIGINFO   29
#define SIGUSR1   30
#define SIGUSR2   31
#define SIGPWR    32
#define SIGRTMIN  33
#define SIGRTMAX  63
#define NSIG      64
#define _NSIG     NSIG

typedef void (*sig_t)(int);
#define SIG_DFL  ((void (*)(int))  0)
#define SIG_IGN  ((void (*)(int))  1)
#define SIG_ERR  ((void (*)(int)) -1)
#define SIG_HOLD ((void (*)(int))  3)

typedef __sigset_t sigset_t;
typedef int sig_atomic_t;

union sigval {
    int   sival_int;
    void *sival_ptr;
};

/* siginfo_t: 128 bytes; the kernel fills signo, code and errno and the union. */
typedef union siginfo {
    char si_pad[128];
    struct {
        int _signo;
        int _code;
        int _errno;
        union {
            struct { pid_t _pid; uid_t _uid; union sigval _value; } _rt;
            struct { pid_t _pid; uid_t _uid; int _status; } _child;
            struct { void *_addr; int _trap; } _fault;
        } _reason;
    } _info;
} siginfo_t;
#define si_signo  _info._signo
#define si_code   _info._code
#define si_errno  _info._errno
#define si_pid    _info._reason._child._pid
#define si_uid    _info._reason._child._uid
#define si_status _info._reason._child._status
#define si_value  _info._reason._rt._value
#define si_addr   _info._reason._fault._addr

/* struct sigevent (NetBSD's sys/sigtypes.h): 20 bytes on i386 */
struct sigevent {
    int          sigev_notify;
    int          sigev_signo;
    union sigval sigev_value;
    void       (*sigev_notify_function)(union sigval);
    void        *sigev_notify_attributes;      /* pthread_attr_t * */
};
#define SIGEV_NONE   0
#define SIGEV_SIGNAL 1
#define SIGEV_THREAD 2

struct sigaction {
    union {
        void (*_sa_handler)(int);
        void (*_sa_sigaction)(int, siginfo_t *, void *);
    } _sa_u;              /* 0 */
    sigset_t sa_mask;     /* 4 */
    int      sa_flags;    /* 20; sizeof = 24 */
};
#define sa_handler   _sa_u._sa_handler
#define sa_sigaction _sa_u._sa_sigaction

#define SA_ONSTACK   0x0001
#define SA_RESTART   0x0002
#define SA_RESETHAND 0x0004
#define SA_NOCLDSTOP 0x0008
#define SA_NODEFER   0x0010
#define SA_NOCLDWAIT 0x0020
#define SA_SIGINFO   0x0040

#define SIG_BLOCK    1
#define SIG_UNBLOCK  2
#define SIG_SETMASK  3

typedef struct sigaltstack {
    void  *ss_sp;
    size_t ss_size;
    int    ss_flags;
} stack_t;
#define SS_ONSTACK  1
#define SS_DISABLE  4
#define MINSIGSTKSZ 8192
#define SIGSTKSZ    (MINSIGSTKSZ + 32768)

/* si_code values (NetBSD's sys/siginfo.h) */
#define SI_USER     0           /* kill(2), raise(3) */
#define SI_QUEUE    (-1)        /* sigqueue(2) */
#define SI_TIMER    (-2)        /* a POSIX timer expired */
#define SI_ASYNCIO  (-3)        /* asynchronous I/O completed */
#define SI_MESGQ    (-4)        /* a message arrived on an empty queue */
#define SI_LWP      (-5)        /* _lwp_kill(2) */
#define SI_NOINFO   32767       /* no signal-specific information */
#define ILL_ILLOPC  1
#define ILL_ILLOPN  2
#define ILL_ILLADR  3
#define ILL_ILLTRP  4
#define ILL_PRVOPC  5
#define ILL_PRVREG  6
#define ILL_COPROC  7
#define ILL_BADSTK  8
#define FPE_INTDIV  1
#define FPE_INTOVF  2
#define FPE_FLTDIV  3
#define FPE_FLTOVF  4
#define FPE_FLTUND  5
#define FPE_FLTRES  6
#define FPE_FLTINV  7
#define FPE_FLTSUB  8
#define SEGV_MAPERR 1
#define SEGV_ACCERR 2
#define BUS_ADRALN  1
#define BUS_ADRERR  2
#define BUS_OBJERR  3
#define TRAP_BRKPT  1
#define TRAP_TRACE  2
#define CLD_EXITED    1
#define CLD_KILLED    2
#define CLD_DUMPED    3
#define CLD_TRAPPED   4
#define CLD_STOPPED   5
#define CLD_CONTINUED 6
#define POLL_IN     1
#define POLL_OUT    2
#define POLL_MSG    3
#define POLL_ERR    4
#define POLL_PRI    5
#define POLL_HUP    6

/* as NetBSD's <signal.h> declares them (libpthread's, libc/pthread.c) */
struct __kw86_pthread;
#ifndef _KW86_PTHREAD_T_DECLARED
#define _KW86_PTHREAD_T_DECLARED
typedef struct __kw86_pthread *pthread_t;
#endif
__BEGIN_DECLS
int  pthread_sigmask(int, const sigset_t *__restrict, sigset_t *__restrict);
int  pthread_kill(pthread_t, int);
__END_DECLS

__BEGIN_DECLS
int  sighold(int);
int  sigrelse(int);
int  sigignore(int);
int  sigpause(int);
void (*sigset(int, void (*)(int)))(int);
void (*signal(int, void (*)(int)))(int);
int  sigaction(int, const struct sigaction *__restrict, struct sigaction *__restrict);
int  sigprocmask(int, const sigset_t *__restrict, sigset_t *__restrict);
int  sigpending(sigset_t *);
int  sigsuspend(const sigset_t *);
int  sigaltstack(const stack_t *__restrict, stack_t *__restrict);
int  sigemptyset(sigset_t *);
int  sigfillset(sigset_t *);
int  sigaddset(sigset_t *, int);
int  sigdelset(sigset_t *, int);
int  sigismember(const sigset_t *, int);
int  siginterrupt(int, int);
int  kill(pid_t, int);
int  sigwait(const sigset_t *__restrict, int *__restrict);
int  sigwaitinfo(const sigset_t *__restrict, siginfo_t *__restrict);
int  sigtimedwait(const sigset_t *__restrict, siginfo_t *__restrict, const struct timespec *__restrict);
int  sigqueue(pid_t, int, const union sigval);
int  sigqueueinfo(pid_t, const siginfo_t *);
int  killpg(pid_t, int);
int  raise(int);
void psignal(int, const char *);
extern const char *const sys_signame[NSIG];
extern const char *const sys_siglist[NSIG];
__END_DECLS

#endif
