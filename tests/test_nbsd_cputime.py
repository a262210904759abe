"""CPU-time clocks and process times (Open POSIX Test Suite sweep):

- clock_getcpuclockid2 (482) and CLOCK_PROCESS_CPUTIME_ID | pid /
  CLOCK_THREAD_CPUTIME_ID | lid in clock_gettime, as NetBSD's kern_time.c
  and subr_time.c (ESRCH for no live process or LWP; clock_getres and
  clock_settime of a CPU clock EINVAL); libc clock_getcpuclockid and
  pthread_getcpuclockid; _POSIX_CPUTIME and _POSIX_THREAD_CPUTIME.
- A process asleep is not running: its run time (getrusage, the CPU
  clock) no longer grows while another process computes (rusage.switch
  took the open slice from k.cur, which the scheduler had already
  cleared, so a waiting parent was charged its child's time).
- times(3) and <sys/times.h>, RLIMIT_AS in <sys/resource.h> (the
  suite's fork/8-1 and mmap/24-2 did not build).
- pthread_{mutex,cond,rwlock,barrier}attr_setpshared(PTHREAD_PROCESS_SHARED)
  is ENOSYS, as NetBSD's libpthread answers (it was ENOTSUP).
- clock_settime leaves relative CLOCK_REALTIME timers alone (POSIX; NetBSD
  arms their callout once in ticks) and absolute ones follow it.

Guest side: tests/guest/cputime.c, as a user process and as a kernelware."""

import pytest

from nbsd_env import MODES, run_guest_program


@pytest.mark.parametrize("mode", [m for m, _ in MODES], ids=[i for _, i in MODES])
def test_cpu_clocks_rusage_and_timers(mode):
    rc, out, err = run_guest_program("cputime", mode)
    assert "FAIL" not in out and rc == 0, (out, err)
    assert sum(line.startswith("ok ") for line in out.splitlines()) == 22, out
    assert out.endswith("done\n") and err == "", (out, err)
