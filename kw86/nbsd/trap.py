"""Traps and system calls: what the kernel does with a hypercall from
locore (NetBSD's i386 trap.c and syscall.c in one file).

The system-call path, in the order it runs:

    int $0x80 (Xsyscall) or the kernelware call gate (kw86_syscall_gate)
      -> locore builds the trap frame, ecx = number, esi = user esp,
         hypercall HC_SYSCALL / HC_GATE
      -> Kernel._hcall, the hypercall dispatcher built here by
         make_hypercall:
           fast: the row of the process's system-call table (p.emul,
                 emul.py / kernelware.py), arguments copied in, the
                 handler, the result to eax/edx with ebx = KW86_FAST
                 (locore's kw86_hcall_return restores the rest: iret, or
                 fast_gate's `ret`)
           else: the frame (syscall: read, dispatch, writeback; commit for a
                 fast call whose result must go through the frame)
         or, for getpid and the like (_STABLE) asked again before any host
         code ran, the CPU's run loop itself (Core.run_io's answer cache)
      -> userret: fork's child, sleep, signals, preemption.

retregs(row, rv) turns a handler's return value into eax/edx, for the
fast path and for dispatch() alike; writeback() writes a SysResult into a
frame the way NetBSD's syscall() does (abi §1): eax/edx and PSL_C clear on
success, eax = errno and PSL_C set on failure, EJUSTRETURN leaves the frame
alone, ERESTART (and a call that must sleep) backs up so the call runs
again.

For the gate, the return to the caller is emulated (gate_exit in
locore.S): the return address is read from the user stack with a checked
copy, and `[eflags][return eip]` is written just below the caller's final
stack pointer, which becomes tf_esp.  A user stack the kernel cannot read
or write raises Fault: the kernel kills that kernelware (SIGSEGV), never
runs on a bad stack.

Traps (HC_TRAP): trap() resolves a page fault (demand paging) or turns the
trap into the signal NetBSD's trap() sends (trapsignal).  Interrupts
(HC_INTR): intr() runs the clock tick and preempts at the return to the
interrupted process when it is preemptible.
"""
import struct

from kw86.machine import ESI, ESP
from kw86.nbsd import abi, rusage
from kw86.nbsd.errors import BadFrame, Exit, Fault, KernelPanic
from kw86.nbsd.frame import TF_ESP, TF_SHORT_SIZE, TrapFrame
from kw86.nbsd.kconst import DFTSS_SEL, HC_DBLFAULT, HC_DFSIG, TF_TRAPNO
from kw86.nbsd.kconst import (HC_GATE, HC_IDLE, HC_INTR, HC_KAPI, HC_STRAY, HC_SYSCALL, HC_TRAP,
                              HCALL_PORT, KW86_FAST, T_KW86_GATE)

_KERNBASE = abi.KERNBASE
_MASK = abi.NSYSENT - 1
_M32 = 0xffffffff
_M64 = (1 << 64) - 1
_W = struct.Struct("<I")
_W2 = struct.Struct("<II")


def retregs(row, rv):
    """(eax, edx) of handler return value rv (None, an int, an (eax, edx)
    pair, or a 64-bit off_t for a row whose return type is off_t)."""
    if rv is None:
        return 0, 0
    if rv.__class__ is tuple:
        return rv[0] & _M32, rv[1] & _M32
    if row.is_off:
        rv &= _M64
        return rv & _M32, rv >> 32
    return rv & _M32, 0


# (after retregs: syscalls/__init__.py imports it while this module loads)
from kw86.nbsd.syscalls import TABLE, SysResult, dispatch, exc_result  # noqa: E402
from kw86.nbsd.syscalls import ident, lwp  # noqa: E402

# Calls without arguments whose answer is a function of the process's (or
# the running LWP's) identity only, which changes only while kernel (host)
# code runs: once the
# fast path has answered one, the CPU's run loop (Core.run_io) gives the
# same answer again by itself -- eax, edx, ebx = KW86_FAST and the call's
# kernel cost, counted as a call -- until host code next runs (any other
# hypercall, a clock tick, the end of a run chunk).  Never under --strace (no fast
# row) or the profiler (another port handler).
_STABLE = frozenset((ident.sys_getpid, ident.sys_getppid, ident.sys_getuid, ident.sys_geteuid,
                     ident.sys_getgid, ident.sys_getegid, ident.sys_getpgrp,
                     ident.sys_issetugid, lwp.sys__lwp_self, lwp.sys__lwp_getprivate))


def call_insn_length(code):
    """Length of the `call` ending at the end of `code` (bytes before the
    return address), or 0 if none of the near-call forms fits.

    Forms: e8 rel32 (5); ff /2 with any ModRM/SIB/displacement (2..7).
    """
    n = len(code)
    for length in range(2, min(7, n) + 1):
        b = code[n - length:]
        if b[0] != 0xff:
            continue
        modrm = b[1]
        if (modrm >> 3) & 7 != 2:
            continue
        mod, rm = modrm >> 6, modrm & 7
        need = 2
        if mod != 3 and rm == 4:
            need += 1                                   # SIB
            if mod == 0 and (b[2] & 7) == 5:
                need += 4
        if mod == 0 and rm == 5:
            need += 4
        elif mod == 1:
            need += 1
        elif mod == 2:
            need += 4
        if need == length:
            return length
    if n >= 5 and code[n - 5] == 0xe8:
        return 5
    return 0


# si_code values (NetBSD sys/siginfo.h)
ILL_PRVOPC, ILL_COPROC = 5, 7
FPE_INTDIV, FPE_INTOVF, FPE_FLTSUB = 1, 2, 8
SEGV_MAPERR, SEGV_ACCERR = 1, 2
BUS_ADRALN, BUS_ADRERR, BUS_OBJERR = 1, 2, 3
TRAP_BRKPT, TRAP_TRACE, TRAP_DBREG = 1, 2, 6

# trap type -> (signal, si_code, si_addr is cr2 (else the faulting eip)), as
# NetBSD 10's i386 trap() sends them for a user-mode trap [trap.c]
_TRAPSIG = {
    abi.T_PRIVINFLT: (abi.NBSD_SIGILL, ILL_PRVOPC, False),     # #UD
    abi.T_FPOPFLT: (abi.NBSD_SIGILL, ILL_COPROC, False),
    abi.T_DNA: (abi.NBSD_SIGILL, ILL_COPROC, False),           # (CR0.EM: no FPU to switch in)
    abi.T_BOUND: (abi.NBSD_SIGFPE, FPE_FLTSUB, False),
    abi.T_OFLOW: (abi.NBSD_SIGFPE, FPE_INTOVF, False),
    abi.T_DIVIDE: (abi.NBSD_SIGFPE, FPE_INTDIV, False),
    abi.T_ARITHTRAP: (abi.NBSD_SIGFPE, 0, False),              # (the FPU's status decides: fpu.py)
    abi.T_XMM: (abi.NBSD_SIGFPE, 0, False),
    abi.T_PROTFLT: (abi.NBSD_SIGSEGV, SEGV_ACCERR, True),      # #GP
    abi.T_SEGNPFLT: (abi.NBSD_SIGBUS, BUS_ADRERR, True),
    abi.T_STKFLT: (abi.NBSD_SIGBUS, BUS_ADRERR, True),
    abi.T_TSSFLT: (abi.NBSD_SIGBUS, BUS_OBJERR, True),
    abi.T_ALIGNFLT: (abi.NBSD_SIGBUS, BUS_ADRALN, True),
    abi.T_BPTFLT: (abi.NBSD_SIGTRAP, TRAP_BRKPT, False),
    abi.T_TRCTRAP: (abi.NBSD_SIGTRAP, TRAP_TRACE, False),
}


def trapsignal(m, p, tf):
    """The signal, si_code and si_addr for a trap of process p (frame tf)
    that the kernel did not resolve.  A page fault is SEGV_ACCERR inside a
    mapping the access is not allowed in, SEGV_MAPERR outside any (UVM's
    EACCES / no entry); #GP, #NP, #SS, #TS and #AC report %cr2, as NetBSD's
    rcr2() does; the rest the faulting %eip."""
    trapno = tf.trapno
    if trapno == abi.T_PAGEFLT:
        cr2 = m.get_reg("cr2")
        r = p.vm.region_at(cr2) if p.vm is not None and cr2 < abi.VM_MAXUSER_ADDRESS else None
        if r is not None and r.obj is not None and \
                r.off + ((cr2 & ~(abi.PAGE_SIZE - 1)) - r.start) >= r.obj.vp.getsize():
            # a whole page past the end of a mapped file: SIGBUS (POSIX mmap;
            # UVM's pager refuses the page, the trap gives BUS_ADRERR)
            return abi.NBSD_SIGBUS, BUS_ADRERR, cr2
        return abi.NBSD_SIGSEGV, SEGV_ACCERR if r is not None else SEGV_MAPERR, cr2
    sig, code, at_cr2 = _TRAPSIG.get(trapno, (abi.NBSD_SIGBUS, 0, False))
    if trapno == abi.T_ARITHTRAP and p is not None and p.kernel is not None:
        code = p.kernel.fpu.arithtrap(p.l)      # fpetable, fnclex (fpu.py)
    if trapno == abi.T_TRCTRAP and m.get_reg("dr6") & 0xf:
        code = TRAP_DBREG                       # a debug-register breakpoint hit
    return sig, code, m.get_reg("cr2") if at_cr2 else tf.eip


def make_hypercall(k):
    """The hypercall handler of kernel k (Kernel._hcall, the port handler of
    HCALL_PORT): locore's `outl` with value = HC_* and %esp = the trap
    frame.  A short dispatcher: system calls (HC_SYSCALL: int $0x80,
    HC_GATE: the kernelware call gate) run here, traps go to trap(),
    interrupts to intr(); anything raised on the way is for
    k._hcall_failed (the process dies, or the kernel panics).

    The system call, the hot path (bench/test_bench_kernel.py): locore
    loaded ecx = the call number (0 from CPL 0: the general path) and esi =
    the user esp; the row comes from the process's system-call table
    (p.emul.fastvec: None for a row that must see its frame, and for every
    row under --strace); a plain return goes back in registers
    (KW86_FAST), anything else through the frame (commit, or the general
    path syscall()), then userret.  The kernel-cost table's per-call cost
    is charged and the call counted by path (trap, gate) in the CPU core
    (Core.sys_enter; Kernel.n_trap, n_gate)."""
    core = k.m.core
    get_gpr = core.get_gpr
    enter, sys_return = core.sys_enter, core.sys_return
    cost = k._syscall_cost
    boot = k.boot
    failed = k._hcall_failed

    def hypercall(port, size, value):
        p = k.cur
        try:
            if value == HC_SYSCALL or value == HC_GATE:
                gate = value == HC_GATE
                nr = enter(gate)                        # ecx & _MASK; charged, counted
                if nr < 0:
                    raise BadFrame(None, _forged(core))
                row = p.emul.fastvec[nr]
                if row is not None:
                    # (p.blocked may be stale here: it is set afresh whenever
                    # a call sleeps, and only read while the process sleeps)
                    try:
                        n = row.argbytes
                        if n:
                            rv = row.handler(p, *row.argst.unpack(p.mem.copyin(
                                get_gpr(ESI) + (8 if gate else 4), n)))
                        else:
                            rv = row.handler(p)
                    except Exit:
                        raise
                    except BaseException as e:
                        res = exc_result(p, row, e, SysResult(0, 0, 0, None, row))
                    else:
                        # retregs(row, rv), its common cases inline
                        if rv is None:
                            eax = edx = 0
                        elif rv.__class__ is int and not row.is_off:
                            eax, edx = rv & _M32, 0
                        elif rv.__class__ is tuple:
                            eax, edx = rv[0] & _M32, rv[1] & _M32
                        else:
                            eax, edx = retregs(row, rv)
                        if p.fork_child is None and not p.siglist and not p.want_resched:
                            # eax, edx, ebx = KW86_FAST (locore: carry clear);
                            # for _STABLE, the same answer until we next run
                            sys_return(nr, eax, edx, row.handler in _STABLE)
                            return
                        res = SysResult(eax, edx, 0, None, row)
                    fesp = get_gpr(ESP)                 # the trap frame
                    p.frame_esp = fesp
                    commit(boot, p, fesp, res)
                else:
                    fesp = get_gpr(ESP)
                    p.frame_esp = fesp
                    res = syscall(boot, p, fesp)
                    fesp = p.frame_esp                  # 511 may move a short frame
                userret(k, p, fesp, res)
            elif value == HC_TRAP:
                trap(k, p, get_gpr(ESP))
            elif value == HC_INTR:
                intr(k, p, get_gpr(ESP))
            elif value == HC_DBLFAULT:
                dblfault(k, p)                          # the #DF task (below)
            elif value == HC_DFSIG:
                dfsig(k, p)
            elif value == HC_KAPI:
                k.kapi.call(p)                          # a kernel function (kapi.py)
            elif value != HC_STRAY and value != HC_IDLE:
                raise BadFrame(None)                    # no such hypercall: a forged one
        except BaseException as e:
            failed(p, value, e)

    core.sysfast_setup(HCALL_PORT, HC_SYSCALL, HC_GATE, KW86_FAST, _MASK, cost, hypercall)
    lc = boot.lc
    core.sysfast_frames(lc["kw86_hcall_return"], lc["sysenter_return"], _KERNBASE, T_KW86_GATE)
    return hypercall


def _forged(core):
    """The kill message of a system-call hypercall Core.sys_enter refused
    (Core.sf_forged): one locore did not make, or whose %ecx/%esi are not
    its frame's tf_eax/tf_esp.  Kernel code handing the kernel a request it
    did not build is a fault of that code, as NetBSD's trap() treats a
    kernel-mode fault without an onfault handler: the kernelware dies."""
    return (f"forged system call: eip {core.eip:#x}, ecx {core.get_gpr(1):#x}, "
            f"esp {core.get_gpr(ESP):#x} are not locore's system-call entry and its frame")


def userret(k, p, fesp, res):
    """After a call that went through its frame: a fork's child gets its
    memory and frame, a vfork parent waits, a sleeper sleeps, pending
    signals are acted on, an LWP that exited or suspended itself leaves
    the CPU, an LWP whose quantum ran out yields."""
    l = p.l
    if p.fork_child is not None:
        c = p.fork_child
        k._finish_fork(p, fesp)
        if c.state == "zomb":
            p.vforking = False                  # killed at birth (out of memory)
        if p.vforking and res.block is None and not res.error:
            # vfork: the parent waits (its result already in its frame)
            # until the child execs or exits, as NetBSD's PL_PPWAIT; the
            # memory is copy-on-write, not shared
            p.vforking = False
            c.vfork_parent = p.pid
            k._sleep(l, ("vfork", c.pid))
            l.blocked = None                    # not a restartable call
            k._switch_away(l, fesp)
            return
        p.vforking = False
    if res.block is not None:
        k._sleep(l, res.block)
        k._switch_away(l, fesp)
        return
    if p.want_resched and (l.state == "zomb" or l.suspended):
        # _lwp_exit, _lwp_suspend of itself (syscalls/lwp.py): it leaves
        # the CPU (a suspended one takes its signals once continued)
        p.want_resched = False
        if l.state != "zomb":
            l.state = "susp"
        k._switch_away(l, None if l.state == "zomb" else fesp)
        return
    if p.siglist or l.siglist:
        k._check_signals(p, fesp)
        if p.kernelware:
            # a handler's frame moved a kernelware's short frame below it
            # (signals._move_short_frame): park it there, or a preemption
            # now (_lwp_kill of itself sets want_resched) resumes the call's
            # return, the handler skipped and its mask left in place
            fesp = k.m.get_reg("esp")
        if p.stopped:
            k._switch_away(l, fesp)
            return
    if p.want_resched:
        p.want_resched = False
        if k.runq:
            k._preempt(l, fesp)


def read_frame_fast(boot, fesp):
    """The frame at fesp: physical for one on a kernel stack, else through
    the page tables (a short frame may end the mapping: its 64 bytes)."""
    core = boot.m.core
    if fesp >= _KERNBASE and fesp - _KERNBASE + 72 <= boot.mem_size:
        tf = TrapFrame.parse(core.read_phys(fesp - _KERNBASE, 72))
    else:
        raw = boot.m.read_virt(fesp, 72) or boot.m.read_virt(fesp, TF_SHORT_SIZE)
        if raw is None:
            raise BadFrame(fesp)
        tf = TrapFrame.parse(raw)
    if tf.short:
        tf.esp = fesp + TF_SHORT_SIZE           # from CPL 0 without a stack switch
    return tf


def syscall(boot, p, fesp):
    """The general path: run the call whose frame is at fesp (read, dispatch,
    writeback); returns the SysResult."""
    tf = read_frame_fast(boot, fesp)
    p.blocked = None
    # int $0x80: the arguments at user esp+4; the gate: its own return
    # address is at esp, so they are at esp+8
    emul = p.emul
    res = dispatch(p, tf.eax, tf.esp + 4 if tf.gate else tf.esp,
                   TABLE if emul is None else emul.table)
    return writeback(boot, p, fesp, tf, res)


def commit(boot, p, fesp, res):
    """Write the result of a call the fast path already ran (res) into its
    frame: a restart, a sleep, an error, or a return that must not use the
    register protocol (a signal or a switch follows)."""
    return writeback(boot, p, fesp, read_frame_fast(boot, fesp), res)


def writeback(boot, p, fesp, tf, res):
    """The frame after a call: result, restart (back up), sleep, the gate's ret."""
    error = res.error
    if error == abi.EJUSTRETURN:
        return res
    block = res.block
    restart = error == abi.ERESTART or block is not None
    if restart:
        if not tf.gate:
            tf.eip = (tf.eip - tf.err) & _M32
    elif error:
        tf.eax = error
        tf.eflags |= abi.PSL_C
    else:
        tf.eax, tf.edx = res.eax, res.edx
        tf.eflags &= ~abi.PSL_C
    if tf.gate:
        mem = p.mem
        uesp = tf.esp
        ret = _W.unpack(mem.copyin_nocharge(uesp, 4))[0]     # Fault: the kernel kills it
        esp = uesp + 4
        reip = ret
        if block is not None:
            p.blocked = (fesp, ret)     # a signal may end the sleep with EINTR
        if restart:
            k = call_insn_length(mem.copyin_nocharge(ret - 7, 7)) if ret >= 7 else 0
            if not k:
                raise Fault(ret)
            reip = ret - k
        ef = (tf.eflags & ~abi.PSL_IOPL) | abi.PSL_I | abi.PSL_MBO
        mem.copyout_nocharge(esp - 8, _W2.pack(ef, reip))
        tf.esp = esp - 8
    elif block is not None:
        p.blocked = (fesp, None)
    out = tf.pack()
    if fesp >= _KERNBASE:
        boot.m.core.write_phys(fesp - _KERNBASE, out)
    else:
        boot.m.write_virt(fesp, out)
    return res


def trap(k, p, fesp):
    """HC_TRAP: an exception.  A page fault inside one of p's regions is
    resolved (demand paging, copy-on-write); anything else becomes the
    signal NetBSD's trap() sends: to a handler if p catches it, else the
    default action (Exit).  A trap of kernel code on behalf of a user
    process kills it with a line (never the host's problem)."""
    m = k.m
    # demand paging first, from the frame's trapno and err words alone (a Go
    # test binary takes thousands of these; the whole frame is parsed only
    # for what becomes a signal)
    raw = m.read_virt(fesp + TF_TRAPNO, 8)      # tf_trapno, tf_err
    if raw is not None:
        trapno, err = _W2.unpack(raw)
        if trapno == abi.T_PAGEFLT:
            cr2 = m.core.get_cr(2)
            try:
                ok = cr2 < abi.VM_MAXUSER_ADDRESS and p.vm.fault(cr2, bool(err & 2))
            except MemoryError:
                # anonymous memory is overcommitted, as UVM does: the fault
                # that finds no page kills, with UVM's message
                k._out_of_swap(p)
            if ok:
                k._stats["page_faults"] += 1
                return
    tf = k.boot.read_frame(fesp)       # (raises BadFrame where raw was None)
    if tf.trapno == abi.T_DNA and k.fpu.dna(p.l):
        # CR0.TS (a switch, or any task switch: the #DF task's iret back):
        # the lazy FPU switch (fpu.py); the iret re-runs the instruction
        return
    if not tf.cs & 3 and not p.kernelware:
        # kernel code faulted on the process's behalf (a bad frame value
        # got past the checks)
        k.sys.stderr.write(f"kw86: kernel trap {tf.trapno} at {tf.eip:#x} for {p.comm}: "
                           f"killed\n")
        k._kill(p, abi.NBSD_SIGSEGV)
    sig, code, addr = trapsignal(k.m, p, tf)
    act = p.sigacts.get(sig)
    if act is not None and act[0] not in (abi.NBSD_SIG_DFL, abi.NBSD_SIG_IGN) and \
            not p.sigmask & abi.sigbit(sig):
        if k._sendsig(p, fesp, sig, code=code, addr=addr, trapno=tf.trapno):
            return
    k._kill(p, sig)


def intr(k, p, fesp):
    """HC_INTR: the clock tick (hardclock/statclock).  Timers expire, the
    tick is charged to p; if p was interrupted where it may be preempted
    (user mode, or a kernelware: the kwhook stub marked the interrupt,
    k.kwhook_ast()), pending signals are acted on and a process whose
    quantum ran out yields.  Without the hook a kernelware interrupted at
    CPL 0 is never preempted here (the kernel is not preemptive)."""
    k._expire_timers()
    k.kapi.tick()                               # ticks, time (kapi.py)
    tf = k.boot.read_frame(fesp)
    user = bool(tf.cs & 3)
    rusage.statclock(p, user)
    if p is not None and p.rlimits.get(0) is not None:
        rusage.rlimit_cpu(k, p)                 # RLIMIT_CPU set: SIGXCPU / SIGKILL
    kw = not user and k.kwhook_ast(tf.trapno) and p is not None and p.kernelware
    if not user and not kw and tf.eip in k.gate_exit_eips and p is not None and \
            p.kernelware and k.modules["kwhook"].loaded:
        # the gate's exit after its popfl (IF back on: a pending tick is
        # taken at the `lss`/`ret` still in locore, where the stub's
        # "eip below KERNBASE" test cannot see the kernelware): the call
        # is over, the LWP may be preempted (its signals wait for its next
        # call: the frame may lie on its kernel stack)
        k._charge_tick(p, True)
        l = p.l
        l.ticks += 1
        if (l.ticks >= k.quantum or k.resched) and k.runq:
            k._preempt(l, fesp)
        return
    k._charge_tick(p, user or kw)
    if user or kw:
        l = p.l
        if p.siglist or l.siglist:
            k._check_signals(p, fesp)
            fesp = k.m.get_reg("esp")           # a kernelware's frame may move
            if p.stopped:
                k._switch_away(l, fesp)
                return
        l.ticks += 1
        if (l.ticks >= k.quantum or k.resched) and k.runq:
            k._preempt(l, fesp)


def _pread(p, va, n):
    """n bytes of p's memory at va, p need not be running: kernel VA through
    the (shared) kernel mapping, user VA through p's own pages."""
    if va >= _KERNBASE:
        data = p.kernel.m.read_virt(va, n)
    else:
        data = p.vm.read(va, n) if p.vm is not None and p.vm.present(va, n) else None
    if data is None:
        raise BadFrame(va)
    return data


def _pwrite(p, va, data):
    if va >= _KERNBASE:
        ok = p.kernel.m.write_virt(va, data)
    else:
        ok = p.vm is not None and p.vm.present(va, len(data))
        if ok:
            p.vm.write(va, data)
    if not ok:
        raise BadFrame(va)


def interrupt(l, value=None, err=abi.EINTR):
    """End LWP l's sleep in a system call (l.blocked, set by writeback): the
    call returns EINTR (or err), or `value` (a count already transferred)
    with the carry clear, instead of being restarted.  l need not be running: its
    frame and the gate's return words are read through its process's own
    mappings.  A frame that is no longer there raises BadFrame (the caller
    kills the process)."""
    p = l.proc
    fesp, ret = l.blocked
    l.blocked = None
    l.timed_start = None
    tf = TrapFrame.parse(_pread(p, fesp, TF_SHORT_SIZE), short=True)
    if value is None:
        tf.eax = err
        tf.eflags |= abi.PSL_C
    else:
        tf.eax = value & _M32
        tf.eflags &= ~abi.PSL_C
    if ret is None:                     # int $0x80: undo the back-up of tf_eip
        tf.eip = (tf.eip + tf.err) & _M32
    else:                               # the gate: [eflags][eip] under tf_esp
        sp = _W.unpack(_pread(p, fesp + TF_ESP, 4))[0]
        ef = _W.unpack(_pread(p, sp, 4))[0]
        ef = (ef | abi.PSL_C) if value is None else (ef & ~abi.PSL_C)
        _pwrite(p, sp, _W2.pack(ef, ret))
    _pwrite(p, fesp + 32, tf.pack()[32:TF_SHORT_SIZE])


# ---- the double-fault task (issue 8 section 5) -----------------------------
#
# A kernelware runs at CPL 0 on its own (user-address) stack: the CPU
# switches no stack for its faults, so a fault whose frame cannot be pushed
# (the stack page is not there yet, or is copy-on-write after fork) faults
# again and becomes a double fault.  IDT[8] is a task gate (boot.py): the
# CPU saves the interrupted state in the main TSS and runs locore's
# Xdblfault on the #DF task's stack, which makes HC_DBLFAULT.  Other page
# faults of a kernelware (heap, mmap, copy-on-write data, a stack access
# below a mapped %esp) take the normal #PF path: trap() above.

_PG_VWU = 0x7                   # PG_V | PG_RW | PG_U
_DF_SLACK = 64          # the failed push lies within this many bytes below the saved %esp


def dblfault(k, p):
    """HC_DBLFAULT (in the #DF task; the live registers are its own): CR2 is
    the address of the failed frame push, the main TSS holds the
    interrupted task (EIP = the faulting instruction, ESP = its stack
    pointer).  If [CR2, ESP) is the process's own memory (its stack within
    RLIMIT_STACK, or any writable region it set %esp into), back those pages
    (demand paging, copy-on-write) and return: the iret re-executes the
    instruction.  Otherwise point the main TSS at locore's Xdfsig on p's
    kernel stack: back in the interrupted task, dfsig() sends SIGSEGV.  The
    main TSS's CR3 field (loaded by the iret) is p's page directory."""
    m, boot = k.m, k.boot
    if m.get_segment("tr").selector != DFTSS_SEL:
        raise BadFrame(None)                    # an outl of HC_DBLFAULT elsewhere
    st = boot.tss_state()
    cr2 = m.get_reg("cr2")
    k._stats["double_faults"] += 1
    vm = p.vm if p is not None else None
    if vm is None:
        raise KernelPanic(f"double fault at {st['eip']:#x} with no process (esp "
                          f"{st['esp']:#x}, cr2 {cr2:#x})")
    pend = k._df_pending
    if pend is not None and pend[0] is p:
        # the last double fault's way out (Xdfsig on p's kernel stack, with
        # interrupts off) double-faulted itself before reaching dfsig: what
        # a kernelware broke is in its way.  Killed from here (_kill_broken
        # repairs first) instead of the same double fault again without end
        # (no instruction retires: --max-instructions never came)
        k._df_pending = None
        raise BadFrame(st["esp"])
    boot.set_tss_state(cr3=vm.pdir)
    esp = st["esp"]
    # a push on the interrupted (user-address) stack at CPL 0 failed
    stack = not st["cs"] & 3 and esp <= abi.VM_MAXUSER_ADDRESS and \
        esp - _DF_SLACK <= cr2 < esp
    if not (p.kernelware or stack):
        raise KernelPanic(f"double fault at {st['eip']:#x} (esp {esp:#x}, cr2 {cr2:#x})")
    why = "stack" if stack else "broken"
    if stack:
        try:
            n = _grow_stack(m, vm, cr2, esp)
        except MemoryError:
            n, why = None, "swap"
        if n == 0:
            # every page was there, yet the push faulted: once may be a
            # stale translation; twice at the same place means the CPU's
            # walk does not see what the kernel's tables say (a kernelware
            # rewrote its page directory): broken, not a retry forever
            again = (st["eip"], cr2)
            if p.df_unresolved == again:
                n, why = None, "broken"
            p.df_unresolved = again
        elif n is not None:
            p.df_unresolved = None
        if n is not None:
            k._stats["page_faults"] += n
            _restart_page_fault(p, boot, st)
            return
    if not boot.text_intact():
        # a kernelware wrote over locore (CR0.WP clear): Xdfsig must run;
        # dfsig then repairs the rest
        boot.restore_text()
        why = "broken"
    tf = TrapFrame(short=True, trapno=abi.T_PAGEFLT, err=2, eip=st["eip"], cs=st["cs"],
                   eflags=st["eflags"], esp=esp, ss=st["ss"],
                   **{r: st[r] for r in ("eax", "ecx", "edx", "ebx", "ebp", "esi", "edi",
                                         "ds", "es", "fs", "gs")})
    k._df_pending = (p, tf, cr2, why)
    boot.set_tss_state(eip=boot.lc["Xdfsig"], esp=p.kstack, eflags=abi.PSL_MBO,
                       cs=abi.KCODE, ss=abi.KDATA, ds=abi.KDATA, es=abi.KDATA,
                       fs=abi.KCPU, gs=abi.KDATA)


# locore's trap entry before anything but pushes: Xtrap0e's `pushl $T_PAGEFLT`,
# then alltraps's INTRENTRY pushes (push r32, push %ds/%es: one byte; push
# %fs/%gs: 0f a0/0f a8).
_PUSH1 = frozenset(range(0x50, 0x58)) | {0x1e, 0x06}


def _restart_page_fault(p, boot, st):
    """After dblfault() backed the stack under a page fault's frame that locore
    was still saving (Xtrap0e or alltraps's pushes ran into the missing page):
    CR2 now holds the address of that second fault, the first one's is lost,
    so the saved frame cannot be handled.  Unwind it instead: the interrupted
    task resumes at the faulting instruction with the frame's EFLAGS and %esp
    (the pushes changed no other register) and faults again, for its own
    address, on a stack that now has room.  A fault is restartable; other
    entries (interrupts, traps) go on from where they were."""
    lc = boot.lc
    eip, esp = st["eip"], st["esp"]
    if eip == lc["Xtrap0e"]:
        words = 0                       # nothing pushed yet: the frame is at %esp
    elif lc["alltraps"] <= eip < lc["kw86_hcall"]:
        a, words = lc["alltraps"], 1    # the trap number, then the registers
        while a < eip:
            op = lc.image[a - lc.base]
            if op in _PUSH1:
                a += 1
            elif op == 0x0f and lc.image[a + 1 - lc.base] in (0xa0, 0xa8):
                a += 2
            else:
                return                  # past the pushes: the frame is complete
            words += 1
        if a != eip:
            return
        try:
            trapno = _W.unpack(_pread(p, esp + 4 * (words - 1), 4))[0]
        except BadFrame:
            return
        if trapno != abi.T_PAGEFLT:
            return
    else:
        return
    try:                                # error code, EIP, CS, EFLAGS
        _err, f_eip, f_cs, f_eflags = struct.unpack("<4I", _pread(p, esp + 4 * words, 16))
    except BadFrame:
        return
    if f_cs & 3:
        return                          # from user mode: a kernel stack, not this case
    boot.set_tss_state(eip=f_eip, cs=f_cs & 0xffff, eflags=f_eflags, esp=esp + 4 * words + 16)


def _grow_stack(m, vm, cr2, esp):
    """Back the pages of [cr2, esp) (at most two: a frame push); the number
    backed, or None if one of them is not the process's to write."""
    n = 0
    page = cr2 & ~(abi.PAGE_SIZE - 1)
    while page < esp:
        # (through p's own page tables: the #DF task runs on the boot
        # page directory)
        a = vm._pte_addr(page, False)
        if a is None or m.read_u32(a) & _PG_VWU != _PG_VWU:
            if not vm.fault(page, True):
                return None
            n += 1
        page += abi.PAGE_SIZE
    return n


def dfsig(k, p):
    """HC_DFSIG (Xdfsig, in the interrupted task on p's kernel stack, after
    a double fault dblfault() did not resolve): SIGSEGV, as a user process
    gets for the same access (SEGV_MAPERR outside any region, SEGV_ACCERR
    inside one; si_addr = the failed push), to a handler if p catches it and
    its frame fits (an alternate stack; no room is NetBSD's sigexit(SIGILL)),
    else the default action.  A double fault that is not a failed push on
    the process's stack (a kernelware broke the IDT, or set %esp to a
    kernel address) first has the kernel's state repaired, as a machine
    fault does.  No memory for the stack: UVM's "out of swap"."""
    pend, k._df_pending = k._df_pending, None
    if pend is None or pend[0] is not p:
        raise BadFrame(None)                    # an outl of HC_DFSIG elsewhere
    _, tf, cr2, why = pend
    if why == "swap":
        k._out_of_swap(p)
    if why == "broken":
        k._repair()
    if k.verbose or k.sys.strace is not None:
        k.sys.stderr.write(f"kw86: pid {p.pid} ({p.comm}): double fault at {tf.eip:#x} "
                           f"(esp {tf.esp:#x}, cr2 {cr2:#x}): SIGSEGV\n")
    sig = abi.NBSD_SIGSEGV
    inside = cr2 < abi.VM_MAXUSER_ADDRESS and p.vm.region_at(cr2) is not None
    act = p.sigacts.get(sig)
    if why == "stack" and act is not None and \
            act[0] not in (abi.NBSD_SIG_DFL, abi.NBSD_SIG_IGN) and \
            not p.sigmask & abi.sigbit(sig):
        if k._sendsig(p, None, sig, code=SEGV_ACCERR if inside else SEGV_MAPERR, addr=cr2,
                      trapno=abi.T_PAGEFLT, tf=tf):
            return
    k._kill(p, sig)


# -- --host-stats: where the host's time goes -----------------------------------

_HC_KINDS = {HC_SYSCALL: "system calls", HC_GATE: "system calls", HC_TRAP: "traps",
             HC_INTR: "clock ticks"}


class HypercallTimes:
    """Host CPU time (time.thread_time: the guest runs in this thread) and
    count of k's hypercalls, by kind:
    system calls (trap and gate), traps (page faults, FPU, signals), clock
    ticks and other (the #DF task, kernel API calls).  A system call the CPU
    core answers from its cache (Core.sysfast_arm) never reaches them."""

    def __init__(self):
        self.seconds = {}
        self.count = {}

    def total(self):
        return sum(self.seconds.values()), sum(self.count.values())


def time_hypercalls(k):
    """Time every hypercall of kernel k from now on (kw86 exec --host-stats;
    the guest sees nothing of it: same instructions, same cycles).  Wraps
    k._hcall, so a --profile attached afterwards goes through it too, and
    registers the wrapper where make_hypercall registered the handler: the
    port and the core's system-call answer cache.  Returns the
    HypercallTimes."""
    import time
    inner = k._hcall
    times = HypercallTimes()
    secs, count = times.seconds, times.count
    kinds = _HC_KINDS
    clock = time.thread_time            # (CPU time: a loaded host inflates wall time)

    def timed(port, size, value):
        t = clock()
        try:
            inner(port, size, value)
        finally:
            kind = kinds.get(value, "other")
            secs[kind] = secs.get(kind, 0.0) + (clock() - t)
            count[kind] = count.get(kind, 0) + 1

    k._hcall = timed
    k.m.set_port_handler(HCALL_PORT, write=timed, free=True)
    k.m.core.sysfast_setup(HCALL_PORT, HC_SYSCALL, HC_GATE, KW86_FAST, _MASK, k._syscall_cost,
                           timed)
    return times
