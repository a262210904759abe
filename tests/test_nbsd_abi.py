"""NetBSD/i386 structure layouts and guest<->host translation."""
import errno
import os
import struct

import pytest

from kw86.nbsd import abi
from kw86.nbsd.errors import Errno


def test_struct_sizes():
    a = abi.Attr(mode=abi.NBSD_S_IFREG | 0o644, ino=1 << 40, size=5, atime=3 * 10**9 + 7)
    assert len(abi.pack_stat50(a)) == 124
    assert len(abi.pack_stat13(a)) == 96
    assert len(abi.pack_termios()) == 44
    assert len(abi.pack_winsize(24, 80)) == 8
    assert len(abi.pack_rlimit(1, 2)) == 16
    assert len(abi.pack_sigaction(1, 2, 3)) == abi.SIGACTION_SIZE == 24
    assert len(abi.pack_sigset(1)) == 16
    assert len(abi.pack_ucontext({})) == 776
    assert len(abi.pack_siginfo(11)) == 128
    assert len(abi.pack_sigcontext({r: 0 for r in abi.SIGCONTEXT_REGS})) == 96
    assert len(abi.pack_rusage()) == 80 and len(abi.pack_rusage(abi="15")) == 72
    assert len(abi.pack_timespec(1, 2)) == 12 and len(abi.pack_timespec(1, 2, "15")) == 8


def test_stat50_offsets():
    a = abi.Attr(dev=0x11, mode=0o100644, ino=0x123456789, nlink=3, uid=1000, gid=100,
                 rdev=7, size=0x1_0000_0001, blocks=9, blksize=4096,
                 atime=10 * 10**9 + 1, mtime=20 * 10**9 + 2, ctime=30 * 10**9 + 3,
                 birthtime=40 * 10**9 + 4, flags=5, gen=6)
    b = abi.pack_stat50(a)
    assert struct.unpack_from("<Q", b, 0)[0] == 0x11
    assert struct.unpack_from("<I", b, 8)[0] == 0o100644
    assert struct.unpack_from("<Q", b, 12)[0] == 0x123456789
    assert struct.unpack_from("<III", b, 20) == (3, 1000, 100)
    assert struct.unpack_from("<Q", b, 32)[0] == 7
    assert struct.unpack_from("<qi", b, 40) == (10, 1)
    assert struct.unpack_from("<qi", b, 52) == (20, 2)
    assert struct.unpack_from("<qi", b, 76) == (40, 4)
    assert struct.unpack_from("<q", b, 88)[0] == 0x1_0000_0001
    assert struct.unpack_from("<qiII", b, 96) == (9, 4096, 5, 6)
    back = abi.unpack_stat50(b)
    assert (back.ino, back.size, back.mtime) == (a.ino, a.size, a.mtime)


def test_stat13_offsets():
    a = abi.Attr(dev=1, mode=0o40755, ino=77, nlink=2, uid=3, gid=4, size=99,
                 atime=5 * 10**9, mtime=6 * 10**9 + 60, ctime=7 * 10**9)
    b = abi.pack_stat13(a)
    assert struct.unpack_from("<IIII", b, 0) == (1, 77, 0o40755, 2)
    assert struct.unpack_from("<ii", b, 36) == (6, 60)
    assert struct.unpack_from("<q", b, 52)[0] == 99


def test_dirents():
    r = abi.pack_dirent(5, abi.NBSD_DT_REG, b"hello")
    assert len(r) == abi.dirent_reclen(5) == 24 and len(r) % 8 == 0
    assert struct.unpack_from("<QHHB", r) == (5, 24, 5, abi.NBSD_DT_REG)
    assert r[13:19] == b"hello\0"
    r12 = abi.pack_dirent(5, abi.NBSD_DT_DIR, b"ab", "15")
    assert len(r12) == 12 and struct.unpack_from("<IHBB", r12) == (5, 12, abi.NBSD_DT_DIR, 2)
    assert abi.unpack_dirents(r + r, "10") == [(5, 8, b"hello")] * 2


def test_ioctl_numbers():
    assert abi.NBSD_TIOCGETA == 0x402c7413
    assert abi.NBSD_TIOCSETA == 0x802c7414
    assert abi.NBSD_TIOCGWINSZ == 0x40087468
    assert abi.NBSD_TIOCSWINSZ == 0x80087467
    assert abi.NBSD_FIONREAD == 0x4004667f


def test_selectors_and_layout():
    assert (abi.KCODE, abi.KDATA, abi.UCODE, abi.UDATA, abi.UFS, abi.UGS) == \
        (0x08, 0x10, 0x17, 0x1f, 0xab, 0xb3)
    assert abi.KERNBASE == 0xc0000000 and abi.USRSTACK == 0xbfc00000
    assert abi.w_exitcode(3) == 0x300 and abi.w_termsig(11) == 11 and abi.w_stopcode(17) == 0x117f


def test_sigset_bits():
    m = abi.sigbit(1) | abi.sigbit(33)
    b = abi.pack_sigset(m)
    assert struct.unpack("<4I", b) == (1, 1, 0, 0)
    assert abi.unpack_sigset(b) == m


def test_ucontext_roundtrip():
    regs = {n: i + 1 for i, n in enumerate(abi.GREG_NAMES)}
    uc = abi.unpack_ucontext(abi.pack_ucontext(regs, sigmask=abi.sigbit(2), tlsbase=0x1234))
    assert uc["regs"] == regs and uc["sigmask"] == 2 and uc["tlsbase"] == 0x1234
    assert struct.unpack_from("<I", abi.pack_ucontext(regs), 36 + 4 * 14)[0] == regs["eip"]


def test_xlat_errno():
    assert abi.xlat_errno(OSError(errno.ENOENT, "x")) == abi.ENOENT
    assert abi.xlat_errno(OSError(errno.EAGAIN, "x")) == abi.EAGAIN == 35
    assert abi.xlat_errno(OSError(errno.ENOTEMPTY, "x")) == 66
    assert abi.xlat_errno(OSError(errno.ELOOP, "x")) == 62
    assert abi.xlat_errno(OSError(errno.ENOSYS, "x")) == 78
    assert abi.xlat_errno(12345) == abi.EIO


def test_xlat_open_flags():
    h = abi.xlat_open_flags(abi.NBSD_O_RDWR | abi.NBSD_O_CREAT | abi.NBSD_O_EXCL | abi.NBSD_O_APPEND)
    assert h == os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_APPEND
    assert abi.xlat_open_flags(abi.NBSD_O_DIRECTORY) == os.O_DIRECTORY
    with pytest.raises(Errno) as e:
        abi.xlat_open_flags(0x40000000)
    assert e.value.errno == abi.EINVAL
    with pytest.raises(Errno):
        abi.xlat_open_flags(3)


def test_xlat_modes():
    import stat
    assert abi.xlat_mode_from_host(stat.S_IFDIR | 0o755) == abi.NBSD_S_IFDIR | 0o755
    assert abi.xlat_mode_from_host(stat.S_IFLNK | 0o777) == abi.NBSD_S_IFLNK | 0o777
    assert abi.xlat_perm_to_host(0o4755) == stat.S_ISUID | 0o755
    with pytest.raises(Errno):
        abi.xlat_perm_to_host(abi.NBSD_S_IFREG | 0o644)
