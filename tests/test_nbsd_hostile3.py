"""A third hostile-guest sweep (after test_nbsd_hostile.py, test_nbsd_hostile2.py,
test_nbsd_hostsafety.py, test_nbsd_hostsuid.py): each hole found is a test
here that failed before its fix.  Guest side: tests/guest/hostile3.c.

- A kernelware's kernel printf with a huge field width ("%100000000d" eight
  times) made kw86 build the whole text in host memory and write it out:
  800 MB and 1.6 GB peak RSS for one call, one guest instruction.  Now one
  call shows at most kapi.KPRINTF_MAX bytes, built within that bound.
- Guest-chosen text in kw86's own lines on the host's stderr, in --strace
  and in --profile: a process's command name (the last component of the
  path it exec'd), a kernelware's panic message, the guest's ELF symbols
  went to the terminal raw (terminal escapes, forged "kw86:" lines).  Now
  control characters show as \\xNN (hostlog.py).
- Kernel state kept in kw86's memory was bounded per process only: pipes
  (20 processes: 557 MB), knotes (65,536 a process), map entries (one-page
  regions without end, minutes of host time a call).  Now kern.maxfiles
  and KQ_MAXKNOTES are the system's, and a process has at most
  MAX_MAP_ENTRIES.
- RLIMIT_FSIZE, RLIMIT_CPU and RLIMIT_NTHR were stored and shown but never
  applied (ulimit -f, -t bounded nothing): now as NetBSD applies them.
- What held is kept as tests too (privileged instructions with hostile
  operands from a kernelware).
"""
import os
import re
import subprocess
import sys

import pytest

import hostenv
import nbsd_env
from buildreq import built, fail_build

pytestmark = built(os.path.exists(os.path.join(nbsd_env.SYSROOT, "bin", "sh")),
                   "the userland sysroot")

MODES = [pytest.param([], id="user"), pytest.param(["--kernelware"], id="kernelware")]
# what a terminal acts on: C0 controls (ESC, BEL ...) but tab, DEL, C1 (8-bit CSI)
_RAW = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@pytest.fixture(scope="module")
def hostile3():
    path = nbsd_env.guest_program("hostile3")
    if path is None:
        fail_build(nbsd_env.guest_program.why)
    return path


# A child's ru_maxrss counts its parent's size at fork time: a small launcher
# forks kw86 and reports wait4's rusage of it (as tests/test_nbsd_hostsuid.py)
_LAUNCH = """import os, subprocess, sys
p = subprocess.Popen(sys.argv[2:], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
n, tail = 0, b""
while True:
    b = p.stdout.read(1 << 16)
    if not b:
        break
    n += len(b)
    tail = (tail + b)[-4096:]
_, status, ru = os.wait4(p.pid, 0)
with open(sys.argv[1], "w") as f:
    f.write("%d %d %d\\n" % (status, ru.ru_maxrss, n))
sys.stdout.buffer.write(tail)
"""


def run_measured(args, tmp_path, timeout=600):
    """kw86 exec ARGS in a grandchild: (exit code, bytes of stdout, the last
    4 KiB of it, stderr, peak RSS in KiB of that kw86 process)."""
    res = tmp_path / "rusage.txt"
    r = subprocess.run([sys.executable, "-c", _LAUNCH, str(res), sys.executable, "-m",
                        "kw86.cli", "exec", *args], cwd=nbsd_env.REPO, capture_output=True,
                       stdin=subprocess.DEVNULL, env=hostenv.kw86_env(), timeout=timeout)
    status, maxrss, n = (int(v) for v in res.read_text().split())
    err = r.stderr.decode(errors="replace")
    for bad in ("Traceback", "internal error", "panic"):
        assert bad not in err, err
    return os.waitstatus_to_exitcode(status), n, r.stdout.decode(errors="replace"), err, maxrss


def kw86(*args, timeout=300):
    r = subprocess.run([sys.executable, "-m", "kw86.cli", "exec", *args], cwd=nbsd_env.REPO,
                       capture_output=True, stdin=subprocess.DEVNULL, env=hostenv.kw86_env(),
                       timeout=timeout)
    return r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")


def _rel(path):
    return "./" + os.path.relpath(path, nbsd_env.REPO)


# -- the kernel API's printf --------------------------------------------------------

def test_kernel_printf_width_is_bounded(hostile3, tmp_path):
    """Eight "%100000000d" in one format, three calls: each call shows
    KPRINTF_MAX bytes (the first of the 800 MB NetBSD's would put on the
    console), kw86 stays small; a sane width is still honoured."""
    from kw86.nbsd.kapi import KPRINTF_MAX
    rc, n, tail, err, rss = run_measured(["--kernelware", _rel(hostile3), "kprintf",
                                          "100000000", "3"], tmp_path)
    assert rc == 0 and tail.endswith("kprintf %d 0\ndone\n" % KPRINTF_MAX), (rc, tail[-200:])
    assert n == 3 * KPRINTF_MAX + len("kprintf %d 0\ndone\n" % KPRINTF_MAX)
    assert rss < 150 * 1024, f"peak RSS {rss} KiB"
    # a width past any integer type, a left-justified one, a precision
    rc, out, err = kw86("--kernelware", _rel(hostile3), "kprintf", "99999999999999999999", "1")
    assert rc == 0 and out.endswith("kprintf %d 0\ndone\n" % KPRINTF_MAX)
    assert out.startswith(" " * 1000)
    rc, out, err = kw86("--kernelware", _rel(hostile3), "kprintf", "-4", "2")
    assert rc == 0 and out.startswith("0   |0   |0   |0   |0   |0   |0   |0   |\n"
                                      "1   |1   |"), out[:200]
    rc, out, err = kw86("--kernelware", _rel(hostile3), "kprintf", ".3", "1")
    assert rc == 0 and out.startswith("000|000|"), out[:200]


# -- guest text in kw86's own lines ---------------------------------------------------

def _only_kw86_lines(err):
    """Every line of stderr is kw86's own or the shell's, and none holds a
    raw control character."""
    for line in err.splitlines():
        assert not _RAW.search(line), repr(line)
    assert "\\x1b]2;pwn\\x07\\x1b[2J\\x0akw8" in err, err


@pytest.mark.parametrize("mode", MODES)
def test_command_name_with_escapes_in_kw86_lines(hostile3, mode):
    """The program runs as /tmp/<ESC ] 2;pwn BEL ESC [ 2J NL kw86: x> (its
    command name: the first 16 bytes) and spins until --max-instructions:
    kw86's "instruction limit reached" line names it with \\xNN escapes."""
    d = os.path.dirname(hostile3)
    rc, out, err = kw86(*mode, "--max-instructions", "3000000", "--bind", f"{d}:/mnt",
                        "/mnt/hostile3", "comm", "/mnt/hostile3", "spin")
    assert rc == 137 and out == "copy 0 0\n", (rc, out, err)
    _only_kw86_lines(err)
    assert err.startswith("kw86: \\x1b]2;pwn\\x07\\x1b[2J\\x0akw8: instruction limit reached\n")


def test_command_name_with_escapes_in_kill_line(hostile3):
    """A kernelware child with that name makes a forged hypercall: the
    kernel's "killed by SIGSEGV" line names it escaped, its parent goes on."""
    d = os.path.dirname(hostile3)
    rc, out, err = kw86("--kernelware", "--bind", f"{d}:/mnt", "/mnt/hostile3", "comm",
                        "/mnt/hostile3", "hcall")
    assert rc == 0 and out == "copy 0 0\nchild 139 0\ndone\n", (rc, out, err)
    _only_kw86_lines(err)
    assert re.fullmatch(r"kw86: pid \d+ \(\\x1b\]2;pwn\\x07\\x1b\[2J\\x0akw8\): hypercall "
                        r"\d+ \(no such hypercall\): killed by SIGSEGV\n", err), err


@pytest.mark.parametrize("mode", MODES)
def test_command_name_with_escapes_in_strace(hostile3, mode):
    d = os.path.dirname(hostile3)
    rc, out, err = kw86(*mode, "--strace", "--bind", f"{d}:/mnt", "/mnt/hostile3", "comm",
                        "/mnt/hostile3", "quiet")
    assert rc == 0 and out == "copy 0 0\nchild 0 0\ndone\n", (rc, out, err)
    for line in err.splitlines():
        assert not _RAW.search(line), repr(line)
    assert re.search(r"^ +\d+ +\d+ \\x1b\]2;pwn\\x07 CALL  exit\(0\)$", err, re.M), err
    # the path itself, in the call's arguments, was always escaped
    assert 'open("/tmp/\\x1b]2;pwn\\x07\\x1b[2J\\nkw86: x"' in err, err


def test_kernelware_panic_message_with_escapes(hostile3):
    """panic() ends kw86 (the system stops) with the guest's message, escaped."""
    rc, out, err = kw86("--kernelware", _rel(hostile3), "kpanic")
    assert rc == 70, (rc, err)
    lines = err.splitlines()
    assert lines[0].endswith("panic from kernelware hostile3 (pid 2): \\x1b]2;pwned\\x07"
                             "\\x1b[2J\\x0akw86: forged line 1"), err
    assert all(ln.startswith("kw86: ") for ln in lines), err
    for line in lines:
        assert not _RAW.search(line), repr(line)


def test_host_text_escapes():
    from kw86.nbsd.hostlog import clean
    assert clean("a\x1b[2Jb\x07\x9b\x7f\tc\n") == "a\\x1b[2Jb\\x07\\x9b\\x7f\tc\n"
    assert clean("one\ntwo\n") == "one\\x0atwo\n"
    assert clean("report:\n  detail\n") == "report:\n  detail\n"
    assert clean("é ü ✓\n") == "é ü ✓\n"


# -- kernel state in host memory: kern.maxfiles ------------------------------------

@pytest.mark.parametrize("mode", MODES)
def test_pipes_of_many_processes_are_bounded_by_maxfiles(hostile3, mode, tmp_path):
    """20 processes each open pipes up to their RLIMIT_NOFILE hard limit
    (3,404) and fill them: pipe buffers are kw86's host memory, not the
    guest's, and only the per-process limit bounded them (557 MB held, 596 MB
    peak RSS from a 64 MiB guest; 160 processes would be 4 GB).  Now the
    system's kern.maxfiles (3,404 open files, NetBSD 10's on a small i386)
    ends it with ENFILE, and everything comes back when they die."""
    from kw86.nbsd.file import MAXFILES
    from kw86.nbsd import abi
    rc, n, out, err, rss = run_measured([*mode, _rel(hostile3), "pipes", "20"], tmp_path)
    assert rc == 0 and out.endswith("socketpair-after 0 0\ndone\n"), (rc, out, err)
    nproc, held, nfd, errno = (int(v) for v in
                               re.search(r"^bufs 0 0 (.*)$", out, re.M).group(1).split())
    assert nproc == 20 and errno == abi.ENFILE
    # the files of kw86's pid 1 and the children's stdio are among the 3,404
    assert MAXFILES - 20 * 4 <= nfd < MAXFILES
    assert held <= (nfd // 2) * abi.PIPE_SIZE
    assert rss < 200 * 1024, f"peak RSS {rss} KiB"


@pytest.mark.parametrize("mode", MODES)
def test_socket_pairs_of_many_processes_are_bounded(hostile3, mode, tmp_path):
    from kw86.nbsd.file import MAXFILES
    from kw86.nbsd import abi
    rc, n, out, err, rss = run_measured([*mode, _rel(hostile3), "bufs", "6"], tmp_path)
    assert rc == 0 and out.endswith("socketpair-after 0 0\ndone\n"), (rc, out, err)
    nproc, held, nfd, errno = (int(v) for v in
                               re.search(r"^bufs 0 0 (.*)$", out, re.M).group(1).split())
    assert nproc == 6 and errno == abi.ENFILE and nfd < MAXFILES
    assert rss < 300 * 1024, f"peak RSS {rss} KiB"


def test_maxfiles_is_the_systems(tmp_path):
    """In-process: every kind of file counts once from its first descriptor
    to its last reference (dup, fork and a message in flight add none);
    past kern.maxfiles a new file is ENFILE (a new descriptor of an open
    file is not), and nothing is half-made."""
    import struct
    from nbsd_env import Env
    from kw86.nbsd import abi
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "passwd").write_bytes(b"root:*:0:0::/root:/bin/sh\n")
    env = Env(root)
    nf = env.sys.nfiles
    nf.limit = nf.n + 6
    fds = env.alloc(8)
    env.ok("pipe2", fds, 0)
    r, w = struct.unpack("<ii", env.read(fds, 8))
    assert nf.n == nf.limit - 4
    d = env.ok("dup", r)
    env.ok("dup2", w, 40)
    assert nf.n == nf.limit - 4                         # dups are the same files
    env.ok("socketpair", 1, 1, 0, fds)
    assert nf.n == nf.limit - 2
    env.ok("close", env.ok("open", "/etc/passwd", abi.NBSD_O_RDONLY, 0))
    f1 = env.ok("open", "/etc/passwd", abi.NBSD_O_RDONLY, 0)
    f2 = env.ok("open", "/dev/null", abi.NBSD_O_RDONLY, 0)
    assert nf.n == nf.limit
    assert env.err("open", "/etc/passwd", abi.NBSD_O_RDONLY, 0) == abi.ENFILE
    assert env.err("pipe2", fds, 0) == abi.ENFILE
    assert env.err("socketpair", 1, 1, 0, fds) == abi.ENFILE
    assert env.err("open", "/tmp/new", abi.NBSD_O_CREAT | abi.NBSD_O_WRONLY, 0o644) == abi.ENFILE
    assert nf.n == nf.limit
    f3 = env.ok("dup", f1)                              # no new file: fine
    for fd in (f1, f2, d, 40):
        env.ok("close", fd)
    assert nf.n == nf.limit - 1                         # f1's file lives on in f3
    env.ok("close", f3)
    env.ok("close", env.ok("open", "/etc/passwd", abi.NBSD_O_RDONLY, 0))
    env.ok("close", r)
    assert nf.n == nf.limit - 3                         # the pipe's write end is open
    env.ok("close", w)
    assert nf.n == nf.limit - 4                         # the socket pair's two


@pytest.mark.parametrize("mode", MODES)
def test_knotes_of_many_processes_are_bounded(hostile3, mode, tmp_path):
    """Processes each register EVFILT_USER knotes until ENOMEM: the bound
    (kqueue.KQ_MAXKNOTES) was per descriptor table, so every process got
    65,536 (about 330 bytes of kw86's memory each: 4 processes 110 MB, 160
    of them 3.4 GB); it is the system's now, and comes back when they die."""
    from kw86.nbsd.kqueue import KQ_MAXKNOTES
    from kw86.nbsd import abi
    rc, n, out, err, rss = run_measured([*mode, _rel(hostile3), "knotes", "12"], tmp_path)
    assert rc == 0 and out.endswith("knotes-after 0 0\ndone\n"), (rc, out, err)
    nproc, held, nknotes, errno = (int(v) for v in
                                   re.search(r"^bufs 0 0 (.*)$", out, re.M).group(1).split())
    assert nproc == 12 and errno == abi.ENOMEM and nknotes == KQ_MAXKNOTES
    assert rss < 120 * 1024, f"peak RSS {rss} KiB"


@pytest.mark.parametrize("mode", MODES)
def test_map_entries_are_bounded(hostile3, mode, tmp_path):
    """Processes reserve address space PROT_NONE (no memory: 16 MiB at a
    time) and mprotect every other page: each call split a region, without
    bound, so one process went on for more than ten minutes of host time
    (each call walks the whole map) toward 786,000 regions of kw86's memory.
    Now a process has at most MAX_MAP_ENTRIES (ENOMEM past it)."""
    from kw86.nbsd.syscalls.vm import MAX_MAP_ENTRIES
    from kw86.nbsd import abi
    rc, n, out, err, rss = run_measured([*mode, _rel(hostile3), "regions", "2"], tmp_path)
    assert rc == 0 and out.endswith("socketpair-after 0 0\ndone\n"), (rc, out, err)
    nproc, held, nreg, errno = (int(v) for v in
                                re.search(r"^bufs 0 0 (.*)$", out, re.M).group(1).split())
    assert nproc == 2 and errno == abi.ENOMEM
    assert 2 * (MAX_MAP_ENTRIES - 16) <= nreg <= 2 * MAX_MAP_ENTRIES
    assert rss < 120 * 1024, f"peak RSS {rss} KiB"


@pytest.mark.parametrize("mode", MODES)
def test_map_entry_bound_leaves_nothing_half_done(hostile3, mode):
    """At the bound: the mprotect that failed left its page PROT_NONE (a read
    is SIGSEGV), a munmap that would split a region and a new mmap are
    ENOMEM; unmapping a whole reservation (thousands of regions) gives room
    again."""
    from kw86.nbsd import abi
    rc, out, err = kw86(*mode, _rel(hostile3), "regcheck")
    assert rc == 0 and out.endswith("done\n"), (rc, out, err)
    assert out.splitlines()[:-1] == [
        f"regcheck-full -1 {abi.ENOMEM}", "regcheck-untouched 11 0",
        f"regcheck-munmap-split -1 {abi.ENOMEM} at-once", f"regcheck-mmap -1 {abi.ENOMEM}",
        "regcheck-unmap-whole 0 0", "regcheck-mmap-after 0 0",
        "regcheck-mprotect-after 0 0"], out


# -- what held: privileged instructions with any operands -------------------------

def test_privileged_instructions_with_any_operands(hostile3):
    """A kernelware's children each issue one privileged instruction with
    hostile operands (MSRs that do not exist, EFER, SYSENTER_EIP, the TSC;
    every I/O port in and out but the hypercall's; a data breakpoint on
    kernel text; CR4 all ones; wbinvd/invd/clts; ltr/lldt of bad
    selectors; sysexit and iret to forged state; a GDT and an IDT past
    physical memory; the kernel API's hypercall with its stack at the
    kernel): each dies of its fault or goes on, the machine never stops and
    no host error shows."""
    rc, out, err = kw86("--kernelware", _rel(hostile3), "privops")
    assert rc == 0 and out.endswith("done\n"), (rc, out, err)
    res = {ln.split()[0]: int(ln.split()[1]) for ln in out.splitlines()
           if len(ln.split()) == 3}
    want = {"rdmsr-bad": 139, "wrmsr-bad": 139, "wrmsr-sysenter-eip": 0, "wrmsr-tsc": 0,
            "in-ports": 0, "out-ports": 0, "cr4": 139, "wbinvd": 0, "ltr": 139,
            "lldt": 139, "sysexit": 139, "iret-forged": 139, "lgdt-far": 139,
            "lidt-far": 139, "hcall-kapi-wild": 139}
    assert {k: res[k] for k in want} == want, out
    assert "dr7" in res
    for line in err.splitlines():
        assert re.fullmatch(r"kw86: pid \d+ \(hostile3\): .*: killed by SIG[A-Z]+", line), err


def test_profile_shows_guest_symbol_names_escaped(hostile3, tmp_path):
    """--profile prints function names from the guest's ELF symbols (a
    table on stderr, folded stacks in a file or on stderr): a symbol named
    ESC [ 2 J (main's name patched) shows as \\x1b[2J."""
    data = open(hostile3, "rb").read()
    assert b"\0main\0" in data
    (tmp_path / "evil").write_bytes(data.replace(b"\0main\0", b"\0\x1b[2J\0"))
    (tmp_path / "evil").chmod(0o755)
    r = subprocess.run([sys.executable, "-m", "kw86.cli", "exec", "--profile", "-",
                        "--profile-top", "200", "./evil", "kprintf", "1", "1"],
                       cwd=tmp_path, capture_output=True, stdin=subprocess.DEVNULL,
                       env=hostenv.kw86_env(), timeout=300)
    err = r.stderr.decode(errors="replace")
    assert r.returncode == 0 and r.stdout == b"kprintf -1 0\ndone\n", (r.returncode, err)
    for line in err.splitlines():
        assert not _RAW.search(line), repr(line)
    assert ";\\x1b[2J;" in err and re.search(r" \\x1b\[2J$", err, re.M), err


# -- setrlimit games: RLIMIT_FSIZE ------------------------------------------------------

_FSIZE = ["setrlimit 0 0", "write-to-limit 10 0 0", "write-past -1 27 1",
          "write-crossing -1 27 2", "pwrite-far -1 27", "pwrite-inside 100 0", "append -1 27",
          "size 0 0 10000", "child 25 0", "devnull 8192 0", "done"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("where", ["mfs", "host"])
def test_rlimit_fsize_is_enforced(hostile3, mode, where, tmp_path):
    """RLIMIT_FSIZE was kept and shown but never applied, so `ulimit -f`
    bounded nothing (a guest wrote the host's disk full through it).  Now
    NetBSD's enforce_rlimit_fsize: a write to a regular file that would end
    past the limit (the end of the file for O_APPEND) is refused whole with
    EFBIG and SIGXFSZ (caught: counted; default: the process dies of it);
    a host file under the limit stays at it."""
    d = tmp_path / "w"
    d.mkdir()
    path = "/tmp/f" if where == "mfs" else "/w/f"
    rc, out, err = kw86(*mode, "--bind", f"{d}:/w", _rel(hostile3), "fsize", path)
    assert rc == 0 and out.splitlines() == _FSIZE, (rc, out, err)
    if where == "host":
        assert os.path.getsize(d / "f") == 10000


def test_ulimit_f_stops_a_shell_writing(tmp_path):
    """sh's `ulimit -f 20` (512-byte blocks) and cat of an endless stream:
    cat dies of SIGXFSZ, the host file holds at most 10,240 bytes (none:
    cat's first write is larger, and a write is refused whole)."""
    d = tmp_path / "w"
    d.mkdir()
    rc, out, err = kw86("--bind", f"{d}:/w", "/bin/sh", "-c",
                        "ulimit -f 20; /bin/cat /dev/zero > /w/big; echo st=$?")
    assert rc == 0 and out == f"st={128 + 25}\n", (rc, out, err)
    assert os.path.getsize(d / "big") <= 20 * 512


@pytest.mark.parametrize("mode", MODES)
def test_rlimit_cpu_is_enforced(hostile3, mode):
    """RLIMIT_CPU was kept and shown but never applied (`ulimit -t` bounded
    nothing).  Now NetBSD's sched_pstats rule: at rlim_cur seconds of run
    time SIGXCPU (here caught once: the soft limit moves 5 s on, past the
    hard one), at rlim_max SIGKILL."""
    rc, out, err = kw86(*mode, _rel(hostile3), "cpulimit", timeout=600)
    assert rc == 0 and out == "xcpu\ncpulimit-child 9 0\ndone\n", (rc, out, err)


def test_ulimit_t_ends_a_spinning_shell():
    rc, out, err = kw86("/bin/sh", "-c", "ulimit -St 1; ulimit -Ht 5; /bin/sh -c "
                        "'i=0; while :; do i=$((i+1)); done'; echo st=$?", timeout=600)
    assert rc == 0 and out == f"st={128 + 24}\n", (rc, out, err)


def test_rlimit_fsize_applies_to_the_kernel_apis_vn_rdwr(hostile3, tmp_path):
    """NetBSD's vn_rdwr enforces RLIMIT_FSIZE too: a kernelware's write
    through it that would end past the limit is EFBIG, with SIGXFSZ."""
    d = tmp_path / "w"
    d.mkdir()
    rc, out, err = kw86("--kernelware", "--bind", f"{d}:/w", _rel(hostile3), "kfsize", "/w/f")
    assert rc == 0 and out.splitlines() == [
        "vn_rdwr-inside 0 0 0 0", "vn_rdwr-crossing 27 0", "size 0 0 8192 1", "done"], out
    assert os.path.getsize(d / "f") == 8192


def test_rlimit_nthr_bounds_an_unprivileged_lwp_bomb(hostile3):
    """An unprivileged user's threads: RLIMIT_NTHR (1,024, NetBSD's
    lwp_create counting the LWPs beyond each process's first per user) was
    shown but never applied; root may pass it (kauth's bypass) and is
    bounded by memory and its map entries."""
    rc, out, err = kw86("--user", "user", _rel(hostile3), "lwps")
    assert rc == 0 and out == "lwps 0 0 1024 35\ndone\n", (rc, out, err)


def test_interpreter_path_with_escapes_in_the_exec_error(tmp_path):
    """A host program whose PT_INTERP names "/ESC]2;pwn BEL" (absent): kw86's
    one-line error names the interpreter escaped."""
    import struct
    base = 0x08048000
    note = struct.pack("<III", 7, 4, 1) + b"NetBSD\0\0" + struct.pack("<I", 1000000000)
    interp = b"/\x1b]2;pwn\x07\0"
    note_off = 52 + 32 * 3
    interp_off = note_off + len(note)
    code_off = interp_off + len(interp)
    code = bytes.fromhex("b801000000" "6a2a" "6a00" "cd80")
    size = code_off + len(code)
    ph = b"".join(struct.pack("<8I", *x) for x in [
        (3, interp_off, base + interp_off, base + interp_off, len(interp), len(interp), 4, 1),
        (4, note_off, base + note_off, base + note_off, len(note), len(note), 4, 4),
        (1, 0, base, base, size, size, 5, 0x1000)])
    eh = b"\x7fELF\x01\x01\x01" + bytes(9) + struct.pack(
        "<HHIIIIIHHHHHH", 2, 3, 1, base + code_off, 52, 0, 0, 52, 32, 3, 40, 0, 0)
    (tmp_path / "prog").write_bytes(eh + ph + note + interp + code)
    (tmp_path / "prog").chmod(0o755)
    r = subprocess.run([sys.executable, "-m", "kw86.cli", "exec", "./prog"], cwd=tmp_path,
                       capture_output=True, stdin=subprocess.DEVNULL, env=hostenv.kw86_env(),
                       timeout=120)
    err = r.stderr.decode(errors="replace")
    assert r.returncode in (126, 127) and len(err.splitlines()) == 1, (r.returncode, err)
    assert not _RAW.search(err.rstrip("\n")) and "\\x1b]2;pwn\\x07" in err, repr(err)


@pytest.mark.parametrize("who, want", [("user", "locks 0 0 1025 77"),
                                       ("root", "locks 0 0 3000 0")])
def test_byte_range_locks_per_user_are_bounded(hostile3, who, want):
    """fcntl locks on every other byte of a file: NetBSD's maxlocksperuid
    (1,024; lf_alloc fails past it: ENOLCK) bounds a user other than root,
    whose locks had no bound (each lock is kw86's memory, each request walks
    them all); root has none, as in NetBSD.  Unlocking everything works."""
    user = ["--user", "user"] if who == "user" else []
    rc, out, err = kw86(*user, _rel(hostile3), "locks", "3000")
    assert rc == 0 and out == f"{want}\nunlock-all 0 0\ndone\n", (rc, out, err)
