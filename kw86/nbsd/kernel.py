"""kw86.nbsd.Kernel: boot the machine, load a program, run it.

Processes (fork with copy-on-write, execve, exit, wait4, zombies and
orphans), a round-robin scheduler on the timer (kernelware preempted by the
paper's test), sleep/wakeup with EINTR/SA_RESTART, signals (handlers,
default actions, faults -> SIGSEGV/SIGBUS/SIGILL/SIGFPE/SIGTRAP), an address
space per process with demand-paged stack, break and mmap regions, and the
system calls of kw86/nbsd/syscalls through the int $0x80 trap and the
kernelware call gate (the hot path and its register protocol: README.md).
Exit statuses are the shell's (128 + signal).  See README.md "Processes".

    k = Kernel(root="/path/to/sysroot")
    status = k.run_program("/bin/echo", ["echo", "hi"], env)
"""
import os
import select
import struct
import time
from collections import deque

from kw86.nbsd import abi, trap
from kw86.nbsd.boot import (Boot, HCALL_PORT, HC_GATE, HC_IDLE, HC_INTR, HC_STRAY, HC_SYSCALL,
                            HC_TRAP, PG_RW, PG_U, PG_V, T_KW86_GATE)
from kw86.nbsd.elf import (ExecError, build_stack, check_exec_permission, default_auxv,
                           initial_registers, load_elf)
from kw86.nbsd.errors import (BadFrame, Errno, Exit, Fault, WouldBlock, add_wakeup_listener,
                              remove_wakeup_listener, wakeup)
from kw86.nbsd.file import DevFile
from kw86.nbsd.proc import (ITIMER_PROF, ITIMER_REAL, ITIMER_VIRTUAL, SIG_CORE, SIG_KILL,
                            SIG_STOP, Proc)
from kw86.nbsd.signals import sendsig
from kw86.nbsd.syscalls import TABLE, SysResult, exc_result
from kw86.nbsd.syscalls.poll import PollWait
from kw86.nbsd.system import System
from kw86.nbsd.tty import HostConsole
from kw86.nbsd.usermem import MachineUserMem
from kw86.nbsd.vfs import Cred

PAGE = abi.PAGE_SIZE
KW86_FAST = 0x4b57fa57                      # locore.S: the result is in eax/edx
_VEC = TABLE.vec
_MASK = abi.NSYSENT - 1
RRTICKS = 10                                 # NetBSD: round robin every hz/10 ticks
HOST_GRACE = 1.0                             # s a guest has to end after a host SIGTERM/SIGHUP
MAXPROC = 160
# Guest time = epoch + cycles / clock.  The epoch is the host's time at boot
# (so file times look right), or KW86_EPOCH (seconds) for reproducible runs.
DEFAULT_EPOCH_NS = None
MMAP_TOP = abi.USRSTACK - abi.MAXSSIZ        # mmap placement is top-down below the stack
RESERVE_PAGES = 64                           # frames kept back for page tables, stacks

class Region:
    __slots__ = ("start", "end", "prot", "kind")

    def __init__(self, start, end, prot, kind):
        self.start, self.end, self.prot, self.kind = start, end, prot, kind

    def __repr__(self):
        return f"Region({self.kind} {self.start:#x}-{self.end:#x} prot {self.prot})"


class VM:
    """A process's address space: a page directory and its regions."""

    def __init__(self, kernel):
        self.k = kernel
        self.boot = kernel.boot
        self.m = kernel.m
        self.pdir = self.boot.new_pdir()
        self.pages = {}                 # va -> pa
        self.ptables = []
        self.regions = []
        self.brk_base = self.brk = 0
        self.prefault = False           # kernelware: no demand paging (no stack switch)
        self.cow = set()                # pages shared copy-on-write (mapped read-only)
        self.refs = kernel.frame_refs   # frame -> references beyond the first
        self.heap = None                # the break's region (load_elf)
        self.inherit_zero = set()       # minherit ZERO/NONE pages: zeroed in a fork child

    def present(self, va, n):
        """Every page of [va, va+n) backed (vm.read/vm.write may go there)."""
        end = va + n
        page = va & ~(PAGE - 1)
        while page < end:
            if page not in self.pages:
                return False
            page += PAGE
        return True

    def region_at(self, va):
        for r in self.regions:
            if r.start <= va < r.end:
                return r
        return None

    def _pte_addr(self, va, create):
        pdi, pti = va >> 22, (va >> 12) & 0x3ff
        pde = self.m.read_u32(self.pdir + 4 * pdi)
        if not pde & PG_V:
            if not create:
                return None
            pt = self.boot.alloc_page()
            self.ptables.append(pt)
            self.m.write_u32(self.pdir + 4 * pdi, pt | PG_V | PG_RW | PG_U)
            pde = pt | PG_V
        return (pde & ~0xfff) + 4 * pti

    def map(self, va, prot, data=None):
        """Back one page with a fresh zeroed frame (and data at its start)."""
        if va in self.pages:
            if data and va in self.cow:
                self._break_cow(va)
            self.protect(va, prot)
            if data:
                self.m.write(self.pages[va], data)
            return self.pages[va]
        pa = self.boot.alloc_page()
        if data:
            self.m.write(pa, data)
        self.pages[va] = pa
        self.m.write_u32(self._pte_addr(va, True),
                         pa | PG_V | PG_U | (PG_RW if prot & abi.NBSD_PROT_WRITE else 0))
        return pa

    def protect(self, va, prot):
        a = self._pte_addr(va, False)
        if a is not None and va in self.pages:
            # PROT_NONE: the frame stays ours but the page is not present, so
            # every access (and the kernel's copyin/copyout) faults
            # a copy-on-write page stays read-only: the write fault copies it
            self.m.write_u32(a, self.pages[va] | PG_U |
                             (PG_V if prot & 7 else 0) |
                             (PG_RW if prot & abi.NBSD_PROT_WRITE and va not in self.cow
                              else 0))

    def unmap(self, va):
        pa = self.pages.pop(va, None)
        if pa is not None:
            self.m.write_u32(self._pte_addr(va, False), 0)
            self.cow.discard(va)
            self._unref(pa)

    def _unref(self, pa):
        n = self.refs.get(pa)
        if n is None:
            self.boot.frames.free(pa)
        elif n == 1:
            del self.refs[pa]
        else:
            self.refs[pa] = n - 1

    def _break_cow(self, va):
        """Give this address space its own copy of a shared page (writable
        again if its region is)."""
        pa = self.pages[va]
        self.cow.discard(va)
        if pa in self.refs:
            npa = self.boot.frames.alloc()
            self.m.write(npa, self.m.read(pa, PAGE))
            self._unref(pa)
            self.pages[va] = npa
            self.k.stats_cow += 1
        r = self.region_at(va)
        prot = r.prot if r is not None else abi.NBSD_PROT_READ
        a = self._pte_addr(va, False)
        self.m.write_u32(a, self.pages[va] | PG_U | (PG_V if prot & 7 else 0) |
                         (PG_RW if prot & abi.NBSD_PROT_WRITE else 0))
        self.m.flush_tlb()

    def add_region(self, start, end, prot, kind):
        r = Region(start, end, prot, kind)
        self.regions.append(r)
        if self.prefault:
            for va in range(start, end, PAGE):
                self.map(va, prot)
        return r

    def fault(self, va, write):
        """Demand paging: back a page of a region; False = a real fault."""
        r = self.region_at(va)
        if r is None or (write and not r.prot & abi.NBSD_PROT_WRITE) or \
                not r.prot & (abi.NBSD_PROT_READ | abi.NBSD_PROT_WRITE | abi.NBSD_PROT_EXEC):
            return False
        page = va & ~(PAGE - 1)
        if page in self.pages:
            if write and page in self.cow:
                self._break_cow(page)
                return True
            return False                # present: a protection fault
        self.map(page, r.prot)
        self.m.flush_tlb()
        return True

    def load_elf(self, img):
        for s in img.segments:
            prot = s.prot
            for page in range(s.page_start, s.page_end, PAGE):
                lo, hi = max(page, s.vaddr), min(page + PAGE, s.vaddr + s.filesz)
                pa = self.map(page, prot | (self.region_at(page).prot if self.region_at(page) else 0))
                if hi > lo:
                    self.m.write(pa + (lo - page), s.data[lo - s.vaddr:hi - s.vaddr])
            self.regions.append(Region(s.page_start, s.page_end, prot, "text" if s.flags & 1
                                       else "data"))
        self.brk_base = self.brk = img.brk
        self.heap = self.add_region(img.brk, img.brk, abi.NBSD_PROT_READ | abi.NBSD_PROT_WRITE,
                                    "heap")

    def check_memory(self, nbytes):
        """ENOMEM for one request that free physical memory could not back
        even alone (kw86 has no swap).  Nothing is reserved: like NetBSD's
        UVM, anonymous memory is overcommitted, and a page fault that finds
        no free page kills the process ("UVM: ... killed: out of swap")."""
        if nbytes // PAGE > self.boot.frames.nfree() - RESERVE_PAGES:
            raise Errno(abi.ENOMEM)

    def set_brk(self, new):
        if new < self.brk_base:
            return
        end = (new + PAGE - 1) & ~(PAGE - 1)
        if end > MMAP_TOP - (16 << 20) or any(
                r.kind == "anon" and r.start < end and r.end > self.heap.start
                for r in self.regions):
            raise Errno(abi.ENOMEM)
        if end > self.heap.end:
            self.check_memory(end - self.heap.end)
        old_end = self.heap.end
        self.heap.end = end
        for va in range(end, old_end, PAGE):
            self.unmap(va)
        if self.prefault:
            for va in range(old_end, end, PAGE):
                self.map(va, self.heap.prot)
        self.m.flush_tlb()
        self.brk = new

    def find_space(self, length, hint=0, align=PAGE):
        """Top-down placement below MMAP_TOP (align: MAP_ALIGNED(n))."""
        top = MMAP_TOP
        amask = ~(max(align, PAGE) - 1)
        spans = sorted((r.start, r.end) for r in self.regions if r.end > r.start)
        cand = (top - length) & amask
        for s, e in reversed(spans):
            if e <= cand:
                break
            if s < cand + length:
                cand = (s - length) & amask
        if cand < self.heap.end + (16 << 20):
            raise Errno(abi.ENOMEM)
        return cand

    def copy(self):
        """The child's address space (fork): pages shared copy-on-write,
        read-only in both until one writes.  A kernelware's pages are
        copied now: a write fault at CPL 0 on its own stack could not be
        delivered (no stack switch), which is also why it has no demand paging."""
        c = VM(self.k)
        c.prefault = self.prefault
        refs, read_u32, write_u32 = self.refs, self.m.read_u32, self.m.write_u32
        zero = self.inherit_zero
        if zero:
            c.inherit_zero = set(zero)
        for va, pa in self.pages.items():
            if zero and va in zero:
                # minherit(MAP_INHERIT_ZERO/NONE): the child's page starts zeroed
                if self.prefault:
                    r = self.region_at(va)
                    c.map(va, r.prot if r is not None else abi.NBSD_PROT_READ)
                continue
            a = self._pte_addr(va, False)
            pte = read_u32(a)
            if self.prefault:
                npa = self.boot.frames.alloc()
                self.m.write(npa, self.m.read(pa, PAGE))
                c.pages[va] = npa
                write_u32(c._pte_addr(va, True), npa | (pte & (PG_V | PG_RW | PG_U)))
                continue
            refs[pa] = refs.get(pa, 0) + 1
            c.pages[va] = pa
            self.cow.add(va)
            c.cow.add(va)
            if pte & PG_RW:
                write_u32(a, pte & ~PG_RW)
            write_u32(c._pte_addr(va, True), pa | (pte & (PG_V | PG_U)))
        self.m.flush_tlb()
        c.regions = [Region(r.start, r.end, r.prot, r.kind) for r in self.regions]
        c.heap = next(r for r in c.regions if r.kind == "heap")
        c.brk_base, c.brk = self.brk_base, self.brk
        return c

    def make_resident(self, esp):
        """Before a switch to kernel mode (kernelware.py): no demand paging
        from now on, every page of every region backed and private (no
        copy-on-write), and the stack backed as the kernelware exec backs it
        (256 KiB, and 64 KiB below esp).  MemoryError before any change to
        the mode if the frames are not there."""
        need = 0
        lo = min(abi.USRSTACK - 256 * 1024, ((esp & ~(PAGE - 1)) - 64 * 1024))
        lo = max(lo, abi.USRSTACK - abi.DFLSSIZ)
        spans = [(r.start, r.end, r.prot) for r in self.regions if r.kind != "stack"]
        spans.append((lo, abi.USRSTACK, abi.NBSD_PROT_READ | abi.NBSD_PROT_WRITE))
        for s, e, _ in spans:
            need += sum(1 for va in range(s, e, PAGE) if va not in self.pages)
        need += len(self.cow)
        if need > self.boot.frames.nfree() - RESERVE_PAGES:
            raise MemoryError("no frames to make the process resident")
        for va in list(self.cow):
            self._break_cow(va)
        for s, e, prot in spans:
            for va in range(s, e, PAGE):
                if va not in self.pages:
                    self.map(va, prot)
                    if not prot & 7:
                        self.protect(va, prot)      # PROT_NONE stays not present
        self.prefault = True
        self.m.flush_tlb()

    def read(self, va, n):
        out = b""
        while n:
            k = min(n, PAGE - (va & (PAGE - 1)))
            out += self.m.read(self.pages[va & ~(PAGE - 1)] + (va & (PAGE - 1)), k)
            va, n = va + k, n - k
        return out

    def write(self, va, data):
        while data:
            if va & ~(PAGE - 1) in self.cow:
                self._break_cow(va & ~(PAGE - 1))
            k = min(len(data), PAGE - (va & (PAGE - 1)))
            self.m.write(self.pages[va & ~(PAGE - 1)] + (va & (PAGE - 1)), data[:k])
            va, data = va + k, data[k:]

    def free(self):
        for va in list(self.pages):
            self.unmap(va)
        for pt in self.ptables:
            self.boot.frames.free(pt)
        self.boot.frames.free(self.pdir)
        self.ptables = []
        self.regions = []


class KernelPanic(Exception):
    """The kernel's own state is broken (a kw86 bug): kw86 ends with a panic
    message and a register dump (Kernel.run), never a traceback."""


class Kernel:
    """Boot the NetBSD personality on a fresh Machine."""

    def __init__(self, root, mem_size=64 << 20, bufcache_bytes=4 << 20, mfs_size=32 << 20,
                 binds=(), profile="celeron500", stdin=0, stdout=1, stderr=2, strace=None,
                 epoch_ns=DEFAULT_EPOCH_NS, user=None, hdd=True, hz=100, quantum=RRTICKS):
        from kw86.machine import Machine, load_profile
        self.m = Machine(mem_size=mem_size, profile=profile)
        self._core = self.m.core
        kcosts = load_profile(profile)[2].get("kernel", {})
        self.boot = Boot(self.m, bufcache_bytes=bufcache_bytes)
        self._hc_return = self.boot.lc["kw86_hcall_return"]
        if epoch_ns is None:
            env = os.environ.get("KW86_EPOCH")
            epoch_ns = int(env) * 10**9 if env else (time.time_ns() // 10**9) * 10**9
        self.epoch_ns = epoch_ns
        self.console = HostConsole(stdin, stdout, stderr)
        self.sys = System(root, phys=self.m, bufcache_base=self.boot.bufcache_base,
                          bufcache_bytes=bufcache_bytes, mfs_size=mfs_size, binds=binds,
                          clock=self.clock, console=self.console, charge=self.m.add_cycles,
                          strace=strace, hdd=hdd, kcosts=kcosts)
        kc = self.sys.kcost
        self._copy_start, self._copy_byte = kc["copy_start"], kc["copy_byte"]
        self._syscall_cost = kc["syscall"]
        self.idle_cycles = 0            # clock jumps while every process sleeps
        self.sys.kernel = self
        self.sys.sysinfo["physmem"] = mem_size
        self.sys.procs = {}
        self.cur = None
        self.user = user
        self._stats = dict(page_faults=0)
        self.n_trap = self.n_gate = 0   # system calls by path
        self.n_switch_kernel = self.n_switch_user = 0   # 510/511 (kernelware.py)
        self.kernelware_loaded = True   # the kernelware module: 510/511 allowed
        self.kw_policy = None           # optional (p) -> errno: who may switch
        self.frame_refs = {}            # copy-on-write: frame -> extra references
        self._gdt_tls = 0               # the TLS base in the GDT's GUGS descriptor
        self._gdt_fs = 0                # and GUFS's (sysarch I386_SET_FSBASE)
        # the rows the register fast path may run (none with strace: it
        # sees every call through the general path)
        fast = strace is None and "fast_gate" in self.boot.lc.symbols   # (a stale locore: no)
        self._fastvec = [r if r is not None and r.fast and fast else None for r in _VEC]
        self.stats_cow = 0              # pages copied on a write after fork
        self.runq = deque()
        self.tracer = None              # --trace (trace.Tracer)
        self.next_pid = 2
        self.final_status = None
        self.timer_procs = set()        # processes with an ITIMER_REAL armed
        self._tick_ns = 10**9 // hz
        self.closed_stdio = ()          # host fds 0-2 kw86 was started without (cli_exec)
        self.verbose = False            # report a kernelware's machine fault too
        self.host_pending = []          # host signals not yet posted to the guest
        self._host_deadline = None      # (monotonic time, sig): SIGTERM/SIGHUP end kw86 then
        self._host_abort = None         # a second SIGINT the guest could not take
        self._host_int_to = []          # the processes the last host SIGINT went to
        self.status_reported = False    # the kernel already said why kw86 ends
        self._idle_rfd = None           # the pipe the host signal handler writes to
        add_wakeup_listener(self._wakeup)
        self.m.set_port_handler(HCALL_PORT, write=self._hcall, free=True)
        self.hz = hz                    # the timer (NetBSD: 100) and the round-robin
        self.quantum = quantum          # quantum in ticks (tests shorten both)
        self.m.set_timer(hz=hz)

    @property
    def stats(self):
        """Counters: syscalls_trap, syscalls_gate, page_faults."""
        st = self._stats
        st["syscalls_trap"], st["syscalls_gate"] = self.n_trap, self.n_gate
        st["cow_copies"] = self.stats_cow
        st["switches_to_kernel"] = self.n_switch_kernel
        st["switches_to_user"] = self.n_switch_user
        return st

    # -- time ------------------------------------------------------------------
    def clock(self):
        return self.epoch_ns + self.m.cycles * 10**9 // self.m.clock_hz

    def charge_copy(self, nbytes):
        # copyin/copyout stand for `rep movsl`: the kernel-cost table's
        # copy_start + copy_byte per byte (cycle-model.md §4a)
        self.sys.kcharge(self._copy_start + nbytes * self._copy_byte)

    def cycle_split(self):
        """Where the guest clock came from: (executed guest instructions,
        kernel-cost table, disk model, idle clock jumps)."""
        table = self.sys.kcycles + (self.n_trap + self.n_gate) * self._syscall_cost
        disk = self.sys.bufcache.stats["disk_cycles"]
        return self.m.cycles - table - disk - self.idle_cycles, table, disk, self.idle_cycles

    # -- processes ---------------------------------------------------------------
    def _stdio(self, p):
        devfs = self.sys.devfs
        for fd, name in ((0, b"stdin"), (1, b"stdout"), (2, b"stderr")):
            if fd in self.closed_stdio:
                continue                # closed on the host: closed here (EBADF)
            vp = devfs.nodes[b"tty"]
            f = DevFile(vp, abi.FREAD if fd == 0 else abi.FWRITE, 0)
            f.console_err = fd == 2
            p.fdt.install(fd, f)

    def spawn(self, path, argv, envp, kernelware=False, cwd=b"/", host_image=None):
        """Create pid 1 running `path` (a guest path; or host_image bytes)."""
        p = Proc(self.sys, kernel=self, pid=1, ppid=0, comm=os.path.basename(path.decode("latin-1"))[:16])
        if self.user is not None:
            p.cred = Cred(self.user[0], self.user[1])
        self._stdio(p)
        p.cwd = self.sys.vfs.namei(p, cwd)
        self.sys.procs[p.pid] = p
        self.exec(p, path, argv, envp, kernelware, host_image)
        self.cur = p
        return p

    def _read_image(self, p, path):
        vp = self.sys.vfs.lookup(p, path)
        check_exec_permission(vp.getattr(), p.cred, path.decode("latin-1"))
        vp.open(abi.FREAD)
        try:
            size = vp.getsize()
            return self.sys.bufcache.read(vp, 0, size, size)
        finally:
            vp.close(abi.FREAD)

    def exec(self, p, path, argv, envp, kernelware, host_image=None):
        if host_image is None:
            data = self._read_image(p, path)
            if data[:2] == b"#!":
                # NetBSD's exec_script: "#!interp [arg]" runs interp [arg] path
                # args...; the interpreter itself must not be a script
                line = data[2:data.find(b"\n") if b"\n" in data[:1024] else 1024]
                parts = line.strip(b" \t\r").split(None, 1)
                if not parts or b"\n" not in data[:1024]:
                    raise ExecError(f"{path.decode('latin-1')}: bad interpreter line")
                interp = parts[0]
                argv = [interp] + [a.strip(b" \t\r") for a in parts[1:]] + [path] + list(argv[1:])
                path = interp
                data = self._read_image(p, path)
                if data[:2] == b"#!":
                    raise ExecError(f"{path.decode('latin-1')}: the interpreter is a script")
        else:
            data = host_image
        name = path.decode("latin-1")
        img = load_elf(data, mem_limit=self.m.mem_size // 2, name=name)
        gate = self.boot.lc["kw86_syscall_gate"]
        aux = default_auxv(img, p.cred, abi.USRSTACK, gate=gate)
        # a NetBSD 1.x program gets the kernel's signal trampoline (sigcode)
        # right below ps_strings, as 1.x's exec copied it; a newer one gets it
        # mapped on its first compat sigaction (signals.sigcode_addr)
        old = 0 < getattr(img, "netbsd_version", 0) < 200000000
        from kw86.nbsd.signals import SIGCODE
        st = build_stack(abi.USRSTACK, argv, envp, aux, execname=path,
                         sigcode=SIGCODE if old else b"")
        vm = VM(self)
        vm.prefault = kernelware
        vm.load_elf(img)
        stack_lo = abi.USRSTACK - abi.DFLSSIZ
        pre = 64 * 1024 if not kernelware else 256 * 1024
        vm.add_region(stack_lo, abi.USRSTACK, abi.NBSD_PROT_READ | abi.NBSD_PROT_WRITE, "stack") \
            if not kernelware else vm.regions.append(
                Region(stack_lo, abi.USRSTACK, abi.NBSD_PROT_READ | abi.NBSD_PROT_WRITE, "stack"))
        for va in range(abi.USRSTACK - pre, abi.USRSTACK, PAGE):
            vm.map(va, abi.NBSD_PROT_READ | abi.NBSD_PROT_WRITE)
        if p.vm is not None:
            p.vm.free()
        p.vm = vm
        self.m.set_cr(3, vm.pdir)
        self.m.flush_tlb()
        p.mem.copyout(st.esp, st.data)
        p.fdt.exec_cloexec()
        p.kernelware = kernelware
        p.comm = os.path.basename(name)[:16]
        p.regs0 = initial_registers(img, st, kernelware)
        # a new image has no TLS yet (NetBSD's exec: l_private NULL, the
        # %gs/%fs descriptors based at 0)
        p.tls_base = 0
        p.fs_base = 0
        p.lwp_unparked = False
        p.lwpctl_va = 0
        p.sigcode = st.sigcode
        self._vfork_done(p)
        if self.cur is p or self.cur is None:
            self._load_tls(p)
        return img

    def _enter(self, p):
        """Load p's initial registers into the CPU."""
        m, r = self.m, p.regs0
        m.set_cr(3, p.vm.pdir)
        m.flush_tlb()
        self.boot.set_esp0(p.kstack)
        if p.kernelware:
            m.load_segment("cs", abi.KCODE)
            for s in ("ss", "ds", "es"):
                m.load_segment(s, abi.KDATA)
            m.load_segment("fs", abi.UFS)
            m.load_segment("gs", abi.UGS)
            for k in ("eax", "ebx", "ecx", "edx", "esi", "edi", "ebp", "esp", "eip"):
                m.set_reg(k, r[k])
            m.set_reg("eflags", r["eflags"])
        else:
            esp = self.boot.enter_user_frame(p.kstack, r)
            self.boot.start(p.vm.pdir, p.kstack, esp)

    # -- the hypercall -----------------------------------------------------------
    def _hcall(self, port, size, value):
        p = self.cur
        core = self._core
        try:
            if value == HC_SYSCALL or value == HC_GATE:
                # The hot path: keep it lean (bench/test_bench_kernel.py).
                # locore loaded ecx = call number, esi = user esp; a plain
                # call returns its result in registers
                # (KW86_FAST, locore.S), anything else goes through the frame.
                # The kernel-cost table's per-call cost is charged here and
                # counted from n_trap + n_gate (cycle_split).
                gate = value == HC_GATE
                if gate:
                    self.n_gate += 1
                else:
                    self.n_trap += 1
                row = self._fastvec[core.get_gpr(1) & _MASK]   # (0 from CPL 0: None)
                core.add_cycles(self._syscall_cost)
                if row is not None:
                    # (p.blocked may be stale here: it is set afresh whenever a
                    # call sleeps, and only read while the process sleeps)
                    try:
                        n = row.argbytes
                        if n:
                            rv = row.handler(p, *row.argst.unpack(p.mem.copyin(
                                core.get_gpr(6) + (8 if gate else 4), n)))
                        else:
                            rv = row.handler(p)
                    except Exit:
                        raise
                    except BaseException as e:
                        res = exc_result(p, row, e, SysResult(0, 0, 0, None, row))
                    else:
                        if rv is None:
                            eax = edx = 0
                        elif rv.__class__ is int and not row.is_off:
                            eax, edx = rv & 0xffffffff, 0
                        elif rv.__class__ is tuple:
                            eax, edx = rv[0] & 0xffffffff, rv[1] & 0xffffffff
                        else:
                            rv &= (1 << 64) - 1
                            eax, edx = rv & 0xffffffff, (rv >> 32) if row.is_off else 0
                        if p.fork_child is None and not p.siglist and not p.want_resched:
                            set_gpr = core.set_gpr
                            set_gpr(0, eax)
                            set_gpr(2, edx)
                            set_gpr(3, KW86_FAST)       # locore: carry clear
                            return
                        res = SysResult(eax, edx, 0, None, row)
                    fesp = core.get_gpr(4)              # esp: the trap frame
                    p.frame_esp = fesp
                    trap.commit(self.boot, p, fesp, res)
                else:
                    fesp = core.get_gpr(4)
                    p.frame_esp = fesp
                    res = trap.syscall(self.boot, p, fesp)
                    fesp = p.frame_esp          # 511 may move a short frame
                if p.fork_child is not None:
                    c = p.fork_child
                    self._finish_fork(p, fesp)
                    if c.state == "zomb":
                        p.vforking = False      # killed at birth (out of memory)
                    if p.vforking and res.block is None and not res.error:
                        # vfork: the parent waits (its result already in its
                        # frame) until the child execs or exits, as NetBSD's
                        # PL_PPWAIT; the memory is copy-on-write, not shared
                        p.vforking = False
                        c.vfork_parent = p.pid
                        self._sleep(p, ("vfork", c.pid))
                        p.blocked = None        # not a restartable call
                        self._switch_away(p, fesp)
                        return
                    p.vforking = False
                if res.block is not None:
                    self._sleep(p, res.block)
                    self._switch_away(p, fesp)
                    return
                if p.siglist:
                    self._check_signals(p, fesp)
                    if p.stopped:
                        self._switch_away(p, fesp)
                        return
                if p.want_resched:
                    p.want_resched = False
                    if self.runq:
                        self._preempt(p, fesp)
            elif value == HC_TRAP:
                fesp = core.get_gpr(4)
                tf = self.boot.read_frame(fesp)
                if tf["trapno"] == abi.T_PAGEFLT:
                    cr2 = self.m.get_reg("cr2")
                    try:
                        ok = cr2 < abi.VM_MAXUSER_ADDRESS and p.vm.fault(cr2, bool(tf["err"] & 2))
                    except MemoryError:
                        # anonymous memory is overcommitted, as UVM does: the
                        # fault that finds no page kills, with UVM's message
                        self._out_of_swap(p)
                    if ok:
                        self._stats["page_faults"] += 1
                        return
                if tf["cs"] & 3 == 0 and not p.kernelware:
                    # kernel code faulted on the process's behalf (a bad frame
                    # value got past the checks): never the host's problem
                    self.sys.stderr.write(f"kw86: kernel trap {tf['trapno']} at "
                                          f"{tf['eip']:#x} for {p.comm}: killed\n")
                    self._kill(p, abi.NBSD_SIGSEGV)
                sig, code, addr = trap.trapsignal(self.m, p, tf)
                act = p.sigacts.get(sig)
                if act is not None and act[0] not in (abi.NBSD_SIG_DFL, abi.NBSD_SIG_IGN) and \
                        not p.sigmask & abi.sigbit(sig):
                    if self._sendsig(p, fesp, sig, code=code, addr=addr, trapno=tf["trapno"]):
                        return
                self._kill(p, sig)
            elif value == HC_INTR:
                fesp = core.get_gpr(4)
                self._expire_timers()
                tf = self.boot.read_frame(fesp)
                self._charge_tick(p, bool(tf["cs"] & 3) or (
                    p.kernelware and tf["esp"] < abi.USRSTACK and tf["eip"] < abi.KERNBASE))
                # preemptible: user mode, or a kernelware (CPL 0 on a user stack,
                # outside kernel text), exactly the paper's IDT-hook test
                if tf["cs"] & 3 or (tf["esp"] < abi.USRSTACK and tf["eip"] < abi.KERNBASE):
                    if p.siglist:
                        self._check_signals(p, fesp)
                        fesp = self.m.get_reg("esp")   # a kernelware's frame may move
                        if p.stopped:
                            self._switch_away(p, fesp)
                            return
                    p.ticks += 1
                    if p.ticks >= self.quantum and self.runq:
                        self._preempt(p, fesp)
            elif value != HC_STRAY and value != HC_IDLE:
                raise BadFrame(None)            # no such hypercall: a forged one
        except Exit as e:
            self._exit(p, e.status)
        except BadFrame as e:
            # a hypercall whose trap frame is not there: a kernelware made it
            # itself (outl to the port, or a jump into locore) with garbage
            # state, or overwrote kernel memory; it dies, the others go on
            what = "no such hypercall" if e.addr is None else f"no trap frame at {e.addr:#x}"
            self._kill_broken(p, f"hypercall {value} ({what})", abi.NBSD_SIGSEGV)
        except Fault:
            # a kernelware's stack could not take the gate's return
            self._exit(p, abi.w_termsig(abi.NBSD_SIGSEGV, core=True))
        except (MemoryError, KernelPanic):
            raise
        except Exception as e:
            if p is None or not p.kernelware:
                raise KernelPanic(f"hypercall {value}: {type(e).__name__}: {e}") from e
            # a kernelware can break any kernel state: it alone pays
            self._kill_broken(p, f"hypercall {value} failed ({type(e).__name__}: {e})",
                              abi.NBSD_SIGKILL)

    def _out_of_swap(self, p, kill=True):
        """No free page for p's fault: SIGKILL with NetBSD's UVM message
        (trap.c; kw86 has no swap, so out of memory is out of swap)."""
        try:
            self.sys.stderr.write(f"UVM: pid {p.pid}.{p.lwpid} ({p.comm}), uid {p.cred.euid} "
                                  f"killed: out of swap\n")
        except (OSError, ValueError):
            pass
        if kill:
            self._kill(p, abi.NBSD_SIGKILL)

    def _kill_broken(self, p, why, sig):
        """Kill p, which broke the kernel's state (a forged hypercall, a
        machine fault at CPL 0), with a one-line message; if it was a
        kernelware, first put back what it may have overwritten (locore,
        descriptor tables, kernel page tables, control registers) so that
        the other processes go on."""
        try:
            self.sys.stderr.write(f"kw86: pid {p.pid} ({p.comm}): {why}: killed by "
                                  f"SIG{abi.SIGNAL_NAMES[sig]}\n")
        except (OSError, ValueError):
            pass
        if p.pid == 1:
            self.status_reported = True
        if p.kernelware:
            self._repair()
        self._exit(p, abi.w_termsig(sig, core=sig in SIG_CORE))

    def _repair(self):
        """Rewrite the kernel's shared state from its pristine copies and
        reload the CPU's system registers (after a kernelware died of what
        it did at CPL 0)."""
        b = self.boot
        b.repair()
        for q in self.sys.procs.values():
            if q.vm is not None and q.state != "zomb":
                self.m.write(q.vm.pdir + 768 * 4, b.kernel_pdes)
        self._gdt_tls = self._gdt_fs = 0        # the GDT's TLS descriptors are base 0 again
        if self.cur is not None and self.cur.vm is not None:
            self.m.set_cr(3, self.cur.vm.pdir)
            self.m.flush_tlb()

    # -- scheduling ------------------------------------------------------------------
    def _wakeup(self, chan):
        for q in list(self.sys.procs.values()):
            if q.state == "sleep" and any(c is chan or c == chan for c in q.wchans):
                self._setrun(q)

    def _setrun(self, q):
        if q.stopped:
            return
        q.state = "run"
        q.wchans = ()
        q.deadline = None
        if q not in self.runq and q is not self.cur:
            self.runq.append(q)

    def _sleep(self, p, chan):
        if chan.__class__ is not PollWait:
            p.timed_start = None        # (a timed call's, left by an error)
        p.state = "sleep"
        p.wchans = tuple(getattr(chan, "chans", (chan,)))
        tmo = getattr(chan, "timeout_ns", None)
        p.deadline = None if tmo is None else self.m.cycles + tmo * self.m.clock_hz // 10**9

    def _expire_timers(self):
        now = self.m.cycles
        for q in list(self.sys.procs.values()):
            if q.state == "sleep" and q.deadline is not None and q.deadline <= now:
                q.poll_timedout = True
                self._setrun(q)
        if self.timer_procs:
            now_ns = self.clock()
            for q in list(self.timer_procs):
                t = q.itimers.get(ITIMER_REAL)
                if q.state == "zomb" or t is None:
                    self.timers_changed(q)
                elif t[0] <= now_ns:
                    if t[1]:
                        t[0] += ((now_ns - t[0]) // t[1] + 1) * t[1]
                    else:
                        del q.itimers[ITIMER_REAL]
                        self.timers_changed(q)
                    q.post_signal(abi.NBSD_SIGALRM)

    def timers_changed(self, q):
        """q's ITIMER_REAL was set or cleared (syscalls/kern.py)."""
        if ITIMER_REAL in q.itimers and q.state != "zomb":
            self.timer_procs.add(q)
        else:
            self.timer_procs.discard(q)

    def _charge_tick(self, p, user):
        """The clock tick charges the running process (statclock): its CPU
        time, and its virtual (user ticks only) and profiling timers."""
        p.cpu_ns += self._tick_ns
        its = p.itimers
        if its:
            for which, sig in ((ITIMER_VIRTUAL, abi.NBSD_SIGVTALRM),
                               (ITIMER_PROF, abi.NBSD_SIGPROF)):
                t = its.get(which)
                if t is None or (which == ITIMER_VIRTUAL and not user):
                    continue
                t[0] -= self._tick_ns
                if t[0] <= 0:
                    if t[1]:
                        t[0] += t[1]
                    else:
                        del its[which]
                    p.post_signal(sig)

    def _timer_deadlines(self):
        """ITIMER_REAL expiries in guest cycles (an idle clock jumps to them)."""
        hz = self.m.clock_hz
        return [-(-(q.itimers[ITIMER_REAL][0] - self.epoch_ns) * hz // 10**9)
                for q in self.timer_procs if ITIMER_REAL in q.itimers]

    def _preempt(self, p, fesp):
        p.ticks = 0
        p.state = "run"
        self.runq.append(p)
        self._switch_away(p, fesp)

    def _switch_away(self, p, fesp):
        p.saved_esp = fesp
        if self.cur is p:
            self.cur = None             # not running: a wakeup must queue it
        while self.final_status is None:        # (pid 1 may die on the way)
            q = self._pick()
            if self.final_status is not None:
                return                  # kw86 ends (_host_end)
            if q is None and self._stop_host():
                continue                # kw86 was stopped and continued: SIGCONT sent
            if q is None:
                self.sys.stderr.write("kw86: deadlock: every process sleeps (or is "
                                      "stopped) with nobody to wake it\n")
                init = self.sys.procs.get(1)
                self.final_status = abi.w_termsig(abi.NBSD_SIGKILL)
                if init is not None:
                    init.status = self.final_status
                self.m.stop()
                return
            if self._switch_to(q):
                return

    def _stop_host(self):
        """Every process is stopped by a signal (or asleep with nothing to
        wake it): stop kw86 itself, as a native program would stop; on the
        host's SIGCONT send SIGCONT to the guest's stopped processes.  False
        when nothing is stopped or kw86 cannot stop (no job control: its
        process group is orphaned, so nobody could continue it)."""
        import signal
        stopped = [q for q in self.sys.procs.values() if q.stopped and q.state != "zomb"]
        if not stopped or not hasattr(signal, "SIGSTOP"):
            return False
        if os.getppid() == 1:
            self.sys.stderr.write(f"kw86: {stopped[0].comm}: stopped (signal "
                                  f"{stopped[0].stopsig}) and kw86 cannot stop: no job control\n")
            return False
        try:
            if self.sys.stderr is not None:
                self.sys.stderr.flush()
        except (OSError, ValueError):
            pass
        os.kill(os.getpid(), signal.SIGSTOP)
        for q in stopped:
            if q.stopped and q.state != "zomb":
                q.post_signal(abi.NBSD_SIGCONT)
        return True

    def _pick(self):
        """The next runnable process; idles (host select, or the clock jumps)
        while every process sleeps."""
        while True:
            if self.host_pending:
                self._deliver_host_signals()
            if (self._host_deadline is not None or self._host_abort is not None) and \
                    self._host_end():
                return None
            self._expire_timers()
            while self.runq:
                q = self.runq.popleft()
                if q.state == "run":
                    return q
            sleepers = [q for q in self.sys.procs.values() if q.state == "sleep"]
            if not sleepers:
                return None
            deadlines = [q.deadline for q in sleepers if q.deadline is not None]
            if self.timer_procs:
                deadlines += self._timer_deadlines()
            wait = None if not deadlines else \
                max(0, min(deadlines) - self.m.cycles) / self.m.clock_hz
            if any(self.console in q.wchans for q in sleepers):
                # the host's SIGINT/SIGTERM/SIGHUP end the wait too
                irfd = self._idle_rfd
                if self._host_deadline is not None:
                    left = max(0.0, self._host_deadline[0] - time.monotonic())
                    wait = left if wait is None else min(wait, left)
                fds = [self.console.in_fd] + ([irfd] if irfd is not None else [])
                r, _, _ = select.select(fds, [], [], wait)
                if irfd is not None and irfd in r:
                    try:
                        os.read(irfd, 64)
                    except OSError:
                        pass
                    self._deliver_host_signals()
                    continue
                if r:
                    self._wakeup(self.console)
                    continue
                if self._host_deadline is not None and \
                        time.monotonic() >= self._host_deadline[0]:
                    continue                    # the host's deadline, not a guest timer
            elif wait is None:
                return None
            if deadlines:
                jump = max(0, min(deadlines) - self.m.cycles)
                self.idle_cycles += jump
                self.m.add_cycles(jump)

    def _load_tls(self, q):
        """Point the GUGS (%gs) and GUFS (%fs) descriptors at q's TLS bases
        (_lwp_setprivate, sysarch I386_SET_GSBASE/FSBASE): its trap exit
        reloads %gs and %fs from the GDT."""
        if self._gdt_tls != q.tls_base:
            self.load_gs(q)
        if self._gdt_fs != q.fs_base:
            self.load_fs(q)

    def _write_user_desc(self, sel, base):
        from kw86.nbsd.boot import GDT_PHYS, seg_desc
        self.m.write(GDT_PHYS + sel * 8, seg_desc(base, 0xfffff, 0xf3))

    def load_gs(self, q):
        self._write_user_desc(abi.GUGS_SEL, q.tls_base)
        self._gdt_tls = q.tls_base

    def load_fs(self, q):
        base = q.fs_base
        self._write_user_desc(abi.GUFS_SEL, base)
        self._gdt_fs = base

    def _switch_to(self, q):
        """Resume q where it is parked; False if it died on a pending signal."""
        self.cur = q
        m = self.m
        self._core.set_gpr(3, 0)        # ebx: not KW86_FAST, its frame holds its result
        self._load_tls(q)
        m.set_cr(3, q.vm.pdir)
        m.flush_tlb()
        self.boot.set_esp0(q.kstack)
        m.set_reg("esp", q.saved_esp)
        # every parked process resumes after locore's hypercall (also when
        # the switch happens in a hypercall a kernelware forged elsewhere)
        m.set_reg("eip", self._hc_return)
        if m.get_reg("cs") != abi.KCODE or m.get_reg("ss") != abi.KDATA:
            m.load_segment("cs", abi.KCODE)
            m.load_segment("ss", abi.KDATA)
        try:
            self._check_signals(q, q.saved_esp)
        except Exit as e:
            self._exit(q, e.status, switch=False)
            return False
        except (MemoryError, KernelPanic):
            raise
        except Exception as e:
            # its frame or stack is broken (kernel memory a kernelware wrote)
            self.sys.stderr.write(f"kw86: pid {q.pid} ({q.comm}): cannot resume "
                                  f"({type(e).__name__}: {e}): killed by SIGKILL\n")
            self._exit(q, abi.w_termsig(abi.NBSD_SIGKILL), switch=False)
            return False
        if q.stopped:
            self.cur = None
            return False
        return True

    def _check_signals(self, p, fesp=None):
        """Act on p's pending signals at a return to the process (fesp: its
        frame, for handlers); masked ones and deferred handlers stay pending."""
        if not p.siglist:
            return
        pending, p.siglist, keep = p.siglist, [], []
        for sig in pending:
            if p.sigmask & abi.sigbit(sig) and sig not in (abi.NBSD_SIGKILL, abi.NBSD_SIGSTOP):
                keep.append(sig)
                continue
            act = p.sigacts.get(sig)
            if act is not None and act[0] == abi.NBSD_SIG_IGN:
                continue
            if act is not None and act[0] != abi.NBSD_SIG_DFL:
                if fesp is None or not self._sendsig(p, fesp, sig):
                    keep.append(sig)
                continue
            if sig in SIG_KILL:
                p.siglist = keep + p.siglist
                self._kill(p, sig)
            if sig in SIG_STOP and not p.stopped:
                self._stop(p, sig)
        p.siglist = keep + p.siglist
        if p.oldmask is not None and p.blocked is None:
            p.sigmask, p.oldmask = p.oldmask, None     # sigsuspend ended, no handler ran

    def _stop(self, p, sig):
        """Stop p (the caller switches away when it sees p.stopped): the
        parent hears of it by SIGCHLD (unless SA_NOCLDSTOP) and wait4."""
        p.stopped, p.stopsig, p.stop_reported = True, sig, False
        p.state = "stop"
        if p in self.runq:
            self.runq.remove(p)
        parent = self.sys.procs.get(p.ppid)
        if parent is not None and parent.state != "zomb":
            act = parent.sigacts.get(abi.NBSD_SIGCHLD)
            if act is None or not act[2] & abi.NBSD_SA_NOCLDSTOP:
                parent.post_signal(abi.NBSD_SIGCHLD)
        wakeup(("wait", p.ppid))

    def _continue(self, p):
        """SIGCONT (or SIGKILL) for a stopped p: runnable again; a call it
        slept in restarts (its frame was backed up)."""
        p.stopped = False
        p.cont_reported = False
        if p.state == "stop":
            p.state = "sleep"                   # so that _setrun queues it
            self._setrun(p)
        wakeup(("wait", p.ppid))

    def _sendsig(self, p, fesp, sig, **info):
        try:
            return sendsig(p, self.boot, fesp, sig, **info)
        except Fault:
            self._kill(p, abi.NBSD_SIGILL)        # no room for the frame: sigexit(SIGILL)

    def _kill(self, p, sig):
        raise Exit(abi.w_termsig(sig, core=sig in SIG_CORE))

    # -- process life --------------------------------------------------------------
    def fork(self, p):
        """fork(2): the child is created now and gets its memory and frame once
        the parent's call has completed (_finish_fork)."""
        if len(self.sys.procs) >= MAXPROC:
            raise Errno(abi.EAGAIN)
        # fork1: no memory for the child's kernel stack, page directory and
        # tables (and, for a copying fork, its pages) -> EAGAIN, as uvm_fork
        # failing does; never a host MemoryError
        need = 8 + len(p.vm.ptables if p.vm is not None else ()) + \
            (len(p.vm.pages) if p.vm is not None and p.vm.prefault else 0)
        if self.boot.frames.nfree() < need:
            raise Errno(abi.EAGAIN)
        pid = self.next_pid
        while pid in self.sys.procs:
            pid += 1
        self.next_pid = pid + 1
        c = Proc(self.sys, kernel=self, pid=pid, ppid=p.pid, comm=p.comm, cred=p.cred.copy(),
                    cwd=list(p.cwd), root=list(p.root), fdt=p.fdt.fork(), umask=p.umask)
        c.pgid, c.sid, c.login = p.pgid, p.sid, p.login
        c.sigacts = dict(p.sigacts)
        c.sigmask = p.sigmask
        c.sigstk = p.sigstk
        c.kernelware = p.kernelware
        c.rlimits = {k: list(v) for k, v in p.rlimits.items()}
        c.tls_base = p.tls_base                 # the child's LWP inherits its TCB
        c.fs_base = p.fs_base
        c.state = "new"
        self.sys.procs[pid] = c
        p.fork_child = c
        return pid

    def _finish_fork(self, p, fesp):
        c, p.fork_child = p.fork_child, None
        try:
            c.vm = p.vm.copy()
        except MemoryError:
            # out of pages half-way (the parent has its pid): the child is
            # killed as UVM kills on "out of swap"
            self._out_of_swap(c, kill=False)
            c.vm = None
            self._exit(c, abi.w_termsig(abi.NBSD_SIGKILL), switch=False)
            return
        m = self.m
        if fesp >= abi.KERNBASE:                # the frame is on p's kernel stack
            depth = p.kstack - fesp
            m.write_virt(c.kstack - depth, m.read_virt(fesp, depth))
            cfesp = c.kstack - depth
            tf = self.boot.read_frame(cfesp)
            tf["eax"], tf["edx"] = 0, 1
            tf["eflags"] &= ~abi.PSL_C
            self.boot.write_frame(cfesp, tf)
        else:                                   # a kernelware's short frame, user stack
            cfesp = fesp
            c.vm.write(fesp + 40, b"\0\0\0\0")           # tf_eax
            c.vm.write(fesp + 32, b"\1\0\0\0")           # tf_edx
            fl = int.from_bytes(c.vm.read(fesp + 60, 4), "little") & ~abi.PSL_C
            c.vm.write(fesp + 60, fl.to_bytes(4, "little"))
        c.saved_esp = cfesp
        self._setrun(c)

    def _vfork_done(self, p):
        """A vfork child exec'd or exited: its parent may run again."""
        if p.vfork_parent is not None:
            p.vfork_parent = None
            wakeup(("vfork", p.pid))

    def _exit(self, p, status, switch=True):
        p.state = "zomb"
        self.timer_procs.discard(p)
        self._vfork_done(p)
        p.status = status
        p.fdt.close_all()
        if p.vm is not None:
            p.vm.free()
            p.vm = None
        for c in self.sys.procs.values():
            if c.ppid == p.pid:
                c.ppid = 1
        parent = self.sys.procs.get(p.ppid)
        if parent is not None and parent.state != "zomb":
            parent.post_signal(abi.NBSD_SIGCHLD)
        wakeup(("wait", p.ppid))
        if p.pid == 1:
            self.final_status = status
            self.m.stop()
            return
        if switch and self.cur is p:
            self._switch_away(p, None)

    def wait4(self, p, pid, options):
        """-> (pid, status) of a reaped child, (0, 0) for WNOHANG; may sleep."""
        kids = [c for c in self.sys.procs.values() if c.ppid == p.pid and c is not p and (
            pid == -1 or c.pid == pid or (pid == 0 and c.pgid == p.pgid) or
            (pid < -1 and c.pgid == -pid))]
        if not kids:
            raise Errno(abi.ECHILD)
        for c in kids:
            if c.state == "zomb":
                if not options & abi.NBSD_WNOWAIT:
                    p.child_cpu_ns += c.cpu_ns + c.child_cpu_ns
                    del self.sys.procs[c.pid]
                    self.boot.free_kstack(c.kstack)
                return c.pid, c.status
            if options & abi.NBSD_WUNTRACED and c.stopped and not c.stop_reported:
                if not options & abi.NBSD_WNOWAIT:
                    c.stop_reported = True
                return c.pid, abi.w_stopcode(c.stopsig)
            if options & abi.NBSD_WCONTINUED and not c.cont_reported:
                if not options & abi.NBSD_WNOWAIT:
                    c.cont_reported = True
                return c.pid, 0xffff                # WIFCONTINUED
        if options & abi.NBSD_WNOHANG:
            return 0, 0
        raise WouldBlock(("wait", p.pid))

    def execve(self, p, path, argv, envp):
        """execve(2) from a running process: replace its image and frame."""
        fesp = p.frame_esp
        tf = self.boot.read_frame(fesp)
        gate = tf["trapno"] == T_KW86_GATE
        try:
            self.exec(p, path, argv, envp, p.kernelware)
        except ExecError as e:
            raise Errno(e.errno) from None
        r = p.regs0
        for k in ("eax", "ecx", "edx", "ebx", "esi", "edi", "ebp"):
            tf[k] = r[k]
        if gate:                                # leave by gate_exit: [eflags][eip] on the stack
            p.mem.copyout(r["esp"] - 8, struct.pack("<II", r["eflags"], r["eip"]))
            tf.update(esp=r["esp"] - 8, ss=abi.KDATA, cs=abi.KCODE, ds=abi.KDATA,
                      es=abi.KDATA, fs=abi.UFS, gs=abi.UGS, eflags=r["eflags"])
        else:
            tf.update(trapno=abi.T_ASTFLT, eip=r["eip"], esp=r["esp"], cs=r["cs"], ss=r["ss"],
                      ds=r["ds"], es=r["es"], fs=r["fs"], gs=r["gs"], eflags=r["eflags"])
            tf["short"] = False
        self.boot.write_frame(fesp, tf)
        for sig, act in list(p.sigacts.items()):
            if act[0] != abi.NBSD_SIG_IGN:
                del p.sigacts[sig]              # caught signals revert to default
        p.sigstk = None                         # and the alternate stack is gone
        raise Errno(abi.EJUSTRETURN)

    # -- running -----------------------------------------------------------------
    def _host_signals(self):
        """The host's SIGINT, SIGTERM and SIGHUP reach the guest: a watcher
        thread stops the machine's C loop, then the signal is posted to pid
        1's process group (_deliver_host_signals).  They always work, even
        against a kernelware spinning with interrupts off: SIGTERM and SIGHUP
        end kw86 HOST_GRACE seconds later if the guest has not ended by then
        (the watcher stops the machine again at the deadline), and a second
        SIGINT while the first is still pending in the guest ends it at once
        (_host_end)."""
        import signal
        import threading
        if threading.current_thread() is not threading.main_thread():
            return lambda: None
        rfd, wfd = os.pipe()
        os.set_blocking(wfd, False)
        done = []
        try:
            old_fd = signal.set_wakeup_fd(wfd)
        except ValueError:
            os.close(rfd)
            os.close(wfd)
            return lambda: None
        olds = {}
        hostmap = {signal.SIGINT: abi.NBSD_SIGINT, signal.SIGTERM: abi.NBSD_SIGTERM,
                   signal.SIGHUP: abi.NBSD_SIGHUP}

        irfd, iwfd = os.pipe()          # wakes an idle select in _pick
        os.set_blocking(irfd, False)
        os.set_blocking(iwfd, False)
        self._idle_rfd = irfd

        def handler(signum, frame):
            sig = hostmap[signum]
            self.host_pending.append(sig)
            if sig != abi.NBSD_SIGINT and self._host_deadline is None:
                self._host_deadline = (time.monotonic() + HOST_GRACE, sig)
            try:
                os.write(iwfd, b"\0")
            except OSError:
                pass
        for hs in hostmap:
            olds[hs] = signal.signal(hs, handler)

        def watch():
            while not done:
                if select.select([rfd], [], [], 0.1)[0]:
                    try:
                        os.read(rfd, 64)
                    except OSError:
                        pass
                    if done:                # woken by restore(), not by a signal
                        break
                    self.m.stop()
                else:
                    dl = self._host_deadline
                    if dl is not None and time.monotonic() >= dl[0]:
                        self.m.stop()       # the main thread ends kw86 (_host_end)
        t = threading.Thread(target=watch, daemon=True)
        t.start()

        def restore():
            done.append(1)
            try:
                os.write(wfd, b"\0")       # wake the watcher now, not at its next timeout
            except OSError:
                pass
            t.join()
            signal.set_wakeup_fd(old_fd)
            for hs, h in olds.items():
                signal.signal(hs, h)
            os.close(rfd)
            os.close(wfd)
            self._idle_rfd = None
            os.close(irfd)
            os.close(iwfd)
        return restore

    def _deliver_host_signals(self):
        while self.host_pending:
            sig = self.host_pending.pop(0)
            if sig == abi.NBSD_SIGINT and any(
                    q.state != "zomb" and self._takes(q, sig) for q in self._host_int_to):
                self._host_abort = sig          # a second Ctrl-C the guest could not take
                continue
            init = self.sys.procs.get(1)
            pg = init.pgid if init is not None else 1
            to = [q for q in list(self.sys.procs.values()) if q.state != "zomb" and q.pgid == pg]
            for q in to:
                q.post_signal(sig)
            if sig == abi.NBSD_SIGINT:
                self._host_int_to = to
            # the running process acts on it at its next kernel entry (the
            # timer interrupt guarantees one within a tick, unless it runs
            # with interrupts off: then _host_end)

    @staticmethod
    def _takes(q, sig):
        """sig is still pending in q although q neither masks nor ignores it."""
        if sig not in q.siglist or q.sigmask & abi.sigbit(sig):
            return False
        act = q.sigacts.get(sig)
        return act is None or act[0] != abi.NBSD_SIG_IGN

    def _host_end(self):
        """End kw86 for the host (a second SIGINT the guest could not take, or
        SIGTERM/SIGHUP past their grace): one line, the shell's status.
        True when it did."""
        if self.final_status is not None:
            return True
        dl = self._host_deadline
        if self._host_abort is not None:
            sig = self._host_abort
            why = f"kw86: SIG{abi.SIGNAL_NAMES[sig]} again from the host while the guest " \
                  f"had not taken the first: stopped\n"
        elif dl is not None and time.monotonic() >= dl[0]:
            sig = dl[1]
            why = f"kw86: SIG{abi.SIGNAL_NAMES[sig]} from the host: the guest did not end " \
                  f"within {HOST_GRACE:g} s: stopped\n"
        else:
            return False
        try:
            self.sys.stderr.write(why)
        except (OSError, ValueError):
            pass
        self.status_reported = True
        self.final_status = abi.w_termsig(sig)
        self.m.stop()
        return True

    def run(self, max_instructions=None):
        """Run until pid 1 exits; returns its wait status."""
        p = self.cur
        self._enter(p)
        self.final_status = None
        self.host_pending = []
        self._host_deadline = None
        self._host_abort = None
        self._host_int_to = []
        restore = self._host_signals()
        try:
            return self._run(p, max_instructions)
        except MemoryError:
            raise                       # (cli_exec: out of guest memory)
        except Exception as e:
            return self._panic(e)
        finally:
            restore()

    def _run(self, p, max_instructions):
        budget = max_instructions or (1 << 62)
        tracer = self.tracer
        while self.final_status is None and budget > 0:
            step = min(budget, 50_000_000)
            if tracer is not None and tracer.active:
                r = tracer.run(step)            # --trace: single-stepped (trace.py)
            else:
                r = self.m.run(step)
            budget -= r.instructions
            if self.host_pending:
                self._deliver_host_signals()
            if (self._host_deadline is not None or self._host_abort is not None) and \
                    self._host_end():
                break
            if r.event in ("stop", "budget", "cycles", "hlt"):
                continue
            if r.event in ("hang", "triple_fault", "exception", "task_switch", "breakpoint"):
                self._machine_event(r)
        if self.final_status is None:
            self.sys.stderr.write(f"kw86: {p.comm}: instruction limit reached\n")
            self.final_status = abi.w_termsig(abi.NBSD_SIGKILL)
        for q in list(self.sys.procs.values()):
            q.fdt.close_all()
        if tracer is not None:
            tracer.detach()
        return self.final_status

    def _machine_event(self, r):
        """The CPU stopped on something no handler can take (a triple fault,
        hlt with interrupts off ...) for the running process."""
        q = self.cur
        if q is None:
            raise KernelPanic(f"machine {r.event} with no process running")
        # a kernelware's double/triple fault is mostly its own stack
        # overflowing at CPL 0: SIGSEGV, as user mode gets for it
        segv = q.kernelware and (r.event == "triple_fault" or "#DF" in str(r.exception or ""))
        why = f"machine {r.event}{': ' + str(r.exception) if r.exception else ''}"
        if not q.kernelware:
            # a user process cannot do this: the kernel's state is broken
            self.sys.stderr.write(f"kw86: {q.comm}: {why}\n")
            self.status_reported = True
            self.final_status = abi.w_termsig(abi.NBSD_SIGKILL)
            return
        if not segv or self.sys.strace is not None or self.verbose:
            self._kill_broken(q, why, abi.NBSD_SIGSEGV if segv else abi.NBSD_SIGKILL)
        else:
            self._repair()
            self._exit(q, abi.w_termsig(abi.NBSD_SIGSEGV, core=True))

    def _panic(self, e):
        """The last resort: a kernel bug ends kw86 with a panic message and the
        CPU's registers (exit status 70, EX_SOFTWARE), never a traceback."""
        import traceback
        m = self.m
        err = self.sys.stderr
        q = self.cur
        who = f" (pid {q.pid}, {q.comm})" if q is not None else ""
        try:
            err.write(f"kw86: panic{who}: {type(e).__name__}: {e}\n")
            regs = []
            for n in ("eax", "ebx", "ecx", "edx", "esi", "edi", "ebp", "esp", "eip",
                      "eflags", "cs", "ss", "ds", "es", "fs", "gs", "cr0", "cr2", "cr3"):
                try:
                    regs.append(f"{n}={m.get_reg(n):#x}")
                except Exception:            # (a register the machine cannot show)
                    pass
            for i in range(0, len(regs), 6):
                err.write("kw86:   " + " ".join(regs[i:i + 6]) + "\n")
            if os.environ.get("KW86_DEBUG"):
                traceback.print_exception(e, file=err)
            err.flush()
        except (OSError, ValueError):
            pass
        self.status_reported = True
        for q in list(self.sys.procs.values()):
            try:
                q.fdt.close_all()
            except Exception:
                pass
        return abi.w_exitcode(70)

    def run_program(self, path, argv, envp, kernelware=False, cwd=b"/", max_instructions=None):
        self.spawn(path, argv, envp, kernelware, cwd)
        return self.run(max_instructions)

    def close(self):
        remove_wakeup_listener(self._wakeup)


def status_to_exit_code(status):
    """The shell's view of a wait status: code, or 128 + signal."""
    if status & 0x7f:
        return 128 + (status & 0x7f)
    return (status >> 8) & 0xff


__all__ = ["Kernel", "Exit", "ExecError", "status_to_exit_code"]
