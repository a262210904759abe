# kw86/x87.pxd -- the x87 FPU (and MMX register file): state and C contract.
#
# All arithmetic is integer arithmetic on 64-bit significands (128-bit
# intermediates through unsigned __int128 helpers in x87.pyx): no host float
# or long double touches a result, so results do not depend on the host.
# The executor (exec.pyx) does the memory accesses and CR0/#NM/#MF checks and
# calls fpu_exec() with the operand bytes; fpu_exec() does the rest.

from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t, int32_t

ctypedef struct F80:            # an 80-bit register as stored
    uint64_t m                  # significand, explicit integer bit 63
    uint16_t se                 # sign << 15 | biased exponent (bias 16383)
    uint16_t _pad[3]

ctypedef struct Fpu:
    F80 r[8]                    # physical registers R0..R7 (ST(i) = R[(TOP+i)&7]); MMn = R[n].m
    uint16_t cw                 # control word
    uint16_t sw                 # status word, TOP in bits 11-13
    uint8_t empty               # bit i: physical register i is empty (tag 11)
    uint8_t _pad
    uint16_t fop                # last non-control opcode (11 bits)
    uint32_t fip                # last non-control instruction: offset, selector
    uint32_t fdp                # its memory operand: offset, selector
    uint16_t fcs
    uint16_t fds

cdef enum:                      # status word bits
    SW_IE = 0x0001
    SW_DE = 0x0002
    SW_ZE = 0x0004
    SW_OE = 0x0008
    SW_UE = 0x0010
    SW_PE = 0x0020
    SW_SF = 0x0040
    SW_ES = 0x0080
    SW_C0 = 0x0100
    SW_C1 = 0x0200
    SW_C2 = 0x0400
    SW_C3 = 0x4000
    SW_B = 0x8000

cdef enum:                      # fpu_exec() result bits
    FX_MEM_OUT = 0x01           # write the memory operand (mem buffer, fpu_mem_info size)
    FX_EFLAGS = 0x02            # *eflags was changed (fcomi family)
    FX_AX = 0x04                # fnstsw ax: AX = mem[0..1]
    FX_UD = 0x08                # invalid encoding on a P6: #UD
    FX_CTRL = 0x10              # a control instruction: FIP/FDP/FOP are not updated
    FX_NOWAIT = 0x20            # does not check pending exceptions (fn* forms)

cdef enum:                      # fpu_mem_info() kinds
    FM_NONE = 0
    FM_LOAD = 1
    FM_STORE = 2

cdef void fpu_init(Fpu* f) noexcept nogil
cdef int fpu_mem_info(int esc, int reg, int op32, int* size) noexcept nogil
cdef int fpu_is_nowait(int esc, int modrm) noexcept nogil
cdef int fpu_exec(Fpu* f, int esc, int modrm, uint8_t* mem, int op32, uint32_t* eflags) noexcept nogil
cdef void fpu_store_env(Fpu* f, uint8_t* out, int op32) noexcept nogil
cdef void fpu_load_env(Fpu* f, const uint8_t* p, int op32) noexcept nogil
cdef void fpu_mmx_prep(Fpu* f) noexcept nogil
cdef void fpu_fxsave(Fpu* f, uint8_t* o) noexcept nogil
cdef void fpu_fxrstor(Fpu* f, const uint8_t* p) noexcept nogil
