#!/usr/bin/env python3
"""Build a NetBSD/i386 program with the host's GCC and GNU ld against kw86's libc.

Everything in the sysroot is built by zig cc (clang + lld); this is the other
toolchain: the host's own ``gcc -m32`` (no multilib needed: nothing of the host's
C library or libgcc is used) compiles against userland/include, and GNU ld links
the objects with the crt0 and libc.a that userland/build.py left in userland/.obj.

    python3 tools/gcc_netbsd.py [GCC OPTIONS] -o OUT SRC.c [SRC2.c ...]

GCC OPTIONS go to every compile (-O0/-O2/-O3/-Os, -fomit-frame-pointer,
-fcf-protection=full, -fstack-protector-strong, -D X, -I DIR ...), -Wl,... to the
link.  Debian's defaults stay as they are (PIE code: -fPIE, __x86.get_pc_thunk),
except that the link is static and not PIE (``-no-pie``) unless ``--pie`` is
given (a static PIE against a PIC libc, ``--obj`` of build.py's PIE build).
``--ksyms FILE`` links a kernelware against the kernel's symbol addresses
(``kw86 ksyms``), as build.py does.

The stack protector uses NetBSD's convention, the global ``__stack_chk_guard``
(``-mstack-protector-guard=global``, as NetBSD's own GCC does).  GCC for Linux
reads the canary at %gs:0x14 (glibc's TCB) by default; code built that way
(``-mstack-protector-guard=tls`` after the defaults) works too, because the
start-up step below makes %gs the main thread's TCB first, as NetBSD's libc
does for a static program (a program linked by hand without it faults there).

crt0 calls main through tools/gcc_netbsd_start.c (``-Wl,--wrap=main``): the
main thread's TLS set up, the stack protector's guard made random (libc's
__guard_setup; without it the guard is NetBSD's fallback terminator canary),
then the program's constructors (.init_array; destructors through atexit),
which kw86's crt0 does not run.

C++ sources (.cc, .cpp, .cxx, .C) go through gcc's C++ front end and the
program gets tools/gcc_netbsd_cxxrt.c: freestanding C++ (-fno-exceptions
-fno-rtti; there is no libstdc++ for NetBSD/i386 here, and code that needs the
unwinder fails to link, naming __gxx_personality_v0).

The 64-bit division and conversion helpers GCC calls (__udivdi3, __divdi3,
__umoddi3, __moddi3, __fixunsxfdi, ...) are not in libc.a: zig links them from
its compiler-rt into every zig-built program.  For GCC links the same
compiler-rt is built once as an object by the ziglang package (``zig build-obj
lib/compiler_rt.zig`` for the same target and CPU as the userland) and
archived as userland/.obj/gcc/libcompiler_rt.a, searched after libc.a (so
libc's definitions win over compiler-rt's weak ones, __stack_chk_fail among
them).
"""
import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
USERLAND = os.path.join(ROOT, "userland")
DEFAULT_OBJ = os.path.join(USERLAND, ".obj")

# The target of userland/build.py's TARGET_FLAGS: an i686 (x87, no SSE).
GCC_TARGET = ["-m32", "-march=i686"]
# What any C program needs against a foreign libc: our headers only.
GCC_BASE = GCC_TARGET + ["-nostdinc", "-mstack-protector-guard=global"]
ZIG_RT_TARGET = ["-target", "x86-freestanding-none", "-mcpu=i686"]
LINK_BASE = ["-m32", "-nostdlib", "-static", "-Wl,-e,_start", "-Wl,--gc-sections",
             "-Wl,--wrap=main"]
# the guard and the constructors before main (see the file)
START_SRC = os.path.join(ROOT, "tools", "gcc_netbsd_start.c")
# C++ sources (compiled by gcc's C++ front end, cc1plus) also get a small C++
# runtime: operator new/delete, __cxa_atexit ... (no libstdc++, no exceptions)
CXX_EXTS = (".cc", ".cpp", ".cxx", ".C")
CXXRT_SRC = os.path.join(ROOT, "tools", "gcc_netbsd_cxxrt.c")


class BuildError(Exception):
    pass


def gcc():
    cc = shutil.which("gcc")
    if cc is None:
        raise BuildError("no gcc on PATH (apt-get install gcc)")
    return cc


def _run(cmd, what, env=None):
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        raise BuildError("%s failed:\n$ %s\n%s%s" % (what, " ".join(cmd), p.stdout, p.stderr))
    return p


def userland_parts(obj=DEFAULT_OBJ):
    """(crt objects in link order, libc.a, include flags) of the zig build in obj."""
    libc = os.path.join(obj, "libc.a")
    crtdir = os.path.join(obj, "crt")
    crt = sorted(os.path.join(crtdir, f) for f in os.listdir(crtdir)
                 if f.endswith(".o")) if os.path.isdir(crtdir) else []
    gen_inc = os.path.join(obj, "gen", "include")
    missing = [p for p in (libc, gen_inc) if not os.path.exists(p)]
    if missing or not crt:
        raise BuildError("the userland is not built (missing %s): run userland/build.py"
                         % ", ".join(missing or [crtdir]))
    # crt0.o first: _start, then the NetBSD note
    crt.sort(key=lambda p: (not os.path.basename(p).startswith("crt_crt0"), p))
    inc = ["-isystem", os.path.join(USERLAND, "include"), "-isystem", gen_inc]
    return crt, libc, inc


def zig_version(env=None):
    return _run([sys.executable, "-m", "ziglang", "version"], "zig version",
                env).stdout.strip()


def compiler_rt(obj=DEFAULT_OBJ, env=None):
    """userland/.obj/gcc/libcompiler_rt.a, built by zig once per zig version."""
    outdir = os.path.join(obj, "gcc")
    lib = os.path.join(outdir, "libcompiler_rt.a")
    stamp = lib + ".stamp"
    want = " ".join([zig_version(env)] + ZIG_RT_TARGET + ["sections"]) + "\n"
    try:
        with open(stamp) as f:
            if f.read() == want and os.path.exists(lib):
                return lib
    except OSError:
        pass
    os.makedirs(outdir, exist_ok=True)
    zig_lib = _run([sys.executable, "-m", "ziglang", "env"], "zig env", env).stdout
    lib_dir = None
    for line in zig_lib.splitlines():         # .lib_dir = "/.../ziglang/lib",
        line = line.strip()
        if line.startswith(".lib_dir"):
            lib_dir = line.split("=", 1)[1].strip().rstrip(",").strip('"')
    if not lib_dir or not os.path.exists(os.path.join(lib_dir, "compiler_rt.zig")):
        raise BuildError("zig's compiler_rt.zig not found (zig env: lib_dir %r)" % lib_dir)
    tmp = tempfile.mkdtemp(prefix="rt.", dir=outdir)
    try:
        o = os.path.join(tmp, "compiler_rt.o")
        _run([sys.executable, "-m", "ziglang", "build-obj"] + ZIG_RT_TARGET +
             ["-OReleaseFast", "-fstrip", "-ffunction-sections", "-fdata-sections",
              "-femit-bin=" + o,
              os.path.join(lib_dir, "compiler_rt.zig")], "zig build-obj compiler_rt", env)
        a = os.path.join(tmp, "libcompiler_rt.a")
        _run([sys.executable, "-m", "ziglang", "ar", "rcs", a, o], "zig ar", env)
        os.replace(a, lib)
        with open(stamp + ".tmp", "w") as f:
            f.write(want)
        os.replace(stamp + ".tmp", stamp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return lib


def start_object(cc, inc, obj=DEFAULT_OBJ, env=None, src=None):
    """tools/gcc_netbsd_start.c (or src) compiled once (per source and flags)
    into obj/gcc."""
    src = src or START_SRC
    flags = GCC_BASE + inc + ["-O2", "-fno-stack-protector"]
    with open(src, "rb") as f:
        key = hashlib.sha256(f.read() + "\0".join([cc] + flags).encode()).hexdigest()[:16]
    out = os.path.join(obj, "gcc", "%s-%s.o" % (os.path.basename(src)[:-2], key))
    if not os.path.exists(out):
        os.makedirs(os.path.dirname(out), exist_ok=True)
        tmp = "%s.%d.%d.tmp" % (out, os.getpid(), threading.get_ident())
        _run([cc] + flags + ["-c", src, "-o", tmp], "gcc -c " + src, env)
        os.replace(tmp, out)
    return out


def build(sources, output, cflags=(), pie=False, ksyms=None, obj=DEFAULT_OBJ, env=None,
          ldflags=()):
    """Compile sources with gcc and link output; returns output."""
    crt, libc, inc = userland_parts(obj)
    rt = compiler_rt(obj, env)
    cc = gcc()
    output = os.path.abspath(output)
    with tempfile.TemporaryDirectory(prefix="gcc-netbsd.") as tmp:
        objs = []
        for i, src in enumerate(sources):
            if src.endswith((".o", ".a")):
                objs.append(src)
                continue
            o = os.path.join(tmp, "%d_%s.o" % (i, os.path.basename(src).rsplit(".", 1)[0]))
            _run([cc] + GCC_BASE + inc + list(cflags) + ["-c", src, "-o", o],
                 "gcc -c " + src, env)
            objs.append(o)
        objs.append(start_object(cc, inc, obj, env))
        if any(src.endswith(CXX_EXTS) for src in sources):
            objs.append(start_object(cc, inc, obj, env, CXXRT_SRC))
        link = [cc] + LINK_BASE + (["-static-pie"] if pie else ["-no-pie"])
        if ksyms:
            # GNU ld: an implicit script (an input file) adds its assignments to
            # the default layout; -T would replace the layout
            link.append(os.path.abspath(ksyms))
        link += list(ldflags) + crt + objs + ["-Wl,--start-group", libc, rt, "-Wl,--end-group",
                                              "-o", output + ".tmp"]
        _run(link, "gcc (ld) " + os.path.basename(output), env)
        os.replace(output + ".tmp", output)
    return output


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], allow_abbrev=False)
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--pie", action="store_true", help="link a static PIE (ET_DYN)")
    ap.add_argument("--ksyms", help="linker script of kernel symbol addresses (kw86 ksyms)")
    ap.add_argument("--obj", default=DEFAULT_OBJ, help="the userland build (userland/.obj)")
    args, rest = ap.parse_known_args(argv)
    ldflags, sources, cflags = [], [], []
    it = iter(rest)
    for a in it:
        if a.startswith("-Wl,"):
            ldflags.append(a)
        elif a in ("-I", "-D", "-U", "-include", "-isystem", "-iquote"):
            cflags += [a, next(it, "")]         # an option with its argument apart
        elif a.startswith("-"):
            cflags.append(a)
        else:
            sources.append(a)
    if not sources:
        ap.error("no source files")
    try:
        build(sources, args.output, cflags, pie=args.pie, ksyms=args.ksyms, obj=args.obj,
              ldflags=ldflags)
    except BuildError as e:
        sys.stderr.write("%s\n" % e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
