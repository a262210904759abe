"""Socket system calls (NetBSD's uipc_syscalls.c interface, kw86's own code).

The protocol objects live in kw86/nbsd/socket.py; these handlers copy
arguments in and out (sockaddrs, msghdr, iovecs, cmsghdr with NetBSD's
i386 alignment, option values), turn SCM_RIGHTS into open files and back,
and implement the blocking rules: a call that must wait raises WouldBlock
on the socket and is rerun when woken; a stream send or a MSG_WAITALL
receive that moved data before sleeping keeps its count in p.wpartial (a
signal then returns that count, as for a pipe); SO_SNDTIMEO/SO_RCVTIMEO
sleeps are timed sleeps (syscalls/poll.py) that end with EAGAIN.
"""
import struct

from kw86.nbsd import abi
from kw86.nbsd import socket as so
from kw86.nbsd.abi import (EAFNOSUPPORT, EFAULT, EINVAL, ENOPROTOOPT, ENOTSOCK,
                           EOPNOTSUPP, EPIPE, EPROTONOSUPPORT, EPROTOTYPE)
from kw86.nbsd.errors import Errno, WouldBlock
from kw86.nbsd.syscalls import poll
from kw86.nbsd.syscalls.fs import SSIZE_MAX, _iovecs
from kw86.nbsd.vfs import VWRITE, access

CHUNK = 1 << 20
_MSGHDR = struct.Struct("<IIIiIIi")     # name, namelen, iov, iovlen, control, controllen, flags
MAX_DOMAIN = 43                         # AF_MAX of NetBSD 10


def _sock(p, fd):
    f = p.fdt.get(fd)
    if not isinstance(f, so.Socket):
        raise Errno(ENOTSOCK)
    return f


def _sockargs(p, addr, n):
    """sockargs(): copy in a sockaddr of n bytes; sa_len becomes n."""
    if n > 255 or n < 0:
        raise Errno(EINVAL)
    if n < 2:
        raise Errno(EINVAL)
    raw = bytearray(p.mem.copyin(addr, n))
    raw[0] = n
    return raw


def _copyout_name(p, sa, addr, alenp):
    """Copy a sockaddr out to (addr, *alenp): at most *alenp bytes; *alenp
    becomes the length stored."""
    if not addr:
        return                          # copyout_sockname: no name asked for
    if not alenp:
        raise Errno(EFAULT)
    alen = struct.unpack("<i", p.mem.copyin(alenp, 4))[0]
    if alen < 0:
        raise Errno(EINVAL)
    n = min(alen, len(sa))
    if n and addr:
        p.mem.copyout(addr, bytes(sa[:n]))
    p.mem.copyout(alenp, struct.pack("<i", n))


def _warn(p, what):
    key = "socket:" + what
    if key not in p.sys.warned:
        p.sys.warned.add(key)
        p.sys.stderr.write(f"kw86: {what} not implemented\n")
        p.sys.stderr.flush()


def _new(p, domain, stype, proto):
    """socreate(): the protocol checks, NetBSD's errors."""
    if domain not in (so.AF_LOCAL, so.AF_INET, so.AF_INET6):
        if 0 < domain < MAX_DOMAIN:
            _warn(p, f"socket domain {domain}")
        raise Errno(EAFNOSUPPORT)
    if domain == so.AF_LOCAL:
        if stype not in (so.SOCK_STREAM, so.SOCK_DGRAM, so.SOCK_SEQPACKET):
            raise Errno(EPROTOTYPE if proto == 0 else EPROTONOSUPPORT)
        if proto not in (0, so.AF_LOCAL):
            raise Errno(EPROTONOSUPPORT)
    else:
        want = {so.SOCK_STREAM: so.IPPROTO_TCP, so.SOCK_DGRAM: so.IPPROTO_UDP}.get(stype)
        if want is None and stype == so.SOCK_RAW:
            # rip_attach / rip6_attach: KAUTH_REQ_NETWORK_SOCKET_RAWSOCK,
            # the super-user only (kauth's deny is EPERM); any protocol
            # (the wildcard raw entry of inetsw), kept in the header's ip_p
            if p.cred.euid != 0:
                raise Errno(abi.EPERM)
            if not 0 <= proto <= 255:
                raise Errno(EPROTONOSUPPORT)
            return so.Socket(so.get_net(p.sys), domain, stype, proto, p.cred, p.pid,
                             p.sys.clock)
        if want is None:
            raise Errno(EPROTOTYPE if proto == 0 else EPROTONOSUPPORT)
        if proto not in (0, want):
            raise Errno(EPROTONOSUPPORT)
        proto = want
    return so.Socket(so.get_net(p.sys), domain, stype, proto, p.cred, p.pid, p.sys.clock)


def _flags(s, flags):
    if flags & so.SOCK_NONBLOCK:
        s.flags |= abi.NBSD_O_NONBLOCK
    s.fnosigpipe = bool(flags & so.SOCK_NOSIGPIPE)


def _install(p, s, cloexec):
    try:
        return p.fdt.alloc(s, cloexec=cloexec)
    except Errno:
        if s.refs == 0:
            s.close_final()
        raise


def _split_type(t):
    flags = t & so.SOCK_FLAGS_MASK
    if flags & ~(so.SOCK_CLOEXEC | so.SOCK_NONBLOCK | so.SOCK_NOSIGPIPE):
        raise Errno(EINVAL)
    return t & ~so.SOCK_FLAGS_MASK, flags


def sys___socket30(p, domain, stype, protocol):
    t, flags = _split_type(stype)
    s = _new(p, domain, t, protocol)
    _flags(s, flags)
    return _install(p, s, bool(flags & so.SOCK_CLOEXEC))


def sys_socket(p, domain, stype, protocol):
    """compat_30 socket: the same call without the SOCK_* flags."""
    return sys___socket30(p, domain, stype & ~so.SOCK_FLAGS_MASK, protocol)


def sys_socketpair(p, domain, stype, protocol, rsv):
    t, flags = _split_type(stype)
    a = _new(p, domain, t, protocol)
    if domain != so.AF_LOCAL:
        a.close_final()
        raise Errno(EOPNOTSUPP)         # soconnect2: only AF_LOCAL pairs
    b = _new(p, domain, t, protocol)
    for s in (a, b):
        _flags(s, flags)
        s.state = "connected"
    a.peer, b.peer = b, a
    if not a.stream:
        a.dgram_conns.append(b)
        b.dgram_conns.append(a)
    a.peereid = (p.pid, p.cred.euid, p.cred.egid)
    b.peereid = a.peereid
    ce = bool(flags & so.SOCK_CLOEXEC)
    fd0 = _install(p, a, ce)
    try:
        fd1 = _install(p, b, ce)
    except Errno:
        p.fdt.close(fd0)
        raise
    try:
        p.mem.copyout(rsv, struct.pack("<ii", fd0, fd1))
    except Exception:
        p.fdt.close(fd0)
        p.fdt.close(fd1)
        raise
    return 0


# -- names ------------------------------------------------------------------

def _unix_bind(p, s, raw):
    if s.uaddr is not None:
        raise Errno(EINVAL)
    path = so.unix_path(raw)
    stack, name, vp = p.sys.vfs.namei(p, path, False, parent=True)
    if vp is not None:
        raise Errno(abi.EADDRINUSE)
    dvp = stack[-1][1]
    access(dvp, p.cred, VWRITE)
    mksock = getattr(dvp, "mksock", None)
    if mksock is None:
        raise Errno(EOPNOTSUPP)         # a file system without socket nodes
    vp = mksock(name, 0o777 & ~p.umask, p.cred)
    s.uaddr = bytes(raw)
    s.ukey = so.vnode_key(vp)
    s.net.unix[s.ukey] = s


def sys_bind(p, fd, name, namelen):
    s = _sock(p, fd)
    raw = _sockargs(p, name, namelen)
    if s.domain == so.AF_LOCAL:
        return _unix_bind(p, s, raw)
    kind, ip, port = so.parse_inet(s.domain, raw, s.v6only)
    if s.lkind is not None:
        raise Errno(EINVAL)
    s.bind_inet(p.cred, kind, ip, port)
    return 0


def sys_listen(p, fd, backlog):
    s = _sock(p, fd)
    if not s.stream:
        raise Errno(EOPNOTSUPP)
    if s.state in ("connected", "connecting") or s.cantsend and s.state == "closed":
        raise Errno(EINVAL)
    if s.domain == so.AF_LOCAL:
        if s.uaddr is None:
            raise Errno(EINVAL)         # unp_listen: not bound
    elif s.lkind is None:
        s.autobind(p.cred, None)
    if backlog < 0 or backlog > so.SOMAXCONN:
        backlog = so.SOMAXCONN
    s.qlimit = backlog
    s.state = "listening"
    s.options |= so.SO_ACCEPTCONN
    s.admit()
    return 0


def _lookup_unix(p, s, raw):
    """unp_connect's lookup: the socket bound at the path."""
    path = so.unix_path(raw)
    vp = p.sys.vfs.lookup(p, path)
    if vp.type != abi.NBSD_S_IFSOCK:
        raise Errno(ENOTSOCK)
    access(vp, p.cred, VWRITE)
    s2 = s.net.unix.get(so.vnode_key(vp))
    if s2 is None or s2.closed:
        raise Errno(abi.ECONNREFUSED)
    if s2.type != s.type:
        raise Errno(EPROTOTYPE)
    return s2


def sys_connect(p, fd, name, namelen):
    s = _sock(p, fd)
    raw = _sockargs(p, name, namelen)
    if s.state == "listening":
        raise Errno(EOPNOTSUPP)
    if s.domain == so.AF_LOCAL:
        if s.stream and s.state == "connecting":
            me = (p.pid, getattr(p, "lid", 1))
            if me not in s.connwaiters:
                raise Errno(abi.EALREADY)
            s._wait(False)
        if s.stream and s.connwaiters:
            s.connwaiters.discard((p.pid, getattr(p, "lid", 1)))
            if s.state == "connected":
                return 0                # the restarted connect of LOCAL_CONNWAIT
            if s.error:
                raise Errno(s.take_error())
        if s.stream and s.state == "connected":
            raise Errno(abi.EISCONN)
        if s.stream and s.cantsend and s.state == "closed":
            raise Errno(EINVAL)
        s2 = _lookup_unix(p, s, raw)
        if not s.stream:
            if s.peer is not None and s in s.peer.dgram_conns:
                s.peer.dgram_conns.remove(s)
            s.peer = s2
            s.state = "connected"
            s2.dgram_conns.append(s)
            return 0
        if s2.state != "listening" or not s2.room():
            raise Errno(abi.ECONNREFUSED)
        s.cred = (p.pid,) + s.cred[1:]
        s2.establish(s)
        if s2.connwait:                 # LOCAL_CONNWAIT: connecting until accepted
            s.state = "connecting"
            if s.nonblock:
                raise Errno(abi.EINPROGRESS)
            s.connwaiters.add((p.pid, getattr(p, "lid", 1)))
            s._wait(False)
        return 0
    if not s.stream and raw[1] == so.AF_UNSPEC:
        s.rkind = None                  # a datagram socket forgets its peer
        s.state = "idle"
        return 0
    kind, ip, port = so.parse_inet(s.domain, raw, s.v6only)
    return s.connect_inet(p, kind, ip, port, s.nonblock)


def _sleep_mask(p, mask):
    """paccept's mask: the signal mask while it sleeps, as sigsuspend's
    (p.oldmask: the return, or the handler's context, restores the old one);
    a pending signal the mask lets through ends the call with EINTR."""
    new = abi.unpack_sigset(mask)
    new &= ~(abi.sigbit(abi.NBSD_SIGKILL) | abi.sigbit(abi.NBSD_SIGSTOP))
    if p.oldmask is None:
        p.oldmask = p.sigmask
    p.sigmask = new
    acts = p.sigacts
    lwp = getattr(p, "l", None)
    for sig in list(p.siglist) + list(getattr(lwp, "siglist", ())):
        if not new & abi.sigbit(sig) and \
                acts.get(sig, (abi.NBSD_SIG_DFL,))[0] != abi.NBSD_SIG_IGN:
            raise Errno(abi.EINTR)


def _accept(p, fd, name, anamelen, flags, clr_nonblock, mask=None):
    s = _sock(p, fd)
    if not s.stream:
        raise Errno(EOPNOTSUPP)
    if s.state != "listening":
        raise Errno(EINVAL)
    if not s.acceptq:
        if s.error:
            raise Errno(s.take_error())
        if mask is not None and not s.nonblock:
            _sleep_mask(p, mask)
        s._wait(s.nonblock)
    if mask is not None and p.oldmask is not None:
        p.sigmask, p.oldmask = p.oldmask, None  # the wait is over: the old mask is back
    if name:
        if not anamelen:
            raise Errno(EFAULT)
        p.mem.copyin(anamelen, 4)       # EFAULT before the connection is taken
    child = s.acceptq.popleft()
    child.listener = None
    s.admit()
    if child.domain != so.AF_LOCAL and child.state == "closed":
        child.close_final()             # soaccept, PR_ABRTACPTDIS: reset before accept
        raise Errno(abi.ECONNABORTED)
    peer = child.peer
    if peer is not None and peer.state == "connecting":
        peer.state = "connected"        # LOCAL_CONNWAIT: the connect completes now
        from kw86.nbsd.sched import wakeup
        wakeup(peer)
    if clr_nonblock:
        child.flags = abi.NBSD_O_NONBLOCK if flags & so.SOCK_NONBLOCK else 0
        child.fnosigpipe = bool(flags & so.SOCK_NOSIGPIPE)
    else:
        child.flags = s.flags & abi.NBSD_O_NONBLOCK
        child.fnosigpipe = getattr(s, "fnosigpipe", False)
    newfd = _install(p, child, bool(flags & so.SOCK_CLOEXEC))
    if child.domain == so.AF_LOCAL:
        peer = child.peeraddr or so.sun_noname()
    else:
        peer = so.pack_inet(child.domain, child.rkind, child.rip, child.rport)
    try:
        _copyout_name(p, peer, name, anamelen)
    except Exception:
        p.fdt.close(newfd)
        raise
    return newfd


def sys_accept(p, fd, name, anamelen):
    return _accept(p, fd, name, anamelen, 0, False)


def sys_paccept(p, fd, name, anamelen, mask, flags):
    if flags & ~(so.SOCK_CLOEXEC | so.SOCK_NONBLOCK | so.SOCK_NOSIGPIPE):
        raise Errno(EINVAL)
    m = p.mem.copyin(mask, 16) if mask else None
    return _accept(p, fd, name, anamelen, flags, True, m)


def sys_getsockname(p, fd, asa, alen):
    s = _sock(p, fd)
    _copyout_name(p, s.sockname(), asa, alen)
    return 0


def sys_getpeername(p, fd, asa, alen):
    s = _sock(p, fd)
    _copyout_name(p, s.peername(), asa, alen)
    return 0


def sys_shutdown(p, fd, how):
    _sock(p, fd).shutdown(how)
    return 0


# -- data -------------------------------------------------------------------

def _timed(p, s, timeo, key, fn):
    """Run fn; a sleep of a socket with a timeout is a timed sleep."""
    try:
        r = fn()
    except WouldBlock as e:
        if not timeo:
            raise
        rem = poll.sleep_start(p, key, timeo)
        if rem == 0:
            raise Errno(abi.EAGAIN) from None
        raise WouldBlock(poll.PollWait([e.chan], rem)) from None
    if timeo and p.timed_start is not None and p.timed_start[0] == key:
        poll.sleep_done(p)
    return r


def _sigpipe(p, s, flags):
    """EPIPE posts SIGPIPE unless MSG_NOSIGNAL, SO_NOSIGPIPE or SOCK_NOSIGPIPE."""
    if not flags & so.MSG_NOSIGNAL and not s.nosigpipe:
        p.post_signal(abi.NBSD_SIGPIPE)


def _gather(p, segs, start, want):
    out = []
    for base, n in segs:
        if start >= n:
            start -= n
            continue
        k = min(n - start, want)
        out.append(p.mem.copyin(base + start, k))
        want -= k
        start = 0
        if not want:
            break
    return b"".join(out)


def _scatter(p, segs, data):
    off = 0
    for base, n in segs:
        if off >= len(data):
            break
        k = min(n, len(data) - off)
        p.mem.copyout(base, data[off:off + k])
        off += k


def do_send(p, s, segs, dest, ctl, flags, key):
    """sosend of the iovec list segs: a stream moves everything (sleeping
    as needed, the count so far in p.wpartial); a datagram is one record."""
    total_n = sum(n for _, n in segs)
    if total_n > SSIZE_MAX:
        raise Errno(EINVAL)
    nonblock = s.nonblock or bool(flags & (so.MSG_DONTWAIT | so.MSG_NBIO))
    total = 0
    wp = p.wpartial
    if wp is not None:
        p.wpartial = None
        if wp[0] == key:
            total = wp[1]
    try:
        if s.records:
            if total_n > s.sndbuf:
                raise Errno(abi.EMSGSIZE)       # sosend: an atomic send past sb_hiwat
            data = _gather(p, segs, 0, total_n)
            return _timed(p, s, s.sndtimeo, key,
                          lambda: s.send(p, data, dest, ctl, flags, nonblock))
        while True:
            # copy in no more than can go now (a full buffer: one byte, to learn so)
            want = min(CHUNK, total_n - total, max(1, s.write_space()))
            data = _gather(p, segs, total, want)
            c = ctl if total == 0 else None
            try:
                k = _timed(p, s, s.sndtimeo, key,
                           lambda: s.send(p, data, dest, c, flags, nonblock))
            except WouldBlock:
                if total:
                    p.wpartial = (key, total)
                raise
            except Errno as e:
                if total and e.errno == abi.EAGAIN:
                    break
                raise
            total += k
            if total >= total_n:
                break
    except Errno as e:
        if e.errno == EPIPE:
            _sigpipe(p, s, flags)
        raise
    return total


def do_recv(p, s, segs, flags, key, want_from):
    """soreceive into the iovec list segs -> (count, control, msg flags, from)."""
    n = sum(ln for _, ln in segs)
    if n > SSIZE_MAX:
        raise Errno(EINVAL)
    nonblock = s.nonblock or bool(flags & (so.MSG_DONTWAIT | so.MSG_NBIO))
    waitall = bool(flags & so.MSG_WAITALL) and not s.records and not flags & so.MSG_PEEK
    total = 0
    wp = p.wpartial
    if wp is not None:
        p.wpartial = None
        if wp[0] == key:
            total = wp[1]
    ctl = frm = None
    mflags = 0
    while True:
        try:
            data, c, mf, fr = _timed(p, s, s.rcvtimeo, key,
                                     lambda: s.receive(p, n - total, flags, nonblock,
                                                       want_from))
        except WouldBlock:
            if total:
                p.wpartial = (key, total)
            raise
        except Errno as e:
            if total and e.errno in (abi.EAGAIN, abi.EINTR):
                break
            raise
        if data:
            _scatter_at(p, segs, total, data)
            total += len(data)
        if c:
            ctl = (ctl or []) + c
        mflags |= mf
        if fr is not None and frm is None:
            frm = fr
        if not waitall or not data or total >= n or c:
            break
    return total, ctl, mflags, frm


def _scatter_at(p, segs, start, data):
    off = 0
    for base, ln in segs:
        if start >= ln:
            start -= ln
            continue
        k = min(ln - start, len(data) - off)
        p.mem.copyout(base + start, data[off:off + k])
        off += k
        start = 0
        if off >= len(data):
            break


def _dest(p, s, to, tolen):
    if not to:
        return None
    raw = _sockargs(p, to, tolen)
    if s.domain == so.AF_LOCAL:
        if s.stream:
            return None                 # a connected stream ignores it
        return _lookup_unix(p, s, raw)
    if s.stream:
        return None
    return so.parse_inet(s.domain, raw, s.v6only)


def sys_sendto(p, fd, buf, length, flags, to, tolen):
    s = _sock(p, fd)
    dest = _dest(p, s, to, tolen)
    return do_send(p, s, [(buf, length)] if length else [], dest, None, flags,
                   ("sendto", fd, buf, length, flags))


def sys_recvfrom(p, fd, buf, length, flags, frm, fromlenaddr):
    s = _sock(p, fd)
    n, ctl, _mf, sa = do_recv(p, s, [(buf, length)] if length else [], flags,
                              ("recvfrom", fd, buf, length, flags), bool(frm))
    if ctl:
        _discard(ctl, s)
    if frm and fromlenaddr:
        _copyout_name(p, sa if sa is not None else b"", frm, fromlenaddr)
    return n


def _internalize(p, s, control, clen):
    """The sender's control messages -> [("rights", [files])]."""
    if not clen:
        return None
    if clen < 12 or clen > 0x10000:
        raise Errno(EINVAL)
    raw = p.mem.copyin(control, clen)
    out = []
    off = 0
    while off + 12 <= clen:
        ln, level, typ = so._CMSGHDR.unpack_from(raw, off)
        if ln < 12 or off + ln > clen:
            raise Errno(EINVAL)
        if s.domain != so.AF_LOCAL or level != so.SOL_SOCKET or typ != so.SCM_RIGHTS:
            raise Errno(EINVAL)
        nfd = (ln - 12) // 4
        fds = struct.unpack_from(f"<{nfd}i", raw, off + 12)
        files = [p.fdt.get(fd) for fd in fds]          # EBADF
        if s.net.inflight + so.nfiles(out) + len(files) > so.MAXFILES:
            so.collect(s.net)
            if s.net.inflight + so.nfiles(out) + len(files) > so.MAXFILES:
                raise Errno(abi.ETOOMANYREFS)   # kern.maxfiles bounds the files in flight
        out.append(("rights", files))
        off += so.cmsg_align(ln)
    return out or None


def _discard(ctl, s):
    so._drop_ctl(ctl, s.net)


def _externalize(p, s, ctl, control, clen, flags):
    """Received control -> cmsghdrs in (control, clen); -> (bytes used, CTRUNC)."""
    out = bytearray()
    trunc = False
    for kind, val in ctl:
        if kind == "rights":
            room = clen - len(out) - 12
            fit = max(0, min(len(val), room // 4)) if room >= 0 else 0
            fds = []
            s.net.inflight -= len(val)
            for i, f in enumerate(val):
                if i < fit:
                    try:
                        fds.append(p.fdt.alloc(f, cloexec=bool(flags & so.MSG_CMSG_CLOEXEC)))
                    except Errno:
                        trunc = True
                so.release([f])         # the in-flight reference
            if len(fds) < len(val):
                trunc = True
            if room < 0:
                continue
            body = struct.pack(f"<{len(fds)}i", *fds)
            typ = so.SCM_RIGHTS
        else:
            if kind == "timestamp":     # struct timeval: time_t (64-bit), suseconds_t
                body = _TV.pack(val // 10**9, val % 10**9 // 1000)
                typ = so.SCM_TIMESTAMP
            else:                       # creds
                body = so.pack_sockcred(val)
                typ = so.SCM_CREDS
            if clen - len(out) < 12 + len(body):
                trunc = True
                continue
        rec = so._CMSGHDR.pack(12 + len(body), so.SOL_SOCKET, typ) + body
        out += rec
        pad = so.cmsg_align(len(rec)) - len(rec)
        if len(out) + pad <= clen:
            out += bytes(pad)
    if out:
        p.mem.copyout(control, bytes(out))
    return len(out), trunc


def sys_sendmsg(p, fd, msg, flags):
    s = _sock(p, fd)
    name, namelen, iov, iovlen, control, clen, _f = _MSGHDR.unpack(p.mem.copyin(msg, 28))
    segs = [(b, n) for b, n in _iovecs(p, iov, iovlen) if n]
    dest = _dest(p, s, name, namelen) if name else None
    key = ("sendmsg", fd, msg, flags)
    wp = p.wpartial
    ctl = None if wp is not None and wp[0] == key and wp[1] else _internalize(p, s, control, clen)
    return do_send(p, s, segs, dest, ctl, flags, key)


def sys_recvmsg(p, fd, msg, flags):
    s = _sock(p, fd)
    name, namelen, iov, iovlen, control, clen, _f = _MSGHDR.unpack(p.mem.copyin(msg, 28))
    if namelen & 0x80000000 or clen & 0x80000000:
        raise Errno(EINVAL)
    segs = [(b, n) for b, n in _iovecs(p, iov, iovlen) if n]
    n, ctl, mflags, frm = do_recv(p, s, segs, flags, ("recvmsg", fd, msg, flags), bool(name))
    used = 0
    if ctl:
        if control and clen:
            used, trunc = _externalize(p, s, ctl, control, clen, flags)
            if trunc:
                mflags |= so.MSG_CTRUNC
        else:
            _discard(ctl, s)
            mflags |= so.MSG_CTRUNC
    outname = 0
    if name:
        sa = frm if frm is not None else b""
        outname = min(namelen, len(sa))
        if outname:
            p.mem.copyout(name, bytes(sa[:outname]))
    p.mem.copyout(msg + 4, struct.pack("<I", outname))
    p.mem.copyout(msg + 20, struct.pack("<Ii", used, mflags))
    return n


# -- options ----------------------------------------------------------------

def _int_arg(p, val, size):
    """sockopt_getint: exactly an int (sockopt_get wants the right size)."""
    if size != 4:
        raise Errno(EINVAL)
    return struct.unpack("<i", p.mem.copyin(val, 4))[0]


_TV = struct.Struct("<qi")             # struct timeval: time_t (64-bit), suseconds_t
HZ = 100                                # NetBSD/i386's clock: socket timeouts are in ticks
TICK_US = 1_000_000 // HZ
INT_MAX = 0x7fffffff


def sys_setsockopt(p, fd, level, name, val, valsize):
    s = _sock(p, fd)
    if valsize < 0:
        raise Errno(EINVAL)
    if level == so.SOL_SOCKET:
        if name in so.BOOL_OPTS:
            if _int_arg(p, val, valsize):
                s.options |= name
            else:
                s.options &= ~name
            return 0
        if name == so.SO_LINGER:
            if valsize != 8:
                raise Errno(EINVAL)
            on, secs = struct.unpack("<ii", p.mem.copyin(val, 8))
            if secs < 0 or secs > 0xffff or secs > INT_MAX // HZ:
                raise Errno(abi.EDOM)
            s.linger = (1 if on else 0, secs)
            if on:
                s.options |= so.SO_LINGER
            else:
                s.options &= ~so.SO_LINGER
            return 0
        if name in (so.SO_SNDBUF, so.SO_RCVBUF, so.SO_SNDLOWAT, so.SO_RCVLOWAT):
            v = _int_arg(p, val, valsize)
            if v < 1:
                raise Errno(EINVAL)
            if name in (so.SO_SNDBUF, so.SO_RCVBUF):
                if v > so.SB_MAX:
                    raise Errno(abi.ENOBUFS)
                if name == so.SO_SNDBUF:
                    s.sndbuf = v
                else:
                    s.rcvbuf = v
            elif name == so.SO_SNDLOWAT:
                s.sndlowat = min(v, s.sndbuf)
            else:
                s.rcvlowat = min(v, s.rcvbuf)
            from kw86.nbsd.sched import wakeup
            wakeup(s)
            return 0
        if name in (so.SO_SNDTIMEO, so.SO_RCVTIMEO):
            if valsize != _TV.size:
                raise Errno(EINVAL)
            sec, usec = _TV.unpack(p.mem.copyin(val, _TV.size))
            if sec < 0 or usec < 0 or sec > (INT_MAX - usec // TICK_US) // HZ:
                raise Errno(abi.EDOM)
            ticks = sec * HZ + usec // TICK_US      # kept in clock ticks, as sb_timeo
            if ticks == 0 and usec:
                ticks = 1
            ns = ticks * (10**9 // HZ)
            if name == so.SO_SNDTIMEO:
                s.sndtimeo = ns
            else:
                s.rcvtimeo = ns
            return 0
        if name in (so.SO_ERROR, so.SO_TYPE, so.SO_ACCEPTCONN):
            raise Errno(ENOPROTOOPT)
        raise Errno(ENOPROTOOPT)
    if s.domain == so.AF_LOCAL:
        if level != so.SOL_LOCAL:
            raise Errno(ENOPROTOOPT)
        if name == so.LOCAL_CREDS:
            s.localcreds = bool(_int_arg(p, val, valsize))
            return 0
        if name == so.LOCAL_CONNWAIT:
            s.connwait = bool(_int_arg(p, val, valsize))
            return 0
        raise Errno(ENOPROTOOPT)
    if level == so.IPPROTO_TCP:
        if not s.stream:
            raise Errno(ENOPROTOOPT)
        if name in s.tcpopts:
            v = _int_arg(p, val, valsize)
            if name != so.TCP_NODELAY and v <= 0:
                raise Errno(EINVAL)
            s.tcpopts[name] = 1 if name == so.TCP_NODELAY and v else v
            return 0
        if name == so.TCP_MAXSEG:
            v = _int_arg(p, val, valsize)
            if v <= 0 or v > so.LOOP_MSS:
                raise Errno(EINVAL)
            s.tcpopts[so.TCP_MAXSEG] = v
            return 0
        raise Errno(ENOPROTOOPT)
    if level == so.IPPROTO_IP and s.domain == so.AF_INET:
        if name in (so.IP_TOS, so.IP_TTL):
            v = _int_arg(p, val, valsize)
            if not 0 <= v <= 255:
                raise Errno(EINVAL)
            s.ipopts[name] = v
            return 0
        raise Errno(ENOPROTOOPT)
    if level == so.IPPROTO_IPV6 and s.domain == so.AF_INET6:
        if name == so.IPV6_V6ONLY:
            v = _int_arg(p, val, valsize)
            if s.lkind is not None:
                raise Errno(EINVAL)     # not after bind
            s.v6only = bool(v)
            return 0
        if name == so.IPV6_UNICAST_HOPS:
            v = _int_arg(p, val, valsize)
            if not -1 <= v <= 255:
                raise Errno(EINVAL)
            s.ipopts[so.IPV6_UNICAST_HOPS] = v
            return 0
        raise Errno(ENOPROTOOPT)
    raise Errno(ENOPROTOOPT)


def _getval(s, level, name):
    if level == so.SOL_SOCKET:
        if name in so.BOOL_OPTS or name == so.SO_ACCEPTCONN:
            return struct.pack("<i", 1 if s.options & name else 0)
        if name == so.SO_LINGER:
            return struct.pack("<ii", s.linger[0], s.linger[1])
        if name == so.SO_TYPE:
            return struct.pack("<i", s.type)
        if name == so.SO_ERROR:
            return struct.pack("<i", s.take_error())
        if name == so.SO_SNDBUF:
            return struct.pack("<i", s.sndbuf)
        if name == so.SO_RCVBUF:
            return struct.pack("<i", s.rcvbuf)
        if name == so.SO_SNDLOWAT:
            return struct.pack("<i", s.sndlowat)
        if name == so.SO_RCVLOWAT:
            return struct.pack("<i", s.rcvlowat)
        if name == so.SO_OVERFLOWED:
            return struct.pack("<i", s.overflowed)
        if name in (so.SO_SNDTIMEO, so.SO_RCVTIMEO):
            ns = s.sndtimeo if name == so.SO_SNDTIMEO else s.rcvtimeo
            return _TV.pack(ns // 10**9, ns % 10**9 // 1000)
        raise Errno(ENOPROTOOPT)
    if s.domain == so.AF_LOCAL:
        if level != so.SOL_LOCAL:
            raise Errno(ENOPROTOOPT)
        if name == so.LOCAL_CREDS:
            return struct.pack("<i", int(s.localcreds))
        if name == so.LOCAL_CONNWAIT:
            return struct.pack("<i", int(s.connwait))
        if name == so.LOCAL_PEEREID:
            if s.peereid is None or not s.stream:
                raise Errno(abi.ENOTCONN)
            return struct.pack("<iII", *s.peereid)
        raise Errno(ENOPROTOOPT)
    if level == so.IPPROTO_TCP:
        if not s.stream:
            raise Errno(ENOPROTOOPT)
        if name in s.tcpopts:
            return struct.pack("<i", s.tcpopts[name])
        if name == so.TCP_MAXSEG:
            return struct.pack("<i", so.LOOP_MSS if s.state == "connected" else 536)
        raise Errno(ENOPROTOOPT)
    if level == so.IPPROTO_IP and s.domain == so.AF_INET and name in (so.IP_TOS, so.IP_TTL):
        return struct.pack("<i", s.ipopts[name])
    if level == so.IPPROTO_IPV6 and s.domain == so.AF_INET6:
        if name == so.IPV6_V6ONLY:
            return struct.pack("<i", int(s.v6only))
        if name == so.IPV6_UNICAST_HOPS:
            v = s.ipopts[so.IPV6_UNICAST_HOPS]
            return struct.pack("<i", 64 if v == -1 else v)
    raise Errno(ENOPROTOOPT)


def sys_getsockopt(p, fd, level, name, val, avalsize):
    s = _sock(p, fd)
    if not avalsize:
        raise Errno(EFAULT)
    size = struct.unpack("<i", p.mem.copyin(avalsize, 4))[0]
    if size < 0:
        raise Errno(EINVAL)
    data = _getval(s, level, name)
    n = min(size, len(data))
    if n:
        p.mem.copyout(val, data[:n])
    p.mem.copyout(avalsize, struct.pack("<i", n))
    return 0



# -- sendmmsg / recvmmsg ------------------------------------------------------

MSG_WAITFORONE = 0x2000
_MMSG = 32                              # struct mmsghdr: a msghdr, then unsigned msg_len


def sys_sendmmsg(p, fd, mmsg, vlen, flags):
    """Each mmsghdr is a sendmsg; -> how many went (an error after the first
    is kept for the next call, as NetBSD's so_error)."""
    s = _sock(p, fd)
    vlen = min(vlen, 1024)              # UIO_MAXIOV
    sent = 0
    key = ("sendmmsg", fd, mmsg, vlen, flags)
    wp = p.wpartial
    if wp is not None and wp[0] == key:
        sent, p.wpartial = wp[1], wp[2]         # the messages sent, the one in progress
    for i in range(sent, vlen):
        m = mmsg + _MMSG * i
        try:
            n = sys_sendmsg(p, fd, m, flags)
        except WouldBlock:
            p.wpartial = (key, sent, p.wpartial)  # (a signal returns the count sent)
            raise
        except Errno as e:
            if sent and e.errno != abi.EFAULT:
                if e.errno != abi.EAGAIN:
                    s.error = e.errno
                break
            raise
        p.mem.copyout(m + 28, struct.pack("<I", n))
        sent += 1
    return sent


def sys_recvmmsg(p, fd, mmsg, vlen, flags, timeout):
    """Each mmsghdr is a recvmsg; MSG_WAITFORONE: only the first may wait;
    the timeout is looked at after each message received (as NetBSD's)."""
    s = _sock(p, fd)
    vlen = min(vlen, 1024)
    key = ("recvmmsg", fd, mmsg, vlen, flags, timeout)
    got, deadline = 0, None
    wp = p.wpartial
    if wp is not None and wp[0] == key:
        got, p.wpartial, deadline = wp[1], wp[2], wp[3]
    if timeout and deadline is None:
        sec, nsec = abi.unpack_timespec(p.mem.copyin(timeout, 12))
        if sec < 0 or not 0 <= nsec < 10**9:
            raise Errno(EINVAL)
        deadline = p.sys.clock() + sec * 10**9 + nsec
    for i in range(got, vlen):
        f = flags & ~MSG_WAITFORONE
        if got and flags & MSG_WAITFORONE:
            f |= so.MSG_DONTWAIT
        try:
            n = sys_recvmsg(p, fd, mmsg + _MMSG * i, f)
        except WouldBlock:
            p.wpartial = (key, got, p.wpartial, deadline)
            raise
        except Errno as e:
            if got and e.errno != abi.EFAULT:
                if e.errno != abi.EAGAIN:
                    s.error = e.errno
                break
            raise
        p.mem.copyout(mmsg + _MMSG * i + 28, struct.pack("<I", n))
        got += 1
        if deadline is not None and p.sys.clock() >= deadline:
            break
    return got


def sock_readv(p, fd, s, iovp, iovcnt):
    """readv(2) of a socket is one receive into the whole vector (a datagram
    is not split across calls)."""
    segs = [(b, n) for b, n in _iovecs(p, iovp, iovcnt) if n]
    n, ctl, _mf, _frm = do_recv(p, s, segs, 0, ("readv", fd, iovp, iovcnt), False)
    if ctl:
        _discard(ctl, s)
    return n
