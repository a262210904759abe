"""poll and select over pipes, files and devices.

Readiness comes from each open file's `poll(events)`.  When nothing is
ready and the timeout is not zero, the call sleeps: it raises
WouldBlock(PollWait(chans, timeout_ns)), the scheduler sleeps the process
on every channel (and on a timer for timeout_ns, None = forever) and
restarts the call when woken.  When the timer fired, the scheduler sets
`p.poll_timedout`; the restarted call then returns 0 (nothing ready).

Timeouts count down from the call's first try, as NetBSD's do (its
sel_do_scan/nanosleep keep the absolute deadline across wakeups):
`sleep_start` remembers [call key, deadline, interrupted] in
p.timed_start, and a restart after a wakeup that made nothing ready sleeps
only for what is left.  A caught signal ends such a sleep with EINTR
(never a restart, SA_RESTART or not: NetBSD turns ERESTART into EINTR for
poll, select and nanosleep); the call itself returns it, so nanosleep can
write the time left to *rmtp.
"""
import struct

from kw86.nbsd import abi
from kw86.nbsd.abi import EINVAL
from kw86.nbsd.errors import Errno, WouldBlock

POLLIN, POLLPRI, POLLOUT, POLLERR, POLLHUP, POLLNVAL = 0x1, 0x2, 0x4, 0x8, 0x10, 0x20
POLLRDNORM, POLLRDBAND, POLLWRNORM, POLLWRBAND = 0x40, 0x80, POLLOUT, 0x100
FD_SETSIZE = 256
NFDBITS = 32


class PollWait:
    """A sleep on several channels at once, with an optional timeout."""

    def __init__(self, chans, timeout_ns):
        self.chans = chans
        self.timeout_ns = timeout_ns

    def __repr__(self):
        return f"PollWait({len(self.chans)} chans, timeout={self.timeout_ns})"


def file_poll(f, events):
    """revents for an open file (files and directories are always ready)."""
    fn = getattr(f, "poll", None)
    if fn is not None:
        return fn(events)
    return events & (POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM)


def file_chan(f):
    return getattr(f, "pipe", None) or getattr(getattr(f, "device", None), "wait_chan", None) \
        or getattr(f, "device", None) or f


class Interrupted(Errno):
    """EINTR for a timed sleep a caught signal ended; `remaining` ns left
    (None: it had no timeout)."""

    def __init__(self, remaining):
        super().__init__(abi.EINTR)
        self.remaining = remaining


def sleep_start(p, key, timeout_ns):
    """A call (identified by key: its name and arguments) that found
    nothing to do and would sleep: -> the ns left of its timeout counted from
    its first try (None: no timeout), 0 when the time is up.  Raises
    Interrupted if a caught signal ended its sleep."""
    ts = p.timed_start
    now = p.sys.clock()
    if ts is None or ts[0] != key:
        p.poll_timedout = False
        ts = p.timed_start = [key, None if timeout_ns is None else now + timeout_ns, False]
    rem = None if ts[1] is None else max(0, ts[1] - now)
    if ts[2]:
        sleep_done(p)
        raise Interrupted(rem)
    if p.poll_timedout or rem == 0:
        sleep_done(p)
        return 0
    return rem


def sleep_done(p):
    """The timed call returns: forget its deadline."""
    p.timed_start = None
    p.poll_timedout = False


def _wait_chan(p, f, ev):
    """What a poll for ev on f sleeps on, or None.  The console wakes its
    sleepers whenever the host fd selects readable (at EOF: always), so only
    a poll that asks for input sleeps on it; nothing else on a tty changes
    (POLLOUT is always ready, POLLPRI never)."""
    chan = file_chan(f)
    if chan is p.sys.devfs.console and not ev & (POLLIN | POLLRDNORM):
        return None
    return chan


def do_poll(p, fds, timeout_ns, key=None):
    """fds: [(fd, events)] -> [revents]; sleeps (WouldBlock) if none is ready
    (key: the call and its arguments, for sleep_start)."""
    out = []
    ready = 0
    for fd, ev in fds:
        if fd < 0:
            out.append(0)
            continue
        if not p.fdt.valid(fd):
            out.append(POLLNVAL)
            ready += 1
            continue
        rev = file_poll(p.fdt.get(fd), ev | POLLERR | POLLHUP) & (ev | POLLERR | POLLHUP | POLLNVAL)
        out.append(rev)
        ready += 1 if rev else 0
    if ready or timeout_ns == 0:
        sleep_done(p)
        return out
    rem = sleep_start(p, ("poll", key, tuple(fds)), timeout_ns)
    if rem == 0:
        return out
    chans = [c for c in (_wait_chan(p, p.fdt.get(fd), ev) for fd, ev in fds
                         if fd >= 0 and p.fdt.valid(fd)) if c is not None]
    raise WouldBlock(PollWait(chans, rem))


def _poll(p, fdsp, nfds, timeout_ns):
    if nfds > abi.OPEN_MAX * 8 or nfds < 0:
        raise Errno(EINVAL)
    raw = p.mem.copyin(fdsp, 8 * nfds) if nfds else b""
    fds = [struct.unpack_from("<ihh", raw, 8 * i) for i in range(nfds)]
    revs = do_poll(p, [(fd, ev & 0xffff) for fd, ev, _ in fds], timeout_ns,
                   key=(fdsp, nfds, timeout_ns))
    out = b"".join(struct.pack("<ihh", fd, ev, rev) for (fd, ev, _), rev in zip(fds, revs))
    if nfds:
        p.mem.copyout(fdsp, out)
    return sum(1 for r in revs if r)


def sys_poll(p, fds, nfds, timeout):
    return _poll(p, fds, nfds, None if timeout < 0 else timeout * 1_000_000)


def _unblocked_pending(p):
    """A signal pending on the process or the current LWP that its mask
    lets through and that acts: caught, or one whose default kills (one
    ignored by default, SIGCHLD, SIGWINCH ..., or a stop, ends no sleep:
    proc.wake_for_signal)."""
    from kw86.nbsd.proc import SIG_KILL
    acts = p.sigacts
    for sig in list(p.siglist) + list(p.l.siglist):
        if p.sigmask & abi.sigbit(sig):
            continue
        handler = acts.get(sig, (abi.NBSD_SIG_DFL,))[0]
        if handler == abi.NBSD_SIG_IGN:
            continue
        if handler != abi.NBSD_SIG_DFL or sig in SIG_KILL:
            return True
    return False


def with_sigmask(p, maskp, call):
    """pselect/pollts: run call() (a select or poll) with the signal mask at
    maskp in force for its whole wait, atomically as sigsuspend's (NetBSD's
    selcommon/pollcommon: sigsuspendsetup before the scan, sigsuspendteardown
    after).  While it would sleep, a pending signal the temporary mask lets
    through ends it with EINTR.  On the way out the old mask comes back at
    once unless such a signal is pending: then p.oldmask keeps it, the signal
    is delivered under the temporary mask and its handler's context carries
    the old one (sendsig), which its sigreturn restores."""
    if not maskp:
        return call()
    new = abi.unpack_sigset(p.mem.copyin(maskp, 16))    # EFAULT first
    new &= ~(abi.sigbit(abi.NBSD_SIGKILL) | abi.sigbit(abi.NBSD_SIGSTOP))
    if p.oldmask is None:
        p.oldmask = p.sigmask           # (kept across the restarts of a sleep)
    p.sigmask = new
    try:
        r = call()
    except WouldBlock:
        if not _unblocked_pending(p):
            raise                       # sleeps with the temporary mask
        sleep_done(p)
        _teardown(p)
        raise Errno(abi.EINTR) from None
    except Exception:
        _teardown(p)                    # EINTR, EBADF, EFAULT ...
        raise
    _teardown(p)
    return r


def _teardown(p):
    if p.oldmask is not None and not _unblocked_pending(p):
        p.sigmask, p.oldmask = p.oldmask, None


def sys___pollts50(p, fds, nfds, ts, mask):
    tmo = None
    if ts:
        sec, nsec = abi.unpack_timespec(p.mem.copyin(ts, 12))
        if sec < 0 or not 0 <= nsec < 10**9:
            raise Errno(EINVAL)
        tmo = sec * 10**9 + nsec
    return with_sigmask(p, mask, lambda: _poll(p, fds, nfds, tmo))


def _select(p, nd, ins, ous, exs, tvp, abiv):
    tmo = None
    if tvp:
        sz = abi.timespec_size(abiv)
        sec, usec = abi.unpack_timeval(p.mem.copyin(tvp, sz), abiv)
        if sec < 0 or not 0 <= usec < 10**6:
            raise Errno(EINVAL)
        tmo = sec * 10**9 + usec * 1000
    return select_ns(p, nd, ins, ous, exs, tmo)


def select_ns(p, nd, ins, ous, exs, tmo):
    """select(2) with the timeout in ns (None: forever)."""
    if nd < 0:
        raise Errno(EINVAL)
    # NetBSD clamps nd to the descriptor table's size (at least NDFILE = 20)
    nd = min(nd, max(len(p.fdt.slots), 20), FD_SETSIZE)
    nwords = (nd + NFDBITS - 1) // NFDBITS
    sets = []
    for ptr in (ins, ous, exs):
        if ptr and nwords:
            words = struct.unpack(f"<{nwords}I", p.mem.copyin(ptr, 4 * nwords))
            sets.append(sum(w << (32 * i) for i, w in enumerate(words)))
        else:
            sets.append(0)
    fds = []
    for fd in range(nd):
        ev = (POLLIN | POLLRDNORM if sets[0] >> fd & 1 else 0) | \
             (POLLOUT | POLLWRNORM if sets[1] >> fd & 1 else 0) | \
             (POLLPRI | POLLRDBAND if sets[2] >> fd & 1 else 0)
        if ev:
            if not p.fdt.valid(fd):
                raise Errno(abi.EBADF)
            fds.append((fd, ev))
    revs = do_poll(p, fds, tmo, key=(ins, ous, exs, tmo))
    res = [0, 0, 0]
    n = 0
    for (fd, ev), rev in zip(fds, revs):
        if rev & (POLLIN | POLLRDNORM | POLLHUP | POLLERR) and ev & POLLIN:
            res[0] |= 1 << fd
            n += 1
        if rev & (POLLOUT | POLLWRNORM | POLLERR) and ev & POLLOUT:
            res[1] |= 1 << fd
            n += 1
        if rev & (POLLPRI | POLLRDBAND) and ev & POLLPRI:
            res[2] |= 1 << fd
            n += 1
    for ptr, bits in zip((ins, ous, exs), res):
        if ptr and nwords:
            p.mem.copyout(ptr, struct.pack(f"<{nwords}I",
                                           *((bits >> (32 * i)) & 0xffffffff for i in range(nwords))))
    return n


def sys___select50(p, nd, ins, ous, exs, tv):
    return _select(p, nd, ins, ous, exs, tv, "10")


def sys_select(p, nd, ins, ous, exs, tv):
    return _select(p, nd, ins, ous, exs, tv, "15")
