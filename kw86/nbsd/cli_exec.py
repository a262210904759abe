"""`kw86 exec [options] PROG [ARGS...]`: run a NetBSD/i386 program.

PROG: a path starting with '/' is in the guest's root (/bin/ls is the
sysroot's ls); a relative path with a slash (./ls) is a host file loaded
into the guest; a bare name is looked up in the guest's PATH.  The exit
status is the program's, or 128 + signal (with the shell's message) when a
signal killed it; a program that cannot be run gives a one-line error and
126 (not executable) or 127 (not found), like a shell.
"""
import os
import sys

from kw86.nbsd import abi

DEFAULT_PATH = "/bin:/sbin:/usr/bin:/usr/sbin"


def default_root():
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "sysroot")


def parse_size(s):
    orig = s
    s = s.strip().lower()
    mult = 1
    for suf, m in (("k", 1 << 10), ("m", 1 << 20), ("g", 1 << 30)):
        if s.endswith(suf) or s.endswith(suf + "b") or s.endswith(suf + "ib"):
            mult = m
            s = s.rstrip("ib").rstrip(suf)
            break
    try:
        n = int(s) * mult
    except ValueError:
        raise ValueError(f"invalid size {orig!r}") from None
    if n <= 0:
        raise ValueError(f"invalid size {orig!r}")
    return n


MIN_MEMORY = 2 << 20        # locore at 1 MiB, the buffer cache, a process
MIN_MFS = 64 << 10          # room for the root directory and a few files


# kw86.cli passes everything after PROG to the program untouched.
PASSTHROUGH = True
# and, in the kw86 process itself, ends the process at once with the status
# run() returns (kw86.cli._end_process): run() leaves no file unclosed
FAST_EXIT = True


def add_arguments(p):
    p.add_argument("prog", metavar="PROG", help="program: /guest/path, ./host/path or a name in PATH")
    p.add_argument("args", metavar="ARGS", nargs="...", help="its arguments")  # REMAINDER
    p.add_argument("--kernelware", action="store_true",
                   help="run the program in kernel mode (CPL 0) with function-call system calls")
    p.add_argument("--modules", default=None, metavar="LIST",
                   help="kernel modules loaded at boot, comma-separated, or 'none' (default: "
                        "kernelware, the emulation kwrun and switch_to_kernel_mode need; "
                        "--kernelware adds kwhook, the preemption hook)")
    p.add_argument("--root", default=None, help="host directory to use as the guest's root "
                   "(default: the built-in sysroot)")
    p.add_argument("--bind", action="append", default=[], metavar="HOSTDIR:GUESTDIR[:ro]",
                   help="mount a host directory into the guest (read-only with :ro)")
    p.add_argument("--cwd", default=None, help="guest directory to start in (default: home)")
    p.add_argument("-E", dest="env", action="append", default=[], metavar="VAR=VALUE",
                   help="add to the guest's environment")
    p.add_argument("--mfs", default="32M", metavar="SIZE", help="size of the MFS on /tmp")
    p.add_argument("--memory", default="64M", metavar="SIZE", help="guest physical memory")
    p.add_argument("--user", default=None, help="run as this sysroot user (default root)")
    p.add_argument("--strace", action="store_true",
                   help="trace system calls (kdump-like) to stderr")
    p.add_argument("--strace-file", default=None, metavar="FILE",
                   help="trace system calls to FILE instead")
    p.add_argument("--stats", action="store_true", help="print instruction/cycle statistics")
    p.add_argument("--host-stats", action="store_true",
                   help="print where kw86's host time went: start-up, the CPU and the Python "
                   "kernel by hypercall kind (system calls, traps, clock ticks)")
    p.add_argument("--cycles-profile", default="celeron500", metavar="NAME")
    p.add_argument("--max-instructions", type=int, default=None, metavar="N")
    p.add_argument("--trace", default=None, metavar="FILE",
                   help="write each executed instruction (address, bytes, disassembly, "
                   "changed registers) and events (syscalls, interrupts, faults, "
                   "switches) to FILE ('-' for stderr)")
    p.add_argument("--trace-limit", type=int, default=None, metavar="N",
                   help="stop tracing after N instructions (default 1,000,000); "
                   "the program goes on untraced")
    p.add_argument("--profile", default=None, metavar="FILE",
                   help="write cycles per guest function as folded stacks (flame-graph "
                   "input, count = cycles) to FILE ('-' for stderr) and a top-N table "
                   "to stderr")
    p.add_argument("--profile-metric", choices=("cycles", "instructions"), default="cycles",
                   help="what the folded stacks count (default cycles)")
    p.add_argument("--profile-every", type=int, default=None, metavar="N",
                   help="sample every N instructions at full speed instead of "
                   "single-stepping")
    p.add_argument("--profile-limit", type=int, default=None, metavar="N",
                   help="single-step at most N instructions (default 10,000,000); "
                   "the rest runs at full speed, unprofiled")
    p.add_argument("--profile-top", type=int, default=20, metavar="N",
                   help="rows of the table (default 20)")
    p.add_argument("--no-hdd", action="store_true", help="charge no disk cost for the root")


def _passwd(root, user):
    """(uid, gid, home) of user in the guest root's /etc/passwd, or None.
    The file is reached without following a symbolic link and read only if
    it is a regular file (a guest may have left anything there)."""
    import stat as hstat
    fds = []
    nofollow = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fds.append(os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC))
        fds.append(os.open("etc", nofollow | os.O_DIRECTORY, dir_fd=fds[-1]))
        fds.append(os.open("passwd", nofollow | os.O_NONBLOCK | os.O_NOCTTY, dir_fd=fds[-1]))
        st = os.fstat(fds[-1])
        if not hstat.S_ISREG(st.st_mode):
            return None
        data = os.read(fds[-1], 1 << 20)
    except OSError:
        return None
    finally:
        for fd in fds:
            os.close(fd)
    for line in data.split(b"\n"):
        parts = line.split(b":")
        if len(parts) >= 7 and parts[0].decode("latin-1") == user:
            try:
                return int(parts[2]), int(parts[3]), parts[5].decode("latin-1")
            except ValueError:
                return None
    return None


BOOT_MODULES = ("kernelware",)           # a stock kw86 kernel: the emulation, no hook
KNOWN_MODULES = ("kernelware", "kwhook")    # kw86/nbsd/module.py


def _boot_modules(args):
    """The modules to load at boot (a tuple), or an error message (str).
    By default the kernelware emulation is loaded, so a root process may
    join it (kwrun, switch_to_kernel_mode); the preemption hook is loaded
    only with --kernelware (it costs every int $0x80 its stub: Fig. 4)."""
    if args.modules is None:
        mods = list(BOOT_MODULES)
    elif args.modules.strip().lower() == "none":
        mods = []
    else:
        mods = [m.strip() for m in args.modules.split(",") if m.strip()]
        for m in mods:
            if m not in KNOWN_MODULES:
                return f"--modules: no module {m!r} (there are: {', '.join(KNOWN_MODULES)})"
    if args.kernelware:
        if args.modules is not None and "kernelware" not in mods:
            return ("--kernelware: the kernelware module is not loaded "
                    "(--modules without kernelware)")
        mods += [m for m in KNOWN_MODULES if m not in mods]
    return tuple(dict.fromkeys(mods))


def run(args):
    opened = []                     # files run opened: closed on every way out
    try:
        return _run(args, opened)
    finally:
        for f in opened:
            if f is not None and f not in (sys.stdout, sys.stderr):
                try:
                    f.close()
                except OSError:
                    pass


def _run(args, opened):
    from kw86.nbsd.elf import ExecError
    from kw86.nbsd.errors import Errno
    from kw86.nbsd.kernel import Kernel, status_to_exit_code
    closed = _plug_closed_stdio()
    root = args.root or default_root()
    if not os.path.isdir(root):
        print(f"kw86: no guest root at {root} (build the sysroot or give --root)", file=sys.stderr)
        return 127
    user, uid_gid, home = args.user or "root", None, "/root"
    if args.user:
        pw = _passwd(root, args.user)
        if pw is None:
            print(f"kw86: no user {args.user!r} in {root}/etc/passwd", file=sys.stderr)
            return 127
        uid_gid, home = pw[:2], pw[2]
    env = {"HOME": home, "PATH": DEFAULT_PATH, "SHELL": "/bin/sh", "USER": user,
           "LOGNAME": user, "TERM": os.environ.get("TERM", "vt100")}
    for e in args.env:
        k, eq, v = e.partition("=")
        if not eq or not k:
            print(f"kw86: -E {e}: expected VAR=VALUE", file=sys.stderr)
            return 2
        env[k] = v
    sizes = {}
    for opt, val, least in (("--memory", args.memory, MIN_MEMORY), ("--mfs", args.mfs, MIN_MFS)):
        try:
            sizes[opt] = parse_size(val)
        except ValueError as e:
            print(f"kw86: {opt}: {e}", file=sys.stderr)
            return 2
        if sizes[opt] < least:
            print(f"kw86: {opt}: {val} is too small (at least {least >> 10}K)", file=sys.stderr)
            return 2
    if args.max_instructions is not None and args.max_instructions <= 0:
        print(f"kw86: --max-instructions: {args.max_instructions} is not a positive count",
              file=sys.stderr)
        return 2
    modules = _boot_modules(args)
    if isinstance(modules, str):
        print(f"kw86: {modules}", file=sys.stderr)
        return 2
    mem = sizes["--memory"]
    kprofile = prof_out = None          # imported only when a --profile option is given
    if (args.profile, args.profile_every, args.profile_limit) != (None, None, None):
        from kw86.nbsd import profile as kprofile
        try:
            prof_out = kprofile.open_output(args)
            opened.append(prof_out)
        except kprofile.ProfileError as e:
            print(f"kw86: {e}", file=sys.stderr)
            return 2
    strace = None
    if args.strace_file:
        try:
            strace = open(args.strace_file, "w")
            opened.append(strace)
        except OSError as e:
            print(f"kw86: --strace-file {args.strace_file}: {e.strerror}", file=sys.stderr)
            return 2
    elif args.strace:
        strace = sys.stderr
    try:
        k = Kernel(root, mem_size=mem, mfs_size=sizes["--mfs"],
                   bufcache_bytes=min(4 << 20, (mem // 4) & ~0xfff),
                   binds=args.bind, profile=args.cycles_profile, strace=strace,
                   user=uid_gid, hdd=not args.no_hdd)
    except ValueError as e:
        print(f"kw86: {e}", file=sys.stderr)
        return 2
    except Errno as e:
        print(f"kw86: --bind {' '.join(args.bind)}: {abi.errno_text(e.errno)}", file=sys.stderr)
        return 2
    except MemoryError:
        print(f"kw86: --memory {args.memory}: too small to boot", file=sys.stderr)
        return 2
    k.closed_stdio = closed             # the guest sees them closed (EBADF)
    hc_times = None
    if args.host_stats:
        from kw86.nbsd.trap import time_hypercalls
        hc_times = time_hypercalls(k)   # (before --profile attaches: it calls through it)
    prof = kprofile and kprofile.attach(k, args, prof_out)   # --profile (before spawn: pid 1's exec)
    k.verbose = bool(args.stats)        # machine-internal messages
    prog = args.prog
    host_image = None
    if prog.startswith("/"):
        gpath = os.fsencode(prog)
    elif "/" in prog:
        try:
            host_image = read_host_prog(prog)
        except OSError as e:
            print(f"kw86: {prog}: {e.strerror}", file=sys.stderr)
            return 127 if isinstance(e, FileNotFoundError) else 126
        except ExecError as e:
            print(f"kw86: {prog}: {e}", file=sys.stderr)
            return 126
        gpath = os.fsencode(os.path.basename(prog))
        if host_image[:2] == b"#!":
            # a host script: execve's exec_script runs its interpreter (a
            # guest path), which must read the script by a guest path
            try:
                gpath = _stage_script(k, root, args.bind, prog, host_image)
            except (Errno, OSError) as e:
                err = e.errno if isinstance(e, Errno) else abi.xlat_errno(e)
                print(f"kw86: {prog}: {abi.errno_text(err)}", file=sys.stderr)
                return 126
            host_image = None
    else:
        gpath = None
        for d in env["PATH"].split(":"):
            cand = os.fsencode(f"{d.rstrip('/')}/{prog}")
            try:
                vp = k.sys.vfs.lookup(_RootCtx(k), cand)
                if vp.type == abi.NBSD_S_IFREG:
                    gpath = cand
                    break
            except Errno:
                continue
        if gpath is None:
            print(f"kw86: {prog}: not found", file=sys.stderr)
            return 127
    # host text as the host's bytes (os.fsencode): an argument that is no
    # UTF-8 (a Latin-1 file name) was a UnicodeEncodeError traceback
    argv = [os.fsencode(prog)] + [os.fsencode(a) for a in args.args]
    envp = [os.fsencode(f"{k_}={v}") for k_, v in env.items()]
    cwd = os.fsencode(args.cwd or home)
    try:
        k.modload(*modules)
        k.spawn(gpath, argv, envp, kernelware=args.kernelware, cwd=b"/",
                host_image=host_image)
        try:
            cstack = k.sys.vfs.namei(k.cur, cwd)
            if cstack[-1][1].type != abi.NBSD_S_IFDIR:
                raise Errno(abi.ENOTDIR)
            k.cur.cwd = cstack
        except Errno as e:
            if args.cwd:
                print(f"kw86: --cwd {args.cwd}: {abi.errno_text(e.errno)}", file=sys.stderr)
                return 2
    except ExecError as e:
        from kw86.nbsd.hostlog import clean      # (an interpreter's path is the file's)
        print(f"kw86: {clean(str(e))}", file=sys.stderr)
        return 126 if e.errno != abi.ENOENT else 127
    except Errno as e:
        print(f"kw86: {prog}: {abi.errno_text(e.errno)}", file=sys.stderr)
        return 127 if e.errno in (abi.ENOENT, abi.ENOTDIR) else 126
    except MemoryError:
        print(f"kw86: {prog}: {abi.errno_text(abi.ENOMEM)} (--memory {args.memory})",
              file=sys.stderr)
        return 126
    trace_out = None
    if args.trace:
        from kw86.nbsd.trace import DEFAULT_LIMIT, Tracer
        try:
            trace_out = sys.stderr if args.trace == "-" else open(args.trace, "w")
            opened.append(trace_out)
        except OSError as e:
            print(f"kw86: --trace {args.trace}: {e.strerror}", file=sys.stderr)
            return 2
        limit = DEFAULT_LIMIT if args.trace_limit is None else max(0, args.trace_limit)
        k.tracer = Tracer(k, trace_out, limit)
    import time
    from kw86.cli import startup_done
    startup_done()                      # the garbage collector back on
    t0 = time.perf_counter()
    c0 = time.process_time()
    try:
        status = k.run(args.max_instructions)
    except MemoryError:
        # a path the kernel does not turn into ENOMEM or a kill: still the
        # guest's problem, not a host traceback
        print(f"kw86: {prog}: out of guest memory (--memory {args.memory}): killed",
              file=sys.stderr)
        status = abi.w_termsig(abi.NBSD_SIGKILL)
    finally:
        if trace_out not in (None, sys.stderr):
            trace_out.close()
        if kprofile:
            kprofile.finish(prof, prof_out, args)
    dt = time.perf_counter() - t0
    crun = time.process_time() - c0
    try:
        if sys.stdout is not None:
            sys.stdout.flush()
    except OSError:
        pass
    if args.stats:
        m = k.m
        guest, table, disk, idle = k.cycle_split()
        print(f"kw86: {m.instructions} instructions, {m.cycles} cycles "
              f"({guest} executed, {table} kernel-cost table, {disk} disk, {idle} idle), "
              f"syscalls: {k.stats['syscalls_trap']} trap / {k.stats['syscalls_gate']} call, "
              f"{k.stats['page_faults']} page faults"
              + (f" ({k.stats['double_faults']} through the #DF task)"
                 if k.stats['double_faults'] else "") + ", "
              + (f"mode switches: {k.stats['switches_to_kernel']} to kernel / "
                 f"{k.stats['switches_to_user']} to user, "
                 if k.stats['switches_to_kernel'] or k.stats['switches_to_user'] else "")
              + (f"FPU: {k.stats['fpu_dna']} #NM ({k.stats['fpu_loads']} state loads), "
                 if k.stats['fpu_dna'] else "")
              + f"{dt:.3f} s host, "
              f"{m.instructions / dt / 1e6 if dt else 0:.1f} MIPS", file=sys.stderr)
    if hc_times is not None:
        print(host_stats_line(time.process_time(), crun, hc_times,
                              k.m.core.sysfast_hits(0) + k.m.core.sysfast_hits(1)),
              file=sys.stderr)
    if strace not in (None, sys.stderr):
        strace.close()
    sig = status & 0x7f
    if sig and sig != abi.NBSD_SIGPIPE and not k.status_reported:
        msg = abi.SIGNAL_TEXT.get(sig, f"Signal {sig}")
        print(msg + (" (core dumped)" if status & 0x80 else ""), file=sys.stderr)
    return status_to_exit_code(status)


def host_stats_line(total, run, times, in_core):
    """--host-stats: the kw86 process's CPU time so far (total: the
    interpreter's start and kw86's imports included), the guest's run (the
    CPU and the kernel's hypercalls) and the hypercalls by kind."""
    hc, n = times.total()
    kinds = ", ".join(f"{times.count[kind]} {kind} {times.seconds[kind]:.3f} s"
                      for kind in ("system calls", "traps", "clock ticks", "other")
                      if kind in times.count)
    return (f"kw86 host: {total:.3f} s: start-up {total - run:.3f} s, run {run:.3f} s "
            f"(CPU {run - hc:.3f} s, kernel {hc:.3f} s in {n} hypercalls"
            + (f": {kinds}" if kinds else "") + f"; {in_core} system calls answered in the "
            f"CPU)")


def read_host_prog(prog):
    """The bytes of the host file PROG, which must be a regular file of at
    most elf.MAX_IMAGE bytes (ExecError otherwise).  It is looked at before
    it is opened for reading: a FIFO, a device or a directory is never
    opened (no blocking, no device side effects) and nothing is read
    past the size it had."""
    import stat as hstat
    from kw86.nbsd.elf import MAX_IMAGE, ExecError
    from kw86.nbsd.vfs.hostfs import PROC_FD
    if PROC_FD:
        pfd = os.open(prog, os.O_PATH | os.O_CLOEXEC)
        try:
            st = os.fstat(pfd)
            if not hstat.S_ISREG(st.st_mode):
                raise ExecError("not a regular file")
            fd = os.open(f"/proc/self/fd/{pfd}", os.O_RDONLY | os.O_CLOEXEC)
        finally:
            os.close(pfd)
    else:
        fd = os.open(prog, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK | os.O_NOCTTY)
    try:
        st = os.fstat(fd)
        if not hstat.S_ISREG(st.st_mode):
            raise ExecError("not a regular file")
        if st.st_size > MAX_IMAGE:
            raise ExecError(f"too large to load ({st.st_size} bytes; "
                            f"at most {MAX_IMAGE >> 20} MiB)")
        parts, left = [], st.st_size
        while left > 0:
            b = os.read(fd, min(left, 1 << 20))
            if not b:
                break
            parts.append(b)
            left -= len(b)
        return b"".join(parts)
    finally:
        os.close(fd)


def _stage_script(k, root, binds, prog, data):
    """The guest path of host script `prog`: where the root or a --bind
    shows it, or else a read-only copy in the MFS (/tmp/.kw86-NAME)."""
    from kw86.nbsd.errors import Errno
    real = os.path.realpath(prog)
    views = [(root, "/")]
    from kw86.nbsd.system import parse_bind
    for b in binds:
        try:
            h, g, _ = parse_bind(b)
        except ValueError:
            continue
        views.append((h, g))
    for hdir, gdir in views:
        hdir = os.path.realpath(hdir)
        if real.startswith(hdir.rstrip("/") + "/"):
            g = os.fsencode(gdir.rstrip("/") + "/" + os.path.relpath(real, hdir))
            try:
                if k.sys.vfs.lookup(_RootCtx(k), g).type == abi.NBSD_S_IFREG:
                    return g
            except Errno:
                pass
    from kw86.nbsd.vfs import ROOTCRED
    name = b".kw86-" + os.fsencode(os.path.basename(prog))
    stack, _, vp = k.sys.vfs.namei(_RootCtx(k), b"/tmp/" + name, False, parent=True)
    if vp is None:
        vp = stack[-1][1].create(name, 0o555, ROOTCRED)
    vp.open(abi.FWRITE)
    try:
        k.sys.bufcache.write(vp, 0, data, vp.getsize())
    finally:
        vp.close(abi.FWRITE)
    return b"/tmp/" + name


def _plug_closed_stdio():
    """Host fds 0/1/2 that kw86 was started without: occupy them with
    /dev/null (so no file kw86 opens lands there and reaches the guest as
    its stdin/stdout) and return them; the guest gets them closed."""
    closed = set()
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            closed.add(fd)
    for fd in sorted(closed):
        nfd = os.open(os.devnull, os.O_RDWR)
        if nfd != fd:
            os.dup2(nfd, fd)
            os.close(nfd)
    if sys.stdout is None or 1 in closed:
        sys.stdout = open(os.devnull, "w")
    if sys.stderr is None or 2 in closed:
        sys.stderr = open(os.devnull, "w")
    return closed


class _RootCtx:
    def __init__(self, k):
        from kw86.nbsd.vfs import ROOTCRED
        self.root = self.cwd = k.sys.vfs.root_stack()
        self.cred = ROOTCRED
