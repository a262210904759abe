"""POSIX threads in our libc on the kernel's LWPs (issue 14; userland/libc/pthread*.c).

tests/guest/pthread.c is built twice: for the guest (our libc, NetBSD/i386) and
for the host with gcc -pthread (glibc).  The guest build must print, as a user
process and as a kernelware (its LWPs at CPL 0), exactly what the host build
prints natively, and that output is also checked against the expected lines
written out here (so two equally broken runs cannot agree their way to a pass):
a mutex-protected counter over 8 threads, a condition-variable
producer/consumer, pthread_join values, pthread_kill to one thread of three,
mutex types and their errors, pthread_once from 9 callers, keys with
destructors, cancellation (read, cond_wait with its cleanup handler unlocking
the mutex, sleep, a disabled then enabled state), timed waits on
CLOCK_REALTIME and CLOCK_MONOTONIC, rwlocks, barriers, spinlocks, errno per
thread, attributes, detached threads, names, unnamed semaphores, fork with
atfork handlers.
Modes: main's pthread_exit leaves the others running; the last thread's exit
is status 0; a write into the guard page is SIGSEGV; exit(3) from a thread.
"""
import os
import shutil
import subprocess

import pytest

import hostenv
import nbsd_env
from buildreq import built, fail_build
from nbsd_env import SYSROOT, guest_program
from kw86.nbsd import abi

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = os.path.join(ROOT, "tests", "guest", "pthread.c")
CC = shutil.which("gcc") or shutil.which("cc")

pytestmark = [built(os.path.exists(os.path.join(SYSROOT, "bin", "sh")), "the userland sysroot"),
              built(CC is not None, "a host C compiler (gcc) for the host build")]

MODES = [False, True]
IDS = ["user", "kernelware"]

EXPECTED = """\
counter: 16000 (8 threads x 2000), join values ok 1
producer/consumer: 500 items, sum 125250
join: 16 1009 4 1 0
self equal in thread 1, main equal 1, join self EDEADLK 1
pthread_kill: hits 0 1 0
pthread_kill: then hits 1 1 1, kill 0 to a live thread 0, bad signal 1
mutexattr: type 1, bad type 1
recursive: locks 0 0 0, other thread trylock EBUSY 1
errorcheck: lock 0 relock EDEADLK 1 trylock EBUSY 1, unlock by other EPERM 1
normal: trylock by other EBUSY 1, destroy locked EBUSY 1
recursive: after 3 unlocks other thread trylock 0, unlock unowned EPERM 1
destroy: 0 0
once: 1 run from 9 callers
keys: own values 1, destructors 4 sum 10, main's 7
keys: delete 0, delete again EINVAL 1
cancel read: canceled 1, cleanups 1
cancel cond_wait: canceled 1, cleanups 100
cancel cond_wait: mutex free again 1
cancel sleep: canceled 1, cleanups 10
cancel disabled then enabled: canceled 1, cleanups 0
cancel: bad state EINVAL 1, bad type EINVAL 1
timedwait: realtime ETIMEDOUT 1, monotonic ETIMEDOUT 1
condattr: clock monotonic 1, process cputime EINVAL 1
timedlock: held by main ETIMEDOUT 1, past deadline on a free mutex 0
timedwait: past deadline ETIMEDOUT 1, before the epoch 1, bad nsec EINVAL 1
barrier: 1 serial thread of 4, destroy 0, count 0 EINVAL 1
rwlock: exclusive 1, reader passes 76
rwlock: trywrlock under readers EBUSY 1, tryrdlock under writer refused
spin: trylock held EBUSY 1, destroy 0
errno: thread's EBADF 1, main's still ENOENT 1
attr: joinable default 1, stacksize 262144, too small EINVAL 1, bad detachstate EINVAL 1
attr: 100 kB on a 256 kB stack 5
detached: 6 ran
name: main-thread
setstack: posix_memalign 0 page-aligned 1, attr back 1, thread on it 1
semaphores: sum 500, value 2 -> 2, trywait EAGAIN 1, timedwait ETIMEDOUT 1, bad timeout EINVAL 1, destroy 0
fork child: handlers Pc, a new thread 1
fork parent: handlers Pp, child status 0
done
"""


@pytest.fixture(scope="module")
def guest():
    path = guest_program("pthread")
    if path is None:
        fail_build(guest_program.why)
    return path


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("pthread_host") / "pthread")
    r = subprocess.run([CC, "-O2", "-Wall", "-pthread", SRC, "-o", out],
                       capture_output=True, text=True, env=hostenv.ENV)
    if r.returncode:
        fail_build(f"host build of {SRC}: {r.stderr[:2000]}")
    return out


def run_host(host, *args):
    r = subprocess.run([host, *args], capture_output=True, text=True, env=hostenv.ENV,
                       timeout=120, cwd=os.path.dirname(host))
    return r.returncode, r.stdout


def run(tmp_path, path, args, kernelware, **kw):
    """pthread as pid 1 in an in-process Kernel: (wait status, output)."""
    from kw86.nbsd.kernel import Kernel
    with open(path, "rb") as f:
        image = f.read()
    out = tmp_path / "out"
    with open(out, "wb") as f, open(os.devnull, "rb") as null:
        k = Kernel(SYSROOT, stdin=null.fileno(), stdout=f.fileno(), stderr=f.fileno(),
                   epoch_ns=0, **kw)
        try:
            k.spawn(b"/pthread", [b"pthread"] + [a.encode() for a in args], [b"PATH=/bin"],
                    kernelware, host_image=image)
            status = k.run(max_instructions=2_000_000_000)
        finally:
            k.close()
    return status, out.read_text()


def test_host_build_prints_the_expected_lines(host):
    assert run_host(host) == (0, EXPECTED)


@pytest.mark.parametrize("kw", MODES, ids=IDS)
def test_pthread_matches_host(tmp_path, guest, host, kw):
    status, out = run(tmp_path, guest, [], kw)
    assert out == run_host(host)[1]
    assert (status, out) == (0, EXPECTED)


@pytest.mark.parametrize("kw", MODES, ids=IDS)
def test_main_pthread_exit_keeps_the_others(tmp_path, guest, host, kw):
    status, out = run(tmp_path, guest, ["mainexit"], kw)
    expect = "main: pthread_exit\nworker: main has exited, still running\n"
    assert run_host(host, "mainexit") == (0, expect)
    assert (status, out) == (0, expect)


@pytest.mark.parametrize("kw", MODES, ids=IDS)
def test_last_thread_exit_is_status_0(tmp_path, guest, kw):
    status, out = run(tmp_path, guest, ["lastexit"], kw)
    assert (status, out) == (0, "worker: main has exited, still running\n")


@pytest.mark.parametrize("kw", MODES, ids=IDS)
def test_guard_page_faults(tmp_path, guest, host, kw):
    status, out = run(tmp_path, guest, ["guard"], kw)
    assert run_host(host, "guard") == (-11, "guard: writing below the stack\n")
    assert out == "guard: writing below the stack\n"
    assert status == abi.w_termsig(abi.NBSD_SIGSEGV, core=True)


@pytest.mark.parametrize("kw", MODES, ids=IDS)
def test_exit_from_a_thread_ends_all(tmp_path, guest, kw):
    status, out = run(tmp_path, guest, ["exit3"], kw)
    assert (status, out) == (abi.w_exitcode(3), "")


LOCKEXIT_OUT = "main: joined, exit(0); thread: ends holding the stdio lock, "


def test_lockexit_host_prints_the_expected_line(tmp_path):
    out = str(tmp_path / "lockexit")
    r = subprocess.run([CC, "-O2", "-Wall", "-pthread",
                        os.path.join(ROOT, "tests", "guest", "pthread_lockexit.c"), "-o", out],
                       capture_output=True, text=True, env=hostenv.ENV)
    assert r.returncode == 0, r.stderr
    assert run_host(out) == (0, LOCKEXIT_OUT)


@pytest.mark.parametrize("mode", [m for m, _ in nbsd_env.MODES], ids=[i for _, i in nbsd_env.MODES])
def test_exit_with_the_stdio_lock_held_by_a_dead_thread(mode):
    """POSIX suite fork/11-1: a thread ends holding the stdio lock; exit in main
    flushes its buffered output and ends (it used to wait for the lock forever:
    kw86's deadlock report, or a hang, ended by the timeout)."""
    rc, out, err = nbsd_env.run_guest_program("pthread_lockexit", mode, timeout=120)
    assert (rc, out, err) == (0, LOCKEXIT_OUT, "")
