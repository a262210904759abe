"""Go's own standard-library tests under kw86 (issue 11): `go test -c` for
netbsd/386 (Debian's Go, GO386=softfloat, CGO_ENABLED=0, the runtime as
shipped) and the test binary run with -test.short as a user process and
as a kernelware; a package passes when the binary exits 0 with its PASS
line.  bench/go_ladder.py does the work (and prints the per-package table
for a full run: `python bench/go_ladder.py`).

Every run checks the cheap packages (go_ladder.CI, a few seconds each),
which must pass outright.  KW86_GO_LADDER=1 runs the whole ladder,
unicode/utf8 to os, time, sync and net (minutes: the test binaries take a
while to build the first time), where a package may also "pass as native":
its run completes and every test that failed also fails when the same
tests, built for linux/386, run natively on this host (the host's
environment, e.g. Debian's Go has no GOROOT/lib/time/zoneinfo.zip).
"""
import importlib.util
import os

import pytest

import hostenv
from buildreq import built, fail_build
from nbsd_env import SYSROOT

_spec = importlib.util.spec_from_file_location(
    "kw86_go_ladder", os.path.join(hostenv.ROOT, "bench", "go_ladder.py"))
go_ladder = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(go_ladder)

GO = go_ladder.go_tool()
LADDER_ON = os.environ.get("KW86_GO_LADDER", "") not in ("", "0")
PACKAGES = go_ladder.LADDER if LADDER_ON else go_ladder.CI

pytestmark = [built(os.path.exists(os.path.join(SYSROOT, "bin", "sh")), "the userland sysroot"),
              built(GO, "the Go toolchain (`go`: apt-get install golang-go; .ci/run installs it)")]


@pytest.fixture(scope="module")
def bindir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("gostd"))


_built = {}


def test_binary(pkg, bindir):
    """Build pkg's test binary once per session."""
    if pkg not in _built:
        path, secs, err = go_ladder.build(pkg, bindir, go=GO)
        if path is None:
            fail_build(f"go test -c {pkg} (netbsd/386) failed: {err}")
        _built[pkg] = path
    return _built[pkg]


test_binary.__test__ = False            # a helper, not a test


_native = {}


def native_reference(pkg, bindir):
    """The linux/386 build's run on the host, once per package."""
    if pkg not in _native:
        path, secs, err = go_ladder.build(pkg, bindir, go=GO, goos="linux")
        if path is None:
            fail_build(f"go test -c {pkg} (linux/386) failed: {err}")
        _native[pkg] = go_ladder.run_native(path, pkg)
    return _native[pkg]


native_reference.__test__ = False


@pytest.mark.parametrize("mode", ["user", "kernelware"])
@pytest.mark.parametrize("pkg", PACKAGES)
def test_go_stdlib_package_passes(pkg, mode, bindir):
    binary = test_binary(pkg, bindir)
    if not LADDER_ON:
        status, secs, out = go_ladder.run(binary, pkg, mode)
        assert go_ladder.passed(status, out), \
            f"{pkg} ({mode}): {go_ladder.first_failure(status, out)}\n{out[-4000:]}"
        return
    status, secs, out = go_ladder.run(binary, pkg, mode, extra=("-test.v",))
    result, detail = go_ladder.verdict(status, out, native_reference(pkg, bindir))
    assert result != "FAIL", f"{pkg} ({mode}): {detail}\n{out[-4000:]}"
