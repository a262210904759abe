"""sysctl's CTL_QUERY (the node names sysctlnametomib(3) and Go's
syscall.Sysctl walk: struct sysctlnode records, 96 bytes on i386) and
net.route's interface list (sysctl CTL_NET, PF_ROUTE, 0, af,
NET_RT_OIFLIST, index): the routing-socket messages Go's net.Interfaces()
and InterfaceAddrs() parse (syscalls/kern.py route_iflist), read back here
with the layouts of NetBSD's <net/if.h>, <net/route.h> and <net/if_dl.h>
(pre-8.0 if_msghdr of 0x98 bytes, ifa_msghdr of 0x18, sockaddrs rounded to
8 bytes)."""
import socket
import struct

import pytest

from nbsd_env import Env

from kw86.nbsd import abi

CTL_NET, PF_ROUTE, NET_RT_OIFLIST = 4, 34, 5
RTM_NEWADDR, RTM_OIFINFO = 0x0C, 0x14
RTA_NETMASK, RTA_IFP, RTA_IFA = 0x04, 0x10, 0x20


@pytest.fixture
def env(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    return Env(root)


def sysctl(env, mib, size=4096):
    name = env.alloc(4 * len(mib), struct.pack(f"<{len(mib)}i", *mib))
    lenp = env.alloc(4, struct.pack("<I", size))
    buf = env.alloc(max(size, 1))
    r = env.call("__sysctl", name, len(mib), buf if size else 0, lenp, 0, 0)
    n = struct.unpack("<I", env.read(lenp, 4))[0]
    return r.error, env.read(buf, min(n, size)) if size else b"", n


def sockaddrs(addrs, b):
    out = {}
    for bit in range(9):
        if addrs & (1 << bit):
            ln, fam = b[0], b[1]
            out[bit] = (fam, b[:ln])
            b = b[(ln + 7) & ~7 or 8:]
    assert not b.strip(b"\0")
    return out


def messages(data):
    out = []
    while data:
        ln, ver, typ = struct.unpack_from("<HBB", data)
        assert ver == 4 and ln <= len(data)
        out.append((typ, data[:ln]))
        data = data[ln:]
    return out


def test_iflist_loopback(env):
    err, data, n = sysctl(env, [CTL_NET, PF_ROUTE, 0, 0, NET_RT_OIFLIST, 0])
    assert err == 0 and n == len(data)
    msgs = messages(data)
    assert [t for t, _ in msgs] == [RTM_OIFINFO, RTM_NEWADDR, RTM_NEWADDR]
    ifm = msgs[0][1]
    _, _, _, addrs, flags, index = struct.unpack_from("<HBBiiH", ifm)
    assert addrs == RTA_IFP and index == 1
    assert flags == 0x8049                      # UP|LOOPBACK|RUNNING|MULTICAST
    ifi_type, mtu = ifm[16], struct.unpack_from("<Q", ifm, 24)[0]
    assert ifi_type == 0x18 and mtu == 33624    # IFT_LOOP
    sdl = sockaddrs(addrs, ifm[0x98:])[4][1]
    assert sdl[1] == 18 and struct.unpack_from("<H", sdl, 2)[0] == 1     # AF_LINK, index
    assert sdl[4] == 0x18 and sdl[8:8 + sdl[5]] == b"lo0" and sdl[6] == 0
    got = []
    for _, m in msgs[1:]:
        _, _, _, addrs, flags, metric, index = struct.unpack_from("<HBBiiiH", m)
        assert addrs == RTA_NETMASK | RTA_IFA and index == 1
        sas = sockaddrs(addrs, m[0x18:])
        fam, mask = sas[2]
        fam2, addr = sas[5]
        assert fam == fam2
        if fam == 2:
            got.append((socket.inet_ntop(socket.AF_INET, addr[4:8]),
                        socket.inet_ntop(socket.AF_INET, mask[4:8])))
        else:
            assert fam == 24 and len(addr) == 28
            got.append((socket.inet_ntop(socket.AF_INET6, addr[8:24]),
                        socket.inet_ntop(socket.AF_INET6, mask[8:24])))
    assert got == [("127.0.0.1", "255.0.0.0"), ("::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")]


@pytest.mark.parametrize("af, index, types", [
    (2, 0, [RTM_OIFINFO, RTM_NEWADDR]), (24, 0, [RTM_OIFINFO, RTM_NEWADDR]),
    (0, 1, [RTM_OIFINFO, RTM_NEWADDR, RTM_NEWADDR]), (0, 7, [])])
def test_iflist_filters(env, af, index, types):
    err, data, n = sysctl(env, [CTL_NET, PF_ROUTE, 0, af, NET_RT_OIFLIST, index])
    assert err == 0 and [t for t, _ in messages(data)] == types


def test_iflist_size_and_short_buffer(env):
    err, _, need = sysctl(env, [CTL_NET, PF_ROUTE, 0, 0, NET_RT_OIFLIST, 0], size=0)
    assert err == 0 and need > 0x98
    err, data, n = sysctl(env, [CTL_NET, PF_ROUTE, 0, 0, NET_RT_OIFLIST, 0], size=64)
    assert err == abi.ENOMEM



# -- CTL_QUERY ------------------------------------------------------------------

CTL_QUERY, SYSCTL_VERS_1 = -2, 0x01000000
NODE = struct.Struct("<Ii32sII16sQQQQ")


def query(env, prefix, size=4096, version=SYSCTL_VERS_1):
    mib = list(prefix) + [CTL_QUERY]
    name = env.alloc(4 * len(mib), struct.pack(f"<{len(mib)}i", *mib))
    lenp = env.alloc(4, struct.pack("<I", size))
    buf = env.alloc(max(size, 1))
    q = env.alloc(NODE.size, NODE.pack(version, 0, b"", 0, 0, bytes(16), 0, 0, 0, 0))
    r = env.call("__sysctl", name, len(mib), buf if size else 0, lenp, q, NODE.size)
    n = struct.unpack("<I", env.read(lenp, 4))[0]
    nodes = {}
    if not r.error and size:
        data = env.read(buf, n)
        for off in range(0, n, NODE.size):
            flags, num, nm, *_rest, sz, _f, _p, _d = NODE.unpack_from(data, off)
            nodes[nm.rstrip(b"\0").decode()] = (num, flags, sz)
    return r.error, nodes, n


def test_query_names(env):
    err, top, n = query(env, [])
    assert err == 0 and n % 96 == 0
    assert top["kern"][0] == 1 and top["hw"][0] == 6 and top["net"][0] == 4
    assert top["kern"][1] == SYSCTL_VERS_1 | 1            # CTLTYPE_NODE
    err, kern, _ = query(env, [1])
    assert kern["hostname"][:2] == (10, SYSCTL_VERS_1 | 0x70 | 3)     # string, read-write
    assert kern["hostname"][2] == len(b"kw86\0")
    assert kern["ostype"][0] == 1 and kern["osrelease"][0] == 2 and kern["arandom"][0] == 81
    err, hw, _ = query(env, [6])
    assert hw["ncpu"] == (3, SYSCTL_VERS_1 | 2, 4) and hw["machine_arch"][0] == 10


def test_query_errors(env):
    assert query(env, [1, 10])[0] == abi.ENOTDIR           # a leaf
    assert query(env, [99])[0] == abi.ENOENT
    assert query(env, [1], version=0x05000000)[0] == abi.EINVAL
    err, nodes, need = query(env, [1], size=0)            # the size only
    assert err == 0 and need > 96
    assert query(env, [1], size=96)[0] == abi.ENOMEM
    err, vm, n = query(env, [2])                          # a node kw86 names nothing under
    assert err == 0 and n == 0
