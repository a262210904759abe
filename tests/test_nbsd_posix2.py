"""POSIX items that NetBSD's libc has and the Open POSIX Test Suite uses
(issue 14, second part): nl_langinfo with NetBSD's C-locale values, message
catalogues (catopen/catgets/catclose) in NetBSD's file format with
/usr/bin/gencat writing it, and NetBSD's two-argument setpgrp.

tests/guest/posix_nls.c runs as a user process and as a kernelware against a
host directory bound at /w: it reads a catalogue written here from NetBSD's
documented layout (<nl_types.h>, _NLS_PRIVATE: big-endian header, set
headers, message headers, NUL-terminated texts, offsets from the end of the
header), and the catalogue its gencat writes is parsed here with the same
layout, so both directions are checked against the format, not only against
each other."""
import os
import struct
import subprocess
import sys

import pytest

import hostenv
from buildreq import fail_build
from nbsd_env import MODES, guest_program

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAGIC = 0xff88ff89


def make_catalogue(sets):
    """NetBSD's catalogue layout from {set: {msg: bytes}}."""
    set_hdrs, msg_hdrs, texts = b"", b"", b""
    index = 0
    for s in sorted(sets):
        msgs = sets[s]
        set_hdrs += struct.pack(">iii", s, len(msgs), index)
        for m in sorted(msgs):
            t = msgs[m] + b"\0"
            msg_hdrs += struct.pack(">iii", m, len(t), len(texts))
            texts += t
            index += 1
    body = set_hdrs + msg_hdrs + texts
    return struct.pack(">Iiiii", MAGIC, len(sets), len(body), len(set_hdrs),
                       len(set_hdrs) + len(msg_hdrs)) + body


def parse_catalogue(data):
    """{set: {msg: bytes}} from NetBSD's layout, checking every field."""
    magic, nsets, mem, hoff, toff = struct.unpack_from(">Iiiii", data, 0)
    assert magic == MAGIC
    assert mem == len(data) - 20
    assert hoff == 12 * nsets
    out, expect_index = {}, 0
    prev_set = 0
    for i in range(nsets):
        s, n, index = struct.unpack_from(">iii", data, 20 + 12 * i)
        assert s > prev_set, "set headers sorted by set number"
        assert index == expect_index, "a set's messages follow the previous set's"
        prev_set = s
        msgs, prev = {}, 0
        for j in range(index, index + n):
            m, ln, off = struct.unpack_from(">iii", data, 20 + hoff + 12 * j)
            assert m > prev, "message headers sorted within the set"
            prev = m
            start = 20 + toff + off
            text = data[start:start + ln]
            assert len(text) == ln and text.endswith(b"\0")
            msgs[m] = text[:-1]
        out[s] = msgs
        expect_index += n
    assert toff == hoff + 12 * expect_index
    return out


def test_catalogue_helpers_agree():
    sets = {1: {1: b"a", 3: b""}, 9: {2: b"xyz"}}
    assert parse_catalogue(make_catalogue(sets)) == sets


@pytest.mark.parametrize("mode", MODES, ids=[m[1] for m in MODES])
def test_langinfo_catalogues_setpgrp(tmp_path, mode):
    path = guest_program("posix_nls")
    if path is None:
        fail_build(guest_program.why)
    (tmp_path / "py.cat").write_bytes(
        make_catalogue({1: {1: b"one", 7: b"seven"}, 4: {2: b"four.two"}}))
    r = subprocess.run([sys.executable, "-m", "kw86.cli", "exec", *mode[0],
                        "--bind", f"{tmp_path}:/w", "./" + os.path.relpath(path, ROOT), "/w"],
                       cwd=ROOT, capture_output=True, timeout=300, env=hostenv.kw86_env(),
                       stdin=subprocess.DEVNULL)
    out, err = r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")
    bad = [ln for ln in out.splitlines() if ln.startswith("FAIL") or ln.startswith("  item")]
    assert not bad, "\n".join(bad) + "\n" + err
    assert "done 0" in out and r.returncode == 0, out + err
    assert sum(ln.startswith("ok ") for ln in out.splitlines()) == 59, out
    assert "Traceback" not in err, err
    # gencat's output after the merge, read with NetBSD's layout
    cat = parse_catalogue((tmp_path / "t.cat").read_bytes())
    assert cat == {
        1: {1: b"default set"},
        2: {9: b"replaced", 10: b"new"},
        3: {2: b"continued line", 3: b"", 5: b'  spaced "q"  '},
        200: {1: b"one", 2: b"two"},
    }


def test_gencat_stdout_and_stdin(tmp_path):
    """gencat - - : source from standard input, catalogue to standard output."""
    src = b"$set 5\n1 x\\ty\n2 \\377\n"
    r = subprocess.run([sys.executable, "-m", "kw86.cli", "exec", "/usr/bin/gencat", "-", "-"],
                       cwd=ROOT, input=src, capture_output=True, timeout=120,
                       env=hostenv.kw86_env())
    assert r.returncode == 0, r.stderr
    assert parse_catalogue(r.stdout) == {5: {1: b"x\ty", 2: b"\xff"}}


@pytest.mark.parametrize("src,why", [
    (b"$set 0\n", b"set numbers must be greater than zero on line 1, (stdin)"),
    (b"$set 256\n", b"set number exceeds NL_SETMAX on line 1"),
    (b"$delset 0\n", b"set numbers must be greater than zero"),
    (b"32768 x\n", b"message number exceeds NL_MSGMAX on line 1"),
    (b"1 ok\n0 x\n", b"message numbers must be greater than zero on line 2"),
    (b"1 a\\\n", b"premature end of file"),
])
def test_gencat_errors(src, why):
    """NetBSD's fatal errors: exit 1, nothing written."""
    r = subprocess.run([sys.executable, "-m", "kw86.cli", "exec", "/usr/bin/gencat", "-", "-"],
                       cwd=ROOT, input=src, capture_output=True, timeout=120,
                       env=hostenv.kw86_env())
    assert r.returncode == 1 and r.stdout == b"", (r.returncode, r.stdout, r.stderr)
    assert b"gencat: " in r.stderr and why in r.stderr, r.stderr


@pytest.mark.parametrize("src,why,cat", [
    (b"$frob\n1 a\n", b"unrecognized line on line 1", {1: {1: b"a"}}),
    (b"hello\n$set 2\n", b"neither blank line nor start of a message id", {2: {}}),
    (b"$quote \"\n1 \"open\n", b"unterminated quoted message", {1: {1: b"open"}}),
    (b"$quote \"\n1 \"a\" b\n", b"unexpected extra characters", {1: {1: b"a"}}),
    (b"1 \\q\n", b"unrecognized escape sequence", {1: {1: b"q"}}),
    (b"1x   glued\n2\t\ttabs\n", b"", {1: {1: b"glued", 2: b"tabs"}}),
    (b"1 " + b"x" * 5000 + b"\n", b"", {1: {1: b"x" * 5000}}),
])
def test_gencat_warnings(src, why, cat):
    """NetBSD's warnings: the line is skipped or taken as it can be, the
    catalogue written, exit 0; an empty set stays in the catalogue."""
    r = subprocess.run([sys.executable, "-m", "kw86.cli", "exec", "/usr/bin/gencat", "-", "-"],
                       cwd=ROOT, input=src, capture_output=True, timeout=120,
                       env=hostenv.kw86_env())
    assert r.returncode == 0, r.stderr
    assert why in r.stderr and (why or r.stderr == b""), r.stderr
    assert parse_catalogue(r.stdout) == cat


# -- the scanf family (tests/guest/scanf_t.c) ---------------------------------

# (kind, format, input, result): the result as scanf_t prints it, from C99
# 7.19.6.2 and NetBSD's vfscanf (what a number conversion read past the
# longest number goes back to the input: "1e+" is 1 leaving "e+", "0xg" is 0
# leaving "xg"; glibc consumes both instead).
SCANF_CASES = [
    ("ii", "%d", "42", "1 42 -99"),
    ("ii", "%d", "  \t-17 rest", "1 -17 -99"),
    ("ii", "%d%d", "1 2", "2 1 2"),
    ("ii", "%i", "0x1F", "1 31 -99"),
    ("ii", "%i", "017", "1 15 -99"),
    ("ii", "%i", "-0", "1 0 -99"),
    ("ii", "%o%x", "777 ff", "2 511 255"),
    ("ii", "%X", "0XaB", "1 171 -99"),
    ("is", "%x%s", "0xg", "2 0 [xg]"),
    ("ii", "%3d%d", "123456", "2 123 456"),
    ("ii", "%d", "", "-1 -99 -99"),
    ("ii", "%d", "   ", "-1 -99 -99"),
    ("ii", "%d", "x", "0 -99 -99"),
    ("is", "%d%s", "-x", "0 -99 [-]"),
    ("ii", "%d%%%d", "12% 34", "2 12 34"),
    ("ii", "*%i*", "*7*", "1 7 -99"),
    ("ii", "a%db", "a5c", "1 5 -99"),
    ("ii", "abc", "abd", "0 -99 -99"),
    ("ii", "abc", "", "-1 -99 -99"),
    ("ii", "%*d%d", "7 8", "1 8 -99"),
    ("ii", "%d %d", "5\n\n 6", "2 5 6"),
    ("in", "%d %n%d", "5   6", "2 5 4 6"),
    ("in", "%d%n%d", "5", "1 5 1 -99"),
    ("uu", "%u%u", "+5 -1", "2 5 4294967295"),
    ("uu", "%u", "4294967295", "1 4294967295 99"),
    ("ll", "%lld%s", "99999999999 z", "2 99999999999 [z]"),
    ("ll", "%lli", "-0x7fffffffffffffff", "1 -9223372036854775807 [-]"),
    ("hh", "%hhd%hd", "300 70000", "2 44 4464"),
    ("ss", "%s%s", "abc def", "2 [abc] [def]"),
    ("ss", "%2s%s", "abcdef", "2 [ab] [cdef]"),
    ("ss", "%[]a-c]%s", "a]b-c", "2 [a]b] [-c]"),
    ("ss", "%[^ ] %[^\n]", "hello big world", "2 [hello] [big world]"),
    ("ss", "%[a]%s", "bbb", "0 [-] [-]"),
    ("ss", "%[a]", "", "-1 [-] [-]"),
    ("cc", "%3c", "a b", "1 [a b]"),
    ("cc", "%3c", "ab", "1 [ab-]"),          # NetBSD stores a short %Nc
    ("cc", " %3c", "  xyz", "1 [xyz]"),
    ("ff", "%f%s", "3.25 x", "2 0x1.ap+1 [x]"),
    ("ff", "%e", "-1e10", "1 -0x1.2a05f2p+33 [-]"),
    ("ff", "%f%s", "1e+", "2 0x1p+0 [e+]"),
    ("ff", "%g%s", "1.e5z", "2 0x1.86ap+16 [z]"),
    ("ff", "%f%s", ".5.", "2 0x1p-1 [.]"),
    ("ff", "%f%s", ".x", "0 -0x1.3p+3 [-]"),
    ("dd", "%lf%s", "1.5e3x", "2 0x1.77p+10 [x]"),
    ("dd", "%lf", "0x1.8p1", "1 0x1.8p+1 [-]"),
    ("dd", "%lf%s", "infinity!", "2 inf [!]"),
    ("dd", "%lf%s", "INFix", "2 inf [ix]"),
    ("dd", "%lf%s", "-inFINITY", "1 -inf [-]"),
    ("dd", "%lf%s", "nan(abc)d", "2 nan [d]"),
    ("dd", "%lf%s", "nan(a b", "2 nan [(a]"),
    ("dd", "%lf%s", "in", "0 -0x1.3p+3 [-]"),
    ("dd", "%4lf%s", "1.2345", "2 0x1.3ae147ae147aep+0 [45]"),
    ("dd", "%lf", "0.1", "1 0x1.999999999999ap-4 [-]"),
    ("LL", "%Lf%s", "2.5 q", "2 0x1.4p+1 [q]"),
    ("pp", "%p", "0x10", "1 10"),
]


def _scanf_run(cases):
    path = guest_program("scanf_t")
    if path is None:
        fail_build(guest_program.why)
    lines = "".join(f"{k}\t{f}\t{i}\n" for k, f, i in cases).encode()
    outs = []
    for mode, _ in MODES:
        r = subprocess.run([sys.executable, "-m", "kw86.cli", "exec", *mode,
                            "./" + os.path.relpath(path, ROOT)],
                           cwd=ROOT, input=lines, capture_output=True, timeout=300,
                           env=hostenv.kw86_env())
        assert r.returncode == 0 and b"Traceback" not in r.stderr, r.stderr
        got = r.stdout.decode().splitlines()
        assert len(got) == 2 * len(cases), r.stdout
        outs.append(got)
    return outs


def test_scanf_cases():
    # one case a line: a newline in a format or an input travels as \v (white
    # space to scanf too)
    cases = [(k, f.replace("\n", "\v"), i.replace("\n", "\v")) for k, f, i, _ in SCANF_CASES]
    for got in _scanf_run(cases):
        bad = []
        for n, (kind, fmt, inp, want) in enumerate(SCANF_CASES):
            s, f = got[2 * n], got[2 * n + 1]
            if s != "s: " + want or f != "f: " + want:
                bad.append(f"{kind} {fmt!r} {inp!r}: want {want!r}, got {s!r} / {f!r}")
        assert not bad, "\n".join(bad)


from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=20, deadline=None)
@given(st.lists(st.tuples(st.integers(-2**31, 2**31 - 1), st.integers(0, 2**32 - 1),
                          st.floats(allow_nan=False, width=64),
                          st.text(st.characters(min_codepoint=33, max_codepoint=126),
                                  min_size=1, max_size=30)),
                min_size=1, max_size=25))
def test_scanf_round_trip(items):
    """Numbers and words printed by Python read back exactly: %d, %x, %o,
    %lf (repr, the shortest string that is the double) and %s."""
    cases, want = [], []
    for i, u, d, w in items:
        cases += [("ii", "%d %i", f"{i} {i:#x}"),
                  ("uu", "%x%o", f"{u:x} {u:o}"),
                  ("dd", "%lf%s", f"{d!r} {w}"),
                  ("ss", "%s%s", f"{w} {w[::-1]}")]
        want += [f"2 {i} {i}", f"2 {u} {u}", None, f"2 [{w}] [{w[::-1]}]"]
        want[-2] = (d, w)
    for got in _scanf_run(cases):
        for n, w in enumerate(want):
            s, f = got[2 * n], got[2 * n + 1]
            assert s[3:] == f[3:], (cases[n], s, f)
            if isinstance(w, tuple):
                r, val, word = s[3:].split(" ", 2)
                assert r == "2" and word == f"[{w[1]}]", (cases[n], s)
                assert float.fromhex(val) == w[0] and str(val).startswith("-") == \
                    str(w[0]).startswith("-"), (cases[n], s)
            else:
                assert s == "s: " + w, (cases[n], s)


@pytest.mark.parametrize("mode", MODES, ids=[m[1] for m in MODES])
def test_xsi_header_declarations(mode):
    """S_I* from <fcntl.h> under _XOPEN_SOURCE, pthread_sigmask from
    <signal.h> (tests/guest/xsi_headers.c fails to build otherwise)."""
    from nbsd_env import run_guest_program
    rc, out, err = run_guest_program("xsi_headers", mode[0])
    assert rc == 0 and "done 0" in out, out + err
