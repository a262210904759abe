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
