"""Two host-safety gaps a guest root could use when kw86 runs as root:

- set-user-ID / set-group-ID bits on host files (hostfs): a guest's chmod
  04755, open(O_CREAT, 06755), fchmod, fchmodat, mkdir 02755 never leave the
  bit on the host file (a real set-user-ID-root program for host users);
  the guest still sees its bits (kept in the host file's user.kw86.mode
  extended attribute, or for the run where the host file system has none),
  NetBSD's rules clear them (a write or a chown by a non-root user), and
  they persist across runs (extended attribute case); device nodes are
  never made on the host (mknod is EPERM or ENOSYS);
- a kernelware's vn_rdwr of a large length on a multi-gigabyte host file
  moves at most a MiB of host memory at a time and stops at the first
  fault of the guest's buffer (EFAULT, the residual count), so kw86's peak
  RSS stays small.
"""
import os
import subprocess
import sys

import pytest

import hostenv
import nbsd_env
from buildreq import built, fail_build

pytestmark = built(os.path.exists(os.path.join(nbsd_env.SYSROOT, "bin", "sh")),
                   "the userland sysroot")


def _build(name):
    out = os.path.join(nbsd_env.GUEST_OUT, name)
    os.makedirs(nbsd_env.GUEST_OUT, exist_ok=True)
    src = os.path.join(nbsd_env.GUEST_SRC, name + ".c")
    if not (os.path.exists(out) and os.path.getmtime(out) >= os.path.getmtime(src)):
        try:
            nbsd_env._userland_build().build_program([src], out)
        except Exception as e:                  # no zig, a compile error: a build failure
            fail_build(f"cannot build {name}: {e}"[:2000])
    return out


# A child's ru_maxrss counts its parent's size at fork time (Linux keeps the
# high-water mark of the memory image exec replaces): under a pytest process
# grown to gigabytes the kw86 child "peaked" at the test process's size.  A
# small launcher forks kw86 instead and reports wait4's rusage of it.
_LAUNCH = """import os, subprocess, sys
p = subprocess.Popen(sys.argv[2:], stdin=subprocess.DEVNULL)
_, status, ru = os.wait4(p.pid, 0)
with open(sys.argv[1], "w") as f:
    f.write("%d %d" % (status, ru.ru_maxrss))
"""


def run_kw86(args, cwd, timeout=600):
    """kw86 exec ARGS in a grandchild: (exit status, stdout, stderr, the peak
    RSS in KiB of that very process: wait4's rusage in a small launcher, so
    neither this process's size nor another child counts)."""
    res = os.path.join(cwd, "rusage.txt")
    with open(os.path.join(cwd, "out.txt"), "wb") as o, \
            open(os.path.join(cwd, "err.txt"), "wb") as e:
        subprocess.run([sys.executable, "-c", _LAUNCH, res, sys.executable, "-m", "kw86.cli",
                        "exec", *args], cwd=cwd, stdout=o, stderr=e,
                       stdin=subprocess.DEVNULL, env=hostenv.kw86_env(), timeout=timeout,
                       check=True)
    with open(res) as f:
        status, maxrss = (int(v) for v in f.read().split())
    with open(os.path.join(cwd, "out.txt"), "rb") as f:
        out = f.read().decode(errors="replace")
    with open(os.path.join(cwd, "err.txt"), "rb") as f:
        err = f.read().decode(errors="replace")
    for bad in ("Traceback", "internal error", "panic"):
        assert bad not in err, err
    return os.waitstatus_to_exitcode(status), out, err, maxrss


def _lines(out):
    res = {}
    for ln in out.splitlines():
        parts = ln.split(" ", 3)
        if len(parts) >= 3 and parts[1].lstrip("-").isdigit():
            res[parts[0]] = (int(parts[1]), int(parts[2]), parts[3] if len(parts) > 3 else None)
    return res


# -- vn_rdwr on a 4 GiB sparse host file --------------------------------------------

def test_vn_rdwr_of_a_huge_file_bounds_host_memory(tmp_path):
    prog = _build("vnrdwr")
    root = tmp_path / "root"
    root.mkdir()
    (root / "etc").mkdir()
    (root / "etc" / "passwd").write_bytes(b"root:*:0:0::/root:/bin/sh\n")
    big = root / "big"
    size = 4 << 30
    with open(big, "wb") as f:
        f.truncate(size)                        # sparse: no disk blocks
        f.seek(size - 8)
        f.write(b"THE-END!")
    (tmp_path / "prog").write_bytes(open(prog, "rb").read())
    (tmp_path / "prog").chmod(0o755)
    mb = 8
    rc, out, err, rss = run_kw86(["--kernelware", "--root", str(root), "./prog", "/big",
                                  str(mb)], str(tmp_path))
    assert rc == 0 and out.endswith("done\n"), (rc, out, err)
    res = _lines(out)
    EFAULT = 14
    buf = mb << 20
    assert res["big-read"][:2] == (EFAULT, 0x7ffff000 - buf)    # stopped at the buffer's end
    assert res["tail-read"] == (0, 1 << 20, "THE-END!")
    assert res["big-write"][:2] == (EFAULT, 0x7ffff000 - buf)
    assert res["ok-read"] == (0, 0, "same")
    assert os.path.getsize(big) == size                         # written inside, not grown
    with open(big, "rb") as f:
        f.seek(4096)
        assert f.read(16) == bytes((i * 7 + 3) & 0xff for i in range(16))
    # 2 GiB asked for, a MiB at a time: kw86's peak resident size stays far
    # below the length (the whole read used to be loaded first: gigabytes)
    assert rss < 200 * 1024, f"peak RSS {rss} KiB"


# -- set-id bits on host files: the system calls, in-process ------------------------

from kw86.nbsd import abi                                       # noqa: E402
from kw86.nbsd.abi import NBSD_O_CREAT, NBSD_O_RDWR, NBSD_O_WRONLY  # noqa: E402
from kw86.nbsd.vfs import Cred, hostfs                          # noqa: E402
from nbsd_env import Env                                        # noqa: E402

SETID = 0o6000
AT_FDCWD = -100


def _root(tmp_path):
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "passwd").write_bytes(b"root:*:0:0::/root:/bin/sh\n")
    return root


@pytest.fixture(params=["xattr", "memory"])
def store(request, monkeypatch):
    """Where hostfs keeps the guest's set-id bits: the host's extended
    attributes, or (a host file system without them) memory for the run."""
    if request.param == "memory":
        monkeypatch.setattr(hostfs, "_XATTR", False)
    elif not hostfs._XATTR:
        pytest.fail("no extended attributes through /proc/self/fd on this host")
    return request.param


def _perm(env, path, follow=True):
    return env.stat(path, follow).mode & 0o7777


def _host(root, rel):
    return os.lstat(os.path.join(root, rel)).st_mode


def test_setid_bits_never_reach_the_host(tmp_path, store):
    root = _root(tmp_path)
    env = Env(root)
    env.p.umask = 0
    # chmod 04755
    env.ok("close", env.ok("open", "/a", NBSD_O_CREAT | NBSD_O_WRONLY, 0o755))
    env.ok("chmod", "/a", 0o4755)
    # open(O_CREAT, 06755)
    fd = env.ok("open", "/b", NBSD_O_CREAT | NBSD_O_RDWR, 0o6755)
    # fchmod, fchmodat
    env.ok("close", env.ok("open", "/c", NBSD_O_CREAT | NBSD_O_WRONLY, 0o644))
    cfd = env.ok("open", "/c", NBSD_O_RDWR, 0)
    env.ok("fchmod", cfd, 0o2711)
    env.ok("close", env.ok("open", "/d", NBSD_O_CREAT | NBSD_O_WRONLY, 0o644))
    env.ok("fchmodat", AT_FDCWD, "/d", 0o6700, 0)
    # a set-group-ID directory, a FIFO
    env.ok("mkdir", "/sg", 0o755)
    env.ok("chmod", "/sg", 0o2775)
    env.ok("mkfifo", "/fifo", 0o4644)
    want = {"a": 0o4755, "b": 0o6755, "c": 0o2711, "d": 0o6700, "sg": 0o2775, "fifo": 0o4644}
    for name, mode in want.items():
        assert _host(root, name) & SETID == 0, name                 # never on the host
        assert _host(root, name) & 0o1777 == mode & 0o1777, name    # the rest is
        assert _perm(env, "/" + name) == mode, name                 # the guest sees its bits
    assert env.fstat(fd).mode & 0o7777 == 0o6755
    assert env.fstat(cfd).mode & 0o7777 == 0o2711
    # ls -l's route (stat of a name in a directory listing) and fstatat
    env.ok("mkdir", "/sub", 0o755)
    env.ok("close", env.ok("open", "/sub/x", NBSD_O_CREAT | NBSD_O_WRONLY, 0o4750))
    assert _perm(env, "/sub/x") == 0o4750 and _host(root, "sub/x") & SETID == 0
    # taken away again: the host file is as the guest's mode says
    env.ok("chmod", "/a", 0o755)
    assert _perm(env, "/a") == 0o755 and _host(root, "a") & 0o7777 == 0o755
    if store == "xattr":
        assert hostfs._XA_MODE.decode() not in os.listxattr(root / "a")
        assert os.getxattr(root / "b", hostfs._XA_MODE) == b"6000"


def test_setid_bits_persist_across_runs_in_xattrs(tmp_path, store):
    root = _root(tmp_path)
    env = Env(root)
    env.p.umask = 0
    env.ok("mkdir", "/d1", 0o755)
    env.ok("mkdir", "/d1/d2", 0o755)
    env.ok("close", env.ok("open", "/d1/d2/f", NBSD_O_CREAT | NBSD_O_WRONLY, 0o6755))
    env.ok("chmod", "/d1", 0o2755)
    env.ok("link", "/d1/d2/f", "/hl")               # another name, another directory
    env.ok("rename", "/d1/d2/f", "/moved")
    del env
    env = Env(root)                                 # a second run
    kept = store == "xattr"
    assert _perm(env, "/moved") == (0o6755 if kept else 0o755)
    assert _perm(env, "/hl") == (0o6755 if kept else 0o755)
    assert _perm(env, "/d1") == (0o2755 if kept else 0o755)
    for rel in ("moved", "d1"):
        assert _host(root, rel) & SETID == 0


def test_nbsd_rules_clear_setid_bits(tmp_path, store):
    """NetBSD: root keeps the bits across __posix_chown and write (kauth
    RETAIN_SUID/SGID); a write by another user clears them (ufs write), so
    does a __posix_chown by the owner (chown(2) itself: tests/
    test_nbsd_posix_names.py); a creation by a user not of the new file's
    group loses S_ISGID (ufs_makeinode)."""
    root = _root(tmp_path)
    env = Env(root)
    env.p.umask = 0
    fd = env.ok("open", "/f", NBSD_O_CREAT | NBSD_O_RDWR, 0o6777)
    env.ok("__posix_chown", "/f", 100, 100)         # root: kept (the host's chown drops them)
    assert _perm(env, "/f") == 0o6777
    env.write_fd(fd, b"by root")
    assert _perm(env, "/f") == 0o6777
    user = Cred(uid=100, gid=100)
    env.p.cred = user
    ufd = env.ok("open", "/f", NBSD_O_WRONLY, 0)
    env.write_fd(ufd, b"by user")                   # a write by the owner, not root: cleared
    assert _perm(env, "/f") == 0o777
    assert _host(root, "f") & SETID == 0
    env.ok("chmod", "/f", 0o4755)                   # the owner sets it again
    assert _perm(env, "/f") == 0o4755 and _host(root, "f") & SETID == 0
    env.ok("__posix_chown", "/f", -1, 100)          # chown by the owner: cleared
    assert _perm(env, "/f") == 0o755
    env.p.cred = Cred()
    env.ok("mkdir", "/pub", 0o777)
    env.p.cred = user
    # (the new file's group: the directory's, root's 0, not the user's)
    env.ok("close", env.ok("open", "/pub/g", NBSD_O_CREAT | NBSD_O_WRONLY, 0o2755))
    assert _perm(env, "/pub/g") == 0o755


def test_a_host_setuid_file_is_shown_and_only_loses_bits(tmp_path, store):
    root = _root(tmp_path)
    (root / "su").write_bytes(b"#!/bin/sh\n")
    os.chmod(root / "su", 0o4755)
    env = Env(root)
    assert _perm(env, "/su") == 0o4755              # as the host has it
    env.ok("chmod", "/su", 0o2755)                  # the guest can remove the host's bit,
    assert _host(root, "su") & 0o7777 == 0o755      # not add one
    assert _perm(env, "/su") == 0o2755


def test_no_device_node_is_made_on_the_host(tmp_path, store):
    root = _root(tmp_path)
    env = Env(root)
    S_IFCHR, S_IFBLK, S_IFREG = 0o020000, 0o060000, 0o100000
    for mode in (S_IFCHR | 0o666, S_IFBLK | 0o666, S_IFREG | 0o4755):
        assert env.err("__mknod50", f"/n{mode:o}", mode, (1 << 8) | 3) == abi.ENOSYS
        assert env.err("mknodat", AT_FDCWD, f"/m{mode:o}", mode, (1 << 8) | 3) == abi.ENOSYS
    env.ok("__mknod50", "/fifo", 0o010000 | 0o6644, 0)      # a FIFO: mkfifo (anyone may)
    assert _perm(env, "/fifo") == 0o6644 and _host(root, "fifo") & SETID == 0
    env.p.cred = Cred(uid=100, gid=100)
    assert env.err("__mknod50", "/u", S_IFCHR | 0o666, (1 << 8) | 3) == abi.EPERM
    made = sorted(os.listdir(root))
    assert made == ["etc", "fifo"]
    assert hostfs.hstat.S_ISFIFO(_host(root, "fifo"))


# -- the same by a guest program (tests/guest/hostsuid.c), both modes, two runs ------

MODES = [pytest.param([], id="user"), pytest.param(["--kernelware"], id="kernelware")]
SHOWN = {"a": 0o104755, "b": 0o106755, "c": 0o102711, "d": 0o106700, "sg": 0o042775,
         "fifo": 0o014644}


@pytest.mark.parametrize("mode", MODES)
def test_guest_setid_bits_by_every_route(tmp_path, mode):
    if not hostfs._XATTR:
        pytest.fail("no extended attributes through /proc/self/fd on this host")
    prog = _build("hostsuid")
    root = _root(tmp_path)
    (root / "s").mkdir()
    rw = tmp_path / "rw"
    rw.mkdir()
    (tmp_path / "prog").write_bytes(open(prog, "rb").read())
    (tmp_path / "prog").chmod(0o755)
    opts = [*mode, "--root", str(root), "--bind", f"{rw}:/w", "./prog"]
    for gdir, hdir in (("/w", rw), ("/s", root / "s")):
        rc, out, err, _ = run_kw86([*opts, "make", gdir], str(tmp_path))
        assert rc == 0 and out.endswith("done\n"), (rc, out, err)
        res = _lines(out)
        for call in ("chmod-a", "write-b", "fchmod-c", "fchmodat-d", "mkdir-sg", "chmod-sg",
                     "mkfifo"):
            assert res[call][1] == 0, (call, res[call])
        # device nodes: kw86 makes none (ENOSYS, said once on stderr)
        assert res["mknod-cdev"][1] == res["mknod-bdev"][1] == abi.ENOSYS
        for name, shown in SHOWN.items():
            assert int(res[f"mode-{name}"][2], 8) == shown, name
            st = os.lstat(hdir / name)
            assert st.st_mode & SETID == 0, name                # not on the host
            assert st.st_mode & 0o1777 == shown & 0o1777, name
        assert sorted(os.listdir(hdir)) == sorted(SHOWN)        # no device node
        # a second run: the attributes keep the files' and the directory's
        # bits; the FIFO's lived in the first run's memory
        rc, out, err, _ = run_kw86([*opts, "show", gdir], str(tmp_path))
        assert rc == 0 and out.endswith("done\n"), (rc, out, err)
        res = _lines(out)
        for name, shown in SHOWN.items():
            want = shown & ~SETID if name == "fifo" else shown
            assert int(res[f"mode-{name}"][2], 8) == want, name


# -- random sequences against a model of NetBSD's modes ------------------------------

from hypothesis import HealthCheck, given, settings                 # noqa: E402
from hypothesis import strategies as hst                             # noqa: E402

_OPS = hst.lists(hst.tuples(hst.sampled_from(["chmod", "fchmod", "fchmodat", "create", "mkdir",
                                              "chown", "write-root", "write-user", "unlink"]),
                            hst.integers(0, 2), hst.integers(0, 0o7777)), max_size=25)


@settings(max_examples=150 if not os.environ.get("CI") else 30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=_OPS, memory=hst.booleans())
def test_random_mode_changes_match_netbsd_and_never_reach_the_host(tmp_path_factory, ops,
                                                                   memory):
    """Random chmod/fchmod/fchmodat/create/mkdir/chown/write/unlink on three
    names (a file or a directory each), by root and by the owner: the
    guest's stat always shows NetBSD's mode (a model), the host's never has a
    set-id bit."""
    import itertools
    old = hostfs._XATTR
    hostfs._XATTR = old and not memory
    try:
        root = _root(tmp_path_factory.mktemp("r"))
        env = Env(root)
        env.p.umask = 0
        model = {}                                  # name -> (is_dir, NetBSD permission bits)
        user = Cred(uid=100, gid=100)
        serial = itertools.count()
        for op, i, mode in ops:
            name = f"n{i}"
            path = "/" + name
            isdir = model.get(name, (False, 0))[0]
            if op == "create" and name not in model:
                env.ok("close", env.ok("open", path, NBSD_O_CREAT | NBSD_O_WRONLY, mode))
                model[name] = (False, mode & ~0o1000)   # (open's creation drops the sticky bit)
            elif op == "mkdir" and name not in model:
                env.ok("mkdir", path, mode | 0o700)
                model[name] = (True, env.stat(path).mode & 0o7777)      # (mkdir's own rule)
            elif name not in model:
                continue
            elif op in ("chmod", "fchmod", "fchmodat"):
                if mode & 0o1000 and not isdir:
                    mode &= ~0o1000                 # (root may; kept simple: no sticky files)
                if op == "chmod":
                    env.ok("chmod", path, mode)
                elif op == "fchmodat":
                    env.ok("fchmodat", AT_FDCWD, path, mode, 0)
                else:
                    fd = env.ok("open", path, abi.NBSD_O_RDONLY, 0)
                    env.ok("fchmod", fd, mode)
                    env.ok("close", fd)
                model[name] = (isdir, mode)
            elif op == "chown":
                env.ok("__posix_chown", path, 100, 100)     # root: the bits stay
            elif op.startswith("write") and not isdir:
                m = model[name][1]
                env.ok("chmod", path, m | 0o200)    # (writable by its owner)
                m |= 0o200
                if op == "write-user":
                    env.ok("chown", path, 100, 100)
                    env.p.cred = user
                fd = env.ok("open", path, NBSD_O_WRONLY, 0)
                env.write_fd(fd, b"x%d" % next(serial))
                env.ok("close", fd)
                env.p.cred = Cred()
                if op == "write-user":
                    m &= ~SETID                     # NetBSD: cleared by a non-root write
                model[name] = (False, m)
            elif op == "unlink":
                env.ok("rmdir" if isdir else "unlink", path)
                del model[name]
            for n, (_, m) in model.items():
                assert _perm(env, "/" + n) == m, (n, op, oct(m))
                assert _host(root, n) & SETID == 0
    finally:
        hostfs._XATTR = old
