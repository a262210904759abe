"""`kw86 exec --trace FILE` (issue 5): each executed instruction with its
address, bytes, disassembly and changed registers, plus events; bounded by
--trace-limit; tracing changes neither the guest's behaviour nor its clock."""
import io
import os
import re

import pytest

from buildreq import built
from nbsd_env import SYSROOT

pytestmark = built(os.path.exists(os.path.join(SYSROOT, "bin", "echo")), "the userland sysroot")

LINE = re.compile(r"^(\d+) 0x([0-9a-f]{8})  ((?:[0-9a-f]{2} )*[0-9a-f]{2}) +(.*?)  ; (.*)$")


def _entry_bytes(path):
    from elftools.elf.elffile import ELFFile
    with open(path, "rb") as f:
        elf = ELFFile(f)
        entry = elf.header.e_entry
        for seg in elf.iter_segments():
            if seg["p_type"] == "PT_LOAD" and seg["p_vaddr"] <= entry < seg["p_vaddr"] + seg["p_filesz"]:
                off = entry - seg["p_vaddr"] + seg["p_offset"]
                f.seek(off)
                return entry, f.read(15)
    raise AssertionError("entry not in a PT_LOAD")


def _user_lines(text):
    out = []
    for line in text.splitlines():
        m = LINE.match(line)
        if m and int(m.group(2), 16) < 0xc0000000:
            out.append(m)
    return out


@pytest.mark.parametrize("kernelware", [False, True])
def test_trace_starts_at_entry(tmp_path, capfd, kernelware):
    from kw86 import cli
    from kw86.decoder import decode
    tf = tmp_path / "trace.txt"
    capfd.readouterr()
    rc = cli.main(["exec", "--trace", str(tf)] + (["--kernelware"] if kernelware else []) +
                  ["/bin/echo", "hello"])
    out, err = capfd.readouterr()
    assert rc == 0 and out == "hello\n", err
    text = tf.read_text()
    entry, code = _entry_bytes(os.path.join(SYSROOT, "bin", "echo"))
    lines = _user_lines(text)
    assert lines, text[:2000]
    first = lines[0]
    assert int(first.group(1)) == 2 and int(first.group(2), 16) == entry     # init is 1
    d = decode(code, ip=entry)
    assert first.group(3) == d.bytes.hex(" ")
    assert first.group(4).strip() == str(d)
    # consecutive user instructions follow each other: the second one is
    # right after the first unless the first was a branch
    second = decode(code[d.length:], ip=entry + d.length)
    if not str(d).startswith(("j", "call", "ret")):
        assert int(lines[1].group(2), 16) == entry + d.length
        assert lines[1].group(4).strip() == str(second)
    # the changed registers are named
    assert re.search(r"; .*\b(e[a-d]x|e[sd]i|e[sb]p)=0x", text)
    # events: the write and the exit, with decoded arguments and result
    assert re.search(r'^2 -- syscall write\(1,0x[0-9a-f]+,6\)$', text, re.M)
    assert "2 -- return 6\n" in text
    assert "2 -- syscall exit(0)\n" in text
    assert "2 -- exit status 0x0\n" in text
    if not kernelware:
        assert "iretd" in text and "<trapret" in text      # locore is traced too


def test_trace_limit_cuts(tmp_path, capfd):
    from kw86 import cli
    tf = tmp_path / "trace.txt"
    capfd.readouterr()
    rc = cli.main(["exec", "--trace", str(tf), "--trace-limit", "50", "/bin/echo", "a", "b"])
    out, err = capfd.readouterr()
    assert rc == 0 and out == "a b\n"
    text = tf.read_text()
    assert len([1 for line in text.splitlines() if LINE.match(line)]) == 50
    assert text.splitlines()[-1].startswith("-- trace cut after 50 instructions")


def _run(trace, argv, kernelware, limit=10**7):
    from kw86.nbsd.kernel import Kernel
    from kw86.nbsd.trace import Tracer
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        k = Kernel(SYSROOT, stdout=null, stderr=null, epoch_ns=1_700_000_000 * 10**9)
        k.spawn(argv[0].encode(), [a.encode() for a in argv], [b"PATH=/bin"],
                kernelware=kernelware)
        buf = io.StringIO()
        if trace:
            k.tracer = Tracer(k, buf, limit)
        st = k.run()
        k.close()
        return st, k.m.instructions, k.m.cycles, buf.getvalue()
    finally:
        os.close(null)


@pytest.mark.parametrize("kernelware", [False, True])
def test_trace_changes_nothing(kernelware):
    """Same status, instruction count and cycles with and without the trace:
    fork, pipes, context switches, a wait, a preemption tick or more."""
    argv = ["/bin/sh", "-c", "echo a | cat; ls -l /bin > /dev/null; exit 3"]
    plain = _run(False, argv, kernelware)
    traced = _run(True, argv, kernelware)
    assert plain[:3] == traced[:3]
    assert plain[0] >> 8 == 3
    t = traced[3]
    assert re.search(r"^2 -- syscall fork\(\)", t, re.M) or "vfork" in t
    assert re.search(r"-- switch pid \d+ -> \d+", t)
    assert "-- interrupt 0x20" in t
    # a short limit: the rest runs untraced, and still the same clock
    cut = _run(True, argv, kernelware, limit=1000)
    assert cut[:3] == plain[:3]
    assert cut[3].splitlines()[-1].startswith("-- trace cut after 1000")


@pytest.fixture(scope="module")
def fputrace():
    from buildreq import fail_build
    from nbsd_env import guest_program
    path = guest_program("fputrace")
    if path is None:
        fail_build(guest_program.why)
    return path


def _run_image(trace, path, kernelware):
    """tests/guest/fputrace as init's child: (status, instructions, cycles, output, trace)"""
    from kw86.nbsd.kernel import Kernel
    from kw86.nbsd.trace import Tracer
    with open(path, "rb") as f:
        image = f.read()
    r, w = os.pipe()
    try:
        k = Kernel(SYSROOT, stdout=w, stderr=w, epoch_ns=1_700_000_000 * 10**9)
        k.spawn(b"/fputrace", [b"fputrace"], [b"PATH=/bin"], kernelware, host_image=image)
        buf = io.StringIO()
        if trace:
            k.tracer = Tracer(k, buf)
        st = k.run()
        k.close()
        os.close(w)
        w = None
        out = os.read(r, 65536).decode()
        return st, k.m.instructions, k.m.cycles, out, buf.getvalue()
    finally:
        os.close(r)
        if w is not None:
            os.close(w)


def _changed(text, insn):
    """the changed-registers column of the last user-mode line whose text is insn"""
    found = [m.group(5) for m in _user_lines(text) if m.group(4).strip() == insn]
    assert found, f"{insn!r} not traced"
    return found[-1]


@pytest.mark.parametrize("kernelware", [False, True], ids=["user", "kernelware"])
def test_trace_x87_mmx_state(fputrace, kernelware):
    """The x87/MMX part of the changed registers (issue 10 item 7): a data
    register written shows as stI=<80-bit hex>(<decimal>) (I relative to the
    new TOP), an MMX one as mmN=<64-bit value>; fcw/fsw/ftw when they change;
    a pop changes only fsw and ftw; reading the FPU state changes nothing
    (same status, instructions and cycles as an untraced run)."""
    plain = _run_image(False, fputrace, kernelware)
    traced = _run_image(True, fputrace, kernelware)
    assert plain[:4] == traced[:4]
    assert plain[0] == 0 and plain[3] == "x87 401090fdaa22168c sw 0020 mmx 0011002200330044\n"
    t = traced[4]
    assert _changed(t, "fldcw word ptr [esp+0x6]") == "fcw=0x27f"
    assert _changed(t, "fld1") == "st0=0x3fff8000000000000000(1) fsw=0x3800 ftw=0x3fff"
    assert _changed(t, "fldpi") == \
        "st0=0x4000c90fdaa22168c235(3.14159265358979323851) fsw=0x3000 ftw=0xfff"
    # 1 + pi rounded to 53 bits (the control word above), tagged valid, PE
    assert _changed(t, "faddp st(1), st") == \
        "st0=0x40018487ed5110b46000(4.141592653589793116) fsw=0x3820 ftw=0x3fff"
    assert _changed(t, "fstp qword ptr [esp+0x10]") == "fsw=0x20 ftw=0xffff"
    assert _changed(t, "fnstsw word ptr [esp+0x4]") == "-"
    assert _changed(t, "movq mm0, [esp+0x20]").startswith("mm0=0x1000200030004 ftw=")
    assert _changed(t, "movq mm1, [esp+0x18]").startswith("mm1=0x10002000300040 ftw=")
    assert _changed(t, "paddw mm0, mm1") == "mm0=0x11002200330044"
    assert _changed(t, "movq [esp+0x8], mm0") == "-"
    assert _changed(t, "emms") == "ftw=0xffff"
    # the lazy FPU's #NM at the process's first FPU instruction
    assert re.search(r"^2 -- exception 7 #NM$", t, re.M)


def test_f80_text():
    from kw86.nbsd.trace import f80_text
    assert f80_text(0x3fff, 1 << 63) == "0x3fff8000000000000000(1)"
    assert f80_text(0xbffe, 0xc << 60) == "0xbffec000000000000000(-0.75)"
    assert f80_text(0x8000, 0) == "0x80000000000000000000(-0)"
    assert f80_text(0x7fff, 1 << 63) == "0x7fff8000000000000000(inf)"
    assert f80_text(0xffff, 0xc << 60) == "0xffffc000000000000000(-nan)"   # real indefinite
    assert f80_text(0x7fff, (1 << 63) | 1) == "0x7fff8000000000000001(snan)"
    assert f80_text(0x7fff, 1).endswith("(pseudo-nan)")
    assert f80_text(0x7fff, 0).endswith("(pseudo-inf)")
    assert f80_text(0x4000, 1 << 62).endswith("(unnormal)")
    assert f80_text(0, 1) == "0x00000000000000000001(3.64519953188247460253e-4951)"  # 2^-16445
    assert f80_text(0x43fe, 1 << 63).endswith("(8.98846567431157953864e+307)")       # 2^1023
