"""Blocks leaving their code page (kw86/exec_block.pxi: the end of
blk_exec's loop, KW_XCHAIN) where the other page's translation is not in
the TLB, and the run after a block stopped (run_loop).

Go's code (math/rand's locked source calling runtime/internal/atomic.Cas
and Xadd) ran with a code page and a goroutine stack page sharing a slot
of the direct-mapped soft TLB: every call walked the page tables for the
code page, and the callee's first stack read walked again.  blk_exec now
makes that code-page walk itself where run_loop's fetch would make it
(within the budget, below the attention threshold with the walk's cycles,
ifetch_page not that page), charging it the same and raising its #PF for
the instruction at the target; after a block stops before an instruction,
run_loop runs that one instruction and gives the next back to the block
engine.  None of it may show: with blocks on and off (the per-instruction
path alone), at every budget and with timer ticks at every boundary, the
same registers, memory, instruction count, modelled cycles, page walks,
faults (vector, error code, CR2, EIP).
"""

import struct

import pytest

from kw86.testing import FlatCPU, make_system, KTEXT, PD, UTEXT, USTACK
from test_cpu_blocks import with_blocks
from test_cpu_fastpath import NAMES

PDIR, PTAB, PTAB1 = 0x200000, 0x201000, 0x202000
CODE = 0x5000           # f's code page: TLB slot 5
DATA = 0x405000         # a data page in TLB slot 5 too (physical 0x105000)
STACK = 0x3000          # stack page (slot 3)
ABSENT = 0x7000         # a code page whose PTE is not present


def rel32(at, target, length=5):
    return struct.pack("<i", target - (at + length))


def tlb_slot(lin):
    """The soft TLB's slot of a linear address (KW_TLB_SIZE 1,024)."""
    return (lin >> 12) & 1023


def program(reads_data=True, call_absent=False, data=DATA):
    """main (0x1000) calls f in CODE 200 times; f reads and writes DATA,
    whose TLB slot is CODE's, so each call finds the code page's entry
    evicted by the data page and f's first data access finds it the
    other way round.  call_absent: the last pass calls into ABSENT."""
    main = (b"\xb9\xc8\x00\x00\x00"                  # 0x1000 mov ecx, 200
            + b"\xe8" + rel32(0x1005, CODE)          # 0x1005 call f
            + b"\x01\xc3"                            # 0x100a add ebx, eax
            + b"\x8d\x74\x1e\x01"                    # 0x100c lea esi, [esi+ebx+1]
            + b"\x49"                                # 0x1010 dec ecx
            + b"\x75\xf2"                            # 0x1011 jnz 0x1005
            + (b"\xe8" + rel32(0x1013, ABSENT) if call_absent else b"")
            + b"\xcc")                               # int3
    mov = (b"\xa1" + struct.pack("<I", data + 0x10)) if reads_data else b"\x90" * 5
    f = (mov                                         # mov eax, [DATA+0x10]
         + b"\x83\xc0\x03"                           # add eax, 3
         + b"\x31\xf0"                               # xor eax, esi
         + b"\xa3" + struct.pack("<I", data + 0x10)  # mov [DATA+0x10], eax
         + b"\x8b\x14\x24"                           # mov edx, [esp]
         + b"\x01\xd7"                               # add edi, edx
         + b"\xc3")                                  # ret
    return main, f


def paged_cpu(blocks, cpl, **kw):
    cpu = FlatCPU(cpl=cpl, mem_size=4 << 20)
    pte = [(k << 12) | 7 for k in range(1024)]
    pte[ABSENT >> 12] = 0                           # not present
    cpu.write_mem(PDIR, struct.pack("<II", PTAB | 7, PTAB1 | 7) + bytes(4088))
    cpu.write_mem(PTAB, b"".join(struct.pack("<I", v) for v in pte))
    pt1 = bytearray(4096)
    struct.pack_into("<I", pt1, 4 * tlb_slot(DATA), 0x105000 | 7)
    cpu.write_mem(PTAB1, bytes(pt1))
    main, f = program(**kw)
    cpu.write_mem(0x1000, main)
    cpu.write_mem(CODE, f)
    cpu.write_mem(0x105010, struct.pack("<I", 0x1234567))
    for k, v in {"eax": 1, "ebx": 0, "esi": 5, "edi": 0, "esp": STACK + 0x800,
                 "eip": 0x1000}.items():
        cpu.set_reg(k, v)
    cpu.set_reg("cr3", PDIR)
    cpu.set_reg("cr0", cpu.get_reg("cr0") | 0x80000000)
    return with_blocks(cpu, blocks)


def state(cpu, e):
    m = cpu.machine
    exc = None if e is None else (e.vector, e.error_code, e.cr2)
    return (exc, {n: cpu.get_reg(n) for n in NAMES + ["eip", "eflags"]},
            cpu.read_mem(0x105000, 64), cpu.read_mem(STACK + 0x7C0, 64),
            cpu.instructions, cpu.cycles, m.core.page_walks)


def run_budget(cpu, budget, limit=200000):
    """Run in chunks of `budget` instructions up to the first exception."""
    total = 0
    while total < limit:
        e = cpu.run(budget)
        if e is not None:
            return state(cpu, e)
        total += budget
    raise AssertionError("no exception")


BUDGETS = (1, 2, 3, 5, 7, 11, 64, 10**6)


def test_the_code_page_and_the_data_page_share_a_tlb_slot():
    assert tlb_slot(CODE) == tlb_slot(DATA) and tlb_slot(STACK) != tlb_slot(CODE)
    assert tlb_slot(SCODE) == tlb_slot(SDATA) and tlb_slot(USTACK - 4) != tlb_slot(SCODE)


@pytest.mark.parametrize("cpl", [0, 3])
@pytest.mark.parametrize("reads_data", [True, False])
def test_calls_into_a_code_page_evicted_from_the_tlb(cpl, reads_data):
    """Every call walks for f's code page, every pass's first DATA access
    walks again: the same walks, cycles and state at every budget."""
    ref = run_budget(paged_cpu(False, cpl, reads_data=reads_data), 10**6)
    assert ref[0][0] == 3
    # two walks a pass at least (the code page, the data page)
    assert ref[-1] >= 2 * 200
    for budget in BUDGETS:
        on = paged_cpu(True, cpl, reads_data=reads_data)
        assert run_budget(on, budget) == ref, budget
        if budget == 10**6:
            assert on.machine.core.block_instructions >= 200 * 10


@pytest.mark.parametrize("cpl", [0, 3])
def test_call_into_a_page_that_is_not_present(cpl):
    """The last call's target page is not present: #PF (not present, read,
    user as CPL 3) with CR2 and EIP the target and the call retired, from
    the walk blk_exec makes as from run_loop's fetch."""
    ref = run_budget(paged_cpu(False, cpl, call_absent=True), 10**6)
    assert ref[0] == (14, 4 if cpl == 3 else 0, ABSENT)
    assert ref[1]["eip"] == ABSENT
    for budget in BUDGETS:
        on = paged_cpu(True, cpl, call_absent=True)
        assert run_budget(on, budget) == ref, budget


SCODE, SDATA = 0x45000, 0x445000     # TLB slot 0x45 (make_system's tables below 0x5069)


def system_with_collision(blocks):
    """make_system's CPL 3 machine with paging: the user program at UTEXT
    calling f at SCODE that uses SDATA (the same TLB slot, through a second
    page table), and a timer whose handler counts its ticks."""
    m = make_system(cpl=3, paging=True)
    m.write(PD + 4, struct.pack("<I", PTAB1 | 7))
    pt1 = bytearray(4096)
    struct.pack_into("<I", pt1, 4 * tlb_slot(SDATA), 0x105000 | 7)
    m.write(PTAB1, bytes(pt1))
    main = (b"\xb9\xc8\x00\x00\x00"                  # mov ecx, 200
            + b"\xe8" + rel32(UTEXT + 5, SCODE)      # call f
            + b"\x01\xc3"                            # add ebx, eax
            + b"\x8d\x74\x1e\x01"                    # lea esi, [esi+ebx+1]
            + b"\x49"                                # dec ecx
            + b"\x75\xf2"                            # jnz
            + b"\xcc")                               # int3
    _, f = program(data=SDATA)
    m.write(UTEXT, main)
    m.write(SCODE, f)
    m.write(0x105010, struct.pack("<I", 0x1234567))
    # the timer's handler: inc dword [0x70000]; iretd
    m.write(KTEXT + 0x300, b"\xff\x05" + struct.pack("<I", 0x70000) + b"\xcf")
    for k, v in {"eax": 1, "ebx": 0, "esi": 5, "edi": 0}.items():
        m.set_reg(k, v)
    m.core.set_blocks(blocks)
    return m


@pytest.mark.parametrize("period", list(range(331, 365)) + [401, 777, 1000])
def test_timer_ticks_around_the_walks(period):
    """Timer ticks at every boundary, including between a call and the
    walk for its target's code page (a tick due within the walk's cycles
    must come after the instruction, as run_loop's fetch has it)."""
    results = []
    for blocks in (False, True):
        m = system_with_collision(blocks)
        m.set_timer(period, 0x20)
        r = m.run(10**6)
        assert r.exception is not None and r.exception.vector == 3
        results.append(({n: m.get_reg(n) for n in NAMES + ["eip", "eflags"]},
                        m.read(0x105000, 64), m.read(USTACK - 64, 64), m.read(0x70000, 4),
                        m.instructions, m.cycles, m.core.page_walks, m.core.timer_ticks))
        if blocks:
            assert m.core.block_instructions > 1000
    assert results[0] == results[1]
    assert struct.unpack("<I", results[0][3])[0] > 10
