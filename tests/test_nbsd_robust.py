"""Robustness of `kw86 exec` (issue 5, acceptance findings): closed host
fds, host signals while idle, bad options, low memory, trailing slashes,
host device nodes, host scripts, write errors, strace formatting."""
import os
import signal
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def kw(*argv, **kw_):
    """Run `python -m kw86.cli exec ARGV` in a subprocess; (rc, out, err)."""
    kw_.setdefault("capture_output", True)
    kw_.setdefault("timeout", 60)
    r = subprocess.run([sys.executable, "-m", "kw86.cli", "exec", *argv], cwd=ROOT, **kw_)
    return r.returncode, r.stdout, r.stderr


def sh(cmd, timeout=60):
    r = subprocess.run(["/bin/sh", "-c", cmd], cwd=ROOT, capture_output=True, timeout=timeout,
                       env=dict(os.environ, KW=f"{sys.executable} -m kw86.cli exec"))
    return r.returncode, r.stdout, r.stderr


# H1 ---------------------------------------------------------------------------------
def test_closed_stdout_is_ebadf_no_traceback():
    rc, out, err = sh("$KW /usr/bin/true >&-")
    assert rc == 0 and b"Traceback" not in err
    rc, out, err = sh("$KW /bin/ls /bin >&-")
    assert b"Traceback" not in err
    assert b"Bad file descriptor" in err and rc == 1


def test_closed_stdin_and_stderr():
    rc, out, err = sh("$KW /bin/cat <&-")
    assert b"Traceback" not in err and rc == 1 and b"Bad file descriptor" in err
    rc, out, err = sh("$KW /bin/ls /nonexist 2>&-")
    assert rc == 1 and err == b""


# H3, L12, L13 -------------------------------------------------------------------------
@pytest.mark.parametrize("opts, msg", [
    (["--strace-file", "/nonexist/dir/st"], b"kw86: --strace-file /nonexist/dir/st: No such file"),
    (["--bind", "/tmp:/"], b"kw86: --bind /tmp:/: Device busy"),
    (["--memory", "4096"], b"kw86: --memory: 4096 is too small"),
    (["--memory", "1M"], b"kw86: --memory: 1M is too small"),
    (["--memory", "xyz"], b"kw86: --memory: invalid size 'xyz'"),
    (["--mfs", "abc"], b"kw86: --mfs: invalid size 'abc'"),
    (["--mfs", "1K"], b"kw86: --mfs: 1K is too small"),
    (["--max-instructions", "-5"], b"kw86: --max-instructions: -5 is not a positive count"),
    (["-E", "NOEQ"], b"kw86: -E NOEQ: expected VAR=VALUE"),
    (["--cwd", "/etc/passwd"], b"kw86: --cwd /etc/passwd: Not a directory"),
    (["--cwd", "/nonexist"], b"kw86: --cwd /nonexist: No such file or directory"),
])
def test_bad_options_one_line_error(opts, msg):
    rc, out, err = kw(*opts, "/bin/ls", "/")
    assert rc == 2, err
    assert err.startswith(msg) and err.count(b"\n") == 1, err


@pytest.mark.parametrize("mem", ["2M", "3M", "4M"])
def test_low_memory_still_runs_ls(mem):
    rc, out, err = kw("--memory", mem, "/bin/ls", "/")
    assert b"Traceback" not in err and b"Error" not in err
    assert rc == 0 and b"bin" in out.split()


def test_fork_loop_in_low_memory_fails_with_eagain():
    rc, out, err = kw("--memory", "8M", "--max-instructions", "20000000", "/bin/sh", "-c",
                      "while :; do /bin/sleep 100 & done", timeout=120)
    assert b"Traceback" not in err and b"MemoryError" not in err
    assert b"fork: Resource temporarily unavailable" in err
    assert rc == 137 and b"instruction limit reached" in err


# H2 ---------------------------------------------------------------------------------
@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143),
                                       (signal.SIGHUP, 129)])
def test_host_signal_reaches_guest_waiting_on_stdin(sig, code):
    r, w = os.pipe()
    try:
        pr = subprocess.Popen([sys.executable, "-m", "kw86.cli", "exec", "/bin/cat"], cwd=ROOT,
                              stdin=r, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(1.5)                     # cat is now waiting for host input
        pr.send_signal(sig)
        out, err = pr.communicate(timeout=20)
    finally:
        os.close(r)
        os.close(w)
    assert pr.returncode == code, err
    assert b"Traceback" not in err
