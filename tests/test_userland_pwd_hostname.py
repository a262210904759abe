"""/bin/pwd and /bin/hostname (userland/bin/pwd.c, hostname.c), NetBSD's
behaviour (pwd(1), hostname(1)): pwd -P (the default) resolves symbolic
links through getcwd(3); -L prints $PWD when it is absolute, has no "." or
".." component and names the current directory, else the physical path;
the last of -L/-P wins.  hostname prints kern.hostname, -s up to the first
dot, -d what follows it; root sets it with an operand, others get EPERM.
Go's os TestStartProcess runs /bin/pwd, TestHostname compares with hostname.
"""
import os

import pytest

from buildreq import built
from test_userland_e2e import HAVE_MACHINE, SYSROOT, kw

pytestmark = [
    built(HAVE_MACHINE, "the kw86 machine (kw86.machine)"),
    built(os.path.exists(os.path.join(SYSROOT, "bin", "pwd")), "the userland sysroot's /bin/pwd"),
]


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "real" / "sub").mkdir(parents=True)
    os.symlink("real", tmp_path / "link")
    return tmp_path


def pwd(tree, cwd, *args, env=(), kernelware=False):
    return kw("/bin/pwd", *args, binds=[(str(tree), "/t")], cwd=cwd, env=list(env),
              kernelware=kernelware)


@pytest.mark.parametrize("kernelware", [False, True])
def test_pwd_physical_is_the_default(tree, kernelware):
    assert pwd(tree, "/t/link/sub", kernelware=kernelware) == (0, "/t/real/sub\n", "")
    assert pwd(tree, "/t/link/sub", "-P", env=["PWD=/t/link/sub"]) == (0, "/t/real/sub\n", "")
    assert pwd(tree, "/t/link/sub", env=["PWD=/t/link/sub"]) == (0, "/t/real/sub\n", "")


def test_pwd_logical_takes_a_good_pwd_only(tree):
    assert pwd(tree, "/t/link/sub", "-L", env=["PWD=/t/link/sub"]) == (0, "/t/link/sub\n", "")
    assert pwd(tree, "/t/link/sub", "-P", "-L", env=["PWD=/t/link/sub"]).out == "/t/link/sub\n"
    assert pwd(tree, "/t/link/sub", "-L", "-P", env=["PWD=/t/link/sub"]).out == "/t/real/sub\n"
    # not absolute, "." or ".." components, another directory, unset: physical
    for bad in ("t/link/sub", "/t/link/./sub", "/t/link/sub/.", "/t/link/../link/sub",
                "/t/link", "/t/link/sub/.."):
        assert pwd(tree, "/t/link/sub", "-L", env=[f"PWD={bad}"]) == (0, "/t/real/sub\n", ""), bad
    assert pwd(tree, "/t/link/sub", "-L") == (0, "/t/real/sub\n", "")


def test_pwd_usage():
    r = kw("/bin/pwd", "-x")
    assert r.rc == 1 and r.err.endswith("usage: pwd [-LP]\n") and r.out == ""
    r = kw("/bin/pwd", "extra")
    assert r.rc == 1 and r.err == "usage: pwd [-LP]\n"


@pytest.mark.parametrize("kernelware", [False, True])
def test_hostname_prints_and_root_sets_it(kernelware):
    assert kw("/bin/hostname", kernelware=kernelware) == (0, "kw86\n", "")
    assert kw("/bin/hostname", "-d") == (0, "", "")         # no domain part
    r = kw("/bin/sh", "-c", "hostname box.example.org && hostname && hostname -s && hostname -d",
           env=["PATH=/bin:/usr/bin"], kernelware=kernelware)
    assert r == (0, "box.example.org\nbox\nexample.org\n", "")


def test_hostname_non_root_cannot_set_it():
    r = kw("/bin/sh", "-c", "hostname other; echo rc=$?; hostname", env=["PATH=/bin:/usr/bin"],
           user="user")
    assert r.out == "rc=1\nkw86\n"
    assert r.err == "hostname: sethostname: Operation not permitted\n"


def test_hostname_usage():
    for args in (["-x"], ["-s", "name"], ["a", "b"]):
        r = kw("/bin/hostname", *args)
        assert r.rc == 1 and r.err.endswith("usage: hostname [-ds] [name-of-host]\n"), args
