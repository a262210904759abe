"""Unit tests of the decoder's Python API and of the fine print: default
segments, moffs, far pointers, relative targets, LOCK, memory-only forms,
the 15-byte limit, bad input, and never reading past the buffer."""
import ctypes
import mmap
import sys

import pytest
from hypothesis import given, strategies as st

from kw86 import decoder
from kw86.decoder import IncompleteInstruction, decode, decode_many
from kw86.isa import opcodes


def d(h, bits=32, ip=0):
    return decode(bytes.fromhex(h), bits, ip=ip)


def mem(ins, i=None):
    ops = [o for o in ins.operands if o.kind == "mem"]
    assert ops, ins
    return ops[0] if i is None else ops[i]


# ---------------------------------------------------------------------------
# API shape

def test_basic_fields():
    ins = d("01d8")
    assert ins.length == 2 and ins.valid and ins.fault is None
    assert ins.mnemonic == "add"
    assert ins.prefixes == ()
    a, b = ins.operands
    assert (a.kind, a.reg, a.size) == ("reg", "eax", 32)
    assert (b.kind, b.reg, b.size) == ("reg", "ebx", 32)
    assert ins.op_id == opcodes.mnemonic_id("add")
    assert opcodes.ROWS[ins.row_id].mnemonic == "add"
    assert ins.flags_written & opcodes.CF and ins.flags_undefined == 0
    assert str(ins) == "add eax, ebx"


def test_incomplete_is_valueerror():
    assert issubclass(IncompleteInstruction, ValueError)
    with pytest.raises(IncompleteInstruction):
        decode(b"")
    with pytest.raises(IncompleteInstruction):
        decode(b"\x05\x01\x02")        # add eax, imm32 cut short
    with pytest.raises(IncompleteInstruction):
        decode(b"\x0f")
    with pytest.raises(IncompleteInstruction):
        decode(b"\x66\x66")
    with pytest.raises(IncompleteInstruction):
        decode(b"\x8b\x04")            # SIB missing


def test_bits_argument():
    with pytest.raises(ValueError):
        decode(b"\x90", bits=64)
    assert d("b83412", 16).operands[1].value == 0x1234
    assert d("b878563412", 32).operands[1].value == 0x12345678


def test_prefix_names():
    ins = d("f0662e0100")
    assert set(ins.prefixes) == {"lock", "data16", "cs"}
    assert d("f3a4").prefixes == ("rep",)
    assert d("f2ae").prefixes == ("repne",)
    assert d("67a4").prefixes == ("addr16",)
    assert d("66a5", 16).prefixes == ("data32",)
    # the last segment override wins; F2/F3: the last one wins
    assert d("2e3e8b00").operands[1].segment == "ds"
    assert d("f3f2a4").prefixes == ("repne",)


def test_mnemonics_follow_operand_size():
    assert [d(h).mnemonic for h in ("98", "6698", "99", "6699", "60", "6660", "cf", "66cf",
                                    "9c", "669c", "a5", "66a5", "6d", "6f", "ad", "af", "a7", "ab")] == \
        ["cwde", "cbw", "cdq", "cwd", "pushad", "pusha", "iretd", "iret", "pushfd", "pushf",
         "movsd", "movsw", "insd", "outsd", "lodsd", "scasd", "cmpsd", "stosd"]
    assert d("98", 16).mnemonic == "cbw"
    assert d("e3fe").mnemonic == "jecxz" and d("67e3fe").mnemonic == "jcxz"
    assert d("e3fe", 16).mnemonic == "jcxz"


def test_cc_field():
    for cc in range(16):
        assert d(f"{0x70 + cc:02x}00").cc == cc
        assert d(f"0f{0x40 + cc:02x}c0").cc == cc
        assert d(f"0f{0x90 + cc:02x}c0").cc == cc
    assert d("7500").mnemonic == "jne" and d("0f45c0").mnemonic == "cmovne"
    assert d("0f95c0").mnemonic == "setne"


# ---------------------------------------------------------------------------
# Addressing forms and default segments

@pytest.mark.parametrize("h,seg,base,index,scale,disp", [
    ("8b00", "ds", "eax", None, 1, 0),
    ("8b4504", "ss", "ebp", None, 1, 4),          # EBP base -> SS
    ("8b0424", "ss", "esp", None, 1, 0),          # ESP base -> SS
    ("8b4424fc", "ss", "esp", None, 1, -4),
    ("8b04cd78563412", "ds", None, "ecx", 8, 0x12345678),   # SIB no base, disp32
    ("8b442d00", "ss", "ebp", "ebp", 1, 0),
    # an absolute address (no base, no index) is given unsigned
    ("8b0425efbeadde", "ds", None, None, 1, 0xdeadbeef),    # SIB disp32 only
    ("8b05efbeadde", "ds", None, None, 1, 0xdeadbeef),      # disp32 only
    ("8b84b300010000", "ds", "ebx", "esi", 4, 0x100),
    ("8b0c60", "ds", "eax", None, 2, 0),          # SIB index 100: no index (scale kept)
    ("268b4504", "es", "ebp", None, 1, 4),        # override beats the SS default
])
def test_addressing_32(h, seg, base, index, scale, disp):
    m = mem(d(h))
    assert (m.segment, m.base, m.index, m.scale, m.displacement) == (seg, base, index, scale, disp)


@pytest.mark.parametrize("h,seg,base,index,disp", [
    ("8b00", "ds", "bx", "si", 0),
    ("8b01", "ds", "bx", "di", 0),
    ("8b02", "ss", "bp", "si", 0),
    ("8b03", "ss", "bp", "di", 0),
    ("8b04", "ds", "si", None, 0),
    ("8b05", "ds", "di", None, 0),
    ("8b063412", "ds", None, None, 0x1234),        # disp16, no base
    ("8b07", "ds", "bx", None, 0),
    ("8b46fe", "ss", "bp", None, -2),
    ("8b860001", "ss", "bp", None, 0x100),
    ("3e8b46fe", "ds", "bp", None, -2),
])
def test_addressing_16(h, seg, base, index, disp):
    m = mem(d(h, 16))
    assert (m.segment, m.base, m.index, m.displacement) == (seg, base, index, disp)


def test_addsize_override():
    m = mem(d("678b00"))
    assert (m.base, m.index) == ("bx", "si")
    m = mem(d("678b0424", 16))
    assert (m.base, m.index, m.segment) == ("esp", None, "ss")


def test_moffs():
    ins = d("a178563412")
    m = ins.operands[1]
    assert (m.kind, m.base, m.index, m.displacement, m.segment, m.size) == \
        ("mem", None, None, 0x12345678, "ds", 32)
    ins = d("67a23412")           # 16-bit offset
    assert ins.length == 4 and ins.operands[0].displacement == 0x1234
    assert ins.operands[0].size == 8
    ins = d("64a3ffffffff")
    assert ins.operands[0].segment == "fs" and ins.operands[0].displacement == 0xFFFFFFFF


def test_immediates():
    assert d("83c0ff").operands[1].value == 0xFFFFFFFF      # imm8 sign-extended
    assert d("6683c0ff").operands[1].value == 0xFFFF
    assert d("6aff").operands[0].value == 0xFFFFFFFF
    assert d("c1e003").operands[1].value == 3 and d("c1e003").operands[1].size == 8
    ins = d("c8100203")
    assert [(o.kind, o.size, o.value) for o in ins.operands] == [("imm", 16, 0x210), ("imm", 8, 3)]
    assert d("c20800").operands[0].value == 8
    assert d("d0e0").operands[1].value == 1
    ins = d("69c078563412")
    assert ins.operands[2].value == 0x12345678 and len(ins.operands) == 3
    assert d("f6c0ff").operands[1].value == 0xFF


def test_far_pointers_and_branches():
    ins = d("ea785634120800")
    f = ins.operands[0]
    assert (f.kind, f.selector, f.offset, f.size, ins.length) == ("far", 8, 0x12345678, 48, 7)
    ins = d("9a34120800", 16)
    f = ins.operands[0]
    assert (f.selector, f.offset, f.size, ins.length) == (8, 0x1234, 32, 5)
    assert d("ff18").operands[0].size == 48          # call far m16:32
    assert d("66ff18").operands[0].size == 32
    assert d("e8fbffffff", ip=0x1000).operands[0].target == 0x1000
    assert d("ebfe", ip=0x10).operands[0].target == 0x10
    assert d("e9fdff", 16, ip=0xFFFE).operands[0].target == 0xFFFE
    assert d("7400", 16, ip=0xFFFE).operands[0].target == 0       # wraps at 64K
    assert d("0f84fcffffff", ip=4).operands[0].target == 6


def test_special_registers():
    assert [o.reg for o in d("0f20c0").operands] == ["eax", "cr0"]
    assert [o.reg for o in d("0f22e0").operands] == ["cr4", "eax"]
    assert [o.reg for o in d("0f23f8").operands] == ["dr7", "eax"]
    assert [o.reg for o in d("0f2000").operands] == ["eax", "cr0"]    # mod is ignored
    assert [o.reg for o in d("8ed8").operands] == ["ds", "ax"]
    assert [o.reg for o in d("8cc8").operands] == ["eax", "cs"]
    assert [o.reg for o in d("d8c3").operands] == ["st0", "st3"]
    assert [o.reg for o in d("0fefca").operands] == ["mm1", "mm2"]
    assert d("0fa0").operands[0].reg == "fs"


def test_string_operands():
    a, b = d("f3a5").operands
    assert (a.segment, a.base, b.segment, b.base) == ("es", "edi", "ds", "esi")
    a, b = d("26a4", 16).operands
    assert (a.segment, a.base, b.segment, b.base) == ("es", "di", "es", "si")
    x = d("d7").operands[0]
    assert (x.base, x.index, x.segment) == ("ebx", "al", "ds")


# ---------------------------------------------------------------------------
# #UD

@pytest.mark.parametrize("h", [
    "8dc0",      # lea r, r
    "c4c0", "c5c0", "0fb2c0", "0fb4c0", "0fb5c0",   # les/lds/lss/lfs/lgs with a register
    "62c0",      # bound with a register
    "0fc7c8",    # cmpxchg8b with a register
    "0f01d0", "0f01d8", "0f01c0", "0f01c8", "0f01f8",  # lgdt/lidt/sgdt/sidt/invlpg reg forms
    "ffd8", "ffe8",             # far call/jmp through a register
    "8ec8",      # mov cs, r/m
    "8ef0", "8cf0",   # sreg 6
    "0f20c8", "0f20e8",   # cr1, cr5
    "0f0f", "0f38", "0f3a", "0fa6", "0fae10", "0fae38", "0faee8", "0f1000", "0fb800",
    "f30fb800", "0f05", "0f07", "0f0e", "0f7800", "0fd400", "0f0d00",
    "660f6f00", "f20f6f00", "f30f7f00",          # MMX with an SSE prefix
    "0f7100", "0f71c0",   # psrlw mem form / group hole
    "dbf8", "d9d1", "d908", "db08", "dd08", "df08",  # x87 holes and fisttp (SSE3)
    "fe10", "ff38", "8f08", "c608", "0fba00",      # group holes
    "f0a4", "f001c0", "f03900", "f08500", "f09c",  # bad LOCK
    "f08b00",    # lock mov
])
def test_ud(h):
    ins = d(h + "00" * 8)
    assert not ins.valid and ins.fault == "UD", (h, str(ins))
    assert ins.mnemonic == "(bad)" and ins.operands == ()


@pytest.mark.parametrize("h", ["f00000", "f00100", "f0ff00", "f0870b", "f00fb10b", "f00fc70f",
                               "f00fab00", "f0f718", "f080000a", "f00fc100", "f0860b"])
def test_lock_ok(h):
    ins = d(h + "00" * 4)
    assert ins.valid and "lock" in ins.prefixes


def test_p6_nops_and_aliases():
    assert d("0f1f00").mnemonic == "nop"
    assert d("0f1f440000").length == 5
    assert d("f30f1efb").mnemonic == "nop"         # endbr32 bytes: a hint NOP on a P6
    assert d("f390").mnemonic == "nop"
    assert d("f30fbcc0").mnemonic == "bsf"
    assert d("d6").mnemonic == "salc" and d("f1").mnemonic == "int1"
    assert d("0f0b").mnemonic == "ud2" and d("0f0b").valid
    assert d("82c001").mnemonic == "add"
    assert d("0f34").mnemonic == "sysenter" and d("0f35").mnemonic == "sysexit"
    assert d("0f31").mnemonic == "rdtsc" and d("0fa2").mnemonic == "cpuid"


# ---------------------------------------------------------------------------
# 15-byte limit

def test_fifteen_bytes():
    ins = decode(b"\x66" * 14 + b"\x90")
    assert ins.valid and ins.length == 15
    ins = decode(b"\x66" * 15 + b"\x90")
    assert not ins.valid and ins.fault == "GP" and ins.length == 15
    ins = decode(b"\x66" * 16)
    assert ins.fault == "GP"
    ins = decode(b"\xf0" * 16)
    assert ins.fault == "GP"
    # 11 prefixes + 81 84 SIB disp32 imm32 = 22 bytes
    ins = decode(b"\x2e" * 11 + bytes.fromhex("8184000000000000000000"))
    assert ins.fault == "GP"
    # more than 15 bytes given: only 15 are looked at
    ins = decode(b"\x90" + b"\x00" * 30)
    assert ins.length == 1
    with pytest.raises(IncompleteInstruction):
        decode(b"\x66" * 14)


def test_gp_not_more_when_limit_passed():
    # 12 prefixes + c7 05 disp32 imm32: needs 22 bytes; only 15 given -> #GP
    data = b"\x3e" * 12 + b"\xc7\x05\x00"
    assert decode(data).fault == "GP"


# ---------------------------------------------------------------------------
# Never read past the buffer: bytes placed against an inaccessible page

def _guarded_buffer():
    if not sys.platform.startswith("linux"):
        pytest.skip("needs mprotect")
    page = mmap.PAGESIZE
    m = mmap.mmap(-1, 2 * page, prot=mmap.PROT_READ | mmap.PROT_WRITE)
    libc = ctypes.CDLL(None, use_errno=True)
    addr = ctypes.addressof(ctypes.c_char.from_buffer(m))
    libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    if libc.mprotect(ctypes.c_void_p(addr + page), page, 0) != 0:
        pytest.skip("mprotect failed")
    return m, page


_GUARD = None


@given(data=st.binary(min_size=1, max_size=15), bits=st.sampled_from([16, 32]))
def test_never_reads_past_the_buffer(data, bits):
    global _GUARD
    if _GUARD is None:
        _GUARD = _guarded_buffer()
    m, page = _GUARD
    m[page - len(data):page] = data
    view = memoryview(m)[page - len(data):page]
    try:
        decode_many(view, bits)      # a read past the end would crash here
        decode(bytes(view), bits)
    except IncompleteInstruction:
        pass
    finally:
        view.release()


def test_truncated_prefixes_of_every_valid_instruction():
    samples = ["8b84b300010000", "c7840000000000efbeadde", "66c7050000000034120",
               "ea785634120800", "c8100203", "0f8400010000", "dd0500000000", "0f6f04c5ffffffff"]
    for h in samples:
        data = bytes.fromhex(h if len(h) % 2 == 0 else h + "0")
        full = decode(data)
        for cut in range(full.length):
            with pytest.raises(IncompleteInstruction):
                decode(data[:cut])


# ---------------------------------------------------------------------------
# The table

def test_table_ids_are_stable_lookups():
    assert opcodes.MNEMONICS[opcodes.mnemonic_id("add")] == "add"
    assert opcodes.MNEMONICS[0] == "(bad)"
    assert len(set(opcodes.MNEMONICS)) == len(opcodes.MNEMONICS)
    for r in opcodes.ROWS:
        assert opcodes.ROWS[r.id] is r
        assert r.cls in opcodes.CLASSES
        assert r.undef_known & ~r.flags_undef == 0
    assert opcodes.ROWS[opcodes.row_id("jmp Mp")].cls == "jmpf"
    with pytest.raises(KeyError):
        opcodes.mnemonic_id("vaddps")


def test_row_info_matches_table():
    for h in ("01d8", "f7f1", "0fa3c0", "d3e0", "9d", "669d", "27", "0fbcc0", "21c0"):
        ins = d(h)
        r = ins.row
        assert (ins.flags_read, ins.flags_written, ins.flags_undefined) == \
            (r.flags_read, r.flags_written, r.flags_undef)
        rf = decoder.row_flags(ins.row_id)
        assert rf[:3] == (r.flags_read, r.flags_written, r.flags_undef)
        assert rf[4] == r.cls


def test_undefined_flags():
    o = opcodes
    assert d("f7e1").flags_undefined == o.SF | o.ZF | o.AF | o.PF      # mul
    assert d("f7f1").flags_undefined == o.STATUS                       # div
    assert d("21c0").flags_undefined == o.AF                           # and
    assert d("0fbcc0").flags_undefined == o.STATUS & ~o.ZF             # bsf


def test_decode_many_counts():
    code = bytes.fromhex("5589e583ec088b4508c9c3") * 100
    n, used = decode_many(code)
    assert (n, used) == (600, len(code))
    n, used = decode_many(code + b"\x0f")       # ends mid-instruction
    assert (n, used) == (600, len(code))


def test_every_row_is_reachable():
    """Each ROWS entry is what some encoding decodes to (no dead rows)."""
    seen = set()
    tail = bytes(range(1, 14))
    for bits in (32, 16):
        for two in (False, True):
            for op in range(256):
                for modrm in range(256):
                    data = (b"\x0f" if two else b"") + bytes([op, modrm]) + tail
                    ins = decode(data, bits)
                    if ins.valid:
                        seen.add(ins.row_id)
    missing = [r.name for r in opcodes.ROWS if r.id not in seen]
    assert not missing, missing
