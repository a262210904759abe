"""kw86 run in one go against kw86 single-stepped, on the Unicorn oracle's
random instruction mix (tests/unicorn_oracle.py: every user-level integer
row, random prefixes, the integer families, often-zero displacements and
immediates) rather than hand-picked forms.

The Unicorn differential (test_cpu_vs_unicorn.py) single-steps kw86, so the
run loop's inline fast forms, fused compare-and-branch pairs and lazy flags
carried from one instruction to the next are only reached here: the same
program and state on two machines, one `run(n)`, the other `step()` n times,
must end with the same registers, EFLAGS (all of them: same machine, so an
undefined flag must be the same value too), memory, exception, instruction
count and modelled cycles."""

import random

import pytest
from hypothesis import settings

import unicorn_oracle as U

N_INSNS = 24


def machine(bits, seed, cs_limit=None, cpl=3):
    kw = U.make_kw86(bits, cpl)
    if cs_limit is not None:
        # a code segment that ends below 4 GiB, as NetBSD's user one does
        # (VM_MAXUSER_ADDRESS): the run loop cannot treat CS as flat
        kw.set_segment("cs", 0x1B, U.CODE_BASE, cs_limit, big=bits == 32, dpl=3, type=0xB)
    kw.write_mem(U.DATA_BASE, random.Random(seed).randbytes(U.DATA_SIZE))
    return kw


def load(kw, code, regs, fl):
    kw.write_mem(U.CODE_BASE + U.CODE, code)
    for n, v in zip(U.GPRS, regs):
        kw.set_reg(n, v)
    kw.set_reg("eflags", fl)
    kw.set_reg("eip", U.CODE)


def state(kw):
    return (U.kw_regs(kw), kw.get_reg("eip"), kw.get_reg("eflags"),
            kw.read_mem(U.DATA_BASE, U.DATA_SIZE), kw.instructions, kw.cycles)


def gen(rng, bits):
    g = U.gen_focus if rng.random() < 0.5 else U.gen_insn
    return g(rng, bits)


@pytest.mark.parametrize("cs_limit,cpl", [(None, 3), (0xBFBFEFFF, 3), (None, 0)],
                         ids=["flat_cs", "user_cs_limit", "cpl0"])
@pytest.mark.parametrize("bits", [32, 16])
def test_run_equals_step_on_random_programs(bits, cs_limit, cpl):
    rng = random.Random(f"run-step-{bits}-{cs_limit}-{cpl}")
    n_progs = max(60, settings.default.max_examples)
    ran = 0
    for k in range(n_progs):
        regs, fl = U.gen_state(rng, bits)
        fl &= ~0x100                    # no TF
        code = b"".join(gen(rng, bits) for _ in range(N_INSNS))
        # `a` steps until it faults or leaves the program; `b` then runs as many
        # instructions in one call
        a, b = machine(bits, k, cs_limit, cpl), machine(bits, k, cs_limit, cpl)
        load(a, code + b"\x90" * 8, regs, fl)
        load(b, code + b"\x90" * 8, regs, fl)
        ea = None
        steps = 0
        end = U.CODE + len(code)
        while steps < 4 * N_INSNS:
            eip = a.get_reg("eip")
            if not U.CODE <= eip < end:
                break
            ea = a.step()
            steps += 1
            if ea is not None:
                break
        # (a faulting instruction is not counted: one more lets `b` reach it)
        eb = b.run(a.instructions + (1 if ea is not None else 0))
        if ea is not None or eb is not None:
            assert (ea and (ea.vector, ea.error_code)) == (eb and (eb.vector, eb.error_code)), \
                (code.hex(), ea, eb)
        sa, sb = state(a), state(b)
        names = ("regs", "eip", "eflags", "memory", "instructions", "cycles")
        for name, x, y in zip(names, sa, sb):
            assert x == y, (f"{bits}-bit program {k} {code.hex()}: {name} differs after "
                            f"{a.instructions} instructions: step {x if name != 'memory' else '...'}"
                            f" run {y if name != 'memory' else '...'}")
        ran += a.instructions
    assert ran > n_progs * N_INSNS // 4
