"""`kw86 exec --trace FILE`: every executed instruction, one line each.

    pid eip  bytes  text  ; changed registers
    1 0x08048074  31 ed  xor ebp, ebp  ; ebp=0x0 flags=0x246

plus event lines (`1 -- syscall write(1,"hi\\n",3) = 3`, `-- interrupt 0x20`,
`-- exception 14 (#PF) cr2=0x...`, `-- switch pid 1 -> 2`).  Instructions
of the kernel's locore (above KERNBASE) are traced too, with their symbol.

The machine is single-stepped (`Machine.run(0)` first delivers whatever
interrupt is pending at the boundary, so the traced instruction is the one
that executes; then `run(1)`).  Tracing never changes the guest: bytes,
frames and system-call strings are read by walking the page tables over
physical memory (no TLB fill, no accessed bit, no cycles charged), and the
hypercall wrapper only reads.  The guest's instruction count and cycles are
the same as an untraced run (tests/test_nbsd_trace.py checks it).  After
`limit` instructions a last line says the trace was cut and the machine
runs at full speed again.
"""
import struct

from kw86.machine import RunResult
from kw86.nbsd import abi
from kw86.machine import EAX, EBX, ESP
from kw86.nbsd.frame import TF_SHORT_SIZE, TF_SIZE, TrapFrame
from kw86.nbsd.kconst import HCALL_PORT, HC_GATE, HC_INTR, HC_SYSCALL, HC_TRAP, KW86_FAST
from kw86.nbsd.errors import Fault
from kw86.nbsd.usermem import UserMem

_GPR = ("eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi")
_SEG = ("es", "cs", "ss", "ds", "fs", "gs")
_EXC = {0: "#DE", 1: "#DB", 3: "#BP", 4: "#OF", 5: "#BR", 6: "#UD", 7: "#NM", 8: "#DF",
        10: "#TS", 11: "#NP", 12: "#SS", 13: "#GP", 14: "#PF", 16: "#MF", 17: "#AC"}
DEFAULT_LIMIT = 1_000_000


class PhysPeek(UserMem):
    """Read-only guest virtual memory through the current CR3, by walking
    the page tables with physical reads: no side effect on the machine."""

    def __init__(self, m, user=True):
        self.m = m
        self.user = user
        self.charge = None

    def _pa(self, va):
        m = self.m
        cr3 = m.get_cr(3) & ~0xfff
        try:
            pde = m.read_u32(cr3 + 4 * (va >> 22))
            if not pde & 1 or (self.user and not pde & 4):
                return None
            if pde & 0x80 and m.get_cr(4) & 0x10:          # 4 MiB page
                return (pde & 0xffc00000) | (va & 0x3fffff)
            pte = m.read_u32((pde & ~0xfff) + 4 * ((va >> 12) & 0x3ff))
        except (IndexError, ValueError):
            return None
        if not pte & 1 or (self.user and not pte & 4):
            return None
        return (pte & ~0xfff) | (va & 0xfff)

    def peek(self, va, n):
        """Up to n bytes at va (fewer if a page is missing)."""
        out = b""
        while n > 0:
            va &= 0xffffffff
            pa = self._pa(va)
            if pa is None:
                break
            k = min(n, 4096 - (va & 0xfff))
            try:
                out += self.m.read(pa, k)
            except (IndexError, ValueError):
                break
            va, n = va + k, n - k
        return out

    def copyin(self, addr, n):
        if self.user and (addr < 0 or addr + n > abi.VM_MAXUSER_ADDRESS):
            raise Fault(addr)
        data = self.peek(addr, n)
        if len(data) != n:
            raise Fault(addr)
        return data

    def copyout(self, addr, data):
        raise Fault(addr)                       # the tracer never writes


def syscall_site(kmem, umem, fesp):
    """The system call whose trap frame is at kernel address fesp, read
    without side effects (kmem/umem: PhysPeek): (code, argp), the call
    number (syscall()/__syscall() followed to the real one) and the user
    address of its arguments; argp None when the indirect number cannot be
    read; None when the frame cannot be read."""
    raw = kmem.peek(fesp, TF_SIZE)
    if len(raw) < TF_SHORT_SIZE:
        return None
    tf = TrapFrame.parse(raw)
    uesp = fesp + TF_SHORT_SIZE if tf.short else tf.esp
    argp = uesp + (8 if tf.gate else 4)
    code = tf.eax & (abi.NSYSENT - 1)
    try:
        if code in (0, 198):                    # syscall / __syscall
            code = struct.unpack("<I", umem.copyin(argp, 4))[0] & (abi.NSYSENT - 1)
            argp += 4 if code == 0 else 8
    except Fault:
        return code, None
    return code, argp


def f80_text(se, m):
    """An 80-bit register as `0x<20 hex digits>(<value>)`: the value in
    decimal to 21 significant digits (enough for a 64-bit significand),
    or inf / nan / snan, "unnormal" / "pseudo-nan" / "pseudo-inf" for the
    encodings a P6 no longer supports (SDM Vol. 1 8.2.2)."""
    sign = "-" if se & 0x8000 else ""
    e = se & 0x7FFF
    raw = f"{(se << 64) | m:#022x}"
    j = m >> 63
    if e == 0x7FFF:
        frac = m & ~(1 << 63)
        if not j:
            v = "pseudo-nan" if frac else "pseudo-inf"
        elif not frac:
            v = sign + "inf"
        else:
            v = sign + ("nan" if frac >> 62 else "snan")
    elif e and not j:
        v = "unnormal"
    elif m == 0:
        v = sign + "0"
    else:
        import decimal
        ctx = decimal.Context(prec=21, Emax=999999, Emin=-999999)
        # a denormal (e == 0) has the exponent of e == 1
        x = ctx.multiply(decimal.Decimal(m), ctx.power(decimal.Decimal(2), max(e, 1) - 16383 - 63))
        v = sign + format(x.normalize(ctx), "g")
    return f"{raw}({v})"


def fpu_changes(b, a, mmx=False):
    """The x87/MMX part of the changed registers, from two 108-byte FNSAVE
    images (Machine.fpu_image, read without side effects): a data register
    whose contents changed, as `stI=` (I relative to the TOP after the
    instruction) or, for an MMX instruction, `mmN=` (its physical number
    and 64-bit value); then fcw / fsw / ftw (the full 2-bit tag word) when
    they changed.  A pop changes only fsw's TOP and ftw: the register keeps
    its value.  The instruction pointers (FIP, FDP, FOP) are not shown."""
    u16 = lambda img, o: img[o] | img[o + 1] << 8
    out = []
    tb, ta = (u16(b, 4) >> 11) & 7, (u16(a, 4) >> 11) & 7
    phys_b, phys_a = {}, {}
    for k in range(8):
        phys_b[(tb + k) & 7] = b[28 + 10 * k:38 + 10 * k]
        phys_a[(ta + k) & 7] = a[28 + 10 * k:38 + 10 * k]
    for r in range(8) if mmx else sorted(range(8), key=lambda r: (r - ta) & 7):
        x = phys_a[r]
        if x == phys_b[r]:
            continue
        m = int.from_bytes(x[:8], "little")
        if mmx:
            out.append(f"mm{r}={m:#x}")
        else:
            out.append(f"st{(r - ta) & 7}={f80_text(u16(x, 8), m)}")
    for name, off in (("fcw", 0), ("fsw", 4), ("ftw", 8)):
        if u16(a, off) != u16(b, off):
            out.append(f"{name}={u16(a, off):#x}")
    return out


class Tracer:
    def __init__(self, kernel, out, limit=DEFAULT_LIMIT):
        self.k = kernel
        self.m = kernel.m
        self.core = kernel.m.core
        self.out = out
        self.limit = limit
        self.count = 0
        self.active = True
        self._ev = []                           # event lines of the current step
        self.umem = PhysPeek(self.m, user=True)
        self.kmem = PhysPeek(self.m, user=False)
        lc = kernel.boot.lc
        self.syms = sorted((a, n) for n, a in lc.symbols.items())
        self.lc_lo = lc.symbols.get("kw86_locore_start", abi.KERNBASE)
        self.lc_hi = lc.text_end
        self.vec_of = {}
        for v in range(32):
            self.vec_of[lc[f"Xtrap{v:02x}"]] = v
        for v in range(0x20, 0x30):
            a = lc.symbols.get(f"Xintr{v:02x}")
            if a is not None:
                self.vec_of[a] = v
        self.vec_of[lc["Xsyscall"]] = 0x80
        self._hcall = kernel._hcall
        self.m.set_port_handler(HCALL_PORT, write=self._traced_hcall, free=True)

    # -- output ----------------------------------------------------------------
    def _pid(self):
        p = self.k.cur
        return p.pid if p is not None else 0

    def event(self, text):
        self._ev.append(f"{self._pid()} -- {text}\n")

    def _flush_events(self):
        if self._ev:
            self.out.write("".join(self._ev))
            self._ev.clear()

    def _sym(self, eip):
        if not self.lc_lo <= eip < self.lc_hi:
            return ""
        import bisect
        i = bisect.bisect_right(self.syms, (eip, "\xff")) - 1
        if i < 0:
            return ""
        a, n = self.syms[i]
        return f" <{n}{'+' + hex(eip - a) if eip != a else ''}>"

    def _snap(self):
        c = self.core
        g = c.get_gpr
        return ((g(0), g(1), g(2), g(3), g(4), g(5), g(6), g(7)), c.eflags,
                tuple(c.get_seg(i)[0] for i in range(6)), self.m.fpu_image())

    # -- the hypercall: events ---------------------------------------------------
    def _traced_hcall(self, port, size, value):
        if not self.active:
            return self._hcall(port, size, value)
        k, core = self.k, self.core
        before = k.cur
        fesp = core.get_gpr(ESP)
        call = None
        if value in (HC_SYSCALL, HC_GATE):
            call = self._syscall_text(fesp)
            self.event(f"syscall {call}")
        elif value == HC_TRAP:
            raw = self.kmem.peek(fesp, TF_SHORT_SIZE)
            if len(raw) == TF_SHORT_SIZE:
                tf = TrapFrame.parse(raw)
                what = f"trap {tf.trapno} err={tf.err:#x} eip={tf.eip:#x}"
                if tf.trapno == abi.T_PAGEFLT:
                    what += f" cr2={self.m.get_reg('cr2'):#x}"
                self.event(what)
        elif value == HC_INTR:
            pass                                # the interrupt line came first
        try:
            self._hcall(port, size, value)
        finally:
            gone = before is not None and before.state == "zomb"
            if call is not None and k.cur is before and before is not None and not gone:
                self.event(f"return {self._result(fesp, before)}")
            if gone:
                self._ev.append(f"{before.pid} -- exit status {before.status:#x}\n")
            if k.cur is not before:
                a = before.pid if before is not None else 0
                b = k.cur.pid if k.cur is not None else 0
                if k.cur is not None:
                    self._ev.append(f"{b} -- switch pid {a} -> {b}\n")

    def _syscall_text(self, fesp):
        site = syscall_site(self.kmem, self.umem, fesp)
        if site is None:
            return "?"
        code, argp = site
        if argp is None:
            return f"#{code}(?)"
        from kw86.nbsd.syscalls import TABLE
        row = TABLE.vec[code]
        if row is None:
            return f"#{code} ({TABLE.names.get(code, 'unknown')})"
        try:
            args = row.argst.unpack(self.umem.copyin(argp, row.argbytes)) if row.argbytes else ()
        except Fault:
            return f"{row.name}(<args at {argp:#x}: EFAULT>)"
        try:
            return row.format_call(args, self.umem)
        except Exception:
            return row.name

    def _result(self, fesp, p):
        core = self.core
        if core.get_gpr(EBX) == KW86_FAST:
            v = core.get_gpr(EAX)
            return str(v - (1 << 32) if v & 0x80000000 else v)
        if p.state == "sleep":
            return "(sleeps)"
        raw = self.kmem.peek(fesp, TF_SHORT_SIZE)
        if len(raw) < TF_SHORT_SIZE:
            return "?"
        tf = TrapFrame.parse(raw)
        eax, edx = tf.eax, tf.edx
        if tf.eflags & abi.PSL_C:
            return f"-1 errno {eax} {abi.errno_text(eax)}"
        return str(eax - (1 << 32) if eax & 0x80000000 else eax) + (f"/{edx:#x}" if edx else "")

    # -- stepping ---------------------------------------------------------------
    def run(self, n):
        """Machine.run(n), one instruction at a time, traced."""
        m, core, out = self.m, self.core, self.out
        done = 0
        while done < n:
            if self.count >= self.limit:
                out.write(f"-- trace cut after {self.limit} instructions "
                          f"(--trace-limit); the program went on untraced\n")
                out.flush()
                self.detach()
                return RunResult("budget", done)
            cs0, eip0 = core.get_seg(1)[0], core.eip
            if core.eflags & 0x100:
                # EFLAGS.TF: a second look at this boundary would raise the
                # single-step #DB early (the CPU arms it per boundary)
                r = RunResult("budget", 0)
            else:
                r = m.run(0)                    # a pending interrupt, delivered now
            eip = core.eip
            if eip != eip0 or core.get_seg(1)[0] != cs0:
                v = self.vec_of.get(eip)
                self.event(f"interrupt {v:#x}" if v is not None else
                           f"interrupt -> {eip:#x}")
                self._flush_events()
            if r.event != "budget":
                return RunResult(r.event, done, r.exception)
            before = self._snap()
            seg = core.get_seg(1)
            lin = (seg[1] + eip) & 0xffffffff
            code = self.kmem.peek(lin, 15)
            pid = self._pid()
            r = m.run(1)
            done += r.instructions
            self.count += 1
            text, mmx = self._disasm(code, eip, 32 if seg[4] else 16)
            after = self._snap()
            out.write(f"{pid} {eip:#010x}  {text}{self._sym(eip)}  ; "
                      f"{self._changes(before, after, mmx)}\n")
            self._flush_events()
            # where it went: an exception the instruction raised, or an
            # interrupt taken at the boundary after it (its pushes are in
            # the changed registers above)
            v = self.vec_of.get(core.eip)
            if v is not None and not (v == 0x80 and code[:2] == b"\xcd\x80") and \
                    not (v < 32 and code[:1] in (b"\xcc", b"\xce")):
                if v < 32:
                    extra = f" cr2={m.get_reg('cr2'):#x}" if v == 14 else ""
                    self.event(f"exception {v} {_EXC.get(v, '')}{extra}")
                else:
                    self.event(f"interrupt {v:#x}")
                self._flush_events()
            if r.event != "budget":
                return RunResult(r.event, done, r.exception)
        return RunResult("budget", done)

    def _disasm(self, code, eip, bits):
        """(text, whether the instruction is an MMX one)"""
        if not code:
            return "(not mapped)", False
        from kw86.decoder import decode
        try:
            d = decode(code, bits=bits, ip=eip)
            mmx = any(o.kind == "reg" and o.reg.startswith("mm") for o in d.operands)
            return f"{d.bytes.hex(' '):<20s}  {d}", mmx or d.mnemonic == "emms"
        except Exception:
            return f"{code[:1].hex():<20s}  (undecodable)", False

    @staticmethod
    def _changes(b, a, mmx=False):
        parts = []
        for name, x, y in zip(_GPR, b[0], a[0]):
            if x != y:
                parts.append(f"{name}={y:#x}")
        if b[1] != a[1]:
            parts.append(f"flags={a[1]:#x}")
        for name, x, y in zip(_SEG, b[2], a[2]):
            if x != y:
                parts.append(f"{name}={y:#x}")
        if b[3] != a[3]:
            parts.extend(fpu_changes(b[3], a[3], mmx))
        return " ".join(parts) if parts else "-"

    def detach(self):
        if self.active:
            self.active = False
            self.m.set_port_handler(HCALL_PORT, write=self._hcall, free=True)
        try:
            self.out.flush()
        except (OSError, ValueError):
            pass
