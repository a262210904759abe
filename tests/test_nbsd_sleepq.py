"""The scheduler's sleep queues (kw86/nbsd/sched.py, issue 12) against the
plain definition they replace: wakeup(chan) makes runnable every LWP of a
live process that sleeps with `c is chan or c == chan` for one of its wait
channels, a tick every sleeper whose deadline has come, in process-table
order (sys.procs, then each process's LWPs); the idle loop sees whether
anyone sleeps and the earliest deadline.  Hypothesis drives random sleeps
(several channels, equal-but-distinct and unhashable ones, timeouts),
wakeups, ticks, stops and continues, LWP exits, process exits and reaps,
new processes and LWPs, and compares each step with a scan of every LWP."""
from collections import deque

from hypothesis import given, settings, strategies as st

from kw86.nbsd import sched
from kw86.nbsd.proc import Lwp, Proc
from kw86.nbsd.system import System


class _M:
    cycles = 0
    clock_hz = 10**9


class _Sched(sched.Scheduler):
    def __init__(self, system):
        self.sys = system
        self.m = _M()
        self.runq = deque()
        self.curlwp = None
        self.timer_procs = set()


_OBJ = [object() for _ in range(3)]


def _chan(i):
    """Channels as the kernel uses them: tuples, objects, ints; equal tuples
    and lists built afresh each time (equal, not identical); lists are
    unhashable."""
    kind, v = i % 5, i // 5 % 3
    return [("wait", v), _OBJ[v % 3], v, [v, "u"], ("pipe", v, "x")][kind]


def _ref_sleepers(s, pred):
    return [l for l in s.all_lwps() if l.state == "sleep" and pred(l)]


def _queued(s, before):
    return list(s.runq)[before:]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 16), st.integers(0, 10**6), st.integers(0, 10**6),
                          st.lists(st.integers(0, 14), min_size=1, max_size=3)),
                max_size=80))
def test_sleepq_matches_scan(tmp_path_factory, ops):
    system = System(str(tmp_path_factory.getbasetemp()))
    system.procs = {}
    s = _Sched(system)
    saved_hooks = sched.timer_hooks[:]
    sched.timer_hooks[:] = []
    try:
        for pid in (1, 2, 3):
            p = system.procs[pid] = Proc(system, pid=pid)
            p.lwps[100 + pid] = Lwp(p, 100 + pid)
        next_pid = [4]
        for op, a, b, chans in ops:
            # weights: sleeps and wakeups most
            op = (0, 0, 0, 0, 1, 1, 2, 2, 2, 2, 3, 4, 5, 6, 7, 8, 9)[op]
            lwps = s.all_lwps()
            procs = [p for p in system.procs.values() if not p.zombie]
            if op in (0, 1) and lwps:                      # sleep (maybe timed)
                l = lwps[a % len(lwps)]
                if l.state not in ("run", "sleep"):
                    continue
                if l in s.runq:
                    s.runq.remove(l)
                cs = [_chan(c) for c in chans]
                chan = cs[0] if len(cs) == 1 and op == 0 else \
                    type("W", (), {"chans": tuple(cs),
                                   "timeout_ns": b if op == 1 else None})()
                s._sleep(l, chan)
            elif op == 2:                                  # wakeup
                chan = _chan(a % 15)
                want = [l for l in _ref_sleepers(
                    s, lambda l: any(c is chan or c == chan for c in l.wchans))
                    if not l.proc.stopped and not l.suspended]
                n = len(s.runq)
                s._wakeup(chan)
                assert _queued(s, n) == [l for l in want if l not in list(s.runq)[:n]]
                assert not any(l.state == "sleep" for l in want)
            elif op == 3:                                  # tick: the clock advances
                s.m.cycles += b
                now = s.m.cycles
                want = _ref_sleepers(s, lambda l: l.deadline is not None and l.deadline <= now)
                n = len(s.runq)
                s._expire_timers()
                assert _queued(s, n) == [l for l in want if not l.proc.stopped and
                                         not l.suspended and l not in list(s.runq)[:n]]
                assert all(l.poll_timedout for l in want)
            elif op == 4 and procs:                        # stop / continue
                p = procs[a % len(procs)]
                if p.stopped:
                    p.stopped = False
                    for l in p.lwps.values():
                        if l.state == "sleep":
                            s._setrun(l)
                else:
                    p.stopped = True
            elif op == 5 and lwps:                         # an LWP exits (lwp.py _lwp_gone)
                l = lwps[a % len(lwps)]
                l.state = "zomb"
                l.wchans = ()
                if l in s.runq:
                    s.runq.remove(l)
                if b % 2:
                    l.proc.lwps.pop(l.lid, None)
            elif op == 6 and procs:                        # a process exits; maybe reaped
                p = procs[a % len(procs)]
                p.zombie = True
                if b % 2:
                    system.procs.pop(p.pid, None)
            elif op == 7:                                  # fork
                pid = next_pid[0]
                next_pid[0] += 1
                system.procs[pid] = Proc(system, pid=pid)
            elif op == 8 and procs:                        # _lwp_create
                p = procs[a % len(procs)]
                lid = 1000 + len(p.lwps)
                if lid not in p.lwps:
                    p.lwps[lid] = Lwp(p, lid)
            elif op == 9 and procs:                        # suspend / unsuspend
                p = procs[a % len(procs)]
                ls = list(p.lwps.values())
                if not ls:
                    continue
                l = ls[b % len(ls)]
                if l.suspended and l.state == "susp":
                    l.suspended = False
                    l.state = "sleep"
                    s._setrun(l)
                else:
                    l.suspended = True
            # the idle loop's view
            sleepers = _ref_sleepers(s, lambda l: True)
            assert s._anyone_asleep() == bool(sleepers)
            ds = [l.deadline for l in sleepers if l.deadline is not None]
            assert s._next_deadline() == (min(ds) if ds else None)
    finally:
        sched.timer_hooks[:] = saved_hooks
