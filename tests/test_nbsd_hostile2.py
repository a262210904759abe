"""An attacker's second look at the sandbox (after test_nbsd_security.py,
test_nbsd_hostsafety.py and test_nbsd_hostile.py): each hole found is a test
here that failed before its fix.

- *at calls with a descriptor of a directory that was moved since: the
  relative name is looked up in that directory itself (renameat and linkat
  used to rebuild a path from the names the directory was opened by and
  look it up again from the root: another directory, or ENOENT);
- linkat without AT_SYMLINK_FOLLOW links a symbolic link itself;
- O_NOFOLLOW on a symbolic link is EFTYPE (NetBSD's open(2));
- the host descriptors hostfs vnodes hold (directories, open files) are
  bounded below the host's RLIMIT_NOFILE: past the bound ENFILE, nothing
  half-made, and kw86 keeps descriptors for itself;
- the guest program tests/guest/hostile2.c runs the whole list of attacks
  (paths, read-only binds, resources, memory) in both modes: see the tests
  below it.
"""

import pytest

from kw86.nbsd import abi
from kw86.nbsd.abi import NBSD_O_CREAT, NBSD_O_RDONLY, NBSD_O_WRONLY
from kw86.nbsd.vfs import hostfs
from nbsd_env import Env

AT_FDCWD, AT_SYMLINK_FOLLOW = -100, 0x400


@pytest.fixture
def env(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    (root / "etc").mkdir()
    (root / "etc" / "passwd").write_bytes(b"root:*:0:0::/root:/bin/sh\n")
    return Env(root)


@pytest.mark.parametrize("top", ["", "/tmp"], ids=["hostfs", "mfs"])
def test_at_calls_use_the_moved_directory_itself(env, top):
    env.ok("mkdir", f"{top}/a", 0o755)
    env.ok("mkdir", f"{top}/a/b", 0o755)
    dfd = env.ok("open", f"{top}/a/b", NBSD_O_RDONLY, 0)
    env.ok("rename", f"{top}/a/b", f"{top}/c")          # the directory moves away
    env.ok("mkdir", f"{top}/a/b", 0o755)                # and its old name is another one
    env.ok("close", env.ok("open", f"{top}/a/b/x", NBSD_O_CREAT | NBSD_O_WRONLY, 0o644))
    env.ok("close", env.ok("openat", dfd, "x", NBSD_O_CREAT | NBSD_O_WRONLY, 0o600))
    env.ok("renameat", dfd, "x", dfd, "y")
    env.ok("linkat", dfd, "y", dfd, "z", 0)
    env.ok("renameat", dfd, "z", AT_FDCWD, f"{top}/moved")
    env.ok("linkat", AT_FDCWD, f"{top}/moved", dfd, "back", 0)
    assert sorted(n for _, _, n in [(0, 0, e[2]) for e in env.readdir(f"{top}/c")]
                  if n not in (b".", b"..")) == [b"back", b"y"]
    # the directory now at the old name is untouched
    names = [e[2] for e in env.readdir(f"{top}/a/b") if e[2] not in (b".", b"..")]
    assert names == [b"x"]
    assert env.stat(f"{top}/a/b/x").mode & 0o777 == 0o644


def test_renameat_of_a_moved_directory_into_itself_is_einval(env):
    # the descriptor's stack still names /c's old place: the loop check must
    # see where the directory really is (mfs walks real parents; the host's
    # rename refuses the loop itself)
    for top in ("", "/tmp"):
        env.ok("mkdir", f"{top}/p", 0o755)
        dfd = env.ok("open", f"{top}/p", NBSD_O_RDONLY, 0)
        env.ok("mkdir", f"{top}/q", 0o755)
        env.ok("rename", f"{top}/p", f"{top}/q/p")
        assert env.err("renameat", AT_FDCWD, f"{top}/q", dfd, "loop") == abi.EINVAL
        assert env.stat(f"{top}/q/p").type == abi.NBSD_S_IFDIR


def test_linkat_links_a_symlink_itself_unless_asked_to_follow(env):
    env.ok("symlink", "/etc/passwd", "/tmp/sl")
    env.ok("linkat", AT_FDCWD, "/tmp/sl", AT_FDCWD, "/tmp/hl", 0)
    assert env.stat("/tmp/hl", follow=False).type == abi.NBSD_S_IFLNK
    env.ok("mkdir", "/s", 0o755)
    env.ok("symlink", "/etc/passwd", "/s/sl")
    env.ok("linkat", AT_FDCWD, "/s/sl", AT_FDCWD, "/etc/pw2", AT_SYMLINK_FOLLOW)
    assert env.stat("/etc/pw2", follow=False).type == abi.NBSD_S_IFREG
    assert env.stat("/etc/pw2").ino == env.stat("/etc/passwd").ino
    assert env.err("linkat", AT_FDCWD, "/s/sl", AT_FDCWD, "/etc/pw3", 0x1) == abi.EINVAL


def test_o_nofollow_on_a_symlink_out_is_eftype(env, tmp_path):
    victim = tmp_path / "victim"
    victim.write_bytes(b"v")
    env.ok("symlink", str(victim), "/out")
    for flags in (abi.NBSD_O_NOFOLLOW, abi.NBSD_O_NOFOLLOW | NBSD_O_CREAT | NBSD_O_WRONLY,
                  abi.NBSD_O_NOFOLLOW | abi.NBSD_O_DIRECTORY):
        assert env.err("open", "/out", flags, 0o644) == abi.EFTYPE
    assert env.err("open", "/out", NBSD_O_CREAT | abi.NBSD_O_EXCL | NBSD_O_WRONLY,
                   0o644) == abi.EEXIST
    assert victim.read_bytes() == b"v"


@pytest.fixture
def small_budget(monkeypatch):
    """hostfs's bound on held host descriptors, made small."""
    monkeypatch.setattr(hostfs, "_HELD_CHECK", 0)
    monkeypatch.setattr(hostfs, "_held_max", hostfs._held + 40)


def test_held_host_descriptors_are_bounded(env, small_budget):
    depth = 0
    while True:
        r = env.call("mkdir", "d", 0o755)
        if r.error:
            assert r.error == abi.ENFILE
            break
        env.ok("chdir", "d")
        depth += 1
        assert depth < 100
    assert 20 <= depth <= 40
    # nothing half-made: the refused directory does not exist
    assert env.err("chdir", "d") == abi.ENOENT
    # an open of a regular file needs a descriptor too: ENFILE, not EMFILE
    assert env.err("open", "/etc/passwd", NBSD_O_RDONLY, 0) == abi.ENFILE
    # letting go of the nested directories gives the descriptors back
    env.ok("chdir", "/")
    fd = env.ok("open", "/etc/passwd", NBSD_O_RDONLY, 0)
    assert env.read_fd(fd, 4) == b"root"
    env.ok("close", fd)
    hostfs._held_max = None             # (the host's bound again, to clean up)
    path = "/" + "/".join(["d"] * depth)
    env.ok("chdir", path)
    for _ in range(depth):
        env.ok("chdir", "..")
        env.ok("rmdir", "d")


# -- the guest program: tests/guest/hostile2.c, as a user process and as a kernelware

import hashlib                                          # noqa: E402
import os                                               # noqa: E402
import resource                                         # noqa: E402
import shutil                                           # noqa: E402
import subprocess                                       # noqa: E402
import sys                                              # noqa: E402

import hostenv                                          # noqa: E402
import nbsd_env                                         # noqa: E402
from buildreq import fail_build                         # noqa: E402

MODES = [pytest.param([], id="user"), pytest.param(["--kernelware"], id="kernelware")]
E = abi


@pytest.fixture(scope="module")
def hostile2():
    path = nbsd_env.guest_program("hostile2")
    if path is None:
        fail_build(nbsd_env.guest_program.why)
    return "./" + os.path.relpath(path, nbsd_env.REPO)


def snapshot(top):
    """Every name under top with its lstat (type, mode, owner, size, links,
    inode, mtime, ctime) and its content's hash or its link target."""
    out = {}
    for d, dirs, files in os.walk(top):
        for n in [""] + dirs + files:
            p = os.path.join(d, n) if n else d
            st = os.lstat(p)
            rec = (st.st_mode, st.st_uid, st.st_gid, st.st_size, st.st_nlink, st.st_ino,
                   st.st_mtime_ns, st.st_ctime_ns)
            if os.path.islink(p):
                rec += (os.readlink(p),)
            elif os.path.isfile(p):
                with open(p, "rb") as f:
                    rec += (hashlib.sha256(f.read()).hexdigest(),)
            out[os.path.relpath(p, top)] = rec
    return out


def kw86(mode, *args, nofile=None, timeout=600):
    def limit():
        if nofile is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
    r = subprocess.run([sys.executable, "-m", "kw86.cli", "exec", *mode, *args],
                       cwd=nbsd_env.REPO, capture_output=True, timeout=timeout,
                       env=hostenv.kw86_env(), stdin=subprocess.DEVNULL,
                       preexec_fn=limit if nofile is not None else None)
    out, err = r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")
    for bad in ("Traceback", "internal error", "panic", "machine "):
        assert bad not in err, err
    assert r.returncode == 0, (r.returncode, out[-3000:], err[-3000:])
    assert out.endswith("done\n"), out[-3000:]
    res = {}
    for line in out.splitlines()[:-1]:
        name, rv, errno, *detail = line.split(" ", 3)
        res[name] = (int(rv), int(errno), detail[0] if detail else None)
    return res, out, err


@pytest.fixture
def world(tmp_path):
    """A copy of the built-in sysroot as the root, a victim directory
    outside it, a read-write and a read-only bind."""
    root = tmp_path / "root"
    shutil.copytree(nbsd_env.SYSROOT, root, symlinks=True)
    out = tmp_path / "outside"
    out.mkdir()
    (out / "secret").write_bytes(b"TOP SECRET\n")
    rw = tmp_path / "rw"
    rw.mkdir()
    ro = tmp_path / "ro"
    (ro / "d").mkdir(parents=True)
    (ro / "f").write_bytes(b"RO\n")
    os.symlink("f", ro / "lnk")
    # host links planted beside the guest's tree, pointing at the victim
    os.symlink(str(out / "secret"), rw / "host_abs")
    os.symlink("../outside/secret", rw / "host_rel")
    return dict(root=root, out=out, rw=rw, ro=ro, tmp=tmp_path,
                before={k: snapshot(v) for k, v in (("root", root), ("out", out), ("ro", ro))})


def opts(w):
    return ["--root", str(w["root"]), "--bind", f"{w['rw']}:/w", "--bind", f"{w['ro']}:/r:ro"]


def untouched(w):
    for k in ("root", "out", "ro"):
        assert snapshot(w[k]) == w["before"][k], f"{k} changed"



@pytest.mark.parametrize("mode", MODES)
def test_path_escapes(hostile2, world, mode):
    res, out, err = kw86(mode, *opts(world), hostile2, "paths", "/w")
    untouched(world)
    assert str(world["tmp"]) not in out + err           # no host path is ever shown
    with open(world["root"] / "etc" / "passwd") as f:
        first = f.readline().rstrip("\n")
    for name in ("read-up", "read-root", "path-1010"):
        assert res[name][2] == first                    # the guest's own /etc/passwd
    assert res["same-root"][2] == "1"                   # "/.." through a link is "/"
    want = {
        "open-loop": E.ELOOP, "open-self": E.ELOOP, "long-chain": E.ELOOP,
        "nofollow": E.EFTYPE, "nofollow-dir": E.EFTYPE, "nofollow-creat": E.EFTYPE,
        "excl-link": E.EEXIST, "mkdir-through-link": E.EEXIST,
        "mkfifo-on-link": E.EEXIST, "symlink-on-link": E.EEXIST, "rmdir-link": E.ENOTDIR,
        "long-name": E.ENAMETOOLONG, "path-100k": E.ENAMETOOLONG,
        "path-100k-stat": E.ENAMETOOLONG, "path-100k-mkdir": E.ENAMETOOLONG,
        "creat-in-removed": E.ENOENT, "proc-exe": E.ENOENT,
        "rmdir-root": E.EBUSY, "rmdir-dev": E.EBUSY, "rmdir-proc": E.EBUSY,
        "rename-dev": E.EXDEV, "rename-into-dev": E.EXDEV, "rename-tmp": E.EXDEV,
        "link-across": E.EXDEV, "link-dir": E.EPERM, "exec-interp": E.ENOEXEC,
        "open-kaddr": E.EFAULT, "open-null": E.EFAULT, "stat-kbuf": E.EFAULT,
        "getcwd-kbuf": E.EFAULT, "readlink-kbuf": E.EFAULT, "symlink-ktarget": E.EFAULT,
    }
    got = {k: res[k][1] for k in want}
    assert got == want
    for name in ("stat-rootdotdot", "creat-dangling", "stat-created", "dir-through-link",
                 "chdir-up", "getcwd", "fchdir", "rmdir-cwd", "chdir-dotdot-removed",
                 "openat-up", "bind-through-link", "stat-sock"):
        assert res[name][1] == 0 and res[name][0] >= 0, (name, res[name])
    assert res["cwd"][2] == res["cwd2"][2] == "/"
    assert res["proc-cwd"][2] == res["proc-root"][2] == "/"
    assert res["readlink-up"][2] == "../../../../../../../../../.."
    assert res["sock-type"][2] == "1"
    assert res["exec-link"][:1] == (0,) and res["exec-link"][2] == "via link"
    assert res["exec-script"][:1] == (0,) and res["exec-script"][2] == "hi"
    # what the guest made through its links landed in its own tree
    assert (world["rw"] / "up").is_symlink() and not (world["tmp"] / "created_hx").exists()


@pytest.mark.parametrize("mode", MODES)
def test_read_only_bind_by_every_route(hostile2, world, mode):
    res, out, err = kw86(mode, *opts(world), hostile2, "ro", "/r")
    untouched(world)
    erofs = ["open-rdwr", "open-wronly", "open-trunc", "open-append", "open-creat-old",
             "open-creat-new", "open-lnk-rdwr", "truncate", "rename-in", "rename-dir",
             "unlink", "unlink-lnk", "rmdir", "utimes", "utimes-now", "lutimes", "chmod",
             "lchmod", "chown", "lchown", "chmod-mount", "link-in", "symlink", "mkdir",
             "mkfifo", "mknod-fifo", "bind", "openat-creat", "mkdirat", "unlinkat",
             "fchmod-dir", "fchmod", "fchown", "futimes"]
    want = {k: E.EROFS for k in erofs}
    want.update({"rename-out": E.EXDEV, "rename-into": E.EXDEV, "rename-mount": E.EXDEV,
                 "link-out": E.EXDEV, "rmdir-mount": E.EBUSY,
                 "write": E.EBADF, "writev": E.EBADF, "pwrite": E.EBADF,
                 "write-after-setfl": E.EBADF, "ftruncate": E.EINVAL,
                 "mmap-shared-write": E.EACCES, "mprotect-write": E.EACCES})
    assert {k: res[k][1] for k in want} == want
    for name in ("open-rdonly", "fsync", "fcntl-setfl", "mmap-shared-read", "msync",
                 "mmap-private-write", "msync-private"):
        assert res[name][1] == 0, (name, res[name])
    assert res["content"][2] == "RO"


@pytest.mark.parametrize("mode", MODES)
def test_resource_abuse_gives_errors(hostile2, world, mode):
    res, out, err = kw86(mode, *opts(world), hostile2, "res")
    untouched(world)
    want = {
        "read-huge": E.EFAULT, "read-ssize-max+1": E.EINVAL, "read-kaddr": E.EFAULT,
        "read-null": E.EFAULT, "readv-overflow": E.EINVAL, "readv-1025": E.EINVAL,
        "readv-neg": E.EINVAL, "readv-kiov": E.EFAULT, "write-kaddr": E.EFAULT,
        "write-huge": E.EFAULT, "getdents-kaddr": E.EFAULT, "fstat-kaddr": E.EFAULT,
        "mmap-badfd": E.EBADF, "sbrk-1g": E.ENOMEM,
        "fd-exhaust": E.EMFILE, "fd-exhaust-max": E.EMFILE, "pipe-while-full": E.EMFILE,
        "socket-while-full": E.EMFILE, "dup2-huge": E.EBADF, "dup2-neg": E.EBADF,
        "fcntl-dupfd-huge": E.EINVAL, "fork-bomb": E.EAGAIN,
    }
    assert {k: res[k][1] for k in want} == want
    for name in ("mmap-3g", "mmap-4g", "mmap-fixed-kernel", "mmap-fixed-straddle",
                 "mmap-zero", "munmap-kernel", "mprotect-kernel", "sbrk-neg"):
        assert res[name][0] == -1 and res[name][1] in (E.EINVAL, E.ENOMEM, E.EFBIG), \
            (name, res[name])
    assert res["getdents-huge"][0] > 0 and res["getdents-zero"][1] in (0, E.EINVAL)
    # the descriptor table's limits are the process's (128, then the hard limit)
    assert int(res["fd-exhaust"][2]) + 3 == E.OPEN_MAX
    assert int(res["fd-exhaust-max"][2]) > int(res["fd-exhaust"][2])
    assert res["stat-while-full"][1] == 0 and res["setrlimit-nofile"][1] == 0
    assert int(res["fork-bomb"][2]) > 10 and res["fork-after"][1] == 0
    assert res["write-text"][0] == 11 and res["write-kernel"][0] == 11     # SIGSEGV


@pytest.mark.parametrize("mode", MODES)
def test_deep_directories_against_a_low_host_descriptor_limit(hostile2, world, mode):
    """mkdir+chdir 1,000 levels down with kw86 limited to 400 host
    descriptors: ENFILE at the bound, nothing half-made, kw86 still opens
    what it needs for itself (a socket: a module not yet imported), and
    every level is removed again."""
    res, out, err = kw86(mode, *opts(world), hostile2, "deep", "/w", "1000", nofile=400)
    untouched(world)
    depth, e = map(int, res["deep"][2].split())
    assert e == E.ENFILE and 100 < depth < 400
    assert res["open-at-bottom"][1] == E.ENFILE
    assert res["pipe-at-bottom"][1] == 0 and res["socket-at-bottom"][1] == 0
    assert res["left"][2] == "0"
    assert sorted(os.listdir(world["rw"])) == ["host_abs", "host_rel"]
