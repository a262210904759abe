"""Far CALL and interrupt frames whose (E)SP wraps through 0 during the
pushes (exec.pyx push_frame): each push is checked where it lands (SDM
Vol. 2A CALL: "#SS(0) If pushing the return address ... exceeds the bounds
of the stack segment"; INT n likewise), a push that itself runs past the
top of the stack segment is #SS(0), and a fault (#SS or #PF) comes before
any byte of the frame is written.  The 32-bit far CALL case with no fault is
in tests/test_cpu_enter.py."""

import struct

from kw86.testing import FlatCPU, KCODE, KDATA, KTEXT, make_system

AT = 0x1000


def run(cpu, code, **regs):
    cpu.write_mem(AT, bytes.fromhex(code))
    cpu.set_reg("eip", AT)
    for k, v in regs.items():
        cpu.set_reg(k, v)
    return cpu.step()


def _based_flat_stack():
    # 4 GiB expand-up stack based at 1 MiB: offset FFFFFFFCh is linear FFFFCh
    cpu = FlatCPU(bits=32, cpl=3)
    cpu.set_segment("ss", 0x23, 0x100000, 0xFFFFFFFF, big=True, dpl=3, type=0x3)
    return cpu


def test_far_call_push_running_past_4g_is_ss_and_writes_nothing():
    # ESP 2: the CS doubleword goes to FFFFFFFEh..1h, past the 4 GiB limit
    cpu = _based_flat_stack()
    cpu.write_mem(0xFFFF0, b"\x5a" * 0x20)
    e = run(cpu, "9a00200000" "1b00", esp=2)
    assert (e.vector, e.error_code) == (12, 0)
    assert cpu.get_reg("esp") == 2 and cpu.get_reg("eip") == AT
    assert cpu.read_mem(0xFFFF0, 0x20) == b"\x5a" * 0x20


def test_far_call_on_a_16bit_stack_wrapping_sp_through_zero():
    # 16-bit code and stack, limit FFFFh, SP 2: CS at 0, IP at FFFEh, both
    # inside the limit: no fault, SP = FFFEh
    cpu = FlatCPU(bits=16, cpl=3)
    cpu.set_segment("ss", 0x23, 0x50000, 0xFFFF, big=False, dpl=3, type=0x3)
    assert run(cpu, "9a0020" "1b00", esp=2) is None
    assert cpu.get_reg("esp") & 0xFFFF == 0xFFFE and cpu.get_reg("eip") == 0x2000
    assert cpu.read_mem(0x50000, 2) == b"\x1b\x00"
    assert cpu.read_mem(0x5FFFE, 2) == (AT + 5).to_bytes(2, "little")


def test_far_call_wrapping_esp_onto_a_missing_page_is_pf_before_any_write():
    # ring 0, paging: the first 4 MiB identity-mapped, nothing above; ESP 4:
    # CS would go to 0 (present), EIP to FFFFFFFCh (not present): #PF there,
    # and the CS slot at 0 is not written
    cpu = FlatCPU(bits=32, cpl=0, mem_size=4 << 20)
    pd, pt = 0x100000, 0x101000
    cpu.write_mem(pd, struct.pack("<I", pt | 3))
    cpu.write_mem(pt, b"".join(struct.pack("<I", (k << 12) | 3) for k in range(1024)))
    cpu.set_reg("cr3", pd)
    cpu.set_reg("cr0", cpu.get_reg("cr0") | 0x80000000)
    cpu.write_mem(0, b"\xa5" * 8)
    e = run(cpu, "9a00200000" "0800", esp=4)
    assert e.vector == 14 and e.cr2 == 0xFFFFFFFC and e.error_code & 2
    assert cpu.get_reg("esp") == 4 and cpu.get_reg("eip") == AT
    assert cpu.read_mem(0, 8) == b"\xa5" * 8


def test_interrupt_frame_wrapping_esp_through_zero():
    # INT 80h at ring 0 (same privilege: EFLAGS, CS, EIP) with ESP 8 on a
    # 4 GiB stack based at 1 MiB: EFLAGS at 4, CS at 0, EIP at FFFFFFFCh
    m = make_system(cpl=0)
    m.set_segment("ss", KDATA, 0x100000, 0xFFFFFFFF, big=True, dpl=0, type=0x3)
    m.set_reg("esp", 8)
    m.write(KTEXT + 0x400, b"\xcd\x80")
    m.write(KTEXT, b"\xf4")
    m.intercept = set()
    fl = m.get_reg("eflags")
    m.run(1)
    assert m.get_reg("eip") == KTEXT and m.get_reg("esp") == 0xFFFFFFFC
    assert struct.unpack("<II", m.read(0x100000, 8)) == (KCODE, fl)
    assert struct.unpack("<I", m.read(0xFFFFC, 4))[0] == KTEXT + 0x402


def test_interrupt_push_running_past_4g_is_ss_and_writes_nothing():
    # ESP 6: EFLAGS at 2..5, CS at FFFFFFFEh..1h -- past the limit: #SS(0)
    # (intercepted: the machine returns it with the state at the INT), and
    # nothing of the frame written
    m = make_system(cpl=0)
    m.set_segment("ss", KDATA, 0x100000, 0xFFFFFFFF, big=True, dpl=0, type=0x3)
    m.set_reg("esp", 6)
    m.write(KTEXT + 0x400, b"\xcd\x80")
    m.write(0xFFFF0, b"\x5a" * 0x20)
    m.intercept = {12}
    r = m.run(1)
    assert r.exception is not None and (r.exception.vector, r.exception.error_code) == (12, 0)
    assert m.get_reg("esp") == 6 and m.get_reg("eip") == KTEXT + 0x400
    assert m.read(0xFFFF0, 0x20) == b"\x5a" * 0x20
