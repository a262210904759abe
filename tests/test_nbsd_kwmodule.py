"""The kernelware module (kw86/nbsd/module.py; issue 8 sections 2-4): the
`kernelware` emulation and the `kwhook` preemption hook, loaded and
unloaded from inside the guest with the sysroot's modload/modunload/modstat
(modctl(2)), and kwrun.

- `kw86 exec` loads the emulation at boot (`--modules` chooses; with
  `--modules none` 510 and kwrun are EPERM); `kw86 exec --kernelware`
  loads both;
- modunload kernelware while a process is in the emulation: EBUSY;
- modunload kwhook puts the IDT back byte for byte;
- a process that never joins is untouched (same cycles per getpid with the
  emulation loaded);
- kwrun: root only (`kwrun: kernelware: Operation not permitted`), its
  program starts at CPL 0 and prints what it prints as a user process; fork
  and exec of a kernelware stay in kernel mode;
- starvation: without kwhook a CPU-bound kernelware keeps the CPU; loading
  kwhook at run time ends it; the hook costs a user getpid exactly its
  stub's three instructions (Fig. 4).
"""
import os
import re

import pytest

from buildreq import built
from nbsd_env import SYSROOT

pytestmark = built(all(os.path.exists(os.path.join(SYSROOT, *p.split("/"))) for p in (
    "sbin/modload", "sbin/modunload", "sbin/modstat", "usr/bin/kwrun",
    "usr/tests/kw86/libctest", "usr/bin/spin", "usr/bin/getpid_bench")),
    "the userland sysroot (modload, modunload, modstat, kwrun)")

LIBCTEST = "/usr/tests/kw86/libctest"


def kw86(capfd, *argv):
    from kw86 import cli
    capfd.readouterr()
    rc = cli.main(["exec", *argv])
    out, err = capfd.readouterr()
    return rc, out, err


def sh(capfd, script, *opts):
    return kw86(capfd, *opts, "/bin/sh", "-c", script)


def test_nothing_loaded_with_modules_none(capfd):
    rc, out, err = sh(capfd, f"modstat; {LIBCTEST} switch; kwrun /bin/echo hi; echo rc=$?",
                      "--modules", "none")
    assert out.splitlines()[0].split()[:2] == ["NAME", "CLASS"]
    assert "kernelware" not in out and "kwhook" not in out.splitlines()[0]
    assert "switch_to_kernel_mode -1 user" in out            # 510: EPERM
    assert "rc=1" in out and "hi" not in out
    assert "kwrun: kernelware: Operation not permitted" in err


def test_default_boot_loads_the_emulation_only(capfd):
    # a stock kw86 kernel has the emulation loaded (kwrun works from a
    # user-mode sh), not the hook (it would cost every int $0x80 its stub)
    rc, plain, err = kw86(capfd, "/bin/ls", "-l", "/")
    assert rc == 0, err
    rc, out, err = sh(capfd, "modstat")
    assert [l.split()[0] for l in out.splitlines()[1:]] == ["kernelware"], out
    rc, out, err = sh(capfd, "kwrun /bin/ls -l /")
    assert rc == 0, err
    assert out == plain


def test_modules_option_errors(capfd):
    rc, out, err = kw86(capfd, "--modules", "none", "--kernelware", "/bin/echo", "hi")
    assert rc == 2 and out == ""
    assert err == ("kw86: --kernelware: the kernelware module is not loaded "
                   "(--modules without kernelware)\n")
    rc, out, err = kw86(capfd, "--modules", "kernelware,nosuch", "/bin/echo", "hi")
    assert rc == 2 and "kw86: --modules: no module 'nosuch'" in err
    rc, out, err = sh(capfd, "modstat", "--modules", "kwhook")
    assert [l.split()[0] for l in out.splitlines()[1:]] == ["kwhook"], out


def test_modload_modstat_modunload(capfd):
    rc, out, err = sh(capfd, "modload kernelware && modload kwhook && modstat && "
                             "modunload kwhook && modunload kernelware && modstat; "
                             "modload kernelware; modload kernelware; modload nosuch; "
                             "modunload kwhook; echo end", "--modules", "none")
    assert rc == 0, err
    lines = out.splitlines()
    names = [l.split()[0] for l in lines if not l.startswith(("NAME", "end"))]
    assert names == ["kernelware", "kwhook"]
    assert "modload: kernelware: File exists" in err
    assert "modload: nosuch: No such file or directory" in err
    assert "modunload: kwhook: No such file or directory" in err


def test_kernelware_boot_loads_both_and_unload_is_busy(capfd):
    rc, out, err = sh(capfd, "modstat; modunload kernelware; echo rc=$?; modunload kwhook; "
                             "modstat kwhook", "--kernelware")
    assert rc == 0, err
    body = [l.split() for l in out.splitlines() if l.startswith("kernelware")]
    assert body and int(body[0][4]) >= 2            # sh and modstat are in the emulation
    assert "modunload: kernelware: Device busy" in err and "rc=1" in out
    assert "kwhook" in out.split("rc=1")[0] and "kwhook" not in out.split("rc=1")[1]


def test_non_root_may_not_load_or_join(capfd):
    rc, out, err = sh(capfd, "modload kernelware; kwrun /bin/echo hi; echo rc=$?",
                      "--user", "user", "--modules", "none")
    assert "modload: kernelware: Operation not permitted" in err
    assert "kwrun: kernelware: Operation not permitted" in err and "rc=1" in out


def test_kwrun_starts_at_cpl0_and_children_stay(capfd):
    rc, out, err = sh(capfd, f"modload kernelware && {LIBCTEST} switch | head -1 && "
                             f"kwrun {LIBCTEST} switch | head -1 && "
                             f"kwrun /bin/sh -c '{LIBCTEST} switch | head -1'",
                      "--modules", "none")
    assert rc == 0, err
    assert out.splitlines() == ["start user", "start kernel", "start kernel"], (out, err)


def test_kwrun_ls_prints_what_ls_prints(capfd):
    rc, plain, err = kw86(capfd, "/bin/ls", "-l", "/")
    assert rc == 0, err
    rc, out, err = sh(capfd, "modload kernelware && kwrun /bin/ls -l /", "--modules", "none")
    assert rc == 0, err
    assert out == plain


def _idt(k):
    from kw86.nbsd.boot import IDT_PHYS
    return k.m.read(IDT_PHYS, 256 * 8)


def _boot_sh(script, kernelware=False):
    from kw86.nbsd.kernel import Kernel
    with open(os.devnull, "rb") as null, open(os.devnull, "wb") as sink:
        k = Kernel(SYSROOT, stdin=null.fileno(), stdout=sink.fileno(), stderr=sink.fileno(),
                   epoch_ns=1_700_000_000 * 10**9)
        before = _idt(k)
        k.spawn(b"/bin/sh", [b"sh", b"-c", script.encode()], [b"PATH=/bin:/sbin:/usr/bin"],
                kernelware)
        status = k.run(max_instructions=200_000_000)
        after = _idt(k)
        k.close()
    return status, before, after


def test_kwhook_unload_restores_the_idt_byte_for_byte():
    status, before, loaded = _boot_sh("modload kwhook")
    assert status == 0
    changed = [v for v in range(256) if before[8 * v:8 * v + 8] != loaded[8 * v:8 * v + 8]]
    assert changed == list(range(0x20, 0x30)) + [0x80]
    status, before, after = _boot_sh("modload kwhook && modunload kwhook && "
                                     "modload kwhook && modunload kwhook")
    assert status == 0 and after == before


def _getpid_cycles(capfd, script):
    """[(calls, cycles)] of each getpid_bench line."""
    rc, out, err = sh(capfd, script, "--modules", "none")
    assert rc == 0, err
    return [(int(n), int(c)) for n, c in re.findall(r"getpid (\d+) calls (\d+) cycles", out)]


def test_a_process_that_never_joins_is_untouched(capfd):
    """Same cycles for a user getpid with the kernelware emulation loaded."""
    a = _getpid_cycles(capfd, "getpid_bench 2000")
    b = _getpid_cycles(capfd, "modload kernelware && getpid_bench 2000")
    assert a == b and len(a) == 1


def _stub_user_cycles():
    """The cycle model's cost of the hook stub's path for an interrupt from
    user mode (locore.S Xkwhook<vec>): `testb $3, 4(%esp)` (alu), `jnz`
    taken (jcc + branch_taken), `jmp *orig(,vec)` (jmpi + branch_taken)."""
    import tomllib
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(here, "kw86", "profiles", "celeron500.toml"), "rb") as f:
        prof = tomllib.load(f)
    c, e = prof["classes"], prof["events"]
    return c["alu"] + c["jcc"] + c["jmpi"] + 2 * e["branch_taken"]


def test_kwhook_costs_a_user_getpid_its_stub(capfd):
    """Fig. 4: with kwhook every int $0x80 from user mode runs the stub's
    three instructions before Xsyscall: exactly their modelled cycles more,
    and nothing more after modunload."""
    runs = _getpid_cycles(capfd, "getpid_bench 2000; modload kwhook && getpid_bench 2000; "
                                 "modunload kwhook && getpid_bench 2000")
    (n, a), (_, b), (_, c) = runs
    assert b - a == n * _stub_user_cycles(), runs
    assert c == a, runs


def _between(lines, first, last, tag):
    """Lines with tag between the first line starting with `first` and `last`."""
    i = next(n for n, l in enumerate(lines) if l.startswith(first))
    j = next(n for n, l in enumerate(lines) if l.startswith(last))
    return [l for l in lines[i:j] if l.startswith(tag)]


def test_starvation_without_the_hook_and_loading_it_ends_it(capfd):
    """Kernelware A spins (no system call inside a round) while user process
    B prints in a loop.  Without kwhook, once A has the CPU it keeps it until
    it exits: no B line between A's first line and its last.  `modload
    kwhook` at run time, the same pair again: B's lines fall between A's."""
    pair = "kwrun spin 3 A 6000000 & spin 30 B 1000000; wait"
    rc, out, err = sh(capfd, f"modload kernelware && {pair} && echo == && "
                             f"modload kwhook && {pair}", "--modules", "none")
    assert rc == 0, err
    before, after = (part.splitlines() for part in out.split("==\n"))
    for lines in (before, after):
        assert sum(l.startswith("spin A round") for l in lines) == 3, out
        assert sum(l.startswith("spin B round") for l in lines) == 30, out
    assert _between(before, "spin A round 1/3", "spin A done", "spin B") == [], out
    assert _between(after, "spin A round 1/3", "spin A done", "spin B") != [], out
