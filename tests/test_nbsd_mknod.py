"""mknod (__mknod50, 450) and mknodat (460): they were ENOSYS although libc
has mknod(2).  As NetBSD's do_sys_mknodat: a FIFO with dev 0 is mkfifo for
anyone, other types need root (EPERM), an unknown type is EINVAL; kw86 does
not make device nodes (root gets ENOSYS with one report naming the call).
Guest side: tests/guest/mknodt.c, as a user process and as a kernelware."""
import os
import subprocess
import sys

import pytest

from buildreq import fail_build
import hostenv

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def mknodt():
    import nbsd_env
    path = nbsd_env.guest_program("mknodt")
    if path is None:
        fail_build(nbsd_env.guest_program.why)
    return "./" + os.path.relpath(path, ROOT)


@pytest.mark.parametrize("mode", [pytest.param([], id="user"),
                                  pytest.param(["--kernelware"], id="kernelware")])
def test_mknod(mknodt, mode):
    r = subprocess.run([sys.executable, "-m", "kw86.cli", "exec", *mode, mknodt],
                       cwd=ROOT, capture_output=True, timeout=300, env=hostenv.kw86_env(),
                       stdin=subprocess.DEVNULL)
    out, err = r.stdout.decode(), r.stderr.decode()
    assert "FAIL" not in out and r.returncode == 0, (out, err)
    assert sum(line.startswith("ok ") for line in out.splitlines()) == 6, out
    assert err == ("kw86: syscall 450 (__mknod50 of a device node or regular file or "
                   "whiteout) not implemented\n"), err
