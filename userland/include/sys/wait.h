/* kw86 libc: <sys/wait.h> (NetBSD status encoding). */
#ifndef _SYS_WAIT_H_
#define _SYS_WAIT_H_

#include <sys/cdefs.h>
#include <sys/types.h>
#include <sys/idtype.h>
#include <sys/resource.h>               /* struct rusage (struct wrusage) */
#include <signal.h>                     /* siginfo_t (waitid) */

#define _W_INT(w)       (*(int *)(void *)&(w))
#define _WSTATUS(x)     (_W_INT(x) & 0177)
#define _WSTOPPED       0177
#define WIFSTOPPED(x)   (_WSTATUS(x) == _WSTOPPED)
#define WSTOPSIG(x)     ((int)(((unsigned int)_W_INT(x)) >> 8) & 0xff)
#define WIFSIGNALED(x)  (_WSTATUS(x) != _WSTOPPED && _WSTATUS(x) != 0)
#define WTERMSIG(x)     ((int)_WSTATUS(x))
#define WIFEXITED(x)    (_WSTATUS(x) == 0)
#define WEXITSTATUS(x)  ((int)(((unsigned int)_W_INT(x)) >> 8) & 0xff)
#define WIFCONTINUED(x) (_W_INT(x) == 0xffff)
#define WCOREFLAG       0200
#define WCOREDUMP(x)    (_W_INT(x) & WCOREFLAG)
#define W_EXITCODE(ret, sig) ((ret) << 8 | (sig))
#define W_STOPCODE(sig)      ((sig) << 8 | _WSTOPPED)

#define WNOHANG     0x00000001
#define WUNTRACED   0x00000002
#define WSTOPPED    WUNTRACED
#define WALTSIG     0x00000004
#define WALLSIG     0x00000008
#define WCONTINUED  0x00000010
#define WEXITED     0x00000020
#define WTRAPPED    0x00000040
#define WNOWAIT     0x00010000
#define WNOZOMBIE   0x00020000
#define WAIT_ANY    (-1)
#define WAIT_MYPGRP 0

/* wait6's resource usage: the child's own (its reaped children's added) and its
 * reaped children's */
struct wrusage {
    struct rusage wru_self;
    struct rusage wru_children;
};

__BEGIN_DECLS
pid_t wait(int *);
pid_t waitpid(pid_t, int *, int);
pid_t wait3(int *, int, struct rusage *);
pid_t wait4(pid_t, int *, int, struct rusage *);
pid_t wait6(idtype_t, id_t, int *, int, struct wrusage *, siginfo_t *);
int waitid(idtype_t, id_t, siginfo_t *, int);
__END_DECLS

#endif
