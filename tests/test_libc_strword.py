"""libc strlen/strcmp, which go a 32-bit word at a time once aligned (issue 12:
ls -l compares and measures names per file): every alignment, length and
difference position against byte loops, and strings that end at a page
followed by an unmapped one (tests/guest_libc/strword.c)."""
from test_libc_guest import pytestmark, progs, run  # noqa: F401  (the fixture)


def test_strlen_strcmp_word_at_a_time(progs):  # noqa: F811
    r = run(progs, "strword")
    assert r.rc == 0, r.out + r.err
    n = int(r.out.split()[1])
    assert r.out == f"strword {n} cases ok\n" and n > 8 * 8 * 25 * 26
