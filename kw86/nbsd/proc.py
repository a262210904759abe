"""The process: one class, every field declared here (NetBSD's struct proc
and its one struct lwp, as far as kw86 models them).

The system calls see a Proc; the kernel (kernel.py) creates them with
`kernel=` set, which gives the process a kernel stack, user memory through
the guest page tables and an address space (p.vm, set by exec).  Without a
kernel (the CPU-less tests, tests/nbsd_env.py) the machine-bound fields
stay None and the calls that need them answer ENOSYS.

No code may add an attribute that is not declared in __init__
(tests/test_nbsd_syscall_table.py checks it after running programs).
"""
from kw86.nbsd import abi
from kw86.nbsd.file import FdTable
from kw86.nbsd import kqueue
from kw86.nbsd.vfs import Cred

# default actions (NetBSD sigprop): SA_KILL terminates, SA_CORE adds the core flag
SIG_KILL = frozenset({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 30,
                      31, 32})
SIG_CORE = frozenset({3, 4, 5, 6, 7, 8, 10, 11, 12, 24, 25})
SIG_STOP = frozenset({abi.NBSD_SIGSTOP, abi.NBSD_SIGTSTP, abi.NBSD_SIGTTIN, abi.NBSD_SIGTTOU})

ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF = 0, 1, 2


class Proc:

    def __init__(self, system, pid=1, ppid=0, cred=None, mem=None, comm="init",
                 cwd=None, root=None, fdt=None, umask=0o022, kernel=None):
        self.sys = system
        self.kernel = kernel            # the Kernel (None: no machine, table-only tests)
        # -- identity, credentials, files (the calls that need no CPU) --
        self.pid = pid
        self.ppid = ppid
        self.pgid = pid
        self.sid = pid
        self.comm = comm
        self.exec_path = None           # p_path: the executable's guest path (procfs exe)
        self.cred = cred or Cred(0, 0)
        self.login = b"root"
        self.root = root or system.vfs.root_stack()     # namei stacks: .root, .cwd, .cred
        self.cwd = cwd or list(self.root)
        self.fdt = fdt or FdTable()
        self.umask = umask
        self.rlimits = {
            abi.NBSD_RLIMIT_NOFILE: [abi.OPEN_MAX, 3404],
            abi.NBSD_RLIMIT_STACK: [abi.DFLSSIZ, abi.MAXSSIZ],
        }
        self.nice = 0                   # getpriority/setpriority (PRIO_PROCESS)
        # -- signals --
        self.siglist = []               # posted, not yet acted on
        self.sigacts = {}               # sig -> (handler, mask, flags, trampoline)
        self.sigmask = 0
        self.oldmask = None             # sigsuspend: the mask to restore
        self.sigstk = None              # sigaltstack: (ss_sp, ss_size, ss_flags) or None
        self.sigcode = 0                # where the 1.x signal trampoline is mapped (0: not yet)
        # -- the one LWP --
        self.lwpid = 1
        self.lwp_name = b""
        self.lwp_unparked = False
        self.lwpctl_va = 0
        self.tls_base = 0               # %gs base (_lwp_setprivate, I386_SET_GSBASE)
        self.fs_base = 0                # %fs base (I386_SET_FSBASE)
        self.fpu_save = None            # FNSAVE image while another owns the FPU (fpu.py)
        self.fpu_cw = 0x037F            # the control word exec chose (__NetBSD_NPXCW__)
        # -- time --
        self.cpu_ns = 0                 # charged a tick at each timer interrupt it takes
        self.child_cpu_ns = 0           # of reaped children
        self.itimers = {}               # which -> [next expiry (ns), interval (ns)]
        # -- the machine side (kernel.py) --
        self.mem = mem
        self.vm = None                  # the address space (kernel.VM)
        self.kstack = None              # top of its kernel stack (kernel VA)
        self.kernelware = False         # runs at CPL 0 with call-gate system calls
        self.emul = None                # the emulation (emul.py): its system-call table
        self.kw_switches = 0            # 510/511 mode switches (kernelware.py)
        self.regs0 = None               # initial registers of the image exec loaded
        # -- scheduling and sleep --
        self.state = "run"              # new, run, sleep, stop, zomb
        self.wchans = ()                # what a sleeper waits on
        self.deadline = None            # a sleep's timeout (guest cycles)
        self.poll_timedout = False      # the timed sleep ended by its timeout
        self.timed_start = None         # [call key, deadline ns or None, interrupted]: poll.py
        self.saved_esp = None           # where a switched-out process is parked
        self.frame_esp = None           # the trap frame of the call in progress
        self.want_resched = False
        self.ticks = 0                  # of the current quantum
        self.blocked = None             # (frame, gate return) of a sleeping call
        self.wpartial = None            # (call key, bytes written) of a blocked write
        self.fifo_wait = None           # the FIFO an open sleeps on (syscalls/fs.py)
        # -- life --
        self.status = None              # wait status once a zombie
        self.stopped = False            # job control: stopped by stopsig
        self.stopsig = 0
        self.stop_reported = self.cont_reported = True      # wait4 WUNTRACED/WCONTINUED
        self.fork_child = None          # the child of a fork in progress
        self.vforking = False           # in __vfork14: sleep once the child exists
        self.vfork_parent = None        # the vfork parent waiting for our exec/exit
        if kernel is not None:
            from kw86.nbsd.usermem import MachineUserMem
            self.kstack = kernel.boot.new_kstack()
            self.mem = MachineUserMem(kernel.m, fault=self._fault, charge=kernel.charge_copy)

    def _fault(self, va, write):
        """The kernel's copyin/copyout touched a page not yet backed."""
        try:
            return self.vm is not None and self.vm.fault(va, write)
        except MemoryError:
            raise abi_errno(abi.ENOMEM) from None

    def post_signal(self, sig):
        """psignal(): queue sig; with a kernel, the job-control rules and
        the end of an interruptible sleep (NetBSD kpsignal2)."""
        kqueue.knote_signal(self, sig)          # EVFILT_SIGNAL counts every post
        self.siglist.append(sig)
        k = self.kernel
        if k is None:
            return
        # SIGCONT discards pending stops and continues a stopped process
        # (even if SIGCONT is caught or masked); a stop discards a pending SIGCONT
        if sig == abi.NBSD_SIGCONT:
            self.siglist = [s for s in self.siglist if s not in SIG_STOP]
            act = self.sigacts.get(sig)
            if act is None or act[0] in (abi.NBSD_SIG_DFL, abi.NBSD_SIG_IGN):
                self.siglist = [s for s in self.siglist if s != sig]   # its action is done
            if self.stopped:
                k._continue(self)
            return
        if sig in SIG_STOP:
            self.siglist = [s for s in self.siglist if s != abi.NBSD_SIGCONT]
        if self.stopped:
            if sig == abi.NBSD_SIGKILL:
                k._continue(self)               # to die
            return
        if self.state != "sleep":
            return
        if self.sigmask & abi.sigbit(sig) and sig != abi.NBSD_SIGKILL:
            return                              # stays pending
        act = self.sigacts.get(sig)
        handler = abi.NBSD_SIG_DFL if act is None else act[0]
        if handler == abi.NBSD_SIG_DFL:
            if sig in SIG_KILL or sig in SIG_STOP:
                k._setrun(self)                 # a fatal or stop signal ends the sleep
            return
        if handler == abi.NBSD_SIG_IGN:
            return
        # A caught signal ends the sleep (tsleep with PCATCH): the call
        # returns EINTR after the handler, or is restarted with SA_RESTART;
        # a write that already moved data returns its count; sigsuspend
        # always returns EINTR.
        # poll, select, nanosleep, _lwp_park (a timed sleep, syscalls/poll.py)
        # are never restarted: the call itself runs again and returns EINTR.
        if self.timed_start is not None:
            self.timed_start[2] = True
        elif self.blocked is not None:
            from kw86.nbsd import trap
            from kw86.nbsd.errors import Fault
            try:
                wp = self.wpartial
                if wp is not None and wp[1]:
                    self.wpartial = None
                    trap.interrupt(self, wp[1])
                elif not act[2] & abi.NBSD_SA_RESTART or self.oldmask is not None:
                    self.wpartial = None
                    trap.interrupt(self)
            except Fault:
                # its frame is gone (a kernelware overwrote kernel memory)
                self.siglist.append(abi.NBSD_SIGKILL)
        k._setrun(self)

    def __repr__(self):
        return f"<Proc {self.pid} {self.comm}>"


def abi_errno(e):
    from kw86.nbsd.errors import Errno
    return Errno(e)
