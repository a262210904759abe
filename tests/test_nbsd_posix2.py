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
    assert sum(ln.startswith("ok ") for ln in out.splitlines()) == 58, out
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
    (b"$set 0\n", b"set number out of range"),
    (b"$set 256\n", b"set number out of range"),
    (b"32768 x\n", b"message number out of range"),
    (b"0 x\n", b"message number out of range"),
    (b"1x\n", b"a blank expected"),
    (b"$frob\n", b"unknown directive"),
    (b"hello\n", b"a message number"),
    (b"$quote \"\n1 \"open\n", b"unterminated quoted message"),
    (b"1 a\\\n", b"continuation"),
    (b"1 " + b"x" * 2049 + b"\n", b"NL_TEXTMAX"),
])
def test_gencat_errors(src, why):
    r = subprocess.run([sys.executable, "-m", "kw86.cli", "exec", "/usr/bin/gencat", "-", "-"],
                       cwd=ROOT, input=src, capture_output=True, timeout=120,
                       env=hostenv.kw86_env())
    assert r.returncode == 1 and r.stdout == b"", (r.returncode, r.stdout, r.stderr)
    assert b"gencat: (stdin):" in r.stderr and why in r.stderr, r.stderr
