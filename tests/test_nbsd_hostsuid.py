"""Two host-safety gaps a guest root could use when kw86 runs as root:

- set-user-ID / set-group-ID bits on host files (hostfs): a guest's chmod
  04755, open(O_CREAT, 06755), fchmod, fchmodat, mkdir 02755 never leave the
  bit on the host file (a real set-user-ID-root program for host users);
  the guest still sees its bits (kept in the host file's user.kw86.mode
  extended attribute, or for the run where the host file system has none),
  NetBSD's rules clear them (a write or a chown by a non-root user), and
  they persist across runs (extended attribute case); device nodes are
  never made on the host (mknod is EPERM or ENOSYS);
- a kernelware's vn_rdwr of a large length on a multi-gigabyte host file
  moves at most a MiB of host memory at a time and stops at the first
  fault of the guest's buffer (EFAULT, the residual count), so kw86's peak
  RSS stays small.
"""
import os
import subprocess
import sys

import pytest

import hostenv
import nbsd_env
from buildreq import built, fail_build

pytestmark = built(os.path.exists(os.path.join(nbsd_env.SYSROOT, "bin", "sh")),
                   "the userland sysroot")


def _build(name):
    out = os.path.join(nbsd_env.GUEST_OUT, name)
    os.makedirs(nbsd_env.GUEST_OUT, exist_ok=True)
    src = os.path.join(nbsd_env.GUEST_SRC, name + ".c")
    if not (os.path.exists(out) and os.path.getmtime(out) >= os.path.getmtime(src)):
        try:
            nbsd_env._userland_build().build_program([src], out)
        except Exception as e:                  # no zig, a compile error: a build failure
            fail_build(f"cannot build {name}: {e}"[:2000])
    return out


def run_kw86(args, cwd, timeout=600):
    """kw86 exec ARGS in a child: (exit status, stdout, stderr, the peak RSS in
    KiB of that very child: wait4's rusage, no other child counts)."""
    with open(os.path.join(cwd, "out.txt"), "wb") as o, \
            open(os.path.join(cwd, "err.txt"), "wb") as e:
        proc = subprocess.Popen([sys.executable, "-m", "kw86.cli", "exec", *args], cwd=cwd,
                                stdout=o, stderr=e, stdin=subprocess.DEVNULL,
                                env=hostenv.kw86_env())
        try:
            _, status, ru = os.wait4(proc.pid, 0)
        finally:
            proc.returncode = -1                # (reaped here, not by Popen)
    with open(os.path.join(cwd, "out.txt"), "rb") as f:
        out = f.read().decode(errors="replace")
    with open(os.path.join(cwd, "err.txt"), "rb") as f:
        err = f.read().decode(errors="replace")
    for bad in ("Traceback", "internal error", "panic"):
        assert bad not in err, err
    return os.waitstatus_to_exitcode(status), out, err, ru.ru_maxrss


def _lines(out):
    res = {}
    for ln in out.splitlines():
        parts = ln.split(" ", 3)
        if len(parts) >= 3 and parts[1].lstrip("-").isdigit():
            res[parts[0]] = (int(parts[1]), int(parts[2]), parts[3] if len(parts) > 3 else None)
    return res


# -- vn_rdwr on a 4 GiB sparse host file --------------------------------------------

def test_vn_rdwr_of_a_huge_file_bounds_host_memory(tmp_path):
    prog = _build("vnrdwr")
    root = tmp_path / "root"
    root.mkdir()
    (root / "etc").mkdir()
    (root / "etc" / "passwd").write_bytes(b"root:*:0:0::/root:/bin/sh\n")
    big = root / "big"
    size = 4 << 30
    with open(big, "wb") as f:
        f.truncate(size)                        # sparse: no disk blocks
        f.seek(size - 8)
        f.write(b"THE-END!")
    (tmp_path / "prog").write_bytes(open(prog, "rb").read())
    (tmp_path / "prog").chmod(0o755)
    mb = 8
    rc, out, err, rss = run_kw86(["--kernelware", "--root", str(root), "./prog", "/big",
                                  str(mb)], str(tmp_path))
    assert rc == 0 and out.endswith("done\n"), (rc, out, err)
    res = _lines(out)
    EFAULT = 14
    buf = mb << 20
    assert res["big-read"][:2] == (EFAULT, 0x7ffff000 - buf)    # stopped at the buffer's end
    assert res["tail-read"] == (0, 1 << 20, "THE-END!")
    assert res["big-write"][:2] == (EFAULT, 0x7ffff000 - buf)
    assert res["ok-read"] == (0, 0, "same")
    assert os.path.getsize(big) == size                         # written inside, not grown
    with open(big, "rb") as f:
        f.seek(4096)
        assert f.read(16) == bytes((i * 7 + 3) & 0xff for i in range(16))
    # 2 GiB asked for, a MiB at a time: kw86's peak resident size stays far
    # below the length (the whole read used to be loaded first: gigabytes)
    assert rss < 200 * 1024, f"peak RSS {rss} KiB"
