"""The no-operation forms GCC's output is full of (tests/test_toolchain_gcc.py).

Intel SDM Vol. 2B "NOP": 0F 1F /0 is the multi-byte NOP, which "does not access
memory" whatever its ModRM operand says; the opcode map (Vol. 2D Table A-3) has
0F 19-0F 1E as reserved NOPs with a ModRM operand (0F 18 is the hint group),
and ENDBR32 (F3 0F 1E FB; GCC's -fcf-protection at every function entry) "is a
NOP on processors that do not support CET", such as kw86's P6.  Checked here:
the length (EIP after one step), no register or flag changes, and no memory
access at all: the same operand through MOV faults (#GP past a segment limit,
#PF on a page that is not present), through these forms it does not.  Also the
padding gas emits (`66 2e 0f 1f 84 00 00 00 00 00`, `8d b4 26 00 00 00 00`:
a LEA of ESI to itself) and `rep ret` (F3 C3, -mtune=amdfam10: REP is ignored).
"""
import pytest

from kw86 import testing as T
from kw86.testing import FlatCPU, make_system

# (hex, length): every reserved-NOP opcode with a memory operand, the padding
# forms and ENDBR32/ENDBR64's encodings (both NOPs on a CPU without CET)
FORMS = [
    ("0f1f0500200000", 7),                 # nop dword [0x2000]
    ("0f1f8000200000", 7),                 # nop dword [eax+0x2000]
    ("0f1f840000200000", 8),               # nop dword [eax+eax*1+0x2000]
    ("660f1f840000200000", 9),             # nop word  [eax+eax*1+0x2000]
    ("662e0f1f840000200000", 10),          # nop word cs:[eax+eax*1+0x2000]
    ("0f190500200000", 7),
    ("0f1a0500200000", 7),
    ("0f1b0500200000", 7),
    ("0f1c0500200000", 7),
    ("0f1d0500200000", 7),
    ("0f1e0500200000", 7),
    ("0f1f4000", 4),                       # nop dword [eax+0]
    ("f30f1efb", 4),                       # endbr32
    ("f30f1efa", 4),                       # endbr64
]


def _flat_with_short_ds():
    cpu = FlatCPU(bits=32, cpl=3)
    # DS limited to 4 KiB: [0x2000] (+ eax 0) is past its limit (the cs: form is not)
    cpu.set_segment("ds", 0x23, 0, 0xFFF, dpl=3, type=0x3)
    cpu.set_reg("eax", 0)
    return cpu


def test_mov_with_the_same_operand_faults():
    """The control: the operand of FORMS is out of DS's limit (#GP(0))."""
    cpu = _flat_with_short_ds()
    cpu.write_mem(0x1000, bytes.fromhex("8b0500200000"))     # mov eax, [0x2000]
    cpu.set_reg("eip", 0x1000)
    e = cpu.step()
    assert e is not None and e.vector == 13


@pytest.mark.parametrize("code, length", FORMS, ids=[f[0] for f in FORMS])
def test_hint_nop_past_the_segment_limit(code, length):
    cpu = _flat_with_short_ds()
    regs = {r: 0x11111111 * (i + 1) & 0xFFFFFFFF
            for i, r in enumerate(("ebx", "ecx", "edx", "esi", "edi", "ebp"))}
    for r, v in regs.items():
        cpu.set_reg(r, v)
    cpu.set_reg("eax", 0)
    cpu.set_reg("eflags", 0x2D7)                 # CF PF AF ZF SF set, IF
    cpu.write_mem(0x1000, bytes.fromhex(code) + b"\x90")
    cpu.set_reg("eip", 0x1000)
    assert cpu.step() is None
    assert cpu.get_reg("eip") == 0x1000 + length
    assert cpu.get_reg("eflags") == 0x2D7
    assert {r: cpu.get_reg(r) for r in regs} == regs and cpu.get_reg("eax") == 0


# [eax + 0x2000] (ModRM 80, disp32) through every reserved-NOP opcode
PAGED = [op + "8000200000" for op in ("0f19", "0f1a", "0f1b", "0f1c", "0f1d", "0f1e",
                                      "0f1f", "660f1f", "2e0f1f")]


def _paged(insn):
    m = make_system(cpl=3, paging=True)
    m.intercept = range(32)
    m.set_reg("eax", 0x800000)                  # past the 4 MiB the page table maps
    m.write(T.UTEXT, bytes.fromhex(insn) + b"\x90")
    return m


def test_mov_on_the_page_faults():
    r = _paged("8b8000200000").run(1)           # mov eax, [eax+0x2000]
    assert r.exception is not None and r.exception.vector == 14


@pytest.mark.parametrize("code", PAGED)
def test_hint_nop_on_a_page_not_present(code):
    """Paging on, [0x802000] not mapped: MOV takes #PF (above), the NOP does not."""
    m = _paged(code)
    r = m.run(1)
    assert r.exception is None and m.get_reg("eip") == T.UTEXT + len(code) // 2


def test_gas_padding_lea_keeps_esi():
    cpu = FlatCPU(bits=32, cpl=3)
    cpu.set_reg("esi", 0xCAFEF00D)
    cpu.set_reg("eflags", 0x2D7)
    cpu.write_mem(0x1000, bytes.fromhex("8db42600000000" "8d742600" "90"))
    cpu.set_reg("eip", 0x1000)
    assert cpu.step() is None and cpu.step() is None
    assert cpu.get_reg("eip") == 0x100B
    assert cpu.get_reg("esi") == 0xCAFEF00D and cpu.get_reg("eflags") == 0x2D7


def test_rep_ret_returns():
    cpu = FlatCPU(bits=32, cpl=3)
    cpu.set_reg("esp", 0x8000)
    cpu.write_mem(0x8000, (0x1234).to_bytes(4, "little"))
    cpu.write_mem(0x1000, bytes.fromhex("f3c3"))
    cpu.write_mem(0x1234, b"\x90")
    cpu.set_reg("eip", 0x1000)
    assert cpu.step() is None
    assert cpu.get_reg("eip") == 0x1234 and cpu.get_reg("esp") == 0x8004


def test_hint_nops_in_a_loop_run_as_blocks():
    """The same forms in a loop run by Machine.run (translated blocks), the
    operand on a page that is not present: 1,000 rounds, then hlt (#GP at CPL 3)."""
    body = bytes.fromhex("0f1f8000200000" "0f198000200000" "0f1e8000200000"
                         "662e0f1f840000200000" "f30f1efb" "8db42600000000" "49" "75")
    code = body + bytes([-(len(body) + 1) & 0xFF]) + bytes.fromhex("f4")
    m = _paged(code.hex())
    m.set_reg("ecx", 1000)
    r = m.run(20000)
    assert r.exception is not None and r.exception.vector == 13
    assert m.get_reg("eip") == T.UTEXT + len(code) - 1 and m.get_reg("ecx") == 0
    assert m.instructions == 8 * 1000
