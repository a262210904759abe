"""Fixes to the userland programs found by acceptance testing, each checked through
`kw86 exec` (the `kw()` helper of test_userland_e2e.py):

- sh runs an executable text file without `#!` as a shell script (execve's ENOEXEC,
  POSIX Shell Command Language 2.9.1.1), with $0 the command name;
- `wc -c` of a regular file takes the count from fstat's st_size without reading;
- sh's builtins with a numeric operand (exit shift return break continue wait) report
  `sh: NAME: Illegal number: ARG` and a special builtin's error ends the shell with 2;
- test's numbers, arithmetic on a variable that is not a number, sleep and head counts
  as NetBSD's tools report them.
"""
import os

import pytest

from buildreq import built
from test_userland_e2e import HAVE_MACHINE, SYSROOT, kw

pytestmark = [
    built(HAVE_MACHINE, "the kw86 machine (kw86.machine)"),
    built(os.path.exists(os.path.join(SYSROOT, "bin", "sh")), "the userland sysroot"),
]


@pytest.fixture
def d(tmp_path):
    """A host directory shown to the guest as /mnt, with a script without #!."""
    p = tmp_path / "noshebang"
    p.write_text('echo "script $0 [$1] [$2] $#"\nexit 3\n')
    p.chmod(0o755)
    return tmp_path


def sh(d, script, **kw_):
    return kw("/bin/sh", "-c", script, binds=[(str(d), "/mnt")], cwd="/mnt",
              env=["PATH=/bin:/usr/bin:/mnt"], **kw_)


# --------------------------------------------------------------------------- 1. ENOEXEC

@pytest.mark.parametrize("kernelware", [False, True])
def test_sh_runs_text_file_without_shebang_as_script(d, kernelware):
    r = sh(d, './noshebang a "b c"; echo rc=$?', kernelware=kernelware)
    assert r == (0, "script ./noshebang [a] [b c] 2\nrc=3\n", "")


def test_sh_noshebang_found_by_path_search_gets_command_name_as_0(d):
    r = sh(d, "noshebang x; echo rc=$?")
    assert r == (0, "script noshebang [x] [] 1\nrc=3\n", "")


def test_sh_noshebang_through_exec_and_in_a_pipeline(d):
    assert sh(d, "exec ./noshebang q") == (3, "script ./noshebang [q] [] 1\n", "")
    assert sh(d, "./noshebang z | cat") == (0, "script ./noshebang [z] [] 1\n", "")


def test_sh_noshebang_binary_file_is_still_exec_format_error(d):
    p = d / "binfile"
    p.write_bytes(b"\x7fELF\x00\x00garbage")
    p.chmod(0o755)
    r = sh(d, "./binfile; echo rc=$?")
    assert r == (0, "rc=126\n", "sh: ./binfile: Exec format error\n")


# --------------------------------------------------------------------------- 2. wc -c

def test_wc_c_of_regular_file_uses_st_size_without_reading(d):
    sparse = d / "sparse"
    with open(sparse, "wb") as f:
        f.truncate(5 << 30)              # 5 GiB, sparse: reading it would take ages
    (d / "small").write_bytes(b"a b\nc\n")
    # a budget far too small to read 5 GiB through the guest
    r = kw("/usr/bin/wc", "-c", "/mnt/sparse", "/mnt/small", binds=[(str(d), "/mnt")],
           opts=("--max-instructions", "50000000"))
    assert r == (0, " 5368709120 /mnt/sparse\n       6 /mnt/small\n 5368709126 total\n", "")


def test_wc_still_reads_for_other_counts_and_non_regular_files(d):
    (d / "small").write_bytes(b"a b\nc\n")
    r = sh(d, "wc -c < small; cat small | wc -c; wc -m small; wc -lc small")
    assert r == (0, "       6\n       6\n       6 small\n       2       6 small\n", "")


def test_wc_c_counts_from_the_current_offset_of_stdin(d):
    (d / "small").write_bytes(b"a b\nc\n")
    r = sh(d, "{ read x; wc -c; } < small")
    assert r == (0, "       2\n", "")


# --------------------------------------------------------------------------- 3. exit

@pytest.mark.parametrize("arg", ["abc", "-1", "1x", "", "99999999999"])
def test_sh_exit_illegal_number(d, arg):
    r = sh(d, f"exit '{arg}'; echo not reached")
    assert r == (2, "", f"sh: exit: Illegal number: {arg}\n")


def test_sh_exit_numbers():
    assert kw("/bin/sh", "-c", "exit 300").rc == 44
    assert kw("/bin/sh", "-c", "exit 7").rc == 7
    assert kw("/bin/sh", "-c", "false; exit").rc == 1


# --------------------------------------------------------------------------- 4. other builtins

@pytest.mark.parametrize("script, name, arg", [
    ("set -- a b; shift abc", "shift", "abc"),
    ("set -- a b; shift -1", "shift", "-1"),
    ("f() { return x; }; f", "return", "x"),
    ("for i in 1 2; do break abc; done", "break", "abc"),
    ("for i in 1 2; do continue 0; done", "continue", "0"),
    ("for i in 1 2; do break -2; done", "break", "-2"),
])
def test_sh_special_builtin_illegal_number_ends_the_shell(d, script, name, arg):
    r = sh(d, script + "; echo not reached")
    assert r == (2, "", f"sh: {name}: Illegal number: {arg}\n")


def test_sh_wait_illegal_number_is_status_2_and_goes_on(d):
    r = sh(d, "wait abc; echo rc=$?")
    assert r == (0, "rc=2\n", "sh: wait: Illegal number: abc\n")


def test_sh_shift_too_many_ends_the_shell(d):
    r = sh(d, "set -- a; shift 2; echo not reached")
    assert r == (2, "", "sh: shift: can't shift that many\n")


def test_sh_numeric_builtins_still_work(d):
    r = sh(d, "set -- a b c; shift 2; echo $1; f() { return 5; }; f; echo $?; "
              "for i in 1 2 3; do for j in 1 2; do continue 2; done; echo no; done; "
              "for i in 1 2; do break 1; done; echo $i; sleep 0 & wait $!; echo w=$?")
    assert r == (0, "c\n5\n1\nw=0\n", "")


# --------------------------------------------------------------------------- the review

def test_sh_test_bad_numbers(d):
    r = sh(d, "test -t abc; echo $?; [ 1 -eq 99999999999999999999999 ]; echo $?; "
              "[ ' 3 ' -eq 3 ]; echo $?")
    assert r == (0, "2\n2\n0\n", "sh: test: abc: bad number\n"
                 "sh: test: 99999999999999999999999: out of range\n")


def test_sh_arithmetic_on_a_variable_that_is_not_a_number(d):
    r = sh(d, "x=12abc; echo $((x + 1)); echo not reached")
    assert r == (2, "", "sh: arithmetic expression: x: Illegal number: 12abc\n")
    r = sh(d, "x=' -3 '; y=0x10; z=; echo $((x + y + z))")
    assert r == (0, "13\n", "")


@pytest.mark.parametrize("arg", ["abc", "1x", "", ".", "-1"])
def test_sleep_bad_interval_is_usage(arg):
    r = kw("/bin/sleep", arg)
    assert r.rc == 1 and r.err.endswith("usage: sleep seconds\n")


def test_sleep_out_of_range_and_good_forms():
    r = kw("/bin/sleep", "99999999999")
    assert r == (1, "", "sleep: requested delay (99999999999) out of range\n")
    assert kw("/bin/sleep", "--", "0") == (0, "", "")
    assert kw("/bin/sleep", "+.01") == (0, "", "")
    assert kw("/bin/sleep", "0.") == (0, "", "")


@pytest.mark.parametrize("opt, what, arg", [
    ("-n", "line", "abc"), ("-n", "line", "0"), ("-n", "line", "-3"),
    ("-c", "byte", "1k"), ("-n", "line", "99999999999999999999999"),
])
def test_head_bad_counts(opt, what, arg):
    r = kw("/usr/bin/head", opt, arg, stdin="x\n")
    assert r == (1, "", f"head: illegal {what} count -- {arg}\n")


def test_sh_kill_l_takes_a_whole_number(d):
    r = sh(d, "kill -l 1x; echo $?; kill -l 143; kill -l 15")
    assert r == (0, "1\nTERM\nTERM\n", "sh: kill: unknown signal 1x\n")


def test_sh_script_file_is_read_as_it_runs(d):
    """Commands before a syntax error run (the file is read as needed, not first
    parsed whole), and a redirection of the descriptor the script is read from
    (10, NetBSD's first) moves it out of the way."""
    (d / "s").write_text("echo one\nf() { echo in f $1; }\nf x\ncat <<EOF\nhere $0\nEOF\n"
                         "exec 10>out10; echo ten >&10; exec 10>&-\necho after\n"
                         "if then\necho never\n")
    r = sh(d, "sh s; echo rc=$?; cat out10")
    assert r.out == "one\nin f x\nhere s\nafter\nrc=2\nten\n"
    assert "syntax error" in r.err


def test_sh_script_file_exits_early_and_shares_stdin(d):
    (d / "s4").write_bytes(b"echo a\nexit 4\n" + b"#" * 300_000)
    (d / "s5").write_text("read x\necho got $x\n")
    r = sh(d, "sh s4; echo rc=$?; echo hello | sh s5")
    assert r == (0, "a\nrc=4\ngot hello\n", "")
