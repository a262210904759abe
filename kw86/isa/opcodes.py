"""The i386/P6 opcode table: the single source of truth for decoder and executor.

STATUS (milestone 1 done): one-byte map, 0F map, groups, x87 (D8-DF) and MMX
rows are in and agree with iced-x86 (P6 subset) over every opcode x ModRM in
16/32-bit code, with and without prefixes; flags masks per row agree with
iced's.  Lookups: mnemonic_id("add"), row_id("jmp Mp"), row_ids("mov").

Rows transcribe the Intel SDM Vol. 2 opcode maps (Appendix A) in its notation:

    0x01: row("add", "Ev,Gv", lock=True, flags=ARITH, cls="alu")

Operand tokens (SDM A.2.1/A.2.2, plus the few extra this table needs):
    E  ModRM r/m, register or memory      G  ModRM reg, general register
    M  ModRM r/m, memory only (reg -> #UD) R  ModRM r/m, register only
    C  ModRM reg, control register        D  ModRM reg, debug register
    S  ModRM reg, segment register        I  immediate; "Ibs" = imm8 sign-extended
    J  relative branch displacement       A  far pointer ptr16:16/32
    O  moffs (no ModRM, address-size offset)
    X  DS:[eSI] string source             Y  ES:[eDI] string destination
    Z  general register in opcode bits 2:0 (40+r, 50+r, B0+r, C8+r ...)
    P  ModRM reg, MMX register            Q  ModRM r/m, MMX register or memory
    N  ModRM r/m, MMX register only       ST / STi  x87 ST(0) / ST(i) from r/m
    AL CL DX AX eAX ES CS SS DS FS GS 1   fixed operands
  size suffixes: b byte, w word, d dword, q qword, v/z operand size (16/32),
  p far pointer (32/48 bits), s pseudo-descriptor (48 bits), a bound pair
  (2 x v), t 80-bit real, "e"/"f" x87 environment / state (14/28, 94/108),
  "vw" = v for a register, w for memory (mov Ev,Sw; smsw; str; sldt),
  "0" no size (lea, invlpg).  x87 memory sizes: "Mr4" real4, "Mr8" real8,
  "Mi2" int16, "Mi4" int32, "Mi8" int64, "Mbcd" packed BCD (10 bytes).

Mnemonics are the lower-case Intel names iced-x86's formatter prints (its
`format_mnemonic`), so that tests compare them directly.  Deliberate
departures from iced-x86 (each a place where a Celeron Mendocino, family 6
model 6, differs from iced's default "any x86" decoder), with the reference:

  * "retf" for CA/CB: iced prints "ret far"; one word keeps MNEMONICS a list
    of tokens.  SDM Vol. 2B "RET": the far forms are also written RETF.
  * C4 / C5 with mod = 11 (and 62 with mod = 11): LES / LDS / BOUND with a
    register operand, #UD on a P6.  iced decodes VEX/EVEX there.  SDM Vol. 2A
    "LDS/LES/LFS/LGS/LSS" and "BOUND" (#UD if the source is a register);
    VEX/EVEX do not exist before Sandy Bridge / Knights Landing.
  * F3 0F B8 (POPCNT), 0F B8 (JMPE, IA-64 only), F3 0F BC/BD (TZCNT/LZCNT):
    no POPCNT/JMPE on a P6, so 0F B8 is #UD; an F3 prefix on BSF/BSR is a
    plain REP prefix the P6 ignores, so F3 0F BC/BD decode as BSF/BSR.
    SDM Vol. 2A "BSF" / Vol. 2B "TZCNT" ("on processors that do not support
    TZCNT, the instruction byte encoding is executed as BSF").
  * 0F 19-0F 1F: reserved-NOP / NOP space (SDM Vol. 2B "NOP", Table A-3
    "NOP Ev"; multi-byte NOP exists on family 6).  Every form, whatever
    prefix, is "nop" here.  iced decodes F3 0F 1E FA/FB as ENDBR32/64 and
    F3 0F 1E /1 as RDSSPD (CET), and 0F 1A/1B with or without prefixes as
    MPX BNDLDX/BNDSTX/BNDMOV/BNDCL/...: none exist on a P6, the bytes are the
    P6's hint NOP.
  * 66 90: iced prints "xchg ax,ax"; the SDM calls it NOP (Vol. 2B NOP,
    Table 4-12 "66 NOP"): "nop".
  * F3 0F 09: iced "wbnoinvd" (Ice Lake); on a P6 the F3 is ignored: WBINVD.
  * F3 90: iced "pause" (SSE2 era).  On a P6 this is REP NOP: "nop" with the
    REP prefix.  SDM Vol. 2B "PAUSE" ("executes as a NOP on processors that
    do not support it").
  * MMX opcodes with a 66/F2/F3 prefix: iced decodes SSE/SSE2 forms; on a
    P6 such use "is reserved" (SDM Vol. 1, 9.6 "MMX instruction set": "using
    these prefixes with MMX instructions ... may cause unpredictable
    behavior"): kw86 decodes them as #UD.
  * 0F 18 /0-3 with memory (PREFETCHNTA/T0/T1/T2, SSE, Pentium III): on a P6
    without SSE the whole 0F 18-0F 1F range is the hint-NOP space, so these
    are "nop Ev,Gv" as iced decodes the rest of 0F 18.
  * 0F 0D (AMD PREFETCH/PREFETCHW; iced: reserved-NOP for mod = 11): not in
    the P6 opcode map (SDM 1999 Vol. 2 Table A-3 leaves 0F 0D blank): #UD.
  * 0F D4 (PADDQ mm, mm/m64): iced marks it MMX; the SDM lists PADDQ (all
    forms) as SSE2 (Vol. 2B "PADDQ", CPUID SSE2), so #UD on a P6.
  * ARPL, LLDT, LTR, VERR, VERW, LMSW and MOV Sreg,r/m take r/m16 (SDM Vol.
    2); iced names the register by operand size (eax).  kw86 follows the
    manual (ax); the executor reads the low 16 bits either way.
  * 0F AE (FXSAVE/FXRSTOR/...): FXSR is not reported by kw86's CPUID (the
    issue's P6 feature set has no FXSR), so #UD.
  * fisttp (DB/DD/DF /1, SSE3): #UD.
"""

# ----------------------------------------------------------------------------
# EFLAGS bits

CF, PF, AF, ZF, SF, TF, IF, DF, OF = 0x1, 0x4, 0x10, 0x40, 0x80, 0x100, 0x200, 0x400, 0x800
IOPL, NT, RF, VM, AC, VIF, VIP, ID = 0x3000, 0x4000, 0x10000, 0x20000, 0x40000, 0x80000, 0x100000, 0x200000
_FLAG_LETTERS = {"c": CF, "p": PF, "a": AF, "z": ZF, "s": SF, "t": TF, "i": IF, "d": DF,
                 "o": OF, "l": IOPL, "n": NT, "r": RF, "v": VM, "x": AC, "I": ID}
ALL_FLAGS = CF | PF | AF | ZF | SF | TF | IF | DF | OF | IOPL | NT | RF | VM | AC | VIF | VIP | ID
STATUS = CF | PF | AF | ZF | SF | OF


def _mask(letters):
    m = 0
    for ch in letters:
        m |= _FLAG_LETTERS[ch]
    return m


class Flags:
    """EFLAGS effect of a row: read, written (defined), undefined; and for
    undefined bits, the value a P6 leaves (`p6_value` over `p6_known`) with
    `basis` naming where that comes from."""
    __slots__ = ("read", "written", "undef", "p6_value", "p6_known", "basis")

    def __init__(self, r="", w="", u="", p6=None, basis=""):
        self.read = _mask(r)
        self.written = _mask(w)
        self.undef = _mask(u)
        self.p6_value = 0
        self.p6_known = 0
        if p6:
            for ch, v in p6.items():
                bit = _FLAG_LETTERS[ch]
                self.p6_known |= bit
                if v:
                    self.p6_value |= bit
        self.basis = basis


NOFLAGS = Flags()
ARITH = Flags(w="oszapc")
ARITH_C = Flags(r="c", w="oszapc")
CMPS = Flags(r="d", w="oszapc")
STRD = Flags(r="d")
# Values a P6 leaves in undefined flags.  Source: sandpile.org "x86
# architecture: rFLAGS register", table "undefined integer FLAGS behavior",
# column "P6 core" (measured; [S] secondary, not in an Intel manual).  Only
# constant values are recorded in p6_value/p6_known; where sandpile gives a
# computed value (e.g. OF of a multi-bit shift = "as for the last 1-bit
# step") the basis says so and the executor computes it; "U" (varies) is
# left unknown.
_SANDPILE = "[S] sandpile.org/x86/flags.htm, undefined FLAGS table, P6 core column"
# AND/OR/XOR/TEST: OF=CF=0, AF undefined; P6: AF = 0 (the Pentium Pro's TEST
# alone left it varying, fixed in the Pentium II core that Mendocino uses).
LOGIC = Flags(w="oszpc", u="a", p6={"a": 0}, basis=_SANDPILE + ": AF=0")
INCDEC = Flags(w="oszap")
NEG = ARITH
# Shifts: CF/SF/ZF/PF defined for count != 0, OF only for count 1, AF
# undefined (SDM Vol. 2B "SAL/SAR/SHL/SHR").
SHIFT = Flags(w="oszpc", u="oa", basis=_SANDPILE + ": AF varies; OF for count > 1 is "
              "computed as for the last 1-bit step (OFx)")
SHIFT1 = Flags(w="oszpc", u="a", basis=_SANDPILE + ": AF varies")  # count 1 (D0/D1): OF defined
ROT = Flags(w="oc", u="o", basis=_SANDPILE + ": OF for count > 1 computed as for a 1-bit "
            "rotate (OFx)")
ROT1 = Flags(w="oc")
ROTC = Flags(r="c", w="oc", u="o", basis=_SANDPILE + ": OF for count > 1 computed (OFx)")
ROTC1 = Flags(r="c", w="oc")
CRMOV = Flags(u="oszapc")              # SDM Vol. 2A MOV CR / MOV DR: flags undefined
SHXD = Flags(w="oszpc", u="oa", basis=_SANDPILE + ": AF varies; OF for count > 1 computed (OFx)")
MUL = Flags(w="oc", u="szap", basis=_SANDPILE + ": SF ZF AF PF vary")
DIV = Flags(u="oszapc", basis=_SANDPILE + ": all vary")
BITSCAN = Flags(w="z", u="osapc", basis=_SANDPILE + ": vary")
BITTEST = Flags(w="c", u="osap")        # ZF unaffected (SDM Vol. 2A BT)
AAA = Flags(r="a", w="ac", u="oszp", p6={"s": 0},
           basis=_SANDPILE + ": SF=0; ZF of the 16-bit AX result, PF computed, OF varies")
DAA = Flags(r="ac", w="szapc", u="o", basis=_SANDPILE + ": OF varies")
AAM = Flags(w="szp", u="oac", p6={"o": 0, "a": 0, "c": 0}, basis=_SANDPILE + ": OF=AF=CF=0")
AAD = Flags(w="szp", u="oac", basis=_SANDPILE + ": OF, AF, CF as for the 8-bit add "
            "AL + AH*imm8 (computed)")
ZONLY = Flags(w="z")
CMPXCHG8B = Flags(w="z")
POPF = Flags(w="oszapctidlnrxI")     # what is writable depends on CPL/IOPL
POPF16 = Flags(w="oszapctidln")      # the 16-bit forms move FLAGS only
PUSHF = Flags(r="oszapctidlnrxI")
PUSHF16 = Flags(r="oszapctidln")
IRET = Flags(w="oszapctidlnrvxI")
IRET16 = Flags(w="oszapctidln")
INT = Flags(r="vl", w="tinrx")       # clears TF, NT, RF, AC (and IF for interrupt gates)
SAHF = Flags(w="szapc")
LAHF = Flags(r="szapc")
CLC = Flags(w="c")
CMC = Flags(r="c", w="c")
CLD = Flags(w="d")
CLI = Flags(w="i")
SALC = Flags(r="c")
COMI = Flags(w="oszapc")              # fcomi/fucomi: ZF PF CF, OF SF AF cleared
SYSENTER = Flags(w="ivr")

# condition code -> flags read (SDM Vol. 1 Appendix B)
_CC_READ = ["o", "o", "c", "c", "z", "z", "cz", "cz", "s", "s", "p", "p", "so", "so", "zso", "zso"]
CC_NAMES = ["o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g"]
# x87 fcmovcc (DA/DB C0-DF): b e be u / nb ne nbe nu
_FCMOV_CC = {0: 2, 1: 4, 2: 6, 3: 10}

# ----------------------------------------------------------------------------
# Cycle classes (the CPU maps each to clocks from cycle-model.md §4a)

CLASSES = [
    "none", "alu", "alu_c", "mov", "load", "store", "lea", "xchg", "push", "pop",
    "pushsr", "popsr", "pusha", "popa", "pushf", "popf", "segload", "movsr",
    "mul", "div", "shift", "rotc", "shxd", "bit", "bitscan", "bswap", "cmov", "setcc",
    "jcc", "jmp", "jmpi", "call", "calli", "ret", "jmpf", "callf", "retf", "loop", "jcxz",
    "int", "iret", "enter", "leave", "string", "bcd", "cbw", "flag", "cli", "sti",
    "cmpxchg", "cmpxchg8b", "xadd", "io", "hlt", "nop", "cpuid", "rdtsc", "msr", "rdpmc",
    "sysenter", "sysexit", "descr", "sysreg", "crmov", "drmov", "invlpg", "cache", "lmsw",
    "clts", "bound", "arpl", "lar", "verr", "ud", "x87", "x87_load", "x87_store",
    "x87_ctl", "mmx", "mmx_load", "mmx_store", "emms", "fwait", "rsm",
    # x87/MMX cost classes split out of x87/mmx (appended: the ids above stay)
    "x87_mul", "x87_div", "x87_sqrt", "x87_trans", "x87_int", "x87_bcd", "x87_env", "mmx_mul",
]
_CLASS_ID = {c: i for i, c in enumerate(CLASSES)}

# ----------------------------------------------------------------------------
# Row attributes (bit values mirror decoder.pxd ATTR_*)

ATTR_LOCK_OK, ATTR_PRIV, ATTR_BRANCH, ATTR_X87, ATTR_MMX, ATTR_STRING, ATTR_REP_OK = \
    0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40
ATTR_NO_SIMD_PFX = 0x80     # 66/F2/F3 -> #UD (MMX rows; see the docstring)


class Row:
    """One form of one instruction: mnemonic(s), operand spec, attributes.

    `mn` may be "a|b": name with 16-bit / 32-bit operand size (by_adsize=True:
    address size, for jcxz/jecxz).  Such a row expands to two ROWS entries.
    """
    __slots__ = ("mn", "ops", "attrs", "flags", "flags16", "cls", "by_adsize", "cc", "ids",
                 "note")

    def __init__(self, mn, ops="", *, lock=False, priv=False, branch=False, x87=False,
                 mmx=False, string=False, rep=False, flags=NOFLAGS, cls="alu",
                 by_adsize=False, cc=None, note="", flags16=None):
        self.mn = mn
        self.ops = [o for o in ops.split(",") if o] if ops else []
        a = 0
        if lock:
            a |= ATTR_LOCK_OK
        if priv:
            a |= ATTR_PRIV
        if branch:
            a |= ATTR_BRANCH
        if x87:
            a |= ATTR_X87
        if mmx:
            a |= ATTR_MMX | ATTR_NO_SIMD_PFX
        if string:
            a |= ATTR_STRING
        if rep:
            a |= ATTR_REP_OK
        self.attrs = a
        self.flags = flags
        self.flags16 = flags16 or flags     # for the 16-bit form of an "a|b" row
        self.cls = cls
        self.by_adsize = by_adsize
        self.cc = cc
        self.ids = None     # (row id for 16-bit, row id for 32-bit), set by _build
        self.note = note


def row(mn, ops="", **kw):
    return Row(mn, ops, **kw)


class Group:
    """ModRM.reg-selected sub-table.  `mem`: 8 rows for mod != 11; `reg`: 8
    rows for mod = 11 (defaults to `mem`), or a dict of 64 entries
    (ModRM & 0x3F) for x87 register forms."""
    __slots__ = ("name", "mem", "reg", "reg64")

    def __init__(self, name, mem, reg=None, reg64=None):
        assert len(mem) == 8
        self.name = name
        self.mem = list(mem)
        self.reg = list(reg) if reg is not None else list(mem)
        assert len(self.reg) == 8
        self.reg64 = reg64      # list of 64 (or None)


UD = None


# ----------------------------------------------------------------------------
# Helpers for the regular blocks

def _alu(mn, flags, cls="alu", lock=True):
    """The six ALU forms at 00-05 (and 08, 10, 18 ... 38)."""
    return [
        row(mn, "Eb,Gb", lock=lock, flags=flags, cls=cls),
        row(mn, "Ev,Gv", lock=lock, flags=flags, cls=cls),
        row(mn, "Gb,Eb", flags=flags, cls=cls),
        row(mn, "Gv,Ev", flags=flags, cls=cls),
        row(mn, "AL,Ib", flags=flags, cls=cls),
        row(mn, "eAX,Iz", flags=flags, cls=cls),
    ]


_ALU_NAMES = [("add", ARITH, "alu"), ("or", LOGIC, "alu"), ("adc", ARITH_C, "alu_c"),
              ("sbb", ARITH_C, "alu_c"), ("and", LOGIC, "alu"), ("sub", ARITH, "alu"),
              ("xor", LOGIC, "alu"), ("cmp", ARITH, "alu")]


def _grp1(spec):
    rows = []
    for mn, fl, cls in _ALU_NAMES:
        rows.append(row(mn, spec, lock=(mn != "cmp"), flags=fl, cls=cls))
    return Group("grp1", rows)


_SHIFT_NAMES = [("rol", ROT, "shift"), ("ror", ROT, "shift"), ("rcl", ROTC, "rotc"),
                ("rcr", ROTC, "rotc"), ("shl", SHIFT, "shift"), ("shr", SHIFT, "shift"),
                # /6: undocumented alias of SHL, executed as SHL by every Intel
                # CPU (sandpile.org group 2); iced prints it "shl" too.
                ("shl", SHIFT, "shift"), ("sar", SHIFT, "shift")]


_COUNT1 = {SHIFT: SHIFT1, ROT: ROT1, ROTC: ROTC1}


def _grp2(spec):
    one = spec.endswith(",1")
    return Group("grp2", [row(mn, spec, flags=(_COUNT1[fl] if one else fl), cls=cls)
                          for mn, fl, cls in _SHIFT_NAMES])


def _grp3(sz):
    imm = "Ib" if sz == "b" else "Iz"
    return Group("grp3", [
        row("test", f"E{sz},{imm}", flags=LOGIC),
        # /1: undocumented alias of TEST (sandpile.org group 3); iced agrees.
        row("test", f"E{sz},{imm}", flags=LOGIC),
        row("not", f"E{sz}", lock=True),
        row("neg", f"E{sz}", lock=True, flags=NEG),
        row("mul", f"E{sz}", flags=MUL, cls="mul"),
        row("imul", f"E{sz}", flags=MUL, cls="mul"),
        row("div", f"E{sz}", flags=DIV, cls="div"),
        row("idiv", f"E{sz}", flags=DIV, cls="div"),
    ])


def _cc_rows(prefix, spec, **kw):
    out = []
    for cc in range(16):
        fl = Flags(r=_CC_READ[cc])
        out.append(row(prefix + CC_NAMES[cc], spec, cc=cc, flags=fl, **kw))
    return out


# ----------------------------------------------------------------------------
# The one-byte map (SDM Vol. 2 Table A-2)

ONE_BYTE = {}
for _i, (_mn, _fl, _cls) in enumerate(_ALU_NAMES):
    for _j, _r in enumerate(_alu(_mn, _fl, _cls, lock=(_mn != "cmp"))):
        ONE_BYTE[_i * 8 + _j] = _r

ONE_BYTE.update({
    0x06: row("push", "ES", cls="pushsr"),
    0x07: row("pop", "ES", cls="popsr"),
    0x0E: row("push", "CS", cls="pushsr"),
    # 0x0F: two-byte escape
    0x16: row("push", "SS", cls="pushsr"),
    0x17: row("pop", "SS", cls="popsr"),
    0x1E: row("push", "DS", cls="pushsr"),
    0x1F: row("pop", "DS", cls="popsr"),
    # 26 2E 36 3E: segment prefixes
    0x27: row("daa", flags=DAA, cls="bcd"),
    0x2F: row("das", flags=DAA, cls="bcd"),
    0x37: row("aaa", flags=AAA, cls="bcd"),
    0x3F: row("aas", flags=AAA, cls="bcd"),
    0x60: row("pusha|pushad", cls="pusha"),
    0x61: row("popa|popad", cls="popa"),
    0x62: row("bound", "Gv,Ma", cls="bound"),
    0x63: row("arpl", "Ew,Gw", flags=ZONLY, cls="arpl"),
    # 64 65 66 67: prefixes
    0x68: row("push", "Iz", cls="push"),
    0x69: row("imul", "Gv,Ev,Iz", flags=MUL, cls="mul"),
    0x6A: row("push", "Ibs", cls="push"),
    0x6B: row("imul", "Gv,Ev,Ibs", flags=MUL, cls="mul"),
    0x6C: row("insb", "Yb,DX", string=True, rep=True, flags=STRD, cls="string"),
    0x6D: row("insw|insd", "Yz,DX", string=True, rep=True, flags=STRD, cls="string"),
    0x6E: row("outsb", "DX,Xb", string=True, rep=True, flags=STRD, cls="string"),
    0x6F: row("outsw|outsd", "DX,Xz", string=True, rep=True, flags=STRD, cls="string"),
    0x80: _grp1("Eb,Ib"),
    0x81: _grp1("Ev,Iz"),
    # 82: alias of 80 in 32-bit and 16-bit code (#UD only in 64-bit mode)
    0x82: _grp1("Eb,Ib"),
    0x83: _grp1("Ev,Ibs"),
    0x84: row("test", "Eb,Gb", flags=LOGIC),
    0x85: row("test", "Ev,Gv", flags=LOGIC),
    0x86: row("xchg", "Eb,Gb", lock=True, cls="xchg"),
    0x87: row("xchg", "Ev,Gv", lock=True, cls="xchg"),
    0x88: row("mov", "Eb,Gb", cls="mov"),
    0x89: row("mov", "Ev,Gv", cls="mov"),
    0x8A: row("mov", "Gb,Eb", cls="mov"),
    0x8B: row("mov", "Gv,Ev", cls="mov"),
    0x8C: row("mov", "Evw,Sw", cls="mov"),
    0x8D: row("lea", "Gv,M0", cls="lea"),
    0x8E: row("mov", "Sw,Ew", cls="movsr"),
    0x8F: Group("grp1a", [row("pop", "Ev", cls="pop"), UD, UD, UD, UD, UD, UD, UD]),
    0x90: row("nop", cls="nop"),
    0x98: row("cbw|cwde", cls="cbw"),
    0x99: row("cwd|cdq", cls="cbw"),
    0x9A: row("call", "Ap", branch=True, cls="callf"),
    0x9B: row("fwait", cls="fwait"),
    0x9C: row("pushf|pushfd", flags=PUSHF, flags16=PUSHF16, cls="pushf"),
    0x9D: row("popf|popfd", flags=POPF, flags16=POPF16, cls="popf"),
    0x9E: row("sahf", flags=SAHF, cls="flag"),
    0x9F: row("lahf", flags=LAHF, cls="flag"),
    0xA0: row("mov", "AL,Ob", cls="load"),
    0xA1: row("mov", "eAX,Ov", cls="load"),
    0xA2: row("mov", "Ob,AL", cls="store"),
    0xA3: row("mov", "Ov,eAX", cls="store"),
    0xA4: row("movsb", "Yb,Xb", string=True, rep=True, flags=STRD, cls="string"),
    0xA5: row("movsw|movsd", "Yv,Xv", string=True, rep=True, flags=STRD, cls="string"),
    0xA6: row("cmpsb", "Xb,Yb", string=True, rep=True, flags=CMPS, cls="string"),
    0xA7: row("cmpsw|cmpsd", "Xv,Yv", string=True, rep=True, flags=CMPS, cls="string"),
    0xA8: row("test", "AL,Ib", flags=LOGIC),
    0xA9: row("test", "eAX,Iz", flags=LOGIC),
    0xAA: row("stosb", "Yb,AL", string=True, rep=True, flags=STRD, cls="string"),
    0xAB: row("stosw|stosd", "Yv,eAX", string=True, rep=True, flags=STRD, cls="string"),
    0xAC: row("lodsb", "AL,Xb", string=True, rep=True, flags=STRD, cls="string"),
    0xAD: row("lodsw|lodsd", "eAX,Xv", string=True, rep=True, flags=STRD, cls="string"),
    0xAE: row("scasb", "AL,Yb", string=True, rep=True, flags=CMPS, cls="string"),
    0xAF: row("scasw|scasd", "eAX,Yv", string=True, rep=True, flags=CMPS, cls="string"),
    0xC0: _grp2("Eb,Ib"),
    0xC1: _grp2("Ev,Ib"),
    0xC2: row("ret", "Iw", branch=True, cls="ret"),
    0xC3: row("ret", branch=True, cls="ret"),
    0xC4: row("les", "Gv,Mp", cls="segload"),
    0xC5: row("lds", "Gv,Mp", cls="segload"),
    0xC6: Group("grp11", [row("mov", "Eb,Ib", cls="mov"), UD, UD, UD, UD, UD, UD, UD]),
    0xC7: Group("grp11", [row("mov", "Ev,Iz", cls="mov"), UD, UD, UD, UD, UD, UD, UD]),
    0xC8: row("enter", "Iw,Ib", cls="enter"),
    0xC9: row("leave", cls="leave"),
    0xCA: row("retf", "Iw", branch=True, cls="retf"),
    0xCB: row("retf", branch=True, cls="retf"),
    0xCC: row("int3", branch=True, flags=INT, cls="int"),
    0xCD: row("int", "Ib", branch=True, flags=INT, cls="int"),
    0xCE: row("into", branch=True, flags=Flags(r="ovl", w="tinrx"), cls="int"),
    0xCF: row("iret|iretd", branch=True, flags=IRET, flags16=IRET16, cls="iret"),
    0xD0: _grp2("Eb,1"),
    0xD1: _grp2("Ev,1"),
    0xD2: _grp2("Eb,CL"),
    0xD3: _grp2("Ev,CL"),
    0xD4: row("aam", "Ib", flags=AAM, cls="bcd"),
    0xD5: row("aad", "Ib", flags=AAD, cls="bcd"),
    # D6: SALC, undocumented (AL = CF ? FF : 00), present on every Intel
    # x86 through the P6 (sandpile.org).  iced decodes it too.
    0xD6: row("salc", flags=SALC, cls="alu"),
    0xD7: row("xlat", "XLAT", cls="load"),
    0xE0: row("loopne", "Jb", branch=True, flags=Flags(r="z"), cls="loop"),
    0xE1: row("loope", "Jb", branch=True, flags=Flags(r="z"), cls="loop"),
    0xE2: row("loop", "Jb", branch=True, cls="loop"),
    0xE3: row("jcxz|jecxz", "Jb", branch=True, by_adsize=True, cls="jcxz"),
    0xE4: row("in", "AL,Ib", cls="io"),
    0xE5: row("in", "eAX,Ib", cls="io"),
    0xE6: row("out", "Ib,AL", cls="io"),
    0xE7: row("out", "Ib,eAX", cls="io"),
    0xE8: row("call", "Jz", branch=True, cls="call"),
    0xE9: row("jmp", "Jz", branch=True, cls="jmp"),
    0xEA: row("jmp", "Ap", branch=True, cls="jmpf"),
    0xEB: row("jmp", "Jb", branch=True, cls="jmp"),
    0xEC: row("in", "AL,DX", cls="io"),
    0xED: row("in", "eAX,DX", cls="io"),
    0xEE: row("out", "DX,AL", cls="io"),
    0xEF: row("out", "DX,eAX", cls="io"),
    # F1: INT1 / ICEBP, undocumented until recent SDMs (now "INT1"), on P6.
    0xF1: row("int1", branch=True, flags=INT, cls="int"),
    0xF4: row("hlt", priv=True, cls="hlt"),
    0xF5: row("cmc", flags=CMC, cls="flag"),
    0xF6: _grp3("b"),
    0xF7: _grp3("v"),
    0xF8: row("clc", flags=CLC, cls="flag"),
    0xF9: row("stc", flags=CLC, cls="flag"),
    0xFA: row("cli", flags=CLI, cls="cli"),
    0xFB: row("sti", flags=CLI, cls="sti"),
    0xFC: row("cld", flags=CLD, cls="flag"),
    0xFD: row("std", flags=CLD, cls="flag"),
    0xFE: Group("grp4", [row("inc", "Eb", lock=True, flags=INCDEC),
                         row("dec", "Eb", lock=True, flags=INCDEC), UD, UD, UD, UD, UD, UD]),
    0xFF: Group("grp5", [
        row("inc", "Ev", lock=True, flags=INCDEC),
        row("dec", "Ev", lock=True, flags=INCDEC),
        row("call", "Ev", branch=True, cls="calli"),
        row("call", "Mp", branch=True, cls="callf"),
        row("jmp", "Ev", branch=True, cls="jmpi"),
        row("jmp", "Mp", branch=True, cls="jmpf"),
        row("push", "Ev", cls="push"),
        UD]),
})
for _r in range(8):
    ONE_BYTE[0x40 + _r] = row("inc", "Zv", flags=INCDEC)
    ONE_BYTE[0x48 + _r] = row("dec", "Zv", flags=INCDEC)
    ONE_BYTE[0x50 + _r] = row("push", "Zv", cls="push")
    ONE_BYTE[0x58 + _r] = row("pop", "Zv", cls="pop")
    ONE_BYTE[0xB0 + _r] = row("mov", "Zb,Ib", cls="mov")
    ONE_BYTE[0xB8 + _r] = row("mov", "Zv,Iv", cls="mov")
    if _r:
        ONE_BYTE[0x90 + _r] = row("xchg", "Zv,eAX", cls="xchg")
for _cc, _r in enumerate(_cc_rows("j", "Jb", branch=True, cls="jcc")):
    ONE_BYTE[0x70 + _cc] = _r

# x87 escapes D8-DF (SDM Vol. 2 Tables A-7 .. A-22)
_X87_ARITH = ["fadd", "fmul", "fcom", "fcomp", "fsub", "fsubr", "fdiv", "fdivr"]


def _x87(mn, ops="", cls="x87", flags=NOFLAGS):
    return row(mn, ops, x87=True, cls=cls, flags=flags)


def _x87_reg_block(rows8):
    """rows8[i] for ModRM C0+8i..C7+8i (one row per block of 8)."""
    out = []
    for r in rows8:
        out.extend([r] * 8)
    return out


def _x87_fixed(base, names):
    """base list of 64 (or None); names: {modrm_low6: row}"""
    out = list(base) if base else [UD] * 64
    for k, r in names.items():
        out[k] = r
    return out


_FPU_CONST = ["fld1", "fldl2t", "fldl2e", "fldpi", "fldlg2", "fldln2", "fldz"]
_FPU_D9_F0 = ["f2xm1", "fyl2x", "fptan", "fpatan", "fxtract", "fprem1", "fdecstp", "fincstp",
              "fprem", "fyl2xp1", "fsqrt", "fsincos", "frndint", "fscale", "fsin", "fcos"]

X87 = {
    0xD8: Group("x87 D8", [_x87(m, "Mr4", cls="x87_load") for m in _X87_ARITH],
                reg64=_x87_reg_block([_x87(m, "ST,STi") for m in _X87_ARITH])),
    0xD9: Group("x87 D9", [
        _x87("fld", "Mr4", cls="x87_load"), UD,
        _x87("fst", "Mr4", cls="x87_store"), _x87("fstp", "Mr4", cls="x87_store"),
        _x87("fldenv", "Me", cls="x87_ctl"), _x87("fldcw", "Mw", cls="x87_ctl"),
        _x87("fnstenv", "Me", cls="x87_ctl"), _x87("fnstcw", "Mw", cls="x87_ctl")],
        reg64=_x87_fixed(
            _x87_reg_block([_x87("fld", "STi"), _x87("fxch", "ST,STi"), UD,
                            # D9 D8+i: undocumented FSTP alias ("fstp1"); iced: fstpnce
                            _x87("fstpnce", "STi"), UD, UD, UD, UD]),
            dict([(0x10, _x87("fnop")), (0x20, _x87("fchs")), (0x21, _x87("fabs")),
                  (0x24, _x87("ftst")), (0x25, _x87("fxam"))]
                 + [(0x28 + i, _x87(n)) for i, n in enumerate(_FPU_CONST)]
                 + [(0x30 + i, _x87(n)) for i, n in enumerate(_FPU_D9_F0)]))),
    0xDA: Group("x87 DA", [_x87("fi" + m[1:], "Mi4", cls="x87_load") for m in _X87_ARITH],
                reg64=_x87_fixed(_x87_reg_block(
                    [_x87("fcmov" + c, "ST,STi") for c in ("b", "e", "be", "u")] + [UD] * 4),
                    {0x29: _x87("fucompp")})),
    0xDB: Group("x87 DB", [
        _x87("fild", "Mi4", cls="x87_load"), UD,
        _x87("fist", "Mi4", cls="x87_store"), _x87("fistp", "Mi4", cls="x87_store"),
        UD, _x87("fld", "Mt", cls="x87_load"), UD, _x87("fstp", "Mt", cls="x87_store")],
        reg64=_x87_fixed(_x87_reg_block(
            [_x87("fcmov" + c, "ST,STi") for c in ("nb", "ne", "nbe", "nu")]
            + [UD, _x87("fucomi", "ST,STi", flags=COMI), _x87("fcomi", "ST,STi", flags=COMI), UD]),
            # DB E0/E1 (8087 FENI/FDISI) and E4 (287 FSETPM) execute as FNOP on 387+
            {0x20: _x87("fneni"), 0x21: _x87("fndisi"), 0x22: _x87("fnclex"),
             0x23: _x87("fninit"), 0x24: _x87("fnsetpm"),
             0x25: UD, 0x26: UD, 0x27: UD})),
    0xDC: Group("x87 DC", [_x87(m, "Mr8", cls="x87_load") for m in _X87_ARITH],
                # DC D0+i / D8+i: undocumented aliases of D8 D0+i / D8+i (fcom/fcomp st(i))
                reg64=_x87_reg_block([_x87("fadd", "STi,ST"), _x87("fmul", "STi,ST"),
                                      _x87("fcom", "ST,STi"), _x87("fcomp", "ST,STi"),
                                      _x87("fsubr", "STi,ST"), _x87("fsub", "STi,ST"),
                                      _x87("fdivr", "STi,ST"), _x87("fdiv", "STi,ST")])),
    0xDD: Group("x87 DD", [
        _x87("fld", "Mr8", cls="x87_load"), UD,
        _x87("fst", "Mr8", cls="x87_store"), _x87("fstp", "Mr8", cls="x87_store"),
        _x87("frstor", "Mf", cls="x87_ctl"), UD,
        _x87("fnsave", "Mf", cls="x87_ctl"), _x87("fnstsw", "Mw", cls="x87_ctl")],
        reg64=_x87_reg_block([_x87("ffree", "STi"), _x87("fxch", "ST,STi"), _x87("fst", "STi"),
                              _x87("fstp", "STi"), _x87("fucom", "ST,STi"), _x87("fucomp", "ST,STi"),
                              UD, UD])),
    0xDE: Group("x87 DE", [_x87("fi" + m[1:], "Mi2", cls="x87_load") for m in _X87_ARITH],
                reg64=_x87_fixed(_x87_reg_block(
                    [_x87("faddp", "STi,ST"), _x87("fmulp", "STi,ST"), _x87("fcomp", "ST,STi"), UD,
                     _x87("fsubrp", "STi,ST"), _x87("fsubp", "STi,ST"),
                     _x87("fdivrp", "STi,ST"), _x87("fdivp", "STi,ST")]),
                    {0x19: _x87("fcompp")})),
    0xDF: Group("x87 DF", [
        _x87("fild", "Mi2", cls="x87_load"), UD,
        _x87("fist", "Mi2", cls="x87_store"), _x87("fistp", "Mi2", cls="x87_store"),
        _x87("fbld", "Mbcd", cls="x87_load"), _x87("fild", "Mi8", cls="x87_load"),
        _x87("fbstp", "Mbcd", cls="x87_store"), _x87("fistp", "Mi8", cls="x87_store")],
        reg64=_x87_fixed(_x87_reg_block(
            [_x87("ffreep", "STi"), _x87("fxch", "ST,STi"), _x87("fstp", "STi"), _x87("fstp", "STi"),
             UD, _x87("fucomip", "ST,STi", flags=COMI), _x87("fcomip", "ST,STi", flags=COMI), UD]),
            {0x20: _x87("fnstsw", "AX", cls="x87_ctl")})),
}
# FCMOVcc (DA/DB C0-DF) carry their condition in Insn.cc, in Jcc numbering
# (b=2 e=4 be=6 u=p=10; DB: the negations, +1) and read the flags it tests.
for _op in (0xDA, 0xDB):
    for _k in range(4):
        _r = X87[_op].reg64[_k * 8]
        _r.cc = _FCMOV_CC[_k] | (1 if _op == 0xDB else 0)
        _r.flags = Flags(r=_CC_READ[_r.cc])
ONE_BYTE.update(X87)

# Cost classes of the slower x87 forms (the cycle profile prices them; the
# decoding is the table above).  Rows are shared between ModRM blocks, so
# retag each row object once.
_X87_COST = {"fmul": "x87_mul", "fimul": "x87_mul",
             "fdiv": "x87_div", "fdivr": "x87_div", "fdivp": "x87_div", "fdivrp": "x87_div",
             "fidiv": "x87_div", "fidivr": "x87_div",
             "fsqrt": "x87_sqrt",
             "f2xm1": "x87_trans", "fyl2x": "x87_trans", "fptan": "x87_trans",
             "fpatan": "x87_trans", "fyl2xp1": "x87_trans", "fsincos": "x87_trans",
             "fsin": "x87_trans", "fcos": "x87_trans", "fprem": "x87_trans",
             "fprem1": "x87_trans", "fscale": "x87_trans", "fxtract": "x87_trans",
             "frndint": "x87_trans", "fxam": "x87_trans",
             "fist": "x87_int", "fistp": "x87_int", "fild": "x87_int",
             "fiadd": "x87_int", "fisub": "x87_int", "fisubr": "x87_int", "ficom": "x87_int",
             "ficomp": "x87_int",
             "fbld": "x87_bcd", "fbstp": "x87_bcd",
             "fldenv": "x87_env", "fnstenv": "x87_env", "frstor": "x87_env", "fnsave": "x87_env",
             "fldcw": "x87_env"}


def _x87_rows(g):
    seen = set()
    for lst in (g.mem if isinstance(g, Group) else [], getattr(g, "reg64", None) or []):
        for r in lst:
            if isinstance(r, Row) and id(r) not in seen:
                seen.add(id(r))
                yield r


for _g in X87.values():
    for _r in _x87_rows(_g):
        if _r.mn in _X87_COST:
            _r.cls = _X87_COST[_r.mn]

# ----------------------------------------------------------------------------
# The 0F map (SDM Vol. 2 Table A-3)


def _mmx(mn, ops, cls="mmx"):
    return row(mn, ops, mmx=True, cls=cls)


def _np(r):
    """A 66/F2/F3 prefix makes the row #UD (the SDM's "NP" encodings)."""
    r.attrs |= ATTR_NO_SIMD_PFX
    return r


TWO_BYTE = {
    0x00: Group("grp6", [
        row("sldt", "Evw", cls="sysreg"), row("str", "Evw", cls="sysreg"),
        row("lldt", "Ew", priv=True, cls="descr"), row("ltr", "Ew", priv=True, cls="descr"),
        row("verr", "Ew", flags=ZONLY, cls="verr"), row("verw", "Ew", flags=ZONLY, cls="verr"),
        UD, UD]),
    0x01: Group("grp7", [
        row("sgdt", "Ms", cls="sysreg"), row("sidt", "Ms", cls="sysreg"),
        row("lgdt", "Ms", priv=True, cls="descr"), row("lidt", "Ms", priv=True, cls="descr"),
        row("smsw", "Evw", cls="sysreg"), UD,
        row("lmsw", "Ew", priv=True, cls="lmsw"), row("invlpg", "M0", priv=True, cls="invlpg")],
        # mod = 11: only SMSW/LMSW exist on a P6 (MONITOR/MWAIT, VMX, SWAPGS,
        # RDTSCP ... came later)
        reg=[UD, UD, UD, UD, "same", UD, "same", UD]),
    0x02: row("lar", "Gv,Evw", flags=ZONLY, cls="lar"),
    0x03: row("lsl", "Gv,Evw", flags=ZONLY, cls="lar"),
    0x06: row("clts", priv=True, cls="clts"),
    0x08: row("invd", priv=True, cls="cache"),
    0x09: row("wbinvd", priv=True, cls="cache"),
    0x0B: row("ud2", cls="ud"),
    0x20: row("mov", "Rd,Cd", priv=True, cls="crmov", flags=CRMOV),
    0x21: row("mov", "Rd,Dd", priv=True, cls="drmov", flags=CRMOV),
    0x22: row("mov", "Cd,Rd", priv=True, cls="crmov", flags=CRMOV),
    0x23: row("mov", "Dd,Rd", priv=True, cls="drmov", flags=CRMOV),
    0x30: row("wrmsr", priv=True, cls="msr"),
    0x31: row("rdtsc", cls="rdtsc"),
    0x32: row("rdmsr", priv=True, cls="msr"),
    0x33: row("rdpmc", cls="rdpmc"),
    0x34: row("sysenter", branch=True, flags=SYSENTER, cls="sysenter"),
    0x35: row("sysexit", branch=True, priv=True, cls="sysexit"),
    0x60: _mmx("punpcklbw", "Pq,Qd"),
    0x61: _mmx("punpcklwd", "Pq,Qd"),
    0x62: _mmx("punpckldq", "Pq,Qd"),
    0x63: _mmx("packsswb", "Pq,Qq"),
    0x64: _mmx("pcmpgtb", "Pq,Qq"),
    0x65: _mmx("pcmpgtw", "Pq,Qq"),
    0x66: _mmx("pcmpgtd", "Pq,Qq"),
    0x67: _mmx("packuswb", "Pq,Qq"),
    0x68: _mmx("punpckhbw", "Pq,Qq"),
    0x69: _mmx("punpckhwd", "Pq,Qq"),
    0x6A: _mmx("punpckhdq", "Pq,Qq"),
    0x6B: _mmx("packssdw", "Pq,Qq"),
    0x6E: _mmx("movd", "Pq,Ed", cls="mmx_load"),
    0x6F: _mmx("movq", "Pq,Qq", cls="mmx_load"),
    0x71: Group("grp12", [UD] * 8, reg=[UD, UD, _mmx("psrlw", "Nq,Ib"), UD,
                                        _mmx("psraw", "Nq,Ib"), UD, _mmx("psllw", "Nq,Ib"), UD]),
    0x72: Group("grp13", [UD] * 8, reg=[UD, UD, _mmx("psrld", "Nq,Ib"), UD,
                                        _mmx("psrad", "Nq,Ib"), UD, _mmx("pslld", "Nq,Ib"), UD]),
    0x73: Group("grp14", [UD] * 8, reg=[UD, UD, _mmx("psrlq", "Nq,Ib"), UD,
                                        UD, UD, _mmx("psllq", "Nq,Ib"), UD]),
    0x74: _mmx("pcmpeqb", "Pq,Qq"),
    0x75: _mmx("pcmpeqw", "Pq,Qq"),
    0x76: _mmx("pcmpeqd", "Pq,Qq"),
    0x77: _mmx("emms", "", cls="emms"),
    0x7E: _mmx("movd", "Ed,Pq", cls="mmx_store"),
    0x7F: _mmx("movq", "Qq,Pq", cls="mmx_store"),
    0xA0: row("push", "FS", cls="pushsr"),
    0xA1: row("pop", "FS", cls="popsr"),
    0xA2: row("cpuid", cls="cpuid"),
    0xA3: row("bt", "Ev,Gv", flags=BITTEST, cls="bit"),
    0xA4: row("shld", "Ev,Gv,Ib", flags=SHXD, cls="shxd"),
    0xA5: row("shld", "Ev,Gv,CL", flags=SHXD, cls="shxd"),
    0xA8: row("push", "GS", cls="pushsr"),
    0xA9: row("pop", "GS", cls="popsr"),
    0xAA: row("rsm", branch=True, flags=IRET, cls="rsm"),
    0xAB: row("bts", "Ev,Gv", lock=True, flags=BITTEST, cls="bit"),
    0xAC: row("shrd", "Ev,Gv,Ib", flags=SHXD, cls="shxd"),
    0xAD: row("shrd", "Ev,Gv,CL", flags=SHXD, cls="shxd"),
    # FXSAVE/FXRSTOR (0F AE /0 /1): a Celeron model 6 reports CPUID FXSR (SDM Vol. 2
    # FXSAVE: "NP 0F AE /0", a 66/F2/F3 prefix is #UD as for the MMX rows); the other
    # grp15 forms are SSE/SSE2: #UD.
    0xAE: Group("grp15", [_np(_x87("fxsave", "M0", cls="x87_env")),
                          _np(_x87("fxrstor", "M0", cls="x87_env")),
                          UD, UD, UD, UD, UD, UD], reg=[UD] * 8),
    0xAF: row("imul", "Gv,Ev", flags=MUL, cls="mul"),
    0xB0: row("cmpxchg", "Eb,Gb", lock=True, flags=ARITH, cls="cmpxchg"),
    0xB1: row("cmpxchg", "Ev,Gv", lock=True, flags=ARITH, cls="cmpxchg"),
    0xB2: row("lss", "Gv,Mp", cls="segload"),
    0xB3: row("btr", "Ev,Gv", lock=True, flags=BITTEST, cls="bit"),
    0xB4: row("lfs", "Gv,Mp", cls="segload"),
    0xB5: row("lgs", "Gv,Mp", cls="segload"),
    0xB6: row("movzx", "Gv,Eb", cls="mov"),
    0xB7: row("movzx", "Gv,Ew", cls="mov"),
    # 0F B9: UD1 (SDM: "UD1 r32, r/m32", raises #UD); decoded with its
    # ModRM so that its length is right; the executor raises #UD.
    0xB9: row("ud1", "Gv,Ev", cls="ud"),
    0xBA: Group("grp8", [UD, UD, UD, UD,
                         row("bt", "Ev,Ib", flags=BITTEST, cls="bit"),
                         row("bts", "Ev,Ib", lock=True, flags=BITTEST, cls="bit"),
                         row("btr", "Ev,Ib", lock=True, flags=BITTEST, cls="bit"),
                         row("btc", "Ev,Ib", lock=True, flags=BITTEST, cls="bit")]),
    0xBB: row("btc", "Ev,Gv", lock=True, flags=BITTEST, cls="bit"),
    0xBC: row("bsf", "Gv,Ev", flags=BITSCAN, cls="bitscan"),
    0xBD: row("bsr", "Gv,Ev", flags=BITSCAN, cls="bitscan"),
    0xBE: row("movsx", "Gv,Eb", cls="mov"),
    0xBF: row("movsx", "Gv,Ew", cls="mov"),
    0xC0: row("xadd", "Eb,Gb", lock=True, flags=ARITH, cls="xadd"),
    0xC1: row("xadd", "Ev,Gv", lock=True, flags=ARITH, cls="xadd"),
    0xC7: Group("grp9", [UD, row("cmpxchg8b", "Mq", lock=True, flags=CMPXCHG8B, cls="cmpxchg8b"),
                         UD, UD, UD, UD, UD, UD], reg=[UD] * 8),
    0xD1: _mmx("psrlw", "Pq,Qq"),
    0xD2: _mmx("psrld", "Pq,Qq"),
    0xD3: _mmx("psrlq", "Pq,Qq"),
    0xD5: _mmx("pmullw", "Pq,Qq", cls="mmx_mul"),
    0xD8: _mmx("psubusb", "Pq,Qq"),
    0xD9: _mmx("psubusw", "Pq,Qq"),
    0xDB: _mmx("pand", "Pq,Qq"),
    0xDC: _mmx("paddusb", "Pq,Qq"),
    0xDD: _mmx("paddusw", "Pq,Qq"),
    0xDF: _mmx("pandn", "Pq,Qq"),
    0xE1: _mmx("psraw", "Pq,Qq"),
    0xE2: _mmx("psrad", "Pq,Qq"),
    0xE5: _mmx("pmulhw", "Pq,Qq", cls="mmx_mul"),
    0xE8: _mmx("psubsb", "Pq,Qq"),
    0xE9: _mmx("psubsw", "Pq,Qq"),
    0xEB: _mmx("por", "Pq,Qq"),
    0xEC: _mmx("paddsb", "Pq,Qq"),
    0xED: _mmx("paddsw", "Pq,Qq"),
    0xEF: _mmx("pxor", "Pq,Qq"),
    0xF1: _mmx("psllw", "Pq,Qq"),
    0xF2: _mmx("pslld", "Pq,Qq"),
    0xF3: _mmx("psllq", "Pq,Qq"),
    0xF5: _mmx("pmaddwd", "Pq,Qq", cls="mmx_mul"),
    0xF8: _mmx("psubb", "Pq,Qq"),
    0xF9: _mmx("psubw", "Pq,Qq"),
    0xFA: _mmx("psubd", "Pq,Qq"),
    0xFC: _mmx("paddb", "Pq,Qq"),
    0xFD: _mmx("paddw", "Pq,Qq"),
    0xFE: _mmx("paddd", "Pq,Qq"),
    # 0F FF: UD0 (SDM "UD0 r32, r/m32"), #UD; decoded with ModRM as iced does.
    0xFF: row("ud0", "Gv,Ev", cls="ud"),
}
# grp7 reg forms "same" -> same row as the memory form (SMSW/LMSW)
_g7 = TWO_BYTE[0x01]
_g7.reg = [(_g7.mem[i] if r == "same" else r) for i, r in enumerate(_g7.reg)]
# the register forms of SMSW are sized by operand size: "Evw" does that.

# 0F 18-0F 1F: the P6 hint-NOP space ("NOP Ev" at 0F 1F /0, reserved-NOP
# "Ev,Gv" elsewhere).  0F 18 /0-3 with memory became PREFETCHh with SSE
# (Pentium III); on a P6 without SSE they are hint NOPs like the rest
# (sandpile.org 0F 18-1F "hint_nop, P6+").
_NOP_EG = row("nop", "Ev,Gv", cls="nop")
for _o in range(0x18, 0x1F):
    TWO_BYTE[_o] = _NOP_EG
TWO_BYTE[0x1F] = Group("nop", [row("nop", "Ev", cls="nop")] + [_NOP_EG] * 7)
for _cc, _r in enumerate(_cc_rows("cmov", "Gv,Ev", cls="cmov")):
    TWO_BYTE[0x40 + _cc] = _r
for _cc, _r in enumerate(_cc_rows("j", "Jz", branch=True, cls="jcc")):
    TWO_BYTE[0x80 + _cc] = _r
for _cc, _r in enumerate(_cc_rows("set", "Eb", cls="setcc")):
    TWO_BYTE[0x90 + _cc] = _r
for _r in range(8):
    TWO_BYTE[0xC8 + _r] = row("bswap", "Zv", cls="bswap")

# ----------------------------------------------------------------------------
# Flatten: ROWS, MNEMONICS, lookups


class RowDef:
    """One entry of ROWS (what Insn.row indexes)."""
    __slots__ = ("id", "mnemonic", "op", "ops", "attrs", "flags_read", "flags_written",
                 "flags_undef", "undef_value", "undef_known", "undef_basis", "cls", "cls_id",
                 "cc", "name", "src")

    def __repr__(self):
        return f"<RowDef {self.id} {self.name}>"


MNEMONICS = []
_MN_ID = {}
ROWS = []
_ROW_BY_NAME = {}


def _mn_id(name):
    if name not in _MN_ID:
        _MN_ID[name] = len(MNEMONICS)
        MNEMONICS.append(name)
    return _MN_ID[name]


def _emit(r, mn, fl=None):
    fl = fl or r.flags
    d = RowDef()
    d.id = len(ROWS)
    d.mnemonic = mn
    d.op = _mn_id(mn)
    d.ops = tuple(r.ops)
    d.attrs = r.attrs
    d.flags_read = fl.read
    d.flags_written = fl.written
    d.flags_undef = fl.undef
    d.undef_value = fl.p6_value
    d.undef_known = fl.p6_known
    d.undef_basis = fl.basis
    d.cls = r.cls
    d.cls_id = _CLASS_ID[r.cls]
    d.cc = r.cc if r.cc is not None else 0
    d.name = (mn + " " + ",".join(r.ops)).strip()
    d.src = r
    ROWS.append(d)
    _ROW_BY_NAME.setdefault(d.name, d.id)
    return d.id


def _visit(r):
    if r is UD or r.ids is not None:
        return
    if "|" in r.mn:
        a, b = r.mn.split("|")
        r.ids = (_emit(r, a, r.flags16), _emit(r, b))
    else:
        i = _emit(r, r.mn)
        r.ids = (i, i)


def _build():
    _mn_id("(bad)")     # id 0: an undecodable encoding
    for table in (ONE_BYTE, TWO_BYTE):
        for opc in sorted(table):
            e = table[opc]
            if isinstance(e, Group):
                for r in e.mem + e.reg + (e.reg64 or []):
                    _visit(r)
            else:
                _visit(e)


_build()
N_ROWS = len(ROWS)


def mnemonic_id(name):
    """MNEMONICS index of a mnemonic ("add", "movsd", "jne" ...); KeyError if unknown."""
    return _MN_ID[name]


def row_id(name):
    """ROWS index of a form by its name "mnemonic ops" ("add Ev,Gv", "jmp Mp",
    "pushad"); the first such row if several opcodes share the form."""
    return _ROW_BY_NAME[name]


def row_ids(mnemonic):
    """All ROWS indices with this mnemonic."""
    return [d.id for d in ROWS if d.mnemonic == mnemonic]


def class_id(name):
    return _CLASS_ID[name]
