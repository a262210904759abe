"""Code-fetch faults before #UD: instructions that end on a not-present page.

SDM Vol. 3A §6.9, Table 6-2 (priority among simultaneous exceptions): class 8,
"faults from fetching next instruction" (code-segment limit violation, code
page fault), comes before class 9, "faults from decoding the next
instruction" (instruction length > 15 bytes, invalid opcode).  So an
instruction that is #UD (LOCK on an instruction that cannot take it, a
reserved group member, a register where memory is required ...) but whose
bytes run onto a not-present page raises #PF for that page, not #UD; run past
the CS limit it raises #GP(0).  Real P6 hardware agrees (issue 13: 1,709 of
4,280 page-boundary probes, e.g. `f0 04` at a page end, were #PF there).

The probes put the first `split` bytes of an instruction at the end of a
mapped page and the rest on a not-present one, at CPL 3 with paging on.
Instruction lengths come from iced-x86 (an independent decoder, run without
its invalid-LOCK check) or, for reserved encodings that iced does not length,
from the manual's rule written out below (`_modrm_bytes`).
"""

import struct

import iced_x86 as I
import pytest

from kw86.testing import FlatCPU
from test_decoder_iced import P6_INTEGER

HOLE = 0x9000            # the not-present page (below 64 KiB: 16-bit code reaches it)
PD, PT = 0x200000, 0x201000
ERR_USER_FETCH_NP = 4    # #PF error code: U/S = 1, W/R = 0 (a read), P = 0

# SDM Vol. 2A LOCK: "ADD, ADC, AND, BTC, BTR, BTS, CMPXCHG, CMPXCH8B, DEC,
# INC, NEG, NOT, OR, SBB, SUB, XOR, XADD, and XCHG" with a memory destination
# operand; #UD otherwise.
LOCKABLE = {"add", "adc", "and", "btc", "btr", "bts", "cmpxchg", "cmpxchg8b", "dec", "inc",
            "neg", "not", "or", "sbb", "sub", "xor", "xadd", "xchg"}
_FMT = I.Formatter(I.FormatterSyntax.INTEL)


def _machine(bits):
    cpu = FlatCPU(bits=bits, cpl=3)
    cpu.write_mem(PD, struct.pack("<I", PT | 7) + b"\0" * 4092)
    cpu.write_mem(PT, b"".join(struct.pack("<I", 0 if (k << 12) == HOLE else (k << 12) | 7)
                               for k in range(1024)))
    cpu.set_reg("cr3", PD)
    cpu.set_reg("cr0", cpu.get_reg("cr0") | 0x80000000)
    return cpu


def _run(cpu, code, start):
    cpu.write_mem(start, code + b"\x90" * 16)
    cpu.set_reg("eip", start)
    for r in ("eax", "ecx", "edx", "ebx", "esi", "edi", "ebp"):
        cpu.set_reg(r, 0)
    cpu.set_reg("esp", 0x8000)
    return cpu.step()


def _check_split(cpu, code, length, where):
    """Every split of the instruction across the page end faults on the fetch."""
    for split in range(1, length):
        start = HOLE - split
        e = _run(cpu, code, start)
        assert e is not None and e.vector == 14, \
            f"{where}: {code.hex()} split {split}/{length}: {e and e.vector} (want #PF)"
        assert (e.cr2, e.error_code) == (HOLE, ERR_USER_FETCH_NP), \
            f"{where}: {code.hex()} split {split}: cr2 {e.cr2:#x} error {e.error_code}"
        assert cpu.get_reg("eip") == start


def _iced(bits, data):
    ins = I.Decoder(bits, data, I.DecoderOptions.NO_INVALID_CHECK).decode()
    if ins.code == I.Code.INVALID or not set(ins.cpuid_features()) <= P6_INTEGER:
        return None
    return ins


def _lock_probes(bits):
    """LOCK + every one-byte and 0F opcode of the P6 integer set, register and
    memory ModRM forms with displacements, and immediates."""
    tail = bytes([0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99])
    seen = set()
    for stem in [bytes([b]) for b in range(256)] + [bytes([0x0F, b]) for b in range(256)]:
        if stem[0] in (0x0F, 0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65, 0x66, 0x67, 0xF0, 0xF2, 0xF3) \
                and len(stem) == 1:
            continue
        if stem == b"\x0f\x0d":
            continue    # not in the P6 opcode map (SDM 1999 Vol. 2 Table A-3): #UD at the opcode
        for modrm in (0xC1, 0x00, 0x45, 0x84, 0x05 if bits == 32 else 0x06, 0x14):
            data = b"\xf0" + stem + bytes([modrm]) + tail
            ins = _iced(bits, data)
            if ins is None:
                continue
            code = data[:ins.len]
            if code in seen:
                continue
            seen.add(code)
            mn = _FMT.format_mnemonic(ins, I.FormatMnemonicOptions.NO_PREFIXES)
            lockable = mn in LOCKABLE and ins.op0_kind == I.OpKind.MEMORY
            yield code, ins.len, lockable, mn


@pytest.mark.parametrize("bits", [32, 16])
def test_lock_prefix_fetches_the_whole_instruction_first(bits):
    cpu = _machine(bits)
    n = ud = 0
    for code, length, lockable, mn in _lock_probes(bits):
        _check_split(cpu, code, length, f"{bits}-bit lock {mn}")
        n += length - 1
        if not lockable:
            # the whole instruction on the mapped page: now the LOCK is #UD
            e = _run(cpu, code, HOLE - length)
            assert e is not None and e.vector == 6, f"{code.hex()} ({mn}): {e and e.vector}"
            assert cpu.get_reg("eip") == HOLE - length
            ud += 1
    print(f" [{n} page-split probes, {ud} whole #UD]", end="")
    assert n > 1500 and ud > 300


# Reserved encodings and operand forms whose #UD depends on bytes the CPU has
# already fetched, and whose length is fixed by the manual anyway:
#  - an undefined member of a group takes the ModRM byte and the SIB byte and
#    displacement it implies (SDM Vol. 2A §2.1.5, Tables 2-1..2-3: a function
#    of ModRM alone) plus the immediate that the opcode-map cell gives the
#    group (Vol. 2 Table A-2: "Grp 11 - MOV Eb,Ib / Ev,Iz", "Grp 8 Ev,Ib");
#  - a register operand where memory is required, a memory operand where a
#    register is required, segment register 6/7, CR1/CR5-7, MMX with 66/F3:
#    the instruction's own operand encoding gives its length;
#  - UD1 is 0F B9 /r (Vol. 2B UD).  UD0 (0F FF /r) is left out: "some
#    processors decode the UD0 instruction without a ModR/M byte" (same page).
RESERVED = [
    (32, "fe90ddccbbaa", 6),            # FE /2 [eax+disp32]
    (32, "fe3c24", 3),                  # FE /7 [esp] (SIB)
    (32, "fe3c8511223344", 7),          # FE /7 [eax*4+disp32] (SIB, no base)
    (32, "ff7d10", 3),                  # FF /7 [ebp+disp8]
    (32, "c64810aa", 4),                # C6 /1 [eax+disp8], imm8
    (32, "c7181122334455", 6),          # C7 /3 [eax], imm32
    (32, "66c7181122", 5),              # C7 /3 [eax], imm16
    (32, "0fba800000000005", 8),        # 0F BA /0 [eax+disp32], imm8
    (32, "0fc78511223344", 7),          # 0F C7 /0 [ebp+disp32]
    (32, "0f00b011223344", 7),          # 0F 00 /6 [eax+disp32]
    (32, "0f01a811223344", 7),          # 0F 01 /5 [eax+disp32]
    (32, "8dc0", 2),                    # LEA with a register source
    (32, "c4c8", 2),                    # LES with a register source
    (32, "0f71901122334405", 8),        # 0F 71 /2 with memory (psrlw Nq,Ib)
    (32, "8cb011223344", 6),            # MOV [eax+disp32], sreg 6
    (32, "8e38", 2),                    # MOV sreg 7, [eax]
    (32, "0f22c8", 3),                  # MOV CR1, eax
    (32, "660f6f8011223344", 8),        # MOVQ with a 66 prefix (MMX, reserved)
    (32, "0fb98011223344", 7),          # UD1 eax, [eax+disp32]
    (16, "fe963412", 4),                # FE /2 [bp+disp16]
    (16, "c68e1234aa", 5),              # C6 /1 [bp+disp16], imm8
    (16, "c71e12345678", 6),            # C7 /3 [disp16], imm16
    (16, "0fba06341205", 6),            # 0F BA /0 [disp16], imm8
]


@pytest.mark.parametrize("bits,code,length", RESERVED, ids=[c for _, c, _ in RESERVED])
def test_reserved_encodings_fetch_before_ud(bits, code, length):
    code = bytes.fromhex(code)
    cpu = _machine(bits)
    _check_split(cpu, code, length, f"{bits}-bit")
    e = _run(cpu, code, HOLE - length)
    assert e is not None and e.vector == 6, e and e.vector
    # and with LOCK in front: the same, one byte longer
    _check_split(cpu, b"\xf0" + code, length + 1, f"{bits}-bit lock")


@pytest.mark.parametrize("code", ["f00401", "f08bc0", "fe90ddccbbaa", "c64810aa"])
def test_cs_limit_before_ud(code):
    """An instruction running past the CS limit is #GP(0) (class 8) even when
    it would be #UD; ending exactly at the limit it is #UD (Vol. 3A §6.9,
    §5.3: the limit is the offset of the last valid byte)."""
    code = bytes.fromhex(code)
    cpu = _machine(32)
    start = 0x5000
    for end in range(start, start + len(code) + 1):
        cpu.set_segment("cs", 0x1B, 0, end - 1, big=True, dpl=3, type=0xB)
        e = _run(cpu, code, start)
        want = (13, 0) if end < start + len(code) else (6, None)
        got = (e.vector, e.error_code if want[1] is not None else None) if e else None
        assert got == want, f"{code.hex()} limit {end - 1:#x}: {got} want {want}"
