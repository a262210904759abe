"""kqueue(2): kernel event queues and their knotes (NetBSD's kern_event.c
as far as kw86 models it; the system calls are in syscalls/kqueue.py).

A Kqueue is an open file (kqueue, kqueue1) holding knotes, each keyed by
(ident, filter).  A knote is *active* when its filter's condition holds and
*queued* on its kqueue while active and enabled; kevent(2) reports queued
knotes in queue order.  As in NetBSD:

- EVFILT_READ / EVFILT_WRITE watch a descriptor of the kqueue's descriptor
  table (pipes, FIFOs, files, devices, sockets, other kqueues).  They are
  notified through wakeup(9): every change of a pipe, FIFO or socket wakes
  its channel, and a knote on that channel re-evaluates its filter
  (NetBSD's KNOTE()).  A level-triggered knote (no EV_CLEAR) is also
  re-evaluated when kevent or poll looks at the queue, so objects that wake
  nobody (a regular file another process extends, the console) are seen.
  Closing the descriptor removes its knotes (knote_fdclose).
- EVFILT_TIMER: a periodic (or EV_ONESHOT) timer on the guest clock, its
  period rounded up to clock ticks as NetBSD's callouts are; data counts the
  expiries since the last report; EV_CLEAR is implied.  The scheduler's
  clock tick and its idle loop see the deadlines (sched.timer_hooks).
- EVFILT_SIGNAL: data counts the posts of a signal to the process since the
  last report, whether the signal is caught, ignored or masked.
- EVFILT_PROC: NOTE_EXIT (data: the wait status; EV_EOF|EV_ONESHOT),
  NOTE_FORK, NOTE_EXEC of a process the caller may watch; NOTE_TRACK
  follows forks (NOTE_CHILD events, NOTE_TRACKERR).
- EVFILT_USER: NOTE_TRIGGER and the NOTE_FF* fflags operations.

A pipe's read and write knotes share one channel (in NetBSD both sit on the
reading end's selinfo), so each end's knotes re-evaluate on reads and
writes alike: an EV_CLEAR read knote whose pipe still holds data is
reported again after its reader consumed part of it.
"""
import collections
import struct
import weakref

from kw86.nbsd import abi
from kw86.nbsd.errors import Errno
from kw86.nbsd.file import File, OpenFiles
from kw86.nbsd.sched import add_wakeup_listener, timer_hooks, wakeup

# <sys/event.h> (NetBSD 10)
EVFILT_READ, EVFILT_WRITE, EVFILT_AIO, EVFILT_VNODE, EVFILT_PROC = 0, 1, 2, 3, 4
EVFILT_SIGNAL, EVFILT_TIMER, EVFILT_FS, EVFILT_USER, EVFILT_EMPTY = 5, 6, 7, 8, 9
EVFILT_SYSCOUNT = 10
FILTER_NAMES = ("EVFILT_READ", "EVFILT_WRITE", "EVFILT_AIO", "EVFILT_VNODE", "EVFILT_PROC",
                "EVFILT_SIGNAL", "EVFILT_TIMER", "EVFILT_FS", "EVFILT_USER", "EVFILT_EMPTY")

EV_ADD, EV_DELETE, EV_ENABLE, EV_DISABLE = 0x1, 0x2, 0x4, 0x8
EV_ONESHOT, EV_CLEAR, EV_RECEIPT, EV_DISPATCH = 0x10, 0x20, 0x40, 0x80
EV_SYSFLAGS, EV_FLAG1 = 0xF000, 0x2000
EV_EOF, EV_ERROR = 0x8000, 0x4000

NOTE_FFNOP, NOTE_FFAND, NOTE_FFOR, NOTE_FFCOPY = 0, 0x40000000, 0x80000000, 0xc0000000
NOTE_FFCTRLMASK, NOTE_FFLAGSMASK, NOTE_TRIGGER = 0xc0000000, 0x00ffffff, 0x01000000
NOTE_EXIT, NOTE_FORK, NOTE_EXEC = 0x80000000, 0x40000000, 0x20000000
NOTE_TRACK, NOTE_TRACKERR, NOTE_CHILD = 0x1, 0x2, 0x4
NOTE_MSECONDS, NOTE_SECONDS, NOTE_USECONDS, NOTE_NSECONDS = 0, 1, 2, 3
NOTE_ABSTIME, NOTE_TIMER_UNITMASK = 0x10, 0x3
NOTE_LOWAT = 0x1

POLLIN, POLLOUT, POLLHUP, POLLRDNORM = 0x1, 0x4, 0x10, 0x40

# ioctls on a kqueue: _IOWR('k', 0/1, struct kfilter_mapping {char *name; size_t len;
# uint32_t filter}) (12 bytes on i386)
KFILTER_BYFILTER, KFILTER_BYNAME, KFILTER_MAXNAME = 0xc00c6b00, 0xc00c6b01, 256

KEVENT_SIZE = 28                # i386: ident, filter, flags, fflags, data (int64), udata
INT_MAX = 0x7fffffff
KQ_CALLOUTMAX = 4 * 1024        # NetBSD's kq_calloutmax: timers at once (ENOMEM past it)
# kw86's bound on the knotes of all the system's kqueues (host memory, about
# 330 bytes a knote; NetBSD's only bound is kernel memory, the system's too):
# ENOMEM past it.  (It was per descriptor table: 160 processes could hold
# 10 million knotes, 3.4 GB of kw86's memory.)
KQ_MAXKNOTES = 1 << 16

_UNIT_NS = {NOTE_SECONDS: 10**9, NOTE_MSECONDS: 10**6, NOTE_USECONDS: 10**3, NOTE_NSECONDS: 1}


class Knote:
    __slots__ = ("kq", "ident", "filter", "flags", "fflags", "data", "udata",
                 "sfflags", "sdata", "active", "queued", "disabled", "file", "chan", "obj",
                 "deadline", "period", "kernel", "hook", "__weakref__")

    def __init__(self, kq, ident, filt, flags, udata):
        self.kq = kq
        self.ident, self.filter, self.flags, self.udata = ident, filt, flags, udata
        self.fflags = self.data = 0
        self.sfflags = self.sdata = 0
        self.active = self.queued = self.disabled = False
        self.file = self.chan = self.obj = None
        self.deadline = self.period = self.kernel = None
        self.hook = 0                   # EVFILT_USER: triggered

    def __repr__(self):
        return f"<Knote {FILTER_NAMES[self.filter]} {self.ident} flags={self.flags:#x}>"


# -- object -> knotes registries (NetBSD's klists) ---------------------------

_watch = {}                     # wakeup channel -> {knote}: fd knotes (selinfo klists)
_procs = weakref.WeakKeyDictionary()    # process -> {knote}: EVFILT_SIGNAL/EVFILT_PROC
_timers = set()                 # armed EVFILT_TIMER knotes
_in_wakeup = set()              # channels being notified (breaks kqueue loops)


def _proc(p):
    """The process of p (p itself; an LWP's process once LWPs exist)."""
    return getattr(p, "proc", None) or p


_pending = None                 # channels whose knotes still re-evaluate (_on_wakeup)


def _on_wakeup(chan):
    """wakeup(chan) is NetBSD's KNOTE(): knotes on chan re-evaluate.
    Iterative: a knote activated here wakes its kqueue's channel, whose
    knotes (in kqueues watching that kqueue) re-evaluate in turn; those
    channels are queued and taken in order by the outermost call, never
    nested (a chain of 3,000 kqueues each watching the next made one
    kevent recurse 3,000 deep: RecursionError in the kernel)."""
    global _pending
    try:
        kns = _watch.get(chan)
    except TypeError:               # an unhashable channel: no knote can be on it
        return
    if not kns or id(chan) in _in_wakeup:
        return
    if _pending is not None:
        _pending.append(chan)
        return
    _pending = collections.deque((chan,))
    try:
        while _pending:
            c = _pending.popleft()
            kns = _watch.get(c)
            if not kns or id(c) in _in_wakeup:
                continue
            _in_wakeup.add(id(c))
            try:
                for kn in list(kns):
                    if kn.kq is not None and filter_event(kn):
                        activate(kn)
            finally:
                _in_wakeup.discard(id(c))
    finally:
        _pending = None


add_wakeup_listener(_on_wakeup)


def _attach_chan(kn, chan):
    kn.chan = chan
    try:
        _watch.setdefault(chan, set()).add(kn)
    except TypeError:
        kn.chan = None


def _detach(kn):
    """Take kn off every object it is attached to."""
    if kn.chan is not None:
        s = _watch.get(kn.chan)
        if s is not None:
            s.discard(kn)
            if not s:
                del _watch[kn.chan]
        kn.chan = None
    if kn.obj is not None and kn.filter in (EVFILT_SIGNAL, EVFILT_PROC):
        s = _procs.get(kn.obj)
        if s is not None:
            s.discard(kn)
        kn.obj = None
    _timers.discard(kn)


# -- activation and the queue ------------------------------------------------

def activate(kn):
    """knote_activate: kn's event triggered; queue it unless disabled."""
    kq = kn.kq
    if kq is None:
        return
    kn.active = True
    if not kn.queued and not kn.disabled:
        kn.queued = True
        kq.queue.append(kn)
        wakeup(kq)                  # kevent sleepers and poll/select on the kqueue fd


def deactivate(kn):
    kn.active = False
    if kn.queued:
        kn.queued = False
        kn.kq.queue.remove(kn)


def enqueue(kn):
    """knote_enqueue (EV_ENABLE): enabled; queued if it is active."""
    kn.disabled = False
    if kn.active and not kn.queued:
        kn.queued = True
        kn.kq.queue.append(kn)
        wakeup(kn.kq)


# -- filters -----------------------------------------------------------------

def _file_poll(f, events):
    fn = getattr(f, "poll", None)
    if fn is not None:
        return fn(events)
    return events & (POLLIN | POLLRDNORM | POLLOUT)     # files, directories: always


def _set_eof(kn, eof):
    if eof:
        kn.flags |= EV_EOF
    else:
        kn.flags &= ~EV_EOF


def filt_read(kn):
    f = kn.file
    kind = f.kind
    if kind == "kqueue":
        kn.data = f.count()
        return kn.data > 0
    if kind in ("pipe", "fifo"):
        pp = f.pipe
        kn.data = len(pp.buf)
        _set_eof(kn, pp.writers <= 0)
        return kn.data > 0 or pp.writers <= 0
    if kind == "vnode":
        # genfs: the bytes from the offset to the end (a regular file at its end
        # is not readable); other vnodes have no data
        kn.data = f.readable_bytes()
        return kn.data != 0
    if kind == "socket":
        return _filt_soread(kn, f)
    rev = _file_poll(f, POLLIN | POLLRDNORM)
    kn.data = f.readable_bytes()
    eof = bool(rev & POLLHUP) or (bool(rev & (POLLIN | POLLRDNORM)) and kn.data == 0
                                  and kind == "dev" and getattr(f.device, "poll", None) is not None)
    _set_eof(kn, eof)
    return bool(rev & (POLLIN | POLLRDNORM | POLLHUP))


def filt_write(kn):
    f = kn.file
    kind = f.kind
    if kind in ("pipe", "fifo"):
        pp = f.pipe
        if pp.readers <= 0:
            kn.data = 0
            _set_eof(kn, True)
            return True
        _set_eof(kn, False)
        kn.data = pp.capacity - len(pp.buf)
        return kn.data >= abi.PIPE_BUF
    if kind == "vnode":
        kn.data = 0
        return True
    if kind == "socket":
        return _filt_sowrite(kn, f)
    rev = _file_poll(f, POLLOUT)
    wb = getattr(f, "writable_bytes", None)
    kn.data = wb() if wb is not None else 0
    _set_eof(kn, bool(rev & POLLHUP))
    return bool(rev & (POLLOUT | POLLHUP))


def _filt_soread(kn, so):
    """filt_soread / filt_solisten: data is the bytes queued (a listening
    socket: the connections to accept); EV_EOF (fflags: the pending error)
    once the read side is shut; NOTE_LOWAT: data >= the knote's own mark."""
    kn.data = so.readable_bytes()
    if so.state == "listening":
        return kn.data > 0
    if so.eof():
        _set_eof(kn, True)
        kn.fflags = so.error
        return True
    _set_eof(kn, False)
    if so.error:
        return True
    if kn.sfflags & NOTE_LOWAT:
        return kn.data >= kn.sdata
    return kn.data >= max(1, so.rcvlowat)


def _filt_sowrite(kn, so):
    """filt_sowrite: data is the send space; EV_EOF once the write side is
    shut; a connection-oriented socket is not writable before it connects."""
    kn.data = max(0, so.write_space())
    if so.write_eof():
        _set_eof(kn, True)
        kn.fflags = so.error
        return True
    _set_eof(kn, False)
    if so.error:
        return True
    if so.stream and so.state != "connected":
        return False
    if kn.sfflags & NOTE_LOWAT:
        return kn.data >= kn.sdata
    return kn.data >= so.sndlowat


def filter_event(kn):
    """f_event: does kn's condition hold now (and its data)."""
    flt = kn.filter
    if flt == EVFILT_READ:
        return filt_read(kn)
    if flt == EVFILT_WRITE:
        return filt_write(kn)
    if flt == EVFILT_TIMER or flt == EVFILT_SIGNAL:
        return kn.data != 0
    if flt == EVFILT_PROC:
        return kn.fflags != 0
    if flt == EVFILT_USER:
        return bool(kn.hook)
    return False


# -- the kqueue file ---------------------------------------------------------

# A kqueue watching a kqueue (EVFILT_READ) counts the events of the one it
# watches, refreshed first (refresh, count): a chain of kqueues each
# watching the next is looked down at most KQ_NEST_MAX deep by one refresh
# (the Python kernel recursed down the whole chain: RecursionError past a
# few hundred).  Deeper ones are counted as they stand; what activates
# there reaches the top through the wakeups (_on_wakeup) anyway.
KQ_NEST_MAX = 16
_refresh_depth = 0

_NOTIFYING = ("pipe", "fifo", "socket", "kqueue")     # wakeup(chan) on every change


class Kqueue(File):
    """An open kqueue (DTYPE_KQUEUE): FREAD|FWRITE, pollable for input when
    events are pending; read/write are ENXIO; not inherited by fork."""

    kind = "kqueue"

    def __init__(self, fdt, flags, cred=None):
        super().__init__(abi.FREAD | abi.FWRITE, flags)
        self.fdt = fdt                  # kq_fdp: the descriptor table its fd knotes use
        self.knotes = {}                # (ident, filter) -> Knote
        self.queue = []                 # queued knotes, in activation order
        self.cred = cred                # (euid, egid) of its creator (fstat)
        self._refreshing = False
        reg = fdt.kq
        if reg is None:
            reg = fdt.kq = FdKnotes(fdt.nfiles)
        reg.kqs.add(self)

    def __repr__(self):
        return f"<Kqueue {len(self.knotes)} knotes, {len(self.queue)} queued>"

    def refresh(self):
        """Re-evaluate the descriptor knotes that are not active: objects
        that change without a wakeup (files, devices: the console's input
        comes through the idle loop) are seen here, edge-triggered
        (EV_CLEAR) knotes too; on objects that do wake their channel
        (pipes, FIFOs, sockets, kqueues) only level-triggered ones are
        looked at, so an EV_CLEAR knote there fires once per change."""
        global _refresh_depth
        if self._refreshing or _refresh_depth >= KQ_NEST_MAX:
            return
        self._refreshing = True
        _refresh_depth += 1
        try:
            for kn in list(self.knotes.values()):
                f = kn.file
                if f is None or kn.active or kn.disabled or kn.kq is not self:
                    continue
                if kn.flags & EV_CLEAR and f.kind in _NOTIFYING:
                    continue
                if filter_event(kn):
                    activate(kn)
        finally:
            self._refreshing = False
            _refresh_depth -= 1

    def count(self):
        self.refresh()
        return len(self.queue)

    def poll(self, events):
        if events & (POLLIN | POLLRDNORM) and self.count():
            return events & (POLLIN | POLLRDNORM)
        return 0

    def readable_bytes(self):
        return 0

    def read(self, p, n):
        raise Errno(abi.ENXIO)

    def write(self, p, data):
        raise Errno(abi.ENXIO)

    def ioctl(self, p, cmd, data):
        """KFILTER_BYFILTER (a filter's name, copied out to km->name of at
        most km->len bytes) and KFILTER_BYNAME (the filter of a name)."""
        if cmd not in (KFILTER_BYFILTER, KFILTER_BYNAME):
            raise Errno(abi.ENOTTY)
        name_p, length, filt = struct.unpack("<III", data)
        if cmd == KFILTER_BYFILTER:
            if filt >= EVFILT_SYSCOUNT:
                raise Errno(abi.ENOENT)
            name = FILTER_NAMES[filt].encode() + b"\0"
            if length:
                p.mem.copyout(name_p, name[:length])
            if len(name) > length:
                raise Errno(abi.ENAMETOOLONG)
            return data
        name = p.mem.copyinstr(name_p, KFILTER_MAXNAME).decode("latin-1")
        if name not in FILTER_NAMES:
            raise Errno(abi.ENOENT)
        return struct.pack("<III", name_p, length, FILTER_NAMES.index(name))

    def stat(self):
        uid, gid = self.cred if self.cred is not None else (0, 0)
        return abi.Attr(mode=abi.NBSD_S_IFIFO | 0o600, size=len(self.queue), blocks=1,
                        blksize=KEVENT_SIZE, uid=uid, gid=gid, nlink=0)

    def drop(self, kn):
        """knote_detach."""
        _detach(kn)
        if kn.queued:
            kn.queued = False
            self.queue.remove(kn)
        key = (kn.ident, kn.filter)
        if self.knotes.get(key) is kn:          # (not a NOTE_CHILD note)
            del self.knotes[key]
            self.fdt.kq.nknotes -= 1
        kn.kq = None

    def close_final(self):
        for kn in list(self.knotes.values()) + self.queue:
            if kn.kq is self:
                self.drop(kn)
        reg = self.fdt.kq
        if reg is not None:
            reg.kqs.discard(self)
        wakeup(self)


class FdKnotes:
    """The kqueues of one descriptor table (FdTable.kq): close(fd) removes
    the knotes on fd (knote_fdclose)."""

    def __init__(self, system=None):
        self.kqs = weakref.WeakSet()
        # the count of knotes against KQ_MAXKNOTES: the system's (its
        # file.OpenFiles), or this table's alone (a table of no system)
        self._count = system if system is not None else OpenFiles()

    @property
    def nknotes(self):
        return self._count.knotes

    @nknotes.setter
    def nknotes(self, n):
        self._count.knotes = n

    def fd_closed(self, fd):
        for kq in list(self.kqs):
            for flt in (EVFILT_READ, EVFILT_WRITE):
                kn = kq.knotes.get((fd, flt))
                if kn is not None:
                    kq.drop(kn)


# -- hooks from the rest of the kernel (one line each) ------------------------

def knote_signal(p, sig):
    """A signal was posted to p (proc.post_signal): EVFILT_SIGNAL counts it."""
    kns = _procs.get(_proc(p))
    if kns:
        for kn in list(kns):
            if kn.filter == EVFILT_SIGNAL and kn.ident == sig:
                kn.data += 1
                activate(kn)


def knote_proc_fork(p, child):
    """p forked child: NOTE_FORK; a NOTE_TRACK knote follows the child with
    a knote of its own (same fflags, udata and queue) and reports it with a
    one-shot NOTE_CHILD event (data: the parent's pid); NOTE_TRACKERR on the
    parent's knote when that cannot be done (knote_proc_fork_track)."""
    kns = _procs.get(_proc(p))
    if not kns:
        return
    for kn in list(kns):
        if kn.filter != EVFILT_PROC:
            continue
        kn.fflags |= kn.sfflags & NOTE_FORK
        if kn.sfflags & NOTE_TRACK and kn.kq is not None and not _track(kn, p, child):
            kn.fflags |= NOTE_TRACKERR
        if kn.fflags:
            activate(kn)


def _track(kn, p, child):
    kq = kn.kq
    key = (child.pid, EVFILT_PROC)
    reg = kq.fdt.kq
    if key in kq.knotes or reg.nknotes >= KQ_MAXKNOTES:
        return False
    flags = kn.flags | EV_ADD | EV_ENABLE | EV_CLEAR
    track = Knote(kq, child.pid, EVFILT_PROC, flags, kn.udata)
    track.sfflags, track.sdata = kn.sfflags, p.pid
    track.obj = _proc(child)
    _procs.setdefault(track.obj, set()).add(track)
    kq.knotes[key] = track
    reg.nknotes += 1
    note = Knote(kq, child.pid, EVFILT_PROC, flags | EV_ONESHOT, kn.udata)
    note.fflags, note.data = NOTE_CHILD, p.pid     # (on no list: dropped once reported)
    activate(note)
    return True


def knote_proc_exec(p):
    _proc_note(p, NOTE_EXEC)


def _proc_note(p, note):
    kns = _procs.get(_proc(p))
    if kns:
        for kn in list(kns):
            if kn.filter == EVFILT_PROC:
                kn.fflags |= kn.sfflags & note
                if kn.fflags:
                    activate(kn)


def knote_proc_exit(p, status):
    """p exits with wait status `status`: its EVFILT_PROC knotes fire
    (always, NOTE_EXIT asked or not) and detach; its signal knotes go."""
    p = _proc(p)
    kns = _procs.pop(p, None)
    if not kns:
        return
    for kn in list(kns):
        kn.obj = None
        if kn.filter != EVFILT_PROC:
            continue
        kn.data = status
        kn.flags |= EV_EOF | EV_ONESHOT
        kn.fflags |= kn.sfflags & NOTE_EXIT
        activate(kn)


class _TimerHook:
    """sched.timer_hooks entry: EVFILT_TIMER deadlines on the guest clock."""

    @staticmethod
    def expire(k):
        if not _timers:
            return
        now = k.clock()
        for kn in list(_timers):
            if kn.kernel is not k or kn.deadline is None or kn.deadline > now:
                continue
            if kn.period:
                n = (now - kn.deadline) // kn.period + 1
                kn.deadline += n * kn.period
            else:
                n = 1
                kn.deadline = None
                _timers.discard(kn)
            kn.data += n
            activate(kn)

    @staticmethod
    def deadlines(k):
        """The next expiries, in guest cycles (the idle loop jumps to them).
        A timer already pending (active, not yet reported) wakes nobody new
        when it expires again: it is left out, so that a machine where
        nobody reads it still ends in the deadlock report (its count catches
        up at the next expiry check)."""
        if not _timers:
            return []
        hz = k.m.clock_hz
        return [-(-(kn.deadline - k.epoch_ns) * hz // 10**9)
                for kn in _timers if kn.kernel is k and kn.deadline is not None
                and not kn.active]


timer_hooks.append(_TimerHook)


# -- registration (kqueue_register) ------------------------------------------

def _timer_compute(kn, flags, fflags, data, tick_ns):
    """-> (first delay ns or None: fire now, period ns or None); EINVAL/ENOMEM."""
    if fflags & ~(NOTE_TIMER_UNITMASK | NOTE_ABSTIME):
        raise Errno(abi.EINVAL)
    unit = _UNIT_NS[fflags & NOTE_TIMER_UNITMASK]
    if data < 0:
        raise Errno(abi.EINVAL)
    ns = data * unit
    if fflags & NOTE_ABSTIME:
        left = ns - kn.kernel.clock() if kn.kernel is not None else ns
        if left <= 0:
            return None, None           # past: the event fires at once
        ticks = -(-left // tick_ns)
        return ticks * tick_ns, None    # absolute timers do not repeat
    kn.flags |= EV_CLEAR                # relative timers: EV_CLEAR is implied
    ticks = -(-ns // tick_ns)
    if ticks == 0:
        raise Errno(abi.EINVAL)         # (a zero interval)
    if ticks > INT_MAX:
        raise Errno(abi.EINVAL)
    period = None if flags & EV_ONESHOT else ticks * tick_ns
    return ticks * tick_ns, period


def _timer_start(kn, delay, period):
    kn.period = period
    if delay is None:
        kn.deadline = None
        _timers.discard(kn)
        kn.data = 1
        return
    if kn.kernel is None:
        raise Errno(abi.ENOSYS)         # no machine, no clock (table-only tests)
    kn.deadline = kn.kernel.clock() + delay
    _timers.add(kn)


def _may_watch(p, q):
    """KAUTH_PROCESS_KEVENT_FILTER: the superuser, or the same real uid and
    no set-id exec in q."""
    if p.cred.euid == 0:
        return True
    return q.cred.ruid == p.cred.ruid and not getattr(q, "sugid", False)


def _attach(p, kq, kn, f):
    """f_attach: hook kn to its object (raises an Errno)."""
    flt = kn.filter
    if flt in (EVFILT_READ, EVFILT_WRITE):
        kind = f.kind
        if kind == "kqueue" and flt != EVFILT_READ:
            raise Errno(abi.EINVAL)
        if kind == "pipe" and flt == EVFILT_WRITE and f.pipe.readers <= 0:
            raise Errno(abi.EBADF)      # pipe_kqfilter: "other end of pipe has been closed"
        kn.file = f
        from kw86.nbsd.syscalls.poll import file_chan
        _attach_chan(kn, file_chan(f))
    elif flt == EVFILT_TIMER:
        if len(_timers) >= KQ_CALLOUTMAX:
            raise Errno(abi.ENOMEM)
        kn.kernel = getattr(p, "kernel", None)
        tick = kn.kernel._tick_ns if kn.kernel is not None else 10**7
        delay, period = _timer_compute(kn, kn.flags, kn.sfflags, kn.sdata, tick)
        _timer_start(kn, delay, period)
    elif flt == EVFILT_SIGNAL:
        kn.flags |= EV_CLEAR
        kn.obj = _proc(p)
        _procs.setdefault(kn.obj, set()).add(kn)
    elif flt == EVFILT_PROC:
        q = p.sys.procs.get(kn.ident) if kn.ident <= INT_MAX else None
        if q is None or q.state == "zomb":
            raise Errno(abi.ESRCH)
        if not _may_watch(p, q):
            raise Errno(abi.EACCES)
        kn.flags |= EV_CLEAR
        kn.sfflags &= ~NOTE_CHILD
        kn.obj = _proc(q)
        _procs.setdefault(kn.obj, set()).add(kn)
    elif flt == EVFILT_USER:
        kn.hook = 0                     # (filt_userattach sees the zeroed kn_fflags)
    else:
        _unimplemented(p, FILTER_NAMES[flt])


def _unimplemented(p, what):
    """A NetBSD filter kw86 lacks: ENOSYS, said once per name on stderr."""
    key = ("kevent", what)
    warned = p.sys.warned
    if key not in warned:
        warned.add(key)
        p.sys.stderr.write(f"kw86: kevent: {what} not implemented\n")
        p.sys.stderr.flush()
    raise Errno(abi.ENOSYS)


def register(p, kq, ident, filt, flags, fflags, data, udata):
    """kqueue_register for one change; raises Errno."""
    if filt >= EVFILT_SYSCOUNT:
        raise Errno(abi.EINVAL)
    isfd = filt in (EVFILT_READ, EVFILT_WRITE)
    f = None
    if isfd:
        if ident > INT_MAX or not p.fdt.valid(ident):
            raise Errno(abi.EBADF)
        f = p.fdt.get(ident)
    kn = kq.knotes.get((ident, filt))
    if kn is None:
        if not flags & EV_ADD:
            raise Errno(abi.ENOENT)
        if kq.fdt.kq.nknotes >= KQ_MAXKNOTES:
            raise Errno(abi.ENOMEM)
        kn = Knote(kq, ident, filt, flags, udata)
        kn.sfflags, kn.sdata = fflags, data
        try:
            _attach(p, kq, kn, f)
        except Errno:
            _detach(kn)
            kn.kq = None
            raise
        kq.knotes[(ident, filt)] = kn
        kq.fdt.kq.nknotes += 1
    else:
        if flags & EV_DELETE:
            kq.drop(kn)
            return
        kn.udata = udata
        if filt == EVFILT_TIMER:
            if flags & EV_ADD:          # filt_timertouch: re-arm
                _timers.discard(kn)
                deactivate(kn)
                kn.data = 0
                kn.flags = flags
                kn.sfflags, kn.sdata = fflags, data
                tick = kn.kernel._tick_ns if kn.kernel is not None else 10**7
                delay, period = _timer_compute(kn, flags, fflags, data, tick)
                _timer_start(kn, delay, period)
        elif filt == EVFILT_USER:       # filt_usertouch
            if fflags & NOTE_TRIGGER:
                kn.hook = 1
            ctl = fflags & NOTE_FFCTRLMASK
            ff = fflags & NOTE_FFLAGSMASK
            if ctl == NOTE_FFAND:
                kn.sfflags &= ff
            elif ctl == NOTE_FFOR:
                kn.sfflags |= ff
            elif ctl == NOTE_FFCOPY:
                kn.sfflags = ff
            kn.sdata = data
            if flags & EV_CLEAR:
                kn.hook = 0
                kn.data = kn.fflags = 0
        else:
            kn.sfflags, kn.sdata = fflags, data
    if filter_event(kn):
        activate(kn)
    if flags & EV_DISABLE:
        kn.disabled = True
    if flags & EV_ENABLE:
        enqueue(kn)


def scan(kq, maxevents):
    """kqueue_scan's collection pass: -> [(ident, filter, flags, fflags, data, udata)]."""
    kq.refresh()
    out = []
    for kn in list(kq.queue):
        if len(out) >= maxevents:
            break
        if not kn.queued:
            continue                    # (dropped while we went)
        kn.queued = False
        kq.queue.remove(kn)
        if kn.disabled:
            continue
        if not kn.flags & EV_ONESHOT:
            if not filter_event(kn):
                kn.active = False
                continue
        if kn.filter == EVFILT_USER:
            ev = (kn.ident, kn.filter, kn.flags, kn.sfflags, kn.sdata, kn.udata)
            if kn.flags & EV_CLEAR:
                kn.hook = 0
        else:
            ev = (kn.ident, kn.filter, kn.flags, kn.fflags, kn.data, kn.udata)
        out.append(ev)
        if kn.flags & EV_ONESHOT:
            kq.drop(kn)
        elif kn.flags & EV_CLEAR:
            kn.data = kn.fflags = 0
            kn.active = False
        elif kn.flags & EV_DISPATCH:
            kn.disabled = True
            kn.active = False
        else:
            kn.queued = True
            kq.queue.append(kn)
    return out
