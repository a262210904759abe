"""The scheduler: run queue, sleep/wakeup, the clock tick's bookkeeping,
context switches and the idle loop (NetBSD's kern_synch.c and
kern_clock.c as far as kw86 models them), and the wakeup registry.

`Scheduler` is a part of the Kernel (a base class: the kernel's state is
one object, as NetBSD's globals are one kernel).  It runs LWPs (proc.Lwp):
the run queue, sleep, wakeup and timeouts act on LWPs, so a blocking call
blocks only its LWP; k.cur is the running LWP's process and k.curlwp the
LWP (the process's p.l is set to it when it runs).  Round robin: an LWP
that takes `quantum` clock ticks (hz/10, NetBSD's rrticks) while others are
runnable is preempted at its next return to user mode, or, for a
kernelware, when the kwhook preemption hook marked its interrupt frame
(trap.py, locore's Xkwhook*).  An idle machine (every LWP asleep) waits
on the host console or jumps the guest clock to the next deadline.

Scheduling classes (NetBSD's sys/sched.h, kern_runq.c, sched_4bsd.c):
every LWP has a class and priority (l.sched_class, l.sched_pri; set by
_sched_setparam, syscalls/sched.py).  Time-sharing LWPs (SCHED_OTHER, the
default) are the round robin above, unchanged; real-time ones (SCHED_FIFO,
SCHED_RR, priorities 0..63, NetBSD's kernel priorities PRI_USER_RT + pri)
wait in per-priority FIFO lists above every time-sharing LWP (RunQueue),
and the highest-priority one runs.  An LWP made runnable (a wakeup, a
priority change, a new LWP) that outranks the running one preempts it at
once: at the return of the call that woke it (cur.want_resched sends the
call through userret), or at the clock tick that expired its sleep
(self.resched, trap.intr), in both modes alike.  SCHED_FIFO runs until it
blocks, yields or is preempted, and a preempted one goes back to the head
of its list; SCHED_RR is preempted by the clock every `quantum` ticks
(NetBSD's sched_tick: rrticks = hz/10) in favour of an LWP of its own
priority, going to the tail, and a preempted RR LWP goes to the head
unless its slice was used up (kern_runq.c's sched_enqueue);
sched_yield puts a real-time LWP at the tail of its list if another of
its priority or above is runnable (and is a plain round-robin yield for
time-sharing ones, as before).  A running LWP whose priority drops below
a runnable one gives way at once (NetBSD's sched_changepri; kw86 also
when it drops to SCHED_OTHER with a real-time LWP runnable).

wakeup(chan) (NetBSD's wakeup(9)) makes every LWP sleeping on chan
runnable; each Kernel registers its listener here (held weakly).

Sleep queues (NetBSD's sleepq, hashed by wchan): a sleeping LWP is queued
under each channel it waits on (chan -> {Lwp: sleep generation}), and a
timed sleep's deadline goes on a heap, so a wakeup costs O(woken) and a
clock tick O(expired + log n), whatever the number of sleepers.  Channels
match as `c is chan or c == chan` (a dict lookup for hashable ones; an
unhashable channel is compared one by one).  Entries are dropped when the
LWP leaves its sleep through _setrun; others (an LWP that exited or whose
process died asleep, a sleep ended another way) are stale: an entry counts
only while its generation is the LWP's sleep_gen and the LWP sleeps in a
live process, and a sweep drops the stale ones once they could outnumber
the live ones.  The LWPs one wakeup or tick makes runnable join the run
queue in process-table order (sys.procs, then the process's LWPs: creation
order, Proc.seq and Lwp.seq), as a scan of every LWP would find them.
"""
import heapq
import itertools
import os
import select
import time
import weakref
from collections import deque

# -- the wakeup registry (before the kw86 imports: file.py, imported by
# proc.py, uses it while proc.py is still loading)
_wakeup_listeners = []
timer_hooks = []        # deadline providers (kqueue.py EVFILT_TIMER): .expire(k), .deadlines(k)


def add_wakeup_listener(fn):
    _wakeup_listeners.append(weakref.WeakMethod(fn) if hasattr(fn, "__self__") else fn)


def remove_wakeup_listener(fn):
    for ref in list(_wakeup_listeners):
        target = ref() if isinstance(ref, weakref.WeakMethod) else ref
        if target == fn:
            _wakeup_listeners.remove(ref)


def wakeup(chan):
    """Wake every process sleeping on `chan` (NetBSD's wakeup(9))."""
    for ref in list(_wakeup_listeners):
        fn = ref() if isinstance(ref, weakref.WeakMethod) else ref
        if fn is None:
            if ref in _wakeup_listeners:        # (a nested wakeup may have dropped it)
                _wakeup_listeners.remove(ref)
            continue
        fn(chan)


from kw86.machine import EBX  # noqa: E402
from kw86.nbsd import abi, rusage  # noqa: E402
from kw86.nbsd.errors import Exit, KernelPanic  # noqa: E402

RRTICKS = 10                                 # NetBSD: round robin every hz/10 ticks
ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF = 0, 1, 2      # (proc.py's, sys/time.h)


def _poll_wait():
    from kw86.nbsd.syscalls.poll import PollWait
    return PollWait


def _order(l):
    return (l.proc.seq, l.seq)


_tie = itertools.count()                # heap ties: first queued first

SCHED_OTHER, SCHED_FIFO, SCHED_RR = 0, 1, 2     # NetBSD's sys/sched.h
PRI_USER_RT = 128                       # NetBSD's sys/param.h: real-time kernel priorities


def eprio(l):
    """l's place in the queue: PRI_USER_RT + its priority for a real-time
    LWP; 0 for every time-sharing one (kw86's round robin has no dynamic
    time-sharing priority, so they rank equal)."""
    return PRI_USER_RT + l.sched_pri if l.sched_class else 0


_dq_contains, _dq_len = deque.__contains__, deque.__len__


class RunQueue(deque):
    """The run queue.  The deque itself holds the time-sharing LWPs in
    round-robin order (what kw86's one queue always was: popleft, append);
    real-time LWPs wait in .rt, a FIFO list per priority (pri -> deque),
    and go first, highest priority first.  `in`, remove() and len() see
    both, so code that drops an LWP from the run queue needs no change."""

    def __init__(self):
        super().__init__()
        self.rt = {}            # real-time priority -> deque of LWPs
        self.nrt = 0            # LWPs in .rt

    def __len__(self):
        return deque.__len__(self) + self.nrt

    def __bool__(self):
        return self.nrt > 0 or deque.__len__(self) > 0

    def __contains__(self, l):
        if deque.__contains__(self, l):
            return True
        return self.nrt > 0 and any(l in q for q in self.rt.values())

    def remove(self, l):
        if deque.__contains__(self, l):
            deque.remove(self, l)
            return
        for pri, q in self.rt.items():
            if l in q:
                q.remove(l)
                self.nrt -= 1
                if not q:
                    del self.rt[pri]
                return
        raise ValueError("RunQueue.remove(l): l not queued")

    def rt_add(self, l, head=False):
        q = self.rt.get(l.sched_pri)
        if q is None:
            q = self.rt[l.sched_pri] = deque()
        if head:
            q.appendleft(l)
        else:
            q.append(l)
        self.nrt += 1

    def best(self):
        """The highest eprio queued (-1: nothing queued)."""
        if self.nrt:
            return PRI_USER_RT + max(self.rt)
        return 0 if deque.__len__(self) else -1

    def next(self):
        """Take the LWP that runs next: the head of the highest real-time
        list, else the head of the round robin."""
        if self.nrt:
            pri = max(self.rt)
            q = self.rt[pri]
            l = q.popleft()
            self.nrt -= 1
            if not q:
                del self.rt[pri]
            return l
        return self.popleft()


class Scheduler:
    """The Kernel's scheduling half (kernel.Kernel derives from it)."""

    # the sleep queues (made by the first sleep, _sq_init)
    _sleepq = None          # chan -> {Lwp: sleep_gen}: hashable channels
    _sq_odd = None          # [(chan, Lwp, sleep_gen)]: unhashable channels
    _tmoq = None            # heap of (deadline cycles, tie, Lwp, sleep_gen)
    _sleeping = None        # {Lwp: sleep_gen}: who may sleep (the idle loop)
    _sq_added = 0           # entries queued since the last sweep
    _sq_sweep_at = 256      # ... when the next sweep runs
    resched = False         # an LWP that outranks the running one is runnable
    _yield_lwp = None       # the real-time LWP whose sched_yield is under way
    _wr_mine = None         # the process whose want_resched _ask_resched set

    def _sq_init(self):
        self._sleepq, self._sq_odd, self._tmoq, self._sleeping = {}, [], [], {}

    def all_lwps(self):
        """Every LWP of every live process."""
        return [l for q in list(self.sys.procs.values()) if not q.zombie
                for l in q.lwps.values()]

    def _asleep(self, l, gen):
        """Is (l, gen) a live sleep-queue entry: l still in the sleep that
        queued it, in a live process of this system (what all_lwps sees)?"""
        if l.sleep_gen != gen or l.state != "sleep":
            return False
        p = l.proc
        return not p.zombie and p.lwps.get(l.lid) is l and self.sys.procs.get(p.pid) is p

    def _sleepers_on(self, chan):
        """The LWPs asleep on chan, in process-table order."""
        sq = self._sleepq
        if sq is None:
            return []
        try:
            bucket = sq.get(chan)
        except TypeError:                   # an unhashable channel: scan them all
            return [l for l in self.all_lwps()
                    if l.state == "sleep" and any(c is chan or c == chan for c in l.wchans)]
        found = []
        if bucket:
            for l, g in list(bucket.items()):
                if self._asleep(l, g) and any(c is chan or c == chan for c in l.wchans):
                    found.append(l)
                elif not (l.state == "sleep" and l.sleep_gen == g):
                    del bucket[l]           # stale: that sleep is over
            if not bucket:
                sq.pop(chan, None)
        if self._sq_odd:
            seen = set(found)
            for c, l, g in self._sq_odd:
                if (c is chan or c == chan) and l not in seen and self._asleep(l, g):
                    found.append(l)
                    seen.add(l)
        if len(found) > 1:
            found.sort(key=_order)
        return found

    def _wakeup(self, chan):
        for l in self._sleepers_on(chan):
            if l.state == "sleep":
                self._setrun(l)

    def _unqueue(self, l):
        """l's sleep ends: drop its entries (its deadline's go lazily)."""
        sq = self._sleepq
        if sq is None:
            return
        gen = l.sleep_gen
        for c in l.wchans:
            try:
                bucket = sq.get(c)
            except TypeError:
                self._sq_odd = [e for e in self._sq_odd if e[1] is not l]
                continue
            if bucket is not None and bucket.get(l) == gen:
                del bucket[l]
                if not bucket:
                    sq.pop(c, None)
        if self._sleeping.get(l) == gen:
            del self._sleeping[l]

    def _sq_sweep(self):
        """Drop every stale entry (amortized: runs once the entries queued
        since the last sweep could outnumber the live ones)."""
        live = self._asleep
        sq = {}
        for c, bucket in self._sleepq.items():
            b = {l: g for l, g in bucket.items() if live(l, g)}
            if b:
                sq[c] = b
        self._sleepq = sq
        self._sq_odd = [e for e in self._sq_odd if live(e[1], e[2])]
        self._tmoq = [e for e in self._tmoq if live(e[2], e[3])]
        heapq.heapify(self._tmoq)
        self._sleeping = {l: g for l, g in self._sleeping.items() if live(l, g)}
        n = sum(map(len, sq.values())) + len(self._sq_odd) + len(self._tmoq) + \
            len(self._sleeping)
        self._sq_added = 0
        self._sq_sweep_at = max(256, 2 * n)

    def _setrun(self, l):
        """Make LWP l runnable (a suspended one waits for _lwp_continue)."""
        if l.proc.stopped or l.state == "zomb":
            return
        if l.state == "sleep":
            self._unqueue(l)
        l.wchans = ()
        l.deadline = None
        if l.suspended:
            l.state = "susp"
            return
        l.state = "run"
        if l is not self.curlwp:
            rq = self.runq
            if l.sched_class:
                if l not in rq:
                    rq.rt_add(l)
                    self._outranks(l)
            elif not _dq_contains(rq, l):
                # (a time-sharing LWP is only ever in the deque: the
                # deque's own test, without RunQueue's Python one)
                rq.append(l)

    def _outranks(self, l):
        """Runnable l preempts the running LWP if it ranks above it: at the
        return of the current call (userret) or at the clock tick now
        being handled (trap.intr)."""
        cur = self.curlwp
        if cur is not None and cur is not l and eprio(l) > eprio(cur):
            self._ask_resched()

    def _ask_resched(self):
        """The running LWP is to give way: self.resched for the clock tick,
        and its process's want_resched to send the current call through
        userret.  A want_resched set here is taken back when the LWP leaves
        the CPU another way (its call sleeps, the tick preempts it), so it
        does not make its next call yield for nothing."""
        self.resched = True
        p = self.cur
        if not p.want_resched:
            p.want_resched = True
            self._wr_mine = p

    def changepri(self, l, cls, pri):
        """Give l a new class and priority (NetBSD's lwp_changepri and
        sched_changepri): a queued LWP is queued again at its new place (at
        the tail); one that now outranks the running LWP preempts it; the
        running LWP gives way if a runnable one now outranks it."""
        if l.sched_class == cls and l.sched_pri == pri:
            return
        before = eprio(l)
        l.sched_class, l.sched_pri = cls, pri
        if eprio(l) == before:
            return                  # the same kernel priority: nothing moves
        rq = self.runq
        if l is self.curlwp:
            if rq.best() > eprio(l):
                self._ask_resched()
        elif l.state == "run" and l in rq:
            rq.remove(l)
            if cls:
                rq.rt_add(l)
                self._outranks(l)
            else:
                rq.append(l)

    def _sleep(self, l, chan):
        if chan.__class__ is not _poll_wait():
            l.timed_start = None        # (a timed call's, left by an error)
        if l.state == "sleep":
            self._unqueue(l)            # (asleep already: that sleep ends)
        l.state = "sleep"
        l.wchans = wchans = tuple(getattr(chan, "chans", (chan,)))
        tmo = getattr(chan, "timeout_ns", None)
        l.deadline = None if tmo is None else self.m.cycles + tmo * self.m.clock_hz // 10**9
        if self._sleepq is None:
            self._sq_init()
        l.sleep_gen = gen = l.sleep_gen + 1
        sq = self._sleepq
        for c in wchans:
            try:
                b = sq.get(c)
                if b is None:
                    sq[c] = b = {}
            except TypeError:
                self._sq_odd.append((c, l, gen))
                continue
            b[l] = gen
        self._sleeping[l] = gen
        n = len(wchans) + 1
        if l.deadline is not None:
            heapq.heappush(self._tmoq, (l.deadline, next(_tie), l, gen))
            n += 1
        self._sq_added += n
        if self._sq_added > self._sq_sweep_at:
            self._sq_sweep()

    def _next_deadline(self):
        """The earliest timed sleep's deadline (None: none), dropping stale
        heap entries on the way."""
        heap = self._tmoq
        while heap:
            d, _, l, g = heap[0]
            if self._asleep(l, g) and l.deadline == d:
                return d
            heapq.heappop(heap)
        return None

    def _anyone_asleep(self):
        s = self._sleeping
        if not s:
            return False
        stale = []
        found = False
        for l, g in s.items():
            if self._asleep(l, g):
                found = True
                break
            stale.append(l)
        for l in stale:
            del s[l]
        return found

    def _expire_timers(self):
        now = self.m.cycles
        for h in timer_hooks:
            h.expire(self)
        heap = self._tmoq
        if heap and heap[0][0] <= now:
            due = []
            while heap and heap[0][0] <= now:
                d, _, l, g = heapq.heappop(heap)
                if self._asleep(l, g) and l.deadline == d:
                    due.append((l, g))
            if len(due) > 1:
                due.sort(key=lambda e: _order(e[0]))
            for l, g in due:
                if l.state == "sleep" and l.sleep_gen == g:
                    l.poll_timedout = True
                    self._setrun(l)
                    if l.state == "sleep" and l.sleep_gen == g:
                        # (its process is stopped: still due at the next tick)
                        heapq.heappush(heap, (l.deadline, next(_tie), l, g))
        if self.timer_procs:
            now_ns = self.clock()
            for q in list(self.timer_procs):
                t = q.itimers.get(ITIMER_REAL)
                if q.state == "zomb" or t is None:
                    self.timers_changed(q)
                elif t[0] <= now_ns:
                    if t[1]:
                        t[0] += ((now_ns - t[0]) // t[1] + 1) * t[1]
                    else:
                        del q.itimers[ITIMER_REAL]
                        self.timers_changed(q)
                    q.post_signal(abi.NBSD_SIGALRM)

    def timers_changed(self, q):
        """q's ITIMER_REAL was set or cleared (syscalls/kern.py)."""
        if ITIMER_REAL in q.itimers and q.state != "zomb":
            self.timer_procs.add(q)
        else:
            self.timer_procs.discard(q)

    def _charge_tick(self, p, user):
        """The clock tick charges the running process (statclock): its CPU
        time, and its virtual (user ticks only) and profiling timers."""
        p.cpu_ns += self._tick_ns
        its = p.itimers
        if its:
            for which, sig in ((ITIMER_VIRTUAL, abi.NBSD_SIGVTALRM),
                               (ITIMER_PROF, abi.NBSD_SIGPROF)):
                t = its.get(which)
                if t is None or (which == ITIMER_VIRTUAL and not user):
                    continue
                t[0] -= self._tick_ns
                if t[0] <= 0:
                    if t[1]:
                        t[0] += t[1]
                    else:
                        del its[which]
                    p.post_signal(sig)

    def _timer_deadlines(self):
        """ITIMER_REAL expiries in guest cycles (an idle clock jumps to them)."""
        hz = self.m.clock_hz
        return [-(-(q.itimers[ITIMER_REAL][0] - self.epoch_ns) * hz // 10**9)
                for q in self.timer_procs if ITIMER_REAL in q.itimers]

    def _preempt(self, l, fesp):
        """The running LWP l may give way (its quantum ran out, it yields,
        or one that outranks it is runnable).  A time-sharing LWP goes to
        the tail of the round robin and the next LWP runs (kw86's round
        robin, as it always was); a real-time one only for a runnable LWP
        that outranks it, or one of its own priority when it yields or
        its RR slice ran out."""
        if l.sched_class:
            yielding = self._yield_lwp is l
            self._yield_lwp = None
            best = self.runq.best()
            mine = eprio(l)
            if yielding or (l.sched_class == SCHED_RR and l.ticks >= self.quantum):
                if best < mine:
                    l.ticks = 0             # (RR: a new slice, nobody else at its level)
                    return
                head = False                # to the tail of its list
            elif best > mine:
                # preempted: FIFO to the head of its list, RR too unless
                # its slice is used up (NetBSD's sched_enqueue)
                head = l.sched_class == SCHED_FIFO or l.ticks < self.quantum
            else:
                return
            l.ticks = 0
            l.state = "run"
            self.runq.rt_add(l, head=head)
            self._switch_away(l, fesp)
            return
        l.ticks = 0
        l.state = "run"
        self.runq.append(l)
        self._switch_away(l, fesp)

    def _switch_away(self, l, fesp):
        """LWP l stops running (parked at fesp); run the next one."""
        l.saved_esp = fesp
        if self._wr_mine is not None:
            if self._wr_mine is l.proc:
                l.proc.want_resched = False     # (_ask_resched's: the switch is here)
            self._wr_mine = None
        if self.curlwp is l:
            self.cur = None             # not running: a wakeup must queue it
            self.curlwp = None
        while self.final_status is None:        # (pid 1 may die on the way)
            q = self._pick()
            if self.final_status is not None:
                return                  # kw86 ends (_host_end)
            if q is None and self._stop_host():
                continue                # kw86 was stopped and continued: SIGCONT sent
            if q is None:
                self.sys.stderr.write("kw86: deadlock: every process sleeps (or is "
                                      "stopped) with nobody to wake it\n")
                lead = self.initial             # the program kw86 runs
                self.final_status = abi.w_termsig(abi.NBSD_SIGKILL)
                if lead is not None:
                    lead.status = self.final_status
                self.m.stop()
                return
            if self._switch_to(q):
                return

    def _stop_host(self):
        """Every process is stopped by a signal (or asleep with nothing to
        wake it): stop kw86 itself, as a native program would stop; on the
        host's SIGCONT send SIGCONT to the guest's stopped processes.  False
        when nothing is stopped or kw86 cannot stop (no job control: its
        process group is orphaned, so nobody could continue it)."""
        import signal
        stopped = [q for q in self.sys.procs.values() if q.stopped and q.state != "zomb"]
        if not stopped or not hasattr(signal, "SIGSTOP"):
            return False
        if os.getppid() == 1:
            self.sys.stderr.write(f"kw86: {stopped[0].comm}: stopped (signal "
                                  f"{stopped[0].stopsig}) and kw86 cannot stop: no job control\n")
            return False
        try:
            if self.sys.stderr is not None:
                self.sys.stderr.flush()
        except (OSError, ValueError):
            pass
        os.kill(os.getpid(), signal.SIGSTOP)
        for q in stopped:
            if q.stopped and q.state != "zomb":
                q.post_signal(abi.NBSD_SIGCONT)
        return True

    def _pick(self):
        """The next runnable LWP; idles (host select, or the clock jumps)
        while every LWP sleeps."""
        while True:
            if self.host_pending:
                self._deliver_host_signals()
            if (self._host_deadline is not None or self._host_abort is not None) and \
                    self._host_end():
                return None
            self._expire_timers()
            rq = self.runq
            while True:
                if rq.nrt:
                    q = rq.next()
                elif _dq_len(rq):
                    q = rq.popleft()        # (the round robin: the deque's own calls)
                else:
                    break
                if q.state == "run" and not q.proc.zombie:
                    return q
            if not self._anyone_asleep():
                return None
            d = self._next_deadline()
            deadlines = [] if d is None else [d]
            if self.timer_procs:
                deadlines += self._timer_deadlines()
            deadlines += [d for h in timer_hooks for d in h.deadlines(self)]
            wait = None if not deadlines else \
                max(0, min(deadlines) - self.m.cycles) / self.m.clock_hz
            if self._sleepers_on(self.console):
                # the host's SIGINT/SIGTERM/SIGHUP end the wait too
                irfd = self._idle_rfd
                if self._host_deadline is not None:
                    left = max(0.0, self._host_deadline[0] - time.monotonic())
                    wait = left if wait is None else min(wait, left)
                fds = [self.console.in_fd] + ([irfd] if irfd is not None else [])
                r, _, _ = select.select(fds, [], [], wait)
                if irfd is not None and irfd in r:
                    try:
                        os.read(irfd, 64)
                    except OSError:
                        pass
                    self._deliver_host_signals()
                    continue
                if r:
                    self._wakeup(self.console)
                    continue
                if self._host_deadline is not None and \
                        time.monotonic() >= self._host_deadline[0]:
                    continue                    # the host's deadline, not a guest timer
            elif wait is None:
                return None
            if deadlines:
                jump = max(0, min(deadlines) - self.m.cycles)
                self.idle_cycles += jump
                self.m.add_cycles(jump)

    def _load_tls(self, q):
        """Point the GUGS (%gs) and GUFS (%fs) descriptors at q's TLS bases
        (_lwp_setprivate, sysarch I386_SET_GSBASE/FSBASE): its trap exit
        reloads %gs and %fs from the GDT."""
        if self._gdt_tls != q.tls_base:
            self.load_gs(q)
        if self._gdt_fs != q.fs_base:
            self.load_fs(q)

    def _write_user_desc(self, sel, base):
        from kw86.nbsd.boot import GDT_PHYS, seg_desc
        self.m.write(GDT_PHYS + sel * 8, seg_desc(base, 0xfffff, 0xf3))

    def load_gs(self, q):
        self._write_user_desc(abi.GUGS_SEL, q.tls_base)
        self._gdt_tls = q.tls_base

    def load_fs(self, q):
        base = q.fs_base
        self._write_user_desc(abi.GUFS_SEL, base)
        self._gdt_fs = base

    def _switch_to(self, l):
        """Resume LWP l where it is parked; False if it died on a pending signal."""
        q = l.proc
        if l.kcont is not None:
            # a posix_spawn child woken in a file action: its kernel part
            # goes on (syscalls/spawn.py); False: it sleeps again or is gone
            kc, l.kcont = l.kcont, None
            if not kc.resume(l):
                return False
        rusage.switch(self, q, l)
        self.cur = q
        self.curlwp = l
        self.resched = False            # (what was asked for: a switch)
        self._yield_lwp = None
        q.l = l                         # curlwp of its process
        m = self.m
        if self.dead_kstacks:
            # LWPs that exited: the CPU has left their stacks for good
            for top in self.dead_kstacks:
                self.boot.free_kstack(top)
            self.dead_kstacks = []
        self._core.set_gpr(EBX, 0)      # ebx: not KW86_FAST, its frame holds its result
        self._load_tls(l)
        self.kapi.switched(q)           # curproc (kapi.py)
        self.fpu.switch(l)              # CR0.TS unless l owns the FPU (fpu.py)
        m.set_cr(3, q.vm.pdir)
        m.flush_tlb()
        self.boot.set_esp0(l.kstack)
        m.set_reg("esp", l.saved_esp)
        # every parked process resumes after locore's hypercall (also when
        # the switch happens in a hypercall a kernelware forged elsewhere)
        m.set_reg("eip", self._hc_return)
        if m.get_reg("cs") != abi.KCODE or m.get_reg("ss") != abi.KDATA:
            m.load_segment("cs", abi.KCODE)
            m.load_segment("ss", abi.KDATA)
        try:
            if not (q.kernelware and l.saved_esp >= abi.KERNBASE and
                    self.boot.read_frame(l.saved_esp).short):
                # (a kernelware preempted in the gate's exit, its frame on
                # its kernel stack (trap.intr): signals wait for its next call)
                self._check_signals(q, l.saved_esp)
        except Exit as e:
            self._exit(q, e.status, switch=False)
            return False
        except (MemoryError, KernelPanic):
            raise
        except Exception as e:
            # its frame or stack is broken (kernel memory a kernelware wrote)
            self.sys.stderr.write(f"kw86: pid {q.pid} ({q.comm}): cannot resume "
                                  f"({type(e).__name__}: {e}): killed by SIGKILL\n")
            self._exit(q, abi.w_termsig(abi.NBSD_SIGKILL), switch=False)
            return False
        if q.stopped or l.state != "run":
            self.cur = None             # stopped, or suspended by its own signal
            self.curlwp = None
            return False
        return True
