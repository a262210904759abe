/* kw86 libc: <sys/time.h>; NetBSD 10 layouts (64-bit tv_sec, 12-byte structs on i386). */
#ifndef _SYS_TIME_H_
#define _SYS_TIME_H_

#include <sys/cdefs.h>
#include <sys/_types.h>

#ifndef _TIME_T_DEFINED
#define _TIME_T_DEFINED
typedef __time_t time_t;
#endif
#ifndef _SUSECONDS_T_DEFINED
#define _SUSECONDS_T_DEFINED
#endif

#ifndef _STRUCT_TIMESPEC
#define _STRUCT_TIMESPEC
struct timespec {
    time_t tv_sec;      /* 0: 64-bit seconds */
    long   tv_nsec;     /* 8: nanoseconds; sizeof = 12 */
};
#endif

struct timeval {
    time_t        tv_sec;   /* 0 */
    __suseconds_t tv_usec;  /* 8; sizeof = 12 */
};

struct timezone {
    int tz_minuteswest;
    int tz_dsttime;
};

struct itimerval {
    struct timeval it_interval;
    struct timeval it_value;
};

#define ITIMER_REAL    0
#define ITIMER_VIRTUAL 1
#define ITIMER_PROF    2

#define timerclear(tvp)   ((tvp)->tv_sec = (tvp)->tv_usec = 0)
#define timerisset(tvp)   ((tvp)->tv_sec || (tvp)->tv_usec)
#define timercmp(tvp, uvp, cmp) \
    (((tvp)->tv_sec == (uvp)->tv_sec) ? ((tvp)->tv_usec cmp (uvp)->tv_usec) \
                                      : ((tvp)->tv_sec cmp (uvp)->tv_sec))
#define timeradd(tvp, uvp, vvp) do { \
        (vvp)->tv_sec = (tvp)->tv_sec + (uvp)->tv_sec; \
        (vvp)->tv_usec = (tvp)->tv_usec + (uvp)->tv_usec; \
        if ((vvp)->tv_usec >= 1000000) { (vvp)->tv_sec++; (vvp)->tv_usec -= 1000000; } \
    } while (0)
#define timersub(tvp, uvp, vvp) do { \
        (vvp)->tv_sec = (tvp)->tv_sec - (uvp)->tv_sec; \
        (vvp)->tv_usec = (tvp)->tv_usec - (uvp)->tv_usec; \
        if ((vvp)->tv_usec < 0) { (vvp)->tv_sec--; (vvp)->tv_usec += 1000000; } \
    } while (0)
#define timespecsub(tsp, usp, vsp) do { \
        (vsp)->tv_sec = (tsp)->tv_sec - (usp)->tv_sec; \
        (vsp)->tv_nsec = (tsp)->tv_nsec - (usp)->tv_nsec; \
        if ((vsp)->tv_nsec < 0) { (vsp)->tv_sec--; (vsp)->tv_nsec += 1000000000L; } \
    } while (0)
#define TIMEVAL_TO_TIMESPEC(tv, ts) do { (ts)->tv_sec = (tv)->tv_sec; \
        (ts)->tv_nsec = (tv)->tv_usec * 1000; } while (0)
#define TIMESPEC_TO_TIMEVAL(tv, ts) do { (tv)->tv_sec = (ts)->tv_sec; \
        (tv)->tv_usec = (ts)->tv_nsec / 1000; } while (0)

__BEGIN_DECLS
int gettimeofday(struct timeval *__restrict, void *__restrict);
int settimeofday(const struct timeval *, const void *);
int adjtime(const struct timeval *, struct timeval *);
int utimes(const char *, const struct timeval [2]);
int lutimes(const char *, const struct timeval [2]);
int futimes(int, const struct timeval [2]);
int getitimer(int, struct itimerval *);
int setitimer(int, const struct itimerval *__restrict, struct itimerval *__restrict);
__END_DECLS

#endif
