"""mkdir's mode and chown's set-id bits, as NetBSD has them.

mkdir: NetBSD's do_sys_mkdirat (and ufs_mkdir) mask the mode with ACCESSPERMS
(0777) before the umask, so mkdir never makes a set-id or sticky directory;
chmod does.  chown: NetBSD's change_owner with POSIX semantics
(__posix_chown/fchown/lchown: libc's chown family under _POSIX_C_SOURCE or
_XOPEN_SOURCE) clears S_ISUID and S_ISGID when the caller is not root,
whatever the vnode type, directories included, and also when neither id
changes; root's keeps them.  (chown(2) itself, 16: tests/test_nbsd_posix_names.py.)
"""
import pytest

from kw86.nbsd import abi
from kw86.nbsd.vfs import Cred
from nbsd_env import Env

C = abi.NBSD_O_CREAT | abi.NBSD_O_WRONLY | abi.NBSD_O_TRUNC
NOCHANGE = 0xffffffff
PLACES = ["/tmp", ""]           # the MFS, the host root


@pytest.fixture
def env(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    return Env(root)


def mode(env, path):
    return env.stat(path).mode & 0o7777


@pytest.mark.parametrize("where", PLACES, ids=["mfs", "hostfs"])
def test_mkdir_masks_with_accessperms(env, where):
    env.ok("umask", 0)
    env.ok("mkdir", where + "/sticky", 0o1777)
    assert mode(env, where + "/sticky") == 0o777
    env.ok("mkdir", where + "/all", 0o7777)
    assert mode(env, where + "/all") == 0o777
    env.ok("umask", 0o022)
    env.ok("mkdir", where + "/setgid", 0o2775)
    assert mode(env, where + "/setgid") == 0o755
    env.ok("mkdirat", abi.NBSD_AT_FDCWD & 0xffffffff, where + "/at", 0o4777)
    assert mode(env, where + "/at") == 0o755
    env.ok("chmod", where + "/sticky", 0o1777)        # chmod sets what mkdir does not
    assert mode(env, where + "/sticky") == 0o1777


@pytest.mark.parametrize("kind", ["dir", "file"])
def test_chown_by_non_root_clears_set_id_bits(env, kind):
    paths = ["/tmp/a", "/tmp/b", "/tmp/c"]
    for p in paths:
        if kind == "dir":
            env.ok("mkdir", p, 0o755)
        else:
            env.ok("close", env.ok("open", p, C, 0o755))
        env.ok("chown", p, 1000, 100)
        env.ok("chmod", p, 0o6755)
        assert mode(env, p) == 0o6755
    env.ok("__posix_chown", "/tmp/c", 1000, 100)     # root keeps them
    assert mode(env, "/tmp/c") == 0o6755
    env.p.cred = Cred(1000, 100)
    env.ok("__posix_chown", "/tmp/a", NOCHANGE, 100)  # same group: cleared all the same
    assert mode(env, "/tmp/a") == 0o755
    env.ok("__posix_chown", "/tmp/b", 1000, NOCHANGE)
    assert mode(env, "/tmp/b") == 0o755
    st = env.stat("/tmp/b")
    assert (st.uid, st.gid) == (1000, 100)
