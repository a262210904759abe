"""The `kw86` command: one subcommand per job, each implemented in its own module.

Each subcommand module exposes `add_arguments(parser)` and `run(args) -> int`.

Start-up (issue 12): a command line of a PASSTHROUGH command (kw86 exec)
that is plainly well-formed is parsed without argparse (fast_parse, from
what add_arguments declares, with argparse's result); anything else (help,
an error, an abbreviation, a value that looks like an option) goes through
argparse, which gives its usual messages.
"""
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
    return _split(_flags(parser), argv)


def _flags(parser):
    """option string -> True for one that takes no value."""
    return {s: a.nargs == 0 for a in parser._actions for s in a.option_strings}


def _split(flags, argv):
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


# add_argument keywords and actions fast_parse knows (anything else: argparse)
_SPEC_KEYS = frozenset(("action", "dest", "default", "type", "choices", "nargs", "metavar",
                        "help"))
_NO_VALUE = ("store_true", "store_false")
REMAINDER = "..."           # argparse.REMAINDER


class _Spec:
    """What a command's add_arguments(p) declares, recorded for fast_parse:
    the options (with argparse's own -h/--help) and the positionals."""

    def __init__(self, mod):
        self.ok = True
        self.options = {}           # option string -> action (a dict)
        self.actions = []
        self.positionals = []
        self.add_argument("-h", "--help", action="help")
        try:
            mod.add_arguments(self)
        except Exception:           # (argparse will say what is wrong)
            self.ok = False
        pos = [a["nargs"] for a in self.positionals]
        if pos != [None, REMAINDER]:    # PROG [ARGS...]: what split_passthrough assumes
            self.ok = False
        self.flags = {o: a["action"] in _NO_VALUE + ("help",) for o, a in self.options.items()}

    def add_argument(self, *names, **kw):
        if set(kw) - _SPEC_KEYS or kw.get("action", "store") not in \
                ("store", "append", "help") + _NO_VALUE:
            self.ok = False
            return
        a = {"action": kw.get("action", "store"), "type": kw.get("type"),
             "choices": kw.get("choices"), "nargs": kw.get("nargs")}
        if names and names[0].startswith("-"):
            longs = [n for n in names if n.startswith("--")]
            a["dest"] = kw.get("dest") or (longs or names)[0].lstrip("-").replace("-", "_")
            default = kw.get("default", False if a["action"] == "store_true" else
                             True if a["action"] == "store_false" else None)
            if isinstance(default, str) and a["type"] is not None:
                default = a["type"](default)       # argparse converts a str default
            a["default"] = default
            if a["nargs"] is not None:
                self.ok = False
            for n in names:
                self.options[n] = a
        else:
            a["dest"] = names[0]
            a["default"] = kw.get("default")
            self.positionals.append(a)
        self.actions.append(a)


_SPECS = {}


def fast_parse(name, mod, argv):
    """argparse's Namespace for `kw86 NAME ARGV` (NAME a PASSTHROUGH command,
    argv its arguments) as a SimpleNamespace with the same attributes, when
    every token is plain: known options spelt in full (--opt VALUE,
    --opt=VALUE), values that do not start with '-', PROG last (argv split
    as split_passthrough does).  None otherwise: the caller uses argparse."""
    spec = _SPECS.get(name)
    if spec is None:
        spec = _SPECS[name] = _Spec(mod)
    if not spec.ok:
        return None
    own, passthrough = _split(spec.flags, list(argv))
    ns = {a["dest"]: list(a["default"]) if isinstance(a["default"], list) else a["default"]
          for a in spec.actions if a["action"] != "help"}
    prog = None
    i, n = 0, len(own)
    while i < n:
        tok = own[i]
        if tok == "--":
            if i + 2 != n:
                return None
            prog = own[i + 1]
            break
        if not tok.startswith("-") or tok == "-":
            if i + 1 != n:
                return None
            prog = tok
            break
        opt, eq, value = tok.partition("=")
        a = spec.options.get(opt if opt.startswith("--") else tok)
        if a is None or a["action"] == "help":
            return None
        if a["action"] in _NO_VALUE:
            if eq:
                return None
            ns[a["dest"]] = a["action"] == "store_true"
            i += 1
            continue
        if not (eq and opt.startswith("--")):
            if i + 1 >= n:
                return None
            value = own[i + 1]
            i += 1
        if value.startswith("-"):
            return None
        if a["type"] is not None:
            try:
                value = a["type"](value)
            except (TypeError, ValueError):
                return None
        if a["choices"] is not None and value not in a["choices"]:
            return None
        if a["action"] == "append":
            ns[a["dest"]].append(value)
        else:
            ns[a["dest"]] = value
        i += 1
    if prog is None:
        return None
    first, rest = spec.positionals
    ns[first["dest"]] = prog
    ns[rest["dest"]] = list(passthrough)
    ns["command"] = name
    from types import SimpleNamespace
    return SimpleNamespace(**ns)


def build_parser(available):
    import argparse
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


# The collector during start-up (main() to startup_done()): off, as what is
# allocated then (modules, the kernel's tables) is never garbage; None
# outside main(), else (was it on, is this the kw86 process itself).
_gc_held = None
# kw86.startup_bundle while it serves the start-up's modules (kw86 exec)
_bundle = None


def startup_done():
    """A command's start-up is over (kw86 exec: the guest is about to run):
    the garbage collector is on again if it was; in the kw86 process itself
    (main() without argv) what start-up allocated is frozen first
    (gc.freeze: a permanent generation no collection walks again)."""
    global _gc_held, _bundle
    if _bundle is not None:
        b, _bundle = _bundle, None
        b.start_up_over()               # (and writes it if it was stale)
    if _gc_held is None:
        return
    was_on, program = _gc_held
    _gc_held = None
    import gc
    if program:
        gc.freeze()
    if was_on:
        gc.enable()


def _end_process(status):
    """End the kw86 process with status without the interpreter's teardown
    (freeing every module and object one by one: 5-10 ms at the end of
    every run), after what that teardown would do that anyone can see: the
    atexit functions, and stdout and stderr flushed.  Returns (and the
    caller ends the normal way) when that cannot be done safely: a flush
    that fails (Python reports it and exits 120), a non-daemon thread still
    running (Python waits for it)."""
    try:
        for f in (sys.stdout, sys.stderr):
            if f is not None:
                f.flush()
    except (OSError, ValueError):
        return
    threading = sys.modules.get("threading")
    if threading is not None and any(
            t is not threading.main_thread() and not t.daemon and t.is_alive()
            for t in threading.enumerate()):
        return
    import atexit
    atexit._run_exitfuncs()
    try:
        for f in (sys.stdout, sys.stderr):
            if f is not None:
                f.flush()
    except (OSError, ValueError):
        pass
    import os
    os._exit(status & 0xFF if isinstance(status, int) else 1)


def main(argv=None):
    """The kw86 command: argv (default sys.argv[1:]) -> exit status.
    Without argv this is the kw86 process itself (the console script,
    `python -m kw86.cli`): a command that allows it (FAST_EXIT, kw86 exec)
    then ends the process with its status here (_end_process)."""
    global _gc_held, _bundle
    program = argv is None
    import gc
    if _gc_held is None:
        _gc_held = (gc.isenabled(), program)
        gc.disable()
    if program and sys.argv[1:2] == ["exec"] and _bundle is None:
        from kw86 import startup_bundle as _bundle   # its modules from one file
        _bundle.install()
    try:
        status, mod = _main(argv)
    finally:
        startup_done()
    if program and getattr(mod, "FAST_EXIT", False):
        _end_process(status)
    return status


def _main(argv):
    argv = list(sys.argv[1:] if argv is None else argv)
    available = {}
    # Only the named subcommand's module is imported (start-up time: `kw86
    # exec` need not load the disassembler or the benchmarks); without one
    # (`kw86 --help`, a typo) every module is, for the full help.
    wanted = [argv[0]] if argv and argv[0] in COMMANDS else list(COMMANDS)
    for name in wanted:
        modname = COMMANDS[name][0]
        try:
            __import__(modname)     # (importlib itself costs start-up time)
            available[name] = sys.modules[modname]
        except ModuleNotFoundError as e:
            if e.name != modname:   # a real import error inside an existing module
                raise
    if len(available) == 1 and argv[0] in available and \
            getattr(available[argv[0]], "PASSTHROUGH", False):
        args = fast_parse(argv[0], available[argv[0]], argv[1:])
        if args is not None:
            return _run_command(available[argv[0]], args)
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
        return 2, None
    return _run_command(available[args.command], args)


def _run_command(mod, args):
    """(exit status, module) of mod.run(args)."""
    try:
        return mod.run(args) or 0, mod
    except KeyboardInterrupt:
        return 130, mod
    except BrokenPipeError:
        return 141, mod


if __name__ == "__main__":
    # `python -m kw86.cli`: run the kw86.cli module's main, not this copy's,
    # so that startup_done() (called by kw86.nbsd.cli_exec through kw86.cli)
    # sees the state main() set (the collector back on, the bundle closed)
    from kw86.cli import main as _main_of_module
    sys.exit(_main_of_module())
