"""The guest can never reach a host path outside its root.

Each attack is a system call through the real dispatcher; after each one,
the host tree outside the root is compared with a snapshot taken before
(names, types, modes, sizes, contents, times, link targets).
"""
import os

import pytest

from kw86.nbsd import abi
from kw86.nbsd.abi import NBSD_O_CREAT, NBSD_O_RDWR, NBSD_O_TRUNC, NBSD_O_WRONLY
from nbsd_env import Env

C = NBSD_O_CREAT | NBSD_O_WRONLY | NBSD_O_TRUNC


def snapshot(top):
    out = {}
    for dirpath, dirnames, filenames in os.walk(top, followlinks=False):
        for n in dirnames + filenames:
            p = os.path.join(dirpath, n)
            st = os.lstat(p)
            rec = (st.st_mode, st.st_size, st.st_mtime_ns, st.st_nlink, st.st_uid, st.st_gid)
            if os.path.islink(p):
                rec += (os.readlink(p),)
            elif os.path.isfile(p):
                with open(p, "rb") as f:
                    rec += (f.read(),)
            out[os.path.relpath(p, top)] = rec
    st = os.lstat(top)
    out["."] = (st.st_mode, st.st_mtime_ns, st.st_nlink)
    return out


@pytest.fixture
def world(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(b"TOP SECRET\n")
    (outside / "dir").mkdir()
    (outside / "dir" / "f").write_bytes(b"f")
    (root / "etc").mkdir()
    (root / "etc" / "passwd").write_bytes(b"root:*:0:0::/root:/bin/sh\n")
    # hostile links planted in the sysroot by whoever built it
    os.symlink(str(outside), root / "abs")                       # absolute host path
    os.symlink(str(outside / "secret.txt"), root / "abs_file")
    os.symlink("../outside", root / "rel")                        # relative, climbing
    os.symlink("../../../../../../..", root / "mid")              # climbing, used mid-path
    os.symlink("/", root / "hostroot")
    os.symlink("chain2", root / "chain1")
    os.symlink("chain3", root / "chain2")
    os.symlink("../../outside/secret.txt", root / "chain3")
    os.symlink(str(outside / "newfile"), root / "dangling_abs")
    os.symlink("../outside/newfile2", root / "dangling_rel")
    env = Env(root)
    before = snapshot(outside)
    env.check = lambda: snapshot(outside) == before or pytest.fail("outside changed!")
    env.outside = outside
    env.root = root
    return env


READ_PATHS = [
    "/../outside/secret.txt", "/../../../../outside/secret.txt", "../outside/secret.txt",
    "/abs/secret.txt", "/abs_file", "/rel/secret.txt", "/mid/outside/secret.txt",
    "/mid/" + "../" * 20 + "outside/secret.txt", "/hostroot/../outside/secret.txt",
    "/chain1", "/dev/../../outside/secret.txt", "/tmp/../../outside/secret.txt",
    "/etc/../../outside/secret.txt",
]


@pytest.mark.parametrize("path", READ_PATHS)
def test_cannot_read_outside(world, path):
    env = world
    r = env.call("open", path, abi.NBSD_O_RDONLY, 0)
    if r.error == 0:
        data = env.read_fd(r.eax, 100)
        assert b"SECRET" not in data
    else:
        assert r.error in (abi.ENOENT, abi.ENOTDIR, abi.ELOOP)
    st = env.call("__stat50", path, env.alloc(124))
    assert st.error in (0, abi.ENOENT, abi.ENOTDIR, abi.ELOOP)
    env.check()


def test_dotdot_at_root_stays(world):
    env = world
    env.ok("chdir", "/../../..")
    b = env.alloc(64)
    n = env.ok("__getcwd", b, 64)
    assert env.read(b, n) == b"/\0"
    assert env.stat(".").ino == env.stat("/").ino == os.stat(env.root).st_ino
    # the guest root's '..' in getdents is the root itself
    ents = env.readdir("/..")
    assert ents[0][0] == ents[1][0] == os.stat(env.root).st_ino


def test_hostroot_link_resolves_to_guest_root(world):
    env = world
    fd = env.ok("open", "/hostroot/etc/passwd", 0, 0)
    assert env.read_fd(fd, 4) == b"root"                     # the guest's own /etc
    assert env.stat("/hostroot").ino == os.stat(env.root).st_ino


WRITE_ATTACKS = [
    ("open", ("/../outside/secret.txt", C, 0o666)),
    ("open", ("/abs/secret.txt", C, 0o666)),
    ("open", ("/abs_file", NBSD_O_RDWR | NBSD_O_TRUNC, 0)),
    ("open", ("/rel/secret.txt", NBSD_O_WRONLY | NBSD_O_TRUNC, 0)),
    ("open", ("/mid/outside/secret.txt", NBSD_O_WRONLY | NBSD_O_TRUNC, 0)),
    ("open", ("/chain1", NBSD_O_WRONLY | NBSD_O_TRUNC, 0)),
    ("open", ("/dangling_abs", C, 0o666)),
    ("open", ("/dangling_rel", C, 0o666)),
    ("open", ("/mid/outside/newfile3", C, 0o666)),
    ("unlink", ("/abs/secret.txt",)),
    ("unlink", ("/mid/outside/secret.txt",)),
    ("rmdir", ("/rel/dir",)),
    ("mkdir", ("/abs/newdir", 0o777)),
    ("mkdir", ("/mid/outside/newdir", 0o777)),
    ("rename", ("/abs/secret.txt", "/stolen")),
    ("rename", ("/etc/passwd", "/mid/outside/secret.txt")),
    ("link", ("/abs/secret.txt", "/stolen_link")),
    ("link", ("/etc/passwd", "/rel/newlink")),
    ("symlink", ("/etc/passwd", "/abs/newsym")),
    ("chmod", ("/abs/secret.txt", 0o777)),
    ("chmod", ("/abs_file", 0o777)),
    ("chown", ("/chain1", 0, 0)),
    ("lchown", ("/abs/secret.txt", 0, 0)),
    ("truncate", ("/abs_file", 0)),
    ("truncate", ("/mid/outside/secret.txt", 0)),
    ("__utimes50", ("/abs_file", 0)),
    ("__utimes50", ("/rel/secret.txt", 0)),
    ("open", ("/dev/../../outside/secret.txt", NBSD_O_WRONLY | NBSD_O_TRUNC, 0)),
    ("open", ("/dev/../abs/secret.txt", NBSD_O_WRONLY | NBSD_O_TRUNC, 0)),
    ("mkdir", ("/dev/../../outside/x", 0o777)),
]


@pytest.mark.parametrize("name,args", WRITE_ATTACKS, ids=[f"{n}{a[0]}" for n, a in WRITE_ATTACKS])
def test_cannot_change_outside(world, name, args):
    env = world
    r = env.call(name, *args)
    if r.error == 0 and name == "open":
        env.write_fd(r.eax, b"PWNED")
    env.check()
    # whatever was created landed inside the root
    for dirpath, _, files in os.walk(env.root):
        for f in files:
            p = os.path.join(dirpath, f)
            if not os.path.islink(p):
                assert os.path.realpath(p).startswith(os.path.realpath(env.root))


def test_dangling_creates_inside_root(world):
    env = world
    # "../outside/newfile2" from the root: '..' stays at the root -> /outside/newfile2,
    # whose directory does not exist in the guest: ENOENT, nothing created anywhere.
    assert env.err("open", "/dangling_rel", C, 0o666) == abi.ENOENT
    os.mkdir(env.root / "outside")
    fd = env.ok("open", "/dangling_rel", C, 0o666)
    env.write_fd(fd, b"inside")
    assert (env.root / "outside" / "newfile2").read_bytes() == b"inside"
    env.check()


def test_dev_writes_stay_in_devfs(world):
    env = world
    for dev in ("/dev/null", "/dev/zero"):
        fd = env.ok("open", dev, NBSD_O_WRONLY | NBSD_O_TRUNC, 0)
        env.write_fd(fd, b"x" * 100)
    assert env.err("open", "/dev/evil", C, 0o666) == abi.EPERM
    assert env.err("mkdir", "/dev/evil", 0o777) == abi.EPERM
    assert env.err("symlink", "/abs", "/dev/evil") == abi.EPERM
    assert env.err("unlink", "/dev/null") == abi.EPERM
    assert env.err("rename", "/etc/passwd", "/dev/null") == abi.EXDEV
    assert not (env.root / "dev").exists()                   # nothing reached the host
    env.check()


def test_symlink_written_by_guest_stays_inside(world):
    env = world
    env.ok("symlink", str(env.outside).encode(), "/esc")       # the host path, verbatim
    env.ok("symlink", "../../../../..", "/tmp/up")
    assert env.err("open", "/esc/secret.txt", 0, 0) == abi.ENOENT
    assert env.err("open", "/tmp/up/outside/secret.txt", 0, 0) == abi.ENOENT
    r = env.call("open", "/tmp/up/etc/passwd", 0, 0)
    assert r.error == 0                                        # the guest's own /etc
    assert env.read_fd(r.eax, 4) == b"root"
    env.check()


def test_bind_mount_dotdot_stays_in_guest(tmp_path):
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "marker").write_bytes(b"guest")
    shared = tmp_path / "deep" / "shared"
    shared.mkdir(parents=True)
    (tmp_path / "deep" / "hostonly").write_bytes(b"host")
    env = Env(tmp_path / "r", binds=[f"{shared}:/mnt"])
    assert env.err("open", "/mnt/../hostonly", 0, 0) == abi.ENOENT
    fd = env.ok("open", "/mnt/../marker", 0, 0)
    assert env.read_fd(fd, 5) == b"guest"
    env.ok("symlink", "/marker", "/mnt/l")
    fd = env.ok("open", "/mnt/l", 0, 0)
    assert env.read_fd(fd, 5) == b"guest"


def test_names_with_slashes_never_reach_host(world):
    from kw86.nbsd.errors import Errno
    root = world.sys.vfs.root
    for bad in (b"../outside", b"a/b", b"..", b".", b""):
        with pytest.raises(Errno):
            root.lookup(bad)
        with pytest.raises(Errno):
            root.create(bad, 0o644, world.p.cred)
    world.check()


RO_ATTACKS = [
    ("open", ("/ro/file", NBSD_O_WRONLY, 0)),
    ("open", ("/ro/file", NBSD_O_RDWR | NBSD_O_TRUNC, 0)),
    ("open", ("/ro/new", C, 0o666)),
    ("open", ("/ro/sub/new", C, 0o666)),
    ("unlink", ("/ro/file",)),
    ("mkdir", ("/ro/d", 0o777)),
    ("rmdir", ("/ro/sub",)),
    ("rename", ("/ro/file", "/ro/file2")),
    ("symlink", ("/etc/passwd", "/ro/sym")),
    ("link", ("/ro/file", "/ro/hard")),
    ("chmod", ("/ro/file", 0o777)),
    ("chown", ("/ro/file", 1, 1)),
    ("truncate", ("/ro/file", 0)),
    ("__utimes50", ("/ro/file", 0)),
]


@pytest.mark.parametrize("name,args", RO_ATTACKS, ids=[f"{n}{a[0]}" for n, a in RO_ATTACKS])
def test_read_only_bind_is_read_only(tmp_path, name, args):
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "etc").mkdir()
    (tmp_path / "r" / "etc" / "passwd").write_bytes(b"root:*:0:0::/root:/bin/sh\n")
    shared = tmp_path / "shared"
    (shared / "sub").mkdir(parents=True)
    (shared / "file").write_bytes(b"data")
    before = snapshot(shared)
    env = Env(tmp_path / "r", binds=[f"{shared}:/ro:ro"])
    assert env.err(name, *args) == abi.EROFS
    assert snapshot(shared) == before
    fd = env.ok("open", "/ro/file", 0, 0)                      # reading still works
    assert env.read_fd(fd, 4) == b"data"


def test_symlink_loops_and_long_chains(world):
    env = world
    root = env.root
    os.symlink("loop_b", root / "loop_a")
    os.symlink("loop_a", root / "loop_b")
    assert env.err("open", "/loop_a", 0, 0) == abi.ELOOP
    assert env.err("open", "/loop_a", C, 0o666) == abi.ELOOP
    # a chain of 20 links ending outside: resolves inside the root (ENOENT)
    for i in range(20):
        os.symlink(f"c{i + 1}" if i < 19 else "../../../outside/secret.txt", root / f"c{i}")
    assert env.err("open", "/c0", 0, 0) == abi.ENOENT
    assert env.err("open", "/c0", C, 0o666) == abi.ENOENT
    # a chain longer than MAXSYMLINKS (32): ELOOP, nothing created
    for i in range(40):
        os.symlink(f"d{i + 1}", root / f"d{i}")
    assert env.err("open", "/d0", C, 0o666) == abi.ELOOP
    env.check()


def test_writing_through_dev_names_never_reaches_host(world):
    env = world
    # /dev/stdout etc. are the process's own fds, never host files
    for dev in ("/dev/stdout", "/dev/stderr", "/dev/fd/1", "/dev/tty"):
        r = env.call("open", dev, NBSD_O_WRONLY | NBSD_O_TRUNC | abi.NBSD_O_CREAT, 0o666)
        if r.error == 0:
            env.write_fd(r.eax, b"x")
    for name in ("chmod", "chown"):
        args = ("/dev/null", 0o777) if name == "chmod" else ("/dev/null", 1, 1)
        env.call(name, *args)
    assert env.err("open", "/dev/../../outside/secret.txt", C, 0o666) in (abi.ENOENT,
                                                                            abi.EPERM)
    assert not (env.root / "dev").exists()
    env.check()
