"""kw86's decoder against iced-x86, restricted to what a P6 (Celeron Mendocino) has.

The rule: for any bytes, if iced-x86 (configured for the same code size)
decodes an instruction whose CPUID features are all P6 features, kw86 must
decode the same length, mnemonic and operands; if iced finds the bytes
invalid, or decodes an instruction a P6 lacks (SSE, AVX/VEX, CET, MPX ...),
kw86 must say #UD.  Where a P6 differs from iced's defaults, DIVERGENCES
below says so, with the manual's reference; in a disagreement between iced
and the Intel manual the manual wins.
"""

import iced_x86 as I
import pytest
from hypothesis import given, strategies as st

from kw86.decoder import IncompleteInstruction, decode

# ---------------------------------------------------------------------------
# The P6 feature set (iced CpuidFeature), by class

P6_INTEGER = {I.CpuidFeature.INTEL8086, I.CpuidFeature.INTEL186, I.CpuidFeature.INTEL286,
              I.CpuidFeature.INTEL386, I.CpuidFeature.INTEL486, I.CpuidFeature.CPUID,
              I.CpuidFeature.TSC, I.CpuidFeature.MSR, I.CpuidFeature.CX8, I.CpuidFeature.CMOV,
              I.CpuidFeature.SEP, I.CpuidFeature.RDPMC, I.CpuidFeature.MULTIBYTENOP,
              # RSM: System Management Mode exists on every P6 (SDM Vol. 3 ch. 32)
              I.CpuidFeature.SMM}
# FXSR: FXSAVE/FXRSTOR (a Celeron model 6 reports CPUID FXSR, kw86/exec_system.pxi)
P6_X87 = {I.CpuidFeature.FPU, I.CpuidFeature.FPU287, I.CpuidFeature.FPU387, I.CpuidFeature.FXSR}
P6_MMX = {I.CpuidFeature.MMX}
P6 = P6_INTEGER | P6_X87 | P6_MMX

_REG_NAME = {v: k.lower() for k, v in vars(I.Register).items() if not k.startswith("_")}
_FORMATTER = I.Formatter(I.FormatterSyntax.INTEL)
_IMM_SIZE = {I.OpKind.IMMEDIATE8: 8, I.OpKind.IMMEDIATE8_2ND: 8, I.OpKind.IMMEDIATE16: 16,
             I.OpKind.IMMEDIATE32: 32, I.OpKind.IMMEDIATE8TO16: 16, I.OpKind.IMMEDIATE8TO32: 32}
_STRING_KINDS = {I.OpKind.MEMORY_SEG_SI: "si", I.OpKind.MEMORY_SEG_ESI: "esi",
                 I.OpKind.MEMORY_SEG_DI: "di", I.OpKind.MEMORY_SEG_EDI: "edi",
                 I.OpKind.MEMORY_ESDI: "di", I.OpKind.MEMORY_ESEDI: "edi"}


def _iced_reg(r):
    name = _REG_NAME[r]
    return name     # "eax", "es", "cr0", "dr7", "st1", "mm3" (iced's ST1 -> "st1")


def iced_mnemonic(ins):
    m = _FORMATTER.format_mnemonic(ins, I.FormatMnemonicOptions.NO_PREFIXES)
    # "ret far" is "retf" in kw86; far call/jmp keep the plain mnemonic
    return {"ret far": "retf", "call far": "call", "jmp far": "jmp"}.get(m, m)


def iced_view(data, bits):
    """('more',) | ('ud',) | ('nonp6', mnemonic) | ('ok', length, mnemonic, ops)"""
    d = I.Decoder(bits, data)
    ins = d.decode()
    if ins.code == I.Code.INVALID:
        if d.last_error == I.DecoderError.NO_MORE_BYTES:
            return ("more",) if len(data) < 15 else ("gp",)
        if ins.len == 15:
            # iced reports an instruction longer than 15 bytes as invalid
            # with length 15: #GP on hardware.  (A real 15-byte #UD encoding
            # looks the same here, so either answer is accepted.)
            return ("ud15",)
        return ("ud",)
    feats = set(ins.cpuid_features())
    if not feats <= P6:
        return ("nonp6", iced_mnemonic(ins))
    amask = 0xFFFFFFFF if _adsize(data, bits) == 32 else 0xFFFF
    ops = []
    for i in range(ins.op_count):
        k = ins.op_kind(i)
        if k == I.OpKind.REGISTER:
            ops.append(("reg", _iced_reg(ins.op_register(i))))
        elif k in (I.OpKind.NEAR_BRANCH16, I.OpKind.NEAR_BRANCH32):
            ops.append(("rel", 16 if k == I.OpKind.NEAR_BRANCH16 else 32, ins.near_branch_target))
        elif k in (I.OpKind.FAR_BRANCH16, I.OpKind.FAR_BRANCH32):
            off = ins.far_branch16 if k == I.OpKind.FAR_BRANCH16 else ins.far_branch32
            ops.append(("far", 32 if k == I.OpKind.FAR_BRANCH16 else 48,
                        ins.far_branch_selector, off))
        elif k in _IMM_SIZE:
            sz = _IMM_SIZE[k]
            ops.append(("imm", sz, ins.immediate(i) & ((1 << sz) - 1)))
        elif k in _STRING_KINDS:
            # ES:[eDI] is never overridden (iced's memory_segment is the
            # DS-or-override segment of the instruction, not this operand's)
            seg = "es" if k in (I.OpKind.MEMORY_ESDI, I.OpKind.MEMORY_ESEDI) else \
                _REG_NAME[ins.memory_segment]
            ops.append(("mem", I.MemorySizeExt.size(ins.memory_size) * 8,
                        seg, _STRING_KINDS[k], None, 1, 0))
        elif k == I.OpKind.MEMORY:
            base = ins.memory_base
            index = ins.memory_index
            ops.append(("mem", I.MemorySizeExt.size(ins.memory_size) * 8,
                        _REG_NAME[ins.memory_segment],
                        None if base == I.Register.NONE else _REG_NAME[base],
                        None if index == I.Register.NONE else _REG_NAME[index],
                        ins.memory_index_scale, ins.memory_displacement & amask))
        else:
            raise AssertionError(f"unexpected iced op kind {k}")
    return ("ok", ins.len, iced_mnemonic(ins), tuple(ops))


def _adsize(data, bits):
    """address size after the prefixes (for masking displacements)"""
    toggle = False
    for b in data[:15]:
        if b == 0x67:
            toggle = True
        elif b not in (0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65, 0x66, 0xF0, 0xF2, 0xF3):
            break
    return (16 if bits == 32 else 32) if toggle else bits


def kw86_view(data, bits):
    try:
        ins = decode(data, bits)
    except IncompleteInstruction:
        return ("more",)
    if not ins.valid:
        return ("gp",) if ins.fault == "GP" else ("ud",)
    amask = 0xFFFFFFFF if ins.adsize == 32 else 0xFFFF
    ops = []
    for o in ins.operands:
        if o.kind == "reg":
            ops.append(("reg", o.reg))
        elif o.kind == "rel":
            ops.append(("rel", o.size, o.target))
        elif o.kind == "far":
            ops.append(("far", o.size, o.selector, o.offset))
        elif o.kind == "imm":
            ops.append(("imm", o.size, o.value))
        else:
            # FXSAVE/FXRSTOR's m512byte: Operand.size (8 bits, in bytes) cannot say
            # 512, so kw86 marks it sizeless ("M0"); the mnemonic implies the size
            size = 4096 if ins.mnemonic in ("fxsave", "fxrstor") and o.size == 0 else o.size
            ops.append(("mem", size, o.segment, o.base, o.index, o.scale,
                        o.displacement & amask))
    return ("ok", ins.length, ins.mnemonic, tuple(ops))


# ---------------------------------------------------------------------------
# ONE table of the places where a P6 (and so kw86) differs from iced-x86's
# defaults.  Each entry: what, the manual's reference, a predicate on
# (bytes after the prefixes, prefix bytes, iced view) and the check kw86's
# view must pass there.


def _split(data):
    i = 0
    while i < len(data) and i < 15 and data[i] in (0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65, 0x66,
                                                   0x67, 0xF0, 0xF2, 0xF3):
        i += 1
    return data[:i], data[i:]


def _ok(mn):
    return lambda k: k[0] == "ok" and k[2] == mn


def _ud(k):
    return k[0] == "ud"


class Div:
    def __init__(self, what, ref, pred, check):
        self.what, self.ref, self.pred, self.check = what, ref, pred, check


def _nop_space(pfx, rest, iv):
    return len(rest) >= 2 and rest[0] == 0x0F and 0x18 <= rest[1] <= 0x1F


_R16 = {"eax": "ax", "ecx": "cx", "edx": "dx", "ebx": "bx", "esp": "sp", "ebp": "bp",
        "esi": "si", "edi": "di"}


def _r16_view(iv):
    """iced's view with 32-bit GPR operands named as their 16-bit halves"""
    return iv[:3] + (tuple(("reg", _R16.get(o[1], o[1])) if o[0] == "reg" else o
                           for o in iv[3]),)


def _r16_pred(pfx, rest, iv):
    return iv[0] == "ok" and iv[2] in ("arpl", "lldt", "ltr", "verr", "verw", "lmsw", "mov") \
        and (rest[:1] in (b"\x63", b"\x8e") or rest[:2] in (b"\x0f\x00", b"\x0f\x01"))


DIVERGENCES = [
    Div("0F 19-0F 1F with any prefix: the P6 reserved-NOP / NOP Ev space; iced decodes CET "
        "(endbr32, rdsspd...) and MPX (bndldx, bndmov ...) forms there, none of which a P6 has",
        "SDM Vol. 2B NOP (0F 1F /0); SDM Vol. 2 Table A-3 (0F 19-0F 1E reserved-NOP); MPX and "
        "CET are later extensions that reuse this hint space",
        _nop_space, lambda k: k[0] in ("ok", "more", "gp") and (k[0] != "ok" or k[2] == "nop")),
    Div("ARPL, LLDT, LTR, VERR, VERW, LMSW, MOV Sreg,r: iced names the register operand by "
        "operand size (eax); the manual says r/m16 (kw86: ax).  The manual wins",
        "SDM Vol. 2A ARPL 'ARPL r/m16, r16', LLDT 'LLDT r/m16', Vol. 2B LTR, VERR/VERW, LMSW "
        "'r/m16', MOV 'MOV Sreg, r/m16'",
        _r16_pred, None),
    Div("0F 0D: iced decodes reserved-NOP forms (mod = 11) and AMD PREFETCH/PREFETCHW; not in "
        "the P6 opcode map, #UD", "SDM (1999) Vol. 2 Table A-3: 0F 0D undefined",
        lambda pfx, rest, iv: rest[:2] == b"\x0f\x0d", _ud),
    Div("0F D4 (PADDQ mm): iced reports it as MMX; the manual lists PADDQ as SSE2.  The manual "
        "wins: #UD on a P6", "SDM Vol. 2B PADDQ: 'NP 0F D4 /r PADDQ mm1, mm2/m64 ... SSE2'",
        lambda pfx, rest, iv: rest[:2] == b"\x0f\xd4", _ud),
    Div("66 90: iced prints 'xchg ax,ax'; the manual names it NOP (kw86: nop)",
        "SDM Vol. 2B NOP, Table 4-12: '2 bytes: 66 NOP, 66 90H'",
        lambda pfx, rest, iv: rest[:1] == b"\x90" and 0x66 in pfx and iv[0] == "ok",
        lambda k: k[0] == "ok" and k[2] == "nop"),
    Div("F3 0F 09: iced 'wbnoinvd'; on a P6 F3 is an ignored prefix: WBINVD",
        "SDM Vol. 2B WBNOINVD (F3 0F 09; processors without it execute WBINVD)",
        lambda pfx, rest, iv: rest[:2] == b"\x0f\x09" and iv[0] == "nonp6", _ok("wbinvd")),
    Div("F3 90: iced 'pause'; on a P6 it is REP NOP", "SDM Vol. 2B PAUSE: 'executes as a NOP on "
        "... processors that do not support PAUSE'",
        lambda pfx, rest, iv: rest[:1] == b"\x90" and iv[:2] == ("nonp6", "pause"), _ok("nop")),
    Div("F3 0F BC / F3 0F BD: iced tzcnt/lzcnt (BMI1/LZCNT); on a P6 F3 is an ignored REP prefix",
        "SDM Vol. 2B TZCNT / LZCNT: 'on processors that do not support TZCNT, the instruction "
        "byte encoding is executed as BSF' (LZCNT: as BSR)",
        lambda pfx, rest, iv: rest[:2] in (b"\x0f\xbc", b"\x0f\xbd") and iv[0] == "nonp6",
        lambda k: k[0] == "ok" and k[2] in ("bsf", "bsr")),
    Div("C4/C5/62 with mod = 11: iced decodes VEX/EVEX; a P6 has LES/LDS/BOUND there, with a "
        "register operand #UD (covered by the general rule: iced's VEX forms are not P6)",
        "SDM Vol. 2A LES/LDS, BOUND: #UD if the source operand is a register",
        lambda pfx, rest, iv: rest[:1] in (b"\xc4", b"\xc5", b"\x62") and len(rest) > 1
        and rest[1] >= 0xC0, _ud),
    Div("MMX opcodes with 66/F2/F3: iced decodes SSE/SSE2 forms; reserved on a P6, kw86 #UD "
        "(covered by the general rule)",
        "SDM Vol. 1 9.6: prefixes on MMX instructions are reserved (unpredictable behaviour)",
        lambda pfx, rest, iv: False, _ud),
    Div("retf: iced prints 'ret far' for CA/CB; kw86's mnemonic is the one word 'retf' "
        "(normalised in iced_mnemonic)", "SDM Vol. 2B RET (far return, RETF)",
        lambda pfx, rest, iv: False, _ok("retf")),
]


def classify(data, bits):
    """("agree", None) | ("divergence", Div) | ("mismatch", description)"""
    iv = iced_view(data, bits)
    kv = kw86_view(data, bits)
    if iv[0] in ("nonp6",):
        iv_exp = ("ud",)
    elif iv[0] == "ud15":
        iv_exp = kv if kv in (("ud",), ("gp",)) else ("ud",)
    else:
        iv_exp = iv
    if kv == iv_exp:
        return "agree", None
    if iv == ("more",) and kv == ("ud",):
        # kw86 knows the opcode is undefined on a P6 (e.g. 3DNow! 0F 0F) before
        # the bytes iced would read for its (non-P6) form
        return "agree", None
    if iv == ("ud",) and kv == ("more",) and kw86_view(data + TAIL, bits) == ("ud",):
        # a truncated undefined encoding (C6 /1, F2 0F 60 with its SIB still
        # to come): iced calls it invalid at the ModRM; kw86 takes the whole
        # instruction first, so a #PF fetching its last bytes comes before
        # the #UD (SDM Vol. 3A §6.9, Table 6-2: instruction-fetch faults
        # before decode faults), and with the bytes present it is #UD
        return "agree", None
    pfx, rest = _split(data)
    for d in DIVERGENCES:
        if d.pred(pfx, rest, iv):
            if d.check is None:     # kw86 must equal iced's view mapped to r16
                if kv == _r16_view(iv):
                    return "divergence", d
            elif d.check(kv):
                return "divergence", d
            return "mismatch", f"divergence '{d.what[:40]}...' expected, kw86 gave {kv}"
    return "mismatch", f"{bits}-bit {data.hex()}: iced {iv} kw86 {kv}"


def compare(data, bits):
    """None if kw86 agrees with iced (modulo DIVERGENCES); else a description."""
    status, info = classify(data, bits)
    return info if status == "mismatch" else None


TAIL = bytes([0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD])
_PREFIX_BYTES = {0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65, 0x66, 0x67, 0xF0, 0xF2, 0xF3}


def exhaustive(bits, two_byte, prefix=b""):
    """Every opcode x every ModRM byte (with a fixed tail).  Returns
    (checked, list of mismatches)."""
    bad = []
    n = 0
    for op in range(256):
        if not two_byte and (op in _PREFIX_BYTES or op == 0x0F):
            continue
        for modrm in range(256):
            data = prefix + (b"\x0f" if two_byte else b"") + bytes([op, modrm]) + TAIL
            n += 1
            r = compare(data, bits)
            if r:
                bad.append(r)
    return n, bad


@pytest.mark.parametrize("bits", [32, 16])
@pytest.mark.parametrize("two_byte", [False, True], ids=["1byte", "0F"])
def test_exhaustive_opcode_modrm(bits, two_byte):
    n, bad = exhaustive(bits, two_byte)
    assert not bad, f"{len(bad)} of {n} disagree, e.g.:\n" + "\n".join(bad[:20])


@pytest.mark.parametrize("bits", [32, 16])
@pytest.mark.parametrize("prefix", ["66", "67", "f3", "f2", "f0", "2e"])
@pytest.mark.parametrize("two_byte", [False, True], ids=["1byte", "0F"])
def test_exhaustive_with_prefix(prefix, two_byte, bits):
    n, bad = exhaustive(bits, two_byte, bytes.fromhex(prefix))
    assert not bad, f"{len(bad)} of {n} disagree, e.g.:\n" + "\n".join(bad[:20])


# ---------------------------------------------------------------------------
# Property tests

_prefix = st.sampled_from([0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65, 0x66, 0x67, 0xF0, 0xF2, 0xF3])


@st.composite
def instructions(draw):
    """A generated instruction: random prefixes, opcode (one-byte or 0F),
    ModRM, SIB, displacement and immediate bytes (iced and kw86 take only
    as many as the encoding uses)."""
    pfx = draw(st.lists(_prefix, max_size=4))
    two = draw(st.booleans())
    op = draw(st.integers(0, 255).filter(lambda b: two or (b not in _PREFIX_BYTES and b != 0x0F)))
    modrm = draw(st.integers(0, 255))
    sib = draw(st.integers(0, 255))
    rest = draw(st.binary(min_size=8, max_size=8))
    return bytes(pfx) + (b"\x0f" if two else b"") + bytes([op, modrm, sib]) + rest


@given(data=instructions(), bits=st.sampled_from([16, 32]))
def test_generated_instructions_agree(data, bits):
    r = compare(data, bits)
    assert r is None, r


@given(data=st.binary(min_size=0, max_size=20), bits=st.sampled_from([16, 32]))
def test_random_bytes_agree(data, bits):
    r = compare(data, bits)
    assert r is None, r


@given(data=instructions(), bits=st.sampled_from([16, 32]), cut=st.integers(0, 14))
def test_truncated_agree(data, bits, cut):
    r = compare(data[:cut], bits)
    assert r is None, r


# ---------------------------------------------------------------------------
# EFLAGS masks of every row against iced's per-instruction flag info

_RF = [(I.RflagsBits.OF, 0x800), (I.RflagsBits.SF, 0x80), (I.RflagsBits.ZF, 0x40),
       (I.RflagsBits.AF, 0x10), (I.RflagsBits.CF, 0x1), (I.RflagsBits.PF, 0x4),
       (I.RflagsBits.DF, 0x400), (I.RflagsBits.IF, 0x200), (I.RflagsBits.AC, 0x40000)]
_RF_KNOWN = sum(b for _, b in _RF)
# kw86 records what delivering the interrupt does to IF/TF/NT/RF/AC; iced models none of it
_FLAGS_SKIP = {"int", "int3", "int1", "into"}


def _rf(x):
    return sum(b for i, b in _RF if x & i)


# The one place a row may leave OF undefined where iced defines it: a shift or
# rotate by an immediate count of 1.  A row is per opcode, so for C0/C1 and
# 0F A4/0F AC it carries the multi-bit case, where the manual leaves OF
# undefined; iced, seeing the count, defines OF for a 1-bit one.  SDM Vol. 2B
# RCL/RCR/ROL/ROR: "The OF flag is defined only for the 1-bit rotates; it is
# undefined in all other cases"; SAL/SAR/SHL/SHR: "The OF flag is affected only
# on 1-bit shifts ...; otherwise, it is undefined"; SHLD/SHRD: "For shifts
# greater than 1 bit, the OF flag is undefined."  Every other instruction's
# undefined flags must be exactly iced's.
_OF_BY_COUNT = {"rcl", "rcr", "rol", "ror", "sal", "sar", "shl", "shr", "shld", "shrd"}


def _of_by_count(k, ins):
    last = ins.op_count - 1
    return (k.mnemonic in _OF_BY_COUNT and ins.op_kind(last) == I.OpKind.IMMEDIATE8
            and ins.immediate(last) & 31 == 1)


def test_flag_masks_agree_with_iced():
    bad = []
    allowed = 0
    for two in (False, True):
        for op in range(256):
            for modrm in (0x00, 0x11, 0x45, 0x88, 0xC0, 0xD1, 0xE2, 0xF3, 0xFF):
                # register forms once more with a following 01 (an imm8 count of 1)
                for tail in (TAIL, b"\x01" + TAIL) if modrm >= 0xC0 else (TAIL,):
                    data = (b"\x0f" if two else b"") + bytes([op, modrm]) + tail
                    if iced_view(data, 32)[0] != "ok":
                        continue
                    k = decode(data)
                    if not k.valid or k.mnemonic in _FLAGS_SKIP:
                        continue
                    ins = I.Decoder(32, data).decode()
                    iw, ir = _rf(ins.rflags_modified), _rf(ins.rflags_read)
                    iu = _rf(ins.rflags_undefined)
                    kw = (k.flags_written | k.flags_undefined) & _RF_KNOWN
                    kr, ku = k.flags_read & _RF_KNOWN, k.flags_undefined & _RF_KNOWN
                    extra = ku & ~iu
                    if extra == 0x800 and _of_by_count(k, ins):
                        allowed += 1
                        extra = 0
                    if (iw, ir) != (kw, kr) or (iu & ~ku) or extra:
                        bad.append(f"{data[:3].hex()} {k.mnemonic}: iced w/r/u {iw:#x}/{ir:#x}/"
                                   f"{iu:#x} kw86 {kw:#x}/{kr:#x}/{ku:#x}")
    assert not bad, "\n".join(bad[:20])
    assert allowed > 0          # the exception above is exercised


# ---------------------------------------------------------------------------
# `python tests/test_decoder_iced.py [N]`: the agreement numbers for the README

def _census(n_random=200_000, seed=1):
    import collections
    import random
    counts = collections.Counter()
    divs = collections.Counter()
    mism = []

    classes = collections.Counter()

    def one(data, bits):
        status, info = classify(data, bits)
        counts[status] += 1
        ins = I.Decoder(bits, data).decode()
        feats = set(ins.cpuid_features())
        if ins.code == I.Code.INVALID or not feats <= P6:
            cls = "invalid on a P6"
        elif feats & P6_X87:
            cls = "x87"
        elif feats & P6_MMX:
            cls = "mmx"
        else:
            cls = "integer/system"
        classes[(cls, status)] += 1
        if status == "divergence":
            divs[info.what.split(":")[0][:60]] += 1
        elif status == "mismatch":
            mism.append(info)

    for bits in (32, 16):
        for prefix in (b"", b"\x66", b"\x67", b"\xf3", b"\xf2", b"\xf0", b"\x2e"):
            for two in (False, True):
                for op in range(256):
                    if not two and (op in _PREFIX_BYTES or op == 0x0F):
                        continue
                    for modrm in range(256):
                        one(prefix + (b"\x0f" if two else b"") + bytes([op, modrm]) + TAIL, bits)
    rnd = random.Random(seed)
    for _ in range(n_random):
        data = bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 16)))
        one(data, rnd.choice((16, 32)))
    total = sum(counts.values())
    print(f"encodings checked against iced-x86: {total}")
    print(f"  agree: {counts['agree']}  documented P6 divergences: {counts['divergence']}"
          f"  mismatches: {counts['mismatch']}")
    for what, n in divs.most_common():
        print(f"    {n:7d}  {what}")
    print("  by class (iced's view):")
    for cls in ("integer/system", "x87", "mmx", "invalid on a P6"):
        print(f"    {cls:16s} agree {classes[(cls, 'agree')]:8d}  divergence "
              f"{classes[(cls, 'divergence')]:6d}  mismatch {classes[(cls, 'mismatch')]}")
    for m in mism[:20]:
        print("  MISMATCH", m)
    return counts


if __name__ == "__main__":
    import sys
    _census(int(sys.argv[1]) if len(sys.argv) > 1 else 200_000)


# ---------------------------------------------------------------------------
# Generated valid instructions, one table row at a time: every row of the
# opcode table gets drawn (the byte-level generator above rarely reaches,
# e.g., a given x87 register form), then random prefixes, SIB, displacement
# and immediate bytes.

def _row_encodings():
    from kw86.isa import opcodes
    enc = {}
    for bits in (32, 16):
        for two in (False, True):
            for op in range(256):
                for modrm in range(256):
                    data = (b"\x0f" if two else b"") + bytes([op, modrm]) + TAIL
                    ins = decode(data, bits)
                    if ins.valid:
                        enc.setdefault(ins.row_id, []).append(
                            ((b"\x0f" if two else b"") + bytes([op, modrm]), bits))
    return [enc[r.id] for r in opcodes.ROWS]


_ROW_ENC = None


@st.composite
def row_instructions(draw):
    global _ROW_ENC
    if _ROW_ENC is None:
        _ROW_ENC = _row_encodings()
    forms = draw(st.sampled_from(_ROW_ENC))
    head, bits = draw(st.sampled_from(forms))
    pfx = draw(st.lists(_prefix, max_size=3))
    rest = draw(st.binary(min_size=10, max_size=10))
    return bytes(pfx) + head + rest, bits


@given(case=row_instructions())
def test_every_row_generated_agrees(case):
    data, bits = case
    r = compare(data, bits)
    assert r is None, r


# ---------------------------------------------------------------------------
# Sweeps the byte-level ones above do not reach: every SIB byte (their tail is
# fixed, so the SIB byte is always 11h), every segment override prefix, and
# every pair of prefixes (ordering, repeats, 66+67, F0 with F2/F3, two segments)


@pytest.mark.parametrize("bits", [32, 16])
@pytest.mark.parametrize("pre", ["", "67"], ids=["asize", "other_asize"])
def test_every_sib_byte(bits, pre):
    """ModRM mod 0/1/2 with rm=100 (a SIB in 32-bit addressing) x every SIB
    byte x every reg field, for opcodes with and without immediates and
    with the groups whose reg field picks the row."""
    bad, n = [], 0
    for stem in (b"\x8b", b"\x0f\xaf", b"\xc7", b"\x80", b"\xf7", b"\x8d", b"\xff",
                 b"\x0f\xba", b"\xc4", b"\x62", b"\x0f\x01", b"\xd9", b"\xdd", b"\x0f\xc7"):
        for mod in range(3):
            for reg in range(8):
                for sib in range(256):
                    data = bytes.fromhex(pre) + stem + bytes([(mod << 6) | (reg << 3) | 4, sib]) \
                        + TAIL
                    n += 1
                    r = compare(data, bits)
                    if r:
                        bad.append(r)
    assert not bad, f"{len(bad)} of {n} disagree, e.g.:\n" + "\n".join(bad[:20])


@pytest.mark.parametrize("bits", [32, 16])
@pytest.mark.parametrize("prefix", ["26", "36", "3e", "64", "65"])
def test_every_segment_prefix(prefix, bits):
    bad, n = [], 0
    for two in (False, True):
        for op in range(256):
            if not two and (op in _PREFIX_BYTES or op == 0x0F):
                continue
            for modrm in range(0, 256, 1 if op in (0x8C, 0x8E, 0x00, 0x01) else 7):
                data = bytes.fromhex(prefix) + (b"\x0f" if two else b"") + bytes([op, modrm]) + TAIL
                n += 1
                r = compare(data, bits)
                if r:
                    bad.append(r)
    assert not bad, f"{len(bad)} of {n} disagree, e.g.:\n" + "\n".join(bad[:20])


@pytest.mark.parametrize("bits", [32, 16])
@pytest.mark.parametrize("first", sorted(_PREFIX_BYTES), ids=lambda b: f"{b:02x}")
def test_every_prefix_pair(first, bits):
    bad, n = [], 0
    for second in sorted(_PREFIX_BYTES):
        for two in (False, True):
            for op in range(256):
                if not two and (op in _PREFIX_BYTES or op == 0x0F):
                    continue
                for modrm in (0x00, 0x05, 0x0C, 0x46, 0x84, 0xC1, 0xD8, 0xF7, 0x3F):
                    data = bytes([first, second]) + (b"\x0f" if two else b"") \
                        + bytes([op, modrm]) + TAIL
                    n += 1
                    r = compare(data, bits)
                    if r:
                        bad.append(r)
    assert not bad, f"{len(bad)} of {n} disagree, e.g.:\n" + "\n".join(bad[:20])
