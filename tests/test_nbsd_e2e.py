"""End to end: the built-in sysroot's programs through `kw86 exec` (issue 5,
"How it is checked").

Each run is in-process (kw86.cli.main, or a Kernel when a test needs a short
quantum) with the guest's console on the captured host fds.  Guest test
programs of our own (div by zero, wild pointer, handlers, EFAULT, EINTR, big
pipe writes) are tests/guest/ktest.c, compiled with the userland's flags.
"""
import os
import re
import shutil
import struct
import subprocess
import time

import pytest

import hostenv
from buildreq import built
from nbsd_env import SYSROOT, guest_program

pytestmark = built(os.path.exists(os.path.join(SYSROOT, "bin", "ls")), "the userland sysroot")

HOST_ENV = hostenv.env(POSIXLY_CORRECT="1")


def kexec(capfd, *argv):
    """kw86 exec ARGV... -> (exit status, stdout, stderr)."""
    from kw86 import cli
    capfd.readouterr()
    rc = cli.main(["exec", *argv])
    out, err = capfd.readouterr()
    return rc, out, err


@pytest.fixture(scope="module")
def ktest():
    path = guest_program("ktest")
    if path is None:                    # the toolchain is part of the install: a failure
        pytest.fail(guest_program.why)  # to build the guest program is a test failure
    rel = os.path.relpath(path)         # a host file is named with a relative path
    return rel if "/" in rel else "./" + rel


# ----------------------------------------------------------------------- ls

@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    d = tmp_path_factory.mktemp("e2e") / "tree"
    d.mkdir()
    (d / "alpha").write_bytes(b"hello\n")
    (d / "Beta").write_bytes(b"x" * 5000)
    (d / "gamma.c").write_bytes(b"int main(void) { return 0; }\n" * 300)
    (d / "empty").write_bytes(b"")
    (d / ".hidden").write_bytes(b"secret\n")
    (d / "exe").write_bytes(b"#!/bin/sh\necho hi\n")
    os.chmod(d / "exe", 0o755)
    (d / "suid").write_bytes(b"s")
    os.chmod(d / "suid", 0o4755)
    (d / "sub").mkdir()
    (d / "sub" / "inner").write_bytes(b"inner\n")
    (d / "sub" / "deeper").mkdir()
    (d / "sub" / "deeper" / "leaf").write_bytes(b"leaf" * 100)
    (d / "sticky").mkdir()
    os.chmod(d / "sticky", 0o1777)
    os.symlink("alpha", d / "link")
    os.symlink("nowhere", d / "dangling")
    os.link(d / "alpha", d / "hardlink")
    now = int(time.time())
    for i, name in enumerate(["alpha", "Beta", "gamma.c", "empty", "exe", "suid"]):
        os.utime(d / name, (now - 1000 * i - 500, now - 1000 * i - 500))
    os.utime(d / "Beta", (now - 400 * 86400, now - 400 * 86400))
    return str(d)


def host_ls(args, cwd):
    r = subprocess.run(["ls"] + args, cwd=cwd, capture_output=True, env=HOST_ENV)
    assert r.returncode == 0, r.stderr
    return r.stdout.decode()


def guest_ls(capfd, tree, args, kernelware=False):
    rc, out, err = kexec(capfd, "--bind", f"{tree}:/mnt", "--cwd", "/mnt",
                         *(["--kernelware"] if kernelware else []), "/bin/ls", *args)
    assert rc == 0 and err == "", err
    return out


SHORT = [["-1"], ["-1a"], ["-1r"], ["-1p"], ["-m"], ["-1S"], ["-1t"], ["-1tr"], ["-1F"],
         ["-1i"], ["-1s"], ["-1R"], ["-1d", "sub", "alpha"], ["-1", "sub", "alpha", "link"]]


@pytest.mark.parametrize("opts", SHORT, ids=" ".join)
def test_ls_matches_host(capfd, tree, opts):
    # root gets -A implied by NetBSD's ls, not by GNU's: say it
    extra = [] if any("a" in o for o in opts if o.startswith("-")) else ["-A"]
    mine = guest_ls(capfd, tree, extra + opts)
    host = host_ls(extra + opts, tree)
    if "-1R" in opts:                   # NetBSD prints no header for the first directory
        host = host.split("\n", 1)[1] if host.startswith(".:") else host
        mine = mine.replace("./", "")
        host = host.replace("./", "")
    assert mine == host


LONG = [["-ln"], ["-lna"], ["-lnS"], ["-lnt"], ["-lnr"], ["-lni"], ["-lns"], ["-lnu"]]


@pytest.mark.parametrize("opts", LONG, ids=" ".join)
def test_ls_long_matches_host_field_by_field(capfd, tree, opts):
    extra = [] if "-lna" in opts else ["-A"]
    mine = guest_ls(capfd, tree, extra + opts)
    host = host_ls(extra + opts, tree)
    # ".." of a bind mount is the guest's /, not the host's parent
    rows = lambda text: [l.split() for l in text.splitlines() if not l.endswith(" ..")]
    assert rows(mine) == rows(host)


def test_ls_long_as_kernelware_is_the_same(capfd, tree):
    assert guest_ls(capfd, tree, ["-lnA"], kernelware=True) == guest_ls(capfd, tree, ["-lnA"])


def test_ls_columns(capfd, tree):
    rc, out, _ = kexec(capfd, "--bind", f"{tree}:/mnt", "-E", "COLUMNS=40", "/bin/ls",
                       "-C", "/mnt")
    # GNU packs columns of different widths, NetBSD uses one width: compare
    # the order (down the columns) and the width limit, not the spacing
    names = host_ls(["-1A"], tree).split()
    rows = [l.split() for l in out.splitlines()]
    assert rc == 0 and len(rows) > 1 and all(len(l.expandtabs()) <= 40 for l in out.splitlines())
    down = [rows[i][j] for j in range(len(rows[0])) for i in range(len(rows)) if j < len(rows[i])]
    assert down == names


def test_ls_missing_operand(capfd, tree):
    rc, out, err = kexec(capfd, "--bind", f"{tree}:/mnt", "/bin/ls", "/mnt/nosuch")
    assert rc == 1 and err == "ls: /mnt/nosuch: No such file or directory\n"


# ----------------------------------------------------------------------- cp

def test_cp_and_cp_R_checked_with_cmp(capfd, tree, tmp_path):
    dst = tmp_path / "dst"
    dst.mkdir()
    big = tmp_path / "big"
    big.write_bytes(bytes(range(256)) * 1000 + b"tail")        # 256,004 bytes
    rc, out, err = kexec(capfd, "--bind", f"{tree}:/src:ro", "--bind", f"{dst}:/dst",
                         "--bind", f"{tmp_path}:/t", "/bin/sh", "-c",
                         "cp /t/big /dst/big && cp /src/alpha /dst/a1 && "
                         "cp -R /src/sub /dst/sub && cp /t/big /tmp/big && "
                         "cp /tmp/big /dst/big2")
    assert rc == 0, err
    for a, b in [(big, dst / "big"), (big, dst / "big2"), (os.path.join(tree, "alpha"), dst / "a1"),
                 (os.path.join(tree, "sub", "inner"), dst / "sub" / "inner"),
                 (os.path.join(tree, "sub", "deeper", "leaf"), dst / "sub" / "deeper" / "leaf")]:
        assert subprocess.run(["cmp", str(a), str(b)], env=HOST_ENV).returncode == 0, (a, b)


def test_cp_kernelware(capfd, tmp_path):
    (tmp_path / "f").write_bytes(os.urandom(70000))
    rc, out, err = kexec(capfd, "--kernelware", "--bind", f"{tmp_path}:/t", "/bin/cp",
                         "/t/f", "/t/g")
    assert rc == 0, err
    assert subprocess.run(["cmp", str(tmp_path / "f"), str(tmp_path / "g")],
                          env=HOST_ENV).returncode == 0


def test_cp_to_read_only_bind_fails(capfd, tree):
    rc, out, err = kexec(capfd, "--bind", f"{tree}:/src:ro", "/bin/cp", "/src/alpha",
                         "/src/copy")
    assert rc == 1 and "Read-only file system" in err
    assert not os.path.exists(os.path.join(tree, "copy"))


# ----------------------------------------------------------------------- sh

@pytest.mark.parametrize("kw", [False, True], ids=["user", "kernelware"])
def test_sh_pipelines_lists_redirections_status(capfd, kw):
    script = ("echo one two three | wc -w; "
              "true && echo and-ok; false && echo and-bad; "
              "false || echo or-ok; true || echo or-bad; "
              "echo hello > /tmp/x; echo more >> /tmp/x; cat < /tmp/x | wc -l; "
              "cat /tmp/x 2>/dev/null | head -n 1; "
              "ls /nosuch 2> /tmp/err; echo status=$?; cat /tmp/err; "
              "(exit 7); echo sub=$?; "
              "echo a | cat | cat | cat; "
              "exit 3")
    rc, out, err = kexec(capfd, *(["--kernelware"] if kw else []), "/bin/sh", "-c", script)
    assert rc == 3, err
    assert out.split("\n") == [
        "       3", "and-ok", "or-ok", "       2", "hello", "status=1",
        "ls: /nosuch: No such file or directory", "sub=7", "a", ""]


def test_exit_status_of_command_not_found(capfd):
    rc, out, err = kexec(capfd, "/bin/sh", "-c", "nosuchprog")
    assert rc == 127 and "nosuchprog" in err


# ------------------------------------------------------------ preemption

@pytest.mark.parametrize("kw", [False, True], ids=["user", "kernelware"])
def test_two_spinners_from_sh_both_make_progress(tmp_path, kw):
    """Two CPU-bound processes (no system call inside a round) interleave:
    the timer preempts them (hz 1000 and a 1-tick quantum keep it short)."""
    from kw86.nbsd.kernel import Kernel
    out = tmp_path / "out"
    with open(out, "wb") as f, open(os.devnull, "rb") as null:
        k = Kernel(SYSROOT, hz=1000, quantum=1, stdin=null.fileno(), stdout=f.fileno(),
                   stderr=f.fileno())
        try:
            status = k.run_program(b"/bin/sh", [b"sh", b"-c",
                                                b"spin 4 A 150000 & spin 4 B 150000 & wait"],
                                   [b"PATH=/bin:/usr/bin"], kernelware=kw)
        finally:
            k.close()
    lines = out.read_text().splitlines()
    assert status == 0, lines
    tags = [l.split()[1] for l in lines if l.startswith("spin ")]
    assert sorted(tags) == ["A"] * 5 + ["B"] * 5
    # both made progress before either finished: the outputs interleave
    first_done = min(i for i, l in enumerate(lines) if " done " in l)
    assert {"A", "B"} <= set(tags[:first_done]), lines


# --------------------------------------------------------- faults, signals

@pytest.mark.parametrize("kw", [False, True], ids=["user", "kernelware"])
def test_divide_by_zero_is_sigfpe_136(capfd, ktest, kw):
    rc, out, err = kexec(capfd, *(["--kernelware"] if kw else []), ktest, "divzero")
    assert rc == 136
    assert out == "dividing\n"
    assert err.startswith("Floating point exception")
    assert "Traceback" not in err


@pytest.mark.parametrize("kw", [False, True], ids=["user", "kernelware"])
def test_wild_pointer_is_sigsegv_139(capfd, ktest, kw):
    rc, out, err = kexec(capfd, *(["--kernelware"] if kw else []), ktest, "wild")
    assert rc == 139
    assert out == "reading\n"
    assert err.startswith("Segmentation fault")


@pytest.mark.parametrize("what", ["segvhandler", "efault", "eintr", "restart", "bigpipe",
                                  "killspin", "spinhandler", "suspend", "sleepintr", "cow",
                                  "altstack", "jobctl"])
@pytest.mark.parametrize("kw", [False, True], ids=["user", "kernelware"])
def test_guest_checks(capfd, ktest, kw, what):
    """segvhandler: the handler runs and returns through the trampoline and
    setcontext, the faulting read is redone; efault: wild pointers (user,
    kernel, wrapping, straddling) give EFAULT; eintr/restart: a caught signal
    ends a blocking read with EINTR, or restarts it with SA_RESTART; bigpipe:
    a 100,000-byte blocking pipe write returns 100,000; killspin/spinhandler:
    a signal reaches a process (or kernelware) that makes no system call;
    suspend: sigpending and sigsuspend (EINTR, the old mask back);
    sleepintr: nanosleep ends with EINTR; cow: fork's shared pages stay
    private on both sides (CPU writes and the kernel's copyout); altstack:
    sigaltstack and SA_ONSTACK; jobctl: SIGSTOP/SIGTSTP/SIGCONT with
    WUNTRACED/WCONTINUED, a stopped sleeper restarts its call."""
    rc, out, err = kexec(capfd, *(["--kernelware"] if kw else []), ktest, what)
    assert rc == 0 and "FAIL" not in out, out + err
    assert out.count("ok ") >= 1


@pytest.mark.parametrize("kw", [False, True], ids=["user", "kernelware"])
def test_out_of_memory_is_enomem(capfd, ktest, kw):
    """malloc/sbrk past the machine's memory fail with ENOMEM (kw86 does not
    overcommit), never a host MemoryError."""
    rc, out, err = kexec(capfd, "--memory", "16M", *(["--kernelware"] if kw else []), ktest,
                         "bigalloc")
    assert rc == 0 and "FAIL" not in out and "Traceback" not in err, out + err


def test_fpe_handler_runs(capfd, ktest):
    rc, out, err = kexec(capfd, ktest, "fpehandler")
    assert rc == 42, err


# ----------------------------------------------------------------- bad input

def _patched(src, tmp_path, name, edits):
    b = bytearray(src)
    for off, fmt, val in edits:
        struct.pack_into(fmt, b, off, val)
    p = tmp_path / name
    p.write_bytes(b)
    os.chmod(p, 0o755)
    return p


def bad_images(tmp_path):
    src = open(os.path.join(SYSROOT, "bin", "echo"), "rb").read()
    phoff, = struct.unpack_from("<I", src, 28)
    phnum, = struct.unpack_from("<H", src, 44)
    types = [struct.unpack_from("<I", src, phoff + 32 * i)[0] for i in range(phnum)]
    loads = [i for i, t in enumerate(types) if t == 1]
    other = next(i for i, t in enumerate(types) if t not in (1,))
    last = phoff + 32 * loads[-1]
    imgs = {
        "truncated": (src[:200], "truncated"),
        "truncated-segment": (src[:len(src) // 2], "truncated"),
        "not-elf": (b"hello, world\n" * 10, "not an ELF"),
        "x86-64": (None, "x86-64"),
        "arm": (None, "ARM"),
        "dynamic": (None, "bad PT_INTERP"),
        "kernel-overlap": (None, "kernel"),
        "too-big": (None, "memory"),
    }
    out = {}
    for name, (data, word) in imgs.items():
        if data is not None:
            p = tmp_path / name
            p.write_bytes(data)
            os.chmod(p, 0o755)
        elif name == "x86-64":
            p = _patched(src, tmp_path, name, [(4, "B", 2), (18, "<H", 62)])
        elif name == "arm":
            p = _patched(src, tmp_path, name, [(18, "<H", 40)])
        elif name == "dynamic":
            p = _patched(src, tmp_path, name, [(phoff + 32 * other, "<I", 3)])   # PT_INTERP
        elif name == "kernel-overlap":
            p = _patched(src, tmp_path, name, [(last + 8, "<I", 0xc0100000)])    # p_vaddr
        elif name == "too-big":
            p = _patched(src, tmp_path, name, [(last + 20, "<I", 0x7f000000)])   # p_memsz
        out[name] = (p, word)
    return out


BAD = ["truncated", "truncated-segment", "not-elf", "x86-64", "arm", "dynamic",
       "kernel-overlap", "too-big"]


@pytest.mark.parametrize("name", BAD)
def test_bad_executable_one_line_error(capfd, tmp_path, name):
    path, word = bad_images(tmp_path)[name]
    rel = os.path.relpath(path)
    rc, out, err = kexec(capfd, rel if "/" in rel else "./" + rel)
    assert rc in (126, 127)
    assert err.count("\n") == 1 and err.startswith("kw86: ") and "Traceback" not in err, err
    assert word.lower() in err.lower(), err
    # and execve of it from inside the guest fails with ENOEXEC, not a crash
    shutil.copy(path, tmp_path / "g")
    rc, out, err = kexec(capfd, "--bind", f"{tmp_path}:/t", "/bin/sh", "-c",
                         "/t/g; echo st=$?")
    if name == "not-elf":   # text without #!: sh runs it as a script (POSIX, NetBSD sh)
        assert "st=127" in out and "sh: hello,: not found" in err, (out, err)
    else:
        assert "st=126" in out and "Traceback" not in err, (out, err)


def test_missing_program_is_127(capfd):
    rc, out, err = kexec(capfd, "./no/such/file")
    assert rc == 127 and err.count("\n") == 1
    rc, out, err = kexec(capfd, "/bin/nosuch")
    assert rc == 127 and err.count("\n") == 1
    rc, out, err = kexec(capfd, "nosuchname")
    assert rc == 127 and err == "kw86: nosuchname: not found\n"


def test_directory_is_126(capfd):
    rc, out, err = kexec(capfd, "/bin")
    assert rc == 126 and err.count("\n") == 1


# ------------------------------------------------------------------ cycles

def test_stats_split_cycles_and_call_is_cheaper_than_trap(capfd):
    """--stats splits the guest clock into executed instructions and the
    kernel-cost table (profile [kernel]); the function-call path is cheaper
    than the trap (the paper's Fig. 5 direction)."""
    from kw86.machine import load_profile
    per_call = load_profile("celeron500")[2]["kernel"]["syscall"]
    cycles = {}
    for kw in (False, True):
        rc, out, err = kexec(capfd, "--stats", *(["--kernelware"] if kw else []),
                             "getpid_bench", "2000")
        assert rc == 0, err
        cycles[kw] = int(re.search(r"(\d+) cycles/call", out).group(1))
        m = re.search(r"(\d+) cycles \((\d+) executed, (\d+) kernel-cost table, (\d+) disk, "
                      r"(\d+) idle\)", err)
        total, executed, table, disk, idle = map(int, m.groups())
        assert total == executed + table + disk + idle
        assert table >= 2000 * per_call
        assert re.search(r"syscalls: \d+ trap / \d+ call", err)
    assert cycles[True] < cycles[False] * 0.8, cycles


def test_fast_and_general_syscall_paths_agree(capfd, tmp_path, monkeypatch):
    """--strace sends every call through the general (frame) path; without
    it plain calls return through registers (locore's KW86_FAST): the
    results must be the same."""
    script = ("ls -l /bin; echo x > /tmp/y; cat /tmp/y /nosuch; echo $?; "
              "mkdir /tmp/d && cd /tmp/d && pwd && ls -la; exit 5")
    monkeypatch.setenv("KW86_EPOCH", "1700000000")         # guest time: no minute boundary
    outs = []
    for extra in ([], ["--strace-file", str(tmp_path / "trace")]):
        for kw in ([], ["--kernelware"]):
            rc, out, err = kexec(capfd, *extra, *kw, "/bin/sh", "-c", script)
            outs.append((rc, out, err))
    assert all(o == outs[0] for o in outs), outs
    assert outs[0][0] == 5
    assert "CALL  " in (tmp_path / "trace").read_text()


def test_execve_runs_interpreter_scripts(capfd, tmp_path):
    """execve of "#!interp [arg]" runs interp [arg] path args (NetBSD's
    exec_script); an interpreter that is itself a script is ENOEXEC."""
    (tmp_path / "s.sh").write_bytes(b'#!/bin/sh\necho script "$0" "$@"\n')
    (tmp_path / "e").write_bytes(b"#!/bin/echo one\n")
    # the kernel refuses "n" (ENOEXEC); sh then runs it as a plain script (POSIX),
    # so its own body runs, not s.sh
    (tmp_path / "n").write_bytes(b"#!/sc/s.sh\necho by-sh $0\n")
    for f in ("s.sh", "e", "n"):
        os.chmod(tmp_path / f, 0o755)
    rc, out, err = kexec(capfd, "--bind", f"{tmp_path}:/sc", "/bin/sh", "-c",
                         "/sc/s.sh a b; /sc/e x; /sc/n 2>/dev/null; echo $?")
    assert (rc, out) == (0, "script /sc/s.sh a b\none /sc/e x\nby-sh /sc/n\n0\n"), err
    rc, out, err = kexec(capfd, "--bind", f"{tmp_path}:/sc", "/sc/s.sh", "z")
    assert (rc, out) == (0, "script /sc/s.sh z\n")
