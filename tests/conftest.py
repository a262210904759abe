import os
import time

from hypothesis import HealthCheck, settings

# The test process itself does not depend on the user's environment either
# (subprocesses get tests/hostenv.py's explicit ENV): files are created with
# mode 0666/0777 & ~022, local time is UTC, and in-process `kw86 exec` runs
# (which read TERM, KW86_EPOCH and KW86_DEBUG) see fixed values.
os.umask(0o022)
os.environ["TZ"] = "UTC"
time.tzset()
for _var in ("KW86_EPOCH", "KW86_DEBUG", "COLUMNS", "PS1", "BLOCKSIZE", "POSIXLY_CORRECT",
             "TERM"):
    os.environ.pop(_var, None)
os.environ.update(LANG="C", LC_ALL="C")

# CI gets a smaller example budget (the property tests stay; see README "Testing").
settings.register_profile("ci", max_examples=60, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=300, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("KW86_HYPOTHESIS_PROFILE",
                                     "ci" if os.environ.get("CI") else "dev"))


# Build products the tests need (the Cython machine, the sysroot, guest programs
# built with zig): a missing one is a failure, never a skip, so that a broken
# build cannot make hundreds of tests vanish from a green run.  Mark a test or
# module with `pytest.mark.built(condition, "what is missing")`; inside a test
# call tests/buildreq.py's helpers.
def pytest_configure(config):
    config.addinivalue_line("markers", "built(cond, what): fail (not skip) unless cond")


def pytest_runtest_setup(item):
    import pytest
    for m in item.iter_markers("built"):
        if not m.args[0]:
            pytest.fail(f"not built: {m.args[1]} (a build failure, not a reason to skip)",
                        pytrace=False)
