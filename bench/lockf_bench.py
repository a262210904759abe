"""Byte-range locks at scale: a guest process taking N fcntl locks on one
file, F_GETLK about each from a child, then dropping them one by one
(tests/guest/lockmany.c), as a user process under `kw86 exec`.

    python bench/lockf_bench.py [-n ROUNDS] [--locks N,..] [--against DIR]

Host CPU time of the kw86 process (its children's rusage: best of ROUNDS),
per run and per lock; with --against DIR (a built kw86 tree of another
commit, e.g. a git worktree) the same runs with that tree, interleaved, and
the ratio.  Prints the load average (`uptime`) before and after: the machine
is shared, so compare runs of one invocation only.  Speed is measured here,
never asserted in a test.
"""
import argparse
import os
import resource
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [ROOT, os.path.join(ROOT, "tests")]


def _load():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def _run(tree, bindir, n):
    """One run under tree: (child CPU seconds, its output)."""
    import hostenv
    env = dict(hostenv.ENV, PYTHONPATH=tree)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    r = subprocess.run([sys.executable, "-m", "kw86.cli", "exec", "--bind", f"{bindir}:/mnt:ro",
                        "/mnt/lockmany", str(n)], cwd=tree, env=env, capture_output=True,
                       timeout=3600)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = r.stdout.decode(errors="replace").strip()
    want = f"locks {n} getlk {n} unlocked {n}"
    if r.returncode or out != want:
        raise SystemExit(f"{tree}: lockmany {n}: status {r.returncode}, {out!r} "
                         f"{r.stderr.decode(errors='replace')[-500:]}")
    return (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime), out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=3, help="rounds (best of)")
    ap.add_argument("--locks", default="2000,20000", help="lock counts, comma-separated")
    ap.add_argument("--against", help="another built kw86 tree to compare with")
    a = ap.parse_args(argv)
    import nbsd_env
    prog = nbsd_env.guest_program("lockmany")
    if prog is None:
        raise SystemExit(nbsd_env.guest_program.why)
    bindir = os.path.dirname(prog)
    trees = [("this", ROOT)] + ([("against", os.path.abspath(a.against))] if a.against else [])
    print(f"load before: {_load()}")
    for n in (int(x) for x in a.locks.split(",")):
        best = {name: None for name, _ in trees}
        for _ in range(a.n):
            for name, tree in trees:            # interleaved
                t, _out = _run(tree, bindir, n)
                best[name] = t if best[name] is None else min(best[name], t)
        line = "  ".join(f"{name} {best[name]:.2f} s ({best[name] / n * 1e6:.0f} us/lock)"
                         for name, _ in trees)
        if a.against:
            line += f"  ratio against/this {best['against'] / best['this']:.1f}x"
        print(f"{n} locks: {line}")
    print(f"load after: {_load()}")


if __name__ == "__main__":
    main()
