"""Every implemented system call's handler runs at least once, with plausible
and with garbage arguments, through the real dispatcher (argument fetch, PAD
words, 64-bit halves) on the CPU-less harness (tests/nbsd_env.py) and on a
booted kernel's process: each returns a result, an errno, a sleep or an
exit, never an internal error (System.strict makes one raise here)."""
import os
import random
import struct
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))

from kw86.nbsd import abi                                   # noqa: E402
from kw86.nbsd.errors import Exit                           # noqa: E402
from kw86.nbsd.syscalls import TABLE, dispatch              # noqa: E402

ROWS = sorted(TABLE.rows.values(), key=lambda r: r.num)
# calls that end or replace the process on the harness: still dispatched,
# Exit is their legitimate answer
ENDS = {"exit", "_lwp_exit"}


def _garbage(rng, env, a):
    """A value for argument a: small, huge, negative, a pointer into the
    harness's memory (with a string or zeroes there), or a wild pointer."""
    k = rng.randrange(9)
    if k == 0:
        return 0
    if k == 1:
        return 0xffffffff
    if k == 2:
        return rng.randrange(8)
    if k == 3:
        return rng.getrandbits(32)
    if k == 4:
        return env.s(rng.choice(["a", "/", "d/e", "..", "/dev/null", "x" * 300]))
    if k == 5:
        return env.alloc(256, bytes(rng.getrandbits(8) for _ in range(256)))
    if k == 6:
        return 0xc0001000
    if k == 7:
        return env.alloc(64, bytes(64))
    return rng.getrandbits(64) if a.words == 2 else rng.getrandbits(31)


def _call(env, row, words):
    env.mem.copyout(env.sp + 4, struct.pack(f"<{len(words)}I", *words))
    try:
        return dispatch(env.p, row.num, env.sp)
    except Exit:
        assert row.name in ENDS, row.name
        return None


def _words(row, vals):
    out = []
    it = iter(vals)
    for a in row.args:
        if a.kind == "pad":
            out.append(0)
            continue
        v = next(it)
        if a.words == 2:
            v &= (1 << 64) - 1
            out += [v & 0xffffffff, v >> 32]
        else:
            out.append(v & 0xffffffff)
    return out


@pytest.fixture
def env(tmp_path):
    from nbsd_env import Env
    root = tmp_path / "root"
    root.mkdir()
    (root / "d").mkdir()
    (root / "a").write_bytes(b"hello\n")
    e = Env(root)
    e.sys.strict = True                 # an internal error raises: the test fails
    return e


@pytest.mark.parametrize("row", ROWS, ids=[f"{r.num}-{r.name}" for r in ROWS])
def test_each_call_with_plausible_and_garbage_args(env, row):
    rng = random.Random(row.num)
    nargs = sum(1 for a in row.args if a.kind != "pad")
    # plausible: zeroes, then small numbers and valid buffers
    for vals in ([0] * nargs, [rng.randrange(4) for _ in range(nargs)],
                 [env.alloc(512, bytes(512)) if i % 2 else 1 for i in range(nargs)]):
        _call(env, row, _words(row, vals))
    for _ in range(12):
        _call(env, row, _words(row, [_garbage(rng, env, a) for a in row.args
                                     if a.kind != "pad"]))


def test_every_row_has_a_handler_and_its_name():
    for row in ROWS:
        assert row.handler is not None, row.name
        assert TABLE.vec[row.num] is row


def test_calls_on_a_booted_kernel_never_fail_internally():
    """The same sweep on a real kernel process (p.vm, p.kernel present), from
    the Python side: dispatch() with garbage, the calls that replace the frame
    or the image excluded (the fuzzer runs those from a guest)."""
    from kw86.nbsd.kernel import Kernel
    from kw86.nbsd.syscalls import SysResult
    k = Kernel(os.path.join(ROOT, "kw86", "sysroot"), epoch_ns=0)
    try:
        k.sys.strict = True
        p = k.spawn(b"/usr/bin/true", [b"true"], [])
        rng = random.Random(4)
        sp = abi.USRSTACK - 0x800
        skip = {"execve", "fork", "__vfork14", "exit", "_lwp_exit", "getcontext",
                "setcontext", "compat_16___sigreturn14", "__sigaltstack14",
                "kw86_switch_to_kernel", "kw86_switch_to_user", "kill", "_lwp_kill",
                "chroot", "setuid", "setgid", "seteuid", "setegid", "setreuid",
                "setregid", "setgroups", "__setlogin"}
        for row in ROWS:
            if row.name in skip:
                continue
            for _ in range(6):
                words = []
                for a in row.args:
                    if a.kind == "pad":
                        words.append(0)
                        continue
                    v = rng.choice([0, 1, 0xffffffff, rng.getrandbits(32), sp - 0x400,
                                    0x1000, 0xc0000000, abi.USRSTACK - 4])
                    words += [v, 0] if a.words == 2 else [v]
                p.mem.copyout(sp + 4, struct.pack(f"<{len(words)}I", *words))
                p.timed_start = None
                try:
                    res = dispatch(p, row.num, sp)
                except Exit:
                    continue
                assert isinstance(res, SysResult)
                assert res.error != abi.EIO or row.name in ("read", "write", "readv",
                                                            "writev", "pread", "pwrite",
                                                            "preadv", "pwritev"), row.name
    finally:
        k.close()
