"""The LWP calls: NetBSD's threads (sys_lwp.c, as far as kw86 models it).

The kernel side of an LWP is proc.Lwp (the scheduler runs them, sched.py);
the handlers here get the Proc with the calling LWP as p.l.

Facts (NetBSD's syscalls.master, sys/lwp.h, i386 mcontext.h, the
_lwp_*(2) manual pages):

- _lwp_create(309, const ucontext_t *ucp, u_long flags, lwpid_t *new_lwp):
  the new LWP starts with the context ucp holds: _UC_CPU the registers
  (__gregs: GS FS ES DS EDI ESI EBP ESP EBX EDX ECX EAX TRAPNO ERR EIP CS
  EFL UESP SS), checked as setcontext checks them (user selectors, no
  change to the user-static flags: EINVAL), _UC_SIGMASK its signal mask
  (else the creator's), _UC_FPU its FPU state (else a copy of the
  creator's), _UC_TLSBASE its TLS base (else the creator's).  flags
  LWP_DETACHED (0x40: reclaimed at exit, not waitable), LWP_SUSPENDED
  (0x80: waits for _lwp_continue).  The new lid goes to *new_lwp
  (EFAULT: no LWP is created).  A new LWP has no alternate signal stack
  and nothing pending.  No kernel stack left: EAGAIN.
- _lwp_exit: the last LWP's exit is the process's, status 0.
- _lwp_wait(wait_for, departed): ESRCH (no such undetached LWP), EDEADLK
  (itself; or no other LWP could ever exit for it: the caller is the only
  one, or every other is detached or waiting too), EINVAL (detached),
  EINTR (a caught signal, SA_RESTART restarts it).
- _lwp_kill(lwp, sig): EINVAL for a bad signal, ESRCH; job-control and
  uncatchable signals (SIGKILL, SIGSTOP, SIGCONT, SIGTSTP, SIGTTIN,
  SIGTTOU) act on the whole process.
- _lwp_suspend: EDEADLK when the target is the process's only LWP;
  _lwp_continue; _lwp_wakeup: ENODEV unless the target sleeps (its sleep
  ends with EINTR); _lwp_detach: EINVAL for a detached one.
- ___lwp_park60 (478): returns EALREADY for an unpark that came first,
  ETIMEDOUT, EINTR; _lwp_unpark(lwp, hint) ESRCH; _lwp_unpark_all with a
  NULL list returns the most it takes (LWP_UNPARK_MAX), EINVAL above it.
- _lwp_setname/_lwp_getname (target 0: the caller; MAXCOMLEN names),
  _lwp_ctl (lc_curcpu, lc_pctr), _lwp_self, _lwp_getprivate.
"""
import struct

from kw86.nbsd import abi
from kw86.nbsd.abi import EINVAL, ESRCH
from kw86.nbsd.errors import Errno, Exit, Fault, WouldBlock
from kw86.nbsd.syscalls import poll

LWP_DETACHED, LWP_SUSPENDED = 0x40, 0x80
EALREADY, ETIMEDOUT, EDEADLK, ENODEV = 37, 60, 11, 19
LWP_UNPARK_MAX = 1024
NAME_MAX = 32                               # _lwp_setname: MAXCOMLEN * 2 with the NUL
LWPCTL_FEATURE_CURCPU, LWPCTL_FEATURE_PCTR = 1, 2
_UC_SIGMASK, _UC_CPU, _UC_FPU, _UC_TLSBASE = 0x1, 0x4, 0x8, 0x80000
_PROCWIDE = frozenset({abi.NBSD_SIGKILL, abi.NBSD_SIGSTOP, abi.NBSD_SIGCONT, abi.NBSD_SIGTSTP,
                       abi.NBSD_SIGTTIN, abi.NBSD_SIGTTOU})
_KSTACK_NEED = 8                            # free pages a new LWP needs (kernel stack + slack)


def _lid(v):
    v &= 0xffffffff
    return v - (1 << 32) if v & 0x80000000 else v


def _find(p, lid, zombies=False):
    """The LWP lid of p (a zombie only with zombies=True); ESRCH otherwise."""
    l = p.lwps.get(_lid(lid))
    if l is None or (l.state == "zomb" and not zombies):
        raise Errno(ESRCH)
    return l


def _kernel(p):
    k = p.kernel
    if k is None or p.frame_esp is None:
        raise Errno(abi.ENOSYS)             # no machine (the table-only tests)
    return k


# -- life ---------------------------------------------------------------------

def _rlimit_nthr(k, p):
    """RLIMIT_NTHR, as NetBSD's lwp_create: the LWPs beyond each process's
    first, counted per user (its processes' real uid, chglwpcnt), may not
    pass the creator's rlim_cur: EAGAIN, unless the caller is root (kauth's
    RLIMIT_BYPASS)."""
    if p.cred.euid == 0:
        return
    from kw86.nbsd.syscalls.kern import getrlimit
    cur = getrlimit(p, abi.NBSD_RLIMIT_NTHR)[0]
    uid = p.cred.ruid
    n = 1 + sum(len(q.live_lwps()) - 1 for q in k.sys.procs.values()
                if q.state != "zomb" and q.cred.ruid == uid and q.lwps)
    if n > cur:
        raise Errno(abi.EAGAIN)


def sys__lwp_create(p, ucp, flags, new_lwp):
    from kw86.nbsd.frame import TF_SIZE, TrapFrame
    from kw86.nbsd.kconst import T_KW86_GATE
    from kw86.nbsd.kernelware import SEGMENTS
    from kw86.nbsd.proc import Lwp
    from kw86.nbsd.signals import PSL_CLEARSIG, UNBLOCKABLE, bad_user_selectors, context_of
    k = _kernel(p)
    raw = p.mem.copyin(ucp, abi.UCONTEXT_SIZE)
    uc = abi.unpack_ucontext(raw)
    uf = uc["flags"]
    cur = p.l
    tf = k.boot.read_frame(p.frame_esp)
    ctx = context_of(p, tf)                 # without _UC_CPU: the creator's registers
    if uf & _UC_CPU:
        r = dict(uc["regs"])
        r["esp"] = r["uesp"]
        if not p.kernelware and (
                bad_user_selectors(r) or ((r["eflags"] ^ ctx["eflags"]) & abi.PSL_USERSTATIC)):
            raise Errno(EINVAL)
    else:
        r = dict(ctx, eax=0, edx=0)
    for s in ("cs", "ss", "ds", "es", "fs", "gs"):
        r[s] &= 0xffff
    _rlimit_nthr(k, p)
    if k.boot.frames.nfree() < _KSTACK_NEED:
        raise Errno(abi.EAGAIN)
    try:
        kstack = k.boot.new_kstack()
    except MemoryError:
        raise Errno(abi.EAGAIN) from None   # no contiguous pages for its kernel stack
    lid = k.alloc_id()
    # the new lid first: a bad pointer creates nothing
    try:
        p.mem.copyout(new_lwp, struct.pack("<i", lid))
    except BaseException:
        k.boot.free_kstack(kstack)
        raise
    k.lwp_ids.add(lid)
    eflags = (r["eflags"] & abi.PSL_USER & ~PSL_CLEARSIG) | abi.PSL_I | abi.PSL_MBO
    nl = Lwp(p, lid, kstack=kstack)
    if p.kernelware:
        # CPL 0: a gate frame, left by gate_exit's `lss; popfl; ret` with
        # [eflags][eip] just below the new stack pointer (kernelware.py)
        sp = r["esp"] - 8
        try:
            p.mem.copyout(sp, struct.pack("<II", eflags, r["eip"]))
        except Fault:
            k.boot.free_kstack(nl.kstack)
            k.lwp_ids.discard(lid)
            raise
        seg = SEGMENTS
        ntf = TrapFrame(gs=seg["gs"], fs=seg["fs"], es=seg["es"], ds=seg["ds"],
                        trapno=T_KW86_GATE, cs=seg["cs"], eflags=abi.PSL_I | abi.PSL_MBO,
                        esp=sp, ss=seg["ss"])
    else:
        ntf = TrapFrame(gs=r["gs"], fs=r["fs"], es=r["es"], ds=r["ds"], trapno=abi.T_ASTFLT,
                        eip=r["eip"], cs=r["cs"], eflags=eflags, esp=r["esp"], ss=r["ss"])
    for n in ("edi", "esi", "ebp", "ebx", "edx", "ecx", "eax"):
        setattr(ntf, n, r[n])
    fesp = nl.kstack - TF_SIZE
    k.boot.write_frame(fesp, ntf)
    nl.saved_esp = fesp
    nl.sigmask = (uc["sigmask"] if uf & _UC_SIGMASK else cur.sigmask) & ~UNBLOCKABLE
    nl.tls_base = uc["tlsbase"] if uf & _UC_TLSBASE else cur.tls_base
    nl.fs_base = cur.fs_base
    k.fpu.fork(cur, nl)                     # a copy of the creator's FPU state
    nl.fpu_cw = cur.fpu_cw
    if uf & _UC_FPU:
        k.fpu.load_ucontext(nl, raw, uf)
    nl.detached = bool(flags & LWP_DETACHED)
    p.lwps[lid] = nl
    if flags & LWP_SUSPENDED:
        nl.suspended = True
        nl.state = "susp"
    else:
        nl.state = "sleep"                  # so that _setrun queues it
        k._setrun(nl)
    return 0


def _lwp_gone(p, l):
    """l has exited: its FPU and kernel stack go (the stack once the CPU
    has left it); a waiter hears of it; a detached one is reclaimed."""
    k = p.kernel
    l.state = "zomb"
    l.wchans = ()
    l.blocked = None
    l.timed_start = None
    if k is not None:
        if l in k.runq:
            k.runq.remove(l)
        k.fpu.exit(l)
        if l.kstack is not None:
            if l is k.curlwp:
                k.dead_kstacks.append(l.kstack)
            else:
                k.boot.free_kstack(l.kstack)
            l.kstack = None
    if l.detached:
        _forget(p, l)
    else:
        from kw86.nbsd.sched import wakeup
        wakeup(("lwp_wait", p.pid))


def sys__lwp_exit(p):
    l = p.l
    if not any(o is not l and o.state != "zomb" for o in p.lwps.values()):
        raise Exit(abi.w_exitcode(0))       # the last LWP: the process exits (status 0)
    _lwp_gone(p, l)
    p.reroute_signals()                     # what it would have taken goes to another
    p.want_resched = True                   # userret leaves it (trap.py)


def _forget(p, l):
    """l's id is free again (reaped, or detached at its exit)."""
    p.lwps.pop(l.lid, None)
    if p.kernel is not None and l.lid != p.pid:
        p.kernel.lwp_ids.discard(l.lid)


def end_other_lwps(p):
    """execve from a multi-LWP process: every other LWP ends now (NetBSD's
    exit_lwps); none is waitable after it."""
    for l in list(p.lwps.values()):
        if l is not p.l:
            if l.state != "zomb":
                _lwp_gone(p, l)
            _forget(p, l)


def _reap(p, t, departed):
    _forget(p, t)
    if departed:
        p.mem.copyout(departed, struct.pack("<i", t.lid))
    return 0


def _waiting(l, p):
    return l.state == "sleep" and l.wchans == (("lwp_wait", p.pid),)


def sys__lwp_wait(p, wait_for, departed):
    l = p.l
    wait_for = _lid(wait_for)
    if wait_for == l.lid:
        raise Errno(EDEADLK)
    if wait_for:
        t = p.lwps.get(wait_for)
        if t is None:
            raise Errno(ESRCH)
        if t.detached:
            raise Errno(EINVAL)
        if t.state == "zomb":
            return _reap(p, t, departed)
    else:
        zombies = sorted((t for t in p.lwps.values()
                          if t is not l and t.state == "zomb" and not t.detached),
                         key=lambda t: t.lid)
        if zombies:
            return _reap(p, zombies[0], departed)
        # nobody could ever exit for this wait: EDEADLK
        if not any(t is not l and not t.detached and not _waiting(t, p)
                   for t in p.lwps.values()):
            raise Errno(EDEADLK)
    raise WouldBlock(("lwp_wait", p.pid))


def sys__lwp_detach(p, target):
    t = _find(p, target, zombies=True)
    if t.detached:
        raise Errno(EINVAL)
    t.detached = True
    if t.state == "zomb":
        _forget(p, t)                       # reclaimed now
    return 0


# -- signals, suspension, wakeup -------------------------------------------------

def sys__lwp_kill(p, target, signo):
    if not 0 <= signo < abi.NBSD_NSIG:
        raise Errno(EINVAL)
    t = _find(p, target)
    if not signo:
        return 0
    if signo in _PROCWIDE:
        p.post_signal(signo)
    else:
        p.post_lwp_signal(t, signo)
    if t is p.l:
        p.want_resched = True               # to userret, which acts on it now
    return 0


def sys__lwp_suspend(p, target):
    t = _find(p, target)
    if not any(o is not t and o.state != "zomb" for o in p.lwps.values()):
        raise Errno(EDEADLK)
    if t.suspended:
        return 0
    t.suspended = True
    k = p.kernel
    if t is p.l:
        p.want_resched = True               # userret parks it (trap.py)
    elif t.state == "run":
        t.state = "susp"
        if k is not None and t in k.runq:
            k.runq.remove(t)
    if k is not None:
        p.reroute_signals()                 # another LWP takes what it would have
    return 0


def sys__lwp_continue(p, target):
    t = _find(p, target)
    if not t.suspended:
        return 0
    t.suspended = False
    if t.state == "susp":
        t.state = "sleep"                   # so that _setrun queues it
        p.kernel._setrun(t)
    return 0


def sys__lwp_wakeup(p, target):
    t = _find(p, target)
    if t.state != "sleep" or p.kernel is None:
        raise Errno(ENODEV)
    if t.timed_start is not None:
        t.timed_start[2] = True             # a timed sleep returns EINTR itself
    elif t.blocked is not None:
        from kw86.nbsd import trap
        trap.interrupt(t)                   # EINTR, no restart
    p.kernel._setrun(t)
    return 0


# -- park / unpark ----------------------------------------------------------------

def _unpark(p, lid):
    """Unpark LWP lid: wake it if parked, else its next park returns at once."""
    t = p.lwps.get(lid)
    if t is None or t.state == "zomb":
        return False
    t.unparked = True
    if p.kernel is not None and t.state == "sleep" and \
            t.wchans == (("lwp_park", p.pid, t.lid),):
        p.kernel._setrun(t)
    return True


def sys__lwp_unpark(p, target, hint):
    if not _unpark(p, _lid(target)):
        raise Errno(ESRCH)
    return 0


def sys__lwp_unpark_all(p, targets, ntargets, hint):
    if not targets:
        return LWP_UNPARK_MAX
    if ntargets > LWP_UNPARK_MAX:
        raise Errno(EINVAL)
    ids = struct.unpack(f"<{ntargets}i", p.mem.copyin(targets, 4 * ntargets)) if ntargets else ()
    for lid in ids:
        _unpark(p, lid)                     # (unknown ones are skipped, as NetBSD does)
    return 0


def sys____lwp_park60(p, clock_id, flags, ts, unpark, hint, unparkhint):
    """Sleep until unparked, a signal (EINTR) or the timeout (ETIMEDOUT);
    `unpark` names an LWP to unpark first (ESRCH if there is none).  Order
    as NetBSD's: the timespec is read (EFAULT), the unpark done, the
    timeout checked (EINVAL), a pending unpark returns EALREADY.  A
    relative timeout is written back with the time left (zero after
    ETIMEDOUT), as sys____lwp_park60 does."""
    l = p.l
    unpark = _lid(unpark)
    raw = None
    if ts:
        raw = abi.unpack_timespec(p.mem.copyin(ts, 12))
    key = ("lwp_park", clock_id, flags, ts, raw)
    # a park that slept and runs again (restarted after a wakeup) has its
    # key in l.timed_start (poll.sleep_start)
    restarted = l.timed_start is not None and l.timed_start[0] == key
    if unpark and not restarted:
        if not _unpark(p, unpark):
            raise Errno(ESRCH)
    tmo = None
    if ts:
        sec, nsec = raw
        if sec < 0 or not 0 <= nsec < 10**9:
            raise Errno(EINVAL)
        tmo = sec * 10**9 + nsec
        if flags & 1:                       # TIMER_ABSTIME, on clock_id
            from kw86.nbsd.syscalls.ident import _clock
            tmo = max(0, tmo - _clock(p, clock_id))
    relative = ts and not flags & 1

    def left(ns):
        if relative:
            try:
                p.mem.copyout(ts, abi.pack_timespec(*abi.ns_split(ns)))
            except Fault:
                pass                        # ((void)copyout: the result stands)

    if l.unparked:
        l.unparked = False
        if restarted:                       # unparked while it slept
            deadline = l.timed_start[1]
            poll.sleep_done(p)
            left(0 if deadline is None else max(0, deadline - p.sys.clock()))
            return 0
        raise Errno(EALREADY)               # the unpark came first
    # the deadline is fixed at the first try (poll.sleep_start); EINTR for a signal
    try:
        tmo = poll.sleep_start(p, key, tmo)
    except poll.Interrupted as e:
        left(e.remaining or 0)
        raise
    if tmo == 0:
        left(0)
        raise Errno(ETIMEDOUT)
    raise WouldBlock(poll.PollWait((("lwp_park", p.pid, l.lid),), tmo))


# -- names, private data, lwpctl -----------------------------------------------------

def _named(p, target):
    return p.l if _lid(target) == 0 else _find(p, target)


def sys__lwp_self(p):
    return p.l.lid


def sys__lwp_getprivate(p):
    return p.l.tls_base


def sys__lwp_setname(p, target, name):
    t = _named(p, target)
    s = p.mem.copyinstr(name, NAME_MAX) if name else b""
    t.name = s[:NAME_MAX - 1]


def sys__lwp_getname(p, target, name, length):
    t = _named(p, target)
    if length:
        p.mem.copyout(name, t.name[:length - 1] + b"\0")


def sys__lwp_ctl(p, features, address):
    """The calling LWP's lwpctl block (lc_curcpu, lc_pctr) in a page of the
    process (one block per LWP)."""
    from kw86.nbsd.syscalls import vm
    if features & ~(LWPCTL_FEATURE_CURCPU | LWPCTL_FEATURE_PCTR):
        raise Errno(abi.ENODEV)
    l = p.l
    va = l.lwpctl_va
    if not va:
        m = vm._vm(p)
        va = m.find_space(abi.PAGE_SIZE)
        m.add_region(va, va + abi.PAGE_SIZE, abi.NBSD_PROT_READ | abi.NBSD_PROT_WRITE, "anon")
        l.lwpctl_va = va
    p.mem.copyout(va, struct.pack("<ii", 0, 0))   # cpu 0, preemption counter 0
    p.mem.copyout(address, struct.pack("<I", va))
