"""File-system system calls against a temporary host root, an MFS and /dev.

Every call goes through the real dispatcher with arguments on a fake user
stack (tests/nbsd_env.py).
"""
import os
import struct

import pytest

from kw86.nbsd import abi
from kw86.nbsd.abi import (NBSD_O_APPEND, NBSD_O_CREAT, NBSD_O_EXCL, NBSD_O_RDONLY, NBSD_O_RDWR,
                           NBSD_O_TRUNC, NBSD_O_WRONLY, NBSD_O_CLOEXEC, NBSD_O_NONBLOCK)
from nbsd_env import Env

C = NBSD_O_CREAT | NBSD_O_WRONLY | NBSD_O_TRUNC


@pytest.fixture
def env(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    (root / "etc").mkdir()
    (root / "etc" / "motd").write_bytes(b"hello from the sysroot\n")
    return Env(root)


def test_read_write_roundtrip_hostfs(env, tmp_path):
    fd = env.ok("open", "/hello", C, 0o644)
    assert fd == 0
    assert env.write_fd(fd, b"abc" * 10000) == 30000
    env.ok("close", fd)
    host = tmp_path / "root" / "hello"
    assert host.read_bytes() == b"abc" * 10000
    assert oct(host.stat().st_mode & 0o777) == oct(0o644 & ~0o022)
    fd = env.ok("open", "/hello", NBSD_O_RDONLY, 0)
    assert env.read_fd(fd, 5) == b"abcab"
    assert env.ok("lseek", fd, 29998, abi.NBSD_SEEK_SET) == 29998
    assert env.read_fd(fd, 100) == b"bc"
    assert env.read_fd(fd, 100) == b""
    st = env.fstat(fd)
    assert st.size == 30000 and st.ino == host.stat().st_ino and st.nlink == 1
    assert st.mode == abi.NBSD_S_IFREG | 0o644


def test_buffer_cache_and_disk_cost(env):
    bc = env.sys.bufcache
    fd = env.ok("open", "/etc/motd", NBSD_O_RDONLY, 0)
    before = bc.stats["disk_cycles"]
    assert env.read_fd(fd, 100) == b"hello from the sysroot\n"
    cost = bc.stats["disk_cycles"] - before
    # one random block: 0.5 + 9.5 + 5.55 ms at 500 MHz, plus the transfer
    assert 7_700_000 < cost < 7_800_000
    env.ok("lseek", fd, 0, 0)
    env.read_fd(fd, 100)
    assert bc.stats["disk_cycles"] - before == cost          # a cache hit is free
    # the data lives in "physical memory"
    b = bc.incore(env.p.fdt.get(fd).vp, 0)
    assert env.sys.phys.read(b.paddr, 5) == b"hello"


def test_mfs_costs_nothing_and_has_real_inodes(env):
    bc = env.sys.bufcache
    before = bc.stats["disk_cycles"]
    fd = env.ok("open", "/tmp/a", C, 0o600)
    env.write_fd(fd, b"x" * 20000)
    env.ok("close", fd)
    assert bc.stats["disk_cycles"] == before
    st = env.stat("/tmp/a")
    assert st.size == 20000 and st.ino >= 3 and st.nlink == 1
    assert st.mtime == env.now and st.blksize == 8192
    assert env.stat("/tmp").ino == 2
    env.now += 5 * 10**9
    env.ok("link", "/tmp/a", "/tmp/b")
    assert env.stat("/tmp/a").nlink == 2 and env.stat("/tmp/b").ino == st.ino
    assert env.stat("/tmp/a").ctime == env.now
    env.ok("unlink", "/tmp/a")
    assert env.stat("/tmp/b").nlink == 1
    fd = env.ok("open", "/tmp/b", NBSD_O_RDONLY, 0)
    assert env.read_fd(fd, 3) == b"xxx"


def test_mfs_enospc(tmp_path):
    (tmp_path / "r").mkdir()
    env = Env(tmp_path / "r", mfs_size=64 * 1024)
    m = env.sys.mfs
    # newfs for 64K: 4K blocks, 512-byte fragments, 32 inodes (4K of table),
    # 60K of data space, of which the root directory takes a fragment; a
    # file past 12 blocks needs an indirect block: 13 blocks fit, 14 do not
    assert (m.bsize, m.frag, m.ninodes, m.dsize) == (4096, 512, 32, 60 * 1024)
    fd = env.ok("open", "/tmp/big", C, 0o644)
    n = env.ok("write", fd, env.alloc(40 * 1024), 40 * 1024)
    assert n == 40 * 1024
    k = env.ok("write", fd, env.alloc(20 * 1024), 20 * 1024)      # short
    assert 0 < k < 20 * 1024 and n + k <= 13 * 4096
    assert env.err("write", fd, env.alloc(16 * 1024), 16 * 1024) == abi.ENOSPC
    env.ok("ftruncate", fd, 0)
    assert m.used == 512                            # the root directory
    env.ok("lseek", fd, 0, 0)
    assert env.write_fd(fd, b"ok") == 2


def test_mfs_dirs_rename(env):
    env.ok("mkdir", "/tmp/d", 0o755)
    assert env.stat("/tmp").nlink == 3 and env.stat("/tmp/d").nlink == 2
    env.ok("mkdir", "/tmp/d/e", 0o755)
    assert env.err("rename", "/tmp/d", "/tmp/d/e/f") == abi.EINVAL
    assert env.err("rmdir", "/tmp/d") == abi.ENOTEMPTY
    fd = env.ok("open", "/tmp/d/file", C, 0o644)
    env.ok("close", fd)
    assert env.err("rename", "/tmp/d/file", "/tmp/d/e") == abi.EISDIR
    assert env.err("rename", "/tmp/d/e", "/tmp/d/file") == abi.ENOTDIR
    env.ok("rename", "/tmp/d/e", "/tmp/e2")
    assert env.stat("/tmp").nlink == 4 and env.stat("/tmp/d").nlink == 2
    env.ok("rename", "/tmp/d/file", "/tmp/e2/file")
    names = [n for _, _, n in env.readdir("/tmp/e2")]
    assert names == [b".", b"..", b"file"]
    assert env.err("rename", "/tmp/e2/file", "/etc/file") == abi.EXDEV
    env.ok("symlink", "e2/file", "/tmp/ln")
    assert env.stat("/tmp/ln", follow=False).mode & abi.NBSD_S_IFMT == abi.NBSD_S_IFLNK
    b = env.alloc(64)
    n = env.ok("readlink", "/tmp/ln", b, 64)
    assert env.read(b, n) == b"e2/file"


def test_getdents_order_offsets_and_mounts(env, tmp_path):
    for n in ("zeta", "alpha", "mid"):
        (tmp_path / "root" / n).write_bytes(b"")
    ents = env.readdir("/")
    names = [n for _, _, n in ents]
    assert names[:2] == [b".", b".."]
    assert names[2:] == sorted(names[2:])
    assert b"tmp" in names and b"dev" in names           # mount points appear
    assert ents[0][0] == ents[1][0] == env.stat("/").ino  # '..' of the root is itself
    # 1.5 layout gives the same names
    assert [n for _, _, n in env.readdir("/", "15")] == names
    # offsets are entry indexes usable with lseek
    fd = env.ok("open", "/", NBSD_O_RDONLY, 0)
    b = env.alloc(48)
    n = env.ok("__getdents30", fd, b, 48)
    first = abi.unpack_dirents(env.read(b, n))
    pos = env.ok("lseek", fd, 0, abi.NBSD_SEEK_CUR)
    assert pos == len(first)
    env.ok("lseek", fd, 0, abi.NBSD_SEEK_SET)
    n = env.ok("__getdents30", fd, b, 48)
    assert abi.unpack_dirents(env.read(b, n)) == first
    assert env.err("__getdents30", fd, b, 8) == abi.EINVAL
    assert env.err("read", fd, b, 10) == abi.EISDIR
    # ino of '..' inside a mount is the covering directory's
    ents = env.readdir("/tmp")
    assert ents[1][0] == env.stat("/").ino and ents[0][0] == 2


def test_fd_table_dup_fcntl_cloexec(env):
    fd = env.ok("open", "/etc/motd", NBSD_O_RDONLY | NBSD_O_CLOEXEC, 0)
    assert env.ok("fcntl", fd, abi.NBSD_F_GETFD, 0) == abi.NBSD_FD_CLOEXEC
    d = env.ok("dup", fd)
    assert d == fd + 1 and env.ok("fcntl", d, abi.NBSD_F_GETFD, 0) == 0
    env.read_fd(fd, 6)
    assert env.read_fd(d, 4) == b"from"                   # shared offset
    assert env.ok("dup2", fd, 10) == 10
    assert env.ok("fcntl", fd, abi.NBSD_F_DUPFD, 5) == 5
    assert env.ok("fcntl", fd, abi.NBSD_F_DUPFD_CLOEXEC, 5) == 6
    assert env.ok("fcntl", 6, abi.NBSD_F_GETFD, 0) == 1
    env.ok("fcntl", 6, abi.NBSD_F_SETFD, 0)
    assert env.ok("fcntl", 6, abi.NBSD_F_GETFD, 0) == 0
    assert env.ok("fcntl", fd, abi.NBSD_F_GETFL, 0) == NBSD_O_RDONLY
    env.ok("fcntl", fd, abi.NBSD_F_SETFL, NBSD_O_NONBLOCK | NBSD_O_APPEND)
    assert env.ok("fcntl", d, abi.NBSD_F_GETFL, 0) == NBSD_O_NONBLOCK | NBSD_O_APPEND
    assert env.err("dup2", 99, 3) == abi.EBADF
    assert env.err("close", 77) == abi.EBADF
    assert env.err("fcntl", fd, abi.NBSD_F_DUPFD, -1) == abi.EINVAL
    assert env.ok("fcntl", 0, abi.NBSD_F_MAXFD, 0) == 10
    env.ok("fcntl", 5, abi.NBSD_F_CLOSEM, 0)
    assert env.ok("fcntl", 0, abi.NBSD_F_MAXFD, 0) == 1
    env.p.fdt.exec_cloexec()
    assert not env.p.fdt.valid(fd) and env.p.fdt.valid(d)


def test_emfile(env):
    env.p.fdt.limit = 5
    for i in range(5):
        env.ok("open", "/etc/motd", 0, 0)
    assert env.err("open", "/etc/motd", 0, 0) == abi.EMFILE


def test_append_and_pread_pwrite(env):
    fd = env.ok("open", "/f", C, 0o644)
    env.write_fd(fd, b"0123456789")
    env.ok("close", fd)
    fd = env.ok("open", "/f", NBSD_O_WRONLY | NBSD_O_APPEND, 0)
    env.ok("lseek", fd, 0, 0)
    env.write_fd(fd, b"AB")
    fd2 = env.ok("open", "/f", NBSD_O_RDWR, 0)
    b = env.alloc(16)
    assert env.ok("pread", fd2, b, 16, 8) == 4 and env.read(b, 4) == b"89AB"
    assert env.ok("pwrite", fd2, env.alloc(2, b"xy"), 2, 1 << 33) == 2
    assert env.fstat(fd2).size == (1 << 33) + 2          # sparse, 64-bit offset
    assert env.ok("lseek", fd2, 0, abi.NBSD_SEEK_END) == (1 << 33) + 2
    assert env.ok("lseek", fd2, 0, abi.NBSD_SEEK_CUR) == (1 << 33) + 2
    assert env.err("lseek", fd2, -1, abi.NBSD_SEEK_SET) == abi.EINVAL
    env.ok("ftruncate", fd2, 3)
    assert env.ok("pread", fd2, b, 16, 0) == 3 and env.read(b, 3) == b"012"


def test_readv_writev(env):
    fd = env.ok("open", "/tmp/v", NBSD_O_CREAT | NBSD_O_RDWR, 0o644)
    a, b = env.alloc(3, b"abc"), env.alloc(4, b"defg")
    iov = env.alloc(16, struct.pack("<IIII", a, 3, b, 4))
    assert env.ok("writev", fd, iov, 2) == 7
    env.ok("lseek", fd, 0, 0)
    x, y = env.alloc(2), env.alloc(10)
    iov = env.alloc(16, struct.pack("<IIII", x, 2, y, 10))
    assert env.ok("readv", fd, iov, 2) == 7
    assert env.read(x, 2) == b"ab" and env.read(y, 5) == b"cdefg"
    assert env.err("readv", fd, iov, 5000) == abi.EINVAL


def test_pipes(env):
    r = env.call("pipe")
    assert r.error == 0
    rfd, wfd = r.eax, r.edx
    assert env.write_fd(wfd, b"ping") == 4
    assert env.read_fd(rfd, 100) == b"ping"
    blocked = env.call("read", rfd, env.alloc(4), 4)
    assert blocked.block is not None and blocked.error == 0   # would sleep
    env.ok("fcntl", rfd, abi.NBSD_F_SETFL, NBSD_O_NONBLOCK)
    assert env.err("read", rfd, env.alloc(4), 4) == abi.EAGAIN
    b = env.alloc(4)
    env.mem.copyout(b, b"\0\0\0\0")
    env.write_fd(wfd, b"xyz")
    env.ok("ioctl", rfd, abi.NBSD_FIONREAD, b)
    assert env.read(b, 4) == b"\3\0\0\0"
    st = env.fstat(rfd)
    assert st.mode & abi.NBSD_S_IFMT == abi.NBSD_S_IFIFO
    env.ok("close", wfd)
    assert env.read_fd(rfd, 10) == b"xyz"
    assert env.read_fd(rfd, 10) == b""                      # EOF, no writers
    r = env.call("pipe")
    env.ok("close", r.eax)
    assert env.err("write", r.edx, env.alloc(1), 1) == abi.EPIPE
    assert abi.NBSD_SIGPIPE in env.p.siglist
    # pipe2 writes the pair to memory
    fds = env.alloc(8)
    env.ok("pipe2", fds, NBSD_O_CLOEXEC)
    a, b = struct.unpack("<ii", env.read(fds, 8))
    assert env.ok("fcntl", a, abi.NBSD_F_GETFD, 0) == 1


def test_pipe_full_blocks(env):
    r = env.call("pipe")
    wfd = r.edx
    big = env.alloc(abi.PIPE_SIZE + 100)
    # a blocking write moves all its data: it sleeps with the count so far kept
    assert env.call("write", wfd, big, abi.PIPE_SIZE + 100).block is not None
    assert env.p.wpartial[1] == abi.PIPE_SIZE
    env.p.wpartial = None
    assert env.call("write", wfd, big, 10).block is not None
    env.ok("fcntl", wfd, abi.NBSD_F_SETFL, NBSD_O_NONBLOCK)
    assert env.err("write", wfd, big, 10) == abi.EAGAIN


def test_dev_nodes(env):
    fd = env.ok("open", "/dev/zero", NBSD_O_RDONLY, 0)
    b = env.alloc(8, b"\xff" * 8)
    assert env.ok("read", fd, b, 8) == 8 and env.read(b, 8) == bytes(8)
    fd = env.ok("open", "/dev/null", NBSD_O_RDWR | NBSD_O_TRUNC, 0)
    assert env.write_fd(fd, b"gone") == 4
    assert env.read_fd(fd, 10) == b""
    st = env.stat("/dev/null")
    assert st.mode & abi.NBSD_S_IFMT == abi.NBSD_S_IFCHR and st.rdev == (2 << 8 | 2)
    assert env.err("open", "/dev/tty", NBSD_O_RDWR, 0) == abi.ENXIO   # no console
    assert env.err("open", "/dev/newfile", C, 0o644) == abi.EPERM
    assert env.err("ioctl", fd, abi.NBSD_TIOCGETA, env.alloc(44)) == abi.ENOTTY


def test_dev_stdout_dups_fd1(env):
    env.ok("open", "/dev/null", NBSD_O_RDONLY, 0)               # fd 0
    fd1 = env.ok("open", "/tmp/out", C, 0o644)                   # fd 1
    fd = env.ok("open", "/dev/stdout", NBSD_O_WRONLY, 0)
    env.write_fd(fd, b"via /dev/stdout")
    assert env.p.fdt.get(fd) is env.p.fdt.get(fd1)
    assert env.stat("/tmp/out").size == 15
    assert env.err("open", "/dev/stdin", NBSD_O_WRONLY, 0) == abi.EACCES


def test_console_tty_ioctls(tmp_path):
    import pty
    from kw86.nbsd.tty import HostConsole
    master, slave = pty.openpty()
    try:
        (tmp_path / "r").mkdir()
        env = Env(tmp_path / "r", console=HostConsole(slave, slave))
        fd = env.ok("open", "/dev/tty", NBSD_O_RDWR, 0)
        b = env.alloc(44)
        env.ok("ioctl", fd, abi.NBSD_TIOCGETA, b)
        iflag, oflag, cflag, lflag, cc, isp, osp = abi.unpack_termios(env.read(b, 44))
        assert lflag & 0x100 and cc[abi.VINTR] == 3                 # ICANON, ^C
        env.ok("ioctl", fd, abi.NBSD_TIOCGWINSZ, b)
        assert env.call("read", fd, b, 10).block is not None      # no input: sleep
        os.write(master, b"hi\n")
        assert env.read_fd(fd, 10) == b"hi\n"
        env.write_fd(fd, b"out")
        import select
        got = b""
        while b"out" not in got and select.select([master], [], [], 2)[0]:
            got += os.read(master, 100)
        assert got.endswith(b"out")
    finally:
        os.close(master)
        os.close(slave)


def test_paths_and_cwd(env):
    env.ok("mkdir", "/tmp/a", 0o755)
    env.ok("mkdir", "/tmp/a/b", 0o755)
    env.ok("chdir", "/tmp/a/b")
    b = env.alloc(256)
    n = env.ok("__getcwd", b, 256)
    assert env.read(b, n) == b"/tmp/a/b\0"
    assert env.err("__getcwd", b, 5) == abi.ERANGE
    env.ok("chdir", "../..")
    n = env.ok("__getcwd", b, 256)
    assert env.read(b, n) == b"/tmp\0"
    fd = env.ok("open", "a", NBSD_O_RDONLY, 0)
    env.ok("chdir", "/")
    env.ok("fchdir", fd)
    n = env.ok("__getcwd", b, 256)
    assert env.read(b, n) == b"/tmp/a\0"
    assert env.err("chdir", "/etc/motd") == abi.ENOTDIR
    assert env.err("open", "/etc/motd/x", 0, 0) == abi.ENOTDIR
    assert env.err("open", "/nonexistent", 0, 0) == abi.ENOENT
    assert env.err("open", "", 0, 0) == abi.ENOENT
    assert env.err("open", "/" + "x" * 600, 0, 0) == abi.ENAMETOOLONG
    assert env.err("open", "/x" * 600, 0, 0) == abi.ENAMETOOLONG
    assert env.err("mkdir", "/tmp/a", 0o755) == abi.EEXIST
    assert env.err("unlink", "/tmp/a") == abi.EPERM
    assert env.err("rmdir", "/tmp/a/.") == abi.EINVAL
    assert env.err("rmdir", "/tmp") == abi.EBUSY
    assert env.err("open", "/tmp", NBSD_O_WRONLY, 0) == abi.EISDIR
    assert env.err("open", "/etc/motd", NBSD_O_CREAT | NBSD_O_EXCL, 0o644) == abi.EEXIST
    assert env.err("open", "/etc/motd", 0x40000000, 0) == abi.EINVAL


def test_symlink_loops_and_nofollow(env):
    env.ok("symlink", "l2", "/tmp/l1")
    env.ok("symlink", "l1", "/tmp/l2")
    assert env.err("open", "/tmp/l1", 0, 0) == abi.ELOOP
    env.ok("symlink", "/etc/motd", "/tmp/m")
    assert env.err("open", "/tmp/m", abi.NBSD_O_NOFOLLOW, 0) == abi.EFTYPE   # NetBSD's open(2)
    fd = env.ok("open", "/tmp/m", 0, 0)
    assert env.read_fd(fd, 5) == b"hello"
    # O_CREAT through a dangling link creates its target
    env.ok("symlink", "target", "/tmp/dangling")
    fd = env.ok("open", "/tmp/dangling", C, 0o644)
    assert env.stat("/tmp/target").ino == env.fstat(fd).ino


def test_attrs_chmod_chown_utimes_access(env, tmp_path):
    fd = env.ok("open", "/f", C, 0o644)
    env.ok("chmod", "/f", 0o600)
    assert (tmp_path / "root" / "f").stat().st_mode & 0o7777 == 0o600
    env.ok("fchmod", fd, 0o640)
    assert env.stat("/f").mode & 0o7777 == 0o640
    tv = env.alloc(24, abi.pack_timeval(1000, 5) + abi.pack_timeval(2000, 7))
    env.ok("__utimes50", "/f", tv)
    st = env.stat("/f")
    assert st.atime == 1000 * 10**9 + 5000 and st.mtime == 2000 * 10**9 + 7000
    tv15 = env.alloc(16, abi.pack_timeval(3000, 0, "15") + abi.pack_timeval(4000, 0, "15"))
    env.ok("utimes", "/f", tv15)
    assert env.stat("/f").mtime == 4000 * 10**9
    env.ok("__utimes50", "/f", 0)
    assert env.stat("/f").mtime == env.now
    env.ok("access", "/f", abi.NBSD_R_OK | abi.NBSD_W_OK)
    assert env.err("access", "/f", abi.NBSD_X_OK) == abi.EACCES    # root needs an x bit
    assert env.err("access", "/f", 8) == abi.EINVAL
    uid = os.getuid()
    env.ok("chown", "/f", uid, 0xffffffff)                         # no-op for this host
    env.ok("umask", 0o077)
    assert env.ok("umask", 0o022) == 0o077


def test_stat13_compat_and_gettimeofday(env):
    b = env.alloc(96)
    env.ok("__stat13", "/etc/motd", b)
    a = abi.Attr()
    dev, ino, mode, nlink = struct.unpack_from("<IIII", env.read(b, 96))
    assert mode == abi.NBSD_S_IFREG | (os.stat(env.sys.vfs.root_mount.hostroot + "/etc/motd").st_mode & 0o7777)
    tv = env.alloc(12)
    env.ok("__gettimeofday50", tv, 0)
    assert struct.unpack("<qi", env.read(tv, 12)) == (env.now // 10**9, 0)
    env.ok("gettimeofday", tv, 0)
    assert struct.unpack("<ii", env.read(tv, 8))[0] == env.now // 10**9
    ts = env.alloc(12)
    env.ok("__clock_gettime50", 0, ts)
    assert struct.unpack("<qi", env.read(ts, 12))[0] == env.now // 10**9
    assert env.err("__clock_gettime50", 99, ts) == abi.EINVAL
    del a


def test_non_root_permissions(env, tmp_path):
    from kw86.nbsd.vfs import Cred
    env.ok("umask", 0)
    env.ok("mkdir", "/tmp/private", 0o700)
    fd = env.ok("open", "/tmp/private/secret", C, 0o600)
    env.write_fd(fd, b"s3cret")
    env.ok("mkdir", "/tmp/pub", 0o777)
    env.ok("chmod", "/tmp/pub", 0o1777)                # mkdir masks with ACCESSPERMS
    env.p.cred = Cred(1000, 100)
    assert env.err("open", "/tmp/private/secret", 0, 0) == abi.EACCES
    assert env.err("__stat50", "/tmp/private/secret", env.alloc(124)) == abi.EACCES
    assert env.err("chmod", "/tmp/private", 0o777) == abi.EPERM
    fd = env.ok("open", "/tmp/pub/mine", C, 0o644)
    assert env.stat("/tmp/pub/mine").uid == 1000
    assert env.err("chmod", "/tmp/pub/mine", 0o1644) == abi.EFTYPE
    assert env.err("chown", "/tmp/pub/mine", 0, 0xffffffff) == abi.EPERM
    env.p.cred = Cred(0, 0)
    fd = env.ok("open", "/tmp/pub/roots", C, 0o666)
    env.p.cred = Cred(1000, 100)
    assert env.err("unlink", "/tmp/pub/roots") == abi.EPERM         # sticky dir
    assert env.err("setuid", 0) == abi.EPERM
    r = env.call("getuid")
    assert (r.eax, r.edx) == (1000, 1000)


def test_identity(env):
    r = env.call("getpid")
    assert (r.eax, r.edx) == (1, 0)
    b = env.alloc(64)
    assert env.ok("getgroups", 0, 0) == 1
    assert env.ok("getgroups", 16, b) == 1
    assert env.ok("issetugid") == 0
    env.ok("setgid", 5)
    assert env.ok("getegid") == 5
    n = env.ok("__getlogin", b, 64)
    assert env.read(b, 5) == b"root\0" and n == 0


def test_efault_never_raises(env):
    assert env.err("open", 0xdead0000, 0, 0) == abi.EFAULT
    assert env.err("__stat50", "/etc/motd", 0xbfff0000) == abi.EFAULT
    fd = env.ok("open", "/etc/motd", 0, 0)
    assert env.err("read", fd, 0xc0001000, 10) == abi.EFAULT
    assert env.err("write", fd, 5, 10) == abi.EFAULT
    env.sp = 0xfffffff0                                # the stack itself is wild
    from kw86.nbsd.syscalls import dispatch
    assert dispatch(env.p, 3, 0xfffffff0).error == abi.EFAULT


def test_enosys_once_and_sigsys(env, capsys):
    import io
    env.sys.stderr = io.StringIO()
    from kw86.nbsd.syscalls import dispatch
    assert dispatch(env.p, 26, env.sp).error == abi.ENOSYS             # ptrace: not yet
    assert dispatch(env.p, 26, env.sp).error == abi.ENOSYS
    assert env.sys.stderr.getvalue() == "kw86: syscall 26 (ptrace) not implemented\n"
    assert dispatch(env.p, 509, env.sp).error == abi.ENOSYS            # undefined
    assert env.p.siglist == [abi.NBSD_SIGSYS]


def test_indirect_syscall(env):
    # syscall(SYS_getpid): the number is the first stack word
    env.mem.copyout(env.sp + 4, struct.pack("<I", 20))
    from kw86.nbsd.syscalls import dispatch
    assert dispatch(env.p, 0, env.sp).eax == 1
    env.mem.copyout(env.sp + 4, struct.pack("<II", 20, 0))
    assert dispatch(env.p, 198, env.sp).eax == 1


def test_strace_lines(env):
    import io
    env.sys.strace = io.StringIO()
    env.ok("open", "/etc/motd", 0, 0)
    env.err("open", "/nope", 0, 0)
    out = env.sys.strace.getvalue().splitlines()
    # kdump's columns: pid, lid (%6d each), the command, the record
    pid, lid = out[0].split()[:2]
    assert (int(pid), int(lid)) == (env.p.pid, env.p.l.lid), out[0]
    assert out[0][:14] == f"{env.p.pid:6d} {env.p.l.lid:6d} ", out[0]
    assert 'CALL  open("/etc/motd",0x0,0)' in out[0] or 'CALL  open("/etc/motd",0,0)' in out[0]
    assert out[1].endswith("RET   open 0")
    assert out[3].endswith("RET   open -1 errno 2 No such file or directory")


def test_bind_mount_readonly(tmp_path):
    (tmp_path / "r").mkdir()
    data = tmp_path / "data"
    data.mkdir()
    (data / "f").write_bytes(b"bound")
    env = Env(tmp_path / "r", binds=[f"{data}:/mnt:ro"])
    fd = env.ok("open", "/mnt/f", 0, 0)
    assert env.read_fd(fd, 10) == b"bound"
    assert env.err("open", "/mnt/f", NBSD_O_WRONLY, 0) == abi.EROFS
    assert env.err("open", "/mnt/new", C, 0o644) == abi.EROFS
    assert env.err("unlink", "/mnt/f") == abi.EROFS
    assert env.err("mkdir", "/mnt/d", 0o755) == abi.EROFS
    assert env.err("chmod", "/mnt/f", 0o777) == abi.EROFS
    assert not (data / "new").exists() and (data / "f").read_bytes() == b"bound"
    env.ok("chdir", "/mnt")
    env.ok("chdir", "..")
    b = env.alloc(64)
    n = env.ok("__getcwd", b, 64)
    assert env.read(b, n) == b"/\0"


def test_host_changes_seen_after_reopen(env, tmp_path):
    fd = env.ok("open", "/etc/motd", NBSD_O_RDONLY, 0)
    assert env.read_fd(fd, 5) == b"hello"
    env.ok("close", fd)
    p = tmp_path / "root" / "etc" / "motd"
    p.write_bytes(b"changed on the host, longer than before\n")
    os.utime(p, ns=(1, 2))
    fd = env.ok("open", "/etc/motd", NBSD_O_RDONLY, 0)
    assert env.read_fd(fd, 7) == b"changed"


def _sysctl(env, mib, have=256):
    name = env.alloc(4 * len(mib), struct.pack(f"<{len(mib)}i", *mib))
    old = env.alloc(have)
    lenp = env.alloc(4, struct.pack("<I", have))
    r = env.call("__sysctl", name, len(mib), old, lenp, 0, 0)
    n = struct.unpack("<I", env.read(lenp, 4))[0]
    return r.error, env.read(old, min(n, have)), n


def test_sysctl(env):
    assert _sysctl(env, [abi.CTL_KERN, abi.KERN_OSTYPE])[1] == b"NetBSD\0"
    assert _sysctl(env, [abi.CTL_HW, abi.HW_MACHINE])[1] == b"i386\0"
    assert _sysctl(env, [abi.CTL_HW, abi.HW_PAGESIZE])[1] == struct.pack("<i", 4096)
    assert _sysctl(env, [abi.CTL_KERN, abi.KERN_OSREV])[1] == struct.pack("<i", 1000000000)
    err, data, n = _sysctl(env, [abi.CTL_KERN, abi.KERN_OSTYPE], have=3)
    assert err == abi.ENOMEM and data == b"Net" and n == 7
    assert _sysctl(env, [abi.CTL_KERN, 9999])[0] == abi.ENOENT
    a = _sysctl(env, [abi.CTL_KERN, abi.KERN_ARND], have=16)[1]
    b = _sysctl(env, [abi.CTL_KERN, abi.KERN_ARND], have=16)[1]
    assert len(a) == 16 and a != b
    # size query: oldp NULL
    name = env.alloc(8, struct.pack("<ii", abi.CTL_KERN, abi.KERN_HOSTNAME))
    lenp = env.alloc(4, b"\0\0\0\0")
    env.ok("__sysctl", name, 2, 0, lenp, 0, 0)
    assert struct.unpack("<I", env.read(lenp, 4))[0] == 5
    new = env.alloc(6, b"box1\0")
    env.ok("__sysctl", name, 2, 0, 0, new, 5)
    assert _sysctl(env, [abi.CTL_KERN, abi.KERN_HOSTNAME])[1] == b"box1\0"


def test_rlimits(env):
    b = env.alloc(16)
    env.ok("getrlimit", abi.NBSD_RLIMIT_NOFILE, b)
    assert abi.unpack_rlimit(env.read(b, 16)) == (abi.OPEN_MAX, 3404)
    env.mem.copyout(b, abi.pack_rlimit(4, 3404))
    env.ok("setrlimit", abi.NBSD_RLIMIT_NOFILE, b)
    for _ in range(4):
        env.ok("open", "/etc/motd", 0, 0)
    assert env.err("open", "/etc/motd", 0, 0) == abi.EMFILE
    env.mem.copyout(b, abi.pack_rlimit(10, 5))
    assert env.err("setrlimit", abi.NBSD_RLIMIT_NOFILE, b) == abi.EINVAL
    ru = env.alloc(80)
    env.ok("__getrusage50", 0, ru)
    assert env.ok("_lwp_self") == 1 and env.ok("sched_yield") == 0


def test_poll_and_select_on_pipes(env):
    from kw86.nbsd.syscalls.poll import POLLIN, POLLOUT, POLLHUP, POLLNVAL, PollWait
    r = env.call("pipe")
    rfd, wfd = r.eax, r.edx
    ffd = env.ok("open", "/etc/motd", 0, 0)
    fds = env.alloc(32, struct.pack("<ihh", rfd, POLLIN, 0) + struct.pack("<ihh", wfd, POLLOUT, 0)
                    + struct.pack("<ihh", ffd, POLLIN, 0) + struct.pack("<ihh", 99, POLLIN, 0))
    assert env.ok("poll", fds, 4, 0) == 3
    revs = [struct.unpack_from("<ihh", env.read(fds, 32), 8 * i)[2] for i in range(4)]
    assert revs == [0, POLLOUT, POLLIN, POLLNVAL]
    one = env.alloc(8, struct.pack("<ihh", rfd, POLLIN, 0))
    blocked = env.call("poll", one, 1, -1)
    assert isinstance(blocked.block, PollWait) and blocked.block.timeout_ns is None
    assert env.call("poll", one, 1, 250).block.timeout_ns == 250_000_000
    env.p.poll_timedout = True                      # the scheduler's timer fired
    assert env.ok("poll", one, 1, 250) == 0
    env.write_fd(wfd, b"x")
    assert env.ok("poll", one, 1, -1) == 1
    # select: readable pipe and file, writable pipe
    rset = env.alloc(4, struct.pack("<I", (1 << rfd) | (1 << ffd)))
    wset = env.alloc(4, struct.pack("<I", 1 << wfd))
    tv = env.alloc(12, abi.pack_timeval(0, 0))
    assert env.ok("__select50", 10, rset, wset, 0, tv) == 3
    assert struct.unpack("<I", env.read(rset, 4))[0] == (1 << rfd) | (1 << ffd)
    env.ok("close", wfd)
    one = env.alloc(8, struct.pack("<ihh", rfd, POLLIN, 0))
    env.read_fd(rfd, 1)
    assert env.ok("poll", one, 1, -1) == 1
    assert struct.unpack("<ihh", env.read(one, 8))[2] & POLLHUP
    bad = env.alloc(4, struct.pack("<I", 1 << 9))
    assert env.err("__select50", 10, bad, 0, 0, tv) == abi.EBADF


@pytest.mark.parametrize("where", ["/", "/tmp/"])
def test_mkfifo(env, tmp_path, where):
    """mkfifo(2) makes a FIFO (host or MFS); opening one opens kw86's own
    pipe (never a host open that could block the emulator): a reader with
    O_NONBLOCK at once, a writer with O_NONBLOCK and no reader ENXIO
    (test_nbsd_fifo.py has the rest)."""
    env.ok("mkfifo", where + "ff", 0o666)
    st = env.stat(where + "ff")
    assert st.mode == abi.NBSD_S_IFIFO | 0o644              # umask 022
    assert env.err("mkfifo", where + "ff", 0o666) == abi.EEXIST
    assert env.err("open", where + "ff", abi.NBSD_O_WRONLY | abi.NBSD_O_NONBLOCK, 0) == abi.ENXIO
    env.ok("close", env.ok("open", where + "ff", NBSD_O_RDONLY | abi.NBSD_O_NONBLOCK, 0))
    assert [t for _, t, n in env.readdir(where) if n == b"ff"] == [abi.NBSD_DT_FIFO]
    if where == "/":
        import stat
        assert stat.S_ISFIFO(os.lstat(env.root / "ff").st_mode)
    assert env.err("mkfifo", "/dev/ff", 0o666) == abi.EPERM
    env.ok("unlink", where + "ff")


def test_kernel_cost_table_charges(tmp_path):
    """With a [kernel] table: namei per component, getdents per entry,
    buffer-cache lookups and the per-byte copy are charged and counted."""
    charged = []
    e = Env(tmp_path, kcosts=dict(namei_component=100, getdents_entry=10, bcache_lookup=7),
            charge=charged.append)
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "f").write_bytes(b"x" * 100)
    e.sys.kcycles = 0
    e.stat("/a/f")
    assert e.sys.kcycles == 200                             # 2 components
    e.sys.kcycles = 0
    fd = e.ok("open", "/a/f", NBSD_O_RDONLY, 0)
    e.read_fd(fd, 100)
    assert e.sys.kcycles == 200 + 7                         # open's namei + one block
    e.sys.kcycles = 0
    n = len(e.readdir("/a"))
    assert e.sys.kcycles == 100 + 10 * n                    # open + entries
    assert sum(charged) > 0
    with pytest.raises(ValueError):
        Env(tmp_path, kcosts=dict(nonsense=1))
