"""Fuzz: random byte strings from random states, under a budget.  The host
never crashes, hangs or raises: every outcome is a result or a guest
exception.  KW86_FUZZ_N scales the number of cases (CI keeps it small)."""

import os
import random

import pytest
from hypothesis import given, settings, strategies as st

import kw86
from kw86.machine import Machine
from kw86.testing import FlatCPU

N = int(os.environ.get("KW86_FUZZ_N", "300" if os.environ.get("CI") else "2000"))
REGS = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"]


def random_state(cpu, rnd):
    for r in REGS:
        # pointers mostly inside memory, sometimes wild
        if rnd.random() < 0.7:
            cpu.set_reg(r, rnd.randrange(0, cpu.machine.mem_size))
        else:
            cpu.set_reg(r, rnd.getrandbits(32))
    cpu.set_reg("eflags", (rnd.getrandbits(32) & 0x0CD5) | 0x202)


@pytest.mark.parametrize("bits,cpl", [(32, 3), (32, 0), (16, 3), (16, 0)])
def test_random_bytes_flat(bits, cpl):
    rnd = random.Random(1234 + bits + cpl)
    cpu = FlatCPU(bits=bits, cpl=cpl, mem_size=1 << 20)
    for case in range(N):
        random_state(cpu, rnd)
        at = rnd.randrange(0, (1 << 20) - 64) if bits == 32 else rnd.randrange(0, 0xFFC0)
        code = bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(1, 48)))
        cpu.write_mem(at, code)
        cpu.set_reg("eip", at)
        if rnd.random() < 0.2 and cpl == 0:
            # sometimes with paging on, over a random page directory
            cpu.set_reg("cr3", rnd.randrange(0, 1 << 20) & ~0xFFF)
            cpu.set_reg("cr0", cpu.get_reg("cr0") | 0x80000000)
        for _ in range(8):
            e = cpu.step()
            assert e is None or isinstance(e, kw86.CPUException)
            if e is not None:
                break
        cpu.set_reg("cr0", cpu.get_reg("cr0") & 0x7FFFFFFF)


def test_random_bytes_with_garbage_descriptor_tables():
    """Random GDT/IDT/TSS contents: delivery must end in a result, a double
    or triple fault, or a task-switch report, never a host problem."""
    rnd = random.Random(99)
    m = Machine(mem_size=1 << 20)
    for case in range(max(20, N // 20)):
        m.write(0, bytes(rnd.getrandbits(8) for _ in range(0x4000)))
        m.set_gdt(rnd.randrange(0, 0x2000), rnd.randrange(0, 0x800))
        m.set_idt(rnd.randrange(0, 0x2000), rnd.choice([0, 0x7FF, rnd.randrange(0, 0x800)]))
        m.set_segment("cs", 0x1B, 0, 0xFFFFFFFF, dpl=3)
        for s in ("ds", "es", "ss", "fs", "gs"):
            m.set_segment(s, 0x23, 0, 0xFFFFFFFF, dpl=3)
        m.core.cpl = 3
        m.set_segment("tr", 0x28, rnd.randrange(0, 0x3000), rnd.randrange(0, 0x2100), dpl=0,
                      type=0x9)
        for r in REGS:
            m.set_reg(r, rnd.randrange(0, 1 << 20))
        m.set_reg("eip", rnd.randrange(0x4000, (1 << 20) - 64))
        m.set_reg("eflags", 0x202)
        m.set_cr(0, 0x11 | (0x80000000 if rnd.random() < 0.3 else 0))
        m.set_cr(3, rnd.randrange(0, 1 << 20) & ~0xFFF)
        r = m.run(200)
        assert r.event in ("budget", "hlt", "hang", "triple_fault", "task_switch", "exception")


@settings(max_examples=50 if os.environ.get("CI") else 200, deadline=None)
@given(code=st.binary(min_size=1, max_size=32), eax=st.integers(0, 2**32 - 1),
       esp=st.integers(0, 2**32 - 1))
def test_hypothesis_bytes(code, eax, esp):
    cpu = FlatCPU(bits=32, cpl=3, mem_size=1 << 20)
    cpu.write_mem(0x1000, code)
    cpu.set_reg("eip", 0x1000)
    cpu.set_reg("eax", eax)
    cpu.set_reg("esp", esp)
    for _ in range(4):
        e = cpu.step()
        if e is not None:
            assert isinstance(e, kw86.CPUException)
            break


def test_budget_stops_an_endless_loop():
    cpu = FlatCPU()
    cpu.write_mem(0x1000, bytes.fromhex("ebfe"))
    cpu.set_reg("eip", 0x1000)
    r = cpu.machine.run(100000)
    assert r.event == "budget" and r.instructions == 100000
