"""A kernelware's page fault whose frame locore saves into a stack page that is not
there yet (tests/guest/kwdfcr2.c).

At CPL 0 the CPU switches no stack, so the #PF frame and locore's pushes (Xtrap0e's
trap number, alltraps's registers) go on the kernelware's own stack; the push that
crosses into the missing page faults again and, during delivery, becomes a double
fault, which the kernel resolves by backing the page (trap.dblfault).  CR2 then
holds the second fault's address: the first page fault must be taken again, from
the faulting instruction (trap._restart_page_fault), or the kernel handles the
stack address instead of the real one and kills the program with SIGSEGV (found
with a GCC-built tests/guest/procfs.c, whose stdout buffer's first write came with
%esp 32 bytes above a fresh stack page).  The program puts %esp at every offset
0..76 above a fresh page, so that every push of the entry path (the CPU's frame,
Xtrap0e, each of alltraps's eleven) is the one that faults.
"""
import os
import re
import subprocess
import sys

import pytest

import hostenv
from nbsd_env import MODES, REPO, guest_program
from buildreq import fail_build


@pytest.mark.parametrize("mode", [m for m, _ in MODES], ids=[i for _, i in MODES])
def test_page_fault_with_frame_on_a_missing_stack_page(mode):
    path = guest_program("kwdfcr2")
    if path is None:
        fail_build(guest_program.why)
    r = subprocess.run([sys.executable, "-m", "kw86.cli", "exec", *mode, "--stats",
                        "./" + os.path.relpath(path, REPO)],
                       cwd=REPO, capture_output=True, timeout=120, env=hostenv.kw86_env(),
                       stdin=subprocess.DEVNULL)
    out, err = r.stdout.decode(), r.stderr.decode()
    assert r.returncode == 0, (out, err)
    lines = out.splitlines()
    assert lines == [f"offset {4 * i} ok" for i in range(20)] + ["done 0"], out
    m = re.search(r"(\d+) page faults \((\d+) through the #DF task\)", err)
    if mode:
        # the CPU's own push (offsets 0..12), Xtrap0e's, and alltraps's 11 pushes
        # each faulted once: the path this test is about was taken
        assert m and int(m.group(2)) >= 13, err
    else:
        assert m is None or int(m.group(2)) == 0, err
