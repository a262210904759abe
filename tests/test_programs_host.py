"""The userland programs (userland/bin) built with the host's gcc against glibc.

These tests check the programs' own logic (options, formats, exit statuses,
messages) before they ever run inside kw86: each program is compiled once into
a temporary directory, run on a scratch tree, and compared with the host's own
tool (LC_ALL=C) where the formats agree (GNU ls -1/-l/-s/-i/-F field by field,
cat, head, cmp/diff after cp), else with the NetBSD output written out here
("ls: nosuch: No such file or directory", exit 1).  The same sources are later
built with zig for NetBSD/i386 and run in the guest by the kernel's tests.
"""
import os
import re
import shutil
import stat
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

import hostenv
from buildreq import built
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN_SRC = os.path.join(ROOT, "userland", "bin")
CC = shutil.which("gcc") or shutil.which("cc")
CFLAGS = ["-std=c99", "-D_DEFAULT_SOURCE", "-Wall", "-Wextra", "-Werror", "-O2"]
# e.g. KW86_PROGRAMS_CFLAGS="-g -fsanitize=address,undefined" to hunt memory bugs
CFLAGS += os.environ.get("KW86_PROGRAMS_CFLAGS", "").split()

pytestmark = [
    pytest.mark.skipif(CC is None, reason="no host C compiler"),
    built(os.path.isdir(BIN_SRC), "userland/bin (the programs' sources)"),
]

# POSIXLY_CORRECT: glibc's getopt then stops at the first operand as NetBSD's
# does (no permutation), and GNU ls counts blocks of 512 bytes as NetBSD's ls.
ENV = hostenv.env(POSIXLY_CORRECT="1")


# Programs that only make sense under kw86 (they call the kernelware interface,
# userland/include/kernelware.h, or the module interface, sys/module.h): not built for
# the host.  cp is built: its kernelware copy compiles only where <kernelware.h> exists.
# hostname reads and sets kern.hostname through sysctl(3), which glibc does not have
# (tests/test_userland_pwd_hostname.py checks it under kw86).
# gencat writes NetBSD's message-catalogue format from <nl_types.h>'s own
# definitions (_nls_cat_hdr, _NLS_MAGIC, NL_SETMAX), which glibc's header lacks
# (tests/test_nbsd_posix2.py checks it under kw86).  ipcs reads NetBSD's
# kern.ipc.sysvipc_info records through sysctl(3) as well (tests/test_nbsd_sysvipc.py).
NOT_FOR_THE_HOST = {"paper_run", "kwrun", "modload", "modstat", "modunload", "hostname",
                    "gencat", "ipcs"}


def _program_sources():
    progs = {}
    for entry in sorted(os.listdir(BIN_SRC)):
        path = os.path.join(BIN_SRC, entry)
        if entry.endswith(".c") and entry[:-2] in NOT_FOR_THE_HOST:
            continue
        if entry.endswith(".c"):
            progs[entry[:-2]] = [path]
        elif os.path.isdir(path) and entry != "common":
            srcs = sorted(os.path.join(path, f) for f in os.listdir(path)
                          if f.endswith(".c"))
            if srcs:
                progs[entry] = srcs
    return progs


@pytest.fixture(scope="session")
def bindir(tmp_path_factory):
    """All programs compiled with warnings as errors, in parallel."""
    out = tmp_path_factory.mktemp("bin")

    def build(item):
        name, srcs = item
        # -lm: programs may use the libm (nbody's sqrt), as the guest libc has it
        r = subprocess.run([CC] + CFLAGS + srcs + ["-lm", "-o", str(out / name)],
                           capture_output=True, text=True, env=ENV)
        return name, r.returncode, r.stderr

    with ThreadPoolExecutor(2) as ex:
        results = list(ex.map(build, _program_sources().items()))
    failed = [(n, err) for n, rc, err in results if rc != 0]
    assert not failed, "compile failed:\n" + "\n".join(f"{n}:\n{e}" for n, e in failed)
    return str(out)


def run(argv, cwd=None, input=None, env=None):
    return subprocess.run(argv, cwd=cwd, input=input, capture_output=True,
                          env=env or ENV, timeout=30)


def prog(bindir, name):
    return os.path.join(bindir, name)


# ----------------------------------------------------------------------- tree

@pytest.fixture
def tree(tmp_path):
    """A directory with the kinds of entry ls and cp must handle."""
    d = tmp_path / "tree"
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
    (d / "sgid").write_bytes(b"g")
    os.chmod(d / "sgid", 0o2644)
    (d / "sub").mkdir()
    (d / "sub" / "inner").write_bytes(b"inner\n")
    (d / "sub" / "deeper").mkdir()
    (d / "sub" / "deeper" / "leaf").write_bytes(b"leaf" * 100)
    (d / "sticky").mkdir()
    os.chmod(d / "sticky", 0o1777)
    os.symlink("alpha", d / "link")
    os.symlink("nowhere", d / "dangling")
    os.symlink("sub", d / "sublink")
    os.mkfifo(d / "fifo")
    os.link(d / "alpha", d / "hardlink")
    # distinct modification times, one older than six months
    now = int(time.time())
    for i, name in enumerate(["alpha", "Beta", "gamma.c", "empty", "exe",
                              "suid", "sgid", "fifo"]):
        os.utime(d / name, (now - 1000 * i, now - 1000 * i))
    os.utime(d / "Beta", (now - 400 * 86400, now - 400 * 86400))
    return str(d)


# ------------------------------------------------------------------------- ls

def host_ls(args, cwd, env=None):
    r = run(["ls"] + args, cwd=cwd, env=env)
    assert r.returncode == 0, r.stderr
    return r.stdout.decode()


def my_ls(bindir, args, cwd, env=None):
    r = run([prog(bindir, "ls")] + args, cwd=cwd, env=env)
    assert r.returncode == 0, r.stderr
    return r.stdout.decode()


@pytest.mark.parametrize("opts", [["-1"], ["-1", "-a"], ["-1", "-A"], ["-1", "-r"],
                                  ["-1", "-p"], ["-m"],
                                  ["-1", "-S"], ["-1", "-t"], ["-1", "-tr"],
                                  ["-1", "-F"], ["-1", "-i"], ["-1", "-s"],
                                  ["-1", "-d", "sub", "alpha", "sublink"]])
def test_ls_short_formats_match_host(bindir, tree, opts):
    # The super-user gets -A implied by NetBSD's ls, not by GNU's: give -A
    # (or -a) to both so the comparison holds for any user.
    extra = [] if ("-a" in opts or "-A" in opts) else ["-A"]
    assert my_ls(bindir, extra + opts, tree) == host_ls(extra + opts, tree)


def test_ls_not_a_tty_is_one_per_line_sorted_bytewise(bindir, tree):
    out = my_ls(bindir, ["-A"], tree).split("\n")
    assert out[-1] == ""
    names = out[:-1]
    assert names == sorted(names)                 # strcmp order: "Beta" < "alpha"
    assert names[0] == ".hidden" and "Beta" in names
    if os.geteuid() != 0:
        assert ".hidden" not in my_ls(bindir, [], tree)


def _long_fields(text):
    """-l lines as comparable fields (GNU separates by one blank, NetBSD by two)."""
    rows = []
    for line in text.splitlines():
        rows.append(line.split())
    return rows


@pytest.mark.parametrize("opts", [["-l"], ["-ln"], ["-la"], ["-lS"], ["-lt"],
                                  ["-lr"], ["-li"], ["-ls"], ["-lF"], ["-lu"],
                                  ["-lc"]])
def test_ls_long_matches_host_field_by_field(bindir, tree, opts):
    extra = [] if "-la" in opts else ["-A"]
    mine = my_ls(bindir, extra + opts, tree)
    host = host_ls(extra + opts, tree)
    if "-lF" in opts:
        # NetBSD marks a symlink "name@ -> target" in -lF; GNU omits the @
        mine = re.sub(r"@ -> ", " -> ", mine)
        # and GNU also marks the link's target ("sublink -> sub/")
        host = re.sub(r"( -> \S+?)[/*@|=]$", r"\1", host, flags=re.M)
    assert _long_fields(mine) == _long_fields(host)


@pytest.mark.skipif(not os.path.exists("/dev/null") or
                    not stat.S_ISCHR(os.stat("/dev/null").st_mode), reason="no /dev/null")
def test_ls_long_device_numbers(bindir):
    devs = [d for d in ("/dev/null", "/dev/zero", "/dev/tty") if os.path.exists(d)]
    mine = my_ls(bindir, ["-l"] + devs, "/")
    assert _long_fields(mine) == _long_fields(host_ls(["-l"] + devs, "/"))
    assert re.search(r" 1, +3 ", mine)


def test_ls_long_layout_is_netbsd(bindir, tree):
    out = my_ls(bindir, ["-lA"], tree)
    lines = out.splitlines()
    assert re.fullmatch(r"total \d+", lines[0])
    byname = {l.split()[-1] if " -> " not in l else l.split(" -> ")[0].split()[-1]: l
              for l in lines[1:]}
    # strmode's eleven characters then a blank; owner and group followed by two
    assert re.match(r"-rw-r--r--  2 \S+ +\S+ +6 \w{3} [ \d]\d \d\d:\d\d alpha$",
                    byname["alpha"])
    assert re.search(r"\w{3} [ \d]\d  \d{4} Beta$", byname["Beta"])   # > 6 months
    assert byname["suid"].startswith("-rwsr-xr-x ")
    assert byname["sgid"].startswith("-rw-r-Sr-- ")
    assert byname["sticky"].startswith("drwxrwxrwt ")
    assert byname["fifo"].startswith("prw-r--r-- ")
    assert byname["link"].startswith("lrwxrwxrwx ") and byname["link"].endswith(
        "link -> alpha")
    assert byname["dangling"].endswith("dangling -> nowhere")
    # columns line up: sizes are right-aligned, so every date starts at one offset
    starts = {re.search(r" (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) ",
                        l).start() for l in lines[1:]}
    assert len(starts) == 1


def test_ls_total_is_512_byte_blocks_and_blocksize(bindir, tree):
    total = sum(os.lstat(os.path.join(tree, n)).st_blocks for n in os.listdir(tree))
    assert my_ls(bindir, ["-lA"], tree).splitlines()[0] == f"total {total}"
    assert my_ls(bindir, ["-sA"], tree).splitlines()[0] == f"total {total}"
    k = (total * 512 + 1023) // 1024
    assert my_ls(bindir, ["-skA"], tree).splitlines()[0] == f"total {k}"
    env = dict(ENV, BLOCKSIZE="1k")
    assert my_ls(bindir, ["-lA"], tree, env).splitlines()[0] == f"total {k}"


def test_ls_recursive_like_host_without_first_header(bindir, tree):
    mine = my_ls(bindir, ["-R", "-A"], tree)
    host = host_ls(["-R", "-A"], tree)
    # NetBSD prints no header for the single operand's own listing
    assert host.startswith(".:\n")
    assert mine == host[len(".:\n"):]
    assert "\n./sub/deeper:\nleaf\n" in mine


def test_ls_operands_files_first_then_dirs(bindir, tree):
    mine = my_ls(bindir, ["-A", "sub", "alpha", "sticky", "Beta", "link"], tree)
    assert mine == host_ls(["-A", "sub", "alpha", "sticky", "Beta", "link"], tree)
    assert mine.startswith("Beta\nalpha\nlink\n\nsticky:\n\nsub:\n")


def test_ls_symlink_operand_followed_unless_long(bindir, tree):
    assert my_ls(bindir, ["sublink"], tree) == "deeper\ninner\n"
    out = my_ls(bindir, ["-l", "sublink"], tree)
    assert out.startswith("l") and out.rstrip().endswith("sublink -> sub")
    assert my_ls(bindir, ["-F", "sublink"], tree) == "sublink@\n"
    assert my_ls(bindir, ["-d", "sublink"], tree) == "sublink\n"


def test_ls_missing_operand_message_and_status(bindir, tree):
    r = run([prog(bindir, "ls"), "nosuch", "alpha", "sub"], cwd=tree)
    assert r.returncode == 1
    assert r.stderr.decode() == "ls: nosuch: No such file or directory\n"
    assert r.stdout.decode() == "alpha\n\nsub:\ndeeper\ninner\n"


def test_ls_bad_option(bindir, tree):
    r = run([prog(bindir, "ls"), "-%"], cwd=tree)
    assert r.returncode == 1
    assert b"usage: ls" in r.stderr


def test_ls_columns_down_and_across(bindir, tmp_path):
    for i in range(10):
        (tmp_path / f"file{i}").write_bytes(b"")
    env = dict(ENV, COLUMNS="30")
    # widest name 5, column width 6: five columns of two rows
    assert my_ls(bindir, ["-C"], str(tmp_path), env) == (
        "file0 file2 file4 file6 file8\n"
        "file1 file3 file5 file7 file9\n")
    assert my_ls(bindir, ["-x"], str(tmp_path), env) == (
        "file0 file1 file2 file3 file4\n"
        "file5 file6 file7 file8 file9\n")
    env = dict(ENV, COLUMNS="11")       # narrower than two columns: one
    assert my_ls(bindir, ["-C"], str(tmp_path), env).count("\n") == 10


def test_ls_empty_directory(bindir, tmp_path):
    assert my_ls(bindir, [], str(tmp_path)) == ""
    assert my_ls(bindir, ["-l"], str(tmp_path)) == "total 0\n"


def test_ls_many_files(bindir, tmp_path):
    r = run([prog(bindir, "mkfiles"), str(tmp_path / "many"), "1000"])
    assert r.returncode == 0, r.stderr
    assert re.fullmatch(rb"mkfiles \S+ 1000 files \d+ cycles\n", r.stdout)
    out = my_ls(bindir, [], str(tmp_path / "many")).split()
    assert out == [f"f{i:05d}" for i in range(1000)]


# ------------------------------------------------------------------------- cp

def test_cp_file_and_big_file(bindir, tmp_path):
    src = tmp_path / "src"
    data = os.urandom(3 * 65536 + 123)
    src.write_bytes(data)
    r = run([prog(bindir, "cp"), str(src), str(tmp_path / "dst")])
    assert r.returncode == 0 and r.stderr == b""
    assert (tmp_path / "dst").read_bytes() == data
    assert run(["cmp", str(src), str(tmp_path / "dst")]).returncode == 0


def test_cp_into_directory_and_verbose(bindir, tree, tmp_path):
    dest = tmp_path / "d"
    dest.mkdir()
    r = run([prog(bindir, "cp"), "-v", "alpha", "gamma.c", str(dest)], cwd=tree)
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode() == (f"alpha -> {dest}/alpha\n"
                                 f"gamma.c -> {dest}/gamma.c\n")
    assert (dest / "gamma.c").read_bytes() == open(
        os.path.join(tree, "gamma.c"), "rb").read()


def test_cp_refuses_directory_without_R(bindir, tree, tmp_path):
    r = run([prog(bindir, "cp"), "sub", "alpha", str(tmp_path)], cwd=tree)
    assert r.returncode == 1
    assert r.stderr.decode() == "cp: sub is a directory (not copied).\n"
    assert (tmp_path / "alpha").exists()


def test_cp_R_copies_tree_and_symlinks_as_links(bindir, tree, tmp_path):
    dst = tmp_path / "copy"
    r = run([prog(bindir, "cp"), "-R", tree, str(dst)])
    assert r.returncode == 0, r.stderr    # NetBSD's cp -R makes a new FIFO
    assert stat.S_ISFIFO(os.lstat(dst / "fifo").st_mode)
    assert os.readlink(dst / "link") == "alpha"
    assert os.readlink(dst / "dangling") == "nowhere"
    assert os.readlink(dst / "sublink") == "sub"
    assert (dst / "sub" / "deeper" / "leaf").read_bytes() == b"leaf" * 100
    os.remove(os.path.join(tree, "fifo"))
    shutil.rmtree(dst)
    r = run([prog(bindir, "cp"), "-R", tree, str(dst)])
    assert r.returncode == 0, r.stderr
    assert run(["diff", "-r", "--no-dereference", tree, str(dst)]).returncode == 0
    # directories keep the source's mode, umask or not
    assert stat.S_IMODE(os.stat(dst / "sticky").st_mode) == 0o1777
    # into an existing directory: DIR/basename
    r = run([prog(bindir, "cp"), "-R", os.path.join(tree, "sub") + "/", str(dst)])
    assert r.returncode == 0, r.stderr
    assert (dst / "sub" / "inner").exists()


def test_cp_L_follows_links(bindir, tree, tmp_path):
    os.remove(os.path.join(tree, "fifo"))
    os.remove(os.path.join(tree, "dangling"))
    r = run([prog(bindir, "cp"), "-RL", tree, str(tmp_path / "c")])
    assert r.returncode == 0, r.stderr
    assert not os.path.islink(tmp_path / "c" / "link")
    assert (tmp_path / "c" / "sublink" / "inner").read_bytes() == b"inner\n"


def test_cp_l_makes_hard_links(bindir, tree, tmp_path):
    os.remove(os.path.join(tree, "fifo"))
    r = run([prog(bindir, "cp"), "-Rl", tree, str(tmp_path / "l")])
    assert r.returncode == 0, r.stderr
    assert os.stat(tmp_path / "l" / "sub" / "inner").st_ino == os.stat(
        os.path.join(tree, "sub", "inner")).st_ino


def test_cp_p_preserves_mode_and_times(bindir, tree, tmp_path):
    r = run([prog(bindir, "cp"), "-p", "Beta", "exe", str(tmp_path)], cwd=tree)
    assert r.returncode == 0, r.stderr
    for n in ("Beta", "exe"):
        a, b = os.stat(os.path.join(tree, n)), os.stat(tmp_path / n)
        assert int(a.st_mtime) == int(b.st_mtime)
        assert stat.S_IMODE(a.st_mode) == stat.S_IMODE(b.st_mode)
    # without -p: the new file's mode is the source's less the umask, times new
    r = run([prog(bindir, "cp"), "Beta", str(tmp_path / "nb")], cwd=tree)
    assert int(os.stat(tmp_path / "nb").st_mtime) > int(
        os.stat(os.path.join(tree, "Beta")).st_mtime)


def test_cp_errors(bindir, tree, tmp_path):
    cp = prog(bindir, "cp")
    r = run([cp, "nosuch", str(tmp_path / "x")], cwd=tree)
    assert (r.returncode, r.stderr) == (1, b"cp: nosuch: No such file or directory\n")
    r = run([cp, "alpha", "alpha"], cwd=tree)
    assert (r.returncode, r.stderr) == (1, b"cp: alpha and alpha are identical (not copied).\n")
    r = run([cp, "alpha", "Beta", "empty"], cwd=tree)
    assert (r.returncode, r.stderr) == (1, b"cp: empty: Not a directory\n")
    r = run([cp, "alpha"], cwd=tree)
    assert r.returncode == 1 and r.stderr.startswith(b"usage: cp")
    r = run([cp, "alpha", str(tmp_path / "nodir" / "x")], cwd=tree)
    assert r.returncode == 1 and b"No such file or directory" in r.stderr


def test_cp_i_and_f(bindir, tree, tmp_path):
    cp = prog(bindir, "cp")
    t = tmp_path / "t"
    t.write_bytes(b"old")
    r = run([cp, "-i", "alpha", str(t)], cwd=tree, input=b"n\n")
    assert r.stderr.decode() == f"overwrite {t}? " and t.read_bytes() == b"old"
    r = run([cp, "-i", "alpha", str(t)], cwd=tree, input=b"y\n")
    assert t.read_bytes() == b"hello\n"
    if os.geteuid() != 0:
        os.chmod(t, 0o444)
        r = run([cp, "Beta", str(t)], cwd=tree)
        assert r.returncode == 1
        r = run([cp, "-f", "Beta", str(t)], cwd=tree)
        assert r.returncode == 0 and t.read_bytes() == b"x" * 5000


# ------------------------------------------------------------------------- sh

def sh(bindir, script, input=None, args=(), cwd=None):
    env = dict(ENV, PATH=bindir + ":" + ENV.get("PATH", "/bin:/usr/bin"))
    return run([prog(bindir, "sh"), "-c", script] + list(args), input=input,
               env=env, cwd=cwd)


@pytest.mark.parametrize("script,out,status", [
    ("echo hello world", "hello world\n", 0),
    ("echo 'single  $x' \"double  $?\" back\\ slash", "single  $x double  0 back slash\n", 0),
    ("false; echo $?; true && echo and; false || echo or; false && echo no", "1\nand\nor\n", 1),
    ("echo a | cat | cat | cat | wc -l", "       1\n", 0),
    ("X=1; export Y=two; echo $X ${Y} ${NONE:-dflt}x", "1 two dfltx\n", 0),
    ("A='x  y'; echo $A; echo \"$A\"", "x y\nx  y\n", 0),
    ("set -- p 'q r'; echo $# $1 \"$2\"", "2 p q r\n", 0),
    ("exit 7", "", 7),
    ("false", "", 1),
    ("! false", "", 0),
    ("true | false", "", 1),
    ("nosuchcommand_kw86", "", 127),
    ("cd /; pwd", "/\n", 0),
    ("exec echo replaced; echo not-here", "replaced\n", 0),
    ("echo one; # comment\necho two", "one\ntwo\n", 0),
    ("echo 'unterminated", "", 2),
])
def test_sh_command_strings(bindir, script, out, status):
    r = sh(bindir, script)
    assert r.stdout.decode() == out
    assert r.returncode == status


def test_sh_not_found_message(bindir):
    r = sh(bindir, "nosuchcommand_kw86 arg")
    assert r.stderr.decode() == "sh: nosuchcommand_kw86: not found\n"
    assert r.returncode == 127


def test_sh_killed_by_signal_is_128_plus(bindir):
    r = sh(bindir, "sh -c 'kill -9 $$'; echo $?")
    assert r.stdout.decode() == "137\n"


def test_sh_redirections(bindir, tmp_path):
    f = tmp_path / "f"
    r = sh(bindir, f"echo one > {f}; echo two >> {f}; cat < {f}; "
           f"ls /nonexistent_kw86 2>/dev/null; echo $?; "
           f"ls /nonexistent_kw86 > {tmp_path}/both 2>&1; cat {tmp_path}/both")
    assert r.stdout.decode() == ("one\ntwo\n1\n"
                                 "ls: /nonexistent_kw86: No such file or directory\n")
    r = sh(bindir, f"cat < {tmp_path}/nonexistent")
    assert r.returncode == 1 and b"cannot open" in r.stderr
    # a builtin's redirection does not leak into the next command
    r = sh(bindir, f"pwd > {tmp_path}/p; echo after")
    assert r.stdout.decode() == "after\n"
    assert (tmp_path / "p").read_text() == os.getcwd() + "\n"


def test_sh_script_file_and_stdin(bindir, tmp_path):
    s = tmp_path / "s.sh"
    s.write_text("echo script $0 $1 $#\nfalse\necho $?\nexit 3\n")
    env = dict(ENV, PATH=bindir + ":/bin:/usr/bin")
    r = run([prog(bindir, "sh"), str(s), "A", "B"], env=env)
    assert r.stdout.decode() == f"script {s} A 2\n1\n"
    assert r.returncode == 3
    r = run([prog(bindir, "sh")], input=b"echo from stdin\ncat\nline two\n"
            b"echo three\n", env=env)
    # the shell reads one line at a time: cat gets the rest of the input
    assert r.stdout.decode() == "from stdin\nline two\necho three\n"
    assert r.stderr == b""           # not a tty: no prompt


def test_sh_globbing(bindir, tree):
    r = sh(bindir, "echo *; echo s*; echo '*' \\* \"*\"; echo no*match; "
           "echo sub/*; echo [ab]*; echo ?eta; echo [!a-z]*; echo .h*", cwd=tree)
    names = sorted(n for n in os.listdir(tree) if not n.startswith("."))
    assert r.stdout.decode().splitlines() == [
        " ".join(names), "sgid sticky sub sublink suid", "* * *", "no*match",
        "sub/deeper sub/inner", "alpha", "Beta", "Beta", ".hidden"]


def test_sh_command_substitution(bindir, tree):
    r = sh(bindir, "n=$(ls sub | wc -l); echo \"[$n]\"; echo `echo back`; "
           "echo \"a $(echo \"b $(echo c)\")\"; v=$(exit 3); echo $?; "
           "echo $(printf 'x\\n\\n\\n')end; set -- $(echo p q); echo $#", cwd=tree)
    assert r.stdout.decode() == "[       2]\nback\na b c\n3\nxend\n2\n"


def test_sh_background_and_wait(bindir):
    r = sh(bindir, "spin 2 A 1000 > /dev/null & echo started; wait; echo $?; "
           "false & wait $!; echo $?")
    assert r.stdout.decode() == "started\n0\n1\n"


SH_CONTROL = """\
if true; then echo then; fi
if false; then echo no; elif false; then echo no; elif true; then echo elif; else echo no; fi
if false; then echo no; else echo else; fi
for i in a b; do echo "for $i"; done
i=0
while [ $i -lt 2 ]; do echo "while $i"; i=$(expr $i + 1); done
until true; do echo never; done
for i in 1 2 3 4 5
do
  if [ $i = 2 ]; then continue; fi
  if [ $i = 4 ]; then break; fi
  echo "loop $i"
done
for i in 1 2; do for j in a b; do if [ $j = b ]; then continue 2; fi; echo $i$j; done; done
{ echo brace; echo es; } | wc -l
(cd /; pwd); (exit 4); echo "sub=$?"
for x in 1 2 3; do echo $x; done | wc -l
set -- p q; for a; do echo "arg $a"; done
echo done fi then
"""


def test_sh_control_structures(bindir, tmp_path):
    s = tmp_path / "ctl.sh"
    s.write_text(SH_CONTROL)
    env = dict(ENV, PATH=bindir + ":/bin:/usr/bin")
    r = run([prog(bindir, "sh"), str(s)], env=env, cwd=str(tmp_path))
    assert r.stderr == b""
    assert r.stdout.decode() == (
        "then\nelif\nelse\nfor a\nfor b\nwhile 0\nwhile 1\nloop 1\nloop 3\n"
        "1a\n2a\n       2\n/\nsub=4\n       3\narg p\narg q\ndone fi then\n")
    r = sh(bindir, "if true; then echo x")
    assert r.returncode == 2 and b"unexpected end of file" in r.stderr
    r = sh(bindir, "fi")
    assert r.returncode == 2 and b"syntax error" in r.stderr


def test_sh_interactive_prompt_on_a_tty(bindir):
    import pty
    import select
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(prog(bindir, "sh"), ["sh"], dict(ENV, PATH=bindir + ":/bin"))
    out = b""
    os.write(fd, b"echo hi; echo x | cat\nfor i in 1 2\ndo echo n$i; done\nexit 5\n")
    deadline = time.time() + 10
    while time.time() < deadline:
        if select.select([fd], [], [], 0.5)[0]:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
    _, st = os.waitpid(pid, 0)
    os.close(fd)
    prompt = b"# " if os.geteuid() == 0 else b"$ "
    assert out.count(prompt) >= 3
    assert b"> " in out                   # continuation prompt inside for
    assert b"hi\r\n" in out and b"n1\r\nn2\r\n" in out
    assert os.WEXITSTATUS(st) == 5


def test_sh_arithmetic_and_test_builtin(bindir, tree):
    r = sh(bindir, "i=5; echo $((i+1)) $(( (2+3)*4 )) $((10/3)) $((10%3)) $((-i)) "
           "$((1<2 && 3>2)) $((0x10)) \"$(( $i * 2 ))\"; "
           "j=0; while [ $j -lt 3 ]; do j=$((j+1)); done; echo $j")
    assert r.stdout.decode() == "6 20 3 1 -5 1 16 10\n3\n"
    cases = {"[ 1 -lt 2 ]": 0, "[ 2 -lt 1 ]": 1, "[ a = a ]": 0, "[ a != a ]": 1,
             "[ -d sub ]": 0, "[ -f sub ]": 1, "[ -f alpha ]": 0,
             "[ -L link ]": 0, "[ ! -e nosuch ]": 0, "[ -s empty ]": 1,
             "[ -n '' ]": 1, "[ -z '' ]": 0, "[ x ]": 0, "[ '' ]": 1,
             "[ 1 -eq 1 -a 2 -eq 3 ]": 1, "[ 1 -eq 1 -o 2 -eq 3 ]": 0,
             "test -n = -n": 0, "[ 1 -lt ]": 2, "[ a -lt 1 ]": 2, "[ 1 = 1": 2,
             "test": 1}
    for expr, status in cases.items():
        assert sh(bindir, expr, cwd=tree).returncode == status, expr
    r = sh(bindir, "echo $((1/0))")
    assert b"division by zero" in r.stderr


def test_sh_here_documents(bindir, tmp_path):
    s = tmp_path / "hd.sh"
    s.write_text("x=world\ncat <<EOF\nhello $x\n  `echo sub` \\$x\nEOF\n"
                 "cat <<'EOF' | tr a-z A-Z\nraw $x\nEOF\n"
                 "cat <<-END; echo after\n\ttabbed\n\tEND\n"
                 "for i in 1 2; do cat <<E\nin $i\nE\ndone\n"
                 "cat <<EOF | wc -c\n" + "a" * 3000 + "\nEOF\n")
    env = dict(ENV, PATH=bindir + ":/bin:/usr/bin")
    r = run([prog(bindir, "sh"), str(s)], env=env)
    assert r.stdout.decode() == ("hello world\n  sub $x\nRAW $X\ntabbed\nafter\n"
                                 "in 1\nin 2\n    3001\n")
    r = sh(bindir, "cat <<EOF")
    assert r.returncode == 2 and b"unexpected end of file" in r.stderr


def test_sh_set_e_and_x(bindir):
    r = sh(bindir, "set -e; false || echo ok; if false; then :; fi; ! true; "
           "while false; do :; done; false && true; echo still; false; echo NOT")
    assert (r.returncode, r.stdout) == (1, b"ok\nstill\n")
    r = sh(bindir, "set -x; A=1 echo $A hi; set +x; echo quiet")
    assert r.stdout == b"hi\nquiet\n"
    assert r.stderr == b"+ A=1 echo hi\n+ set +x\n"


SH_FUNCTIONS_CASE = """\
greet() {
  echo "hello $1 ($#)"
  return 3
}
greet world x; echo "st=$?"
count() { n=0; for a; do n=$((n+1)); if [ $n -ge 2 ]; then return $n; fi; done; echo never; }
count a b c; echo "count=$?"
echo "args still: $# $1"
f2() ( cd /; pwd )
f2; pwd | sed 's/.*/cwd-unchanged/'
for w in foo bar.c "x y" B 42 ''; do
  case $w in
    foo|bar) echo "$w: foo or bar";;
    *.c) echo "$w: C file" ;;
    "x y") echo "quoted: $w";;
    [A-Z]) echo "$w: upper";;
    [0-9]*) echo "$w: number"
      ;;
    *) echo "other: [$w]";;
  esac
done
case abc in (a*) echo paren-ok;; esac
case '*' in '*') echo star-literal;; *) echo wrong;; esac
case x in y) echo no;; esac; echo "nomatch=$?"
greet | tr a-z A-Z
"""


def test_sh_functions_and_case(bindir, tmp_path):
    s = tmp_path / "fn.sh"
    s.write_text(SH_FUNCTIONS_CASE)
    env = dict(ENV, PATH=bindir + ":/usr/bin:/bin")
    r = run([prog(bindir, "sh"), str(s), "a1"], env=env, cwd=str(tmp_path))
    assert r.stderr == b""
    assert r.stdout.decode() == (
        "hello world (2)\nst=3\ncount=2\nargs still: 1 a1\n/\ncwd-unchanged\n"
        "foo: foo or bar\nbar.c: C file\nquoted: x y\nB: upper\n42: number\n"
        "other: []\nparen-ok\nstar-literal\nnomatch=0\nHELLO  (0)\n")
    r = sh(bindir, "return 1")
    assert r.returncode == 1 and b"not in a function" in r.stderr
    r = sh(bindir, "f() echo no")
    assert r.returncode == 2 and b"compound" in r.stderr


def test_sh_parameter_forms_read_eval_dot(bindir, tmp_path):
    r = sh(bindir, "x=/usr/lib/file.tar.gz; echo ${#x} ${x%.*} ${x%%.*} ${x#*/} "
           "${x##*/} \"${y:-$HOME}\" ${y:=set} $y ${z+plus} ${x:+alt} ${#}")
    assert r.stdout.decode() == (f"20 /usr/lib/file.tar /usr/lib/file usr/lib/file.tar.gz "
                                 f"file.tar.gz {ENV['HOME']} set set alt 0\n")
    r = sh(bindir, "echo ${u?oops}; echo notreached")
    assert (r.returncode, r.stdout, r.stderr) == (2, b"", b"sh: u: oops\n")
    r = sh(bindir, "read x y rest; echo \"[$x][$y][$rest]\"; read l; echo \"[$l]\"; "
           "read -r z; echo \"$? [$z]\"; read w; echo \"$? [$w]\"",
           input=b"a b  c d \nline2\\\ncont\nlast")
    assert r.stdout.decode() == "[a][b][c d]\n[line2cont]\n1 [last]\n1 []\n"
    (tmp_path / "inc.sh").write_text("echo sourced $v\n")
    r = sh(bindir, f"cmd='echo evaled'; eval $cmd x; eval 'f() {{ echo in-f; }}'; f; "
           f"v=1; . {tmp_path}/inc.sh; . {tmp_path}/nonexistent; echo no")
    assert r.stdout.decode() == "evaled x\nin-f\nsourced 1\n"
    assert r.returncode == 2


def test_sh_environment_passing(bindir):
    r = sh(bindir, "export KW=1; LOCAL=2; sh -c 'echo $KW-$LOCAL'; "
           "ONE=x sh -c 'echo $ONE'; echo ${ONE}end")
    assert r.stdout.decode() == "1-\nx\nend\n"


# -------------------------------------------------------------- small tools

CAT_INPUT = b"a\tb\n\n\n\nc\x01\x80d\x7f\nlast"


@pytest.mark.parametrize("opts", [[], ["-n"], ["-b"], ["-s"], ["-v"], ["-e"],
                                  ["-t"], ["-ns"], ["-vet"]])
def test_cat_matches_host(bindir, tmp_path, opts):
    f = tmp_path / "in"
    f.write_bytes(CAT_INPUT)
    mine = run([prog(bindir, "cat")] + opts + [str(f), "-", str(f)], input=b"mid\n")
    host = run(["cat"] + opts + [str(f), "-", str(f)], input=b"mid\n")
    assert mine.stdout == host.stdout and mine.returncode == 0


def test_cat_missing_file(bindir, tmp_path):
    f = tmp_path / "in"
    f.write_bytes(b"x\n")
    r = run([prog(bindir, "cat"), "nosuch", str(f)], cwd=str(tmp_path))
    assert r.returncode == 1 and r.stdout == b"x\n"
    assert r.stderr == b"cat: nosuch: No such file or directory\n"


def test_echo(bindir):
    assert run([prog(bindir, "echo"), "a", "b  c"]).stdout == b"a b  c\n"
    assert run([prog(bindir, "echo"), "-n", "a"]).stdout == b"a"
    assert run([prog(bindir, "echo")]).stdout == b"\n"


def test_true_false_sleep(bindir):
    assert run([prog(bindir, "true")]).returncode == 0
    assert run([prog(bindir, "false")]).returncode == 1
    assert run([prog(bindir, "sleep"), "0"]).returncode == 0
    t = time.time()
    assert run([prog(bindir, "sleep"), "0.2"]).returncode == 0
    assert time.time() - t >= 0.2
    r = run([prog(bindir, "sleep"), "abc"])
    assert r.returncode == 1 and r.stderr == b"usage: sleep seconds\n"   # as NetBSD's
    assert run([prog(bindir, "sleep")]).returncode == 1


def test_wc(bindir, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_bytes(b"one two\nthree\n  four  five six\n")
    b.write_bytes(b"no newline at end")
    r = run([prog(bindir, "wc"), str(a), str(b)])
    assert r.stdout.decode() == (f"       3       6      31 {a}\n"
                                 f"       0       4      17 {b}\n"
                                 f"       3      10      48 total\n")
    r = run([prog(bindir, "wc"), "-l"], input=a.read_bytes())
    assert r.stdout == b"       3\n"
    r = run([prog(bindir, "wc"), "-wc", "nosuch"])
    assert r.returncode == 1 and r.stderr == b"wc: nosuch: No such file or directory\n"
    for opt in ("-l", "-w", "-c"):
        mine = run([prog(bindir, "wc"), opt, str(a)]).stdout.split()[0]
        host = run(["wc", opt, str(a)]).stdout.split()[0]
        assert mine == host


@pytest.mark.parametrize("opts", [[], ["-n", "3"], ["-c", "10"], ["-n", "100"],
                                  ["-3"]])
def test_head_matches_host(bindir, tmp_path, opts):
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_bytes(b"".join(b"line %d\n" % i for i in range(20)))
    b.write_bytes(b"x\ny\n")
    for files in ([str(a)], [str(a), str(b)]):
        mine = run([prog(bindir, "head")] + opts + files)
        host = run(["head"] + opts + files)
        assert mine.stdout == host.stdout and mine.returncode == 0


def test_head_errors(bindir, tmp_path):
    r = run([prog(bindir, "head"), "-n", "0"])
    assert r.returncode == 1 and r.stderr == b"head: illegal line count -- 0\n"
    r = run([prog(bindir, "head"), "nosuch"])
    assert r.returncode == 1 and r.stderr == b"head: nosuch: No such file or directory\n"


def test_mkdir(bindir, tmp_path):
    md = prog(bindir, "mkdir")
    assert run([md, "-p", "a/b/c"], cwd=str(tmp_path)).returncode == 0
    assert (tmp_path / "a" / "b" / "c").is_dir()
    assert run([md, "-p", "a/b"], cwd=str(tmp_path)).returncode == 0
    r = run([md, "a"], cwd=str(tmp_path))
    assert (r.returncode, r.stderr) == (1, b"mkdir: a: File exists\n")
    assert run([md, "-m", "700", "m1"], cwd=str(tmp_path)).returncode == 0
    assert stat.S_IMODE(os.stat(tmp_path / "m1").st_mode) == 0o700
    assert run([md, "-m", "a=rwx,o-w", "m2"], cwd=str(tmp_path)).returncode == 0
    assert stat.S_IMODE(os.stat(tmp_path / "m2").st_mode) == 0o775
    r = run([md, "-m", "bogus", "m3"], cwd=str(tmp_path))
    assert r.returncode == 1 and b"invalid file mode" in r.stderr
    r = run([md, "nodir/x"], cwd=str(tmp_path))
    assert r.returncode == 1 and r.stderr == b"mkdir: nodir/x: No such file or directory\n"


def test_rm(bindir, tree):
    rm = prog(bindir, "rm")
    r = run([rm, "sub"], cwd=tree)
    assert (r.returncode, r.stderr) == (1, b"rm: sub: is a directory\n")
    r = run([rm, "nosuch"], cwd=tree)
    assert (r.returncode, r.stderr) == (1, b"rm: nosuch: No such file or directory\n")
    assert run([rm, "-f", "nosuch"], cwd=tree).returncode == 0
    assert run([rm, "-f"], cwd=tree).returncode == 0
    r = run([rm, "-d", "sub"], cwd=tree)
    assert r.returncode == 1 and b"sub" in r.stderr
    assert run([rm, "-d", "sticky"], cwd=tree).returncode == 0
    r = run([rm, "-rv", "sub", "link"], cwd=tree)
    assert r.returncode == 0
    assert sorted(r.stdout.decode().split()) == sorted(
        ["sub/inner", "sub/deeper/leaf", "sub/deeper", "sub", "link"])
    assert not os.path.exists(os.path.join(tree, "sub"))
    assert os.path.exists(os.path.join(tree, "alpha"))   # link removed, not target
    r = run([rm, "-r", "."], cwd=tree)
    assert r.returncode == 1 and b"may not be removed" in r.stderr
    r = run([rm, "-i", "alpha", "Beta"], cwd=tree, input=b"y\nn\n")
    assert r.stderr == b"remove alpha? remove Beta? "
    assert not os.path.exists(os.path.join(tree, "alpha"))
    assert os.path.exists(os.path.join(tree, "Beta"))


def test_mv(bindir, tree):
    mv = prog(bindir, "mv")
    assert run([mv, "alpha", "renamed"], cwd=tree).returncode == 0
    assert open(os.path.join(tree, "renamed"), "rb").read() == b"hello\n"
    r = run([mv, "-v", "renamed", "Beta", "sub"], cwd=tree)
    assert r.stdout == b"renamed -> sub/renamed\nBeta -> sub/Beta\n"
    r = run([mv, "nosuch", "x"], cwd=tree)
    assert (r.returncode, r.stderr) == (
        1, b"mv: rename nosuch to x: No such file or directory\n")
    r = run([mv, "-i", "empty", "exe"], cwd=tree, input=b"n\n")
    assert r.stderr == b"overwrite exe? " and os.path.exists(os.path.join(tree, "empty"))
    r = run([mv, "empty", "exe", "gamma.c"], cwd=tree)
    assert (r.returncode, r.stderr) == (1, b"mv: gamma.c: Not a directory\n")


# ----------------------------------------------------------------- benchmarks

def test_benchmark_programs_print_cycles(bindir, tmp_path):
    r = run([prog(bindir, "getpid_bench"), "100"])
    assert re.fullmatch(rb"getpid 100 calls \d+ cycles \d+ cycles/call\n", r.stdout)
    r = run([prog(bindir, "stat_bench"), "50", str(tmp_path)])
    assert re.fullmatch(rb"stat 50 calls \d+ cycles \d+ cycles/call path \S+\n",
                        r.stdout)
    r = run([prog(bindir, "rw_bench"), "5", "65536", str(tmp_path / "rw")])
    assert re.fullmatch(rb"write 5 calls 65536 bytes \d+ cycles \d+ cycles/call\n"
                        rb"read 5 calls 65536 bytes \d+ cycles \d+ cycles/call\n",
                        r.stdout)
    assert os.path.getsize(tmp_path / "rw") == 65536
    r = run([prog(bindir, "spin"), "3", "T", "1000"])
    lines = r.stdout.decode().splitlines()
    assert [l.split()[:4] for l in lines[:3]] == [
        ["spin", "T", "round", f"{i}/3"] for i in (1, 2, 3)]
    assert re.fullmatch(r"spin T done cycles \d+", lines[3])
    r = run([prog(bindir, "getpid_bench"), "zero"])
    assert r.returncode == 1 and r.stderr == b"getpid_bench: invalid count: zero\n"
