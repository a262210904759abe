"""What a real NetBSD 10 static binary does first (csu ___start, _libc_init,
__libc_static_tls_setup, jemalloc and stdio set-up), checked with a
hand-written static ELF (tests/guest/nb10start.S, NetBSD note in a
PT_NOTE), plus the NetBSD 10 calls of nb10.py through the dispatcher."""
import os
import shutil
import struct
import subprocess
import sys

import pytest

import hostenv
from buildreq import fail_build
from nbsd_env import GUEST_SRC, GUEST_OUT, Env
from kw86.nbsd import abi

EXPECT = [
    ("argc from ps_strings", 1),
    ("argc at the entry esp", 1),
    ("AT_PAGESZ", 0x1000),
    ("AT_ENTRY is _start", 1),
    ("AT_PHNUM", None),                 # the file's e_phnum
    ("AT_PHDR[0].p_type", 6),           # PT_PHDR
    ("_lwp_self", 2),               # the pid (NetBSD 10): init is pid 1
    ("%gs:0 after _lwp_setprivate", 1),
    ("%gs:-4 (TLS below the TCB)", 0x7153),
    ("_lwp_getprivate", 1),
    ("sysarch I386_GET_GSBASE", 1),
    ("%gs:0 after I386_SET_GSBASE", 1),
    ("kern.arandom length", 16),
    ("hw.pagesize", 4096),
    ("kern.argmax", 0x40000),
    ("__sigprocmask14", 0),
    ("mmap page usable", 0x55aa55aa),
    ("mmap MAP_ALIGNED(20)", 1),
    ("__fstat50", 0),
    ("issetugid", 0),
    ("RLIMIT_NOFILE cur", None),
    ("__clock_gettime50", 0),
    ("minherit", 0),
    ("___lwp_park60 zero timeout", 0xe0000000 | 60),     # ETIMEDOUT
    ("park after _lwp_unpark", 0xe0000000 | 37),         # EALREADY
    ("sysarch unknown op", 0xe0000000 | 22),             # EINVAL
    ("fork child: same %gs, zeroed page", 0x43),
    ("__vfork14 child runs (and exits) before the parent goes on", "vchild"),
    ("the vfork parent's line", 0x7f),
    ("the vfork child's exit status", 5),
    ("after execve: _lwp_getprivate", 0),
    ("after execve: I386_GET_GSBASE", 0),
]


def _assemble(name, defines=(), out_name=None):
    """tests/guest/NAME.S as a static NetBSD/i386 ELF (cached in .build)."""
    src = os.path.join(GUEST_SRC, name + ".S")
    out = os.path.join(GUEST_OUT, out_name or name)
    if not (os.path.exists(out) and os.path.getmtime(out) >= os.path.getmtime(src)):
        os.makedirs(GUEST_OUT, exist_ok=True)
        r = subprocess.run([sys.executable, "-m", "ziglang", "cc", "-target",
                            "x86-freestanding-none", "-mcpu=i686", "-nostdlib", "-static",
                            "-Wl,-e,_start", "-Wl,--image-base=0x8048000", *defines, src, "-o",
                            out + ".tmp"], capture_output=True, text=True, env=hostenv.ENV)
        if r.returncode:
            fail_build(f"cannot assemble {name}.S: {r.stderr[:500]}")
        os.replace(out + ".tmp", out)
    return out


@pytest.fixture(scope="module")
def nb10(tmp_path_factory):
    d = tmp_path_factory.mktemp("nb10")
    shutil.copy(_assemble("nb10start"), d / "nb10")
    shutil.copy(_assemble("sig15"), d / "sig15")
    shutil.copy(_assemble("sig15", ["-DNOTE_VERSION=1000000000"], "sig15_v10"), d / "sig15_v10")
    return d


@pytest.mark.parametrize("kernelware", [False, True])
def test_netbsd10_startup(nb10, capfd, kernelware):
    from elftools.elf.elffile import ELFFile
    from kw86 import cli
    with open(nb10 / "nb10", "rb") as f:
        phnum = ELFFile(f).header.e_phnum
    capfd.readouterr()
    rc = cli.main(["exec", "--bind", f"{nb10}:/t"] + (["--kernelware"] if kernelware else [])
                  + ["/t/nb10"])
    out, err = capfd.readouterr()
    assert rc == 0, err
    got = [x if x == "vchild" else int(x, 16) for x in out.split()]
    assert len(got) == len(EXPECT), out
    for (what, want), v in zip(EXPECT, got):
        if what == "AT_PHNUM":
            want = phnum
        if what == "RLIMIT_NOFILE cur":
            assert 20 <= v <= 3404, what
            continue
        assert v == want, f"{what}: {v!r} != {want!r}"
    assert "not implemented" not in err


@pytest.mark.parametrize("kernelware", [False, True])
def test_netbsd15_signals(nb10, capfd, kernelware):
    """1.5's __sigaction14/__sigreturn14 with the kernel's sigcode below
    ps_strings: handler args, registers and mask restored, an edited
    sc_eip honoured (a SIGSEGV handler skipping the faulting load); and
    1.x's `lcall $7,$0` system call entry (the LDT call gate)."""
    from kw86 import cli
    capfd.readouterr()
    rc = cli.main(["exec", "--bind", f"{nb10}:/t"] + (["--kernelware"] if kernelware else [])
                  + ["/t/sig15"])
    out, err = capfd.readouterr()
    assert rc == 0, err
    lines = out.split()
    assert lines[-3:] == ["00000001", "lcall", "00000006"]   # lcall $7,$0 getpid, write
    assert [int(x, 16) for x in lines[:-3]] == [
        0,              # __sigaction14 succeeded
        0x1234abcd,     # ebx restored by __sigreturn14
        30,             # handler's signum
        1 << 29,        # SIGUSR1 blocked inside the handler
        1,              # the handler returned into the sigcode under ps_strings
        0,              # mask restored afterwards
        0x77,           # the faulting load was skipped (sc_eip + 2)
        6,              # code = T_PAGEFLT
    ]


def test_compat_sigaction14_in_a_netbsd10_binary(nb10, capfd):
    """The same program marked as NetBSD 10 (compat_16): the sigcode is a
    page mapped on the first __sigaction14, not under ps_strings."""
    from kw86 import cli
    capfd.readouterr()
    rc = cli.main(["exec", "--bind", f"{nb10}:/t", "/t/sig15_v10"])
    out, err = capfd.readouterr()
    assert rc == 0, err
    assert out.split() == ["%08x" % v for v in (0, 0x1234abcd, 30, 1 << 29, 0, 0, 0x77, 6, 1)] \
        + ["lcall", "00000006"]


# -- the calls, without a CPU -------------------------------------------------

@pytest.fixture
def env(tmp_path):
    root = tmp_path / "root"
    (root / "d").mkdir(parents=True)
    (root / "d" / "f").write_bytes(b"data")
    return Env(root)


def test_sysctl_nodes_sysconf_reads(env):
    def sysctl(*mib, size=64):
        m = env.alloc(4 * len(mib), struct.pack(f"<{len(mib)}i", *mib))
        old = env.alloc(size)
        ln = env.alloc(4, struct.pack("<I", size))
        env.ok("__sysctl", m, len(mib), old, ln, 0, 0)
        n = struct.unpack("<I", env.read(ln, 4))[0]
        return env.read(old, n)
    assert struct.unpack("<i", sysctl(1, 38))[0] == 1024          # kern.iov_max
    assert struct.unpack("<i", sysctl(1, 18))[0] == 16            # kern.ngroups
    assert struct.unpack("<i", sysctl(1, 17))[0] == 200809        # kern.posix1version
    assert sysctl(8, 1).rstrip(b"\0") == b"/usr/bin:/bin:/usr/sbin:/sbin"   # user.cs_path
    assert struct.unpack("<i", sysctl(8, 8))[0] == 2048           # user.line_max
    assert len(sysctl(2, 2)) == 16                                # vm.loadavg
    assert struct.unpack("<i", sysctl(6, 7))[0] == 4096           # hw.pagesize


def test_at_calls(env):
    dfd = env.ok("open", "/d", abi.NBSD_O_RDONLY | abi.NBSD_O_DIRECTORY, 0)
    st = env.alloc(124)
    env.ok("fstatat", dfd, "f", st, 0)
    assert abi.unpack_stat50(env.read(st, 124)).size == 4
    fd = env.ok("openat", dfd, "g", abi.NBSD_O_CREAT | abi.NBSD_O_WRONLY, 0o644)
    env.write_fd(fd, b"xyz")
    env.ok("close", fd)
    assert (env.root / "d" / "g").read_bytes() == b"xyz"
    env.ok("mkdirat", dfd, "sub", 0o755)
    env.ok("symlinkat", "f", dfd, "ln")
    buf = env.alloc(64)
    assert env.read(buf, env.ok("readlinkat", dfd, "ln", buf, 64)) == b"f"
    env.ok("renameat", dfd, "g", -100, "/d/h")
    assert (env.root / "d" / "h").read_bytes() == b"xyz"
    env.ok("linkat", dfd, "h", dfd, "h2", 0)
    assert (env.root / "d" / "h2").read_bytes() == b"xyz"
    env.ok("faccessat", dfd, "f", 4, 0)
    env.ok("fchmodat", dfd, "f", 0o600, 0)
    assert env.stat("/d/f").mode & 0o777 == 0o600
    env.ok("unlinkat", dfd, "ln", 0)
    env.ok("unlinkat", dfd, "sub", 0x800)                # AT_REMOVEDIR
    assert not (env.root / "d" / "sub").exists()
    assert env.err("fstatat", dfd, "nope", st, 0) == abi.ENOENT
    ffd = env.ok("open", "/d/f", abi.NBSD_O_RDONLY, 0)
    assert env.err("fstatat", ffd, "x", st, 0) == abi.ENOTDIR
    # AT_FDCWD and absolute paths ignore the descriptor
    env.ok("fstatat", -100, "/d/f", st, 0x200)


def test_utimensat_futimens(env):
    ts = env.alloc(24, struct.pack("<qiqi", 1000, 5, 2000, (1 << 30) - 2))  # mtime OMIT
    before = env.stat("/d/f").mtime
    env.ok("utimensat", -100, "/d/f", ts, 0)
    a = env.stat("/d/f")
    assert a.atime == 1000 * 10**9 + 5 and a.mtime == before
    fd = env.ok("open", "/d/f", abi.NBSD_O_RDONLY, 0)
    ts2 = env.alloc(24, struct.pack("<qiqi", 0, (1 << 30) - 1, 3000, 0))   # atime NOW
    env.ok("futimens", fd, ts2)
    a = env.stat("/d/f")
    assert a.mtime == 3000 * 10**9 and a.atime == env.now
    bad = env.alloc(24, struct.pack("<qiqi", 0, 10**9, 0, 0))
    assert env.err("futimens", fd, bad) == abi.EINVAL


def test_statvfs(env):
    """__fstatvfs190 (opendir's union-mount check), __statvfs190,
    __getvfsstat90 and the compat_90 layout."""
    fd = env.ok("open", "/d", abi.NBSD_O_RDONLY | abi.NBSD_O_DIRECTORY, 0)
    buf = env.alloc(3268)
    env.ok("__fstatvfs190", fd, buf, 2)
    raw = env.read(buf, 3268)
    flag, bsize = struct.unpack_from("<II", raw, 0)
    assert flag & 0x1000 and not flag & 0x20         # MNT_LOCAL, not MNT_UNION
    assert bsize > 0
    assert raw[164:168] == b"ffs\0" and raw[196:198] == b"/\0"
    assert struct.unpack_from("<I", raw, 124)[0] == 511  # f_namemax (NAME_MAX)
    env.ok("__statvfs190", "/tmp/", buf, 1)
    raw = env.read(buf, 3268)
    assert raw[164:168] == b"mfs\0" and raw[196:201] == b"/tmp\0"
    mounts = [b"/", b"/dev", b"/proc", b"/tmp", b"/var/shm"]
    n = len(mounts)
    assert env.ok("__getvfsstat90", 0, 0, 2) == n
    big = env.alloc(n * 3268)
    assert env.ok("__getvfsstat90", big, n * 3268, 2) == n
    ons = [env.read(big + i * 3268 + 196, 12).split(b"\0")[0] for i in range(n)]
    assert ons == mounts
    assert env.read(big + 4 * 3268 + 164, 6) == b"tmpfs\0"   # shm_open's file system
    small = env.alloc(2244)
    env.ok("compat_90_fstatvfs1", fd, small, 2)
    assert env.read(small + 164, 4) == b"ffs\0"
    pfd = env.alloc(8)
    env.ok("pipe2", pfd, 0)
    r = struct.unpack("<i", env.read(pfd, 4))[0]
    assert env.err("__fstatvfs190", r, buf, 2) == abi.EOPNOTSUPP
    assert env.err("__statvfs190", "/d", buf, 8) == abi.EINVAL


def test_fadvise_chflags_fsync_range(env):
    fd = env.ok("open", "/d/f", abi.NBSD_O_RDWR, 0)
    env.ok("__posix_fadvise50", fd, 0, 0, 2)         # POSIX_FADV_SEQUENTIAL
    assert env.err("__posix_fadvise50", fd, 0, 0, 9) == abi.EINVAL
    env.ok("fchflags", fd, 0)
    env.ok("chflags", "/d/f", 0)
    assert env.err("chflags", "/d/f", 0x20000) == abi.EOPNOTSUPP   # SF_IMMUTABLE
    env.ok("fsync_range", fd, 0x20, 0, 0)
    env.ok("fdatasync", fd)
    assert env.err("fsync_range", fd, 0, 0, 0) == abi.EINVAL


@pytest.mark.parametrize("kernelware", [False, True])
def test_tls_through_libc_stubs(capfd, kernelware):
    """_lwp_setprivate from C through the hybrid stub (int $0x80, or the
    kernelware call gate): %gs:0 is the TCB, in a fork child too."""
    from nbsd_env import guest_program
    from kw86 import cli
    path = guest_program("ktest")
    if path is None:
        fail_build(guest_program.why)
    rel = os.path.relpath(path)
    capfd.readouterr()
    rc = cli.main(["exec"] + (["--kernelware"] if kernelware else []) +
                  [rel if "/" in rel else "./" + rel, "tls"])
    out, err = capfd.readouterr()
    assert rc == 0, out + err
    assert out.split("\n")[:3] == ["ok gs0-is-tcb", "ok fork-child-gs0", "ok gs0-after-switches"]
