"""Sockets inside the guest: AF_LOCAL and the guest's own loopback.

Everything stays in the kernel: no host socket is ever opened.  AF_LOCAL
(AF_UNIX) stream and datagram sockets bind to socket vnodes (S_IFSOCK) in
the guest file system; AF_INET and AF_INET6 sockets reach only the guest's
own loopback (127.0.0.0/8, ::1), with TCP-like streams (listen queue,
connection establishment, FIN/RST) and UDP-like datagrams.  Numbers and
layouts are NetBSD 10's (sys/socket.h, sys/un.h, netinet/in.h,
netinet/tcp.h, netinet6/in6.h); the behaviours are those of NetBSD's
sosend/soreceive/in_pcbbind/unp_connect as documented, written here anew.

A socket is an open file (Socket is a File): one per socket(2)/accept(2),
shared by dup and fork.  It is its own wait channel: whatever may change
its readiness (data queued, space freed at the peer, a connection queued or
completed, the peer gone) calls sched.wakeup(sock).  Like a pipe it offers
poll(events), readable_bytes() and, for kqueue, eof() / write_eof() and
write_space().
"""
import struct
from collections import deque

from kw86.nbsd import abi
from kw86.nbsd.abi import (EADDRINUSE, EADDRNOTAVAIL, EAFNOSUPPORT, EAGAIN, EALREADY,
                           ECONNREFUSED, ECONNRESET, EDESTADDRREQ, EINVAL, EISCONN,
                           EMSGSIZE, ENETUNREACH, ENOBUFS, ENOPROTOOPT, ENOTCONN,
                           EOPNOTSUPP, EPIPE, EPROTOTYPE, FREAD, FWRITE)
from kw86.nbsd.errors import Errno, WouldBlock
from kw86.nbsd.file import File, uncharge
from kw86.nbsd.sched import wakeup
from kw86.nbsd.vfs import vnode_key  # noqa: F401  (syscalls/socket.py: so.vnode_key)

# -- sys/socket.h ------------------------------------------------------------
AF_UNSPEC, AF_LOCAL, AF_INET, AF_INET6 = 0, 1, 2, 24
SOCK_STREAM, SOCK_DGRAM, SOCK_RAW, SOCK_RDM, SOCK_SEQPACKET = 1, 2, 3, 4, 5
SOCK_CLOEXEC, SOCK_NONBLOCK, SOCK_NOSIGPIPE = 0x10000000, 0x20000000, 0x40000000
SOCK_CLOFORK = 0x80000000
SOCK_FLAGS_MASK = 0xf0000000
SOL_SOCKET = 0xffff
SO_DEBUG, SO_ACCEPTCONN, SO_REUSEADDR, SO_KEEPALIVE = 0x1, 0x2, 0x4, 0x8
SO_DONTROUTE, SO_BROADCAST, SO_USELOOPBACK, SO_LINGER = 0x10, 0x20, 0x40, 0x80
SO_OOBINLINE, SO_REUSEPORT, SO_NOSIGPIPE, SO_TIMESTAMP = 0x100, 0x200, 0x800, 0x2000
SO_RERROR = 0x4000
SO_SNDBUF, SO_RCVBUF, SO_SNDLOWAT, SO_RCVLOWAT = 0x1001, 0x1002, 0x1003, 0x1004
SO_ERROR, SO_TYPE, SO_OVERFLOWED, SO_NOHEADER = 0x1007, 0x1008, 0x1009, 0x100a
SO_SNDTIMEO, SO_RCVTIMEO = 0x100b, 0x100c
BOOL_OPTS = (SO_DEBUG, SO_REUSEADDR, SO_KEEPALIVE, SO_DONTROUTE, SO_BROADCAST,
             SO_USELOOPBACK, SO_OOBINLINE, SO_REUSEPORT, SO_NOSIGPIPE, SO_TIMESTAMP,
             SO_RERROR)
MSG_OOB, MSG_PEEK, MSG_DONTROUTE, MSG_EOR = 0x1, 0x2, 0x4, 0x8
MSG_TRUNC, MSG_CTRUNC, MSG_WAITALL, MSG_DONTWAIT = 0x10, 0x20, 0x40, 0x80
MSG_NOSIGNAL, MSG_CMSG_CLOEXEC, MSG_NBIO = 0x400, 0x800, 0x1000
SCM_RIGHTS, SCM_TIMESTAMP, SCM_CREDS = 0x01, 0x08, 0x10
SHUT_RD, SHUT_WR, SHUT_RDWR = 0, 1, 2
SOMAXCONN = 128
SB_MAX = 256 * 1024                    # kern.sbmax
# sys/un.h
SOL_LOCAL = 0
LOCAL_CONNWAIT, LOCAL_PEEREID, LOCAL_CREDS = 0x2, 0x3, 0x4
SUN_PATH_OFF = 2
# netinet/in.h, netinet/tcp.h, netinet6/in6.h
IPPROTO_IP, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_IPV6 = 0, 6, 17, 41
IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_RAW = 1, 58, 255
ICMP_ECHOREPLY, ICMP_ECHO = 0, 8        # netinet/ip_icmp.h
ICMP6_ECHO_REQUEST, ICMP6_ECHO_REPLY = 128, 129     # netinet/icmp6.h
IP_TOS, IP_TTL = 3, 4
TCP_NODELAY, TCP_MAXSEG, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT, TCP_KEEPINIT = 1, 2, 3, 5, 6, 7
IPV6_UNICAST_HOPS, IPV6_V6ONLY = 4, 27
IPPORT_RESERVED, IPPORT_ANONMIN, IPPORT_ANONMAX = 1024, 49152, 65535
# sys/filio.h
FIONREAD = abi._ioc(abi.IOC_OUT, 'f', 127, 4)
FIONBIO = abi._ioc(abi.IOC_IN, 'f', 126, 4)
FIONWRITE = abi._ioc(abi.IOC_OUT, 'f', 121, 4)
FIONSPACE = abi._ioc(abi.IOC_OUT, 'f', 120, 4)
# poll.h
POLLIN, POLLPRI, POLLOUT, POLLRDNORM, POLLWRNORM = 0x1, 0x2, 0x4, 0x40, 0x4

# Buffer sizes NetBSD starts with (net.inet.tcp.sendspace/recvspace,
# net.inet.udp.*, net.local.stream.* / dgram.*) and the send low-water mark.
SPACE = {("tcp", "snd"): 32768, ("tcp", "rcv"): 32768,
         ("udp", "snd"): 9216, ("udp", "rcv"): 41600,
         ("ustream", "snd"): 8192, ("ustream", "rcv"): 8192,
         ("udgram", "snd"): 2048, ("udgram", "rcv"): 16384,
         ("raw", "snd"): 8192, ("raw", "rcv"): 8192}     # rip_sendspace/recvspace
SNDLOWAT = 2048
MAXFILES = 3404                         # kern.maxfiles: sockets alive, files in flight
MSIZE = 256                             # an mbuf: what each queued record costs at least
MBUF_MAX = 64 << 20                     # all socket buffers of the machine together
LOOP_MSS = 33184 - 40                  # lo0's MTU less the TCP/IP headers

ANY4, LOOP4 = bytes(4), bytes((127, 0, 0, 1))
ANY6, LOOP6 = bytes(16), bytes(15) + b"\1"
MAPPED = bytes(10) + b"\xff\xff"

_CMSGHDR = struct.Struct("<Iii")        # cmsg_len, cmsg_level, cmsg_type


def cmsg_align(n):
    return (n + 3) & ~3                 # i386 __ALIGNBYTES = sizeof(int) - 1


# -- the namespace: port tables and AF_LOCAL bindings ------------------------

class Net:
    """Per machine: bound inet sockets by (protocol, port), AF_LOCAL
    sockets by the key of their vnode, and the ephemeral port cursor."""

    def __init__(self):
        self.ports = {}                 # (proto, port) -> [Socket]
        self.unix = {}                  # vnode key -> Socket
        self.lastport = {"tcp": IPPORT_ANONMAX + 1, "udp": IPPORT_ANONMAX + 1}
        self.ino = 0
        self.live = 0                   # sockets not yet closed
        self.sockets = set()            # those sockets (for the in-flight collector)
        self.suspects = 0               # closes since the collector last ran
        self.mem = 0                    # bytes the receive queues take (data, control, mbufs)
        self.inflight = 0               # file references inside SCM_RIGHTS messages
        self.raw = []                   # SOCK_RAW inet sockets (rip_input's list)
        self.ip_id = 0                  # the IPv4 header's ip_id counter

    def next_ino(self):
        self.ino += 1
        return self.ino


def get_net(sysm):
    net = getattr(sysm, "net", None)
    if net is None:
        net = sysm.net = Net()
    return net




# -- socket addresses --------------------------------------------------------

def parse_inet(domain, raw, v6only=True):
    """A sockaddr a caller gave an inet socket -> (kind, ip, port); kind '4'
    for IPv4 traffic (an AF_INET address, or a v4-mapped one on a v6 socket)."""
    if len(raw) < 2:
        raise Errno(EINVAL)
    fam = raw[1]
    if domain == AF_INET:
        if fam != AF_INET:
            raise Errno(EAFNOSUPPORT)
        if len(raw) < 16:
            raise Errno(EINVAL)
        return "4", bytes(raw[4:8]), int.from_bytes(raw[2:4], "big")
    if fam != AF_INET6:
        raise Errno(EAFNOSUPPORT)
    if len(raw) < 28:
        raise Errno(EINVAL)
    ip = bytes(raw[8:24])
    port = int.from_bytes(raw[2:4], "big")
    if ip.startswith(MAPPED):
        if v6only:
            raise Errno(EINVAL)         # in6_pcbbind/connect: mapped on a v6-only socket
        return "4", ip[12:], port
    return "6", ip, port


def pack_inet(domain, kind, ip, port):
    if domain == AF_INET:
        return struct.pack("<BB", 16, AF_INET) + port.to_bytes(2, "big") + ip + bytes(8)
    if kind == "4":
        ip = MAPPED + ip
    return struct.pack("<BB", 28, AF_INET6) + port.to_bytes(2, "big") + bytes(4) + ip + bytes(4)


def sun_noname():
    return bytes((SUN_PATH_OFF, AF_LOCAL))


def unix_path(raw):
    """The path of a sockaddr_un (up to its first NUL)."""
    if len(raw) <= SUN_PATH_OFF or raw[1] != AF_LOCAL:
        raise Errno(EINVAL if len(raw) <= SUN_PATH_OFF else EAFNOSUPPORT)
    path = bytes(raw[SUN_PATH_OFF:]).split(b"\0", 1)[0]
    if not path:
        raise Errno(abi.ENOENT)
    return path


def local_dest(kind, ip):
    """Where a packet to (kind, ip) goes: the loopback, or ENETUNREACH."""
    if kind == "4":
        if ip == ANY4:
            return LOOP4                # INADDR_ANY means this host
        if ip[0] == 127:
            return ip
        raise Errno(ENETUNREACH)
    if ip in (ANY6, LOOP6):
        return LOOP6
    raise Errno(ENETUNREACH)


def _cover(s):
    """The (kind, ip) pairs a bound inet socket receives for."""
    if s.domain == AF_INET:
        return [("4", s.lip)]
    if s.lkind == "4":
        return [("4", s.lip)]
    out = [("6", s.lip)]
    if s.lip == ANY6 and not s.v6only:
        out.append(("4", ANY4))
    return out


def _accepts(s, kind, ip):
    """0: no; 1: s is bound to a wildcard that covers ip; 2: bound to ip."""
    best = 0
    for k, a in _cover(s):
        if k != kind:
            continue
        if a == ip:
            return 2
        if a in (ANY4, ANY6):
            best = 1
    return best


# -- the socket --------------------------------------------------------------

class Socket(File):
    kind = "socket"

    def __init__(self, net, domain, stype, proto, cred, pid=0, clock=None):
        if net.live >= MAXFILES:
            collect(net)                # garbage in flight first
            if net.live >= MAXFILES:
                raise Errno(abi.ENFILE)     # kern.maxfiles: the file table is full
        net.live += 1
        net.sockets.add(self)
        self._live = True
        super().__init__(FREAD | FWRITE, 0)
        self.net = net
        self.domain, self.type, self.proto = domain, stype, proto
        self.uid, self.gid = cred.euid, cred.egid
        self.cred = (pid, cred.ruid, cred.euid, cred.rgid, cred.egid, tuple(cred.groups))
        self.ino = net.next_ino()
        self.clock = clock
        t = int(clock()) if clock else 0
        self.ctime = t
        self.pname = ("udp" if stype == SOCK_DGRAM else "raw" if stype == SOCK_RAW else "tcp") \
            if domain != AF_LOCAL else ("udgram" if stype == SOCK_DGRAM else "ustream")
        self.stream = stype in (SOCK_STREAM, SOCK_SEQPACKET)   # connection-oriented
        self.records = stype in (SOCK_DGRAM, SOCK_SEQPACKET, SOCK_RAW)   # a queue of records
        if stype == SOCK_RAW:
            net.raw = [r for r in net.raw if not r.closed]
            net.raw.append(self)
        self.options = 0                # SO_* boolean bits
        self.linger = (0, 0)
        self.sndbuf = SPACE[(self.pname, "snd")]
        self.rcvbuf = SPACE[(self.pname, "rcv")]
        self.sndlowat, self.rcvlowat = SNDLOWAT, 1
        self.sndtimeo = self.rcvtimeo = 0           # ns, 0 = none
        self.error = 0                  # so_error
        self.state = "idle"             # idle, listening, connecting, connected, closed
        self.cantsend = self.cantrcv = False
        self.peer = None                # the other end (stream), the default peer (dgram)
        self.rq = deque()               # received: stream [data, ctl]; dgram (data, from, ctl)
        self.rq_bytes = 0
        self.rq_ctl = 0                 # bytes of control messages queued (sb_cc counts them)
        self.overflowed = 0             # datagrams dropped for want of room
        self.acceptq = deque()          # listening: established, not yet accepted
        self.synq = []                  # listening: connectors waiting for room
        self.qlimit = 0
        self.listener = None            # an established socket not yet accepted: its listener
        self.connecting_to = None       # a connector waiting for room in this listener
        self.connwaiters = set()        # (pid, lid) of blocking connects asleep on it
        self.closed = False
        # inet
        self.lkind, self.lip, self.lport = None, None, 0
        self.rkind, self.rip, self.rport = None, None, 0
        self.v6only = True              # net.inet6.ip6.v6only = 1
        self.ipopts = {IP_TOS: 0, IP_TTL: 64, IPV6_UNICAST_HOPS: -1}
        self.tcpopts = {TCP_NODELAY: 0, TCP_KEEPIDLE: 7200, TCP_KEEPINTVL: 75,
                        TCP_KEEPCNT: 8, TCP_KEEPINIT: 75}
        # AF_LOCAL
        self.uaddr = None               # the sockaddr it was bound with
        self.ukey = None                # the key of its vnode
        self.peeraddr = None            # AF_LOCAL stream: the peer's sockaddr
        self.localcreds = False         # LOCAL_CREDS
        self.connwait = False           # LOCAL_CONNWAIT
        self.peereid = None             # (pid, euid, egid) of the peer at connect
        self.dgram_conns = []           # AF_LOCAL dgram: sockets connected to this one

    def __repr__(self):
        return f"<Socket {self.domain}/{self.type} {self.state} {self.rq_bytes}B>"

    # -- File interface ---------------------------------------------------
    @property
    def nosigpipe(self):
        return bool(self.options & SO_NOSIGPIPE) or bool(getattr(self, "fnosigpipe", False))

    def stat(self):
        """soo_stat: S_IFSOCK and nothing else for inet sockets; AF_LOCAL's
        uipc_stat adds an inode number, NODEV, the creation time and, as
        st_blksize, the send buffer (a stream: plus what its peer holds)."""
        if self.domain != AF_LOCAL:
            return abi.Attr(mode=abi.NBSD_S_IFSOCK, nlink=0, blksize=0)
        blk = self.sndbuf
        if self.stream and self.peer is not None:
            blk += self.peer.rq_bytes
        return abi.Attr(mode=abi.NBSD_S_IFSOCK, ino=self.ino, nlink=0, blksize=blk,
                        atime=self.ctime, mtime=self.ctime, ctime=self.ctime,
                        birthtime=self.ctime, dev=(1 << 64) - 1)

    def read(self, p, n):
        data, _ctl, _flags, _from = self.receive(p, n, 0, nonblock=self.nonblock)
        return data

    def write(self, p, data):
        return self.send(p, data, None, None, 0, nonblock=self.nonblock)

    def ioctl(self, p, cmd, data):
        if cmd == FIONREAD:
            return self.rq_bytes.to_bytes(4, "little")      # so_rcv.sb_cc
        if cmd == FIONWRITE:
            n = self.peer.rq_bytes if self.stream and self.peer is not None else 0
            return n.to_bytes(4, "little")
        if cmd == FIONSPACE:
            return max(0, self.write_space()).to_bytes(4, "little")
        raise Errno(abi.ENOTTY)

    def readable_bytes(self):
        if self.state == "listening":
            return len(self.acceptq)
        return self.rq_bytes

    def eof(self):
        """The read side is done (EV_EOF for EVFILT_READ)."""
        return self.cantrcv

    def write_eof(self):
        return self.cantsend

    def write_space(self):
        if self.stream:
            if self.peer is None or self.state != "connected":
                return 0
            return self.peer.rcvbuf + self.sndbuf - self.peer.rq_bytes - self.peer.rq_ctl
        return self.sndbuf

    def readable(self):
        if self.state == "listening":
            return bool(self.acceptq) or bool(self.error)
        if self.cantrcv or self.error:
            return True
        if self.records:
            return bool(self.rq)
        return bool(self.rq) and (self.rq_bytes >= self.rcvlowat or
                                  any(c is not None for _d, c in self.rq))

    def writable(self):
        if self.cantsend or self.error:
            return True
        if self.stream:
            return self.state == "connected" and self.write_space() >= min(
                self.sndlowat, self.peer.rcvbuf + self.sndbuf)
        return True

    def poll(self, events):
        """NetBSD sopoll: readable (data, EOF, an error, a connection to
        accept), writable (room above the low-water mark, or an error, or
        the write side shut); sockets report no POLLHUP."""
        rev = 0
        if events & (POLLIN | POLLRDNORM) and self.readable():
            rev |= events & (POLLIN | POLLRDNORM)
        if events & (POLLOUT | POLLWRNORM) and self.writable():
            rev |= events & (POLLOUT | POLLWRNORM)
        return rev

    def _wait(self, nonblock):
        if nonblock:
            raise Errno(EAGAIN)
        raise WouldBlock(self)

    # -- queue helpers ----------------------------------------------------
    def _mb(self):
        """What the receive queue takes from the machine's mbuf pool."""
        return self.rq_bytes + self.rq_ctl + MSIZE * len(self.rq)

    def mbfull(self):
        """sbspace's other limit: the mbufs one more record needs (sb_mbmax)."""
        return MSIZE * (len(self.rq) + 1) > 2 * self.rcvbuf

    def _charge(self, need):
        """m_get: ENOBUFS when the machine's socket buffers are used up."""
        if self.net.mem + need > MBUF_MAX:
            raise Errno(ENOBUFS)

    def _enqueue_stream(self, data, ctl):
        self._charge(len(data) + ctl_size(ctl) + MSIZE)
        before = self._mb()
        _hold(ctl, self.net)
        self.rq_ctl += ctl_size(ctl)
        if ctl is None and self.rq and self.rq[-1][1] is None:
            self.rq[-1][0].extend(data)
        else:
            self.rq.append([bytearray(data), ctl])
        self.rq_bytes += len(data)
        self.net.mem += self._mb() - before
        wakeup(self)

    def _append_record(self, data, frm, ctl, hold=True):
        self._charge(len(data) + ctl_size(ctl) + MSIZE)
        before = self._mb()
        if hold:
            _hold(ctl, self.net)
        self.rq_ctl += ctl_size(ctl)
        self.rq.append((bytes(data), frm, ctl))
        self.rq_bytes += len(data)
        self.net.mem += self._mb() - before
        wakeup(self)

    def _flush_rq(self):
        self.net.mem -= self._mb()
        items = list(self.rq)
        self.rq.clear()
        self.rq_bytes = self.rq_ctl = 0
        for item in items:
            _drop_ctl(item[-1], self.net)

    # -- protocol operations ------------------------------------------------
    def take_error(self):
        e, self.error = self.error, 0
        return e

    def send(self, p, data, dest, ctl, flags, nonblock):
        """sosend for one chunk: -> bytes taken (stream: maybe fewer than
        offered; a datagram: all or an error).  Raises WouldBlock / EAGAIN
        when nothing fits, Errno(EPIPE) when the write side is shut."""
        nonblock = nonblock or bool(flags & (MSG_DONTWAIT | MSG_NBIO))
        if self.state == "listening" and self.stream:
            raise Errno(ENOTCONN)
        if self.cantsend:
            raise Errno(EPIPE)
        if self.error:
            raise Errno(self.take_error())
        if self.stream:
            if self.state != "connected":
                raise Errno(ENOTCONN)
            if ctl and self.domain != AF_LOCAL:
                raise Errno(EINVAL)     # tcp_send: no control data
            peer = self.peer
            if peer is None or peer.closed and self.domain == AF_LOCAL:
                raise Errno(EPIPE)
            if peer.closed:
                # the other end is gone: it answers with a reset (tcp_input)
                self._reset(ECONNRESET)
                return len(data)
            space = self.write_space()
            if self.records:            # SOCK_SEQPACKET: one atomic record
                if len(data) > self.sndbuf:
                    raise Errno(EMSGSIZE)
                if space < len(data) + ctl_size(ctl):
                    self._wait(nonblock)
                if peer.cantrcv:
                    return len(data)
                if peer.localcreds:
                    peer.localcreds = False
                    ctl = (ctl or []) + [("creds", self.cred)]
                peer._append_record(data, self.uaddr or sun_noname(), ctl)
                return len(data)
            if not data and not ctl:
                return 0
            cs = ctl_size(ctl)
            if space < cs + (1 if data else 0) or space <= 0:
                self._wait(nonblock)
            k = min(space - cs, len(data))
            if peer.cantrcv:            # the reader shut its side: the data goes nowhere
                return k
            if peer.localcreds and self.domain == AF_LOCAL:
                peer.localcreds = False  # a stream carries the credentials once
                ctl = (ctl or []) + [("creds", self.cred)]
            peer._enqueue_stream(data[:k], ctl)
            return k
        # datagrams
        if len(data) > self.sndbuf:
            raise Errno(EMSGSIZE)
        if self.domain == AF_LOCAL:
            return self._send_unix_dgram(p, data, dest, ctl)
        if ctl:
            raise Errno(EINVAL)
        if self.type == SOCK_RAW:
            return self._send_raw(p, data, dest)
        return self._send_udp(p, data, dest)

    def _reset(self, err):
        """A reset arrived: the connection is gone with err (tcp_drop)."""
        self.error = err
        self.cantsend = self.cantrcv = True
        self.state = "closed"
        peer, self.peer = self.peer, None
        if peer is not None and peer.peer is self:
            peer.peer = None
        wakeup(self)

    def receive(self, p, n, flags, nonblock, want_from=False):
        """soreceive: -> (data, control list, msg flags, from sockaddr)."""
        nonblock = nonblock or bool(flags & (MSG_DONTWAIT | MSG_NBIO))
        peek = bool(flags & MSG_PEEK)
        if flags & MSG_OOB:
            raise Errno(EINVAL)         # no out-of-band data here
        if self.state == "listening":
            raise Errno(ENOTCONN)
        if not self.records:
            if not self.rq:
                if self.error:
                    raise Errno(self.take_error())
                if self.cantrcv or n == 0:
                    return b"", None, 0, None
                if self.state not in ("connected", "connecting"):
                    raise Errno(ENOTCONN)
                self._wait(nonblock)
            out = bytearray()
            ctl = None
            full = part = 0             # segments taken whole, bytes of the next one
            for seg, sctl in self.rq:
                if len(out) >= n and (seg or sctl is not None):
                    break
                if sctl is not None:
                    if full or part or out:
                        break           # a record with control starts a new read
                    ctl = sctl
                take = min(n - len(out), len(seg))
                out += seg[:take]
                if take < len(seg):
                    part = take
                    break
                full += 1
            if peek:
                ctl = None              # the files stay in flight; nothing to show
            else:
                before = self._mb()
                for _ in range(full):
                    self.rq_ctl -= ctl_size(self.rq.popleft()[1])
                if part:
                    del self.rq[0][0][:part]
                    self.rq_ctl -= ctl_size(self.rq[0][1])
                    self.rq[0][1] = None
                self.rq_bytes -= len(out)
                self.net.mem += self._mb() - before
                if self.peer is not None:
                    wakeup(self.peer)   # room for the writer
            return bytes(out), ctl, 0, None     # a stream has no source address
        # datagrams and SOCK_SEQPACKET records
        if not self.rq:
            if self.error:
                raise Errno(self.take_error())
            if self.cantrcv:
                return b"", None, 0, None
            if self.stream and self.state not in ("connected", "connecting"):
                raise Errno(ENOTCONN)
            self._wait(nonblock)
        data, frm, ctl = self.rq[0]
        if self.stream:
            frm = None                  # SOCK_SEQPACKET: connected, no source address
        mflags = MSG_TRUNC if len(data) > n else 0
        if not peek:
            before = self._mb()
            self.rq.popleft()
            self.rq_bytes -= len(data)
            self.rq_ctl -= ctl_size(ctl)
            self.net.mem += self._mb() - before
            wakeup(self)
            if self.stream and self.peer is not None:
                wakeup(self.peer)       # room for the writer
        else:
            ctl = None
        return data[:n], ctl, mflags, frm

    # -- names --------------------------------------------------------------
    def sockname(self):
        if self.domain == AF_LOCAL:
            return self.uaddr or sun_noname()
        if self.lkind is None:
            return pack_inet(self.domain, "4" if self.domain == AF_INET else "6",
                             ANY4 if self.domain == AF_INET else ANY6, 0)
        return pack_inet(self.domain, self.lkind, self.lip, self.lport)

    def peername(self):
        if self.domain == AF_LOCAL:
            if self.stream:
                if self.state != "connected" and self.peeraddr is None:
                    raise Errno(ENOTCONN)
                return self.peeraddr or sun_noname()
            if self.peer is None:
                raise Errno(ENOTCONN)
            return self.peer.uaddr or sun_noname()
        if self.rkind is None or (self.stream and self.state not in ("connected",)):
            raise Errno(ENOTCONN)
        return pack_inet(self.domain, self.rkind, self.rip, self.rport)

    # -- inet binding -------------------------------------------------------
    def bind_inet(self, cred, kind, ip, port):
        if self.lkind is not None:
            raise Errno(EINVAL)         # already bound
        if kind == "4":
            if ip != ANY4 and ip[0] != 127:
                raise Errno(EADDRNOTAVAIL)
        elif ip not in (ANY6, LOOP6):
            raise Errno(EADDRNOTAVAIL)
        if self.type == SOCK_RAW:
            self.lkind, self.lip = kind, ip     # rip_bind: an address, no port
            return
        if port and port < IPPORT_RESERVED and cred.euid != 0:
            raise Errno(abi.EACCES)
        self.lkind, self.lip = kind, ip
        proto = self.pname
        if port == 0:
            port = self._ephemeral(proto)
        else:
            self._check_inuse(proto, port)
        self.lport = port
        self.net.ports.setdefault((proto, port), []).append(self)

    def _check_inuse(self, proto, port):
        mine = _cover(self)
        reuse = self.options & (SO_REUSEADDR | SO_REUSEPORT)
        for s2 in self.net.ports.get((proto, port), ()):
            if s2 is self:
                continue
            theirs = _cover(s2)
            exact = any(a == b for a in mine for b in theirs)
            wild = any(k1 == k2 and (a1 == a2 or a1 in (ANY4, ANY6) or a2 in (ANY4, ANY6))
                       for k1, a1 in mine for k2, a2 in theirs)
            clash = exact if reuse else wild
            if clash and not (self.options & SO_REUSEPORT and s2.options & SO_REUSEPORT):
                self.lkind = self.lip = None
                raise Errno(EADDRINUSE)

    def _ephemeral(self, proto):
        net = self.net
        span = IPPORT_ANONMAX - IPPORT_ANONMIN + 1
        port = net.lastport[proto]
        for _ in range(span):
            port -= 1
            if port < IPPORT_ANONMIN:
                port = IPPORT_ANONMAX
            if not net.ports.get((proto, port)):
                net.lastport[proto] = port
                return port
        self.lkind = self.lip = None
        raise Errno(EADDRINUSE)         # in_pcbsetport: the range is used up

    def unbind_inet(self):
        if self.lkind is not None and self.lport:
            lst = self.net.ports.get((self.pname, self.lport))
            if lst and self in lst:
                lst.remove(self)
                if not lst:
                    del self.net.ports[(self.pname, self.lport)]

    def autobind(self, cred, kind):
        """Bind an unbound socket before it connects or sends (the local
        address is the loopback of the destination's family)."""
        if self.lkind is None and self.type != SOCK_RAW:
            self.bind_inet(cred, "4" if self.domain == AF_INET else "6",
                           ANY4 if self.domain == AF_INET else ANY6, 0)

    def _set_local_for(self, kind):
        if self.lip in (ANY4, ANY6) or self.lkind != kind:
            self.lkind, self.lip = kind, LOOP4 if kind == "4" else LOOP6

    def find(self, kind, ip, port, listening, src=None):
        """The socket a packet to (kind, ip, port) reaches (best match)."""
        best, score = None, 0
        for s in self.net.ports.get((self.pname, port), ()):
            if s.closed or s is self and self.stream:
                continue
            if listening and s.state != "listening":
                continue
            a = _accepts(s, kind, ip)
            if not a:
                continue
            if not self.stream and s.rkind is not None:
                if src is None or (s.rkind, s.rip, s.rport) != src:
                    continue
                a += 2                  # a connected UDP socket of that peer first
            if a > score:
                best, score = s, a
        return best

    # -- TCP-like connection ----------------------------------------------
    def connect_inet(self, p, kind, ip, port, nonblock):
        ip = local_dest(kind, ip)
        if self.type == SOCK_RAW:
            # rip_connect: the foreign address only (no port, no source bound)
            self.rkind, self.rip, self.rport = kind, ip, 0
            self.state = "connected"
            return 0
        if port == 0:
            raise Errno(EADDRNOTAVAIL)
        if not self.stream:
            if self.lkind is None:
                self.autobind(p.cred, kind)
            self._set_local_for(kind)
            self.rkind, self.rip, self.rport = kind, ip, port
            self.state = "connected"
            return 0
        if self.state == "listening":
            raise Errno(EOPNOTSUPP)
        me = (p.pid, getattr(p, "lid", 1))
        waiting = me in self.connwaiters
        if self.state == "connecting":
            if not waiting:
                raise Errno(EALREADY)
            self._wait(False)
        if waiting:
            self.connwaiters.discard(me)
            if self.state == "connected":
                return 0
            if self.error:
                raise Errno(self.take_error())
        if self.state == "connected":
            raise Errno(EISCONN)
        if self.state == "closed" and self.error:
            raise Errno(self.take_error())
        if self.lkind is None:
            self.autobind(p.cred, kind)
        self._set_local_for(kind)
        self.rkind, self.rip, self.rport = kind, ip, port
        lst = self.find(kind, ip, port, listening=True)
        if lst is None:
            self.rkind = None
            if nonblock:                # the RST comes back after the SYN went out
                self.error = ECONNREFUSED
                self.cantsend = self.cantrcv = True
                self.state = "closed"
                raise Errno(abi.EINPROGRESS)
            raise Errno(ECONNREFUSED)
        if lst.room():
            lst.establish(self)
            if nonblock:
                raise Errno(abi.EINPROGRESS)
            return 0
        # the listen queue is full: the SYN is dropped and retransmitted
        self.state = "connecting"
        self.connecting_to = lst
        lst.synq.append(self)
        if nonblock:
            raise Errno(abi.EINPROGRESS)
        self.connwaiters.add(me)
        self._wait(False)

    def room(self):
        """sonewconn's test: qlen + q0len <= 3 * qlimit / 2."""
        return len(self.acceptq) <= 3 * self.qlimit // 2 and self.net.live < MAXFILES

    def establish(self, client):
        """The handshake with client completed: a new socket on the listen queue."""
        child = Socket(self.net, self.domain, self.type, self.proto, _Cred(self), 0,
                       self.clock)
        child.options = self.options & ~SO_ACCEPTCONN
        child.linger = self.linger
        child.sndbuf, child.rcvbuf = self.sndbuf, self.rcvbuf
        child.tcpopts = dict(self.tcpopts)
        child.ipopts = dict(self.ipopts)
        child.v6only = self.v6only
        child.ctime = self.ctime
        child.fnosigpipe = False
        if self.domain == AF_LOCAL:
            child.uaddr = self.uaddr
            child.peeraddr = client.uaddr
            client.peeraddr = self.uaddr
            child.peereid = (client.cred[0], client.cred[2], client.cred[4])
            client.peereid = (self.cred[0], self.cred[2], self.cred[4])
        else:
            child.lkind, child.lip, child.lport = client.rkind, client.rip, client.rport
            child.rkind, child.rip, child.rport = client.lkind, client.lip, client.lport
            self.net.ports.setdefault((child.pname, child.lport), []).append(child)
        child.state = client.state = "connected"
        child.peer, client.peer = client, child
        child.listener = self
        client.connecting_to = None
        self.acceptq.append(child)
        wakeup(self)
        wakeup(client)
        return child

    def admit(self):
        """Room in the listen queue: complete waiting connections."""
        while self.synq and self.room():
            c = self.synq.pop(0)
            if c.closed or c.state != "connecting":
                continue
            self.establish(c)

    # -- teardown --------------------------------------------------------
    def shutdown(self, how):
        """soshutdown: EINVAL for a bad how, else it succeeds, connected or
        not (NetBSD's code; its manual page lists ENOTCONN, the kernel does
        not return it)."""
        if how not in (SHUT_RD, SHUT_WR, SHUT_RDWR):
            raise Errno(EINVAL)
        if how in (SHUT_RD, SHUT_RDWR):
            self.cantrcv = True
            self._flush_rq()
            wakeup(self)
        if how in (SHUT_WR, SHUT_RDWR):
            self.cantsend = True
            peer = self.peer
            if self.stream and peer is not None:
                peer.cantrcv = True     # the peer reads EOF (FIN)
                wakeup(peer)
            wakeup(self)

    def unref(self):
        """A descriptor of it was closed and others still refer to it: if
        only messages in flight do, it may be garbage (unp_gc)."""
        if self.net.inflight:
            maybe_collect(self.net)

    def _uncount(self):
        if self._live:
            self._live = False
            self.net.live -= 1
            self.net.sockets.discard(self)

    def close_final(self):
        self.closed = True
        self._uncount()
        net = self.net
        if self.state == "listening":
            for c in self.synq:         # refused: the listener is gone
                if c.state == "connecting":
                    c.connecting_to = None
                    c.state = "closed"
                    c.error = ECONNREFUSED
                    c.cantsend = c.cantrcv = True
                    wakeup(c)
            self.synq = []
            while self.acceptq:         # never accepted: aborted
                self.acceptq.popleft()._abort()
        if self.connecting_to is not None:
            lst = self.connecting_to
            if self in lst.synq:
                lst.synq.remove(self)
        if self.listener is not None and self in self.listener.acceptq:
            self.listener.acceptq.remove(self)
        if self.stream and self.peer is not None:
            peer = self.peer
            unread = self.rq_bytes > 0
            hard = self.options & SO_LINGER and self.linger[0] and self.linger[1] == 0
            if self.domain == AF_LOCAL:
                peer.cantrcv = peer.cantsend = True
                peer.peer = None
                wakeup(peer)
            elif unread or hard:
                peer._reset(ECONNRESET)
            else:
                peer.cantrcv = True     # FIN
                wakeup(peer)
        if not self.stream:
            if self.domain == AF_LOCAL:
                for s in self.dgram_conns:
                    if s.peer is self:
                        s.peer = None
                        s.state = "idle"
                if self.peer is not None and self in self.peer.dgram_conns:
                    self.peer.dgram_conns.remove(self)
            self.peer = None
        self._flush_rq()
        if self.domain == AF_LOCAL:
            if self.ukey is not None and net.unix.get(self.ukey) is self:
                del net.unix[self.ukey]
        else:
            self.unbind_inet()
        self.state = "closed"
        wakeup(self)
        if net.inflight:
            maybe_collect(net)

    def _abort(self):
        """An established connection dropped before accept (soabort)."""
        peer = self.peer
        self.closed = True
        self._uncount()
        self.listener = None
        if peer is not None:
            if self.domain == AF_LOCAL:
                if peer.state == "connecting":      # LOCAL_CONNWAIT, never accepted
                    peer.state = "closed"
                    peer.error = ECONNREFUSED
                peer.cantrcv = peer.cantsend = True
                peer.peer = None
                wakeup(peer)
            else:
                peer._reset(ECONNRESET)
        self._flush_rq()
        if self.domain != AF_LOCAL:
            self.unbind_inet()
        self.state = "closed"

    # -- datagram transports ---------------------------------------------
    def _send_udp(self, p, data, dest):
        if dest is not None:
            if self.rkind is not None:
                raise Errno(EISCONN)
            kind, ip, port = dest
            ip = local_dest(kind, ip)
            if port == 0:
                raise Errno(EADDRNOTAVAIL)
            if self.lkind is None:
                self.autobind(p.cred, kind)
        else:
            if self.rkind is None:
                raise Errno(EDESTADDRREQ)
            kind, ip, port = self.rkind, self.rip, self.rport
        src_ip = self.lip
        if src_ip in (ANY4, ANY6) or self.lkind != kind:
            src_ip = LOOP4 if kind == "4" else LOOP6
        dst = self.find(kind, ip, port, listening=False, src=(kind, src_ip, self.lport))
        if dst is None or dst.cantrcv:
            if self.rkind is not None:
                self.error = ECONNREFUSED   # the ICMP port unreachable, on a connected socket
                wakeup(self)
            return len(data)
        if dst.rq_bytes + len(data) > dst.rcvbuf or dst.mbfull():
            dst.overflowed += 1         # sb_overflowed (SO_OVERFLOWED)
            return len(data)            # a full receive buffer drops it (UDP)
        frm = pack_inet(dst.domain, kind, src_ip, self.lport)
        ctl = None
        if dst.options & SO_TIMESTAMP:  # udp_input: SCM_TIMESTAMP, the arrival time
            ctl = [("timestamp", int(dst.clock()) if dst.clock else 0)]
        try:
            dst._append_record(data, frm, ctl)
        except Errno:
            dst.overflowed += 1         # no mbufs: udp_input drops it
        return len(data)

    def _send_raw(self, p, data, dest):
        """rip_output / rip6_output over the loopback: the payload goes out
        with a header the kernel builds (no IP_HDRINCL), then ip_input's
        side: the kernel's own ICMP answers an echo request, and every raw
        socket of the protocol (or of protocol 0) whose bound and connected
        addresses match gets a copy (rip_input)."""
        if dest is not None:
            if self.rkind is not None:
                raise Errno(EISCONN)
            kind, ip = dest[0], local_dest(dest[0], dest[1])
        else:
            if self.rkind is None:
                raise Errno(EDESTADDRREQ)
            kind, ip = self.rkind, self.rip
        src = self.lip if self.lkind == kind and self.lip not in (ANY4, ANY6) else \
            (LOOP4 if kind == "4" else LOOP6)
        proto = self.proto
        if kind == "4" and len(data) + 20 > 65535:
            raise Errno(EMSGSIZE)       # IP_MAXPACKET
        ttl = self.ipopts[IP_TTL] if kind == "4" else 64
        if kind == "6" and proto == IPPROTO_ICMPV6 and len(data) >= 4:
            # rip6_output: the kernel computes an ICMPv6 checksum (offset 2)
            data = bytes(data[:2]) + b"\0\0" + bytes(data[4:])
            data = data[:2] + struct.pack("!H", _icmp6_cksum(src, ip, data)) + data[4:]
        ip_input(self.net, kind, src, ip, proto, bytes(data), self.ipopts[IP_TOS], ttl)
        return len(data)

    def _send_unix_dgram(self, p, data, dest, ctl):
        if dest is not None:
            if self.peer is not None:
                raise Errno(EISCONN)
            dst = dest
        else:
            if self.peer is None:
                raise Errno(EDESTADDRREQ if self.state != "connected" else ENOTCONN)
            dst = self.peer
        if dst.closed:
            raise Errno(ECONNREFUSED)
        if dst.cantrcv:
            return len(data)
        if dst.localcreds:
            ctl = (ctl or []) + [("creds", self.cred)]
        if dst.rq_bytes + dst.rq_ctl + len(data) + ctl_size(ctl) > dst.rcvbuf or dst.mbfull():
            raise Errno(ENOBUFS)        # uipc: sbappendaddr failed
        dst._append_record(data, self.uaddr or sun_noname(), ctl)
        return len(data)


class _Cred:
    """The credentials a listener's new connections are created with."""

    def __init__(self, s):
        self.ruid, self.euid = s.cred[1], s.cred[2]
        self.rgid, self.egid = s.cred[3], s.cred[4]
        self.groups = s.cred[5]


# -- control messages (SCM_RIGHTS, SCM_CREDS) ----------------------------------

def ctl_size(ctl):
    """What control messages take in a receive buffer: their cmsghdrs."""
    n = 0
    for kind, val in ctl or ():
        if kind == "rights":
            n += cmsg_align(12 + 4 * len(val))
        elif kind == "creds":
            n += cmsg_align(12 + 24 + 4 * max(1, min(16, len(val[5]))))
        else:
            n += cmsg_align(12 + 12)
    return n


def nfiles(ctl):
    return sum(len(val) for kind, val in ctl or () if kind == "rights")


def _hold(ctl, net):
    """Files put in flight (SCM_RIGHTS) keep a reference until received."""
    for kind, val in ctl or ():
        if kind == "rights":
            for f in val:
                f.refs += 1
            net.inflight += len(val)


def _drop_ctl(ctl, net):
    """Files in flight that will never be received lose their reference."""
    if ctl:
        files = [f for kind, val in ctl if kind == "rights" for f in val]
        net.inflight -= len(files)
        release(files)


_releasing = None


def release(files):
    """Drop one reference of each file; the last one closes it.  Iterative:
    a socket closed with files in flight can hold sockets holding sockets
    ..., and their closes are queued here, never nested."""
    global _releasing
    if _releasing is not None:
        _releasing.extend(files)
        return
    _releasing = list(files)
    try:
        while _releasing:
            f = _releasing.pop()
            f.refs -= 1
            if f.refs == 0:
                f.close_final()
                uncharge(f)             # (kern.maxfiles: file.OpenFiles)
    finally:
        _releasing = None


def _queued_files(s):
    for item in s.rq:
        for kind, val in item[-1] or ():
            if kind == "rights":
                yield from val


_collecting = False


def maybe_collect(net):
    """Run the collector after a close that may have made garbage, at most
    once per 1/16 of the sockets' count of such closes (NetBSD defers
    unp_gc too), so closing many sockets in flight stays linear."""
    net.suspects += 1
    if net.suspects >= max(1, len(net.sockets) // 16):
        collect(net)


def collect(net):
    """unp_gc: sockets that only messages in flight refer to, in cycles no
    descriptor can reach (a socket sent over itself, two sent over each
    other), are garbage: their queues are flushed, which closes them.
    A candidate's references all come from queued messages; one that a
    queue of a non-candidate holds is alive, and so is what it holds."""
    global _collecting
    if _collecting:
        return
    _collecting = True
    net.suspects = 0
    try:
        socks = list(net.sockets)
        held = {}
        for s in socks:
            for f in _queued_files(s):
                held[id(f)] = held.get(id(f), 0) + 1
        cand = {id(s): s for s in socks if s.refs and s.refs == held.get(id(s), 0)}
        if not cand:
            return
        internal = {}
        for s in cand.values():
            for f in _queued_files(s):
                if id(f) in cand:
                    internal[id(f)] = internal.get(id(f), 0) + 1
        alive = [s for k, s in cand.items() if s.refs > internal.get(k, 0)]
        seen = {id(s) for s in alive}
        while alive:
            for f in _queued_files(alive.pop()):
                if id(f) in cand and id(f) not in seen:
                    seen.add(id(f))
                    alive.append(f)
        dead = [s for k, s in cand.items() if k not in seen]
        for s in dead:
            s._flush_rq()
    finally:
        _collecting = False


def pack_sockcred(cred):
    pid, uid, euid, gid, egid, groups = cred
    groups = list(groups)[:16]
    return struct.pack(f"<iIIIIi{max(1, len(groups))}I", pid, uid, euid, gid, egid,
                       len(groups), *(groups or [0]))[: 24 + 4 * max(1, len(groups))]


# -- raw IP over the loopback (netinet/raw_ip.c, ip_icmp.c, icmp6.c) ----------

def in_cksum(data):
    """The Internet checksum (RFC 1071) of data."""
    if len(data) & 1:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xffff) + (total >> 16)
    return ~total & 0xffff


def ip4_header(net, src, dst, proto, length, tos, ttl):
    net.ip_id = (net.ip_id + 1) & 0xffff
    h = struct.pack("!BBHHHBBH4s4s", 0x45, tos, 20 + length, net.ip_id, 0, ttl, proto, 0,
                    src, dst)
    return h[:10] + struct.pack("!H", in_cksum(h)) + h[12:]


def _icmp6_cksum(src, dst, msg):
    pseudo = src + dst + struct.pack("!I3xB", len(msg), IPPROTO_ICMPV6)
    return in_cksum(pseudo + msg)


def ip_input(net, kind, src, dst, proto, payload, tos=0, ttl=64):
    """A packet from src to dst (both on the loopback) arrives: ICMP echo
    requests are answered by the kernel, which BSD does not pass to raw
    sockets (nor TCP or UDP segments, whose protocols take them); the rest
    goes to the raw sockets that want it."""
    if kind == "4" and proto == IPPROTO_ICMP:
        if len(payload) < 8 or in_cksum(payload):
            return                      # icmp_input: too short or bad sum: dropped
        if payload[0] == ICMP_ECHO:
            reply = bytes((ICMP_ECHOREPLY, payload[1])) + b"\0\0" + payload[4:]
            reply = reply[:2] + struct.pack("!H", in_cksum(reply)) + reply[4:]
            ip_input(net, kind, dst, src, proto, reply, tos, 255)   # icmp_reflect
            return
    reply = None
    if kind == "6" and proto == IPPROTO_ICMPV6:
        if len(payload) < 4 or _icmp6_cksum(src, dst, payload):
            return                      # icmp6_input: too short or bad sum: dropped
        if payload[0] == ICMP6_ECHO_REQUEST and len(payload) >= 8:
            # icmp6_reflect of a copy; the request itself goes on to the
            # raw sockets first (the reply comes back through the loopback)
            reply = bytes((ICMP6_ECHO_REPLY, payload[1])) + b"\0\0" + payload[4:]
            reply = reply[:2] + struct.pack("!H", _icmp6_cksum(dst, src, reply)) + reply[4:]
    if proto in (IPPROTO_TCP, IPPROTO_UDP):
        return
    if kind == "4":
        packet = ip4_header(net, src, dst, proto, len(payload), tos, ttl) + payload
    else:
        packet = payload                # rip6_input: no header, the payload
    for s in list(net.raw):
        if s.closed or s.cantrcv or (s.proto and s.proto != proto):
            continue
        if (s.domain == AF_INET) != (kind == "4"):
            continue
        if s.lkind is not None and s.lip not in (ANY4, ANY6) and s.lip != dst:
            continue
        if s.rkind is not None and s.rip != src:
            continue
        if s.rq_bytes + len(packet) > s.rcvbuf or s.mbfull():
            s.overflowed += 1           # sbappendaddr failed: dropped
            continue
        try:
            s._append_record(packet, pack_inet(s.domain, kind, src, 0), None)
        except Errno:
            s.overflowed += 1
    if reply is not None:
        ip_input(net, kind, dst, src, proto, reply, tos, ttl)
