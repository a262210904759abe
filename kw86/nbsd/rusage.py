"""User and system time of a process (getrusage, times, clock) from the
modelled machine, as NetBSD's kern_resource.c calcru() computes them.

NetBSD measures each LWP's run time exactly (l_rtime: the time between
being switched in and out, plus the slice now running) and samples the
mode at each statclock tick (p_uticks when the tick interrupted user mode,
p_sticks when it interrupted the kernel).  calcru() splits the run time in
the proportion of the ticks (u * ticks / total), and half and half while a
process has taken no tick yet.  kw86 does the same on its own clock:

- run time is guest cycles (Machine.cycles) between switch-in and
  switch-out, converted with the machine's clock rate; the cycles the
  Python kernel charges in a hypercall (the kernel-cost table, the disk
  model, page faults) land inside those intervals like any other work of
  the process, and an idle machine's clock jumps (every process asleep)
  are between switches, so they belong to nobody;
- a tick is "user" when it interrupted CPL 3.  A kernelware runs its own
  code at CPL 0, i.e. in kernel mode, and NetBSD's statclock (CLKF_USERMODE
  tests the interrupted code segment's privilege) would charge those ticks
  as system time: so a kernelware's time is system time, and its
  ITIMER_VIRTUAL is a separate matter (trap.intr).

The kernel calls four hooks (one line each):
  Kernel.run, first line (pid 1 starts):       rusage.switch(self, self.cur)
  sched.Scheduler._switch_to(l), first line:  rusage.switch(self, l.proc)
  trap.intr, after `user = bool(tf.cs & 3)`:   rusage.statclock(p, user)
  kernel.wait6, where a zombie is reaped:     rusage.reap(p, c)
and getrusage (syscalls/kern.py) asks rusage.getrusage(p, who); wait4's
rusage gets what reap returns.  The hooks are installed (without them, in a
harness that never calls switch, a process's run time is its tick count
(p.cpu_ns), all of it user time).  With them: a loop of 2,000,000 additions and 3,000 getppid calls
reports utime 0.016226 s, stime 0 as a user process, and utime 0, stime
0.014671 s as a kernelware.
"""


class _Acct:
    """The accounting fields of one process."""
    __slots__ = ("rt_cycles", "since", "idle_at", "uticks", "sticks", "child_ut_us",
                 "child_st_us", "lwp_rt")

    def __init__(self):
        self.rt_cycles = 0          # run time of finished slices
        self.since = None           # Machine.cycles at switch-in while running
        self.idle_at = 0            # the kernel's idle_cycles then (clock jumps are nobody's)
        self.uticks = 0
        self.sticks = 0
        self.child_ut_us = 0        # of reaped children (and theirs)
        self.child_st_us = 0
        self.lwp_rt = {}            # lid -> run time of its finished slices (cycles)


def acct(p):
    a = getattr(p, "ru_acct", None)
    if a is None:
        a = _Acct()
        p.ru_acct = a
    return a


def statclock(p, user):
    """A clock tick interrupted p (None: idle) in user mode (CPL 3) or not."""
    if p is None:
        return
    a = acct(p)
    if user:
        a.uticks += 1
    else:
        a.sticks += 1


def rlimit_cpu(k, p):
    """RLIMIT_CPU, as NetBSD's sched_pstats: a process whose run time has
    reached rlim_cur gets SIGXCPU and 5 more seconds (rlim_cur += 5, while
    below rlim_max); at rlim_max, SIGKILL.  Checked at the clock ticks that
    interrupt it (NetBSD looks once a second), only once a limit was set."""
    lim = p.rlimits.get(0)                      # NBSD_RLIMIT_CPU
    if lim is None:
        return
    cur, mx = lim
    us = _run_us(p, k)
    if us is None:
        us = p.cpu_ns // 1000
    secs = us // 1000000
    if secs < cur:
        return
    from kw86.nbsd import abi
    if secs >= mx:
        p.post_signal(abi.NBSD_SIGKILL)
    else:
        p.post_signal(abi.NBSD_SIGXCPU)
        if cur < mx:
            lim[0] = cur + 5


def _slice(k, a):
    """Cycles of the slice running since a.since, less idle clock jumps."""
    return k.m.cycles - a.since - (getattr(k, "idle_cycles", 0) - a.idle_at)


def switch(k, nxt, l=None):
    """The CPU goes from the process whose slice is open (k.ru_running; at
    the first call k.cur) to process nxt, LWP l (may be the same).  The
    first call finds the first process running since the machine started
    (its image was loaded in its name: profile.py does the same).  (The
    scheduler has already cleared k.cur when it picks the next LWP, so the
    open slice is remembered here: a process asleep is not running.)"""
    first = not getattr(k, "ru_hooked", False)
    prev = getattr(k, "ru_running", None) if not first else getattr(k, "cur", None)
    if first:
        k.ru_hooked = True
        if prev is not None:
            a = acct(prev)
            if a.since is None and a.rt_cycles == 0:
                a.since, a.idle_at = 0, 0
                pl = getattr(prev, "l", None)
                if pl is not None:
                    k.ru_lwp = (a, pl.lid, 0, 0)
    if prev is not None and prev is not nxt:
        a = acct(prev)
        if a.since is not None:
            a.rt_cycles += _slice(k, a)
            a.since = None
    k.ru_running = nxt
    if l is None and nxt is not None:
        l = getattr(nxt, "l", None)
    open_ = getattr(k, "ru_lwp", None)      # (acct, lid, since, idle_at) of the LWP running
    if open_ is not None and (nxt is None or l is None or open_[0] is not acct(nxt) or
                              open_[1] != l.lid):
        la, lid, since, idle_at = open_
        la.lwp_rt[lid] = la.lwp_rt.get(lid, 0) + k.m.cycles - since - \
            (getattr(k, "idle_cycles", 0) - idle_at)
        k.ru_lwp = open_ = None
    if nxt is not None:
        a = acct(nxt)
        if a.since is None:
            a.since, a.idle_at = k.m.cycles, getattr(k, "idle_cycles", 0)
        if open_ is None and l is not None:
            k.ru_lwp = (a, l.lid, k.m.cycles, getattr(k, "idle_cycles", 0))


def lwp_run_ns(p, lid, k):
    """Run time of LWP lid of process p in ns (CLOCK_THREAD_CPUTIME_ID:
    NetBSD's l_rtime); None when it was never measured (no hook)."""
    if k is None or not getattr(k, "ru_hooked", False):
        return None
    a = acct(p)
    cyc = a.lwp_rt.get(lid, 0)
    open_ = getattr(k, "ru_lwp", None)
    if open_ is not None and open_[0] is a and open_[1] == lid:
        cyc += k.m.cycles - open_[2] - (getattr(k, "idle_cycles", 0) - open_[3])
    return cyc * 10**9 // k.m.clock_hz


def _run_us(p, k):
    """Run time in microseconds, None when it was never measured (no hook)."""
    if k is None or not getattr(k, "ru_hooked", False):
        return None
    a = acct(p)
    cyc = a.rt_cycles
    if a.since is not None:
        cyc += _slice(k, a)
    elif a.rt_cycles == 0 and getattr(k, "cur", None) is p:
        cyc = k.m.cycles - getattr(k, "idle_cycles", 0)     # the first process, before a switch
    return cyc * 10**6 // k.m.clock_hz


def calcru(p, k):
    """(user us, system us) of p itself: NetBSD's calcru over kw86's run time."""
    a = acct(p)
    u = _run_us(p, k)
    if u is None:                   # the switch hook is not installed: ticks only
        return p.cpu_ns // 1000, 0
    tot = a.uticks + a.sticks
    if tot == 0:
        return u // 2, u // 2
    return u * a.uticks // tot, u * a.sticks // tot


def reap(parent, child):
    """wait(2) reaped child: its times and its children's go to the parent
    (NetBSD's ruadd into p_cru)."""
    k = getattr(child, "kernel", None)
    ut, st = calcru(child, k)
    c = acct(child)
    pa = acct(parent)
    pa.child_ut_us += ut + c.child_ut_us
    pa.child_st_us += st + c.child_st_us
    return ut + c.child_ut_us, st + c.child_st_us


def getrusage(p, who):
    """(ru_utime us, ru_stime us) for RUSAGE_SELF (0) or RUSAGE_CHILDREN (-1)."""
    if who == 0:
        return calcru(p, getattr(p, "kernel", None))
    a = acct(p)
    if a.child_ut_us or a.child_st_us:
        return a.child_ut_us, a.child_st_us
    return p.child_cpu_ns // 1000, 0        # children reaped before the hooks
