"""The buffer-cache cp (issue 9 section 2; userland/bin/cp.c copy_data()): as a
kernelware it copies buffer cache to buffer cache through the kernel API
(bread, getblk, memcpy, bwrite; kw86/nbsd/kapi.py) and makes no read/write
system calls for the data; in user mode it uses its read/write loop.  Files
end identical to the source (cmp) for sizes 0, 1, 4095, 4096, 65537 and
2 MiB + 1, host directory to host directory, host to MFS, MFS to MFS, MFS to
host."""
import os
import re
import subprocess
import sys

import pytest

from buildreq import built
from hostenv import kw86_env
from nbsd_env import SYSROOT

pytestmark = built(os.path.exists(os.path.join(SYSROOT, "bin", "cp")), "the userland sysroot")

SIZES = [0, 1, 4095, 4096, 65537, 2 * 1024 * 1024 + 1]


def kw86(args, **kw):
    return subprocess.run([sys.executable, "-m", "kw86.cli"] + args, capture_output=True,
                          text=True, env=kw86_env(), timeout=120, **kw)


@pytest.mark.parametrize("kernelware", [True, False], ids=["kernel", "user"])
def test_cp_identical(tmp_path, kernelware):
    h = tmp_path / "h"
    h.mkdir()
    script = []
    for n in SIZES:
        (h / f"f{n}").write_bytes(os.urandom(n))
        # host -> host; host -> MFS -> MFS -> host
        script.append(f"cp /h/f{n} /h/g{n} && cp /h/f{n} /tmp/a{n} && cp /tmp/a{n} /tmp/b{n} "
                      f"&& cp /tmp/b{n} /h/m{n}")
    strace = tmp_path / "strace"
    r = kw86(["exec"] + (["--kernelware"] if kernelware else []) +
             ["--bind", f"{h}:/h", "--strace", "--strace-file", str(strace),
              "/bin/sh", "-c", " && ".join(script)])
    assert r.returncode == 0, r.stderr
    for n in SIZES:
        src = (h / f"f{n}").read_bytes()
        assert (h / f"g{n}").read_bytes() == src, n
        assert (h / f"m{n}").read_bytes() == src, n
    # the data calls cp made and what they returned: a read of an empty
    # source (size 0: nothing to copy, the read/write loop's EOF) moves none
    rets = [(m.group(1), int(m.group(2))) for m in re.finditer(
        r"^\s*\d+\s+\d+ cp\s+RET\s+(read|write|readv|writev|pread|pwrite) (-?\d+)",
        strace.read_text(), re.M)]
    data = [(c, n) for c, n in rets if n != 0]
    if kernelware:
        assert data == [], data         # the data moved inside the kernel
        assert len(rets) == 4           # the 4 copies of the empty file: read 0
    else:
        assert ("read", 4096) in data and any(c == "write" for c, _ in data)
