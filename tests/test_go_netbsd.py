"""A Go program built for netbsd/386 (issue 10's check): Debian's Go
(`golang-go`, installed by .ci/run) builds a tiny hello with
`GOOS=netbsd GOARCH=386 GO386=softfloat CGO_ENABLED=0`, and kw86 runs it as
a user process and as a kernelware.  Without MMX the runtime's CPU check in
rt0_go stops it at once ("This program can only be run on processors with
MMX support"); with the x87/MMX it gets past that, past runtime·asminit
(FLDCW runtime·controlWord64) and the 64-bit atomics through MM0
(runtime/internal/atomic.Load64/Store64: movq, emms), sets up its signals
and memory, and asks for its first thread: `_lwp_create`, which the kernel
does not have yet (ENOSYS with the call's name; issue 11).  Once it has,
the program prints its line and exits 0; either outcome passes here.

`go` is a build tool the test needs: missing, the test fails (tests/
buildreq.py), it does not skip.  The Go program is written here; the Go
runtime is the toolchain's.
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

pytestmark = [built(os.path.exists(os.path.join(SYSROOT, "bin", "sh")), "the userland sysroot"),
              built(GO, "the Go toolchain (`go`: apt-get install golang-go; .ci/run installs it)")]

HELLO = """package main

import "fmt"

func main() {
\tfmt.Println("hello from go")
}
"""

MMX_MSG = "This program can only be run on processors with MMX support"


@pytest.fixture(scope="module")
def hello(tmp_path_factory):
    d = tmp_path_factory.mktemp("gohello")
    (d / "hello.go").write_text(HELLO)
    (d / "go.mod").write_text("module hello\n\ngo 1.19\n")
    # the build cache stays the host's (like zig's): a warm one saves the
    # standard library's netbsd/386 compile; nothing else from the caller
    env = hostenv.env(GOOS="netbsd", GOARCH="386", GO386="softfloat", CGO_ENABLED="0",
                      GOPATH=str(d / "gopath"), GOPROXY="off", GOFLAGS="-mod=mod",
                      GOTOOLCHAIN="local", GOTELEMETRY="off")
    p = subprocess.run([GO, "build", "-o", "hello", "."], cwd=d, env=env,
                       capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        fail_build(f"go build (netbsd/386) failed: {p.stderr.strip()[-2000:]}")
    return d / "hello"


@pytest.mark.parametrize("kernelware", [False, True], ids=["user", "kernelware"])
def test_go_gets_past_the_cpu_check(hello, tmp_path, kernelware):
    st = tmp_path / "strace"
    argv = [sys.executable, "-m", "kw86.cli", "exec", "--strace-file", str(st)]
    argv += ["--kernelware"] if kernelware else []
    # ./hello: a host file (an absolute path would name the guest's root)
    p = subprocess.run(argv + ["./hello"], capture_output=True, text=True,
                       env=hostenv.kw86_env(), timeout=120, cwd=hello.parent)
    trace = st.read_text() if st.exists() else ""
    assert MMX_MSG not in p.stderr and "Traceback" not in p.stderr, p.stderr[-3000:]
    assert trace, (p.returncode, p.stderr[-3000:])
    calls = re.findall(r"CALL  (\w+)", trace)
    # past rt0_go's CPU check and runtime·asminit: the runtime's own set-up
    # (TLS, sysctl for the CPU count and page size, the heap, the signal
    # stack and handlers of mstart -> minit)
    for name in ("_lwp_setprivate", "__sysctl", "mmap", "__sigaltstack14",
                 "__sigaction_sigtramp"):
        assert name in calls, (name, trace[-3000:])
    if p.returncode == 0 and p.stdout == "hello from go\n":
        return                                  # threads exist: it went further
    # else the next wall: its first thread, with the call's name
    assert "_lwp_create" in calls, trace[-3000:]
    assert "kw86: syscall 309 (_lwp_create) not implemented" in p.stderr, p.stderr[-3000:]
    assert "runtime: failed to create new OS thread" in p.stderr and "errno=78" in p.stderr
    assert p.returncode == 2, (p.returncode, p.stderr[-3000:])
