"""`kw86 exec --profile FILE`: cycles and instructions per guest function.

FILE gets folded stacks, the text flame-graph tools read (flamegraph.pl,
inferno, speedscope): one line per distinct stack, frames root first,
separated by `;`, then a space and the count:

    ls[1];_start;__kw86_start;main;display;printf;vfprintf 18234
    ls[1];_start;__kw86_start;main;display;printf;...;write;[kernel] write 1520

The count is guest cycles (`--profile-metric instructions`: executed
instructions).  The root frame is the process, `comm[pid]` (so fork and
exec give one tree per process and image); the frames below it are the
program's functions (its ELF symbol table, by pyelftools), `[locore] SYM`
for the kernel's machine code (locore's symbols) under the user stack that
entered it, and `[kernel] NAME` for the cycles the Python kernel charged
in a hypercall (the kernel-cost table and the disk model: `[kernel] write`
for a system call, `[kernel] page fault`, `[kernel] interrupt`).  Clock
jumps while every process sleeps are the root frame `[idle]`; the cycles
charged before the first instruction (loading pid 1's image) are pid 1's
`[kernel] execve`.  So the counts add up to the run's cycles exactly
(`--stats`).  A summary table (self and total cycles, instructions, share)
goes to stderr.

Two modes, both deterministic:

- exact (default): the machine is single-stepped as for --trace and each
  instruction's cycles go to the function it is in, up to `--profile-limit`
  instructions (default 10,000,000); then the rest runs at full speed and
  its cycles are the root frame `[not profiled: --profile-limit N]`.
- sampling (`--profile-every N`): the machine runs N instructions at full
  speed at a time; the instructions and cycles since the last stop go to
  the stack it stopped in (the Python kernel's cycles are still exact).
  Locore code has no user stack under it in this mode.

Stacks come from the frame-pointer chain (the userland is built with
-fno-omit-frame-pointer); the leaf's return address is found from the
function's own code where %ebp does not point at its frame yet or any more
(prologue, `ret`, frameless assembler functions such as the system-call
stubs and memcpy).  Nothing touches the guest: memory is read by walking
the page tables over physical memory (trace.PhysPeek: no TLB fill, no A
bit, no cycles), so a profiled run executes the same instructions in the
same cycles as an unprofiled one (tests/test_nbsd_profile.py).
"""
import bisect
import struct
import sys

from kw86.exec import EV_BUDGET as _EV_BUDGET
from kw86.machine import RunResult
from kw86.nbsd import abi
from kw86.machine import ESP
from kw86.nbsd.frame import TF_SHORT_SIZE, TF_SIZE, TrapFrame
from kw86.nbsd.hostlog import clean_lines
from kw86.nbsd.kconst import HCALL_PORT, HC_GATE, HC_IDLE, HC_INTR, HC_SYSCALL, HC_TRAP
from kw86.nbsd.trace import PhysPeek, syscall_site

DEFAULT_LIMIT = 10_000_000
DEFAULT_TOP = 20
_BODY, _RA, _ENTRY = 0, 1, 2        # how the leaf's caller is found
_MAX_DEPTH = 128


class ProfileError(Exception):
    pass


class _Peek(PhysPeek):
    """PhysPeek with a translation cache; cleared after every hypercall
    (the page tables change only in the Python kernel)."""

    def __init__(self, m):
        super().__init__(m, user=False)
        self.tlb = {}

    def _pa(self, va):
        key = (self.m.get_cr(3), va >> 12)
        pa = self.tlb.get(key, -1)
        if pa == -1:
            pa = super()._pa(va & ~0xfff)
            self.tlb[key] = pa
        return None if pa is None else pa | (va & 0xfff)

    def u32(self, va):
        va &= 0xffffffff
        if va & 0xfff > 0xffc:
            b = self.peek(va, 4)
            return struct.unpack("<I", b)[0] if len(b) == 4 else None
        pa = self._pa(va)
        if pa is None:
            return None
        try:
            return self.m.read_u32(pa)
        except (IndexError, ValueError):
            return None


class Image:
    """The function symbols of one program image and what is known about
    each of its instructions (per EIP: (frame name, kind, depth, fid))."""

    def __init__(self, data, name):
        self.name = name
        self.starts, self.ends, self.names = [], [], []
        self.info = {}
        self.entry = -1                 # the ELF entry's function: nobody called it
        self.funcs = {}                 # fid -> {eip: (kind, depth)} once decoded
        self.data = data
        self.segs = []                  # (vaddr, filesz, offset) of PT_LOAD segments
        if data:
            try:
                self._load(data)
            except ImportError:         # a dependency missing: say so, not [unknown] silently
                import sys
                sys.stderr.write("kw86: --profile: pyelftools is not installed "
                                 f"(pip install pyelftools): no function names for {name}\n")
                self.starts, self.ends, self.names = [], [], []
            except Exception:           # not an ELF pyelftools reads: no symbols
                self.starts, self.ends, self.names = [], [], []

    def _load(self, data):
        import io
        from elftools.elf.elffile import ELFFile
        elf = ELFFile(io.BytesIO(data))
        bias = 0
        if elf.header["e_type"] == "ET_DYN":    # a PIE: where exec placed it (elf.pie_offset)
            from kw86.nbsd.elf import pie_offset
            bias = pie_offset(max([1] + [g["p_align"] for g in elf.iter_segments()
                                         if g["p_type"] == "PT_LOAD"]))
        syms = {}
        for sec in elf.iter_sections():
            if sec["sh_type"] not in ("SHT_SYMTAB", "SHT_DYNSYM"):
                continue
            for s in sec.iter_symbols():
                if s["st_info"]["type"] != "STT_FUNC" or not s.name or s["st_value"] == 0:
                    continue
                a = s["st_value"] + bias
                # one name per address: a global over a local, then the shorter
                old = syms.get(a)
                rank = (s["st_info"]["bind"] == "STB_LOCAL", len(s.name), s.name)
                if old is None or rank < old[0]:
                    syms[a] = (rank, s.name, s["st_size"])
        entry = elf.header["e_entry"] + bias
        for seg in elf.iter_segments():
            if seg["p_type"] == "PT_LOAD":
                self.segs.append((seg["p_vaddr"] + bias, seg["p_filesz"], seg["p_offset"]))
        addrs = sorted(syms)
        for i, a in enumerate(addrs):
            size = syms[a][2]
            nxt = addrs[i + 1] if i + 1 < len(addrs) else a + max(size, 1)
            self.starts.append(a)
            self.ends.append(a + size if size else nxt)
            self.names.append(syms[a][1].replace(";", "_"))
        self.entry = self.func(entry)

    def func(self, eip):
        """The index of the function holding eip, or -1."""
        i = bisect.bisect_right(self.starts, eip) - 1
        if i >= 0 and eip < self.ends[i]:
            return i
        return -1

    def code(self, va, n):
        """n bytes of the program's code at va, from its ELF file."""
        for vaddr, filesz, off in self.segs:
            if vaddr <= va < vaddr + filesz:
                k = off + va - vaddr
                return self.data[k:k + min(n, vaddr + filesz - va)]
        return b""

    def where(self, eip):
        """(name, kind, depth, fid) for the instruction at eip."""
        r = self.info.get(eip)
        if r is None:
            fid = self.func(eip)
            if fid < 0:
                r = ("[unknown]", _BODY, 0, -1)
            else:
                kinds = self.funcs.get(fid)
                if kinds is None:
                    kinds = self.funcs[fid] = _classify(
                        self.code(self.starts[fid], min(self.ends[fid] - self.starts[fid], 1 << 16)),
                        self.starts[fid])
                kind, depth = kinds.get(eip, (_BODY, 0))
                if fid == self.entry:
                    kind = _ENTRY
                r = (self.names[fid], kind, depth, fid)
            self.info[eip] = r
        return r

    def caller(self, ra):
        """The function a return address returns into (ra - 1: the call
        itself, so a call that never returns at a function's end counts
        for its own function), or None."""
        fid = self.func(ra - 1)
        return self.names[fid] if fid >= 0 else None


def _classify(code, start):
    """{eip: (kind, depth)} for the instructions of one function, by a
    linear decode of its code: where %ebp is not (yet, or any more) its
    frame, the return address is at [esp+depth] (_RA); elsewhere the frame
    chain starts at %ebp (_BODY, the default)."""
    from kw86.decoder import decode
    out = {}
    framed = code[:3] in (b"\x55\x89\xe5", b"\x55\x8b\xec")
    if framed:
        out[start] = (_RA, 0)
        out[start + 1] = (_RA, 4)
    off = 3 if framed else 0
    depth = 0                   # frameless: bytes pushed since entry
    known = True
    after_pop = False           # framed: %ebp popped, the ret is next
    while off < len(code):
        eip = start + off
        b = code[off]
        if framed:
            if after_pop:
                out[eip] = (_RA, 0)
        elif known:
            out[eip] = (_RA, depth)
        try:
            d = decode(code[off:off + 15], bits=32, ip=eip)
            n = d.length
        except Exception:
            break
        if framed:
            after_pop = b in (0x5d, 0xc9)           # pop %ebp, leave
        elif known:
            b1 = code[off + 1] if off + 1 < len(code) else 0
            if 0x50 <= b <= 0x57 or b in (0x68, 0x6a, 0x9c):
                depth += 4                          # push reg/imm, pushf
            elif 0x58 <= b <= 0x5f or b == 0x9d:
                depth -= 4                          # pop reg, popf
            elif b == 0x60:
                depth += 32                         # pusha
            elif b == 0x61:
                depth -= 32
            elif b == 0xff and (b1 >> 3) & 7 == 6:
                depth += 4                          # push r/m
            elif b in (0x83, 0x81) and b1 == 0xec:
                depth += code[off + 2] if b == 0x83 else struct.unpack_from("<I", code, off + 2)[0]
            elif b in (0x83, 0x81) and b1 == 0xc4:
                depth -= code[off + 2] if b == 0x83 else struct.unpack_from("<I", code, off + 2)[0]
            elif b in (0xc3, 0xc2, 0xe9, 0xeb, 0xcc):
                pass                                # ret/jmp: the code after is another path
            elif _writes_esp(d):
                known = False
            if depth < 0:
                known = False
        off += n
    return out


def _writes_esp(d):
    ops = d.operands
    return bool(ops) and d.mnemonic not in ("cmp", "test") and str(ops[0]) == "Operand(reg esp)"


class Profiler:
    """The kernel's tracer (`Kernel.tracer`): run(n) / active / detach()."""

    def __init__(self, kernel, metric="cycles", every=0, limit=DEFAULT_LIMIT):
        self.k = kernel
        self.m = kernel.m
        self.core = kernel.m.core
        self.metric = metric
        self.every = every
        self.limit = limit
        self.active = True
        self.count = 0                          # instructions profiled
        self.cut_at = None                      # (instructions, cycles) at the cut
        self.peek = _Peek(self.m)
        lc = kernel.boot.lc
        self.lsyms = sorted((a, n) for n, a in lc.symbols.items()
                            if not n.startswith((".", "$")) and n != "kw86_locore_start")
        self.laddrs = [a for a, _ in self.lsyms]
        self.lc_lo = lc.symbols.get("kw86_locore_start", abi.KERNBASE)
        self.lc_hi = lc.text_end
        self._lnames = {}
        # stacks: tuple of frames -> index; counts per index
        self.ids = {}
        self.stacks = []
        self.cyc = []
        self.ins = []
        self._child = {}                        # (index, frame) -> index
        self.images = {}                        # pid -> (vm, Image)
        self._img_cache = {}                    # (size, hash) of an ELF file -> Image
        self._last_read = None
        self.user_stack = {}                    # pid -> index of its last user stack
        self.kdelta = 0                         # cycles the Python kernel credited itself
        self.start_ins = self.m.instructions
        self.last_cycles = self.m.cycles
        self.last_ins = self.start_ins
        self.since = 0
        self._key = None
        self._kidx = 0
        self.finished = False
        self.started = False
        # follow exec and fork: wrap the kernel object's own methods (the
        # instance's attributes, nothing changes in kernel.py)
        self._orig = {}
        for name in ("exec", "fork", "_read_image"):
            f = getattr(kernel, name, None)
            if f is not None:
                self._orig[name] = f
                setattr(kernel, name, getattr(self, "_w" + name))
        self._hcall = kernel._hcall
        self.m.set_port_handler(HCALL_PORT, write=self._prof_hcall, free=True)

    # -- images ------------------------------------------------------------------
    def _w_read_image(self, p, path, *a, **kw):
        data = self._orig["_read_image"](p, path, *a, **kw)
        self._last_read = (path, data)
        return data

    def _wexec(self, p, path, *a, **kw):
        self._last_read = None
        img = self._orig["exec"](p, path, *a, **kw)
        host = kw.get("host_image", a[2] if len(a) > 2 else None)   # exec(p, path, argv, envp, host_image)
        data = host if host is not None else (self._last_read[1] if self._last_read else None)
        self._set_image(p, data)
        return img

    def _wfork(self, p, *a, **kw):
        pid = self._orig["fork"](p, *a, **kw)
        c = self.k.sys.procs.get(pid) if isinstance(pid, int) else None
        if c is not None and p.pid in self.images:
            self.images[c.pid] = (c.vm, self.images[p.pid][1])
            if p.pid in self.user_stack:
                # the child returns from the same call: its user stack is the
                # parent's, under its own root
                self.user_stack[c.pid] = self._reroot(self.user_stack[p.pid], c)
        return pid

    def _set_image(self, p, data):
        name = p.comm
        cache = self._img_cache
        key = (len(data), hash(data)) if data else None
        img = cache.get(key) if key else None
        if img is None:
            img = Image(data, name)
            if key:
                cache[key] = img
        self.images[p.pid] = (p.vm, img)
        self.user_stack.pop(p.pid, None)

    def _image(self, p):
        e = self.images.get(p.pid)
        if e is None or e[0] is not p.vm:
            # not seen exec or fork (a wrapper bypassed): the parent's image
            par = self.images.get(p.ppid) if e is None else e
            img = par[1] if par is not None else Image(None, p.comm)
            e = self.images[p.pid] = (p.vm, img)
        return e[1]

    # -- stacks --------------------------------------------------------------------
    def _intern(self, frames):
        i = self.ids.get(frames)
        if i is None:
            i = self.ids[frames] = len(self.stacks)
            self.stacks.append(frames)
            self.cyc.append(0)
            self.ins.append(0)
        return i

    def _kid(self, parent, frame):
        key = (parent, frame)
        i = self._child.get(key)
        if i is None:
            i = self._child[key] = self._intern(self.stacks[parent] + (frame,))
        return i

    def _root(self, p):
        if p is None:
            return self._intern(("[no process]",))
        comm = p.comm.replace(";", "_").replace("\n", " ")
        return self._intern((f"{comm}[{p.pid}]",))

    def _reroot(self, idx, p):
        return self._intern(self.stacks[self._root(p)] + self.stacks[idx][1:])

    def _add(self, idx, cycles, ins):
        self.cyc[idx] += cycles
        self.ins[idx] += ins

    def _lsym(self, eip):
        n = self._lnames.get(eip)
        if n is None:
            if self.lc_lo <= eip < self.lc_hi:
                i = bisect.bisect_right(self.laddrs, eip) - 1
                n = f"[locore] {self.lsyms[i][1]}" if i >= 0 else "[locore]"
            else:
                n = "[kernel text]"
            self._lnames[eip] = n
        return n

    def _unwind(self, img, eip, esp, ebp):
        """Frames leaf first: the function at eip, then its callers."""
        peek = self.peek
        name, kind, depth, _ = img.where(eip)
        out = [name]
        if kind == _ENTRY:
            return out
        if kind == _RA:
            ra = peek.u32(esp + depth)
            f = img.caller(ra) if ra else None
            if f is None:
                return out
            out.append(f)
        prev = 0
        while ebp and ebp > prev and len(out) < _MAX_DEPTH:
            ra = peek.u32(ebp + 4)
            nxt = peek.u32(ebp)
            if ra is None or nxt is None or ra == 0 or ra >= abi.KERNBASE:
                break
            out.append(img.caller(ra) or "[unknown]")
            prev, ebp = ebp, nxt
        return out

    def _user_idx(self, p, eip, esp, ebp):
        frames = self._unwind(self._image(p), eip, esp, ebp)
        frames.reverse()
        return self._intern(self.stacks[self._root(p)] + tuple(frames))

    def _frame_idx(self, p, fesp):
        """The user stack of the process whose trap frame is at fesp."""
        raw = self.peek.peek(fesp, TF_SIZE)
        if len(raw) < TF_SHORT_SIZE:
            return self._root(p)
        tf = TrapFrame.parse(raw)
        ebp, eip, esp = tf.ebp, tf.eip, tf.esp
        if tf.gate:
            eip = self.peek.u32(esp) or 0       # the stub's `call *gate` returns here
            esp += 4
        elif tf.short:
            esp = fesp + TF_SHORT_SIZE
        if eip >= abi.KERNBASE or not eip:
            return self._root(p)
        return self._user_idx(p, eip, esp, ebp)

    # -- the hypercall: the Python kernel's cycles ----------------------------------------
    def _hcall_site(self, p, value):
        """(what the hypercall is, the stack it is charged under)."""
        core = self.core
        fesp = core.get_gpr(ESP)
        if value in (HC_SYSCALL, HC_GATE):
            site = syscall_site(self.peek, self.peek, fesp)
            what = _call_name(site[0]) if site else "syscall"
        elif value == HC_TRAP:
            raw = self.peek.peek(fesp, TF_SHORT_SIZE)
            t = TrapFrame.parse(raw).trapno if len(raw) == TF_SHORT_SIZE else -1
            what = "page fault" if t == abi.T_PAGEFLT else f"trap {t}"
        elif value == HC_INTR:
            what = "interrupt"
        elif value == HC_IDLE:
            what = "idle"
        else:
            what = f"hypercall {value}"
        if p is None:
            base = self._root(None)
        elif self.every:
            base = self._frame_idx(p, fesp)
        else:
            base = self.user_stack.get(p.pid)
            if base is None:
                base = self._root(p)
        return what, base

    def _prof_hcall(self, port, size, value):
        if not self.active:
            return self._hcall(port, size, value)
        k, core = self.k, self.core
        p = k.cur
        c0, i0 = core.cycles, getattr(k, "idle_cycles", 0)
        try:
            what, base = self._hcall_site(p, value)
        except Exception:               # never the kernel's problem
            what, base = f"hypercall {value}", self._root(p)
        try:
            self._hcall(port, size, value)
        finally:
            d = core.cycles - c0
            di = getattr(k, "idle_cycles", 0) - i0
            if di:
                self._add(self._intern(("[idle]",)), di, 0)
            if d - di:
                self._add(self._kid(base, f"[kernel] {what}"), d - di, 0)
            self.kdelta += d
            self.peek.tlb.clear()

    # -- running -----------------------------------------------------------------
    def _start(self):
        """The first run: the cycles charged before the first instruction
        (loading pid 1's image) are its `[kernel] execve`."""
        self.started = True
        d = self.m.cycles
        if d:
            self._add(self._kid(self._root(self.k.cur), "[kernel] execve"), d, 0)
        self.last_cycles = self.m.cycles
        self.start_ins = self.last_ins = self.m.instructions

    def run(self, n):
        if not self.started:
            self._start()
        if self.every:
            return self._run_sampled(n)
        return self._run_exact(n)

    def _run_sampled(self, n):
        m, core = self.m, self.core
        done = 0
        while done < n:
            r = m.run(min(n - done, self.every - self.since))
            done += r.instructions
            self.since += r.instructions
            if self.since >= self.every or r.event != "budget":
                self._sample()
            if r.event != "budget":
                return RunResult(r.event, done, r.exception)
        return RunResult("budget", done)

    def _sample(self):
        core, k = self.core, self.k
        cyc, ins = core.cycles, core.icount
        dc = cyc - self.last_cycles - self.kdelta
        di = ins - self.last_ins
        self.last_cycles, self.last_ins, self.kdelta, self.since = cyc, ins, 0, 0
        self.count += di
        if not dc and not di:
            return
        p = k.cur
        eip = core.eip
        if p is None:
            idx = self._kid(self._root(None), self._lsym(eip)) if eip >= abi.KERNBASE \
                else self._root(None)
        elif eip >= abi.KERNBASE:
            idx = self._kid(self._root(p), self._lsym(eip))
        else:
            g = core.get_gpr
            idx = self._user_idx(p, eip, g(4), g(5))
        self._add(idx, dc, di)

    def _run_exact(self, n):
        m, core, k = self.m, self.core, self.k
        run_io = getattr(core, "run_io", None)
        if run_io is None or getattr(m, "_bps", None) or not hasattr(m, "_result"):
            step = m.run                          # (the portable, slower way)
            mres = None
        else:
            outs, ins_h = m._out, m._in
            mres = m._result
        get_gpr = core.get_gpr
        cyc, insc = self.cyc, self.ins
        ustack = self.user_stack
        done = 0
        while done < n:
            if self.count >= self.limit:
                self._cut()
                return RunResult("budget", done)
            c0 = core.cycles
            self.kdelta = 0
            if not core.eflags & 0x100:
                # a pending interrupt is delivered first: its cycles go with
                # the handler's first instruction
                if mres is not None:
                    ev, _ = run_io(0, 1, outs, ins_h)
                    if ev != _EV_BUDGET:
                        self._add(self._root(k.cur), core.cycles - c0 - self.kdelta, 0)
                        return mres(ev, done)
                else:
                    r = step(0)
                    if r.event != "budget":
                        self._add(self._root(k.cur), core.cycles - c0 - self.kdelta, 0)
                        return RunResult(r.event, done, r.exception)
            p = k.cur
            eip = core.eip
            if p is None:
                idx = self._kid(self._root(None), self._lsym(eip))
            elif eip >= abi.KERNBASE:
                base = ustack.get(p.pid)
                idx = self._kid(base if base is not None else self._root(p), self._lsym(eip))
            else:
                ebp = get_gpr(5)
                img = self._image(p)
                info = img.info.get(eip)
                if info is None:
                    info = img.where(eip)
                slot = get_gpr(4) + info[2] if info[1] == _RA else 0
                key = (p, info[3], ebp, slot, eip if info[3] < 0 else 0)
                if key == self._key:
                    idx = self._kidx
                else:
                    idx = self._user_idx(p, eip, get_gpr(4), ebp)
                    self._key, self._kidx = key, idx
                ustack[p.pid] = idx
            if mres is not None:
                ev, did = run_io(1, 1, outs, ins_h)
            else:
                r = step(1)
                ev, did = (0 if r.event == "budget" else -1), r.instructions
            done += did
            self.count += did
            cyc[idx] += core.cycles - c0 - self.kdelta
            insc[idx] += did
            if self.kdelta:
                self._key = None                # the kernel may have changed memory
            if ev != _EV_BUDGET:
                return mres(ev, done) if mres is not None else RunResult(r.event, done, r.exception)
        return RunResult("budget", done)

    def _cut(self):
        self.cut_at = (self.m.instructions, self.m.cycles)
        self.detach()

    def detach(self):
        if self.active:
            self.active = False
            if self.every:
                self._sample()
            self.m.set_port_handler(HCALL_PORT, write=self._hcall, free=True)
            for name, f in self._orig.items():
                setattr(self.k, name, f)
            self._orig = {}

    # -- results ------------------------------------------------------------------
    def finish(self, out, err=None, top=DEFAULT_TOP, path=None):
        """Detach, account what was not profiled, write the folded stacks to
        `out` and the table to `err`.  Returns the total count."""
        if self.finished:
            return None
        self.finished = True
        self.detach()
        m = self.m
        accounted = sum(self.cyc)
        rest = m.cycles - accounted
        rest_ins = m.instructions - self.start_ins - sum(self.ins)
        if self.cut_at is not None:
            frame = f"[not profiled: --profile-limit {self.limit}]"
        else:
            frame = "[kernel] after the last instruction"
        if rest or rest_ins:
            self._add(self._intern((frame,)), rest, rest_ins)
        counts = self.cyc if self.metric == "cycles" else self.ins
        lines = [(";".join(self.stacks[i]), c) for i, c in enumerate(counts) if c]
        lines.sort()
        # (function names are the guest's ELF symbols: hostlog.clean_lines)
        out.write(clean_lines("".join(f"{s} {c}\n" for s, c in lines)))
        if err is not None:
            err.write(clean_lines(self.table(top, path)))
        return sum(counts)

    def table(self, top=DEFAULT_TOP, path=None):
        total_c = sum(self.cyc)
        total_i = sum(self.ins)
        self_c, self_i, tot_c, tot_i = {}, {}, {}, {}
        for frames, c, i in zip(self.stacks, self.cyc, self.ins):
            if not c and not i:
                continue
            leaf = frames[-1]
            self_c[leaf] = self_c.get(leaf, 0) + c
            self_i[leaf] = self_i.get(leaf, 0) + i
            for f in set(frames):
                tot_c[f] = tot_c.get(f, 0) + c
                tot_i[f] = tot_i.get(f, 0) + i
        mode = (f"sampled every {self.every} instructions" if self.every else
                "exact" + (f", cut after {self.limit} instructions (--profile-limit)"
                           if self.cut_at else ""))
        head = (f"kw86 profile: {total_c:,} cycles, {total_i:,} instructions ({mode})"
                + (f"; folded stacks (count: {self.metric}) in {path}" if path else "") + "\n")
        rows = sorted(self_c, key=lambda f: (-self_c[f], -tot_c[f], f))[:top]
        lines = [head, f"{'self cycles':>14} {'share':>6} {'total cycles':>14} {'share':>6} "
                       f"{'self instr':>12} {'total instr':>12}  function\n"]
        pct = (lambda x: f"{100.0 * x / total_c:5.1f}%") if total_c else (lambda x: "    -")
        for f in rows:
            lines.append(f"{self_c[f]:>14,} {pct(self_c[f])} {tot_c[f]:>14,} {pct(tot_c[f])} "
                         f"{self_i[f]:>12,} {tot_i[f]:>12,}  {f}\n")
        return "".join(lines)


def _call_name(code):
    from kw86.nbsd.syscalls import TABLE
    row = TABLE.vec[code] if 0 <= code < len(TABLE.vec) else None
    if row is not None:
        return row.name
    return TABLE.names.get(code, f"#{code}")


# -- kw86 exec --profile (cli_exec.py) ---------------------------------------------
def open_output(args):
    """The --profile FILE opened for writing (None without --profile);
    ProfileError with a one-line message for bad options or a bad FILE."""
    if args.profile is None:
        for opt, v in (("--profile-every", args.profile_every),
                       ("--profile-limit", args.profile_limit)):
            if v is not None:
                raise ProfileError(f"{opt} needs --profile FILE")
        return None
    if args.trace:
        raise ProfileError("--profile and --trace single-step the machine each their own "
                           "way: use one at a time")
    for opt, v in (("--profile-every", args.profile_every),
                   ("--profile-limit", args.profile_limit), ("--profile-top", args.profile_top)):
        if v is not None and v <= 0:
            raise ProfileError(f"{opt}: {v} is not a positive count")
    if args.profile_every is not None and args.profile_limit is not None:
        raise ProfileError("--profile-limit bounds the exact mode; --profile-every samples "
                           "the whole run: use one of them")
    if args.profile == "-":
        return sys.stderr
    try:
        return open(args.profile, "w")
    except OSError as e:
        raise ProfileError(f"--profile {args.profile}: {e.strerror}") from None


def attach(kernel, args, out):
    """Make a Profiler the kernel's tracer (before pid 1 is spawned)."""
    if out is None:
        return None
    prof = Profiler(kernel, metric=args.profile_metric, every=args.profile_every or 0,
                    limit=args.profile_limit or DEFAULT_LIMIT)
    kernel.tracer = prof
    return prof


def finish(prof, out, args):
    """Write the folded stacks and the table (once, after the run)."""
    if prof is None:
        return
    try:
        prof.finish(out, sys.stderr, top=args.profile_top,
                    path="stderr" if out is sys.stderr else args.profile)
    except OSError as e:
        print(f"kw86: --profile {args.profile}: {e.strerror}", file=sys.stderr)
    finally:
        if out is not sys.stderr:
            try:
                out.close()
            except OSError as e:
                print(f"kw86: --profile {args.profile}: {e.strerror}", file=sys.stderr)
