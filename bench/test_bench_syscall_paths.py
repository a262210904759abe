"""System calls on each path (issue 9 section 6; `pytest bench/ --benchmark-compare`).

getpid, stat and read/write of 64 KiB through the trap (`int $0x80`, the
sysroot's getpid_bench/stat_bench/rw_bench as a process), the call (the same
binaries as a kernelware: the function-call gate) and sysenter (their
NAME.sysenter builds, linked with libc's sysenter stubs).  Host time per
call is the benchmark; the guest's own cycles per call (rdtsc around its
loop) are in extra_info.  No speed is asserted.
"""
import os
import re
import tempfile
import time

import pytest

from kw86.nbsd.kernel import Kernel

ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "kw86",
                    "sysroot")
N = {"getpid": 20_000, "stat": 5_000, "rw": 200}
PATHS = ("trap", "call", "sysenter")
CALLS = {"getpid": ("getpid_bench", [], ["getpid"]),
         "stat": ("stat_bench", [], ["stat"]),
         "rw": ("rw_bench", ["65536"], ["write", "read"])}

pytestmark = pytest.mark.skipif(
    not os.path.exists(os.path.join(ROOT, "usr/bin/getpid_bench.sysenter")),
    reason="sysroot with the sysenter programs not built")


def _run(prog, args, path):
    name = prog + (".sysenter" if path == "sysenter" else "")
    argv = [f"/usr/bin/{name}".encode()] + [a.encode() for a in args]
    with tempfile.TemporaryFile() as out, open(os.devnull, "rb") as null:
        k = Kernel(ROOT, stdin=null.fileno(), stdout=out.fileno(), stderr=out.fileno(),
                   epoch_ns=1_700_000_000 * 10**9)
        try:
            if path == "call":
                k.modload("kernelware")
            k.spawn(argv[0], argv, [b"PATH=/bin:/usr/bin"], kernelware=path == "call")
            t = time.process_time()
            status = k.run()
            dt = time.process_time() - t
        finally:
            k.close()
        out.seek(0)
        return status, dt, out.read().decode(errors="replace")


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("call", list(CALLS))
def test_syscall_path(benchmark, call, path):
    prog, extra, kinds = CALLS[call]
    n = N[call]
    runs = []
    benchmark.pedantic(lambda: runs.append(_run(prog, [str(n)] + extra, path)),
                       rounds=3, iterations=1)
    status, _, out = runs[-1]
    assert status == 0, out
    best = min(r[1] for r in runs)
    info = dict(path=path, calls=n * len(kinds), host_us_per_call=round(best / (n * len(kinds))
                                                                         * 1e6, 3))
    for kind in kinds:
        m = re.search(rf"^{kind} \d+ calls .*?(\d+) cycles/call", out, re.M)
        info[f"guest_cycles_per_{kind}"] = int(m.group(1)) if m else None
    benchmark.extra_info.update(info)
