"""stat/lstat of a host file answer from the host stat their own lookup made
(hostfs's stat_attr, one host call fewer per stat): never from an older one.
A host change between two guest calls is always seen, whatever the guest did
with the file in between, and the attributes are of the object looked up."""
import os

import pytest

from kw86.nbsd import abi
from nbsd_env import Env


@pytest.fixture
def env(tmp_path):
    root = tmp_path / "root"
    (root / "d").mkdir(parents=True)
    (root / "d" / "f").write_bytes(b"x")
    return Env(root)


def test_host_changes_seen_by_the_next_stat(env, tmp_path):
    f = tmp_path / "root" / "d" / "f"
    for i in range(2, 6):
        f.write_bytes(b"y" * i)
        assert env.stat("/d/f").size == i
        assert env.stat("/d/f", follow=False).size == i
    fd = env.ok("open", "/d/f", abi.NBSD_O_RDONLY, 0)
    f.write_bytes(b"z" * 11)
    assert env.fstat(fd).size == 11            # fstat: never a lookup's copy
    os.chmod(f, 0o600)
    assert env.stat("/d/f").mode & 0o7777 == 0o600
    # a lookup that is not followed by a stat (access, chdir into the
    # directory, open) leaves nothing behind for a later stat to use
    env.ok("access", "/d/f", abi.NBSD_R_OK)
    f.write_bytes(b"w" * 7)
    os.chmod(f, 0o644)
    env.ok("chdir", "/d")
    assert env.stat("f").size == 7 and env.stat("f").mode & 0o7777 == 0o644
    f.write_bytes(b"v" * 3)
    assert env.stat("/d/f").size == 3


def test_stat_of_a_replaced_name_is_of_the_new_object(env, tmp_path):
    d = tmp_path / "root" / "d"
    ino1 = env.stat("/d/f").ino
    os.rename(d / "f", d / "g")
    (d / "f").write_bytes(b"new file")
    st = env.stat("/d/f")
    assert st.ino == (d / "f").stat().st_ino != ino1 and st.size == 8
    assert env.stat("/d/g").ino == ino1


def test_directory_stat_after_a_dot_dot_walk(env, tmp_path):
    d = tmp_path / "root" / "d"
    os.chmod(d, 0o711)
    assert env.stat("/d/../d").mode & 0o7777 == 0o711
    os.chmod(d, 0o755)
    assert env.stat("/d/.").mode & 0o7777 == 0o755
    # "." of the working directory is not looked up by this stat: the
    # chdir's lookup of d is older and must not answer
    env.ok("chdir", "/d")
    os.chmod(d, 0o700)
    assert env.stat(".").mode & 0o7777 == 0o700
    os.chmod(d, 0o755)
    assert env.stat(".").mode & 0o7777 == 0o755
    assert env.stat("/d").mode & 0o7777 == 0o755
