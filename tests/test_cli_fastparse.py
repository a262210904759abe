"""kw86.cli.fast_parse (issue 12, start-up): `kw86 exec`'s command line parsed
without argparse when it is plainly well-formed.  Whenever it answers, the
answer is argparse's (every attribute of the Namespace, the program's own
arguments included); whenever argparse would fail, print help or read an
abbreviation, it declines and argparse runs."""
import contextlib
import io

from hypothesis import given, strategies as st

from kw86 import cli
from kw86.nbsd import cli_exec


def by_argparse(argv):
    """What `kw86 exec ARGV` gives through argparse: the Namespace as a dict,
    or "exit N" where argparse ends the program (an error, --help)."""
    parser = cli.build_parser({"exec": cli_exec})
    sub = parser._subparsers._group_actions[0].choices["exec"]
    own, passthrough = cli.split_passthrough(sub, list(argv))
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            ns = parser.parse_args(["exec"] + own)
    except SystemExit as e:
        return f"exit {e.code}"
    ns.args = list(ns.args or []) + passthrough
    return vars(ns)


def by_fast(argv):
    ns = cli.fast_parse("exec", cli_exec, list(argv))
    return None if ns is None else vars(ns)


PLAIN = [
    ["/usr/bin/true"],
    ["ls"],
    ["./prog", "-l", "--stats", "--", "x"],
    ["--kernelware", "--stats", "/bin/ls", "-l", "/"],
    ["--root", "/r", "--bind", "/h:/g", "--bind=/a:/b:ro", "-E", "A=B", "-E", "C=", "--cwd",
     "/tmp", "--mfs", "1M", "--memory=128M", "--user", "user", "/bin/sh", "-c", "echo hi"],
    ["--strace", "--strace-file", "f", "--cycles-profile", "celeron500",
     "--max-instructions", "1000", "--trace", "t", "--trace-limit=5", "/bin/echo"],
    ["--profile", "p", "--profile-metric", "instructions", "--profile-every", "100",
     "--profile-limit", "7", "--profile-top", "3", "--no-hdd", "--modules", "none", "x"],
    ["--", "/usr/bin/true", "--stats"],
    ["--root", "", "prog"],
    ["-", "x"],
]


def test_plain_command_lines_take_the_fast_path_with_argparse_results():
    for argv in PLAIN:
        fast = by_fast(argv)
        assert fast is not None, argv
        assert fast == by_argparse(argv), argv


def test_the_rest_goes_to_argparse():
    for argv in (["-h"], ["--help"], [], ["--stats"], ["--kern", "/bin/ls"],
                 ["--root", "-x", "p"], ["--max-instructions", "many", "p"],
                 ["--profile-metric", "wall", "p"], ["-EA=B", "p"], ["--stats=1", "p"],
                 ["-5"], ["--memory"]):
        assert by_fast(argv) is None, argv


TOKENS = (
    "--kernelware", "--modules", "--root", "--bind", "--cwd", "-E", "--mfs", "--memory",
    "--user", "--strace", "--strace-file", "--stats", "--cycles-profile",
    "--max-instructions", "--trace", "--trace-limit", "--profile", "--profile-metric",
    "--profile-every", "--profile-limit", "--profile-top", "--no-hdd", "-h", "--help",
    "--kern", "--stat", "--st", "--prof", "-EA=B", "-E=A", "-Ex", "--root=/r", "--stats=1",
    "--max-instructions=7", "--memory=", "--bind=a:b=c", "--", "-", "", "-5", "5", "x",
    "-x y", "/bin/ls", "A=B", "cycles", "instructions", "none", "12", " 3", "-l", "--x",
)


@given(st.lists(st.sampled_from(TOKENS), max_size=9))
def test_fast_parse_agrees_with_argparse(argv):
    fast = by_fast(argv)
    if fast is not None:
        assert fast == by_argparse(argv)


def test_spec_reads_every_option_of_exec():
    parser = cli.build_parser({"exec": cli_exec})
    sub = parser._subparsers._group_actions[0].choices["exec"]
    spec = cli._Spec(cli_exec)
    assert spec.ok
    assert spec.flags == cli._flags(sub)
    import argparse
    assert cli.REMAINDER == argparse.REMAINDER
