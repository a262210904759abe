"""Advisory record locks: fcntl(F_GETLK/F_SETLK/F_SETLKW) and flock(2)
(NetBSD's kern/vfs_lockf.c as far as its behaviour shows).

A file's locks are kept per file (the vnode's cache key) in the System, so
every process that opens the file sees them.  A lock has an owner: a
process for fcntl's POSIX locks ("posix", pid), an open file for flock's
(("flock", id(file))).  Both kinds live in one list per file and conflict
with each other as on BSD.

- A request conflicts with another owner's lock that overlaps it when
  either is a write lock.  F_SETLK then fails with EAGAIN, F_SETLKW sleeps
  on the file's channel (WouldBlock: a caught signal ends the sleep with
  EINTR) unless waiting would close a cycle of waiting processes (EDEADLK).
- An owner's own locks are replaced over the requested range (split,
  upgraded, downgraded or removed, F_UNLCK); neighbouring ranges of the same
  type merge.
- POSIX: a process's locks on a file go when it closes *any* descriptor of
  that file (FdTable.close calls release_posix) and when it exits (its
  descriptors are closed); a fork child inherits none.  flock: the lock goes
  with the last close of the open file (file_closed).
Ranges are [start, end] inclusive, end None = to the end of any file.

Kept per file by owner (FileLocks): an owner's locks never overlap and
never touch one of the same type (they merge), so each owner's are one
list sorted by start whose ends are sorted too, searched with bisect: a
request looks at the few locks of each owner around its range, not at
every lock of the file (a process holding 20,000 locks: bench/lockf_bench.py).
"""
import itertools
from bisect import bisect_right

from kw86.nbsd import abi
from kw86.nbsd.errors import Errno, WouldBlock
from kw86.nbsd.vfs import vnode_key

F_RDLCK, F_UNLCK, F_WRLCK = abi.NBSD_F_RDLCK, abi.NBSD_F_UNLCK, abi.NBSD_F_WRLCK
LOCK_SH, LOCK_EX, LOCK_NB, LOCK_UN = 1, 2, 4, 8          # sys/fcntl.h
EDEADLK = 11


_seq = itertools.count()


class Lock:
    __slots__ = ("owner", "start", "end", "type", "pid", "seq")

    def __init__(self, owner, start, end, type_, pid):
        self.owner, self.start, self.end, self.type, self.pid = owner, start, end, type_, pid
        self.seq = next(_seq)           # (the order of locks with one start: older first)

    def overlaps(self, start, end):
        return (end is None or self.start <= end) and (self.end is None or start <= self.end)

    def __repr__(self):
        return f"Lock({self.owner} {self.start}-{self.end} type {self.type})"


class _OwnerLocks:
    """One owner's locks on a file: disjoint, sorted by start (starts: their
    starts, for bisect)."""
    __slots__ = ("starts", "locks")

    def __init__(self):
        self.starts, self.locks = [], []

    def span(self, start, end):
        """The indices [i, k) of the locks overlapping [start, end]."""
        starts, locks = self.starts, self.locks
        i = bisect_right(starts, start) - 1
        if i < 0 or (locks[i].end is not None and locks[i].end < start):
            i += 1
        k = len(starts) if end is None else bisect_right(starts, end)
        return i, max(i, k)


class FileLocks:
    """A file's locks: owner -> _OwnerLocks (iterating gives every lock,
    by start)."""
    __slots__ = ("owners",)

    def __init__(self):
        self.owners = {}

    def __iter__(self):
        return iter(sorted((lk for ol in self.owners.values() for lk in ol.locks),
                           key=lambda lk: (lk.start, lk.seq)))

    def __len__(self):
        return sum(len(ol.locks) for ol in self.owners.values())

    def __bool__(self):
        return bool(self.owners)


def _table(sysm):
    t = getattr(sysm, "lockf", None)
    if t is None:
        t = sysm.lockf = {}             # file key -> FileLocks
        sysm.lockf_waits = {}           # pid -> (key, {pids it waits for})
    return t


def file_key(vp):
    try:
        return vnode_key(vp)
    except Errno:                       # its object is gone (hostfs ESTALE)
        return ("vnode", id(vp))


def chan(key):
    return ("lockf", key)


def _conflicts(fl, owner, start, end, type_):
    """Each other owner's first lock (by start) that a lock of type_ on
    [start, end] would conflict with."""
    out = []
    for o, ol in fl.owners.items():
        if o == owner:
            continue
        i, k = ol.span(start, end)
        locks = ol.locks
        if type_ == F_WRLCK:
            if i < k:
                out.append(locks[i])
            continue
        for j in range(i, k):
            if locks[j].type == F_WRLCK:
                out.append(locks[j])
                break
    return out


def conflict(fl, owner, start, end, type_):
    """The first lock (by start) of another owner that a lock of type_ on
    [start, end] would conflict with, or None."""
    if not fl:
        return None
    return min(_conflicts(fl, owner, start, end, type_), key=lambda lk: (lk.start, lk.seq),
               default=None)


def _set(ol, owner, start, end, type_, pid):
    """Replace owner's locks (ol) over [start, end] by type_ (F_UNLCK:
    none): the locks it covers go, the ones it cuts keep their parts
    outside it, and the new lock merges with a touching one of its type."""
    starts, locks = ol.starts, ol.locks
    i, k = ol.span(start, end)
    lo, hi = i, k
    left = right = None
    if i < k and locks[i].start < start:
        lk = locks[i]
        left = Lock(owner, lk.start, start - 1, lk.type, lk.pid)
    if i < k and end is not None and (locks[k - 1].end is None or locks[k - 1].end > end):
        lk = locks[k - 1]
        right = Lock(owner, end + 1, lk.end, lk.type, lk.pid)
    put = []
    if type_ != F_UNLCK:
        new = Lock(owner, start, end, type_, pid)
        if left is not None and left.type == type_:
            new.start, left = left.start, None
        elif left is None and i > 0 and locks[i - 1].type == type_ and \
                locks[i - 1].end + 1 == start:
            new.start = locks[i - 1].start
            lo = i - 1
        if right is not None and right.type == type_:
            new.end, right = right.end, None
        elif right is None and end is not None and k < len(locks) and \
                locks[k].type == type_ and locks[k].start == end + 1:
            new.end = locks[k].end
            hi = k + 1
        put.append(new)
    if left is not None:
        put.insert(0, left)
    if right is not None:
        put.append(right)
    locks[lo:hi] = put
    starts[lo:hi] = [lk.start for lk in put]


def _deadlock(sysm, me, holders):
    """Would `me` waiting for `holders` close a cycle of waiting processes?"""
    waits = sysm.lockf_waits
    procs = getattr(sysm, "procs", None) or {}
    seen, todo = set(), list(holders)
    while todo:
        pid = todo.pop()
        if pid == me:
            return True
        if pid in seen:
            continue
        seen.add(pid)
        w = waits.get(pid)
        q = procs.get(pid)
        if w is None or q is None or getattr(q, "state", None) != "sleep" or \
                chan(w[0]) not in tuple(getattr(q, "wchans", ()) or ()):
            continue                    # not (or no longer) waiting for a lock
        todo.extend(w[1])
    return False


def setlk(sysm, key, owner, pid, start, end, type_, wait):
    """F_SETLK/F_SETLKW (and flock): EAGAIN, EDEADLK, or sleep."""
    table = _table(sysm)
    fl = table.get(key)
    if type_ != F_UNLCK and fl:
        holders = {lk.pid for lk in _conflicts(fl, owner, start, end, type_)}
        if holders:
            if not wait:
                raise Errno(abi.EAGAIN)
            if owner[0] == "posix" and _deadlock(sysm, pid, holders):
                raise Errno(EDEADLK)
            sysm.lockf_waits[pid] = (key, holders)
            raise WouldBlock(chan(key))
    sysm.lockf_waits.pop(pid, None)
    if fl is None:
        fl = table[key] = FileLocks()
    ol = fl.owners.get(owner)
    if ol is None:
        ol = fl.owners[owner] = _OwnerLocks()
    uid = _uid(sysm, pid)
    before = (list(ol.starts), list(ol.locks)) if uid else None
    _set(ol, owner, start, end, type_, pid)
    try:
        if uid and len(ol.locks) > len(before[1]) and \
                _count(sysm, uid) > MAXLOCKSPERUID * (2 if type_ == F_UNLCK else 1) + 1:
            ol.starts[:], ol.locks[:] = before      # (lf_alloc failed: nothing changed)
            raise Errno(abi.ENOLCK)
    finally:
        if not ol.locks:
            del fl.owners[owner]
        if not fl.owners:
            del table[key]
    _wakeup(key)


# NetBSD's maxlocksperuid (vfs_lockf.c): the locks a user other than root
# may hold; a request that needs more is ENOLCK (an unlock that splits a
# lock may go to twice as many).  Root has no limit.
MAXLOCKSPERUID = 1024


def _uid(sysm, pid):
    q = (getattr(sysm, "procs", None) or {}).get(pid)
    return 0 if q is None else q.cred.euid


def _count(sysm, uid):
    """The locks held by uid's processes (lf_alloc's ui_lockcnt)."""
    uids = {}
    n = 0
    for fl in sysm.lockf.values():
        for owner, ol in fl.owners.items():
            if owner[0] == "posix":     # (all of one process)
                u = uids.get(owner[1])
                if u is None:
                    u = uids[owner[1]] = _uid(sysm, owner[1])
                if u == uid:
                    n += len(ol.locks)
                continue
            for lk in ol.locks:
                u = uids.get(lk.pid)
                if u is None:
                    u = uids[lk.pid] = _uid(sysm, lk.pid)
                if u == uid:
                    n += 1
    return n


def getlk(sysm, key, owner, start, end, type_):
    fl = _table(sysm).get(key)
    return None if fl is None else conflict(fl, owner, start, end, type_)


def release(sysm, key, owner):
    """Drop every lock of owner on the file (close, exit)."""
    table = getattr(sysm, "lockf", None)
    if not table or key not in table:
        return
    fl = table[key]
    if fl.owners.pop(owner, None) is not None:
        if not fl.owners:
            del table[key]
        _wakeup(key)


def _wakeup(key):
    from kw86.nbsd.sched import wakeup
    wakeup(chan(key))


def posix_owner(pid):
    return ("posix", pid)


def on_close(fdt, f):
    """FdTable.close: a descriptor of f was closed by the process that owns
    fdt; POSIX locks of that process on the file go (if it ever locked)."""
    own = getattr(fdt, "lock_owner", None)
    vp = getattr(f, "vp", None)
    if own is None or vp is None:
        return
    sysm, pid = own
    release(sysm, file_key(vp), posix_owner(pid))


def file_closed(f):
    """The last reference to an open file is gone: its flock lock goes."""
    sysm = getattr(f, "flock_sys", None)
    if sysm is not None and getattr(f, "vp", None) is not None:
        release(sysm, file_key(f.vp), ("flock", id(f)))


def flock(p, f, op):
    """flock(2): LOCK_SH/LOCK_EX (| LOCK_NB) or LOCK_UN on the whole file."""
    vp = getattr(f, "vp", None)
    if vp is None or getattr(f, "pipe", None) is not None:
        raise Errno(abi.EOPNOTSUPP)         # a pipe or a socket
    how = op & ~LOCK_NB
    if how == LOCK_UN:
        type_ = F_UNLCK
    elif how == LOCK_SH:
        type_ = F_RDLCK
    elif how == LOCK_EX:
        type_ = F_WRLCK
    else:
        raise Errno(abi.EINVAL)
    f.flock_sys = p.sys
    setlk(p.sys, file_key(vp), ("flock", id(f)), p.pid, 0, None, type_, not op & LOCK_NB)
    return 0


def fcntl_lock(p, f, cmd, arg, fmt):
    """fcntl F_GETLK (cmd 7), F_SETLK (8), F_SETLKW (9) on a struct flock
    (fmt: l_start, l_len, l_pid, l_type, l_whence)."""
    start, length, _pid, ltype, whence = fmt.unpack(p.mem.copyin(arg, fmt.size))
    if ltype not in (F_RDLCK, F_UNLCK, F_WRLCK):
        raise Errno(abi.EINVAL)
    if whence == abi.NBSD_SEEK_SET:
        base = 0
    elif whence == abi.NBSD_SEEK_CUR:
        base = f.offset
    elif whence == abi.NBSD_SEEK_END:
        base = f.vp.getsize()
    else:
        raise Errno(abi.EINVAL)
    lo = base + start
    if length < 0:
        lo, hi = lo + length, lo - 1
    else:
        hi = None if length == 0 else lo + length - 1
    if lo < 0:
        raise Errno(abi.EINVAL)
    key = file_key(f.vp)
    owner = posix_owner(p.pid)
    if cmd == abi.NBSD_F_GETLK:
        lk = getlk(p.sys, key, owner, lo, hi, ltype)
        if lk is None:
            out = fmt.pack(start, length, _pid, F_UNLCK, whence)
        else:
            out = fmt.pack(lk.start, 0 if lk.end is None else lk.end - lk.start + 1,
                           lk.pid if lk.owner[0] == "posix" else -1, lk.type,
                           abi.NBSD_SEEK_SET)
        p.mem.copyout(arg, out)
        return 0
    if ltype == F_RDLCK and not f.fflags & abi.FREAD or \
            ltype == F_WRLCK and not f.fflags & abi.FWRITE:
        raise Errno(abi.EBADF)
    p.fdt.lock_owner = (p.sys, p.pid)   # closing any descriptor of the file releases them
    setlk(p.sys, key, owner, p.pid, lo, hi, ltype, cmd == abi.NBSD_F_SETLKW)
    return 0
