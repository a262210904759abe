/* <sched.h>: POSIX process scheduling (NetBSD 10's values: sys/sched.h).
 * libc/sched.c implements the calls over NetBSD's _sched_setparam (346),
 * _sched_getparam (347), _sched_setaffinity/_sched_getaffinity (348/349) and
 * sched_yield (350), as NetBSD's libc does. */
#ifndef _SCHED_H_
#define _SCHED_H_

#include <sys/cdefs.h>
#include <sys/types.h>
#include <time.h>

struct sched_param {
    int sched_priority;
};

#define SCHED_NONE  -1
#define SCHED_OTHER 0
#define SCHED_FIFO  1
#define SCHED_RR    2

__BEGIN_DECLS
int sched_setparam(pid_t, const struct sched_param *);
int sched_getparam(pid_t, struct sched_param *);
int sched_setscheduler(pid_t, int, const struct sched_param *);
int sched_getscheduler(pid_t);
int sched_get_priority_max(int);
int sched_get_priority_min(int);
int sched_rr_get_interval(pid_t, struct timespec *);
int sched_yield(void);
/* NetBSD's system calls under them */
int _sched_setparam(pid_t, lwpid_t, int, const struct sched_param *);
int _sched_getparam(pid_t, lwpid_t, int *, struct sched_param *);
__END_DECLS

#endif
