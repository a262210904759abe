"""Kernel POSIX semaphores ("ksem"): _ksem_init 247, _ksem_open 248,
_ksem_unlink 249, _ksem_close 250, _ksem_post 251, _ksem_wait 252,
_ksem_trywait 253, _ksem_getvalue 254, _ksem_destroy 255,
_ksem_timedwait 256, the calls libc's sem_*(3) are made of on NetBSD.

A semaphore is named with an intptr_t id.  Unnamed ones (_ksem_init) and
the process's references to named ones (_ksem_open) are ids in the
process's table (p.ksems: id -> Sem); ids start at KSEM_ID0 and are not
descriptors here (NetBSD 10 hands out a descriptor per init/open: kw86
differences no program sees through sem_*(3); a second _ksem_open of a
name the process has open answers with the id it has, so libc's sem_open
returns the same sem_t, as POSIX asks).  A fork shares every id with the
child (NetBSD's descriptors are inherited, unnamed semaphores included);
exec and exit close them (exec: as POSIX says for named ones).  Named
semaphores live in the System's namespace (p.sys.ksem_names) until
unlinked; an unlinked one lives on until its last id is closed.

Errors as NetBSD's uipc_sem.c: a name longer than SEM_MAX_NAMELEN (14)
ENAMETOOLONG; with O_CREAT, a value above SEM_VALUE_MAX (~0U) or a name
not "/" + at least one character without another '/' EINVAL; O_CREAT|
O_EXCL on an existing name EEXIST; no such name (open without O_CREAT,
unlink) ENOENT; an open or unlink the caller may not do EACCES (allowed:
root, or a write bit of the mode for the caller's euid (owner), egid
(group) or anyone); an unknown id EINVAL (_ksem_close: EBADF);
_ksem_destroy of a named one EINVAL, with sleepers EBUSY; _ksem_post at
SEM_VALUE_MAX EOVERFLOW; _ksem_trywait at 0 EAGAIN.

_ksem_wait sleeps on the semaphore (WouldBlock): a caught signal ends it
with EINTR, or restarts it when the handler has SA_RESTART, as any slow
call.  _ksem_timedwait reads an absolute CLOCK_REALTIME deadline (EFAULT;
EINVAL for a negative tv_sec or tv_nsec outside 0..999999999, checked
first), returns ETIMEDOUT once the deadline has passed with the value at
0, and otherwise sleeps like _ksem_wait with a timer: NetBSD does not turn
its ERESTART into EINTR, so with SA_RESTART it too is restarted (against
the same absolute deadline).
"""
from kw86.nbsd import abi
from kw86.nbsd.abi import EACCES, EAGAIN, EBADF, EBUSY, EEXIST, EINVAL, ENOENT, \
    EOVERFLOW, ETIMEDOUT
from kw86.nbsd.errors import Errno, WouldBlock
from kw86.nbsd.sched import wakeup
from kw86.nbsd.syscalls import poll

SEM_VALUE_MAX = 0xffffffff              # (~0U, the kernel's; libc refuses above INT_MAX)
SEM_MAX_NAMELEN = 14
O_CREAT, O_EXCL = 0x200, 0x800
KSEM_ID0 = 0x5e0000
CLOCK_REALTIME = 0


class Sem:
    __slots__ = ("value", "name", "uid", "gid", "mode", "refs", "__weakref__")

    def __init__(self, value, name=None, uid=0, gid=0, mode=0):
        self.value = value
        self.name = name
        self.uid, self.gid, self.mode = uid, gid, mode
        self.refs = 0                   # processes' ids naming it

    @property
    def chan(self):
        return ("ksem", id(self))


def _table(p):
    return p.ksems


def _names(p):
    n = getattr(p.sys, "ksem_names", None)
    if n is None:
        n = p.sys.ksem_names = {}
    return n


def _newid(p, s):
    t = _table(p)
    i = KSEM_ID0
    while i in t:
        i += 1
    t[i] = s
    s.refs += 1
    return i


def _get(p, semid):
    s = _table(p).get(semid & 0xffffffff)
    if s is None:
        raise Errno(EINVAL)
    return s


def _sleepers(p, s):
    k = getattr(p, "kernel", None)
    return bool(k is not None and k._sleepers_on(s.chan))


def _perm(p, s):
    c = p.cred
    if c.euid == 0 or (c.euid == s.uid and s.mode & 0o200) or \
            (c.egid == s.gid and s.mode & 0o020) or s.mode & 0o002:
        return
    raise Errno(EACCES)


def _name(p, namep):
    """copyinstr into NetBSD's SEM_MAX_NAMELEN + 1 bytes: ENAMETOOLONG."""
    return bytes(p.mem.copyinstr(namep, SEM_MAX_NAMELEN + 1))


def _idp_ok(p, idp):
    """EFAULT before anything is created when *idp cannot be written."""
    p.mem.copyout(idp, p.mem.copyin(idp, 4))


def _putid(p, idp, i):
    p.mem.copyout(idp, (i & 0xffffffff).to_bytes(4, "little"))


def _drop(p, i):
    s = _table(p).pop(i)
    s.refs -= 1                         # (unlinked and last closed: gone with its last id)
    return s


def sys__ksem_init(p, value, idp):
    if value & 0xffffffff > SEM_VALUE_MAX:
        raise Errno(EINVAL)
    _idp_ok(p, idp)
    i = _newid(p, Sem(value))
    _putid(p, idp, i)
    return 0


def sys__ksem_open(p, namep, oflag, mode, value, idp):
    name = _name(p, namep)
    _idp_ok(p, idp)
    if oflag & O_CREAT:                 # (ksem_create's checks come first)
        if value & 0xffffffff > SEM_VALUE_MAX:
            raise Errno(EINVAL)
        if len(name) < 2 or name[:1] != b"/" or b"/" in name[1:]:
            raise Errno(EINVAL)
    names = _names(p)
    s = names.get(name)
    if s is not None:
        if oflag & O_CREAT and oflag & O_EXCL:
            raise Errno(EEXIST)
        _perm(p, s)
    else:
        if not oflag & O_CREAT:
            raise Errno(ENOENT)
        s = Sem(value & 0xffffffff, name, p.cred.euid, p.cred.egid, mode & 0xffff)
        names[name] = s
    for i, t in _table(p).items():      # already open here: the same id
        if t is s:
            break
    else:
        i = _newid(p, s)
    _putid(p, idp, i)
    return 0


def sys__ksem_unlink(p, namep):
    name = _name(p, namep)
    names = _names(p)
    s = names.get(name)
    if s is None:
        raise Errno(ENOENT)
    _perm(p, s)
    del names[name]
    return 0


def sys__ksem_close(p, semid):
    if semid & 0xffffffff not in _table(p):
        raise Errno(EBADF)
    _drop(p, semid & 0xffffffff)
    return 0


def sys__ksem_destroy(p, semid):
    s = _get(p, semid)
    if s.name is not None:
        raise Errno(EINVAL)
    if _sleepers(p, s):
        raise Errno(EBUSY)
    _drop(p, semid & 0xffffffff)
    return 0


def sys__ksem_post(p, semid):
    s = _get(p, semid)
    if s.value >= SEM_VALUE_MAX:
        raise Errno(EOVERFLOW)
    s.value += 1
    wakeup(s.chan)
    return 0


def sys__ksem_getvalue(p, semid, valp):
    s = _get(p, semid)
    p.mem.copyout(valp, (s.value & 0xffffffff).to_bytes(4, "little"))
    return 0


def sys__ksem_trywait(p, semid):
    s = _get(p, semid)
    if s.value == 0:
        raise Errno(EAGAIN)
    s.value -= 1
    return 0


def sys__ksem_wait(p, semid):
    s = _get(p, semid)
    if s.value > 0:
        s.value -= 1
        return 0
    raise WouldBlock(s.chan)


def sys__ksem_timedwait(p, semid, tsp):
    sec, nsec = abi.unpack_timespec(p.mem.copyin(tsp, 12))
    if sec < 0 or nsec < 0 or nsec >= 1000000000:
        raise Errno(EINVAL)
    s = _get(p, semid)
    if s.value > 0:
        s.value -= 1
        return 0
    from kw86.nbsd.syscalls.ident import _clock
    left = sec * 1000000000 + nsec - _clock(p, CLOCK_REALTIME)
    if left <= 0:
        raise Errno(ETIMEDOUT)
    p.l.poll_timedout = False
    raise WouldBlock(poll.PollWait([s.chan], left))


def clear(p):
    """exec and exit: the process's semaphores are closed / destroyed."""
    t = p.ksems
    if t:
        for i in list(t):
            _drop(p, i)


def fork(parent, child):
    """The child gets every id its parent has, naming the same semaphores."""
    t = parent.ksems
    if t:
        child.ksems = dict(t)
        for s in t.values():
            s.refs += 1
