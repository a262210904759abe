"""Whole programs as users run them (issue 12; pytest-benchmark, on demand:
`pytest -s bench/test_bench_whole.py`).  The same measurements as `kw86 bench
whole` (kw86/bench_whole.py), one workload per test:

- start-up: `kw86 exec /usr/bin/true` against `python -c pass`, with the
  bytecode cache, with none written (PYTHONDONTWRITEBYTECODE), and both in a
  bare interpreter (`python -S`: no site, nothing preloaded for kw86);
- `ls -l` over 100 / 1,000 / 10,000 host files: CPU per file over `true`'s,
  guest instructions and system calls per file;
- `wc` of 1 / 10 / 50 MiB of text: guest instructions per byte (exact);
- `cp` of 2 / 20 / 200 MiB, host file to host file.

Times are CPU time of the `kw86 exec` child (rusage), best of the rounds;
speed is reported (extra_info, stderr), never asserted: what is asserted is
that each run did its work (exit status, output), and for the exact counts
(instructions per byte, system calls per file) that they stay linear in the
work.
"""
import os
import sys

import pytest

from kw86 import bench_whole as bw

ROUNDS = 3


def _best(cmd, env, rounds=ROUNDS):
    best, err = None, ""
    for _ in range(rounds):
        dt, err, rc = bw.child_cpu(cmd, env)
        assert rc == 0, err[-500:]
        best = dt if best is None else min(best, dt)
    return best, err


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    cache = str(tmp_path_factory.mktemp("pycache"))
    e = bw._env(cache)
    bw.child_cpu(bw.kw86_cmd("exec", "/usr/bin/true"), e)      # warm the cache
    return e


@pytest.fixture(scope="module")
def true_cpu(env):
    return _best(bw.kw86_cmd("exec", "/usr/bin/true"), env)[0]


@pytest.mark.parametrize("cached,bare", [(True, False), (False, False), (True, True)],
                         ids=["bytecode-cache", "no-cache-written", "bare-interpreter"])
def test_startup_true(benchmark, env, cached, bare):
    e = env if cached else bw._env(None)
    res = {}

    def once():
        res["python"] = _best([sys.executable, *(["-S"] if bare else []), "-c", "pass"], e)[0]
        res["true"] = _best(bw.kw86_cmd("exec", "/usr/bin/true", bare=bare), e)[0]

    benchmark.pedantic(once, rounds=1, iterations=1)
    benchmark.extra_info.update(python_ms=round(res["python"] * 1000, 1),
                                true_ms=round(res["true"] * 1000, 1),
                                kw86_part_ms=round((res["true"] - res["python"]) * 1000, 1),
                                kw86_pyc=bw.kw86_pyc_count(), load=bw.loadavg())
    what = "bare interpreter" if bare else "bytecode cache" if cached else "no cache written"
    print(f"\nstart-up ({what}): python -c pass "
          f"{res['python'] * 1000:.0f} ms, kw86 exec /usr/bin/true {res['true'] * 1000:.0f} ms "
          f"(kw86's part {(res['true'] - res['python']) * 1000:.0f} ms); load {bw.loadavg()}",
          file=sys.stderr)


@pytest.fixture(scope="module")
def ls_dirs(tmp_path_factory):
    out = {}
    for n in bw.LS_COUNTS:
        d = str(tmp_path_factory.mktemp(f"ls{n}") / "d")
        bw.make_files(d, n)
        out[n] = d
    return out


def test_ls_l_scaling(benchmark, env, true_cpu, ls_dirs):
    res = {}

    def once():
        for n, d in ls_dirs.items():
            cmd = bw.kw86_cmd("exec", "--stats", "--bind", f"{d}:/d", "/bin/ls", "-l", "/d")
            dt, err = _best(cmd, env)
            res[n] = (dt,) + bw.stats_of(err, cmd)

    benchmark.pedantic(once, rounds=1, iterations=1)
    lines = []
    for n, (dt, ins, sc) in res.items():
        benchmark.extra_info[f"ls{n}"] = dict(cpu_ms=round(dt * 1000, 1),
                                              us_per_file=round((dt - true_cpu) / n * 1e6, 1),
                                              insns_per_file=round(ins / n),
                                              syscalls_per_file=round(sc / n, 3))
        lines.append(f"  {n:>6} files: {dt * 1000:6.0f} ms, {(dt - true_cpu) / n * 1e6:5.0f} us/file "
                     f"over true, {ins / n:,.0f} guest insns/file, {sc / n:.2f} syscalls/file")
    print("\nls -l (load %s):\n" % (bw.loadavg(),) + "\n".join(lines), file=sys.stderr)
    # linear in the work: one lstat per file (plus a fixed few), and guest
    # instructions per file within 15 % from 1,000 to 10,000 files
    big, mid = res[bw.LS_COUNTS[-1]], res[bw.LS_COUNTS[-2]]
    assert big[2] / bw.LS_COUNTS[-1] < 1.1
    assert big[1] / bw.LS_COUNTS[-1] < 1.15 * mid[1] / bw.LS_COUNTS[-2]


@pytest.mark.parametrize("mb", bw.WC_MB)
def test_wc(benchmark, env, true_cpu, tmp_path, mb):
    path = str(tmp_path / "t")
    bw.make_text(path, mb)
    cmd = bw.kw86_cmd("exec", "--stats", "--bind", f"{tmp_path}:/d", "/usr/bin/wc", "/d/t")
    res = {}

    def once():
        res["dt"], res["err"] = _best(cmd, env)

    benchmark.pedantic(once, rounds=1, iterations=1)
    ins, _ = bw.stats_of(res["err"], cmd)
    per_byte = ins / (mb << 20)
    benchmark.extra_info.update(mb=mb, cpu_ms=round(res["dt"] * 1000, 1),
                                insns_per_byte=round(per_byte, 3),
                                ms_per_mb=round((res["dt"] - true_cpu) / mb * 1000, 1))
    print(f"\nwc {mb} MiB: {res['dt'] * 1000:.0f} ms, {per_byte:.2f} guest insns/byte, "
          f"{(res['dt'] - true_cpu) / mb * 1000:.1f} ms/MiB over true; load {bw.loadavg()}",
          file=sys.stderr)
    assert per_byte < 12            # issue 12's bound; exact count, not a time


@pytest.mark.parametrize("mb", bw.CP_MB)
def test_cp(benchmark, env, true_cpu, tmp_path, mb):
    src = tmp_path / "src"
    with open(src, "wb") as f:
        chunk = bytes(range(256)) * 4096
        for _ in range(mb):
            f.write(chunk)
    cmd = bw.kw86_cmd("exec", "--stats", "--bind", f"{tmp_path}:/d", "/bin/cp", "/d/src",
                      "/d/dst")
    res = {}

    def once():
        res["dt"], res["err"] = _best(cmd, env)

    benchmark.pedantic(once, rounds=1, iterations=1)
    assert os.path.getsize(tmp_path / "dst") == mb << 20
    with open(tmp_path / "dst", "rb") as f:
        assert f.read(1 << 20) == chunk
    ins, sc = bw.stats_of(res["err"], cmd)
    benchmark.extra_info.update(mb=mb, cpu_ms=round(res["dt"] * 1000, 1),
                                ms_per_mb=round((res["dt"] - true_cpu) / mb * 1000, 2),
                                syscalls=sc, insns=ins)
    print(f"\ncp {mb} MiB: {res['dt'] * 1000:.0f} ms, "
          f"{(res['dt'] - true_cpu) / mb * 1000:.2f} ms/MiB over true, {sc} syscalls; "
          f"load {bw.loadavg()}", file=sys.stderr)
