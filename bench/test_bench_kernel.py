"""Kernel benchmarks (pytest-benchmark, on demand: `pytest bench/test_bench_kernel.py`).

- getpid through the full emulated path: the sysroot's getpid_bench as a user
  process (int $0x80: IDT gate, locore's trap frame, the hypercall, Python
  dispatch, iret) and as a kernelware (the function-call gate).  Host rate
  in getpid/s (issue 12's target: at least 1.5 M through the trap path, 2 M
  through the call) and the guest's own cycles per call (rdtsc around the
  loop) in extra_info; again with the run loop's answer cache off (every
  call through the Python hypercall handler: what any other call costs).
- The floor: the same guest loop with a port handler that does nothing (what
  the Machine's EV_IO round trip costs by itself).
- `ls -l` over 1,000 files made with the sysroot's mkfiles (on the MFS):
  host seconds, guest cycles, split into executed / kernel-cost table / disk.

Rates are host CPU time (time.process_time), so other load on the machine
distorts them less than wall time would.
"""
import os
import re
import sys
import tempfile
import time

import pytest

from kw86.nbsd.boot import HC_GATE, HC_SYSCALL, HCALL_PORT
from kw86.nbsd.kconst import KW86_FAST
from kw86.nbsd.kernel import Kernel

ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "kw86",
                    "sysroot")
N = 200_000

pytestmark = pytest.mark.skipif(not os.path.exists(os.path.join(ROOT, "usr/bin/getpid_bench")),
                                reason="sysroot not built")


def _run(argv, kernelware=False, null_handler=False, binds=(), no_cache=False):
    """Run argv in a fresh kernel; -> (status, host cpu seconds, stdout, kernel).
    no_cache: every call through the kernel's hypercall handler (the run
    loop's answer cache for getpid and the like off, trap._STABLE)."""
    with tempfile.TemporaryFile() as out, open(os.devnull, "rb") as null:
        k = Kernel(ROOT, stdin=null.fileno(), stdout=out.fileno(), stderr=out.fileno(),
                   epoch_ns=1_700_000_000 * 10**9, binds=binds)
        try:
            k.spawn(argv[0], argv, [b"PATH=/bin:/usr/bin"], kernelware=kernelware)
            if no_cache:
                k.m.core.sysfast_setup(HCALL_PORT, HC_SYSCALL, HC_GATE, KW86_FAST,
                                       511, k._syscall_cost, None)
            if null_handler:
                orig, seen = k._hcall, [0]

                def hcall(port, size, value):
                    # all but the first and last few getpids do nothing
                    if value == HC_SYSCALL:
                        seen[0] += 1
                        if 20 < seen[0] < N:
                            return
                    return orig(port, size, value)
                k.m.set_port_handler(HCALL_PORT, write=hcall, free=True)
            t = time.process_time()
            status = k.run()
            dt = time.process_time() - t
        finally:
            k.close()
        out.seek(0)
        return status, dt, out.read().decode(errors="replace"), k


def _getpid(benchmark, kernelware=False, null_handler=False, no_cache=False):
    argv = [b"/usr/bin/getpid_bench", str(N).encode()]
    runs = []

    def once():
        runs.append(_run(argv, kernelware, null_handler, no_cache=no_cache))

    benchmark.pedantic(once, rounds=3, iterations=1)
    best = min(r[1] for r in runs)
    status, _, out, k = runs[-1]
    assert status == 0, out
    m = re.search(r"(\d+) cycles/call", out)
    benchmark.extra_info.update(
        getpid_per_s=round(N / best), host_us_per_call=round(best / N * 1e6, 3),
        path="call" if kernelware else "trap",
        guest_cycles_per_call=int(m.group(1)) if m and not null_handler else None,
        syscalls_trap=k.stats["syscalls_trap"], syscalls_gate=k.stats["syscalls_gate"])
    print(f"\n{'kernelware' if kernelware else 'user'}{' (null handler)' if null_handler else ''}"
          f"{' (no answer cache)' if no_cache else ''}:"
          f" {N / best:,.0f} getpid/s, {out.strip()}", file=sys.stderr)
    return N / best


def test_getpid_trap_path(benchmark):
    _getpid(benchmark)


def test_getpid_call_path(benchmark):
    _getpid(benchmark, kernelware=True)


@pytest.mark.parametrize("kernelware", [False, True], ids=["trap", "call"])
def test_getpid_without_answer_cache(benchmark, kernelware):
    """Every getpid through the Python hypercall handler: the rate of a call
    the run loop cannot answer itself."""
    _getpid(benchmark, kernelware=kernelware, no_cache=True)


def test_getpid_floor_null_handler(benchmark):
    """The Machine's hypercall round trip with no kernel work at all."""
    _getpid(benchmark, null_handler=True)


@pytest.fixture(scope="module")
def thousand(tmp_path_factory):
    """A host directory with 1,000 files made by the guest's mkfiles."""
    d = tmp_path_factory.mktemp("ls1000")
    binds = [f"{d}:/d"]
    status, _, out, _ = _run([b"/usr/bin/mkfiles", b"/d/files", b"1000"], binds=binds)
    assert status == 0 and len(os.listdir(d / "files")) == 1000, out
    return binds


@pytest.mark.parametrize("kernelware", [False, True], ids=["user", "kernelware"])
def test_ls_l_1000_files(benchmark, thousand, kernelware):
    runs = []

    def once():
        runs.append(_run([b"/bin/ls", b"-l", b"/d/files"], kernelware, binds=thousand))

    benchmark.pedantic(once, rounds=3, iterations=1)
    status, _, out, k = runs[-1]
    assert status == 0 and out.count("\n") == 1001, out[-500:]
    guest, table, disk, idle = k.cycle_split()
    best = min(r[1] for r in runs)
    benchmark.extra_info.update(host_s=round(best, 3), cycles=k.m.cycles,
                                cycles_executed=guest, cycles_table=table, cycles_disk=disk,
                                syscalls=k.stats["syscalls_trap"] + k.stats["syscalls_gate"])
    print(f"\nls -l 1000 files ({'kernelware' if kernelware else 'user'}): {best:.3f} s host, "
          f"{k.m.cycles} cycles = {guest} executed + {table} table + {disk} disk",
          file=sys.stderr)
