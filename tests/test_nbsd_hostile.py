"""Hostile kernelware (issue 13): a program at CPL 0 that forges hypercalls,
rewrites kernel text, reloads CR3/CR0/IDT/GDT, triple-faults or spins with
interrupts off.  kw86 must end it with a one-line message and a non-zero
status, or kill that process (SIGSEGV/SIGKILL) while the others go on;
never a Python traceback.  Guest side: tests/guest/hostile.c."""
import os
import signal
import subprocess
import sys
import time

import pytest

from buildreq import fail_build

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))


@pytest.fixture(scope="module")
def hostile_dir():
    import nbsd_env
    path = nbsd_env.guest_program("hostile")
    if path is None:
        fail_build(nbsd_env.guest_program.why)
    return os.path.dirname(path)


def _sym(name):
    from kw86.nbsd.build_locore import load
    return f"{load()[name]:x}"


def _idt():
    from kw86.nbsd import abi
    from kw86.nbsd.boot import IDT_PHYS
    return f"{abi.KERNBASE + IDT_PHYS:x}"


def kw(*argv, timeout=60):
    r = subprocess.run([sys.executable, "-m", "kw86.cli", "exec", *argv], cwd=ROOT,
                       capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
    return r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")


def _no_traceback(err):
    assert "Traceback" not in err and "internal error" not in err and "panic" not in err, err


# (attack, its arguments) -> what the attacker dies of
ATTACKS = [
    ("hcall", lambda: ["1", "10"], 139),
    ("hcall", lambda: ["2", "10"], 139),
    ("hcall", lambda: ["3", "10"], 139),
    ("hcall", lambda: ["4", "10"], 139),
    ("hcall", lambda: ["1", "c0000000"], 139),
    ("jmphcall", lambda: [_sym("kw86_hcall"), "1", "10"], 139),
    ("jmphcall", lambda: [_sym("kw86_hcall"), "9", "bfbff000"], 139),
    ("forge", lambda: ["1"], None),
    ("forge", lambda: ["2"], 139),          # system-call hypercalls locore did not make:
    ("forge", lambda: ["4"], 139),          # refused (Core.sf_forged), SIGSEGV
    ("forge", lambda: ["7"], 139),
    ("forgecall", lambda: ["1"], 139),
    ("esp0", lambda: [], 139),
    ("triple", lambda: [], 139),
    ("lidt", lambda: [], 139),
    ("lgdt", lambda: [], 139),
    ("cr3", lambda: ["12345000"], 139),
    ("cr0", lambda: [], 139),
    ("hlt", lambda: [], 137),
    ("wptext", lambda: [_sym("alltraps")], 139),
    ("idtzero", lambda: [_idt()], 139),
]


@pytest.mark.parametrize("attack, args, status", ATTACKS,
                         ids=[f"{a}-{i}" for i, (a, _, _) in enumerate(ATTACKS)])
def test_attacker_dies_and_its_shell_goes_on(hostile_dir, attack, args, status):
    """The attacker is a child of a kernelware sh: it dies, sh runs the next
    commands (another kernelware and a user-mode program)."""
    cmd = f"/mnt/hostile {attack} {' '.join(args())}; echo st=$?; /mnt/hostile ok; /bin/echo done"
    rc, out, err = kw("--bind", f"{hostile_dir}:/mnt", "--kernelware", "/bin/sh", "-c", cmd)
    _no_traceback(err)
    assert rc == 0 and out.endswith("ok\ndone\n"), (rc, out, err)
    st = int(out.split("st=")[1].split()[0])
    assert st != 0 and st != 3, out                     # 3: the attack was not noticed
    if status is not None:
        assert st == status, (out, err)
    assert len(err.splitlines()) <= 2, err              # the kernel's line and the shell's


@pytest.mark.parametrize("attack, args", [("hcall", ["1", "10"]), ("triple", []),
                                          ("hlt", []), ("forge", ["9"])])
def test_attacker_as_pid_1_ends_kw86_with_one_line(hostile_dir, attack, args):
    rc, out, err = kw("--kernelware", "./" + os.path.relpath(os.path.join(hostile_dir, "hostile"), ROOT), attack, *args)
    _no_traceback(err)
    assert rc in (137, 139), (rc, err)
    assert len(err.splitlines()) == 1, err


@pytest.mark.parametrize("attack, args", [("cli", []), ("wpgate", ["kw86_syscall_gate"])])
def test_sigterm_ends_a_spinning_kernel(hostile_dir, attack, args):
    """Interrupts off (or the gate overwritten with `jmp .`): the host's
    SIGTERM still ends kw86 within a second or two."""
    args = [_sym(a) if a.startswith("kw86_") else a for a in args]
    pr = subprocess.Popen([sys.executable, "-m", "kw86.cli", "exec", "--kernelware",
                           "./" + os.path.relpath(os.path.join(hostile_dir, "hostile"), ROOT), attack, *args], cwd=ROOT,
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE)
    try:
        time.sleep(1.5)
        assert pr.poll() is None
        t0 = time.monotonic()
        pr.send_signal(signal.SIGTERM)
        out, err = pr.communicate(timeout=20)
        took = time.monotonic() - t0
    finally:
        if pr.poll() is None:
            pr.kill()
            pr.wait()
    err = err.decode()
    _no_traceback(err)
    assert pr.returncode == 143 and took < 3.0, (pr.returncode, took, err)
    assert len(err.splitlines()) == 1


def test_internal_error_is_a_panic_not_a_traceback(capfd, monkeypatch):
    """The last resort: a kernel bug ends kw86 with a panic line, a register
    dump and status 70."""
    from kw86.cli import main
    from kw86.nbsd import kernel

    def broken(self, p, fesp=None):
        raise ValueError("planted")
    monkeypatch.setattr(kernel.Kernel, "_check_signals", broken)
    monkeypatch.setattr(kernel.Kernel, "_switch_to", lambda self, q: broken(self, q))
    rc = main(["exec", "/bin/sh", "-c", "/bin/echo a | /bin/cat"])
    out, err = capfd.readouterr()
    assert rc == 70, err
    assert "Traceback" not in err and "kw86: panic" in err and "eip=" in err
