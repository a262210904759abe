"""`kw86 exec --profile FILE` (issue 9 section 5): cycles and instructions
per guest function as folded stacks, exact (single-stepped) and sampled;
the counts add up to the run's cycles and profiling changes neither the
instruction count nor the cycles.  Guest: tests/guest/profdeep.c (main ->
prof_level1 -> prof_level2 -> prof_level3 -> prof_leaf, the hot one; a
forked child runs the same chain under prof_child)."""
import os
import re

import pytest

from buildreq import built, fail_build
from nbsd_env import SYSROOT, guest_program

pytestmark = built(os.path.exists(os.path.join(SYSROOT, "bin", "echo")), "the userland sysroot")

STATS = re.compile(r"^kw86: (\d+) instructions, (\d+) cycles", re.M)
FOLDED = re.compile(r"^(\S.*) (\d+)$")
CHAIN = ["prof_level1", "prof_level2", "prof_level3", "prof_leaf"]
ROUNDS = "6"


@pytest.fixture(scope="module")
def prog():
    p = guest_program("profdeep")
    if p is None:
        fail_build(guest_program.why)
    return p


def _run(capfd, prog, opts, kernelware=False, cwd=None):
    from kw86 import cli
    capfd.readouterr()
    here = os.getcwd()
    os.chdir(os.path.dirname(prog))
    try:
        rc = cli.main(["exec", "--stats"] + opts + (["--kernelware"] if kernelware else []) +
                      ["./" + os.path.basename(prog), ROUNDS])
    finally:
        os.chdir(here)
    out, err = capfd.readouterr()
    assert rc == 0 and out == "done 0\n", err
    assert "Traceback" not in err
    m = STATS.search(err)
    assert m, err
    return int(m.group(1)), int(m.group(2)), err


def _folded(path):
    stacks = {}
    for line in path.read_text().splitlines():
        m = FOLDED.match(line)
        assert m, line
        frames = tuple(m.group(1).split(";"))
        assert all(frames) and frames not in stacks, line
        stacks[frames] = int(m.group(2))
    return stacks


@pytest.fixture(scope="module")
def baseline(prog):
    """(instructions, cycles) of unprofiled runs: user, kernelware."""
    import subprocess
    import sys
    out = {}
    for kw in (False, True):
        r = subprocess.run([sys.executable, "-m", "kw86.cli", "exec", "--stats"] +
                           (["--kernelware"] if kw else []) + ["./profdeep", ROUNDS],
                           cwd=os.path.dirname(prog), capture_output=True, text=True)
        assert r.returncode == 0 and r.stdout == "done 0\n", r.stderr
        m = STATS.search(r.stderr)
        out[kw] = int(m.group(1)), int(m.group(2))
    return out


def _self_by_leaf(stacks):
    s = {}
    for frames, c in stacks.items():
        s[frames[-1]] = s.get(frames[-1], 0) + c
    return s


def _check_shape(stacks, kernelware):
    self_c = _self_by_leaf(stacks)
    assert max(self_c, key=self_c.get) == "prof_leaf"
    hot = max(stacks, key=stacks.get)
    # the hottest stack is the parent's chain, from the entry point down
    assert hot == ("profdeep[2]", "_start", "__kw86_start", "main") + tuple(CHAIN), hot
    # the forked child: its own root, the same chain under prof_child
    child = ("profdeep[3]", "_start", "__kw86_start", "main", "prof_child") + tuple(CHAIN)
    assert stacks.get(child, 0) > stacks[hot] // 4, sorted(stacks.items(), key=lambda x: -x[1])[:5]
    # no instruction loses a caller, prologue and `ret` included: the chain
    # is always whole below main or prof_child
    for frames in stacks:
        got = [f for f in frames if f in CHAIN]
        if got:
            i = frames.index("prof_level1")
            assert frames[i - 1] in ("main", "prof_child"), frames
            assert list(frames[i:i + len(got)]) == CHAIN[:len(got)], frames
    # a system call: the Python kernel's cycles under the calling stack
    base = ("profdeep[2]", "_start", "__kw86_start", "main", "getpid")
    assert stacks.get(base + ("[kernel] getpid",), 0) > 0, [s for s in stacks if "getpid" in s]
    assert "[kernel] fork" in {f[-1] for f in stacks}
    return self_c


@pytest.mark.parametrize("kernelware", [False, True])
def test_exact_profile(tmp_path, capfd, prog, baseline, kernelware):
    pf = tmp_path / "p.folded"
    ins, cyc, err = _run(capfd, prog, ["--profile", str(pf)], kernelware)
    assert (ins, cyc) == baseline[kernelware]          # profiling changes nothing
    stacks = _folded(pf)
    assert sum(stacks.values()) == cyc                  # every cycle is somewhere
    self_c = _check_shape(stacks, kernelware)
    # exact: each getpid is one kernel-cost table charge (90 cycles in celeron500)
    n = int(ROUNDS)
    from kw86.machine import load_profile
    cost = load_profile("celeron500")[2].get("kernel", {}).get("syscall")
    if cost:
        got = stacks[("profdeep[2]", "_start", "__kw86_start", "main", "getpid",
                      "[kernel] getpid")]
        assert got == n * cost
    # locore code shows under the stack that entered it
    gate = "[locore] kw86_syscall_gate" if kernelware else "[locore] Xsyscall"
    assert any(f[-1] == gate and "getpid" in f for f in stacks)
    # the table: header, then the hottest function first
    lines = err.splitlines()
    i = next(j for j, ln in enumerate(lines) if ln.startswith("kw86 profile:"))
    assert f"{cyc:,} cycles, {ins:,} instructions (exact)" in lines[i]
    assert "self cycles" in lines[i + 1] and lines[i + 2].split()[-1] == "prof_leaf"
    assert self_c["prof_leaf"] > 0.8 * cyc


def test_sampled_profile(tmp_path, capfd, prog, baseline):
    pf = tmp_path / "p.folded"
    ins, cyc, err = _run(capfd, prog, ["--profile", str(pf), "--profile-every", "997"])
    assert (ins, cyc) == baseline[False]
    stacks = _folded(pf)
    assert sum(stacks.values()) == cyc
    _check_shape(stacks, False)
    assert "sampled every 997 instructions" in err
    # the instruction metric adds up to the instruction count
    pi = tmp_path / "i.folded"
    ins2, cyc2, _ = _run(capfd, prog, ["--profile", str(pi), "--profile-every", "997",
                                       "--profile-metric", "instructions"])
    assert (ins2, cyc2) == (ins, cyc)
    si = _folded(pi)
    assert sum(si.values()) == ins
    assert not any(f[-1].startswith("[kernel]") for f in si)    # no instructions there


def test_profile_limit_cuts(tmp_path, capfd, prog, baseline):
    pf = tmp_path / "p.folded"
    ins, cyc, err = _run(capfd, prog, ["--profile", str(pf), "--profile-limit", "5000",
                                       "--profile-metric", "instructions"])
    assert (ins, cyc) == baseline[False]
    stacks = _folded(pf)
    assert sum(stacks.values()) == ins
    cut = stacks[("[not profiled: --profile-limit 5000]",)]
    assert cut == ins - 5000
    assert "cut after 5000 instructions" in err


@pytest.mark.parametrize("opts,msg", [
    (["--profile", "/nonexistent-dir/p.folded"], "kw86: --profile /nonexistent-dir/p.folded: "
                                                 "No such file or directory"),
    (["--profile", "p", "--profile-every", "0"], "kw86: --profile-every: 0 is not a positive count"),
    (["--profile-every", "10"], "kw86: --profile-every needs --profile FILE"),
    (["--profile", "p", "--trace", "t"], "kw86: --profile and --trace"),
])
def test_profile_option_errors(tmp_path, capfd, opts, msg):
    from kw86 import cli
    here = os.getcwd()
    os.chdir(tmp_path)
    try:
        capfd.readouterr()
        rc = cli.main(["exec"] + opts + ["/bin/echo", "x"])
    finally:
        os.chdir(here)
    out, err = capfd.readouterr()
    assert rc == 2 and out == ""
    assert err.startswith(msg) and err.count("\n") == 1, err


def test_missing_pyelftools_is_said(monkeypatch, capsys):
    """Without pyelftools the profile cannot name functions: it says so on
    stderr instead of showing every function as [unknown] without a word."""
    import sys
    from kw86.nbsd.profile import Image
    with open(os.path.join(SYSROOT, "usr", "bin", "true"), "rb") as f:
        data = f.read()
    monkeypatch.setitem(sys.modules, "elftools", None)
    monkeypatch.setitem(sys.modules, "elftools.elf", None)
    monkeypatch.setitem(sys.modules, "elftools.elf.elffile", None)
    img = Image(data, "true")
    assert img.names == []
    err = capsys.readouterr().err
    assert "pyelftools is not installed" in err and "true" in err
    # with it, the same image has its functions
    monkeypatch.undo()
    assert Image(data, "true").names
