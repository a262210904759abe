"""`kw86 bench bochs`: kw86 against Bochs on the same workloads, in one run.

Issue 12 asks for "at least 3x Bochs everywhere".  Bochs emulates a whole PC,
so it cannot run a NetBSD program by itself; it boots a disk image instead:

* bench/bochs/boot.S: a boot sector (the BIOS loads it at 0x7c00) that turns
  A20 on, reads the rest of the image to 0x10000 (int 13h extended read), loads
  a flat GDT and enters 32-bit protected mode;
* bench/bochs/main.c: runs one workload of `kw86 bench cpu` n times on a 3 MiB
  buffer at 0x200000 with the time-stamp counter read around it, writes
  `kw86-bochs WORKLOAD N RESULT TSC` to Bochs's debug port 0xe9 and asks Bochs
  to stop ("Shutdown" written to port 0x8900);
* the workloads: kw86/bench_cpu.py's WORKLOADS_C, the very source of the
  NetBSD program `kw86 bench cpu` runs, compiled with the same zig flags
  (userland/build.py's CFLAGS: x86-freestanding-none, -mcpu=i686, -O2).

The workload and N are patched into the image (a parameter block found by its
magic), one disk image per (workload, N).  Bochs runs headless from a bochsrc
written to a temporary directory (display library nogui where the build has
it, else SDL2 with SDL's dummy video driver; the debugger of a debugger build
told to continue; log to a file; stdin /dev/null).

Measured like `kw86 bench cpu`: Bochs, `kw86 exec` (CPL 3), `kw86 exec
--kernelware` (CPL 0) and FlatCPU (the NetBSD program's function called
directly) interleaved round by round, two sizes N1 < N2, best of R, CPU time
(the children's rusage; process time for FlatCPU), rates from the difference
of the two sizes, so Bochs's BIOS and boot and kw86's start-up cancel.  The
checksums must agree across all engines.  Instruction counts: kw86's own for
its engines; for Bochs, its time-stamp counter's advance across the workload,
which in Bochs is one tick per retired instruction -- checked against kw86's
count of the same function of the same boot image (FlatCPU) and printed.
"""

import hashlib
import importlib.util
import json
import os
import re
import resource
import shutil
import struct
import subprocess
import sys
import tempfile
import time

from kw86 import bench_cpu
from kw86.bench_cpu import BenchError, WORKLOADS

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SRC_DIR = os.path.join(ROOT, "bench", "bochs")
SOURCES = ("boot.S", "main.c", "link.ld")

WORKLOAD_INDEX = {"sieve": 0, "crc32": 1, "copy": 2, "sort": 3, "words": 4}   # main.c's w[]
PARAMS_MAGIC = b"kw86-bochs-parm\0"
IMAGE_BASE = 0x10000            # where the boot sector reads the program (link.ld)
IMAGE_LIMIT = 0x80000           # the program and its .bss stay below the stack (0x90000)
MAX_SECTORS = 127               # int 13h AH=42h: at most 127 sectors per call
# the disk: a flat image of 2 cylinders, 16 heads, 63 sectors per track (Bochs
# takes the geometry from the size of a flat image)
DISK_CYLINDERS, DISK_HEADS, DISK_SPT = 2, 16, 63
DISK_SIZE = DISK_CYLINDERS * DISK_HEADS * DISK_SPT * 512

RESULT_RE = re.compile(r"^kw86-bochs (\w+) (\d+) (\d+) ([0-9a-f]{16})$", re.M)
END_LINE = "kw86-bochs: end"
SHUTDOWN_MSG = "Shutdown port: shutdown requested"
BOCHS_TIMEOUT = 900             # seconds for one Bochs run
# the build configuration lines of Bochs's log (a debugger, SMP or unchained build is slower)
CONFIG_RE = re.compile(r"^\S+i\[\s+\]\s+(SMP support|level|RepeatSpeedups support|"
                       r"Handlers Chaining speedups|Fast function calls): (.*?)\s*$", re.M)

INSTALL_HINT = ("Debian: apt-get install bochs bochsbios vgabios bochs-sdl (bochs-sdl: its "
                "display library, when the build has no nogui); or set KW86_BOCHS to the "
                "bochs binary")


# --- the boot image -------------------------------------------------------------

def _userland_build():
    build_py = os.path.join(ROOT, "userland", "build.py")
    if not os.path.exists(build_py):
        raise BenchError("kw86 bench bochs compiles its guest with the source tree's "
                         "userland/build.py, which this installation lacks")
    spec = importlib.util.spec_from_file_location("kw86_userland_build", build_py)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _sources():
    out = {}
    for name in SOURCES:
        p = os.path.join(SRC_DIR, name)
        if not os.path.exists(p):
            raise BenchError(f"kw86 bench bochs: missing {p} (the boot image's sources "
                             "live in the source tree's bench/bochs/)")
        with open(p, "rb") as f:
            out[name] = f.read()
    return out


def build_image(verbose=False):
    """Compile and link the boot image (an ELF file, cached per source version);
    returns its path."""
    ub = _userland_build()
    srcs = _sources()
    cflags = [f for f in ub.CFLAGS if f != "-Wall"]
    h = hashlib.sha256()
    for name in SOURCES:
        h.update(name.encode() + b"\0" + srcs[name] + b"\0")
    h.update(bench_cpu.WORKLOADS_C.encode() + "\0".join(cflags).encode())
    d = os.path.join(bench_cpu._cache_dir(), "bochs-" + h.hexdigest()[:16])
    elf = os.path.join(d, "image.elf")
    if os.path.exists(elf):
        return elf
    os.makedirs(d, exist_ok=True)
    ub.check_zig()
    wl = os.path.join(d, "bench_workloads.c")
    with open(wl, "w") as f:
        f.write(bench_cpu.WORKLOADS_C)
    objs = []
    for src in (os.path.join(SRC_DIR, "boot.S"), os.path.join(SRC_DIR, "main.c"), wl):
        obj = os.path.join(d, os.path.splitext(os.path.basename(src))[0] + ".o")
        _zig(ub, cflags + ["-c", src, "-o", obj], verbose)
        objs.append(obj)
    tmp = elf + ".tmp"
    script = os.path.join(SRC_DIR, "link.ld")
    _zig(ub, ub.TARGET_FLAGS + ["-nostdlib", "-static", "-Wl,-T," + script, "-Wl,-e,_start16",
                                "-Wl,--gc-sections", "-Wl,--build-id=none", "-o", tmp] + objs,
         verbose)
    os.replace(tmp, elf)
    return elf


def _zig(ub, args, verbose):
    cmd = ub.zig_cmd() + ["cc"] + args
    if verbose:
        sys.stderr.write(" ".join(cmd) + "\n")
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise BenchError(f"building the Bochs boot image failed: {' '.join(cmd)}\n{p.stderr}")


class Image:
    """The boot image: boot sector + program bytes, with the parameter block."""

    def __init__(self, elf_path):
        from elftools.elf.elffile import ELFFile
        self.elf_path = elf_path
        with open(elf_path, "rb") as f:
            elf = ELFFile(f)
            syms = {s.name: s["st_value"] for s in elf.get_section_by_name(".symtab").iter_symbols()
                    if s.name}
            boot = elf.get_section_by_name(".boot16")
            if boot is None:
                raise BenchError(f"{elf_path}: no .boot16 section")
            self.boot = boot.data()
            lo, hi = syms["__image_start"], syms["__image_end"]
            body = bytearray(hi - lo)
            self.sections = []          # (address, bytes) of every loaded section
            for s in elf.iter_sections():
                if not (s["sh_flags"] & 2) or s["sh_type"] != "SHT_PROGBITS":
                    continue            # SHF_ALLOC with contents only
                data = s.data()
                self.sections.append((s["sh_addr"], data))
                if s.name == ".boot16":
                    continue
                if not (lo <= s["sh_addr"] and s["sh_addr"] + len(data) <= hi):
                    raise BenchError(f"{elf_path}: section {s.name} outside the image")
                body[s["sh_addr"] - lo:s["sh_addr"] - lo + len(data)] = data
        self.syms = syms
        self.sectors = syms["LOAD_SECTORS"]
        if len(self.boot) != 512 or self.boot[510:] != b"\x55\xaa":
            raise BenchError(f"{elf_path}: the boot sector is not 512 bytes ending in 55 aa")
        if lo != IMAGE_BASE:
            raise BenchError(f"{elf_path}: the program starts at {lo:#x}, not {IMAGE_BASE:#x}")
        if self.sectors > MAX_SECTORS or self.sectors * 512 < len(body):
            raise BenchError(f"{elf_path}: {len(body)} bytes of program, {self.sectors} sectors "
                             f"(at most {MAX_SECTORS})")
        if syms["__bss_end"] > IMAGE_LIMIT:
            raise BenchError(f"{elf_path}: the program ends at {syms['__bss_end']:#x}, over "
                             f"{IMAGE_LIMIT:#x}")
        self.body = bytes(body) + bytes(self.sectors * 512 - len(body))
        i = self.body.find(PARAMS_MAGIC)
        if i < 0 or self.body.find(PARAMS_MAGIC, i + 1) >= 0:
            raise BenchError(f"{elf_path}: no single parameter block")
        self.params_offset = i + len(PARAMS_MAGIC)

    def disk(self, workload, n):
        """The disk image (bytes) that runs `workload` n times."""
        if workload not in WORKLOAD_INDEX:
            raise BenchError(f"unknown workload {workload!r}")
        body = bytearray(self.body)
        struct.pack_into("<II", body, self.params_offset, WORKLOAD_INDEX[workload], n)
        img = self.boot + bytes(body)
        return img + bytes(DISK_SIZE - len(img))

    def flat_image(self):
        """(segments, symbols) in kw86.bench_cpu.load_elf's form, for run_flat."""
        return [(a, d, len(d)) for a, d in self.sections], self.syms


def parse_output(text):
    """(workload, n, result, tsc) from the guest's port 0xe9 output; BenchError if
    the guest did not finish (no end line) or printed no result."""
    m = RESULT_RE.search(text)
    if END_LINE not in text or not m:
        if "kw86-bochs: bad parameters" in text:
            raise BenchError("the Bochs guest found no valid parameters in its image")
        tail = text.strip()[-300:] or "(nothing)"
        raise BenchError(f"the Bochs guest did not report a result; its output: {tail}")
    return m.group(1), int(m.group(2)), int(m.group(3)), int(m.group(4), 16)


# --- Bochs -----------------------------------------------------------------------

class Bochs:
    """How to run this host's Bochs: its binary, ROM images, display library and
    whether it was built with the debugger (then -rc with `continue`)."""

    def __init__(self, binary, bios, vgabios, version, debugger):
        self.binary, self.bios, self.vgabios = binary, bios, vgabios
        self.version, self.debugger = version, debugger
        self.display = None     # chosen by the first run: nogui, else sdl2 (dummy video)
        self.config = {}        # its build configuration, as its log reports it

    def bochsrc(self, disk, log, display):
        return "\n".join([
            "# written by kw86 bench bochs",
            "megs: 16",
            f"romimage: file={self.bios}",
            f"vgaromimage: file={self.vgabios}",
            f"display_library: {display}",
            "ata0: enabled=1, ioaddr1=0x1f0, ioaddr2=0x3f0, irq=14",
            f"ata0-master: type=disk, path={disk}, mode=flat",
            "boot: disk",
            "clock: sync=none",
            "cpu: count=1, reset_on_triple_fault=0",
            "port_e9_hack: enabled=1",
            "speaker: enabled=0",
            f"log: {log}",
            "panic: action=fatal",
            "error: action=report",
            "info: action=report",
            "debug: action=ignore",
            "",
        ])

    def run(self, tmpdir, disk, timeout=BOCHS_TIMEOUT):
        """Boot `disk` once: (guest output, child CPU seconds)."""
        for display in ([self.display] if self.display else ["nogui", "sdl2"]):
            out, err, dt, log = self._run1(tmpdir, disk, display, timeout)
            if f"display library '{display}' not available" in err:
                continue
            self.display = display
            text = out
            if not self.config:
                self.config = dict(CONFIG_RE.findall(log))
            if SHUTDOWN_MSG not in err + log:
                raise BenchError(f"Bochs did not stop through the shutdown port: "
                                 f"{(err + log).strip()[-600:]}")
            return text, dt
        raise BenchError("this Bochs has neither the nogui nor the sdl2 display library ("
                         + INSTALL_HINT + ")")

    def _run1(self, tmpdir, disk, display, timeout):
        rc_path = os.path.join(tmpdir, "bochsrc")
        log = os.path.join(tmpdir, "bochs.log")
        with open(rc_path, "w") as f:
            f.write(self.bochsrc(disk, log, display))
        cmd = [self.binary, "-q", "-f", rc_path]
        if self.debugger:
            dbg = os.path.join(tmpdir, "debugger.rc")
            with open(dbg, "w") as f:
                f.write("continue\nquit\n")
            cmd += ["-rc", dbg]
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C", "LC_ALL": "C",
               "TZ": "UTC", "HOME": tmpdir,
               "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}
        if os.path.exists(log):
            os.unlink(log)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        p = subprocess.Popen(cmd, cwd=tmpdir, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=env)
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.communicate()
            raise BenchError(f"Bochs ran for more than {timeout} s: {' '.join(cmd)}") from None
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        dt = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        try:
            with open(log, errors="replace") as f:
                logtext = f.read()
        except OSError:
            logtext = ""
        return out.decode(errors="replace"), err.decode(errors="replace"), dt, logtext


def find_bochs(environ=None):
    """A Bochs for this host, or None.  KW86_BOCHS names the binary; else
    bochs-bin (Debian's binary behind its `bochs` wrapper) or bochs on PATH.
    KW86_BOCHS_BIOS / KW86_BOCHS_VGABIOS name the ROM images."""
    environ = os.environ if environ is None else environ
    path = environ.get("PATH", "")
    binary = environ.get("KW86_BOCHS")
    if binary:
        if not shutil.which(binary, path=path):
            return None
        binary = shutil.which(binary, path=path)
    else:
        binary = shutil.which("bochs-bin", path=path) or shutil.which("bochs", path=path)
    if not binary:
        return None
    bios = _first_file(environ.get("KW86_BOCHS_BIOS"),
                       "/usr/share/bochs/BIOS-bochs-latest",
                       "/usr/local/share/bochs/BIOS-bochs-latest")
    vgabios = _first_file(environ.get("KW86_BOCHS_VGABIOS"),
                          "/usr/share/bochs/VGABIOS-lgpl-latest",
                          "/usr/share/vgabios/vgabios.bin",
                          "/usr/local/share/bochs/VGABIOS-lgpl-latest")
    if not bios or not vgabios:
        raise BenchError(f"found {binary} but not its ROM images (BIOS {bios or 'missing'}, "
                         f"VGA BIOS {vgabios or 'missing'}): apt-get install bochsbios vgabios, "
                         "or set KW86_BOCHS_BIOS / KW86_BOCHS_VGABIOS")
    try:
        p = subprocess.run([binary, "--help"], capture_output=True, text=True, timeout=60,
                           stdin=subprocess.DEVNULL)
        helptext = p.stdout + p.stderr
    except (OSError, subprocess.TimeoutExpired) as e:
        raise BenchError(f"cannot run {binary} --help: {e}") from None
    m = re.search(r"Bochs x86 Emulator (\S+)", helptext)
    version = m.group(1) if m else "unknown version"
    debugger = re.search(r"^\s*-rc\s", helptext, re.M) is not None
    return Bochs(binary, bios, vgabios, version, debugger)


def _first_file(*paths):
    for p in paths:
        if p and os.path.isfile(p):
            return p
    return None


# --- the run ---------------------------------------------------------------------

ENGINES = [
    ("bochs", "Bochs"),
    ("user", "kw86 exec CPL 3"),
    ("kernel", "kw86 exec --kernelware CPL 0"),
    ("flat", "kw86 FlatCPU CPL 0"),
]
SHORT = {"user": "CPL 3", "kernel": "CPL 0", "flat": "FlatCPU"}
GOAL = 3.0      # issue 12: at least 3x Bochs everywhere


def measure(rounds=3, workloads=None, engines=None, scale=1.0, stream=sys.stdout,
            verbose=False, bochs=None):
    """Run the benchmark; returns a dict (rates, ratios, load).  BenchError when
    Bochs is missing (the point of this benchmark) or any engine disagrees."""
    workloads = list(workloads or WORKLOADS)
    engines = list(engines or [e for e, _ in ENGINES])
    if "bochs" not in engines:
        raise BenchError("the engines must include bochs (kw86 alone: kw86 bench cpu)")
    bochs = bochs or find_bochs()
    if bochs is None:
        raise BenchError("Bochs is not installed, so nothing to measure against (" + INSTALL_HINT
                         + ")")
    image = Image(build_image(verbose=verbose))
    exe = netbsd = None
    if any(e in engines for e in ("user", "kernel", "flat")):
        exe = bench_cpu.build_program(verbose=verbose)
        netbsd = bench_cpu.load_elf(exe)
    sizes = {w: (max(1, round(WORKLOADS[w][1] * scale)), max(2, round(WORKLOADS[w][2] * scale)))
             for w in workloads}
    # kw86's count of the boot image's own workload function (untimed): what Bochs runs
    image_ins = {}
    results = {}        # (w, n) -> (result, engine): every engine must agree
    for w in workloads:
        for n in sizes[w]:
            ins, _, res = bench_cpu.run_flat(image.flat_image(), w, n)
            image_ins[(w, n)] = ins
            results[(w, n)] = (res, "FlatCPU on the Bochs image")
    best = {}           # (w, engine, n) -> (instructions, seconds)
    tsc = {}            # (w, n) -> Bochs's TSC advance across the workload
    notes = []
    load0 = bench_cpu.loadavg()
    uptime0 = bench_cpu._uptime()
    wall0 = time.time()
    with tempfile.TemporaryDirectory(prefix="kw86-bochs-") as tmp:
        disks = {}
        for w in workloads:
            for n in sizes[w]:
                disks[(w, n)] = p = os.path.join(tmp, f"{w}-{n}.img")
                with open(p, "wb") as f:
                    f.write(image.disk(w, n))
        for rnd in range(rounds):
            for w in workloads:
                for eng in engines:
                    for n in sizes[w]:
                        if eng == "bochs":
                            text, dt = bochs.run(tmp, disks[(w, n)])
                            pw, pn, res, t = parse_output(text)
                            if (pw, pn) != (w, n):
                                raise BenchError(f"Bochs ran {pw} {pn}, not {w} {n}")
                            tsc[(w, n)] = t
                            ins = t
                        elif eng == "flat":
                            ins, dt, res = bench_cpu.run_flat(netbsd, w, n)
                        else:
                            ins, dt, res = bench_cpu.run_exec_timed(exe, w, n, eng == "kernel")
                        prev = results[(w, n)]
                        if prev[0] != res:
                            raise BenchError(f"{w} {n}: {eng} returned {res}, {prev[1]} {prev[0]}")
                        key = (w, eng, n)
                        if key not in best or dt < best[key][1]:
                            best[key] = (ins, dt)
                        if verbose:
                            stream.write(f"  round {rnd + 1} {w:6} {eng:7} n={n:<3} {dt:7.3f} s "
                                         f"{ins} insns\n")
                            stream.flush()
    load1 = bench_cpu.loadavg()
    uptime1 = bench_cpu._uptime()
    rate = {}           # (w, engine) -> (instructions, seconds) of N2 - N1
    checks = []
    for w in workloads:
        n1, n2 = sizes[w]
        for eng in engines:
            i1, t1 = best[(w, eng, n1)]
            i2, t2 = best[(w, eng, n2)]
            rate[(w, eng)] = (i2 - i1, t2 - t1)
        kw = image_ins[(w, n2)] - image_ins[(w, n1)]
        bx = tsc[(w, n2)] - tsc[(w, n1)]
        check = {"workload": w, "bochs_tsc": bx, "kw86_count_image": kw}
        if exe is not None and "user" in engines:
            check["kw86_count_netbsd"] = rate[(w, "user")][0]
        checks.append(check)
        if kw != bx:
            notes.append(f"{w}: Bochs's TSC advanced {bx} over N2 - N1, kw86 counts {kw} "
                         "instructions of the same function")
    table = []
    for row, _ in bench_cpu.mips_rows(workloads, engines, rate):
        for eng in ("user", "kernel", "flat"):
            if eng in engines and row.get("bochs_mips") and row.get(eng + "_mips"):
                row[eng + "_vs_bochs"] = round(row[eng + "_mips"] / row["bochs_mips"], 2)
        table.append(row)
    short = [f"{SHORT[e]} {row['workload']} {row[e + '_vs_bochs']:.2f}x"
             for row in table for e in ("user", "kernel", "flat")
             if row.get(e + "_vs_bochs") is not None and row[e + "_vs_bochs"] < GOAL]
    return {
        "rounds": rounds, "sizes": sizes, "engines": engines, "table": table,
        "instruction_check": checks, "notes": notes, "below_goal": short,
        "bochs": {"binary": bochs.binary, "version": bochs.version,
                  "debugger": bochs.debugger, "display": bochs.display,
                  "config": bochs.config},
        "load_before": load0, "load_after": load1, "uptime_before": uptime0,
        "uptime_after": uptime1, "cpus": os.cpu_count(),
        "wall_s": round(time.time() - wall0, 1),
    }


def format_table(res):
    eng = res["engines"]
    names = dict(ENGINES)
    cols = [("workload", "label", "{}")]
    for e in eng:
        cols.append((names[e] + " MIPS", e + "_mips", "{:.1f}"))
    for e in ("user", "kernel", "flat"):
        if e in eng:
            cols.append((f"{SHORT[e]} / Bochs", e + "_vs_bochs", "{:.2f}x"))
    return bench_cpu.markdown_table(cols, res["table"])


def add_arguments(p):
    bench_cpu.add_common_arguments(p, ENGINES, " (bochs required)")
    bench_cpu.add_output_arguments(p)


def run(args):
    chosen = bench_cpu.workloads_and_engines("bochs", args, ENGINES)
    if chosen is None:
        return 2
    ws, es = chosen
    try:
        res = measure(rounds=args.rounds, workloads=ws, engines=es, scale=args.scale,
                      verbose=args.verbose)
    except BenchError as e:
        sys.stderr.write(f"kw86 bench bochs: {e}\n")
        return 1
    b = res["bochs"]
    print(f"kw86 bench bochs: best of {res['rounds']}, CPU time, rates from two sizes "
          f"(N2 - N1); kw86 and Bochs {b['version']} ({b['binary']}"
          + (", a debugger build" if b["debugger"] else "")
          + f", display {b['display']}) interleaved in one run")
    if b["config"]:
        print("Bochs build: " + ", ".join(f"{k} {v}" for k, v in b["config"].items()))
    print(f"load before: {res['uptime_before']}")
    print(f"load after:  {res['uptime_after']}")
    print(f"{res['cpus']} CPUs; {res['wall_s']} s wall; sizes "
          + ", ".join(f"{w} {n1}/{n2}" for w, (n1, n2) in res["sizes"].items()))
    print()
    print(format_table(res))
    print()
    print("instructions over N2 - N1 (Bochs: its TSC advance; kw86: its count of the "
          "Bochs image's function / of the NetBSD program under kw86 exec):")
    for c in res["instruction_check"]:
        print(f"  {c['workload']:6} Bochs {c['bochs_tsc']:,}  kw86 image {c['kw86_count_image']:,}"
              + (f"  kw86 exec {c['kw86_count_netbsd']:,}" if "kw86_count_netbsd" in c else ""))
    for note in res["notes"]:
        print("NOTE: " + note)
    if res["below_goal"]:
        print(f"below the goal of {GOAL:g}x Bochs: " + ", ".join(res["below_goal"]))
    else:
        print(f"every ratio is at least {GOAL:g}x Bochs")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1)
    return 0
