"""Scheduler benchmark with many sleepers (issue 12; pytest-benchmark, on demand:
`pytest bench/test_bench_sched.py`, or `python3 bench/test_bench_sched.py` for
the table alone).

The sysroot's sleepq_bench forks N children that sleep all along (in read on
one pipe, or a timed nanosleep each), then, inside bench_mark() regions,
ping-pongs one byte with one more child (two wakeups and two switches per
round trip) and spins in a busy loop (clock ticks).  The host CPU time
(time.process_time) of each region is taken at its marks (the system-call
hypercall, as kw86/paper/experiments.Marks does): per round trip, and per
clock tick for the spin (its ticks counted at trap.intr's _expire_timers).
A scheduler that scans every LWP at each wakeup and tick grows with N; the
sleep queues of kw86/nbsd/sched.py should not.  Nothing here asserts speed;
the run's output and status are checked.
"""
import os
import re
import sys
import tempfile
import time

import pytest

from kw86.nbsd.boot import HC_GATE, HC_SYSCALL, HCALL_PORT
from kw86.nbsd.kernel import Kernel

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "tests"))
from buildreq import built  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "kw86",
                    "sysroot")
PROG = os.path.join(ROOT, "usr/bin/sleepq_bench")
ROUNDS = 2000
SPIN = 50_000_000
SYS_SYNC = 36                   # bench_mark()'s system call
NSYSENT_MASK = 0x3ff

pytestmark = built(os.path.exists(PROG), "sysroot /usr/bin/sleepq_bench (userland/build.py)")


def run(n, mode="read", rounds=ROUNDS, spin=SPIN):
    """-> dict: host seconds and counts of the two marked regions."""
    marks, ticks, in_tick = [], [0], [0.0, False]
    with tempfile.TemporaryFile() as out, open(os.devnull, "rb") as null:
        k = Kernel(ROOT, stdin=null.fileno(), stdout=out.fileno(), stderr=out.fileno(),
                   epoch_ns=1_700_000_000 * 10**9)
        try:
            k.spawn(b"/usr/bin/sleepq_bench",
                    [b"sleepq_bench", str(n).encode(), str(rounds).encode(),
                     str(spin).encode(), mode.encode()], [b"PATH=/bin:/usr/bin"])
            hcall, lead = k._hcall, k.cur.pid if k.cur is not None else None

            def hook(port, size, value):
                if value in (HC_SYSCALL, HC_GATE) and \
                        k.m.get_reg("ecx") & NSYSENT_MASK == SYS_SYNC and \
                        (lead is None or k.cur.pid == lead):
                    marks.append((time.process_time(), ticks[0], k.stats["syscalls_trap"],
                                  in_tick[0]))
                return hcall(port, size, value)
            k.m.set_port_handler(HCALL_PORT, write=hook, free=True)
            expire = k._expire_timers
            from kw86.nbsd import trap
            intr = trap.intr

            def timed_expire():
                # the tick's scheduler work (its timed sleeps and timers)
                if not in_tick[1]:
                    return expire()
                t = time.process_time()
                try:
                    return expire()
                finally:
                    in_tick[0] += time.process_time() - t

            def counting_intr(k_, p, fesp):
                ticks[0] += 1
                in_tick[1] = True
                try:
                    return intr(k_, p, fesp)
                finally:
                    in_tick[1] = False
            k._expire_timers = timed_expire
            trap.intr = counting_intr
            try:
                t = time.process_time()
                status = k.run()
                total = time.process_time() - t
            finally:
                trap.intr = intr
        finally:
            k.close()
        out.seek(0)
        text = out.read().decode(errors="replace")
    assert status == 0, text
    assert re.search(rf"^pingpong {rounds} rounds \d+ cycles$", text, re.M), text
    assert re.search(rf"^spin {spin} iterations \d+ cycles$", text, re.M), text
    assert len(marks) == 4, (marks, text)
    (p0, _, s0, _), (p1, _, s1, _), (q0, k0, _, e0), (q1, k1, _, e1) = marks
    return dict(n=n, mode=mode, total_s=total,
                pingpong_us_per_round=(p1 - p0) / rounds * 1e6,
                syscalls_per_round=(s1 - s0) / rounds,
                spin_s=q1 - q0, spin_ticks=k1 - k0,
                spin_us_per_tick=(q1 - q0) / max(1, k1 - k0) * 1e6,
                expire_us_per_tick=(e1 - e0) / max(1, k1 - k0) * 1e6)


@pytest.mark.parametrize("mode", ["read", "sleep"])
@pytest.mark.parametrize("n", [10, 100, 1000])
def test_sleepers(benchmark, n, mode):
    res = []
    benchmark.pedantic(lambda: res.append(run(n, mode)), rounds=1, iterations=1)
    r = res[-1]
    benchmark.extra_info.update({k: (round(v, 3) if isinstance(v, float) else v)
                                 for k, v in r.items()})
    print(f"\n{_line(r)}", file=sys.stderr)


def _line(r):
    return (f"N={r['n']:5} {r['mode']:5}: pingpong {r['pingpong_us_per_round']:8.1f} us/round "
            f"({r['syscalls_per_round']:.1f} syscalls), spin {r['spin_s']:.3f} s / "
            f"{r['spin_ticks']} ticks = {r['spin_us_per_tick']:8.1f} us/tick "
            f"(timers {r['expire_us_per_tick']:6.1f} us/tick), "
            f"whole run {r['total_s']:.2f} s")


if __name__ == "__main__":
    for mode in ("read", "sleep"):
        for n in (10, 100, 1000):
            print(_line(run(n, mode)), flush=True)
