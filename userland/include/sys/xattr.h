/* <sys/xattr.h>: NetBSD's Linux-style extended attribute calls (375-386;
 * kw86/nbsd/syscalls/extattr.py). */
#ifndef _SYS_XATTR_H_
#define _SYS_XATTR_H_

#include <sys/cdefs.h>
#include <sys/types.h>

#define XATTR_NAME_MAX  255             /* KERNEL_NAME_MAX */
#define XATTR_SIZE_MAX  65536
#define XATTR_CREATE    0x01
#define XATTR_REPLACE   0x02

__BEGIN_DECLS
int     setxattr(const char *, const char *, const void *, size_t, int);
int     lsetxattr(const char *, const char *, const void *, size_t, int);
int     fsetxattr(int, const char *, const void *, size_t, int);
ssize_t getxattr(const char *, const char *, void *, size_t);
ssize_t lgetxattr(const char *, const char *, void *, size_t);
ssize_t fgetxattr(int, const char *, void *, size_t);
ssize_t listxattr(const char *, char *, size_t);
ssize_t llistxattr(const char *, char *, size_t);
ssize_t flistxattr(int, char *, size_t);
int     removexattr(const char *, const char *);
int     lremovexattr(const char *, const char *);
int     fremovexattr(int, const char *);
__END_DECLS

#endif
