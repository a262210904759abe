/* kw86 libc: <sys/select.h>. */
#ifndef _SYS_SELECT_H_
#define _SYS_SELECT_H_
#include <sys/cdefs.h>
#include <sys/types.h>
#include <sys/time.h>
#define FD_SETSIZE 256
#define __NFDBITS  32
typedef struct fd_set {
    __uint32_t fds_bits[FD_SETSIZE / __NFDBITS];
} fd_set;
#define FD_SET(n, p)   ((p)->fds_bits[(n) / __NFDBITS] |= (1U << ((n) % __NFDBITS)))
#define FD_CLR(n, p)   ((p)->fds_bits[(n) / __NFDBITS] &= ~(1U << ((n) % __NFDBITS)))
#define FD_ISSET(n, p) (((p)->fds_bits[(n) / __NFDBITS] & (1U << ((n) % __NFDBITS))) != 0)
#define FD_ZERO(p)     do { unsigned __i; for (__i = 0; __i < FD_SETSIZE / __NFDBITS; __i++) \
                            (p)->fds_bits[__i] = 0; } while (0)
__BEGIN_DECLS
int select(int, fd_set *__restrict, fd_set *__restrict, fd_set *__restrict, struct timeval *__restrict);
__END_DECLS
#endif
