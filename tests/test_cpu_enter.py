"""ENTER's faults, against the Intel SDM Vol. 2A ENTER, Protected Mode
Exceptions: "#SS(0) If the new value of the SP or ESP register is outside
the stack segment limit" (and a push outside it); "#PF(fault-code) If a page
fault occurs or if a write using the final value of the stack pointer
(within the current stack segment) would cause a page fault".  The bytes
allocated between the pushes and the final stack pointer are not accessed."""

import struct

import pytest

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


def _based_flat_stack():
    # a 4 GiB expand-up stack based at 1 MiB: offsets just below 4 GiB are the
    # linear addresses just below 1 MiB (the linear address wraps), inside memory
    cpu = FlatCPU(bits=32, cpl=3)
    cpu.set_segment("ss", 0x23, 0x100000, 0xFFFFFFFF, big=True, dpl=3, type=0x3)
    return cpu


def test_enter_nesting_pushes_wrapping_esp_through_zero():
    # ESP 4, enter 0, 2: Push(EBP) at 0, the frame pointer at FFFFFFFCh, FrameTemp
    # at FFFFFFF8h: every push inside the limit, none wrapping itself: no fault
    cpu = _based_flat_stack()
    cpu.write_mem(0x100000 + 0x1230, bytes.fromhex("efbeadde"))       # [EBP-4]
    assert run(cpu, "c8000002", esp=4, ebp=0x1234) is None
    assert cpu.get_reg("esp") == 0xFFFFFFF8 and cpu.get_reg("ebp") == 0
    assert cpu.read_mem(0x100000, 4) == bytes.fromhex("34120000")      # old EBP
    assert cpu.read_mem(0xFFFF8, 8) == bytes.fromhex("00000000efbeadde")


def test_pusha_wrapping_esp_through_zero():
    # SDM Vol. 2B PUSHA: #SS(0) "if the starting or ending stack address is
    # outside the stack segment limit" -- ESP 8 on a 4 GiB stack is neither
    cpu = _based_flat_stack()
    regs = dict(eax=0xA0, ecx=0xC0, edx=0xD0, ebx=0xB0, ebp=0xBB, esi=0x51, edi=0xD1)
    assert run(cpu, "60", esp=8, **regs) is None
    assert cpu.get_reg("esp") == 0xFFFFFFE8
    words = cpu.read_mem(0xFFFE8, 24) + cpu.read_mem(0x100000, 8)
    import struct as _s
    assert _s.unpack("<8I", words) == (0xD1, 0x51, 0xBB, 8, 0xB0, 0xD0, 0xC0, 0xA0)


def test_a_push_that_itself_wraps_past_4g_is_ss():
    # ESP 2: the doubleword at FFFFFFFEh runs past the 4 GiB limit
    cpu = _based_flat_stack()
    for code in ("60", "c8000000", "c8000001"):
        e = run(cpu, code, esp=2, ebp=0x1234)
        assert (e.vector, e.error_code) == (12, 0), code
        assert cpu.get_reg("esp") == 2


def test_far_call_pushes_wrapping_esp_through_zero():
    cpu = _based_flat_stack()
    # call far 0x1B:0x2000 (FlatCPU's own ring-3 code segment), ESP 4: CS at
    # offset 0, EIP at FFFFFFFCh
    e = run(cpu, "9a00200000" "1b00", esp=4)
    assert e is None
    assert cpu.get_reg("esp") == 0xFFFFFFFC and cpu.get_reg("eip") == 0x2000
    assert cpu.read_mem(0x100000, 2) == b"\x1b\x00"
    assert cpu.read_mem(0xFFFFC, 4) == (AT + 7).to_bytes(4, "little")
