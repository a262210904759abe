/* kw86 libc: <sys/un.h> (NetBSD 10). */
#ifndef _SYS_UN_H_
#define _SYS_UN_H_

#include <sys/cdefs.h>
#include <sys/types.h>
#include <sys/socket.h>

#define SUNPATHLEN 104
struct sockaddr_un {
    __uint8_t   sun_len;
    sa_family_t sun_family;
    char        sun_path[SUNPATHLEN];
};

#define SOL_LOCAL       0
#define LOCAL_OCREDS    0x0001
#define LOCAL_CONNWAIT  0x0002
#define LOCAL_PEEREID   0x0003
#define LOCAL_CREDS     0x0004

struct unpcbid {
    pid_t unp_pid;
    uid_t unp_euid;
    gid_t unp_egid;
};

#define SUN_LEN(su) (sizeof(*(su)) - sizeof((su)->sun_path) + strlen((su)->sun_path))

#endif
