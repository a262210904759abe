"""kw86 bench bochs (kw86/bench_bochs.py, bench/bochs/): the pieces that can be
checked without Bochs, nothing timed (speed is never asserted).

* The boot image builds (zig, the same flags as the userland): a boot sector
  ending in 55 aa whose disk address packet reads exactly the program's
  sectors to 1000:0000 from LBA 1, a parameter block the harness patches.
* The guest program itself (kmain and the workloads, from the image's bytes as
  the boot sector loads them) runs on kw86's FlatCPU with ports 0xe9 and 0x8900
  hooked: it prints the line the harness parses, with checksums equal to
  independent Python models of the workloads (zlib's CRC32, the prime count
  below 200,000, Python's sort ...), and writes "Shutdown" to port 0x8900.
* The output parser, the bochsrc, and the run path against a stand-in `bochs`
  script (a debugger build without nogui: the -rc file, the fallback to sdl2,
  the shutdown check); a missing Bochs is said plainly by `kw86 bench bochs`.

Bochs itself is a benchmark-only peer (not a CI dependency): the real run is
bench/test_bench_bochs_cmd.py and `kw86 bench bochs`.
"""
import struct
import subprocess
import sys
import zlib

import pytest

import hostenv
from buildreq import built

try:
    from kw86 import bench_bochs
    from kw86.bench_cpu import BenchError
    from kw86.testing import FlatCPU
    HAVE_MACHINE = True
except ImportError:
    HAVE_MACHINE = False

pytestmark = [built(HAVE_MACHINE, "the kw86 machine (kw86.machine)")]


@pytest.fixture(scope="module")
def image():
    return bench_bochs.Image(bench_bochs.build_image())


# --- independent models of the workloads (kw86/bench_cpu.py's WORKLOADS_C) -----

M32 = 0xFFFFFFFF


def fill(length):
    return bytes(((i * 7) ^ (i >> 8)) & 0xFF for i in range(length))


def model_sieve(n):
    flags = bytearray([1]) * 200000
    count = 0
    for b in range(2, 200000):
        if flags[b]:
            count += 1
            flags[2 * b::b] = bytes(len(range(2 * b, 200000, b)))
    return count


def model_crc32(n):
    # the register state runs on across the passes: the CRC of n copies
    return zlib.crc32(fill(65536) * n)


def model_copy(n):
    return struct.unpack("<I", fill(1 << 20)[0xFFFFC:])[0]


def model_sort(n):
    seed, h = 12345, 0
    for _ in range(n):
        a = []
        for _ in range(20000):
            seed = (seed * 1103515245 + 12345) & M32
            a.append(seed >> 1)
        for v in sorted(a):
            h = (h * 31 + v) & M32
    return h


def model_words(n):
    x, text = 1234, []
    for _ in range(65536):
        x = (x * 1103515245 + 12345) & M32
        c = (x >> 16) & 31
        text.append(32 if c < 5 else 10 if c == 5 else 97 + c)
    words = lines = 0
    table = {}                  # FNV-1a hash -> count; at most 4096 distinct
    for _ in range(n):
        inword, start = False, 0
        for i, ch in enumerate(text):
            if ch in (32, 10):
                if ch == 10:
                    lines += 1
                if inword:
                    words += 1
                    h = 2166136261
                    for b in text[start:i]:
                        h = ((h ^ b) * 16777619) & M32
                    if h in table:
                        table[h] += 1
                    elif len(table) < 4096:
                        table[h] = 1
                inword = False
            elif not inword:
                inword, start = True, i
    total = sum(v * (k & 7) for k, v in table.items()) & M32
    return (words ^ lines ^ total ^ len(table)) & M32


MODELS = {"sieve": model_sieve, "crc32": model_crc32, "copy": model_copy,
          "sort": model_sort, "words": model_words}


def test_models_know_their_facts():
    assert model_sieve(1) == 17984             # primes below 200,000
    assert model_crc32(1) == zlib.crc32(fill(65536))


# --- the image -----------------------------------------------------------------

def test_boot_sector_and_layout(image):
    boot = image.boot
    assert len(boot) == 512 and boot[510:] == b"\x55\xaa"
    assert 1 <= image.sectors <= bench_bochs.MAX_SECTORS
    assert image.syms["__image_start"] == bench_bochs.IMAGE_BASE
    assert image.syms["__bss_end"] <= bench_bochs.IMAGE_LIMIT
    # the disk address packet: 16 bytes, the program's sector count, buffer
    # 1000:0000 (= IMAGE_BASE), from LBA 1 (right after the boot sector)
    dap = struct.pack("<BBHHHQ", 0x10, 0, image.sectors, 0, bench_bochs.IMAGE_BASE >> 4, 1)
    assert boot.count(dap) == 1
    assert len(image.body) == image.sectors * 512


def test_disk_patches_the_parameters(image):
    for w, k in bench_bochs.WORKLOAD_INDEX.items():
        disk = image.disk(w, 37)
        assert len(disk) == bench_bochs.DISK_SIZE
        assert disk[:512] == image.boot
        off = 512 + image.params_offset
        assert disk[off - 16:off] == bench_bochs.PARAMS_MAGIC
        assert struct.unpack_from("<II", disk, off) == (k, 37)
        # nothing else differs from the unpatched program
        body = bytearray(disk[512:512 + len(image.body)])
        body[image.params_offset:image.params_offset + 8] = image.body[
            image.params_offset:image.params_offset + 8]
        assert bytes(body) == image.body
    with pytest.raises(BenchError):
        image.disk("nosuch", 1)


def run_kmain(image, program):
    """The program bytes as the boot sector loads them, kmain called on FlatCPU
    (CPL 0, flat) with the debug and shutdown ports hooked."""
    cpu = FlatCPU(cpl=0, mem_size=0x600000)
    cpu.write_mem(bench_bochs.IMAGE_BASE, program)
    cpu.write_mem(0x1000, b"\xcc")
    cpu.write_mem(0x90000 - 4, struct.pack("<I", 0x1000))
    cpu.set_reg("esp", 0x90000 - 4)
    cpu.set_reg("eip", image.syms["kmain"])
    ports = {0xE9: bytearray(), 0x8900: bytearray()}
    for port, buf in ports.items():
        cpu.machine.set_port_handler(
            port, write=lambda p, size, value, buf=buf: buf.append(value & 0xFF))
    r = cpu.machine.run(1 << 40)
    assert r.exception is not None and r.exception.vector == 3, r       # returned to 0x1000
    return ports[0xE9].decode(), bytes(ports[0x8900])


@pytest.mark.parametrize("workload", list(MODELS))
@pytest.mark.parametrize("n", [1, 2])
def test_guest_program_prints_the_models_checksum(image, workload, n):
    disk = image.disk(workload, n)
    out, shutdown = run_kmain(image, disk[512:512 + image.sectors * 512])
    w, got_n, result, tsc = bench_bochs.parse_output(out)
    assert (w, got_n) == (workload, n)
    assert result == MODELS[workload](n)
    assert tsc > 0
    assert shutdown == b"Shutdown"


def test_guest_program_refuses_bad_parameters(image):
    body = bytearray(image.body)
    struct.pack_into("<II", body, image.params_offset, 5, 1)     # no workload 5
    out, shutdown = run_kmain(image, bytes(body))
    assert "bad parameters" in out and shutdown == b"Shutdown"
    with pytest.raises(BenchError, match="no valid parameters"):
        bench_bochs.parse_output(out)


# --- parsing, bochsrc, the run path -----------------------------------------------

def test_parse_output_among_debugger_lines():
    text = ("Next at t=0\n(0) [0x0000fffffff0] f000:fff0 (unk. ctxt): jmpf 0xf000:e05b\n"
            "kw86-bochs sieve 16 17984 00000000041b6939\nkw86-bochs: end\n"
            "(0).[24916892] [0x0000000103a9] 0008:00000000000103a9 (unk. ctxt): out dx, al\n")
    assert bench_bochs.parse_output(text) == ("sieve", 16, 17984, 0x41b6939)


@pytest.mark.parametrize("text", [
    "",                                                       # nothing at all
    "kw86-bochs sieve 16 17984 00000000041b6939\n",           # no end line: did not finish
    "kw86-bochs: end\n",                                      # no result
    "kw86-bochs sieve 16 x 00000000041b6939\nkw86-bochs: end\n",
])
def test_parse_output_rejects(text):
    with pytest.raises(BenchError):
        bench_bochs.parse_output(text)


def test_bochsrc_is_headless_and_reports_on_e9():
    b = bench_bochs.Bochs("bochs", "/bios", "/vgabios", "2.7", True)
    rc = b.bochsrc("disk.img", "bochs.log", "nogui")
    lines = rc.splitlines()
    for want in ("display_library: nogui", "port_e9_hack: enabled=1", "boot: disk",
                 "ata0-master: type=disk, path=disk.img, mode=flat", "log: bochs.log",
                 "romimage: file=/bios", "vgaromimage: file=/vgabios", "panic: action=fatal",
                 "cpu: count=1, reset_on_triple_fault=0"):
        assert want in lines, want


FAKE_BOCHS = r'''#!{python}
# a stand-in for a debugger build of Bochs without the nogui display library
import os, sys
if "--help" in sys.argv:
    sys.stderr.write("Bochs x86 Emulator 2.7\n  -rc filename     execute debugger commands\n")
    sys.exit(0)
rc = open(sys.argv[sys.argv.index("-f") + 1]).read()
if "-rc" not in sys.argv or "continue" not in open(sys.argv[sys.argv.index("-rc") + 1]).read():
    print("<bochs:1> ", end=""); sys.exit(1)          # would sit at the debugger prompt
if "display_library: nogui" in rc:
    sys.stderr.write("[      ] bochsrc:5: display library 'nogui' not available\n"); sys.exit(1)
assert os.environ.get("SDL_VIDEODRIVER") == "dummy"
log = [l.split(": ", 1)[1] for l in rc.splitlines() if l.startswith("log: ")][0]
print("kw86-bochs sieve 1 17984 0000000000000400\nkw86-bochs: end")
open(log, "w").write({shutdown!r})
sys.exit(1)
'''


def fake_bochs(tmp_path, shutdown):
    d = tmp_path / "bin"
    d.mkdir()
    p = d / "bochs-bin"
    p.write_text(FAKE_BOCHS.format(python=sys.executable, shutdown=shutdown))
    p.chmod(0o755)
    bios = tmp_path / "bios"
    bios.write_bytes(b"\0")
    return hostenv.env(PATH=str(d), KW86_BOCHS_BIOS=bios, KW86_BOCHS_VGABIOS=bios)


def test_run_path_against_a_stand_in(tmp_path):
    env = fake_bochs(tmp_path, "00000000000i[      ]   SMP support: yes, quantum=16\n"
                               "00000024916892p[UNMAP ] >>PANIC<< Shutdown port: "
                               "shutdown requested\n")
    b = bench_bochs.find_bochs(env)
    assert b.debugger and b.version == "2.7"
    work = tmp_path / "work"
    work.mkdir()
    text, dt = b.run(str(work), "disk.img")
    assert b.display == "sdl2"
    assert b.config == {"SMP support": "yes, quantum=16"}
    assert bench_bochs.parse_output(text) == ("sieve", 1, 17984, 0x400)
    assert dt >= 0


def test_run_path_requires_the_shutdown(tmp_path):
    b = bench_bochs.find_bochs(fake_bochs(tmp_path, "no shutdown here\n"))
    work = tmp_path / "work"
    work.mkdir()
    with pytest.raises(BenchError, match="shutdown port"):
        b.run(str(work), "disk.img")


def test_missing_bochs_is_said_plainly(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert bench_bochs.find_bochs({"PATH": str(empty)}) is None
    assert bench_bochs.find_bochs({"PATH": "/usr/bin:/bin",
                                   "KW86_BOCHS": str(empty / "bochs")}) is None
    p = subprocess.run([sys.executable, "-m", "kw86.cli", "bench", "bochs", "-n", "1"],
                       env=hostenv.kw86_env(PATH=str(empty), KW86_BOCHS=None),
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 1
    assert "Bochs is not installed" in p.stderr and "apt-get install bochs" in p.stderr
