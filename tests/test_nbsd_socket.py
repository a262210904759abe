"""Sockets inside the guest (issue 11 item 3): AF_LOCAL stream and datagram
sockets (socketpair, bound to socket nodes on mfs and hostfs, SCM_RIGHTS,
SCM_CREDS) and AF_INET/AF_INET6 over the guest's own loopback, with
NetBSD's numbers, layouts and errors.  The guest side is tests/guest/sock.c
(every call and error case, a TCP echo server and client over 127.0.0.1 in
two processes), run as a user process and with --kernelware, in a kw86
whose Python socket module raises: no host socket is ever opened.  The
kernel side is also driven directly (tests/nbsd_env.py) for what a guest
cannot observe: references of files in flight, restarts of blocked calls,
the port table."""
import os
import stat
import struct
import subprocess
import sys

import pytest
from hypothesis import given, settings, strategies as st

import hostenv
from buildreq import fail_build
from nbsd_env import Env, guest_program
from kw86.nbsd import abi
from kw86.nbsd import socket as so

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODES = [pytest.param([], id="user"), pytest.param(["--kernelware"], id="kernelware")]

# kw86 run with every way Python has to make a host socket replaced by a failure
NO_HOST_SOCKETS = r"""
import sys, socket, _socket
def _no(*a, **k):
    raise AssertionError("kw86 opened a host socket")
for mod in (socket, _socket):
    for name in ("socket", "socketpair", "fromfd", "create_connection", "create_server"):
        if hasattr(mod, name):
            setattr(mod, name, _no)
from kw86.cli import main
sys.exit(main())
"""


@pytest.fixture(scope="module")
def sock():
    path = guest_program("sock")
    if path is None:
        fail_build(guest_program.why)
    return "./" + os.path.relpath(path, ROOT)      # a host file (cwd ROOT), not a guest path


def kw(*argv, timeout=300):
    r = subprocess.run([sys.executable, "-c", NO_HOST_SOCKETS, "exec", *argv],
                       capture_output=True, timeout=timeout, cwd=ROOT,
                       env=hostenv.kw86_env(), stdin=subprocess.DEVNULL)
    return r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")


def _run(sock, mode, what, *extra, dir_="/tmp"):
    rc, out, err = kw(*mode, "--mfs", "8M", *extra, sock, what, dir_)
    assert "Traceback" not in err and "internal error" not in err, err
    assert "host socket" not in err, err
    fails = [ln for ln in out.splitlines() if ln.startswith("FAIL")]
    assert not fails and rc == 0, out + err
    oks = [ln for ln in out.splitlines() if ln.startswith("ok ")]
    assert f"{what}: 0 failures" in out
    return oks, out


# the number of checks each part makes (so a part that stops early fails)
PARTS = {"unix": 47, "rights": 11, "inet": 31, "inet6": 31, "echo": 11, "udp": 17,
         "nonblock": 22, "poll": 17, "sigpipe": 12, "opts": 27, "errors": 20, "records": 24}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("what", sorted(PARTS))
def test_guest_sockets(sock, mode, what):
    oks, out = _run(sock, mode, what)
    assert len(oks) >= PARTS[what], out
    if what == "echo":
        assert "echoed 300000 bytes" in out


@pytest.mark.parametrize("mode", MODES)
def test_guest_sockets_unprivileged(sock, mode):
    """As an ordinary user: a reserved port is EACCES, the rest the same."""
    oks, out = _run(sock, mode + ["--user", "user"], "all")
    assert "ok bind-reserved" in out
    assert len(oks) > sum(PARTS.values())


@pytest.mark.parametrize("mode", MODES)
def test_local_sockets_on_hostfs(sock, mode, tmp_path):
    """bind(2) on a host directory makes a socket node there (mknod, no host
    socket) that the guest connects through; a rights file lands there too."""
    d = tmp_path / "share"
    d.mkdir()
    oks, out = _run(sock, mode, "unix", "--bind", f"{d}:/mnt", dir_="/mnt")
    assert len(oks) >= PARTS["unix"]
    # the guest removed its nodes; one it leaves behind is a socket inode on the host
    rc, out, err = kw(*mode, "--bind", f"{d}:/mnt", sock, "rights", "/mnt")
    assert rc == 0, out + err
    assert os.listdir(d) == []


def test_socket_node_on_hostfs_is_an_inode_only(tmp_path):
    e = Env(tmp_path)
    s = e.ok("__socket30", so.AF_LOCAL, so.SOCK_STREAM, 0)
    name = bytes([8, so.AF_LOCAL]) + b"/n.sk\0"
    e.ok("bind", s, e.alloc(len(name), name), len(name))
    st_ = os.lstat(tmp_path / "n.sk")
    assert stat.S_ISSOCK(st_.st_mode)
    assert e.stat("/n.sk").type == abi.NBSD_S_IFSOCK
    # the host kernel knows no socket bound there
    with open("/proc/net/unix") as f:
        assert str(tmp_path / "n.sk") not in f.read()
    assert e.err("open", "/n.sk", abi.NBSD_O_RDONLY, 0) == abi.EOPNOTSUPP


# -- the kernel side directly ----------------------------------------------------

def sin(port, ip=(127, 0, 0, 1)):
    return bytes([16, so.AF_INET]) + port.to_bytes(2, "big") + bytes(ip) + bytes(8)


def sin6(port, ip=bytes(15) + b"\1"):
    return bytes([28, so.AF_INET6]) + port.to_bytes(2, "big") + bytes(4) + ip + bytes(4)


@pytest.fixture
def env(tmp_path):
    return Env(tmp_path)


def _pair(env, port=9000):
    ls = env.ok("__socket30", so.AF_INET, so.SOCK_STREAM, 0)
    a = env.alloc(16, sin(port))
    env.ok("bind", ls, a, 16)
    env.ok("listen", ls, 5)
    c = env.ok("__socket30", so.AF_INET, so.SOCK_STREAM, 0)
    env.ok("connect", c, a, 16)
    s = env.ok("accept", ls, 0, 0)
    return ls, c, s


def test_blocking_stream_send_keeps_its_count(env):
    """A blocking write larger than the buffers sleeps half-way, keeps its
    count across the restart (p.wpartial) and finishes when the reader reads."""
    ls, c, s = _pair(env)
    n = 100_000
    buf = env.alloc(n, bytes(range(256)) * (n // 256) + bytes(n % 256))
    r = env.call("write", c, buf, n)
    assert r.block is not None
    moved = env.p.wpartial[1]
    assert 0 < moved < n
    got = b""
    while len(got) < n:
        got += env.read_fd(s, 65536)
        r = env.call("write", c, buf, n)
        if r.block is None:
            assert r.eax == n
            break
    got += env.read_fd(s, n)
    assert got == env.read(buf, n)


def test_rights_in_flight_hold_a_reference(env):
    sv = env.alloc(8)
    env.ok("socketpair", so.AF_LOCAL, so.SOCK_STREAM, 0, sv)
    a, b = struct.unpack("<ii", env.read(sv, 8))
    fds = env.alloc(8)
    env.ok("pipe2", fds, 0)
    r, w = struct.unpack("<ii", env.read(fds, 8))
    pipe = env.p.fdt.get(r).pipe
    ctl = env.alloc(16, struct.pack("<Iiii", 16, so.SOL_SOCKET, so.SCM_RIGHTS, r))
    iov = env.alloc(8, struct.pack("<II", env.alloc(1, b"x"), 1))
    msg = env.alloc(28, struct.pack("<IIIiIIi", 0, 0, iov, 1, ctl, 16, 0))
    assert env.ok("sendmsg", a, msg, 0) == 1
    env.ok("close", r)
    assert pipe.readers == 1                # the reader lives on in the socket
    env.ok("close", b)                      # never received: dropped with the socket
    assert pipe.readers == 0
    assert env.err("write", w, env.alloc(1, b"y"), 1) == abi.EPIPE


def test_port_rules(env):
    def tcp():
        return env.ok("__socket30", so.AF_INET, so.SOCK_STREAM, 0)
    one = env.alloc(4, struct.pack("<i", 1))
    a = tcp()
    env.ok("bind", a, env.alloc(16, sin(9100, (0, 0, 0, 0))), 16)
    # a specific address under a bound wildcard: in use without SO_REUSEADDR
    b = tcp()
    assert env.err("bind", b, env.alloc(16, sin(9100)), 16) == abi.EADDRINUSE
    env.ok("setsockopt", b, so.SOL_SOCKET, so.SO_REUSEADDR, one, 4)
    env.ok("bind", b, env.alloc(16, sin(9100)), 16)
    # the same address twice: only with SO_REUSEPORT on both
    c = tcp()
    env.ok("setsockopt", c, so.SOL_SOCKET, so.SO_REUSEADDR, one, 4)
    assert env.err("bind", c, env.alloc(16, sin(9100)), 16) == abi.EADDRINUSE
    d, e = tcp(), tcp()
    for s in (d, e):
        env.ok("setsockopt", s, so.SOL_SOCKET, so.SO_REUSEPORT, one, 4)
        env.ok("bind", s, env.alloc(16, sin(9200)), 16)
    # v4 and v6 wildcards coexist while the v6 socket is v6-only (the default)
    f = env.ok("__socket30", so.AF_INET6, so.SOCK_STREAM, 0)
    env.ok("bind", f, env.alloc(28, sin6(9100, bytes(16))), 28)
    # ephemeral ports count down from IPPORT_ANONMAX and skip used ones
    g = tcp()
    env.ok("bind", g, env.alloc(16, sin(0)), 16)
    nm, ln = env.alloc(16), env.alloc(4, struct.pack("<i", 16))
    env.ok("getsockname", g, nm, ln)
    assert int.from_bytes(env.read(nm + 2, 2), "big") == so.IPPORT_ANONMAX


@settings(max_examples=30, deadline=None)
@given(st.lists(st.binary(min_size=0, max_size=5000), min_size=1, max_size=12),
       st.integers(1, 7000))
def test_stream_is_a_byte_stream(tmp_path_factory, chunks, readsize):
    """Whatever the write sizes, the reader gets the same bytes in order."""
    env = Env(tmp_path_factory.mktemp("s"))
    sv = env.alloc(8)
    env.ok("socketpair", so.AF_LOCAL, so.SOCK_STREAM, 0, sv)
    a, b = struct.unpack("<ii", env.read(sv, 8))
    want = b"".join(chunks)
    got = b""
    for ch in chunks:
        buf = env.alloc(len(ch) or 1, ch)
        while True:
            r = env.call("write", a, buf, len(ch))
            if r.block is None:
                assert r.error == 0
                break
            got += env.read_fd(b, readsize)
    env.ok("shutdown", a, so.SHUT_WR)
    while True:
        part = env.read_fd(b, readsize)
        if not part:
            break
        got += part
    assert got == want


def test_sockaddr_layouts():
    assert so.pack_inet(so.AF_INET, "4", bytes((127, 0, 0, 1)), 80) == \
        bytes([16, 2, 0, 80, 127, 0, 0, 1]) + bytes(8)
    six = so.pack_inet(so.AF_INET6, "4", bytes((127, 0, 0, 1)), 443)
    assert len(six) == 28 and six[:4] == bytes([28, 24, 1, 187])
    assert six[8:24] == bytes(10) + b"\xff\xff" + bytes((127, 0, 0, 1))
    assert so.cmsg_align(12) == 12 and so.cmsg_align(13) == 16


# -- random operations never hurt the kernel -------------------------------------

_ADDRS = [sin(9300), sin(9301), sin(0), sin(9300, (0, 0, 0, 0)), sin(80, (10, 0, 0, 1)),
          sin6(9300), sin6(9300, bytes(16)), sin6(9301, bytes(10) + b"\xff\xff" + bytes((127, 0, 0, 1))),
          bytes([12, so.AF_LOCAL]) + b"/r.sock\0\0\0", bytes([12, so.AF_LOCAL]) + b"/x/none\0\0\0",
          b"\x02", bytes([16, 99]) + bytes(14)]
_OPTS = [(so.SOL_SOCKET, so.SO_REUSEADDR), (so.SOL_SOCKET, so.SO_REUSEPORT),
         (so.SOL_SOCKET, so.SO_RCVBUF), (so.SOL_SOCKET, so.SO_SNDBUF),
         (so.SOL_SOCKET, so.SO_LINGER), (so.SOL_SOCKET, so.SO_ERROR),
         (so.SOL_SOCKET, so.SO_NOSIGPIPE), (so.SOL_SOCKET, so.SO_RCVTIMEO),
         (so.IPPROTO_TCP, so.TCP_NODELAY), (so.IPPROTO_IPV6, so.IPV6_V6ONLY),
         (so.SOL_LOCAL, so.LOCAL_CREDS), (so.SOL_LOCAL, so.LOCAL_PEEREID), (7, 7)]

_op = st.one_of(
    st.tuples(st.just("socket"), st.sampled_from([so.AF_LOCAL, so.AF_INET, so.AF_INET6, 7]),
              st.sampled_from([so.SOCK_STREAM, so.SOCK_DGRAM, so.SOCK_SEQPACKET, 3,
                               so.SOCK_STREAM | so.SOCK_NONBLOCK]), st.sampled_from([0, 6, 17])),
    st.tuples(st.just("pair"), st.sampled_from([so.SOCK_STREAM, so.SOCK_DGRAM,
                                                so.SOCK_SEQPACKET | so.SOCK_NONBLOCK])),
    st.tuples(st.sampled_from(["bind", "connect", "sendto"]), st.integers(0, 9),
              st.sampled_from(_ADDRS)),
    st.tuples(st.sampled_from(["listen"]), st.integers(0, 9), st.integers(-1, 3)),
    st.tuples(st.sampled_from(["accept", "close", "getsockname", "getpeername"]),
              st.integers(0, 9)),
    st.tuples(st.just("send"), st.integers(0, 9), st.integers(0, 70000),
              st.sampled_from([0, so.MSG_DONTWAIT, so.MSG_NOSIGNAL | so.MSG_DONTWAIT, so.MSG_OOB])),
    st.tuples(st.just("recv"), st.integers(0, 9), st.integers(0, 70000),
              st.sampled_from([so.MSG_DONTWAIT, so.MSG_PEEK | so.MSG_DONTWAIT,
                               so.MSG_WAITALL | so.MSG_DONTWAIT, 0])),
    st.tuples(st.just("shutdown"), st.integers(0, 9), st.integers(0, 3)),
    st.tuples(st.just("opt"), st.integers(0, 9), st.sampled_from(_OPTS), st.integers(-1, 70000),
              st.integers(0, 16)),
    st.tuples(st.just("rights"), st.integers(0, 9), st.lists(st.integers(-1, 12), max_size=4),
              st.integers(0, 40)),
    st.tuples(st.just("poll"), st.integers(0, 9)),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_op, min_size=1, max_size=40))
def test_random_socket_calls(tmp_path_factory, ops):
    """Any sequence of calls gets NetBSD errors, never an internal error
    (Env is strict: a Python exception in a handler fails the test), and the
    buffers and references stay consistent."""
    env = Env(tmp_path_factory.mktemp("r"))
    buf = env.alloc(70000, bytes(70000))
    out = env.alloc(16)
    for op in ops:
        kind = op[0]
        if kind == "socket":
            env.call("__socket30", op[1], op[2], op[3])
        elif kind == "pair":
            env.call("socketpair", so.AF_LOCAL, op[1], 0, out)
        elif kind in ("bind", "connect"):
            env.call(kind, op[1], env.alloc(len(op[2]), op[2]), len(op[2]))
        elif kind == "sendto":
            env.call("sendto", op[1], buf, 10, so.MSG_DONTWAIT | so.MSG_NOSIGNAL,
                     env.alloc(len(op[2]), op[2]), len(op[2]))
        elif kind == "listen":
            env.call("listen", op[1], op[2])
        elif kind in ("accept", "getsockname", "getpeername"):
            ln = env.alloc(4, struct.pack("<i", 28))
            env.call(kind, op[1], env.alloc(28), ln)
        elif kind == "close":
            env.call("close", op[1])
        elif kind == "send":
            env.call("sendto", op[1], buf, op[2], op[3], 0, 0)
        elif kind == "recv":
            env.call("recvfrom", op[1], buf, op[2], op[3], 0, 0)
        elif kind == "shutdown":
            env.call("shutdown", op[1], op[2])
        elif kind == "opt":
            (level, name), val, size = op[2], op[3], op[4]
            v = env.alloc(16, struct.pack("<iiii", val, val, 0, 0))
            env.call("setsockopt", op[1], level, name, v, size)
            ln = env.alloc(4, struct.pack("<i", size))
            env.call("getsockopt", op[1], level, name, v, ln)
        elif kind == "rights":
            fds = op[2]
            ctl = struct.pack("<Iii", 12 + 4 * len(fds), so.SOL_SOCKET, so.SCM_RIGHTS) + \
                struct.pack(f"<{len(fds)}i", *fds)
            c = env.alloc(len(ctl) + 4, ctl)
            iov = env.alloc(8, struct.pack("<II", buf, 3))
            msg = env.alloc(28, struct.pack("<IIIiIIi", 0, 0, iov, 1, c, len(ctl), 0))
            env.call("sendmsg", op[1], msg, so.MSG_DONTWAIT | so.MSG_NOSIGNAL)
            rc = env.alloc(64)
            msg = env.alloc(28, struct.pack("<IIIiIIi", 0, 0, iov, 1, rc, op[3], 0))
            env.call("recvmsg", op[1], msg, so.MSG_DONTWAIT)
        elif kind == "poll":
            pf = env.alloc(8, struct.pack("<ihh", op[1], 0x45, 0))
            env.call("poll", pf, 1, 0)
        for fd in range(len(env.p.fdt.slots)):
            if env.p.fdt.valid(fd):
                f = env.p.fdt.get(fd)
                assert f.refs >= 1
                if isinstance(f, so.Socket):
                    assert f.rq_bytes == sum(len(item[0]) for item in f.rq)
                    assert f.rq_ctl == sum(so.ctl_size(item[-1]) for item in f.rq)
                    assert f.rq_bytes >= 0
        net = so.get_net(env.sys)
        assert net.mem == sum(s_._mb() for s_ in net.sockets)
    env.p.fdt.close_all()
    net = so.get_net(env.sys)
    so.collect(net)                             # (it runs lazily past a few sockets)
    assert net.live == 0 and net.inflight == 0 and net.mem == 0    # everything released


def test_local_connect_needs_write_permission(env):
    """unp_connect: VWRITE on the socket node (mode 0777 & ~umask at bind)."""
    from kw86.nbsd.proc import Proc
    from kw86.nbsd.vfs import Cred
    os.chmod(env.root, 0o755)               # others may search the root
    ls = env.ok("__socket30", so.AF_LOCAL, so.SOCK_STREAM, 0)
    name = bytes([9, so.AF_LOCAL]) + b"/ls.sk\0"
    a = env.alloc(len(name), name)
    env.ok("bind", ls, a, len(name))
    env.ok("listen", ls, 1)
    assert env.stat("/ls.sk").mode & 0o777 == 0o777 & ~env.p.umask
    user = Proc(env.sys, pid=2, mem=env.mem, cred=Cred(1000, 1000))
    c = env.ok("__socket30", so.AF_LOCAL, so.SOCK_STREAM, 0, proc=user)
    assert env.err("connect", c, a, len(name), proc=user) == abi.EACCES
    env.ok("chmod", "/ls.sk", 0o777)
    env.ok("connect", c, a, len(name), proc=user)


_hexgroup = st.integers(0, 0xffff).map(lambda v: f"{v:x}")
_addr_text = st.one_of(
    st.lists(st.integers(0, 255), min_size=4, max_size=4).map(lambda v: ".".join(map(str, v))),
    st.lists(_hexgroup, min_size=8, max_size=8).map(":".join),
    st.tuples(st.lists(_hexgroup, max_size=4), st.lists(_hexgroup, max_size=3)).map(
        lambda t: ":".join(t[0]) + "::" + ":".join(t[1])),
    st.tuples(st.lists(_hexgroup, max_size=3), st.lists(st.integers(0, 255), min_size=4,
                                                         max_size=4)).map(
        lambda t: ":".join(t[0]) + "::ffff:" + ".".join(map(str, t[1]))),
    st.sampled_from(["::", "::1", "1::", "::ffff:127.0.0.1", "::127.0.0.1", "0:0:0:0:0:0:0:1",
                     "1:0:0:1:0:0:0:1", "1:0:0:2:0:0:3:4", "fe80::1%lo0", "1.2.3", "01.2.3.4",
                     "256.1.1.1", "1:2:3:4:5:6:7:8:9", "1::2::3", ":1", "1:", "12345::",
                     "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8", "1.2.3.4.5", "", "0x1.2.3.4"]),
    st.text(alphabet="0123456789abcdefABCDEF:.", max_size=20),
)


@settings(max_examples=10, deadline=None)
@given(st.lists(_addr_text, min_size=40, max_size=80))
def test_inet_pton_ntop_as_the_host(sock, addrs):
    """The guest libc's inet_pton/inet_ntop against the host's (glibc and
    NetBSD share the ISC code's rules: dotted quads without leading zeros,
    one "::", the longest zero run compressed, v4-mapped as a dotted quad)."""
    import socket as hostsock                   # address conversion only, no socket
    rc, out, err = kw(sock, "ntop", *addrs)
    assert rc == 0, err
    want = []
    for a in addrs:
        try:
            want.append("6 " + hostsock.inet_ntop(hostsock.AF_INET6,
                                                  hostsock.inet_pton(hostsock.AF_INET6, a)))
            continue
        except (OSError, ValueError):
            pass
        try:
            want.append("4 " + hostsock.inet_ntop(hostsock.AF_INET,
                                                  hostsock.inet_pton(hostsock.AF_INET, a)))
        except (OSError, ValueError):
            want.append("bad")
    assert out.splitlines() == want


def test_nested_files_in_flight_close_without_recursion(env):
    """Each socket pair carries the previous pair's end in flight: closing
    the last releases thousands of sockets one after another, not nested."""
    sv = env.alloc(8)
    iov = env.alloc(8, struct.pack("<II", env.alloc(1, b"x"), 1))
    ctl = env.alloc(16)
    msg = env.alloc(28, struct.pack("<IIIiIIi", 0, 0, iov, 1, ctl, 16, 0))
    prev = None
    n = 2000
    objs = []
    for _ in range(n):
        env.ok("socketpair", so.AF_LOCAL, so.SOCK_STREAM, 0, sv)
        a, b = struct.unpack("<ii", env.read(sv, 8))
        objs.append(env.p.fdt.get(b))
        if prev is not None:
            env.mem.copyout(ctl, struct.pack("<Iiii", 16, so.SOL_SOCKET, so.SCM_RIGHTS, prev))
            env.ok("sendmsg", a, msg, 0)
            env.ok("close", prev)
        env.ok("close", a)
        prev = b
    assert not any(o.closed for o in objs)     # all alive, held in flight
    env.ok("close", prev)
    assert len(env.p.fdt) == 0
    assert all(o.closed and o.refs == 0 for o in objs)


def test_file_table_limits(env, monkeypatch):
    """kern.maxfiles bounds the sockets alive (ENFILE; a full table refuses
    connections) and the files in flight (ETOOMANYREFS), so a guest cannot
    grow the host's memory by parking sockets inside sockets."""
    monkeypatch.setattr(so, "MAXFILES", 6)
    sv = env.alloc(8)
    env.ok("socketpair", so.AF_LOCAL, so.SOCK_STREAM, 0, sv)
    a, b = struct.unpack("<ii", env.read(sv, 8))
    fds = env.alloc(8)
    env.ok("pipe2", fds, 0)
    r, w = struct.unpack("<ii", env.read(fds, 8))
    ctl = env.alloc(16)
    iov = env.alloc(8, struct.pack("<II", env.alloc(1, b"x"), 1))
    msg = env.alloc(28, struct.pack("<IIIiIIi", 0, 0, iov, 1, ctl, 16, 0))
    env.mem.copyout(ctl, struct.pack("<Iiii", 16, so.SOL_SOCKET, so.SCM_RIGHTS, r))
    for _ in range(6):
        env.ok("sendmsg", a, msg, 0)
    assert env.err("sendmsg", a, msg, 0) == abi.ETOOMANYREFS
    assert so.get_net(env.sys).inflight == 6
    for _ in range(4):
        env.ok("__socket30", so.AF_INET, so.SOCK_DGRAM, 0)
    assert env.err("__socket30", so.AF_INET, so.SOCK_DGRAM, 0) == abi.ENFILE
    env.ok("close", b)                          # its queue goes: the pipe ends released
    assert so.get_net(env.sys).inflight == 0
    assert so.get_net(env.sys).live == 5
    env.ok("__socket30", so.AF_INET, so.SOCK_DGRAM, 0)


def test_unreachable_sockets_in_flight_are_collected(env):
    """unp_gc: a pair whose ends sit in each other's queues (and a socket
    sent over itself) is closed once no descriptor reaches them."""
    sv = env.alloc(8)
    ctl = env.alloc(16)
    iov = env.alloc(8, struct.pack("<II", env.alloc(1, b"x"), 1))
    msg = env.alloc(28, struct.pack("<IIIiIIi", 0, 0, iov, 1, ctl, 16, 0))
    env.ok("socketpair", so.AF_LOCAL, so.SOCK_STREAM, 0, sv)
    a, b = struct.unpack("<ii", env.read(sv, 8))
    objs = [env.p.fdt.get(a), env.p.fdt.get(b)]
    for fd, over in ((a, a), (b, b)):            # a is in b's queue, b in a's
        env.mem.copyout(ctl, struct.pack("<Iiii", 16, so.SOL_SOCKET, so.SCM_RIGHTS, fd))
        env.ok("sendmsg", over, msg, 0)
    env.ok("socketpair", so.AF_LOCAL, so.SOCK_DGRAM, 0, sv)
    c, d = struct.unpack("<ii", env.read(sv, 8))
    objs += [env.p.fdt.get(c), env.p.fdt.get(d)]
    env.mem.copyout(ctl, struct.pack("<Iiii", 16, so.SOL_SOCKET, so.SCM_RIGHTS, d))
    env.ok("sendmsg", c, msg, 0)                # d's queue holds d
    env.ok("close", a)
    assert not objs[0].closed                   # b still reachable through fd b
    env.ok("close", b)
    assert objs[0].closed and objs[1].closed
    env.ok("close", d)
    assert objs[3].closed and not objs[2].closed
    env.ok("close", c)
    net = so.get_net(env.sys)
    assert net.live == 0 and net.inflight == 0


def test_tiny_datagrams_are_bounded(env):
    """Each queued record costs an mbuf: a socket holds at most 2 * SO_RCVBUF
    / MSIZE of them (UDP drops the rest, AF_LOCAL says ENOBUFS), and all
    buffers of the machine share one pool (ENOBUFS past it)."""
    sv = env.alloc(8)
    env.ok("socketpair", so.AF_LOCAL, so.SOCK_DGRAM, 0, sv)
    a, b = struct.unpack("<ii", env.read(sv, 8))
    one = env.alloc(1, b"x")
    sent = 0
    while env.call("sendto", a, one, 1, so.MSG_DONTWAIT, 0, 0).error == 0:
        sent += 1
    assert env.call("sendto", a, one, 1, so.MSG_DONTWAIT, 0, 0).error == abi.ENOBUFS
    rcv = so.SPACE[("udgram", "rcv")]
    assert sent == 2 * rcv // so.MSIZE
    assert so.get_net(env.sys).mem == sent * (1 + so.MSIZE)


def test_huge_datagram_is_refused_before_it_is_copied(env, monkeypatch):
    """EMSGSIZE comes from the length alone: a 1 GiB sendto never copies."""
    u = env.ok("__socket30", so.AF_INET, so.SOCK_DGRAM, 0)
    to = env.alloc(16, sin(9999))
    orig = env.mem.copyin

    def guarded(addr, n, *a):
        assert n <= 1 << 16, f"copied {n} bytes"
        return orig(addr, n, *a)
    monkeypatch.setattr(env.mem, "copyin", guarded)
    r = env.call("sendto", u, 0x10000, 1 << 30, 0, to, 16)
    assert r.error == abi.EMSGSIZE


def test_connection_reset_before_accept_is_econnaborted(env):
    """TCP's PR_ABRTACPTDIS: accept of a connection reset in the queue
    (the client closed with SO_LINGER 0) is ECONNABORTED; the next one is fine."""
    ls = env.ok("__socket30", so.AF_INET, so.SOCK_STREAM, 0)
    a = env.alloc(16, sin(9400))
    env.ok("bind", ls, a, 16)
    env.ok("listen", ls, 5)
    c = env.ok("__socket30", so.AF_INET, so.SOCK_STREAM, 0)
    env.ok("connect", c, a, 16)
    env.ok("setsockopt", c, so.SOL_SOCKET, so.SO_LINGER, env.alloc(8, struct.pack("<ii", 1, 0)), 8)
    env.ok("close", c)
    c2 = env.ok("__socket30", so.AF_INET, so.SOCK_STREAM, 0)
    env.ok("connect", c2, a, 16)
    assert env.err("accept", ls, 0, 0) == abi.ECONNABORTED
    s = env.ok("accept", ls, 0, 0)
    env.write_fd(c2, b"ok")
    assert env.read_fd(s, 2) == b"ok"
