"""Robustness of `kw86 exec` (issue 5, acceptance findings): closed host
fds, host signals while idle, bad options, low memory, trailing slashes,
host device nodes, host scripts, write errors, strace formatting."""
import os
import re
import signal
import subprocess
import sys
import time

import pytest

import hostenv
from buildreq import fail_build
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def kw(*argv, **kw_):
    """Run `python -m kw86.cli exec ARGV` in a subprocess; (rc, out, err)."""
    if "stdout" not in kw_ and "stderr" not in kw_:
        kw_.setdefault("capture_output", True)
    kw_.setdefault("timeout", 60)
    kw_.setdefault("cwd", ROOT)
    kw_.setdefault("env", hostenv.kw86_env())
    r = subprocess.run([sys.executable, "-m", "kw86.cli", "exec", *argv], **kw_)
    return r.returncode, r.stdout, r.stderr


def sh(cmd, timeout=60):
    r = subprocess.run(["/bin/sh", "-c", cmd], cwd=ROOT, capture_output=True, timeout=timeout,
                       env=hostenv.kw86_env(KW=f"{sys.executable} -m kw86.cli exec"))
    return r.returncode, r.stdout, r.stderr


# H1 ---------------------------------------------------------------------------------
def test_closed_stdout_is_ebadf_no_traceback():
    rc, out, err = sh("$KW /usr/bin/true >&-")
    assert rc == 0 and b"Traceback" not in err
    rc, out, err = sh("$KW /bin/ls /bin >&-")
    assert b"Traceback" not in err
    assert b"Bad file descriptor" in err and rc == 1


def test_closed_stdin_and_stderr():
    rc, out, err = sh("$KW /bin/cat <&-")
    assert b"Traceback" not in err and rc == 1 and b"Bad file descriptor" in err
    rc, out, err = sh("$KW /bin/ls /nonexist 2>&-")
    assert rc == 1 and err == b""


# H3, L12, L13 -------------------------------------------------------------------------
@pytest.mark.parametrize("opts, msg", [
    (["--strace-file", "/nonexist/dir/st"], b"kw86: --strace-file /nonexist/dir/st: No such file"),
    (["--bind", "/tmp:/"], b"kw86: --bind /tmp:/: Device busy"),
    (["--memory", "4096"], b"kw86: --memory: 4096 is too small"),
    (["--memory", "1M"], b"kw86: --memory: 1M is too small"),
    (["--memory", "xyz"], b"kw86: --memory: invalid size 'xyz'"),
    (["--mfs", "abc"], b"kw86: --mfs: invalid size 'abc'"),
    (["--mfs", "1K"], b"kw86: --mfs: 1K is too small"),
    (["--max-instructions", "-5"], b"kw86: --max-instructions: -5 is not a positive count"),
    (["-E", "NOEQ"], b"kw86: -E NOEQ: expected VAR=VALUE"),
    (["--cwd", "/etc/passwd"], b"kw86: --cwd /etc/passwd: Not a directory"),
    (["--cwd", "/nonexist"], b"kw86: --cwd /nonexist: No such file or directory"),
])
def test_bad_options_one_line_error(opts, msg):
    rc, out, err = kw(*opts, "/bin/ls", "/")
    assert rc == 2, err
    assert err.startswith(msg) and err.count(b"\n") == 1, err


@pytest.mark.parametrize("mem", ["2M", "3M", "4M"])
def test_low_memory_still_runs_ls(mem):
    rc, out, err = kw("--memory", mem, "/bin/ls", "/")
    assert b"Traceback" not in err and b"Error" not in err
    assert rc == 0 and b"bin" in out.split()


def test_fork_loop_in_low_memory_fails_with_eagain():
    rc, out, err = kw("--memory", "8M", "--max-instructions", "20000000", "/bin/sh", "-c",
                      "while :; do /bin/sleep 100 & done", timeout=120)
    assert b"Traceback" not in err and b"MemoryError" not in err
    assert b"fork: Resource temporarily unavailable" in err
    assert rc == 137 and b"instruction limit reached" in err


# H2 ---------------------------------------------------------------------------------
@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143),
                                       (signal.SIGHUP, 129)])
def test_host_signal_reaches_guest_waiting_on_stdin(sig, code):
    r, w = os.pipe()
    try:
        pr = subprocess.Popen([sys.executable, "-m", "kw86.cli", "exec", "/bin/cat"], cwd=ROOT,
                              env=hostenv.kw86_env(), stdin=r, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(1.5)                     # cat is now waiting for host input
        pr.send_signal(sig)
        out, err = pr.communicate(timeout=20)
    finally:
        os.close(r)
        os.close(w)
    assert pr.returncode == code, err
    assert b"Traceback" not in err


# L16 --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def robust():
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    import nbsd_env
    path = nbsd_env.guest_program("robust")
    if path is None:
        fail_build(nbsd_env.guest_program.why)
    return os.path.relpath(path, ROOT)


@pytest.mark.parametrize("mode", [[], ["--kernelware"]])
def test_stack_overflow_is_sigsegv_in_both_modes(robust, mode):
    rc, out, err = kw(*mode, "./" + robust, "recurse")
    assert rc == 139, err
    assert b"Segmentation fault" in err and b"machine" not in err and b"Killed" not in err


# L14 --------------------------------------------------------------------------------
@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
def test_host_write_error_keeps_its_errno():
    with open("/dev/full", "wb") as full:
        rc, out, err = kw("/bin/cat", "/etc/passwd", stdout=full, stderr=subprocess.PIPE)
    assert rc == 1 and b"No space left on device" in err, err


# M4 ---------------------------------------------------------------------------------
@pytest.fixture
def env(tmp_path):
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    from nbsd_env import Env
    root = tmp_path / "root"
    root.mkdir()
    (root / "d").mkdir()
    return Env(root)


@pytest.mark.parametrize("base", ["/", "/tmp/"])
def test_trailing_slash_on_rename_link_symlink_target(env, tmp_path, base):
    from kw86.nbsd import abi
    fd = env.ok("open", base + "tf", abi.NBSD_O_CREAT | abi.NBSD_O_WRONLY, 0o644)
    env.ok("close", fd)
    assert env.err("rename", base + "tf", base + "new/") == abi.ENOTDIR
    assert env.err("link", base + "tf", base + "new/") == abi.ENOENT
    assert env.err("symlink", base + "tf", base + "new/") == abi.ENOENT
    assert env.err("access", base + "new", 0) == abi.ENOENT      # nothing was created
    env.ok("mkdir", base + "dd/", 0o755)                    # mkdir("x/") works
    env.ok("rename", base + "dd", base + "de/")             # a directory may be "x/"
    assert env.err("access", base + "tf/", 0) == abi.ENOTDIR


# M7 ---------------------------------------------------------------------------------
def test_host_device_nodes_show_rdev_and_never_open(tmp_path):
    d = tmp_path / "devt"
    d.mkdir()
    try:
        os.mknod(d / "hnull", 0o666 | 0o020000, os.makedev(1, 3))
        os.mknod(d / "big", 0o644 | 0o020000, os.makedev(259, 300))
    except (PermissionError, OSError):
        pytest.skip("cannot mknod here")
    rc, out, err = kw("--bind", f"{d}:/mnt", "/bin/ls", "-l", "/mnt")
    assert rc == 0 and re.search(rb" 1, +3 .*hnull", out) and b" 259, 300 " in out, out
    rc, out, err = kw("--bind", f"{d}:/mnt", "/bin/sh", "-c",
                      "/bin/cat /mnt/hnull; echo x > /mnt/hnull")
    assert b"internal error" not in err and b"Traceback" not in err
    assert err.count(b"Device not configured") == 2, err


# M8 ---------------------------------------------------------------------------------
def test_host_script_as_prog_runs_its_guest_interpreter(tmp_path):
    s = tmp_path / "s.sh"
    s.write_text("#!/bin/sh\necho script $1\nexit 3\n")
    s.chmod(0o755)
    rc, out, err = kw("./s.sh", "arg",
                      cwd=tmp_path, env=dict(os.environ, PYTHONPATH=ROOT))
    assert (rc, out) == (3, b"script arg\n"), err
    rc, out, err = kw("--bind", f"{tmp_path}:/mnt", "./s.sh", "b",
                      cwd=tmp_path, env=dict(os.environ, PYTHONPATH=ROOT))
    assert (rc, out) == (3, b"script b\n"), err
    (tmp_path / "bad.sh").write_text("#!/nonexist/sh\n")
    rc, out, err = kw("./bad.sh", cwd=tmp_path, env=dict(os.environ, PYTHONPATH=ROOT))
    assert rc == 127 and err.count(b"\n") == 1, err


# M9 ---------------------------------------------------------------------------------
def _proc_state(pid):
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0]


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="needs /proc")
def test_sigstop_of_every_process_stops_kw86_and_sigcont_resumes():
    pr = subprocess.Popen([sys.executable, "-m", "kw86.cli", "exec", "/bin/sh", "-c",
                           "kill -17 $$; echo resumed"], cwd=ROOT, env=hostenv.kw86_env(),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        for _ in range(200):
            if _proc_state(pr.pid) == "T":
                break
            time.sleep(0.05)
        assert _proc_state(pr.pid) == "T"
        pr.send_signal(signal.SIGCONT)
        out, err = pr.communicate(timeout=30)
    finally:
        if pr.poll() is None:
            pr.kill()
            pr.wait()
    assert (pr.returncode, out) == (0, b"resumed\n"), err
    assert b"deadlock" not in err


# L17 --------------------------------------------------------------------------------
def test_strace_mode_in_octal_and_ioctl_by_name():
    rc, out, err = kw("--strace", "/bin/sh", "-c", "ls -l /etc > /tmp/x; cat /tmp/x > /dev/null")
    assert rc == 0
    assert b'open("/tmp/x",0x601,0666)' in err, err
    assert b",0o" not in err
    assert b"ioctl(1,TIOCGETA," in err


def test_kernelware_child_stack_overflow_leaves_its_shell_running(robust):
    d = os.path.dirname(os.path.join(ROOT, robust))
    rc, out, err = kw("--bind", f"{d}:/mnt", "--kernelware", "/bin/sh", "-c",
                      "/mnt/robust recurse; echo $?; /mnt/robust recurse; echo $?")
    assert (rc, out) == (0, b"139\n139\n"), err
    assert b"machine" not in err
