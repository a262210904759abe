"""NetBSD's two flavours of rename and chown, each by its own system call.

NetBSD's libc calls __posix_rename (270) and __posix_chown/fchown/lchown
(283-285) where a program is compiled with _POSIX_C_SOURCE or _XOPEN_SOURCE
(<stdio.h>, <unistd.h>: __RENAME), and rename (128) and chown/fchown/lchown
(16, 123, 275) otherwise.  rename(2): two names of one file in different
places lose the from name (only the same name in the same directory is left
alone, as the manual page says; gnulib documents the deletion for NetBSD);
__posix_rename does nothing there (POSIX).  chown(2): a change of owner clears
set-user-ID and a change of group set-group-ID, whoever calls (the manual
page); __posix_chown clears both for a caller other than root and keeps them
for root.
"""
import pytest

from kw86.nbsd import abi
from kw86.nbsd.abi import NBSD_O_CREAT, NBSD_O_TRUNC, NBSD_O_WRONLY
from kw86.nbsd.vfs import Cred
from nbsd_env import Env

C = NBSD_O_CREAT | NBSD_O_WRONLY | NBSD_O_TRUNC
SUID, SGID = abi.NBSD_S_ISUID, abi.NBSD_S_ISGID


@pytest.fixture
def env(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    (root / "etc").mkdir()
    return Env(root)


def _two_links(env, d):
    env.ok("mkdir", d, 0o755)
    env.ok("mkdir", d + "/sub", 0o755)
    env.ok("close", env.ok("open", d + "/a", C, 0o644))
    env.ok("link", d + "/a", d + "/b")
    env.ok("link", d + "/a", d + "/sub/c")


@pytest.mark.parametrize("d", ["/tmp/t", "/t"])          # an MFS and the host-backed root
def test_rename_of_one_file_under_two_names(env, d):
    _two_links(env, d)
    ino = env.stat(d + "/a").ino
    env.ok("__posix_rename", d + "/a", d + "/b")             # POSIX: nothing happens
    assert env.stat(d + "/a").ino == ino and env.stat(d + "/b").nlink == 3
    env.ok("rename", d + "/a", d + "/./a")                    # the same name: nothing
    assert env.stat(d + "/a").nlink == 3
    env.ok("rename", d + "/a", d + "/b")                      # rename(2): the from name goes
    assert env.err("__stat50", d + "/a", env.alloc(124)) == abi.ENOENT
    assert env.stat(d + "/b").ino == ino and env.stat(d + "/b").nlink == 2
    env.ok("rename", d + "/sub/c", d + "/b")                  # from another directory too
    assert env.err("__stat50", d + "/sub/c", env.alloc(124)) == abi.ENOENT
    assert env.stat(d + "/b").nlink == 1


def test_posix_rename_is_rename_otherwise(env):
    env.ok("mkdir", "/tmp/d", 0o755)
    env.ok("close", env.ok("open", "/tmp/d/x", C, 0o644))
    env.ok("__posix_rename", "/tmp/d/x", "/tmp/d/y")
    assert env.stat("/tmp/d/y").nlink == 1
    assert env.err("__posix_rename", "/tmp/d/x", "/tmp/d/z") == abi.ENOENT
    assert env.err("__posix_rename", "/tmp/d", "/tmp/d/sub") == abi.EINVAL


def _setid_file(env, path):
    env.ok("close", env.ok("open", path, C, 0o755))
    env.ok("chmod", path, 0o6755)
    assert env.stat(path).mode & 0o7777 == 0o6755


def test_chown_clears_the_bit_of_what_it_changes_even_for_root(env):
    env.ok("mkdir", "/tmp/d", 0o777)
    _setid_file(env, "/tmp/d/f")
    env.ok("chown", "/tmp/d/f", 0xffffffff, 0xffffffff)         # neither changes: bits stay
    assert env.stat("/tmp/d/f").mode & 0o7777 == 0o6755
    env.ok("chown", "/tmp/d/f", 0xffffffff, 5)                  # the group: S_ISGID goes
    assert env.stat("/tmp/d/f").mode & 0o7777 == 0o4755
    env.ok("chmod", "/tmp/d/f", 0o6755)
    env.ok("chown", "/tmp/d/f", 7, 0xffffffff)                  # the owner: S_ISUID goes
    st = env.stat("/tmp/d/f")
    assert st.mode & 0o7777 == 0o2755 and (st.uid, st.gid) == (7, 5)
    fd = env.ok("open", "/tmp/d/f", 0, 0)
    env.ok("chmod", "/tmp/d/f", 0o6755)
    env.ok("fchown", fd, 0, 0)
    assert env.stat("/tmp/d/f").mode & 0o7777 == 0o0755
    env.ok("chmod", "/tmp/d/f", 0o6755)
    env.ok("lchown", "/tmp/d/f", 0, 0xffffffff)
    assert env.stat("/tmp/d/f").mode & 0o7777 == 0o2755


def test_posix_chown_keeps_the_bits_for_root_only(env):
    env.ok("mkdir", "/tmp/d", 0o777)
    _setid_file(env, "/tmp/d/f")
    env.ok("__posix_chown", "/tmp/d/f", 7, 5)
    st = env.stat("/tmp/d/f")
    assert st.mode & 0o7777 == 0o6755 and (st.uid, st.gid) == (7, 5)
    fd = env.ok("open", "/tmp/d/f", 0, 0)
    env.ok("__posix_fchown", fd, 0, 0)
    env.ok("__posix_lchown", "/tmp/d/f", 1000, 100)
    assert env.stat("/tmp/d/f").mode & 0o7777 == 0o6755
    env.p.cred = Cred(1000, 100)
    env.ok("__posix_chown", "/tmp/d/f", 0xffffffff, 100)        # the owner, no change: bits go
    assert env.stat("/tmp/d/f").mode & 0o7777 == 0o0755
