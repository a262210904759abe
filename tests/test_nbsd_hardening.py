"""Kernel hardening (issue 13): host signals that always work, timeouts that
count down, one process class, NetBSD's trap si_codes, interval timers,
overcommit with UVM's message, sh's ulimit.  Guest side: tests/guest/hard.c."""
import os
import signal
import subprocess
import sys
import time

import pytest

from buildreq import fail_build

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))


def kw(*argv, **kw_):
    """`python -m kw86.cli exec ARGV` in a subprocess -> (rc, out, err)."""
    kw_.setdefault("capture_output", True)
    kw_.setdefault("timeout", 120)
    kw_.setdefault("cwd", ROOT)
    kw_.setdefault("stdin", subprocess.DEVNULL)        # stdin at EOF
    r = subprocess.run([sys.executable, "-m", "kw86.cli", "exec", *argv], **kw_)
    return r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")


def _guest(name):
    import nbsd_env
    path = nbsd_env.guest_program(name)
    if path is None:
        fail_build(nbsd_env.guest_program.why)
    return "./" + os.path.relpath(path, ROOT)


@pytest.fixture(scope="module")
def hard():
    return _guest("hard")


@pytest.fixture(scope="module")
def hostile():
    return _guest("hostile")


def _clean(rc, out, err):
    assert "Traceback" not in err and "internal error" not in err, err
    assert "FAIL" not in out, out
    return rc


MODES = [pytest.param([], id="user"), pytest.param(["--kernelware"], id="kernelware")]


# -- item 5: poll/select with nothing to wait for, stdin at EOF ------------------------
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("what", ["pollnone", "selectex"])
def test_poll_and_select_time_out_with_stdin_at_eof(hard, mode, what):
    t0 = time.monotonic()
    rc, out, err = kw(*mode, hard, what, timeout=60)
    assert _clean(rc, out, err) == 0, out + err
    assert time.monotonic() - t0 < 30


def test_poll_timeout_counts_from_the_first_call(tmp_path):
    """A sleep woken without becoming ready sleeps only for what is left."""
    from kw86.nbsd.syscalls import poll
    from nbsd_env import Env
    (tmp_path / "r").mkdir()
    env = Env(tmp_path / "r")
    fds = env.alloc(8)
    env.ok("pipe2", fds, 0)
    rfd = int.from_bytes(env.read(fds, 4), "little")
    pfd = env.alloc(8, rfd.to_bytes(4, "little") + (poll.POLLIN).to_bytes(2, "little") + bytes(2))
    r = env.call("poll", pfd, 1, 100)                   # 100 ms
    assert r.block.timeout_ns == 100_000_000
    env.now += 60_000_000                               # woken 60 ms later, nothing ready
    r = env.call("poll", pfd, 1, 100)
    assert r.block.timeout_ns == 40_000_000
    env.now += 40_000_000
    assert env.ok("poll", pfd, 1, 100) == 0             # the time is up
    r = env.call("poll", pfd, 1, 100)                   # a new call: the full time again
    assert r.block.timeout_ns == 100_000_000
    assert isinstance(r.block, poll.PollWait)


# -- item 6: getpriority of another process; one process class --------------------------
@pytest.mark.parametrize("mode", MODES)
def test_getpriority_setpriority_of_another_pid(hard, mode):
    rc, out, err = kw(*mode, hard, "prio")
    assert _clean(rc, out, err) == 0, out + err
    assert out.count("ok ") == 4


def test_every_proc_field_is_declared(capfd):
    """After fork, exec, signals, sleeps and pipes, no process carries an
    attribute its class did not declare (no getattr defaults left)."""
    from kw86.nbsd.kernel import Kernel
    from kw86.nbsd.proc import Proc
    k = Kernel(os.path.join(ROOT, "kw86", "sysroot"), epoch_ns=0)
    seen = []
    orig = k._exit

    def spy(p, status, switch=True):
        seen.append(p)
        return orig(p, status, switch)
    k._exit = spy
    st = k.run_program(b"/bin/sh", [b"sh", b"-c",
                                    b"echo a | cat; sleep 0; ls /bin > /dev/null; kill -0 $$"],
                       [b"PATH=/bin"])
    k.close()
    assert st == 0 and len(seen) >= 3
    declared = set(vars(Proc(k.sys)))
    for p in seen:
        assert set(vars(p)) <= declared, set(vars(p)) - declared


# -- item 7: trap si_code / si_addr --------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
def test_trap_signals_carry_netbsd_si_codes(hard, mode):
    rc, out, err = kw(*mode, hard, "sicode")
    assert _clean(rc, out, err) == 0, out + err
    for name in ("div-FPE_INTDIV", "bound-FPE_FLTSUB", "into-FPE_INTOVF", "ud2-ILL_PRVOPC",
                 "int3-TRAP_BRKPT", "null-SEGV_MAPERR", "text-SEGV_ACCERR"):
        assert f"ok {name}" in out, out


def test_bound_default_action_is_sigfpe(tmp_path):
    from kw86.nbsd import abi, trap
    sig, code, _ = trap._TRAPSIG[abi.T_BOUND]
    assert (sig, code) == (abi.NBSD_SIGFPE, trap.FPE_FLTSUB)


# -- alarm / setitimer / getitimer ---------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("what", ["alarm", "itimer", "sleepalarm"])
def test_interval_timers(hard, mode, what):
    rc, out, err = kw(*mode, hard, what)
    assert _clean(rc, out, err) == 0, out + err


def test_sh_sleep_with_alarm_through_kill():
    """SIGALRM's default action ends a sleeping process (status 142)."""
    rc, out, err = kw("/bin/sh", "-c", "/bin/sleep 5 & kill -14 $!; wait $!; echo $?")
    assert (rc, out) == (0, "142\n"), err


# -- item 10: overcommit, UVM's message ----------------------------------------------
def test_mmap_overcommit_kills_with_uvm_message(hard):
    """64 separate 1 MiB mappings on a 16 MiB machine succeed (UVM reserves
    nothing); touching them kills the process with UVM's line, its shell goes on."""
    d = os.path.dirname(os.path.join(ROOT, hard))
    rc, out, err = kw("--memory", "16M", "--bind", f"{d}:/mnt", "/bin/sh", "-c",
                      "/mnt/hard mmap 64; echo st=$?")
    assert "Traceback" not in err
    assert "mapped 64" in out and "touched" not in out and "st=137" in out, out + err
    # pid.lid: a process's first LWP has the pid as its id (NetBSD 10);
    # init is 1, the shell 2, its child 3
    assert "UVM: pid 3.3 (hard), uid 0 killed: out of swap" in err, err


# -- ulimit ---------------------------------------------------------------------------
def test_sh_ulimit():
    rc, out, err = kw("/bin/sh", "-c", "ulimit -a; ulimit -n; ulimit -H -n; ulimit -n 40; "
                                       "ulimit -n; ulimit -S -c 8; ulimit -c; ulimit -H -c; "
                                       "ulimit -x; echo $?; ulimit -n zz; echo $?")
    assert "Traceback" not in err
    lines = out.splitlines()
    assert lines[0] == "time(seconds)        unlimited"
    assert "stack(kbytes)        2048" in lines
    assert "nofiles(descriptors) 128" in lines
    assert lines[10:17] == ["128", "3404", "40", "8", "unlimited", "2", "2"], out
    assert "ulimit: illegal option -- x" in err and "ulimit: bad number: zz" in err


# -- item 4: host signals always work -------------------------------------------------
def _spawn(*argv):
    return subprocess.Popen([sys.executable, "-m", "kw86.cli", "exec", *argv], cwd=ROOT,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


def _started(pr, secs=1.5):
    time.sleep(secs)                    # (python start-up and boot; then the spin)
    assert pr.poll() is None


@pytest.mark.parametrize("sig, code", [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_host_sigterm_ends_a_cli_spinning_kernelware(hostile, sig, code):
    pr = _spawn("--kernelware", hostile, "cli")
    try:
        _started(pr)
        t0 = time.monotonic()
        pr.send_signal(sig)
        out, err = pr.communicate(timeout=20)
        took = time.monotonic() - t0
    finally:
        if pr.poll() is None:
            pr.kill()
            pr.wait()
    assert pr.returncode == code, err
    assert took < 3.0
    err = err.decode()
    assert "Traceback" not in err and err.count("\n") == 1 and "did not end within" in err


def test_second_ctrl_c_ends_a_guest_that_cannot_take_it(hostile):
    pr = _spawn("--kernelware", hostile, "cli")
    try:
        _started(pr)
        pr.send_signal(signal.SIGINT)
        time.sleep(0.3)
        assert pr.poll() is None            # the first one went to the guest
        pr.send_signal(signal.SIGINT)
        out, err = pr.communicate(timeout=20)
    finally:
        if pr.poll() is None:
            pr.kill()
            pr.wait()
    assert pr.returncode == 130
    err = err.decode()
    assert "Traceback" not in err and err.count("\n") == 1 and "SIGINT again" in err


@pytest.mark.parametrize("mode", MODES)
def test_first_ctrl_c_goes_to_the_guest(hard, mode):
    """A guest that can take SIGINT gets it: its handler runs (exit 5)."""
    pr = _spawn(*mode, hard, "intspin")
    try:
        _started(pr)
        pr.send_signal(signal.SIGINT)
        out, err = pr.communicate(timeout=30)
    finally:
        if pr.poll() is None:
            pr.kill()
            pr.wait()
    assert pr.returncode == 5, err
    assert b"Traceback" not in err and err == b""
