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
from test_cpu_fastpath import DATA, NAMES, STACK, gen_insn, gen_program, make_cpu, state


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


def blocks_agree(code, regs, budgets):
    """code from regs with blocks off (the per-instruction path), then with
    blocks on at each budget: the same final state every time.  Returns the
    reference state and the last blocks-on CPU (for its block counters)."""
    ref = run_budget(with_blocks(make_cpu(code, 0x1000, regs), False), 10**6)
    for budget in budgets:
        on = with_blocks(make_cpu(code, 0x1000, regs), True)
        assert run_budget(on, budget) == ref, budget
    return ref, on


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
    # the forms with a uop of their own that the handler runs when they fault
    b"\xba\x01\0\0\0\xb9\x01\0\0\0\xf7\xf9",                # mov edx, 1; mov ecx, 1; idiv ecx: #DE
    b"\xba\0\0\0\x80\x31\xc0\x83\xc9\xff\xf7\xf9",           # edx:eax = 2^63; or ecx, -1; idiv ecx: #DE
    b"\x31\xd2\xb9\x02\0\0\0\xba\x05\0\0\0\xf7\xf1",       # edx = 5; div ecx (2): #DE
    b"\xf0\x0f\xb1\x0d" + struct.pack("<I", 0x51000),     # lock cmpxchg [read-only page], ecx: #PF
    b"\xf0\x0f\xc1\x0d" + struct.pack("<I", 0x51000),     # lock xadd [read-only page], ecx: #PF
    b"\x0f\x94\x05" + struct.pack("<I", SUPER),            # sete [supervisor page]: #PF
    b"\x84\x05" + struct.pack("<I", SUPER),                # test [supervisor page], al: #PF
    b"\x38\x05" + struct.pack("<I", SUPER),                # cmp [supervisor page], al: #PF
    b"\x87\x05" + struct.pack("<I", 0x51000),              # xchg [read-only page], eax: #PF
    b"\x3a\x05" + struct.pack("<I", SUPER),                # cmp al, [supervisor page]: #PF
    b"\x80\x3d" + struct.pack("<I", SUPER) + b"\x05",       # cmp byte [supervisor page], 5: #PF
    # cmp al, bl (flags pending in the locals); mov ecx, [supervisor page]: #PF
    b"\x38\xd8\x8b\x0d" + struct.pack("<I", SUPER + 8),
    # nops (no uops of their own) before the faulting load: its EIP and count
    b"\x90\x66\x90\x90\x8b\x0d" + struct.pack("<I", SUPER + 8),
    # ZF forms not taken, then the faulting load: cmp ecx, ecx; jne +6 (the
    # general fused form) / test edx, edx (0); jne +6 (UK_F_TESTZ_RR) /
    # cmp eax, 5 (2); lea ecx, [ecx+1]; je +6 (UK_JCC_SUBZ) / cmp edx, 0; jne +6
    # (UK_F_CMPZ_RI)
    b"\x39\xc9\x75\x06\x8b\x0d" + struct.pack("<I", SUPER + 8),
    b"\x85\xd2\x75\x06\x8b\x0d" + struct.pack("<I", SUPER + 8),
    b"\x83\xf8\x05\x8d\x49\x01\x74\x06\x8b\x0d" + struct.pack("<I", SUPER + 8),
    b"\x83\xfa\x00\x75\x06\x8b\x0d" + struct.pack("<I", SUPER + 8),
    # Go's conditions not taken, then the faulting load: cmp edx, 0; ja +6
    # (UK_F_CMPBE_RI) / test eax, eax (2); jle +6 (UK_F_TESTSZ_RR)
    b"\x83\xfa\x00\x77\x06\x8b\x0d" + struct.pack("<I", SUPER + 8),
    b"\x85\xc0\x7e\x06\x8b\x0d" + struct.pack("<I", SUPER + 8),
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


# ---- a segment with a base (Go's TLS through %gs: base + offset, 4 GiB limit) ----

def gs_cpu(code, regs, base, limit, blocks):
    cpu = with_blocks(make_cpu(code, 0x1000, regs), blocks)
    cpu.set_segment("gs", 0x33, base, limit, type=3, dpl=0)
    return cpu


def gs(op, off):
    """A gs-prefixed instruction: opcode bytes, ModRM disp32 form, offset."""
    return b"\x65" + op + struct.pack("<I", off & 0xFFFFFFFF)


# every block memory form through gs at offsets below and above the base
GS_BODY = (gs(b"\x8b\x05", -4)              # mov eax, gs:[-4] (Go's g: base - 4)
           + gs(b"\x03\x05", 0)             # add eax, gs:[0]
           + gs(b"\x89\x05", -4)            # mov gs:[-4], eax
           + gs(b"\x39\x0d", 8)             # cmp gs:[8], ecx
           + b"\x0f\x97\xc3"                # seta bl
           + gs(b"\xff\x05", 4)             # inc dword gs:[4]
           + gs(b"\xff\x35", 12)            # push dword gs:[12]
           + b"\x5a"                        # pop edx
           + gs(b"\x88\x0d", 0x1c)          # mov gs:[0x1c], cl
           + gs(b"\x0f\xb6\x15", -3)        # movzx edx, byte gs:[-3]
           + gs(b"\x0f\xbf\x2d", 0x1d)      # movsx ebp, word gs:[0x1d]
           + gs(b"\x31\x15", 0x18)          # xor gs:[0x18], edx
           + gs(b"\x81\x05", 0x20) + struct.pack("<I", 0x01020304)   # add dword gs:[0x20], imm32
           + gs(b"\xc7\x05", 0x24) + struct.pack("<I", 0xCAFEF00D))  # mov dword gs:[0x24], imm32


@pytest.mark.parametrize("base", [DATA + 0x14, DATA + 0x10])
def test_based_segment_in_blocks(base):
    """A loop of gs-relative loads, stores and read-modify-writes at offsets
    on both sides of a base (4 GiB limit, the offset 0xFFFFFFFC reaching
    base - 4): blocks take them (base + offset through the TLB) and end in
    the per-instruction path's state at every budget."""
    # mov ecx, 150; top: GS_BODY; dec ecx; jnz top; int3
    code = (b"\xb9" + struct.pack("<I", 150) + GS_BODY + b"\x49\x0f\x85"
            + struct.pack("<i", -(len(GS_BODY) + 7)) + b"\xcc")
    regs = {"eax": 3, "ebx": 0, "edx": 0, "ebp": 0}
    ref = run_budget(gs_cpu(code, regs, base, 0xFFFFFFFF, False), 10**6)
    on = gs_cpu(code, regs, base, 0xFFFFFFFF, True)
    assert run_budget(on, 10**6) == ref
    assert on.machine.core.block_instructions > 150 * 15
    for budget in (1, 7, 100):
        assert run_budget(gs_cpu(code, regs, base, 0xFFFFFFFF, True), budget) == ref, budget


# (base, limit, the access): what the ordinary path faults on or splits
GS_EDGES = [
    (DATA + 0x14, 0x1FFF, gs(b"\x8b\x05", 0x1FFC)),        # last dword within the limit
    (DATA + 0x14, 0x1FFF, gs(b"\x8b\x05", 0x1FFE)),        # runs past the limit: #GP(0)
    (DATA + 0x14, 0x1FFF, gs(b"\x89\x05", 0x2000)),        # store beyond the limit: #GP(0)
    (DATA + 0x14, 0x1FFF, gs(b"\x0f\xb7\x05", 0x1FFF)),    # movzx word across the limit: #GP(0)
    (DATA + 0x14, 0xFFFFFFFF, gs(b"\x8b\x05", -2)),        # wraps past 4 GiB: #GP(0)
    (DATA + 0x14, 0xFFFFFFFF, gs(b"\xff\x05", -1)),        # inc dword that wraps: #GP(0)
    (DATA + 0xFFE, 0xFFFFFFFF, gs(b"\x8b\x05", 0)),        # offset in a page, linear across two
    (DATA + 0xFFE, 0xFFFFFFFF, gs(b"\x89\x05", 0)),        # the same store
    (0x50000 - 0x14, 0xFFFFFFFF, gs(b"\x8b\x05", 0x14)),   # linear 0x50000 (FlatCPU: unmapped ok)
]


@pytest.mark.parametrize("k", range(len(GS_EDGES)))
def test_based_segment_edges(k):
    """Limit checks of a based segment (the whole access within the limit,
    no wrap past 4 GiB) and accesses whose linear range crosses a page while
    the offset's does not: blocks stop before them and the ordinary path
    decides, after flag producers whose state the fault must see."""
    base, limit, access = GS_EDGES[k]
    lin = (base + struct.unpack("<I", access[-4:])[0]) & 0xFFFFFFFF
    # the linear pages in the TLB first (mov esi, ds:[page] for each), then a
    # jmp over an int3 (not to the next instruction: the chain of inline
    # forms goes on through that): the chain ends, a block starts at its target
    warm = b"".join(b"\x8b\x35" + struct.pack("<I", p & 0xFFFFF000)
                    for p in (lin, (lin + 3) & 0xFFFFFFFF))
    code = (warm + b"\xeb\x01\xcc" + b"\x29\xd8" b"\x01\xd3" b"\x43" b"\x83\xc2\x07" + access
            + b"\x21\xc0" b"\x31\xd2" b"\xcc")
    regs = {"eax": 0x80000001, "ebx": 0x7FFFFFFF, "edx": 0xFFFFFFF9}
    ref = None
    for blocks in (False, True):
        for budget in (10**6, 1, 5):
            cpu = gs_cpu(code, regs, base, limit, blocks)
            while True:
                e = cpu.run(budget)
                if e is not None:
                    break
            got = ((e.vector, e.error_code), state(cpu))
            assert got[0][0] in (3, 13), got[0]
            if blocks and budget > 100:
                # the block ran the producers (and the access, where it is good)
                assert cpu.machine.core.block_instructions >= 4
            ref = ref or got
            assert got == ref, (blocks, budget)


# ---- calls and returns across code pages (blk_exec goes on in the other page) ----

def cross_page_code():
    """main at 0x1000 calls f1 (0x2010), which calls f2 (0x3020) and f3
    (0x3FF6, running on into the page at 0x4000), 300 times: every block
    boundary but the loop's is in another code page.  (addresses, bytes)"""
    rel = lambda frm, to: struct.pack("<i", to - (frm + 5))
    main = (b"\xb9" + struct.pack("<I", 300)           # 0x1000 mov ecx, 300
            + b"\xe8" + rel(0x1005, 0x2010)            # 0x1005 top: call f1
            + b"\x01\xc2"                              # 0x100a add edx, eax
            + b"\x49"                                  # 0x100c dec ecx
            + b"\x75\xf6"                              # 0x100d jnz top
            + b"\xcc")                                 # 0x100f int3
    f1 = (b"\x01\xd8"                                  # 0x2010 add eax, ebx
          + b"\xe8" + rel(0x2012, 0x3020)              # 0x2012 call f2
          + b"\xe8" + rel(0x2017, 0x3FF6)              # 0x2017 call f3
          + b"\xc3")                                   # 0x201c ret
    f2 = (b"\x31\xc3"                                  # 0x3020 xor ebx, eax
          + b"\x89\x1f"                                # 0x3022 mov [edi], ebx
          + b"\xd1\xeb"                                # 0x3024 shr ebx, 1
          + b"\xc3")                                   # 0x3026 ret
    f3 = (b"\x8b\x77\x04" b"\x01\xf0" b"\x8d\x44\x30\x01"   # 0x3FF6 mov esi, [edi+4]; add eax, esi; lea eax, [eax+esi+1]
          + b"\x89\x47\x08"                            # 0x3FFF.. mov [edi+8], eax (across 0x4000)
          + b"\x83\xc6\x05" b"\x89\x77\x04"             # add esi, 5; mov [edi+4], esi
          + b"\xc3")
    return [(0x1000, main), (0x2010, f1), (0x3020, f2), (0x3FF6, f3)]


def cross_page_cpu(blocks, cpl=0):
    cpu = FlatCPU(cpl=cpl, mem_size=4 << 20)
    for at, b in cross_page_code():
        cpu.write_mem(at, b)
    cpu.write_mem(DATA, bytes(range(64)))
    for k, v in {"eax": 1, "ebx": 0x9E3779B9, "edx": 0, "edi": DATA, "esp": STACK,
                 "eip": 0x1000}.items():
        cpu.set_reg(k, v)
    return with_blocks(cpu, blocks)


@pytest.mark.parametrize("cpl", [0, 3])
def test_calls_across_code_pages(cpl):
    """Blocks chained across code pages (the other page's translation from
    the TLB) end in the per-instruction path's state at every budget."""
    ref = run_budget(cross_page_cpu(False, cpl), 10**6)
    on = cross_page_cpu(True, cpl)
    assert run_budget(on, 10**6) == ref
    assert on.machine.core.block_instructions >= 300 * 17   # 19 a pass, one crosses a page
    for budget in (1, 5, 64):
        assert run_budget(cross_page_cpu(True, cpl), budget) == ref, budget


@pytest.mark.parametrize("limit", [0x3021, 0x3024, 0x3FFF, 0x4001])
def test_call_into_a_page_beyond_the_cs_limit(limit):
    """The loop runs once with a 4 GiB CS (its blocks are built in every
    page), then again from the start with a CS limit inside f2's or f3's
    page: a block must not go on into a page that is not wholly within the
    limit (#GP(0) at the first instruction past it, as the per-instruction
    path), though the blocks built there earlier are still current."""
    results = []
    for blocks in (False, True):
        for budget in (10**6, 1, 7):
            cpu = cross_page_cpu(blocks, 3)
            run_budget(cpu, 10**6)
            cpu.set_segment("cs", 0x1B, 0, limit, type=0xB, dpl=3)
            cpu.set_reg("eip", 0x1000)
            cpu.set_reg("esp", STACK)
            total = 0
            while True:
                e = cpu.run(budget)
                if e is not None:
                    break
                total += budget
                assert total < 10**6
            results.append(((e.vector, e.error_code), state(cpu)))
    assert all(r == results[0] for r in results), limit
    assert results[0][0] == (13, 0)


def flag_loop(body, count=300):
    """mov ecx, count; top: body; dec ecx; jnz top; int3"""
    code = body + b"\x49\x75"
    return b"\xb9" + struct.pack("<I", count) + code + bytes([(-(len(code) + 1)) & 0xFF]) + b"\xcc"


# Pending flags (blk_exec keeps the last producer's flags in locals and writes
# Cpu's lazy state only where something can see it) across jmp $+2 (blk_build
# follows it: the block goes on at its target; at budgets that cut the block
# there, a block boundary) and CF chains
# through inc/dec (kept CF from locals, from the pending state, or not
# computed at all where nothing can see it).
PENDING = [
    # add; jmp; inc edx (CF from the pending add); adc esi, 0 (handler: reads CF)
    b"\x01\xd8\xeb\x00\x42\x83\xd6\x00",
    # sub; inc; dec (kept CF); jmp; sbb edi, edx (reads the pending dec's CF)
    b"\x29\xd8\x42\x4a\xeb\x00\x19\xd7",
    # add; jmp; jc +1 (a jcc first in its block, pending flags); inc ebp
    b"\x01\xd8\xeb\x00\x72\x01\x45",
    # inc edx (flags dead: no CF computed); cmp edx, esi; setc al; add ebx, eax
    b"\x42\x39\xf2\x0f\x92\xc0\x01\xc3",
    # xor; inc (CF 0 from the logic op); jmp; cmovc eax, esi; setbe bl (pending inc)
    b"\x31\xda\x42\xeb\x00\x0f\x42\xc6\x0f\x96\xc3",
    # sub; dec edx (pending, with CF); shl eax, 1 (writes Cpu); jmp; inc; adc
    b"\x29\xd8\x4a\xd1\xe0\xeb\x00\x42\x83\xd6\x00",
    # neg; jmp; dec; jmp; inc; jmp; sbb: a CF kept across three blocks
    b"\xf7\xda\xeb\x00\x4b\xeb\x00\x43\xeb\x00\x19\xc5",
    # add [edi], eax (memory producer, pending); inc dword [edi+4]; jmp; adc
    b"\x01\x07\xff\x47\x04\xeb\x00\x13\x77\x08",
]


@pytest.mark.parametrize("k", range(len(PENDING)))
@pytest.mark.parametrize("seed", range(3))
def test_pending_flags_across_blocks(k, seed):
    code = flag_loop(PENDING[k])
    regs = regs_for(random.Random(seed * 31 + k))
    ref, on = blocks_agree(code, regs, (1, 2, 3, 7, 1000, 10**6))
    assert on.machine.core.block_instructions > 300


# ---- the handlers Go's code runs often, as uops of their own ----

GO_FORMS_BODY = (
    b"\x84\xd8"                    # test al, bl
    b"\x0f\x95\x47\x01"            # setne [edi+1]
    b"\x84\x67\x02"                # test [edi+2], ah
    b"\x0f\x94\x47\x03"            # sete [edi+3]
    b"\x74\x02"                    # jz +2 (after a byte test: the flags from Cpu)
    b"\x84\xe4"                    # test ah, ah
    b"\x01\xd8"                    # add eax, ebx
    b"\x11\xf2"                    # adc edx, esi
    b"\x0f\x92\x47\x04"            # setb [edi+4]
    b"\x11\xda"                    # adc edx, ebx (CF from the adc before)
    b"\x8b\x47\x08"                # mov eax, [edi+8]
    b"\xf0\x0f\xb1\x6f\x0c"        # lock cmpxchg [edi+12], ebp
    b"\x0f\x94\x47\x05"            # sete [edi+5]
    b"\x75\x03"                    # jnz +3 (after cmpxchg: from its locals)
    b"\x83\xc5\x03"                # add ebp, 3
    b"\xf0\x0f\xc1\x57\x10"        # lock xadd [edi+16], edx
    b"\x0f\x97\x47\x06"            # seta [edi+6]
    b"\x83\xce\x01"                # or esi, 1
    b"\x31\xd2"                    # xor edx, edx
    b"\xf7\xf6"                    # div esi
    b"\x89\xd0"                    # mov eax, edx
    b"\x99"                        # cdq
    b"\xc7\x47\x14\xf9\xff\xff\xff"  # mov dword [edi+20], -7
    b"\xf7\x7f\x14"                # idiv dword [edi+20]
    b"\x01\xc6"                    # add esi, eax
    b"\xc7\x47\x18\x03\0\0\0"      # mov dword [edi+24], 3
    b"\x31\xd2"                    # xor edx, edx
    b"\xf7\x77\x18"                # div dword [edi+24]
    b"\xf7\xfe"                    # idiv esi
    b"\x01\xc3"                    # add ebx, eax
    b"\x38\xd8"                    # cmp al, bl
    b"\x0f\x9c\x47\x07"            # setl [edi+7]
    b"\x38\x4f\x08"                # cmp [edi+8], cl
    b"\x72\x03"                    # jb +3
    b"\x3a\x77\x09"                # cmp dh, [edi+9]
    b"\x0f\x97\x47\x0a"            # seta [edi+10]
    b"\x95"                        # xchg eax, ebp
    b"\x87\xf3"                    # xchg ebx, esi
    b"\x87\x5f\x0c"                # xchg [edi+12], ebx
    b"\x87\xd2")                   # xchg edx, edx


def test_go_forms_as_uops():
    """test r8/m8, setcc m8, adc, lock cmpxchg/xadd, div/idiv and cdq in a
    loop: blocks run them (no handler call) and end in the per-instruction
    path's state (flags too: pushfd at the end) at every budget."""
    code = (b"\xb9" + struct.pack("<I", 300) + GO_FORMS_BODY + b"\x49\x0f\x85"
            + struct.pack("<i", -(len(GO_FORMS_BODY) + 7)) + b"\x9c\xcc")
    regs = {"eax": 0x12345678, "ebx": 0x9E3779B9, "edx": 0xFFFF0001, "ebp": 0x03020100,
            "esi": 0x7FFFFFF1}
    ref = run_budget(with_blocks(make_cpu(code, 0x1000, regs), False), 10**6)
    on = with_blocks(make_cpu(code, 0x1000, regs), True)
    assert run_budget(on, 10**6) == ref
    assert on.machine.core.block_instructions > 300 * 25
    for budget in (1, 7, 100):
        assert run_budget(with_blocks(make_cpu(code, 0x1000, regs), True), budget) == ref, budget


# ---- direct jmps and calls into the block's own page: blk_build follows them ----

def asm(items, at):
    """Bytes of items at address at: bytes, "label:" strings and branches
    (opcode bytes, label, rel size 1 or 4), two passes."""
    labels = {}
    for _ in range(2):
        out, pc = b"", at
        for it in items:
            if isinstance(it, str):
                labels[it.rstrip(":")] = pc
                continue
            if isinstance(it, tuple):
                op, lab, size = it
                end = pc + len(op) + size
                rel = labels.get(lab, end) - end
                it = op + (struct.pack("<b", rel) if size == 1 else struct.pack("<i", rel))
            out += it
            pc += len(it)
    return out


FOLLOW_PROG = [
    b"\xb9" + struct.pack("<I", 200),       # mov ecx, 200
    "top:",
    (b"\xe8", "f1", 4),                     # call f1 (forward, in the page: followed)
    b"\x01\xd8",                            # add eax, ebx
    b"\x39\xd0",                            # cmp eax, edx
    (b"\x72", "skip", 1),                   # jb skip (a side exit ...)
    (b"\xeb", "mid", 1),                    # jmp mid (... straight before a followed jmp)
    "skip:",
    b"\x31\xc2",                            # xor edx, eax
    b"\x83\xd6\x07",                        # adc esi, 7 (a handler call ...)
    (b"\xeb", "mid", 1),                    # jmp mid (... straight before a followed jmp)
    "back:",
    b"\x29\xc5",                            # sub ebp, eax
    (b"\xeb", "tail", 1),                   # jmp tail
    "mid:",
    b"\x45",                                # inc ebp
    b"\xd1\xe0",                            # shl eax, 1
    (b"\xeb", "back", 1),                   # jmp back (backwards)
    "tail:",
    b"\x49",                                # dec ecx (CF kept from the sub across two jmps)
    (b"\x0f\x85", "top", 4),                # jnz top
    b"\x9c",                                # pushfd
    b"\xcc",                                # int3
    "f1:",
    b"\x89\x07",                            # mov [edi], eax
    (b"\xe8", "f2", 4),                     # call f2 (nested)
    b"\x13\x77\x04",                        # adc esi, [edi+4] (CF of the sub in f2)
    b"\xc3",                                # ret
    "f2:",
    b"\xc1\xc0\x03",                        # rol eax, 3 (a handler)
    b"\x2b\x47\x08",                        # sub eax, [edi+8]
    (b"\xeb", "f2b", 1),                    # jmp f2b
    b"\xcc",
    "f2b:",
    b"\x31\xf0",                            # xor eax, esi
    b"\x72\x01",                            # jc +1 (taken or not: after the xor, never)
    b"\xc3",                                # ret
    b"\xcc",
]


@pytest.mark.parametrize("at", [0x1000, 0x1F90, 0x1FC0])
@pytest.mark.parametrize("esp", [STACK, STACK - 0xFF2, STACK - 0xFFE])
def test_direct_branches_followed_in_the_page(at, esp):
    """Forward and backward jmps, nested calls and their returns in one
    code page (blocks go on at a direct branch's target: UK_CALL_IN pushes),
    a jcc or a handler call straight before a followed jmp (their boundary
    stays the instruction after them), flags pending across followed jmps;
    placed in the middle of a page and running into the next one, with the
    stack pointer placed so that the pushed return addresses straddle a
    page (the block stops before such a call, the ordinary path pushes):
    the per-instruction path's state at every budget."""
    code = asm(FOLLOW_PROG, at)
    regs = {"eax": 0x12345678, "ebx": 0x9E3779B9, "edx": 0x80000000, "ebp": 5,
            "esi": 0x7FFFFFF0}
    def mk(blocks):
        cpu = with_blocks(make_cpu(code, at, regs), blocks)
        cpu.set_reg("esp", esp)
        return cpu
    off = mk(False)
    ref = (run_budget(off, 10**6), off.read_mem(esp - 16, 16))
    for budget in (10**6, 1, 3, 7, 50):
        on = mk(True)
        got = (run_budget(on, budget), on.read_mem(esp - 16, 16))
        assert got == ref, budget
        if budget == 10**6:
            assert on.machine.core.block_instructions > 200 * 15


# ---- an 8-bit compare: its flags pending in the locals, the jcc after it
# deciding from them (JP/JNP from Cpu's lazy state) ----

BYTE_CMPS = [
    b"\x80\x7f\x05\x80",         # cmp byte [edi+5], 0x80
    b"\x80\x7f\x08\x07",         # cmp byte [edi+8], 7
    b"\x38\xd8",                 # cmp al, bl
    b"\x38\x4f\x08",             # cmp [edi+8], cl
    b"\x3a\x77\x09",             # cmp dh, [edi+9]
]


@pytest.mark.parametrize("form", range(len(BYTE_CMPS)))
@pytest.mark.parametrize("cc", range(16))
def test_jcc_after_a_byte_compare(form, cc):
    """Bytes stepping through all 256 values against each other and against
    immediates; jcc cc skips two incs; an inc after it keeps the compare's
    CF (from the locals when not taken, from Cpu in the next block when
    taken) and adc reads it; flags live at the end (pushfd)."""
    body = (b"\x83\xc3\x3b"                   # add ebx, 0x3b
            b"\x83\xc0\x65"                   # add eax, 0x65
            b"\x83\xc1\x17"                   # add ecx, 0x17
            b"\x81\xc2\x00\x1d\x00\x00"       # add edx, 0x1d00
            b"\x88\x5f\x05"                   # mov [edi+5], bl
            b"\x88\x47\x08"                   # mov [edi+8], al
            b"\x88\x67\x09"                   # mov [edi+9], ah
            + BYTE_CMPS[form]
            + bytes([0x70 | cc, 2])            # jcc +2
            + b"\x46\x45"                      # inc esi; inc ebp
            b"\x42"                            # inc edx
            b"\x83\xd6\x00")                  # adc esi, 0
    loop = (b"\xc7\x47\x20" + struct.pack("<I", 600) + body
            + b"\xff\x4f\x20\x75" + bytes([(-(len(body) + 5)) & 0xFF]) + b"\x9c\xcc")
    regs = {"eax": 0x1234, "ebx": 0x80, "ecx": 0x7F, "edx": 0x3300, "esi": 0, "ebp": 0}
    ref = run_budget(with_blocks(make_cpu(loop, 0x1000, regs), False), 10**6)
    on = with_blocks(make_cpu(loop, 0x1000, regs), True)
    assert run_budget(on, 10**6) == ref
    assert on.machine.core.block_instructions > 600 * 10
    for budget in (1, 2, 7):
        assert run_budget(with_blocks(make_cpu(loop, 0x1000, regs), True), budget) == ref, budget


# ---- nops: no uops of their own (their cycles and counts go into the
# boundaries after them), but kept straight after a jcc, a fused
# producer + jcc and a handler call, whose exits use the next boundary ----

NOP_BODY = (
    b"\x90"                        # nop (first in the loop's block)
    b"\x01\xd8"                    # add eax, ebx
    b"\x90\x66\x90"                # nop; xchg ax, ax (66 90: a nop)
    b"\x39\xf0"                    # cmp eax, esi
    b"\x72\x03"                    # jb +3 (fused with the cmp)
    b"\x90\x90\x90"                # nops straight after it (the jb's target: the last)
    b"\x31\xc3"                    # xor ebx, eax
    b"\x0f\x8c\x02\0\0\0"          # jl +2 (a jcc of its own)
    b"\x90\x90"                    # nops straight after it (its target: the inc)
    b"\x41"                        # inc ecx
    b"\x19\xd5"                    # sbb ebp, edx (a handler call)
    b"\x90\x90"                    # nops straight after it
    b"\x8b\x57\x04"                # mov edx, [edi+4]
    b"\x90"                        # nop
    b"\xeb\x01\x90"                # jmp +1 over a nop
    b"\x90\x90\x90\x90")            # a block of nops alone before the loop's end


def nop_loop(count=200):
    body = NOP_BODY
    return (b"\xc7\x47\x20" + struct.pack("<I", count) + body
            + b"\xff\x4f\x20\x0f\x85" + struct.pack("<i", -(len(body) + 9)) + b"\x9c\xcc")


def cycle_chunks(cpu, chunk, limit=100000):
    """Machine.run with a cycle limit, to the int3: where each run ended."""
    m = cpu.machine
    out = []
    for _ in range(limit):
        r = m.run(10**6, max_cycles=chunk)
        out.append((cpu.get_reg("eip"), m.instructions, m.cycles))
        if r.exception is not None:
            assert r.exception.vector == 3, r.exception
            return out, state(cpu)
    raise AssertionError("no int3")


def test_nops_in_blocks():
    regs = {"eax": 0x7FFFFF00, "ebx": 0x10, "esi": 0x80000000, "edx": 3, "ebp": 9}
    code = nop_loop()
    ref = run_budget(with_blocks(make_cpu(code, 0x1000, regs), False), 10**6)
    on = with_blocks(make_cpu(code, 0x1000, regs), True)
    assert run_budget(on, 10**6) == ref
    assert on.machine.core.block_instructions > 200 * 20
    for budget in (1, 2, 3, 5, 7, 11):
        assert run_budget(with_blocks(make_cpu(code, 0x1000, regs), True), budget) == ref, budget
    # runs ended by a cycle limit end at the same boundaries
    code = nop_loop(40)
    for chunk in (1, 7, 13, 50, 333):
        cref = cycle_chunks(with_blocks(make_cpu(code, 0x1000, regs), False), chunk)
        assert cycle_chunks(with_blocks(make_cpu(code, 0x1000, regs), True), chunk) == cref, chunk


# ---- a fused inc/dec + jz/jnz whose CF is kept or 0 (UK_F_INCZ/DECZ) and
# shifts whose flags nothing sees (UK_SHx_NF) ----

def back(body, jcc=b"\x75"):
    """body; jcc back to its start (a rel8 jump)"""
    return body + jcc + bytes([(-(len(body) + 2)) & 0xFF])


INCDEC_LOOPS = [
    # top: cmp esi, ebp (CF 1); inc ecx (keeps it); setb bl (reads it); shr eax, 3
    # (flags dead: the xor redefines them); xor (CF 0); dec edx; jnz top; adc: CF 0
    back(b"\x39\xee\x41\x0f\x92\xc3\xc1\xe8\x03\x31\xd8\x4a") + b"\x83\xd6\x00",
    # stc; top: sar ebx, 1 (its CF kept by the incs); inc eax; inc edx; jnz top (keeps
    # the CF the inc before kept); adc
    b"\xf9" + back(b"\xd1\xfb\x40\x42") + b"\x83\xd6\x00",
    # top: shl eax, 5 (dead); or (CF 0); dec edx; jz out; jmp top; out: adc
    back(b"\xc1\xe0\x05\x09\xd8\x4a\x74\x02", b"\xeb") + b"\x83\xd6\x00",
    # top: shr eax, 1 (flags live: jc reads its CF); jc +1; inc ebp; dec edx (keeps the
    # inc's CF); jnz top
    back(b"\xd1\xe8\x72\x01\x45\x4a") + b"\x83\xd6\x00",
    # top: add (CF from the add: not this form); dec edx; jnz top; sbb esi, ebp
    back(b"\x01\xd8\x4a") + b"\x19\xee",
]


@pytest.mark.parametrize("k", range(len(INCDEC_LOOPS)))
@pytest.mark.parametrize("edx", [1, 2, 37, 300])
def test_fused_incdec_jz_and_dead_shift_flags(k, edx):
    """Loops counted by a fused inc/dec + jz/jnz after each kind of
    producer, with shifts whose flags are dead or read; the CF the inc/dec
    kept reaches adc/sbb after the loop and pushfd at the end."""
    code = INCDEC_LOOPS[k] + b"\x9c\xcc"
    if k == 1:
        edx = -edx & 0xFFFFFFFF         # (counts up to 0)
    regs = {"eax": 0x9E3779B9, "ebx": 0x80000001, "edx": edx, "esi": 5, "ebp": 0x7FFFFFFF}
    ref, on = blocks_agree(code, regs, (1, 2, 3, 7, 10**6))
    if edx == 37:
        assert on.machine.core.block_instructions >= 37 * 3


# ---- ZF conditions without the condition switch: fused cmp r, imm / test
# r, r + je/jne (UK_F_CMPZ_RI, UK_F_TESTZ_RR; cmp r, r and test r, imm keep
# the general fused forms), je/jne after a producer with something between
# (UK_JCC_SUBZ/LOGICZ), cmove/cmovne (UK_CMOVZ_*) ----

ZF_BODY = (
    b"\x01\xd8"                    # add eax, ebx
    b"\x8d\x5c\x5b\x01"            # lea ebx, [ebx+ebx*2+1]
    b"\x89\xc1"                    # mov ecx, eax
    b"\x83\xe1\x07"                # and ecx, 7
    b"\x83\xf9\x03"                # cmp ecx, 3
    b"\x74\x01"                    # je +1 (fused: CMPZ_RI)
    b"\x46"                        # inc esi
    b"\x39\xe9"                    # cmp ecx, ebp (5)
    b"\x75\x01"                    # jne +1 (fused, general form)
    b"\x45"                        # inc ebp
    b"\x4d"                        # dec ebp (back to 5 or 4)
    b"\x83\xcd\x01"                # or ebp, 1 (5 again)
    b"\x85\xd1"                    # test ecx, edx (6)
    b"\x74\x01"                    # je +1 (fused: TESTZ_RR)
    b"\x46"                        # inc esi
    b"\xf7\xc1\x04\0\0\0"          # test ecx, 4
    b"\x75\x02"                    # jne +2 (fused, general form)
    b"\x01\xce"                    # add esi, ecx
    b"\x83\xf9\x02"                # cmp ecx, 2
    b"\x8d\x52\x02"                # lea edx, [edx+2]
    b"\x0f\x44\xf3"                # cmove esi, ebx (CMOVZ_SUB)
)


def zf_loop(tail, count):
    """mov dword [edi+0x20], count; top: body; tail; dec dword [edi+0x20];
    jnz top; pushfd; int3"""
    body = ZF_BODY + tail
    return (b"\xc7\x47\x20" + struct.pack("<I", count) + body
            + b"\xff\x4f\x20\x75" + bytes([(-(len(body) + 5)) & 0xFF]) + b"\x9c\xcc")


ZF_TAILS = [
    b"\x83\xe2\x07",                 # and edx, 7 (flags live at pushfd: the dec's)
    # cmp ecx, 1; lea edx, [edx+2]; je +1 (JCC_SUBZ); inc esi
    b"\x83\xf9\x01\x8d\x52\x02\x74\x01\x46",
    # test ecx, ebp; lea edx, [edx+2]; jne +1 (JCC_LOGICZ); inc esi; cmovne esi, eax
    b"\x85\xe9\x8d\x52\x02\x75\x01\x46\x0f\x45\xf0",
    # test ecx, 3; mov edx, ecx; cmove edx, ebx (CMOVZ_LOGIC); cmovne esi, edx
    b"\xf7\xc1\x03\0\0\0\x89\xca\x0f\x44\xd3\x0f\x45\xf2",
]


@pytest.mark.parametrize("tail", range(len(ZF_TAILS)))
@pytest.mark.parametrize("count", [1, 2, 300])
def test_zf_conditions_without_the_switch(tail, count):
    """ecx = eax & 7 steps through every value, so each je/jne/cmove/cmovne
    goes both ways against the per-instruction path at several budgets;
    taken ones leave the block, not-taken ones go on in it."""
    code = zf_loop(ZF_TAILS[tail], count)
    regs = {"eax": 0x9E3779B9, "ebx": 0x7F4A7C15, "edx": 6, "esi": 0, "ebp": 5}
    ref, on = blocks_agree(code, regs, (1, 2, 3, 7, 10**6))
    if count == 300:
        assert on.machine.core.block_instructions > 300 * 15


# loops whose back edge is a ZF form to the block's own start (KwUop.fl & 2)
ZF_SELF_LOOPS = [
    # top: add eax, ebx; inc ecx; cmp ecx, edx; jne top
    back(b"\x01\xd8\x41\x39\xd1"),
    # top: add eax, ebx; inc ecx; cmp ecx, 0x1f3; jne top
    back(b"\x01\xd8\x41\x81\xf9\xf3\x01\0\0"),
    # top: add eax, ebx; add ecx, ebp; test ecx, edx; jne top (ecx & edx reaches 0)
    back(b"\x01\xd8\x01\xe9\x85\xd1"),
    # top: add eax, ebx; add ecx, ebp; test ecx, 0xff0; jne top
    back(b"\x01\xd8\x01\xe9\xf7\xc1\xf0\x0f\0\0"),
    # top: inc ecx; cmp ecx, edx; lea eax, [eax+ebx]; jne top (JCC_SUBZ)
    back(b"\x41\x39\xd1\x8d\x04\x18"),
    # top: add ecx, ebp; test ecx, edx; lea eax, [eax+ebx]; jne top (JCC_LOGICZ)
    back(b"\x01\xe9\x85\xd1\x8d\x04\x18"),
]


@pytest.mark.parametrize("k", range(len(ZF_SELF_LOOPS)))
def test_zf_forms_looping_on_their_block(k):
    code = ZF_SELF_LOOPS[k] + b"\x9c\xcc"
    regs = {"eax": 1, "ebx": 0x9E3779B9, "ecx": 0, "edx": 0x1F3 if k in (0, 4) else 0x3F0,
            "ebp": 0x10}
    ref, on = blocks_agree(code, regs, (1, 5, 64, 10**6))
    assert ref[3] > 100
    assert on.machine.core.block_instructions > ref[3] - 20


# ---- Go's common conditions without the condition switch: fused cmp r, imm
# + jbe/ja (UK_F_CMPBE_RI) and + jb/jae (UK_F_CMPB_RI), fused cmp r, r +
# je/jne (UK_F_CMPZ_RR), jbe/ja after a cmp with something between or after
# cmp r, m (UK_JCC_SUBBE: Go's stack check), fused test r, r + jl/jge
# (UK_F_TESTS_RR) and + jle/jg (UK_F_TESTSZ_RR) ----

GO_COND_BODY = (
    b"\x01\xd8"                    # add eax, ebx
    b"\x89\xc1"                    # mov ecx, eax
    b"\x83\xe1\x07"                # and ecx, 7
    b"\x83\xf9\x03"                # cmp ecx, 3
    b"\x76\x01"                    # jbe +1 (CMPBE_RI)
    b"\x46"                        # inc esi
    b"\x83\xf9\x05"                # cmp ecx, 5
    b"\x77\x01"                    # ja +1 (CMPBE_RI, negated)
    b"\x46"                        # inc esi
    b"\x83\xf9\x02"                # cmp ecx, 2
    b"\x72\x02"                    # jb +2 (CMPB_RI)
    b"\x01\xce"                    # add esi, ecx
    b"\x83\xf9\x06"                # cmp ecx, 6
    b"\x73\x01"                    # jae +1 (CMPB_RI, negated)
    b"\x46"                        # inc esi
    b"\x39\xe9"                    # cmp ecx, ebp (5)
    b"\x74\x01"                    # je +1 (CMPZ_RR)
    b"\x46"                        # inc esi
    b"\x39\xd1"                    # cmp ecx, edx
    b"\x75\x02"                    # jne +2 (CMPZ_RR, negated)
    b"\x01\xce"                    # add esi, ecx
    b"\x89\x4f\x24"                # mov [edi+0x24], ecx
    b"\x3b\x6f\x24"                # cmp ebp, [edi+0x24] (ebp = 5)
    b"\x76\x01"                    # jbe +1 (JCC_SUBBE after cmp r, m)
    b"\x46"                        # inc esi
    b"\x3b\x6f\x24"                # cmp ebp, [edi+0x24]
    b"\x77\x01"                    # ja +1 (JCC_SUBBE, negated)
    b"\x46"                        # inc esi
    b"\x39\xcd"                    # cmp ebp, ecx
    b"\x8d\x52\x01"                # lea edx, [edx+1]
    b"\x76\x01"                    # jbe +1 (JCC_SUBBE after a lea)
    b"\x46"                        # inc esi
    b"\x89\xc2"                    # mov edx, eax
    b"\xc1\xfa\x1d"                # sar edx, 29 (-4 .. 3)
    b"\x85\xd2"                    # test edx, edx
    b"\x7e\x01"                    # jle +1 (TESTSZ_RR)
    b"\x46"                        # inc esi
    b"\x85\xd2"                    # test edx, edx
    b"\x7f\x02"                    # jg +2 (TESTSZ_RR, negated)
    b"\x01\xd6"                    # add esi, edx
    b"\x85\xd2"                    # test edx, edx
    b"\x7c\x01"                    # jl +1 (TESTS_RR)
    b"\x46"                        # inc esi
    b"\x85\xd2"                    # test edx, edx
    b"\x7d\x01"                    # jge +1 (TESTS_RR, negated)
    b"\x46"                        # inc esi
)


@pytest.mark.parametrize("tail", [b"", b"\x83\xf9\x04", b"\x85\xd2"])
@pytest.mark.parametrize("count", [1, 2, 300])
def test_go_conditions_without_the_switch(tail, count):
    """ecx = eax & 7 and edx = eax >> 29 (signed) step through their
    values, so each condition goes both ways against the per-instruction
    path at several budgets; the flags of the last producer are seen by the
    pushfd at the end (tail: a cmp or test last in the loop body)."""
    body = GO_COND_BODY + tail
    code = (b"\xc7\x47\x20" + struct.pack("<I", count) + body
            + b"\xff\x4f\x20\x75" + bytes([(-(len(body) + 5)) & 0xFF]) + b"\x9c\xcc")
    regs = {"eax": 0x9E3779B9, "ebx": 0x7F4A7C15, "edx": 6, "esi": 0, "ebp": 5}
    ref, on = blocks_agree(code, regs, (1, 2, 3, 7, 10**6))
    if count == 300:
        assert on.machine.core.block_instructions > 300 * 30


# the same forms as back edges to their block's own start (KwUop.fl & 2)
GO_COND_SELF_LOOPS = [
    # top: add eax, ebx; inc ecx; cmp ecx, 0x1f3; jb top (CMPB_RI)
    back(b"\x01\xd8\x41\x81\xf9\xf3\x01\0\0", b"\x72"),
    # top: add eax, ebx; inc ecx; cmp ecx, 0x1f3; jbe top (CMPBE_RI)
    back(b"\x01\xd8\x41\x81\xf9\xf3\x01\0\0", b"\x76"),
    # top: add eax, ebx; dec ecx; cmp ecx, 0x10; ja top (CMPBE_RI, negated)
    back(b"\x01\xd8\x49\x83\xf9\x10", b"\x77"),
    # top: add eax, ebx; inc ecx; cmp ecx, edx; jne top (CMPZ_RR)
    back(b"\x01\xd8\x41\x39\xd1", b"\x75"),
    # top: inc ecx; cmp ecx, edx; lea eax, [eax+ebx]; jbe top (JCC_SUBBE)
    back(b"\x41\x39\xd1\x8d\x04\x18", b"\x76"),
    # top: add eax, ebx; sub ecx, ebp; test ecx, ecx; jg top (TESTSZ_RR)
    back(b"\x01\xd8\x29\xe9\x85\xc9", b"\x7f"),
    # top: add eax, ebx; sub ecx, ebp; test ecx, ecx; jge top (TESTS_RR)
    back(b"\x01\xd8\x29\xe9\x85\xc9", b"\x7d"),
]


@pytest.mark.parametrize("k", range(len(GO_COND_SELF_LOOPS)))
def test_go_conditions_looping_on_their_block(k):
    code = GO_COND_SELF_LOOPS[k] + b"\x9c\xcc"
    regs = {"eax": 1, "ebx": 0x9E3779B9, "ecx": 0x3F0 if k in (2, 5, 6) else 0,
            "edx": 0x1F3, "ebp": 3}
    ref, on = blocks_agree(code, regs, (1, 5, 64, 10**6))
    assert ref[3] > 100
    assert on.machine.core.block_instructions > ref[3] - 20


# ---- mov r32, m32 / mov m32, r32 through DS or SS (UK_MOV_RM_DS & co.) ----
# The forms fixed to DS or SS take the segment's limit from a fixed slot
# while the segment is paged with base 0 (NetBSD's user DS/SS: base 0, limit
# VM_MAXUSER_ADDRESS - 1, not flat); a based, unpaged or 16-bit one goes to
# the general form.  (segment, base, limit, big, the access, ebx/ebp)
def ds(op, modrm, off):
    return op + bytes([modrm]) + struct.pack("<I", off & 0xFFFFFFFF)


DSSS_EDGES = [
    # DS, base 0, page-granular limit: [ebx+disp32] loads and stores
    ("ds", 0, 0x100FFF, True, ds(b"\x8b", 0x83, 0x100FFC)),     # last dword: good
    ("ds", 0, 0x100FFF, True, ds(b"\x89", 0x83, 0x100FFC)),
    ("ds", 0, 0x100FFF, True, ds(b"\x8b", 0x83, 0x100FFE)),     # across the limit: #GP(0)
    ("ds", 0, 0x100FFF, True, ds(b"\x8b", 0x83, 0x101000)),     # past it, page in the TLB
    ("ds", 0, 0x100FFF, True, ds(b"\x89", 0x83, 0x101000)),
    ("ds", 0, 0xFFFFFFFF, True, ds(b"\x8b", 0x83, -2)),         # wraps past 4 GiB: #GP(0)
    ("ds", 0, 0xFFFFFFFF, True, ds(b"\x89", 0x83, -1)),
    ("ds", 0, 0x100FFB, True, ds(b"\x8b", 0x83, 0x100FF8)),     # byte-granular: not paged
    # DS with a base: the general form (base + offset)
    ("ds", 0x10, 0x100FFF, True, ds(b"\x8b", 0x83, 0x100FFC)),
    ("ds", 0x10, 0x100FFF, True, ds(b"\x89", 0x83, 0x101000)),
    ("ds", 0xFF2, 0xFFFFFFFF, True, ds(b"\x8b", 0x83, DATA + 0x10)),  # linear across pages
    # SS: [ebp+disp32], [esp+disp32]
    ("ss", 0, 0x100FFF, True, ds(b"\x8b", 0x85, 0x100FFC)),
    ("ss", 0, 0x100FFF, True, ds(b"\x89", 0x85, 0x100FFC)),
    ("ss", 0, 0x100FFF, True, ds(b"\x8b", 0x85, 0x101000)),     # past the limit: #SS(0)
    ("ss", 0, 0x100FFF, True, ds(b"\x89", 0x85, 0x100FFE)),
    ("ss", 0, 0x100FFF, True, b"\x8b\x84\x24" + struct.pack("<I", DATA + 0x20 - STACK)),
    ("ss", 0, 0x100FFF, True, b"\x89\x84\x24" + struct.pack("<I", 0x101000 - STACK)),
    ("ss", 0x20, 0x100FFF, True, ds(b"\x8b", 0x85, 0x100FF8)),  # based
    ("ss", 0, 0x100FFF, False, ds(b"\x8b", 0x85, 0x100FF8)),    # 16-bit stack
]


@pytest.mark.parametrize("k", range(len(DSSS_EDGES)))
def test_ds_ss_forms_at_the_limit(k):
    """mov r32, m32 / mov m32, r32 through DS or SS at the edge of the
    segment's limit, with a base, unpaged, 16-bit: blocks run them or stop
    before them and the ordinary path faults (#GP(0) / #SS(0)) with the
    state of that boundary, at every budget."""
    sname, base, limit, big, access = DSSS_EDGES[k]
    off = struct.unpack("<I", access[-4:])[0]
    if access[1] == 0x84:
        off = (off + STACK) & 0xFFFFFFFF
    lin = (base + off) & 0xFFFFFFFF
    # the linear pages in the TLB first (es: mov esi, [page], ES flat)
    warm = b"".join(b"\x26\x8b\x35" + struct.pack("<I", p & 0xFFFFF000)
                    for p in (lin, (lin + 3) & 0xFFFFFFFF) if p < (4 << 20))
    code = (warm + b"\xeb\x01\xcc" + b"\x29\xd8" b"\x01\xd3" b"\x43" b"\x83\xc2\x07"
            + b"\x31\xdb\x31\xed" + access + b"\x21\xc0" b"\x31\xd2" b"\xcc")
    regs = {"eax": 0x80000001, "ebx": 0x7FFFFFFF, "edx": 0xFFFFFFF9}
    ref = None
    for blocks in (False, True):
        for budget in (10**6, 1, 5, 9):
            cpu = with_blocks(make_cpu(code, 0x1000, regs), blocks)
            sel = 0x2B if sname == "ds" else 0x10
            cpu.set_segment(sname, sel, base, limit, big=big, type=3, dpl=0)
            while True:
                e = cpu.run(budget)
                if e is not None:
                    break
            got = ((e.vector, e.error_code), state(cpu))
            assert got[0][0] in (3, 12, 13), got[0]
            if blocks and budget > 100:
                assert cpu.machine.core.block_instructions >= 6
            ref = ref or got
            assert got == ref, (blocks, budget)
    # the expected outcome, from the limit: the whole dword within it or not
    fault = off + 3 > limit
    assert ref[0] == ((12 if sname == "ss" else 13, 0) if fault else (3, None)) or (
        not big and ref[0][0] in (3, 12)), ref[0]


# a loop of DS and SS loads and stores ([ebx+disp], [ebp+disp], [esp+disp], [disp])
DSSS_BODY = (ds(b"\x8b", 0x83, 4)           # mov eax, [ebx+4]
             + ds(b"\x03", 0x83, 8)         # add eax, [ebx+8]
             + ds(b"\x89", 0x83, 12)        # mov [ebx+12], eax
             + ds(b"\x8b", 0x85, 16)        # mov edx, [ebp+16]
             + b"\x01\xc2"                  # add edx, eax
             + ds(b"\x89", 0x95, 20)        # mov [ebp+20], edx
             + b"\x89\x54\x24\xf8"          # mov [esp-8], edx
             + b"\x8b\x74\x24\xf8"          # mov esi, [esp-8]
             + b"\x8b\x35" + struct.pack("<I", DATA + 24)   # mov esi, [DATA+24]
             + b"\x89\x35" + struct.pack("<I", DATA + 28))  # mov [DATA+28], esi


@pytest.mark.parametrize("dsbase,ssbase", [(0, 0), (0x10, 0), (0, 0x20), (0x10, 0x20)])
def test_ds_ss_forms_in_loops(dsbase, ssbase):
    """The DS/SS forms in a loop, then the same blocks again after DS and SS
    get a base (and lose it): the blocks read the segments at each entry and
    end in the per-instruction path's state at every budget."""
    code = (b"\xb9" + struct.pack("<I", 200) + DSSS_BODY + b"\x49\x0f\x85"
            + struct.pack("<i", -(len(DSSS_BODY) + 7)) + b"\xcc")
    regs = {"ebx": DATA, "ebp": DATA + 4}

    def run(blocks, budget):
        cpu = with_blocks(make_cpu(code, 0x1000, regs), blocks)
        total, switched = 0, False
        while True:
            e = cpu.run(budget)
            if e is not None:
                assert e.vector == 3, e
                return state(cpu), cpu
            total += budget
            if total >= 600 and not switched:
                # blocks built with the first segments run with the others
                cpu.set_segment("ds", 0x2B, dsbase, 0xFFFFFFFF, type=3, dpl=0)
                cpu.set_segment("ss", 0x10, ssbase, 0xFFFFFFFF, type=3, dpl=0)
                switched = True
    ref, _ = run(False, 100)
    for budget in (100, 1, 7, 300):
        got, on = run(True, budget)
        assert got == ref, budget
    assert on.machine.core.block_instructions > 200 * 10
