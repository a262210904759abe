"""POSIX timers (timer_create 235, timer_delete 236, timer_getoverrun 239,
__timer_settime50 446, __timer_gettime50 447) and the siginfo signal
calls (____sigtimedwait50 431, sigqueueinfo 245), as NetBSD 10's
kern_time.c and kern_sig.c behave.

A timer belongs to its process (p.ptimers: id -> Timer); ids are
TIMER_MIN..TIMER_MAX-1 (4..35: NetBSD keeps 0..3 for the setitimer
timers), so a process has at most 32 (EAGAIN).  Clocks: CLOCK_REALTIME
and CLOCK_MONOTONIC on the guest clock (a REALTIME deadline follows
clock_settime), CLOCK_VIRTUAL and CLOCK_PROF on the process's CPU time;
any other clock id is EINVAL (NetBSD refuses ids above CLOCK_MONOTONIC).
Notification: SIGEV_SIGNAL (the signal carries si_code SI_TIMER and the
sigev_value; default with no sigevent: SIGALRM with the timer id as its
value) or SIGEV_NONE (only timer_gettime shows it).  SIGEV_THREAD is
libpthread's business on NetBSD and its kernel never notifies such a
timer: refused here with EINVAL rather than accepted and never run.
Values below a clock tick are rounded up to one (itimespecfix).  An
expiry while the timer's previous signal is still pending counts as an
overrun; timer_getoverrun answers the count of the last signal delivered.
Timers are gone on exec and exit (clear()) and not inherited by fork.

Expiry runs at each clock tick and at idle clock jumps (sched.timer_hooks:
expire() and the deadlines to jump to).
"""
import struct

from kw86.nbsd import abi
from kw86.nbsd.abi import EAGAIN, EINVAL, EPERM, ESRCH
from kw86.nbsd.errors import Errno, WouldBlock
from kw86.nbsd.sched import timer_hooks

TIMER_MIN, TIMER_MAX = 4, 36
SIGEV_NONE, SIGEV_SIGNAL, SIGEV_THREAD = 0, 1, 2
SI_USER, SI_QUEUE, SI_TIMER, SI_LWP, SI_NOINFO = 0, -1, -2, -5, 32767
CLOCK_REALTIME, CLOCK_VIRTUAL, CLOCK_PROF, CLOCK_MONOTONIC = 0, 1, 2, 3
TIMER_ABSTIME = 1
INT_MAX = 0x7fffffff
ITIMERSPEC_SIZE = 24            # struct itimerspec: it_interval, it_value (timespec: 12 each)
SIGEVENT_SIZE = 20              # notify, signo, value, notify_function, notify_attributes
HZ_TICK_NS = 10**7              # hz = 100 without a kernel

_armed = set()                  # armed timers (of every kernel)


def _clock(p, clock_id):
    from kw86.nbsd.syscalls.ident import _clock as clk
    return clk(p, clock_id)


class Timer:
    __slots__ = ("proc", "id", "clock", "notify", "signo", "value", "deadline", "interval",
                 "overrun", "poverrun", "absolute")

    def __init__(self, proc, tid, clock, notify, signo, value):
        self.proc, self.id, self.clock = proc, tid, clock
        self.notify, self.signo, self.value = notify, signo, value
        self.deadline = None            # on the timer's clock (ns); None: disarmed
        self.interval = 0
        self.overrun = 0                # expiries while its signal was pending
        self.poverrun = 0               # of the last signal delivered
        self.absolute = False           # armed with TIMER_ABSTIME (follows clock_settime)

    def pending(self):
        p = self.proc
        info = p.siginfo.get(self.signo)
        return info is not None and info[4] is self and self.signo in p.siglist

    def delivered(self):
        """Its signal left the pending set (proc.take_siginfo)."""
        self.poverrun = min(self.overrun, INT_MAX)
        self.overrun = 0

    def fire(self, now):
        n = 1
        if self.interval:
            n += (now - self.deadline) // self.interval
            self.deadline += n * self.interval
            self.absolute = False       # the reloads are relative to this expiry
        else:
            self.deadline = None
            _armed.discard(self)
        if self.notify != SIGEV_SIGNAL:
            return
        if self.pending():
            self.overrun += n
        else:
            self.overrun += n - 1
            self.proc.post_signal(self.signo, (SI_TIMER, 0, 0, self.value, self))

    def left(self):
        """ns until the next expiry (0: disarmed; an armed timer shows at least 1)."""
        if self.deadline is None:
            return 0
        return max(1, self.deadline - _clock(self.proc, self.clock))


class _TimerHook:
    """sched.timer_hooks entry."""

    @staticmethod
    def expire(k):
        if not _armed:
            return
        for t in list(_armed):
            p = t.proc
            if p.kernel is not k:
                continue
            if p.zombie or p.ptimers.get(t.id) is not t:
                _armed.discard(t)
                continue
            now = _clock(p, t.clock)
            if t.deadline is not None and t.deadline <= now:
                t.fire(now)

    @staticmethod
    def deadlines(k):
        """Guest-clock expiries in cycles (CPU-time timers advance only
        while their process runs: no idle jump to them)."""
        out = []
        hz = k.m.clock_hz
        base = k.clock()
        for t in _armed:
            p = t.proc
            if p.kernel is not k or t.deadline is None or t.clock not in (CLOCK_REALTIME,
                                                                         CLOCK_MONOTONIC):
                continue
            at = t.deadline - (_clock(p, t.clock) - base)      # on the kernel's clock
            out.append(-(-(at - k.epoch_ns) * hz // 10**9))
        return out


timer_hooks.append(_TimerHook)


def realtime_changed(sysm, delta):
    """clock_settime moved CLOCK_REALTIME by delta ns: a timer armed with a
    relative time still expires that long after it was armed (POSIX
    clock_settime: "no effect ... on the expiration of relative timers";
    NetBSD arms its callout once, in ticks), so its deadline on the
    changed clock moves with it; an absolute one keeps its date."""
    for t in _armed:
        if t.clock == CLOCK_REALTIME and not t.absolute and t.deadline is not None and \
                t.proc.sys is sysm:
            t.deadline += delta


def clear(p):
    """exec and exit: the process's POSIX timers are deleted."""
    for t in p.ptimers.values():
        _armed.discard(t)
        t.deadline = None
    p.ptimers.clear()


def _get(p, tid):
    t = p.ptimers.get(tid)
    if t is None:
        raise Errno(EINVAL)
    return t


def sys_timer_create(p, clock_id, evp, timerid):
    if clock_id not in (CLOCK_REALTIME, CLOCK_VIRTUAL, CLOCK_PROF, CLOCK_MONOTONIC):
        raise Errno(EINVAL)
    tid = next((i for i in range(TIMER_MIN, TIMER_MAX) if i not in p.ptimers), None)
    if evp:
        notify, signo, value, _fn, _attr = struct.unpack("<iiIII", p.mem.copyin(evp, SIGEVENT_SIZE))
        if notify not in (SIGEV_NONE, SIGEV_SIGNAL) or \
                (notify == SIGEV_SIGNAL and not 1 <= signo < abi.NBSD_NSIG):
            raise Errno(EINVAL)
    else:
        notify, signo, value = SIGEV_SIGNAL, abi.NBSD_SIGALRM, tid
    if tid is None:
        raise Errno(EAGAIN)
    p.mem.copyout(timerid, struct.pack("<i", tid))
    p.ptimers[tid] = Timer(p, tid, clock_id, notify, signo, value or 0)


def sys_timer_delete(p, timerid):
    t = _get(p, timerid)
    _armed.discard(t)
    t.deadline = None
    del p.ptimers[timerid]


def _ts_ns(p, raw, off, tick):
    sec, nsec = abi.unpack_timespec(raw[off:off + 12])
    if sec < 0 or not 0 <= nsec < 10**9:
        raise Errno(EINVAL)
    ns = sec * 10**9 + nsec
    if sec == 0 and 0 < nsec < tick:
        ns = tick                               # itimespecfix: at least one tick
    return ns


def _pack_its(interval, value):
    return abi.pack_timespec(*divmod(interval, 10**9)) + abi.pack_timespec(*divmod(value, 10**9))


def sys___timer_settime50(p, timerid, flags, value, ovalue):
    t = _get(p, timerid)
    tick = p.kernel._tick_ns if p.kernel is not None else HZ_TICK_NS
    raw = p.mem.copyin(value, ITIMERSPEC_SIZE)
    interval = _ts_ns(p, raw, 0, tick)
    val = _ts_ns(p, raw, 12, tick)
    old = _pack_its(t.interval if t.deadline is not None else 0, t.left())
    if ovalue:
        p.mem.copyout(ovalue, old)
    t.overrun = 0
    if val == 0:
        t.deadline, t.interval = None, 0
        _armed.discard(t)
        return
    sec, nsec = abi.unpack_timespec(raw[12:24])
    if flags & TIMER_ABSTIME:
        t.deadline = sec * 10**9 + nsec         # (an absolute time is not rounded)
    else:
        t.deadline = _clock(p, t.clock) + val
    t.absolute = bool(flags & TIMER_ABSTIME)
    t.interval = interval
    _armed.add(t)


def sys___timer_gettime50(p, timerid, value):
    t = _get(p, timerid)
    p.mem.copyout(value, _pack_its(t.interval if t.deadline is not None else 0, t.left()))


def sys_timer_getoverrun(p, timerid):
    return _get(p, timerid).poverrun


# -- siginfo signal calls ---------------------------------------------------------

UNBLOCKABLE = abi.sigbit(abi.NBSD_SIGKILL) | abi.sigbit(abi.NBSD_SIGSTOP)


def sys____sigtimedwait50(p, set_, info, timeout):
    """Take a pending signal of *set (the calling LWP's own first, then the
    process's; the lowest number first) without running its handler: ->
    its number, its siginfo in *info.  None pending: sleep until one is
    posted; a caught signal outside the set ends the wait (EINTR), the
    timeout EAGAIN (a zero timeout polls)."""
    from kw86.nbsd.syscalls.poll import Interrupted, PollWait, sleep_done, sleep_start
    want = abi.unpack_sigset(p.mem.copyin(set_, 16)) & ~UNBLOCKABLE
    tmo = None
    if timeout:
        sec, nsec = abi.unpack_timespec(p.mem.copyin(timeout, 12))
        if sec < 0 or not 0 <= nsec < 10**9:
            raise Errno(EINVAL)
        tmo = sec * 10**9 + nsec
    key = ("sigtimedwait", want, set_, info, timeout, tmo)
    ts = p.timed_start
    taken = ts[2] if ts is not None and ts[0] == key and isinstance(ts[2], tuple) else None
    for owner in (p.l, p):
        mine = sorted(s for s in owner.siglist if want & abi.sigbit(s))
        if mine or taken:
            if taken:                           # handed over while it slept (proc.py)
                _, sig, si = taken
            else:
                sig = mine[0]
                owner.siglist = [s for s in owner.siglist if s != sig]
                si = p.take_siginfo(sig) if owner is p else \
                    dict(code=SI_LWP, pid=p.pid, uid=p.cred.euid)    # _lwp_kill
            if info:
                p.mem.copyout(info, abi.pack_siginfo(
                    sig, si.get("code", SI_NOINFO), 0, pid=si.get("pid", 0),
                    uid=si.get("uid", 0), status=(si.get("value", 0) + 2**31) % 2**32 - 2**31))
            sleep_done(p)
            return sig
    if tmo == 0:
        raise Errno(EAGAIN)
    if p.kernel is None:
        raise Errno(abi.ENOSYS)
    try:
        rem = sleep_start(p, key, tmo)
    except Interrupted:
        raise Errno(abi.EINTR) from None
    if rem == 0:
        raise Errno(EAGAIN)
    raise WouldBlock(PollWait((("sigwait", p.pid),), rem))


def sys_sigqueueinfo(p, pid, info):
    """sigqueue(3): kill(2) with a siginfo (only the codes a process may
    send, si_code < 0: else EPERM); the target sees si_pid/si_uid of the
    sender.  A signal already pending is not queued twice: its newest
    siginfo replaces the older (NetBSD's sigput)."""
    raw = p.mem.copyin(info, abi.SIGINFO_SIZE)
    signo, code, _errno, _pid, _uid, value = struct.unpack_from("<iiiiII", raw)
    if not 0 <= signo < abi.NBSD_NSIG:
        raise Errno(EINVAL)
    if code >= 0:
        raise Errno(EPERM)
    procs = p.sys.procs or {p.pid: p}
    if pid > 0:
        q = procs.get(pid)
        if q is None or q.zombie:
            raise Errno(ESRCH)
        targets = [q]
    else:
        pg = p.pgid if pid == 0 else -pid
        targets = [q for q in procs.values() if not q.zombie and
                   ((pid == -1 and q.pid > 1) or (pid != -1 and q.pgid == pg))]
        if not targets:
            raise Errno(ESRCH)
    for q in targets:
        if p.cred.euid != 0 and p.cred.ruid not in (q.cred.ruid, q.cred.svuid) and \
                p.cred.euid not in (q.cred.ruid, q.cred.svuid):
            raise Errno(EPERM)
        if signo:
            q.post_signal(signo, (code, p.pid, p.cred.euid, value, None))
