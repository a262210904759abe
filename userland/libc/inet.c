/* kw86 libc: IPv4/IPv6 address text conversions (<arpa/inet.h>). */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

const struct in6_addr in6addr_any = IN6ADDR_ANY_INIT;
const struct in6_addr in6addr_loopback = IN6ADDR_LOOPBACK_INIT;

/* Dotted quad, exactly four decimal parts 0..255 (inet_pton's form). */
static int
pton4(const char *src, unsigned char *dst)
{
    unsigned char out[4];
    int parts = 0;

    while (parts < 4) {
        unsigned v = 0;
        int digits = 0;
        while (*src >= '0' && *src <= '9') {
            if (digits && v == 0)
                return 0;               /* no leading zeros */
            v = v * 10 + (unsigned)(*src++ - '0');
            if (v > 255 || ++digits > 3)
                return 0;
        }
        if (!digits)
            return 0;
        out[parts++] = (unsigned char)v;
        if (parts < 4) {
            if (*src++ != '.')
                return 0;
        }
    }
    if (*src)
        return 0;
    memcpy(dst, out, 4);
    return 1;
}

static int
hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int
pton6(const char *src, unsigned char *dst)
{
    unsigned char out[16];
    int n = 0, gap = -1;

    memset(out, 0, sizeof out);
    if (src[0] == ':') {
        if (src[1] != ':')
            return 0;
        src++;
    }
    while (*src) {
        if (*src == ':') {
            if (gap >= 0)
                return 0;               /* one "::" only */
            gap = n;
            src++;
            continue;
        }
        /* a trailing dotted quad */
        const char *q = src;
        while (hexval(*q) >= 0)
            q++;
        if (*q == '.') {
            if (n > 12 || !pton4(src, out + n))
                return 0;
            n += 4;
            src += strlen(src);
            break;
        }
        unsigned v = 0;
        int digits = 0;
        while (hexval(*src) >= 0) {
            v = (v << 4) | (unsigned)hexval(*src++);
            if (++digits > 4)
                return 0;
        }
        if (!digits || n > 14)
            return 0;
        out[n++] = (unsigned char)(v >> 8);
        out[n++] = (unsigned char)v;
        if (*src == ':') {
            src++;
            if (!*src)
                return 0;               /* a trailing single ':' */
            if (*src == ':')
                continue;               /* "::" next round */
        } else if (*src) {
            return 0;
        }
    }
    if (gap >= 0) {
        int tail = n - gap;
        if (n == 16)
            return 0;
        memmove(out + 16 - tail, out + gap, (size_t)tail);
        memset(out + gap, 0, (size_t)(16 - n));
    } else if (n != 16) {
        return 0;
    }
    memcpy(dst, out, 16);
    return 1;
}

int
inet_pton(int af, const char *restrict src, void *restrict dst)
{
    if (af == AF_INET)
        return pton4(src, dst);
    if (af == AF_INET6)
        return pton6(src, dst);
    errno = EAFNOSUPPORT;
    return -1;
}

static const char *
ntop4(const unsigned char *a, char *dst, socklen_t size)
{
    char tmp[INET_ADDRSTRLEN];
    int n = snprintf(tmp, sizeof tmp, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
    if (n < 0 || (socklen_t)n >= size) {
        errno = ENOSPC;
        return NULL;
    }
    memcpy(dst, tmp, (size_t)n + 1);
    return dst;
}

/* RFC 5952: lower case, the longest run (of two or more) of zero groups as
 * "::" (the first on a tie), v4-mapped addresses with a dotted quad. */
static const char *
ntop6(const unsigned char *a, char *dst, socklen_t size)
{
    char tmp[INET6_ADDRSTRLEN];
    unsigned g[8];
    int i, best = -1, bestlen = 0, cur = -1, curlen = 0;
    char *t = tmp;

    for (i = 0; i < 8; i++)
        g[i] = ((unsigned)a[2 * i] << 8) | a[2 * i + 1];
    for (i = 0; i < 8; i++) {
        if (g[i] == 0) {
            if (cur < 0) { cur = i; curlen = 0; }
            if (++curlen > bestlen) { best = cur; bestlen = curlen; }
        } else {
            cur = -1;
        }
    }
    if (bestlen < 2)
        best = -1;
    for (i = 0; i < 8; i++) {
        if (best >= 0 && i >= best && i < best + bestlen) {
            if (i == best)
                *t++ = ':';
            if (i == best + bestlen - 1 && i == 7)
                *t++ = ':';
            continue;
        }
        if (i == 6 && best == 0 && (bestlen == 6 || (bestlen == 5 && g[5] == 0xffff))) {
            *t++ = ':';
            if (!ntop4(a + 12, t, (socklen_t)(sizeof tmp - (size_t)(t - tmp))))
                return NULL;
            t += strlen(t);
            break;
        }
        if (i)
            *t++ = ':';
        t += snprintf(t, sizeof tmp - (size_t)(t - tmp), "%x", g[i]);
    }
    *t = 0;
    if ((socklen_t)(t - tmp) >= size) {
        errno = ENOSPC;
        return NULL;
    }
    memcpy(dst, tmp, (size_t)(t - tmp) + 1);
    return dst;
}

const char *
inet_ntop(int af, const void *restrict src, char *restrict dst, socklen_t size)
{
    if (af == AF_INET)
        return ntop4(src, dst, size);
    if (af == AF_INET6)
        return ntop6(src, dst, size);
    errno = EAFNOSUPPORT;
    return NULL;
}

/* inet_aton: the classic forms a, a.b, a.b.c, a.b.c.d with decimal, octal
 * (leading 0) or hexadecimal (0x) parts. */
int
inet_aton(const char *cp, struct in_addr *addr)
{
    unsigned long parts[4];
    int n = 0;

    for (;;) {
        unsigned long v = 0;
        int base = 10, digits = 0;
        if (*cp == '0') {
            base = 8;
            cp++;
            digits = 1;
            if (*cp == 'x' || *cp == 'X') {
                base = 16;
                cp++;
                digits = 0;
            }
        }
        for (;;) {
            int d = hexval(*cp);
            if (d < 0 || d >= base)
                break;
            v = v * (unsigned long)base + (unsigned long)d;
            if (v > 0xffffffffUL)
                return 0;
            cp++;
            digits++;
        }
        if (!digits)
            return 0;
        parts[n++] = v;
        if (*cp == '.') {
            if (n == 4)
                return 0;
            cp++;
            continue;
        }
        break;
    }
    if (*cp && *cp != ' ' && *cp != '\t' && *cp != '\n')
        return 0;
    unsigned long val;
    switch (n) {
    case 1: val = parts[0]; break;
    case 2:
        if (parts[0] > 0xff || parts[1] > 0xffffff) return 0;
        val = parts[0] << 24 | parts[1];
        break;
    case 3:
        if (parts[0] > 0xff || parts[1] > 0xff || parts[2] > 0xffff) return 0;
        val = parts[0] << 24 | parts[1] << 16 | parts[2];
        break;
    default:
        if (parts[0] > 0xff || parts[1] > 0xff || parts[2] > 0xff || parts[3] > 0xff) return 0;
        val = parts[0] << 24 | parts[1] << 16 | parts[2] << 8 | parts[3];
        break;
    }
    if (addr)
        addr->s_addr = htonl((in_addr_t)val);
    return 1;
}

in_addr_t
inet_addr(const char *cp)
{
    struct in_addr a;
    if (!inet_aton(cp, &a))
        return INADDR_NONE;
    return a.s_addr;
}

char *
inet_ntoa(struct in_addr in)
{
    static char buf[INET_ADDRSTRLEN];
    ntop4((const unsigned char *)&in.s_addr, buf, sizeof buf);
    return buf;
}
