"""kw86.testing.FlatCPU: the binding test API (issue 3) and basic semantics."""

import struct

import pytest

import kw86
from kw86.testing import FlatCPU


def run_code(cpu, code, at=0x1000, steps=None):
    cpu.write_mem(at, code)
    cpu.set_reg("eip", at)
    if steps is None:
        steps = 64
    for _ in range(steps):
        if cpu.get_reg("eip") >= at + len(code):
            return None
        e = cpu.step()
        if e is not None:
            return e
    return None


def test_api_shape():
    cpu = FlatCPU(bits=32, cpl=3)
    for r in ("eax", "ebx", "ecx", "edx", "esi", "edi", "esp", "ebp", "eip", "eflags",
              "cr0", "cr2", "cr3", "cr4", "cs", "ds", "es", "fs", "gs", "ss"):
        cpu.get_reg(r)
    cpu.set_reg("eax", 0x12345678)
    assert cpu.get_reg("eax") == 0x12345678
    cpu.write_mem(0x100, b"abc")
    assert cpu.read_mem(0x100, 3) == b"abc"
    assert kw86.CPUException is kw86.testing.CPUException


def test_bad_api_use_raises_clear_errors():
    cpu = FlatCPU()
    with pytest.raises(ValueError, match="xyz"):
        cpu.get_reg("xyz")
    with pytest.raises(ValueError, match="rax"):
        cpu.set_reg("rax", 1)
    with pytest.raises(IndexError):
        cpu.write_mem(cpu.machine.mem_size - 1, b"ab")
    with pytest.raises(IndexError):
        cpu.read_mem(-1, 2)
    with pytest.raises(IndexError):
        cpu.read_mem(1 << 40, 1)
    with pytest.raises(ValueError):
        cpu.set_segment("xs", 0, 0, 0)
    with pytest.raises(ValueError):
        FlatCPU(bits=64)


def test_setting_a_segment_register_changes_only_the_selector():
    cpu = FlatCPU()
    cpu.set_reg("ds", 0x77)
    assert cpu.get_reg("ds") == 0x77
    e = run_code(cpu, bytes.fromhex("a100200000"))      # mov eax, [0x2000]: still flat
    assert e is None


def test_arith_and_flags():
    cpu = FlatCPU()
    cpu.set_reg("eax", 0xFFFFFFFF)
    cpu.set_reg("ebx", 1)
    assert run_code(cpu, bytes.fromhex("01d8")) is None   # add eax, ebx
    assert cpu.get_reg("eax") == 0
    f = cpu.get_reg("eflags")
    assert f & 0x1 and f & 0x40 and f & 0x10 and f & 0x4 and not f & 0x800
    cpu.set_reg("eax", 0x7FFFFFFF)
    assert run_code(cpu, bytes.fromhex("40")) is None     # inc eax: OF, CF kept
    f = cpu.get_reg("eflags")
    assert f & 0x800 and f & 0x80 and f & 0x1


def test_16bit_code_uses_sp_and_ip():
    cpu = FlatCPU(bits=16)
    cpu.set_reg("esp", 0x12340000)
    cpu.set_reg("eax", 0xAAAA0000)
    e = run_code(cpu, bytes.fromhex("b83412 50 5b"))    # mov ax, 0x1234; push ax; pop bx
    assert e is None
    assert cpu.get_reg("eax") == 0xAAAA1234 and cpu.get_reg("ebx") & 0xFFFF == 0x1234
    assert cpu.get_reg("esp") == 0x12340000
    assert cpu.read_mem(0xFFFE, 2) == b"\x34\x12"        # SP wrapped to 0xfffe


def test_segment_types_are_enforced():
    cpu = FlatCPU()
    cpu.set_segment("ds", 0x23, 0, 0xFFFFFFFF, type=0x1)     # read-only data
    e = run_code(cpu, bytes.fromhex("a300200000"))           # mov [0x2000], eax
    assert (e.vector, e.error_code) == (13, 0)
    cpu.set_segment("es", 0x23, 0x100, 0xFFF, type=0x5)      # read-only, expand-down
    e = run_code(cpu, bytes.fromhex("26a110000000"))         # mov eax, es:[0x10]
    assert (e.vector, e.error_code) == (13, 0)
    e = run_code(cpu, bytes.fromhex("26a100200000"))         # mov eax, es:[0x2000]
    assert e is None
    cpu.set_segment("cs", 0x1b, 0, 0xFFFFFFFF, type=0x8)     # execute-only code
    e = run_code(cpu, bytes.fromhex("2ea100200000"))         # mov eax, cs:[0x2000]
    assert (e.vector, e.error_code) == (13, 0)


def test_segment_base_is_applied():
    cpu = FlatCPU()
    cpu.set_segment("fs", 0x33, 0x5000, 0xFFFF)
    cpu.write_mem(0x5010, struct.pack("<I", 0xCAFEBABE))
    assert run_code(cpu, bytes.fromhex("64a110000000")) is None    # mov eax, fs:[0x10]
    assert cpu.get_reg("eax") == 0xCAFEBABE


def test_paging_can_be_turned_on():
    cpu = FlatCPU(cpl=0)
    pd, pt = 0x100000, 0x101000
    cpu.write_mem(pd, struct.pack("<I", pt | 3))
    entries = b"".join(struct.pack("<I", (k << 12) | 3) for k in range(1024))
    cpu.write_mem(pt, entries)
    cpu.write_mem(pt + 4 * 0x300, struct.pack("<I", 0x200000 | 3))   # 0x300000 -> 0x200000
    cpu.write_mem(pt + 4 * 0x301, b"\0\0\0\0")                       # not present
    cpu.set_reg("cr3", pd)
    cpu.set_reg("cr0", cpu.get_reg("cr0") | 0x80000000)
    cpu.write_mem(0x200000, b"\x11\x22\x33\x44")
    assert run_code(cpu, bytes.fromhex("a100003000")) is None        # mov eax, [0x300000]
    assert cpu.get_reg("eax") == 0x44332211
    e = run_code(cpu, bytes.fromhex("a1fe0f3000"))                    # straddles into 0x301000
    assert (e.vector, e.error_code, e.cr2) == (14, 0, 0x301000)
    e = run_code(cpu, bytes.fromhex("a3fe0f3000"))                    # straddling store
    assert (e.vector, e.error_code, e.cr2) == (14, 2, 0x301000)
    assert cpu.read_mem(0x200FFE, 2) == b"\0\0"                       # nothing written


def test_software_interrupts_are_reported():
    cpu = FlatCPU()
    e = run_code(cpu, bytes.fromhex("cd80"))
    assert e.vector == 0x80 and cpu.get_reg("eip") == 0x1002
    e = run_code(cpu, bytes.fromhex("cc"))
    assert e.vector == 3 and e.error_code is None


def test_privileged_instructions_fault_at_cpl3():
    cpu = FlatCPU(cpl=3)
    for code in ("f4", "fa", "0f20c0", "0f22d8", "0f0118", "0f06", "0f09", "0f30", "0f32",
                 "e480", "ee"):
        e = run_code(cpu, bytes.fromhex(code))
        assert e is not None and (e.vector, e.error_code) == (13, 0), code


def test_near_branches_and_stack():
    cpu = FlatCPU()
    cpu.set_reg("esp", 0x9000)
    code = bytes.fromhex(
        "b903000000"        # mov ecx, 3
        "31c0"              # xor eax, eax
        "40"                # l: inc eax
        "e2fd"              # loop l
        "e805000000"        # call f
        "eb06"              # jmp end
        "90909090 90"       # padding
        "c3"                # f: ret
        "90")               # end
    assert run_code(cpu, code, steps=40) is None
    assert cpu.get_reg("eax") == 3 and cpu.get_reg("ecx") == 0 and cpu.get_reg("esp") == 0x9000


def test_cycles_and_rdtsc():
    cpu = FlatCPU()
    code = bytes.fromhex("90 90 0f31")          # nop; nop; rdtsc
    assert run_code(cpu, code) is None
    assert cpu.get_reg("eax") == 2 and cpu.cycles == 2 + 32


def test_instruction_crossing_a_page_and_into_unmapped_memory():
    cpu = FlatCPU()
    e = run_code(cpu, bytes.fromhex("b878563412"), at=0x1FFE)   # mov eax across 0x2000
    assert e is None and cpu.get_reg("eax") == 0x12345678
    size = cpu.machine.mem_size
    cpu.set_reg("eip", size + 0x100)            # beyond RAM: reads all ones
    e = cpu.step()
    assert e is None or isinstance(e, kw86.CPUException)


def test_single_step_trap_after_each_instruction():
    cpu = FlatCPU()
    cpu.write_mem(0x1000, bytes.fromhex("90 40 90"))      # nop; inc eax; nop
    cpu.set_reg("eip", 0x1000)
    cpu.set_reg("eflags", 0x302)                         # TF
    e = cpu.step()
    assert e.vector == 1 and cpu.get_reg("eip") == 0x1001
    assert cpu.get_reg("dr6") & 0x4000
    e = cpu.step()
    assert e.vector == 1 and cpu.get_reg("eip") == 0x1002 and cpu.get_reg("eax") == 1


def test_every_integer_and_system_mnemonic_has_a_handler():
    """The decoder's table is the spec: everything it decodes outside x87/MMX
    executes (x87/MMX raise #NM/#UD until they exist)."""
    from kw86 import exec as kexec
    from kw86.isa import opcodes
    missing = []
    for m in opcodes.MNEMONICS[1:]:
        rows = [opcodes.ROWS[i] for i in opcodes.row_ids(m)]
        if rows and all(r.attrs & (opcodes.ATTR_X87 | opcodes.ATTR_MMX) for r in rows):
            continue
        if m not in kexec.REGISTERED:
            missing.append(m)
    assert missing == []
    assert kexec.UNKNOWN_NAMES == []


def test_a_faulting_instruction_commits_nothing():
    """Faults are restartable: registers, flags and ESP are as before."""
    cpu = FlatCPU()
    cpu.set_segment("ds", 0x23, 0, 0xFFFFFFFF, type=0x1)      # read-only data
    cpu.set_reg("eax", 5)
    cpu.set_reg("eflags", 0x202 | 0x1)
    cpu.write_mem(0x2000, struct.pack("<I", 0xFFFFFFFF))
    before = {r: cpu.get_reg(r) for r in ("eax", "esp", "eflags")}
    e = run_code(cpu, bytes.fromhex("010500200000"))             # add [0x2000], eax
    assert (e.vector, e.error_code) == (13, 0)
    assert {r: cpu.get_reg(r) for r in before} == before and cpu.get_reg("eip") == 0x1000
    cpu.set_reg("esp", 0x10)
    cpu.set_segment("ss", 0x23, 0, 0xFFF, type=0x3)
    cpu.set_segment("ds", 0x23, 0, 0xFFFFFFFF)
    e = run_code(cpu, bytes.fromhex("ff3500200000"))             # push dword [0x2000]: ESP-4 ok
    assert e is None and cpu.get_reg("esp") == 0xC
    cpu.set_reg("esp", 0x2)
    e = run_code(cpu, bytes.fromhex("50"))                       # push eax: wraps below 0 -> #SS
    assert e.vector == 12 and cpu.get_reg("esp") == 0x2


# FlatCPU's selectors are backed by a real GDT, so code may reload them
# (SDM Vol. 3A §3.4.3: a segment load reads the descriptor from the GDT).
@pytest.mark.parametrize("bits", [16, 32])
def test_flat_selectors_can_be_reloaded(bits):
    c = FlatCPU(bits=bits, cpl=3)
    c.write_mem(0x1000, bytes.fromhex("1e07" "8cd88ec0" "8ed0"))  # push ds; pop es; mov ax,ds; mov es,ax; mov ss,ax
    c.set_reg("eip", 0x1000)
    c.set_reg("esp", 0x8000)
    for _ in range(5):
        assert c.step() is None
    assert c.get_reg("es") == 0x23 and c.get_reg("ss") == 0x23


def test_flat_far_return_to_own_code_segment():
    c = FlatCPU(bits=32, cpl=0)
    c.write_mem(0x1000, bytes.fromhex("0e" "6800200000" "cb"))   # push cs; push 0x2000; retf
    c.set_reg("eip", 0x1000)
    c.set_reg("esp", 0x8000)
    for _ in range(3):
        assert c.step() is None
    assert c.get_reg("eip") == 0x2000 and c.get_reg("cs") == 0x08


def test_flat_set_reg_rejects_values_wider_than_32_bits():
    c = FlatCPU()
    with pytest.raises(ValueError):
        c.set_reg("eax", 1 << 32)


# An access that wraps past 4 GiB exceeds even a flat segment's limit:
# #GP(0), or #SS(0) for the stack (SDM Vol. 3A §5.3, §6.15 #GP/#SS).
@pytest.mark.parametrize("code,regs,vector", [
    ("8b03", {"ebx": 0xFFFFFFFE}, 13),      # mov eax, [ebx]
    ("8903", {"ebx": 0xFFFFFFFD}, 13),      # mov [ebx], eax
    ("50", {"esp": 2}, 12),                 # push eax
])
def test_flat_access_wrapping_past_4g_faults(code, regs, vector):
    c = FlatCPU(bits=32, cpl=3)
    c.write_mem(0x1000, bytes.fromhex(code))
    c.set_reg("eip", 0x1000)
    for k, v in regs.items():
        c.set_reg(k, v)
    e = c.step()
    assert e is not None and e.vector == vector and e.error_code == 0
    assert c.get_reg("eip") == 0x1000


def test_flat_access_ending_at_4g_is_fine():
    c = FlatCPU(bits=32, cpl=3, mem_size=16 << 20)
    c.write_mem(0x1000, bytes.fromhex("8b03"))      # mov eax, [ebx]
    c.set_reg("eip", 0x1000)
    c.set_reg("ebx", 0xFFFFFFFC)                    # the last dword of the 4 GiB space
    assert c.step() is None
