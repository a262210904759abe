# kw86/exec_bits.pxi -- bt bts btr btc, bsf bsr, setcc, cmovcc, bswap
# (included by exec_bcd.pxi).  Semantics: Intel SDM Vol. 2A "BT", "BTC",
# "BTR", "BTS", "BSF", "BSR", "BSWAP", "CMOVcc", Vol. 2B "SETcc".
#
# * bt*: CF = the selected bit; ZF unchanged; OF SF AF PF undefined (kw86
#   leaves them unchanged).  Register destination or immediate offset: the
#   offset is taken modulo the operand size.  Memory destination with a
#   register offset: the offset is SIGNED (-2^31 .. 2^31-1, or -2^15 ..
#   2^15-1 for 16-bit operands) and the operand-size unit at
#   ea + (offset >> 4 or 5) * (2 or 4) is accessed (SDM "BT", "bit base"
#   addressing, Vol. 2A §3.1.1.9), wrapped to the address size.
# * bsf/bsr: ZF = (source == 0).  With a zero source the SDM says the
#   destination is undefined; a P6 leaves it unchanged (as documented by AMD
#   and observed on Intel processors), and kw86 does so.  Other flags
#   undefined: left unchanged.
# * cmovcc: the source is read (memory: may fault) whatever the condition; a
#   false condition changes nothing (outside 64-bit mode a 32-bit destination
#   is not touched: the zero-extension rule is a 64-bit-mode rule, SDM Vol.
#   2A "CMOVcc" Operation).
# * bswap with a 16-bit operand: "undefined" (SDM Vol. 2A "BSWAP"); Intel
#   processors (P6 included) leave 0 in the 16-bit register (Bochs and the
#   recent SDM note agree): kw86 clears the low word.

cdef inline int bit_mem_addr(Cpu* c, const Insn* i, uint32_t off, int size, uint32_t* addr, uint32_t* bit) noexcept nogil:
    """The address and bit number of a bt* memory operand with the bit
    offset off (register form: signed displacement)."""
    cdef int32_t s
    cdef uint32_t a
    if i.ops[1].kind == OPK_REG:
        s = sx(off, size)
        if size == 4:
            a = ea(c, i) + (<uint32_t>(s >> 5) << 2)
        else:
            a = ea(c, i) + (<uint32_t>(s >> 4) << 1)
        if i.adsize == 2:
            a &= 0xFFFF
        addr[0] = a
        bit[0] = off & (size * 8 - 1)
    else:
        addr[0] = ea(c, i)
        bit[0] = off & (size * 8 - 1)
    return 0

cdef inline int bt_common(Cpu* c, const Insn* i, int kind) noexcept nogil:
    """kind: 0 bt, 1 bts, 2 btr, 3 btc."""
    cdef uint32_t off, v, bit, addr, nv, cr2
    cdef int size = i.ops[0].size
    if rd_op(c, i, 1, &off):
        return RC_FAULT
    if i.ops[0].kind == OPK_REG:
        v = rget(c, i.ops[0].reg, size)
        bit = off & (size * 8 - 1)
        addr = 0
    else:
        bit_mem_addr(c, i, off, size, &addr, &bit)
        cr2 = c.cr2
        if rd_mem(c, i.seg, addr, size, &v):
            return rmw_fault(c, i, addr, size, cr2) if kind else RC_FAULT
    if kind:
        if kind == 1:
            nv = v | ((<uint32_t>1) << bit)
        elif kind == 2:
            nv = v & ~((<uint32_t>1) << bit)
        else:
            nv = v ^ ((<uint32_t>1) << bit)
        if i.ops[0].kind == OPK_REG:
            rset(c, i.ops[0].reg, size, nv)
        elif wr_mem(c, i.seg, addr, size, nv):
            return RC_FAULT
    set_arith_flags(c, F_CF, (v >> bit) & 1)
    return RC_OK

cdef int op_bt(Cpu* c, const Insn* i) noexcept nogil:
    return bt_common(c, i, 0)

cdef int op_bts(Cpu* c, const Insn* i) noexcept nogil:
    return bt_common(c, i, 1)

cdef int op_btr(Cpu* c, const Insn* i) noexcept nogil:
    return bt_common(c, i, 2)

cdef int op_btc(Cpu* c, const Insn* i) noexcept nogil:
    return bt_common(c, i, 3)

cdef int op_bsf(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t v, k = 0
    if rd_op(c, i, 1, &v):
        return RC_FAULT
    v &= size_mask(i.ops[1].size)
    if v == 0:
        set_arith_flags(c, F_ZF, F_ZF)
        return RC_OK
    while not ((v >> k) & 1):
        k += 1
    rset(c, i.ops[0].reg, i.ops[0].size, k)
    set_arith_flags(c, F_ZF, 0)
    return RC_OK

cdef int op_bsr(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t v, k
    if rd_op(c, i, 1, &v):
        return RC_FAULT
    v &= size_mask(i.ops[1].size)
    if v == 0:
        set_arith_flags(c, F_ZF, F_ZF)
        return RC_OK
    k = 31
    while not ((v >> k) & 1):
        k -= 1
    rset(c, i.ops[0].reg, i.ops[0].size, k)
    set_arith_flags(c, F_ZF, 0)
    return RC_OK

cdef int op_setcc(Cpu* c, const Insn* i) noexcept nogil:
    return wr_op(c, i, 0, <uint32_t>cond(c, i.cc))

cdef int op_cmovcc(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t v
    if rd_op(c, i, 1, &v):
        return RC_FAULT
    if cond(c, i.cc):
        rset(c, i.ops[0].reg, i.ops[0].size, v)
    return RC_OK

cdef int op_bswap(Cpu* c, const Insn* i) noexcept nogil:
    cdef int r = i.ops[0].reg
    cdef uint32_t v = c.gpr[r]
    if i.ops[0].size == 2:
        c.gpr[r] = v & 0xFFFF0000u
        return RC_OK
    c.gpr[r] = (v >> 24) | ((v >> 8) & 0xFF00) | ((v << 8) & 0xFF0000) | (v << 24)
    return RC_OK

cdef register_bits():
    reg("bt", op_bt)
    reg("bts", op_bts)
    reg("btr", op_btr)
    reg("btc", op_btc)
    reg("bsf", op_bsf)
    reg("bsr", op_bsr)
    reg_all(["seto", "setno", "setb", "setae", "sete", "setne", "setbe", "seta",
             "sets", "setns", "setp", "setnp", "setl", "setge", "setle", "setg"], op_setcc)
    reg_all(["cmovo", "cmovno", "cmovb", "cmovae", "cmove", "cmovne", "cmovbe", "cmova",
             "cmovs", "cmovns", "cmovp", "cmovnp", "cmovl", "cmovge", "cmovle", "cmovg"],
            op_cmovcc)
    reg("bswap", op_bswap)

# --- per-form fast handlers (chosen at decode time by specialise_bits) -------------

cdef int op_cmovcc_rr32(Cpu* c, const Insn* i) noexcept nogil:
    if cond(c, i.cc):
        c.gpr[i.ops[0].reg] = c.gpr[i.ops[1].reg]
    return RC_OK

cdef int op_setcc_r8(Cpu* c, const Insn* i) noexcept nogil:
    rset(c, i.ops[0].reg, 1, <uint32_t>cond(c, i.cc))
    return RC_OK

cdef op_fn specialise_bits(op_fn fn, const Insn* i) noexcept nogil:
    if fn == op_cmovcc and i.ops[0].size == 4 and i.ops[1].kind == OPK_REG:
        return op_cmovcc_rr32
    if fn == op_setcc and i.ops[0].kind == OPK_REG:
        return op_setcc_r8
    return fn
