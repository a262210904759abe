"""Conformance fixes found by the Open POSIX Test Suite (tools/posix_suite.py):
where kw86 differed from NetBSD's documented behaviour.  tests/guest/posix_fix.c
prints one line per check and "done N"; it runs as a user process and as a
kernelware, and every check must run and pass in both."""
import pytest

from nbsd_env import MODES, run_guest_program

N_CHECKS = 31


@pytest.mark.parametrize("mode", MODES, ids=[m[1] for m in MODES])
def test_posix_fix(mode):
    rc, out, err = run_guest_program("posix_fix", mode[0])
    bad = [ln for ln in out.splitlines() if ln.startswith("FAIL")]
    assert not bad, "\n".join(bad) + "\n" + err
    assert "done 0" in out and rc == 0, out + err
    assert sum(ln.startswith("ok ") for ln in out.splitlines()) == N_CHECKS, out
    assert "Traceback" not in err, err
