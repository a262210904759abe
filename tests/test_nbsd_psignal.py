"""Signals and time as a NetBSD program expects them (issue 14, the kernel
side): POSIX timers, sigwait/sigwaitinfo/sigtimedwait/sigqueue with their
siginfo, a blocked SIGCONT kept pending, a caught SIGCONT ending select,
SA_NOCLDWAIT, an interrupted nanosleep's time left, getrusage/clock
advancing, a FIFO opened by two LWPs of one process; the masks of pselect
and pollts, CLD_CONTINUED / WCONTINUED / SA_NOCLDSTOP, realtime signals
merged as NetBSD's sigput does, 510/511 EBUSY while other LWPs live.  The C program is
tests/guest/psig.c, run as a user process and as a kernelware
(`--kernelware`), as root and as an ordinary user; it prints one line per
check and "done N" (N failures)."""
import os
import subprocess
import sys

import pytest

import hostenv
from nbsd_env import guest_program_dir

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODES = [[], ["--kernelware"]]
MODE_IDS = ["user", "kernelware"]
NCHECKS = 85 + 15 + 10 + 4 + 2


@pytest.fixture(scope="module")
def psig(tmp_path_factory):
    return guest_program_dir(tmp_path_factory, "psig")


def kw(*argv, timeout=300):
    r = subprocess.run([sys.executable, "-m", "kw86.cli", "exec", *argv], cwd=ROOT,
                       capture_output=True, timeout=timeout, env=hostenv.kw86_env())
    return r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")


@pytest.mark.parametrize("mode", MODES, ids=MODE_IDS)
@pytest.mark.parametrize("user", ["root", "user"])
def test_psignal(psig, mode, user):
    argv = [*mode] + (["--user", "user"] if user == "user" else []) + \
        ["--bind", f"{psig}:/mnt:ro", "/mnt/psig"]
    rc, out, err = kw(*argv)
    bad = [ln for ln in out.splitlines() if ln.startswith("FAIL")]
    assert not bad, "\n".join(bad) + "\n" + err
    assert "done 0" in out and rc == 0, out + err
    oks = [ln for ln in out.splitlines() if ln.startswith("ok ")]
    assert len(oks) == NCHECKS, out                 # every check ran
    assert "Traceback" not in err and "panic" not in err, err


@pytest.mark.parametrize("mode", MODES, ids=MODE_IDS)
def test_exit_status_is_the_programs(psig, mode):
    """The program runs as init's child (pid 2): kw86 exec still ends with
    its status."""
    rc, out, err = kw(*mode, "--bind", f"{psig}:/mnt:ro", "/mnt/psig", "status")
    assert rc == 3, out + err
