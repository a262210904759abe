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
    assert int(first.group(1)) == 1 and int(first.group(2), 16) == entry
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
    assert re.search(r'^1 -- syscall write\(1,0x[0-9a-f]+,6\)$', text, re.M)
    assert "1 -- return 6\n" in text
    assert "1 -- syscall exit(0)\n" in text
    assert "1 -- exit status 0x0\n" in text
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
    assert re.search(r"^1 -- syscall fork\(\)", t, re.M) or "vfork" in t
    assert re.search(r"-- switch pid \d+ -> \d+", t)
    assert "-- interrupt 0x20" in t
    # a short limit: the rest runs untraced, and still the same clock
    cut = _run(True, argv, kernelware, limit=1000)
    assert cut[:3] == plain[:3]
    assert cut[3].splitlines()[-1].startswith("-- trace cut after 1000")
