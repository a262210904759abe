"""Mount points over a root that lacks their directories (a sysroot from a
wheel has no empty /tmp or /dev): MFS on /tmp, devfs on /dev and binds
below missing directories all work, and `ls /` shows them."""
import re
import os
import shutil

import pytest

from buildreq import built
from nbsd_env import SYSROOT

pytestmark = built(os.path.exists(os.path.join(SYSROOT, "bin", "sh")), "the userland sysroot")


@pytest.fixture
def bare_root(tmp_path):
    root = tmp_path / "root"
    shutil.copytree(os.path.join(SYSROOT, "bin"), root / "bin")
    (root / "etc").mkdir()
    assert not (root / "tmp").exists() and not (root / "dev").exists()
    return root


def kexec(capfd, *argv):
    from kw86 import cli
    capfd.readouterr()
    rc = cli.main(["exec", *argv])
    out, err = capfd.readouterr()
    return rc, out, err


def test_tmp_and_dev_without_directories(bare_root, capfd):
    rc, out, err = kexec(capfd, "--root", str(bare_root), "/bin/sh", "-c",
                         "ls /; echo data > /tmp/f && cat /tmp/f; ls /dev; "
                         "echo gone > /dev/null; cd /tmp && cd .. && echo at $PWD; "
                         "ls -ld /tmp /dev")
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[:5] == ["bin", "dev", "etc", "proc", "tmp"]     # procfs on /proc too
    assert "data" in lines
    assert "null" in lines and "zero" in lines and "tty" in lines
    assert "at /" in lines
    assert any(line.startswith("drwxrwxrwt") and line.endswith("/tmp") for line in lines)
    assert any(line.startswith("drwxr-xr-x") and line.endswith("/dev") for line in lines)
    assert not (bare_root / "tmp").exists() and not (bare_root / "dev").exists()


def test_bind_below_missing_directories(bare_root, tmp_path, capfd):
    host = tmp_path / "host"
    host.mkdir()
    (host / "h.txt").write_text("hello\n")
    rc, out, err = kexec(capfd, "--root", str(bare_root), "--bind", f"{host}:/mnt/a/b:ro",
                         "/bin/sh", "-c",
                         "cat /mnt/a/b/h.txt; ls /; ls /mnt /mnt/a; cd /mnt/a/b && cd ../.. "
                         "&& echo at $PWD; echo x > /mnt/new || echo refused")
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[0] == "hello"
    assert lines[1:7] == ["bin", "dev", "etc", "mnt", "proc", "tmp"]
    assert "at /mnt" in lines
    assert "refused" in lines and "Read-only file system" in err
    assert not (bare_root / "mnt").exists()


def test_synthetic_dir_syscalls(tmp_path):
    """stat, getdents, rmdir (EBUSY) and creation (EROFS) on a SynthDir,
    without a CPU."""
    from nbsd_env import Env
    from kw86.nbsd import abi
    root = tmp_path / "r"
    root.mkdir()
    host = tmp_path / "h"
    host.mkdir()
    e = Env(root, binds=[f"{host}:/x/y"])
    st = e.stat("/x")
    assert st.mode == abi.NBSD_S_IFDIR | 0o755 and st.uid == 0
    names = [d[2] for d in e.readdir("/x")]
    assert b"y" in names
    names = [d[2] for d in e.readdir("/")]
    assert b"x" in names
    assert e.err("rmdir", "/x") == abi.EBUSY
    assert e.err("mkdir", "/x/z", 0o755) == abi.EROFS
    assert e.err("open", "/x/f", abi.NBSD_O_CREAT | abi.NBSD_O_WRONLY, 0o644) == abi.EROFS
    assert e.stat("/x/y").type == abi.NBSD_S_IFDIR


def test_dev_random_and_urandom(capfd):
    # NetBSD's rnd(4) nodes (majors.i386: rnd char 46, minors 0 and 1): the
    # kernel's seeded generator, so two runs read the same bytes
    script = ("ls -l /dev/random /dev/urandom; head -c 100000 /dev/urandom | wc -c; "
              "head -c 8 /dev/random > /tmp/r; wc -c < /tmp/r; echo seed > /dev/urandom; echo w=$?")
    rc, out, err = kexec(capfd, "/bin/sh", "-c", script)
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("cr--r--r--") and re.search(r" 46,\s+0 ", lines[0]), lines[0]
    assert lines[1].startswith("crw-r--r--") and re.search(r" 46,\s+1 ", lines[1]), lines[1]
    assert [l.strip() for l in lines[2:]] == ["100000", "8", "w=0"]
    rc, a, err = kexec(capfd, "/bin/sh", "-c", "head -c 64 /dev/urandom")
    rc, b, err = kexec(capfd, "/bin/sh", "-c", "head -c 64 /dev/urandom")
    assert a == b and len(a) >= 60
