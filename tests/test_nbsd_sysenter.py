"""The sysenter/sysexit system-call path (issue 9 section 4, beyond the paper).

locore's Xsysenter (kw86/nbsd/locore.S), the MSRs set at boot (boot.py) and
libc's sysenter stubs (userland/build.py: syscalls_sysenter.o, linked before
libc.a).  tests/guest/setest.c is built twice, with the ordinary stubs
(int $0x80) and with the sysenter ones, and must behave the same.
"""
import os
import re
import subprocess
import sys

import pytest

import hostenv
from buildreq import built, fail_build
from nbsd_env import GUEST_OUT, GUEST_SRC, REPO, SYSROOT, _userland_build

OBJ = os.path.join(REPO, "userland", ".obj")
SE_OBJ = os.path.join(OBJ, "libc_sysenter", "syscalls_sysenter.o")

pytestmark = built(all(os.path.exists(p) for p in (
    os.path.join(OBJ, "libc.a"), SE_OBJ,
    os.path.join(SYSROOT, "usr", "bin", "getpid_bench.sysenter"))),
    "the userland build with the sysenter stubs (userland/build.py)")


def _build():
    """setest (int $0x80) and setest.sysenter, from tests/guest/setest.c."""
    b = _userland_build()
    src = os.path.join(GUEST_SRC, "setest.c")
    libc = os.path.join(OBJ, "libc.a")
    crtdir = os.path.join(OBJ, "crt")
    crt0 = sorted(os.path.join(crtdir, f) for f in os.listdir(crtdir) if f.endswith(".o"))
    os.makedirs(GUEST_OUT, exist_ok=True)
    with open(os.path.join(GUEST_OUT, ".gitignore"), "w") as f:
        f.write("*\n")
    out = os.path.join(GUEST_OUT, "setest")
    o = out + ".o"
    newest = max(os.path.getmtime(p) for p in [src, libc, SE_OBJ] + crt0)
    if os.path.exists(out + ".sysenter") and os.path.getmtime(out + ".sysenter") >= newest \
            and os.path.exists(out) and os.path.getmtime(out) >= newest:
        return out, out + ".sysenter"
    inc = ["-I", os.path.join(REPO, "userland", "include"),
           "-I", os.path.join(OBJ, "gen", "include")]
    zig = [sys.executable, "-m", "ziglang", "cc"]
    for cmd in (zig + b.CFLAGS + inc + ["-c", src, "-o", o],
                zig + b.LDFLAGS + crt0 + [o, libc, "-o", out + ".tmp"],
                zig + b.LDFLAGS + crt0 + [SE_OBJ, o, libc, "-o", out + ".sysenter.tmp"]):
        r = subprocess.run(cmd, capture_output=True, text=True, env=hostenv.ENV)
        if r.returncode:
            fail_build(f"cannot build setest: {r.stderr.strip()[:2000]}")
    os.replace(out + ".tmp", out)
    os.replace(out + ".sysenter.tmp", out + ".sysenter")
    return out, out + ".sysenter"


@pytest.fixture(scope="module")
def progs():
    return _build()


def kw86(capfd, *argv):
    from kw86 import cli
    capfd.readouterr()
    rc = cli.main(["exec", *argv])
    out, err = capfd.readouterr()
    return rc, out, err


def _bind(prog):
    return ["--bind", f"{os.path.dirname(prog)}:/t:ro"]


def _guest(prog):
    return "/t/" + os.path.basename(prog)


def _stats(capfd, *argv):
    """-> (rc, out, err, {stat: value}) of a run with --stats."""
    rc, out, err = kw86(capfd, "--stats", *argv)
    stats = dict((m.group(1), int(m.group(2).replace(",", "")))
                 for m in re.finditer(r"(\w+)[ =:]+([\d,]+)", err))
    return rc, out, err, stats


def test_stubs_use_sysenter_only_where_there_is_no_second_result():
    b = _userland_build()
    rows = {r["symbol"]: r for r in b.parse_syscalls()}
    se = {s: b.gen_stub(r, sysenter=True) for s, r in rows.items()}
    # read, write and fork are __sys_ stubs under libc wrappers (cancellation
    # points, atfork handlers: userland/libc/syscalls.master)
    for s in ("getpid", "__sys_read", "__sys_write", "stat", "__sys_fork", "execve", "_exit"):
        assert "sysenter" in se[s] and "int\t$0x80" not in se[s], se[s]
    for s in ("pipe", "vfork", "__sys_lseek"):
        assert "sysenter" not in se[s] and "int\t$0x80" in se[s], se[s]
    # the ordinary stubs are unchanged: no sysenter anywhere
    assert "sysenter" not in b.gen_syscalls_S(list(rows.values()))


def test_msrs_fixed_by_the_kernel():
    from kw86.nbsd.kernel import Kernel
    k = Kernel(SYSROOT)
    try:
        lc = k.boot.lc
        assert k.m.get_msr(0x174) == 0x08                       # KCODE
        assert k.m.get_msr(0x175) == lc["kw86_tss"] + 4         # &TSS.esp0
        assert k.m.get_msr(0x176) == lc["Xsysenter"]
    finally:
        k.close()


def test_same_results_as_int80(capfd, progs):
    trap, se = progs
    rc1, out1, err1, st1 = _stats(capfd, *_bind(trap), _guest(trap), "calls")
    rc2, out2, err2, st2 = _stats(capfd, *_bind(se), _guest(se), "calls")
    assert rc1 == 0 and rc2 == 0, (err1, err2)
    assert out1 == out2, (out1, out2)
    assert "read 65536 same 1" in out2 and "write 65536" in out2
    assert "stat /nonexistent -1 errno 2" in out2 and "read bad fd -1 errno 9" in out2
    assert "lseek 0" in out2 and "pipe 0" in out2 and "unlink 0" in out2
    assert "Traceback" not in err1 + err2


@pytest.mark.parametrize("restart", [1, 0], ids=["SA_RESTART", "EINTR"])
def test_signal_during_a_sysenter_call(capfd, progs, restart):
    outs = []
    for prog in progs:
        rc, out, err = kw86(capfd, *_bind(prog), _guest(prog), "sig", str(restart))
        assert rc == 0, err
        outs.append(out)
    assert outs[0] == outs[1], outs
    if restart:
        assert "sig restart 1: read 1 errno 0 handled 1 c x" in outs[1]
    else:
        assert "sig restart 0: read -1 errno 4 handled 1 c -" in outs[1]
        assert "then read 1 c x" in outs[1]


def test_fork_and_exec_from_a_sysenter_program(capfd, progs):
    se = progs[1]
    rc, out, err = kw86(capfd, *_bind(se), _guest(se), "fork", "/usr/bin/getpid_bench.sysenter")
    assert rc == 0, err
    assert "child: getppid ok 1, getpid differs 1" in out, out
    assert re.search(r"getpid 10 calls \d+ cycles \d+ cycles/call", out), out
    assert "parent: waitpid ok 1, exited 1 status 0" in out, out


def test_no_entry_at_a_forged_eip(capfd, progs):
    se = progs[1]
    lc_eip = None
    from kw86.nbsd.build_locore import load
    lc_eip = load()["Xsysenter"]
    # the return point in the kernel: sysexit goes to CPL 3 there, the fetch
    # is a user-mode page fault (SIGSEGV at that address), the kernel runs nothing
    rc, out, err = kw86(capfd, *_bind(se), _guest(se), "forge", "eip")
    assert rc == 11 and "SIGSEGV 11 addr 0xc0100000" in out, (rc, out, err)
    assert "returned" not in out
    # the MSRs cannot be read or set from CPL 3 (#GP: SIGSEGV)
    for what in ("msr", "wrmsr"):
        rc, out, err = kw86(capfd, *_bind(se), _guest(se), "forge", what)
        assert rc == 11 and "SIGSEGV 11" in out and "rdmsr" not in out and \
            "wrmsr done" not in out, (what, out, err)
    # a kernel address as the user stack: the arguments are not read (EFAULT)
    rc, out, err = kw86(capfd, *_bind(se), _guest(se), "forge", "esp")
    assert rc == 0 and "stat with a kernel stack: eax 14 carry 1" in out, (out, err)
    # and the entry point is still locore's
    from kw86.nbsd.kernel import Kernel
    k = Kernel(SYSROOT)
    try:
        assert k.m.get_msr(0x176) == lc_eip
    finally:
        k.close()
    assert "Traceback" not in err


def _per_call(capfd, prog, *opts):
    rc, out, err = kw86(capfd, *opts, prog, "1000")
    assert rc == 0, err
    m = re.search(r"(\d+) cycles/call", out)
    assert m, out
    return int(m.group(1))


def test_getpid_cycles_per_path(capfd):
    trap = _per_call(capfd, "/usr/bin/getpid_bench")
    call = _per_call(capfd, "/usr/bin/getpid_bench", "--kernelware")
    se = _per_call(capfd, "/usr/bin/getpid_bench.sysenter")
    with capfd.disabled():
        print(f"\ngetpid cycles/call: trap {trap}, sysenter {se}, call {call}")
    assert call < se < trap
