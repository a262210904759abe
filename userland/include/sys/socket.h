/* kw86 libc: <sys/socket.h> with NetBSD 10's numbers and i386 layouts. */
#ifndef _SYS_SOCKET_H_
#define _SYS_SOCKET_H_

#include <sys/cdefs.h>
#include <sys/types.h>
#include <sys/uio.h>

#ifndef _SOCKLEN_T_DEFINED
#define _SOCKLEN_T_DEFINED
typedef __uint32_t socklen_t;
#endif
#ifndef _SA_FAMILY_T_DEFINED
#define _SA_FAMILY_T_DEFINED
typedef __uint8_t sa_family_t;
#endif

#define SOCK_STREAM     1
#define SOCK_DGRAM      2
#define SOCK_RAW        3
#define SOCK_RDM        4
#define SOCK_SEQPACKET  5
#define SOCK_CLOEXEC    0x10000000
#define SOCK_NONBLOCK   0x20000000
#define SOCK_NOSIGPIPE  0x40000000
#define SOCK_FLAGS_MASK 0xf0000000

#define SO_DEBUG        0x0001
#define SO_ACCEPTCONN   0x0002
#define SO_REUSEADDR    0x0004
#define SO_KEEPALIVE    0x0008
#define SO_DONTROUTE    0x0010
#define SO_BROADCAST    0x0020
#define SO_USELOOPBACK  0x0040
#define SO_LINGER       0x0080
#define SO_OOBINLINE    0x0100
#define SO_REUSEPORT    0x0200
#define SO_NOSIGPIPE    0x0800
#define SO_TIMESTAMP    0x2000
#define SO_RERROR       0x4000
#define SO_SNDBUF       0x1001
#define SO_RCVBUF       0x1002
#define SO_SNDLOWAT     0x1003
#define SO_RCVLOWAT     0x1004
#define SO_ERROR        0x1007
#define SO_TYPE         0x1008
#define SO_OVERFLOWED   0x1009
#define SO_NOHEADER     0x100a
#define SO_SNDTIMEO     0x100b
#define SO_RCVTIMEO     0x100c

struct linger {
    int l_onoff;
    int l_linger;
};

#define SOL_SOCKET      0xffff

#define AF_UNSPEC       0
#define AF_LOCAL        1
#define AF_UNIX         AF_LOCAL
#define AF_INET         2
#define AF_INET6        24
#define AF_MAX          43
#define PF_UNSPEC       AF_UNSPEC
#define PF_LOCAL        AF_LOCAL
#define PF_UNIX         PF_LOCAL
#define PF_INET         AF_INET
#define PF_INET6        AF_INET6

struct sockaddr {
    __uint8_t   sa_len;
    sa_family_t sa_family;
    char        sa_data[14];
};

#define _SS_MAXSIZE     128
struct sockaddr_storage {
    __uint8_t   ss_len;
    sa_family_t ss_family;
    char        __ss_pad1[6];
    __int64_t   __ss_align;
    char        __ss_pad2[_SS_MAXSIZE - 16];
};

struct sockcred {
    pid_t sc_pid;
    uid_t sc_uid;
    uid_t sc_euid;
    gid_t sc_gid;
    gid_t sc_egid;
    int   sc_ngroups;
    gid_t sc_groups[1];
};
#define SOCKCREDSIZE(ngrps) (sizeof(struct sockcred) + (sizeof(gid_t) * ((ngrps) - 1)))

#define SOMAXCONN       128

struct msghdr {
    void         *msg_name;
    socklen_t     msg_namelen;
    struct iovec *msg_iov;
    int           msg_iovlen;
    void         *msg_control;
    socklen_t     msg_controllen;
    int           msg_flags;
};

#define MSG_OOB          0x0001
#define MSG_PEEK         0x0002
#define MSG_DONTROUTE    0x0004
#define MSG_EOR          0x0008
#define MSG_TRUNC        0x0010
#define MSG_CTRUNC       0x0020
#define MSG_WAITALL      0x0040
#define MSG_DONTWAIT     0x0080
#define MSG_BCAST        0x0100
#define MSG_MCAST        0x0200
#define MSG_NOSIGNAL     0x0400
#define MSG_CMSG_CLOEXEC 0x0800
#define MSG_NBIO         0x1000
#define MSG_WAITFORONE   0x2000

struct mmsghdr {
    struct msghdr msg_hdr;
    unsigned int  msg_len;
};

struct cmsghdr {
    socklen_t cmsg_len;
    int       cmsg_level;
    int       cmsg_type;
    /* followed by unsigned char cmsg_data[] */
};

/* i386: __ALIGNBYTES is sizeof(int) - 1 */
#define __CMSG_ALIGN(n)     (((n) + 3) & ~3U)
#define __CMSG_ASIZE        __CMSG_ALIGN(sizeof(struct cmsghdr))
#define CMSG_DATA(cmsg)     ((unsigned char *)(cmsg) + __CMSG_ASIZE)
#define CMSG_FIRSTHDR(mhdr) \
    ((mhdr)->msg_controllen < sizeof(struct cmsghdr) ? (struct cmsghdr *)0 : \
     (struct cmsghdr *)(mhdr)->msg_control)
#define CMSG_NXTHDR(mhdr, cmsg) \
    (((char *)(cmsg) + __CMSG_ALIGN((cmsg)->cmsg_len) + __CMSG_ASIZE > \
      (char *)(mhdr)->msg_control + (mhdr)->msg_controllen) ? (struct cmsghdr *)0 : \
     (struct cmsghdr *)((char *)(cmsg) + __CMSG_ALIGN((cmsg)->cmsg_len)))
#define CMSG_SPACE(l)       (__CMSG_ASIZE + __CMSG_ALIGN(l))
#define CMSG_LEN(l)         (__CMSG_ASIZE + (l))

#define SCM_RIGHTS      0x01
#define SCM_TIMESTAMP   0x08
#define SCM_CREDS       0x10

#define SHUT_RD         0
#define SHUT_WR         1
#define SHUT_RDWR       2

__BEGIN_DECLS
int     accept(int, struct sockaddr *__restrict, socklen_t *__restrict);
int     accept4(int, struct sockaddr *__restrict, socklen_t *__restrict, int);
int     paccept(int, struct sockaddr *__restrict, socklen_t *__restrict,
                const __sigset_t *__restrict, int);
int     bind(int, const struct sockaddr *, socklen_t);
int     connect(int, const struct sockaddr *, socklen_t);
int     getpeername(int, struct sockaddr *__restrict, socklen_t *__restrict);
int     getsockname(int, struct sockaddr *__restrict, socklen_t *__restrict);
int     getsockopt(int, int, int, void *__restrict, socklen_t *__restrict);
int     listen(int, int);
ssize_t recv(int, void *, size_t, int);
ssize_t recvfrom(int, void *__restrict, size_t, int, struct sockaddr *__restrict,
                 socklen_t *__restrict);
ssize_t recvmsg(int, struct msghdr *, int);
ssize_t send(int, const void *, size_t, int);
ssize_t sendto(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
ssize_t sendmsg(int, const struct msghdr *, int);
int     setsockopt(int, int, int, const void *, socklen_t);
int     shutdown(int, int);
int     socket(int, int, int);
int     socketpair(int, int, int, int *);
struct timespec;
int     sendmmsg(int, struct mmsghdr *, unsigned int, unsigned int);
int     recvmmsg(int, struct mmsghdr *, unsigned int, unsigned int, struct timespec *);
__END_DECLS

#endif
