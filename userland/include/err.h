/* kw86 libc: <err.h> (BSD): "prog: message: strerror(errno)" on stderr. */
#ifndef _ERR_H_
#define _ERR_H_

#include <sys/cdefs.h>
#include <sys/_types.h>

__BEGIN_DECLS
__dead void err(int, const char *, ...) __printflike(2, 3);
__dead void verr(int, const char *, __va_list) __printflike(2, 0);
__dead void errc(int, int, const char *, ...) __printflike(3, 4);
__dead void errx(int, const char *, ...) __printflike(2, 3);
__dead void verrx(int, const char *, __va_list) __printflike(2, 0);
void warn(const char *, ...) __printflike(1, 2);
void vwarn(const char *, __va_list) __printflike(1, 0);
void warnc(int, const char *, ...) __printflike(2, 3);
void warnx(const char *, ...) __printflike(1, 2);
void vwarnx(const char *, __va_list) __printflike(1, 0);
__END_DECLS

#endif
