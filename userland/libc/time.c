/*
 * kw86 libc: calendar time.  The guest has no time-zone files: local time is UTC
 * (TZ is not consulted), which ls and date then print consistently.
 */
#include <time.h>
#include <string.h>
#include <stdio.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>

char *tzname[2] = { "UTC", "UTC" };
long timezone = 0;
int daylight = 0;

void
tzset(void)
{
}

/* Days since 1970-01-01 of a proleptic Gregorian date (month 1..12), by counting
 * 400-year eras of 146097 days from March 1st of year 0. */
static long long
days_from_civil(long long y, int m, int d)
{
    long long era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;                                   /* [0, 399] */
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;  /* [0, 365] from March 1 */
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* [0, 146096] */
    return era * 146097 + doe - 719468;
}

static void
civil_from_days(long long z, long long *y, int *m, int *d)
{
    long long era, doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int
is_leap(long long y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* gmtime_r for 0 <= t < 2^32 (1970 to 2106): the same civil-from-days steps in
 * 32-bit arithmetic, where i386 divides in one instruction instead of calling
 * compiler-rt's 64-bit division (ls -l converts one time per file). */
static struct tm *
gmtime32(uint32_t t, struct tm *tm)
{
    uint32_t days = t / 86400, secs = t % 86400;
    uint32_t z = days + 719468;                            /* days since 0000-03-01 */
    uint32_t era = z / 146097, doe = z - era * 146097;
    uint32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    uint32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);  /* from March 1 */
    uint32_t mp = (5 * doy + 2) / 153;
    uint32_t y = yoe + era * 400;                          /* the March-based year */
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    tm->tm_mday = (int)(doy - (153 * mp + 2) / 5 + 1);
    if (mp < 10) {                                         /* March .. December */
        tm->tm_mon = (int)mp + 2;
        tm->tm_yday = (int)doy + 59 + leap;
    } else {                                               /* January, February */
        tm->tm_mon = (int)mp - 10;
        tm->tm_yday = (int)doy - 306;
        y++;
    }
    tm->tm_year = (int)y - 1900;
    tm->tm_hour = (int)(secs / 3600);
    tm->tm_min = (int)(secs / 60 % 60);
    tm->tm_sec = (int)(secs % 60);
    tm->tm_wday = (int)((days + 4) % 7);                   /* 1970-01-01 was a Thursday */
    tm->tm_isdst = 0;
    tm->tm_gmtoff = 0;
    tm->tm_zone = "UTC";
    return tm;
}

struct tm *
gmtime_r(const time_t *restrict tp, struct tm *restrict tm)
{
    time_t t = *tp;
    long long days, y;
    long secs;
    int m, d;

    if (t >= 0 && t <= (time_t)0xffffffffu)
        return gmtime32((uint32_t)t, tm);
    days = t / 86400;
    secs = (long)(t % 86400);
    if (secs < 0) {
        secs += 86400;
        days--;
    }
    civil_from_days(days, &y, &m, &d);
    if (y - 1900 > INT_MAX || y - 1900 < INT_MIN) {
        errno = EOVERFLOW;
        return NULL;
    }
    tm->tm_year = (int)(y - 1900);
    tm->tm_mon = m - 1;
    tm->tm_mday = d;
    tm->tm_hour = (int)(secs / 3600);
    tm->tm_min = (int)(secs / 60 % 60);
    tm->tm_sec = (int)(secs % 60);
    tm->tm_wday = (int)(((days % 7) + 11) % 7);            /* 1970-01-01 was a Thursday */
    tm->tm_yday = (int)(days - days_from_civil(y, 1, 1));
    tm->tm_isdst = 0;
    tm->tm_gmtoff = 0;
    tm->tm_zone = "UTC";
    return tm;
}

struct tm *
gmtime(const time_t *tp)
{
    static struct tm tm;

    return gmtime_r(tp, &tm);
}

struct tm *
localtime_r(const time_t *restrict tp, struct tm *restrict tm)
{
    return gmtime_r(tp, tm);
}

struct tm *
localtime(const time_t *tp)
{
    static struct tm tm;

    return gmtime_r(tp, &tm);
}

/* timegm/mktime normalise out-of-range fields (Jan 32 -> Feb 1) and fill wday/yday. */
time_t
timegm(struct tm *tm)
{
    long long y = (long long)tm->tm_year + 1900;
    long long mon = tm->tm_mon;
    long long t;

    y += mon / 12;
    mon %= 12;
    if (mon < 0) {
        mon += 12;
        y--;
    }
    t = days_from_civil(y, (int)mon + 1, 1) + tm->tm_mday - 1;
    t = t * 86400 + (long long)tm->tm_hour * 3600 + (long long)tm->tm_min * 60 + tm->tm_sec;
    {
        time_t r = (time_t)t;
        if (gmtime_r(&r, tm) == NULL)
            return (time_t)-1;
        return r;
    }
}

time_t
mktime(struct tm *tm)
{
    return timegm(tm);
}

double
difftime(time_t a, time_t b)
{
    return (double)(a - b);
}

static const char *const wday_name[7] = {
    "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
};
static const char *const mon_name[12] = {
    "January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December",
};

/* ISO 8601 week number and week-based year of tm. */
static int
iso_week(const struct tm *tm, long long *iso_year)
{
    long long y = (long long)tm->tm_year + 1900;
    int wday = (tm->tm_wday + 6) % 7;                  /* Monday = 0 */
    int week = (tm->tm_yday - wday + 10) / 7;

    if (week < 1) {
        int pyday = tm->tm_yday + 365 + is_leap(y - 1);
        y--;
        week = (pyday - wday + 10) / 7;
    } else if (week == 53) {
        int days_in_year = 365 + is_leap(y);
        if (tm->tm_yday - wday + 3 >= days_in_year) {   /* Thursday is next year */
            week = 1;
            y++;
        }
    }
    *iso_year = y;
    return week;
}

struct out {
    char  *buf;
    size_t size;
    size_t len;
    int    overflow;
};

static void
put(struct out *o, const char *s)
{
    while (*s != '\0') {
        if (o->len + 1 >= o->size) {
            o->overflow = 1;
            return;
        }
        o->buf[o->len++] = *s++;
    }
}

/* The first n bytes of s (abbreviated day and month names). */
static void
putn(struct out *o, const char *s, size_t n)
{
    char tmp[16];

    if (n >= sizeof(tmp))
        n = sizeof(tmp) - 1;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    put(o, tmp);
}

/* v in decimal, at least width characters: padded with zeros after the sign
 * (printf's %0*lld) or with spaces before it (%*lld).  Written directly, with
 * 32-bit division when |v| fits, not through snprintf. */
static void
putnum(struct out *o, long long v, int width, char padc)
{
    char tmp[32];
    char *end = tmp + sizeof(tmp) - 1, *p = end;
    unsigned long long u = v < 0 ? -(unsigned long long)v : (unsigned long long)v;
    int len;

    if (width == 2 && v >= 0 && v < 100) {       /* the common two-digit fields */
        if (o->len + 2 >= o->size) {
            o->overflow = 1;
            return;
        }
        unsigned d = (unsigned)v;
        o->buf[o->len] = d >= 10 ? (char)('0' + d / 10) : padc;
        o->buf[o->len + 1] = (char)('0' + d % 10);
        o->len += 2;
        return;
    }
    *end = '\0';
    while (u > 0xffffffffULL) {
        *--p = (char)('0' + (int)(u % 10));
        u /= 10;
    }
    {
        uint32_t w = (uint32_t)u;
        do {
            *--p = (char)('0' + w % 10);
            w /= 10;
        } while (w != 0);
    }
    len = (int)(end - p) + (v < 0);
    if (padc == '0')
        for (; len < width; len++)
            *--p = '0';
    if (v < 0)
        *--p = '-';
    if (padc == ' ')
        for (; len < width; len++)
            *--p = ' ';
    put(o, p);
}

#define putd(o, v)  putnum((o), (v), 0, 0)     /* %lld */
#define put02(o, v) putnum((o), (v), 2, '0')   /* %02lld */
#define put2(o, v)  putnum((o), (v), 2, ' ')   /* %2lld */

static void
format(struct out *o, const char *fmt, const struct tm *tm)
{
    for (; *fmt != '\0' && !o->overflow; fmt++) {
        long long iy;
        int hour12;

        if (*fmt != '%') {
            if (o->len + 1 >= o->size) {
                o->overflow = 1;
                return;
            }
            o->buf[o->len++] = *fmt;
            continue;
        }
        hour12 = tm->tm_hour % 12 == 0 ? 12 : tm->tm_hour % 12;
        fmt++;
        if (*fmt == 'E' || *fmt == 'O')    /* alternative forms: same in C locale */
            fmt++;
        switch (*fmt) {
        case 'a': putn(o, (tm->tm_wday >= 0 && tm->tm_wday < 7) ? wday_name[tm->tm_wday] : "?", 3); break;
        case 'A': put(o, (tm->tm_wday >= 0 && tm->tm_wday < 7) ? wday_name[tm->tm_wday] : "?"); break;
        case 'b':
        case 'h': putn(o, (tm->tm_mon >= 0 && tm->tm_mon < 12) ? mon_name[tm->tm_mon] : "?", 3); break;
        case 'B': put(o, (tm->tm_mon >= 0 && tm->tm_mon < 12) ? mon_name[tm->tm_mon] : "?"); break;
        case 'c': format(o, "%a %b %e %H:%M:%S %Y", tm); break;
        case 'C': put02(o, ((long long)tm->tm_year + 1900) / 100); break;
        case 'd': put02(o, tm->tm_mday); break;
        case 'D': format(o, "%m/%d/%y", tm); break;
        case 'e': put2(o, tm->tm_mday); break;
        case 'F': format(o, "%Y-%m-%d", tm); break;
        case 'g': iso_week(tm, &iy); put02(o, ((iy % 100) + 100) % 100); break;
        case 'G': iso_week(tm, &iy); putd(o, iy); break;
        case 'H': put02(o, tm->tm_hour); break;
        case 'I': put02(o, hour12); break;
        case 'j': putnum(o, tm->tm_yday + 1, 3, '0'); break;
        case 'k': put2(o, tm->tm_hour); break;
        case 'l': put2(o, hour12); break;
        case 'm': put02(o, tm->tm_mon + 1); break;
        case 'M': put02(o, tm->tm_min); break;
        case 'n': put(o, "\n"); break;
        case 'p': put(o, tm->tm_hour < 12 ? "AM" : "PM"); break;
        case 'r': format(o, "%I:%M:%S %p", tm); break;
        case 'R': format(o, "%H:%M", tm); break;
        case 's': {
            struct tm copy = *tm;
            putd(o, (long long)timegm(&copy));
            break;
        }
        case 'S': put02(o, tm->tm_sec); break;
        case 't': put(o, "\t"); break;
        case 'T': format(o, "%H:%M:%S", tm); break;
        case 'u': putd(o, tm->tm_wday == 0 ? 7 : tm->tm_wday); break;
        case 'U': put02(o, (tm->tm_yday + 7 - tm->tm_wday) / 7); break;
        case 'V': put02(o, iso_week(tm, &iy)); break;
        case 'w': putd(o, tm->tm_wday); break;
        case 'W': put02(o, (tm->tm_yday + 7 - (tm->tm_wday + 6) % 7) / 7); break;
        case 'x': format(o, "%m/%d/%y", tm); break;
        case 'X': format(o, "%H:%M:%S", tm); break;
        case 'y': put02(o, (((long long)tm->tm_year + 1900) % 100 + 100) % 100); break;
        case 'Y': putd(o, (long long)tm->tm_year + 1900); break;
        case 'z': {
            long off = tm->tm_gmtoff;
            char sign = off < 0 ? '-' : '+';
            char tmp[16];
            if (off < 0)
                off = -off;
            snprintf(tmp, sizeof(tmp), "%c%02ld%02ld", sign, off / 3600, off / 60 % 60);
            put(o, tmp);
            break;
        }
        case 'Z': put(o, tm->tm_zone != NULL ? tm->tm_zone : "UTC"); break;
        case '%': put(o, "%"); break;
        case '\0': put(o, "%"); fmt--; break;
        default: {                          /* unknown: copy it through */
            char bad[3] = { '%', *fmt, '\0' };
            put(o, bad);
            break;
        }
        }
    }
}

size_t
strftime(char *restrict buf, size_t size, const char *restrict fmt, const struct tm *restrict tm)
{
    struct out o = { buf, size, 0, 0 };

    if (size == 0)
        return 0;
    format(&o, fmt, tm);
    if (o.overflow) {
        buf[0] = '\0';
        return 0;
    }
    buf[o.len] = '\0';
    return o.len;
}

char *
asctime_r(const struct tm *restrict tm, char *restrict buf)
{
    /* "Thu Jan  1 00:00:00 1970\n": 26 bytes with the NUL */
    if (strftime(buf, 26, "%a %b %e %H:%M:%S %Y\n", tm) == 0)
        return NULL;
    return buf;
}

char *
asctime(const struct tm *tm)
{
    static char buf[64];

    if (strftime(buf, sizeof(buf), "%a %b %e %H:%M:%S %Y\n", tm) == 0)
        return NULL;
    return buf;
}

char *
ctime_r(const time_t *tp, char *buf)
{
    struct tm tm;

    if (localtime_r(tp, &tm) == NULL)
        return NULL;
    return asctime_r(&tm, buf);
}

char *
ctime(const time_t *tp)
{
    struct tm tm;

    if (localtime_r(tp, &tm) == NULL)
        return NULL;
    return asctime(&tm);
}

/* The CPU-time clock of process pid (0: the caller): CLOCK_PROCESS_CPUTIME_ID
 * | pid from clock_getcpuclockid2(P_PID), as NetBSD's libc; the error number is
 * returned, errno left alone. */
int
clock_getcpuclockid(__pid_t pid, clockid_t *clock_id)
{
    int saved = errno;

    if (clock_getcpuclockid2(P_PID, (__id_t)pid, clock_id) == -1) {
        int e = errno;
        errno = saved;
        return e;
    }
    return 0;
}
