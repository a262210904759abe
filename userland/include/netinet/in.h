/* kw86 libc: <netinet/in.h> (NetBSD 10, with the IPv6 part of netinet6/in6.h). */
#ifndef _NETINET_IN_H_
#define _NETINET_IN_H_

#include <sys/cdefs.h>
#include <sys/types.h>
#include <sys/socket.h>

typedef __uint32_t in_addr_t;
typedef __uint16_t in_port_t;

#define IPPROTO_IP      0
#define IPPROTO_ICMP    1
#define IPPROTO_TCP     6
#define IPPROTO_UDP     17
#define IPPROTO_IPV6    41
#define IPPROTO_RAW     255

#define IPPORT_RESERVED 1024
#define IPPORT_ANONMIN  49152
#define IPPORT_ANONMAX  65535

struct in_addr {
    in_addr_t s_addr;
};

#define INADDR_ANY       ((in_addr_t)0x00000000)
#define INADDR_LOOPBACK  ((in_addr_t)0x7f000001)
#define INADDR_BROADCAST ((in_addr_t)0xffffffff)
#define INADDR_NONE      ((in_addr_t)0xffffffff)
#define IN_LOOPBACKNET   127

struct sockaddr_in {
    __uint8_t      sin_len;
    sa_family_t    sin_family;
    in_port_t      sin_port;
    struct in_addr sin_addr;
    __int8_t       sin_zero[8];
};

#define IP_OPTIONS      1
#define IP_HDRINCL      2
#define IP_TOS          3
#define IP_TTL          4

#define INET_ADDRSTRLEN  16
#define INET6_ADDRSTRLEN 46

struct in6_addr {
    union {
        __uint8_t  __u6_addr8[16];
        __uint16_t __u6_addr16[8];
        __uint32_t __u6_addr32[4];
    } __u6_addr;
};
#define s6_addr __u6_addr.__u6_addr8

struct sockaddr_in6 {
    __uint8_t       sin6_len;
    sa_family_t     sin6_family;
    in_port_t       sin6_port;
    __uint32_t      sin6_flowinfo;
    struct in6_addr sin6_addr;
    __uint32_t      sin6_scope_id;
};

#define IN6ADDR_ANY_INIT      {{{ 0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0 }}}
#define IN6ADDR_LOOPBACK_INIT {{{ 0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1 }}}
extern const struct in6_addr in6addr_any;
extern const struct in6_addr in6addr_loopback;

#define IN6_IS_ADDR_V4MAPPED(a) \
    ((a)->__u6_addr.__u6_addr32[0] == 0 && (a)->__u6_addr.__u6_addr32[1] == 0 && \
     (a)->__u6_addr.__u6_addr32[2] == 0xffff0000U)
#define IN6_IS_ADDR_LOOPBACK(a) \
    ((a)->__u6_addr.__u6_addr32[0] == 0 && (a)->__u6_addr.__u6_addr32[1] == 0 && \
     (a)->__u6_addr.__u6_addr32[2] == 0 && (a)->__u6_addr.__u6_addr32[3] == 0x01000000U)
#define IN6_IS_ADDR_UNSPECIFIED(a) \
    ((a)->__u6_addr.__u6_addr32[0] == 0 && (a)->__u6_addr.__u6_addr32[1] == 0 && \
     (a)->__u6_addr.__u6_addr32[2] == 0 && (a)->__u6_addr.__u6_addr32[3] == 0)

#define IPV6_UNICAST_HOPS 4
#define IPV6_V6ONLY       27

/* byte order (i386 is little-endian) */
#define __kw86_bswap16(x) ((__uint16_t)((((x) & 0xff) << 8) | (((x) >> 8) & 0xff)))
#define __kw86_bswap32(x) ((__uint32_t)((((x) & 0xffU) << 24) | (((x) & 0xff00U) << 8) | \
                                        (((x) >> 8) & 0xff00U) | (((x) >> 24) & 0xffU)))
#define htons(x) __kw86_bswap16((__uint16_t)(x))
#define ntohs(x) __kw86_bswap16((__uint16_t)(x))
#define htonl(x) __kw86_bswap32((__uint32_t)(x))
#define ntohl(x) __kw86_bswap32((__uint32_t)(x))

#endif
