"""Build kw86: the Cython machine (kw86/*.pyx) and the guest userland sysroot.

Every kw86/*.pyx becomes an extension compiled with optimisation on.  After
the extensions, the userland (userland/build.py, driving zig from PyPI) is
built into kw86/sysroot (and locore.S assembled into kw86/nbsd/locore.json) so that a plain `pip install` yields a runnable
NetBSD/i386 sysroot.
"""
import glob
import os
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))


def extensions():
    # KW86_ONLY=decoder,exec builds just those (developer builds while other
    # modules are being edited); the default builds all.
    only = {m for m in os.environ.get("KW86_ONLY", "").split(",") if m}
    exts = []
    for pyx in sorted(glob.glob(os.path.join("kw86", "*.pyx"))):
        name = pyx[:-4].replace(os.sep, ".")
        if only and name.split(".")[-1] not in only:
            continue
        args = ["-O2", "-fno-strict-aliasing", "-Wno-unused-function",
                "-Wno-unreachable-code", "-Wno-maybe-uninitialized"]
        if name == "kw86.exec":
            # blk_exec's threaded dispatch (exec_block.pxi): every uop ends in
            # its own computed goto; cross-jumping would merge the identical
            # tails into one shared indirect jump (one branch-predictor entry
            # for all uop kinds), and GCC's manual advises -fno-gcse for
            # computed gotos
            args += ["-fno-crossjumping", "-fno-gcse"]
        # KW86_EXTRA_CFLAGS: appended to every extension's flags, after the
        # ones above, for measuring others (KW86_EXTRA_CFLAGS=-O3).  Measured
        # and not taken (2026-12-07, README "Developer builds"): -O3, PGO
        # (-fprofile-generate / -use, trained on the C mix and Go strings),
        # -fno-semantic-interposition -fno-plt, -march=x86-64-v2 -- at most
        # 7 % fewer host instructions, 0-4 % CPU on Go, a loss on CRC32.
        args += os.environ.get("KW86_EXTRA_CFLAGS", "").split()
        exts.append(Extension(name, [pyx], extra_compile_args=args))
    if not exts:
        return []
    from Cython.Build import cythonize
    return cythonize(exts, language_level=3, compiler_directives={
        "boundscheck": False, "wraparound": False, "cdivision": True,
        "initializedcheck": False, "embedsignature": True,
    }, nthreads=0)


class BuildAll(build_ext):
    """build_ext, then the guest userland into the package's sysroot."""

    def run(self):
        super().run()
        self.build_locore()
        self.build_userland()
        self.build_bytecode()

    def _pkg_dir(self, *parts):
        if self.inplace or self.editable_mode:
            return os.path.join(HERE, "kw86", *parts)
        return os.path.join(os.path.abspath(self.build_lib), "kw86", *parts)

    def build_locore(self):
        """Assemble the kernel's entry code (kw86/nbsd/locore.S) with zig into locore.json."""
        if os.environ.get("KW86_NO_USERLAND"):
            return
        mod = _load_file("kw86_build_locore", os.path.join(HERE, "kw86", "nbsd", "build_locore.py"))
        out = self._pkg_dir("nbsd")
        os.makedirs(out, exist_ok=True)
        mod.write(out)

    def build_bytecode(self):
        """Compile kw86's Python modules to bytecode in a developer (in-place or
        editable) build, as pip does for an ordinary install: `kw86 exec` then
        starts from .pyc files even where Python writes none
        (PYTHONDONTWRITEBYTECODE), instead of compiling every module it
        imports on every run (issue 12: start-up time)."""
        # the cycle profiles' start-up copies (kw86/tomlcache.py: no tomllib
        # at run time), into what is installed
        profiles = self._pkg_dir("profiles")
        if os.path.isdir(profiles):
            _load_file("kw86_tomlcache", os.path.join(HERE, "kw86", "tomlcache.py")).write_cache(
                profiles)
        if not (self.inplace or self.editable_mode):
            return                      # pip compiles what it installs
        import compileall
        import re
        compileall.compile_dir(os.path.join(HERE, "kw86"), quiet=1,
                               rx=re.compile(r"[/\\]sysroot[/\\]"))
        # and the instruction tables' start-up copies (kw86/isa/__init__.py,
        # decoder.pyx), made by importing the decoder just built where Python
        # may write them (a pip install makes them on its first run instead:
        # they are keyed by the decoder file's size and mtime)
        import subprocess
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPATH"] = HERE
        subprocess.run([sys.executable, "-c", "import kw86.decoder"], cwd=HERE, env=env,
                       check=False)
        # and kw86 exec's start-up bundle (kw86/startup_bundle.py), which a
        # run makes at the end of its start-up
        if os.path.exists(os.path.join(HERE, "kw86", "sysroot", "usr", "bin", "true")):
            subprocess.run([sys.executable, "-m", "kw86.cli", "exec", "/usr/bin/true"], cwd=HERE,
                           env=env, check=False, stdout=subprocess.DEVNULL)

    def build_userland(self):
        script = os.path.join(HERE, "userland", "build.py")
        if not os.path.exists(script) or os.environ.get("KW86_NO_USERLAND"):
            return
        dest = self._pkg_dir("sysroot")
        build_sysroot = _load_file("kw86_userland_build", script).build_sysroot
        build_sysroot(dest)


def _load_file(name, path):
    """Import a build script by path (no sys.path games: PyPI's `build` must not clash)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


setup(ext_modules=extensions(), cmdclass={"build_ext": BuildAll})
