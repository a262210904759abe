"""The `kw86` command: one subcommand per job, each implemented in its own module.

Each subcommand module exposes `add_arguments(parser)` and `run(args) -> int`.
"""
import argparse
import importlib
import sys

# subcommand -> (module, one-line help)
COMMANDS = {
    "disasm": ("kw86.disasm", "disassemble i386 code from a hex string or a file region"),
    "exec": ("kw86.nbsd.cli_exec", "run a NetBSD/i386 program on the emulated machine"),
    "ksyms": ("kw86.nbsd.cli_ksyms", "print the kernel symbol table as a link script"),
    "bench": ("kw86.bench_cli", "benchmarks: `bench cpu` (kw86 against Unicorn)"),
}


def split_passthrough(parser, argv):
    """For a command that runs a program (`kw86 exec [options] PROG ARGS...`):
    split argv into kw86's own part (up to and including PROG) and PROG's
    arguments, which are passed on untouched (a `--` or `-n` after PROG is
    the program's, as in any launcher)."""
    flags = {s: a.nargs == 0 for a in parser._actions for s in a.option_strings}
    i = 0
    while i < len(argv):
        tok = argv[i]
        if tok == "--":
            return argv[:i + 2], argv[i + 2:]
        if tok.startswith("-") and tok != "-":
            name = tok.split("=", 1)[0]
            if name in flags and not flags[name] and "=" not in tok:
                i += 1                              # the option's value
            elif name not in flags and tok[:2] in flags and not flags[tok[:2]]:
                pass                                # -Evalue
            i += 1
            continue
        return argv[:i + 1], argv[i + 1:]
    return argv, []


def build_parser(available):
    parser = argparse.ArgumentParser(
        prog="kw86",
        description="kw86: an i386 machine and NetBSD/i386 kernel personality with kernelware.")
    from kw86 import __version__
    parser.add_argument("--version", action="version", version=f"kw86 {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, mod in available.items():
        p = sub.add_parser(name, help=COMMANDS[name][1], description=COMMANDS[name][1])
        mod.add_arguments(p)
    return parser


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    available = {}
    # Only the named subcommand's module is imported (start-up time: `kw86
    # exec` need not load the disassembler or the benchmarks); without one
    # (`kw86 --help`, a typo) every module is, for the full help.
    wanted = [argv[0]] if argv and argv[0] in COMMANDS else list(COMMANDS)
    for name in wanted:
        modname = COMMANDS[name][0]
        try:
            available[name] = importlib.import_module(modname)
        except ModuleNotFoundError as e:
            if e.name != modname:   # a real import error inside an existing module
                raise
    parser = build_parser(available)
    passthrough = None
    if argv and argv[0] in available and getattr(available[argv[0]], "PASSTHROUGH", False):
        sub = parser._subparsers._group_actions[0].choices[argv[0]]
        own, passthrough = split_passthrough(sub, argv[1:])
        argv = [argv[0]] + own
    args = parser.parse_args(argv)
    if passthrough is not None:
        args.args = list(args.args or []) + passthrough
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return available[args.command].run(args) or 0
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 141


if __name__ == "__main__":
    sys.exit(main())
