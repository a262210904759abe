"""wait6(2) (NetBSD 10's system call 481) and libc waitid(2) over it: each
idtype, each option, the SIGCHLD siginfo, struct wrusage, the errors
(ECHILD, EINVAL, EFAULT), WNOWAIT then a real wait, a stopped and continued
child.  The C program is tests/guest/wait6.c, run as a user process and as
a kernelware (`--kernelware`); it prints one line per check and "done N"
(N failures)."""
import os
import shutil
import subprocess
import sys

import pytest

import hostenv
from buildreq import fail_build
from nbsd_env import guest_program

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODES = [[], ["--kernelware"]]
MODE_IDS = ["user", "kernelware"]


def _ncheck():
    """The number of check()/check_err() calls in the source: every one must run."""
    with open(os.path.join(ROOT, "tests", "guest", "wait6.c")) as f:
        src = f.read()
    return src.count("    check(") + src.count("    check_err(") - 1   # minus check_err's own check()


@pytest.fixture(scope="module")
def wait6(tmp_path_factory):
    path = guest_program("wait6")
    if path is None:
        fail_build(guest_program.why)
    d = tmp_path_factory.mktemp("wait6")
    shutil.copy(path, d / "wait6")
    os.chmod(d, 0o755)
    os.chmod(d / "wait6", 0o755)
    return str(d)


def kw(*argv, timeout=300):
    r = subprocess.run([sys.executable, "-m", "kw86.cli", "exec", *argv], cwd=ROOT,
                       capture_output=True, timeout=timeout, env=hostenv.kw86_env())
    return r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")


@pytest.mark.parametrize("mode", MODES, ids=MODE_IDS)
def test_wait6(wait6, mode):
    rc, out, err = kw(*mode, "--bind", f"{wait6}:/mnt:ro", "/mnt/wait6")
    bad = [ln for ln in out.splitlines() if ln.startswith("FAIL")]
    assert not bad, "\n".join(bad) + "\n" + err
    assert "done 0" in out and rc == 0, out + err
    oks = [ln for ln in out.splitlines() if ln.startswith("ok ")]
    assert len(oks) == _ncheck(), out               # every check ran
    assert "Traceback" not in err and "panic" not in err, err


def test_wait6_strace_names_the_call(wait6):
    """The call is decoded by its NetBSD name and prototype (no ENOSYS)."""
    rc, out, err = kw("--strace", "--bind", f"{wait6}:/mnt:ro", "/mnt/wait6")
    assert rc == 0, out + err
    assert "wait6(" in err + out and "ENOSYS" not in err + out, err[-3000:]
