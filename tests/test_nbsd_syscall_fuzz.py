"""A seeded system-call fuzzer (tests/guest/sysfuzz.c), as a user process and
as a kernelware: random calls with garbage and pointer-ish arguments from
children confined to the MFS.  kw86 must stay up: no traceback, no internal
error, no panic, a sane exit status, every child accounted for, and no host
file changed (the root is the built-in sysroot: compared before and after).

A second test (hypothesis, tests/guest/sysscript.c) makes chosen calls and
checks each result: see the comment above it.  KW86_HOSTILE_EXAMPLES=N asks
for more examples (12 under CI, 30 otherwise, per mode).

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
                        r"kw86: [\w ()]+ not implemented$|"     # socket domain, kevent filter
                        r"kw86: pid \d+ \(sysfuzz\): ", line), line
    assert r.returncode == 0, (r.returncode, out[-2000:], err[-2000:])
    assert out.endswith("done\n") and out.count("child ") == CHILDREN, out[-2000:]
    assert _snapshot(SYSROOT) == before


# -- hypothesis: chosen system calls, each result checked ----------------------
#
# tests/guest/sysscript.c makes the calls hypothesis draws (implemented ones,
# NetBSD calls kw86 lacks, numbers NetBSD has no call for, numbers past the
# table; arguments from small and negative numbers, huge lengths, -1, random
# words, pointers into a buffer, to path names, to the stack, to the kernel
# and to unmapped pages) in a child chrooted to a --bind host directory that
# holds symbolic links to a host file outside it.  Checked for every
# example: no traceback or internal error, kw86 ends in time with the
# program's own status, every call kw86 lacks fails with ENOSYS (with its
# name reported once on stderr when NetBSD has a name for it), every failing
# call's errno is one NetBSD defines, and nothing outside the bind directory
# changes (the victim file, the sysroot).

from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

from kw86.nbsd import abi  # noqa: E402
from kw86.nbsd.syscalls import TABLE  # noqa: E402

_NEVER = {0, 198,                       # syscall(2)/__syscall(2): the number is an argument
          1, 310, 2, 66, 282, 59, 465, 474,   # exit, _lwp_exit, fork, vfork, exec, spawn
          26, 37, 318, 245, 208}        # ptrace, kill, _lwp_kill, sigqueueinfo, reboot
_IMPL = sorted(r.num for r in TABLE.vec
               if r is not None and r.handler is not None and r.num not in _NEVER)
_LACKED = sorted(n for n in TABLE.names if n not in _NEVER and
                 (TABLE.vec[n] is None or TABLE.vec[n].handler is None))
_UNKNOWN = sorted(n for n in range(abi.NSYSENT) if n not in TABLE.names and
                  (TABLE.vec[n] is None or TABLE.vec[n].handler is None))
_EXAMPLES = int(os.environ.get("KW86_HOSTILE_EXAMPLES", "12" if CI else "30"))

_num = st.one_of(st.sampled_from(_IMPL), st.sampled_from(_IMPL), st.sampled_from(_IMPL),
                 st.sampled_from(_LACKED), st.sampled_from(_UNKNOWN),
                 st.integers(0, 4 * abi.NSYSENT - 1).filter(
                     lambda n: n % abi.NSYSENT not in _NEVER))
_arg = st.one_of(
    st.sampled_from(["0", "1", "2", "3", "-1", "-2", "-100", "0x7fffffff", "0x80000000",
                     "0xffffffff", "0xfffff000", "0xc0000000", "0xc0100000", "0xbfbff000",
                     "0xbfbfeffc", "0x1000", "4096", "65536", "0x40000000", "0x100000"]),
    st.integers(-300, 300).map(str),
    st.integers(0, 2**32 - 1).map(hex),
    st.integers(0, 65535).map(lambda o: f"b{o}"),
    st.integers(0, 12).map(lambda i: f"s{i}"),
    st.just("S"))
_call = st.tuples(_num, st.lists(_arg, min_size=6, max_size=6))


@pytest.fixture(scope="module")
def sysscript():
    import nbsd_env
    path = nbsd_env.guest_program("sysscript")
    if path is None:
        fail_build(nbsd_env.guest_program.why)
    return "./" + os.path.relpath(path, ROOT)


def _tree(top):
    import hashlib
    out = {}
    for d, dirs, files in os.walk(top):
        for n in dirs + files:
            p = os.path.join(d, n)
            st_ = os.lstat(p)
            h = None
            if os.path.isfile(p) and not os.path.islink(p):
                with open(p, "rb") as f:
                    h = hashlib.sha256(f.read()).hexdigest()
            out[p] = (st_.st_mode, st_.st_uid, st_.st_gid, st_.st_size, st_.st_nlink,
                      st_.st_mtime_ns, st_.st_ctime_ns, st_.st_ino, h)
    return out


@pytest.fixture(scope="module")
def sysroot_guard():
    before = _snapshot(SYSROOT)
    yield
    assert _snapshot(SYSROOT) == before


def _run_script(sysscript, mode, calls, tmp):
    import shutil
    import tempfile
    import hostenv
    top = tempfile.mkdtemp(dir=tmp)
    try:
        outside = os.path.join(top, "outside")
        bind = os.path.join(top, "bind")
        os.makedirs(os.path.join(outside, "vdir"))
        os.makedirs(os.path.join(bind, "dir"))
        with open(os.path.join(outside, "victim"), "w") as f:
            f.write("host file\n")
        for n in ("a", "dir/f"):
            with open(os.path.join(bind, n), "w") as f:
                f.write("guest file\n")
        os.symlink(os.path.join(outside, "victim"), os.path.join(bind, "victim"))
        os.symlink("../outside/victim", os.path.join(bind, "link"))
        os.symlink(os.path.join(outside, "vdir"), os.path.join(bind, "b"))
        before = _tree(outside)
        argv = [f"{n}:" + ",".join(a) for n, a in calls]
        r = subprocess.run([sys.executable, "-m", "kw86.cli", "exec", *mode, "--memory", "32M",
                            "--bind", f"{bind}:/mnt", sysscript, "/mnt", *argv],
                           cwd=ROOT, capture_output=True, stdin=subprocess.DEVNULL,
                           timeout=300, env=hostenv.kw86_env())
        assert _tree(outside) == before, "a host file outside the bind directory changed"
        return r
    finally:
        for d, dirs, files in os.walk(top):     # the guest may have chmod'ed its tree
            for n in dirs:
                if not os.path.islink(os.path.join(d, n)):
                    os.chmod(os.path.join(d, n), 0o700)
        shutil.rmtree(top, ignore_errors=True)


@pytest.mark.parametrize("mode", [pytest.param([], id="user"),
                                  pytest.param(["--kernelware"], id="kernelware")])
@settings(max_examples=_EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(calls=st.lists(_call, min_size=1, max_size=40))
def test_hypothesis_system_calls_each_result_checked(sysscript, sysroot_guard, tmp_path, mode,
                                                     calls):
    r = _run_script(sysscript, mode, calls, str(tmp_path))
    out = r.stdout.decode(errors="replace")
    err = r.stderr.decode(errors="replace")
    for bad in ("Traceback", "internal error", "panic", "Error:", "machine "):
        assert bad not in err, err
    for line in err.splitlines():
        assert re.match(r"kw86: syscall \d+ \(\w+\) not implemented$|kw86: [\w ()]+ not "
                        r"implemented$|UVM: pid |kw86: pid \d+ \(sysscript\): ", line), line
    assert r.returncode == 0, (r.returncode, out[-2000:], err[-2000:])
    assert out.endswith("done\n"), out[-2000:]
    got = re.findall(r"^call (\d+) (\d+) done (\d) rv (-?\d+) errno (\d+)$", out, re.M)
    assert len(got) == len(calls), out[-2000:]
    for i, num, done, rv, errno in got:
        code = int(num) % abi.NSYSENT
        rv, errno = int(rv), int(errno)
        if done == "0":
            continue                    # the child died or was killed before it returned
        if code in _LACKED or code in _UNKNOWN:
            assert (rv, errno) == (-1, abi.ENOSYS), (num, rv, errno)
            if code in _LACKED:
                assert f"kw86: syscall {code} ({TABLE.names[code]}) not implemented\n" in err
        elif rv == -1 and errno:
            assert errno in abi._ERRNO_NAMES, (num, errno)
