"""kw86 against Unicorn with paging on and the data window's pages shuffled:
every page of the window maps to another physical page of it, so an access
that crosses a page boundary (a string element, a rep run, a misaligned
dword, cmpxchg8b, a push) must split at the boundary and continue on an
unrelated physical page.  Random sequences (tests/unicorn_oracle.py's
generators, with registers often just below a page boundary) and a
systematic sweep of the string instructions with rep, DF=0/1, every element
size, 16- and 32-bit addressing, at every offset around a boundary.

No page faults happen here (every page is present, user, writable):
Unicorn 2.1 with paging on loses #PF or turns it into #DF (see
tests/unicorn_oracle.py); faulting page-split accesses are checked against
the manual in tests/test_cpu_strings.py and test_cpu_vs_unicorn.py."""

import random
import struct

import pytest
from hypothesis import settings
from unicorn.x86_const import UC_X86_REG_CR0, UC_X86_REG_CR3

import unicorn_oracle as U

PD = 0xE00000                   # page directory, then 4 page tables
SCRATCH = 0xE10000
NPAGES = U.DATA_SIZE >> 12
FIRST = U.DATA_BASE >> 12


def page_tables(perm):
    """Every linear address is present: the 4 page tables (16 MiB, identity
    but for the shuffled window) repeat over the 4 GiB (Unicorn would lose a
    #PF for an address above 16 MiB), and no linear page reaches the tables
    themselves (a stray store cannot rewrite a translation).  (No instruction
    here loads a segment register, so FlatCPU's GDT need not be reachable.)"""
    pd = b"".join(struct.pack("<I", (PD + 0x1000 * (k % 4 + 1)) | 7) for k in range(1024))
    pte = [(k << 12) | 7 for k in range(4096)]
    for i, j in enumerate(perm):
        pte[FIRST + i] = ((FIRST + j) << 12) | 7
    for k in range(5):
        pte[(PD >> 12) + k] = SCRATCH | 7
    # nor the last physical page: Unicorn's write hook reports a page-split
    # store as one physical range from its first byte, which must stay in memory
    pte[4095] = (SCRATCH + 0x1000) | 7
    return pd + b"".join(struct.pack("<I", v) for v in pte)


def paged_pair(bits, seed):
    uc, kw = U.make_pair(bits, seed)
    perm = list(range(NPAGES))
    random.Random(seed).shuffle(perm)
    image = page_tables(perm)
    uc.uc.mem_write(PD, image)
    kw.write_mem(PD, image)
    uc.uc.reg_write(UC_X86_REG_CR3, PD)
    uc.uc.reg_write(UC_X86_REG_CR0, uc.uc.reg_read(UC_X86_REG_CR0) | 0x80000000)
    kw.set_reg("cr3", PD)
    kw.set_reg("cr0", kw.get_reg("cr0") | 0x80000000)
    return uc, kw


class PagedBatch(U.Batch):
    def run(self, bits, regs, eflags, insns):
        pair = self.pairs.get(bits)
        if pair is None:
            pair = self.pairs[bits] = paged_pair(bits, self.seed)
        if U._run_on(bits, pair[0], pair[1], regs, eflags, insns, self.stats):
            del self.pairs[bits]


def near_boundary(rng, bits):
    """An address (32-bit) or offset (16-bit) a few bytes around a page
    boundary inside the data window."""
    page = rng.randrange(1, NPAGES - 1) << 12
    off = page + rng.randrange(-9, 9)
    return U.DATA_BASE + off if bits == 32 else off


def state(rng, bits):
    regs, fl = U.gen_state(rng, bits)
    for r in (0, 2, 3, 5, 6, 7):
        if rng.random() < 0.5:
            v = near_boundary(rng, bits)
            regs[r] = v if bits == 32 else (regs[r] & 0xFFFF0000) | v
    if rng.random() < 0.4:          # the stack pointer at a boundary too
        v = (near_boundary(rng, bits) & ~1) + 0x10000 * (bits == 32)
        regs[4] = v if bits == 32 else (regs[4] & 0xFFFF0000) | (v & 0xFFFF)
    return regs, fl


_SREGS = ("es", "cs", "ss", "ds", "fs", "gs")


def gen(rng, bits):
    """A random instruction, but not PUSH Sreg: the oracle checks its
    P6-specific 2-byte write at a linear address, and here linear is not
    physical (flat, it is checked in test_cpu_vs_unicorn.py)."""
    from kw86.decoder import decode
    while True:
        b = (U.gen_focus if rng.random() < 0.6 else U.gen_insn)(rng, bits)
        ins = decode(b, bits=bits)
        if not (ins.mnemonic == "push" and ins.operands[0].kind == "reg"
                and ins.operands[0].reg in _SREGS):
            return b


def test_random_sequences_on_shuffled_pages():
    rng = random.Random(20261207)
    batch = PagedBatch(seed=5)
    n = max(400, 4 * settings.default.max_examples)
    for k in range(n):
        bits = rng.choice((32, 16))
        regs, fl = state(rng, bits)
        insns = [gen(rng, bits) for _ in range(6)]
        if k % 50 == 0:
            batch.seed = k
            batch.finish()
            batch.pairs.clear()
        batch.run(bits, regs, fl, insns)
    st = batch.finish()
    print(f"\npaged differential: {st.insns} instructions, {st.compared} compared")
    assert st.compared > st.insns // 2


@pytest.mark.parametrize("bits", [32, 16])
@pytest.mark.parametrize("code", ["a4", "a5", "66a5", "a6", "a7", "aa", "ab", "66ab", "ac",
                                  "ad", "ae", "af"])
def test_string_ops_across_shuffled_pages(bits, code):
    batch = PagedBatch(seed=9)
    rng = random.Random(f"{bits}-{code}")
    for pre in ("f3", "f2", "", "67f3"):
        for df in (0, 0x400):
            for count in (1, 3, 9, 0x403):
                for _ in range(3):
                    src = near_boundary(rng, 32 if pre.startswith("67") and bits == 16 else bits)
                    dst = near_boundary(rng, 32 if pre.startswith("67") and bits == 16 else bits)
                    if pre.startswith("67") and bits == 32:
                        src, dst = src & 0xFFFF, dst & 0xFFFF   # 16-bit addressing: low window
                    regs = [0x1234ABCD, count, 0, 0, 0, 0, src, dst]
                    regs[4] = U.DATA_BASE + 0x1F000 if bits == 32 else 0x8000
                    batch.run(bits, regs, 0x202 | df, [bytes.fromhex(pre + code)])
    st = batch.finish()
    assert st.compared >= 0.8 * st.insns, (st.compared, st.insns, st.skipped)
