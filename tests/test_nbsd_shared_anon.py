"""MAP_SHARED|MAP_ANON: one zero-filled object shared by every process that
inherits the mapping across fork (NetBSD mmap(2): with MAP_SHARED
"modifications are shared"; MAP_ANON memory is zero-filled), while
MAP_PRIVATE memory stays copy-on-write.  kw86 used to treat a shared
anonymous mapping as a private one, so a child's stores were lost to the
parent (found by tests/guest/sysscript.c, whose results page is one).
Also: a page wholly past the end of a mapped file is SIGBUS with
BUS_ADRERR (POSIX mmap; it was SIGSEGV), and MAP_SHARED|MAP_PRIVATE is
EINVAL as in NetBSD's sys_mmap (it was accepted; Open POSIX mmap/11-2,
21-1).  Guest side: tests/guest/shanon.c, as a user process and as a kernelware."""
import os
import subprocess
import sys

import pytest

from buildreq import fail_build
import hostenv

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def shanon():
    import nbsd_env
    path = nbsd_env.guest_program("shanon")
    if path is None:
        fail_build(nbsd_env.guest_program.why)
    return "./" + os.path.relpath(path, ROOT)


@pytest.mark.parametrize("mode", [pytest.param([], id="user"),
                                  pytest.param(["--kernelware"], id="kernelware")])
def test_shared_anonymous_memory_is_shared_across_fork(shanon, mode):
    r = subprocess.run([sys.executable, "-m", "kw86.cli", "exec", *mode, shanon],
                       cwd=ROOT, capture_output=True, timeout=300, env=hostenv.kw86_env(),
                       stdin=subprocess.DEVNULL)
    out, err = r.stdout.decode(), r.stderr.decode()
    assert "FAIL" not in out and r.returncode == 0, (out, err)
    assert out.count("\nok ") + out.startswith("ok ") == 15 and out.endswith("done\n"), out
    assert err == "", err
