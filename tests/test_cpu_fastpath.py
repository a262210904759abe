"""The run loop's fast paths against single-stepping.

run_loop executes the hottest 32-bit forms inline, steps to the next decoded
instruction of the same code page without a TLB/dcache lookup, and fuses a
flag producer (cmp/test/inc/dec) with the jcc after it, retiring both in one
dispatch when the budget and the attention threshold leave room.  None of
that may be visible: a program run in one go, in random budget chunks, or
one instruction at a time (FlatCPU.step, which never fuses) must end in the
same registers, flags, memory, instruction count and modelled cycles.
Programs are random loops of hand-encoded instructions (no assembler).
"""

import random
import struct

import pytest

from kw86.testing import FlatCPU

DATA = 0x100000
STACK = 0x90000

# destinations: eax edx ebx ebp esi (ecx counts the loop, edi points at DATA)
DST = [0, 2, 3, 5, 6]
NAMES = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"]


def modrm(mod, reg, rm):
    return bytes([(mod << 6) | (reg << 3) | rm])


def gen_insn(rng):
    d = rng.choice(DST)
    s = rng.choice(DST + [1, 7])
    imm8 = rng.choice([0, 1, 0x7F, 0x80, 0xFF, rng.randrange(256)])
    imm32 = rng.choice([0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, rng.getrandbits(32)])
    k = rng.randrange(43)
    if k == 40:
        op = rng.choice([0x01, 0x29, 0x21, 0x09, 0x31])          # op [edi+x], r
        return bytes([op]) + modrm(1, s, 7) + bytes([rng.randrange(0, 61, 4)])
    if k == 41:
        if rng.random() < 0.5:                                  # op dword [edi+x], imm8/32
            return (bytes([0x83]) + modrm(1, rng.choice([0, 5, 4, 1, 6]), 7)
                    + bytes([rng.randrange(0, 61, 4), imm8]))
        return (bytes([0x81]) + modrm(1, rng.choice([0, 5, 4, 1, 6]), 7)
                + bytes([rng.randrange(0, 61, 4)]) + struct.pack("<I", imm32))
    if k == 42:
        p = bytes([0xFF]) + modrm(1, rng.choice([0, 1]), 7) + bytes([rng.randrange(0, 61, 4)])
        return p + bytes([0x70 + rng.randrange(16), 1, 0x40 + rng.choice(DST)])   # inc/dec m; jcc
    if k == 34:
        op = rng.choice([0x2B, 0x23, 0x0B, 0x33])          # sub/and/or/xor r, m
        return bytes([op]) + modrm(1, d, 7) + bytes([rng.randrange(0, 61, 4)])
    if k == 35:
        op = rng.choice([b"\x0f\xbe", b"\x0f\xbf", b"\x0f\xb7"])  # movsx m8/m16, movzx m16
        return op + modrm(1, d, 7) + bytes([rng.randrange(0, 61)])
    if k == 36:
        if rng.random() < 0.5:
            p = b"\x68" + struct.pack("<I", imm32)           # push imm32
        else:
            p = bytes([0xFF]) + modrm(1, 6, 7) + bytes([rng.randrange(0, 61, 4)])  # push [edi+x]
        return p + bytes([0x58 + d])
    if k == 37:
        return bytes([0x55, 0x89, 0xE5, 0x50 + s, 0xC9])     # push ebp; mov ebp,esp; push; leave
    if k == 38:
        f = bytes([0x40 + rng.choice(DST)])
        if rng.random() < 0.5:                               # jmp r32 over a filler
            return (b"\xe8\0\0\0\0" + bytes([0x58 + d, 0x83, 0xC0 + d, 7, 0xFF, 0xE0 + d]) + f)
        return (b"\xe8\0\0\0\0" + bytes([0x58 + d, 0x83, 0xC0 + d, 8, 0xFF, 0xD0 + d])
                + b"\xeb\x01\xc3")                          # call r32 to a ret
    if k == 39:
        x = rng.randrange(0, 61, 4)
        if rng.random() < 0.5:                               # jmp [edi+x] over a filler
            return (b"\xe8\0\0\0\0" + bytes([0x58 + d, 0x83, 0xC0 + d, 11, 0x89, 0x47 | (d << 3),
                    x, 0xFF, 0x67, x, 0x40 + rng.choice(DST)]))
        return (b"\xe8\0\0\0\0" + bytes([0x58 + d, 0x83, 0xC0 + d, 12, 0x89, 0x47 | (d << 3),
                x, 0xFF, 0x57, x]) + b"\xeb\x01\xc3")      # call [edi+x] to a ret
    x = rng.randrange(0, 61)
    r8 = rng.choice([0, 2, 3, 4, 6, 7])               # al dl bl ah dh bh
    if k == 28:
        op = rng.choice([0x3B, 0x39, 0x03])              # cmp r,m / cmp m,r / add r,m
        p = bytes([op]) + modrm(1, d, 7) + bytes([x & ~3])
        if rng.random() < 0.5:
            p += bytes([0x70 + rng.randrange(16), 1, 0x40 + rng.choice(DST)])
        return p
    if k == 29:
        if rng.random() < 0.5:
            p = bytes([0x81]) + modrm(1, 7, 7) + bytes([x & ~3]) + struct.pack("<I", imm32)
        else:
            p = bytes([0x80]) + modrm(1, 7, 7) + bytes([x, imm8])   # cmp byte [edi+x], imm8
        return p + bytes([0x70 + rng.randrange(16), 1, 0x40 + rng.choice(DST)])
    if k == 30:
        return bytes([rng.choice([0x8A, 0x88])]) + modrm(1, r8, 7) + bytes([x])  # mov r8<->m8
    if k == 31:
        if rng.random() < 0.5:
            return bytes([0xC7]) + modrm(1, 0, 7) + bytes([x & ~3]) + struct.pack("<I", imm32)
        return bytes([0xC6]) + modrm(1, 0, 7) + bytes([x, imm8])
    if k == 32:
        return bytes([0x0F, 0xB6]) + modrm(1, d, 7) + bytes([x])   # movzx d, byte [edi+x]
    if k == 33:
        return bytes([0x0F, 0xB6]) + modrm(3, d, r8)              # movzx d, r8
    if k == 24:
        return b"\x90" * rng.randrange(2, 20)                       # a nop run
    if k == 25:
        return bytes([0x50 + s, 0x58 + d])                         # push s; pop d
    if k == 26:
        return b"\xe8\x00\x00\x00\x00" + bytes([0x58 + d])       # call next; pop d
    if k == 27:
        return b"\xe8\x02\x00\x00\x00\xeb\x01\xc3"               # call a ret; jmp over it
    if k == 0:
        return bytes([0x39]) + modrm(3, s, d)                      # cmp d, s
    if k == 1:
        return bytes([0x83]) + modrm(3, 7, d) + bytes([imm8])       # cmp d, imm8
    if k == 2:
        return bytes([0x81]) + modrm(3, 7, d) + struct.pack("<I", imm32)
    if k == 3:
        return bytes([0x85]) + modrm(3, s, d)                      # test d, s
    if k == 4:
        return bytes([0xF7]) + modrm(3, 0, d) + struct.pack("<I", imm32)
    if k == 5:
        op = rng.choice([0x01, 0x29, 0x21, 0x09, 0x31, 0x11, 0x19])  # add sub and or xor adc sbb
        return bytes([op]) + modrm(3, s, d)
    if k == 6:
        return bytes([0x83]) + modrm(3, rng.choice([0, 5, 4, 1, 6, 2, 3]), d) + bytes([imm8])
    if k == 7:
        return bytes([0x40 + d])                                   # inc
    if k == 8:
        return bytes([0x48 + d])                                   # dec
    if k == 9:
        return bytes([0x8B]) + modrm(1, d, 7) + bytes([rng.randrange(0, 64, 4)])  # mov d,[edi+x]
    if k == 10:
        return bytes([0x89]) + modrm(1, s, 7) + bytes([rng.randrange(0, 64, 4)])  # mov [edi+x],s
    if k == 11:
        # lea d, [s + edi*2 + disp8]
        return bytes([0x8D]) + modrm(1, d, 4) + bytes([(1 << 6) | (7 << 3) | s, imm8])
    if k == 12:
        return b"\x90"
    if k == 13:
        return bytes([0x89]) + modrm(3, s, d)                      # mov d, s
    if k == 14:
        return bytes([0xB8 + d]) + struct.pack("<I", imm32)         # mov d, imm32
    if k == 15:
        return b"\x9c" + bytes([0x58 + d])                         # pushfd; pop d
    if k == 16:
        if rng.random() < 0.5:                                   # cmovcc d, s
            return bytes([0x0F, 0x40 + rng.randrange(16)]) + modrm(3, d, s)
        return bytes([0x0F, 0x90 + rng.randrange(16)]) + modrm(3, 0, rng.choice([0, 2, 3, 4, 6, 7]))
    if k == 17:
        return rng.choice([b"\xf5", b"\xf8", b"\xf9"])              # cmc clc stc
    if k in (18, 19, 20):
        # a flag producer then a short jcc over a 1-byte inc
        p = gen_insn_producer(rng, d, s, imm8, imm32)
        return p + bytes([0x70 + rng.randrange(16), 1, 0x40 + rng.choice(DST)])
    if k == 21:
        # near jcc (rel32) over a 5-byte mov
        p = gen_insn_producer(rng, d, s, imm8, imm32)
        return (p + bytes([0x0F, 0x80 + rng.randrange(16)]) + struct.pack("<i", 5)
                + bytes([0xB8 + rng.choice(DST)]) + struct.pack("<I", imm32))
    if k == 22:
        return bytes([0x83]) + modrm(1, 7, 7) + bytes([rng.randrange(0, 64, 4), imm8])  # cmp [edi+x],i
    return bytes([0xEB, 1, 0x90])                                  # jmp over a nop


def gen_insn_producer(rng, d, s, imm8, imm32):
    k = rng.randrange(6)
    if k == 0:
        return bytes([0x39]) + modrm(3, s, d)
    if k == 1:
        return bytes([0x83]) + modrm(3, 7, d) + bytes([imm8])
    if k == 2:
        return bytes([0x85]) + modrm(3, s, d)
    if k == 3:
        return bytes([0xF7]) + modrm(3, 0, d) + struct.pack("<I", imm32)
    if k == 4:
        return bytes([0x40 + d])
    return bytes([0x48 + d])


def gen_program(rng, n_body, loops):
    body = b"".join(gen_insn(rng) for _ in range(n_body))
    head = b"\xb9" + struct.pack("<I", loops)                  # mov ecx, loops
    tail = b"\x49"                                              # dec ecx
    back = -(len(body) + len(tail) + 6)
    jnz = b"\x0f\x85" + struct.pack("<i", back)
    return head + body + tail + jnz + b"\xcc"


def make_cpu(code, at, regs):
    cpu = FlatCPU(cpl=0, mem_size=4 << 20)
    cpu.write_mem(at, code)
    cpu.write_mem(DATA, bytes(range(64)))
    for k, v in regs.items():
        cpu.set_reg(k, v)
    cpu.set_reg("edi", DATA)
    cpu.set_reg("esp", STACK)
    cpu.set_reg("eip", at)
    return cpu


def state(cpu):
    return ({n: cpu.get_reg(n) for n in NAMES + ["eip", "eflags"]},
            cpu.read_mem(DATA, 64), cpu.read_mem(STACK - 64, 64),
            cpu.instructions, cpu.cycles)


def run_all(cpu, limit=200000):
    e = cpu.run(limit)
    assert e is not None and e.vector == 3, e
    return state(cpu)


def run_chunks(cpu, rng, limit=200000):
    total = 0
    while total < limit:
        k = rng.choice([1, 2, 3, 5, 8, 13])
        e = cpu.run(k)
        if e is not None:
            assert e.vector == 3, e
            return state(cpu)
        total += k
    raise AssertionError("no int3")


def run_steps(cpu, limit=200000):
    for _ in range(limit):
        e = cpu.step()
        if e is not None:
            assert e.vector == 3, e
            return state(cpu)
    raise AssertionError("no int3")


@pytest.mark.parametrize("seed", range(100))
def test_random_loops_run_equals_step(seed):
    rng = random.Random(seed)
    code = gen_program(rng, rng.randrange(3, 25), rng.randrange(1, 12))
    # some programs straddle a page boundary (sequential fetch stops there)
    at = rng.choice([0x1000, 0x1FF0 - rng.randrange(0, 40), 0x2FFD])
    regs = {n: rng.getrandbits(32) for n in ("eax", "edx", "ebx", "ebp", "esi")}
    regs["eflags"] = 0x202 | rng.choice([0, 1, 0x8D5])
    ref = run_steps(make_cpu(code, at, regs))
    assert run_all(make_cpu(code, at, regs)) == ref
    assert run_chunks(make_cpu(code, at, regs), random.Random(seed + 1000)) == ref


def test_self_modifying_code_in_the_same_page():
    """A loop stores a new immediate into a later `mov eax, imm32` of its own
    page: the store invalidates the page's decoded instructions and the
    sequential fetch must see the new bytes."""
    at = 0x1000
    # 0: mov ecx, 5
    # 5: top: mov [0x1000+imm_off], ecx ; mov eax, 0 ; add ebx, eax ; dec ecx ; jnz top ; int3
    code = bytearray(b"\xb9\x05\x00\x00\x00")
    top = len(code)
    store_at = len(code)
    code += b"\x89\x0d" + b"\0\0\0\0"                # mov [abs32], ecx
    mov_at = len(code)
    code += b"\xb8\x00\x00\x00\x00"                  # mov eax, imm32
    code += b"\x01\xc3"                              # add ebx, eax
    code += b"\x49"                                  # dec ecx
    code += b"\x75" + bytes([(top - (len(code) + 2)) & 0xFF])
    code += b"\xcc"
    code[store_at + 2:store_at + 6] = struct.pack("<I", at + mov_at + 1)
    ref = run_steps(make_cpu(bytes(code), at, {"ebx": 0}))
    got = run_all(make_cpu(bytes(code), at, {"ebx": 0}))
    assert got == ref
    assert got[0]["ebx"] == 5 + 4 + 3 + 2 + 1


def test_fused_pair_respects_budget_and_counts_two():
    """cmp + jcc fused: run(1) retires only the cmp, run(2) both."""
    code = b"\x39\xd8\x74\x01\x40\xcc"       # cmp eax, ebx; je +1; inc eax; int3
    cpu = make_cpu(code, 0x1000, {"eax": 1, "ebx": 1})
    assert cpu.run(1) is None
    assert cpu.get_reg("eip") == 0x1002 and cpu.instructions == 1
    cpu = make_cpu(code, 0x1000, {"eax": 1, "ebx": 1})
    assert cpu.run(2) is None
    assert cpu.get_reg("eip") == 0x1005 and cpu.instructions == 2
    assert cpu.get_reg("eax") == 1


@pytest.mark.parametrize("seed", range(12))
def test_cycle_limit_stops_at_the_same_boundary(seed):
    """A cycle limit (the attention threshold, like the timer) must stop the
    loop at the same instruction boundary whether pairs and nop runs are
    fused or not: compare with single steps."""
    rng = random.Random(seed + 500)
    code = gen_program(rng, rng.randrange(5, 25), 50)
    regs = {n: rng.getrandbits(32) for n in ("eax", "edx", "ebx", "ebp", "esi")}
    for _ in range(4):
        limit = rng.randrange(5, 400)
        ref = make_cpu(code, 0x1000, regs)
        while ref.cycles < limit:
            if ref.step() is not None:
                break
        got = make_cpu(code, 0x1000, regs)
        r = got.machine.run(10**6, max_cycles=limit)
        if ref.cycles >= limit:
            assert r.event == "cycles"
        assert state(got) == state(ref)
