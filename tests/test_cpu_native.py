"""kw86's integer instructions against the host CPU itself (real hardware).

Each case runs natively in tests/intnative/harness.c (a static 32-bit program
at user level on this x86-64 host) and on kw86 (FlatCPU at CPL 3, the same
two pages mapped at the same addresses): registers, EIP, the arithmetic flags
and DF but those the Intel SDM leaves undefined for the case (see
tests/int_native_oracle.py), the 4 KiB data page and the fault (#DE, #UD,
#GP, #PF with its error code and CR2, and the registers at the fault) must
agree.  Families: ALU in 8/16/32 bits (reg, mem, imm; lock prefixes, #UD on
a non-memory or non-lockable form), shifts and rotates (counts 0..255),
SHLD/SHRD, MUL/IMUL/DIV/IDIV (#DE), BT/BTS/BTR/BTC (bit strings in memory),
BSF/BSR, BSWAP, XADD, CMPXCHG, CMPXCHG8B, XCHG, MOVSX/MOVZX, CBW..CDQ,
LAHF/SAHF, SETcc/CMOVcc, AAA/AAS/AAM/AAD/DAA/DAS, XLAT, LEA, string
instructions (rep/repe/repne, both directions, 8/16/32, 16-bit addressing),
ENTER/LEAVE, PUSH/POP (push esp, pop esp, pop [esp]), PUSHF/POPF, PUSHA/POPA,
with operand-size and address-size prefixes.

Hypothesis picks the seeds of random batches (small budget under CI);
deterministic sweeps cover the edges (every shift count, BCD adjustments of
every AL and AF/CF, the AAM/AAD bases, division edges)."""
import random
import zlib

import pytest
from hypothesis import given, settings, strategies as st

import int_native_oracle as O
from buildreq import built

try:
    import kw86.testing  # noqa: F401  (the machine is built)
    _HAVE_KW86 = True
except ImportError:
    _HAVE_KW86 = False

pytestmark = [built(_HAVE_KW86, "the kw86 machine (python3 setup.py build_ext --inplace)"),
              pytest.mark.skipif(O.host_limit() is not None, reason=str(O.host_limit()))]

DATA, RESV_END = O.DATA, O.RESV_END
CF, PF, AF, ZF, SF, DF, OF = O.CF, O.PF, O.AF, O.ZF, O.SF, O.DF, O.OF
EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI = range(8)

SPECIAL = [0, 1, 2, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x10000, 0x7FFFFFFF,
           0x80000000, 0x80000001, 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFF80, 0xFFFF8000, 9, 10,
           0x99, 0x0F, 0xF0]


def mask(size):
    return (1 << size) - 1


class Gen:
    """One random case under construction."""

    def __init__(self, r, tag=""):
        self.r = r
        self.tag = tag
        self.regs = [self.val() for _ in range(8)]
        self.regs[ESP] = DATA + 0x400 + r.randrange(0x800) & ~(0 if r.random() < 0.1 else 3)
        self.eflags = 0x202 | (r.getrandbits(12) & O.ARITH) | (DF if r.random() < 0.25 else 0)
        self.data = bytearray(r.randbytes(4096))
        self.undef = 0
        self.undef_regs = {}
        self.undef_mem = False
        self.addr = None           # the memory operand's address, if any

    def val(self):
        r = self.r
        k = r.random()
        if k < 0.35:
            return r.choice(SPECIAL)
        if k < 0.5:
            return r.randrange(256)
        if k < 0.6:
            return r.randrange(0x10000)
        if k < 0.7:
            return (-r.randrange(1, 300)) & 0xFFFFFFFF
        return r.getrandbits(32)

    # --- memory operands ----------------------------------------------------------
    def target(self, size):
        """An address for a size-byte access: in the data page mostly, else
        straddling its ends or in the reserved (unmapped) range."""
        r = self.r
        k = r.random()
        if k < 0.03:
            return DATA + 0x1000 - r.randrange(1, max(2, size))      # straddles the end
        if k < 0.05:
            return DATA - r.randrange(1, max(2, size))               # straddles the start
        if k < 0.07:
            a = r.randrange(0x1000, RESV_END)
            if not (DATA - 16 <= a < DATA + 0x1010 or O.CODE - 16 <= a < O.CODE + 0x1010):
                return a
        return DATA + r.randrange(0x1000 - size + 1)

    def modrm(self, reg, size, mem=None, ad16=False, addr=None, avoid=()):
        """ModRM (+SIB, displacement) for r/m with reg in bits 5:3; mem None:
        either.  Sets the address registers so the operand is at addr (or a
        target()); registers in avoid (set by the caller afterwards) are not
        used in the address."""
        r = self.r
        if mem is None:
            mem = r.random() < 0.5
        if not mem:
            return bytes([0xC0 | (reg << 3) | r.randrange(8)])
        t = self.target(size // 8 or 1) if addr is None else addr
        self.addr = t
        return self._m16(reg, t, avoid) if ad16 else self._m32(reg, t, avoid)

    def _m32(self, reg, t, avoid):
        r = self.r
        mod = r.randrange(3)
        rm = r.choice([x for x in range(8) if x not in avoid or x in (4, 5)])
        if rm == 5 and 5 in avoid:
            mod = 0
        disp = {0: 0, 1: r.randrange(-128, 128), 2: r.getrandbits(32)}[mod]
        out = bytearray()
        if mod == 0 and rm == 5:                          # [disp32]
            return bytes([(reg << 3) | 5]) + (t & 0xFFFFFFFF).to_bytes(4, "little")
        if rm == 4:
            ok = [x for x in range(8) if x not in avoid]
            base, index, scale = r.choice(ok), r.choice(ok + [4]), r.randrange(4)
            if mod == 0 and base == 5:                    # [index*s + disp32]
                idx = self.regs[index] if index != 4 else 0
                disp = (t - (idx << scale)) & 0xFFFFFFFF
                return (bytes([(reg << 3) | 4, (scale << 6) | (index << 3) | 5])
                        + disp.to_bytes(4, "little"))
            out += bytes([(mod << 6) | (reg << 3) | 4, (scale << 6) | (index << 3) | base])
            if index == 4:
                self.regs[base] = (t - disp) & 0xFFFFFFFF
            elif index != base:
                self.regs[base] = (t - disp - (self.regs[index] << scale)) & 0xFFFFFFFF
            else:
                # [b + b*s + disp]: b = (t - disp) / (1 + s) (mod 2^32)
                k = 1 + (1 << scale)
                if k == 2:
                    t &= ~1
                    self.addr = t
                    self.regs[base] = ((t - disp) & 0xFFFFFFFF) >> 1
                else:
                    self.regs[base] = ((t - disp) * pow(k, -1, 1 << 32)) & 0xFFFFFFFF
        else:
            out.append((mod << 6) | (reg << 3) | rm)
            self.regs[rm] = (t - disp) & 0xFFFFFFFF
        if mod == 1:
            out += (disp & 0xFF).to_bytes(1, "little")
        elif mod == 2:
            out += (disp & 0xFFFFFFFF).to_bytes(4, "little")
        return bytes(out)

    def _m16(self, reg, t, avoid):
        r = self.r
        t16 = t & 0xFFFF if t < 0x10000 else DATA + 0x800
        self.addr = t16
        mod = r.randrange(3)
        rm = r.randrange(8)
        uses = [(EBX, ESI), (EBX, EDI), (EBP, ESI), (EBP, EDI), (ESI,), (EDI,), (EBP,), (EBX,)][rm]
        if set(uses) & set(avoid):
            mod, rm = 0, 6
        if mod == 0 and rm == 6:
            return bytes([(reg << 3) | 6]) + t16.to_bytes(2, "little")
        disp = {0: 0, 1: r.randrange(-128, 128), 2: r.randrange(0x10000)}[mod]
        pair = {0: (EBX, ESI), 1: (EBX, EDI), 2: (EBP, ESI), 3: (EBP, EDI), 4: (ESI,),
                5: (EDI,), 6: (EBP,), 7: (EBX,)}[rm]
        hi = self.r.getrandbits(16) << 16
        if len(pair) == 2:
            self.regs[pair[1]] = (self.regs[pair[1]] & 0xFFFF) | hi
            need = (t16 - disp - self.regs[pair[1]]) & 0xFFFF
        else:
            need = (t16 - disp) & 0xFFFF
        self.regs[pair[0]] = need | (self.r.getrandbits(16) << 16)
        out = bytes([(mod << 6) | (reg << 3) | rm])
        if mod == 1:
            out += (disp & 0xFF).to_bytes(1, "little")
        elif mod == 2:
            out += disp.to_bytes(2, "little")
        return out

    def read(self, addr, n):
        if addr is None or not (DATA <= addr and addr + n <= DATA + 0x1000):
            return None
        return int.from_bytes(self.data[addr - DATA:addr - DATA + n], "little")

    def write(self, addr, n, v):
        if addr is not None and DATA <= addr and addr + n <= DATA + 0x1000:
            self.data[addr - DATA:addr - DATA + n] = (v & mask(8 * n)).to_bytes(n, "little")

    def case(self, insn):
        return O.Case(self.regs, self.eflags, insn, self.data, self.undef, self.undef_regs,
                      self.undef_mem, self.tag)


def osz(g, allow8=True):
    """(operand size, prefix) chosen at random."""
    k = g.r.randrange(3 if allow8 else 2)
    return [(32, b""), (16, b"\x66"), (8, b"")][k]


def asz(g):
    ad16 = g.r.random() < 0.15
    return ad16, (b"\x67" if ad16 else b"")


def imm(g, size):
    return (g.val() & mask(size)).to_bytes(size // 8, "little")


def rm_operand(g, size, modrm_bytes):
    """The value of the r/m operand when it is a register (None for memory)."""
    if modrm_bytes[0] >> 6 != 3:
        return None
    rm = modrm_bytes[0] & 7
    if size == 8:
        return (g.regs[rm & 3] >> (8 * (rm >> 2))) & 0xFF
    return g.regs[rm] & mask(size)


# --- families --------------------------------------------------------------------------

ALU = ["add", "or", "adc", "sbb", "and", "sub", "xor", "cmp"]
LOCKABLE_GRP = {0, 1, 2, 3, 4, 5, 6}


def gen_alu(g):
    r = g.r
    size, p66 = osz(g)
    ad16, p67 = asz(g)
    w = 0 if size == 8 else 1
    iz = 2 if size == 16 else 4
    k = r.randrange(12)
    lock = r.random() < 0.12
    if k < 3:                                           # op r/m, r / op r, r/m / op acc, imm
        op = r.randrange(8)
        d = r.randrange(3)
        if d == 2:
            body = bytes([op * 8 + 4 + w]) + imm(g, size)
        else:
            body = bytes([op * 8 + 2 * d + w]) + g.modrm(r.randrange(8), size, ad16=ad16)
        name = ALU[op]
    elif k < 6:                                         # 80/81/82/83 /op
        op = r.randrange(8)
        form = r.choice([0x80, 0x81, 0x82, 0x83]) if size != 8 else r.choice([0x80, 0x82])
        if size != 8 and form in (0x80, 0x82):
            form = 0x81
        body = bytes([form]) + g.modrm(op, size, ad16=ad16)
        body += imm(g, 8) if form in (0x80, 0x82, 0x83) else imm(g, 8 * iz)
        name = ALU[op]
    elif k < 7:                                         # test r/m, r; test acc, imm
        if r.random() < 0.5:
            body = bytes([0x84 + w]) + g.modrm(r.randrange(8), size, ad16=ad16)
        else:
            body = bytes([0xA8 + w]) + (imm(g, 8) if size == 8 else imm(g, 8 * iz))
        name = "test"
    elif k < 9:                                         # F6/F7 /0 /1 test, /2 not, /3 neg
        sub = r.randrange(4)
        body = bytes([0xF6 + w]) + g.modrm(sub, size, ad16=ad16)
        if sub < 2:
            body += imm(g, 8) if size == 8 else imm(g, 8 * iz)
        name = ["test", "test", "not", "neg"][sub]
    elif k < 11:                                        # FE/FF /0 /1 inc/dec
        sub = r.randrange(2)
        body = bytes([0xFE + w]) + g.modrm(sub, size, ad16=ad16)
        name = ["inc", "dec"][sub]
    else:                                               # 40+r / 48+r
        if size == 8:
            size, p66 = 32, b""
        body = bytes([r.randrange(0x40, 0x50)])
        name = "inc"
    if name in ("and", "or", "xor", "test"):
        g.undef |= O.UNDEF["logic"]
    pre = bytearray(p66 + p67 + r.choice([b"", b"", b"", b"", b"\x26", b"\x2e", b"\x36", b"\x3e"]))
    if lock:
        pre.insert(r.randrange(len(pre) + 1), 0xF0)
    g.tag = "alu"
    return g.case(bytes(pre) + body)


SHIFTS = ["rol", "ror", "rcl", "rcr", "shl", "shr", "sal", "sar"]


def shift_count(r):
    k = r.random()
    if k < 0.6:
        return r.randrange(0, 36)
    return r.randrange(256)


def gen_shift(g, op=None, count=None, form=None):
    r = g.r
    size, p66 = osz(g)
    ad16, p67 = asz(g)
    w = 0 if size == 8 else 1
    op = r.randrange(8) if op is None else op
    form = r.randrange(3) if form is None else form
    count = shift_count(r) if count is None else count
    if form == 0:                                       # by 1
        body = bytes([0xD0 + w]) + g.modrm(op, size, ad16=ad16)
        count = 1
    elif form == 1:                                     # by imm8
        body = bytes([0xC0 + w]) + g.modrm(op, size, ad16=ad16) + bytes([count])
    else:                                               # by CL
        body = bytes([0xD2 + w]) + g.modrm(op, size, ad16=ad16, avoid=(ECX,))
        g.regs[ECX] = (g.regs[ECX] & ~0xFF) | count
        count = g.regs[ECX] & 0xFF                      # ECX may also be the address
    g.undef |= O.shift_undef(SHIFTS[op], size, count)
    g.tag = SHIFTS[op]
    return g.case(p66 + p67 + body)


def gen_shxd(g):
    r = g.r
    size, p66 = osz(g, allow8=False)
    ad16, p67 = asz(g)
    right = r.random() < 0.5
    by_cl = r.random() < 0.5
    count = shift_count(r)
    opc = (0xAC if right else 0xA4) + (1 if by_cl else 0)
    m = g.modrm(r.randrange(8), size, ad16=ad16, avoid=(ECX,))
    body = bytes([0x0F, opc]) + m + (b"" if by_cl else bytes([count]))
    if by_cl:
        g.regs[ECX] = (g.regs[ECX] & ~0xFF) | count
        count = g.regs[ECX] & 0xFF
    u, res_undef = O.shxd_undef(size, count)
    g.undef |= u
    if res_undef:
        if m[0] >> 6 == 3:
            g.undef_regs[m[0] & 7] = mask(size)
        else:
            g.undef_mem = True
    g.tag = "shrd" if right else "shld"
    return g.case(p66 + p67 + body)


def gen_muldiv(g):
    r = g.r
    size, p66 = osz(g)
    ad16, p67 = asz(g)
    w = 0 if size == 8 else 1
    k = r.randrange(10)
    if k < 6:
        sub = r.randrange(4, 8)                         # mul imul div idiv
        m = g.modrm(sub, size, ad16=ad16, avoid=(EAX, EDX))
        body = bytes([0xF6 + w]) + m
        g.undef |= O.UNDEF["mul" if sub < 6 else "div"]
        if sub >= 6 and r.random() < 0.6:
            # a divisor and a dividend whose quotient fits, mostly
            dv = g.val() & mask(size) or 7
            if m[0] >> 6 == 3:
                rm = m[0] & 7
                if size == 8:
                    sh = 8 * (rm >> 2)
                    g.regs[rm & 3] = (g.regs[rm & 3] & ~(0xFF << sh)) | (dv << sh)
                else:
                    g.regs[rm] = (g.regs[rm] & ~mask(size)) | dv
                dv = rm_operand(g, size, m)
            else:
                g.write(g.addr, size // 8, dv)
                dv = g.read(g.addr, size // 8)
            if dv and r.random() < 0.8:
                hi = r.randrange(dv) if sub == 6 else r.randrange(max(1, dv >> 1))
                if size == 8:
                    g.regs[EAX] = (g.regs[EAX] & ~0xFF00) | (hi << 8)
                elif size == 16:
                    g.regs[EDX] = (g.regs[EDX] & ~0xFFFF) | hi
                else:
                    g.regs[EDX] = hi
        g.tag = ["mul", "imul", "div", "idiv"][sub - 4]
    elif k < 8:
        if size == 8:
            size, p66 = 32, b""
        body = bytes([0x0F, 0xAF]) + g.modrm(r.randrange(8), size, ad16=ad16)
        g.undef |= O.UNDEF["mul"]
        g.tag = "imul2"
    else:
        if size == 8:
            size, p66 = 32, b""
        if r.random() < 0.5:
            body = bytes([0x69]) + g.modrm(r.randrange(8), size, ad16=ad16) + imm(g, size)
        else:
            body = bytes([0x6B]) + g.modrm(r.randrange(8), size, ad16=ad16) + imm(g, 8)
        g.undef |= O.UNDEF["mul"]
        g.tag = "imul3"
    return g.case(p66 + p67 + body)


def gen_bt(g):
    r = g.r
    size, p66 = osz(g, allow8=False)
    ad16, p67 = asz(g)
    op = r.randrange(4)                                 # bt bts btr btc
    g.undef |= O.UNDEF["bt"]
    g.tag = ["bt", "bts", "btr", "btc"][op]
    lock = b"\xf0" if r.random() < 0.1 else b""
    if r.random() < 0.4:
        m = g.modrm(4 + op, size, ad16=ad16)
        return g.case(lock + p66 + p67 + bytes([0x0F, 0xBA]) + m + bytes([r.randrange(256)]))
    reg = r.randrange(8)
    mem = r.random() < 0.6
    if mem and not ad16:
        # a bit offset reaching beyond the operand (any signed offset): the
        # base is placed so that the addressed word is at a target()
        k = r.random()
        off = (r.randrange(-0x6000 * 8, 0x6000 * 8) if k < 0.6 else r.randrange(-64, 64)
               if k < 0.8 else r.getrandbits(32)) & mask(size)
        soff = off - (1 << size) if off >> (size - 1) else off
        t = (g.target(size // 8) - (soff >> (5 if size == 32 else 4)) * (size // 8)) & 0xFFFFFFFF
        b = r.choice([x for x in (EAX, ECX, EDX, EBX, EBP, ESI, EDI) if x != reg])
        disp = r.choice([0, r.getrandbits(32)])
        g.regs[b] = (t - disp) & 0xFFFFFFFF
        m = bytes([0x80 | (reg << 3) | b]) + disp.to_bytes(4, "little")
        g.regs[reg] = (g.regs[reg] & ~mask(size)) | off
    else:
        m = g.modrm(reg, size, mem=mem, ad16=ad16)
    return g.case(lock + p66 + p67 + bytes([0x0F, [0xA3, 0xAB, 0xB3, 0xBB][op]]) + m)


def gen_bsf(g):
    r = g.r
    size, p66 = osz(g, allow8=False)
    ad16, p67 = asz(g)
    reg = r.randrange(8)
    m = g.modrm(reg, size, ad16=ad16)
    if r.random() < 0.25:
        if m[0] >> 6 == 3:
            g.regs[m[0] & 7] &= ~mask(size)
        else:
            g.write(g.addr, size // 8, 0)
    src = rm_operand(g, size, m) if m[0] >> 6 == 3 else g.read(g.addr, size // 8)
    if src == 0 or src is None:
        # "the content of the destination operand is undefined"
        g.undef_regs[reg] = mask(size)
    g.undef |= O.UNDEF["bsf"]
    g.tag = "bsr" if r.random() < 0.5 else "bsf"
    return g.case(p66 + p67 + bytes([0x0F, 0xBD if g.tag == "bsr" else 0xBC]) + m)


def gen_xchg_family(g):
    r = g.r
    size, p66 = osz(g)
    ad16, p67 = asz(g)
    w = 0 if size == 8 else 1
    k = r.randrange(7)
    lock = b"\xf0" if r.random() < 0.15 else b""
    if k == 0:                                          # xadd
        body = bytes([0x0F, 0xC0 + w]) + g.modrm(r.randrange(8), size, ad16=ad16)
        g.tag = "xadd"
    elif k == 1:                                        # cmpxchg
        m = g.modrm(r.randrange(8), size, ad16=ad16, avoid=(EAX,))
        body = bytes([0x0F, 0xB0 + w]) + m
        if r.random() < 0.5:
            v = rm_operand(g, size, m) if m[0] >> 6 == 3 else g.read(g.addr, max(1, size // 8))
            if v is not None:
                g.regs[EAX] = (g.regs[EAX] & ~mask(size)) | v
        g.tag = "cmpxchg"
    elif k == 2:                                        # cmpxchg8b
        m = g.modrm(1, 64, mem=r.random() < 0.93, ad16=ad16, avoid=(EAX, EDX))
        body = bytes([0x0F, 0xC7]) + m
        if m[0] >> 6 != 3 and r.random() < 0.5:
            v = g.read(g.addr, 8)
            if v is not None:
                g.regs[EAX], g.regs[EDX] = v & 0xFFFFFFFF, v >> 32
        p66 = b"\x66" if r.random() < 0.1 else b""
        g.tag = "cmpxchg8b"
    elif k < 5:                                         # xchg r/m, r
        body = bytes([0x86 + w]) + g.modrm(r.randrange(8), size, ad16=ad16)
        g.tag = "xchg"
    elif k == 5:                                        # xchg eax, r
        if size == 8:
            size, p66 = 32, b""
        body = bytes([0x90 + r.randrange(8)])
        g.tag = "xchg"
    else:                                               # bswap
        if size == 8:
            size, p66 = 32, b""
        reg = r.randrange(8)
        body = bytes([0x0F, 0xC8 + reg])
        if size == 16:
            # "references a 16-bit register, the result is undefined"
            g.undef_regs[reg] = 0xFFFF
        g.tag = "bswap"
    return g.case(lock + p66 + p67 + body)


def gen_move(g):
    r = g.r
    ad16, p67 = asz(g)
    k = r.randrange(9)
    p66 = b"\x66" if r.random() < 0.3 else b""
    if k < 2:
        opc = r.choice([0xB6, 0xB7, 0xBE, 0xBF])
        body = bytes([0x0F, opc]) + g.modrm(r.randrange(8), 8 if opc & 1 == 0 else 16, ad16=ad16)
        g.tag = "movx"
    elif k == 2:
        body = bytes([r.choice([0x98, 0x99])])
        g.tag = "cbw"
    elif k == 3:
        body = bytes([r.choice([0x9E, 0x9F])])
        g.tag = "sahf"
    elif k < 6:
        body = bytes([0x0F, 0x90 + r.randrange(16)]) + g.modrm(r.randrange(8), 8, ad16=ad16)
        g.tag = "setcc"
    elif k < 8:
        body = bytes([0x0F, 0x40 + r.randrange(16)]) + g.modrm(r.randrange(8), 16 if p66 else 32,
                                                               ad16=ad16)
        g.tag = "cmovcc"
    else:
        g.tag = "lea"
        body = bytes([0x8D]) + g.modrm(r.randrange(8), 32, mem=r.random() < 0.95, ad16=ad16)
    return g.case(p66 + p67 + body)


def gen_bcd(g, opc=None, ib=None):
    r = g.r
    opc = r.choice([0x27, 0x2F, 0x37, 0x3F, 0xD4, 0xD5]) if opc is None else opc
    body = bytes([opc])
    if opc in (0xD4, 0xD5):
        body += bytes([r.choice([10, 10, 0, 1, 16, 0xFF, r.randrange(256)]) if ib is None else ib])
        g.undef |= O.UNDEF["aam"]
    else:
        g.undef |= O.UNDEF["daa" if opc in (0x27, 0x2F) else "aaa"]
    g.tag = {0x27: "daa", 0x2F: "das", 0x37: "aaa", 0x3F: "aas", 0xD4: "aam", 0xD5: "aad"}[opc]
    return g.case(body)


def gen_xlat(g):
    ad16, p67 = asz(g)
    al = g.regs[EAX] & 0xFF
    t = g.target(1)
    if ad16:
        g.regs[EBX] = (g.regs[EBX] & ~0xFFFF) | ((t - al) & 0xFFFF)
    else:
        g.regs[EBX] = (t - al) & 0xFFFFFFFF
    g.tag = "xlat"
    return g.case(p67 + b"\xd7")


STRINGS = {0xA4: "movs", 0xA6: "cmps", 0xAA: "stos", 0xAC: "lods", 0xAE: "scas"}


def gen_string(g):
    r = g.r
    ad16, p67 = asz(g)
    base = r.choice(list(STRINGS))
    w = r.randrange(2)
    p66 = b"\x66" if w and r.random() < 0.4 else b""
    rep = r.choice([b"", b"\xf3", b"\xf2", b"\xf3", b"\xf2"])
    seg = r.choice([b"", b"", b"", b"\x26", b"\x2e", b"\x36", b"\x3e"])
    if r.random() < 0.5:
        g.eflags |= DF
    # small counts mostly; large ones run kw86's chunked rep paths into the
    # page's ends (a #PF with the completed elements kept)
    n = r.randrange(0, 12) if r.random() < 0.85 else r.randrange(0x1400)
    for reg in (ESI, EDI):
        a = g.target(4)
        if DATA <= a < DATA + 0x1000 and r.random() < 0.9:
            a = DATA + r.randrange(0x60, 0x1000 - 0x60)       # room for n elements mostly
        if ad16:
            g.regs[reg] = (g.r.getrandbits(16) << 16) | (a & 0xFFFF)
        else:
            g.regs[reg] = a
    g.regs[ECX] = (g.regs[ECX] & ~0xFFFF if ad16 else 0) | n
    if base in (0xA6, 0xAE) and r.random() < 0.6:
        # equal runs, so that repe/repne stop on data
        if not ad16 and DATA <= g.regs[ESI] < DATA + 0xF00 and DATA <= g.regs[EDI] < DATA + 0xF00:
            k = r.randrange(0, 40)
            src = g.regs[ESI] - DATA - (k if g.eflags & DF else 0)
            dst = g.regs[EDI] - DATA - (k if g.eflags & DF else 0)
            if src >= 0 and dst >= 0:
                g.data[dst:dst + k] = g.data[src:src + k]
            o = g.regs[EDI] - DATA
            g.regs[EAX] = int.from_bytes(g.data[o:o + 4], "little")
    g.tag = STRINGS[base] + ("w" if w else "b") + ("-rep" if rep else "")
    return g.case(seg + rep + p66 + p67 + bytes([base + w]))


def gen_stack(g):
    r = g.r
    p66 = b"\x66" if r.random() < 0.25 else b""
    k = r.randrange(14)
    if r.random() < 0.05:
        g.regs[ESP] = r.choice([DATA + 2, DATA + 1, DATA, DATA + 0x1000, DATA + 0xFFE, DATA + 0xFFC,
                                DATA + 0x1002])
    if k == 0:
        body = bytes([0x50 + r.randrange(8)])
        g.tag = "push"
    elif k == 1:
        body = bytes([0x58 + r.randrange(8)])
        g.tag = "pop"
    elif k == 2:
        if r.random() < 0.5:
            body = bytes([0x68]) + imm(g, 16 if p66 else 32)
        else:
            body = bytes([0x6A]) + imm(g, 8)
        g.tag = "push imm"
    elif k == 3:
        body = bytes([0xFF]) + g.modrm(6, 16 if p66 else 32, mem=r.random() < 0.9, avoid=(ESP,))
        g.tag = "push m"
    elif k == 4:
        body = bytes([0x8F]) + g.modrm(0, 16 if p66 else 32, mem=r.random() < 0.9, avoid=(ESP,))
        g.tag = "pop m"
    elif k == 5:                                        # pop [esp + d]: ESP after the pop
        d = r.choice([0, 4, -4, 8, 2])
        body = bytes([0x8F, 0x44, 0x24, d & 0xFF])
        g.tag = "pop [esp]"
    elif k == 6:
        body = b"\x54"
        g.tag = "push esp"
    elif k == 7:
        body = b"\x5c"
        g.tag = "pop esp"
    elif k == 8:
        lvl = r.choice([0, 0, 1, 2, 3, r.randrange(32), r.randrange(256)])
        alloc = r.choice([0, 4, 8, 0x10, 0x7C, r.randrange(0x200)])
        body = bytes([0xC8]) + alloc.to_bytes(2, "little") + bytes([lvl])
        g.regs[EBP] = (DATA + r.randrange(0x200, 0x1000)) & ~3 if r.random() < 0.9 else g.target(4)
        g.tag = "enter"
    elif k == 9:
        g.regs[EBP] = DATA + r.randrange(0, 0x1000) if r.random() < 0.9 else g.target(4)
        body = b"\xc9"
        g.tag = "leave"
    elif k == 10:
        body = b"\x9c"
        g.tag = "pushf"
    elif k == 11:
        body = b"\x9d"
        # popf at CPL 3, IOPL 0: IF and IOPL stay; not TF (a trap), AC (alignment
        # checks on Linux), NT, VIP/VIF/ID left as they were
        o = g.regs[ESP] - DATA
        n = 2 if p66 else 4
        if 0 <= o <= 0x1000 - n:
            v = int.from_bytes(g.data[o:o + n], "little") & (O.ARITH | DF | 0x7000)
            g.data[o:o + n] = v.to_bytes(n, "little")
        g.tag = "popf"
    elif k == 12:
        body = b"\x60"
        g.tag = "pusha"
    else:
        body = b"\x61"
        g.tag = "popa"
    return g.case(p66 + body)


def gen_lock_ud(g):
    """LOCK on a form that cannot be locked: #UD (SDM Vol. 2 LOCK: "An
    undefined opcode exception will also be generated if the LOCK prefix is
    used with any instruction not in the above list" or without a memory
    destination)."""
    r = g.r
    k = r.randrange(6)
    if k == 0:
        body = bytes([r.choice([0x01, 0x09, 0x29, 0x31]), 0xC0 | r.randrange(64)])
    elif k == 1:
        body = bytes([0x89]) + g.modrm(r.randrange(8), 32, mem=True)     # mov
    elif k == 2:
        body = bytes([0x3B]) + g.modrm(r.randrange(8), 32, mem=True)     # cmp r, m
    elif k == 3:
        body = bytes([0x85]) + g.modrm(r.randrange(8), 32, mem=True)     # test
    elif k == 4:
        body = bytes([0x0F, 0xA3]) + g.modrm(r.randrange(8), 32, mem=True)  # bt
        g.undef |= O.UNDEF["bt"]
    else:
        body = bytes([r.choice([0x90, 0x40, 0x98, 0xF8])])
    g.tag = "lock-ud"
    return g.case(b"\xf0" + body)


def gen_mov(g):
    """mov in every form: r/m <- r, r <- r/m, r/m <- imm (C6/C7 /0; /1../7 are
    #UD), moffs (A0..A3, 16-bit offsets under 67h), r <- imm; with segment
    overrides (a write through CS is #GP(0): a code segment is not
    writable), and CMC/CLC/STC/CLD/STD."""
    r = g.r
    size, p66 = osz(g)
    ad16, p67 = asz(g)
    w = 0 if size == 8 else 1
    seg = r.choice([b"", b"", b"", b"\x26", b"\x2e", b"\x36", b"\x3e"])
    k = r.randrange(7)
    if k < 2:
        body = bytes([0x88 + 2 * r.randrange(2) + w]) + g.modrm(r.randrange(8), size, ad16=ad16)
    elif k == 2:
        # (not /7: C6 F8 and C7 F8 are XABORT and XBEGIN on a host with RTM)
        sub = 0 if r.random() < 0.85 else r.randrange(1, 7)
        body = bytes([0xC6 + w]) + g.modrm(sub, size, ad16=ad16) \
            + (imm(g, 8) if size == 8 else imm(g, size))
    elif k == 3:
        t = g.target(size // 8)
        if ad16:
            t = t if t < 0x10000 else DATA + r.randrange(0xFF0)
            off = t.to_bytes(2, "little")
        else:
            off = t.to_bytes(4, "little")
        body = bytes([0xA0 + 2 * r.randrange(2) + w]) + off
    elif k == 4:
        body = bytes([(0xB8 if w else 0xB0) + r.randrange(8)]) + imm(g, size)
    elif k == 5:
        body = bytes([r.choice([0xF5, 0xF8, 0xF9, 0xFC, 0xFD])])
    else:                                       # reads through CS are allowed
        seg = b"\x2e"
        body = bytes([0x8A + w]) + g.modrm(r.randrange(8), size, mem=True, ad16=ad16)
    g.tag = "mov"
    return g.case(seg + p66 + p67 + body)


SEQ_DST = (EAX, ECX, EDX, EBP, ESI, EDI)          # never EBX (the base) or ESP


def gen_seq(g):
    """Up to 15 bytes of instructions whose flags the SDM defines in full (add,
    adc, sub, sbb, cmp, inc, dec, neg, xadd, (lock) cmpxchg, setcc, cmovcc,
    lahf, sahf, cmc, clc, stc, cdq, mov, lea, memory operands at [ebx+d8],
    forward jcc inside the bytes): the lazy flags of the run loop and of
    translated blocks between a producer and its consumers."""
    r = g.r
    g.regs[EBX] = DATA + r.randrange(0x100, 0xF00)
    out = []
    n = 0
    while True:
        d, s_ = r.choice(SEQ_DST), r.randrange(8)
        k = r.randrange(17)
        if k < 4:
            op = r.choice([0, 2, 3, 5, 7])
            w = r.randrange(2)
            if w:
                b = bytes([op * 8 + 1, 0xC0 | (s_ << 3) | d])
            else:                                   # 8-bit: AL CL DL / AH CH DH
                d8 = r.choice([0, 1, 2, 4, 5, 6])
                b = bytes([op * 8, 0xC0 | (s_ << 3) | d8])
        elif k == 4:
            b = bytes([r.choice([0x40, 0x48]) + d])
        elif k == 5:
            b = bytes([0xF7, 0xD8 | d])
        elif k == 6:
            b = bytes([0x0F, 0x90 + r.randrange(16), 0xC0 | r.choice([0, 1, 2, 4, 5, 6])])
        elif k == 7:
            b = bytes([0x0F, 0x40 + r.randrange(16), 0xC0 | (d << 3) | s_])
        elif k == 8:
            b = bytes([r.choice([0x9E, 0x9F, 0xF5, 0xF8, 0xF9])])
        elif k == 9:
            op = r.choice([0, 2, 3, 5, 7])
            b = bytes([op * 8 + r.choice([1, 3]), 0x43 | (d << 3), r.randrange(-0x80, 0x80) & 0xFF])
            if b[0] & 2 == 0 and op != 7:
                b = bytes([op * 8 + 3]) + b[1:]     # keep the memory a source mostly
        elif k == 10:
            b = bytes([0x0F, 0xC1, 0xC0 | (s_ << 3) | d]) if s_ in SEQ_DST else bytes([0x90])
        elif k == 11:
            b = bytes([0x8D, 0x44 | (d << 3), (r.randrange(4) << 6) | (s_ << 3) | EBX,
                       r.randrange(256)])
        elif k == 12:
            b = bytes([0x89, 0xC0 | (s_ << 3) | d])
        elif k == 13:                               # (lock) cmpxchg / xadd [ebx+d8], r32
            lock = b"\xf0" if r.random() < 0.5 else b""
            b = lock + bytes([0x0F, r.choice([0xB1, 0xC1]), 0x43 | (d << 3),
                              r.randrange(-0x80, 0x80) & 0xFF])
        elif k == 14:                               # setcc [ebx+d8]; cdq
            b = (bytes([0x0F, 0x90 + r.randrange(16), 0x43, r.randrange(-0x80, 0x80) & 0xFF])
                 if r.random() < 0.7 else b"\x99")
        else:
            b = bytes([0x70 + r.randrange(16), 0])   # jcc: target filled in below
        if n + len(b) > 15:
            break
        out.append(b)
        n += len(b)
    # forward jcc: to the start of a later instruction or the end
    starts = []
    pos = 0
    for b in out:
        pos += len(b)
        starts.append(pos)
    code = bytearray()
    for j, b in enumerate(out):
        if 0x70 <= b[0] <= 0x7F and len(b) == 2:
            here = starts[j]
            b = bytes([b[0], r.choice([t for t in starts[j:]]) - here])
        code += b
    g.tag = "seq"
    return g.case(bytes(code))


FAMILIES = {
    "alu": gen_alu, "shift": gen_shift, "shxd": gen_shxd, "muldiv": gen_muldiv, "bt": gen_bt,
    "bsf": gen_bsf, "xchg": gen_xchg_family, "move": gen_move, "bcd": gen_bcd, "xlat": gen_xlat,
    "string": gen_string, "stack": gen_stack, "lock_ud": gen_lock_ud, "mov": gen_mov,
    "seq": gen_seq,
}


def batch(family, seed, n):
    r = random.Random(seed)
    return [FAMILIES[family](Gen(r)) for _ in range(n)]


def assert_same(cases):
    bad = O.check(cases)
    assert not bad, O.report(bad, len(cases))


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_family_seeded(family):
    """A fixed batch per family (deterministic)."""
    assert_same(batch(family, zlib.crc32(family.encode()), 1000))


@pytest.mark.parametrize("family", sorted(FAMILIES))
@settings(max_examples=max(4, settings.default.max_examples // 6))
@given(seed=st.integers(0, 2 ** 64 - 1))
def test_family_hypothesis(family, seed):
    """Random batches of 100 cases from hypothesis's seeds (10 batches per
    family under CI, 50 otherwise)."""
    assert_same(batch(family, seed, 100))


# --- deterministic sweeps ---------------------------------------------------------------

def fresh(seed, tag):
    g = Gen(random.Random(seed), tag)
    return g


def test_shift_rotate_every_count():
    """rol/ror/rcl/rcr/shl/shr/sal(/6)/sar, 8/16/32 bits, by imm8 and by CL,
    every count 0..255 (the 5-bit mask, RCL/RCR's mod 9 and mod 17), register
    and memory operands, CF in and out."""
    r = random.Random(11)
    cases = []
    for op in range(8):
        for count in range(256):
            for form in (1, 2):
                g = Gen(r)
                cases.append(gen_shift(g, op=op, count=count, form=form))
        for _ in range(24):
            cases.append(gen_shift(Gen(r), op=op, form=0))
    assert_same(cases)


def test_shld_shrd_every_count():
    r = random.Random(12)
    cases = []
    for right in (0, 1):
        for by_cl in (0, 1):
            for p66 in (b"", b"\x66"):
                for count in range(256):
                    g = Gen(r)
                    m = bytes([0xC0 | (r.randrange(8) << 3) | r.randrange(8)])
                    if by_cl:
                        g.regs[ECX] = (g.regs[ECX] & ~0xFF) | count
                        count = g.regs[ECX] & 0xFF
                    size = 16 if p66 else 32
                    u, res_undef = O.shxd_undef(size, count)
                    g.undef |= u
                    if res_undef:
                        g.undef_regs[m[0] & 7] = mask(size)
                    cases.append(g.case(p66 + bytes([0x0F, 0xA4 + 8 * right + by_cl]) + m
                                        + (b"" if by_cl else bytes([count]))))
    assert_same(cases)


def test_bcd_every_al_and_flags():
    """DAA/DAS/AAA/AAS for every AL, with AF and CF in every combination and
    AH of 0x00/0x7F/0xFF; AAM/AAD with every base (AAM 0 is #DE)."""
    r = random.Random(13)
    cases = []
    for opc in (0x27, 0x2F, 0x37, 0x3F):
        for al in range(256):
            for fl in (0, AF, CF, AF | CF):
                for ah in (0x00, 0x7F, 0xFF):
                    g = Gen(r)
                    g.regs[EAX] = (g.regs[EAX] & 0xFFFF0000) | (ah << 8) | al
                    g.eflags = (g.eflags & ~(AF | CF)) | fl
                    cases.append(gen_bcd(g, opc))
    for opc in (0xD4, 0xD5):
        for ib in range(256):
            for ax in (0x0000, 0x00FF, 0x4F4F, 0xFF09, 0x0123, 0x8080, 0x0063, 0x7F80):
                g = Gen(r)
                g.regs[EAX] = (g.regs[EAX] & 0xFFFF0000) | ax
                cases.append(gen_bcd(g, opc, ib))
    assert_same(cases)


def test_division_edges():
    """DIV/IDIV of every size: quotients at the limits, one past them (#DE),
    division by zero (#DE), -2^(n-1) / -1 (#DE), remainders' signs."""
    r = random.Random(14)
    cases = []
    edges = [0, 1, 2, 3, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, 0x80000000,
             0xFFFFFFFF, 0xFFFFFFFE, 0x80000001]
    for size, p66 in ((8, b""), (16, b"\x66"), (32, b"")):
        w = 0 if size == 8 else 1
        for sub in (6, 7):
            for hi in edges:
                for lo in edges:
                    for dv in edges:
                        if r.random() < 0.6:
                            continue
                        g = Gen(r)
                        dv &= mask(size)
                        if size == 8:
                            g.regs[EAX] = (g.regs[EAX] & ~0xFFFF) | ((hi & 0xFF) << 8) | (lo & 0xFF)
                            g.regs[EBX] = (g.regs[EBX] & ~0xFF) | dv
                        elif size == 16:
                            g.regs[EDX] = (g.regs[EDX] & ~0xFFFF) | (hi & 0xFFFF)
                            g.regs[EAX] = (g.regs[EAX] & ~0xFFFF) | (lo & 0xFFFF)
                            g.regs[EBX] = (g.regs[EBX] & ~0xFFFF) | dv
                        else:
                            g.regs[EDX], g.regs[EAX], g.regs[EBX] = hi, lo, dv
                        g.undef |= O.UNDEF["div"]
                        cases.append(g.case(p66 + bytes([0xF6 + w, 0xC0 | (sub << 3) | EBX])))
    assert_same(cases)


def test_setcc_cmovcc_every_condition():
    r = random.Random(15)
    cases = []
    for cc in range(16):
        for fl in range(64):
            flags = sum(bit for k, bit in enumerate((CF, PF, ZF, SF, OF, AF)) if fl >> k & 1)
            g = Gen(r)
            g.eflags = 0x202 | flags
            cases.append(g.case(bytes([0x0F, 0x90 + cc]) + g.modrm(0, 8)))
            g = Gen(r)
            g.eflags = 0x202 | flags
            p66 = b"\x66" if fl & 1 else b""
            cases.append(g.case(p66 + bytes([0x0F, 0x40 + cc]) + g.modrm(r.randrange(8), 32)))
    assert_same(cases)


def test_string_every_form():
    """movs/cmps/stos/lods/scas, byte/word/dword, no prefix/rep(e)/repne, DF
    clear and set, counts 0..5, 32- and 16-bit addressing (SI/DI/CX wrap at
    64 KiB: the upper halves are random and must stay)."""
    r = random.Random(16)
    cases = []
    for base in STRINGS:
        for size, pre in ((8, b""), (16, b"\x66"), (32, b"")):
            for rep in (b"", b"\xf3", b"\xf2"):
                for df in (0, DF):
                    for ad16 in (False, True):
                        for n in range(6):
                            g = Gen(r)
                            g.eflags = (g.eflags & ~DF) | df
                            for reg in (ESI, EDI):
                                a = DATA + r.randrange(0x40, 0xFC0)
                                g.regs[reg] = ((r.getrandbits(16) << 16) | a) if ad16 else a
                            g.regs[ECX] = ((g.regs[ECX] & 0xFFFF0000) | n) if ad16 else n
                            if base in (0xA6, 0xAE) and r.random() < 0.5:
                                s_ = (g.regs[ESI] & 0xFFFF) - DATA
                                d_ = (g.regs[EDI] & 0xFFFF) - DATA
                                k = r.randrange(0, 12)
                                lo = (lambda x: x - k if df else x)
                                if lo(s_) >= 0 and lo(d_) >= 0:
                                    g.data[lo(d_):lo(d_) + k] = g.data[lo(s_):lo(s_) + k]
                            cases.append(g.case(rep + pre + (b"\x67" if ad16 else b"")
                                                + bytes([base + (size != 8)])))
    assert_same(cases)


def test_stack_quirks():
    """push esp (the value before the push), pop esp (the popped value wins),
    pop [esp+d] (the address uses ESP after the increment), 16-bit forms,
    pushes and pops at the edges of the page (#PF, nothing written)."""
    r = random.Random(17)
    cases = []
    forms = [b"\x54", b"\x66\x54", b"\x5c", b"\x66\x5c", b"\x8f\x04\x24", b"\x8f\x44\x24\x04",
             b"\x8f\x44\x24\xfc", b"\x66\x8f\x04\x24", b"\xff\x34\x24", b"\xff\x74\x24\xfc",
             b"\x66\xff\x34\x24", b"\x60", b"\x61", b"\x66\x60", b"\x66\x61", b"\x9c", b"\x66\x9c",
             b"\xc9", b"\x66\xc9", b"\x6a\x80", b"\x66\x6a\x80", b"\x68\x01\x02\x03\x04"]
    for code in forms:
        for esp in (DATA + 0x800, DATA + 0x801, DATA + 0x802, DATA + 4, DATA + 2, DATA + 1,
                    DATA, DATA + 0xFFC, DATA + 0xFFE, DATA + 0x1000, DATA + 0xFE0, DATA + 0x1002,
                    DATA + 0x20, DATA + 0x10):
            g = Gen(r)
            g.regs[ESP] = esp
            g.regs[EBP] = r.choice([esp, esp + 4, DATA + 0xFFE, DATA + 0x100, DATA - 2])
            cases.append(g.case(code))
    assert_same(cases)


LOCK_OK = [0x00, 0x01, 0x08, 0x09, 0x10, 0x11, 0x18, 0x19, 0x20, 0x21, 0x28, 0x29, 0x30, 0x31,
           0x86, 0x87]


def test_lock_prefix_rules():
    """LOCK with a memory destination on the lockable instructions runs;
    with a register destination, or on an instruction that cannot be locked
    (mov, cmp, test, bt, the r, r/m directions), #UD (SDM Vol. 2A LOCK)."""
    r = random.Random(18)
    cases = []
    for opc in LOCK_OK + [0x02, 0x03, 0x38, 0x39, 0x3A, 0x3B, 0x84, 0x85, 0x88, 0x89, 0x8A, 0x8B]:
        for mem in (True, False):
            for p66 in (b"", b"\x66"):
                g = Gen(r)
                if opc in (0x20, 0x21, 0x08, 0x09, 0x30, 0x31, 0x84, 0x85):
                    g.undef |= O.UNDEF["logic"]
                cases.append(g.case(b"\xf0" + p66 + bytes([opc]) + g.modrm(r.randrange(8), 32,
                                                                               mem=mem)))
    for body, sub_ok in (((0x80,), range(8)), ((0x81,), range(8)), ((0x83,), range(8)),
                         ((0xF6,), range(8)), ((0xF7,), range(8)), ((0xFE,), range(8)),
                         ((0xFF,), range(8)), ((0x0F, 0xBA), range(4, 8)),
                         ((0x0F, 0xC7), range(8)), ((0xD1,), range(8)), ((0x0F, 0xC1), range(8)),
                         ((0x0F, 0xB1), range(8)), ((0x0F, 0xAB), range(8)),
                         ((0x0F, 0xA3), range(8))):
        for sub in sub_ok:
            for mem in (True, False):
                g = Gen(r)
                bitreg = body in ((0x0F, 0xAB), (0x0F, 0xA3))
                m = g.modrm(sub, 64 if body == (0x0F, 0xC7) else 32, mem=mem,
                            avoid=(EAX, EDX, sub) if bitreg else (EAX, EDX))
                if bitreg:
                    g.regs[sub] = r.randrange(-64, 64) & 0xFFFFFFFF
                if body == (0x0F, 0xBA) or body in ((0x0F, 0xAB), (0x0F, 0xA3)):
                    g.undef |= O.UNDEF["bt"]
                if body in ((0xF6,), (0xF7,)):
                    if sub >= 4:
                        g.undef |= O.UNDEF["mul" if sub < 6 else "div"]
                    if sub < 2:
                        g.undef |= O.UNDEF["logic"]
                if body in ((0x80,), (0x81,), (0x83,)) and sub in (1, 4, 6):
                    g.undef |= O.UNDEF["logic"]
                if body == (0xD1,):
                    g.undef |= O.shift_undef(SHIFTS[sub], 32, 1)
                tail = b""
                if body in ((0x80,), (0x83,), (0x0F, 0xBA)) or body == (0xF6,) and sub < 2:
                    tail = bytes([r.randrange(256)])
                elif body == (0x81,) or body == (0xF7,) and sub < 2:
                    tail = r.randbytes(4)
                if body in ((0xF6,), (0xF7,)) and sub >= 6:
                    continue                    # a random divide: #DE or not, tested elsewhere
                cases.append(g.case(b"\xf0" + bytes(body) + m + tail))
    assert_same(cases)


def test_cmpxchg8b_forms():
    """Equal and unequal EDX:EAX, memory at the page edges, the register form
    (#UD) and LOCK."""
    r = random.Random(19)
    cases = []
    for _ in range(300):
        g = Gen(r)
        m = g.modrm(1, 64, mem=r.random() < 0.9, avoid=(EAX, EDX))
        if m[0] >> 6 != 3 and r.random() < 0.5:
            v = g.read(g.addr, 8)
            if v is not None:
                g.regs[EAX], g.regs[EDX] = v & 0xFFFFFFFF, v >> 32
        cases.append(g.case(r.choice([b"", b"\xf0"]) + b"\x0f\xc7" + m))
    assert_same(cases)


def test_rmw_read_fault_is_a_write():
    """The CPU reads a read-modify-write destination with write intent: a #PF
    on that read has W/R = 1 in the error code, and through a segment that
    cannot be written (CS) it is #GP(0) even where the page is not present
    (kw86 reported a plain read's #PF until exec_alu.pxi rmw_fault)."""
    r = random.Random(20)
    end = DATA + 0x1000

    def at(a):
        return a.to_bytes(4, "little")
    pf = (b"\x83\x05" + at(end - 1) + b"\x01", b"\xff\x05" + at(end),
          b"\x0f\xba\x2d" + at(end - 2) + b"\x03", b"\x87\x05" + at(end - 3),
          b"\xf7\x1d" + at(end + 0x100), b"\x0f\xc1\x05" + at(end + 0x100),
          b"\x0f\xb1\x05" + at(end + 0x100), b"\x0f\xc7\x0d" + at(end - 4),
          b"\xc1\x25" + at(end) + b"\x03", b"\x0f\xa4\x05" + at(end) + b"\x03")
    gp = tuple(b"\x2e" + c for c in pf)
    ro = (b"\x0f\xba\x25" + at(end) + b"\x03", b"\x3b\x05" + at(end), b"\x85\x05" + at(end))
    cases = [Gen(r).case(code) for code in pf + gp + ro + tuple(b"\x2e" + c for c in ro)]
    for c in cases:
        c.undef = O.ARITH
    native = O.run_native(cases)
    for c, nat in zip(cases, native):
        if c.insn.lstrip(b"\x2e") in ro:
            assert nat.vector == 14 and nat.err & 7 == 4, c    # a plain read
        elif c.insn[0] == 0x2E:
            assert nat.vector == 13 and nat.err == 0, c        # #GP(0) first
        else:
            assert nat.vector == 14 and nat.err & 7 == 6, c    # user, write, not present
    assert_same(cases)


def test_harness_reports_known_results():
    """The harness itself, against results fixed by the SDM (so that a broken
    harness cannot agree with a broken kw86): add, #DE, #UD, #PF with CR2 and
    error code, a push into the data page."""
    g = Gen(random.Random(21))
    g.regs[EAX], g.regs[EBX], g.regs[ECX], g.regs[ESP] = 0xFFFFFFFF, 2, 0, DATA + 0x800
    g.eflags = 0x202
    cases = [g.case(b"\x01\xd8"),                       # add eax, ebx
             g.case(b"\xf7\xf1"),                       # div ecx (0): #DE
             g.case(b"\x0f\x0b"),                       # ud2: #UD
             g.case(b"\x8b\x05" + (DATA + 0x1004).to_bytes(4, "little")),   # #PF
             g.case(b"\x53")]                           # push ebx
    add, de, ud, pf, push = O.run_native(cases)
    assert add.vector is None and add.regs[EAX] == 1 and add.eflags & O.ARITH == CF | AF
    assert add.eip == O.INSN + 2
    assert de.vector == 0 and de.regs == g.regs and de.eip == O.INSN
    assert ud.vector == 6 and ud.eip == O.INSN
    assert pf.vector == 14 and pf.cr2 == DATA + 0x1004 and pf.err & 7 == 4
    assert push.regs[ESP] == DATA + 0x7FC and push.data[0x7FC:0x800] == b"\x02\0\0\0"


def test_fixed_divergences():
    """The differences this oracle found in kw86 (fixed), as directed cases:
    PUSHA/ENTER report the first faulting push in CR2 (a page-crossing one:
    the second page's first byte), a faulting ENTER writes nothing (its
    Push(EBP) stayed written), CMPS reads ES:[eDI] first."""
    r = random.Random(22)
    cases = []

    def case(code, **regs):
        g = Gen(r)
        for k, v in regs.items():
            g.regs[GPRS_IDX[k]] = v
        cases.append(g.case(code))
    case(b"\x60", esp=DATA + 0x1002)                    # pushad: CR2 DATA+0x1000, not +0x1001
    case(b"\x66\x60", esp=DATA + 2)                     # pushaw: first push OK, then CR2 0x7ffe
    case(b"\xc8\x08\x00\x02", esp=DATA + 0x1002, ebp=DATA + 0x800)
    case(b"\xc8\x04\x00\x04", esp=DATA + 0xA68, ebp=DATA - 1)   # reads fault: nothing written
    case(b"\xc8\x10\x00\x03", esp=DATA + 0x4FC, ebp=DATA + 3)
    case(b"\xf3\xa6", ecx=3, esi=DATA - 3, edi=0x45111F)  # cmpsb: both unmapped: CR2 = EDI
    case(b"\xa7", esi=DATA + 0x10, edi=0x20000 - 0x100)
    bad = O.check(cases)
    assert not bad, O.report(bad, len(cases))
    assert [n.cr2 for n in O.run_native(cases)[:2]] == [DATA + 0x1000, DATA - 2]


GPRS_IDX = {n: k for k, n in enumerate(O.GPRS)}


def test_16bit_addressing_edges():
    """67h: the effective address wraps at 64 KiB ([bx+si], [bx+1] past FFFFh
    land low), but an access at offset FFFFh runs on to 10000h (no wrap of
    the access itself in a 4 GiB segment): the data page is the last below
    64 KiB, so these reach it or the unmapped page after it."""
    r = random.Random(23)
    cases = []
    forms = [(b"\x67\x8b\x07", {"ebx": 0xFFFF}), (b"\x67\x66\x8b\x07", {"ebx": 0xFFFF}),
             (b"\x67\x8b\x07", {"ebx": 0xFFFE}), (b"\x67\x8b\x07", {"ebx": 0xFFFC}),
             (b"\x67\x8b\x00", {"ebx": 0xFFFF, "esi": 0xF001}),
             (b"\x67\x8b\x47\x01", {"ebx": 0xFFFF}), (b"\x67\x8b\x47\xff", {"ebx": 0xF000}),
             (b"\x67\x8b\x87\x00\x80", {"ebx": 0x7FFE}), (b"\x67\x01\x87\x00\x80", {"ebx": 0x7FFC}),
             (b"\x67\xad", {"esi": 0xFFFE}), (b"\x67\xab", {"edi": 0xFFFD}),
             (b"\xf3\x67\xa4", {"esi": 0xFFF0, "edi": 0xF100, "ecx": 0x20}),
             (b"\xf3\x67\xa5", {"esi": 0xF008, "edi": 0xF800, "ecx": 0x10, "df": 1}),
             (b"\x67\xd7", {"ebx": 0xFFF0, "eax": 0x20}), (b"\x67\x8d\x00", {"ebx": 0xFFFF,
                                                                          "esi": 0x8000})]
    for code, regs in forms:
        for hi in (0, 0xABCD0000):
            g = Gen(r)
            g.eflags = (g.eflags & ~DF) | (DF if regs.get("df") else 0)
            for k, v in regs.items():
                if k != "df":
                    g.regs[GPRS_IDX[k]] = v | (hi if k != "ecx" else 0)
            cases.append(g.case(code))
    assert_same(cases)
