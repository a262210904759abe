"""Go programs no one here wrote the runtime of (issue 11, "How it is
checked"): tests/go/* built by Debian's Go for netbsd/386 (GO386=softfloat,
CGO_ENABLED=0) and run under kw86 as a user process and with --kernelware,
and the same sources built for linux/386 and run natively on the host (an
x86-64 Linux runs i386 static binaries).  Output and exit status must be the
same; for the panic, the traceback's shape (addresses masked).

    hello        fmt, strconv, math (software floating point)
    goroutines   GOMAXPROCS=4, workers over channels, a mutex, a pipeline
    timers       time.Sleep, After, Ticker, AfterFunc, a context deadline
    tcpecho      a TCP echo server and its clients over 127.0.0.1
    osexec       os/exec of /bin/echo, /bin/cat (pipes), false
    filecopy     1 MiB written, copied, hashed, renamed, removed in $TMPDIR
    panic        a recovered panic, then an unrecovered one: status 2

Each target is one `go build` of all the programs (module-scoped), with the
host's build cache (a warm one keeps it to seconds).  The programs are run
from a --bind of the build directory, so that each has a guest path
(/proc/curproc/exe).
"""
import os
import re
import shutil
import subprocess
import sys

import pytest

import hostenv
from buildreq import built, fail_build
from nbsd_env import SYSROOT

GO = shutil.which("go", path=hostenv.ENV["PATH"])
GO_SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "go")
PROGRAMS = ["hello", "goroutines", "timers", "tcpecho", "osexec", "filecopy", "panic"]
ARGS = ["a", "b c"]
MODES = [[], ["--kernelware"]]
IDS = ["user", "kernelware"]

pytestmark = [built(os.path.exists(os.path.join(SYSROOT, "bin", "sh")), "the userland sysroot"),
              built(GO, "the Go toolchain (`go`: apt-get install golang-go; .ci/run installs it)")]


def go_env(goos, tmp, **extra):
    """The build's environment: the target, no cgo, no network (GOPROXY=off:
    the programs use only the standard library), the host's build cache."""
    return hostenv.env(GOOS=goos, GOARCH="386", GO386="softfloat", CGO_ENABLED="0",
                       GOPATH=str(tmp / "gopath"), GOPROXY="off", GOFLAGS="-mod=mod",
                       GOTOOLCHAIN="local", GOTELEMETRY="off", **extra)


def go_build(goos, out, tmp):
    """All of tests/go/* for goos/386 into directory out (one go build)."""
    out.mkdir(parents=True, exist_ok=True)
    p = subprocess.run([GO, "build", "-trimpath", "-o", str(out) + os.sep,
                        *[f"./{name}" for name in PROGRAMS]],
                       cwd=GO_SRC, env=go_env(goos, tmp), capture_output=True, text=True,
                       timeout=900)
    if p.returncode != 0:
        fail_build(f"go build ({goos}/386) failed: {p.stderr.strip()[-2000:]}")
    return out


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("gobuild")
    return {goos: go_build(goos, tmp / goos, tmp) for goos in ("netbsd", "linux")}


@pytest.fixture(scope="module")
def native(builds, tmp_path_factory):
    """Each linux/386 program run on the host once: name -> (status, out, err)."""
    tmpdir = tmp_path_factory.mktemp("gonative")
    out = {}
    for name in PROGRAMS:
        try:
            p = subprocess.run([str(builds["linux"] / name), *ARGS], capture_output=True,
                               text=True, timeout=120, cwd=tmpdir,
                               env=hostenv.env(TMPDIR=str(tmpdir), GOMAXPROCS="4"))
        except OSError as e:            # no i386 support in this host's kernel
            pytest.skip(f"the host cannot run linux/386 programs: {e}")
        out[name] = (p.returncode, p.stdout, p.stderr)
    return out


def kw86_run(builds, name, mode, timeout=900):
    argv = [sys.executable, "-m", "kw86.cli", "exec", *mode,
            "--bind", f"{builds['netbsd']}:/go:ro", "-E", "GOMAXPROCS=4", "-E", "TMPDIR=/tmp",
            f"/go/{name}", *ARGS]
    p = subprocess.run(argv, capture_output=True, text=True, env=hostenv.kw86_env(),
                       timeout=timeout, cwd=hostenv.ROOT)
    return p.returncode, p.stdout, p.stderr


def test_native_linux_386_runs(native):
    """The reference itself: the host runs the linux/386 build."""
    st, out, err = native["hello"]
    assert st == 0 and out.startswith("hello from go\nargs 2 [\"a\" \"b c\"]\n"), (out, err)


def shape(tb):
    """A traceback with its addresses and offsets masked."""
    return re.sub(r"0x[0-9a-f]+", "0x?", tb)


@pytest.mark.parametrize("mode", MODES, ids=IDS)
@pytest.mark.parametrize("name", PROGRAMS)
def test_go_program_same_as_native(builds, native, name, mode):
    want_st, want_out, want_err = native[name]
    st, out, err = kw86_run(builds, name, mode)
    assert "Traceback" not in err and "kw86:" not in err, err[-3000:]
    assert out == want_out, (out, err[-3000:])
    assert st == want_st, (st, err[-3000:])
    if name == "panic":
        assert st == 2
        assert shape(err) == shape(want_err), (err, want_err)
        assert "panic: boom at 3,8\n\ngoroutine 1 [running]:\nmain.inner(0x" in err
    else:
        assert err == want_err == "", err[-3000:]


def test_panic_output_has_goroutine_lines(native):
    st, out, err = native["panic"]
    assert st == 2 and out == "recovered: assignment to entry in nil map\n"
    assert err.startswith("about to panic\npanic: boom at 3,8\n\ngoroutine 1 [running]:\n")
    assert err.count("main.inner(") == 4 and "main.outer()" in err and "main.main()" in err
