"""Small defects recorded by earlier sessions, each against NetBSD's
behaviour (the leftovers round): forged system-call hypercalls, ...
"""
import os
import subprocess
import sys

import pytest

import hostenv
import nbsd_env
from buildreq import fail_build

ROOT = hostenv.ROOT


def kw(*argv, timeout=120):
    r = subprocess.run([sys.executable, "-m", "kw86.cli", "exec", *argv], cwd=ROOT,
                       capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL,
                       env=hostenv.ENV)
    return r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")


def _sym(name):
    from kw86.nbsd.build_locore import load
    return f"{load()[name]:x}"


# -- (1) a system-call hypercall locore did not make --------------------------------

@pytest.fixture(scope="module")
def forge_dir(tmp_path_factory):
    return nbsd_env.guest_program_dir(tmp_path_factory, "forge")


def _killed_as_forged(rc, out, err, name):
    assert "Traceback" not in err and "panic" not in err, err
    assert "survived" not in out, out
    assert out.endswith("st=139\nok\n"), (rc, out, err)
    assert f"({name}): hypercall" in err and "forged system call" in err, err


@pytest.mark.parametrize("how", [["outl"], ["outl0"],
                                 ["kstack", "kw86_hcall", "kw86_tss"]],
                         ids=["outl", "outl0", "kstack"])
def test_forged_syscall_hypercall_kills_the_kernelware(forge_dir, how):
    """Our own `outl` (the CPU core's answer cache armed for the same call,
    or %ecx = 0, the general path), or a jump into locore's hypercall with
    %ecx naming another call than the frame: the kernelware dies with
    SIGSEGV and one line, its shell goes on; never a spin to the
    instruction limit, never the register path's call."""
    args = [how[0]] + [_sym(s) for s in how[1:]]
    cmd = f"/mnt/forge {' '.join(args)}; echo st=$?; /bin/echo ok"
    rc, out, err = kw("--bind", f"{forge_dir}:/mnt", "--kernelware",
                      "--max-instructions", "50000000", "/bin/sh", "-c", cmd)
    _killed_as_forged(rc, out, err, "forge")


@pytest.fixture(scope="module")
def hostile_gcc_os(tmp_path_factory):
    """tests/guest/hostile.c built by the host's GCC at -Os (tools/gcc_netbsd.py):
    its forgecall leaves the frame's address in %ecx."""
    import shutil
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    import gcc_netbsd
    if shutil.which("gcc") is None:
        fail_build("gcc, the host's C compiler (.ci/run installs it)")
    d = tmp_path_factory.mktemp("hostile_os")
    os.chmod(d, 0o755)
    out = os.path.join(str(d), "hostile")
    try:
        gcc_netbsd.build([os.path.join(ROOT, "tests", "guest", "hostile.c")], out,
                         ["-Os"], env=hostenv.ENV)
    except gcc_netbsd.BuildError as e:
        fail_build(str(e)[:3000])
    os.chmod(out, 0o755)
    return str(d)


def test_gcc_os_forgecall_dies_instead_of_spinning(hostile_gcc_os):
    cmd = "/mnt/hostile forgecall 1; echo st=$?; /bin/echo ok"
    rc, out, err = kw("--bind", f"{hostile_gcc_os}:/mnt", "--kernelware",
                      "--max-instructions", "50000000", "/bin/sh", "-c", cmd)
    _killed_as_forged(rc, out, err, "hostile")


def test_forged_syscall_trace_shows_the_kill(forge_dir, tmp_path):
    """--trace: the call the frame asked for, then the kill; no return."""
    tr = tmp_path / "t.txt"
    rc, out, err = kw("--bind", f"{forge_dir}:/mnt", "--kernelware", "--trace", str(tr),
                      "--max-instructions", "50000000",
                      "/mnt/forge", "outl")
    assert rc == 139, (rc, out, err)
    text = tr.read_text()
    tail = text[text.rindex("syscall getpid"):]
    assert "return" not in tail.splitlines()[1], tail[:500]


# -- (2) posix_spawn with a file action that sleeps ----------------------------------

@pytest.fixture(scope="module")
def spawnfifo_dir(tmp_path_factory):
    return nbsd_env.guest_program_dir(tmp_path_factory, "spawnfifo")


@pytest.mark.parametrize("mode", nbsd_env.MODES, ids=[m[1] for m in nbsd_env.MODES])
def test_spawn_file_action_sleeps_in_the_child(spawnfifo_dir, mode):
    """The child sleeps in its FIFO open (a process of its own); a parent
    that does not wait has 0 and the pid at once, POSIX_SPAWN_RETURNERROR's
    waits until the exec (or the error); a caught or fatal signal ends the
    child's sleep with exit 127, an ignored one does not."""
    rc, out, err = kw(*mode[0], "--bind", f"{spawnfifo_dir}:/mnt:ro", "/mnt/spawnfifo")
    bad = [ln for ln in out.splitlines() if not ln.startswith("ok ")]
    assert rc == 0 and bad == ["one", "two", "three", "done 0"], (rc, out, err)
    assert len(out.splitlines()) == 17, out
    assert "Traceback" not in err and "not implemented" not in err, err


# -- (3) mremap: MAP_REMAPDUP across fork, a grown private file mapping ------------

@pytest.fixture(scope="module")
def remapfork_dir(tmp_path_factory):
    return nbsd_env.guest_program_dir(tmp_path_factory, "remapfork")


@pytest.mark.parametrize("mode", nbsd_env.MODES, ids=[m[1] for m in nbsd_env.MODES])
def test_remapdup_across_fork_and_grown_file_mapping(remapfork_dir, mode):
    """MAP_REMAPDUP's two addresses stay one memory in the parent and in the
    child after fork (whichever writes first, a second fork too), each
    process's writes its own; a private file mapping grown by mremap (in
    place or moved) reads the file further on, zeros past its end."""
    rc, out, err = kw(*mode[0], "--bind", f"{remapfork_dir}:/mnt:ro", "/mnt/remapfork")
    bad = [ln for ln in out.splitlines() if not ln.startswith("ok ")]
    assert rc == 0 and bad == ["done 0"], (rc, out, err)
    assert len(out.splitlines()) == 19, out
    assert "Traceback" not in err, err


# -- (4) one PATH search in libc for execvp and posix_spawnp ----------------------

PATHSEARCH_WANT = """\
from-b
found-later execvp exit 7
from-b
found-later spawnp exit 7
eacces-only execvp errno 13
eacces-only spawnp errno 13
enoent execvp errno 2
enoent spawnp errno 2
from-b
empty-element execvp exit 7
from-b
empty-element spawnp exit 7
from-b
slash execvp exit 7
from-b
slash spawnp exit 7
bare-script
bare-script execvp exit 5
bare-script spawnp errno 8
name-too-long execvp errno 2
name-too-long spawnp errno 2
empty-name execvp errno 2
empty-name spawnp errno 2
done
"""


@pytest.fixture(scope="module")
def pathsearch_dir(tmp_path_factory):
    return nbsd_env.guest_program_dir(tmp_path_factory, "pathsearch")


@pytest.mark.parametrize("mode", nbsd_env.MODES, ids=[m[1] for m in nbsd_env.MODES])
def test_execvp_and_posix_spawnp_search_alike(pathsearch_dir, mode):
    """EACCES goes on and is the answer when nothing is found, an empty
    element is the current directory, a '/' means no search, a name too
    long is skipped, a script without #! runs under sh for execvp and is
    ENOEXEC for posix_spawnp (the kernel's answer)."""
    rc, out, err = kw(*mode[0], "--bind", f"{pathsearch_dir}:/mnt:ro", "/mnt/pathsearch")
    assert rc == 0 and out == PATHSEARCH_WANT, (rc, out, err)


def test_one_path_search_in_libc():
    """execvpe and posix_spawnp both call __kw86_pathsearch; neither walks
    PATH itself."""
    import re
    lib = os.path.join(ROOT, "userland", "libc")
    for name, fn in (("exec.c", "execvpe"), ("spawn.c", "posix_spawnp")):
        with open(os.path.join(lib, name)) as f:
            src = f.read()
        body = re.search(r"\n%s\(.*?\n}\n" % fn, src, re.S).group(0)
        assert "__kw86_pathsearch(" in body and "getenv" not in body, (name, body)
    with open(os.path.join(lib, "spawn.c")) as f:
        assert "getenv(\"PATH\")" not in f.read()


# -- (5) byte-range locks: per-owner sorted lists, bisect ---------------------------

class _LockSys:
    procs = {}


def _brute_conflict(fl, owner, start, end, type_):
    from kw86.nbsd import lockf
    hits = [lk for lk in fl if lk.owner != owner and lk.overlaps(start, end) and
            (type_ == lockf.F_WRLCK or lk.type == lockf.F_WRLCK)]
    return min(hits, key=lambda lk: (lk.start, lk.seq), default=None)


from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([("posix", 1), ("posix", 2), ("posix", 3),
                                           ("flock", 4)]),
                          st.integers(0, 60), st.integers(0, 12), st.sampled_from([1, 2, 3]),
                          st.integers(0, 60), st.integers(0, 12), st.sampled_from([1, 3])),
                max_size=60))
def test_lock_lists_stay_sorted_and_answer_as_a_scan(ops):
    """After every request each owner's list is sorted, disjoint and has no
    touching neighbours of one type (merged), its starts index matches, and
    F_GETLK's answer (bisect over each owner) is the lowest-start
    conflicting lock a scan of every lock finds."""
    from kw86.nbsd import lockf
    from kw86.nbsd.errors import Errno
    kinds = {1: lockf.F_RDLCK, 2: lockf.F_WRLCK, 3: lockf.F_UNLCK}
    sysm = _LockSys()
    for owner, start, length, k, qstart, qlen, qk in ops:
        end = None if length == 0 else start + length - 1
        try:
            lockf.setlk(sysm, "f", owner, owner[1], start, end, kinds[k], False)
        except Errno as e:
            assert e.errno == 35
        fl = sysm.lockf.get("f")
        if fl is None:
            continue
        for o, ol in fl.owners.items():
            assert ol.locks and ol.starts == [lk.start for lk in ol.locks]
            for a, b in zip(ol.locks, ol.locks[1:]):
                assert a.end is not None and a.end < b.start
                assert not (a.type == b.type and a.end + 1 == b.start), (a, b)
            assert all(lk.owner == o for lk in ol.locks)
        qend = None if qlen == 0 else qstart + qlen - 1
        for asker in (("posix", 1), ("posix", 9)):
            got = lockf.getlk(sysm, "f", asker, qstart, qend, kinds[qk] if qk != 3 else
                              lockf.F_WRLCK)
            want = _brute_conflict(fl, asker, qstart, qend, kinds[qk] if qk != 3 else
                                   lockf.F_WRLCK)
            assert got is want, (got, want)


def test_lock_split_merge_and_deadlock():
    """A lock cut by another type splits; the same type over the cut
    merges it back; two processes each waiting for the other's lock: the
    second waiter gets EDEADLK."""
    from kw86.nbsd import lockf
    from kw86.nbsd.errors import Errno, WouldBlock
    sysm = _LockSys()
    a, b = ("posix", 1), ("posix", 2)
    lockf.setlk(sysm, "f", a, 1, 0, 99, lockf.F_WRLCK, False)
    lockf.setlk(sysm, "f", a, 1, 40, 49, lockf.F_RDLCK, False)
    assert [(lk.start, lk.end, lk.type) for lk in sysm.lockf["f"]] == \
        [(0, 39, lockf.F_WRLCK), (40, 49, lockf.F_RDLCK), (50, 99, lockf.F_WRLCK)]
    lockf.setlk(sysm, "f", a, 1, 40, 49, lockf.F_WRLCK, False)
    assert [(lk.start, lk.end) for lk in sysm.lockf["f"]] == [(0, 99)]
    lockf.setlk(sysm, "f", b, 2, 200, None, lockf.F_WRLCK, False)
    lk = lockf.getlk(sysm, "f", b, 50, 60, lockf.F_RDLCK)
    assert (lk.owner, lk.start, lk.end) == (a, 0, 99)

    class _P:
        def __init__(self, pid):
            self.pid, self.state, self.wchans = pid, "sleep", ()
    sysm.procs = {1: _P(1), 2: _P(2)}
    with pytest.raises(WouldBlock) as e:
        lockf.setlk(sysm, "f", a, 1, 300, 300, lockf.F_WRLCK, True)      # 1 waits for 2
    sysm.procs[1].wchans = (e.value.chan,)
    with pytest.raises(Errno) as e2:
        lockf.setlk(sysm, "f", b, 2, 10, 10, lockf.F_RDLCK, True)        # 2 for 1: a cycle
    assert e2.value.errno == lockf.EDEADLK


@pytest.fixture(scope="module")
def lockmany_dir(tmp_path_factory):
    return nbsd_env.guest_program_dir(tmp_path_factory, "lockmany")


@pytest.mark.parametrize("mode", nbsd_env.MODES, ids=[m[1] for m in nbsd_env.MODES])
def test_many_locks_guest(lockmany_dir, mode):
    """The bench's guest (bench/lockf_bench.py): N locks, each F_GETLK from a
    child answers that lock, each unlock succeeds."""
    rc, out, err = kw(*mode[0], "--bind", f"{lockmany_dir}:/mnt:ro", "/mnt/lockmany", "3000")
    assert rc == 0 and out == "locks 3000 getlk 3000 unlocked 3000\n", (rc, out, err)
