# cython: language_level=3
"""The i386/P6 instruction decoder.

C level: decode_insn() fills an Insn (decoder.pxd) from bytes, with no Python
objects.  Its tables are C arrays built at import time from the one opcode
table, kw86/isa/opcodes.py (the single source of truth).

Python level (tests and tools):

    decode(data, bits=32, ip=0) -> Instruction
    decode_many(data, bits=32) -> (count, bytes consumed)   # C-speed loop
    IncompleteInstruction(ValueError)

Instruction.prefixes is a tuple of prefix names in canonical order, each
present at most once: "lock", "rep", "repne", "data16"/"data32" (66),
"addr16"/"addr32" (67), and the segment override ("es", "cs", ...; the last
one given, which is the one that takes effect).
"""

from libc.string cimport memcpy, memset
from libc.stdint cimport uint8_t, uint16_t, uint32_t, int32_t, int8_t, int16_t

from kw86.isa import opcodes as _opc

# ---------------------------------------------------------------------------
# C tables

# operand types (how to decode an operand)
cdef enum:
    OT_NONE = 0
    OT_E = 1        # r/m: register or memory
    OT_M = 2        # r/m: memory only
    OT_R = 3        # r/m: register only, mod ignored (mov CR/DR)
    OT_G = 4        # reg field: general register
    OT_S = 5        # reg field: segment register
    OT_C = 6        # reg field: control register
    OT_D = 7        # reg field: debug register
    OT_I = 8        # immediate, zero-extended
    OT_IS = 9       # imm8 sign-extended to operand size
    OT_J = 10       # relative displacement
    OT_A = 11       # far pointer
    OT_O = 12       # moffs
    OT_X = 13       # DS:[eSI]
    OT_Y = 14       # ES:[eDI]
    OT_XLAT = 15    # DS:[eBX+AL]
    OT_FIXREG = 16  # fixed general register (arg)
    OT_FIXSREG = 17 # fixed segment register (arg)
    OT_ONE = 18     # constant 1
    OT_Z = 19       # general register in opcode bits 2:0
    OT_P = 20       # reg field: MMX
    OT_Q = 21       # r/m: MMX register or memory
    OT_N = 22       # r/m: MMX register only
    OT_ST0 = 23     # ST(0)
    OT_STI = 24     # ST(rm)

# size codes
cdef enum:
    SZ_0 = 0
    SZ_B = 1
    SZ_W = 2
    SZ_D = 3
    SZ_Q = 4
    SZ_V = 5        # operand size
    SZ_VW = 6       # operand size for a register, word for memory
    SZ_P = 7        # far pointer: 2 + operand size
    SZ_S = 8        # pseudo-descriptor: 6
    SZ_A = 9        # bound pair: 2 x operand size
    SZ_T = 10       # 10 bytes (real10, packed BCD)
    SZ_ENV = 11     # x87 environment 14/28
    SZ_STATE = 12   # x87 state 94/108

# entry kinds
cdef enum:
    EK_UD = 0
    EK_ROW = 1
    EK_GROUP = 2

# RowDec.dflags
cdef enum:
    DF_MODRM = 0x01       # has a ModRM byte
    DF_RM_MEM = 0x02      # an r/m operand may be memory (E/M/Q)
    DF_RM_MEMONLY = 0x04  # the r/m operand must be memory (M)
    DF_RM_MODIGN = 0x08   # the r/m operand ignores mod (always register)
    DF_RM_REGONLY = 0x10  # the r/m operand must be a register (N)
    DF_BY_ADSIZE = 0x20   # row pair chosen by address size

ctypedef struct RowDec:
    uint16_t op
    uint16_t attrs
    uint8_t nops
    uint8_t dflags
    uint8_t cc
    uint8_t ot[3]
    uint8_t sz[3]
    uint8_t arg[3]

ctypedef struct Entry:
    uint8_t kind
    uint8_t dflags        # DF_MODRM / DF_BY_ADSIZE for rows
    uint16_t a            # row (16-bit) or group index
    uint16_t b            # row (32-bit)

cdef enum:
    MAX_ROWS = 2048
    MAX_GROUPS = 64
    NOROW = 0xFFFF

cdef RowDec _rows[MAX_ROWS]
cdef RowInfo _info[MAX_ROWS]
cdef Entry _map[512]
# groups: [g][0..7] memory forms by reg, [g][8..15] register forms by reg;
# each a (16-bit row, 32-bit row) pair
cdef uint16_t _grp[MAX_GROUPS][16][2]
# per group: the operand form an undefined member (NOROW) is fetched with
# before its #UD (see _build_grp_ud)
cdef RowDec _grp_ud[MAX_GROUPS]
# x87 register forms by ModRM & 0x3F: _x87[g][k][2], _grp_x87[g] = 1 if used
cdef uint16_t _x87[8][64][2]
cdef int8_t _grp_x87[MAX_GROUPS]
cdef int _n_rows = 0

_OT = {"E": OT_E, "M": OT_M, "R": OT_R, "G": OT_G, "S": OT_S, "C": OT_C, "D": OT_D,
       "I": OT_I, "J": OT_J, "A": OT_A, "O": OT_O, "X": OT_X, "Y": OT_Y, "Z": OT_Z,
       "P": OT_P, "Q": OT_Q, "N": OT_N}
_SZ = {"": SZ_0, "0": SZ_0, "b": SZ_B, "w": SZ_W, "d": SZ_D, "q": SZ_Q, "v": SZ_V, "z": SZ_V,
       "vw": SZ_VW, "p": SZ_P, "s": SZ_S, "a": SZ_A, "t": SZ_T, "e": SZ_ENV, "f": SZ_STATE,
       "r4": SZ_D, "r8": SZ_Q, "i2": SZ_W, "i4": SZ_D, "i8": SZ_Q, "bcd": SZ_T}
_FIXED = {"AL": (OT_FIXREG, SZ_B, 0), "CL": (OT_FIXREG, SZ_B, 1), "DX": (OT_FIXREG, SZ_W, 2),
          "AX": (OT_FIXREG, SZ_W, 0), "eAX": (OT_FIXREG, SZ_V, 0),
          "ES": (OT_FIXSREG, SZ_W, 0), "CS": (OT_FIXSREG, SZ_W, 1), "SS": (OT_FIXSREG, SZ_W, 2),
          "DS": (OT_FIXSREG, SZ_W, 3), "FS": (OT_FIXSREG, SZ_W, 4), "GS": (OT_FIXSREG, SZ_W, 5),
          "1": (OT_ONE, SZ_B, 1), "ST": (OT_ST0, SZ_T, 0), "STi": (OT_STI, SZ_T, 0),
          "XLAT": (OT_XLAT, SZ_B, 0), "Ibs": (OT_IS, SZ_V, 0)}


def _parse_operand(tok):
    if tok in _FIXED:
        return _FIXED[tok]
    return (_OT[tok[0]], _SZ[tok[1:]], 0)


cdef void _fill_row(int i, object d) except *:
    cdef RowDec* r = &_rows[i]
    cdef int k, ot
    memset(r, 0, sizeof(RowDec))
    r.op = d.op
    r.attrs = d.attrs
    r.cc = d.cc
    r.nops = len(d.ops)
    for k, tok in enumerate(d.ops):
        ot, sz, arg = _parse_operand(tok)
        r.ot[k] = ot
        r.sz[k] = sz
        r.arg[k] = arg
        if ot in (OT_E, OT_M, OT_R, OT_G, OT_S, OT_C, OT_D, OT_P, OT_Q, OT_N, OT_STI):
            r.dflags |= DF_MODRM
        if ot in (OT_E, OT_Q):
            r.dflags |= DF_RM_MEM
        elif ot == OT_M:
            r.dflags |= DF_RM_MEM | DF_RM_MEMONLY
        elif ot == OT_R:
            r.dflags |= DF_RM_MODIGN
        elif ot in (OT_N, OT_STI):
            r.dflags |= DF_RM_REGONLY
    cdef RowInfo* ri = &_info[i]
    ri.op = d.op
    ri.flags_read = d.flags_read
    ri.flags_written = d.flags_written
    ri.flags_undef = d.flags_undef
    ri.undef_value = d.undef_value
    ri.undef_known = d.undef_known
    ri.cls = d.cls_id
    ri.attrs = d.attrs


cdef void _build_grp_ud(int g, object grp) except *:
    """The length of an undefined member of a group (ModRM.reg selects a
    reserved row).  SDM Vol. 3A §6.9, Table 6-2: faults from fetching the
    instruction (code page fault, CS limit) take priority over faults from
    decoding it (#UD), so every byte of the instruction is fetched first.
    Which bytes those are: the ModRM byte and the SIB byte and displacement
    it implies (SDM Vol. 2A §2.1, Tables 2-1..2-3: a function of ModRM
    alone, whatever the opcode), and the immediate the opcode-map cell gives
    the whole group (Vol. 2 Table A-2: "Grp 11 - MOV Eb,Ib", "Grp 8 Ev,Ib";
    taken here when every defined member has the same immediate, e.g.
    C6/C7 /1-7, 0F BA /0-3, 0F 71-73 memory forms).  A whole opcode
    that is undefined (Table A-2/A-3 blank) has no operands: it ends at the
    opcode (UD0's note in Vol. 2B UD: older processors decode 0F FF without
    a ModRM byte)."""
    cdef RowDec* r = &_grp_ud[g]
    cdef int k
    memset(r, 0, sizeof(RowDec))
    r.nops = 1
    r.ot[0] = OT_E
    r.sz[0] = SZ_V
    r.dflags = DF_MODRM | DF_RM_MEM
    imms = set()
    for d in list(grp.mem) + list(grp.reg):
        if d is None:
            continue
        for i in d.ids:
            if i == NOROW:
                continue
            imms.add(tuple((_rows[i].ot[k], _rows[i].sz[k]) for k in range(_rows[i].nops)
                           if _rows[i].ot[k] in (OT_I, OT_IS)))
    if len(imms) == 1:
        only = imms.pop()
        for k, (ot, sz) in enumerate(only[:2]):
            r.ot[1 + k] = ot
            r.sz[1 + k] = sz
            r.nops += 1


def _pair(r):
    if r is None:
        return (NOROW, NOROW)
    return r.ids


cdef void _build_tables() except *:
    global _n_rows
    cdef int i, g, k, base
    if len(_opc.ROWS) > MAX_ROWS:
        raise RuntimeError("too many rows for the decoder's C table")
    for i, d in enumerate(_opc.ROWS):
        _fill_row(i, d)
    _n_rows = len(_opc.ROWS)
    memset(_map, 0, sizeof(_map))
    memset(_grp, 0xFF, sizeof(_grp))
    memset(_x87, 0xFF, sizeof(_x87))
    memset(_grp_x87, -1, sizeof(_grp_x87))
    g = 0
    nx = 0
    for m, table in enumerate((_opc.ONE_BYTE, _opc.TWO_BYTE)):
        for opc, e in table.items():
            base = m * 256 + opc
            if isinstance(e, _opc.Group):
                if g >= MAX_GROUPS:
                    raise RuntimeError("too many groups")
                _map[base].kind = EK_GROUP
                _map[base].dflags = DF_MODRM
                _map[base].a = g
                for k in range(8):
                    _grp[g][k][0], _grp[g][k][1] = _pair(e.mem[k])
                    _grp[g][8 + k][0], _grp[g][8 + k][1] = _pair(e.reg[k])
                _build_grp_ud(g, e)
                if e.reg64 is not None:
                    _grp_x87[g] = nx
                    for k in range(64):
                        _x87[nx][k][0], _x87[nx][k][1] = _pair(e.reg64[k])
                    nx += 1
                g += 1
            elif e is not None:
                _map[base].kind = EK_ROW
                _map[base].a, _map[base].b = e.ids
                _map[base].dflags = _rows[e.ids[0]].dflags & DF_MODRM
                if e.by_adsize:
                    _map[base].dflags |= DF_BY_ADSIZE


# The tables from their start-up copy (issue 12: building them costs every
# run 1 ms, and opcodes.py's own rows 2 ms more): kw86/tomlcache.py keeps
# the bytes of the C arrays next to opcodes.py, used only while opcodes.py
# has the same bytes and this extension the same size and mtime (a rebuilt
# decoder, whatever changed in it, builds them again) and the arrays'
# layout and sizes match.

def _tables_pack():
    cdef Py_ssize_t n = _n_rows
    return (n, (<char*>_rows)[:sizeof(RowDec) * n], (<char*>_info)[:sizeof(RowInfo) * n],
            (<char*>_map)[:sizeof(_map)], (<char*>_grp)[:sizeof(_grp)],
            (<char*>_grp_ud)[:sizeof(_grp_ud)], (<char*>_x87)[:sizeof(_x87)],
            (<char*>_grp_x87)[:sizeof(_grp_x87)])


def _tables_ok(t):
    if type(t) is not tuple or len(t) != 8 or type(t[0]) is not int or \
            not 0 < t[0] <= MAX_ROWS:
        return False
    n = t[0]
    sizes = (sizeof(RowDec) * n, sizeof(RowInfo) * n, sizeof(_map), sizeof(_grp),
             sizeof(_grp_ud), sizeof(_x87), sizeof(_grp_x87))
    return all(type(b) is bytes and len(b) == z for b, z in zip(t[1:], sizes))


def _derive_tables(src):
    _build_tables()
    return _tables_pack()


cdef void _load_tables() except *:
    global _n_rows
    import os
    from kw86.tomlcache import derived
    try:
        st = os.stat(__file__)
        key = ("decoder", st.st_size, st.st_mtime_ns, sizeof(RowDec), sizeof(RowInfo),
               sizeof(Entry), MAX_ROWS, MAX_GROUPS)
        t = derived(_opc.__file__, "decoder-tables", _derive_tables, key=key, check=_tables_ok)
    except (OSError, AttributeError, NameError):    # no file to key on: build them
        _build_tables()
        return
    cdef const char* b
    _n_rows = t[0]
    b = t[1]
    memcpy(_rows, b, len(t[1]))
    b = t[2]
    memcpy(_info, b, len(t[2]))
    b = t[3]
    memcpy(_map, b, sizeof(_map))
    b = t[4]
    memcpy(_grp, b, sizeof(_grp))
    b = t[5]
    memcpy(_grp_ud, b, sizeof(_grp_ud))
    b = t[6]
    memcpy(_x87, b, sizeof(_x87))
    b = t[7]
    memcpy(_grp_x87, b, sizeof(_grp_x87))


_load_tables()

# ---------------------------------------------------------------------------
# The decoder

# operand size in bytes by [size code][operand size is 32][is a register]
cdef uint8_t _SIZES[13][2][2]


cdef void _build_sizes() noexcept:
    cdef int sz, o32, isreg, opsize
    for sz in range(13):
        for o32 in range(2):
            opsize = 4 if o32 else 2
            for isreg in range(2):
                _SIZES[sz][o32][isreg] = _size_slow(sz, opsize, isreg)


cdef int _size_slow(int sz, int opsize, bint is_reg) noexcept:
    if sz == SZ_B:
        return 1
    if sz == SZ_W:
        return 2
    if sz == SZ_D:
        return 4
    if sz == SZ_Q:
        return 8
    if sz == SZ_V:
        return opsize
    if sz == SZ_VW:
        return opsize if is_reg else 2
    if sz == SZ_P:
        return 2 + opsize
    if sz == SZ_S:
        return 6
    if sz == SZ_A:
        return 2 * opsize
    if sz == SZ_T:
        return 10
    if sz == SZ_ENV:
        return 28 if opsize == 4 else 14
    if sz == SZ_STATE:
        return 108 if opsize == 4 else 94
    return 0


_build_sizes()


cdef inline int _size_of(uint8_t sz, int opsize, bint is_reg) noexcept nogil:
    return _SIZES[sz][opsize == 4][is_reg]


cdef inline uint32_t _rd(const uint8_t* p, int n) noexcept nogil:
    if n == 1:
        return p[0]
    if n == 2:
        return p[0] | (<uint32_t>p[1] << 8)
    return p[0] | (<uint32_t>p[1] << 8) | (<uint32_t>p[2] << 16) | (<uint32_t>p[3] << 24)


cdef inline int _need(int have, int n, int avail) noexcept nogil:
    """0 if bytes [have, have+n) are readable; DEC_MORE if not given yet;
    1 if they would take the instruction past 15 bytes (#GP)."""
    if have + n > 15:
        return 1
    if have + n > avail:
        return DEC_MORE
    return 0


cdef inline int _finish_gp(Insn* out, int prefixes, int seg_ovr) noexcept nogil:
    out.op = 0
    out.row = NOROW
    out.fault = FAULT_GP
    out.length = 15
    out.prefixes = prefixes
    out.seg_override = seg_ovr
    out.nops = 0
    return DEC_OK


cdef inline int _finish_ud(Insn* out, int length) noexcept nogil:
    out.op = 0
    out.row = NOROW
    out.fault = FAULT_UD
    out.length = length
    out.nops = 0
    return DEC_OK


cdef inline int _short(Insn* out, int rc, int ud, int i, int prefixes, int seg_ovr) noexcept nogil:
    """The bytes needed next are missing (rc DEC_MORE) or past 15 (rc 1).
    Missing bytes are fetched first even for an encoding already known to be
    #UD (SDM Vol. 3A §6.9: a code-fetch fault outranks #UD); past 15 bytes
    both are decode faults (class 9) and the #UD is reported."""
    if rc == DEC_MORE:
        return DEC_MORE
    if ud:
        return _finish_ud(out, i)
    return _finish_gp(out, prefixes, seg_ovr)


cdef int decode_insn(const uint8_t* p, int avail, int bits32, Insn* out) noexcept nogil:
    cdef int i = 0, n, rc
    cdef int prefixes = 0
    cdef int seg_ovr = SEG_NONE
    cdef uint8_t b, opc, modrm = 0, mod = 0, reg = 0, rm = 0, sib
    cdef int mapi = 0
    cdef int opsize, adsize
    cdef const Entry* e
    cdef uint16_t row
    cdef const RowDec* rd
    cdef int ud = 0
    cdef int k, ot, nimm = 0, sz
    cdef uint32_t v
    cdef int has_mem = 0

    memset(out, 0, sizeof(Insn))
    out.seg_override = SEG_NONE
    out.base = REG_NONE
    out.index = REG_NONE
    out.scale = 1
    out.seg = SEG_DS
    # -- prefixes
    while True:
        if i >= 15:
            return _finish_gp(out, prefixes, seg_ovr)
        if i >= avail:
            return DEC_MORE
        b = p[i]
        if b == 0xF0:
            prefixes |= PFX_LOCK
        elif b == 0xF3:
            prefixes = (prefixes & ~PFX_REPNE) | PFX_REP
        elif b == 0xF2:
            prefixes = (prefixes & ~PFX_REP) | PFX_REPNE
        elif b == 0x66:
            prefixes |= PFX_OPSIZE
        elif b == 0x67:
            prefixes |= PFX_ADSIZE
        elif b == 0x26:
            seg_ovr = SEG_ES
        elif b == 0x2E:
            seg_ovr = SEG_CS
        elif b == 0x36:
            seg_ovr = SEG_SS
        elif b == 0x3E:
            seg_ovr = SEG_DS
        elif b == 0x64:
            seg_ovr = SEG_FS
        elif b == 0x65:
            seg_ovr = SEG_GS
        else:
            break
        i += 1
    if seg_ovr != SEG_NONE:
        prefixes |= PFX_SEG
        out.seg = seg_ovr
    out.prefixes = prefixes
    out.seg_override = seg_ovr
    opsize = 4 if bits32 else 2
    if prefixes & PFX_OPSIZE:
        opsize = 6 - opsize
    adsize = 4 if bits32 else 2
    if prefixes & PFX_ADSIZE:
        adsize = 6 - adsize
    out.opsize = opsize
    out.adsize = adsize
    # -- opcode
    opc = p[i]
    i += 1
    if opc == 0x0F:
        rc = _need(i, 1, avail)
        if rc:
            return _finish_gp(out, prefixes, seg_ovr) if rc == 1 else DEC_MORE
        opc = p[i]
        i += 1
        mapi = 1
    out.opcode = opc
    out.map = mapi
    e = &_map[mapi * 256 + opc]
    if e.kind == EK_UD:
        return _finish_ud(out, i)
    if e.dflags & DF_MODRM:
        rc = _need(i, 1, avail)
        if rc:
            return _finish_gp(out, prefixes, seg_ovr) if rc == 1 else DEC_MORE
        modrm = p[i]
        i += 1
        mod = modrm >> 6
        reg = (modrm >> 3) & 7
        rm = modrm & 7
        out.modrm = modrm
        out.has_modrm = 1
    if e.kind == EK_ROW:
        k = (adsize == 4) if (e.dflags & DF_BY_ADSIZE) else (opsize == 4)
        row = e.b if k else e.a
    else:
        k = opsize == 4
        if mod == 3:
            if _grp_x87[e.a] >= 0:
                row = _x87[_grp_x87[e.a]][modrm & 0x3F][k]
            else:
                row = _grp[e.a][8 + reg][k]
        else:
            row = _grp[e.a][reg][k]
    # From here on a #UD only sets `ud`: the rest of the instruction is still
    # fetched (a missing byte is DEC_MORE, i.e. a code-fetch #PF or CS-limit
    # #GP for the executor), since SDM Vol. 3A §6.9 Table 6-2 puts faults
    # from fetching the instruction (class 8) before faults from decoding it
    # (class 9: #UD, e.g. LOCK on a non-lockable instruction).
    if row == NOROW:
        if e.kind != EK_GROUP:
            return _finish_ud(out, i)
        rd = &_grp_ud[e.a]          # an undefined group member: its length
        ud = 1
    else:
        rd = &_rows[row]
    out.row = row
    out.op = rd.op
    out.cc = rd.cc
    if (rd.attrs & ATTR_NO_SIMD_PFX) and (prefixes & (PFX_OPSIZE | PFX_REP | PFX_REPNE)):
        ud = 1
    if mod == 3 and (rd.dflags & DF_RM_MEMONLY):
        ud = 1                      # a memory operand given a register
    if mod != 3 and (rd.dflags & DF_RM_REGONLY):
        ud = 1                      # a register operand given memory
    if prefixes & PFX_LOCK:
        # LOCK: only lockable instructions, and only with a memory destination
        if not (rd.attrs & ATTR_LOCK_OK) or mod == 3 or rd.nops == 0 or \
                (rd.ot[0] != OT_E and rd.ot[0] != OT_M):
            ud = 1
    for k in range(rd.nops):
        ot = rd.ot[k]
        if ot == OT_S:
            if reg > 5 or (k == 0 and reg == 1):   # no sreg 6/7; mov cs,r/m is #UD
                ud = 1
        elif ot == OT_C:
            if reg == 1 or reg > 4:     # a P6 has CR0, CR2, CR3, CR4 only
                ud = 1
    # -- memory operand (ModRM / SIB / displacement)
    if (rd.dflags & (DF_RM_MEM | DF_RM_REGONLY)) and mod != 3:
        has_mem = 1
        if adsize == 4:
            if rm == 4:
                rc = _need(i, 1, avail)
                if rc:
                    return _short(out, rc, ud, i, prefixes, seg_ovr)
                sib = p[i]
                i += 1
                out.scale = 1 << (sib >> 6)
                if ((sib >> 3) & 7) != 4:
                    out.index = (sib >> 3) & 7
                if (sib & 7) == 5 and mod == 0:
                    n = 4
                else:
                    out.base = sib & 7
                    n = 0 if mod == 0 else (1 if mod == 1 else 4)
            elif rm == 5 and mod == 0:
                n = 4
            else:
                out.base = rm
                n = 0 if mod == 0 else (1 if mod == 1 else 4)
            if n:
                rc = _need(i, n, avail)
                if rc:
                    return _short(out, rc, ud, i, prefixes, seg_ovr)
                if n == 1:
                    out.disp = <int8_t>p[i]
                else:
                    out.disp = <int32_t>_rd(p + i, 4)
                i += n
            if seg_ovr == SEG_NONE and (out.base == 4 or out.base == 5):
                out.seg = SEG_SS
        else:
            # 16-bit forms: [bx+si] [bx+di] [bp+si] [bp+di] [si] [di] [bp]/disp16 [bx]
            if rm < 4:
                out.base = 3 if rm < 2 else 5        # BX or BP
                out.index = 6 if (rm & 1) == 0 else 7  # SI or DI
            elif rm == 4:
                out.base = 6
            elif rm == 5:
                out.base = 7
            elif rm == 6:
                if mod != 0:
                    out.base = 5
            else:
                out.base = 3
            if mod == 0:
                n = 2 if rm == 6 else 0
            else:
                n = 1 if mod == 1 else 2
            if n:
                rc = _need(i, n, avail)
                if rc:
                    return _short(out, rc, ud, i, prefixes, seg_ovr)
                if n == 1:
                    out.disp = <int8_t>p[i]
                else:
                    out.disp = <int16_t>_rd(p + i, 2)
                i += n
            if seg_ovr == SEG_NONE and out.base == 5:
                out.seg = SEG_SS
    # -- operands and immediates
    out.nops = rd.nops
    for k in range(rd.nops):
        ot = rd.ot[k]
        if ot == OT_E or ot == OT_M or ot == OT_Q:
            if has_mem:
                out.ops[k].kind = OPK_MEM
                out.ops[k].size = _size_of(rd.sz[k], opsize, 0)
            elif ot == OT_Q:
                out.ops[k].kind = OPK_MMX
                out.ops[k].size = 8
                out.ops[k].reg = rm
            else:
                out.ops[k].kind = OPK_REG
                out.ops[k].size = _size_of(rd.sz[k], opsize, 1)
                out.ops[k].reg = rm
        elif ot == OT_G:
            out.ops[k].kind = OPK_REG
            out.ops[k].size = _size_of(rd.sz[k], opsize, 1)
            out.ops[k].reg = reg
        elif ot == OT_R:
            out.ops[k].kind = OPK_REG
            out.ops[k].size = 4
            out.ops[k].reg = rm
        elif ot == OT_S:
            out.ops[k].kind = OPK_SREG
            out.ops[k].size = 2
            out.ops[k].reg = reg
        elif ot == OT_C:
            out.ops[k].kind = OPK_CREG
            out.ops[k].size = 4
            out.ops[k].reg = reg
        elif ot == OT_D:
            out.ops[k].kind = OPK_DREG
            out.ops[k].size = 4
            out.ops[k].reg = reg
        elif ot == OT_I or ot == OT_IS:
            sz = _size_of(rd.sz[k], opsize, 1)
            n = 1 if ot == OT_IS else sz
            rc = _need(i, n, avail)
            if rc:
                return _short(out, rc, ud, i, prefixes, seg_ovr)
            v = _rd(p + i, n)
            i += n
            if ot == OT_IS:
                v = <uint32_t><int32_t><int8_t>v
                if sz == 2:
                    v &= 0xFFFF
            out.ops[k].kind = OPK_IMM
            out.ops[k].size = sz
            if nimm == 0:
                out.imm = v
            else:
                out.imm2 = v
            nimm += 1
        elif ot == OT_J:
            sz = _size_of(rd.sz[k], opsize, 1)
            rc = _need(i, sz, avail)
            if rc:
                return _short(out, rc, ud, i, prefixes, seg_ovr)
            v = _rd(p + i, sz)
            i += sz
            if sz == 1:
                v = <uint32_t><int32_t><int8_t>v
            elif sz == 2:
                v = <uint32_t><int32_t><int16_t>v
            out.imm = v
            out.ops[k].kind = OPK_REL
            out.ops[k].size = opsize
        elif ot == OT_A:
            rc = _need(i, opsize + 2, avail)
            if rc:
                return _short(out, rc, ud, i, prefixes, seg_ovr)
            out.imm = _rd(p + i, opsize)
            out.imm2 = _rd(p + i + opsize, 2)
            i += opsize + 2
            out.ops[k].kind = OPK_FAR
            out.ops[k].size = opsize + 2
        elif ot == OT_O:
            rc = _need(i, adsize, avail)
            if rc:
                return _short(out, rc, ud, i, prefixes, seg_ovr)
            out.disp = <int32_t>_rd(p + i, adsize)
            i += adsize
            out.ops[k].kind = OPK_MEM
            out.ops[k].size = _size_of(rd.sz[k], opsize, 0)
        elif ot == OT_X:
            out.ops[k].kind = OPK_STR_SRC
            out.ops[k].size = _size_of(rd.sz[k], opsize, 0)
        elif ot == OT_Y:
            out.ops[k].kind = OPK_STR_DST
            out.ops[k].size = _size_of(rd.sz[k], opsize, 0)
        elif ot == OT_XLAT:
            out.ops[k].kind = OPK_MEM
            out.ops[k].size = 1
            out.base = 3
        elif ot == OT_FIXREG:
            out.ops[k].kind = OPK_REG
            out.ops[k].size = _size_of(rd.sz[k], opsize, 1)
            out.ops[k].reg = rd.arg[k]
        elif ot == OT_FIXSREG:
            out.ops[k].kind = OPK_SREG
            out.ops[k].size = 2
            out.ops[k].reg = rd.arg[k]
        elif ot == OT_ONE:
            out.ops[k].kind = OPK_CONST
            out.ops[k].size = 1
            out.imm = 1
        elif ot == OT_Z:
            out.ops[k].kind = OPK_REG
            out.ops[k].size = _size_of(rd.sz[k], opsize, 1)
            out.ops[k].reg = opc & 7
        elif ot == OT_P:
            out.ops[k].kind = OPK_MMX
            out.ops[k].size = 8
            out.ops[k].reg = reg
        elif ot == OT_N:
            out.ops[k].kind = OPK_MMX
            out.ops[k].size = 8
            out.ops[k].reg = rm
        elif ot == OT_ST0:
            out.ops[k].kind = OPK_ST
            out.ops[k].size = 10
            out.ops[k].reg = 0
        elif ot == OT_STI:
            out.ops[k].kind = OPK_ST
            out.ops[k].size = 10
            out.ops[k].reg = rm
    out.length = i
    if ud:
        return _finish_ud(out, i)
    return DEC_OK


cdef const RowInfo* row_info(uint16_t row) noexcept nogil:
    if row >= _n_rows:
        return NULL
    return &_info[row]


# ---------------------------------------------------------------------------
# Python view

class IncompleteInstruction(ValueError):
    """The bytes end before the instruction does (fewer than 15 bytes given)."""


REG8 = ("al", "cl", "dl", "bl", "ah", "ch", "dh", "bh")
REG16 = ("ax", "cx", "dx", "bx", "sp", "bp", "si", "di")
REG32 = ("eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi")
SREG = ("es", "cs", "ss", "ds", "fs", "gs", "?6", "?7")
_SEGNAME = ("es", "cs", "ss", "ds", "fs", "gs", None)
_PTR = {8: "byte", 16: "word", 32: "dword", 48: "fword", 64: "qword", 80: "tbyte"}
_STRING_REPE = {"cmpsb", "cmpsw", "cmpsd", "scasb", "scasw", "scasd"}


def _gpr(num, size):
    if size == 1:
        return REG8[num]
    if size == 2:
        return REG16[num]
    return REG32[num]


class OperandView:
    """One operand.  kind: "reg", "mem", "imm", "rel" or "far"; size in bits.

    reg: .reg is the register name ("eax", "al", "es", "cr0", "dr7", "st1",
    "mm3").  mem: .segment (defaults applied), .base / .index (names or None),
    .scale, .displacement (signed with a base or index; an absolute address,
    moffs included, unsigned).
    imm: .value (unsigned, already sign/zero-extended to .size bits).
    rel: .target (ip + length + displacement, masked to the operand size) and
    .displacement.  far: .selector, .offset.
    """
    __slots__ = ("kind", "size", "reg", "segment", "base", "index", "scale",
                 "displacement", "value", "target", "selector", "offset", "implicit_seg")

    def __init__(self, kind, size, **kw):
        self.kind = kind
        self.size = size
        self.reg = self.segment = self.base = self.index = None
        self.scale = 1
        self.displacement = 0
        self.value = self.target = self.selector = self.offset = None
        self.implicit_seg = True
        for k, v in kw.items():
            setattr(self, k, v)

    def _key(self):
        return tuple(getattr(self, s) for s in self.__slots__)

    def __eq__(self, other):
        return isinstance(other, OperandView) and self._key() == other._key()

    def __hash__(self):
        return hash(self._key())

    def __repr__(self):
        if self.kind == "reg":
            return f"Operand(reg {self.reg})"
        if self.kind == "mem":
            parts = [p for p in (self.base,
                                 f"{self.index}*{self.scale}" if self.index else None) if p]
            if self.displacement or not parts:
                parts.append(f"{self.displacement:#x}" if self.displacement >= 0
                             else f"-{-self.displacement:#x}")
            return f"Operand(mem{self.size} {self.segment}:[{' + '.join(parts).replace('+ -', '- ')}])"
        if self.kind == "imm":
            return f"Operand(imm{self.size} {self.value:#x})"
        if self.kind == "rel":
            return f"Operand(rel{self.size} {self.target:#x})"
        return f"Operand(far {self.selector:#x}:{self.offset:#x})"

    def format(self):
        """Intel syntax text of this operand."""
        if self.kind == "reg":
            if self.reg.startswith("st"):
                return "st" if self.reg == "st0" else f"st({self.reg[2:]})"
            return self.reg
        if self.kind == "imm":
            return f"{self.value:#x}" if self.value > 9 else str(self.value)
        if self.kind == "rel":
            return f"{self.target:#x}"
        if self.kind == "far":
            return f"{self.selector:#x}:{self.offset:#x}"
        parts = []
        if self.base:
            parts.append(self.base)
        if self.index:
            parts.append(self.index if self.scale == 1 else f"{self.index}*{self.scale}")
        d = self.displacement
        text = "+".join(parts)
        if not parts:
            text = f"{d & 0xFFFFFFFF:#x}"
        elif d > 0:
            text += f"+{d:#x}"
        elif d < 0:
            text += f"-{-d:#x}"
        seg = "" if self.implicit_seg else f"{self.segment}:"
        ptr = _PTR.get(self.size)
        ptr = f"{ptr} ptr " if ptr else ""
        return f"{ptr}{seg}[{text}]"


# exported as kw86.decoder.Operand (the name "Operand" is the C struct here)
globals()["Operand"] = OperandView
OperandView.__name__ = OperandView.__qualname__ = "Operand"


def _x87_rm_operand(code, mnemonic, ops):
    """Index of the operand that is ModRM.rm's ST(i) in an x87 register form
    (written "st(i)" even for ST(0), the implicit top being "st", as iced-x86
    and the SDM write them: "fstp st(0)", "fadd st, st(0)", "fadd st(0), st"),
    or -1."""
    sts = [i for i, o in enumerate(ops) if o.kind == "reg" and o.reg.startswith("st")]
    if not sts:
        return -1
    if len(sts) == 1:
        return sts[0]
    esc = next((b for b in code if b not in _PREFIX_BYTES), 0)
    # DC/DE arithmetic is "op st(i), st"; their FCOM/FCOMP aliases (DC D0+i,
    # DE D0+i) keep "fcom st, st(i)" as D8 does
    if esc in (0xDC, 0xDE) and mnemonic not in ("fcom", "fcomp"):
        return sts[0]
    return sts[1]


_FPU_ENV = {112: "fpuenv14", 224: "fpuenv28", 752: "fpustate94", 864: "fpustate108"}
_PREFIX_BYTES = frozenset((0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65, 0x66, 0x67, 0xF0, 0xF2, 0xF3))


cdef class Instruction:
    """A decoded instruction (the Python view of an Insn).

    .length, .valid, .fault (None / "UD" / "GP"), .mnemonic, .prefixes,
    .operands, .op_id (MNEMONICS index), .row_id (ROWS index, None if
    invalid), .row (the opcodes.RowDef), .flags_read / .flags_written /
    .flags_undefined (EFLAGS masks), .undef_value, .cc, .opsize / .adsize
    (bits), .bits, .ip, .bytes.  str() gives Intel syntax.
    """
    cdef Insn insn
    cdef readonly int bits
    cdef readonly object ip
    cdef readonly bytes bytes
    cdef object _operands

    @property
    def length(self):
        return self.insn.length

    @property
    def valid(self):
        return self.insn.fault == FAULT_NONE

    @property
    def fault(self):
        return (None, "UD", "GP")[self.insn.fault]

    @property
    def mnemonic(self):
        return _opc.MNEMONICS[self.insn.op]

    @property
    def op_id(self):
        return self.insn.op

    @property
    def row_id(self):
        return None if self.insn.fault else self.insn.row

    @property
    def row(self):
        return None if self.insn.fault else _opc.ROWS[self.insn.row]

    @property
    def cc(self):
        return self.insn.cc

    @property
    def opsize(self):
        return self.insn.opsize * 8

    @property
    def adsize(self):
        return self.insn.adsize * 8

    @property
    def opcode(self):
        return (self.insn.map, self.insn.opcode)

    @property
    def modrm(self):
        return self.insn.modrm if self.insn.has_modrm else None

    @property
    def flags_read(self):
        return 0 if self.insn.fault else _info[self.insn.row].flags_read

    @property
    def flags_written(self):
        return 0 if self.insn.fault else _info[self.insn.row].flags_written

    @property
    def flags_undefined(self):
        return 0 if self.insn.fault else _info[self.insn.row].flags_undef

    @property
    def undef_value(self):
        return 0 if self.insn.fault else _info[self.insn.row].undef_value

    @property
    def undef_known(self):
        return 0 if self.insn.fault else _info[self.insn.row].undef_known

    @property
    def attrs(self):
        return 0 if self.insn.fault else _info[self.insn.row].attrs

    @property
    def cycle_class(self):
        return None if self.insn.fault else _opc.CLASSES[_info[self.insn.row].cls]

    @property
    def prefixes(self):
        cdef int p = self.insn.prefixes
        out = []
        if p & PFX_LOCK:
            out.append("lock")
        if p & PFX_REP:
            out.append("rep")
        if p & PFX_REPNE:
            out.append("repne")
        if p & PFX_OPSIZE:
            out.append("data16" if self.bits == 32 else "data32")
        if p & PFX_ADSIZE:
            out.append("addr16" if self.bits == 32 else "addr32")
        if p & PFX_SEG:
            out.append(_SEGNAME[self.insn.seg_override])
        return tuple(out)

    @property
    def segment(self):
        return _SEGNAME[self.insn.seg]

    @property
    def operands(self):
        if self._operands is None:
            self._operands = self._make_operands()
        return self._operands

    cdef object _make_operands(self):
        cdef Insn* d = &self.insn
        cdef int k, kind, size
        ops = []
        if d.fault:
            return ()
        nimm = 0
        for k in range(d.nops):
            kind = d.ops[k].kind
            size = d.ops[k].size * 8
            r = d.ops[k].reg
            if kind == OPK_REG:
                ops.append(OperandView("reg", size, reg=_gpr(r, d.ops[k].size)))
            elif kind == OPK_SREG:
                ops.append(OperandView("reg", 16, reg=SREG[r]))
            elif kind == OPK_CREG:
                ops.append(OperandView("reg", 32, reg=f"cr{r}"))
            elif kind == OPK_DREG:
                ops.append(OperandView("reg", 32, reg=f"dr{r}"))
            elif kind == OPK_ST:
                ops.append(OperandView("reg", 80, reg=f"st{r}"))
            elif kind == OPK_MMX:
                ops.append(OperandView("reg", 64, reg=f"mm{r}"))
            elif kind == OPK_IMM:
                v = d.imm if nimm == 0 else d.imm2
                nimm += 1
                ops.append(OperandView("imm", size, value=v))
            elif kind == OPK_CONST:
                ops.append(OperandView("imm", 8, value=d.imm))
            elif kind == OPK_REL:
                mask = 0xFFFFFFFF if d.opsize == 4 else 0xFFFF
                disp = <int32_t>d.imm
                ops.append(OperandView("rel", size, displacement=disp,
                                   target=(self.ip + d.length + disp) & mask))
            elif kind == OPK_FAR:
                ops.append(OperandView("far", size, selector=d.imm2, offset=d.imm))
            elif kind == OPK_MEM:
                names = REG32 if d.adsize == 4 else REG16
                base = names[d.base] if d.base != REG_NONE else None
                index = names[d.index] if d.index != REG_NONE else None
                disp = d.disp
                if d.base == REG_NONE and d.index == REG_NONE:
                    disp = d.disp & (0xFFFFFFFF if d.adsize == 4 else 0xFFFF)
                if _opc.MNEMONICS[d.op] == "xlat":
                    index = "al"
                ops.append(OperandView("mem", size, segment=_SEGNAME[d.seg], base=base,
                                   index=index, scale=d.scale, displacement=disp,
                                   implicit_seg=not (d.prefixes & PFX_SEG)))
            elif kind == OPK_STR_SRC:
                ops.append(OperandView("mem", size, segment=_SEGNAME[d.seg],
                                   base="esi" if d.adsize == 4 else "si",
                                   implicit_seg=not (d.prefixes & PFX_SEG)))
            elif kind == OPK_STR_DST:
                ops.append(OperandView("mem", size, segment="es",
                                   base="edi" if d.adsize == 4 else "di"))
        return tuple(ops)

    def __str__(self):
        if self.insn.fault:
            return "(bad)" if self.insn.fault == FAULT_UD else "(bad: longer than 15 bytes)"
        mn = self.mnemonic
        pre = []
        p = self.insn.prefixes
        if p & PFX_LOCK:
            pre.append("lock")
        attrs = _info[self.insn.row].attrs
        if attrs & ATTR_STRING:
            if p & PFX_REP:
                pre.append("repe" if mn in _STRING_REPE else "rep")
            elif p & PFX_REPNE:
                pre.append("repne")
        text = " ".join(pre + [mn])
        ops = self.operands
        if ops:
            parts = []
            regsized = any(o.kind == "reg" for o in ops)
            rm_st = _x87_rm_operand(self.bytes, mn, ops)
            for i, o in enumerate(ops):
                s = o.format()
                if i == rm_st:
                    s = f"st({o.reg[2:]})"      # ST(i) from ModRM.rm: st(0) too
                elif o.kind == "mem" and o.size in _FPU_ENV and self.opsize != self.bits:
                    # the other operand size's FPU environment/state layout
                    # (66 prefix), named as iced-x86 does
                    s = f"{_FPU_ENV[o.size]} ptr {s}"
                if o.kind == "mem" and regsized and mn not in ("movzx", "movsx") and " ptr " in s:
                    s = s.split(" ptr ", 1)[1]
                if o.kind == "mem" and mn in ("lea", "invlpg") and " ptr " in s:
                    s = s.split(" ptr ", 1)[1]
                parts.append(s)
            text += " " + ", ".join(parts)
        return text

    def __repr__(self):
        return f"<Instruction {self.bytes.hex()} {self}>"


def decode(data, bits=32, ip=0):
    """Decode one instruction from the start of `data` (bytes-like) in a
    32-bit (bits=32) or 16-bit (bits=16) code segment; `ip` is its address
    (used for relative branch targets).  Raises IncompleteInstruction if the
    bytes end mid-instruction."""
    if bits not in (16, 32):
        raise ValueError("bits must be 16 or 32")
    cdef bytes buf = bytes(data[:15])
    cdef Instruction ins = Instruction.__new__(Instruction)
    cdef int rc = decode_insn(<const uint8_t*>buf, len(buf), bits == 32, &ins.insn)
    if rc == DEC_MORE:
        raise IncompleteInstruction(
            f"the bytes end mid-instruction ({len(buf)} byte(s) given: {buf.hex()})")
    ins.bits = bits
    ins.ip = ip
    ins.bytes = buf[:ins.insn.length]
    return ins


def decode_many(const uint8_t[::1] data, int bits=32):
    """Decode a stream back to back at C speed (invalid encodings advance by
    their length).  Returns (instructions decoded, bytes consumed)."""
    cdef Py_ssize_t pos = 0, n = data.shape[0]
    cdef long count = 0
    cdef Insn insn
    cdef int b32 = bits == 32
    cdef int avail
    with nogil:
        while pos < n:
            avail = <int>(n - pos) if n - pos < 15 else 15
            if decode_insn(&data[pos], avail, b32, &insn) == DEC_MORE:
                break
            pos += insn.length
            count += 1
    return count, pos


def row_flags(int row):
    """(read, written, undefined, undef_value, class name, attrs) of a row."""
    cdef const RowInfo* ri = row_info(row)
    if ri == NULL:
        raise IndexError(row)
    return (ri.flags_read, ri.flags_written, ri.flags_undef, ri.undef_value,
            _opc.CLASSES[ri.cls], ri.attrs)
