"""Page faults of a kernelware like a user process's (issue 8 section 5).

A kernelware runs at CPL 0 on its own (user-address) stack, so a fault whose
frame cannot be pushed there (a new stack page, a copy-on-write stack page
after fork) is a double fault; IDT[8] is a task gate to the #DF TSS
(boot.py), whose task resolves it (trap.dblfault: back the pages, iret to
the interrupted task) or has the interrupted task send SIGSEGV (trap.dfsig).
Nothing is made resident up front: stack to RLIMIT_STACK (and beyond after
setrlimit), heap and mmap demand-paged, fork copy-on-write.

tests/guest/kwvm.c runs the same checks as a user process and as a
kernelware: both must print the same lines, take the same page faults and
copy the same pages after fork.
"""
import os
import re

import pytest

from buildreq import built, fail_build
from nbsd_env import SYSROOT, guest_program

pytestmark = built(os.path.exists(os.path.join(SYSROOT, "bin", "sh")), "the userland sysroot")

MODES = [False, True]
STACK = (7 << 20) // 4096 - 16         # kwvm all: the parent's stack pages it faults in
IDS = ["user", "kernelware"]


@pytest.fixture(scope="module")
def kwvm():
    path = guest_program("kwvm")
    if path is None:
        fail_build(guest_program.why)
    return path


def run(tmp_path, path, args, kernelware, **kw):
    """kwvm as pid 1 in an in-process Kernel: (wait status, output, stats)."""
    from kw86.nbsd.kernel import Kernel
    with open(path, "rb") as f:
        image = f.read()
    out = tmp_path / "out"
    with open(out, "wb") as f, open(os.devnull, "rb") as null:
        k = Kernel(SYSROOT, stdin=null.fileno(), stdout=f.fileno(), stderr=f.fileno(), **kw)
        try:
            k.spawn(b"/kwvm", [b"kwvm"] + [a.encode() for a in args], [b"PATH=/bin"],
                    kernelware, host_image=image)
            status = k.run(max_instructions=200_000_000)
            stats = dict(k.stats)
        finally:
            k.close()
    return status, out.read_text(), stats


def test_stack_heap_fork_like_a_user_process(tmp_path, kwvm):
    """Recursion to just under the 2 MiB default limit, to 7 MiB after
    setrlimit, 4 MiB of heap, fork with the child writing to a shared page
    and growing its (copy-on-write) stack: the same lines, page faults and
    copied pages in both modes; the kernelware's stack faults all went
    through the #DF task."""
    res = {}
    for kw in MODES:
        status, out, stats = run(tmp_path, kwvm, ["all"], kw)
        assert status == 0, out
        assert "FAIL" not in out and out.splitlines()[-1] == "done 0", out
        res[kw] = (out, stats)
    (uout, ust), (kout, kst) = res[False], res[True]
    assert uout == kout
    # 7 MiB of stack (the 1.9 MiB recursion reuses its top; exec backs the
    # top 64 KiB), 4 MiB of heap, the child's writes to shared pages (its
    # 1 MiB of stack, copy-on-write)
    assert ust["page_faults"] == kst["page_faults"] >= STACK + 1024 + 200, (ust, kst)
    assert ust["cow_copies"] == kst["cow_copies"] > 0
    assert ust["double_faults"] == 0
    # every new stack page of the kernelware (parent and child) was a #DF
    assert kst["double_faults"] >= STACK + 200, kst


def test_stats_counts_both_processes_page_faults(capfd, kwvm):
    from kw86 import cli
    capfd.readouterr()
    rc = cli.main(["exec", "--stats", "--bind", f"{os.path.dirname(kwvm)}:/mnt",
                   "--kernelware", "/mnt/kwvm", "all"])
    out, err = capfd.readouterr()
    assert rc == 0 and out.splitlines()[-1] == "done 0", err
    m = re.search(r"(\d+) page faults \((\d+) through the #DF task\)", err)
    assert m, err
    # the parent's 7 MiB of stack and 4 MiB of heap, and the child's
    # copy-on-write faults on its 1 MiB of stack (256 pages)
    assert int(m.group(1)) >= STACK + 1024 + 200 and int(m.group(2)) >= STACK + 200, err


@pytest.mark.parametrize("kw", MODES, ids=IDS)
def test_overflow_is_sigsegv(tmp_path, kwvm, kw):
    status, out, stats = run(tmp_path, kwvm, ["overflow"], kw)
    assert status & 0x7f == 11, (status, out)                  # SIGSEGV (core)
    assert "machine" not in out and "panic" not in out, out
    assert 400 < stats["page_faults"] <= 2 * 1024 * 1024 // 4096


def test_overflow_one_line_and_the_shell_goes_on(capfd, kwvm):
    from kw86 import cli
    d = os.path.dirname(kwvm)
    capfd.readouterr()
    rc = cli.main(["exec", "--bind", f"{d}:/mnt", "--kernelware", "/bin/sh", "-c",
                   "/mnt/kwvm overflow; echo $?; /mnt/kwvm overflow; echo $?; echo alive"])
    out, err = capfd.readouterr()
    assert (rc, out) == (0, "139\n139\nalive\n"), err
    assert "machine" not in err and "Traceback" not in err, err
    rc = cli.main(["exec", "--bind", f"{d}:/mnt", "--kernelware", "/mnt/kwvm", "overflow"])
    out, err = capfd.readouterr()
    assert rc == 139 and err.strip().splitlines() == ["Segmentation fault (core dumped)"], err


@pytest.mark.parametrize("kw", MODES, ids=IDS)
def test_overflow_with_handler(tmp_path, kwvm, kw):
    """SIGSEGV caught on an alternate stack runs the handler; without one
    there is no room for its frame: NetBSD's sigexit(SIGILL)."""
    status, out, _ = run(tmp_path, kwvm, ["altstack"], kw)
    assert status == 0 and out == "caught SIGSEGV\n", (status, out)
    status, out, _ = run(tmp_path, kwvm, ["handler"], kw)
    assert status & 0x7f == 4, (status, out)                   # SIGILL


@pytest.mark.parametrize("kw", MODES, ids=IDS)
def test_setrlimit_below_stack_in_use_is_einval(tmp_path, kwvm, kw):
    status, out, _ = run(tmp_path, kwvm, ["shrink"], kw)
    assert status == 0 and out.startswith("ok "), out


def test_double_fault_round_trip_cost(tmp_path, kwvm):
    """The first touch of a stack page below %esp: a #PF round trip for a
    user process, a #DF through the task gate (two task switches, the
    failed #PF delivery, the stub) for a kernelware; the second touch is
    the same in both."""
    costs = {}
    for kw in MODES:
        status, out, st = run(tmp_path, kwvm, ["cost"], kw)
        assert status == 0, out
        first, second = map(int, out.split()[1:3])
        costs[kw] = first - second
    assert costs[True] - costs[False] >= 250, costs           # at least one more task switch
    assert 2 * 250 <= costs[True] < 2000, costs
    # a fault whose frame can be pushed (a heap page): no privilege change
    # at CPL 0, so cheaper than the process's
    heap = {}
    for kw in MODES:
        status, out, st = run(tmp_path, kwvm, ["heapcost"], kw)
        assert status == 0 and st["double_faults"] == 0, (out, st)
        first, second = map(int, out.split()[1:3])
        heap[kw] = first - second
    assert 0 < heap[True] < heap[False] == costs[False], (heap, costs)


def test_switch_to_kernel_mode_makes_nothing_resident(tmp_path, kwvm):
    """510 backs nothing up front: the stack pages the recursion at CPL 0
    needs come through the #DF task, the heap's through #PF at CPL 0; after
    511 the stack is already there."""
    status, out, st = _run_switched(tmp_path, kwvm)
    assert status == 0 and "FAIL" not in out and out.count("ok ") == 5, out
    assert st["double_faults"] >= 1900 * 1024 // 4096 * 9 // 10, st
    assert st["switches_to_kernel"] == st["switches_to_user"] == 1


def _run_switched(tmp_path, path):
    from kw86.nbsd.kernel import Kernel
    with open(path, "rb") as f:
        image = f.read()
    out = tmp_path / "out"
    with open(out, "wb") as f, open(os.devnull, "rb") as null:
        k = Kernel(SYSROOT, stdin=null.fileno(), stdout=f.fileno(), stderr=f.fileno())
        try:
            k.modload("kernelware")                 # what 510 needs
            k.spawn(b"/kwvm", [b"kwvm", b"switch"], [], False, host_image=image)
            status = k.run(max_instructions=100_000_000)
            stats = dict(k.stats)
        finally:
            k.close()
    return status, out.read_text(), stats
