"""Where a system call's cycles go, per path (issue 9 section 4, beyond the paper).

Three paths into the kernel: the trap (`int $0x80`, locore's Xsyscall), the
call (a kernelware's `call *gate`, kw86_syscall_gate) and sysenter (the
sysroot's NAME.sysenter programs, locore's Xsysenter; NetBSD 1.5 did not use
it).  Each measurement runs the sysroot's getpid_bench / stat_bench /
rw_bench in its own boot under the exact profiler (kw86/nbsd/profile.py,
`kw86 exec --profile`): every instruction's cycles go to the stack it ran
in, locore's instructions to their locore symbol.  The stacks under the
program's `main` that end in the call's libc stub are summed, per section,
and divided by the number of those calls the kernel saw (the warm-up call
included, as its cycles are in the stacks too):

    stub      libc's instructions for the call: the stub's own, including
              the int $0x80 / sysenter / call instruction (the entry's CPU
              cost), and for read and write the cancellation-point wrapper
              in front of it (userland/libc/pthread.c: in a program without
              threads, 9 instructions and a tail jump to __sys_read/__sys_write)
    entry     the frame save and the segment loads (Xsyscall; Xsysenter and
              Xsysenter_save; kw86_syscall_gate)
    dispatch  loading the number and user stack for the kernel, the
              hypercall (kw86_hcall; Xsysenter_dispatch)
    kernel    the kernel's work: the kernel-cost table's charge, copies
              ([kernel] NAME frames)
    exit      the return check, restoring the frame, iret / sysexit / ret
              (kw86_hcall_return, trapret; sysenter_return, sysenter_exit;
              fast_gate, gate_exit)

The CPU's own cost of the transfer instructions comes from the cycle profile
(kw86/profiles/<profile>.toml, sources in ../shared/cycle-model.md §4a/§4b):
int n CPL 3->0 = int_same + priv_change, iret CPL 0->3 = iret_priv, sysenter
and sysexit their class cost, a segment load seg_load; the table states them
beside the sections.
"""
import io
import os
import tempfile

STUB_INSNS = {"trap": 7, "call": 7, "sysenter": 9}
SECTIONS = ("stub", "entry", "dispatch", "kernel", "exit")
_SECTION_OF = {
    "Xsyscall": "entry", "Xsysenter": "entry", "Xsysenter_save": "entry",
    "kw86_syscall_gate": "entry",
    "kw86_hcall": "dispatch", "Xsysenter_dispatch": "dispatch",
    "kw86_hcall_return": "exit", "trapret": "exit", "sysenter_return": "exit",
    "sysenter_exit": "exit", "fast_gate": "exit", "gate_exit": "exit",
}
PATHS = (("trap", "int $0x80 (trap)"), ("call", "kernelware call gate"),
         ("sysenter", "sysenter/sysexit"))
# (key, label, program, argv after the count, the stub's symbol, its number,
#  the libc wrapper main calls in front of the stub or None)
CALLS = (("getpid", "getpid", "getpid_bench", (), "getpid", 20, None),
         ("stat", "stat /", "stat_bench", (), "stat", 439, None),
         ("write", "write 64 KiB", "rw_bench", ("65536",), "__sys_write", 4, "write"),
         ("read", "read 64 KiB", "rw_bench", ("65536",), "__sys_read", 3, "read"))


COST_ORDER = ("int $0x80 (CPL 3->0)", "iret (CPL 0->3)", "sysenter", "sysexit", "segment load",
              "call gate (near call)")


def _profile_costs(name):
    """int/iret/sysenter/sysexit/seg_load cycles of cycle profile `name`."""
    import tomllib
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                        "profiles", f"{name}.toml")
    try:
        with open(path, "rb") as f:
            t = tomllib.load(f)
    except OSError:
        return {}
    ev = t.get("events", {})
    flat = {}
    for v in t.values():
        if isinstance(v, dict):
            flat.update(v)
    return {"int $0x80 (CPL 3->0)": ev.get("int_same", 0) + ev.get("priv_change", 0),
            "iret (CPL 0->3)": ev.get("iret_priv"),
            "sysenter": flat.get("sysenter"), "sysexit": flat.get("sysexit"),
            "segment load": ev.get("seg_load"),
            "call gate (near call)": flat.get("call")}


def measure(path, call, n, cycles_profile="celeron500", root=None):
    """One boot: the call's program on the path under the exact profiler;
    -> {section: cycles per call}, {locore symbol: cycles per call}, calls."""
    from kw86.nbsd.cli_exec import default_root
    from kw86.nbsd.kernel import Kernel
    from kw86.nbsd.profile import Profiler
    key, _label, prog, extra, stub, _num, wrapper = call
    root = root or default_root()
    name = prog + (".sysenter" if path == "sysenter" else "")
    argv = [f"/usr/bin/{name}".encode(), str(n).encode()] + [a.encode() for a in extra]
    with tempfile.TemporaryFile() as out, open(os.devnull, "rb") as null:
        k = Kernel(root, mem_size=64 << 20, profile=cycles_profile, stdin=null.fileno(),
                   stdout=out.fileno(), stderr=out.fileno(), epoch_ns=1072915200 * 10**9)
        try:
            if path == "call":
                k.modload("kernelware")
            prof = Profiler(k, limit=50_000_000)     # before spawn: pid 1's exec
            k.tracer = prof
            k.spawn(argv[0], argv, [b"PATH=/bin:/usr/bin"], kernelware=path == "call")
            status = k.run()
            folded = io.StringIO()
            prof.finish(folded)
        finally:
            k.close()
        out.seek(0)
        text = out.read().decode("latin-1")
    if status != 0:
        raise RuntimeError(f"{name}: status {status:#x}: {text[-500:]}")
    sec = dict.fromkeys(SECTIONS, 0)
    syms = {}
    stub_ins = 0
    for idx, frames in enumerate(prof.stacks):
        c = prof.cyc[idx]
        # only the calls main makes itself (not stdio's write of the result line)
        i = len(frames) - 1
        leaf = frames[i]
        if leaf == stub and i >= 1 and frames[i - 1] == "main":
            sec["stub"] += c
            stub_ins += prof.ins[idx]
            continue
        if wrapper is not None and leaf == wrapper and i >= 1 and frames[i - 1] == "main":
            # the wrapper tail-jumps to the stub (which then runs under main)
            sec["stub"] += c
            continue
        if i < 2 or frames[i - 1] != stub or frames[i - 2] != "main":
            continue
        if leaf.startswith("[kernel] "):
            sec["kernel"] += int(c)
        elif leaf.startswith("[locore] "):
            s = leaf[len("[locore] "):]
            syms[s] = syms.get(s, 0) + int(c)
            sec[_SECTION_OF.get(s, "exit" if "ret" in s else "dispatch")] += int(c)
    if not stub_ins or not sec["kernel"]:
        # no function names (pyelftools missing) or the stub renamed: say so
        # rather than record a breakdown of nothing
        from kw86.paper.experiments import BenchError
        raise BenchError(f"system-call breakdown: no {stub} stub under main with the "
                         f"kernel's {key} below it in the profile of {name} ({path} path)")
    # the stub's user-mode path is STUB_INSNS instructions (userland/build.py
    # gen_stub: movl, movl %cs, testb, jz, the transfer (2 movl + sysenter on
    # that path), jc, ret): the number of calls main made, warm-up included
    calls = max(1, round(stub_ins / STUB_INSNS[path]))
    return ({s: v / calls for s, v in sec.items()}, {s: v / calls for s, v in syms.items()},
            calls)


def run(quick=False, cycles_profile="celeron500", root=None, progress=None):
    """Every call on every path: the JSON section of `kw86 bench paper`."""
    n = {"getpid": 100, "stat": 100, "write": 10, "read": 10}
    if quick:
        n = {"getpid": 20, "stat": 20, "write": 3, "read": 3}
    rows = []
    for call in CALLS:
        row = dict(key=call[0], label=call[1], paths={})
        for path, _label in PATHS:
            sec, syms, calls = measure(path, call, n[call[0]], cycles_profile, root)
            row["paths"][path] = dict(sections=sec, locore=syms, calls=calls,
                                      total=sum(sec.values()))
            if progress is not None:
                progress()
        rows.append(row)
    return dict(paths=[dict(key=k, label=lab) for k, lab in PATHS], sections=list(SECTIONS),
                instruction_costs=_profile_costs(cycles_profile), rows=rows,
                method=__doc__.strip().split("\n\n")[1].replace("\n", " "))


def markdown(bd):
    """The results.md section."""
    out = ["## System-call paths, cycle breakdown", "",
           "Beyond the paper (NetBSD 1.5 did not use sysenter).  Cycles per call from the "
           "exact profiler (`kw86 exec --profile`), by locore section; the calls the kernel "
           "saw, warm-up included (kw86/paper/breakdown.py).", ""]
    head = "| call | path | " + " | ".join(SECTIONS) + " | total |"
    out += [head, "|" + " --- |" * (len(SECTIONS) + 3)]
    for r in bd["rows"]:
        for path, _l in PATHS:
            p = r["paths"][path]
            cells = " | ".join(f"{p['sections'][s]:,.1f}" for s in SECTIONS)
            out.append(f"| {r['label']} | {path} | {cells} | {p['total']:,.1f} |")
    costs = bd.get("instruction_costs") or {}
    if costs:
        # in _profile_costs' order (results.json stores the dict with sorted keys)
        order = [k for k in COST_ORDER if k in costs] + sorted(set(costs) - set(COST_ORDER))
        out += ["", "The transfer instructions' own cycles (in `stub` and `exit`), from the "
                "cycle profile (../shared/cycle-model.md §4a/§4b): " +
                ", ".join(f"{k} {costs[k]}" for k in order
                          if costs.get(k) is not None) + "."]
    return "\n".join(out) + "\n"
