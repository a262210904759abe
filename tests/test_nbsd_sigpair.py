"""Two caught signals pending at once on a process that computes without
system calls (tests/guest/sigpair.c): both handlers run.  A kernelware is
preempted at CPL 0 with a short trap frame on its own stack, which the first
handler's signal frame moves below itself (signals.sendsig); the second
handler's frame was built from the stale frame address and overwrote the
first, so its handler never ran (the Open POSIX Test Suite's "signals were
sent meanwhile" stress tests, e.g. pthread_cancel/5-2, deadlocked in
--kernelware waiting for a semaphore the lost handler posts)."""

import pytest

from nbsd_env import MODES, run_guest_program


@pytest.mark.parametrize("mode", [m for m, _ in MODES], ids=[i for _, i in MODES])
def test_two_pending_handlers_both_run(mode):
    rc, out, err = run_guest_program("sigpair", mode, timeout=600)
    assert rc == 0 and "rounds ok 5" in out, (out, err)
    assert err == "", err
