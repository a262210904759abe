"""Two caught signals pending at once on a process that computes without
system calls (tests/guest/sigpair.c): both handlers run.  A kernelware is
preempted at CPL 0 with a short trap frame on its own stack, which the first
handler's signal frame moves below itself (signals.sendsig); the second
handler's frame was built from the stale frame address and overwrote the
first, so its handler never ran (the Open POSIX Test Suite's "signals were
sent meanwhile" stress tests, e.g. pthread_cancel/5-2, deadlocked in
--kernelware waiting for a semaphore the lost handler posts)."""
import os
import subprocess
import sys

import pytest

from buildreq import fail_build
import hostenv

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def sigpair():
    import nbsd_env
    path = nbsd_env.guest_program("sigpair")
    if path is None:
        fail_build(nbsd_env.guest_program.why)
    return "./" + os.path.relpath(path, ROOT)


@pytest.mark.parametrize("mode", [pytest.param([], id="user"),
                                  pytest.param(["--kernelware"], id="kernelware")])
def test_two_pending_handlers_both_run(sigpair, mode):
    r = subprocess.run([sys.executable, "-m", "kw86.cli", "exec", *mode, sigpair],
                       cwd=ROOT, capture_output=True, timeout=600, env=hostenv.kw86_env(),
                       stdin=subprocess.DEVNULL)
    out, err = r.stdout.decode(), r.stderr.decode()
    assert r.returncode == 0 and "rounds ok 5" in out, (out, err)
    assert err == "", err
