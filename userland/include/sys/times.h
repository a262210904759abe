/* kw86 libc: <sys/times.h>, NetBSD's struct tms and times(3). */
#ifndef _SYS_TIMES_H_
#define _SYS_TIMES_H_

#include <sys/cdefs.h>
#include <sys/_types.h>

#ifndef _CLOCK_T_DEFINED
#define _CLOCK_T_DEFINED
typedef __clock_t clock_t;
#endif

struct tms {
    clock_t tms_utime;      /* user time */
    clock_t tms_stime;      /* system time */
    clock_t tms_cutime;     /* user time, children */
    clock_t tms_cstime;     /* system time, children */
};

__BEGIN_DECLS
clock_t times(struct tms *);
__END_DECLS

#endif
