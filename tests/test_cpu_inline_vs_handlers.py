"""The run loop's inline forms against the general handlers.

The loop runs the hottest 32-bit forms inline only in a code page wholly
inside the CS limit; in the page that holds the limit every instruction goes
through its handler (select_fn's choice).  So one program run twice, once
with a 4 GiB CS and once with the CS limit just past its end in the same
page, compares each inline form (and cmp/test+jcc fusion, nop runs,
same-page chaining) with the handler it stands for: registers, flags,
memory, instruction count and cycles must agree.
"""

import random
import struct

import pytest

from kw86.testing import FlatCPU
from test_cpu_fastpath import gen_insn, NAMES, DATA, STACK, modrm

DST = [0, 2, 3, 5, 6]


def gen_extra(rng):
    """Forms gen_insn lacks: imul (with and without overflow), flag readers
    right after it, and a few producers whose CF inc/dec must carry."""
    d = rng.choice(DST)
    s = rng.choice(DST + [1, 7])
    k = rng.randrange(8)
    imm = rng.choice([0, 1, 3, -1, 0x7FFF, 0x10001, 0x1000193, rng.getrandbits(31)])
    if k == 0:
        return bytes([0x0F, 0xAF]) + modrm(3, d, s)                    # imul d, s
    if k == 1:
        return bytes([0x69]) + modrm(3, d, s) + struct.pack("<i", imm)  # imul d, s, imm32
    if k == 2:
        return bytes([0x6B]) + modrm(3, d, s) + bytes([rng.randrange(256)])  # imul d, s, imm8
    if k == 3:   # imul then a flag reader
        r = rng.choice([b"\x9c" + bytes([0x58 + d]),                  # pushfd; pop
                        bytes([0x0F, 0x90 + rng.randrange(16), 0xC0 + 3]),   # setcc bl
                        bytes([0x70 + rng.randrange(16), 1, 0x40 + d]),      # jcc over inc
                        bytes([0x40 + d]) + b"\x9c" + bytes([0x58 + d])])    # inc; pushfd; pop
        return bytes([0x0F, 0xAF]) + modrm(3, d, s) + r
    if k == 4:   # add then inc then a CF reader (inc keeps CF)
        return (bytes([0x01]) + modrm(3, s, d) + bytes([0x40 + d])
                + bytes([0x72, 1, 0x40 + rng.choice(DST)]))
    if k == 5:   # cmp byte [edi+x], imm8 + jcc of every condition
        return (bytes([0x80]) + modrm(1, 7, 7) + bytes([rng.randrange(64), rng.randrange(256)])
                + bytes([0x70 + rng.randrange(16), 1, 0x40 + rng.choice(DST)]))
    if k == 6:   # add then jcc (cond of a lazy add)
        return (bytes([0x01]) + modrm(3, s, d)
                + bytes([0x70 + rng.randrange(16), 1, 0x40 + rng.choice(DST)]))
    return (bytes([0x83]) + modrm(3, 0, d) + bytes([rng.randrange(256)])  # add d, imm8; cmovcc
            + bytes([0x0F, 0x40 + rng.randrange(16)]) + modrm(3, d, s))


def gen_program(rng, n_body, loops):
    body = b"".join(gen_extra(rng) if rng.random() < 0.4 else gen_insn(rng)
                    for _ in range(n_body))
    head = b"\xb9" + struct.pack("<I", loops)
    tail = b"\x49"
    jnz = b"\x0f\x85" + struct.pack("<i", -(len(body) + len(tail) + 6))
    return head + body + tail + jnz + b"\xcc"


def run(code, regs, limit):
    at = 0x1000
    cpu = FlatCPU(cpl=3, mem_size=4 << 20)
    cpu.write_mem(at, code)
    cpu.write_mem(DATA, bytes(range(64)))
    for k, v in regs.items():
        cpu.set_reg(k, v)
    cpu.set_reg("edi", DATA)
    cpu.set_reg("esp", STACK)
    cpu.set_reg("eip", at)
    cpu.set_segment("cs", 0x1B, 0, limit, dpl=3, type=0xB)
    e = cpu.run(300000)
    assert e is not None and e.vector == 3, e
    return ({n: cpu.get_reg(n) for n in NAMES + ["eip", "eflags"]},
            cpu.read_mem(DATA, 64), cpu.read_mem(STACK - 64, 64),
            cpu.instructions, cpu.cycles)


@pytest.mark.parametrize("seed", range(60))
def test_inline_forms_equal_handlers(seed):
    rng = random.Random(seed * 7 + 3)
    code = gen_program(rng, rng.randrange(3, 30), rng.randrange(1, 10))
    assert 0x1000 + len(code) < 0x1F00
    regs = {n: rng.getrandbits(32) for n in ("eax", "edx", "ebx", "ebp", "esi")}
    regs["eflags"] = 0x202 | rng.choice([0, 1, 0x8D5])
    inline = run(code, regs, 0xFFFFFFFF)
    handlers = run(code, regs, 0x1000 + len(code) + rng.randrange(0, 64))
    assert inline == handlers
