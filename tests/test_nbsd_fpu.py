"""The kernel's FPU context (issue 10 item 5; kw86/nbsd/fpu.py).

tests/guest/fpu.c (x87 inline assembly: the userland itself is built
without x87 code) runs as a user process and as a kernelware: lazy
switching under preemption, the exec control word, fork, a signal handler
that uses the FPU, SIGFPE with NetBSD's si_code, and the #NM counts
(a process that never uses the FPU never takes #NM).
"""
import os
import re
import struct

import pytest

from buildreq import built, fail_build
from nbsd_env import SYSROOT, guest_program

pytestmark = built(os.path.exists(os.path.join(SYSROOT, "bin", "sh")), "the userland sysroot")

MODES = [False, True]
IDS = ["user", "kernelware"]


@pytest.fixture(scope="module")
def fpu():
    path = guest_program("fpu")
    if path is None:
        fail_build(guest_program.why)
    return path


def run(tmp_path, path, args, kernelware, image=None, tweak=None, **kw):
    """fpu as pid 1 in an in-process Kernel: (wait status, output, stats);
    tweak(kernel) before it runs.  stats["table"]: the kernel-cost table's
    cycles."""
    from kw86.nbsd.kernel import Kernel
    if image is None:
        with open(path, "rb") as f:
            image = f.read()
    out = tmp_path / "out"
    with open(out, "wb") as f, open(os.devnull, "rb") as null:
        k = Kernel(SYSROOT, stdin=null.fileno(), stdout=f.fileno(), stderr=f.fileno(), **kw)
        try:
            if tweak is not None:
                tweak(k)
            k.spawn(b"/fpu", [b"fpu"] + [a.encode() for a in args], [b"PATH=/bin"],
                    kernelware, host_image=image)
            status = k.run(max_instructions=100_000_000)
            stats = dict(k.stats, table=k.cycle_split()[1])
        finally:
            k.close()
    return status, out.read_text(), stats


@pytest.mark.parametrize("kw", MODES, ids=IDS)
def test_exec_control_word(tmp_path, fpu, kw):
    """fnstcw at the start reads __NetBSD_NPXCW__ (0x037f), registers empty;
    the first FPU instruction took the one #NM."""
    status, out, st = run(tmp_path, fpu, ["cw"], kw)
    assert (status, out) == (0, "cw 037f sw 0000 tw ffff\n")
    assert st["fpu_dna"] == st["fpu_loads"] == 1


def test_compat_control_word_for_old_programs(tmp_path, fpu):
    """A program whose NetBSD note says 6.99.25 starts with
    __NetBSD_COMPAT_NPXCW__ (0x127f, 53-bit precision), as setregs decides
    from ep_osversion."""
    with open(fpu, "rb") as f:
        image = bytearray(f.read())
    note = struct.pack("<III", 7, 4, 1) + b"NetBSD\0\0"
    at = image.find(note)
    assert at > 0
    struct.pack_into("<I", image, at + len(note), 699002500)
    status, out, _ = run(tmp_path, None, ["cw"], False, image=bytes(image))
    assert (status, out) == (0, "cw 127f sw 0000 tw ffff\n")


@pytest.mark.parametrize("kw", MODES, ids=IDS)
def test_no_fpu_no_nm(tmp_path, fpu, kw):
    status, out, st = run(tmp_path, fpu, ["nofpu"], kw)
    assert (status, out) == (0, "no fpu\n")
    assert st["fpu_dna"] == st["fpu_loads"] == 0


@pytest.mark.parametrize("kw", MODES, ids=IDS)
def test_two_processes_under_preemption(tmp_path, fpu, kw):
    """Parent and child each keep a running sum on the x87 stack (and their
    own rounding modes) over many quanta: both sums and control words come
    out right, and the state really went back and forth."""
    status, out, st = run(tmp_path, fpu, ["two", "1000000"], kw, hz=1000, quantum=1)
    assert status == 0, out
    assert sorted(out.splitlines()) == ["child ok cw 077f tw ffff", "child status 0",
                                        "parent ok cw 0f7f tw ffff"], out
    assert st["fpu_loads"] >= 6, st


@pytest.mark.parametrize("kw", MODES, ids=IDS)
def test_lazy_one_nm_while_others_do_not_use_it(tmp_path, fpu, kw):
    """The FPU process is preempted by a child that never uses the FPU: a
    switch back to the owner clears TS, so the whole run takes one #NM."""
    status, out, st = run(tmp_path, fpu, ["lazy", "1000000"], kw, hz=1000, quantum=1)
    assert (status, out) == (0, "fpu ok cw 037f tw ffff\n")
    assert st["fpu_dna"] == st["fpu_loads"] == 1, st


@pytest.mark.parametrize("kw", MODES, ids=IDS)
def test_signal_handler_fpu_returns_to_unchanged_state(tmp_path, fpu, kw):
    """The handler starts with empty registers and the default control word
    (fpu_sigreset), finds the interrupted state in its ucontext (_UC_FPU |
    _UC_FXSAVE, fx_cw 0x077f), changes the control word and leaves values on
    the stack; after setcontext the program has its own again."""
    status, out, _ = run(tmp_path, fpu, ["sig"], kw)
    assert status == 0, out
    assert out == ("handler cw 037f tw ffff uc_flags&0x28 28 saved cw 077f\n"
                   "after cw 077f 33 22 11 tw ffff\n")


@pytest.mark.parametrize("kw", MODES, ids=IDS)
def test_sigfpe_divide_by_zero(tmp_path, fpu, kw):
    """Unmasked zero divide: SIGFPE at the next waiting instruction.  Caught:
    si_code FPE_FLTDIV (3), si_addr that fwait, the exception flags cleared
    (fnclex), and the program continues after the handler returns."""
    status, out, _ = run(tmp_path, fpu, ["fpe"], kw)
    assert status & 0x7f == 8 and out == "", (status, out)
    status, out, _ = run(tmp_path, fpu, ["fpe", "catch"], kw)
    assert status == 0, out
    assert out == ("SIGFPE sig 8 code 3 addr fpe_at sw 0000\n"
                   "continued sw 0000 tw ffff\n")


@pytest.mark.parametrize("kw", MODES, ids=IDS)
def test_fork_copies_state(tmp_path, fpu, kw):
    """The child pops the parent's values with its control word.  As a
    kernelware the child's copy-on-write stack faults go through the #DF
    task, whose return sets CR0.TS: the #NM that follows finds the child
    already the owner and only clears TS (one #NM more than state loads)."""
    status, out, st = run(tmp_path, fpu, ["fork"], kw)
    assert status == 0, out
    assert sorted(out.splitlines()) == ["child 43 42 cw 0f7f tw ffff", "parent 1 cw 037f"]
    assert st["fpu_loads"] == 3
    if kw:
        assert st["double_faults"] > 0 and st["fpu_dna"] == 4, st
    else:
        assert st["double_faults"] == 0 and st["fpu_dna"] == 3, st


def test_cli_exit_status_and_stats(capfd, fpu):
    """kw86 exec: SIGFPE is exit status 136; --stats counts #NM, and prints
    nothing about the FPU for a program that does not use it."""
    from kw86 import cli
    d = os.path.dirname(fpu)
    capfd.readouterr()
    rc = cli.main(["exec", "--bind", f"{d}:/mnt", "/mnt/fpu", "fpe"])
    _, err = capfd.readouterr()
    assert rc == 136 and "Traceback" not in err, err
    rc = cli.main(["exec", "--stats", "--bind", f"{d}:/mnt", "/mnt/fpu", "fork"])
    _, err = capfd.readouterr()
    assert rc == 0 and re.search(r"FPU: 3 #NM \(3 state loads\)", err), err
    rc = cli.main(["exec", "--stats", "--bind", f"{d}:/mnt", "/mnt/fpu", "nofpu"])
    _, err = capfd.readouterr()
    assert rc == 0 and "FPU" not in err, err


def test_state_loads_charge_x87_env(tmp_path, fpu):
    """The Python side's FNSAVE/FRSTOR are charged to the kernel-cost table
    at the profile's x87_env class; a first use at x87_ctl + x87_env."""
    from kw86.isa import opcodes
    from kw86.machine import load_profile
    from kw86.nbsd.kernel import Kernel
    classes = load_profile("celeron500")[0]
    env = classes[list(opcodes.CLASSES).index("x87_env")]
    ctl = classes[list(opcodes.CLASSES).index("x87_ctl")]
    k = Kernel(SYSROOT)
    try:
        assert (k.fpu.cost_save, k.fpu.cost_restore, k.fpu.cost_init) == (env, env, ctl + env)
    finally:
        k.close()
    # the same run with the first-use cost left out: the table differs by
    # exactly that (one fresh load: fninit; fldcw)
    _, _, st = run(tmp_path, fpu, ["cw"], False)
    _, _, st0 = run(tmp_path, fpu, ["cw"], False,
                    tweak=lambda k: setattr(k.fpu, "cost_init", 0))
    assert st["fpu_loads"] == 1 and st["table"] - st0["table"] == ctl + env


# ---- pure functions ---------------------------------------------------------

def test_fpetable():
    from kw86.nbsd import fpu as f
    assert f.FPETABLE[f.SW_IE] == f.FPE_FLTINV
    assert f.FPETABLE[f.SW_IE | f.SW_SF] == f.FPE_FLTSUB
    assert f.FPETABLE[f.SW_ZE] == f.FPE_FLTDIV == 3
    assert f.FPETABLE[f.SW_DE] == f.FPETABLE[f.SW_UE] == f.FPE_FLTUND
    assert f.FPETABLE[f.SW_OE] == f.FPE_FLTOVF
    assert f.FPETABLE[f.SW_PE] == f.FPE_FLTRES
    assert f.FPETABLE[f.SW_ZE | f.SW_PE | f.SW_OE] == f.FPE_FLTDIV
    assert f.FPETABLE[f.SW_IE | f.SW_ZE] == f.FPE_FLTINV
    assert f.FPETABLE[0] == 0


def test_fnsave_fxsave_round_trip():
    """FNSAVE image -> FXSAVE layout -> FNSAVE image through the machine:
    the same state (tags recomputed from the contents)."""
    from kw86.machine import Machine
    from kw86.nbsd import fpu as f
    m = Machine(mem_size=1 << 20)
    img = bytearray(f.fresh_image(0x0b7f))
    struct.pack_into("<H", img, 4, (5 << 11) | 0x21)        # TOP 5, PE and IE
    regs = [(0x3fff, 1 << 63), (0, 0), (0x7fff, 3 << 62), (0x4005, 0xa000000000000000)]
    tw = 0
    for k, (se, mant) in enumerate(regs):                   # ST(0)..ST(3)
        struct.pack_into("<QH", img, 28 + 10 * k, mant, se)
    for i in range(8):
        st = (i - 5) & 7
        tw |= ([0, 1, 2, 0][st] if st < 4 else 3) << (2 * i)
    struct.pack_into("<H", img, 8, tw)
    struct.pack_into("<IHHIH", img, 12, 0x1234, 0x17, 0x5d9, 0x8000, 0x1f)
    m.set_fpu_image(bytes(img))
    a = m.fpu_image()
    fx = f.fnsave_to_fxsave(a)
    assert len(fx) == 512 and fx[4] == sum(1 << i for i in range(8) if (i - 5) & 7 < 4)
    b = f.fxsave_to_fnsave(fx)
    m.fpu_reset()
    m.set_fpu_image(b)
    assert m.fpu_image() == a
    assert b == a
