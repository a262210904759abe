/* kw86 libc: <utime.h>. */
#ifndef _UTIME_H_
#define _UTIME_H_
#include <sys/cdefs.h>
#include <sys/types.h>
struct utimbuf {
    time_t actime;
    time_t modtime;
};
__BEGIN_DECLS
int utime(const char *, const struct utimbuf *);
__END_DECLS
#endif
