"""ENTER's faults, against the Intel SDM Vol. 2A ENTER, Protected Mode
Exceptions: "#SS(0) If the new value of the SP or ESP register is outside
the stack segment limit" (and a push outside it); "#PF(fault-code) If a page
fault occurs or if a write using the final value of the stack pointer
(within the current stack segment) would cause a page fault".  The bytes
allocated between the pushes and the final stack pointer are not accessed."""

import struct

from kw86.testing import FlatCPU

AT = 0x1000


def run(cpu, code, **regs):
    cpu.write_mem(AT, bytes.fromhex(code))
    cpu.set_reg("eip", AT)
    for k, v in regs.items():
        cpu.set_reg(k, v)
    return cpu.step()


def test_frame_wrapping_below_zero_on_a_flat_stack_does_not_fault():
    # the pushes land at 0..3; the final ESP FFFFFFFCh is inside the 4 GiB limit
    cpu = FlatCPU(bits=32, cpl=3)
    assert run(cpu, "66c8040001", esp=4, ebp=0x1234) is None       # enter 4, 1 (16-bit)
    assert cpu.get_reg("esp") == 0xFFFFFFFC and cpu.get_reg("ebp") & 0xFFFF == 2
    assert cpu.read_mem(0, 4) == bytes.fromhex("02003412")


def test_16bit_stack_sp_wrapping_below_zero_inside_a_64k_limit():
    # a 16-bit stack segment with limit FFFFh: SP 4, enter 8, 0 pushes at 2 and
    # leaves SP = FFFAh, inside the limit
    cpu = FlatCPU(bits=16, cpl=3)
    cpu.set_segment("ss", 0x23, 0x50000, 0xFFFF, big=False, dpl=3, type=0x3)
    assert run(cpu, "c80800", esp=4, ebp=0xABCD) is None
    assert cpu.get_reg("esp") == 0xFFFA and cpu.read_mem(0x50002, 2) == b"\xcd\xab"


def test_push_outside_the_limit_is_ss_and_changes_nothing():
    cpu = FlatCPU(bits=32, cpl=3)
    cpu.set_segment("ss", 0x23, 0, 0xFFF, big=True, dpl=3, type=0x3)
    e = run(cpu, "c8100002", esp=0x1002, ebp=0x800)     # first push at 0xFFE..0x1001
    assert (e.vector, e.error_code) == (12, 0)
    assert cpu.get_reg("esp") == 0x1002 and cpu.get_reg("eip") == AT


def test_final_stack_pointer_outside_an_expand_down_limit_is_ss():
    # expand-down, limit FFFh: valid offsets 1000h..FFFFFFFFh; the pushes fit,
    # the final ESP (1014h - 4 - 14h = FFCh) does not
    cpu = FlatCPU(bits=32, cpl=3)
    cpu.set_segment("ss", 0x23, 0, 0xFFF, big=True, dpl=3, type=0x7)
    e = run(cpu, "c8140000", esp=0x1014, ebp=0x5000)
    assert (e.vector, e.error_code) == (12, 0)
    assert cpu.get_reg("esp") == 0x1014
    assert run(cpu, "c80c0000", esp=0x1014, ebp=0x5000) is None    # final ESP = 1004h
    assert cpu.get_reg("esp") == 0x1004


def _paged(hole):
    cpu = FlatCPU(bits=32, cpl=0)
    pd, pt = 0x100000, 0x101000
    cpu.write_mem(pd, struct.pack("<I", pt | 3))
    cpu.write_mem(pt, b"".join(struct.pack("<I", 0 if k in hole else (k << 12) | 3)
                               for k in range(1024)))
    cpu.set_reg("cr3", pd)
    cpu.set_reg("cr0", cpu.get_reg("cr0") | 0x80000000)
    return cpu


def test_final_stack_pointer_on_a_missing_page_is_pf():
    cpu = _paged({0x50})
    # pushes at 0x52FFC, final ESP 0x52FFC - 0x2000 = 0x50FFC: not present
    e = run(cpu, "c8002000", esp=0x53000, ebp=0x1234)
    assert (e.vector, e.cr2) == (14, 0x50FFC) and e.error_code & 2
    assert cpu.get_reg("esp") == 0x53000 and cpu.read_mem(0x52FFC, 4) == bytes(4)


def test_allocated_pages_between_are_not_touched():
    cpu = _paged({0x51})
    # the missing page 0x51000 lies inside the allocation only
    assert run(cpu, "c8002000", esp=0x53000, ebp=0x1234) is None
    assert cpu.get_reg("esp") == 0x50FFC
