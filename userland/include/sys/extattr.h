/* <sys/extattr.h>: NetBSD's extended attribute calls (361-372;
 * kw86/nbsd/syscalls/extattr.py: no guest file system keeps attributes). */
#ifndef _SYS_EXTATTR_H_
#define _SYS_EXTATTR_H_

#include <sys/cdefs.h>
#include <sys/types.h>

#define EXTATTR_NAMESPACE_EMPTY  0
#define EXTATTR_NAMESPACE_USER   1
#define EXTATTR_NAMESPACE_SYSTEM 2
#define EXTATTR_MAXNAMELEN       255    /* KERNEL_NAME_MAX */

__BEGIN_DECLS
int     extattr_set_file(const char *, int, const char *, const void *, size_t);
ssize_t extattr_get_file(const char *, int, const char *, void *, size_t);
int     extattr_delete_file(const char *, int, const char *);
int     extattr_set_fd(int, int, const char *, const void *, size_t);
ssize_t extattr_get_fd(int, int, const char *, void *, size_t);
int     extattr_delete_fd(int, int, const char *);
int     extattr_set_link(const char *, int, const char *, const void *, size_t);
ssize_t extattr_get_link(const char *, int, const char *, void *, size_t);
int     extattr_delete_link(const char *, int, const char *);
ssize_t extattr_list_fd(int, int, void *, size_t);
ssize_t extattr_list_file(const char *, int, void *, size_t);
ssize_t extattr_list_link(const char *, int, void *, size_t);
__END_DECLS

#endif
