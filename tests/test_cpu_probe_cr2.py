"""check_wr (exec.pyx): the write probe of a store that may straddle two pages
(FNSAVE/FNSTENV/FST* areas, FXSAVE, INS) reports a #PF in the second page
with that page's first byte in CR2, as the CPU reports the first byte of
the access that lies in the faulting page (the harness in
tests/test_cpu_native.py found the last byte reported for PUSHA, which now
probes each half itself); nothing is written when the probe faults."""
import struct

import pytest

from kw86.testing import PT0, make_system

HOLE = 0x60000          # a page made not present


def machine():
    m = make_system(cpl=0, paging=True)
    m.set_cr(0, 0x80000011)                     # PE, ET, PG (no EM: the FPU runs)
    pt = bytearray(m.read(PT0, 4096))
    struct.pack_into("<I", pt, 4 * (HOLE >> 12), 0)
    m.write(PT0, bytes(pt))
    m.intercept = {14}
    return m


@pytest.mark.parametrize("addr, cr2", [
    (HOLE - 0x20, HOLE),            # straddles into the hole: its first byte
    (HOLE - 1, HOLE),
    (HOLE - 108, None),             # ends just below the hole: no fault
    (HOLE + 0x10, HOLE + 0x10),     # wholly in the hole: the first byte
])
def test_fnsave_probe_cr2(addr, cr2):
    m = machine()
    eip = m.get_reg("eip")
    m.write(eip, b"\xdd\x30")                   # fnsave [eax] (108 bytes)
    m.set_reg("eax", addr)
    before = m.read(HOLE - 0x1000, 0x1000)
    r = m.run(1)
    if cr2 is None:
        assert r.exception is None and r.instructions == 1
        return
    assert r.exception is not None and r.exception.vector == 14, r
    assert r.exception.cr2 == cr2
    assert r.exception.error_code & 2                   # a write
    assert m.get_reg("eip") == eip
    assert m.read(HOLE - 0x1000, 0x1000) == before      # nothing stored
