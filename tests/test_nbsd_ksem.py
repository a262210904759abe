"""POSIX semaphores on the kernel's _ksem_* calls (kw86/nbsd/syscalls/ksem.py)
and libc's sem_* over them: tests/guest/ksem.c, run as a user process and as
a kernelware.  It checks unnamed and named semaphores and their errors
(EINVAL, EAGAIN, ETIMEDOUT, EOVERFLOW, EBADF, EFAULT, ENOENT, EEXIST,
ENAMETOOLONG, EACCES), sharing with forked children, and a caught signal
during sem_wait: restarted with SA_RESTART, EINTR without."""
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
    return guest_program_dir(tmp_path_factory, "ksem")


@pytest.mark.parametrize("mode", MODES, ids=MODE_IDS)
def test_ksem(prog, mode):
    r = subprocess.run([sys.executable, "-m", "kw86.cli", "exec", *mode,
                        "--bind", f"{prog}:/mnt:ro", "/mnt/ksem"], cwd=ROOT,
                       capture_output=True, timeout=600, env=hostenv.kw86_env())
    out, err = r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")
    bad = [ln for ln in out.splitlines() if ln.startswith("FAIL")]
    assert not bad, "\n".join(bad) + "\n" + err
    assert out.count("\nok ") >= 70, out + err
    assert "done 0" in out and r.returncode == 0, out + err
    assert "Traceback" not in err, err
