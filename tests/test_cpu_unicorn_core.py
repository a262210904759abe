"""Differential check of the executor core against Unicorn: the lazy-flags
machinery and the operand paths (register, immediate, memory, 8/16/32-bit)
on the basic ALU/mov/stack/branch instructions, from random states.
(The full per-family differential suite is tests/test_cpu_vs_unicorn.py.)
Flags the manual leaves undefined are masked using the decoder's table."""

import os
import random
import struct

import pytest

from kw86.testing import FlatCPU

import unicorn  # noqa: E402  (a declared test dependency: missing is an error)
from unicorn import Uc, UC_ARCH_X86, UC_MODE_32, UcError  # noqa: E402
from unicorn import x86_const as X  # noqa: E402

REGS = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"]
UREG = {r: getattr(X, "UC_X86_REG_" + r.upper()) for r in REGS}
CODE, DATA, STACK = 0x1000, 0x8000, 0xF000
STATUS = 0x8D5
N = int(os.environ.get("KW86_DIFF_N", "300" if os.environ.get("CI") else "3000"))


def undef_mask(code):
    """Undefined flags of every instruction in code (decoder table)."""
    from kw86.decoder import decode
    m, off = 0, 0
    while off < len(code):
        d = decode(code[off:], bits=32)
        m |= d.flags_undefined
        off += d.length
    return m


def gen(rnd):
    """One random instruction (bytes) from the families under test."""
    r = rnd.randrange
    reg = lambda: rnd.choice([0, 1, 2, 3, 5, 6, 7])     # never esp
    kind = r(17)
    if kind == 0:       # ALU r/m, r  (register forms, 8/16/32)
        op = rnd.choice([0x00, 0x08, 0x10, 0x18, 0x20, 0x28, 0x30, 0x38, 0x84])
        w = rnd.choice([0, 1, 1])
        pfx = b"\x66" if w and r(3) == 0 else b""
        rm = reg() if w else r(8)
        g = reg() if w else r(8)
        return pfx + bytes([op | w, 0xC0 | (g << 3) | rm])
    if kind == 1:       # ALU r, r/m (reverse direction)
        op = rnd.choice([0x02, 0x0A, 0x12, 0x1A, 0x22, 0x2A, 0x32, 0x3A])
        return bytes([op | 1, 0xC0 | (reg() << 3) | reg()])
    if kind == 2:       # group 1 with immediates
        sub = r(8)
        form = r(3)
        if form == 0:
            return bytes([0x81, 0xC0 | (sub << 3) | reg()]) + struct.pack("<I", rnd.getrandbits(32))
        if form == 1:
            return bytes([0x83, 0xC0 | (sub << 3) | reg()]) + bytes([r(256)])
        return bytes([0x80, 0xC0 | (sub << 3) | r(8)]) + bytes([r(256)])
    if kind == 3:       # inc/dec, neg/not
        f = r(4)
        if f == 0:
            return bytes([rnd.choice([0x40, 0x48]) + reg()])
        if f == 1:
            return bytes([0xFE, 0xC0 | (r(2) << 3) | r(8)])
        return bytes([0xF7, 0xC0 | (rnd.choice([2, 3]) << 3) | reg()])
    if kind == 4:       # ALU with a memory operand [ebx+disp8] (ebx -> DATA)
        op = rnd.choice([0x01, 0x03, 0x09, 0x0B, 0x11, 0x13, 0x19, 0x1B, 0x21, 0x23, 0x29, 0x2B,
                         0x31, 0x33, 0x39, 0x3B, 0x85, 0x00, 0x02, 0x38])
        g = rnd.choice([0, 1, 2, 5, 6, 7])
        return bytes([op, 0x43 | (g << 3), r(0, 120, 4)])
    if kind == 5:       # mov forms
        f = r(4)
        if f == 0:
            return bytes([0x89, 0xC0 | (reg() << 3) | reg()])
        if f == 1:
            return bytes([0xB8 + reg()]) + struct.pack("<I", rnd.getrandbits(32))
        if f == 2:
            return bytes([0x8B, 0x43 | (rnd.choice([0, 1, 2, 6, 7]) << 3), r(0, 120, 4)])
        return bytes([0x88, 0x43 | (r(8) << 3), r(0, 120)])
    if kind == 6:       # lea with SIB
        return bytes([0x8D, 0x84 | (reg() << 3), (r(4) << 6) | (reg() << 3) | reg()]) + \
            struct.pack("<i", rnd.randrange(-5000, 5000))
    if kind == 7:       # push/pop pairs
        a, b = reg(), reg()
        return bytes([0x50 + a, 0x58 + b])
    if kind == 8:       # adc/sbb chains after stc/clc
        return bytes([rnd.choice([0xF8, 0xF9, 0xF5]), rnd.choice([0x11, 0x19]), 0xC0 | (reg() << 3) | reg()])
    if kind == 9:       # cmp + jcc over a nop, setting ecx
        cc = r(16)
        return bytes([0x39, 0xC0 | (reg() << 3) | reg(), 0x70 | cc, 0x01, 0x41])
    if kind == 10:      # 16-bit ALU and mov with immediates
        return b"\x66" + bytes([0x81, 0xC0 | (r(8) << 3) | reg()]) + struct.pack("<H", r(65536))
    if kind == 11:      # stack frames: enter/leave, pusha/popa, pushf/popf, push imm/mem, pop mem
        f = r(7)
        if f == 0:
            return bytes([0xC8, r(0, 64, 4), 0, rnd.choice([0, 0, 1, 2, 3]), 0xC9])
        if f == 1:
            return bytes([rnd.choice([0x60, 0x61])]) if False else b"\x60\x61"
        if f == 2:
            return b"\x9c\x58" if r(2) else b"\x50\x9d"   # pushfd; pop eax / push eax; popfd
        if f == 3:
            return bytes([0x6A, r(256), 0x68]) + struct.pack("<I", rnd.getrandbits(32))
        if f == 4:
            return bytes([0xFF, 0x73, r(0, 120, 4), 0x8F, 0x43, r(0, 120, 4)])  # push [ebx+d]; pop [ebx+d]
        if f == 5:
            return b"\x66" + bytes([0x50 + reg(), 0x66, 0x58 + reg()])
        return bytes([0xE8, 1, 0, 0, 0, 0x41, 0x58])      # call +1; inc ecx; pop eax
    if kind == 12:      # movzx/movsx
        return bytes([0x0F, rnd.choice([0xB6, 0xB7, 0xBE, 0xBF]), 0xC0 | (reg() << 3) | r(8)])
    if kind == 13:      # loop/jcxz over an inc
        return bytes([0xB9, r(4), 0, 0, 0, 0x40, rnd.choice([0xE2, 0xE1, 0xE0]), 0xFD]) if r(2) \
            else bytes([0xE3, 0x01, 0x40])
    if kind == 14:      # xlat with ebx -> DATA
        return bytes([0xD7])                                # xlat
    if kind == 15:      # 8-bit and 16-bit memory forms
        op = rnd.choice([0x00, 0x02, 0x28, 0x2A, 0x38, 0x3A, 0x88, 0x8A])
        return rnd.choice([b"", b"\x66"]) + bytes([op | r(2), 0x43 | (r(8) << 3), r(0, 120)])
    return bytes([rnd.choice([0x98, 0x99, 0x9E, 0x9F, 0xF5, 0xF8, 0xF9])])   # cwde cdq sahf lahf cmc clc stc


def run_both(code, regs, eflags, data):
    cpu = FlatCPU(bits=32, cpl=3, mem_size=1 << 20)
    cpu.write_mem(CODE, code)
    cpu.write_mem(DATA, data)
    for k, v in regs.items():
        cpu.set_reg(k, v)
    cpu.set_reg("eflags", eflags)
    cpu.set_reg("eip", CODE)
    exc = None
    for _ in range(8):
        if cpu.get_reg("eip") >= CODE + len(code):
            break
        exc = cpu.step()
        if exc is not None:
            break
    mu = Uc(UC_ARCH_X86, UC_MODE_32)
    mu.mem_map(0, 1 << 20)
    mu.mem_write(CODE, code)
    mu.mem_write(DATA, data)
    for k, v in regs.items():
        mu.reg_write(UREG[k], v)
    mu.reg_write(X.UC_X86_REG_EFLAGS, eflags)
    uerr = None
    try:
        mu.emu_start(CODE, CODE + len(code), count=8)
    except UcError as e:
        uerr = e
    return cpu, mu, exc, uerr


@pytest.mark.parametrize("seed", range(4))
def test_core_vs_unicorn(seed):
    rnd = random.Random(seed)
    for case in range(N // 4):
        code = gen(rnd)
        regs = {r: rnd.getrandbits(32) for r in REGS}
        regs["ebx"] = DATA
        regs["esp"] = STACK
        if code[0] == 0xC8:
            regs["ebp"] = STACK + 0x200        # enter with a level copies frame pointers
        eflags = 0x202 | (rnd.getrandbits(12) & STATUS)
        data = bytes(rnd.getrandbits(8) for _ in range(256))
        cpu, mu, exc, uerr = run_both(code, regs, eflags, data)
        assert exc is None and uerr is None, (code.hex(), exc, uerr)
        mask = STATUS & ~undef_mask(code)
        # logic ops: AF is undefined (P6 leaves 0; Unicorn computes something else)
        if code[-2:-1] and code[0] in (0x08, 0x09, 0x0A, 0x0B, 0x20, 0x21, 0x22, 0x23, 0x30,
                                       0x31, 0x32, 0x33, 0x84, 0x85) or \
                (code[0] in (0x80, 0x81, 0x83) and (code[1] >> 3) & 7 in (1, 4, 6)) or \
                (code[:2] == b"\x66\x81" and (code[2] >> 3) & 7 in (1, 4, 6)):
            mask &= ~0x10
        for r in REGS:
            assert cpu.get_reg(r) == mu.reg_read(UREG[r]), (code.hex(), r)
        assert cpu.get_reg("eflags") & mask == mu.reg_read(X.UC_X86_REG_EFLAGS) & mask, \
            (code.hex(), hex(cpu.get_reg("eflags")), hex(mu.reg_read(X.UC_X86_REG_EFLAGS)))
        assert cpu.read_mem(DATA, 256) == bytes(mu.mem_read(DATA, 256)), code.hex()
        assert cpu.read_mem(STACK - 64, 64) == bytes(mu.mem_read(STACK - 64, 64)), code.hex()
