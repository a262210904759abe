# kw86/exec_alu.pxi -- integer ALU families (included by exec.pyx).
# add/or/adc/sbb/and/sub/xor/cmp/test/inc/dec/neg/not set the lazy-flags
# pattern (exec.pyx "How to add an instruction"); shifts, mul/div, bit ops,
# setcc/cmovcc, xchg/xadd/cmpxchg, bswap... belong here too.
# Semantics: Intel SDM Vol. 2 per instruction.

cdef int op_add(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t a, b, r
    if rd_op(c, i, 0, &a) or rd_op(c, i, 1, &b):
        return RC_FAULT
    r = a + b
    if wr_op(c, i, 0, r):
        return RC_FAULT
    set_cc(c, CC_ADD, i.ops[0].size, a, b, r)
    return RC_OK

cdef int op_adc(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t a, b, r, cf
    if rd_op(c, i, 0, &a) or rd_op(c, i, 1, &b):
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
    if rd_op(c, i, 0, &a) or rd_op(c, i, 1, &b):
        return RC_FAULT
    r = a - b
    if wr_op(c, i, 0, r):
        return RC_FAULT
    set_cc(c, CC_SUB, i.ops[0].size, a, b, r)
    return RC_OK

cdef int op_sbb(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t a, b, r, cf
    if rd_op(c, i, 0, &a) or rd_op(c, i, 1, &b):
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
    if rd_op(c, i, 0, &a) or rd_op(c, i, 1, &b):
        return RC_FAULT
    r = a & b
    if wr_op(c, i, 0, r):
        return RC_FAULT
    set_cc(c, CC_LOGIC, i.ops[0].size, 0, 0, r)
    return RC_OK

cdef int op_or(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t a, b, r
    if rd_op(c, i, 0, &a) or rd_op(c, i, 1, &b):
        return RC_FAULT
    r = a | b
    if wr_op(c, i, 0, r):
        return RC_FAULT
    set_cc(c, CC_LOGIC, i.ops[0].size, 0, 0, r)
    return RC_OK

cdef int op_xor(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t a, b, r
    if rd_op(c, i, 0, &a) or rd_op(c, i, 1, &b):
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
    if rd_op(c, i, 0, &a):
        return RC_FAULT
    if wr_op(c, i, 0, a + 1):
        return RC_FAULT
    cf = get_cf(c)
    set_cc(c, CC_INC, i.ops[0].size, a, 1, a + 1)
    c.cc_aux = cf
    return RC_OK

cdef int op_dec(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t a, cf
    if rd_op(c, i, 0, &a):
        return RC_FAULT
    if wr_op(c, i, 0, a - 1):
        return RC_FAULT
    cf = get_cf(c)
    set_cc(c, CC_DEC, i.ops[0].size, a, 1, a - 1)
    c.cc_aux = cf
    return RC_OK

cdef int op_neg(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t a
    if rd_op(c, i, 0, &a):
        return RC_FAULT
    if wr_op(c, i, 0, 0 - a):
        return RC_FAULT
    set_cc(c, CC_SUB, i.ops[0].size, 0, a, 0 - a)
    return RC_OK

cdef int op_not(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t a
    if rd_op(c, i, 0, &a):
        return RC_FAULT
    return wr_op(c, i, 0, ~a)

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
