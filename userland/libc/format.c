/*
 * kw86 libc: the printf engine shared by printf, fprintf, sprintf, snprintf,
 * dprintf, asprintf and err/warn.
 *
 * __kw86_vformat walks the format and hands the output to an out() callback in
 * pieces, so each caller decides where bytes go (a FILE buffer, a bounded string)
 * and nothing is ever written past a buffer here.  Supported: flags - + space # 0;
 * width and precision, either may be *; length modifiers hh h l ll q j z t L;
 * conversions d i u o x X c s p n % and, in soft float (kw86 has no x87 yet), f F e E
 * g G.  It returns the number of bytes produced, or -1 if out() failed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <limits.h>
#include <errno.h>

#include "libc_private.h"

#define F_MINUS  0x01
#define F_PLUS   0x02
#define F_SPACE  0x04
#define F_HASH   0x08
#define F_ZERO   0x10

struct sink {
    __kw86_out_fn out;
    void *arg;
    long long count;   /* bytes produced so far (may exceed INT_MAX: then EOVERFLOW) */
    int failed;
};

static void
emit(struct sink *s, const char *p, size_t n)
{
    if (n == 0 || s->failed)
        return;
    if (s->out(s->arg, p, n) < 0)
        s->failed = 1;
    s->count += (long long)n;
}

static void
pad(struct sink *s, char c, int n)
{
    static const char spaces[16] = "                ";
    static const char zeros[16] = "0000000000000000";
    const char *src = c == '0' ? zeros : spaces;

    while (n > 0) {
        int k = n > 16 ? 16 : n;
        emit(s, src, (size_t)k);
        n -= k;
    }
}

/* Digits of v in base, written backwards ending at end; returns the first digit. */
static char *
utoa(uintmax_t v, unsigned base, int upper, char *end)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char *p = end;

    /* 32-bit division when the value fits: cheaper than compiler-rt's __udivdi3. */
    while (v > 0xffffffffULL) {
        *--p = digits[v % base];
        v /= base;
    }
    {
        uint32_t w = (uint32_t)v;
        while (w != 0) {
            *--p = digits[w % base];
            w /= base;
        }
    }
    return p;
}

/* Emit body (len bytes) with a prefix (sign, 0x) and padding as width/flags ask.
 * zeros: extra leading zeros (from the precision) between prefix and body. */
static void
emit_field(struct sink *s, int flags, int width, const char *prefix, int plen,
           int zeros, const char *body, int len)
{
    int total = plen + zeros + len;
    int fill = width > total ? width - total : 0;

    if (!(flags & F_MINUS) && !(flags & F_ZERO))
        pad(s, ' ', fill);
    emit(s, prefix, (size_t)plen);
    if (!(flags & F_MINUS) && (flags & F_ZERO))
        pad(s, '0', fill);
    pad(s, '0', zeros);
    emit(s, body, (size_t)len);
    if (flags & F_MINUS)
        pad(s, ' ', fill);
}

static void
format_int(struct sink *s, int flags, int width, int prec, char conv,
           uintmax_t uv, int negative)
{
    char buf[sizeof(uintmax_t) * 3 + 2];
    char *end = buf + sizeof(buf), *p;
    char prefix[3];
    int plen = 0, len, zeros = 0;
    unsigned base = (conv == 'o') ? 8 : (conv == 'x' || conv == 'X' || conv == 'p') ? 16 : 10;

    p = utoa(uv, base, conv == 'X', end);
    len = (int)(end - p);
    if (prec >= 0)
        flags &= ~F_ZERO;              /* a precision overrides the 0 flag */
    else
        prec = 1;
    if (len < prec)
        zeros = prec - len;
    if (conv == 'o' && (flags & F_HASH) && zeros == 0 && (len == 0 || *p != '0'))
        zeros = 1;                     /* # with o: the first digit is a 0 */
    if (conv == 'd' || conv == 'i') {
        if (negative)
            prefix[plen++] = '-';
        else if (flags & F_PLUS)
            prefix[plen++] = '+';
        else if (flags & F_SPACE)
            prefix[plen++] = ' ';
    } else if (((conv == 'x' || conv == 'X') && (flags & F_HASH) && uv != 0) || conv == 'p') {
        prefix[plen++] = '0';
        prefix[plen++] = conv == 'X' ? 'X' : 'x';
    }
    emit_field(s, flags, width, prefix, plen, zeros, p, len);
}

/*
 * Floating point (soft float: kw86 has no x87 yet).  The value is reduced to 18
 * significant decimal digits dig[0..17] with dig[0] weighing 10^e10; the styles round
 * those digits where they need and lay them out.  Exact to 17 significant digits,
 * which is all a double holds.
 */
union dbits {
    double d;
    uint64_t u;
};

#define NDIG 18

static void
decompose(double v, char dig[NDIG], int *e10)
{
    int e = 0, i;
    uint64_t m;

    if (v == 0.0) {
        memset(dig, '0', NDIG);
        *e10 = 0;
        return;
    }
    /* Bring v into [1e17, 1e18): big steps first to keep the error small. */
    while (v >= 1e34) { v /= 1e16; e += 16; }
    while (v >= 1e18) { v /= 10.0; e++; }
    while (v < 1e1)   { v *= 1e16; e -= 16; }
    while (v < 1e17)  { v *= 10.0; e--; }
    /* v + 0.5 truncated to 64 bits, in two 32-bit halves: clang cannot convert a
     * soft-float double to a 64-bit integer on i386 (a backend limitation). */
    {
        double r = v + 0.5;
        uint32_t hi = (uint32_t)(r / 4294967296.0);
        double low = r - (double)hi * 4294967296.0;
        if (low < 0.0) {
            hi--;
            low += 4294967296.0;
        } else if (low >= 4294967296.0) {
            hi++;
            low -= 4294967296.0;
        }
        m = ((uint64_t)hi << 32) | (uint32_t)low;
    }
    if (m >= 1000000000000000000ULL) {
        m /= 10;
        e++;
    }
    for (i = NDIG - 1; i >= 0; i--) {
        dig[i] = (char)('0' + (int)(m % 10));
        m /= 10;
    }
    *e10 = e + NDIG - 1;
}

/* Keep n significant digits, rounding on dig[n] to nearest, ties to even (as C's
 * printf rounds the exact binary value: 0.5 -> "0", 1.5 -> "2"); a carry out of the
 * first digit makes the value 10^(e10+1).  Returns the number of digits that matter. */
static int
round_digits(char dig[NDIG], int n, int *e10)
{
    int i, tie;

    if (n >= NDIG)
        return NDIG;
    if (n < 0)
        return 0;
    tie = dig[n] == '5';
    for (i = n + 1; tie && i < NDIG; i++)
        if (dig[i] != '0')
            tie = 0;
    if (dig[n] < '5' || (tie && (n == 0 || ((dig[n - 1] - '0') & 1) == 0))) {
        for (i = n; i < NDIG; i++)
            dig[i] = '0';
        return n;
    }
    for (i = n; i < NDIG; i++)
        dig[i] = '0';
    for (i = n - 1; i >= 0 && dig[i] == '9'; i--)
        dig[i] = '0';
    if (i >= 0) {
        dig[i]++;
        return n;
    }
    dig[0] = '1';
    (*e10)++;
    return n == 0 ? 1 : n;
}

static void
format_float(struct sink *s, int flags, int width, int prec, char conv, double v)
{
    char body[420];      /* %f of the largest double: 309 integer digits + 100 decimals */
    char prefix[1];
    char dig[NDIG];
    int plen = 0, len = 0, i, e10, ndig, strip = 0;
    int upper = (conv == 'F' || conv == 'E' || conv == 'G');
    char style = (char)(conv | 0x20);   /* f, e or g */
    union dbits b;

    b.d = v;
    if (b.u >> 63)
        prefix[plen++] = '-';
    else if (flags & F_PLUS)
        prefix[plen++] = '+';
    else if (flags & F_SPACE)
        prefix[plen++] = ' ';
    b.u &= ~(1ULL << 63);
    if ((b.u >> 52) == 0x7ff) {            /* inf or nan: never zero-padded */
        const char *t = (b.u & 0xfffffffffffffULL) ? (upper ? "NAN" : "nan")
                                                    : (upper ? "INF" : "inf");
        emit_field(s, flags & ~F_ZERO, width, prefix, plen, 0, t, 3);
        return;
    }
    v = b.d;
    if (prec < 0)
        prec = 6;
    if (prec > 100)
        prec = 100;
    decompose(v, dig, &e10);

    if (style == 'g') {
        /* %g: P significant digits; %e style if the exponent X (after rounding) is
         * < -4 or >= P, else %f with P-1-X decimals; trailing zeros go unless #. */
        int P = prec == 0 ? 1 : prec, X = e10;
        char tmp[NDIG];
        memcpy(tmp, dig, NDIG);
        round_digits(tmp, P, &X);
        if (v == 0.0)
            X = 0;
        if (X < -4 || X >= P) {
            style = 'e';
            prec = P - 1;
        } else {
            style = 'f';
            prec = P - 1 - X;
        }
        strip = !(flags & F_HASH);
    }

    if (style == 'e') {
        int x;
        ndig = v == 0.0 ? 0 : round_digits(dig, prec + 1, &e10);
        x = v == 0.0 ? 0 : e10;
        body[len++] = ndig > 0 ? dig[0] : '0';
        if (prec > 0 || (flags & F_HASH))
            body[len++] = '.';
        for (i = 1; i <= prec; i++)
            body[len++] = i < ndig ? dig[i] : '0';
        if (strip && prec > 0) {
            while (body[len - 1] == '0')
                len--;
            if (body[len - 1] == '.')
                len--;
        }
        body[len++] = upper ? 'E' : 'e';
        body[len++] = x < 0 ? '-' : '+';
        if (x < 0)
            x = -x;
        if (x >= 100)
            body[len++] = (char)('0' + x / 100);
        body[len++] = (char)('0' + (x / 10) % 10);
        body[len++] = (char)('0' + x % 10);
    } else {
        int point_at, k;
        /* Digits down to weight 10^-prec: e10 + 1 + prec of them. */
        ndig = v == 0.0 ? 0 : round_digits(dig, e10 + 1 + prec, &e10);
        if (ndig == 0)
            e10 = 0;
        point_at = e10 + 1;                /* digits left of the point */
        if (point_at <= 0 || ndig == 0) {
            body[len++] = '0';
        } else {
            for (k = 0; k < point_at; k++)
                body[len++] = k < ndig ? dig[k] : '0';
        }
        if (prec > 0 || (flags & F_HASH))
            body[len++] = '.';
        for (i = 0; i < prec; i++) {
            k = point_at + i;
            body[len++] = (ndig > 0 && k >= 0 && k < ndig) ? dig[k] : '0';
        }
        if (strip && prec > 0) {
            while (body[len - 1] == '0')
                len--;
            if (body[len - 1] == '.')
                len--;
        }
    }
    emit_field(s, flags, width, prefix, plen, 0, body, len);
}

int
__kw86_vformat(__kw86_out_fn out, void *arg, const char *fmt, va_list ap)
{
    struct sink s = { out, arg, 0, 0 };
    const char *p = fmt;

    while (*p != '\0') {
        const char *start = p;
        int flags = 0, width = 0, prec = -1;
        char len = 0;      /* 0, 'H' hh, 'h', 'l', 'L' ll, 'j', 'z', 't', 'D' long double */
        char conv;

        while (*p != '\0' && *p != '%')
            p++;
        emit(&s, start, (size_t)(p - start));
        if (*p == '\0')
            break;
        start = p++;       /* at '%' */

        for (;; p++) {
            if (*p == '-') flags |= F_MINUS;
            else if (*p == '+') flags |= F_PLUS;
            else if (*p == ' ') flags |= F_SPACE;
            else if (*p == '#') flags |= F_HASH;
            else if (*p == '0') flags |= F_ZERO;
            else break;
        }
        if (*p == '*') {
            width = va_arg(ap, int);
            if (width < 0) {           /* a negative * width means - flag */
                flags |= F_MINUS;
                width = width == INT_MIN ? INT_MAX : -width;
            }
            p++;
        } else {
            while (*p >= '0' && *p <= '9') {
                if (width < INT_MAX / 10)
                    width = width * 10 + (*p - '0');
                p++;
            }
        }
        if (*p == '.') {
            p++;
            prec = 0;
            if (*p == '*') {
                prec = va_arg(ap, int);
                if (prec < 0)
                    prec = -1;         /* as if omitted */
                p++;
            } else {
                while (*p >= '0' && *p <= '9') {
                    if (prec < INT_MAX / 10)
                        prec = prec * 10 + (*p - '0');
                    p++;
                }
            }
        }
        if (flags & F_MINUS)
            flags &= ~F_ZERO;
        if (flags & F_PLUS)
            flags &= ~F_SPACE;

        switch (*p) {
        case 'h':
            p++;
            if (*p == 'h') { len = 'H'; p++; } else len = 'h';
            break;
        case 'l':
            p++;
            if (*p == 'l') { len = 'L'; p++; } else len = 'l';
            break;
        case 'q': len = 'L'; p++; break;
        case 'j': len = 'j'; p++; break;
        case 'z': len = 'z'; p++; break;
        case 't': len = 't'; p++; break;
        case 'L': len = 'D'; p++; break;
        default: break;
        }

        conv = *p;
        if (conv == '\0') {            /* a lone % at the end: print it as is */
            emit(&s, start, (size_t)(p - start));
            break;
        }
        p++;
        switch (conv) {
        case 'd':
        case 'i': {
            intmax_t v;
            switch (len) {
            case 'H': v = (signed char)va_arg(ap, int); break;
            case 'h': v = (short)va_arg(ap, int); break;
            case 'l': v = va_arg(ap, long); break;
            case 'L': v = va_arg(ap, long long); break;
            case 'j': v = va_arg(ap, intmax_t); break;
            case 'z': v = va_arg(ap, ssize_t); break;
            case 't': v = va_arg(ap, ptrdiff_t); break;
            default:  v = va_arg(ap, int); break;
            }
            format_int(&s, flags, width, prec, conv,
                       v < 0 ? -(uintmax_t)v : (uintmax_t)v, v < 0);
            break;
        }
        case 'u':
        case 'o':
        case 'x':
        case 'X': {
            uintmax_t v;
            switch (len) {
            case 'H': v = (unsigned char)va_arg(ap, unsigned int); break;
            case 'h': v = (unsigned short)va_arg(ap, unsigned int); break;
            case 'l': v = va_arg(ap, unsigned long); break;
            case 'L': v = va_arg(ap, unsigned long long); break;
            case 'j': v = va_arg(ap, uintmax_t); break;
            case 'z': v = va_arg(ap, size_t); break;
            case 't': v = (uintmax_t)(size_t)va_arg(ap, ptrdiff_t); break;
            default:  v = va_arg(ap, unsigned int); break;
            }
            format_int(&s, flags, width, prec, conv, v, 0);
            break;
        }
        case 'p':
            format_int(&s, flags & ~F_ZERO, width, prec, 'p',
                       (uintptr_t)va_arg(ap, void *), 0);
            break;
        case 'c': {
            char c = (char)va_arg(ap, int);
            emit_field(&s, flags & ~F_ZERO, width, "", 0, 0, &c, 1);
            break;
        }
        case 's': {
            const char *str = va_arg(ap, const char *);
            size_t n;
            if (str == NULL)
                str = "(null)";
            n = prec >= 0 ? strnlen(str, (size_t)prec) : strlen(str);
            if (n > INT_MAX)
                n = INT_MAX;
            emit_field(&s, flags & ~F_ZERO, width, "", 0, 0, str, (int)n);
            break;
        }
        case 'f': case 'F': case 'e': case 'E': case 'g': case 'G': {
            /* No long double: the soft-float build cannot pass one (%Lf is %f). */
            double v = va_arg(ap, double);
            format_float(&s, flags, width, prec, conv, v);
            break;
        }
        case 'n': {
            void *ptr = va_arg(ap, void *);
            switch (len) {
            case 'H': *(signed char *)ptr = (signed char)s.count; break;
            case 'h': *(short *)ptr = (short)s.count; break;
            case 'l': *(long *)ptr = (long)s.count; break;
            case 'L': *(long long *)ptr = s.count; break;
            case 'j': *(intmax_t *)ptr = s.count; break;
            case 'z': *(ssize_t *)ptr = (ssize_t)s.count; break;
            case 't': *(ptrdiff_t *)ptr = (ptrdiff_t)s.count; break;
            default:  *(int *)ptr = (int)s.count; break;
            }
            break;
        }
        case '%':
            emit(&s, "%", 1);
            break;
        default:
            /* Unknown conversion: print the directive unchanged, so it is visible. */
            emit(&s, start, (size_t)(p - start));
            break;
        }
    }
    if (s.failed)
        return -1;
    if (s.count > INT_MAX) {
        errno = EOVERFLOW;
        return -1;
    }
    return (int)s.count;
}
