"""MachineUserMem.copyinstr (short first read) against the general
UserMem.copyinstr (page-sized reads) on a real Machine's page tables, for
random strings, positions, limits and page protections (hypothesis): the same
string, the same Fault address or ENAMETOOLONG, the same charge.  And copyout's
all-or-nothing rule against a model, with and without the VM's fault handler."""
from hypothesis import given, settings, strategies as st

from buildreq import need_module
from kw86.nbsd import abi
from kw86.nbsd.errors import Errno, Fault
from kw86.nbsd.usermem import MachineUserMem, UserMem

PAGES = 0x20                    # user pages 0x20..0x23 (PTE flags drawn per example)


def _machine(flags):
    machine = need_module("kw86.machine")
    m = machine.Machine(mem_size=1 << 20)
    pd, pt = 0x10000, 0x11000
    m.write_u32(pd + 0, pt | 0x7)
    for k, f in enumerate(flags):
        if f:
            m.write_u32(pt + 4 * (PAGES + k), ((PAGES + k) << 12) | f)
    m.set_cr(3, pd)
    m.set_cr(0, 0x80010001)
    m.flush_tlb()
    return m


def _outcome(fn, um, addr, maxlen, charged):
    del charged[:]
    try:
        r = ("ok", fn(um, addr, maxlen))
    except Fault as e:
        r = ("fault", e.args)
    except Errno as e:
        r = ("errno", e.errno)
    return r, list(charged)


@settings(max_examples=150, deadline=None)
@given(flags=st.lists(st.sampled_from([0, 0x5, 0x7, 0x3]), min_size=4, max_size=4),
       fill=st.binary(min_size=0, max_size=3 * 4096),
       start=st.integers(0, 4 * 4096 - 1), maxlen=st.integers(0, 5000))
def test_copyinstr_same_as_general(flags, fill, start, maxlen):
    m = _machine(flags)
    base = PAGES << 12
    data = (fill * (4 * 4096 // max(1, len(fill)) + 1))[:4 * 4096] if fill else bytes(4 * 4096)
    m.write(base, data)                 # physical = linear here
    charged = []
    um = MachineUserMem(m, charge=charged.append)
    got = _outcome(MachineUserMem.copyinstr, um, base + start, maxlen, charged)
    want = _outcome(UserMem.copyinstr, um, base + start, maxlen, charged)
    assert got == want
    assert got[0][0] != "ok" or got[1] == [len(got[0][1]) + 1]


def test_copyinstr_at_the_top_of_user_space():
    m = _machine([0x7, 0, 0, 0])
    um = MachineUserMem(m)
    for addr in (abi.VM_MAXUSER_ADDRESS - 1, abi.VM_MAXUSER_ADDRESS, -1):
        got = _outcome(MachineUserMem.copyinstr, um, addr, 64, [])
        assert got == _outcome(UserMem.copyinstr, um, addr, 64, [])
        assert got[0][0] == "fault"


@settings(max_examples=150, deadline=None)
@given(flags=st.lists(st.sampled_from([0, 0x5, 0x7, 0x3]), min_size=4, max_size=4),
       start=st.integers(0, 4 * 4096 - 1), n=st.integers(0, 6000),
       resolve=st.sampled_from([None, "no", "map"]))
def test_copyout_all_or_nothing(flags, start, n, resolve):
    """copyout: either every byte is
    written or a Fault at the first page the user cannot write (after the VM's
    fault handler had its chance) and none is; the charge is the length."""
    n = min(n, 4 * 4096 - start)
    m = _machine(flags)
    base = PAGES << 12
    m.write(base, bytes(4 * 4096))
    pt = 0x11000
    resolved = []

    def fault(addr, write):
        resolved.append(addr)
        if resolve != "map":
            return False
        k = (addr >> 12) - PAGES
        m.write_u32(pt + 4 * (PAGES + k), ((PAGES + k) << 12) | 0x7)
        m.flush_tlb()
        flags[k] = 0x7
        return True

    charged = []
    um = MachineUserMem(m, fault=None if resolve is None else fault, charge=charged.append)
    data = bytes((i * 7 + 1) & 0xFF or 1 for i in range(n))
    before = list(flags)
    first_bad = next((base + max(p << 12, start) for p in range(start >> 12, (start + n - 1 >> 12) + 1)
                      if n and before[p] != 0x7), None)
    try:
        um.copyout(base + start, data)
        outcome = "ok"
    except Fault as e:
        outcome = ("fault", e.args[0])
    if first_bad is None or resolve == "map":
        assert outcome == "ok"
        assert m.read(base + start, n) == data
        assert charged == ([n] if n else [])
    else:
        assert outcome == ("fault", first_bad)
        assert m.read(base, 4 * 4096) == bytes(4 * 4096)
        assert charged == []
