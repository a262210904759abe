"""ELF validation and the initial stack (abi §5), on handmade executables."""
import struct
import subprocess
import sys

import pytest

import hostenv
from buildreq import fail_build
from kw86.nbsd import abi
from kw86.nbsd.elf import ExecError, build_stack, default_auxv, initial_registers, load_elf
from kw86.nbsd.vfs import Cred

NOTE = struct.pack("<III", 7, 4, 1) + b"NetBSD\0\0" + struct.pack("<I", abi.NETBSD_VERSION_10)


def make_elf(segments=None, note=NOTE, e_type=2, machine=3, ei_class=1, interp=False,
             entry=0x8048100):
    """A minimal ELF32 executable: header, program headers, note, payload."""
    if segments is None:
        segments = [(0x8048000, b"\x90" * 0x100 + b"\xb8\x01\x00\x00\x00\xcd\x80", 0x200, 5),
                    (0x804a000, b"data", 0x2000, 6)]
    phs = []
    nph = len(segments) + (1 if note else 0) + (1 if interp else 0)
    off = 52 + 32 * nph
    blobs = b""
    if note:
        phs.append((4, off, 0, 0, len(note), len(note), 4, 4))
        blobs += note
        off += len(note)
    if interp:
        s = b"/usr/libexec/ld.elf_so\0"
        phs.append((3, off, 0, 0, len(s), len(s), 4, 1))
        blobs += s
        off += len(s)
    for vaddr, data, memsz, flags in segments:
        pad = (vaddr - off) % 4096
        blobs += b"\0" * pad
        off += pad
        phs.append((1, off, vaddr, vaddr, len(data), memsz, flags, 4096))
        blobs += data
        off += len(data)
    ident = b"\x7fELF" + bytes([ei_class, 1, 1, 0]) + bytes(8)
    hdr = ident + struct.pack("<HHIIIIIHHHHHH", e_type, machine, 1, entry, 52, 0, 0, 52, 32,
                              nph, 40, 0, 0)
    return hdr + b"".join(struct.pack("<8I", *p) for p in phs) + blobs


def test_good_elf():
    img = load_elf(make_elf())
    assert img.entry == 0x8048100 and img.netbsd_version == abi.NETBSD_VERSION_10
    assert [(s.vaddr, s.memsz, s.filesz) for s in img.segments] == \
        [(0x8048000, 0x200, 0x107), (0x804a000, 0x2000, 4)]
    assert img.segments[0].prot == abi.NBSD_PROT_READ | abi.NBSD_PROT_EXEC
    assert img.brk == 0x804c000 and img.phnum == 3


@pytest.mark.parametrize("mutate,msg", [
    (lambda d: b"#!/bin/sh\n", "interpreter scripts"),
    (lambda d: b"hello world, not an elf", "not an ELF file"),
    (lambda d: d[:40], "truncated ELF file"),
    (lambda d: d[:100], "truncated ELF file"),
    (lambda d: make_elf(ei_class=2, machine=62), "64-bit x86-64 ELF, not i386"),
    (lambda d: make_elf(machine=40), "ARM ELF, not i386"),
    (lambda d: make_elf(machine=183), "AArch64 ELF, not i386"),
    (lambda d: make_elf(e_type=4), "a core file, not an executable"),
    (lambda d: make_elf(e_type=1), "relocatable object"),
    (lambda d: make_elf(note=None), "no NetBSD note"),
    (lambda d: make_elf(note=NOTE.replace(b"NetBSD", b"FreeBS")), "no NetBSD note"),
    (lambda d: make_elf(segments=[(0xc0000000, b"x", 0x1000, 5)], entry=0xc0000000),
     "overlaps the kernel"),
    (lambda d: make_elf(segments=[(0xbff00000, b"x", 0x200000, 5)], entry=0xbff00000),
     "overlaps the kernel"),
    (lambda d: make_elf(segments=[(0x8048000, b"x", 0x1000, 5), (0x8048800, b"y", 0x1000, 6)],
                        entry=0x8048000), "overlap"),
    (lambda d: make_elf(entry=0x804a000), "not in an executable segment"),
    (lambda d: make_elf(segments=[(0x0, b"x", 0x1000, 5)], entry=0), "page 0"),
])
def test_bad_elf(mutate, msg):
    with pytest.raises(ExecError) as e:
        load_elf(mutate(make_elf()), name="prog")
    assert msg in str(e.value) and str(e.value).startswith("prog: ")
    assert "\n" not in str(e.value)
    assert e.value.errno == abi.ENOEXEC


def test_exceeds_memory():
    with pytest.raises(ExecError) as e:
        load_elf(make_elf(segments=[(0x8048000, b"\x90" * 0x200, 0x10000000, 7)]),
                 mem_limit=64 << 20)
    assert "memory" in str(e.value) and e.value.errno == abi.ENOMEM


def test_stack_layout():
    img = load_elf(make_elf())
    top = abi.USRSTACK
    aux = default_auxv(img, Cred(1000, 100), gate=0xc0101234)
    st = build_stack(top, [b"/bin/ls", b"-l"], [b"HOME=/root", b"PATH=/bin"], aux,
                     execname=b"/bin/ls")
    mem = dict(base=st.esp, data=st.data)

    def w(addr):
        return struct.unpack_from("<I", mem["data"], addr - mem["base"])[0]

    def cstr(addr):
        d = mem["data"][addr - mem["base"]:]
        return d[:d.index(b"\0")]
    assert st.esp % 16 == 0 and st.esp + len(st.data) == top
    assert w(st.esp) == 2
    assert cstr(w(st.esp + 4)) == b"/bin/ls" and cstr(w(st.esp + 8)) == b"-l"
    assert w(st.esp + 12) == 0
    assert cstr(w(st.esp + 16)) == b"HOME=/root" and w(st.esp + 24) == 0
    # auxv right after envp's NULL, in NetBSD 10's order
    a = st.esp + 28
    pairs = []
    while True:
        t, v = w(a), w(a + 4)
        pairs.append((t, v))
        a += 8
        if t == abi.AT_NULL:
            break
    types = [t for t, _ in pairs]
    assert types == [3, 4, 5, 6, 7, 8, 9, 2000, 2001, 2002, 2003, 13, 2014, 0x4b57, 0]
    d = dict(pairs)
    assert d[abi.AT_ENTRY] == img.entry and d[abi.AT_PAGESZ] == 4096 and d[abi.AT_EUID] == 1000
    assert d[abi.AT_KW86_SYSCALL_GATE] == 0xc0101234
    assert cstr(d[abi.AT_SUN_EXECNAME]) == b"/bin/ls" and d[abi.AT_SUN_EXECNAME] == a
    # ps_strings at the top: crt0 finds auxv at ps_argvstr + argc + envc + 2 words
    argvp, argc, envp, envc = struct.unpack_from("<IiIi", st.data, st.ps_strings - st.esp)
    assert st.ps_strings == top - 16 and (argvp, argc, envc) == (st.esp + 4, 2, 2)
    assert argvp + 4 * (argc + envc + 2) == st.esp + 28 and envp == st.esp + 16
    regs = initial_registers(img, st)
    assert regs["ebx"] == st.ps_strings and regs["esp"] == st.esp and regs["eflags"] == 0x202
    assert (regs["cs"], regs["ds"], regs["gs"]) == (0x17, 0x1f, 0xb3)
    from kw86.nbsd.kernelware import SEGMENTS
    assert initial_registers(img, st, SEGMENTS)["cs"] == 0x08


def test_stack_too_big():
    img = load_elf(make_elf())
    with pytest.raises(ExecError) as e:
        build_stack(abi.USRSTACK, [b"x" * 300000], [], default_auxv(img))
    assert e.value.errno == abi.E2BIG


def test_zig_built_elf(tmp_path):
    src = tmp_path / "t.S"
    src.write_text("""
        .section .note.netbsd.ident, "a", @note
        .p2align 2
        .long 7, 4, 1
        .ascii "NetBSD\\0\\0"
        .long 1000000000
        .text
        .globl _start
_start: movl $1, %eax
        pushl $0
        pushl $0
        int $0x80
        .data
val:    .long 42
        .bss
buf:    .space 8192
""")
    out = tmp_path / "t"
    r = subprocess.run([sys.executable, "-m", "ziglang", "cc", "-target", "x86-freestanding-none",
                        "-mcpu=i686", "-nostdlib", "-static", "-Wl,-e,_start",
                        "-Wl,--image-base=0x8048000", str(src), "-o", str(out)],
                       capture_output=True, text=True, timeout=300, env=hostenv.ENV)
    if r.returncode != 0:
        fail_build(f"zig cc: {r.stderr[-200:]}")
    img = load_elf(out.read_bytes())
    assert img.netbsd_version == 1000000000
    assert any(s.flags & 1 and s.data.startswith(b"\xb8\x01\x00\x00\x00") for s in img.segments)
    bss = [s for s in img.segments if s.memsz > s.filesz]
    assert bss and bss[0].memsz - bss[0].filesz >= 8192
    assert img.phdr != 0
