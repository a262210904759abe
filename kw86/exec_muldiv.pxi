# kw86/exec_muldiv.pxi -- mul, imul (one, two and three operands), div, idiv
# (included by exec_bcd.pxi).  Semantics: Intel SDM Vol. 2A "DIV", "IDIV",
# "IMUL", Vol. 2B "MUL".
#
# * mul/imul: CF = OF = "the upper half is significant" (mul: not zero;
#   imul: not the sign extension of the lower half).  SF ZF AF PF are
#   undefined; kw86 leaves SF/ZF/PF of the lower half of the result and AF 0
#   (the P6 values vary: opcode table basis).
# * div/idiv: #DE when the divisor is 0 or the quotient does not fit the
#   destination (idiv: -2^(n-1) .. 2^(n-1)-1 allowed, the SDM's "temp > 7FH
#   or temp < 80H" test); nothing is changed before the fault.  All six
#   flags are undefined: kw86 leaves them unchanged.

cdef inline void mul_flags(Cpu* c, uint32_t lo, int size, int cf) noexcept nogil:
    cdef uint32_t f = szp_flags(lo, size)
    if cf:
        f |= F_CF | F_OF
    set_all_arith(c, f)

cdef int op_mul(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t b, r
    cdef uint64_t p
    cdef int size = i.ops[0].size
    if rd_op(c, i, 0, &b):
        return RC_FAULT
    if size == 1:
        r = (c.gpr[0] & 0xFF) * b
        rset(c, 0, 2, r)
        mul_flags(c, r & 0xFF, 1, (r >> 8) != 0)
    elif size == 2:
        r = (c.gpr[0] & 0xFFFF) * b
        rset(c, 0, 2, r)
        rset(c, 2, 2, r >> 16)
        mul_flags(c, r & 0xFFFF, 2, (r >> 16) != 0)
    else:
        p = <uint64_t>c.gpr[0] * b
        c.gpr[0] = <uint32_t>p
        c.gpr[2] = <uint32_t>(p >> 32)
        mul_flags(c, <uint32_t>p, 4, (p >> 32) != 0)
    return RC_OK

cdef int op_imul(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t a, b, lo
    cdef int64_t p
    cdef int size = i.ops[0].size
    if i.nops == 1:
        if rd_op(c, i, 0, &b):
            return RC_FAULT
        p = <int64_t>sx(c.gpr[0], size) * sx(b, size)
        lo = <uint32_t>p & size_mask(size)
        if size == 1:
            rset(c, 0, 2, <uint32_t>p)
        elif size == 2:
            rset(c, 0, 2, <uint32_t>p)
            rset(c, 2, 2, <uint32_t>(p >> 16))
        else:
            c.gpr[0] = <uint32_t>p
            c.gpr[2] = <uint32_t>(<uint64_t>p >> 32)
        mul_flags(c, lo, size, p != sx(lo, size))
        return RC_OK
    if i.nops == 2:
        if rd_op(c, i, 0, &a) or rd_op(c, i, 1, &b):
            return RC_FAULT
    else:
        if rd_op(c, i, 1, &a) or rd_op(c, i, 2, &b):
            return RC_FAULT
    p = <int64_t>sx(a, size) * sx(b, size)
    lo = <uint32_t>p & size_mask(size)
    rset(c, i.ops[0].reg, size, lo)
    mul_flags(c, lo, size, p != sx(lo, size))
    return RC_OK

cdef int op_div(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t b, n
    cdef uint64_t d, q
    cdef int size = i.ops[0].size
    if rd_op(c, i, 0, &b):
        return RC_FAULT
    if b == 0:
        return raise_exc(c, X_DE)
    if size == 1:
        n = c.gpr[0] & 0xFFFF
        if n / b > 0xFF:
            return raise_exc(c, X_DE)
        rset(c, 0, 2, ((n % b) << 8) | (n / b))
    elif size == 2:
        n = ((c.gpr[2] & 0xFFFF) << 16) | (c.gpr[0] & 0xFFFF)
        if n / b > 0xFFFF:
            return raise_exc(c, X_DE)
        rset(c, 0, 2, n / b)
        rset(c, 2, 2, n % b)
    else:
        d = (<uint64_t>c.gpr[2] << 32) | c.gpr[0]
        q = d / b
        if q > 0xFFFFFFFFu:
            return raise_exc(c, X_DE)
        c.gpr[0] = <uint32_t>q
        c.gpr[2] = <uint32_t>(d % b)
    return RC_OK

cdef int op_idiv(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t b
    cdef int64_t n, d, q, r, lim
    cdef int size = i.ops[0].size
    if rd_op(c, i, 0, &b):
        return RC_FAULT
    d = sx(b, size)
    if d == 0:
        return raise_exc(c, X_DE)
    if size == 1:
        n = <int16_t>(c.gpr[0] & 0xFFFF)
    elif size == 2:
        n = <int32_t>(((c.gpr[2] & 0xFFFF) << 16) | (c.gpr[0] & 0xFFFF))
    else:
        n = <int64_t>((<uint64_t>c.gpr[2] << 32) | c.gpr[0])
        if d == -1 and <uint64_t>n == ((<uint64_t>1) << 63):
            return raise_exc(c, X_DE)        # the quotient 2^63 does not fit either
    q = n / d                                # C division: truncates toward zero
    r = n % d                                # remainder has the dividend's sign
    lim = (<int64_t>1) << (size * 8 - 1)
    if q >= lim or q < -lim:
        return raise_exc(c, X_DE)
    if size == 1:
        rset(c, 0, 2, ((<uint32_t>r & 0xFF) << 8) | (<uint32_t>q & 0xFF))
    elif size == 2:
        rset(c, 0, 2, <uint32_t>q)
        rset(c, 2, 2, <uint32_t>r)
    else:
        c.gpr[0] = <uint32_t>q
        c.gpr[2] = <uint32_t>r
    return RC_OK

cdef register_muldiv():
    reg("mul", op_mul)
    reg("imul", op_imul)
    reg("div", op_div)
    reg("idiv", op_idiv)

# --- per-form fast handler: imul r32, r/m32 (register) and imul r32, r32, imm --------

cdef int op_imul_r32(Cpu* c, const Insn* i) noexcept nogil:
    cdef int64_t p
    cdef uint32_t lo
    if i.nops == 2:
        p = <int64_t><int32_t>c.gpr[i.ops[0].reg] * <int32_t>c.gpr[i.ops[1].reg]
    else:
        p = <int64_t><int32_t>c.gpr[i.ops[1].reg] * <int32_t>i.imm
    lo = <uint32_t>p
    c.gpr[i.ops[0].reg] = lo
    # lazy: without overflow a logic op's flags, else CF = OF = 1 (CC_MULOV32)
    set_cc(c, CC_LOGIC if p == <int32_t>lo else CC_MULOV32, 4, 0, 0, lo)
    return RC_OK

cdef op_fn specialise_muldiv(op_fn fn, const Insn* i) noexcept nogil:
    if fn == op_imul and i.nops >= 2 and i.ops[0].size == 4 and i.ops[1].kind == OPK_REG:
        return op_imul_r32
    return fn
