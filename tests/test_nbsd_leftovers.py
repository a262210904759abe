"""Small defects recorded by earlier sessions, each against NetBSD's
behaviour (the leftovers round): forged system-call hypercalls, ...
"""
import os
import subprocess
import sys

import pytest

import hostenv
import nbsd_env
from buildreq import fail_build

ROOT = hostenv.ROOT


def kw(*argv, timeout=120):
    r = subprocess.run([sys.executable, "-m", "kw86.cli", "exec", *argv], cwd=ROOT,
                       capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL,
                       env=hostenv.ENV)
    return r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")


def _sym(name):
    from kw86.nbsd.build_locore import load
    return f"{load()[name]:x}"


# -- (1) a system-call hypercall locore did not make --------------------------------

@pytest.fixture(scope="module")
def forge_dir(tmp_path_factory):
    return nbsd_env.guest_program_dir(tmp_path_factory, "forge")


def _killed_as_forged(rc, out, err, name):
    assert "Traceback" not in err and "panic" not in err, err
    assert "survived" not in out, out
    assert out.endswith("st=139\nok\n"), (rc, out, err)
    assert f"({name}): hypercall" in err and "forged system call" in err, err


@pytest.mark.parametrize("how", [["outl"], ["outl0"],
                                 ["kstack", "kw86_hcall", "kw86_tss"]],
                         ids=["outl", "outl0", "kstack"])
def test_forged_syscall_hypercall_kills_the_kernelware(forge_dir, how):
    """Our own `outl` (the CPU core's answer cache armed for the same call,
    or %ecx = 0, the general path), or a jump into locore's hypercall with
    %ecx naming another call than the frame: the kernelware dies with
    SIGSEGV and one line, its shell goes on; never a spin to the
    instruction limit, never the register path's call."""
    args = [how[0]] + [_sym(s) for s in how[1:]]
    cmd = f"/mnt/forge {' '.join(args)}; echo st=$?; /bin/echo ok"
    rc, out, err = kw("--bind", f"{forge_dir}:/mnt", "--kernelware",
                      "--max-instructions", "50000000", "/bin/sh", "-c", cmd)
    _killed_as_forged(rc, out, err, "forge")


@pytest.fixture(scope="module")
def hostile_gcc_os(tmp_path_factory):
    """tests/guest/hostile.c built by the host's GCC at -Os (tools/gcc_netbsd.py):
    its forgecall leaves the frame's address in %ecx."""
    import shutil
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    import gcc_netbsd
    if shutil.which("gcc") is None:
        fail_build("gcc, the host's C compiler (.ci/run installs it)")
    d = tmp_path_factory.mktemp("hostile_os")
    os.chmod(d, 0o755)
    out = os.path.join(str(d), "hostile")
    try:
        gcc_netbsd.build([os.path.join(ROOT, "tests", "guest", "hostile.c")], out,
                         ["-Os"], env=hostenv.ENV)
    except gcc_netbsd.BuildError as e:
        fail_build(str(e)[:3000])
    os.chmod(out, 0o755)
    return str(d)


def test_gcc_os_forgecall_dies_instead_of_spinning(hostile_gcc_os):
    cmd = "/mnt/hostile forgecall 1; echo st=$?; /bin/echo ok"
    rc, out, err = kw("--bind", f"{hostile_gcc_os}:/mnt", "--kernelware",
                      "--max-instructions", "50000000", "/bin/sh", "-c", cmd)
    _killed_as_forged(rc, out, err, "hostile")


def test_forged_syscall_trace_shows_the_kill(forge_dir, tmp_path):
    """--trace: the call the frame asked for, then the kill; no return."""
    tr = tmp_path / "t.txt"
    rc, out, err = kw("--bind", f"{forge_dir}:/mnt", "--kernelware", "--trace", str(tr),
                      "--max-instructions", "50000000",
                      "/mnt/forge", "outl")
    assert rc == 139, (rc, out, err)
    text = tr.read_text()
    tail = text[text.rindex("syscall getpid"):]
    assert "return" not in tail.splitlines()[1], tail[:500]


# -- (2) posix_spawn with a file action that sleeps ----------------------------------

@pytest.fixture(scope="module")
def spawnfifo_dir(tmp_path_factory):
    return nbsd_env.guest_program_dir(tmp_path_factory, "spawnfifo")


@pytest.mark.parametrize("mode", nbsd_env.MODES, ids=[m[1] for m in nbsd_env.MODES])
def test_spawn_file_action_sleeps_in_the_child(spawnfifo_dir, mode):
    """The child sleeps in its FIFO open (a process of its own); a parent
    that does not wait has 0 and the pid at once, POSIX_SPAWN_RETURNERROR's
    waits until the exec (or the error); a caught or fatal signal ends the
    child's sleep with exit 127, an ignored one does not."""
    rc, out, err = kw(*mode[0], "--bind", f"{spawnfifo_dir}:/mnt:ro", "/mnt/spawnfifo")
    bad = [ln for ln in out.splitlines() if not ln.startswith("ok ")]
    assert rc == 0 and bad == ["one", "two", "three", "done 0"], (rc, out, err)
    assert len(out.splitlines()) == 17, out
    assert "Traceback" not in err and "not implemented" not in err, err


# -- (3) mremap: MAP_REMAPDUP across fork, a grown private file mapping ------------

@pytest.fixture(scope="module")
def remapfork_dir(tmp_path_factory):
    return nbsd_env.guest_program_dir(tmp_path_factory, "remapfork")


@pytest.mark.parametrize("mode", nbsd_env.MODES, ids=[m[1] for m in nbsd_env.MODES])
def test_remapdup_across_fork_and_grown_file_mapping(remapfork_dir, mode):
    """MAP_REMAPDUP's two addresses stay one memory in the parent and in the
    child after fork (whichever writes first, a second fork too), each
    process's writes its own; a private file mapping grown by mremap (in
    place or moved) reads the file further on, zeros past its end."""
    rc, out, err = kw(*mode[0], "--bind", f"{remapfork_dir}:/mnt:ro", "/mnt/remapfork")
    bad = [ln for ln in out.splitlines() if not ln.startswith("ok ")]
    assert rc == 0 and bad == ["done 0"], (rc, out, err)
    assert len(out.splitlines()) == 19, out
    assert "Traceback" not in err, err


# -- (4) one PATH search in libc for execvp and posix_spawnp ----------------------

PATHSEARCH_WANT = """\
from-b
found-later execvp exit 7
from-b
found-later spawnp exit 7
eacces-only execvp errno 13
eacces-only spawnp errno 13
enoent execvp errno 2
enoent spawnp errno 2
from-b
empty-element execvp exit 7
from-b
empty-element spawnp exit 7
from-b
slash execvp exit 7
from-b
slash spawnp exit 7
bare-script
bare-script execvp exit 5
bare-script spawnp errno 8
name-too-long execvp errno 2
name-too-long spawnp errno 2
empty-name execvp errno 2
empty-name spawnp errno 2
done
"""


@pytest.fixture(scope="module")
def pathsearch_dir(tmp_path_factory):
    return nbsd_env.guest_program_dir(tmp_path_factory, "pathsearch")


@pytest.mark.parametrize("mode", nbsd_env.MODES, ids=[m[1] for m in nbsd_env.MODES])
def test_execvp_and_posix_spawnp_search_alike(pathsearch_dir, mode):
    """EACCES goes on and is the answer when nothing is found, an empty
    element is the current directory, a '/' means no search, a name too
    long is skipped, a script without #! runs under sh for execvp and is
    ENOEXEC for posix_spawnp (the kernel's answer)."""
    rc, out, err = kw(*mode[0], "--bind", f"{pathsearch_dir}:/mnt:ro", "/mnt/pathsearch")
    assert rc == 0 and out == PATHSEARCH_WANT, (rc, out, err)


def test_one_path_search_in_libc():
    """execvpe and posix_spawnp both call __kw86_pathsearch; neither walks
    PATH itself."""
    import re
    lib = os.path.join(ROOT, "userland", "libc")
    for name, fn in (("exec.c", "execvpe"), ("spawn.c", "posix_spawnp")):
        with open(os.path.join(lib, name)) as f:
            src = f.read()
        body = re.search(r"\n%s\(.*?\n}\n" % fn, src, re.S).group(0)
        assert "__kw86_pathsearch(" in body and "getenv" not in body, (name, body)
    with open(os.path.join(lib, "spawn.c")) as f:
        assert "getenv(\"PATH\")" not in f.read()
