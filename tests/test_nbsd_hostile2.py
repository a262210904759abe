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


@pytest.mark.parametrize("top", ["", "/tmp"], ids=["hostfs", "mfs"])
def test_nothing_enters_a_removed_directory(env, top):
    """A directory removed while a descriptor (or the working directory)
    still holds it takes no new names by any route: create, mkdir, symlink,
    mkfifo, link, rename of a file or a directory into it (ENOENT; the MFS
    took renames and links, leaving what moved there unreachable, and a
    directory renamed in made the removed one take creations again)."""
    env.ok("mkdir", f"{top}/rm", 0o755)
    dfd = env.ok("open", f"{top}/rm", NBSD_O_RDONLY, 0)
    env.ok("rmdir", f"{top}/rm")
    env.ok("close", env.ok("open", f"{top}/file", NBSD_O_CREAT | NBSD_O_WRONLY, 0o644))
    env.ok("mkdir", f"{top}/dd", 0o755)
    assert env.err("openat", dfd, "x", NBSD_O_CREAT | NBSD_O_WRONLY, 0o644) == abi.ENOENT
    assert env.err("mkdirat", dfd, "d", 0o755) == abi.ENOENT
    assert env.err("symlinkat", "t", dfd, "s") == abi.ENOENT
    assert env.err("mkfifoat", dfd, "f", 0o644) == abi.ENOENT
    assert env.err("linkat", AT_FDCWD, f"{top}/file", dfd, "hl", 0) == abi.ENOENT
    assert env.err("renameat", AT_FDCWD, f"{top}/file", dfd, "moved") == abi.ENOENT
    assert env.err("renameat", AT_FDCWD, f"{top}/dd", dfd, "ddmoved") == abi.ENOENT
    env.ok("fchdir", dfd)                               # the same from the working directory
    assert env.err("rename", f"{top}/file", "moved") == abi.ENOENT
    assert env.err("rename", f"{top}/dd", "ddmoved") == abi.ENOENT
    assert env.err("link", f"{top}/file", "hl") == abi.ENOENT
    assert env.err("mkdir", "x", 0o755) == abi.ENOENT
    env.ok("chdir", "/")
    assert env.stat(f"{top}/file").type == abi.NBSD_S_IFREG
    assert env.stat(f"{top}/dd").type == abi.NBSD_S_IFDIR


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


@pytest.mark.parametrize("at", ["/usr/share", "/usr/local/share", "/tmp/a/b"])
def test_directories_above_a_mount_point_do_not_move(tmp_path, at):
    """A read-only bind of a directory inside the root: the directories on
    the way to its mount point cannot be renamed (EBUSY), else the directory
    the mount covers (the very host directory bound read-only) came out from
    under it at the new name, writable through the root's mount (a hole:
    rename("/usr", "/usr2") then open("/usr2/share/f", O_RDWR|O_TRUNC))."""
    root = tmp_path / "root"
    root.mkdir()
    host = root / at.strip("/")
    if at.startswith("/tmp"):
        host = tmp_path / "elsewhere"           # (MFS on /tmp: the bind's host dir is outside)
    host.mkdir(parents=True)
    (host / "f").write_bytes(b"RO\n")
    env = Env(root, binds=[(str(host), at, True)])
    parts = at.strip("/").split("/")
    dfd = env.ok("open", "/", NBSD_O_RDONLY, 0)
    for i in range(1, len(parts)):
        above = "/" + "/".join(parts[:i])
        r = env.call("rename", above, above + "2")
        if r.error == abi.EXDEV:
            continue                # (/tmp, /tmp/a: the MFS's root, a synthetic directory)
        assert r.error == abi.EBUSY
        assert env.err("renameat", dfd, above.lstrip("/"), dfd, "moved") == abi.EBUSY
    assert env.err("open", at + "/f", abi.NBSD_O_RDWR | abi.NBSD_O_TRUNC, 0) == abi.EROFS
    assert (host / "f").read_bytes() == b"RO\n"
    # directories beside the way are as free to move as ever
    env.ok("mkdir", "/" + parts[0] + "/other", 0o755)
    env.ok("rename", "/" + parts[0] + "/other", "/" + parts[0] + "/other2")


def test_chroot_leaves_no_way_out(env):
    """NetBSD's change_root: a working directory outside the new root
    becomes the root (chroot without chdir was a way out: relative names
    went on from the old directory); fchdir to a directory outside the root
    is EPERM (NetBSD's sys_fchdir)."""
    env.ok("mkdir", "/jail", 0o755)
    env.ok("mkdir", "/jail/etc", 0o755)
    fd = env.ok("open", "/jail/etc/passwd", NBSD_O_CREAT | NBSD_O_WRONLY, 0o644)
    env.write_fd(fd, b"jail\n")
    out = env.ok("open", "/etc", NBSD_O_RDONLY, 0)      # a directory outside, held
    env.ok("chdir", "/")
    env.ok("chroot", "/jail")
    fd = env.ok("open", "etc/passwd", NBSD_O_RDONLY, 0)
    assert env.read_fd(fd, 5) == b"jail\n"
    assert env.err("fchdir", out) == abi.EPERM
    b = env.alloc(64)
    n = env.ok("__getcwd", b, 64)
    assert env.read(b, n) == b"/\0"
    fd = env.ok("open", "../../etc/passwd", NBSD_O_RDONLY, 0)
    assert env.read_fd(fd, 5) == b"jail\n"
    # a directory under the root is fine
    d = env.ok("open", "/etc", NBSD_O_RDONLY, 0)
    env.ok("fchdir", d)


def test_mount_table_shows_no_host_path(tmp_path):
    """getvfsstat/statvfs1 (df, mount): a --bind is named by its guest mount
    point, never by its host directory (it named the host path, which may
    lie inside the sysroot)."""
    root = tmp_path / "root"
    (root / "data").mkdir(parents=True)
    out = tmp_path / "outside"
    out.mkdir()
    env = Env(root, binds=[(str(root / "data"), "/mnt/data", True), (str(out), "/w", False)])
    buf = env.alloc(3268 * 16)
    n = env.ok("__getvfsstat90", buf, 3268 * 16, 1)
    assert n >= 5
    raw = env.read(buf, 3268 * n)
    assert str(tmp_path).encode() not in raw
    names = {raw[i * 3268 + 196:i * 3268 + 1220].rstrip(b"\0"):
             raw[i * 3268 + 1220:i * 3268 + 2244].rstrip(b"\0") for i in range(n)}
    assert names[b"/mnt/data"] == b"kw86:/mnt/data" and names[b"/w"] == b"kw86:/w"
    one = env.alloc(3268)
    env.ok("__statvfs190", "/w/.", one, 1)
    assert str(tmp_path).encode() not in env.read(one, 3268)


def test_a_huge_copyin_reads_only_what_is_mapped():
    """copyin of 2 GiB from a mapped page followed by nothing (a kernelware's
    vn_rdwr of 0x7ffff000 bytes made kw86 allocate and clear 2 GiB of host
    memory before it looked at the second page): the host reads at most a
    MiB at a time and stops at the first fault; a large copyin that is all
    mapped reads the same bytes, charged once as one copy."""
    from buildreq import need_module
    from kw86.nbsd.errors import Fault
    from kw86.nbsd.usermem import MachineUserMem
    m = need_module("kw86.machine").Machine(mem_size=8 << 20)
    pd, pt = 0x10000, 0x11000
    m.write_u32(pd, pt | 0x7)
    for i in range(0x100, 0x100 + 0x300):               # 3 MiB mapped at 0x100000
        m.write_u32(pt + 4 * i, (i << 12) | 0x7)
    m.set_cr(3, pd)
    m.set_cr(0, 0x80010001)
    m.flush_tlb()
    m.write(0x100000, bytes(range(256)) * (3 << 12))
    asked = []
    charged = []
    um = MachineUserMem(m, charge=charged.append)
    real = um._read_lin
    um._read_lin = lambda a, n, u: (asked.append(n), real(a, n, u))[1]
    with pytest.raises(Fault):
        um.copyin(0x100000, 0x7ffff000)
    assert max(asked) <= 1 << 20
    asked.clear()
    data = um.copyin(0x100010, (3 << 20) - 0x20)
    assert data == m.read(0x100010, (3 << 20) - 0x20) and max(asked) <= 1 << 20
    assert charged == [(3 << 20) - 0x20]


@pytest.fixture
def small_budget(monkeypatch):
    """hostfs's bound on held host descriptors, made small."""
    import gc
    gc.collect()                        # (vnodes of earlier tests let go of theirs)
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
    assert 20 <= depth <= 48
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
        name, rv, errno, *detail = (line.split(" ", 3) + ["", ""])[:4]
        if not (rv.lstrip("-").isdigit() and errno.isdigit()):
            continue                    # (what an exec'd program printed)
        res[name] = (int(rv), int(errno), detail[0] if detail and detail[0] else None)
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



@pytest.mark.parametrize("who", ["root", "user"])
@pytest.mark.parametrize("mode", MODES)
def test_path_escapes(hostile2, world, mode, who):
    world["rw"].chmod(0o777)
    user = ["--user", "user"] if who == "user" else []
    res, out, err = kw86(mode, *user, *opts(world), hostile2, "paths", "/w")
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
    for link in ("host_abs", "host_rel"):       # links out: resolved in the guest's tree
        want.update({f"{link}-{c}": E.ENOENT for c in ("open", "creat", "chmod", "chown",
                                                        "utimes", "truncate", "link")})
        # (the links are root's: the unprivileged user may not change them)
        want.update({f"{link}-{c}": 0 if who == "root" else E.EPERM
                     for c in ("lchown", "lutimes", "lchmod")})
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


@pytest.mark.parametrize("who", ["root", "user"])
@pytest.mark.parametrize("mode", MODES)
def test_read_only_bind_by_every_route(hostile2, world, mode, who):
    """EROFS whoever asks (the read-only check comes before the owner and
    permission checks, as NetBSD's: chmod of a root-owned file on a
    read-only mount as a user is EROFS, not EPERM)."""
    user = ["--user", "user"] if who == "user" else []
    res, out, err = kw86(mode, *user, *opts(world), hostile2, "ro", "/r")
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
        "mmap-badfd": E.EBADF, "sbrk-1g": E.ENOMEM, "mprotect-kernel": E.EINVAL,
        "munmap-kernel": E.EINVAL, "mmap-zero": E.EINVAL,
        "fd-exhaust": E.EMFILE, "fd-exhaust-max": E.EMFILE, "pipe-while-full": E.EMFILE,
        "socket-while-full": E.EMFILE, "dup2-huge": E.EBADF, "dup2-neg": E.EBADF,
        "fcntl-dupfd-huge": E.EINVAL, "fork-bomb": E.EAGAIN,
    }
    assert {k: res[k][1] for k in want} == want
    for name in ("mmap-3g", "mmap-4g", "mmap-fixed-kernel", "mmap-fixed-straddle", "sbrk-neg"):
        assert res[name][0] == -1 and res[name][1] in (E.EINVAL, E.ENOMEM, E.EFBIG), \
            (name, res[name])
    assert res["getdents-huge"][0] > 0 and res["getdents-zero"][1] in (0, E.EINVAL)
    # the descriptor table's limits are the process's (128, then the hard limit)
    assert int(res["fd-exhaust"][2]) + 3 == E.OPEN_MAX
    assert int(res["fd-exhaust-max"][2]) > int(res["fd-exhaust"][2])
    assert res["stat-while-full"][1] == 0 and res["setrlimit-nofile"][1] == 0
    assert int(res["fork-bomb"][2]) > 10 and res["fork-after"][1] == 0
    assert res["write-text"][0] == 11 and res["write-kernel"][0] == 11     # SIGSEGV
    # processes died of signals that dump core in NetBSD: kw86 writes no core
    # file anywhere (not in the guest's tree, not in kw86's own directory)
    for top in (world["tmp"], nbsd_env.REPO):
        for d, _, files in os.walk(top):
            assert not [f for f in files if f.endswith(".core") or f == "core"], d


@pytest.mark.parametrize("by", ["process", "lwp"])
@pytest.mark.parametrize("mode", MODES)
def test_names_swapped_under_a_racing_process(hostile2, world, mode, by):
    """While a child (or a second LWP) swaps /w/x between a directory and
    links climbing out, the parent creates, makes directories, changes and
    renames through /w/x/.. paths: whatever x was, all of it lands in the
    guest's tree."""
    res, out, err = kw86(mode, *opts(world), hostile2, "race", "/w", "600",
                         *(["lwp"] if by == "lwp" else []))
    assert res["race"][2] == "some"
    for k in ("out", "ro"):
        assert snapshot(world[k]) == world["before"][k], f"{k} changed"
    after = snapshot(world["root"])
    before = world["before"]["root"]
    assert {k: v for k, v in after.items() if k in before and k != "."} == \
        {k: v for k, v in before.items() if k != "."}
    new = {k for k in after if k not in before}
    assert new <= {f"race_{i}" for i in range(7)} | {"race_f"}, new
    assert sorted(os.listdir(world["tmp"])) == ["outside", "ro", "root", "rw"]


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


# -- malformed executables -------------------------------------------------------

import struct                                           # noqa: E402

from hypothesis import HealthCheck, given, settings     # noqa: E402
from hypothesis import strategies as st                 # noqa: E402

from kw86.nbsd.elf import ExecError, load_elf          # noqa: E402

BASE = 0x08048000
EXIT42 = bytes.fromhex("b801000000" "6a2a" "6a00" "cd80")     # exit(42) by int $0x80


def _note(extra=b""):
    return struct.pack("<III", 7, 4, 1) + b"NetBSD\0\0" + struct.pack("<I", 1000000000) + extra


def make_elf(code=EXIT42, phdrs=None, entry=None, e_phnum=None, e_phoff=52, e_phentsize=32,
             e_type=2, trunc=None, note=None):
    """A static NetBSD/i386 executable: program headers, a NetBSD note, code.
    phdrs(N, C, S, L) -> [(type, offset, vaddr, filesz, memsz, flags)] with N
    the note's offset, L its length, C the code's offset, S the file's size;
    by default a PT_NOTE and one r-x PT_LOAD of the whole file at BASE."""
    n = _note() if note is None else note
    default = lambda N, C, S, L: [(4, N, BASE + N, L, L, 4), (1, 0, BASE, S, S, 5)]  # noqa: E731
    phdrs = phdrs or default
    nph = len(phdrs(0, 0, 0, 0))
    note_off = 52 + 32 * nph
    code_off = note_off + len(n)
    size = code_off + len(code)
    ph = b"".join(struct.pack("<8I", t, off, va, va, fs, ms, fl, 0x1000)
                  for t, off, va, fs, ms, fl in phdrs(note_off, code_off, size, len(n)))
    eh = b"\x7fELF\x01\x01\x01" + bytes(9) + struct.pack(
        "<HHIIIIIHHHHHH", e_type, 3, 1, BASE + code_off if entry is None else entry, e_phoff,
        0, 0, 52, e_phentsize, nph if e_phnum is None else e_phnum, 40, 0, 0)
    data = eh + ph + n + code
    return data if trunc is None else data[:trunc]


def _plus(*extra):
    return lambda N, C, S, L: [(4, N, BASE + N, L, L, 4), (1, 0, BASE, S, S, 5), *extra]


def _ksyms(start, end):
    return _note(struct.pack("<III", 5, 8, 2) + b"kw86\0\0\0\0" + struct.pack("<II", start, end))


# name -> (file, what `kw86 exec ./file` ends with, what an execve of it gives:
# (child status, errno)); 126 is kw86's "cannot load" status, with one line
ENOEXEC = (127, E.ENOEXEC)
ELVES = {
    "ok": (make_elf(), 42, (42, 0)),
    "trunc40": (make_elf(trunc=40), 126, ENOEXEC),
    "trunc60": (make_elf(trunc=60), 126, ENOEXEC),
    "phnum-huge": (make_elf(e_phnum=65535), 126, ENOEXEC),
    "phoff-past": (make_elf(e_phoff=0x7ffffff0), 126, ENOEXEC),
    "phentsize": (make_elf(e_phentsize=33), 126, ENOEXEC),
    "filesz-gt-memsz": (make_elf(phdrs=lambda N, C, S, L: [(4, N, BASE + N, L, L, 4),
                                                           (1, 0, BASE, S, S - 1, 5)]),
                        126, ENOEXEC),
    "overlap": (make_elf(phdrs=_plus((1, 0, BASE + 0x10, 0x10, 0x10, 6))), 126, ENOEXEC),
    "page-zero": (make_elf(phdrs=_plus((1, 0, 0, 0, 0x1000, 6))), 126, ENOEXEC),
    "kernel": (make_elf(phdrs=_plus((1, 0, 0xc0100000, 0, 0x1000, 6))), 126, ENOEXEC),
    "wraps": (make_elf(phdrs=_plus((1, 0, 0xfffff000, 0, 0x2000, 6))), 126, ENOEXEC),
    "stack": (make_elf(phdrs=_plus((1, 0, 0xbf000000, 0, 0x1000, 6))), 126, ENOEXEC),
    "bss-2g": (make_elf(phdrs=_plus((1, 0, 0x10000000, 0, 0x7fff0000, 6))), 126,
               (127, E.ENOMEM)),
    "offset-past": (make_elf(phdrs=_plus((1, 0xfffffff0, 0x10000000, 0x20, 0x1000, 6))),
                    126, ENOEXEC),
    "entry-out": (make_elf(entry=0x12345678), 126, ENOEXEC),
    "entry-nx": (make_elf(phdrs=lambda N, C, S, L: [(4, N, BASE + N, L, L, 4),
                                                    (1, 0, BASE, S, S, 4)]), 126, ENOEXEC),
    "no-note": (make_elf(phdrs=lambda N, C, S, L: [(1, 0, BASE, S, S, 5)]), 126, ENOEXEC),
    "note-huge": (make_elf(phdrs=lambda N, C, S, L: [(4, N, BASE + N, 0xffffff, 0xffffff, 4),
                                                     (1, 0, BASE, S, S, 5)]), 126, ENOEXEC),
    # a PT_INTERP of the file's first 8 bytes, "\x7fELF\1\1\1": an interpreter
    # path like any other, looked up in the guest's root (NetBSD: ENOENT)
    "interp-out": (make_elf(phdrs=_plus((3, 0, 0, 8, 8, 4))), 127, (127, E.ENOENT)),
    # one climbing out of the root: /bin/sh of the guest, an ET_EXEC: ENOEXEC
    "interp-escape": (make_elf(code=EXIT42 + b"/../../../../bin/sh\0",
                               phdrs=lambda N, C, S, L: [(4, N, BASE + N, L, L, 4),
                                                         (3, C + len(EXIT42), 0, 20, 20, 4),
                                                         (1, 0, BASE, S, S, 5)]),
                      126, ENOEXEC),
    # an ET_DYN without PT_INTERP (a static PIE): placed 0x1000 above its link
    # addresses (NetBSD's elf_placedynexec), its position-independent code runs
    "et-dyn": (make_elf(e_type=3), 42, (42, 0)),
    "et-rel": (make_elf(e_type=1), 126, ENOEXEC),
    # text and data sharing a page: the data is writable, the program runs
    "shared-page": (make_elf(code=bytes.fromhex("c705") + struct.pack("<II", BASE + 0x800, 7)
                             + bytes.fromhex("b801000000ff35") + struct.pack("<I", BASE + 0x800)
                             + bytes.fromhex("6a00cd80"),
                             phdrs=lambda N, C, S, L: [(4, N, BASE + N, L, L, 4),
                                                       (1, 0, BASE, S, 0x200, 5),
                                                       (1, 0, BASE + 0x800, 0, 0x100, 6)]),
                    7, (7, 0)),
    # its own text, the kernel, address 0: SIGSEGV
    "write-text": (make_elf(code=bytes.fromhex("c705") + struct.pack("<II", BASE, 7) + EXIT42),
                   139, (139, 0)),
    "jump-kernel": (make_elf(code=bytes.fromhex("b8000010c0ffe0")), 139, (139, 0)),
    "call-null": (make_elf(code=bytes.fromhex("31c0ffd0")), 139, (139, 0)),
    # a kernel-symbol table (kapi.py) the loader cannot fill: found past
    # exec's point of no return, so an execve'd one dies of SIGABRT (NetBSD's
    # exec_abort) instead of returning into an image that is gone
    "ksyms-odd": (make_elf(note=_ksyms(BASE, BASE + 4)), 126, (128 + 6, 0)),
    "ksyms-unmapped": (make_elf(note=_ksyms(0x10000000, 0x10000008)), 126, (128 + 6, 0)),
    "ksyms-kernel": (make_elf(note=_ksyms(0xc0000000, 0xc0000008)), 126, (128 + 6, 0)),
}


@pytest.fixture(scope="module")
def elves(tmp_path_factory):
    d = tmp_path_factory.mktemp("elves")
    for name, (data, _, _) in ELVES.items():
        (d / name).write_bytes(data)
        (d / name).chmod(0o755)
    return d


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", list(ELVES))
def test_malformed_program_from_the_host(elves, mode, name):
    r = subprocess.run([sys.executable, "-m", "kw86.cli", "exec", *mode, "./" + name],
                       cwd=elves, capture_output=True, timeout=120, env=hostenv.kw86_env(),
                       stdin=subprocess.DEVNULL)
    err = r.stderr.decode(errors="replace")
    assert "Traceback" not in err and "internal error" not in err and "panic" not in err, err
    assert r.returncode == ELVES[name][1], err
    if r.returncode == 126:
        assert len(err.splitlines()) == 1 and err.startswith(f"kw86: {name}: "), err


@pytest.mark.parametrize("mode", MODES)
def test_malformed_programs_by_execve(hostile2, elves, mode):
    res, out, err = kw86(mode, "--bind", f"{elves}:/e", hostile2, "exec",
                         *[f"/e/{n}" for n in ELVES])
    got = {k[5:]: (rv, e) for k, (rv, e, _) in res.items()}
    assert got == {n: v[2] for n, v in ELVES.items()}


@pytest.mark.parametrize("mode", MODES)
def test_exec_without_free_pages_is_enomem(hostile2, elves, tmp_path, mode):
    """A parent holding 40 of the 64 MiB makes its children execve a program
    with a 31 MiB bss: no free pages for it, ENOMEM (the child goes on to
    report it) and nothing leaked (the next exec of a small one works)."""
    big = make_elf(phdrs=_plus((1, 0, 0x10000000, 0, 0x1f00000, 6)))
    (tmp_path / "big").write_bytes(big)
    (tmp_path / "small").write_bytes(ELVES["ok"][0])
    for f in ("big", "small"):
        (tmp_path / f).chmod(0o755)
    res, out, err = kw86(mode, "--bind", f"{tmp_path}:/e", hostile2, "hog", "40",
                         *["/e/big"] * 4, "/e/small")
    assert [res["exec:big"][:2]] == [(127, E.ENOMEM)] and "UVM" not in err
    assert res["exec:small"][:2] == (42, 0)


@settings(max_examples=300 if not os.environ.get("CI") else 60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_load_elf_refuses_or_returns_a_sane_image(data):
    """Random words written over a valid executable's header and program
    headers: load_elf says ExecError, or its image lies in user space below
    the stack, segments apart, page 0 unmapped, the entry in an executable
    segment."""
    img = bytearray(make_elf(phdrs=_plus((1, 0, 0x10000000, 0, 0x3000, 6))))
    for _ in range(data.draw(st.integers(1, 6))):
        off = data.draw(st.integers(16, 52 + 32 * 3 - 4)) & ~3
        word = data.draw(st.one_of(st.integers(0, 0xffffffff),
                                   st.sampled_from([0, 1, 2, 3, 4, 0x1000, 0xfff, 0xbfbff000,
                                                    0xc0000000, 0xffffffff, 0x7fffffff])))
        img[off:off + 4] = struct.pack("<I", word)
    try:
        im = load_elf(bytes(img), mem_limit=32 << 20)
    except ExecError as e:
        assert str(e) and e.errno in (E.ENOEXEC, E.ENOMEM, E.EACCES)
        return
    assert im.segments
    segs = sorted(im.segments, key=lambda s: s.vaddr)
    for s in segs:
        assert 0x1000 <= s.vaddr and s.vaddr + s.memsz <= abi.USRSTACK - abi.MAXSSIZ
        assert s.filesz <= s.memsz and len(s.data) == s.filesz
    for a, b in zip(segs, segs[1:]):
        assert a.vaddr + a.memsz <= b.vaddr
    assert any(s.flags & 1 and s.vaddr <= im.entry < s.vaddr + s.memsz for s in segs)
    assert sum(s.page_end - s.page_start for s in segs) <= 32 << 20


# "#!" scripts: name -> (contents, (child status, execve's errno))
SCRIPTS = {
    "empty": (b"#!\n", ENOEXEC),
    "missing": (b"#!/nonexistent\n", (127, E.ENOENT)),
    "long-interp": (b"#!/" + b"a" * 2000 + b"\n", ENOEXEC),
    "long-line": (b"#!/bin/echo " + b"a" * 1100 + b"\n", ENOEXEC),
    "no-newline": (b"#!/bin/echo", ENOEXEC),
    "nested": (b"#!/e/empty\n", ENOEXEC),           # the interpreter is itself a script
    "dir": (b"#!/\n", (127, E.EACCES)),
    "device": (b"#!/dev/null\n", (127, E.EACCES)),
    "procfs": (b"#!/proc/curproc/cmdline\n", (127, E.EACCES)),
    "to-fifo": (b"#!/e/fifo\n", (127, E.EACCES)),    # never opened: no blocking
    "climbing": (b"#!/e/../../../../bin/echo up\n", (0, 0)),
}


@pytest.mark.parametrize("mode", MODES)
def test_interpreter_scripts_by_execve(hostile2, tmp_path, mode):
    for name, (data, _) in SCRIPTS.items():
        (tmp_path / name).write_bytes(data)
        (tmp_path / name).chmod(0o755)
    os.mkfifo(tmp_path / "fifo", 0o755)
    res, out, err = kw86(mode, "--bind", f"{tmp_path}:/e", hostile2, "exec",
                         *[f"/e/{n}" for n in SCRIPTS], "/e/fifo", "/proc/curproc/exe",
                         "/dev/null", "/tmp")
    want = {n: v[1] for n, v in SCRIPTS.items()}
    want.update({"fifo": (127, E.EACCES), "exe": (127, E.ENOENT),
                 "null": (127, E.EACCES), "tmp": (127, E.EACCES)})
    assert {k[5:]: (rv, e) for k, (rv, e, _) in res.items() if k.startswith("exec:")} == want
    assert "up /e/climbing\n" in out                 # the guest's /bin/echo, its arguments


@pytest.mark.parametrize("mode", MODES)
def test_host_sockets_in_a_bind_are_never_reached(hostile2, tmp_path, mode):
    """A host directory with live UNIX sockets in it (a /run with a daemon's
    control socket) bound into the guest: the guest's AF_LOCAL sockets are
    its own, so connect and sendto find no guest socket there
    (ECONNREFUSED) and the host listeners see nothing; bind over the name is
    EADDRINUSE (the name exists)."""
    import socket
    d = tmp_path / "run"
    d.mkdir()
    stream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stream.bind(str(d / "ctl.sock"))
    stream.listen(5)
    stream.setblocking(False)
    dgram = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    dgram.bind(str(d / "log.sock"))
    dgram.setblocking(False)
    try:
        res, out, err = kw86(mode, "--bind", f"{d}:/run", hostile2, "connect",
                             "/run/ctl.sock", "/run/log.sock")
        for base in ("ctl.sock", "log.sock"):
            assert res[f"connect-stream-{base}"][1] == E.ECONNREFUSED
            assert res[f"connect-dgram-{base}"][1] == E.ECONNREFUSED
            assert res[f"sendto-{base}"][1] == E.ECONNREFUSED
            assert res[f"bind-{base}"][1] == E.EADDRINUSE
        with pytest.raises(BlockingIOError):
            stream.accept()
        with pytest.raises(BlockingIOError):
            dgram.recv(100)
    finally:
        stream.close()
        dgram.close()


@pytest.mark.parametrize("phys", ["04000000", "7ffff000", "fffff000"])
def test_kernelware_page_table_past_physical_memory(hostile2, phys):
    """A kernelware (CPL 0) rewrites one of its page table entries to a
    physical address past the end of the machine's 64 MiB and reads and
    writes through it: the machine reads all ones there and drops the
    writes (no memory behind it), kw86's host memory is never reached."""
    res, out, err = kw86(["--kernelware"], hostile2, "pte", phys)
    assert res["pte-read"][2] == "ffffffff" and res["pte-reread"][2] == "ffffffff"
