"""x87 and MMX in the CPU: the host's own x87/MMX as the oracle (through
FlatCPU: decoding, memory operands, stores, FNSTSW AX, FCOMI's EFLAGS), CR0
EM/MP/TS/NE semantics, pending #MF, FIP/FOP/FDP, CPUID bits, the aliasing of
MMX on the x87 registers.  See tests/test_x87_native.py for the arithmetic."""
import random
import struct

import pytest

import x87_cases as C
import x87_oracle as O
from kw86.testing import FlatCPU

native = pytest.mark.skipif(not O.available(), reason="cannot run 32-bit x86 programs here")

CODE = 0x1000
MEM = 0x3000


def kw_run(state, insn, mem, cr0_extra=0):
    """Run insn (memory operand [disp32] = MEM_ADDR, relocated to MEM) on FlatCPU."""
    cpu = FlatCPU(x87=True)
    cpu.set_fpu(state)
    code = insn.replace(struct.pack("<I", O.MEM_ADDR), struct.pack("<I", MEM))
    cpu.write_mem(CODE, code)
    cpu.write_mem(MEM, (mem + bytes(160))[:160])
    cpu.set_reg("eip", CODE)
    cpu.set_reg("eflags", 0x2)
    exc = cpu.step()
    return cpu, exc


def compare_cpu(cases):
    bad = []
    for case, nat in zip(cases, O.run_native(cases)):
        cpu, exc = kw_run(*case)
        if exc is not None:
            fx = 8 if exc.vector == 6 else 0
            if not (nat[0] == 4 and exc.vector == 6):
                bad.append((case[1].hex(), f"kw86 exception {exc.vector}, host signal {nat[0]}"))
            continue
        if nat[0]:
            bad.append((case[1].hex(), f"host signal {nat[0]}"))
            continue
        img = bytearray(cpu.get_fpu())
        img[12:28] = bytes(16)          # FIP/FCS/FOP/FDP/FDS: host addresses
        nimg = bytearray(nat[1])
        nimg[12:28] = bytes(16)
        d = []
        if img != nimg:
            d.append("fpu state")
        if cpu.read_mem(MEM, 16) != nat[2]:
            d.append("memory")
        if (cpu.get_reg("eflags") & 0x8D5) != (nat[3] & 0x8D5):
            d.append(f"eflags {cpu.get_reg('eflags') & 0x8D5:03x} != {nat[3] & 0x8D5:03x}")
        if cpu.get_reg("eip") != CODE + len(case[1]):
            d.append("eip")
        if d:
            bad.append((case[1].hex(), d, C.fmt(case, nat, (bytes(img), cpu.read_mem(MEM, 16), 0, 0))))
    return bad


@native
@pytest.mark.parametrize("seed", range(2))
def test_x87_through_the_cpu_vs_host(seed):
    """Every D8-DF form (transcendentals too: compared bit-exact here only on
    random-state cases where they agree is not required, so they are left to
    test_x87_native), decoded and executed by the CPU, memory operands read
    and written through the MMU."""
    R = random.Random(seed)
    insns = C.instructions()
    cases = [(C.rand_state(R, 0x3F if R.random() < 0.8 else R.randrange(0x40)),
              R.choice(insns), C.rand_mem(R)) for _ in range(800)]
    bad = compare_cpu(cases)
    assert not bad, f"{len(bad)} of {len(cases)}: {bad[:5]}"


def _mmx_insns():
    out = []
    ops = ([0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6A, 0x6B, 0x6F,
            0x74, 0x75, 0x76, 0xD1, 0xD2, 0xD3, 0xD5, 0xD8, 0xD9, 0xDB, 0xDC, 0xDD, 0xDF,
            0xE1, 0xE2, 0xE5, 0xE8, 0xE9, 0xEB, 0xEC, 0xED, 0xEF, 0xF1, 0xF2, 0xF3, 0xF5,
            0xF8, 0xF9, 0xFA, 0xFC, 0xFD, 0xFE])
    for op in ops:
        for modrm in (0xC0, 0xC1, 0xCA, 0xD3, 0xFF, 0xE5):
            out.append(bytes([0x0F, op, modrm]))
        out.append(bytes([0x0F, op, 0x15]) + struct.pack("<I", O.MEM_ADDR))   # mm2, [mem]
    for op, reg in ((0x71, 2), (0x71, 4), (0x71, 6), (0x72, 2), (0x72, 4), (0x72, 6),
                    (0x73, 2), (0x73, 6)):
        for cnt in (0, 1, 7, 15, 16, 31, 32, 63, 64, 200):
            out.append(bytes([0x0F, op, 0xC0 | (reg << 3) | 3, cnt]))
    out += [bytes([0x0F, 0x7F, 0x1D]) + struct.pack("<I", O.MEM_ADDR),       # movq [mem], mm3
            bytes([0x0F, 0x7E, 0x25]) + struct.pack("<I", O.MEM_ADDR),       # movd [mem], mm4
            bytes([0x0F, 0x6E, 0x35]) + struct.pack("<I", O.MEM_ADDR),       # movd mm6, [mem]
            bytes([0x0F, 0x77])]                                             # emms
    return out


@native
def test_mmx_every_instruction_vs_host():
    """Every MMX instruction (register, memory, immediate-shift forms) with
    random operands: results, the x87 aliasing (TOP = 0, tags valid, 0xFFFF
    exponents on the written register) and EMMS, against the host."""
    R = random.Random(9)
    insns = _mmx_insns()
    cases = []
    for insn in insns:
        for _ in range(4):
            regs = [(R.choice([0, 0xFFFF, R.getrandbits(16)]),
                     R.choice([R.getrandbits(64), 0x8000800080008000, 0x7FFF7FFF80000001,
                               0xFFFFFFFFFFFFFFFF, R.getrandbits(64) & 0x00FF00FF00FF00FF]))
                    for _ in range(8)]
            top = R.randrange(8)
            tw = R.randrange(1 << 16)
            st = O.image(0x037F, top << 11, tw, regs)
            mem = R.choice([R.getrandbits(128).to_bytes(16, "little"),
                            struct.pack("<Q", R.randrange(70)) + bytes(8)])
            cases.append((st, insn, mem))
    bad = compare_cpu(cases)
    assert not bad, f"{len(bad)} of {len(cases)}: {bad[:5]}"


def _image16(R):
    """A 94-byte FRSTOR image in the 16-bit protected-mode format."""
    st = C.rand_state(R)
    cw, sw, tw = (int.from_bytes(st[k:k + 2], "little") for k in (0, 4, 8))
    ptrs = [R.getrandbits(16) for _ in range(4)]
    return struct.pack("<7H", cw, sw, tw, *ptrs) + st[28:108]


def _image32(R):
    st = bytearray(C.rand_state(R))
    st[12:16] = R.getrandbits(32).to_bytes(4, "little")                 # FIP
    st[16:20] = (R.getrandbits(16) | (R.getrandbits(11) << 16)).to_bytes(4, "little")  # FCS, FOP
    st[20:24] = R.getrandbits(32).to_bytes(4, "little")                 # FDP
    st[24:26] = R.getrandbits(16).to_bytes(2, "little")                 # FDS
    return bytes(st)


@native
def test_environment_and_save_images_vs_host():
    """FLDENV FNSTENV FRSTOR FNSAVE FLDCW FNSTCW FNSTSW, 32- and 16-bit
    operand size (66h): the images kw86 stores (tag word computed from the
    contents, TOP in the status word, FNSAVE's reinitialisation, FNSTENV's
    masking of all exceptions) and what it loads, against the host."""
    R = random.Random(21)
    a = struct.pack("<I", O.MEM_ADDR)
    forms = [(b"\xd9\x25", "env"), (b"\xd9\x35", None), (b"\xdd\x25", "sav"), (b"\xdd\x35", None),
             (b"\xd9\x2d", "cw"), (b"\xd9\x3d", None), (b"\xdd\x3d", None)]
    cases = []
    for _ in range(60):
        for op, load in forms:
            for o16 in (False, True):
                if load in ("env", "sav"):
                    mem = _image16(R) if o16 else _image32(R)
                    if load == "env":
                        mem = mem[:14] if o16 else mem[:28]
                elif load == "cw":
                    mem = struct.pack("<H", R.getrandbits(16))
                else:
                    mem = bytes(R.getrandbits(8) for _ in range(112))
                insn = (b"\x66" if o16 else b"") + op + a
                cases.append((C.rand_state(R, R.choice([0x3F, R.randrange(0x40)])), insn, mem))
    bad = []
    for case, nat in zip(cases, O.run_native(cases, memsize=112)):
        cpu, exc = kw_run(*case)
        assert exc is None and nat[0] == 0, case[1].hex()
        # FCS/FDS: this host deprecates them (stores 0: CPUID.7.EBX[13], SDM Vol. 1
        # §8.1.8); a P6 keeps the selectors, as kw86 does
        img, nimg = bytearray(cpu.get_fpu()), bytearray(nat[1])
        img[16:18] = img[24:26] = nimg[16:18] = nimg[24:26] = bytes(2)
        mem = cpu.read_mem(MEM, 112)
        if img != nimg or mem != nat[2]:
            diff = [k for k in range(108) if img[k] != nimg[k]]
            mdiff = [k for k in range(112) if mem[k] != nat[2][k]]
            bad.append((case[1].hex(), "state bytes", diff[:8], "memory bytes", mdiff[:8]))
    assert not bad, f"{len(bad)} of {len(cases)}: {bad[:6]}"


@native
def test_fxsave_fxrstor_vs_host():
    """FXSAVE (bytes 0-23 and 32-159: no MXCSR/XMM on this CPU) and FXRSTOR of
    random images, against the host; FCS/FDS masked as above."""
    R = random.Random(31)
    a = struct.pack("<I", O.MEM_ADDR)
    cases = []
    for _ in range(150):
        st = _image32(R)
        img = bytearray(R.getrandbits(8) for _ in range(160))
        img[0:2] = struct.pack("<H", 0x0040 | R.getrandbits(16) & 0x0F3F | 0x3F)
        img[2:4] = struct.pack("<H", R.getrandbits(16) & 0x7F7F)       # no ES/B pending
        img[24:32] = bytes(8)
        for k in range(8):                                          # fxrstor ignores the slot tails
            img[42 + 16 * k:48 + 16 * k] = bytes(6)
        cases.append((st, b"\x0f\xae\x05" + a, bytes(160)))          # fxsave
        cases.append((st, b"\x0f\xae\x0d" + a, bytes(img)))          # fxrstor
    bad = []
    for case, nat in zip(cases, O.run_native(cases, memsize=160)):
        cpu, exc = kw_run(*case)
        assert exc is None and nat[0] == 0, case[1].hex()
        img, nimg = bytearray(cpu.get_fpu()), bytearray(nat[1])
        img[16:18] = img[24:26] = nimg[16:18] = nimg[24:26] = bytes(2)
        mem, nmem = bytearray(cpu.read_mem(MEM, 160)), bytearray(nat[2])
        mem[12:14] = mem[20:22] = nmem[12:14] = nmem[20:22] = bytes(2)
        mem[24:32] = nmem[24:32] = bytes(8)                          # MXCSR: SSE hosts only
        if img != nimg or mem != nmem:
            bad.append((case[1].hex(), [k for k in range(108) if img[k] != nimg[k]][:8],
                        [k for k in range(160) if mem[k] != nmem[k]][:8]))
    assert not bad, f"{len(bad)} of {len(cases)}: {bad[:6]}"


def test_fxsave_alignment_em_ts_and_cpuid_cr4():
    cpu = cpu_with("0fae0508300000")                  # fxsave [0x3008]: misaligned
    assert cpu.step().vector == 13
    for cr0, vec in ((PE_ET_NE | 4, 6), (PE_ET_NE | 8, 7)):
        cpu = cpu_with("0fae0500300000", cr0=cr0)
        assert cpu.step().vector == vec
    cpu = cpu_with("0fa2", eax=1)
    assert cpu.step() is None and cpu.get_reg("edx") & (1 << 24)   # FXSR
    c0 = FlatCPU(cpl=0, x87=True)
    c0.write_mem(CODE, bytes.fromhex("0f22e0"))       # mov cr4, eax (OSFXSR)
    c0.set_reg("eip", CODE)
    c0.set_reg("eax", 0x200)
    assert c0.step() is None and c0.get_reg("cr4") == 0x200


# ---------------------------------------------------------------------------
# CR0, #NM, #MF, WAIT, pointers, CPUID

def cpu_with(code, cr0=None, **regs):
    cpu = FlatCPU(x87=True)
    if cr0 is not None:
        cpu.set_reg("cr0", cr0)
    cpu.write_mem(CODE, bytes.fromhex(code))
    cpu.set_reg("eip", CODE)
    for k, v in regs.items():
        cpu.set_reg(k, v)
    return cpu


PE_ET_NE = 0x00000031


@pytest.mark.parametrize("cr0_bits,x87_vec,mmx_vec,wait_vec", [
    (0x0, None, None, None),          # EM=0 MP=0 TS=0
    (0x2, None, None, None),          # MP
    (0x4, 7, 6, None),                # EM: x87 #NM, MMX #UD, WAIT runs
    (0x8, 7, 7, None),                # TS without MP: WAIT runs
    (0xA, 7, 7, 7),                   # TS and MP: WAIT #NM too
    (0xC, 7, 6, None),                # EM and TS: MMX #UD (EM first)
])
def test_cr0_em_mp_ts(cr0_bits, x87_vec, mmx_vec, wait_vec):
    """SDM Vol. 3A Table 2-2 (x87, WAIT) and Table 12-1 (MMX)."""
    for code, want in (("d9e8", x87_vec), ("0f6fc1", mmx_vec), ("9b", wait_vec)):
        cpu = cpu_with(code, cr0=PE_ET_NE | cr0_bits)
        e = cpu.step()
        assert (e.vector if e else None) == want, (code, hex(cr0_bits))
        if e:
            assert cpu.get_reg("eip") == CODE        # a fault: nothing committed


def test_unmasked_exception_is_pending_until_the_next_waiting_instruction():
    """fldcw unmasks ZE; fdiv by zero flags it (ES, B): no fault yet; fnstsw
    (non-waiting) runs; the next waiting instruction (fld1 / wait) takes #MF
    at its own address, and fnclex clears it."""
    # fldz; fld1; fldcw [0x3000]; fdiv st0, st1; fnstsw ax; fld1; ...
    cpu = cpu_with("d9ee d9e8 d92d00300000 d8f1 dfe0 d9e8")
    cpu.write_mem(MEM, struct.pack("<H", 0x037B))          # ZE unmasked
    for _ in range(5):
        assert cpu.step() is None
    assert cpu.get_reg("eax") & 0xFFFF & 0x8084 == 0x8084  # B, ES, ZE
    e = cpu.step()
    assert e.vector == 16 and cpu.get_reg("eip") == CODE + 14
    s = cpu.fpu_state()
    assert s["fip"] == CODE + 10 and s["fop"] == 0x0F1     # the fdiv: D8 F1
    cpu2 = cpu_with("9b")
    img = bytearray(cpu.get_fpu())
    cpu2.set_fpu(bytes(img))
    assert cpu2.step().vector == 16                        # WAIT: #MF
    cpu3 = cpu_with("dbe2 9b d9e8")                         # fnclex; wait; fld1
    cpu3.set_fpu(bytes(img))
    assert cpu3.run(3) is None


def test_mmx_takes_the_pending_mf_and_fxsave_does_not():
    """SDM Vol. 3A ch. 12: an MMX instruction with an unmasked x87 exception
    pending takes #MF; FXSAVE (like FNSAVE) does not check."""
    cpu = cpu_with("d9ee d9e8 d92d00300000 d8f1 0fae0500310000 0f6fc1")
    cpu.write_mem(MEM, struct.pack("<H", 0x037B))          # ZE unmasked; fdiv by 0
    assert cpu.run(5) is None                              # ... fxsave runs
    assert struct.unpack_from("<H", cpu.read_mem(0x3100, 4), 2)[0] & 0x8084 == 0x8084  # FSW
    e = cpu.step()
    assert e.vector == 16 and cpu.get_reg("eip") == CODE + 19


def test_fip_fdp_fop_and_16_bit_environment():
    """FIP/FCS/FOP of the last non-control instruction, FDP/FDS of its memory
    operand (SDM Vol. 1 §8.1.8-8.1.9); FNSTENV with a 16-bit operand size
    stores the 14-byte format and then masks every exception."""
    cpu = cpu_with("dd0500300000 d9e8 66d93510300000")    # fld qword [0x3000]; fld1; fnstenv [0x3010] (o16)
    cpu.write_mem(MEM, struct.pack("<d", 2.5))
    assert cpu.run(3) is None
    env = cpu.read_mem(MEM + 0x10, 14)
    cw, sw, tw, fip, fcs, fdp, fds = struct.unpack("<7H", env)
    assert cw == 0x037F and (sw >> 11) & 7 == 6 and tw == 0x0FFF
    assert fip == (CODE + 6) & 0xFFFF and fdp == MEM        # fld1 has no operand: FDP kept
    assert cpu.fpu_state()["fop"] == 0x1E8


def test_fnsave_frstor_round_trip_and_reinit():
    cpu = cpu_with("d9eb d9e8 dd3500300000 d9ee dd2500300000")   # fldpi; fld1; fnsave; fldz; frstor
    assert cpu.run(5) is None
    s = cpu.fpu_state()
    assert s["top"] == 6 and s["st"][0] == (0x3FFF, 1 << 63) and s["st"][1][1] == 0xC90FDAA22168C235
    saved = cpu.read_mem(MEM, 108)
    assert struct.unpack_from("<H", saved, 0)[0] == 0x037F


def test_store_fault_leaves_the_fpu_unchanged():
    """fstp to a read-only page: #GP/#PF before any state change (restartable)."""
    cpu = cpu_with("d9e8 dd1d00300000")
    cpu.set_segment("ds", 0x23, 0, 0xFFFFFFFF, type=0x1)   # read-only data
    assert cpu.step() is None
    before = cpu.get_fpu()
    e = cpu.step()
    assert e.vector == 13 and cpu.get_fpu() == before and cpu.get_reg("eip") == CODE + 2


def test_fcomi_and_fnstsw_ax_and_fcmov():
    # fld1; fldz; fcomi st0, st1 (0 < 1: CF); fcmovb st0, st1; fnstsw ax
    cpu = cpu_with("d9e8 d9ee dbf1 dac1 dfe0", eax=0xAAAA0000)
    assert cpu.run(5) is None
    assert cpu.get_reg("eflags") & 0x45 == 0x01
    assert cpu.fpu_state()["st"][0] == (0x3FFF, 1 << 63)
    assert cpu.get_reg("eax") >> 16 == 0xAAAA and (cpu.get_reg("eax") >> 11) & 7 == 6


def test_mmx_aliasing_and_emms():
    """movq writes MMn = R[n] with exponent 0xFFFF, TOP = 0, all tags valid;
    emms empties them; an x87 load then sees an empty stack."""
    cpu = cpu_with("d9e8 0f6e c0 0f77 d9ee", eax=0x12345678)   # fld1; movd mm0, eax; emms; fldz
    assert cpu.run(2) is None
    s = cpu.fpu_state()
    assert s["top"] == 0 and s["tw"] != 0xFFFF and s["mm"][0] == 0x12345678
    assert s["st"][0] == (0xFFFF, 0x12345678)
    assert cpu.run(2) is None
    s = cpu.fpu_state()
    assert s["top"] == 7 and s["tw"] == 0x7FFF and s["sw"] & 0x41 == 0   # R7 = +0, no stack fault


def test_cpuid_reports_fpu_and_mmx():
    cpu = cpu_with("0fa2", eax=1)
    assert cpu.step() is None
    edx = cpu.get_reg("edx")
    assert edx & 1 and edx & (1 << 23) and edx & (1 << 24)          # FPU, MMX, FXSR
