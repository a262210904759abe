"""Task switches, kw86 against Unicorn (QEMU's system-mode CPU, which models
far jmp/call to a TSS or a task gate and iret with NT=1; it does not deliver
interrupts or exceptions through the IDT -- its interrupt hook gets them --
so task gates in the IDT, the #DF case and the T flag are tested against
the manual only, in test_cpu_task.py).

Seeded random states (GPRs, arithmetic flags, the new task's registers and
EFLAGS, an LDT or none, paging on or off) for: jmp to a 32-bit TSS, call to
one and iret back, call and jmp through a GDT task gate, jmp to a 16-bit TSS,
and the checks before the commit point (busy target, TSS limit, not present,
iret to a back link that is not busy).  After each instruction: GPRs, EIP,
EFLAGS, the six selectors, TR, LDTR, CR0.TS, CR3, and the bytes of the GDT
and of every TSS.  On a fault: the vector (Unicorn's hook has no error code)
and an unchanged machine.

Where Unicorn is wrong: a switch to a 16-bit TSS reads the selectors at
0x22 + 4*i (the 32-bit stride) instead of 0x22 + 2*i (SDM Vol. 3A Figure
7-10: ES 22H, CS 24H, SS 26H, DS 28H, LDT 2AH), so CS gets the SS field and
SS the LDT field (#TS for a null SS).  For jmp16 kw86 is checked against the
manual's layout instead, and test_unicorn_16bit_tss_bug shows the bug."""

import random
import struct

import pytest
from unicorn import Uc, UcError, UC_ARCH_X86, UC_MODE_32, UC_HOOK_INTR
from unicorn.x86_const import (UC_X86_REG_EAX, UC_X86_REG_ECX, UC_X86_REG_EDX, UC_X86_REG_EBX,
    UC_X86_REG_ESP, UC_X86_REG_EBP, UC_X86_REG_ESI, UC_X86_REG_EDI, UC_X86_REG_EIP,
    UC_X86_REG_EFLAGS, UC_X86_REG_ES, UC_X86_REG_CS, UC_X86_REG_SS, UC_X86_REG_DS,
    UC_X86_REG_FS, UC_X86_REG_GS, UC_X86_REG_GDTR, UC_X86_REG_TR, UC_X86_REG_LDTR,
    UC_X86_REG_CR0, UC_X86_REG_CR3)

from kw86.machine import Machine
from kw86.testing import desc, gate

from test_cpu_task import tss32, tss16, tss_desc

MEM = 1 << 20
GDT, TSS1, TSS2, TSS3, LDT, PD, PT = 0x1000, 0x3000, 0x6000, 0x6200, 0x7000, 0x8000, 0x9000
CODE1, CODE2, CODE3, STACK1, STACK2 = 0x10000, 0x11000, 0x12000, 0x40000, 0x48000
KCODE, KDATA, SEL1, SEL2, SEL16, GATE2, LDTSEL = 0x08, 0x10, 0x28, 0x30, 0x38, 0x40, 0x48
UC_GPRS = [UC_X86_REG_EAX, UC_X86_REG_ECX, UC_X86_REG_EDX, UC_X86_REG_EBX, UC_X86_REG_ESP,
           UC_X86_REG_EBP, UC_X86_REG_ESI, UC_X86_REG_EDI]
UC_SEGS = [UC_X86_REG_ES, UC_X86_REG_CS, UC_X86_REG_SS, UC_X86_REG_DS, UC_X86_REG_FS,
           UC_X86_REG_GS]
GPRS = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"]
SEGS = ["es", "cs", "ss", "ds", "fs", "gs"]
ARITH = 0x8D5


def gdt_image(tss2_limit=0x67, tss2_present=1):
    g = bytearray(0x50)
    g[0x08:0x10] = desc(0, 0xFFFFFFFF, 0xB, 0)
    g[0x10:0x18] = desc(0, 0xFFFFFFFF, 0x3, 0)
    g[0x18:0x20] = desc(0x20000, 0xFFFF, 0x3, 0)           # a data segment with base 0x20000
    g[SEL1:SEL1 + 8] = tss_desc(TSS1, 0x67, busy=True)     # the running task (ltr'd)
    g[SEL2:SEL2 + 8] = tss_desc(TSS2, tss2_limit, p=tss2_present)
    g[SEL16:SEL16 + 8] = tss_desc(TSS3, 0x2B, bits=16)
    g[GATE2:GATE2 + 8] = gate(SEL2, 0, 0x5, 0)
    g[LDTSEL:LDTSEL + 8] = desc(LDT, 0xF, 0x2, 0, s=0, db=0)
    return bytes(g)


class Pair:
    def __init__(self, image, regs, eflags, paging):
        """image: {address: bytes} written to both machines."""
        self.uc = uc = Uc(UC_ARCH_X86, UC_MODE_32)
        uc.mem_map(0, MEM)
        self.kw = kw = Machine(mem_size=MEM)
        for a, b in image.items():
            uc.mem_write(a, b)
            kw.write(a, b)
        glen = len(image[GDT])
        uc.reg_write(UC_X86_REG_GDTR, (0, GDT, glen - 1, 0))
        kw.set_gdt(GDT, glen - 1)
        cr0 = 0x80000011 if paging else 0x11
        if paging:
            uc.reg_write(UC_X86_REG_CR3, PD)
            kw.set_cr(3, PD)
        uc.reg_write(UC_X86_REG_CR0, cr0)
        kw.set_cr(0, cr0)
        uc.reg_write(UC_X86_REG_CS, KCODE)
        kw.load_segment("cs", KCODE)
        for s, r in zip(SEGS, UC_SEGS):
            if s != "cs":
                uc.reg_write(r, KDATA)
                kw.load_segment(s, KDATA)
        uc.reg_write(UC_X86_REG_TR, (SEL1, TSS1, 0x67, 0x8B))
        kw.load_tr(SEL1)
        for r, n, v in zip(UC_GPRS, GPRS, regs):
            uc.reg_write(r, v)
            kw.set_reg(n, v)
        uc.reg_write(UC_X86_REG_EFLAGS, eflags)
        kw.set_reg("eflags", eflags)
        uc.reg_write(UC_X86_REG_EIP, CODE1)
        kw.set_reg("eip", CODE1)
        kw.intercept = set(range(32))
        kw.intercept_soft = True
        self.vector = None
        uc.hook_add(UC_HOOK_INTR, self._intr)

    def _intr(self, uc, n, data):
        self.vector = n
        uc.emu_stop()

    def step(self):
        self.vector = None
        try:
            self.uc.emu_start(self.uc.reg_read(UC_X86_REG_EIP), 0xFFFFFFFF, count=1)
        except UcError as e:
            return ("error", str(e)), None
        r = self.kw.run(1)
        kv = r.exception.vector if r.exception is not None else None
        return self.vector, kv

    def state(self, which):
        if which == "uc":
            uc = self.uc
            return dict(
                gprs=[uc.reg_read(r) for r in UC_GPRS], eip=uc.reg_read(UC_X86_REG_EIP),
                eflags=uc.reg_read(UC_X86_REG_EFLAGS) & ~0x10000,
                sels=[uc.reg_read(r) for r in UC_SEGS], tr=uc.reg_read(UC_X86_REG_TR)[0],
                ldtr=uc.reg_read(UC_X86_REG_LDTR)[0], ts=uc.reg_read(UC_X86_REG_CR0) & 8,
                cr3=uc.reg_read(UC_X86_REG_CR3), mem=self._mem(uc.mem_read))
        kw = self.kw
        return dict(
            gprs=[kw.get_reg(n) for n in GPRS], eip=kw.get_reg("eip"),
            eflags=kw.get_reg("eflags") & ~0x10000, sels=[kw.get_reg(s) for s in SEGS],
            tr=kw.get_segment("tr").selector, ldtr=kw.get_segment("ldtr").selector,
            ts=kw.get_cr(0) & 8, cr3=kw.get_cr(3), mem=self._mem(kw.read))

    @staticmethod
    def _mem(read):
        return [bytes(read(a, n)) for a, n in ((GDT, 0x50), (TSS1, 0x68), (TSS2, 0x68),
                                               (TSS3, 0x2C))]

    def compare(self, what):
        u, k = self.state("uc"), self.state("kw")
        for key in u:
            assert u[key] == k[key], (what, key, u[key], k[key])


def scenario(rng, kind):
    regs = [rng.getrandbits(32) for _ in range(8)]
    regs[4] = STACK1
    eflags = 0x202 | (rng.getrandbits(12) & ARITH)
    paging = rng.random() < 0.5
    image = {GDT: gdt_image(tss2_limit=0x66 if kind == "limit" else 0x67 + rng.choice([0, 0x100]),
                            tss2_present=0 if kind == "np" else 1)}
    g2 = [rng.getrandbits(32) for _ in range(8)]
    fl2 = 0x2 | (rng.getrandbits(12) & ARITH) | rng.choice([0, 0x200]) | rng.choice([0, 0x4000])
    use_ldt = rng.random() < 0.5
    image[LDT] = desc(0x30000, 0xFFFF, 0x3, 0) + desc(0, 0xFFFFFFFF, 0x3, 0)
    ds2 = rng.choice([KDATA, 0x18, 0]) if not use_ldt else rng.choice([0x04, 0x0C, KDATA])
    # the running task's static CR3 field: what an iret back to it loads
    image[TSS1] = bytes(0x1C) + struct.pack("<I", PD if paging else 0) + bytes(0x48)
    image[TSS2] = tss32(CODE2, STACK2, eflags=fl2, gprs=g2, ds=ds2, es=rng.choice([KDATA, 0]),
                        fs=rng.choice([KDATA, 0x18]), ldt=LDTSEL if use_ldt else 0,
                        cr3=PD if paging else rng.getrandbits(20) << 12,
                        link=rng.getrandbits(16))
    image[TSS3] = tss16(0xC000, 0x2000, flags=0x2 | (rng.getrandbits(12) & ARITH),
                        gprs=[rng.getrandbits(16) for _ in range(8)])
    image[CODE2] = bytes.fromhex("cf")              # iretd
    image[0xC000] = bytes.fromhex("90")
    if paging:
        image[PD] = struct.pack("<I", PT | 3) + bytes(4092)
        image[PT] = b"".join(struct.pack("<I", (k << 12) | 3) for k in range(256))
    code = {"jmp": "ea00000000" "3000", "call": "9a00000000" "3000",
            "gate_call": "9a00000000" "4000", "gate_jmp": "ea00000000" "4000",
            "jmp16": "ea00000000" "3800", "busy": "ea00000000" "2800",
            "busy_call": "9a00000000" "2800", "limit": "ea00000000" "3000",
            "np": "9a00000000" "3000", "iret_free": "cf"}[kind]
    image[CODE1] = bytes.fromhex(code)
    if kind == "iret_free":
        eflags |= 0x4000
        image[TSS1] = struct.pack("<I", SEL2) + image[TSS1][4:]   # back link: TSS2, not busy
    return Pair(image, regs, eflags, paging)


KINDS = ["jmp", "call", "gate_call", "gate_jmp", "jmp16", "busy", "busy_call", "limit", "np",
         "iret_free"]
FAULTS = {"busy": 13, "busy_call": 13, "limit": 10, "np": 11, "iret_free": 10}


def check_16bit_by_the_manual(p):
    """kw86 after `jmp` to the 16-bit TSS3: SDM Vol. 3A Figure 7-10 / §7.6."""
    t = p.kw.read(TSS3, 0x2C)
    ip, flags = struct.unpack_from("<HH", t, 0x0E)
    regs = struct.unpack_from("<8H", t, 0x12)
    es, cs, ss, ds, ldt = struct.unpack_from("<5H", t, 0x22)
    k = p.state("kw")
    assert k["eip"] == ip + 1 and k["eflags"] == flags
    assert k["gprs"] == [0xFFFF0000 | r for r in regs]
    assert k["sels"] == [es, cs, ss, ds, 0, 0] and k["tr"] == SEL16 and k["ldtr"] == ldt
    assert k["mem"][0][SEL16 + 5] & 2 and not k["mem"][0][SEL1 + 5] & 2
    assert struct.unpack_from("<I", k["mem"][1], 0x20)[0] == CODE1 + 7


def test_unicorn_16bit_tss_bug():
    p = scenario(random.Random("task-jmp16"), "jmp16")
    uv, kv = p.step()
    assert (uv, kv) == (10, None)
    u = p.state("uc")
    assert u["sels"][1] == KDATA and u["sels"][2] == 0      # CS <- the SS field, SS <- LDT
    p.kw.run(1)                                             # the nop at 0xC000
    check_16bit_by_the_manual(p)


@pytest.mark.parametrize("kind", KINDS)
def test_task_switch_vs_unicorn(kind):
    rng = random.Random(f"task-{kind}")
    for _ in range(25):
        p = scenario(rng, kind)
        before = p.state("kw")
        if kind == "jmp16":
            p.kw.run(1)
            p.kw.run(1)                                 # the nop at 0xC000
            check_16bit_by_the_manual(p)
            continue
        uv, kv = p.step()
        if kind in FAULTS:
            assert uv == kv == FAULTS[kind], (uv, kv)
            assert p.state("kw") == before              # nothing changed (old task's fault)
            p.compare(kind)
            continue
        assert uv is None and kv is None, (uv, kv)
        p.compare(kind)
        if kind in ("call", "gate_call"):
            uv, kv = p.step()                           # iretd in task 2: back to task 1
            assert uv is None and kv is None, (uv, kv)
            p.compare(kind + "+iret")
