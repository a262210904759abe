"""Translated blocks (kw86/exec_block.pxi) against the per-instruction path.

run_loop hands straight-line runs of inline forms to blk_exec, which checks
the budget and the attention threshold once per block, keeps flags in
locals where nothing can see them and stops before any instruction that
would leave its fast path.  None of that may be visible: with blocks on
(the default) and off (Core.set_blocks(False): the per-instruction path
alone), and at any budget, a program must end in the same registers, flags,
memory, instruction count and modelled cycles, fault at the same
instruction with the same state, and take timer interrupts at the same
boundary.
"""

import random
import struct

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from kw86.testing import FlatCPU, make_system, KTEXT, UTEXT, USTACK
from test_cpu_fastpath import DATA, NAMES, gen_insn, gen_program, make_cpu, state


def with_blocks(cpu, on):
    cpu.machine.core.set_blocks(on)
    return cpu


def run_budget(cpu, budget, limit=400000):
    """Run in chunks of `budget` instructions up to the int3 at the end."""
    total = 0
    while total < limit:
        e = cpu.run(budget)
        if e is not None:
            assert e.vector == 3, e
            return state(cpu)
        total += budget
    raise AssertionError("no int3")


def regs_for(rng):
    regs = {n: rng.getrandbits(32) for n in ("eax", "edx", "ebx", "ebp", "esi")}
    regs["eflags"] = 0x202 | rng.choice([0, 1, 0x8D5])
    return regs


@pytest.mark.parametrize("seed", range(60))
def test_blocks_equal_the_per_instruction_path(seed):
    rng = random.Random(seed + 7000)
    code = gen_program(rng, rng.randrange(3, 30), rng.randrange(1, 12))
    at = rng.choice([0x1000, 0x1FF0 - rng.randrange(0, 40), 0x2FFD])
    regs = regs_for(rng)
    ref = run_budget(with_blocks(make_cpu(code, at, regs), False), 10**6)
    for budget in (1, 7, 1000, 10**6):
        assert run_budget(with_blocks(make_cpu(code, at, regs), True), budget) == ref, budget


def test_blocks_run_the_loops():
    """The comparison above means something: a register loop runs in blocks
    with blocks on and never with them off."""
    # mov ecx, 1000; top: mov eax, edx; and eax, 1; neg eax; and eax, 0xedb88320;
    # shr edx, 1; xor edx, eax; dec ecx; jnz top; int3
    code = (b"\xb9" + struct.pack("<I", 1000) + b"\x89\xd0\x83\xe0\x01\xf7\xd8"
            b"\x25\x20\x83\xb8\xed\xd1\xea\x31\xc2\x49\x75\xed\xcc")
    on = with_blocks(make_cpu(code, 0x1000, {"edx": 0x12345678}), True)
    off = with_blocks(make_cpu(code, 0x1000, {"edx": 0x12345678}), False)
    assert run_budget(on, 10**6) == run_budget(off, 10**6)
    assert on.machine.core.block_instructions > 7000
    assert off.machine.core.block_instructions == 0


def test_self_modifying_code_through_a_handler_inside_a_block():
    """adc (a data-only handler called from the block) adds to the immediate
    of a later `mov eax, imm32` of the same block: the block must stop after
    the adc and the mov must see the new bytes."""
    at = 0x1000
    code = bytearray(b"\xb9\x05\x00\x00\x00")        # mov ecx, 5
    top = len(code)
    code += b"\xf8"                                  # clc
    adc_at = len(code)
    code += b"\x11\x0d" + b"\0\0\0\0"                # adc [abs32], ecx
    mov_at = len(code)
    code += b"\xb8\x00\x00\x00\x00"                  # mov eax, imm32
    code += b"\x01\xc3"                              # add ebx, eax
    code += b"\x49"                                  # dec ecx
    code += b"\x75" + bytes([(top - (len(code) + 2)) & 0xFF])
    code += b"\xcc"
    code[adc_at + 2:adc_at + 6] = struct.pack("<I", at + mov_at + 1)
    ref = run_budget(with_blocks(make_cpu(bytes(code), at, {"ebx": 0}), False), 10**6)
    for budget in (1, 3, 7, 10**6):
        got = run_budget(with_blocks(make_cpu(bytes(code), at, {"ebx": 0}), True), budget)
        assert got == ref
    assert ref[0]["ebx"] == 5 + 9 + 12 + 14 + 15


def test_self_modifying_code_by_a_store_inside_a_block():
    """An inline store (mov [abs32], ecx) into the same block's later
    instruction: the block stops before it (code pages have no write tag)."""
    at = 0x1000
    code = bytearray(b"\xb9\x05\x00\x00\x00")        # mov ecx, 5
    top = len(code)
    code += b"\x31\xd2"                              # xor edx, edx
    st_at = len(code)
    code += b"\x89\x0d" + b"\0\0\0\0"                # mov [abs32], ecx
    mov_at = len(code)
    code += b"\xb8\x00\x00\x00\x00"                  # mov eax, imm32
    code += b"\x01\xc3"                              # add ebx, eax
    code += b"\x49"                                  # dec ecx
    code += b"\x75" + bytes([(top - (len(code) + 2)) & 0xFF])
    code += b"\xcc"
    code[st_at + 2:st_at + 6] = struct.pack("<I", at + mov_at + 1)
    ref = run_budget(with_blocks(make_cpu(bytes(code), at, {"ebx": 0}), False), 10**6)
    got = run_budget(with_blocks(make_cpu(bytes(code), at, {"ebx": 0}), True), 10**6)
    assert got == ref and ref[0]["ebx"] == 15


# ---- faults inside a block (CPL 3, paging: page 0x50000 is supervisor-only) ----

SUPER = 0x50000
UDATA_AT = 0x60000


def user_system(code, regs, blocks):
    m = make_system(cpl=3, paging=True)
    m.intercept = {0, 3, 13, 14}
    m.write(UTEXT, code)
    m.write(UDATA_AT, bytes(range(64)))
    for k, v in regs.items():
        m.set_reg(k, v)
    m.set_reg("edi", UDATA_AT)
    m.core.set_blocks(blocks)
    return m


def sys_state(m, r):
    exc = None if r.exception is None else (r.exception.vector, r.exception.error_code)
    return (exc, {n: m.get_reg(n) for n in NAMES + ["eip", "eflags"]},
            m.read(UDATA_AT, 64), m.read(USTACK - 64, 64), m.instructions, m.cycles)


FAULTERS = [
    b"\x8b\x0d" + struct.pack("<I", SUPER + 8),          # mov ecx, [supervisor page]: #PF
    b"\x89\x15" + struct.pack("<I", SUPER + 8),          # mov [supervisor page], edx: #PF
    b"\x3b\x05" + struct.pack("<I", SUPER),              # cmp eax, [supervisor page]: #PF
    b"\x31\xc9\xf7\xf1",                                 # xor ecx, ecx; div ecx: #DE
    b"\x83\x05" + struct.pack("<I", SUPER) + b"\x01",    # add dword [supervisor page], 1
    b"\x11\x05" + struct.pack("<I", SUPER),              # adc [supervisor page], eax (handler)
]


@pytest.mark.parametrize("k", range(len(FAULTERS)))
def test_fault_in_the_middle_of_a_block(k):
    """Flag producers before the faulting instruction, whose flags a later
    producer would overwrite: the fault must see EIP, cycles, registers and
    flags of its own boundary."""
    code = (b"\x29\xd8"                  # sub eax, ebx
            b"\x01\xd3"                  # add ebx, edx
            b"\x43"                      # inc ebx
            b"\x83\xc2\x07"              # add edx, 7
            + FAULTERS[k] +
            b"\x21\xc0"                  # and eax, eax
            b"\x31\xd2"                  # xor edx, edx
            b"\xcc")
    regs = {"eax": 0x80000001, "ebx": 0x7FFFFFFF, "edx": 0xFFFFFFF9}
    ref = None
    for blocks in (False, True):
        for budget in (10**6, 1, 5):
            m = user_system(code, regs, blocks)
            while True:
                r = m.run(budget)
                if r.exception is not None:
                    break
            got = sys_state(m, r)
            assert got[0][0] in (0, 14), got[0]
            if blocks and budget > 100:
                assert m.core.block_instructions >= 4
            ref = ref or got
            assert got == ref, (blocks, budget)


@pytest.mark.parametrize("period", [401, 777, 1000, 2345, 5003])
def test_timer_tick_inside_blocks(period):
    """A user loop preempted by a timer whose handler counts the ticks and
    returns: every tick lands at the same boundary with blocks on and off."""
    rng = random.Random(period)
    body = gen_program(rng, 20, 400)
    results = []
    for blocks in (False, True):
        m = make_system(cpl=3)
        m.intercept = {3}
        m.write(UTEXT, body)
        m.write(DATA, bytes(range(64)))
        m.write(KTEXT + 0x300, b"\xff\x05" + struct.pack("<I", 0x70000) + b"\xcf")  # inc [0x70000]; iretd
        m.set_reg("edi", DATA)
        m.core.set_blocks(blocks)
        m.set_timer(period, 0x20)
        r = m.run(10**6)
        assert r.exception is not None and r.exception.vector == 3
        results.append((sys_state(m, r)[1:], m.read(DATA, 64), m.read(0x70000, 4),
                        m.core.timer_ticks))
        assert (m.core.block_instructions > 1000) == blocks
    assert results[0] == results[1]
    assert struct.unpack("<I", results[0][2])[0] > 0


# ---- hypothesis: random straight-line code, blocks vs the per-instruction path ----

@st.composite
def straight_programs(draw):
    seed = draw(st.integers(0, 2**32 - 1))
    rng = random.Random(seed)
    n = draw(st.integers(1, 40))
    body = b"".join(gen_insn(rng) for _ in range(n))
    return body + b"\xcc", draw(st.sampled_from([0x1000, 0x1FC0, 0x2FF8])), seed


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(straight_programs(), st.sampled_from([1, 2, 7, 1000]))
def test_random_straight_line_blocks_vs_handlers(prog, budget):
    code, at, seed = prog
    regs = regs_for(random.Random(seed))
    ref = run_budget(with_blocks(make_cpu(code, at, regs), False), 10**6)
    assert run_budget(with_blocks(make_cpu(code, at, regs), True), budget) == ref


# ---- cmovcc from the producer's locals (UK_CMOV_SUB / UK_CMOV_LOGIC) ----

# producers: cmp ecx, edx / cmp ecx, imm8 / sub ecx, edx / test ecx, edx / and ecx, edx /
# add ecx, edx (the one that keeps reading the lazy state from Cpu)
CMOV_PRODUCERS = [b"\x39\xd1", b"\x83\xf9\x05", b"\x29\xd1", b"\x85\xd1", b"\x21\xd1", b"\x01\xd1"]


@pytest.mark.parametrize("prod", range(len(CMOV_PRODUCERS)))
@pytest.mark.parametrize("cc", range(16))
def test_cmov_after_its_producer(prod, cc):
    """producer; movzx ebx, al; cmovcc eax, esi; cmov(cc^1) ebp, edi;
    setcc-free tail with the flags live at the end (pushfd reads them), in a
    loop over register values that hit every condition both ways."""
    cmov = lambda c, modrm: b"\x0f" + bytes([0x40 | c, modrm])
    body = (b"\x89\xd9"                             # mov ecx, ebx
            + CMOV_PRODUCERS[prod]
            + b"\x0f\xb6\xd8"                       # movzx ebx, al
            + cmov(cc, 0xc6)                        # cmovcc eax, esi
            + cmov(cc ^ 1, 0xef)                    # cmov!cc ebp, edi
            + b"\x01\xc6"                           # add esi, eax
            + b"\x81\xc2\x35\x4e\x5a\x01"           # add edx, 0x015a4e35
            + b"\x8d\x5c\x2b\x03")                  # lea ebx, [ebx+ebp+3]
    # mov dword [edi], 300 (edi = DATA); top: body; dec dword [edi]; jnz top; pushfd; int3
    loop = (b"\xc7\x07" + struct.pack("<I", 300) + body
            + b"\xff\x0f\x75" + bytes([(-(len(body) + 4)) & 0xFF]) + b"\x9c\xcc")
    regs = {"eax": 0x80000000, "ebx": 5, "edx": 0xFFFFFFFB, "esi": 7, "ebp": 0x7FFFFFFF}
    ref = run_budget(with_blocks(make_cpu(loop, 0x1000, regs), False), 10**6)
    on = with_blocks(make_cpu(loop, 0x1000, regs), True)
    assert run_budget(on, 10**6) == ref
    assert on.machine.core.block_instructions > 1000
    for budget in (1, 7):
        assert run_budget(with_blocks(make_cpu(loop, 0x1000, regs), True), budget) == ref, budget
