"""Run the Open POSIX Test Suite's conformance tests under kw86 (not part of CI).

The suite (posixtestsuite 1.5.2, GPL) is not in this repository.  Debian
ships its sources as a source package: with a deb-src line for the same
suite in the apt sources, `apt-get source --download-only posixtestsuite`
fetches posixtestsuite_1.5.2.orig.tar.gz; unpack it anywhere and pass its
top directory with --suite.

Which tests: conformance/interfaces/<interface>/N-M.c for the signal,
process, memory, clock and time interfaces, i.e. every interface but the
thread (pthread_*), semaphore (sem_*), message-queue (mq_*) and
asynchronous-I/O (aio_*, lio_listio) ones: 974 tests.  Each is compiled
alone against kw86's libc (userland/build.py's compiler flags, the suite's
include/ directory) and linked with crt0 and libc.a; a test that does not
compile or link is counted as "does not build" with the first missing
name.  A test named N-M-buildonly.c passes by building.  Each built test
runs under `kw86 exec` as a user process and as a kernelware
(`--kernelware`) from the suite's top directory (bound at /pts), with a
host timeout; the suite's exit
codes: 0 PASS, 1 FAIL, 2 UNRESOLVED, 4 UNSUPPORTED, 5 UNTESTED; anything
else (a signal, a timeout) counts as FAIL.

    python tools/posix_suite.py --suite /path/to/posixtestsuite [-j 2] \
        [--only sched_,sig] [--threads] [--json results.json]

(--threads adds the pthread_* and sem_* interfaces: 1,426 tests in all.)

prints one line per test and a summary: built/total, and per mode PASS,
FAIL, UNRESOLVED, UNSUPPORTED, UNTESTED, and whether the two modes agree.

Recorded (2026-12-06, -j 2 at load 10-12; both modes agree on every test):
  before issue 14 (77f4c85^): 536 of 974 build, PASS 480 FAIL 15
      UNRESOLVED 4 UNSUPPORTED 9 UNTESTED 28
  after the non-thread part (HEAD of 22:52): 683 of 974 build, PASS 559
      FAIL 24 UNRESOLVED 41 UNSUPPORTED 20 UNTESTED 39; no test went from
      PASS to anything else.  Most new UNRESOLVED are shm_open names
      without a leading '/', which NetBSD's librt refuses (EINVAL) too; the
      rest does not build for <pthread.h> (182), timer_t (40), SIGPOLL (26,
      NetBSD has none), sigqueue/sigwait*/sigtimedwait (33).
  after issues 11 and 14 (HEAD of 23:57, LWPs, libpthread, timers, sigwait):
      925 of 974 build, PASS 728 FAIL 55 UNRESOLVED 48 UNSUPPORTED 27
      UNTESTED 67 in both modes, which agree on every test (21 of the FAILs:
      sigaction/16-*, sem_wait returning EINTR under SA_RESTART); with
      --threads 1,314 of 1,426 build, PASS 1,083 as processes and 1,072 as
      kernelware, the modes agree on 1,303.
  correctness sweep (2026-12-07, -j 2 at load 10-13; before = 9ff8517 and
      after = the sweep's commits, each from a clean worktree, measured in
      passes: the interfaces up to pthread_mutexattr_init, raise..timer
      without sigaction, sigaction): the 974 non-thread tests, before 929
      build, PASS 751 in both modes; after 932 build, PASS 785 as processes
      and 784 as kernelware (fork/22-1: a timeout under load, passes alone).
      With --threads (all 1,426, a fourth pass for pthread_mutexattr_*..
      pthread_testcancel): before 1,361 build, PASS 1,108 / 1,099, modes
      agree on 1,352; after 1,369 build, PASS 1,148 / 1,140, agree on
      1,361 (pthread_atfork..pthread_mutexattr_init measured before the
      kernelware two-signal fix b927c89; the 7 tests it fixed were checked
      alone).
  libc items (2026-12-07, session 5: nl_langinfo, catopen/catgets/catclose
      with /usr/bin/gencat, NetBSD's setpgrp(pid, pgid), the scanf family,
      S_I* from <fcntl.h> and pthread_sigmask in <signal.h> for XSI
      programs), measured at 8b98db0 from a copy of the tree, one pass
      without and one with --only pthread_,sem_ --threads, -j 2 at load
      6-10: the 974 non-thread tests, 937 build, PASS 791 FAIL 34
      UNRESOLVED 52 UNSUPPORTED 20 UNTESTED 40 in both modes, which agree
      on all 937 (was 932 / 785 / 784): fork/7-1 (gencat, catopen),
      strftime/1-1, 2-1 (nl_langinfo), sched_setparam/2-1, 2-2 (scanf)
      build and pass; clock/1-1 still fails (below; fork/11-1 passes since
      63dcf14).  The
      452 pthread_* and sem_* tests: 441 build, PASS 365 as processes and
      364 as kernelware (pthread_kill/8-1: a timeout under load as a
      kernelware), the modes agree on 440; so all 1,426: 1,378 build
      (was 1,369), PASS 1,156 / 1,155 (was 1,148 / 1,140), agree on
      1,377.  Timeouts at this load: clock/1-1, pthread_create/14-1,
      pthread_detach/4-3 (pass on a quiet machine).
  regression check of the day's kernel changes (2026-12-07: System V
      IPC, posix_spawn and the smaller NetBSD calls, PIE/PT_INTERP exec,
      the rename and chown flavours, RLIMIT_FSIZE/CPU/NTHR, system-wide
      file and knote limits, map-entry and lock limits, hostlog), -j 2
      at load 2-5, compared per test with the 8b98db0 results: no test
      that passed fails now, in either mode.  The 974 non-thread tests
      at 9af39c2: 939 build (sched_setparam/9-1, 10-1 now find
      <sys/ipc.h>; both FAIL, kw86's run queue, below), PASS 793 FAIL 34
      UNRESOLVED 52 UNSUPPORTED 20 UNTESTED 40 in both modes, which agree
      on all 939; newly passing fork/11-1 (63dcf14) and clock/1-1 (73 s
      as a process, 60 s as kernelware; it timed out at 120 s at 8b98db0
      and at d580ab9, a host-time limit, not a kernel change).  The 452
      thread tests at d580ab9 and again at 9af39c2, the same per test:
      441 build, PASS 367 in both modes (was
      365 / 364), agree on 441; pthread_create/14-1, pthread_detach/4-3
      and pthread_kill/8-1 as kernelware, timeouts under load at 8b98db0,
      pass.  So all 1,426: 1,380 build, PASS 1,160 in both modes, agree
      on 1,380.  The suite has no tests of rename, chown, posix_spawn,
      fexecve, mremap, mincore, xattrs or the rlimits: those changes are
      checked by kw86's own tests only.
  real-time classes (2026-12-07, kw86/nbsd/sched.py: SCHED_FIFO/SCHED_RR
      run queues, preemption on a wakeup or priority change; libpthread's
      pthread_[gs]etschedparam through the kernel): --only sched_,
      pthread_setschedparam,pthread_getschedparam,pthread_attr_setsched
      --threads -j 1 at load 9-11, before (083b4f5) and after, from a
      worktree each: 103 tests build; before PASS 42 FAIL 11 UNRESOLVED 5
      UNSUPPORTED 20 UNTESTED 25, after PASS 44 FAIL 9, the same in both
      modes, which agree on all 103: sched_setparam/9-1 (a raised process
      preempts its caller) and 10-1 (a caller that lowers itself gives way)
      pass; nothing else changed.  The 9 FAILs left are NetBSD's
      (SCHED_OTHER has no priority; toor), below.  The same again at the
      end of the work (want_resched taken back, 0d34519): the same per
      test.  After only, for the libpthread change (PTHREAD_EXPLICIT_SCHED
      through a suspended LWP): --only pthread_setschedprio,
      pthread_attr_setinheritsched,pthread_attr_getinheritsched,
      pthread_attr_getsched,pthread_create: 29 build, PASS 29 as processes,
      28 as kernelware (pthread_create/14-1 timed out at load 12: alone it
      passes, 136 s wall, 36 s CPU).
  conformance fixes (posixfix, 2026-12-07: mmap/read access times,
      pthread_spin_unlock, sem_close per sem_open, mmap lengths above
      2 GiB): all 1,426 with --threads -j 2 at load 10-15.  Before: main
      from 083b4f5 as it stood 08:59-09:37 (the run stopped at
      shm_open/13-1 for time; the tests after it from the 974-test run of
      07:58 at 9af39c2+); after: a worktree 09:41-10:22, fcc76d1 (all but
      the mmap length fix), its Python at ed99447 from 10:10 (about the
      pthread_spin_* tests on; the CPU and libc unchanged):
      1,380 build, PASS 1,160 as processes and 1,159 as kernelware (UN-
      RESOLVED 100, UNSUPPORTED 20, UNTESTED 43), the modes agree on 1,379;
      the 974: 939 build, PASS 794 in both modes; the 452 thread tests:
      441 build, PASS 366 / 365.  Newly passing in both modes: mmap/13-1
      (a fault on a MAP_SHARED page marks st_atime), pthread_spin_unlock/
      3-1, sem_open/15-1.  PASS before and not after: clock_gettime/4-1 as
      a process (the 120 s timeout under load, below; alone it passes, 16 s
      wall) and
      pthread_getschedparam/4-1 as a kernelware (killed at 60 s during the
      run; alone it passes, four runs of 6-70 s wall); nothing else.

Triage of what still fails (not kw86 bugs; reference in brackets):
  NetBSD's own behaviour: shm_open names without a leading '/' (librt
  shm.c _shm_get_path: "*name++ != '/' || strchr(name, '/')" is EINVAL,
  which our libc's shm_open does too; ~45 shm_open/shm_unlink/mmap
  tests); sem_open names longer than
  14 characters (uipc_sem.c: ENAMETOOLONG; ~25 sem_* tests); no SIGPOLL
  (26 do not build); realtime signals are not queued (kern_sig.c sigput:
  "notyet" QUEUING; sigqueue/4-1, 8-1, sigaction/29-1, sigwaitinfo/7-1);
  PTHREAD_PROCESS_SHARED is ENOSYS (libpthread *_setpshared); rwlocks
  prefer writers (pthread_rwlock_rdlock/2-3); no asynchronous cancellation
  of a thread blocked in pthread_mutex_lock (pthread_mutex_init/1-2, 3-2
  deadlock by design); SIGEV_THREAD (fork/18-1, timer_create with it);
  timer_create of a CPU clock and clock_getres/settime of one are EINVAL
  (kern_time.c timer_create1, clock_getres1), and clock_gettime of
  0x7fffffff/-1 is ESRCH (a CPU-clock id: clock_gettime/8-2);
  sched_get_priority_max(SCHED_OTHER) is -1 without errno (PRI_NONE);
  CLOCKS_PER_SEC is 100 (clock/2-1); sigaltstack keeps ss_sp with
  SS_DISABLE (sigaltstack/2-1); an unnamed semaphore is shared with a fork
  child (ksem ids are inherited: sem_timedwait/2-1).
  The suite's: zero-filled mutexes/conds never initialised (Linux's
  initializer is all zeros; pthread_cond_*/4-x, cond_destroy/2-1);
  PTHREAD_ONCE_INIT assigned to a struct (pthread_once/3-1, 6-1); "the
  first user that is not root" is NetBSD's toor, uid 0 (sched_getparam/6-1,
  sched_getscheduler/7-1, sched_setscheduler/20-1, sigqueue/3-1, 12-1);
  sigset(sig, SIG_HOLD) must return SIG_HOLD for an unblocked signal
  (sigset/6-1..8-1; POSIX says the previous disposition); NULL attr
  objects (segfault on NetBSD too).
  Load: clock/1-1 (8 M clock() calls) and clock_gettime/4-1 (2.7 M) time
  out at 120 s on the loaded machine (about 9 us of host CPU per call).
  Session 5 additions.  NetBSD's: setpgrp is the 4.3BSD setpgrp(pid_t,
  pid_t) in NetBSD's <unistd.h> (compat-43), so killpg/1-2's setpgrp()
  does not compile, as there; no SIGPOLL in NetBSD's <signal.h> (30
  non-thread tests do not build); raise() is _lwp_kill, so sigwaitinfo
  reports SI_LWP, not SI_USER (sigwaitinfo/6-1); no queued realtime
  signals also fails sigwait/2-1 and sigwaitinfo/8-1 (waits for a second
  instance); timers tick at hz 100, so a 5 ms interval overruns once per
  tick (timer_getoverrun/2-2); SCHED_OTHER has no settable priority
  (sys_sched.c: EINVAL; sched_get_priority_min/max(SCHED_OTHER) is -1
  without errno): sched_setparam/1-1, 5-1, 22-1, 23-1, 23-6, 25-1,
  sched_setscheduler/1-1, 17-1, 19-1, sched_get_priority_*/1-4; 1,000
  concurrent children pass NetBSD's maxproc too (shm_open/23-1: EAGAIN);
  message queues (mqueue.h: fork/19-1) are not in kw86.  (kw86's own
  until the real-time classes, sched.py: sched_setparam/9-1 and 10-1
  failed, the class and priority did not order the one round-robin run
  queue; both pass since.)  The suite's: a test bug
  (timer_getoverrun/2-3 accepts [49, 49), nothing), helpers the runner
  does not build (sigaltstack/9-1 execs 9-buildonly.test), Linux-only
  code (<features.h>, cpu_set_t, main only under __linux__), variables
  named PATH_MAX/NAME_MAX (sem_unlink/5-1).  fork/11-1 (a thread that
  ends holding the stdio lock made exit(3) in another thread wait for it)
  passes since 63dcf14: exit's flush takes no stream lock, as NetBSD's
  _cleanup (fflush(NULL) through _fwalk takes only the list lock).
  posixfix (2026-12-07), every FAIL / UNRESOLVED / does-not-build checked
  again against NetBSD's sources.  Fixed in kw86 (above): mmap/13-1 was
  no Linux-ism (genfs_getpages marks the file accessed on every page it
  brings in), pthread_spin_unlock/3-1, sem_open/15-1.  Differences left,
  with the test failing either way: an invalid (zero-filled) mutex or
  condvar, or a normal mutex unlocked by a thread that does not own it, is
  EINVAL/EPERM from our libpthread where NetBSD's pthread__error calls
  pthread__errorfunc, which aborts the program by default (pthread.c
  pthread__diagassert = DIAGASSERT_ABORT | DIAGASSERT_STDERR): the
  zero-filled tests above and pthread_cond_timedwait/2-3 (a thread exits
  holding the mutex, main unlocks it); a timer's overrun count is fixed
  when its signal is delivered or accepted, as timer_getoverrun(2) and
  POSIX say, where NetBSD's timer_intr fixes pt_poverruns when it posts
  the next signal (timer_getoverrun/2-1 passes here and would read 0
  there; 2-2's 5 ms interval is 10 ms after itimespecfix, so about 36
  overruns where it wants 70 and more, on NetBSD too); pthread_spin_lock
  of a lock the caller holds is EDEADLK here (POSIX's "may fail"), NetBSD
  spins for ever (no owner kept).  NetBSD's: clock_getres of a CPU clock
  (clock_getres/7-1, 8-1) and clock_settime of one (clock_getcpuclockid/
  2-1) are EINVAL (kern_time.c clock_getres1, clock_settime1: REALTIME
  and MONOTONIC only); asynchronous cancellation of a thread blocked in
  pthread_mutex_lock (pthread_setcanceltype/1-1): NetBSD's pthread_cancel
  only wakes the LWP, which acts at cancellation points, and mutex_lock is
  none; sem_unlink/4-2's "/sem_unlink_4_2" and sem_open/1-1, 3-1, 4-1,
  6-1's "/sem_open_N-M_<pid>" are over 14 characters (ENAMETOOLONG);
  mmap/31-1 wants EOVERFLOW for offset + length past 4 GiB, which is no
  wrap in NetBSD's 64-bit off_t: no range holds it, ENOMEM (kw86 too since
  posixfix; it was EINVAL for every length above 2 GiB).  The suite's:
  pthread_rwlock_timedrdlock/6-2, timedwrlock/6-2 end the thread holding
  the lock it got and destroy it (EINVAL on NetBSD too for a held lock);
  pthread_cond_destroy/2-1 destroys its condvar again after zeroing it.
  Host time of the modelled clock (the guest's seconds are its cycles):
  pthread_join/6-3 creates and joins threads under a signal storm for 10
  guest seconds (not done in 1,200 s wall alone at load 15),
  pthread_cond_broadcast/1-2 makes up to 10,000 threads per scenario;
  with pthread_create/14-1, pthread_detach/4-3, pthread_kill/8-1,
  clock/1-1 and clock_gettime/4-1 they time out at 120 s under load.
"""
import argparse
import collections
import concurrent.futures
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXCLUDE = ("pthread_", "sem_", "mq_", "aio_", "lio_listio")
THREAD_IFACES = ("pthread_", "sem_")        # --threads: libpthread and <semaphore.h>
TEST_RE = re.compile(r"^(\d+)-(\d+)(-buildonly)?\.c$")
CODES = {0: "PASS", 1: "FAIL", 2: "UNRESOLVED", 4: "UNSUPPORTED", 5: "UNTESTED"}


def _build_mod():
    spec = importlib.util.spec_from_file_location(
        "kw86_userland_build", os.path.join(REPO, "userland", "build.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def tests_of(suite, only=None, threads=False):
    base = os.path.join(suite, "conformance", "interfaces")
    exclude = tuple(e for e in EXCLUDE if not (threads and e in THREAD_IFACES))
    out = []
    for iface in sorted(os.listdir(base)):
        if iface.startswith(exclude) or not os.path.isdir(os.path.join(base, iface)):
            continue
        if only and not any(iface.startswith(o) for o in only):
            continue
        for f in sorted(os.listdir(os.path.join(base, iface))):
            m = TEST_RE.match(f)
            if m:
                out.append((iface, f, os.path.join(base, iface, f), bool(m.group(3))))
    return out


_MISSING = re.compile(r"(?:undefined symbol: |use of undeclared identifier '|"
                      r"'([^']+)' file not found|call to undeclared function '|"
                      r"unknown type name ')([A-Za-z_0-9./]*)")


def build(b, suite, src, out):
    """Compile and link one test; None or the compiler's first complaint."""
    obj = os.path.join(REPO, "userland", ".obj")
    crt0 = sorted(os.path.join(obj, "crt", f) for f in os.listdir(os.path.join(obj, "crt"))
                  if f.endswith(".o"))
    inc = ["-I", os.path.join(REPO, "userland", "include"),
           "-I", os.path.join(obj, "gen", "include"),
           "-I", os.path.join(suite, "include"), "-I", os.path.dirname(src)]
    zig = [sys.executable, "-m", "ziglang", "cc"]
    o = out + ".o"
    for cmd in (zig + b.CFLAGS + inc + ["-w", "-c", src, "-o", o],
                zig + b.LDFLAGS + crt0 + [o, os.path.join(obj, "libc.a"), "-o", out]):
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode:
            err = r.stderr
            m = _MISSING.search(err)
            first = (m.group(1) or m.group(2)) if m else err.strip().splitlines()[0][:120] \
                if err.strip() else "error"
            return first
    return None


def run(exe, mode, timeout, suite):
    """One test as the suite's scripts run it: from the suite's top directory
    (some tests open their own source), here bound at /pts in the guest."""
    with tempfile.TemporaryDirectory() as d:
        cmd = [sys.executable, "-m", "kw86.cli", "exec", *mode,
               "--bind", f"{os.path.abspath(suite)}:/pts", "--cwd", "/pts",
               "./" + os.path.relpath(exe, REPO)]
        t = time.time()
        try:
            r = subprocess.run(cmd, cwd=REPO, capture_output=True, timeout=timeout,
                               env=dict(os.environ, TMPDIR=d))
        except subprocess.TimeoutExpired:
            return "FAIL", "timeout", time.time() - t
        res = CODES.get(r.returncode, "FAIL")
        tail = (r.stdout + r.stderr).decode(errors="replace").strip().splitlines()
        return res, (tail[-1][:160] if tail else f"exit {r.returncode}"), time.time() - t


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--suite", required=True, help="the unpacked posixtestsuite directory")
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--only", default="", help="comma-separated interface prefixes")
    ap.add_argument("--timeout", type=float, default=120, help="host seconds per run")
    ap.add_argument("--out", default=os.path.join(tempfile.gettempdir(), "kw86-posix-suite"),
                    help="where the test executables go")
    ap.add_argument("--json", help="write every result here")
    ap.add_argument("--threads", action="store_true",
                    help="also the pthread_* and sem_* interfaces (libpthread on LWPs)")
    a = ap.parse_args(argv)
    b = _build_mod()
    only = [o for o in a.only.split(",") if o]
    tests = tests_of(a.suite, only, a.threads)
    os.makedirs(a.out, exist_ok=True)
    results = {}

    def one(t):
        iface, name, src, buildonly = t
        exe = os.path.join(a.out, f"{iface}__{name[:-2]}")
        why = build(b, a.suite, src, exe)
        r = {"interface": iface, "test": name, "built": why is None, "missing": why}
        if why is None and not buildonly:
            for mode, key in (([], "user"), (["--kernelware"], "kernelware")):
                r[key], r[key + "_msg"], r[key + "_s"] = run(exe, mode, a.timeout, a.suite)
        elif why is None:
            r["user"] = r["kernelware"] = "PASS"
        return r

    with concurrent.futures.ThreadPoolExecutor(a.jobs) as ex:
        for r in ex.map(one, tests):
            key = f"{r['interface']}/{r['test']}"
            results[key] = r
            if not r["built"]:
                print(f"{key}: does not build ({r['missing']})", flush=True)
            else:
                print(f"{key}: {r['user']} / {r['kernelware']}  {r.get('user_msg', '')}",
                      flush=True)
    built = [r for r in results.values() if r["built"]]
    print(f"\n{len(built)} of {len(results)} build")
    missing = collections.Counter(r["missing"] for r in results.values() if not r["built"])
    for name, n in missing.most_common(15):
        print(f"  does not build: {n:4d}  {name}")
    for mode in ("user", "kernelware"):
        c = collections.Counter(r[mode] for r in built)
        print(f"{mode:10s} " + "  ".join(f"{k} {c.get(k, 0)}" for k in
                                         ("PASS", "FAIL", "UNRESOLVED", "UNSUPPORTED",
                                          "UNTESTED")))
    agree = sum(r["user"] == r["kernelware"] for r in built)
    print(f"modes agree on {agree} of {len(built)}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
