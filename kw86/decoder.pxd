# kw86/decoder.pxd -- the decoder's C contract.
#
# The executor (exec.pyx) and tools read a decoded instruction through this
# fixed struct only; no Python object is involved.  The opcode table
# (kw86/isa/opcodes.py) is the single source of truth: `op` is an index into
# its mnemonic list (MNEMONICS), `row` an index into its rows (one per table
# entry/form), and per-row facts (flags read/written/undefined, P6 values of
# undefined flags, cycle class) are looked up with row_info(row).

from libc.stdint cimport uint8_t, uint16_t, uint32_t, int32_t

# Operand kinds (Operand.kind)
cdef enum:
    OPK_NONE = 0
    OPK_REG = 1     # general register: reg 0..7 in encoding order; with size 1,
                    # 0..3 = AL,CL,DL,BL and 4..7 = AH,CH,DH,BH
    OPK_MEM = 2     # memory: the effective address is Insn.seg/base/index/scale/disp
                    # (16-bit forms: base 3/5 = BX/BP, index 6/7 = SI/DI, GPR
                    # numbers; moffs: base = index = REG_NONE, disp = offset;
                    # xlat: base = EBX/BX, index REG_NONE: the executor adds AL)
    OPK_IMM = 3     # immediate: Insn.imm (operand 0/1) or Insn.imm2 (second
                    # immediate, e.g. enter's imm8), already sign- or
                    # zero-extended to the operand size as the row says
    OPK_REL = 4     # relative branch: Insn.imm is the signed displacement;
                    # target = (next eip + imm) masked to the operand size
                    # (Operand.size = operand size, not the displacement width)
    OPK_FAR = 5     # far pointer immediate ptr16:16/32: imm = offset, imm2 = selector
    OPK_SREG = 6    # segment register: reg 0..5 = ES,CS,SS,DS,FS,GS
    OPK_CREG = 7    # control register CRn
    OPK_DREG = 8    # debug register DRn
    OPK_ST = 9      # x87 stack register ST(i)
    OPK_MMX = 10    # MMX register MMn
    OPK_CONST = 11  # implicit constant (shift count 1 in D0/D1): Insn.imm holds it
    OPK_STR_SRC = 12  # string source DS:[eSI] (Insn.seg = override or DS; adsize picks SI/ESI)
    OPK_STR_DST = 13  # string destination ES:[eDI] (never overridden)

# Segment numbers (Insn.seg, OPK_SREG reg)
cdef enum:
    SEG_ES = 0
    SEG_CS = 1
    SEG_SS = 2
    SEG_DS = 3
    SEG_FS = 4
    SEG_GS = 5
    SEG_NONE = 6

cdef enum:
    REG_NONE = 0xFF

# Prefix bits (Insn.prefixes)
cdef enum:
    PFX_LOCK = 0x01     # F0
    PFX_REP = 0x02      # F3 (REP/REPE)
    PFX_REPNE = 0x04    # F2
    PFX_OPSIZE = 0x08   # 66
    PFX_ADSIZE = 0x10   # 67
    PFX_SEG = 0x20      # a segment override was given (Insn.seg_override)

# Fault of the encoding (Insn.fault)
cdef enum:
    FAULT_NONE = 0
    FAULT_UD = 1        # invalid encoding on a P6: #UD
    FAULT_GP = 2        # longer than 15 bytes: #GP(0)

# decode_insn() results
cdef enum:
    DEC_OK = 0          # *out is filled (check out.fault)
    DEC_MORE = -1       # the bytes end mid-instruction; give more (up to 15)

ctypedef struct Operand:
    uint8_t kind        # OPK_*
    uint8_t size        # bytes: 1, 2, 4, 6 (m16:32 / far), 8, 10, 14/28, 94/108 ...; 0 = none/sizeless
    uint8_t reg         # register number for REG/SREG/CREG/DREG/ST/MMX
    uint8_t _pad

ctypedef struct Insn:
    uint16_t op         # mnemonic id: index into kw86.isa.opcodes.MNEMONICS
    uint16_t row        # table row id: index into kw86.isa.opcodes.ROWS (the form)
    uint8_t length      # bytes, 1..15 (for FAULT_GP: 15 is not exceeded: the length read so far)
    uint8_t fault       # FAULT_*
    uint8_t opsize      # operand size in bytes: 2 or 4 (after 66 and CS.D)
    uint8_t adsize      # address size in bytes: 2 or 4 (after 67 and CS.D)
    uint8_t prefixes    # PFX_* bits
    uint8_t seg_override  # SEG_* of the last segment prefix, SEG_NONE if none
    uint8_t nops        # number of explicit operands (0..3)
    uint8_t cc          # condition code 0..15 for jcc/setcc/cmovcc/fcmovcc (low nibble of opcode)
    uint8_t opcode      # primary opcode byte (after 0F if two-byte)
    uint8_t map         # 0 = one-byte map, 1 = 0F map
    uint8_t modrm       # ModRM byte (0 if none)
    uint8_t has_modrm
    # effective address of the memory operand, if any
    uint8_t seg         # SEG_* with defaults applied (SS for EBP/ESP/BP bases)
    uint8_t base        # register number or REG_NONE
    uint8_t index       # register number or REG_NONE
    uint8_t scale       # 1, 2, 4 or 8
    int32_t disp        # displacement, sign-extended
    uint32_t imm        # first immediate / rel displacement / far offset / moffs is in disp
    uint32_t imm2       # second immediate (enter imm8) / far selector
    Operand ops[3]

ctypedef struct RowInfo:
    uint16_t op         # mnemonic id
    uint32_t flags_read     # EFLAGS bits the instruction reads
    uint32_t flags_written  # EFLAGS bits it defines
    uint32_t flags_undef    # EFLAGS bits the manual leaves undefined
    uint32_t undef_value    # value a P6 leaves in the undefined bits (where recorded)
    uint16_t cls            # cycle-model instruction class id (kw86.isa.opcodes.CLASSES)
    uint16_t attrs          # ATTR_* bits
    uint32_t undef_known    # which flags_undef bits undef_value records (the
                            # rest vary or are computed: see the row's basis)

cdef enum:
    ATTR_LOCK_OK = 0x01     # LOCK allowed (with a memory destination)
    ATTR_PRIV = 0x02        # CPL 0 only
    ATTR_BRANCH = 0x04
    ATTR_X87 = 0x08
    ATTR_MMX = 0x10
    ATTR_STRING = 0x20
    ATTR_REP_OK = 0x40
    ATTR_NO_SIMD_PFX = 0x80 # a 66/F2/F3 prefix makes it #UD (MMX rows; decoder-internal)

# Decode one instruction from p[0:avail].  bits32: 1 for a 32-bit code
# segment, 0 for 16-bit.  Never reads past p[avail-1].
cdef int decode_insn(const uint8_t* p, int avail, int bits32, Insn* out) noexcept nogil
cdef const RowInfo* row_info(uint16_t row) noexcept nogil
