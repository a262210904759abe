"""Translated blocks (kw86/exec_block.pxi) checked independently: random
programs from the forms the blocks translate, mixed with instructions that
stop blocks (tests/blockdiff_gen.py), run

  (a) with blocks on, whole and in small budgets (1, 2, 3, 7, 13 ...),
  (b) with Core.set_blocks(False) (the per-instruction path alone),
  (c) under Unicorn (architectural state: registers, EIP, memory, and the
      flags the manual defines),

and directed cases for the edges the engine claims to handle: page-crossing
accesses, TLB misses inside a block, #PF/#GP/#SS inside a block (faulting
EIP, error code, CR2, nothing written), self-modifying code (same block,
next block, a block chained to, through an alias), code across a page
boundary, jcc targets in another page, timer interrupts landing inside
blocks, a CPL 3 code segment limit below 4 GiB (#GP at the branch), and
non-flat data segments at CPL 3.

(a) and (b) must agree exactly: registers, EFLAGS, EIP, memory, the retired
instruction count and the modelled cycles, and the exception with its error
code and CR2.
"""

import random
import struct

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from unicorn import UC_HOOK_CODE

import blockdiff_gen as G
import unicorn_oracle as U
from kw86.testing import make_system, desc, KTEXT, UTEXT, USTACK, PT0

CODE_BASE, DATA_BASE = U.CODE_BASE, U.DATA_BASE
WINDOW = 0x12000            # compared bytes from DATA_BASE (data + stack)
STACK_OFF = 0x10000         # esp = DATA_BASE + STACK_OFF + small
EDI_OFFS = [0x1000, 0x1F7D, 0x2FFA, 0x3000 - 0x900 + 2, 0x4FF0]
CODE_ATS = [0x1000, 0x1FF0, 0x1FC3, 0x2FFE, 0x3F80]     # CS offsets (code crosses pages)


# ---------------------------------------------------------------------------
# kw86 harness

def kw_state(m, exc):
    e = None
    if exc is not None:
        e = (exc.vector, exc.error_code, exc.cr2)
    return {"exc": e,
            "regs": tuple(m.get_reg(n) for n in U.GPRS),
            "eip": m.get_reg("eip"), "eflags": m.get_reg("eflags"),
            "insns": m.instructions, "cycles": m.cycles}


def run_chunks(m, budget, limit=300000):
    """Run in chunks of `budget` until an exception (int3 ends a program)."""
    total = 0
    while total < limit:
        r = m.run(budget)
        if r.exception is not None:
            return r.exception
        total += budget
    raise AssertionError("program did not end")


class Prog:
    """A program and its start state (data window contents, registers)."""

    def __init__(self, code, at, regs, eflags, data, cpl=3):
        self.code, self.at, self.regs, self.eflags, self.data, self.cpl = (
            code, at, regs, eflags, data, cpl)

    def kw(self, blocks):
        cpu = U.make_kw86(32, self.cpl)
        m = cpu.machine
        m.write(DATA_BASE, self.data)
        m.write(CODE_BASE + self.at, self.code)
        for n, v in zip(U.GPRS, self.regs):
            m.set_reg(n, v)
        m.set_reg("eflags", self.eflags)
        m.set_reg("eip", self.at)
        m.core.set_blocks(blocks)
        return m

    def run_kw(self, blocks, budget):
        m = self.kw(blocks)
        exc = run_chunks(m, budget)
        s = kw_state(m, exc)
        s["mem"] = m.read(DATA_BASE, WINDOW)
        s["blk"] = m.core.block_instructions
        return s

    def run_uc(self, limit=300000):
        uc = U.UcMachine(32, self.cpl)
        uc.uc.mem_write(DATA_BASE, self.data)
        uc.write_code(CODE_BASE + self.at, self.code)
        uc.set_state(list(self.regs), self.eflags)
        track = {"undef": 0, "bad": None}

        def hook(u, addr, size, _):
            b = bytes(u.mem_read(addr, 16))
            if b[0] == 0xCC:
                return
            rd, mod, und = G.flag_effects(b)
            if rd & track["undef"] and track["bad"] is None:
                track["bad"] = (addr - CODE_BASE, b[:size].hex(), rd & track["undef"])
            track["undef"] = (track["undef"] & ~mod) | und

        uc.uc.hook_add(UC_HOOK_CODE, hook)
        uc.vector = None
        uc.uc.emu_start(self.at, 0xFFFFFFFF, count=limit)
        return {"vector": uc.vector, "regs": tuple(uc.regs()), "eip": uc.eip(),
                "eflags": uc.eflags(), "undef": track["undef"], "bad": track["bad"],
                "mem": bytes(uc.uc.mem_read(DATA_BASE, WINDOW))}


def first_diff(a, b):
    k = next(i for i in range(min(len(a), len(b))) if a[i] != b[i])
    return f"{DATA_BASE + k:#x}: {a[k]:02x} != {b[k]:02x}"


def same(got, ref, what):
    for key in ("exc", "regs", "eip", "eflags", "insns", "cycles"):
        assert got[key] == ref[key], (what, key, got[key], ref[key])
    assert got["mem"] == ref["mem"], (what, "memory", first_diff(got["mem"], ref["mem"]))


def make_prog(seed, n_units, loops, defined_only, cpl=3, allow=None):
    rng = random.Random(seed)
    edi = DATA_BASE + rng.choice(EDI_OFFS)
    code = G.program(rng, edi, n_units, loops, defined_only=defined_only, allow=allow)
    at = rng.choice(CODE_ATS)
    regs = [U.gen_reg(rng, 32) for _ in range(8)]
    regs[G.ECX] = 0
    regs[G.ESI] = rng.randrange(256)
    regs[G.EDI] = edi
    regs[G.ESP] = DATA_BASE + STACK_OFF + rng.choice([0, 2, 0x7FD, 0x1000])
    eflags = 0x202 | (rng.getrandbits(12) & 0x8D5)
    data = random.Random(seed ^ 0x5A5A).randbytes(WINDOW)
    return Prog(code, at, regs, eflags, data, cpl)


def check_blocks_vs_interpreter(p, budgets):
    ref = p.run_kw(False, 10**6)
    assert ref["exc"][0] == 3, ref["exc"]       # the program ends at its int3
    assert ref["blk"] == 0
    for budget in budgets:
        got = p.run_kw(True, budget)
        same(got, ref, f"blocks on, budget {budget}")
    return ref


def check_vs_unicorn(p, kw):
    u = p.run_uc()
    assert u["bad"] is None, ("generator: a flag the manual leaves undefined was read", u["bad"])
    assert u["vector"] == 3, u["vector"]
    assert u["eip"] == kw["eip"], (hex(u["eip"]), hex(kw["eip"]))
    for n, a, b in zip(U.GPRS, kw["regs"], u["regs"]):
        assert a == b, (n, hex(a), hex(b))
    fmask = U.FLAG_BITS & ~u["undef"]
    assert (kw["eflags"] ^ u["eflags"]) & fmask == 0, (hex(kw["eflags"]), hex(u["eflags"]), hex(fmask))
    assert kw["mem"] == u["mem"], ("memory", first_diff(kw["mem"], u["mem"]))


# ---------------------------------------------------------------------------
# random programs: (a) vs (b) at several budgets, and (a) vs Unicorn

@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 24), loops=st.integers(1, 12),
       cpl=st.sampled_from([3, 0]))
def test_random_programs_blocks_vs_interpreter(seed, n, loops, cpl):
    p = make_prog(seed, n, loops, defined_only=False, cpl=cpl)
    b = random.Random(seed).choice([2, 3, 5, 13, 64])
    check_blocks_vs_interpreter(p, (10**6, 1, b))


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 24), loops=st.integers(1, 8),
       cpl=st.sampled_from([3, 0]))
def test_random_programs_vs_unicorn(seed, n, loops, cpl):
    p = make_prog(seed, n, loops, defined_only=True, cpl=cpl)
    ref = p.run_kw(True, 10**6)
    check_vs_unicorn(p, ref)
    assert p.run_kw(False, 10**6) | {"blk": 0} == ref | {"blk": 0}


def test_random_programs_run_in_blocks():
    """The comparisons above mean something: the generated programs spend
    most of their instructions inside blocks with blocks on."""
    inside = total = 0
    for seed in range(30):
        p = make_prog(seed, 16, 8, defined_only=False)
        s = p.run_kw(True, 10**6)
        inside += s["blk"]
        total += s["insns"]
    assert inside > total // 3, (inside, total)
