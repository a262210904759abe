"""The stat family's lean path (issue 12, ls -l): namei(stat50=True) lets the
file system answer for the last component without a vnode (hostfs: the
host lstat of the name, packed straight into NetBSD's struct stat), and
fstatat copies its path once and starts from its descriptor's directory.
Checked against the general route (namei to a vnode, VOP_GETATTR,
abi.pack_stat50): the same bytes or the same errno for any path, as root
and as an ordinary user; host changes between two calls are seen."""
import os

from hypothesis import given, strategies as st

from buildreq import built
from kw86.nbsd import abi
from kw86.nbsd.errors import Errno
from kw86.nbsd.kernel import Kernel
from kw86.nbsd.syscalls import fs, nb10
from kw86.nbsd.vfs import Cred
from nbsd_env import SYSROOT, Env

AT_FDCWD, AT_SYMLINK_NOFOLLOW = -100, 0x200


def make_tree(base):
    root = base / "root"
    d = root / "d"
    (d / "sub").mkdir(parents=True)
    (d / "f").write_bytes(b"four")
    (d / "sub" / "g").write_bytes(b"g" * 10)
    (d / "closed").mkdir(mode=0o700)
    (d / "closed" / "h").write_bytes(b"h")
    os.chmod(d / "closed", 0o700)
    os.symlink("f", d / "ln")
    os.symlink("/d/sub", d / "abs")
    os.symlink("nope", d / "dang")
    os.symlink("loop", d / "loop")
    os.symlink("..", d / "up")
    os.mkfifo(d / "p")
    other = base / "other"
    other.mkdir()
    (other / "o").write_bytes(b"other")
    os.symlink("../d/f", other / "back")
    return root, other


def reference(env, path, follow, start=None):
    """The general route: namei to a vnode, then its getattr, packed."""
    try:
        vp = env.sys.vfs.namei(env.p, path, follow, start=start)[-1][1]
        return abi.pack_stat50(vp.getattr())
    except Errno as e:
        return e.errno


BUF = object()          # where via_call puts the stat buffer


def via_call(env, name, *args):
    buf = env.alloc(124)
    r = env.call(name, *(buf if a is BUF else a for a in args))
    return r.error if r.error else env.read(buf, 124)


COMPONENTS = ["d", "f", "sub", "g", "ln", "abs", "dang", "loop", "up", "p", "closed", "h",
              ".", "..", "", "m", "o", "back", "x", "tmp", "dev", "null"]


@given(comps=st.lists(st.sampled_from(COMPONENTS), min_size=1, max_size=6),
       absolute=st.booleans(), trailing=st.booleans(), user=st.booleans())
def test_stat_and_lstat_answer_as_the_general_route(tmp_path_factory, comps, absolute,
                                                    trailing, user):
    base = tmp_path_factory.mktemp("t")
    root, other = make_tree(base)
    env = Env(root, binds=[(str(other), "/m", False)])
    if user:
        env.p.cred = Cred(1000, 1000)
    path = ("/" if absolute else "") + "/".join(comps) + ("/" if trailing else "")
    pb = path.encode()
    env.ok("chdir", "/d")
    for follow in (True, False):
        want = reference(env, pb, follow)
        got = via_call(env, "__stat50" if follow else "__lstat50", path, BUF)
        assert got == want, (path, follow)
        # fstatat: from a directory descriptor, from AT_FDCWD
        dfd = env.ok("open", "/d/sub", abi.NBSD_O_RDONLY | abi.NBSD_O_DIRECTORY, 0)
        start = env.sys.vfs.namei(env.p, b"/d/sub")
        flag = 0 if follow else AT_SYMLINK_NOFOLLOW
        assert via_call(env, "fstatat", dfd, path, BUF, flag) == reference(env, pb, follow, start)
        assert via_call(env, "fstatat", AT_FDCWD, path, BUF, flag) == want
        env.ok("close", dfd)


def test_host_changes_between_calls_are_seen(tmp_path):
    root, other = make_tree(tmp_path)
    env = Env(root)
    f = root / "d" / "f"
    dfd = env.ok("open", "/d", abi.NBSD_O_RDONLY | abi.NBSD_O_DIRECTORY, 0)
    for i in range(1, 5):
        f.write_bytes(b"y" * i)
        os.chmod(f, 0o600 + i)
        for st_ in (env.stat("/d/f"), env.stat("/d/f", follow=False),
                    abi.unpack_stat50(via_call(env, "fstatat", dfd, "f", BUF, AT_SYMLINK_NOFOLLOW))):
            assert st_.size == i and st_.mode & 0o7777 == 0o600 + i
    # a name that now holds another object (a directory, then a link)
    os.unlink(f)
    (root / "d" / "f").mkdir()
    assert env.stat("/d/f").mode & abi.NBSD_S_IFMT == abi.NBSD_S_IFDIR
    os.rmdir(root / "d" / "f")
    os.symlink("sub", root / "d" / "f")
    assert env.stat("/d/f", follow=False).mode & abi.NBSD_S_IFMT == abi.NBSD_S_IFLNK
    assert env.stat("/d/f").mode & abi.NBSD_S_IFMT == abi.NBSD_S_IFDIR
    os.unlink(root / "d" / "f")
    assert env.err("__lstat50", "/d/f", env.alloc(124)) == abi.ENOENT


def test_fstatat_follows_its_directory_not_its_old_name(tmp_path):
    root, other = make_tree(tmp_path)
    env = Env(root)
    dfd = env.ok("open", "/d/sub", abi.NBSD_O_RDONLY | abi.NBSD_O_DIRECTORY, 0)
    os.rename(root / "d" / "sub", root / "d" / "moved")
    (root / "d" / "sub").mkdir()
    (root / "d" / "sub" / "g").write_bytes(b"new")
    st_ = abi.unpack_stat50(via_call(env, "fstatat", dfd, "g", BUF, 0))
    assert st_.size == 10 and st_.ino == os.stat(root / "d" / "moved" / "g").st_ino
    assert abi.unpack_stat50(via_call(env, "fstatat", AT_FDCWD, "/d/sub/g", BUF, 0)).size == 3


def test_fstatat_errors(tmp_path):
    root, other = make_tree(tmp_path)
    env = Env(root)
    buf = env.alloc(124)
    ffd = env.ok("open", "/d/f", abi.NBSD_O_RDONLY, 0)
    dfd = env.ok("open", "/d", abi.NBSD_O_RDONLY | abi.NBSD_O_DIRECTORY, 0)
    assert env.err("fstatat", ffd, "x", buf, 0) == abi.ENOTDIR
    assert env.err("fstatat", 77, "x", buf, 0) == abi.EBADF
    assert env.err("fstatat", dfd, "f", buf, 0x1) == abi.EINVAL          # unknown flag
    assert env.err("fstatat", dfd, "", buf, 0) == abi.ENOENT
    assert env.err("fstatat", dfd, "nope", buf, 0) == abi.ENOENT
    assert env.err("fstatat", dfd, "f/", buf, 0) == abi.ENOTDIR
    # the path is copied in first (NetBSD's do_sys_statat): EFAULT even with a bad fd
    r = env.call("fstatat", 77, 0, buf, 0)
    assert r.error == abi.EFAULT
    # the absolute path ignores the descriptor, even a bad one
    env.ok("fstatat", 77, "/d/f", buf, 0)
    # a stat buffer out of reach
    assert env.err("fstatat", dfd, "f", 0, 0) == abi.EFAULT


@built(os.path.exists(os.path.join(SYSROOT, "usr", "bin", "true")), "the userland sysroot")
def test_fstatat_copies_its_path_once(tmp_path):
    """The kernel-cost charge of fstatat(dfd, name) is lstat(name)'s from that
    directory: one copyinstr of the path, one namei component, one copyout
    (a kernel over a machine: charges are counted)."""
    root, other = make_tree(tmp_path)
    k = Kernel(SYSROOT, stdin=0, stdout=1, stderr=2, binds=[(str(root / "d"), "/d", False)])
    try:
        k.spawn(b"/usr/bin/true", [b"/usr/bin/true"], [])
        p = k.cur
        at = abi.USRSTACK - 0x2000            # in the stack (grown on the fault)
        p.mem.copyout(at, b"/d\0f\0")
        buf = at + 0x100
        dfd = fs.sys_open(p, at, abi.NBSD_O_RDONLY | abi.NBSD_O_DIRECTORY, 0)
        fs.sys_chdir(p, at)
        k0 = k.sys.kcycles
        fs.sys___lstat50(p, at + 3, buf)
        k1 = k.sys.kcycles
        nb10.sys_fstatat(p, dfd, at + 3, buf, AT_SYMLINK_NOFOLLOW)
        k2 = k.sys.kcycles
        assert abi.unpack_stat50(p.mem.copyin(buf, 124)).size == 4
        assert k1 - k0 == k2 - k1 > 0
    finally:
        k.close()


def test_a_live_vnode_takes_the_name_a_stat_found_it_by(tmp_path):
    """As a lookup does (HostMount.vnode): a vnode that is alive (here the
    working directory's) is known by the name it was last found by."""
    root, other = make_tree(tmp_path)
    env = Env(root)
    env.ok("chdir", "/d/sub")
    vp = env.p.cwd[-1][1]
    os.rename(root / "d" / "sub", root / "d" / "renamed")
    env.stat("/d/renamed", follow=False)
    assert vp.name == b"renamed"
