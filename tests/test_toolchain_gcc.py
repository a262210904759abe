"""Programs built by another toolchain: the host's GCC and GNU ld, not zig.

Everything in the sysroot is built by zig cc (clang, lld).  tools/gcc_netbsd.py
builds NetBSD/i386 programs with Debian's ``gcc -m32 -march=i686`` against kw86's
headers, crt0 and libc.a (zig's compiler-rt for __udivdi3 & co.), and this file
runs them under ``kw86 exec`` as user processes and as kernelware, checking
their output against the same source built natively by the host (probe.c), the
zig-built sysroot (libctest, the tools, a shell script over a scratch tree and
the files it leaves), and NetBSD's stack-protector behaviour (ssp.c).

Each build variant names the GCC habit it is there for, and the test checks the
binary really contains it (objdump): endbr32 (-fcf-protection, a hint NOP on a
P6), the stack protector's canary check, `rep ret` (-mtune=amdfam10), the
`nopw %cs:0(%eax,%eax,1)` padding of a gas tuned for 64-bit CPUs and the
`lea 0(%esi,%eiz,1),%esi` padding of its i386 default, x87 fnstcw/fldcw around
fistp for float-to-integer conversions, PIE-compiled code (-fPIE: the GOT and
__x86.get_pc_thunk) in a static executable, -O0 to -O3 and -Os, with and
without frame pointers.
"""
import hashlib
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

import hostenv
from buildreq import built, fail_build

ROOT = hostenv.ROOT
TOOL = os.path.join(ROOT, "tools", "gcc_netbsd.py")
SRC = os.path.join(ROOT, "tests", "toolchain")
OBJ = os.path.join(ROOT, "userland", ".obj")
SYSROOT = os.path.join(ROOT, "kw86", "sysroot")
GCC = shutil.which("gcc")
OBJDUMP = shutil.which("objdump")

sys.path.insert(0, os.path.join(ROOT, "tools"))
import gcc_netbsd  # noqa: E402

pytestmark = [
    built(GCC is not None, "gcc, the host's C compiler (.ci/run installs it)"),
    built(OBJDUMP is not None, "objdump (binutils, which gcc needs)"),
    built(os.path.exists(os.path.join(OBJ, "libc.a")),
          "userland/.obj/libc.a (userland/build.py)"),
    built(os.path.exists(os.path.join(SYSROOT, "bin", "ls")), "the sysroot (userland/build.py)"),
]

MODES = [[], ["--kernelware"]]
MODE_IDS = ["user", "kernelware"]

# id: (gcc options, what the code must contain, as objdump -d prints it)
VARIANTS = {
    "O0": (["-O0"], [r"\bfnstcw\b", r"\bfldcw\b", r"\bfistp"]),
    "O2-hardened": (["-O2", "-fstack-protector-strong", "-fcf-protection=full"],
                    [r"\bendbr32\b", r"call.*<__stack_chk_fail_local>",
                     r"lea\s+0x0\(%esi,%eiz,1\),%esi", r"__x86\.get_pc_thunk"]),
    "O3-omitfp-amdfam10": (["-O3", "-fomit-frame-pointer", "-mtune=amdfam10",
                            "-Wa,-mtune=generic64"],
                           [r"\brepz? ret\b", r"nopw\s+%cs:0x0\(%eax,%eax,1\)"]),
    # not PIE-compiled: the switch jumps through an absolute table
    "Os-nopie": (["-Os", "-fno-pie", "-fno-omit-frame-pointer"],
                 [r"jmp\s+\*0x[0-9a-f]+\(,%e[a-d]x,4\)"]),
}


def _userland_build():
    """userland/build.py as a module of its own name (`import build` may find
    the repository's build/ directory, or PyPI's build)."""
    spec = importlib.util.spec_from_file_location(
        "kw86_userland_build_for_toolchain", os.path.join(ROOT, "userland", "build.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def gcc_build(tmp, name, srcs, flags, **kw):
    out = os.path.join(str(tmp), name)
    try:
        gcc_netbsd.build(srcs, out, flags, env=hostenv.ENV, **kw)
    except gcc_netbsd.BuildError as e:
        fail_build(str(e)[:3000])
    return out


def zig_build(tmp, name, srcs):
    """The same sources through zig cc and lld (userland/build.py's flags, the same
    crt0 and libc.a as the GCC builds)."""
    userland_build = _userland_build()
    crt, libc, inc = gcc_netbsd.userland_parts(OBJ)
    zig = [sys.executable, "-m", "ziglang", "cc"]
    objs = []
    for i, src in enumerate(srcs):
        objs.append(os.path.join(str(tmp), f"{name}.{i}.o"))
        r = subprocess.run(zig + userland_build.CFLAGS + inc + ["-c", src, "-o", objs[-1]],
                           capture_output=True, text=True, env=hostenv.ENV)
        if r.returncode:
            fail_build(f"zig cc {src}: " + r.stderr[-2000:])
    exe = os.path.join(str(tmp), name)
    r = subprocess.run(zig + userland_build.LDFLAGS + crt + objs + [libc, "-o", exe],
                       capture_output=True, text=True, env=hostenv.ENV)
    if r.returncode:
        fail_build(f"zig link {name}: " + r.stderr[-2000:])
    return exe


def kw86(*args, cwd=ROOT, stdin=b""):
    r = subprocess.run([sys.executable, "-m", "kw86.cli", "exec", *args], cwd=cwd,
                       input=stdin, capture_output=True, timeout=120,
                       env=hostenv.kw86_env(KW86_EPOCH=1700000000))
    return r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")


def host(path):
    """A host file as kw86 exec names one: ./relative to ROOT."""
    return "./" + os.path.relpath(path, ROOT)


def disasm(path):
    r = subprocess.run([OBJDUMP, "-d", "--no-show-raw-insn", path], capture_output=True,
                       text=True, env=hostenv.ENV)
    assert r.returncode == 0, r.stderr
    return r.stdout


# ---------------------------------------------------------------- probe.c

@pytest.fixture(scope="module")
def probe_want(tmp_path_factory):
    """probe.c built by the host for the host (x86-64, glibc): the oracle."""
    tmp = tmp_path_factory.mktemp("probe_host")
    exe = str(tmp / "probe")
    r = subprocess.run([GCC, "-O2", "-o", exe, os.path.join(SRC, "probe.c")],
                       capture_output=True, text=True, env=hostenv.ENV)
    if r.returncode:
        fail_build("host build of probe.c: " + r.stderr[-2000:])
    r = subprocess.run([exe, "x"], capture_output=True, text=True, env=hostenv.ENV, timeout=30)
    assert r.returncode == 0 and r.stdout.count("\n") == 30, (r.returncode, r.stdout)
    return r.stdout


@pytest.fixture(scope="module")
def probes(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("probe_gcc")
    return {v: gcc_build(tmp, "probe-" + v, [os.path.join(SRC, "probe.c")], flags)
            for v, (flags, _) in VARIANTS.items()}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_probe_code_has_the_gcc_forms(probes, variant):
    text = disasm(probes[variant])
    missing = [pat for pat in VARIANTS[variant][1] if not re.search(pat, text)]
    assert not missing, f"{variant}: no {missing} in the GCC output: the variant tests nothing"


@pytest.mark.parametrize("mode", MODES, ids=MODE_IDS)
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_probe_matches_the_host_build(probes, probe_want, variant, mode):
    rc, out, err = kw86(*mode, host(probes[variant]), "x")
    assert (rc, err) == (0, "")
    assert out.splitlines() == probe_want.splitlines()


def test_probe_zig_build_agrees(tmp_path, probe_want):
    """The same source through zig: the two toolchains' programs agree."""
    rc, out, err = kw86(host(zig_build(tmp_path, "probe-zig", [os.path.join(SRC, "probe.c")])),
                        "x")
    assert (rc, err) == (0, "") and out == probe_want


def _pie_obj():
    """The position-independent libc and crt0 (userland/build.py's PIE build, in
    the directory tests/test_nbsd_dynexec.py builds it into; incremental)."""
    userland_build = _userland_build()
    obj = os.path.join(ROOT, "tests", "guest", ".build", "dynexec", "obj-pie")
    try:
        b = userland_build.Builder(obj, obj_dir=obj, pie=True)
        b.prepare()
        b.generate()
        b.build_libc()
        b.build_crt0()
    except Exception as e:                        # noqa: BLE001 (zig's message)
        fail_build(f"the PIC libc (userland/build.py, pie=True): {e}"[:3000])
    return obj


@pytest.mark.parametrize("mode", MODES, ids=MODE_IDS)
def test_probe_static_pie(tmp_path, probe_want, mode):
    """GCC's default code (-fPIE) linked by GNU ld -static-pie against the PIC
    libc: an ET_DYN that kw86 places and crt0 relocates."""
    exe = gcc_build(tmp_path, "probe-pie", [os.path.join(SRC, "probe.c")],
                    ["-O2", "-fPIE", "-fstack-protector-strong"], pie=True, obj=_pie_obj())
    with open(exe, "rb") as f:
        assert f.read(18)[16] == 3                  # e_type ET_DYN
    rc, out, err = kw86(*mode, host(exe), "x")
    assert (rc, err) == (0, "")
    assert out.splitlines() == probe_want.splitlines()


@pytest.fixture(scope="module")
def bench_cpu(tmp_path_factory):
    """kw86 bench cpu's guest program (kw86/bench_cpu.py: sieve, CRC32, byte copy,
    quicksort, word count; i386 inline assembly, so no host build): its sources as
    files, and the zig build as the reference."""
    from kw86 import bench_cpu as B
    tmp = tmp_path_factory.mktemp("bench_cpu")
    srcs = []
    for name, text in (("bench_main.c", B.MAIN_C), ("bench_workloads.c", B.WORKLOADS_C)):
        (tmp / name).write_text(text)
        srcs.append(str(tmp / name))
    return tmp, srcs, zig_build(tmp, "bench-zig", srcs)


_zig_bench = {}


@pytest.mark.parametrize("mode, variant", [([], "O0"), (["--kernelware"], "O3-omitfp-amdfam10")],
                         ids=["user-O0", "kernelware-O3-omitfp-amdfam10"])
def test_bench_workloads(bench_cpu, variant, mode):
    tmp, srcs, ref = bench_cpu
    exe = gcc_build(tmp, "bench-" + variant, srcs, VARIANTS[variant][0])
    for wl, n in (("sieve", 2), ("crc32", 2), ("copy", 1), ("sort", 2), ("words", 3)):
        if wl not in _zig_bench:
            _zig_bench[wl] = kw86(host(ref), wl, str(n))
        want = _zig_bench[wl]
        assert want[0] == 0 and want[1].startswith(f"{wl} {n} "), want
        assert kw86(*mode, host(exe), wl, str(n)) == want, wl


def test_kernelware_calling_the_kernel(tmp_path):
    """tests/guest/kapi_ticks.c built by GCC and linked by GNU ld with `kw86 ksyms`
    (an implicit linker script: its assignments added to ld's own layout) calls
    kernel functions directly at CPL 0."""
    r = subprocess.run([sys.executable, "-m", "kw86.cli", "ksyms"], capture_output=True,
                       env=hostenv.kw86_env(), timeout=60)
    assert r.returncode == 0
    ld = tmp_path / "ksyms.ld"
    ld.write_bytes(r.stdout)
    exe = gcc_build(tmp_path, "kt", [os.path.join(ROOT, "tests", "guest", "kapi_ticks.c")],
                    ["-O2"], ksyms=str(ld))
    rc, out, err = kw86("--kernelware", host(exe))
    assert rc == 0, (out, err)
    t0, t1 = map(int, re.search(r"^ticks (\d+) (\d+)$", out, re.M).groups())
    assert t1 > t0
    for line in ("pid 2 2", "comm kt", "hz 100", "kprintf -7 str beef|   42|a  |"):
        assert line in out.splitlines(), out


@pytest.mark.parametrize("std", ["c89", "gnu89", "c99", "c11"])
def test_every_header_in_each_c_standard(tmp_path, std):
    exe = gcc_build(tmp_path, "headers", [os.path.join(SRC, "headers.c")],
                    ["-O2", f"-std={std}", "-Werror"])
    assert kw86(host(exe)) == (0, "c89-3 1\n", "")


def test_every_header_as_cxx(tmp_path):
    """The same unit as C++ (g++'s front end): the declarations have C linkage
    (__BEGIN_DECLS) and no C-only spelling, so a C++ program can include them."""
    gxx = shutil.which("g++")
    assert gxx is not None, "g++ (.ci/run installs it with gcc)"
    crt, libc, inc = gcc_netbsd.userland_parts(OBJ)
    r = subprocess.run([gxx, *gcc_netbsd.GCC_BASE, *inc, "-std=c++17", "-Werror",
                        "-fsyntax-only", "-x", "c++", os.path.join(SRC, "headers.c")],
                       capture_output=True, text=True, env=hostenv.ENV)
    assert r.returncode == 0, r.stderr


@pytest.fixture(scope="module")
def cxx_want(tmp_path_factory):
    """tests/toolchain/cxx.cc built by the host's g++ for the host: the oracle."""
    gxx = shutil.which("g++")
    assert gxx is not None, "g++ (.ci/run installs it with gcc)"
    exe = str(tmp_path_factory.mktemp("cxx_host") / "cxx")
    r = subprocess.run([gxx, "-O2", "-o", exe, os.path.join(SRC, "cxx.cc")],
                       capture_output=True, text=True, env=hostenv.ENV)
    if r.returncode:
        fail_build("host build of cxx.cc: " + r.stderr[-2000:])
    r = subprocess.run([exe], capture_output=True, text=True, env=hostenv.ENV, timeout=30)
    assert r.returncode == 0 and "destroy first" in r.stdout, r
    return r.stdout


@pytest.mark.parametrize("mode, flags", [([], ["-O0"]),
                                         (["--kernelware"], ["-O2", "-fstack-protector-strong"])],
                         ids=["user-O0", "kernelware-O2"])
def test_cxx_program(tmp_path, cxx_want, mode, flags):
    """Freestanding C++ (g++ -fno-exceptions -fno-rtti) with the tool's small C++
    runtime: virtual calls, new/delete, static objects built and destroyed in
    order, a guarded local static, lambdas; the host's g++ build prints the same."""
    exe = gcc_build(tmp_path, "cxx", [os.path.join(SRC, "cxx.cc")],
                    flags + ["-fno-exceptions", "-fno-rtti"])
    assert kw86(*mode, host(exe)) == (0, cxx_want, "")


# ---------------------------------------------------------------- ssp.c

@pytest.fixture(scope="module")
def ssp(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ssp")
    src = [os.path.join(SRC, "ssp.c")]
    return {
        # PIE-compiled code calls __stack_chk_fail_local, non-PIE __stack_chk_fail
        "pie-code": gcc_build(tmp, "ssp-pic", src, ["-O2", "-fstack-protector-strong"]),
        "nopie": gcc_build(tmp, "ssp", src, ["-O0", "-fno-pie", "-fstack-protector-all"]),
        # a GCC for Linux's own default: the canary at %gs:0x14 (glibc's TCB); the
        # start-up step has made %gs the main thread's TCB, as NetBSD's libc does
        "tls-guard": gcc_build(tmp, "ssp-tls", src, ["-O2", "-fstack-protector-strong",
                                                     "-mstack-protector-guard=tls"]),
    }


@pytest.mark.parametrize("mode", MODES, ids=MODE_IDS)
@pytest.mark.parametrize("kind", ["pie-code", "nopie", "tls-guard"])
def test_stack_protector(ssp, kind, mode):
    text = disasm(ssp[kind])
    assert re.search(r"call.*<__stack_chk_fail(_local)?>", text)
    assert ("%gs:0x14" in text) == (kind == "tls-guard")
    rc, out, err = kw86(*mode, host(ssp[kind]), "short")
    assert (rc, err) == (0, "")
    # constructors and destructors run; the guard came from kern.arandom
    assert out.splitlines() == ["constructor 1", "guard random", "copied 5", "destructor"]
    rc, out, err = kw86(*mode, host(ssp[kind]), "A" * 40)
    # the canary is overwritten: __stack_chk_fail raises SIGABRT (NetBSD __fail)
    assert rc == 128 + 6 and err == "Abort trap (core dumped)\n", (rc, out, err)
    assert out.splitlines() == ["constructor 1", "guard random"]
    rc, out, err = kw86(*mode, host(ssp[kind]), "A" * 40, "catch")
    assert rc == 128 + 6 and "caught" not in out, (rc, out, err)


def test_stack_protector_linked_by_hand(tmp_path):
    """Linked with plain GNU ld (no start-up wrapper): the guard is NetBSD's
    fallback terminator canary, which still catches the overflow."""
    crt, libc, inc = gcc_netbsd.userland_parts(OBJ)
    rt = gcc_netbsd.compiler_rt(OBJ, hostenv.ENV)
    o, exe = str(tmp_path / "ssp.o"), str(tmp_path / "ssp")
    for cmd in ([GCC, "-m32", "-march=i686", "-nostdinc", *inc, "-O2", "-fno-pie",
                 "-fstack-protector-all", "-mstack-protector-guard=global", "-c",
                 os.path.join(SRC, "ssp.c"), "-o", o],
                ["ld", "-m", "elf_i386", "-static", "-e", "_start", "-o", exe, *crt, o,
                 "--start-group", libc, rt, "--end-group"]):
        r = subprocess.run(cmd, capture_output=True, text=True, env=hostenv.ENV)
        assert r.returncode == 0, (cmd, r.stderr)
    for mode in MODES:
        rc, out, err = kw86(*mode, host(exe), "B" * 40)
        assert rc == 134 and out.splitlines()[1] == "guard terminator", (rc, out, err)


# ---------------------------------------------------------------- libctest

_zig_libctest = {}


@pytest.mark.parametrize("mode, variant", [([], "O0"), (["--kernelware"], "O2-hardened")],
                         ids=["user-O0", "kernelware-O2-hardened"])
def test_libctest_like_the_zig_build(tmp_path, variant, mode):
    exe = gcc_build(tmp_path, "libctest", [os.path.join(ROOT, "userland", "tests",
                                                        "libctest.c")],
                    VARIANTS[variant][0])
    rc, out, err = kw86(*mode, host(exe), "selftest")
    assert rc == 0 and err == "" and out.endswith("selftest: 0 failures\n"), (rc, out, err)
    assert "FAIL" not in out and out.count("\nok ") >= 45, out
    for args in (["signals"], ["switch"],
                 ["strto", "0x7fffffff", "-9223372036854775809", "077", "12abc"],
                 ["printf", "%08.3f", "f", "400921fb54442d18", "%-6d|", "i", "-42",
                  "%llx", "U", "0xfedcba9876543210", "%10.2e", "f", "c00921fb54442d18",
                  "%s", "s", "gcc"]):
        key = (tuple(mode), tuple(args))
        if key not in _zig_libctest:
            _zig_libctest[key] = kw86(*mode, "/usr/tests/kw86/libctest", *args)
        want = _zig_libctest[key]
        assert want[0] == 0, (args, want)
        assert kw86(*mode, host(exe), *args) == want, args


# ---------------------------------------------------------------- the tools

TOOLS = ["sh", "ls", "cp", "mv", "rm", "mkdir", "cat", "head", "wc", "echo"]
# ls -l of the MFS copy: its times are the guest's (KW86_EPOCH), the bound
# directory's the host's
SCRIPT = r"""
B=$1 U=$2
cd /w
$B/mkdir -p d/e/f
$B/echo hello world > d/a
i=0
while [ $i -lt 40 ]; do $B/echo "line $i of the file" >> d/b; i=$((i+1)); done
$B/cp d/b d/e/c
$B/cp -R d d2
$B/mv d2/a d2/renamed
$B/rm d2/b
$B/cat d/a d/b | $U/head -n 3
$U/wc d/b d/a
$U/wc -l < d/e/c
$B/ls -la d | $U/wc -l
$B/cp -R d d2 /tmp
$B/ls -lR /tmp/d2 /tmp/d
$B/ls -1 /g | $U/wc -l
$B/ls nosuch
echo "status $?"
$U/head -c 10 d/e/c; $B/echo
for f in d/a d2/renamed; do $B/cat $f; done
"""


@pytest.fixture(scope="module")
def tools(tmp_path_factory):
    """The sysroot's programs built by GCC at -O2 with Debian's hardening flags."""
    tmp = tmp_path_factory.mktemp("tools_gcc")
    bindir = os.path.join(ROOT, "userland", "bin")
    gcc_netbsd.compiler_rt(OBJ, hostenv.ENV)        # once, before the threads
    with ThreadPoolExecutor(2) as ex:
        list(ex.map(lambda name: gcc_build(tmp, name, [os.path.join(bindir, name + ".c")],
                                           VARIANTS["O2-hardened"][0]), TOOLS))
    return str(tmp)


def _tree(top):
    """What a run left: every path, its kind, mode and content hash."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(top):
        for n in dirnames + filenames:
            p = os.path.join(dirpath, n)
            st = os.lstat(p)
            h = None
            if os.path.isfile(p):
                with open(p, "rb") as f:
                    h = hashlib.sha256(f.read()).hexdigest()
            out[os.path.relpath(p, top)] = (oct(st.st_mode), st.st_size, h)
    return out


@pytest.mark.parametrize("mode", MODES, ids=MODE_IDS)
def test_tools_script_like_the_zig_tools(tools, tmp_path, mode):
    """A shell script run by the GCC-built sh with the GCC-built tools, against
    the sysroot's sh and tools: the same output, exit status and files left."""
    script = tmp_path / "s.sh"
    script.write_text(SCRIPT)
    runs = {}
    for which, shell, b, u in (("gcc", "/g/sh", "/g", "/g"),
                               ("zig", "/bin/sh", "/bin", "/usr/bin")):
        w = tmp_path / ("w-" + which)
        w.mkdir()
        runs[which] = (kw86(*mode, "--bind", f"{tools}:/g:ro", "--bind", f"{w}:/w",
                            "--bind", f"{tmp_path}:/s:ro", shell, "/s/s.sh", b, u),
                       _tree(str(w)))
    (g, gtree), (z, ztree) = runs["gcc"], runs["zig"]
    assert g == z
    assert gtree == ztree and len(gtree) == 11
    rc, out, err = g
    assert rc == 0 and "status 1" in out and "hello world" in out and \
        "ls: nosuch: No such file or directory" in err, g
