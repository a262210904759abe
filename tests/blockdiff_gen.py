"""Random i386 programs for the translated-block differential tests
(tests/test_cpu_blocks_diff.py), and the harness that runs them on kw86
(blocks on / off, any budget) and on Unicorn.

A program is a list of units (byte strings) from the forms the blocks
translate (kw86/exec_block.pxi: mov/lea/alu rr ri rm mr mi, inc/dec, shifts,
neg/not, movzx/movsx, imul, cmovcc, setcc, push/pop/leave, jcc/jmp/call/ret
and their indirect forms, memory operands with base/index/scale/disp and
segment overrides) mixed with instructions that stop blocks (string ops,
pushf/popf, div, lock ops, xchg, adc/sbb, rotates, bswap, sahf/lahf, loop).

Register roles, so that every memory access lands in the data window:
eax edx ebx ebp are data (any value); ecx counts loops (read by shifts,
never written but by the loop units, which save it); esi is the index, only
written by `movzx esi, r8` (0..255); edi is the base of the data window,
never written for good; esp is the stack, every unit leaves it balanced.

`defined_only` (the Unicorn mode): a unit never leaves a flag undefined for
the next one except AF, which no consumer but pushfd/lahf reads (those get a
full producer first): comparisons with Unicorn then never depend on a flag
the manual leaves undefined; the final EFLAGS are compared without the flags
the last writer of each left undefined (tracked while Unicorn runs).
"""

import functools
import struct

import iced_x86

from kw86.decoder import decode, IncompleteInstruction

DATA = [0, 2, 3, 5]                 # eax edx ebx ebp
SRC = [0, 1, 2, 3, 5, 6, 7]         # + ecx esi edi (read only)
R8_DST = [0, 2, 3, 4, 6, 7]         # al dl bl ah dh bh
EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI = range(8)

SEG_PREFIX = [b"\x3e", b"\x26", b"\x36", b"\x64", b"\x65"]   # ds es ss fs gs


def modrm(mod, reg, rm):
    return bytes([(mod << 6) | ((reg & 7) << 3) | (rm & 7)])


def sib(scale_log, index, base):
    return bytes([(scale_log << 6) | ((index & 7) << 3) | (base & 7)])


class Gen:
    """One program's generator.  edi: the value edi holds (the window's
    base, as an offset in DS); reach: how far past edi accesses may go."""

    def __init__(self, rng, edi, defined_only=False, stack_writes=True, seg_overrides=True,
                 allow=None, extra=(), extra_p=0.08, flagdense=False):
        self.flagdense = flagdense
        self.extra = list(extra)            # more unit makers: f(rng) -> bytes
        self.extra_p = extra_p
        self.rng = rng
        self.edi = edi
        self.defined_only = defined_only
        self.stack_writes = stack_writes
        self.seg_overrides = seg_overrides
        self.allow = allow

    # ---- operands ----
    def imm8(self):
        r = self.rng
        return r.choice([0, 1, 2, 0x7F, 0x80, 0xFF, 0x1F, 0x20, r.randrange(256)])

    def imm32(self):
        r = self.rng
        return r.choice([0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFF, r.getrandbits(32),
                         r.getrandbits(8)])

    def mem(self, reg, size=4, write=False):
        """ModRM (+SIB, disp) bytes for a memory operand in the window, reg
        field `reg`; sometimes a segment-override prefix (returned apart)."""
        r = self.rng
        k = r.randrange(9 if (self.stack_writes or not write) else 8)
        if k == 0:
            b = modrm(1, reg, EDI) + struct.pack("<b", r.randrange(-64, 128))
        elif k == 1:
            b = modrm(2, reg, EDI) + struct.pack("<i", r.randrange(-128, 0x900))
        elif k == 2:
            b = modrm(1, reg, 4) + sib(r.randrange(4), ESI, EDI) + struct.pack("<b", r.randrange(-64, 128))
        elif k == 3:
            b = modrm(0, reg, 4) + sib(r.randrange(4), ESI, 5) + struct.pack(
                "<I", (self.edi + r.randrange(-64, 0x400)) & 0xFFFFFFFF)
        elif k == 4:
            b = modrm(0, reg, 5) + struct.pack("<I", (self.edi + r.randrange(-64, 0xC00)) & 0xFFFFFFFF)
        elif k == 5:
            b = modrm(0, reg, EDI)
        elif k == 6:
            b = modrm(0, reg, 4) + sib(r.randrange(4), ESI, EDI)
        elif k == 7:
            b = modrm(2, reg, 4) + sib(r.randrange(4), ESI, EDI) + struct.pack("<i", r.randrange(0x700, 0x1100))
        else:
            # the stack: reads anywhere near esp, writes only below it
            d = r.randrange(-64, -size + 1) if write else r.randrange(-64, 16)
            b = modrm(1, reg, 4) + sib(0, 4, ESP) + struct.pack("<b", d)
        pre = b""
        if self.seg_overrides and r.random() < 0.12:
            pre = r.choice(SEG_PREFIX)
        return pre, b

    def lea_any(self, d):
        """lea d, [base + index*scale + disp] with any registers (no access)."""
        r = self.rng
        base = r.randrange(8)
        index = r.choice([0, 1, 2, 3, 5, 6, 7])
        mod = r.choice([0, 1, 2])
        if base == 5 and mod == 0:
            mod = 1
        disp = {0: b"", 1: struct.pack("<b", r.randrange(-128, 128)),
                2: struct.pack("<I", self.imm32())}[mod]
        return b"\x8d" + modrm(mod, d, 4) + sib(r.randrange(4), index, base) + disp

    # ---- producers that define every status flag ----
    def full_producer(self):
        r = self.rng
        d = r.choice(DATA)
        s = r.choice(SRC)
        k = r.randrange(5)
        if k == 0:
            return bytes([r.choice([0x01, 0x29, 0x39])]) + modrm(3, s, d)
        if k == 1:
            return b"\x83" + modrm(3, r.choice([0, 5, 7]), d) + bytes([self.imm8()])
        if k == 2:
            return b"\x81" + modrm(3, r.choice([0, 5, 7]), d) + struct.pack("<I", self.imm32())
        if k == 3:
            return b"\xf7" + modrm(3, 3, d)                     # neg
        pre, m = self.mem(r.choice(DATA))
        return pre + bytes([r.choice([0x3b, 0x39, 0x03, 0x2b])]) + m

    def after_undef(self, b):
        return b + self.full_producer() if self.defined_only else b

    # ---- units ----
    def simple(self):
        """One instruction (or a small self-contained group), no control flow."""
        r = self.rng
        d = r.choice(DATA)
        s = r.choice(SRC)
        op = r.randrange(8)          # add or adc sbb and sub xor cmp
        k = r.randrange(52)
        if self.flagdense and r.random() < 0.75:
            # producers and consumers of the flags, and memory forms that
            # may stop a block between them
            k = r.choice([11, 12, 13, 14, 18, 20, 20, 21, 23, 24, 30, 31, 33, 40, 44, 44, 45,
                          15, 16, 17, 22, 3, 4, 19, 32, 34])
        if k >= 46:
            return self.narrow(d, s, op)
        if k == 0:
            return bytes([0x89]) + modrm(3, s, d)
        if k == 1:
            return bytes([0x8b]) + modrm(3, d, s)
        if k == 2:
            return bytes([0xb8 + d]) + struct.pack("<I", self.imm32())
        if k == 3:
            pre, m = self.mem(d)
            return pre + b"\x8b" + m
        if k == 4:
            pre, m = self.mem(s, write=True)
            return pre + b"\x89" + m
        if k == 5:
            pre, m = self.mem(0, write=True)
            return pre + b"\xc7" + m + struct.pack("<I", self.imm32())
        if k == 6:
            pre, m = self.mem(r.choice(R8_DST))
            return pre + b"\x8a" + m
        if k == 7:
            pre, m = self.mem(r.randrange(8), 1, write=True)
            return pre + b"\x88" + m
        if k == 8:
            pre, m = self.mem(0, 1, write=True)
            return pre + b"\xc6" + m + bytes([self.imm8()])
        if k == 9:
            pre, m = self.mem(d)
            return pre + b"\x8d" + m
        if k == 10:
            return self.lea_any(d)
        if k == 11:
            return bytes([0x01 + 8 * op]) + modrm(3, s, d)         # alu r, r
        if k == 12:
            return bytes([0x03 + 8 * op]) + modrm(3, d, s)         # alu r, r (other direction)
        if k == 13:
            return b"\x83" + modrm(3, op, d) + bytes([self.imm8()])
        if k == 14:
            if d == 0 and r.random() < 0.5:
                return bytes([0x05 + 8 * op]) + struct.pack("<I", self.imm32())
            return b"\x81" + modrm(3, op, d) + struct.pack("<I", self.imm32())
        if k == 15:
            pre, m = self.mem(d)
            return pre + bytes([0x03 + 8 * op]) + m                # alu r, m
        if k == 16:
            pre, m = self.mem(s, write=op != 7)
            return pre + bytes([0x01 + 8 * op]) + m                # alu m, r
        if k == 17:
            pre, m = self.mem(op, write=op != 7)
            if r.random() < 0.5:
                return pre + b"\x83" + m + bytes([self.imm8()])
            return pre + b"\x81" + m + struct.pack("<I", self.imm32())
        if k == 18:
            if r.random() < 0.5:
                return b"\x85" + modrm(3, s, d)                    # test r, r
            if d == 0 and r.random() < 0.3:
                return b"\xa9" + struct.pack("<I", self.imm32())
            return b"\xf7" + modrm(3, 0, d) + struct.pack("<I", self.imm32())
        if k == 19:
            pre, m = self.mem(s)
            return pre + b"\x85" + m                               # test m, r
        if k == 20:
            return bytes([r.choice([0x40, 0x48]) + d])             # inc/dec r
        if k == 21:
            return b"\xff" + modrm(3, r.randrange(2), d)           # inc/dec r (FF form)
        if k == 22:
            pre, m = self.mem(r.randrange(2), write=True)
            return pre + b"\xff" + m                               # inc/dec m
        if k == 23:
            sh = r.choice([4, 5, 7, 4, 5, 7, 0, 1])                 # shl shr sar (rol ror)
            form = r.randrange(3)
            if form == 0:
                b = b"\xc1" + modrm(3, sh, d) + bytes([r.choice([0, 1, 2, 5, 31, 32, 33, r.randrange(256)])])
            elif form == 1:
                b = b"\xd1" + modrm(3, sh, d)
            else:
                b = b"\xd3" + modrm(3, sh, d)                      # by cl
            return self.after_undef(b)
        if k == 24:
            return b"\xf7" + modrm(3, r.choice([2, 3]), d)         # not / neg
        if k == 25:
            pre, m = self.mem(r.choice([2, 3]), write=True)
            return pre + b"\xf7" + m                               # not / neg m
        if k == 26:
            return b"\x0f" + bytes([r.choice([0xb6, 0xbe])]) + modrm(3, d, r.randrange(8))  # movzx/sx r, r8
        if k == 27:
            pre, m = self.mem(d, 1)
            return pre + b"\x0f" + bytes([r.choice([0xb6, 0xbe])]) + m
        if k == 28:
            pre, m = self.mem(d, 2)
            return pre + b"\x0f" + bytes([r.choice([0xb7, 0xbf])]) + m
        if k == 29:
            return b"\x0f\xb6" + modrm(3, ESI, r.randrange(8))     # movzx esi, r8 (the index)
        if k == 30:
            f = r.randrange(4)
            if f == 0:
                b = b"\x0f\xaf" + modrm(3, d, s)
            elif f == 1:
                b = b"\x6b" + modrm(3, d, s) + bytes([self.imm8()])
            elif f == 2:
                b = b"\x69" + modrm(3, d, s) + struct.pack("<I", self.imm32())
            else:
                pre, m = self.mem(d)
                b = pre + b"\x0f\xaf" + m
            return self.after_undef(b)
        if k == 31:
            return b"\x0f" + bytes([0x40 + r.randrange(16)]) + modrm(3, d, s)   # cmovcc r, r
        if k == 32:
            pre, m = self.mem(d)
            return pre + b"\x0f" + bytes([0x40 + r.randrange(16)]) + m
        if k == 33:
            return b"\x0f" + bytes([0x90 + r.randrange(16)]) + modrm(3, 0, r.choice(R8_DST))
        if k == 34:
            pre, m = self.mem(0, 1, write=True)
            return pre + b"\x0f" + bytes([0x90 + r.randrange(16)]) + m
        if k == 35:
            return bytes([0x50 + s, 0x58 + d])                     # push r; pop r
        if k == 36:
            return b"\x68" + struct.pack("<I", self.imm32()) + bytes([0x58 + d])
        if k == 37:
            pre, m = self.mem(6)
            return pre + b"\xff" + m + bytes([0x58 + d])           # push m; pop r
        if k == 38:
            return b"\x6a" + bytes([self.imm8()]) + bytes([0x58 + d])
        if k == 39:
            # push ebp; mov ebp, esp; push s; sub esp, 8; mov [ebp-x], r; leave
            return (b"\x55\x89\xe5" + bytes([0x50 + s]) + b"\x83\xec\x08"
                    + b"\x89" + modrm(1, r.choice(DATA), EBP) + bytes([0x100 - 4 * r.randrange(1, 4)])
                    + b"\xc9")
        if k == 40:
            return bytes([0x29 + 8 * r.choice([0, 1, 2])]) + modrm(3, d, d)  # sub/xor/cmp r, r (same)
        if k == 41:
            return b"\x90" * r.randrange(1, 4)
        if k == 42:
            return b"\x0f" + bytes([0xc8 + d])                      # bswap (no flags)
        if k == 43:
            return bytes([0x87]) + modrm(3, s if s in DATA else d, d)    # xchg r, r
        if k == 44:
            return bytes([r.choice([0x11, 0x19])]) + modrm(3, s, d)      # adc / sbb r, r
        return bytes([r.choice([0xf5, 0xf8, 0xf9])])                     # cmc clc stc

    def narrow(self, d, s, op):
        """8- and 16-bit forms (cmp byte [m], imm8 has a block form; the
        others run as handlers, inside blocks where data-only)."""
        r = self.rng
        k = r.randrange(10)
        if k == 8:
            return b"\x84" + modrm(3, r.randrange(8), r.randrange(8))    # test r8, r8
        if k == 9:
            pre, m = self.mem(r.randrange(8), 1)
            return pre + b"\x84" + m                                   # test m8, r8
        if k == 0:
            pre, m = self.mem(op, 1, write=op != 7)
            return pre + b"\x80" + m + bytes([self.imm8()])          # alu byte [m], imm8
        if k == 1:
            pre, m = self.mem(7, 1)
            return pre + b"\x80" + m + bytes([self.imm8()])          # cmp byte [m], imm8
        if k == 2:
            return bytes([0x00 + 8 * op]) + modrm(3, r.randrange(8), r.choice(R8_DST))   # alu r8, r8
        if k == 3:
            pre, m = self.mem(r.choice(R8_DST), 1)
            return pre + bytes([0x02 + 8 * op]) + m                 # alu r8, m8
        if k == 4:
            return b"\x66" + bytes([0x01 + 8 * op]) + modrm(3, s, d)  # alu r16, r16
        if k == 5:
            pre, m = self.mem(s, 2, write=op != 7)
            return b"\x66" + pre + bytes([0x01 + 8 * op]) + m       # alu m16, r16
        if k == 6:
            pre, m = self.mem(0, 1)
            return pre + b"\xf6" + m + bytes([self.imm8()])          # test byte [m], imm8
        return bytes([0x04 + 8 * op, self.imm8()])                  # alu al, imm8

    def stop_probe(self):
        """A flag producer, then an access that crosses a page boundary (a
        block always stops before it: the ordinary path runs it), then a
        consumer of the producer's flags: the flags a block keeps pending
        must be in place at the stop."""
        r = self.rng
        d = r.choice(DATA)
        s = r.choice(SRC)
        shift = False
        k = r.randrange(9)
        if k == 0:
            prod = bytes([r.choice([0x01, 0x29, 0x21, 0x09, 0x31, 0x39, 0x85])]) + modrm(3, s, d)
        elif k == 1:
            prod = b"\x83" + modrm(3, r.randrange(8) if not self.defined_only else r.choice([0, 5, 7]), d) \
                + bytes([self.imm8()])
        elif k in (2, 3):
            prod = bytes([r.choice([0x40, 0x48]) + d])                 # inc/dec
        elif k == 4:
            prod = b"\xf7" + modrm(3, 3, d)                           # neg
        elif k == 5:
            prod = b"\xc1" + modrm(3, r.choice([4, 5, 7]), d) + bytes([r.randrange(1, 32)])
            shift = True
        elif k == 6:
            prod = b"\x81" + modrm(3, r.randrange(8) if not self.defined_only else r.choice([0, 5, 7]), d) \
                + struct.pack("<I", self.imm32())
        elif k == 7:
            pre, m = self.mem(d)
            prod = pre + bytes([r.choice([0x03, 0x2b, 0x3b, 0x23])]) + m   # a memory producer
        else:
            prod = b"\x40" + bytes([0x48 + d])                        # inc eax; dec d
        # the page-crossing access: 1..3 bytes before a page end in the window
        addr = ((self.edi + 0x1000) & ~0xFFF) - r.randrange(1, 4)
        dst = r.choice([x for x in DATA if x != d] or DATA)
        acc = r.choice([b"\x8b" + modrm(0, dst, 5) + struct.pack("<I", addr & 0xFFFFFFFF),   # mov r, [x]
                        b"\x89" + modrm(0, s, 5) + struct.pack("<I", addr & 0xFFFFFFFF),     # mov [x], r
                        b"\xff" + modrm(0, 6, 5) + struct.pack("<I", addr & 0xFFFFFFFF)
                        + bytes([0x58 + dst])])                                              # push [x]; pop r
        cc = r.choice([2, 3, 4, 5, 8, 9, 10, 11]) if (shift and self.defined_only) else r.randrange(16)
        c = r.randrange(5)
        if c == 0:
            cons = b"\x0f" + bytes([0x90 + cc]) + modrm(3, 0, r.choice(R8_DST))      # setcc
        elif c == 1:
            cons = b"\x0f" + bytes([0x40 + cc]) + modrm(3, d, s)                     # cmovcc
        elif c == 2:
            cons = bytes([r.choice([0x11, 0x19])]) + modrm(3, s, d)                 # adc/sbb
        elif c == 3:
            cons = bytes([0x70 + cc, 1, 0x40 + r.choice(DATA)])                    # jcc over inc
        else:
            cons = b"\x9c" + bytes([0x58 + d])                                      # pushfd; pop d
            if self.defined_only:
                cons = b""                                                       # (AF/OF may be undefined)
        b = prod + acc + cons
        return self.after_undef(b) if shift else b

    def tight_loop(self):
        """A loop whose body is one block (block forms only, no branch but
        the back edge): blocks run it on themselves, so budgets and timer
        ticks end inside such runs."""
        r = self.rng
        body = b""
        for _ in range(r.randrange(1, 5)):
            d = r.choice(DATA)
            s = r.choice(SRC)
            body += r.choice([
                bytes([r.choice([0x01, 0x29, 0x21, 0x09, 0x31])]) + modrm(3, s, d),
                b"\x83" + modrm(3, r.choice([0, 1, 4, 5, 6]), d) + bytes([self.imm8()]),
                bytes([r.choice([0x40, 0x48]) + d]),
                b"\x8d" + modrm(1, d, 4) + sib(0, s if s != 4 else 0, d) + bytes([r.randrange(256)]),
                b"\x89" + modrm(3, s, d),
                b"\x8b" + modrm(1, d, EDI) + struct.pack("<b", r.randrange(-64, 124)),
                b"\x89" + modrm(1, d, EDI) + struct.pack("<b", r.randrange(-64, 124)),
            ])
        n = r.randrange(1, 60)
        back = -(len(body) + 1 + 2)
        # push ecx; mov ecx, n; top: body; dec ecx; jnz top; pop ecx
        return b"\x51\xb9" + struct.pack("<I", n) + body + b"\x49\x75" + struct.pack("<b", back) + b"\x59"

    def stopper(self):
        """Instructions the blocks do not take (they end a block)."""
        r = self.rng
        d = r.choice(DATA)
        s = r.choice(SRC)
        k = r.randrange(12)
        if k == 0:
            b = b"\x9c" + bytes([0x58 + d])                      # pushfd; pop d
            return (self.full_producer() + b) if self.defined_only else b
        if k == 1:
            fl = 0x202 | (r.getrandbits(12) & 0x8d5)
            return b"\x68" + struct.pack("<I", fl) + b"\x9d"      # push imm; popfd
        if k == 2:
            # a string op on the window (edi, esi, ecx saved)
            n = r.randrange(0, 9)
            op = r.choice([b"\xf3\xa4", b"\xf3\xa5", b"\xf3\xaa", b"\xf3\xab", b"\xac",
                           b"\xf3\xa6", b"\xf2\xae", b"\xa5", b"\xab"])
            dfl = r.choice([b"\xfc", b"\xfd"])
            lo = 0x40 if dfl == b"\xfd" else 0
            body = (b"\x57\x51\x56"
                    + b"\x8d\xb7" + struct.pack("<i", lo + r.randrange(0, 0x200))   # lea esi, [edi+x]
                    + b"\x8d\xbf" + struct.pack("<i", lo + r.randrange(0, 0x200))   # lea edi, [edi+y]
                    + b"\xb9" + struct.pack("<I", n) + dfl + op
                    + b"\x5e\x59\x5f\xfc")
            if op in (b"\xac",):
                body = b"\x50" + body + b"\x58"                  # lodsb writes al: keep eax
            return body
        if k == 3:
            if self.defined_only or r.random() < 0.5:
                # div by a non-zero 32-bit value: no #DE
                b = b"\x31\xd2" + b"\x83\xcb\x01" + b"\xf7\xf3"      # xor edx,edx; or ebx,1; div ebx
                return self.after_undef(b)
            # div/idiv r32 or m32 as they come: #DE on a zero divisor or a
            # quotient that does not fit (idiv -2^31 / -1 among them)
            sub = r.choice([6, 7])
            if r.random() < 0.5:
                b = b"\xf7" + modrm(3, sub, r.choice([0, 2, 3, 5, 1, 6, 7]))
            else:
                pre, m = self.mem(sub, 4)
                b = pre + b"\xf7" + m
            if r.random() < 0.3:
                b = b"\x99" + b                                    # cdq first
            return b
        if k == 4:
            pre, m = self.mem(s if s in DATA else d, write=True)
            return b"\xf0" + pre + bytes([r.choice([0x01, 0x09, 0x21, 0x29, 0x31])]) + m   # lock alu m, r
        if k == 5:
            pre, m = self.mem(d, write=True)
            return r.choice([b"\xf0", b""]) + pre + b"\x0f\xc1" + m                  # (lock) xadd
        if k == 6:
            pre, m = self.mem(d, write=True)
            return pre + b"\x87" + m                                                 # xchg m, r
        if k == 7:
            pre, m = self.mem(s, write=True)
            return r.choice([b"\xf0", b""]) + pre + b"\x0f\xb1" + m                  # cmpxchg
        if k == 8:
            pre, m = self.mem(s, write=True)
            return pre + bytes([r.choice([0x11, 0x19])]) + m                         # adc/sbb m, r
        if k == 9:
            b = b"\x9e"                                          # sahf
            if r.random() < 0.5:
                b = (self.full_producer() if self.defined_only else b"") + b"\x9f"    # lahf
            return b
        if k == 10:
            b = bytes([r.choice([0xd1, 0xd3])]) + modrm(3, r.choice([2, 3]), d)  # rcl/rcr
            return self.after_undef(b)
        # cdq, movsx r, r16, bt r, r
        return r.choice([b"\x99", b"\x0f\xbf" + modrm(3, d, s),
                         self.after_undef(b"\x0f\xa3" + modrm(3, s, d))])

    def jcc_skip(self, depth):
        """A conditional (or unconditional) forward branch over a unit."""
        r = self.rng
        inner = self.unit(depth + 1, flow=False)
        pre = b""
        if r.random() < 0.6:
            pre = self.full_producer() if r.random() < 0.5 else self.simple()
        cc = r.randrange(16)
        n = len(inner)
        k = r.randrange(4)
        if k == 3:
            j = bytes([0xeb, n]) if n < 128 else b"\xe9" + struct.pack("<i", n)
        elif n < 128 and k < 2:
            j = bytes([0x70 + cc, n])
        else:
            j = b"\x0f" + bytes([0x80 + cc]) + struct.pack("<i", n)
        return pre + j + inner

    def call_ret(self, depth):
        r = self.rng
        body = b"".join(self.unit(depth + 1, flow=False) for _ in range(r.randrange(1, 4))) + b"\xc3"
        n = len(body)
        jmp = bytes([0xeb, n]) if n < 128 else b"\xe9" + struct.pack("<i", n)
        return b"\xe8" + struct.pack("<i", len(jmp)) + jmp + body

    def indirect(self):
        r = self.rng
        d = r.choice(DATA)
        k = r.randrange(4)
        if k == 0:
            # call $+5; pop d; add d, 6+f; jmp d; filler; (target)
            f = bytes([0x40 + r.choice(DATA)]) * r.randrange(0, 3)
            return (b"\xe8\0\0\0\0" + bytes([0x58 + d]) + b"\x83" + modrm(3, 0, d)
                    + bytes([6 + len(f)]) + b"\xff" + modrm(3, 4, d) + f)
        if k == 1:
            # call $+5; pop d; add d, 8; call d; jmp +1; ret
            return (b"\xe8\0\0\0\0" + bytes([0x58 + d]) + b"\x83" + modrm(3, 0, d) + b"\x08"
                    + b"\xff" + modrm(3, 2, d) + b"\xeb\x01\xc3")
        # through memory: mov [edi+x], d; jmp/call [edi+x]
        x = r.randrange(-64, 124)
        m = modrm(1, 0, EDI)[0]
        st_ = bytes([0x89, m | (d << 3), x & 0xFF])
        if k == 2:
            f = bytes([0x40 + r.choice(DATA)]) * r.randrange(0, 3)
            j = bytes([0xff, m | (4 << 3), x & 0xFF])
            return (b"\xe8\0\0\0\0" + bytes([0x58 + d]) + b"\x83" + modrm(3, 0, d)
                    + bytes([1 + 3 + 3 + 3 + len(f)]) + st_ + j + f)
        j = bytes([0xff, m | (2 << 3), x & 0xFF])
        return (b"\xe8\0\0\0\0" + bytes([0x58 + d]) + b"\x83" + modrm(3, 0, d)
                + bytes([1 + 3 + 3 + 3 + 2]) + st_ + j + b"\xeb\x01\xc3")

    def inner_loop(self, depth):
        r = self.rng
        body = b"".join(self.unit(depth + 1, flow=True) for _ in range(r.randrange(1, 6)))
        head = b"\x51\xb9" + struct.pack("<I", r.randrange(1, 6))
        if r.random() < 0.3:
            back = -(len(body) + 2)
            if back >= -128:
                return head + body + b"\xe2" + struct.pack("<b", back) + b"\x59"    # loop
        tail = b"\x49"
        back = -(len(body) + 1 + 2)
        if back >= -128 and r.random() < 0.6:
            return head + body + tail + b"\x75" + struct.pack("<b", back) + b"\x59"
        back = -(len(body) + 1 + 6)
        return head + body + tail + b"\x0f\x85" + struct.pack("<i", back) + b"\x59"

    def unit(self, depth=0, flow=True):
        r = self.rng
        if self.extra and r.random() < self.extra_p:
            return r.choice(self.extra)(r)
        x = r.random()
        if self.allow is not None and not self.allow(x):
            x = 0.0
        if x < 0.08:
            return self.stop_probe()
        if x < 0.13 and flow and depth == 0:
            return self.tight_loop()
        if x < 0.62 or depth > 2:
            return self.simple()
        if x < 0.72:
            return self.stopper()
        if x < 0.84:
            return self.jcc_skip(depth)
        if x < 0.89:
            return self.call_ret(depth)
        if x < 0.94:
            return self.indirect()
        if flow:
            return self.inner_loop(depth)
        return self.simple()


def program(rng, edi, n_units, loops, **kw):
    """mov ecx, loops; top: units; dec ecx; jnz top; int3."""
    g = Gen(rng, edi, **kw)
    body = b"".join(g.unit() for _ in range(n_units))
    head = b"\xb9" + struct.pack("<I", loops)
    back = -(len(body) + 1 + 6)
    return head + body + b"\x49\x0f\x85" + struct.pack("<i", back) + b"\xcc"


# ---- flags the manual leaves undefined (kw86's table and iced-x86) ----

_ICED = ((iced_x86.RflagsBits.OF, 0x800), (iced_x86.RflagsBits.SF, 0x80),
         (iced_x86.RflagsBits.ZF, 0x40), (iced_x86.RflagsBits.AF, 0x10),
         (iced_x86.RflagsBits.PF, 0x4), (iced_x86.RflagsBits.CF, 0x1))


@functools.lru_cache(maxsize=1 << 16)
def flag_effects(code):
    """(read, modified, undefined) status flags of the instruction at the
    start of `code`: the union of kw86's table and iced-x86's view."""
    try:
        ins = decode(code, bits=32)
    except IncompleteInstruction:
        return 0x8d5, 0x8d5, 0x8d5
    ic = iced_x86.Decoder(32, code).decode()
    conv = lambda u: sum(b for f, b in _ICED if u & f)
    und = (ins.flags_undefined | conv(ic.rflags_undefined)) & 0x8d5
    mod = (ins.flags_written | ins.flags_undefined | conv(ic.rflags_modified)) & 0x8d5
    rd = (ins.flags_read | conv(ic.rflags_read)) & 0x8d5
    return rd, mod, und
