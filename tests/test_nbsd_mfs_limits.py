"""The MFS counts space and inodes as NetBSD's newfs/mount_mfs would lay them
out (issue 13 item 9), and creating a file costs the same with 10 or 10,000
files in the directory.

Facts from NetBSD's newfs(8): block/fragment sizes 4K/512 below 20 MB,
8K/1K below 1 GB, 16K/2K above; one inode per 4 fragments of space;
UFS1 keeps symbolic links shorter than 60 bytes in the inode and gives a
file of at most 12 blocks a fragment tail.
"""
import random
import struct
import time

import pytest

from kw86.nbsd import abi
from kw86.nbsd.vfs.mfs import MfsMount, newfs_geometry
from nbsd_env import Env

C = abi.NBSD_O_CREAT | abi.NBSD_O_WRONLY


def statvfs(env, path):
    b = env.alloc(2048)
    env.ok("__statvfs190", path, b, 0)
    f = struct.unpack_from("<4I8Q", env.read(b, 80))
    return dict(bsize=f[1], frsize=f[2], blocks=f[4], bfree=f[5], files=f[8], ffree=f[9])


@pytest.fixture
def small(tmp_path):
    (tmp_path / "r").mkdir()
    return Env(tmp_path / "r", mfs_size=1 << 20)


def test_newfs_geometry_follows_the_manual():
    assert newfs_geometry(1 << 20) == (4096, 512, 2048)
    assert newfs_geometry(32 << 20) == (8192, 1024, 4096)
    assert newfs_geometry(2 << 30) == (16384, 2048, 8192)
    m = MfsMount(32 << 20)
    assert m.ninodes == 8192 and m.bsize == 8192 and m.frag == 1024


def test_inodes_run_out_with_enospc_and_come_back(small):
    env = small
    m = env.sys.mfs
    assert m.ninodes == 512                         # 1 MiB / 2 KiB
    st = statvfs(env, "/tmp")
    assert st["files"] == 512 and st["ffree"] == 512 - 3    # 0, 1 reserved; 2 the root
    made = 0
    while True:
        r = env.call("open", f"/tmp/f{made}", C, 0o644)
        if r.error:
            assert r.error == abi.ENOSPC
            break
        env.ok("close", r.eax)
        made += 1
    assert made == 509
    assert statvfs(env, "/tmp")["ffree"] == 0
    assert env.err("mkdir", "/tmp/d", 0o755) == abi.ENOSPC
    assert env.err("symlink", "x", "/tmp/l") == abi.ENOSPC
    assert env.err("mkfifo", "/tmp/p", 0o644) == abi.ENOSPC
    ino = env.stat("/tmp/f7").ino
    env.ok("unlink", "/tmp/f7")
    assert statvfs(env, "/tmp")["ffree"] == 1
    env.ok("mkdir", "/tmp/d", 0o755)                # the freed inode, lowest first
    assert env.stat("/tmp/d").ino == ino


def test_an_open_unlinked_file_keeps_its_inode(small):
    env = small
    fd = env.ok("open", "/tmp/a", C, 0o644)
    env.write_fd(fd, b"x" * 5000)
    before = statvfs(env, "/tmp")
    env.ok("unlink", "/tmp/a")
    assert statvfs(env, "/tmp") == before           # still held
    env.ok("close", fd)
    after = statvfs(env, "/tmp")
    assert after["ffree"] == before["ffree"] + 1
    assert after["bfree"] > before["bfree"]


def test_space_is_counted_as_ffs_does(small):
    env = small
    m = env.sys.mfs
    st0 = statvfs(env, "/tmp")
    assert st0["blocks"] * st0["frsize"] == m.dsize == (1 << 20) - 512 * 128
    # a small file: fragments of its size
    fd = env.ok("open", "/tmp/small", C, 0o644)
    env.write_fd(fd, b"s" * 700)
    env.ok("close", fd)
    assert env.stat("/tmp/small").blocks == 2       # two 512-byte fragments
    # a short symlink lives in its inode, a long one takes fragments
    env.ok("symlink", "short", "/tmp/l1")
    env.ok("symlink", "t" * 100, "/tmp/l2")
    assert env.stat("/tmp/l1", follow=False).blocks == 0
    assert env.stat("/tmp/l2", follow=False).blocks == 1
    # a FIFO takes an inode only
    env.ok("mkfifo", "/tmp/p", 0o644)
    assert env.stat("/tmp/p", follow=False).blocks == 0
    # a file past 12 blocks has an indirect block
    fd = env.ok("open", "/tmp/big", C, 0o644)
    env.write_fd(fd, b"b" * (13 * 4096))
    env.ok("close", fd)
    assert env.stat("/tmp/big").blocks * 512 == 14 * 4096
    # a directory takes space as it grows
    env.ok("mkdir", "/tmp/d", 0o755)
    assert env.stat("/tmp/d").size == 512 and env.stat("/tmp/d").blocks == 1
    for i in range(40):
        env.ok("symlink", "x", f"/tmp/d/name-number-{i:04d}")
    # '.' and '..' 12 bytes each, 40 entries of 8 + 16 + 1 bytes rounded to 28
    assert 24 + 40 * 28 == 1144
    assert env.stat("/tmp/d").size == 1536 and env.stat("/tmp/d").blocks == 3
    used = sum(env.stat(p, follow=False).blocks * 512 for p in
               ["/tmp", "/tmp/small", "/tmp/l1", "/tmp/l2", "/tmp/p", "/tmp/big", "/tmp/d"])
    st = statvfs(env, "/tmp")
    assert (st0["bfree"] - st["bfree"]) * st["frsize"] == used - 512   # /tmp held 1 before


def test_accounting_stays_exact_under_random_operations(small):
    env = small
    m = env.sys.mfs
    rnd = random.Random(13)
    names = [f"/tmp/{a}" for a in "abcdefgh"] + [f"/tmp/d{i}/{a}" for i in range(3)
                                                 for a in "xyz"]
    fds = []
    for _ in range(3000):
        p, q = rnd.choice(names), rnd.choice(names)
        op = rnd.randrange(9)
        if op == 0:
            env.call("mkdir", rnd.choice(["/tmp/d0", "/tmp/d1", "/tmp/d2", p]), 0o755)
        elif op == 1:
            r = env.call("open", p, C | abi.NBSD_O_NONBLOCK, 0o644)
            if not r.error and r.block is None:
                env.call("write", r.eax, env.alloc(1), 1)
                env.call("ftruncate", r.eax, rnd.randrange(0, 70000))
                if len(fds) < 5:
                    fds.append(r.eax)
                else:
                    env.call("close", r.eax)
        elif op == 2:
            env.call("unlink", p)
        elif op == 3:
            env.call("rmdir", rnd.choice(["/tmp/d0", "/tmp/d1", "/tmp/d2", p]))
        elif op == 4:
            env.call("rename", p, q)
        elif op == 5:
            env.call("symlink", "t" * rnd.choice([3, 80]), p)
        elif op == 6:
            env.call("link", p, q)
        elif op == 7 and fds:
            env.call("close", fds.pop(rnd.randrange(len(fds))))
        elif op == 8:
            env.call("mkfifo", p, 0o644)
    for fd in fds:
        env.ok("close", fd)
    # walk what is left: every live inode once, its space, and the root's
    seen = {}

    def walk(vp):
        seen[id(vp)] = vp
        if vp.entries:
            for child in vp.entries.values():
                if id(child) not in seen:
                    walk(child)
    walk(m.root)
    assert sum(v.space for v in seen.values()) == m.used
    assert m.ninodes - 2 - len(seen) == m.ifree
    for v in seen.values():
        if v.entries is not None:
            assert v.dirbytes == 24 + sum((8 + len(n) + 1 + 3) & ~3 for n in v.entries)
    # and a full clean-up gives everything back
    def rmtree(path):
        for _, _, name in env.readdir(path):
            if name in (b".", b".."):
                continue
            p = path + "/" + name.decode()
            if env.stat(p, follow=False).mode & abi.NBSD_S_IFMT == abi.NBSD_S_IFDIR:
                rmtree(p)
                env.ok("rmdir", p)
            else:
                env.ok("unlink", p)
    rmtree("/tmp")
    assert m.used == m.root.space == 512 and m.ifree == m.ninodes - 3


def test_creation_does_not_slow_down_with_the_directory(tmp_path):
    """O(1) creation: the 5th thousand of files costs about what the first
    did (it cost 5 times as much when the directory size was recounted)."""
    (tmp_path / "r").mkdir()
    env = Env(tmp_path / "r", mfs_size=64 << 20)

    def block(start):
        t = time.process_time()
        for i in range(start, start + 1000):
            env.ok("close", env.ok("open", f"/tmp/file-{i:06d}", C, 0o644))
        return time.process_time() - t
    first = min(block(0), block(1000))
    for k in range(2, 5):
        block(k * 1000)
    last = min(block(5000), block(6000))
    assert last < 2.5 * first + 0.05, (first, last)
    assert len(env.readdir("/tmp")) == 7000 + 2
