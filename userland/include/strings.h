/* kw86 libc: <strings.h>. */
#ifndef _STRINGS_H_
#define _STRINGS_H_

#include <sys/cdefs.h>
#include <sys/_types.h>

#ifndef _SIZE_T_DEFINED
#define _SIZE_T_DEFINED
typedef __size_t size_t;
#endif

__BEGIN_DECLS
int   strcasecmp(const char *, const char *);
int   strncasecmp(const char *, const char *, size_t);
int   ffs(int);
void  bzero(void *, size_t);
void  bcopy(const void *, void *, size_t);
int   bcmp(const void *, const void *, size_t);
char *index(const char *, int);
char *rindex(const char *, int);
__END_DECLS

#endif
