"""`kw86 bench whole` (kw86/bench_whole.py) as a command, at tiny sizes: it runs
every part, prints each table with a row per size, and its exact counts are
what the workloads imply (an lstat per listed file, wc's instructions per byte
within issue 12's bound); bad options are one-line errors.  No time is
asserted."""
import os
import subprocess
import sys

from buildreq import built
from hostenv import ROOT, kw86_env
from test_userland_e2e import HAVE_MACHINE, SYSROOT

from kw86 import bench_whole

pytestmark = [built(HAVE_MACHINE, "the kw86 machine (kw86.machine)"),
              built(os.path.exists(os.path.join(SYSROOT, "usr", "bin", "wc")), "the sysroot")]


def run(*args):
    return subprocess.run([sys.executable, "-m", "kw86.cli", "bench", "whole", *args],
                          cwd=ROOT, env=kw86_env(), capture_output=True, text=True)


def test_measure_tiny_sizes():
    res = bench_whole.measure(rounds=1, ls_counts=(5, 50), wc_mb=(1,), cp_mb=(1, 2),
                              base_env=kw86_env())
    for key in ("startup:python", "startup:true", "startup:true_nocache", "startup:python_bare",
                "startup:true_bare", "ls:5", "ls:50",
                "wc:1", "cp:1", "cp:2"):
        assert res["best"][key] > 0, key
    ins5, sc5 = res["stats"]["ls:5"]
    ins50, sc50 = res["stats"]["ls:50"]
    assert 45 <= sc50 - sc5 <= 46           # one lstat per file (+1 getdents at most)
    assert ins50 > ins5
    wc_ins, _ = res["stats"]["wc:1"]
    assert wc_ins / (1 << 20) < 12
    text = bench_whole.report(res)
    for head in ("start-up |", "ls -l over N host files", "wc of N MiB", "cp of N MiB"):
        assert head in text
    assert "\n50 |" in text and "\n2 |" in text


def test_command_line_errors():
    r = run("--parts", "startup,nope")
    assert r.returncode == 2 and r.stderr == "kw86 bench whole: unknown part 'nope'\n"
    r = run("--ls", "10,x")
    assert r.returncode == 1 and "--ls: '10,x' is not a comma-separated list" in r.stderr
    r = run("-n", "0")
    assert r.returncode == 2 and "--rounds must be positive" in r.stderr


def test_against_another_tree(tmp_path):
    # the same tree under another name: both sides run, the counts agree exactly
    res = bench_whole.measure(rounds=1, parts=("ls",), ls_counts=(5,), base_env=kw86_env(),
                              against=bench_whole.this_tree())
    for key in ("startup:true", "vs:startup:true", "ls:5", "vs:ls:5"):
        assert res["best"][key] > 0, key
    assert res["stats"]["ls:5"] == res["stats"]["vs:ls:5"]
    text = bench_whole.report(res)
    assert "against " in text and "\nls -l, 5 files |" in text
    r = run("--against", str(tmp_path), "--parts", "startup", "-n", "1")
    assert r.returncode == 1 and r.stderr == (f"kw86 bench whole: --against: {tmp_path} "
                                              "holds no kw86 package\n")
