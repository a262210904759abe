"""posix_spawn (474) and fexecve (465) as NetBSD 10 does them
(kw86/nbsd/syscalls/spawn.py, libc/spawn.c).  tests/guest/spawn.c runs as a
user process and as a kernelware: a plain spawn and its status, posix_spawnp's
PATH search, the program's errors with no child made (ENOENT, EACCES,
ENOEXEC), EFAULT as the value for every wild pointer, the file actions in
order (open, dup2 of a pipe, close, chdir and a relative open after it,
fchdir), a failing action (exit 127; its error with POSIX_SPAWN_RETURNERROR,
a zombie to reap either way), close-on-exec, the environment given, the
attributes (signal mask, signal defaults, process group, scheduler) and
fexecve (a forked child running echo from a descriptor; EACCES, EBADF for
a write-only or closed descriptor, EACCES for a pipe).  It prints one line
per check and "done N" (N failures)."""
import os
import shutil
import subprocess
import sys

import pytest

import hostenv
from buildreq import built, fail_build
from nbsd_env import guest_program_dir

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODES = [[], ["--kernelware"]]
MODE_IDS = ["user", "kernelware"]
SRC = os.path.join(ROOT, "tests", "guest", "spawn.c")


def _checks():
    """The names of the check() calls in the source: every one must run."""
    import re
    with open(SRC) as f:
        src = f.read()
    return re.findall(r'check\([^;]*?"([a-z0-9-]+)",\s*"[^"]*%', src, re.S)


@pytest.fixture(scope="module")
def spawn_dir(tmp_path_factory):
    return guest_program_dir(tmp_path_factory, "spawn")


def kw(*argv, timeout=300):
    r = subprocess.run([sys.executable, "-m", "kw86.cli", "exec", *argv], cwd=ROOT,
                       capture_output=True, timeout=timeout, env=hostenv.kw86_env())
    return r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")


@pytest.mark.parametrize("mode", MODES, ids=MODE_IDS)
def test_spawn_guest(spawn_dir, mode):
    rc, out, err = kw(*mode, "--bind", f"{spawn_dir}:/mnt:ro", "/mnt/spawn")
    bad = [ln for ln in out.splitlines() if ln.startswith("FAIL")]
    assert not bad, "\n".join(bad) + "\n" + err
    assert "done 0" in out and rc == 0, out + err
    oks = [ln[3:] for ln in out.splitlines() if ln.startswith("ok ")]
    assert oks == _checks(), out                        # every check ran, in order
    # the spawned echo's own output reached the parent's stdout
    assert out.count("from echo\n") == 4 and "fexecve ran\n" in out, out
    assert "Traceback" not in err and "not implemented" not in err, err


def test_spawn_strace_names_the_calls(spawn_dir):
    rc, out, err = kw("--strace", "--bind", f"{spawn_dir}:/mnt:ro", "/mnt/spawn")
    assert rc == 0, out + err[-3000:]
    assert 'CALL  posix_spawn(' in err and 'RET   posix_spawn 0' in err, err[-3000:]
    assert "RET   posix_spawn 2\n" in err                 # ENOENT is the value, not errno
    assert 'CALL  fexecve(' in err and "ENOSYS" not in err


# -- the same program on the host: glibc's posix_spawn agrees on the checks
#    outside its `#ifndef __GLIBC__` blocks (NetBSD's own behaviour) --

CC = shutil.which("gcc") or shutil.which("cc")


def _portable_checks():
    import re
    with open(SRC) as f:
        src = f.read()
    src = re.sub(r"#ifndef __GLIBC__.*?#(else|endif)", "", src, flags=re.S)
    return re.findall(r'check\([^;]*?"([a-z0-9-]+)",\s*"[^"]*%', src, re.S)


@built(CC is not None, "a host C compiler (gcc; .ci/run installs it)")
def test_spawn_host_agrees(tmp_path, spawn_dir):
    exe = tmp_path / "spawn_host"
    r = subprocess.run([CC, "-std=c99", "-D_GNU_SOURCE", "-Wall", "-Wextra", "-Werror", "-O2",
                        "-o", str(exe), SRC], capture_output=True, text=True,
                       env=hostenv.ENV)
    assert r.returncode == 0, r.stderr
    work = tmp_path / "tmp"
    work.mkdir()
    r = subprocess.run([str(exe)], capture_output=True, text=True, timeout=120,
                       cwd=str(tmp_path), env=hostenv.env(SPAWN_TMP=os.path.realpath(work)))
    host = [ln[3:] for ln in r.stdout.splitlines() if ln.startswith("ok ")]
    assert "done 0" in r.stdout and r.returncode == 0, r.stdout + r.stderr
    portable = _portable_checks()
    assert host == portable, r.stdout
    # and kw86 passes the same checks (with NetBSD's own between them)
    rc, out, err = kw("--bind", f"{spawn_dir}:/mnt:ro", "/mnt/spawn")
    guest = [ln[3:] for ln in out.splitlines() if ln.startswith("ok ")]
    assert [n for n in guest if n in set(portable)] == portable, out + err


# -- random file-action lists: kw86 (NetBSD, POSIX_SPAWN_RETURNERROR) and
#    glibc's posix_spawn give the same result and the same descriptors --

from hypothesis import given, settings, strategies as st      # noqa: E402


@pytest.fixture(scope="module")
def host_spawn(tmp_path_factory):
    if CC is None:
        fail_build("no host C compiler (gcc; .ci/run installs it)")
    d = tmp_path_factory.mktemp("spawn_host")
    exe = d / "spawn_host"
    r = subprocess.run([CC, "-std=c99", "-D_GNU_SOURCE", "-O2", "-o", str(exe), SRC],
                       capture_output=True, text=True, env=hostenv.ENV)
    assert r.returncode == 0, r.stderr
    return str(exe)


@st.composite
def _sequence(draw):
    """Actions from the start state (0-2 /dev/null, 3 a, 4 b close-on-exec),
    closing only what is open (glibc ignores a close of a closed descriptor,
    NetBSD says EBADF); an open of a missing file or a dup2 of a closed
    descriptor fails the spawn (both: the error, no child)."""
    open_ = {0, 1, 2, 3, 4}
    out = []
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from("odc"))
        if kind == "o":
            fd = draw(st.integers(0, 7))
            f = draw(st.sampled_from("abx"))
            out.append(f"o{fd}:{f}:{draw(st.sampled_from('rwc'))}")
            if f == "x":
                break
            open_.add(fd)
        elif kind == "d":
            a, b = draw(st.integers(0, 7)), draw(st.integers(0, 7))
            if a == b:
                continue
            out.append(f"d{a}:{b}")
            if a not in open_:
                break
            open_.add(b)
        elif open_:
            fd = draw(st.sampled_from(sorted(open_)))
            out.append(f"c{fd}")
            open_.discard(fd)
    return ",".join(out)


@settings(max_examples=8, deadline=None)
@given(seqs=st.lists(_sequence(), min_size=1, max_size=12))
def test_file_actions_agree_with_glibc(spawn_dir, host_spawn, tmp_path_factory, seqs):
    work = tmp_path_factory.mktemp("fa")
    r = subprocess.run([host_spawn, "fa", str(work), *seqs], capture_output=True, text=True,
                       timeout=120, env=hostenv.ENV)
    assert r.returncode == 0, r.stderr
    host = r.stdout.splitlines()
    rc, out, err = kw("--bind", f"{spawn_dir}:/mnt:ro", "/mnt/spawn", "fa", "/tmp", *seqs)
    assert rc == 0 and "Traceback" not in err, err
    guest = out.splitlines()
    assert len(host) == len(seqs) and guest == host, \
        "\n".join(f"{s!r}: host {h} kw86 {g}" for s, h, g in zip(seqs, host, guest))


# -- the same guest programs built by the other toolchain (the host's GCC and
#    GNU ld against kw86's libc: tools/gcc_netbsd.py) --

@built(CC is not None, "a host C compiler (gcc; .ci/run installs it)")
@pytest.mark.parametrize("prog", ["spawn", "nbcalls"])
def test_gcc_built_programs(tmp_path, prog):
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    import gcc_netbsd
    d = tmp_path / "bin"
    d.mkdir()
    out = str(d / prog)
    try:
        gcc_netbsd.build([os.path.join(ROOT, "tests", "guest", prog + ".c")], out, ["-O2"],
                         env=hostenv.ENV)
    except gcc_netbsd.BuildError as e:
        fail_build(str(e)[:3000])
    os.chmod(d, 0o755)
    for mode in ([], ["--kernelware"]):
        rc, stdout, err = kw(*mode, "--bind", f"{d}:/mnt:ro", f"/mnt/{prog}")
        bad = [ln for ln in stdout.splitlines() if ln.startswith("FAIL")]
        assert not bad and "done 0" in stdout and rc == 0, "\n".join(bad) + stdout[-2000:] + err
