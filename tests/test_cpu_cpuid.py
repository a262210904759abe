"""CPUID against what the machine does: every feature bit of leaf 1 that
kw86 reports has its instructions (or control bits) working, every
instruction-set feature it does not report is #UD in the decoder and the
executor, and the identification leaves follow the manual.

Reported (leaf 1 EDX, SDM Vol. 2A CPUID Table 3-11 'Feature Information'):
FPU(0) DE(2) PSE(3) TSC(4) MSR(5) CX8(8) SEP(11) PGE(13) CMOV(15) MMX(23)
FXSR(24); ECX 0 (none of SSE3 and later).  Not reported: VME PAE MCE APIC
MTRR MCA PAT PSE-36 PSN CLFSH DS ACPI SSE SSE2 SS HTT TM PBE."""

import struct

import pytest

from kw86.decoder import decode
from kw86.testing import FlatCPU

AT = 0x1000


def run(code, cpl=0, x87=True, **regs):
    cpu = FlatCPU(cpl=cpl, x87=x87)
    cpu.write_mem(AT, bytes.fromhex(code.replace(" ", "")) + b"\x90" * 8)
    cpu.set_reg("eip", AT)
    cpu.set_reg("esp", 0x8000)
    for k, v in regs.items():
        cpu.set_reg(k, v)
    return cpu, cpu.step()


def cpuid(leaf, cpl=3):
    cpu, e = run("0fa2", cpl=cpl, eax=leaf, ecx=0x5A5A5A5A, ebx=0x11, edx=0x22)
    assert e is None
    return tuple(cpu.get_reg(r) for r in ("eax", "ebx", "ecx", "edx"))


REPORTED_EDX = {0: "FPU", 2: "DE", 3: "PSE", 4: "TSC", 5: "MSR", 8: "CX8", 11: "SEP",
                13: "PGE", 15: "CMOV", 23: "MMX", 24: "FXSR"}


def test_identification_leaves():
    a, b, c, d = cpuid(0)
    assert a == 2 and struct.pack("<III", b, d, c) == b"GenuineIntel"
    a, b, c, d = cpuid(1)
    # family 6 model 6 (Celeron Mendocino), no extended family/model fields
    assert (a >> 8) & 0xF == 6 and (a >> 4) & 0xF == 6 and a >> 12 == 0
    assert b == 0 and c == 0
    assert d == sum(1 << k for k in REPORTED_EDX), f"{d:#x}"
    # SDM Vol. 2A CPUID: an input above the highest basic leaf returns the
    # highest basic leaf's data (on a processor without extended leaves, the
    # 8000000xh inputs too)
    assert cpuid(3) == cpuid(2) == cpuid(0x80000000) == cpuid(0xFFFFFFFF)
    # CPUID is not privileged
    assert cpuid(1, cpl=3) == cpuid(1, cpl=0)


# one instruction per reported instruction-set feature: decodes and runs
REPORTED_INSNS = [
    ("FPU", "d9e8"),                    # fld1
    ("FPU", "dbf1"),                    # fcomi st, st1 (P6 FPU)
    ("CMOV", "dac1"),                   # fcmovb st, st1
    ("TSC", "0f31"),                    # rdtsc
    ("MSR", "0f32"),                    # rdmsr (ECX = 10h: the TSC)
    ("CX8", "0fc70e"),                  # cmpxchg8b [esi]
    ("CMOV", "0f44c1"),                 # cmove eax, ecx
    ("MMX", "0ffcc1"),                  # paddb mm0, mm1
    ("MMX", "0f77"),                    # emms
    ("FXSR", "0fae06"),                 # fxsave [esi]
    ("FXSR", "0fae0e"),                 # fxrstor [esi]
]


@pytest.mark.parametrize("feature,code", REPORTED_INSNS, ids=[f"{f}-{c}" for f, c in REPORTED_INSNS])
def test_reported_features_execute(feature, code):
    assert decode(bytes.fromhex(code) + bytes(8)).valid
    cpu, e = run(code, ecx=0x10, esi=0x4000)
    assert e is None, (feature, code, e)


def test_sep_sysenter_runs():
    # SEP: SYSENTER with SYSENTER_CS set (MSR 174h) -> ring 0 at SYSENTER_EIP
    cpu = FlatCPU(cpl=3)
    cpu.machine.set_msr(0x174, 0x08)
    cpu.machine.set_msr(0x175, 0x9000)
    cpu.machine.set_msr(0x176, 0x5000)
    cpu.write_mem(AT, bytes.fromhex("0f34"))
    cpu.set_reg("eip", AT)
    assert cpu.step() is None
    assert cpu.get_reg("eip") == 0x5000 and cpu.get_reg("esp") == 0x9000
    assert cpu.machine.cpl == 0


@pytest.mark.parametrize("bit,value", [(2, "DE"), (3, "PSE"), (7, "PGE"), (8, "PCE"),
                                       (9, "OSFXSR")])
def test_reported_cr4_bits_are_writable(bit, value):
    cpu = FlatCPU(cpl=0)
    cpu.set_reg("eax", 1 << bit)
    cpu.write_mem(AT, bytes.fromhex("0f22e0 0f20e1"))      # mov cr4, eax; mov ecx, cr4
    cpu.set_reg("eip", AT)
    assert cpu.step() is None and cpu.step() is None
    assert cpu.get_reg("ecx") == 1 << bit


@pytest.mark.parametrize("bit,feature", [(0, "VME"), (1, "PVI"), (5, "PAE"), (6, "MCE"),
                                         (10, "OSXMMEXCPT")])
def test_unreported_cr4_bits_are_gp(bit, feature):
    # SDM Vol. 3A §2.5: setting a CR4 bit the processor does not support: #GP(0)
    cpu = FlatCPU(cpl=0)
    cpu.set_reg("eax", 1 << bit)
    cpu.write_mem(AT, bytes.fromhex("0f22e0"))
    cpu.set_reg("eip", AT)
    e = cpu.step()
    assert e is not None and (e.vector, e.error_code) == (13, 0), feature


# instructions of features kw86 does not report: #UD (decoder and executor)
UNREPORTED = [
    ("SSE", "0f28c1"),                  # movaps xmm0, xmm1
    ("SSE", "0f58c1"),                  # addps
    ("SSE", "0fae16"),                  # ldmxcsr [esi]
    ("SSE", "0faef8"),                  # sfence
    ("SSE", "0fe7 06"),                 # movntq [esi], mm0 (SSE's MMX extension)
    ("SSE", "0fe0c1"),                  # pavgb mm0, mm1
    ("SSE", "0fc4c100"),                # pinsrw mm0, ecx, 0
    ("SSE2", "660f28c1"),               # movapd
    ("SSE2", "0faef0"),                 # mfence
    ("SSE2", "0faee8"),                 # lfence
    ("SSE2", "0fd4c1"),                 # paddq mm0, mm1
    ("CLFSH", "0fae3e"),                # clflush [esi]
    ("SSE3", "f20f7cc1"),               # haddps
    ("MONITOR", "0f01c8"),              # monitor
    ("POPCNT", "f30fb8c1"),             # popcnt (P6: JMPE space, #UD)
    ("3DNow!", "0f0fc1b4"),             # pfmul (AMD)
    ("SYSCALL", "0f05"),                # syscall (AMD K6, not Intel P6)
    ("MOVBE", "0f38f006"),
    ("VEX", "c5f877"),                  # vzeroupper; on a P6 C5 with mod 11 is LDS r: #UD too
]


@pytest.mark.parametrize("feature,code", UNREPORTED, ids=[f"{f}-{c}" for f, c in UNREPORTED])
def test_unreported_features_are_ud(feature, code):
    b = bytes.fromhex(code.replace(" ", "")) + bytes(8)
    assert not decode(b).valid
    cpu, e = run(code, esi=0x4000)
    assert e is not None and e.vector == 6, (feature, code, e)


@pytest.mark.parametrize("cpl", [0, 3])
@pytest.mark.parametrize("tsd", [0, 1])
def test_rdtsc_time_stamp_disable(cpl, tsd):
    """RDTSC: #GP(0) when CR4.TSD = 1 and CPL > 0 (SDM Vol. 2B RDTSC); the
    counter (EDX:EAX) is the modelled cycle count and counts up."""
    cpu = FlatCPU(cpl=cpl)
    cpu.machine.set_cr(4, tsd << 2)
    cpu.write_mem(AT, bytes.fromhex("0f31 89c3 0f31"))     # rdtsc; mov ebx, eax; rdtsc
    cpu.set_reg("eip", AT)
    e = cpu.step()
    if tsd and cpl:
        assert (e.vector, e.error_code) == (13, 0) and cpu.get_reg("eip") == AT
        return
    assert e is None and cpu.step() is None and cpu.step() is None
    assert cpu.get_reg("edx") == 0 and cpu.get_reg("eax") > cpu.get_reg("ebx")


@pytest.mark.parametrize("cpl,pce,ecx,fault", [(3, 0, 0, True), (3, 1, 0, False), (0, 0, 1, False),
                                               (0, 0, 2, True), (3, 1, 0x80000000, True)])
def test_rdpmc_checks(cpl, pce, ecx, fault):
    """RDPMC: #GP(0) at CPL > 0 without CR4.PCE, or for a counter number
    other than 0/1 (P6: two counters; SDM Vol. 2B RDPMC)."""
    cpu = FlatCPU(cpl=cpl)
    cpu.machine.set_cr(4, pce << 8)
    e = run_on(cpu, "0f33", ecx=ecx)
    assert (e is not None and (e.vector, e.error_code) == (13, 0)) == fault


def run_on(cpu, code, **regs):
    cpu.write_mem(AT, bytes.fromhex(code))
    cpu.set_reg("eip", AT)
    for k, v in regs.items():
        cpu.set_reg(k, v)
    return cpu.step()
