"""Raw IP sockets over the guest's loopback (issue 11: Go's net
TestIPConnLocalName, TestIPConnRemoteName, TestIPConnSpecificMethods;
kw86/nbsd/socket.py ip_input, Socket._send_raw).

tests/guest/rawsock.c, as a user process and as a kernelware: the kernel
answers an ICMP echo request to 127.0.0.1 and the raw socket reads the reply
with the IPv4 header (sums checked in the guest), the request itself is not
passed to raw sockets (BSD), a bad ICMP sum gets no answer; per-protocol
delivery (protocol 0 gets everything, a connected socket only its peer's);
an IPPROTO_TCP raw socket opens, binds, connects and closes; the errors
(ENETUNREACH, EDESTADDRREQ, EISCONN, EMSGSIZE, EPROTONOSUPPORT, EPERM for a
non-root user as kauth's RAWSOCK denial); ICMPv6 echo over ::1 with the
kernel's checksum.  The guest prints "FAIL <line>: ..." for each wrong
answer and "ok <checks>" at the end.
"""
import os

import pytest

from buildreq import built, fail_build
from nbsd_env import SYSROOT, guest_program

pytestmark = built(os.path.exists(os.path.join(SYSROOT, "bin", "sh")), "the userland sysroot")


@pytest.mark.parametrize("kernelware", [False, True], ids=["user", "kernelware"])
def test_raw_sockets(tmp_path, kernelware):
    from kw86.nbsd.kernel import Kernel
    path = guest_program("rawsock")
    if path is None:
        fail_build(guest_program.why)
    with open(path, "rb") as f:
        image = f.read()
    out = tmp_path / "out"
    with open(out, "wb") as f, open(os.devnull, "rb") as null:
        k = Kernel(SYSROOT, stdin=null.fileno(), stdout=f.fileno(), stderr=f.fileno(),
                   epoch_ns=0)
        try:
            k.spawn(b"/rawsock", [b"rawsock"], [b"PATH=/bin"], kernelware, host_image=image)
            status = k.run(max_instructions=200_000_000)
        finally:
            k.close()
    text = out.read_text()
    assert text == "ok 38\n", text
    assert status == 0


def test_raw_socket_unit_echo_and_delivery():
    """socket.ip_input directly: an echo reply, its sums, the counters."""
    import struct
    from kw86.nbsd import socket as so

    class Cred:
        euid = egid = ruid = rgid = 0
        groups = ()

    net = so.Net()
    a = so.Socket(net, so.AF_INET, so.SOCK_RAW, so.IPPROTO_ICMP, Cred())
    b = so.Socket(net, so.AF_INET, so.SOCK_RAW, 47, Cred())
    req = bytes((8, 0, 0, 0, 0, 1, 0, 2)) + b"abc"
    req = req[:2] + struct.pack("!H", so.in_cksum(req)) + req[4:]
    so.ip_input(net, "4", so.LOOP4, bytes((127, 0, 0, 5)), so.IPPROTO_ICMP, req)
    assert len(a.rq) == 1 and not b.rq
    data, frm, ctl = a.rq[0]
    assert so.in_cksum(data[:20]) == 0 and so.in_cksum(data[20:]) == 0
    assert data[12:16] == bytes((127, 0, 0, 5)) and data[16:20] == so.LOOP4
    assert data[20] == so.ICMP_ECHOREPLY and data[24:] == req[4:]
    assert frm == so.pack_inet(so.AF_INET, "4", bytes((127, 0, 0, 5)), 0)
    # a full receive buffer drops (SO_OVERFLOWED counts)
    for _ in range(so.SPACE[("raw", "rcv")] // 31 + 2):
        so.ip_input(net, "4", so.LOOP4, so.LOOP4, 47, b"x" * 11)
    assert b.rq_bytes <= b.rcvbuf and b.overflowed > 0
    b.close_final()
    so.ip_input(net, "4", so.LOOP4, so.LOOP4, 47, b"y")
    assert b.closed
