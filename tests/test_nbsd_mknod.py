"""mknod (__mknod50, 450) and mknodat (460): they were ENOSYS although libc
has mknod(2).  As NetBSD's do_sys_mknodat: a FIFO with dev 0 is mkfifo for
anyone, other types need root (EPERM), an unknown type is EINVAL; kw86 does
not make device nodes (root gets ENOSYS with one report naming the call).
Guest side: tests/guest/mknodt.c, as a user process and as a kernelware."""

import pytest

from nbsd_env import MODES, run_guest_program


@pytest.mark.parametrize("mode", [m for m, _ in MODES], ids=[i for _, i in MODES])
def test_mknod(mode):
    rc, out, err = run_guest_program("mknodt", mode)
    assert "FAIL" not in out and rc == 0, (out, err)
    assert sum(line.startswith("ok ") for line in out.splitlines()) == 6, out
    assert err == ("kw86: syscall 450 (__mknod50 of a device node or regular file or "
                   "whiteout) not implemented\n"), err
