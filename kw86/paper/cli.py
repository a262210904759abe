"""`kw86 bench paper [--quick] [--out DIR]` (dispatched by kw86/bench_cli.py).

Runs every figure of the paper that kw86 can measure (experiments.py),
writes DIR/results.json, DIR/results.md and one PNG per figure (DIR
defaults to ./paper-results), prints results.md's tables, and lists the
figures that are not measurable yet with what they need.
"""
import os
import sys
import time


def add_arguments(p):
    p.add_argument("--quick", action="store_true",
                   help="fewer repetitions (read/write 10 calls, ls 2 timed runs, "
                        "cp of 4 KiB, 64 KiB and 2 MiB only)")
    p.add_argument("--out", default="paper-results", metavar="DIR",
                   help="output directory (default: ./paper-results)")
    p.add_argument("--cycles-profile", default="celeron500", metavar="NAME",
                   help="cycle-cost profile (default: celeron500, the paper's machine)")
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots")


def run(args):
    from kw86.paper import experiments, report
    profile = "quick" if args.quick else "full"
    t0 = time.perf_counter()
    try:
        results = experiments.run_all(profile, args.cycles_profile)
    except experiments.BenchError as e:
        print(f"kw86 bench paper: {e}", file=sys.stderr)
        return 1
    plots = not args.no_plots
    if plots:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            print("kw86 bench paper: matplotlib is not installed: no plots "
                  "(pip install matplotlib)", file=sys.stderr)
            plots = False
    written = report.write_all(results, args.out, plots)
    print(report.markdown(results, plots=False))
    print(f"kw86 bench paper: wrote {', '.join(os.path.relpath(w) for w in written)} "
          f"({time.perf_counter() - t0:.1f} s host time)", file=sys.stderr)
    return 0
