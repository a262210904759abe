"""A stack segment of the other size than the code segment, kw86 against
Unicorn: 32-bit code on a 16-bit stack (SS.B = 0: pushes and pops move SP,
ESP's upper half is kept) and 16-bit code on a 32-bit stack (SS.B = 1: they
move all of ESP).  SDM Vol. 3A §6.2.3 / Vol. 1 §6.2.3: the stack-address
size is SS's B flag, not the code's default; the operand size still comes
from the code segment and the 66h prefix.  Stack instructions (PUSH/POP of
every kind, CALL/RET near, ENTER/LEAVE, PUSHA/POPA, PUSHF/POPF, memory forms
addressed through ESP/EBP), single and in random sequences.

Where Unicorn is wrong (ENTER with an operand size unlike the stack size)
tests/unicorn_oracle.py checks the manual's result instead (enter_mixed)."""

import random

import pytest
from hypothesis import settings
from unicorn.x86_const import UC_X86_REG_GDTR, UC_X86_REG_SS

import unicorn_oracle as U
from kw86.decoder import decode
from kw86.testing import desc

SS_SEL = 0x2B                           # GDT entry 5, RPL 3


def mixed_pair(bits, seed):
    """make_pair, then SS: 16-bit at DATA_BASE for 32-bit code, 32-bit flat
    for 16-bit code."""
    uc, kw = U.make_pair(bits, seed)
    big = bits == 16
    base = 0 if big else U.DATA_BASE
    d = desc(base, 0xFFFFFFFF, 0x3, 3, db=1 if big else 0)
    uc.uc.mem_write(U.GDT + 0x28, d)
    kw.write_mem(U.GDT + 0x28, d)
    uc.uc.reg_write(UC_X86_REG_GDTR, (0, U.GDT, 0x2F, 0))
    uc.uc.reg_write(UC_X86_REG_SS, SS_SEL)
    kw.set_segment("ss", SS_SEL, base, 0xFFFFFFFF, big=big, dpl=3, type=0x3)
    return uc, kw


class MixedBatch(U.Batch):
    def run(self, bits, regs, eflags, insns):
        pair = self.pairs.get(bits)
        if pair is None:
            pair = self.pairs[bits] = mixed_pair(bits, self.seed)
        if U._run_on(bits, pair[0], pair[1], regs, eflags, insns, self.stats):
            del self.pairs[bits]


def stack_regs(rng, bits, esp=None):
    regs, fl = U.gen_state(rng, bits)
    if bits == 32:          # 16-bit stack at DATA_BASE: SP is an offset in it
        # (ESP's upper half: kept by the pushes; [esp]/[ebp] memory operands
        # use all 32 bits, so with it set they mostly leave memory)
        hi = rng.choice((0, rng.getrandbits(16) << 16))
        regs[4] = hi | (esp if esp is not None else 0x8000 + rng.randrange(0x4000) * 2)
        regs[5] = rng.choice((0, rng.getrandbits(16) << 16)) | (0x9000 + rng.randrange(0x800) * 2)
    else:                   # 32-bit flat stack: ESP is a linear address
        regs[4] = U.DATA_BASE + (esp if esp is not None else 0x8000 + rng.randrange(0x4000) * 2)
        regs[5] = U.DATA_BASE + 0x9000 + rng.randrange(0x800) * 2
    return regs, fl


STACK_CODES = ["50", "6650", "58", "6658", "6a80", "68ffffffff", "ff34 24", "8f04 24",
               "ff75 04", "8f45 04", "60", "6660", "61", "6661", "9c", "669c", "9d", "669d",
               "e800000000", "66e800000000", "c3", "66c3", "c20800", "66c20800",
               "c8080000", "c8040002", "66c8080000", "66c8040003", "c9", "66c9",
               "8b4500", "894500", "8b0424", "ff5500", "ff1424", "0e", "660e", "1e", "0fa0"]


@pytest.mark.parametrize("bits", [32, 16], ids=["code32-stack16", "code16-stack32"])
def test_stack_instructions_on_the_other_stack_size(bits):
    batch = MixedBatch(seed=21)
    rng = random.Random(f"mixed-{bits}")
    for code in STACK_CODES:
        b = bytes.fromhex(code.replace(" ", "")) + bytes(6)
        b = b[:decode(b, bits=bits).length]
        for esp in (0x8000, 0x8002, 0x0, 0x2, 0xFFFE, 0xFFFC, None, None):
            regs, fl = stack_regs(rng, bits, esp)
            batch.run(bits, regs, fl, [b])
    st = batch.finish()
    print(f" [{st.compared}/{st.insns} compared]", end="")
    assert st.compared >= 0.7 * st.insns, (st.compared, st.insns, st.skipped)


@pytest.mark.parametrize("bits", [32, 16], ids=["code32-stack16", "code16-stack32"])
def test_random_sequences_on_the_other_stack_size(bits):
    batch = MixedBatch(seed=33)
    rng = random.Random(f"mixed-seq-{bits}")
    for k in range(max(200, 2 * settings.default.max_examples)):
        regs, fl = stack_regs(rng, bits)
        insns = [(U.gen_focus if rng.random() < 0.3 else U.gen_insn)(rng, bits)
                 for _ in range(6)]
        if k % 50 == 0:
            batch.seed = k
            batch.finish()
            batch.pairs.clear()
        batch.run(bits, regs, fl, insns)
    st = batch.finish()
    print(f" [{st.compared}/{st.insns} compared]", end="")
    assert st.compared > st.insns // 2
