# kw86/exec_alu.pxi -- integer ALU families (included by exec.pyx).
# add/or/adc/sbb/and/sub/xor/cmp/test/inc/dec/neg/not set the lazy-flags
# pattern (exec.pyx "How to add an instruction"); shifts, mul/div, bit ops,
# setcc/cmovcc, xchg/xadd/cmpxchg, bswap... belong here too.
# Semantics: Intel SDM Vol. 2 per instruction.

# Read-modify-write destinations.  The CPU reads them with write intent (the
# host CPU in tests/test_cpu_native.py; the SDM gives no rule): a fault on the
# read is reported as the write's would be -- a #PF has W/R = 1 in its error
# code, and through a segment that cannot be written (a CS override) #GP(0)
# comes first (segmentation before paging) and CR2 is left as it was.  Only
# the fault path is touched: a read that succeeds is the plain read.

cdef int rmw_fault(Cpu* c, const Insn* i, uint32_t off, int size, uint32_t cr2) noexcept nogil:
    """The read of a read-modify-write destination at i.seg:off faulted:
    report it as the CPU does (see above).  Returns RC_FAULT."""
    cdef uint32_t lin
    if c.exc_vector == X_PF:
        if seg_addr(c, i.seg, off, size, 1, &lin):
            c.cr2 = cr2                 # no page fault after all
            return RC_FAULT
        c.exc_err |= 2
    return RC_FAULT

cdef inline int rmw_rd(Cpu* c, const Insn* i, uint32_t* v) noexcept nogil:
    """rd_op of operand 0, a read-modify-write destination."""
    cdef uint32_t cr2 = c.cr2
    if rd_op(c, i, 0, v) == 0:
        return 0
    if i.ops[0].kind == OPK_MEM:
        return rmw_fault(c, i, ea(c, i), i.ops[0].size, cr2)
    return RC_FAULT

cdef int op_add(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t a, b, r
    if rmw_rd(c, i, &a) or rd_op(c, i, 1, &b):
        return RC_FAULT
    r = a + b
    if wr_op(c, i, 0, r):
        return RC_FAULT
    set_cc(c, CC_ADD, i.ops[0].size, a, b, r)
    return RC_OK

cdef int op_adc(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t a, b, r, cf
    if rmw_rd(c, i, &a) or rd_op(c, i, 1, &b):
        return RC_FAULT
    cf = get_cf(c)
    r = a + b + cf
    if wr_op(c, i, 0, r):
        return RC_FAULT
    set_cc(c, CC_ADC, i.ops[0].size, a, b, r)
    c.cc_aux = cf
    return RC_OK

cdef int op_sub(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t a, b, r
    if rmw_rd(c, i, &a) or rd_op(c, i, 1, &b):
        return RC_FAULT
    r = a - b
    if wr_op(c, i, 0, r):
        return RC_FAULT
    set_cc(c, CC_SUB, i.ops[0].size, a, b, r)
    return RC_OK

cdef int op_sbb(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t a, b, r, cf
    if rmw_rd(c, i, &a) or rd_op(c, i, 1, &b):
        return RC_FAULT
    cf = get_cf(c)
    r = a - b - cf
    if wr_op(c, i, 0, r):
        return RC_FAULT
    set_cc(c, CC_SBB, i.ops[0].size, a, b, r)
    c.cc_aux = cf
    return RC_OK

cdef int op_cmp(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t a, b
    if rd_op(c, i, 0, &a) or rd_op(c, i, 1, &b):
        return RC_FAULT
    set_cc(c, CC_SUB, i.ops[0].size, a, b, a - b)
    return RC_OK

cdef int op_and(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t a, b, r
    if rmw_rd(c, i, &a) or rd_op(c, i, 1, &b):
        return RC_FAULT
    r = a & b
    if wr_op(c, i, 0, r):
        return RC_FAULT
    set_cc(c, CC_LOGIC, i.ops[0].size, 0, 0, r)
    return RC_OK

cdef int op_or(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t a, b, r
    if rmw_rd(c, i, &a) or rd_op(c, i, 1, &b):
        return RC_FAULT
    r = a | b
    if wr_op(c, i, 0, r):
        return RC_FAULT
    set_cc(c, CC_LOGIC, i.ops[0].size, 0, 0, r)
    return RC_OK

cdef int op_xor(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t a, b, r
    if rmw_rd(c, i, &a) or rd_op(c, i, 1, &b):
        return RC_FAULT
    r = a ^ b
    if wr_op(c, i, 0, r):
        return RC_FAULT
    set_cc(c, CC_LOGIC, i.ops[0].size, 0, 0, r)
    return RC_OK

cdef int op_test(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t a, b
    if rd_op(c, i, 0, &a) or rd_op(c, i, 1, &b):
        return RC_FAULT
    set_cc(c, CC_LOGIC, i.ops[0].size, 0, 0, a & b)
    return RC_OK

cdef int op_inc(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t a, cf
    if rmw_rd(c, i, &a):
        return RC_FAULT
    if wr_op(c, i, 0, a + 1):
        return RC_FAULT
    cf = get_cf(c)
    set_cc(c, CC_INC, i.ops[0].size, a, 1, a + 1)
    c.cc_aux = cf
    return RC_OK

cdef int op_dec(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t a, cf
    if rmw_rd(c, i, &a):
        return RC_FAULT
    if wr_op(c, i, 0, a - 1):
        return RC_FAULT
    cf = get_cf(c)
    set_cc(c, CC_DEC, i.ops[0].size, a, 1, a - 1)
    c.cc_aux = cf
    return RC_OK

cdef int op_neg(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t a
    if rmw_rd(c, i, &a):
        return RC_FAULT
    if wr_op(c, i, 0, 0 - a):
        return RC_FAULT
    set_cc(c, CC_SUB, i.ops[0].size, 0, a, 0 - a)
    return RC_OK

cdef int op_not(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t a
    if rmw_rd(c, i, &a):
        return RC_FAULT
    return wr_op(c, i, 0, ~a)


# --- per-form fast handlers (32-bit register / immediate forms) ---------------

cdef int op_add_rr32(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t a = c.gpr[i.ops[0].reg], b = c.gpr[i.ops[1].reg]
    c.gpr[i.ops[0].reg] = a + b
    set_cc(c, CC_ADD, 4, a, b, a + b)
    return RC_OK

cdef int op_add_ri32(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t a = c.gpr[i.ops[0].reg], b = i.imm
    c.gpr[i.ops[0].reg] = a + b
    set_cc(c, CC_ADD, 4, a, b, a + b)
    return RC_OK

cdef int op_sub_rr32(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t a = c.gpr[i.ops[0].reg], b = c.gpr[i.ops[1].reg]
    c.gpr[i.ops[0].reg] = a - b
    set_cc(c, CC_SUB, 4, a, b, a - b)
    return RC_OK

cdef int op_sub_ri32(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t a = c.gpr[i.ops[0].reg], b = i.imm
    c.gpr[i.ops[0].reg] = a - b
    set_cc(c, CC_SUB, 4, a, b, a - b)
    return RC_OK

cdef int op_cmp_rr32(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t a = c.gpr[i.ops[0].reg], b = c.gpr[i.ops[1].reg]
    set_cc(c, CC_SUB, 4, a, b, a - b)
    return RC_OK

cdef int op_cmp_ri32(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t a = c.gpr[i.ops[0].reg], b = i.imm
    set_cc(c, CC_SUB, 4, a, b, a - b)
    return RC_OK

cdef int op_and_rr32(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t a = c.gpr[i.ops[0].reg], b = c.gpr[i.ops[1].reg]
    c.gpr[i.ops[0].reg] = a & b
    set_cc(c, CC_LOGIC, 4, 0, 0, a & b)
    return RC_OK

cdef int op_and_ri32(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t a = c.gpr[i.ops[0].reg], b = i.imm
    c.gpr[i.ops[0].reg] = a & b
    set_cc(c, CC_LOGIC, 4, 0, 0, a & b)
    return RC_OK

cdef int op_or_rr32(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t a = c.gpr[i.ops[0].reg], b = c.gpr[i.ops[1].reg]
    c.gpr[i.ops[0].reg] = a | b
    set_cc(c, CC_LOGIC, 4, 0, 0, a | b)
    return RC_OK

cdef int op_or_ri32(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t a = c.gpr[i.ops[0].reg], b = i.imm
    c.gpr[i.ops[0].reg] = a | b
    set_cc(c, CC_LOGIC, 4, 0, 0, a | b)
    return RC_OK

cdef int op_xor_rr32(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t a = c.gpr[i.ops[0].reg], b = c.gpr[i.ops[1].reg]
    c.gpr[i.ops[0].reg] = a ^ b
    set_cc(c, CC_LOGIC, 4, 0, 0, a ^ b)
    return RC_OK

cdef int op_xor_ri32(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t a = c.gpr[i.ops[0].reg], b = i.imm
    c.gpr[i.ops[0].reg] = a ^ b
    set_cc(c, CC_LOGIC, 4, 0, 0, a ^ b)
    return RC_OK

cdef int op_test_rr32(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t a = c.gpr[i.ops[0].reg], b = c.gpr[i.ops[1].reg]
    set_cc(c, CC_LOGIC, 4, 0, 0, a & b)
    return RC_OK

cdef int op_test_ri32(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t a = c.gpr[i.ops[0].reg], b = i.imm
    set_cc(c, CC_LOGIC, 4, 0, 0, a & b)
    return RC_OK

cdef int op_inc_r32(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t a = c.gpr[i.ops[0].reg]
    c.cc_aux = get_cf(c)
    c.gpr[i.ops[0].reg] = a + 1
    c.cc_op = CC_INC
    c.cc_size = 4
    c.cc_dst = a
    c.cc_src = 1
    c.cc_res = a + 1
    return RC_OK

cdef int op_dec_r32(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t a = c.gpr[i.ops[0].reg]
    c.cc_aux = get_cf(c)
    c.gpr[i.ops[0].reg] = a - 1
    c.cc_op = CC_DEC
    c.cc_size = 4
    c.cc_dst = a
    c.cc_src = 1
    c.cc_res = a - 1
    return RC_OK

cdef op_fn specialise_alu(op_fn fn, const Insn* i) noexcept nogil:
    """Pick a per-form handler at decode time (measured to pay on loops)."""
    cdef int rr, ri
    if fn == op_shl or fn == op_shr or fn == op_sar:
        return specialise_shift(fn, i)          # exec_shift.pxi
    if fn == op_cmovcc or fn == op_setcc:
        return specialise_bits(fn, i)           # exec_bits.pxi
    if fn == op_imul:
        return specialise_muldiv(fn, i)         # exec_muldiv.pxi
    if i.ops[0].kind != OPK_REG or i.ops[0].size != 4:
        return fn
    if fn == op_inc:
        return op_inc_r32
    if fn == op_dec:
        return op_dec_r32
    rr = i.ops[1].kind == OPK_REG and i.ops[1].size == 4
    ri = i.ops[1].kind == OPK_IMM
    if not (rr or ri):
        return fn
    if fn == op_add:
        return op_add_rr32 if rr else op_add_ri32
    if fn == op_sub:
        return op_sub_rr32 if rr else op_sub_ri32
    if fn == op_cmp:
        return op_cmp_rr32 if rr else op_cmp_ri32
    if fn == op_and:
        return op_and_rr32 if rr else op_and_ri32
    if fn == op_or:
        return op_or_rr32 if rr else op_or_ri32
    if fn == op_xor:
        return op_xor_rr32 if rr else op_xor_ri32
    if fn == op_test:
        return op_test_rr32 if rr else op_test_ri32
    return fn

cdef register_alu():
    reg("add", op_add)
    reg("adc", op_adc)
    reg("sub", op_sub)
    reg("sbb", op_sbb)
    reg("cmp", op_cmp)
    reg("and", op_and)
    reg("or", op_or)
    reg("xor", op_xor)
    reg("test", op_test)
    reg("inc", op_inc)
    reg("dec", op_dec)
    reg("neg", op_neg)
    reg("not", op_not)
