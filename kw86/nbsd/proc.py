"""The process and its LWPs: Proc (NetBSD's struct proc) and Lwp (struct
lwp), every field declared in their __init__ (Lwp: __slots__).

Why two classes and how the rest of the kernel sees them: a Proc holds
what the process shares (pid, credentials, files, address space, signal
actions, process-directed pending signals, interval timers, the exit
status); an Lwp what each thread of it has alone (lid, kernel stack, where
it is parked, run state and wait channels, its blocked call, signal mask,
sigaltstack, LWP-directed pending signals, TLS bases, FPU save area, name,
park state).  The scheduler (sched.py) runs Lwps.  The system-call
handlers keep receiving the Proc: p.l is the process's current LWP (the
one running, or the one the kernel acts for: NetBSD's curlwp), and the
per-LWP fields the handlers touch (p.sigmask, p.frame_esp, p.blocked ...)
are properties of Proc that read and write p.l's.  So the handlers of a
one-LWP world keep working unchanged, and the hot path (getpid) reads
only process fields (p.emul, p.mem, p.fork_child, p.siglist,
p.want_resched): no indirection is added to it.  The scheduler, the
signal code and the LWP calls (syscalls/lwp.py) work on Lwp objects.

The kernel (kernel.py) creates Procs with `kernel=` set, which gives the
first LWP a kernel stack and the process user memory through the guest
page tables and an address space (p.vm, set by exec).  Without a kernel
(the CPU-less tests, tests/nbsd_env.py) the machine-bound fields stay None
and the calls that need them answer ENOSYS.

No code may add an attribute that is not declared in __init__
(tests/test_nbsd_syscall_table.py checks it after running programs).
"""
import itertools
import sys

from kw86.nbsd import abi
from kw86.nbsd.file import FdTable
from kw86.nbsd.vfs import Cred


def kqueue_loaded():
    """kw86.nbsd.kqueue once a kqueue or kevent call imported it, else None:
    no knote exists before that, so its hooks (knote_*) have nothing to do,
    and a run that makes no such call never imports it (start-up time)."""
    return sys.modules.get("kw86.nbsd.kqueue")


# default actions (NetBSD sigprop): SA_KILL terminates, SA_CORE adds the core flag
SIG_KILL = frozenset({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 30,
                      31, 32})
SIG_CORE = frozenset({3, 4, 5, 6, 7, 8, 10, 11, 12, 24, 25})
SIG_STOP = frozenset({abi.NBSD_SIGSTOP, abi.NBSD_SIGTSTP, abi.NBSD_SIGTTIN, abi.NBSD_SIGTTOU})

ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF = 0, 1, 2


_seq = itertools.count()        # Proc and Lwp creation order

_LWP_FIELDS = ("lid", "kstack", "wchans", "deadline", "poll_timedout", "timed_start",
               "saved_esp", "frame_esp", "ticks", "blocked", "wpartial", "fifo_wait",
               "oldmask", "sigstk", "tls_base", "fs_base", "fpu_save", "fpu_cw")


class Lwp:
    """One LWP (thread) of a process: what the scheduler runs."""

    __slots__ = ("proc", "lid", "kstack", "state", "wchans", "deadline", "poll_timedout",
                 "timed_start", "saved_esp", "frame_esp", "ticks", "blocked", "wpartial",
                 "fifo_wait", "sigmask", "oldmask", "sigstk", "siglist", "tls_base", "fs_base",
                 "fpu_save", "fpu_cw", "name", "unparked", "lwpctl_va", "detached",
                 "suspended", "waiter", "seq", "sleep_gen", "kcont", "spawn_wait",
                 "sched_class", "sched_pri",
                 "__weakref__")

    def __init__(self, proc, lid, kstack=None):
        self.proc = proc
        self.lid = lid
        self.seq = next(_seq)           # creation order (sched.py: the order wakeups queue LWPs)
        self.sleep_gen = 0              # which sleep its sleep-queue entries belong to (sched.py)
        self.kstack = kstack            # top of its kernel stack (kernel VA)
        # -- scheduling and sleep --
        self.state = "run"              # new, run, sleep, stop, susp, zomb
        self.wchans = ()                # what a sleeper waits on
        self.deadline = None            # a sleep's timeout (guest cycles)
        self.poll_timedout = False      # the timed sleep ended by its timeout
        self.timed_start = None         # [call key, deadline ns or None, interrupted]: poll.py
        self.saved_esp = None           # where a switched-out LWP is parked
        self.frame_esp = None           # the trap frame of the call in progress
        self.ticks = 0                  # of the current quantum
        self.blocked = None             # (frame, gate return) of a sleeping call
        self.wpartial = None            # (call key, bytes written) of a blocked write
        self.fifo_wait = None           # the FIFO an open sleeps on (syscalls/fs.py)
        # -- signals --
        self.sigmask = 0
        self.oldmask = None             # sigsuspend: the mask to restore
        self.sigstk = None              # sigaltstack: (ss_sp, ss_size, ss_flags) or None
        self.siglist = []               # LWP-directed signals (_lwp_kill, traps)
        # -- TLS, FPU --
        self.tls_base = 0               # %gs base (_lwp_setprivate, I386_SET_GSBASE)
        self.fs_base = 0                # %fs base (I386_SET_FSBASE)
        self.fpu_save = None            # FNSAVE image while another owns the FPU (fpu.py)
        self.fpu_cw = 0x037F            # the control word exec chose (__NetBSD_NPXCW__)
        # -- the LWP calls (syscalls/lwp.py) --
        self.name = b""
        self.unparked = False           # an _lwp_unpark came before the park
        self.lwpctl_va = 0
        self.detached = False           # LWP_DETACHED: nobody waits for it
        self.suspended = False          # _lwp_suspend
        self.waiter = None              # the LWP sleeping in _lwp_wait for this one
        # -- posix_spawn (syscalls/spawn.py) --
        self.kcont = None               # a spawned child's kernel part still to run (sched.py)
        self.spawn_wait = None          # the spawn a parent waits for (no signal ends it)
        # -- the scheduling class and priority (sched.py): a new LWP of a
        # process has its creator's (NetBSD's lwp_create); SCHED_OTHER 0 --
        creator = getattr(proc, "l", None)
        self.sched_class = 0 if creator is None else creator.sched_class
        self.sched_pri = 0 if creator is None else creator.sched_pri

    def __repr__(self):
        return f"<Lwp {self.proc.pid}.{self.lid} {self.state}>"


def _lwp_field(name):
    return property(lambda p: getattr(p.l, name), lambda p, v: setattr(p.l, name, v),
                    doc=f"the current LWP's {name}")


class Proc:

    def __init__(self, system, pid=1, ppid=0, cred=None, mem=None, comm="init",
                 cwd=None, root=None, fdt=None, umask=0o022, kernel=None):
        self.sys = system
        self.kernel = kernel            # the Kernel (None: no machine, table-only tests)
        self.seq = next(_seq)           # creation order: sys.procs's order (sched.py)
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
        self.fdt = fdt or FdTable(nfiles=getattr(system, "nfiles", None))
        self.umask = umask
        self.rlimits = {
            abi.NBSD_RLIMIT_NOFILE: [abi.OPEN_MAX, 3404],
            abi.NBSD_RLIMIT_STACK: [abi.DFLSSIZ, abi.MAXSSIZ],
        }
        self.nice = 0                   # getpriority/setpriority (PRIO_PROCESS)
        # -- signals --
        self.siglist = []               # process-directed, posted, not yet acted on
        self.sigacts = {}               # sig -> (handler, mask, flags, trampoline)
        self.sigcode = 0                # where the 1.x signal trampoline is mapped (0: not yet)
        self.siginfo = {}               # sig -> (si_code, pid, uid, value, timer) of a pending one
        self.ptimers = {}               # POSIX timers: id -> syscalls/ptimer.Timer
        self.ksems = {}                 # POSIX semaphore ids: id -> syscalls/ksem.Sem
        # -- the LWPs --
        # the first LWP's id is the pid; others come from the pid space
        # (NetBSD 10's proc_alloc_lwpid)
        self.l = Lwp(self, pid)         # the current LWP (curlwp)
        self.lwps = {pid: self.l}       # lid -> Lwp (zombies until _lwp_wait reaps them)
        # -- time --
        self.cpu_ns = 0                 # charged a tick at each timer interrupt it takes
        self.child_cpu_ns = 0           # of reaped children
        self.ru_acct = None             # run time and mode ticks (rusage.py)
        self.itimers = {}               # which -> [next expiry (ns), interval (ns)]
        # -- the machine side (kernel.py) --
        self.mem = mem
        self.vm = None                  # the address space (kernel.VM)
        self.kernelware = False         # runs at CPL 0 with call-gate system calls
        self.df_unresolved = None       # (eip, cr2) of a double fault with nothing to back
        self.emul = None                # the emulation (emul.py): its system-call table
        self.kw_switches = 0            # 510/511 mode switches (kernelware.py)
        self.regs0 = None               # initial registers of the image exec loaded
        self.exec_path = None           # p_path: the image's path (vfs/procfs.py)
        # -- scheduling --
        self.zombie = False             # exited (the wait status is in .status)
        self.want_resched = False       # the current LWP yields at its return
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
            self.l.kstack = kernel.boot.new_kstack()
            self.mem = MachineUserMem(kernel.m, fault=self._fault, charge=kernel.charge_copy)

    # the current LWP's fields, for the handlers (see the module's docstring)
    for _n in _LWP_FIELDS:
        locals()[_n] = _lwp_field(_n)
    del _n

    @property
    def sigmask(self):
        return self.l.sigmask

    @sigmask.setter
    def sigmask(self, v):
        l = self.l
        added = v & ~l.sigmask
        l.sigmask = v
        if added and self.siglist and self.kernel is not None:
            # it blocks a pending process-directed signal now: another LWP
            # that does not must take it (NetBSD keeps it on the process)
            self.reroute_signals(added)
        if l.siglist:
            # an LWP-directed signal may be deliverable now: through userret
            # (the fast path looks at the process's list only)
            self.want_resched = True

    @property
    def sched_params(self):
        """(class, priority) of the current LWP (fork: the child's LWP gets
        them); set: every LWP's, before they run (posix_spawn's child)."""
        return self.l.sched_class, self.l.sched_pri

    @sched_params.setter
    def sched_params(self, v):
        for l in self.lwps.values():
            l.sched_class, l.sched_pri = v

    @property
    def lwpid(self):
        return self.l.lid

    @property
    def state(self):
        """zomb for an exited process, else its current LWP's state."""
        return "zomb" if self.zombie else self.l.state

    @state.setter
    def state(self, v):
        if v == "zomb":
            self.zombie = True
        else:
            self.l.state = v

    def live_lwps(self):
        return [l for l in self.lwps.values() if l.state != "zomb"]

    def _fault(self, va, write):
        """The kernel's copyin/copyout touched a page not yet backed."""
        try:
            return self.vm is not None and self.vm.fault(va, write)
        except MemoryError:
            raise abi_errno(abi.ENOMEM) from None

    def post_signal(self, sig, info=None):
        """psignal(): a process-directed signal.  Pending on the process
        once (a signal posted again while pending is merged, as NetBSD's
        sigput does; its newest siginfo, info = (si_code, si_pid, si_uid,
        si_value, POSIX timer or None), replaces the older); any LWP that
        does not mask it takes it at its next return to user mode.  With a
        kernel, the job-control rules (NetBSD kpsignal2), and if no LWP
        that takes it is running or runnable, one asleep in an
        interruptible sleep is woken (the current LWP is preferred); an LWP
        in sigtimedwait looks again."""
        kq = kqueue_loaded()
        if kq is not None:
            kq.knote_signal(self, sig)          # EVFILT_SIGNAL counts every post
        if sig not in self.siglist:
            self.siglist.append(sig)
            self.siginfo.pop(sig, None)         # of one that left the list otherwise
        if info is not None:
            self.siginfo[sig] = info
        k = self.kernel
        if k is None:
            return
        if self._wake_sigwaiters(sig, self.lwps.values()):
            return                              # an LWP in sigtimedwait takes it
        # SIGCONT discards pending stops and continues a stopped process
        # (even if SIGCONT is caught or masked); a stop discards a pending SIGCONT
        if sig == abi.NBSD_SIGCONT:
            self.siglist = [s for s in self.siglist if s not in SIG_STOP]
            act = self.sigacts.get(sig)
            handler = abi.NBSD_SIG_DFL if act is None else act[0]
            # ignored, or the default action of continuing a stopped process
            # done: nothing stays pending; otherwise (caught, or default and
            # blocked) it is pending like any signal (NetBSD kpsignal2)
            if handler == abi.NBSD_SIG_IGN or (self.stopped and handler == abi.NBSD_SIG_DFL):
                self.siglist = [s for s in self.siglist if s != sig]
            if self.stopped:
                k._continue(self)
                return
            # not stopped: a caught SIGCONT ends an interruptible sleep below
        if sig in SIG_STOP:
            self.siglist = [s for s in self.siglist if s != abi.NBSD_SIGCONT]
        if self.stopped:
            if sig == abi.NBSD_SIGKILL:
                k._continue(self, sig)          # to die
            return
        self._wake_a_taker(sig)

    def _wake_a_taker(self, sig):
        """If no LWP that would take the pending process-directed sig is
        running or runnable, wake one asleep in an interruptible sleep
        (the current LWP first, a suspended one last)."""
        bit = abi.sigbit(sig)
        kill = sig == abi.NBSD_SIGKILL
        cands = [self.l] + [l for l in self.lwps.values() if l is not self.l]
        cands = [l for l in cands if l.state not in ("zomb", "new") and
                 (kill or not l.sigmask & bit)]
        if not cands or any(l.state == "run" and not l.suspended for l in cands):
            return                              # it takes it (or it stays pending)
        for l in sorted(cands, key=lambda l: l.suspended):
            if l.state == "sleep":
                self.wake_for_signal(l, sig)
                return

    def reroute_signals(self, bits=-1):
        """The LWPs that may take the process's pending signals changed: one
        exited (_lwp_exit), was suspended, or blocked some (bits: the ones
        it blocked).  A process-directed signal is the process's, not an
        LWP's (NetBSD's p_sigpend): for each pending one among bits that
        no running or runnable LWP takes, one that does not block it is
        woken, so it is never lost with the LWP that was to take it."""
        if self.kernel is None or self.zombie or self.stopped:
            return
        for sig in list(self.siglist):
            if not abi.sigbit(sig) & bits:
                continue
            act = self.sigacts.get(sig)
            if act is not None and act[0] == abi.NBSD_SIG_IGN:
                continue
            self._wake_a_taker(sig)

    def post_lwp_signal(self, l, sig):
        """_lwp_kill (and a trap's signal): directed at LWP l."""
        kq = kqueue_loaded()
        if kq is not None:
            kq.knote_signal(self, sig)          # EVFILT_SIGNAL (kpsignal2 knotes them too)
        if sig not in l.siglist:
            l.siglist.append(sig)
        if self.kernel is not None and self._wake_sigwaiters(sig, (l,)):
            return                              # it is in sigtimedwait for sig
        if self.kernel is not None and l.state == "sleep" and not self.stopped and \
                (sig == abi.NBSD_SIGKILL or not l.sigmask & abi.sigbit(sig)):
            self.wake_for_signal(l, sig)

    def _wake_sigwaiters(self, sig, lwps):
        """An LWP asleep in sigtimedwait (syscalls/ptimer.py) whose set has
        sig takes it, masked or not (NetBSD's sigunwait, before any
        handler): it is woken to collect it -> True.  An ignored signal is
        nobody's."""
        bit = abi.sigbit(sig)
        act = self.sigacts.get(sig)
        if act is not None and act[0] == abi.NBSD_SIG_IGN:
            return False
        chan = ("sigwait", self.pid)
        for l in lwps:
            ts = l.timed_start
            if l.state == "sleep" and chan in l.wchans and ts is not None and \
                    ts[0][0] == "sigtimedwait" and ts[0][1] & bit and ts[2] is False:
                # handed over: no longer pending, its siginfo goes with it
                if sig in l.siglist:
                    l.siglist.remove(sig)
                    si = {"code": -5, "pid": self.pid, "uid": self.cred.euid}   # SI_LWP
                else:
                    if sig in self.siglist:
                        self.siglist.remove(sig)
                    si = self.take_siginfo(sig)
                ts[2] = ("taken", sig, si)
                self.kernel._setrun(l)
                return True
        return False

    def take_siginfo(self, sig):
        """A process-directed sig leaves the pending set (delivered, acted
        on or collected by sigtimedwait): -> sendsig's siginfo keywords.  A
        POSIX timer's overrun count is then fixed (timer_getoverrun)."""
        info = self.siginfo.pop(sig, None)
        if info is None:
            return {}
        code, pid, uid, value, timer = info
        if timer is not None:
            timer.delivered()
        return dict(code=code, pid=pid, uid=uid, value=value)

    def wake_for_signal(self, l, sig):
        """End l's interruptible sleep for sig, if sig ends it."""
        k = self.kernel
        if l.spawn_wait is not None:
            return                      # posix_spawn's parent: cv_wait, no signal ends it
        act = self.sigacts.get(sig)
        handler = abi.NBSD_SIG_DFL if act is None else act[0]
        if handler == abi.NBSD_SIG_DFL:
            if sig in SIG_KILL or sig in SIG_STOP:
                k._setrun(l)                    # a fatal or stop signal ends the sleep
            return
        if handler == abi.NBSD_SIG_IGN:
            return
        # A caught signal ends the sleep (tsleep with PCATCH): the call
        # returns EINTR after the handler, or is restarted with SA_RESTART;
        # a write that already moved data returns its count; sigsuspend
        # always returns EINTR.
        # poll, select, nanosleep, _lwp_park (a timed sleep, syscalls/poll.py)
        # are never restarted: the call itself runs again and returns EINTR.
        if l.timed_start is not None:
            if l.timed_start[2] is False:       # (not a signal sigtimedwait took)
                l.timed_start[2] = True
        elif l.blocked is not None:
            from kw86.nbsd import trap
            from kw86.nbsd.errors import Fault
            try:
                wp = l.wpartial
                if wp is not None and wp[1]:
                    l.wpartial = None
                    trap.interrupt(l, wp[1])
                elif not act[2] & abi.NBSD_SA_RESTART or l.oldmask is not None:
                    l.wpartial = None
                    trap.interrupt(l)
            except Fault:
                # its frame is gone (a kernelware overwrote kernel memory)
                self.siglist.append(abi.NBSD_SIGKILL)
        k._setrun(l)

    def __repr__(self):
        return f"<Proc {self.pid} {self.comm}>"


def abi_errno(e):
    from kw86.nbsd.errors import Errno
    return Errno(e)
