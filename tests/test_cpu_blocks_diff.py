"""Translated blocks (kw86/exec_block.pxi) checked independently: random
programs from the forms the blocks translate, mixed with instructions that
stop blocks (tests/blockdiff_gen.py), run

  (a) with blocks on, whole and in small budgets (1, 2, 3, 7, 13 ...),
  (b) with Core.set_blocks(False) (the per-instruction path alone),
  (c) under Unicorn (architectural state: registers, EIP, memory, and the
      flags the manual defines),

and directed cases for the edges the engine claims to handle: page-crossing
accesses, TLB misses inside a block (flushes, PTE edits), #PF/#GP/#SS/#AC
inside a block (faulting EIP, error code, CR2, nothing written, checked
against the manual), self-modifying code (same block, next instruction,
next block, a block chained to, another page, through an alias page), code
across a page boundary, jcc/call/ret targets in another page, code pages
remapped under their blocks, timer interrupts, host breakpoints, debug
registers, TF and cycle-limited runs landing inside blocks, a CPL 3 code
segment limit below 4 GiB (#GP at the branch, straight-line code running
into it), non-flat, based and reloaded data segments at CPL 3; and whole
NetBSD and Go programs through `kw86 exec`, blocks on and off.

(a) and (b) must agree exactly: registers, EFLAGS, EIP, memory, the retired
instruction count and the modelled cycles, and the exception with its error
code and CR2.
"""

import os
import random
import shutil
import struct

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from unicorn import UC_HOOK_CODE

import blockdiff_gen as G
import hostenv
from buildreq import built
import unicorn_oracle as U
from kw86.testing import FlatCPU, make_system, desc, KTEXT, KSTACK, UTEXT, USTACK, PT0

CODE_BASE, DATA_BASE = U.CODE_BASE, U.DATA_BASE
WINDOW = 0x12000            # compared bytes from DATA_BASE (data + stack)
STACK_OFF = 0x10000         # esp = DATA_BASE + STACK_OFF + small
EDI_OFFS = [0x1000, 0x1F7D, 0x2FFA, 0x3000 - 0x900 + 2, 0x4FF0]
CODE_ATS = [0x1000, 0x1FF0, 0x1FC3, 0x2FFE, 0x3F80]     # CS offsets (code crosses pages)


# ---------------------------------------------------------------------------
# kw86 harness

def kw_cpu(cpl):
    """unicorn_oracle.make_kw86's machine (CS based at CODE_BASE, flat data
    segments) with 4 MiB of memory: quicker to make than 16."""
    cpu = FlatCPU(bits=32, cpl=cpl, mem_size=4 << 20)
    code_sel, data_sel = U.CPL_SELECTORS[cpl]
    cpu.set_segment("cs", code_sel, CODE_BASE, 0xFFFFFFFF, big=True, dpl=cpl, type=0xB)
    for s in ("ds", "es", "ss", "fs", "gs"):
        cpu.set_segment(s, data_sel, 0, 0xFFFFFFFF, big=True, dpl=cpl, type=0x3)
    return cpu


def kw_state(m, exc):
    e = None
    if exc is not None:
        e = (exc.vector, exc.error_code, exc.cr2)
    return {"exc": e,
            "regs": tuple(m.get_reg(n) for n in U.GPRS),
            "eip": m.get_reg("eip"), "eflags": m.get_reg("eflags"),
            "insns": m.instructions, "cycles": m.cycles}


def run_chunks(m, budget, limit=300000, must_end=True):
    """Run in chunks of `budget` until an exception (int3 ends a program);
    at most `limit` instructions (must_end=False: the state there)."""
    total = 0
    while total < limit:
        r = m.run(min(budget, limit - total))
        if r.exception is not None:
            return r.exception
        total += max(r.instructions, 1)
    assert not must_end, "program did not end"
    return None


class Prog:
    """A program and its start state (data window contents, registers)."""

    def __init__(self, code, at, regs, eflags, data, cpl=3, setup=None, extra=None):
        self.code, self.at, self.regs, self.eflags, self.data, self.cpl = (
            code, at, regs, eflags, data, cpl)
        self.setup = setup          # f(machine): paging, segments ... after the registers
        self.extra = extra          # f(machine) -> more state to compare (page tables ...)

    def kw(self, blocks):
        cpu = kw_cpu(self.cpl)
        m = cpu.machine
        m.write(DATA_BASE, self.data)
        m.write(CODE_BASE + self.at, self.code)
        for n, v in zip(U.GPRS, self.regs):
            m.set_reg(n, v)
        m.set_reg("eflags", self.eflags)
        m.set_reg("eip", self.at)
        if self.setup is not None:
            self.setup(m)
        m.core.set_blocks(blocks)
        return m

    def run_kw(self, blocks, budget):
        m = self.kw(blocks)
        exc = run_chunks(m, budget)
        s = kw_state(m, exc)
        s["mem"] = m.read(DATA_BASE, WINDOW)
        s["blk"] = m.core.block_instructions
        s["extra"] = self.extra(m) if self.extra is not None else None
        return s

    def run_uc(self, limit=300000, step=True):
        return run_uc_on(self, U.UcMachine(32, self.cpl), limit, step)


def run_uc_on(p, uc, limit=300000, step=True):
    """Run program p on the Unicorn machine uc (tests/unicorn_oracle.py's
    UcMachine), tracking which status flags the manual leaves undefined."""
    uc.uc.mem_write(DATA_BASE, p.data)
    uc.write_code(CODE_BASE + p.at, p.code)
    uc.set_state(list(p.regs), p.eflags)
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
    if step:
        # one instruction per emu_start: Unicorn 2 run freely loses CF across
        # translation blocks (neg; ... ret; dec ecx left CF = 0, single-stepped
        # it keeps neg's CF = 1 as SDM Vol. 2A DEC "CF flag is not affected").
        # (Not for self-modifying code: a store into its own translation
        # block restarts the instruction, and count=1 never gets past it.)
        from unicorn.x86_const import UC_X86_REG_EIP
        uc.uc.reg_write(UC_X86_REG_EIP, p.at)
        for _ in range(limit):
            uc.uc.emu_start(uc.eip(), 0xFFFFFFFF, count=1)
            if uc.vector is not None:
                break
    else:
        uc.uc.emu_start(p.at, 0xFFFFFFFF, count=limit)
    return {"vector": uc.vector, "regs": tuple(uc.regs()), "eip": uc.eip(),
            "eflags": uc.eflags(), "undef": track["undef"], "bad": track["bad"],
            "mem": bytes(uc.uc.mem_read(DATA_BASE, WINDOW))}


def first_diff(a, b):
    k = next(i for i in range(min(len(a), len(b))) if a[i] != b[i])
    return f"{DATA_BASE + k:#x}: {a[k]:02x} != {b[k]:02x}"


def same(got, ref, what):
    for key in ("exc", "regs", "eip", "eflags", "insns", "cycles", "extra"):
        assert got[key] == ref[key], (what, key, got[key], ref[key])
    assert got["mem"] == ref["mem"], (what, "memory", first_diff(got["mem"], ref["mem"]))


def make_prog(seed, n_units, loops, defined_only, cpl=3, allow=None, ds_base=0, ss_base=0,
              extra=(), extra_p=0.08, flagdense=False):
    """A random program (blockdiff_gen.program) and its start state; with
    ds_base / ss_base the offsets in edi / esp are for segments based there
    (the same linear window)."""
    rng = random.Random(seed)
    edi = (DATA_BASE + rng.choice(EDI_OFFS) - ds_base) & 0xFFFFFFFF
    code = G.program(rng, edi, n_units, loops, defined_only=defined_only, allow=allow,
                     extra=extra, extra_p=extra_p, flagdense=flagdense)
    at = rng.choice(CODE_ATS)
    regs = [U.gen_reg(rng, 32) for _ in range(8)]
    regs[G.ECX] = 0
    regs[G.ESI] = rng.randrange(256)
    regs[G.EDI] = edi
    regs[G.ESP] = (DATA_BASE + STACK_OFF + rng.choice([0, 2, 0x7FD, 0x1000]) - ss_base) & 0xFFFFFFFF
    eflags = 0x202 | (rng.getrandbits(12) & 0x8D5)
    data = random.Random(seed ^ 0x5A5A).randbytes(WINDOW)
    return Prog(code, at, regs, eflags, data, cpl)


def check_blocks_vs_interpreter(p, budgets, faults=False):
    ref = p.run_kw(False, 10**6)
    if not faults:
        # the program ends at its int3 (or a div's #DE: blockdiff_gen)
        assert ref["exc"][0] in (3, 0), ref["exc"]
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


# ---------------------------------------------------------------------------
# paging: TLB misses inside blocks, #PF inside blocks, TLB flushes and
# page-table edits between blocks

PD = 0x380000               # page directory, then 4 page tables: 16 MiB identity-mapped


def paging_setup(restrict):
    """Identity paging of the 16 MiB, every page user + writable but those in
    restrict {linear page: PTE flags}."""
    def setup(m):
        pd = bytearray(4096)
        for i in range(4):
            struct.pack_into("<I", pd, 4 * i, (PD + 0x1000 * (i + 1)) | 7)
        m.write(PD, bytes(pd))
        for i in range(4):
            pt = bytearray(4096)
            for k in range(1024):
                page = (i * 1024 + k) << 12
                struct.pack_into("<I", pt, 4 * k, page | restrict.get(page, 7))
            m.write(PD + 0x1000 * (i + 1), bytes(pt))
        m.set_cr(3, PD)
        m.set_cr(0, m.get_cr(0) | 0x80000000)
    return setup


def pte_addr(lin):
    return PD + 0x1000 + 4 * (lin >> 12)


def tlb_units(pages):
    """Units that flush the TLB or edit page tables (CPL 0 runs them all; at
    CPL 3 mov cr3 / invlpg are #GP, so only the PTE edits are used there,
    taking effect at the next miss of that page)."""
    def flush(rng):                     # push eax; mov eax, cr3; mov cr3, eax; pop eax
        return b"\x50\x0f\x20\xd8\x0f\x22\xd8\x58"

    def invlpg(rng):                    # invlpg [edi + d8]
        return b"\x0f\x01\x7f" + struct.pack("<b", rng.randrange(-64, 128))

    def flip(rng):                      # xor dword [PTE], R/W or U/S or P; invlpg [page]
        page = rng.choice(pages)
        bit = rng.choice([2, 2, 4, 1])
        b = b"\x83\x35" + struct.pack("<I", pte_addr(page)) + bytes([bit])
        return b + b"\x0f\x01\x3d" + struct.pack("<I", page + rng.randrange(4096))

    def flip_noflush(rng):
        page = rng.choice(pages)
        return b"\x83\x35" + struct.pack("<I", pte_addr(page)) + bytes([rng.choice([2, 4])])
    return [flush, invlpg, flip], [flip_noflush]


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 24), loops=st.integers(1, 10),
       cpl=st.sampled_from([3, 0]), nrestrict=st.integers(0, 3))
def test_paging_tlb_misses_and_page_faults_in_blocks(seed, n, loops, cpl, nrestrict):
    rng = random.Random(seed ^ 0xF00D)
    pages = [DATA_BASE + k * 0x1000 for k in range(0, 8)] + [DATA_BASE + STACK_OFF - 0x1000]
    restrict = {pg: rng.choice([5, 3, 0, 1, 4]) for pg in rng.sample(pages, nrestrict)}
    units0, units3 = tlb_units(pages)
    p = make_prog(seed, n, loops, defined_only=False, cpl=cpl,
                  extra=units0 if cpl == 0 else units3, extra_p=0.1)
    p.setup = paging_setup(restrict)
    p.extra = lambda m: (m.read(PD, 0x5000), m.get_cr(2))
    ref = check_blocks_vs_interpreter(p, (10**6, 1, rng.choice([2, 3, 7, 19])), faults=True)
    if ref["exc"][0] == 14:
        lin = ref["exc"][2]
        assert ref["extra"][1] == lin
        # the faulting access's page is one the test restricted (or whose
        # PTE the program edited)
        assert lin & ~0xFFF in pages, hex(lin)
    else:
        assert ref["exc"][0] in (3, 13, 0), ref["exc"]


# ---------------------------------------------------------------------------
# non-flat data segments at CPL 3: bases (also wrapping through 4 GiB),
# limits below 4 GiB, expand-down, read-only, a 16-bit stack

SEG_KINDS = ["based", "wrap", "limit", "expdown", "readonly", "stack16", "flatlimit", "stack16flat",
             "sslimit", "bytelimit", "based_expdown"]


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 24), loops=st.integers(1, 10),
       kind=st.sampled_from(SEG_KINDS))
def test_non_flat_data_segments_at_cpl3(seed, n, loops, kind):
    rng = random.Random(seed ^ 0xBEEF)
    ds_base = {"based": rng.choice([0x1000, 0x345, 0x7FF]), "wrap": (-0x1800) & 0xFFFFFFFF,
               "limit": 0x2000, "expdown": 0x10, "readonly": 0x4000, "bytelimit": DATA_BASE - 0x333,
               "based_expdown": DATA_BASE - 0x10000}.get(kind, 0)
    ss_base = {"based": 0x10, "wrap": (-0x20) & 0xFFFFFFFF, "stack16": DATA_BASE + 0x8000}.get(kind, 0)
    p = make_prog(seed, n, loops, defined_only=False, cpl=3, ds_base=ds_base, ss_base=ss_base)
    edi = p.regs[G.EDI]
    if kind in ("stack16", "stack16flat"):
        p.regs[G.ESP] = 0x8000 + rng.choice([0, 2, 0x7FD])
    if kind == "stack16flat":
        # SS base 0, limit 0xFFFF, B = 0: 'flat' as far as its base and limit
        # go, but pushes and pops use SP; the stack is in the low 64 KiB
        p.extra = lambda m: m.read(0x7000, 0x2000)
    ss_limit = 0xFFFF if kind in ("stack16", "stack16flat") else 0xFFFFFFFF
    if kind == "sslimit":
        # base 0, page-granular limit just above esp: [esp+d] reads may cross it (#SS)
        ss_limit = (p.regs[G.ESP] + rng.choice([0, 8, 0x10])) | 0xFFF
    deltas = [0, 0x40, (-0x100) & 0xFFFFFFFF, 0x2000]
    typ, limit = 3, 0xFFFFFFFF
    if kind == "limit":
        limit = (edi + rng.randrange(0x100, 0x1800)) | 0xFFF
    elif kind == "flatlimit":
        limit = (edi + rng.randrange(0x100, 0x1800)) | 0xFFF     # base 0: still 'flat'
    elif kind == "bytelimit":
        limit = edi + rng.randrange(0x100, 0x1800)                  # byte-granular, based
    elif kind in ("expdown", "based_expdown"):
        typ, limit = 7, edi - rng.randrange(-0x40, 0x100)
    elif kind == "readonly":
        typ = 1
    bases = {s: (ds_base + (rng.choice(deltas) if kind in ("based", "wrap") else 0)) & 0xFFFFFFFF
             for s in ("es", "fs", "gs")}

    def setup(m):
        m.set_segment("ds", 0x23, ds_base, limit, big=True, dpl=3, type=typ)
        for s in ("es", "fs", "gs"):
            m.set_segment(s, 0x23, bases[s], limit if s == "es" else 0xFFFFFFFF,
                          big=True, dpl=3, type=typ if s == "es" else 3)
        m.set_segment("ss", 0x23, ss_base, ss_limit,
                      big=kind not in ("stack16", "stack16flat"), dpl=3, type=3)
    p.setup = setup
    b = rng.choice([2, 3, 7, 19])
    ref = check_blocks_vs_interpreter(p, (10**6, 1, b), faults=True)
    assert ref["exc"][0] in (3, 12, 13, 0), ref["exc"]
    if ref["exc"][0] in (12, 13):
        assert ref["exc"][1] == 0


# ---------------------------------------------------------------------------
# attention: timer interrupts and host breakpoints landing inside blocks

def tick_trace(p, blocks, period, budget):
    m = p.kw(blocks)
    m.set_timer(period, 0x20)
    trace = []
    total = 0
    while total < 200000:
        r = m.run(budget)
        total += max(r.instructions, 1)
        if r.exception is not None:
            trace.append((r.exception.vector, m.get_reg("eip"), m.instructions, m.cycles,
                          tuple(m.get_reg(n) for n in U.GPRS), m.get_reg("eflags")))
            if r.exception.vector != 0x20:
                break
    return trace, m.read(DATA_BASE, WINDOW), m.core.block_instructions


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(4, 24), loops=st.integers(2, 12),
       period=st.integers(37, 3000))
def test_timer_interrupts_land_on_the_same_boundary(seed, n, loops, period):
    p = make_prog(seed, n, loops, defined_only=False, cpl=3)
    ref = tick_trace(p, False, period, 10**6)
    assert ref[0][-1][0] in (3, 0) and ref[2] == 0
    for budget in (10**6, random.Random(seed).choice([1, 5, 11])):
        got = tick_trace(p, True, period, budget)
        assert got[0] == ref[0], budget
        assert got[1] == ref[1], first_diff(got[1], ref[1])


def insn_starts(code, at):
    from kw86.decoder import decode
    out, off = [], 0
    while off < len(code):
        i = decode(code[off:off + 15], bits=32)
        out.append(at + off)
        off += max(i.length, 1)
    return out


def bp_trace(p, blocks, bps, budget):
    m = p.kw(blocks)
    for a in bps:
        m.add_breakpoint(CODE_BASE + a)
    trace, total = [], 0
    while total < 200000:
        r = m.run(budget)
        total += max(r.instructions, 1)
        if r.event == "breakpoint" or r.exception is not None:
            trace.append((r.event, m.get_reg("eip"), m.instructions, m.cycles,
                          tuple(m.get_reg(n) for n in U.GPRS), m.get_reg("eflags")))
            if r.exception is not None:
                break
    return trace, m.read(DATA_BASE, WINDOW)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(4, 20), loops=st.integers(2, 8),
       nbp=st.integers(1, 3))
def test_host_breakpoints_inside_blocks(seed, n, loops, nbp):
    p = make_prog(seed, n, loops, defined_only=False, cpl=3)
    rng = random.Random(seed)
    bps = rng.sample(insn_starts(p.code, p.at)[1:], min(nbp, 3))
    # (a run that starts at a breakpoint resumes through it: Machine.run, so
    # each budget is compared with the per-instruction path at that budget)
    for budget in (10**6, rng.choice([1, 4, 9])):
        ref = bp_trace(p, False, bps, budget)
        assert bp_trace(p, True, bps, budget) == ref, budget


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(4, 20), loops=st.integers(2, 12),
       when=st.integers(1, 400), patches=st.integers(1, 4))
def test_host_writes_code_between_runs(seed, n, loops, when, patches):
    """The host patches code bytes of a program that has run (blocks built):
    both modes see the new bytes from the next instruction on."""
    p = make_prog(seed, n, loops, defined_only=False, cpl=3)
    rng = random.Random(seed ^ 77)
    edits = [(rng.randrange(len(p.code) - 1), rng.randrange(256)) for _ in range(patches)]
    out = []
    for blocks in (False, True):
        m = p.kw(blocks)
        exc = None
        r = m.run(when)
        if r.exception is None:
            for off, v in edits:
                m.write(CODE_BASE + p.at + off, bytes([v]))
            exc = run_chunks(m, 10**6, limit=50000, must_end=False)
        else:
            exc = r.exception
        s = kw_state(m, exc)
        s["mem"] = m.read(DATA_BASE, WINDOW)
        out.append(s)
    s = out[1]
    s["extra"] = out[0]["extra"] = None
    same(s, out[0], "host patch")


# ---------------------------------------------------------------------------
# a CPL 3 code segment limit below 4 GiB: a branch to a target beyond it is
# #GP(0) at the branch (SDM Vol. 2 JMP/Jcc/CALL/RET: "#GP(0) if the target
# operand is beyond the code segment limits"), with nothing pushed or popped

LEAD = (b"\x29\xd8"          # sub eax, ebx
        b"\x01\xd3"          # add ebx, edx
        b"\x43"              # inc ebx
        b"\x89\xc6"          # mov esi, eax
        b"\x83\xc2\x07")     # add edx, 7


def branch_to(form, here, target):
    """Bytes of a branch at CS offset `here` to `target` (ebp holds target
    for the register and memory forms; [edi] holds it too)."""
    rel = lambda n: struct.pack("<I", (target - (here + n)) & 0xFFFFFFFF)
    if form == "jmp":
        return b"\xe9" + rel(5)
    if form == "jmp8" and -128 <= target - (here + 2) < 128:
        return b"\xeb" + struct.pack("<b", target - (here + 2))
    if form == "jmp8":
        return b"\xe9" + rel(5)
    if form == "jcc_sub":
        return b"\x39\xc0\x0f\x84" + rel(8)          # cmp eax,eax; je
    if form == "jcc_logic":
        return b"\x85\xc0\x0f\x85" + rel(8)          # test eax,eax; jne
    if form == "jcc_add":
        return b"\x01\xc0\x0f\x83" + rel(8)          # add eax,eax; jae
    if form == "jcc_dec":
        return b"\x4a\x0f\x85" + rel(7)              # dec edx; jne
    if form == "jcc_plain":
        return b"\x89\xc1\x0f\x81" + rel(8)          # mov ecx,eax; jno
    if form == "call":
        return b"\xe8" + rel(5)
    if form == "call_r":
        return b"\xff\xd5"
    if form == "jmp_r":
        return b"\xff\xe5"
    if form == "call_m":
        return b"\xff\x17"
    if form == "jmp_m":
        return b"\xff\x27"
    if form == "ret":
        return b"\x55\xc3"                                                            # push ebp; ret
    raise ValueError(form)


BRANCH_FORMS = ["jmp", "jmp8", "jcc_sub", "jcc_logic", "jcc_add", "jcc_dec", "jcc_plain", "call",
                "call_r", "jmp_r", "call_m", "jmp_m", "ret"]


def cs_limit_machine(code, at, cs_base, limit, blocks, regs):
    cpu = kw_cpu(3)
    m = cpu.machine
    m.set_segment("cs", 0x1B, cs_base, limit, big=True, dpl=3, type=0xB)
    m.write(cs_base + at, code)
    for n, v in regs.items():
        m.set_reg(n, v)
    m.set_reg("eip", at)
    m.core.set_blocks(blocks)
    return m


@pytest.mark.parametrize("cs_base", [CODE_BASE, CODE_BASE + 0x123])
@pytest.mark.parametrize("limit,beyond", [(0x1FFF, 0x2000), (0x2345, 0x2346), (0x2345, 0x7FFFFFFF),
                                          (0x2FFF, 0xFFFFFFF0)])
@pytest.mark.parametrize("form", BRANCH_FORMS)
def test_branch_beyond_a_user_cs_limit(form, limit, beyond, cs_base):
    at = 0x1000
    regs = {"eax": 0x80000001, "ebx": 0x7FFFFFFF, "edx": 2, "ebp": beyond, "edi": DATA_BASE,
            "esp": DATA_BASE + STACK_OFF}
    # a loop whose branch goes inside the limit first (ebp, [edi], the jcc
    # not taken) and beyond it on the last iteration: the block holding the
    # branch is built and run before the faulting pass
    here = at + len(LEAD)
    br = branch_to(form, here, beyond)
    code = LEAD + br + b"\xcc"
    m = None
    results = []
    for blocks in (False, True):
        for budget in (10**6, 1, 3):
            m = cs_limit_machine(code, at, cs_base, limit, blocks, regs)
            m.write(DATA_BASE, struct.pack("<I", beyond))
            stack_before = m.read(DATA_BASE + STACK_OFF - 64, 128)
            exc = run_chunks(m, budget)
            s = kw_state(m, exc)
            s["stack"] = m.read(DATA_BASE + STACK_OFF - 64, 128)
            results.append(s)
            if blocks and budget == 10**6:
                assert m.core.block_instructions >= 4
    ref = results[0]
    for s in results[1:]:
        for key in ("exc", "regs", "eip", "eflags", "insns", "cycles", "stack"):
            assert s[key] == ref[key], key
    # the manual: #GP(0) at the branch, ESP and the stack as before it
    assert ref["exc"] == (13, 0, None)
    branch_at = here + (len(br) - (2 if form in ("call_r", "jmp_r", "call_m", "jmp_m") else
                                   1 if form == "ret" else
                                   6 if form.startswith("jcc") else len(br)))
    assert ref["eip"] == branch_at, (hex(ref["eip"]), hex(branch_at))
    want_esp = DATA_BASE + STACK_OFF - (4 if form == "ret" else 0)
    assert ref["regs"][4] == want_esp
    if form != "ret":
        assert ref["stack"] == stack_before


@pytest.mark.parametrize("cs_base", [CODE_BASE, CODE_BASE + 0x123])
@pytest.mark.parametrize("form", ["jcc_sub", "jcc_dec", "jmp_r", "ret", "call_m"])
def test_branch_beyond_the_limit_after_a_built_block_looped(form, cs_base):
    """The branch's block ran many times with targets inside the limit
    before the pass that leaves it."""
    at, limit = 0x1000, 0x1FFF
    # top: LEAD; <branch to ebp / [edi] / jcc>; mov ebp, esi... the inside
    # target is `inside`, which loops back to top while ecx > 0 and then
    # points ebp and [edi] beyond the limit
    inside = 0x1800
    top = at
    body = LEAD
    here = top + len(body)
    if form == "jcc_sub":
        br = b"\x39\xf9\x0f\x84" + struct.pack("<i", 0 - 0)       # cmp ecx, edi; je target (patched)
    elif form == "jcc_dec":
        br = b"\x49\x0f\x84" + struct.pack("<i", 0)                # dec ecx; je target (patched)
    else:
        br = branch_to(form, here, 0)
    code = bytearray(body + br + b"\xeb\xfe")                       # (never reached: jmp $)
    if form in ("jcc_sub", "jcc_dec"):
        # the jcc is taken only when ecx hits its value: target beyond the limit
        n = len(br)
        code[len(body) + n - 4:len(body) + n] = struct.pack("<i", 0x2000 - (here + n))
    # inside: (for the register/memory/ret forms) count down, then set the
    # target beyond the limit; loop back to top
    tail = (b"\x49"                          # dec ecx
            b"\x75\x08"                      # jnz +8 -> back
            b"\xbd\x00\x20\x00\x00"          # mov ebp, 0x2000
            b"\x89\x2f"                      # mov [edi], ebp
            b"\x90"
            b"\xe9" + struct.pack("<i", top - (inside + 16)))   # back: jmp top
    regs = {"eax": 5, "ebx": 7, "edx": 9, "ecx": 40, "ebp": inside, "edi": DATA_BASE,
            "esp": DATA_BASE + STACK_OFF}
    if form == "jcc_sub":
        regs["edi"] = 0          # cmp ecx, edi: equal when ecx reaches 0
        regs["ecx"] = 40
    results = []
    for blocks in (False, True):
        for budget in (10**6, 1, 7):
            m = cs_limit_machine(bytes(code), at, cs_base, limit, blocks, regs)
            m.write(cs_base + inside, tail)
            m.write(DATA_BASE, struct.pack("<I", inside))
            if form == "jcc_sub":
                # no register/memory target: the loop tail lives at `inside`
                # and the fall-through of the jcc jumps there
                m.write(cs_base + here + len(br), b"\xe9" + struct.pack("<i", inside - (here + len(br) + 5)))
            if form == "jcc_dec":
                m.write(cs_base + here + len(br), b"\xe9" + struct.pack("<i", inside + 3 - (here + len(br) + 5)))
            exc = run_chunks(m, budget)
            s = kw_state(m, exc)
            results.append(s)
            if blocks and budget == 10**6:
                assert m.core.block_instructions > 100
    ref = results[0]
    for s in results[1:]:
        for key in ("exc", "regs", "eip", "eflags", "insns", "cycles"):
            assert s[key] == ref[key], key
    assert ref["exc"] == (13, 0, None)
    assert ref["insns"] > 200


@pytest.mark.parametrize("limit", [0x2002, 0x2003, 0x2005, 0x2FFF])
def test_straight_line_code_running_into_the_cs_limit(limit):
    """Code running off the end of the segment: #GP(0) at the first
    instruction that does not lie wholly within the limit."""
    at = 0x1F00
    code = bytearray()
    while at + len(code) + 2 <= 0x2000 - 5:
        code += b"\x01\xd8"                        # add eax, ebx
    code += b"\x90" * (0x2000 - 5 - at - len(code)) + b"\xb9\x01\x00\x00\x00"   # mov ecx, 1
    # from 0x2000: nops and a 3-byte add up to beyond the limit
    code += b"\x90\x90\x83\xc0\x05" + b"\x90" * 0x1100
    ref = None
    for blocks in (False, True):
        for budget in (10**6, 1, 5):
            m = cs_limit_machine(bytes(code), at, CODE_BASE, limit, blocks,
                                 {"eax": 1, "ebx": 3, "esp": DATA_BASE + STACK_OFF})
            exc = run_chunks(m, budget)
            s = kw_state(m, exc)
            ref = ref or s
            assert s == ref, (blocks, budget)
    assert code[0x2000 - at - 5] == 0xB9
    insn_ends = [0x2001, 0x2002, 0x2005] + list(range(0x2006, 0x3100))
    starts = {0x2001: 0x2000, 0x2002: 0x2001, 0x2005: 0x2002}
    first_bad = next(starts.get(e, e - 1) for e in insn_ends if e - 1 > limit)
    assert ref["exc"] == (13, 0, None) and ref["eip"] == first_bad, hex(ref["eip"])


# ---------------------------------------------------------------------------
# #PF inside a block on a page-split access (CPL 3, paging; kw86.testing's
# system: page 0x50000 supervisor, 0x51000 user read-only, and here 0x53000
# not present): the fault is reported for the instruction, with CR2 the
# first faulting byte's linear address (SDM Vol. 3A §4.7: CR2 holds the
# linear address that caused the fault), U/S = 1, W/R as the access, P as
# the page; nothing is written, the instruction's registers are unchanged

SPLIT_ACCESSES = {
    # name: (bytes, size, kind, how the address is set: "edi" or "esp")
    "st32": (b"\x89\x07", 4, "w", "edi"),
    "ld32": (b"\x8b\x07", 4, "r", "edi"),
    "add_mr": (b"\x01\x07", 4, "rmw", "edi"),
    "add_rm": (b"\x03\x07", 4, "r", "edi"),
    "cmp_mi": (b"\x81\x3f\x44\x33\x22\x11", 4, "r", "edi"),
    "mov_mi": (b"\xc7\x07\x44\x33\x22\x11", 4, "w", "edi"),
    "inc_m": (b"\xff\x07", 4, "rmw", "edi"),
    "movzx16": (b"\x0f\xb7\x07", 2, "r", "edi"),
    "push_m": (b"\xff\x37", 4, "r", "edi"),
    "adc_mr": (b"\x11\x07", 4, "rmw", "edi"),
    "xchg_mr": (b"\x87\x07", 4, "rmw", "edi"),
    "lock_xadd": (b"\xf0\x0f\xc1\x07", 4, "rmw", "edi"),
    "lock_cmpxchg": (b"\xf0\x0f\xb1\x07", 4, "rmw", "edi"),
    "div_m": (b"\xf7\x37", 4, "r", "edi"),
    "push": (b"\x50", 4, "w", "esp"),
    "call": (b"\xe8\x00\x00\x00\x00", 4, "w", "esp"),
    "pop": (b"\x58", 4, "r", "esp"),
    "ret": (b"\xc3", 4, "r", "esp"),
    "leave": (b"\xc9", 4, "r", "ebp"),
}

# boundary: (first page's PTE flags, second page's)
BOUNDARIES = {0x50000: (7, 3), 0x51000: (3, 5), 0x52000: (5, 7), 0x53000: (7, 0)}


def split_system(code, regs, blocks):
    m = make_system(cpl=3, paging=True)
    m.intercept = {0, 3, 13, 14}
    m.write(PT0 + 4 * 0x53, b"\0\0\0\0")               # 0x53000 not present
    m.write(UTEXT, code)
    m.write(0x4F000, bytes(range(256)) * 16)
    m.write(0x50000, bytes(range(255, -1, -1)) * 16 * 3)
    for k, v in regs.items():
        m.set_reg(k, v)
    m.core.set_blocks(blocks)
    return m


def expected_fault(boundary, k, size, kind):
    """(error code bits we can name, CR2) or None if the access is fine."""
    lo, hi = BOUNDARIES[boundary]
    a = boundary - k
    pages = [(a, lo), (boundary, hi)] if k < size else [(a, lo)]
    for addr, fl in pages:
        if not fl & 1:
            return (0 | (2 if kind == "w" else 0) | 4, addr, kind == "rmw")
        if not fl & 4:
            return (1 | (2 if kind == "w" else 0) | 4, addr, kind == "rmw")
    if kind in ("w", "rmw"):
        for addr, fl in pages:
            if not fl & 2:
                return (7, addr, False)
    return None


@pytest.mark.parametrize("boundary", sorted(BOUNDARIES))
@pytest.mark.parametrize("k", [1, 3])
@pytest.mark.parametrize("name", sorted(SPLIT_ACCESSES))
def test_page_split_fault_inside_a_block(name, k, boundary):
    insn, size, kind, how = SPLIT_ACCESSES[name]
    if k >= size:
        k = size - 1
    code = LEAD + insn + b"\x21\xc0\x31\xd2\xcc"          # ... and eax, eax; xor edx, edx; int3
    regs = {"eax": 0x80000001, "ebx": 0x7FFFFFFF, "edx": 0xFFFFFFF9, "edi": boundary - k,
            "esp": USTACK, "ebp": USTACK}
    if how == "esp":
        # push/call write [esp-4, esp); pop/ret read [esp, esp+4)
        regs["esp"] = boundary - k + (4 if kind == "w" else 0)
    if how == "ebp":
        regs["ebp"] = boundary - k
    results = []
    for blocks in (False, True):
        for budget in (10**6, 1, 4):
            m = split_system(code, regs, blocks)
            before = m.read(boundary - 0x10, 0x20)
            exc = run_chunks(m, budget)
            s = kw_state(m, exc)
            s["mem"] = m.read(boundary - 0x10, 0x20)
            s["cr2"] = m.get_cr(2)
            results.append(s)
            if blocks and budget == 10**6:
                assert m.core.block_instructions >= 4        # LEAD ran in a block
    ref = results[0]
    for s in results[1:]:
        assert s == ref
    want = expected_fault(boundary, k, size, kind)
    fault_eip = UTEXT + len(LEAD)
    if want is None:
        # (ret: to what it popped; div: by what it read)
        assert ref["exc"][0] == 3 or name == "ret" or (name == "div_m" and ref["exc"][0] == 0)
        return
    err, cr2, w_unknown = want
    assert ref["exc"][0] == 14 and ref["eip"] == fault_eip, (ref["exc"], hex(ref["eip"]))
    got_err = ref["exc"][1]
    assert (got_err & ~2 if w_unknown else got_err) == (err & ~2 if w_unknown else err), hex(got_err)
    assert ref["exc"][2] == cr2 == ref["cr2"], (hex(ref["exc"][2]), hex(cr2))
    assert ref["mem"] == before                           # nothing written
    # the instructions before it ran (sub, add, inc, mov, add), it did not
    r = ref["regs"]
    assert r[U.GPRS.index("eax")] == (0x80000001 - 0x7FFFFFFF) & 0xFFFFFFFF
    assert r[U.GPRS.index("edx")] == (0xFFFFFFF9 + 7) & 0xFFFFFFFF
    assert r[U.GPRS.index("esp")] == regs["esp"]


# ---------------------------------------------------------------------------
# self-modifying code: a store (inline form, handler, stack, string op)
# into the immediate of a `mov eax, imm32` that lies in the same block,
# the next block, the block the loop chains back to, the next instruction,
# or a block in another page; against Unicorn and the per-instruction path

def smc_store(kind, target):
    """Bytes that write something that changes each iteration (ecx counts
    down) into the dword at CS offset target (linear CODE_BASE + target)."""
    lin = CODE_BASE + target
    a = struct.pack("<I", lin)
    return {
        "mov_mr": b"\x89\x0d" + a,                       # mov [lin], ecx
        "mov_mr8": b"\x88\x0d" + a,                      # mov [lin], cl
        "add_mr": b"\x01\x0d" + a,                       # add [lin], ecx
        "inc_m": b"\xff\x05" + a,                        # inc dword [lin]
        "mov_mi": b"\xc7\x05" + a + b"\x11\x22\x33\x44",  # mov dword [lin], imm32
        "adc_mr": b"\xf8\x11\x0d" + a,                   # clc; adc [lin], ecx (a handler in the block)
        "xchg_mr": b"\x89\xca\x87\x15" + a,              # mov edx, ecx; xchg [lin], edx
        "push": b"\x89\xe5\xbc" + struct.pack("<I", lin + 4) + b"\x51\x89\xec",  # esp -> lin+4; push ecx
        "stosd": b"\x50\x89\xc8\xbf" + a + b"\xab\x58",  # push eax; mov eax, ecx; mov edi, lin; stosd; pop eax
        "lock_xadd": b"\x89\xca\xf0\x0f\xc1\x15" + a,     # mov edx, ecx; lock xadd [lin], edx
        "lock_cmpxchg": b"\xa1" + a + b"\xf0\x0f\xb1\x0d" + a,   # mov eax, [lin]; lock cmpxchg [lin], ecx
        "setcc_m8": b"\x83\xf9\x03\x0f\x9c\x05" + a,      # cmp ecx, 3; setl byte [lin]
    }[kind]


SMC_KINDS = ["mov_mr", "mov_mr8", "add_mr", "inc_m", "mov_mi", "adc_mr", "xchg_mr", "push", "stosd",
             "lock_xadd", "lock_cmpxchg", "setcc_m8"]
MOV_EAX = b"\xb8\x05\x00\x00\x00"                        # mov eax, 5
USE = b"\x01\xc3"                                        # add ebx, eax


def smc_program(where, kind, at):
    """mov ecx, 6; top: ... dec ecx; jnz top; int3 (offsets from `at`)."""
    head = b"\xb9\x06\x00\x00\x00"
    top = at + len(head)
    fill = b"\x01\xf6\x8d\x76\x01"                       # add esi, esi; lea esi, [esi+1]
    st_len = len(smc_store(kind, 0))
    if where == "same_block":
        # top: store; fill; mov eax, imm; add ebx, eax; dec; jnz
        mov_at = top + st_len + len(fill)
        body = smc_store(kind, mov_at + 1) + fill + MOV_EAX + USE
    elif where == "next_insn":
        mov_at = top + st_len
        body = smc_store(kind, mov_at + 1) + MOV_EAX + USE
    elif where == "next_block":
        # top: store; jmp L; int3 x3; L: mov eax, imm; add ebx, eax
        mov_at = top + st_len + 2 + 3
        body = smc_store(kind, mov_at + 1) + b"\xeb\x03" + b"\xcc" * 3 + MOV_EAX + USE
    elif where == "chained":
        # top: mov eax, imm; add ebx, eax; fill; store (into the mov at top)
        mov_at = top
        body = MOV_EAX + USE + fill + smc_store(kind, mov_at + 1)
    elif where == "other_page":
        # the mov lies in the next page: top: store; jmp far ahead; ... ;
        # P: mov eax, imm; add ebx, eax; jmp back
        page_end = (top + 0x1000) & ~0xFFF
        mov_at = page_end + 0x10
        body_a = smc_store(kind, mov_at + 1)
        jmp_at = top + len(body_a)
        back_at = jmp_at + 5
        body = body_a + b"\xe9" + struct.pack("<i", mov_at - back_at)
        # `back` continues with dec ecx; jnz top (appended below)
        code = head + body + b"\x49\x0f\x85" + struct.pack("<i", top - (back_at + 7)) + b"\xcc"
        far = MOV_EAX + USE + b"\xe9" + struct.pack("<i", back_at - (mov_at + 12))
        code = code + b"\x90" * (mov_at - at - len(code)) + far
        return code, mov_at
    else:
        raise ValueError(where)
    tail_at = top + len(body)
    code = head + body + b"\x49\x0f\x85" + struct.pack("<i", top - (tail_at + 7)) + b"\xcc"
    return code, mov_at


SMC_WHERE = ["same_block", "next_insn", "next_block", "chained", "other_page"]


@pytest.mark.parametrize("at", [0x1000, 0x1FE0])
@pytest.mark.parametrize("where", SMC_WHERE)
@pytest.mark.parametrize("kind", SMC_KINDS)
def test_self_modifying_code(kind, where, at):
    code, mov_at = smc_program(where, kind, at)
    regs = [0] * 8
    regs[G.ESP] = DATA_BASE + STACK_OFF
    regs[G.ESI] = 3
    p = Prog(code, at, regs, 0x202, bytes(WINDOW), cpl=3)
    ref = check_blocks_vs_interpreter(p, (10**6, 1, 2, 5))
    assert p.run_kw(True, 10**6)["blk"] > 0
    u = p.run_uc(step=False)
    assert u["vector"] == 3
    assert ref["regs"] == u["regs"], ([hex(x) for x in ref["regs"]], [hex(x) for x in u["regs"]])
    # the stores did change what ran: not six times 5
    assert ref["regs"][G.EBX] != 6 * 5


def test_self_modifying_code_through_an_alias_page():
    """The code page is also mapped at another linear page, written through
    it before the code ran (a TLB entry with write permission for the
    physical page exists), then from inside the loop: every iteration must
    see the new immediate."""
    alias = 0x60000
    at = 0x400
    code, mov_at = smc_program("chained", "mov_mr", 0)
    # the store's address: the alias of the mov's immediate
    code = code.replace(struct.pack("<I", CODE_BASE + mov_at + 1), struct.pack("<I", alias + at + mov_at + 1))
    results = []
    for blocks in (False, True):
        for budget in (10**6, 1, 3):
            m = make_system(cpl=3, paging=True)
            m.write(PT0 + 4 * (alias >> 12), struct.pack("<I", UTEXT | 7))
            m.write(UTEXT + at, code)
            m.set_reg("eip", UTEXT + at)
            m.set_reg("esp", USTACK)
            for n in ("eax", "ebx", "ecx", "edx", "esi", "edi", "ebp"):
                m.set_reg(n, 0)
            m.core.set_blocks(blocks)
            # a first write through the alias (TLB entry with a write tag)
            m.write_virt(alias + 0xF00, b"\x90", user=True)
            exc = run_chunks(m, budget)
            results.append(kw_state(m, exc))
    ref = results[0]
    for s in results[1:]:
        assert s == ref
    # as the same program without the alias (its flat result, by Unicorn)
    code0, _ = smc_program("chained", "mov_mr", 0x1000)
    regs = [0] * 8
    regs[G.ESP] = DATA_BASE + STACK_OFF
    u = Prog(code0, 0x1000, regs, 0x202, bytes(WINDOW)).run_uc(step=False)
    assert ref["regs"][G.EBX] == u["regs"][G.EBX] != 30


# ---------------------------------------------------------------------------
# segment register loads between blocks (CPL 3): ES/DS/FS/GS switch between
# a flat selector and based / limited / expand-down / read-only ones

EXTRA_SEGS = {      # selector: (base, limit, type)
    0x5B: (0x800, 0xFFFFFFFF, 3),
    0x63: (0, 0x104FFF, 3),                  # base 0, page-granular limit: still flat
    0x6B: (0, 0x100FFF, 7),                  # expand-down: offsets above 0x100FFF
    0x73: (0, 0xFFFFFFFF, 1),                # read-only
    0x7B: (0x10, 0xFFFFFFFF, 3),
}


def seg_units():
    def load(rng):
        sel = rng.choice([0x23, 0x23] + sorted(EXTRA_SEGS))
        sreg = rng.choice([0, 3, 4, 5])      # es ds fs gs
        if rng.random() < 0.5:               # push eax; mov eax, sel; mov sreg, eax; pop eax
            return (b"\x50\xb8" + struct.pack("<I", sel) + bytes([0x8e, 0xc0 | (sreg << 3)]) + b"\x58")
        # push sel; pop sreg (es ds: 07 1f; fs gs: 0f a1 / 0f a9)
        pop = {0: b"\x07", 3: b"\x1f", 4: b"\x0f\xa1", 5: b"\x0f\xa9"}[sreg]
        return b"\x6a" + bytes([sel]) + pop
    return [load]


def seg_setup(m):
    gdt_base, limit = m.gdtr
    gdt = bytearray(m.read(gdt_base, limit + 1))
    gdt += bytes(8 * (0x80 // 8) - len(gdt))
    for sel, (base, lim, typ) in EXTRA_SEGS.items():
        gdt[sel & ~7:(sel & ~7) + 8] = desc(base, lim, typ | 1, 3)
    m.write(gdt_base, bytes(gdt))
    m.set_gdt(gdt_base, len(gdt) - 1)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 24), loops=st.integers(1, 10))
def test_segment_loads_between_blocks(seed, n, loops):
    p = make_prog(seed, n, loops, defined_only=False, cpl=3, extra=seg_units(), extra_p=0.15)
    p.setup = seg_setup
    p.extra = lambda m: tuple(m.get_segment(s) for s in ("ds", "es", "fs", "gs"))
    ref = check_blocks_vs_interpreter(p, (10**6, 1, random.Random(seed).choice([2, 3, 7])),
                                      faults=True)
    assert ref["exc"][0] in (3, 13, 0), ref["exc"]


# ---------------------------------------------------------------------------
# a code page remapped (its PTE changed, TLB flushed) while its blocks are
# built: the linear page now holds other code, nothing was written to it

@pytest.mark.parametrize("change", ["remap", "notpresent"])
@pytest.mark.parametrize("flush", ["cr3", "invlpg"])
@pytest.mark.parametrize("budget", [10**6, 1, 5])
def test_code_page_remapped_under_its_blocks(flush, budget, change):
    # linear page B (0x43000) maps physical 0x80000 (code "add ebx, 1") first,
    # then physical 0x81000 (code "add ebx, 100"), or nothing (not present:
    # the next call's target fetch is #PF(0) with CR2 = B, EIP = B, the call
    # done); page A loops, calls into B, and after 5 calls changes B's PTE
    A, B = 0x42000, 0x43000
    PA, PB1, PB2 = 0x42000, 0x80000, 0x81000
    inv = (b"\x0f\x20\xda\x0f\x22\xda" if flush == "cr3"          # mov edx, cr3; mov cr3, edx
           else b"\x0f\x01\x3d" + struct.pack("<I", B))         # invlpg [B]
    top = A + 5
    head = (b"\xb9\x0a\x00\x00\x00"                           # mov ecx, 10
            + b"\xe8" + struct.pack("<i", B - (top + 5))       # top: call B
            + b"\x83\xf9\x06")                                 # cmp ecx, 6
    pte = PB2 | 7 if change == "remap" else 0
    remap = (b"\xc7\x05" + struct.pack("<I", pte_addr(B)) + struct.pack("<I", pte)  # PTE(B) = PB2 / 0
             + inv)
    code_a = head + b"\x75" + bytes([len(remap)]) + remap       # jne skip; remap
    skip = A + len(code_a)
    code_a += b"\x49\x75" + struct.pack("<b", top - (skip + 3)) + b"\xcc"   # skip: dec ecx; jnz top
    body = lambda k: b"\x83\xc3" + bytes([k]) + b"\x01\xc3\x43\xc3"   # add ebx, k; add ebx, eax; inc ebx; ret
    results = []
    for blocks in (False, True):
        cpu = kw_cpu(0)
        m = cpu.machine
        m.set_segment("cs", 0x08, 0, 0xFFFFFFFF, big=True, dpl=0, type=0xB)
        paging_setup({})(m)
        m.write(pte_addr(B), struct.pack("<I", PB1 | 7))
        m.write(PA, code_a)
        m.write(PB1, body(1))
        m.write(PB2, body(100))
        m.set_reg("eip", A)
        m.set_reg("esp", DATA_BASE + STACK_OFF)
        m.set_reg("eax", 0)
        m.set_reg("ebx", 0)
        m.core.set_blocks(blocks)
        m.intercept = set(range(32))
        exc = run_chunks(m, budget)
        results.append(kw_state(m, exc))
        if blocks and budget == 10**6:
            assert m.core.block_instructions > 20
    assert results[0] == results[1]
    if change == "notpresent":
        assert results[0]["exc"] == (14, 0, B) and results[0]["eip"] == B
        assert results[0]["regs"][G.EBX] == 5 * 2
        assert results[0]["regs"][G.ESP] == DATA_BASE + STACK_OFF - 4
        return
    assert results[0]["exc"][0] == 3
    # five calls before the remap (ecx 10..6), five after it (ecx 5..1)
    assert results[0]["regs"][G.EBX] == 5 * 2 + 5 * 101


# ---------------------------------------------------------------------------
# debug registers and single-step (SDM Vol. 3B §17.3): instruction
# breakpoints fault before an instruction inside a block, data breakpoints
# trap after the instruction that touched the watched bytes, TF traps after
# each instruction; a debugger resumes (RF for an instruction breakpoint)

def tf_units():
    on = lambda rng: b"\x9c\x81\x0c\x24\x00\x01\x00\x00\x9d"            # pushfd; or [esp], TF; popfd
    off = lambda rng: b"\x9c\x81\x24\x24\xff\xfe\xff\xff\x9d"           # pushfd; and [esp], ~TF; popfd
    return [on, off, off]


def db_trace(p, blocks, drs, budget, limit=40000):
    m = p.kw(blocks)
    for n, v in drs.items():
        m.set_reg(n, v)
    trace, total = [], 0
    while total < limit:
        r = m.run(min(budget, limit - total))
        total += max(r.instructions, 1)
        e = r.exception
        if e is None:
            continue
        dr6 = m.get_reg("dr6")
        trace.append((e.vector, e.error_code, m.get_reg("eip"), m.instructions, m.cycles,
                      tuple(m.get_reg(n) for n in U.GPRS), m.get_reg("eflags"), dr6))
        if e.vector != 1:
            break
        if dr6 & 0xF:
            hit = [k for k in range(4) if dr6 >> k & 1]
            if any((drs.get("dr7", 0) >> (16 + 4 * k)) & 3 == 0 for k in hit):
                m.set_reg("eflags", m.get_reg("eflags") | 0x10000)    # RF: resume the instruction
        m.set_reg("dr6", 0xFFFF0FF0)
    return trace, m.read(DATA_BASE, WINDOW)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 20), loops=st.integers(1, 8),
       kinds=st.lists(st.sampled_from([0, 1, 3]), min_size=0, max_size=4), tf=st.booleans())
def test_debug_breakpoints_and_single_step_inside_blocks(seed, n, loops, kinds, tf):
    p = make_prog(seed, n, loops, defined_only=False, cpl=3,
                  extra=tf_units() if tf else (), extra_p=0.06)
    rng = random.Random(seed ^ 0xDB)
    starts = insn_starts(p.code, p.at)
    drs, dr7 = {}, 0x400
    for k, rw in enumerate(kinds):
        if rw == 0:
            drs[f"dr{k}"] = CODE_BASE + rng.choice(starts)
            ln = 0
        else:
            ln = rng.choice([0, 1, 3])
            where = rng.choice([p.regs[G.EDI] + rng.randrange(-16, 32), p.regs[G.ESP] - rng.randrange(1, 17),
                                p.regs[G.EDI] + rng.randrange(-64, 0x200)])
            drs[f"dr{k}"] = where & ~ln
        dr7 |= (1 << (2 * k)) | (rw << (16 + 4 * k)) | (ln << (18 + 4 * k))
    drs["dr7"] = dr7
    for budget in (10**6, rng.choice([1, 3, 8])):
        ref = db_trace(p, False, drs, budget)
        got = db_trace(p, True, drs, budget)
        assert got[0] == ref[0], budget
        assert got[1] == ref[1], first_diff(got[1], ref[1])


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 20), loops=st.integers(1, 6),
       base=st.sampled_from([0x1000, 0x345, (-0x1800) & 0xFFFFFFFF]))
def test_based_data_segments_vs_unicorn(seed, n, loops, base):
    """DS, ES, FS, GS based at `base` (a GDT descriptor in both machines,
    selector 0x2B, DPL 3): the blocks leave every access to the ordinary
    path, and the result is Unicorn's."""
    p = make_prog(seed, n, loops, defined_only=True, cpl=3, ds_base=base)
    sel = 0x2B

    def setup(m):
        for s in ("ds", "es", "fs", "gs"):
            m.set_segment(s, sel, base, 0xFFFFFFFF, big=True, dpl=3, type=3)
    p.setup = setup
    ref = p.run_kw(True, 10**6)
    assert p.run_kw(False, 10**6) | {"blk": 0} == ref | {"blk": 0}
    # Unicorn: the same descriptor in its GDT (slot 0x28 is free there)
    uc = U.UcMachine(32, 3)
    uc.uc.mem_write(U.GDT + 0x28, desc(base, 0xFFFFFFFF, 0x3, 3))
    from unicorn.x86_const import UC_X86_REG_DS, UC_X86_REG_ES, UC_X86_REG_FS, UC_X86_REG_GS
    for r in (UC_X86_REG_DS, UC_X86_REG_ES, UC_X86_REG_FS, UC_X86_REG_GS):
        uc.uc.reg_write(r, sel)
    u = run_uc_on(p, uc)
    assert u["bad"] is None and u["vector"] == 3
    assert u["eip"] == ref["eip"] and u["regs"] == ref["regs"]
    assert (ref["eflags"] ^ u["eflags"]) & U.FLAG_BITS & ~u["undef"] == 0
    assert ref["mem"] == u["mem"], first_diff(ref["mem"], u["mem"])


# ---------------------------------------------------------------------------
# #GP(0) / #SS(0) inside a block from a data or stack segment limit (SDM
# Vol. 3A §5.3: every byte of the access must lie within the limit), and
# #GP(0) for a write through a read-only data segment (§5.4.1): the fault is
# reported for the instruction, nothing is written, ESP is unchanged

SEG_FAULTS = ["limit_flat", "limit_based", "readonly", "expdown", "limit_bytes"]


@pytest.mark.parametrize("k", [1, 3])
@pytest.mark.parametrize("case", SEG_FAULTS)
@pytest.mark.parametrize("name", sorted(SPLIT_ACCESSES))
def test_segment_fault_inside_a_block(name, case, k):
    insn, size, kind, how = SPLIT_ACCESSES[name]
    L = DATA_BASE + 0x2FFF                       # a page-granular limit
    base = 0x1000 if case == "limit_based" else 0
    if case == "limit_bytes":
        base, L = DATA_BASE + 0x11, 0x2345       # a byte-granular limit, based
    # the access starts k bytes before the end of the segment (expand-down:
    # k bytes above its lower bound, running below it: start = L + 1 - ...)
    if case == "expdown":
        start = L + 1 - (size - k) if k < size else L + 1
    else:
        start = L + 1 - k
    code = LEAD + insn + b"\x21\xc0\x31\xd2\xcc"
    regs = {"eax": 0x80000001, "ebx": 0x7FFFFFFF, "edx": 0xFFFFFFF9, "edi": start,
            "esp": DATA_BASE + STACK_OFF, "ebp": DATA_BASE + STACK_OFF}
    seg = "ds"
    if how == "esp":
        seg = "ss"
        regs["esp"] = start + (4 if kind == "w" else 0)
    if how == "ebp":
        seg = "ss"
        regs["ebp"] = start
    typ = {"readonly": 1, "expdown": 7}.get(case, 3)
    limit = 0xFFFFFFFF if case == "readonly" else L
    if case == "readonly" and seg == "ss":
        return                                   # SS must be writable (a load would #GP)
    results = []
    for blocks in (False, True):
        for budget in (10**6, 1):
            cpu = kw_cpu(3)
            m = cpu.machine
            m.set_segment(seg, 0x23, base, limit, big=True, dpl=3, type=typ)
            m.write(CODE_BASE + 0x1000, code)
            m.write(DATA_BASE, random.Random(5).randbytes(WINDOW))
            for n, v in regs.items():
                m.set_reg(n, v)
            m.set_reg("eip", 0x1000)
            m.core.set_blocks(blocks)
            exc = run_chunks(m, budget)
            s = kw_state(m, exc)
            s["mem"] = m.read(DATA_BASE, WINDOW)
            results.append(s)
            if blocks and budget == 10**6:
                assert m.core.block_instructions >= 4        # LEAD ran in a block
    ref = results[0]
    for s in results[1:]:
        same(s | {"extra": None}, ref | {"extra": None}, "segment fault")
    # the manual
    first, last = start, start + size - 1
    if case == "expdown":
        bad = first <= L or last > 0xFFFFFFFF
    elif case == "readonly":
        bad = kind in ("w", "rmw")
    else:
        bad = last > L
    if not bad:
        assert ref["exc"][0] == 3 or name == "ret" or (name == "div_m" and ref["exc"][0] == 0)
        return
    vec = 12 if seg == "ss" else 13
    assert ref["exc"] == (vec, 0, None), ref["exc"]
    assert ref["eip"] == 0x1000 + len(LEAD)
    assert ref["regs"][G.ESP] == regs["esp"]
    assert ref["mem"] == random.Random(5).randbytes(WINDOW), "a faulting access wrote"


def cycle_trace(p, blocks, chunk, limit=3000):
    m = p.kw(blocks)
    trace = []
    for _ in range(limit):
        r = m.run(10**6, max_cycles=chunk)
        trace.append((r.event, m.get_reg("eip"), m.instructions, m.cycles))
        if r.exception is not None:
            break
    return trace, kw_state(m, None), m.read(DATA_BASE, WINDOW)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 24), loops=st.integers(1, 10),
       chunk=st.integers(1, 400), cpl=st.sampled_from([3, 0]))
def test_cycle_limited_runs_stop_at_the_same_boundaries(seed, n, loops, chunk, cpl):
    """Machine.run(max_cycles=...): a run ends at the first instruction
    boundary at or past its cycle limit, with blocks as without."""
    p = make_prog(seed, n, loops, defined_only=False, cpl=cpl)
    ref = cycle_trace(p, False, chunk)
    got = cycle_trace(p, True, chunk)
    assert got[0] == ref[0]
    assert got[1] == ref[1] and got[2] == ref[2]


@pytest.mark.parametrize("cs_base", [CODE_BASE, CODE_BASE + 0x123, CODE_BASE + 0xF80])
@pytest.mark.parametrize("limit", [0x2345, 0x2FFF, 0x3002, 0x3FFF])
@pytest.mark.parametrize("how", ["call_ret", "jmp", "jcc", "ret"])
def test_cross_page_branches_into_the_limit_page(how, limit, cs_base):
    """A loop in one page calls / jumps / returns into code in other pages
    (blocks may go on into the next page without run_loop) and finally runs
    straight into the CS limit: #GP(0) at the first instruction that does
    not end within it, the same state with blocks on and off."""
    at = 0x1100
    f = 0x2200                                       # the subroutine (another page)
    tail = 0x2330 if limit > 0x2400 else 0x2300      # straight-line code up to the limit
    pre = {"call_ret": b"\xe8" + struct.pack("<i", f - (at + 7 + 5)),
           "jmp": b"\xe9" + struct.pack("<i", f - (at + 7 + 5)),
           "jcc": b"\x39\xc0\x0f\x84" + struct.pack("<i", f - (at + 7 + 8)),     # cmp eax,eax; je f
           "ret": b"\x68" + struct.pack("<I", f) + b"\xc3"}[how]                # push f; ret
    # at: mov ecx, 20; top: add eax, ebx (2) ... 7 bytes to top
    head = b"\xb9\x14\x00\x00\x00" + b"\x01\xd8"
    top = at + 5
    back = at + len(head) + len(pre)                 # where f returns / jumps back to
    loop_tail = (b"\x49" + b"\x0f\x85" + struct.pack("<i", top - (back + 7))     # dec ecx; jnz top
                 + b"\xe9" + struct.pack("<i", tail - (back + 12)))             # jmp tail
    code_at = head + pre + loop_tail
    if how == "call_ret":
        body = b"\x83\xc3\x03\x43\x31\xd3\xc3"               # add ebx, 3; inc ebx; xor ebx, edx; ret
    else:
        body = b"\x83\xc3\x03\x43\x31\xd3" + b"\xe9" + struct.pack("<i", back - (f + 11))
    straight = b"\x01\xd8\x83\xc0\x01\x40\x90" * 0x420   # add eax, ebx; add eax, 1; inc eax; nop
    results = []
    for blocks in (False, True):
        for budget in (10**6, 3):
            m = cs_limit_machine(code_at, at, cs_base, limit, blocks,
                                 {"eax": 1, "ebx": 2, "edx": 0x55, "esp": DATA_BASE + STACK_OFF})
            m.write(cs_base + f, body)
            m.write(cs_base + tail, straight)
            exc = run_chunks(m, budget)
            s = kw_state(m, exc)
            results.append(s)
            if blocks and budget == 10**6:
                assert m.core.block_instructions > 60
    ref = results[0]
    for s in results[1:]:
        assert s == ref
    assert ref["exc"] == (13, 0, None)
    # the straight-line code's instructions start at tail + 7i + (0, 2, 5, 6)
    starts = [tail + 7 * i + d for i in range(0x420) for d in (0, 2, 5, 6)]
    ends = {0: 2, 2: 3, 5: 1, 6: 1}
    first_bad = next(a for a in starts if a + ends[(a - tail) % 7] - 1 > limit)
    assert ref["eip"] == first_bad, (hex(ref["eip"]), hex(first_bad))


@pytest.mark.parametrize("flush", ["cr3", "invlpg"])
@pytest.mark.parametrize("budget", [10**6, 1, 4])
def test_running_code_page_remapped_by_itself(flush, budget):
    """The loop's own page is remapped (PTE edit + flush) to another
    physical page holding the same code but for one immediate: the next
    instruction is fetched through the new translation."""
    A, PA1, PA2 = 0x42000, 0x82000, 0x83000
    inv = (b"\x0f\x20\xda\x0f\x22\xda" if flush == "cr3"
           else b"\x0f\x01\x3d" + struct.pack("<I", A))
    def code(k):
        remap = b"\xc7\x05" + struct.pack("<I", pte_addr(A)) + struct.pack("<I", PA2 | 7) + inv
        c = (b"\xb9\x0a\x00\x00\x00"                 # mov ecx, 10
             + b"\x83\xc3" + bytes([k])              # top: add ebx, k
             + b"\x01\xc6"                           # add esi, eax
             + b"\x83\xf9\x06"                       # cmp ecx, 6
             + b"\x75" + bytes([len(remap)]) + remap)   # jne skip; remap
        return c + b"\x49\x75" + struct.pack("<b", 5 - (len(c) + 3)) + b"\xcc"   # dec ecx; jnz top
    results = []
    for blocks in (False, True):
        cpu = kw_cpu(0)
        m = cpu.machine
        m.set_segment("cs", 0x08, 0, 0xFFFFFFFF, big=True, dpl=0, type=0xB)
        paging_setup({})(m)
        m.write(pte_addr(A), struct.pack("<I", PA1 | 7))
        m.write(PA1, code(1))
        m.write(PA2, code(100))
        m.set_reg("eip", A)
        m.set_reg("esp", DATA_BASE + STACK_OFF)
        for n in ("eax", "ebx", "esi"):
            m.set_reg(n, 0)
        m.core.set_blocks(blocks)
        exc = run_chunks(m, budget)
        results.append(kw_state(m, exc))
        if blocks and budget == 10**6:
            assert m.core.block_instructions > 20
    assert results[0] == results[1]
    assert results[0]["exc"][0] == 3
    assert results[0]["regs"][G.EBX] == 5 * 1 + 5 * 100


def ac_units():
    on = lambda rng: b"\x9c\x81\x0c\x24\x00\x00\x04\x00\x9d"            # pushfd; or [esp], AC; popfd
    off = lambda rng: b"\x9c\x81\x24\x24\xff\xff\xfb\xff\x9d"           # pushfd; and [esp], ~AC; popfd
    return [on, off]


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 24), loops=st.integers(1, 10),
       ac=st.booleans(), am=st.booleans(), cpl=st.sampled_from([3, 3, 0]))
def test_alignment_checks_inside_blocks(seed, n, loops, ac, am, cpl):
    """CR0.AM, EFLAGS.AC (set at the start or by popf in the program) and
    CPL 3: a misaligned access is #AC(0) (SDM Vol. 3A §6.15, vector 17)
    at the instruction, blocks on or off; at CPL 0 or without AM none."""
    p = make_prog(seed, n, loops, defined_only=False, cpl=cpl, extra=ac_units(), extra_p=0.08)
    if ac:
        p.eflags |= 0x40000

    def setup(m):
        if am:
            m.set_cr(0, m.get_cr(0) | 0x40000)
    p.setup = setup
    ref = check_blocks_vs_interpreter(p, (10**6, 1, random.Random(seed).choice([2, 5, 9])),
                                      faults=True)
    if ref["exc"][0] == 17:
        assert am and cpl == 3 and ref["exc"][1] == 0
    else:
        assert ref["exc"][0] in (3, 0), ref["exc"]


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 30), loops=st.integers(1, 12),
       cpl=st.sampled_from([3, 0]), flush=st.booleans())
def test_flag_dense_programs_with_stops_between_producers_and_consumers(seed, n, loops, cpl, flush):
    """Mostly flag producers and consumers (jcc, setcc, cmovcc, adc/sbb,
    inc/dec chains keeping CF, pushfd) with memory forms between them that
    stop a block when the TLB misses (paging; at CPL 0 the TLB is flushed
    now and then): the lazy flags must be in place at every stop."""
    pages = [DATA_BASE + k * 0x1000 for k in range(0, 8)]
    units0, _ = tlb_units(pages)
    p = make_prog(seed, n, loops, defined_only=False, cpl=cpl, flagdense=True,
                  extra=units0[:1] if (flush and cpl == 0) else (), extra_p=0.1)
    p.setup = paging_setup({})
    b = random.Random(seed).choice([2, 3, 4, 7, 11])
    check_blocks_vs_interpreter(p, (10**6, 1, b))
    if not flush:
        q = make_prog(seed, n, loops, defined_only=True, cpl=cpl, flagdense=True)
        check_vs_unicorn(q, q.run_kw(True, 10**6))


@pytest.mark.parametrize("split", range(0, 12))
def test_code_spanning_a_page_boundary_and_jcc_across_pages(split):
    """A loop whose body straddles a code page boundary at every offset of
    its instructions (one instruction split across the two pages), with a
    forward jcc from the first page into the second and the backward jnz
    from the second page to the first; against Unicorn and the
    per-instruction path, blocks running on both sides."""
    body = (b"\x01\xd8"                          # add eax, ebx
            b"\x83\xfa\x03"                      # cmp edx, 3
            b"\x0f\x84\x0c\x00\x00\x00"          # je +12 (over the next 12 bytes)
            + b"\xbe\x78\x56\x34\x12"              # mov esi, 0x12345678
            b"\x81\xc3\x11\x11\x00\x00"          # add ebx, 0x1111
            b"\x90"                              # nop
            b"\x69\xc0\x05\x00\x01\x00"          # imul eax, eax, 0x10005 (je lands here)
            b"\x31\xc2"                          # xor edx, eax
            b"\x83\xe2\x07")                     # and edx, 7
    head = b"\xb9\x40\x00\x00\x00"               # mov ecx, 64
    tail_at = len(head) + len(body)
    code = head + body + b"\x49\x0f\x85" + struct.pack("<i", len(head) - (tail_at + 7)) + b"\xcc"
    # place it so that the page boundary falls 3 * split bytes into the body
    at = 0x2000 - len(head) - split * 3
    regs = [0] * 8
    regs[G.EAX], regs[G.EBX], regs[G.EDX] = 3, 0x77, 1
    regs[G.ESP] = DATA_BASE + STACK_OFF
    p = Prog(code, at, regs, 0x202, bytes(WINDOW))
    ref = check_blocks_vs_interpreter(p, (10**6, 1, 3, 5))
    assert p.run_kw(True, 10**6)["blk"] > 64 * 3
    u = p.run_uc()
    assert u["vector"] == 3 and u["regs"] == ref["regs"] and u["eip"] == ref["eip"]
    assert (u["eflags"] ^ ref["eflags"]) & U.FLAG_BITS & ~u["undef"] == 0


# ---------------------------------------------------------------------------
# whole NetBSD programs through `kw86 exec` (in-process), blocks on and off:
# the same output, exit status, instruction count and modelled cycles (the
# timer preempts them: ticks land wherever the per-instruction path puts them)

E2E_RUNS = [
    ["/usr/bin/wc", "/bin/sh"],
    ["/bin/sh", "-c", "i=0; while [ $i -lt 300 ]; do i=$((i+1)); done; echo $i"],
    ["/bin/ls", "-l", "/bin", "/usr/bin"],
    ["/bin/sh", "-c", "cp /bin/sh /tmp/x && wc /tmp/x && rm /tmp/x"],
    ["/usr/bin/nbody", "500"],
]


def kexec_blocks(capfd, monkeypatch, argv, blocks):
    import kw86.machine as KM
    from kw86 import cli
    orig = KM.Machine.__init__

    def init(self, *a, **k):
        orig(self, *a, **k)
        self.core.set_blocks(blocks)
    monkeypatch.setattr(KM.Machine, "__init__", init)
    monkeypatch.setenv("KW86_EPOCH", "1700000000")
    capfd.readouterr()
    rc = cli.main(["exec", "--stats", *argv])
    out, err = capfd.readouterr()
    monkeypatch.setattr(KM.Machine, "__init__", orig)
    stats = [ln for ln in err.splitlines() if ln.startswith("kw86: ") and "cycles" in ln]
    assert len(stats) == 1, err
    # drop the host's share (time, MIPS): the rest is the guest's
    return rc, out, stats[0].rsplit(", ", 2)[0]


SYSROOT_SH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "kw86", "sysroot", "bin", "sh")


@built(os.path.exists(SYSROOT_SH), "the userland sysroot")
@pytest.mark.parametrize("mode", [[], ["--kernelware"]], ids=["user", "kernelware"])
@pytest.mark.parametrize("argv", E2E_RUNS, ids=lambda a: a[0].rsplit("/", 1)[1] + str(len(a)))
def test_netbsd_programs_blocks_on_and_off(capfd, monkeypatch, argv, mode):
    on = kexec_blocks(capfd, monkeypatch, mode + argv, True)
    off = kexec_blocks(capfd, monkeypatch, mode + argv, False)
    assert on == off
    assert on[0] == 0, on
    if "300" in argv[-1]:
        assert on[1] == "300\n"


GO = shutil.which("go", path=hostenv.ENV["PATH"])
GO_PROGRAMS = ["hello", "goroutines", "timers"]


@pytest.fixture(scope="module")
def go_netbsd(tmp_path_factory):
    """tests/go's hello, goroutines and timers built for netbsd/386."""
    import subprocess
    from buildreq import fail_build
    tmp = tmp_path_factory.mktemp("blockdiff_go")
    env = hostenv.env(GOOS="netbsd", GOARCH="386", GO386="softfloat", CGO_ENABLED="0",
                      GOPATH=str(tmp / "gopath"), GOPROXY="off", GOFLAGS="-mod=mod",
                      GOTOOLCHAIN="local", GOTELEMETRY="off")
    out = tmp / "bin"
    out.mkdir()
    p = subprocess.run([GO, "build", "-trimpath", "-o", str(out) + os.sep,
                        *[f"./{n}" for n in GO_PROGRAMS]],
                       cwd=os.path.join(os.path.dirname(os.path.abspath(__file__)), "go"),
                       env=env, capture_output=True, text=True, timeout=900)
    if p.returncode != 0:
        fail_build(f"go build (netbsd/386) failed: {p.stderr.strip()[-2000:]}")
    return out


@built(os.path.exists(SYSROOT_SH), "the userland sysroot")
@built(GO, "the Go toolchain (`go`: apt-get install golang-go; .ci/run installs it)")
@pytest.mark.parametrize("mode", [[], ["--kernelware"]], ids=["user", "kernelware"])
@pytest.mark.parametrize("name", GO_PROGRAMS)
def test_go_programs_blocks_on_and_off(capfd, monkeypatch, go_netbsd, name, mode):
    """Go's runtime (TLS through %gs, calls across many code pages,
    goroutine switches, timers) with blocks on and off."""
    argv = mode + ["--bind", f"{go_netbsd}:/go:ro", "-E", "GOMAXPROCS=4", f"/go/{name}", "a", "b c"]
    on = kexec_blocks(capfd, monkeypatch, argv, True)
    off = kexec_blocks(capfd, monkeypatch, argv, False)
    assert on == off
    assert on[0] == 0, on


def chunk_trace(p, blocks, budget, limit=20000):
    """The architectural state the host sees after every run(budget)."""
    m = p.kw(blocks)
    trace, total = [], 0
    while total < limit:
        r = m.run(budget)
        total += max(r.instructions, 1)
        trace.append((r.event, m.get_reg("eip"), m.get_reg("eflags"),
                      tuple(m.get_reg(n) for n in U.GPRS), m.instructions, m.cycles))
        if r.exception is not None:
            break
    return trace, m.read(DATA_BASE, WINDOW)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 24), loops=st.integers(1, 10),
       budget=st.integers(2, 40), flagdense=st.booleans(), cpl=st.sampled_from([3, 0]))
def test_state_at_every_budget_boundary(seed, n, loops, budget, flagdense, cpl):
    """Not only the end: after every run(budget) the host reads EIP,
    EFLAGS (the flags blocks keep pending in locals must be in place),
    registers, the instruction count and the cycles."""
    p = make_prog(seed, n, loops, defined_only=False, cpl=cpl, flagdense=flagdense)
    ref = chunk_trace(p, False, budget)
    got = chunk_trace(p, True, budget)
    assert got[0] == ref[0]
    assert got[1] == ref[1], first_diff(got[1], ref[1])


def io_units():
    out = lambda rng: bytes([0xe6, 0x80])                               # out 0x80, al
    inp = lambda rng: b"\x50\xe4\x81\x01\xc3\x58"                      # push eax; in al, 0x81; add ebx, eax; pop eax
    outd = lambda rng: b"\x52\x66\xba\x82\x00\xef\x5a"                  # push edx; mov dx, 0x82; out dx, eax; pop edx
    stop = lambda rng: bytes([0xe6, 0x83])                              # out 0x83, al: the handler stops the run
    return [out, inp, outd, stop]


def io_trace(p, blocks):
    m = p.kw(blocks)
    seen = []

    def snap(port, size, value=None):
        seen.append((port, size, value, m.get_reg("eip"), m.get_reg("eflags"),
                     tuple(m.get_reg(n) for n in U.GPRS), m.instructions, m.cycles))
        return (len(seen) * 0x9E3779B1) & 0xFFFFFFFF

    for port in (0x80, 0x81, 0x82):
        m.set_port_handler(port, read=lambda pt, sz: snap(pt, sz),
                           write=lambda pt, sz, v: snap(pt, sz, v))
    m.set_port_handler(0x83, write=lambda pt, sz, v: (snap(pt, sz, v), m.stop()))
    total, exc = 0, None
    while total < 20000:
        r = m.run(10**6)
        total += max(r.instructions, 1)
        seen.append((r.event, m.get_reg("eip"), m.get_reg("eflags"), m.instructions, m.cycles))
        if r.exception is not None:
            exc = r.exception
            break
    return seen, kw_state(m, exc), m.read(DATA_BASE, WINDOW)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 24), loops=st.integers(1, 10))
def test_port_handlers_see_the_state_of_their_instruction(seed, n, loops):
    """in/out at CPL 0 leave the run for a Python port handler, which reads
    registers and EFLAGS there (and may stop the run: Machine.stop): the
    same with blocks on and off."""
    p = make_prog(seed, n, loops, defined_only=False, cpl=0, extra=io_units(), extra_p=0.12,
                  flagdense=seed % 2 == 0)
    ref = io_trace(p, False)
    got = io_trace(p, True)
    assert got[0] == ref[0]
    assert got[1] == ref[1] and got[2] == ref[2]


def test_machines_running_blocks_in_parallel_threads():
    """Machine.run releases the GIL: several machines running blocks at
    once in threads end as each does alone (no shared state but the label
    table blk_exec fills at import)."""
    import threading
    progs = [make_prog(seed, 20, 400, defined_only=False, cpl=seed % 2 * 3) for seed in range(6)]
    alone = [p.run_kw(True, 10**6) for p in progs]
    got = [None] * len(progs)

    def work(k):
        got[k] = progs[k].run_kw(True, 10**6)
    for _ in range(3):
        threads = [threading.Thread(target=work, args=(k,)) for k in range(len(progs))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for a, b in zip(alone, got):
            same(b, a, "threads")
    assert sum(s["blk"] for s in alone) > 1000


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 30), junk=st.floats(0.0, 0.5),
       cpl=st.sampled_from([3, 0]))
def test_units_mixed_with_random_bytes(seed, n, junk, cpl):
    """Generated units with random byte strings between them (any
    instruction, any fault, jumps into the middle of instructions): blocks
    on and off stop at the same place in the same state."""
    rng = random.Random(seed)
    p = make_prog(seed, 1, 1, defined_only=False, cpl=cpl)
    g = G.Gen(rng, p.regs[G.EDI])
    code = b"".join((bytes(rng.randrange(256) for _ in range(rng.randrange(1, 8)))
                     if rng.random() < junk else g.unit()) for _ in range(n)) + b"\xcc"
    p.code = code
    out = []
    for blocks in (False, True):
        for budget in (10**6, 7):
            m = p.kw(blocks)
            exc = run_chunks(m, budget, limit=2000, must_end=False)
            s = kw_state(m, exc)
            s["mem"] = m.read(DATA_BASE, WINDOW)
            out.append(s)
    for s in out[1:]:
        same(s | {"extra": None}, out[0] | {"extra": None}, "junk")


DIV_CASES = {
    # name: (bytes after LEAD, eax, edx, divisor in ebp / [edi], faults)
    "div_r_zero": (b"\xf7\xf5", 5, 0, 0, True),                   # div ebp
    "div_r_big": (b"\xf7\xf5", 0, 7, 7, True),                    # quotient >= 2^32
    "div_r_ok": (b"\xf7\xf5", 100, 0, 7, False),
    "idiv_r_min": (b"\xf7\xfd", 0, 0x80000000, 0xFFFFFFFF, True),  # -2^63 / -1
    "idiv_r_ok": (b"\xf7\xfd", 0xFFFFFF9C, 0xFFFFFFFF, 7, False),  # -100 / 7
    "div_m_zero": (b"\xf7\x37", 5, 0, 0, True),                   # div dword [edi]
    "idiv_m_big": (b"\xf7\x3f", 0, 0x40000000, 1, True),
    "idiv_m_ok": (b"\x99\xf7\x3f", 0x80000000, 0, 0xFFFFFFFF - 1, False),   # cdq; idiv [edi]
}


@pytest.mark.parametrize("name", sorted(DIV_CASES))
def test_divide_error_inside_a_block(name):
    """div/idiv (uops of their own) after flag producers whose flags are
    pending: #DE is a fault (SDM Vol. 2A DIV/IDIV: "#DE if the source
    operand is 0, if the quotient is too large"): EIP at the div, EAX, EDX
    and EFLAGS as before it; without a fault the quotient and remainder."""
    insn, eax, edx, divisor, faults = DIV_CASES[name]
    code = (b"\x29\xc9"            # sub ecx, ecx
            b"\x01\xd9"            # add ecx, ebx
            b"\x41"                # inc ecx
            b"\x83\xc3\x07"        # add ebx, 7 (flags pending: SF OF CF ...)
            + insn + b"\x21\xc9\x31\xdb\xcc")
    results = []
    for blocks in (False, True):
        for budget in (10**6, 1, 3):
            cpu = kw_cpu(3)
            m = cpu.machine
            m.write(CODE_BASE + 0x1000, code)
            m.write(DATA_BASE, struct.pack("<I", divisor))
            for n, v in {"eax": eax, "edx": edx, "ebp": divisor, "edi": DATA_BASE, "ebx": 0xFFFFFFF9,
                         "esp": DATA_BASE + STACK_OFF}.items():
                m.set_reg(n, v)
            m.set_reg("eflags", 0x202)
            m.set_reg("eip", 0x1000)
            m.core.set_blocks(blocks)
            exc = run_chunks(m, budget)
            results.append(kw_state(m, exc))
            if blocks and budget == 10**6:
                assert m.core.block_instructions >= 4
    for s in results[1:]:
        assert s == results[0]
    ref = results[0]
    regs = dict(zip(U.GPRS, ref["regs"]))
    if faults:
        assert ref["exc"] == (0, None, None) and ref["eip"] == 0x1000 + 8 + (1 if insn[0] == 0x99 else 0)
        assert regs["eax"] == eax and regs["edx"] == edx
        # EFLAGS of `add ebx, 7` with ebx = 0xFFFFFFF9: 0 with CF, ZF, PF, AF
        assert ref["eflags"] & 0x8D5 == 0x55
        return
    assert ref["exc"][0] == 3
    signed = (insn[-1] >> 3) & 7 == 7              # F7 /7: idiv
    if insn[0] == 0x99:
        edx = 0xFFFFFFFF if eax >> 31 else 0
    dividend = (edx << 32) | eax
    d = divisor
    if signed:
        dividend -= (dividend >> 63) << 64
        d -= (d >> 31) << 32
        q = abs(dividend) // abs(d) * (1 if (dividend < 0) == (d < 0) else -1)
        rem = dividend - q * d
    else:
        q, rem = divmod(dividend, d)
    assert regs["eax"] == q & 0xFFFFFFFF and regs["edx"] == rem & 0xFFFFFFFF


# ---------------------------------------------------------------------------
# CPL 3 <-> CPL 0 through the IDT (kw86.testing.make_system): int 0x80 and
# timer interrupts run kernel code (its own blocks, the supervisor TLB)
# and iretd back into the user's blocks

KCOUNT = 0x70000
KERNEL_INT80 = (b"\x50\x53"                                  # push eax; push ebx
                b"\xa1" + struct.pack("<I", KCOUNT) +        # mov eax, [KCOUNT]
                b"\x83\xc0\x03"                              # add eax, 3
                b"\xa3" + struct.pack("<I", KCOUNT) +        # mov [KCOUNT], eax
                b"\x89\xc3\x83\xe3\x0f"                      # mov ebx, eax; and ebx, 15
                b"\x01\x1d" + struct.pack("<I", KCOUNT + 8) +  # l: add [KCOUNT+8], ebx
                b"\x4b\x79\xf7"                              # dec ebx; jns l
                b"\x5b\x58\xcf")                             # pop ebx; pop eax; iretd
KERNEL_TIMER = b"\xff\x05" + struct.pack("<I", KCOUNT + 4) + b"\xcf"   # inc dword [KCOUNT+4]; iretd


def ring_run(p, blocks, period, budget):
    m = make_system(cpl=3, mem_size=4 << 20)
    m.intercept = {0, 1, 3, 6, 12, 13, 14, 17}
    m.write(KTEXT, KERNEL_INT80)
    m.write(KTEXT + 0x300, KERNEL_TIMER)
    m.write(DATA_BASE, p.data)
    m.write(UTEXT, p.code)
    for n, v in zip(U.GPRS, p.regs):
        m.set_reg(n, v)
    m.set_reg("eflags", p.eflags | 0x200)
    m.set_reg("eip", UTEXT)
    m.core.set_blocks(blocks)
    if period:
        m.set_timer(period, 0x20)
    exc = run_chunks(m, budget, limit=100000, must_end=False)
    s = kw_state(m, exc)
    s["mem"] = m.read(DATA_BASE, WINDOW)
    s["extra"] = (m.read(KCOUNT, 12), m.read(KSTACK - 64, 64), m.cpl)
    s["blk"] = m.core.block_instructions
    return s


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 24), loops=st.integers(1, 10),
       period=st.sampled_from([0, 0, 97, 331, 1009]))
def test_user_kernel_transitions_through_the_idt(seed, n, loops, period):
    p = make_prog(seed, n, loops, defined_only=False, cpl=3,
                  extra=[lambda rng: b"\xcd\x80"], extra_p=0.08)
    ref = ring_run(p, False, period, 10**6)
    for budget in (10**6, random.Random(seed).choice([1, 3, 7])):
        got = ring_run(p, True, period, budget)
        same(got, ref, f"budget {budget}")


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 24), loops=st.integers(2, 12),
       when=st.integers(1, 300), bump=st.integers(1, 7))
def test_cycle_costs_changed_between_runs(seed, n, loops, when, bump):
    """The host changes the cycle profile (Machine.set_profile / Core.
    set_costs) after blocks were built with the old costs: every class and
    event cost moved by `bump`; the rest of the run counts with the new
    ones, blocks on as off."""
    from kw86.machine import load_profile
    ccost, ecost, _ = load_profile("celeron500")
    ccost2 = [c + bump for c in ccost]
    ecost2 = [e + bump if e < 256 else e for e in ecost]
    p = make_prog(seed, n, loops, defined_only=False, cpl=3)
    out = []
    for blocks in (False, True):
        m = p.kw(blocks)
        r = m.run(when)
        exc = r.exception
        before = m.cycles
        if exc is None:
            m.core.set_costs(ccost2, ecost2)
            exc = run_chunks(m, 10**6, limit=50000, must_end=False)
        s = kw_state(m, exc)
        s["mem"] = m.read(DATA_BASE, WINDOW)
        s["extra"] = before
        out.append(s)
    same(out[1], out[0], "new costs")
    plain = p.run_kw(True, 10**6)
    if out[0]["insns"] > when + 1:
        assert out[0]["cycles"] > plain["cycles"]       # the new costs counted


NIL_CHECKS = {                            # the pointer in ecx (LEAD leaves it alone)
    "test_m8_r8": b"\x84\x01",            # test [ecx], al (Go's nil check)
    "test_m32_r32": b"\x85\x01",
    "mov_r_m": b"\x8b\x01",
    "cmp_m8_i8": b"\x80\x39\x00",
    "movzx_m8": b"\x0f\xb6\x01",
    "setcc_m8": b"\x0f\x94\x01",          # sete [ecx]: a write
    "xchg_m_r": b"\x87\x19",
    "lock_xadd": b"\xf0\x0f\xc1\x19",
}


@pytest.mark.parametrize("addr", [0, 8, 0xFFC])
@pytest.mark.parametrize("name", sorted(NIL_CHECKS))
def test_nil_pointer_access_inside_a_block(name, addr):
    """A load/store through a nil pointer (page 0 not present) after
    pending flag producers: #PF with CR2 = the address, U/S = 1, P = 0,
    W/R as the access (an RMW's read: W not asserted), EIP at the
    instruction (Go turns it into a nil-pointer panic from there)."""
    insn = NIL_CHECKS[name]
    code = LEAD + insn + b"\x21\xc0\xcc"
    regs = {"eax": 0x80000001, "ecx": addr, "ebx": 0x7FFFFFFF, "edx": 0xFFFFFFF9, "esp": USTACK}
    results = []
    for blocks in (False, True):
        for budget in (10**6, 1, 4):
            m = split_system(code, regs, blocks)
            m.write(PT0, b"\0\0\0\0")               # page 0 not present
            exc = run_chunks(m, budget)
            s = kw_state(m, exc)
            s["cr2"] = m.get_cr(2)
            results.append(s)
            if blocks and budget == 10**6:
                assert m.core.block_instructions >= 4
    for s in results[1:]:
        assert s == results[0]
    ref = results[0]
    rr = dict(zip(U.GPRS, ref["regs"]))
    assert rr["eax"] == 2 and rr["ecx"] == addr and rr["edx"] == 0   # LEAD ran, the access did not
    want = addr
    write = name == "setcc_m8"
    assert ref["exc"][0] == 14 and ref["eip"] == UTEXT + len(LEAD)
    assert ref["exc"][2] == ref["cr2"] == want
    err = ref["exc"][1]
    assert err & 5 == 4 and (not write or err & 2)
