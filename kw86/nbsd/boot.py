"""Boot: NetBSD/i386's descriptor tables, kernel page tables and locore,
laid out in a kw86.Machine's physical memory.

Physical layout (kernel virtual = physical + KERNBASE):

    0x00000000  page 0, unused (never mapped for users either)
    0x00001000  GDT (NGDT descriptors), then the LDT, then the IDT
    0x00004000  the boot page directory (kernel part shared by every process)
    0x00005000  kernel page tables: all of physical memory at KERNBASE (251
                fit below locore, 1004 MiB; a larger machine's, up to
                MAX_MEMORY = 1 GiB, the whole kernel half, lie after locore)
    0x00100000  locore (kw86/nbsd/locore.S, linked at 0xc0100000)
    after it    kernel stacks, page tables and user pages (FrameAllocator)
    top         the buffer cache (BUFCACHE_BYTES)

Physical memory is the host's lazily: Machine's buffer is calloc'd (fresh
zero pages from the host's mmap), so a page the guest never touches costs
the host nothing, and a 1 GiB guest boots as fast as a 64 MiB one.

Descriptors: GDT as NetBSD 10 (abi §6) with the TSS at index 7 (0x38);
LDT with LUCODE 0x17 / LUDATA 0x1f / LUCODEBIG 0x2f; accessed bits are
preset.  IDT: 0-31 interrupt gates (DPL 3 for #BP and #OF), 0x20-0x2f the
IRQ stubs, 0x80 a DPL-3 trap gate (1.5's choice), the rest stray stubs.
The TSS's I/O bitmap base lies beyond its limit, so only CPL 0 can make
the `out` hypercall.

The double fault (issue 8 section 5): IDT[8] is a task gate to a second
TSS (locore's kw86_dftss, GDT slot 18 = NetBSD/i386's GTRAPTSS_SEL) whose
task runs locore's Xdblfault on its own stack (kw86_dfstack) with the boot
page directory (the kernel part every address space shares); the main TSS
is marked busy as `ltr` leaves it, its LDT field is KLDT and its CR3 field
is set to the interrupted process's page directory by trap.dblfault before
the iret back.  Both TSSs and the GDT lie on kernel-writable pages (the
switch writes the TSS's dynamic fields and the busy bits).
"""
import struct

from kw86.nbsd import abi
from kw86.nbsd.build_locore import load as load_locore
from kw86.nbsd.errors import BadFrame
from kw86.nbsd.frame import FIELDS as TF_FIELDS, TF_SHORT_SIZE, TF_SIZE, TrapFrame
from kw86.nbsd.kconst import (HC_GATE, HC_IDLE, HC_INTR, HC_STRAY, HC_SYSCALL,  # noqa: F401
                              HC_TRAP, HCALL_PORT, T_KW86_GATE, DFTSS_SEL)
from kw86.nbsd.kconst import MSR_SYSENTER_CS, MSR_SYSENTER_EIP, MSR_SYSENTER_ESP

GDT_PHYS = 0x1000
LDT_PHYS = GDT_PHYS + abi.NGDT * 8
IDT_PHYS = 0x2000
PDIR_PHYS = 0x4000
KPT_PHYS = 0x5000
GTSS_SEL = 7                       # kw86's TSS slot (unused by NetBSD 10's list)
TSS_SEL = GTSS_SEL << 3            # 0x38
assert DFTSS_SEL == abi.GTRAPTSS_SEL << 3     # the #DF task's TSS (NetBSD's GTRAPTSS_SEL)
# 32-bit TSS fields (SDM Vol. 3A Figure 7-2)
TSS_LINK, TSS_CR3, TSS_EIP, TSS_EFLAGS, TSS_EAX, TSS_ESP = 0x00, 0x1C, 0x20, 0x24, 0x28, 0x38
TSS_ES, TSS_CS, TSS_SS, TSS_DS, TSS_FS, TSS_GS, TSS_LDT = 0x48, 0x4C, 0x50, 0x54, 0x58, 0x5C, 0x60
TSS_REGS = ("eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi")      # at TSS_EAX
TSS_SREGS = ("es", "cs", "ss", "ds", "fs", "gs")                          # at TSS_ES
PG_V, PG_RW, PG_U = 0x1, 0x2, 0x4
CR0_PE, CR0_WP, CR0_PG, CR0_EM, CR0_NE = 0x1, 0x10000, 0x80000000, 0x4, 0x20
CR0_MP, CR0_TS = 0x2, 0x8
KSTACK_PAGES = 2
# all of physical memory is mapped at KERNBASE (0xc0000000): at most the
# kernel's 1 GiB of virtual addresses
MAX_MEMORY = (1 << 32) - abi.KERNBASE



def seg_desc(base, limit, access, big=True, gran=True):
    """An 8-byte segment descriptor (limit in bytes-1, or pages-1 with gran)."""
    lo = (limit & 0xffff) | ((base & 0xffff) << 16)
    flags = (0x8 if gran else 0) | (0x4 if big else 0)
    hi = ((base >> 16) & 0xff) | (access << 8) | (limit & 0xf0000) | (flags << 20) | \
        (base & 0xff000000)
    return struct.pack("<II", lo, hi)


def gate_desc(offset, sel, dpl, trap=False):
    lo = (offset & 0xffff) | (sel << 16)
    hi = (offset & 0xffff0000) | 0x8000 | (dpl << 13) | ((0xf if trap else 0xe) << 8)
    return struct.pack("<II", lo, hi)


class FrameAllocator:
    """Physical page frames in [start, end)."""

    def __init__(self, start, end):
        self.next = start
        self.end = end
        self.freed = []

    def alloc(self):
        if self.freed:
            return self.freed.pop()
        if self.next >= self.end:
            raise MemoryError("out of physical pages")
        p = self.next
        self.next += abi.PAGE_SIZE
        return p

    def free(self, p):
        self.freed.append(p)

    def nfree(self):
        return len(self.freed) + (self.end - self.next) // abi.PAGE_SIZE

    def alloc_contig(self, n):
        """n physically contiguous frames (from the never-used part)."""
        if self.next + n * abi.PAGE_SIZE > self.end:
            raise MemoryError("out of physical pages")
        p = self.next
        self.next += n * abi.PAGE_SIZE
        return p


class Boot:
    """The booted machine: tables written, paging on, ready for processes."""

    def __init__(self, m, bufcache_bytes=4 << 20):
        self.m = m
        self.lc = load_locore()
        self.mem_size = m.mem_size
        self.bufcache_base = self.mem_size - bufcache_bytes
        self.bufcache_bytes = bufcache_bytes
        if self.mem_size > MAX_MEMORY:
            raise ValueError(f"--memory: at most {MAX_MEMORY >> 20}M (the kernel maps all of "
                             f"physical memory in its {MAX_MEMORY >> 20} MiB at KERNBASE)")
        lc_end = (self.lc.phys + len(self.lc.image) + 0xfff) & ~0xfff
        # the kernel page tables: below locore when they fit, else after it
        npt = (self.mem_size + (4 << 20) - 1) >> 22
        kpt = KPT_PHYS if KPT_PHYS + npt * abi.PAGE_SIZE <= self.lc.phys else lc_end
        self.kpt_phys = [kpt + i * abi.PAGE_SIZE for i in range(npt)]
        if kpt == lc_end:
            lc_end += npt * abi.PAGE_SIZE
        self.frames = FrameAllocator(lc_end, self.bufcache_base)
        self.kstack_pool = []
        self._write_locore()
        self._write_gdt_ldt()
        self._write_idt()
        self._write_tss()
        self._kernel_page_tables()
        self._load_cpu()

    # -- memory helpers ------------------------------------------------------
    def kva(self, pa):
        return abi.KERNBASE + pa

    def zero_page(self, pa):
        self.m.fill(pa, abi.PAGE_SIZE, 0)

    def alloc_page(self):
        p = self.frames.alloc()
        self.zero_page(p)
        return p

    # -- tables --------------------------------------------------------------
    def _write_locore(self):
        self.m.write(self.lc.phys, self.lc.image)

    def _write_gdt_ldt(self):
        gdt = bytearray(abi.NGDT * 8)
        ulimit = (abi.VM_MAXUSER_ADDRESS >> 12) - 1

        def put(i, d):
            gdt[i * 8:i * 8 + 8] = d
        put(abi.GCODE_SEL, seg_desc(0, 0xfffff, 0x9b))
        put(abi.GDATA_SEL, seg_desc(0, 0xfffff, 0x93))
        put(abi.GUCODE_SEL, seg_desc(0, ulimit, 0xfb))
        put(abi.GUDATA_SEL, seg_desc(0, ulimit, 0xf3))
        put(abi.GLDT_SEL, seg_desc(self.kva(LDT_PHYS), abi.NLDT * 8 - 1, 0x82, big=False,
                                   gran=False))
        put(abi.GCPU_SEL, seg_desc(0, 0xfffff, 0x93))
        # the main TSS busy (0x8b) as `ltr` leaves it: the #DF task's iret
        # back to it checks the bit; the #DF TSS available (0x89)
        put(GTSS_SEL, seg_desc(self.lc["kw86_tss"], 103, 0x8b, big=False, gran=False))
        put(abi.GTRAPTSS_SEL, seg_desc(self.lc["kw86_dftss"], 103, 0x89, big=False,
                                       gran=False))
        put(abi.GUCODEBIG_SEL, seg_desc(0, ulimit, 0xfb))
        # the TLS segments span 4 GiB (x86 cpu_lwp_setprivate / x86_set_sdbase):
        # i386 TLS lives at negative offsets from the TCB at %gs:0
        put(abi.GUFS_SEL, seg_desc(0, 0xfffff, 0xf3))
        put(abi.GUGS_SEL, seg_desc(0, 0xfffff, 0xf3))
        self.m.write(GDT_PHYS, bytes(gdt))
        ldt = bytearray(abi.NLDT * 8)
        # LSYS5CALLS (0x07): the 386 call gate of 1.x's `lcall $7,$0`
        # (DPL 3, one parameter word copied, to Xosyscall in kernel code)
        if "Xosyscall" in self.lc.symbols:
            off = self.lc["Xosyscall"]
            ldt[abi.LSYS5CALLS_SEL * 8:abi.LSYS5CALLS_SEL * 8 + 8] = struct.pack(
                "<HHHH", off & 0xffff, abi.KCODE, 0x8000 | (3 << 13) | (0xC << 8) | 1,
                off >> 16)
        ldt[abi.LUCODE_SEL * 8:abi.LUCODE_SEL * 8 + 8] = seg_desc(0, ulimit, 0xfb)
        ldt[abi.LUDATA_SEL * 8:abi.LUDATA_SEL * 8 + 8] = seg_desc(0, ulimit, 0xf3)
        ldt[abi.LUCODEBIG_SEL * 8:abi.LUCODEBIG_SEL * 8 + 8] = seg_desc(0, ulimit, 0xfb)
        self.m.write(LDT_PHYS, bytes(ldt))

    def idt_target(self, vec):
        lc = self.lc
        if vec < 32:
            return lc[f"Xtrap{vec:02x}"]
        if vec == abi.SYSCALL_VECTOR:
            return lc["Xsyscall"]
        if 0x20 <= vec < 0x30:
            return lc[f"Xintr{vec:02x}"]
        return lc["Xstray_base"] + 16 * (vec - 0x30)

    def _write_idt(self):
        idt = bytearray()
        for vec in range(256):
            dpl = 3 if vec in (3, 4, abi.SYSCALL_VECTOR) else 0
            if vec == 8:                # #DF: a task gate to the #DF TSS
                idt += struct.pack("<II", DFTSS_SEL << 16, 0x8500)
                continue
            idt += gate_desc(self.idt_target(vec), abi.KCODE, dpl,
                             trap=vec == abi.SYSCALL_VECTOR)
        self.m.write(IDT_PHYS, bytes(idt))

    def _write_tss(self):
        tss = bytearray(104)
        struct.pack_into("<I", tss, 8, abi.KDATA)          # ss0
        struct.pack_into("<H", tss, 102, 104)              # I/O map base beyond the limit
        struct.pack_into("<I", tss, TSS_CR3, PDIR_PHYS)    # (trap.dblfault: the process's)
        struct.pack_into("<I", tss, TSS_LDT, abi.KLDT)     # what processes run on
        self.tss_phys = self.lc["kw86_tss"] - abi.KERNBASE
        self.m.write(self.tss_phys, bytes(tss))
        # the #DF task: locore's Xdblfault on its own stack, kernel segments,
        # interrupts off, the boot page directory (kernel mappings only)
        df = bytearray(104)
        struct.pack_into("<I", df, TSS_CR3, PDIR_PHYS)
        struct.pack_into("<II", df, TSS_EIP, self.lc["Xdblfault"], abi.PSL_MBO)
        struct.pack_into("<I", df, TSS_ESP, self.lc["kw86_dfstack_top"])
        struct.pack_into("<6I", df, TSS_ES, abi.KDATA, abi.KCODE, abi.KDATA, abi.KDATA, 0, 0)
        struct.pack_into("<H", df, 102, 104)
        self.dftss_phys = self.lc["kw86_dftss"] - abi.KERNBASE
        self.m.write(self.dftss_phys, bytes(df))

    def tss_state(self):
        """The interrupted task's registers the #DF task switch saved in the
        main TSS: {eip, eflags, eax..edi, es..gs}."""
        w = struct.unpack("<26I", self.m.read(self.tss_phys, 104))
        st = dict(zip(TSS_REGS, w[TSS_EAX // 4:TSS_EAX // 4 + 8]))
        st.update(zip(TSS_SREGS, (v & 0xffff for v in w[TSS_ES // 4:TSS_ES // 4 + 6])))
        st["eip"], st["eflags"] = w[TSS_EIP // 4], w[TSS_EFLAGS // 4]
        return st

    def set_tss_state(self, **regs):
        """Change what the #DF task's iret loads into the interrupted task."""
        for n, v in regs.items():
            if n in TSS_REGS:
                off = TSS_EAX + 4 * TSS_REGS.index(n)
            elif n in TSS_SREGS:
                off = TSS_ES + 4 * TSS_SREGS.index(n)
            else:
                off = dict(eip=TSS_EIP, eflags=TSS_EFLAGS, cr3=TSS_CR3)[n]
            self.m.write_u32(self.tss_phys + off, v & 0xffffffff)

    def _text(self):
        return self.lc.image[:self.lc.text_end - self.lc.base]

    def text_intact(self):
        """locore's text is what was loaded (a kernelware with CR0.WP clear
        may have written over it)."""
        t = self._text()
        return self.m.read(self.lc.phys, len(t)) == t

    def restore_text(self):
        """Rewrite locore's text only (its data holds the TSSs: the #DF task
        runs on them)."""
        self.m.write(self.lc.phys, self._text())

    def set_esp0(self, esp0):
        self.m.write_u32(self.tss_phys + 4, esp0)

    def _kernel_page_tables(self):
        text_lo = self.lc.phys & ~0xfff
        text_hi = (self.lc.text_end - abi.KERNBASE + 0xfff) & ~0xfff
        # The table of the i-th 4 MiB maps pa = i * 4 MiB + k * 4 KiB at
        # entry k: the first table's bytes plus i * 4 MiB in every 32-bit
        # entry, one big-integer addition (no carry crosses an entry: pa <
        # 2^32) instead of 1024 Python ints per table (start-up time).
        first = int.from_bytes(struct.pack(
            "<1024I", *range(PG_V | PG_RW, (4 << 20) | PG_V | PG_RW, abi.PAGE_SIZE)), "little")
        step = int.from_bytes(struct.pack("<I", 4 << 20) * 1024, "little")
        for i, pt in enumerate(self.kpt_phys):
            lo = i << 22
            hi = min(lo + (4 << 20), self.mem_size)
            # every page present and writable but page 0 and locore's text
            ents = bytearray((first + i * step).to_bytes(4096, "little"))
            ents[(hi - lo) >> 10:] = bytes(4096 - ((hi - lo) >> 10))    # beyond memory
            if lo == 0:
                ents[0:4] = bytes(4)
            for pa in range(max(lo, text_lo), min(hi, text_hi), abi.PAGE_SIZE):
                k = (pa - lo) >> 10
                ents[k:k + 4] = struct.pack("<I", pa | PG_V)      # kernel text read-only
            self.m.write(pt, bytes(ents))
        pd = bytearray(4096)
        for i, pt in enumerate(self.kpt_phys):
            struct.pack_into("<I", pd, 4 * (768 + i), pt | PG_V | PG_RW)
        self.kernel_pdes = bytes(pd[768 * 4:])
        self.m.write(PDIR_PHYS, bytes(pd))

    def _load_cpu(self):
        m = self.m
        m.set_gdt(self.kva(GDT_PHYS), abi.NGDT * 8 - 1)
        m.set_idt(self.kva(IDT_PHYS), 256 * 8 - 1)
        # Descriptor-table bases are linear: turn paging on with the kernel
        # mapped, then load the selectors from the tables.
        m.set_cr(3, PDIR_PHYS)
        # the FPU is there (EM clear, MP and NE: #NM for wait with TS, #MF for
        # x87 errors) and owned by nobody: TS set, the first FPU instruction
        # traps to the lazy switch (fpu.py; also after repair())
        m.set_cr(0, CR0_PE | CR0_PG | CR0_WP | CR0_MP | CR0_NE | CR0_TS)
        m.flush_tlb()
        for s in ("cs", "ss", "ds", "es", "gs"):
            m.load_segment(s, abi.KCODE if s == "cs" else abi.KDATA)
        m.load_segment("fs", abi.KCPU)
        m.load_ldtr(abi.KLDT)
        m.load_tr(TSS_SEL)
        self._load_sysenter_msrs()

    def _load_sysenter_msrs(self):
        """The sysenter path (locore's Xsysenter; SDM Vol. 2B SYSENTER): CS =
        KCODE (SS = KDATA; sysexit's user selectors are GUCODE/GUDATA), EIP =
        Xsysenter, ESP = the TSS's esp0 field, from which Xsysenter's first
        instruction loads the current process's kernel stack.  Fixed at boot
        (and by repair()); only CPL 0 can wrmsr."""
        m = self.m
        m.set_msr(MSR_SYSENTER_CS, abi.KCODE)
        m.set_msr(MSR_SYSENTER_ESP, self.lc["kw86_tss"] + 4)     # TSS_ESP0
        m.set_msr(MSR_SYSENTER_EIP, self.lc["Xsysenter"])

    def repair(self):
        """Rewrite what a kernelware at CPL 0 can overwrite in the kernel's
        shared state (locore, GDT/LDT, IDT, TSS, the kernel page tables) from
        the pristine copies and reload the CPU's tables, control and debug
        registers; TSS.esp0 is kept.  The caller reloads CR3 and the TLS
        descriptors."""
        esp0 = self.m.read_u32(self.tss_phys + 4)
        self._write_locore()
        self._write_gdt_ldt()
        self._write_idt()
        self._write_tss()
        self.set_esp0(esp0)
        self._kernel_page_tables()
        self.m.set_cr(4, 0)
        self.m.set_reg("dr7", 0)
        self._load_cpu()
        # (a kernelware that died inside the #DF task left NT set: the next
        # iret must not be a task return)
        self.m.set_reg("eflags", self.m.get_reg("eflags") & ~abi.PSL_NT)

    # -- address spaces ----------------------------------------------------------
    def new_pdir(self):
        pd = self.alloc_page()
        self.m.write(pd + 768 * 4, self.kernel_pdes)
        return pd

    def map_page(self, pdir, va, pa, writable=True, user=True):
        if va >= abi.VM_MAXUSER_ADDRESS and user:
            raise ValueError(f"user mapping at {va:#x} is beyond VM_MAXUSER_ADDRESS")
        pdi, pti = va >> 22, (va >> 12) & 0x3ff
        pde = self.m.read_u32(pdir + 4 * pdi)
        if not pde & PG_V:
            pt = self.alloc_page()
            pde = pt | PG_V | PG_RW | PG_U
            self.m.write_u32(pdir + 4 * pdi, pde)
        pt = pde & ~0xfff
        self.m.write_u32(pt + 4 * pti, pa | PG_V | (PG_RW if writable else 0) |
                         (PG_U if user else 0))

    def map_user(self, pdir, va, data=b"", size=None, writable=True):
        """Back [va, va+size) with fresh pages and copy data to va."""
        size = max(size or 0, len(data))
        lo, hi = va & ~0xfff, (va + size + 0xfff) & ~0xfff
        for page in range(lo, hi, abi.PAGE_SIZE):
            pa = self.alloc_page()
            self.map_page(pdir, page, pa, writable)
            off = max(va, page)
            end = min(va + len(data), page + abi.PAGE_SIZE)
            if end > off:
                self.m.write(pa + (off - page), data[off - va:end - va])

    def new_kstack(self):
        """A kernel stack (KSTACK_PAGES contiguous pages, kernel VA); its top."""
        if self.kstack_pool:
            return self.kstack_pool.pop()
        base = self.frames.alloc_contig(KSTACK_PAGES)
        return self.kva(base + KSTACK_PAGES * abi.PAGE_SIZE)

    def free_kstack(self, top):
        self.kstack_pool.append(top)

    # -- trap frames ---------------------------------------------------------------
    def read_frame(self, esp):
        """The TrapFrame at kernel or user address esp (frame.py).  A trap
        from CPL 0 (a kernelware, or kernel code) has no esp/ss words: the
        CPU did not switch stacks, so the interrupted esp is the address
        where tf_esp would be (NetBSD's `&tf->tf_esp`); tf.short says so."""
        data = self.m.read_virt(esp, TF_SHORT_SIZE)
        if data is None:
            raise BadFrame(esp)
        tf = TrapFrame.parse(data)
        if tf.short:
            tf.esp, tf.ss = esp + TF_SHORT_SIZE, self.m.get_reg("ss")
        else:                           # from CPL 3, or the gate: esp/ss pushed
            more = self.m.read_virt(esp + TF_SHORT_SIZE, 8)
            if more is None:
                raise BadFrame(esp)
            tf.esp, tf.ss = struct.unpack("<II", more)
        return tf

    def write_frame(self, esp, tf):
        if not self.m.write_virt(esp, tf.pack()):
            raise BadFrame(esp)

    def enter_user_frame(self, kstack_top, regs):
        """Build the frame trapret pops to start a process; returns its esp."""
        tf = TrapFrame(gs=regs.get("gs", abi.UGS), fs=regs.get("fs", abi.UFS),
                       es=regs.get("es", abi.UDATA), ds=regs.get("ds", abi.UDATA),
                       ebx=regs.get("ebx", 0), trapno=abi.T_ASTFLT, eip=regs["eip"],
                       cs=regs.get("cs", abi.UCODE), eflags=regs.get("eflags", abi.PSL_USERSET),
                       esp=regs["esp"], ss=regs.get("ss", abi.UDATA))
        esp = kstack_top - TF_SIZE
        self.write_frame(esp, tf)
        return esp

    def start(self, pdir, kstack_top, frame_esp):
        """Switch the CPU to a process parked at frame_esp and leave by trapret."""
        m = self.m
        m.set_cr(3, pdir)
        m.flush_tlb()
        self.set_esp0(kstack_top)
        m.set_reg("esp", frame_esp)
        m.set_reg("eip", self.lc["trapret"])
        m.set_reg("eflags", abi.PSL_MBO)
