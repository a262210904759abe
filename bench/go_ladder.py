#!/usr/bin/env python3
"""Go's own standard-library tests under kw86 (issue 11): each package's
test binary is built by Debian's Go for netbsd/386 (`go test -c`,
GO386=softfloat, CGO_ENABLED=0, no patched runtime) and run as

    kw86 exec [--kernelware] --bind BIN:/gotest:ro --bind GOROOT:GOROOT:ro \\
        --cwd GOROOT/src/PKG /gotest/PKG.test -test.short

(GOROOT at its own path, read-only, and the package's source directory as
the working directory, as `go test` gives it, for the tests that read
testdata/ or GOROOT; GO_GCFLAGS set so that the tests needing the go tool
skip).  The same tests built for linux/386 and run natively on the host
are the reference: a package "passes as native" when its run completes and
every test that failed under kw86 fails natively too (the host's
environment: Debian ships no GOROOT/lib/time/zoneinfo.zip, for one).
Prints one row per package and mode: pass / pass as native / FAIL, the
host time, and the failing tests.

    python bench/go_ladder.py                       # the whole ladder, both modes
    python bench/go_ladder.py strings sort          # some packages
    python bench/go_ladder.py --modes user --json results.json
    python bench/go_ladder.py --peer qemu -n 3 strings   # CPU time against qemu-i386
    python bench/go_ladder.py --peer qemu --against ../old strings   # and another kw86 tree

tests/test_go_stdlib.py runs the cheap packages (CI) and, with
KW86_GO_LADDER=1, the ladder.  Nothing here asserts a speed.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# from the leaves of the standard library to the runtime-heavy packages
LADDER = ["unicode/utf8", "unicode/utf16", "strings", "sort", "strconv", "bytes",
          "container/list", "container/ring", "container/heap", "math", "math/bits",
          "path", "path/filepath", "regexp", "fmt", "bufio", "io", "encoding/json",
          "encoding/binary", "encoding/hex", "errors", "context", "sync", "sync/atomic",
          "time", "os", "os/exec", "net"]
# cheap enough for every CI run (at most a few seconds each per mode here,
# strconv's 30 s and the runtime-heavy ones left to the ladder)
CI = ["unicode/utf8", "strings", "sort", "bytes", "math", "path/filepath", "fmt",
      "container/list", "errors", "context"]
MODES = {"user": [], "kernelware": ["--kernelware"]}
# build flags a package's tests need: time's load America/Los_Angeles from
# GOROOT/lib/time/zoneinfo.zip, which Debian's Go does not ship; the
# timetzdata tag embeds the database instead (what the test's panic advises)
BUILD_FLAGS = {"time": ["-tags", "timetzdata"]}
# what the host's environment may lend the build (caches, PATH); nothing
# that changes behaviour (tests/hostenv.py's rule)
_HOST = ("PATH", "HOME", "XDG_CACHE_HOME", "GOCACHE")


def go_tool():
    return shutil.which("go")


def build_env(tmp, goos="netbsd"):
    env = {k: os.environ[k] for k in _HOST if os.environ.get(k)}
    env.setdefault("PATH", "/usr/bin:/bin")
    env.setdefault("HOME", "/tmp")
    env.update(LANG="C", LC_ALL="C", TZ="UTC", GOOS=goos, GOARCH="386",
               GO386="softfloat", CGO_ENABLED="0", GOPATH=os.path.join(tmp, "gopath"),
               GOPROXY="off", GOFLAGS="-mod=mod", GOTOOLCHAIN="local", GOTELEMETRY="off")
    return env


def test_binary_name(pkg, goos="netbsd"):
    return pkg.replace("/", "_") + ("" if goos == "netbsd" else "." + goos) + ".test"


def build(pkg, outdir, go=None, timeout=1800, goos="netbsd"):
    """Build pkg's test binary for goos/386 in outdir: (path or None,
    seconds, error text)."""
    go = go or go_tool()
    out = os.path.join(outdir, test_binary_name(pkg, goos))
    t0 = time.perf_counter()
    p = subprocess.run([go, "test", "-c", *BUILD_FLAGS.get(pkg, []), "-o", out, pkg],
                       cwd=outdir, env=build_env(outdir, goos),
                       capture_output=True, text=True, timeout=timeout)
    dt = time.perf_counter() - t0
    if p.returncode != 0 or not os.path.exists(out):
        return None, dt, (p.stdout + p.stderr).strip()[-2000:]
    return out, dt, ""


def pkg_dir(pkg, go=None):
    """The package's source directory (GOROOT/src/PKG)."""
    go = go or go_tool()
    p = subprocess.run([go, "list", "-f", "{{.Dir}}", pkg], capture_output=True, text=True,
                       env=build_env("/tmp"), timeout=120)
    return p.stdout.strip() if p.returncode == 0 else None


def goroot_binds(go=None):
    """--bind options that show the toolchain's GOROOT read-only at its own
    path in the guest (the test binaries' runtime.GOROOT(): some tests read
    GOROOT/src and GOROOT/test), with the directories its top-level symbolic
    links point to (Debian: src -> ../../share/go-1.19/src), and the host's
    zoneinfo."""
    go = go or go_tool()
    p = subprocess.run([go, "env", "GOROOT"], capture_output=True, text=True,
                       env=build_env("/tmp"), timeout=120)
    root = p.stdout.strip()
    if p.returncode != 0 or not os.path.isdir(root):
        return []
    dirs = [root]
    for name in sorted(os.listdir(root)):
        path = os.path.join(root, name)
        if os.path.islink(path) and os.path.isdir(path):
            real = os.path.realpath(path)
            if not real.startswith(root + os.sep):
                dirs.append(real)
    # the time zone database NetBSD keeps in /usr/share/zoneinfo (the time
    # package's tests load America/Los_Angeles and others)
    if os.path.isdir("/usr/share/zoneinfo"):
        dirs.append("/usr/share/zoneinfo")
    out = []
    for d in dirs:
        out += ["--bind", f"{d}:{d}:ro"]
    return out


def kw86_command(binary, pkg, mode, extra=(), guest_env=()):
    """(argv, env) of a test binary's run under kw86 (guest_env: more
    VAR=VALUE for the guest)."""
    # GO_GCFLAGS set: internal/testenv's HasGoBuild says no (the host's go
    # tool is not a NetBSD program), so the tests that build with it skip
    argv = [sys.executable, "-m", "kw86.cli", "exec", *MODES[mode], "--memory", "512M",
            "--mfs", "128M", "-E", "TMPDIR=/tmp", "-E", "HOME=/root", "-E", "GO_GCFLAGS=-kw86",
            "--bind", f"{os.path.dirname(binary)}:/gotest:ro", *goroot_binds()]
    for e in guest_env:
        argv += ["-E", e]
    src = pkg_dir(pkg)
    if src:
        argv += ["--cwd", src]          # as `go test` runs it: in the package's directory
    argv += [f"/gotest/{os.path.basename(binary)}", "-test.short", *extra]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp"),
           "LANG": "C", "LC_ALL": "C", "TZ": "UTC", "PYTHONPATH": REPO,
           "PYTHONDONTWRITEBYTECODE": "1"}
    return argv, env


def run(binary, pkg, mode, timeout=1800, extra=()):
    """Run a test binary under kw86: (exit status, seconds, output)."""
    argv, env = kw86_command(binary, pkg, mode, extra)
    t0 = time.perf_counter()
    try:
        p = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=timeout,
                           cwd=REPO)
        st, out = p.returncode, p.stdout + p.stderr
    except subprocess.TimeoutExpired as e:
        st = "timeout"
        out = ((e.stdout or b"").decode("latin-1") if isinstance(e.stdout, bytes)
               else (e.stdout or "")) + f"\n(timed out after {timeout} s)"
    return st, time.perf_counter() - t0, out


def passed(status, output):
    """go test's verdict: exit status 0 and its closing PASS line."""
    return status == 0 and "\nPASS" in "\n" + output


def run_native(binary, pkg, timeout=1800):
    """The linux/386 build of the same tests run on the host (the reference:
    what fails there is the host's environment, not kw86): (status, output);
    status None when the host cannot run i386 programs."""
    import tempfile
    with tempfile.TemporaryDirectory(prefix="kw86-go-native-") as tmp:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": tmp, "LANG": "C",
               "LC_ALL": "C", "TZ": "UTC", "TMPDIR": tmp, "GO_GCFLAGS": "-kw86"}
        try:
            p = subprocess.run([binary, "-test.short", "-test.v"], capture_output=True,
                               text=True, env=env, timeout=timeout, cwd=pkg_dir(pkg) or tmp)
        except OSError:
            return None, ""
        except subprocess.TimeoutExpired:
            return "timeout", ""
    return p.returncode, p.stdout + p.stderr


def failed_tests(output):
    """The top-level tests a -test.v run reports failed."""
    return {ln.split()[2] for ln in output.splitlines() if ln.startswith("--- FAIL: ")}


def completed(status, output):
    """The test binary ran to its end (its closing PASS or FAIL line; no
    panic, no timeout)."""
    lines = output.splitlines()
    return status in (0, 1) and any(ln in ("PASS", "FAIL") for ln in lines) and \
        not any(ln.startswith(("panic:", "fatal error:")) for ln in lines)


def verdict(status, output, native):
    """("pass" | "pass as native" | "FAIL", detail).  "pass as native": the
    run completed and every test that failed also fails in the native
    linux/386 run (native = (status, output) or None)."""
    if passed(status, output):
        return "pass", ""
    mine = failed_tests(output)
    if native is not None and native[0] is not None and completed(status, output) and mine:
        theirs = failed_tests(native[1])
        if mine <= theirs:
            return "pass as native", "fail natively too: " + ", ".join(sorted(mine))
        return "FAIL", "kw86 only: " + ", ".join(sorted(mine - theirs)) + " / " + \
            first_failure(status, output)
    return "FAIL", first_failure(status, output)


def first_failure(status, output, n=6):
    lines = output.splitlines()
    for i, ln in enumerate(lines):
        if ln.startswith(("--- FAIL", "panic:", "fatal error:", "kw86:", "FAIL", "Traceback")):
            return f"status {status}: " + " | ".join(lines[i:i + n])[:400]
    return f"status {status}: " + " | ".join(lines[-n:])[:400]


def ladder(pkgs, modes, outdir, log=sys.stderr, timeout=1800, native=True):
    rows = []
    for pkg in pkgs:
        binary, bt, err = build(pkg, outdir)
        if binary is None:
            rows.append(dict(pkg=pkg, mode="-", ok=False, result="FAIL", seconds=round(bt, 1),
                             detail="build failed: " + err[-300:]))
            print(f"{pkg:20} build failed ({bt:.0f} s)", file=log, flush=True)
            continue
        ref = None
        if native:
            nbin, _, _ = build(pkg, outdir, goos="linux")
            ref = run_native(nbin, pkg, timeout=timeout) if nbin else None
        for mode in modes:
            st, dt, out = run(binary, pkg, mode, timeout=timeout, extra=("-test.v",))
            res, detail = verdict(st, out, ref)
            rows.append(dict(pkg=pkg, mode=mode, ok=res != "FAIL", result=res, status=st,
                             seconds=round(dt, 1), build_seconds=round(bt, 1), detail=detail))
            print(f"{pkg:20} {mode:10} {res:14} {dt:7.1f} s", file=log, flush=True)
    return rows


# -- the peer (issue 12): the same tests under qemu-i386 ----------------------
#
# qemu-i386 (Debian's qemu-user; a benchmark-only peer, never a dependency of
# kw86 or of its tests) runs the linux/386 build of the same package's tests;
# kw86 runs the netbsd/386 build, as the ladder does.  Each side's time is
# the CPU time (user + system, from the child's rusage) of the whole command,
# start-up included, best of N, the runs interleaved; the load average is
# printed with each package, and the guest instructions each side ran
# (kw86's --stats; qemu's from bench/qemu_icount.c, a TCG plugin built with
# the host's cc, in one more run that is not timed).  Each kw86 tree's bytecode is brought up to
# date before a package is timed (warm_tree), as an installed kw86's is.
# Go's asynchronous preemption (a SIGURG to a
# running goroutine's thread every 10 ms) kills the linux/386 binaries under
# qemu-i386 7.2 ("fatal: bad g in signal handler"), so both sides run with
# GODEBUG=asyncpreemptoff=1: the same runtime behaviour on each.
QEMU = "qemu-i386"
PEER_GODEBUG = "GODEBUG=asyncpreemptoff=1"


def qemu_tool():
    return shutil.which(QEMU)


# The guest instructions qemu-i386 executes, for the work each side does
# (kw86's own count comes from --stats): bench/qemu_icount.c, a TCG plugin,
# built with the host's cc and run once per package, untimed (it slows qemu).
ICOUNT_SRC = os.path.join(REPO, "bench", "qemu_icount.c")


def build_icount_plugin(outdir, cc=None):
    """Build qemu_icount.c into outdir: (path, "") or (None, why not)."""
    cc = cc or shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        return None, "no C compiler (cc) on this host"
    out = os.path.join(outdir, "qemu_icount.so")
    try:
        p = subprocess.run([cc, "-O2", "-shared", "-fPIC", "-o", out, ICOUNT_SRC],
                           capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, f"{cc}: {e}"
    if p.returncode != 0 or not os.path.exists(out):
        return None, f"{cc} failed: {(p.stdout + p.stderr).strip()[-300:]}"
    return out, ""


def qemu_instructions(output):
    """The count qemu_icount.so printed, or None."""
    for ln in output.splitlines():
        if ln.startswith("qemu-icount: ") and ln.endswith(" instructions"):
            try:
                return int(ln.split()[1])
            except ValueError:
                return None
    return None


def child_cpu(argv, env, cwd, timeout):
    """Run argv to its end: (exit status, CPU seconds of the child, output).
    The CPU time is the rusage of the children this process reaped during
    the run (only this one: nothing else runs beside it)."""
    import resource
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        p = subprocess.run(argv, capture_output=True, env=env, cwd=cwd, timeout=timeout)
        st, out = p.returncode, (p.stdout + p.stderr).decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        st, out = "timeout", f"(timed out after {timeout} s)"
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return st, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime), out


def qemu_command(binary, pkg, tmp):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": tmp, "LANG": "C",
           "LC_ALL": "C", "TZ": "UTC", "TMPDIR": tmp, "GO_GCFLAGS": "-kw86"}
    k, v = PEER_GODEBUG.split("=", 1)
    env[k] = v
    return [qemu_tool(), binary, "-test.short"], env, pkg_dir(pkg) or tmp


def warm_tree(tree, timeout=300):
    """Bring a kw86 tree's bytecode up to date before it is timed, as an
    installed kw86 has it (pip compiles the package; the first `kw86 exec`
    writes the start-up bundle, kw86/startup_bundle.py): the timed runs
    have PYTHONDONTWRITEBYTECODE set, so a module whose source changed since
    its .pyc was written (in a working tree, another edit) would be
    compiled again in every run, charged to kw86 (0.08-0.1 s of a 1.5 s
    strings run).  Byte-compiles tree/kw86 and runs `kw86 exec
    /usr/bin/true` once with bytecode writing on; returns that run's exit
    status."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp"),
           "LANG": "C", "LC_ALL": "C", "TZ": "UTC", "PYTHONPATH": tree}
    try:
        subprocess.run([sys.executable, "-m", "compileall", "-q", os.path.join(tree, "kw86")],
                       env=env, cwd=tree, capture_output=True, timeout=timeout)
        p = subprocess.run([sys.executable, "-m", "kw86.cli", "exec", "/usr/bin/true"],
                           env=env, cwd=tree, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout"
    return p.returncode


def guest_instructions(output):
    """The instruction count of kw86's --stats line, or None."""
    for ln in output.splitlines():
        if ln.startswith("kw86: ") and " instructions," in ln:
            try:
                return int(ln.split()[1])
            except ValueError:
                return None
    return None


def kw86_sides(modes, against=None):
    """The kw86 sides of a comparison: each mode with this tree, then (with
    against, another built kw86 tree) each mode with that one: [(name, mode,
    tree)]."""
    out = [(m, m, REPO) for m in modes]
    if against:
        out += [(f"{m}@against", m, against) for m in modes]
    return out


def compare(pkgs, modes, outdir, n=3, log=sys.stderr, timeout=900, against=None):
    """kw86 (each mode; with against, also the kw86 tree in that directory)
    against qemu-i386 on each package's tests: one row per package with each
    side's best CPU time over n interleaved runs (a side whose every run
    failed has no time), kw86's ratio to qemu and, with against, each mode's
    ratio to the other tree's."""
    import tempfile
    qemu = qemu_tool()
    if qemu is None:
        print(f"go_ladder: no {QEMU} on this host (apt-get install qemu-user): "
              "kw86 is timed alone, no ratios to qemu", file=log, flush=True)
    ksides = kw86_sides(modes, against)
    plugin = None
    if qemu is not None:
        plugin, why = build_icount_plugin(outdir)
        if plugin is None:
            print(f"go_ladder: qemu's instruction count not measured: {why}", file=log,
                  flush=True)
    rows = []
    for pkg in pkgs:
        nbin, _, err = build(pkg, outdir)
        lbin, _, lerr = build(pkg, outdir, goos="linux") if qemu else (None, 0, "")
        if nbin is None or (qemu and lbin is None):
            rows.append(dict(pkg=pkg, error="build failed: " + (err or lerr)[-300:]))
            print(f"{pkg:20} build failed", file=log, flush=True)
            continue
        with tempfile.TemporaryDirectory(prefix="kw86-go-peer-") as tmp:
            sides = {}
            if qemu:
                sides["qemu"] = qemu_command(lbin, pkg, tmp)
            for name, mode, tree in ksides:
                argv, env = kw86_command(nbin, pkg, mode, extra=(), guest_env=(PEER_GODEBUG,))
                argv.insert(argv.index("exec") + 1, "--stats")
                env["PYTHONPATH"] = tree
                sides[name] = (argv, env, tree)
            for tree in dict.fromkeys(t for _, _, t in ksides):
                warm_tree(tree)         # (per package: the tree may have changed)
            best = {s: None for s in sides}
            fails = {s: 0 for s in sides}
            instr = {}
            load0 = os.getloadavg()[0]
            for _ in range(n):
                for side, (argv, env, cwd) in sides.items():
                    st, cpu, out = child_cpu(argv, env, cwd, timeout)
                    if not passed(st, out):
                        fails[side] += 1
                        print(f"{pkg:20} {side:10} run failed: {first_failure(st, out)}",
                              file=log, flush=True)
                        continue
                    if side != "qemu":
                        instr[side] = guest_instructions(out)
                    if best[side] is None or cpu < best[side]:
                        best[side] = cpu
            load1 = os.getloadavg()[0]
            if plugin is not None and best.get("qemu") is not None:
                # one more qemu run with the counting plugin, not timed
                argv, env, cwd = sides["qemu"]
                st, _, out = child_cpu([argv[0], "-plugin", plugin, *argv[1:]], env, cwd,
                                       timeout)
                instr["qemu"] = qemu_instructions(out) if passed(st, out) else None
        row = dict(pkg=pkg, n=n, load=[round(load0, 2), round(load1, 2)],
                   cpu={s: (round(v, 3) if v is not None else None) for s, v in best.items()},
                   failed=fails, instructions=instr)
        q = best.get("qemu")
        row["ratio"] = {name: (round(best[name] / q, 2) if q and best[name] is not None else None)
                        for name, _, _ in ksides}
        if against:
            row["vs_against"] = {m: (round(best[m] / best[f"{m}@against"], 3)
                                     if best[m] and best[f"{m}@against"] else None)
                                 for m in modes}
        rows.append(row)
        parts = [f"{s} {v:.3f} s" if v is not None else f"{s} -" for s, v in best.items()]
        ratios = [f"{m}/qemu {r:.2f}x" for m, r in row["ratio"].items() if r is not None]
        if instr.get("qemu"):
            ratios.append(f"qemu {instr['qemu'] / 1e6:.0f} M instructions")
        ratios += [f"{m}/against {r:.3f}x" for m, r in row.get("vs_against", {}).items()
                   if r is not None]
        print(f"{pkg:20} " + ", ".join(parts + ratios) + f"  (load {load0:.2f}-{load1:.2f})",
              file=log, flush=True)
    return rows


def peer_table(rows, modes, against=None):
    ksides = kw86_sides(modes, against)
    head = "| package | qemu-i386 CPU s | qemu guest Minstr | qemu MIPS (CPU) |"
    for name, _, _ in ksides:
        head += f" kw86 {name} CPU s | {name}/qemu | {name} guest Minstr | {name} MIPS (CPU) |"
    if against:
        head += "".join(f" {m} / {m}@against |" for m in modes)
    ncol = 4 + 4 * len(ksides) + (len(modes) if against else 0) + 1
    out = [head + " load |", "|" + " --- |" * ncol]
    fmt = lambda v, f: "-" if v is None else format(v, f)
    for r in rows:
        if "error" in r:
            out.append(f"| {r['pkg']} | {r['error'].replace('|', '/')} |")
            continue
        qcpu, qins = r["cpu"].get("qemu"), r["instructions"].get("qemu")
        line = (f"| {r['pkg']} | {fmt(qcpu, '.3f')} | {fmt(qins and qins / 1e6, '.0f')} |"
                f" {fmt(qins / qcpu / 1e6 if qcpu and qins else None, '.0f')} |")
        for name, _, _ in ksides:
            cpu, ins = r["cpu"].get(name), r["instructions"].get(name)
            mips = ins / cpu / 1e6 if cpu and ins else None
            line += (f" {fmt(cpu, '.3f')} | {fmt(r['ratio'].get(name), '.2f')} |"
                     f" {fmt(ins and ins / 1e6, '.0f')} | {fmt(mips, '.0f')} |")
        if against:
            line += "".join(f" {fmt(r['vs_against'].get(m), '.3f')} |" for m in modes)
        out.append(line + f" {r['load'][0]:.2f}-{r['load'][1]:.2f} |")
    return "\n".join(out)


def table(rows):
    out = ["| package | mode | result | host s | detail |", "| --- | --- | --- | --- | --- |"]
    for r in rows:
        out.append(f"| {r['pkg']} | {r['mode']} | {r['result']} | "
                   f"{r['seconds']} | {r['detail'].replace('|', '/')} |")
    return "\n".join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("packages", nargs="*", help="packages (default: the ladder)")
    ap.add_argument("--modes", default="user,kernelware")
    ap.add_argument("--out", default=None, help="directory for the test binaries")
    ap.add_argument("--json", default=None, help="write the rows here too")
    ap.add_argument("--timeout", type=int, default=900, help="per package and mode, s")
    ap.add_argument("--no-native", action="store_true",
                    help="no linux/386 reference run (every failure counts)")
    ap.add_argument("--peer", choices=("qemu",), default=None,
                    help="time the packages (default: the CI set) against qemu-i386 running "
                    "their linux/386 build: CPU time, best of -n, interleaved, with the load")
    ap.add_argument("-n", type=int, default=3, help="--peer: runs per side (best of N)")
    ap.add_argument("--against", default=None, metavar="DIR",
                    help="--peer: also run every mode with the kw86 tree in DIR (a built "
                    "copy of another version), interleaved, and print the ratios")
    a = ap.parse_args(argv)
    if go_tool() is None:
        print("go_ladder: no `go` (apt-get install golang-go)", file=sys.stderr)
        return 2
    modes = [m for m in a.modes.split(",") if m]
    for m in modes:
        if m not in MODES:
            print(f"go_ladder: no mode {m!r} (user, kernelware)", file=sys.stderr)
            return 2
    import tempfile
    outdir = a.out or tempfile.mkdtemp(prefix="kw86-go-ladder-")
    os.makedirs(outdir, exist_ok=True)
    if a.peer:
        against = os.path.abspath(a.against) if a.against else None
        if against and not os.path.isfile(os.path.join(against, "kw86", "cli.py")):
            print(f"go_ladder: {a.against} is not a kw86 tree", file=sys.stderr)
            return 2
        rows = compare(a.packages or CI, modes, outdir, n=a.n, timeout=a.timeout,
                       against=against)
        print(peer_table(rows, modes, against))
        if a.json:
            with open(a.json, "w") as f:
                json.dump(rows, f, indent=1)
        return 0 if all("error" not in r and not any(r["failed"].values()) for r in rows) else 1
    rows = ladder(a.packages or LADDER, modes, outdir, timeout=a.timeout,
                  native=not a.no_native)
    print(table(rows))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=1)
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
