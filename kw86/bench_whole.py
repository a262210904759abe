"""`kw86 bench whole`: whole programs as users run them (issue 12).

Every figure is the CPU time (user + system, from the child's rusage) of a
`kw86 exec` child process, best of R rounds, the workloads interleaved
round by round; guest instruction counts come from `--stats` (exact, the
same on every run).  A shared machine is noisy: the load average is printed
with the figures, and only figures from one run are comparable.

* start-up: `python -c pass` (the interpreter alone) and `kw86 exec
  /usr/bin/true`, once with a bytecode cache (a private, warmed
  PYTHONPYCACHEPREFIX) and once without (PYTHONDONTWRITEBYTECODE=1 and no
  prefix: whatever .pyc the installation has; the count of kw86's own is
  printed, 0 meaning that every kw86 module is compiled from source); and
  both in a bare interpreter (`python -S`: no site, so no module that an
  installation's .pth files import is there before kw86 asks for it).
* `ls -l` over 100 / 1,000 / 10,000 host files (a --bind directory):
  CPU per file over `true`'s, guest instructions and system calls per file.
* `wc` of 1 / 10 / 50 MB of text: guest instructions per byte, CPU per MB.
* `cp` of 2 / 20 / 200 MB (host file to host file through --bind): CPU per MB.

Linearity: each table gives the per-unit cost at every size, so a cost that
grows faster than the work shows as a per-unit figure that grows with it.
"""

import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time

STATS_RE = re.compile(r"kw86: (\d+) instructions, .*?syscalls: (\d+) trap / (\d+) call")
LS_COUNTS = (100, 1000, 10000)
WC_MB = (1, 10, 50)
CP_MB = (2, 20, 200)


class BenchError(Exception):
    pass


def _env(cache_dir=None, base=None):
    """The children's environment: base (default: this process's) without
    its bytecode settings, in the C locale and UTC, with cache_dir as the
    bytecode cache (None: no cache written)."""
    env = {k: v for k, v in (os.environ if base is None else base).items()
           if k not in ("PYTHONPYCACHEPREFIX", "PYTHONDONTWRITEBYTECODE")}
    env.update(LANG="C", LC_ALL="C", TZ="UTC")
    if cache_dir is None:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    else:
        env["PYTHONPYCACHEPREFIX"] = cache_dir
    return env


def kw86_cmd(*args, bare=False):
    """`kw86 ARGS` as the console script runs it (main() without argv);
    bare: in `python -S`."""
    return [sys.executable, *(["-S"] if bare else []), "-c",
            "import sys; from kw86.cli import main; sys.exit(main())", *args]


def child_cpu(cmd, env, stdin=None, cwd=None):
    """(cpu seconds, stderr, returncode) of one child, from RUSAGE_CHILDREN."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       stdin=stdin if stdin is not None else subprocess.DEVNULL, cwd=cwd)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    dt = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return dt, p.stderr.decode(errors="replace"), p.returncode


def stats_of(err, cmd):
    m = STATS_RE.search(err)
    if not m:
        raise BenchError(f"no --stats line from {' '.join(cmd)}: {err[-400:]}")
    return int(m.group(1)), int(m.group(2)) + int(m.group(3))


def loadavg():
    try:
        return tuple(round(x, 2) for x in os.getloadavg())
    except OSError:
        return None


def kw86_pyc_count():
    here = os.path.dirname(os.path.abspath(__file__))
    return sum(1 for d, _, fs in os.walk(here) if os.path.basename(d) == "__pycache__"
               for f in fs if f.endswith(".pyc"))


# --- the workloads' inputs ------------------------------------------------------------

def make_files(d, n):
    os.makedirs(d)
    for i in range(n):
        with open(os.path.join(d, f"file{i:05d}"), "wb") as f:
            f.write(b"x\n")


def make_text(path, mb):
    """mb MiB of text: words of 1-12 letters, lines of about 60 bytes (deterministic)."""
    words = [(b"abcdefghijkl"[: 1 + (i * 7) % 12]) for i in range(97)]
    line, out, size, i = [], [], 0, 0
    target = mb << 20
    with open(path, "wb") as f:
        while size < target:
            w = words[i % 97]
            i += 1
            line.append(w)
            if sum(len(x) + 1 for x in line) >= 60:
                b = b" ".join(line) + b"\n"
                out.append(b)
                size += len(b)
                line = []
                if len(out) >= 4096:
                    f.write(b"".join(out))
                    out = []
        f.write(b"".join(out))
        f.truncate(target)


# --- measurement -----------------------------------------------------------------------

def _tree_env(env, tree):
    """env with tree (the directory holding a kw86 package) first on PYTHONPATH."""
    e = dict(env)
    e["PYTHONPATH"] = tree + (os.pathsep + e["PYTHONPATH"] if e.get("PYTHONPATH") else "")
    return e


def this_tree():
    """The directory that holds the kw86 package this process runs."""
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def measure(rounds=3, parts=("startup", "ls", "wc", "cp"), ls_counts=LS_COUNTS, wc_mb=WC_MB,
            cp_mb=CP_MB, verbose=False, base_env=None, against=None):
    """Best child CPU of each workload.  against: another tree (a directory holding
    a built kw86 package with its sysroot, e.g. a clone of an older commit): every
    kw86 job is also run with that tree, interleaved with this one's in each round
    (keys "vs:..."), so the two compare under the same load."""
    if against is not None:
        against = os.path.abspath(against)
        if not os.path.isfile(os.path.join(against, "kw86", "__init__.py")):
            raise BenchError(f"--against: {against} holds no kw86 package")
    res = {"rounds": rounds, "load_before": loadavg(), "cpus": os.cpu_count(),
           "kw86_pyc": kw86_pyc_count(), "against": against}
    t0 = time.time()
    tmp = tempfile.mkdtemp(prefix="kw86-bench-whole-")
    try:
        # children run in tmp (so `python -c` finds no kw86 in its working
        # directory) with the tree to measure first on PYTHONPATH
        trees = [("", this_tree())] + ([("vs:", against)] if against else [])
        envs = {pre: (_tree_env(_env(os.path.join(tmp, f"pycache{pre[:-1]}"), base_env), tree),
                      _tree_env(_env(None, base_env), tree)) for pre, tree in trees}
        env_c, env_n = envs[""]
        jobs = []                           # (key, cmd, env, stdin path)
        true_cmd = kw86_cmd("exec", "/usr/bin/true")
        jobs.append((("startup", "python"), [sys.executable, "-c", "pass"], env_c, None))
        jobs.append((("startup", "python_nocache"), [sys.executable, "-c", "pass"], env_n, None))
        jobs.append((("startup", "python_bare"), [sys.executable, "-S", "-c", "pass"], env_c,
                     None))
        for pre, _ in trees:
            jobs.append(((pre + "startup", "true"), true_cmd, envs[pre][0], None))
            jobs.append(((pre + "startup", "true_nocache"), true_cmd, envs[pre][1], None))
            jobs.append(((pre + "startup", "true_bare"), kw86_cmd("exec", "/usr/bin/true",
                                                                   bare=True),
                         envs[pre][0], None))
        if "ls" in parts:
            for n in ls_counts:
                d = os.path.join(tmp, f"ls{n}")
                make_files(d, n)
                for pre, _ in trees:
                    jobs.append(((pre + "ls", n), kw86_cmd("exec", "--stats", "--bind", f"{d}:/d",
                                                           "/bin/ls", "-l", "/d"),
                                 envs[pre][0], None))
        if "wc" in parts:
            for mb in wc_mb:
                d = os.path.join(tmp, f"wc{mb}")
                os.makedirs(d)
                make_text(os.path.join(d, "t"), mb)
                for pre, _ in trees:
                    jobs.append(((pre + "wc", mb), kw86_cmd("exec", "--stats", "--bind", f"{d}:/d",
                                                            "/usr/bin/wc", "/d/t"),
                                 envs[pre][0], None))
        if "cp" in parts:
            for mb in cp_mb:
                d = os.path.join(tmp, f"cp{mb}")
                os.makedirs(d)
                with open(os.path.join(d, "src"), "wb") as f:
                    chunk = bytes(range(256)) * 4096          # 1 MiB
                    for _ in range(mb):
                        f.write(chunk)
                for pre, _ in trees:
                    jobs.append(((pre + "cp", mb), kw86_cmd("exec", "--stats", "--bind", f"{d}:/d",
                                                            "/bin/cp", "/d/src", "/d/dst"),
                                 envs[pre][0], None))
        # warm the private bytecode cache (and the host's page cache)
        for key, cmd, env, _ in jobs:
            if key[0].endswith("startup") and key[1] in ("python", "true", "true_bare"):
                child_cpu(cmd, env, cwd=tmp)
        best, stats = {}, {}
        for r in range(rounds):
            for key, cmd, env, stdin in jobs:
                dt, err, rc = child_cpu(cmd, env, cwd=tmp)
                if rc != 0:
                    raise BenchError(f"{' '.join(cmd)} failed ({rc}): {err[-400:]}")
                if "--stats" in cmd:
                    stats[key] = stats_of(err, cmd)
                best[key] = min(best.get(key, dt), dt)
                if verbose:
                    print(f"round {r + 1}: {key}: {dt * 1000:.1f} ms", file=sys.stderr)
        res["best"] = {f"{a}:{b}": v for (a, b), v in best.items()}
        res["stats"] = {f"{a}:{b}": v for (a, b), v in stats.items()}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    res["load_after"] = loadavg()
    res["wall_s"] = round(time.time() - t0, 1)
    res["parts"] = list(parts)
    res["sizes"] = {"ls": list(ls_counts), "wc": list(wc_mb), "cp": list(cp_mb)}
    return res


def report(res):
    b, s = res["best"], res["stats"]
    ms = lambda v: f"{v * 1000:.0f} ms"                         # noqa: E731
    lines = [f"kw86 bench whole: child CPU time (user+system), best of {res['rounds']}; "
             f"load average before {res['load_before']}, after {res['load_after']} on "
             f"{res['cpus']} CPUs; {res['wall_s']} s wall", ""]
    py, tr = b["startup:python"], b["startup:true"]
    pyn, trn = b["startup:python_nocache"], b["startup:true_nocache"]
    lines += ["start-up | python -c pass | kw86 exec /usr/bin/true | kw86's part",
              "---|---:|---:|---:",
              f"bytecode cache | {ms(py)} | {ms(tr)} | {ms(tr - py)}",
              f"no cache written ({res['kw86_pyc']} kw86 .pyc present) | {ms(pyn)} | {ms(trn)} "
              f"| {ms(trn - pyn)}"]
    if "startup:true_bare" in b:
        pyb, trb = b["startup:python_bare"], b["startup:true_bare"]
        lines.append(f"bare interpreter (python -S: no site) | {ms(pyb)} | {ms(trb)} "
                     f"| {ms(trb - pyb)}")
    lines.append("")
    if "ls" in res["parts"]:
        lines += ["ls -l over N host files | CPU | CPU - true | per file | guest insns/file "
                  "| syscalls/file", "---:|---:|---:|---:|---:|---:"]
        for n in res["sizes"]["ls"]:
            dt = b[f"ls:{n}"]
            ins, sc = s[f"ls:{n}"]
            lines.append(f"{n:,} | {ms(dt)} | {ms(dt - tr)} | {(dt - tr) / n * 1e6:.0f} us | "
                         f"{ins / n:,.0f} | {sc / n:.2f}")
        lines.append("")
    if "wc" in res["parts"]:
        lines += ["wc of N MiB of text | CPU | CPU per MiB (- true) | guest insns/byte",
                  "---:|---:|---:|---:"]
        for mb in res["sizes"]["wc"]:
            dt = b[f"wc:{mb}"]
            ins, _ = s[f"wc:{mb}"]
            lines.append(f"{mb} | {ms(dt)} | {ms((dt - tr) / mb)} | {ins / (mb << 20):.2f}")
        lines.append("")
    if "cp" in res["parts"]:
        lines += ["cp of N MiB (host to host) | CPU | CPU per MiB (- true) | guest insns/byte",
                  "---:|---:|---:|---:"]
        for mb in res["sizes"]["cp"]:
            dt = b[f"cp:{mb}"]
            ins, _ = s[f"cp:{mb}"]
            lines.append(f"{mb} | {ms(dt)} | {ms((dt - tr) / mb)} | {ins / (mb << 20):.3f}")
        lines.append("")
    if res.get("against"):
        lines += [f"against {res['against']} (same rounds, interleaved) | this tree | that tree "
                  "| this/that | guest insns this / that", "---|---:|---:|---:|---:"]
        names = [("startup:true", "kw86 exec /usr/bin/true"),
                 ("startup:true_nocache", "the same, no cache written"),
                 ("startup:true_bare", "the same, python -S")]
        names += [(f"ls:{n}", f"ls -l, {n:,} files") for n in res["sizes"]["ls"]
                  if "ls" in res["parts"]]
        names += [(f"wc:{mb}", f"wc, {mb} MiB") for mb in res["sizes"]["wc"] if "wc" in res["parts"]]
        names += [(f"cp:{mb}", f"cp, {mb} MiB") for mb in res["sizes"]["cp"] if "cp" in res["parts"]]
        for key, name in names:
            this, that = b[key], b["vs:" + key]
            ins = ""
            if key in s and "vs:" + key in s:
                ins = f"{s[key][0]:,} / {s['vs:' + key][0]:,}"
            lines.append(f"{name} | {ms(this)} | {ms(that)} | {this / that:.2f} | {ins}")
        lines.append("")
        if "ls" in res["parts"]:
            # the per-file part alone: each tree's ls less its own start-up
            lines += ["ls -l per file (CPU - true, each tree its own) | this tree | that tree "
                      "| this/that", "---:|---:|---:|---:"]
            tr_this, tr_that = b["startup:true"], b["vs:startup:true"]
            for n in res["sizes"]["ls"]:
                this = (b[f"ls:{n}"] - tr_this) / n
                that = (b[f"vs:ls:{n}"] - tr_that) / n
                ratio = f"{this / that:.2f}" if that > 0 else "-"
                lines.append(f"{n:,} | {this * 1e6:.0f} us | {that * 1e6:.0f} us | {ratio}")
            lines.append("")
    return "\n".join(lines)


def _sizes(text, what):
    try:
        v = tuple(int(x) for x in text.split(",") if x)
    except ValueError:
        raise BenchError(f"{what}: {text!r} is not a comma-separated list of counts") from None
    if not v or min(v) <= 0:
        raise BenchError(f"{what}: {text!r} needs positive counts")
    return v


def add_arguments(p):
    p.add_argument("-n", "--rounds", type=int, default=3, help="best of N rounds (default 3)")
    p.add_argument("--parts", default="startup,ls,wc,cp",
                   help="comma-separated subset of: startup, ls, wc, cp (start-up is always "
                        "measured: the others are given over it)")
    p.add_argument("--ls", default=",".join(map(str, LS_COUNTS)), metavar="N,..",
                   help="file counts for ls -l")
    p.add_argument("--wc", default=",".join(map(str, WC_MB)), metavar="MB,..",
                   help="text sizes for wc, MiB")
    p.add_argument("--cp", default=",".join(map(str, CP_MB)), metavar="MB,..",
                   help="file sizes for cp, MiB")
    p.add_argument("--against", metavar="DIR",
                   help="also run every kw86 job with the kw86 package in DIR (e.g. a built "
                        "clone of an older commit), interleaved, and print the ratios")
    p.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    p.add_argument("-v", "--verbose", action="store_true", help="print every measurement")


def run(args):
    import json
    parts = tuple(x for x in args.parts.split(",") if x)
    for x in parts:
        if x not in ("startup", "ls", "wc", "cp"):
            sys.stderr.write(f"kw86 bench whole: unknown part {x!r}\n")
            return 2
    if args.rounds <= 0:
        sys.stderr.write("kw86 bench whole: --rounds must be positive\n")
        return 2
    try:
        res = measure(rounds=args.rounds, parts=parts, ls_counts=_sizes(args.ls, "--ls"),
                      wc_mb=_sizes(args.wc, "--wc"), cp_mb=_sizes(args.cp, "--cp"),
                      verbose=args.verbose, against=args.against)
    except BenchError as e:
        sys.stderr.write(f"kw86 bench whole: {e}\n")
        return 1
    print(report(res))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1)
    return 0
