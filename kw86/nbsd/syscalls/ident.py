"""Identity, session and time system calls (no CPU state needed)."""
import struct

from kw86.nbsd import abi
from kw86.nbsd.abi import EINVAL, EPERM, ESRCH
from kw86.nbsd.errors import Errno

NOCHANGE = 0xffffffff
NGROUPS_MAX = 16


def sys_getpid(p):
    return p.pid, p.ppid                    # getpid_with_ppid [abi §1]


def sys_getppid(p):
    return p.ppid


def sys_getuid(p):
    return p.cred.ruid, p.cred.euid         # getuid_with_euid


def sys_geteuid(p):
    return p.cred.euid


def sys_getgid(p):
    return p.cred.rgid, p.cred.egid         # getgid_with_egid


def sys_getegid(p):
    return p.cred.egid


def sys_getgroups(p, gidsetsize, gidset):
    g = p.cred.groups
    if gidsetsize == 0:
        return len(g)
    if gidsetsize < len(g):
        raise Errno(EINVAL)
    p.mem.copyout(gidset, struct.pack(f"<{len(g)}I", *g))
    return len(g)


def sys_setgroups(p, gidsetsize, gidset):
    if p.cred.euid != 0:
        raise Errno(EPERM)
    if gidsetsize < 0 or gidsetsize > NGROUPS_MAX:
        raise Errno(EINVAL)
    raw = p.mem.copyin(gidset, 4 * gidsetsize) if gidsetsize else b""
    p.cred.groups = list(struct.unpack(f"<{gidsetsize}I", raw))


def sys_setuid(p, uid):
    c = p.cred
    if c.euid == 0:
        c.ruid = c.euid = c.svuid = uid
    elif uid == c.ruid:
        c.euid = c.svuid = uid
    else:
        raise Errno(EPERM)


def sys_seteuid(p, euid):
    c = p.cred
    if c.euid != 0 and euid not in (c.ruid, c.svuid):
        raise Errno(EPERM)
    c.euid = euid


def sys_setgid(p, gid):
    c = p.cred
    if c.euid == 0:
        c.rgid = c.egid = c.svgid = gid
    elif gid == c.rgid:
        c.egid = c.svgid = gid
    else:
        raise Errno(EPERM)


def sys_setegid(p, egid):
    c = p.cred
    if c.euid != 0 and egid not in (c.rgid, c.svgid):
        raise Errno(EPERM)
    c.egid = egid


def sys_setreuid(p, ruid, euid):
    c = p.cred
    if c.euid != 0:
        if ruid != NOCHANGE and ruid not in (c.ruid, c.euid):
            raise Errno(EPERM)
        if euid != NOCHANGE and euid not in (c.ruid, c.euid, c.svuid):
            raise Errno(EPERM)
    if euid != NOCHANGE:
        c.euid = euid
    if ruid != NOCHANGE:
        c.ruid = ruid
        c.svuid = c.euid


def sys_setregid(p, rgid, egid):
    c = p.cred
    if c.euid != 0:
        if rgid != NOCHANGE and rgid not in (c.rgid, c.egid):
            raise Errno(EPERM)
        if egid != NOCHANGE and egid not in (c.rgid, c.egid, c.svgid):
            raise Errno(EPERM)
    if egid != NOCHANGE:
        c.egid = egid
    if rgid != NOCHANGE:
        c.rgid = rgid
        c.svgid = c.egid


def sys_issetugid(p):
    return 0


def sys_getpgrp(p):
    return p.pgid


def _find(p, pid):
    if pid == 0 or pid == p.pid:
        return p
    q = p.sys.procs.get(pid)
    if q is None:
        raise Errno(ESRCH)
    return q


def sys_getpgid(p, pid):
    return _find(p, pid).pgid


def sys_getsid(p, pid):
    return _find(p, pid).sid


def sys_setpgid(p, pid, pgid):
    q = _find(p, pid)
    if pgid < 0:
        raise Errno(EINVAL)
    if q.sid != p.sid:
        raise Errno(EPERM)
    q.pgid = pgid or q.pid


def sys_setsid(p):
    if p.pgid == p.pid:
        raise Errno(EPERM)                  # already a group leader
    p.sid = p.pgid = p.pid
    return p.sid


def sys___getlogin(p, namebuf, namelen):
    name = p.login + b"\0"
    if namelen < len(name):
        raise Errno(EINVAL)
    p.mem.copyout(namebuf, name)


def sys___setlogin(p, namebuf):
    if p.cred.euid != 0:
        raise Errno(EPERM)
    p.login = p.mem.copyinstr(namebuf, 17)


# -- time (guest time is derived from cycles: System.clock, ns since the epoch)

CLOCK_REALTIME, CLOCK_VIRTUAL, CLOCK_PROF, CLOCK_MONOTONIC = 0, 1, 2, 3
_TS10 = abi._TS10                       # struct timespec (NetBSD 10: 64-bit time_t)


def adj_slew(sysm, now):
    """ns an adjtime(2) correction has added to CLOCK_REALTIME by now
    (nbcalls.TimeAdj); 0 without one."""
    adj = getattr(sysm, "time_adj", None)
    return 0 if adj is None else adj.applied(now)


def _clock(p, clock_id):
    now = int(p.sys.clock())
    if clock_id == CLOCK_REALTIME:
        # clock_settime's offset (sched.py) and an adjtime slew (nbcalls.py)
        return now + getattr(p.sys, "realtime_offset", 0) + adj_slew(p.sys, now)
    if clock_id == CLOCK_MONOTONIC:
        return now - p.sys.boottime
    if clock_id in (CLOCK_VIRTUAL, CLOCK_PROF):
        return p.cpu_ns
    raise Errno(EINVAL)


CLOCK_THREAD_CPUTIME_ID, CLOCK_PROCESS_CPUTIME_ID = 0x20000000, 0x40000000
CPUCLOCK_ID_MASK = ~(CLOCK_THREAD_CPUTIME_ID | CLOCK_PROCESS_CPUTIME_ID) & 0xffffffff
P_PID, P_LWPID = 1, 2                   # sys/idtype.h


def _gettime(p, clock_id):
    """clock_gettime's clocks, as NetBSD's clock_gettime1: CLOCK_REALTIME,
    CLOCK_MONOTONIC and the CPU-time clocks clock_getcpuclockid2 names
    (CLOCK_PROCESS_CPUTIME_ID | pid: the process's user + system time,
    pid 0 the caller, ESRCH for no live process; CLOCK_THREAD_CPUTIME_ID |
    lid: the run time of an LWP of the caller, lid 0 the caller, ESRCH
    for none); anything else EINVAL."""
    clock_id &= 0xffffffff
    if clock_id & CLOCK_PROCESS_CPUTIME_ID:
        pid = clock_id & CPUCLOCK_ID_MASK
        q = p if pid in (0, p.pid) else p.sys.procs.get(pid)
        if q is None or getattr(q, "zombie", False) or q.state == "zomb":
            raise Errno(ESRCH)
        from kw86.nbsd import rusage
        u, s = rusage.calcru(q, getattr(q, "kernel", None))
        return (u + s) * 1000                   # calcru's microseconds, as NetBSD
    if clock_id & CLOCK_THREAD_CPUTIME_ID:
        lid = clock_id & CPUCLOCK_ID_MASK
        l = p.l if lid == 0 else p.lwps.get(lid)
        if l is None or l.state == "zomb":
            raise Errno(ESRCH)
        from kw86.nbsd import rusage
        ns = rusage.lwp_run_ns(p, l.lid, getattr(p, "kernel", None))
        if ns is None:                          # no machine: the process's ticks
            ns = p.cpu_ns
        return ns
    if clock_id in (CLOCK_REALTIME, CLOCK_MONOTONIC):
        return _clock(p, clock_id)
    raise Errno(EINVAL)


def sys_clock_getcpuclockid2(p, idtype, id_, clock_id):
    """The CPU-time clock of a process (P_PID) or of an LWP of the caller
    (P_LWPID); id 0 is the caller.  As NetBSD, whether it exists is
    clock_gettime's business (ESRCH there)."""
    if idtype == P_PID:
        cid = CLOCK_PROCESS_CPUTIME_ID | ((id_ or p.pid) & CPUCLOCK_ID_MASK)
    elif idtype == P_LWPID:
        cid = CLOCK_THREAD_CPUTIME_ID | ((id_ or p.l.lid) & CPUCLOCK_ID_MASK)
    else:
        raise Errno(EINVAL)
    p.mem.copyout(clock_id, struct.pack("<I", cid))


def _gettimeofday(p, tp, tzp, abiv):
    if tp:
        s, ns = abi.ns_split(_clock(p, CLOCK_REALTIME))
        p.mem.copyout(tp, abi.pack_timeval(s, ns // 1000, abiv))
    if tzp:
        p.mem.copyout(tzp, b"\0" * 8)       # struct timezone: UTC, no DST


def sys___gettimeofday50(p, tp, tzp):
    _gettimeofday(p, tp, tzp, "10")


def sys_gettimeofday(p, tp, tzp):
    _gettimeofday(p, tp, tzp, "15")


def sys___clock_gettime50(p, clock_id, tp):
    # the two clocks inline: Go's nanotime (MONOTONIC, every pass of its
    # scheduler: millions of calls when a goroutine spins in Gosched, as
    # runtime.GC's sweep wait does) and walltime (REALTIME, time.Now)
    if clock_id == CLOCK_MONOTONIC:
        ns = int(p.sys.clock()) - p.sys.boottime
    elif clock_id == CLOCK_REALTIME:
        now = int(p.sys.clock())
        ns = now + getattr(p.sys, "realtime_offset", 0) + adj_slew(p.sys, now)
    else:
        ns = _gettime(p, clock_id)
    p.mem.copyout(tp, _TS10.pack(ns // 1_000_000_000, ns % 1_000_000_000))


def sys_clock_gettime(p, clock_id, tp):
    s, ns = abi.ns_split(_gettime(p, clock_id))
    p.mem.copyout(tp, abi.pack_timespec(s, ns, "15"))


def sys___clock_getres50(p, clock_id, tp):
    _clock(p, clock_id)
    if tp:
        p.mem.copyout(tp, abi.pack_timespec(0, 10_000_000, "10"))   # hz = 100
