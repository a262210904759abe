# kw86/exec_xchg.pxi -- xchg, xadd, cmpxchg, cmpxchg8b, ud0/ud1/ud2
# (included by exec_bcd.pxi).  Semantics: Intel SDM Vol. 2A "CMPXCHG",
# "CMPXCHG8B", "UD", Vol. 2B "XADD", "XCHG".
#
# Memory destinations: every read and the (only) write happen before a
# register changes, so a fault leaves the state untouched.  cmpxchg writes
# the destination back even when the comparison fails ("the destination
# operand is written back if the comparison fails", SDM CMPXCHG): a
# read-only destination faults whatever the outcome; cmpxchg8b likewise.

cdef int op_xchg(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t a, b
    if rmw_rd(c, i, &a) or rd_op(c, i, 1, &b):
        return RC_FAULT
    if i.ops[0].kind == OPK_MEM:
        if wr_op(c, i, 0, b):
            return RC_FAULT
        wr_op(c, i, 1, a)
        return RC_OK
    if wr_op(c, i, 1, a):
        return RC_FAULT
    wr_op(c, i, 0, b)
    return RC_OK

cdef int op_xadd(Cpu* c, const Insn* i) noexcept nogil:
    # TEMP = SRC + DEST; SRC = DEST; DEST = TEMP
    cdef uint32_t d, s, t
    cdef int size = i.ops[0].size
    if rmw_rd(c, i, &d) or rd_op(c, i, 1, &s):
        return RC_FAULT
    t = d + s
    if i.ops[0].kind == OPK_MEM:
        if wr_op(c, i, 0, t):
            return RC_FAULT
        rset(c, i.ops[1].reg, size, d)
    else:
        rset(c, i.ops[1].reg, size, d)
        rset(c, i.ops[0].reg, size, t)
    set_cc(c, CC_ADD, size, d, s, t)
    return RC_OK

cdef int op_cmpxchg(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t d, s, acc
    cdef int size = i.ops[0].size
    if rmw_rd(c, i, &d) or rd_op(c, i, 1, &s):
        return RC_FAULT
    acc = rget(c, 0, size)
    if acc == d:
        if wr_op(c, i, 0, s):
            return RC_FAULT
    else:
        if i.ops[0].kind == OPK_MEM and wr_op(c, i, 0, d):
            return RC_FAULT
        rset(c, 0, size, d)
    set_cc(c, CC_SUB, size, acc, d, acc - d)
    return RC_OK

cdef inline void put_le32(uint8_t* p, uint32_t v) noexcept nogil:
    p[0] = v & 0xFF
    p[1] = (v >> 8) & 0xFF
    p[2] = (v >> 16) & 0xFF
    p[3] = v >> 24

cdef int op_cmpxchg8b(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint8_t buf[8]
    cdef uint32_t lo, hi
    cdef uint32_t off, cr2
    if i.ops[0].kind != OPK_MEM:
        return raise_exc(c, X_UD)
    off = ea(c, i)
    cr2 = c.cr2
    if rd_mem_buf(c, i.seg, off, 8, buf):
        return rmw_fault(c, i, off, 8, cr2)
    lo = buf[0] | (<uint32_t>buf[1] << 8) | (<uint32_t>buf[2] << 16) | (<uint32_t>buf[3] << 24)
    hi = buf[4] | (<uint32_t>buf[5] << 8) | (<uint32_t>buf[6] << 16) | (<uint32_t>buf[7] << 24)
    if lo == c.gpr[0] and hi == c.gpr[2]:
        put_le32(buf, c.gpr[3])          # m64 = ECX:EBX
        put_le32(buf + 4, c.gpr[1])
        if wr_mem_buf(c, i.seg, off, 8, buf):
            return RC_FAULT
        set_arith_flags(c, F_ZF, F_ZF)
    else:
        if wr_mem_buf(c, i.seg, off, 8, buf):      # written back unchanged
            return RC_FAULT
        c.gpr[0] = lo
        c.gpr[2] = hi
        set_arith_flags(c, F_ZF, 0)
    return RC_OK

cdef register_xchg():
    reg("xchg", op_xchg)
    reg("xadd", op_xadd)
    reg("cmpxchg", op_cmpxchg)
    reg("cmpxchg8b", op_cmpxchg8b)
    reg_all(["ud0", "ud1", "ud2"], op_ud)
