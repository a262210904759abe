"""Conformance, second round: wider sweeps against the independent oracles.

(1) The decoder against iced-x86 (tests/test_decoder_iced.py's rules and
    DIVERGENCES) where the first round's sweeps do not reach: long and
    repeated/conflicting prefix runs (up to and past the 15-byte limit) on
    the whole one- and two-byte opcode space, every 0F 38 / 0F 3A byte
    (SSSE3 and later: a P6 has none of them, kw86's CPUID claims none, so
    each must be #UD), the x87 escapes D8-DF with every ModRM under every
    prefix, and instructions built to be exactly 15 and 16 bytes long.
(2) Execution against Unicorn on short sequences built per instruction
    class (the setup instructions load the operands the class is about):
    BCD adjusts, string instructions with every prefix mix and both DF
    values, shifts/rotates/SHLD/SHRD by 0, 1 and >= 32, BT* with register
    bit offsets far outside the operand, BSF/BSR of 0, MUL/IMUL/DIV/IDIV
    edges and #DE, XLAT (16/32-bit addresses, overrides), ENTER/LEAVE
    nesting, PUSH/POP of (E)SP and of segment registers, CMPXCHG8B equal
    and unequal, the group-1 ALU rows, CBW/CWD/LAHF/SAHF/SALC/BSWAP.
    Unicorn's known wrong places are tests/unicorn_oracle.py's
    KNOWN_UNICORN_BUGS (each handled per the manual there).
(3) Protected-mode system behaviour against the Intel SDM (no oracle runs
    interrupt delivery: Unicorn hands every exception to its hook instead of
    the IDT): INT n gate checks and error codes, the stack of an inner level,
    privileged instructions at CPL 3, CR0/CR4 writes.

Budgets follow the hypothesis profile (tests/conftest.py: CI is smaller).
"""

import random
import struct

import pytest
from hypothesis import settings

import unicorn_oracle as U
from test_decoder_iced import TAIL, _PREFIX_BYTES, compare
from kw86.decoder import decode
from kw86.testing import (FlatCPU, GDT, IDT, KCODE, KDATA, KSTACK, KTEXT, TSS, UTEXT,
                          desc, gate, make_system)


def budget(dev, ci):
    """dev examples under the dev profile, ci under CI's (60 examples)."""
    return ci if settings.default.max_examples <= 60 else dev


# ---------------------------------------------------------------------------
# (1) decoder vs iced-x86

PREFIXES = sorted(_PREFIX_BYTES)


def _sweep(cases):
    bad = []
    n = 0
    for data, bits in cases:
        n += 1
        r = compare(data, bits)
        if r:
            bad.append(r)
    assert not bad, f"{len(bad)} of {n} disagree with iced-x86, e.g.:\n" + "\n".join(bad[:20])
    return n


@pytest.mark.parametrize("bits", [32, 16])
def test_long_prefix_runs_whole_opcode_space(bits):
    """0-15 prefixes drawn from all eleven (repeats, 66+67, F2 and F3
    together, several segments, LOCK anywhere) before every one- and
    two-byte opcode; iced and kw86 must agree on the length, the operands
    and #UD / #GP (more than 15 bytes: SDM Vol. 2A §2.1 'instruction length
    limit ... #GP')."""
    rng = random.Random(f"prefix-runs-{bits}")
    per_opcode = budget(6, 1)

    def cases():
        for two in (False, True):
            for op in range(256):
                if not two and (op in _PREFIX_BYTES or op == 0x0F):
                    continue
                for _ in range(per_opcode):
                    k = rng.choice((1, 2, 3, 4, 5, 8, 11, 12, 13, 14, 15))
                    pfx = bytes(rng.choice(PREFIXES) for _ in range(k))
                    esc = bytes([rng.randrange(256)]) if two and op in (0x38, 0x3A) else b""
                    body = bytes(rng.randrange(256) for _ in range(12))
                    yield pfx + (b"\x0f" if two else b"") + bytes([op]) + esc + body, bits

    assert _sweep(cases()) > 400


@pytest.mark.parametrize("bits", [32, 16])
def test_three_byte_escapes_are_undefined(bits):
    """0F 38 xx and 0F 3A xx: every third byte, plain and with 66/F2/F3, four
    ModRM classes.  None is a P6 instruction (SSSE3/SSE4 and later), so
    both say #UD (iced: not P6; kw86: undefined)."""
    def cases():
        for esc in (0x38, 0x3A):
            for b3 in range(256):
                for modrm in (0x00, 0x05, 0x44, 0xC0):
                    for p in (b"", b"\x66", b"\xf2", b"\xf3"):
                        yield p + bytes([0x0F, esc, b3, modrm]) + TAIL, bits
    _sweep(cases())
    for esc in (0x38, 0x3A):
        for b3 in range(0, 256, 17):
            ins = decode(bytes([0x0F, esc, b3, 0xC0]) + TAIL, bits=bits)
            assert not ins.valid and ins.fault != "GP", (esc, b3, ins)


@pytest.mark.parametrize("bits", [32, 16])
def test_x87_every_modrm_every_prefix(bits):
    """D8-DF x every ModRM under no prefix, 66, 67, 66 67, F0 (LOCK: #UD on
    any x87 instruction), F2, F3, a segment override and 9B (FWAIT, its own
    instruction): length, operands (memory sizes of FNSTENV/FLDENV/FNSAVE
    follow the operand size) and validity agree."""
    def cases():
        for op in range(0xD8, 0xE0):
            for modrm in range(256):
                for p in (b"", b"\x66", b"\x67", b"\x66\x67", b"\xf0", b"\xf2", b"\xf3",
                          b"\x26", b"\x9b"):
                    yield p + bytes([op, modrm]) + TAIL, bits
    assert _sweep(cases()) == 8 * 256 * 9


@pytest.mark.parametrize("bits", [32, 16])
def test_exactly_fifteen_and_sixteen_bytes(bits):
    """Instructions padded with prefixes to exactly 15 bytes decode; one
    more prefix is #GP (SDM Vol. 2A §2.1: 'the maximum length ... is 15
    bytes'; Vol. 3A Table 6-2 lists it as #GP).  Bodies with ModRM, SIB,
    displacements and immediates of each size."""
    bodies = ["90", "01c0", "8b4c2408", "8b8c2410203040", "c7842410203040aabbccdd",
              "81c078563412", "0fafc3", "0fba6c240805", "69842410203040aabbccdd",
              "f70501020304aabbccdd", "d9042401020304"[:6]]
    for body in bodies:
        body = bytes.fromhex(body)
        n = decode(body + bytes(8), bits=bits).length
        body = body[:n]
        for pfx in (0x3E, 0x66, 0x2E, 0x26):
            if decode(bytes([pfx]) + body + bytes(8), bits=bits).length != n + 1:
                continue            # 66 changes the size of this body's immediate
            for total in (14, 15, 16, 17):
                k = total - len(body)
                if k < 0:
                    continue
                data = bytes([pfx]) * k + body + TAIL
                r = compare(data, bits)
                assert r is None, r
                ins = decode(data, bits=bits)
                if total <= 15:
                    assert ins.valid and ins.length == total, (data.hex(), ins)
                else:
                    assert not ins.valid and ins.fault == "GP", (data.hex(), ins)


@pytest.mark.parametrize("bits", [32, 16])
def test_sixteen_byte_instruction_executes_as_gp(bits):
    """Executed: 15 bytes run, 16 and 17 are #GP(0) with nothing changed
    (SDM Vol. 2A §2.1; Vol. 3A §6.15 Interrupt 13: 'exceeding the
    instruction length limit of 15 bytes')."""
    body = bytes.fromhex("8b8c2410203040" if bits == 32 else "8b8c1020")
    for n in (14, 15, 16, 17):
        cpu = FlatCPU(bits=bits, cpl=3)
        cpu.write_mem(0x1000, b"\x3e" * (n - len(body)) + body)
        cpu.set_reg("eip", 0x1000)
        cpu.set_reg("esp", 0x8000)
        e = cpu.step()
        if n <= 15:
            assert e is None and cpu.get_reg("eip") == 0x1000 + n
        else:
            assert e is not None and (e.vector, e.error_code) == (13, 0)
            assert cpu.get_reg("eip") == 0x1000 and cpu.get_reg("ecx") == 0


# ---------------------------------------------------------------------------
# (2) execution vs Unicorn, per instruction class

SEGP = [b"\x26", b"\x2e", b"\x36", b"\x3e", b"\x64", b"\x65"]
SHIFT_COUNTS = (0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 255)


def _imm(bits, v):
    return struct.pack("<I", v & 0xFFFFFFFF) if bits == 32 else struct.pack("<H", v & 0xFFFF)


def _mov(bits, r, v):
    return bytes([0xB8 + r]) + _imm(bits, v)


def _data(bits, off=0x8000):
    """An offset in the data window (16-bit code: DS/ES/SS are based there)."""
    return (U.DATA_BASE + off) if bits == 32 else off


def _val(rng):
    return rng.choice(U.SPECIAL) if rng.random() < 0.6 else rng.getrandbits(32)


def g_bcd(rng, bits):
    op = rng.choice((0x27, 0x2F, 0x37, 0x3F, 0xD4, 0xD5))
    last = bytes([op, rng.choice((10, 10, 0, 1, 16, 0xFF, rng.randrange(256)))]) \
        if op >= 0xD4 else bytes([op])          # AAM 0: #DE
    return [_mov(bits, 0, rng.getrandbits(16)), bytes([rng.choice((0xF8, 0xF9))]),
            rng.choice((b"\x9e", b"\x90")), last]        # SAHF: AF from AH


def g_string(rng, bits):
    out = [_mov(bits, 6, _data(bits, rng.randrange(0x10000))),
           _mov(bits, 7, _data(bits, rng.randrange(0x10000))),
           _mov(bits, 1, rng.choice((0, 1, 2, 3, 17, 64, 0x10001))), _mov(bits, 0, _val(rng)),
           bytes([rng.choice((0xFC, 0xFD))])]                      # CLD / STD
    pre = b""
    for _ in range(rng.choice((0, 1, 1, 2, 3))):
        pre += rng.choice([b"\xf3", b"\xf2", b"\x66", b"\x67", rng.choice(SEGP)])
    if b"\xf3" in pre and b"\xf2" in pre:
        pre = pre.replace(b"\xf2", b"")     # both: reserved (SDM Vol. 2A §2.1.1)
    op = rng.choice((0xA4, 0xA5, 0xA6, 0xA7, 0xAA, 0xAB, 0xAC, 0xAD, 0xAE, 0xAF))
    return out + [pre + bytes([op])]


def g_shift(rng, bits):
    r = rng.randrange(8)
    out = [_mov(bits, 3, _val(rng)), _mov(bits, 1, rng.choice(SHIFT_COUNTS)),
           bytes([rng.choice((0xF8, 0xF9))])]
    pre = rng.choice((b"", b"", b"\x66"))
    k = rng.randrange(4)
    if k == 0:
        out.append(pre + bytes([rng.choice((0xC0, 0xC1)), 0xC3 | r << 3,
                                rng.choice(SHIFT_COUNTS)]))
    elif k == 1:
        out.append(pre + bytes([rng.choice((0xD0, 0xD1)), 0xC3 | r << 3]))
    elif k == 2:
        out.append(pre + bytes([rng.choice((0xD2, 0xD3)), 0xC3 | r << 3]))
    else:
        out.append(_mov(bits, 2, _val(rng)))
        op = rng.choice((0xA4, 0xA5, 0xAC, 0xAD))
        out.append(pre + bytes([0x0F, op, 0xD3])
                   + (bytes([rng.choice(SHIFT_COUNTS)]) if op in (0xA4, 0xAC) else b""))
    return out


def g_bt(rng, bits):
    off = rng.choice((0, 1, 31, 32, 33, 63, 64, 0x7FFF, 0x8000, 0xFFFF, 0x10000, -1, -32, -33,
                      -0x8000, 0x3FFFF, -0x3FFFF, 0x7FFFF, -0x7FFF))
    pre = rng.choice((b"", b"\x66"))
    out = [_mov(bits, 3, _data(bits)), _mov(bits, 1, off)]
    if rng.random() < 0.3:
        return out + [pre + bytes([0x0F, 0xBA, 0x03 | rng.randrange(4, 8) << 3,
                                   rng.randrange(256)])]
    modrm = rng.choice((0x0B, 0xCB))
    # LOCK only with the memory form: LOCK BT* r, r aborts Unicorn 2.1 (SIGABRT);
    # its #UD is checked on kw86 alone (test_lock_on_register_bit_ops_is_ud)
    lock = rng.choice((b"", b"\xf0")) if modrm == 0x0B else b""
    return out + [lock + pre + bytes([0x0F, rng.choice((0xA3, 0xAB, 0xB3, 0xBB)), modrm])]


def g_bsf(rng, bits):
    return [_mov(bits, 0, _val(rng)),
            _mov(bits, 3, rng.choice((0, 0, 1, 0x80000000, 0x10000, _val(rng)))),
            rng.choice((b"", b"\x66")) + bytes([0x0F, rng.choice((0xBC, 0xBD)),
                                                rng.choice((0xC3, 0x03))])]


def g_muldiv(rng, bits):
    out = [_mov(bits, 0, _val(rng)), _mov(bits, 2, rng.choice((0, 0, 0xFFFFFFFF, 1, _val(rng)))),
           _mov(bits, 3, rng.choice((0, 1, 0xFFFFFFFF, 2, 0x80000000, 0xFFFF, 0xFF, 0x7FFFFFFF,
                                     _val(rng))))]
    pre = rng.choice((b"", b"\x66"))
    osize = 32 if (bits == 32) != (pre == b"\x66") else 16
    k = rng.randrange(3)
    if k == 0:
        out.append(pre + bytes([rng.choice((0xF6, 0xF7)), 0xC3 | rng.randrange(4, 8) << 3]))
    elif k == 1:
        out.append(pre + b"\x0f\xaf\xc3")
    else:
        out.append(pre + rng.choice((b"\x6b\xc3" + bytes([rng.randrange(256)]),
                                     b"\x69\xc3" + _imm(osize, _val(rng)))))
    return out


def g_xlat(rng, bits):
    return [_mov(bits, 3, _data(bits, rng.choice((0, 0x8000, 0xFFF0, 0xFFFF)))),
            _mov(bits, 0, _val(rng)),
            rng.choice((b"", b"\x67", rng.choice(SEGP), b"\x67" + rng.choice(SEGP))) + b"\xd7"]


def g_enter(rng, bits):
    return [_mov(bits, 5, _data(bits, rng.choice((0x9000, 0x8800)))),
            rng.choice((b"", b"\x66")) + b"\xc8"
            + struct.pack("<HB", rng.choice((0, 4, 8, 0x11, 0x100)),
                          rng.choice((0, 1, 2, 3, 5, 31, 32, 33))),
            rng.choice((b"", b"\x66")) + b"\xc9"]


def g_stack(rng, bits):
    a = b"" if bits == 32 else b"\x67"          # [esp] forms need 32-bit addressing
    cand = [b"\x54", b"\x5c", b"\x66\x54", b"\x66\x5c", a + b"\xff\x34\x24",
            a + b"\x8f\x04\x24", a + b"\x8f\x44\x24\x04", b"\x06", b"\x0e", b"\x16", b"\x1e",
            b"\x0f\xa0", b"\x0f\xa8", b"\x66\x1e", b"\x66\x0f\xa0", b"\x1e\x07", b"\x1e\x0f\xa1",
            b"\x06\x0f\xa9", b"\x66\x1e\x66\x07", b"\x16\x17", b"\x60", b"\x61", b"\x66\x60",
            b"\x66\x61", b"\x9c", b"\x66\x9c", a + b"\x8d\x64\x24\xfc"]
    out = []
    for _ in range(rng.randrange(1, 4)):
        c = rng.choice(cand)
        while c:
            n = decode(c, bits=bits).length
            out.append(c[:n])
            c = c[n:]
    return out


def g_cx8(rng, bits):
    src = b"\x0e" if bits == 32 else b"\x0c"           # [esi] / [si]
    out = [_mov(bits, 6, _data(bits, rng.randrange(0, 0x10000, 4)))]
    if rng.random() < 0.5:                             # EDX:EAX = m64: the equal case
        out += [b"\x8b\x06" if bits == 32 else b"\x66\x8b\x04",
                b"\x8b\x56\x04" if bits == 32 else b"\x66\x8b\x54\x04"]
    else:
        out += [_mov(bits, 0, _val(rng)), _mov(bits, 2, _val(rng))]
    out += [_mov(bits, 3, _val(rng)), _mov(bits, 1, _val(rng))]
    return out + [rng.choice((b"", b"\xf0", b"\x66")) + b"\x0f\xc7" + src]


def g_grp1(rng, bits):
    pre = rng.choice((b"", b"", b"\x66", b"\xf0"))
    op = rng.choice((0x80, 0x81, 0x83))
    mod = rng.choice((0, 3, 3))
    modrm = (mod << 6) | rng.randrange(8) << 3 | (3 if mod == 3 else (7 if bits == 32 else 5))
    osize = 32 if (bits == 32) != (pre == b"\x66") else 16
    tail = _imm(osize, _val(rng)) if op == 0x81 else bytes([rng.randrange(256)])
    return [_mov(bits, 3, _val(rng)), _mov(bits, 7, _data(bits, rng.randrange(0x10000))),
            bytes([rng.choice((0xF8, 0xF9))]), pre + bytes([op, modrm]) + tail]


def g_misc(rng, bits):
    return [_mov(bits, 0, _val(rng)), _mov(bits, 2, _val(rng)),
            rng.choice((b"\x98", b"\x66\x98", b"\x99", b"\x66\x99", b"\x9f", b"\x9e", b"\xf5",
                        b"\xd6", b"\x0f\xc8", b"\x0f\xcb"))]


CLASSES = {f.__name__[2:]: f for f in (g_bcd, g_string, g_shift, g_bt, g_bsf, g_muldiv, g_xlat,
                                       g_enter, g_stack, g_cx8, g_grp1, g_misc)}


class Batch(U.Batch):
    """U.Batch whose kw86 machines use Unicorn's GDT (U.GDT), so that segment
    register reloads (POP DS, POP FS ...) find the same descriptors on both
    machines (in 16-bit code the data segments are based at U.DATA_BASE;
    FlatCPU's own GDT is flat)."""

    def run(self, bits, regs, eflags, insns):
        if bits not in self.pairs:
            uc, kw = U.make_pair(bits, self.seed, self.cpl)
            kw.machine.set_gdt(U.GDT, 8 * 8 - 1)
            self.pairs[bits] = (uc, kw)
        # every run starts with the data selector in DS ES FS GS SS (a run
        # before may have loaded others)
        from unicorn.x86_const import (UC_X86_REG_DS, UC_X86_REG_ES, UC_X86_REG_FS,
                                       UC_X86_REG_GS, UC_X86_REG_SS)
        uc, kw = self.pairs[bits]
        data_sel = U.CPL_SELECTORS[self.cpl][1]
        for name, r in (("ds", UC_X86_REG_DS), ("es", UC_X86_REG_ES), ("fs", UC_X86_REG_FS),
                        ("gs", UC_X86_REG_GS), ("ss", UC_X86_REG_SS)):
            if kw.get_reg(name) != data_sel or uc.uc.reg_read(r) != data_sel:
                uc.uc.reg_write(r, data_sel)
                kw.machine.load_segment(name, data_sel)
        super().run(bits, regs, eflags, insns)


@pytest.mark.parametrize("cpl", [3, 0])
@pytest.mark.parametrize("cls", sorted(CLASSES))
def test_instruction_classes_vs_unicorn(cls, cpl):
    rng = random.Random(f"class-{cls}-{cpl}")
    batch = Batch(seed=len(cls), cpl=cpl)
    gen = CLASSES[cls]
    n = budget(400, 80)
    for k in range(n):
        bits = rng.choice((32, 16))
        regs, fl = U.gen_state(rng, bits)
        if k % 50 == 0:
            batch.seed = k
            batch.finish()
            batch.pairs.clear()
        batch.run(bits, regs, fl, gen(rng, bits) + gen(rng, bits))
    stats = batch.finish()
    print(f"\n{cls} cpl{cpl}: {stats.insns} instructions, {stats.compared} compared, "
          f"{stats.exceptions} exceptions, overrides {stats.overrides}")
    assert stats.compared > stats.insns * 0.8


SREG = {"es": 0, "ss": 2, "ds": 3, "fs": 4, "gs": 5}


def g_sreg(rng, bits, cpl, segst):
    """segst: the segments known to hold the data selector (memory accesses
    only through those: a null selector or a code segment there is #GP on
    kw86 per the manual, where Unicorn does not check)."""
    code_sel, data_sel = U.CPL_SELECTORS[cpl]
    sels = [data_sel, data_sel, code_sel, 0, 3, 0x10, 0x08, 0x28, 0x40, 0x44, 0x04 | 3, 0x30,
            0x38, 0x18, 0x20, 0x1B, 0x23, 0x13]
    sel = rng.choice(sels)
    seg = rng.choice(list(SREG))
    out = [_mov(bits, 0, (rng.getrandbits(16) << 16) | sel)]
    k = rng.randrange(5)
    if k in (2, 4) and "ds" not in segst:
        k = 0
    if k == 0:
        out.append(rng.choice((b"", b"\x66")) + bytes([0x8E, 0xC0 | SREG[seg] << 3]))  # mov s, ax
    elif k == 1:
        out.append(rng.choice((b"", b"\x66")) + b"\x50")   # push eax
        out.append(rng.choice((b"", b"\x66")) + {"es": b"\x07", "ss": b"\x17", "ds": b"\x1f",
                                                  "fs": b"\x0f\xa1", "gs": b"\x0f\xa9"}[seg])
    elif k == 2:
        ptr = _data(bits, rng.randrange(0, 0x10000, 2))
        out.append(_mov(bits, 6, ptr))
        o16 = rng.random() < 0.4
        pre = b"\x66" if o16 else b""
        # store offset:selector at [esi] via mov [esi], imm ; mov [esi+off], ax
        if bits == 32:
            out.append(b"\xc7\x06" + struct.pack("<I", rng.getrandbits(32)))
            out.append(b"\x66\x89\x46" + bytes([2 if o16 else 4]))
        else:
            out.append(b"\x66\xc7\x04" + struct.pack("<I", rng.getrandbits(32)))
            out.append(b"\x89\x44" + bytes([2 if o16 else 4]))
        op = {"es": b"\xc4", "ds": b"\xc5", "ss": b"\x0f\xb2", "fs": b"\x0f\xb4",
              "gs": b"\x0f\xb5"}[seg]
        out.append(pre + op + (b"\x1e" if bits == 32 else b"\x1c"))   # lXs ebx, [esi]
    elif k == 3:
        out.append(rng.choice((b"", b"\x66"))
                   + bytes([0x8C, 0xC0 | rng.randrange(6) << 3 | rng.randrange(8)]))  # mov r, s
    else:
        out.append(bytes([0x8C, (rng.randrange(6) << 3) | (6 if bits == 32 else 4)]))  # mov [esi],s
    if k in (0, 1, 2):
        if sel == data_sel:
            segst.add(seg)
        else:
            segst.discard(seg)
    # read through the segment (loaded with a data selector): mov ecx, seg:[edi]
    if k in (0, 1, 2) and seg in segst and rng.random() < 0.7:
        pfx = {"es": b"\x26", "ss": b"\x36", "ds": b"\x3e", "fs": b"\x64", "gs": b"\x65"}[seg]
        out.append(_mov(bits, 7, _data(bits, rng.randrange(0x10000))))
        out.append(pfx + (b"\x8b\x0f" if bits == 32 else b"\x67\x8b\x0f"))
    return out


@pytest.mark.parametrize("cpl", [3, 0])
def test_segment_register_loads_vs_unicorn(cpl):
    """MOV Sreg, r16 / POP Sreg / LDS LES LFS LGS LSS (16- and 32-bit
    pointers) / MOV r, Sreg / MOV m16, Sreg with selectors of every kind in
    Unicorn's GDT (the data and code segments of both rings, null with any
    RPL, the empty slot, past the limit, LDT with no LDT), then a read
    through the loaded segment; on both machines with the same GDT (Batch).
    Segment loads are excluded from test_cpu_vs_unicorn.py's random
    sequences (FlatCPU's own GDT differs from Unicorn's there).  Memory is
    accessed only through segments that hold the data selector: through a
    null selector or a code segment the manual's #GP(0) (SDM Vol. 3A §3.4.2,
    §3.4.5.1) is kw86's and Unicorn does not check."""
    rng = random.Random(f"sreg-{cpl}")
    batch = Batch(seed=7, cpl=cpl)
    for k in range(budget(800, 250)):
        bits = rng.choice((32, 16))
        regs, fl = U.gen_state(rng, bits)
        segst = set(SREG)
        insns = g_sreg(rng, bits, cpl, segst) + g_sreg(rng, bits, cpl, segst)
        if k % 50 == 0:
            batch.finish()
            batch.pairs.clear()
        batch.run(bits, regs, fl, insns)
    stats = batch.finish()
    assert stats.compared > 0.9 * stats.insns and stats.exceptions > stats.insns // 50


@pytest.mark.parametrize("code", ["f00fa3cb", "f00fabcb", "f00fb3cb", "f00fbbcb",
                                  "f0660fbbcb", "f00fbae305", "f00fbaeb05"])
def test_lock_on_register_bit_ops_is_ud(code):
    """LOCK with a register destination: #UD (SDM Vol. 2A LOCK: 'an
    undefined opcode exception will also be generated if the LOCK prefix is
    used with any instruction not in the above list or ... the destination
    operand is not a memory operand').  Not run on Unicorn (it aborts)."""
    for bits in (32, 16):
        cpu = FlatCPU(bits=bits)
        cpu.write_mem(0x1000, bytes.fromhex(code))
        cpu.set_reg("eip", 0x1000)
        cpu.set_reg("ebx", 0x1234)
        e = cpu.step()
        assert e is not None and e.vector == 6 and cpu.get_reg("eip") == 0x1000
        assert cpu.get_reg("ebx") == 0x1234


# ---------------------------------------------------------------------------
# (3) system behaviour against the manual


def _system(cpl=3):
    """make_system plus GDT 0x38: a ring-0 data segment of 17 bytes at
    0x50000 (a stack with no room), 0x40: a ring-0 code segment of 4 KiB,
    0x48: a ring-3 code segment of 4 KiB, 0x50: a ring-3 data segment that
    is not present, 0x58: a ring-3 data segment of 17 bytes at 0x60000, 0x60:
    a DPL-3 call gate to 0x40:2000h (past that segment's limit)."""
    m = make_system(cpl=cpl)
    m.intercept = set(range(32))
    extra = (desc(0x50000, 0x10, 0x3, 0) + desc(0, 0xFFF, 0xB, 0) + desc(0, 0xFFF, 0xB, 3)
             + desc(0, 0xFFFFFFFF, 0x3, 3, p=0) + desc(0x60000, 0x10, 0x3, 3)
             + gate(0x40, 0x2000, 0xC, 3))
    m.write(GDT + 0x38, extra)
    m.set_gdt(GDT, 0x38 + len(extra) - 1)
    return m


def _run(m, code):
    m.write(UTEXT, code)
    m.set_reg("eip", UTEXT)
    r = m.run(1)
    return None if r.exception is None else (r.exception.vector, r.exception.error_code)


def test_inner_stack_without_room_is_ss_with_the_new_selector():
    """INT n through a gate to ring 0 whose stack (SS0:ESP0 from the TSS)
    cannot take the frame: #SS(new SS selector + EXT), the state unchanged
    (SDM Vol. 2A INT n, INTER-PRIVILEGE-LEVEL-INTERRUPT: 'IF new stack does
    not have room for 24 bytes (error code pushed) or 20 bytes (no error
    code pushed) THEN #SS(segment selector + EXT)'); the same through a call
    gate (Vol. 2A CALL, 'IF stack does not have room for parameters plus 16
    bytes THEN #SS(SS selector)').  kw86 reported #SS(0) before."""
    for code in (b"\xcd\x80", b"\x9a\0\0\0\0\x33\0"):        # int 0x80; call 0x33:0
        m = _system()
        m.write(TSS + 4, struct.pack("<II", 0x8, 0x38))       # ESP0 8, SS0 0x38
        esp = m.get_reg("esp")
        assert _run(m, code) == (12, 0x38)
        assert m.cpl == 3 and m.get_reg("eip") == UTEXT and m.get_reg("esp") == esp
    # on the current stack (no privilege change): #SS(0)
    m = _system(cpl=0)
    m.write(IDT + 0x80 * 8, gate(KCODE, KTEXT, 0xE, 0))
    m.load_segment("ss", 0x3B & ~3)
    m.set_reg("esp", 0x8)
    m.write(KTEXT + 0x400, b"\xcd\x80")
    m.set_reg("eip", KTEXT + 0x400)
    e = m.run(1).exception
    assert (e.vector, e.error_code) == (12, 0)


def test_hardware_event_on_an_inner_stack_without_room_is_a_double_fault():
    """#DE at CPL 3 through a gate whose ring-0 stack has no room: the #SS
    (contributory) while delivering #DE (contributory) is #DF(0) (SDM Vol.
    3A §6.15, Table 6-5)."""
    m = _system()
    m.write(TSS + 4, struct.pack("<II", 0x8, 0x38))
    m.write(IDT, gate(KCODE, KTEXT, 0xE, 0))
    m.intercept = set(range(1, 32))
    m.set_reg("eax", 1)
    m.set_reg("ecx", 0)
    assert _run(m, b"\xf7\xf1") == (8, 0)


@pytest.mark.parametrize("what,setup,code,want", [
    # SDM Vol. 2A INT n Operation, PROTECTED-MODE and the gate/target checks
    ("vector past the IDT limit", "limit", "cd80", (13, 0x80 * 8 + 2)),
    ("a call gate in the IDT", "callgate", "cd80", (13, 0x80 * 8 + 2)),
    ("gate DPL < CPL (int n)", "dpl0", "cd80", (13, 0x80 * 8 + 2)),
    ("gate DPL < CPL (int3)", "dpl0_3", "cc", (13, 3 * 8 + 2)),
    ("gate DPL < CPL (into, OF=1)", "dpl0_4", "ce", (13, 4 * 8 + 2)),
    ("gate not present", "np", "cd80", (11, 0x80 * 8 + 2)),
    ("null target selector", "null", "cd80", (13, 0)),
    ("null target selector, RPL 3", "null3", "cd80", (13, 0)),
    ("target past the GDT limit", "far", "cd80", (13, 0x200)),
    ("target is a data segment", "data", "cd80", (13, KDATA)),
    ("target code segment not present", "cnp", "cd80", (11, 0x40)),
    ("EIP past the target's limit", "eip", "cd80", (13, 0)),
    ("SS0 null", "ss0null", "cd80", (10, 0)),
    ("SS0 RPL != target DPL", "ss0rpl", "cd80", (10, KDATA)),
    ("SS0 a code segment", "ss0code", "cd80", (10, KCODE)),
    ("SS0 not present", "ss0np", "cd80", (12, 0x38)),
])
def test_int_n_gate_checks(what, setup, code, want):
    m = _system()
    m.intercept_soft = False
    g = IDT + 0x80 * 8
    if setup == "limit":
        m.set_idt(IDT, 0x80 * 8 - 1)
    elif setup == "callgate":
        m.write(g, gate(KCODE, KTEXT, 0xC, 3))
    elif setup == "dpl0":
        m.write(g, gate(KCODE, KTEXT, 0xE, 0))
    elif setup in ("dpl0_3", "dpl0_4"):
        v = int(setup[-1])
        m.write(IDT + v * 8, gate(KCODE, KTEXT, 0xE, 0))
        m.intercept = set(range(32)) - {v}
        m.set_reg("eflags", 0xA02)
    elif setup == "np":
        m.write(g, gate(KCODE, KTEXT, 0xE, 3, p=0))
    elif setup in ("null", "null3", "far", "data"):
        m.write(g, gate({"null": 0, "null3": 3, "far": 0x200, "data": KDATA}[setup], KTEXT,
                        0xE, 3))
    elif setup == "cnp":
        m.write(GDT + 0x40, desc(0, 0xFFFFFFFF, 0xB, 0, p=0))
        m.write(g, gate(0x40, KTEXT, 0xE, 3))
    elif setup == "eip":
        m.write(g, gate(0x40, 0x2000, 0xE, 3))
    elif setup.startswith("ss0"):
        sel = {"ss0null": 0, "ss0rpl": KDATA | 3, "ss0code": KCODE, "ss0np": 0x38}[setup]
        if setup == "ss0np":
            m.write(GDT + 0x38, desc(0, 0xFFFFFFFF, 0x3, 0, p=0))
        m.write(TSS + 8, struct.pack("<I", sel))
    esp, eip = m.get_reg("esp"), UTEXT
    assert _run(m, bytes.fromhex(code)) == want, what
    assert m.cpl == 3 and m.get_reg("esp") == esp and m.get_reg("eip") == eip


def test_icebp_is_not_subject_to_the_gate_dpl():
    """F1 (INT1, ICEBP) raises #DB like a hardware event: no DPL check
    against a DPL-0 gate (SDM Vol. 2A INT n Operation: the gate-DPL check is
    made for a software interrupt 'Generated by INT n, INT3, or INTO; does
    not apply to INT1'); it is delivered to ring 0."""
    m = _system()
    m.intercept = set(range(32)) - {1}
    m.write(IDT + 8, gate(KCODE, KTEXT, 0xE, 0))
    assert _run(m, b"\xf1") is None
    assert m.cpl == 0 and m.get_reg("eip") == KTEXT and m.get_reg("esp") == KSTACK - 20


@pytest.mark.parametrize("code", ["cb", "ca0800", "cf"], ids=["retf", "retf_imm", "iretd"])
@pytest.mark.parametrize("ss,want", [(KDATA, (13, KDATA)), (0x53, (11 + 1, 0x50)),
                                     (0x23, (13, 0))],
                         ids=["ss_rpl", "ss_not_present", "ss_good"])
def test_outer_return_checks_ss_before_the_eip_limit(code, ss, want):
    """RETF / IRETD from CPL 0 to a ring-3 code segment of 4 KiB with a
    return EIP past its limit: the new SS is checked first (#GP(SS
    selector) for a wrong RPL, #SS(SS selector) when not present), the EIP
    last (#GP(0)).  SDM Vol. 2B RET, RETURN-TO-OUTER-PRIVILEGE-LEVEL, and
    IRET, RETURN-TO-OUTER-PRIVILEGE-LEVEL (same order).  kw86's RETF checked
    the EIP first."""
    m = _system(cpl=0)
    esp = KSTACK - 0x40
    frame = [0x2000, 0x4B] + ([0x202] if code == "cf" else []) + [0x30000 - 0x40, ss]
    if code == "ca0800":
        frame[2:2] = [0, 0]                     # the 8 released bytes of parameters
    m.write(esp, b"".join(struct.pack("<I", v) for v in frame))
    m.write(KTEXT + 0x400, bytes.fromhex(code))
    m.set_reg("eip", KTEXT + 0x400)
    m.set_reg("esp", esp)
    e = m.run(1).exception
    assert (e.vector, e.error_code) == want
    assert m.cpl == 0 and m.get_reg("esp") == esp and m.get_reg("eip") == KTEXT + 0x400


@pytest.mark.parametrize("case,want", [
    ("call_direct_no_room", (12, 0)),
    ("call_direct_room", (13, 0)),
    ("call_gate_inner_no_room", (12, 0x38)),
    ("call_gate_inner_ss0_null", (10, 0)),
    ("call_gate_inner_room", (13, 0)),
    ("int_inner_no_room", (12, 0x38)),
    ("int_inner_room", (13, 0)),
])
def test_stack_checks_come_before_the_new_eip_limit(case, want):
    """A far CALL or INT n whose new EIP lies past the target code segment's
    limit: the stack is checked first (the TSS stack and its SS for an inner
    level, then the room for the frame: #TS / #SS), the EIP after it
    (#GP(0)).  SDM Vol. 2A CALL Operation (CONFORMING- and NONCONFORMING-
    CODE-SEGMENT: 'IF stack not large enough for return address THEN
    #SS(0)' before 'IF tempEIP outside code segment limit THEN #GP(0)';
    MORE-PRIVILEGE: '#SS(NewSS)' before 'IF CallGate(InstructionPointer)
    not within new code-segment limit THEN #GP(0)') and INT n (the new
    stack's room before 'IF instruction pointer is not within code segment
    limits THEN #GP(0)').  kw86 checked the EIP first."""
    m = _system()
    if case.startswith("call_direct"):
        code = b"\x9a\x00\x20\x00\x00\x4b\x00"          # call 0x4b:0x2000
        if case.endswith("no_room"):
            m.load_segment("ss", 0x5B)
            m.set_reg("esp", 0x4)
    elif case.startswith("call_gate"):
        code = b"\x9a\x00\x00\x00\x00\x63\x00"          # call 0x63:0 (the gate)
    else:
        code = b"\xcd\x80"
        m.write(IDT + 0x80 * 8, gate(0x40, 0x2000, 0xE, 3))
    if case.endswith("inner_no_room"):
        m.write(TSS + 4, struct.pack("<II", 0x8, 0x38))
    elif case.endswith("ss0_null"):
        m.write(TSS + 8, struct.pack("<I", 0))
    esp, ss = m.get_reg("esp"), m.get_reg("ss")
    assert _run(m, code) == want
    assert m.cpl == 3 and m.get_reg("esp") == esp and m.get_reg("ss") == ss
    assert m.get_reg("eip") == UTEXT
    assert m.read(0x50000, 0x11) == bytes(0x11) and m.read(0x60000, 0x11) == bytes(0x11)


@pytest.mark.parametrize("setup,want", [
    ("np", (11, 1 * 8 + 2 + 1)),            # gate not present: #NP(IDT index, IDT, EXT)
    ("limit", (13, 1 * 8 + 2 + 1)),         # past the IDT limit
    ("target_np", (11, 0x40 + 1)),          # target code segment not present
    ("dpl0", None),                         # no DPL check: delivered
])
def test_icebp_delivery_faults_have_ext_set(setup, want):
    """A fault while delivering F1's #DB has EXT = 1 (SDM Vol. 3A §6.13,
    Error Code: EXT 'is cleared if the exception occurred during delivery
    of a software interrupt (INT n, INT3, or INTO)'; INT1 is delivered like
    a hardware event, INT n Operation: the DPL check 'does not apply to
    INT1').  INT 1 (CD 01) through the same gate is a software interrupt:
    EXT = 0.  kw86 gave EXT = 0 for F1."""
    for code, soft in ((b"\xf1", False), (b"\xcd\x01", True)):
        m = _system()
        m.intercept = set(range(32)) - {1}
        m.intercept_soft = False
        if setup == "np":
            m.write(IDT + 8, gate(KCODE, KTEXT, 0xE, 3, p=0))
        elif setup == "limit":
            m.set_idt(IDT, 8 - 1)
        elif setup == "target_np":
            m.write(GDT + 0x40, desc(0, 0xFFFFFFFF, 0xB, 0, p=0))
            m.write(IDT + 8, gate(0x40, KTEXT, 0xE, 3))
        else:
            m.write(IDT + 8, gate(KCODE, KTEXT, 0xE, 0))
        got = _run(m, code)
        if setup == "dpl0":
            assert got == ((13, 8 + 2) if soft else None), (code, got)
        else:
            assert got == (want if not soft else (want[0], want[1] & ~1)), (code, got)


PRIVILEGED_AT_CPL3 = [
    ("hlt", "f4"), ("cli", "fa"), ("sti", "fb"), ("mov cr0, eax", "0f22c0"),
    ("mov eax, cr0", "0f20c0"), ("mov eax, cr3", "0f20d8"), ("mov dr7, eax", "0f23f8"),
    ("mov eax, dr6", "0f21f0"), ("clts", "0f06"), ("lgdt", "0f0110"), ("lidt", "0f0118"),
    ("lmsw", "0f01f0"), ("invlpg", "0f0138"), ("rdmsr", "0f32"), ("wrmsr", "0f30"),
    ("invd", "0f08"), ("wbinvd", "0f09"), ("lldt", "0f00d0"), ("ltr", "0f00d8"),
    ("in al, 0x80 (IOPL 0, no TSS bitmap)", "e480"), ("out dx, al", "ee"), ("insb", "6c"),
    ("outsd", "6f"), ("sysexit", "0f35")]


@pytest.mark.parametrize("name,code", PRIVILEGED_AT_CPL3, ids=[p[0] for p in PRIVILEGED_AT_CPL3])
def test_privileged_instructions_at_cpl3(name, code):
    """#GP(0) at CPL 3 with IOPL 0, nothing changed (SDM Vol. 3A §5.9
    'Privileged Instructions'; CLI/STI/IN/OUT/INS/OUTS: IOPL-sensitive,
    §18.2, Vol. 2 CLI/IN 'IF CPL > IOPL ... #GP(0)'; SYSEXIT Vol. 2B 'IF CPL
    != 0 THEN #GP(0)')."""
    cpu = FlatCPU(bits=32, cpl=3)
    cpu.write_mem(0x1000, bytes.fromhex(code))
    cpu.set_reg("eip", 0x1000)
    cpu.set_reg("eax", 0x3000)
    cpu.set_reg("ecx", 0x10)
    e = cpu.step()
    assert e is not None and (e.vector, e.error_code) == (13, 0), (name, e)
    assert cpu.get_reg("eip") == 0x1000 and cpu.machine.get_cr(0) == 0x00010015


@pytest.mark.parametrize("code,check", [
    ("0f0100", "sgdt"), ("0f0108", "sidt"), ("0f01e0", "smsw"), ("0f00c8", "str"),
    ("0f00c0", "sldt"), ("fa", "cli_iopl3")])
def test_unprivileged_at_cpl3(code, check):
    """SGDT, SIDT, SMSW, STR, SLDT run at CPL 3 on a P6 (no UMIP: SDM Vol. 2B
    SGDT 'can be executed at any privilege level'); CLI at IOPL 3."""
    cpu = FlatCPU(bits=32, cpl=3)
    cpu.write_mem(0x1000, bytes.fromhex(code))
    cpu.set_reg("eip", 0x1000)
    cpu.set_reg("eax", 0x3000)
    cpu.set_reg("eflags", 0x3202 if check == "cli_iopl3" else 0x202)
    assert cpu.step() is None
    assert cpu.get_reg("eip") == 0x1000 + len(bytes.fromhex(code))
    if check in ("sgdt", "sidt"):
        limit, base = struct.unpack("<HI", cpu.read_mem(0x3000, 6))
        want = cpu.machine.gdtr if check == "sgdt" else cpu.machine.idtr
        assert (base, limit) == tuple(want)
    elif check == "smsw":
        assert cpu.get_reg("eax") & 0xFFFF == 0x0015
    elif check == "cli_iopl3":
        assert not cpu.get_reg("eflags") & 0x200


@pytest.mark.parametrize("value,want", [
    (0x80000010, "gp"),        # PG without PE: #GP(0)
    (0x20000011, "gp"),        # NW without CD: #GP(0)
    (0x60000011, 0x60000011),
    (0x00000001, 0x00000011),  # ET is hard-wired to 1 on a P6
    (0x00000111, 0x00000011),  # reserved bits ignored on write (read back 0)
])
def test_mov_cr0_checks(value, want):
    """SDM Vol. 2B MOV to CR0: '#GP(0) if an attempt is made to set the PG
    flag when the PE flag is clear; ... the NW flag when the CD flag is
    clear'; Vol. 3A §2.5: ET 'hardcoded to 1' on P6 processors; reserved
    bits are read as 0 and writes to them ignored (no #GP outside 64-bit
    mode)."""
    cpu = FlatCPU(bits=32, cpl=0)
    cpu.write_mem(0x1000, bytes.fromhex("0f22c0"))
    cpu.set_reg("eip", 0x1000)
    cpu.set_reg("eax", value)
    before = cpu.machine.get_cr(0)
    e = cpu.step()
    if want == "gp":
        assert e is not None and (e.vector, e.error_code) == (13, 0)
        assert cpu.machine.get_cr(0) == before
    else:
        assert e is None and cpu.machine.get_cr(0) == want


def test_mov_to_reserved_control_and_debug_registers():
    """MOV to/from CR1, CR5-CR7: #UD; DR4/DR5: aliases of DR6/DR7 when
    CR4.DE = 0, #UD when CR4.DE = 1 (SDM Vol. 2B MOV—Move to/from Control
    Registers and Debug Registers, Protected Mode Exceptions)."""
    for code, de, want in (("0f22c8", 0, 6), ("0f22e8", 0, 6), ("0f20f8", 0, 6),
                           ("0f21e0", 0, None), ("0f21e0", 1, 6), ("0f23e8", 1, 6)):
        cpu = FlatCPU(bits=32, cpl=0)
        if de:
            cpu.machine.set_cr(4, 0x8)
        cpu.write_mem(0x1000, bytes.fromhex(code))
        cpu.set_reg("eip", 0x1000)
        e = cpu.step()
        assert (e.vector if e else None) == want, code
        if code == "0f21e0" and not de:
            assert cpu.get_reg("eax") == cpu.get_reg("dr6")


def _lar_lsl_verr_verw_manual(op, s, typ, dpl, rpl, cpl):
    """ZF per SDM Vol. 2A LAR / LSL and Vol. 2B VERR/VERW: LAR accepts every
    code and data segment and the system types 1, 2, 3, 4, 5, 9, B, C; LSL
    every code and data segment and the types 1, 2, 3, 9, B; both check
    DPL >= CPL and DPL >= RPL except for conforming code segments.  VERR:
    data or readable code (conforming code without the DPL check); VERW:
    writable data.  The present bit is not checked."""
    conforming = s and (typ & 0xC) == 0xC
    privileged = dpl < cpl or dpl < rpl
    if op in ("lar", "lsl"):
        if not s and typ not in ((1, 2, 3, 4, 5, 9, 0xB, 0xC) if op == "lar"
                                 else (1, 2, 3, 9, 0xB)):
            return False
        return conforming or not privileged
    if not s:
        return False
    if op == "verr":
        if typ & 8 and not typ & 2:
            return False                # execute-only code
        return conforming or not privileged
    return not typ & 8 and bool(typ & 2) and not privileged


@pytest.mark.parametrize("cpl", [0, 1, 3])
def test_lar_lsl_verr_verw_every_descriptor_type(cpl):
    """Every descriptor type (S = 0/1 x 16) x DPL x present x selector RPL
    at CPL 0, 1, 3: ZF, LAR's access rights (dword 2 AND 00F0FF00h), LSL's
    byte-granular limit, the destination unchanged when ZF = 0; never a
    fault (the selector is in the GDT)."""
    cpu = FlatCPU(bits=32, cpl=cpl)
    gdt = cpu.gdt_base
    cpu.machine.set_gdt(gdt, 0x5F)
    bad, n = [], 0
    for s in (0, 1):
        for typ in range(16):
            for dpl in range(4):
                for p in (0, 1):
                    d = desc(0x12345, 0xABCDE, typ, dpl, s=s, p=p, db=1)
                    cpu.write_mem(gdt + 0x58, d)
                    for rpl in range(4):
                        for op, code in (("lar", "0f02c3"), ("lsl", "0f03c3"), ("verr", "0f00e3"),
                                         ("verw", "0f00eb")):
                            cpu.write_mem(0x1000, bytes.fromhex(code))
                            cpu.set_reg("eip", 0x1000)
                            cpu.set_reg("ebx", 0x58 | rpl)
                            cpu.set_reg("eax", 0xDEADBEEF)
                            cpu.set_reg("eflags", 0x202)
                            e = cpu.step()
                            n += 1
                            want = _lar_lsl_verr_verw_manual(op, s, typ, dpl, rpl, cpl)
                            zf = bool(cpu.get_reg("eflags") & 0x40)
                            eax = cpu.get_reg("eax")
                            if op == "lar" and want:
                                want_eax = struct.unpack("<I", d[4:])[0] & 0x00F0FF00
                            elif op == "lsl" and want:
                                want_eax = 0xABCDE
                            else:
                                want_eax = 0xDEADBEEF
                            if e is not None or zf != want or eax != want_eax:
                                bad.append(f"{op} S={s} type={typ:x} DPL={dpl} P={p} RPL={rpl}: "
                                           f"{e} ZF={zf} eax={eax:08x} (manual ZF={want})")
    assert n == 2 * 16 * 4 * 2 * 4 * 4
    assert not bad, "\n".join(bad[:20])


# Encodings of features kw86's CPUID does not report (SSE/SSE2/SSE3, SSSE3+,
# 3DNow!, AVX (VEX), SYSCALL/SYSRET, MONITOR, XGETBV, RDTSCP, RDRAND,
# POPCNT, CLFLUSH, the fences, the removed test registers) and the
# undefined opcodes UD0/UD1/UD2: executed, each must be #UD, at CPL 3 and 0.
UNCLAIMED = ["0f05", "0f07", "0f0b", "0f0e", "0f37", "0f01d0", "0f01c8", "0f01c9", "0f01f9",
             "0fc7f0", "f30fb8c0", "0fb8c0", "0fff00", "0fb900", "0f1000", "660f1000",
             "f30f1000", "0f2800", "0f5800", "0fae10", "0fae18", "0faee8", "0faef0", "0faef8",
             "0fae38", "0f0d00", "0f0f00", "0f3800", "0f3a0000", "0fc300", "0fc200", "0fc400",
             "0fc500", "0fc600", "0fd600", "0fe700", "0f2b00", "0f2c00", "0f5000", "0f7800",
             "0f7900", "0f7c00", "0f7d00", "0fd400", "0ff400", "0ffb00", "0fd700", "0fda00",
             "0fde00", "0fe000", "0fe300", "0fe400", "0fea00", "0fee00", "0ff600", "660f6f00",
             "f30f6f00", "f20f5800", "c5f877", "c4e17d6f00", "0f01e8", "0f01ee", "0f01ef",
             "0fa6", "0fa7", "0f24c0", "0f26c0", "0faa"]


@pytest.mark.parametrize("cpl", [3, 0])
def test_unclaimed_features_execute_as_ud(cpl):
    """SDM Vol. 2: an instruction whose CPUID feature flag is clear is #UD
    (each instruction's 'Protected Mode Exceptions': '#UD If CPUID.01H:EDX.SSE
    [bit 25] = 0' and so on); RSM outside SMM is #UD (Vol. 2B RSM); MOV to/
    from TR3-TR7 is #UD on a P6 (Vol. 3B ch. 22, IA-32 compatibility, 'Test
    Registers': removed from the Pentium and later processors; executing
    MOV to or from them is #UD).
    FlatCPU(x87=True): CR0.EM clear, so x87/MMX encodings are not #NM."""
    bad = []
    for code in UNCLAIMED:
        cpu = FlatCPU(bits=32, cpl=cpl, x87=True)
        cpu.write_mem(0x1000, bytes.fromhex(code) + bytes(8))
        cpu.set_reg("eip", 0x1000)
        cpu.set_reg("eax", 0x3000)
        e = cpu.step()
        if e is None or e.vector != 6 or cpu.get_reg("eip") != 0x1000:
            bad.append(f"{code}: {e}")
    assert not bad, bad


# ---------------------------------------------------------------------------
# (2b) x87 sequences vs Unicorn: results, TOP, tags, memory and EFLAGS (FCOMI)
# after 2-9 instructions from states of normal operands, all exceptions masked,
# 64-bit precision, any rounding control, no stack fault (the generator tracks
# the stack depth).  Unicorn's x87 status word is not compared (see
# tests/test_cpu_x87_unicorn.py KNOWN_UNICORN_X87_BUGS); in EFLAGS:

UNICORN_FCOMI_FLAGS = (
    "FCOMI/FCOMIP/FUCOMI/FUCOMIP clear OF, SF and AF (iced-x86 lists them as cleared; the "
    "host's Intel CPU clears them from 1, tests/test_cpu_conformance2.py::"
    "test_fcomi_clears_of_sf_af_on_the_host); Unicorn 2.1 keeps them.  ZF PF CF are compared "
    "with Unicorn, OF SF AF are checked to be 0 on kw86.")

X87_CODE, X87_DATA, X87_STATE, X87_OUT = 0x1000, 0x8000, 0x9000, 0xA000
_J = 1 << 63


def _normal80(R):
    return (R.randrange(2) << 15 | R.randrange(16383 - 40, 16383 + 40), _J | R.getrandbits(63))


def _m(slot):
    return struct.pack("<I", X87_DATA + 16 * slot)


def x87_sequence(R, depth, n):
    """n x87 instructions valid from a stack of `depth` registers (never
    under- or overflowing it): loads, arithmetic (register, real and
    integer memory forms, reversed and popping ones), compares (FCOM,
    FCOMI, FUCOMPP, FTST, FXAM), FCMOVcc, FXCH, FSQRT, FRNDINT, stores
    (FST/FSTP m32/m64/m80, FIST(P) m16/m32/m64)."""
    d = depth
    out = []
    for _ in range(n):
        opts = []
        if d < 8:
            opts += [(1, b"\xd9\xe8"), (1, b"\xd9\xee"), (1, b"\xd9\x05" + _m(0)),
                     (1, b"\xdd\x05" + _m(1)), (1, b"\xdb\x2d" + _m(2)), (1, b"\xdf\x05" + _m(3)),
                     (1, b"\xdb\x05" + _m(3)), (1, b"\xdf\x2d" + _m(3))]
            if d >= 1:
                opts.append((1, bytes([0xD9, 0xC0 + R.randrange(d)])))
        if d >= 1:
            i = R.randrange(d)
            opts += [(0, x) for x in (
                b"\xd9\xe0", b"\xd9\xe1", b"\xd9\xfc", b"\xd9\xfa", b"\xd9\xe4", b"\xd9\xe5",
                bytes([0xD9, 0xC8 + i]), bytes([0xDD, 0xD0 + i]), bytes([0xD8, 0xC0 + i]),
                bytes([0xD8, 0xC8 + i]), bytes([0xD8, 0xE0 + i]), bytes([0xD8, 0xE8 + i]),
                bytes([0xD8, 0xF0 + i]), bytes([0xD8, 0xF8 + i]), bytes([0xDC, 0xC0 + i]),
                bytes([0xDC, 0xE8 + i]), bytes([0xDC, 0xF8 + i]), bytes([0xD8, 0xD0 + i]),
                b"\xd8\x05" + _m(0), b"\xdc\x0d" + _m(1), b"\xd8\x25" + _m(0),
                b"\xdc\x35" + _m(1), b"\xda\x05" + _m(3), b"\xde\x0d" + _m(3),
                b"\xd9\x15" + _m(4), b"\xdd\x15" + _m(5), bytes([0xDB, 0xF0 + i]),
                bytes([0xDB, 0xE8 + i]), bytes([0xDA, 0xC0 + i]), bytes([0xDB, 0xD0 + i]),
                bytes([0xDA, 0xD8 + i]), bytes([0xDB, 0xC8 + i]))]
            opts += [(-1, x) for x in (
                bytes([0xDD, 0xD8 + i]), b"\xd9\x1d" + _m(6), b"\xdd\x1d" + _m(7),
                b"\xdb\x3d" + _m(8), b"\xdf\x1d" + _m(9), b"\xdb\x1d" + _m(9),
                b"\xdf\x3d" + _m(10), bytes([0xD8, 0xD8 + i]))]
            if d >= 2:
                j = R.randrange(1, d)
                opts += [(-1, bytes([0xDE, op + j])) for op in (0xC0, 0xC8, 0xE0, 0xE8, 0xF0, 0xF8)]
                opts += [(-2, b"\xde\xd9"), (-2, b"\xda\xe9"), (-1, bytes([0xDF, 0xF0 + j])),
                         (-1, bytes([0xDF, 0xE8 + j]))]
        delta, insn = R.choice(opts)
        d += delta
        out.append(insn)
    return out


def _x87_mem(R):
    b = bytearray(256)
    struct.pack_into("<f", b, 0, R.uniform(-1e4, 1e4))
    struct.pack_into("<d", b, 16, R.uniform(-1e6, 1e6))
    se, m = _normal80(R)
    struct.pack_into("<QH", b, 32, m, se)
    struct.pack_into("<q", b, 48, R.randrange(-30000, 30000))
    return bytes(b)


def _x87_uc(state, code, mem, eflags):
    from unicorn import Uc, UC_ARCH_X86, UC_MODE_32
    from unicorn.x86_const import UC_X86_REG_ESP, UC_X86_REG_EFLAGS
    uc = Uc(UC_ARCH_X86, UC_MODE_32)
    uc.mem_map(0, 0x20000)
    full = (b"\xdd\x25" + struct.pack("<I", X87_STATE) + code + b"\xdd\x35"
            + struct.pack("<I", X87_OUT) + b"\x90")
    uc.mem_write(X87_CODE, full)
    uc.mem_write(X87_STATE, state)
    uc.mem_write(X87_DATA, mem)
    uc.reg_write(UC_X86_REG_ESP, 0x7000)
    uc.reg_write(UC_X86_REG_EFLAGS, eflags)
    uc.emu_start(X87_CODE, X87_CODE + len(full) - 1)
    return bytes(uc.mem_read(X87_OUT, 108)), bytes(uc.mem_read(X87_DATA, 256)), \
        uc.reg_read(UC_X86_REG_EFLAGS)


def test_x87_sequences_vs_unicorn():
    import x87_oracle as O
    R = random.Random("x87-sequences")
    bad, fcomi = [], 0
    n = budget(1000, 300)
    for _ in range(n):
        depth = R.randrange(1, 8)
        rc = R.randrange(4)
        top = R.randrange(8)
        regs = [_normal80(R) for _ in range(depth)] + [(0, 0)] * (8 - depth)
        tw = sum(3 << (2 * ((top + i) & 7)) for i in range(depth, 8))
        state = O.image(0x37F | (rc << 10), top << 11, tw, regs)
        insns = x87_sequence(R, depth, R.randrange(2, 10))
        code = b"".join(insns)
        mem = _x87_mem(R)
        eflags = 0x2 | (R.randrange(1 << 12) & 0x8D5)
        uimg, umem, ufl = _x87_uc(state, code, mem, eflags)
        cpu = FlatCPU(x87=True)
        cpu.set_fpu(state)
        cpu.write_mem(X87_CODE, code)
        cpu.write_mem(X87_DATA, mem)
        cpu.set_reg("eip", X87_CODE)
        cpu.set_reg("esp", 0x7000)
        cpu.set_reg("eflags", eflags)
        exc = [cpu.step() for _ in insns]
        if any(e is not None for e in exc):
            bad.append(f"{code.hex()}: kw86 {exc}")
            continue
        kimg = cpu.get_fpu()
        kfl = cpu.get_reg("eflags")
        d = []
        if (uimg[5] ^ kimg[5]) & 0x38:         # TOP: status word bits 13:11
            d.append("TOP")
        if uimg[8:10] != kimg[8:10]:
            d.append("tags")
        if uimg[28:] != kimg[28:]:
            d.append("registers")
        if umem != cpu.read_mem(X87_DATA, 256):
            d.append("memory")
        mask = 0x8D5
        last_comi = max((k for k, i in enumerate(insns) if i[0] in (0xDB, 0xDF)
                         and 0xE8 <= i[1] < 0xF8), default=None)
        if last_comi is not None:
            fcomi += 1
            mask = 0x45                 # UNICORN_FCOMI_FLAGS
            if kfl & 0x890:
                d.append(f"FCOMI left OF/SF/AF {kfl & 0x890:#x}")
        if (ufl ^ kfl) & mask:
            d.append(f"eflags {ufl & mask:#x} != {kfl & mask:#x}")
        if d:
            bad.append(f"RC {rc} depth {depth} {[i.hex() for i in insns]}: {d}")
    assert not bad, f"{len(bad)} of {n}:\n" + "\n".join(bad[:10])
    assert fcomi > n // 10


def test_fcomi_clears_of_sf_af_on_the_host():
    """The host CPU (x86-64: FCOMI behaves the same) run directly: from
    EFLAGS with OF SF AF set, FCOMI leaves them 0 -- the reference for
    UNICORN_FCOMI_FLAGS; kw86 gives the same."""
    import ctypes
    import mmap
    import platform
    if platform.machine() not in ("x86_64", "AMD64"):
        pytest.skip("needs an x86-64 host")     # a host limit, not a missing build product
    # push rdi; popfq; fld1; fldz; fcomi st, st(1); pushfq; pop rax; fstp st0 x2; ret
    code = bytes.fromhex("579dd9e8d9eedbf19c58ddd8ddd8c3")
    buf = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    buf.write(code)
    f = ctypes.CFUNCTYPE(ctypes.c_uint64, ctypes.c_uint64)(
        ctypes.addressof(ctypes.c_char.from_buffer(buf)))
    host = f(0x202 | 0x8D5) & 0x8D5
    cpu = FlatCPU(x87=True)
    cpu.write_mem(0x1000, bytes.fromhex("d9e8d9eedbf1"))
    cpu.set_reg("eip", 0x1000)
    cpu.set_reg("eflags", 0x202 | 0x8D5)
    assert cpu.run(3) is None
    assert host == 0x001                        # 0 < 1: CF; OF SF AF ZF PF cleared
    assert cpu.get_reg("eflags") & 0x8D5 == host


@pytest.mark.parametrize("code,dx,patch,tss_limit,iomap,want", [
    ("e480", 0, {}, None, None, None),                    # port 80h: its bit is 0
    ("e580", 0, {}, None, None, (13, 0)),                 # in ax: 80h and 81h (denied)
    ("e57f", 0, {}, None, None, (13, 0)),                 # 7Fh (denied) and 80h
    ("e580", 0, {0x10: 0x00}, None, None, None),          # 80h-87h allowed
    ("66e580", 0, {0x10: 0x00}, None, None, None),        # in eax: 80h-83h
    ("e57e", 0, {0x10: 0x00, 0xF: 0x3F}, None, None, None),   # 7Eh 7Fh | 80h: two bytes
    ("e57e", 0, {0x10: 0x00, 0xF: 0x7F}, None, None, (13, 0)),  # 7Eh denied
    ("ec", 0xFFFF, {0x1FFF: 0x7F}, None, None, None),     # the last port, bit 7 of byte 1FFFh
    ("ed", 0xFFFF, {0x1FFF: 0x7F}, None, None, (13, 0)),  # FFFFh-10002h: byte 2000h (FFh)
    ("ec", 0xFFFF, {0x1FFF: 0x00}, 0x68 + 0x1FFF, None, (13, 0)),  # 2-byte read past the limit
    ("ec", 0xFFF0, {0x1FFE: 0x00}, 0x68 + 0x1FFF, None, None),
    ("e480", 0, {}, None, 0xFFFF, (13, 0)),               # bitmap base past the limit
    ("e480", 0, {}, 0x67, None, (13, 0)),                 # a TSS without a bitmap
    ("6c", 0x80, {}, None, None, None),                   # insb (ES:EDI writable)
    ("6d", 0x80, {}, None, None, (13, 0)),                # insd: 80h-83h
])
def test_io_permission_bitmap(code, dx, patch, tss_limit, iomap, want):
    """IN/OUT/INS at CPL 3 with IOPL 0: every bit of the accessed ports in the
    TSS I/O permission bitmap must be 0; the processor reads two bytes of the
    bitmap (a port range crossing a byte boundary), and any bitmap byte past
    the TSS limit counts as set (SDM Vol. 1, chapter 'Input/Output', section
    'I/O Permission Bit Map':
    'the processor reads two bytes ... #GP if any part of the bitmap that
    must be checked lies outside the TSS segment limit'; the bitmap base is
    the word at TSS offset 66h)."""
    m = make_system(cpl=3)
    m.intercept = set(range(32))
    for off, v in patch.items():
        m.write(TSS + 0x68 + off, bytes([v]))
    if iomap is not None:
        m.write(TSS + 0x66, struct.pack("<H", iomap))
    if tss_limit is not None:
        m.write(GDT + 0x28, desc(TSS, tss_limit, 0x9, 0, s=0, db=0))
        m.load_tr(0x28)
    for port in range(max(0, (dx or 0x80) - 3), min(0x10000, (dx or 0x80) + 4)):
        m.set_port_handler(port, read=lambda *a: 0x5A, write=lambda *a: None)
    m.set_reg("edx", dx)
    m.set_reg("edi", 0x30000 - 0x100)
    assert _run(m, bytes.fromhex(code)) == want
    assert m.get_reg("eip") == UTEXT + (0 if want else len(bytes.fromhex(code)))


@pytest.mark.parametrize("code", ["0fb10b", "0fb00b", "660fb10b", "0fc70b", "f00fb10b",
                                  "f00fc70b"])
@pytest.mark.parametrize("match", [False, True], ids=["unequal", "equal"])
def test_cmpxchg_writes_even_when_the_compare_fails(code, match):
    """CMPXCHG / CMPXCHG8B always make a write cycle to the destination: 'the
    destination operand is written back if the comparison fails' (SDM Vol. 2A
    CMPXCHG and CMPXCHG8B).  So an unequal compare on a read-only data
    segment is #GP(0) and on a read-only user page #PF with W = 1 (error
    code 7), the accumulator unchanged, exactly as an equal one."""
    cpu = FlatCPU(cpl=3)
    cpu.set_segment("ds", 0x23, 0, 0xFFFFFFFF, big=True, dpl=3, type=0x1)    # read-only data
    cpu.write_mem(0x3000, struct.pack("<II", 0x11223344, 0x55667788))
    cpu.write_mem(0x1000, bytes.fromhex(code))
    cpu.set_reg("eip", 0x1000)
    cpu.set_reg("ebx", 0x3000)
    acc = (0x11223344, 0x55667788) if match else (0x44, 0x0)
    cpu.set_reg("eax", acc[0])
    cpu.set_reg("edx", acc[1])
    e = cpu.step()
    assert e is not None and (e.vector, e.error_code) == (13, 0)
    assert (cpu.get_reg("eax"), cpu.get_reg("edx")) == acc
    m = make_system(cpl=3, paging=True)         # 0x51000: a user read-only page
    m.intercept = set(range(32))
    m.write(0x51000, struct.pack("<II", 0x11223344, 0x55667788))
    m.set_reg("ebx", 0x51000)
    m.set_reg("eax", acc[0])
    m.set_reg("edx", acc[1])
    assert _run(m, bytes.fromhex(code)) == (14, 7)
    assert m.get_cr(2) == 0x51000 and (m.get_reg("eax"), m.get_reg("edx")) == acc
    assert m.read(0x51000, 8) == struct.pack("<II", 0x11223344, 0x55667788)



# ---------------------------------------------------------------------------
# INT n delivery against a model of the manual's pseudo-code

_NG = 16            # GDT slots 7.._NG-1 random


class _Fault(Exception):
    """A fault the model predicts."""

    def __init__(self, vector, error):
        super().__init__(vector, error)
        self.vector, self.error = vector, error


def _fields(d):
    lo, hi = struct.unpack("<II", d)
    limit = (lo & 0xFFFF) | (hi & 0xF0000)
    if hi & (1 << 23):
        limit = (limit << 12) | 0xFFF
    return dict(lo=lo, hi=hi, base=(lo >> 16) | ((hi & 0xFF) << 16) | (hi & 0xFF000000),
                limit=limit, typ=(hi >> 8) & 0x1F, dpl=(hi >> 13) & 3, p=(hi >> 15) & 1,
                db=(hi >> 22) & 1)


def _int_n_model(gdt, idt, idt_limit, tss, vec, cpl, cur_ss, esp, eflags, ret_eip, cs_sel,
                 hw=False, err=None):
    """SDM Vol. 2A INT n Operation in protected mode (no task gates, GDT
    selectors only), check by check in the manual's order: a software
    interrupt, or (hw) an exception with error code err (None: none): no
    gate DPL check, EXT = 1 in the error codes the manual writes with '+
    EXT' / '(EXT)'.  Raises _Fault or returns the new state and the pushed
    values."""
    x = 1 if hw else 0
    if vec * 8 + 7 > idt_limit:
        raise _Fault(13, vec * 8 + 2 + x)
    g = _fields(idt[vec * 8:vec * 8 + 8])
    typ = g["typ"]
    if typ not in (0x6, 0x7, 0xE, 0xF):
        raise _Fault(13, vec * 8 + 2 + x)
    if g["dpl"] < cpl and not hw:
        raise _Fault(13, vec * 8 + 2)
    if not g["p"]:
        raise _Fault(11, vec * 8 + 2 + x)
    sel = g["lo"] >> 16
    off = (g["lo"] & 0xFFFF) | (g["hi"] & 0xFFFF0000 if typ & 8 else 0)
    if sel & ~3 == 0:
        raise _Fault(13, x)
    if sel & 4 or (sel & ~7) + 7 > len(gdt) - 1:
        raise _Fault(13, (sel & ~3) + x)
    c = _fields(gdt[sel & ~7:(sel & ~7) + 8])
    if c["typ"] & 0x18 != 0x18 or c["dpl"] > cpl:
        raise _Fault(13, (sel & ~3) + x)
    if not c["p"]:
        raise _Fault(11, (sel & ~3) + x)
    size = 4 if typ & 8 else 2
    vals = []
    if not c["typ"] & 4 and c["dpl"] < cpl:         # INTER-PRIVILEGE-LEVEL-INTERRUPT
        dpl = c["dpl"]
        new_esp, new_ss = struct.unpack_from("<IH", tss, 4 + 8 * dpl)
        if new_ss & ~3 == 0:
            raise _Fault(10, x)
        if new_ss & 4 or (new_ss & ~7) + 7 > len(gdt) - 1 or new_ss & 3 != dpl:
            raise _Fault(10, (new_ss & ~3) + x)
        s = _fields(gdt[new_ss & ~7:(new_ss & ~7) + 8])
        if s["dpl"] != dpl or s["typ"] & 0x1A != 0x12:
            raise _Fault(10, (new_ss & ~3) + x)
        if not s["p"]:
            raise _Fault(12, (new_ss & ~3) + x)
        vals = [cur_ss[0], esp]
        ss, sp, new_cpl, room_err = s, new_esp, dpl, (new_ss & ~3) + x
    else:                                           # INTRA-PRIVILEGE-LEVEL-INTERRUPT
        ss, sp, new_cpl, room_err, new_ss = cur_ss[1], esp, cpl, 0, cur_ss[0]
    vals += [eflags | (0x10000 if hw else 0), cs_sel, ret_eip] + ([] if err is None else [err])
    mask = 0xFFFFFFFF if ss["db"] else 0xFFFF
    sp &= mask
    expdown = (ss["typ"] & 0x1C) == 0x14
    for k in range(1, len(vals) + 1):           # every push where it lands
        o = (sp - k * size) & mask
        if (o <= ss["limit"] or o + size - 1 > mask) if expdown else o + size - 1 > ss["limit"]:
            raise _Fault(12, room_err)
    if off > c["limit"]:
        raise _Fault(13, 0)
    clear = 0x100 | 0x4000 | 0x10000 | 0x20000 | (0 if typ & 1 else 0x200)
    return dict(cs=(sel & ~3) | new_cpl, eip=off, ss=new_ss, esp=(sp - len(vals) * size) & mask,
                ss_base=ss["base"], sp=sp, vals=vals, size=size, mask=mask, cpl=new_cpl,
                eflags=eflags & ~clear)


def _rand_desc(R):
    dpl = R.randrange(4)
    p = 0 if R.random() < 0.1 else 1
    k = R.random()
    if k < 0.45:
        return desc(0, R.choice((0xFFFFFFFF, 0xFFFFF, 0x2FFFF, 0x1FFFF)), 8 | R.randrange(8), dpl,
                    p=p, db=R.choice((0, 1)))
    if k < 0.9:
        typ = R.randrange(8)
        limit = R.choice((0x100, 0xFFF, 0x7FF0) if typ & 4 else
                         (0xFFFF, 0x1FFF, 0x100, 0xFFF, 0x7FFF))
        return desc(R.choice((0x100000, 0x140000, 0x180000)), limit, typ, dpl, p=p,
                    db=R.choice((0, 1)))
    return desc(0x3000, 0x67, R.choice((0x9, 0x2, 0x0, 0xC)), dpl, s=0, p=p, db=0)


def _int_case(R):
    """A random machine and INT n; returns (machine, model result, what)."""
    cpl = R.choice((3, 3, 0))
    m = make_system(cpl=cpl, mem_size=4 << 20)
    m.intercept = set(range(32))
    m.intercept_soft = False
    gdt = bytearray(m.read(GDT, 7 * 8))
    for _ in range(7, _NG):
        gdt += _rand_desc(R)
    m.write(GDT, bytes(gdt))
    m.set_gdt(GDT, len(gdt) - 1)
    slots = range(7, _NG)
    vec = R.choice((0x40, 0x41, 0x80, 0xFF, 0x20))
    if R.random() < 0.5:
        codes = [k for k in slots if _fields(gdt[k * 8:k * 8 + 8])["typ"] & 0x18 == 0x18]
        sel = R.choice([KCODE, KCODE, KCODE, 0x1B] + [(k << 3) | R.randrange(4) for k in codes])
        g = gate(sel, R.choice((0x10000, 0xFFF0, 0x1000)), R.choice((0xE, 0xF, 0x6, 0x7)), 3)
    else:
        sel = R.choice([(k << 3) | R.randrange(4) for k in slots]
                       + [KCODE, 0x1B, 0, 3, 0x400, KDATA, _NG << 3])
        gtyp = R.choice((0xE, 0xF, 0xE, 0xF, 0x6, 0x7, 0xC, 0x4, 0x0, 0x1E))
        g = gate(sel, R.choice((0x10000, 0x10000, 0x1FFF0, 0x2FFFF, 0x30000, 0x123456)),
                 gtyp & 0xF, R.choice((3, 3, 3, 0, 1, 2)), p=0 if R.random() < 0.08 else 1)
        if gtyp == 0x1E:
            g = g[:5] + bytes([g[5] | 0x10]) + g[6:]        # S = 1: not a gate
    m.write(IDT + vec * 8, g)
    idt_limit = R.choice((0x7FF, 0x7FF, 0x7FF, vec * 8 + 6, vec * 8 + 7))
    m.set_idt(IDT, idt_limit)
    tss = bytearray(m.read(TSS, 0x68))
    for r in range(3):
        # often a stack segment valid for ring r, with an ESP at the edges of
        # its room (a 32-bit frame is 20 bytes, a 16-bit one 10)
        good = [k for k in slots if (lambda f: f["typ"] & 0x1A == 0x12 and f["dpl"] == r)(
            _fields(gdt[k * 8:k * 8 + 8]))] + ([KDATA >> 3] if r == 0 else [])
        if good and R.random() < 0.7:
            k = R.choice(good)
            ss0 = (k << 3) | r
            f = _fields(gdt[k * 8:k * 8 + 8])
            lim = f["limit"] if not f["typ"] & 4 else (0xFFFFFFFF if f["db"] else 0xFFFF)
            esp0 = R.choice((lim + 1, lim + 2, lim - 3, 0x14, 0x13, 0x0A, 0x09, 0x18, 0x10,
                             0x2000, f["limit"] + 0x14, f["limit"] + 0x0A)) & 0xFFFFFFFF
            if not 0x40 <= (f["base"] + esp0) & 0xFFFFFFFF < (4 << 20) - 0x40:
                esp0 = 0x2000           # the frame would lie outside guest memory
        else:
            ss0 = R.choice([(k << 3) | R.randrange(4) for k in slots]
                           + [KDATA, 0, (_NG << 3) | r])
            esp0 = R.choice((0x2000, 0x100, 0x14, 0x10, 0x8000, 0x10014, 0x1000))
        struct.pack_into("<IH", tss, 4 + 8 * r, esp0, ss0)
    m.write(TSS, bytes(tss))
    cur_ss = m.get_reg("ss")
    stacks = [k for k in slots if (lambda f: f["typ"] & 0x1A == 0x12 and f["dpl"] == cpl
                                   and f["p"])(_fields(gdt[k * 8:k * 8 + 8]))]
    if stacks and R.random() < 0.4:
        cur_ss = (R.choice(stacks) << 3) | cpl
        m.load_segment("ss", cur_ss)
        m.set_reg("esp", R.choice((0x2000, 0x100, 0xC, 0x10, 0x14, 0x1000, 0x30000, 0x7FF8)))
    esp = m.get_reg("esp")
    m.set_reg("eflags", 0x202 | R.choice((0, 0x4000, 0x40000)) | (R.randrange(1 << 12) & 0x8D5))
    at = UTEXT if cpl == 3 else KTEXT + 0x400
    m.write(at, bytes([0xCD, vec]))
    m.set_reg("eip", at)
    cur = (cur_ss, _fields(gdt[cur_ss & ~7:(cur_ss & ~7) + 8]))
    try:
        want = _int_n_model(bytes(gdt), m.read(IDT, 0x800), idt_limit, bytes(tss), vec, cpl, cur,
                            esp, m.get_reg("eflags"), at + 2, m.get_reg("cs"))
    except _Fault as f:
        want = (f.vector, f.error)
    return m, want, (f"cpl {cpl} gate {g.hex()} esp {esp:#x} ss {cur_ss:#x} "
                     f"tss {bytes(tss[4:28]).hex()}")


def _fault_as_the_manual(m, e, want, eip, esp, what, bad):
    """When the manual's answer (want) is a fault (vector, error code): kw86
    must have raised that one with EIP and ESP as before the instruction (a
    difference goes to bad); True, the case is done.  False when the manual
    completes the transfer."""
    if not isinstance(want, tuple):
        return False
    got = None if e is None else (e.vector, e.error_code)
    if got != want or m.get_reg("eip") != eip or m.get_reg("esp") != esp:
        bad.append(f"{what}: kw86 {got}, the manual {want}")
    return True


@pytest.mark.parametrize("seed", [1, 2])
def test_int_n_delivery_against_a_model_of_the_sdm(seed):
    """INT n (software interrupt, CPL 3 or 0) through random IDT gates
    (interrupt and trap, 16/32-bit, reserved types, not present, any DPL, the
    IDT limit just below or at the gate) to random code segments, with random
    descriptors as SS0-SS2 in the TSS (any type, DPL, present bit, limit,
    expand-down, B) and small current stacks, against a transcription of SDM
    Vol. 2A INT n Operation (PROTECTED-MODE, INTER- and INTRA-PRIVILEGE-LEVEL-
    INTERRUPT, each check in the manual's order): the vector and error code
    with nothing changed, or CS, EIP, SS, ESP, CPL, EFLAGS (TF NT RF VM
    cleared, IF by the gate type) and every pushed value (selectors: the low
    word).  TF stays clear: whether a single-step trap follows INT n is not
    modelled."""
    R = random.Random(f"int-model-{seed}")
    n = budget(2500, 400)
    bad, delivered = [], 0
    for _ in range(n):
        m, want, what = _int_case(R)
        eip, esp = m.get_reg("eip"), m.get_reg("esp")
        e = m.run(1).exception
        if _fault_as_the_manual(m, e, want, eip, esp, what, bad):
            continue
        delivered += 1
        if e is not None:
            bad.append(f"{what}: kw86 {(e.vector, e.error_code)}, the manual delivers")
            continue
        d = [k for k in ("cs", "eip", "ss") if m.get_reg(k) != want[k]]
        if m.get_reg("esp") & want["mask"] != want["esp"] or m.cpl != want["cpl"]:
            d.append("esp/cpl")
        if (m.get_reg("eflags") ^ want["eflags"]) & 0x274FD5:
            d.append("eflags")
        n_vals = len(want["vals"])
        selectors = {n_vals - 2} | ({0} if n_vals == 5 else set())
        for k, v in enumerate(want["vals"]):
            at = (want["ss_base"] + ((want["sp"] - (k + 1) * want["size"]) & want["mask"])) \
                & 0xFFFFFFFF
            got = int.from_bytes(m.read(at, want["size"]), "little")
            if (got ^ v) & (0xFFFF if k in selectors or want["size"] == 2 else 0xFFFFFFFF):
                d.append(f"pushed[{k}] {got:#x} != {v:#x}")
        if d:
            bad.append(f"{what}: {d}")
    assert not bad, f"{len(bad)} of {n} differ from the manual:\n" + "\n".join(bad[:10])
    assert delivered > n // 10 and n - delivered > n // 2



def _target_desc(gdt, sel):
    """The descriptor a call gate at sel names (hex), for messages."""
    d = gdt[sel & ~7:(sel & ~7) + 8]
    if len(d) < 8:
        return "-"
    t = (d[2] | d[3] << 8) & ~7
    return gdt[t:t + 8].hex() or "-"


def _call_far_model(gdt, tss, cpl, sel, off, o16, cur_ss, esp, old_stack, cs_sel, ret_eip):
    """SDM Vol. 2A CALL Operation, protected mode, far call to a code segment
    or through a call gate (no task gates, GDT selectors only)."""
    if sel & ~3 == 0:
        raise _Fault(13, 0)
    if sel & 4 or (sel & ~7) + 7 > len(gdt) - 1:
        raise _Fault(13, sel & ~3)
    d = _fields(gdt[sel & ~7:(sel & ~7) + 8])
    rpl = sel & 3

    def room(ss, sp, n, size, err):
        mask = 0xFFFFFFFF if ss["db"] else 0xFFFF
        expdown = (ss["typ"] & 0x1C) == 0x14
        for k in range(1, n + 1):
            o = (sp - k * size) & mask
            if (o <= ss["limit"] or o + size - 1 > mask) if expdown \
                    else o + size - 1 > ss["limit"]:
                raise _Fault(12, err)
        return mask

    if d["typ"] & 0x18 == 0x18:                     # a code segment
        if d["typ"] & 4:
            if d["dpl"] > cpl:
                raise _Fault(13, sel & ~3)
        elif rpl > cpl or d["dpl"] != cpl:
            raise _Fault(13, sel & ~3)
        if not d["p"]:
            raise _Fault(11, sel & ~3)
        size = 2 if o16 else 4
        mask = room(cur_ss[1], esp, 2, size, 0)
        eip = off & (0xFFFF if o16 else 0xFFFFFFFF)
        if eip > d["limit"]:
            raise _Fault(13, 0)
        return dict(cs=(sel & ~3) | cpl, eip=eip, ss=cur_ss[0], sp=esp & mask, mask=mask,
                    ss_base=cur_ss[1]["base"], size=size, vals=[cs_sel, ret_eip], cpl=cpl)
    if d["typ"] not in (0x4, 0xC):
        raise _Fault(13, sel & ~3)
    if d["dpl"] < cpl or rpl > d["dpl"]:
        raise _Fault(13, sel & ~3)
    if not d["p"]:
        raise _Fault(11, sel & ~3)
    tsel = d["lo"] >> 16
    gsize = 4 if d["typ"] == 0xC else 2
    toff = (d["lo"] & 0xFFFF) | ((d["hi"] & 0xFFFF0000) if gsize == 4 else 0)
    nparam = d["hi"] & 0x1F
    if tsel & ~3 == 0:
        raise _Fault(13, 0)
    if tsel & 4 or (tsel & ~7) + 7 > len(gdt) - 1:
        raise _Fault(13, tsel & ~3)
    t = _fields(gdt[tsel & ~7:(tsel & ~7) + 8])
    if t["typ"] & 0x18 != 0x18 or t["dpl"] > cpl:
        raise _Fault(13, tsel & ~3)
    if not t["p"]:
        raise _Fault(11, tsel & ~3)
    if not t["typ"] & 4 and t["dpl"] < cpl:         # MORE-PRIVILEGE
        dpl = t["dpl"]
        new_esp, new_ss = struct.unpack_from("<IH", tss, 4 + 8 * dpl)
        if new_ss & ~3 == 0:
            raise _Fault(10, 0)
        if new_ss & 4 or (new_ss & ~7) + 7 > len(gdt) - 1 or new_ss & 3 != dpl:
            raise _Fault(10, new_ss & ~3)
        s = _fields(gdt[new_ss & ~7:(new_ss & ~7) + 8])
        if s["dpl"] != dpl or s["typ"] & 0x1A != 0x12:
            raise _Fault(10, new_ss & ~3)
        if not s["p"]:
            raise _Fault(12, new_ss & ~3)
        params = [int.from_bytes(old_stack[k * gsize:(k + 1) * gsize], "little")
                  for k in range(nparam)][::-1]
        vals = [cur_ss[0], esp] + params + [cs_sel, ret_eip]
        mask = room(s, new_esp, len(vals), gsize, new_ss & ~3)
        if toff > t["limit"]:
            raise _Fault(13, 0)
        return dict(cs=(tsel & ~3) | dpl, eip=toff, ss=new_ss, sp=new_esp & mask, mask=mask,
                    ss_base=s["base"], size=gsize, vals=vals, cpl=dpl)
    mask = room(cur_ss[1], esp, 2, gsize, 0)        # SAME-PRIVILEGE
    if toff > t["limit"]:
        raise _Fault(13, 0)
    return dict(cs=(tsel & ~3) | cpl, eip=toff, ss=cur_ss[0], sp=esp & mask, mask=mask,
                ss_base=cur_ss[1]["base"], size=gsize, vals=[cs_sel, ret_eip], cpl=cpl)


@pytest.mark.parametrize("seed", [1, 2])
def test_far_call_against_a_model_of_the_sdm(seed):
    """CALL ptr16:16/32 at CPL 3 or 0 to random code segments (conforming or
    not, any DPL, RPL, present bit, limit) and through random call gates
    (16/32-bit, 0-2 parameters, any DPL, to random targets), with random
    TSS stacks as in the INT n model test, against a transcription of SDM
    Vol. 2A CALL Operation (CONFORMING-/NONCONFORMING-CODE-SEGMENT, CALL-GATE,
    MORE-PRIVILEGE, SAME-PRIVILEGE): the vector and error code with nothing
    changed, or CS, EIP, SS, ESP, CPL and every pushed value (parameters
    copied)."""
    R = random.Random(f"call-model-{seed}")
    n = budget(2500, 400)
    bad, delivered = [], 0
    for _ in range(n):
        m, _want, _what = _int_case(R)          # a random GDT, TSS and current stack
        cpl = m.cpl
        gdt = m.read(GDT, _NG * 8)
        slots = range(7, _NG)
        codes = [k for k in slots if _fields(gdt[k * 8:k * 8 + 8])["typ"] & 0x18 == 0x18]
        if R.random() < 0.5 and m.get_reg("ss") >> 3 != 15:
            # a call gate in slot 15 (not the current stack's) to a code segment
            tsel = R.choice([KCODE, 0x1B] + [(k << 3) | R.randrange(4) for k in codes]
                            + [0, 0x400, KDATA])
            g = gate(tsel, R.choice((0x10000, 0xFFF0, 0x1000, 0x123456)),
                     R.choice((0xC, 0xC, 0x4)), R.choice((3, 3, 0, 2)),
                     p=0 if R.random() < 0.08 else 1, params=R.choice((0, 1, 2)))
            m.write(GDT + 15 * 8, g)
            gdt = m.read(GDT, _NG * 8)
            sel = (15 << 3) | R.choice((0, 3, 3, 1))
        else:
            sel = R.choice([(k << 3) | R.randrange(4) for k in codes]
                           + [KCODE, 0x1B, 0x1B, 0, 0x400, KDATA, (_NG << 3) | 3])
        o16 = R.random() < 0.2
        off = R.choice((0x10000, 0x1000, 0xFFF0, 0x123456, 0x2FFFF))
        at = UTEXT if cpl == 3 else KTEXT + 0x400
        code = (b"\x66\x9a" + struct.pack("<HH", off & 0xFFFF, sel) if o16
                else b"\x9a" + struct.pack("<IH", off, sel))
        m.write(at, code)
        m.set_reg("eip", at)
        esp = m.get_reg("esp")
        ss = m.get_reg("ss")
        ssf = _fields(gdt[ss & ~7:(ss & ~7) + 8])
        old_stack = m.read((ssf["base"] + esp) & 0xFFFFFFFF, 8) \
            if (ssf["base"] + esp) & 0xFFFFFFFF < (4 << 20) - 8 else bytes(8)
        tss = m.read(TSS, 0x68)
        try:
            want = _call_far_model(gdt, tss, cpl, sel, off, o16, (ss, ssf), esp, old_stack,
                                   m.get_reg("cs"), at + len(code))
        except _Fault as f:
            want = (f.vector, f.error)
        what = (f"cpl {cpl} {code.hex()} gate/desc {gdt[(sel & ~7):(sel & ~7) + 8].hex()} "
                f"ss {ss:#x} {gdt[ss & ~7:(ss & ~7) + 8].hex()} esp {esp:#x} "
                f"target {_target_desc(gdt, sel)}")
        if not isinstance(want, tuple) and want["vals"][2:-2]:
            # parameters copied from the old stack: it must hold them (SS limit)
            if esp + 8 > ssf["limit"] or (ssf["typ"] & 0x1C) == 0x14:
                continue
        e = m.run(1).exception
        if _fault_as_the_manual(m, e, want, at, esp, what, bad):
            continue
        delivered += 1
        if e is not None:
            bad.append(f"{what}: kw86 {(e.vector, e.error_code)}, the manual calls")
            continue
        d = [k for k in ("cs", "eip", "ss") if m.get_reg(k) != want[k]]
        sp = (want["sp"] - len(want["vals"]) * want["size"]) & want["mask"]
        if m.get_reg("esp") & want["mask"] != sp or m.cpl != want["cpl"]:
            d.append("esp/cpl")
        sel_slots = {len(want["vals"]) - 2} | ({0} if len(want["vals"]) > 2 else set())
        for k, v in enumerate(want["vals"]):
            a = (want["ss_base"] + ((want["sp"] - (k + 1) * want["size"]) & want["mask"])) \
                & 0xFFFFFFFF
            got = int.from_bytes(m.read(a, want["size"]), "little")
            if (got ^ v) & (0xFFFF if k in sel_slots or want["size"] == 2 else 0xFFFFFFFF):
                d.append(f"pushed[{k}] {got:#x} != {v:#x}")
        if d:
            bad.append(f"{what}: {d}")
    assert not bad, f"{len(bad)} of {n} differ from the manual:\n" + "\n".join(bad[:10])
    assert delivered > n // 20


def _return_cs(gdt, sel, cpl):
    """The return CS checks RET (far) and IRET share (SDM Vol. 2B RET and
    IRET Operation, protected mode): the descriptor's fields, or _Fault."""
    if sel & ~3 == 0:
        raise _Fault(13, 0)
    if sel & 4 or (sel & ~7) + 7 > len(gdt) - 1:
        raise _Fault(13, sel & ~3)
    d = _fields(gdt[sel & ~7:(sel & ~7) + 8])
    rpl = sel & 3
    if d["typ"] & 0x18 != 0x18 or rpl < cpl:
        raise _Fault(13, sel & ~3)
    if (d["dpl"] > rpl) if d["typ"] & 4 else (d["dpl"] != rpl):
        raise _Fault(13, sel & ~3)
    if not d["p"]:
        raise _Fault(11, sel & ~3)
    return d


def _return_ss(gdt, new_ss, rpl):
    """The outer-level return's SS checks (RET and IRET alike): the
    descriptor's fields, or _Fault."""
    if new_ss & ~3 == 0:
        raise _Fault(13, 0)
    if new_ss & 4 or (new_ss & ~7) + 7 > len(gdt) - 1:
        raise _Fault(13, new_ss & ~3)
    s = _fields(gdt[new_ss & ~7:(new_ss & ~7) + 8])
    if new_ss & 3 != rpl or s["typ"] & 0x1A != 0x12 or s["dpl"] != rpl:
        raise _Fault(13, new_ss & ~3)
    if not s["p"]:
        raise _Fault(12, new_ss & ~3)
    return s


def _put_return_frame(m, gdt, items, o16):
    """Writes items (operand-size words) at SS:ESP; None when that is not in
    the test machine's memory, else (esp, ss, mask, frame_ok, stack, segs):
    frame_ok(nbytes) says whether those bytes above ESP are within the
    stack segment (expand-down too), stack(k) reads item k, segs holds DS ES
    FS GS as (selector, descriptor fields or None)."""
    esp = m.get_reg("esp")
    ss = m.get_reg("ss")
    ssf = _fields(gdt[ss & ~7:(ss & ~7) + 8])
    mask = 0xFFFFFFFF if ssf["db"] else 0xFFFF
    base = ssf["base"]
    if not 0 <= (base + (esp & mask)) < (4 << 20) - 0x40:
        return None
    wmask = 0xFFFF if o16 else 0xFFFFFFFF
    m.write(base + (esp & mask), b"".join(struct.pack("<H" if o16 else "<I", v & wmask)
                                          for v in items))
    expdown = (ssf["typ"] & 0x1C) == 0x14

    def frame_ok(nbytes):
        lo, hi = esp & mask, (esp & mask) + nbytes - 1
        return (lo > ssf["limit"] and hi <= mask) if expdown else hi <= ssf["limit"]

    def stack(k):
        return items[k] & wmask

    segs = {}
    for name in ("ds", "es", "fs", "gs"):
        v = m.get_reg(name)
        segs[name] = (v, _fields(gdt[v & ~7:(v & ~7) + 8]) if v & ~3 else None)
    return esp, ss, mask, frame_ok, stack, segs


def _retf_model(gdt, cpl, frame_ok, stack, o16, imm, segs):
    """SDM Vol. 2B RET Operation, far return in protected mode (same and
    outer level).  stack(k) reads the k-th operand-size item above ESP;
    frame_ok(nbytes): those bytes above ESP lie within the stack limit;
    segs: {name: (selector, descriptor fields or None)} of DS ES FS GS."""
    w = 2 if o16 else 4
    if not frame_ok(2 * w):
        raise _Fault(12, 0)
    eip, sel = stack(0), stack(1) & 0xFFFF
    d = _return_cs(gdt, sel, cpl)
    rpl = sel & 3
    if rpl == cpl:
        if eip > d["limit"]:
            raise _Fault(13, 0)
        return dict(cs=sel, eip=eip, cpl=cpl, esp_delta=2 * w + imm, ss=None, segs=segs)
    if not frame_ok(4 * w + imm):
        raise _Fault(12, 0)
    new_esp, new_ss = stack(2 + imm // w), stack(3 + imm // w) & 0xFFFF
    s = _return_ss(gdt, new_ss, rpl)
    if eip > d["limit"]:
        raise _Fault(13, 0)
    out = {}
    for name, (v, f) in segs.items():
        # a data or non-conforming code segment more privileged than the new
        # CPL is not valid there: the register is loaded with null
        keep = f is not None and not ((f["typ"] & 0x18 != 0x18 or not f["typ"] & 4)
                                      and f["dpl"] < rpl)
        out[name] = v if keep else 0
    return dict(cs=sel, eip=eip, cpl=rpl, ss=new_ss,
                esp=((new_esp & (0xFFFF if o16 else 0xFFFFFFFF)) + imm)
                & (0xFFFFFFFF if s["db"] else 0xFFFF), segs=out)


@pytest.mark.parametrize("seed", [1, 2])
def test_far_return_against_a_model_of_the_sdm(seed):
    """RETF / RETF imm16 (16/32-bit operand) at CPL 0 and 3 with random return
    frames (CS and SS selectors from random code, data and system
    descriptors: every type, DPL, RPL, present bit, limit) against a
    transcription of SDM Vol. 2B RET Operation: the vector and error code
    with nothing changed, or CS, EIP, CPL, SS, ESP and DS/ES/FS/GS (nulled
    when not valid at the new CPL)."""
    R = random.Random(f"retf-model-{seed}")
    n = budget(2500, 400)
    bad, outer, done = [], 0, 0
    for _ in range(n):
        m, _want, _what = _int_case(R)
        cpl = m.cpl
        gdt = m.read(GDT, _NG * 8)
        slots = range(7, _NG)
        if cpl == 0 and R.random() < 0.5:
            m.load_segment("ss", KDATA)             # a big stack for outer frames
            m.set_reg("esp", 0x3F000)
        for name in ("ds", "es"):
            if R.random() < 0.5:
                cand = [(k << 3) | cpl for k in slots
                        if (lambda f: f["p"] and f["typ"] & 0x10 and (f["typ"] & 0x1A == 0x1A
                            or not f["typ"] & 8) and (f["dpl"] >= cpl or f["typ"] & 0x1C == 0x1C))(
                            _fields(gdt[k * 8:k * 8 + 8]))]
                if cand:
                    m.load_segment(name, R.choice(cand))
        o16 = R.random() < 0.25
        w = 2 if o16 else 4
        imm = R.choice((0, 0, 4, 8))
        sel = R.choice([(k << 3) | R.randrange(4) for k in slots]
                       + [0x1B, 0x1B, KCODE, 0, 0x400, 0x23])
        ssel = R.choice([(k << 3) | R.randrange(4) for k in slots] + [0x23, 0x23, KDATA, 0, 3])
        items = [R.choice((0x1000, 0x20010, 0xFFF0, 0x123456)), sel] + [0] * (imm // w) \
            + [R.choice((0x2F000, 0x100, 0xFF0)), ssel]
        frame = _put_return_frame(m, gdt, items, o16)
        if frame is None:
            continue
        esp, ss, mask, frame_ok, stack, segs = frame
        at = UTEXT if cpl == 3 else KTEXT + 0x400
        code = (b"\x66" if o16 else b"") + (b"\xca" + struct.pack("<H", imm) if imm else b"\xcb")
        m.write(at, code)
        m.set_reg("eip", at)
        try:
            want = _retf_model(gdt, cpl, frame_ok, stack, o16, imm, segs)
        except _Fault as f:
            want = (f.vector, f.error)
        what = f"cpl {cpl} {code.hex()} ss {ss:#x} esp {esp:#x} frame {[hex(i) for i in items]}"
        e = m.run(1).exception
        if _fault_as_the_manual(m, e, want, at, esp, what, bad):
            continue
        done += 1
        if e is not None:
            bad.append(f"{what}: kw86 {(e.vector, e.error_code)}, the manual returns")
            continue
        d = [k for k in ("cs", "eip") if m.get_reg(k) != want[k]]
        if m.cpl != want["cpl"]:
            d.append("cpl")
        if want["ss"] is None:
            if m.get_reg("esp") & mask != (esp + want["esp_delta"]) & mask:
                d.append("esp")
        else:
            outer += 1
            if m.get_reg("ss") != want["ss"] or m.get_reg("esp") & 0xFFFFFFFF != want["esp"] \
                    and (m.get_reg("esp") ^ want["esp"]) & 0xFFFF:
                d.append(f"ss:esp {m.get_reg('ss'):#x}:{m.get_reg('esp'):#x}")
            for name, v in want["segs"].items():
                if m.get_reg(name) & ~3 != v & ~3 if v & ~3 else m.get_reg(name) & ~3:
                    d.append(f"{name} {m.get_reg(name):#x} != {v:#x}")
        if d:
            bad.append(f"{what}: {d}")
    assert not bad, f"{len(bad)} of {n} differ from the manual:\n" + "\n".join(bad[:10])
    assert done > n // 20


def _iret_model(gdt, cpl, iopl, eflags, frame_ok, stack, o16, segs):
    """SDM Vol. 2B IRET Operation, protected mode without NT and VM
    (PROTECTED-MODE-RETURN, RETURN-TO-SAME- and -OUTER-PRIVILEGE-LEVEL)."""
    w = 2 if o16 else 4
    if not frame_ok(3 * w):
        raise _Fault(12, 0)
    eip, sel, fl = stack(0), stack(1) & 0xFFFF, stack(2)
    d = _return_cs(gdt, sel, cpl)
    rpl = sel & 3
    new_ss = new_esp = s = None
    if rpl > cpl:
        if not frame_ok(5 * w):
            raise _Fault(12, 0)
        new_esp, new_ss = stack(3), stack(4) & 0xFFFF
        s = _return_ss(gdt, new_ss, rpl)
    if eip > d["limit"]:
        raise _Fault(13, 0)
    # EFLAGS: what the CPL before the return may change (IF: CPL <= IOPL;
    # IOPL: CPL 0; VIF VIP VM not restored here); 16-bit: the low word only
    mask = 0x8D5 | 0x100 | 0x400 | 0x4000 | 0x10000 | 0x40000 | 0x200000
    if cpl <= iopl:
        mask |= 0x200
    if cpl == 0:
        mask |= 0x3000
    if o16:
        mask &= 0xFFFF
    new_fl = (eflags & ~mask) | (fl & mask)
    out = {}
    for name, (v, f) in segs.items():
        keep = rpl == cpl or (f is not None and not ((f["typ"] & 0x18 != 0x18 or not f["typ"] & 4)
                                                     and f["dpl"] < rpl))
        out[name] = v if keep else 0
    return dict(cs=sel, eip=eip, cpl=rpl, ss=new_ss, eflags=new_fl, segs=out,
                esp=None if new_ss is None else (new_esp & (0xFFFFFFFF if s["db"] else 0xFFFF)))


@pytest.mark.parametrize("seed", [1, 2])
def test_iret_against_a_model_of_the_sdm(seed):
    """IRET / IRETD at CPL 0 and 3 (NT = 0) with random return frames (CS and
    SS from random descriptors, random EFLAGS images with any IOPL, IF, AC,
    ID, NT, RF) against a transcription of SDM Vol. 2B IRET Operation: the
    vector and error code with nothing changed, or CS, EIP, CPL, SS, ESP,
    EFLAGS (IF and IOPL only as the old CPL may change them) and DS/ES/FS/GS
    (nulled on an outer return when not valid at the new CPL)."""
    R = random.Random(f"iret-model-{seed}")
    n = budget(2500, 400)
    bad, done = [], 0
    for _ in range(n):
        m, _want, _what = _int_case(R)
        cpl = m.cpl
        gdt = m.read(GDT, _NG * 8)
        slots = range(7, _NG)
        if cpl == 0 and R.random() < 0.5:
            m.load_segment("ss", KDATA)
            m.set_reg("esp", 0x3F000)
        iopl = R.randrange(4)
        m.set_reg("eflags", (m.get_reg("eflags") & ~0x7000) | (iopl << 12))     # NT = 0
        o16 = R.random() < 0.25
        w = 2 if o16 else 4
        sel = R.choice([(k << 3) | R.randrange(4) for k in slots]
                       + [0x1B, 0x1B, KCODE, 0, 0x400, 0x23])
        ssel = R.choice([(k << 3) | R.randrange(4) for k in slots] + [0x23, 0x23, KDATA, 0, 3])
        fl = (R.getrandbits(22) & (0x8D5 | 0x100 | 0x400 | 0x200 | 0x3000 | 0x10000 | 0x40000
                                   | 0x200000)) | 0x2
        items = [R.choice((0x1000, 0x20010, 0xFFF0, 0x123456)), sel, fl,
                 R.choice((0x2F000, 0x100, 0xFF0)), ssel]
        frame = _put_return_frame(m, gdt, items, o16)
        if frame is None:
            continue
        esp, ss, mask, frame_ok, stack, segs = frame
        at = UTEXT if cpl == 3 else KTEXT + 0x400
        code = b"\x66\xcf" if o16 else b"\xcf"
        m.write(at, code)
        m.set_reg("eip", at)
        old_fl = m.get_reg("eflags")
        try:
            want = _iret_model(gdt, cpl, iopl, old_fl, frame_ok, stack, o16, segs)
        except _Fault as f:
            want = (f.vector, f.error)
        what = f"cpl {cpl} iopl {iopl} {code.hex()} ss {ss:#x} esp {esp:#x} " \
               f"frame {[hex(i) for i in items]}"
        e = m.run(1).exception
        if _fault_as_the_manual(m, e, want, at, esp, what, bad):
            continue
        done += 1
        if e is not None and not (e.vector == 1 and want["eflags"] & 0x100):
            bad.append(f"{what}: kw86 {(e.vector, e.error_code)}, the manual returns")
            continue
        d = [k for k in ("cs", "eip") if m.get_reg(k) != want[k]]
        if m.cpl != want["cpl"]:
            d.append("cpl")
        if (m.get_reg("eflags") ^ want["eflags"]) & 0x274FD5 & ~0x10000:
            d.append(f"eflags {m.get_reg('eflags'):#x} != {want['eflags']:#x}")
        if want["ss"] is not None:
            if m.get_reg("ss") != want["ss"] or (m.get_reg("esp") ^ want["esp"]) & \
                    (0xFFFFFFFF if _fields(gdt[want["ss"] & ~7:][:8])["db"] else 0xFFFF):
                d.append(f"ss:esp {m.get_reg('ss'):#x}:{m.get_reg('esp'):#x}")
            for name, v in want["segs"].items():
                if (m.get_reg(name) & ~3) != (v & ~3):
                    d.append(f"{name} {m.get_reg(name):#x} != {v:#x}")
        elif m.get_reg("esp") & mask != (esp + 3 * w) & mask:
            d.append("esp")
        if d:
            bad.append(f"{what}: {d}")
    assert not bad, f"{len(bad)} of {n} differ from the manual:\n" + "\n".join(bad[:10])
    assert done > n // 20



@pytest.mark.parametrize("seed", [1, 2])
def test_exception_delivery_against_a_model_of_the_sdm(seed):
    """Faults delivered through the same random IDT gates, TSS stacks and
    current stacks as test_int_n_delivery_against_a_model_of_the_sdm: #UD
    (UD2, no error code, benign) and, at CPL 3, #GP(0) (MOV EAX, CR0:
    contributory, an error code).  Per SDM Vol. 2A INT n Operation and Vol. 3A
    §6.12-6.15: no gate DPL check, EXT = 1 in the error code of a fault
    while delivering (§6.13), the error code pushed last, EIP of the faulting
    instruction, RF = 1 in the pushed EFLAGS; a contributory fault while
    delivering #GP is #DF(0) (Table 6-5), while delivering #UD it is itself
    reported."""
    R = random.Random(f"exc-model-{seed}")
    n = budget(2500, 400)
    bad, delivered, df = [], 0, 0
    for _ in range(n):
        m, _want, _what = _int_case(R)
        cpl = m.cpl
        vec = 13 if cpl == 3 and R.random() < 0.5 else 6
        gate_bytes = m.read(IDT + [k for k in (0x40, 0x41, 0x80, 0xFF, 0x20)
                                   if m.read(IDT + k * 8, 8) != bytes(8)][0] * 8, 8) \
            if R.random() < 0.8 else gate(KCODE, 0x10000, R.choice((0xE, 0xF)), 0)
        m.write(IDT + vec * 8, gate_bytes)
        idt_limit = R.choice((0x7FF, 0x7FF, vec * 8 + 6, vec * 8 + 7))
        m.set_idt(IDT, idt_limit)
        m.intercept = set(range(32)) - {vec}
        at = m.get_reg("eip")
        code = b"\x0f\x20\xc0" if vec == 13 else b"\x0f\x0b"
        m.write(at, code)
        gdt = m.read(GDT, _NG * 8)
        ss = m.get_reg("ss")
        esp = m.get_reg("esp")
        cur = (ss, _fields(gdt[ss & ~7:(ss & ~7) + 8]))
        try:
            want = _int_n_model(gdt, m.read(IDT, 0x800), idt_limit, m.read(TSS, 0x68), vec, cpl,
                                cur, esp, m.get_reg("eflags"), at, m.get_reg("cs"), hw=True,
                                err=0 if vec == 13 else None)
        except _Fault as f:
            want = (8, 0) if vec == 13 and f.vector in (10, 11, 12, 13) else (f.vector, f.error)
        e = m.run(1).exception
        what = f"vector {vec} cpl {cpl} gate {gate_bytes.hex()} esp {esp:#x} ss {ss:#x}"
        if isinstance(want, tuple):
            df += want[0] == 8
        if _fault_as_the_manual(m, e, want, at, esp, what, bad):
            continue
        delivered += 1
        if e is not None:
            bad.append(f"{what}: kw86 {(e.vector, e.error_code)}, the manual delivers")
            continue
        d = [k for k in ("cs", "eip", "ss") if m.get_reg(k) != want[k]]
        if m.get_reg("esp") & want["mask"] != want["esp"] or m.cpl != want["cpl"]:
            d.append("esp/cpl")
        n_vals = len(want["vals"])
        has_err = vec == 13
        selectors = {n_vals - 2 - has_err} | ({0} if n_vals == 5 + has_err else set())
        for k, v in enumerate(want["vals"]):
            a = (want["ss_base"] + ((want["sp"] - (k + 1) * want["size"]) & want["mask"])) \
                & 0xFFFFFFFF
            if a + want["size"] > (4 << 20):
                continue                        # wrapped past 4 GiB: outside guest memory
            got = int.from_bytes(m.read(a, want["size"]), "little")
            wide = 0xFFFF if k in selectors or want["size"] == 2 else 0xFFFFFFFF
            if (got ^ v) & wide:
                d.append(f"pushed[{k}] {got:#x} != {v:#x}")
        if d:
            bad.append(f"{what}: {d}")
    assert not bad, f"{len(bad)} of {n} differ from the manual:\n" + "\n".join(bad[:10])
    assert delivered > n // 20 and df > 0
