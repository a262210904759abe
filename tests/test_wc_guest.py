"""The sysroot's wc (userland/bin/wc.c) run through `kw86 exec`, against counts
computed here: lines = newlines, words = maximal runs of bytes that are not
isspace() in the C locale (Python's bytes.split() splits on the same six), bytes,
and -L's longest line (a tab advances to the next multiple of 8).  The inputs
are built to cross wc's 64 KiB read buffer with a word, a space run or a line
(its word loop stops at a sentinel after the data) and to contain every byte
value."""
import os
import tempfile

from hypothesis import HealthCheck, given, settings, strategies as st

from buildreq import built
from test_userland_e2e import HAVE_MACHINE, SYSROOT, kw

pytestmark = [
    built(HAVE_MACHINE, "the kw86 machine (kw86.machine)"),
    built(os.path.exists(os.path.join(SYSROOT, "usr", "bin", "wc")), "the sysroot's wc"),
]

BUF = 64 * 1024


def expected(data):
    lines = data.count(b"\n")
    longest = 0
    for line in data.split(b"\n"):
        cur = 0
        for c in line:
            cur = (cur + 8) & ~7 if c == 9 else cur + 1
        longest = max(longest, cur)
    return lines, len(data.split()), len(data), longest


def guest_wc(data, *opts):
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "f"), "wb") as f:
            f.write(data)
        r = kw("/usr/bin/wc", *opts, "/d/f", binds=[(d, "/d")])
    assert r.rc == 0, r.err
    return [int(x) for x in r.out.split()[:-1]]


def test_wc_fixed_inputs():
    word = b"x" * (BUF - 3) + b" ab" + b"cd ef\n"          # a word across the boundary
    spaces = b"a" * (BUF - 2) + b" \t\n\r\x0b\x0c  z"      # a space run across it
    allbytes = bytes(range(256)) * 600                      # every byte value, 150 KiB
    for data in (b"", b"\n", b"   ", b"abc", word, spaces, allbytes, b"a\tb\tc\n\t\tx"):
        lines, words, nbytes, longest = expected(data)
        assert guest_wc(data) == [lines, words, nbytes], data[:40]
        assert guest_wc(data, "-L", "-w") == [words, longest], data[:40]


pieces = st.lists(st.one_of(st.binary(max_size=40), st.sampled_from(
    [b" ", b"\n", b"\t", b"\r", b"\x0b", b"\x0c", b"\xff", b"\x00", b"\xa0"])), max_size=60)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(head=st.integers(min_value=0, max_value=8), tail=pieces, cut=st.integers(0, 3))
def test_wc_property_across_the_buffer(head, tail, cut):
    # put the random part where the first 64 KiB read ends
    data = b"w" * (BUF - head - cut) + b" " * cut + b"".join(tail)
    lines, words, nbytes, longest = expected(data)
    assert guest_wc(data, "-l", "-w", "-c", "-L") == [lines, words, nbytes, longest]
