"""MMU: two-level paging rules (Intel SDM Vol. 3A §4.3, §4.6 access rights,
§4.7 #PF error codes, §4.8 accessed/dirty), unbacked memory, bounds."""

import itertools

import pytest

from kw86.machine import Machine

PD, PT = 0x10000, 0x11000


def paged(pte_flags, pde_flags=0x7, wp=False, pse=False):
    m = Machine(mem_size=1 << 20)
    m.write_u32(PD, PT | pde_flags)
    m.write_u32(PT + 4 * 0x40, 0x40000 | pte_flags)       # va 0x40000 -> pa 0x40000
    m.set_cr(3, PD)
    m.set_cr(4, 0x10 if pse else 0)
    m.set_cr(0, 0x80000011 | (0x10000 if wp else 0))
    return m


@pytest.mark.parametrize("user,write,u,w,wp", list(itertools.product([0, 1], repeat=5)))
def test_access_rights_matrix(user, write, u, w, wp):
    m = paged(0x1 | (4 if u else 0) | (2 if w else 0), wp=wp)
    pa = m.translate(0x40123, write=bool(write), user=bool(user))
    # SDM §4.6: user needs U/S=1 (and R/W=1 to write); a supervisor write to
    # a read-only page faults only with CR0.WP=1
    ok = (not user or u) and (not write or w or (not user and not wp))
    if ok:
        assert pa == 0x40123
    else:
        assert pa is None
        addr, err = m.core.last_fault
        assert addr == 0x40123 and err == 1 | (2 if write else 0) | (4 if user else 0)


def test_not_present_error_code_and_pde_rights_combine():
    m = paged(0x0)
    assert m.translate(0x40000, write=True, user=True) is None
    assert m.core.last_fault == (0x40000, 6)
    m = paged(0x7, pde_flags=0x3)                          # PDE supervisor-only
    assert m.translate(0x40000, user=True) is None
    assert m.core.last_fault == (0x40000, 5)


def test_accessed_and_dirty():
    m = paged(0x7)
    m.translate(0x40000)
    assert m.read_u32(PT + 4 * 0x40) & 0x60 == 0x20
    assert m.read_u32(PD) & 0x20
    m.translate(0x40000, write=True)
    assert m.read_u32(PT + 4 * 0x40) & 0x60 == 0x60


def test_4mib_pages_need_cr4_pse():
    m = paged(0x7, pse=True)
    m.write_u32(PD + 4, 0x00400000 | 0x87)                # va 4M..8M -> pa 4M (beyond RAM)
    assert m.translate(0x400010) == 0x400010
    m = paged(0x7, pse=False)
    m.write_u32(PD + 4, 0x00000000 | 0x87)                # PS ignored: a page table at 0
    assert m.translate(0x400010) is None or m.translate(0x400010) != 0x10


def test_wild_cr3_and_unbacked_memory_are_safe():
    m = Machine(mem_size=1 << 20)
    m.set_cr(3, 0xFFFFF000)                               # page directory outside RAM
    m.set_cr(0, 0x80000011)
    assert m.translate(0x1234) is None                    # reads as not present
    m.set_cr(0, 0x11)
    assert m.read_virt(0x7FFFFFF0, 8) == b"\xff" * 8      # unbacked: all ones
    assert m.write_virt(0x7FFFFFF0, b"12345678") is True  # dropped
    with pytest.raises(IndexError):
        m.read(0xFFFF0, 0x20)
    with pytest.raises(IndexError):
        m.write(1 << 20, b"x")


def test_straddling_host_access_through_paging():
    m = paged(0x7)
    m.write_u32(PT + 4 * 0x41, 0)                         # next page not present
    assert m.read_virt(0x40FFE, 4) is None
    assert m.write_virt(0x40FFC, b"ab") is True
    assert m.read(0x40FFC, 2) == b"ab"


def test_mem_size_validation():
    with pytest.raises(ValueError):
        Machine(mem_size=12345)
    with pytest.raises(ValueError):
        Machine(mem_size=0)
