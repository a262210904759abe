# cython: language_level=3
# kw86/exec.pyx -- the executor: CPU state, the run loop, dispatch, operand
# access, lazy flags, segmentation, exception and interrupt delivery.
# Instruction families live in the included exec_*.pxi files.
#
# ============================================================================
# How to add an instruction
# ============================================================================
# 1. Handler signature (one for all):
#        cdef int op_NAME(Cpu* c, const Insn* i) noexcept nogil
#    `i` is the decoded instruction (kw86/decoder.pxd): i.op (mnemonic id),
#    i.row (form), i.ops[0..2] (kind/size/reg), i.opsize, i.adsize, i.imm,
#    i.imm2, i.cc, i.prefixes, and the memory operand's i.seg/base/index/
#    scale/disp.  Return:
#        RC_OK     done; the loop sets EIP = c.eip_next (already EIP+length,
#                  masked to 16 bits in 16-bit code).  Branches just assign
#                  c.eip_next (use `branch(c, target, i.opsize)`).
#        RC_FAULT  an exception is pending: return raise_gp(c, 0),
#                  raise_exc(c, X_UD), raise_exc_err(c, X_SS, sel), or the
#                  RC_FAULT returned by a memory helper (a #PF it raised).
#                  NOTHING may have been committed: do every read and the
#                  last possible faulting write before changing registers or
#                  flags (the instruction restarts after the fault).
#        RC_EVENT  leave the loop with c.event (see exec.pxd EV_*), EIP not
#                  advanced (the instruction runs again on resume).
#        RC_EXIT   commit like RC_OK, then leave the loop with c.event.
# 2. Operands (generic, any kind): 
#        if rd_op(c, i, 0, &a): return RC_FAULT      # read operand 0
#        if wr_op(c, i, 0, v): return RC_FAULT       # write operand 0
#    Registers directly: rget(c, reg, size) / rset(c, reg, size, v)
#    (size 1: reg 0-3 = AL..BL, 4-7 = AH..BH).  Memory by segment:offset:
#        rd_mem(c, seg, off, size, &v) / wr_mem(c, seg, off, size, v)
#    (size 1, 2, 4; segment limit/rights checks and paging included);
#    ea(c, i) is the memory operand's offset.  rd_mem_buf / wr_mem_buf for
#    other sizes (a straddling store checks both pages first).
#    Stack: push(c, v, size) / pop(c, size, &v) (SS.B picks ESP or SP).
#    Fast bulk access (rep strings): seg_addr(c, seg, off, n, write, &lin)
#    then mmu_host_page(&c.m, lin, write, c.user, &host): a host pointer valid
#    to the end of that page (code pages are invalidated for writes).
#    Not while c.slow_mem (alignment checks #AC, data breakpoints: they live
#    in rd_mem / wr_mem's non-flat path) or c.tf_armed (one element per step).
# 3. Flags: set them lazily for the common ops:
#        set_cc(c, CC_ADD, size, dst, src, res)       # CC_* in exec.pxd
#    or compute them yourself and store with
#        set_arith_flags(c, mask, values)   # only the bits in mask change
#    Read them with get_cf(c), cond(c, cc) (Jcc condition 0..15) or
#    get_eflags(c) (all of EFLAGS).  Undefined flags: choose the P6 value
#    the row's RowInfo.undef_value records.
# 4. Cycles: the loop charges the class cost of the row (profile). Extra
#    events: c.cycles += c.cost_ev[EVC_...]; per element costs in 1/256
#    cycle: charge_frac(c, n, c.cost_ev[EVC_MOVS_D]).
# 5. Register the handler in the family's register_*() function (bottom of
#    each .pxi):   reg("add", op_add)   -- by mnemonic name as spelled in
#    kw86/isa/opcodes.py MNEMONICS (reg() tries the name, then upper case;
#    reg_all([...], fn) for aliases).  A mnemonic with no handler raises #UD.
#    Several mnemonics may share a handler and tell them apart by i.op
#    (look the ids up once in register_*(), see OP_LOOPE in exec_misc.pxi)
#    or by the cycle class row_info(i.row).cls.
# 6. Per-form fast handlers: specialise_alu() / specialise_misc() /
#    specialise_shift() run once at decode time and may swap the generic
#    handler for a specialised one (e.g. op_add_rr32 for "add r32, r32");
#    the choice is cached with the decoded instruction.  The very hottest
#    forms go one step further: fast_kind() maps such a handler to an inline
#    form (DEnt.fast, FK_*) that run_loop executes in its own switch, with
#    the same semantics, only in flat 32-bit code; a cmp/test/inc/dec
#    directly followed by a jcc, and a run of nops, retire in one dispatch
#    when the budget and the attention threshold leave room (budget 1, as
#    FlatCPU.step uses, never fuses).  A new handler needs none of this;
#    add an inline form only where a benchmark shows it pays, and keep
#    tests/test_cpu_fastpath.py (run == chunks == single steps) covering it.
# 7. Long instructions (rep string ops): do a bounded chunk of work, commit
#    the registers for the iterations done, and set c.eip_next = c.eip to
#    run the same instruction again (the loop then checks interrupts and
#    the budget in between).  A fault in iteration k must leave
#    ECX/ESI/EDI as after iteration k-1.  Charge per-element costs with
#    charge_frac(); the class cost is charged once per pass through the loop.
# 8. I/O: io_perm(c, port, size) (IOPL + TSS bitmap, may #GP) then
#    io_access(c, i, port, size, write, &val).  For a host-hooked port a
#    read returns RC_EVENT (return it unchanged: the instruction runs again
#    with the host's answer in val) and a write returns RC_EXIT (posted:
#    commit this iteration's registers, set c.eip_next = c.eip if a rep has
#    iterations left, and return RC_EXIT).
# Files: exec_misc.pxi (data movement, stack, near branches, flags),
# exec_system.pxi (far transfers, iret, CRs, descriptor tables, I/O, cpuid,
# MSRs), exec_alu.pxi, exec_string.pxi, exec_bcd.pxi (integer families).
# Tests: tests/test_cpu_*.py; FlatCPU (kw86/testing.py) runs one instruction
# per step() and reports exceptions instead of delivering them.
# ============================================================================

from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t, int8_t, int16_t, int32_t, int64_t
from libc.string cimport memcpy, memset
from libc.stdlib cimport calloc, free
from cpython.exc cimport PyErr_CheckSignals
from kw86.decoder cimport (Insn, Operand, RowInfo, decode_insn, row_info,
    OPK_NONE, OPK_REG, OPK_MEM, OPK_IMM, OPK_REL, OPK_FAR, OPK_SREG, OPK_CREG,
    OPK_DREG, OPK_ST, OPK_MMX, OPK_CONST, SEG_ES, SEG_CS, SEG_SS, SEG_DS,
    SEG_FS, SEG_GS, SEG_NONE, REG_NONE, PFX_LOCK, PFX_REP, PFX_REPNE,
    PFX_OPSIZE, PFX_ADSIZE, PFX_SEG, FAULT_NONE, FAULT_UD, FAULT_GP, DEC_OK,
    DEC_MORE, ATTR_LOCK_OK, ATTR_PRIV, ATTR_BRANCH, ATTR_X87, ATTR_MMX,
    ATTR_STRING, ATTR_REP_OK)
from kw86.mmu cimport (Mmu, DEnt, TlbEnt, mmu_init, mmu_free, mmu_translate,
    mmu_read, mmu_write, mmu_read_buf, mmu_write_buf, mmu_host_page, mmu_flush,
    mmu_invlpg, mmu_phys_written, mmu_mark_code, mmu_dcache_flush, mmu_host_written,
    KW_DC_SIZE, KW_TLB_SIZE, KW_NOTAG, KW_DC_NOTAG, KW_DC_KEY)

cdef extern from * nogil:
    """
    #if defined(__GNUC__)
    #define KW_LIKELY(x) __builtin_expect(!!(x), 1)
    #define KW_UNLIKELY(x) __builtin_expect(!!(x), 0)
    #else
    #define KW_LIKELY(x) (x)
    #define KW_UNLIKELY(x) (x)
    #endif
    """
    bint likely "KW_LIKELY" (bint)
    bint unlikely "KW_UNLIKELY" (bint)

cdef op_fn OPS[NOPS_MAX]        # mnemonic id -> handler (op_ud when none)

cdef enum:
    # lazy flags of 32-bit shifts by a constant count n (1..31) (Cpu.cc_op, after
    # exec.pxd's CC_*): cc_dst = operand, cc_src = n, cc_res = result, cc_size 4.
    # CF = the last bit shifted out; OF as exec_shift.pxi says (shl: MSB(res) ^
    # CF, shr: MSB(dst) for n = 1 else 0, sar: 0); SF ZF PF of the result, AF 0
    CC_SHL32 = 8
    CC_SHR32 = 9
    CC_SAR32 = 10
    # a 32-bit multiply whose signed product did not fit (imul r32 forms):
    # CF = OF = 1, SF ZF PF of cc_res, AF 0
    CC_MULOV32 = 11
cdef uint8_t PARITY[256]        # PF of a byte

# ----------------------------------------------------------------------------
# Faults
# ----------------------------------------------------------------------------

cdef inline int raise_exc(Cpu* c, int vec) noexcept nogil:
    c.exc_vector = vec
    c.exc_has_err = 0
    c.exc_err = 0
    c.exc_soft = 0
    return RC_FAULT

cdef inline int raise_exc_err(Cpu* c, int vec, uint32_t err) noexcept nogil:
    c.exc_vector = vec
    c.exc_has_err = 1
    c.exc_err = err
    c.exc_soft = 0
    return RC_FAULT

cdef inline int raise_gp(Cpu* c, uint32_t err) noexcept nogil:
    return raise_exc_err(c, X_GP, err)

cdef inline int raise_pf(Cpu* c) noexcept nogil:
    # the MMU left the address and error code in c.m
    c.cr2 = c.m.fault_addr
    c.exc_cr2 = c.m.fault_addr
    return raise_exc_err(c, X_PF, c.m.fault_err)

cdef int op_ud(Cpu* c, const Insn* i) noexcept nogil:
    return raise_exc(c, X_UD)

cdef int op_gp0(Cpu* c, const Insn* i) noexcept nogil:
    return raise_gp(c, 0)

cdef int op_x87(Cpu* c, const Insn* i) noexcept nogil:
    return fpu_dispatch(c, i)           # exec_fpu.pxi

cdef int op_mmx(Cpu* c, const Insn* i) noexcept nogil:
    return mmx_dispatch(c, i)           # exec_fpu.pxi

# ----------------------------------------------------------------------------
# Registers
# ----------------------------------------------------------------------------

cdef inline uint32_t rget(Cpu* c, int r, int size) noexcept nogil:
    if size == 4:
        return c.gpr[r]
    if size == 2:
        return c.gpr[r] & 0xFFFF
    if r < 4:
        return c.gpr[r] & 0xFF
    return (c.gpr[r - 4] >> 8) & 0xFF

cdef inline void rset(Cpu* c, int r, int size, uint32_t v) noexcept nogil:
    if size == 4:
        c.gpr[r] = v
    elif size == 2:
        c.gpr[r] = (c.gpr[r] & 0xFFFF0000u) | (v & 0xFFFF)
    elif r < 4:
        c.gpr[r] = (c.gpr[r] & 0xFFFFFF00u) | (v & 0xFF)
    else:
        c.gpr[r - 4] = (c.gpr[r - 4] & 0xFFFF00FFu) | ((v & 0xFF) << 8)

cdef inline uint32_t size_mask(int size) noexcept nogil:
    if size == 4:
        return 0xFFFFFFFFu
    if size == 2:
        return 0xFFFF
    return 0xFF

cdef inline uint32_t sign_bit(int size) noexcept nogil:
    return (<uint32_t>1) << (size * 8 - 1)

cdef inline int32_t sx(uint32_t v, int size) noexcept nogil:
    if size == 1:
        return <int8_t>v
    if size == 2:
        return <int16_t>v
    return <int32_t>v

# ----------------------------------------------------------------------------
# Lazy flags (one place: get_eflags / set_eflags_all / set_arith_flags)
# ----------------------------------------------------------------------------

cdef inline void set_cc(Cpu* c, int op, int size, uint32_t dst, uint32_t src, uint32_t res) noexcept nogil:
    c.cc_op = op
    c.cc_size = size
    c.cc_dst = dst
    c.cc_src = src
    c.cc_res = res & size_mask(size)

cdef inline uint32_t get_cf(Cpu* c) noexcept nogil:
    cdef uint32_t m
    cdef int op = c.cc_op
    if op == CC_SUB:
        m = size_mask(c.cc_size)
        return (c.cc_dst & m) < (c.cc_src & m)
    if op == CC_LOGIC:
        return 0
    if op == CC_ADD:
        return c.cc_res < (c.cc_dst & size_mask(c.cc_size))
    if op == CC_EFLAGS:
        return c.eflags & 1
    if op == CC_INC or op == CC_DEC:
        return c.cc_aux & 1
    if op == CC_SHR32:
        return (c.cc_dst >> (c.cc_src - 1)) & 1
    if op == CC_SHL32:
        return (c.cc_dst >> (32 - c.cc_src)) & 1
    if op == CC_SAR32:
        return (<uint32_t>(<int32_t>c.cc_dst >> (c.cc_src - 1))) & 1
    if op == CC_MULOV32:
        return 1
    m = size_mask(c.cc_size)
    if op == CC_ADC:
        if c.cc_aux:
            return c.cc_res <= (c.cc_dst & m)
        return c.cc_res < (c.cc_dst & m)
    # CC_SBB
    if c.cc_aux:
        return (c.cc_dst & m) <= (c.cc_src & m)
    return (c.cc_dst & m) < (c.cc_src & m)

cdef inline uint32_t get_of(Cpu* c) noexcept nogil:
    cdef int op = c.cc_op
    cdef uint32_t sb = sign_bit(c.cc_size)
    if op == CC_EFLAGS:
        return (c.eflags >> 11) & 1
    if op == CC_LOGIC:
        return 0
    if op == CC_ADD or op == CC_ADC:
        return (((c.cc_dst ^ c.cc_res) & (c.cc_src ^ c.cc_res)) & sb) != 0
    if op == CC_SUB or op == CC_SBB:
        return (((c.cc_dst ^ c.cc_src) & (c.cc_dst ^ c.cc_res)) & sb) != 0
    if op == CC_INC:
        return c.cc_res == sb
    if op == CC_SHR32:
        return (c.cc_dst >> 31) if c.cc_src == 1 else 0
    if op == CC_SHL32:
        return ((c.cc_res >> 31) ^ get_cf(c)) & 1
    if op == CC_SAR32:
        return 0
    if op == CC_MULOV32:
        return 1
    return c.cc_res == sb - 1      # CC_DEC

cdef uint32_t lazy_arith(Cpu* c) noexcept nogil:
    """The six arithmetic flags from the lazy state."""
    cdef uint32_t f = 0, res = c.cc_res
    cdef int op = c.cc_op
    if op == CC_EFLAGS:
        return c.eflags & F_ARITH
    if get_cf(c):
        f |= F_CF
    if PARITY[res & 0xFF]:
        f |= F_PF
    if op == CC_ADD or op == CC_ADC or op == CC_SUB or op == CC_SBB:
        if (c.cc_dst ^ c.cc_src ^ res) & 0x10:
            f |= F_AF
    elif op == CC_INC:
        if (res & 0xF) == 0:
            f |= F_AF
    elif op == CC_DEC:
        if (res & 0xF) == 0xF:
            f |= F_AF
    if res == 0:
        f |= F_ZF
    if res & sign_bit(c.cc_size):
        f |= F_SF
    if get_of(c):
        f |= F_OF
    return f

cdef uint32_t get_eflags(Cpu* c) noexcept nogil:
    if c.cc_op == CC_EFLAGS:
        return c.eflags
    return (c.eflags & ~(<uint32_t>F_ARITH)) | lazy_arith(c)

cdef inline void flags_materialise(Cpu* c) noexcept nogil:
    if c.cc_op != CC_EFLAGS:
        c.eflags = get_eflags(c)
        c.cc_op = CC_EFLAGS

cdef void set_eflags_all(Cpu* c, uint32_t v) noexcept nogil:
    # bit 1 is always 1; bits 3, 5, 15 and 22..31 always 0 (SDM Vol. 1 §3.4.3)
    c.eflags = (v & 0x003F7FD5u) | 2
    c.cc_op = CC_EFLAGS
    if v & (F_TF | F_AC | F_RF):
        c.attn = 0          # single-step / alignment checks: the loop looks (slow_checks)

cdef inline void set_arith_flags(Cpu* c, uint32_t mask, uint32_t values) noexcept nogil:
    """Change only the arithmetic flags in mask (others keep their value)."""
    flags_materialise(c)
    c.eflags = (c.eflags & ~mask) | (values & mask)

cdef inline int cond(Cpu* c, int cc) noexcept nogil:
    """Jcc/SETcc/CMOVcc condition cc (0..15, SDM Vol. 1 Table B-1)."""
    cdef int r, op = c.cc_op
    cdef uint32_t f
    cdef int32_t a, b
    if op == CC_SUB:
        # compare fast path: no flag materialisation
        if cc <= 7 and cc >= 2:
            r = cc >> 1
            if r == 1:
                r = get_cf(c)
            elif r == 2:
                r = c.cc_res == 0
            else:
                r = get_cf(c) or c.cc_res == 0
            return r ^ (cc & 1)
        if cc >= 12:
            a = sx(c.cc_dst, c.cc_size)
            b = sx(c.cc_src, c.cc_size)
            if cc < 14:
                r = a < b
            else:
                r = a <= b
            return r ^ (cc & 1)
    elif op != CC_EFLAGS and (cc >> 1) == 2:
        # ZF of any lazy op: the masked result is zero (jz/jnz after dec, add ...)
        return (c.cc_res == 0) ^ (cc & 1)
    if op == CC_LOGIC:
        r = cc >> 1
        if r == 0 or r == 1:
            r = 0
        elif r == 2:
            r = c.cc_res == 0
        elif r == 3:
            r = c.cc_res == 0
        elif r == 4:
            r = (c.cc_res & sign_bit(c.cc_size)) != 0
        elif r == 5:
            r = PARITY[c.cc_res & 0xFF]
        elif r == 6:
            r = (c.cc_res & sign_bit(c.cc_size)) != 0
        else:
            r = c.cc_res == 0 or (c.cc_res & sign_bit(c.cc_size)) != 0
        return r ^ (cc & 1)
    f = get_eflags(c)
    r = cc >> 1
    if r == 0:
        r = (f >> 11) & 1
    elif r == 1:
        r = f & 1
    elif r == 2:
        r = (f >> 6) & 1
    elif r == 3:
        r = (f & 1) | ((f >> 6) & 1)
    elif r == 4:
        r = (f >> 7) & 1
    elif r == 5:
        r = (f >> 2) & 1
    elif r == 6:
        r = ((f >> 7) ^ (f >> 11)) & 1
    else:
        r = (((f >> 7) ^ (f >> 11)) & 1) | ((f >> 6) & 1)
    return r ^ (cc & 1)

# ----------------------------------------------------------------------------
# Segmentation and memory
# ----------------------------------------------------------------------------

cdef inline void set_cpl(Cpu* c, int cpl) noexcept nogil:
    if cpl != c.cpl:
        c.cpl = cpl
        c.user = cpl == 3
        c.m.ifetch_page = KW_NOTAG
        c.attn = 0          # slow_checks re-evaluates alignment checking (ac_refresh)

cdef void seg_update(SegCache* s) noexcept nogil:
    """Recompute the derived fields of a segment cache from access/limit."""
    cdef int typ = s.access & 0xF
    cdef int isseg = (s.access & 0x10) != 0
    if not isseg:
        s.rd = 0
        s.wr = 0
        s.expdown = 0
    elif typ & 8:           # code
        s.rd = (typ & 2) != 0
        s.wr = 0
        s.expdown = 0
    else:                   # data
        s.rd = 1
        s.wr = (typ & 2) != 0
        s.expdown = (typ & 4) != 0
    # flat: base 0, expand-up, readable and writable, page-granular limit
    # (4 GiB, or a NetBSD user segment ending at VM_MAXUSER_ADDRESS): the
    # fast paths check an access with one compare against the limit (an
    # access inside one page at an offset <= limit ends <= limit)
    s.paged = s.valid and (s.limit & 0xFFF) == 0xFFF and s.rd and s.wr and not s.expdown
    s.flat = s.paged and s.base == 0

cdef void seg_from_desc(SegCache* s, uint16_t sel, uint32_t lo, uint32_t hi) noexcept nogil:
    cdef uint32_t limit = (lo & 0xFFFF) | (hi & 0xF0000)
    s.sel = sel
    s.base = (lo >> 16) | ((hi & 0xFF) << 16) | (hi & 0xFF000000u)
    s.gran = (hi >> 23) & 1
    if s.gran:
        limit = (limit << 12) | 0xFFF
    s.limit = limit
    s.access = (hi >> 8) & 0xFF
    s.big = (hi >> 22) & 1
    s.valid = 1
    seg_update(s)

cdef inline void seg_null(SegCache* s, uint16_t sel) noexcept nogil:
    s.sel = sel
    s.valid = 0
    s.base = 0
    s.limit = 0
    s.access = 0
    s.rd = 0
    s.wr = 0
    s.flat = 0
    s.paged = 0

cdef int seg_addr_slow(Cpu* c, int s, uint32_t off, uint32_t size, int write, uint32_t* lin) noexcept nogil:
    cdef SegCache* sc = &c.seg[s]
    cdef uint64_t last = <uint64_t>off + size - 1
    cdef int vec = X_SS if s == SEG_SS else X_GP
    if not sc.valid:
        return raise_exc_err(c, vec, 0)
    if write:
        if not sc.wr:
            return raise_exc_err(c, vec, 0)
    elif not sc.rd:
        return raise_exc_err(c, vec, 0)
    if sc.expdown:
        # valid offsets: limit+1 .. 0xFFFF or 0xFFFFFFFF (SDM Vol. 3A §3.4.5.1)
        if off <= sc.limit or last > (0xFFFFFFFFu if sc.big else 0xFFFF):
            return raise_exc_err(c, vec, 0)
    elif last > sc.limit:
        return raise_exc_err(c, vec, 0)
    lin[0] = sc.base + off
    return 0

cdef inline int seg_addr(Cpu* c, int s, uint32_t off, uint32_t size, int write, uint32_t* lin) noexcept nogil:
    # flat, and the access ends within the limit (with a 4 GiB limit: does not
    # wrap past 4 GiB, a limit violation too: #GP(0) / #SS(0), SDM Vol. 3A
    # §5.3; seg_addr_slow raises it)
    if likely(c.seg[s].flat and <uint64_t>off + size <= <uint64_t>c.seg[s].limit + 1):
        lin[0] = off
        return 0
    return seg_addr_slow(c, s, off, size, write, lin)

cdef int seg_addr_chk(Cpu* c, int s, uint32_t off, int size, int write, uint32_t* lin) noexcept nogil:
    """seg_addr_slow for a size 1/2/4 data access, plus the alignment check
    (#AC(0), SDM Vol. 3A §6.15 Interrupt 17): while it is on (c.ac_on) no
    segment is flat, so every rd_mem / wr_mem comes here."""
    if seg_addr_slow(c, s, off, size, write, lin):
        return RC_FAULT
    if c.ac_on and (lin[0] & (size - 1)):
        return raise_exc_err(c, X_AC, 0)
    if c.dbg_d:
        dbg_data(c, lin[0], size, write)
    return 0

cdef void dbg_data(Cpu* c, uint32_t lin, uint32_t size, int write) noexcept nogil:
    """Data breakpoints (SDM Vol. 3B §17.2.4-17.2.5): an access to
    [lin, lin+size) overlapping an enabled DRn range of its kind (R/W 01:
    writes, 11: reads and writes) marks DRn hit; the #DB trap comes after
    the instruction (slow_checks; a fault of the instruction drops it)."""
    cdef int n, rw
    cdef uint32_t dr7 = c.dr[7], ln, a
    for n in range(4):
        if not (c.dbg_d >> n) & 1:
            continue
        rw = (dr7 >> (16 + 4 * n)) & 3
        if (rw == 1 and not write) or rw == 2:
            continue
        ln = (dr7 >> (18 + 4 * n)) & 3
        ln = 1 if ln == 0 else (2 if ln == 1 else (8 if ln == 2 else 4))
        a = c.dr[n] & ~(ln - 1)
        # overlap of [lin, lin+size) and [a, a+ln) (modulo 2^32)
        if <uint32_t>(lin - a) < ln or <uint32_t>(a - lin) < size:
            c.dbg_hit |= 1 << n

cdef void dbg_io(Cpu* c, uint32_t port, uint32_t size) noexcept nogil:
    """I/O breakpoints (R/W 10 with CR4.DE = 1, SDM Vol. 3B §17.2.4): an
    in/out whose ports overlap DRn's range marks DRn hit (trap after)."""
    cdef int n
    cdef uint32_t dr7 = c.dr[7], ln, a
    for n in range(4):
        if not (c.dbg_d >> n) & 1 or ((dr7 >> (16 + 4 * n)) & 3) != 2:
            continue
        ln = (dr7 >> (18 + 4 * n)) & 3
        ln = 1 if ln == 0 else (2 if ln == 1 else (8 if ln == 2 else 4))
        a = c.dr[n] & 0xFFFF & ~(ln - 1)
        if <uint32_t>(port - a) < ln or <uint32_t>(a - port) < size:
            c.dbg_hit |= 1 << n

cdef void dbg_update(Cpu* c) noexcept nogil:
    """DR7 -> dbg_x (instruction breakpoints: R/W 00) and dbg_d (data
    breakpoints: R/W 01 or 11; I/O breakpoints: 10 with CR4.DE = 1,
    else undefined and ignored) for the L/G enabled DR0-DR3."""
    cdef int n, rw
    cdef uint32_t dr7 = c.dr[7]
    c.dbg_x = 0
    c.dbg_d = 0
    for n in range(4):
        if (dr7 >> (2 * n)) & 3:
            rw = (dr7 >> (16 + 4 * n)) & 3
            if rw == 0:
                c.dbg_x |= 1 << n
            elif rw != 2 or (c.cr4 & 8):
                c.dbg_d |= 1 << n

cdef int dbg_exec(Cpu* c) noexcept nogil:
    """Before an instruction executes (it will, the budget has room):
    EFLAGS.RF suppresses instruction breakpoints for it and is cleared;
    else an enabled instruction breakpoint at its linear address is a #DB
    fault (EIP at the instruction, DR6.Bn set; SDM Vol. 3B §17.3.1.1).
    1 = the fault is raised."""
    cdef int n, hit = 0
    cdef uint32_t lin
    if c.eflags & F_RF:
        c.eflags &= ~(<uint32_t>F_RF)
        return 0
    lin = c.seg[SEG_CS].base + c.eip
    for n in range(4):
        if (c.dbg_x >> n) & 1 and c.dr[n] == lin:
            hit |= 1 << n
    if hit:
        c.dr[6] = (c.dr[6] & ~(<uint32_t>0xF)) | hit
        raise_exc(c, X_DB)
        c.exc_xbp = 1
        return 1
    return 0

cdef void ac_refresh(Cpu* c, int on) noexcept nogil:
    """Alignment checking or data breakpoints turn on (no segment is flat:
    every data access takes seg_addr_chk) or off (flat segments again)."""
    cdef int k
    c.slow_mem = on
    for k in range(6):
        if on:
            c.seg[k].flat = 0
            c.seg[k].paged = 0
        elif k != SEG_CS:
            seg_update(&c.seg[k])

cdef inline int rd_mem(Cpu* c, int s, uint32_t off, int size, uint32_t* v) noexcept nogil:
    cdef uint32_t lin
    if likely(c.seg[s].flat and <uint64_t>off + <uint32_t>size <= <uint64_t>c.seg[s].limit + 1):
        lin = off
    elif unlikely(seg_addr_chk(c, s, off, size, 0, &lin)):
        return RC_FAULT
    if unlikely(mmu_read(&c.m, lin, size, c.user, v)):
        return raise_pf(c)
    return 0

cdef inline int wr_mem(Cpu* c, int s, uint32_t off, int size, uint32_t v) noexcept nogil:
    cdef uint32_t lin
    if likely(c.seg[s].flat and <uint64_t>off + <uint32_t>size <= <uint64_t>c.seg[s].limit + 1):
        lin = off
    elif unlikely(seg_addr_chk(c, s, off, size, 1, &lin)):
        return RC_FAULT
    if unlikely(mmu_write(&c.m, lin, size, c.user, v)):
        return raise_pf(c)
    return 0

cdef int rd_mem_buf(Cpu* c, int s, uint32_t off, uint32_t n, uint8_t* buf) noexcept nogil:
    cdef uint32_t lin
    if seg_addr(c, s, off, n, 0, &lin):
        return RC_FAULT
    if c.ac_on and n == 8 and (lin & 7):
        return raise_exc_err(c, X_AC, 0)    # quadword (cmpxchg8b): SDM Vol. 3A Table 6-7
    if c.dbg_d:
        dbg_data(c, lin, n, 0)
    if mmu_read_buf(&c.m, lin, n, c.user, buf):
        return raise_pf(c)
    return 0

cdef int wr_mem_buf(Cpu* c, int s, uint32_t off, uint32_t n, const uint8_t* buf) noexcept nogil:
    cdef uint32_t lin
    if seg_addr(c, s, off, n, 1, &lin):
        return RC_FAULT
    if mmu_write_buf(&c.m, lin, n, c.user, buf):
        return raise_pf(c)
    return 0

cdef int check_wr(Cpu* c, int s, uint32_t off, uint32_t n) noexcept nogil:
    """Would a write of n bytes at s:off succeed?  (probe: segment + paging)"""
    cdef uint32_t lin, pa
    if seg_addr(c, s, off, n, 1, &lin):
        return RC_FAULT
    if mmu_translate(&c.m, lin, 1, c.user, &pa):
        return raise_pf(c)
    if ((lin & 0xFFF) + n) > 4096:
        # the second page from its first byte: a #PF there reports that
        # byte in CR2, as the CPU does for an access that straddles into it
        if mmu_translate(&c.m, (lin + n - 1) & 0xFFFFF000u, 1, c.user, &pa):
            return raise_pf(c)
    return 0

# supervisor-mode linear accesses (descriptor tables, TSS, IDT)
cdef inline int sys_rd(Cpu* c, uint32_t lin, int size, uint32_t* v) noexcept nogil:
    if mmu_read(&c.m, lin, size, 0, v):
        return raise_pf(c)
    return 0

cdef inline int sys_wr(Cpu* c, uint32_t lin, int size, uint32_t v) noexcept nogil:
    if mmu_write(&c.m, lin, size, 0, v):
        return raise_pf(c)
    return 0

# ----------------------------------------------------------------------------
# Operands
# ----------------------------------------------------------------------------

cdef inline uint32_t ea(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t a = <uint32_t>i.disp
    if i.base != REG_NONE:
        a += c.gpr[i.base]
    if i.index != REG_NONE:
        a += c.gpr[i.index] * i.scale
    if i.adsize == 2:
        a &= 0xFFFF
    return a

cdef inline uint32_t imm_of(const Insn* i, int n) noexcept nogil:
    if n > 0 and i.ops[n - 1].kind == OPK_IMM:
        return i.imm2
    return i.imm

cdef int rd_op_slow(Cpu* c, const Insn* i, int n, uint32_t* v) noexcept nogil:
    cdef int k = i.ops[n].kind
    if k == OPK_IMM or k == OPK_CONST or k == OPK_REL:
        v[0] = imm_of(i, n)
        return 0
    if k == OPK_SREG:
        v[0] = c.seg[i.ops[n].reg].sel
        return 0
    return raise_exc(c, X_UD)

cdef inline int rd_op(Cpu* c, const Insn* i, int n, uint32_t* v) noexcept nogil:
    cdef const Operand* o = &i.ops[n]
    if o.kind == OPK_REG:
        v[0] = rget(c, o.reg, o.size)
        return 0
    if o.kind == OPK_MEM:
        return rd_mem(c, i.seg, ea(c, i), o.size, v)
    return rd_op_slow(c, i, n, v)

cdef inline int wr_op(Cpu* c, const Insn* i, int n, uint32_t v) noexcept nogil:
    cdef const Operand* o = &i.ops[n]
    if o.kind == OPK_REG:
        rset(c, o.reg, o.size, v)
        return 0
    if o.kind == OPK_MEM:
        return wr_mem(c, i.seg, ea(c, i), o.size, v)
    return raise_exc(c, X_UD)

# ----------------------------------------------------------------------------
# Stack
# ----------------------------------------------------------------------------

cdef inline uint32_t sp_get(Cpu* c) noexcept nogil:
    return c.gpr[4] if c.stack32 else (c.gpr[4] & 0xFFFF)

cdef inline void sp_set(Cpu* c, uint32_t v) noexcept nogil:
    if c.stack32:
        c.gpr[4] = v
    else:
        c.gpr[4] = (c.gpr[4] & 0xFFFF0000u) | (v & 0xFFFF)

cdef inline uint32_t sp_off(Cpu* c, int delta) noexcept nogil:
    """Stack offset ESP+delta (wrapped to SP in a 16-bit stack)."""
    if c.stack32:
        return c.gpr[4] + <uint32_t>delta
    return (c.gpr[4] + <uint32_t>delta) & 0xFFFF

cdef inline int push(Cpu* c, uint32_t v, int size) noexcept nogil:
    cdef uint32_t sp = sp_off(c, -size)
    if wr_mem(c, SEG_SS, sp, size, v):
        return RC_FAULT
    sp_set(c, sp)
    return 0

cdef inline int pop(Cpu* c, int size, uint32_t* v) noexcept nogil:
    """Read the top of stack and move ESP (for a pop whose destination
    cannot fault; otherwise use stk_read + sp_set after the write)."""
    if rd_mem(c, SEG_SS, sp_get(c), size, v):
        return RC_FAULT
    sp_set(c, sp_off(c, size))
    return 0

cdef inline int stk_read(Cpu* c, int delta, int size, uint32_t* v) noexcept nogil:
    return rd_mem(c, SEG_SS, sp_off(c, delta), size, v)

# ----------------------------------------------------------------------------
# Branch and cycles helpers
# ----------------------------------------------------------------------------

cdef inline int branch(Cpu* c, uint32_t target, int opsize) noexcept nogil:
    """Near branch to target (masked to the operand size), with the CS limit
    check (SDM: #GP(0) if the target is outside CS)."""
    if opsize == 2:
        target &= 0xFFFF
    if unlikely(target > c.seg[SEG_CS].limit):
        return raise_gp(c, 0)
    c.eip_next = target
    c.cycles += c.cost_ev[EVC_BRANCH_TAKEN]
    return 0

cdef inline void charge_frac(Cpu* c, uint64_t n, uint32_t cost256) noexcept nogil:
    cdef uint64_t t = n * cost256 + c.cyc_frac
    c.cycles += t >> 8
    c.cyc_frac = t & 0xFF

# ----------------------------------------------------------------------------
# Descriptors
# ----------------------------------------------------------------------------

cdef int fetch_desc(Cpu* c, uint32_t sel, uint32_t* lo, uint32_t* hi) noexcept nogil:
    """Read the descriptor of sel from the GDT or LDT.  0 = ok, -1 = the
    selector is outside the table (the caller raises its own vector),
    RC_FAULT = #PF reading it."""
    cdef uint32_t base, limit, off = sel & 0xFFF8
    if sel & 4:
        if not c.ldtr.valid:
            return -1
        base = c.ldtr.base
        limit = c.ldtr.limit
    else:
        base = c.gdtr_base
        limit = c.gdtr_limit
    if off + 7 > limit:
        return -1
    if sys_rd(c, base + off, 4, lo) or sys_rd(c, base + off + 4, 4, hi):
        return RC_FAULT
    return 0

cdef int set_accessed(Cpu* c, uint32_t sel, uint32_t hi) noexcept nogil:
    """Set the accessed bit of a segment descriptor (the CPU writes it)."""
    cdef uint32_t base
    if hi & 0x100:
        return 0
    base = c.ldtr.base if (sel & 4) else c.gdtr_base
    return sys_wr(c, base + (sel & 0xFFF8) + 5, 1, ((hi >> 8) & 0xFF) | 1)

cdef int load_sreg(Cpu* c, int s, uint32_t sel) noexcept nogil:
    """mov/pop/lds-family load of DS/ES/FS/GS/SS with the protected-mode
    checks of SDM Vol. 2 MOV (segment register) / Vol. 3A §5.10.  CS is
    never loaded here.  Nothing changes unless it succeeds."""
    cdef uint32_t lo, hi, idx = sel & 0xFFFC
    cdef int r, dpl, rpl = sel & 3, typ
    sel &= 0xFFFF
    if not (c.cr0 & 1):
        # real mode: base = sel << 4 (kept for completeness)
        c.seg[s].sel = sel
        c.seg[s].base = sel << 4
        c.seg[s].valid = 1
        seg_update(&c.seg[s])
        return 0
    if (sel & 0xFFFC) == 0:
        if s == SEG_SS:
            return raise_gp(c, 0)
        seg_null(&c.seg[s], sel)
        return 0
    r = fetch_desc(c, sel, &lo, &hi)
    if r == -1:
        return raise_gp(c, idx)
    if r:
        return r
    dpl = (hi >> 13) & 3
    typ = (hi >> 8) & 0x1F
    if s == SEG_SS:
        # writable data, RPL == CPL, DPL == CPL
        if (typ & 0x1A) != 0x12 or rpl != c.cpl or dpl != c.cpl:
            return raise_gp(c, idx)
        if not (hi & 0x8000):
            return raise_exc_err(c, X_SS, idx)
    else:
        # data or readable code
        if not (typ & 0x10) or (typ & 0x0A) == 0x08:
            return raise_gp(c, idx)
        if (typ & 0x0C) != 0x0C:        # data, or non-conforming code
            if rpl > dpl or c.cpl > dpl:
                return raise_gp(c, idx)
        if not (hi & 0x8000):
            return raise_exc_err(c, X_NP, idx)
    if set_accessed(c, sel, hi):
        return RC_FAULT
    seg_from_desc(&c.seg[s], sel, lo, hi | 0x100)
    if s == SEG_SS:
        c.stack32 = c.seg[s].big
    c.cycles += c.cost_ev[EVC_SEG_LOAD]
    return 0

cdef void cs_changed(Cpu* c) noexcept nogil:
    """CS's hidden part changed: derived loop state."""
    c.seg[SEG_CS].flat = 0
    c.code32 = c.seg[SEG_CS].big
    # per-instruction checks until the next fetch finds the code page (run_loop
    # recomputes cs_check for each page it enters: cs_page_check)
    c.cs_check = 1
    c.m.ifetch_page = KW_NOTAG

cdef void load_cs_cache(Cpu* c, uint32_t sel, uint32_t lo, uint32_t hi, int cpl) noexcept nogil:
    """Commit a CS load (checks done by the caller): RPL forced to cpl."""
    seg_from_desc(&c.seg[SEG_CS], (sel & 0xFFFC) | cpl, lo, hi | 0x100)
    cs_changed(c)
    set_cpl(c, cpl)

cdef void null_outer_segs(Cpu* c) noexcept nogil:
    """After a return to an outer level: data segment registers that the new
    CPL may not use are nulled (SDM Vol. 2 IRET/RET, 'ESdsfsgs')."""
    cdef int s, dpl, typ
    for s in range(6):
        if s == SEG_CS or s == SEG_SS:
            continue
        if not c.seg[s].valid:
            continue
        dpl = (c.seg[s].access >> 5) & 3
        typ = c.seg[s].access & 0x1C
        # data or non-conforming code with DPL < CPL
        if (typ & 0x1C) != 0x1C and dpl < c.cpl:
            seg_null(&c.seg[s], 0)

cdef int check_code_target(Cpu* c, uint32_t sel, uint32_t* lo, uint32_t* hi) noexcept nogil:
    """Fetch a code descriptor for a far transfer: null -> #GP(0), outside
    table -> #GP(sel), not code -> #GP(sel).  Presence is checked by caller."""
    cdef int r
    if (sel & 0xFFFC) == 0:
        return raise_gp(c, 0)
    r = fetch_desc(c, sel, lo, hi)
    if r == -1:
        return raise_gp(c, sel & 0xFFFC)
    return r

cdef int tss_stack(Cpu* c, int dpl, uint32_t* ss, uint32_t* esp) noexcept nogil:
    """SS:ESP for privilege dpl from the current TSS (32- or 16-bit)."""
    cdef uint32_t off
    if not c.tr.valid:
        return raise_exc_err(c, X_TS, c.tr.sel & 0xFFFC)
    if (c.tr.access & 0x8):        # 32-bit TSS (type 9/11)
        off = 4 + dpl * 8
        if off + 5 > c.tr.limit:
            return raise_exc_err(c, X_TS, c.tr.sel & 0xFFFC)
        if sys_rd(c, c.tr.base + off, 4, esp) or sys_rd(c, c.tr.base + off + 4, 2, ss):
            return RC_FAULT
    else:
        off = 2 + dpl * 4
        if off + 3 > c.tr.limit:
            return raise_exc_err(c, X_TS, c.tr.sel & 0xFFFC)
        if sys_rd(c, c.tr.base + off, 2, esp) or sys_rd(c, c.tr.base + off + 2, 2, ss):
            return RC_FAULT
    return 0

cdef int check_new_ss(Cpu* c, uint32_t ss, int dpl, uint32_t* lo, uint32_t* hi, int vec_ts,
                      uint32_t ext=0) noexcept nogil:
    """Checks on the SS from a TSS (vec_ts=1: #TS) or a return frame (#GP):
    non-null, RPL == dpl, writable data, DPL == dpl, present (#SS).  ext:
    the EXT bit of the error code (delivery of a hardware event)."""
    cdef int r, vec = X_TS if vec_ts else X_GP
    if (ss & 0xFFFC) == 0:
        return raise_exc_err(c, vec, ext)
    r = fetch_desc(c, ss, lo, hi)
    if r == -1:
        return raise_exc_err(c, vec, (ss & 0xFFFC) | ext)
    if r:
        return r
    if <int>(ss & 3) != dpl or <int>((hi[0] >> 13) & 3) != dpl or ((hi[0] >> 8) & 0x1A) != 0x12:
        return raise_exc_err(c, vec, (ss & 0xFFFC) | ext)
    if not (hi[0] & 0x8000):
        return raise_exc_err(c, X_SS, (ss & 0xFFFC) | ext)
    return 0

cdef inline bint stack_range_bad(SegCache* ss, uint32_t off, uint32_t n, uint32_t mask) noexcept nogil:
    """Do the n bytes at offset off lie outside stack segment ss (expand-up:
    past the limit; expand-down: at or below it, or past the top `mask`)?"""
    cdef uint64_t top = <uint64_t>off + n - 1
    if ss.expdown:
        return off <= ss.limit or top > mask
    return top > ss.limit

cdef bint frame_fits(SegCache* ss, uint32_t esp, int n, int size) noexcept nogil:
    """Would n pushes of size bytes below esp stay inside stack segment ss
    (push_frame's limit checks, without raising)?"""
    cdef uint32_t total = n * size
    cdef uint32_t mask = 0xFFFFFFFFu if ss.big else 0xFFFF
    cdef uint32_t sp = (esp - total) & mask
    cdef int k
    if <uint64_t>sp + total <= <uint64_t>mask + 1:
        return not stack_range_bad(ss, sp, total, mask)
    for k in range(n):
        if stack_range_bad(ss, (esp - (k + 1) * size) & mask, size, mask):
            return False
    return True

cdef int push_frame(Cpu* c, SegCache* ss, uint32_t esp, int user, uint32_t* vals, int n,
                    int size, uint32_t* new_esp, uint32_t ss_err=0, int gp0=0) noexcept nogil:
    """Write n values (vals[0] pushed first) below esp on stack segment ss,
    checking every push against the limit first (#SS) and then the pages
    (#PF).  Nothing of the CPU state changes and nothing is written unless
    every push can be; *new_esp is the final ESP.  A frame whose (E)SP wraps
    through 0 is checked push by push where each lands (SDM Vol. 2A CALL:
    #SS if pushing "exceeds the bounds of the stack segment"; ESP 4 on a
    4 GiB stack is no fault), a push that itself runs past the top is #SS.
    ss_err: the #SS error code -- 0 on the current stack, the new SS selector
    (+ EXT) on the stack of an inner level (SDM Vol. 2A INT n and CALL
    Operation: 'IF new stack does not have room ... THEN #SS(segment
    selector + EXT)' / '#SS(SS selector)'; the same stack: '#SS(0)').
    gp0: the caller's new EIP lies past its code segment's limit: #GP(0)
    once the frame fits the stack limit, before any page is probed (SDM Vol.
    2A CALL and INT n Operation: 'IF stack not large enough ... THEN #SS',
    then 'IF ... instruction pointer not within code segment limit THEN
    #GP(0)', then the pushes)."""
    cdef uint32_t total = n * size, sp, lin, pa, off
    cdef uint32_t mask = 0xFFFFFFFFu if ss.big else 0xFFFF
    cdef int k
    sp = (esp - total) & mask
    if <uint64_t>sp + total <= <uint64_t>mask + 1:
        # one contiguous block
        if stack_range_bad(ss, sp, total, mask):
            return raise_exc_err(c, X_SS, ss_err)
        if gp0:
            return raise_gp(c, 0)
        # probe both ends for write (a fault happens before any byte is stored)
        if mmu_translate(&c.m, ss.base + sp, 1, user, &pa):
            return raise_pf(c)
        if mmu_translate(&c.m, ss.base + ((sp + total - 1) & mask), 1, user, &pa):
            return raise_pf(c)
    else:
        # (E)SP wraps through 0 during the pushes: each push where it lands,
        # every limit before any page
        for k in range(n):
            if stack_range_bad(ss, (esp - (k + 1) * size) & mask, size, mask):
                return raise_exc_err(c, X_SS, ss_err)
        if gp0:
            return raise_gp(c, 0)
        for k in range(n):
            off = (esp - (k + 1) * size) & mask
            if mmu_translate(&c.m, ss.base + off, 1, user, &pa):
                return raise_pf(c)
            if mmu_translate(&c.m, ss.base + off + size - 1, 1, user, &pa):
                return raise_pf(c)
    for k in range(n):
        lin = ss.base + ((esp - (k + 1) * size) & mask)
        if mmu_write(&c.m, lin, size, user, vals[k]):
            return raise_pf(c)
    new_esp[0] = sp
    return 0

# ----------------------------------------------------------------------------
# Interrupt and exception delivery (SDM Vol. 3A §6.12, Vol. 2 INT n)
# ----------------------------------------------------------------------------

cdef int deliver(Cpu* c, int vec, int has_err, uint32_t err, int soft, int ext,
                 uint32_t ret_eip) noexcept nogil:
    """Deliver interrupt vec through the IDT.  soft: int n/int3/into (gate
    DPL is checked); ext: EXT bit of error codes (hardware event).
    0 = delivered (CS:EIP at the handler), RC_FAULT = a new exception
    (c.exc_*), RC_EVENT = a virtual-8086 task (not supported)."""
    cdef uint32_t lo, hi, clo, chi, slo = 0, shi = 0, sel, off, new_ss = 0, new_esp = 0
    cdef uint32_t vals[6]
    cdef uint32_t fl, esp_out, e = ext
    cdef int r, typ, gdpl, cdpl, gate32, size, n = 0, inner
    cdef SegCache nss
    if vec * 8 + 7 > <int>c.idtr_limit:
        return raise_gp(c, vec * 8 + 2 + e)
    if sys_rd(c, c.idtr_base + vec * 8, 4, &lo) or sys_rd(c, c.idtr_base + vec * 8 + 4, 4, &hi):
        return RC_FAULT
    typ = (hi >> 8) & 0x1F
    gdpl = (hi >> 13) & 3
    if typ != 0x05 and typ != 0x06 and typ != 0x07 and typ != 0x0E and typ != 0x0F:
        return raise_gp(c, vec * 8 + 2 + e)
    if soft and gdpl < c.cpl:
        return raise_gp(c, vec * 8 + 2)
    if not (hi & 0x8000):
        return raise_exc_err(c, X_NP, vec * 8 + 2 + e)
    if typ == 0x05:
        return task_gate_int(c, lo, has_err, err, e, ret_eip)     # exec_task.pxi
    gate32 = (typ & 8) != 0
    sel = lo >> 16
    off = (lo & 0xFFFF) | ((hi & 0xFFFF0000u) if gate32 else 0)
    if (sel & 0xFFFC) == 0:
        return raise_gp(c, e)
    r = fetch_desc(c, sel, &clo, &chi)
    if r == -1:
        return raise_gp(c, (sel & 0xFFFC) + e)
    if r:
        return r
    cdpl = (chi >> 13) & 3
    if (chi & 0x1800) != 0x1800 or cdpl > c.cpl:
        return raise_gp(c, (sel & 0xFFFC) + e)
    if not (chi & 0x8000):
        return raise_exc_err(c, X_NP, (sel & 0xFFFC) + e)
    size = 4 if gate32 else 2
    fl = get_eflags(c)
    inner = not (chi & 0x400) and cdpl < c.cpl
    if inner:
        r = tss_stack(c, cdpl, &new_ss, &new_esp)
        if r:
            return r
        r = check_new_ss(c, new_ss, cdpl, &slo, &shi, 1, e)
        if r:
            return r
        seg_from_desc(&nss, new_ss, slo, shi | 0x100)
        vals[0] = c.seg[SEG_SS].sel
        vals[1] = c.gpr[4]
        n = 2
    else:
        cdpl = c.cpl     # same privilege (or conforming): stay
        nss = c.seg[SEG_SS]
        new_esp = c.gpr[4]
    vals[n] = fl
    vals[n + 1] = c.seg[SEG_CS].sel
    vals[n + 2] = ret_eip
    n += 3
    if has_err:
        vals[n] = err
        n += 1
    if not nss.big:
        new_esp &= 0xFFFF
    if push_frame(c, &nss, new_esp, cdpl == 3, vals, n, size, &esp_out,
                  ((new_ss & 0xFFFC) | e) if inner else 0, off > code_limit(chi, clo)):
        return RC_FAULT
    # --- commit ---
    if inner:
        if set_accessed(c, new_ss, shi):
            return RC_FAULT
        c.seg[SEG_SS] = nss
        c.stack32 = nss.big
        c.cycles += c.cost_ev[EVC_PRIV_CHANGE]
    if nss.big:
        c.gpr[4] = esp_out
    else:
        c.gpr[4] = (c.gpr[4] & 0xFFFF0000u) | esp_out
    load_cs_cache(c, sel, clo, chi, cdpl)
    fl &= ~(<uint32_t>(F_TF | F_NT | F_RF | F_VM))
    if not (typ & 1):
        fl &= ~(<uint32_t>F_IF)       # interrupt gate
    set_eflags_all(c, fl)
    c.eip = off
    c.eip_next = off
    c.halted = 0
    return 0

cdef inline int exc_class(int v) noexcept nogil:
    # SDM Vol. 3A Table 6-4: 0 benign, 1 contributory, 2 page fault
    if v == 0 or (v >= 10 and v <= 13):
        return 1
    if v == 14:
        return 2
    return 0

cdef int handle_fault(Cpu* c) noexcept nogil:
    """Deliver the pending exception c.exc_* (fault: return EIP = c.eip),
    escalating to #DF and triple fault (Vol. 3A Table 6-5).  Returns 0 to
    continue, or an EV_* event to leave the loop with."""
    cdef int vec = c.exc_vector, has = c.exc_has_err, r, first, second
    cdef uint32_t err = c.exc_err
    cdef int depth = 0
    cdef int rf = not c.exc_xbp
    c.exc_xbp = 0
    c.tf_armed = 0              # a faulting instruction is not single-stepped
    c.dbg_hit = 0               # nor reports its data breakpoints
    while True:
        if vec < 32 and (c.intercept >> vec) & 1:
            c.exc_vector = vec
            c.exc_has_err = has
            c.exc_err = err
            return EV_EXCEPTION
        c.cycles += c.cost_ev[EVC_EXCEPTION]
        if rf:
            # the EFLAGS image of a fault has RF = 1, but for an instruction
            # breakpoint's #DB (SDM Vol. 3B §17.3.1.1): the restarted
            # instruction does not hit its breakpoint again
            c.eflags |= F_RF
        r = deliver(c, vec, has, err, 0, 1, c.eip)
        if r == 0:
            return 0
        if r == RC_EVENT:
            return c.event
        # a new fault while delivering
        if vec == X_DF:
            c.exc_vector = X_DF
            return EV_TRIPLE
        first = exc_class(vec)
        second = exc_class(c.exc_vector)
        if (first == 1 and second == 1) or (first == 2 and second != 0):
            vec = X_DF
            has = 1
            err = 0
        else:
            vec = c.exc_vector
            has = c.exc_has_err
            err = c.exc_err
        depth += 1
        if depth > 8:
            return EV_TRIPLE

cdef int soft_int(Cpu* c, int vec) noexcept nogil:
    """int n / int3 / into: a trap whose return address is the next insn."""
    cdef int r
    if c.intercept_soft or (vec < 32 and (c.intercept >> vec) & 1):
        c.exc_vector = vec
        c.exc_has_err = 0
        c.exc_err = 0
        c.exc_soft = 1
        c.eip = c.eip_next
        c.event = EV_EXCEPTION
        return RC_EVENT
    r = deliver(c, vec, 0, 0, 1, 0, c.eip_next)
    if r == 0:
        c.cycles += c.cost_ev[EVC_INT_SAME]
        return RC_DONE
    return r

# ----------------------------------------------------------------------------
# The run loop
# ----------------------------------------------------------------------------

cdef enum:
    TFA_NEXT = 1    # EFLAGS.TF was set at the boundary: the next instruction is traced
    TFA_HELD = 2    # a trap held by a mov/pop ss shadow (SDM Vol. 3A §6.8.3)
    TFA_TASK = 4    # a task switch to a TSS with T = 1: #DB before the new task's first insn

cdef void update_attn(Cpu* c) noexcept nogil:
    cdef uint64_t a = 0xFFFFFFFFFFFFFFFFu
    if c.irq_pending or c.halted or c.tf_armed or c.shadow or (c.eflags & F_TF):
        a = 0
    elif c.slow_mem or ((c.eflags & F_AC) and (c.cr0 & 0x40000) and c.cpl == 3):
        a = 0           # alignment checks: slow_checks keeps the segments non-flat
    elif (c.dr[7] & 0xFF) or c.dbg_x or c.dbg_d or (c.eflags & F_RF):
        a = 0           # debug registers: checked at every boundary (slow path)
    if c.timer_on and c.timer_next < a:
        a = c.timer_next
    if c.cycle_limit and c.cycle_limit < a:
        a = c.cycle_limit
    c.attn = a

cdef inline uint8_t cs_page_check(Cpu* c, uint32_t page) noexcept nogil:
    """Does code in the linear page `page` need per-instruction checks?  Yes
    in 16-bit code (EIP wraps at 64 KiB) and where any offset of the page lies
    beyond the CS limit (the page holding the limit, or one past it).  A page
    wholly inside the limit needs none: an instruction that crosses into the
    next page is decoded uncached by decode_fill, which checks the limit, and
    branches that leave the page check their target (branch(), the inline
    branch forms).  So a NetBSD user CS (limit VM_MAXUSER_ADDRESS - 1) runs
    the inline forms like a flat one (cs_check is cs_changed's conservative 1
    until the loop enters a page)."""
    cdef uint32_t o = page - c.seg[SEG_CS].base      # CS offset of the page start
    if not c.code32:
        return 1
    return <uint64_t>o + 4095 > c.seg[SEG_CS].limit

cdef DEnt* decode_fill(Cpu* c, DEnt* e, uint32_t lin, uint32_t phys) noexcept nogil:
    """Decode the instruction at lin/phys into the cache slot e (or the
    uncached scratch slot for a page-crossing one).  NULL = fault raised."""
    cdef uint32_t off = phys & 0xFFF, avail = 4096 - off, lim, pa2, n0
    cdef const uint8_t* p
    cdef int r, k
    cdef const RowInfo* ri
    cdef op_fn fn
    cdef int cache = 1
    lim = c.seg[SEG_CS].limit - c.eip + 1 if c.seg[SEG_CS].limit - c.eip < 15 else 15
    if avail > lim:
        avail = lim
    if phys < c.m.mem_size:
        p = c.m.mem + phys
    else:
        p = c.m.ones + off
    e.tag = KW_DC_NOTAG
    r = decode_insn(p, avail, c.code32, &e.insn)
    if r == DEC_MORE:
        if avail >= lim:
            raise_gp(c, 0)                  # runs past the CS limit
            return NULL
        # crosses into the next page: gather and decode uncached
        n0 = avail
        memcpy(c.fetch_buf, p, n0)
        if mmu_translate(&c.m, (lin + n0) & 0xFFFFF000u, 0, c.user, &pa2):
            raise_pf(c)
            return NULL
        for k in range(lim - n0):
            c.fetch_buf[n0 + k] = c.m.mem[pa2 + k] if pa2 + k < c.m.mem_size else 0xFF
        e = &c.cross
        e.tag = KW_DC_NOTAG                 # never a neighbour of a cached slot
        cache = 0
        r = decode_insn(c.fetch_buf, lim, c.code32, &e.insn)
        if r == DEC_MORE:
            raise_gp(c, 0)
            return NULL
    fn = select_fn(&e.insn)
    if e.insn.fault != FAULT_NONE:
        e.cycles = 1
    else:
        ri = row_info(e.insn.row)
        e.cycles = c.cost_class[ri.cls] if ri.cls < NCLASS_MAX else 1
    # inline forms only for cached slots: the loop's sequential fetch steps
    # from a slot to its neighbours in the same page
    e.fast = fast_kind(fn, &e.insn) if cache and phys < c.m.mem_size else FK_NONE
    if unlikely(c.nbp):
        for k in range(c.nbp):
            if c.bp_lin[k] == lin:
                fn = op_hostbp
                e.fast = FK_NONE
    elif (cache and ((e.fast >= FK_CMP_RR and e.fast <= FK_CMP_MI8) or
                     (e.fast >= FK_ADD_RR and e.fast <= FK_XOR_RI)) and not c.cs_check):
        # flat 32-bit CS: the rest of the page is fetchable
        n0 = 4096 - off - e.insn.length
        try_fuse_jcc(e, p + e.insn.length, <int>(n0 if n0 < 15 else 15))
    elif cache and e.fast == FK_NOP and not c.cs_check:
        nop_run(c, e, p, 4096 - off)
    e.fn = <void*>fn
    e.bits32 = c.code32
    if cache and phys < c.m.mem_size:
        mmu_mark_code(&c.m, phys >> 12)
        e.tag = KW_DC_KEY(phys, c.code32)
    elif cache:
        e.tag = KW_DC_NOTAG
    return e

# ----------------------------------------------------------------------------
# Inline forms (DEnt.fast): the hottest 32-bit forms run inside run_loop's
# switch instead of through a handler call.  Chosen at decode time from the
# handler select_fn() picked, so their semantics are exactly those handlers'
# (op_mov_rr32, op_cmp_ri32 ... in exec_misc.pxi / exec_alu.pxi).  A flag
# producer directly followed by a jcc in the same page is fused: the loop
# retires both in one dispatch when the budget and the attention threshold
# leave room for two instructions (else it runs the first alone).  The jcc
# is kept in the producer's Insn: cc = jcc condition | jcc length << 4,
# imm2 = jcc displacement (fields the producer forms do not use).
# ----------------------------------------------------------------------------

cdef enum:
    FK_NONE = 0         # call e.fn
    FK_NOP = 1
    FK_MOV_RR = 2
    FK_MOV_RI = 3
    FK_MOV_RM = 4       # mov r32, m32
    FK_MOV_MR = 5       # mov m32, r32
    FK_LEA = 6          # lea r32, m
    FK_JCC = 7          # jcc rel (32-bit operand size)
    FK_JMP = 8          # jmp rel
    FK_ADD_RR = 9
    FK_ADD_RI = 10
    FK_SUB_RR = 11
    FK_SUB_RI = 12
    FK_AND_RR = 13
    FK_AND_RI = 14
    FK_OR_RR = 15
    FK_OR_RI = 16
    FK_XOR_RR = 17
    FK_XOR_RI = 18
    # flag producers that can fuse with a following jcc (FK_CMP_RR..FK_DEC_R)
    FK_CMP_RR = 19
    FK_CMP_RI = 20
    FK_TEST_RR = 21
    FK_TEST_RI = 22
    FK_INC_R = 23
    FK_DEC_R = 24
    FK_CMP_RM = 25      # cmp r32, m32
    FK_CMP_MR = 26      # cmp m32, r32
    FK_CMP_MI32 = 27    # cmp m32, imm
    FK_CMP_MI8 = 28     # cmp m8, imm8
    # fused producer + jcc: FK_x_JCC = FK_x + FK_FUSED
    FK_FUSED = 32
    FK_CMP_RR_JCC = 51
    FK_CMP_RI_JCC = 52
    FK_TEST_RR_JCC = 53
    FK_TEST_RI_JCC = 54
    FK_INC_R_JCC = 55
    FK_DEC_R_JCC = 56
    FK_CMP_RM_JCC = 57
    FK_CMP_MR_JCC = 58
    FK_CMP_MI32_JCC = 59
    FK_CMP_MI8_JCC = 60
    FK_NOPS = 33        # a run of imm2 nops, imm bytes in all (retired together)
    FK_PUSH_R = 34      # push r32 (32-bit stack)
    FK_POP_R = 35       # pop r32
    FK_CALL = 36        # call rel32
    FK_RET = 37         # ret (near, no immediate)
    FK_MOV_RM8 = 38     # mov r8, m8
    FK_MOV_MR8 = 39     # mov m8, r8
    FK_MOV_MI32 = 40    # mov m32, imm32
    FK_MOV_MI8 = 41     # mov m8, imm8
    FK_MOVZX_M8 = 42    # movzx r32, m8
    FK_MOVZX_R8 = 43    # movzx r32, r8
    FK_ADD_RM = 44      # add r32, m32
    FK_SUB_RM = 45      # sub r32, m32
    FK_AND_RM = 46
    FK_OR_RM = 47
    FK_XOR_RM = 48
    FK_PUSH_I = 49      # push imm (32-bit operand size)
    FK_PUSH_M = 50      # push m32
    FK_LEAVE = 61       # leave (32-bit)
    FK_MOVSX_M8 = 62    # movsx r32, m8
    FK_MOVSX_M16 = 63   # movsx r32, m16
    FK_MOVZX_M16 = 64   # movzx r32, m16
    FK_JMP_R = 65       # jmp r32
    FK_CALL_R = 66      # call r32
    FK_JMP_M = 67       # jmp m32 (near)
    FK_CALL_M = 68      # call m32 (near)
    # read-modify-write m32 (32-bit addressing), generic handler when the
    # TLB misses: FK_ADD_MR..FK_XOR_MR (m32, r32), FK_ADD_MI..FK_XOR_MI (m32, imm)
    FK_ADD_MR = 69
    FK_SUB_MR = 70
    FK_AND_MR = 71
    FK_OR_MR = 72
    FK_XOR_MR = 73
    FK_ADD_MI = 74
    FK_SUB_MI = 75
    FK_AND_MI = 76
    FK_OR_MI = 77
    FK_XOR_MI = 78
    FK_INC_M = 79       # inc m32
    FK_DEC_M = 80       # dec m32
    FK_CMOV_RR = 81     # cmovcc r32, r32 (op_cmovcc_rr32)
    FK_SETCC_R8 = 82    # setcc r8 (op_setcc_r8)
    FK_IMUL_R = 83      # imul r32, r32 / imul r32, r32, imm (op_imul_r32)
    FK_SHL_RI = 84      # shl r32, imm/1 (op_shl_ri32: count non-zero after masking)
    FK_SHR_RI = 85      # shr r32, imm/1 (op_shr_ri32)
    FK_SAR_RI = 86      # sar r32, imm/1 (op_sar_ri32)
    FK_NEG_R = 87       # neg r32
    FK_NOT_R = 88       # not r32
    FK_CALL_FN = 89     # a data-only handler (chain_safe) called inside the chain
    # add/sub/and/or/xor r32, r32/imm fused with a following jcc:
    # FK_ADD_RR_JCC + (kind - FK_ADD_RR) for FK_ADD_RR..FK_XOR_RI
    FK_ADD_RR_JCC = 90
    FK_ADD_RI_JCC = 91
    FK_SUB_RR_JCC = 92
    FK_SUB_RI_JCC = 93
    FK_AND_RR_JCC = 94
    FK_AND_RI_JCC = 95
    FK_OR_RR_JCC = 96
    FK_OR_RI_JCC = 97
    FK_XOR_RR_JCC = 98
    FK_XOR_RI_JCC = 99

cdef int CLS_JCC = 0            # cycle class of jcc (set at init)

cdef uint8_t fast_kind(op_fn fn, const Insn* i) noexcept nogil:
    cdef int k0, k1, s0, k
    if i.fault != FAULT_NONE:
        return FK_NONE
    if fn == op_nop:
        return FK_NOP
    if fn == op_mov_rr32:
        return FK_MOV_RR
    if fn == op_mov_ri32:
        return FK_MOV_RI
    if fn == op_mov_rm32 and i.adsize == 4:
        return FK_MOV_RM
    if fn == op_mov_mr32 and i.adsize == 4:
        return FK_MOV_MR
    if (fn == op_lea and i.ops[0].kind == OPK_REG and i.ops[0].size == 4 and
            i.ops[1].kind == OPK_MEM and i.adsize == 4):
        return FK_LEA
    if fn == op_jcc and i.ops[0].kind == OPK_REL and i.opsize == 4:
        return FK_JCC
    if i.adsize == 4 and i.nops >= 2:
        k0 = i.ops[0].kind
        k1 = i.ops[1].kind
        s0 = i.ops[0].size
        if fn == op_cmp:
            if k0 == OPK_REG and k1 == OPK_MEM and s0 == 4:
                return FK_CMP_RM
            if k0 == OPK_MEM and k1 == OPK_REG and s0 == 4:
                return FK_CMP_MR
            if k0 == OPK_MEM and k1 == OPK_IMM and s0 == 4:
                return FK_CMP_MI32
            if k0 == OPK_MEM and k1 == OPK_IMM and s0 == 1:
                return FK_CMP_MI8
        if fn == op_mov_rm and s0 == 1:
            return FK_MOV_RM8
        if fn == op_mov_mr and s0 == 1:
            return FK_MOV_MR8
        if fn == op_mov and k0 == OPK_MEM and k1 == OPK_IMM and s0 == 4:
            return FK_MOV_MI32
        if fn == op_mov and k0 == OPK_MEM and k1 == OPK_IMM and s0 == 1:
            return FK_MOV_MI8
        if fn == op_movzx and k0 == OPK_REG and s0 == 4 and i.ops[1].size == 1:
            if k1 == OPK_MEM:
                return FK_MOVZX_M8
            if k1 == OPK_REG:
                return FK_MOVZX_R8
        if k0 == OPK_REG and k1 == OPK_MEM and s0 == 4 and i.ops[1].size == 4:
            if fn == op_add:
                return FK_ADD_RM
            if fn == op_sub:
                return FK_SUB_RM
            if fn == op_and:
                return FK_AND_RM
            if fn == op_or:
                return FK_OR_RM
            if fn == op_xor:
                return FK_XOR_RM
        if k0 == OPK_MEM and s0 == 4 and (k1 == OPK_IMM or (k1 == OPK_REG and i.ops[1].size == 4)):
            k = FK_ADD_MR if k1 == OPK_REG else FK_ADD_MI
            if fn == op_add:
                return k
            if fn == op_sub:
                return k + 1
            if fn == op_and:
                return k + 2
            if fn == op_or:
                return k + 3
            if fn == op_xor:
                return k + 4
        if k0 == OPK_REG and k1 == OPK_MEM and s0 == 4:
            if fn == op_movsx and i.ops[1].size == 1:
                return FK_MOVSX_M8
            if fn == op_movsx and i.ops[1].size == 2:
                return FK_MOVSX_M16
            if fn == op_movzx and i.ops[1].size == 2:
                return FK_MOVZX_M16
    if i.opsize == 4 and i.nops == 1 and fn == op_push:
        if i.ops[0].kind == OPK_IMM:
            return FK_PUSH_I
        if i.ops[0].kind == OPK_MEM and i.ops[0].size == 4 and i.adsize == 4:
            return FK_PUSH_M
    if fn == op_leave and i.opsize == 4:
        return FK_LEAVE
    if ((fn == op_inc or fn == op_dec) and i.nops == 1 and i.ops[0].kind == OPK_MEM and
            i.ops[0].size == 4 and i.adsize == 4):
        return FK_INC_M if fn == op_inc else FK_DEC_M
    if ((fn == op_jmp or fn == op_call) and i.opsize == 4 and i.nops == 1 and
            i.ops[0].size == 4 and row_info(i.row).cls != CLS_JMPF and
            row_info(i.row).cls != CLS_CALLF):
        if i.ops[0].kind == OPK_REG:
            return FK_JMP_R if fn == op_jmp else FK_CALL_R
        if i.ops[0].kind == OPK_MEM and i.adsize == 4:
            return FK_JMP_M if fn == op_jmp else FK_CALL_M
    if fn == op_cmovcc_rr32:
        return FK_CMOV_RR
    if fn == op_setcc_r8:
        return FK_SETCC_R8
    if fn == op_imul_r32:
        return FK_IMUL_R
    if fn == op_push_r32:
        return FK_PUSH_R
    if fn == op_pop_r32:
        return FK_POP_R
    if fn == op_call and i.ops[0].kind == OPK_REL and i.opsize == 4:
        return FK_CALL
    if fn == op_ret and i.opsize == 4 and i.nops == 0:
        return FK_RET
    if fn == op_jmp and i.ops[0].kind == OPK_REL and i.opsize == 4:
        return FK_JMP
    if fn == op_add_rr32:
        return FK_ADD_RR
    if fn == op_add_ri32:
        return FK_ADD_RI
    if fn == op_sub_rr32:
        return FK_SUB_RR
    if fn == op_sub_ri32:
        return FK_SUB_RI
    if fn == op_and_rr32:
        return FK_AND_RR
    if fn == op_and_ri32:
        return FK_AND_RI
    if fn == op_or_rr32:
        return FK_OR_RR
    if fn == op_or_ri32:
        return FK_OR_RI
    if fn == op_xor_rr32:
        return FK_XOR_RR
    if fn == op_xor_ri32:
        return FK_XOR_RI
    if fn == op_cmp_rr32:
        return FK_CMP_RR
    if fn == op_cmp_ri32:
        return FK_CMP_RI
    if fn == op_test_rr32:
        return FK_TEST_RR
    if fn == op_test_ri32:
        return FK_TEST_RI
    if fn == op_inc_r32:
        return FK_INC_R
    if fn == op_dec_r32:
        return FK_DEC_R
    if fn == op_shl_ri32:
        return FK_SHL_RI
    if fn == op_shr_ri32:
        return FK_SHR_RI
    if fn == op_sar_ri32:
        return FK_SAR_RI
    if ((fn == op_neg or fn == op_not) and i.nops == 1 and i.ops[0].kind == OPK_REG and
            i.ops[0].size == 4):
        return FK_NEG_R if fn == op_neg else FK_NOT_R
    if chain_safe(fn, i):
        return FK_CALL_FN
    return FK_NONE

cdef bint chain_safe(op_fn fn, const Insn* i) noexcept nogil:
    """May run_loop call this handler inside a chain of inline forms?  Only
    data instructions: they change general registers, arithmetic flags and
    data memory, return RC_OK or RC_FAULT, and leave EIP, CS, the stack
    pointer's segment, EFLAGS' control bits, the attention state and the
    code mapping alone (as the inline forms do); operands only registers,
    memory, immediates and constants (no segment/control/debug registers)."""
    cdef int n, kd
    if not (fn == op_add or fn == op_adc or fn == op_sub or fn == op_sbb or fn == op_cmp or
            fn == op_and or fn == op_or or fn == op_xor or fn == op_test or fn == op_inc or
            fn == op_dec or fn == op_neg or fn == op_not or fn == op_shl or fn == op_shr or
            fn == op_sar or fn == op_rol or fn == op_ror or fn == op_rcl or fn == op_rcr or
            fn == op_shld or fn == op_shrd or fn == op_bt or fn == op_bts or fn == op_btr or
            fn == op_btc or fn == op_bsf or fn == op_bsr or fn == op_setcc or
            fn == op_cmovcc or fn == op_bswap or fn == op_mul or fn == op_imul or
            fn == op_div or fn == op_idiv or fn == op_mov or fn == op_movzx or
            fn == op_movsx or fn == op_lea or fn == op_cbw or fn == op_cwd or
            fn == op_mov_rm or fn == op_mov_mr or fn == op_xchg or fn == op_xadd or
            fn == op_cmpxchg or fn == op_clc or fn == op_stc or fn == op_cmc or
            fn == op_lahf or fn == op_sahf or fn == op_xlat):
        return 0
    for n in range(i.nops):
        kd = i.ops[n].kind
        if kd != OPK_REG and kd != OPK_MEM and kd != OPK_IMM and kd != OPK_CONST:
            return 0
    return 1

cdef void try_fuse_jcc(DEnt* e, const uint8_t* p, int avail) noexcept nogil:
    """e holds a flag producer decoded from 32-bit code; if the bytes after
    it (same page, within the CS limit: avail) are a jcc rel with a 32-bit
    operand size, fuse it into e."""
    cdef Insn j
    if avail <= 0:
        return
    if avail > 4096 or decode_insn(p, avail, 1, &j) != DEC_OK or j.fault != FAULT_NONE:
        return
    if OPS[j.op] != op_jcc or j.ops[0].kind != OPK_REL or j.opsize != 4 or j.length > 15:
        return
    if (row_info(j.row).attrs & (ATTR_X87 | ATTR_MMX)) or (j.prefixes & PFX_LOCK):
        return
    e.insn.cc = (j.cc & 15) | (j.length << 4)
    e.insn.imm2 = j.imm
    if e.fast >= FK_ADD_RR and e.fast <= FK_XOR_RI:
        e.fast = e.fast - FK_ADD_RR + FK_ADD_RR_JCC
    else:
        e.fast = e.fast + FK_FUSED

cdef extern from * nogil:
    """
    /* 32-bit effective address of a decoded memory operand (adsize 4):
       disp + base + index * scale, REG_NONE (0xFF) parts left out. */
    #define KW_EA32(g, i) ((uint32_t)(i)->disp \
        + ((i)->base != 0xFF ? (g)[(i)->base] : 0u) \
        + ((i)->index != 0xFF ? (g)[(i)->index] * (uint32_t)(i)->scale : 0u))
    """
    uint32_t ea32 "KW_EA32" (uint32_t* g, const Insn* i)

cdef extern from * nogil:
    """
    /* Host address of an n-byte data access at offset a of segment s when
       the segment is flat, the access lies in one page at or below the
       (page-granular) limit and the soft TLB hits; else NULL (the caller
       takes rd_mem / wr_mem, which do every check). */
    #define KW_TLBE(c, a) (&(c)->m.tlb[(c)->user][((a) >> 12) & (KW_TLB_SIZE - 1)])
    #define KW_SEGOK(c, s, a) ((c)->seg[s].flat && (a) <= (c)->seg[s].limit)
    #define KW_HOSTR(c, s, a, n) ((KW_SEGOK(c, s, a) && KW_TLBE(c, a)->rtag == ((a) & 0xFFFFF000u) \
        && ((a) & 0xFFFu) <= 4096u - (n)) ? KW_TLBE(c, a)->host + ((a) & 0xFFFu) : (uint8_t*)0)
    #define KW_HOSTW(c, s, a, n) ((KW_SEGOK(c, s, a) && KW_TLBE(c, a)->wtag == ((a) & 0xFFFFF000u) \
        && ((a) & 0xFFFu) <= 4096u - (n)) ? KW_TLBE(c, a)->host + ((a) & 0xFFFu) : (uint8_t*)0)
    /* two dcache slots hold instructions of the same physical page: the
       dcache is aligned to 4096 slots (mmu_init), a power of two in bytes
       (checked at module init), so their addresses differ only below it */
    #define KW_SAME_DC_PAGE(a, b) ((((uintptr_t)(a)) ^ ((uintptr_t)(b))) < 4096u * sizeof(*(a)))
    /* byte registers: 0-3 = AL..BL, 4-7 = AH..BH */
    #define KW_GET8(g, r) ((r) < 4 ? (g)[r] & 0xFFu : ((g)[(r) - 4] >> 8) & 0xFFu)
    #define KW_SET8(g, r, v) do { if ((r) < 4) (g)[r] = ((g)[r] & 0xFFFFFF00u) | ((v) & 0xFFu); \
        else (g)[(r) - 4] = ((g)[(r) - 4] & 0xFFFF00FFu) | (((v) & 0xFFu) << 8); } while (0)
    """
    uint8_t* host_rd "KW_HOSTR" (Cpu* c, int s, uint32_t a, int n)
    uint8_t* host_wr "KW_HOSTW" (Cpu* c, int s, uint32_t a, int n)
    bint seg_ok "KW_SEGOK" (Cpu* c, int s, uint32_t a)
    uint32_t get8 "KW_GET8" (uint32_t* g, int r)
    bint same_dc_page "KW_SAME_DC_PAGE" (DEnt* a, DEnt* b)
    void set8 "KW_SET8" (uint32_t* g, int r, uint32_t v)

cdef void nop_run(Cpu* c, DEnt* e, const uint8_t* p, uint32_t avail) noexcept nogil:
    """e is a nop: count the nops that follow it in the page (same cycle
    cost, at most 16 in all) so the loop can retire the run at once."""
    cdef Insn j
    cdef uint32_t off = e.insn.length, cnt = 1, lim
    while cnt < 16 and off < avail:
        lim = avail - off
        if decode_insn(p + off, <int>(lim if lim < 15 else 15), 1, &j) != DEC_OK:
            break
        if j.fault != FAULT_NONE or select_fn(&j) != op_nop or j.prefixes & PFX_LOCK:
            break
        if row_info(j.row).cls >= NCLASS_MAX or c.cost_class[row_info(j.row).cls] != e.cycles:
            break
        off += j.length
        cnt += 1
    if cnt > 1:
        e.insn.imm = off
        e.insn.imm2 = cnt
        e.fast = FK_NOPS

cdef inline int cond_incdec32(Cpu* c, int cc) noexcept nogil:
    """Jcc condition after a 32-bit inc/dec (CF is the one before it)."""
    cdef uint32_t r = c.cc_res
    cdef int t = cc >> 1, v
    if t == 2:
        v = r == 0
    elif t == 4:
        v = r >> 31
    else:
        return cond(c, cc)
    return v ^ (cc & 1)

cdef inline int cond_fast(Cpu* c, int cc) noexcept nogil:
    """cond() with the common lazy cases (cond_quick) inline."""
    cdef int t = cond_quick(cc, c.cc_op, c.cc_size, c.cc_dst, c.cc_src, c.cc_res)
    if likely(t >= 0):
        return t
    return cond(c, cc)

cdef extern from * nogil:
    """
    /* Jcc conditions of the fused compare + jcc and of the inline jcc
       (run_loop), forced inline: the loop is too large for gcc's own
       inlining limits.  cc is the condition 0..15 (SDM Vol. 1 Table B-1).
       PF is even parity of the low result byte. */
    #if defined(__GNUC__)
    #define KW_AINLINE static inline __attribute__((always_inline))
    #define KW_PF(r) (!__builtin_parity((unsigned)(r) & 0xFFu))
    #else
    #define KW_AINLINE static inline
    static int KW_PF(uint32_t r) { int p = 1; r &= 0xFF; while (r) { p ^= r & 1; r >>= 1; } return p; }
    #endif
    /* after a 32-bit cmp/sub a - b = r */
    KW_AINLINE int kw_cond_sub32(int cc, uint32_t a, uint32_t b, uint32_t r) {
        int v;
        switch (cc >> 1) {
        case 0: v = (int)((((a ^ b) & (a ^ r)) >> 31) & 1u); break;
        case 1: v = a < b; break;
        case 2: v = a == b; break;
        case 3: v = a <= b; break;
        case 4: v = (int)(r >> 31); break;
        case 5: v = KW_PF(r); break;
        case 6: v = (int32_t)a < (int32_t)b; break;
        default: v = (int32_t)a <= (int32_t)b; break;
        }
        return v ^ (cc & 1);
    }
    /* after a 32-bit logic op (CF = OF = 0) with result r */
    KW_AINLINE int kw_cond_logic32(int cc, uint32_t r) {
        int v;
        switch (cc >> 1) {
        case 0: case 1: v = 0; break;
        case 2: case 3: v = r == 0; break;
        case 4: case 6: v = (int)(r >> 31); break;
        case 5: v = KW_PF(r); break;
        default: v = r == 0 || (r >> 31) != 0; break;
        }
        return v ^ (cc & 1);
    }
    /* Jcc condition from the lazy flags (Cpu.cc_*) for the common cases the
       hot loop meets: 32-bit sub/cmp, logic, add, inc/dec (ZF, SF) and 8-bit
       sub/cmp; -1 for the rest (the caller takes cond()).  op: CC_LOGIC 1,
       CC_ADD 2, CC_SUB 4, CC_INC 6, CC_DEC 7 (exec.pxd). */
    KW_AINLINE int kw_cond_quick(int cc, int op, int size, uint32_t a, uint32_t b, uint32_t r) {
        int t = cc >> 1, v;
        if (size == 4) {
            if (op == 4) return kw_cond_sub32(cc, a, b, r);
            if (op == 1) return kw_cond_logic32(cc, r);
            if (op == 6 || op == 7) {
                if (t == 2) return (r == 0) ^ (cc & 1);
                if (t == 4) return (int)(r >> 31) ^ (cc & 1);
                return -1;
            }
            if (op == 2) {
                int cf = r < a, of = (int)((((a ^ r) & (b ^ r)) >> 31) & 1u);
                int zf = r == 0, sf = (int)(r >> 31);
                switch (t) {
                case 0: v = of; break;
                case 1: v = cf; break;
                case 2: v = zf; break;
                case 3: v = cf | zf; break;
                case 4: v = sf; break;
                case 5: v = KW_PF(r); break;
                case 6: v = sf != of; break;
                default: v = zf | (sf != of); break;
                }
                return v ^ (cc & 1);
            }
            return -1;
        }
        if (size == 1 && op == 4) {
            /* 8-bit compare: the 32-bit conditions of the operands moved to
               the top byte; PF from the result's low byte */
            if (t == 5) return KW_PF(r) ^ (cc & 1);
            return kw_cond_sub32(cc, a << 24, b << 24, r << 24);
        }
        return -1;
    }
    /* the jcc fused after a producer: its next EIP from the producer's (nxt),
       and its cycles (class cost jcc_cost, plus the taken-branch event,
       Cpu.cost_ev[EVC_BRANCH_TAKEN = 0]) added to cyc (run_loop's register
       copy of c->cycles: an lvalue) */
    #define KW_FUSE_JCC(cyc, c, nxt, ip, taken, jcc_cost) \
        ((cyc) += (jcc_cost) + ((taken) ? (c)->cost_ev[0] : 0u), \
         (uint32_t)((nxt) + ((ip)->cc >> 4) + ((taken) ? (ip)->imm2 : 0u)))
    """
    int cond_sub32 "kw_cond_sub32" (int cc, uint32_t a, uint32_t b, uint32_t r)
    int cond_quick "kw_cond_quick" (int cc, int op, int size, uint32_t a, uint32_t b, uint32_t r)
    int cond_logic32 "kw_cond_logic32" (int cc, uint32_t r)
    uint32_t fuse_jcc "KW_FUSE_JCC" (uint64_t cyc, Cpu* c, uint32_t nxt, const Insn* ip, int taken, uint32_t jcc_cost)

cdef op_fn select_fn(const Insn* i) noexcept nogil:
    """The handler for a decoded instruction (cached with it)."""
    cdef const RowInfo* ri
    cdef op_fn fn
    if i.fault == FAULT_UD:
        return op_ud
    if i.fault == FAULT_GP:
        return op_gp0
    ri = row_info(i.row)
    if ri.attrs & ATTR_X87:
        return op_x87
    if ri.attrs & ATTR_MMX:
        return op_mmx
    if i.op >= NOPS_MAX:
        return op_ud
    if (i.prefixes & PFX_LOCK) and not ((ri.attrs & ATTR_LOCK_OK) and _has_mem_dst(i)):
        return op_ud                        # LOCK on a non-lockable form: #UD
    fn = OPS[i.op]
    # per-form fast handlers (exec_misc.pxi / exec_alu.pxi)
    fn = specialise_misc(fn, i)
    return specialise_alu(fn, i)        # (shift, bits, muldiv forms through it)

cdef int op_hostbp(Cpu* c, const Insn* i) noexcept nogil:
    """A host breakpoint: leave with EV_BREAK before the instruction runs,
    unless the host is resuming from exactly this one."""
    if c.bp_skip and c.bp_skip_lin == c.seg[SEG_CS].base + c.eip:
        c.bp_skip = 0
        return select_fn(i)(c, i)
    c.event = EV_BREAK
    return RC_EVENT

cdef inline int _has_mem_dst(const Insn* i) noexcept nogil:
    return i.nops > 0 and i.ops[0].kind == OPK_MEM

cdef int slow_checks(Cpu* c, uint64_t retired) noexcept nogil:
    """Timer, cycle limit and the interrupt line, between instructions
    (retired: instructions retired so far in this cpu_run).  Returns 0 to go on,
    or an EV_* to leave with."""
    cdef int r, ac
    cdef uint64_t t
    if c.stop_req:
        c.stop_req = 0
        update_attn(c)
        return EV_STOP
    # alignment checking (CR0.AM, EFLAGS.AC, CPL 3): re-evaluated at every
    # boundary while it is on or may have changed (attn = 0 then)
    ac = (c.eflags & F_AC) != 0 and (c.cr0 & 0x40000) != 0 and c.cpl == 3
    if (c.dr[7] & 0xFF) or c.dbg_x or c.dbg_d:
        dbg_update(c)
    c.ac_on = ac
    if ac or c.dbg_d or c.slow_mem:
        ac_refresh(c, ac or c.dbg_d != 0)
    if c.shadow:
        # the shadow lasts until one instruction retired after the boundary
        # where it was first seen (sti; X: no interrupt before X)
        if c.shadow == 1:
            c.shadow = 2
            c.shadow_ic = c.icount + retired
        elif c.icount + retired != c.shadow_ic:
            c.shadow = 0
            c.shadow_ss = 0
    if (c.tf_armed or c.dbg_hit) and c.shadow and c.shadow_ss:
        # mov ss / pop ss: the single-step trap waits for the boundary after
        # the next instruction (SDM Vol. 3A §6.8.3)
        if c.tf_armed:
            c.tf_armed = TFA_HELD
    elif c.tf_armed or c.dbg_hit:
        # single-step trap after the previous instruction (SDM Vol. 3B
        # §17.3.1.4) and/or data breakpoints it hit (§17.3.1.2): one #DB
        if c.tf_armed & (TFA_NEXT | TFA_HELD):
            c.dr[6] |= 0x4000                   # DR6.BS (DR6.BT: set by exec_task.pxi)
        if c.dbg_hit:
            c.dr[6] = (c.dr[6] & ~(<uint32_t>0xF)) | c.dbg_hit
        c.tf_armed = 0
        c.dbg_hit = 0
        if (c.intercept >> 1) & 1:
            c.exc_vector = 1
            c.exc_has_err = 0
            c.exc_soft = 0
            update_attn(c)
            return EV_EXCEPTION
        c.cycles += c.cost_ev[EVC_EXCEPTION]
        r = deliver(c, 1, 0, 0, 0, 1, c.eip)
        if r == RC_EVENT:
            return c.event
        if r == RC_FAULT:
            r = handle_fault(c)
            if r:
                return r
    if c.timer_on and c.cycles >= c.timer_next:
        c.irq_pending = 1
        c.irq_vector = c.timer_vector
        c.timer_ticks += 1
        t = c.timer_next + c.timer_period
        if t <= c.cycles:
            t = c.cycles + c.timer_period - (c.cycles - c.timer_next) % c.timer_period
        c.timer_next = t
    if c.irq_pending and (c.eflags & F_IF) and not c.shadow:
        c.irq_pending = 0
        c.halted = 0
        if c.intercept_soft:
            # test mode: report the external interrupt like an exception
            c.exc_vector = c.irq_vector
            c.exc_has_err = 0
            c.exc_soft = 0
            update_attn(c)
            return EV_EXCEPTION
        c.cycles += c.cost_ev[EVC_EXCEPTION]
        r = deliver(c, c.irq_vector, 0, 0, 0, 1, c.eip)
        if r == RC_EVENT:
            update_attn(c)
            return c.event
        if r == RC_FAULT:
            r = handle_fault(c)
            if r:
                update_attn(c)
                return r
        if c.tf_armed & TFA_TASK:
            # through a task gate to a task with T = 1: its #DB comes before
            # its first instruction (once more: the line is now clear)
            return slow_checks(c, retired)
    if c.cycle_limit and c.cycles >= c.cycle_limit:
        update_attn(c)
        return EV_CYCLES
    if c.eflags & F_TF:
        c.tf_armed |= TFA_NEXT                  # the next instruction is traced
    update_attn(c)
    return 0

cdef int cpu_run(Cpu* c, uint64_t budget) noexcept nogil:
    """Execute up to budget instructions (faults count as one).  Returns an
    EV_* event; c.run_done is how many were executed."""
    cdef uint64_t n = 0, retired = 0
    cdef int ev = run_loop(c, budget, &n, &retired)
    c.run_done = n
    c.icount += retired
    return ev

cdef extern from * nogil:
    """
    /* May a fused pair retire its second instruction now?  Only if the
       budget has room and the first one leaves the loop's attention threshold
       (timer, cycle limit, single-step, interrupt shadow) untouched, so the
       pair behaves exactly as two dispatches; and if the jcc's taken target
       (nxt: the jcc's address) lies within the CS limit (else the jcc runs on
       its own and raises #GP(0) there).  A macro: gcc does not inline a
       function into the run loop (too large). */
    #define KW_FUSE_ROOM(cyc, c, e, r, rb, nxt) ((r) + 1 < (rb) && (cyc) + (e)->cycles < (c)->attn \
        && (uint32_t)((nxt) + ((e)->insn.cc >> 4) + (e)->insn.imm2) <= (c)->seg[1].limit)
    """
    bint fuse_room "KW_FUSE_ROOM" (uint64_t cyc, Cpu* c, DEnt* e, uint64_t r, uint64_t rb, uint32_t nxt)

include "exec_block.pxi"

cdef int run_loop(Cpu* c, uint64_t budget, uint64_t* done, uint64_t* retired) noexcept nogil:
    # r: instructions retired; nf: dispatches that retired nothing (faults);
    # executed = r + nf <= budget, kept as r <= rb = budget - nf
    cdef uint64_t r = 0, nf = 0, rb = budget
    cdef uint32_t eip, lin, phys, page, nxt, a, b, b2, d
    cdef uint8_t* hp
    cdef DEnt* e = NULL
    cdef DEnt* e2 = NULL
    cdef const Insn* ip
    cdef TlbEnt* te
    cdef int k, t
    cdef int64_t p64
    cdef uint64_t cyc
    cdef bint seq = 0   # e2 is the decoded entry of eip (sequential fetch)
    cdef DEnt* dc = c.m.dcache
    cdef SegCache* cs = &c.seg[SEG_CS]
    cdef int rc
    cdef KwBlk* blocks = NULL
    cdef KwBlk* bk
    cdef bint skipblk = 0  # blk_exec stopped before eip's instruction: run it here
    cdef bint onestep = 0  # that instruction only: the block engine takes the next
    if not c.m.blocks_off:
        if c.m.blocks == NULL:
            c.m.blocks = calloc(KW_NBLK, sizeof(KwBlk))
        blocks = <KwBlk*>c.m.blocks
    if c.stop_req:
        c.stop_req = 0
        done[0] = 0
        return EV_STOP
    update_attn(c)
    eip = c.eip         # invariant at the top of the loop: eip == c.eip
    while True:
        # (a pending host I/O completion must reach its instruction first)
        if unlikely(c.cycles >= c.attn) and not c.io_ready:
            seq = 0
            rc = slow_checks(c, r)
            eip = c.eip
            if rc:
                done[0] = r + nf
                retired[0] = r
                return rc
            if c.halted:
                if not (c.eflags & F_IF):
                    done[0] = r + nf
                    retired[0] = r
                    return EV_HANG
                if c.irq_pending:
                    c.shadow = 0
                    continue
                if c.timer_on:
                    # idle: the clock jumps to the next tick (DESIGN: idle CPU)
                    if c.cycle_limit and c.cycle_limit < c.timer_next:
                        c.cycles = c.cycle_limit
                        done[0] = r + nf
                        retired[0] = r
                        return EV_CYCLES
                    c.cycles = c.timer_next
                    continue
                done[0] = r + nf
                retired[0] = r
                return EV_HLT
            if (c.dbg_x or (c.eflags & F_RF)) and r < rb and dbg_exec(c):
                # instruction breakpoint: #DB fault before it (SDM Vol. 3B §17.3.1.1)
                nf += 1
                rb -= 1
                rc = handle_fault(c)
                eip = c.eip
                if rc:
                    done[0] = r + nf
                    retired[0] = r
                    return rc
                continue
        if unlikely(r >= rb):
            done[0] = r + nf
            retired[0] = r
            if not c.io_ready:
                # TF is sampled again when the next instruction starts
                # (a later run, after the host may have changed EFLAGS)
                c.tf_armed &= ~TFA_NEXT
            return EV_BUDGET
        if seq:
            # the previous inline form continued in the same code page and
            # the slot of eip holds its decoded instruction (tag checked)
            e = e2
            k = e.fast          # (32-bit CS, page within its limit on a chain)
        else:
            # ---- fetch ----
            lin = cs.base + eip
            page = lin & 0xFFFFF000u
            if likely(page == c.m.ifetch_page):
                phys = c.m.ifetch_phys | (lin & 0xFFF)
            else:
                if unlikely(eip > cs.limit):
                    rc = raise_gp(c, 0)
                else:
                    rc = RC_OK
                    te = &c.m.tlb[c.user][(lin >> 12) & (KW_TLB_SIZE - 1)]
                    if likely(te.rtag == page and te.host != c.m.ones):
                        # the TLB's translation (a hit: no walk, nothing
                        # charged, as a P6's instruction TLB; blk_exec takes
                        # a code page the same way)
                        phys = <uint32_t>(te.host - c.m.mem) | (lin & 0xFFF)
                    elif unlikely(mmu_translate(&c.m, lin, 0, c.user, &phys)):
                        rc = raise_pf(c)
                    if rc == RC_OK:
                        c.m.ifetch_page = page
                        c.m.ifetch_phys = phys & 0xFFFFF000u
                        c.cs_check = cs_page_check(c, page)
                if rc:
                    nf += 1
                    rb -= 1
                    rc = handle_fault(c)
                    eip = c.eip
                    if rc:
                        done[0] = r + nf
                        retired[0] = r
                        return rc
                    continue
            e = &dc[phys & (KW_DC_SIZE - 1)]
            if unlikely(e.tag != KW_DC_KEY(phys, c.code32)):
                e = decode_fill(c, e, lin, phys)
                if e == NULL:
                    nf += 1
                    rb -= 1
                    rc = handle_fault(c)
                    eip = c.eip
                    if rc:
                        done[0] = r + nf
                        retired[0] = r
                        return rc
                    continue
            k = e.fast if not c.cs_check else FK_NONE
        seq = 0
        if likely(k != FK_NONE):
            # a translated block (exec_block.pxi) from here, when it fits whole
            # in the budget and below the attention threshold
            if blocks != NULL and not skipblk and not c.io_ready:
                bk = &blocks[blk_hash(<uint32_t>(e.tag >> 1))]
                if (bk.tag != e.tag or bk.gen != c.m.code_gen[<uint32_t>(e.tag >> 13)] or
                        bk.dgen != c.m.dc_gen):
                    blk_build(c, bk, e, eip)
                if (bk.n != 0 and r + bk.n <= rb and
                        c.cycles + bk.csum + c.cost_ev[EVC_BRANCH_TAKEN] < c.attn):
                    p64 = <int64_t>r
                    t = blk_exec(c, bk, &eip, &r, rb)
                    c.eip = eip
                    c.m.blk_insns += r - <uint64_t>p64
                    skipblk = t == 1
                    if t == 2:
                        # a handler called from the block faulted
                        nf += 1
                        rb -= 1
                        rc = handle_fault(c)
                        eip = c.eip
                        if rc:
                            done[0] = r + nf
                            retired[0] = r
                            return rc
                    continue
            onestep = skipblk
            skipblk = 0
            # inner loop: a chain of inline forms in one code page
            # cyc: the cycle count in a register while the chain runs (c.cycles is
            # stored after every instruction and around every call, never read back
            # on the hot path: no store-to-load chain through memory)
            cyc = c.cycles
            while True:
                # ---- inline forms (see fast_kind) ----
                ip = &e.insn
                nxt = eip + ip.length
                rc = RC_OK
                if k == FK_MOV_RM:
                    a = ea32(c.gpr, ip)
                    te = &c.m.tlb[c.user][(a >> 12) & (KW_TLB_SIZE - 1)]
                    if likely(seg_ok(c, ip.seg, a) and te.rtag == (a & 0xFFFFF000u) and
                              (a & 0xFFF) <= 4092):
                        memcpy(&c.gpr[ip.ops[0].reg], te.host + (a & 0xFFF), 4)
                    else:
                        c.cycles = cyc
                        c.eip = eip
                        rc = rd_mem(c, ip.seg, a, 4, &c.gpr[ip.ops[0].reg])
                        cyc = c.cycles
                elif k == FK_JCC:
                    t = cond_quick(ip.cc, c.cc_op, c.cc_size, c.cc_dst, c.cc_src, c.cc_res)
                    if unlikely(t < 0):
                        t = cond(c, ip.cc)
                    if t:
                        nxt += ip.imm
                        if unlikely(nxt > cs.limit):
                            rc = raise_gp(c, 0)
                        else:
                            cyc += c.cost_ev[EVC_BRANCH_TAKEN]
                elif k == FK_MOV_RR:
                    c.gpr[ip.ops[0].reg] = c.gpr[ip.ops[1].reg]
                elif k == FK_MOV_MR:
                    a = ea32(c.gpr, ip)
                    te = &c.m.tlb[c.user][(a >> 12) & (KW_TLB_SIZE - 1)]
                    if likely(seg_ok(c, ip.seg, a) and te.wtag == (a & 0xFFFFF000u) and
                              (a & 0xFFF) <= 4092):
                        memcpy(te.host + (a & 0xFFF), &c.gpr[ip.ops[1].reg], 4)
                    else:
                        c.cycles = cyc
                        c.eip = eip
                        rc = wr_mem(c, ip.seg, a, 4, c.gpr[ip.ops[1].reg])
                        cyc = c.cycles
                elif k == FK_MOV_RI:
                    c.gpr[ip.ops[0].reg] = ip.imm
                elif k == FK_LEA:
                    c.gpr[ip.ops[0].reg] = ea32(c.gpr, ip)
                elif k == FK_NOP:
                    pass
                elif k == FK_CMP_RM or k == FK_CMP_RM_JCC:
                    a = c.gpr[ip.ops[0].reg]
                    b2 = ea32(c.gpr, ip)
                    hp = host_rd(c, ip.seg, b2, 4)
                    if hp != NULL:
                        memcpy(&b, hp, 4)
                    else:
                        c.cycles = cyc
                        c.eip = eip
                        rc = rd_mem(c, ip.seg, b2, 4, &b)
                        cyc = c.cycles
                    if rc == RC_OK:
                        set_cc(c, CC_SUB, 4, a, b, a - b)
                        if k == FK_CMP_RM_JCC and fuse_room(cyc, c, e, r, rb, nxt):
                            t = cond_sub32(ip.cc & 15, a, b, a - b)
                            nxt = fuse_jcc(cyc, c, nxt, ip, t, c.cost_class[CLS_JCC])
                            r += 1
                elif k == FK_CMP_MR or k == FK_CMP_MR_JCC:
                    b = c.gpr[ip.ops[1].reg]
                    b2 = ea32(c.gpr, ip)
                    hp = host_rd(c, ip.seg, b2, 4)
                    if hp != NULL:
                        memcpy(&a, hp, 4)
                    else:
                        c.cycles = cyc
                        c.eip = eip
                        rc = rd_mem(c, ip.seg, b2, 4, &a)
                        cyc = c.cycles
                    if rc == RC_OK:
                        set_cc(c, CC_SUB, 4, a, b, a - b)
                        if k == FK_CMP_MR_JCC and fuse_room(cyc, c, e, r, rb, nxt):
                            t = cond_sub32(ip.cc & 15, a, b, a - b)
                            nxt = fuse_jcc(cyc, c, nxt, ip, t, c.cost_class[CLS_JCC])
                            r += 1
                elif k == FK_CMP_MI32 or k == FK_CMP_MI32_JCC:
                    b = ip.imm
                    b2 = ea32(c.gpr, ip)
                    hp = host_rd(c, ip.seg, b2, 4)
                    if hp != NULL:
                        memcpy(&a, hp, 4)
                    else:
                        c.cycles = cyc
                        c.eip = eip
                        rc = rd_mem(c, ip.seg, b2, 4, &a)
                        cyc = c.cycles
                    if rc == RC_OK:
                        set_cc(c, CC_SUB, 4, a, b, a - b)
                        if k == FK_CMP_MI32_JCC and fuse_room(cyc, c, e, r, rb, nxt):
                            t = cond_sub32(ip.cc & 15, a, b, a - b)
                            nxt = fuse_jcc(cyc, c, nxt, ip, t, c.cost_class[CLS_JCC])
                            r += 1
                elif k == FK_CMP_MI8 or k == FK_CMP_MI8_JCC:
                    b = ip.imm
                    b2 = ea32(c.gpr, ip)
                    hp = host_rd(c, ip.seg, b2, 1)
                    if hp != NULL:
                        a = hp[0]
                    else:
                        c.cycles = cyc
                        c.eip = eip
                        rc = rd_mem(c, ip.seg, b2, 1, &a)
                        cyc = c.cycles
                    if rc == RC_OK:
                        set_cc(c, CC_SUB, 1, a, b, a - b)
                        if k == FK_CMP_MI8_JCC and fuse_room(cyc, c, e, r, rb, nxt):
                            t = cond_fast(c, ip.cc & 15)
                            nxt = fuse_jcc(cyc, c, nxt, ip, t, c.cost_class[CLS_JCC])
                            r += 1
                elif k == FK_MOV_RM8:
                    b2 = ea32(c.gpr, ip)
                    hp = host_rd(c, ip.seg, b2, 1)
                    if hp != NULL:
                        a = hp[0]
                    else:
                        c.cycles = cyc
                        c.eip = eip
                        rc = rd_mem(c, ip.seg, b2, 1, &a)
                        cyc = c.cycles
                    if rc == RC_OK:
                        set8(c.gpr, ip.ops[0].reg, a)
                elif k == FK_MOV_MR8:
                    b2 = ea32(c.gpr, ip)
                    a = get8(c.gpr, ip.ops[1].reg)
                    hp = host_wr(c, ip.seg, b2, 1)
                    if hp != NULL:
                        hp[0] = <uint8_t>a
                    else:
                        c.cycles = cyc
                        c.eip = eip
                        rc = wr_mem(c, ip.seg, b2, 1, a)
                        cyc = c.cycles
                elif k == FK_MOV_MI32:
                    b2 = ea32(c.gpr, ip)
                    hp = host_wr(c, ip.seg, b2, 4)
                    if hp != NULL:
                        memcpy(hp, &ip.imm, 4)
                    else:
                        c.cycles = cyc
                        c.eip = eip
                        rc = wr_mem(c, ip.seg, b2, 4, ip.imm)
                        cyc = c.cycles
                elif k == FK_MOV_MI8:
                    b2 = ea32(c.gpr, ip)
                    hp = host_wr(c, ip.seg, b2, 1)
                    if hp != NULL:
                        hp[0] = <uint8_t>ip.imm
                    else:
                        c.cycles = cyc
                        c.eip = eip
                        rc = wr_mem(c, ip.seg, b2, 1, ip.imm)
                        cyc = c.cycles
                elif k == FK_MOVZX_M8:
                    b2 = ea32(c.gpr, ip)
                    hp = host_rd(c, ip.seg, b2, 1)
                    if hp != NULL:
                        c.gpr[ip.ops[0].reg] = hp[0]
                    else:
                        c.cycles = cyc
                        c.eip = eip
                        rc = rd_mem(c, ip.seg, b2, 1, &c.gpr[ip.ops[0].reg])
                        cyc = c.cycles
                elif k == FK_CMOV_RR or k == FK_SETCC_R8:
                    t = cond_quick(ip.cc, c.cc_op, c.cc_size, c.cc_dst, c.cc_src, c.cc_res)
                    if unlikely(t < 0):
                        t = cond(c, ip.cc)
                    if k == FK_SETCC_R8:
                        set8(c.gpr, ip.ops[0].reg, <uint32_t>t)
                    elif t:
                        c.gpr[ip.ops[0].reg] = c.gpr[ip.ops[1].reg]
                elif k == FK_MOVZX_R8:
                    c.gpr[ip.ops[0].reg] = get8(c.gpr, ip.ops[1].reg)
                elif k == FK_IMUL_R:
                    # op_imul_r32's flags (CF = OF = overflow, SF ZF PF of the low
                    # half, AF 0): without overflow exactly a logic op's, kept lazy
                    if ip.nops == 2:
                        p64 = <int64_t><int32_t>c.gpr[ip.ops[0].reg] * <int32_t>c.gpr[ip.ops[1].reg]
                    else:
                        p64 = <int64_t><int32_t>c.gpr[ip.ops[1].reg] * <int32_t>ip.imm
                    a = <uint32_t>p64
                    c.gpr[ip.ops[0].reg] = a
                    if likely(p64 == <int32_t>a):
                        set_cc(c, CC_LOGIC, 4, 0, 0, a)
                    else:
                        set_cc(c, CC_MULOV32, 4, 0, 0, a)
                elif k == FK_ADD_RM:
                    a = c.gpr[ip.ops[0].reg]
                    b2 = ea32(c.gpr, ip)
                    hp = host_rd(c, ip.seg, b2, 4)
                    if hp != NULL:
                        memcpy(&b, hp, 4)
                    else:
                        c.cycles = cyc
                        c.eip = eip
                        rc = rd_mem(c, ip.seg, b2, 4, &b)
                        cyc = c.cycles
                    if rc == RC_OK:
                        c.gpr[ip.ops[0].reg] = a + b
                        set_cc(c, CC_ADD, 4, a, b, a + b)
                elif k == FK_NOPS:
                    # retire the whole run if no instruction boundary inside it
                    # would have stopped the loop (budget, attention threshold)
                    b = ip.imm2 - 1
                    if r + 1 + b <= rb and cyc + <uint64_t>b * e.cycles < c.attn:
                        nxt = eip + ip.imm
                        r += b
                        cyc += <uint64_t>b * e.cycles
                elif (k == FK_SUB_RM or k == FK_AND_RM or k == FK_OR_RM or k == FK_XOR_RM):
                    a = c.gpr[ip.ops[0].reg]
                    b2 = ea32(c.gpr, ip)
                    hp = host_rd(c, ip.seg, b2, 4)
                    if hp != NULL:
                        memcpy(&b, hp, 4)
                    else:
                        c.cycles = cyc
                        c.eip = eip
                        rc = rd_mem(c, ip.seg, b2, 4, &b)
                        cyc = c.cycles
                    if rc == RC_OK:
                        if k == FK_SUB_RM:
                            c.gpr[ip.ops[0].reg] = a - b
                            set_cc(c, CC_SUB, 4, a, b, a - b)
                        else:
                            if k == FK_AND_RM:
                                a = a & b
                            elif k == FK_OR_RM:
                                a = a | b
                            else:
                                a = a ^ b
                            c.gpr[ip.ops[0].reg] = a
                            set_cc(c, CC_LOGIC, 4, 0, 0, a)
                elif (k == FK_ADD_MR or k == FK_SUB_MR or k == FK_AND_MR or k == FK_OR_MR or
                      k == FK_XOR_MR or k == FK_ADD_MI or k == FK_SUB_MI or k == FK_AND_MI or
                      k == FK_OR_MI or k == FK_XOR_MI or k == FK_INC_M or k == FK_DEC_M):
                    # (case labels, not a range test: the chain must stay a C switch)
                    # read-modify-write m32: inline when one TLB write entry
                    # covers it (writable implies readable), else the handler
                    b2 = ea32(c.gpr, ip)
                    hp = host_wr(c, ip.seg, b2, 4)
                    if hp != NULL:
                        memcpy(&a, hp, 4)
                        if k <= FK_XOR_MR:
                            b = c.gpr[ip.ops[1].reg]
                            t = k - FK_ADD_MR
                        elif k <= FK_XOR_MI:
                            b = ip.imm
                            t = k - FK_ADD_MI
                        else:
                            b = 1
                            t = 5 if k == FK_INC_M else 6
                        if t == 0:
                            d = a + b
                            set_cc(c, CC_ADD, 4, a, b, d)
                        elif t == 1:
                            d = a - b
                            set_cc(c, CC_SUB, 4, a, b, d)
                        elif t == 2:
                            d = a & b
                            set_cc(c, CC_LOGIC, 4, 0, 0, d)
                        elif t == 3:
                            d = a | b
                            set_cc(c, CC_LOGIC, 4, 0, 0, d)
                        elif t == 4:
                            d = a ^ b
                            set_cc(c, CC_LOGIC, 4, 0, 0, d)
                        else:
                            c.cc_aux = get_cf(c)
                            d = a + 1 if t == 5 else a - 1
                            c.cc_op = CC_INC if t == 5 else CC_DEC
                            c.cc_size = 4
                            c.cc_dst = a
                            c.cc_src = 1
                            c.cc_res = d
                        memcpy(hp, &d, 4)
                    else:
                        c.eip_next = nxt
                        c.cycles = cyc
                        c.eip = eip
                        rc = (<op_fn>e.fn)(c, ip)
                        cyc = c.cycles
                elif k == FK_MOVSX_M8 or k == FK_MOVSX_M16 or k == FK_MOVZX_M16:
                    b2 = ea32(c.gpr, ip)
                    if k == FK_MOVSX_M8:
                        hp = host_rd(c, ip.seg, b2, 1)
                        if hp != NULL:
                            a = hp[0]
                        else:
                            c.cycles = cyc
                            c.eip = eip
                            rc = rd_mem(c, ip.seg, b2, 1, &a)
                            cyc = c.cycles
                        if rc == RC_OK:
                            c.gpr[ip.ops[0].reg] = <uint32_t><int32_t><int8_t>a
                    else:
                        hp = host_rd(c, ip.seg, b2, 2)
                        if hp != NULL:
                            a = hp[0] | (<uint32_t>hp[1] << 8)
                        else:
                            c.cycles = cyc
                            c.eip = eip
                            rc = rd_mem(c, ip.seg, b2, 2, &a)
                            cyc = c.cycles
                        if rc == RC_OK:
                            if k == FK_MOVSX_M16:
                                c.gpr[ip.ops[0].reg] = <uint32_t><int32_t><int16_t>a
                            else:
                                c.gpr[ip.ops[0].reg] = a & 0xFFFF
                elif k == FK_PUSH_I or k == FK_PUSH_M:
                    if k == FK_PUSH_I:
                        b = ip.imm
                    else:
                        b2 = ea32(c.gpr, ip)
                        hp = host_rd(c, ip.seg, b2, 4)
                        if hp != NULL:
                            memcpy(&b, hp, 4)
                        else:
                            c.cycles = cyc
                            c.eip = eip
                            rc = rd_mem(c, ip.seg, b2, 4, &b)
                            cyc = c.cycles
                    if rc == RC_OK:
                        a = c.gpr[4] - 4
                        hp = host_wr(c, SEG_SS, a, 4)
                        if likely(c.stack32 and hp != NULL):
                            memcpy(hp, &b, 4)
                            c.gpr[4] = a
                        else:
                            c.eip_next = nxt
                            c.cycles = cyc
                            c.eip = eip
                            rc = op_push(c, ip)
                            cyc = c.cycles
                elif k == FK_LEAVE:
                    a = c.gpr[5]
                    hp = host_rd(c, SEG_SS, a, 4)
                    if likely(c.stack32 and hp != NULL):
                        memcpy(&b, hp, 4)
                        c.gpr[4] = a + 4
                        c.gpr[5] = b
                    else:
                        c.eip_next = nxt
                        c.cycles = cyc
                        c.eip = eip
                        rc = op_leave(c, ip)
                        cyc = c.cycles
                elif k == FK_JMP_R or k == FK_CALL_R or k == FK_JMP_M or k == FK_CALL_M:
                    if k == FK_JMP_R or k == FK_CALL_R:
                        b = c.gpr[ip.ops[0].reg]
                    else:
                        b2 = ea32(c.gpr, ip)
                        hp = host_rd(c, ip.seg, b2, 4)
                        if hp != NULL:
                            memcpy(&b, hp, 4)
                        else:
                            c.cycles = cyc
                            c.eip = eip
                            rc = rd_mem(c, ip.seg, b2, 4, &b)
                            cyc = c.cycles
                    if rc == RC_OK and unlikely(b > cs.limit):
                        rc = raise_gp(c, 0)
                    elif rc == RC_OK:
                        if k == FK_JMP_R or k == FK_JMP_M:
                            nxt = b
                            cyc += c.cost_ev[EVC_BRANCH_TAKEN]
                        else:
                            a = c.gpr[4] - 4
                            hp = host_wr(c, SEG_SS, a, 4)
                            if likely(c.stack32 and hp != NULL):
                                memcpy(hp, &nxt, 4)
                                c.gpr[4] = a
                                nxt = b
                                cyc += c.cost_ev[EVC_BRANCH_TAKEN]
                            else:
                                c.eip_next = nxt
                                c.cycles = cyc
                                c.eip = eip
                                rc = op_call(c, ip)
                                cyc = c.cycles
                                nxt = c.eip_next
                elif k == FK_PUSH_R:
                    a = c.gpr[4] - 4
                    te = &c.m.tlb[c.user][(a >> 12) & (KW_TLB_SIZE - 1)]
                    if likely(c.stack32 and seg_ok(c, SEG_SS, a) and te.wtag == (a & 0xFFFFF000u) and
                              (a & 0xFFF) <= 4092):
                        memcpy(te.host + (a & 0xFFF), &c.gpr[ip.ops[0].reg], 4)
                        c.gpr[4] = a
                    else:
                        c.eip_next = nxt
                        c.cycles = cyc
                        c.eip = eip
                        rc = op_push_r32(c, ip)
                        cyc = c.cycles
                elif k == FK_POP_R:
                    a = c.gpr[4]
                    te = &c.m.tlb[c.user][(a >> 12) & (KW_TLB_SIZE - 1)]
                    if likely(c.stack32 and seg_ok(c, SEG_SS, a) and te.rtag == (a & 0xFFFFF000u) and
                              (a & 0xFFF) <= 4092):
                        memcpy(&b, te.host + (a & 0xFFF), 4)
                        c.gpr[4] = a + 4
                        c.gpr[ip.ops[0].reg] = b        # pop esp: the popped value wins
                    else:
                        c.eip_next = nxt
                        c.cycles = cyc
                        c.eip = eip
                        rc = op_pop_r32(c, ip)
                        cyc = c.cycles
                elif k == FK_CALL:
                    a = c.gpr[4] - 4
                    te = &c.m.tlb[c.user][(a >> 12) & (KW_TLB_SIZE - 1)]
                    if unlikely(nxt + ip.imm > cs.limit):
                        rc = raise_gp(c, 0)
                    elif likely(c.stack32 and seg_ok(c, SEG_SS, a) and te.wtag == (a & 0xFFFFF000u) and
                              (a & 0xFFF) <= 4092):
                        memcpy(te.host + (a & 0xFFF), &nxt, 4)
                        c.gpr[4] = a
                        nxt += ip.imm
                        cyc += c.cost_ev[EVC_BRANCH_TAKEN]
                    else:
                        c.eip_next = nxt
                        c.cycles = cyc
                        c.eip = eip
                        rc = op_call(c, ip)
                        cyc = c.cycles
                        nxt = c.eip_next
                elif k == FK_RET:
                    a = c.gpr[4]
                    te = &c.m.tlb[c.user][(a >> 12) & (KW_TLB_SIZE - 1)]
                    if likely(c.stack32 and seg_ok(c, SEG_SS, a) and te.rtag == (a & 0xFFFFF000u) and
                              (a & 0xFFF) <= 4092):
                        memcpy(&b, te.host + (a & 0xFFF), 4)
                        if unlikely(b > cs.limit):
                            rc = raise_gp(c, 0)
                        else:
                            nxt = b
                            c.gpr[4] = a + 4
                            cyc += c.cost_ev[EVC_BRANCH_TAKEN]
                    else:
                        c.eip_next = nxt
                        c.cycles = cyc
                        c.eip = eip
                        rc = op_ret(c, ip)
                        cyc = c.cycles
                        nxt = c.eip_next
                elif k == FK_JMP:
                    nxt += ip.imm
                    if unlikely(nxt > cs.limit):
                        rc = raise_gp(c, 0)
                    else:
                        cyc += c.cost_ev[EVC_BRANCH_TAKEN]
                elif k == FK_ADD_RR or k == FK_ADD_RR_JCC:
                    a = c.gpr[ip.ops[0].reg]
                    b = c.gpr[ip.ops[1].reg]
                    c.gpr[ip.ops[0].reg] = a + b
                    set_cc(c, CC_ADD, 4, a, b, a + b)
                    if k == FK_ADD_RR_JCC and fuse_room(cyc, c, e, r, rb, nxt):
                        t = cond_quick(ip.cc & 15, CC_ADD, 4, a, b, a + b)
                        nxt = fuse_jcc(cyc, c, nxt, ip, t, c.cost_class[CLS_JCC])
                        r += 1
                elif k == FK_ADD_RI or k == FK_ADD_RI_JCC:
                    a = c.gpr[ip.ops[0].reg]
                    b = ip.imm
                    c.gpr[ip.ops[0].reg] = a + b
                    set_cc(c, CC_ADD, 4, a, b, a + b)
                    if k == FK_ADD_RI_JCC and fuse_room(cyc, c, e, r, rb, nxt):
                        t = cond_quick(ip.cc & 15, CC_ADD, 4, a, b, a + b)
                        nxt = fuse_jcc(cyc, c, nxt, ip, t, c.cost_class[CLS_JCC])
                        r += 1
                elif k == FK_SUB_RR or k == FK_SUB_RR_JCC:
                    a = c.gpr[ip.ops[0].reg]
                    b = c.gpr[ip.ops[1].reg]
                    c.gpr[ip.ops[0].reg] = a - b
                    set_cc(c, CC_SUB, 4, a, b, a - b)
                    if k == FK_SUB_RR_JCC and fuse_room(cyc, c, e, r, rb, nxt):
                        t = cond_sub32(ip.cc & 15, a, b, a - b)
                        nxt = fuse_jcc(cyc, c, nxt, ip, t, c.cost_class[CLS_JCC])
                        r += 1
                elif k == FK_SUB_RI or k == FK_SUB_RI_JCC:
                    a = c.gpr[ip.ops[0].reg]
                    b = ip.imm
                    c.gpr[ip.ops[0].reg] = a - b
                    set_cc(c, CC_SUB, 4, a, b, a - b)
                    if k == FK_SUB_RI_JCC and fuse_room(cyc, c, e, r, rb, nxt):
                        t = cond_sub32(ip.cc & 15, a, b, a - b)
                        nxt = fuse_jcc(cyc, c, nxt, ip, t, c.cost_class[CLS_JCC])
                        r += 1
                elif k == FK_AND_RR or k == FK_AND_RR_JCC:
                    a = c.gpr[ip.ops[0].reg] & c.gpr[ip.ops[1].reg]
                    c.gpr[ip.ops[0].reg] = a
                    set_cc(c, CC_LOGIC, 4, 0, 0, a)
                    if k == FK_AND_RR_JCC and fuse_room(cyc, c, e, r, rb, nxt):
                        t = cond_logic32(ip.cc & 15, a)
                        nxt = fuse_jcc(cyc, c, nxt, ip, t, c.cost_class[CLS_JCC])
                        r += 1
                elif k == FK_AND_RI or k == FK_AND_RI_JCC:
                    a = c.gpr[ip.ops[0].reg] & ip.imm
                    c.gpr[ip.ops[0].reg] = a
                    set_cc(c, CC_LOGIC, 4, 0, 0, a)
                    if k == FK_AND_RI_JCC and fuse_room(cyc, c, e, r, rb, nxt):
                        t = cond_logic32(ip.cc & 15, a)
                        nxt = fuse_jcc(cyc, c, nxt, ip, t, c.cost_class[CLS_JCC])
                        r += 1
                elif k == FK_OR_RR or k == FK_OR_RR_JCC:
                    a = c.gpr[ip.ops[0].reg] | c.gpr[ip.ops[1].reg]
                    c.gpr[ip.ops[0].reg] = a
                    set_cc(c, CC_LOGIC, 4, 0, 0, a)
                    if k == FK_OR_RR_JCC and fuse_room(cyc, c, e, r, rb, nxt):
                        t = cond_logic32(ip.cc & 15, a)
                        nxt = fuse_jcc(cyc, c, nxt, ip, t, c.cost_class[CLS_JCC])
                        r += 1
                elif k == FK_OR_RI or k == FK_OR_RI_JCC:
                    a = c.gpr[ip.ops[0].reg] | ip.imm
                    c.gpr[ip.ops[0].reg] = a
                    set_cc(c, CC_LOGIC, 4, 0, 0, a)
                    if k == FK_OR_RI_JCC and fuse_room(cyc, c, e, r, rb, nxt):
                        t = cond_logic32(ip.cc & 15, a)
                        nxt = fuse_jcc(cyc, c, nxt, ip, t, c.cost_class[CLS_JCC])
                        r += 1
                elif k == FK_XOR_RR or k == FK_XOR_RR_JCC:
                    a = c.gpr[ip.ops[0].reg] ^ c.gpr[ip.ops[1].reg]
                    c.gpr[ip.ops[0].reg] = a
                    set_cc(c, CC_LOGIC, 4, 0, 0, a)
                    if k == FK_XOR_RR_JCC and fuse_room(cyc, c, e, r, rb, nxt):
                        t = cond_logic32(ip.cc & 15, a)
                        nxt = fuse_jcc(cyc, c, nxt, ip, t, c.cost_class[CLS_JCC])
                        r += 1
                elif k == FK_XOR_RI or k == FK_XOR_RI_JCC:
                    a = c.gpr[ip.ops[0].reg] ^ ip.imm
                    c.gpr[ip.ops[0].reg] = a
                    set_cc(c, CC_LOGIC, 4, 0, 0, a)
                    if k == FK_XOR_RI_JCC and fuse_room(cyc, c, e, r, rb, nxt):
                        t = cond_logic32(ip.cc & 15, a)
                        nxt = fuse_jcc(cyc, c, nxt, ip, t, c.cost_class[CLS_JCC])
                        r += 1
                elif k == FK_CMP_RR or k == FK_CMP_RR_JCC:
                    a = c.gpr[ip.ops[0].reg]
                    b = c.gpr[ip.ops[1].reg]
                    set_cc(c, CC_SUB, 4, a, b, a - b)
                    if k == FK_CMP_RR_JCC and fuse_room(cyc, c, e, r, rb, nxt):
                        t = cond_sub32(ip.cc & 15, a, b, a - b)
                        nxt = fuse_jcc(cyc, c, nxt, ip, t, c.cost_class[CLS_JCC])
                        r += 1
                elif k == FK_CMP_RI or k == FK_CMP_RI_JCC:
                    a = c.gpr[ip.ops[0].reg]
                    b = ip.imm
                    set_cc(c, CC_SUB, 4, a, b, a - b)
                    if k == FK_CMP_RI_JCC and fuse_room(cyc, c, e, r, rb, nxt):
                        t = cond_sub32(ip.cc & 15, a, b, a - b)
                        nxt = fuse_jcc(cyc, c, nxt, ip, t, c.cost_class[CLS_JCC])
                        r += 1
                elif k == FK_TEST_RR or k == FK_TEST_RR_JCC:
                    a = c.gpr[ip.ops[0].reg] & c.gpr[ip.ops[1].reg]
                    set_cc(c, CC_LOGIC, 4, 0, 0, a)
                    if k == FK_TEST_RR_JCC and fuse_room(cyc, c, e, r, rb, nxt):
                        t = cond_logic32(ip.cc & 15, a)
                        nxt = fuse_jcc(cyc, c, nxt, ip, t, c.cost_class[CLS_JCC])
                        r += 1
                elif k == FK_TEST_RI or k == FK_TEST_RI_JCC:
                    a = c.gpr[ip.ops[0].reg] & ip.imm
                    set_cc(c, CC_LOGIC, 4, 0, 0, a)
                    if k == FK_TEST_RI_JCC and fuse_room(cyc, c, e, r, rb, nxt):
                        t = cond_logic32(ip.cc & 15, a)
                        nxt = fuse_jcc(cyc, c, nxt, ip, t, c.cost_class[CLS_JCC])
                        r += 1
                elif k == FK_INC_R or k == FK_INC_R_JCC:
                    a = c.gpr[ip.ops[0].reg]
                    if c.cc_op == CC_LOGIC:
                        c.cc_aux = 0
                    elif c.cc_op == CC_SUB and c.cc_size == 4:
                        c.cc_aux = c.cc_dst < c.cc_src
                    elif c.cc_op == CC_ADD and c.cc_size == 4:
                        c.cc_aux = c.cc_res < c.cc_dst
                    elif c.cc_op != CC_INC and c.cc_op != CC_DEC:
                        c.cc_aux = get_cf(c)      # (after inc/dec: CF, in cc_aux, stays)
                    c.gpr[ip.ops[0].reg] = a + 1
                    c.cc_op = CC_INC
                    c.cc_size = 4
                    c.cc_dst = a
                    c.cc_src = 1
                    c.cc_res = a + 1
                    if k == FK_INC_R_JCC and fuse_room(cyc, c, e, r, rb, nxt):
                        t = cond_incdec32(c, ip.cc & 15)
                        nxt = fuse_jcc(cyc, c, nxt, ip, t, c.cost_class[CLS_JCC])
                        r += 1
                elif k == FK_DEC_R or k == FK_DEC_R_JCC:
                    a = c.gpr[ip.ops[0].reg]
                    if c.cc_op == CC_LOGIC:
                        c.cc_aux = 0
                    elif c.cc_op == CC_SUB and c.cc_size == 4:
                        c.cc_aux = c.cc_dst < c.cc_src
                    elif c.cc_op == CC_ADD and c.cc_size == 4:
                        c.cc_aux = c.cc_res < c.cc_dst
                    elif c.cc_op != CC_INC and c.cc_op != CC_DEC:
                        c.cc_aux = get_cf(c)      # (after inc/dec: CF, in cc_aux, stays)
                    c.gpr[ip.ops[0].reg] = a - 1
                    c.cc_op = CC_DEC
                    c.cc_size = 4
                    c.cc_dst = a
                    c.cc_src = 1
                    c.cc_res = a - 1
                    if k == FK_DEC_R_JCC and fuse_room(cyc, c, e, r, rb, nxt):
                        t = cond_incdec32(c, ip.cc & 15)
                        nxt = fuse_jcc(cyc, c, nxt, ip, t, c.cost_class[CLS_JCC])
                        r += 1
                elif k == FK_SHL_RI:
                    # op_shl_ri32's flags, kept lazy (CC_SHL32)
                    a = c.gpr[ip.ops[0].reg]
                    b = ip.imm & 0x1F
                    d = a << b
                    c.gpr[ip.ops[0].reg] = d
                    set_cc(c, CC_SHL32, 4, a, b, d)
                elif k == FK_SHR_RI:
                    # op_shr_ri32's flags, kept lazy (CC_SHR32)
                    a = c.gpr[ip.ops[0].reg]
                    b = ip.imm & 0x1F
                    d = a >> b
                    c.gpr[ip.ops[0].reg] = d
                    set_cc(c, CC_SHR32, 4, a, b, d)
                elif k == FK_SAR_RI:
                    # op_sar_ri32's flags, kept lazy (CC_SAR32)
                    a = c.gpr[ip.ops[0].reg]
                    b = ip.imm & 0x1F
                    d = <uint32_t>(<int32_t>a >> b)
                    c.gpr[ip.ops[0].reg] = d
                    set_cc(c, CC_SAR32, 4, a, b, d)
                elif k == FK_NEG_R:
                    a = c.gpr[ip.ops[0].reg]
                    c.gpr[ip.ops[0].reg] = 0 - a
                    set_cc(c, CC_SUB, 4, 0, a, 0 - a)
                elif k == FK_NOT_R:
                    c.gpr[ip.ops[0].reg] = ~c.gpr[ip.ops[0].reg]
                elif k == FK_CALL_FN:
                    # a data-only handler (chain_safe): same call as the outer loop's
                    c.eip_next = nxt
                    c.cycles = cyc
                    c.eip = eip
                    rc = (<op_fn>e.fn)(c, ip)
                    cyc = c.cycles
                    if rc == RC_OK and unlikely(c.m.ifetch_page == KW_NOTAG):
                        # the code page's translation was dropped: refetch
                        eip = nxt
                        c.eip = eip
                        cyc += e.cycles
                        c.cycles = cyc
                        r += 1
                        break
                if likely(rc == RC_OK):
                    # next entry without a TLB/dcache index computation when
                    # the target lies in the same code page (fall-through and
                    # short branches): slot e + d holds it if its tag says so
                    d = nxt - eip
                    e2 = e + <int32_t>d
                    # same page: the dcache is aligned to a page's slots (mmu_init)
                    if same_dc_page(e, e2):
                        seq = e2.tag == e.tag + <uint64_t>(<int64_t><int32_t>d * 2)
                    eip = nxt
                    cyc += e.cycles
                    r += 1
                    # stay in this inner loop while the chain continues: the next
                    # entry is a decoded inline form of the same page and neither
                    # the attention threshold nor the budget stops here (else the
                    # outer loop's checks run first, exactly as before)
                    # (with blocks: a branch ends the chain, its target may
                    # start a block)
                    if (seq and e2.fast != FK_NONE and cyc < c.attn and r < rb and
                            (blocks == NULL or (d == ip.length and not onestep))):
                        e = e2
                        k = e.fast
                        seq = 0
                        continue
                    # leaving the chain: EIP and the cycle count back in the state
                    # (inside it they are stored only around calls and faults)
                    c.eip = eip
                    c.cycles = cyc
                    break
                c.io_ready = 0
                nf += 1
                rb -= 1
                c.cycles = cyc
                c.eip = eip
                rc = handle_fault(c)
                eip = c.eip
                if rc:
                    done[0] = r + nf
                    retired[0] = r
                    return rc
                break
            continue
        c.eip_next = eip + e.insn.length
        if unlikely(c.cs_check):
            if not c.code32:
                c.eip_next &= 0xFFFF
            if eip + e.insn.length - 1 > cs.limit:
                raise_gp(c, 0)
                nf += 1
                rb -= 1
                rc = handle_fault(c)
                eip = c.eip
                if rc:
                    done[0] = r + nf
                    retired[0] = r
                    return rc
                continue
        # ---- execute ----
        rc = (<op_fn>e.fn)(c, &e.insn)
        if likely(rc == RC_OK):
            # sequential fetch as for the inline forms, if the handler left
            # the code mapping alone (CS, CPL, paging changes and TLB
            # flushes all reset ifetch_page)
            nxt = c.eip_next
            d = nxt - eip
            if (e.tag != KW_DC_NOTAG and <uint32_t>(((e.tag >> 1) & 0xFFF) + d) < 4096 and
                    c.m.ifetch_page != KW_NOTAG and not c.cs_check):
                e2 = e + <int32_t>d
                seq = e2.tag == e.tag + <uint64_t>(<int64_t><int32_t>d * 2)
            eip = nxt
            c.eip = eip
        elif rc == RC_FAULT:
            c.io_ready = 0
            nf += 1
            rb -= 1
            rc = handle_fault(c)
            eip = c.eip
            if rc:
                done[0] = r + nf
                retired[0] = r
                return rc
            continue
        elif rc == RC_EVENT:
            done[0] = r + nf
            retired[0] = r
            return c.event
        elif rc == RC_EXIT:
            c.eip = c.eip_next
            c.cycles += e.cycles
            done[0] = r + nf + 1
            retired[0] = r + 1
            return c.event
        else:
            eip = c.eip     # RC_DONE: EIP already set
        c.cycles += e.cycles
        r += 1

# ----------------------------------------------------------------------------
# Instruction families
# ----------------------------------------------------------------------------

include "exec_misc.pxi"
include "exec_system.pxi"
include "exec_task.pxi"
include "exec_alu.pxi"
include "exec_string.pxi"
include "exec_bcd.pxi"

# ----------------------------------------------------------------------------
# Registration (module init, Python level)
# ----------------------------------------------------------------------------

_MNEMONIC_ID = None
REGISTERED = {}         # mnemonic name -> handler registered (for tests)
UNKNOWN_NAMES = []      # names a register_*() used that the decoder table lacks

cdef reg(str name, op_fn fn):
    cdef int k
    mid = None
    for cand in (name, name.upper(), name.lower()):
        try:
            mid = _MNEMONIC_ID(cand)
        except Exception:
            mid = None
        if mid is not None and mid >= 0:
            break
        mid = None
    if mid is None:
        UNKNOWN_NAMES.append(name)
        return False
    k = mid
    if k < 0 or k >= NOPS_MAX:
        raise ValueError(f"mnemonic id {k} of {name!r} exceeds NOPS_MAX")
    OPS[k] = fn
    REGISTERED[name] = k
    return True

cdef reg_all(names, op_fn fn):
    for n in names:
        reg(n, fn)

def _init_tables():
    global _MNEMONIC_ID, CLS_JCC
    cdef int k, b, p
    for k in range(256):
        p = 0
        b = k
        while b:
            p ^= b & 1
            b >>= 1
        PARITY[k] = 1 - p
    for k in range(NOPS_MAX):
        OPS[k] = op_ud
    if sizeof(DEnt) & (sizeof(DEnt) - 1):
        raise ImportError("kw86.exec: sizeof(DEnt) must be a power of two (run_loop's same-page test)")
    from kw86.isa import opcodes
    _MNEMONIC_ID = opcodes.mnemonic_id
    CLS_JCC = opcodes.CLASSES.index("jcc")
    register_misc()
    register_system()
    register_alu()
    register_string()
    register_bcd()

_init_tables()

include "exec_core.pxi"
include "exec_fpu.pxi"
