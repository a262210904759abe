/* kw86 libc: <string.h> and <strings.h>.  Plain byte loops, written to be read. */
#include <string.h>
#include <strings.h>
#include <stdlib.h>
#include <stdint.h>

/* memcpy, memmove and memset are in i386/memcpy.S (rep movsl / rep stosl). */

int
memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *p = a, *q = b;

    for (; n > 0; n--, p++, q++)
        if (*p != *q)
            return *p - *q;
    return 0;
}

void *
memchr(const void *s, int c, size_t n)
{
    const unsigned char *p = s;

    for (; n > 0; n--, p++)
        if (*p == (unsigned char)c)
            return (void *)(uintptr_t)p;
    return NULL;
}

void *
memrchr(const void *s, int c, size_t n)
{
    const unsigned char *p = (const unsigned char *)s + n;

    while (n-- > 0)
        if (*--p == (unsigned char)c)
            return (void *)(uintptr_t)p;
    return NULL;
}

void *
memccpy(void *restrict dst, const void *restrict src, int c, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;

    for (; n > 0; n--) {
        if ((*d++ = *s++) == (unsigned char)c)
            return d;
    }
    return NULL;
}

void *
memmem(const void *hay, size_t hlen, const void *needle, size_t nlen)
{
    const unsigned char *h = hay;
    size_t i;

    if (nlen == 0)
        return (void *)(uintptr_t)hay;
    for (i = 0; i + nlen <= hlen; i++)
        if (h[i] == *(const unsigned char *)needle && memcmp(h + i, needle, nlen) == 0)
            return (void *)(uintptr_t)(h + i);
    return NULL;
}

size_t
strlen(const char *s)
{
    const char *p = s;

    while (*p != '\0')
        p++;
    return (size_t)(p - s);
}

size_t
strnlen(const char *s, size_t max)
{
    size_t n = 0;

    while (n < max && s[n] != '\0')
        n++;
    return n;
}

char *
strcpy(char *restrict dst, const char *restrict src)
{
    char *d = dst;

    while ((*d++ = *src++) != '\0')
        continue;
    return dst;
}

char *
stpcpy(char *restrict dst, const char *restrict src)
{
    while ((*dst = *src++) != '\0')
        dst++;
    return dst;
}

char *
strncpy(char *restrict dst, const char *restrict src, size_t n)
{
    size_t i;

    for (i = 0; i < n && src[i] != '\0'; i++)
        dst[i] = src[i];
    for (; i < n; i++)
        dst[i] = '\0';
    return dst;
}

char *
stpncpy(char *restrict dst, const char *restrict src, size_t n)
{
    size_t i;
    char *end;

    for (i = 0; i < n && src[i] != '\0'; i++)
        dst[i] = src[i];
    end = dst + i;
    for (; i < n; i++)
        dst[i] = '\0';
    return end;
}

char *
strcat(char *restrict dst, const char *restrict src)
{
    strcpy(dst + strlen(dst), src);
    return dst;
}

char *
strncat(char *restrict dst, const char *restrict src, size_t n)
{
    char *d = dst + strlen(dst);

    while (n-- > 0 && *src != '\0')
        *d++ = *src++;
    *d = '\0';
    return dst;
}

/* strlcpy/strlcat: copy at most size-1 bytes, always terminate, return the length
 * the result would have had (so truncation is detectable). */
size_t
strlcpy(char *restrict dst, const char *restrict src, size_t size)
{
    size_t len = strlen(src);

    if (size > 0) {
        size_t n = len < size - 1 ? len : size - 1;
        memcpy(dst, src, n);
        dst[n] = '\0';
    }
    return len;
}

size_t
strlcat(char *restrict dst, const char *restrict src, size_t size)
{
    size_t dlen = strnlen(dst, size);

    if (dlen == size)
        return size + strlen(src);
    return dlen + strlcpy(dst + dlen, src, size - dlen);
}

int
strcmp(const char *a, const char *b)
{
    while (*a != '\0' && *a == *b) {
        a++;
        b++;
    }
    return (unsigned char)*a - (unsigned char)*b;
}

int
strncmp(const char *a, const char *b, size_t n)
{
    for (; n > 0; n--, a++, b++) {
        if (*a != *b)
            return (unsigned char)*a - (unsigned char)*b;
        if (*a == '\0')
            return 0;
    }
    return 0;
}

/* The C locale collates by byte value. */
int
strcoll(const char *a, const char *b)
{
    return strcmp(a, b);
}

size_t
strxfrm(char *restrict dst, const char *restrict src, size_t n)
{
    return strlcpy(dst, src, n);
}

static int
lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

int
strcasecmp(const char *a, const char *b)
{
    while (*a != '\0' && lower((unsigned char)*a) == lower((unsigned char)*b)) {
        a++;
        b++;
    }
    return lower((unsigned char)*a) - lower((unsigned char)*b);
}

int
strncasecmp(const char *a, const char *b, size_t n)
{
    for (; n > 0; n--, a++, b++) {
        int ca = lower((unsigned char)*a), cb = lower((unsigned char)*b);
        if (ca != cb)
            return ca - cb;
        if (ca == '\0')
            return 0;
    }
    return 0;
}

char *
strchr(const char *s, int c)
{
    for (;; s++) {
        if (*s == (char)c)
            return (char *)(uintptr_t)s;
        if (*s == '\0')
            return NULL;
    }
}

char *
strchrnul(const char *s, int c)
{
    while (*s != '\0' && *s != (char)c)
        s++;
    return (char *)(uintptr_t)s;
}

char *
strrchr(const char *s, int c)
{
    const char *found = NULL;

    for (;; s++) {
        if (*s == (char)c)
            found = s;
        if (*s == '\0')
            return (char *)(uintptr_t)found;
    }
}

char *
index(const char *s, int c)
{
    return strchr(s, c);
}

char *
rindex(const char *s, int c)
{
    return strrchr(s, c);
}

char *
strstr(const char *hay, const char *needle)
{
    size_t n = strlen(needle);

    if (n == 0)
        return (char *)(uintptr_t)hay;
    for (; *hay != '\0'; hay++)
        if (*hay == *needle && strncmp(hay, needle, n) == 0)
            return (char *)(uintptr_t)hay;
    return NULL;
}

char *
strcasestr(const char *hay, const char *needle)
{
    size_t n = strlen(needle);

    if (n == 0)
        return (char *)(uintptr_t)hay;
    for (; *hay != '\0'; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return (char *)(uintptr_t)hay;
    return NULL;
}

size_t
strspn(const char *s, const char *accept)
{
    size_t n = 0;

    while (s[n] != '\0' && strchr(accept, s[n]) != NULL)
        n++;
    return n;
}

size_t
strcspn(const char *s, const char *reject)
{
    size_t n = 0;

    while (s[n] != '\0' && strchr(reject, s[n]) == NULL)
        n++;
    return n;
}

char *
strpbrk(const char *s, const char *accept)
{
    s += strcspn(s, accept);
    return *s != '\0' ? (char *)(uintptr_t)s : NULL;
}

char *
strsep(char **sp, const char *delim)
{
    char *start = *sp, *p;

    if (start == NULL)
        return NULL;
    p = start + strcspn(start, delim);
    if (*p != '\0') {
        *p = '\0';
        *sp = p + 1;
    } else {
        *sp = NULL;
    }
    return start;
}

char *
strtok_r(char *restrict s, const char *restrict delim, char **restrict last)
{
    char *end;

    if (s == NULL)
        s = *last;
    if (s == NULL)
        return NULL;
    s += strspn(s, delim);
    if (*s == '\0') {
        *last = NULL;
        return NULL;
    }
    end = s + strcspn(s, delim);
    if (*end != '\0')
        *end++ = '\0';
    else
        end = NULL;
    *last = end;
    return s;
}

char *
strtok(char *restrict s, const char *restrict delim)
{
    static char *last;

    return strtok_r(s, delim, &last);
}

char *
strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);

    if (p != NULL)
        memcpy(p, s, n);
    return p;
}

char *
strndup(const char *s, size_t max)
{
    size_t n = strnlen(s, max);
    char *p = malloc(n + 1);

    if (p != NULL) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

void
bzero(void *p, size_t n)
{
    memset(p, 0, n);
}

void
bcopy(const void *src, void *dst, size_t n)
{
    memmove(dst, src, n);
}

int
bcmp(const void *a, const void *b, size_t n)
{
    return memcmp(a, b, n) != 0;
}

int
ffs(int v)
{
    int i;

    if (v == 0)
        return 0;
    for (i = 1; (v & 1) == 0; i++)
        v = (int)((unsigned int)v >> 1);
    return i;
}
