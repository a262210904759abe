# kw86/exec_bcd.pxi -- BCD adjust instructions daa/das/aaa/aas/aam/aad
# (included by exec.pyx).  Owned by the integer-families helper, who also
# keeps the other integer families in the files included below;
# register_bcd() registers them all.
#
# Semantics: Intel SDM Vol. 2A "AAA", "AAD", "AAM", "AAS", "DAA", "DAS"
# (the Operation pseudocode, followed literally).  Undefined flags, with the
# values kw86 leaves (opcode table basis: sandpile.org P6 column):
#   daa/das: OF undefined -> the signed overflow of the adjustment taken as
#            one add/subtract of AL (old AL vs new AL sign), as Intel parts show.
#   aaa/aas: OF SF ZF PF undefined -> SF=0, OF=0, ZF of the new AX, PF of AL.
#   aam:     OF AF CF undefined -> 0.
#   aad:     OF AF CF undefined -> as for the 8-bit add AL + (AH * imm8).

include "exec_shift.pxi"
include "exec_muldiv.pxi"
include "exec_bits.pxi"
include "exec_xchg.pxi"

cdef int op_daa(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t f = get_eflags(c)
    cdef uint32_t al = c.gpr[0] & 0xFF, old_al = al, old_cf = f & F_CF, cf = 0, af = 0, nf
    if (al & 0xF) > 9 or (f & F_AF):
        cf = old_cf | (1 if al + 6 > 0xFF else 0)
        al = (al + 6) & 0xFF
        af = F_AF
    if old_al > 0x99 or old_cf:
        al = (al + 0x60) & 0xFF
        cf = 1
    else:
        cf = 0
    rset(c, 0, 1, al)
    nf = szp_flags(al, 1) | af | cf
    if not (old_al & 0x80) and (al & 0x80):
        nf |= F_OF
    set_all_arith(c, nf)
    return RC_OK

cdef int op_das(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t f = get_eflags(c)
    cdef uint32_t al = c.gpr[0] & 0xFF, old_al = al, old_cf = f & F_CF, cf = 0, af = 0, nf
    if (al & 0xF) > 9 or (f & F_AF):
        cf = old_cf | (1 if al < 6 else 0)
        al = (al - 6) & 0xFF
        af = F_AF
    if old_al > 0x99 or old_cf:
        al = (al - 0x60) & 0xFF
        cf = 1
    rset(c, 0, 1, al)
    nf = szp_flags(al, 1) | af | cf
    if (old_al & 0x80) and not (al & 0x80):
        nf |= F_OF
    set_all_arith(c, nf)
    return RC_OK

cdef int op_aaa(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t f = get_eflags(c), ax = c.gpr[0] & 0xFFFF, nf = 0
    if (ax & 0xF) > 9 or (f & F_AF):
        ax = (ax + 0x106) & 0xFFFF
        nf = F_AF | F_CF
    ax &= 0xFF0F
    rset(c, 0, 2, ax)
    if ax == 0:
        nf |= F_ZF
    if PARITY[ax & 0xFF]:
        nf |= F_PF
    set_all_arith(c, nf)
    return RC_OK

cdef int op_aas(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t f = get_eflags(c), ax = c.gpr[0] & 0xFFFF, nf = 0
    if (ax & 0xF) > 9 or (f & F_AF):
        ax = (ax - 6) & 0xFFFF
        ax = (ax - 0x100) & 0xFFFF
        nf = F_AF | F_CF
    ax &= 0xFF0F
    rset(c, 0, 2, ax)
    if ax == 0:
        nf |= F_ZF
    if PARITY[ax & 0xFF]:
        nf |= F_PF
    set_all_arith(c, nf)
    return RC_OK

cdef int op_aam(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t b = i.imm & 0xFF, al = c.gpr[0] & 0xFF
    if b == 0:
        return raise_exc(c, X_DE)
    rset(c, 0, 2, ((al / b) << 8) | (al % b))
    set_all_arith(c, szp_flags(al % b, 1))
    return RC_OK

cdef int op_aad(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t b = i.imm & 0xFF, al = c.gpr[0] & 0xFF, ah = (c.gpr[0] >> 8) & 0xFF
    cdef uint32_t t = (ah * b) & 0xFF, r = al + t
    rset(c, 0, 2, r & 0xFF)
    set_cc(c, CC_ADD, 1, al, t, r)
    return RC_OK

cdef register_bcd():
    reg("daa", op_daa)
    reg("das", op_das)
    reg("aaa", op_aaa)
    reg("aas", op_aas)
    reg("aam", op_aam)
    reg("aad", op_aad)
    register_shift()
    register_muldiv()
    register_bits()
    register_xchg()
