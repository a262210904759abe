"""Directed tests of the integer families (shifts, mul/div, bit ops, setcc/
cmovcc, xchg/xadd/cmpxchg, bswap, bcd, ud*) on their tricky cases, each
checked against the Intel SDM Vol. 2 entry named in the test."""

import pytest

from kw86.testing import FlatCPU

CF, PF, AF, ZF, SF, DF, OF = 0x1, 0x4, 0x10, 0x40, 0x80, 0x400, 0x800
ARITH = CF | PF | AF | ZF | SF | OF
AT = 0x1000
DATA = 0x20000


def run(code, bits=32, flags=0, cpu=None, **regs):
    """Execute the hex code (one or more instructions) from AT; returns
    (cpu, exception or None).  Registers in regs; flags = arithmetic flags."""
    cpu = cpu or FlatCPU(bits=bits, cpl=3)
    code = bytes.fromhex(code.replace(" ", ""))
    cpu.write_mem(AT, code)
    cpu.set_reg("eip", AT)
    cpu.set_reg("esp", regs.pop("esp", 0x80000))
    for k, v in regs.items():
        cpu.set_reg(k, v & 0xFFFFFFFF)
    cpu.set_reg("eflags", 0x202 | flags)
    for _ in range(100):
        if cpu.get_reg("eip") >= AT + len(code):
            return cpu, None
        e = cpu.step()
        if e is not None:
            return cpu, e
    raise AssertionError("did not finish")


def fl(cpu):
    return cpu.get_reg("eflags")


# --- shifts and rotates: SDM Vol. 2B SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR ------------

def test_shift_count_zero_changes_nothing():
    # shl eax, 0 / shl eax, cl with cl = 32 (masked to 0): flags kept, even with CF/OF/ZF set
    for code, ecx in (("c1e000", 0), ("d3e0", 32), ("d3e8", 64), ("d3f8", 0xE0)):
        cpu, e = run(code, eax=0x80000001, ecx=ecx, flags=CF | OF | ZF | AF)
        assert e is None
        assert cpu.get_reg("eax") == 0x80000001
        assert fl(cpu) & ARITH == CF | OF | ZF | AF


def test_shl_flags_count_1_and_31():
    cpu, _ = run("d1e0", eax=0x40000000)               # shl eax, 1
    assert cpu.get_reg("eax") == 0x80000000
    assert fl(cpu) & (CF | OF | SF | ZF) == OF | SF     # OF = MSB(res) ^ CF
    cpu, _ = run("c1e01f", eax=0x3)                     # shl eax, 31
    assert cpu.get_reg("eax") == 0x80000000 and fl(cpu) & CF == 1


def test_byte_shifts_beyond_the_size():
    # shl al, 8: CF = old bit 0; shl al, 9..31: result 0, CF 0 (SDM loop semantics)
    cpu, _ = run("c0e008", eax=0x1234_5601)
    assert cpu.get_reg("eax") == 0x1234_5600 and fl(cpu) & (CF | ZF) == CF | ZF
    cpu, _ = run("c0e00c", eax=0xFF)
    assert cpu.get_reg("eax") & 0xFF == 0 and fl(cpu) & CF == 0
    cpu, _ = run("c0e81f", eax=0xFF)                    # shr al, 31
    assert cpu.get_reg("eax") & 0xFF == 0 and fl(cpu) & CF == 0
    cpu, _ = run("c0f814", eax=0x80)                    # sar al, 20: all sign, CF = sign
    assert cpu.get_reg("eax") & 0xFF == 0xFF and fl(cpu) & CF == CF
    cpu, _ = run("66c1e810", eax=0x8001)                # shr ax, 16: CF = bit 15
    assert cpu.get_reg("eax") & 0xFFFF == 0 and fl(cpu) & CF == CF


def test_shr_sar_overflow_flag():
    cpu, _ = run("d1e8", eax=0x80000000)                # shr 1: OF = old MSB
    assert fl(cpu) & OF
    cpu, _ = run("d1f8", eax=0x80000000)                # sar 1: OF = 0
    assert not fl(cpu) & OF and cpu.get_reg("eax") == 0xC0000000


def test_rcl_rcr_count_modulo_size_plus_one():
    # 8-bit: count mod 9; count 9 rotates through all 9 bits: no change at all
    cpu, _ = run("c0d009", eax=0x81, flags=CF | OF)    # rcl al, 9
    assert cpu.get_reg("eax") & 0xFF == 0x81 and fl(cpu) & (CF | OF) == CF | OF
    cpu, _ = run("66c1d011", eax=0x8001, flags=0)       # rcl ax, 17
    assert cpu.get_reg("eax") & 0xFFFF == 0x8001 and fl(cpu) & CF == 0
    cpu, _ = run("c0d80a", eax=0x01, flags=0)           # rcr al, 10 == rcr al, 1
    assert cpu.get_reg("eax") & 0xFF == 0x00 and fl(cpu) & CF == CF
    cpu, _ = run("c0d001", eax=0x80, flags=CF)          # rcl al, 1: CF in at bit 0
    assert cpu.get_reg("eax") & 0xFF == 0x01 and fl(cpu) & (CF | OF) == CF | OF
    cpu, _ = run("c1d820", eax=0x1234, flags=CF)        # rcr eax, 32: masked to 0
    assert cpu.get_reg("eax") == 0x1234 and fl(cpu) & CF
    cpu, _ = run("d1d8", eax=0x1, flags=CF)             # rcr eax, 1
    assert cpu.get_reg("eax") == 0x80000000 and fl(cpu) & (CF | OF) == CF | OF


def test_rol_ror_multiple_of_size_sets_cf():
    # rol al, 8: value unchanged but CF = LSB (SDM: CF set for any non-zero masked count)
    cpu, _ = run("c0c008", eax=0x01, flags=0)
    assert cpu.get_reg("eax") & 0xFF == 1 and fl(cpu) & CF
    cpu, _ = run("c0c810", eax=0x80, flags=0)           # ror al, 16
    assert cpu.get_reg("eax") & 0xFF == 0x80 and fl(cpu) & CF
    cpu, _ = run("c1c004", eax=0x12345678)              # rol eax, 4
    assert cpu.get_reg("eax") == 0x23456781 and fl(cpu) & CF


def test_shld_shrd():
    cpu, _ = run("0fa4d808", eax=0x11223344, ebx=0xAABBCCDD)       # shld eax, ebx, 8
    assert cpu.get_reg("eax") == 0x223344AA
    cpu, _ = run("0facd808", eax=0x11223344, ebx=0xAABBCCDD)       # shrd eax, ebx, 8
    assert cpu.get_reg("eax") == 0xDD112233
    cpu, _ = run("0fa4d800", eax=0x11223344, ebx=1, flags=CF | ZF)  # count 0
    assert cpu.get_reg("eax") == 0x11223344 and fl(cpu) & ARITH == CF | ZF
    # 16-bit with count > 16 (SDM: undefined): the P6 shifts dest:src:dest
    cpu, _ = run("660fa4d814", eax=0x1234, ebx=0xABCD)              # shld ax, bx, 20
    t = (0x1234 << 32) | (0xABCD << 16) | 0x1234
    assert cpu.get_reg("eax") & 0xFFFF == (t >> 12) & 0xFFFF
    cpu, _ = run("660facd814", eax=0x1234, ebx=0xABCD)              # shrd ax, bx, 20
    assert cpu.get_reg("eax") & 0xFFFF == (t >> 20) & 0xFFFF


def test_shift_memory_count0_rmw_on_readonly_segment_faults():
    # the destination is a write operand whatever the count
    cpu = FlatCPU()
    cpu.set_segment("ds", 0x23, 0, 0xFFFFFFFF, type=0x1)            # read-only data
    cpu, e = run("c12300", cpu=cpu, ebx=DATA)                       # shl dword [ebx], 0
    assert e is not None and e.vector == 13


# --- mul / div: SDM Vol. 2A DIV, IDIV, IMUL; Vol. 2B MUL ----------------------------

def test_div_by_zero_changes_nothing():
    cpu, e = run("f7f1", eax=0x1234, edx=0x5678, ecx=0, flags=CF)
    assert e.vector == 0
    assert (cpu.get_reg("eax"), cpu.get_reg("edx"), cpu.get_reg("eip")) == (0x1234, 0x5678, AT)
    assert fl(cpu) & ARITH == CF


@pytest.mark.parametrize("code,eax,edx,ecx", [
    ("f7f9", 0x80000000, 0xFFFFFFFF, 0xFFFFFFFF),   # idiv: -2^31 / -1
    ("f7f9", 0, 0x80000000, 0xFFFFFFFF),            # idiv: -2^63 / -1 (no host trap!)
    ("f7f1", 0, 1, 1),                              # div: quotient 2^32
    ("f6f9", 0x8000, 0, 0xFF),                      # idiv al: -32768 / -1
    ("f6f1", 0x100, 0, 1),                          # div al: 256 / 1
    ("66f7f9", 0x0000, 0x8000, 0xFFFF),             # idiv ax: -2^31 / -1
])
def test_divide_overflow_is_de(code, eax, edx, ecx):
    cpu, e = run(code, eax=eax, edx=edx, ecx=ecx)
    assert e is not None and e.vector == 0
    assert (cpu.get_reg("eax"), cpu.get_reg("edx"), cpu.get_reg("eip")) == (eax, edx, AT)


def test_idiv_limits():
    cpu, e = run("f6f9", eax=0xFF00, ecx=2)             # -256 / 2 = -128: fits
    assert e is None and cpu.get_reg("eax") & 0xFFFF == 0x0080
    cpu, e = run("f7f9", eax=0xFFFFFFF9, edx=0xFFFFFFFF, ecx=2)     # -7 / 2
    assert cpu.get_reg("eax") == 0xFFFFFFFD and cpu.get_reg("edx") == 0xFFFFFFFF
    cpu, e = run("f7f1", eax=0xFFFFFFFF, edx=0xFFFFFFFE, ecx=0xFFFFFFFF)   # div max
    assert e is None and cpu.get_reg("eax") == 0xFFFFFFFF and cpu.get_reg("edx") == 0xFFFFFFFE


def test_mul_imul_flags():
    cpu, _ = run("f7e1", eax=0x10000, ecx=0x10000)      # mul ecx
    assert (cpu.get_reg("edx"), cpu.get_reg("eax")) == (1, 0) and fl(cpu) & (CF | OF) == CF | OF
    cpu, _ = run("f7e9", eax=0xFFFFFFFF, ecx=5)         # imul ecx: -5 fits
    assert cpu.get_reg("edx") == 0xFFFFFFFF and fl(cpu) & (CF | OF) == 0
    cpu, _ = run("6bc1ff", ecx=0x80000000)              # imul eax, ecx, -1: overflow
    assert cpu.get_reg("eax") == 0x80000000 and fl(cpu) & (CF | OF) == CF | OF
    cpu, _ = run("0fafc1", eax=3, ecx=0xFFFFFFFE)       # imul eax, ecx
    assert cpu.get_reg("eax") == 0xFFFFFFFA and fl(cpu) & (CF | OF) == 0
    cpu, _ = run("f6e1", eax=0xFFFF_FF10, ecx=0x10)     # mul cl: AX = 0x100
    assert cpu.get_reg("eax") == 0xFFFF_0100 and fl(cpu) & CF


# --- bit operations: SDM Vol. 2A BT/BTS/BTR/BTC, BSF/BSR -----------------------------

def test_bt_memory_with_signed_register_offset():
    cpu = FlatCPU()
    cpu.write_mem(DATA - 4, (0x80000000).to_bytes(4, "little"))
    cpu, _ = run("0fa30b", cpu=cpu, ebx=DATA, ecx=0xFFFFFFFF)        # bt [ebx], ecx=-1
    assert fl(cpu) & CF                                             # bit 31 of [ebx-4]
    cpu, _ = run("0fab0b", cpu=cpu, ebx=DATA, ecx=0x1001)            # bts [ebx], 0x1001
    assert cpu.read_mem(DATA + 0x200, 4) == b"\x02\0\0\0" and not fl(cpu) & CF
    cpu, _ = run("0fbb0b", cpu=cpu, ebx=DATA, ecx=0x1001)            # btc: toggles back
    assert cpu.read_mem(DATA + 0x200, 4) == b"\0\0\0\0" and fl(cpu) & CF
    # 16-bit operand: bt word [ebx], cx = -1 -> word at ebx-2, bit 15
    cpu, _ = run("660fa30b", cpu=cpu, ebx=DATA, ecx=0xFFFF)
    assert fl(cpu) & CF


def test_bt_immediate_is_modulo_size_without_displacement():
    cpu = FlatCPU()
    cpu.write_mem(DATA, b"\x02\0\0\0")
    cpu, _ = run("0fba2321", cpu=cpu, ebx=DATA)                     # bt [ebx], 33
    assert fl(cpu) & CF
    cpu, _ = run("0fbae321", cpu=cpu, ebx=0x22)                     # bt ebx, 33
    assert fl(cpu) & CF


def test_bt_zf_unchanged():
    cpu, _ = run("0fa3c8", eax=1, ecx=0, flags=ZF)
    assert fl(cpu) & (ZF | CF) == ZF | CF


def test_bsf_bsr_zero_source_leaves_destination():
    for code in ("0fbcc1", "0fbdc1", "660fbcc1"):
        cpu, _ = run(code, eax=0xDEADBEEF, ecx=0)
        assert cpu.get_reg("eax") == 0xDEADBEEF and fl(cpu) & ZF
    cpu, _ = run("0fbcc1", eax=0, ecx=0x00F0_0000, flags=ZF)
    assert cpu.get_reg("eax") == 20 and not fl(cpu) & ZF
    cpu, _ = run("0fbdc1", eax=0, ecx=0x00F0_0000)
    assert cpu.get_reg("eax") == 23


# --- setcc / cmovcc: SDM Vol. 2A CMOVcc, Vol. 2B SETcc ---------------------------------

def test_cmov_false_keeps_32bit_destination_and_reads_memory():
    cpu, _ = run("0f44c1", eax=0xFFFFFFFF, ecx=1, flags=0)         # cmove eax, ecx: false
    assert cpu.get_reg("eax") == 0xFFFFFFFF
    cpu, _ = run("0f44c1", eax=0xFFFFFFFF, ecx=1, flags=ZF)
    assert cpu.get_reg("eax") == 1
    # a false cmov with a memory source still reads it: beyond the DS limit -> #GP
    cpu = FlatCPU()
    cpu.set_segment("ds", 0x23, 0, 0xFFFF, type=0x3)
    cpu, e = run("0f4403", cpu=cpu, ebx=0x20000, flags=0)           # cmove eax, [ebx]
    assert e is not None and e.vector == 13


def test_setcc():
    cpu, _ = run("0f9cc0", eax=0xFFFFFFFF, flags=SF)     # setl al: SF != OF
    assert cpu.get_reg("eax") == 0xFFFFFF01
    cpu, _ = run("0f9fc0", eax=0xFFFFFFFF, flags=ZF)     # setg al
    assert cpu.get_reg("eax") == 0xFFFFFF00


# --- xchg family: SDM Vol. 2A CMPXCHG, CMPXCHG8B; Vol. 2B XADD, XCHG ---------------------

def test_cmpxchg_writes_back_on_failure():
    cpu = FlatCPU()
    cpu.set_segment("ds", 0x23, 0, 0xFFFFFFFF, type=0x1)            # read-only data
    cpu.write_mem(DATA, b"\x05\0\0\0")
    cpu, e = run("0fb10b", cpu=cpu, ebx=DATA, eax=7, ecx=9)          # cmpxchg [ebx], ecx
    assert e is not None and e.vector == 13 and cpu.get_reg("eax") == 7


def test_cmpxchg_semantics():
    cpu = FlatCPU()
    cpu.write_mem(DATA, b"\x05\0\0\0")
    cpu, _ = run("0fb10b", cpu=cpu, ebx=DATA, eax=7, ecx=9)
    assert cpu.get_reg("eax") == 5 and not fl(cpu) & ZF and cpu.read_mem(DATA, 4) == b"\x05\0\0\0"
    cpu, _ = run("0fb10b", cpu=cpu, ebx=DATA, eax=5, ecx=9)
    assert fl(cpu) & ZF and cpu.read_mem(DATA, 4) == b"\x09\0\0\0"
    cpu, _ = run("0fb0e1", eax=0x1234, ecx=0x34)                     # cmpxchg cl, ah
    assert fl(cpu) & ZF and cpu.get_reg("eax") == 0x1234 and cpu.get_reg("ecx") == 0x12


def test_cmpxchg8b():
    cpu = FlatCPU()
    cpu.write_mem(DATA, bytes.fromhex("1122334455667788"))
    cpu, _ = run("0fc70b", cpu=cpu, ebx=DATA, eax=0, edx=0)
    assert cpu.get_reg("eax") == 0x44332211 and cpu.get_reg("edx") == 0x88776655
    assert not fl(cpu) & ZF
    cpu, _ = run("0fc70e", cpu=cpu, esi=DATA, eax=0x44332211, edx=0x88776655,
                 ebx=0xAABBCCDD, ecx=0x01020304)
    assert fl(cpu) & ZF and cpu.read_mem(DATA, 8) == bytes.fromhex("ddccbbaa04030201")
    cpu, e = run("0fc7c8")                                            # register form: #UD
    assert e.vector == 6


def test_xadd_and_xchg():
    cpu, _ = run("0fc1c8", eax=5, ecx=7)                 # xadd eax, ecx
    assert (cpu.get_reg("eax"), cpu.get_reg("ecx")) == (12, 5)
    cpu, _ = run("0fc1c0", eax=5)                        # xadd eax, eax: dest written last
    assert cpu.get_reg("eax") == 10
    cpu, _ = run("86c4", eax=0x1234)                     # xchg ah, al
    assert cpu.get_reg("eax") == 0x3412


def test_bswap():
    cpu, _ = run("0fc8", eax=0x11223344)
    assert cpu.get_reg("eax") == 0x44332211
    cpu, _ = run("660fc8", eax=0x11223344)               # 16-bit: undefined; P6 clears
    assert cpu.get_reg("eax") == 0x11220000


# --- BCD: SDM Vol. 2A AAA, AAD, AAM, AAS, DAA, DAS -------------------------------------

@pytest.mark.parametrize("al,flags,out,outcf,outaf", [
    (0xAE, 0, 0x14, 1, 1),          # 79 + 35 = AE -> 14, carry
    (0x2E, 0, 0x34, 0, 1),
    (0x9A, 0, 0x00, 1, 1),
    (0x12, AF, 0x18, 0, 1),
    (0x12, CF, 0x72, 1, 0),
])
def test_daa(al, flags, out, outcf, outaf):
    cpu, _ = run("27", eax=al, flags=flags)
    assert cpu.get_reg("eax") & 0xFF == out
    assert (fl(cpu) & CF, bool(fl(cpu) & AF)) == (outcf, bool(outaf))


def test_das():
    cpu, _ = run("2f", eax=0x03, flags=AF)               # 03 - 6 borrows: CF from step 1
    assert cpu.get_reg("eax") & 0xFF == 0xFD and fl(cpu) & (CF | AF) == CF | AF
    cpu, _ = run("2f", eax=0xAA, flags=0)
    assert cpu.get_reg("eax") & 0xFF == 0x44 and fl(cpu) & CF


def test_aaa_aas():
    cpu, _ = run("37", eax=0x00FB)                       # AX + 106H: carry into AH
    assert cpu.get_reg("eax") & 0xFFFF == 0x0201 and fl(cpu) & (CF | AF) == CF | AF
    cpu, _ = run("37", eax=0x0105)
    assert cpu.get_reg("eax") & 0xFFFF == 0x0105 and fl(cpu) & (CF | AF) == 0
    cpu, _ = run("3f", eax=0x0203, flags=AF)             # AX - 6, AH - 1
    assert cpu.get_reg("eax") & 0xFFFF == 0x000D and fl(cpu) & (CF | AF) == CF | AF


def test_aam_aad():
    cpu, _ = run("d40a", eax=0x4F)
    assert cpu.get_reg("eax") & 0xFFFF == 0x0709
    cpu, e = run("d400", eax=0x4F)
    assert e.vector == 0 and cpu.get_reg("eax") == 0x4F and cpu.get_reg("eip") == AT
    cpu, _ = run("d50a", eax=0x0709)
    assert cpu.get_reg("eax") & 0xFFFF == 0x004F
    cpu, _ = run("d510", eax=0x0F0F)                     # AL + AH*16 = 0xFF: no carry
    assert cpu.get_reg("eax") & 0xFFFF == 0x00FF and fl(cpu) & (CF | SF) == SF


@pytest.mark.parametrize("code", ["0f0b", "0fb9c0", "0fffc0", "0fff00"])
def test_ud(code):
    cpu, e = run(code)
    assert e.vector == 6 and cpu.get_reg("eip") == AT
