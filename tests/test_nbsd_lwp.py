"""LWPs (issue 11 item 1; kw86/nbsd/proc.py Lwp, sched.py, syscalls/lwp.py).

tests/guest/lwp.c makes NetBSD's thread calls raw (syscall(2)) with a
hand-built ucontext_t, as a user process and as a kernelware (its LWPs run
at CPL 0, preempted through the kwhook): every call and its errors,
park/unpark, preemption between CPU-bound LWPs, a blocking read that blocks
only its LWP, signals (process-directed to an LWP that does not mask them,
_lwp_kill to one, a sleeper woken with EINTR), fork and exec from a
multi-LWP process, exit from a second LWP, the last _lwp_exit, per-LWP
FPU state, SIGSTOP/SIGCONT of every LWP, EAGAIN on a small machine, wild
contexts, and random sequences of LWP operations (hypothesis).  The
expected values are NetBSD's errno numbers (sys/errno.h: ESRCH 3, EINTR 4,
EDEADLK 11, EFAULT 14, ENODEV 19, EINVAL 22, EALREADY 37, ETIMEDOUT 60).
"""
import os
import struct

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from buildreq import built, fail_build
from nbsd_env import SYSROOT, Env, guest_program
from kw86.nbsd import abi

pytestmark = built(os.path.exists(os.path.join(SYSROOT, "bin", "sh")), "the userland sysroot")

MODES = [False, True]
IDS = ["user", "kernelware"]
ESRCH, EINTR, EDEADLK, EFAULT, ENODEV, EINVAL, EALREADY, ETIMEDOUT = 3, 4, 11, 14, 19, 22, 37, 60


@pytest.fixture(scope="module")
def lwp():
    path = guest_program("lwp")
    if path is None:
        fail_build(guest_program.why)
    return path


def run(tmp_path, path, args, kernelware, tweak=None, **kw):
    """lwp as pid 1 in an in-process Kernel: (wait status, output, kernel)."""
    from kw86.nbsd.kernel import Kernel
    with open(path, "rb") as f:
        image = f.read()
    out = tmp_path / "out"
    with open(out, "wb") as f, open(os.devnull, "rb") as null:
        k = Kernel(SYSROOT, stdin=null.fileno(), stdout=f.fileno(), stderr=f.fileno(),
                   epoch_ns=0, **kw)
        try:
            if tweak is not None:
                tweak(k)
            k.spawn(b"/lwp", [b"lwp"] + [a.encode() for a in args], [b"PATH=/bin"],
                    kernelware, host_image=image)
            status = k.run(max_instructions=200_000_000)
        finally:
            k.close()
    return status, out.read_text(), k


CALLS = f"""self is pid 1
wait any alone {EDEADLK}
wait self {EDEADLK}
wait none {ESRCH}
kill none {ESRCH}
kill badsig {EINVAL}
kill self 0 0
suspend alone {EDEADLK}
wakeup running {ENODEV}
detach none {ESRCH}
continue none {ESRCH}
create badctx {EFAULT}
create badid {EFAULT}
wait any still alone {EDEADLK}
create badcs {EINVAL}
create high selector bits 0 wait 0 ran 6
new lid differs 1
wait it 0
departed 1 ran 7 self-seen 1 private 1 mine-unchanged 1
lwpctl 0 cpu 0 own block 1 same again 1 bad feature {ENODEV}
wait reaped {ESRCH}
wait any 0 departed 1 ran 8
wait detached {EINVAL}
detach detached {EINVAL}
detached gone {ESRCH}
wait any only detached {EDEADLK}
woken 0
getname 0 sleeper
getname short sle
wait woken 0 res 1
getname gone {ESRCH}
suspended ran 0
continue 0
wait continued 0 ran 5
suspend other 0
suspend again 0
continue other 0
detach live 0
calls done
"""

PARK = f"""unpark self 0
park after unpark {EALREADY}
park timeout {ETIMEDOUT} left 0.000000000
unparked first {EALREADY}, ts kept 1
bad ts before the pending unpark {EINVAL}
pending still {EALREADY}
park abs past {ETIMEDOUT}
park abs 3ms {ETIMEDOUT}
slept until it 1
park bad ts {EINVAL}
park bad unpark {ESRCH}
park bad ts ptr {EFAULT}
unpark none {ESRCH}
unpark_all max 1024
unpark_all too many {EINVAL}
unpark_all bad ptr {EFAULT}
parked still 1
unpark it 0
park returned 0
unpark_all 0
park returned 0
park+unpark {ETIMEDOUT}
park returned 0
kill parked 0
park returned {EINTR} handler in it 1
park done
"""

SIGNALS = f"""process signal went to the unmasked LWP 1
directed masked pending 1
taken on unmask by main 1
directed to the other 1
sleeper interrupted {EINTR} by handler in it 1
all masked pending 1
taken when main unmasks 1
signals done
"""


@pytest.mark.parametrize("kw", MODES, ids=IDS)
@pytest.mark.parametrize("mode,expect", [
    ("calls", CALLS),
    ("park", PARK),
    ("signals", SIGNALS),
    ("preempt", "preempt: all advanced 1\n"),
    ("block", "block: read 5 main ran 1\n"),
    ("fork", "fork: child status 7, other LWP still here 1\n"),
    ("exec", "exec ok\n"),
    ("stop", "stop: continued, spinner went on 1, parked one unparked 0\n"
             "stopped: main 1, the other LWP too 1\n"),
], ids=["calls", "park", "signals", "preempt", "block", "fork", "exec", "stop"])
def test_lwp_guest(tmp_path, lwp, kw, mode, expect):
    status, out, k = run(tmp_path, lwp, [mode], kw)
    assert (status, out) == (0, expect)
    # every LWP and kernel stack is gone with the process
    assert not k.lwp_ids


@pytest.mark.parametrize("kw", MODES, ids=IDS)
def test_exit_from_a_second_lwp_ends_all(tmp_path, lwp, kw):
    status, out, _ = run(tmp_path, lwp, ["exit"], kw)
    assert (status, out) == (abi.w_exitcode(3), "exiting from the second LWP\n")


@pytest.mark.parametrize("kw", MODES, ids=IDS)
def test_wild_context_kills_only_the_guest(tmp_path, lwp, kw):
    """A new LWP at address 16 (and one with its stack at 16): the process
    dies of SIGSEGV with a core flag, as its first instruction faults; a
    kernelware's gate frame cannot be written below esp 16 (EFAULT)."""
    status, out, _ = run(tmp_path, lwp, ["wild"], kw)
    assert status == abi.w_termsig(abi.NBSD_SIGSEGV, core=True)
    assert out == f"wild stack {EFAULT if kw else 0}\nwild eip 0\n"


@pytest.mark.parametrize("kw", MODES, ids=IDS)
def test_fpu_state_is_per_lwp(tmp_path, lwp, kw):
    """Three LWPs each keep a running sum on the x87 stack (and their own
    control word) through preemptions (a short quantum): the lazy FPU
    switch saves and restores per LWP."""
    seen = []

    def tweak(k):
        orig = k._preempt

        def spy(l, fesp):
            seen.append(l.lid)
            return orig(l, fesp)
        k._preempt = spy
    status, out, k = run(tmp_path, lwp, ["fpu"], kw, tweak=tweak, quantum=1)
    assert (status, out) == (0, "fpu: 3000007 103000000 203000000\n")
    assert len(seen) >= 3 and k.fpu.n_loads >= 3, (seen, k.fpu.n_loads)


@pytest.mark.parametrize("kw", MODES, ids=IDS)
def test_no_memory_for_another_lwp_is_eagain(tmp_path, lwp, kw):
    """On a small machine, LWPs until their kernel stacks exhaust memory:
    _lwp_create says EAGAIN (35), never the host's MemoryError; exit ends
    them all."""
    status, out, k = run(tmp_path, lwp, ["many"], kw, mem_size=8 << 20)
    assert (status, out) == (0, "many: 1 LWPs, then errno 35\n")


@pytest.mark.parametrize("kw", MODES, ids=IDS)
def test_last_lwp_exit_is_the_process_exit(tmp_path, lwp, kw):
    status, out, _ = run(tmp_path, lwp, ["last"], kw)
    assert (status, out) == (0, "main LWP exits\nlast LWP exits\n")


@pytest.mark.parametrize("kw", MODES, ids=IDS)
def test_preemption_switches_lwps_on_the_timer(tmp_path, lwp, kw):
    """Four LWPs that never enter the kernel all advance: only the clock
    tick can switch them (through the kwhook for a kernelware)."""
    seen = []

    def tweak(k):
        orig = k._preempt

        def spy(l, fesp):
            seen.append(l.lid)
            return orig(l, fesp)
        k._preempt = spy
    status, out, _ = run(tmp_path, lwp, ["preempt"], kw, tweak=tweak, quantum=2)
    assert (status, out) == (0, "preempt: all advanced 1\n")
    assert len(set(seen)) >= 3, seen


def test_lwp_calls_without_a_machine(tmp_path):
    """The table-only harness: one LWP, its id the pid (NetBSD 10), the
    calls that need no CPU."""
    (tmp_path / "root").mkdir()
    env = Env(tmp_path / "root")
    me = env.ok("_lwp_self")
    assert me == env.p.pid
    assert env.err("_lwp_kill", 7, 0) == ESRCH
    assert env.err("_lwp_kill", me, 999) == EINVAL
    env.ok("_lwp_kill", me, 0)
    assert env.err("_lwp_wakeup", 2) == ESRCH
    assert env.err("_lwp_wakeup", me) == ENODEV
    env.ok("_lwp_setname", me, "worker")
    buf = env.alloc(32)
    env.ok("_lwp_getname", 0, buf, 32)
    assert env.read(buf, 7) == b"worker\0"
    assert env.ok("_lwp_unpark_all", 0, 0, 0) == 1024
    ids = env.alloc(8, struct.pack("<ii", me, 5))
    assert env.ok("_lwp_unpark_all", ids, 2, 0) == 0
    assert env.err("___lwp_park60", 0, 0, 0, 0, 0, 0) == EALREADY     # the pending unpark
    assert env.err("_lwp_wait", 0, 0) == EDEADLK
    assert env.err("_lwp_wait", me, 0) == EDEADLK
    assert env.err("_lwp_suspend", me) == EDEADLK
    assert env.err("_lwp_create", 0, 0, 0) == abi.ENOSYS              # no machine


# -- random sequences of LWP operations (hypothesis) ---------------------------------

OPS = st.lists(st.tuples(st.sampled_from("cCksruwdxy"), st.integers(0, 9)).map(
    lambda t: f"{t[0]}{t[1]}"), min_size=1, max_size=24)
# what each operation may answer: ESRCH for one that exited or was reaped,
# EDEADLK suspending the last other LWP, ENODEV waking one not asleep,
# EINVAL detaching/waiting a detached one
ALLOWED = {"c": {0}, "C": {0}, "k": {0, ESRCH}, "s": {0, ESRCH, EDEADLK},
           "r": {0, ESRCH}, "u": {0, ESRCH}, "w": {0, ESRCH, ENODEV},
           "d": {0, ESRCH, EINVAL}, "x": {0, ESRCH, EINVAL}}


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(ops=OPS, kw=st.booleans())
def test_random_lwp_operations(tmp_path_factory, lwp, ops, kw):
    """Any sequence of create/kill/suspend/continue/unpark/wakeup/detach/
    end-and-wait on parked LWPs: every answer is one NetBSD allows for it,
    the program ends normally (exit ends the LWPs left, suspended or
    parked), and the kernel keeps no LWP id."""
    status, out, k = run(tmp_path_factory.mktemp("ops"), lwp, ["script"] + ops, kw)
    assert status == 0 and out.endswith("script done\n"), (ops, status, out[-2000:])
    for word in out.split("\n")[0].split():
        assert int(word[1:]) in ALLOWED[word[0]], (ops, word, out)
    assert not k.lwp_ids
