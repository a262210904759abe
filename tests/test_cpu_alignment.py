"""Alignment check (#AC(0)) for every data type of SDM Vol. 3A §6.15,
Interrupt 17, Table 6-7 ("Alignment Requirements by Data Type"): with
CR0.AM = 1, EFLAGS.AC = 1 and CPL 3, a reference to an operand not at a
multiple of its alignment raises #AC(0) and commits nothing.  The integer
loads, stores, stack and string accesses are in tests/test_cpu_debug.py;
here every other row of the table: x87 operands (word integer 2, single 4,
double 8, double extended 8, FSTENV/FSAVE areas 4 or 2 by operand size),
MMX quadwords and doublewords, far pointers (32-bit: 2, 48-bit: 4), bit
strings (2 or 4 by operand size), descriptor-table images (4), selectors
(2)."""

import pytest

from kw86.testing import FlatCPU

AT, DATA = 0x1000, 0x3000


def ac_cpu(code, **regs):
    c = FlatCPU(cpl=3, x87=True)
    c.write_mem(AT, bytes.fromhex(code.replace(" ", "")))
    c.set_reg("eip", AT)
    c.set_reg("esp", 0x8000)
    for k, v in regs.items():
        c.set_reg(k, v)
    c.set_reg("eflags", 0x202 | 0x40000)
    c.set_reg("cr0", c.get_reg("cr0") | 0x40000)
    return c


def outcome(code, addr):
    c = ac_cpu(code, ebx=addr, eax=0, ecx=0)
    before = c.read_mem(DATA - 0x10, 0x40)
    e = c.step()
    if e is None:
        return None
    assert c.get_reg("eip") == AT and c.read_mem(DATA - 0x10, 0x40) == before, code
    return (e.vector, e.error_code)


# (code with ModRM [ebx], alignment): every row aligned, then each misalignment
CASES = [
    ("df 03", 2, "fild word [ebx]"),
    ("df 13", 2, "fist word [ebx]"),
    ("d9 03", 4, "fld dword [ebx]"),
    ("d9 1b", 4, "fstp dword [ebx]"),
    ("db 03", 4, "fild dword [ebx]"),
    ("dd 03", 8, "fld qword [ebx]"),
    ("dd 1b", 8, "fstp qword [ebx]"),
    ("df 2b", 8, "fild qword [ebx]"),
    ("db 2b", 8, "fld tbyte [ebx] (double extended: 8)"),
    ("db 3b", 8, "fstp tbyte [ebx]"),
    ("d9 33", 4, "fnstenv [ebx] (32-bit operand: 4)"),
    ("66 d9 33", 2, "fnstenv [ebx] (16-bit operand: 2)"),
    ("dd 33", 4, "fnsave [ebx]"),
    ("d9 3b", 2, "fnstcw [ebx]"),
    ("dd 3b", 2, "fnstsw [ebx]"),
    ("0f 6f 03", 8, "movq mm0, [ebx]"),
    ("0f 7f 03", 8, "movq [ebx], mm0"),
    ("0f 6e 03", 4, "movd mm0, [ebx]"),
    ("0f 7e 03", 4, "movd [ebx], mm0"),
    ("0f fc 03", 8, "paddb mm0, [ebx]"),
    ("c5 03", 4, "lds eax, [ebx] (48-bit pointer: 4)"),
    ("66 c4 03", 2, "les ax, [ebx] (32-bit pointer: 2)"),
    ("0f a3 03", 4, "bt [ebx], eax (bit string, 32-bit: 4)"),
    ("66 0f a3 03", 2, "bt [ebx], ax (bit string, 16-bit: 2)"),
    ("0f 01 03", 4, "sgdt [ebx] (GDTR image: 4)"),
    ("0f 00 03", 2, "sldt [ebx] (selector: 2)"),
    ("8c 1b", 2, "mov [ebx], ds (selector: 2)"),
]


@pytest.mark.parametrize("code,align,what", CASES, ids=[c[2] for c in CASES])
def test_alignment_check_by_data_type(code, align, what):
    assert outcome(code, DATA) is None, what
    for k in range(1, 8):
        want = (17, 0) if k % align else None
        assert outcome(code, DATA + k) == want, (what, k)
