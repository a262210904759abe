/* kw86 libc: <sys/sysctl.h>, the MIB numbers the libc and programs use. */
#ifndef _SYS_SYSCTL_H_
#define _SYS_SYSCTL_H_
#include <sys/cdefs.h>
#include <sys/types.h>

#define CTL_MAXNAME  12
#define CTL_UNSPEC   0
#define CTL_KERN     1
#define CTL_VM       2
#define CTL_VFS      3
#define CTL_NET      4
#define CTL_DEBUG    5
#define CTL_HW       6
#define CTL_MACHDEP  7
#define CTL_USER     8

#define KERN_OSTYPE     1
#define KERN_OSRELEASE  2
#define KERN_OSREV      3
#define KERN_VERSION    4
#define KERN_MAXVNODES  5
#define KERN_MAXPROC    6
#define KERN_MAXFILES   7
#define KERN_ARGMAX     8
#define KERN_SECURELVL  9
#define KERN_HOSTNAME   10
#define KERN_HOSTID     11
#define KERN_CLOCKRATE  12
#define KERN_SYSVMSG    34      /* int: SysV message queue support */
#define KERN_SYSVSEM    35      /* int: SysV semaphore support */
#define KERN_SYSVSHM    36      /* int: SysV shared memory support */
#define KERN_ARND       81
#define KERN_SYSVIPC    82      /* node: SysV IPC parameters (kern.ipc) */

/* kern.ipc */
#define KERN_SYSVIPC_INFO       1       /* struct: the msg/sem/shm tables */
#define KERN_SYSVIPC_SHMMAX     5
#define KERN_SYSVIPC_SHMMNI     6
#define KERN_SYSVIPC_SHMSEG     7
#define KERN_SYSVIPC_SHMMAXPGS  8
#define KERN_SYSVIPC_SHMUSEPHYS 9
/* kern.ipc.sysvipc_info */
#define KERN_SYSVIPC_MSG_INFO   4       /* msginfo and msgid_ds */
#define KERN_SYSVIPC_SEM_INFO   5       /* seminfo and semid_ds */
#define KERN_SYSVIPC_SHM_INFO   6       /* shminfo and shmid_ds */

#define HW_MACHINE      1
#define HW_MODEL        2
#define HW_NCPU         3
#define HW_BYTEORDER    4
#define HW_PHYSMEM      5
#define HW_USERMEM      6
#define HW_PAGESIZE     7
#define HW_MACHINE_ARCH 10
#define HW_NCPUONLINE   16

__BEGIN_DECLS
int sysctl(const int *, unsigned int, void *, size_t *, const void *, size_t);
int __sysctl(const int *, unsigned int, void *, size_t *, const void *, size_t);
int sysctlnametomib(const char *, int *, size_t *);
int sysctlbyname(const char *, void *, size_t *, const void *, size_t);
__END_DECLS
#endif
