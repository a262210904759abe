/*
 * kw86 libc: a small libm on the x87.
 *
 * The x87 does the work where an instruction gives the answer: fsqrt (at 53-bit
 * precision, so the result is rounded once, exactly), frndint under a chosen
 * rounding control (floor, ceil, trunc), fprem (fmod, exact), fpatan (atan2, atan),
 * fyl2x/fyl2xp1 (log, log10, pow), f2xm1 and fscale (exp, pow), fsin/fcos on an
 * argument reduced here.  Intermediate values are long double (the 64-bit
 * significand NetBSD's initial control word 0x037F selects) and each function is
 * arranged so the only large error is the final rounding to double: within one ulp of
 * the exact result (sqrt, floor, ceil, trunc, round, fabs, fmod exact).
 *
 * Argument reductions keep their constants split so the products are exact:
 * exp: x = n ln2 + r with ln2 = LN2_HI (32 bits) + LN2_LO; sin/cos: x = k pi/2 + r
 * with pi/2 = PIO2_1 + PIO2_2 (32 bits each) + PIO2_3 (Cody and Waite's method).
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

typedef long double ld;

static inline uint64_t
bits_of(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof(u));
    return u;
}

static inline double
from_bits(uint64_t u)
{
    double x;
    memcpy(&x, &u, sizeof(x));
    return x;
}

static inline unsigned short
get_cw(void)
{
    unsigned short cw;
    __asm__ volatile("fnstcw %0" : "=m"(cw));
    return cw;
}

static inline void
set_cw(unsigned short cw)
{
    __asm__ volatile("fldcw %0" : : "m"(cw));
}

/* frndint under rounding control rc (0 nearest, 1 down, 2 up, 3 toward zero) */
static double
rnd(double x, unsigned rc)
{
    unsigned short cw = get_cw();
    ld r;

    set_cw((unsigned short)((cw & ~0x0c00u) | (rc << 10)));
    __asm__ volatile("frndint" : "=t"(r) : "0"((ld)x));
    set_cw(cw);
    return (double)r;
}

static inline ld
rint_ld(ld x)            /* current rounding: to nearest */
{
    ld r;
    __asm__("frndint" : "=t"(r) : "0"(x));
    return r;
}

/* x * 2^n (n an integer value) */
static inline ld
scale_ld(ld x, ld n)
{
    ld r;
    __asm__("fscale" : "=t"(r) : "0"(x), "u"(n));
    return r;
}

/* 2^f for |f| <= 1 */
static inline ld
exp2_small(ld f)
{
    ld r;
    __asm__("f2xm1" : "=t"(r) : "0"(f));
    return r + 1.0L;
}

/* y * log2(x) */
static inline ld
yl2x(ld x, ld y)
{
    ld r;
    __asm__("fyl2x" : "=t"(r) : "0"(x), "u"(y) : "st(1)");
    return r;
}

/* y * log2(1 + x), |x| < 1 - sqrt(2)/2 */
static inline ld
yl2xp1(ld x, ld y)
{
    ld r;
    __asm__("fyl2xp1" : "=t"(r) : "0"(x), "u"(y) : "st(1)");
    return r;
}

double
fabs(double x)
{
    return from_bits(bits_of(x) & ~(1ULL << 63));
}

double
floor(double x)
{
    return rnd(x, 1);
}

double
ceil(double x)
{
    return rnd(x, 2);
}

double
trunc(double x)
{
    return rnd(x, 3);
}

double
round(double x)
{
    double t = trunc(x);
    double d = x - t;                  /* exact */

    if (d >= 0.5)
        return t + 1.0;
    if (d <= -0.5)
        return t - 1.0;
    return t;
}

double
sqrt(double x)
{
    unsigned short cw = get_cw();
    ld r;

    /* 53-bit precision: fsqrt rounds once, to the double's significand (a square root
     * of a double is never subnormal), so no second rounding on the store */
    set_cw((unsigned short)((cw & ~0x0300u) | 0x0200u));
    __asm__ volatile("fsqrt" : "=t"(r) : "0"((ld)x));
    set_cw(cw);
    return (double)r;
}

double
fmod(double x, double y)
{
    ld r;

    /* fprem is exact; it reduces the exponent difference by at most 63 per pass
     * and says with C2 that it is not done */
    __asm__("1: fprem\n\t"
            "fnstsw %%ax\n\t"
            "testw $0x400, %%ax\n\t"
            "jnz 1b"
            : "=t"(r) : "0"((ld)x), "u"((ld)y) : "ax", "cc");
    return (double)r;
}

double
atan2(double y, double x)
{
    ld r;

    __asm__("fpatan" : "=t"(r) : "0"((ld)x), "u"((ld)y) : "st(1)");
    return (double)r;
}

double
atan(double x)
{
    return atan2(x, 1.0);
}

static const ld LN2_HI = 0x1.62e42feep-1L;                /* 32 bits */
static const ld LN2_LO = 0xd.1cf79abc9e3b398p-36L;        /* ln 2 - LN2_HI */
static const ld LOG2E = 0xb.8aa3b295c17f0bcp-3L;         /* 1 / ln 2 */
static const ld LN2 = 0xb.17217f7d1cf79acp-4L;
static const ld LG2 = 0x9.a209a84fbcff799p-5L;           /* log10(2) */

double
exp(double x)
{
    ld n, r;

    if (x != x)
        return x + x;
    if (x > 1000.0)
        return from_bits(0x7ff0000000000000ULL);
    if (x < -1000.0)
        return 0.0;
    n = rint_ld((ld)x * LOG2E);
    r = ((ld)x - n * LN2_HI) - n * LN2_LO;   /* the first difference is exact */
    return (double)scale_ld(exp2_small(r * LOG2E), n);
}

static double
log_base(double x, ld k)
{
    if (x > 0.7071 && x < 1.29)             /* near 1: log2(1 + (x - 1)), x - 1 exact */
        return (double)yl2xp1((ld)x - 1.0L, k);
    return (double)yl2x((ld)x, k);
}

double
log(double x)
{
    return log_base(x, LN2);
}

double
log10(double x)
{
    return log_base(x, LG2);
}

static int
is_int(double y)
{
    return rnd(y, 3) == y;
}

static int
is_odd_int(double y)
{
    return fabs(y) < 9007199254740992.0 && is_int(y) && fmod(y, 2.0) != 0.0;
}

double
pow(double x, double y)
{
    uint64_t ux = bits_of(x) & ~(1ULL << 63);
    double ax = from_bits(ux);
    int neg = 0, e;
    ld m, a, aint, b, t, n;

    if (y == 0.0 || x == 1.0)
        return 1.0;
    if (x != x || y != y)
        return x + y;
    if (x == -1.0 && isinf(y))
        return 1.0;
    if (isinf(y)) {
        if (ax == 1.0)
            return 1.0;
        return (ax < 1.0) == (y < 0) ? from_bits(0x7ff0000000000000ULL) : 0.0;
    }
    if (signbit(x)) {
        if (!is_int(y) && !isinf(x) && x != 0.0)
            return from_bits(0x7ff8000000000000ULL);   /* negative ** non-integer */
        neg = is_odd_int(y);
    }
    if (ax == 0.0 || isinf(ax)) {
        int big = (ax == 0.0) == (y < 0);               /* 0^-y, inf^y: infinite */
        double r = big ? from_bits(0x7ff0000000000000ULL) : 0.0;
        return neg ? -r : r;
    }
    /* ax = m * 2^e, m in [sqrt(1/2), sqrt(2)): y log2(ax) = y e + y log2(m), where
     * y e is exact in 64 bits (53 x 11) and split again into integer and fraction */
    e = (int)((ux >> 52) & 0x7ff);
    if (e == 0) {                                       /* subnormal */
        ux = bits_of(ax * 18014398509481984.0);         /* 2^54 */
        e = (int)((ux >> 52) & 0x7ff) - 54;
    }
    e -= 1023;
    m = (ld)from_bits((ux & 0xfffffffffffffULL) | 0x3ff0000000000000ULL);
    if (m > 1.4142135623730950488L) {
        m *= 0.5L;
        e++;
    }
    a = (ld)y * (ld)e;
    if (a > 1e5L)
        a = 1e5L;
    if (a < -1e5L)
        a = -1e5L;
    aint = rint_ld(a);
    if (m - 1.0L > -0.29L && m - 1.0L < 0.29L)
        b = yl2xp1(m - 1.0L, (ld)y);
    else
        b = yl2x(m, (ld)y);
    t = (a - aint) + b;
    if (t > 1e5L)
        t = 1e5L;
    if (t < -1e5L)
        t = -1e5L;
    n = rint_ld(t);
    {
        double r = (double)scale_ld(exp2_small(t - n), aint + n);
        return neg ? -r : r;
    }
}

static const double PIO2_1 = 0x1.921fb544p+0;             /* 32 bits of pi/2 */
static const double PIO2_2 = 0x1.0b4611a6p-34;            /* the next 32 */
static const ld PIO2_3 = 0x9.8cc51701b839a25p-72L;       /* the next 64 */
static const ld TWO_OVER_PI = 0xa.2f9836e4e44152ap-4L;

static inline ld
fsin_ld(ld r)
{
    ld v;
    __asm__("fsin" : "=t"(v) : "0"(r));
    return v;
}

static inline ld
fcos_ld(ld r)
{
    ld v;
    __asm__("fcos" : "=t"(v) : "0"(r));
    return v;
}

/* x = k pi/2 + r, |r| <= about pi/4, for |x| < 2^30; returns k mod 4 */
static int
reduce(double x, ld *r)
{
    ld k = rint_ld((ld)x * TWO_OVER_PI);

    *r = (((ld)x - k * PIO2_1) - k * PIO2_2) - k * PIO2_3;
    return (int)((long long)k & 3);
}

/* Beyond 2^30 (a rare argument for a program): the x87's own reduction, by fprem1
 * with its 2 pi first when fsin would refuse (|x| >= 2^63). */
static ld
reduce_big(double x)
{
    ld r = (ld)x, twopi;

    if (fabs(x) >= 9.2233720368547758e18) {
        __asm__("fldpi; fadd %%st(0), %%st(0)" : "=t"(twopi));
        __asm__("1: fprem1\n\t"
                "fnstsw %%ax\n\t"
                "testw $0x400, %%ax\n\t"
                "jnz 1b"
                : "=t"(r) : "0"(r), "u"(twopi) : "ax", "cc");
    }
    return r;
}

double
sin(double x)
{
    ld r;

    if (fabs(x) < 0.78)
        return (double)fsin_ld((ld)x);
    if (!(fabs(x) < 1073741824.0))              /* also inf, nan: fsin says invalid */
        return (double)fsin_ld(reduce_big(x));
    switch (reduce(x, &r)) {
    case 0: return (double)fsin_ld(r);
    case 1: return (double)fcos_ld(r);
    case 2: return (double)-fsin_ld(r);
    default: return (double)-fcos_ld(r);
    }
}

double
cos(double x)
{
    ld r;

    if (fabs(x) < 0.78)
        return (double)fcos_ld((ld)x);
    if (!(fabs(x) < 1073741824.0))
        return (double)fcos_ld(reduce_big(x));
    switch (reduce(x, &r)) {
    case 0: return (double)fcos_ld(r);
    case 1: return (double)-fsin_ld(r);
    case 2: return (double)-fcos_ld(r);
    default: return (double)fsin_ld(r);
    }
}

double
tan(double x)
{
    ld r, s, c;

    if (fabs(x) < 0.78) {
        r = (ld)x;
        return (double)(fsin_ld(r) / fcos_ld(r));
    }
    if (!(fabs(x) < 1073741824.0)) {
        r = reduce_big(x);
        return (double)(fsin_ld(r) / fcos_ld(r));
    }
    s = 0;
    c = 0;
    switch (reduce(x, &r) & 1) {
    case 0: s = fsin_ld(r); c = fcos_ld(r); break;
    default: s = -fcos_ld(r); c = fsin_ld(r); break;
    }
    return (double)(s / c);
}
