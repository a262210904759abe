"""What kw86 guarantees to the host (issue 13): a guest changes nothing
outside its root and its --bind directories, whatever it does and whatever
happens to those directories meanwhile.

- The exploits of issue 13 item 1 (a directory opened, removed, replaced by
  a symlink to a host file, then fchmod'ed; the same through the working
  directory as `--user user`; a --bind root whose host directory is
  replaced) as user processes and kernelwares.
- The races of item 2, made deterministic: the host swaps a symlink in at
  the worst moment (right after hostfs creates an object, or between a
  lookup and the operation).
- The proof: guest programs (tests/guest/hostsafe.c) run seeded random
  sequences of mkdir, rmdir, rename, symlink, link, unlink, chmod, chown,
  utimes, truncate, mkfifo, open/write and fchmod/fchown/futimes/ftruncate
  on descriptors they keep, on their root, on --bind mounts (one of them a
  directory inside the root) and on the MFS, two at a time on the same
  root (one a user process, one a kernelware) while a host thread keeps
  renaming symlinks to "victim" files into those directories.  Afterwards
  every victim has the same lstat (mode, owner, size, link count, times)
  and content.  CI runs KW86_HOSTSAFETY_ROUNDS=3 rounds (6 guests of
  KW86_HOSTSAFETY_OPS=3000 operations); more on demand.
- PROG must be a regular file of sane size (item 8) and --bind guest paths
  are normalised (item 11).
"""
import hashlib
import os
import shutil
import stat
import subprocess
import sys
import threading
import time

import pytest

from kw86.nbsd import abi
from buildreq import built, fail_build
from nbsd_env import SYSROOT, Env, guest_program

CI = bool(os.environ.get("CI"))
ROUNDS = int(os.environ.get("KW86_HOSTSAFETY_ROUNDS", "3" if CI else "8"))
OPS = int(os.environ.get("KW86_HOSTSAFETY_OPS", "3000" if CI else "6000"))
AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
PASSWD = (b"root:*:0:0:Charlie &:/root:/bin/sh\n"
          b"user:*:1000:100:kw86 User:/home/user:/bin/sh\n")
KW86 = [sys.executable, "-c", "import sys; from kw86.cli import main; sys.exit(main())"]


@pytest.fixture(scope="module")
def hostsafe():
    path = guest_program("hostsafe")
    if path is None:                    # the toolchain is part of the install
        fail_build(guest_program.why)
    return path


# -- the outside world ---------------------------------------------------------

def snapshot(top):
    """Everything about every file under top: full lstat and content hash."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(top, followlinks=False):
        for n in [""] + dirnames + filenames:
            p = os.path.join(dirpath, n) if n else dirpath
            st = os.lstat(p)
            rec = (st.st_mode, st.st_uid, st.st_gid, st.st_size, st.st_nlink,
                   st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
            if stat.S_ISLNK(st.st_mode):
                rec += (os.readlink(p),)
            elif stat.S_ISREG(st.st_mode):
                with open(p, "rb") as f:
                    rec += (hashlib.sha256(f.read()).hexdigest(),)
            elif stat.S_ISDIR(st.st_mode):
                rec += (tuple(sorted(os.listdir(p))),)
            out[os.path.relpath(p, top)] = rec
    return out


def make_victims(d):
    """Host files a guest must never change: a file, a set-uid-able
    executable, a directory with a file, a FIFO (which would block an open)."""
    d.mkdir(parents=True, exist_ok=True)
    (d / "file").write_bytes(b"precious host data\n")
    os.chmod(d / "file", 0o644)
    (d / "exe").write_bytes(b"#!/bin/sh\n")
    os.chmod(d / "exe", 0o755)
    (d / "dir").mkdir(exist_ok=True)
    os.chmod(d / "dir", 0o755)
    (d / "dir" / "f").write_bytes(b"inner\n")
    if not (d / "fifo").exists():
        os.mkfifo(d / "fifo", 0o644)
    for p in (d / "file", d / "exe", d / "dir" / "f", d / "dir", d / "fifo"):
        os.utime(p, ns=(1_500_000_000 * 10**9, 1_500_000_000 * 10**9), follow_symlinks=False)
    return [str(d / "file"), str(d / "exe"), str(d / "dir"), str(d / "dir" / "f"),
            str(d / "fifo")]


def make_root(d):
    d.mkdir()
    (d / "etc").mkdir()
    (d / "etc" / "passwd").write_bytes(PASSWD)
    (d / "home" / "user").mkdir(parents=True)
    (d / "root").mkdir()
    for p in (d, d / "etc", d / "home", d / "home" / "user"):
        os.chmod(p, 0o755)                          # whatever the runner's umask
    os.chmod(d / "etc" / "passwd", 0o644)
    os.chmod(d / "root", 0o700)
    if AS_ROOT:
        os.chown(d / "home" / "user", 1000, 100)


def kw86(args, cwd, timeout=120):
    env = dict(os.environ, LC_ALL="C")
    return subprocess.run(KW86 + ["exec"] + args, cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env=env)


@pytest.fixture
def world(tmp_path, hostsafe):
    root = tmp_path / "root"
    make_root(root)
    victims = make_victims(tmp_path / "victims")
    shutil.copy(hostsafe, tmp_path / "hostsafe")
    w = type("World", (), {})()
    w.tmp, w.root, w.victims = tmp_path, root, victims
    snapshot(tmp_path / "victims")                 # a first read settles atimes
    w.before = snapshot(tmp_path / "victims")
    w.check = lambda: _check(w)
    return w


def _check(w):
    after = snapshot(w.tmp / "victims")
    changed = {k: (w.before.get(k), after.get(k)) for k in set(w.before) | set(after)
               if w.before.get(k) != after.get(k)}
    assert not changed, f"host files outside the root changed: {changed}"


def results(out):
    r = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3:
            r[parts[0]] = (int(parts[1]), int(parts[2]))
    return r


# -- item 1: the exploits --------------------------------------------------------

@pytest.mark.parametrize("mode", ["user", "kernelware"])
def test_rmdir_then_symlink_then_fchmod(world, mode):
    args = ["--kernelware"] if mode == "kernelware" else []
    r = kw86(args + ["--root", "root", "./hostsafe", "rmdirchmod", "/", world.victims[0]],
             world.tmp)
    world.check()
    assert r.returncode == 0, r.stderr
    res = results(r.stdout)
    assert res["symlink"] == (0, 0)                 # the trap was set
    # NetBSD: the descriptor is still the removed directory; changing it works
    assert res["fchmod"] == (0, 0) and res["fchown"] == (0, 0), r.stdout
    assert os.readlink(world.root / "d") == world.victims[0]


def test_cwd_removed_then_chmod_as_unprivileged_user(world):
    if not AS_ROOT:
        pytest.skip("--user needs a host running as root to own the home directory")
    r = kw86(["--user", "user", "--root", "root", "./hostsafe", "cwdchmod", "/home/user",
              world.victims[0]], world.tmp)
    world.check()
    assert r.returncode == 0, r.stderr
    res = results(r.stdout)
    assert res["rmdir"] == (0, 0) and res["symlink"] == (0, 0), r.stdout
    assert res["chmod"] == (0, 0)                   # its own (removed) directory
    assert res["mkdir-in-removed"] == (-1, abi.ENOENT)


@pytest.mark.parametrize("mode", ["user", "kernelware"])
def test_bind_root_whose_host_directory_is_replaced(world, mode):
    (world.root / "sub").mkdir()
    args = ["--kernelware"] if mode == "kernelware" else []
    r = kw86(args + ["--root", "root", "--bind", "root/sub:/mnt/in", "./hostsafe",
                     "replacechmod", "/sub", "/mnt/in", world.victims[2]], world.tmp)
    world.check()
    assert r.returncode == 0, r.stderr
    res = results(r.stdout)
    assert res["rmdir"] == (0, 0) and res["symlink"] == (0, 0), r.stdout
    assert res["chmod"] == (0, 0)               # the mounted directory itself


# -- item 2: races made deterministic ------------------------------------------

@pytest.fixture
def envw(tmp_path):
    root = tmp_path / "root"
    make_root(root)
    victims = make_victims(tmp_path / "victims")
    snapshot(tmp_path / "victims")
    before = snapshot(tmp_path / "victims")
    env = Env(root)
    env.victims, env.hroot = victims, root
    env.check = lambda: snapshot(tmp_path / "victims") == before or \
        pytest.fail("host files outside the root changed")
    return env


def _swap_to_link(path, target):
    """What a racing guest (or host) does: the name now holds a symlink."""
    tmp = str(path) + ".swap"
    os.symlink(target, tmp)
    if os.path.isdir(path) and not os.path.islink(path):
        os.rename(path, str(path) + ".moved")
    os.rename(tmp, path)


@pytest.mark.parametrize("call,args", [
    ("mkdir", ("/new", 0o6777)),
    ("mkfifo", ("/new", 0o6777)),
    ("symlink", ("x", "/new")),
    ("open", ("/new", abi.NBSD_O_CREAT | abi.NBSD_O_WRONLY, 0o6777)),
])
def test_creation_race_never_follows(envw, monkeypatch, call, args):
    """The host swaps a symlink to a victim in right after hostfs created
    the object (mkdirat/mkfifoat/symlinkat), before it sets mode and owner."""
    from kw86.nbsd.vfs import hostfs
    real = {n: getattr(os, n) for n in ("mkdir", "mkfifo", "symlink", "open")}
    armed = [True]

    def racing(name):
        def f(*a, **kw):
            r = real[name](*a, **kw)
            if armed[0] and any(x in (b"new", "new") for x in a[:2]):
                armed[0] = False
                _swap_to_link(envw.hroot / "new", envw.victims[0])
            return r
        return f
    for n in real:
        monkeypatch.setattr(hostfs.os, n, racing(n))
    envw.call(call, *args)
    monkeypatch.undo()
    if call != "open":
        assert not armed[0], "the race was not injected"
    envw.check()


def test_setattr_after_swap_is_estale(envw):
    """A vnode whose name now holds something else acts on nothing."""
    from kw86.nbsd.vfs import ROOTCRED
    (envw.hroot / "f").write_bytes(b"x")
    vp = envw.sys.vfs.lookup(envw.p, b"/f")
    _swap_to_link(envw.hroot / "f", envw.victims[0])
    from kw86.nbsd.errors import Errno
    for kw in (dict(mode=0o4777), dict(uid=1234, gid=1234), dict(atime=5, mtime=5)):
        with pytest.raises(Errno) as ei:
            vp.setattr(ROOTCRED, **kw)
        assert ei.value.errno == abi.ESTALE
    with pytest.raises(Errno) as ei:
        vp.getattr()
    assert ei.value.errno == abi.ESTALE
    with pytest.raises(Errno):
        vp.truncate(0, ROOTCRED)
    envw.check()


def test_open_after_swap_to_fifo_does_not_block(envw):
    """A regular file replaced by a FIFO (or a link to one) is never opened:
    an open of a FIFO with no writer would block kw86 forever."""
    import signal
    from kw86.nbsd.errors import Errno
    (envw.hroot / "f").write_bytes(b"x")
    vp = envw.sys.vfs.lookup(envw.p, b"/f")
    os.unlink(envw.hroot / "f")
    os.mkfifo(envw.hroot / "f")

    def boom(*a):
        raise TimeoutError("kw86 blocked in an open")
    old = signal.signal(signal.SIGALRM, boom)
    signal.alarm(5)
    try:
        with pytest.raises(Errno) as ei:
            vp.open(abi.FREAD)
        assert ei.value.errno in (abi.ESTALE, abi.ENOENT)
        os.unlink(envw.hroot / "f")
        os.symlink(envw.victims[4], envw.hroot / "f")
        with pytest.raises(Errno):
            vp.open(abi.FREAD | abi.FWRITE)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    envw.check()


def test_link_and_readlink_use_the_object(envw):
    """link(2) links the file that was looked up, not what its name holds now."""
    (envw.hroot / "f").write_bytes(b"mine")
    vp = envw.sys.vfs.lookup(envw.p, b"/f")
    fd = envw.ok("open", "/f", abi.NBSD_O_RDONLY, 0)
    os.rename(envw.hroot / "f", envw.hroot / "g")
    os.symlink(envw.victims[0], envw.hroot / "f")
    from kw86.nbsd.errors import Errno
    try:
        envw.sys.vfs.root.link(b"h", vp)
    except Errno:
        pass
    if os.path.lexists(envw.hroot / "h"):
        assert not os.path.islink(envw.hroot / "h")
        assert (envw.hroot / "h").read_bytes() == b"mine"
    envw.ok("close", fd)
    envw.check()


def test_removed_directory_keeps_its_identity(envw):
    """NetBSD semantics: an open directory that was removed is still that
    directory: fchmod works on it, creating in it is ENOENT."""
    envw.ok("mkdir", "/d", 0o755)
    fd = envw.ok("open", "/d", abi.NBSD_O_RDONLY, 0)
    envw.ok("rmdir", "/d")
    envw.ok("symlink", envw.victims[2], "/d")
    envw.ok("fchmod", fd, 0o700)
    envw.check()
    assert envw.fstat(fd).mode & 0o7777 == 0o700
    envw.ok("fchdir", fd)
    assert envw.err("mkdir", "x", 0o777) == abi.ENOENT
    assert envw.err("open", "x", abi.NBSD_O_CREAT | abi.NBSD_O_WRONLY, 0o666) == abi.ENOENT
    envw.check()


# -- the proof: random guests against a host that keeps swapping links ------------

POOL = ["a", "b", "c", "d", "v", "w", "s", "s/a", "s/b", "s/v", "s/s", "t/v", "sub/a",
        "sub/v", "sub/s/v", "l0", "s/l0"]


def _swapper(bases, targets, stop, counter, seed):
    """Rename symlinks to victims over the guests' names, as fast as it can.
    The swapper itself never follows a link either (the guests replace
    directories by links too): every step is relative to a directory
    descriptor opened with O_NOFOLLOW."""
    import random
    rnd = random.Random(seed)
    n = 0
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
    while not stop.is_set():
        base = rnd.choice(bases)
        comps = rnd.choice(POOL).split("/")
        fds = []
        try:
            fds.append(os.open(base, flags))
            for c in comps[:-1]:
                fds.append(os.open(c, flags, dir_fd=fds[-1]))
            d, name, tmp = fds[-1], comps[-1], f".swap{n}"
            os.symlink(rnd.choice(targets), tmp, dir_fd=d)
            try:
                if rnd.random() < 0.2:
                    try:
                        os.rmdir(name, dir_fd=d)
                    except OSError:
                        pass
                os.rename(tmp, name, src_dir_fd=d, dst_dir_fd=d)
                counter[0] += 1
            except OSError:
                os.unlink(tmp, dir_fd=d)
        except OSError:
            pass
        finally:
            for fd in fds:
                os.close(fd)
        n += 1
        if n % 8 == 0:
            time.sleep(0.0005)


def _fuzz_round(world, seed, ops, user=None):
    tmp, root = world.tmp, world.root
    for sub in ("sub", "bind"):
        p = (root / sub) if sub == "sub" else (tmp / "bind")
        p.mkdir(exist_ok=True)
    rel = [os.path.relpath(v, root) for v in world.victims]        # ../victims/...
    rel2 = ["../" + r for r in rel]                                  # from one level down
    targets = world.victims + rel + rel2
    gdirs = ["/", "/sub", "/mnt/b", "/mnt/in", "/tmp"]
    common = ["--root", "root", "--bind", "bind:/mnt/b", "--bind", "root/sub:/mnt/in",
              "--mfs", "1M"]
    hdirs = [str(root), str(tmp / "bind")]      # the guests cannot replace these
    stop, counter = threading.Event(), [0]
    th = threading.Thread(target=_swapper, args=(hdirs, targets, stop, counter, seed),
                          daemon=True)
    th.start()
    procs = []
    try:
        for i, kwmode in enumerate(([], ["--kernelware"])):
            extra = ["--user", user] if user else []
            procs.append(subprocess.Popen(
                KW86 + ["exec"] + kwmode + extra + common +
                ["./hostsafe", "fuzz", str(seed * 2 + i), str(ops), ":".join(targets)] + gdirs,
                cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                env=dict(os.environ, LC_ALL="C")))
        outs = [p.communicate(timeout=300) for p in procs]
    finally:
        stop.set()
        th.join()
        for p in procs:
            if p.poll() is None:
                p.kill()
    world.check()
    res = []
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0 and "done" in out, (p.returncode, out[-2000:], err[-2000:])
        assert "Traceback" not in err and "internal error" not in err, err[-3000:]
        res.append(results(out))
    return res, counter[0]


def test_random_guests_against_a_swapping_host(world):
    totals = {}
    swaps = 0
    for rnd in range(ROUNDS):
        res, n = _fuzz_round(world, 1000 + rnd, OPS)
        swaps += n
        for r in res:
            for k, (tried, ok) in r.items():
                t = totals.setdefault(k, [0, 0])
                t[0] += tried
                t[1] += ok
    # not vacuous: the host swapped, and the guests' attribute changes and
    # creations did succeed many times
    assert swaps > 50, swaps
    for k in ("fchmod", "fchown", "futimes", "chmod", "chown", "mkdir", "symlink",
              "rename", "creat", "fchdir", "mkfifo", "link", "truncate", "ftruncate"):
        assert totals[k][1] > 0, (k, totals[k])
    print(f"hostsafety: {ROUNDS} rounds, {2 * ROUNDS * OPS} guest operations, "
          f"{swaps} host swaps; ok counts: "
          + ", ".join(f"{k} {v[1]}/{v[0]}" for k, v in sorted(totals.items())))


def test_random_unprivileged_guests_against_a_swapping_host(world):
    if not AS_ROOT:
        pytest.skip("--user needs a host running as root")
    for d in (world.root, world.root / "sub", world.tmp / "bind"):
        d.mkdir(exist_ok=True)
        os.chmod(d, 0o1777)
    for rnd in range(max(1, ROUNDS // 2)):
        _fuzz_round(world, 5000 + rnd, OPS // 2, user="user")


# -- item 8: PROG must be a regular file of sane size ----------------------------

@pytest.mark.parametrize("kind", ["fifo", "devzero", "dir", "huge"])
def test_prog_must_be_a_regular_file(tmp_path, kind):
    p = tmp_path / "prog"
    if kind == "fifo":
        os.mkfifo(p)
    elif kind == "devzero":
        os.symlink("/dev/zero", p)
    elif kind == "dir":
        p.mkdir()
    else:
        with open(p, "wb") as f:
            f.truncate(8 << 30)                     # sparse: 8 GiB of nothing
    t = time.monotonic()
    r = kw86(["./prog"], tmp_path, timeout=60)
    assert time.monotonic() - t < 30
    assert r.returncode == 126, (r.returncode, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kw86: ./prog: "), r.stderr


# -- item 11: --bind guest paths are normalised ------------------------------------

@built(os.path.exists(os.path.join(SYSROOT, "bin", "ls")), "the sysroot (bin/ls)")
def test_bind_guest_path_is_normalised(tmp_path):
    h = tmp_path / "h"
    h.mkdir()
    (h / "marker").write_bytes(b"m")
    r = kw86(["--bind", f"{h}:/mnt/../etc2/./x/", "/bin/ls", "-a", "/", "/etc2/x"], tmp_path)
    assert r.returncode == 0, r.stderr
    top = r.stdout.split("\n\n")[0].split()
    assert "etc2" in top and "mnt" not in top and top.count("..") == 1, r.stdout
    assert "marker" in r.stdout


@pytest.mark.parametrize("guest", ["/..", "/../x", "/mnt/../..", "/a/../../b", "/", "/."])
def test_bind_naming_the_root_or_above_is_refused(tmp_path, guest):
    h = tmp_path / "h"
    h.mkdir()
    r = kw86(["--bind", f"{h}:{guest}", "/bin/echo", "hi"], tmp_path)
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kw86: "), r.stderr
    assert "Traceback" not in r.stderr
