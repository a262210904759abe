"""Unicorn as a differential oracle for kw86's integer instructions.

Both machines start from the same state: protected mode, CPL 3, flat 32-bit
segments (or, for 16-bit code, a 16-bit code segment and 16-bit data/stack
segments based at DATA_BASE, built in Unicorn through a real GDT and an
`iretd` from ring 0), the same registers, EFLAGS and memory.  Instructions
are executed one at a time on both and everything is compared after each:
the eight GPRs, EIP, EFLAGS (minus the flags the decoder's table row says
are undefined for that instruction), the bytes Unicorn wrote, the exception
vector, and at the end the whole data window.

Unicorn is QEMU's TCG and differs from a P6 (and from the Intel manual) in
known places.  Where it does, `expected_override()` applies the manual's
result instead and the test checks kw86 against that; each case names its
SDM section (see KNOWN_UNICORN_BUGS).

Paging is off here: with paging on and #PF intercepted, Unicorn 2.1 loses
exceptions or turns them into #DF, so page faults are checked against the
manual instead (tests/test_cpu_strings.py, and the page-split store test in
tests/test_cpu_vs_unicorn.py, where Unicorn is asked for the vector only).
"""

import functools
import random
import struct

import iced_x86

from unicorn import Uc, UcError, UC_ARCH_X86, UC_MODE_32, UC_HOOK_INTR, UC_HOOK_MEM_WRITE
from unicorn import UC_ERR_INSN_INVALID, UC_ERR_READ_UNMAPPED, UC_ERR_WRITE_UNMAPPED, UC_ERR_FETCH_UNMAPPED
from unicorn.x86_const import (UC_X86_REG_EAX, UC_X86_REG_ECX, UC_X86_REG_EDX, UC_X86_REG_EBX,
                               UC_X86_REG_ESP, UC_X86_REG_EBP, UC_X86_REG_ESI, UC_X86_REG_EDI,
                               UC_X86_REG_EIP, UC_X86_REG_EFLAGS, UC_X86_REG_GDTR,
                               UC_X86_REG_CS, UC_X86_REG_SS, UC_X86_REG_DS, UC_X86_REG_ES,
                               UC_X86_REG_FS, UC_X86_REG_GS)

from kw86.decoder import decode, IncompleteInstruction
from kw86.isa import opcodes
from kw86.testing import FlatCPU, desc

GPRS = ("eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi")
UC_GPRS = (UC_X86_REG_EAX, UC_X86_REG_ECX, UC_X86_REG_EDX, UC_X86_REG_EBX,
           UC_X86_REG_ESP, UC_X86_REG_EBP, UC_X86_REG_ESI, UC_X86_REG_EDI)

MEM_SIZE = 16 << 20
CODE = 0x1000           # code offset (EIP); CS base is CODE_BASE
CODE_BASE = 0x40000     # code far from the low 64 KiB that 16-bit addresses reach
DATA_BASE = 0x100000    # data window (32-bit: registers point here; 16-bit: DS/ES/SS base)
DATA_SIZE = 0x20000
GDT = 0xF000
STUB = 0xE000           # ring-0 iretd used to enter ring 3 in Unicorn
FRAME = 0xD000

# (code, data) selectors of the machines at CPL 3 (the default) and CPL 0
CPL_SELECTORS = {3: (0x1B, 0x23), 0: (0x30, 0x38)}

# Flags compared: the arithmetic ones, TF IF DF IOPL NT AC ID (RF/VM never set).
FLAG_BITS = 0x00244FD5 | 0x3000

KNOWN_UNICORN_BUGS = {
    "test_alias": "F6 /1 and F7 /1 are TEST (undocumented alias, sandpile.org group 3; every "
                  "Intel CPU executes them); Unicorn raises #UD.  kw86 must give TEST /0's result.",
    "cs_write": "A write through a CS segment override: SDM Vol. 3A §5.4.1 / Vol. 2 MOV "
                "'#GP(0) if the destination is located in a non-writable segment' (code "
                "segments are never writable, Vol. 3A §3.4.5.1); Unicorn writes.",
    "popf_cpl3": "POPF at CPL 3: SDM Vol. 2B POPF Operation (CPL > 0): IOPL is not modified, "
                 "and IF only when CPL <= IOPL ('IF and IOPL are not modified' at CPL > "
                 "IOPL); Unicorn changes them.  kw86's IF is checked against the popped value "
                 "(IOPL 3) or the old one (IOPL 0).",
    "lock_ud": "LOCK on an instruction outside the lockable list or without a memory "
               "destination: SDM Vol. 2A LOCK, '#UD ... if the LOCK prefix is used with an "
               "instruction not listed' / 'when the destination operand is not memory'; Unicorn "
               "misses some.",
    "push_sreg": "PUSH of a segment register with a 32-bit operand size: SDM Vol. 2B PUSH, "
                 "'either a zero-extended value is pushed ... or the segment selector is written "
                 "on the stack using a 16-bit move'; which one a P6 does is Vol. 3B §22.31.1 "
                 "(Selector Pushes and Pops): 'the Pentium 4, Intel Xeon, P6 family, and "
                 "Intel486 processors decrement the ESP register by the operand size and then "
                 "write 2 bytes.  If the operand size is 32-bits, the upper two bytes of the "
                 "write are not modified.'  Unicorn zero-extends.  The low word is compared "
                 "with Unicorn, the upper two bytes with the memory before the push.",
    "hint_nop": "0F 18-0F 1F with any ModRM are the P6's hint NOPs (kw86's decoder table, "
                "sandpile.org 'hint_nop, P6+'; SDM Vol. 2B NOP, Table A-3); Unicorn raises #UD "
                "for some register forms.  kw86 must execute a NOP.",
    "rep_bsf": "F3 0F BC / F3 0F BD on a P6 are BSF / BSR with an ignored REP prefix (SDM Vol. "
               "2B TZCNT/LZCNT: 'on processors that do not support TZCNT/LZCNT the encoding is "
               "executed as BSF/BSR'); Unicorn runs TZCNT/LZCNT.  Unicorn gets the same length "
               "with the F3 replaced by a no-op segment prefix.",
    "ret_imm16": "RET imm16 releases imm16 bytes, an unsigned 16-bit count (SDM Vol. 2B RET); "
                 "Unicorn sign-extends it.  kw86's ESP is checked against the manual.",
    "limit_wrap": "An access whose last byte lies beyond the segment limit (here: wrapping past "
                  "4 GiB with a 4 GiB limit) is #SS(0) if the segment is SS and #GP(0) for CS, "
                  "DS, ES, FS, GS (SDM Vol. 3A §5.3; each instruction's 'Protected Mode "
                  "Exceptions'); Unicorn does not check segment limits.  The vector follows "
                  "the segment of the first access that runs past the limit.",
    "int_eip": "INT n is a trap: the saved / reported EIP is the next instruction (SDM Vol. 2A "
               "INT n); Unicorn reports int 6 (the #UD number) at the instruction.",
    "enter_mixed": "ENTER with an operand size unlike the stack size: SDM Vol. 2A ENTER "
                   "Operation: 32-bit operand: 'Push(EBP); FrameTemp <- ESP' ... 'EBP <- "
                   "FrameTemp' (the whole ESP: on a 16-bit stack its upper half is kept; "
                   "Unicorn writes only BP); 16-bit operand: 'BP <- FrameTemp[15:0]' (Unicorn "
                   "writes all of EBP).  EBP and (32-bit operand, 16-bit stack) the pushed "
                   "FrameTemp are checked against the manual (Unicorn pushes a 32-bit ESP - 4 "
                   "when SP wraps through 0); the other stack writes are compared as they are.",
    "lock_neg": "LOCK NEG m: flags as for NEG (SDM Vol. 2B NEG: CF = (source != 0), OF SF ZF AF "
                "PF from the result); Unicorn's locked NEG sets SF/PF wrongly in 16-bit code.  "
                "Unicorn runs the same instruction without LOCK (one CPU: same result).",
    "bswap16": "BSWAP with a 16-bit operand: SDM Vol. 2A BSWAP, result undefined; kw86 "
               "leaves 0 in the 16-bit register as Intel processors do, Unicorn (QEMU 5) "
               "swaps all 32 bits.  Only the upper half (unchanged) is checked.",
}

# Mnemonics that the random sequences use: everything a ring-3 program can run
# whose result does not depend on state the two machines model differently
# (descriptor tables, I/O, TSC/CPUID identity, x87).
EXCLUDED = {
    "(bad)", "lds", "les", "lfs", "lgs", "lss", "lar", "lsl", "verr", "verw", "sldt", "str",
    "sgdt", "sidt", "smsw", "lldt", "ltr", "lgdt", "lidt", "lmsw", "invlpg", "clts", "invd",
    "wbinvd", "in", "out", "insb", "insw", "insd", "outsb", "outsw", "outsd", "cpuid", "rdtsc",
    "rdpmc", "rdmsr", "wrmsr", "sysenter", "sysexit", "rsm", "hlt", "retf", "iret", "iretd",
    "int1",     # Unicorn treats F1 as a plain int 1 with the DPL check
}


def _allowed_row(r):
    if r.mnemonic in EXCLUDED:
        return False
    if r.attrs & (opcodes.ATTR_PRIV | opcodes.ATTR_X87 | opcodes.ATTR_MMX):
        return False
    if r.mnemonic == "mov" and any(o.startswith(("S", "C", "D")) for o in r.ops):
        return r.ops and r.ops[0].startswith("E")        # mov Ev,Sw only (store a selector)
    if r.mnemonic == "pop" and r.ops and r.ops[0] in ("ES", "SS", "DS", "FS", "GS"):
        return False
    if r.mnemonic in ("call", "jmp") and r.ops and r.ops[0] in ("Ap", "Mp"):
        return False
    return True


ALLOWED_ROWS = {r.id for r in opcodes.ROWS if _allowed_row(r)}


def insn_allowed(ins):
    return ins.valid and ins.row_id in ALLOWED_ROWS


# ----------------------------------------------------------------------------
# Instruction generation: an opcode (one-byte or 0F) from the table, random
# prefixes, then tail bytes that are often zero (so displacements and
# immediates are often small and addresses land in the data window).

def _opcode_list():
    out = []
    rng = random.Random(1)
    for first in range(256):
        for stem in ([bytes([first])] if first != 0x0F else
                     [bytes([0x0F, b]) for b in range(256)]):
            if first in (0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65, 0x66, 0x67, 0xF0, 0xF2, 0xF3):
                continue
            hits = 0
            for _ in range(24):
                tail = bytes(rng.randrange(256) for _ in range(12))
                try:
                    ins = decode(stem + tail, bits=32)
                except IncompleteInstruction:
                    continue
                if insn_allowed(ins):
                    hits += 1
            if hits:
                out.append(stem)
    return out


OPCODES = _opcode_list()
PREFIXES = [b"\x66", b"\x67", b"\xf3", b"\xf2", b"\xf0", b"\x26", b"\x2e", b"\x36", b"\x3e",
            b"\x64", b"\x65"]


def gen_insn(rng, bits):
    """Random valid allowed instruction bytes (a few tries)."""
    while True:
        pre = b""
        if rng.random() < 0.3:
            pre = b"".join(rng.choice(PREFIXES) for _ in range(rng.choice((1, 1, 1, 2))))
        stem = rng.choice(OPCODES)
        tail = bytes((0 if rng.random() < 0.45 else rng.randrange(256)) for _ in range(12))
        # ModRM: favour register and simple memory forms
        b = pre + stem + tail
        try:
            ins = decode(b, bits=bits)
        except IncompleteInstruction:
            continue
        if insn_allowed(ins):
            return b[:ins.length]


# The integer families this test is mostly about, as (opcode stem, ModRM.reg or
# None): each group row gets its own entry so that it is drawn as often as a
# whole one-byte opcode.
FOCUS = ([(bytes([op]), r) for op in (0xC0, 0xC1, 0xD0, 0xD1, 0xD2, 0xD3) for r in range(8)]
         + [(bytes([op]), r) for op in (0xF6, 0xF7) for r in range(8)]
         + [(b"\x0f" + bytes([op]), None) for op in (0xA3, 0xA4, 0xA5, 0xAB, 0xAC, 0xAD, 0xAF,
                                                      0xB0, 0xB1, 0xB3, 0xBB, 0xBC, 0xBD,
                                                      0xC0, 0xC1, 0xC8, 0xCB)]
         + [(b"\x0f\xba", r) for r in (4, 5, 6, 7)] + [(b"\x0f\xc7", 1)] * 3
         + [(b"\x0f" + bytes([0x40 + k]), None) for k in range(0, 16, 3)]
         + [(b"\x0f" + bytes([0x90 + k]), None) for k in range(0, 16, 3)]
         + [(bytes([op]), None) for op in (0x27, 0x2F, 0x37, 0x3F, 0xD4, 0xD5, 0xD7, 0x86, 0x87,
                                           0x91, 0x98, 0x99, 0x69, 0x6B, 0x9E, 0x9F, 0xF5)]
         + [(bytes([op]), None) for op in (0xA4, 0xA5, 0xA6, 0xA7, 0xAA, 0xAB, 0xAC, 0xAD,
                                           0xAE, 0xAF)] * 2)
STRING_PREFIX = [b"", b"", b"\xf3", b"\xf3", b"\xf2", b"\x66", b"\x67", b"\x66\xf3",
                 b"\x67\xf3", b"\x26\xf3", b"\x2e"]


def gen_focus(rng, bits):
    """An instruction of the integer families (shifts, mul/div, bit ops,
    cmov/setcc, xchg family, bcd, strings)."""
    for _ in range(100):
        stem, reg = rng.choice(FOCUS)
        if stem[-1] in range(0xA4, 0xB0) and len(stem) == 1:
            pre = rng.choice(STRING_PREFIX)
        else:
            pre = rng.choice((b"", b"", b"", b"\x66", b"\x67", b"\xf0", b"\x2e", b"\x64"))
        mod = rng.choice((0, 1, 2, 3, 3, 3))
        rm = rng.randrange(8)
        modrm = (mod << 6) | (((reg if reg is not None else rng.randrange(8))) << 3) | rm
        tail = bytes([modrm]) + bytes((0 if rng.random() < 0.5 else rng.randrange(256))
                                      for _ in range(10))
        # shift counts: often the interesting ones
        b = bytearray(pre + stem + tail)
        try:
            ins = decode(bytes(b), bits=bits)
        except IncompleteInstruction:
            continue
        if not insn_allowed(ins):
            continue
        if ins.operands and ins.operands[-1].kind == "imm" and ins.mnemonic in (
                "rol", "ror", "rcl", "rcr", "shl", "shr", "sar", "shld", "shrd") \
                and rng.random() < 0.7:
            b[ins.length - 1] = rng.choice((0, 1, 2, 7, 8, 9, 15, 16, 17, 18, 31, 32, 33, 0xFF))
        return bytes(b[:ins.length])
    return gen_insn(rng, bits)


SPECIAL = [0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000,
           0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000, 0x80000001, 0xFFFFFFFF, 0xFFFFFFFE,
           0xFFFF8000, 0xFF]


def gen_reg(rng, bits):
    k = rng.random()
    if bits == 16:
        hi = rng.choice((0, rng.randrange(1 << 32))) & 0xFFFF0000
        if k < 0.3:
            return rng.choice(SPECIAL)
        return hi | rng.randrange(1 << 16)
    if k < 0.45:
        return DATA_BASE + rng.randrange(DATA_SIZE)
    if k < 0.75:
        return rng.choice(SPECIAL)
    return rng.randrange(1 << 32)


def gen_state(rng, bits):
    regs = [gen_reg(rng, bits) for _ in range(8)]
    if bits == 32:
        regs[4] = DATA_BASE + 0x10000 + rng.randrange(0x8000) * 2       # esp
    else:
        regs[4] = (regs[4] & 0xFFFF0000) | (0x8000 + rng.randrange(0x4000) * 2)
    if rng.random() < 0.5:
        regs[1] = rng.randrange(0, 40)          # ecx: small rep counts / shift counts
    fl = 0x202 | (rng.randrange(1 << 12) & 0x8D5)
    if rng.random() < 0.3:
        fl |= 0x400                             # DF
    if rng.random() < 0.25:
        fl |= 0x3000                            # IOPL 3: CLI/STI run, POPF sets IF
    return regs, fl


# ----------------------------------------------------------------------------
# The two machines

class UcMachine:
    """Unicorn in protected mode at CPL 3 with segments matching FlatCPU's."""

    def __init__(self, bits, cpl=3):
        self.bits = bits
        uc = self.uc = Uc(UC_ARCH_X86, UC_MODE_32)
        uc.mem_map(0, MEM_SIZE)
        big = 1 if bits == 32 else 0
        dbase = 0 if bits == 32 else DATA_BASE
        # 08/10 flat ring 0 (the stub), 1B/23 the ring-3 code and data, 28 free
        # (tests/test_cpu_mixed_stack_vs_unicorn.py), 30/38 ring-0 code and data
        gdt = (b"\0" * 8 + desc(0, 0xFFFFFFFF, 0xB, 0) + desc(0, 0xFFFFFFFF, 0x3, 0)
               + desc(CODE_BASE, 0xFFFFFFFF, 0xB, 3, db=big)
               + desc(dbase, 0xFFFFFFFF, 0x3, 3, db=big) + bytes(8)
               + desc(CODE_BASE, 0xFFFFFFFF, 0xB, 0, db=big)
               + desc(dbase, 0xFFFFFFFF, 0x3, 0, db=big))
        uc.mem_write(GDT, gdt)
        uc.reg_write(UC_X86_REG_GDTR, (0, GDT, len(gdt) - 1, 0))
        uc.reg_write(UC_X86_REG_CS, 0x08)
        uc.reg_write(UC_X86_REG_SS, 0x10)
        uc.reg_write(UC_X86_REG_DS, 0x10)
        uc.reg_write(UC_X86_REG_ES, 0x10)
        uc.reg_write(UC_X86_REG_ESP, FRAME)
        code_sel, data_sel = CPL_SELECTORS[cpl]
        uc.mem_write(FRAME, struct.pack("<IIIII", STUB + 0x10, code_sel, 0x202, 0x8000, data_sel))
        uc.mem_write(STUB, b"\xcf")                     # iretd -> ring 3 (or 0) at STUB + 0x10
        uc.emu_start(STUB, 0, count=1)
        if cpl == 0:
            uc.reg_write(UC_X86_REG_SS, data_sel)
        assert uc.reg_read(UC_X86_REG_CS) == code_sel and uc.reg_read(UC_X86_REG_SS) == data_sel
        for r in (UC_X86_REG_DS, UC_X86_REG_ES, UC_X86_REG_FS, UC_X86_REG_GS):
            uc.reg_write(r, data_sel)
        self.vector = None
        self.writes = []
        uc.hook_add(UC_HOOK_INTR, self._intr)
        uc.hook_add(UC_HOOK_MEM_WRITE, self._write)

    def _intr(self, uc, intno, data):
        self.vector = intno
        uc.emu_stop()

    def _write(self, uc, access, addr, size, value, data):
        self.writes.append((addr, size))

    def write_code(self, addr, data):
        self.uc.mem_write(addr, data)
        self.uc.ctl_remove_cache(addr, addr + len(data))     # drop stale translations

    def set_state(self, regs, eflags):
        for r, v in zip(UC_GPRS, regs):
            self.uc.reg_write(r, v)
        self.uc.reg_write(UC_X86_REG_EFLAGS, eflags)

    def regs(self):
        return [self.uc.reg_read(r) & 0xFFFFFFFF for r in UC_GPRS]

    def eip(self):
        return self.uc.reg_read(UC_X86_REG_EIP)

    def eflags(self):
        return self.uc.reg_read(UC_X86_REG_EFLAGS)

    def step(self):
        """One instruction (one rep iteration or more).  Returns None, an
        exception vector, "UD", or "unmapped"."""
        self.vector = None
        try:
            self.uc.emu_start(self.eip(), 0xFFFFFFFF, count=1)
        except UcError as e:
            if e.errno == UC_ERR_INSN_INVALID:
                return 6
            if e.errno in (UC_ERR_READ_UNMAPPED, UC_ERR_WRITE_UNMAPPED, UC_ERR_FETCH_UNMAPPED):
                return "unmapped"
            return ("error", str(e))
        return self.vector


def make_kw86(bits, cpl=3):
    cpu = FlatCPU(bits=bits, cpl=cpl)
    code_sel, data_sel = CPL_SELECTORS[cpl]
    cpu.set_segment("cs", code_sel, CODE_BASE, 0xFFFFFFFF, big=bits == 32, dpl=cpl, type=0xB)
    for s in ("ds", "es", "ss", "fs", "gs"):
        cpu.set_segment(s, data_sel, DATA_BASE if bits == 16 else 0, 0xFFFFFFFF, big=bits == 32,
                        dpl=cpl, type=0x3)
    return cpu


def kw_regs(cpu):
    return [cpu.get_reg(r) for r in GPRS]


# ----------------------------------------------------------------------------
# Expected-result overrides where Unicorn is wrong

def _lock_ok(ins):
    return bool(ins.attrs & opcodes.ATTR_LOCK_OK) and ins.operands and ins.operands[0].kind == "mem"


def _modrm_reg(ins):
    return (ins.modrm >> 3) & 7 if ins.modrm is not None else None


_PREFIX_BYTES = (0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65, 0x66, 0x67, 0xF0, 0xF2, 0xF3)
_SEG_PREFIX = {"es": 0x26, "cs": 0x2E, "ss": 0x36, "ds": 0x3E, "fs": 0x64, "gs": 0x65}


def _prefix_bytes(ins):
    b = ins.bytes
    k = 0
    while b[k] in _PREFIX_BYTES:
        k += 1
    return b[:k]


def uc_bytes(ins):
    """The bytes Unicorn runs for ins: rewritten (same length, same meaning
    on a P6) where Unicorn is wrong; see KNOWN_UNICORN_BUGS."""
    b = bytearray(ins.bytes)
    k = 0
    while b[k] in _PREFIX_BYTES:
        k += 1
    prefix_end = k                      # b[prefix_end] is the opcode (or 0F)
    seg = _SEG_PREFIX.get(ins.segment, 0x3E)     # a no-op prefix: the segment in effect
    if ins.opcode in ((1, 0xBC), (1, 0xBD)) and "rep" in ins.prefixes:
        # rep_bsf: Unicorn would run TZCNT/LZCNT
        for j in range(prefix_end):
            if b[j] == 0xF3:
                b[j] = seg
    if ins.mnemonic == "neg" and "lock" in ins.prefixes and _lock_ok(ins):
        # lock_neg: on one CPU LOCK changes nothing else
        for j in range(prefix_end):
            if b[j] == 0xF0:
                b[j] = seg
    if ins.opcode in ((0, 0xF6), (0, 0xF7)) and _modrm_reg(ins) == 1:
        # test_alias: TEST /0 has the same length
        b[prefix_end + 1] &= ~0x38
    return bytes(b)


class Divergence(AssertionError):
    pass


class Stats:
    def __init__(self):
        self.insns = 0
        self.compared = 0
        self.exceptions = 0
        self.skipped = 0
        self.overrides = {}
        self.mnemonics = {}

    def override(self, name):
        self.overrides[name] = self.overrides.get(name, 0) + 1


def _fmt_state(regs, eip, fl):
    return " ".join(f"{n}={v:08x}" for n, v in zip(GPRS, regs)) + f" eip={eip:08x} fl={fl:08x}"


def make_pair(bits, mem_seed, cpl=3):
    """A fresh (Unicorn, kw86) pair with the same data window contents."""
    data = random.Random(mem_seed).randbytes(DATA_SIZE)
    uc = UcMachine(bits, cpl)
    kw = make_kw86(bits, cpl)
    uc.uc.mem_write(DATA_BASE, data)
    kw.write_mem(DATA_BASE, data)
    kw.write_mem(0, bytes(uc.uc.mem_read(0, 0x10000)))    # Unicorn's GDT and ring-0 stub
    return uc, kw


def _run_on(bits, uc, kw, regs, eflags, insns, stats):
    """Load code and state into the pair, run and compare.  True if the run
    ended early (exception, not comparable): the pair should be renewed."""
    code = b"".join(insns) + b"\x90" * 16
    uc.write_code(CODE_BASE + CODE, code)
    kw.write_mem(CODE_BASE + CODE, code)
    uc.set_state(regs, eflags)
    for r, v in zip(GPRS, regs):
        kw.set_reg(r, v)
    kw.set_reg("eflags", eflags)
    kw.set_reg("eip", CODE)
    uc.uc.reg_write(UC_X86_REG_EIP, CODE)
    addr = CODE
    for b in insns:
        ins = decode(b, bits=bits, ip=addr)
        stats.insns += 1
        stats.mnemonics[ins.mnemonic] = stats.mnemonics.get(ins.mnemonic, 0) + 1
        if kw.get_reg("eip") != addr or uc.eip() != addr:
            return True
        if _step_both(bits, ins, uc, kw, stats) == "stop":
            return True
        addr += ins.length
    return False


def run_sequence(bits, regs, eflags, mem_seed, insns, stats=None):
    """Run insns (list of bytes) from the given state on a fresh pair of
    machines, comparing after each.  Raises Divergence with a description."""
    stats = stats or Stats()
    uc, kw = make_pair(bits, mem_seed)
    if not _run_on(bits, uc, kw, regs, eflags, insns, stats):
        _compare_window(uc, kw)
    return stats


class Batch:
    """Many independent short runs on one pair of machines per code size
    (renewed after an exception): fast sweeps of single instructions."""

    def __init__(self, seed=0, cpl=3):
        self.seed = seed
        self.cpl = cpl
        self.pairs = {}
        self.stats = Stats()

    def run(self, bits, regs, eflags, insns):
        pair = self.pairs.get(bits)
        if pair is None:
            pair = self.pairs[bits] = make_pair(bits, self.seed, self.cpl)
        if _run_on(bits, pair[0], pair[1], regs, eflags, insns, self.stats):
            del self.pairs[bits]

    def finish(self):
        for uc, kw in self.pairs.values():
            _compare_window(uc, kw)
        return self.stats


def _rep_count(ins, regs):
    if not (ins.attrs & opcodes.ATTR_STRING) or not ({"rep", "repne"} & set(ins.prefixes)):
        return 0
    c = regs[1] if ins.adsize == 32 else regs[1] & 0xFFFF
    return c


def _step_both(bits, ins, uc, kw, stats):
    pre_regs = kw_regs(kw)
    pre_fl = kw.get_reg("eflags")
    pre_eip = kw.get_reg("eip")
    where = f"{ins.bytes.hex()} ({ins}) bits={bits}\n  before: {_fmt_state(pre_regs, pre_eip, pre_fl)}"
    rep = _rep_count(ins, pre_regs)
    if rep and {0xF2, 0xF3} <= set(_prefix_bytes(ins)):
        stats.skipped += 1      # F2 and F3 together: reserved (SDM Vol. 2A §2.1.1)
        return "stop"
    if rep > 2048:
        stats.skipped += 1
        return "stop"
    if ins.mnemonic == "idiv" and (
            (ins.opsize == 16 and ins.operands[0].size == 16
             and ((pre_regs[2] & 0xFFFF) << 16 | (pre_regs[0] & 0xFFFF)) == 0x80000000)
            or (ins.operands[0].size == 32 and pre_regs[2] == 0x80000000 and pre_regs[0] == 0)):
        # Unicorn computes -2^31 / d (-2^63 / d) with a host division that
        # traps (SIGFPE kills the process) when d = -1: not run there;
        # tests/test_cpu_alu.py checks kw86's #DE for these
        stats.skipped += 1
        return "stop"
    sreg_slot = _push_sreg_slot(kw, ins, pre_regs)
    sreg_hi = kw.read_mem(sreg_slot + 2, 2) if sreg_slot is not None else None
    # Unicorn: run (a rep may take one call per iteration)
    if uc_bytes(ins) != ins.bytes:
        stats.override("rep_bsf" if ins.mnemonic in ("bsf", "bsr") else
                       "lock_neg" if ins.mnemonic == "neg" else "test_alias")
        uc.write_code(CODE_BASE + pre_eip, uc_bytes(ins))
    uc.writes = []
    for _ in range(rep + 2):
        ures = uc.step()
        if ures is not None or uc.eip() != pre_eip:
            break
    if uc_bytes(ins) != ins.bytes:
        uc.write_code(CODE_BASE + pre_eip, ins.bytes)
    if ures == "unmapped":
        stats.skipped += 1
        return "stop"
    if isinstance(ures, tuple):
        raise Divergence(f"Unicorn error {ures[1]} at {where}")
    # kw86
    kres = None
    for _ in range(rep + 2):
        e = kw.step()
        if e is not None:
            kres = e.vector
            break
        if kw.get_reg("eip") != pre_eip:
            break
    # --- manual overrides ---
    expect = ures
    lock = "lock" in ins.prefixes
    if ins.mnemonic == "nop" and ures == 6 and not lock:
        stats.override("hint_nop")
        if kres is not None or kw_regs(kw) != pre_regs or kw.get_reg("eip") != pre_eip + ins.length:
            raise Divergence(f"hint NOP did not execute as a NOP at {where}")
        return "stop"
    if ins.mnemonic == "bound" and ins.adsize == 16 and _bound_pair_wraps(ins, pre_regs):
        # the bound pair runs past offset FFFFh with 16-bit addressing: where
        # the upper bound is read from (EA + size wrapped to 16 bits in kw86
        # and Bochs, not in Unicorn) the manual does not say
        stats.skipped += 1
        return "stop"
    if lock and not _lock_ok(ins):
        if ures != 6:
            stats.override("lock_ud")
        expect = 6
    elif "cs" in ins.prefixes and ins.segment == "cs" and uc.writes and ures is None \
            and not ins.mnemonic.startswith(("push", "call", "enter", "stos", "movs")):
        # a store through a CS override (stack and string stores never use CS)
        stats.override("cs_write")
        expect = 13
    elif ures is None and _limit_fault(ins, pre_regs, pre_fl, kw_regs(kw) if kres is not None else None) \
            is not None:
        stats.override("limit_wrap")
        expect = _limit_fault(ins, pre_regs, pre_fl, kw_regs(kw) if kres is not None else None)
    if ins.mnemonic == "int" and ures == kres and ures is not None and uc.eip() == pre_eip:
        stats.override("int_eip")
        if kw.get_reg("eip") != pre_eip + ins.length:
            raise Divergence(f"int n: EIP should be the next instruction at {where}")
        uc.uc.reg_write(UC_X86_REG_EIP, pre_eip + ins.length)
    if expect != ures:
        if kres != expect:
            raise Divergence(f"exception: kw86 {kres} != manual {expect} (Unicorn {ures}) at {where}")
        if (kw_regs(kw) != pre_regs and not rep) or kw.get_reg("eip") != pre_eip:
            raise Divergence(f"fault changed state at {where}")
        stats.exceptions += 1
        return "stop"
    if kres != ures:
        raise Divergence(f"exception: kw86 {kres} != Unicorn {ures} at {where}\n"
                         f"  kw86:    {_fmt_state(kw_regs(kw), kw.get_reg('eip'), kw.get_reg('eflags'))}\n"
                         f"  unicorn: {_fmt_state(uc.regs(), uc.eip(), uc.eflags())}")
    # --- compare state ---
    kr, ur = kw_regs(kw), uc.regs()
    mask_regs = [0xFFFFFFFF] * 8
    stack16 = not kw.machine.get_segment("ss").big
    if ins.mnemonic == "bswap" and ins.opsize == 16:
        stats.override("bswap16")
        reg = {"ax": 0, "cx": 1, "dx": 2, "bx": 3, "sp": 4, "bp": 5, "si": 6, "di": 7}[ins.operands[0].reg]
        mask_regs[reg] = 0xFFFF0000
        if kr[reg] & 0xFFFF:
            raise Divergence(f"bswap r16 should leave 0 in the word (kw86 {kr[reg]:08x}) at {where}")
    if ins.mnemonic == "ret" and ins.operands and ins.operands[0].value >= 0x8000:
        stats.override("ret_imm16")
        sz = ins.opsize // 8
        want = (pre_regs[4] + sz + ins.operands[0].value) & 0xFFFFFFFF
        if stack16:
            want = (pre_regs[4] & 0xFFFF0000) | (want & 0xFFFF)
        if kr[4] != want:
            raise Divergence(f"ret imm16: ESP {kr[4]:08x} != {want:08x} at {where}")
        mask_regs[4] = 0
    if ins.mnemonic == "enter" and stack16 and ins.opsize == 32:
        stats.override("enter_mixed")
        frame = (pre_regs[4] & 0xFFFF0000) | ((pre_regs[4] - 4) & 0xFFFF)    # ESP after Push(EBP)
        if kr[5] != frame:
            raise Divergence(f"enter (32-bit operand, 16-bit stack): EBP {kr[5]:08x} != "
                             f"FrameTemp {frame:08x} at {where}")
        mask_regs[5] = 0xFFFF       # Unicorn: BP only
        level = (ins.operands[1].value if len(ins.operands) > 1 else 0) & 31
        if level and kres is None:
            # the pushed FrameTemp is the same dword: Unicorn pushes a 32-bit
            # ESP - 4 (wrong when SP wrapped through 0); the manual's value is
            # checked on kw86 and given to Unicorn
            slot = _stack_at(kw, pre_regs[4], -4 - 4 * level)
            got = kw.read_mem(slot, 4)
            if got != struct.pack("<I", frame):
                raise Divergence(f"enter: pushed FrameTemp {got.hex()} != {frame:08x} at {where}")
            uc.uc.mem_write(slot, got)
    if ins.mnemonic == "enter" and not stack16 and ins.opsize == 16:
        stats.override("enter_mixed")       # BP <- FrameTemp[15:0]: EBP's upper half kept
        if (kr[5] ^ pre_regs[5]) >> 16:
            raise Divergence(f"enter (16-bit operand): EBP upper half changed at {where}")
        mask_regs[5] = 0xFFFF
    for n in range(8):
        if (kr[n] ^ ur[n]) & mask_regs[n]:
            raise Divergence(f"{GPRS[n]}: kw86 {kr[n]:08x} != Unicorn {ur[n]:08x} at {where}\n"
                             f"  kw86:    {_fmt_state(kr, kw.get_reg('eip'), kw.get_reg('eflags'))}\n"
                             f"  unicorn: {_fmt_state(ur, uc.eip(), uc.eflags())}")
    if kw.get_reg("eip") != uc.eip():
        raise Divergence(f"eip: kw86 {kw.get_reg('eip'):08x} != Unicorn {uc.eip():08x} at {where}")
    # undefined = what both kw86's table row and iced-x86 (an independent
    # decoder) call undefined: a row that wrongly leaves a flag undefined
    # does not hide a wrong result here
    # (iced sees the bytes Unicorn ran: F3 0F BC/BD as BSF/BSR, not TZCNT/LZCNT)
    fmask = FLAG_BITS & ~(ins.flags_undefined & _iced_undefined(uc_bytes(ins), bits))
    kf, uf = kw.get_reg("eflags"), uc.eflags()
    if ins.mnemonic in ("popf", "popfd") and kw.machine.cpl == 3:
        stats.override("popf_cpl3")
        # IOPL never changes at CPL 3; IF takes the popped value only if CPL <= IOPL
        sp = _stack_at(kw, pre_regs[4], 0)
        popped = int.from_bytes(kw.machine.read_virt(sp, 2), "little")
        want_if = (popped if (pre_fl >> 12) & 3 == 3 else pre_fl) & 0x200
        if (kf ^ pre_fl) & 0x3000 or kf & 0x200 != want_if:
            raise Divergence(f"popf at CPL 3 (IOPL {(pre_fl >> 12) & 3}) set IF/IOPL wrongly: "
                             f"{pre_fl:08x} -> {kf:08x} (popped {popped:04x}) at {where}")
        fmask &= ~0x3200
    known = ins.undef_known & 0x8D5
    if known and ures is None and ((kf ^ ins.undef_value) & known):
        raise Divergence(f"undefined flags {known:#x}: kw86 {kf & known:#x} != the P6 value "
                         f"{ins.undef_value & known:#x} recorded in the opcode table at {where}")
    if (kf ^ uf) & fmask:
        raise Divergence(f"eflags: kw86 {kf:08x} != Unicorn {uf:08x} (diff {(kf ^ uf) & fmask:#x},"
                         f" undefined {ins.flags_undefined:#x}) at {where}")
    if sreg_slot is not None:
        stats.override("push_sreg")
        got = kw.read_mem(sreg_slot + 2, 2)
        if got != sreg_hi:
            raise Divergence(f"push sreg (32-bit operand): upper bytes {got.hex()} != "
                             f"{sreg_hi.hex()} before the push (a P6 writes 2 bytes) at {where}")
        if uc.writes != [(sreg_slot, 4)] and uc.writes != [(sreg_slot, 2)]:
            raise Divergence(f"push sreg: Unicorn wrote {uc.writes} at {where}")
        uc.writes = [(sreg_slot, 2)]
        uc.uc.mem_write(sreg_slot + 2, sreg_hi)             # the manual's bytes
    for a, size in uc.writes:
        ub = bytes(uc.uc.mem_read(a, size))
        kb = kw.read_mem(a, size) if a + size <= MEM_SIZE else None
        if ub != kb:
            raise Divergence(f"memory at {a:#x}: kw86 {kb and kb.hex()} != Unicorn {ub.hex()} at {where}")
    # keep the machines in step: take Unicorn's undefined flags, kw86's
    # manual-defined results where Unicorn is wrong
    if (kf ^ uf) & ~fmask & 0x8D5:
        kw.set_reg("eflags", (kf & ~(~fmask & 0x8D5)) | (uf & ~fmask & 0x8D5))
    for n in range(8):
        if kr[n] != ur[n]:
            uc.uc.reg_write(UC_GPRS[n], kr[n])
    stats.compared += 1
    if ures is not None:
        stats.exceptions += 1
        return "stop"
    if ins.mnemonic in ("popf", "popfd"):
        return "stop"           # TF/AC may now be set: the machines model them differently
    return None


_ICED_FLAGS = ((iced_x86.RflagsBits.OF, 0x800), (iced_x86.RflagsBits.SF, 0x80),
               (iced_x86.RflagsBits.ZF, 0x40), (iced_x86.RflagsBits.AF, 0x10),
               (iced_x86.RflagsBits.PF, 0x4), (iced_x86.RflagsBits.CF, 0x1))


@functools.lru_cache(maxsize=1 << 16)
def _iced_undefined(code, bits):
    """The status flags iced-x86 calls undefined for these bytes (all six if
    iced does not decode them: then kw86's table alone decides)."""
    ins = iced_x86.Decoder(bits, code).decode()
    if ins.code == iced_x86.Code.INVALID:
        return 0x8D5
    u = ins.rflags_undefined
    return sum(b for f, b in _ICED_FLAGS if u & f)


def _stack_at(kw, esp, delta):
    """The linear address of SS:[eSP + delta] (SS as kw86 has it: base, B)."""
    ss = kw.machine.get_segment("ss")
    off = (esp + delta) & (0xFFFFFFFF if ss.big else 0xFFFF)
    return (ss.base + off) & 0xFFFFFFFF


def _push_sreg_slot(kw, ins, regs):
    """The linear address of the dword a PUSH sreg with a 32-bit operand size
    writes (None for other instructions)."""
    if not (ins.mnemonic == "push" and ins.opsize == 32 and ins.operands
            and ins.operands[0].kind == "reg"
            and ins.operands[0].reg in ("es", "cs", "ss", "ds", "fs", "gs")):
        return None
    slot = _stack_at(kw, regs[4], -4)
    # outside guest memory the push faults (compared as an exception instead)
    return slot if slot + 4 <= MEM_SIZE else None


def _bound_pair_wraps(ins, regs):
    """BOUND with 16-bit addressing whose bound pair runs past offset FFFFh."""
    o = ins.operands[1]
    if o.kind != "mem":
        return False
    return _ea(ins, o, regs) + o.size // 8 > 0x10000


_REGNUM = {n: i for i, n in enumerate(GPRS)}
_REGNUM.update({n[1:]: i for n, i in list(_REGNUM.items())})


def _ea(ins, o, regs):
    a = o.displacement & 0xFFFFFFFF
    if o.base:
        a += regs[_REGNUM[o.base]]
    if o.index and o.index != "al":
        a += regs[_REGNUM[o.index]] * o.scale
    return a & (0xFFFFFFFF if ins.adsize == 32 else 0xFFFF)


def _limit_fault(ins, regs, eflags, stopped=None):
    """The manual's vector (12 for SS, 13 otherwise) if an access of ins runs
    past the 4 GiB limit of the data segments, else None.  String
    instructions are followed element by element (rep), the source read
    before the destination is written; REPE/REPNE CMPS/SCAS end on a compare
    too, so past their first element the element where kw86 stopped
    (`stopped`, its registers) is the one checked."""
    if ins.mnemonic in ("lea", "nop"):          # no access
        return None
    mems = [o for o in ins.operands if o.kind == "mem"]
    if not ins.attrs & opcodes.ATTR_STRING:
        for o in mems:
            ea = _ea(ins, o, regs)
            if ins.mnemonic in ("bt", "bts", "btr", "btc") and ins.operands[1].kind == "reg":
                # a register bit offset (signed) is part of the effective
                # address, which wraps modulo 2^32 (SDM Vol. 2A BT: "address
                # + (BitOffset DIV 32)"; §3.7.5 address computation)
                bits = o.size
                off = regs[_REGNUM[ins.operands[1].reg[-2:]]] & ((1 << bits) - 1)
                off -= (off >> (bits - 1)) << bits
                ea = (ea + (off >> (5 if bits == 32 else 4)) * (bits // 8)) \
                    & (0xFFFFFFFF if ins.adsize == 32 else 0xFFFF)
            if ea + max(o.size // 8, 1) > (1 << 32):
                return 12 if o.segment == "ss" else 13
        return None
    if ins.adsize != 32:
        return None
    mems.sort(key=lambda o: o.base != "esi")        # DS:eSI (or override) first
    rep = bool({"rep", "repne"} & set(ins.prefixes))
    count = _rep_count(ins, regs) if rep else 1
    step = -1 if eflags & 0x400 else 1
    starts = [(regs, range(min(count, 4096)))]
    if rep and ins.mnemonic.startswith(("cmps", "scas")):
        starts = [(regs, range(min(count, 1)))]
        if stopped is not None:
            starts.append((stopped, range(1)))
    for r, ks in starts:
        for k in ks:
            for o in mems:
                size = o.size // 8
                a = (r[_REGNUM[o.base]] + step * k * size) & 0xFFFFFFFF
                if a + size > (1 << 32):
                    return 12 if o.segment == "ss" else 13
    return None


def _compare_window(uc, kw):
    ub = bytes(uc.uc.mem_read(DATA_BASE, DATA_SIZE))
    kb = kw.read_mem(DATA_BASE, DATA_SIZE)
    if ub != kb:
        k = next(i for i in range(DATA_SIZE) if ub[i] != kb[i])
        raise Divergence(f"data window differs at {DATA_BASE + k:#x}: kw86 {kb[k]:02x} "
                         f"Unicorn {ub[k]:02x}")
