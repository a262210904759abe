"""The libc's floating point (issue 10 item 6): printf %f %F %e %E %g %G %a %A, strtod,
atof and the libm (userland/libc/format.c, strtod.c, libm/), checked against the
host's glibc.

Host: tests/fp/fpcheck.c is built with the host's gcc twice over: the kw86 libc's own
sources compiled for x86-64 with renamed symbols (kw86_strtod, kw86_sqrt ...), linked
next to glibc, so one binary answers with either (`fpcheck MODE` / `fpcheck MODE ref`).
The x87 code of the libm runs on the host's x87 (its control word is 0x037F, as
NetBSD's). Guest: the same fpcheck.c built against the libc for NetBSD/i386 runs
under kw86 in both modes; its answers must equal the host glibc's.
"""
import math
import os
import random
import shutil
import struct
import subprocess
from decimal import Decimal

import pytest

import hostenv
from buildreq import built

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
LIBC = os.path.join(ROOT, "userland", "libc")
INCLUDE = os.path.join(ROOT, "userland", "include")
FPCHECK = os.path.join(HERE, "fp", "fpcheck.c")
NBODY = os.path.join(ROOT, "userland", "bin", "nbody.c")
CC = shutil.which("gcc") or shutil.which("cc")
CI = bool(os.environ.get("CI"))
N_PRINTF = 10_000 if CI else 100_000
N_STRTOD = 5_000 if CI else 50_000
N_LIBM = 2_000 if CI else 20_000

LIBM_FUNCS1 = ("sqrt", "floor", "ceil", "fabs", "exp", "log", "sin", "cos",
               "trunc", "round", "tan", "atan", "log10")
LIBM_FUNCS2 = ("fmod", "pow", "atan2")
EXACT = {"sqrt", "floor", "ceil", "fabs", "fmod", "trunc", "round"}
RENAMES = ["strtod", "atof"] + list(LIBM_FUNCS1) + list(LIBM_FUNCS2)

pytestmark = [built(CC is not None, "a host C compiler (gcc) for the host build")]


def libc_sources():
    srcs = [os.path.join(LIBC, "format.c"), os.path.join(LIBC, "strtod.c")]
    libm = os.path.join(LIBC, "libm")
    if os.path.isdir(libm):
        srcs += sorted(os.path.join(libm, f) for f in os.listdir(libm) if f.endswith(".c"))
    return srcs


@pytest.fixture(scope="module")
def host_fpcheck(tmp_path_factory):
    out = tmp_path_factory.mktemp("fp")
    env = hostenv.env()
    objs = []
    flags = ["-O2", "-c", "-nostdinc", "-isystem", INCLUDE, "-I", LIBC, "-D_KW86_LIBC",
             "-ffreestanding", "-fno-builtin", "-Derrno=kw86_errno", "-D__errno=kw86___errno"]
    flags += [f"-D{n}=kw86_{n}" for n in RENAMES]
    for src in libc_sources():
        if not os.path.exists(src):
            pytest.fail(f"build failure: {src} is missing", pytrace=False)
        obj = str(out / (os.path.basename(src)[:-2] + ".o"))
        r = subprocess.run([CC] + flags + [src, "-o", obj], capture_output=True,
                           text=True, env=env)
        assert r.returncode == 0, f"host build of {src} failed:\n{r.stderr}"
        objs.append(obj)
    exe = str(out / "fpcheck")
    r = subprocess.run([CC, "-O2", "-DFP_HOST", FPCHECK] + objs + ["-lm", "-o", exe],
                       capture_output=True, text=True, env=env)
    assert r.returncode == 0, f"host build of fpcheck failed:\n{r.stderr}"
    return exe


def run_host(exe, mode, lines, ref=False):
    argv = [exe, mode] + (["ref"] if ref else [])
    r = subprocess.run(argv, input="".join(l + "\n" for l in lines).encode("latin-1"),
                       capture_output=True, env=hostenv.env(), timeout=300)
    assert r.returncode == 0, r.stderr
    return r.stdout.decode("latin-1").split("\n")[:-1]


# --------------------------------------------------------------------------- cases

def random_bits(rng):
    """A double's bits: every kind of value, weighted toward the hard ones."""
    k = rng.random()
    sign = rng.getrandbits(1) << 63
    if k < 0.30:                                  # any bit pattern
        return rng.getrandbits(64)
    if k < 0.40:                                  # subnormals
        return sign | rng.getrandbits(rng.randint(1, 52))
    if k < 0.55:                                  # halfway cases: few bits after the point
        v = rng.randint(0, 1 << rng.randint(1, 40)) / (1 << rng.randint(0, 12))
        return sign | struct.unpack("<Q", struct.pack("<d", v))[0]
    if k < 0.65:                                  # near powers of ten
        v = 10.0 ** rng.randint(-320, 308)
        b = struct.unpack("<Q", struct.pack("<d", v))[0]
        return sign | max(0, min(0x7fefffffffffffff, b + rng.randint(-3, 3)))
    if k < 0.70:                                  # huge and tiny exponents
        e = rng.choice([0, 1, 2, 0x7fd, 0x7fe, 0x7ff])
        return sign | (e << 52) | rng.choice([0, 1, rng.getrandbits(52), (1 << 52) - 1])
    if k < 0.72:
        return sign | rng.choice([0, 0x7ff0000000000000, 0x7ff8000000000000])
    e = rng.randint(1023 - 30, 1023 + 60)         # ordinary magnitudes
    return sign | (e << 52) | rng.getrandbits(52)


def random_format(rng):
    conv = rng.choice("fFeEgGaA")
    flags = "".join(rng.sample("-+ #0", rng.randint(0, 3)))
    width = rng.choice(["", "", str(rng.randint(1, 40))])
    r = rng.random()
    if r < 0.25:
        prec = ""
    elif r < 0.97:
        prec = "." + str(rng.randint(0, 25))
    elif r < 0.99:
        prec = "." + str(rng.randint(26, 400))
    else:
        prec = "." + str(rng.randint(700, 1200))
    return f"%{flags}{width}{prec}{conv}"


def printf_cases(seed, n):
    rng = random.Random(seed)
    fixed = [("%.0f", 0x3fe0000000000000), ("%.0f", 0x3ff8000000000000),
             ("%.0f", 0x4004000000000000), ("%.1f", 0x3fb999999999999a),
             ("%.17g", 0x3fb999999999999a), ("%.1074f", 1), ("%.0e", 0x4014000000000000),
             ("%#.0e", 0x4014000000000000), ("%#g", 0), ("%g", 0x8000000000000000),
             ("%a", 0), ("%.0a", 0x3ff8000000000000), ("%.0a", 0x3ff0000000000001),
             ("%.1a", 0x3ff0800000000000), ("%.1a", 0x3ff1800000000000),
             ("%A", 0xfff0000000000000), ("%+010a", 0x7ff8000000000000),
             ("%+010.3e", 0x8000000000000000), ("% -12.4g", 0x3f1a36e2eb1c432d),
             ("%.500e", 0x7fefffffffffffff), ("%f", 0x7fefffffffffffff),
             ("%.3000f", 0x0000000000000001), ("%#.3000g", 0x4000000000000000),
             ("%+#G", 0xc12e847ffffffffd), ("%#.3g", 0x4058fd70a3d70a3d)]
    cases = [(f, b) for f, b in fixed]
    while len(cases) < n:
        cases.append((random_format(rng), random_bits(rng)))
    return [f"{f}\t{b:016x}" for f, b in cases[:n]]


def glibc_hash_g_bug(case, ours):
    """glibc's %#g drops the trailing zeros it must keep when rounding carries into the
    next power of ten and switches to e-style (printf("%#G", -999999.9999999997) gives
    "-1.E+06", C says "-1.00000E+06"): for %#g/%#G, Python's own C-style formatting
    (not glibc's) decides."""
    fmt, bits = case.split("\t")
    if fmt[-1] not in "gG" or "#" not in fmt:
        return False
    py = fmt % struct.unpack("<d", struct.pack("<Q", int(bits, 16)))[0]
    return ours == f"{len(py)}|{py}"


def check_printf(ours, ref, lines):
    assert len(ours) == len(ref) == len(lines)
    bad = [(c, o, r) for c, o, r in zip(lines, ours, ref)
           if o != r and not glibc_hash_g_bug(c, o)]
    assert not bad, f"{len(bad)} of {len(lines)} differ; first: " + "\n".join(
        f"{c!r}: ours {o[:120]!r} host {r[:120]!r}" for c, o, r in bad[:5])


def dec_string(rng):
    """A decimal number as strtod reads it: random digits, points, exponents, signs."""
    k = rng.random()
    sign = rng.choice(["", "", "-", "+"])
    if k < 0.5:
        nd = rng.randint(1, 25) if rng.random() < 0.9 else rng.randint(26, 900)
        digits = "".join(rng.choice("0123456789") for _ in range(nd))
        point = rng.randint(0, nd)
        mant = digits[:point] + "." + digits[point:] if rng.random() < 0.7 else digits
        if mant == ".":
            mant = "0."
        exp = rng.randint(-360, 330)
        return sign + mant + (rng.choice("eE") + str(exp) if rng.random() < 0.8 else "")
    if k < 0.8:
        # the exact midpoint between two adjacent doubles, or a hair above/below it
        b = random_bits(rng) & 0x7fefffffffffffff
        lo = struct.unpack("<d", struct.pack("<Q", b))[0]
        hi = struct.unpack("<d", struct.pack("<Q", b + 1))[0]
        mid = (Decimal(lo) + Decimal(hi)) / 2
        s = format(mid, "e") if mid else "0"
        tweak = rng.random()
        if tweak < 0.2 and mid:
            s = format(mid.next_plus(), "e")
        elif tweak < 0.4 and mid:
            s = format(mid.next_minus(), "e")
        return sign + s
    if k < 0.9:
        m = "".join(rng.choice("0123456789abcdefABCDEF") for _ in range(rng.randint(1, 20)))
        p = rng.randint(0, len(m))
        return (sign + rng.choice(["0x", "0X"]) + m[:p] + "." + m[p:] +
                rng.choice(["", "p" + str(rng.randint(-1100, 1100))]))
    return sign + rng.choice(["inf", "INF", "infinity", "Infinity", "infinit", "nan",
                              "NaN", "nan(123)", "nan(", "0x", "0x.p1", ".", "e5", "1e",
                              "1e+", "  12.5xyz", "\t-0", "0.000", "1e-400", "1e400",
                              "2.4703282292062327e-324", "2.4703282292062328e-324",
                              "1.7976931348623158e308", "1.7976931348623159e308",
                              "0x1p-1075", "0x1.0000000000001p-1075", "0x1p1024",
                              "0x1.fffffffffffff8p1023", "0x1.fffffffffffff7ffp1023"])


def strtod_cases(seed, n):
    rng = random.Random(seed)
    return [dec_string(rng) for _ in range(n)]


def nan_aware_equal(a, b):
    fa = struct.unpack("<d", bytes.fromhex(a)[::-1])[0]
    fb = struct.unpack("<d", bytes.fromhex(b)[::-1])[0]
    if math.isnan(fa) and math.isnan(fb):
        return True
    return a == b


def check_strtod(ours, ref, lines):
    assert len(ours) == len(ref) == len(lines)
    bad = []
    for c, o, r in zip(lines, ours, ref):
        ob, oe, oerr = o.split("|")
        rb, re_, rerr = r.split("|")
        if not nan_aware_equal(ob, rb) or oe != re_ or oerr != rerr:
            bad.append((c, o, r))
    assert not bad, f"{len(bad)} of {len(lines)} differ; first: " + "\n".join(
        f"{c[:80]!r}: ours {o} host {r}" for c, o, r in bad[:5])


def libm_cases(seed, n):
    rng = random.Random(seed)
    out = []

    def h(v):
        return struct.unpack("<Q", struct.pack("<d", v))[0]

    specials = [0.0, -0.0, float("inf"), float("-inf"), float("nan"), 1.0, -1.0, 0.5,
                -0.5, 2.0, 5e-324, 1e308, -2.5, 3.0]
    while len(out) < n:
        f = rng.choice(LIBM_FUNCS1 + LIBM_FUNCS2)
        r = rng.random()
        if r < 0.15:
            # sin/cos/tan reduce exactly enough below 2^30 only (above, the x87's
            # own reduction, as inexact as the hardware's): no 1e308 for them
            x, y = rng.choice(specials), rng.choice(specials)
            if f in ("sin", "cos", "tan") and abs(x) == 1e308:
                x = 1e5
        elif f in ("sin", "cos", "tan"):
            x, y = rng.uniform(-1e5, 1e5) if r < 0.6 else rng.uniform(-10, 10), 0.0
        elif f in ("exp",):
            x, y = rng.uniform(-745, 709), 0.0
        elif f == "pow":
            x = rng.uniform(0, 100) if r < 0.7 else -float(rng.randint(1, 20))
            y = rng.uniform(-60, 60) if r < 0.7 else float(rng.randint(-30, 30))
        elif f in ("log", "log10", "sqrt"):
            x, y = math.exp(rng.uniform(-700, 700)) if r < 0.6 else rng.uniform(0.5, 2), 0.0
        elif f in ("floor", "ceil", "trunc", "round", "fabs"):
            x, y = rng.uniform(-1e6, 1e6) if r < 0.5 else \
                struct.unpack("<d", struct.pack("<Q", random_bits(rng)))[0], 0.0
        else:                                   # fmod, atan2, atan
            x = struct.unpack("<d", struct.pack("<Q", random_bits(rng)))[0]
            y = struct.unpack("<d", struct.pack("<Q", random_bits(rng)))[0]
            if r < 0.6:
                x, y = rng.uniform(-1e6, 1e6), rng.uniform(-100, 100)
        out.append(f"{f} {h(x):016x} {h(y):016x}")
    return out


def ulps(a, b):
    """Distance of two doubles (as hex bits) in units in the last place."""
    ia, ib = int(a, 16), int(b, 16)

    def key(i):
        return -(i & ~(1 << 63)) if i >> 63 else i
    return abs(key(ia) - key(ib))


def check_libm(ours, ref, lines):
    assert len(ours) == len(ref) == len(lines)
    bad = []
    for c, o, r in zip(lines, ours, ref):
        f = c.split()[0]
        if nan_aware_equal(o, r):
            continue
        fo = struct.unpack("<d", bytes.fromhex(o)[::-1])[0]
        if f not in EXACT and not math.isnan(fo) and ulps(o, r) <= 1:
            continue
        bad.append((c, o, r))
    assert not bad, f"{len(bad)} of {len(lines)} differ; first: " + "\n".join(
        f"{c}: ours {o} host {r}" for c, o, r in bad[:8])


# --------------------------------------------------------------------------- host

def test_printf_host(host_fpcheck):
    lines = printf_cases(10, N_PRINTF)
    check_printf(run_host(host_fpcheck, "printf", lines),
                 run_host(host_fpcheck, "printf", lines, ref=True), lines)


def test_strtod_host(host_fpcheck):
    lines = strtod_cases(11, N_STRTOD)
    check_strtod(run_host(host_fpcheck, "strtod", lines),
                 run_host(host_fpcheck, "strtod", lines, ref=True), lines)


def test_strtod_roundtrip_host(host_fpcheck):
    rng = random.Random(12)
    bits = [random_bits(rng) for _ in range(N_STRTOD)]
    bits = [b for b in bits if (b >> 52) & 0x7ff != 0x7ff]
    out = run_host(host_fpcheck, "roundtrip", [f"{b:016x}" for b in bits])
    bad = [(b, o) for b, o in zip(bits, out) if o != f"{b:016x} {b:016x}"]
    assert len(out) == len(bits) and not bad, bad[:5]


def test_libm_host(host_fpcheck):
    lines = libm_cases(13, N_LIBM)
    check_libm(run_host(host_fpcheck, "libm", lines),
               run_host(host_fpcheck, "libm", lines, ref=True), lines)


# --------------------------------------------------------------------------- guest

N_GUEST = int(os.environ.get("KW86_FP_GUEST_N", 2000 if CI else 5000))   # the 100,000: KW86_FP_GUEST_N=100000


def _guest_env():
    """The kw86 machine, the sysroot and the guest build of fpcheck (imported lazily:
    the host tests above need none of them)."""
    from test_userland_e2e import HAVE_MACHINE, SYSROOT, kw
    return HAVE_MACHINE, SYSROOT, kw


@pytest.fixture(scope="module")
def guest(tmp_path_factory):
    """(run, sysroot): run(mode, lines, kernelware) -> output lines of the guest's
    fpcheck, built with the project's zig against the libc (objects cached apart from
    userland/.obj, as tests/test_libc_guest.py does)."""
    import importlib.util
    import tempfile
    from buildreq import need_module
    have_machine, sysroot, kw = _guest_env()
    if not have_machine:
        pytest.fail("not built: the kw86 machine (kw86.machine)", pytrace=False)
    need_module("ziglang")
    spec = importlib.util.spec_from_file_location(
        "kw86_userland_build_for_fp", os.path.join(ROOT, "userland", "build.py"))
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    out = str(tmp_path_factory.mktemp("fp_guest"))
    obj = os.path.join(tempfile.gettempdir(), f"kw86-fp-guest-obj-{os.getuid()}")
    b = build.Builder(out, obj_dir=obj, jobs=2)
    build.check_zig()
    b.prepare()
    b.generate()
    libc = b.build_libc()
    crt0 = b.build_crt0()
    o = b.objpath(FPCHECK, "fp")
    b.compile_all([(FPCHECK, o)])
    b.link("fpcheck", [o], crt0, libc, os.path.join(out, "fpcheck"))

    def run(mode, lines, kernelware):
        r = kw("/t/fpcheck", mode, stdin="".join(l + "\n" for l in lines),
               kernelware=kernelware, binds=[(out, "/t")])
        assert r.rc == 0, r.err
        return r.out.split("\n")[:-1]
    return run, sysroot


MODES = [pytest.param(False, id="user"), pytest.param(True, id="kernelware")]


@pytest.mark.parametrize("kernelware", MODES)
def test_printf_guest(guest, host_fpcheck, kernelware):
    run, _ = guest
    lines = printf_cases(20 + kernelware, N_GUEST)
    check_printf(run("printf", lines, kernelware),
                 run_host(host_fpcheck, "printf", lines, ref=True), lines)


@pytest.mark.parametrize("kernelware", MODES)
def test_strtod_guest(guest, host_fpcheck, kernelware):
    run, _ = guest
    lines = strtod_cases(22 + kernelware, N_GUEST)
    check_strtod(run("strtod", lines, kernelware),
                 run_host(host_fpcheck, "strtod", lines, ref=True), lines)
    rng = random.Random(24)
    bits = [b for b in (random_bits(rng) for _ in range(N_GUEST // 2))
            if (b >> 52) & 0x7ff != 0x7ff]
    out = run("roundtrip", [f"{b:016x}" for b in bits], kernelware)
    assert out == [f"{b:016x} {b:016x}" for b in bits]


@pytest.mark.parametrize("kernelware", MODES)
def test_libm_guest(guest, host_fpcheck, kernelware):
    """The x87 libm run on kw86's x87 (the kernel gives the process the FPU)."""
    run, _ = guest
    lines = libm_cases(25 + kernelware, N_GUEST)
    check_libm(run("libm", lines, kernelware),
               run_host(host_fpcheck, "libm", lines, ref=True), lines)


@pytest.mark.parametrize("kernelware", MODES)
def test_nbody_guest_matches_host(guest, tmp_path, kernelware):
    """The sysroot's /usr/bin/nbody prints what the host's build of nbody.c prints."""
    _, sysroot = guest
    _, _, kw = _guest_env()
    prog = os.path.join(sysroot, "usr", "bin", "nbody")
    if not os.path.exists(prog):
        pytest.fail("not built: /usr/bin/nbody in the sysroot", pytrace=False)
    exe = str(tmp_path / "nbody")
    r = subprocess.run([CC, "-O2", NBODY, "-lm", "-o", exe], capture_output=True,
                       text=True, env=hostenv.env())
    assert r.returncode == 0, r.stderr
    steps = "2000"
    host = subprocess.run([exe, steps], capture_output=True, text=True,
                          env=hostenv.env()).stdout
    assert host.splitlines()[0] == "-0.169075164"
    g = kw("/usr/bin/nbody", steps, kernelware=kernelware)
    assert g.rc == 0 and g.out == host, (g.out, g.err)
