# kw86/exec_misc.pxi -- data movement, stack, near branches, flag
# instructions, conversions (included by exec.pyx).  Semantics: Intel SDM
# Vol. 2 (instruction reference), one handler per mnemonic.

cdef int CLS_JMPF = -1          # cycle-class ids of the far forms (set at init)
cdef int CLS_CALLF = -1
cdef int OP_LOOPE = -1          # mnemonic ids read by op_loop
cdef int OP_LOOPNE = -1

cdef int op_nop(Cpu* c, const Insn* i) noexcept nogil:
    return RC_OK

cdef int op_fwait(Cpu* c, const Insn* i) noexcept nogil:
    # WAIT/FWAIT: #NM when CR0.MP and CR0.TS are both set (SDM Vol. 3A
    # Table 2-2); #MF for a pending unmasked x87 exception (exec_fpu.pxi).
    return fpu_fwait(c)

# --- mov family --------------------------------------------------------------

cdef int op_mov(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t v
    cdef int k0 = i.ops[0].kind, k1 = i.ops[1].kind
    if k0 == OPK_REG:
        if k1 == OPK_REG:
            rset(c, i.ops[0].reg, i.ops[0].size, rget(c, i.ops[1].reg, i.ops[1].size))
            return RC_OK
        if k1 == OPK_MEM:
            if rd_mem(c, i.seg, ea(c, i), i.ops[0].size, &v):
                return RC_FAULT
            rset(c, i.ops[0].reg, i.ops[0].size, v)
            return RC_OK
        if k1 == OPK_IMM:
            rset(c, i.ops[0].reg, i.ops[0].size, i.imm)
            return RC_OK
        if k1 == OPK_SREG:
            # P6: a 32-bit destination gets the selector zero-extended
            rset(c, i.ops[0].reg, i.ops[0].size, c.seg[i.ops[1].reg].sel)
            return RC_OK
        return op_mov_sys(c, i)
    if k0 == OPK_MEM:
        if k1 == OPK_REG:
            v = rget(c, i.ops[1].reg, i.ops[1].size)
        elif k1 == OPK_IMM:
            v = i.imm
        elif k1 == OPK_SREG:
            return wr_mem(c, i.seg, ea(c, i), 2, c.seg[i.ops[1].reg].sel)
        else:
            return raise_exc(c, X_UD)
        return wr_mem(c, i.seg, ea(c, i), i.ops[0].size, v)
    if k0 == OPK_SREG:
        if i.ops[0].reg == SEG_CS or i.ops[0].reg > SEG_GS:
            return raise_exc(c, X_UD)
        if rd_op(c, i, 1, &v):
            return RC_FAULT
        if load_sreg(c, i.ops[0].reg, v & 0xFFFF):
            return RC_FAULT
        if i.ops[0].reg == SEG_SS:
            c.shadow = 1
            c.shadow_ss = 1     # holds #DB too (SDM Vol. 3A §6.8.3)
            c.attn = 0
        return RC_OK
    return op_mov_sys(c, i)

cdef int op_movzx(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t v
    if rd_op(c, i, 1, &v):
        return RC_FAULT
    rset(c, i.ops[0].reg, i.ops[0].size, v)
    return RC_OK

cdef int op_movsx(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t v
    if rd_op(c, i, 1, &v):
        return RC_FAULT
    rset(c, i.ops[0].reg, i.ops[0].size, <uint32_t>sx(v, i.ops[1].size))
    return RC_OK

cdef int op_lea(Cpu* c, const Insn* i) noexcept nogil:
    if i.ops[1].kind != OPK_MEM:
        return raise_exc(c, X_UD)
    rset(c, i.ops[0].reg, i.ops[0].size, ea(c, i))
    return RC_OK

cdef int op_xlat(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t v, a = c.gpr[3] + (c.gpr[0] & 0xFF)
    if i.adsize == 2:
        a &= 0xFFFF
    if rd_mem(c, i.seg, a, 1, &v):
        return RC_FAULT
    rset(c, 0, 1, v)
    return RC_OK

cdef int op_cbw(Cpu* c, const Insn* i) noexcept nogil:      # cbw / cwde
    if i.opsize == 2:
        rset(c, 0, 2, <uint32_t><int8_t>(c.gpr[0] & 0xFF))
    else:
        c.gpr[0] = <uint32_t><int16_t>(c.gpr[0] & 0xFFFF)
    return RC_OK

cdef int op_cwd(Cpu* c, const Insn* i) noexcept nogil:      # cwd / cdq
    if i.opsize == 2:
        rset(c, 2, 2, 0xFFFF if (c.gpr[0] & 0x8000) else 0)
    else:
        c.gpr[2] = 0xFFFFFFFFu if (c.gpr[0] & 0x80000000u) else 0
    return RC_OK

# --- flags -------------------------------------------------------------------

cdef int op_clc(Cpu* c, const Insn* i) noexcept nogil:
    set_arith_flags(c, F_CF, 0)
    return RC_OK

cdef int op_stc(Cpu* c, const Insn* i) noexcept nogil:
    set_arith_flags(c, F_CF, F_CF)
    return RC_OK

cdef int op_cmc(Cpu* c, const Insn* i) noexcept nogil:
    set_arith_flags(c, F_CF, get_cf(c) ^ 1)
    return RC_OK

cdef int op_cld(Cpu* c, const Insn* i) noexcept nogil:
    c.eflags &= ~(<uint32_t>F_DF)
    return RC_OK

cdef int op_std(Cpu* c, const Insn* i) noexcept nogil:
    c.eflags |= F_DF
    return RC_OK

cdef int op_lahf(Cpu* c, const Insn* i) noexcept nogil:
    rset(c, 4, 1, (get_eflags(c) & 0xD5) | 2)
    return RC_OK

cdef int op_sahf(Cpu* c, const Insn* i) noexcept nogil:
    set_arith_flags(c, F_SF | F_ZF | F_AF | F_PF | F_CF, (c.gpr[0] >> 8) & 0xD5)
    return RC_OK

cdef int op_salc(Cpu* c, const Insn* i) noexcept nogil:
    # undocumented D6 (P6 executes it): AL = CF ? FF : 00
    rset(c, 0, 1, 0xFF if get_cf(c) else 0)
    return RC_OK

cdef inline int iopl_of(Cpu* c) noexcept nogil:
    return (c.eflags >> 12) & 3

cdef int op_cli(Cpu* c, const Insn* i) noexcept nogil:
    if c.cpl > iopl_of(c):
        return raise_gp(c, 0)
    c.eflags &= ~(<uint32_t>F_IF)
    return RC_OK

cdef int op_sti(Cpu* c, const Insn* i) noexcept nogil:
    if c.cpl > iopl_of(c):
        return raise_gp(c, 0)
    if not (c.eflags & F_IF):
        c.shadow = 1                    # no interrupt before the next insn
        c.shadow_ss = 0                 # (traps are not held by sti's shadow)
        c.attn = 0
    c.eflags |= F_IF
    return RC_OK

cdef int op_pushf(Cpu* c, const Insn* i) noexcept nogil:   # pushf / pushfd
    cdef uint32_t f = get_eflags(c) & ~(<uint32_t>(F_VM | F_RF))
    return push(c, f, i.opsize)

cdef int op_popf(Cpu* c, const Insn* i) noexcept nogil:    # popf / popfd
    cdef uint32_t v, old = get_eflags(c), mask
    if stk_read(c, 0, i.opsize, &v):
        return RC_FAULT
    # writable: CF PF AF ZF SF TF DF OF NT AC ID; IF if CPL <= IOPL; IOPL at CPL 0
    mask = F_ARITH | F_TF | F_DF | F_NT | F_AC | F_ID
    if c.cpl <= iopl_of(c):
        mask |= F_IF
    if c.cpl == 0:
        mask |= F_IOPL
    if i.opsize == 2:
        mask &= 0xFFFF
    sp_set(c, sp_off(c, i.opsize))
    set_eflags_all(c, (old & ~mask) | (v & mask))
    return RC_OK

# --- stack -------------------------------------------------------------------

cdef int op_push(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t v, sp
    cdef int k = i.ops[0].kind
    if k == OPK_SREG:
        # P6, 32-bit operand size: ESP -= 4 and a 16-bit write (SDM PUSH)
        sp = sp_off(c, -i.opsize)
        if wr_mem(c, SEG_SS, sp, 2, c.seg[i.ops[0].reg].sel):
            return RC_FAULT
        sp_set(c, sp)
        return RC_OK
    if k == OPK_REG:
        v = rget(c, i.ops[0].reg, i.opsize)     # push esp pushes the old value
    elif k == OPK_IMM:
        v = i.imm
    elif rd_op(c, i, 0, &v):
        return RC_FAULT
    return push(c, v, i.opsize)

cdef int op_pop(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t v, old_esp
    cdef int k = i.ops[0].kind, s
    if stk_read(c, 0, i.opsize, &v):
        return RC_FAULT
    if k == OPK_REG:
        sp_set(c, sp_off(c, i.opsize))
        rset(c, i.ops[0].reg, i.opsize, v)     # pop esp: the popped value wins
        return RC_OK
    if k == OPK_SREG:
        s = i.ops[0].reg
        if s == SEG_CS:
            return raise_exc(c, X_UD)
        if load_sreg(c, s, v & 0xFFFF):
            return RC_FAULT
        sp_set(c, sp_off(c, i.opsize))
        if s == SEG_SS:
            c.shadow = 1
            c.shadow_ss = 1     # holds #DB too (SDM Vol. 3A §6.8.3)
            c.attn = 0
        return RC_OK
    # memory: the address uses ESP after the increment (SDM POP)
    old_esp = c.gpr[4]
    sp_set(c, sp_off(c, i.opsize))
    if wr_op(c, i, 0, v):
        c.gpr[4] = old_esp
        return RC_FAULT
    return RC_OK

cdef int probe_push(Cpu* c, uint32_t off, int sz) noexcept nogil:
    """check_wr of one stack element; one that crosses a page boundary is
    probed as its two parts, so that a #PF in the second page reports that
    page's first byte in CR2, as the CPU does (check_wr reports the last)."""
    cdef uint32_t first = 0x1000 - ((c.seg[SEG_SS].base + off) & 0xFFF)
    if first >= <uint32_t>sz:
        return check_wr(c, SEG_SS, off, sz)
    if check_wr(c, SEG_SS, off, first):
        return RC_FAULT
    return check_wr(c, SEG_SS, (off + first) if c.stack32 else ((off + first) & 0xFFFF),
                    sz - first)

cdef int op_pusha(Cpu* c, const Insn* i) noexcept nogil:   # pusha / pushad
    cdef int k, sz = i.opsize
    cdef uint32_t lo = sp_off(c, -8 * sz), lin
    if <uint64_t>lo + 8 * sz <= (<uint64_t>0x100000000 if c.stack32 else 0x10000):
        if seg_addr(c, SEG_SS, lo, 8 * sz, 1, &lin):    # the limit first (#SS)
            return RC_FAULT
    # Then every element where it goes, in the order of the pushes (SDM Vol.
    # 2B PUSHA Operation: AX/EAX first), so that a #PF reports the first
    # push that faults (CR2), as the host CPU does; nothing is written unless
    # all can be.  SP (ESP) may wrap through 0: each push wraps (#SS only
    # if an address is outside the limit; ESP 8 on a flat stack is no fault).
    for k in range(8):
        if probe_push(c, sp_off(c, -(k + 1) * sz), sz):
            return RC_FAULT
    for k in range(8):
        if wr_mem(c, SEG_SS, sp_off(c, -(k + 1) * sz), sz, rget(c, k, sz)):
            return RC_FAULT
    sp_set(c, sp_off(c, -8 * sz))
    return RC_OK

cdef int op_popa(Cpu* c, const Insn* i) noexcept nogil:    # popa / popad
    cdef int k, sz = i.opsize
    cdef uint32_t v[8]
    for k in range(8):
        if stk_read(c, k * sz, sz, &v[k]):
            return RC_FAULT
    for k in range(8):
        if k != 3:      # the ESP image is skipped
            rset(c, 7 - k, sz, v[k])
    sp_set(c, sp_off(c, 8 * sz))
    return RC_OK

cdef int op_enter(Cpu* c, const Insn* i) noexcept nogil:
    # SDM Vol. 2A ENTER Operation: level = imm8 mod 32; OperandSize 32:
    # Push(EBP); FrameTemp <- ESP (the whole register: on a 16-bit stack the
    # push moved SP only, ESP's upper half stays), pushed as a doubleword,
    # EBP <- FrameTemp.  OperandSize 16: FrameTemp <- SP, BP <- FrameTemp[15:0].
    cdef uint32_t alloc = i.imm & 0xFFFF, level = i.imm2 & 31
    cdef uint32_t olds[32]
    cdef int sz = i.opsize, k
    cdef uint32_t frame, sp, bp = c.gpr[5]
    cdef uint32_t pushes = sz * (1 + level), lo, lin
    # Faults before any change (SDM Vol. 2A ENTER, Protected Mode Exceptions):
    # #SS(0) for a push outside the limit or "if the new value of the SP or ESP
    # register is outside the stack segment limit"; #PF "if a write using the
    # final value of the stack pointer ... would cause a page fault".  The
    # allocated bytes between are not accessed: ESP 4 with a frame of 8 bytes
    # on a flat stack ends at FFFFFFFCh without a fault.
    lo = sp_off(c, -<int>pushes)
    if <uint64_t>lo + pushes <= (<uint64_t>0x100000000 if c.stack32 else 0x10000):
        if seg_addr(c, SEG_SS, lo, pushes, 1, &lin):       # the limit first (#SS)
            return RC_FAULT
    # then, in the order of the Operation (Push(EBP), then each Push([EBP])
    # after its read, then Push(FrameTemp)), each push where it goes (SP/ESP
    # may wrap through 0) and each read of the old frame: a #PF reports the
    # first access that faults (CR2), and nothing is written before every
    # access is known to succeed (the fault leaves the state as it was)
    if probe_push(c, sp_off(c, -sz), sz):
        return RC_FAULT
    for k in range(1, level):
        if c.stack32:
            bp = bp - sz
        else:
            bp = (bp - sz) & 0xFFFF
        if rd_mem(c, SEG_SS, bp, sz, &olds[k]):
            return RC_FAULT
        if probe_push(c, sp_off(c, -(k + 1) * sz), sz):
            return RC_FAULT
    if level > 0 and probe_push(c, sp_off(c, -<int>pushes), sz):
        return RC_FAULT
    if alloc and check_wr(c, SEG_SS, sp_off(c, -<int>(pushes + alloc)), 1):
        return RC_FAULT
    sp = sp_off(c, -sz)
    if wr_mem(c, SEG_SS, sp, sz, rget(c, 5, sz)):
        return RC_FAULT
    frame = sp
    if sz == 4 and not c.stack32:
        frame = (c.gpr[4] & 0xFFFF0000u) | sp
    if level > 0:
        bp = c.gpr[5]
        for k in range(1, level):
            # read again: the old frame may overlap what this ENTER wrote
            if c.stack32:
                bp = bp - sz
            else:
                bp = (bp - sz) & 0xFFFF
            if rd_mem(c, SEG_SS, bp, sz, &olds[k]):
                return RC_FAULT
            sp = (sp - sz) if c.stack32 else ((sp - sz) & 0xFFFF)
            if wr_mem(c, SEG_SS, sp, sz, olds[k]):
                return RC_FAULT
        sp = (sp - sz) if c.stack32 else ((sp - sz) & 0xFFFF)
        if wr_mem(c, SEG_SS, sp, sz, frame):
            return RC_FAULT
    rset(c, 5, sz, frame)
    sp = (sp - alloc) if c.stack32 else ((sp - alloc) & 0xFFFF)
    sp_set(c, sp)
    return RC_OK

cdef int op_leave(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t v, bp = c.gpr[5] if c.stack32 else (c.gpr[5] & 0xFFFF)
    if rd_mem(c, SEG_SS, bp, i.opsize, &v):
        return RC_FAULT
    sp_set(c, bp + i.opsize)
    rset(c, 5, i.opsize, v)
    return RC_OK

cdef int op_bound(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t lo, hi, off = ea(c, i)
    cdef int sz = i.opsize
    cdef int32_t idx = sx(rget(c, i.ops[0].reg, sz), sz)
    if i.ops[1].kind != OPK_MEM:
        return raise_exc(c, X_UD)
    if rd_mem(c, i.seg, off, sz, &lo):
        return RC_FAULT
    off = off + sz
    if i.adsize == 2:
        off &= 0xFFFF
    if rd_mem(c, i.seg, off, sz, &hi):
        return RC_FAULT
    if idx < sx(lo, sz) or idx > sx(hi, sz):
        return raise_exc(c, X_BR)
    return RC_OK

# --- near branches -----------------------------------------------------------

cdef int op_jcc(Cpu* c, const Insn* i) noexcept nogil:
    if cond(c, i.cc):
        return branch(c, c.eip_next + i.imm, i.opsize)
    return RC_OK

cdef int op_jmp(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t t
    cdef int k = i.ops[0].kind
    if k == OPK_REL:
        return branch(c, c.eip_next + i.imm, i.opsize)
    if k == OPK_FAR or row_info(i.row).cls == CLS_JMPF:
        return far_jmp_call(c, i, 0)
    if rd_op(c, i, 0, &t):
        return RC_FAULT
    return branch(c, t, i.opsize)

cdef int op_call(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t t
    cdef int k = i.ops[0].kind
    if k == OPK_REL:
        t = c.eip_next + i.imm
    elif k == OPK_FAR or row_info(i.row).cls == CLS_CALLF:
        return far_jmp_call(c, i, 1)
    elif rd_op(c, i, 0, &t):
        return RC_FAULT
    if i.opsize == 2:
        t &= 0xFFFF
    if t > c.seg[SEG_CS].limit:
        return raise_gp(c, 0)
    if push(c, c.eip_next, i.opsize):
        return RC_FAULT
    c.eip_next = t
    c.cycles += c.cost_ev[EVC_BRANCH_TAKEN]
    return RC_OK

cdef int op_ret(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t t
    if stk_read(c, 0, i.opsize, &t):
        return RC_FAULT
    if i.opsize == 2:
        t &= 0xFFFF
    if t > c.seg[SEG_CS].limit:
        return raise_gp(c, 0)
    sp_set(c, sp_off(c, i.opsize + ((i.imm & 0xFFFF) if i.nops else 0)))
    c.eip_next = t
    c.cycles += c.cost_ev[EVC_BRANCH_TAKEN]
    return RC_OK

cdef inline uint32_t count_reg(Cpu* c, const Insn* i) noexcept nogil:
    return c.gpr[1] if i.adsize == 4 else (c.gpr[1] & 0xFFFF)

cdef int op_loop(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t n = (count_reg(c, i) - 1) & (0xFFFFFFFFu if i.adsize == 4 else 0xFFFF)
    cdef int take = n != 0
    if i.op == OP_LOOPE:
        take = take and cond(c, 4)
    elif i.op == OP_LOOPNE:
        take = take and cond(c, 5)
    if take:
        if branch(c, c.eip_next + i.imm, i.opsize):
            return RC_FAULT
    rset(c, 1, i.adsize, n)
    return RC_OK

cdef int op_jcxz(Cpu* c, const Insn* i) noexcept nogil:     # jcxz / jecxz
    if count_reg(c, i) == 0:
        return branch(c, c.eip_next + i.imm, i.opsize)
    return RC_OK

# --- interrupts (software) ---------------------------------------------------

cdef int op_int(Cpu* c, const Insn* i) noexcept nogil:
    return soft_int(c, i.imm & 0xFF)

cdef int op_int3(Cpu* c, const Insn* i) noexcept nogil:
    return soft_int(c, 3)

cdef int op_into(Cpu* c, const Insn* i) noexcept nogil:
    if get_of(c):
        return soft_int(c, 4)
    return RC_OK

cdef int op_int1(Cpu* c, const Insn* i) noexcept nogil:
    # F1 (ICEBP): #DB delivered as a hardware event (no gate DPL check), so a
    # fault while delivering it has EXT = 1 in its error code (SDM Vol. 3A
    # §6.13: EXT 'is cleared if the exception occurred during delivery of a
    # software interrupt (INT n, INT3, or INTO)' -- INT1 is not one)
    cdef int r
    if (c.intercept >> 1) & 1:
        return soft_int(c, 1)
    r = deliver(c, 1, 0, 0, 0, 1, c.eip_next)
    if r == 0:
        return RC_DONE
    return r

cdef int op_hlt(Cpu* c, const Insn* i) noexcept nogil:
    if c.cpl != 0:
        return raise_gp(c, 0)
    c.halted = 1
    c.attn = 0
    return RC_OK

# --- per-form fast handlers, chosen at decode time ----------------------------

cdef int op_mov_rr32(Cpu* c, const Insn* i) noexcept nogil:
    c.gpr[i.ops[0].reg] = c.gpr[i.ops[1].reg]
    return RC_OK

cdef int op_mov_ri32(Cpu* c, const Insn* i) noexcept nogil:
    c.gpr[i.ops[0].reg] = i.imm
    return RC_OK

cdef int op_mov_rm32(Cpu* c, const Insn* i) noexcept nogil:
    return rd_mem(c, i.seg, ea(c, i), 4, &c.gpr[i.ops[0].reg])

cdef int op_mov_mr32(Cpu* c, const Insn* i) noexcept nogil:
    return wr_mem(c, i.seg, ea(c, i), 4, c.gpr[i.ops[1].reg])

cdef int op_mov_rm(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t v
    if rd_mem(c, i.seg, ea(c, i), i.ops[0].size, &v):
        return RC_FAULT
    rset(c, i.ops[0].reg, i.ops[0].size, v)
    return RC_OK

cdef int op_mov_mr(Cpu* c, const Insn* i) noexcept nogil:
    return wr_mem(c, i.seg, ea(c, i), i.ops[0].size, rget(c, i.ops[1].reg, i.ops[1].size))

cdef int op_push_r32(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t sp
    if not c.stack32:
        return op_push(c, i)
    sp = c.gpr[4] - 4
    if wr_mem(c, SEG_SS, sp, 4, c.gpr[i.ops[0].reg]):
        return RC_FAULT
    c.gpr[4] = sp
    return RC_OK

cdef int op_pop_r32(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t v
    if not c.stack32:
        return op_pop(c, i)
    if rd_mem(c, SEG_SS, c.gpr[4], 4, &v):
        return RC_FAULT
    c.gpr[4] += 4
    c.gpr[i.ops[0].reg] = v
    return RC_OK


# (per-condition Jcc handlers were measured slower: more indirect-call
# targets cost more than cond()'s switch saves)

cdef op_fn specialise_misc(op_fn fn, const Insn* i) noexcept nogil:
    cdef int k0 = i.ops[0].kind, k1 = i.ops[1].kind
    if fn == op_mov and i.ops[0].size == 4:
        if k0 == OPK_REG and k1 == OPK_REG:
            return op_mov_rr32
        if k0 == OPK_REG and k1 == OPK_IMM:
            return op_mov_ri32
        if k0 == OPK_REG and k1 == OPK_MEM and i.ops[1].size == 4:
            return op_mov_rm32
        if k0 == OPK_MEM and k1 == OPK_REG and i.ops[1].size == 4:
            return op_mov_mr32
    elif fn == op_mov and k0 == OPK_REG and k1 == OPK_MEM:
        return op_mov_rm
    elif fn == op_mov and k0 == OPK_MEM and k1 == OPK_REG:
        return op_mov_mr
    elif fn == op_push and k0 == OPK_REG and i.opsize == 4:
        return op_push_r32
    elif fn == op_pop and k0 == OPK_REG and i.opsize == 4:
        return op_pop_r32
    return fn

cdef register_misc():
    global OP_LOOPE, OP_LOOPNE, CLS_JMPF, CLS_CALLF
    from kw86.isa import opcodes
    OP_LOOPE = opcodes.mnemonic_id("loope")
    OP_LOOPNE = opcodes.mnemonic_id("loopne")
    CLS_JMPF = opcodes.CLASSES.index("jmpf")
    CLS_CALLF = opcodes.CLASSES.index("callf")
    reg("nop", op_nop)
    reg("fwait", op_fwait)
    reg("mov", op_mov)
    reg("movzx", op_movzx)
    reg("movsx", op_movsx)
    reg("lea", op_lea)
    reg("xlat", op_xlat)
    reg_all(["cbw", "cwde"], op_cbw)
    reg_all(["cwd", "cdq"], op_cwd)
    reg("clc", op_clc)
    reg("stc", op_stc)
    reg("cmc", op_cmc)
    reg("cld", op_cld)
    reg("std", op_std)
    reg("lahf", op_lahf)
    reg("sahf", op_sahf)
    reg("salc", op_salc)
    reg("cli", op_cli)
    reg("sti", op_sti)
    reg_all(["pushf", "pushfd"], op_pushf)
    reg_all(["popf", "popfd"], op_popf)
    reg("push", op_push)
    reg("pop", op_pop)
    reg_all(["pusha", "pushad"], op_pusha)
    reg_all(["popa", "popad"], op_popa)
    reg("enter", op_enter)
    reg("leave", op_leave)
    reg("bound", op_bound)
    reg_all(["jo", "jno", "jb", "jae", "je", "jne", "jbe", "ja", "js", "jns", "jp", "jnp",
             "jl", "jge", "jle", "jg"], op_jcc)
    reg("jmp", op_jmp)
    reg("call", op_call)
    reg("ret", op_ret)
    reg_all(["loop", "loope", "loopne"], op_loop)
    reg_all(["jcxz", "jecxz"], op_jcxz)
    reg("int", op_int)
    reg("int3", op_int3)
    reg("into", op_into)
    reg("int1", op_int1)
    reg("hlt", op_hlt)
