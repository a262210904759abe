"""CALL through a call gate to a more privileged level and RETF back,
against SDM Vol. 2A CALL Operation (CALL-GATE, MORE-PRIVILEGE): the new SS
and ESP come from the TSS for the target DPL, then "Push(oldSS:oldESP)",
the gate's parameter count of words (16-bit gate) or doublewords (32-bit
gate) copied from the caller's stack ("temp[...] <- ...; Push(temp) ...",
the caller's order kept), then "Push(oldCS:oldEIP)"; EIP is the gate's
offset (its low word for a 16-bit gate) and CS.RPL the new CPL.  RET
Operation (RETURN-TO-OUTER-PRIVILEGE-LEVEL): "ESP <- ESP + SRC" (the imm16)
on both stacks.  Unicorn 2.1.4 cannot run these (it aborts the host
process: see tests/test_cpu_segments_vs_unicorn.py, inner_gate), so every
byte is checked against the manual here: ring 3 to 0, 1 and 2, 16- and
32-bit gates, 0 to 3 parameters (and the 5-bit maximum, 31)."""

import struct

import pytest

from kw86.machine import Machine
from kw86.testing import desc, gate

GDT, TSS, CODE, TARGET = 0x1000, 0x2000, 0x8000, 0x9000    # below 64 KiB: 16-bit gates
USTACK = 0x30000
STACKS = {0: 0x38000, 1: 0x37000, 2: 0x36000}
CODE_SEL = {0: 0x08, 1: 0x29, 2: 0x3A}       # RPL = DPL
DATA_SEL = {0: 0x10, 1: 0x31, 2: 0x42}
UCODE, UDATA, TSS_SEL, GATE = 0x1B, 0x23, 0x48, 0x53


def machine(dpl, gate_size, params):
    m = Machine(mem_size=1 << 20)
    g = bytearray(0x58)
    g[0x08:0x10] = desc(0, 0xFFFFFFFF, 0xB, 0)
    g[0x10:0x18] = desc(0, 0xFFFFFFFF, 0x3, 0)
    g[0x18:0x20] = desc(0, 0xFFFFFFFF, 0xB, 3)
    g[0x20:0x28] = desc(0, 0xFFFFFFFF, 0x3, 3)
    g[0x28:0x30] = desc(0, 0xFFFFFFFF, 0xB, 1)
    g[0x30:0x38] = desc(0, 0xFFFFFFFF, 0x3, 1)
    g[0x38:0x40] = desc(0, 0xFFFFFFFF, 0xB, 2)
    g[0x40:0x48] = desc(0, 0xFFFFFFFF, 0x3, 2)
    g[0x48:0x50] = desc(TSS, 0x67, 0xB, 0, s=0, db=0)
    off = TARGET | (0xABCD0000 if gate_size == 16 else 0)    # a 16-bit gate ignores the high word
    g[0x50:0x58] = gate(CODE_SEL[dpl] & ~3, off, 0xC if gate_size == 32 else 0x4, 3,
                        params=params)
    m.write(GDT, bytes(g))
    m.set_gdt(GDT, len(g) - 1)
    t = bytearray(0x68)
    for ring in (0, 1, 2):
        struct.pack_into("<II", t, 4 + 8 * ring, STACKS[ring], DATA_SEL[ring])
    m.write(TSS, bytes(t))
    m.load_tr(TSS_SEL)
    m.load_segment("cs", UCODE)
    for s in ("ds", "es", "fs", "gs", "ss"):
        m.load_segment(s, UDATA)
    m.intercept = set(range(32))
    m.intercept_soft = True
    return m


@pytest.mark.parametrize("dpl", [0, 1, 2])
@pytest.mark.parametrize("gate_size", [32, 16])
@pytest.mark.parametrize("params", [0, 1, 2, 3, 31])
def test_call_gate_to_inner_level_and_back(dpl, gate_size, params):
    m = machine(dpl, gate_size, params)
    w = gate_size // 8
    fmt = "<I" if w == 4 else "<H"
    mask = 0xFFFFFFFF if w == 4 else 0xFFFF
    # the caller's stack: words 0x1111.. above ESP (parameter 0 at ESP)
    caller = [(0x11111111 * (k + 1)) & mask for k in range(params)]
    esp = USTACK - 0x100
    m.write(esp, b"".join(struct.pack(fmt, v) for v in caller) + bytes(4))
    m.write(CODE, bytes.fromhex("9a00000000" + f"{GATE:02x}00" + "90"))    # call far GATE:0
    # retf params*w, with the gate's operand size (66h: a 16-bit return frame)
    m.write(TARGET, (b"\x66" if w == 2 else b"") + bytes([0xCA]) + struct.pack("<H", params * w))
    m.set_reg("esp", esp)
    m.set_reg("eip", CODE)
    m.set_reg("eflags", 0x202)
    r = m.run(1)
    assert r.exception is None, r
    # at the target: CPL = DPL, CS.RPL = DPL, SS:ESP from the TSS ring entry
    assert m.cpl == dpl and m.get_reg("cs") == CODE_SEL[dpl] and m.get_reg("ss") == DATA_SEL[dpl]
    assert m.get_reg("eip") == TARGET
    top = STACKS[dpl]
    n = 4 + params
    new_esp = top - n * w
    assert m.get_reg("esp") == new_esp
    frame = [struct.unpack_from(fmt, m.read(new_esp, n * w), k * w)[0] for k in range(n)]
    # lowest first: EIP, CS, the parameters in the caller's order, ESP, SS
    assert frame[0] == (CODE + 7) & mask and frame[1] == UCODE
    assert frame[2:2 + params] == caller
    assert frame[2 + params] == esp & mask and frame[3 + params] == UDATA
    # RETF imm: back to ring 3, both stacks released by the imm16
    r = m.run(1)
    assert r.exception is None, r
    assert m.cpl == 3 and m.get_reg("cs") == UCODE and m.get_reg("ss") == UDATA
    assert m.get_reg("eip") == CODE + 7
    # (16-bit: "ESP <- Pop(); ESP <- ESP AND 0000FFFFH", then "ESP <- ESP + SRC"
    # on the 32-bit stack: the caller's upper half is not restored)
    assert m.get_reg("esp") == (esp + params * w if w == 4 else (esp & 0xFFFF) + params * w)
