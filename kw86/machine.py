"""kw86.Machine: one i386 (P6, Celeron Mendocino) CPU and its guest memory.

The object the NetBSD kernel personality drives.  The CPU state and the hot
loop are C (kw86/exec.pyx, kw86/mmu.pyx); run() releases the GIL and leaves
C only for an event.  Every method validates its arguments: no call can
touch host memory outside the guest buffer, and a bad name or address
raises ValueError / IndexError naming the mistake.

Memory (physical unless named *_virt):
    Machine(mem_size=64 << 20, profile="celeron500")
    read(pa, n) / write(pa, data) / fill(pa, n, byte) / read_u32 / write_u32
        every write invalidates decoded instructions on the pages it touches
    read_virt(va, n, user=False) -> bytes | None     through the guest's paging
    write_virt(va, data, user=False) -> bool          (A/D bits set; None/False
    translate(va, write=False, user=False) -> pa|None  = the guest would #PF)
    flush_tlb()               (host writes to pages a page walk has read, i.e.
                              page directories/tables, flush the TLB already)
Registers and descriptor state:
    get_reg(name) / set_reg(name, v): eax..edi, ax.., al.., eip, eflags, cr0,
        cr2, cr3, cr4, dr0-3/6/7, es/cs/ss/ds/fs/gs (selector only), cpl
    set_cr(n, v) / get_cr(n)  (host write: no checks; flushes the TLB)
    set_gdt(base, limit) / set_idt(base, limit) / gdtr / idtr   (linear bases)
    load_segment(name, sel)   hidden part from the guest GDT/LDT, no privilege
                              checks (cs also sets CPL = RPL); load_tr / load_ldtr
    set_segment(name, sel, base, limit, big=True, dpl=None, type=None)
    get_segment(name) -> Segment(selector, base, limit, access, big, valid)
    save_context() / restore_context(ctx)   for context switches
    get_msr / set_msr         0x10 (TSC), 0x174-0x176 (sysenter)
Running:
    run(max_instructions, max_cycles=None) -> RunResult(event, instructions,
        exception); step() = run(1).  Events:
    "budget"        the instruction budget was used up
    "cycles"        the cycle limit was reached
    "hlt"           hlt with IF=1 and no timer armed (waiting for an interrupt)
    "hang"          hlt with IF=0: the guest can never wake up
    "triple_fault"  an exception while delivering #DF (state left as it was)
    "exception"     an intercepted exception (Machine.intercept): .exception
    "task_switch"   virtual-8086 mode needed (an iret to VM=1, a task switch to a
                    TSS whose EFLAGS.VM=1): not modelled, nothing changed
                    (task switches themselves run in the CPU: exec_task.pxi)
    "stop"          a port handler (or another thread) called Machine.stop()
    "breakpoint"    add_breakpoint(linear) / remove_breakpoint: stopped before it
    intercept = {vectors}     report these exceptions instead of using the IDT
    intercept_soft = True     report int n / int3 / into too (tests)
Ports: set_port_handler(port, read=None, write=None, free=False).  Handlers
    run inside run().  An `out` is posted: the handler runs after the
    instruction completed (EIP after it) and may change any state (the
    kernel's hypercall; free=True charges it 0 cycles).  An `in` completes
    with read(port, size)'s value.  IOPL/TSS-bitmap checks come first;
    unhooked ports read all ones and ignore writes.
Interrupts: raise_irq(vector) (edge, delivered when IF=1 outside interrupt
    shadows), set_timer(period_cycles, vector=0x20) or set_timer(hz=100):
    the timer raises the line every period of *modelled* cycles, and hlt
    with IF=1 jumps the clock to the next tick.  timer_ticks counts ticks.
Cycle model: cycles (what rdtsc reads, minus the TSC offset), instructions,
    page_walks, add_cycles(n) (kernel work done in Python), set_profile(name
    or path): kw86/profiles/*.toml, each number traced to cycle-model.md.
"""

import os

from kw86 import exec as _exec

_GPR32 = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"]
# core.get_gpr/set_gpr indices (the ModRM register numbers), for code that
# reads registers on a hot path: core.get_gpr(ESP)
EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI = range(8)
_GPR16 = ["ax", "cx", "dx", "bx", "sp", "bp", "si", "di"]
_GPR8 = ["al", "cl", "dl", "bl", "ah", "ch", "dh", "bh"]
SEGMENTS = ["es", "cs", "ss", "ds", "fs", "gs"]
_SEG_INDEX = {n: i for i, n in enumerate(SEGMENTS)}
_SEG_INDEX.update({"ldtr": 6, "tr": 7})

EXCEPTION_NAMES = {0: "#DE", 1: "#DB", 2: "NMI", 3: "#BP", 4: "#OF", 5: "#BR", 6: "#UD",
                   7: "#NM", 8: "#DF", 10: "#TS", 11: "#NP", 12: "#SS", 13: "#GP",
                   14: "#PF", 16: "#MF", 17: "#AC", 18: "#MC"}

_CHUNK = 1 << 26       # instructions per nogil stretch (Ctrl-C is seen in between)
PROFILE_DIR = os.path.join(os.path.dirname(__file__), "profiles")


class CPUException(Exception):
    """A guest exception reported to the host (not delivered through the IDT).

    .vector, .error_code (None if the exception has none), .cr2 (for #PF),
    .eip (of the faulting instruction, or after a software int), .soft (int n,
    int3, into), .insn_bytes (the instruction's bytes for #UD)."""

    def __init__(self, vector, error_code=None, cr2=None, eip=None, soft=False, insn_bytes=None):
        self.vector = vector
        self.error_code = error_code
        self.cr2 = cr2
        self.eip = eip
        self.soft = soft
        self.insn_bytes = insn_bytes
        name = EXCEPTION_NAMES.get(vector, f"int {vector:#x}")
        msg = name
        if error_code is not None:
            msg += f"({error_code:#x})"
        if cr2 is not None:
            msg += f" cr2={cr2:#x}"
        if eip is not None:
            msg += f" at eip={eip:#x}"
        if insn_bytes:
            msg += " bytes=" + insn_bytes.hex(" ")
        super().__init__(msg)

    @property
    def name(self):
        return EXCEPTION_NAMES.get(self.vector, f"int {self.vector:#x}")

    def __eq__(self, other):
        return (isinstance(other, CPUException) and self.vector == other.vector
                and self.error_code == other.error_code and self.cr2 == other.cr2)

    def __hash__(self):
        return hash((self.vector, self.error_code, self.cr2))


class _Record:
    """A small record class with a dataclass's __init__/__repr__/__eq__,
    written out: `dataclasses` (and the `inspect` it imports) cost every run
    6 ms of start-up."""
    __slots__ = ()

    def __init__(self, *args, **kw):
        names = self.__slots__
        if len(args) > len(names):
            raise TypeError(f"{type(self).__name__}() takes at most {len(names)} arguments")
        for name, v in zip(names, args):
            setattr(self, name, v)
        for name in names[len(args):]:
            if name in kw:
                setattr(self, name, kw.pop(name))
            elif name in self._defaults:
                setattr(self, name, self._defaults[name])
            else:
                raise TypeError(f"{type(self).__name__}() missing argument {name!r}")
        if kw:
            raise TypeError(f"{type(self).__name__}() got an unexpected argument {next(iter(kw))!r}")

    def _astuple(self):
        return tuple(getattr(self, n) for n in self.__slots__)

    def __repr__(self):
        return f"{type(self).__name__}(" + ", ".join(
            f"{n}={getattr(self, n)!r}" for n in self.__slots__) + ")"

    def __eq__(self, other):
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._astuple() == other._astuple()

    __hash__ = None


class RunResult(_Record):
    # event: see the module docstring; instructions: executed by this run()
    # call (faults count); exception: the CPUException, if any
    __slots__ = ("event", "instructions", "exception")
    _defaults = {"exception": None}

    def __bool__(self):     # truthy when something other than the budget stopped it
        return self.event != "budget"


class Segment(_Record):
    # access: descriptor byte 5: P | DPL << 5 | S << 4 | type
    __slots__ = ("selector", "base", "limit", "access", "big", "valid")
    _defaults = {}

    @property
    def dpl(self):
        return (self.access >> 5) & 3

    @property
    def type(self):
        return self.access & 0xF


_PROFILE_CACHE = {}


def load_profile(name_or_path):
    """Read a cycle profile (kw86/profiles/NAME.toml or a path) into
    (class cost list, event cost list, dict)."""
    key = (name_or_path, os.path.getmtime(name_or_path) if os.path.exists(name_or_path) else None)
    if key not in _PROFILE_CACHE:
        _PROFILE_CACHE[key] = _load_profile(name_or_path)
    ccost, ecost, prof = _PROFILE_CACHE[key]
    return list(ccost), list(ecost), dict(prof)


def _load_profile(name_or_path):
    from kw86.isa import opcodes
    path = name_or_path
    if not os.path.exists(path):
        path = os.path.join(PROFILE_DIR, f"{name_or_path}.toml")
    if not os.path.exists(path):
        known = sorted(f[:-5] for f in os.listdir(PROFILE_DIR) if f.endswith(".toml"))
        raise ValueError(f"unknown cycle profile {name_or_path!r} (known: {', '.join(known)})")
    from kw86.tomlcache import read_toml
    prof = read_toml(path)
    classes = prof.get("classes", {})
    events = prof.get("events", {})
    unknown = set(classes) - set(opcodes.CLASSES)
    if unknown:
        raise ValueError(f"profile {path}: unknown instruction classes {sorted(unknown)}")
    ccost = [int(classes.get(name, 1)) for name in opcodes.CLASSES]
    ecost = [0] * _exec.EVC_COUNT
    for name, v in events.items():
        if name not in _exec.EVC:
            raise ValueError(f"profile {path}: unknown event {name!r}")
        k = _exec.EVC[name]
        if name in ("movs_d", "movs_b", "stos_d", "stos_b", "rep_other"):
            ecost[k] = int(round(float(v) * 256))      # 1/256 cycle fixed point
        else:
            ecost[k] = int(v)
    return ccost, ecost, prof


class Machine:
    """CPU + memory (see the module docstring for the kernel-facing API)."""

    def __init__(self, mem_size=64 << 20, profile="celeron500"):
        if mem_size <= 0 or mem_size > (1 << 31) or mem_size % 4096:
            raise ValueError(f"mem_size must be a positive multiple of 4096 up to 2 GiB, not {mem_size}")
        self.core = _exec.Core(mem_size)
        self._in = {}
        self._out = {}
        self.profile = None
        self.clock_hz = 500_000_000
        self.set_profile(profile)

    # ---- cycle model --------------------------------------------------------

    def set_profile(self, profile):
        ccost, ecost, prof = load_profile(profile)
        self.core.set_costs(ccost, ecost)
        self.profile = prof.get("name", profile)
        self.clock_hz = int(prof.get("clock_hz", self.clock_hz))

    @property
    def cycles(self):
        """Modelled core clocks since reset (what rdtsc reads, minus the TSC offset)."""
        return self.core.cycles

    @cycles.setter
    def cycles(self, v):
        self.core.cycles = v

    def add_cycles(self, n):
        """Charge n cycles (kernel work done in Python, e.g. from the kernel-cost table)."""
        self.core.add_cycles(int(n))

    @property
    def instructions(self):
        return self.core.icount

    @property
    def page_walks(self):
        return self.core.page_walks

    # ---- memory -------------------------------------------------------------

    @property
    def mem_size(self):
        return self.core.mem_size

    def read(self, addr, n):
        """Physical read (IndexError outside memory)."""
        return self.core.read_phys(addr, n)

    def write(self, addr, data):
        """Physical write; invalidates decoded instructions on those pages."""
        self.core.write_phys(addr, data)

    read_mem = read
    write_mem = write

    def fill(self, addr, n, value=0):
        self.core.fill_phys(addr, n, value)

    def read_u32(self, addr):
        return int.from_bytes(self.core.read_phys(addr, 4), "little")

    def write_u32(self, addr, v):
        self.core.write_phys(addr, (v & 0xFFFFFFFF).to_bytes(4, "little"))

    def read_virt(self, lin, n, user=False):
        """Read through the guest's paging (sets A bits); None on a page fault."""
        return self.core.read_lin(lin & 0xFFFFFFFF, n, user)

    def write_virt(self, lin, data, user=False):
        """Write through the guest's paging (A/D bits, code invalidation);
        False on a page fault."""
        return self.core.write_lin(lin & 0xFFFFFFFF, data, user)

    def translate(self, lin, write=False, user=False):
        """Linear -> physical, or None if the guest would fault."""
        return self.core.translate(lin & 0xFFFFFFFF, write, user)

    def flush_tlb(self):
        """Drop all cached translations.  Host writes (write/fill) to pages
        that a page walk has read flush automatically; this is for the rest
        (e.g. after set_cr with the same CR3)."""
        self.core.flush_tlb()

    # ---- registers ----------------------------------------------------------

    def get_reg(self, name):
        n = name.lower() if isinstance(name, str) else name
        core = self.core
        if n in _GPR32:
            return core.get_gpr(_GPR32.index(n))
        if n in _GPR16:
            return core.get_gpr(_GPR16.index(n)) & 0xFFFF
        if n in _GPR8:
            k = _GPR8.index(n)
            return (core.get_gpr(k & 3) >> (8 if k >= 4 else 0)) & 0xFF
        if n == "eip":
            return core.eip
        if n == "ip":
            return core.eip & 0xFFFF
        if n in ("eflags", "flags"):
            return core.eflags if n == "eflags" else core.eflags & 0xFFFF
        if n in ("cr0", "cr2", "cr3", "cr4"):
            return core.get_cr(int(n[2]))
        if n in ("dr0", "dr1", "dr2", "dr3", "dr6", "dr7"):
            return core.get_dr(int(n[2]))
        if n in _SEG_INDEX:
            return core.get_seg(_SEG_INDEX[n])[0]
        if n == "cpl":
            return core.cpl
        raise ValueError(f"unknown register name {name!r}")

    def set_reg(self, name, value):
        n = name.lower() if isinstance(name, str) else name
        if not isinstance(value, int):
            raise TypeError(f"register value must be an int, not {type(value).__name__}")
        core = self.core
        v = value & 0xFFFFFFFF
        if n in _GPR32:
            core.set_gpr(_GPR32.index(n), v)
        elif n in _GPR16:
            k = _GPR16.index(n)
            core.set_gpr(k, (core.get_gpr(k) & 0xFFFF0000) | (v & 0xFFFF))
        elif n in _GPR8:
            k = _GPR8.index(n)
            sh = 8 if k >= 4 else 0
            old = core.get_gpr(k & 3)
            core.set_gpr(k & 3, (old & ~(0xFF << sh) & 0xFFFFFFFF) | ((v & 0xFF) << sh))
        elif n == "eip":
            core.eip = v
        elif n == "ip":
            core.eip = v & 0xFFFF
        elif n == "eflags":
            core.eflags = v
        elif n == "flags":
            core.eflags = (core.eflags & 0xFFFF0000) | (v & 0xFFFF)
        elif n in ("cr0", "cr2", "cr3", "cr4"):
            core.set_cr(int(n[2]), v)
        elif n in ("dr0", "dr1", "dr2", "dr3", "dr6", "dr7"):
            core.set_dr(int(n[2]), v)
        elif n in _SEG_INDEX:
            core.set_seg_selector(_SEG_INDEX[n], v & 0xFFFF)
        elif n == "cpl":
            core.cpl = value
        else:
            raise ValueError(f"unknown register name {name!r}")

    def regs(self):
        """A snapshot dict of the general registers, eip, eflags and selectors."""
        d = {r: self.core.get_gpr(i) for i, r in enumerate(_GPR32)}
        d["eip"] = self.core.eip
        d["eflags"] = self.core.eflags
        for i, s in enumerate(SEGMENTS):
            d[s] = self.core.get_seg(i)[0]
        return d

    def save_context(self):
        """Everything a context switch needs: general registers, EIP, EFLAGS,
        segment registers with their hidden parts, CPL, CR3 (a tuple)."""
        core = self.core
        return (tuple(core.get_gpr(i) for i in range(8)), core.eip, core.eflags,
                tuple(core.get_seg(i) for i in range(6)), core.cpl, core.get_cr(3))

    def restore_context(self, ctx):
        """Load a tuple from save_context() (CR3 reload flushes the TLB only
        if it changed)."""
        gprs, eip, eflags, segs, cpl, cr3 = ctx
        core = self.core
        for i, v in enumerate(gprs):
            core.set_gpr(i, v)
        for i, (sel, base, limit, access, big, valid) in enumerate(segs):
            core.set_seg(i, sel, base, limit, access, big, valid)
        core.cpl = cpl
        core.eflags = eflags
        core.eip = eip
        if core.get_cr(3) != cr3:
            core.set_cr(3, cr3)

    def _seg_index(self, name):
        try:
            return _SEG_INDEX[name.lower()]
        except (KeyError, AttributeError):
            raise ValueError(f"unknown segment register {name!r} "
                             f"(one of {', '.join(_SEG_INDEX)})") from None

    def get_segment(self, name):
        return Segment(*self.core.get_seg(self._seg_index(name)))

    def set_segment(self, name, selector, base, limit, *, big=True, dpl=None, type=None,
                    present=True, system=False):
        """Load a segment register's hidden part directly (no descriptor table).
        `type` is the descriptor's 4-bit type (default: execute/read code for
        cs, read/write data otherwise, accessed); dpl defaults to the
        selector's RPL."""
        k = self._seg_index(name)
        if dpl is None:
            dpl = selector & 3
        if not 0 <= dpl <= 3:
            raise ValueError("dpl must be 0..3")
        if type is None:
            type = 0xB if k == 1 else (0x2 if k == 6 else (0xB if k == 7 else 0x3))
            if k >= 6:
                system = True
        if not 0 <= type <= 15:
            raise ValueError("type must be a 4-bit descriptor type (0..15)")
        if not 0 <= limit <= 0xFFFFFFFF or not 0 <= base <= 0xFFFFFFFF:
            raise ValueError("base and limit must be 32-bit values")
        access = (0x80 if present else 0) | (dpl << 5) | (0 if system else 0x10) | type
        self.core.set_seg(k, selector, base, limit, access, big, True)

    def load_segment(self, name, selector):
        """Load a segment register (or ldtr/tr) from its descriptor in the
        guest's GDT/LDT, without privilege checks (loader use).  CS also sets
        CPL to the selector's RPL."""
        k = self._seg_index(name)
        if not self.core.load_seg_from_table(k, selector):
            raise ValueError(f"selector {selector:#x} is outside the descriptor table")
        if k == 1:
            self.core.cpl = selector & 3

    def load_tr(self, selector):
        self.load_segment("tr", selector)

    def load_ldtr(self, selector):
        self.load_segment("ldtr", selector)

    def set_gdt(self, base, limit):
        self.core.set_table(0, base, limit)

    def set_idt(self, base, limit):
        self.core.set_table(1, base, limit)

    @property
    def gdtr(self):
        return self.core.get_table(0)

    @property
    def idtr(self):
        return self.core.get_table(1)

    # ---- x87 FPU / MMX state ------------------------------------------------

    def fpu_image(self):
        """The x87 state as a 108-byte FNSAVE image (32-bit protected-mode
        format: control, status, tag words, FIP/FCS+FOP/FDP/FDS, ST(0)..ST(7)).
        The state is not reinitialised (FNSAVE would)."""
        return _exec.fpu_get_image(self.core)

    def set_fpu_image(self, data):
        """Load the x87 state from a 108-byte FRSTOR image (32-bit format)."""
        _exec.fpu_set_image(self.core, bytes(data))

    def fpu_reset(self):
        """FNINIT state with zeroed registers."""
        _exec.fpu_reset(self.core)

    def fpu_state(self):
        """The x87 state as a dict: cw, sw, tw (2-bit tags), top, st (ST(0)..
        ST(7) as (sign_exponent, significand)), mm (MM0..MM7 significands),
        fip, fcs, fop, fdp, fds."""
        b = self.fpu_image()
        u16 = lambda o: int.from_bytes(b[o:o + 2], "little")
        u32 = lambda o: int.from_bytes(b[o:o + 4], "little")
        sw = u16(4)
        top = (sw >> 11) & 7
        st = [(u16(36 + 10 * k), int.from_bytes(b[28 + 10 * k:36 + 10 * k], "little"))
              for k in range(8)]
        mm = [st[(r - top) & 7][1] for r in range(8)]
        return {"cw": u16(0), "sw": sw, "tw": u16(8), "top": top, "st": st, "mm": mm,
                "fip": u32(12), "fcs": u16(16), "fop": u16(18) & 0x7FF, "fdp": u32(20),
                "fds": u16(24)}

    def set_cr(self, n, v):
        self.core.set_cr(n, v)

    def get_cr(self, n):
        return self.core.get_cr(n)

    @property
    def cpl(self):
        return self.core.cpl

    def get_msr(self, n):
        return self.core.get_msr(n)

    def set_msr(self, n, v):
        self.core.set_msr(n, v)

    # ---- exceptions -----------------------------------------------------------

    @property
    def intercept(self):
        """Set of exception vectors (0..31) reported to the host (RunResult
        with .exception) instead of being delivered through the IDT."""
        m = self.core.intercept
        return {v for v in range(32) if (m >> v) & 1}

    @intercept.setter
    def intercept(self, vectors):
        m = 0
        for v in vectors:
            if not 0 <= v < 32:
                raise ValueError(f"exception vector {v} is not 0..31")
            m |= 1 << v
        self.core.intercept = m

    @property
    def intercept_soft(self):
        """Report int n / int3 / into (and external interrupts) to the host too."""
        return self.core.intercept_soft

    @intercept_soft.setter
    def intercept_soft(self, v):
        self.core.intercept_soft = bool(v)

    def _exception(self):
        vec, has, err, cr2, soft = self.core.exc_info()
        eip = self.core.eip
        insn = None
        if vec == 6 and not soft:
            cs = self.core.get_seg(1)
            insn = self.core.read_lin((cs[1] + eip) & 0xFFFFFFFF, 15)
            if insn is None:
                insn = self.core.read_lin((cs[1] + eip) & 0xFFFFFFFF, 1)
            if insn:
                try:
                    from kw86.decoder import decode
                    d = decode(insn, bits=32 if cs[4] else 16)
                    insn = insn[:max(1, d.length)]
                except Exception:       # the bytes are still worth reporting
                    pass
        return CPUException(vec, err if has else None, cr2 if vec == 14 else None, eip, soft, insn)

    # ---- interrupts and the timer --------------------------------------------

    def raise_irq(self, vector):
        """Raise the INTR line with this vector (delivered once, when IF=1)."""
        self.core.raise_irq(vector)

    def clear_irq(self):
        self.core.clear_irq()

    def set_timer(self, period_cycles=None, vector=0x20, *, hz=None):
        """Raise irq `vector` every period_cycles modelled clocks, or `hz`
        times per modelled second (hz=100 at 500 MHz: every 5,000,000).
        period 0 / None with no hz: off."""
        if hz is not None:
            period_cycles = self.clock_hz // hz
        self.core.set_timer(int(period_cycles or 0), vector)

    @property
    def timer_ticks(self):
        return self.core.timer_ticks

    @property
    def halted(self):
        return self.core.halted

    # ---- ports ----------------------------------------------------------------

    def set_port_handler(self, port, read=None, write=None, *, free=False):
        """Hook an I/O port.  read(port, size) -> int for `in`;
        write(port, size, value) for `out`.  free=True: the in/out costs 0
        cycles (a hypercall stands for C code the real kernel ran).  Unhooked
        ports read all ones and ignore writes.  Permission checks (IOPL, TSS
        bitmap) happen before the handler is called."""
        if not 0 <= port <= 0xFFFF:
            raise ValueError(f"port {port:#x} is not 0..0xffff")
        if read is None and write is None:
            self._in.pop(port, None)
            self._out.pop(port, None)
            self.core.hook_port(port, False)
            return
        self._in[port] = read
        self._out[port] = write
        self.core.hook_port(port, True, free)

    # ---- running --------------------------------------------------------------

    def add_breakpoint(self, linear):
        """Stop run() ("breakpoint") before the instruction at this linear
        address executes; the next run() resumes through it.  Up to 8."""
        self._bps = getattr(self, "_bps", set()) | {linear & 0xFFFFFFFF}
        self.core.set_breakpoints(self._bps)

    def remove_breakpoint(self, linear):
        self._bps = getattr(self, "_bps", set()) - {linear & 0xFFFFFFFF}
        self.core.set_breakpoints(self._bps)

    def stop(self):
        """Ask run() to return "stop" (from a port handler)."""
        self.core.stop()

    def run(self, max_instructions, *, max_cycles=None):
        """Run up to max_instructions (and max_cycles more modelled cycles).
        Returns a RunResult."""
        if max_instructions < 0:
            raise ValueError("max_instructions must be >= 0")
        core = self.core
        core.cycle_limit = (core.cycles + max_cycles) if max_cycles else 0
        if getattr(self, "_bps", None):
            cs_base = core.get_seg(1)[1]
            if (cs_base + core.eip) & 0xFFFFFFFF in self._bps:
                core.arm_bp_skip()          # resume through the breakpoint we stopped at
        try:
            # the loop (chunks, port handlers on EV_IO) runs in exec's Core.run_io
            ev, done = core.run_io(int(max_instructions), _CHUNK, self._out, self._in)
            return self._result(ev, done)
        finally:
            core.cycle_limit = 0

    def _do_io(self):
        port, size, write, value = self.core.io_info()
        if write:
            h = self._out.get(port)
            if h is not None:
                h(port, size, value)
        else:
            h = self._in.get(port)
            v = h(port, size) if h is not None else 0xFFFFFFFF
            self.core.io_complete(int(v) & 0xFFFFFFFF)

    def _result(self, ev, done):
        name = _exec.EVENT_NAMES.get(ev, str(ev))
        if ev == _exec.EV_EXCEPTION:
            return RunResult(name, done, self._exception())
        if ev == _exec.EV_TRIPLE:
            return RunResult(name, done, self._exception())
        return RunResult(name, done)

    def step(self):
        """Execute one instruction; returns the RunResult."""
        return self.run(1)
