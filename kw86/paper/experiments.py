"""What `kw86 bench paper` measures, and how (../shared/MISSION.md, results table).

One boot per figure.  Its guest shell runs each measurement on each path in
turn: the user path (an ordinary process, system calls by `int $0x80`) and
the kernelware path (`paper_run -k`: the wrapper switches itself to kernel
mode, so the program it execs is a kernelware, the same binary with its
system calls made as calls).  Every measurement is taken as the paper took
it: `rdtsc` in the guest around the operation, inside the one boot, the
first run discarded (it warms the buffer cache, the name cache and the
program's pages), the rest averaged.

Repetitions.  The paper states one count: 1,000 `getpid` calls (Fig. 4,
section 5.1).  kw86 uses it for `getpid` and `stat` too; the others are our
choice (the paper gives none): 100 `read`/`write` calls of 64 KiB and 10
timed `ls` runs of 1,000 files (`--quick`: 10 calls, 2 runs, and cp of
4 KiB, 64 KiB and 2 MiB only).

Where the cycles come from.  The guest brackets each timed region with
`bench_mark()` (sync(2), userland/bin/common/bench.h).  `Marks` wraps the
kernel's system-call hypercall, as trace.py does, and at each mark reads
`Kernel.cycle_split()` (executed instructions, kernel-cost table, disk
model, idle), so every result line comes with the split of its own region.
The region is the rdtsc window plus the marker call's return (and for
`read`/`write` the `lseek` between calls): the split's shares are of that
region; the cycle counts reported are the guest's rdtsc numbers.
"""
import os
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field

SYS_SYNC = 36                       # bench_mark()'s system call
NSYSENT_MASK = 511
# The guest's boot date, fixed so that runs repeat (file times, ls -l's
# dates): 2004-01-01 00:00:00 UTC, the paper's year.
EPOCH_NS = 1072915200 * 10**9
GUEST_PATH = "/bin:/sbin:/usr/bin:/usr/sbin"
SOURCES = ("instructions", "table", "disk", "idle")      # Kernel.cycle_split()
SNAPSHOT = SOURCES + ("instructions_executed", "syscalls", "page_faults")

# Repetition profiles (see the module docstring).
PROFILES = {
    "full": dict(calls=1000, rw_calls=100, ls_runs=10, files=1000, cp_runs=5),
    # quick: cp of the paper's smallest size, the copy buffer's and its largest only
    "quick": dict(calls=1000, rw_calls=10, ls_runs=2, files=1000, cp_runs=2,
                  cp_sizes=(4096, 65536, 2097152)),
}
# Figs. 10/11: cp of these sizes (the paper: 4 KiB .. 2 MiB, its largest), on
# three paths: the user process, the paper's unmodified cp as a kernelware
# (cp_calls: only its system calls made as calls), and cp with its
# buffer-cache copy as a kernelware (userland/bin/cp.c copy_data()).
CP_SIZES = (4096, 16384, 65536, 262144, 1048576, 2097152)      # (a profile's cp_sizes)
CP_PATHS = (("user", "user (process)", "cp"),
            ("calls", "kernelware, call syscalls only", "-k cp_calls"),
            ("bcache", "kernelware, buffer-cache copy", "-k cp"))


@dataclass
class Row:
    """One line of a figure: a measured operation, compared across paths."""
    key: str                 # "getpid"
    label: str               # "getpid"
    kind: str                # the first word of its guest result line
    unit: str                # "call" or "run"
    paper_change: float = None   # percent, as the paper reports it (None: not in the paper)
    paper_note: str = ""
    group: str = ""          # the group (guest command) it comes from
    paper_cycles: dict = None    # {path: clocks} where the paper gives an absolute number


@dataclass
class Group:
    """One guest command, run once per path (`{k}` becomes the path's flag)."""
    tag: str
    command: str
    rows: list


@dataclass
class Figure:
    number: str
    slug: str
    title: str
    paths: tuple = ()        # ((key, label, flag), ...): the first is the baseline
    setup: str = ""
    groups: list = field(default_factory=list)
    hdd_dir: bool = False    # bind a host directory (with the disk model) at /hdd
    needs: str = None        # not yet measurable: what it needs

    @property
    def rows(self):
        return [r for g in self.groups for r in g.rows]


PATHS = (("user", "user (int $0x80)", ""), ("kernelware", "kernelware (call)", "-k"))


def figures(profile):
    """The paper's figures, in its order, for a repetition profile."""
    c = PROFILES[profile]
    lsn = c["ls_runs"] + 1                          # + the discarded first run
    files = c["files"]

    def cp_figure(number, slug, title, where, paper_2m, note, hdd):
        runs = c["cp_runs"] + 1                     # + the discarded first run
        sizes = c.get("cp_sizes", CP_SIZES)
        setup = f"mkdir -p {where}/cp && " + " && ".join(
            f"head -c {n} /dev/zero > {where}/cp/s{n}" for n in sizes)
        groups = []
        for n in sizes:
            size = f"{n // 1024} KiB" if n < 1 << 20 else f"{n >> 20} MiB"
            groups.append(Group(
                f"cp{n}", f"paper_run -t -n {runs} -o /dev/null {{k}} {where}/cp/s{n} "
                          f"{where}/cp/d",
                [Row(f"cp_{n}", f"cp {size}", "paper_run", "run",
                     paper_2m if n == sizes[-1] else None,
                     note if n == sizes[-1] else "the paper plots it; no number read",
                     f"cp{n}")]))
        return Figure(number, slug, title, CP_PATHS, setup=setup, groups=groups, hdd_dir=hdd)

    def ls_group(tag, opts, where, label, paper, note):
        row = Row(tag, label, "paper_run", "run", paper, note, tag)
        cmd = f"paper_run {{k}} -t -n {lsn} -o /dev/null ls {opts}{where}"
        return Group(tag, cmd, [row])

    return [
        Figure("4", "hook_overhead",
               "user-mode getpid without and with the kernelware interrupt hook",
               # the same user process before and after `modload kwhook` (the hook's
               # IDT entries: int $0x80 runs its stub first; kw86/nbsd/module.py)
               (("without", "without kwhook", ""), ("with", "with kwhook", "modload kwhook &&")),
               groups=[Group("hook", f"{{k}} paper_run -n 2 getpid_bench {c['calls']}",
                             [Row("getpid", "getpid (int $0x80, user process)", "getpid",
                                  "call", 0.0, "about 450 clocks each, no visible difference",
                                  "hook", {"without": 450, "with": 450})])]),
        Figure("5", "getpid_stat", "system calls with little work in the kernel",
               PATHS, setup="mkdir -p /tmp/paper && echo kw86 > /tmp/paper/stat.dat",
               groups=[
                   Group("getpid", f"paper_run {{k}} -n 2 getpid_bench {c['calls']}",
                         [Row("getpid", "getpid", "getpid", "call", -50.0,
                              "trap about 450 clocks (Fig. 4)",
                              "getpid", {"user": 450})]),
                   Group("stat", f"paper_run {{k}} -n 2 stat_bench {c['calls']} "
                                 "/tmp/paper/stat.dat",
                         [Row("stat", "stat /tmp/paper/stat.dat (MFS)", "stat", "call", -20.0,
                              "", "stat")]),
               ]),
        Figure("6", "read_write", "read and write of 64 KiB on MFS", PATHS,
               setup="mkdir -p /tmp/paper",
               groups=[Group("rw", f"paper_run {{k}} -n 2 rw_bench {c['rw_calls']} 65536 "
                                   "/tmp/paper/rw.dat",
                             [Row("write", "write 64 KiB (MFS)", "write", "call", 0.0,
                                  "no difference", "rw"),
                              Row("read", "read 64 KiB (MFS)", "read", "call", 0.0,
                                  "no difference", "rw")])]),
        Figure("7", "ls", f"unmodified ls over {files:,} files",
               (("user", "user (process)", ""), ("kernelware", "kernelware", "-k")),
               setup=f"mkfiles /tmp/ls {files} >/dev/null && mkfiles /hdd/ls {files} >/dev/null",
               hdd_dir=True,
               groups=[ls_group("ls_mfs", "", "/tmp/ls", "ls (MFS)", -5.0, ""),
                       ls_group("ls_hdd", "", "/hdd/ls", "ls (host dir + disk model)", -5.0,
                                "HDD"),
                       ls_group("ls_l_mfs", "-l ", "/tmp/ls", "ls -l (MFS)", None,
                                "not in the paper"),
                       ls_group("ls_l_hdd", "-l ", "/hdd/ls", "ls -l (host dir + disk model)",
                                None, "not in the paper")]),
        cp_figure("10", "cp_mfs", "cp on MFS, 4 KiB to 2 MiB", "/tmp", -26.0,
                  "buffer-cache cp up to -26 % at 2 MB; call syscalls only: no gain", False),
        cp_figure("11", "cp_hdd", "cp on the host directory with the disk model, 4 KiB to 2 MiB",
                  "/hdd", -3.0, "HDD: up to -3 %", True),
    ]


# --------------------------------------------------------------------------- the boot

class Marks:
    """The cycle split at each bench_mark(): wraps the system-call hypercall
    (the hook trace.py uses), reads nothing from guest memory, charges no
    cycles.  Marks pair up per process: begin, end, begin, end..."""

    def __init__(self, k, on_region=None):
        from kw86.nbsd.boot import HC_GATE, HC_SYSCALL, HCALL_PORT
        self.k = k
        self.regions = []                # [pid, split at begin, split at end or None]
        self._open = {}
        self._calls = (HC_SYSCALL, HC_GATE)
        self._hcall = k._hcall
        self.on_region = on_region
        k.m.set_port_handler(HCALL_PORT, write=self._hook, free=True)

    def snapshot(self):
        """SNAPSHOT's counters, now."""
        k = self.k
        st = k.stats
        return tuple(k.cycle_split()) + (k.m.instructions,
                                         st["syscalls_trap"] + st["syscalls_gate"],
                                         st["page_faults"])

    def _hook(self, port, size, value):
        if value in self._calls and self.k.m.get_reg("ecx") & NSYSENT_MASK == SYS_SYNC:
            pid = self.k.cur.pid
            snap = self.snapshot()
            r = self._open.pop(pid, None)
            if r is None:
                r = [pid, snap, None]
                self._open[pid] = r
                self.regions.append(r)
            else:
                r[2] = snap
                if self.on_region is not None:
                    self.on_region()
        return self._hcall(port, size, value)


_LINE = [
    (re.compile(r"^(getpid|stat) (\d+) calls (\d+) cycles"),
     lambda m: (m[1], int(m[2]), int(m[3]))),
    (re.compile(r"^(write|read) (\d+) calls \d+ bytes (\d+) cycles"),
     lambda m: (m[1], int(m[2]), int(m[3]))),
    (re.compile(r"^paper_run \S+ run \d+ cycles (\d+)"),
     lambda m: ("paper_run", 1, int(m[1]))),
]


class BenchError(Exception):
    pass


def guest_script(fig):
    """The shell script of a figure's boot: setup, then each group on each
    path, each announced by a `== TAG PATH` line."""
    lines = []
    if fig.setup:
        lines.append(fig.setup + " || exit 1")
    for g in fig.groups:
        for key, _label, flag in fig.paths:
            lines.append(f"echo '== {g.tag} {key}'")
            lines.append(g.command.format(k=flag).replace("  ", " ") + " || exit 1")
    return "\n".join(lines) + "\n"


def count_regions(fig, profile):
    """How many marked regions the figure's boot makes (for the progress line)."""
    c = PROFILES[profile]
    n = 0
    for g in fig.groups:
        per = {"getpid": 2, "stat": 2, "rw": 4, "hook": 2}.get(
            g.tag, c["cp_runs"] + 1 if g.tag.startswith("cp") else c["ls_runs"] + 1)
        n += per * len(fig.paths)
    return n


def boot_and_run(fig, profile, cycles_profile="celeron500", progress=None, root=None):
    """Run one figure's boot; return (results per group/path, boot totals)."""
    from kw86.nbsd.cli_exec import default_root
    from kw86.nbsd.kernel import Kernel
    root = root or default_root()
    if not os.path.isdir(os.path.join(root, "bin")):
        raise BenchError(f"no guest root at {root} (build the sysroot: python userland/build.py)")
    tmp = tempfile.mkdtemp(prefix="kw86-paper-")
    try:
        binds = ()
        if fig.hdd_dir:
            hdd = os.path.join(tmp, "hdd")
            os.mkdir(hdd)
            binds = ((hdd, "/hdd", False),)
        out_path, err_path = os.path.join(tmp, "stdout"), os.path.join(tmp, "stderr")
        with open(out_path, "w+b") as out, open(err_path, "w+b") as err, \
                open(os.devnull, "rb") as null:
            # the paper's machine: 64 MB (Table 1)
            k = Kernel(root, mem_size=64 << 20, profile=cycles_profile, stdin=null.fileno(),
                       stdout=out.fileno(), stderr=err.fileno(), epoch_ns=EPOCH_NS, binds=binds)
            try:
                # the paper's module is loaded (paper_run -k joins its emulation);
                # its preemption hook only where a figure loads it (Fig. 4)
                k.modload("kernelware")
                marks = Marks(k, on_region=progress)
                script = guest_script(fig)
                env = [b"PATH=" + GUEST_PATH.encode(), b"HOME=/root", b"USER=root",
                       b"SHELL=/bin/sh"]
                k.spawn(b"/bin/sh", [b"sh", b"-c", script.encode()], env)
                status = k.run()
                totals = dict(zip(SNAPSHOT, marks.snapshot()))
                totals["cycles"] = k.m.cycles
            finally:
                k.close()
            out.seek(0)
            stdout = out.read().decode("latin-1")
            err.seek(0)
            stderr = err.read().decode("latin-1")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if status != 0:
        raise BenchError(f"Fig. {fig.number}: the guest script failed (status {status:#x})\n"
                         f"{stderr}{stdout[-2000:]}")
    return parse(fig, stdout, marks.regions), totals


def parse(fig, stdout, regions):
    """Pair each result line with its marked region; drop each measurement's
    first run; group by (group tag, path)."""
    res = {}
    cur = None
    seen = set()
    ri = 0
    for line in stdout.splitlines():
        if line.startswith("== "):
            tag, path = line[3:].split()
            cur = res.setdefault(tag, {}).setdefault(path, {})
            continue
        for rx, conv in _LINE:
            m = rx.match(line)
            if m:
                break
        else:
            continue
        kind, ops, cycles = conv(m)
        if cur is None:
            raise BenchError(f"Fig. {fig.number}: result before any measurement: {line!r}")
        if ri >= len(regions) or regions[ri][2] is None:
            raise BenchError(f"Fig. {fig.number}: no marked region for {line!r}")
        _pid, a, b = regions[ri]
        ri += 1
        key = (tag, path, kind)
        if key not in seen:                 # the first run: warm-up, discarded
            seen.add(key)
            continue
        split = [y - x for x, y in zip(a, b)]
        cur.setdefault(kind, []).append(dict(ops=ops, cycles=cycles, split=split))
    if ri != len(regions):
        raise BenchError(f"Fig. {fig.number}: {len(regions)} marked regions, {ri} results")
    return res


def summarise(fig, runs):
    """Per row and path: cycles per operation (rdtsc) and the region's split."""
    rows = []
    for row in fig.rows:
        per_path = {}
        for key, label, _flag in fig.paths:
            samples = runs.get(row.group, {}).get(key, {}).get(row.kind, [])
            if not samples:
                raise BenchError(f"Fig. {fig.number}: no result for {row.key} on {key}")
            ops = sum(s["ops"] for s in samples)
            cyc = sum(s["cycles"] for s in samples)
            split = [sum(s["split"][i] for s in samples) for i in range(len(SNAPSHOT))]
            region = sum(split[:len(SOURCES)])
            per_path[key] = dict(
                label=label,
                cycles_per_op=cyc / ops,
                runs=len(samples),
                ops=ops,
                samples=[s["cycles"] / s["ops"] for s in samples],
                region_cycles_per_op=region / ops,
                instructions_per_op=split[len(SOURCES)] / ops,
                # the region's system calls, bench_mark()'s one included
                syscalls_per_op=split[len(SOURCES) + 1] / ops,
                page_faults_per_op=split[len(SOURCES) + 2] / ops,
                share={src: (split[i] / region if region else 0.0)
                       for i, src in enumerate(SOURCES)},
            )
        base = per_path[fig.paths[0][0]]["cycles_per_op"]
        for key, _l, _f in fig.paths[1:]:
            p = per_path[key]
            p["change_pct"] = 100.0 * (p["cycles_per_op"] - base) / base
        last = per_path[fig.paths[-1][0]]
        rows.append(dict(
            key=row.key, label=row.label, unit=row.unit, paths=per_path,
            change_pct=last["change_pct"],
            paper_change_pct=row.paper_change, paper_note=row.paper_note,
            paper_cycles=row.paper_cycles,
            difference_pp=(None if row.paper_change is None
                           else last["change_pct"] - row.paper_change)))
    return rows


class Progress:
    """A one-line progress bar on stderr (redrawn in place on a terminal)."""

    def __init__(self, total, stream=None):
        self.total, self.done = max(1, total), 0
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.what = ""
        self.t0 = time.perf_counter()
        self._last = -1

    def step(self, what=None, n=1):
        if what is not None:
            self.what = what
        self.done = min(self.total, self.done + n)
        self.draw()

    def draw(self, force=False):
        pct = 100 * self.done // self.total
        if not self.tty and not force and pct // 25 == self._last // 25:
            return
        self._last = pct
        bar = "#" * (pct * 30 // 100)
        line = (f"kw86 bench paper [{bar:<30}] {pct:3d}% {self.what} "
                f"({time.perf_counter() - self.t0:.0f} s)")
        self.stream.write(("\r" + line + "\x1b[K") if self.tty else line + "\n")
        self.stream.flush()

    def close(self):
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


def run_all(profile="full", cycles_profile="celeron500", stream=None, root=None):
    """Every figure: the measured ones run, the others say what they need."""
    figs = figures(profile)
    total = sum(count_regions(f, profile) for f in figs if f.needs is None)
    bar = Progress(total, stream)
    out = []
    for f in figs:
        entry = dict(figure=f.number, slug=f.slug, title=f.title)
        if f.needs is not None:
            entry["not_yet_measurable"] = f.needs
            out.append(entry)
            continue
        bar.what = f"Fig. {f.number}"
        bar.draw(force=True)
        runs, totals = boot_and_run(f, profile, cycles_profile, progress=bar.step, root=root)
        entry["paths"] = [dict(key=k, label=lab) for k, lab, _ in f.paths]
        entry["rows"] = summarise(f, runs)
        entry["boot_totals"] = totals
        entry["guest_script"] = guest_script(f)
        out.append(entry)
    # beyond the paper: the three system-call paths, cycle breakdown
    # (kw86/paper/breakdown.py; its own boots under the exact profiler)
    from kw86.paper import breakdown
    bar.what = "system-call paths"
    bar.draw(force=True)
    paths = breakdown.run(quick=profile == "quick", cycles_profile=cycles_profile, root=root)
    bar.what = "done"
    bar.draw(force=True)
    bar.close()
    return dict(profile=profile, cycles_profile=cycles_profile,
                repetitions=PROFILES[profile], epoch_ns=EPOCH_NS, figures=out,
                syscall_paths=paths)
