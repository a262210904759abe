"""Lazily imported system-call modules (syscalls/table.py LazyHandler): every
lazy row names a real function of its module, a kernel import leaves the socket
and kqueue modules unloaded, and the first call puts the real function in every
row that names it."""
import importlib
import subprocess
import sys

import hostenv
from kw86.nbsd import syscalls
from kw86.nbsd.syscalls.table import LazyHandler, Row


def _lazy_rows():
    return [r for r in syscalls.ROWS if isinstance(r.handler, LazyHandler)]


def test_every_lazy_handler_names_a_function_of_its_module():
    seen = 0
    for mod in (syscalls.sock, syscalls.kqcalls):
        for h in mod.handlers():
            real = getattr(importlib.import_module(h.module), h.attr)
            assert callable(real), h
            seen += 1
    assert seen >= 20               # the socket calls and kqueue/kevent


def test_kernel_import_leaves_socket_and_kqueue_modules_unloaded():
    code = ("import sys, kw86.nbsd.kernel; "
            "print(sorted(m for m in ('kw86.nbsd.syscalls.socket', 'kw86.nbsd.socket', "
            "'kw86.nbsd.syscalls.kqueue') if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       env=hostenv.env())
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"


def test_first_call_resolves_every_row_of_the_handler():
    h = LazyHandler("kw86.nbsd.syscalls.table", "format_result")
    a = Row(1, "a", "int x", h)
    b = Row(2, "b", "int x", h)
    assert a.handler is h and b.handler is h
    real = importlib.import_module("kw86.nbsd.syscalls.table").format_result
    assert h.resolve() is real
    assert a.handler is real and b.handler is real
    c = Row(3, "c", "", h)              # a row made after resolution gets the function
    assert c.handler is real


def test_lazy_rows_are_the_socket_and_kqueue_calls():
    names = {r.name for r in _lazy_rows() if isinstance(r.handler, LazyHandler)} | \
        {r.name for r in syscalls.ROWS if getattr(r.handler, "__module__", "") in
         ("kw86.nbsd.syscalls.socket", "kw86.nbsd.syscalls.kqueue")}
    for n in ("__socket30", "bind", "connect", "kqueue", "__kevent50"):
        assert n in names, n
