"""kw86.testing: a flat protected-mode CPU for tests (binding API, issue 3).

    cpu = FlatCPU(bits=32, cpl=3)
    cpu.write_mem(0x1000, b"\\x01\\xd8")      # add eax, ebx
    cpu.set_reg("eip", 0x1000)
    exc = cpu.step()                          # None or kw86.CPUException

Flat segments (base 0, limit 4 GiB, DPL = cpl), paging off (turn it on by
writing page tables and setting cr3 / cr0), 16 MiB of memory, no IDT:
every exception and software interrupt is returned by step() as a
CPUException (.vector, .error_code, .cr2) instead of being delivered.

The selectors are backed by a real GDT in the last page of memory
(FLAT_GDT_PAGE below), so code may reload them (`push ds; pop es`, a far
return to its own code segment, `mov ss`): 0x08/0x10 ring-0 code/data,
0x1b/0x23 ring 3, 0x39/0x41 ring 1, 0x4a/0x52 ring 2; the code descriptors'
D bit and the data descriptors' B bit follow `bits`.  With paging on, that
page must be mapped for segment loads to find the GDT.
"""

import struct

from kw86.machine import Machine, CPUException, _SEG_INDEX

__all__ = ["FlatCPU", "CPUException", "make_system"]

MEM_SIZE = 16 << 20


class FlatCPU:
    def __init__(self, bits=32, cpl=3, mem_size=MEM_SIZE, x87=False):
        if bits not in (16, 32):
            raise ValueError(f"bits must be 16 or 32, not {bits!r}")
        if cpl not in (0, 1, 2, 3):
            raise ValueError(f"cpl must be 0..3, not {cpl!r}")
        self.bits = bits
        self.machine = m = Machine(mem_size=mem_size)
        big = bits == 32
        code_sel = {0: 0x08, 1: 0x39, 2: 0x4A, 3: 0x1B}[cpl]
        data_sel = {0: 0x10, 1: 0x41, 2: 0x52, 3: 0x23}[cpl]
        for name in ("es", "ss", "ds", "fs", "gs"):
            m.set_segment(name, data_sel, 0, 0xFFFFFFFF, big=big, dpl=cpl, type=0x3)
        m.set_segment("cs", code_sel, 0, 0xFFFFFFFF, big=big, dpl=cpl, type=0xB)
        m.core.cpl = cpl
        # CR0: PE, ET, EM (x87 -> #NM, MMX -> #UD), WP; x87=True: PE, MP, ET,
        # NE, WP (the FPU and MMX execute; unmasked x87 exceptions are #MF)
        m.set_cr(0, 0x00010033 if x87 else 0x00010015)
        self.gdt_base = mem_size - 0x1000
        gdt = bytearray(11 * 8)
        db = 1 if big else 0
        for ring, (csel, dsel) in enumerate(((0x08, 0x10), (0x39, 0x41), (0x4A, 0x52),
                                             (0x1B, 0x23))):
            # type 0xB / 0x3: the accessed bit is preset (the CPU would write it)
            gdt[csel & ~7:(csel & ~7) + 8] = desc(0, 0xFFFFFFFF, 0xB, ring, db=db)
            gdt[dsel & ~7:(dsel & ~7) + 8] = desc(0, 0xFFFFFFFF, 0x3, ring, db=db)
        m.write(self.gdt_base, bytes(gdt))
        m.set_gdt(self.gdt_base, len(gdt) - 1)
        m.set_idt(0, 0)
        m.set_reg("eflags", 0x202)
        m.intercept = range(32)
        m.intercept_soft = True

    # --- registers ---
    def set_reg(self, name, value):
        if not isinstance(value, int) or not -(1 << 31) <= value < (1 << 32):
            raise ValueError(f"register value {value!r} for {name!r} does not fit in 32 bits")
        self.machine.set_reg(name, value & 0xFFFFFFFF)

    def get_reg(self, name):
        return self.machine.get_reg(name)

    def set_segment(self, name, selector, base, limit, *, big=True, dpl=3, type=None):
        """Load a segment's hidden part directly: `type` is the descriptor's
        4-bit type (read-only, expand-down, execute-only, conforming ...)."""
        if name.lower() not in _SEG_INDEX or name.lower() in ("ldtr", "tr"):
            if name.lower() not in ("ldtr", "tr"):
                raise ValueError(f"unknown segment register {name!r}")
        self.machine.set_segment(name, selector, base, limit, big=big, dpl=dpl, type=type)

    # --- x87 / MMX ---
    def get_fpu(self):
        """The x87 state as a 108-byte FNSAVE image (see Machine.fpu_image)."""
        return self.machine.fpu_image()

    def set_fpu(self, image):
        self.machine.set_fpu_image(image)

    def fpu_state(self):
        return self.machine.fpu_state()

    # --- memory (physical) ---
    def write_mem(self, addr, data):
        self.machine.write(addr, data)

    def read_mem(self, addr, n):
        return self.machine.read(addr, n)

    # --- execution ---
    def step(self):
        """Execute one instruction (one iteration of a rep string op may
        count as one).  None, or the CPUException it raised."""
        r = self.machine.run(1)
        if r.exception is not None:
            return r.exception
        if r.event == "triple_fault":
            return CPUException(8, 0)
        return None

    def run(self, n):
        """Run up to n instructions; stops at the first exception (returned)."""
        r = self.machine.run(n)
        return r.exception

    @property
    def cycles(self):
        return self.machine.cycles

    @property
    def instructions(self):
        return self.machine.instructions


# ---------------------------------------------------------------------------
# A small protected-mode system for tests and benchmarks: GDT, IDT, TSS in
# guest memory (physical = linear), ring 0 and ring 3 flat segments.

GDT, IDT, TSS = 0x1000, 0x2000, 0x3000
KCODE, KDATA, UCODE, UDATA, TSS_SEL, GATE_SEL = 0x08, 0x10, 0x1B, 0x23, 0x28, 0x33
KTEXT, UTEXT = 0x10000, 0x20000
USTACK, KSTACK = 0x30000, 0x40000
PD, PT0 = 0x100000, 0x101000


def desc(base, limit, typ, dpl, s=1, p=1, db=1):
    g = 1 if limit > 0xFFFFF else 0
    if g:
        limit >>= 12
    lo = (limit & 0xFFFF) | ((base & 0xFFFF) << 16)
    hi = (((base >> 16) & 0xFF) | (typ << 8) | (s << 12) | (dpl << 13) | (p << 15)
          | (limit & 0xF0000) | (db << 22) | (g << 23) | (base & 0xFF000000))
    return struct.pack("<II", lo, hi)


def gate(sel, off, typ, dpl, p=1, params=0):
    lo = (off & 0xFFFF) | (sel << 16)
    hi = (off & 0xFFFF0000) | (p << 15) | (dpl << 13) | (typ << 8) | params
    return struct.pack("<II", lo, hi)


def make_system(cpl=3, paging=False, iopl=0, idt_limit=0x7FF, mem_size=4 << 20):
    """A protected-mode Machine: flat kernel/user segments, a 32-bit TSS with
    ESP0 = KSTACK and an I/O bitmap denying every port but 0x80, int 0x80 as a
    DPL-3 trap gate to KTEXT, int 0x81 as a DPL-0 gate."""
    m = Machine(mem_size=mem_size)
    gdt = (b"\0" * 8 + desc(0, 0xFFFFFFFF, 0xB, 0) + desc(0, 0xFFFFFFFF, 0x3, 0)
           + desc(0, 0xFFFFFFFF, 0xB, 3) + desc(0, 0xFFFFFFFF, 0x3, 3)
           + desc(TSS, 0x68 + 8192, 0x9, 0, s=0, db=0)
           + gate(KCODE, KTEXT + 0x100, 0xC, 3, params=1))
    m.write(GDT, gdt)
    m.set_gdt(GDT, len(gdt) - 1)
    idt = bytearray(256 * 8)
    idt[0x80 * 8:0x81 * 8] = gate(KCODE, KTEXT, 0xF, 3)          # trap gate, DPL 3
    idt[0x81 * 8:0x82 * 8] = gate(KCODE, KTEXT, 0xE, 0)          # interrupt gate, DPL 0
    idt[0x20 * 8:0x21 * 8] = gate(KCODE, KTEXT + 0x300, 0xE, 0)  # timer
    m.write(IDT, bytes(idt))
    m.set_idt(IDT, idt_limit)
    tss = bytearray(0x68 + 8192 + 1)
    struct.pack_into("<I", tss, 4, KSTACK)      # ESP0
    struct.pack_into("<I", tss, 8, KDATA)       # SS0
    struct.pack_into("<H", tss, 0x66, 0x68)     # I/O bitmap base
    for k in range(8192):
        tss[0x68 + k] = 0xFF
    tss[0x68 + 0x80 // 8] &= ~(1 << (0x80 % 8))  # port 0x80 allowed
    tss[-1] = 0xFF
    m.write(TSS, bytes(tss))
    m.load_tr(TSS_SEL)
    if cpl == 3:
        m.load_segment("cs", UCODE)
        for s in ("ds", "es", "fs", "gs", "ss"):
            m.load_segment(s, UDATA)
        m.set_reg("esp", USTACK)
        m.set_reg("eip", UTEXT)
    else:
        m.load_segment("cs", KCODE)
        for s in ("ds", "es", "fs", "gs", "ss"):
            m.load_segment(s, KDATA)
        m.set_reg("esp", KSTACK)
        m.set_reg("eip", KTEXT + 0x400)
    m.set_reg("eflags", 0x202 | (iopl << 12))
    cr0 = 0x00000015            # PE, ET, EM
    if paging:
        pd = bytearray(4096)
        struct.pack_into("<I", pd, 0, PT0 | 7)
        m.write(PD, bytes(pd))
        pt = bytearray(4096)
        for k in range(1024):
            struct.pack_into("<I", pt, 4 * k, (k << 12) | 7)
        struct.pack_into("<I", pt, 4 * 0x50, 0x50000 | 3)    # supervisor page
        struct.pack_into("<I", pt, 4 * 0x51, 0x51000 | 5)    # user, read-only
        m.write(PT0, bytes(pt))
        m.set_cr(3, PD)
        cr0 |= 0x80000000
    m.set_cr(0, cr0)
    m.intercept = {3}
    return m


