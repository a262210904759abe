"""NetBSD's real-time scheduling classes (kw86/nbsd/sched.py,
syscalls/sched.py): SCHED_FIFO and SCHED_RR LWPs run before time-sharing
ones, highest priority first; a change of class or priority, or a wakeup,
that makes a runnable LWP outrank the running one preempts it at once;
FIFO runs until it blocks or yields, RR takes 100 ms slices in turn with
its own priority; sched_yield gives way only to its own priority or above;
permission and errno as NetBSD's sys_sched.c.

The guest program (tests/guest/sched_classes.c) writes one token per line
with write(2) at the moment it happens, so its output is the order in
which the processes and LWPs ran; each scenario runs as a user process and
as a kernelware (both modes must agree)."""
import os
import subprocess
import sys

import pytest

import hostenv
from buildreq import fail_build
from nbsd_env import MODES, REPO, guest_program


@pytest.fixture(scope="module")
def prog():
    path = guest_program("sched_classes")
    if path is None:
        fail_build(guest_program.why)
    return "./" + os.path.relpath(path, REPO)


def run(prog, mode, *args, user=None):
    argv = [sys.executable, "-m", "kw86.cli", "exec", *mode]
    if user:
        argv += ["--user", user]
    r = subprocess.run(argv + [prog, *args], cwd=REPO, capture_output=True, timeout=600,
                       env=hostenv.kw86_env())
    out, err = r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")
    assert "Traceback" not in err and "panic" not in err, err
    return r.returncode, out.split(), out, err


ORDER = {
    # raised above the FIFO 10 parent: B and C run at once; A (lowered to 5)
    # and D (SCHED_OTHER) only once the parent blocks, A first
    "preempt": "P0 B P1 C P2 P3 A D P4",
    # lowering itself below a runnable FIFO 30 child, then to SCHED_OTHER
    # below a FIFO 29 one: the parent gives way both times, at once
    "lower": "p1 c1 p2 p3 c2 p4",
    # two FIFO 10 processes alternate on sched_yield; with only a FIFO 5
    # one runnable the yield goes on with the caller
    "yield": "p0 x0 p1 x1 p2 x2 q0 q1 y",
    # a FIFO 20 child asleep in read preempts its SCHED_OTHER parent as
    # soon as the parent's write makes it runnable
    "wake": "c0 p0 c1 p1",
    # a FIFO 20 child's nanosleep ends at a clock tick while its FIFO 10
    # parent spins in user mode (or as a kernelware at CPL 0, the kwhook
    # tick): it runs at that tick, not a quantum later; the preempted
    # parent goes back to the head of its list, before its sibling B
    "tick": "p0 c0 p1 c1 p2 B",
    # a SCHED_OTHER parent preempted at a tick by a FIFO 20 child (to the
    # tail of the round robin, behind its sibling Q) does not give way
    # again at its next call, a write that makes Q runnable
    "stale": "r0 r1 Q p1 p2 Q1",
    # posix_spawn with POSIX_SPAWN_SETSCHEDULER: a FIFO 20 child runs before
    # its FIFO 10 parent goes on, a FIFO 5 one only once the parent waits
    "spawn": "p0 S p1 p2 L",
    # per-LWP: pthread_setschedparam(T, FIFO 30) runs T at once; a thread
    # woken at RR 25 preempts the FIFO 20 main thread; each reads its own
    "threads": "m0 T m1 m2 U0 m3 U RR 25 main FIFO 20 U1 m4",
    # two CPU-bound priority-10 children of 150 ms each: RR slices them at
    # 100 ms (A B A B), FIFO runs each to its end (A B)
    "rr": "log ABAB",
    "fifo": "log AB",
}


@pytest.mark.parametrize("mode", [m for m, _ in MODES], ids=[i for _, i in MODES])
@pytest.mark.parametrize("scenario", list(ORDER))
def test_order(prog, mode, scenario):
    rc, toks, out, err = run(prog, mode, scenario)
    assert rc == 0, out + err
    assert " ".join(toks) == ORDER[scenario], out + err


@pytest.mark.parametrize("mode", [m for m, _ in MODES], ids=[i for _, i in MODES])
@pytest.mark.parametrize("user", [None, "user"], ids=["root", "user"])
def test_checks(prog, mode, user):
    """EINVAL (class, priority, a priority under SCHED_OTHER), ESRCH (pid,
    lid), EPERM (an ordinary user; root's RR child after setuid may only
    lower its priority in its class or go to SCHED_OTHER), and the
    getparam/getscheduler round trips."""
    rc, _, out, err = run(prog, mode, "checks", user=user)
    lines = out.splitlines()
    bad = [ln for ln in lines if ln.startswith("FAIL")]
    assert not bad and rc == 0 and "done 0" in lines, out + err
    oks = [ln for ln in lines if ln.startswith("ok ")]
    assert len(oks) == (15 if user else 21), out


def test_runqueue():
    """The run queue: the deque is the time-sharing round robin (as kw86's
    one queue was); real-time LWPs go first, highest priority first, FIFO
    within a priority (or at the head: a preempted one); `in`, len() and
    remove() see both."""
    from kw86.nbsd.sched import RunQueue, eprio

    class L:
        def __init__(self, cls=0, pri=0):
            self.sched_class, self.sched_pri = cls, pri

    rq = RunQueue()
    a, b, f5, f9, r9 = L(), L(), L(1, 5), L(1, 9), L(2, 9)
    rq.append(a)
    rq.append(b)
    assert rq.best() == 0 and len(rq) == 2 and rq.next() is a
    for l in (f5, f9, r9):
        rq.rt_add(l)
    assert len(rq) == 4 and f9 in rq and b in rq
    assert rq.best() == eprio(f9) == 128 + 9
    assert [rq.next() for _ in range(3)] == [f9, r9, f5]
    rq.rt_add(f5)
    rq.rt_add(f9, head=True)
    rq.remove(f5)
    assert f5 not in rq and len(rq) == 2
    with pytest.raises(ValueError):
        rq.remove(f5)
    assert rq.next() is f9 and rq.next() is b and not rq and rq.best() == -1
