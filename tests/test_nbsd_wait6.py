"""wait6(2) (NetBSD 10's system call 481) and libc waitid(2) over it: each
idtype, each option, the SIGCHLD siginfo, struct wrusage, the errors
(ECHILD, EINVAL, EFAULT), WNOWAIT then a real wait, a stopped and continued
child.  The C program is tests/guest/wait6.c, run as a user process and as
a kernelware (`--kernelware`); it prints one line per check and "done N"
(N failures)."""
import os
import subprocess
import sys

import pytest

import hostenv
from nbsd_env import guest_program_dir

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
    return guest_program_dir(tmp_path_factory, "wait6")


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


# -- the option and idtype rules of the kernel's one wait, over every bit pattern --

from types import SimpleNamespace                                   # noqa: E402

from hypothesis import given, settings, strategies as st           # noqa: E402

from kw86.nbsd import abi                                           # noqa: E402
from kw86.nbsd.errors import Errno, WouldBlock                      # noqa: E402
from kw86.nbsd.kernel import Kernel                                 # noqa: E402

KNOWN = 0x1 | 0x2 | 0x4 | 0x8 | 0x10 | 0x20 | 0x40 | 0x10000 | 0x20000     # sys/wait.h
SELECT = 0x2 | 0x10 | 0x20 | 0x40       # WUNTRACED WCONTINUED WEXITED WTRAPPED


def _kernel_with(kids):
    """A kernel whose process table is the caller (pid 10, group 10, session 10,
    uid 100) and the given children: only what the wait reads."""
    cred = SimpleNamespace(ruid=100, euid=100, egid=20)
    me = SimpleNamespace(pid=10, ppid=1, pgid=10, sid=10, cred=cred, state="run")
    procs = {10: me}
    for c in kids:
        procs[c.pid] = c
    k = SimpleNamespace(sys=SimpleNamespace(procs=procs), lwp_ids=set())
    k._wait_match = Kernel._wait_match.__get__(k)
    k._cld_info = Kernel._cld_info
    return k, me


def _running(pid, pgid=10, sid=10, euid=100, egid=20):
    return SimpleNamespace(pid=pid, ppid=10, pgid=pgid, sid=sid, state="run", stopped=False,
                           stop_reported=True, cont_reported=True,
                           cred=SimpleNamespace(ruid=euid, euid=euid, egid=egid))


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=0xffffffff))
def test_options_einval_exactly_when_unknown_or_nothing_selected(options):
    k, me = _kernel_with([])
    with pytest.raises(Errno) as e:
        Kernel.wait6(k, me, abi.NBSD_P_ALL, 0, options)
    want = abi.EINVAL if options & ~KNOWN or not options & SELECT else abi.ECHILD
    assert e.value.errno == want


@settings(max_examples=200, deadline=None)
@given(idtype=st.integers(min_value=-1, max_value=16), id_=st.integers(min_value=0, max_value=40),
       pgid=st.sampled_from([10, 30]), sid=st.sampled_from([10, 31]),
       euid=st.sampled_from([100, 32]), egid=st.sampled_from([20, 33]))
def test_idtype_selects_as_netbsd_match_process(idtype, id_, pgid, sid, euid, egid):
    """A running child (pid 21): selected -> WNOHANG gives 0 and a blocking
    wait sleeps; not selected -> ECHILD."""
    k, me = _kernel_with([_running(21, pgid, sid, euid, egid)])
    selected = {abi.NBSD_P_ALL: True, abi.NBSD_P_PID: id_ == 21,
                abi.NBSD_P_PGID: pgid == (id_ or 10), abi.NBSD_P_SID: sid == id_,
                abi.NBSD_P_UID: euid == id_, abi.NBSD_P_GID: egid == id_}.get(idtype, False)
    if selected:
        assert Kernel.wait6(k, me, idtype, id_, abi.NBSD_WEXITED | abi.NBSD_WNOHANG) == (0, 0, None)
        with pytest.raises(WouldBlock):
            Kernel.wait6(k, me, idtype, id_, abi.NBSD_WEXITED)
    else:
        with pytest.raises(Errno) as e:
            Kernel.wait6(k, me, idtype, id_, abi.NBSD_WEXITED)
        assert e.value.errno == abi.ECHILD
