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
