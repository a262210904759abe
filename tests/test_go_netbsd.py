"""A Go program built for netbsd/386 (issues 10 and 11): Debian's Go
(`golang-go`, installed by .ci/run) builds a tiny hello with
`GOOS=netbsd GOARCH=386 GO386=softfloat CGO_ENABLED=0`, and kw86 runs it as
a user process and as a kernelware.  It needs the x87/MMX (the runtime's
CPU check in rt0_go, runtime·asminit's FLDCW, the 64-bit atomics through
MM0) and LWPs: the runtime starts its threads with `_lwp_create` (a
ucontext from getcontext with EIP = lwp_tramp, UESP, EBX/EDX/ESI),
parks and unparks them (`___lwp_park60`, `_lwp_unpark`), and each thread
sets its own TLS base and signal stack.  The program must print its line
and exit 0 in both modes, having created at least one LWP.

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
def test_go_hello_runs(hello, tmp_path, kernelware):
    st = tmp_path / "strace"
    argv = [sys.executable, "-m", "kw86.cli", "exec", "--strace-file", str(st)]
    argv += ["--kernelware"] if kernelware else []
    # ./hello: a host file (an absolute path would name the guest's root)
    p = subprocess.run(argv + ["./hello"], capture_output=True, text=True,
                       env=hostenv.kw86_env(), timeout=120, cwd=hello.parent)
    trace = st.read_text() if st.exists() else ""
    assert MMX_MSG not in p.stderr and "Traceback" not in p.stderr, p.stderr[-3000:]
    assert (p.returncode, p.stdout) == (0, "hello from go\n"), (p.returncode, p.stderr[-3000:])
    calls = re.findall(r"CALL  (\w+)", trace)
    # the runtime's own set-up (TLS, sysctl for the CPU count and page
    # size, the heap, the signal stack and handlers of mstart -> minit),
    # then its threads: created, each with its own TLS and signal stack
    for name in ("_lwp_setprivate", "__sysctl", "mmap", "__sigaltstack14",
                 "__sigaction_sigtramp", "_lwp_create", "___lwp_park60"):
        assert name in calls, (name, trace[-3000:])
    assert re.search(r"RET   _lwp_create 0", trace), trace[-3000:]
    # each line names its LWP (kdump: pid, lid, command): the threads' calls
    # come from more than one
    lids = set(re.findall(r"^\s*\d+\s+(\d+) \S+\s+(?:CALL|RET) ", trace, re.M))
    assert len(lids) >= 2, trace[-3000:]
    assert calls.count("__sigaltstack14") >= 2 and calls.count("_lwp_setprivate") >= 2
