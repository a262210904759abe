#!/usr/bin/env python3
"""Build the kw86 guest userland: libc, crt0 and every program, into a sysroot.

Two ways in:

* ``build_sysroot(dest)``: called by setup.py during ``pip install`` (this file is
  imported as module ``build``, so only the standard library is imported at the top).
* ``python userland/build.py [--dest DIR] [-j N] [-v] [--clean]``: the developer
  command.  Incremental: an object is rebuilt when its source or any header it
  includes (from the compiler's dependency file) is newer; an executable is relinked
  when an object, crt0 or libc.a is newer.  Default dest: ``kw86/sysroot``.
* ``python userland/build.py --program SRC... -o OUT [--ksyms FILE]`` or
  ``build_program(sources, output, ksyms)``: one program of your own against this
  libc, optionally linked with the kernel's symbol addresses (a kernelware).

Every guest file is compiled by zig's clang (``sys.executable -m ziglang cc``, from the
``ziglang`` wheel pinned in pyproject.toml) for a freestanding i686 and linked static
at NetBSD/i386's usual text address.  The result is a NetBSD 10 ELF executable: crt0
carries the ``.note.netbsd.ident`` note, which lld puts in a PT_NOTE segment.

Layout of the sources (see userland/README.md):

    libc/syscalls.master   the system-call table (number, stub kind, symbol, prototype)
    libc/*.c, libc/i386/*.S  the C library; the stubs are generated from the table
    crt/                   crt0 (_start and the NetBSD note)
    include/               the libc's headers (NetBSD layouts and constants)
    bin/NAME.c, bin/NAME/  programs (one executable each), installed per INSTALL_MAP
    tests/NAME.c           libc test programs, installed under /usr/tests/kw86
    sysroot-skel/          files copied verbatim into the sysroot (/etc/passwd, ...)
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEFAULT_DEST = os.path.join(ROOT, "kw86", "sysroot")
DEFAULT_OBJ = os.path.join(HERE, ".obj")

ZIG_VERSION = "0.17.1"

# Code generation.  -mcpu=i686: without it zig targets a CPU with SSE2 and uses it; an
# i686 has the x87 (kw86 executes it), so float and double code is x87 code with the
# i386 SysV ABI NetBSD/i386 uses: doubles passed on the stack, returned in st(0),
# long double the 80-bit format in 12 bytes.  Integer-only code executes no x87
# instruction (printf reads a double's bits as an integer; only %Lf loads the FPU).
TARGET_FLAGS = [
    "-target", "x86-freestanding-none", "-mcpu=i686",
]
CFLAGS = TARGET_FLAGS + [
    "-O2", "-std=gnu11", "-fno-strict-aliasing",
    "-ffreestanding", "-fno-builtin", "-fno-stack-protector",
    "-fno-pic", "-fno-pie",
    "-fno-omit-frame-pointer",                 # readable backtraces in the emulator
    "-fno-asynchronous-unwind-tables", "-fno-unwind-tables",
    "-ffunction-sections", "-fdata-sections",  # with --gc-sections: only what is used
    "-nostdinc",
    "-Wall", "-Wno-unused-command-line-argument",
]
# -nostdlib drops zig's libc and crt files; -rtlib=compiler-rt brings compiler-rt back
# (64-bit division __udivdi3 & co., soft float).  compiler-rt carries ~800 KB of DWARF;
# zig's -Wl,--strip-debug also drops the symbol table, so strip_debug() below removes
# just the .debug_* sections after linking.
LDFLAGS = TARGET_FLAGS + [
    "-nostdlib", "-rtlib=compiler-rt", "-static",
    "-Wl,-e,_start", "-Wl,--image-base=0x8048000",
    "-Wl,--gc-sections", "-Wl,--build-id=none",
    "-Wl,-z,norelro",
]

# A PIE (build_program(..., pie=True)): the same code generation but position
# independent, linked -pie (ET_DYN at 0) into a program the kernel places (static PIE:
# no PT_INTERP; crt/start.c then relocates it itself), against a libc built the same
# way in its own object directory.  The system-call stubs then reach the gate's address
# relative to the program counter (PIC_GATE_CALL); the default build is unchanged.
PIE_CFLAGS = [f for f in CFLAGS if f not in ("-fno-pic", "-fno-pie")] + ["-fPIE"]
PIE_LDFLAGS = [f for f in LDFLAGS if f not in ("-static", "-Wl,--image-base=0x8048000")] + [
    "-pie"]
PIE_STATIC = ["-Wl,--no-dynamic-linker"]
DEFAULT_OBJ_PIE = os.path.join(HERE, ".obj-pie")
PIC_GATE_CALL = "\tcall\t5f\n5:\tpopl\t%ecx\n\tcall\t*(__kw86_syscall_gate-5b)(%ecx)\n"

# Where each program goes in the sysroot, as NetBSD lays them out.  Programs listed
# here but not (yet) present in userland/bin are skipped with a warning; a program in
# userland/bin that is not listed goes to /usr/bin.
INSTALL_MAP = {
    # /bin: what NetBSD keeps on the root file system
    "cat": "/bin", "cp": "/bin", "echo": "/bin", "ls": "/bin", "mkdir": "/bin",
    "mv": "/bin", "rm": "/bin", "sh": "/bin", "sleep": "/bin", "pwd": "/bin", "hostname": "/bin",
    # /usr/bin
    "true": "/usr/bin", "false": "/usr/bin", "wc": "/usr/bin", "head": "/usr/bin",
    "gencat": "/usr/bin",    # message catalogues for catopen(3) (NetBSD's format)
    "ipcs": "/usr/bin", "ipcrm": "/usr/bin",    # System V IPC status and removal
    # kw86 benchmark programs (the paper's experiments, run inside the guest)
    "getpid_bench": "/usr/bin", "stat_bench": "/usr/bin", "rw_bench": "/usr/bin",
    "spin": "/usr/bin", "mkfiles": "/usr/bin", "paper_run": "/usr/bin", "cp_calls": "/usr/bin",
    "nbody": "/usr/bin",     # floating point (x87) benchmark
    "sleepq_bench": "/usr/bin",     # the scheduler with many sleepers (bench/test_bench_sched.py)
    # the kernelware module (kw86/nbsd/module.py): modctl(2) front ends and kwrun
    "modload": "/sbin", "modunload": "/sbin", "modstat": "/sbin", "kwrun": "/usr/bin",
}
# userland/bin/common/ holds code shared by programs: its headers are included as
# "common/x.h" and its .c files, if any, are linked into every program (the linker's
# --gc-sections drops what a program does not use).
COMMON_DIR = "common"
TESTS_DIR = "/usr/tests/kw86"   # userland/tests/*.c

# Symbolic links made in the sysroot (git keeps sysroot-skel/ as plain files).
SYMLINKS = {"/home/user/hello.link": "hello.txt"}

SYSCALL_KINDS = ("STD", "PIPE", "FORK", "VFORK", "NORET", "EXIT")


class BuildError(Exception):
    """A build step failed; the message carries the tool's output."""


# --------------------------------------------------------------------------- zig

def zig_cmd():
    return [sys.executable, "-m", "ziglang"]


def check_zig():
    try:
        out = subprocess.run(zig_cmd() + ["version"], capture_output=True, text=True,
                             timeout=120)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise BuildError(f"cannot run zig ({' '.join(zig_cmd())}): {e}") from None
    if out.returncode != 0:
        raise BuildError("zig is not usable: `%s version` failed:\n%s\n"
                         "Install it with: pip install ziglang==%s"
                         % (" ".join(zig_cmd()), out.stderr.strip(), ZIG_VERSION))
    version = out.stdout.strip()
    if version != ZIG_VERSION:
        print(f"userland: warning: zig {version}, expected {ZIG_VERSION}", file=sys.stderr)
    return version


def run(cmd, verbose=False, what=None):
    if verbose:
        print(" ".join(cmd))
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise BuildError("%s failed:\n$ %s\n%s%s" % (what or cmd[0], " ".join(cmd),
                                                    p.stdout, p.stderr))
    if p.stderr.strip():       # warnings
        sys.stderr.write(p.stderr)


# --------------------------------------------------------------------------- ELF

def strip_debug(path):
    """Remove the .debug_* sections of an ELF32 executable, keeping the symbol table.

    The debug sections must come after every allocated section (lld puts them there),
    so section indices in the symbol table stay valid; only sh_link of the kept
    sections and e_shstrndx are renumbered.  Returns False (file untouched) otherwise.
    """
    import struct
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF" or data[4] != 1 or data[5] != 1:
        return False
    (e_shoff, _flags, _ehsize, _phentsize, _phnum, e_shentsize, e_shnum,
     e_shstrndx) = struct.unpack_from("<IIHHHHHH", data, 0x20)
    shdrs = [list(struct.unpack_from("<10I", data, e_shoff + i * e_shentsize))
             for i in range(e_shnum)]
    strtab = shdrs[e_shstrndx]

    def name(sh):
        off = strtab[4] + sh[0]
        return data[off:data.index(b"\0", off)].decode("latin-1")

    debug = [i for i, sh in enumerate(shdrs) if name(sh).startswith(".debug")]
    if not debug:
        return False
    SHF_ALLOC, SHT_NOBITS = 0x2, 8
    if any(sh[2] & SHF_ALLOC for sh in shdrs[min(debug):]):
        return False
    keep = [i for i in range(e_shnum) if i not in debug]
    newidx = {old: new for new, old in enumerate(keep)}
    # Loaded content (everything up to the end of the last allocated section) is
    # copied unchanged; kept non-allocated sections are appended after it.
    end = max(sh[4] + (sh[5] if sh[1] != SHT_NOBITS else 0)
              for sh in shdrs if sh[2] & SHF_ALLOC)
    out = bytearray(data[:end])
    new_shdrs = []
    for i in keep:
        sh = list(shdrs[i])
        if i != 0 and not (sh[2] & SHF_ALLOC) and sh[1] != SHT_NOBITS:
            align = max(sh[8], 1)
            out += b"\0" * (-len(out) % align)
            content = data[sh[4]:sh[4] + sh[5]]
            sh[4] = len(out)
            out += content
        if sh[6] in newidx and sh[6] != 0:
            sh[6] = newidx[sh[6]]
        new_shdrs.append(sh)
    out += b"\0" * (-len(out) % 4)
    shoff = len(out)
    for sh in new_shdrs:
        out += struct.pack("<10I", *sh)
    struct.pack_into("<I", out, 0x20, shoff)
    struct.pack_into("<HH", out, 0x30, len(new_shdrs), newidx[e_shstrndx])
    tmp = path + ".strip"
    with open(tmp, "wb") as f:
        f.write(out)
    os.chmod(tmp, os.stat(path).st_mode)
    os.replace(tmp, path)
    return True


# --------------------------------------------------------------------------- mtimes

def mtime(path):
    try:
        return os.stat(path).st_mtime
    except OSError:
        return None


def deps_of(depfile):
    """Prerequisites listed in a make-style dependency file written by clang -MD."""
    try:
        with open(depfile) as f:
            text = f.read()
    except OSError:
        return None
    text = text.replace("\\\n", " ")
    _, _, prereqs = text.partition(": ")
    return [p.replace("\\ ", " ") for p in re.split(r"(?<!\\)\s+", prereqs) if p]


def out_of_date(target, sources):
    t = mtime(target)
    if t is None:
        return True
    for s in sources:
        m = mtime(s)
        if m is None or m > t:
            return True
    return False


def write_if_changed(path, text):
    try:
        with open(path) as f:
            if f.read() == text:
                return False
    except OSError:
        pass
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    return True


# --------------------------------------------------------------------------- syscalls

def parse_syscalls(path=None):
    """Read libc/syscalls.master.  Rows: NUMBER KIND SYMBOL NETBSD-NAME { PROTOTYPE }.

    KIND: STD (plain stub: eax, or edx:eax for 64-bit results), PIPE (two results
    stored through the pointer argument), FORK (child/parent convention), VFORK, NORET
    (does not return on success), EXIT (never returns).  Returns a list of dicts in file order.
    """
    path = path or os.path.join(HERE, "libc", "syscalls.master")
    rows = []
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            m = re.match(r"(\d+)\s+(\w+)\s+(\w+)\s+(\w+)\s*\{(.*)\}\s*$", line)
            if not m:
                raise BuildError(f"{path}:{lineno}: cannot parse: {line}")
            num, kind, sym, name, proto = m.groups()
            if kind not in SYSCALL_KINDS:
                raise BuildError(f"{path}:{lineno}: unknown kind {kind}")
            rows.append({"number": int(num), "kind": kind, "symbol": sym,
                         "name": name, "proto": proto.strip()})
    return rows


# The hybrid trap: %cs's RPL is the current privilege level.  At CPL 3 trap with
# int $0x80 (the kernel reads the arguments at user %esp+4); at CPL 0 (a kernelware)
# make a near call through the gate address the kernel published in the auxiliary
# vector (the arguments are then at %esp+8 on the gate's entry).  Either way the
# kernel returns with CF set and eax = errno on error, CF clear and eax(:edx) = result.
# The trap comes last so that the user-mode path falls through.
def _trap(label):
    return ("\tmovl\t%cs, %ecx\n"
            "\ttestb\t$3, %cl\n"
            f"\tjz\t{label}\n"
            "\tint\t$0x80\n")


# The sysenter variant (issue 9 section 4, beyond the paper; kw86/nbsd/locore.S
# Xsysenter): at CPL 3 the stub passes its %esp in %ecx and its return point in %edx
# (sysenter saves neither) and the kernel returns with sysexit, which loads %esp and
# %eip from them: 9 bytes (kconst.SYSENTER_STUB_LEN) the kernel backs up over for a
# restart.  The path has no second result in %edx, so pipe, vfork (its return
# address lives in %ecx) and 64-bit results keep int $0x80.  These stubs define the
# same symbols as the ordinary ones and go into their own object,
# .obj/libc_sysenter/syscalls_sysenter.o: a program chooses the path by linking
# that object before libc.a (SYSENTER_PROGRAMS, build_program(sysenter=True)); every
# other program is the same binary as before.
SYSENTER_STUB = "\tmovl\t%esp, %ecx\n\tmovl\t$6f, %edx\n\tsysenter\n6:"
SYSENTER_PROGRAMS = ("getpid_bench", "stat_bench", "rw_bench")     # + NAME.sysenter


def sysenter_ok(row):
    """May this row's user path be sysenter (no second result in %edx)?"""
    if row["kind"] in ("PIPE", "VFORK"):
        return False
    return row["proto"].split()[0] not in ("off_t", "quad_t", "int64_t")


def gen_stub(row, sysenter=False):
    if sysenter and sysenter_ok(row):
        # the same stub with the user path's `int $0x80` replaced (the jc/ret
        # after it then follow the return point 6:)
        stub = gen_stub(row)
        return stub.replace("\tint\t$0x80\n", SYSENTER_STUB, 1)
    sym, num, kind = row["symbol"], row["number"], row["kind"]
    head = (f"/* {num} {row['name']}: {row['proto']} */\n"
            f"\t.section .text.{sym},\"ax\",@progbits\n"
            f"\t.globl\t{sym}\n\t.type\t{sym},@function\n\t.p2align 4\n{sym}:\n"
            f"\tmovl\t${num}, %eax\n")
    k = f"9{num}"   # local label of the kernel-mode path
    if kind == "STD":
        body = (_trap(k + "f") +
                "\tjc\t__cerror\n\tret\n"
                f"{k}:\tcall\t*__kw86_syscall_gate\n"
                "\tjc\t__cerror\n\tret\n")
    elif kind == "NORET":
        body = (_trap(k + "f") + "\tjmp\t__cerror\n"
                f"{k}:\tcall\t*__kw86_syscall_gate\n\tjmp\t__cerror\n")
    elif kind == "EXIT":
        # _exit cannot return: should the kernel ever return, stop here for good.
        body = (_trap(k + "f") + "\tjmp\t8f\n"
                f"{k}:\tcall\t*__kw86_syscall_gate\n"
                "8:\thlt\n\tjmp\t8b\n")
    elif kind == "PIPE":
        # int pipe(int fds[2]): eax = fds[0], edx = fds[1]
        body = (_trap(k + "f") + "8:\tjc\t__cerror\n"
                "\tmovl\t4(%esp), %ecx\n\tmovl\t%eax, (%ecx)\n\tmovl\t%edx, 4(%ecx)\n"
                "\txorl\t%eax, %eax\n\tret\n"
                f"{k}:\tcall\t*__kw86_syscall_gate\n\tjmp\t8b\n")
    elif kind == "FORK":
        # parent: eax = child pid, edx = 0; child: eax = 0 (edx = 1).  Return
        # eax & (edx - 1), which is the pid in the parent and 0 in the child.
        body = (_trap(k + "f") + "8:\tjc\t__cerror\n"
                "\tdecl\t%edx\n\tandl\t%edx, %eax\n\tret\n"
                f"{k}:\tcall\t*__kw86_syscall_gate\n\tjmp\t8b\n")
    elif kind == "VFORK":
        # The child borrows the parent's stack until it execs or exits, so the return
        # address must not be left on the stack: keep it in %ecx (preserved by the
        # trap).  In kernel mode the gate's own return address would live on that
        # shared stack, so a kernelware gets a real fork (syscall 2) instead, which
        # a conforming vfork child cannot tell apart.
        body = ("\tmovl\t%cs, %ecx\n\ttestb\t$3, %cl\n"
                f"\tjz\t{k}f\n"
                "\tpopl\t%ecx\n\tint\t$0x80\n"
                "\tjc\t7f\n"
                "\tdecl\t%edx\n\tandl\t%edx, %eax\n\tjmp\t*%ecx\n"
                "7:\tpushl\t%ecx\n\tjmp\t__cerror\n"
                f"{k}:\tmovl\t$2, %eax\n\tcall\t*__kw86_syscall_gate\n"
                "\tjc\t__cerror\n\tdecl\t%edx\n\tandl\t%edx, %eax\n\tret\n")
    return head + body + f"\t.size\t{sym}, .-{sym}\n\n"


def gen_syscalls_S(rows, sysenter=False, pic=False):
    out = ["/* Generated by userland/build.py from libc/syscalls.master: do not edit. */\n",
           "/* Each stub is hybrid: int $0x80 at CPL 3, call *__kw86_syscall_gate at CPL 0. */\n\n"]
    if sysenter:
        out.append("/* The sysenter variant: sysenter instead of int $0x80 at CPL 3 where the "
                   "call has no second result. */\n\n")
    stubs = [gen_stub(r, sysenter) for r in rows]
    if pic:
        out.append("/* Position independent (a PIE's libc): the gate's address is read "
                   "relative to the program counter. */\n\n")
        stubs = [st.replace("\tcall\t*__kw86_syscall_gate\n", PIC_GATE_CALL) for st in stubs]
    out += stubs
    out.append('\t.section .note.GNU-stack,"",@progbits\n')
    return "".join(out)


def gen_syscall_h(rows):
    lines = ["/* Generated by userland/build.py from libc/syscalls.master: do not edit. */",
             "#ifndef _SYS_SYSCALL_H_", "#define _SYS_SYSCALL_H_", ""]
    seen = set()
    for r in rows:
        if r["name"] in seen:
            continue
        seen.add(r["name"])
        lines.append(f"#define SYS_{r['name']}\t{r['number']}\t/* {r['proto']} */")
    lines += ["", "#endif", ""]
    return "\n".join(lines)


# --------------------------------------------------------------------------- builder

class Builder:
    def __init__(self, dest, obj_dir=None, jobs=2, verbose=False, pie=False):
        self.dest = os.path.abspath(dest)
        self.pie = pie
        self.cflags = PIE_CFLAGS if pie else CFLAGS
        self.ldflags = PIE_LDFLAGS if pie else LDFLAGS
        self.obj = os.path.abspath(obj_dir or (DEFAULT_OBJ_PIE if pie else DEFAULT_OBJ))
        self.jobs = max(1, jobs)
        self.verbose = verbose
        self.warnings = []
        self.built = []          # executables (re)linked this run
        self.compiled = 0        # objects (re)compiled this run

    # paths
    def objpath(self, src, sub):
        rel = os.path.relpath(src, HERE) if src.startswith(HERE) else os.path.basename(src)
        base = re.sub(r"\.(c|S)$", ".o", rel.replace(os.sep, "_"))
        return os.path.join(self.obj, sub, base)

    @property
    def gen_dir(self):
        return os.path.join(self.obj, "gen")

    def include_flags(self):
        return ["-I", os.path.join(HERE, "include"),
                "-I", os.path.join(self.gen_dir, "include")]

    # steps
    def prepare(self):
        os.makedirs(self.obj, exist_ok=True)
        # Objects built with other flags or another zig are stale: start afresh.
        stamp = os.path.join(self.obj, "flags")
        want = "\n".join([ZIG_VERSION] + self.cflags + self.ldflags) + "\n"
        try:
            with open(stamp) as f:
                have = f.read()
        except OSError:
            have = None
        if have != want:
            for entry in os.listdir(self.obj):
                path = os.path.join(self.obj, entry)
                if os.path.isdir(path):
                    shutil.rmtree(path)
                else:
                    os.unlink(path)
            with open(stamp, "w") as f:
                f.write(want)
        # The object directory lives in the source tree; keep it out of git.
        ignore = os.path.join(self.obj, ".gitignore")
        if not os.path.exists(ignore):
            with open(ignore, "w") as f:
                f.write("*\n")

    def generate(self):
        rows = parse_syscalls()
        write_if_changed(os.path.join(self.gen_dir, "syscalls.S"),
                         gen_syscalls_S(rows, pic=self.pie))
        write_if_changed(os.path.join(self.gen_dir, "syscalls_sysenter.S"),
                         gen_syscalls_S(rows, sysenter=True))
        write_if_changed(os.path.join(self.gen_dir, "include", "sys", "syscall.h"),
                         gen_syscall_h(rows))
        return rows

    def compile(self, src, obj, extra=()):
        """Compile src to obj unless obj is newer than src and every header it used."""
        dep = obj[:-2] + ".d"
        deps = deps_of(dep)
        if deps is not None and not out_of_date(obj, [src] + deps):
            return False
        os.makedirs(os.path.dirname(obj), exist_ok=True)
        cmd = zig_cmd() + ["cc"] + self.cflags + list(extra) + self.include_flags() + [
            "-MD", "-MF", dep, "-c", src, "-o", obj]
        run(cmd, self.verbose, what=f"compiling {os.path.relpath(src, ROOT)}")
        self.compiled += 1
        return True

    def compile_all(self, pairs, extra=()):
        if not pairs:
            return False
        with ThreadPoolExecutor(self.jobs) as ex:
            results = list(ex.map(lambda p: self.compile(p[0], p[1], extra), pairs))
        return any(results)

    def build_libc(self):
        srcs = sorted(_glob(os.path.join(HERE, "libc"), (".c", ".S"), recursive=True))
        srcs.append(os.path.join(self.gen_dir, "syscalls.S"))
        pairs = [(s, self.objpath(s, "libc")) for s in srcs]
        self.compile_all(pairs, extra=["-D_KW86_LIBC", "-I", os.path.join(HERE, "libc")])
        lib = os.path.join(self.obj, "libc.a")
        objs = [o for _, o in pairs]
        # Drop objects of sources that were removed.
        if out_of_date(lib, objs) or self._archive_members_changed(lib, objs):
            if os.path.exists(lib):
                os.unlink(lib)
            run(zig_cmd() + ["ar", "rcs", lib] + objs, self.verbose, what="ar libc.a")
            with open(lib + ".members", "w") as f:
                f.write("\n".join(objs))
        return lib

    def build_sysenter_obj(self):
        """The sysenter stubs (gen_stub(sysenter=True)) as one object a program links
        before libc.a."""
        src = os.path.join(self.gen_dir, "syscalls_sysenter.S")
        obj = os.path.join(self.obj, "libc_sysenter", "syscalls_sysenter.o")
        self.compile(src, obj, extra=["-D_KW86_LIBC", "-I", os.path.join(HERE, "libc")])
        return obj

    def _archive_members_changed(self, lib, objs):
        try:
            with open(lib + ".members") as f:
                return f.read().split("\n") != objs
        except OSError:
            return True

    def build_crt0(self):
        srcs = sorted(_glob(os.path.join(HERE, "crt"), (".c", ".S")))
        pairs = [(s, self.objpath(s, "crt")) for s in srcs]
        self.compile_all(pairs)
        return [o for _, o in pairs]

    def programs(self):
        """(name, [sources], install dir) for every program present in the tree."""
        progs = []
        bindir = os.path.join(HERE, "bin")
        if os.path.isdir(bindir):
            for entry in sorted(os.listdir(bindir)):
                path = os.path.join(bindir, entry)
                if entry.endswith(".c") and os.path.isfile(path):
                    name, srcs = entry[:-2], [path]
                elif os.path.isdir(path) and entry != COMMON_DIR:
                    name, srcs = entry, sorted(_glob(path, (".c", ".S")))
                    if not srcs:
                        continue
                else:
                    continue
                where = INSTALL_MAP.get(name)
                if where is None:
                    where = "/usr/bin"
                    self.warn(f"{name}: not in INSTALL_MAP, installing in /usr/bin")
                progs.append((name, srcs, where))
        present = {p[0] for p in progs}
        for name in INSTALL_MAP:
            if name not in present:
                self.warn(f"{name}: no userland/bin/{name}.c yet, skipped")
        testdir = os.path.join(HERE, "tests")
        if os.path.isdir(testdir):
            for entry in sorted(os.listdir(testdir)):
                if entry.endswith(".c"):
                    progs.append((entry[:-2], [os.path.join(testdir, entry)], TESTS_DIR))
        return progs

    def link(self, name, objs, crt0, libc, out, extra=()):
        deps = [x.split(",")[-1] for x in extra]          # -Wl,-T,FILE -> FILE
        if not out_of_date(out, objs + crt0 + [libc] + deps):
            return False
        os.makedirs(os.path.dirname(out), exist_ok=True)
        cmd = zig_cmd() + ["cc"] + self.ldflags + crt0 + objs + [libc] + list(extra) + ["-o", out]
        run(cmd, self.verbose, what=f"linking {name}")
        strip_debug(out)
        self.built.append(out)
        return True

    def build_programs(self, crt0, libc):
        progs = self.programs()
        common = sorted(_glob(os.path.join(HERE, "bin", COMMON_DIR), (".c", ".S")))
        pairs = [(s, self.objpath(s, "prog")) for s in common]
        for name, srcs, _ in progs:
            pairs += [(s, self.objpath(s, "prog")) for s in srcs]
        self.compile_all(pairs)
        common_objs = [self.objpath(s, "prog") for s in common]
        exes = {}
        jobs = []
        for name, srcs, where in progs:
            objs = [self.objpath(s, "prog") for s in srcs] + common_objs
            exe = os.path.join(self.obj, "exe", where.strip("/").replace("/", "_"), name)
            jobs.append((name, objs, exe))
            exes[name] = (exe, where)
            if name in SYSENTER_PROGRAMS:
                se = self.build_sysenter_obj()
                jobs.append((name + ".sysenter", [se] + objs, exe + ".sysenter"))
                exes[name + ".sysenter"] = (exe + ".sysenter", where)
        with ThreadPoolExecutor(self.jobs) as ex:
            list(ex.map(lambda j: self.link(j[0], j[1], crt0, libc, j[2]), jobs))
        return exes

    def install(self, exes):
        skel = os.path.join(HERE, "sysroot-skel")
        for d in ("bin", "sbin", "usr/bin", "usr/libexec", "usr/tests/kw86", "etc", "tmp",
                  "home/user", "dev", "root"):
            os.makedirs(os.path.join(self.dest, d), exist_ok=True)
        for dirpath, dirnames, filenames in os.walk(skel):
            rel = os.path.relpath(dirpath, skel)
            target_dir = os.path.normpath(os.path.join(self.dest, rel))
            os.makedirs(target_dir, exist_ok=True)
            for fn in filenames:
                copy_if_newer(os.path.join(dirpath, fn), os.path.join(target_dir, fn))
        os.chmod(os.path.join(self.dest, "tmp"), 0o1777)
        for link, target in SYMLINKS.items():
            path = os.path.join(self.dest, link.strip("/"))
            if not os.path.lexists(path):
                os.symlink(target, path)
        for name, (exe, where) in sorted(exes.items()):
            target = os.path.join(self.dest, where.strip("/"), name)
            copy_if_newer(exe, target)
            os.chmod(target, 0o755)

    def warn(self, msg):
        self.warnings.append(msg)

    def build(self):
        check_zig()
        self.prepare()
        self.generate()
        libc = self.build_libc()
        crt0 = self.build_crt0()
        exes = self.build_programs(crt0, libc)
        self.install(exes)
        return exes


def copy_if_newer(src, dst):
    if out_of_date(dst, [src]):
        shutil.copy2(src, dst)


def _glob(d, exts, recursive=False):
    out = []
    for dirpath, dirnames, filenames in os.walk(d):
        dirnames.sort()
        for fn in sorted(filenames):
            if fn.endswith(exts):
                out.append(os.path.join(dirpath, fn))
        if not recursive:
            break
    return out


# --------------------------------------------------------------------------- entry points

def build_sysroot(dest, jobs=2, verbose=False, obj_dir=None):
    """Build libc, crt0 and all programs and install the sysroot at dest.

    Raises BuildError (with the compiler's message) when a step fails, after printing
    it, so that `pip install` fails visibly.
    """
    if obj_dir is None:
        obj_dir = DEFAULT_OBJ
        try:
            os.makedirs(obj_dir, exist_ok=True)
            probe = tempfile.NamedTemporaryFile(dir=obj_dir)
            probe.close()
        except OSError:       # read-only source tree: build in a temporary directory
            obj_dir = tempfile.mkdtemp(prefix="kw86-userland-")
    b = Builder(dest, obj_dir=obj_dir, jobs=jobs, verbose=verbose)
    try:
        exes = b.build()
    except BuildError as e:
        sys.stderr.write(f"\nkw86 userland build FAILED\n{e}\n")
        raise
    for w in b.warnings:
        print(f"userland: warning: {w}", file=sys.stderr)
    print(f"userland: {b.compiled} compiled, {len(b.built)} linked, "
          f"{len(exes)} programs in {b.dest}")
    return exes


def build_program(sources, output, ksyms=None, jobs=2, verbose=False, obj_dir=None,
                  sysenter=False, pie=False):
    """Compile and link one program of your own against this libc (NetBSD/i386 ELF).

    ksyms: a linker script of symbol assignments (`name = 0xc0123456;`), such as the
    kernel's exported symbols, so that a kernelware can call kernel functions
    directly.  Only assignments: a SECTIONS script would replace lld's layout and
    lose the PT_NOTE segment.  sysenter: link the sysenter stubs (system calls
    through sysenter/sysexit in user mode, see gen_stub).  pie: a PIE (ET_DYN) against
    the position-independent libc (PIE_CFLAGS, its objects in DEFAULT_OBJ_PIE).  (zig
    cc links -static -pie whatever it is told: a PT_INTERP comes from a .interp
    section of one of the sources, as tests/guest/dynexec/interp_note.S makes.)
    """
    b = Builder(os.path.dirname(os.path.abspath(output)), obj_dir=obj_dir, jobs=jobs,
                verbose=verbose, pie=pie)
    check_zig()
    b.prepare()
    b.generate()
    libc = b.build_libc()
    crt0 = b.build_crt0()
    pairs = [(os.path.abspath(s), b.objpath(os.path.abspath(s), "ext")) for s in sources]
    b.compile_all(pairs)
    # lld takes a script without SECTIONS as extra definitions over its default layout.
    extra = ["-Wl,-T," + os.path.abspath(ksyms)] if ksyms else []
    if pie:
        extra += PIE_STATIC
    objs = [o for _, o in pairs]
    if sysenter:
        objs = [b.build_sysenter_obj()] + objs
    b.link(os.path.basename(output), objs, crt0, libc, os.path.abspath(output), extra)
    return output


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dest", default=DEFAULT_DEST, help="sysroot to install into")
    ap.add_argument("--obj", default=None, help="object directory (default userland/.obj)")
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--clean", action="store_true", help="remove the object directory first")
    ap.add_argument("--program", nargs="+", metavar="SRC",
                    help="instead of the sysroot, build one program of your own from SRC...")
    ap.add_argument("-o", "--output", help="with --program: the executable to write")
    ap.add_argument("--ksyms", help="with --program: linker script of kernel symbol addresses")
    ap.add_argument("--pie", action="store_true",
                    help="with --program: a static PIE (ET_DYN), against the PIC libc in "
                         "userland/.obj-pie")
    args = ap.parse_args(argv)
    if args.clean:
        shutil.rmtree(args.obj or DEFAULT_OBJ, ignore_errors=True)
    if args.program:
        out = args.output or os.path.splitext(os.path.basename(args.program[0]))[0]
        try:
            build_program(args.program, out, ksyms=args.ksyms, jobs=args.jobs,
                          verbose=args.verbose, obj_dir=args.obj, pie=args.pie)
        except BuildError as e:
            sys.stderr.write(f"{e}\n")
            return 1
        print(f"userland: built {out}")
        return 0
    try:
        exes = build_sysroot(args.dest, jobs=args.jobs, verbose=args.verbose,
                             obj_dir=args.obj)
    except BuildError:
        return 1
    return 0 if exes is not None else 1


if __name__ == "__main__":
    sys.exit(main())
