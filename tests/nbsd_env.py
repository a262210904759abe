"""Test harness for the NetBSD personality without a CPU.

Env builds a System over a temporary host directory (the guest root), a
bytearray-backed user memory, and a Proc; `call(name, *args)` puts the
arguments on a fake user stack exactly as libc's stubs do and goes through
the real dispatcher (argument fetching, PAD words, 64-bit off_t).
"""
import struct

from kw86.nbsd import abi
from kw86.nbsd.proc import Proc
from kw86.nbsd.syscalls import TABLE, dispatch
from kw86.nbsd.system import System
from kw86.nbsd.usermem import FlatUserMem

BASE = 0x10000
SIZE = 4 << 20


class Env:
    def __init__(self, root, clock_ns=1_700_000_000 * 10**9, **kw):
        self.root = root
        self.now = clock_ns
        self.sys = System(str(root), clock=lambda: self.now, **kw)
        self.sys.strict = True
        self.mem = FlatUserMem(SIZE, BASE)
        self.p = Proc(self.sys, mem=self.mem)
        self.sp = BASE + SIZE - 0x1000
        self.heap = BASE

    # -- user memory helpers --
    def alloc(self, n, data=None):
        a = self.heap
        self.heap += (n + 15) & ~15
        assert self.heap < self.sp - 0x10000
        if data is not None:
            self.mem.copyout(a, data)
        return a

    def s(self, text):
        if isinstance(text, str):
            text = text.encode()
        return self.alloc(len(text) + 1, text + b"\0")

    def read(self, addr, n):
        return self.mem.copyin(addr, n)

    # -- system calls --
    def call(self, name, *args, proc=None):
        row = TABLE.byname[name]
        words = []
        vals = iter(args)
        for a in row.args:
            if a.kind == "pad":
                words.append(0)
                continue
            v = next(vals)
            if isinstance(v, (str, bytes)):
                v = self.s(v)
            if a.words == 2:
                v &= (1 << 64) - 1
                words += [v & 0xffffffff, v >> 32]
            else:
                words.append(v & 0xffffffff)
        rest = list(vals)
        assert not rest, f"too many args for {name}"
        self.mem.copyout(self.sp + 4, struct.pack(f"<{len(words)}I", *words))
        return dispatch(proc or self.p, row.num, self.sp)

    def ok(self, name, *args, **kw):
        r = self.call(name, *args, **kw)
        assert r.error == 0 and r.block is None, \
            f"{name}{args}: {abi.errno_name(r.error)} {r.block}"
        if r.row.ret == "off_t":
            return r.eax | (r.edx << 32)
        return r.eax - (1 << 32) if r.eax & 0x80000000 else r.eax

    def err(self, name, *args, **kw):
        r = self.call(name, *args, **kw)
        assert r.error, f"{name}{args} succeeded: {r.eax}"
        return r.error

    def stat(self, path, follow=True):
        b = self.alloc(124)
        self.ok("__stat50" if follow else "__lstat50", path, b)
        return abi.unpack_stat50(self.read(b, 124))

    def fstat(self, fd):
        b = self.alloc(124)
        self.ok("__fstat50", fd, b)
        return abi.unpack_stat50(self.read(b, 124))

    def write_fd(self, fd, data):
        return self.ok("write", fd, self.alloc(len(data), data), len(data))

    def read_fd(self, fd, n):
        b = self.alloc(n)
        k = self.ok("read", fd, b, n)
        return self.read(b, k)

    def readdir(self, path, abiv="10"):
        fd = self.ok("open", path, abi.NBSD_O_RDONLY | abi.NBSD_O_DIRECTORY, 0)
        b = self.alloc(4096)
        out = []
        while True:
            n = self.ok("__getdents30" if abiv == "10" else "getdents", fd, b, 4096)
            if n == 0:
                break
            out += abi.unpack_dirents(self.read(b, n), abiv)
        self.ok("close", fd)
        return out


# -- guest test programs (tests/guest/*.c) -------------------------------------
#
# Compiled with userland/build.py's flags against the libc and crt0 it has
# built (userland/.obj), into tests/guest/.build, once per source change.

import importlib.util
import os
import subprocess
import sys

import hostenv

TESTS = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(TESTS)
GUEST_SRC = os.path.join(TESTS, "guest")
GUEST_OUT = os.path.join(GUEST_SRC, ".build")
SYSROOT = os.path.join(REPO, "kw86", "sysroot")


def _userland_build():
    spec = importlib.util.spec_from_file_location(
        "kw86_userland_build", os.path.join(REPO, "userland", "build.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def guest_program(name):
    """Path of tests/guest/NAME.c built as a NetBSD/i386 executable, or None
    (with the reason in guest_program.why) if it cannot be built here."""
    src = os.path.join(GUEST_SRC, name + ".c")
    out = os.path.join(GUEST_OUT, name)
    b = _userland_build()
    obj = os.path.join(REPO, "userland", ".obj")
    libc = os.path.join(obj, "libc.a")
    crt0 = sorted(os.path.join(obj, "crt", f) for f in os.listdir(os.path.join(obj, "crt"))
                  if f.endswith(".o")) if os.path.isdir(os.path.join(obj, "crt")) else []
    if not os.path.exists(libc) or not crt0:
        # no userland build in the tree: build libc and the program with
        # build.py's own helper, objects cached beside the program
        try:
            os.makedirs(GUEST_OUT, exist_ok=True)
            return b.build_program([src], out, obj_dir=os.path.join(GUEST_OUT, "obj"))
        except Exception as e:                  # no zig, a build error
            guest_program.why = f"cannot build {name} (userland/build.py): {e}"[:2000]
            return None
    if os.path.exists(out) and os.path.getmtime(out) >= max(
            os.path.getmtime(p) for p in [src, libc] + crt0):
        return out
    os.makedirs(GUEST_OUT, exist_ok=True)
    with open(os.path.join(GUEST_OUT, ".gitignore"), "w") as f:
        f.write("*\n")
    inc = ["-I", os.path.join(REPO, "userland", "include"),
           "-I", os.path.join(obj, "gen", "include")]
    zig = [sys.executable, "-m", "ziglang", "cc"]
    o = out + ".o"
    for cmd in (zig + b.CFLAGS + inc + ["-c", src, "-o", o],
                zig + b.LDFLAGS + crt0 + [o, libc, "-o", out + ".tmp"]):
        r = subprocess.run(cmd, capture_output=True, text=True, env=hostenv.ENV)
        if r.returncode:
            guest_program.why = f"cannot build {name}: {r.stderr.strip()[:2000]}"
            return None
    os.replace(out + ".tmp", out)
    return out


def guest_program_dir(tmp_path_factory, name):
    """A directory of its own (mode 0755, so the guest's ordinary user
    reaches it too, e.g. through --bind DIR:/mnt:ro) holding tests/guest/NAME.c
    built as NAME (mode 0755); a failed build fails the test, never skips."""
    import shutil
    from buildreq import fail_build
    path = guest_program(name)
    if path is None:
        fail_build(guest_program.why)
    d = tmp_path_factory.mktemp(name)
    shutil.copy(path, d / name)
    os.chmod(d, 0o755)
    os.chmod(d / name, 0o755)
    return str(d)


# the two ways a program runs, for pytest.mark.parametrize("mode", MODES)
MODES = [([], "user"), (["--kernelware"], "kernelware")]


def run_guest_program(name, mode, timeout=300):
    """Build tests/guest/NAME.c (a failed build fails the test, never skips)
    and run it through `kw86 exec` with the options `mode` from the repository
    root: (returncode, stdout, stderr) as text."""
    from buildreq import fail_build
    path = guest_program(name)
    if path is None:
        fail_build(guest_program.why)
    r = subprocess.run([sys.executable, "-m", "kw86.cli", "exec", *mode,
                        "./" + os.path.relpath(path, REPO)],
                       cwd=REPO, capture_output=True, timeout=timeout, env=hostenv.kw86_env(),
                       stdin=subprocess.DEVNULL)
    return r.returncode, r.stdout.decode(), r.stderr.decode()
