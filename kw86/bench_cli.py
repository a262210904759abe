"""`kw86 bench`: benchmarks, one per subcommand, each in its own module with
`add_arguments(parser)` and `run(args) -> int` (like kw86.cli's commands).

    kw86 bench cpu      kw86's interpreter against Unicorn (kw86/bench_cpu.py)
    kw86 bench whole    whole programs: start-up, ls -l, wc, cp (kw86/bench_whole.py)
    kw86 bench bochs    kw86 against Bochs on the same workloads (kw86/bench_bochs.py)
    kw86 bench paper    the paper's experiments (when kw86.paper.cli exists)
"""
import importlib

BENCHES = {
    "cpu": ("kw86.bench_cpu", "kw86 against Unicorn on the same programs, CPL 3 and CPL 0, "
                              "ratios from one interleaved run"),
    "whole": ("kw86.bench_whole", "whole programs through kw86 exec: start-up, ls -l over "
                                  "100/1,000/10,000 files, wc and cp at three sizes"),
    "bochs": ("kw86.bench_bochs", "kw86 against Bochs on the same workloads (a boot image), "
                                  "CPL 3, CPL 0 and FlatCPU, ratios from one interleaved run"),
    "paper": ("kw86.paper.cli", "the paper's experiments"),
}


def _available():
    out = {}
    for name, (modname, _) in BENCHES.items():
        try:
            out[name] = importlib.import_module(modname)
        except ModuleNotFoundError as e:
            if e.name != modname:
                raise
    return out


def add_arguments(parser):
    sub = parser.add_subparsers(dest="bench", metavar="BENCHMARK")
    for name, mod in _available().items():
        p = sub.add_parser(name, help=BENCHES[name][1], description=BENCHES[name][1])
        mod.add_arguments(p)
    parser.set_defaults(_bench_parser=parser)


def run(args):
    if not getattr(args, "bench", None):
        args._bench_parser.print_help()
        return 2
    return _available()[args.bench].run(args) or 0
