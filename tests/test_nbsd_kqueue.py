"""kqueue(2) / kevent(2) (issue 11 item 2): tests/guest/kq.c run in the
guest as a user process and as kernelware, one result per filter, flag and
error case; and the system calls without a CPU (tests/nbsd_env.py) for the
sleep and restart rules."""
import os
import struct
import subprocess
import sys

import pytest

import hostenv
from buildreq import fail_build
from kw86.nbsd import abi
from kw86.nbsd import kqueue as K

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TESTS = ["layout", "pipe", "clear", "flags", "errors", "kqueue1", "close", "poll", "block",
         "timer", "signal", "proc", "fork", "user", "file", "fifo", "dev", "ioctl"]
MODES = {"user": [], "kernelware": ["--kernelware"]}
KE = struct.Struct("<IIIIqI")


@pytest.fixture(scope="module")
def kq_prog():
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    import nbsd_env
    path = nbsd_env.guest_program("kq")
    if path is None:
        fail_build(nbsd_env.guest_program.why)
    return os.path.relpath(path, ROOT)


def run(prog, mode, *args, stdin=subprocess.DEVNULL):
    r = subprocess.run([sys.executable, "-m", "kw86.cli", "exec", *MODES[mode], "./" + prog,
                        *args], cwd=ROOT, env=hostenv.kw86_env(), stdin=stdin,
                       capture_output=True, timeout=300)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


_runs = {}


@pytest.fixture(params=sorted(MODES))
def all_tests(request, kq_prog):
    """Every test of kq.c in one run per mode: its output."""
    mode = request.param
    if mode not in _runs:
        _runs[mode] = run(kq_prog, mode, *TESTS)
    return _runs[mode]


@pytest.mark.parametrize("name", TESTS)
def test_kq_guest(all_tests, name):
    rc, out, err = all_tests
    lines = out.splitlines()
    assert "Traceback" not in err and "internal error" not in err, err
    assert f"PASS {name}" in lines, out + err
    # the FAIL lines name kq.c's line: those between this test's start and
    # its PASS belong to it (a failing test prints no PASS: caught above)


def test_kq_guest_no_failures(all_tests):
    rc, out, err = all_tests
    assert "FAIL" not in out and rc == 0, out + err


@pytest.mark.parametrize("mode", sorted(MODES))
def test_console_input(kq_prog, mode):
    rc, out, err = _run_input(kq_prog, mode, b"abc\n")
    assert rc == 0, out + err
    assert "console data=4 eof=0 read=4" in out
    rc, out, err = run(kq_prog, mode, "console")
    assert rc == 0 and "console data=0 eof=1 read=0" in out, out + err


@pytest.mark.parametrize("mode", sorted(MODES))
def test_kq_sockets(mode):
    """tests/guest/kqsock.c: AF_LOCAL pairs (EV_CLEAR, NOTE_LOWAT, send
    space, EV_EOF on shutdown) and TCP over the loopback (a listener's
    queue, not writable before connect, EOF when the peer closes)."""
    import nbsd_env
    path = nbsd_env.guest_program("kqsock")
    if path is None:
        fail_build(nbsd_env.guest_program.why)
    rc, out, err = run(os.path.relpath(path, ROOT), mode)
    assert rc == 0 and out.splitlines()[-1:] == ["PASS"], out + err


@pytest.mark.parametrize("mode", sorted(MODES))
def test_console_input_arriving_while_waiting(kq_prog, mode):
    """An EV_CLEAR knote on the console: kevent sleeps (the idle machine
    waits on the host's input) and reports the line that comes later."""
    import time
    pr = subprocess.Popen([sys.executable, "-m", "kw86.cli", "exec", *MODES[mode],
                           "./" + kq_prog, "console_clear"], cwd=ROOT, env=hostenv.kw86_env(),
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(1.0)
    out, err = pr.communicate(b"late\n", timeout=120)
    assert pr.returncode == 0, (out + err).decode()
    assert "console data=5 eof=0 read=5" in out.decode()


def _run_input(prog, mode, data):
    r = subprocess.run([sys.executable, "-m", "kw86.cli", "exec", *MODES[mode], "./" + prog,
                        "console"], cwd=ROOT, env=hostenv.kw86_env(), input=data,
                       capture_output=True, timeout=300)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


# -- without a CPU -----------------------------------------------------------------

@pytest.fixture
def env(tmp_path):
    from nbsd_env import Env
    root = tmp_path / "root"
    root.mkdir()
    return Env(root)


def _pipe(env):
    fds = env.alloc(8)
    env.ok("pipe2", fds, 0)
    return struct.unpack("<ii", env.read(fds, 8))


def _events(env, buf, n):
    return [KE.unpack_from(env.read(buf, 28 * n), 28 * i) for i in range(n)]


def test_kevent_sleeps_and_restart_skips_changes(env):
    kq = env.ok("kqueue")
    r, w = _pipe(env)
    ch = env.alloc(28, KE.pack(r, K.EVFILT_READ, K.EV_ADD | K.EV_ONESHOT, 0, 0, 5))
    evs = env.alloc(28 * 4)
    res = env.call("__kevent50", kq, ch, 1, evs, 4, 0)
    assert res.block is not None and res.error == 0          # nothing yet: sleeps
    assert kq_file(env, kq) in res.block.chans and res.block.timeout_ns is None
    env.write_fd(w, b"xy")
    # the restarted call (same arguments) does not add the knote again: the
    # one-shot knote fires once and is gone
    assert env.ok("__kevent50", kq, ch, 1, evs, 4, 0) == 1
    assert _events(env, evs, 1) == [(r, K.EVFILT_READ, K.EV_ADD | K.EV_ONESHOT, 0, 2, 5)]
    assert (r, K.EVFILT_READ) not in kq_file(env, kq).knotes
    # a new call applies its changes again
    zero = env.alloc(12, b"\0" * 12)
    assert env.ok("__kevent50", kq, ch, 1, evs, 4, zero) == 1


def kq_file(env, fd):
    return env.p.fdt.get(fd)


def test_kevent_timeout_counts_from_first_try(env):
    kq = env.ok("kqueue")
    ts = env.alloc(12, struct.pack("<qi", 0, 50_000_000))
    evs = env.alloc(28)
    res = env.call("__kevent50", kq, 0, 0, evs, 1, ts)
    assert res.block.timeout_ns == 50_000_000
    env.now += 20_000_000
    res = env.call("__kevent50", kq, 0, 0, evs, 1, ts)        # woken early: 30 ms left
    assert res.block.timeout_ns == 30_000_000
    env.p.poll_timedout = True
    assert env.ok("__kevent50", kq, 0, 0, evs, 1, ts) == 0


def test_kevent_eintr_on_caught_signal(env):
    kq = env.ok("kqueue")
    evs = env.alloc(28)
    assert env.call("__kevent50", kq, 0, 0, evs, 1, 0).block is not None
    env.p.timed_start[2] = True             # (post_signal of a caught signal does this)
    assert env.err("__kevent50", kq, 0, 0, evs, 1, 0) == abi.EINTR
    assert env.p.timed_start is None


def test_unimplemented_filter_is_loud(env):
    import io
    env.sys.stderr = io.StringIO()
    kq = env.ok("kqueue")
    ch = env.alloc(28, KE.pack(0, K.EVFILT_VNODE, K.EV_ADD, 0, 0, 0))
    assert env.err("__kevent50", kq, ch, 1, 0, 0, 0) == abi.ENOSYS
    assert env.sys.stderr.getvalue() == "kw86: kevent: EVFILT_VNODE not implemented\n"


def test_kqueue_fd_not_inherited_by_fork(env):
    kq = env.ok("kqueue")
    r, w = _pipe(env)
    child = env.p.fdt.fork()
    assert not child.valid(kq) and child.valid(r) and child.valid(w)


def test_close_removes_knotes_of_every_kqueue(env):
    kq1, kq2 = env.ok("kqueue"), env.ok("kqueue")
    r, w = _pipe(env)
    for kq in (kq1, kq2):
        ch = env.alloc(28, KE.pack(w, K.EVFILT_WRITE, K.EV_ADD, 0, 0, 0))
        env.ok("__kevent50", kq, ch, 1, 0, 0, 0)
    env.ok("close", w)
    assert not kq_file(env, kq1).knotes and not kq_file(env, kq2).knotes


def test_compat_50_kevent_timespec50(env):
    """345: the same struct kevent, a timespec with a 32-bit tv_sec."""
    kq = env.ok("kqueue")
    r, w = _pipe(env)
    ch = env.alloc(28, KE.pack(r, K.EVFILT_READ, K.EV_ADD, 0, 0, 9))
    ts = env.alloc(8, struct.pack("<ii", 0, 0))
    evs = env.alloc(28 * 2)
    assert env.ok("compat_50_kevent", kq, ch, 1, evs, 2, ts) == 0
    env.write_fd(w, b"abc")
    assert env.ok("compat_50_kevent", kq, 0, 0, evs, 2, ts) == 1
    assert _events(env, evs, 1) == [(r, K.EVFILT_READ, K.EV_ADD, 0, 3, 9)]
    bad = env.alloc(8, struct.pack("<ii", 0, 10**9))
    assert env.err("compat_50_kevent", kq, 0, 0, evs, 2, bad) == abi.EINVAL


def test_knote_limit_is_enomem(env, monkeypatch):
    monkeypatch.setattr(K, "KQ_MAXKNOTES", 5)
    kq = env.ok("kqueue")
    kq2 = env.ok("kqueue")
    add = lambda q, i: env.call("__kevent50", q, env.alloc(28, KE.pack(
        i, K.EVFILT_USER, K.EV_ADD, 0, 0, 0)), 1, 0, 0, 0).error
    assert [add(kq, i) for i in range(4)] == [0] * 4
    assert add(kq2, 0) == 0
    assert add(kq2, 1) == abi.ENOMEM           # the bound is the descriptor table's
    env.ok("__kevent50", kq, env.alloc(28, KE.pack(0, K.EVFILT_USER, K.EV_DELETE, 0, 0, 0)),
           1, 0, 0, 0)
    assert add(kq2, 1) == 0
    env.ok("close", kq)                        # closing a kqueue frees its knotes
    assert [add(kq2, i) for i in range(2, 5)] == [0, 0, 0]


# -- random changelists: an errno or a result, never a kernel error ----------------

from hypothesis import given, settings, strategies as st  # noqa: E402

ERRNOS = {abi.EBADF, abi.EINVAL, abi.ENOENT, abi.ESRCH, abi.EACCES, abi.ENOMEM, abi.ENOSYS,
          abi.EFAULT}
_FLAGS = st.integers(0, 0xffffffff) | st.sampled_from(
    [K.EV_ADD, K.EV_DELETE, K.EV_ADD | K.EV_CLEAR, K.EV_ADD | K.EV_ONESHOT, K.EV_ENABLE,
     K.EV_DISABLE, K.EV_ADD | K.EV_DISPATCH, K.EV_ADD | K.EV_RECEIPT, K.EV_ADD | K.EV_DISABLE])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["r", "w", "kq", 0, 7, 99, 2**31, 2**32 - 1]),
                          st.integers(0, 11) | st.integers(0, 0xffffffff), _FLAGS,
                          st.integers(0, 0xffffffff),
                          st.integers(-2**63, 2**63 - 1) | st.integers(-2, 100)),
                max_size=8),
       st.integers(0, 4), st.booleans())
def test_random_changelists(tmp_path_factory, changes, nevents, write):
    import io
    from nbsd_env import Env
    root = tmp_path_factory.mktemp("kq")
    env = Env(root)
    env.sys.stderr = io.StringIO()
    kq = env.ok("kqueue")
    r, w = _pipe(env)
    names = {"r": r, "w": w, "kq": kq}
    raw = b"".join(KE.pack(names.get(i, i) if isinstance(i, str) else i, f, fl, ff, d, 0)
                   for i, f, fl, ff, d in changes)
    ch = env.alloc(max(1, len(raw)), raw or b"\0")
    evs = env.alloc(28 * 4)
    zero = env.alloc(12, b"\0" * 12)
    if write:
        env.write_fd(w, b"data")
    res = env.call("__kevent50", kq, ch, len(changes), evs, nevents, zero)
    assert res.block is None
    assert res.error in ERRNOS or (res.error == 0 and res.eax <= max(len(changes), nevents))
    q = env.p.fdt.get(kq)
    for (ident, flt), kn in q.knotes.items():
        assert kn.kq is q and (kn.ident, kn.filter) == (ident, flt)
    assert all(kn.queued and kn.kq is q for kn in q.queue)
    assert len(set(map(id, q.queue))) == len(q.queue)
    assert env.p.fdt.kq.nknotes == sum(len(k.knotes) for k in env.p.fdt.kq.kqs)
    env.ok("close", kq)
    assert not q.knotes and not q.queue


def test_kqueues_watching_each_other(env):
    """A kqueue in itself and two in each other: notifications end."""
    kq1, kq2 = env.ok("kqueue"), env.ok("kqueue")
    ch = lambda q, fd: env.ok("__kevent50", q, env.alloc(28, KE.pack(
        fd, K.EVFILT_READ, K.EV_ADD, 0, 0, 0)), 1, 0, 0, 0)
    ch(kq1, kq1)
    ch(kq1, kq2)
    ch(kq2, kq1)
    env.ok("__kevent50", kq2, env.alloc(28, KE.pack(
        3, K.EVFILT_USER, K.EV_ADD, 0, 0, 0)), 1, 0, 0, 0)
    env.ok("__kevent50", kq2, env.alloc(28, KE.pack(
        3, K.EVFILT_USER, 0, K.NOTE_TRIGGER, 0, 0)), 1, 0, 0, 0)
    evs = env.alloc(28 * 4)
    zero = env.alloc(12, b"\0" * 12)
    got = {(i, f) for i, f, *_ in _events(env, evs, env.ok("__kevent50", kq1, 0, 0, evs, 4,
                                                            zero))}
    assert got == {(kq1, K.EVFILT_READ), (kq2, K.EVFILT_READ)}


def test_failed_restart_forgets_the_sleep(env):
    """A restarted kevent that fails (its timeout unreadable now) ends the
    call: the next identical call applies its changes again."""
    kq = env.ok("kqueue")
    r, w = _pipe(env)
    ts = env.alloc(12, struct.pack("<qi", 5, 0))
    evs = env.alloc(28)
    ch = env.alloc(28, KE.pack(r, K.EVFILT_READ, K.EV_ADD, 0, 0, 0))
    assert env.call("__kevent50", kq, ch, 1, evs, 1, ts).block is not None
    env.ok("__kevent50", kq, env.alloc(28, KE.pack(r, K.EVFILT_READ, K.EV_DELETE, 0, 0, 0)),
           1, 0, 0, 0)
    env.mem.copyout(ts, struct.pack("<qi", 0, 2 * 10**9))      # now invalid: EINVAL
    assert env.err("__kevent50", kq, ch, 1, evs, 1, ts) == abi.EINVAL
    assert env.p.timed_start is None
    env.mem.copyout(ts, struct.pack("<qi", 0, 0))
    env.write_fd(w, b"!")
    assert env.ok("__kevent50", kq, ch, 1, evs, 1, ts) == 1    # the knote is back
