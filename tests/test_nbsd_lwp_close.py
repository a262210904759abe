"""close(2) of a descriptor another LWP is blocked in, and _lwp_kill of
oneself with another LWP runnable (issue 11; Go's os TestClosedPipeRace*,
TestStdPipe).

tests/guest/lwp_close.c: NetBSD's fd_close restarts the other LWPs' calls on
the file (fo_restart, sys_pipe.c pipe_restart): a blocked write or read of
the closed descriptor returns EBADF (9), a write that had moved bytes before
sleeping returns that count (dofilewrite: ERESTART after a partial transfer
is success), even when the number names another file before the sleeper
runs again; a reader whose pipe's other end is closed gets end of file.

tests/guest/lwp_selfkill.c: _lwp_kill(_lwp_self(), SIGPIPE) made with
int $0x80 (as Go's runtime makes it) while a second LWP spins: the handler
runs before the call returns, 20 times, its mask undone each time, and with
SIG_DFL the process ends by SIGPIPE.  For a kernelware the handler's frame
moves the call's short frame; a preemption at that return used to park the
LWP on the old frame (the handler skipped, every signal left masked: Go's
dieFromSignal then exit(2)).
"""
import os

import pytest

from buildreq import built, fail_build
from nbsd_env import SYSROOT, guest_program
from kw86.nbsd import abi

pytestmark = built(os.path.exists(os.path.join(SYSROOT, "bin", "sh")), "the userland sysroot")

MODES = [False, True]
IDS = ["user", "kernelware"]
EBADF = 9


def _program(name):
    path = guest_program(name)
    if path is None:
        fail_build(guest_program.why)
    return path


def run(tmp_path, name, args, kernelware):
    """tests/guest/NAME as pid 2 in an in-process Kernel: (wait status, output)."""
    from kw86.nbsd.kernel import Kernel
    with open(_program(name), "rb") as f:
        image = f.read()
    out = tmp_path / "out"
    with open(out, "wb") as f, open(os.devnull, "rb") as null:
        k = Kernel(SYSROOT, stdin=null.fileno(), stdout=f.fileno(), stderr=f.fileno(),
                   epoch_ns=0)
        try:
            k.spawn(b"/" + name.encode(), [name.encode()] + [a.encode() for a in args],
                    [b"PATH=/bin"], kernelware, host_image=image)
            status = k.run(max_instructions=200_000_000)
        finally:
            k.close()
    return status, out.read_text()


@pytest.mark.parametrize("kernelware", MODES, ids=IDS)
def test_close_of_a_descriptor_another_lwp_is_blocked_in(tmp_path, kernelware):
    status, out = run(tmp_path, "lwp_close", [], kernelware)
    lines = out.splitlines()
    assert lines[0] == f"write: close 0, call returned -1 errno {EBADF}", out
    assert lines[1] == f"read: close 0, call returned -1 errno {EBADF}", out
    # the writer moved what the empty pipe holds, then slept: that count
    part = lines[2].split()
    assert part[:5] == ["part:", "close", "0,", "call", "returned"], out
    assert 0 < int(part[5]) < 256 * 1024 and part[6:] == ["errno", "0"], out
    assert lines[3].startswith(f"reuse: close 0, call returned -1 errno {EBADF}"), out
    assert lines[4] == "reuse: new pipe read -1 errno 35", out        # EAGAIN: nothing in it
    assert lines[5] == "eof: call returned 0 errno 0", out
    assert lines[6:] == ["ok"] and status == 0, out


@pytest.mark.parametrize("spin", ["", "spin"], ids=["alone", "spinner"])
@pytest.mark.parametrize("kernelware", MODES, ids=IDS)
def test_lwp_kill_of_itself_runs_the_handler_before_returning(tmp_path, kernelware, spin):
    status, out = run(tmp_path, "lwp_selfkill", [spin] if spin else [], kernelware)
    assert out == "handler ran 20 times, 0 bad\n", out
    assert status == abi.w_termsig(abi.NBSD_SIGPIPE), (status, out)
