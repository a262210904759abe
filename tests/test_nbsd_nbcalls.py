"""mincore (78), utrace (306), uuidgen (355), mremap (411), __settimeofday50
(419), __adjtime50 (421), posix_fallocate (479), fdiscard (480)
(kw86/nbsd/syscalls/nbcalls.py): tests/guest/nbcalls.c in both modes (one
line per check, "done N"), utrace under --strace (kdump's USER record;
untraced it does nothing), and the calls that need no address space
through the real dispatcher (tests/nbsd_env.py), with the adjtime slew's
arithmetic against NetBSD's once-a-second steps (hypothesis)."""
import os
import re
import struct
import subprocess
import sys

import pytest
from hypothesis import given, settings, strategies as st

import hostenv
from nbsd_env import Env, guest_program_dir
from kw86.nbsd import abi
from kw86.nbsd.syscalls import TABLE
from kw86.nbsd.syscalls.nbcalls import TimeAdj

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = os.path.join(ROOT, "tests", "guest", "nbcalls.c")


def _checks():
    with open(SRC) as f:
        src = f.read()
    names = re.findall(r'check\([^;]*?"([a-z0-9-]+)",\s*"[^"]*%', src, re.S)
    per_uuid = {"uuid-version", "uuid-variant"}                        # in a loop of 3
    return [n for n in names for _ in range(3 if n in per_uuid else 1)]


@pytest.fixture(scope="module")
def prog_dir(tmp_path_factory):
    return guest_program_dir(tmp_path_factory, "nbcalls")


def kw(*argv, timeout=300):
    r = subprocess.run([sys.executable, "-m", "kw86.cli", "exec", *argv], cwd=ROOT,
                       capture_output=True, timeout=timeout, env=hostenv.kw86_env())
    return r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")


@pytest.mark.parametrize("mode", [[], ["--kernelware"]], ids=["user", "kernelware"])
def test_nbcalls_guest(prog_dir, mode):
    rc, out, err = kw(*mode, "--bind", f"{prog_dir}:/mnt:ro", "/mnt/nbcalls")
    bad = [ln for ln in out.splitlines() if ln.startswith("FAIL")]
    assert not bad, "\n".join(bad) + "\n" + err
    assert "done 0" in out and rc == 0, out + err
    oks = [ln[3:] for ln in out.splitlines() if ln.startswith("ok ")]
    assert sorted(oks) == sorted(_checks()), out
    assert "Traceback" not in err and "not implemented" not in err, err


def test_utrace_untraced_does_nothing(prog_dir):
    rc, out, err = kw("--bind", f"{prog_dir}:/mnt:ro", "/mnt/nbcalls", "utrace")
    assert rc == 0 and out == "utrace 0 0 0 0 0 0\n", out + err


def test_utrace_traced_is_a_user_record(prog_dir):
    rc, out, err = kw("--strace", "--bind", f"{prog_dir}:/mnt:ro", "/mnt/nbcalls", "utrace")
    # too long: ENOSPC (ktruser; the manual says EINVAL); unreadable data: EFAULT
    assert rc == 0 and out == "utrace 0 0 -1 28 -1 14\n", out + err
    lines = err.splitlines()
    i = next(i for i, ln in enumerate(lines) if ' USER  "kw86-test" 12 bytes' in ln)
    assert "68 65 6c 6c 6f 2c 20 74 72 61 63 65" in lines[i + 1]
    assert "|hello, trace|" in lines[i + 1]
    assert "RET   utrace -1 errno 28" in err and "RET   utrace -1 errno 14" in err
    assert ' USER  "kw86-test" 0 bytes' in err                # the EFAULT one: no data
    users = [ln for ln in lines if " USER  " in ln]
    assert users[-2].endswith(' USER  "" 1 bytes')         # a label it could not read
    assert users[-1].endswith(' USER  "" 1 bytes')         # 20 bytes with no NUL: too long


# -- through the dispatcher ---------------------------------------------------

@pytest.fixture
def env(tmp_path):
    (tmp_path / "r").mkdir()
    return Env(tmp_path / "r")


def test_rows_are_netbsd_numbers():
    for num, name in ((78, "mincore"), (306, "utrace"), (355, "uuidgen"), (411, "mremap"),
                      (419, "__settimeofday50"), (421, "__adjtime50"),
                      (479, "posix_fallocate"), (480, "fdiscard"), (474, "posix_spawn"),
                      (465, "fexecve")):
        assert TABLE.rows[num].name == name


def test_uuidgen_limits_and_layout(env):
    buf = env.alloc(16 * 2048)
    assert env.err("uuidgen", buf, 0) == abi.EINVAL
    assert env.err("uuidgen", buf, 2049) == abi.EINVAL
    assert env.err("uuidgen", buf, -1) == abi.EINVAL
    assert env.err("uuidgen", 8, 1) == abi.EFAULT
    assert env.ok("uuidgen", buf, 2048) == 0
    us = [env.read(buf + 16 * i, 16) for i in range(2048)]
    # version 4 in time_hi_and_version (a little-endian u16 at 6), variant 10
    assert all(u[7] >> 4 == 4 and u[8] & 0xc0 == 0x80 for u in us)
    assert len(set(us)) == 2048
    # the other 122 bits look random: every bit position takes both values
    for bit in range(128):
        if bit in range(60, 64) or bit in (70, 71):
            continue
        vals = {(u[bit // 8] >> (bit % 8)) & 1 for u in us}
        assert vals == {0, 1}, bit
    # a fault part-way: the UUIDs before it are written
    edge = env.mem.base + len(env.mem.mem) - 16         # the last 16 bytes of user memory
    assert env.err("uuidgen", edge, 2) == abi.EFAULT
    assert env.read(edge, 16)[7] >> 4 == 4


def test_settimeofday_root_only_and_checked(env):
    tv = env.alloc(12, struct.pack("<qi", 1_000_000_000, 250_000))
    env.p.cred.euid = 1000
    assert env.err("__settimeofday50", tv, 0) == abi.EPERM
    env.p.cred.euid = 0
    assert env.ok("__settimeofday50", 0, 0) == 0              # nothing to set
    bad = env.alloc(12, struct.pack("<qi", 5, 1_000_000))
    assert env.err("__settimeofday50", bad, 0) == abi.EINVAL
    for sec in (-1, (1 << 36) + 1):                            # settime1: unreasonable
        assert env.err("__settimeofday50", env.alloc(12, struct.pack("<qi", sec, 0)), 0) \
            == abi.EINVAL
    assert env.err("__settimeofday50", 12, 0) == abi.EFAULT
    assert env.ok("__settimeofday50", tv, 0) == 0
    out = env.alloc(12)
    env.ok("__gettimeofday50", out, 0)
    assert struct.unpack("<qi", env.read(out, 12)) == (1_000_000_000, 250_000)
    env.now += 3 * 10**9                                       # the clock goes on from there
    env.ok("__gettimeofday50", out, 0)
    assert struct.unpack("<qi", env.read(out, 12)) == (1_000_000_003, 250_000)


def test_adjtime_slews_the_guest_clock(env):
    d = env.alloc(12, struct.pack("<qi", 3, 0))                # +3 s
    old = env.alloc(12)
    mono0 = env.now
    env.ok("__adjtime50", d, old)
    assert struct.unpack("<qi", env.read(old, 12)) == (0, 0)
    out = env.alloc(12)
    env.now = mono0 + 10 * 10**9                               # 10 s later: 10 * 5 ms added
    env.ok("__gettimeofday50", out, 0)
    s, us = struct.unpack("<qi", env.read(out, 12))
    assert s * 10**6 + us == (mono0 + 10 * 10**9) // 1000 + 50_000
    env.ok("__adjtime50", 0, old)
    assert struct.unpack("<qi", env.read(old, 12)) == (2, 950_000)
    # usec clamped to +-999999 (adjtime1)
    big = env.alloc(12, struct.pack("<qi", 0, 5_000_000))
    env.ok("__adjtime50", big, old)
    env.ok("__adjtime50", 0, old)
    assert struct.unpack("<qi", env.read(old, 12)) == (0, 999_999)
    # olddelta is written after the change: a bad one is EFAULT, the change made
    env.ok("__adjtime50", d, 0)
    assert env.err("__adjtime50", big, 12) == abi.EFAULT
    env.ok("__adjtime50", 0, old)
    assert struct.unpack("<qi", env.read(old, 12)) == (0, 999_999)
    env.p.cred.euid = 1000
    assert env.err("__adjtime50", d, 0) == abi.EPERM           # root only,
    assert env.err("__adjtime50", 0, old) == abi.EPERM         # even to read (kauth first)


@settings(max_examples=200, deadline=None)
@given(delta=st.integers(min_value=-10**8, max_value=10**8),
       t=st.integers(min_value=0, max_value=3 * 10**13))
def test_timeadj_matches_netbsd_seconds(delta, t):
    """TimeAdj against a literal loop of ntp_update_second's steps: at each
    whole second the clock has moved by the steps so far; never faster than
    5000 us a second; it ends with the whole delta."""
    a = TimeAdj(0, delta)
    r, done, secs = delta, 0, t // 10**9
    for _ in range(min(secs, 30000)):
        if r == 0:
            break
        step = (5000 if r > 10**6 else -5000 if r < -10**6 else 500 if r > 500
                else -500 if r < -500 else r)
        r -= step
        done += step
    if secs <= 30000:
        assert a.applied(secs * 10**9) == done * 1000
        assert a.remaining(secs * 10**9) == delta - done
    assert abs(a.applied(t + 10**9) - a.applied(t)) <= 5000 * 1000
    assert a.applied(10**16) == delta * 1000


def test_fallocate_and_fdiscard(env):
    fd = env.ok("open", "f", abi.NBSD_O_RDWR | abi.NBSD_O_CREAT, 0o644)
    r = env.call("posix_fallocate", fd, 0, 4096)
    assert r.error == 0 and r.eax == abi.EOPNOTSUPP            # the value, not errno
    assert env.call("posix_fallocate", fd, -1, 1).eax == abi.EINVAL
    assert env.call("posix_fallocate", fd, 1, (1 << 63) - 1).eax == abi.EINVAL
    assert env.call("posix_fallocate", 99, 0, 1).eax == abi.EBADF
    assert env.err("fdiscard", fd, 0, 4096) == abi.EOPNOTSUPP
    assert env.err("fdiscard", fd, 0, -1) == abi.EINVAL
    assert env.err("fdiscard", 99, 0, 1) == abi.EBADF
    ro = env.ok("open", "f", abi.NBSD_O_RDONLY, 0)
    assert env.call("posix_fallocate", ro, 0, 1).eax == abi.EBADF
    assert env.err("fdiscard", ro, 0, 1) == abi.EBADF
    assert os.path.getsize(env.root / "f") == 0                # nothing allocated


def test_utrace_untraced_returns_0_whatever_its_arguments(env):
    assert env.ok("utrace", 8, 16, 1 << 20) == 0


def test_spawn_and_vm_calls_need_the_machine(env):
    """In the CPU-less harness (no address space, no exec) they say ENOSYS."""
    assert env.err("mincore", 0x10000, 4096, env.alloc(1)) == abi.ENOSYS
    assert env.err("mremap", 0x10000, 4096, 0, 8192, 0) == abi.ENOSYS
    assert env.err("posix_spawn", 0, "/bin/echo", 0, 0, 0, 0) == abi.ENOSYS


def test_compat50_settimeofday_and_adjtime_use_timeval50(env):
    """122 and 140: NetBSD 1.5-4's struct timeval50 (32-bit tv_sec, 8 bytes)."""
    tv = env.alloc(8, struct.pack("<ii", 1_500_000_000, 7))
    assert env.ok("compat_50_settimeofday", tv, 0) == 0
    out = env.alloc(8)
    env.ok("gettimeofday", out, 0)                          # 116, the 1.5 form
    assert struct.unpack("<ii", env.read(out, 8)) == (1_500_000_000, 7)
    d = env.alloc(8, struct.pack("<ii", -1, 250_000))      # -0.75 s
    old = env.alloc(8)
    env.ok("compat_50_adjtime", d, old)
    assert struct.unpack("<ii", env.read(old, 8)) == (0, 0)
    env.ok("compat_50_adjtime", 0, old)
    assert struct.unpack("<ii", env.read(old, 8)) == (-1, 250_000)
    env.ok("__adjtime50", 0, old)                          # one correction, two layouts
    assert struct.unpack("<qi", env.read(old, 12)) == (-1, 250_000)


def test_extattr_calls_answer_as_filesystems_without_attributes(env):
    (env.root / "f").write_bytes(b"x")
    os.symlink("nowhere", env.root / "l")
    buf = env.alloc(64)
    assert env.err("extattr_get_file", "/f", 1, "a", buf, 64) == abi.EOPNOTSUPP
    assert env.err("extattr_list_link", "/l", 1, 0, 0) == abi.EOPNOTSUPP   # the link itself
    assert env.err("extattr_list_file", "/l", 1, 0, 0) == abi.ENOENT       # followed
    assert env.err("extattr_get_file", "/f", 1, "n" * 255, buf, 64) == abi.ENAMETOOLONG
    assert env.err("extattr_get_file", "/f", 1, "n" * 254, buf, 64) == abi.EOPNOTSUPP
    assert env.err("extattr_set_file", "/f", 1, "a", buf, 0x80000000) == abi.EINVAL
    assert env.err("extattr_get_file", "/f", 1, "a", 0, 0x80000000) == abi.EOPNOTSUPP
    assert env.err("getxattr", "/f", "user.a", buf, 64) == abi.ENOTSUP
    assert env.err("lsetxattr", "/l", "user.a", buf, 1, 0) == abi.ENOTSUP
    assert env.err("removexattr", "/nope", "user.a") == abi.ENOENT
    assert env.err("fremovexattr", 77, "user.a") == abi.EBADF
    assert env.err("listxattr", 8, buf, 64) == abi.EFAULT


def test_acl_calls_answer_as_filesystems_without_acls(env):
    (env.root / "f").write_bytes(b"x")
    os.symlink("nowhere", env.root / "l")
    acl = env.alloc(4088)
    fd = env.ok("open", "/f", abi.NBSD_O_RDONLY, 0)
    assert env.err("__acl_get_file", "/f", 1, acl) == abi.EOPNOTSUPP
    assert env.err("__acl_get_file", "/l", 1, acl) == abi.ENOENT      # followed
    assert env.err("__acl_get_link", "/l", 1, acl) == abi.EOPNOTSUPP  # the link itself
    assert env.err("__acl_get_fd", fd, 1, acl) == abi.EOPNOTSUPP
    assert env.err("__acl_set_fd", fd, 1, acl) == abi.EOPNOTSUPP
    assert env.err("__acl_set_file", "/f", 1, 16) == abi.EFAULT       # the ACL read first
    assert env.err("__acl_aclcheck_fd", fd, 1, 16) == abi.EFAULT
    assert env.err("__acl_delete_file", "/nope", 1) == abi.ENOENT
    assert env.err("__acl_delete_fd", 99, 1) == abi.EBADF


def test_lpathconf_does_not_follow(env):
    os.symlink("nowhere", env.root / "l")
    assert env.err("pathconf", "/l", 1) == abi.ENOENT
    assert env.ok("lpathconf", "/l", 1) == env.ok("pathconf", "/", 1)
    assert env.err("lpathconf", "/l", 99) == abi.EINVAL


def test_netbsd_current_calls_are_enosys_by_name_not_sigsys(env):
    """500-506 (memfd_create ... semtimedop): NetBSD-current's; ENOSYS with the
    name reported once, no SIGSYS (a number NetBSD defines)."""
    from kw86.nbsd.syscalls import dispatch
    import io
    env.sys.stderr = io.StringIO()
    for num, name in ((500, "memfd_create"), (501, "__kevent100"), (505, "__dup3100"),
                      (506, "semtimedop")):
        r = dispatch(env.p, num, env.sp)
        assert r.error == abi.ENOSYS
        assert f"syscall {num} ({name}) not implemented" in env.sys.stderr.getvalue()
    assert not env.p.siglist


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), kernelware=st.booleans())
def test_mremap_random_sequences_keep_memory_right(prog_dir, seed, kernelware):
    """tests/guest/nbcalls.c `mremap SEED N`: 200 random grows, shrinks,
    moves (MAP_FIXED and not, aligned), refused MAP_FIXED onto a mapping and
    MAP_REMAPDUP duplicates; every page's contents checked after each call."""
    mode = ["--kernelware"] if kernelware else []
    rc, out, err = kw(*mode, "--bind", f"{prog_dir}:/mnt:ro", "/mnt/nbcalls", "mremap",
                      str(seed), "200")
    m = re.match(r"mremap-fuzz 200 bad (\d+) moved (\d+) dups (\d+)$", out.strip())
    assert m and rc == 0, out + err
    assert int(m.group(1)) == 0 and int(m.group(2)) > 0, out
