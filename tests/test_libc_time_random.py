"""gmtime_r/localtime_r/strftime/mktime of our libc (userland/libc/time.c) against
the host's for random times (hypothesis): the 32-bit fast path (0 <= t < 2^32)
and the general 64-bit path, their boundary, negative times and far years."""
import os
import time

from hypothesis import given, settings, HealthCheck, strategies as st

from test_libc_guest import progs, run, pytestmark  # noqa: F401  (the fixture, the markers)

FMT = "%Y-%m-%d %H:%M:%S|%j %a %b %e|%U %W %V %G %g|%C %y %u %w|%I %p %k %l"

YEAR1 = -62135596800           # 0001-01-01T00:00:00Z
YEAR9999 = 253402300799        # 9999-12-31T23:59:59Z
EDGES = [0, 1, 86399, 86400, 2**31 - 1, 2**31, 2**32 - 86400, 2**32 - 1, 2**32, 2**32 + 1,
         -1, -86400, -86401, 951782400, 951868799, 4107542399, 4107542400]

times = st.one_of(st.integers(0, 2**32 - 1), st.integers(YEAR1, YEAR9999),
                  st.sampled_from(EDGES))


def expected(t):
    tm = time.gmtime(t)
    # %C is the century as two digits [00,99] (POSIX, NetBSD's strftime:
    # "09" in the year 999); glibc drops the leading zero before 1000
    text = time.strftime(FMT.replace("%C", "%02d" % (tm.tm_year // 100)), tm)
    return ["%d|%s|%s" % (len(text), text, text),
            "tm %d %d %d %d %d %d %d %d" % (tm.tm_year - 1900, tm.tm_mon - 1, tm.tm_mday,
                                            tm.tm_hour, tm.tm_min, tm.tm_sec,
                                            (tm.tm_wday + 1) % 7, tm.tm_yday - 1),
            "mktime %d" % t]


@settings(max_examples=int(os.environ.get("KW86_HYPOTHESIS_TIME_EXAMPLES", "10")),
          deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ts=st.lists(times, min_size=1, max_size=80))
def test_gmtime_strftime_random_times_match_host(progs, ts):  # noqa: F811
    r = run(progs, "timefmt", FMT, *[str(t) for t in ts])
    assert r.rc == 0, r.err
    lines = r.out.split("\n")
    for i, t in enumerate(ts):
        assert lines[3 * i:3 * i + 3] == expected(t), t
    assert lines[3 * len(ts):] == ["small 0 intact", "time plausible", ""]
