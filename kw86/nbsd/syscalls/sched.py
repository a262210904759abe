"""POSIX scheduling parameters and setting the realtime clock.

_sched_setparam (346) / _sched_getparam (347) / _sched_setaffinity (348) /
_sched_getaffinity (349) as NetBSD 10's kern/sys_sched.c defines them (libc's
sched_setparam, sched_getscheduler ... are wrappers: userland/libc/sched.c),
and __clock_settime50 (428).

Facts (NetBSD's sys/sched.h and sys_sched.c): SCHED_NONE -1, SCHED_OTHER 0,
SCHED_FIFO 1, SCHED_RR 2; PRI_NONE -1 means "keep the priority";
real-time priorities SCHED_PRI_MIN 0 .. SCHED_PRI_MAX 63; a SCHED_OTHER
thread cannot be given a priority (EINVAL); pid 0 is the caller, an
unknown pid or lid ESRCH.  Permission (the scheduler's kauth listener):
reading needs a matching uid (or root);
the owner (matching uid) may change its own process only to keep or
lower its priority in a class that is not real-time, or in the class it
is in already; anything else needs root (EPERM).

The class and priority are the LWP's (NetBSD's l_class, l_priority; a
fork child's LWP and a new LWP get their creator's): lid 0 names every LWP
of the process for _sched_setparam (libc's sched_setparam and
sched_setscheduler) and the first live LWP of its list for
_sched_getparam -- NetBSD's lwp_find2, LWPs inserted at the head, so the
newest; a lid names one LWP (pthread_setschedparam).  Permission is
checked per LWP, as do_sched_setparam does, and the first refusal stops
the loop (the LWPs before it keep their change).  The scheduler
(kw86/nbsd/sched.py, changepri) requeues the LWP and preempts at once when
the change makes a runnable LWP outrank the running one.  A time-sharing
LWP has no settable priority (EINVAL) and reports 0: kw86's round robin
keeps no dynamic priority (NetBSD's 4.4BSD scheduler reports its current
one, 0..63, and a real-time LWP moved to SCHED_OTHER starts from its old
real-time priority there).

An affinity set may name CPU 0 only (the one CPU; another bit is EINVAL),
setting it is privileged as on NetBSD (EPERM for others).
"""
import struct

from kw86.nbsd import abi
from kw86.nbsd.abi import EINVAL, EPERM, ESRCH
from kw86.nbsd.errors import Errno

SCHED_NONE, SCHED_OTHER, SCHED_FIFO, SCHED_RR = -1, 0, 1, 2
PRI_NONE = -1
SCHED_PRI_MIN, SCHED_PRI_MAX = 0, 63
LID = 1


def _s32(v):
    v &= 0xffffffff
    return v - (1 << 32) if v & 0x80000000 else v


def _target(p, pid, lid):
    pid, lid = _s32(pid), _s32(lid)
    if pid == 0:
        q = p
    else:
        procs = p.sys.procs or {p.pid: p}
        q = procs.get(pid)
        if q is None or q.state == "zomb":
            raise Errno(ESRCH)
    if lid and lid not in getattr(q, "lwps", (LID,)):
        raise Errno(ESRCH)              # no such LWP in it
    return q


def _live(l):
    return l.state not in ("zomb", "new")


def _lwps(q, lid):
    """The LWPs lid names in q: all of them for 0 (do_sched_setparam's loop)."""
    lid = _s32(lid)
    lwps = getattr(q, "lwps", None)
    if lwps is None:
        return []
    if lid:
        l = lwps.get(lid)
        return [] if l is None or not _live(l) else [l]
    return [l for l in lwps.values() if _live(l)]


def _first_lwp(q, lid):
    """lwp_find2: the LWP lid names, or for 0 the head of the process's LWP
    list (the newest live one); None: ESRCH."""
    ls = _lwps(q, lid)
    if not ls:
        return None
    return ls[0] if _s32(lid) else max(ls, key=lambda l: l.seq)


def params(q):
    """(policy, priority) of a process (its current LWP): SCHED_OTHER 0
    unless set."""
    return getattr(q, "sched_params", (SCHED_OTHER, 0))


def _uidmatch(p, q):
    c, d = p.cred, q.cred
    return c.euid in (d.ruid, d.euid) or c.ruid in (d.ruid, d.euid)


def sys__sched_setparam(p, pid, lid, policy, params_ptr):
    (pri,) = struct.unpack("<i", p.mem.copyin(params_ptr, 4))
    policy = _s32(policy)
    if pri == PRI_NONE and policy == SCHED_NONE:
        return 0
    if policy != SCHED_NONE and not SCHED_OTHER <= policy <= SCHED_RR:
        raise Errno(EINVAL)
    if pri != PRI_NONE and not SCHED_PRI_MIN <= pri <= SCHED_PRI_MAX:
        raise Errno(EINVAL)
    q = _target(p, pid, lid)
    targets = _lwps(q, lid)
    if not targets:
        raise Errno(ESRCH)
    k = getattr(q, "kernel", None)
    for t in targets:
        cur_policy, cur_pri = t.sched_class, t.sched_pri
        lpolicy = cur_policy if policy == SCHED_NONE else policy
        if lpolicy == SCHED_OTHER and pri != PRI_NONE:
            raise Errno(EINVAL)
        npri = cur_pri if pri == PRI_NONE else pri
        if lpolicy == SCHED_OTHER:
            npri = 0
        if p.cred.euid != 0:
            # the scheduler's kauth listener: the owner may keep or lower
            # the kernel priority, in its own class or a time-sharing one
            # (a real-time -> time-sharing change always lowers it)
            lower = lpolicy == SCHED_OTHER or \
                (cur_policy != SCHED_OTHER and npri <= cur_pri)
            allowed = _uidmatch(p, q) and \
                (lpolicy == cur_policy or lpolicy not in (SCHED_FIFO, SCHED_RR)) and lower
            if not allowed:
                raise Errno(EPERM)
        if k is not None:
            k.changepri(t, lpolicy, npri)
        else:
            t.sched_class, t.sched_pri = lpolicy, npri
    return 0


def sys__sched_getparam(p, pid, lid, policy_ptr, params_ptr):
    q = _target(p, pid, lid)
    t = _first_lwp(q, lid)
    if t is None:
        raise Errno(ESRCH)
    if p.cred.euid != 0 and not _uidmatch(p, q):
        raise Errno(EPERM)              # another user's process (the kauth listener)
    p.mem.copyout(params_ptr, struct.pack("<i", t.sched_pri))
    if policy_ptr:
        p.mem.copyout(policy_ptr, struct.pack("<i", t.sched_class))
    return 0


def _cpuset(p, size, ptr):
    if size == 0 or size > 4096:
        raise Errno(EINVAL)
    return p.mem.copyin(ptr, size)


def sys__sched_setaffinity(p, pid, lid, size, cpuset):
    bits = _cpuset(p, size, cpuset)
    q = _target(p, pid, lid)
    if p.cred.euid != 0:
        raise Errno(EPERM)              # privileged (the secmodel decides: root)
    if any(bits[1:]) or bits[0] & ~1:
        raise Errno(EINVAL)             # only CPU 0 exists
    q.sched_affinity = bytes(bits[:1])
    return 0


def sys__sched_getaffinity(p, pid, lid, size, cpuset):
    _cpuset(p, size, cpuset)
    q = _target(p, pid, lid)
    out = bytearray(size)
    out[0] = getattr(q, "sched_affinity", b"\0")[0]
    p.mem.copyout(cpuset, bytes(out))
    return 0


# -- clock_settime ------------------------------------------------------------

CLOCK_REALTIME = 0


def realtime_offset(sysm):
    """ns added to the guest's CLOCK_REALTIME by clock_settime (0: never set)."""
    return getattr(sysm, "realtime_offset", 0)


def sys___clock_settime50(p, clock_id, tp):
    """Root sets the guest's CLOCK_REALTIME (an offset on the guest clock;
    the host's is never touched, and CLOCK_MONOTONIC goes on unchanged);
    others EPERM; another clock EINVAL; a bad timespec EINVAL."""
    if clock_id != CLOCK_REALTIME:
        raise Errno(EINVAL)             # CLOCK_MONOTONIC is read-only, others unknown
    sec, nsec = abi.unpack_timespec(p.mem.copyin(tp, abi.timespec_size("10")), "10")
    if sec < 0 or not 0 <= nsec < 10**9:
        raise Errno(EINVAL)
    if p.cred.euid != 0:
        raise Errno(EPERM)
    want = sec * 10**9 + nsec
    old = realtime_offset(p.sys)
    from kw86.nbsd.syscalls.ident import adj_slew
    now = int(p.sys.clock())
    p.sys.realtime_offset = want - now - adj_slew(p.sys, now)     # (an adjtime slew goes on)
    from kw86.nbsd.syscalls.ptimer import realtime_changed
    realtime_changed(p.sys, p.sys.realtime_offset - old)
    from kw86.nbsd.sched import wakeup
    from kw86.nbsd.syscalls.vm import CLOCK_SET_CHAN
    wakeup(CLOCK_SET_CHAN)              # absolute sleeps on the clock look again
    return 0
