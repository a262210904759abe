"""A process-directed signal is the process's, not one LWP's: left pending
when the LWP that was to take it blocks it or exits, another LWP that does
not block it takes it (NetBSD keeps it in p_sigpend).  The C program is
tests/guest/lwp_sigexit.c, run as a user process and as a kernelware
(`--kernelware`, where a worker preempted at a call gate's exit takes its
signals only at its next call: before the fix the signal stayed pending
past the worker's exit and the only LWP left to take it slept on)."""
import os
import subprocess
import sys

import pytest

import hostenv
from nbsd_env import guest_program_dir

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODES = [[], ["--kernelware"]]
MODE_IDS = ["user", "kernelware"]


@pytest.fixture(scope="module")
def prog(tmp_path_factory):
    return guest_program_dir(tmp_path_factory, "lwp_sigexit")


@pytest.mark.parametrize("mode", MODES, ids=MODE_IDS)
def test_process_signal_survives_its_lwp(prog, mode):
    r = subprocess.run([sys.executable, "-m", "kw86.cli", "exec", *mode,
                        "--bind", f"{prog}:/mnt:ro", "/mnt/lwp_sigexit"], cwd=ROOT,
                       capture_output=True, timeout=600, env=hostenv.kw86_env())
    out, err = r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")
    bad = [ln for ln in out.splitlines() if ln.startswith("FAIL")]
    assert not bad, "\n".join(bad) + "\n" + err
    assert "rounds 40 taken 40" in out, out + err   # every post taken exactly once
    assert "done 0" in out and r.returncode == 0, out + err
    assert "Traceback" not in err and "deadlock" not in err, err
