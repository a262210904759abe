"""A seeded system-call fuzzer (tests/guest/sysfuzz.c), as a user process and
as a kernelware: random calls with garbage and pointer-ish arguments from
children confined to the MFS.  kw86 must stay up: no traceback, no internal
error, no panic, a sane exit status, every child accounted for, and no host
file changed (the root is the built-in sysroot: compared before and after).

Budget: a few seeds and a few thousand calls (CI=true: fewer).  A long run on
demand: KW86_FUZZ_SEEDS=N KW86_FUZZ_CALLS=M (calls per child, 20 children a
seed), e.g. KW86_FUZZ_SEEDS=20 KW86_FUZZ_CALLS=20000 pytest tests/test_nbsd_syscall_fuzz.py
"""
import os
import re
import subprocess
import sys

import pytest

from buildreq import fail_build

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SYSROOT = os.path.join(ROOT, "kw86", "sysroot")
sys.path.insert(0, os.path.join(ROOT, "tests"))

CI = bool(os.environ.get("CI"))
SEEDS = int(os.environ.get("KW86_FUZZ_SEEDS", "2" if CI else "4"))
CALLS = int(os.environ.get("KW86_FUZZ_CALLS", "150" if CI else "400"))
CHILDREN = 20


@pytest.fixture(scope="module")
def fuzzer():
    import nbsd_env
    path = nbsd_env.guest_program("sysfuzz")
    if path is None:
        fail_build(nbsd_env.guest_program.why)
    return "./" + os.path.relpath(path, ROOT)


def _snapshot(top):
    out = {}
    for d, dirs, files in os.walk(top):
        for n in dirs + files:
            p = os.path.join(d, n)
            st = os.lstat(p)
            out[p] = (st.st_mode, st.st_uid, st.st_gid, st.st_size, st.st_mtime_ns)
    return out


@pytest.mark.parametrize("mode", [pytest.param([], id="user"),
                                  pytest.param(["--kernelware"], id="kernelware")])
@pytest.mark.parametrize("seed", range(1, SEEDS + 1))
def test_random_system_calls_leave_kw86_and_the_host_intact(fuzzer, mode, seed):
    before = _snapshot(SYSROOT)
    r = subprocess.run([sys.executable, "-m", "kw86.cli", "exec", *mode, "--memory", "32M",
                        fuzzer, str(seed), str(CHILDREN), str(CALLS)],
                       cwd=ROOT, capture_output=True, stdin=subprocess.DEVNULL,
                       timeout=600 + CALLS // 10)
    out = r.stdout.decode(errors="replace")
    err = r.stderr.decode(errors="replace")
    for bad in ("Traceback", "internal error", "panic", "Error:", "machine "):
        assert bad not in err, err
    # the only kernel lines allowed: ENOSYS reports, UVM kills, killed kernelwares
    for line in err.splitlines():
        assert re.match(r"kw86: syscall \d+ \(\w+\) not implemented$|UVM: pid |"
                        r"kw86: pid \d+ \(sysfuzz\): ", line), line
    assert r.returncode == 0, (r.returncode, out[-2000:], err[-2000:])
    assert out.endswith("done\n") and out.count("child ") == CHILDREN, out[-2000:]
    assert _snapshot(SYSROOT) == before
