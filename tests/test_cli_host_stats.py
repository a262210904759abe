"""kw86 exec --host-stats (issue 12): where kw86's host time goes -- its
start-up, the guest's run, and in the run the Python kernel's hypercalls by
kind (system calls, traps, clock ticks) -- timed without the guest seeing
anything (same output, instructions and cycles).  The counts must agree
with --stats: every system call is either a hypercall or answered from the
CPU core's cache, every demand-paging fault is a trap.  No time is asserted
beyond the parts adding up."""
import os
import re
import subprocess
import sys

import pytest

from buildreq import built
from hostenv import ROOT, kw86_env
from test_userland_e2e import HAVE_MACHINE, SYSROOT

pytestmark = [built(HAVE_MACHINE, "the kw86 machine (kw86.machine)"),
              built(os.path.exists(os.path.join(SYSROOT, "usr", "bin", "getpid_bench")),
                    "the sysroot")]

_STATS = re.compile(r"^kw86: (\d+) instructions, (\d+) cycles .*syscalls: (\d+) trap / (\d+) "
                    r"call, (\d+) page faults", re.M)
_HOST = re.compile(r"^kw86 host: ([\d.]+) s: start-up ([-\d.]+) s, run ([\d.]+) s \(CPU "
                   r"([-\d.]+) s, kernel ([\d.]+) s in (\d+) hypercalls(?:: (.*))?; (\d+) system "
                   r"calls answered in the CPU\)$", re.M)


def kw86_exec(*argv):
    r = subprocess.run([sys.executable, "-m", "kw86.cli", "exec", *argv], cwd=ROOT,
                       env=kw86_env(), stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=300)
    return r.returncode, r.stdout, r.stderr.decode()


def parse(err):
    st = _STATS.search(err)
    host = _HOST.search(err)
    assert st and host, err
    instr, cycles, trap, call, faults = map(int, st.groups())
    total, startup, run, cpu, kernel = map(float, host.groups()[:5])
    n = int(host.group(6))
    kinds = {}
    for part in (host.group(7) or "").split(", "):
        if part:
            m = re.fullmatch(r"(\d+) (system calls|traps|clock ticks|other) ([\d.]+) s", part)
            assert m, part
            kinds[m.group(2)] = (int(m.group(1)), float(m.group(3)))
    return dict(instr=instr, cycles=cycles, syscalls=trap + call, faults=faults, total=total,
                startup=startup, run=run, cpu=cpu, kernel=kernel, n=n, kinds=kinds,
                in_core=int(host.group(8)))


@pytest.mark.parametrize("mode", [[], ["--kernelware"]], ids=["user", "kernelware"])
@pytest.mark.parametrize("prog", [["/bin/ls", "-l", "/"], ["/usr/bin/getpid_bench", "3000"]],
                         ids=["ls", "getpid"])
def test_host_stats_add_up_and_the_guest_sees_nothing(mode, prog):
    rc0, out0, err0 = kw86_exec("--stats", *mode, *prog)
    rc, out, err = kw86_exec("--stats", "--host-stats", *mode, *prog)
    assert rc == rc0 == 0 and out == out0, (err0, err)
    plain = _STATS.search(err0).groups()
    h = parse(err)
    # the guest saw nothing: the same instructions, cycles, calls and faults
    assert _STATS.search(err).groups() == plain
    # every system call went to the kernel or was answered in the core
    nsys = h["kinds"].get("system calls", (0, 0.0))[0]
    assert nsys + h["in_core"] == h["syscalls"], h
    if "getpid" in prog[0]:
        assert h["in_core"] > 0, h              # getpid's answer is cached in the core
    # every demand-paging fault is a trap (traps also carry #NM and signals)
    assert h["kinds"].get("traps", (0, 0.0))[0] >= h["faults"], h
    # the parts add up
    assert h["n"] == sum(c for c, _ in h["kinds"].values())
    assert abs(h["kernel"] - sum(s for _, s in h["kinds"].values())) < 0.002
    assert 0 <= h["kernel"] <= h["run"] + 0.001 and h["run"] <= h["total"]
    assert abs(h["startup"] + h["run"] - h["total"]) < 0.002
    assert abs(h["cpu"] + h["kernel"] - h["run"]) < 0.002


def test_host_stats_without_stats_and_with_a_profile():
    # alone, and with --profile (which calls through the timer)
    rc, out, err = kw86_exec("--host-stats", "/bin/echo", "hi")
    assert rc == 0 and out == b"hi\n" and _HOST.search(err) and not _STATS.search(err), err
    rc, out, err = kw86_exec("--host-stats", "--profile", "-", "--profile-top", "3",
                             "/bin/echo", "hi")
    assert rc == 0 and out == b"hi\n", err
    m = _HOST.search(err)
    assert m and int(m.group(6)) > 0, err
