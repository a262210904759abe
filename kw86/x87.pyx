# kw86/x87.pyx -- the P6 x87 FPU: 80-bit extended arithmetic in integers.
#
# Written for kw86 from the Intel SDM (Vol. 1 ch. 4 and 8: formats, rounding,
# precision control, exceptions and their masked responses, Table 4-7 NaN
# rules; Vol. 2 instruction pages for per-instruction special cases).  No host
# floating point: significands are uint64 with 128-bit intermediates.
#
# Representation: F80 {m: significand with explicit J bit, se: sign|exponent}.
# Unpacked operands (U) carry a class, sign, a biased exponent that may be < 1
# (denormals are normalised on unpacking, as the FPU does once DE is masked)
# and a significand with bit 63 set.
#
# Rounding model (checked bit-exact against the host's x87 in
# tests/test_x87_native.py): the exact result is rounded to the precision p
# (24/53/64 from PC for fadd/fsub/fmul/fdiv/fsqrt, 64 otherwise; the target's
# for fst m32/m64) with the exponent unbounded; it is tiny if that rounded
# result is below the smallest normal (tininess after rounding); a tiny
# result with UE masked is denormalised and rounded again at the same bit
# positions, UE being set only if that is inexact; with UE/OE unmasked the
# register destination gets the exponent wrapped by 24576 (SDM Vol. 1
# §4.9.1.4-5).

from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t, int16_t, int32_t, int64_t
from libc.string cimport memcpy, memset

cdef extern from *:
    """
    #include <stdint.h>
    static inline void kw_mul64(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo) {
        unsigned __int128 p = (unsigned __int128)a * b;
        *hi = (uint64_t)(p >> 64); *lo = (uint64_t)p;
    }
    /* (hi:lo) / d, requires hi < d */
    static inline uint64_t kw_div128(uint64_t hi, uint64_t lo, uint64_t d, uint64_t *rem) {
        unsigned __int128 n = ((unsigned __int128)hi << 64) | lo;
        *rem = (uint64_t)(n % d);
        return (uint64_t)(n / d);
    }
    static inline int kw_clz64(uint64_t x) { return x ? __builtin_clzll(x) : 64; }
    """
    void kw_mul64(uint64_t a, uint64_t b, uint64_t* hi, uint64_t* lo) noexcept nogil
    uint64_t kw_div128(uint64_t hi, uint64_t lo, uint64_t d, uint64_t* rem) noexcept nogil
    int kw_clz64(uint64_t x) noexcept nogil

cdef enum:
    K_ZERO = 0
    K_NORM = 1      # normal, denormal or pseudo-denormal (den says which)
    K_INF = 2
    K_QNAN = 3
    K_SNAN = 4
    K_UNSUP = 5     # unnormal, pseudo-NaN, pseudo-infinity (invalid on 387+)

cdef enum:
    RC_RN = 0
    RC_RD = 1
    RC_RU = 2
    RC_RZ = 3

ctypedef struct U:
    uint64_t sig
    int32_t exp
    int sign
    int cls
    int den

cdef extern from *:
    """
    #define KW_J 0x8000000000000000ULL
    #define KW_QBIT 0x4000000000000000ULL
    #define KW_BCD_MAX 1000000000000000000LL
    """
    const uint64_t J "KW_J"
    const uint64_t QBIT "KW_QBIT"
    const int64_t BCD_MAX "KW_BCD_MAX"

cdef enum:
    BIAS = 16383
    EXC = 0x3F
    WRAP = 24576

# ----------------------------------------------------------------------------
# small helpers

cdef inline F80 mk(int sign, int exp, uint64_t m) noexcept nogil:
    cdef F80 r
    r.m = m
    r.se = <uint16_t>(((sign & 1) << 15) | (exp & 0x7FFF))
    r._pad[0] = 0
    r._pad[1] = 0
    r._pad[2] = 0
    return r

cdef inline F80 indefinite() noexcept nogil:
    return mk(1, 0x7FFF, 0xC000000000000000ULL)

cdef inline int is_snan80(F80 x) noexcept nogil:
    return (x.se & 0x7FFF) == 0x7FFF and (x.m >> 63) and not (x.m & QBIT) and (x.m << 1) != 0

cdef U unpack(F80 x) noexcept nogil:
    cdef U u
    cdef int e = x.se & 0x7FFF
    cdef int n
    u.sign = x.se >> 15
    u.sig = x.m
    u.exp = e
    u.den = 0
    if e == 0x7FFF:
        if not (x.m >> 63):
            u.cls = K_UNSUP
        elif (x.m << 1) == 0:
            u.cls = K_INF
        elif x.m & QBIT:
            u.cls = K_QNAN
        else:
            u.cls = K_SNAN
    elif e == 0:
        if x.m == 0:
            u.cls = K_ZERO
        else:
            u.cls = K_NORM
            u.den = 1
            n = kw_clz64(x.m)
            u.sig = x.m << n
            u.exp = 1 - n
    elif not (x.m >> 63):
        u.cls = K_UNSUP
    else:
        u.cls = K_NORM
    return u

cdef inline void shr128(uint64_t* hi, uint64_t* lo, int n) noexcept nogil:
    """Shift hi:lo right by n, ORing everything shifted out into bit 0."""
    cdef uint64_t st
    if n <= 0:
        return
    if n < 64:
        st = 1 if (lo[0] << (64 - n)) != 0 else 0
        lo[0] = (hi[0] << (64 - n)) | (lo[0] >> n) | st
        hi[0] = hi[0] >> n
    elif n == 64:
        lo[0] = hi[0] | (1 if lo[0] != 0 else 0)
        hi[0] = 0
    elif n < 128:
        st = 1 if ((hi[0] << (128 - n)) != 0 or lo[0] != 0) else 0
        lo[0] = (hi[0] >> (n - 64)) | st
        hi[0] = 0
    else:
        lo[0] = 1 if (hi[0] | lo[0]) != 0 else 0
        hi[0] = 0

cdef inline int norm128(uint64_t* hi, uint64_t* lo) noexcept nogil:
    """Shift hi:lo left until bit 127 is set; return the shift (hi:lo != 0)."""
    cdef int n
    if hi[0] == 0:
        hi[0] = lo[0]
        lo[0] = 0
        n = kw_clz64(hi[0])
        if n:
            hi[0] = hi[0] << n
        return 64 + n
    n = kw_clz64(hi[0])
    if n:
        hi[0] = (hi[0] << n) | (lo[0] >> (64 - n))
        lo[0] = lo[0] << n
    return n

cdef inline int rnd(uint64_t hi, uint64_t lo, int p, int rc, int sign, uint64_t* out,
                    int* inexact) noexcept nogil:
    """Round hi:lo to the top p bits of hi.  Result bits: 1 = magnitude
    increased, 2 = carried out of bit 63 (out = 2^63, exponent + 1)."""
    cdef uint64_t rem, half, base, inc, mask
    cdef int above, tie, inex, lsb, up, d
    if p >= 64:
        base = hi
        inc = 1
        lsb = <int>(hi & 1)
        inex = lo != 0
        tie = lo == J
        above = lo > J
    else:
        d = 64 - p
        mask = (<uint64_t>1 << d) - 1
        inc = <uint64_t>1 << d
        rem = hi & mask
        half = <uint64_t>1 << (d - 1)
        base = hi & ~mask
        lsb = <int>((hi >> d) & 1)
        inex = rem != 0 or lo != 0
        tie = rem == half and lo == 0
        above = rem > half or (rem == half and lo != 0)
    if rc == RC_RN:
        up = above or (tie and lsb)
    elif rc == RC_RD:
        up = inex and sign
    elif rc == RC_RU:
        up = inex and not sign
    else:
        up = 0
    inexact[0] = inex
    if up:
        base = base + inc
        if base == 0:
            out[0] = J
            return 3
    out[0] = base
    return 1 if up else 0

cdef inline int pc_bits(uint16_t cw) noexcept nogil:
    cdef int pc = (cw >> 8) & 3
    if pc == 0:
        return 24
    if pc == 2:
        return 53
    return 64

cdef int round_pack(int sign, int32_t exp, uint64_t hi, uint64_t lo, int p, uint16_t cw,
                    int32_t emin, int32_t emax, int wrap, int32_t* oexp, uint64_t* osig,
                    uint16_t* fl) noexcept nogil:
    """Round sign * hi:lo * 2^(exp-BIAS-127+64) (hi bit 63 set) to p bits.

    Output in the extended frame: *oexp = biased exponent (0x7FFF: infinity),
    *osig = significand; a denormal of the target has *oexp = emin and bit 63
    of *osig clear (a zero: *osig = 0).  Returns 1 if a result is delivered,
    0 if an unmasked overflow/underflow suppresses it (wrap = 0: memory
    destination; wrap = 1 delivers the exponent wrapped by 24576 instead)."""
    cdef int rc = (cw >> 10) & 3
    cdef uint64_t sig
    cdef int inex, r
    cdef int32_t e
    r = rnd(hi, lo, p, rc, sign, &sig, &inex)
    e = exp + (r >> 1)
    if e >= emin:
        if e > emax:
            if not (cw & SW_OE) and wrap and e - WRAP > emax:
                # unmasked, still out of range after the wrap (fscale): the host
                # delivers infinity whatever RC
                fl[0] |= SW_OE | SW_PE | SW_C1
                oexp[0] = 0x7FFF
                osig[0] = J
                return 1
            if not (cw & SW_OE):            # unmasked
                fl[0] |= SW_OE
                if not wrap:
                    return 0
                e -= WRAP
            else:
                fl[0] |= SW_OE | SW_PE
                if rc == RC_RN or (rc == RC_RU and not sign) or (rc == RC_RD and sign):
                    oexp[0] = 0x7FFF
                    osig[0] = J
                    fl[0] |= SW_C1
                else:
                    oexp[0] = emax
                    osig[0] = (<uint64_t>0xFFFFFFFFFFFFFFFFULL) << (64 - p)
                return 1
        if inex:
            fl[0] |= SW_PE
            if r & 1:
                fl[0] |= SW_C1
        oexp[0] = e
        osig[0] = sig
        return 1
    # tiny (after rounding with an unbounded exponent)
    if not (cw & SW_UE) and wrap and e + WRAP < emin:
        fl[0] |= SW_UE | SW_PE              # (fscale) beyond the wrap: a zero
        oexp[0] = emin
        osig[0] = 0
        return 1
    if not (cw & SW_UE):
        fl[0] |= SW_UE
        if not wrap:
            return 0
        if inex:
            fl[0] |= SW_PE
            if r & 1:
                fl[0] |= SW_C1
        oexp[0] = e + WRAP
        osig[0] = sig
        return 1
    shr128(&hi, &lo, emin - exp)
    r = rnd(hi, lo, p, rc, sign, &sig, &inex)
    if inex:
        fl[0] |= SW_UE | SW_PE
        if r & 1:
            fl[0] |= SW_C1
    oexp[0] = emin
    osig[0] = sig
    return 1

cdef inline int round80(int sign, int32_t exp, uint64_t hi, uint64_t lo, int p, uint16_t cw,
                        F80* res, uint16_t* fl) noexcept nogil:
    cdef int32_t e
    cdef uint64_t s
    if not round_pack(sign, exp, hi, lo, p, cw, 1, 0x7FFE, 1, &e, &s, fl):
        return 0
    if e == 1 and not (s >> 63):
        e = 0
    res[0] = mk(sign, e, s)
    return 1

# ----------------------------------------------------------------------------
# NaNs and invalid operations (SDM Vol. 1 §4.8.3.5, Table 4-7; §8.5.1)

cdef inline F80 quiet(F80 x) noexcept nogil:
    x.m = x.m | QBIT
    return x

cdef int invalid(uint16_t cw, F80* res, uint16_t* fl) noexcept nogil:
    fl[0] |= SW_IE
    if not (cw & SW_IE):
        return 0
    res[0] = indefinite()
    return 1

cdef int nan2(F80 a, U* A, F80 b, U* B, uint16_t cw, F80* res, uint16_t* fl) noexcept nogil:
    """At least one NaN operand: the x87's NaN result (or an unmasked #IA: 0)."""
    cdef uint64_t ma, mb
    if A.cls == K_SNAN or B.cls == K_SNAN:
        fl[0] |= SW_IE
        if not (cw & SW_IE):
            return 0
    if A.cls == K_SNAN and B.cls == K_QNAN:
        res[0] = b
        return 1
    if A.cls == K_QNAN and B.cls == K_SNAN:
        res[0] = a
        return 1
    if (A.cls == K_SNAN or A.cls == K_QNAN) and (B.cls == K_SNAN or B.cls == K_QNAN):
        ma = a.m | QBIT
        mb = b.m | QBIT
        if ma > mb:
            res[0] = quiet(a)
        elif mb > ma:
            res[0] = quiet(b)
        else:
            # equal significands: the positive one... (see tests)
            res[0] = quiet(a) if (a.se >> 15) == 0 else quiet(b)
        return 1
    if A.cls == K_SNAN or A.cls == K_QNAN:
        res[0] = quiet(a)
    else:
        res[0] = quiet(b)
    return 1

cdef int pre2(F80 a, U* A, F80 b, U* B, uint16_t cw, F80* res, uint16_t* fl) noexcept nogil:
    """Unsupported formats and NaNs: returns 0/1 (done: write res or not), -1 go on."""
    if A.cls == K_UNSUP or B.cls == K_UNSUP:
        return invalid(cw, res, fl)
    if A.cls >= K_QNAN or B.cls >= K_QNAN:
        return nan2(a, A, b, B, cw, res, fl)
    return -1

cdef inline int denormal(U* A, U* B, uint16_t cw, uint16_t* fl) noexcept nogil:
    """DE for denormal operands: 1 if an unmasked #D stops the instruction."""
    if A.den or (B != NULL and B.den):
        fl[0] |= SW_DE
        if not (cw & SW_DE):
            return 1
    return 0

# ----------------------------------------------------------------------------
# add / sub / mul / div / sqrt

cdef int f_add(F80 a, F80 b, int bden, int negb, uint16_t cw, int p, F80* res, uint16_t* fl) noexcept nogil:
    cdef U A = unpack(a)
    cdef U B = unpack(b)
    B.den |= bden
    cdef U T
    cdef int r, sign, rc = (cw >> 10) & 3
    cdef int32_t d, exp
    cdef uint64_t ahi, alo, bhi, blo, hi, lo, c
    if negb and B.cls != K_QNAN and B.cls != K_SNAN and B.cls != K_UNSUP:
        B.sign ^= 1
    r = pre2(a, &A, b, &B, cw, res, fl)
    if r >= 0:
        return r
    if A.cls == K_INF and B.cls == K_INF and A.sign != B.sign:
        return invalid(cw, res, fl)
    if denormal(&A, &B, cw, fl):
        return 0
    if A.cls == K_INF:
        res[0] = mk(A.sign, 0x7FFF, J)
        return 1
    if B.cls == K_INF:
        res[0] = mk(B.sign, 0x7FFF, J)
        return 1
    if A.cls == K_ZERO and B.cls == K_ZERO:
        if A.sign == B.sign:
            res[0] = mk(A.sign, 0, 0)
        else:
            res[0] = mk(1 if rc == RC_RD else 0, 0, 0)
        return 1
    if A.cls == K_ZERO:
        return round80(B.sign, B.exp, B.sig, 0, p, cw, res, fl)
    if B.cls == K_ZERO:
        return round80(A.sign, A.exp, A.sig, 0, p, cw, res, fl)
    if A.exp < B.exp or (A.exp == B.exp and A.sig < B.sig):
        T = A
        A = B
        B = T
    d = A.exp - B.exp
    ahi = A.sig
    alo = 0
    bhi = B.sig
    blo = 0
    shr128(&bhi, &blo, d)
    exp = A.exp
    sign = A.sign
    if A.sign == B.sign:
        lo = alo + blo
        c = 1 if lo < alo else 0
        hi = ahi + bhi + c
        if hi < ahi or (c and hi == ahi):    # carry out of bit 127
            shr128(&hi, &lo, 1)
            hi |= J
            exp += 1
    else:
        lo = alo - blo
        c = 1 if alo < blo else 0
        hi = ahi - bhi - c
        if hi == 0 and lo == 0:
            res[0] = mk(1 if rc == RC_RD else 0, 0, 0)
            return 1
        exp -= norm128(&hi, &lo)
    return round80(sign, exp, hi, lo, p, cw, res, fl)

cdef int f_mul(F80 a, F80 b, int bden, uint16_t cw, int p, F80* res, uint16_t* fl) noexcept nogil:
    cdef U A = unpack(a)
    cdef U B = unpack(b)
    B.den |= bden
    cdef int r, sign
    cdef int32_t exp
    cdef uint64_t hi, lo
    r = pre2(a, &A, b, &B, cw, res, fl)
    if r >= 0:
        return r
    sign = A.sign ^ B.sign
    if (A.cls == K_INF and B.cls == K_ZERO) or (A.cls == K_ZERO and B.cls == K_INF):
        return invalid(cw, res, fl)
    if denormal(&A, &B, cw, fl):
        return 0
    if A.cls == K_INF or B.cls == K_INF:
        res[0] = mk(sign, 0x7FFF, J)
        return 1
    if A.cls == K_ZERO or B.cls == K_ZERO:
        res[0] = mk(sign, 0, 0)
        return 1
    kw_mul64(A.sig, B.sig, &hi, &lo)
    exp = A.exp + B.exp - BIAS + 1
    if not (hi >> 63):
        hi = (hi << 1) | (lo >> 63)
        lo <<= 1
        exp -= 1
    return round80(sign, exp, hi, lo, p, cw, res, fl)

cdef int f_div(F80 a, F80 b, int aden, int bden, uint16_t cw, int p, F80* res, uint16_t* fl) noexcept nogil:
    cdef U A = unpack(a)
    cdef U B = unpack(b)
    A.den |= aden
    B.den |= bden
    cdef int r, sign
    cdef int32_t exp
    cdef uint64_t hi, lo, q1, q2, r1, r2
    r = pre2(a, &A, b, &B, cw, res, fl)
    if r >= 0:
        return r
    sign = A.sign ^ B.sign
    if (A.cls == K_INF and B.cls == K_INF) or (A.cls == K_ZERO and B.cls == K_ZERO):
        return invalid(cw, res, fl)
    if B.cls == K_ZERO and A.cls == K_NORM:
        fl[0] |= SW_ZE
        if not (cw & SW_ZE):
            return 0
        res[0] = mk(sign, 0x7FFF, J)
        return 1
    if denormal(&A, &B, cw, fl):
        return 0
    if A.cls == K_INF or B.cls == K_ZERO:
        res[0] = mk(sign, 0x7FFF, J)
        return 1
    if A.cls == K_ZERO or B.cls == K_INF:
        res[0] = mk(sign, 0, 0)
        return 1
    if A.sig >= B.sig:
        q1 = kw_div128(A.sig - B.sig, 0, B.sig, &r1)
        q2 = kw_div128(r1, 0, B.sig, &r2)
        hi = J | (q1 >> 1)
        lo = (q1 << 63) | (q2 >> 1) | ((q2 & 1) | (1 if r2 else 0))
        exp = A.exp - B.exp + BIAS
    else:
        q1 = kw_div128(A.sig, 0, B.sig, &r1)
        q2 = kw_div128(r1, 0, B.sig, &r2)
        hi = q1
        lo = q2 | (1 if r2 else 0)
        exp = A.exp - B.exp + BIAS - 1
    return round80(sign, exp, hi, lo, p, cw, res, fl)

cdef void isqrt128(uint64_t nhi, uint64_t nlo, uint64_t* root, uint64_t* rhi, uint64_t* rlo) noexcept nogil:
    """root = floor(sqrt(nhi:nlo)) for nhi >= 2^62; rhi:rlo = the remainder."""
    cdef uint64_t r = 0, t, sh, sl, b
    cdef int i
    for i in range(63, -1, -1):
        t = r | (<uint64_t>1 << i)
        kw_mul64(t, t, &sh, &sl)
        if sh < nhi or (sh == nhi and sl <= nlo):
            r = t
    kw_mul64(r, r, &sh, &sl)
    b = 1 if nlo < sl else 0
    rlo[0] = nlo - sl
    rhi[0] = nhi - sh - b
    root[0] = r

cdef int f_sqrt(F80 a, uint16_t cw, int p, F80* res, uint16_t* fl) noexcept nogil:
    cdef U A = unpack(a)
    cdef int32_t e
    cdef uint64_t nhi, nlo, root, rhi, rlo, lo
    if A.cls == K_UNSUP:
        return invalid(cw, res, fl)
    if A.cls == K_SNAN or A.cls == K_QNAN:
        return nan2(a, &A, a, &A, cw, res, fl)
    if A.cls == K_ZERO:
        res[0] = a
        return 1
    if A.sign:
        return invalid(cw, res, fl)
    if A.cls == K_INF:
        res[0] = a
        return 1
    if denormal(&A, NULL, cw, fl):
        return 0
    e = A.exp - BIAS
    if (e & 1) == 0:            # N = sig * 2^63
        nhi = A.sig >> 1
        nlo = A.sig << 63
    else:                       # N = sig * 2^64
        nhi = A.sig
        nlo = 0
    isqrt128(nhi, nlo, &root, &rhi, &rlo)
    lo = 0
    if rhi != 0 or rlo > root:
        lo = J | 1
    elif rlo != 0:
        lo = 1
    return round80(0, (e >> 1) + BIAS, root, lo, p, cw, res, fl)

# ----------------------------------------------------------------------------
# compares: 0 >, 1 <, 2 =, 3 unordered; -1: unmasked exception (no result)

cdef int f_cmp(F80 a, F80 b, int bden, int quiet_nan, uint16_t cw, uint16_t* fl) noexcept nogil:
    cdef U A = unpack(a)
    cdef U B = unpack(b)
    B.den |= bden
    cdef int lt
    if A.cls == K_UNSUP or B.cls == K_UNSUP or A.cls == K_SNAN or B.cls == K_SNAN or \
            (not quiet_nan and (A.cls == K_QNAN or B.cls == K_QNAN)):
        fl[0] |= SW_IE
        return 3
    if A.cls == K_QNAN or B.cls == K_QNAN:
        return 3
    if A.den or B.den:
        fl[0] |= SW_DE
    if A.cls == K_ZERO and B.cls == K_ZERO:
        return 2
    if A.cls == K_ZERO:
        return 1 if B.sign == 0 else 0
    if B.cls == K_ZERO:
        return 1 if A.sign else 0
    if A.sign != B.sign:
        return 1 if A.sign else 0
    if A.cls == K_INF and B.cls == K_INF:
        return 2
    if A.cls == K_INF:
        lt = 0
    elif B.cls == K_INF:
        lt = 1
    elif A.exp == B.exp and A.sig == B.sig:
        return 2
    else:
        lt = A.exp < B.exp or (A.exp == B.exp and A.sig < B.sig)
    if A.sign:
        lt = not lt
    return 1 if lt else 0

# ----------------------------------------------------------------------------
# conversions

cdef int cvt32(uint32_t x, F80* res) noexcept nogil:
    """m32 real -> extended, exactly (an SNaN stays signalling); 1 if denormal."""
    cdef int s = x >> 31
    cdef int e = (x >> 23) & 0xFF
    cdef uint64_t f = x & 0x7FFFFF
    cdef int n
    if e == 0xFF:
        res[0] = mk(s, 0x7FFF, J | (f << 40))
        return 0
    if e == 0:
        if f == 0:
            res[0] = mk(s, 0, 0)
            return 0
        n = kw_clz64(f)
        res[0] = mk(s, BIAS + 63 - 149 - n, f << n)
        return 1
    res[0] = mk(s, e - 127 + BIAS, J | (f << 40))
    return 0

cdef int cvt64(uint64_t x, F80* res) noexcept nogil:
    cdef int s = <int>(x >> 63)
    cdef int e = <int>((x >> 52) & 0x7FF)
    cdef uint64_t f = x & 0xFFFFFFFFFFFFFULL
    cdef int n
    if e == 0x7FF:
        res[0] = mk(s, 0x7FFF, J | (f << 11))
        return 0
    if e == 0:
        if f == 0:
            res[0] = mk(s, 0, 0)
            return 0
        n = kw_clz64(f)
        res[0] = mk(s, BIAS + 63 - 1074 - n, f << n)
        return 1
    res[0] = mk(s, e - 1023 + BIAS, J | (f << 11))
    return 0

cdef int fld_real(F80 v, int den, uint16_t cw, F80* res, uint16_t* fl) noexcept nogil:
    """fld m32/m64 after cvt32/cvt64: SNaN -> #IA (quieted), denormal -> #D."""
    if is_snan80(v):
        fl[0] |= SW_IE
        if not (cw & SW_IE):
            return 0
        v = quiet(v)
    if den:
        fl[0] |= SW_DE      # the host loads the value even with DE unmasked
    res[0] = v
    return 1

cdef int st_real(F80 a, int p, uint16_t cw, uint64_t* out, uint16_t* fl) noexcept nogil:
    """ST(0) -> m32 (p = 24) or m64 (p = 53) bits in *out; 0: nothing stored."""
    cdef U A = unpack(a)
    cdef int32_t emin, emax, bias, e
    cdef int fb = p - 1
    cdef int eb = 8 if p == 24 else 11
    cdef uint64_t sig, frac, s
    bias = 127 if p == 24 else 1023
    emin = BIAS - bias + 1
    emax = BIAS + bias
    s = (<uint64_t>A.sign) << (fb + eb)
    if A.cls == K_UNSUP:
        fl[0] |= SW_IE
        if not (cw & SW_IE):
            return 0
        out[0] = (((<uint64_t>1 << (eb + 2)) - 1) << (fb - 1))   # indefinite: sign, exp, qbit
        return 1
    if A.cls == K_SNAN or A.cls == K_QNAN:
        if A.cls == K_SNAN:
            fl[0] |= SW_IE
            if not (cw & SW_IE):
                return 0
        frac = ((a.m | QBIT) << 1) >> (64 - fb)
        out[0] = s | ((((<uint64_t>1) << eb) - 1) << fb) | frac
        return 1
    if A.cls == K_INF:
        out[0] = s | ((((<uint64_t>1) << eb) - 1) << fb)
        return 1
    if A.cls == K_ZERO:
        out[0] = s
        return 1
    if not round_pack(A.sign, A.exp, A.sig, 0, p, cw, emin, emax, 0, &e, &sig, fl):
        return 0
    if e == 0x7FFF:
        out[0] = s | ((((<uint64_t>1) << eb) - 1) << fb)
    elif sig == 0:
        out[0] = s
    elif sig >> 63:
        out[0] = s | ((<uint64_t>(e - BIAS + bias)) << fb) | ((sig << 1) >> (65 - p))
    else:
        out[0] = s | (sig >> (64 - p))
    return 1

cdef int to_int(F80 a, int bits, uint16_t cw, int64_t* out, uint16_t* fl) noexcept nogil:
    """ST(0) -> integer of `bits` (16/32/64) rounded by RC; 0: nothing stored."""
    cdef U A = unpack(a)
    cdef int rc = (cw >> 10) & 3
    cdef int sh, inex, up, r
    cdef uint64_t hi, lo, mag, lim
    if A.cls == K_ZERO:
        out[0] = 0
        return 1
    if A.cls != K_NORM:
        fl[0] |= SW_IE
        if not (cw & SW_IE):
            return 0
        out[0] = <int64_t>((<uint64_t>1) << (bits - 1)) if bits < 64 else <int64_t>J
        if bits < 64:
            out[0] = -out[0]
        return 1
    sh = BIAS + 63 - A.exp          # value = sig >> sh
    if sh <= 0:
        if sh < 0 or not (A.sign and A.sig == J and bits == 64):
            return int_overflow(bits, cw, out, fl)
        out[0] = <int64_t>J
        return 1
    hi = A.sig
    lo = 0
    shr128(&hi, &lo, sh)
    r = rnd(hi, lo, 64, rc, A.sign, &mag, &inex)
    if r & 2:
        return int_overflow(bits, cw, out, fl)
    lim = (<uint64_t>1) << (bits - 1)
    if mag > lim or (mag == lim and not A.sign):
        return int_overflow(bits, cw, out, fl)
    if inex:
        fl[0] |= SW_PE
        if r & 1:
            fl[0] |= SW_C1
    out[0] = -<int64_t>mag if A.sign else <int64_t>mag
    return 1

cdef int int_overflow(int bits, uint16_t cw, int64_t* out, uint16_t* fl) noexcept nogil:
    fl[0] |= SW_IE
    if not (cw & SW_IE):
        return 0
    if bits == 64:
        out[0] = <int64_t>J
    else:
        out[0] = -(<int64_t>1 << (bits - 1))
    return 1

cdef F80 from_int(int64_t v) noexcept nogil:
    cdef uint64_t mag
    cdef int s = 0, n
    if v == 0:
        return mk(0, 0, 0)
    if v < 0:
        s = 1
        mag = <uint64_t>0 - <uint64_t>v
    else:
        mag = <uint64_t>v
    n = kw_clz64(mag)
    return mk(s, BIAS + 63 - n, mag << n)

cdef int f_rndint(F80 a, uint16_t cw, F80* res, uint16_t* fl) noexcept nogil:
    cdef U A = unpack(a)
    cdef int rc = (cw >> 10) & 3
    cdef int sh, inex, r, n
    cdef uint64_t hi, lo, mag
    if A.cls == K_UNSUP:
        return invalid(cw, res, fl)
    if A.cls == K_SNAN or A.cls == K_QNAN:
        return nan2(a, &A, a, &A, cw, res, fl)
    if A.cls == K_ZERO or A.cls == K_INF:
        res[0] = a
        return 1
    if denormal(&A, NULL, cw, fl):
        return 0
    sh = BIAS + 63 - A.exp
    if sh <= 0:
        res[0] = a
        return 1
    hi = A.sig
    lo = 0
    shr128(&hi, &lo, sh)
    r = rnd(hi, lo, 64, rc, A.sign, &mag, &inex)
    if inex:
        fl[0] |= SW_PE
        if r & 1:
            fl[0] |= SW_C1
    if r & 2:
        res[0] = mk(A.sign, BIAS + 64, J)
        return 1
    if mag == 0:
        res[0] = mk(A.sign, 0, 0)
        return 1
    n = kw_clz64(mag)
    res[0] = mk(A.sign, BIAS + 63 - n, mag << n)
    return 1

cdef F80 bcd_load(const uint8_t* p) noexcept nogil:
    cdef uint64_t v = 0
    cdef int i
    for i in range(8, -1, -1):
        v = v * 10 + ((p[i] >> 4) & 15)
        v = v * 10 + (p[i] & 15)
    cdef F80 r = from_int(<int64_t>v)
    if p[9] & 0x80:
        r.se |= 0x8000
    return r

cdef int bcd_store(F80 a, uint16_t cw, uint8_t* p, uint16_t* fl) noexcept nogil:
    cdef int64_t v
    cdef uint64_t mag
    cdef uint16_t f2 = 0
    cdef U A = unpack(a)
    cdef int i
    if not to_int(a, 64, cw | SW_IE, &v, &f2) or (f2 & SW_IE) or \
            (v >= BCD_MAX or v <= -BCD_MAX):
        if f2 & SW_DE and not (cw & SW_DE):
            fl[0] |= SW_DE
            return 0
        fl[0] |= SW_IE | (f2 & SW_DE)
        if not (cw & SW_IE):
            return 0
        memset(p, 0, 10)
        p[7] = 0xC0
        p[8] = 0xFF
        p[9] = 0xFF
        return 1
    fl[0] |= f2
    if f2 & SW_DE and not (cw & SW_DE):
        return 0
    mag = <uint64_t>(-v) if v < 0 else <uint64_t>v
    for i in range(9):
        p[i] = <uint8_t>((mag % 10) | (((mag // 10) % 10) << 4))
        mag //= 100
    p[9] = 0x80 if A.sign else 0
    return 1

# ----------------------------------------------------------------------------
# fscale, fxtract, fprem/fprem1

cdef int f_scale(F80 a, F80 b, uint16_t cw, F80* res, uint16_t* fl) noexcept nogil:
    """ST(0) * 2^trunc(ST(1)) (SDM Vol. 2 FSCALE table)."""
    cdef U A = unpack(a)
    cdef U B = unpack(b)
    cdef int r, sh
    cdef int64_t n
    r = pre2(a, &A, b, &B, cw, res, fl)
    if r >= 0:
        return r
    if B.cls == K_INF:
        if B.sign:
            if A.cls == K_INF:
                return invalid(cw, res, fl)
            if denormal(&A, NULL, cw, fl):
                return 0
            res[0] = mk(A.sign, 0, 0)
            return 1
        if A.cls == K_ZERO:
            return invalid(cw, res, fl)
        if denormal(&A, NULL, cw, fl):
            return 0
        res[0] = mk(A.sign, 0x7FFF, J)
        return 1
    if denormal(&A, &B, cw, fl):
        return 0
    if A.cls == K_INF or A.cls == K_ZERO:
        res[0] = a
        return 1
    if B.cls == K_ZERO:
        # scaling by 2^0 leaves ST(0) as it is (host: no UE on a denormal),
        # but a pseudo-denormal comes back in its normal encoding
        res[0] = mk(A.sign, 1, a.m) if ((a.se & 0x7FFF) == 0 and (a.m >> 63)) else a
        return 1
    else:
        sh = BIAS + 63 - B.exp
        if sh <= 0 or B.exp > BIAS + 20:
            n = 1 << 20
        elif sh >= 64:
            n = 0
        else:
            n = <int64_t>(B.sig >> sh)
        if B.sign:
            n = -n
    return round80(A.sign, <int32_t>(A.exp + n), A.sig, 0, 64, cw, res, fl)

cdef int f_xtract(F80 a, uint16_t cw, F80* sig, F80* ex, uint16_t* fl) noexcept nogil:
    """fxtract: *ex (goes to ST(1)) and *sig (ST(0)); 0 if unmasked exception."""
    cdef U A = unpack(a)
    if A.cls == K_UNSUP:
        if not invalid(cw, sig, fl):
            return 0
        ex[0] = sig[0]
        return 1
    if A.cls == K_SNAN or A.cls == K_QNAN:
        if not nan2(a, &A, a, &A, cw, sig, fl):
            return 0
        ex[0] = sig[0]
        return 1
    if A.cls == K_ZERO:
        fl[0] |= SW_ZE
        if not (cw & SW_ZE):
            return 0
        ex[0] = mk(1, 0x7FFF, J)
        sig[0] = a
        return 1
    if A.cls == K_INF:
        ex[0] = mk(0, 0x7FFF, J)
        sig[0] = a
        return 1
    if denormal(&A, NULL, cw, fl):
        return 0
    ex[0] = from_int(A.exp - BIAS)
    sig[0] = mk(A.sign, BIAS, A.sig)
    return 1

cdef int fprem_n(int d) noexcept nogil:
    """Partial remainder: bits of quotient developed when the exponent
    difference d >= 64 (an implementation-dependent N in 32..63, SDM Vol. 2
    FPREM); the value here matches the host x87 (tests/test_x87_native.py)."""
    return 32 + (d & 31)

cdef int f_prem(F80 a, F80 b, int ieee, uint16_t cw, F80* res, uint16_t* fl) noexcept nogil:
    """fprem (ieee = 0, truncating) / fprem1 (ieee = 1, round to nearest even).
    Sets C0 C3 C1 to quotient bits 2 1 0 and C2 for an incomplete reduction."""
    cdef U A = unpack(a)
    cdef U B = unpack(b)
    cdef int r, i, d, steps, sign, partial = 0, n
    cdef uint64_t rr, bs, q = 0, twice
    cdef int32_t exp
    r = pre2(a, &A, b, &B, cw, res, fl)
    if r >= 0:
        return r
    if A.cls == K_INF or B.cls == K_ZERO:
        return invalid(cw, res, fl)
    if denormal(&A, &B, cw, fl):
        return 0
    if A.cls == K_ZERO:
        res[0] = a
        return 1
    if B.cls == K_INF:
        # ST(0) unchanged (the host: a denormal stays, no UE; a pseudo-denormal
        # comes back in its normal encoding)
        res[0] = mk(A.sign, 1, a.m) if ((a.se & 0x7FFF) == 0 and (a.m >> 63)) else a
        return 1
    d = A.exp - B.exp
    sign = A.sign
    bs = B.sig
    if d < 0:
        if ieee and d == -1 and A.sig > B.sig:
            # |a| in (|b|/2, |b|): quotient 1, remainder b - a (exact)
            rr = (B.sig << 1) - A.sig          # at a's scale; < 2^64
            n = kw_clz64(rr)
            exp = A.exp - n
            fl[0] |= SW_C1
            return round80(sign ^ 1, exp, rr << n, 0, 64, cw, res, fl)
        return round80(A.sign, A.exp, A.sig, 0, 64, cw, res, fl)
    if d >= 64:
        partial = 1
        steps = fprem_n(d)
    else:
        steps = d
    rr = A.sig
    if rr >= bs:
        rr -= bs
        q = 1
    for i in range(steps):
        if rr >> 63:
            rr = (rr << 1) - bs
            q = (q << 1) | 1
        else:
            rr <<= 1
            q <<= 1
            if rr >= bs:
                rr -= bs
                q |= 1
    # rr is the remainder at scale 2^(A.exp - d_done ...): exponent of bs's bit 63
    exp = B.exp + (d - steps)
    if ieee and not partial:
        twice = rr << 1
        if (rr >> 63) or twice > bs or (twice == bs and (q & 1)):
            rr = bs - rr
            q += 1
            sign ^= 1
    if partial:
        fl[0] |= SW_C2
    else:
        if q & 4:
            fl[0] |= SW_C0
        if q & 2:
            fl[0] |= SW_C3
        if q & 1:
            fl[0] |= SW_C1
    if rr == 0:
        res[0] = mk(A.sign, 0, 0)
        return 1
    n = kw_clz64(rr)
    return round80(sign, exp - n, rr << n, 0, 64, cw, res, fl)

# ----------------------------------------------------------------------------
# the register stack and instruction execution

cdef inline int top_of(Fpu* f) noexcept nogil:
    return (f.sw >> 11) & 7

cdef inline int ph(Fpu* f, int i) noexcept nogil:
    return (top_of(f) + i) & 7

cdef inline int empty_st(Fpu* f, int i) noexcept nogil:
    return (f.empty >> ph(f, i)) & 1

cdef inline F80 getst(Fpu* f, int i) noexcept nogil:
    return f.r[ph(f, i)]

cdef inline void setst(Fpu* f, int i, F80 v) noexcept nogil:
    cdef int p = ph(f, i)
    f.r[p] = v
    f.empty &= ~(1 << p)

cdef inline void settop(Fpu* f, int t) noexcept nogil:
    f.sw = <uint16_t>((f.sw & ~0x3800) | ((t & 7) << 11))

cdef inline void do_pop(Fpu* f) noexcept nogil:
    f.empty |= 1 << ph(f, 0)
    settop(f, top_of(f) + 1)

cdef inline void do_push(Fpu* f, F80 v) noexcept nogil:
    settop(f, top_of(f) - 1)
    setst(f, 0, v)

cdef void fpu_init(Fpu* f) noexcept nogil:
    cdef F80 keep[8]
    memcpy(keep, f.r, sizeof(keep))     # FNINIT leaves the register contents
    memset(f, 0, sizeof(Fpu))
    memcpy(f.r, keep, sizeof(keep))
    f.cw = 0x037F
    f.empty = 0xFF

cdef inline void finish(Fpu* f, uint16_t fl) noexcept nogil:
    """Merge an instruction's exception flags and C1 into SW; ES/B from the masks."""
    f.sw = <uint16_t>((f.sw & ~SW_C1) | fl)
    if f.sw & ~f.cw & EXC:
        f.sw |= SW_ES | SW_B
    else:
        f.sw &= ~(SW_ES | SW_B)

cdef inline int underflow(Fpu* f, uint16_t* fl) noexcept nogil:
    """Stack underflow (#IS): 1 if the masked response (indefinite) applies."""
    fl[0] = (fl[0] & ~SW_C1) | SW_IE | SW_SF
    return (f.cw & SW_IE) != 0

cdef inline int overflow_chk(Fpu* f, uint16_t* fl) noexcept nogil:
    """Pushing onto a full ST(7): stack overflow.  Returns 0 to go on (a masked
    overflow pushes the indefinite: the caller is told by fl & SW_SF), -1 stop."""
    if not ((f.empty >> ph(f, 7)) & 1):
        fl[0] |= SW_IE | SW_SF | SW_C1
        if not (f.cw & SW_IE):
            return -1
        return 1
    return 0

cdef inline void set_cc(Fpu* f, int rel) noexcept nogil:
    f.sw &= ~(SW_C0 | SW_C2 | SW_C3)
    if rel == 1:
        f.sw |= SW_C0
    elif rel == 2:
        f.sw |= SW_C3
    elif rel == 3:
        f.sw |= SW_C0 | SW_C2 | SW_C3

cdef inline void set_eflags_rel(uint32_t* ef, int rel) noexcept nogil:
    ef[0] &= ~<uint32_t>(0x0001 | 0x0004 | 0x0010 | 0x0040 | 0x0080 | 0x0800)
    if rel == 1:
        ef[0] |= 0x0001
    elif rel == 2:
        ef[0] |= 0x0040
    elif rel == 3:
        ef[0] |= 0x0001 | 0x0004 | 0x0040

cdef inline uint64_t rd64(const uint8_t* p) noexcept nogil:
    cdef uint64_t v
    memcpy(&v, p, 8)
    return v

cdef inline uint32_t rd32(const uint8_t* p) noexcept nogil:
    cdef uint32_t v
    memcpy(&v, p, 4)
    return v

cdef inline uint16_t rd16(const uint8_t* p) noexcept nogil:
    return <uint16_t>(p[0] | (p[1] << 8))

cdef inline void wr16(uint8_t* p, uint16_t v) noexcept nogil:
    p[0] = <uint8_t>v
    p[1] = <uint8_t>(v >> 8)

cdef inline void wr32(uint8_t* p, uint32_t v) noexcept nogil:
    memcpy(p, &v, 4)

cdef inline F80 rd80(const uint8_t* p) noexcept nogil:
    return mk(p[9] >> 7, ((p[9] & 0x7F) << 8) | p[8], rd64(p))

cdef inline void wr80(uint8_t* p, F80 v) noexcept nogil:
    memcpy(p, &v.m, 8)
    wr16(p + 8, v.se)

cdef int fpu_mem_info(int esc, int reg, int op32, int* size) noexcept nogil:
    """Memory operand of D8+esc /reg: FM_LOAD / FM_STORE and its size in bytes."""
    cdef int env = 28 if op32 else 14
    cdef int sav = 108 if op32 else 94
    esc &= 7
    if esc == 0 or esc == 2:
        size[0] = 4
        return FM_LOAD
    if esc == 4:
        size[0] = 8
        return FM_LOAD
    if esc == 6:
        size[0] = 2
        return FM_LOAD
    if esc == 1:
        if reg == 0:
            size[0] = 4
            return FM_LOAD
        if reg == 2 or reg == 3:
            size[0] = 4
            return FM_STORE
        if reg == 4:
            size[0] = env
            return FM_LOAD
        if reg == 5:
            size[0] = 2
            return FM_LOAD
        if reg == 6:
            size[0] = env
            return FM_STORE
        if reg == 7:
            size[0] = 2
            return FM_STORE
    elif esc == 3:
        if reg == 0:
            size[0] = 4
            return FM_LOAD
        if reg == 2 or reg == 3:
            size[0] = 4
            return FM_STORE
        if reg == 5:
            size[0] = 10
            return FM_LOAD
        if reg == 7:
            size[0] = 10
            return FM_STORE
    elif esc == 5:
        if reg == 0:
            size[0] = 8
            return FM_LOAD
        if reg == 2 or reg == 3:
            size[0] = 8
            return FM_STORE
        if reg == 4:
            size[0] = sav
            return FM_LOAD
        if reg == 6:
            size[0] = sav
            return FM_STORE
        if reg == 7:
            size[0] = 2
            return FM_STORE
    elif esc == 7:
        if reg == 0:
            size[0] = 2
            return FM_LOAD
        if reg == 2 or reg == 3:
            size[0] = 2
            return FM_STORE
        if reg == 4 or reg == 5:
            size[0] = 10 if reg == 4 else 8
            return FM_LOAD
        if reg == 6:
            size[0] = 10
            return FM_STORE
        if reg == 7:
            size[0] = 8
            return FM_STORE
    size[0] = 0
    return FM_NONE

cdef int fpu_is_nowait(int esc, int modrm) noexcept nogil:
    """FNINIT FNCLEX FNSTSW FNSTCW FNSTENV FNSAVE (and the 8087/287 no-ops
    FNENI FNDISI FNSETPM) do not check for a pending unmasked exception."""
    cdef int reg = (modrm >> 3) & 7
    esc &= 7
    if modrm >= 0xC0:
        if esc == 3 and 0xE0 <= modrm <= 0xE4:
            return 1
        if esc == 7 and modrm == 0xE0:
            return 1
        return 0
    if esc == 1 and (reg == 6 or reg == 7):
        return 1
    if esc == 5 and (reg == 6 or reg == 7):
        return 1
    return 0

cdef inline uint16_t tag_of(Fpu* f, int p) noexcept nogil:
    cdef U u
    if (f.empty >> p) & 1:
        return 3
    u = unpack(f.r[p])
    if u.cls == K_ZERO:
        return 1
    if u.cls == K_NORM and not u.den:
        return 0
    return 2

cdef uint16_t tag_word(Fpu* f) noexcept nogil:
    cdef uint16_t tw = 0
    cdef int p
    for p in range(8):
        tw |= tag_of(f, p) << (2 * p)
    return tw

cdef void fpu_store_env(Fpu* f, uint8_t* o, int op32) noexcept nogil:
    """FNSTENV image, protected-mode format (SDM Vol. 1 Figs. 8-9, 8-10)."""
    cdef uint16_t tw = tag_word(f)
    if op32:
        wr32(o, 0xFFFF0000ULL | f.cw)
        wr32(o + 4, 0xFFFF0000ULL | f.sw)
        wr32(o + 8, 0xFFFF0000ULL | tw)
        wr32(o + 12, f.fip)
        wr32(o + 16, f.fcs | ((<uint32_t>(f.fop & 0x7FF)) << 16))
        wr32(o + 20, f.fdp)
        wr32(o + 24, 0xFFFF0000ULL | f.fds)
    else:
        wr16(o, f.cw)
        wr16(o + 2, f.sw)
        wr16(o + 4, tw)
        wr16(o + 6, <uint16_t>f.fip)
        wr16(o + 8, f.fcs)
        wr16(o + 10, <uint16_t>f.fdp)
        wr16(o + 12, f.fds)

cdef void fpu_load_env(Fpu* f, const uint8_t* p, int op32) noexcept nogil:
    cdef uint16_t tw
    cdef int i
    if op32:
        f.cw = rd16(p)
        f.sw = rd16(p + 4)
        tw = rd16(p + 8)
        f.fip = rd32(p + 12)
        f.fcs = rd16(p + 16)
        f.fop = rd16(p + 18) & 0x7FF
        f.fdp = rd32(p + 20)
        f.fds = rd16(p + 24)
    else:
        f.cw = rd16(p)
        f.sw = rd16(p + 2)
        tw = rd16(p + 4)
        f.fip = rd16(p + 6)
        f.fcs = rd16(p + 8)
        f.fdp = rd16(p + 10)
        f.fds = rd16(p + 12)
    f.cw = (f.cw & 0x1F3F) | 0x0040
    f.empty = 0
    for i in range(8):
        if ((tw >> (2 * i)) & 3) == 3:
            f.empty |= 1 << i
    finish(f, f.sw & SW_C1)

cdef void fpu_mmx_prep(Fpu* f) noexcept nogil:
    """Any MMX instruction but EMMS: TOP = 0, all tags valid (SDM Vol. 3A §12.?/Table 9-?)."""
    settop(f, 0)
    f.empty = 0

cdef void fpu_fxsave(Fpu* f, uint8_t* o) noexcept nogil:
    """FXSAVE image bytes 0-23 and 32-159 (SDM Vol. 2 FXSAVE, Table 3-?:
    FCW FSW, abridged tag byte (bit i: physical register i not empty), FOP,
    FIP FCS FDP FDS, ST(0)..ST(7) in 16-byte slots).  Bytes 24-31 (MXCSR and
    its mask) and 160-511 (XMM, reserved) are not written: no SSE on this CPU."""
    cdef int i
    memset(o, 0, 160)
    wr16(o, f.cw)
    wr16(o + 2, f.sw)
    o[4] = <uint8_t>(~f.empty)
    wr16(o + 6, f.fop & 0x7FF)
    wr32(o + 8, f.fip)
    wr16(o + 12, f.fcs)
    wr32(o + 16, f.fdp)
    wr16(o + 20, f.fds)
    for i in range(8):
        wr80(o + 32 + 16 * i, f.r[(top_of(f) + i) & 7])

cdef void fpu_fxrstor(Fpu* f, const uint8_t* p) noexcept nogil:
    cdef int i
    f.cw = (rd16(p) & 0x1F3F) | 0x0040
    f.sw = rd16(p + 2)
    f.empty = <uint8_t>(~p[4])
    f.fop = rd16(p + 6) & 0x7FF
    f.fip = rd32(p + 8)
    f.fcs = rd16(p + 12)
    f.fdp = rd32(p + 16)
    f.fds = rd16(p + 20)
    for i in range(8):
        f.r[(top_of(f) + i) & 7] = rd80(p + 32 + 16 * i)
    finish(f, f.sw & SW_C1)

cdef F80 fconst(int k, uint16_t cw) noexcept nogil:
    """FLD1 FLDL2T FLDL2E FLDPI FLDLG2 FLDLN2 FLDZ (D9 E8..EE): the constants
    rounded from 128 bits by RC (the P6 rounds its internal constants)."""
    cdef uint64_t hi, lo, m
    cdef int e, inex, r
    if k == 0:
        return mk(0, BIAS, J)
    if k == 6:
        return mk(0, 0, 0)
    if k == 1:
        hi = 0xd49a784bcd1b8afeULL
        lo = 0x492bf6ff4dafdb4cULL
        e = 1
    elif k == 2:
        hi = 0xb8aa3b295c17f0bbULL
        lo = 0xbe87fed0691d3e88ULL
        e = 0
    elif k == 3:
        hi = 0xc90fdaa22168c234ULL
        lo = 0xc4c6628b80dc1cd1ULL
        e = 1
    elif k == 4:
        hi = 0x9a209a84fbcff798ULL
        lo = 0x8f8959ac0b7c9178ULL
        e = -2
    else:
        hi = 0xb17217f7d1cf79abULL
        lo = 0xc9e3b39803f2f6afULL
        e = -1
    r = rnd(hi, lo, 64, (cw >> 10) & 3, 0, &m, &inex)
    return mk(0, BIAS + e, m)

cdef int arith(Fpu* f, int op, F80 x, F80 y, int yden, int dst, int npop, uint16_t* fl) noexcept nogil:
    """ST(dst) = x OP y (op: ModRM reg: 0 add, 1 mul, 4 x-y, 5 y-x, 6 x/y, 7 y/x; x is ST(0))."""
    cdef F80 res
    cdef int ok
    cdef int p = pc_bits(f.cw)
    if op == 0:
        ok = f_add(x, y, yden, 0, f.cw, p, &res, fl)
    elif op == 1:
        ok = f_mul(x, y, yden, f.cw, p, &res, fl)
    elif op == 4:
        ok = f_add(x, y, yden, 1, f.cw, p, &res, fl)
    elif op == 5:
        ok = f_add(y, x, 0, 1, f.cw, p, &res, fl) if not yden else f_sub_r(x, y, f.cw, p, &res, fl)
    elif op == 6:
        ok = f_div(x, y, 0, yden, f.cw, p, &res, fl)
    else:
        ok = f_div(y, x, yden, 0, f.cw, p, &res, fl)
    if ok:
        setst(f, dst, res)
        if npop:
            do_pop(f)
    return ok

cdef int f_sub_r(F80 x, F80 y, uint16_t cw, int p, F80* res, uint16_t* fl) noexcept nogil:
    """y - x where y came from a denormal m32/m64 (its den flag must survive)."""
    cdef uint16_t f2 = 0
    cdef int ok
    # y - x = -(x - y): compute x - y with y's den, then negate unless NaN
    ok = f_add(x, y, 1, 1, cw ^ (0x0C00 if (((cw >> 10) & 3) == 1 or ((cw >> 10) & 3) == 2) else 0), p, res, &f2)
    fl[0] |= f2
    if ok and not ((res.se & 0x7FFF) == 0x7FFF and (res.m << 1) != 0):
        res.se ^= 0x8000
    return ok

cdef int cmp_op(Fpu* f, F80 y, int yden, int quiet_nan, int npop, int eflags_form,
                uint32_t* ef, uint16_t* fl) noexcept nogil:
    """fcom/fucom (CC) or fcomi/fucomi (EFLAGS) of ST(0) with y; pops npop."""
    cdef int rel = f_cmp(getst(f, 0), y, yden, quiet_nan, f.cw, fl)
    if eflags_form:
        set_eflags_rel(ef, rel)
    else:
        set_cc(f, rel)
    if fl[0] & ~f.cw & (SW_IE | SW_DE):
        return 0        # unmasked #IA/#D: flags are set (as the host does), no pop
    while npop > 0:
        do_pop(f)
        npop -= 1
    return 1

cdef int cmp_empty(Fpu* f, int npop, int eflags_form, uint32_t* ef, uint16_t* fl) noexcept nogil:
    # the host x87 sets "unordered" even when #IS is unmasked
    if eflags_form:
        set_eflags_rel(ef, 3)
    else:
        set_cc(f, 3)
    if underflow(f, fl):
        while npop > 0:
            do_pop(f)
            npop -= 1
    return 0

cdef int fpu_exec(Fpu* f, int esc, int modrm, uint8_t* mem, int op32, uint32_t* eflags) noexcept nogil:
    """Execute D8+esc modrm.  Memory forms: mem holds the loaded operand
    (fpu_mem_info) or receives the stored one (FX_MEM_OUT).  The caller has
    done the CR0/#NM and pending-#MF checks and saves the state to undo a
    faulting store."""
    cdef uint16_t fl = 0
    cdef int reg = (modrm >> 3) & 7
    cdef int rm = modrm & 7
    cdef int ret = 0, den = 0, ok, rel, cond, i
    cdef F80 y, x, t, res, ex
    cdef uint64_t q
    cdef int64_t iv
    cdef uint32_t ef
    esc &= 7
    if modrm < 0xC0:
        # ------------------------------------------------ memory forms
        if esc == 0 or esc == 2 or esc == 4 or esc == 6:
            if esc == 0:
                den = cvt32(rd32(mem), &y)
            elif esc == 4:
                den = cvt64(rd64(mem), &y)
            elif esc == 2:
                y = from_int(<int32_t>rd32(mem))
            else:
                y = from_int(<int16_t>rd16(mem))
            if empty_st(f, 0):
                if reg == 2 or reg == 3:
                    cmp_empty(f, reg - 2, 0, eflags, &fl)
                elif underflow(f, &fl):
                    setst(f, 0, indefinite())
            elif reg == 2 or reg == 3:
                cmp_op(f, y, den, 0, reg - 2, 0, eflags, &fl)
            else:
                arith(f, reg, getst(f, 0), y, den, 0, 0, &fl)
            finish(f, fl)
            return 0
        if esc == 1 and reg == 0 or esc == 5 and reg == 0 or esc == 3 and (reg == 0 or reg == 5) \
                or esc == 7 and (reg == 0 or reg == 4 or reg == 5):
            # loads: fld m32/m64/m80, fild m16/m32/m64, fbld
            ok = 1
            i = overflow_chk(f, &fl)
            if i == 1:
                do_push(f, indefinite())
            if i != 0:
                finish(f, fl)
                return 0
            if esc == 1:
                ok = fld_real(y, cvt32(rd32(mem), &y), f.cw, &y, &fl)
            elif esc == 5:
                ok = fld_real(y, cvt64(rd64(mem), &y), f.cw, &y, &fl)
            elif esc == 3 and reg == 0:
                y = from_int(<int32_t>rd32(mem))
            elif esc == 3:
                y = rd80(mem)
            elif reg == 0:
                y = from_int(<int16_t>rd16(mem))
            elif reg == 5:
                y = from_int(<int64_t>rd64(mem))
            else:
                y = bcd_load(mem)
            if ok:
                do_push(f, y)
            finish(f, fl)
            return 0
        if esc == 1 and reg == 4 or esc == 5 and reg == 4:        # fldenv / frstor
            fpu_load_env(f, mem, op32)
            if esc == 5:
                for i in range(8):
                    f.r[(top_of(f) + i) & 7] = rd80(mem + (28 if op32 else 14) + 10 * i)
            return FX_CTRL
        if esc == 1 and reg == 5:                                  # fldcw
            f.cw = (rd16(mem) & 0x1F3F) | 0x0040
            finish(f, f.sw & SW_C1)
            return FX_CTRL
        if esc == 1 and reg == 6 or esc == 5 and reg == 6:        # fnstenv / fnsave
            fpu_store_env(f, mem, op32)
            if esc == 5:
                for i in range(8):
                    wr80(mem + (28 if op32 else 14) + 10 * i, f.r[(top_of(f) + i) & 7])
                fpu_init(f)
            else:
                f.cw |= 0x3F        # FNSTENV masks all exceptions after storing
            return FX_CTRL | FX_MEM_OUT | FX_NOWAIT
        if esc == 1 and reg == 7:                                  # fnstcw
            wr16(mem, f.cw)
            return FX_CTRL | FX_MEM_OUT | FX_NOWAIT
        if esc == 5 and reg == 7:                                  # fnstsw m16
            wr16(mem, f.sw)
            return FX_CTRL | FX_MEM_OUT | FX_NOWAIT
        # stores: fst(p) m32/m64, fist(p) m16/m32/m64, fstp m80, fbstp
        fl = 0
        if empty_st(f, 0):
            if not underflow(f, &fl):
                finish(f, fl)
                return 0
            ok = 1
            if esc == 1:
                wr32(mem, 0xFFC00000ULL)
            elif esc == 5:
                q = 0xFFF8000000000000ULL
                memcpy(mem, &q, 8)
            elif esc == 3 and reg == 7:
                wr80(mem, indefinite())
            elif esc == 7 and reg == 6:
                memset(mem, 0, 10)
                mem[7] = 0xC0
                mem[8] = 0xFF
                mem[9] = 0xFF
            elif esc == 3:
                wr32(mem, 0x80000000ULL)
            elif esc == 7 and reg == 7:
                q = J
                memcpy(mem, &q, 8)
            else:
                wr16(mem, 0x8000)
        else:
            x = getst(f, 0)
            if esc == 1:
                ok = st_real(x, 24, f.cw, &q, &fl)
                if ok:
                    wr32(mem, <uint32_t>q)
            elif esc == 5:
                ok = st_real(x, 53, f.cw, &q, &fl)
                if ok:
                    memcpy(mem, &q, 8)
            elif esc == 3 and reg == 7:
                wr80(mem, x)
                ok = 1
            elif esc == 7 and reg == 6:
                ok = bcd_store(x, f.cw, mem, &fl)
            else:
                i = 32 if esc == 3 else (64 if reg == 7 else 16)
                ok = to_int(x, i, f.cw, &iv, &fl)
                if ok:
                    if i == 64:
                        memcpy(mem, &iv, 8)
                    elif i == 32:
                        wr32(mem, <uint32_t>iv)
                    else:
                        wr16(mem, <uint16_t>iv)
        if ok:
            ret = FX_MEM_OUT
            if reg == 3 or (esc == 3 and reg == 7) or (esc == 7 and reg >= 6):
                do_pop(f)
        finish(f, fl)
        return ret
    # ---------------------------------------------------- register forms
    if esc == 0 or esc == 4 or esc == 6:
        if esc == 6 and reg == 3 and rm != 1:
            return FX_UD
        if esc == 6 and reg == 3:           # fcompp
            if empty_st(f, 0) or empty_st(f, 1):
                cmp_empty(f, 2, 0, eflags, &fl)
            else:
                cmp_op(f, getst(f, 1), 0, 0, 2, 0, eflags, &fl)
            finish(f, fl)
            return 0
        if reg == 2 or reg == 3:            # fcom/fcomp (DC/DE aliases too)
            i = 1 if (reg == 3 or esc == 6) else 0
            if empty_st(f, 0) or empty_st(f, rm):
                cmp_empty(f, i, 0, eflags, &fl)
            else:
                cmp_op(f, getst(f, rm), 0, 0, i, 0, eflags, &fl)
            finish(f, fl)
            return 0
        if empty_st(f, 0) or empty_st(f, rm):
            if underflow(f, &fl):
                setst(f, 0 if esc == 0 else rm, indefinite())
                if esc == 6:
                    do_pop(f)
        else:
            arith(f, reg, getst(f, 0), getst(f, rm), 0, 0 if esc == 0 else rm,
                  1 if esc == 6 else 0, &fl)
        finish(f, fl)
        return 0
    if esc == 1:
        if reg == 0:                        # fld st(i)
            if empty_st(f, rm):
                # underflow wins: the indefinite is pushed without an overflow check
                if underflow(f, &fl):
                    do_push(f, indefinite())
                finish(f, fl)
                return 0
            y = getst(f, rm)
            i = overflow_chk(f, &fl)
            if i == 1:
                do_push(f, indefinite())
            elif i == 0:
                do_push(f, y)
            finish(f, fl)
            return 0
        if reg == 1:                        # fxch
            if empty_st(f, 0) or empty_st(f, rm):
                if not underflow(f, &fl):
                    finish(f, fl)
                    return 0
                if empty_st(f, 0):
                    setst(f, 0, indefinite())
                if empty_st(f, rm):
                    setst(f, rm, indefinite())
            x = getst(f, 0)
            setst(f, 0, getst(f, rm))
            setst(f, rm, x)
            finish(f, fl)
            return 0
        if reg == 3:                        # fstp1 (undocumented alias of DD D8+i)
            if empty_st(f, 0):
                # the host x87 just pops an empty ST(0) here (no #IS, ST(i) kept)
                do_pop(f)
                finish(f, 0)
                return 0
            return st_reg(f, rm, 1)
        if modrm == 0xD0:                   # fnop
            finish(f, 0)
            return 0
        if modrm == 0xE0 or modrm == 0xE1:  # fchs / fabs
            if empty_st(f, 0):
                if underflow(f, &fl):
                    setst(f, 0, indefinite())
            else:
                x = getst(f, 0)
                if modrm == 0xE0:
                    x.se ^= 0x8000
                else:
                    x.se &= 0x7FFF
                setst(f, 0, x)
            finish(f, fl)
            return 0
        if modrm == 0xE4:                   # ftst
            if empty_st(f, 0):
                cmp_empty(f, 0, 0, eflags, &fl)
            else:
                cmp_op(f, mk(0, 0, 0), 0, 0, 0, 0, eflags, &fl)
            finish(f, fl)
            return 0
        if modrm == 0xE5:                   # fxam
            x = getst(f, 0)
            f.sw &= ~(SW_C0 | SW_C1 | SW_C2 | SW_C3)
            if x.se & 0x8000:
                f.sw |= SW_C1
            if empty_st(f, 0):
                f.sw |= SW_C3 | SW_C0
            else:
                t.m = 0
                i = unpack(x).cls
                if i == K_NORM:
                    f.sw |= (SW_C3 | SW_C2) if unpack(x).den else SW_C2
                elif i == K_ZERO:
                    f.sw |= SW_C3
                elif i == K_INF:
                    f.sw |= SW_C2 | SW_C0
                elif i == K_QNAN or i == K_SNAN:
                    f.sw |= SW_C0
            finish(f, f.sw & SW_C1)
            return 0
        if 0xE8 <= modrm <= 0xEE:           # constants
            i = overflow_chk(f, &fl)
            if i == 1:
                do_push(f, indefinite())
            elif i == 0:
                do_push(f, fconst(modrm - 0xE8, f.cw))
            finish(f, fl)
            return 0
        if modrm == 0xF6 or modrm == 0xF7:  # fdecstp / fincstp
            settop(f, top_of(f) + (1 if modrm == 0xF7 else -1))
            finish(f, 0)
            return 0
        if modrm == 0xFA or modrm == 0xFC:  # fsqrt / frndint
            if empty_st(f, 0):
                if underflow(f, &fl):
                    setst(f, 0, indefinite())
            else:
                if modrm == 0xFA:
                    ok = f_sqrt(getst(f, 0), f.cw, pc_bits(f.cw), &res, &fl)
                else:
                    ok = f_rndint(getst(f, 0), f.cw, &res, &fl)
                if ok:
                    setst(f, 0, res)
            finish(f, fl)
            return 0
        if modrm == 0xFD or modrm == 0xF8 or modrm == 0xF5:     # fscale / fprem / fprem1
            if empty_st(f, 0) or empty_st(f, 1):
                if underflow(f, &fl):
                    setst(f, 0, indefinite())
            else:
                if modrm == 0xFD:
                    ok = f_scale(getst(f, 0), getst(f, 1), f.cw, &res, &fl)
                else:
                    f.sw &= ~(SW_C0 | SW_C2 | SW_C3)
                    ok = f_prem(getst(f, 0), getst(f, 1), 1 if modrm == 0xF5 else 0, f.cw, &res, &fl)
                    f.sw |= fl & (SW_C0 | SW_C2 | SW_C3)
                    fl &= ~(SW_C0 | SW_C2 | SW_C3)
                if ok:
                    setst(f, 0, res)
            finish(f, fl)
            return 0
        if modrm == 0xF4:                   # fxtract
            if empty_st(f, 0):
                if not underflow(f, &fl):
                    finish(f, fl)
                    return 0
                setst(f, 0, indefinite())
                do_push(f, indefinite())
                finish(f, fl)
                return 0
            i = overflow_chk(f, &fl)
            if i == 1:
                setst(f, 0, indefinite())
                do_push(f, indefinite())
            elif i == 0:
                if f_xtract(getst(f, 0), f.cw, &res, &ex, &fl):
                    setst(f, 0, ex)
                    do_push(f, res)
            finish(f, fl)
            return 0
        if modrm >= 0xF0:
            ok = transcendental(f, modrm, &fl)
            if ok < 0:
                return FX_UD
            finish(f, fl)
            return 0
        return FX_UD
    if esc == 2 or (esc == 3 and reg < 4):  # fcmovcc
        if esc == 2 and modrm == 0xE9:      # fucompp
            if empty_st(f, 0) or empty_st(f, 1):
                cmp_empty(f, 2, 0, eflags, &fl)
            else:
                cmp_op(f, getst(f, 1), 0, 1, 2, 0, eflags, &fl)
            finish(f, fl)
            return 0
        if reg >= 4:
            return FX_UD
        ef = eflags[0]
        if reg == 0:
            cond = ef & 1
        elif reg == 1:
            cond = ef & 0x40
        elif reg == 2:
            cond = ef & 0x41
        else:
            cond = ef & 4
        cond = (cond != 0) ^ (esc == 3)
        if empty_st(f, 0) or empty_st(f, rm):
            if underflow(f, &fl):
                setst(f, 0, indefinite())
        elif cond:
            setst(f, 0, getst(f, rm))
        finish(f, fl)
        return 0
    if esc == 3:
        if modrm == 0xE2:                   # fnclex
            f.sw &= ~(0x00FF | SW_B)
            return FX_CTRL | FX_NOWAIT
        if modrm == 0xE3:                   # fninit
            fpu_init(f)
            return FX_CTRL | FX_NOWAIT
        if modrm == 0xE0 or modrm == 0xE1 or modrm == 0xE4:     # fneni fndisi fnsetpm: no-ops on a 387+
            return FX_CTRL | FX_NOWAIT
        if reg == 5 or reg == 6:            # fucomi / fcomi
            if empty_st(f, 0) or empty_st(f, rm):
                cmp_empty(f, 0, 1, eflags, &fl)
            else:
                cmp_op(f, getst(f, rm), 0, 1 if reg == 5 else 0, 0, 1, eflags, &fl)
            finish(f, fl)
            return FX_EFLAGS
        return FX_UD
    if esc == 5:
        if reg == 0:                        # ffree
            f.empty |= 1 << ph(f, rm)
            finish(f, 0)
            return 0
        if reg == 1:                        # fxch4 alias
            return fpu_exec(f, 1, 0xC8 | rm, mem, op32, eflags)
        if reg == 2 or reg == 3:            # fst / fstp st(i)
            return st_reg(f, rm, reg == 3)
        if reg == 4 or reg == 5:            # fucom / fucomp
            if empty_st(f, 0) or empty_st(f, rm):
                cmp_empty(f, reg - 4, 0, eflags, &fl)
            else:
                cmp_op(f, getst(f, rm), 0, 1, reg - 4, 0, eflags, &fl)
            finish(f, fl)
            return 0
        return FX_UD
    # esc == 7
    if reg == 0:                            # ffreep (undocumented, P6 has it)
        f.empty |= 1 << ph(f, rm)
        do_pop(f)
        finish(f, 0)
        return 0
    if reg == 1:
        return fpu_exec(f, 1, 0xC8 | rm, mem, op32, eflags)
    if reg == 2 or reg == 3:                # fstp8 / fstp9 aliases
        return st_reg(f, rm, 1)
    if modrm == 0xE0:                       # fnstsw ax
        wr16(mem, f.sw)
        return FX_CTRL | FX_AX | FX_NOWAIT
    if reg == 5 or reg == 6:                # fucomip / fcomip
        if empty_st(f, 0) or empty_st(f, rm):
            cmp_empty(f, 1, 1, eflags, &fl)
        else:
            cmp_op(f, getst(f, rm), 0, 1 if reg == 5 else 0, 1, 1, eflags, &fl)
        finish(f, fl)
        return FX_EFLAGS
    return FX_UD

cdef int st_reg(Fpu* f, int i, int popit) noexcept nogil:
    cdef uint16_t fl = 0
    if empty_st(f, 0):
        if not underflow(f, &fl):
            finish(f, fl)
            return 0
        setst(f, i, indefinite())
    else:
        setst(f, i, getst(f, 0))
    if popit:
        do_pop(f)
    finish(f, fl)
    return 0

# ----------------------------------------------------------------------------
# Transcendentals: a 128-bit significand float (XF) evaluated with series,
# rounded once to 64 bits.  sin/cos/tan reduce by pi/2 the way the x87 does,
# with pi to 66 bits (so results near multiples of pi match the hardware's,
# not the true function's).

ctypedef struct XF:
    uint64_t h          # significand h:l, bit 127 set (unless zero)
    uint64_t l
    int32_t e           # value = h:l * 2^(e - 127)
    int s               # sign
    int z               # zero

cdef inline XF xf_make(uint64_t h, uint64_t l, int32_t e, int s) noexcept nogil:
    cdef XF r
    r.h = h
    r.l = l
    r.e = e
    r.s = s
    r.z = 0
    return r

cdef inline XF xf_zero() noexcept nogil:
    cdef XF r = xf_make(0, 0, 0, 0)
    r.z = 1
    return r

cdef inline XF xf_norm(uint64_t h, uint64_t l, int32_t e, int s) noexcept nogil:
    if h == 0 and l == 0:
        return xf_zero()
    e -= norm128(&h, &l)
    return xf_make(h, l, e, s)

cdef inline XF xf_from_u(U* A) noexcept nogil:
    return xf_make(A.sig, 0, A.exp - BIAS, A.sign)

cdef inline XF xf_int(uint64_t v) noexcept nogil:
    return xf_norm(0, v, 127, 0)

cdef XF xf_mul(XF a, XF b) noexcept nogil:
    cdef uint64_t p1h, p1l, p2h, p2l, p3h, p3l, p4h, p4l, mid_l, mid_h, c, hi, lo
    if a.z or b.z:
        return xf_zero()
    kw_mul64(a.h, b.h, &p1h, &p1l)      # << 128
    kw_mul64(a.h, b.l, &p2h, &p2l)      # << 64
    kw_mul64(a.l, b.h, &p3h, &p3l)      # << 64
    kw_mul64(a.l, b.l, &p4h, &p4l)
    # bits 64..127 of the product: p2l + p3l + p4h
    mid_l = p2l + p3l
    c = 1 if mid_l < p2l else 0
    mid_l += p4h
    if mid_l < p4h:
        c += 1
    # bits 128..255: p1 + p2h + p3h + carries
    lo = p1l + p2h
    hi = p1h + (1 if lo < p2h else 0)
    lo += p3h
    if lo < p3h:
        hi += 1
    lo += c
    if lo < c:
        hi += 1
    cdef int32_t e = a.e + b.e + 1
    if not (hi >> 63):
        hi = (hi << 1) | (lo >> 63)
        lo = (lo << 1) | (mid_l >> 63)
        e -= 1
    return xf_make(hi, lo, e, a.s ^ b.s)

cdef XF xf_add(XF a, XF b) noexcept nogil:
    cdef XF t
    cdef int32_t d
    cdef uint64_t h, l, c
    if a.z:
        return b
    if b.z:
        return a
    if a.e < b.e or (a.e == b.e and (a.h < b.h or (a.h == b.h and a.l < b.l))):
        t = a
        a = b
        b = t
    d = a.e - b.e
    if d >= 128:
        return a
    shr128(&b.h, &b.l, d)
    if a.s == b.s:
        l = a.l + b.l
        c = 1 if l < a.l else 0
        h = a.h + b.h + c
        if h < a.h or (c and h == a.h):
            l = (l >> 1) | (h << 63)
            h = (h >> 1) | J
            return xf_make(h, l, a.e + 1, a.s)
        return xf_make(h, l, a.e, a.s)
    l = a.l - b.l
    c = 1 if a.l < b.l else 0
    h = a.h - b.h - c
    return xf_norm(h, l, a.e, a.s)

cdef inline XF xf_neg(XF a) noexcept nogil:
    a.s ^= 1
    return a

cdef XF xf_div(XF a, XF b) noexcept nogil:
    """a / b by restoring division, 128 quotient bits."""
    cdef uint64_t rh = a.h, rl = a.l, qh = 0, ql = 0, top = 0, bit, c
    cdef int i
    if a.z:
        return a
    for i in range(128):
        bit = 1 if (top or rh > b.h or (rh == b.h and rl >= b.l)) else 0
        if bit:
            c = 1 if rl < b.l else 0
            rl -= b.l
            rh = rh - b.h - c
        qh = (qh << 1) | (ql >> 63)
        ql = (ql << 1) | bit
        top = rh >> 63
        rh = (rh << 1) | (rl >> 63)
        rl <<= 1
    return xf_norm(qh, ql, a.e - b.e, a.s ^ b.s)

cdef inline XF xf_pi2() noexcept nogil:
    return xf_make(0xc90fdaa22168c234ULL, 0xc4c6628b80dc1cd1ULL, 0, 0)

cdef inline XF xf_pi() noexcept nogil:
    return xf_make(0xc90fdaa22168c234ULL, 0xc4c6628b80dc1cd1ULL, 1, 0)

cdef inline XF xf_ln2() noexcept nogil:
    return xf_make(0xb17217f7d1cf79abULL, 0xc9e3b39803f2f6afULL, -1, 0)

cdef inline XF xf_log2e() noexcept nogil:
    return xf_make(0xb8aa3b295c17f0bbULL, 0xbe87fed0691d3e88ULL, 0, 0)

cdef XF xf_atan_tab(int k) noexcept nogil:
    if k == 1:
        return xf_make(0xfeadd4d5617b6e32ULL, 0xc897989f3e888ef7ULL, -4, 0)
    if k == 2:
        return xf_make(0xfadbafc96406eb15ULL, 0x6dc79ef5f7a217e5ULL, -3, 0)
    if k == 3:
        return xf_make(0xb7b0ca0f26f78473ULL, 0x8aa32122dcfe4483ULL, -2, 0)
    if k == 4:
        return xf_make(0xed63382b0dda7b45ULL, 0x6fe445ecbc3a8d03ULL, -2, 0)
    if k == 5:
        return xf_make(0x8f005d5ef7f59f9bULL, 0x5c835e1665c43747ULL, -1, 0)
    if k == 6:
        return xf_make(0xa4bc7d1934f70924ULL, 0x19a87f2a457dac9eULL, -1, 0)
    if k == 7:
        return xf_make(0xb8053e2bc2319e73ULL, 0xcb2da55210a4443dULL, -1, 0)
    return xf_make(0xc90fdaa22168c234ULL, 0xc4c6628b80dc1cd1ULL, -1, 0)

cdef XF xf_sin_series(XF r, int cosine) noexcept nogil:
    """sin(r) or cos(r) for |r| <= ~pi/4 (Taylor series to 2^-130)."""
    cdef XF r2 = xf_mul(r, r)
    cdef XF term, sum_
    cdef int k
    if cosine:
        term = xf_int(1)
        k = 1
    else:
        term = r
        k = 2
    sum_ = term
    if r.z:
        return sum_
    while True:
        term = xf_div(xf_mul(term, r2), xf_int(<uint64_t>(k * (k + 1))))
        term.s ^= 1
        sum_ = xf_add(sum_, term)
        k += 2
        if term.z or term.e < sum_.e - 132 or k > 400:
            break
    return sum_

cdef XF xf_expm1(XF t) noexcept nogil:
    """e^t - 1 for |t| < 1."""
    cdef XF term = t, sum_ = t
    cdef int k = 2
    if t.z:
        return t
    while True:
        term = xf_div(xf_mul(term, t), xf_int(<uint64_t>k))
        sum_ = xf_add(sum_, term)
        k += 1
        if term.z or term.e < sum_.e - 132 or k > 400:
            break
    return sum_

cdef XF xf_atanh2(XF z) noexcept nogil:
    """2 atanh(z) = ln((1+z)/(1-z)) for |z| < 0.18."""
    cdef XF z2 = xf_mul(z, z)
    cdef XF p = z, sum_ = z, term
    cdef int k = 3
    if z.z:
        return z
    while True:
        p = xf_mul(p, z2)
        term = xf_div(p, xf_int(<uint64_t>k))
        sum_ = xf_add(sum_, term)
        k += 2
        if term.z or term.e < sum_.e - 132 or k > 400:
            break
    sum_.e += 1
    return sum_

cdef XF xf_log2(XF x) noexcept nogil:
    """log2(x) for x > 0."""
    cdef int32_t e = x.e
    cdef XF m = x, z, one = xf_int(1)
    m.e = 0
    # m in [1, 2); bring it to [sqrt(1/2), sqrt(2))
    if m.h > 0xB504F333F9DE6484ULL:
        m.e = -1
        e += 1
    z = xf_div(xf_add(m, xf_neg(one)), xf_add(m, one))
    return xf_add(xf_mul(xf_atanh2(z), xf_log2e()), xf_norm(0, <uint64_t>(-e if e < 0 else e), 127, 1 if e < 0 else 0))

cdef XF xf_atan01(XF t) noexcept nogil:
    """atan(t) for 0 <= t <= 1."""
    cdef XF c, u, u2, p, sum_, term
    cdef int k, n
    cdef uint64_t h, l
    if t.z:
        return t
    # k = round(8t)
    if t.e >= 0:
        k = 8
    elif t.e < -4:
        k = 0
    else:
        k = <int>((t.h >> (63 - 3 - t.e - 1)) + 1) >> 1     # 8t rounded
    if k > 8:
        k = 8
    if k == 0:
        u = t
    else:
        c = xf_norm(0, <uint64_t>k, 124, 0)                   # k/8
        u = xf_div(xf_add(t, xf_neg(c)), xf_add(xf_int(1), xf_mul(t, c)))
    u2 = xf_mul(u, u)
    p = u
    sum_ = u
    n = 3
    if not u.z:
        while True:
            p = xf_mul(p, u2)
            term = xf_div(p, xf_int(<uint64_t>n))
            if (n & 3) == 3:
                term.s ^= 1
            sum_ = xf_add(sum_, term)
            n += 2
            if term.z or term.e < sum_.e - 132 or n > 400:
                break
    if k:
        sum_ = xf_add(xf_atan_tab(k), sum_)
    return sum_

cdef int xf_round(XF x, uint16_t cw, F80* res, uint16_t* fl) noexcept nogil:
    """Round x to the 80-bit result (64 bits, RC); PE (and C1) as the x87."""
    if x.z:
        res[0] = mk(x.s, 0, 0)
        return 1
    return round80(x.s, x.e + BIAS, x.h, x.l | 1, 64, cw, res, fl)

cdef int reduce_pi2(U* A, XF* r, int* quadrant) noexcept nogil:
    """x = q * P + r with P = pi/2 rounded to 66 bits as the x87 (P6 and later)
    holds it, |r| <= P/2; returns 0 if |x| >= 2^63 (out of range)."""
    cdef uint64_t P66h = 0x3, P66l = 0x243F6A8885A308D3ULL    # floor(pi * 2^64) to 66 bits
    cdef uint64_t rh, rl, q = 0, c
    cdef int i, n
    cdef int32_t ex = A.exp - BIAS          # x = sig * 2^(ex - 63)
    if ex >= 63:
        return 0
    if ex < -1:                             # |x| < 1/2 < pi/4: no reduction
        r[0] = xf_from_u(A)
        quadrant[0] = 0
        return 1
    # P66 * 2^-65 = pi/2 (66 significant bits): x / P = sig * 2^(ex - 63 + 65) / P66
    rh = 0
    rl = A.sig
    n = ex + 2                              # doubling steps (ex - 63 + 65)
    for i in range(n + 1):
        if i:
            rh = (rh << 1) | (rl >> 63)
            rl <<= 1
            q <<= 1
        if rh > P66h or (rh == P66h and rl >= P66l):
            c = 1 if rl < P66l else 0
            rl -= P66l
            rh = rh - P66h - c
            q |= 1
    # r = rh:rl * 2^-65; to |r| <= P/2
    if (rh << 1 | rl >> 63) > P66h or ((rh << 1 | rl >> 63) == P66h and (rl << 1) > P66l):
        c = 1 if P66l < rl else 0
        rl = P66l - rl
        rh = P66h - rh - c
        q += 1
        r[0] = xf_norm(rh, rl, 127 - 65, A.sign ^ 1)
    else:
        r[0] = xf_norm(rh, rl, 127 - 65, A.sign)
    if A.sign:
        q = <uint64_t>0 - q
    quadrant[0] = <int>(q & 3)
    return 1

cdef int trig(U* A, int which, XF* out1, XF* out2) noexcept nogil:
    """which 0: sin, 1: cos, 2: tan (out1), 3: sincos (out1 sin, out2 cos)."""
    cdef XF r, s, c, t
    cdef int q
    if not reduce_pi2(A, &r, &q):
        return 0
    s = xf_sin_series(r, 0)
    c = xf_sin_series(r, 1)
    if q & 1:
        t = s
        s = c
        c = xf_neg(t)
    if q & 2:
        s = xf_neg(s)
        c = xf_neg(c)
    if which == 0:
        out1[0] = s
    elif which == 1:
        out1[0] = c
    elif which == 2:
        out1[0] = xf_div(s, c)
    else:
        out1[0] = s
        out2[0] = c
    return 1

cdef int transcendental(Fpu* f, int modrm, uint16_t* fl) noexcept nogil:
    """D9 F0-F3, F9, FB, FE, FF."""
    cdef U A, B
    cdef F80 a, b, res, res2
    cdef XF x, y, r1, r2
    cdef int two = modrm == 0xF1 or modrm == 0xF3 or modrm == 0xF9
    cdef int ok, pushes = modrm == 0xF2 or modrm == 0xFB
    if empty_st(f, 0) or (two and empty_st(f, 1)):
        if underflow(f, fl):
            if two:
                do_pop(f)
                setst(f, 0, indefinite())
            else:
                setst(f, 0, indefinite())
                if pushes:
                    do_push(f, indefinite())
        return 0
    if pushes and not ((f.empty >> ph(f, 7)) & 1):
        fl[0] |= SW_IE | SW_SF | SW_C1
        if f.cw & SW_IE:
            setst(f, 0, indefinite())
            do_push(f, indefinite())
        return 0
    a = getst(f, 0)
    A = unpack(a)
    f.sw &= ~SW_C2
    if two:
        b = getst(f, 1)
        B = unpack(b)
        ok = pre2(b, &B, a, &A, f.cw, &res, fl)
        if ok < 0:
            ok = two_arg(modrm, &A, &B, a, b, f.cw, &res, fl)
        if ok:
            do_pop(f)
            setst(f, 0, res)
        return 0
    # one operand: f2xm1, fsin, fcos, fptan, fsincos
    if A.cls == K_UNSUP or A.cls == K_SNAN or A.cls == K_QNAN or \
            (A.cls == K_INF and modrm != 0xF0):
        if A.cls == K_INF or A.cls == K_UNSUP:
            ok = invalid(f.cw, &res, fl)
        else:
            ok = nan2(a, &A, a, &A, f.cw, &res, fl)
        if ok:
            setst(f, 0, res)
            if pushes:
                do_push(f, res)
        return 0
    if denormal(&A, NULL, f.cw, fl):
        return 0
    if modrm == 0xF0:                       # f2xm1
        if A.cls == K_ZERO:
            return 0
        if A.cls == K_INF:
            setst(f, 0, a if not A.sign else mk(1, BIAS, J))
            return 0
        if A.exp >= BIAS and not (A.exp == BIAS and A.sig == J):
            fl[0] |= SW_PE                  # |x| > 1: outside the domain, the host leaves ST(0)
            return 0
        x = xf_expm1(xf_mul(xf_from_u(&A), xf_ln2()))
        if xf_round(x, f.cw, &res, fl):
            setst(f, 0, res)
        return 0
    if A.cls == K_ZERO:
        if modrm == 0xFF:
            setst(f, 0, mk(0, BIAS, J))
        elif modrm == 0xFB:                 # fsincos: ST(1) = sin = x, ST(0) = cos = 1
            do_push(f, mk(0, BIAS, J))
        elif modrm == 0xF2:
            do_push(f, mk(0, BIAS, J))
        return 0
    x = xf_from_u(&A)
    if modrm == 0xFE:
        ok = trig(&A, 0, &r1, &r2)
    elif modrm == 0xFF:
        ok = trig(&A, 1, &r1, &r2)
    elif modrm == 0xF2:
        ok = trig(&A, 2, &r1, &r2)
    else:
        ok = trig(&A, 3, &r1, &r2)
    if not ok:
        f.sw |= SW_C2                       # |x| >= 2^63: operand left alone
        return 0
    if modrm == 0xFB:
        if xf_round(r1, f.cw, &res, fl) and xf_round(r2, f.cw, &res2, fl):
            setst(f, 0, res)
            do_push(f, res2)
        return 0
    if xf_round(r1, f.cw, &res, fl):
        setst(f, 0, res)
        if modrm == 0xF2:
            do_push(f, mk(0, BIAS, J))
    return 0

cdef int two_arg(int modrm, U* A, U* B, F80 a, F80 b, uint16_t cw, F80* res, uint16_t* fl) noexcept nogil:
    """fyl2x (F1), fpatan (F3), fyl2xp1 (F9): A = ST(0) (x), B = ST(1) (y)."""
    cdef XF x, y, t
    cdef int swap
    if modrm == 0xF3:
        if denormal(A, B, cw, fl):
            return 0
        return f_atan2(A, B, cw, res, fl)
    if modrm == 0xF1:
        if A.sign and A.cls != K_ZERO:
            return invalid(cw, res, fl)
        if A.cls == K_ZERO and B.cls == K_ZERO:
            return invalid(cw, res, fl)
        if A.cls == K_INF and B.cls == K_ZERO:
            return invalid(cw, res, fl)
        if A.cls != K_ZERO and denormal(A, B, cw, fl):
            return 0
        if A.cls == K_ZERO:
            if B.cls == K_INF:
                res[0] = mk(B.sign ^ 1, 0x7FFF, J)
                return 1
            fl[0] |= SW_ZE
            if not (cw & SW_ZE):
                return 0
            res[0] = mk(B.sign ^ 1, 0x7FFF, J)
            return 1
        if A.cls == K_INF:
            res[0] = mk(B.sign, 0x7FFF, J)
            return 1
        if A.exp == BIAS and A.sig == J:        # log2(1) = 0
            if B.cls == K_INF:
                return invalid(cw, res, fl)
            res[0] = mk(B.sign ^ (1 if (cw >> 10) & 3 == RC_RD else 0) if False else B.sign, 0, 0)
            return 1
        t = xf_log2(xf_from_u(A))
        if B.cls == K_INF:
            res[0] = mk(B.sign ^ t.s, 0x7FFF, J)
            return 1
        if B.cls == K_ZERO:
            res[0] = mk(B.sign ^ t.s, 0, 0)
            return 1
        return xf_round(xf_mul(t, xf_from_u(B)), cw, res, fl)
    # fyl2xp1: y * log2(x + 1)
    if A.cls == K_INF:
        if A.sign or B.cls == K_ZERO:
            return invalid(cw, res, fl)
        if denormal(A, B, cw, fl):
            return 0
        res[0] = mk(B.sign, 0x7FFF, J)
        return 1
    if denormal(A, B, cw, fl):
        return 0
    if A.cls == K_ZERO:
        if B.cls == K_INF:
            return invalid(cw, res, fl)
        res[0] = mk(A.sign ^ B.sign, 0, 0)
        return 1
    if B.cls == K_ZERO:
        res[0] = mk(A.sign ^ B.sign, 0, 0)
        return 1
    if B.cls == K_INF:
        res[0] = mk(A.sign ^ B.sign, 0x7FFF, J)
        return 1
    x = xf_from_u(A)
    if A.exp < BIAS - 2:                    # |x| < 1/4: 2 atanh(x / (2 + x))
        t = xf_div(x, xf_add(xf_int(2), x))
        t = xf_mul(xf_atanh2(t), xf_log2e())
    else:                                   # outside the documented domain
        t = xf_add(xf_int(1), x)
        if t.z or t.s:
            # x <= -1: undefined; the host returns x itself, inexact
            fl[0] |= SW_PE
            res[0] = a
            return 1
        t = xf_log2(t)
    return xf_round(xf_mul(t, xf_from_u(B)), cw, res, fl)

cdef int f_atan2(U* X, U* Y, uint16_t cw, F80* res, uint16_t* fl) noexcept nogil:
    """fpatan: atan2(ST(1) = y, ST(0) = x) with the SDM's special cases."""
    cdef XF ax, ay, t, r
    cdef int sy = Y.sign, sx = X.sign
    if Y.cls == K_ZERO or (X.cls == K_INF and Y.cls != K_INF):
        if sx:
            r = xf_pi()
            r.s = sy
            return xf_round(r, cw, res, fl)
        res[0] = mk(sy, 0, 0)
        return 1
    if X.cls == K_ZERO or (Y.cls == K_INF and X.cls != K_INF):
        r = xf_pi2()
        r.s = sy
        return xf_round(r, cw, res, fl)
    if X.cls == K_INF:                  # both infinite
        r = xf_pi2()
        r.e -= 1                        # pi/4
        if sx:
            r = xf_add(xf_pi(), xf_neg(r))
        r.s = sy
        return xf_round(r, cw, res, fl)
    ax = xf_from_u(X)
    ay = xf_from_u(Y)
    ax.s = 0
    ay.s = 0
    if ay.e < ax.e or (ay.e == ax.e and (ay.h < ax.h or (ay.h == ax.h and ay.l <= ax.l))):
        r = xf_atan01(xf_div(ay, ax))
    else:
        r = xf_add(xf_pi2(), xf_neg(xf_atan01(xf_div(ax, ay))))
    if sx:
        r = xf_add(xf_pi(), xf_neg(r))
    r.s = sy
    return xf_round(r, cw, res, fl)

# ----------------------------------------------------------------------------
# Python access (tests, Machine/FlatCPU accessors)

def run(bytes state, bytes insn, bytes mem=b"", uint32_t eflags=0):
    """Execute one x87 instruction (insn: the escape byte, ModRM, any further
    bytes ignored) on a 108-byte FNSAVE image (32-bit format); the memory
    operand, if any, is `mem` (padded).  Returns (state108, mem16, eflags, fx)."""
    cdef Fpu f
    cdef uint8_t buf[128]
    cdef uint8_t img[108]
    cdef int fx, i
    cdef uint32_t ef = eflags
    if len(state) != 108:
        raise ValueError("state must be a 108-byte FNSAVE image")
    memset(buf, 0, sizeof(buf))
    memset(&f, 0, sizeof(Fpu))
    for i in range(min(len(mem), 128)):
        buf[i] = mem[i]
    for i in range(108):
        img[i] = state[i]
    fpu_load_env(&f, img, 1)
    for i in range(8):
        f.r[(top_of(&f) + i) & 7] = rd80(img + 28 + 10 * i)
    fx = fpu_exec(&f, insn[0] & 7, insn[1], buf, 1, &ef)
    fpu_store_env(&f, img, 1)
    for i in range(8):
        wr80(img + 28 + 10 * i, f.r[(top_of(&f) + i) & 7])
    return bytes(img[:108]), bytes(buf[:16]), ef, fx
