"""Partial kernelware: system calls 510 switch_to_kernel_mode and 511
switch_to_user_mode (kw86/nbsd/kernelware.py; userland/README.md's kw86-private
numbers).

The sysroot's `libctest switch` in both start modes, and our own guest program
tests/guest/kmode.c (built like ktest.c by nbsd_env.guest_program): the
trap/call counters, a signal in kernel mode after a switch (at the gate's return
and while spinning at CPL 0, preempted by the timer), fork and execve after a
switch, 511 by int $0x80 at CPL 0 (a short frame), many round trips, and the
permission hook.
"""
import os

import pytest

from buildreq import built, fail_build
from nbsd_env import SYSROOT, guest_program

pytestmark = built(os.path.exists(os.path.join(SYSROOT, "usr", "tests", "kw86", "libctest")),
                   "the userland sysroot")


@pytest.fixture(scope="module")
def kmode():
    path = guest_program("kmode")
    if path is None:
        fail_build(guest_program.why)
    with open(path, "rb") as f:
        return f.read()


def run(tmp_path, image, args, kernelware=False, setup=None, **kw):
    """Run a host image (or a sysroot path) as pid 1 in an in-process Kernel:
    (wait status, stdout+stderr text, the kernel's stats)."""
    from kw86.nbsd.kernel import Kernel
    out = tmp_path / "out"
    with open(out, "wb") as f, open(os.devnull, "rb") as null:
        k = Kernel(SYSROOT, stdin=null.fileno(), stdout=f.fileno(), stderr=f.fileno(), **kw)
        try:
            k.modload("kernelware", "kwhook")   # what 510 needs, and its preemption
            if setup is not None:
                setup(k)
            if isinstance(image, bytes) and image.startswith(b"\x7fELF"):
                k.spawn(b"/kmode", [b"kmode"] + args, [b"PATH=/bin:/usr/bin"], kernelware,
                        host_image=image)
            else:
                k.spawn(image, [os.path.basename(image)] + args, [b"PATH=/bin:/usr/bin"],
                        kernelware)
            status = k.run(max_instructions=500_000_000)
            stats = dict(k.stats)
        finally:
            k.close()
    return status, out.read_text(), stats


def oks(text):
    lines = text.splitlines()
    assert not [l for l in lines if l.startswith("FAIL")], text
    return lines


@pytest.mark.parametrize("kw", [False, True], ids=["user", "kernelware"])
def test_libctest_switch(capfd, kw):
    from kw86 import cli
    capfd.readouterr()
    # as a user process: 510 joins the kernelware module kw86 exec loads at boot
    rc = cli.main(["exec", "--kernelware", "/usr/tests/kw86/libctest", "switch"] if kw else
                  ["exec", "/usr/tests/kw86/libctest", "switch"])
    out, err = capfd.readouterr()
    assert rc == 0, err
    start = "kernel" if kw else "user"
    assert out.splitlines() == [
        f"start {start}",
        "switch_to_kernel_mode 0 kernel",
        "getpid ok",
        "switch_to_kernel_mode 0 kernel",
        "switch_to_user_mode 0 user",
        "getpid ok",
    ], err


def test_counters_split_by_path(tmp_path, kmode):
    """N getpid calls in kernel mode go by the call gate (plus one getpid and
    the 511 itself); everything else, 510 included, by the trap."""
    results = {}
    for n in (20, 220):
        status, out, st = run(tmp_path, kmode, [b"count", str(n).encode()])
        assert status == 0, out
        assert f"calls {n}" in oks(out)
        assert st["syscalls_gate"] == n + 2, st
        assert st["switches_to_kernel"] == 1 and st["switches_to_user"] == 1, st
        results[n] = st
    # the trap count does not depend on N
    assert results[20]["syscalls_trap"] == results[220]["syscalls_trap"] > 0


def test_signal_in_kernel_mode_after_switch(tmp_path, kmode):
    status, out, st = run(tmp_path, kmode, [b"signal"], hz=1000, quantum=1)
    assert status == 0, out
    lines = oks(out)
    for name in ("self-signal-in-kernel", "still-kernel", "signal-while-spinning", "child",
                 "to-user", "signal-in-user"):
        assert f"ok {name}" in lines, out


@pytest.mark.parametrize("kw", [False, True], ids=["user", "kernelware"])
def test_fork_after_switch(tmp_path, kmode, kw):
    status, out, st = run(tmp_path, kmode, [b"fork"], kernelware=kw)
    assert status == 0, out
    lines = oks(out)
    assert "ok child-in-kernel" in lines and "ok pipe-from-child" in lines, out


def test_exec_after_switch_starts_in_kernel_mode(tmp_path, kmode):
    status, out, st = run(tmp_path, kmode, [b"exec"])
    assert status == 0, out
    lines = oks(out)
    assert lines[0] == "ok to-kernel"
    assert lines[1:] == ["start kernel", "switch_to_kernel_mode 0 kernel", "getpid ok",
                         "switch_to_kernel_mode 0 kernel", "switch_to_user_mode 0 user",
                         "getpid ok"], out


def test_switch_back_by_int80_at_cpl0(tmp_path, kmode):
    """511 by int $0x80 at CPL 0: the short frame on the user stack becomes a
    full frame on the kernel stack; the same esp after the return."""
    status, out, st = run(tmp_path, kmode, [b"int80"])
    assert status == 0, out
    lines = oks(out)
    assert {"ok int80-to-user", "ok same-esp", "ok getpid"} <= set(lines), out


def test_many_round_trips(tmp_path, kmode):
    status, out, st = run(tmp_path, kmode, [b"pingpong", b"300"], hz=1000, quantum=1)
    assert status == 0, out
    assert "ok pingpong" in oks(out)
    assert st["switches_to_kernel"] == st["switches_to_user"] == 300


@pytest.mark.parametrize("how", ["unloaded", "policy"])
def test_permission_hook(tmp_path, kmode, how):
    from kw86.nbsd import abi

    def setup(k):
        if how == "unloaded":
            k.kernelware_loaded = False
        else:
            k.kw_policy = lambda p: abi.EPERM if p.cred.euid != 12345 else 0
    status, out, st = run(tmp_path, kmode, [b"perm"], setup=setup)
    assert status == 0, out
    assert out.splitlines() == [f"perm -1 {abi.EPERM} user"], out
    assert st["switches_to_kernel"] == 0
    # allowed: the same program switches; already in kernel mode: 0, no change
    status, out, st = run(tmp_path, kmode, [b"perm"])
    assert out.splitlines() == ["perm 0 0 kernel"], out
    status, out, st = run(tmp_path, kmode, [b"perm"], kernelware=True, setup=setup)
    assert out.splitlines() == ["perm 0 0 kernel"], out
    assert st["switches_to_kernel"] == 0


def test_table_rows():
    from kw86.nbsd.syscalls import TABLE
    assert TABLE[510].name == "kw86_switch_to_kernel" and not TABLE[510].fast
    assert TABLE[511].name == "kw86_switch_to_user" and not TABLE[511].fast
