/* kw86 libc: <fnmatch.h>. */
#ifndef _FNMATCH_H_
#define _FNMATCH_H_
#include <sys/cdefs.h>
#define FNM_NOMATCH     1
#define FNM_NOSYS       2
#define FNM_NOESCAPE    0x01
#define FNM_PATHNAME    0x02
#define FNM_PERIOD      0x04
#define FNM_CASEFOLD    0x08
#define FNM_LEADING_DIR 0x10
__BEGIN_DECLS
int fnmatch(const char *, const char *, int);
__END_DECLS
#endif
