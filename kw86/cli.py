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
    "bench": ("kw86.bench_cli", "run the paper's experiments"),
}


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
    available = {}
    for name, (modname, _) in COMMANDS.items():
        try:
            available[name] = importlib.import_module(modname)
        except ModuleNotFoundError as e:
            if e.name != modname:   # a real import error inside an existing module
                raise
    parser = build_parser(available)
    args = parser.parse_args(argv)
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
