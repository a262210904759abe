# kw86/exec_system.pxi -- system instructions (included by exec.pyx):
# far jmp/call/ret and iret with privilege changes and call gates, control
# and debug registers, descriptor tables, I/O with IOPL and the TSS bitmap,
# cpuid/rdtsc/msr, sysenter/sysexit, lar/lsl/verr/verw/arpl.
# Semantics: Intel SDM Vol. 2 (per instruction) and Vol. 3A ch. 5-6.

cdef int OP_LIDT = -1          # mnemonic ids (set by register_system)
cdef int OP_SIDT = -1
cdef int OP_LSL = -1
cdef int OP_VERW = -1
cdef int OP_LDS = -1
cdef int OP_LES = -1
cdef int OP_LFS = -1
cdef int OP_LGS = -1

# --- far transfers ------------------------------------------------------------

cdef inline uint32_t code_limit(uint32_t hi, uint32_t lo) noexcept nogil:
    cdef uint32_t limit = (lo & 0xFFFF) | (hi & 0xF0000)
    if hi & 0x800000:
        limit = (limit << 12) | 0xFFF
    return limit

cdef int far_jmp_call(Cpu* c, const Insn* i, int is_call) noexcept nogil:
    """jmp/call ptr16:16/32 or m16:16/32 (SDM Vol. 2 JMP/CALL, protected mode)."""
    cdef uint32_t sel, off, lo, hi, glo, ghi, tsel, toff, nss = 0, nesp = 0, slo = 0, shi = 0
    cdef uint32_t v, a, esp_out
    cdef uint32_t vals[40]
    cdef int r, sz = i.opsize, dpl, typ, gsz, nparam, k, n, newcpl
    cdef SegCache ss_new
    if i.ops[0].kind == OPK_FAR:
        off = i.imm
        sel = i.imm2 & 0xFFFF
    else:
        if i.ops[0].kind != OPK_MEM:
            return raise_exc(c, X_UD)
        a = ea(c, i)
        if rd_mem(c, i.seg, a, sz, &off):
            return RC_FAULT
        a = a + sz
        if i.adsize == 2:
            a &= 0xFFFF
        if rd_mem(c, i.seg, a, 2, &sel):
            return RC_FAULT
    if sz == 2:
        off &= 0xFFFF
    r = check_code_target(c, sel, &lo, &hi)
    if r:
        return r
    typ = (hi >> 8) & 0x1F
    dpl = (hi >> 13) & 3
    if typ & 0x10:
        # code segment
        if not (typ & 0x08):
            return raise_gp(c, sel & 0xFFFC)
        if typ & 0x04:                  # conforming
            if dpl > c.cpl:
                return raise_gp(c, sel & 0xFFFC)
        elif (sel & 3) > c.cpl or dpl != c.cpl:
            return raise_gp(c, sel & 0xFFFC)
        if not (hi & 0x8000):
            return raise_exc_err(c, X_NP, sel & 0xFFFC)
        if is_call:
            # the stack's room before the new EIP (SDM Vol. 2A CALL)
            vals[0] = c.seg[SEG_CS].sel
            vals[1] = c.eip_next
            if push_frame(c, &c.seg[SEG_SS], c.gpr[4], c.user, vals, 2, sz, &esp_out, 0,
                          off > code_limit(hi, lo)):
                return RC_FAULT
            sp_set(c, esp_out)
        elif off > code_limit(hi, lo):
            return raise_gp(c, 0)
        load_cs_cache(c, sel, lo, hi, c.cpl)
        c.eip_next = off
        c.cycles += c.cost_ev[EVC_SEG_LOAD]
        return RC_OK
    if typ == 0x04 or typ == 0x0C:
        # call gate
        if dpl < c.cpl or dpl < (sel & 3):
            return raise_gp(c, sel & 0xFFFC)
        if not (hi & 0x8000):
            return raise_exc_err(c, X_NP, sel & 0xFFFC)
        gsz = 4 if typ == 0x0C else 2
        nparam = hi & 0x1F
        tsel = lo >> 16
        toff = (lo & 0xFFFF) | ((hi & 0xFFFF0000u) if gsz == 4 else 0)
        r = check_code_target(c, tsel, &glo, &ghi)
        if r:
            return r
        typ = (ghi >> 8) & 0x1F
        dpl = (ghi >> 13) & 3
        if (typ & 0x18) != 0x18 or dpl > c.cpl:
            return raise_gp(c, tsel & 0xFFFC)
        if not is_call and not (typ & 0x04) and dpl != c.cpl:
            return raise_gp(c, tsel & 0xFFFC)
        if not (ghi & 0x8000):
            return raise_exc_err(c, X_NP, tsel & 0xFFFC)
        if not is_call and toff > code_limit(ghi, glo):
            return raise_gp(c, 0)
        if toff <= code_limit(ghi, glo):    # (a call that will #GP(0) is not charged, as before)
            c.cycles += c.cost_ev[EVC_FARCALL_GATE]
        if not is_call:
            load_cs_cache(c, tsel, glo, ghi, c.cpl)
            c.eip_next = toff
            return RC_OK
        if not (typ & 0x04) and dpl < c.cpl:
            # call to an inner level: stack switch, copy nparam parameters
            r = tss_stack(c, dpl, &nss, &nesp)
            if r:
                return r
            r = check_new_ss(c, nss, dpl, &slo, &shi, 1)
            if r:
                return r
            seg_from_desc(&ss_new, nss, slo, shi | 0x100)
            if not ss_new.big:
                nesp &= 0xFFFF
            # the new stack's room and the EIP before the parameters are read
            # from the old stack (SDM Vol. 2A CALL, MORE-PRIVILEGE: '#SS(NewSS)',
            # '#GP(0)', then 'Push(parameters from calling procedure's stack)')
            if not frame_fits(&ss_new, nesp, 4 + nparam, gsz):
                return raise_exc_err(c, X_SS, nss & 0xFFFC)
            if toff > code_limit(ghi, glo):
                return raise_gp(c, 0)
            vals[0] = c.seg[SEG_SS].sel
            vals[1] = c.gpr[4]
            n = 2
            for k in range(nparam):
                # parameter nparam-1 (deepest) is pushed first
                if stk_read(c, (nparam - 1 - k) * gsz, gsz, &v):
                    return RC_FAULT
                vals[n] = v
                n += 1
            vals[n] = c.seg[SEG_CS].sel
            vals[n + 1] = c.eip_next
            n += 2
            if push_frame(c, &ss_new, nesp, dpl == 3, vals, n, gsz, &esp_out, nss & 0xFFFC):
                return RC_FAULT
            if set_accessed(c, nss, shi):
                return RC_FAULT
            c.seg[SEG_SS] = ss_new
            c.stack32 = ss_new.big
            sp_set(c, esp_out)
            load_cs_cache(c, tsel, glo, ghi, dpl)
            c.eip_next = toff
            c.cycles += c.cost_ev[EVC_PRIV_CHANGE]
            return RC_OK
        vals[0] = c.seg[SEG_CS].sel
        vals[1] = c.eip_next
        if push_frame(c, &c.seg[SEG_SS], c.gpr[4], c.user, vals, 2, gsz, &esp_out, 0,
                      toff > code_limit(ghi, glo)):
            return RC_FAULT
        sp_set(c, esp_out)
        load_cs_cache(c, tsel, glo, ghi, c.cpl)
        c.eip_next = toff
        return RC_OK
    if typ == 0x05 or typ == 0x01 or typ == 0x03 or typ == 0x09 or typ == 0x0B:
        return task_far(c, sel, lo, hi, is_call)        # task gate or TSS: exec_task.pxi
    return raise_gp(c, sel & 0xFFFC)

cdef int op_retf(Cpu* c, const Insn* i) noexcept nogil:
    """retf [imm16] (SDM Vol. 2 RET, protected mode, same and outer level)."""
    cdef uint32_t eip, sel, lo, hi, nesp, nss, slo, shi, imm = (i.imm & 0xFFFF) if i.nops else 0
    cdef int sz = i.opsize, r, dpl, typ, rpl
    if stk_read(c, 0, sz, &eip) or stk_read(c, sz, sz, &sel):
        return RC_FAULT
    sel &= 0xFFFF
    if sz == 2:
        eip &= 0xFFFF
    r = check_code_target(c, sel, &lo, &hi)
    if r:
        return r
    typ = (hi >> 8) & 0x1F
    dpl = (hi >> 13) & 3
    rpl = sel & 3
    if (typ & 0x18) != 0x18 or rpl < c.cpl:
        return raise_gp(c, sel & 0xFFFC)
    if (typ & 0x04 and dpl > rpl) or (not (typ & 0x04) and dpl != rpl):
        return raise_gp(c, sel & 0xFFFC)
    if not (hi & 0x8000):
        return raise_exc_err(c, X_NP, sel & 0xFFFC)
    if rpl == c.cpl:
        if eip > code_limit(hi, lo):
            return raise_gp(c, 0)
        sp_set(c, sp_off(c, 2 * sz + imm))
        load_cs_cache(c, sel, lo, hi, rpl)
        c.eip_next = eip
        return RC_OK
    # return to an outer level
    if stk_read(c, 2 * sz + imm, sz, &nesp) or stk_read(c, 3 * sz + imm, sz, &nss):
        return RC_FAULT
    nss &= 0xFFFF
    r = check_new_ss(c, nss, rpl, &slo, &shi, 0)
    if r:
        return r
    # the return EIP is checked after the new SS (SDM Vol. 2B RET,
    # RETURN-TO-OUTER-PRIVILEGE-LEVEL: the SS checks, then 'IF the return
    # instruction pointer is not within the return code segment limit THEN
    # #GP(0)'), as IRET does
    if eip > code_limit(hi, lo):
        return raise_gp(c, 0)
    if set_accessed(c, nss, shi):
        return RC_FAULT
    load_cs_cache(c, sel, lo, hi, rpl)
    seg_from_desc(&c.seg[SEG_SS], nss, slo, shi | 0x100)
    c.stack32 = c.seg[SEG_SS].big
    if sz == 2:
        nesp &= 0xFFFF
    sp_set(c, nesp + imm)
    null_outer_segs(c)
    c.eip_next = eip
    c.cycles += c.cost_ev[EVC_RETF_OUTER]
    return RC_OK

cdef int op_iret(Cpu* c, const Insn* i) noexcept nogil:   # iret / iretd
    """SDM Vol. 2 IRET, protected mode: same level and outer level returns.
    NT=1 returns to the previous task (exec_task.pxi); a return to
    virtual-8086 mode is not supported (EV_TASKSWITCH)."""
    cdef uint32_t eip, sel, fl, lo, hi, nesp = 0, nss = 0, slo = 0, shi = 0, mask, old
    cdef int sz = i.opsize, r, dpl, typ, rpl
    if not (c.cr0 & 1):
        # real mode iret (kept minimal)
        if stk_read(c, 0, sz, &eip) or stk_read(c, sz, sz, &sel) or stk_read(c, 2 * sz, sz, &fl):
            return RC_FAULT
        sp_set(c, sp_off(c, 3 * sz))
        c.seg[SEG_CS].sel = sel & 0xFFFF
        c.seg[SEG_CS].base = (sel & 0xFFFF) << 4
        cs_changed(c)
        old = get_eflags(c)
        mask = 0xFFFF if sz == 2 else 0x257FD5
        set_eflags_all(c, (old & ~mask) | (fl & mask))
        c.eip_next = eip & (0xFFFF if sz == 2 else 0xFFFFFFFFu)
        c.m.ifetch_page = KW_NOTAG
        return RC_OK
    if c.eflags & F_NT:
        return task_return(c)       # TASK-RETURN (exec_task.pxi)
    if stk_read(c, 0, sz, &eip) or stk_read(c, sz, sz, &sel) or stk_read(c, 2 * sz, sz, &fl):
        return RC_FAULT
    sel &= 0xFFFF
    if sz == 2:
        eip &= 0xFFFF
    if (fl & F_VM) and c.cpl == 0 and sz == 4:
        c.event = EV_TASKSWITCH     # return to virtual-8086 mode: not supported
        c.event_ext = 2
        return RC_EVENT
    r = check_code_target(c, sel, &lo, &hi)
    if r:
        return r
    typ = (hi >> 8) & 0x1F
    dpl = (hi >> 13) & 3
    rpl = sel & 3
    if (typ & 0x18) != 0x18 or rpl < c.cpl:
        return raise_gp(c, sel & 0xFFFC)
    if (typ & 0x04 and dpl > rpl) or (not (typ & 0x04) and dpl != rpl):
        return raise_gp(c, sel & 0xFFFC)
    if not (hi & 0x8000):
        return raise_exc_err(c, X_NP, sel & 0xFFFC)
    if rpl > c.cpl:
        if stk_read(c, 3 * sz, sz, &nesp) or stk_read(c, 4 * sz, sz, &nss):
            return RC_FAULT
        nss &= 0xFFFF
        r = check_new_ss(c, nss, rpl, &slo, &shi, 0)
        if r:
            return r
    if eip > code_limit(hi, lo):
        return raise_gp(c, 0)
    # EFLAGS: what the *current* CPL may change (SDM IRET operation)
    mask = F_ARITH | F_TF | F_DF | F_NT | F_RF | F_AC | F_ID
    if c.cpl <= iopl_of(c):
        mask |= F_IF
    if c.cpl == 0:
        mask |= F_IOPL
    if sz == 2:
        mask &= 0xFFFF
    old = get_eflags(c)
    if rpl > c.cpl:
        if set_accessed(c, nss, shi):
            return RC_FAULT
        load_cs_cache(c, sel, lo, hi, rpl)
        seg_from_desc(&c.seg[SEG_SS], nss, slo, shi | 0x100)
        c.stack32 = c.seg[SEG_SS].big
        if sz == 2:
            nesp &= 0xFFFF
        sp_set(c, nesp)
        null_outer_segs(c)
        c.cycles += c.cost_ev[EVC_IRET_PRIV]
    else:
        sp_set(c, sp_off(c, 3 * sz))
        load_cs_cache(c, sel, lo, hi, rpl)
        c.cycles += c.cost_ev[EVC_IRET_SAME]
    set_eflags_all(c, (old & ~mask) | (fl & mask))
    c.eip_next = eip
    return RC_OK

# --- control / debug registers -------------------------------------------------

cdef void cr_changed(Cpu* c) noexcept nogil:
    """Propagate CR0/CR3/CR4 to the MMU and flush the TLB."""
    c.m.paging = (c.cr0 & 0x80000001u) == 0x80000001u
    c.m.wp = (c.cr0 >> 16) & 1
    c.m.pse = (c.cr4 >> 4) & 1
    c.m.cr3 = c.cr3
    mmu_flush(&c.m)
    c.attn = 0          # CR0.AM may have changed: slow_checks looks (ac_refresh)

cdef int write_cr(Cpu* c, int n, uint32_t v) noexcept nogil:
    if n == 0:
        # PG without PE, NW without CD: #GP(0).  ET (bit 4) reads 1 on a P6.
        if (v & 0x80000000u) and not (v & 1):
            return raise_gp(c, 0)
        if (v & 0x20000000u) and not (v & 0x40000000u):
            return raise_gp(c, 0)
        c.cr0 = (v & 0xE005003Fu) | 0x10
    elif n == 2:
        c.cr2 = v
        return 0
    elif n == 3:
        c.cr3 = v & 0xFFFFF018u
    elif n == 4:
        # supported: TSD DE PSE PGE PCE OSFXSR (CPUID FXSR; no effect without
        # SSE); VME/PVI/PAE/MCE and the rest reserved
        if v & ~(<uint32_t>0x39C):
            return raise_gp(c, 0)
        c.cr4 = v
    else:
        return raise_exc(c, X_UD)
    cr_changed(c)
    return 0

cdef int op_mov_sys(Cpu* c, const Insn* i) noexcept nogil:
    """mov to/from CRn / DRn (0F 20-23); register operands only."""
    cdef int k0 = i.ops[0].kind, k1 = i.ops[1].kind, n
    cdef uint32_t v
    if c.cpl != 0:
        return raise_gp(c, 0)
    if k1 == OPK_CREG:
        n = i.ops[1].reg
        if n == 0:
            v = c.cr0
        elif n == 2:
            v = c.cr2
        elif n == 3:
            v = c.cr3
        elif n == 4:
            v = c.cr4
        else:
            return raise_exc(c, X_UD)
        c.gpr[i.ops[0].reg] = v
        return RC_OK
    if k0 == OPK_CREG:
        if write_cr(c, i.ops[0].reg, c.gpr[i.ops[1].reg]):
            return RC_FAULT
        return RC_OK
    if k1 == OPK_DREG or k0 == OPK_DREG:
        n = i.ops[1].reg if k1 == OPK_DREG else i.ops[0].reg
        if n == 4 or n == 5:
            if c.cr4 & 8:       # CR4.DE: DR4/DR5 are #UD
                return raise_exc(c, X_UD)
            n += 2
        if c.dr[7] & 0x2000:
            # DR7.GD: #DB fault before the access, DR6.BD set, GD cleared
            # for the handler (SDM Vol. 3B §17.2.4, §17.3.1.1)
            c.dr[7] &= ~(<uint32_t>0x2000)
            c.dr[6] |= 0x2000
            return raise_exc(c, X_DB)
        if k1 == OPK_DREG:
            c.gpr[i.ops[0].reg] = c.dr[n]
        else:
            v = c.gpr[i.ops[1].reg]
            if n == 6:
                v = (v & 0xE00F) | 0xFFFF0FF0u
            elif n == 7:
                v = (v & 0xFFFF23FFu) | 0x400
            c.dr[n] = v
            c.attn = 0      # breakpoints: slow_checks re-reads DR7 (dbg_update)
        return RC_OK
    return raise_exc(c, X_UD)

cdef int op_lmsw(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t v
    if c.cpl != 0:
        return raise_gp(c, 0)
    if rd_op(c, i, 0, &v):
        return RC_FAULT
    # loads PE MP EM TS; PE cannot be cleared
    v = (c.cr0 & ~(<uint32_t>0xE)) | (v & 0xF) | (c.cr0 & 1)
    if write_cr(c, 0, v):
        return RC_FAULT
    return RC_OK

cdef int op_smsw(Cpu* c, const Insn* i) noexcept nogil:
    if i.ops[0].kind == OPK_MEM:
        return wr_op(c, i, 0, c.cr0 & 0xFFFF)
    return wr_op(c, i, 0, c.cr0)

cdef int op_clts(Cpu* c, const Insn* i) noexcept nogil:
    if c.cpl != 0:
        return raise_gp(c, 0)
    c.cr0 &= ~(<uint32_t>8)
    return RC_OK

cdef int op_priv_nop(Cpu* c, const Insn* i) noexcept nogil:   # invd, wbinvd
    if c.cpl != 0:
        return raise_gp(c, 0)
    return RC_OK

cdef int op_invlpg(Cpu* c, const Insn* i) noexcept nogil:
    if c.cpl != 0:
        return raise_gp(c, 0)
    if i.ops[0].kind != OPK_MEM:
        return raise_exc(c, X_UD)
    mmu_invlpg(&c.m, c.seg[i.seg].base + ea(c, i))
    return RC_OK

# --- descriptor tables ---------------------------------------------------------

cdef int op_lgdt_lidt(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t lim, base, a
    if c.cpl != 0:
        return raise_gp(c, 0)
    if i.ops[0].kind != OPK_MEM:
        return raise_exc(c, X_UD)
    a = ea(c, i)
    if rd_mem(c, i.seg, a, 2, &lim) or rd_mem(c, i.seg, (a + 2) & (0xFFFFFFFFu if i.adsize == 4 else 0xFFFF), 4, &base):
        return RC_FAULT
    if i.opsize == 2:
        base &= 0xFFFFFF
    if i.op == OP_LIDT:
        c.idtr_base = base
        c.idtr_limit = lim
    else:
        c.gdtr_base = base
        c.gdtr_limit = lim
    return RC_OK

cdef int op_sgdt_sidt(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint8_t buf[6]
    cdef uint32_t base, lim, lin
    if i.ops[0].kind != OPK_MEM:
        return raise_exc(c, X_UD)
    # #AC(0) at CPL 3 with alignment checking on: "GDTR, IDTR, LDTR, or task
    # register contents" align to 4 (SDM Vol. 3A §6.15 Interrupt 17, Table 6-7)
    if c.ac_on:
        if seg_addr(c, i.seg, ea(c, i), 6, 1, &lin):
            return RC_FAULT
        if lin & 3:
            return raise_exc_err(c, X_AC, 0)
    if i.op == OP_SIDT:
        base = c.idtr_base
        lim = c.idtr_limit
    else:
        base = c.gdtr_base
        lim = c.gdtr_limit
    if i.opsize == 2:
        base &= 0xFFFFFF
    buf[0] = lim & 0xFF
    buf[1] = (lim >> 8) & 0xFF
    buf[2] = base & 0xFF
    buf[3] = (base >> 8) & 0xFF
    buf[4] = (base >> 16) & 0xFF
    buf[5] = (base >> 24) & 0xFF
    return wr_mem_buf(c, i.seg, ea(c, i), 6, buf)

cdef int op_sldt(Cpu* c, const Insn* i) noexcept nogil:
    if i.ops[0].kind == OPK_MEM:
        return wr_op(c, i, 0, c.ldtr.sel)
    rset(c, i.ops[0].reg, i.ops[0].size, c.ldtr.sel)
    return RC_OK

cdef int op_str(Cpu* c, const Insn* i) noexcept nogil:
    if i.ops[0].kind == OPK_MEM:
        return wr_op(c, i, 0, c.tr.sel)
    rset(c, i.ops[0].reg, i.ops[0].size, c.tr.sel)
    return RC_OK

cdef int op_lldt(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t sel, lo, hi
    cdef int r
    if c.cpl != 0:
        return raise_gp(c, 0)
    if rd_op(c, i, 0, &sel):
        return RC_FAULT
    sel &= 0xFFFF
    if (sel & 0xFFFC) == 0:
        seg_null(&c.ldtr, sel)
        return RC_OK
    if sel & 4:
        return raise_gp(c, sel & 0xFFFC)
    r = fetch_desc(c, sel, &lo, &hi)
    if r == -1:
        return raise_gp(c, sel & 0xFFFC)
    if r:
        return r
    if ((hi >> 8) & 0x1F) != 0x02:
        return raise_gp(c, sel & 0xFFFC)
    if not (hi & 0x8000):
        return raise_exc_err(c, X_NP, sel & 0xFFFC)
    seg_from_desc(&c.ldtr, sel, lo, hi)
    return RC_OK

cdef int op_ltr(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t sel, lo, hi, typ
    cdef int r
    if c.cpl != 0:
        return raise_gp(c, 0)
    if rd_op(c, i, 0, &sel):
        return RC_FAULT
    sel &= 0xFFFF
    if (sel & 0xFFFC) == 0:
        return raise_gp(c, 0)
    if sel & 4:
        return raise_gp(c, sel & 0xFFFC)
    r = fetch_desc(c, sel, &lo, &hi)
    if r == -1:
        return raise_gp(c, sel & 0xFFFC)
    if r:
        return r
    typ = (hi >> 8) & 0x1F
    if typ != 0x01 and typ != 0x09:
        return raise_gp(c, sel & 0xFFFC)
    if not (hi & 0x8000):
        return raise_exc_err(c, X_NP, sel & 0xFFFC)
    # mark busy (the CPU writes the descriptor)
    if sys_wr(c, c.gdtr_base + (sel & 0xFFF8) + 5, 1, ((hi >> 8) & 0xFF) | 2):
        return RC_FAULT
    seg_from_desc(&c.tr, sel, lo, hi | 0x200)
    return RC_OK

# --- lar / lsl / verr / verw / arpl (SDM Vol. 2) -----------------------------------

cdef int sel_visible(Cpu* c, uint32_t sel, uint32_t* lo, uint32_t* hi, int which) noexcept nogil:
    """Common check of lar(0)/lsl(1)/verr(2)/verw(3): 1 if the descriptor
    passes, 0 if not (ZF=0), -1 on a #PF while reading."""
    cdef int r, typ, dpl
    if (sel & 0xFFFC) == 0:
        return 0
    r = fetch_desc(c, sel, lo, hi)
    if r == -1:
        return 0
    if r:
        return -1
    typ = (hi[0] >> 8) & 0x1F
    dpl = (hi[0] >> 13) & 3
    if typ & 0x10:
        if which == 2 and (typ & 0x0A) == 0x08:         # verr: execute-only code
            return 0
        if which == 3 and (typ & 0x0A) != 0x02:         # verw: writable data only
            return 0
        if (typ & 0x1C) == 0x1C and which <= 2:         # conforming code: no DPL check
            return 1
    else:
        if which >= 2:
            return 0
        if which == 0:
            if typ not in (1, 2, 3, 4, 5, 9, 0xB, 0xC):
                return 0
        elif typ not in (1, 2, 3, 9, 0xB):
            return 0
    if dpl < c.cpl or dpl < (sel & 3):
        return 0
    return 1

cdef int op_lar_lsl(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t sel, lo = 0, hi = 0, v
    cdef int ok, is_lsl = i.op == OP_LSL
    if rd_op(c, i, 1, &sel):
        return RC_FAULT
    ok = sel_visible(c, sel & 0xFFFF, &lo, &hi, is_lsl)
    if ok < 0:
        return RC_FAULT
    if ok:
        if is_lsl:
            v = code_limit(hi, lo)
        else:
            v = hi & 0x00F0FF00u
        rset(c, i.ops[0].reg, i.ops[0].size, v)
    set_arith_flags(c, F_ZF, F_ZF if ok else 0)
    return RC_OK

cdef int op_verr_verw(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t sel, lo = 0, hi = 0
    cdef int ok
    if rd_op(c, i, 0, &sel):
        return RC_FAULT
    ok = sel_visible(c, sel & 0xFFFF, &lo, &hi, 3 if i.op == OP_VERW else 2)
    if ok < 0:
        return RC_FAULT
    set_arith_flags(c, F_ZF, F_ZF if ok else 0)
    return RC_OK

cdef int op_arpl(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t d, s, lin
    # SDM Vol. 2A ARPL, Protected Mode Exceptions: "#GP(0) If the destination
    # is located in a non-writable segment" -- whether or not it is adjusted
    if i.ops[0].kind == OPK_MEM and seg_addr(c, i.seg, ea(c, i), 2, 1, &lin):
        return RC_FAULT
    if rd_op(c, i, 0, &d) or rd_op(c, i, 1, &s):
        return RC_FAULT
    if (d & 3) < (s & 3):
        if wr_op(c, i, 0, (d & 0xFFFC) | (s & 3)):
            return RC_FAULT
        set_arith_flags(c, F_ZF, F_ZF)
    else:
        set_arith_flags(c, F_ZF, 0)
    return RC_OK

# --- segment loads with a far pointer: lds les lfs lgs lss --------------------------

cdef int op_lxs(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t off, sel, a
    cdef int s
    if i.ops[1].kind != OPK_MEM:
        return raise_exc(c, X_UD)
    if i.op == OP_LDS:
        s = SEG_DS
    elif i.op == OP_LES:
        s = SEG_ES
    elif i.op == OP_LFS:
        s = SEG_FS
    elif i.op == OP_LGS:
        s = SEG_GS
    else:
        s = SEG_SS
    a = ea(c, i)
    if rd_mem(c, i.seg, a, i.opsize, &off):
        return RC_FAULT
    a = a + i.opsize
    if i.adsize == 2:
        a &= 0xFFFF
    if rd_mem(c, i.seg, a, 2, &sel):
        return RC_FAULT
    if load_sreg(c, s, sel):
        return RC_FAULT
    rset(c, i.ops[0].reg, i.opsize, off)
    return RC_OK

# --- I/O (SDM Vol. 1 §18.5 protected-mode I/O) -----------------------------------

cdef int io_perm(Cpu* c, uint32_t port, int size) noexcept nogil:
    """IOPL, then the TSS I/O permission bitmap when CPL > IOPL: #GP(0)."""
    cdef uint32_t base, bits, off
    if c.cpl <= iopl_of(c):
        return 0
    if not c.tr.valid or not (c.tr.access & 0x8) or c.tr.limit < 0x67:
        return raise_gp(c, 0)
    if sys_rd(c, c.tr.base + 0x66, 2, &base):
        return RC_FAULT
    off = base + (port >> 3)
    if off + 1 > c.tr.limit:
        return raise_gp(c, 0)
    if sys_rd(c, c.tr.base + off, 2, &bits):
        return RC_FAULT
    if (bits >> (port & 7)) & ((1 << size) - 1):
        return raise_gp(c, 0)
    return 0

cdef int io_access(Cpu* c, const Insn* i, uint32_t port, int size, int write, uint32_t* val) noexcept nogil:
    """Perform an I/O access after io_perm.  Host-hooked ports leave the loop
    (EV_IO) and complete when re-executed with c.io_ready set."""
    port &= 0xFFFF
    if c.dbg_d:
        dbg_io(c, port, size)       # I/O breakpoints (trap after the instruction)
    if (c.io_hooked[port >> 3] >> (port & 7)) & 1:
        if write:
            # posted: the instruction completes, then the loop leaves (EV_IO)
            c.io_port = port
            c.io_size = size
            c.io_write = 1
            c.io_value = val[0] & size_mask(size)
            c.io_ready = 0
            if (c.io_free_bm[port >> 3] >> (port & 7)) & 1:
                c.cycles -= c.cost_class[row_info(i.row).cls]
            c.event = EV_IO
            return RC_EXIT
        if c.io_ready and c.io_port == port and c.io_write == write:
            c.io_ready = 0
            if not write:
                val[0] = c.io_value & size_mask(size)
            if (c.io_free_bm[port >> 3] >> (port & 7)) & 1:
                c.cycles -= c.cost_class[row_info(i.row).cls]
            return 0
        c.io_port = port
        c.io_size = size
        c.io_write = write
        c.io_value = val[0] & size_mask(size) if write else 0
        c.io_ready = 0
        c.event = EV_IO
        return RC_EVENT
    if not write:
        val[0] = size_mask(size)     # nothing on the bus
    return 0

cdef int op_in(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t port, v = 0
    cdef int size = i.ops[0].size, r
    port = (i.imm & 0xFF) if i.ops[1].kind == OPK_IMM else (c.gpr[2] & 0xFFFF)
    if io_perm(c, port, size):
        return RC_FAULT
    r = io_access(c, i, port, size, 0, &v)
    if r:
        return r
    rset(c, 0, size, v)
    return RC_OK

cdef int op_out(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t port, v
    cdef int size = i.ops[1].size
    port = (i.imm & 0xFF) if i.ops[0].kind == OPK_IMM else (c.gpr[2] & 0xFFFF)
    if io_perm(c, port, size):
        return RC_FAULT
    v = rget(c, 0, size)
    return io_access(c, i, port, size, 1, &v)       # RC_OK or RC_EXIT

# --- identification, counters, MSRs -------------------------------------------------

cdef int op_cpuid(Cpu* c, const Insn* i) noexcept nogil:
    # A Celeron (Mendocino): family 6, model 6, stepping 5.  Features: only
    # what kw86 executes: FPU (x87, exec_fpu.pxi / x87.pyx) DE (CR4.DE,
    # DR4/DR5 alias or #UD) PSE TSC MSR CX8 SEP PGE CMOV MMX FXSR (a real
    # Mendocino reports EDX 0183F9FFh, FXSR included: Linux 2.4 boot logs).
    # No VME/PAE/MCE/MTRR/MCA/PAT/PSE-36.
    cdef uint32_t leaf = c.gpr[0]
    if leaf > 2:
        leaf = 2          # P6: leaves above the maximum return the highest leaf
    if leaf == 0:
        c.gpr[0] = 2
        c.gpr[3] = 0x756E6547     # "Genu"
        c.gpr[2] = 0x49656E69     # "ineI"
        c.gpr[1] = 0x6C65746E     # "ntel"
    elif leaf == 1:
        c.gpr[0] = 0x00000665
        c.gpr[3] = 0
        c.gpr[1] = 0
        c.gpr[2] = ((1 << 0) | (1 << 2) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 8)
                    | (1 << 11) | (1 << 13) | (1 << 15) | (1 << 23) | (1 << 24))
    else:
        # cache/TLB descriptors: 01 02 03 04 TLBs, 08/0C 16K L1 I/D, 41 128K L2
        c.gpr[0] = 0x03020101
        c.gpr[3] = 0
        c.gpr[1] = 0
        c.gpr[2] = 0x0C040841
    return RC_OK

cdef int op_rdtsc(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint64_t t
    if (c.cr4 & 4) and c.cpl != 0:
        return raise_gp(c, 0)
    t = c.cycles + c.tsc_offset
    c.gpr[0] = <uint32_t>t
    c.gpr[2] = <uint32_t>(t >> 32)
    return RC_OK

cdef int op_rdpmc(Cpu* c, const Insn* i) noexcept nogil:
    # performance counters are not modelled: they read 0
    if not (c.cr4 & 0x100) and c.cpl != 0:
        return raise_gp(c, 0)
    if c.gpr[1] > 1:
        return raise_gp(c, 0)
    c.gpr[0] = 0
    c.gpr[2] = 0
    return RC_OK

cdef int op_rdmsr(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint64_t v
    if c.cpl != 0:
        return raise_gp(c, 0)
    if c.gpr[1] == 0x10:
        v = c.cycles + c.tsc_offset
    elif c.gpr[1] == 0x174:
        v = c.sysenter_cs
    elif c.gpr[1] == 0x175:
        v = c.sysenter_esp
    elif c.gpr[1] == 0x176:
        v = c.sysenter_eip
    else:
        return raise_gp(c, 0)       # MSR not implemented
    c.gpr[0] = <uint32_t>v
    c.gpr[2] = <uint32_t>(v >> 32)
    return RC_OK

cdef int op_wrmsr(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint64_t v = (<uint64_t>c.gpr[2] << 32) | c.gpr[0]
    if c.cpl != 0:
        return raise_gp(c, 0)
    if c.gpr[1] == 0x10:
        # P6 writes only the low 32 bits, zero-extended (SDM Vol. 3B §17.17)
        c.tsc_offset = (v & 0xFFFFFFFFu) - c.cycles
    elif c.gpr[1] == 0x174:
        c.sysenter_cs = c.gpr[0] & 0xFFFF
    elif c.gpr[1] == 0x175:
        c.sysenter_esp = c.gpr[0]
    elif c.gpr[1] == 0x176:
        c.sysenter_eip = c.gpr[0]
    else:
        return raise_gp(c, 0)
    return RC_OK

cdef void flat_seg(SegCache* s, uint16_t sel, int code, int dpl) noexcept nogil:
    s.sel = sel
    s.base = 0
    s.limit = 0xFFFFFFFFu
    s.access = 0x80 | (dpl << 5) | 0x10 | (0x0B if code else 0x03)
    s.big = 1
    s.gran = 1
    s.valid = 1
    seg_update(s)

cdef int op_sysenter(Cpu* c, const Insn* i) noexcept nogil:
    if not (c.cr0 & 1) or (c.sysenter_cs & 0xFFFC) == 0:
        return raise_gp(c, 0)
    c.eflags &= ~(<uint32_t>(F_VM | F_IF | F_RF))
    flat_seg(&c.seg[SEG_CS], c.sysenter_cs & 0xFFFC, 1, 0)
    c.seg[SEG_CS].flat = 0
    flat_seg(&c.seg[SEG_SS], (c.sysenter_cs + 8) & 0xFFFC, 0, 0)
    cs_changed(c)
    c.stack32 = 1
    set_cpl(c, 0)
    c.gpr[4] = c.sysenter_esp
    c.eip_next = c.sysenter_eip
    return RC_OK

cdef int op_sysexit(Cpu* c, const Insn* i) noexcept nogil:
    if not (c.cr0 & 1) or (c.sysenter_cs & 0xFFFC) == 0 or c.cpl != 0:
        return raise_gp(c, 0)
    flat_seg(&c.seg[SEG_CS], ((c.sysenter_cs + 16) & 0xFFFC) | 3, 1, 3)
    c.seg[SEG_CS].flat = 0
    flat_seg(&c.seg[SEG_SS], ((c.sysenter_cs + 24) & 0xFFFC) | 3, 0, 3)
    cs_changed(c)
    c.stack32 = 1
    set_cpl(c, 3)
    c.gpr[4] = c.gpr[1]
    c.eip_next = c.gpr[2]
    return RC_OK

cdef int op_rsm(Cpu* c, const Insn* i) noexcept nogil:
    return raise_exc(c, X_UD)       # not in SMM

cdef register_system():
    global OP_LIDT, OP_SIDT, OP_LSL, OP_VERW, OP_LDS, OP_LES, OP_LFS, OP_LGS
    from kw86.isa import opcodes
    OP_LIDT = opcodes.mnemonic_id("lidt")
    OP_SIDT = opcodes.mnemonic_id("sidt")
    OP_LSL = opcodes.mnemonic_id("lsl")
    OP_VERW = opcodes.mnemonic_id("verw")
    OP_LDS = opcodes.mnemonic_id("lds")
    OP_LES = opcodes.mnemonic_id("les")
    OP_LFS = opcodes.mnemonic_id("lfs")
    OP_LGS = opcodes.mnemonic_id("lgs")
    reg("retf", op_retf)
    reg_all(["iret", "iretd"], op_iret)
    reg("lmsw", op_lmsw)
    reg("smsw", op_smsw)
    reg("clts", op_clts)
    reg_all(["invd", "wbinvd"], op_priv_nop)
    reg("invlpg", op_invlpg)
    reg_all(["lgdt", "lidt"], op_lgdt_lidt)
    reg_all(["sgdt", "sidt"], op_sgdt_sidt)
    reg("sldt", op_sldt)
    reg("str", op_str)
    reg("lldt", op_lldt)
    reg("ltr", op_ltr)
    reg_all(["lar", "lsl"], op_lar_lsl)
    reg_all(["verr", "verw"], op_verr_verw)
    reg("arpl", op_arpl)
    reg_all(["lds", "les", "lfs", "lgs", "lss"], op_lxs)
    reg("in", op_in)
    reg("out", op_out)
    reg("cpuid", op_cpuid)
    reg("rdtsc", op_rdtsc)
    reg("rdpmc", op_rdpmc)
    reg("rdmsr", op_rdmsr)
    reg("wrmsr", op_wrmsr)
    reg("sysenter", op_sysenter)
    reg("sysexit", op_sysexit)
    reg("rsm", op_rsm)
