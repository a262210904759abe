"""FIFOs (named pipes) with NetBSD's open/read/write semantics, writev to a
full pipe, and exec's error naming the file."""
import os
import struct

import pytest

from buildreq import built
from nbsd_env import SYSROOT, Env
from kw86.nbsd import abi

O_RDONLY, O_WRONLY, O_RDWR, O_NONBLOCK = 0, 1, 2, abi.NBSD_O_NONBLOCK


@pytest.fixture
def env(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    e = Env(root)
    e.ok("mkfifo", "/ff", 0o644)
    return e


def test_fifo_nonblocking_rules(env):
    # a writer with O_NONBLOCK and no reader: ENXIO
    assert env.err("open", "/ff", O_WRONLY | O_NONBLOCK, 0) == abi.ENXIO
    # a reader with O_NONBLOCK opens at once; with no writer a read is EOF
    r = env.ok("open", "/ff", O_RDONLY | O_NONBLOCK, 0)
    assert env.read_fd(r, 10) == b""
    # now a writer opens without waiting, and the data goes through
    w = env.ok("open", "/ff", O_WRONLY, 0)
    assert env.write_fd(w, b"hello") == 5
    assert env.read_fd(r, 10) == b"hello"
    st = env.fstat(r)
    assert st.type == abi.NBSD_S_IFIFO
    # an empty FIFO with a writer: a non-blocking read is EAGAIN
    assert env.err("read", r, env.alloc(4), 4) == abi.EAGAIN
    env.ok("close", w)
    assert env.read_fd(r, 10) == b""                   # EOF: no writer left
    env.ok("close", r)
    # O_RDWR never waits
    rw = env.ok("open", "/ff", O_RDWR, 0)
    env.write_fd(rw, b"xy")
    assert env.read_fd(rw, 5) == b"xy"
    env.ok("close", rw)


def test_fifo_blocking_open_waits(env):
    r = env.call("open", "/ff", O_RDONLY, 0)
    assert r.block is not None                          # a reader waits for a writer
    r = env.call("open", "/ff", O_RDONLY, 0)            # (the restarted call: still waits)
    assert r.block is not None


def test_fifo_data_goes_when_all_close(env):
    rw = env.ok("open", "/ff", O_RDWR, 0)
    env.write_fd(rw, b"stale")
    env.ok("close", rw)
    r = env.ok("open", "/ff", O_RDONLY | O_NONBLOCK, 0)
    assert env.read_fd(r, 10) == b""


def test_writev_blocks_on_a_full_pipe(env):
    fds = env.alloc(8)
    env.ok("pipe2", fds, 0)
    rfd, wfd = struct.unpack("<ii", env.read(fds, 8))
    a = env.alloc(12000, b"a" * 12000)
    b = env.alloc(12000, b"b" * 12000)
    iov = env.alloc(16, struct.pack("<IIII", a, 12000, b, 12000))
    res = env.call("writev", wfd, iov, 2)
    assert res.block is not None                       # sleeps: no short count
    assert env.p.wpartial[1] == abi.PIPE_SIZE
    got = env.read_fd(rfd, abi.PIPE_SIZE)
    assert got == b"a" * 12000 + b"b" * (abi.PIPE_SIZE - 12000)
    assert env.ok("writev", wfd, iov, 2) == 24000      # the restart finishes the vector
    assert env.read_fd(rfd, 24000) == b"b" * (24000 - abi.PIPE_SIZE)


@built(os.path.exists(os.path.join(SYSROOT, "bin", "sh")), "the userland sysroot")
def test_fifo_between_processes(tmp_path, capfd):
    from kw86 import cli
    d = tmp_path / "d"
    d.mkdir()
    os.mkfifo(d / "p")
    capfd.readouterr()
    rc = cli.main(["exec", "--bind", f"{d}:/t", "/bin/sh", "-c",
                   "cat /t/p & sleep 1; echo hello > /t/p; wait; "
                   "(echo a; echo b) > /t/p & cat /t/p; wait; echo end"])
    out, err = capfd.readouterr()
    assert rc == 0, err
    assert out == "hello\na\nb\nend\n"


def test_exec_names_the_file(capfd):
    from kw86 import cli
    capfd.readouterr()
    rc = cli.main(["exec", "/bin"])
    out, err = capfd.readouterr()
    assert rc == 126 and err.strip() == "kw86: /bin: not a regular file"

