"""The start-up bundle (kw86/startup_bundle.py, issue 12): `kw86 exec` takes
the bytecode of its start-up modules from one file in kw86/__pycache__,
each module only while its source has the mtime and size recorded (the
.pyc check); anything else is imported as usual.  A missing, stale, damaged
or foreign bundle never changes a run: same output and status, remade
unless Python writes no bytecode.  Run in a copy of the package."""
import os
import shutil
import subprocess
import sys

from buildreq import built
from hostenv import env as host_env
from test_userland_e2e import HAVE_MACHINE, SYSROOT

pytestmark = [built(HAVE_MACHINE, "the kw86 machine (kw86.machine)"),
              built(os.path.exists(os.path.join(SYSROOT, "usr", "bin", "true")), "the sysroot")]

# the kw86 process itself (main() without argv), reporting at exit (atexit
# runs before kw86's os._exit) where kw86.nbsd.kernel and kw86.nbsd.abi came from
RUN = r"""
import atexit, sys
def report():
    from kw86.nbsd import abi, kernel
    print("REPORT", [(m.__loader__.__name__ if isinstance(m.__loader__, type) else
                      type(m.__loader__).__name__, m.__file__) for m in (kernel, abi)],
          file=sys.stderr)
atexit.register(report)
from kw86.cli import main
sys.argv[0] = "kw86"
sys.exit(main())
"""


def _tree(tmp_path, name="tree"):
    dst = tmp_path / name
    shutil.copytree(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                 "kw86"), dst / "kw86",
                    ignore=shutil.ignore_patterns("sysroot", "exec-bundle.*"))
    return str(dst)


def run(tree, *cmd, write=True):
    env = host_env(PYTHONPATH=tree)
    if write:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    r = subprocess.run([sys.executable, "-c", RUN, "exec", "--root", SYSROOT, *cmd],
                       cwd=tree, env=env, capture_output=True, text=True, timeout=300)
    lines = r.stderr.splitlines()
    rep = [eval(ln[7:]) for ln in lines if ln.startswith("REPORT ")]
    assert len(rep) == 1, r.stderr
    other = [ln for ln in lines if not ln.startswith("REPORT ")]
    return r.returncode, r.stdout, other, rep[0]


def bundle(tree):
    d = os.path.join(tree, "kw86", "__pycache__")
    b = [os.path.join(d, f) for f in os.listdir(d) if f.startswith("exec-bundle.")]
    return b[0] if b else None


def test_bundle_made_then_used_and_runs_unchanged(tmp_path):
    tree = _tree(tmp_path)
    cmd = ("/bin/sh", "-c", "echo hello; echo oops >&2; exit 3")
    assert run(tree, *cmd, write=False)[:3] == (3, "hello\n", ["oops"])
    assert bundle(tree) is None                 # Python writes no bytecode: nor a bundle
    rc, out, err, rep = run(tree, *cmd)         # no bundle: the usual imports, then made
    assert (rc, out, err) == (3, "hello\n", ["oops"])
    assert [r[0] for r in rep] == ["SourceFileLoader"] * 2
    b = bundle(tree)
    assert b is not None
    made = os.stat(b).st_mtime_ns
    rc, out, err, rep = run(tree, *cmd)         # from the bundle, which stays as it is
    assert (rc, out, err) == (3, "hello\n", ["oops"])
    assert rep == [("_Loader", os.path.join(tree, "kw86", "nbsd", "kernel.py")),
                   ("_Loader", os.path.join(tree, "kw86", "nbsd", "abi.py"))]
    assert os.stat(b).st_mtime_ns == made
    assert run(tree, "/usr/bin/true", write=False)[::3] == \
        (0, [("_Loader", os.path.join(tree, "kw86", "nbsd", "kernel.py")),
             ("_Loader", os.path.join(tree, "kw86", "nbsd", "abi.py"))])


def test_stale_damaged_or_foreign_bundles_are_ignored(tmp_path):
    tree = _tree(tmp_path)
    run(tree, "/usr/bin/true")
    b = bundle(tree)
    good = open(b, "rb").read()
    # a module edited since: that one imported as usual (its new text), the rest bundled
    k = os.path.join(tree, "kw86", "nbsd", "kernel.py")
    with open(k, "a") as f:
        f.write("\nBUNDLE_TEST_MARK = 1\n")
    rc, out, err, rep = run(tree, "/usr/bin/true", write=False)
    assert (rc, err) == (0, [])
    assert rep == [("SourceFileLoader", k),
                   ("_Loader", os.path.join(tree, "kw86", "nbsd", "abi.py"))]
    assert open(b, "rb").read() == good         # not rewritten without bytecode writing
    run(tree, "/usr/bin/true")                  # rewritten: the edited module bundled again
    assert open(b, "rb").read() != good
    assert run(tree, "/usr/bin/true")[3][0] == ("_Loader", k)
    # damaged, truncated, empty, foreign-format bundles: ignored, then remade
    for junk in (b"\x00garbage" * 50, open(b, "rb").read()[:1000], b"",
                 __import__("marshal").dumps((99, sys.implementation.cache_tag, {}))):
        with open(b, "wb") as f:
            f.write(junk)
        rc, out, err, rep = run(tree, "/bin/echo", "ok")
        assert (rc, out, err) == (0, "ok\n", [])
        assert [r[0] for r in rep] == ["SourceFileLoader"] * 2
        assert open(b, "rb").read() != junk
    # a bundle made in another tree serves this tree's own files
    other = _tree(tmp_path, "other")
    shutil.copy(b, os.path.join(other, "kw86", "__pycache__"))
    shutil.copystat(k, os.path.join(other, "kw86", "nbsd", "kernel.py"))
    shutil.copy(k, os.path.join(other, "kw86", "nbsd", "kernel.py"))
    shutil.copystat(k, os.path.join(other, "kw86", "nbsd", "kernel.py"))
    rep = run(other, "/usr/bin/true", write=False)[3]
    assert [r[1] for r in rep] == [os.path.join(other, "kw86", "nbsd", "kernel.py"),
                                   os.path.join(other, "kw86", "nbsd", "abi.py")]


def test_runs_with_other_options_keep_the_bundle_and_hash_based_pycs_count(tmp_path):
    tree = _tree(tmp_path)
    run(tree, "/usr/bin/true")
    b = bundle(tree)
    run(tree, "--profile", str(tmp_path / "prof"), "/usr/bin/true")     # one more module
    assert "kw86.nbsd.profile" in __import__("marshal").loads(open(b, "rb").read())[2]
    made = os.stat(b).st_mtime_ns
    for cmd in (("/usr/bin/true",), ("--profile", str(tmp_path / "prof"), "/usr/bin/true")):
        assert run(tree, *cmd)[0] == 0
    assert os.stat(b).st_mtime_ns == made                   # no rewrite by turns
    # .pyc files checked by the source's hash (pip under SOURCE_DATE_EPOCH)
    import compileall
    import py_compile
    os.unlink(b)
    assert compileall.compile_dir(os.path.join(tree, "kw86"), quiet=1, force=True,
                                  invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)
    run(tree, "/usr/bin/true")
    assert run(tree, "/usr/bin/true", write=False)[3][0] == \
        ("_Loader", os.path.join(tree, "kw86", "nbsd", "kernel.py"))
