# kw86/exec_task.pxi -- hardware task switching (included by exec.pyx).
#
# Intel SDM Vol. 3A ch. 7 (Task Management): §7.3 the task-switch steps,
# Table 7-1 the checks (in the table's order, "the order used in the P6
# family processors"), Table 7-2 busy / NT / previous-task-link rules,
# §7.2.1 the dynamic (saved) and static (only read) TSS fields, §7.6 the
# 16-bit TSS; Vol. 2 JMP / CALL / INT n / IRET pseudocode (task-gate and
# TSS paths, TASK-RETURN); Vol. 3A §6.12.2 interrupt tasks, Table 6-6 (#TS
# conditions); Vol. 3B §17.3.1.5 the T flag; §22.28.2 (P6 writes 4-byte
# selectors into a 32-bit TSS, upper half 0).
#
# Entry points (all in the slow, rare paths; the run loop is untouched):
#   task_far(c, sel, lo, hi, is_call)    far jmp / call to a TSS descriptor or task gate
#   task_return(c)                       iret with EFLAGS.NT = 1
#   task_gate_int(c, lo, ...)            interrupt / exception through an IDT task gate (deliver)
#
# Faults: before the commit point (steps 1-11) nothing has changed and the
# exception belongs to the old task (return address: the instruction that
# started the switch, or the interrupted one).  After it (step 13, segment
# checks; the error-code push; the EIP limit check) the switch is complete
# and the exception is raised in the new task, with the new task's EIP as the
# faulting address (c.eip is set before returning RC_FAULT).

cdef enum:
    TS_JMP = 0
    TS_CALL = 1
    TS_IRET = 2
    TS_INT = 3          # interrupt, exception, int n (nesting, like CALL)

# 32-bit TSS offsets (SDM Vol. 3A Figure 7-2)
cdef enum:
    TSS32_LINK = 0x00
    TSS32_CR3 = 0x1C
    TSS32_EIP = 0x20
    TSS32_EFLAGS = 0x24
    TSS32_GPR = 0x28    # EAX ECX EDX EBX ESP EBP ESI EDI
    TSS32_SEG = 0x48    # ES CS SS DS FS GS, 4 bytes each
    TSS32_LDT = 0x60
    TSS32_T = 0x64
    TSS32_MINLIM = 0x67
# 16-bit TSS offsets (SDM Vol. 3A Figure 7-10)
cdef enum:
    TSS16_IP = 0x0E
    TSS16_FLAGS = 0x10
    TSS16_GPR = 0x12    # AX CX DX BX SP BP SI DI
    TSS16_SEG = 0x22    # ES CS SS DS, 2 bytes each
    TSS16_LDT = 0x2A
    TSS16_MINLIM = 0x2B

cdef enum:
    # EFLAGS bits a task switch loads from a TSS (VIF/VIP are not modelled)
    TS_EFLAGS_MASK = 0x277FD5

cdef inline uint32_t _rd32(const uint8_t* b, int off) noexcept nogil:
    return (<uint32_t>b[off] | (<uint32_t>b[off + 1] << 8) | (<uint32_t>b[off + 2] << 16)
            | (<uint32_t>b[off + 3] << 24))

cdef inline uint32_t _rd16(const uint8_t* b, int off) noexcept nogil:
    return <uint32_t>b[off] | (<uint32_t>b[off + 1] << 8)

cdef int _probe_wr(Cpu* c, uint32_t lin, uint32_t n) noexcept nogil:
    """Step 5: the bytes lin .. lin+n-1 can be written by a supervisor
    access (present, writable under CR0.WP): #PF now, before any change."""
    cdef uint32_t pa
    if mmu_translate(&c.m, lin, 1, 0, &pa):
        return raise_pf(c)
    if ((lin & 0xFFF) + n) > 4096 and mmu_translate(&c.m, lin + n - 1, 1, 0, &pa):
        return raise_pf(c)
    return 0

cdef int task_target(Cpu* c, uint32_t tsel, int src, uint32_t ext,
                     uint32_t* lo, uint32_t* hi) noexcept nogil:
    """Table 7-1, rows 1-5, for the new task's TSS selector: in the GDT and
    within its limit (#GP, or #TS for IRET), a TSS descriptor, not busy
    (#GP; JMP, CALL, INT), present (#NP), busy for IRET (#TS), limit >= 67H
    (32-bit) or 2BH (16-bit) (#TS).  Error codes: the TSS selector (+ EXT)."""
    cdef int vec = X_TS if src == TS_IRET else X_GP
    cdef uint32_t err = (tsel & 0xFFFC) | ext, off = tsel & 0xFFF8, typ
    if src == TS_IRET and (tsel & 0xFFFC) == 0:
        return raise_exc_err(c, X_TS, ext)                  # Table 6-6: a NULL back link
    if (tsel & 4) or off + 7 > c.gdtr_limit:
        return raise_exc_err(c, vec, err)
    if sys_rd(c, c.gdtr_base + off, 4, lo) or sys_rd(c, c.gdtr_base + off + 4, 4, hi):
        return RC_FAULT
    typ = (hi[0] >> 8) & 0x1F
    if typ != 0x01 and typ != 0x03 and typ != 0x09 and typ != 0x0B:
        return raise_exc_err(c, vec, err)                   # not a TSS descriptor
    if src != TS_IRET and typ & 2:
        # busy: tasks are not re-entrant.  Before the present check: SDM Vol. 2A
        # CALL / JMP (TASK-GATE, TASK-STATE-SEGMENT) and INT n (TASK-GATE): "IF TSS
        # descriptor indicates TSS not available THEN #GP(TSS selector); IF TSS is
        # not present THEN #NP(TSS selector)" (QEMU and Bochs agree)
        return raise_exc_err(c, X_GP, err)
    if not (hi[0] & 0x8000):
        return raise_exc_err(c, X_NP, err)
    if src == TS_IRET and not (typ & 2):
        return raise_exc_err(c, X_TS, err)                  # back link not busy
    if code_limit(hi[0], lo[0]) < (TSS32_MINLIM if typ & 8 else TSS16_MINLIM):
        return raise_exc_err(c, X_TS, err)
    return 0

cdef int _ts_load_segs(Cpu* c, uint32_t* sels, uint32_t ldt_sel, uint32_t ext) noexcept nogil:
    """Step 13 (after the commit point): LDTR, CS, SS, DS, ES, FS, GS from
    the new task's selectors (sels: ES CS SS DS FS GS), with the checks of
    Table 7-1 in its order.  The selectors are already visible; a segment
    whose check fails, and every one after it, keeps an unusable hidden part.
    #TS / #NP / #SS with the selector (+ EXT)."""
    cdef uint32_t lo[6]
    cdef uint32_t hi[6]
    cdef uint32_t llo = 0, lhi = 0, sel, dhi
    cdef int rd[6]
    cdef int r, k, s, cpl, typ, dpl, rpl
    cdef int order[4]
    cpl = sels[SEG_CS] & 3
    # LDT segment selector of the new task is valid (#TS)
    if ldt_sel & 0xFFFC:
        if ldt_sel & 4:
            return raise_exc_err(c, X_TS, (ldt_sel & 0xFFFC) | ext)
        if (ldt_sel & 0xFFF8) + 7 > c.gdtr_limit:
            return raise_exc_err(c, X_TS, (ldt_sel & 0xFFFC) | ext)
        if (sys_rd(c, c.gdtr_base + (ldt_sel & 0xFFF8), 4, &llo)
                or sys_rd(c, c.gdtr_base + (ldt_sel & 0xFFF8) + 4, 4, &lhi)):
            return RC_FAULT
        if ((lhi >> 8) & 0x1F) != 0x02:
            return raise_exc_err(c, X_TS, (ldt_sel & 0xFFFC) | ext)
        seg_from_desc(&c.ldtr, ldt_sel, llo, lhi)   # the new LDT is where CS..GS are looked up
    else:
        seg_null(&c.ldtr, ldt_sel)
    # descriptors of CS SS DS ES FS GS: rd = 0 read, -1 null or outside its table
    for s in range(6):
        sel = sels[s]
        if (sel & 0xFFFC) == 0:
            rd[s] = -1
            continue
        r = fetch_desc(c, sel, &lo[s], &hi[s])
        if r > 0:
            return r                                # #PF reading a descriptor
        rd[s] = r
    # code segment DPL matches the selector's RPL (#TS)
    sel = sels[SEG_CS]
    if rd[SEG_CS] == 0 and (hi[SEG_CS] & 0x1800) == 0x1800:
        dpl = (hi[SEG_CS] >> 13) & 3
        if (dpl > cpl) if (hi[SEG_CS] & 0x400) else (dpl != cpl):
            return raise_exc_err(c, X_TS, (sel & 0xFFFC) | ext)
    # SS selector valid: not null, in its table, a writable data segment (#TS)
    sel = sels[SEG_SS]
    dhi = hi[SEG_SS]
    if rd[SEG_SS] != 0 or ((dhi >> 8) & 0x1A) != 0x12:
        return raise_exc_err(c, X_TS, (sel & 0xFFFC) | ext)
    # stack segment present (#SS)
    if not (dhi & 0x8000):
        return raise_exc_err(c, X_SS, (sel & 0xFFFC) | ext)
    # stack segment DPL matches CPL (#TS)
    if <int>((dhi >> 13) & 3) != cpl:
        return raise_exc_err(c, X_TS, (sel & 0xFFFC) | ext)
    # LDT of the new task present (#TS)
    if (ldt_sel & 0xFFFC) and not (lhi & 0x8000):
        return raise_exc_err(c, X_TS, (ldt_sel & 0xFFFC) | ext)
    # CS selector valid: not null, in its table, a code segment (#TS)
    sel = sels[SEG_CS]
    if rd[SEG_CS] != 0 or (hi[SEG_CS] & 0x1800) != 0x1800:
        return raise_exc_err(c, X_TS, (sel & 0xFFFC) | ext)
    # code segment present (#NP)
    if not (hi[SEG_CS] & 0x8000):
        return raise_exc_err(c, X_NP, (sel & 0xFFFC) | ext)
    # stack segment DPL matches the selector's RPL (#TS)
    if <int>(sels[SEG_SS] & 3) != cpl:
        return raise_exc_err(c, X_TS, (sels[SEG_SS] & 0xFFFC) | ext)
    # CS and SS are good: load their hidden parts
    if set_accessed(c, sels[SEG_CS], hi[SEG_CS]) or set_accessed(c, sels[SEG_SS], hi[SEG_SS]):
        return RC_FAULT
    seg_from_desc(&c.seg[SEG_CS], sels[SEG_CS], lo[SEG_CS], hi[SEG_CS] | 0x100)
    cs_changed(c)
    seg_from_desc(&c.seg[SEG_SS], sels[SEG_SS], lo[SEG_SS], hi[SEG_SS] | 0x100)
    c.stack32 = c.seg[SEG_SS].big
    # DS, ES, FS, GS: each check over the four, in the table's order
    order[0] = SEG_DS
    order[1] = SEG_ES
    order[2] = SEG_FS
    order[3] = SEG_GS
    for k in range(4):          # selectors valid: in their table, a code or data segment
        s = order[k]
        if (sels[s] & 0xFFFC) and (rd[s] != 0 or not (hi[s] & 0x1000)):
            return raise_exc_err(c, X_TS, (sels[s] & 0xFFFC) | ext)
    for k in range(4):          # readable (not execute-only code)
        s = order[k]
        if rd[s] == 0 and (hi[s] & 0xA00) == 0x800:
            return raise_exc_err(c, X_TS, (sels[s] & 0xFFFC) | ext)
    for k in range(4):          # present (#NP)
        s = order[k]
        if rd[s] == 0 and not (hi[s] & 0x8000):
            return raise_exc_err(c, X_NP, (sels[s] & 0xFFFC) | ext)
    for k in range(4):          # DPL >= CPL and >= RPL unless conforming code
        s = order[k]
        if rd[s] == 0 and (hi[s] & 0xC00) != 0xC00:
            dpl = (hi[s] >> 13) & 3
            rpl = sels[s] & 3
            if dpl < cpl or dpl < rpl:
                return raise_exc_err(c, X_TS, (sels[s] & 0xFFFC) | ext)
    for k in range(4):
        s = order[k]
        if rd[s] != 0:
            continue            # a null selector: stays unusable
        if set_accessed(c, sels[s], hi[s]):
            return RC_FAULT
        seg_from_desc(&c.seg[s], sels[s], lo[s], hi[s] | 0x100)
    return 0

cdef int task_switch(Cpu* c, uint32_t nsel, uint32_t nlo, uint32_t nhi, int src,
                     uint32_t ext, uint32_t ret_eip) noexcept nogil:
    """SDM Vol. 3A §7.3 steps 5-14 to the TSS nsel (descriptor nlo:nhi,
    checked by task_target).  ret_eip: the old task's EIP to save.  0 = the
    new task runs (c.eip = its EIP), RC_FAULT, or RC_EVENT (a virtual-8086
    task: not supported, nothing changed)."""
    cdef uint8_t nt[0x68]
    cdef uint32_t nbase, nlim, obase, osel = c.tr.sel, v, fl, neip, ldt_sel, gbyte
    cdef uint32_t sels[6]
    cdef uint32_t gpr[8]
    cdef int new32 = (nhi & 0x800) != 0, old32 = (c.tr.access & 0x8) != 0, k, n, r
    nbase = (nlo >> 16) | ((nhi & 0xFF) << 16) | (nhi & 0xFF000000u)
    nlim = TSS32_MINLIM if new32 else TSS16_MINLIM
    obase = c.tr.base
    # --- before the commit point: nothing changes, faults are the old task's ---
    # the old TSS: the task register must hold one whose dynamic fields fit
    if not c.tr.valid or (c.tr.access & 0x15) != 0x01 or c.tr.limit < (
            TSS32_SEG + 23 if old32 else TSS16_SEG + 7):
        return raise_exc_err(c, X_TS, (osel & 0xFFFC) | ext)
    # step 5: the new TSS is read (its static and dynamic fields) ...
    if mmu_read_buf(&c.m, nbase, nlim + 1, 0, nt):
        return raise_pf(c)
    if new32:
        fl = _rd32(nt, TSS32_EFLAGS)
        if fl & F_VM:
            c.event = EV_TASKSWITCH         # a virtual-8086 task: not supported
            c.event_ext = 3
            return RC_EVENT
    # ... and the old TSS, the new TSS's link field and both descriptors
    # can be written
    if old32:
        r = _probe_wr(c, obase + TSS32_EIP, TSS32_SEG + 24 - TSS32_EIP)
    else:
        r = _probe_wr(c, obase + TSS16_IP, TSS16_SEG + 8 - TSS16_IP)
    if r:
        return r
    if src == TS_CALL or src == TS_INT:
        if _probe_wr(c, nbase + TSS32_LINK, 2):
            return RC_FAULT
    if src == TS_JMP or src == TS_IRET:
        if _probe_wr(c, c.gdtr_base + (osel & 0xFFF8) + 5, 1):
            return RC_FAULT
    if src != TS_IRET:
        if _probe_wr(c, c.gdtr_base + (nsel & 0xFFF8) + 5, 1):
            return RC_FAULT
    # --- commit ---
    c.cycles += c.cost_ev[EVC_TASK_SWITCH]
    # step 6: JMP / IRET leave the old task not busy
    if src == TS_JMP or src == TS_IRET:
        if sys_rd(c, c.gdtr_base + (osel & 0xFFF8) + 5, 1, &gbyte) or sys_wr(
                c, c.gdtr_base + (osel & 0xFFF8) + 5, 1, gbyte & ~(<uint32_t>2)):
            return RC_FAULT
    # step 7: the EFLAGS image, NT cleared by IRET
    fl = get_eflags(c)
    if src == TS_IRET:
        fl &= ~(<uint32_t>F_NT)
    # step 8: the old task's dynamic fields (§7.2.1): EIP, EFLAGS, GPRs, selectors
    if old32:
        v = obase + TSS32_EIP
        if mmu_write(&c.m, v, 4, 0, ret_eip) or mmu_write(&c.m, v + 4, 4, 0, fl):
            return raise_pf(c)
        for k in range(8):
            if mmu_write(&c.m, obase + TSS32_GPR + 4 * k, 4, 0, c.gpr[k]):
                return raise_pf(c)
        for k in range(6):      # 4-byte stores, upper half 0 (SDM Vol. 3A §22.28.2)
            if mmu_write(&c.m, obase + TSS32_SEG + 4 * k, 4, 0, c.seg[k].sel):
                return raise_pf(c)
    else:
        v = obase + TSS16_IP
        if mmu_write(&c.m, v, 2, 0, ret_eip & 0xFFFF) or mmu_write(&c.m, v + 2, 2, 0, fl & 0xFFFF):
            return raise_pf(c)
        for k in range(8):
            if mmu_write(&c.m, obase + TSS16_GPR + 2 * k, 2, 0, c.gpr[k] & 0xFFFF):
                return raise_pf(c)
        for k in range(4):      # ES CS SS DS
            if mmu_write(&c.m, obase + TSS16_SEG + 2 * k, 2, 0, c.seg[k].sel):
                return raise_pf(c)
    # step 9: CALL / interrupt: the back link, and NT in the new EFLAGS
    if src == TS_CALL or src == TS_INT:
        if mmu_write(&c.m, nbase + TSS32_LINK, 2, 0, osel):
            return raise_pf(c)
    # step 10: the new task busy (IRET: it already is)
    if src != TS_IRET:
        if sys_wr(c, c.gdtr_base + (nsel & 0xFFF8) + 5, 1, ((nhi >> 8) & 0xFF) | 2):
            return RC_FAULT
        nhi |= 0x200
    # step 11: TR
    seg_from_desc(&c.tr, nsel, nlo, nhi)
    # step 12: CR3 (32-bit TSS, paging on), EFLAGS, EIP, GPRs, the selectors
    if new32:
        if c.cr0 & 0x80000000u:
            c.cr3 = _rd32(nt, TSS32_CR3) & 0xFFFFF018u
            cr_changed(c)
        fl = (_rd32(nt, TSS32_EFLAGS) & TS_EFLAGS_MASK) | 2
        neip = _rd32(nt, TSS32_EIP)
        for k in range(8):
            gpr[k] = _rd32(nt, TSS32_GPR + 4 * k)
        for k in range(6):
            sels[k] = _rd16(nt, TSS32_SEG + 4 * k)
        ldt_sel = _rd16(nt, TSS32_LDT)
    else:
        # no CR3 in a 16-bit TSS (the old page tables stay); FS and GS are
        # not in it: loaded null.  The upper halves of the GPRs are "modified
        # and not maintained" (SDM §7.6): kw86 sets them to 0xFFFF.
        fl = (_rd16(nt, TSS16_FLAGS) & TS_EFLAGS_MASK) | 2
        neip = _rd16(nt, TSS16_IP)
        for k in range(8):
            gpr[k] = 0xFFFF0000u | _rd16(nt, TSS16_GPR + 2 * k)
        for k in range(4):
            sels[k] = _rd16(nt, TSS16_SEG + 2 * k)
        sels[SEG_FS] = 0
        sels[SEG_GS] = 0
        ldt_sel = _rd16(nt, TSS16_LDT)
    if src == TS_CALL or src == TS_INT:
        fl |= F_NT
    set_eflags_all(c, fl)
    for k in range(8):
        c.gpr[k] = gpr[k]
    c.eip = neip
    c.eip_next = neip
    c.halted = 0
    c.shadow = 0
    c.shadow_ss = 0
    for k in range(6):
        seg_null(&c.seg[k], sels[k])
    cs_changed(c)
    c.stack32 = 0
    set_cpl(c, sels[SEG_CS] & 3)
    c.cr0 |= 8                                  # CR0.TS: set by every task switch
    c.attn = 0                                  # slow_checks re-reads EFLAGS.AC / TF, CPL
    # step 13: the descriptors, in the new task's context
    r = _ts_load_segs(c, sels, ldt_sel, ext)
    if r:
        return r
    # the T flag: a #DB trap before the new task's first instruction (DR6.BT)
    if new32 and (nt[TSS32_T] & 1):
        c.dr[6] |= 0x8000
        c.tf_armed |= TFA_TASK
    return 0

cdef int task_far(Cpu* c, uint32_t sel, uint32_t lo, uint32_t hi, int is_call) noexcept nogil:
    """far jmp / call whose selector names a TSS descriptor (types 1/3/9/B)
    or a task gate (type 5): SDM Vol. 2 JMP / CALL, TASK-GATE and
    TASK-STATE-SEGMENT.  RC_OK with the new task's EIP in eip_next."""
    cdef uint32_t tsel, tlo = 0, thi = 0
    cdef int typ = (hi >> 8) & 0x1F, dpl = (hi >> 13) & 3, rpl = sel & 3, r
    cdef int src = TS_CALL if is_call else TS_JMP
    if typ == 0x05:
        if dpl < c.cpl or dpl < rpl:
            return raise_gp(c, sel & 0xFFFC)
        if not (hi & 0x8000):
            return raise_exc_err(c, X_NP, sel & 0xFFFC)
        tsel = lo >> 16             # the TSS descriptor's DPL is not checked
        r = task_target(c, tsel, src, 0, &tlo, &thi)
    else:
        # a TSS descriptor only in the GDT; CPL and RPL <= its DPL
        if (sel & 4) or dpl < c.cpl or dpl < rpl:
            return raise_gp(c, sel & 0xFFFC)
        tsel = sel
        r = task_target(c, tsel, src, 0, &tlo, &thi)
    if r:
        return r
    r = task_switch(c, tsel & 0xFFFC, tlo, thi, src, 0, c.eip_next)
    if r:
        return r
    return _ts_eip_check(c, 0)

cdef int _ts_eip_check(Cpu* c, uint32_t ext) noexcept nogil:
    """After a switch: EIP within the new CS limit, else #GP(0 / EXT) in the
    new task.  RC_OK."""
    if c.eip > c.seg[SEG_CS].limit:
        return raise_gp(c, ext)
    return RC_OK

cdef int task_return(Cpu* c) noexcept nogil:
    """iret with NT = 1: SDM Vol. 2 IRET, TASK-RETURN: back to the task in
    the current TSS's previous-task-link field (it must be a busy TSS: #TS);
    the task left is marked not busy."""
    cdef uint32_t link, lo = 0, hi = 0
    cdef int r
    if not c.tr.valid:
        return raise_exc_err(c, X_TS, c.tr.sel & 0xFFFC)
    if sys_rd(c, c.tr.base + TSS32_LINK, 2, &link):
        return RC_FAULT
    r = task_target(c, link, TS_IRET, 0, &lo, &hi)
    if r:
        return r
    r = task_switch(c, link & 0xFFFC, lo, hi, TS_IRET, 0, c.eip_next)
    if r:
        return r
    return _ts_eip_check(c, 0)

cdef int task_gate_int(Cpu* c, uint32_t lo, int has_err, uint32_t err, uint32_t ext,
                       uint32_t ret_eip) noexcept nogil:
    """An interrupt or exception through an IDT task gate (gate type, DPL and
    P already checked by deliver): SDM Vol. 2 INT n, TASK-GATE; Vol. 3A
    §6.12.2.  The error code, if any, is pushed on the new task's stack.
    0 = delivered, RC_FAULT, RC_EVENT."""
    cdef uint32_t tsel = lo >> 16, tlo = 0, thi = 0, esp_out
    cdef uint32_t vals[1]
    cdef int r
    r = task_target(c, tsel, TS_INT, ext, &tlo, &thi)
    if r:
        return r
    r = task_switch(c, tsel & 0xFFFC, tlo, thi, TS_INT, ext, ret_eip)
    if r:
        return r
    if has_err:
        vals[0] = err
        if push_frame(c, &c.seg[SEG_SS], c.gpr[4], c.user, vals, 1,
                      4 if (thi & 0x800) else 2, &esp_out):
            if c.exc_vector == X_SS:
                c.exc_err = ext                     # #SS(EXT)
            return RC_FAULT
        sp_set(c, esp_out)
    if _ts_eip_check(c, ext):
        return RC_FAULT
    return 0
