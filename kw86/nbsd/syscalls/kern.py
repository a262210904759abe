"""__sysctl, resource limits and usage, scheduling niceties (no CPU state).

sysctl answers the kern.* and hw.* nodes libc and uname(3) ask [abi §4];
kern.arandom comes from the System's seeded generator (deterministic runs).
"""
import struct

from kw86.nbsd import abi
from kw86.nbsd.abi import EINVAL, ENOENT, ENOMEM, EPERM, ESRCH
from kw86.nbsd.errors import Errno

CTL_MAXNAME = 24
KERN_OSREV_VALUE = abi.NETBSD_VERSION_10
HW_PHYSMEM64, HW_USERMEM64 = 13, 14
KERN_BOOTTIME = 83                       # struct timespec (10)
KERN_PROC_ARGS = 48
NCPU = 1


def _str(s):
    return s.encode() + b"\0"


def _int(v):
    return struct.pack("<i", v)


def _quad(v):
    return struct.pack("<q", v)


# Integer leaves (sysctl.h numbers; values NetBSD 10's on a small i386):
# what sysconf(3), getdtablesize and friends read
KERN_INTS = {5: 4096,           # maxvnodes
             6: 160,            # maxproc
             7: 3404,           # maxfiles
             9: 0,              # securelevel
             11: 0,             # hostid
             17: 200809,        # posix1version
             18: 16,            # ngroups
             19: 1, 20: 1,      # job_control, saved_ids
             32: 1, 37: 1,      # fsync, synchronized_io
             38: 1024,          # iov_max
             40: 1, 41: 1, 42: 1, 43: 1,    # mapped_files, memlock(_range), memory_protection
             44: 17,            # login_name_max
             49: 2048,          # fscale
             60: 200112,        # monotonic_clock
             66: 200112, 67: 200112, 68: 200112, 69: 200112, 70: 200112, 71: 200112}
KERN_DOMAINNAME, KERN_URND = 22, 61
# CTL_USER: _CS_PATH (1) and the POSIX.2 limits (2..20)
USER_CS_PATH = 1
USER_INTS = {2: 99, 3: 2048, 4: 99, 5: 1000, 6: 2, 7: 32, 8: 2048, 9: 255,
             10: 200112, 11: 1, 12: 1, 13: 1, 14: 0, 15: 0, 16: 0, 17: 1, 18: 0,
             19: 20, 20: 255}


# -- net.route: the interface list (NET_RT_OIFLIST) ---------------------------
#
# kw86's network is its loopback (kw86/nbsd/socket.py): one interface, lo0,
# index 1, UP|LOOPBACK|RUNNING|MULTICAST, mtu 33624, with 127.0.0.1/8 and
# ::1/128, as NetBSD's `ifconfig lo0` shows it.  The list is the routing
# socket's messages (sys/net/route.h, if.h): an RTM_OIFINFO if_msghdr with
# the interface's sockaddr_dl, then an RTM_NEWADDR ifa_msghdr per address
# with its netmask and address; every sockaddr rounded to 8 bytes
# (RT_ROUNDUP).  NET_RT_OIFLIST (5) is the pre-8.0 format NetBSD 10 keeps
# for old binaries, the one Go's x/net/route asks for; mib[3] selects an
# address family (0: all), mib[5] an interface index (0: all).

CTL_NET, PF_ROUTE = 4, 34
NET_RT_OIFLIST = 5
RTM_VERSION, RTM_NEWADDR, RTM_OIFINFO = 4, 0x0C, 0x14
RTA_NETMASK, RTA_IFP, RTA_IFA = 0x04, 0x10, 0x20
AF_INET, AF_LINK, AF_INET6 = 2, 18, 24
IFT_LOOP = 0x18
LO0_INDEX, LO0_FLAGS, LO0_MTU = 1, 0x8049, 33624
LO0_ADDRS = ((AF_INET, bytes([127, 0, 0, 1]), bytes([255, 0, 0, 0])),
             (AF_INET6, bytes(15) + b"\1", b"\xff" * 16))
_IF_MSGHDR = struct.Struct("<HBBiiH2x")          # 16 bytes, then struct if_data
_IF_DATA = struct.Struct("<BBBxi14Qql4x")        # 136 (timespec, 64-bit aligned)
_IFA_MSGHDR = struct.Struct("<HBBiiiH6x")        # 24
assert _IF_MSGHDR.size + _IF_DATA.size == 0x98 and _IFA_MSGHDR.size == 0x18


def _rt_roundup(sa):
    return sa + bytes(-len(sa) % 8 if sa else 8)


def _sockaddr(af, addr):
    if af == AF_INET:
        return struct.pack("<BBH4s8x", 16, AF_INET, 0, addr)
    return struct.pack("<BBHI16sI", 28, AF_INET6, 0, 0, addr, 0)


def route_iflist(p, af, index):
    if index not in (0, LO0_INDEX):
        return b""
    sec, ns = abi.ns_split(p.sys.boottime)
    name = b"lo0"
    # sockaddr_dl: len, AF_LINK, index, type, nlen, alen, slen, data[24]
    sdl = struct.pack("<BBHBBBB24s", 32, AF_LINK, LO0_INDEX, IFT_LOOP, len(name), 0, 0, name)
    body = _rt_roundup(sdl)
    data = _IF_DATA.pack(IFT_LOOP, 0, 0, 0, LO0_MTU, *([0] * 13), sec, ns // 1000 * 1000)
    out = [_IF_MSGHDR.pack(_IF_MSGHDR.size + _IF_DATA.size + len(body), RTM_VERSION,
                           RTM_OIFINFO, RTA_IFP, LO0_FLAGS, LO0_INDEX) + data + body]
    for a_af, addr, mask in LO0_ADDRS:
        if af not in (0, a_af):
            continue
        body = _rt_roundup(_sockaddr(a_af, mask)) + _rt_roundup(_sockaddr(a_af, addr))
        out.append(_IFA_MSGHDR.pack(_IFA_MSGHDR.size + len(body), RTM_VERSION, RTM_NEWADDR,
                                    RTA_NETMASK | RTA_IFA, 0, 0, LO0_INDEX) + body)
    return b"".join(out)


# kern.sched: NetBSD creates the node and its leaves at boot with CTL_CREATE, so
# their numbers are dynamic (from CREATE_BASE, 1024) and programs find them by
# name (sysctlgetmibinfo -> CTL_QUERY): libc's sysconf(_SC_SCHED_RT_TS,
# _SC_SCHED_PRI_MIN, _SC_SCHED_PRI_MAX) and Go's x/sys/unix.Sysconf read them.
# name: the time-sharing scheduler (GENERIC's SCHED_4BSD); rtts: the
# round-robin quantum in milliseconds (hz/10 ticks: kw86/nbsd/sched.py's
# SCHED_RR slice); pri_min/pri_max: SCHED_PRI_MIN/SCHED_PRI_MAX of <sys/sched.h>.
KERN_SCHED = 1024
KERN_SCHED_LEAVES = {1024: b"4.4BSD\0", 1025: struct.pack("<i", 100),
                     1026: struct.pack("<i", 0), 1027: struct.pack("<i", 63)}


def sysctl_value(p, mib):
    """bytes for a leaf node, or raise Errno (ENOENT for an unknown node)."""
    s = p.sys
    info = s.sysinfo
    if len(mib) == 6 and mib[:3] == [CTL_NET, PF_ROUTE, 0] and mib[4] == NET_RT_OIFLIST:
        return route_iflist(p, mib[3], mib[5])
    if len(mib) >= 2 and mib[0] == abi.CTL_KERN and mib[1] in (34, 35, 36, 82):
        # kern.sysvmsg/sysvsem/sysvshm and kern.ipc (syscalls/sysvipc.py)
        from kw86.nbsd.syscalls import sysvipc
        return sysvipc.sysctl(p, mib[1:])
    if len(mib) == 2 and mib[0] == abi.CTL_KERN:
        n = mib[1]
        if n == abi.KERN_OSTYPE:
            return _str("NetBSD")
        if n == abi.KERN_OSRELEASE:
            return _str(info.get("osrelease", "10.0"))
        if n == abi.KERN_OSREV:
            return _int(KERN_OSREV_VALUE)
        if n == abi.KERN_VERSION:
            return _str(info.get("version", "NetBSD 10.0 (KW86) #0: kw86 emulated kernel\n"))
        if n == abi.KERN_HOSTNAME:
            return _str(s.hostname)
        if n == abi.KERN_ARGMAX:
            return _int(abi.ARG_MAX)
        if n == abi.KERN_CLOCKRATE:
            # struct clockinfo {hz, tick, tickadj, stathz, profhz}
            return struct.pack("<5i", 100, 10000, 40, 100, 100)
        if n == KERN_BOOTTIME:
            sec, ns = abi.ns_split(s.boottime)
            return abi.pack_timespec(sec, ns)
        if n == abi.KERN_ARND:
            raise Errno(EINVAL)                  # handled by the caller (size-driven)
        if n in KERN_INTS:
            return _int(KERN_INTS[n])
        if n == KERN_DOMAINNAME:
            return _str(s.domainname)
        if n == KERN_URND:
            return s.random_bytes(4)
    if len(mib) == 3 and mib[:2] == [abi.CTL_KERN, KERN_SCHED] and mib[2] in KERN_SCHED_LEAVES:
        return KERN_SCHED_LEAVES[mib[2]]
    if len(mib) == 2 and mib[0] == abi.CTL_HW:
        n = mib[1]
        mem = info.get("physmem", 64 << 20)
        if n == abi.HW_MACHINE:
            return _str("i386")
        if n == abi.HW_MACHINE_ARCH:
            return _str("i386")
        if n == abi.HW_MODEL:
            return _str(info.get("model", "Intel Celeron (Mendocino) 500 MHz (kw86)"))
        if n in (abi.HW_NCPU, abi.HW_NCPUONLINE):
            return _int(NCPU)
        if n == abi.HW_BYTEORDER:
            return _int(1234)
        if n == abi.HW_PAGESIZE:
            return _int(abi.PAGE_SIZE)
        if n == abi.HW_PHYSMEM:
            return _int(min(mem, 0x7fffffff))
        if n == abi.HW_USERMEM:
            return _int(min(info.get("usermem", mem), 0x7fffffff))
        if n == HW_PHYSMEM64:
            return _quad(mem)
        if n == HW_USERMEM64:
            return _quad(info.get("usermem", mem))
    if len(mib) == 2 and mib[0] == abi.CTL_USER:
        if mib[1] == USER_CS_PATH:
            return _str("/usr/bin:/bin:/usr/sbin:/sbin")
        if mib[1] in USER_INTS:
            return _int(USER_INTS[mib[1]])
    if mib == [abi.CTL_VM, 2]:                   # vm.loadavg: {fixpt_t ldavg[3]; long fscale}
        return struct.pack("<3Il", 0, 0, 0, 2048)
    raise Errno(ENOENT)


# -- CTL_QUERY: the names of the nodes (what sysctlnametomib(3) and Go's
# syscall.Sysctl walk: the children of a MIB prefix as struct sysctlnode)
#
# struct sysctlnode on i386 (96 bytes): sysctl_flags (SYSCTL_VERS_1 | the
# node's type and access), sysctl_num, sysctl_name[32], sysctl_ver,
# __rsvd, a 16-byte union, then size, func, parent and desc, each in an
# 8-byte slot.  kw86 names the nodes it answers.

CTL_QUERY = -2
SYSCTL_VERS_1, SYSCTL_VERS_MASK = 0x01000000, 0xFF000000
CTLTYPE_NODE, CTLTYPE_INT, CTLTYPE_STRING, CTLTYPE_QUAD, CTLTYPE_STRUCT = 1, 2, 3, 4, 5
CTLFLAG_READWRITE = 0x70
_SYSCTLNODE = struct.Struct("<Ii32sII16sQQQQ")
assert _SYSCTLNODE.size == 96
_I, _S, _Q, _T, _N = CTLTYPE_INT, CTLTYPE_STRING, CTLTYPE_QUAD, CTLTYPE_STRUCT, CTLTYPE_NODE
SYSCTL_NAMES = {
    (): [(1, "kern", _N), (2, "vm", _N), (3, "vfs", _N), (4, "net", _N), (5, "debug", _N),
         (6, "hw", _N), (7, "machdep", _N), (8, "user", _N)],
    (1,): [(1, "ostype", _S), (2, "osrelease", _S), (3, "osrevision", _I),
           (4, "version", _S), (5, "maxvnodes", _I), (6, "maxproc", _I), (7, "maxfiles", _I),
           (8, "argmax", _I), (9, "securelevel", _I), (10, "hostname", _S), (11, "hostid", _I),
           (12, "clockrate", _T), (17, "posix1version", _I), (18, "ngroups", _I),
           (19, "job_control", _I), (20, "saved_ids", _I), (22, "domainname", _S),
           (32, "fsync", _I), (34, "sysvmsg", _I), (35, "sysvsem", _I), (36, "sysvshm", _I),
           (37, "synchronized_io", _I), (38, "iov_max", _I),
           (40, "mapped_files", _I), (41, "memlock", _I), (42, "memlock_range", _I),
           (43, "memory_protection", _I), (44, "login_name_max", _I), (49, "fscale", _I),
           (61, "urandom", _I), (81, "arandom", _T), (82, "ipc", _N), (83, "boottime", _T),
           (1024, "sched", _N)],
    (1, 1024): [(1024, "name", _S), (1025, "rtts", _I), (1026, "pri_min", _I),
                (1027, "pri_max", _I)],
    # kern.ipc (syscalls/sysvipc.py): sysvipc_info takes one more level (msg/sem/shm)
    (1, 82): [(1, "sysvipc_info", _T), (5, "shmmax", _Q), (6, "shmmni", _I), (7, "shmseg", _I),
              (8, "shmmaxpgs", _I), (9, "shm_use_phys", _I)],
    (6,): [(1, "machine", _S), (2, "model", _S), (3, "ncpu", _I), (4, "byteorder", _I),
           (5, "physmem", _I), (6, "usermem", _I), (7, "pagesize", _I),
           (10, "machine_arch", _S), (13, "physmem64", _Q), (14, "usermem64", _Q),
           (16, "ncpuonline", _I)],
}
_SYSCTL_RW = {(1, 10), (1, 22)}             # kern.hostname, kern.domainname


def sysctl_query(p, prefix, newp, newlen):
    """The children of prefix as struct sysctlnode records."""
    if newp:
        if newlen < _SYSCTLNODE.size:
            raise Errno(EINVAL)
        flags = struct.unpack("<I", p.mem.copyin(newp, 4))[0]
        if flags & SYSCTL_VERS_MASK not in (0, SYSCTL_VERS_1):
            raise Errno(EINVAL)
    kids = SYSCTL_NAMES.get(tuple(prefix))
    if kids is None:
        entry = next((e for e in SYSCTL_NAMES.get(tuple(prefix[:-1]), ())
                      if prefix and e[0] == prefix[-1]), None)
        if entry is None:
            raise Errno(ENOENT)
        if entry[2] != CTLTYPE_NODE:
            raise Errno(abi.ENOTDIR)            # a leaf has no children
        kids = []                               # a node whose children kw86 does not name
    out = []
    for num, name, typ in kids:
        size = 0
        if typ != CTLTYPE_NODE:
            try:
                size = len(sysctl_value(p, list(prefix) + [num]))
            except Errno:
                size = 0
        rw = CTLFLAG_READWRITE if (tuple(prefix) + (num,)) in _SYSCTL_RW else 0
        out.append(_SYSCTLNODE.pack(SYSCTL_VERS_1 | typ | rw, num, name.encode(), 0, 0,
                                    bytes(16), size, 0, 0, 0))
    return b"".join(out)


def sys___sysctl(p, name, namelen, oldp, oldlenp, newp, newlen):
    if namelen < 1 or namelen > CTL_MAXNAME:
        raise Errno(EINVAL)
    mib = list(struct.unpack(f"<{namelen}i", p.mem.copyin(name, 4 * namelen)))
    if mib[-1] == CTL_QUERY:
        val = sysctl_query(p, mib[:-1], newp, newlen)
        have = struct.unpack("<I", p.mem.copyin(oldlenp, 4))[0] if oldlenp and oldp else 0
        if oldp:
            p.mem.copyout(oldp, val[:have - have % _SYSCTLNODE.size])
        if oldlenp:
            p.mem.copyout(oldlenp, struct.pack("<I", len(val)))
        if oldp and have < len(val):
            raise Errno(ENOMEM)
        return 0
    if newp:
        if mib == [abi.CTL_KERN, abi.KERN_HOSTNAME]:
            if p.cred.euid != 0:
                raise Errno(EPERM)
            if newlen > 255:
                raise Errno(EINVAL)
            p.sys.hostname = p.mem.copyin(newp, newlen).split(b"\0")[0].decode("latin-1")
        else:
            raise Errno(EPERM)
    have = struct.unpack("<I", p.mem.copyin(oldlenp, 4))[0] if oldlenp else 0
    if mib == [abi.CTL_KERN, abi.KERN_ARND]:
        n = min(have, 256)                       # NetBSD caps kern.arandom at 256 bytes
        if oldp and n:
            p.mem.copyout(oldp, p.sys.random_bytes(n))
        if oldlenp:
            p.mem.copyout(oldlenp, struct.pack("<I", n))
        return 0
    if len(mib) == 4 and mib[:3] == [abi.CTL_KERN, 82, 1]:
        # kern.ipc.sysvipc_info: its own size rules (syscalls/sysvipc.py)
        from kw86.nbsd.syscalls import sysvipc
        return sysvipc.sysctl_info(p, mib[3], oldp, oldlenp, have)
    val = sysctl_value(p, mib)
    if oldp:
        p.mem.copyout(oldp, val[:have])
    if oldlenp:
        p.mem.copyout(oldlenp, struct.pack("<I", len(val)))
    if oldp and have < len(val):
        raise Errno(ENOMEM)
    return 0


# -- resource limits and usage ----------------------------------------------

_DEFAULT_RLIMITS = {
    abi.NBSD_RLIMIT_CPU: (abi.RLIM_INFINITY, abi.RLIM_INFINITY),
    abi.NBSD_RLIMIT_FSIZE: (abi.RLIM_INFINITY, abi.RLIM_INFINITY),
    abi.NBSD_RLIMIT_DATA: (256 << 20, 3 << 30),
    abi.NBSD_RLIMIT_STACK: (abi.DFLSSIZ, abi.MAXSSIZ),
    abi.NBSD_RLIMIT_CORE: (0, abi.RLIM_INFINITY),
    abi.NBSD_RLIMIT_RSS: (abi.RLIM_INFINITY, abi.RLIM_INFINITY),
    abi.NBSD_RLIMIT_MEMLOCK: (abi.RLIM_INFINITY, abi.RLIM_INFINITY),
    abi.NBSD_RLIMIT_NPROC: (160, 1044),
    abi.NBSD_RLIMIT_NOFILE: (abi.OPEN_MAX, 3404),
    abi.NBSD_RLIMIT_SBSIZE: (abi.RLIM_INFINITY, abi.RLIM_INFINITY),
    abi.NBSD_RLIMIT_AS: (abi.RLIM_INFINITY, abi.RLIM_INFINITY),
    abi.NBSD_RLIMIT_NTHR: (1024, 1024),
}


def getrlimit(p, which):
    if not 0 <= which < abi.NBSD_RLIM_NLIMITS:
        raise Errno(EINVAL)
    v = p.rlimits.get(which)
    if which == abi.NBSD_RLIMIT_NOFILE:
        v = [p.fdt.limit, (v or _DEFAULT_RLIMITS[which])[1]]
    return tuple(v or _DEFAULT_RLIMITS[which])


def sys_getrlimit(p, which, rlp):
    p.mem.copyout(rlp, abi.pack_rlimit(*getrlimit(p, which)))


def sys_setrlimit(p, which, rlp):
    cur, mx = abi.unpack_rlimit(p.mem.copyin(rlp, 16))
    old = getrlimit(p, which)
    if cur > mx:
        raise Errno(EINVAL)
    if mx > old[1] and p.cred.euid != 0:
        raise Errno(EPERM)
    if which == abi.NBSD_RLIMIT_NOFILE:
        p.fdt.limit = max(3, min(cur, 3404))
    if which == abi.NBSD_RLIMIT_STACK:
        # NetBSD's dosetrlimit: not below the stack in use (EINVAL, SUSv2),
        # at most MAXSSIZ, page-rounded; the accessible part of the stack's
        # MAXSSIZ reservation follows rlim_cur (vm.set_stack_limit)
        used = p.vm.stack_used() if p.vm is not None else 0
        if cur < used or mx < used:
            raise Errno(EINVAL)
        pg = abi.PAGE_SIZE - 1
        cur = (min(cur, abi.MAXSSIZ) + pg) & ~pg
        mx = (min(mx, abi.MAXSSIZ) + pg) & ~pg
        if p.vm is not None:
            p.vm.set_stack_limit(cur)
    p.rlimits[which] = [cur, mx]


RUSAGE_SELF, RUSAGE_CHILDREN = 0, -1


def _getrusage(p, who, rusage, abiv):
    if who not in (RUSAGE_SELF, RUSAGE_CHILDREN):
        raise Errno(EINVAL)
    from kw86.nbsd import rusage as ru      # user/system time (rusage.py)
    ut, st = ru.getrusage(p, who)
    p.mem.copyout(rusage, abi.pack_rusage(ut, st, abi=abiv))


def sys___getrusage50(p, who, rusage):
    _getrusage(p, who, rusage, "10")


def sys_getrusage(p, who, rusage):
    _getrusage(p, who, rusage, "15")


# -- scheduling ---------------------------------------------------------------

PRIO_PROCESS, PRIO_PGRP, PRIO_USER = 0, 1, 2


def _prio_targets(p, which, who):
    """The live processes getpriority/setpriority(which, who) name."""
    if which not in (PRIO_PROCESS, PRIO_PGRP, PRIO_USER):
        raise Errno(EINVAL)
    procs = [q for q in (p.sys.procs.values() or [p]) if q.state != "zomb"] or [p]
    if which == PRIO_PROCESS:
        out = [q for q in procs if q.pid == (who or p.pid)]
        if not out and who in (0, p.pid):
            out = [p]
    elif which == PRIO_PGRP:
        out = [q for q in procs if q.pgid == (who or p.pgid)]
    else:
        out = [q for q in procs if q.cred.euid == (who if who else p.cred.euid)]
    if not out:
        raise Errno(ESRCH)
    return out


def sys_getpriority(p, which, who):
    """The lowest nice value of the processes named (NetBSD returns it as is)."""
    return min(q.nice for q in _prio_targets(p, which, who))


def sys_setpriority(p, which, who, prio):
    """Set the nice value (clamped to -20..20) of every process named: EPERM
    for another user's process, EACCES to lower it without root."""
    prio = max(-20, min(20, prio))
    for q in _prio_targets(p, which, who):
        if p.cred.euid != 0 and p.cred.euid not in (q.cred.euid, q.cred.ruid):
            raise Errno(EPERM)
        if prio < q.nice and p.cred.euid != 0:
            raise Errno(abi.EACCES)
        q.nice = prio


def sys_sched_yield(p):
    """A time-sharing LWP goes to the tail of the round robin at trap exit;
    a real-time one to the tail of its priority's list, when another LWP
    of its priority or above is runnable (else it runs on: sched.py)."""
    l = p.l
    k = p.kernel
    if l.sched_class and k is not None:
        from kw86.nbsd.sched import eprio
        if k.runq.best() < eprio(l):
            return                              # nobody to give way to
        k._yield_lwp = l
    p.want_resched = True                       # the scheduler switches at trap exit


# -- interval timers (setitimer/getitimer; alarm(3) is setitimer in libc) ----
#
# p.itimers: which -> [value, interval] in ns.  ITIMER_REAL's value is the
# absolute guest time (p.sys.clock()) it fires at; the kernel checks it at
# every clock tick and jumps an idle clock to it (kernel._expire_timers), so
# SIGALRM comes on modelled time.  ITIMER_VIRTUAL and ITIMER_PROF hold the CPU
# time left: the clock tick charges the running process one tick (user-mode
# ticks only for VIRTUAL), as NetBSD's statclock does, and posts SIGVTALRM /
# SIGPROF at zero.  Values below a tick are rounded up to one (itimerfix).

ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF = 0, 1, 2
TICK_NS = 10_000_000                            # hz 100


def _itv_size(abiv):
    return 2 * abi.timespec_size(abiv)


def _unpack_tv(data, off, abiv):
    n = abi.timespec_size(abiv)
    sec, usec = abi.unpack_timeval(data[off:off + n], abiv)
    if sec < 0 or not 0 <= usec < 10**6:
        raise Errno(EINVAL)
    ns = sec * 10**9 + usec * 1000
    return TICK_NS if 0 < ns < TICK_NS else ns


def _pack_tv(ns, abiv):
    us = (ns + 999) // 1000                     # never report 0 for an armed timer
    return abi.pack_timeval(us // 10**6, us % 10**6, abiv)


def itimer_get(p, which):
    """(value ns left, interval ns) of timer which; (0, 0) when disarmed."""
    t = p.itimers.get(which)
    if t is None:
        return 0, 0
    left = t[0] - int(p.sys.clock()) if which == ITIMER_REAL else t[0]
    return max(left, 1), t[1]


def _getitimer(p, which, itv, abiv):
    if which not in (ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF):
        raise Errno(EINVAL)
    value, interval = itimer_get(p, which)
    p.mem.copyout(itv, _pack_tv(interval, abiv) + _pack_tv(value, abiv))


def _setitimer(p, which, itv, oitv, abiv):
    if which not in (ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF):
        raise Errno(EINVAL)
    new = None
    if itv:
        data = p.mem.copyin(itv, _itv_size(abiv))
        interval = _unpack_tv(data, 0, abiv)
        value = _unpack_tv(data, abi.timespec_size(abiv), abiv)
        new = (value, interval)
    if oitv:
        _getitimer(p, which, oitv, abiv)
    if new is None:
        return 0
    value, interval = new
    if value == 0:
        p.itimers.pop(which, None)
    else:
        p.itimers[which] = [int(p.sys.clock()) + value if which == ITIMER_REAL else value,
                            interval]
    k = p.kernel
    if k is not None:
        k.timers_changed(p)
    return 0


def sys___setitimer50(p, which, itv, oitv):
    return _setitimer(p, which, itv, oitv, "10")


def sys___getitimer50(p, which, itv):
    return _getitimer(p, which, itv, "10")


def sys_setitimer(p, which, itv, oitv):
    return _setitimer(p, which, itv, oitv, "15")


def sys_getitimer(p, which, itv):
    return _getitimer(p, which, itv, "15")
