"""copyin/copyout against a real kw86.Machine's page tables."""
import pytest

from buildreq import need_module
from kw86.nbsd import abi
from kw86.nbsd.errors import Errno, Fault
from kw86.nbsd.usermem import FlatUserMem, MachineUserMem


def test_flat_usermem():
    m = FlatUserMem(8192, base=0x1000)
    m.copyout(0x1000, b"abc\0")
    assert m.copyinstr(0x1000, 100) == b"abc"
    with pytest.raises(Fault):
        m.copyin(0xfff, 2)
    with pytest.raises(Fault):
        m.copyout(0x2fff, b"xy")
    m.copyout(0x1100, b"x" * 50)
    with pytest.raises(Errno) as e:
        m.copyinstr(0x1100, 10)
    assert e.value.errno == abi.ENAMETOOLONG
    m.copyout(0x2ffc, b"end!")              # no NUL before the unmapped end
    with pytest.raises(Fault):
        m.copyinstr(0x2ffc, 100)


def _machine():
    machine = need_module("kw86.machine")
    return machine.Machine(mem_size=1 << 20)


def test_machine_usermem_paging():
    m = _machine()
    pd, pt = 0x10000, 0x11000
    m.write_u32(pd + 0, pt | 0x7)                       # PDE 0: user, rw
    m.write_u32(pt + 4 * 0x20, 0x20000 | 0x7)          # 0x20000: user rw
    m.write_u32(pt + 4 * 0x21, 0x21000 | 0x5)          # 0x21000: user ro
    m.write_u32(pt + 4 * 0x22, 0x22000 | 0x3)          # 0x22000: supervisor rw
    m.set_cr(3, pd)
    m.set_cr(0, 0x80010001)                            # PG, WP, PE
    m.flush_tlb()
    um = MachineUserMem(m)
    um.copyout(0x20ff0, b"hello\0")
    assert um.copyinstr(0x20ff0, 64) == b"hello"
    assert m.read(0x20ff0, 5) == b"hello"
    assert um.copyin(0x21000, 4) == bytes(4)           # readable
    with pytest.raises(Fault):
        um.copyout(0x21000, b"x")                      # read-only page
    with pytest.raises(Fault):
        um.copyout(0x20ffe, b"xyz1")                   # runs into the read-only page
    assert m.read(0x20ffe, 2) == b"\0\0"               # nothing was written
    with pytest.raises(Fault):
        um.copyin(0x22000, 4)                          # supervisor page
    with pytest.raises(Fault):
        um.copyin(0x400000, 4)                         # unmapped
    with pytest.raises(Fault):
        um.copyin(0xc0000000, 4)                       # kernel space
    charged = []
    um = MachineUserMem(m, charge=charged.append)
    um.copyin(0x20000, 100)
    assert charged == [100]


def test_machine_usermem_copyin_resolves_every_missing_page():
    """copyin of a buffer whose pages are not present yet (a large buffer the
    guest never touched: demand-zero) asks the VM system for each missing
    page, not only the first (Go's os TestClosedPipeRaceWrite wrote a fresh
    131073-byte slice to a pipe and got EFAULT); a page it cannot resolve is
    the fault, at that page."""
    m = _machine()
    pd, pt = 0x10000, 0x11000
    m.write_u32(pd + 0, pt | 0x7)
    m.write_u32(pt + 4 * 0x30, 0x30000 | 0x7)          # 0x30000 present
    m.set_cr(3, pd)
    m.set_cr(0, 0x80010001)
    m.flush_tlb()
    m.write(0x30ffc, b"abcd")
    asked = []

    def fault(addr, write):                            # demand-zero 0x31000..0x35fff
        asked.append((addr, write))
        page = addr & ~0xfff
        if not 0x31000 <= page < 0x36000:
            return False
        m.write(page, bytes(4096))
        m.write_u32(pt + 4 * (page >> 12), page | 0x7)
        m.flush_tlb()
        return True

    um = MachineUserMem(m, fault=fault)
    data = um.copyin(0x30ffc, 4 + 5 * 4096)
    assert data == b"abcd" + bytes(5 * 4096)
    assert asked == [(0x31000 + 0x1000 * i, False) for i in range(5)]
    asked.clear()
    with pytest.raises(Fault) as e:
        um.copyin(0x35ff0, 0x20)                       # into 0x36000: not resolvable
    assert e.value.addr == 0x36000
    assert asked == [(0x36000, False)]


def test_machine_usermem_copyout_within_a_page():
    """copyout within one page (its fast path: one write_virt) writes nothing
    on a page it may not write, and asks the VM system to resolve it
    (copy-on-write: a read-only page made writable) before writing, as the
    general path does; charged only once written."""
    m = _machine()
    pd, pt = 0x10000, 0x11000
    m.write_u32(pd + 0, pt | 0x7)
    m.write_u32(pt + 4 * 0x40, 0x40000 | 0x5)          # 0x40000: user ro (COW)
    m.write_u32(pt + 4 * 0x41, 0x41000 | 0x5)          # 0x41000: user ro for good
    m.set_cr(3, pd)
    m.set_cr(0, 0x80010001)
    m.flush_tlb()
    asked, charged = [], []

    def fault(addr, write):
        asked.append((addr, write))
        if addr & ~0xfff != 0x40000:
            return False
        m.write_u32(pt + 4 * 0x40, 0x40000 | 0x7)
        m.flush_tlb()
        return True

    um = MachineUserMem(m, fault=fault, charge=charged.append)
    um.copyout(0x40100, b"stat" * 31)
    assert m.read(0x40100, 124) == b"stat" * 31
    assert asked == [(0x40100, True)] and charged == [124]
    asked.clear()
    with pytest.raises(Fault):
        um.copyout(0x41100, b"x" * 124)
    assert m.read(0x41100, 124) == bytes(124) and charged == [124]
    assert asked == [(0x41100, True)]
    um.copyout(0x40ffc, b"1234")                       # the last word of the page
    assert m.read(0x40ffc, 4) == b"1234"


def test_machine_usermem_copyinstr_and_copyin_resolve_a_missing_page():
    """A path or argument block on a page that is not present yet (stack
    growth, demand-zero) is read after the VM system resolves the fault."""
    m = _machine()
    pd, pt = 0x10000, 0x11000
    m.write_u32(pd + 0, pt | 0x7)
    m.set_cr(3, pd)
    m.set_cr(0, 0x80010001)
    m.flush_tlb()
    asked = []

    def fault(addr, write):
        asked.append((addr, write))
        page = addr & ~0xfff
        if page != 0x50000:
            return False
        m.write(page, bytes(4096))
        m.write(page + 0x10, b"/d/file\0" + (7).to_bytes(4, "little"))
        m.write_u32(pt + 4 * (page >> 12), page | 0x7)
        m.flush_tlb()
        return True

    charged = []
    um = MachineUserMem(m, fault=fault, charge=charged.append)
    assert um.copyinstr(0x50010, 1024) == b"/d/file"
    assert asked == [(0x50010, False)] and charged == [8]
    assert um.copyin(0x50018, 4) == (7).to_bytes(4, "little")
    with pytest.raises(Fault):
        um.copyinstr(0x51000, 16)                      # not resolvable
    with pytest.raises(Fault):
        um.copyin(0x51000, 4)
