"""`kw86 bench bochs` under pytest-benchmark (run on demand, needs Bochs:
`pytest -s bench/test_bench_bochs_cmd.py`).

The same measurement as the command (kw86/bench_bochs.py: the workloads of
kw86 bench cpu booted under Bochs from a disk image, against kw86 exec at CPL 3
and CPL 0 and FlatCPU, interleaved, rates from two sizes), one round at half
size.  Nothing here asserts a speed: every engine's checksum must agree
(measure() raises otherwise), Bochs's TSC must count the very instructions
kw86 counts for the image's function, and every rate is positive.
"""

from kw86 import bench_bochs


def test_bench_bochs_command(benchmark):
    res = benchmark.pedantic(lambda: bench_bochs.measure(rounds=1, scale=0.5),
                             rounds=1, iterations=1)
    for row in res["table"]:
        for eng in res["engines"]:
            assert row[eng + "_mips"] and row[eng + "_mips"] > 0, row
        benchmark.extra_info[row["workload"]] = {
            k: v for k, v in row.items() if k.endswith("_vs_bochs")}
    for c in res["instruction_check"]:
        assert c["bochs_tsc"] == c["kw86_count_image"], c
    benchmark.extra_info["load"] = [res["load_before"], res["load_after"]]
    print("\n" + bench_bochs.format_table(res))
