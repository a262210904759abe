"""`kw86 bench cpu` under pytest-benchmark (run on demand:
`pytest -s bench/test_bench_cpu_cmd.py`).

The same measurement as the command (kw86/bench_cpu.py: one NetBSD/i386
program under kw86 exec at CPL 3 and CPL 0, FlatCPU and Unicorn, interleaved,
rates from two sizes, and the CPL 3 / CPL 0 phase), one round at half size and
two CPL 3 / CPL 0 rounds so the suite stays short; the ratios go to
extra_info.  Nothing here asserts a speed: the engines' results are checked
equal (measure() raises otherwise) and every rate is positive.
"""

from kw86 import bench_cpu


def test_bench_cpu_command(benchmark):
    res = benchmark.pedantic(lambda: bench_cpu.measure(rounds=1, scale=0.5, parity_rounds=2),
                             rounds=1, iterations=1)
    for row in res["table"]:
        for eng in res["engines"]:
            assert row[eng + "_mips"] and row[eng + "_mips"] > 0, row
        assert len(row["cpl3_vs_cpl0_rounds"]) == 2, row
        benchmark.extra_info[row["workload"]] = {
            k: v for k, v in row.items()
            if k.endswith("_vs_unicorn") or k.startswith("cpl3_vs_cpl0")}
    benchmark.extra_info["load"] = [res["load_before"], res["load_after"]]
    print("\n" + bench_cpu.format_table(res))
