# kw86/exec_shift.pxi -- shifts and rotates: rol ror rcl rcr shl/sal shr sar,
# shld shrd (included by exec_bcd.pxi).  Semantics: Intel SDM Vol. 2B
# "RCL/RCR/ROL/ROR", "SAL/SAR/SHL/SHR", "SHLD", "SHRD".
#
# * The count is masked to 5 bits; a masked count of 0 changes no flag and no
#   register.  With a memory destination the P6's read-modify-write still
#   writes the (unchanged) value back, so a count-0 shift of a read-only
#   page faults like any other shift (the destination is a write operand).
# * 8/16-bit rcl/rcr rotate by (count mod 9 / mod 17) through CF; when that
#   is 0 (count 9 or 18 for bytes, 17 for words) nothing changes.
#   8/16-bit rol/ror rotate by count mod 8/16 but CF (and OF) are set for any
#   non-zero masked count, as the manual's pseudocode says.
# * OF is defined only for a count of 1; for other counts the P6 leaves the
#   value "as for the last 1-bit step" (sandpile.org, recorded in the opcode
#   table's basis), which is what the formulas below give for every count:
#   shl/shld: MSB(res) ^ CF; shr: MSB(dest) for 1, else 0; sar: 0;
#   rol/rcl: MSB(res) ^ CF; ror/rcr: MSB(res) ^ MSB-1(res);
#   shrd: MSB(res) ^ MSB(dest >> (count-1)).  AF (undefined) is left 0.
# * 16-bit shld/shrd with a count of 17..31 (result "undefined" in the SDM):
#   the P6 shifts the 48-bit concatenation dest:src:dest (the behaviour Intel
#   processors show and Bochs/QEMU reproduce); flags as for the last step.

cdef inline uint32_t szp_flags(uint32_t res, int size) noexcept nogil:
    """SF, ZF, PF of a result of size bytes."""
    cdef uint32_t f = 0
    res &= size_mask(size)
    if res == 0:
        f = F_ZF
    if res & sign_bit(size):
        f |= F_SF
    if PARITY[res & 0xFF]:
        f |= F_PF
    return f

cdef inline void set_all_arith(Cpu* c, uint32_t f) noexcept nogil:
    """Set all six arithmetic flags at once (no lazy state needed)."""
    c.eflags = (c.eflags & ~(<uint32_t>F_ARITH)) | (f & F_ARITH)
    c.cc_op = CC_EFLAGS

cdef inline int shift_count0(Cpu* c, const Insn* i, uint32_t a) noexcept nogil:
    # count 0: flags and register unchanged; memory written back (RMW)
    if i.ops[0].kind == OPK_MEM:
        return wr_op(c, i, 0, a)
    return RC_OK

cdef int op_shl(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t a, n, r, cf, f
    cdef int size = i.ops[0].size, bits = size * 8
    if rmw_rd(c, i, &a) or rd_op(c, i, 1, &n):
        return RC_FAULT
    n &= 0x1F
    if n == 0:
        return shift_count0(c, i, a)
    cf = ((a >> (bits - n)) & 1) if n <= <uint32_t>bits else 0
    r = (a << n) & size_mask(size)
    if wr_op(c, i, 0, r):
        return RC_FAULT
    f = szp_flags(r, size) | cf
    if ((r >> (bits - 1)) & 1) ^ cf:
        f |= F_OF
    set_all_arith(c, f)
    return RC_OK

cdef int op_shr(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t a, n, r, cf, f
    cdef int size = i.ops[0].size, bits = size * 8
    if rmw_rd(c, i, &a) or rd_op(c, i, 1, &n):
        return RC_FAULT
    n &= 0x1F
    if n == 0:
        return shift_count0(c, i, a)
    a &= size_mask(size)
    cf = ((a >> (n - 1)) & 1) if n <= <uint32_t>bits else 0
    r = a >> n
    if wr_op(c, i, 0, r):
        return RC_FAULT
    f = szp_flags(r, size) | cf
    if n == 1 and (a & sign_bit(size)):
        f |= F_OF
    set_all_arith(c, f)
    return RC_OK

cdef int op_sar(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t a, n, r, cf
    cdef int32_t s
    cdef int size = i.ops[0].size, bits = size * 8
    if rmw_rd(c, i, &a) or rd_op(c, i, 1, &n):
        return RC_FAULT
    n &= 0x1F
    if n == 0:
        return shift_count0(c, i, a)
    s = sx(a, size)
    if n >= <uint32_t>bits:
        r = <uint32_t>(s >> (bits - 1))
        cf = r & 1
    else:
        r = <uint32_t>(s >> n)
        cf = (<uint32_t>(s >> (n - 1))) & 1
    r &= size_mask(size)
    if wr_op(c, i, 0, r):
        return RC_FAULT
    set_all_arith(c, szp_flags(r, size) | cf)      # OF = 0
    return RC_OK

cdef int op_rol(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t a, n, k, r, cf, f
    cdef int size = i.ops[0].size, bits = size * 8
    if rmw_rd(c, i, &a) or rd_op(c, i, 1, &n):
        return RC_FAULT
    n &= 0x1F
    if n == 0:
        return shift_count0(c, i, a)
    a &= size_mask(size)
    k = n & (bits - 1)
    r = (((a << k) | (a >> (bits - k))) & size_mask(size)) if k else a
    if wr_op(c, i, 0, r):
        return RC_FAULT
    cf = r & 1
    f = cf
    if ((r >> (bits - 1)) & 1) ^ cf:
        f |= F_OF
    set_arith_flags(c, F_CF | F_OF, f)
    return RC_OK

cdef int op_ror(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t a, n, k, r, f = 0
    cdef int size = i.ops[0].size, bits = size * 8
    if rmw_rd(c, i, &a) or rd_op(c, i, 1, &n):
        return RC_FAULT
    n &= 0x1F
    if n == 0:
        return shift_count0(c, i, a)
    a &= size_mask(size)
    k = n & (bits - 1)
    r = (((a >> k) | (a << (bits - k))) & size_mask(size)) if k else a
    if wr_op(c, i, 0, r):
        return RC_FAULT
    if (r >> (bits - 1)) & 1:
        f = F_CF
    if ((r >> (bits - 1)) ^ (r >> (bits - 2))) & 1:
        f |= F_OF
    set_arith_flags(c, F_CF | F_OF, f)
    return RC_OK

cdef inline uint32_t rc_count(uint32_t n, int bits) noexcept nogil:
    # SDM RCL/RCR: tempCOUNT = (COUNT & 1FH) MOD (SIZE + 1) for 8/16 bits
    n &= 0x1F
    if bits == 8:
        return n % 9
    if bits == 16:
        return n % 17
    return n

cdef int op_rcl(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t a, n, r, cf, f
    cdef uint64_t v, m33
    cdef int size = i.ops[0].size, bits = size * 8
    if rmw_rd(c, i, &a) or rd_op(c, i, 1, &n):
        return RC_FAULT
    n = rc_count(n, bits)
    if n == 0:
        return shift_count0(c, i, a)
    a &= size_mask(size)
    m33 = ((<uint64_t>1) << (bits + 1)) - 1
    v = (<uint64_t>get_cf(c) << bits) | a
    v = ((v << n) | (v >> (bits + 1 - n))) & m33
    r = <uint32_t>(v & size_mask(size))
    cf = <uint32_t>(v >> bits) & 1
    if wr_op(c, i, 0, r):
        return RC_FAULT
    f = cf
    if ((r >> (bits - 1)) & 1) ^ cf:
        f |= F_OF
    set_arith_flags(c, F_CF | F_OF, f)
    return RC_OK

cdef int op_rcr(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t a, n, r, cf, f
    cdef uint64_t v, m33
    cdef int size = i.ops[0].size, bits = size * 8
    if rmw_rd(c, i, &a) or rd_op(c, i, 1, &n):
        return RC_FAULT
    n = rc_count(n, bits)
    if n == 0:
        return shift_count0(c, i, a)
    a &= size_mask(size)
    m33 = ((<uint64_t>1) << (bits + 1)) - 1
    v = (<uint64_t>get_cf(c) << bits) | a
    v = ((v >> n) | (v << (bits + 1 - n))) & m33
    r = <uint32_t>(v & size_mask(size))
    cf = <uint32_t>(v >> bits) & 1
    if wr_op(c, i, 0, r):
        return RC_FAULT
    f = cf
    if ((r >> (bits - 1)) ^ (r >> (bits - 2))) & 1:
        f |= F_OF
    set_arith_flags(c, F_CF | F_OF, f)
    return RC_OK

cdef int op_shld(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t a, b, n, r, cf, f
    cdef uint64_t t
    cdef int size = i.ops[0].size
    if rmw_rd(c, i, &a) or rd_op(c, i, 1, &b) or rd_op(c, i, 2, &n):
        return RC_FAULT
    n &= 0x1F
    if n == 0:
        return shift_count0(c, i, a)
    if size == 4:
        t = (<uint64_t>a << 32) | b
        r = <uint32_t>(t >> (32 - n))
        cf = <uint32_t>(t >> (64 - n)) & 1
    else:
        a &= 0xFFFF
        t = (<uint64_t>a << 32) | (<uint64_t>(b & 0xFFFF) << 16) | a
        r = <uint32_t>(t >> (32 - n)) & 0xFFFF
        cf = <uint32_t>(t >> (48 - n)) & 1
    if wr_op(c, i, 0, r):
        return RC_FAULT
    f = szp_flags(r, size) | cf
    if ((r >> (size * 8 - 1)) & 1) ^ cf:
        f |= F_OF
    set_all_arith(c, f)
    return RC_OK

cdef int op_shrd(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t a, b, n, r, cf, f, last
    cdef uint64_t t
    cdef int size = i.ops[0].size
    if rmw_rd(c, i, &a) or rd_op(c, i, 1, &b) or rd_op(c, i, 2, &n):
        return RC_FAULT
    n &= 0x1F
    if n == 0:
        return shift_count0(c, i, a)
    if size == 4:
        t = (<uint64_t>b << 32) | a
    else:
        a &= 0xFFFF
        t = (<uint64_t>a << 32) | (<uint64_t>(b & 0xFFFF) << 16) | a
    last = <uint32_t>(t >> (n - 1))          # the value before the last 1-bit step
    r = <uint32_t>(t >> n) & size_mask(size)
    cf = last & 1
    if wr_op(c, i, 0, r):
        return RC_FAULT
    f = szp_flags(r, size) | cf
    if ((r ^ last) >> (size * 8 - 1)) & 1:
        f |= F_OF
    set_all_arith(c, f)
    return RC_OK

cdef register_shift():
    reg("shl", op_shl)       # also /6 (SAL alias) and SAL: one mnemonic in the table
    reg("shr", op_shr)
    reg("sar", op_sar)
    reg("rol", op_rol)
    reg("ror", op_ror)
    reg("rcl", op_rcl)
    reg("rcr", op_rcr)
    reg("shld", op_shld)
    reg("shrd", op_shrd)

# --- per-form fast handlers: 32-bit register by a constant count ----------------
# (chosen at decode time by specialise_shift(); the count is an immediate or
# the constant 1 and known to be non-zero after masking)

cdef inline uint32_t szp32(uint32_t r) noexcept nogil:
    return ((r == 0) << 6) | ((r >> 31) << 7) | (<uint32_t>PARITY[r & 0xFF] << 2)

cdef int op_shl_ri32(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t a = c.gpr[i.ops[0].reg], n = i.imm & 0x1F, r
    r = a << n
    c.gpr[i.ops[0].reg] = r
    set_cc(c, CC_SHL32, 4, a, n, r)     # lazy: CF, OF = MSB(res) ^ CF (exec.pyx get_cf/get_of)
    return RC_OK

cdef int op_shr_ri32(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t a = c.gpr[i.ops[0].reg], n = i.imm & 0x1F, r
    r = a >> n
    c.gpr[i.ops[0].reg] = r
    set_cc(c, CC_SHR32, 4, a, n, r)     # lazy: CF, OF = MSB(dest) for n = 1
    return RC_OK

cdef int op_sar_ri32(Cpu* c, const Insn* i) noexcept nogil:
    cdef uint32_t a = c.gpr[i.ops[0].reg], n = i.imm & 0x1F, r
    r = <uint32_t>(<int32_t>a >> n)
    c.gpr[i.ops[0].reg] = r
    set_cc(c, CC_SAR32, 4, a, n, r)     # lazy: CF, OF = 0
    return RC_OK

cdef op_fn specialise_shift(op_fn fn, const Insn* i) noexcept nogil:
    """Pick a per-form shift handler at decode time (shl/shr/sar r32, imm/1)."""
    if i.ops[0].kind != OPK_REG or i.ops[0].size != 4 or i.nops != 2:
        return fn
    if (i.ops[1].kind != OPK_IMM and i.ops[1].kind != OPK_CONST) or (i.imm & 0x1F) == 0:
        return fn
    if fn == op_shl:
        return op_shl_ri32
    if fn == op_shr:
        return op_shr_ri32
    if fn == op_sar:
        return op_sar_ri32
    return fn
