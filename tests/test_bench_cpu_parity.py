"""`kw86 bench cpu`'s CPL 3 / CPL 0 column (kw86/bench_cpu.py: measure_parity,
parity_summary): the statistics from known per-round numbers, and a tiny real
phase in which both modes run the very same guest work (equal results and
instruction differences within the few instructions the preemption hook adds
per timer tick).  No time is asserted."""
import os

import pytest

from buildreq import built, fail_build
from hostenv import kw86_env
from test_userland_e2e import HAVE_MACHINE, SYSROOT

from kw86 import bench_cpu


def _runs(pairs):
    """per-round [(user di, dt), (kernel di, dt)] -> measure_parity's shape"""
    return [{"user": u, "kernel": k} for u, k in pairs]


def test_summary_one_workload():
    runs = {"w": _runs([((100, 1.0), (100, 1.0)),         # ratio 1.0
                        ((100, 0.8), (100, 1.0)),         # 1.25: CPL 3's best round
                        ((100, 1.0), (100, 0.5)),         # 0.5: CPL 0's best round
                        ((100, 1.0), (100, 1.1))])}       # 1.1
    p = bench_cpu.parity_summary(runs, ["w"])
    assert p["rounds"] == pytest.approx([1.0, 1.25, 0.5, 1.1])
    assert (p["lo"], p["hi"], p["coverage"]) == pytest.approx((0.5, 1.25, 0.875))
    assert p["within"] == "too few rounds"          # 4 rounds: 87.5 %
    assert p["median"] == pytest.approx(1.05)
    assert (p["min"], p["max"]) == pytest.approx((0.5, 1.25))
    assert p["best"] == pytest.approx((100 / 0.8) / (100 / 0.5))
    assert p["user_mips"] == pytest.approx(125 / 1e6)


def test_summary_row_of_several_workloads():
    # a row adds the workloads: per round their differences, for the best
    # ratio each workload's best round
    runs = {"a": _runs([((100, 1.0), (100, 2.0)), ((100, 2.0), (100, 1.0))]),
            "b": _runs([((300, 1.0), (300, 1.0)), ((300, 3.0), (300, 1.5))])}
    p = bench_cpu.parity_summary(runs, ["a", "b"])
    assert p["rounds"] == pytest.approx([(400 / 2.0) / (400 / 3.0), (400 / 5.0) / (400 / 2.5)])
    assert p["best"] == pytest.approx((400 / 2.0) / (400 / 2.0))
    assert p["median"] == pytest.approx(sum(p["rounds"]) / 2)


def test_summary_unmeasurable():
    # a time difference that is not positive gives no rate: that round is left
    # out of the spread, and a mode with no rate at all gives no row
    runs = {"w": _runs([((100, 0.0), (100, 1.0)), ((100, 1.0), (100, 1.0))])}
    p = bench_cpu.parity_summary(runs, ["w"])
    assert p["rounds"] == [1.0]
    runs = {"w": _runs([((100, -0.1), (100, 1.0))])}
    assert bench_cpu.parity_summary(runs, ["w"]) is None
    assert bench_cpu.parity_summary({"w": []}, ["w"]) is None


def test_table_prints_the_spread():
    res = {"engines": ["user", "kernel"], "parity_rounds": 5,
           "table": [{"workload": "copy", "label": "byte-copy loop", "user_mips": 500.0,
                      "kernel_mips": 490.0, "cpl3_vs_cpl0": 1.004, "cpl3_vs_cpl0_best": 1.013,
                      "cpl3_vs_cpl0_lo": 0.97, "cpl3_vs_cpl0_hi": 1.041,
                      "cpl3_vs_cpl0_within_5pct": "yes"}]}
    text = bench_cpu.format_table(res)
    head, _, row = text.splitlines()
    assert "| CPL 3 / CPL 0 | 93.7 % interval | within 5 % | best of 5 per mode |" in head
    assert row == "| byte-copy loop | 500.0 | 490.0 | 1.004 | [0.970, 1.041] | yes | 1.013 |"


def test_median_interval():
    # the sign test: the k-th smallest and largest values cover the median
    # with probability 1 - 2 P(Binomial(n, 1/2) < k)
    assert bench_cpu.median_interval([3, 1, 2]) == (1, 3, 0.75)
    assert bench_cpu.median_interval(list(range(7))) == (0, 6, 1 - 2 / 128)
    assert bench_cpu.median_interval(list(range(9))) == (1, 7, 1 - 2 * 10 / 512)
    lo, hi, cov = bench_cpu.median_interval(list(range(11, 0, -1)))
    assert (lo, hi, cov) == (2, 10, 1 - 2 * 12 / 2048)
    assert bench_cpu.median_interval(list(range(21)), conf=0.5)[:2] == (8, 12)


def test_within_goal():
    assert bench_cpu.within_goal(0.95, 1.05) == "yes"
    assert bench_cpu.within_goal(0.97, 1.051) == "not shown"
    assert bench_cpu.within_goal(0.90, 0.99) == "not shown"
    assert bench_cpu.within_goal(1.051, 1.2) == "no"
    assert bench_cpu.within_goal(0.5, 0.949) == "no"
    # 5 rounds: the range covers the median with 93.75 % only
    assert bench_cpu.within_goal(0.99, 1.01, 1 - 2 / 32) == "too few rounds"
    assert bench_cpu.within_goal(0.99, 1.01, 1 - 2 / 64) == "yes"


@built(HAVE_MACHINE, "the kw86 machine (kw86.machine)")
@built(os.path.isdir(SYSROOT), "the sysroot")
def test_phase_runs_the_same_work_in_both_modes():
    try:
        exe = bench_cpu.build_program()
    except Exception as e:                  # no zig, a build error
        fail_build(f"kw86 bench cpu's guest program: {e}"[:2000])
    got = bench_cpu.measure_parity(exe, ["crc32", "copy"], rounds=2, scale=0.05,
                                   env=kw86_env())
    assert got["sizes"] == {"crc32": (1, 4), "copy": (1, 2)}
    for w, per_workload in (("crc32", 3 * 65536 * 70), ("copy", 1 * (1 << 20) * 6)):
        rounds = got["runs"][w]
        assert len(rounds) == 2
        for r in rounds:
            du, dk = r["user"][0], r["kernel"][0]
            # the N - 1 passes' instructions (CRC32: 8 bits x 8 + 6 per byte;
            # copy: 6 per byte), the same at CPL 3 and CPL 0 but for the
            # preemption hook's few instructions per tick
            assert per_workload <= du < per_workload * 1.01, (w, du)
            assert abs(du - dk) < du * 1e-4, (w, du, dk)
