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

kw86 has one CPU and one round-robin run queue (sched.py): the class and
priority are kept per process (q.sched_params) and reported, but they do
not reorder the run queue; a fork child inherits them (kernel.fork, as
NetBSD's child LWP inherits its parent's class and priority).
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


def params(q):
    """(policy, priority) of a process: SCHED_OTHER 0 unless set."""
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
    cur_policy, cur_pri = params(q)
    lpolicy = cur_policy if policy == SCHED_NONE else policy
    if lpolicy == SCHED_OTHER and pri != PRI_NONE:
        raise Errno(EINVAL)
    npri = cur_pri if pri == PRI_NONE else pri
    if lpolicy == SCHED_OTHER:
        npri = 0
    if p.cred.euid != 0:
        allowed = _uidmatch(p, q) and \
            (lpolicy == cur_policy or lpolicy not in (SCHED_FIFO, SCHED_RR)) and \
            npri <= cur_pri
        if not allowed:
            raise Errno(EPERM)
    q.sched_params = (lpolicy, npri)
    return 0


def sys__sched_getparam(p, pid, lid, policy_ptr, params_ptr):
    q = _target(p, pid, lid)
    if p.cred.euid != 0 and not _uidmatch(p, q):
        raise Errno(EPERM)              # another user's process (the kauth listener)
    pol, pri = params(q)
    p.mem.copyout(params_ptr, struct.pack("<i", pri))
    if policy_ptr:
        p.mem.copyout(policy_ptr, struct.pack("<i", pol))
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
