/* kw86 libc: <time.h>.  Time zones: UTC only (no zoneinfo files in the sysroot). */
#ifndef _TIME_H_
#define _TIME_H_

#include <sys/cdefs.h>
#include <sys/_types.h>
#include <sys/time.h>
#include <sys/idtype.h>

#ifndef _SIZE_T_DEFINED
#define _SIZE_T_DEFINED
typedef __size_t size_t;
#endif
#ifndef _CLOCK_T_DEFINED
#define _CLOCK_T_DEFINED
typedef __clock_t clock_t;
#endif
#ifndef _CLOCKID_T_DEFINED
#define _CLOCKID_T_DEFINED
typedef __clockid_t clockid_t;
#endif
#ifndef NULL
#define NULL ((void *)0)
#endif

struct tm {
    int   tm_sec;      /* 0..60 */
    int   tm_min;
    int   tm_hour;
    int   tm_mday;     /* 1..31 */
    int   tm_mon;      /* 0..11 */
    int   tm_year;     /* years since 1900 */
    int   tm_wday;     /* 0 = Sunday */
    int   tm_yday;     /* 0..365 */
    int   tm_isdst;
    long  tm_gmtoff;   /* seconds east of UTC */
    const char *tm_zone;
};

#define CLOCKS_PER_SEC   100
#define CLOCK_REALTIME   0
#define CLOCK_VIRTUAL    1
#define CLOCK_PROF       2
#define CLOCK_MONOTONIC  3
#define CLOCK_THREAD_CPUTIME_ID  0x20000000
#define CLOCK_PROCESS_CPUTIME_ID 0x40000000
#define TIMER_ABSTIME    0x1

struct itimerspec {
    struct timespec it_interval;
    struct timespec it_value;
};
#ifndef _TIMER_T_DEFINED
#define _TIMER_T_DEFINED
typedef int timer_t;
#endif
struct sigevent;

extern char *tzname[2];
extern long timezone;
extern int daylight;

__BEGIN_DECLS
time_t     time(time_t *);
clock_t    clock(void);
double     difftime(time_t, time_t);
time_t     mktime(struct tm *);
time_t     timegm(struct tm *);
struct tm *gmtime(const time_t *);
struct tm *gmtime_r(const time_t *__restrict, struct tm *__restrict);
struct tm *localtime(const time_t *);
struct tm *localtime_r(const time_t *__restrict, struct tm *__restrict);
char      *asctime(const struct tm *);
char      *asctime_r(const struct tm *__restrict, char *__restrict);
char      *ctime(const time_t *);
char      *ctime_r(const time_t *, char *);
size_t     strftime(char *__restrict, size_t, const char *__restrict, const struct tm *__restrict);
void       tzset(void);
int        nanosleep(const struct timespec *, struct timespec *);
int        clock_gettime(clockid_t, struct timespec *);
int        clock_settime(clockid_t, const struct timespec *);
int        clock_getres(clockid_t, struct timespec *);
int        clock_nanosleep(clockid_t, int, const struct timespec *, struct timespec *);
int        clock_getcpuclockid(__pid_t, clockid_t *);
int        clock_getcpuclockid2(idtype_t, __id_t, clockid_t *);
int        timer_create(clockid_t, struct sigevent *__restrict, timer_t *__restrict);
int        timer_delete(timer_t);
int        timer_settime(timer_t, int, const struct itimerspec *__restrict, struct itimerspec *__restrict);
int        timer_gettime(timer_t, struct itimerspec *);
int        timer_getoverrun(timer_t);
__END_DECLS

#endif
