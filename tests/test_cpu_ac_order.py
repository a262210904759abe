"""The alignment check (#AC(0)) of x87 and MMX memory operands in the order
of the other checks (SDM Vol. 3A §6.15 Interrupt 17 and the instructions'
Protected Mode Exceptions): a segment limit or type violation is #GP(0)
(#SS(0) on SS) even when the operand is also misaligned; a misaligned
operand on a page that is not present is #AC(0), not #PF.  CR0.AM = 1,
EFLAGS.AC = 1, CPL 3 throughout; every fault changes nothing."""

import struct

import pytest

from kw86.testing import FlatCPU

AT = 0x1000

# (code with ModRM [ebx], size, alignment, what): loads and stores of every kind
OPS = [
    ("d9 03", 4, 4, "fld dword [ebx]"),
    ("d9 1b", 4, 4, "fstp dword [ebx]"),
    ("dd 1b", 8, 8, "fstp qword [ebx]"),
    ("db 3b", 10, 8, "fstp tbyte [ebx]"),
    ("d9 2b", 2, 2, "fldcw [ebx]"),
    ("d9 23", 28, 4, "fldenv [ebx]"),
    ("dd 33", 108, 4, "fnsave [ebx]"),
    ("66 dd 23", 94, 2, "frstor [ebx] (16-bit operand)"),
    ("0f 7f 03", 8, 8, "movq [ebx], mm0"),
]
STORES = {"d9 1b", "dd 1b", "db 3b", "dd 33", "0f 7f 03"}


def ac_cpu(code, ebx, mem_size=16 << 20):
    c = FlatCPU(cpl=3, x87=True, mem_size=mem_size)
    c.write_mem(AT, bytes.fromhex(code.replace(" ", "")))
    c.set_reg("eip", AT)
    c.set_reg("esp", 0x8000)
    c.set_reg("ebx", ebx)
    c.set_reg("eflags", 0x202 | 0x40000)
    c.set_reg("cr0", c.get_reg("cr0") | 0x40000)
    return c


def step_unchanged(c, lo, n):
    before = c.read_mem(lo, n)
    e = c.step()
    assert e is not None
    assert c.get_reg("eip") == AT and c.read_mem(lo, n) == before
    return e


@pytest.mark.parametrize("code,size,align,what", OPS, ids=[o[3] for o in OPS])
def test_limit_violation_is_gp_before_ac(code, size, align, what):
    # DS limit 2FFFh: an operand that runs past it is #GP(0), misaligned or not
    ebx = 0x3000 - size + 1                 # the last byte at 3000h
    assert ebx % align
    c = ac_cpu(code, ebx)
    c.set_segment("ds", 0x23, 0, 0x2FFF, big=True, dpl=3, type=0x3)
    e = step_unchanged(c, 0x2F00, 0x200)
    assert (e.vector, e.error_code) == (13, 0), what
    # a misaligned operand inside the limit is #AC(0)
    ebx = 0x3000 - 2 * size - 1
    assert ebx % align
    c = ac_cpu(code, ebx)
    c.set_segment("ds", 0x23, 0, 0x2FFF, big=True, dpl=3, type=0x3)
    e = step_unchanged(c, 0x2F00, 0x100)
    assert (e.vector, e.error_code) == (17, 0), what


@pytest.mark.parametrize("code,size,align,what", [o for o in OPS if o[0] in STORES],
                         ids=[o[3] for o in OPS if o[0] in STORES])
def test_store_to_a_read_only_segment_is_gp_before_ac(code, size, align, what):
    c = ac_cpu(code, 0x3001)
    c.set_segment("ds", 0x23, 0, 0xFFFFFFFF, big=True, dpl=3, type=0x1)   # read-only
    e = step_unchanged(c, 0x3000, 0x80)
    assert (e.vector, e.error_code) == (13, 0), what


def test_stack_limit_violation_is_ss_before_ac():
    # fld dword [ebp+0]: SS with limit 2FFFh, the operand at 2FFDh runs past it
    c = ac_cpu("d9 45 00", 0)
    c.set_reg("ebp", 0x2FFD)
    c.set_segment("ss", 0x23, 0, 0x2FFF, big=True, dpl=3, type=0x3)
    e = step_unchanged(c, 0x2F00, 0x100)
    assert (e.vector, e.error_code) == (12, 0)
    c.set_reg("ebp", 0x2FF9)
    assert (c.step().vector, c.get_reg("eip")) == (17, AT)


def _paged_user(c, hole):
    # identity map of the first 4 MiB, user pages, page `hole` not present
    pd, pt = 0x100000, 0x101000
    c.write_mem(pd, struct.pack("<I", pt | 7))
    c.write_mem(pt, b"".join(struct.pack("<I", 0 if k == hole else (k << 12) | 7)
                             for k in range(1024)))
    c.set_reg("cr3", pd)
    c.set_reg("cr0", c.get_reg("cr0") | 0x80000000)


@pytest.mark.parametrize("code,size,align,what", OPS, ids=[o[3] for o in OPS])
def test_misaligned_on_a_missing_page_is_ac_before_pf(code, size, align, what):
    for ebx, want in ((0x5000 + align - 1, 17), (0x5000, 14)):
        c = ac_cpu(code, ebx, mem_size=4 << 20)
        _paged_user(c, 0x5)
        e = c.step()
        assert e is not None and e.vector == want and c.get_reg("eip") == AT, (what, hex(ebx))
        if want == 14:
            assert e.cr2 == 0x5000 and (e.error_code & 4)
        else:
            assert e.error_code == 0
