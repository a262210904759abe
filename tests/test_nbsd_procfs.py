"""/proc (procfs, kw86/nbsd/vfs/procfs.py), the anonymous reservations Go's
runtime makes, and --memory up to 1 GiB (issue 11 item 4).

tests/guest/procfs.c runs its checks as a user process and as a
kernelware, from a --bind mount so that its executable has a guest path
(a host file kw86 loads has none: its exe link is ENOENT).  The CPU-less
tests drive the same vnodes through the system-call table.
"""
import os
import subprocess
import sys

import pytest

import hostenv
from buildreq import built, fail_build
from nbsd_env import SYSROOT, Env, guest_program

from kw86.nbsd import abi

pytestmark = built(os.path.exists(os.path.join(SYSROOT, "bin", "sh")), "the userland sysroot")
MODES = [[], ["--kernelware"]]
IDS = ["user", "kernelware"]


@pytest.fixture(scope="module")
def prog():
    path = guest_program("procfs")
    if path is None:
        fail_build(guest_program.why)
    return path


def kw86(*argv, timeout=300, cwd=hostenv.ROOT):
    p = subprocess.run([sys.executable, "-m", "kw86.cli", "exec", *argv], capture_output=True,
                       text=True, env=hostenv.kw86_env(), timeout=timeout, cwd=cwd)
    return p.returncode, p.stdout, p.stderr


def bound(prog):
    return ["--bind", f"{os.path.dirname(prog)}:/t:ro"]


def lines_ok(out):
    fails = [ln for ln in out.splitlines() if ln.startswith("FAIL")]
    return not fails, fails


@pytest.mark.parametrize("mode", MODES, ids=IDS)
def test_proc_in_the_guest(prog, mode):
    rc, out, err = kw86(*mode, *bound(prog), "/t/procfs", "proc", "a", "b c")
    ok, fails = lines_ok(out)
    assert ok and rc == 0 and "Traceback" not in err, (fails, out, err)
    lines = out.splitlines()
    assert "exe=/t/procfs" in lines
    assert "cmdline=/t/procfs|proc|a|b c|" in lines
    # exec through /proc/curproc/exe: the new image's path is the file's
    assert "child exe=/t/procfs" in lines
    st = next(ln for ln in lines if ln.startswith("status="))[len("status="):].split()
    # comm pid ppid pgid sid tty flags start utime stime wchan euid groups
    # (the program is init's child, pid 2, leading its own session)
    assert st[:7] == ["procfs", "2", "1", "2", "2", "-1,-1", "sldr"], st
    assert len(st) == 13 and st[10] == "nochan" and st[11] == "0"
    for ln in ("ok exec-through-exe", "ok getdents-child", "ok getdents-child-gone",
               "ok create-erofs", "ok exe-opens-elf"):
        assert ln in lines


@pytest.mark.parametrize("mode", MODES, ids=IDS)
def test_exe_of_a_host_program_is_enoent(prog, mode):
    """A program read from a host file has no guest path."""
    # ./procfs: a host file (an absolute path would name the guest's root)
    rc, out, err = kw86(*mode, "./procfs", "proc", cwd=os.path.dirname(prog))
    lines = out.splitlines()
    assert "exe=" in lines
    assert "FAIL exe-opens-elf (-1, errno 2)" in lines
    assert "ok curproc-is-pid" in lines and "ok cmdline-stat" in lines


def test_sh_sees_proc(prog):
    rc, out, err = kw86("/bin/sh", "-c", "ls /; ls /proc; ls -l /proc/curproc/exe; "
                        "cat /proc/$$/cmdline; echo; cat /proc/$$/emul")
    assert rc == 0, err
    lines = out.splitlines()
    assert "proc" in lines[:10]
    # /proc: init (1), the shell (2), ls (its child), curproc, self
    i = lines.index("curproc")
    assert lines[i - 3:i + 2] == ["1", "2", lines[i - 1], "curproc", "self"] and \
        lines[i - 1].isdigit() and int(lines[i - 1]) > 2
    assert lines[i + 2].endswith("/proc/curproc/exe -> /bin/ls")
    assert lines[i + 3] == "/bin/sh\0-c\0" + "ls /; ls /proc; ls -l /proc/curproc/exe; " \
        "cat /proc/$$/cmdline; echo; cat /proc/$$/emul\0"
    assert lines[i + 4] == "netbsd"


@pytest.mark.parametrize("mode", MODES, ids=IDS)
def test_go_sized_reservations_need_no_memory(prog, mode):
    """768 MiB PROT_NONE on a 64 MiB machine, MAP_FIXED commits inside it,
    a hinted mapping, RLIMIT_AS."""
    rc, out, err = kw86(*mode, *bound(prog), "/t/procfs", "reserve")
    ok, fails = lines_ok(out)
    assert ok and rc == 0 and "Traceback" not in err, (fails, out, err)
    assert out.count("ok ") == 9


def test_reservation_allocates_no_frames(prog, tmp_path):
    """In-process: the reservation and the munmap leave the free-frame count
    where the 4 MiB commit put it (no physical page for PROT_NONE)."""
    from kw86.nbsd.kernel import Kernel
    with open(prog, "rb") as f:
        image = f.read()
    out = tmp_path / "out"
    with open(out, "wb") as f, open(os.devnull, "rb") as null:
        k = Kernel(SYSROOT, stdin=null.fileno(), stdout=f.fileno(), stderr=f.fileno(),
                   mem_size=64 << 20)
        try:
            free0 = k.boot.frames.nfree()
            k.spawn(b"/procfs", [b"procfs", b"reserve"], [b"PATH=/bin"], False,
                    host_image=image)
            status = k.run(max_instructions=200_000_000)
            used = free0 - k.boot.frames.nfree()
        finally:
            k.close()
    assert status == 0, out.read_text()
    # all of it is freed at exit; the peak is bounded by the 4 MiB commit
    assert used < 64, used


@pytest.mark.parametrize("mem, rc_want, msg", [
    ("1G", 0, None), ("1024M", 0, None), ("1025M", 2, "kw86: --memory: at most 1024M"),
    ("2G", 2, "kw86: --memory: at most 1024M")])
def test_memory_up_to_1g(mem, rc_want, msg):
    rc, out, err = kw86("--memory", mem, "/bin/echo", "hi")
    assert rc == rc_want, err
    if msg:
        assert err.startswith(msg) and err.count("\n") == 1 and out == ""
    else:
        assert out == "hi\n" and err == ""


@pytest.mark.parametrize("mode", MODES, ids=IDS)
def test_1g_guest_uses_its_memory(prog, mode):
    """A 1 GiB machine backs a 900 MiB mapping (every 64th page and the
    last byte touched); a 64 MiB one refuses it (kw86 does not overcommit a
    request larger than all its memory)."""
    rc, out, err = kw86("--memory", "1G", *mode, *bound(prog), "/t/procfs", "big", "900")
    assert rc == 0 and out == "ok big-mmap\nok big-touch\n", (out, err)
    rc, out, err = kw86(*mode, *bound(prog), "/t/procfs", "big", "900")
    assert rc == 1 and out.startswith("FAIL big-mmap") and "errno 12" in out, (out, err)


def test_1g_boot_maps_all_memory():
    """The kernel page tables of a 1 GiB machine: all of it at KERNBASE
    (page 0 and locore's text excepted), the tables past locore."""
    from kw86.machine import Machine
    from kw86.nbsd.boot import Boot, PG_RW, PG_V
    m = Machine(mem_size=1 << 30)
    b = Boot(m)
    assert len(b.kpt_phys) == 256 and b.kpt_phys[0] >= b.lc.phys
    assert b.frames.next >= b.kpt_phys[-1] + 4096
    for pa in (0x1000, 0x3ff000, 0x400000, 0x20000000, (1 << 30) - 4096):
        pt = b.kpt_phys[pa >> 22]
        # (the accessed and dirty bits are the CPU's)
        assert m.read_u32(pt + 4 * ((pa >> 12) & 0x3ff)) & ~0x60 == pa | PG_V | PG_RW
    assert m.read_u32(b.kpt_phys[0]) == 0
    text = b.lc.phys
    assert m.read_u32(b.kpt_phys[0] + 4 * (text >> 12)) & ~0x60 == text | PG_V
    with pytest.raises(ValueError, match="at most 1024M"):
        Boot(Machine(mem_size=(1 << 30) + (4 << 20)))


# -- without a CPU: the vnodes through the system-call table ---------------------------

@pytest.fixture
def env(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    e = Env(root)
    e.sys.procs[e.p.pid] = e.p
    return e


def test_readdir_and_links_without_cpu(env):
    ents = env.readdir("/proc")
    names = [n for _, _, n in ents]
    assert names[:2] == [b".", b".."]
    assert sorted(names[2:]) == sorted([b"curproc", b"self", b"%d" % env.p.pid])
    types = {n: t for _, t, n in ents}
    assert types[b"curproc"] == types[b"self"] == abi.NBSD_DT_LNK
    assert types[b"%d" % env.p.pid] == abi.NBSD_DT_DIR
    buf = env.alloc(64)
    n = env.ok("readlink", "/proc/curproc", buf, 64)
    assert env.read(buf, n) == b"%d" % env.p.pid
    n = env.ok("readlink", f"/proc/{env.p.pid}/cwd", buf, 64)
    assert env.read(buf, n) == b"/"
    assert env.err("readlink", f"/proc/{env.p.pid}/exe", buf, 64) == abi.ENOENT
    assert env.err("open", "/proc/nope", abi.NBSD_O_RDONLY, 0) == abi.ENOENT
    assert env.err("open", "/proc/nope", abi.NBSD_O_WRONLY | abi.NBSD_O_CREAT, 0o644) == \
        abi.EROFS
    assert env.err("rmdir", f"/proc/{env.p.pid}") == abi.EROFS
    assert env.err("symlink", "x", "/proc/l") == abi.EROFS


def test_status_file_without_cpu(env):
    fd = env.ok("open", f"/proc/{env.p.pid}/status", abi.NBSD_O_RDONLY, 0)
    buf = env.alloc(512)
    n = env.ok("read", fd, buf, 512)
    line = env.read(buf, n).decode()
    assert line.endswith("\n") and line.count("\n") == 1
    f = line.split()
    assert f[1] == str(env.p.pid) and f[5] == "-1,-1" and len(f) == 13
    assert env.ok("read", fd, buf, 512) == 0
    env.ok("close", fd)
