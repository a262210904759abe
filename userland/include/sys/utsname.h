/* kw86 libc: <sys/utsname.h>; uname() reads kern.* and hw.machine with sysctl. */
#ifndef _SYS_UTSNAME_H_
#define _SYS_UTSNAME_H_
#include <sys/cdefs.h>
#define _SYS_NMLN 256
struct utsname {
    char sysname[_SYS_NMLN];
    char nodename[_SYS_NMLN];
    char release[_SYS_NMLN];
    char version[_SYS_NMLN];
    char machine[_SYS_NMLN];
};
__BEGIN_DECLS
int uname(struct utsname *);
__END_DECLS
#endif
