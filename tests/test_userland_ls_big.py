"""ls -l over a large, varied directory (issue 12's lean ls: entries in chunks,
a merge sort of pointers, lines built by hand into a 4 KiB buffer, 16-entry
owner and group caches, the last date kept): 700 entries, so several
getdents buffers, entry chunks and output buffers; names of 1 to 255 bytes;
sizes past 2^32; owners and groups that share cache slots (ids equal mod 16);
equal and different times.  Checked field by field against the host's ls -n,
and the names ls -l prints against the sysroot's /etc/passwd and /etc/group."""
import os
import random
import subprocess
import time

import pytest

from test_userland_e2e import HOST_ENV, SYSROOT, kw, pytestmark  # noqa: F401

NOW = int(time.time())
UIDS = [0, 16, 32, 1, 17, 1000, 7, 23, 32767, 4711]      # 0/16/32, 1/17, 7/23: one slot each
GIDS = [0, 16, 5, 21, 100, 4, 39, 7, 23]                 # 5/21, 4/100, 7/23


def _db(name):
    """id -> the first name /etc/NAME gives it (getpwuid/getgrgid take the first)."""
    out = {}
    with open(os.path.join(SYSROOT, "etc", name)) as f:
        for line in f:
            fields = line.rstrip("\n").split(":")
            if len(fields) >= 3 and fields[2].isdigit():
                out.setdefault(int(fields[2]), fields[0])
    return out


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    d = str(tmp_path_factory.mktemp("lsbig") / "d")
    os.mkdir(d)
    rng = random.Random(12)
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.,+=~"
    names = set()
    while len(names) < 700:
        k = rng.choice([1, 2, 5, 9, 9, 9, 20, 60, 200, 255])
        n = "".join(rng.choice(alphabet) for _ in range(k))
        if n not in (".", ".."):
            names.add(n)
    times = [NOW - 5, NOW - 5, NOW - 3600, NOW - 86400 * 10, NOW - 86400 * 400,
             NOW + 86400 * 400, 1_000_000_000]
    root = os.geteuid() == 0
    for n in sorted(names):
        p = os.path.join(d, n)
        kind = rng.random()
        if kind < 0.05:
            os.mkdir(p)
        elif kind < 0.10:
            os.symlink(rng.choice(sorted(names)), p)
        else:
            with open(p, "wb") as f:
                f.truncate(rng.choice([0, 1, 99, 4096, 99999, 5 << 32, (1 << 32) + 7]))
            os.chmod(p, rng.choice([0o644, 0o600, 0o755, 0o4755, 0o2711, 0o1777, 0o000]))
        if root:
            os.lchown(p, rng.choice(UIDS), rng.choice(GIDS))
        t = rng.choice(times)
        os.utime(p, (t, t), follow_symlinks=False)
    return d


def _fields(data):
    return [ln.split() for ln in data.decode("latin-1").splitlines()]


@pytest.mark.parametrize("opts", ["-lnA", "-lnAt", "-lnAS", "-lnAr", "-lnAtr", "-lnASr"])
def test_ls_l_big_directory_matches_host_ls(big, opts):
    want = subprocess.run(["ls", opts], cwd=big, env=HOST_ENV, capture_output=True).stdout
    r = kw("/bin/ls", opts, "/r", binds=[(big, "/r")], text=False)
    assert (r.rc, r.err) == (0, b"")
    assert len(r.out) > 8 * 4096                   # several of ls's output buffers
    assert _fields(r.out) == _fields(want)


def test_ls_l_big_directory_names_owners_and_groups(big):
    """-l (not -n): every line's owner and group are the names /etc/passwd and
    /etc/group give its ids (or the ids when they have none), whatever ids
    came between (the caches' slots are shared by ids equal mod 16)."""
    users, groups = _db("passwd"), _db("group")
    num = kw("/bin/ls", "-lnA", "/r", binds=[(big, "/r")], text=False)
    named = kw("/bin/ls", "-lA", "/r", binds=[(big, "/r")], text=False)
    assert num.rc == named.rc == 0
    a, b = _fields(num.out), _fields(named.out)
    assert len(a) == len(b) == 701 and a[0] == b[0]            # "total N"
    for x, y in zip(a[1:], b[1:]):
        assert y[2] == users.get(int(x[2]), x[2]) and y[3] == groups.get(int(x[3]), x[3])
        assert y[:2] + y[4:] == x[:2] + x[4:]
    if os.geteuid() == 0:
        assert {ln[2] for ln in a[1:]} == {str(u) for u in UIDS}
