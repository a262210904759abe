/* kw86 libc: <netinet/tcp.h> (NetBSD 10 option numbers). */
#ifndef _NETINET_TCP_H_
#define _NETINET_TCP_H_

#define TCP_MSS       536
#define TCP_MAXWIN    65535
#define TCP_NODELAY   1
#define TCP_MAXSEG    2
#define TCP_KEEPIDLE  3
#define TCP_NOPUSH    4
#define TCP_KEEPINTVL 5
#define TCP_KEEPCNT   6
#define TCP_KEEPINIT  7

#endif
