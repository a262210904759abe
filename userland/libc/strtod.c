/*
 * kw86 libc: strtod and atof, correctly rounded (to nearest, ties to even), with
 * integer arithmetic only, so the result does not depend on the x87's precision
 * control (NetBSD starts processes at 64-bit precision) or on the FPU at all.
 *
 * Decimal: the significant digits form an integer D (at most MAXSIG of them; if
 * more follow and any is non-zero, a final 1 stands for them: no rounding boundary
 * between two doubles has that many digits, so the result is the same), the value
 * is D * 10^E.  With N = D * 10^max(E,0) and M = 10^max(-E,0) as big integers, N is
 * shifted (or M) so that the quotient q = N / M has 65 or 66 bits; q is computed by
 * shift-and-subtract (66 steps) and the remainder only tells whether the value is
 * exact (the sticky bit).  q * 2^-s with the sticky bit is then rounded once, to 53
 * bits or to the subnormal grid.  Hexadecimal: the digits give the bits directly.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAXSIG 800                   /* significant decimal digits kept */
#define BW     140                   /* big words: 4480 bits (10^1130 << 70 fits) */

struct bn {
    int n;                           /* words in use */
    uint32_t w[BW];
};

static void
bn_small(struct bn *b, uint32_t v)
{
    b->n = v != 0;
    b->w[0] = v;
}

static void
bn_muladd(struct bn *b, uint32_t m, uint32_t a)
{
    uint64_t carry = a;
    int i;

    for (i = 0; i < b->n; i++) {
        uint64_t t = (uint64_t)b->w[i] * m + carry;
        b->w[i] = (uint32_t)t;
        carry = t >> 32;
    }
    if (carry != 0 && b->n < BW)
        b->w[b->n++] = (uint32_t)carry;
}

/* b *= 10^e */
static void
bn_pow10(struct bn *b, int e)
{
    while (e >= 9) {
        bn_muladd(b, 1000000000u, 0);
        e -= 9;
    }
    if (e > 0) {
        static const uint32_t p10[9] = { 1, 10, 100, 1000, 10000, 100000, 1000000,
                                         10000000, 100000000 };
        bn_muladd(b, p10[e], 0);
    }
}

static int
bn_bits(const struct bn *b)
{
    uint32_t top;
    int bits;

    if (b->n == 0)
        return 0;
    top = b->w[b->n - 1];
    bits = 32 * (b->n - 1);
    while (top != 0) {
        bits++;
        top >>= 1;
    }
    return bits;
}

static void
bn_shl(struct bn *b, int sh)
{
    int ws = sh / 32, bs = sh % 32, i;

    if (b->n == 0 || sh == 0)
        return;
    if (b->n + ws + 1 > BW)           /* cannot happen within the limits below */
        return;
    b->w[b->n + ws] = 0;
    for (i = b->n - 1; i >= 0; i--) {
        uint32_t v = b->w[i];
        if (bs) {
            b->w[i + ws + 1] |= v >> (32 - bs);
            b->w[i + ws] = v << bs;
        } else {
            b->w[i + ws] = v;
        }
    }
    for (i = 0; i < ws; i++)
        b->w[i] = 0;
    b->n += ws + 1;
    while (b->n > 0 && b->w[b->n - 1] == 0)
        b->n--;
}

static void
bn_shr1(struct bn *b)
{
    int i;

    for (i = 0; i < b->n; i++) {
        b->w[i] >>= 1;
        if (i + 1 < b->n)
            b->w[i] |= b->w[i + 1] << 31;
    }
    while (b->n > 0 && b->w[b->n - 1] == 0)
        b->n--;
}

static int
bn_cmp(const struct bn *a, const struct bn *b)
{
    int i;

    if (a->n != b->n)
        return a->n < b->n ? -1 : 1;
    for (i = a->n - 1; i >= 0; i--)
        if (a->w[i] != b->w[i])
            return a->w[i] < b->w[i] ? -1 : 1;
    return 0;
}

/* a -= b (a >= b) */
static void
bn_sub(struct bn *a, const struct bn *b)
{
    int64_t borrow = 0;
    int i;

    for (i = 0; i < a->n; i++) {
        int64_t t = (int64_t)a->w[i] - (i < b->n ? b->w[i] : 0) - borrow;
        borrow = t < 0;
        a->w[i] = (uint32_t)t;
    }
    while (a->n > 0 && a->w[a->n - 1] == 0)
        a->n--;
}

/* Round q * 2^e2 (q != 0; sticky: non-zero bits below q) to a double's bits,
 * setting *range on overflow or on an inexact subnormal/zero result. */
static uint64_t
round_bits(uint64_t q, int e2, int sticky, int *range)
{
    int top = 63, shift, tiny;
    uint64_t m, rest, half;

    while (!(q >> top))
        top--;
    /* value = q * 2^e2, leading bit at 2^(top + e2) */
    shift = top - 52;                         /* bits of q below the 53-bit significand */
    tiny = top + e2 < -1022;                  /* below DBL_MIN before rounding */
    if (tiny)                                 /* subnormal: the grid is 2^-1074 */
        shift = -1074 - e2;
    if (shift > 0) {
        if (shift > 64) {                     /* below half the smallest subnormal */
            *range = 1;
            return 0;
        }
        m = shift == 64 ? 0 : q >> shift;
        rest = shift == 64 ? q : q & ((1ULL << shift) - 1);
        half = 1ULL << (shift - 1);
        if (rest > half || (rest == half && (sticky || (m & 1))))
            m++;
        sticky |= rest != 0;
        e2 += shift;
    } else {
        m = q << -shift;
        e2 += shift;
    }
    if (m >> 53) {                            /* the round carried: 2^53 */
        m >>= 1;
        e2++;
    }
    /* m * 2^e2, m < 2^53 */
    if (tiny && sticky)                       /* underflow: tiny and inexact */
        *range = 1;
    if (m >> 52) {
        int bexp = e2 + 52 + 1023;
        if (bexp >= 0x7ff) {
            *range = 1;
            return 0x7ff0000000000000ULL;
        }
        return ((uint64_t)bexp << 52) | (m & 0xfffffffffffffULL);
    }
    if (sticky)                               /* subnormal or zero, inexact */
        *range = 1;
    return m;                                 /* e2 == -1074 here */
}

static int
digit16(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int
prefix_ci(const char *s, const char *word)
{
    while (*word)
        if (tolower((unsigned char)*s++) != *word++)
            return 0;
    return 1;
}

/* An exponent "e-12" / "p+3" at s; returns the characters used (0 if none). */
static int
parse_exp(const char *s, char letter, long *exp)
{
    const char *p = s;
    int neg = 0;
    long v = 0;

    if (tolower((unsigned char)*p) != letter)
        return 0;
    p++;
    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    if (!isdigit((unsigned char)*p))
        return 0;
    while (isdigit((unsigned char)*p)) {
        if (v < 100000000)
            v = v * 10 + (*p - '0');
        p++;
    }
    *exp = neg ? -v : v;
    return (int)(p - s);
}

static int
parse_hex(const char *s, const char **endp, int *range, uint64_t *bits)
{
    const char *p = s;
    uint64_t q = 0;
    int sticky = 0, any = 0, seen_point = 0, d;
    long e2 = 0, x = 0;

    for (;; p++) {
        if (*p == '.' && !seen_point) {
            seen_point = 1;
            continue;
        }
        d = digit16((unsigned char)*p);
        if (d < 0)
            break;
        any = 1;
        if (q >> 60) {                        /* full: further digits only scale */
            sticky |= d != 0;
            if (!seen_point)
                e2 += 4;
        } else {
            q = q << 4 | (uint64_t)d;
            if (seen_point)
                e2 -= 4;
        }
    }
    if (!any)
        return 0;                             /* not a hex number */
    p += parse_exp(p, 'p', &x);
    *endp = p;
    *bits = 0;
    if (q == 0)
        return 1;
    e2 += x;
    if (e2 > 5000)
        e2 = 5000;
    if (e2 < -5000)
        e2 = -5000;
    *bits = round_bits(q, (int)e2, sticky, range);
    return 1;
}

static int
parse_dec(const char *s, const char **endp, int *range, uint64_t *bits)
{
    static char dig[MAXSIG + 1];
    static struct bn N, M;
    const char *p = s;
    int nd = 0, any = 0, seen_point = 0, sticky_digits = 0, i;
    long e10 = 0, x = 0;
    int bn_, bm, sh, sticky;
    uint64_t q;

    for (;; p++) {
        if (*p == '.' && !seen_point) {
            seen_point = 1;
            continue;
        }
        if (!isdigit((unsigned char)*p))
            break;
        any = 1;
        if (nd == 0 && *p == '0') {           /* leading zeros */
            if (seen_point)
                e10--;
            continue;
        }
        if (nd < MAXSIG) {
            dig[nd++] = (char)(*p - '0');
            if (seen_point)
                e10--;
        } else {
            sticky_digits |= *p != '0';
            if (!seen_point)
                e10++;
        }
    }
    if (!any)
        return 0;                             /* no number */
    p += parse_exp(p, 'e', &x);
    *endp = p;
    *bits = 0;
    if (nd == 0)
        return 1;
    if (sticky_digits) {                      /* a 1 beyond every boundary's digits */
        dig[nd++] = 1;
        e10--;
    }
    e10 += x;
    /* value = D * 10^e10, D with nd digits: 10^(nd-1+e10) <= value < 10^(nd+e10) */
    if (nd + e10 > 310) {
        *range = 1;
        *bits = 0x7ff0000000000000ULL;
        return 1;
    }
    if (nd + e10 < -324) {
        *range = 1;
        return 1;
    }
    bn_small(&N, 0);
    for (i = 0; i < nd; i++)
        bn_muladd(&N, 10, (uint32_t)dig[i]);
    bn_small(&M, 1);
    if (e10 >= 0)
        bn_pow10(&N, (int)e10);
    else
        bn_pow10(&M, (int)-e10);
    /* q = N * 2^sh / M, 2^62 <= q < 2^64 (N / M is within a factor 2 of
     * 2^(bits(N) - bits(M))): value = q * 2^-sh, 63 or 64 bits of it exact */
    bn_ = bn_bits(&N);
    bm = bn_bits(&M);
    sh = 63 - (bn_ - bm);
    if (sh > 0)
        bn_shl(&N, sh);
    else if (sh < 0)
        bn_shl(&M, -sh);
    bn_shl(&M, 63);
    q = 0;
    for (i = 63; i >= 0; i--) {
        if (bn_cmp(&N, &M) >= 0) {
            bn_sub(&N, &M);
            q |= 1ULL << i;
        }
        bn_shr1(&M);
    }
    sticky = N.n != 0;
    *bits = round_bits(q, -sh, sticky, range);
    return 1;
}

double
strtod(const char *restrict s, char **restrict endptr)
{
    const char *p = s, *end = s;
    int neg = 0, range = 0;
    uint64_t bits = 0;
    double d;

    while (isspace((unsigned char)*p))
        p++;
    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    if (prefix_ci(p, "inf")) {
        end = p + (prefix_ci(p, "infinity") ? 8 : 3);
        bits = 0x7ff0000000000000ULL;
    } else if (prefix_ci(p, "nan")) {
        end = p + 3;
        bits = 0x7ff8000000000000ULL;
        if (*end == '(') {                    /* nan(n-char-sequence) */
            const char *q = end + 1;
            while (isalnum((unsigned char)*q) || *q == '_')
                q++;
            if (*q == ')')
                end = q + 1;
        }
    } else if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X') &&
               parse_hex(p + 2, &end, &range, &bits)) {
        /* "0x" with hex digits after it */
    } else if (!parse_dec(p, &end, &range, &bits)) {
        end = s;                              /* no conversion */
        neg = 0;
    }
    if (neg)
        bits |= 1ULL << 63;
    if (range)
        errno = ERANGE;
    if (endptr)
        *endptr = (char *)end;
    memcpy(&d, &bits, sizeof(d));
    return d;
}

double
atof(const char *s)
{
    return strtod(s, NULL);
}
