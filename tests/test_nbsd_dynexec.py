"""PIE (ET_DYN) executables and PT_INTERP, as NetBSD 10's exec_elf loads them.

The guest side is tests/guest/dynexec: `dynprog` built three ways (a static PIE that
relocates itself in crt/start.c, a static ET_EXEC with a PT_INTERP, a PIE with a
PT_INTERP) and `ld.kw86.so`, a small interpreter written here that checks and prints
its auxiliary vector, relocates itself and a PIE program (R_386_RELATIVE only) and
jumps to AT_ENTRY.  The interpreter is bound into the guest at /usr/libexec, with the
malformed variants of this file next to it.  Expected addresses are computed here from
the ELF files, the way NetBSD places them without ASLR (kw86/nbsd/elf.py): a PIE at
max(p_align, PAGE_SIZE), the interpreter at trunc_page(USRSTACK - MAXSSIZ - size).
"""
import os
import re
import shutil
import struct
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hostenv
from buildreq import fail_build
from kw86.nbsd import abi
from kw86.nbsd.elf import (ExecError, build_stack, default_auxv, initial_registers, load_elf,
                           load_interp)
from kw86.nbsd.vfs import Cred
from nbsd_env import GUEST_OUT, GUEST_SRC, MODES, REPO, _userland_build
from test_nbsd_elf import NOTE, make_elf

SRC = os.path.join(GUEST_SRC, "dynexec")
OUT = os.path.join(GUEST_OUT, "dynexec")
INTERP = b"/usr/libexec/ld.kw86.so"
PAGE = abi.PAGE_SIZE
MMAP_TOP = abi.USRSTACK - abi.MAXSSIZ
PT_LOAD, PT_DYNAMIC, PT_INTERP, PT_PHDR = 1, 2, 3, 6
PT_GNU_STACK = 0x6474e551


# -- building the guest programs ------------------------------------------------

def _run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True, env=hostenv.ENV)
    if r.returncode:
        raise RuntimeError(f"{' '.join(cmd[:6])}...: {r.stderr.strip()[:2000]}")


def _newer(out, deps):
    return os.path.exists(out) and os.path.getmtime(out) >= max(os.path.getmtime(d) for d in deps)


def _build_all():
    """{name: host path} of the four programs, built once per source change."""
    b = _userland_build()
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(GUEST_OUT, ".gitignore"), "w") as f:
        f.write("*\n")
    zig = [sys.executable, "-m", "ziglang", "cc"]
    src = {n: os.path.join(SRC, n) for n in ("dynprog.c", "interp_note.S", "ld_kw86.c",
                                             "ld_start.S")}
    out = {n: os.path.join(OUT, n) for n in ("dynprog_pie", "dynprog_interp", "dynprog_dynpie",
                                             "ld.kw86.so")}
    # PIEs: against the position-independent libc (built once into OUT/obj-pie;
    # build_program is incremental)
    pie_obj = os.path.join(OUT, "obj-pie")
    b.build_program([src["dynprog.c"]], out["dynprog_pie"], obj_dir=pie_obj, pie=True)
    b.build_program([src["dynprog.c"], src["interp_note.S"]], out["dynprog_dynpie"],
                    obj_dir=pie_obj, pie=True)
    # the ET_EXEC with a PT_INTERP: the tree's libc and crt0 as tests/guest programs
    obj = os.path.join(REPO, "userland", ".obj")
    libc = os.path.join(obj, "libc.a")
    crtdir = os.path.join(obj, "crt")
    crt0 = sorted(os.path.join(crtdir, f) for f in os.listdir(crtdir)
                  if f.endswith(".o")) if os.path.isdir(crtdir) else []
    if not os.path.exists(libc) or not crt0:
        b.build_program([src["dynprog.c"], src["interp_note.S"]], out["dynprog_interp"],
                        obj_dir=os.path.join(OUT, "obj"))
    elif not _newer(out["dynprog_interp"], [src["dynprog.c"], src["interp_note.S"], libc] + crt0):
        inc = ["-I", os.path.join(REPO, "userland", "include"),
               "-I", os.path.join(obj, "gen", "include")]
        objs = []
        for n in ("dynprog.c", "interp_note.S"):
            o = os.path.join(OUT, n + ".o")
            _run(zig + b.CFLAGS + inc + ["-c", src[n], "-o", o])
            objs.append(o)
        _run(zig + b.LDFLAGS + crt0 + objs + [libc, "-o", out["dynprog_interp"] + ".tmp"])
        os.replace(out["dynprog_interp"] + ".tmp", out["dynprog_interp"])
    # the interpreter: freestanding, position independent, linked at 0
    if not _newer(out["ld.kw86.so"], [src["ld_kw86.c"], src["ld_start.S"]]):
        objs = []
        for n in ("ld_kw86.c", "ld_start.S"):
            o = os.path.join(OUT, "ld_" + n + ".o")
            _run(zig + b.PIE_CFLAGS + ["-c", src[n], "-o", o])
            objs.append(o)
        _run(zig + b.PIE_LDFLAGS + b.PIE_STATIC + objs + ["-o", out["ld.kw86.so"] + ".tmp"])
        os.replace(out["ld.kw86.so"] + ".tmp", out["ld.kw86.so"])
    return out


_BUILT = {}


@pytest.fixture(scope="module")
def progs():
    if not _BUILT:
        try:
            _BUILT.update(_build_all())
        except Exception as e:                  # no zig, a compile error
            _BUILT["error"] = f"cannot build tests/guest/dynexec: {e}"[:3000]
    if "error" in _BUILT:
        fail_build(_BUILT["error"])
    return {k: open(v, "rb").read() for k, v in _BUILT.items()}


# -- reading ELF files here (what the expectations are computed from) -------------

def ehdr(data):
    e_type, e_machine, _, e_entry, e_phoff = struct.unpack_from("<HHIII", data, 16)
    (e_phnum,) = struct.unpack_from("<H", data, 44)
    return e_type, e_entry, e_phoff, e_phnum


def phdrs(data):
    _, _, phoff, phnum = ehdr(data)
    return [list(struct.unpack_from("<8I", data, phoff + 32 * i)) for i in range(phnum)]


def put_phdrs(data, phs):
    data = bytearray(data)
    _, _, phoff, _ = ehdr(data)
    for i, ph in enumerate(phs):
        struct.pack_into("<8I", data, phoff + 32 * i, *ph)
    return bytes(data)


def first(phs, ptype):
    return next(ph for ph in phs if ph[0] == ptype)


def n_relative(data):
    """R_386_RELATIVE entries of a file's DT_REL table (what must be applied)."""
    dyn = first(phdrs(data), PT_DYNAMIC)
    ents = [struct.unpack_from("<II", data, dyn[1] + 8 * i) for i in range(dyn[4] // 8)]
    d = dict(ents)
    loads = [ph for ph in phdrs(data) if ph[0] == PT_LOAD]
    off = next(ph[1] + d[17] - ph[2] for ph in loads if ph[2] <= d[17] < ph[2] + ph[4])
    return sum(1 for i in range(d[18] // 8)
               if struct.unpack_from("<II", data, off + 8 * i)[1] & 0xff == 8)


def pie_bias(data):
    return max([PAGE] + [ph[7] for ph in phdrs(data) if ph[0] == PT_LOAD])


def interp_base(data):
    loads = [ph for ph in phdrs(data) if ph[0] == PT_LOAD and ph[5]]
    lo = loads[0][2] & ~(PAGE - 1)
    hi = max(ph[2] + ph[5] for ph in loads)
    size = ((hi + PAGE - 1) & ~(PAGE - 1)) - lo
    return (MMAP_TOP - size) & ~(max(loads[0][7], PAGE) - 1)


# -- running them ---------------------------------------------------------------

def libexec(tmp_path, progs, extra=()):
    """A host directory bound at /usr/libexec: the interpreter, the three programs
    and `extra` (name, bytes[, mode])."""
    d = tmp_path / "libexec"
    d.mkdir(exist_ok=True)
    files = [("ld.kw86.so", progs["ld.kw86.so"]), ("dynprog_pie", progs["dynprog_pie"]),
             ("dynprog_interp", progs["dynprog_interp"]),
             ("dynprog_dynpie", progs["dynprog_dynpie"])] + list(extra)
    for f in files:
        p = d / f[0]
        if f[1] is None:
            p.mkdir()
        else:
            p.write_bytes(f[1])
        p.chmod(f[2] if len(f) > 2 else 0o755)
    return d


def kw86(tmp_path, mode, prog, *args, opts=(), timeout=120):
    """Run host program tmp_path/NAME (a copy of progs[NAME]) with the bind."""
    r = subprocess.run([sys.executable, "-m", "kw86.cli", "exec", *mode, *opts,
                        "--bind", f"{tmp_path / 'libexec'}:/usr/libexec:ro", "./" + prog,
                        *args], cwd=tmp_path, capture_output=True, timeout=timeout,
                       env=hostenv.kw86_env(), stdin=subprocess.DEVNULL)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def host_copy(tmp_path, progs, name, data=None):
    p = tmp_path / name
    p.write_bytes(progs[name] if data is None else data)
    p.chmod(0o755)


def ld_lines(err):
    return dict(re.findall(r"^ld\.kw86: (\w+)=(\S+)$", err, re.M))


def prog_line(out, which=0):
    lines = re.findall(r"^dynprog: (\S+) AT_ENTRY=(\S+) AT_PHDR=(\S+) AT_BASE=(\S+) "
                       r"AT_PHNUM=(\d+) main=(\S+)$", out, re.M)
    return lines[which]


CHECKS = "entry is _start, words alpha beta gamma, ops 5 6, counter 7"


# -- the programs run --------------------------------------------------------------

@pytest.mark.parametrize("mode", MODES, ids=lambda m: m[1])
def test_static_pie(tmp_path, progs, mode):
    """A static PIE runs at 0x1000 + its link addresses: AT_ENTRY, AT_PHDR relocated,
    AT_BASE 0, and its pointers (string and function tables) relocated by crt0."""
    libexec(tmp_path, progs)
    host_copy(tmp_path, progs, "dynprog_pie")
    rc, out, err = kw86(tmp_path, mode[0], "dynprog_pie")
    assert rc == 0, err
    data = progs["dynprog_pie"]
    bias = pie_bias(data)
    assert bias == 0x1000 and ehdr(data)[0] == 3
    name, entry, phdr, base, phnum, main = prog_line(out)
    assert int(entry, 16) == bias + ehdr(data)[1]
    assert int(phdr, 16) == bias + first(phdrs(data), PT_PHDR)[2]
    assert base == "0" and int(phnum) == ehdr(data)[3]
    assert CHECKS in out and "ld.kw86" not in err
    assert f"dynprog: cpl {0 if mode[1] == 'kernelware' else 3}\n" in out


@pytest.mark.parametrize("mode", MODES, ids=lambda m: m[1])
@pytest.mark.parametrize("variant", ["dynprog_interp", "dynprog_dynpie"])
def test_interpreter(tmp_path, progs, mode, variant):
    """PT_INTERP: the interpreter starts first, at its base, with NetBSD's auxv for
    the program; it relocates itself (and a PIE program) and jumps to AT_ENTRY."""
    libexec(tmp_path, progs)
    host_copy(tmp_path, progs, variant)
    rc, out, err = kw86(tmp_path, mode[0], variant)
    assert rc == 0, err
    data, ld = progs[variant], progs["ld.kw86.so"]
    bias = pie_bias(data) if ehdr(data)[0] == 3 else 0
    base = interp_base(ld)
    assert base == 0xbbbfc000               # the interpreter's 4 pages below MMAP_TOP
    a = ld_lines(err)
    assert a == {
        "AT_BASE": f"{base:#010x}", "AT_ENTRY": f"{bias + ehdr(data)[1]:#010x}",
        "AT_PHDR": f"{bias + first(phdrs(data), PT_PHDR)[2]:#010x}",
        "AT_PHENT": "0x00000020", "AT_PHNUM": f"{ehdr(data)[3]:#010x}",
        "AT_PAGESZ": "0x00001000", "AT_FLAGS": "0x00000000",
        "AT_EUID": "0x00000000", "AT_RUID": "0x00000000", "AT_EGID": "0x00000000",
        "AT_RGID": "0x00000000", "AT_STACKBASE": f"{abi.USRSTACK:#010x}",
        "execname": variant, "PT_INTERP": INTERP.decode(),
        "cpl": "0" if mode[1] == "kernelware" else "3"}, err
    assert f"ld.kw86: self relocated, {n_relative(ld)} relocations\n" in err
    assert f"ld.kw86: program load address {bias:#010x}\n" in err
    if bias:
        assert f"ld.kw86: program relocated, {n_relative(data)} relocations\n" in err
    else:
        assert "program relocated" not in err
    assert err.endswith(f"ld.kw86: jumping to {a['AT_ENTRY']}\n")
    name, entry, phdr, pbase, phnum, main = prog_line(out)
    assert int(entry, 16) == int(a["AT_ENTRY"], 16) and int(pbase, 16) == base
    assert CHECKS in out
    assert f"dynprog: cpl {a['cpl']}\n" in out


def test_interpreter_credentials(tmp_path, progs):
    """AT_EUID/AT_RUID/AT_EGID/AT_RGID are the process's (--user user: 1000/100)."""
    libexec(tmp_path, progs)
    host_copy(tmp_path, progs, "dynprog_interp")
    tmp_path.chmod(0o755)
    rc, out, err = kw86(tmp_path, [], "dynprog_interp", opts=["--user", "user"])
    assert rc == 0, err
    a = ld_lines(err)
    assert (a["AT_EUID"], a["AT_RUID"], a["AT_EGID"], a["AT_RGID"]) == \
        ("0x000003e8", "0x000003e8", "0x00000064", "0x00000064")


def test_strace(tmp_path, progs):
    """--strace: the interpreter's writes come from its pages at AT_BASE, before the
    program's first call; one process throughout (no exec)."""
    libexec(tmp_path, progs)
    host_copy(tmp_path, progs, "dynprog_dynpie")
    trace = tmp_path / "trace.txt"
    rc, out, err = kw86(tmp_path, [], "dynprog_dynpie", opts=["--strace-file", str(trace)])
    assert rc == 0, err
    lines = [ln for ln in trace.read_text().splitlines() if " CALL " in ln]
    base = interp_base(progs["ld.kw86.so"])
    first_prog = next(i for i, ln in enumerate(lines) if "write(2," not in ln)
    ld_writes = [ln for ln in lines[:first_prog] if "write(2," in ln]
    assert len(ld_writes) > 20
    # each write's buffer is a string in the interpreter's pages, on the stack, or
    # the program's PT_INTERP path (at 0x1000 + its p_vaddr)
    bufs = [int(re.search(r"write\(2,(0x[0-9a-f]+),", ln).group(1), 16) for ln in ld_writes]
    path = 0x1000 + first(phdrs(progs["dynprog_dynpie"]), PT_INTERP)[2]
    assert all(base <= b < MMAP_TOP or MMAP_TOP <= b < abi.USRSTACK for b in bufs
               if b != path), ld_writes
    assert bufs.count(path) == 1
    assert sum(base <= b < MMAP_TOP for b in bufs) > 10
    assert not any("execve" in ln for ln in lines)
    assert any("write(1," in ln for ln in lines[first_prog:])


@pytest.mark.parametrize("mode", MODES, ids=lambda m: m[1])
def test_exec_chain(tmp_path, progs, mode):
    """A static PIE execs a PIE with an interpreter, which execs the ET_EXEC with an
    interpreter: each image gets its own auxv (execve from inside the guest)."""
    libexec(tmp_path, progs)
    host_copy(tmp_path, progs, "dynprog_pie")
    trace = tmp_path / "trace.txt"
    rc, out, err = kw86(tmp_path, mode[0], "dynprog_pie", "exec", "/usr/libexec/dynprog_dynpie",
                        "exec", "/usr/libexec/dynprog_interp",
                        opts=["--strace-file", str(trace)])
    assert rc == 0, (out, err)
    assert out.count(CHECKS) == 3
    names = [prog_line(out, i)[0] for i in range(3)]
    assert names == ["./dynprog_pie", "/usr/libexec/dynprog_dynpie", "/usr/libexec/dynprog_interp"]
    bases = [int(prog_line(out, i)[3], 16) for i in range(3)]
    base = interp_base(progs["ld.kw86.so"])
    assert bases == [0, base, base]
    assert err.count("ld.kw86: jumping to") == 2
    # /proc names the program each time, never the interpreter
    exes = re.findall(r"^dynprog: /proc/curproc/exe (.*)$", out, re.M)
    assert exes[1:] == ["/usr/libexec/dynprog_dynpie", "/usr/libexec/dynprog_interp"], exes
    execs = [ln for ln in trace.read_text().splitlines() if "execve" in ln and " RET " not in ln]
    assert len(execs) == 2, execs


@pytest.mark.parametrize("mode", MODES, ids=lambda m: m[1])
def test_fork_exec(tmp_path, progs, mode):
    """fork, and the child execs a PIE: the parent, itself a PIE run by the
    interpreter, goes on and reaps it."""
    libexec(tmp_path, progs)
    host_copy(tmp_path, progs, "dynprog_dynpie")
    rc, out, err = kw86(tmp_path, mode[0], "dynprog_dynpie", "fork", "/usr/libexec/dynprog_pie")
    assert rc == 0, (out, err)
    assert "dynprog: child /usr/libexec/dynprog_pie exit 0" in out
    assert out.count(CHECKS) == 2


# -- malformed: what execve says, from a guest and from `kw86 exec` ---------------

def patch_interp(data, path=None, filesz=None, last=None):
    """dynprog_interp with its PT_INTERP string or size changed."""
    phs = phdrs(data)
    ph = first(phs, PT_INTERP)
    data = bytearray(data)
    if path is not None:
        assert len(path) + 1 <= ph[4] == len(INTERP) + 1
        data[ph[1]:ph[1] + ph[4]] = path + b"\0" * (ph[4] - len(path))
    if last is not None:
        data[ph[1] + ph[4] - 1] = last
    if filesz is not None:
        ph[4] = ph[5] = filesz
        data = bytearray(put_phdrs(data, phs))
    return bytes(data)


def second_interp(data, path_offset):
    """Turn PT_GNU_STACK into a second PT_INTERP (a string at path_offset)."""
    phs = phdrs(data)
    ph = first(phs, PT_GNU_STACK)
    end = bytes(data).index(b"\0", path_offset)
    ph[:] = [PT_INTERP, path_offset, 0, 0, end + 1 - path_offset, end + 1 - path_offset, 4, 1]
    return put_phdrs(data, phs)


def with_type(data, e_type):
    data = bytearray(data)
    struct.pack_into("<H", data, 16, e_type)
    return bytes(data)


def no_loads(data):
    phs = phdrs(data)
    for ph in phs:
        if ph[0] == PT_LOAD:
            ph[0] = 0                           # PT_NULL
    return put_phdrs(data, phs)


def malformed(progs):
    """(name in /usr/libexec, bytes, mode, errno execve gives, or 0: it runs)."""
    prog, ld = progs["dynprog_interp"], progs["ld.kw86.so"]
    # an interpreter with a PT_INTERP of its own (a path appended to the file):
    # NetBSD's elf_load_interp does not look at it
    dyn_ld = second_interp(ld + INTERP + b"\0", len(ld))
    missing = patch_interp(prog, b"/usr/libexec/ld.nope.so")
    return [
        ("p_missing", patch_interp(prog, b"/usr/libexec/ld.nope.so"), 0o755, abi.ENOENT),
        ("p_notelf", patch_interp(prog, b"/usr/libexec/ld.text.so"), 0o755, abi.ENOEXEC),
        ("p_etexec", patch_interp(prog, b"/usr/libexec/ld.exec.so"), 0o755, abi.ENOEXEC),
        ("p_noload", patch_interp(prog, b"/usr/libexec/ld.nold.so"), 0o755, abi.ENOEXEC),
        ("p_trunc", patch_interp(prog, b"/usr/libexec/ld.trnc.so"), 0o755, abi.ENOEXEC),
        ("p_noexec", patch_interp(prog, b"/usr/libexec/ld.nexe.so"), 0o755, abi.EACCES),
        ("p_dir", patch_interp(prog, b"/usr/libexec/ld.dire.so"), 0o755, abi.EACCES),
        # a shorter path padded with NULs: NetBSD wants the NUL as the last byte only
        ("p_padded", patch_interp(prog, b"/usr/libexec/ld.kw86"), 0o755, abi.ENOEXEC),
        ("p_dynld", patch_interp(prog, b"/usr/libexec/ld.dyna.so"), 0o755, 0),
        ("p_unterminated", patch_interp(prog, last=ord("x")), 0o755, abi.ENOEXEC),
        ("p_nul_inside", patch_interp(prog, b"/usr/libexec\0ld.kw86.so"[:23]), 0o755,
         abi.ENOEXEC),
        ("p_toolong", patch_interp(prog, filesz=1025), 0o755, abi.ENOEXEC),
        ("p_short", patch_interp(prog, filesz=1), 0o755, abi.ENOEXEC),
        # two PT_INTERP: NetBSD reads the first, the second is never looked at
        ("p_two_ok", second_interp(prog + b"/nonexistent/ld.so\0", len(prog)), 0o755, 0),
        ("p_two_bad", second_interp(missing + INTERP + b"\0", len(missing)), 0o755,
         abi.ENOENT),
        # the interpreters those name
        ("ld.text.so", b"not an ELF file, but executable\n", 0o755, None),
        ("ld.exec.so", prog, 0o755, None),
        ("ld.nold.so", no_loads(ld), 0o755, None),
        ("ld.trnc.so", ld[:60], 0o755, None),
        ("ld.nexe.so", ld, 0o644, None),
        ("ld.dire.so", None, 0o755, None),
        ("ld.dyna.so", dyn_ld, 0o755, None),
    ]


def test_malformed_variants_are_what_they_say(progs):
    """The patched files, read back here: each differs from a good one only where
    the name says."""
    m = {n: d for n, d, _, _ in malformed(progs)}
    ph = first(phdrs(m["p_unterminated"]), PT_INTERP)
    assert m["p_unterminated"][ph[1]:ph[1] + ph[4]] == INTERP + b"x"
    ph = first(phdrs(m["p_nul_inside"]), PT_INTERP)
    assert m["p_nul_inside"][ph[1]:ph[1] + ph[4]] == b"/usr/libexec\0ld.kw86.so\0"
    assert first(phdrs(m["p_toolong"]), PT_INTERP)[4] == 1025
    assert [p[0] for p in phdrs(m["p_two_ok"])].count(PT_INTERP) == 2
    assert [p[0] for p in phdrs(m["ld.dyna.so"])].count(PT_INTERP) == 1
    assert ehdr(m["ld.exec.so"])[0] == 2 and not any(
        p[0] == PT_LOAD for p in phdrs(m["ld.nold.so"]))


@pytest.mark.parametrize("mode", MODES, ids=lambda m: m[1])
def test_malformed_from_guest(tmp_path, progs, mode):
    """execve of each variant from a running guest: the errno NetBSD returns
    (ENOENT, EACCES, ENOEXEC), and the caller goes on; the ones NetBSD runs run."""
    cases = malformed(progs)
    libexec(tmp_path, progs, [(n, d, m) for n, d, m, _ in cases])
    host_copy(tmp_path, progs, "dynprog_pie")
    for name, _, _, errno in cases:
        if errno is None:
            continue
        rc, out, err = kw86(tmp_path, mode[0], "dynprog_pie", "errno", f"/usr/libexec/{name}")
        assert rc == 0, (name, out, err)
        if errno:
            assert f"dynprog: execv /usr/libexec/{name}: errno {errno}\n" in out, (name, out, err)
        else:
            assert "execv" not in out and out.count(CHECKS) == 2, (name, out, err)
            assert "ld.kw86: jumping to" in err, (name, err)


def test_malformed_top_level(tmp_path, progs):
    """`kw86 exec` of a variant: one line naming the file, the interpreter and
    the reason, exit status 127 for ENOENT and 126 otherwise; no traceback."""
    cases = malformed(progs)
    libexec(tmp_path, progs, [(n, d, m) for n, d, m, _ in cases])
    want = {"p_missing": (127, "interpreter /usr/libexec/ld.nope.so: No such file"),
            "p_notelf": (126, "interpreter /usr/libexec/ld.text.so: not an ELF file"),
            "p_etexec": (126, "the interpreter is ET_EXEC, not a shared object"),
            "p_noload": (126, "interpreter /usr/libexec/ld.nold.so: nothing to load"),
            "p_trunc": (126, "interpreter /usr/libexec/ld.trnc.so: truncated ELF file"),
            "p_noexec": (126, "interpreter /usr/libexec/ld.nexe.so: permission denied"),
            "p_dir": (126, "interpreter /usr/libexec/ld.dire.so: not a regular file"),
            "p_padded": (126, "bad PT_INTERP (not one NUL-terminated path)"),
            "p_unterminated": (126, "bad PT_INTERP (not one NUL-terminated path)"),
            "p_toolong": (126, "bad PT_INTERP (1025 bytes"),
            "p_short": (126, "bad PT_INTERP (1 bytes")}
    data = {n: d for n, d, _, _ in cases}
    for name, (status, msg) in want.items():
        host_copy(tmp_path, data, name)
        rc, out, err = kw86(tmp_path, [], name)
        assert rc == status and msg in err, (name, rc, err)
        assert err.count("\n") == 1 and err.startswith(f"kw86: {name}: ") and \
            "Traceback" not in err, (name, err)


# -- load_elf / load_interp on handmade files ---------------------------------------

CODE = b"\x90" * 0x100 + b"\xb8\x01\x00\x00\x00\xcd\x80"


def pie(segments=None, entry=0x100, **kw):
    if segments is None:
        segments = [(0x0, CODE, 0x200, 5), (0x2000, b"data", 0x2000, 6)]
    return make_elf(segments=segments, e_type=3, entry=entry, **kw)


def test_pie_placement():
    img = load_elf(pie())
    assert img.dyn and img.bias == 0x1000 and img.entry == 0x1100
    assert [(s.vaddr, s.memsz) for s in img.segments] == [(0x1000, 0x200), (0x3000, 0x2000)]
    assert img.brk == 0x5000 and img.interp is None and img.base == 0 and img.start == 0x1100
    # the largest p_align wins (elf_placedynexec)
    d = bytearray(pie())
    phs = phdrs(d)
    for ph in phs:
        if ph[0] == PT_LOAD:
            ph[7] = 0x10000
    img = load_elf(put_phdrs(d, phs))
    assert img.bias == 0x10000 and img.entry == 0x10100
    # an ET_EXEC stays where it is linked
    img = load_elf(make_elf())
    assert not img.dyn and img.bias == 0 and img.entry == 0x8048100


def test_pie_phdr_relocated():
    """AT_PHDR: the PT_LOAD holding the headers, relocated (make_elf has no PT_PHDR)."""
    segs = [(0x0, b"\0" * 0x100 + CODE, 0x300, 5)]
    d = pie(segs, entry=0x100)
    # make the first PT_LOAD start at file offset 0 so that it holds the headers
    phs = phdrs(d)
    ld = first(phs, PT_LOAD)
    ld[1], ld[4] = 0, ld[1] + ld[4]
    ld[5] = max(ld[5], ld[4])
    img = load_elf(put_phdrs(d, phs))
    assert img.phdr == 0x1000 + 52
    aux = dict(default_auxv(img))
    assert aux[abi.AT_PHDR] == 0x1034 and aux[abi.AT_ENTRY] == 0x1100 and aux[abi.AT_BASE] == 0


@pytest.mark.parametrize("mutate,msg,errno", [
    (lambda: pie([(0xbffff000, CODE, 0x200, 5)], entry=0xbffff000), "overlaps the kernel",
     abi.ENOEXEC),
    (lambda: pie([(0xbbbff000, CODE, 0x200, 5)], entry=0xbbbff000), "overlaps the stack",
     abi.ENOEXEC),
    (lambda: pie([(0x0, CODE, 0xfffff000, 5)]), "overlaps the kernel", abi.ENOEXEC),
    (lambda: pie([(0x0, CODE, 0x2000, 5), (0x1000, b"d", 0x1000, 6)]), "overlap", abi.ENOEXEC),
    (lambda: pie(entry=0x2100), "not in an executable segment", abi.ENOEXEC),
    (lambda: pie([(0x0, CODE, 0x100000, 5), (0x200000, b"d", 0x8000000, 6)]),
     "memory", abi.ENOMEM),
])
def test_bad_pie(mutate, msg, errno):
    with pytest.raises(ExecError) as e:
        load_elf(mutate(), mem_limit=64 << 20, name="prog")
    assert msg in str(e.value) and str(e.value).startswith("prog: ") and e.value.errno == errno


def test_pie_alignment_not_power_of_two():
    d = pie()
    phs = phdrs(d)
    for ph in phs:
        if ph[0] == PT_LOAD:
            ph[7] = 0x3000
    with pytest.raises(ExecError) as e:
        load_elf(put_phdrs(d, phs))
    assert e.value.errno == abi.EINVAL and "power of 2" in str(e.value)


def test_too_many_program_headers():
    d = bytearray(make_elf())
    struct.pack_into("<H", d, 44, 129)
    d += bytes(32 * 129)
    with pytest.raises(ExecError) as e:
        load_elf(bytes(d))
    assert "129 program headers (at most 128)" in str(e.value) and e.value.errno == abi.ENOEXEC


def test_pt_interp_read():
    """The path is read without its NUL; the first PT_INTERP is the one."""
    img = load_elf(make_elf(interp=True))
    assert img.interp == b"/usr/libexec/ld.elf_so"
    img = load_elf(pie(interp=True))
    assert img.interp == b"/usr/libexec/ld.elf_so" and img.dyn


def test_kapi_dynamic_pie_refused():
    note = NOTE + struct.pack("<III", 5, 8, 2) + b"kw86\0\0\0\0" + struct.pack("<II", 0x100, 0x108)
    img = load_elf(make_elf(note=note))
    assert img.kw86_ksyms == (0x100, 0x108)
    with pytest.raises(ExecError) as e:
        load_elf(pie(note=note))
    assert "not as a PIE" in str(e.value)


def small_interp(loads=((0x0, CODE, 0x200, 5), (0x2000, b"data", 0x3000, 6)), entry=0x100):
    d = make_elf(segments=list(loads), e_type=3, entry=entry, note=None)
    return d


def test_interp_placement():
    prog = load_elf(make_elf(interp=True))
    it = load_interp(small_interp(), prog)
    size = 0x5000                                # pages 0..4 of the interpreter
    assert it.bias_base == MMAP_TOP - size and prog.base == it.bias_base
    assert it.entry == it.bias_base + 0x100 and prog.start == it.entry
    assert [(s.vaddr, s.memsz) for s in it.segments] == \
        [(MMAP_TOP - size, 0x200), (MMAP_TOP - size + 0x2000, 0x3000)]
    aux = dict(default_auxv(prog, Cred(0, 0)))
    assert aux[abi.AT_BASE] == MMAP_TOP - size and aux[abi.AT_ENTRY] == 0x8048100
    st = build_stack(abi.USRSTACK, [b"p"], [], default_auxv(prog), execname=b"p")
    assert initial_registers(prog, st)["eip"] == it.entry
    # a program segment in the way: the interpreter goes below it
    prog = load_elf(make_elf(segments=[(0x8048000, CODE, 0x200, 5),
                                       (MMAP_TOP - 0x3000, b"x", 0x1000, 6)], interp=True))
    it = load_interp(small_interp(), prog)
    assert it.bias_base == MMAP_TOP - 0x3000 - size
    # its p_align truncates the base
    d = bytearray(small_interp())
    phs = phdrs(d)
    for ph in phs:
        if ph[0] == PT_LOAD:
            ph[7] = 0x100000
    it = load_interp(put_phdrs(d, phs), load_elf(make_elf(interp=True)))
    assert it.bias_base == (MMAP_TOP - size) & ~0xfffff


@pytest.mark.parametrize("data,msg,errno", [
    (b"\x7fELF", "truncated ELF file", abi.ENOEXEC),
    (b"#!/bin/sh\n", "interpreter scripts", abi.ENOEXEC),
    (make_elf(), "the interpreter is ET_EXEC", abi.ENOEXEC),
    (make_elf(e_type=1), "relocatable object", abi.ENOEXEC),
    (make_elf(machine=62), "x86-64 ELF, not i386", abi.ENOEXEC),
    (small_interp(loads=()), "no program headers", abi.ENOEXEC),
    (small_interp(loads=((0x0, CODE, 0x200, 5), (0x100, b"d", 0x100, 6))), "overlap",
     abi.ENOEXEC),
    (small_interp(entry=0x2100), "not in an executable segment", abi.ENOEXEC),
    (small_interp(loads=((0x0, CODE, 0xc0000000, 5),)), "no room for the interpreter",
     abi.ENOMEM),
    # its first PT_LOAD is not its lowest: the one below lands in the program
    (small_interp(loads=((0xb3bb7000, CODE, 0x200, 5), (0x0, b"d", 0x1000, 6)),
                  entry=0xb3bb7100), "overlaps the program's", abi.ENOEXEC),
])
def test_bad_interp(data, msg, errno):
    prog = load_elf(make_elf(interp=True))
    with pytest.raises(ExecError) as e:
        load_interp(data, prog, name="ld")
    assert msg in str(e.value) and str(e.value).startswith("ld: ") and e.value.errno == errno
    assert prog.interp_img is None


def test_interp_base_segment_alignment():
    """elf_load_psection: the interpreter's first segment must start on its p_align
    (EINVAL), or its alignment be a power of 2."""
    d = small_interp(loads=((0x1000, CODE, 0x200, 5),), entry=0x1100)
    phs = phdrs(d)
    for align, ok in ((0x1000, True), (0x10000, False), (0x3000, False)):
        for ph in phs:
            if ph[0] == PT_LOAD:
                ph[7] = align
        prog = load_elf(make_elf(interp=True))
        if ok:
            it = load_interp(put_phdrs(d, phs), prog)
            assert it.bias_base == MMAP_TOP - 0x1000 and it.entry == it.bias_base + 0x100
        else:
            with pytest.raises(ExecError) as e:
                load_interp(put_phdrs(d, phs), prog)
            assert e.value.errno == abi.EINVAL


def test_interp_memory_limit():
    prog = load_elf(make_elf(interp=True))
    big = small_interp(loads=((0x0, CODE, 0x200, 5), (0x2000, b"d", 0x2000000, 6)))
    with pytest.raises(ExecError) as e:
        load_interp(big, prog, mem_limit=16 << 20)
    assert e.value.errno == abi.ENOMEM


# -- hypothesis: mutated headers of the real files ------------------------------------

@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture],
          deadline=None)
@given(which=st.sampled_from(["dynprog_pie", "dynprog_dynpie", "dynprog_interp"]),
       edits=st.lists(st.tuples(st.integers(0, 52 + 32 * 9 - 1), st.integers(0, 255)),
                      min_size=1, max_size=6),
       ledits=st.lists(st.tuples(st.integers(0, 52 + 32 * 6 - 1), st.integers(0, 255)),
                       max_size=4))
def test_mutated_headers(progs, which, edits, ledits):
    """Whatever the header bytes say: a clean ExecError, or an image whose segments
    (the program's and its interpreter's) lie in user space without overlapping."""
    d = bytearray(progs[which])
    for off, v in edits:
        d[off] = v
    ld = bytearray(progs["ld.kw86.so"])
    for off, v in ledits:
        ld[off] = v
    try:
        img = load_elf(bytes(d), mem_limit=32 << 20)
        if img.interp is not None:
            load_interp(bytes(ld), img, mem_limit=32 << 20)
    except ExecError as e:
        assert "\n" not in str(e) and e.errno in (abi.ENOEXEC, abi.ENOMEM, abi.EINVAL)
        return
    segs = img.segments + (img.interp_img.segments if img.interp_img else [])
    for s in segs:
        assert PAGE <= s.vaddr and s.vaddr + s.memsz <= MMAP_TOP
    spans = sorted((s.vaddr, s.vaddr + s.memsz) for s in segs)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))
    assert any(s.flags & 1 and s.vaddr <= img.start < s.vaddr + s.memsz for s in segs)


def test_profile_names_pie_functions(tmp_path, progs):
    """--profile finds a PIE's functions where exec put them (0x1000 up)."""
    libexec(tmp_path, progs)
    host_copy(tmp_path, progs, "dynprog_pie")
    rc, out, err = kw86(tmp_path, [], "dynprog_pie", opts=["--profile", str(tmp_path / "p")])
    assert rc == 0, err
    rows = {ln.split()[-1] for ln in err.splitlines()[2:] if ln.strip()}
    assert {"main", "__kw86_start", "__kw86_vformat"} <= rows, err
    assert "__sys_fork" not in rows             # (what the link addresses would name)


def test_kwrun_pie_with_interpreter(tmp_path, progs):
    """kwrun (a process that switches itself to CPL 0, then execs): the PIE and
    its interpreter start at CPL 0 from the kernelware exec's gate frame."""
    libexec(tmp_path, progs)
    r = subprocess.run([sys.executable, "-m", "kw86.cli", "exec", "--bind",
                        f"{tmp_path / 'libexec'}:/usr/libexec:ro", "/usr/bin/kwrun",
                        "/usr/libexec/dynprog_dynpie"], cwd=tmp_path, capture_output=True,
                       timeout=120, env=hostenv.kw86_env(), stdin=subprocess.DEVNULL)
    out, err = r.stdout.decode(), r.stderr.decode()
    assert r.returncode == 0, err
    assert ld_lines(err)["cpl"] == "0" and "dynprog: cpl 0\n" in out and CHECKS in out
    assert prog_line(out)[0] == "/usr/libexec/dynprog_dynpie"


# -- the position-independent libc: other guest programs built as static PIEs ----------

SAME_AS_EXEC = ["pthread_lockexit", "posix_mmap", "sigpair", "sysfast", "fpu"]


@pytest.fixture(scope="module")
def pie_builds(progs):
    """{name: (ET_EXEC path, PIE path)} of tests/guest programs, each copied under
    its own name into a directory of its kind (argv[0] is the same)."""
    from nbsd_env import guest_program
    b = _userland_build()
    out = {}
    for n in SAME_AS_EXEC:
        exe = guest_program(n)
        if exe is None:
            fail_build(guest_program.why)
        pie_path = os.path.join(OUT, "pie", n)
        try:
            b.build_program([os.path.join(GUEST_SRC, n + ".c")], pie_path,
                            obj_dir=os.path.join(OUT, "obj-pie"), pie=True)
        except Exception as e:
            fail_build(f"cannot build {n} as a PIE: {e}"[:2000])
        out[n] = (exe, pie_path)
    return out


@pytest.mark.parametrize("mode", MODES, ids=lambda m: m[1])
def test_guest_programs_as_pie(tmp_path, pie_builds, mode):
    """Threads and their locks, mmap, signals (the trampoline's gate call at CPL 0), syscall(2),
    the FPU: the same output and status from the PIE as from the ET_EXEC."""
    for n, (exe, pie_path) in pie_builds.items():
        assert ehdr(open(pie_path, "rb").read())[0] == 3
        res = []
        for kind, path in (("exec", exe), ("pie", pie_path)):
            d = tmp_path / kind
            d.mkdir(exist_ok=True)
            shutil.copy(path, d / n)
            r = subprocess.run([sys.executable, "-m", "kw86.cli", "exec", *mode[0], "./" + n],
                               cwd=d, capture_output=True, timeout=300,
                               env=hostenv.kw86_env(), stdin=subprocess.DEVNULL)
            res.append((r.returncode, r.stdout, r.stderr))
        assert res[0] == res[1], (n, res)


# -- another toolchain: GCC and GNU ld's -static-pie -------------------------------------

@pytest.mark.parametrize("mode", MODES, ids=lambda m: m[1])
def test_gcc_static_pie(tmp_path, progs, mode):
    """The host's GCC (PIE code by Debian's default, __x86.get_pc_thunk) linked by
    GNU ld -static-pie against the position-independent libc and crt (the build in
    OUT/obj-pie): a GNU_RELRO and GNU ld's own layout, relocated by crt0 the same."""
    if shutil.which("gcc") is None:
        fail_build("no host C compiler (gcc; .ci/run installs it)")
    sys.path.insert(0, os.path.join(REPO, "tools"))
    try:
        import gcc_netbsd
    finally:
        sys.path.pop(0)
    out = tmp_path / "gcc_pie"
    try:
        gcc_netbsd.build([os.path.join(SRC, "dynprog.c")], str(out), ["-O2"], pie=True,
                         obj=os.path.join(OUT, "obj-pie"), env=hostenv.ENV)
    except Exception as e:
        fail_build(f"gcc -static-pie of dynprog.c: {e}"[:3000])
    data = out.read_bytes()
    assert ehdr(data)[0] == 3 and not any(ph[0] == PT_INTERP for ph in phdrs(data))
    assert n_relative(data) > 0
    libexec(tmp_path, progs)
    rc, stdout, err = kw86(tmp_path, mode[0], "gcc_pie")
    assert rc == 0, err
    name, entry, phdr, base, phnum, main = prog_line(stdout)
    assert int(entry, 16) == pie_bias(data) + ehdr(data)[1] and base == "0"
    assert CHECKS in stdout


def with_reloc_type(data, rtype):
    """The file with its last DT_REL entry's type changed to rtype."""
    dyn = first(phdrs(data), PT_DYNAMIC)
    d = dict(struct.unpack_from("<II", data, dyn[1] + 8 * i) for i in range(dyn[4] // 8))
    loads = [ph for ph in phdrs(data) if ph[0] == PT_LOAD]
    off = next(ph[1] + d[17] - ph[2] for ph in loads if ph[2] <= d[17] < ph[2] + ph[4])
    data = bytearray(data)
    last = off + d[18] - 8
    assert data[last + 4] == 8                  # R_386_RELATIVE
    data[last + 4] = rtype
    return bytes(data)


@pytest.mark.parametrize("mode", MODES, ids=lambda m: m[1])
def test_unsupported_relocation_fails_loudly(tmp_path, progs, mode):
    """A relocation that needs a symbol (R_386_32 here): the static PIE's crt0
    and the interpreter each end the program with a message and status 127 (at
    CPL 0 too: crt0 then calls the gate itself), before main."""
    libexec(tmp_path, progs)
    host_copy(tmp_path, progs, "bad_pie", with_reloc_type(progs["dynprog_pie"], 1))
    rc, out, err = kw86(tmp_path, mode[0], "bad_pie")
    assert (rc, out, err) == (127, "", "static PIE: relocation type 0x01 is not supported "
                                       "(only R_386_RELATIVE)\n")
    host_copy(tmp_path, progs, "bad_dynpie", with_reloc_type(progs["dynprog_dynpie"], 6))
    rc, out, err = kw86(tmp_path, mode[0], "bad_dynpie")
    assert rc == 127 and out == "", err
    assert err.endswith("ld.kw86: fatal: program: relocation type 0x00000006 needs symbol "
                        "resolution\n") and "program relocated" not in err
