/* kw86 libc: <sys/mman.h> (NetBSD values). */
#ifndef _SYS_MMAN_H_
#define _SYS_MMAN_H_

#include <sys/cdefs.h>
#include <sys/types.h>

#define PROT_NONE  0x00
#define PROT_READ  0x01
#define PROT_WRITE 0x02
#define PROT_EXEC  0x04

#define MAP_SHARED    0x0001
#define MAP_PRIVATE   0x0002
#define MAP_REMAPDUP  0x0004  /* mremap: duplicate the mapping */
#define MAP_FIXED     0x0010
#define MAP_NORESERVE 0x0040
#define MAP_INHERIT   0x0080
#define MAP_TRYFIXED  0x0400
#define MAP_WIRED     0x0800
#define MAP_FILE      0x0000
#define MAP_ANON      0x1000
#define MAP_ANONYMOUS MAP_ANON
#define MAP_STACK     0x2000
#define MAP_ALIGNED(n) ((n) << 24)
#define MAP_FAILED    ((void *)-1)

#define MADV_NORMAL     0
#define MADV_RANDOM     1
#define MADV_SEQUENTIAL 2
#define MADV_WILLNEED   3
#define MADV_DONTNEED   4
#define MADV_FREE       6

#define MS_ASYNC      0x01
#define MS_INVALIDATE 0x02
#define MS_SYNC       0x04

#define MCL_CURRENT   0x01      /* mlockall: lock what is mapped now */
#define MCL_FUTURE    0x02      /* ... and what will be */

#define POSIX_MADV_NORMAL     0
#define POSIX_MADV_RANDOM     1
#define POSIX_MADV_SEQUENTIAL 2
#define POSIX_MADV_WILLNEED   3
#define POSIX_MADV_DONTNEED   4

__BEGIN_DECLS
void *mmap(void *, size_t, int, int, int, off_t);
int   munmap(void *, size_t);
int   mprotect(void *, size_t, int);
int   msync(void *, size_t, int);
int   mlock(const void *, size_t);
int   munlock(const void *, size_t);
int   mlockall(int);
int   munlockall(void);
int   mincore(void *, size_t, char *);
void *mremap(void *, size_t, void *, size_t, int);
int   shm_open(const char *, int, mode_t);
int   shm_unlink(const char *);
__END_DECLS

#endif
