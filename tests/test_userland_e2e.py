"""The userland's programs, end to end through `kw86 exec` (issue 4, "How it is checked").

Every program in /bin and /usr/bin of the built-in sysroot runs on the emulated machine
through the real command line (`kw86.cli.main(["exec", ...])`), with the guest's fd 0/1/2
on host temporary files.  `ls` is compared with the host's own `ls` over the same
directory (shown to the guest with `--bind HOST:/mnt`) for the options whose formats
agree; `cp` results are checked with the host's `cmp` and os.stat.  One binary runs both
as a process (int $0x80 at CPL 3) and as a kernelware (call at CPL 0), counted in the
kernel's statistics.

The guest runs in a worker thread: the CLI then leaves the host's signal handlers alone
(they can only be installed from the main thread), which saves the 0.2 s the Ctrl-C
watcher takes to stop after every run; everything else is the same code path.
"""
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections import namedtuple

import pytest

import hostenv
from buildreq import built
HERE = os.path.dirname(os.path.abspath(__file__))
SYSROOT = os.path.join(os.path.dirname(HERE), "kw86", "sysroot")

try:
    import kw86.machine  # noqa: F401  (the Cython machine is built)
    HAVE_MACHINE = True
except ImportError:
    HAVE_MACHINE = False

pytestmark = [
    built(HAVE_MACHINE, "the kw86 machine (kw86.machine)"),
    built(os.path.exists(os.path.join(SYSROOT, "bin", "ls")), "the userland sysroot"),
]

# Tests of permissions between guest users need the host to be root: hostfs then gives
# new files the guest's owner, and the host's own checks do not get in the way.
HOST_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
need_root = pytest.mark.skipif(not HOST_ROOT, reason="needs a root host (file owners)")

Result = namedtuple("Result", "rc out err")
MAX_INSTRUCTIONS = 4_000_000_000
_lock = threading.Lock()


def kw(*argv, stdin=b"", kernelware=False, binds=(), cwd=None, env=(), user=None,
       opts=(), text=True):
    """Run `kw86 exec [options] argv...`; returns Result(rc, stdout, stderr).

    binds: (hostdir, guestdir) pairs; env: "VAR=value" strings; opts: more exec options.
    """
    from kw86.cli import main
    args = ["exec"]
    if kernelware:
        args.append("--kernelware")
    for h, g in binds:
        args += ["--bind", f"{h}:{g}"]
    if cwd is not None:
        args += ["--cwd", cwd]
    for e in env:
        args += ["-E", e]
    if user is not None:
        args += ["--user", user]
    if "--max-instructions" not in opts:      # a runaway guest fails, never hangs
        args += ["--max-instructions", str(MAX_INSTRUCTIONS)]
    args += list(opts) + [str(a) for a in argv]
    if isinstance(stdin, str):
        stdin = stdin.encode()
    with _lock, tempfile.TemporaryFile() as fin, tempfile.TemporaryFile() as fout, \
            tempfile.TemporaryFile() as ferr:
        fin.write(stdin)
        fin.seek(0)
        sys.stdout.flush()
        sys.stderr.flush()
        saved = [os.dup(i) for i in range(3)]
        res = []
        old = sys.stdout, sys.stderr
        try:
            os.dup2(fin.fileno(), 0)
            os.dup2(fout.fileno(), 1)
            os.dup2(ferr.fileno(), 2)

            # the CLI's own messages (--stats, "kw86: ...") go through sys.stdout/err,
            # which pytest replaces: point them at the same files for the run
            pyout = open(1, "w", closefd=False)
            pyerr = open(2, "w", closefd=False)
            old = sys.stdout, sys.stderr
            sys.stdout, sys.stderr = pyout, pyerr

            def body():
                try:
                    res.append(main(args))
                except BaseException as e:      # surfaces in the test, not the thread
                    res.append(e)
                finally:
                    pyout.flush()
                    pyerr.flush()
            t = threading.Thread(target=body)
            t.start()
            t.join()
        finally:
            sys.stdout, sys.stderr = old
            for i in range(3):
                os.dup2(saved[i], i)
                os.close(saved[i])
        if isinstance(res[0], BaseException):
            raise res[0]
        fout.seek(0)
        ferr.seek(0)
        out, err = fout.read(), ferr.read()
    if text:
        out, err = out.decode("latin-1"), err.decode("latin-1")
    return Result(res[0], out, err)


# --------------------------------------------------------------------------- the tree

NOW = int(time.time())
OLD = 1_577_934_240          # 2020-01-02 03:04 UTC: older than six months
HOST_ENV = hostenv.env(POSIXLY_CORRECT="1", COLUMNS="80")
BIG = bytes((i * 7 + (i >> 8)) & 0xff for i in range(200_001))   # not a 64 KiB multiple


def _make_tree(d):
    """A directory with every kind of entry ls must show."""
    os.makedirs(os.path.join(d, "sub", "inner"))
    os.makedirs(os.path.join(d, "emptydir"))
    files = {"a.txt": b"hello\n", "B3": b"abc", "big": BIG, ".hidden": b"",
             "sp ace": b"q\n", "old": b"", "ctl\x01x": b"c", "sub/x": b"xx\n", "sub/inner/f": b"f\n",
             "lines": b"".join(b"line %d\n" % i for i in range(1, 26))}
    for name, data in files.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
    os.symlink("a.txt", os.path.join(d, "link"))
    os.symlink("nowhere", os.path.join(d, "dangling"))
    os.symlink("sub", os.path.join(d, "dirlink"))
    os.mkfifo(os.path.join(d, "fifo"))
    os.chmod(os.path.join(d, "big"), 0o755)
    os.chmod(os.path.join(d, "B3"), 0o640)
    os.chmod(os.path.join(d, "emptydir"), 0o1777)
    os.chmod(os.path.join(d, "sub", "inner"), 0o2750)
    # distinct times: mtimes decreasing and atimes increasing with the name's rank; some
    # recent (ls shows hh:mm), one old (ls shows the year)
    names = sorted(os.listdir(d))
    for i, n in enumerate(names):
        p = os.path.join(d, n)
        os.utime(p, (NOW - 86400 * 30 + i * 600, NOW - 3600 - i * 700),
                 follow_symlinks=False)
    os.utime(os.path.join(d, "old"), (OLD, OLD))


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    base = tmp_path_factory.mktemp("e2e")
    d = os.path.join(str(base), "d")
    _make_tree(d)
    return d


@pytest.fixture
def work(tree, request):
    """A fresh writable directory next to the shared tree, bound in the guest at /w."""
    base = os.path.dirname(tree)
    w = os.path.join(base, "w_" + re.sub(r"\W", "_", request.node.name))
    shutil.rmtree(w, ignore_errors=True)
    os.mkdir(w)
    return w


def guest(tree, *argv, **kw_):
    """Run with the shared tree at /mnt (cwd /mnt) and any work dir at /w."""
    binds = [(tree, "/mnt")] + list(kw_.pop("binds", ()))
    kw_.setdefault("cwd", "/mnt")
    return kw(*argv, binds=binds, **kw_)


def host_ls(tree, opts, operands=()):
    p = subprocess.run(["ls"] + opts + list(operands), cwd=tree, env=HOST_ENV,
                       capture_output=True)
    return p.returncode, p.stdout.decode("latin-1")


# --------------------------------------------------------------------------- ls

# Options whose output is byte for byte the same in NetBSD's ls and GNU ls (with
# POSIXLY_CORRECT for 512-byte blocks).  -A everywhere: NetBSD's ls implies -A for
# root (the guest's default user), GNU's does not.
LS_SAME = ["-A1", "-a1", "-A1r", "-A1S", "-A1Sr", "-A1t", "-A1tr", "-A1tu", "-A1tc",
           "-A1F", "-A1p", "-A1i", "-A1s", "-A1si", "-A1k", "-A1sk", "-A1L", "-mA",
           "-A1Fs", "-A1q", "-mAF", "-mAi", "-A1ip", "-A1dF"]


@pytest.mark.parametrize("kernelware", [False, True], ids=["user", "kernelware"])
@pytest.mark.parametrize("opts", LS_SAME)
def test_ls_matches_host_ls(tree, opts, kernelware):
    rc, want = host_ls(tree, [opts])
    r = guest(tree, "/bin/ls", opts, env=["COLUMNS=80"], kernelware=kernelware)
    assert (r.rc, r.err) == (0, "")
    assert r.out == want


@pytest.mark.parametrize("opts,operands", [
    ("-1d", ["sub", "a.txt", "emptydir", "link"]),
    ("-1", ["a.txt", "sub", "B3"]),            # files first, then each directory
    ("-1F", ["sub", "emptydir", "dirlink"]),
    ("-1A", ["sub", "sub/inner"]),
])
def test_ls_operands_match_host_ls(tree, opts, operands):
    rc, want = host_ls(tree, [opts], operands)
    r = guest(tree, "/bin/ls", opts, *operands)
    assert (r.rc, r.err) == (0, "")
    assert r.out == want


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_ls_random_directory_matches_host_ls(tmp_path, seed):
    """Random names (bytes sorted as strcmp does), sizes and times, with ties."""
    import random
    rng = random.Random(seed)
    alphabet = "aAbB01-_.~#Zz" + "\xe9\xfc"
    d = str(tmp_path)
    names = set()
    while len(names) < 40:
        n = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12)))
        if n not in (".", ".."):
            names.add(n)
    for n in names:
        p = os.path.join(d, n).encode("latin-1")
        if rng.random() < 0.15:
            os.mkdir(p)
        else:
            with open(p, "wb") as f:
                f.write(b"x" * rng.choice([0, 1, 100, 512, 513, 4096, 70000]))
            os.chmod(p, rng.choice([0o644, 0o600, 0o755, 0o4755, 0o2711, 0o1777, 0o000]))
        t = NOW - rng.choice([60, 3600, 86400 * 10, 86400 * 400, 86400 * 3000])
        os.utime(p, (t, t))
    for opts in ["-A1", "-A1S", "-A1t", "-A1r", "-A1Sr", "-A1F", "-A1s", "-lnA", "-lnAtr"]:
        p = subprocess.run(["ls", opts], cwd=d, env=HOST_ENV, capture_output=True)
        r = kw("/bin/ls", opts, "/r", binds=[(d, "/r")], text=False)
        assert r.rc == 0 and r.err == b""
        if opts.startswith("-l"):
            assert [x.split() for x in r.out.splitlines()] == \
                [x.split() for x in p.stdout.splitlines()], opts
        else:
            assert r.out == p.stdout, opts


def test_ls_R_matches_host_ls(tree):
    # NetBSD names the first directory only when there are several operands
    rc, want = host_ls(tree, ["-1AR"], ["sub"])
    assert want.startswith("sub:\n")
    r = guest(tree, "/bin/ls", "-1AR", "sub")
    assert r.rc == 0 and r.out == want[len("sub:\n"):]
    rc, want = host_ls(tree, ["-1AR"], ["sub", "emptydir"])
    r = guest(tree, "/bin/ls", "-1AR", "sub", "emptydir")
    assert r.rc == 0 and r.out == want


def _fields(text):
    """ls -l output as lists of fields (the column padding differs between the two)."""
    return [ln.split() for ln in text.splitlines()]


@pytest.mark.parametrize("opts", ["-lnA", "-lnAi", "-lnAs", "-lnAk", "-lnAS", "-lnAtr",
                                  "-lnAu", "-lnAc", "-lnAtu", "-lnAtc", "-lnAr",
                                  "-lnAL"])
def test_ls_long_matches_host_ls(tree, opts):
    """-l: mode string, links, ids, size, date (recent: time; old: year), name, target."""
    if "L" in opts:     # GNU prints ?s for a dangling link, NetBSD the link itself
        operands = [n for n in sorted(os.listdir(tree)) if n != "dangling"]
    else:
        operands = []
    rc, want = host_ls(tree, [opts], operands)
    r = guest(tree, "/bin/ls", opts, *operands)
    assert (r.rc, r.err) == (0, "")
    assert _fields(r.out) == _fields(want)


def test_ls_long_F_marks_links_before_the_arrow(tree):
    # NetBSD's printlong: printtype() then printlink(): "name@ -> target" (GNU: "name ->")
    r = guest(tree, "/bin/ls", "-lF", "link", "big", "dangling")
    assert [ln.split()[8:] for ln in r.out.splitlines()] == \
        [["big*"], ["dangling@", "->", "nowhere"], ["link@", "->", "a.txt"]]
    r = guest(tree, "/bin/ls", "-lF", "sub")
    assert [ln.split()[8:] for ln in r.out.splitlines()[1:]] == [["inner/"], ["x"]]


def test_ls_q_and_raw_names(tree):
    r = guest(tree, "/bin/ls", "-1", "ctl\x01x")
    assert r.out == "ctl\x01x\n"                     # not a tty: names as they are
    r = guest(tree, "/bin/ls", "-1q", "ctl\x01x")
    assert r.out == "ctl?x\n"


def test_ls_symlink_operands(tree):
    # a link to a directory named as an operand is followed, unless -l, -d or -F
    r = guest(tree, "/bin/ls", "dirlink")
    assert r.out == "inner\nx\n"
    r = guest(tree, "/bin/ls", "-d", "dirlink", "dirlink/")
    assert r.out == "dirlink\ndirlink/\n"
    r = guest(tree, "/bin/ls", "-l", "dirlink")
    assert r.out.rstrip().endswith("dirlink -> sub")
    r = guest(tree, "/bin/ls", "-H", "-l", "dirlink")
    assert r.out.startswith("total ")


def test_ls_sizes_beyond_32_bits(work):
    """st_size is 64-bit: %lld in ls -l, -S sorting, stat_bench on it."""
    for name, size in (("huge", 5_000_000_000), ("mid", 3_000_000_000), ("small", 2)):
        with open(os.path.join(work, name), "wb") as f:
            f.truncate(size)
    r = kw("/bin/ls", "-lS", "/w", binds=[(work, "/w")])
    assert r.rc == 0
    rows = [ln.split() for ln in r.out.splitlines()[1:]]
    assert [(x[4], x[8]) for x in rows] == [("5000000000", "huge"), ("3000000000", "mid"),
                                            ("2", "small")]
    r = kw("/bin/sh", "-c", "head -c 5 /w/huge | wc -c; cat /w/huge | head -c 70000 | wc -c",
           binds=[(work, "/w")])
    assert r == (0, "       5\n   70000\n", "")


def test_ls_long_format_details(tree):
    r = guest(tree, "/bin/ls", "-lA")
    assert r.rc == 0
    lines = r.out.splitlines()
    st = os.stat(os.path.join(tree, "big"))
    total = sum(os.lstat(os.path.join(tree, n)).st_blocks for n in os.listdir(tree))
    assert lines[0] == f"total {total}"
    by_name = {ln.split(None, 8)[8].split(" -> ")[0]: ln for ln in lines[1:]}
    assert set(by_name) == set(os.listdir(tree))
    big = by_name["big"].split()
    assert big[0] == "-rwxr-xr-x" and big[4] == str(st.st_size)
    if HOST_ROOT:
        assert big[2:4] == ["root", "wheel"]
    assert by_name["B3"].startswith("-rw-r-----")
    assert by_name["emptydir"].startswith("drwxrwxrwt")
    assert by_name["sub"].split()[1] == "3"             # ., inner/.., x's dir link count
    assert by_name["fifo"].startswith("prw-r--r--")
    assert by_name["link"].startswith("lrwxrwxrwx") and by_name["link"].endswith(
        "link -> a.txt")
    assert by_name["dangling"].endswith("dangling -> nowhere")
    # the NetBSD date: "Mon dd  yyyy" when older than six months, "Mon dd hh:mm" when recent
    assert re.search(r" Jan  2  2020 old$", by_name["old"])
    recent = time.strftime("%b %e %H:%M", time.gmtime(os.lstat(os.path.join(tree, "a.txt"))
                                                       .st_mtime))
    assert f" {recent} a.txt" in by_name["a.txt"]
    # -T: the full date and time
    r = guest(tree, "/bin/ls", "-lT", "old")
    assert r.out.split()[5:10] == ["Jan", "2", "03:04:00", "2020", "old"]


def _grid(names, width, across):
    """NetBSD's column layout: width = longest name + 1; down columns (-C) or across (-x)."""
    cw = max(len(n) for n in names) + 1
    if width < 2 * cw:
        return "".join(n + "\n" for n in names)
    ncols = width // cw
    num = len(names)
    out = []
    if across:
        for i in range(0, num, ncols):
            row = names[i:i + ncols]
            out.append("".join(n.ljust(cw) for n in row[:-1]) + row[-1] + "\n")
        return "".join(out)
    nrows = (num + ncols - 1) // ncols
    for row in range(nrows):
        cells = [names[i] for i in range(row, num, nrows)]
        out.append("".join(n.ljust(cw) for n in cells[:-1]) + cells[-1] + "\n")
    return "".join(out)


def test_ls_dates_around_now(work):
    """NetBSD's rule: time of day within six months either side of now, else the year
    (GNU ls differs for future times, so this one is not compared with the host)."""
    half = (365 // 2) * 86400
    for name, t in (("past", NOW - half + 86400), ("older", NOW - half - 86400),
                    ("soon", NOW + 86400), ("far", NOW + half + 86400)):
        open(os.path.join(work, name), "w").close()
        os.utime(os.path.join(work, name), (t, t))
    r = kw("/bin/ls", "-lT", "/w", binds=[(work, "/w")])
    full = {ln.split()[-1]: ln.split()[5:9] for ln in r.out.splitlines()[1:]}
    r = kw("/bin/ls", "-l", "/w", binds=[(work, "/w")])
    for ln in r.out.splitlines()[1:]:
        f = ln.split()
        mon, day, hms, year = full[f[-1]]
        recent = f[-1] in ("past", "soon")
        assert f[5:8] == [mon, day, hms[:5] if recent else year], ln


@pytest.mark.parametrize("cols", [80, 30, 12])
def test_ls_columns(tree, cols):
    names = sorted(os.listdir(tree))
    r = guest(tree, "/bin/ls", "-CA", env=[f"COLUMNS={cols}"])
    assert r.rc == 0 and r.out == _grid(names, cols, across=False)
    r = guest(tree, "/bin/ls", "-xA", env=[f"COLUMNS={cols}"])
    assert r.rc == 0 and r.out == _grid(names, cols, across=True)
    assert all(len(ln) < cols for ln in r.out.splitlines() if " " in ln.strip())


def test_ls_not_a_tty_is_one_per_line_and_root_implies_A(tree):
    r = guest(tree, "/bin/ls")
    assert r.out == "".join(n + "\n" for n in sorted(os.listdir(tree)))
    r = guest(tree, "/bin/ls", user="user")         # not root: no dot files
    assert r.out == "".join(n + "\n" for n in sorted(os.listdir(tree)) if n[0] != ".")


def _run_on_pty(argv, cols):
    """kw86 exec with the guest's stdout on a host pseudo-terminal `cols` wide."""
    import fcntl
    import pty
    import struct
    import termios
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, cols, 0, 0))
    attrs = termios.tcgetattr(slave)
    attrs[1] &= ~termios.OPOST              # no \n -> \r\n
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    env = hostenv.kw86_env()
    p = subprocess.Popen([sys.executable, "-m", "kw86.cli", "exec"] + argv,
                         stdin=subprocess.DEVNULL, stdout=slave, stderr=subprocess.PIPE,
                         env=env)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:                     # EIO: the other side is closed
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    p.wait(timeout=60)
    return p.returncode, out.decode("latin-1"), p.stderr.read().decode()


def test_ls_on_a_terminal(tree):
    """stdout a tty: columns to TIOCGWINSZ's width, non-printable characters as '?'."""
    names = sorted(n.replace("\x01", "?") for n in os.listdir(tree))
    rc, out, err = _run_on_pty(["--bind", f"{tree}:/mnt", "/bin/ls", "-A", "/mnt"], 40)
    assert rc == 0, err
    assert out == _grid(names, 40, across=False)
    rc, out, err = _run_on_pty(["--bind", f"{tree}:/mnt", "/bin/ls", "-A", "/mnt"], 100)
    assert out == _grid(names, 100, across=False)


def test_ls_devices(tree):
    """Character devices: major, minor in place of the size (NetBSD: "%*u, %*u")."""
    r = kw("/bin/ls", "-l", "/dev/null", "/dev/zero")
    assert r.rc == 0
    for ln in r.out.splitlines():
        assert re.match(r"crw-rw-rw-  1 root  wheel +\d+, +\d+ \w{3} [ \d]\d "
                        r"(\d\d:\d\d| \d{4}) /dev/(null|zero)$", ln), ln
    r = kw("/bin/ls", "-F", "/dev/null")
    assert r.out == "/dev/null\n"


def test_ls_owner_names_from_the_sysroot(tree):
    r = kw("/bin/ls", "-ld", "/home/user", "/etc/passwd")
    assert r.rc == 0
    lines = [ln.split() for ln in r.out.splitlines()]
    assert lines[0][2:4] == ["root", "wheel"]


def test_ls_errors(tree):
    r = guest(tree, "/bin/ls", "nosuch", "a.txt")
    assert r.rc == 1
    assert r.err == "ls: nosuch: No such file or directory\n"
    assert r.out == "a.txt\n"
    r = guest(tree, "/bin/ls", "-z")
    assert r.rc == 1 and r.out == ""
    assert r.err.startswith("ls: unknown option -- z\nusage: ls [")


@need_root
def test_ls_permission_denied(tree, work):
    os.mkdir(os.path.join(work, "priv"))
    os.chmod(os.path.join(work, "priv"), 0o700)
    r = kw("/bin/ls", "/w/priv", binds=[(work, "/w")], user="user")
    assert r.rc == 1 and r.out == ""
    assert r.err == "ls: priv: Permission denied\n" or \
        r.err == "ls: /w/priv: Permission denied\n"


def test_ls_many_files(work):
    names = [f"f{i:04d}" for i in range(300)]
    for n in names:
        open(os.path.join(work, n), "w").close()
    r = kw("/bin/ls", "/w", binds=[(work, "/w")])
    assert r.rc == 0 and r.out.split() == names


# --------------------------------------------------------------------------- cp

def _cmp(a, b):
    return subprocess.run(["cmp", a, b], capture_output=True, env=HOST_ENV).returncode == 0


def test_cp_file(tree, work):
    r = guest(tree, "/bin/cp", "big", "/w/big", binds=[(work, "/w")])
    assert r == (0, "", "")
    assert _cmp(os.path.join(tree, "big"), os.path.join(work, "big"))
    assert stat.S_IMODE(os.stat(os.path.join(work, "big")).st_mode) == 0o755
    # over an existing file: truncated and rewritten, its mode kept
    with open(os.path.join(work, "small"), "wb") as f:
        f.write(b"x" * 300_000)
    os.chmod(os.path.join(work, "small"), 0o600)
    r = guest(tree, "/bin/cp", "a.txt", "/w/small", binds=[(work, "/w")])
    assert r.rc == 0
    assert _cmp(os.path.join(tree, "a.txt"), os.path.join(work, "small"))
    assert stat.S_IMODE(os.stat(os.path.join(work, "small")).st_mode) == 0o600


def test_cp_p_preserves_times_and_mode(tree, work):
    before = {n: os.stat(os.path.join(tree, n)) for n in ("old", "B3")}
    r = guest(tree, "/bin/cp", "-p", "old", "B3", "/w", binds=[(work, "/w")])
    assert r.rc == 0, r.err
    for n in ("old", "B3"):
        s, d = os.stat(os.path.join(tree, n)), os.stat(os.path.join(work, n))
        assert int(d.st_mtime) == int(s.st_mtime)
        assert int(d.st_atime) == int(before[n].st_atime)      # as it was before
        assert stat.S_IMODE(d.st_mode) == stat.S_IMODE(s.st_mode)
        assert _cmp(os.path.join(tree, n), os.path.join(work, n))
    assert int(os.stat(os.path.join(work, "old")).st_mtime) == OLD


def test_cp_into_directory_and_v(tree, work):
    r = guest(tree, "/bin/cp", "-v", "a.txt", "B3", "/w", binds=[(work, "/w")])
    assert r.rc == 0
    assert r.out == "a.txt -> /w/a.txt\nB3 -> /w/B3\n"
    assert sorted(os.listdir(work)) == ["B3", "a.txt"]


def _snapshot(top):
    """{relpath: (type, mode, data or link target)} of a tree, not following links."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(top):
        for n in dirnames + filenames:
            p = os.path.join(dirpath, n)
            st = os.lstat(p)
            rel = os.path.relpath(p, top)
            if stat.S_ISLNK(st.st_mode):
                out[rel] = ("l", os.readlink(p))
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = ("d", stat.S_IMODE(st.st_mode))
            elif stat.S_ISREG(st.st_mode):
                with open(p, "rb") as f:
                    out[rel] = ("f", stat.S_IMODE(st.st_mode), f.read())
            else:
                out[rel] = ("?", stat.S_IFMT(st.st_mode))
    return out


def test_cp_R_copies_the_tree(tree, work):
    src = os.path.join(work, "src")
    shutil.copytree(tree, src, symlinks=True, ignore=lambda d, n: ["fifo"])
    r = kw("/bin/cp", "-R", "/w/src", "/w/dst", binds=[(work, "/w")])
    assert r == (0, "", ""), r
    a, b = _snapshot(src), _snapshot(os.path.join(work, "dst"))
    assert a.keys() == b.keys()
    # directories too: the source's mode; the setgid bit cp keeps is the guest's,
    # kept beside the host directory, never on it (hostfs sets no set-id bit on
    # the host: tests/test_nbsd_hostsuid.py)
    a["sub/inner"] = ("d", 0o750)
    for k in a:
        assert a[k] == b[k], k
    assert b["sub/inner"] == ("d", 0o750) and b["emptydir"] == ("d", 0o1777)
    r = kw("/bin/ls", "-ld", "/w/src/sub/inner", "/w/dst/sub/inner", binds=[(work, "/w")])
    assert r.rc == 0 and [ln.split()[0] for ln in r.out.splitlines()] == ["drwxr-s---"] * 2, r
    assert _cmp(os.path.join(src, "big"), os.path.join(work, "dst", "big"))
    # into an existing directory: dst/src
    r = kw("/bin/cp", "-R", "/w/src", "/w/dst", binds=[(work, "/w")])
    assert r.rc == 0
    assert _snapshot(os.path.join(work, "dst", "src")).keys() == a.keys()


def test_cp_R_into_itself_stops(tree, work):
    """cp -R d d/sub: the copy is made once, never copied into itself again."""
    shutil.copytree(os.path.join(tree, "sub"), os.path.join(work, "s"))
    r = kw("/bin/cp", "-R", "/w/s", "/w/s/inner/", binds=[(work, "/w")])
    assert r == (1, "", "cp: /w/s/inner/s: directory causes a cycle\n")
    assert sorted(_snapshot(os.path.join(work, "s"))) == [
        "inner", "inner/f", "inner/s", "inner/s/inner", "inner/s/inner/f", "inner/s/x", "x"]


def test_cp_R_recreates_a_fifo(tree, work):
    r = guest(tree, "/bin/cp", "-R", "fifo", "/w/f2", binds=[(work, "/w")])
    assert r == (0, "", "")
    assert stat.S_ISFIFO(os.lstat(os.path.join(work, "f2")).st_mode)
    # and inside a tree, with -p keeping its mode
    r = guest(tree, "/bin/cp", "-Rp", ".", "/w/all", binds=[(work, "/w")])
    assert r == (0, "", "")
    assert stat.S_ISFIFO(os.lstat(os.path.join(work, "all", "fifo")).st_mode)


def test_cp_Rp_preserves_times(tree, work):
    r = guest(tree, "/bin/cp", "-Rp", "sub", "old", "/w", binds=[(work, "/w")])
    assert r.rc == 0, r.err
    for rel in ("sub", "sub/x", "sub/inner", "sub/inner/f", "old"):
        s, d = os.stat(os.path.join(tree, rel)), os.stat(os.path.join(work, rel))
        assert int(s.st_mtime) == int(d.st_mtime), rel
        # the mode, set-id bits kept as the guest's, not on the host (hostfs)
        assert stat.S_IMODE(s.st_mode) & ~0o6000 == stat.S_IMODE(d.st_mode), rel


def test_cp_errors(tree, work):
    b = [(work, "/w")]
    r = guest(tree, "/bin/cp", "sub", "/w/x", binds=b)
    assert r == (1, "", "cp: sub is a directory (not copied).\n")
    r = guest(tree, "/bin/cp", "nosuch", "/w/x", binds=b)
    assert r == (1, "", "cp: nosuch: No such file or directory\n")
    r = guest(tree, "/bin/cp", "a.txt", "/w/nodir/x", binds=b)
    assert r == (1, "", "cp: /w/nodir/x: No such file or directory\n")
    r = guest(tree, "/bin/cp", "a.txt", "B3", "/w/notadir", binds=b)
    assert r == (1, "", "cp: /w/notadir: Not a directory\n")
    r = guest(tree, "/bin/cp", "a.txt", "a.txt", binds=b)
    assert r == (1, "", "cp: a.txt and a.txt are identical (not copied).\n")
    r = guest(tree, "/bin/cp", "a.txt")
    assert r.rc == 1 and r.err.startswith("usage: cp ")
    r = guest(tree, "/bin/cp", "-Z", "a", "b")
    assert r.rc == 1 and r.err.startswith("cp: unknown option -- Z\nusage: cp ")
    # one bad source does not stop the others
    r = guest(tree, "/bin/cp", "nosuch", "a.txt", "/w", binds=b)
    assert r.rc == 1 and os.path.exists(os.path.join(work, "a.txt"))


@need_root
def test_cp_permission_denied(tree, work):
    os.chmod(work, 0o755)
    r = kw("/bin/cp", "/mnt/a.txt", "/w/x", binds=[(tree, "/mnt"), (work, "/w")],
           user="user")
    assert r == (1, "", "cp: /w/x: Permission denied\n")


@need_root
def test_cp_i_and_f(tree, work):
    b = [(work, "/w")]
    dst = os.path.join(work, "t")
    with open(dst, "w") as f:
        f.write("keep\n")
    r = guest(tree, "/bin/cp", "-i", "a.txt", "/w/t", binds=b, stdin="n\n")
    assert r.rc == 1 or r.rc == 0
    assert "overwrite /w/t?" in r.err
    assert open(dst).read() == "keep\n"
    r = guest(tree, "/bin/cp", "-i", "a.txt", "/w/t", binds=b, stdin="y\n")
    assert r.rc == 0 and open(dst).read() == "hello\n"
    # -f: a destination that cannot be opened for writing is removed first
    os.chmod(work, 0o777)
    os.chmod(dst, 0o444)
    r = guest(tree, "/bin/cp", "a.txt", "/w/t", binds=b, user="user")
    assert r == (1, "", "cp: /w/t: Permission denied\n")
    r = guest(tree, "/bin/cp", "-f", "a.txt", "/w/t", binds=b, user="user")
    assert r == (0, "", "") and open(dst).read() == "hello\n"
    assert os.stat(dst).st_uid == 1000


def test_cp_full_disk(tree):
    """/tmp is an MFS: a copy that does not fit reports ENOSPC and exits 1."""
    r = guest(tree, "/bin/cp", "big", "/tmp/big", opts=["--mfs", "64K"])
    assert r.rc == 1
    assert r.err == "cp: /tmp/big: No space left on device\n"
    r = guest(tree, "/bin/sh", "-c", "cat big > /tmp/x; echo $?; rm /tmp/x; "
              "cp a.txt /tmp/y && cat /tmp/y", opts=["--mfs", "64K"])
    assert r == (0, "1\nhello\n", "cat: stdout: No space left on device\n")


def test_cp_l_makes_hard_links(tree, work):
    with open(os.path.join(work, "f"), "w") as f:
        f.write("x")
    r = kw("/bin/cp", "-l", "/w/f", "/w/g", binds=[(work, "/w")])
    assert r == (0, "", "")
    assert os.stat(os.path.join(work, "f")).st_ino == os.stat(os.path.join(work, "g")).st_ino
    r = kw("/bin/cp", "-l", "/w/f", "/tmp/g", binds=[(work, "/w")])
    assert r == (1, "", "cp: /tmp/g: Cross-device link\n")


@pytest.mark.parametrize("kernelware", [False, True])
def test_cp_both_modes_same_result(tree, work, kernelware):
    r = guest(tree, "/bin/cp", "big", "/w/big", binds=[(work, "/w")], kernelware=kernelware)
    assert r.rc == 0
    assert _cmp(os.path.join(tree, "big"), os.path.join(work, "big"))


# --------------------------------------------------------------------------- cat echo

def test_cat(tree):
    r = guest(tree, "/bin/cat", "a.txt", "-", "B3", stdin="from stdin\n")
    assert r == (0, "hello\nfrom stdin\nabc", "")
    r = guest(tree, "/bin/cat", "big")
    assert r.rc == 0 and r.out.encode("latin-1") == BIG
    r = guest(tree, "/bin/cat", stdin="x\ny\n")
    assert r.out == "x\ny\n"
    r = guest(tree, "/bin/cat", "-n", "a.txt", "a.txt")    # numbering runs on
    assert r.out == "     1\thello\n     2\thello\n"
    r = guest(tree, "/bin/cat", "a.txt", "nosuch", "B3")
    assert r == (1, "hello\nabc", "cat: nosuch: No such file or directory\n")
    r = guest(tree, "/bin/cat", "sub")
    assert r.rc == 1 and r.err == "cat: sub: Is a directory\n"
    r = guest(tree, "/bin/cat", "-y")
    assert r.rc == 1 and r.err.startswith("cat: unknown option -- y\nusage: cat ")


def test_cat_options(tree):
    data = "a\n\n\n\nb\tc\x01\x7f\n\n"
    r = guest(tree, "/bin/cat", "-n", stdin=data)
    assert r.out == "".join("%6d\t%s\n" % (i + 1, ln)
                            for i, ln in enumerate(data.split("\n")[:-1]))
    r = guest(tree, "/bin/cat", "-b", stdin=data)
    assert r.out == "     1\ta\n\n\n\n     2\tb\tc\x01\x7f\n\n"
    r = guest(tree, "/bin/cat", "-s", stdin=data)
    assert r.out == "a\n\nb\tc\x01\x7f\n\n"
    r = guest(tree, "/bin/cat", "-v", stdin=data)
    assert r.out == "a\n\n\n\nb\tc^A^?\n\n"
    r = guest(tree, "/bin/cat", "-e", stdin=data)
    assert r.out == "a$\n$\n$\n$\nb\tc^A^?$\n$\n"
    r = guest(tree, "/bin/cat", "-t", stdin=data)
    assert r.out == "a\n\n\n\nb^Ic^A^?\n\n"
    r = guest(tree, "/bin/cat", "-v", stdin=b"\x80\xff\xc1")
    assert r.out == "M-^@M-^?M-A"


@pytest.mark.parametrize("opts", ["-v", "-e", "-t", "-n", "-b", "-s", "-vet", "-bs", "-ns"])
def test_cat_matches_host_cat(tree, work, opts):
    """Every byte value, blank-line runs, tabs: the host's cat (its -v notation is
    BSD's) agrees."""
    data = bytes(range(256)) + b"\n\n\n\nx\ty\n\n" + bytes(range(255, -1, -1)) + b"\nend"
    with open(os.path.join(work, "bytes"), "wb") as f:
        f.write(data)
    p = subprocess.run(["cat", opts, "bytes", "bytes"], cwd=work, capture_output=True,
                       env=HOST_ENV)
    r = kw("/bin/cat", opts, "/w/bytes", "/w/bytes", binds=[(work, "/w")], text=False)
    assert r.rc == 0 and r.out == p.stdout


@pytest.mark.parametrize("args", [["-n", "3", "lines", "a.txt"], ["-c", "20", "lines"],
                                  ["lines"], ["-n", "30", "lines", "B3", "a.txt"]])
def test_head_matches_host_head(tree, args):
    p = subprocess.run(["head"] + args, cwd=tree, capture_output=True, env=HOST_ENV)
    r = guest(tree, "/usr/bin/head", *args)
    assert r.rc == 0 and r.out == p.stdout.decode("latin-1")


def test_echo():
    assert kw("/bin/echo", "a", "b  c", "") == (0, "a b  c \n", "")
    assert kw("/bin/echo") == (0, "\n", "")
    assert kw("/bin/echo", "-n", "x", "y") == (0, "x y", "")
    assert kw("/bin/echo", "x", "--", "-n") == (0, "x -- -n\n", "")
    assert kw("/bin/echo", "-n") == (0, "", "")
    assert kw("/bin/echo", "-e", "-n") == (0, "-e -n\n", "")       # NetBSD: only -n


def test_true_false():
    assert kw("/usr/bin/true") == (0, "", "")
    assert kw("/usr/bin/false") == (1, "", "")
    assert kw("/usr/bin/true", "--ignored") == (0, "", "")
    assert kw("true").rc == 0 and kw("false").rc == 1      # found in PATH


# --------------------------------------------------------------------------- mkdir rm mv

def test_mkdir(work):
    b = [(work, "/w")]
    r = kw("/bin/mkdir", "/w/a", "/w/b", binds=b)
    assert r == (0, "", "")
    assert stat.S_IMODE(os.stat(os.path.join(work, "a")).st_mode) == 0o755   # umask 022
    r = kw("/bin/mkdir", "/w/a", binds=b)
    assert r == (1, "", "mkdir: /w/a: File exists\n")
    r = kw("/bin/mkdir", "/w/x/y/z", binds=b)
    assert r == (1, "", "mkdir: /w/x/y/z: No such file or directory\n")
    r = kw("/bin/mkdir", "-p", "/w/x/y/z", "/w/a", binds=b)
    assert r == (0, "", "")
    assert os.path.isdir(os.path.join(work, "x", "y", "z"))
    r = kw("/bin/mkdir", "-m", "700", "/w/m", binds=b)
    assert r.rc == 0 and stat.S_IMODE(os.stat(os.path.join(work, "m")).st_mode) == 0o700
    r = kw("/bin/mkdir", "-m", "u=rwx,g=rx,o=", "/w/s", binds=b)
    assert r.rc == 0 and stat.S_IMODE(os.stat(os.path.join(work, "s")).st_mode) == 0o750
    r = kw("/bin/mkdir", "-p", "-m", "711", "/w/p/q", binds=b)
    assert r.rc == 0 and stat.S_IMODE(os.stat(os.path.join(work, "p", "q")).st_mode) == 0o711
    assert stat.S_IMODE(os.stat(os.path.join(work, "p")).st_mode) == 0o755
    r = kw("/bin/mkdir", binds=b)
    assert r.rc == 1 and r.err.startswith("usage: mkdir")
    r = kw("/bin/mkdir", "-m", "bogus", "/w/q", binds=b)
    assert r.rc == 1 and r.err == "mkdir: invalid file mode: bogus\n"


def test_rm(work):
    b = [(work, "/w")]
    for n in ("f1", "f2", "d/e/f"):
        os.makedirs(os.path.dirname(os.path.join(work, n)), exist_ok=True)
        open(os.path.join(work, n), "w").close()
    os.mkdir(os.path.join(work, "empty"))
    assert kw("/bin/rm", "/w/f1", binds=b) == (0, "", "")
    assert not os.path.exists(os.path.join(work, "f1"))
    assert kw("/bin/rm", "/w/nosuch", binds=b) == (
        1, "", "rm: /w/nosuch: No such file or directory\n")
    assert kw("/bin/rm", "-f", "/w/nosuch", binds=b) == (0, "", "")
    assert kw("/bin/rm", "/w/d", binds=b) == (1, "", "rm: /w/d: is a directory\n")
    assert kw("/bin/rm", "-d", "/w/empty", binds=b) == (0, "", "")
    assert not os.path.exists(os.path.join(work, "empty"))
    r = kw("/bin/rm", "-rv", "/w/d", binds=b)
    assert r.rc == 0 and not os.path.exists(os.path.join(work, "d"))
    assert r.out.splitlines() == ["/w/d/e/f", "/w/d/e", "/w/d"]
    r = kw("/bin/rm", binds=b)
    assert r.rc == 1 and r.err.startswith("usage: rm")
    r = kw("/bin/rm", "-f", binds=b)                 # NetBSD: nothing to do is fine
    assert r.rc == 0
    r = kw("/bin/rm", "-i", "/w/f2", binds=b, stdin="n\n")
    assert os.path.exists(os.path.join(work, "f2")) and "remove /w/f2?" in r.err
    r = kw("/bin/rm", "-i", "/w/f2", binds=b, stdin="y\n")
    assert r.rc == 0 and not os.path.exists(os.path.join(work, "f2"))
    r = kw("/bin/rm", "-r", "/w/..", binds=b)
    assert r.rc == 1 and "\"..\" may not be removed" in r.err


def _deep_chain(top, levels, name="d" * 200):
    """top/name/name/.../leaf, `levels` deep, made with dir fds (no long paths)."""
    os.mkdir(top)
    fd = os.open(top, os.O_RDONLY)
    for _ in range(levels):
        os.mkdir(name, dir_fd=fd)
        nfd = os.open(name, os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = nfd
    os.close(os.open("leaf", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd))
    os.close(fd)


def test_rm_r_deeper_than_pathmax_and_relative(work):
    """rm -r walks down with chdir, as NetBSD's rm (through fts) does: a tree deeper
    than PATH_MAX goes too; relative operands and several of them work."""
    _deep_chain(os.path.join(work, "deep"), 7)          # ~1400 bytes deep
    _deep_chain(os.path.join(work, "deep2"), 7)
    os.makedirs(os.path.join(work, "rel", "a", "b", "c"))
    r = kw("/bin/sh", "-c", "rm -rf /w/deep deep2 rel/a/b && ls /w /w/rel/a",
           binds=[(work, "/w")], cwd="/w")
    assert r == (0, "/w:\nrel\n\n/w/rel/a:\n", ""), r
    assert os.listdir(work) == ["rel"]


def test_mv(tree, work):
    b = [(work, "/w")]
    with open(os.path.join(work, "a"), "w") as f:
        f.write("A")
    os.mkdir(os.path.join(work, "dir"))
    assert kw("/bin/mv", "/w/a", "/w/b", binds=b) == (0, "", "")
    assert open(os.path.join(work, "b")).read() == "A"
    r = kw("/bin/mv", "-v", "/w/b", "/w/dir", binds=b)
    assert r == (0, "/w/b -> /w/dir/b\n", "")
    r = kw("/bin/mv", "/w/nosuch", "/w/dir", binds=b)
    assert r == (1, "", "mv: rename /w/nosuch to /w/dir/nosuch: No such file or directory\n")
    r = kw("/bin/mv", "/w/x", binds=b)
    assert r.rc == 1 and r.err.startswith("usage: mv")
    # across file systems (the host directory to the MFS /tmp and back): a copy
    r = kw("/bin/sh", "-c", "mv /w/dir/b /tmp/b && cat /tmp/b && mv /tmp/b /w/c",
           binds=b)
    assert r == (0, "A", "")
    assert open(os.path.join(work, "c")).read() == "A"
    assert not os.path.exists(os.path.join(work, "dir", "b"))
    # a directory across file systems: cp -PRp, then rm -rf, as NetBSD's mv does
    os.makedirs(os.path.join(work, "tree", "e"))
    with open(os.path.join(work, "tree", "e", "f"), "w") as f:
        f.write("deep")
    os.symlink("e/f", os.path.join(work, "tree", "lnk"))
    os.utime(os.path.join(work, "tree", "e", "f"), (OLD, OLD))
    # (an existing empty directory target is replaced, as rename(2) would)
    r = kw("/bin/sh", "-c", "mv /w/tree /tmp/t && ls -R /tmp/t && mkdir -p /w/back/t && "
           "mv -v /tmp/t /w/back && ls /tmp", binds=b)
    assert r.rc == 0, r.err
    assert r.out == ("e\nlnk\n\n/tmp/t/e:\nf\n"
                     "/tmp/t -> /w/back/t\n/tmp/t/e -> /w/back/t/e\n"
                     "/tmp/t/e/f -> /w/back/t/e/f\n/tmp/t/lnk -> /w/back/t/lnk\n")
    assert not os.path.exists(os.path.join(work, "tree"))
    assert open(os.path.join(work, "back", "t", "e", "f")).read() == "deep"
    assert os.stat(os.path.join(work, "back", "t", "e", "f")).st_mtime == OLD     # -p
    assert os.readlink(os.path.join(work, "back", "t", "lnk")) == "e/f"
    # a non-empty directory target is not replaced
    r = kw("/bin/sh", "-c", "mkdir -p /tmp/s /w/full/s/x && mv /tmp/s /w/full", binds=b)
    assert r.rc == 1 and "Directory not empty" in r.err
    # a directory renamed over an existing empty one
    os.mkdir(os.path.join(work, "d1"))
    open(os.path.join(work, "d1", "f"), "w").close()
    r = kw("/bin/mv", "/w/d1", "/w/d2", binds=b)
    assert r.rc == 0 and os.path.exists(os.path.join(work, "d2", "f"))


@need_root
def test_permission_errors_as_a_user(work):
    """--user user in a directory of root's: the usual messages, exit 1."""
    b = [(work, "/w")]
    os.chmod(work, 0o755)
    with open(os.path.join(work, "secret"), "w") as f:
        f.write("s")
    os.chmod(os.path.join(work, "secret"), 0o600)
    open(os.path.join(work, "f"), "w").close()
    os.makedirs(os.path.join(work, "open", "locked", "in"))
    os.chmod(os.path.join(work, "open"), 0o777)
    os.chmod(os.path.join(work, "open", "locked"), 0o700)
    cases = [
        (["/bin/mkdir", "/w/x"], "mkdir: /w/x: Permission denied\n"),
        (["/bin/rm", "/w/f"], "rm: /w/f: Permission denied\n"),
        (["/bin/mv", "/w/f", "/w/g"], "mv: rename /w/f to /w/g: Permission denied\n"),
        (["/bin/cat", "/w/secret"], "cat: /w/secret: Permission denied\n"),
        (["/usr/bin/head", "/w/secret"], "head: /w/secret: Permission denied\n"),
        (["/usr/bin/wc", "/w/secret"], "wc: /w/secret: Permission denied\n"),
        (["/bin/cp", "/w/secret", "/tmp/x"], "cp: /w/secret: Permission denied\n"),
        (["/bin/sh", "-c", "echo x > /w/new"], None),
    ]
    for argv, msg in cases:
        r = kw(*argv, binds=b, user="user")
        assert r.rc != 0 and r.out == "", argv
        if msg:
            assert r.err == msg, argv
        else:
            assert "Permission denied" in r.err
    r = kw("/bin/rm", "-rf", "/w/open/locked", binds=b, user="user")
    assert r.rc == 1 and "Permission denied" in r.err
    assert os.path.isdir(os.path.join(work, "open", "locked", "in"))
    r = kw("/bin/ls", "-l", "/w/secret", binds=b, user="user")
    assert r.rc == 0 and r.out.startswith("-rw-------  1 root  wheel  1 ")


# --------------------------------------------------------------------------- wc head

def _wc(data):
    return (data.count(b"\n"), len(data.split()), len(data))


def test_wc(tree):
    r = guest(tree, "/usr/bin/wc", "a.txt", "big", "lines")
    want = ""
    tot = [0, 0, 0]
    for n in ("a.txt", "big", "lines"):
        c = _wc(open(os.path.join(tree, n), "rb").read())
        want += " %7d %7d %7d %s\n" % (c + (n,))
        tot = [x + y for x, y in zip(tot, c)]
    want += " %7d %7d %7d total\n" % tuple(tot)
    assert r == (0, want, "")
    r = guest(tree, "/usr/bin/wc", "-l", stdin="a b\nc\n")
    assert r.out == "       2\n"
    r = guest(tree, "/usr/bin/wc", "-w", "-c", stdin="a b\nc\n")
    assert r.out == "       3       6\n"
    r = guest(tree, "/usr/bin/wc", "-L", stdin="ab\nabcde\n\n")
    assert r.out == "       5\n"
    r = guest(tree, "/usr/bin/wc", "nosuch", "a.txt")
    assert r.rc == 1 and r.err == "wc: nosuch: No such file or directory\n"
    # NetBSD prints the total whenever there are several operands
    assert r.out == "       1       1       6 a.txt\n       1       1       6 total\n"


def test_head(tree):
    lines = open(os.path.join(tree, "lines")).read().splitlines(True)
    assert guest(tree, "/usr/bin/head", "lines") == (0, "".join(lines[:10]), "")
    assert guest(tree, "/usr/bin/head", "-n", "3", "lines").out == "".join(lines[:3])
    assert guest(tree, "/usr/bin/head", "-3", "lines").out == "".join(lines[:3])
    assert guest(tree, "/usr/bin/head", "-c", "8", "lines").out == "line 1\nl"
    assert guest(tree, "/usr/bin/head", "-n", "100", "a.txt").out == "hello\n"
    r = guest(tree, "/usr/bin/head", "-n", "2", "a.txt", "lines")
    assert r.out == "==> a.txt <==\nhello\n\n==> lines <==\nline 1\nline 2\n"
    assert guest(tree, "/usr/bin/head", "-n", "1", stdin="x\ny\n").out == "x\n"
    r = guest(tree, "/usr/bin/head", "nosuch")
    assert r.rc == 1 and r.err == "head: nosuch: No such file or directory\n"
    r = guest(tree, "/usr/bin/head", "-n", "0x", "a.txt")
    assert r.rc == 1 and r.err == "head: illegal line count -- 0x\n"


# --------------------------------------------------------------------------- sleep

def test_sleep_usage():
    assert kw("/bin/sleep", "0") == (0, "", "")
    r = kw("/bin/sleep")
    assert r.rc == 1 and r.err == "usage: sleep seconds\n"
    r = kw("/bin/sleep", "abc")
    assert r.rc == 1 and r.err == "usage: sleep seconds\n"       # as NetBSD's sleep


def test_sleep_sleeps():
    t0 = time.perf_counter()
    assert kw("/bin/sleep", "1") == (0, "", "")
    r = kw("/bin/sh", "-c", "sleep 1; echo done; sleep 0.5 & wait; echo waited")
    assert r == (0, "done\nwaited\n", "")
    assert time.perf_counter() - t0 < 10      # the guest clock jumps while all sleep


# --------------------------------------------------------------------------- sh

SH_CASES = [
    ("echo a b", "a b\n", 0),
    ("echo 'single $x \"q\"' \"double 'q' $?\" back\\ slash", "single $x \"q\" double 'q' 0 back slash\n", 0),
    ("echo one; echo two", "one\ntwo\n", 0),
    ("true && echo yes; false && echo no; false || echo or; true || echo no2", "yes\nor\n", 0),
    ("false; echo $?; true; echo $?", "1\n0\n", 0),
    ("echo a b c | wc -w", "       3\n", 0),
    ("echo hi | cat | cat | wc -c", "       3\n", 0),
    ("echo x > /tmp/f; echo y >> /tmp/f; cat < /tmp/f; wc -l < /tmp/f", "x\ny\n       2\n", 0),
    ("cd /usr/bin; echo $PWD; cd ..; pwd", "/usr/bin\n/usr\n", 0),
    ("exit 7; echo no", "", 7),
    ("exec echo replaced; echo no", "replaced\n", 0),
    ("false", "", 1),
    ("x=abc; echo ${x}def $x", "abcdef abc\n", 0),
    ("for i in 1 2 3; do echo n$i; done", "n1\nn2\nn3\n", 0),
    ("if test -d /bin; then echo dir; else echo nodir; fi", "dir\n", 0),
    ("echo $((6 * 7)) $(echo sub)", "42 sub\n", 0),
    ("/usr/bin/false || exit 3", "", 3),
    ("ls /nosuch 2>/dev/null; echo $?", "1\n", 0),
]


@pytest.mark.parametrize("kernelware", [False, True], ids=["user", "kernelware"])
@pytest.mark.parametrize("script,out,rc", SH_CASES, ids=[c[0][:30] for c in SH_CASES])
def test_sh(script, out, rc, kernelware):
    """The shell and everything it runs (fork, exec, pipes, wait) in both modes."""
    r = kw("/bin/sh", "-c", script, kernelware=kernelware)
    assert (r.rc, r.out, r.err) == (rc, out, "")


# POSIX shell semantics: field splitting (IFS white space and other IFS characters),
# "$@" / "$*", ${10}, parameter operators, arithmetic (assignments, ?:), here-documents,
# functions, loops, case, set -e ...  The expected outputs are what a POSIX shell (dash)
# prints for the same scripts; the few where NetBSD's tools differ from the host's
# (echo's escapes, wc's columns, ls's status) are left out.
SH_POSIX_CASES = [
    ('x="a  b   c"; echo $x; echo "$x"; set -- $x; echo $#',
     'a b c\na  b   c\n3\n', 0),
    ('IFS=:; x=a:b::c; set -- $x; echo $#; for i in "$@"; do echo "[$i]"; done',
     '4\n[a]\n[b]\n[]\n[c]\n', 0),
    ('echo ${x-unset} ${x:-empty} ${x=assigned} $x',
     'unset empty assigned assigned\n', 0),
    ('x=; echo "${x-unset}" "${x:-empty}" "${x:+alt}"; y=v; echo "${y:+alt}"',
     ' empty \nalt\n', 0),
    ('p=/usr/local/lib/libc.so.1; echo ${p%.*} ${p%%.*} ${p#*/} ${p##*/} ${#p}',
     '/usr/local/lib/libc.so /usr/local/lib/libc usr/local/lib/libc.so.1 libc.so.1 24\n', 0),
    ('echo $((1+2*3)) $((10/3)) $((10%3)) $((-7/2)) $((1<<4)) $((5>3)) $((2==2 && 0 || 1)) $((~0))',
     '7 3 1 -3 16 1 1 -1\n', 0),
    ('i=5; echo $((i+=2)) $i $((i*i))',
     '7 7 49\n', 0),
    ('echo `echo back` $(echo $(echo nest))',
     'back nest\n', 0),
    ('f() { echo "$#:$1:$2"; }; f a "b c" d; f',
     '3:a:b c\n0::\n', 0),
    ('f() { local_x=1; return 3; }; f; echo $? $local_x',
     '3 1\n', 0),
    ('for i in a b c; do if [ $i = b ]; then continue; fi; echo $i; done',
     'a\nc\n', 0),
    ('i=0; while true; do i=$((i+1)); [ $i -ge 3 ] && break; done; echo $i',
     '3\n', 0),
    ('i=0; until [ $i -ge 2 ]; do echo u$i; i=$((i+1)); done',
     'u0\nu1\n', 0),
    ('case "x.c" in *.h) echo h;; *.c|*.cc) echo c;; esac; case a in [abc]) echo cls;; esac',
     'c\ncls\n', 0),
    ('case "" in "") echo empty;; *) echo other;; esac; case X in x) echo lower;; *) echo nomatch;; esac',
     'empty\nnomatch\n', 0),
    ('cat <<EOF\na $HOME_X "q" \\$x\nEOF\ncat <<"EOF"\nraw $x\nEOF',
     'a  "q" $x\nraw $x\n', 0),
    ('cat <<-EOF\n\ttabbed\n\tEOF',
     'tabbed\n', 0),
    ('{ echo g1; echo g2; } | cat; (echo s1; exit 2); echo $?',
     'g1\ng2\ns1\n2\n', 0),
    ('false || true && echo yes; true && false || echo no',
     'yes\nno\n', 0),
    ('! true; echo $?; ! false; echo $?',
     '1\n0\n', 0),
    ('x=1; (x=2; echo $x); echo $x',
     '2\n1\n', 0),
    ('set -- a b c; shift; echo $@ $#; shift 2; echo $# "[$*]"',
     'b c 2\n0 []\n', 0),
    ('set -- "a b" c; for i; do echo "<$i>"; done; echo "$*"; IFS=-; echo "$*"',
     '<a b>\n<c>\na b c\na b-c\n', 0),
    ('[ -n "" ]; echo $?; [ -z "" ]; echo $?; [ 3 -lt 10 ]; echo $?',
     '1\n0\n0\n', 0),
    ('test -d /usr -a -f /etc/passwd && echo both; test ! -e /nope && echo none',
     'both\nnone\n', 0),
    ('x=abc; case $x in a*) ;; esac; echo $?',
     '0\n', 0),
    ('read a b <<EOF\none two three\nEOF\necho "$a|$b"',
     'one|two three\n', 0),
    ('echo "$(printf_missing 2>/dev/null; echo st=$?)"',
     'st=127\n', 0),
    ('export V=exported; sh -c "echo \\$V"; W=local sh -c "echo \\$W"; echo "[$W]"',
     'exported\nlocal\n[]\n', 0),
    ('eval "x=1; echo \\$x"; cmd="echo evald"; eval $cmd',
     '1\nevald\n', 0),
    ('echo one; exit 4; echo two',
     'one\n', 4),
    ('a=1 b=2; echo $a$b ${a}x "$a"$b',
     '12 1x 12\n', 0),
    ('echo $((0x10)) $((010)) $(( (1+2) * 3 ))',
     '16 8 9\n', 0),
    ('x=5; [ "$x" -eq 5 ] && echo five; [ "$x" != 5 ] || echo notnot',
     'five\nnotnot\n', 0),
    ('for f in /etc/passwd /etc/group; do [ -r $f ] && echo r${f#/etc/}; done',
     'rpasswd\nrgroup\n', 0),
    ('echo a\\\nb; echo "c\\\nd"',
     'ab\ncd\n', 0),
    ('echo $? ; false; echo $?; echo $?',
     '0\n1\n0\n', 0),
    ('x="*"; echo "$x"; echo done',
     '*\ndone\n', 0),
    ('unset nosuch; echo ${nosuch:-d}; y=1; unset y; echo ${y-gone}',
     'd\ngone\n', 0),
    ('echo "${x:=def}" $x',
     'def def\n', 0),
    ('while read l; do echo "<$l>"; done <<EOF\n1\n  2 2\nEOF',
     '<1>\n<2 2>\n', 0),
    ('x=a; y="$x b"; echo "$y"; z=$y; echo "$z"',
     'a b\na b\n', 0),
    ('echo ~ ~/x "~"',
     '/root /root/x ~\n', 0),
    ('set -e; false; echo notreached',
     '', 1),
    ('set -e; false || true; if false; then :; fi; echo reached',
     'reached\n', 0),
    ('echo 1 2>&1 >/dev/null; echo 3 >&2 2>/dev/null',
     '', 0),
    ('echo $(( 7 > 3 ? 10 : 20 ))',
     '10\n', 0),
    ('x=3; while [ $x -gt 0 ]; do x=$((x-1)); echo -n "$x "; done; echo',
     '2 1 0 \n', 0),
    ('echo "$@" "$#"; set -- ""; echo "$#"',
     '0\n1\n', 0),
    ('printf_x() { echo "$*"; }; printf_x "a  b" c',
     'a  b c\n', 0),
    ('for i in 1 2; do for j in a b; do [ $j = b ] && continue 2; echo $i$j; done; done',
     '1a\n2a\n', 0),
    ('echo ${#}; set -- 1 2 3 4 5 6 7 8 9 10 11; echo ${10} ${11} $10',
     '0\n10 11 10\n', 0),
    ('x=hello; echo ${x#h*l} ${x##h*l} ${x%l*o} ${x%%l*o}',
     'lo o hel he\n', 0),
    ('cd /usr/bin; cd -; pwd',
     '/\n/\n', 0),
    ('echo "${HOME:-x}" >/dev/null; true; echo $?',
     '0\n', 0),
    ('sh -c "exit 7"; echo $?',
     '7\n', 0),
    ('(exit 300); echo $?',
     '44\n', 0),
    ('false | true; echo $?; true | false; echo $?',
     '0\n1\n', 0),
    ('IFS=" :"; x="a : b::c  d"; set -- $x; echo $#; printf_none=1; for i; do echo "[$i]"; done',
     '5\n[a]\n[b]\n[]\n[c]\n[d]\n', 0),
    ('IFS=:; x=":a:"; set -- $x; echo $#; for i; do echo "[$i]"; done',
     '2\n[]\n[a]\n', 0),
    ('IFS=; x="a b"; set -- $x; echo $#',
     '1\n', 0),
    ('x=" lead trail "; set -- $x; echo $# "[$1]" "[$2]"',
     '2 [lead] [trail]\n', 0),
    ('set -- a b; x="$@"; echo "$x"; y=$*; echo "$y"',
     'a b\na b\n', 0),
    ('set -- "1 2" 3; for i in $*; do echo "<$i>"; done; for i in $@; do echo "{$i}"; done',
     '<1>\n<2>\n<3>\n{1}\n{2}\n{3}\n', 0),
    ('set --; for i in "$@"; do echo bad; done; echo "x$@y"; echo "[$*]"',
     'xy\n[]\n', 0),
    ('i=1; : $((i*=5)) $((i-=1)) $((i<<=2)) $((i%=7)); echo $i',
     '2\n', 0),
    ('echo $(( 1 ? 2 ? 3 : 4 : 5 )) $(( 0 ? 1 : 0 ? 2 : 3 )) $(( (x=4) + x ))',
     '3 3 8\n', 0),
    ('a=3; b=4; echo $(( a*a + b*b == 25 )) $(( a > b ? a : b )) $(( -a )) $(( !a ))',
     '1 4 -3 0\n', 0),
    ('echo $(( 7 / 0 )); echo after',
     '', 2),
    ('x=10; echo $((x)) $(($x)) $((x-1))',
     '10 10 9\n', 0),
    ('set -- 1 2 3 4 5 6 7 8 9 10; echo ${10} ${#10} ${10:-d} ${12:-none}',
     '10 2 10 none\n', 0),
    ('echo "${x:-"a b"}" ${x:-"c d"}',
     'a b c d\n', 0),
    ('v="a*"; case abc in $v) echo globmatch;; esac; case "a*" in "$v") echo literal;; esac',
     'globmatch\nliteral\n', 0),
    ('echo $(echo "a   b") "$(echo "a   b")"',
     'a b a   b\n', 0),
]


@pytest.mark.parametrize("script,out,rc", SH_POSIX_CASES,
                         ids=[f"{i:02d}" for i in range(len(SH_POSIX_CASES))])
def test_sh_posix_semantics(script, out, rc):
    r = kw("/bin/sh", "-c", script, cwd="/", env=["HOME=/root"])
    assert (r.out, r.rc) == (out, rc), r.err


def test_sh_kill_and_signal_statuses():
    r = kw("/bin/sh", "-c", "spin 1000 A 100000 & p=$!; kill $p; wait $p; echo $?; "
           "spin 1000 B 100000 & kill -s INT $!; wait $!; echo $?; "
           "sh -c 'kill $$'; echo $?; kill -l 15; kill -l 143; kill -0 $$ && echo alive")
    assert r == (0, "143\n130\n143\nTERM\nTERM\nalive\n", "Terminated\n")
    r = kw("/bin/sh", "-c", "kill 99999; kill -FOO 1; kill abc; kill")
    assert r.rc == 1
    assert r.err == ("sh: kill: 99999: No such process\nsh: kill: unknown signal FOO\n"
                     "sh: kill: illegal process id: abc\n"
                     "usage: kill [-s signal_name] pid ...\n")


def test_sh_errors():
    r = kw("/bin/sh", "-c", "nosuchcmd; echo $?")
    assert r == (0, "127\n", "sh: nosuchcmd: not found\n")
    r = kw("/bin/sh", "-c", "echo 'unterminated")
    assert r.rc == 2 and r.err.startswith("sh: ")
    r = kw("/bin/sh", "-c", "cat < /nosuch; echo $?")
    assert r.out == "1\n" or r.out == "2\n"
    assert "nosuch" in r.err
    r = kw("/bin/sh", "-c", "cd /nosuch; echo $?")
    assert r.out != "0\n" and "nosuch" in r.err


def test_sh_interactive_on_a_terminal():
    """stdin and stderr a terminal: the interactive shell prompts (root: "# ")."""
    import pty
    import select
    master, slave = pty.openpty()
    env = hostenv.kw86_env()
    p = subprocess.Popen([sys.executable, "-m", "kw86.cli", "exec", "/bin/sh"],
                         stdin=slave, stdout=slave, stderr=slave, env=env)
    os.close(slave)
    os.write(master, b"echo hi; x=5\necho $((x*2))\nfalse\necho st=$?\nexit 3\n")
    out = b""
    deadline = time.time() + 60
    while time.time() < deadline:
        if select.select([master], [], [], 0.2)[0]:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        elif p.poll() is not None:
            break
    os.close(master)
    assert p.wait(timeout=60) == 3
    assert out.endswith(b"# hi\r\n# 10\r\n# # st=1\r\n# "), out


def test_sh_script_from_stdin_and_file(tree, work):
    r = kw("/bin/sh", stdin="echo from stdin\nexit 4\n")
    assert r.rc == 4 and r.out == "from stdin\n"
    with open(os.path.join(work, "s.sh"), "w") as f:
        f.write("echo script $1 $#\nfalse\n")
    r = kw("/bin/sh", "/w/s.sh", "arg", binds=[(work, "/w")])
    assert r == (1, "script arg 1\n", "")


@pytest.mark.parametrize("kernelware", [False, True])
def test_sh_pipeline_both_modes(kernelware):
    r = kw("/bin/sh", "-c", "echo a | wc -c; ls /usr/bin | head -n 2", kernelware=kernelware)
    assert r.rc == 0
    first = sorted(n for n in os.listdir(os.path.join(SYSROOT, "usr", "bin"))
                   if not n.startswith("."))[:2]                      # ls: C locale, no -a
    assert r.out == "       2\n" + "".join(f"{n}\n" for n in first)


def test_out_of_memory_is_reported(work):
    """malloc failures are reported, not ignored: a command substitution larger than
    the guest's memory ends the shell with a message."""
    with open(os.path.join(work, "z"), "wb") as f:
        f.truncate(20_000_000)
    r = kw("/bin/sh", "-c", "x=$(cat /w/z); echo ${#x}", binds=[(work, "/w")],
           opts=["--memory", "8M"])
    assert r.rc != 0 and r.out == ""
    assert r.err.endswith("sh: out of memory\n")


# --------------------------------------------------------------------------- bad options

@pytest.mark.parametrize("prog", ["/bin/ls", "/bin/cp", "/bin/cat", "/bin/mkdir", "/bin/rm",
                                  "/bin/mv", "/usr/bin/wc", "/usr/bin/head"])
def test_bad_option_gives_usage(prog):
    name = prog.rsplit("/", 1)[1]
    r = kw(prog, "-Z", "x")
    assert (r.rc, r.out) == (1, "")
    assert r.err.startswith(f"{name}: unknown option -- Z\nusage: {name} ")
    assert r.err.endswith("\n") and len(r.err.splitlines()) <= 3


def test_bad_option_sh_and_benchmarks():
    r = kw("/bin/sh", "-Z")
    assert r.rc == 2 and r.err.startswith("sh: Illegal option -Z\n")
    r = kw("/usr/bin/getpid_bench", "-Z")
    assert r == (1, "", "getpid_bench: invalid count: -Z\n")
    r = kw("/usr/bin/mkfiles")
    assert r == (1, "", "usage: mkfiles directory count\n")


# --------------------------------------------------------------------------- long strings

def test_long_argument_and_line():
    """printf of a long string: the libc's stdio and printf stay inside their buffers."""
    s = "".join(chr(ord("a") + i % 26) for i in range(60_000))
    r = kw("/bin/echo", s)
    assert r.rc == 0 and r.out == s + "\n"
    r = kw("/bin/sh", "-c", f"echo {s} | wc -c")
    assert r.out == "   60001\n"
    r = kw("/bin/cat", stdin=s * 5)
    assert r.out == s * 5
    r = kw("/bin/ls", "/" + s[:200])
    assert r.rc == 1 and r.err == "ls: /%s: No such file or directory\n" % s[:200]
    r = kw("/bin/ls", "/" + s[:600])          # beyond NAME_MAX
    assert r.rc == 1 and r.err == "ls: /%s: File name too long\n" % s[:600]


def _deep(work, total):
    """A chain of directories whose path below /w is exactly `total` bytes."""
    comps, n = [], len("/w")
    while n + 1 + 200 < total:
        comps.append("d" * 200)
        n += 201
    comps.append("e" * (total - n - 1))
    gpath = "/w/" + "/".join(comps)
    hpath = os.path.join(work, *comps[:-1])
    return gpath, hpath, comps


def test_path_near_maxpathlen(work):
    b = [(work, "/w")]
    gpath, hpath, comps = _deep(work, 1000)
    assert len(gpath) == 1000
    r = kw("/bin/mkdir", "-p", gpath, binds=b)
    assert r == (0, "", ""), r
    r = kw("/bin/sh", "-c", f"echo deep > {gpath}/f; cat {gpath}/f; ls {gpath}; "
           f"cp {gpath}/f {gpath}/g; ls -l {gpath}/g; cd {gpath} && pwd", binds=b)
    assert r.rc == 0, r.err
    lines = r.out.splitlines()
    assert lines[:2] == ["deep", "f"] and lines[2].endswith(f"{gpath}/g")
    assert lines[3] == gpath
    r = kw("/bin/ls", "-R", "/w", binds=b)
    assert r.rc == 0 and r.out.count("\n/w/") == len(comps)
    # beyond MAXPATHLEN (1024 with the NUL): ENAMETOOLONG, never a crash
    long = gpath + "/" + "x" * 30
    for argv, prog in ((["/bin/ls", long], "ls"), (["/bin/mkdir", "-p", long], "mkdir"),
                       (["/bin/cat", long], "cat"), (["/bin/cp", "/w/nothing", long], None)):
        r = kw(*argv, binds=b)
        assert r.rc == 1 and r.out == ""
        if prog:       # (the message itself: test_err_messages_of_long_paths)
            assert r.err.startswith(f"{prog}: {long[:900]}") and r.err.endswith("\n")
    # a copy whose destination paths grow past MAXPATHLEN: an error, no overflow
    os.mkdir(os.path.join(work, "p" * 100))
    r = kw("/bin/cp", "-R", "/w/" + comps[0], "/w/" + "p" * 100, binds=b)
    assert r.rc == 1 and r.err.startswith("cp: /w/ppp")
    assert os.path.isdir(os.path.join(work, "p" * 100, comps[0], comps[1]))


def test_err_messages_of_long_paths():
    long = "/" + "a" * 1100
    r = kw("/bin/ls", long)
    assert r == (1, "", f"ls: {long}: File name too long\n")


# --------------------------------------------------------------------------- both ways

_STATS = re.compile(r"syscalls: (\d+) trap / (\d+) call")


def _stats(err):
    m = _STATS.search(err)
    assert m, err
    return int(m.group(1)), int(m.group(2))


def test_one_binary_runs_both_ways():
    """/usr/bin/getpid_bench: int $0x80 at CPL 3, call at CPL 0, same output."""
    n = 500
    u = kw("/usr/bin/getpid_bench", n, opts=["--stats"])
    k = kw("/usr/bin/getpid_bench", n, opts=["--stats"], kernelware=True)
    assert u.rc == k.rc == 0
    tu, cu = _stats(u.err)
    tk, ck = _stats(k.err)
    assert cu == 0 and tu >= n            # only traps as a process
    assert tk == 0 and ck >= n            # only calls as a kernelware
    assert tu == ck                       # the very same system calls
    pat = re.compile(r"getpid %d calls (\d+) cycles (\d+) cycles/call\n" % n)
    mu, mk = pat.fullmatch(u.out), pat.fullmatch(k.out)
    assert mu and mk, (u.out, k.out)
    assert int(mk.group(2)) < int(mu.group(2))      # the call is cheaper than the trap


@pytest.mark.parametrize("kernelware", [False, True], ids=["user", "kernelware"])
def test_benchmark_programs(kernelware):
    r = kw("/bin/sh", "-c", "stat_bench 10 /etc/passwd; rw_bench 3 65536 /tmp/rw; "
           "spin 2 A 1000; mkfiles /tmp/mf 120; ls /tmp/mf | wc -l; ls /tmp/mf | head -n 2",
           kernelware=kernelware)
    assert r.rc == 0 and r.err == ""
    pats = [r"stat 10 calls \d+ cycles \d+ cycles/call path /etc/passwd",
            r"write 3 calls 65536 bytes \d+ cycles \d+ cycles/call",
            r"read 3 calls 65536 bytes \d+ cycles \d+ cycles/call",
            r"spin A round 1/2 cycles \d+", r"spin A round 2/2 cycles \d+",
            r"spin A done cycles \d+", r"mkfiles /tmp/mf 120 files \d+ cycles",
            r"     120", "f00000", "f00001"]
    lines = r.out.splitlines()
    assert len(lines) == len(pats)
    for p, ln in zip(pats, lines):
        assert re.fullmatch(p, ln), (p, ln)


def test_ls_runs_both_ways_with_identical_output(tree):
    u = guest(tree, "/bin/ls", "-laR", opts=["--stats"])
    k = guest(tree, "/bin/ls", "-laR", opts=["--stats"], kernelware=True)
    assert u.rc == k.rc == 0 and u.out == k.out and u.out
    tu, cu = _stats(u.err)
    tk, ck = _stats(k.err)
    assert (cu, tk) == (0, 0) and tu == ck > 20


def test_the_real_command_line():
    """The same through `python -m kw86.cli exec` in a process of its own (main thread,
    host signal handlers installed)."""
    env = hostenv.kw86_env()
    p = subprocess.run([sys.executable, "-m", "kw86.cli", "exec", "/bin/ls", "/nosuch", "/"],
                       capture_output=True, env=env, stdin=subprocess.DEVNULL, timeout=120)
    assert p.returncode == 1
    assert p.stderr == b"ls: /nosuch: No such file or directory\n"
    assert b"bin\n" in p.stdout and b"usr\n" in p.stdout
    p = subprocess.run([sys.executable, "-m", "kw86.cli", "exec", "--kernelware", "--stats",
                        "/bin/sh", "-c", "echo a | wc -c; exit 3"],
                       capture_output=True, env=env, stdin=subprocess.DEVNULL, timeout=120)
    assert p.returncode == 3 and p.stdout == b"       2\n"
    assert _stats(p.stderr.decode())[0] == 0


def test_ls_over_1000_files_both_ways():
    """The paper's ls experiment: mkfiles 1000, then ls -l, as a process and as a
    kernelware: the same output, the same system calls by the other path."""
    outs, stats = [], []
    for kernelware in (False, True):
        r = kw("/bin/sh", "-c", "mkfiles /tmp/d 1000 >/dev/null && ls -l /tmp/d",
               kernelware=kernelware, opts=["--stats"])
        assert r.rc == 0
        outs.append(r.out)
        stats.append(_stats(r.err))
    assert outs[0] == outs[1]
    lines = outs[0].splitlines()
    assert len(lines) == 1001 and lines[1].endswith(" f00000") and lines[-1].endswith(" f00999")
    assert stats[0][1] == 0 and stats[1][0] == 0 and stats[0][0] == stats[1][1] > 1000


ALL_PROGRAMS_SCRIPT = """
cd /tmp && mkdir -p a/b/c && echo hello > a/f && cp -Rp /mnt/sub a/b/c/s && cp /mnt/big a/big
ls -lR a | wc -l; ls -A /mnt; cat -n /mnt/lines | head -n 3; head -c 5 a/big | wc -c
wc /mnt/lines a/f; echo "$(cat a/f) world" > a/g; cat a/g
mv a /tmp/b && mv /tmp/b/g /tmp/b/h && ls /tmp/b; mkdir -p x/y && rm -r x && ls
mv /tmp/b/b /mnt/../tmp/moved; ls -R /tmp/moved; rm -rf /tmp/b /tmp/moved
echo $(( 6 * 7 )) | cat; false || echo or; sleep 0; true && echo and
stat_bench 3 /etc/passwd | wc -w; rw_bench 2 4096 /tmp/rw | wc -l
ls nosuch; cat nosuch; cp; echo st=$?
"""


def _strace_counts(path):
    """(program, system call) -> how many times, from a --strace-file."""
    counts = {}
    with open(path) as f:
        for line in f:
            m = re.match(r"\s*\d+\s+\d+ (\S+)\s+CALL\s+(\w+)\(", line)
            if m:
                counts[m.groups()] = counts.get(m.groups(), 0) + 1
    return counts


def test_every_program_same_output_both_ways(tree, tmp_path):
    """One script through every program, as a process and as a kernelware: the same
    bytes out, and only traps (process) or only calls (kernelware) in the counts.
    The same system calls too, but for cp's data reads and writes: as a kernelware
    cp copies buffer cache to buffer cache through the kernel API instead
    (userland/bin/cp.c copy_data())."""
    su, sk = str(tmp_path / "user.strace"), str(tmp_path / "kernelware.strace")
    u = guest(tree, "/bin/sh", "-c", ALL_PROGRAMS_SCRIPT, opts=["--stats", "--strace-file", su])
    k = guest(tree, "/bin/sh", "-c", ALL_PROGRAMS_SCRIPT, opts=["--stats", "--strace-file", sk],
              kernelware=True)
    assert u.rc == k.rc == 0
    assert u.out == k.out and "hello world" in u.out and "st=1" in u.out
    strip = re.compile(r"kw86: \d+ instructions.*\n")
    assert strip.sub("", u.err) == strip.sub("", k.err)
    assert "ls: nosuch: No such file or directory" in u.err
    tu, cu = _stats(u.err)
    tk, ck = _stats(k.err)
    assert cu == 0 and tk == 0 and ck > 300
    cnt_u, cnt_k = _strace_counts(su), _strace_counts(sk)
    assert sum(cnt_u.values()) == tu and sum(cnt_k.values()) == ck
    cp_data = {("cp", "read"), ("cp", "write")}
    assert {c: n for c, n in cnt_u.items() if c not in cp_data} == \
        {c: n for c, n in cnt_k.items() if c not in cp_data}
    # cp /mnt/big: the read/write loop as a process, no data read or write as a kernelware
    assert all(cnt_u.get(c, 0) > cnt_k.get(c, 0) for c in cp_data)


def test_kernel_statistics_api():
    """The same counts through the Python API (kw86.nbsd.kernel.Kernel.stats)."""
    from kw86.nbsd.kernel import Kernel
    counts = {}
    for kernelware in (False, True):
        k = Kernel(SYSROOT)
        k.spawn(b"/usr/bin/true", [b"true"], [b"PATH=/bin"], kernelware=kernelware,
                cwd=b"/")
        assert k.run() == 0
        counts[kernelware] = (k.stats["syscalls_trap"], k.stats["syscalls_gate"])
    assert counts[False][1] == 0 and counts[True][0] == 0
    assert counts[False][0] == counts[True][1] > 0
