"""Chaining translated blocks (kw86/exec_block.pxi, the end of blk_exec's
loop and KW_CHAIN): a taken exit goes on to the block at its target
without returning to run_loop when that block lies in the same code page
(its physical address is EIP plus the page's offset), is current and fits.
Here the cases where it must not, or must recompute that offset: two
blocks whose slots in the block table collide, and one physical code page
seen at two linear addresses.  As in test_cpu_blocks.py, blocks on and off
(the per-instruction path alone) must end in the same state at every
budget.
"""

import struct

import pytest

from kw86.testing import FlatCPU
from test_cpu_blocks import run_budget, with_blocks
from test_cpu_fastpath import STACK


def rel32(at, target, length=5):
    return struct.pack("<i", target - (at + length))


def blk_hash(phys):
    """KW_BLK_HASH (exec_block.pxi, 8192 slots)."""
    return ((phys >> 13) ^ phys) & 8191


def collide_cpu(blocks):
    """A loop at 0x1001 calling f at 0x3000: the two blocks share a slot of
    the block table, so each evicts the other on every pass (the in-page
    back edge to 0x1001 and the cross-page call find the other's tag)."""
    cpu = FlatCPU(cpl=0, mem_size=4 << 20)
    main = (b"\x90"                                   # 0x1000 nop
            + b"\xe8" + rel32(0x1001, 0x3000)         # 0x1001 call f
            + b"\x01\xc3"                             # 0x1006 add ebx, eax
            + b"\x49"                                 # 0x1008 dec ecx
            + b"\x75\xf6"                             # 0x1009 jnz 0x1001
            + b"\xcc")                                # 0x100b int3
    f = (b"\x83\xc0\x03"                              # 0x3000 add eax, 3
         + b"\x31\xd8"                                # 0x3003 xor eax, ebx
         + b"\xc3")                                   # 0x3005 ret
    cpu.write_mem(0x1000, main)
    cpu.write_mem(0x3000, f)
    for k, v in {"eax": 7, "ebx": 0x12345, "ecx": 300, "esp": STACK, "eip": 0x1000}.items():
        cpu.set_reg(k, v)
    return with_blocks(cpu, blocks)


def test_colliding_blocks_take_turns():
    assert blk_hash(0x1001) == blk_hash(0x3000)
    ref = run_budget(collide_cpu(False), 10**6)
    for budget in (1, 2, 3, 7, 1000, 10**6):
        on = collide_cpu(True)
        assert run_budget(on, budget) == ref, budget
    assert on.machine.core.block_instructions >= 300 * 3


PD, PT = 0x200000, 0x201000
MAIN = 0x9000           # linear page of main, mapped to physical 0x1000
ALIAS = 0x5000          # linear page mapped to physical 0x3000 (also linear 0x3000)


def aliased_cpu(blocks, cpl):
    """One physical code page (0x3000) called through two linear pages
    (0x3000 and 0x5000), from main in a third page whose linear and
    physical addresses differ (0x9000 -> 0x1000).  g loops in its page,
    calls h in the page (h adds its linear return address to ebx), then k
    through the same rel32: from 0x3000 that is 0x9040 (k1, main's page),
    from 0x5000 0xB040 (k2); 0xB040 - 0x8000 (main's page's offset) is
    h's physical address, so a block run with another page's offset, or
    with the other alias's EIP, shows in ebx or edi."""
    cpu = FlatCPU(cpl=cpl, mem_size=4 << 20)
    pte = [(k << 12) | 7 for k in range(1024)]
    pte[MAIN >> 12] = 0x1000 | 7
    pte[ALIAS >> 12] = 0x3000 | 7
    cpu.write_mem(PD, struct.pack("<I", PT | 7) + bytes(4092))
    cpu.write_mem(PT, b"".join(struct.pack("<I", v) for v in pte))
    main = (b"\xe8" + rel32(MAIN, 0x3010)             # 0x9000 call g (alias 0x3000)
            + b"\xe8" + rel32(MAIN + 5, ALIAS + 0x10) # 0x9005 call g (alias 0x5000)
            + b"\x49"                                 # 0x900a dec ecx
            + b"\x75\xf3"                             # 0x900b jnz 0x9000
            + b"\xcc")                                # 0x900d int3
    g = (b"\xba\x05\x00\x00\x00"                      # +0x10 mov edx, 5
         + b"\x01\xd0"                                # +0x15 add eax, edx
         + b"\x4a"                                    # +0x17 dec edx
         + b"\x74\x02"                                # +0x18 jz +0x1c
         + b"\xeb\xf9"                                # +0x1a jmp +0x15
         + b"\xe8" + rel32(0x1c, 0x40)                # +0x1c call h
         + b"\xe8" + rel32(0x3021, 0x9040)            # +0x21 call k (0x9040 or 0xB040)
         + b"\xc3")                                   # +0x26 ret
    h = (b"\x8b\x34\x24"                              # +0x40 mov esi, [esp]
         + b"\x01\xf3"                                # +0x43 add ebx, esi
         + b"\xc3")                                   # +0x45 ret
    cpu.write_mem(0x1000, main)
    cpu.write_mem(0x1040, b"\x83\xc7\x01\xc3")         # k1: add edi, 1; ret
    cpu.write_mem(0xB040, b"\x81\xc7\x00\x01\x00\x00\xc3")  # k2: add edi, 0x100; ret
    cpu.write_mem(0x3010, g)
    cpu.write_mem(0x3040, h)
    for k, v in {"eax": 1, "ebx": 0, "ecx": 200, "edi": 0, "esp": STACK, "eip": MAIN}.items():
        cpu.set_reg(k, v)
    cpu.set_reg("cr3", PD)
    cpu.set_reg("cr0", cpu.get_reg("cr0") | 0x80000000)
    return with_blocks(cpu, blocks)


@pytest.mark.parametrize("cpl", [0, 3])
def test_one_code_page_at_two_linear_addresses(cpl):
    ref = run_budget(aliased_cpu(False, cpl), 10**6)
    # h saw both aliases' return addresses, k1 and k2 ran once a pass each
    assert ref[0]["ebx"] == 200 * (0x3021 + 0x5021)
    assert ref[0]["edi"] == 200 * 0x101
    for budget in (1, 3, 7, 64, 10**6):
        on = aliased_cpu(True, cpl)
        assert run_budget(on, budget) == ref, budget
    assert on.machine.core.block_instructions >= 200 * 2 * 17
