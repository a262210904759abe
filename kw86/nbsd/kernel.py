"""kw86.nbsd.Kernel: boot the machine, load a program, run it.

The kernel is one object made of parts that each live in their own file:
boot.py (descriptor tables, kernel page tables, locore), the hypercall
dispatcher here (Kernel._hcall) sending system calls, traps and interrupts
to trap.py, the scheduler (sched.py, a base class), address spaces
(vm.py), processes (proc.py) and their emulations (emul.py, and the
kernelware emulation in kernelware.py), signals (signals.py).  This file
keeps the process life cycle (spawn, exec, fork, exit, wait4), signal
actions, the host's signals and the run loop with its last-resort panic.
Exit statuses are the shell's (128 + signal).  See README.md "Processes".

    k = Kernel(root="/path/to/sysroot")
    status = k.run_program("/bin/echo", ["echo", "hi"], env)
"""
import os
import select
import time
from collections import deque

from kw86.machine import ESP
from kw86.nbsd import abi, rusage, trap
from kw86.nbsd.boot import Boot
from kw86.nbsd.elf import (ExecAbort, ExecError, build_stack, check_exec_permission,
                           default_auxv, initial_registers, load_elf, load_interp)
from kw86.nbsd.emul import Emul
from kw86.nbsd.errors import (BadFrame, Errno, Exit, Fault, KernelPanic,  # noqa: F401
                              WouldBlock)
from kw86.nbsd.file import DevFile
from kw86.nbsd.fpu import LazyFpu
from kw86.nbsd.kconst import (HC_GATE, HC_IDLE, HC_INTR, HC_STRAY, HC_SYSCALL, HC_TRAP,
                              HCALL_PORT, KW86_FAST)  # noqa: F401
from kw86.nbsd.kernelware import Kernelware
from kw86.nbsd.module import Modules
from kw86.nbsd.proc import SIG_CORE, SIG_KILL, SIG_STOP, Proc, kqueue_loaded
from kw86.nbsd.sched import RRTICKS, RunQueue, Scheduler, add_wakeup_listener, remove_wakeup_listener, wakeup
from kw86.nbsd.signals import sendsig
from kw86.nbsd.syscalls import TABLE
from kw86.nbsd.system import System
from kw86.nbsd.tty import HostConsole
from kw86.nbsd.vfs import procfs
from kw86.nbsd.vfs import Cred
from kw86.nbsd.vm import VM
from kw86.nbsd.kapi import KApi

PAGE = abi.PAGE_SIZE
HOST_GRACE = 1.0                             # s a guest has to end after a host SIGTERM/SIGHUP
MAXPROC = 160
# Guest time = epoch + cycles / clock.  The epoch is the host's time at boot
# (so file times look right), or KW86_EPOCH (seconds) for reproducible runs.
DEFAULT_EPOCH_NS = None


def _ksem():
    """syscalls/ksem.py, imported by a process's first _ksem_* call (start-up
    does not load it: a process with no semaphores needs none of it)."""
    from kw86.nbsd.syscalls import ksem
    return ksem


def _ptimer():
    """syscalls/ptimer.py, likewise by the first POSIX timer call."""
    from kw86.nbsd.syscalls import ptimer
    return ptimer


def _sysvipc(system):
    """syscalls/sysvipc.py once a SysV IPC call made the machine's namespace
    (System.sysvipc), else None: a run without one never imports it."""
    if getattr(system, "sysvipc", None) is None:
        return None
    from kw86.nbsd.syscalls import sysvipc
    return sysvipc


class Kernel(Scheduler):
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
        self.gate_exit_eips = self._gate_exit_eips()
        if epoch_ns is None:
            env = os.environ.get("KW86_EPOCH")
            epoch_ns = int(env) * 10**9 if env else (time.time_ns() // 10**9) * 10**9
        self.epoch_ns = epoch_ns
        self.console = HostConsole(stdin, stdout, stderr)
        self.sys = System(root, phys=self.m, bufcache_base=self.boot.bufcache_base,
                          bufcache_bytes=bufcache_bytes, mfs_size=mfs_size, binds=binds,
                          clock=self.clock, console=self.console, charge=self.m.add_cycles,
                          strace=strace, hdd=hdd, kcosts=kcosts)
        # System.kcharge, the namei charge and charge_copy pass ints: they
        # call the core's add_cycles themselves, without Machine.add_cycles's
        # int() (a Python frame per charge, several per system call); the
        # buffer cache keeps the Machine's
        self.sys._charge = self.m.core.add_cycles
        kc = self.sys.kcost
        self._copy_start, self._copy_byte = kc["copy_start"], kc["copy_byte"]
        self._syscall_cost = kc["syscall"]
        self.idle_cycles = 0            # clock jumps while every process sleeps
        self.ru_hooked = False          # rusage.switch has run (rusage.py)
        self.sys.kernel = self
        self.sys.sysinfo["physmem"] = mem_size
        self.sys.procs = {}
        self.cur = None                 # the running LWP's process
        self.curlwp = None              # the running LWP (proc.Lwp; sched.py)
        self.dead_kstacks = []          # of exited LWPs, freed at the next switch
        self.lwp_ids = set()            # ids of LWPs beyond a process's first (its pid)
        self.user = user
        self._stats = dict(page_faults=0, double_faults=0)
        self._df_pending = None         # a #DF trap.dblfault left for trap.dfsig
        self.n_switch_kernel = self.n_switch_user = 0   # 510/511 (kernelware.py)
        self.frame_refs = {}            # copy-on-write: frame -> extra references
        self._gdt_tls = 0               # the TLS base in the GDT's GUGS descriptor
        self._gdt_fs = 0                # and GUFS's (sysarch I386_SET_FSBASE)
        # the emulations: native NetBSD and kernelware (their system-call
        # tables; the register fast path runs none under strace)
        self.emul_native = Emul(TABLE, strace)
        self.kw = Kernelware(self, TABLE, strace)
        self.modules = Modules(self)    # kernelware, kwhook (module.py): none loaded
        # the hypercall dispatcher (trap.py): the port handler of HCALL_PORT
        self._hcall = trap.make_hypercall(self)
        self.stats_cow = 0              # pages copied on a write after fork
        self.runq = RunQueue()          # (sched.py: time-sharing round robin + real-time lists)
        self.tracer = None              # --trace (trace.Tracer)
        self.next_pid = 2
        self.final_status = None
        self.initproc = None            # pid 1, the kernel's own init (spawn)
        self.initial = None             # the program spawn started (its status is kw86's)
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
        # the kernel API a kernelware calls directly (kapi.py, `kw86 ksyms`)
        self.kapi = KApi(self)
        # the lazy FPU context (fpu.py): who owns the x87, CR0.TS, #NM
        self.fpu = LazyFpu(self, load_profile(profile)[0])

    def _gate_exit_eips(self):
        """Where a kernelware is interrupted once the gate's exit has set
        IF again (popfl) but not yet returned: the instructions after the
        popfl of gate_exit and fast_gate, up to their `ret` (trap.intr
        preempts there)."""
        out = set()
        for sym in ("gate_exit", "fast_gate"):
            a = self.boot.lc[sym]
            code = self.m.read_virt(a, 64)
            i = code.find(b"\x9d")                 # popfl
            j = code.find(b"\xc3", i)              # ret
            if i < 0 or j < 0:
                raise KernelPanic(f"locore {sym}: no popfl; ret")
            out.add(a + i + 1)
            out.add(a + j)
        return frozenset(out)

    @property
    def n_trap(self):
        return self.m.core.sysfast_count(0)     # system calls by trap (trap.py)

    @property
    def n_gate(self):
        return self.m.core.sysfast_count(1)     # by the kernelware gate

    # (the kernelware module's switches, kept for callers of the flat names)
    @property
    def kernelware_loaded(self):
        return self.kw.loaded

    @kernelware_loaded.setter
    def kernelware_loaded(self, v):
        self.kw.loaded = v

    @property
    def kw_policy(self):
        return self.kw.policy

    @kw_policy.setter
    def kw_policy(self, fn):
        self.kw.policy = fn

    @property
    def stats(self):
        """Counters: syscalls_trap, syscalls_gate, page_faults."""
        st = self._stats
        st["syscalls_trap"], st["syscalls_gate"] = self.n_trap, self.n_gate
        st["cow_copies"] = self.stats_cow
        st["switches_to_kernel"] = self.n_switch_kernel
        st["switches_to_user"] = self.n_switch_user
        st["fpu_dna"], st["fpu_loads"] = self.fpu.n_dna, self.fpu.n_loads
        return st

    # -- time ------------------------------------------------------------------
    def clock(self):
        return self.epoch_ns + self.m.cycles * 10**9 // self.m.clock_hz

    def charge_copy(self, nbytes):
        # copyin/copyout stand for `rep movsl`: the kernel-cost table's
        # copy_start + per byte the rate of its working set, source and
        # destination (System.copy_rate; cycle-model.md §2a/§4a/§4b).
        # copy_rate and System.kcharge inline, the same arithmetic: every
        # system call makes one to three of these (issue 12)
        s = self.sys
        l1, r1, l2, r2, rm = s._copy_tiers
        ws = 2 * nbytes
        cycles = int(self._copy_start + nbytes * (r1 if ws <= l1 else r2 if ws <= l2 else rm))
        if cycles:
            s.kcycles += cycles
            if s._charge is not None:
                s._charge(cycles)

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

    def _make_init(self):
        """pid 1, init: a process of the kernel's own that never runs on the
        CPU.  It is the parent of the program kw86 runs and of every orphan,
        and reaps them as init's wait loop does (_exit: no zombie is left
        for it).  In the kernel rather than a guest /sbin/init because kw86
        runs programs that are not in the guest's file system (a host file,
        `kw86 exec ./prog`), starts them in the kernelware emulation
        (--kernelware) and must end with the program's own status at once;
        a guest init would need all three passed through it, and an extra
        exec per run.  Its credentials are root's (kill(1, sig) by another
        user is EPERM); its one LWP is suspended for good (it takes no
        signal: NetBSD protects init from all but the ones it catches)."""
        # (made without kernel=: no kernel stack, no user memory, which it
        # never uses; procfs reads nothing of it)
        init = Proc(self.sys, pid=1, ppid=0, comm="init", cred=Cred(0, 0))
        init.kernel = self
        init.l.suspended = True
        init.l.state = "susp"
        self.sys.procs[1] = init
        self.initproc = init
        return init

    def spawn(self, path, argv, envp, kernelware=False, cwd=b"/", host_image=None):
        """Create init (pid 1) and its child running `path` (a guest path; or
        host_image bytes) as pid 2, in a session and process group of its own."""
        if self.initproc is None:
            self._make_init()
        p = Proc(self.sys, kernel=self, pid=self.alloc_id(), ppid=1,
                 comm=os.path.basename(path.decode("latin-1"))[:16])
        if self.user is not None:
            p.cred = Cred(self.user[0], self.user[1])
        self._stdio(p)
        p.cwd = self.sys.vfs.namei(p, cwd)
        self.sys.procs[p.pid] = p
        if kernelware:
            # `kw86 exec --kernelware`: both modules are loaded at boot and
            # pid 1 starts in the emulation (the operator's choice: no policy)
            self.modload("kernelware", "kwhook")
            self.kw.join(p)
        else:
            p.emul = self.emul_native
        self.exec(p, path, argv, envp, host_image)
        self.cur = p
        self.curlwp = p.l
        self.initial = p
        return p

    def _read_image(self, p, path, name=None):
        vp = self.sys.vfs.lookup(p, path)
        check_exec_permission(vp.getattr(), p.cred, name or path.decode("latin-1"))
        vp.open(abi.FREAD)
        try:
            size = vp.getsize()
            return self.sys.bufcache.read(vp, 0, size, size)
        finally:
            vp.close(abi.FREAD)

    def _load_interp(self, p, img, name):
        """PT_INTERP (NetBSD's elf_load_interp): the interpreter is looked up
        from the process's root and cwd (a missing one is ENOENT), must be a
        regular file the caller may execute (EACCES) and an i386 ET_DYN
        (ENOEXEC); elf.load_interp places it (img.interp_img)."""
        # (the path as text, its control and non-ASCII bytes escaped: it is the file's)
        shown = "".join(chr(c) if 32 <= c < 127 and c != 92 else f"\\x{c:02x}"
                        for c in img.interp)
        iname = f"{name}: interpreter {shown}"
        try:
            data = self._read_image(p, img.interp, iname)
        except Errno as e:
            raise ExecError(f"{iname}: {abi.errno_text(e.errno)}", e.errno) from None
        load_interp(data, img, mem_limit=self.m.mem_size // 2, name=iname)

    def exec(self, p, path, argv, envp, host_image=None):
        """Replace p's image (p.emul decides the mode it starts in)."""
        emul = p.emul
        kernelware = emul.kernel_mode
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
        self.kapi.check_image(img, name)        # linked for this kernel?
        if img.interp is not None:
            self._load_interp(p, img, name)
        if len(p.lwps) > 1:
            # past the point of no return: the other LWPs end first
            # (NetBSD's execve_runproc -> exit_lwps)
            from kw86.nbsd.syscalls.lwp import end_other_lwps
            end_other_lwps(p)
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
        try:
            vm.load_elf(img)
            # the stack: demand-paged in both modes (a kernelware's own faults
            # on it go through the #DF task, trap.dblfault), RLIMIT_STACK of it
            # accessible
            vm.add_region(abi.USRSTACK - abi.MAXSSIZ, abi.USRSTACK,
                          abi.NBSD_PROT_READ | abi.NBSD_PROT_WRITE, "stack")
            vm.set_stack_limit(p.rlimits[abi.NBSD_RLIMIT_STACK][0])
            pre = 64 * 1024
            for va in range(abi.USRSTACK - pre, abi.USRSTACK, PAGE):
                vm.map(va, abi.NBSD_PROT_READ | abi.NBSD_PROT_WRITE)
        except BaseException:
            vm.free()                   # (out of pages: execve's ENOMEM leaks none)
            raise
        if p.vm is not None:
            ipc = _sysvipc(self.sys)
            if ipc is not None:
                ipc.vm_gone(self.sys.sysvipc, p, p.vm)      # shm detached at exec
            p.vm.free()
        p.vm = vm
        self.m.set_cr(3, vm.pdir)
        self.m.flush_tlb()
        try:
            p.mem.copyout(st.esp, st.data)
            self.kapi.link(p, img, name)        # dynamic resolution (KAPI_DYNAMIC)
        except (ExecError, Errno, Fault, MemoryError) as e:
            # past the point of no return: no old image to return an error to
            raise ExecAbort(str(e) if isinstance(e, ExecError) else f"{name}: {e}",
                            getattr(e, "errno", abi.ENOMEM)) from None
        p.fdt.exec_cloexec()
        p.kernelware = kernelware
        p.comm = os.path.basename(name)[:16]
        procfs.note_exec(p, path, host_image is not None)     # /proc/<pid>/exe
        p.regs0 = initial_registers(img, st, emul.segments(img) if kernelware else None)
        # a new image has no TLS yet (NetBSD's exec: l_private NULL, the
        # %gs/%fs descriptors based at 0)
        l = p.l
        l.tls_base = 0
        l.fs_base = 0
        l.unparked = False
        l.lwpctl_va = 0
        p.sigcode = st.sigcode
        self.fpu.exec(l, img)                   # setregs: a fresh FPU, its control word
        self._vfork_done(p)
        if self.cur is p or self.cur is None:
            self._load_tls(l)
        return img

    def _enter(self, p):
        """Load p's initial registers into the CPU."""
        m, r = self.m, p.regs0
        m.set_cr(3, p.vm.pdir)
        m.flush_tlb()
        self.boot.set_esp0(p.kstack)
        self.kapi.switched(p)
        if p.kernelware:
            p.emul.enter(p)
        else:
            esp = self.boot.enter_user_frame(p.kstack, r)
            self.boot.start(p.vm.pdir, p.kstack, esp)

    # -- the hypercall -----------------------------------------------------------
    def _hcall_failed(self, p, value, e):
        """What a hypercall (trap.make_hypercall, Kernel._hcall) raised: the
        process's end (Exit), a broken or forged frame (BadFrame: that
        process dies, the others go on), a kernelware stack that could not
        take the gate's return (Fault: SIGSEGV); any other error kills a
        kernelware (it can break any kernel state: it alone pays) and is a
        kernel panic for a user process."""
        if isinstance(e, Exit):
            self._exit(p, e.status)
        elif isinstance(e, BadFrame):
            # a kernelware made the hypercall itself (outl to the port, or a
            # jump into locore) with garbage state, or overwrote kernel memory
            what = e.why or ("no such hypercall" if e.addr is None else
                             f"no trap frame at {e.addr:#x}")
            self._kill_broken(p, f"hypercall {value} ({what})", abi.NBSD_SIGSEGV)
        elif isinstance(e, Fault):
            self._exit(p, abi.w_termsig(abi.NBSD_SIGSEGV, core=True))
        elif isinstance(e, (MemoryError, KernelPanic)) or not isinstance(e, Exception):
            raise e
        elif p is None or not p.kernelware:
            raise KernelPanic(f"hypercall {value}: {type(e).__name__}: {e}") from e
        else:
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
        if p is self.initial:
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
        self.modules.after_repair()             # the kwhook IDT entries, if loaded
        if self.cur is not None and self.cur.vm is not None:
            self.m.set_cr(3, self.cur.vm.pdir)
            self.m.flush_tlb()

    def _check_signals(self, p, fesp=None):
        """Act on the pending signals of p's current LWP, its own
        (_lwp_kill, traps) first, then the process's, at a return to it
        (fesp: its frame, for handlers); masked ones and deferred handlers
        stay pending."""
        l = p.l
        if not p.siglist and not l.siglist:
            return
        for lwp_list in (True, False):
            owner = l if lwp_list else p
            pending, owner.siglist, keep = owner.siglist, [], []
            for sig in pending:
                if l.sigmask & abi.sigbit(sig) and sig not in (abi.NBSD_SIGKILL,
                                                                abi.NBSD_SIGSTOP):
                    keep.append(sig)
                    continue
                # its siginfo (sigqueue, a POSIX timer, kill): proc.take_siginfo
                raw = None if lwp_list else p.siginfo.get(sig)
                if lwp_list:                    # only _lwp_kill, within the process
                    from kw86.nbsd.syscalls.ptimer import SI_LWP
                    info = dict(code=SI_LWP, pid=p.pid, uid=p.cred.euid)
                else:
                    info = {} if raw is None else p.take_siginfo(sig)
                act = p.sigacts.get(sig)
                if act is not None and act[0] == abi.NBSD_SIG_IGN:
                    continue
                if act is not None and act[0] != abi.NBSD_SIG_DFL:
                    moved = fesp is not None and self._sendsig(p, fesp, sig, **info)
                    if not moved:
                        keep.append(sig)
                        if raw is not None:
                            p.siginfo[sig] = raw
                    elif moved is not True:
                        # a kernelware's short frame now lies below this
                        # handler's frame: the next handler's goes below that
                        # (from the stale frame it overwrote the first one)
                        fesp = moved
                    continue
                if sig in SIG_KILL:
                    owner.siglist = keep + owner.siglist
                    self._kill(p, sig)
                if sig in SIG_STOP and not p.stopped:
                    self._stop(p, sig)
            owner.siglist = keep + owner.siglist
        if l.oldmask is not None and l.blocked is None:
            p.sigmask, l.oldmask = l.oldmask, None     # sigsuspend ended, no handler ran

    def _stop(self, p, sig):
        """Stop p, every LWP of it (the caller switches away when it sees
        p.stopped): the parent hears of it by SIGCHLD (unless SA_NOCLDSTOP)
        and wait4."""
        p.stopped, p.stopsig, p.stop_reported = True, sig, False
        p.cont_reported = True                  # (a continue before it is stale)
        for l in p.lwps.values():
            if l.state == "run":
                l.state = "stop"
                if l in self.runq:
                    self.runq.remove(l)
        parent = self.sys.procs.get(p.ppid)
        if parent is not None and parent.state != "zomb":
            act = parent.sigacts.get(abi.NBSD_SIGCHLD)
            if act is None or not act[2] & abi.NBSD_SA_NOCLDSTOP:
                # siginfo: CLD_STOPPED (5), the child, its uid, the stop signal
                parent.post_signal(abi.NBSD_SIGCHLD, (5, p.pid, p.cred.ruid, sig, None))
        wakeup(("wait", p.ppid))

    def _continue(self, p, sig=abi.NBSD_SIGCONT):
        """SIGCONT (or SIGKILL) for a stopped p: its LWPs are runnable
        again; a call one slept in restarts (its frame was backed up).
        SIGCONT tells the parent: wait4's WCONTINUED and a SIGCHLD with
        CLD_CONTINUED, si_status SIGCONT, unless its SIGCHLD action has
        SA_NOCLDSTOP (sigaction(2): then SIGCHLD comes only for a child
        that exits; POSIX: not "when stopped children continue")."""
        p.stopped = False
        p.cont_reported = sig != abi.NBSD_SIGCONT
        parent = self.sys.procs.get(p.ppid)
        if sig == abi.NBSD_SIGCONT and parent is not None and parent.state != "zomb":
            act = parent.sigacts.get(abi.NBSD_SIGCHLD)
            if act is None or not act[2] & abi.NBSD_SA_NOCLDSTOP:
                # siginfo: CLD_CONTINUED (6), the child, its uid, SIGCONT
                parent.post_signal(abi.NBSD_SIGCHLD, (6, p.pid, p.cred.ruid, sig, None))
        for l in p.lwps.values():
            if l.state in ("stop", "sleep"):
                l.state = "sleep"               # so that _setrun queues it
                self._setrun(l)
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
        # tables -> EAGAIN, as uvm_fork failing does; never a host MemoryError
        need = 8 + len(p.vm.ptables if p.vm is not None else ())
        if self.boot.frames.nfree() < need:
            raise Errno(abi.EAGAIN)
        pid = self.alloc_id()
        c = Proc(self.sys, kernel=self, pid=pid, ppid=p.pid, comm=p.comm, cred=p.cred.copy(),
                    cwd=list(p.cwd), root=list(p.root), fdt=p.fdt.fork(), umask=p.umask)
        c.pgid, c.sid, c.login = p.pgid, p.sid, p.login
        c.exec_path = p.exec_path               # p_path (/proc/<pid>/exe)
        c.sigacts = dict(p.sigacts)
        # the child's one LWP is a copy of the calling LWP (lid 1)
        pl, cl = p.l, c.l
        cl.sigmask = pl.sigmask
        cl.sigstk = pl.sigstk
        c.kernelware = p.kernelware             # the emulation and its mode are inherited
        c.emul = p.emul
        c.rlimits = {k: list(v) for k, v in p.rlimits.items()}
        cl.tls_base = pl.tls_base               # the child's LWP inherits its TCB
        cl.fs_base = pl.fs_base
        cl.name = pl.name
        self.fpu.fork(pl, cl)                   # the FPU state is copied
        cl.state = "new"
        self.sys.procs[pid] = c
        p.fork_child = c
        kq = kqueue_loaded()
        if kq is not None:
            kq.knote_proc_fork(p, c)            # EVFILT_PROC NOTE_FORK
        if p.ksems:                             # (only after a _ksem_* call)
            _ksem().fork(p, c)                  # semaphore ids are inherited
        if hasattr(p, "sched_params"):          # and the scheduling class and priority
            c.sched_params = p.sched_params     # (NetBSD: the child's LWP gets its parent's)
        return pid

    def _finish_fork(self, p, fesp):
        c, p.fork_child = p.fork_child, None
        try:
            c.vm = p.vm.copy()
            ipc = _sysvipc(self.sys)
            if ipc is not None:
                ipc.vm_fork(self.sys.sysvipc, p.vm, c.vm)   # shm attachments inherited
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
            tf.eax, tf.edx = 0, 1
            tf.eflags &= ~abi.PSL_C
            self.boot.write_frame(cfesp, tf)
        else:                                   # a kernelware's short frame, user stack
            cfesp = fesp
            c.vm.write(fesp + 40, b"\0\0\0\0")           # tf_eax
            c.vm.write(fesp + 32, b"\1\0\0\0")           # tf_edx
            fl = int.from_bytes(c.vm.read(fesp + 60, 4), "little") & ~abi.PSL_C
            c.vm.write(fesp + 60, fl.to_bytes(4, "little"))
        c.l.saved_esp = cfesp
        c.l.state = "sleep"
        self._setrun(c.l)

    def alloc_id(self):
        """A free id of the pid space: processes and LWPs share it (NetBSD
        10's pid table: proc_alloc_pid, proc_alloc_lwpid)."""
        pid = self.next_pid
        while pid in self.sys.procs or pid in self.lwp_ids:
            pid += 1
        self.next_pid = pid + 1
        return pid

    def _vfork_done(self, p):
        """A vfork child exec'd or exited: its parent may run again."""
        if p.vfork_parent is not None:
            p.vfork_parent = None
            wakeup(("vfork", p.pid))

    def _exit(self, p, status, switch=True):
        """The process ends: every LWP with it."""
        p.zombie = True
        for l in p.lwps.values():
            if l in self.runq:
                self.runq.remove(l)
            self.fpu.exit(l)
            if l.lid != p.pid:
                self.lwp_ids.discard(l.lid)     # (the pid stays until the reap)
        self.timer_procs.discard(p)
        if p.ptimers:
            _ptimer().clear(p)                  # POSIX timers
        if p.ksems:
            _ksem().clear(p)                    # POSIX semaphores (_ksem_*)
        self._vfork_done(p)
        p.status = status
        p.fdt.close_all()
        kq = kqueue_loaded()
        if kq is not None:
            kq.knote_proc_exit(p, status)       # EVFILT_PROC NOTE_EXIT (data: wait status)
        ipc = _sysvipc(self.sys)
        if ipc is not None:
            ipc.proc_exit(self.sys.sysvipc, p)          # SEM_UNDO applied
            if p.vm is not None:
                ipc.vm_gone(self.sys.sysvipc, p, p.vm)  # shm detached
        if p.vm is not None:
            p.vm.free()
            p.vm = None
        for c in list(self.sys.procs.values()):
            if c.ppid == p.pid and c is not p:
                c.ppid = 1                      # orphans go to init, which reaps them
                if c.zombie and self.initproc is not None:
                    self._autoreap(c)
        parent = self.sys.procs.get(p.ppid)
        if parent is not None and parent is self.initproc:
            self._autoreap(p)                   # init's wait loop
        elif parent is not None and parent.state != "zomb":
            act = parent.sigacts.get(abi.NBSD_SIGCHLD)
            if act is not None and (act[0] == abi.NBSD_SIG_IGN or act[2] & abi.NBSD_SA_NOCLDWAIT):
                # NetBSD's PS_NOCLDWAIT (SA_NOCLDWAIT, or SIGCHLD ignored):
                # the child leaves no zombie and its parent no SIGCHLD; a
                # wait(2) sleeps until no child is left, then ECHILD
                self._autoreap(p)
            else:
                # siginfo: CLD_EXITED (1) with the exit code, CLD_KILLED (2) or
                # CLD_DUMPED (3) with the signal; the child and its uid
                code, val = self._cld_info(status)
                parent.post_signal(abi.NBSD_SIGCHLD, (code, p.pid, p.cred.ruid, val, None))
        wakeup(("wait", p.ppid))
        if p is self.initial or (self.initial is None and p.pid == 1):
            self.final_status = status
            self.m.stop()
            return
        if switch and self.cur is p:
            self._switch_away(p.l, None)

    def _autoreap(self, c):
        """An exited child nobody will wait for is gone at once (its kernel
        stacks freed at the next switch: the CPU may still be on one)."""
        self.sys.procs.pop(c.pid, None)
        self.lwp_ids.difference_update(c.lwps)
        for l in c.lwps.values():
            if l.kstack is not None:
                self.dead_kstacks.append(l.kstack)
                l.kstack = None

    def _wait_match(self, p, c, idtype, id_):
        """Whether child c is one wait6's (idtype, id) selects (NetBSD 10's
        match_process: P_ALL, P_PID, P_PGID (id 0: the caller's group, as
        WAIT_MYPGRP), P_SID, P_UID and P_GID (effective ids); any other
        idtype, P_LWPID among them, selects no child)."""
        if idtype == abi.NBSD_P_ALL:
            return True
        if idtype == abi.NBSD_P_PID:
            return c.pid == id_
        if idtype == abi.NBSD_P_PGID:
            return c.pgid == (id_ or p.pgid)
        if idtype == abi.NBSD_P_SID:
            return c.sid == id_
        if idtype == abi.NBSD_P_UID:
            return c.cred.euid == id_ & 0xffffffff
        if idtype == abi.NBSD_P_GID:
            return c.cred.egid == id_ & 0xffffffff
        return False

    def wait6(self, p, idtype, id_, options, ru=None):
        """The one wait of wait4 and wait6: -> (pid, status, (si_code, si_uid,
        si_status)) of the first selected child with something to report,
        (0, 0, None) for WNOHANG; may sleep.  A zombie (WEXITED) is reaped
        unless WNOWAIT; a stop (WUNTRACED) or continue (WCONTINUED) is
        reported once unless WNOWAIT.  ru (a list) gets ((user us, system us)
        of the child, its reaped children's included as NetBSD's exit1 adds
        them up; (user us, system us) of its reaped children): wrusage's
        wru_self and wru_children."""
        if options & ~abi.NBSD_WALLOPTS or not options & abi.NBSD_WSELECTOPTS:
            raise Errno(abi.EINVAL)
        kids = [c for c in self.sys.procs.values()
                if c.ppid == p.pid and c is not p and self._wait_match(p, c, idtype, id_)]
        if not kids:
            raise Errno(abi.ECHILD)
        keep = options & abi.NBSD_WNOWAIT
        for c in kids:
            if c.state == "zomb":
                if not options & abi.NBSD_WEXITED or options & abi.NBSD_WNOZOMBIE:
                    continue
                ca = rusage.acct(c)
                kids_t = (ca.child_ut_us, ca.child_st_us)
                if keep:
                    own = rusage.calcru(c, c.kernel)
                    t = (own[0] + kids_t[0], own[1] + kids_t[1])
                else:
                    p.child_cpu_ns += c.cpu_ns + c.child_cpu_ns
                    t = rusage.reap(p, c)
                    del self.sys.procs[c.pid]
                    self.lwp_ids.difference_update(c.lwps)
                    for l in c.lwps.values():
                        if l.kstack is not None:
                            self.boot.free_kstack(l.kstack)
                            l.kstack = None
                if ru is not None:
                    ru.append((t, kids_t))
                return c.pid, c.status, self._cld_info(c.status) + (c.cred.ruid,)
            if options & abi.NBSD_WUNTRACED and c.stopped and not c.stop_reported:
                if not keep:
                    c.stop_reported = True
                st, si = abi.w_stopcode(c.stopsig), (abi.NBSD_CLD_STOPPED, c.stopsig)
            elif options & abi.NBSD_WCONTINUED and not c.stopped and not c.cont_reported:
                if not keep:
                    c.cont_reported = True
                st, si = 0xffff, (abi.NBSD_CLD_CONTINUED, abi.NBSD_SIGCONT)   # WIFCONTINUED
            else:
                continue
            if ru is not None:                  # a live child: its times so far
                ca = rusage.acct(c)
                ru.append((rusage.calcru(c, c.kernel), (ca.child_ut_us, ca.child_st_us)))
            return c.pid, st, si + (c.cred.ruid,)
        if options & abi.NBSD_WNOHANG:
            return 0, 0, None
        raise WouldBlock(("wait", p.pid))

    @staticmethod
    def _cld_info(status):
        """(si_code, si_status) of an exit status: CLD_EXITED with the exit
        code, CLD_KILLED or CLD_DUMPED with the signal."""
        if status & 0x7f == 0:
            return abi.NBSD_CLD_EXITED, (status >> 8) & 0xff
        return (abi.NBSD_CLD_DUMPED if status & 0x80 else abi.NBSD_CLD_KILLED), status & 0x7f

    def execve(self, p, path, argv, envp, host_image=None):
        """execve(2) from a running process: replace its image and frame
        (host_image: the program's bytes, read already: fexecve)."""
        fesp = p.frame_esp
        tf = self.boot.read_frame(fesp)
        try:
            self.exec(p, path, argv, envp, host_image)
        except ExecAbort:
            raise Exit(abi.w_termsig(abi.NBSD_SIGABRT)) from None    # NetBSD's exec_abort
        except ExecError as e:
            raise Errno(e.errno) from None
        kq = kqueue_loaded()
        if kq is not None:
            kq.knote_proc_exec(p)               # EVFILT_PROC NOTE_EXEC
        r = p.regs0
        for k in ("eax", "ecx", "edx", "ebx", "esi", "edi", "ebp"):
            setattr(tf, k, r[k])
        if tf.gate or tf.short:                 # leave by gate_exit: [eflags][eip] on the stack
            p.emul.exec_frame(p, tf, r)
            if tf.short:
                # a kernelware's own int $0x80 at CPL 0 (Go's runtime): its
                # short frame lay on the old image's stack; the new image
                # leaves from a gate frame on the kernel stack (as 511 does)
                from kw86.nbsd.frame import TF_SIZE
                from kw86.nbsd.kconst import T_KW86_GATE
                tf.update(trapno=T_KW86_GATE, err=0, eip=0)
                tf.short = False
                fesp = p.kstack - TF_SIZE
                self.m.set_reg("esp", fesp)
                p.frame_esp = fesp
        else:
            tf.update(trapno=abi.T_ASTFLT, eip=r["eip"], esp=r["esp"], cs=r["cs"], ss=r["ss"],
                      ds=r["ds"], es=r["es"], fs=r["fs"], gs=r["gs"], eflags=r["eflags"])
            tf.short = False
        self.boot.write_frame(fesp, tf)
        for sig, act in list(p.sigacts.items()):
            if act[0] != abi.NBSD_SIG_IGN:
                del p.sigacts[sig]              # caught signals revert to default
        p.sigstk = None                         # and the alternate stack is gone
        if p.ptimers:
            _ptimer().clear(p)                  # POSIX timers are deleted (not setitimer's)
        if p.ksems:
            _ksem().clear(p)                    # and semaphores closed
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
        # _signal and _thread, not signal and threading: their enums and
        # classes cost every start-up 2 ms of imports (issue 12)
        import _signal as signal
        import _thread
        rfd, wfd = os.pipe()
        os.set_blocking(wfd, False)
        done = []
        try:
            old_fd = signal.set_wakeup_fd(wfd)    # ValueError outside the main thread
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
        ended = _thread.allocate_lock()
        ended.acquire()                         # released as the watcher ends

        def watcher():
            try:
                watch()
            finally:
                ended.release()
        _thread.start_new_thread(watcher, ())

        def restore():
            done.append(1)
            try:
                os.write(wfd, b"\0")       # wake the watcher now, not at its next timeout
            except OSError:
                pass
            ended.acquire()                     # the watcher has ended
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
            lead = self.initial              # the terminal's foreground group: the program's
            pg = lead.pgid if lead is not None else 1
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
        """Run until the program spawn started exits; returns its wait status."""
        p = self.cur
        rusage.switch(self, p)
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

    def modload(self, *names):
        """Load modules (module.py) unless loaded: the boot-time modload."""
        for name in names:
            if not self.modules[name].loaded:
                self.modules.load(name)

    def kwhook_ast(self, vec):
        """The kwhook stub marked this interrupt (vector vec): a kernelware
        was interrupted (the paper's test, made in guest code)."""
        return self.modules["kwhook"].take_ast(vec)

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
