# kw86/exec_fpu.pxi -- x87 and MMX execution in the CPU (included by exec.pyx).
#
# The arithmetic lives in kw86/x87.pyx (Fpu state, fpu_exec); this file does
# what needs the CPU: CR0.EM/MP/TS/NE (SDM Vol. 3A §2.5, Table 2-2 and §12.?
# "Effect of EM/MP/TS"), the pending-#MF check before a waiting instruction
# (SDM Vol. 1 §8.6-8.7), memory operands with faults before any state change,
# FIP/FCS/FOP/FDP/FDS (SDM Vol. 1 §8.1.8-8.1.9), and MMX (SDM Vol. 1 ch. 9,
# Vol. 3A ch. 12: the MMX registers are the x87 significands; an MMX
# instruction sets TOP = 0 and tags every register valid, a write puts 0xFFFF
# in the register's sign/exponent; EMMS empties the tags).

from kw86.x87 cimport (Fpu, F80, fpu_exec, fpu_mem_info, fpu_is_nowait, fpu_init,
                       fpu_mmx_prep, fpu_store_env, fpu_load_env, fpu_fxsave, fpu_fxrstor,
                       FX_MEM_OUT, FX_EFLAGS,
                       FX_AX, FX_UD, FX_CTRL, FM_NONE, FM_LOAD, FM_STORE, SW_ES)

cdef inline int fpu_pending(Cpu* c) noexcept nogil:
    """An unmasked x87 exception is pending (SW.ES): the next waiting x87
    instruction, WAIT/FWAIT or MMX instruction takes #MF (CR0.NE = 1; with
    NE = 0 a PC would signal FERR# to IRQ 13, not modelled: #MF as well)."""
    return (c.fpu.sw & SW_ES) != 0

cdef int mem_ac(Cpu* c, int s, uint32_t off, uint32_t size, uint32_t align, int write) noexcept nogil:
    """Alignment check (#AC(0), SDM Vol. 3A §6.15 Interrupt 17, Table 6-7)
    of a size-byte operand at s:off that must be align-aligned, while it is
    on (CR0.AM, EFLAGS.AC, CPL 3: c.ac_on): the segment checks (#GP/#SS)
    come first, then #AC, and the page checks (#PF) after, in the access.
    align 0: none (the data type is not in Table 6-7)."""
    cdef uint32_t lin
    if not c.ac_on or align <= 1:
        return 0
    if seg_addr(c, s, off, size, write, &lin):
        return RC_FAULT
    if lin & (align - 1):
        return raise_exc_err(c, X_AC, 0)
    return 0

cdef inline uint32_t fpu_align(int esc, int size, int op32) noexcept nogil:
    """Required alignment of an x87 memory operand (SDM Vol. 3A Table 6-7):
    word integer, control and status word 2; single, doubleword integer 4;
    double, quadword integer 8; double extended (m80) 8; FSTENV/FLDENV and
    FSAVE/FRSTOR areas 4 or 2 by operand size.  Packed BCD (FBLD/FBSTP) is
    not in the table: 0, no check."""
    if size == 10:
        return 0 if (esc & 7) == 7 else 8
    if size > 10:
        return 4 if op32 else 2
    return size

cdef int fpu_fxsave_rstor(Cpu* c, const Insn* i) noexcept nogil:
    """FXSAVE / FXRSTOR m512 (0F AE /0 /1; SDM Vol. 2): #UD with CR0.EM, #NM
    with CR0.TS, #GP(0) unless 16-byte aligned; no pending-#MF check, and
    FXSAVE leaves the state as it is (unlike FNSAVE)."""
    cdef uint8_t buf[512]
    cdef uint32_t off = ea(c, i)
    cdef int rc
    if c.cr0 & 0x4:
        return raise_exc(c, X_UD)
    if c.cr0 & 0x8:
        return raise_exc(c, X_NM)
    if (c.seg[i.seg].base + off) & 15:
        return raise_gp(c, 0)
    if ((i.modrm >> 3) & 7) == 0:
        rc = check_wr(c, i.seg, off, 512)
        if rc:
            return rc
        fpu_fxsave(&c.fpu, buf)
        rc = wr_mem_buf(c, i.seg, off, 24, buf)
        if rc == 0:
            rc = wr_mem_buf(c, i.seg, off + 32, 128, buf + 32)
        return rc
    rc = rd_mem_buf(c, i.seg, off, 512, buf)
    if rc:
        return rc
    fpu_fxrstor(&c.fpu, buf)
    return RC_OK

cdef int fpu_dispatch(Cpu* c, const Insn* i) noexcept nogil:
    cdef int esc = i.opcode & 7
    cdef int modrm = i.modrm
    cdef int kind = 0, size = 0, fx, rc, op32 = i.opsize == 4
    cdef uint8_t buf[112]
    cdef Fpu saved
    cdef uint32_t off = 0, ef
    if i.map == 1:
        return fpu_fxsave_rstor(c, i)
    if c.cr0 & 0xC:                         # EM or TS: #NM (SDM Vol. 3A Table 2-2)
        return raise_exc(c, X_NM)
    if fpu_pending(c) and not fpu_is_nowait(esc, modrm):
        return raise_exc(c, X_MF)
    if modrm < 0xC0:
        kind = fpu_mem_info(esc, (modrm >> 3) & 7, op32, &size)
        off = ea(c, i)
        if kind != FM_NONE and c.ac_on:
            rc = mem_ac(c, i.seg, off, size, fpu_align(esc, size, op32),
                        kind == FM_STORE)
            if rc:
                return rc
        if kind == FM_LOAD:
            rc = rd_mem_buf(c, i.seg, off, size, buf)
            if rc:
                return rc
        elif kind == FM_STORE:
            rc = check_wr(c, i.seg, off, size)
            if rc:
                return rc
    ef = get_eflags(c)
    if kind == FM_STORE:
        saved = c.fpu                       # to undo if the (pre-checked) store still faults
    fx = fpu_exec(&c.fpu, esc, modrm, buf, op32, &ef)
    if fx & FX_UD:                          # (fpu_exec changes nothing before FX_UD)
        return raise_exc(c, X_UD)
    if fx & FX_MEM_OUT:
        rc = wr_mem_buf(c, i.seg, off, size, buf)
        if rc:
            if kind == FM_STORE:
                c.fpu = saved
            return rc
    if fx & FX_EFLAGS:
        set_arith_flags(c, F_ZF | F_PF | F_CF | F_OF | F_SF | F_AF, ef)
    if fx & FX_AX:
        c.gpr[0] = (c.gpr[0] & 0xFFFF0000u) | buf[0] | (<uint32_t>buf[1] << 8)
    if not (fx & FX_CTRL):
        c.fpu.fip = c.eip
        c.fpu.fcs = c.seg[SEG_CS].sel
        c.fpu.fop = <uint16_t>((esc << 8) | modrm)
        if modrm < 0xC0:
            c.fpu.fdp = off
            c.fpu.fds = c.seg[i.seg].sel
    return RC_OK

cdef int fpu_fwait(Cpu* c) noexcept nogil:
    """WAIT/FWAIT: #NM when CR0.MP and CR0.TS are both set; #MF if pending."""
    if (c.cr0 & 0xA) == 0xA:
        return raise_exc(c, X_NM)
    if fpu_pending(c):
        return raise_exc(c, X_MF)
    return RC_OK

# ----------------------------------------------------------------------------
# MMX

cdef inline int mm_src(Cpu* c, const Insn* i, int n, uint64_t* v) noexcept nogil:
    """Operand n as a quadword: MMX register, memory (8 bytes, or 4 for the
    Qd forms), GPR (movd) or immediate (shift counts)."""
    cdef int k = i.ops[n].kind
    cdef uint32_t lo
    cdef uint8_t b[8]
    if k == OPK_MMX:
        v[0] = c.fpu.r[i.ops[n].reg & 7].m
        return 0
    if k == OPK_MEM:
        if i.ops[n].size == 8:
            if rd_mem_buf(c, i.seg, ea(c, i), 8, b):
                return RC_FAULT
            memcpy(v, b, 8)
            return 0
        if rd_mem(c, i.seg, ea(c, i), 4, &lo):
            return RC_FAULT
        v[0] = lo
        return 0
    if k == OPK_REG:
        v[0] = c.gpr[i.ops[n].reg & 7]
        return 0
    v[0] = i.imm & 0xFF
    return 0

cdef inline void mm_set(Cpu* c, int r, uint64_t v) noexcept nogil:
    c.fpu.r[r & 7].m = v
    c.fpu.r[r & 7].se = 0xFFFF

cdef inline int64_t sat_s(int64_t v, int bits) noexcept nogil:
    cdef int64_t hi = (<int64_t>1 << (bits - 1)) - 1
    cdef int64_t lo = -(<int64_t>1 << (bits - 1))
    return hi if v > hi else (lo if v < lo else v)

cdef inline int64_t sat_u(int64_t v, int bits) noexcept nogil:
    cdef int64_t hi = (<int64_t>1 << bits) - 1
    return hi if v > hi else (0 if v < 0 else v)

cdef inline int64_t lane_s(uint64_t x, int k, int bits) noexcept nogil:
    cdef uint64_t u = (x >> (k * bits)) & ((<uint64_t>1 << bits) - 1) if bits < 64 else x
    if bits < 64 and (u >> (bits - 1)) & 1:
        return <int64_t>u - (<int64_t>1 << bits)
    return <int64_t>u

cdef inline uint64_t lane_u(uint64_t x, int k, int bits) noexcept nogil:
    return (x >> (k * bits)) & ((<uint64_t>1 << bits) - 1)

cdef uint64_t mm_lanes(int op, uint64_t a, uint64_t b, int bits) noexcept nogil:
    """Lane-wise add/sub (wrap, signed/unsigned saturation), compares."""
    cdef int n = 64 // bits, k
    cdef uint64_t r = 0, mask = (<uint64_t>1 << bits) - 1, x
    cdef int64_t v
    for k in range(n):
        if op == 0:         # add wrap
            x = (lane_u(a, k, bits) + lane_u(b, k, bits)) & mask
        elif op == 1:       # sub wrap
            x = (lane_u(a, k, bits) - lane_u(b, k, bits)) & mask
        elif op == 2:       # add signed sat
            x = <uint64_t>sat_s(lane_s(a, k, bits) + lane_s(b, k, bits), bits) & mask
        elif op == 3:       # sub signed sat
            x = <uint64_t>sat_s(lane_s(a, k, bits) - lane_s(b, k, bits), bits) & mask
        elif op == 4:       # add unsigned sat
            x = <uint64_t>sat_u(<int64_t>lane_u(a, k, bits) + <int64_t>lane_u(b, k, bits), bits) & mask
        elif op == 5:       # sub unsigned sat
            x = <uint64_t>sat_u(<int64_t>lane_u(a, k, bits) - <int64_t>lane_u(b, k, bits), bits) & mask
        elif op == 6:       # pcmpeq
            x = mask if lane_u(a, k, bits) == lane_u(b, k, bits) else 0
        else:               # pcmpgt (signed)
            x = mask if lane_s(a, k, bits) > lane_s(b, k, bits) else 0
        r |= x << (k * bits)
    return r

cdef uint64_t mm_shift(int kind, uint64_t a, uint64_t cnt, int bits) noexcept nogil:
    """kind 0: logical right, 1: arithmetic right, 2: left; count from a
    register/memory is the whole 64-bit value (SDM: counts > lane width give
    0, or sign fill for psra)."""
    cdef int n = 64 // bits, k
    cdef uint64_t r = 0, mask = (<uint64_t>1 << bits) - 1 if bits < 64 else <uint64_t>0xFFFFFFFFFFFFFFFFULL
    cdef uint64_t x
    cdef int64_t s
    for k in range(n):
        x = (a >> (k * bits)) & mask if bits < 64 else a
        if kind == 1:
            s = lane_s(a, k, bits)
            if cnt >= <uint64_t>bits:
                s = -1 if s < 0 else 0
            else:
                s = s >> cnt
            x = <uint64_t>s & mask
        elif cnt >= <uint64_t>bits:
            x = 0
        elif kind == 0:
            x = x >> cnt
        else:
            x = (x << cnt) & mask
        r |= x << (k * bits) if bits < 64 else x
    return r

cdef uint64_t mm_unpack(uint64_t a, uint64_t b, int bits, int high) noexcept nogil:
    cdef int n = 32 // bits, k, base = 32 if high else 0
    cdef uint64_t r = 0, mask = (<uint64_t>1 << bits) - 1
    for k in range(n):
        r |= ((a >> (base + k * bits)) & mask) << (2 * k * bits)
        r |= ((b >> (base + k * bits)) & mask) << ((2 * k + 1) * bits)
    return r

cdef uint64_t mm_pack(uint64_t a, uint64_t b, int bits, int unsigned_) noexcept nogil:
    """Pack signed lanes of `bits` from a (low half) and b (high half) into
    bits/2 with signed or unsigned saturation."""
    cdef int n = 64 // bits, k, hb = bits // 2
    cdef uint64_t r = 0, mask = (<uint64_t>1 << hb) - 1, x
    cdef int64_t v
    for k in range(2 * n):
        v = lane_s(a if k < n else b, k % n, bits)
        x = <uint64_t>(sat_u(v, hb) if unsigned_ else sat_s(v, hb)) & mask
        r |= x << (k * hb)
    return r

cdef int mmx_dispatch(Cpu* c, const Insn* i) noexcept nogil:
    cdef int op = i.opcode
    cdef uint64_t a = 0, b = 0, r = 0
    cdef int k, rr, kind
    cdef int64_t p0, p1
    cdef uint8_t buf[8]
    if c.cr0 & 0x4:                         # EM: #UD (SDM Vol. 3A Table 12-1)
        return raise_exc(c, X_UD)
    if c.cr0 & 0x8:                         # TS: #NM
        return raise_exc(c, X_NM)
    if fpu_pending(c):
        return raise_exc(c, X_MF)
    if op == 0x77:                          # emms: TOP = 0, every tag empty (as the host)
        fpu_mmx_prep(&c.fpu)
        c.fpu.empty = 0xFF
        return RC_OK
    if op == 0x7E or op == 0x7F:            # stores: movd r/m32, mm / movq mm/m64, mm
        a = c.fpu.r[i.ops[1].reg & 7].m
        if i.ops[0].kind == OPK_MEM:
            if op == 0x7E:
                if wr_mem(c, i.seg, ea(c, i), 4, <uint32_t>a):
                    return RC_FAULT
            else:
                memcpy(buf, &a, 8)
                if mem_ac(c, i.seg, ea(c, i), 8, 8, 1):
                    return RC_FAULT
                if wr_mem_buf(c, i.seg, ea(c, i), 8, buf):
                    return RC_FAULT
            fpu_mmx_prep(&c.fpu)
            return RC_OK
        fpu_mmx_prep(&c.fpu)
        if i.ops[0].kind == OPK_REG:
            c.gpr[i.ops[0].reg & 7] = <uint32_t>a
        else:
            mm_set(c, i.ops[0].reg, a)
        return RC_OK
    if mm_src(c, i, 1, &b):
        return RC_FAULT
    rr = i.ops[0].reg & 7
    fpu_mmx_prep(&c.fpu)
    a = c.fpu.r[rr].m
    if op == 0x6E:                          # movd mm, r/m32
        r = b & 0xFFFFFFFFu
    elif op == 0x6F:
        r = b
    elif 0x60 <= op <= 0x62:
        r = mm_unpack(a, b, 8 << (op - 0x60), 0)
    elif 0x68 <= op <= 0x6A:
        r = mm_unpack(a, b, 8 << (op - 0x68), 1)
    elif op == 0x63:
        r = mm_pack(a, b, 16, 0)
    elif op == 0x67:
        r = mm_pack(a, b, 16, 1)
    elif op == 0x6B:
        r = mm_pack(a, b, 32, 0)
    elif 0x64 <= op <= 0x66:
        r = mm_lanes(7, a, b, 8 << (op - 0x64))
    elif 0x74 <= op <= 0x76:
        r = mm_lanes(6, a, b, 8 << (op - 0x74))
    elif 0x71 <= op <= 0x73:                # shift groups by imm8: /2 srl /4 sra /6 sll
        k = (i.modrm >> 3) & 7
        r = mm_shift(0 if k == 2 else (1 if k == 4 else 2), a, b, 16 << (op - 0x71))
    elif 0xD1 <= op <= 0xD3:
        r = mm_shift(0, a, b, 16 << (op - 0xD1))
    elif op == 0xE1 or op == 0xE2:
        r = mm_shift(1, a, b, 16 << (op - 0xE1))
    elif 0xF1 <= op <= 0xF3:
        r = mm_shift(2, a, b, 16 << (op - 0xF1))
    elif op == 0xD5 or op == 0xE5:          # pmullw / pmulhw
        for k in range(4):
            p0 = lane_s(a, k, 16) * lane_s(b, k, 16)
            r |= ((<uint64_t>(p0 >> (16 if op == 0xE5 else 0))) & 0xFFFF) << (16 * k)
    elif op == 0xF5:                        # pmaddwd
        for k in range(2):
            p0 = lane_s(a, 2 * k, 16) * lane_s(b, 2 * k, 16)
            p1 = lane_s(a, 2 * k + 1, 16) * lane_s(b, 2 * k + 1, 16)
            r |= ((<uint64_t>(p0 + p1)) & 0xFFFFFFFFu) << (32 * k)
    elif op == 0xDB:
        r = a & b
    elif op == 0xDF:
        r = (~a) & b
    elif op == 0xEB:
        r = a | b
    elif op == 0xEF:
        r = a ^ b
    elif op == 0xD8 or op == 0xD9:
        r = mm_lanes(5, a, b, 8 << (op - 0xD8))
    elif op == 0xDC or op == 0xDD:
        r = mm_lanes(4, a, b, 8 << (op - 0xDC))
    elif op == 0xE8 or op == 0xE9:
        r = mm_lanes(3, a, b, 8 << (op - 0xE8))
    elif op == 0xEC or op == 0xED:
        r = mm_lanes(2, a, b, 8 << (op - 0xEC))
    elif 0xF8 <= op <= 0xFA:
        r = mm_lanes(1, a, b, 8 << (op - 0xF8))
    elif 0xFC <= op <= 0xFE:
        r = mm_lanes(0, a, b, 8 << (op - 0xFC))
    else:
        return raise_exc(c, X_UD)
    mm_set(c, rr, r)
    return RC_OK

# ----------------------------------------------------------------------------
# Python access: the FPU state as a 108-byte FNSAVE image (32-bit format)

def fpu_get_image(Core core):
    """The x87 state as FNSAVE would store it (32-bit protected-mode format)."""
    cdef uint8_t img[108]
    cdef int k, t
    cdef Fpu* f = &core.c.fpu
    fpu_store_env(f, img, 1)
    t = (f.sw >> 11) & 7
    for k in range(8):
        memcpy(img + 28 + 10 * k, &f.r[(t + k) & 7].m, 8)
        memcpy(img + 36 + 10 * k, &f.r[(t + k) & 7].se, 2)
    return bytes(img[:108])

def fpu_set_image(Core core, bytes data):
    """Load the x87 state from a 108-byte FRSTOR image (32-bit format)."""
    cdef uint8_t img[108]
    cdef int k, t
    cdef Fpu* f = &core.c.fpu
    if len(data) != 108:
        raise ValueError("an FRSTOR image is 108 bytes")
    for k in range(108):
        img[k] = data[k]
    fpu_load_env(f, img, 1)
    t = (f.sw >> 11) & 7
    for k in range(8):
        memcpy(&f.r[(t + k) & 7].m, img + 28 + 10 * k, 8)
        memcpy(&f.r[(t + k) & 7].se, img + 36 + 10 * k, 2)

def fpu_reset(Core core):
    """FNINIT state, registers zeroed (power-up)."""
    memset(&core.c.fpu, 0, sizeof(Fpu))
    fpu_init(&core.c.fpu)
