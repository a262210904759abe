"""Core.run_io's system-call answer cache (exec_core.pxi sysfast_*, used by
kw86/nbsd/trap.py for getpid and the like): an answer the port handler armed
is given again by the run loop itself -- eax, edx, ebx, the cost in cycles,
counted -- and only until host code runs again.  Checked on small ring-0
programs (bytes inline, each commented) against the same program with the
cache never armed: the guest must not be able to tell the difference."""

import struct

import pytest
from hypothesis import given, settings, strategies as st

from kw86.testing import KTEXT, make_system

PORT, HC_TRAP, HC_GATE, HC_OTHER, FAST, COST = 0x4B57, 2, 4, 7, 0x4B57FA57, 90
OUT = 0x50000                                   # where the program stores each answer


def program(ops):
    """ops: ("call", nr, gate) or ("other",).  Each call stores its eax, edx,
    ebx at edi and moves edi on; ends with int3."""
    code = bytes.fromhex("bf") + struct.pack("<I", OUT)             # mov edi, OUT
    for op in ops:
        if op[0] == "call":
            _, nr, gate = op
            code += (b"\xbb" + struct.pack("<I", 0)                 # mov ebx, 0
                     + b"\xb9" + struct.pack("<I", nr)              # mov ecx, nr
                     + b"\xb8" + struct.pack("<I", HC_GATE if gate else HC_TRAP)  # mov eax, HC
                     + b"\xba" + struct.pack("<I", PORT)            # mov edx, PORT
                     + bytes.fromhex("ef"                           # out dx, eax
                                     "8907"                         # mov [edi], eax
                                     "895704"                       # mov [edi+4], edx
                                     "895f08"                       # mov [edi+8], ebx
                                     "83c70c"))                     # add edi, 12
        else:
            code += (b"\xb8" + struct.pack("<I", HC_OTHER)          # mov eax, HC_OTHER
                     + b"\xba" + struct.pack("<I", PORT)            # mov edx, PORT
                     + b"\xef")                                     # out dx, eax
    return code + b"\xcc"                                           # int3


class Kern:
    """A port handler in the manner of trap.make_hypercall: answers call nr
    with (state * 1000 + nr, nr), charges COST, arms the cache if asked;
    HC_OTHER changes the state (as a kernel's other work may)."""

    def __init__(self, m, arm):
        self.m, self.arm, self.state, self.calls = m, arm, 0, [0, 0]
        core = m.core

        def handler(port, size, value):
            if value in (HC_TRAP, HC_GATE):
                nr = core.get_gpr(1)
                eax, edx = self.state * 1000 + nr, nr
                self.calls[value == HC_GATE] += 1
                core.add_cycles(COST)
                core.set_gpr(0, eax)
                core.set_gpr(2, edx)
                core.set_gpr(3, FAST)
                if self.arm:
                    core.sysfast_arm(nr, eax, edx)
            elif value == HC_OTHER:
                self.state += 1
        self.handler = handler
        m.set_port_handler(PORT, write=handler, free=True)
        core.sysfast_setup(PORT, HC_TRAP, HC_GATE, FAST, 511, COST, handler)


def run(ops, arm, step=10**6):
    m = make_system(cpl=0)
    code = program(ops)
    m.write(KTEXT + 0x400, code)
    k = Kern(m, arm)
    for _ in range(100_000):
        r = m.run(step)
        if r.event == "exception":
            break
    assert r.exception.vector == 3
    n = sum(op[0] == "call" for op in ops)
    return m, k, m.read(OUT, 12 * n)


def test_armed_answer_is_given_by_the_run_loop():
    ops = [("call", 20, False)] * 5
    m, k, out = run(ops, arm=True)
    assert k.calls == [1, 0]                            # the handler saw the first only
    assert m.core.sysfast_hits(0) == 4 and m.core.sysfast_hits(1) == 0
    assert out == struct.pack("<III", 20, 20, FAST) * 5
    m0, k0, out0 = run(ops, arm=False)
    assert k0.calls == [5, 0] and m0.core.sysfast_hits(0) == 0
    assert out0 == out and m0.cycles == m.cycles        # the same registers, the same cycles


def test_only_the_armed_number_and_counted_by_path():
    ops = [("call", 20, False), ("call", 20, True), ("call", 24, True), ("call", 20, True)]
    m, k, out = run(ops, arm=True)
    # 20 armed by the first call and answered once by the cache (by gate);
    # 24 goes to the handler, which is host code: 20 asks the handler again
    assert k.calls == [1, 2] and m.core.sysfast_hits(0) == 0 and m.core.sysfast_hits(1) == 1
    assert struct.unpack("<3I", out[24:36]) == (24, 24, FAST)


def test_any_other_hypercall_disarms():
    ops = [("call", 20, False), ("call", 20, False), ("other",), ("call", 20, False),
           ("call", 20, False)]
    m, k, out = run(ops, arm=True)
    assert k.calls == [2, 0] and m.core.sysfast_hits(0) == 2
    assert [struct.unpack_from("<I", out, 12 * i)[0] for i in range(4)] == [20, 20, 1020, 1020]


def test_returning_from_run_disarms():
    ops = [("call", 20, False)] * 6
    m, k, _ = run(ops, arm=True, step=12)               # run() returns after two calls' worth
    assert k.calls[0] >= 2 and k.calls[0] + m.core.sysfast_hits(0) == 6


def test_another_port_handler_is_never_bypassed():
    m = make_system(cpl=0)
    m.write(KTEXT + 0x400, program([("call", 20, False)] * 4))
    k = Kern(m, arm=True)
    seen = []

    def wrapper(port, size, value):                     # a profiler's, a test's
        seen.append(value)
        return k.handler(port, size, value)
    m.set_port_handler(PORT, write=wrapper, free=True)
    assert m.run(1000).exception.vector == 3
    assert seen == [HC_TRAP] * 4 and m.core.sysfast_hits(0) == 0


def test_setup_off_and_bad_mask():
    m = make_system(cpl=0)
    m.write(KTEXT + 0x400, program([("call", 20, False)] * 3))
    k = Kern(m, arm=True)
    m.core.sysfast_setup(PORT, HC_TRAP, HC_GATE, FAST, 511, COST, None)
    assert m.run(1000).exception.vector == 3
    assert k.calls == [3, 0]
    with pytest.raises(ValueError):
        m.core.sysfast_setup(PORT, HC_TRAP, HC_GATE, FAST, 1023, COST, k.handler)


op = st.one_of(st.tuples(st.just("call"), st.sampled_from([20, 24, 47, 511]), st.booleans()),
               st.just(("other",)))


@settings(max_examples=60, deadline=None)
@given(st.lists(op, max_size=30), st.integers(1, 200))
def test_cached_run_is_indistinguishable(ops, step):
    """Any sequence of calls and other hypercalls, run in pieces of any
    size: the same stored answers, registers and cycles as without the
    cache, every call counted once (by the handler or by the cache)."""
    m1, k1, out1 = run(ops, arm=True, step=step)
    m0, k0, out0 = run(ops, arm=False, step=step)
    assert out1 == out0
    assert m1.cycles == m0.cycles and m1.instructions == m0.instructions
    assert [m1.get_reg(r) for r in ("eax", "ebx", "ecx", "edx", "edi", "eip")] == \
        [m0.get_reg(r) for r in ("eax", "ebx", "ecx", "edx", "edi", "eip")]
    for g in (0, 1):
        assert k1.calls[g] + m1.core.sysfast_hits(g) == k0.calls[g]
