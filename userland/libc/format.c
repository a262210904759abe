/*
 * kw86 libc: the printf engine shared by printf, fprintf, sprintf, snprintf,
 * dprintf, asprintf and err/warn.
 *
 * __kw86_vformat walks the format and hands the output to an out() callback in
 * pieces, so each caller decides where bytes go (a FILE buffer, a bounded string)
 * and nothing is ever written past a buffer here.  Supported: flags - + space # 0;
 * width and precision, either may be *; length modifiers hh h l ll q j z t L;
 * conversions d i u o x X c s p n % and the floating-point f F e E g G a A (exact
 * decimal conversion with integer arithmetic, below).  It returns the number of bytes produced, or -1 if out() failed.
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

/*
 * Output is gathered in the sink's own buffer and handed to out() when it fills
 * and at the end, so a printf makes one out() call (one stream write) instead of
 * one per piece; a piece larger than the buffer goes to out() directly.
 */
#define SINKBUF 256

struct sink {
    __kw86_out_fn out;
    void *arg;
    long long count;   /* bytes produced so far (may exceed INT_MAX: then EOVERFLOW) */
    int failed;
    unsigned len;      /* bytes waiting in buf */
    char buf[SINKBUF];
};

static void
sink_flush(struct sink *s)
{
    if (s->len != 0 && !s->failed && s->out(s->arg, s->buf, s->len) < 0)
        s->failed = 1;
    s->len = 0;
}

static void
emit(struct sink *s, const char *p, size_t n)
{
    char *w;

    if (n == 0)
        return;
    s->count += (long long)n;
    if (s->failed)
        return;
    if (n > SINKBUF - s->len) {
        sink_flush(s);
        if (n >= SINKBUF) {
            if (!s->failed && s->out(s->arg, p, n) < 0)
                s->failed = 1;
            return;
        }
    }
    w = s->buf + s->len;
    s->len += (unsigned)n;
    if (n <= 16) {
        while (n-- > 0)
            *w++ = *p++;
    } else {
        memcpy(w, p, n);
    }
}

static void
pad(struct sink *s, char c, int n)
{
    if (n <= 0)
        return;
    if (!s->failed && (unsigned)n <= SINKBUF - s->len) {
        char *w = s->buf + s->len;
        s->len += (unsigned)n;
        s->count += n;
        while (n-- > 0)
            *w++ = c;
        return;
    }
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

    if (!s->failed && total >= 0 && (unsigned)(total + fill) <= SINKBUF - s->len) {
        /* the whole field fits in the sink's buffer: written in place */
        char *w = s->buf + s->len;
        int i;

        s->len += (unsigned)(total + fill);
        s->count += total + fill;
        if (!(flags & (F_MINUS | F_ZERO)))
            for (i = 0; i < fill; i++)
                *w++ = ' ';
        for (i = 0; i < plen; i++)
            *w++ = prefix[i];
        if ((flags & (F_MINUS | F_ZERO)) == F_ZERO)
            for (i = 0; i < fill; i++)
                *w++ = '0';
        for (i = 0; i < zeros; i++)
            *w++ = '0';
        if (len > 16) {
            memcpy(w, body, (size_t)len);
            w += len;
        } else {
            for (i = 0; i < len; i++)
                *w++ = body[i];
        }
        if (flags & F_MINUS)
            for (i = 0; i < fill; i++)
                *w++ = ' ';
        return;
    }
    if (fill > 0 && !(flags & (F_MINUS | F_ZERO)))
        pad(s, ' ', fill);
    if (plen > 0)
        emit(s, prefix, (size_t)plen);
    if (fill > 0 && (flags & (F_MINUS | F_ZERO)) == F_ZERO)
        pad(s, '0', fill);
    if (zeros > 0)
        pad(s, '0', zeros);
    emit(s, body, (size_t)len);
    if (fill > 0 && (flags & F_MINUS))
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
 * Floating point, printed exactly, with integer arithmetic only (independent of the
 * x87's precision and rounding control; no FPU instruction).
 *
 * A double is m * 2^e with a 53-bit integer m.  Its decimal expansion is finite and
 * is computed here with integer arithmetic on a fixed-size big number: the integer
 * part by repeated division by 10^9, the fraction digit by digit by multiplying by
 * 10.  Rounding at the cut then sees the exact rest, so results match a correct C
 * library digit for digit, ties going to even as with the default rounding mode.
 */
#define BIGW   36                  /* 1152 bits: 2^1024 and 10 * 2^1074 both fit */
#define MAXDIG 1200                /* 309 integer digits + 1074 fraction digits max */

struct big {
    uint32_t w[BIGW];              /* little-endian 32-bit words */
};

static int
big_is_zero(const struct big *b)
{
    int i;

    for (i = 0; i < BIGW; i++)
        if (b->w[i] != 0)
            return 0;
    return 1;
}

/* b = m << shift */
static void
big_set(struct big *b, uint64_t m, int shift)
{
    int word = shift / 32, bit = shift % 32, i;
    uint32_t parts[3];

    memset(b, 0, sizeof(*b));
    parts[0] = (uint32_t)(m << bit);
    parts[1] = bit ? (uint32_t)(m >> (32 - bit)) : (uint32_t)(m >> 32);
    parts[2] = bit ? (uint32_t)(m >> (64 - bit)) : 0;
    for (i = 0; i < 3; i++)
        if (word + i < BIGW)
            b->w[word + i] = parts[i];
}

/* b /= d, returning the remainder. */
static uint32_t
big_div_small(struct big *b, uint32_t d)
{
    uint64_t rem = 0;
    int i;

    for (i = BIGW - 1; i >= 0; i--) {
        uint64_t cur = (rem << 32) | b->w[i];
        b->w[i] = (uint32_t)(cur / d);
        rem = cur % d;
    }
    return (uint32_t)rem;
}

/* The fraction f / 2^k times 10: return the new integer digit (the bits from k up)
 * and keep the fraction below bit k. */
static int
big_next_digit(struct big *f, int k)
{
    uint64_t carry = 0;
    int i, word = k / 32, bit = k % 32, digit;

    for (i = 0; i < BIGW; i++) {
        uint64_t cur = (uint64_t)f->w[i] * 10 + carry;
        f->w[i] = (uint32_t)cur;
        carry = cur >> 32;
    }
    digit = (int)(f->w[word] >> bit);
    if (bit != 0 && word + 1 < BIGW)
        digit |= (int)(f->w[word + 1] << (32 - bit));
    f->w[word] &= bit ? ((1u << bit) - 1) : 0;
    if (word + 1 < BIGW)
        f->w[word + 1] = 0;
    return digit;
}

/* The decimal digits of a finite, non-negative double: integer digits first, then
 * fraction digits generated on demand. */
struct decimal {
    char dig[MAXDIG + 2];
    int len;          /* digits in dig */
    int intdigits;    /* how many of them are left of the point */
    struct big frac;  /* the fraction not yet turned into digits: frac / 2^k */
    int k;
};

static void
decimal_init(struct decimal *d, uint64_t bits)
{
    int bexp = (int)((bits >> 52) & 0x7ff);
    uint64_t m = bits & 0xfffffffffffffULL;
    int e;

    if (bexp == 0) {
        e = -1074;                            /* subnormal */
    } else {
        m |= 1ULL << 52;
        e = bexp - 1075;
    }
    d->len = 0;
    d->intdigits = 0;
    d->k = 0;
    memset(&d->frac, 0, sizeof(d->frac));
    if (e >= 0) {                             /* an integer: m << e */
        struct big ip;
        uint32_t chunks[40];
        int n = 0, i, j;
        big_set(&ip, m, e);
        while (!big_is_zero(&ip))
            chunks[n++] = big_div_small(&ip, 1000000000u);
        for (i = n - 1; i >= 0; i--) {
            char tmp[9];
            uint32_t c = chunks[i];
            for (j = 8; j >= 0; j--) {
                tmp[j] = (char)('0' + c % 10);
                c /= 10;
            }
            for (j = 0; j < 9; j++)
                if (d->len > 0 || tmp[j] != '0')
                    d->dig[d->len++] = tmp[j];
        }
        d->intdigits = d->len;
        return;
    }
    /* m / 2^-e: integer part m >> -e (at most 53 bits), fraction below bit -e */
    d->k = -e;
    if (d->k < 64) {
        uint64_t ip = m >> d->k;
        char tmp[24];
        int n = 0;
        while (ip != 0) {
            tmp[n++] = (char)('0' + (int)(ip % 10));
            ip /= 10;
        }
        while (n > 0)
            d->dig[d->len++] = tmp[--n];
        m &= (1ULL << d->k) - 1;
    }
    d->intdigits = d->len;
    big_set(&d->frac, m, 0);
}

/* Make sure dig[0..n) exists (fraction digits are exact; zeros once frac is 0). */
static void
decimal_need(struct decimal *d, int n)
{
    if (n > MAXDIG)
        n = MAXDIG;
    while (d->len < n)
        d->dig[d->len++] = (char)('0' + (d->k ? big_next_digit(&d->frac, d->k) : 0));
}

/* Round so that only dig[0..cut) remain (cut >= 0), to nearest, ties to even.  A
 * carry out of dig[0] prepends a '1' (one more integer digit).  Returns the new cut. */
static int
decimal_round(struct decimal *d, int cut)
{
    int up, i, rest = 0;

    if (cut > MAXDIG)
        cut = MAXDIG;
    decimal_need(d, cut + 1);
    for (i = cut + 1; i < d->len; i++)
        if (d->dig[i] != '0')
            rest = 1;
    if (d->k && !big_is_zero(&d->frac))
        rest = 1;
    if (d->dig[cut] > '5' || (d->dig[cut] == '5' && rest))
        up = 1;
    else if (d->dig[cut] == '5')          /* exactly half: to even */
        up = cut > 0 && ((d->dig[cut - 1] - '0') & 1);
    else
        up = 0;
    d->len = cut;
    memset(&d->frac, 0, sizeof(d->frac)); /* everything after the cut is now zero */
    for (i = cut - 1; up && i >= 0; i--) {
        if (d->dig[i] == '9') {
            d->dig[i] = '0';
        } else {
            d->dig[i]++;
            up = 0;
        }
    }
    if (up) {
        memmove(d->dig + 1, d->dig, (size_t)d->len);
        d->dig[0] = '1';
        d->len++;
        d->intdigits++;
        cut++;
    }
    return cut;
}

/* Index of the first non-zero digit (generating as needed), or -1 for zero. */
static int
decimal_first(struct decimal *d)
{
    int i;

    for (i = 0; i < MAXDIG; i++) {
        decimal_need(d, i + 1);
        if (i >= d->len)
            return -1;
        if (d->dig[i] != '0')
            return i;
        if (i >= d->intdigits && d->k && big_is_zero(&d->frac)) {
            /* only zeros follow */
            int j;
            for (j = i + 1; j < d->len; j++)
                if (d->dig[j] != '0')
                    return j;
            return -1;
        }
    }
    return -1;
}

static char
decimal_at(struct decimal *d, int i)
{
    if (i < 0)
        return '0';
    decimal_need(d, i + 1);
    return i < d->len ? d->dig[i] : '0';
}

/* Like emit_field, for a number: prefix (sign, 0x), body, tz zeros (a precision
 * beyond the digits a double has), then suffix (the exponent). */
static void
emit_number(struct sink *s, int flags, int width, const char *prefix, int plen,
            const char *body, int len, long long tz, const char *suffix, int slen)
{
    long long total = (long long)plen + len + tz + slen;
    long long fill = width > total ? width - total : 0;

    if (!(flags & F_MINUS) && !(flags & F_ZERO))
        pad(s, ' ', (int)fill);
    emit(s, prefix, (size_t)plen);
    if (!(flags & F_MINUS) && (flags & F_ZERO))
        pad(s, '0', (int)fill);
    emit(s, body, (size_t)len);
    while (tz > 0) {
        int k = tz > 0x40000000 ? 0x40000000 : (int)tz;
        pad(s, '0', k);
        tz -= k;
    }
    emit(s, suffix, (size_t)slen);
    if (flags & F_MINUS)
        pad(s, ' ', (int)fill);
}

/* The exponent suffix: e+05, p-1074 (min digits: 2 for e, 1 for p). */
static int
exp_suffix(char *out, char letter, int x, int mindig)
{
    char tmp[8];
    int n = 0, len = 0;

    out[len++] = letter;
    out[len++] = x < 0 ? '-' : '+';
    if (x < 0)
        x = -x;
    do {
        tmp[n++] = (char)('0' + x % 10);
        x /= 10;
    } while (x != 0);
    while (n < mindig)
        tmp[n++] = '0';
    while (n > 0)
        out[len++] = tmp[--n];
    return len;
}

/* %a: hexadecimal, 0x1.hhhp+e for a normal number; a subnormal as 0x0.hhhp-1022 and
 * zero as 0x0p+0.  With a precision, the 52-bit fraction is rounded to nearest, ties
 * to even (a carry can make the leading digit 2); without, trailing zeros go. */
static void
format_hex(struct sink *s, int flags, int width, int prec, int upper,
           const char *sign, int slen, uint64_t bits)
{
    const char *xd = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    int bexp = (int)((bits >> 52) & 0x7ff), x, len = 0, nd, i;
    uint64_t frac = bits & 0xfffffffffffffULL;
    unsigned lead = bexp != 0;
    char prefix[4], body[24], suffix[12];
    int plen = 0;
    long long tz = 0;

    x = bexp == 0 ? (frac ? -1022 : 0) : bexp - 1023;
    for (i = 0; i < slen; i++)
        prefix[plen++] = sign[i];
    prefix[plen++] = '0';
    prefix[plen++] = upper ? 'X' : 'x';
    if (prec >= 0 && prec < 13) {
        int drop = 4 * (13 - prec);
        uint64_t half = 1ULL << (drop - 1), rest = frac & ((1ULL << drop) - 1);
        frac >>= drop;
        if (rest > half || (rest == half && ((prec > 0 ? frac : lead) & 1)))
            frac++;
        if (frac >> (4 * prec)) {          /* carry into the leading digit */
            lead++;
            frac &= (1ULL << (4 * prec)) - 1;
        }
        nd = prec;
    } else {
        nd = 13;
        if (prec < 0) {
            while (nd > 0 && (frac & 0xf) == 0) {
                frac >>= 4;
                nd--;
            }
        } else {
            tz = (long long)prec - 13;
        }
    }
    body[len++] = xd[lead];
    if (nd > 0 || tz > 0 || (flags & F_HASH))
        body[len++] = '.';
    for (i = nd - 1; i >= 0; i--)
        body[len++] = xd[(frac >> (4 * i)) & 0xf];
    emit_number(s, flags, width, prefix, plen, body, len, tz, suffix,
                exp_suffix(suffix, upper ? 'P' : 'p', x, 1));
}

static void
format_float(struct sink *s, int flags, int width, int prec, char conv, uint64_t bits)
{
    static struct decimal d;               /* 1.3 KB: not on the (small) stack */
    static char body[MAXDIG + 16];
    char prefix[1], suffix[8];
    int plen = 0, len = 0, i, strip = 0, first, x, slen = 0, avail;
    long long tz = 0;
    int upper = (conv == 'F' || conv == 'E' || conv == 'G' || conv == 'A');
    char style = (char)(conv | 0x20);      /* f, e, g or a */

    if (bits >> 63)
        prefix[plen++] = '-';
    else if (flags & F_PLUS)
        prefix[plen++] = '+';
    else if (flags & F_SPACE)
        prefix[plen++] = ' ';
    bits &= ~(1ULL << 63);
    if ((bits >> 52) == 0x7ff) {           /* inf or nan: never zero-padded */
        const char *t = (bits & 0xfffffffffffffULL) ? (upper ? "NAN" : "nan")
                                                     : (upper ? "INF" : "inf");
        emit_field(s, flags & ~F_ZERO, width, prefix, plen, 0, t, 3);
        return;
    }
    if (style == 'a') {
        format_hex(s, flags, width, prec, upper, prefix, plen, bits);
        return;
    }
    if (prec < 0)
        prec = 6;
    decimal_init(&d, bits);
    first = decimal_first(&d);

    if (style == 'g') {
        /* P significant digits; %e style if the exponent X after rounding is < -4 or
         * >= P, else %f with P-1-X decimals; trailing zeros go unless #.  Rounding
         * to P significant digits is the same cut as either style then makes. */
        int P = prec == 0 ? 1 : prec;
        if (first < 0) {
            x = 0;
        } else {
            decimal_round(&d, first + (P > MAXDIG ? MAXDIG : P));
            first = decimal_first(&d);
            x = d.intdigits - 1 - first;
        }
        if (x < -4 || x >= P) {
            style = 'e';
            prec = P - 1;
        } else {
            style = 'f';
            prec = P - 1 - x;
        }
        strip = !(flags & F_HASH);
    }

    /* A double has at most d.k fraction digits (k fraction bits) and the digits of a
     * nonzero one end there: digits asked for past that are zeros, counted in tz. */
    if (style == 'e') {
        if (first < 0) {
            x = 0;
            avail = 0;
        } else {
            avail = d.intdigits + d.k - first - 1;
            if (avail < 0)
                avail = 0;
        }
        if (prec > avail) {
            tz = (long long)prec - avail;
            prec = avail;
        }
        if (first < 0) {
            for (i = 0; i <= prec; i++)
                body[len++] = '0';
        } else {
            decimal_round(&d, first + prec + 1);
            first = decimal_first(&d);
            x = d.intdigits - 1 - first;
            for (i = 0; i <= prec; i++)
                body[len++] = decimal_at(&d, first + i);
        }
        /* insert the point after the first digit */
        if (prec > 0 || tz > 0 || (flags & F_HASH)) {
            memmove(body + 2, body + 1, (size_t)(len - 1));
            body[1] = '.';
            len++;
        }
        if (strip) {
            tz = 0;
            if (memchr(body, '.', (size_t)len) != NULL) {
                while (body[len - 1] == '0')
                    len--;
                if (body[len - 1] == '.')
                    len--;
            }
        }
        slen = exp_suffix(suffix, upper ? 'E' : 'e', x, 2);
    } else {
        if (prec > d.k) {
            tz = (long long)prec - d.k;
            prec = d.k;
        }
        decimal_round(&d, d.intdigits + prec);
        if (d.intdigits == 0) {
            body[len++] = '0';
        } else {
            for (i = 0; i < d.intdigits; i++)
                body[len++] = d.dig[i];
        }
        if (prec > 0 || tz > 0 || (flags & F_HASH))
            body[len++] = '.';
        for (i = 0; i < prec; i++)
            body[len++] = decimal_at(&d, d.intdigits + i);
        if (strip) {
            tz = 0;
            if (memchr(body, '.', (size_t)len) != NULL) {
                while (body[len - 1] == '0')
                    len--;
                if (body[len - 1] == '.')
                    len--;
            }
        }
    }
    emit_number(s, flags, width, prefix, plen, body, len, tz, suffix, slen);
}

/* The bits of a double argument, read without loading it into the FPU (an x87 load
 * and store would quiet a signalling NaN, and printf of integers then stays free of
 * FPU instructions).  On i386 a double and a 64-bit integer take the same 8 bytes of
 * the argument area; elsewhere (the host build of the tests) they may not. */
static uint64_t
double_arg(va_list *ap)
{
#if defined(__i386__)
    return va_arg(*ap, uint64_t);
#else
    double v = va_arg(*ap, double);
    uint64_t u;
    memcpy(&u, &v, sizeof(u));
    return u;
#endif
}

int
__kw86_vformat(__kw86_out_fn out, void *arg, const char *fmt, va_list ap0)
{
    struct sink s;
    const char *p = fmt;
    va_list ap;

    s.out = out;
    s.arg = arg;
    s.count = 0;
    s.failed = 0;
    s.len = 0;
    va_copy(ap, ap0);       /* a local va_list, so &ap is a va_list * on every ABI */

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
        case 'f': case 'F': case 'e': case 'E': case 'g': case 'G': case 'a': case 'A': {
            uint64_t bits;
            if (len == 'D') {
                /* long double (80-bit on i386): printed as the nearest double */
                double v = (double)va_arg(ap, long double);
                memcpy(&bits, &v, sizeof(bits));
            } else {
                bits = double_arg(&ap);
            }
            format_float(&s, flags, width, prec, conv, bits);
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
    va_end(ap);
    sink_flush(&s);
    if (s.failed)
        return -1;
    if (s.count > INT_MAX) {
        errno = EOVERFLOW;
        return -1;
    }
    return (int)s.count;
}
