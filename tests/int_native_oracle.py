"""The host CPU as an oracle for kw86's integer instructions (tests only).

tests/intnative/harness.c is compiled once (zig cc, x86-linux-musl, static,
32-bit) and runs each case natively at user level on this x86-64 host: the
eight GPRs and EFLAGS loaded, one instruction executed from a code page at
CODE + 0x100, then the registers, EFLAGS and the 4 KiB data page at DATA
read back; a fault is caught (SIGFPE/SIGILL/SIGSEGV/SIGBUS) and reported
with the trap number, error code, fault address and the registers at the
fault.  Every other address below 16 MiB is reserved PROT_NONE, so a wild
access faults on the host as it does on kw86, where the same two pages are
the only ones mapped (FlatCPU at CPL 3, paging on).

Compared: the eight GPRs, EIP, the arithmetic flags and DF except those the
Intel SDM (Vol. 2, the instruction's "Flags Affected") calls undefined for
the case (Case.undef, computed by the generators with the helpers below),
the data page, and the outcome: the vector (#DE 0, #UD 6, #GP 13, #PF 14;
the host reports them as SIGFPE, SIGILL, SIGSEGV with the trap number), the
error code and CR2 of a #PF.
"""
import functools
import hashlib
import os
import struct
import subprocess
import sys
import tempfile

from hostenv import ENV

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "intnative", "harness.c")

DATA = 0x0000F000          # the data page (below 64 KiB: 16-bit addressing reaches it)
CODE = 0x00020000          # the code page
INSN = CODE + 0x100        # where the instruction runs
RESV_END = 0x01000000      # [0x1000, RESV_END) is unmapped but for DATA and CODE

CF, PF, AF, ZF, SF, DF, OF = 0x1, 0x4, 0x10, 0x40, 0x80, 0x400, 0x800
ARITH = CF | PF | AF | ZF | SF | OF
COMPARED = ARITH | DF
GPRS = ("eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi")
IN_SZ, OUT_SZ = 4148, 4152
SIGNAMES = {4: "SIGILL", 5: "SIGTRAP", 7: "SIGBUS", 8: "SIGFPE", 11: "SIGSEGV"}


class Case:
    """One instruction from one state.  undef: flags the SDM leaves undefined
    here; undef_regs: {reg index: bit mask} of register bits it leaves
    undefined; undef_mem: the data page is not compared (an undefined result
    in memory)."""
    __slots__ = ("regs", "eflags", "insn", "data", "undef", "undef_regs", "undef_mem", "tag")

    def __init__(self, regs, eflags, insn, data, undef=0, undef_regs=None, undef_mem=False,
                 tag=""):
        self.regs = [r & 0xFFFFFFFF for r in regs]
        self.eflags = eflags
        self.insn = bytes(insn)
        self.data = bytes(data)
        self.undef = undef
        self.undef_regs = undef_regs or {}
        self.undef_mem = undef_mem
        self.tag = tag

    def __repr__(self):
        return (f"Case({self.tag} {self.insn.hex()} "
                + " ".join(f"{n}={v:08x}" for n, v in zip(GPRS, self.regs))
                + f" fl={self.eflags:08x})")


class Result:
    __slots__ = ("vector", "err", "cr2", "regs", "eflags", "eip", "data")

    def __init__(self, vector, err, cr2, regs, eflags, eip, data):
        self.vector, self.err, self.cr2 = vector, err, cr2
        self.regs, self.eflags, self.eip, self.data = regs, eflags, eip, data


# --- the native side -----------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def harness_path():
    with open(SRC, "rb") as f:
        src = f.read()
    tag = hashlib.sha256(src).hexdigest()[:16]
    out = os.path.join(tempfile.gettempdir(), f"kw86-int-harness-{tag}")
    if not os.path.exists(out):
        tmp = out + f".{os.getpid()}"
        subprocess.run([sys.executable, "-m", "ziglang", "cc", "-target", "x86-linux-musl",
                        "-static", "-O2", "-Wl,--image-base=0x10000000", SRC, "-o", tmp],
                       check=True, capture_output=True, timeout=600, env=ENV)
        os.replace(tmp, out)
    return out


def host_limit():
    """Why this host cannot run the harness (None if it can): not x86 Linux,
    or low pages not mappable (vm.mmap_min_addr above the data page)."""
    if sys.platform != "linux" or os.uname().machine not in ("x86_64", "i686", "i386"):
        return "not an x86 Linux host"
    try:
        with open("/proc/sys/vm/mmap_min_addr") as f:
            if int(f.read()) > 0x1000:
                return "vm.mmap_min_addr > 4096: the data page below 64 KiB cannot be mapped"
    except OSError:
        pass
    return None


def _signal_vector(sig, trapno):
    return trapno


def run_native(cases):
    recs = []
    for c in cases:
        assert 1 <= len(c.insn) <= 15 and len(c.data) == 4096
        recs.append(struct.pack("<8II", *c.regs, c.eflags) + bytes([len(c.insn)])
                    + (c.insn + bytes(15))[:15] + c.data)
    p = subprocess.run([harness_path()], input=b"".join(recs), capture_output=True,
                       timeout=600, env=ENV)
    if p.returncode != 0 or len(p.stdout) != OUT_SZ * len(cases):
        raise RuntimeError(f"native harness failed: status {p.returncode}, "
                           f"{len(p.stdout)} bytes for {len(cases)} cases")
    res = []
    for k in range(len(cases)):
        o = p.stdout[OUT_SZ * k:OUT_SZ * (k + 1)]
        sig, trapno, err, addr = struct.unpack_from("<4I", o, 0)
        regs = list(struct.unpack_from("<8I", o, 16))
        fl, eip = struct.unpack_from("<2I", o, 48)
        res.append(Result(None if sig == 0 else trapno, err if sig else None,
                          addr if sig and trapno == 14 else None, regs, fl, eip, o[56:]))
    return res


# --- kw86 ----------------------------------------------------------------------------

PD, PT = 0x100000, 0x101000


class Kw86:
    """One FlatCPU (CPL 3, paging on, only DATA and CODE mapped) reused for
    every case; cpl=0 for the supervisor paths `kw86 exec --kernelware`
    runs programs on."""

    def __init__(self, cpl=3):
        from kw86.testing import FlatCPU
        self.cpl = cpl
        self.cpu = cpu = FlatCPU(bits=32, cpl=cpl)
        cpu.write_mem(PD, struct.pack("<I", PT | 7) + bytes(4092))
        pt = bytearray(4096)
        for page in (DATA, CODE):
            struct.pack_into("<I", pt, 4 * (page >> 12), page | 7)
        cpu.write_mem(PT, bytes(pt))
        m = cpu.machine
        m.set_cr(3, PD)
        m.set_cr(0, m.get_cr(0) | 0x80000000)

    def run(self, c, mode="step"):
        """mode "step": FlatCPU.step() until EIP leaves the instruction;
        "run": one Machine.run with an int3 after the instruction (the
        run loop's inline forms and translated blocks)."""
        if mode == "run":
            return self._run_whole(c)
        cpu = self.cpu
        cpu.write_mem(CODE, bytes(0x100) + c.insn + b"\xcc" * 32)
        cpu.write_mem(DATA, c.data)
        for r, v in zip(GPRS, c.regs):
            cpu.set_reg(r, v)
        cpu.set_reg("eflags", c.eflags)
        cpu.set_reg("eip", INSN)
        exc = None
        # one step may be one iteration of a rep string instruction
        # until EIP leaves the bytes (several instructions, or a rep string
        # instruction that steps once per iteration)
        end = INSN + len(c.insn)
        limit = 32 + (min(c.regs[1], 1 << 16) if 0xF2 in c.insn or 0xF3 in c.insn else 0)
        for _ in range(limit):
            exc = cpu.step()
            if exc is not None or not INSN <= cpu.get_reg("eip") < end:
                break
        regs = [cpu.get_reg(r) for r in GPRS]
        data = cpu.read_mem(DATA, 4096)
        if exc is not None:
            return Result(exc.vector, exc.error_code, exc.cr2, regs, cpu.get_reg("eflags"),
                          cpu.get_reg("eip"), data)
        return Result(None, None, None, regs, cpu.get_reg("eflags"), cpu.get_reg("eip"), data)


    def _run_whole(self, c):
        cpu = self.cpu
        cpu.write_mem(CODE, bytes(0x100) + c.insn + b"\xcc" * 32)
        cpu.write_mem(DATA, c.data)
        for r, v in zip(GPRS, c.regs):
            cpu.set_reg(r, v)
        cpu.set_reg("eflags", c.eflags)
        cpu.set_reg("eip", INSN)
        exc = cpu.run(min(c.regs[1] + 16, 1 << 20))
        regs = [cpu.get_reg(r) for r in GPRS]
        data = cpu.read_mem(DATA, 4096)
        eip = cpu.get_reg("eip")
        end = INSN + len(c.insn)
        if exc is not None and exc.vector == 3 and eip in (end, end + 1):
            return Result(None, None, None, regs, cpu.get_reg("eflags"), end, data)
        if exc is None:
            return Result(-1, None, None, regs, cpu.get_reg("eflags"), eip, data)   # no end
        return Result(exc.vector, exc.error_code, exc.cr2, regs, cpu.get_reg("eflags"), eip,
                      data)


@functools.lru_cache(maxsize=None)
def kw86(cpl=3):
    return Kw86(cpl)


# --- comparing -----------------------------------------------------------------------

VECTOR_NAMES = {None: "ok", 0: "#DE", 1: "#DB", 3: "#BP", 6: "#UD", 13: "#GP", 14: "#PF",
                17: "#AC"}


def compare(c, nat, kw):
    """A list of differences (empty when kw86 agrees with the host)."""
    d = []
    if nat.vector != kw.vector:
        d.append(f"outcome host {VECTOR_NAMES.get(nat.vector, nat.vector)} "
                 f"kw86 {VECTOR_NAMES.get(kw.vector, kw.vector)}")
        return d
    if nat.vector == 14:
        if nat.cr2 != kw.cr2:
            d.append(f"cr2 host {nat.cr2:#x} kw86 {kw.cr2}")
        if (nat.err & 7) != ((kw.err or 0) & 7):
            d.append(f"#PF error host {nat.err:#x} kw86 {kw.err}")
    if nat.vector == 13 and (nat.err or 0) != (kw.err or 0):
        d.append(f"#GP error host {nat.err:#x} kw86 {kw.err}")
    for k, (a, b) in enumerate(zip(nat.regs, kw.regs)):
        m = ~c.undef_regs.get(k, 0) & 0xFFFFFFFF
        if (a ^ b) & m:
            d.append(f"{GPRS[k]} host {a:08x} kw86 {b:08x}")
    if nat.eip != kw.eip:
        d.append(f"eip host {nat.eip:08x} kw86 {kw.eip:08x}")
    fm = COMPARED & ~c.undef
    if (nat.eflags ^ kw.eflags) & fm:
        d.append(f"flags host {nat.eflags & fm:04x} kw86 {kw.eflags & fm:04x} "
                 f"(differ {(nat.eflags ^ kw.eflags) & fm:04x}, compared {fm:04x})")
    if not c.undef_mem and nat.data != kw.data:
        offs = [i for i in range(4096) if nat.data[i] != kw.data[i]]
        o = offs[0]
        d.append(f"memory at {DATA + o:#x} ({len(offs)} bytes) host "
                 f"{nat.data[o:o + 8].hex()} kw86 {kw.data[o:o + 8].hex()}")
    return d


# Where the host CPU and the SDM disagree the SDM wins (counted here):
SDM_OVERRIDES = {}

_PREFIXES = (0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65, 0x66, 0x67, 0xF0, 0xF2, 0xF3)


def _is_string(insn):
    k = 0
    while k < len(insn) and insn[k] in _PREFIXES:
        k += 1
    return k < len(insn) and 0xA4 <= insn[k] <= 0xAF and insn[k] not in (0xA8, 0xA9)


def sub_flags(a, b, size):
    """The arithmetic flags of CMP a, b (SUB without the store)."""
    m = (1 << size) - 1
    a, b = a & m, b & m
    r = (a - b) & m
    f = 0
    if a < b:
        f |= CF
    if bin(r & 0xFF).count("1") % 2 == 0:
        f |= PF
    if (a ^ b ^ r) & 0x10:
        f |= AF
    if r == 0:
        f |= ZF
    if r >> (size - 1):
        f |= SF
    if ((a ^ b) & (a ^ r)) >> (size - 1) & 1:
        f |= OF
    return f


def _rep_compare_fault(c, nat):
    """A REPE/REPNE CMPS or SCAS that faults after completing iterations: the
    SDM's Operation sets the flags in every iteration and a fault leaves the
    state before the faulting one, so the flags are those of the last
    completed compare.  The host leaves the flags the instruction started
    with (its iterations commit the flags at the end): the SDM's are
    expected, computed here from the host's registers and memory."""
    k = 0
    while c.insn[k] in _PREFIXES:
        k += 1
    op = c.insn[k]
    if op not in (0xA6, 0xA7, 0xAE, 0xAF):
        return nat
    pre = c.insn[:k]
    ad16 = 0x67 in pre
    am = 0xFFFF if ad16 else 0xFFFFFFFF
    size = 8 if op in (0xA6, 0xAE) else (16 if 0x66 in pre else 32)
    n = size // 8
    done = ((c.regs[1] - nat.regs[1]) & am)
    if done == 0 or not (0xF2 in pre or 0xF3 in pre):
        return nat
    step = -n if c.eflags & DF else n

    def rd(reg):
        a = (nat.regs[reg] - step) & am
        if not (DATA <= a and a + n <= DATA + 0x1000):
            return None
        return int.from_bytes(nat.data[a - DATA:a - DATA + n], "little")
    b = rd(7)
    a = rd(6) if op in (0xA6, 0xA7) else nat.regs[0]
    if a is None or b is None:
        return nat
    want = sub_flags(a, b, size)
    if (nat.eflags ^ want) & ARITH:
        SDM_OVERRIDES["rep_compare_fault_flags"] = SDM_OVERRIDES.get(
            "rep_compare_fault_flags", 0) + 1
        return Result(nat.vector, nat.err, nat.cr2, nat.regs, (nat.eflags & ~ARITH) | want,
                      nat.eip, nat.data)
    return nat


def sdm_expect(c, nat):
    """The result the SDM prescribes, from the host's.  A fault is reported
    with the state as before the instruction (SDM Vol. 3A §6.5 "Faults": "the
    processor restores the machine state to the state prior to the beginning
    of execution of the faulting instruction") but for the iterations a
    string instruction completed (Vol. 2B REP: "registers ... point to the
    element" of the fault).  The host CPU leaves some of a faulting POPA's
    registers loaded and some of a faulting PUSHA's stores written (a 16-bit
    PUSHA whose third word faults keeps the first two): the SDM's state is
    expected instead."""
    if nat.vector is None or nat.vector == 3 or nat.eip != INSN:
        return nat          # (a fault further on: a later instruction of a sequence)
    if _is_string(c.insn):
        return _rep_compare_fault(c, nat)
    changed = []
    if nat.regs != c.regs:
        changed.append("registers")
    if nat.data != c.data:
        changed.append("memory")
    if (nat.eflags ^ c.eflags) & COMPARED:
        changed.append("flags")
    if not changed:
        return nat
    key = f"fault_leaves_{'+'.join(changed) or 'eip'}_changed"
    SDM_OVERRIDES[key] = SDM_OVERRIDES.get(key, 0) + 1
    return Result(nat.vector, nat.err, nat.cr2, list(c.regs), (nat.eflags & ~COMPARED)
                  | (c.eflags & COMPARED), INSN, c.data)


def check(cases, modes=("step", "run", "cpl0")):
    """Run cases on the host and on kw86 (one instruction per step, in one
    Machine.run, and in one Machine.run at CPL 0, where a #PF's error code
    has U/S = 0); returns [(case, differences, host, kw86)]."""
    k = kw86()
    mine = [k.run(c) for c in cases]
    for c, r in zip(cases, mine):
        # a generator bug must not reach the host's own memory (the harness
        # binary, its stack): every access goes to the reserved range
        if r.vector == 14 and not r.cr2 < RESV_END:
            raise AssertionError(f"{c!r}: an access outside the reserved range ({r.cr2:#x})")
    native = run_native(cases)
    bad = []
    for c, nat, r in zip(cases, native, mine):
        nat = sdm_expect(c, nat)
        for mode in modes:
            if mode == "cpl0":
                r = kw86(0).run(c, "run")
                if r.vector == 14 and r.err is not None:
                    r.err |= 4                      # U/S: the host ran at CPL 3
            elif mode != "step":
                r = k.run(c, mode)
            d = compare(c, nat, r)
            if d:
                bad.append((c, [f"[{mode}]"] + d, nat, r))
    return bad


def report(bad, n):
    lines = [f"{len(bad)} of {n} cases differ from the host CPU"]
    for c, d, nat, kw in bad[:12]:
        lines.append(f"  {c!r}\n    " + "; ".join(d))
    return "\n".join(lines)


# --- undefined flags (Intel SDM Vol. 2, "Flags Affected" of each instruction) --------

def shift_undef(op, size, count):
    """SAL/SAR/SHL/SHR: "The OF flag is affected only for 1-bit shifts ...
    otherwise, it is undefined ... If the count is 0, the flags are not
    affected. For a non-zero count, the AF flag is undefined"; CF "is undefined
    for SHL and SHR instructions where the count is greater than or equal to
    the size (in bits) of the destination operand".  RCL/RCR/ROL/ROR: "If the
    masked count is 0, the flags are not affected. If the masked count is 1,
    then the OF flag is affected, otherwise (masked count is greater than 1)
    the OF flag is undefined."  (The count is masked to 5 bits.)"""
    c = count & 0x1F
    if c == 0:
        return 0
    u = 0 if c == 1 else OF
    if op in ("shl", "sal", "shr", "sar"):
        u |= AF
        if op != "sar" and c >= size:
            u |= CF
    return u


def shxd_undef(size, count):
    """SHLD/SHRD: "If the count is 1 or greater, the CF flag is filled with the
    last bit shifted out ... For a 1-bit shift, the OF flag is set if a sign
    change occurred ... For shifts greater than 1 bit, the OF flag is
    undefined. If a shift occurs, the AF flag is undefined. If the count
    operand is 0, the flags are not affected. If the count is greater than the
    operand size, the flags are undefined" (and so is the result).
    Returns (undefined flags, result undefined)."""
    c = count & 0x1F
    if c == 0:
        return 0, False
    if c > size:
        return ARITH, True
    return (AF | (OF if c > 1 else 0)), False


# Instructions whose undefined flags do not depend on the operands.
UNDEF = {
    # AND/OR/XOR/TEST: "The OF and CF flags are cleared; the SF, ZF, and PF flags
    # are set according to the result. The state of the AF flag is undefined."
    "logic": AF,
    # MUL: "The SF, ZF, AF, and PF flags are undefined."  IMUL: likewise.
    "mul": SF | ZF | AF | PF,
    # DIV/IDIV: "The CF, OF, SF, ZF, AF, and PF flags are undefined."
    "div": ARITH,
    # BT/BTS/BTR/BTC: "The ZF flag is unaffected. The OF, SF, AF, and PF flags
    # are undefined."
    "bt": OF | SF | AF | PF,
    # BSF/BSR: "The CF, OF, SF, AF, and PF flags are undefined."
    "bsf": CF | OF | SF | AF | PF,
    # AAA/AAS: "The OF, SF, ZF, and PF flags are undefined."
    "aaa": OF | SF | ZF | PF,
    # AAM/AAD: "The OF, AF, and CF flags are undefined."
    "aam": OF | AF | CF,
    # DAA/DAS: "The OF flag is undefined."
    "daa": OF,
}
