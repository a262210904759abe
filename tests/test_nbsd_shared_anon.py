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

import pytest

from nbsd_env import MODES, run_guest_program


@pytest.mark.parametrize("mode", [m for m, _ in MODES], ids=[i for _, i in MODES])
def test_shared_anonymous_memory_is_shared_across_fork(mode):
    rc, out, err = run_guest_program("shanon", mode)
    assert "FAIL" not in out and rc == 0, (out, err)
    assert out.count("\nok ") + out.startswith("ok ") == 15 and out.endswith("done\n"), out
    assert err == "", err
