"""The code-segment limit with the run loop's fast paths on.

A NetBSD user code segment ends at VM_MAXUSER_ADDRESS, not at 4 GiB.  The run
loop checks the CS limit where it can fail (when it enters a code page: a page
wholly inside the limit needs no per-instruction check; a page that holds the
limit runs every instruction through the general path; an instruction that
crosses into the next page is decoded with the limit; branches that leave a
page check their target), so the inline forms, fused cmp+jcc and nop runs run
below the limit.  None of that may be visible: an instruction that crosses or
lies beyond the limit raises #GP(0) exactly there, a branch to beyond the limit
raises #GP(0) at the branch with nothing committed, and one run equals single
steps (registers, flags, memory, instruction count, cycles).
"""

import random
import struct

import pytest

from kw86.testing import FlatCPU
from test_cpu_fastpath import gen_program, NAMES, DATA, STACK

UCODE = 0x1B


def make_cpu(code, at, regs=None, limit=0xFFFFFFFF, base=0):
    cpu = FlatCPU(cpl=3, mem_size=4 << 20)
    cpu.write_mem(base + at, code)
    cpu.write_mem(DATA, bytes(range(64)))
    for k, v in (regs or {}).items():
        cpu.set_reg(k, v)
    cpu.set_reg("edi", DATA)
    cpu.set_reg("esp", STACK)
    cpu.set_reg("eip", at)
    cpu.set_segment("cs", UCODE, base, limit, dpl=3, type=0xB)
    return cpu


def state(cpu):
    return ({n: cpu.get_reg(n) for n in NAMES + ["eip", "eflags"]},
            cpu.read_mem(DATA, 64), cpu.read_mem(STACK - 64, 64),
            cpu.instructions, cpu.cycles)


def run_all(cpu, limit=200000):
    e = cpu.run(limit)
    assert e is not None, "no exception"
    return (e.vector, e.error_code), state(cpu)


def run_steps(cpu, limit=200000):
    for _ in range(limit):
        e = cpu.step()
        if e is not None:
            return (e.vector, e.error_code), state(cpu)
    raise AssertionError("no exception")


def both(code, at, regs=None, **kw):
    """One run and single steps: the same exception and the same state."""
    ref = run_steps(make_cpu(code, at, regs, **kw))
    got = run_all(make_cpu(code, at, regs, **kw))
    assert got == ref
    return got


# --- random loops below a user limit, and with the limit inside their page --

@pytest.mark.parametrize("seed", range(40))
def test_random_loops_below_a_user_limit(seed):
    rng = random.Random(seed)
    code = gen_program(rng, rng.randrange(3, 25), rng.randrange(1, 12))
    at = rng.choice([0x1000, 0x1FF0 - rng.randrange(0, 40), 0x2FFD])
    regs = {n: rng.getrandbits(32) for n in ("eax", "edx", "ebx", "ebp", "esi")}
    regs["eflags"] = 0x202 | rng.choice([0, 1, 0x8D5])
    # NetBSD's user CS: limit VM_MAXUSER_ADDRESS - 1 (page granular)
    exc, _ = both(code, at, regs, limit=0xBFBFFFFF)
    assert exc == (3, None)


@pytest.mark.parametrize("seed", range(40))
def test_random_loops_with_the_limit_inside_the_code(seed):
    """The limit falls somewhere in (or just after) the program: it ends in
    #GP(0) at the first instruction that crosses or lies beyond the limit,
    after the loop ran as far as it could (or at the int3 if the limit is
    past it)."""
    rng = random.Random(seed + 77)
    code = gen_program(rng, rng.randrange(3, 25), rng.randrange(1, 6))
    at = rng.choice([0x1000, 0x1F80, 0x2FF0])
    limit = at + rng.randrange(len(code) // 2, len(code) + 2)
    regs = {n: rng.getrandbits(32) for n in ("eax", "edx", "ebx", "ebp", "esi")}
    exc, st = both(code, at, regs, limit=limit)
    assert exc in ((3, None), (13, 0))


# --- an instruction straddling the limit -------------------------------------

FILL = b"\x40\x43\x01\xd8\x39\xd8\x90"   # inc eax; inc ebx; add eax, ebx; cmp eax, ebx; nop


@pytest.mark.parametrize("limit_in_page", [0x7FF, 0xFFD, 0xFFF])
@pytest.mark.parametrize("warm", [False, True])
def test_insn_straddling_the_limit(limit_in_page, warm):
    """Inline forms up to a `mov eax, imm32` whose last bytes lie beyond the
    limit: #GP(0) at the mov, everything before it retired.  warm: the same
    machine first ran the code with a 4 GiB limit, so the page's decoded
    (and fused) entries are cached when the limit shrinks."""
    page = 0x4000
    limit = page + limit_in_page
    mov_at = limit - 2                           # mov's bytes: limit-2 .. limit+2
    n = (mov_at - page) // len(FILL)
    start = mov_at - n * len(FILL)
    code = FILL * n + b"\xb8" + struct.pack("<I", 0x12345678) + b"\xcc"
    regs = {"eax": 1, "ebx": 2}
    ref = run_steps(make_cpu(code, start, regs, limit=limit))
    assert ref[0] == (13, 0)
    assert ref[1][0]["eip"] == mov_at
    assert ref[1][3] == n * 5
    cpu = make_cpu(code, start, regs)
    if warm:
        assert cpu.run(10**6).vector == 3
        c0 = cpu.cycles
        for k, v in dict(regs, edi=DATA, esp=STACK, eip=start, eflags=0x202).items():
            cpu.set_reg(k, v)
        cpu.set_segment("cs", UCODE, 0, limit, dpl=3, type=0xB)
        e = cpu.run(10**6)
        assert (e.vector, e.error_code) == (13, 0)
        assert cpu.get_reg("eip") == mov_at
        assert cpu.get_reg("eax") == ref[1][0]["eax"] and cpu.get_reg("ebx") == ref[1][0]["ebx"]
        assert cpu.cycles - c0 == ref[1][4]
    else:
        cpu.set_segment("cs", UCODE, 0, limit, dpl=3, type=0xB)
        assert run_all(cpu) == ref


def test_cached_page_then_limit_shrinks():
    """The same machine runs a page of fast forms with a 4 GiB CS, then with a
    limit inside that page: the cached (fused) entries must not carry it
    past the limit."""
    at = 0x5000
    body = b"\x39\xd8\x74\x00" * 20 + b"\x40" * 10   # (cmp eax, ebx; je +0) x 20; inc eax x 10
    code = body + b"\xcc"
    cpu = make_cpu(code, at)
    e = cpu.run(10**6)
    assert e.vector == 3
    for limit in (at + 41, at + 42, at + 79, at + 81, at + 85):
        cpu.set_segment("cs", UCODE, 0, limit, dpl=3, type=0xB)
        for k, v in dict(eax=0, ebx=0, eip=at, eflags=0x202).items():
            cpu.set_reg(k, v)
        ic = cpu.instructions
        e = cpu.run(10**6)
        ref = make_cpu(code, at, limit=limit)
        ref_e = None
        while ref_e is None:
            ref_e = ref.step()
        assert (e.vector, e.error_code) == (ref_e.vector, ref_e.error_code) == (13, 0)
        assert cpu.get_reg("eip") == ref.get_reg("eip")
        assert cpu.instructions - ic == ref.instructions
        # je +0 is always taken (eax == ebx): #GP at the first cmp or je
        # that does not lie wholly inside the limit, or at a je whose target
        # (the next instruction) lies beyond it; inc eax at limit + 1
        if limit < at + 80:
            k = (limit - at + 1) // 4
            assert ref.get_reg("eip") == at + 4 * k + {0: -2, 1: 0, 2: 2, 3: 2}[(limit - at + 1) % 4]
        else:
            assert ref.get_reg("eip") == limit + 1


def test_crossing_into_the_page_past_the_limit():
    """The page is wholly inside the limit, the next one is not: a `mov eax,
    imm32` that crosses the page boundary #GPs (decoded with the limit)."""
    page = 0x6000
    limit = page + 0xFFF
    code = FILL * 10 + b"\xb8\x01\x02\x03\x04\xcc"
    at = page + 0x1000 - len(FILL) * 10 - 2
    exc, st = both(code, at, {"eax": 0}, limit=limit)
    assert exc == (13, 0)
    assert st[0]["eip"] == page + 0xFFE and st[3] == 50


def test_falling_through_to_beyond_the_limit():
    """Sequential execution reaches limit + 1: #GP(0) there (fetch)."""
    at = 0x7000
    code = b"\x40" * 64 + b"\xcc"
    exc, st = both(code, at, limit=at + 31)
    assert exc == (13, 0)
    assert st[0]["eip"] == at + 32 and st[0]["eax"] == 32


# --- branches to beyond the limit ----------------------------------------------

def branch_code(name, pos, target):
    """(producer bytes, branch bytes) for a branch at pos (after the
    producer) to target; None if a rel8 cannot reach."""
    def rel(n):
        return target - (pos + n)
    r8 = lambda n: bytes([rel(n) & 0xFF]) if -128 <= rel(n) < 128 else None
    if name == "jmp rel32":
        return b"", b"\xe9" + struct.pack("<i", rel(5))
    if name == "jmp rel8":
        return (b"", b"\xeb" + r8(2)) if r8(2) else None
    if name == "jcc rel32":                       # ZF set by the inc before it
        return b"", b"\x0f\x84" + struct.pack("<i", rel(6))
    if name == "jcc rel8":
        return (b"", b"\x74" + r8(2)) if r8(2) else None
    if name == "cmp+jcc":
        return (b"\x39\xc0", b"\x74" + r8(2)) if r8(2) else None      # cmp eax, eax; je
    if name == "cmp+jcc32":
        return b"\x83\xf8\x00", b"\x0f\x84" + struct.pack("<i", rel(6))  # cmp eax, 0; je
    if name == "test+jcc":
        return (b"\x85\xdb", b"\x74" + r8(2)) if r8(2) else None      # test ebx, ebx; je
    if name == "dec+jcc":
        return b"\x4a", b"\x0f\x85" + struct.pack("<i", rel(6))        # dec edx; jnz
    if name == "call rel32":
        return b"", b"\xe8" + struct.pack("<i", rel(5))
    if name == "jmp r32":
        return b"", b"\xff\xe6"                                       # jmp esi
    if name == "call r32":
        return b"", b"\xff\xd6"                                       # call esi
    if name == "jmp m32":
        return b"", b"\xff\x67\x08"                                   # jmp [edi+8]
    if name == "call m32":
        return b"", b"\xff\x57\x08"                                   # call [edi+8]
    if name == "ret":
        return b"\x56", b"\xc3"                                       # push esi; ret
    raise KeyError(name)


BRANCHES = ["jmp rel32", "jmp rel8", "jcc rel32", "jcc rel8", "cmp+jcc", "cmp+jcc32",
            "test+jcc", "dec+jcc", "call rel32", "jmp r32", "call r32", "jmp m32",
            "call m32", "ret"]


@pytest.mark.parametrize("limit", [0x8040, 0x8FFF, 0x89FF])
@pytest.mark.parametrize("name", BRANCHES)
def test_branch_beyond_the_limit(name, limit):
    """#GP(0) at the branch, ESP and the stack untouched, the instruction
    before it (a fused producer) retired; a run (inline forms, fusion) and
    single steps agree; a branch to the last byte within the limit runs."""
    at = 0x8000
    for target, beyond in ((limit + 1, True), (limit, False)):
        pre = b"\x90\x40"                         # nop; inc eax (eax -1 -> 0: ZF set)
        prod = branch_code(name, 0, 0)[0] if branch_code(name, 0, 0) else b""
        pos = at + len(pre) + len(prod)
        bc = branch_code(name, pos, target)
        if bc is None:
            continue
        code = pre + bc[0] + bc[1] + b"\xcc"
        regs = {"eax": 0xFFFFFFFF, "ebx": 0, "edx": 2, "esi": target}
        cpus = []
        for _ in range(2):
            cpu = make_cpu(code, at, regs, limit=limit)
            cpu.write_mem(DATA + 8, struct.pack("<I", target))
            cpu.write_mem(target, b"\xcc")
            cpus.append(cpu)
        cpu, ref = cpus
        e = cpu.run(1000)
        re = None
        while re is None:
            re = ref.step()
        assert (e.vector, e.error_code) == (re.vector, re.error_code), name
        assert state(cpu) == state(ref), name
        if beyond:
            assert (e.vector, e.error_code) == (13, 0), name
            assert cpu.get_reg("eip") == pos, name
            assert cpu.instructions == 2 + (1 if prod else 0), name
            assert cpu.get_reg("esp") == STACK - (4 if name == "ret" else 0), name
        else:
            assert e.vector == 3 and cpu.get_reg("eip") == target + 1, name


def test_nonzero_base_and_unaligned_limit():
    """CS base not page aligned: the pages the code spans are checked by CS
    offset; one run equals single steps up to the #GP at the limit."""
    rng = random.Random(5)
    for k in range(10):
        code = gen_program(rng, rng.randrange(3, 20), 3)
        base = rng.choice([0x800, 0x1234, 0x10000])
        at = rng.choice([0x100, 0xF80, 0x2FF0])
        limit = rng.choice([0xFFFFF, at + len(code) // 2, at + len(code) - 3])
        exc, _ = both(code, at, {"eax": k}, limit=limit, base=base)
        assert exc in ((3, None), (13, 0))


# --- data segments with a page-granular limit below 4 GiB ------------------------

DLIM = 0x1FFFFF         # DS/ES/SS limit (like NetBSD's user data segment: page granular)


def make_dcpu(code, at, regs=None):
    cpu = make_cpu(code, at, limit=0xBFBFFFFF)
    for s in ("ds", "es", "ss"):
        cpu.set_segment(s, 0x23, 0, DLIM, dpl=3, type=0x3)
    for k, v in (regs or {}).items():
        cpu.set_reg(k, v)
    return cpu


DATA_CASES = [
    ("mov r, m", b"\x8b\x06", {"esi": DLIM - 3}, None),             # mov eax, [esi]: last dword
    ("mov r, m crossing", b"\x8b\x06", {"esi": DLIM - 2}, (13, 0)),
    ("mov r, m beyond", b"\x8b\x06", {"esi": DLIM + 1}, (13, 0)),
    ("mov m, r", b"\x89\x06", {"esi": DLIM - 3}, None),
    ("mov m, r crossing", b"\x89\x06", {"esi": DLIM - 1}, (13, 0)),
    ("mov m8, r8 beyond", b"\x88\x06", {"esi": DLIM + 1}, (13, 0)),
    ("movzx m8 last", b"\x0f\xb6\x06", {"esi": DLIM}, None),
    ("movzx m16 crossing", b"\x0f\xb7\x06", {"esi": DLIM}, (13, 0)),
    ("cmp m, imm8 + jcc", b"\x80\x3e\x00\x74\x00", {"esi": DLIM + 1}, (13, 0)),
    ("add m, r beyond", b"\x01\x06", {"esi": DLIM + 1}, (13, 0)),
    ("inc m crossing", b"\xff\x06", {"esi": DLIM - 1}, (13, 0)),
    ("push at the limit", b"\x50", {"esp": DLIM + 1}, None),
    ("push beyond", b"\x50", {"esp": DLIM + 2}, (12, 0)),
    ("pop crossing", b"\x58", {"esp": DLIM - 2}, (12, 0)),
    ("call beyond", b"\xe8\x00\x00\x00\x00", {"esp": DLIM + 4}, (12, 0)),
    ("ret beyond", b"\xc3", {"esp": DLIM + 1}, (12, 0)),
    ("push m beyond", b"\xff\x36", {"esi": DLIM + 1}, (13, 0)),
    ("rep movsb to the limit", b"\xf3\xa4", {"esi": 0x1000, "edi": DLIM - 15, "ecx": 16}, None),
    ("rep movsb past it", b"\xf3\xa4", {"esi": 0x1000, "edi": DLIM - 15, "ecx": 17}, (13, 0)),
]


@pytest.mark.parametrize("case", range(len(DATA_CASES)))
def test_data_segment_limit_with_fast_forms(case):
    """Inline memory forms under a page-granular DS/ES/SS limit: accesses up
    to the limit run, one that crosses or lies beyond it raises #GP(0)
    (#SS(0) for the stack) with nothing committed; run == single steps.
    Each is run twice in a loop so the second pass hits warm entries."""
    name, insn, regs, want = DATA_CASES[case]
    at = 0x3000
    regs = dict({"eax": 0x11223344}, **regs)
    if "esp" in regs or name.startswith("rep"):
        code = insn + b"\xcc"
    else:   # mov ebp, 2; top: insn; dec ebp; jnz top; int3
        code = (b"\xbd\x02\x00\x00\x00" + insn + b"\x4d\x75"
                + bytes([(-(len(insn) + 3)) & 0xFF]) + b"\xcc")
    ref = make_dcpu(code, at, regs)
    cpu = make_dcpu(code, at, regs)
    for c in (ref, cpu):
        c.write_mem(0, bytes(range(256)) * 16)
        c.write_mem(DLIM - 255, bytes(range(256)))
    e = cpu.run(1000)
    re = None
    while re is None:
        re = ref.step()
    assert (e.vector, e.error_code) == (re.vector, re.error_code), name
    assert state(cpu) == state(ref), name
    assert cpu.read_mem(DLIM - 255, 256) == ref.read_mem(DLIM - 255, 256), name
    if want is None:
        assert e.vector == 3, name
    else:
        assert (e.vector, e.error_code) == want, name
        assert cpu.get_reg("eip") in (at, at + 5), name     # at the faulting instruction
        assert cpu.get_reg("esp") == regs.get("esp", STACK), name
