"""getpid and the like answered by the CPU's run loop (trap.py _STABLE,
Core.run_io's answer cache, tests/test_cpu_sysfast.py for the mechanism):
the same results, cycles and call counts as through the kernel, and an
answer that changes with the process (setuid, a parent's exit) is never
given stale.  tests/guest/sysfast.c."""
import os
import re

import pytest

from buildreq import built, fail_build
from nbsd_env import SYSROOT, guest_program

BENCH = os.path.join(SYSROOT, "usr", "bin", "getpid_bench")
pytestmark = built(os.path.exists(BENCH), "the userland sysroot (getpid_bench)")


@pytest.fixture(scope="module")
def prog():
    path = guest_program("sysfast")
    if path is None:
        fail_build(guest_program.why)
    return path


def run(tmp_path, argv, kernelware=False, image=None, no_cache=False, **kw):
    from kw86.nbsd.kconst import HC_GATE, HC_SYSCALL, HCALL_PORT, KW86_FAST
    from kw86.nbsd.kernel import Kernel
    out = tmp_path / "out"
    with open(out, "wb") as f, open(os.devnull, "rb") as null:
        k = Kernel(SYSROOT, stdin=null.fileno(), stdout=f.fileno(), stderr=f.fileno(), **kw)
        try:
            if image is not None:
                k.spawn(b"/sysfast", argv, [b"PATH=/bin"], kernelware, host_image=image)
            else:
                k.spawn(argv[0], argv, [b"PATH=/bin"], kernelware)
            if no_cache:                        # every call through the handler
                k.m.core.sysfast_setup(HCALL_PORT, HC_SYSCALL, HC_GATE, KW86_FAST, 511,
                                       k._syscall_cost, None)
            status = k.run(max_instructions=200_000_000)
            cached = (k.m.core.sysfast_hits(0), k.m.core.sysfast_hits(1))
            stats = dict(k.stats, cycles=k.m.cycles, insns=k.m.instructions)
        finally:
            k.close()
    return status, out.read_text(), stats, cached


@pytest.mark.parametrize("kw", [False, True], ids=["trap", "call"])
def test_getpid_bench_cached_same_cycles_and_counts(tmp_path, kw):
    n = 3000
    status, out, st, cached = run(tmp_path, [b"/usr/bin/getpid_bench", str(n).encode()], kw)
    assert status == 0, out
    m = re.search(r"getpid (\d+) calls \d+ cycles (\d+) cycles/call", out)
    assert m and int(m.group(1)) == n, out
    assert int(m.group(2)) == (179 if kw else 438)           # the modelled cost is unchanged
    by = 1 if kw else 0
    assert cached[by] > n // 2 and cached[1 - by] == 0        # the loop ran from the cache
    status0, out0, st0, cached0 = run(tmp_path, [b"/usr/bin/getpid_bench", str(n).encode()],
                                      kw, no_cache=True)
    assert cached0 == (0, 0) and status0 == 0
    # the same guest output, calls counted, cycles and instructions
    assert (out0, st0) == (out, st)


def test_strace_never_uses_the_cache(tmp_path):
    import io
    status, out, st, cached = run(tmp_path, [b"/usr/bin/getpid_bench", b"50"],
                                  strace=io.StringIO())
    assert status == 0 and cached == (0, 0)
    assert st["syscalls_trap"] >= 50


@pytest.mark.parametrize("kw", [False, True], ids=["trap", "call"])
def test_uid_answer_follows_setuid(tmp_path, prog, kw):
    with open(prog, "rb") as f:
        image = f.read()
    status, out, _, cached = run(tmp_path, [b"sysfast"], kw, image=image)
    assert status == 0, out
    assert out == ("before: uid 0 egid 0\nafter: uid 1000 egid 20\n"
                   "pgrp: child before == parent's 1, after == own pid 1\n")
    assert sum(cached) >= 4 * 90


@pytest.mark.parametrize("kw", [False, True], ids=["trap", "call"])
def test_orphan_sees_init_as_parent(tmp_path, prog, kw):
    with open(prog, "rb") as f:
        image = f.read()
    status, out, _, cached = run(tmp_path, [b"sysfast", b"orphan"], kw, image=image)
    assert status == 0, out
    m = re.search(r"grandchild: ppid (\d+) -> (\d+), pid \d+ own\n", out)
    assert m and m.group(2) == "1" and m.group(1) != "1", out
    assert re.search(r"parent: child \d+ exited 0\n", out), out
    assert sum(cached) > 0
