"""System V IPC: semaphores (semget 221, semop 222, semconfig 223,
____semctl50 442), message queues (msgget 225, msgsnd 226, msgrcv 227,
__msgctl50 444) and shared memory (shmat 228, shmdt 230, shmget 231,
__shmctl50 443), as NetBSD 10's sysv_sem.c, sysv_msg.c and sysv_shm.c
behave (options SYSVSEM, SYSVMSG, SYSVSHM of GENERIC).

The namespace is the machine's (System.sysvipc, made by the first call):
every process of one kw86 run shares it, nothing of the host's SysV IPC is
ever touched.  Each kind is a table of NetBSD's size (SEMMNI 10, MSGMNI
40, SHMMNI 128 slots); an id is IXSEQ_TO_IPCID: the slot's sequence
number << 16 | the slot (sem/shm sequence numbers wrap at 0x8000, a
queue's at 0x10000), so a stale id is EINVAL.

Permissions are ipcperm(9): root passes; IPC_M (IPC_SET, IPC_RMID) needs
the owner's or creator's euid (EPERM); read/write needs the user, group
(egid or a supplementary group, of the owner's or the creator's group) or
other bits of the mode (EACCES).  The *get calls check the requested mode
(flag & 0700) against an existing object.

Sleeping: semop (a semaphore it cannot change yet), msgsnd (the queue or
the system's message headers/segments full) and msgrcv (no message of the
type) sleep on their object's channel unless IPC_NOWAIT (EAGAIN / ENOMSG);
the call runs again when woken.  A caught signal ends such a sleep with
EINTR, SA_RESTART or not (NetBSD turns cv_wait_sig's ERESTART into EINTR
for all three: poll.sleep_start's interrupted flag carries it); a sleeper
whose object was removed gets EIDRM.  GETNCNT/GETZCNT count the LWPs
whose semop waits on that semaphore, asleep or woken but not yet run again
(each LWP's wait is recorded here until its call runs again).
A queue a sender had to wait for is locked for later senders until that
sender runs again (NetBSD's MSG_LOCKED).

SEM_UNDO: each process keeps (set slot, semaphore) -> adjustment (at most
SEMUME 10 entries, EINVAL past that; SEMMNU 30 processes with entries,
ENOSPC); exit applies them (a value that would go negative becomes 0),
SETVAL/SETALL/IPC_RMID clear them.  A fork child starts with none.

Shared memory segments are anonymous shared memory (syscalls/vm.py's
_AnonObject, the object MAP_SHARED|MAP_ANON uses, through the buffer
cache): shmat maps it as a "shared" region, so a fork child shares the
attachment (shm_nattch counts it); shmdt, exec and exit detach; a segment
IPC_RMID'd goes when its last attachment does (its key becomes
IPC_PRIVATE at once, and its id no longer answers).  SHMMAX is NetBSD's
default, a quarter of physical memory (at least 1024 pages); SHMSEG 128
attachments per process (EMFILE).
"""
import struct

from kw86.nbsd import abi
from kw86.nbsd.abi import (E2BIG, EACCES, EAGAIN, EEXIST, EFBIG, EIDRM, EINTR, EINVAL,
                           EMFILE, ENOENT, ENOMEM, ENOMSG, ENOSPC, EPERM, ERANGE)
from kw86.nbsd.errors import Errno, WouldBlock
from kw86.nbsd.sched import wakeup
from kw86.nbsd.syscalls import poll

PAGE = abi.PAGE_SIZE

IPC_R, IPC_W, IPC_M = 0o400, 0o200, 0o10000
IPC_CREAT, IPC_EXCL, IPC_NOWAIT = 0o1000, 0o2000, 0o4000
IPC_PRIVATE = 0
IPC_RMID, IPC_SET, IPC_STAT = 0, 1, 2
ACCESSPERMS = 0o777

# sem.h
SEM_UNDO = 0o10000
GETNCNT, GETPID, GETVAL, GETALL, GETZCNT, SETVAL, SETALL = 3, 4, 5, 6, 7, 8, 9
SEM_ALLOC = 0o1000
SEMMNI, SEMMNS, SEMUME, SEMMNU = 10, 60, 10, 30
SEMMSL, SEMOPM, SEMVMX, SEMAEM = SEMMNS, 100, 32767, 16384

# msg.h
MSG_NOERROR = 0o10000
MSG_LOCKED = 0o1000
MSGSSZ, MSGSEG = 8, 2048
MSGMAX = MSGSSZ * MSGSEG
MSGMNB, MSGMNI, MSGTQL = 2048, 40, 40

# shm.h
SHM_RDONLY, SHM_RND = 0o10000, 0o20000
SHMLBA = PAGE
SHM_LOCK, SHM_UNLOCK = 3, 4
SHMSEG_ALLOCATED = 0x0800
SHMMIN, SHMMNI, SHMSEG = 1, 128, 128

# struct ipc_perm: uid, gid, cuid, cgid, mode, _seq (+2 pad), _key
_PERM = struct.Struct("<IIIIIHxxi")
# struct semid_ds (52): ipc_perm, sem_nsems (+2), sem_otime, sem_ctime, _sem_base
_SEMID_DS = struct.Struct("<28sHxxqqI")
# struct msqid_ds (80): ipc_perm, msg_qnum, msg_qbytes, msg_lspid, msg_lrpid,
# msg_stime, msg_rtime, msg_ctime, _msg_first, _msg_last, _msg_cbytes
_MSQID_DS = struct.Struct("<28sIIiiqqqIII")
# struct shmid_ds (72): ipc_perm, shm_segsz, shm_lpid, shm_cpid, shm_nattch,
# shm_atime, shm_dtime, shm_ctime, _shm_internal
_SHMID_DS = struct.Struct("<28sIiiIqqqI")
_SEMBUF = struct.Struct("<Hhh")         # sem_num, sem_op, sem_flg
# the compat_50 forms (NetBSD 1.5 to 5 binaries: __semctl13 301, __msgctl13
# 302, __shmctl13 303): the same fields with 32-bit times
_SEMID_DS13 = struct.Struct("<28sHxxiiI")               # 44
_MSQID_DS13 = struct.Struct("<28sIIiiiiiIII")           # 68
_SHMID_DS13 = struct.Struct("<28sIiiIiiiI")             # 60
_U16 = struct.Struct("<H")
_I32 = struct.Struct("<i")


def _s32(v):
    v &= 0xffffffff
    return v - (1 << 32) if v & 0x80000000 else v


class Perm:
    __slots__ = ("uid", "gid", "cuid", "cgid", "mode", "seq", "key")

    def __init__(self, cred, key, mode, seq):
        self.uid = self.cuid = cred.euid
        self.gid = self.cgid = cred.egid
        self.mode, self.seq, self.key = mode, seq, key

    def pack(self, mode=None):
        return _PERM.pack(self.uid & 0xffffffff, self.gid & 0xffffffff, self.cuid & 0xffffffff,
                          self.cgid & 0xffffffff, self.mode if mode is None else mode,
                          self.seq & 0xffff, _s32(self.key))


def ipcperm(cred, perm, mode):
    """NetBSD's ipcperm(): 0 or raise EPERM (IPC_M) / EACCES."""
    if cred.euid == 0:
        return
    if mode == IPC_M:
        if cred.euid in (perm.uid, perm.cuid):
            return
        raise Errno(EPERM)
    if cred.euid in (perm.uid, perm.cuid):
        shift = 0
    elif cred.groupmember(perm.gid) or cred.groupmember(perm.cgid):
        shift = 3
    else:
        shift = 6
    mask = ((0o400 if mode & IPC_R else 0) | (0o200 if mode & IPC_W else 0)) >> shift
    if perm.mode & mask != mask:
        raise Errno(EACCES)


class _Obj:
    __slots__ = ("perm", "ix", "serial", "removed")
    _serials = iter(range(1, 1 << 62))

    def __init__(self, perm, ix):
        self.perm, self.ix = perm, ix
        self.serial = next(_Obj._serials)
        self.removed = False

    @property
    def id(self):
        return (self.perm.seq << 16) | self.ix


class SemSet(_Obj):
    __slots__ = ("nsems", "vals", "pids", "otime", "ctime")

    def __init__(self, perm, ix, nsems, now):
        super().__init__(perm, ix)
        self.nsems = nsems
        self.vals = [0] * nsems
        self.pids = [0] * nsems
        self.otime, self.ctime = 0, now

    @property
    def chan(self):
        return ("sysvsem", self.serial)


class MsgQueue(_Obj):
    __slots__ = ("msgs", "cbytes", "qbytes", "lspid", "lrpid", "stime", "rtime", "ctime",
                 "locker")

    def __init__(self, perm, ix, now):
        super().__init__(perm, ix)
        self.msgs = []                  # [(type, bytes)] in arrival order
        self.cbytes, self.qbytes = 0, MSGMNB
        self.lspid = self.lrpid = 0
        self.stime = self.rtime = 0
        self.ctime = now
        self.locker = None              # the LWP that locked it while it waits (MSG_LOCKED)

    @property
    def chan(self):
        return ("sysvmsg", self.serial)


class ShmSeg(_Obj):
    __slots__ = ("segsz", "lpid", "cpid", "nattch", "atime", "dtime", "ctime", "obj", "pages")

    def __init__(self, perm, ix, segsz, cpid, now, obj):
        super().__init__(perm, ix)
        self.segsz, self.cpid, self.lpid, self.nattch = segsz, cpid, 0, 0
        self.atime = self.dtime = 0
        self.ctime = now
        self.obj = obj                  # syscalls/vm._AnonObject, held open by the segment
        self.pages = (segsz + PAGE - 1) // PAGE


class IPC:
    """The machine's SysV IPC state (System.sysvipc)."""

    def __init__(self, physpages):
        self.sems = [None] * SEMMNI
        self.sem_seq = [0] * SEMMNI
        self.semtot = 0
        self.undo = {}                  # Proc -> {(slot, semnum): adjustment}
        self.semwait = {}               # Lwp -> (SemSet, semnum, zero?) of a sleeping semop
        self.msqs = [None] * MSGMNI
        self.msg_seq = [0] * MSGMNI
        self.free_hdrs, self.free_segs = MSGTQL, MSGSEG
        self.msgwait = {}               # Lwp -> MsgQueue it sleeps on
        self.shms = [None] * SHMMNI
        self.shm_seq = [0] * SHMMNI
        self.shm_nused = self.shm_committed = 0
        self.shmmax = max(physpages // 4, 1024) * PAGE
        self.shmall = self.shmmax // PAGE
        self.attach = {}                # VM -> [[va, shmid, size]] (its shmmap entries)


def _ipc(p):
    ipc = getattr(p.sys, "sysvipc", None)
    if ipc is None:
        k = p.kernel
        pages = k.m.mem_size // PAGE if k is not None else 0
        ipc = p.sys.sysvipc = IPC(pages)
    return ipc


def _now(p):
    from kw86.nbsd.syscalls.ident import CLOCK_REALTIME, _clock
    return _clock(p, CLOCK_REALTIME) // 1000000000


def _lookup(table, ident):
    ident = _s32(ident)
    ix = ident & 0xffff
    if ident < 0 or ix >= len(table):
        raise Errno(EINVAL)
    o = table[ix]
    if o is None or o.perm.seq != (ident >> 16) & 0xffff:
        raise Errno(EINVAL)
    return o


def _resumed(p, key):
    """(restarted, interrupted): whether this call is the one that slept
    with `key`, and whether a caught signal ended its sleep."""
    ts = p.timed_start
    if ts is None or ts[0] != key:
        return False, False
    return True, bool(ts[2])


def _sleep(p, key, chan):
    poll.sleep_start(p, key, None)
    raise WouldBlock(poll.PollWait([chan], None))


# ---- semaphores ------------------------------------------------------------------

def sys_semconfig(p, flag):
    """NetBSD 10: a placebo (returns 0)."""
    return 0


def sys_semget(p, key, nsems, semflg):
    ipc = _ipc(p)
    key, nsems = _s32(key), _s32(nsems)
    if key != IPC_PRIVATE:
        for s in ipc.sems:
            if s is not None and s.perm.key == key:
                ipcperm(p.cred, s.perm, semflg & 0o700)
                if nsems > 0 and s.nsems < nsems:
                    raise Errno(EINVAL)
                if semflg & IPC_CREAT and semflg & IPC_EXCL:
                    raise Errno(EEXIST)
                return s.id
    if not (key == IPC_PRIVATE or semflg & IPC_CREAT):
        raise Errno(ENOENT)
    if nsems <= 0 or nsems > SEMMSL:
        raise Errno(EINVAL)
    if nsems > SEMMNS - ipc.semtot:
        raise Errno(ENOSPC)
    try:
        ix = ipc.sems.index(None)
    except ValueError:
        raise Errno(ENOSPC) from None
    ipc.sem_seq[ix] = seq = (ipc.sem_seq[ix] + 1) & 0x7fff
    s = ipc.sems[ix] = SemSet(Perm(p.cred, key, (semflg & 0o777) | SEM_ALLOC, seq), ix, nsems,
                              _now(p))
    ipc.semtot += nsems
    return s.id


def _semundo_clear(ipc, ix, semnum=None):
    for u in ipc.undo.values():
        for k in [k for k in u if k[0] == ix and (semnum is None or k[1] == semnum)]:
            del u[k]


def _semundo_adjust(ipc, p, ix, semnum, adj):
    u = ipc.undo.get(p)
    if u is None:
        if len(ipc.undo) >= SEMMNU:     # (semu_alloc: reclaim the empty ones first)
            for q in [q for q, v in ipc.undo.items() if not v]:
                del ipc.undo[q]
            if len(ipc.undo) >= SEMMNU:
                raise Errno(ENOSPC)
        u = ipc.undo[p] = {}
    k = (ix, semnum)
    if k in u:
        u[k] += adj
        if u[k] == 0:
            del u[k]
        return
    if len(u) >= SEMUME:
        raise Errno(EINVAL)
    u[k] = adj


def sys_semop(p, semid, sopsp, nsops):
    ipc = _ipc(p)
    if nsops > SEMOPM:
        raise Errno(E2BIG)
    key = ("semop", semid, sopsp, nsops)
    restarted, intr = _resumed(p, key)
    l = p.l
    w = ipc.semwait.pop(l, None)        # (whatever ended its last sleep)
    if not restarted:
        w = None
    try:
        # after a sleep: the set gone (EIDRM), then a signal (EINTR)
        if w is not None and (w[0].removed or ipc.sems[w[0].ix] is not w[0]):
            raise Errno(EIDRM)
        if restarted and intr:
            raise Errno(EINTR)
        raw = p.mem.copyin(sopsp, nsops * 6) if nsops else b""
        sops = [_SEMBUF.unpack_from(raw, 6 * i) for i in range(nsops)]
        s = _lookup(ipc.sems, semid)
        ipcperm(p.cred, s.perm, IPC_W)
        for num, _, _ in sops:
            if num >= s.nsems:
                raise Errno(EFBIG)
        vals = s.vals
        done = []
        block = None
        for i, (num, op, flg) in enumerate(sops):
            if op < 0:
                if vals[num] + op < 0:
                    block = (num, op, flg)
                    break
            elif op == 0:
                if vals[num] > 0:
                    block = (num, op, flg)
                    break
            vals[num] = (vals[num] + op) & 0xffff   # (semval is an unsigned short)
            done.append((num, op))
        if block is not None:
            for num, op in reversed(done):          # roll back what was done
                vals[num] = (vals[num] - op) & 0xffff
            num, op, flg = block
            if flg & IPC_NOWAIT:
                raise Errno(EAGAIN)
            ipc.semwait[l] = (s, num, op == 0)
            _sleep(p, key, s.chan)
        undos = [(num, op) for num, op, flg in sops if flg & SEM_UNDO and op]
        applied = []
        try:
            for num, op in undos:
                _semundo_adjust(ipc, p, s.ix, num, -op)
                applied.append((num, op))
        except Errno:
            for num, op in reversed(applied):
                _semundo_adjust(ipc, p, s.ix, num, op)
            for num, op, _ in sops:
                vals[num] = (vals[num] - op) & 0xffff
            raise
    except WouldBlock:
        raise
    except BaseException:
        poll.sleep_done(p)
        raise
    poll.sleep_done(p)
    for num, _, _ in sops:
        s.pids[num] = p.pid
    s.otime = _now(p)
    if sops:
        wakeup(s.chan)
    return 0


def _waiters(ipc, s, semnum, zero):
    """semncnt/semzcnt: the LWPs whose semop waits on this semaphore, asleep
    or woken but not yet run again (NetBSD counts a sleeper until its
    semop takes the count back, after cv_wait returns)."""
    return sum(1 for l, w in ipc.semwait.items()
               if w[0] is s and w[1] == semnum and w[2] == zero and
               l.state != "zomb" and not l.proc.zombie)


def sys_____semctl50(p, semid, semnum, cmd, argp):
    return _semctl(p, semid, semnum, cmd, argp, _SEMID_DS)


def sys_____semctl13(p, semid, semnum, cmd, argp):
    """compat_50_____semctl13 (301): a semid_ds13 for IPC_STAT/IPC_SET."""
    return _semctl(p, semid, semnum, cmd, argp, _SEMID_DS13)


def _semctl(p, semid, semnum, cmd, argp, layout):
    ipc = _ipc(p)
    semnum, cmd = _s32(semnum), _s32(cmd)
    arg = buf = None
    if cmd in (IPC_SET, IPC_STAT, GETALL, SETVAL, SETALL):
        arg = _I32.unpack(p.mem.copyin(argp, 4))[0]     # union __semun
        if cmd == IPC_SET:
            buf = p.mem.copyin(arg & 0xffffffff, layout.size)
    s = _lookup(ipc.sems, semid)
    cred = p.cred
    if cmd == IPC_RMID:
        ipcperm(cred, s.perm, IPC_M)
        s.perm.cuid = s.perm.uid = cred.euid
        ipc.semtot -= s.nsems
        ipc.sems[s.ix] = None
        s.removed = True
        _semundo_clear(ipc, s.ix)
        wakeup(s.chan)
        return 0
    if cmd == IPC_SET:
        ipcperm(cred, s.perm, IPC_M)
        uid, gid, _, _, mode, _, _ = _PERM.unpack_from(buf, 0)
        s.perm.uid, s.perm.gid = uid, gid
        s.perm.mode = (s.perm.mode & ~0o777) | (mode & 0o777)
        s.ctime = _now(p)
        return 0
    if cmd == IPC_STAT:
        ipcperm(cred, s.perm, IPC_R)
        t = (s.otime, s.ctime) if layout is _SEMID_DS else (_s32(s.otime), _s32(s.ctime))
        p.mem.copyout(arg & 0xffffffff, layout.pack(
            s.perm.pack(s.perm.mode & 0o777), s.nsems, *t, 0))
        return 0
    if cmd in (GETNCNT, GETPID, GETVAL, GETZCNT):
        ipcperm(cred, s.perm, IPC_R)
        if semnum < 0 or semnum >= s.nsems:
            raise Errno(EINVAL)
        if cmd == GETVAL:
            return s.vals[semnum]
        if cmd == GETPID:
            return s.pids[semnum]
        return _waiters(ipc, s, semnum, cmd == GETZCNT)
    if cmd == GETALL:
        ipcperm(cred, s.perm, IPC_R)
        p.mem.copyout(arg & 0xffffffff, b"".join(_U16.pack(v) for v in s.vals))
        return 0
    if cmd == SETVAL:
        ipcperm(cred, s.perm, IPC_W)
        if semnum < 0 or semnum >= s.nsems:
            raise Errno(EINVAL)
        if arg & 0xffffffff > SEMVMX:
            raise Errno(ERANGE)
        s.vals[semnum] = arg
        _semundo_clear(ipc, s.ix, semnum)
        wakeup(s.chan)
        return 0
    if cmd == SETALL:
        ipcperm(cred, s.perm, IPC_W)
        err = None
        for i in range(s.nsems):
            try:
                v = _U16.unpack(p.mem.copyin(((arg & 0xffffffff) + 2 * i) & 0xffffffff, 2))[0]
            except Exception as e:
                err = e
                break
            if v > SEMVMX:
                err = Errno(ERANGE)
                break
            s.vals[i] = v
        _semundo_clear(ipc, s.ix)
        wakeup(s.chan)
        if err is not None:
            raise err
        return 0
    raise Errno(EINVAL)


def semexit(ipc, p):
    """Exit: apply the process's SEM_UNDO adjustments."""
    u = ipc.undo.pop(p, None)
    if not u:
        return
    for (ix, num), adj in u.items():
        s = ipc.sems[ix]
        if s is None or num >= s.nsems:
            continue
        if adj < 0 and s.vals[num] < -adj:
            s.vals[num] = 0
        else:
            s.vals[num] += adj
        wakeup(s.chan)


# ---- message queues -----------------------------------------------------------------

def sys_msgget(p, key, msgflg):
    ipc = _ipc(p)
    key = _s32(key)
    if key != IPC_PRIVATE:
        for q in ipc.msqs:
            if q is not None and q.perm.key == key:
                if msgflg & IPC_CREAT and msgflg & IPC_EXCL:
                    raise Errno(EEXIST)
                ipcperm(p.cred, q.perm, msgflg & 0o700)
                return q.id
    if not (key == IPC_PRIVATE or msgflg & IPC_CREAT):
        raise Errno(ENOENT)
    try:
        ix = ipc.msqs.index(None)
    except ValueError:
        raise Errno(ENOSPC) from None
    ipc.msg_seq[ix] = seq = (ipc.msg_seq[ix] + 1) & 0xffff
    q = ipc.msqs[ix] = MsgQueue(Perm(p.cred, key, msgflg & 0o777, seq), ix, _now(p))
    return _s32(q.id)


def _segs(n):
    return (n + MSGSSZ - 1) // MSGSSZ


def _locked(ipc, q, l):
    """Another LWP that had to wait to send holds the queue (MSG_LOCKED)
    until its msgsnd runs again, woken or not yet run: later senders wait
    behind it, as NetBSD's we_own_it."""
    lk = q.locker
    if lk is None or lk is l:
        return False
    if ipc.msgwait.get(lk) is q and lk.state != "zomb" and not lk.proc.zombie:
        return True
    q.locker = None                     # (it is gone)
    return False


def sys_msgsnd(p, msqid, msgp, msgsz, msgflg):
    ipc = _ipc(p)
    if msgsz & 0x80000000:
        raise Errno(EINVAL)
    key = ("msgsnd", msqid, msgp, msgsz, msgflg)
    restarted, intr = _resumed(p, key)
    l = p.l
    w = ipc.msgwait.pop(l, None)        # (whatever ended its last sleep)
    if w is not None and w.locker is l:
        w.locker = None
    if not restarted:
        w = None
    try:
        if restarted and intr:
            raise Errno(EINTR)
        if w is not None and (w.removed or ipc.msqs[w.ix] is not w):
            raise Errno(EIDRM)
        q = _lookup(ipc.msqs, msqid)
        ipcperm(p.cred, q.perm, IPC_W)
        if msgsz > q.qbytes:
            raise Errno(EINVAL)
        segs = _segs(msgsz)
        if _locked(ipc, q, l) or msgsz + q.cbytes > q.qbytes or segs > ipc.free_segs or \
                not ipc.free_hdrs:
            if msgflg & IPC_NOWAIT:
                raise Errno(EAGAIN)
            if q.locker is None:
                q.locker = l
            ipc.msgwait[l] = q
            _sleep(p, key, q.chan)
        mtype = _I32.unpack(p.mem.copyin(msgp, 4))[0]
        if mtype < 1:
            raise Errno(EINVAL)
        data = p.mem.copyin(msgp + 4, msgsz) if msgsz else b""
    except WouldBlock:
        raise
    except BaseException:
        poll.sleep_done(p)
        raise
    poll.sleep_done(p)
    q.msgs.append((mtype, bytes(data)))
    q.cbytes += msgsz
    ipc.free_hdrs -= 1
    ipc.free_segs -= segs
    q.lspid = p.pid
    q.stime = _now(p)
    wakeup(q.chan)
    return 0


def _free_msg(ipc, q, n):
    ipc.free_hdrs += 1
    ipc.free_segs += _segs(n)


def sys_msgrcv(p, msqid, msgp, msgsz, msgtyp, msgflg):
    ipc = _ipc(p)
    if msgsz & 0x80000000:
        raise Errno(EINVAL)
    key = ("msgrcv", msqid, msgp, msgsz, msgtyp, msgflg)
    restarted, intr = _resumed(p, key)
    l = p.l
    w = ipc.msgwait.pop(l, None)
    if not restarted:
        w = None
    try:
        if restarted and intr:
            raise Errno(EINTR)
        if w is not None and (w.removed or ipc.msqs[w.ix] is not w):
            raise Errno(EIDRM)
        q = _lookup(ipc.msqs, msqid)
        ipcperm(p.cred, q.perm, IPC_R)
        found = None
        for i, (t, data) in enumerate(q.msgs):
            if msgtyp == 0 or t == msgtyp or t <= -msgtyp:
                if msgsz < len(data) and not msgflg & MSG_NOERROR:
                    raise Errno(E2BIG)
                found = i
                break
        if found is None:
            if msgflg & IPC_NOWAIT:
                raise Errno(ENOMSG)
            ipc.msgwait[l] = q
            _sleep(p, key, q.chan)
    except WouldBlock:
        raise
    except BaseException:
        poll.sleep_done(p)
        raise
    poll.sleep_done(p)
    t, data = q.msgs.pop(found)
    q.cbytes -= len(data)
    q.lrpid = p.pid
    q.rtime = _now(p)
    _free_msg(ipc, q, len(data))
    wakeup(q.chan)                      # (senders waiting for room)
    n = min(msgsz, len(data))
    p.mem.copyout(msgp, _I32.pack(t))   # (EFAULT: the message is lost, as in NetBSD)
    if n:
        p.mem.copyout(msgp + 4, data[:n])
    return n


def sys___msgctl50(p, msqid, cmd, bufp):
    return _msgctl(p, msqid, cmd, bufp, _MSQID_DS)


def sys___msgctl13(p, msqid, cmd, bufp):
    """compat_50___msgctl13 (302): a msqid_ds13."""
    return _msgctl(p, msqid, cmd, bufp, _MSQID_DS13)


def _msgctl(p, msqid, cmd, bufp, layout):
    ipc = _ipc(p)
    cmd = _s32(cmd)
    buf = p.mem.copyin(bufp, layout.size) if cmd == IPC_SET else None
    q = _lookup(ipc.msqs, msqid)
    cred = p.cred
    if cmd == IPC_RMID:
        ipcperm(cred, q.perm, IPC_M)
        for _, data in q.msgs:
            _free_msg(ipc, q, len(data))
        q.msgs, q.cbytes = [], 0
        q.removed = True
        ipc.msqs[q.ix] = None
        wakeup(q.chan)
        return 0
    if cmd == IPC_SET:
        ipcperm(cred, q.perm, IPC_M)
        uid, gid, _, _, mode, _, _ = _PERM.unpack_from(buf, 0)
        qbytes = struct.unpack_from("<I", buf, 32)[0]       # (msg_qbytes, both forms)
        if qbytes > q.qbytes and cred.euid != 0:
            raise Errno(EPERM)
        qbytes = min(qbytes, MSGMNB)
        if qbytes == 0:
            raise Errno(EINVAL)
        q.perm.uid, q.perm.gid = uid, gid
        q.perm.mode = (q.perm.mode & ~0o777) | (mode & 0o777)
        q.qbytes = qbytes
        q.ctime = _now(p)
        wakeup(q.chan)
        return 0
    if cmd == IPC_STAT:
        ipcperm(cred, q.perm, IPC_R)
        locked = MSG_LOCKED if q.locker is not None and _locked(ipc, q, None) else 0
        t = (q.stime, q.rtime, q.ctime)
        if layout is not _MSQID_DS:
            t = tuple(_s32(x) for x in t)
        p.mem.copyout(bufp, layout.pack(
            q.perm.pack(q.perm.mode | locked), len(q.msgs), q.qbytes, q.lspid, q.lrpid,
            *t, 0, 0, q.cbytes))
        return 0
    raise Errno(EINVAL)


# ---- shared memory ----------------------------------------------------------------------

def _shm_find(ipc, shmid):
    return _lookup(ipc.shms, shmid)


def sys_shmget(p, key, size, shmflg):
    ipc = _ipc(p)
    key = _s32(key)
    mode = shmflg & ACCESSPERMS
    if key != IPC_PRIVATE:
        for s in ipc.shms:
            if s is not None and s.perm.key == key:
                if shmflg & (IPC_CREAT | IPC_EXCL) == IPC_CREAT | IPC_EXCL:
                    raise Errno(EEXIST)
                ipcperm(p.cred, s.perm, mode)
                if size and size > s.segsz:
                    raise Errno(EINVAL)
                return s.id
        if not shmflg & IPC_CREAT:
            raise Errno(ENOENT)
    if size < SHMMIN or size > ipc.shmmax:
        raise Errno(EINVAL)
    if ipc.shm_nused >= SHMMNI:
        raise Errno(ENOSPC)
    pages = (size + PAGE - 1) // PAGE
    if ipc.shm_committed + pages > ipc.shmall:
        raise Errno(ENOMEM)
    ix = ipc.shms.index(None)
    from kw86.nbsd.syscalls.vm import _AnonObject
    obj = _AnonObject(p.sys.bufcache, pages * PAGE)
    obj.open(abi.FREAD | abi.FWRITE)    # the segment's own reference
    ipc.shm_seq[ix] = seq = (ipc.shm_seq[ix] + 1) & 0x7fff
    s = ipc.shms[ix] = ShmSeg(Perm(p.cred, key, mode, seq), ix, size, p.pid, _now(p), obj)
    ipc.shm_nused += 1
    ipc.shm_committed += pages
    return s.id


def _shm_free(ipc, s):
    ipc.shms[s.ix] = None
    ipc.shm_nused -= 1
    ipc.shm_committed -= s.pages
    s.obj.close(abi.FREAD | abi.FWRITE)


def _detached(p, ipc, shmid, now):
    s = ipc.shms[shmid & 0xffff]
    if s is None or s.id != shmid:
        return
    s.dtime = now
    s.nattch -= 1
    if s.nattch <= 0 and s.removed:
        _shm_free(ipc, s)


def sys_shmat(p, shmid, shmaddr, shmflg):
    ipc = _ipc(p)
    vm = p.vm
    if vm is None:
        raise Errno(EINVAL)
    s = _shm_find(ipc, shmid)
    if s.removed:
        raise Errno(EINVAL)
    ipcperm(p.cred, s.perm, IPC_R if shmflg & SHM_RDONLY else IPC_R | IPC_W)
    ents = ipc.attach.get(vm)
    if ents and len(ents) >= SHMSEG:
        raise Errno(EMFILE)
    size = s.pages * PAGE
    prot = abi.NBSD_PROT_READ | (0 if shmflg & SHM_RDONLY else abi.NBSD_PROT_WRITE)
    if shmaddr:
        if shmflg & SHM_RND:
            va = shmaddr & ~(SHMLBA - 1)
        elif shmaddr & (SHMLBA - 1) == 0:
            va = shmaddr
        else:
            raise Errno(EINVAL)
        # UVM_FLAG_FIXED without UVM_FLAG_UNMAP: the range must be free
        if va < PAGE or va + size > abi.VM_MAXUSER_ADDRESS or any(
                r.start < va + size and r.end > va for r in vm.regions if r.end > r.start):
            raise Errno(ENOMEM)
    else:
        va = vm.find_space(size)
    from kw86.nbsd.vm import MapObj
    # the attachment's protection is also its maximum (UVM_MAPFLAG(prot, prot)):
    # mprotect cannot add write to a SHM_RDONLY one, nor execute to any
    mo = MapObj(s.obj, abi.FREAD | abi.FWRITE, p.sys.bufcache, prot)
    vm.add_region(va, va + size, prot, "shared", mo, 0)
    vm.m.flush_tlb()
    ipc.attach.setdefault(vm, []).append([va, s.id, size])
    s.lpid = p.pid
    s.nattch += 1
    s.atime = _now(p)
    return va


def sys_shmdt(p, shmaddr):
    ipc = _ipc(p)
    vm = p.vm
    ents = ipc.attach.get(vm) if vm is not None else None
    if not ents:
        raise Errno(EINVAL)
    for e in ents:
        if e[0] == shmaddr:
            break
    else:
        raise Errno(EINVAL)
    ents.remove(e)
    if not ents:
        del ipc.attach[vm]
    from kw86.nbsd.syscalls.vm import _unmap
    _unmap(vm, e[0], e[2])
    _detached(p, ipc, e[1], _now(p))
    return 0


def sys___shmctl50(p, shmid, cmd, bufp):
    return _shmctl(p, shmid, cmd, bufp, _SHMID_DS)


def sys___shmctl13(p, shmid, cmd, bufp):
    """compat_50___shmctl13 (303): a shmid_ds13."""
    return _shmctl(p, shmid, cmd, bufp, _SHMID_DS13)


def _shmctl(p, shmid, cmd, bufp, layout):
    ipc = _ipc(p)
    cmd = _s32(cmd)
    buf = p.mem.copyin(bufp, layout.size) if cmd == IPC_SET else None
    s = _shm_find(ipc, shmid)
    if s.removed:
        raise Errno(EINVAL)
    cred = p.cred
    if cmd == IPC_STAT:
        ipcperm(cred, s.perm, IPC_R)
        t = (s.atime, s.dtime, s.ctime)
        if layout is not _SHMID_DS:
            t = tuple(_s32(x) for x in t)
        p.mem.copyout(bufp, layout.pack(
            s.perm.pack(s.perm.mode | SHMSEG_ALLOCATED), s.segsz, s.lpid, s.cpid, s.nattch,
            *t, 0))
        return 0
    if cmd == IPC_SET:
        ipcperm(cred, s.perm, IPC_M)
        uid, gid, _, _, mode, _, _ = _PERM.unpack_from(buf, 0)
        s.perm.uid, s.perm.gid = uid, gid
        s.perm.mode = (s.perm.mode & ~ACCESSPERMS) | (mode & ACCESSPERMS)
        s.ctime = _now(p)
        return 0
    if cmd == IPC_RMID:
        ipcperm(cred, s.perm, IPC_M)
        s.perm.key = IPC_PRIVATE
        s.removed = True
        if s.nattch <= 0:
            _shm_free(ipc, s)
        return 0
    if cmd in (SHM_LOCK, SHM_UNLOCK):
        if cred.euid != 0:
            raise Errno(EPERM)
        # root only (kauth); wiring has nothing to show in kw86: a segment's
        # pages are buffer-cache buffers, taken back only by the cache itself
        return 0
    raise Errno(EINVAL)


# ---- the kernel's hooks (kernel.py) ----------------------------------------------------

def vm_fork(ipc, pvm, cvm):
    """fork: the child's address space has its parent's attachments."""
    ents = ipc.attach.get(pvm)
    if ents:
        ipc.attach[cvm] = [list(e) for e in ents]
        for _, shmid, _ in ents:
            s = ipc.shms[shmid & 0xffff]
            if s is not None and s.id == shmid:
                s.nattch += 1


def vm_gone(ipc, p, vm):
    """exec or exit: the address space's attachments are detached (its
    regions go with vm.free())."""
    ents = ipc.attach.pop(vm, None)
    if ents:
        now = _now(p)
        for _, shmid, _ in ents:
            _detached(p, ipc, shmid, now)


def proc_exit(ipc, p):
    semexit(ipc, p)
    for t in (ipc.semwait, ipc.msgwait):
        for l in p.lwps.values():
            t.pop(l, None)


# ---- sysctl: kern.sysvmsg/sysvsem/sysvshm and kern.ipc (what ipcs(1) reads) ----------

KERN_SYSVMSG, KERN_SYSVSEM, KERN_SYSVSHM, KERN_SYSVIPC = 34, 35, 36, 82
KERN_SYSVIPC_INFO = 1
KERN_SYSVIPC_SHMMAX, KERN_SYSVIPC_SHMMNI, KERN_SYSVIPC_SHMSEG = 5, 6, 7
KERN_SYSVIPC_SHMMAXPGS, KERN_SYSVIPC_SHMUSEPHYS = 8, 9
KERN_SYSVIPC_MSG_INFO, KERN_SYSVIPC_SEM_INFO, KERN_SYSVIPC_SHM_INFO = 4, 5, 6
SEMMAP = 30
SEMUSZ = 20 + 8 * SEMUME                # sizeof(struct sem_undo) + SEMUME entries (i386)
SHMSEG_FREE, SHMSEG_REMOVED = 0x0200, 0x0400

# struct ipc_perm_sysctl (32): uint64 _key, uid, gid, cuid, cgid, mode, int16 _seq, pad
_PERM_SYSCTL = struct.Struct("<QIIIIIhh")
# struct msgid_ds_sysctl (92 on i386): perm, msg_qnum, msg_qbytes, _msg_cbytes
# (uint64), msg_lspid, msg_lrpid, msg_stime, msg_rtime, msg_ctime, pad
_MSGID_SYSCTL = struct.Struct("<32sQQQiiqqqi")
# struct semid_ds_sysctl (56): perm, int16 sem_nsems, pad2, int32 pad3, otime, ctime
_SEMID_SYSCTL = struct.Struct("<32shhiqq")
# struct shmid_ds_sysctl (76): perm, uint64 shm_segsz, lpid, cpid, atime, dtime,
# ctime, uint32 shm_nattch
_SHMID_SYSCTL = struct.Struct("<32sQiiqqqI")
_MSGINFO = struct.Struct("<6i")
_SEMINFO = struct.Struct("<10i")
_SHMINFO = struct.Struct("<QIIII")


def _perm_sysctl(perm, mode=None):
    if perm is None:
        return bytes(_PERM_SYSCTL.size)
    return _PERM_SYSCTL.pack(perm.key & (1 << 64) - 1, perm.uid & 0xffffffff,
                             perm.gid & 0xffffffff, perm.cuid & 0xffffffff,
                             perm.cgid & 0xffffffff, perm.mode if mode is None else mode,
                             _s32(perm.seq << 16) >> 16, 0)


def _free_perm(seq, mode=0):
    return _PERM_SYSCTL.pack(0, 0, 0, 0, 0, mode, _s32(seq << 16) >> 16, 0)


def _sysvipc_info(p, ipc, which):
    """kern.ipc.sysvipc_info.{msg,sem,shm}: (the limits, [one record per
    slot]); a free slot is zero but for its sequence number."""
    if which == KERN_SYSVIPC_MSG_INFO:
        info = _MSGINFO.pack(MSGMAX, MSGMNI, MSGMNB, MSGTQL, MSGSSZ, MSGSEG)
        rows = []
        for ix, q in enumerate(ipc.msqs):
            if q is None:
                rows.append(_free_perm(ipc.msg_seq[ix]) + bytes(_MSGID_SYSCTL.size - 32))
                continue
            locked = MSG_LOCKED if q.locker is not None and _locked(ipc, q, None) else 0
            rows.append(_MSGID_SYSCTL.pack(_perm_sysctl(q.perm, q.perm.mode | locked),
                                           len(q.msgs), q.qbytes, q.cbytes, q.lspid,
                                           q.lrpid, q.stime, q.rtime, q.ctime, 0))
    elif which == KERN_SYSVIPC_SEM_INFO:
        info = _SEMINFO.pack(SEMMAP, SEMMNI, SEMMNS, SEMMNU, SEMMSL, SEMOPM, SEMUME, SEMUSZ,
                             SEMVMX, SEMAEM)
        rows = []
        for ix, s in enumerate(ipc.sems):
            if s is None:
                rows.append(_free_perm(ipc.sem_seq[ix]) + bytes(_SEMID_SYSCTL.size - 32))
                continue
            rows.append(_SEMID_SYSCTL.pack(_perm_sysctl(s.perm), s.nsems, 0, 0, s.otime,
                                           s.ctime))
    elif which == KERN_SYSVIPC_SHM_INFO:
        info = _SHMINFO.pack(ipc.shmmax, SHMMIN, SHMMNI, SHMSEG, ipc.shmall)
        rows = []
        for ix, s in enumerate(ipc.shms):
            if s is None:
                rows.append(_free_perm(ipc.shm_seq[ix], SHMSEG_FREE) +
                            bytes(_SHMID_SYSCTL.size - 32))
                continue
            mode = s.perm.mode | SHMSEG_ALLOCATED | (SHMSEG_REMOVED if s.removed else 0)
            rows.append(_SHMID_SYSCTL.pack(_perm_sysctl(s.perm, mode), s.segsz, s.lpid, s.cpid,
                                           s.atime, s.dtime, s.ctime, s.nattch))
    else:
        raise Errno(EINVAL)
    return info, rows


def sysctl_info(p, which, oldp, oldlenp, have):
    """__sysctl of kern.ipc.sysvipc_info.<which> (kern.py hands it over), as
    NetBSD's sysctl_kern_sysvipc: with no buffer, the size of the whole (the
    limits rounded up to 8 bytes, then every slot); a buffer of exactly the
    limits gets them alone (ipcs -Q/-M/-S); otherwise as many whole records
    as fit after the rounded limits, ENOMEM if not all did (and for a
    buffer smaller than the limits), *oldlenp the bytes written."""
    info, rows = _sysvipc_info(p, _ipc(p), which)
    infosize = len(info)
    if not oldp or have > infosize:
        infosize += -infosize % 8
    if not oldp:
        if oldlenp:
            p.mem.copyout(oldlenp, _I32.pack(infosize + sum(map(len, rows))))
        return 0
    if have < infosize:
        if oldlenp:
            p.mem.copyout(oldlenp, _I32.pack(0))
        raise Errno(ENOMEM)
    out = [info.ljust(infosize, b"\0")]
    left = have - infosize
    err = 0
    for r in rows if left > 0 else ():
        if left < len(r):
            err = ENOMEM
            break
        out.append(r)
        left -= len(r)
    out = b"".join(out)
    p.mem.copyout(oldp, out)
    if oldlenp:
        p.mem.copyout(oldlenp, _I32.pack(len(out)))
    if err:
        raise Errno(err)
    return 0


def sysctl(p, mib):
    """The value of kern.<mib> for mib[0] in KERN_SYSVMSG/SEM/SHM and
    KERN_SYSVIPC (kern.py's sysctl_value asks here); ENOENT otherwise."""
    from kw86.nbsd.abi import ENOENT as _ENOENT
    if len(mib) == 1 and mib[0] in (KERN_SYSVMSG, KERN_SYSVSEM, KERN_SYSVSHM):
        return _I32.pack(1)
    if mib[0] != KERN_SYSVIPC:
        raise Errno(_ENOENT)
    ipc = _ipc(p)
    if len(mib) == 3 and mib[1] == KERN_SYSVIPC_INFO:
        info, rows = _sysvipc_info(p, ipc, mib[2])
        return info + bytes(-len(info) % 8) + b"".join(rows)
    if len(mib) == 2:
        n = mib[1]
        if n == KERN_SYSVIPC_SHMMAX:
            return struct.pack("<Q", ipc.shmmax)
        if n == KERN_SYSVIPC_SHMMNI:
            return _I32.pack(SHMMNI)
        if n == KERN_SYSVIPC_SHMSEG:
            return _I32.pack(SHMSEG)
        if n == KERN_SYSVIPC_SHMMAXPGS:
            return _I32.pack(ipc.shmall)
        if n == KERN_SYSVIPC_SHMUSEPHYS:
            return _I32.pack(0)
    raise Errno(_ENOENT)
