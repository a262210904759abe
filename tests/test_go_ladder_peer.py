"""bench/go_ladder.py --peer (issue 12): the pieces that measure and report,
checked without timing anything (speed is never asserted): the child's CPU
time comes from its rusage, the guest instruction count from kw86's --stats
line, a missing qemu-i386 is said plainly, and the table has a cell for
every side."""
import importlib.util
import io
import os
import sys

import hostenv

_spec = importlib.util.spec_from_file_location(
    "kw86_go_ladder_peer", os.path.join(hostenv.ROOT, "bench", "go_ladder.py"))
go_ladder = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(go_ladder)


def test_child_cpu_is_the_childs_own_cpu_time(tmp_path):
    # the child burns at least 0.3 s of its own CPU time (it measures it
    # itself), so its rusage cannot say less, however loaded the host
    code = ("import time\n"
            "t = time.process_time()\n"
            "while time.process_time() - t < 0.3:\n"
            "    pass\n"
            "print('PASS')\n")
    st, cpu, out = go_ladder.child_cpu([sys.executable, "-c", code], hostenv.env(),
                                       str(tmp_path), 60)
    assert st == 0 and out.strip() == "PASS"
    assert cpu >= 0.3


def test_child_cpu_reports_a_timeout(tmp_path):
    st, cpu, out = go_ladder.child_cpu(
        [sys.executable, "-c", "import time; time.sleep(30)"], hostenv.env(), str(tmp_path), 1)
    assert st == "timeout" and "timed out" in out


def test_guest_instructions_from_the_stats_line():
    out = ("PASS\nkw86: 547826003 instructions, 1031338493 cycles (963675130 executed, "
           "214695 kernel-cost table, 67448668 disk, 0 idle), syscalls: 1509 trap / 0 call\n")
    assert go_ladder.guest_instructions(out) == 547826003
    assert go_ladder.guest_instructions("PASS\n") is None


def test_no_qemu_is_said_plainly_and_kw86_runs_alone(monkeypatch, tmp_path):
    monkeypatch.setattr(go_ladder, "qemu_tool", lambda: None)
    monkeypatch.setattr(go_ladder, "build", lambda *a, **kw: (None, 0.0, "no go here"))
    log = io.StringIO()
    rows = go_ladder.compare(["strings"], ["user"], str(tmp_path), n=1, log=log)
    assert "no qemu-i386 on this host" in log.getvalue()
    assert rows == [dict(pkg="strings", error="build failed: no go here")]


def test_peer_table_has_a_cell_for_every_side():
    row = dict(pkg="strings", n=3, load=[1.0, 2.0],
               cpu={"qemu": 0.5, "user": 2.5, "kernelware": 2.6, "user@against": 2.75,
                    "kernelware@against": None},
               failed={}, instructions={"qemu": 600_000_000, "user": 500_000_000,
                                        "kernelware": 500_000_000,
                                        "user@against": 500_000_000},
               ratio={"user": 5.0, "kernelware": 5.2, "user@against": 5.5,
                      "kernelware@against": None},
               vs_against={"user": 0.909, "kernelware": None})
    lines = go_ladder.peer_table([row], ["user", "kernelware"], against="/x").splitlines()
    head, sep, body = lines
    assert head.count("|") == sep.count("|") == body.count("|")
    cells = [c.strip() for c in body.strip("|").split("|")]
    assert cells[:8] == ["strings", "0.500", "600", "1200", "2.500", "5.00", "500", "200"]
    assert "0.909" in cells and "-" in cells and cells[-1] == "1.00-2.00"


def test_warm_tree_compiles_the_tree_and_writes_bytecode(tmp_path, monkeypatch):
    # a stand-in tree: a module with no .pyc yet and a kw86.cli that says
    # whether it was run with bytecode writing on (the timed runs have it off)
    pkg = tmp_path / "kw86"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "lazy.py").write_text("X = 1\n")
    (pkg / "cli.py").write_text(
        "import os, sys\n"
        "open(os.path.join(os.path.dirname(__file__), 'ran'), 'w').write(\n"
        "    repr((sys.argv[1:], sys.dont_write_bytecode)))\n")
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    st = go_ladder.warm_tree(str(tmp_path))
    assert st == 0
    assert os.path.exists(importlib.util.cache_from_source(str(pkg / "lazy.py")))
    assert (pkg / "ran").read_text() == repr((["exec", "/usr/bin/true"], False))


def test_qemu_instructions_from_the_plugin_line():
    out = "PASS\nqemu-icount: 573291008 instructions\n"
    assert go_ladder.qemu_instructions(out) == 573291008
    assert go_ladder.qemu_instructions("PASS\n") is None


def test_icount_plugin_without_a_compiler_is_said_plainly(tmp_path):
    path, why = go_ladder.build_icount_plugin(str(tmp_path), cc=str(tmp_path / "no-cc"))
    assert path is None and "no-cc" in why


def test_icount_plugin_builds_as_a_qemu_plugin(tmp_path):
    # what qemu looks for when it loads a plugin: qemu_plugin_version (the
    # API version, 1 for QEMU 7.x) and qemu_plugin_install; the qemu_plugin_*
    # functions it calls stay undefined until qemu provides them
    import ctypes
    import shutil
    import pytest
    if not (shutil.which("cc") or shutil.which("gcc")):
        pytest.fail("build failure: no host C compiler (cc/gcc; .ci/run installs gcc)", pytrace=False)
    path, why = go_ladder.build_icount_plugin(str(tmp_path))
    assert path is not None, why
    lib = ctypes.CDLL(path, mode=os.RTLD_LAZY)
    assert ctypes.c_int.in_dll(lib, "qemu_plugin_version").value == 1
    assert lib.qemu_plugin_install is not None
