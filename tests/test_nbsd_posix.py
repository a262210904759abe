"""POSIX as a NetBSD program expects it (issue 14, the parts without threads):
shared file mappings coherent with read/write, msync, mlock, record locks
across processes, sched_*, the System V signal calls, shm_open, clock_settime,
clock_nanosleep, sysconf, getrusage.  The C programs are tests/guest/posix*.c,
each run as a user process and as a kernelware (`--kernelware`); they print
one line per check and "done N" (N failures).  Below them, the kernel's
lock table (lockf.py) against a byte-by-byte model and the run-time split
(rusage.py) on a stand-in machine."""
import os
import subprocess
import sys

import pytest
from hypothesis import given, settings, strategies as st

import hostenv
from buildreq import fail_build
from nbsd_env import guest_program

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODES = [[], ["--kernelware"]]
MODE_IDS = ["user", "kernelware"]


def _prog(name):
    path = guest_program(name)
    if path is None:
        fail_build(guest_program.why)
    return "./" + os.path.relpath(path, ROOT)


@pytest.fixture(scope="module")
def progs():
    return {n: _prog(n) for n in ("posix_mmap", "posix_lock", "posix_sched")}


def kw(*argv, timeout=180):
    r = subprocess.run([sys.executable, "-m", "kw86.cli", "exec", *argv], cwd=ROOT,
                       capture_output=True, timeout=timeout, env=hostenv.kw86_env())
    return r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")


def _checks(out):
    oks = [ln for ln in out.splitlines() if ln.startswith("ok ")]
    bad = [ln for ln in out.splitlines() if ln.startswith("FAIL")]
    return oks, bad


def _run_checks(argv, min_ok):
    rc, out, err = kw(*argv)
    oks, bad = _checks(out)
    assert not bad, "\n".join(bad) + "\n" + err
    assert "done 0" in out and rc == 0, out + err
    assert len(oks) == min_ok, out         # every check ran
    assert "Traceback" not in err and "panic" not in err, err
    return out


@pytest.mark.parametrize("mode", MODES, ids=MODE_IDS)
@pytest.mark.parametrize("fs", ["mfs", "hostfs"])
def test_shared_mappings_msync_mlock(progs, mode, fs, tmp_path):
    """MAP_SHARED mappings of a file on /tmp (MFS) and on a host directory:
    coherent with read/write both ways, shared over fork, written back on
    munmap and exit; EACCES cases; msync/mlock errors; fsync of a pipe."""
    if fs == "mfs":
        argv = [*mode, progs["posix_mmap"], "/tmp"]
    else:
        argv = [*mode, "--bind", f"{tmp_path}:/mnt", progs["posix_mmap"], "/mnt"]
    _run_checks(argv, 35)
    if fs == "hostfs":
        assert os.listdir(tmp_path) == []           # the test file was removed


@pytest.mark.parametrize("mode", MODES, ids=MODE_IDS)
@pytest.mark.parametrize("fs", ["mfs", "hostfs"])
def test_record_locks_across_processes(progs, mode, fs, tmp_path):
    if fs == "mfs":
        argv = [*mode, progs["posix_lock"], "/tmp"]
    else:
        argv = [*mode, "--bind", f"{tmp_path}:/mnt", progs["posix_lock"], "/mnt"]
    _run_checks(argv, 26)


@pytest.mark.parametrize("mode", MODES, ids=MODE_IDS)
def test_shared_mapping_larger_than_the_buffer_cache(progs, mode, tmp_path):
    """6 MiB mapped MAP_SHARED on a 16 MiB machine (a 4 MiB buffer cache,
    so the oldest mapped buffers are unmapped, written back and faulted in
    again): every page stored through the mapping is seen by read(2) and by
    the mapping afterwards."""
    _run_checks([*mode, "--memory", "16M", "--bind", f"{tmp_path}:/mnt",
                 progs["posix_mmap"], "/mnt", "big"], 4)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("mode", MODES, ids=MODE_IDS)
def test_shared_mapping_reaches_the_host_file_at_exit(progs, mode, tmp_path):
    """A store through a MAP_SHARED mapping (descriptor closed, no msync, no
    munmap) is in the host file once the process has exited."""
    rc, out, err = kw(*mode, "--bind", f"{tmp_path}:/mnt", progs["posix_mmap"], "/mnt", "keep")
    assert rc == 0, out + err
    data = (tmp_path / "keep").read_bytes()
    assert len(data) == 3 * 4096
    assert data[4097:4101] == b"HOST" and data.count(b"a") == 3 * 4096 - 4


@pytest.mark.parametrize("mode", MODES, ids=MODE_IDS)
@pytest.mark.parametrize("user", ["root", "user"])
def test_sched_signals_shm_clocks_sysconf(progs, mode, user):
    argv = [*mode] + (["--user", "user"] if user == "user" else []) + [progs["posix_sched"]]
    out = _run_checks(argv, 73 if user == "root" else 66)
    assert f"euid {0 if user == 'root' else 1000}" in out


# -- the lock table against a byte model ---------------------------------------

class _Sys:
    procs = {}


N = 24              # bytes modelled; byte N stands for every byte from N on
#                     (bounded requests end below it; "to EOF" ones reach it)


def _model_conflict(model, owner, lo, hi, typ):
    for b in range(lo, hi):
        for o, t in model[b].items():
            if o != owner and (typ == 2 or t == 2):
                return True
    return False


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([("posix", 1), ("posix", 2), ("flock", 3)]),
                          st.integers(0, N - 9), st.integers(0, 8),
                          st.sampled_from([1, 2, 3])), max_size=30))
def test_lock_table_matches_a_byte_model(ops):
    """setlk (F_SETLK) and getlk over random requests by three owners give
    the same grants, refusals and per-byte state as a model that keeps one
    lock type per owner per byte (F_RDLCK 1, F_UNLCK 2 -> here 3, F_WRLCK)."""
    from kw86.nbsd import lockf
    from kw86.nbsd.errors import Errno
    F_RDLCK, F_UNLCK, F_WRLCK = lockf.F_RDLCK, lockf.F_UNLCK, lockf.F_WRLCK
    sysm = _Sys()
    model = [dict() for _ in range(N + 1)]
    kinds = {1: F_RDLCK, 2: F_WRLCK, 3: F_UNLCK}
    for owner, start, length, k in ops:
        typ = kinds[k]
        lo, hi = start, (N + 1 if length == 0 else start + length)
        end = None if length == 0 else start + length - 1
        want_conflict = typ != F_UNLCK and _model_conflict(
            model, owner, lo, hi, 2 if typ == F_WRLCK else 1)
        try:
            lockf.setlk(sysm, "f", owner, owner[1], start, end, typ, False)
            granted = True
        except Errno as e:
            assert e.errno == 35        # EAGAIN
            granted = False
        assert granted == (not want_conflict)
        if granted:
            for b in range(lo, hi):
                if typ == F_UNLCK:
                    model[b].pop(owner, None)
                else:
                    model[b][owner] = 2 if typ == F_WRLCK else 1
        # the table's per-byte view equals the model
        locks = sysm.lockf.get("f", [])
        for b in range(N + 1):
            have = {lk.owner: (2 if lk.type == F_WRLCK else 1) for lk in locks
                    if lk.start <= b and (lk.end is None or b <= lk.end)}
            assert have == model[b], (b, locks)
        # one owner's ranges never overlap each other
        for o in {lk.owner for lk in locks}:
            mine = sorted((lk.start, N if lk.end is None else lk.end) for lk in locks
                          if lk.owner == o)
            assert all(a[1] < b[0] for a, b in zip(mine, mine[1:]))


def test_release_wakes_and_drops_only_the_owner():
    from kw86.nbsd import lockf, sched
    from kw86.nbsd.errors import WouldBlock
    sysm = _Sys()
    woken = []

    def fn(chan):
        woken.append(chan)
    sched.add_wakeup_listener(fn)
    try:
        lockf.setlk(sysm, "f", ("posix", 1), 1, 0, 9, lockf.F_WRLCK, False)
        lockf.setlk(sysm, "f", ("posix", 2), 2, 20, None, lockf.F_RDLCK, False)
        with pytest.raises(WouldBlock) as e:
            lockf.setlk(sysm, "f", ("posix", 2), 2, 5, 5, lockf.F_RDLCK, True)
        assert e.value.chan == ("lockf", "f")
        woken.clear()
        lockf.release(sysm, "f", ("posix", 1))
        assert ("lockf", "f") in woken
        assert [(lk.owner, lk.start, lk.end) for lk in sysm.lockf["f"]] == [(("posix", 2), 20, None)]
    finally:
        sched.remove_wakeup_listener(fn)


# -- the run-time split (NetBSD's calcru over modelled cycles) -----------------

class _M:
    clock_hz = 500_000_000

    def __init__(self):
        self.cycles = 0


class _K:
    def __init__(self):
        self.m = _M()
        self.cur = None
        self.idle_cycles = 0


class _P:
    cpu_ns = 0
    child_cpu_ns = 0

    def __init__(self, k):
        self.kernel = k


def test_rusage_splits_run_time_by_ticks():
    from kw86.nbsd import rusage
    k = _K()
    a, b = _P(k), _P(k)
    k.cur = a
    k.m.cycles = 500_000_000            # a ran 1 s from boot
    rusage.statclock(a, True)
    rusage.statclock(a, True)
    rusage.statclock(a, True)
    rusage.statclock(a, False)          # 3 user ticks, 1 system tick
    rusage.switch(k, b)
    k.cur = b
    k.m.cycles += 250_000_000           # b ran 0.5 s, no tick: half and half
    assert rusage.calcru(a, k) == (750_000, 250_000)
    assert rusage.calcru(b, k) == (250_000, 250_000)
    k.idle_cycles += 1_000_000_000      # an idle clock jump is nobody's
    k.m.cycles += 1_000_000_000
    assert rusage.calcru(b, k) == (250_000, 250_000)
    rusage.reap(a, b)
    assert rusage.getrusage(a, -1) == (250_000, 250_000)


def test_rusage_kernelware_ticks_are_system_time():
    """A tick that interrupts CPL 0 (a kernelware's own code) is a system tick."""
    from kw86.nbsd import rusage
    k = _K()
    p = _P(k)
    k.cur = p
    rusage.switch(k, p)
    k.m.cycles = 50_000_000
    for _ in range(5):
        rusage.statclock(p, False)
    assert rusage.calcru(p, k) == (0, 100_000)


def test_rusage_without_the_scheduler_hook_keeps_ticks():
    from kw86.nbsd import rusage
    k = _K()
    p = _P(k)
    p.cpu_ns = 30_000_000
    assert rusage.calcru(p, k) == (30_000, 0)
