"""Start-up and exit of the kw86 command (issue 12): what the fast paths must
keep.  `kw86 exec` in the kw86 process itself ends without the interpreter's
teardown (kw86.cli._end_process) and runs its start-up with the garbage
collector off: everything a normal exit shows must still be there (the
guest's whole output through a pipe, --stats and messages on stderr, the
--strace-file on every way out, atexit functions, the exit status), and
main() called in a process (tests, tools) returns and leaves the collector
as it found it.  No time is asserted."""
import gc
import os
import subprocess
import sys

from buildreq import built
from hostenv import ROOT, kw86_env
from test_userland_e2e import HAVE_MACHINE, SYSROOT

pytestmark = [built(HAVE_MACHINE, "the kw86 machine (kw86.machine)"),
              built(os.path.exists(os.path.join(SYSROOT, "usr", "bin", "true")), "the sysroot")]


def kw86(*argv, pre="", **kw):
    """The kw86 command as the console script runs it (main() without argv)."""
    code = pre + "import sys; from kw86.cli import main; sys.argv[0] = 'kw86'; sys.exit(main())"
    kw.setdefault("capture_output", True)
    kw.setdefault("timeout", 120)
    return subprocess.run([sys.executable, "-c", code, *argv], cwd=ROOT, env=kw86_env(),
                          stdin=subprocess.DEVNULL, **kw)


def test_exit_status_and_output_through_a_pipe():
    r = kw86("exec", "/usr/bin/true")
    assert (r.returncode, r.stdout, r.stderr) == (0, b"", b"")
    assert kw86("exec", "/usr/bin/false").returncode == 1
    word = "x" * 5000
    r = kw86("exec", "--stats", "/bin/echo", *([word] * 40))
    assert r.returncode == 0
    assert r.stdout == (" ".join([word] * 40) + "\n").encode()
    assert b"kw86: " in r.stderr and b" instructions, " in r.stderr


def test_python_m_is_the_same_command():
    r = subprocess.run([sys.executable, "-m", "kw86.cli", "exec", "/bin/echo", "hi"], cwd=ROOT,
                       env=kw86_env(), capture_output=True, stdin=subprocess.DEVNULL, timeout=120)
    assert (r.returncode, r.stdout) == (0, b"hi\n")


def test_python_m_runs_the_guest_with_the_collector_on():
    """`python -m kw86.cli exec`: start-up's end (startup_done, called through
    kw86.cli) turns the collector back on and freezes what start-up made, as
    for the console script (the -m copy of the module used to keep it off)."""
    pre = ("import gc, sys\n"
           "from kw86.nbsd.kernel import Kernel\n"
           "run = Kernel.run\n"
           "def report(self, *a, **k):\n"
           "    print('GC', gc.isenabled(), gc.get_freeze_count() > 0, file=sys.stderr)\n"
           "    return run(self, *a, **k)\n"
           "Kernel.run = report\n"
           "import runpy; sys.argv = ['kw86'] + sys.argv[1:]\n"
           "runpy.run_module('kw86.cli', run_name='__main__')\n")
    r = subprocess.run([sys.executable, "-c", pre, "exec", "/bin/echo", "hi"], cwd=ROOT,
                       env=kw86_env(), stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=120)
    assert (r.returncode, r.stdout, r.stderr) == (0, b"hi\n", b"GC True True\n")


def test_errors_keep_their_status_and_message(tmp_path):
    r = kw86("exec", "/no/such/prog")
    assert r.returncode == 127 and r.stderr.startswith(b"kw86: ") and r.stdout == b""
    r = kw86("exec", "--memory", "1K", "/usr/bin/true")
    assert r.returncode == 2 and b"--memory" in r.stderr
    r = kw86("exec", "--no-such-option", "/usr/bin/true")
    assert r.returncode == 2
    assert r.stderr.endswith(b"kw86: error: unrecognized arguments: --no-such-option\n")


def test_strace_file_complete_on_every_way_out(tmp_path):
    f = tmp_path / "trace.txt"
    r = kw86("exec", "--strace-file", str(f), "/bin/echo", "hi")
    assert r.returncode == 0 and r.stdout == b"hi\n"
    text = f.read_text()
    assert "CALL  write(1," in text and "CALL  exit(0)" in text and text.endswith("\n")
    g = tmp_path / "trace2.txt"
    r = kw86("exec", "--strace-file", str(g), "--cwd", "/no/such/dir", "/bin/echo", "hi")
    assert r.returncode == 2 and b"--cwd" in r.stderr
    assert g.exists()                    # opened, closed (flushed) on an early return


def test_atexit_functions_still_run():
    r = kw86("exec", "/usr/bin/true",
             pre="import atexit, os; atexit.register(lambda: os.write(1, b'atexit ran\\n')); ")
    assert (r.returncode, r.stdout) == (0, b"atexit ran\n")


def test_in_process_main_returns_and_restores_the_collector(capfd):
    from kw86 import cli
    frozen = gc.get_freeze_count()
    for enabled in (True, False):
        (gc.enable if enabled else gc.disable)()
        try:
            assert cli.main(["exec", "/usr/bin/false"]) == 1
            assert gc.isenabled() is enabled
        finally:
            gc.enable()
    assert gc.get_freeze_count() == frozen          # in a process: nothing frozen
    assert cli._gc_held is None
    # a start-up that fails (a parse error) gives the collector back too
    gc.enable()
    try:
        cli.main(["exec", "--memory"])
    except SystemExit as e:
        assert e.code == 2
    assert gc.isenabled() and cli._gc_held is None
    capfd.readouterr()
