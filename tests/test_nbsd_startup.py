"""Start-up paths of the kernel (issue 12) that must not change behaviour:
system-call rows derive their argument decoding on first use, and a kernel
import leaves what a run may never need unloaded."""
import subprocess
import sys

import pytest

from hostenv import ROOT, kw86_env
from kw86.nbsd.syscalls import TABLE
from kw86.nbsd.syscalls.table import Row, parse_prototype


def test_every_row_derives_its_argument_decoding():
    for r in TABLE.rows.values():
        args = parse_prototype(r.proto)
        assert [(a.type, a.name) for a in r.args] == [(a.type, a.name) for a in args]
        assert r.nwords == sum(a.words for a in args)
        assert r.argbytes == 4 * r.nwords == r.fmt.size
        assert r.argst.size == r.argbytes
        if r.nwords:
            words = [(0x80000000 + 7 * i) & 0xffffffff for i in range(r.nwords)]
            raw = r.fmt.pack(*words)
            assert list(r.argst.unpack(raw)) == r.decode(words)


def test_a_row_derives_on_first_use_only():
    r = Row(3, "read", "int fd, void *buf, size_t nbyte", None)
    with pytest.raises(AttributeError):
        Row.__dict__["argst"].__get__(r)         # nothing derived yet
    assert r.argbytes == 12
    assert Row.__dict__["argst"].__get__(r).format == "<iII"
    with pytest.raises(AttributeError):
        r.no_such_attribute
    bad = Row(9, "bad", "int ...", None)          # a malformed row fails at its first use
    with pytest.raises(ValueError):
        bad.args


def test_kernel_import_leaves_the_run_time_extras_unloaded():
    code = ("import sys; import kw86.nbsd.kernel; "
            "print(sorted(m for m in ('argparse', 'json', 'tomllib', 'kw86.nbsd.syscalls.socket', "
            "'kw86.nbsd.socket', 'kw86.nbsd.syscalls.kqueue', 'kw86.nbsd.profile', "
            "'kw86.nbsd.trace', 'kw86.nbsd.syscalls.ksem', 'kw86.nbsd.syscalls.ptimer') "
            "if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=kw86_env(),
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"


def test_exec_true_imports_no_start_up_extras():
    """A plain `kw86 exec` in a bare interpreter (-S: no site, so nothing
    preloaded) imports none of the modules start-up work removed (issue 12:
    argparse, json, tomllib, random, contextlib, the signal and threading
    modules with their enums): an import of one of them back costs every run."""
    code = ("import sys; from kw86.cli import main; rc = main(['exec', '/usr/bin/true']); "
            "print(rc, sorted(m for m in ('argparse', 'json', 'tomllib', 'random', 'signal', "
            "'threading', 'enum', 'importlib.util', 'kw86.nbsd.syscalls.socket', "
            "'kw86.nbsd.kqueue', 'contextlib', 'kw86.nbsd.syscalls.ksem', "
            "'kw86.nbsd.syscalls.ptimer', "
            "'kw86.nbsd.profile', 'kw86.nbsd.trace') if m in sys.modules))")
    r = subprocess.run([sys.executable, "-S", "-c", code], cwd=ROOT, env=kw86_env(),
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "0 []"


def test_lazy_syscall_modules_resolve_and_stay_importable():
    """The file, sysctl, NetBSD 10 and scheduler calls are LazyHandlers until
    their first call: each names a function of its module, and the module
    names still import the modules themselves."""
    import importlib
    from kw86.nbsd import syscalls
    seen = set()
    for lm in syscalls.LAZY_MODULES:
        for h in lm.handlers():
            assert callable(getattr(importlib.import_module(h.module), h.attr)), h
            seen.add(h.module)
    assert {"kw86.nbsd.syscalls.fs", "kw86.nbsd.syscalls.kern", "kw86.nbsd.syscalls.nb10",
            "kw86.nbsd.syscalls.sched", "kw86.nbsd.syscalls.ksem",
            "kw86.nbsd.syscalls.ptimer"} <= seen
    from kw86.nbsd.syscalls import ksem, ptimer
    assert callable(ksem.clear) and callable(ptimer.clear)
    from kw86.nbsd.syscalls import fs, nb10
    assert fs.__name__ == "kw86.nbsd.syscalls.fs" and callable(fs.sys_read)
    assert nb10.fs is fs
    for r in syscalls.ROWS:
        assert callable(r.handler), r


def test_buffer_cache_makes_its_buffers_on_first_use_in_the_same_order():
    """BufCache makes its Buf objects when first needed (512 at every boot
    before): the same buffers in the same order as a list of all of them
    popped (highest address first, a released one reused first), the same
    `end`, and ENOMEM only when every buffer is pinned."""
    from kw86.nbsd.bufcache import BufCache
    from kw86.nbsd.errors import Errno
    bc = BufCache(None, 0x100000, 4, bsize=0x2000)
    assert bc.end == 0x100000 + 4 * 0x2000 and bc.free == []
    a = bc._alloc()
    assert a.paddr == 0x100000 + 3 * 0x2000 and a.size == 0x2000
    bc.free.append(a)                               # given back: reused first
    assert bc._alloc() is a
    got = [a] + [bc._alloc() for _ in range(3)]
    assert [b.paddr for b in got] == [0x100000 + i * 0x2000 for i in (3, 2, 1, 0)]
    assert len({id(b) for b in got}) == 4
    for i, b in enumerate(got):
        b.key, b.blkno = "f", i
        bc.lru[("f", i)] = b
    assert bc.end == 0x100000 + 4 * 0x2000
    assert bc._alloc() is got[0]                    # then the oldest cached one
    for b in got:
        b.pins = 1
    bc.lru[("f", 0)] = got[0]
    with pytest.raises(Errno):
        bc._alloc()
