"""kqueue (344), kqueue1 (455), __kevent50 (435) and compat_50_kevent (345).

The queue itself is kw86/nbsd/kqueue.py.  kevent(2) as NetBSD's kevent1:
the kqueue descriptor is checked (EBADF, also for a descriptor that is not
a kqueue), the timeout is copied in (EFAULT), then every change is
registered in order; a change that fails, or any change with EV_RECEIPT,
is reported as an EV_ERROR event (data = errno, 0 for a receipt) while
there is room in the event list, else the call fails with that error (a
receipt with no room: the call returns 0).  With receipts or errors
reported, the call returns their number without collecting events.
Otherwise the pending events are collected: none wanted (nevents 0)
returns 0 at once; an invalid timeout is EINVAL; a zero timeout polls; a
NULL one waits.  The wait sleeps as poll's does (syscalls/poll.py:
PollWait on the kqueue and the watched objects, the timeout counted from
the first try, EINTR on a caught signal, never restarted); the restarted
call does not apply its changelist again.
"""
import struct

from kw86.nbsd import abi, kqueue as kq_
from kw86.nbsd.errors import Errno, WouldBlock
from kw86.nbsd.syscalls.fs import O_NOSIGPIPE
from kw86.nbsd.syscalls.poll import PollWait, _wait_chan, sleep_done, sleep_start

KEVENT = struct.Struct("<IIIIqI")
assert KEVENT.size == kq_.KEVENT_SIZE


def sys_kqueue(p):
    return sys_kqueue1(p, 0)


def sys_kqueue1(p, flags):
    # NetBSD takes O_NONBLOCK and O_NOSIGPIPE as status flags and O_CLOEXEC,
    # and ignores any other bit
    f = kq_.Kqueue(p.fdt, flags & (abi.NBSD_O_NONBLOCK | O_NOSIGPIPE),
                   cred=(p.cred.euid, p.cred.egid))
    try:
        return p.fdt.alloc(f, cloexec=bool(flags & abi.NBSD_O_CLOEXEC))
    except Errno:
        f.close_final()
        raise


def sys___kevent50(p, fd, changelist, nchanges, eventlist, nevents, timeout):
    return kevent(p, fd, changelist, nchanges, eventlist, nevents, timeout, "10")


def sys_kevent(p, fd, changelist, nchanges, eventlist, nevents, timeout):
    return kevent(p, fd, changelist, nchanges, eventlist, nevents, timeout, "15")


def kevent(p, fd, changelist, nchanges, eventlist, nevents, timeout, abiv):
    try:
        return _kevent(p, fd, changelist, nchanges, eventlist, nevents, timeout, abiv)
    except WouldBlock:
        raise
    except BaseException:
        sleep_done(p)                   # (a restart that failed: the next call is new)
        raise


def _kevent(p, fd, changelist, nchanges, eventlist, nevents, timeout, abiv):
    kq = p.fdt.get(fd)
    if kq.kind != "kqueue":
        raise Errno(abi.EBADF)
    ts = None
    if timeout:
        ts = abi.unpack_timespec(p.mem.copyin(timeout, abi.timespec_size(abiv)), abiv)
    key = ("kevent", fd, changelist, nchanges, eventlist, nevents, timeout)
    restarted = p.timed_start is not None and p.timed_start[0] == key
    if not restarted:
        nerrors = 0
        for i in range(nchanges):
            ident, filt, flags, fflags, data, udata = KEVENT.unpack(
                p.mem.copyin((changelist + i * KEVENT.size) & 0xffffffff, KEVENT.size))
            flags &= ~kq_.EV_SYSFLAGS
            err = 0
            try:
                kq_.register(p, kq, ident, filt, flags, fflags, data, udata)
            except Errno as e:
                err = e.errno
            if not err and not flags & kq_.EV_RECEIPT:
                continue
            if nevents == 0:
                if err:
                    raise Errno(err)
                return 0
            p.mem.copyout((eventlist + nerrors * KEVENT.size) & 0xffffffff,
                          KEVENT.pack(ident, filt, kq_.EV_ERROR, fflags, err, udata))
            nevents -= 1
            nerrors += 1
        if nerrors:
            return nerrors
    if nevents == 0:
        return 0
    tmo = None
    if ts is not None:
        sec, nsec = ts
        if sec < 0 or not 0 <= nsec < 10**9:
            sleep_done(p)
            raise Errno(abi.EINVAL)
        tmo = sec * 10**9 + nsec
    out = kq_.scan(kq, nevents)
    if not out and tmo != 0:
        rem = sleep_start(p, key, tmo)  # (EINTR: a caught signal ended the sleep)
        if rem != 0:
            chans = [kq]
            for kn in kq.knotes.values():
                if kn.file is not None and not kn.disabled:
                    ev = 0x1 if kn.filter == kq_.EVFILT_READ else 0x4
                    c = _wait_chan(p, kn.file, ev)
                    if c is not None and c is not kq:
                        chans.append(c)
            raise WouldBlock(PollWait(chans, rem))
    sleep_done(p)
    for i, ev in enumerate(out):
        ident, filt, flags, fflags, data, udata = ev
        p.mem.copyout((eventlist + i * KEVENT.size) & 0xffffffff,
                      KEVENT.pack(ident & 0xffffffff, filt, flags & 0xffffffff,
                                  fflags & 0xffffffff, max(-2**63, min(data, 2**63 - 1)),
                                  udata & 0xffffffff))
    return len(out)
