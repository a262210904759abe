"""The kernel API a kernelware calls directly (the paper's section on kernel
symbols): functions and variables with NetBSD's names and, as far as they
fit, NetBSD's meanings, at kernel addresses `kw86 ksyms` prints as a link
script.

Functions (cdecl, called at CPL 0; each a locore stub, see locore.S "The
kernel API", entering here through hypercall HC_KAPI):

    int  printf(const char *fmt, ...)          the console (at most KPRINTF_MAX
                                               bytes a call, the rest dropped)
    void panic(const char *fmt, ...)           kw86 ends (the system stops)
    int  getvnode(struct filedesc *fdp, int fd, struct file **fpp)
    struct file *fd_getfile(struct filedesc *fdp, int fd)
    int  bread(struct vnode *vp, daddr_t blkno, int size, struct ucred *cred,
               struct buf **bpp)
    struct buf *getblk(struct vnode *vp, daddr_t blkno, int size, int slpflag,
               int slptimeo)
    int  bwrite(struct buf *bp)   void bdwrite(struct buf *bp)
    void brelse(struct buf *bp)
    int  vn_rdwr(enum uio_rw rw, struct vnode *vp, caddr_t base, int len,
               off_t offset, enum uio_seg segflg, int ioflg, struct ucred *cred,
               size_t *aresid, struct proc *p)

Variables (real guest memory in locore's data, kept current here): hz,
ticks (written at every clock tick), time/kernel_time and boottime (struct
timeval), curproc (written at every switch).

The structures (struct proc, file, vnode, buf) are kw86's layouts with
NetBSD's field names (userland/include/sys/kapi.h is the C side); they live
in an arena of guest physical memory (8 pages with a 512 KiB buffer cache, 15
with 4 MiB) allocated when the first program that uses the kernel API is
exec'd (as NetBSD allocates procs, files and vnodes as they are needed: a
machine that never runs such a program, e.g. `--memory 2M`, keeps the pages)
and are rewritten from the Python kernel's objects when handed out.  A `struct buf`'s b_data
is the kernel virtual address of the block in the buffer cache (itself in
guest physical memory, bufcache.py), so a kernelware moves file data with
its own instructions (memcpy: rep movsl), charged by the CPU model like
every instruction.

The differences from NetBSD, each a consequence of kw86's buffer cache
(write-through, never busy across a sleep, no locking: one CPU, and the
kernel never sleeps inside these functions):
- bwrite() writes b_bcount bytes at the block's offset in the file and
  extends the file to cover them (NetBSD's file system would have
  allocated the block through VOP_BALLOC/VOP_WRITE first); bdwrite() is
  bwrite() (kw86 writes through); both release the buffer, as NetBSD's do.
- brelse() only ends the caller's use of the buffer; B_BUSY is advisory.
- struct file's f_offset and struct vnode's v_size are what they were when
  the structure was handed out (getvnode/fd_getfile; v_size also after a
  bwrite/vn_rdwr through that vnode); writing them changes nothing.
- bwrite() needs a vnode that was handed out from a descriptor open for
  writing (the kernel's own check that the file may be written).
- vn_rdwr() moves the data a MiB at a time (host memory bounded whatever
  the length); a buffer page that faults ends it with EFAULT and *aresid
  set to what is left (a UIO_SYSSPACE buffer is checked as a user one).

The kernel's build id (kernel_id) is a hash of locore's image and symbols
and of this API's version: `kw86 ksyms` writes it into the script, the
header puts it in an ELF note of the program linked with it, and exec
refuses a program linked for another kernel.  Dynamic resolution (beyond
the paper): a program compiled with KAPI_DYNAMIC carries a table of (name,
slot) pairs and a note with its bounds; exec fills each slot with the
running kernel's address of that name (link()), so it needs no relink.
"""
import struct

from kw86.machine import EAX, EBX, ECX, ESI
from kw86.nbsd import abi, kconst
from kw86.nbsd.elf import ExecError
from kw86.nbsd.errors import Errno, Fault, KernelPanic

# Bump when a function's arguments, a structure layout or a number changes.
KAPI_VERSION = "kw86-kapi-1"

# (name, KAPI number, argument words)
FUNCTIONS = [
    ("printf", kconst.KAPI_PRINTF, 1),          # varargs: read as the format asks
    ("panic", kconst.KAPI_PANIC, 1),
    ("getvnode", kconst.KAPI_GETVNODE, 3),
    ("fd_getfile", kconst.KAPI_FD_GETFILE, 2),
    ("bread", kconst.KAPI_BREAD, 5),
    ("getblk", kconst.KAPI_GETBLK, 5),
    ("bwrite", kconst.KAPI_BWRITE, 1),
    ("bdwrite", kconst.KAPI_BDWRITE, 1),
    ("brelse", kconst.KAPI_BRELSE, 1),
    ("vn_rdwr", kconst.KAPI_VN_RDWR, 11),       # off_t offset: two words
]
ALIASES = ["kernel_printf"]            # printf: libc has its own
VARIABLES = ["hz", "ticks", "time", "kernel_time", "boottime", "curproc"]
EXPORTS = [f[0] for f in FUNCTIONS] + ALIASES + VARIABLES

# the structure layouts (sys/kapi.h): sizes and field offsets
SIZEOF_PROC, SIZEOF_FILE, SIZEOF_VNODE, SIZEOF_BUF = 64, 32, 32, 64
P_FD, P_FLAG, P_STAT, P_PID, P_PPTR, P_RUID, P_UID, P_COMM = 0, 4, 8, 12, 16, 20, 24, 28
P_FILEDESC = 48             # the opaque struct filedesc p_fd points at (inside the proc)
MAXCOMLEN = 16
F_FLAG, F_IFLAGS, F_TYPE, F_COUNT, F_OFFSET, F_OPS, F_DATA = 0, 4, 8, 12, 16, 24, 28
V_TYPE, V_USECOUNT, V_MOUNT, V_DATA, V_SIZE, V_ID = 0, 4, 8, 12, 16, 24
(B_FLAGS, B_ERROR, B_BUFSIZE, B_BCOUNT, B_RESID, B_DATA, B_BLKNO, B_LBLKNO,
 B_VP, B_INDEX) = 0, 4, 8, 12, 16, 20, 24, 28, 32, 36
# NetBSD's <sys/buf.h> flag values
B_DELWRI, B_BUSY, B_DONE, B_ERROR, B_INVAL, B_READ = 0x80, 0x10, 0x200, 0x800, 0x2000, 0x100000
DTYPE_VNODE = 1
# NetBSD's enum vtype
VNON, VREG, VDIR, VBLK, VCHR, VLNK, VSOCK, VFIFO = range(8)
SSLEEP, SRUN, SZOMB, SSTOP, SONPROC = 3, 2, 5, 4, 7
UIO_READ, UIO_WRITE = 0, 1
NPROC, NFILE, NVNODE = 192, 256, 256
MAXPHYS = 64 * 1024         # NetBSD/i386's largest transfer (a read-ahead cluster)
VN_RDWR_CHUNK = 1 << 20     # vn_rdwr moves at most this much host memory at a time
# One kernel printf shows at most this much (NetBSD's has no bound: it puts
# each character on the console; here one call is one guest instruction, and
# "%999999999d" eight times would be 8 GB of host memory and output)
KPRINTF_MAX = 1 << 20
_KPRINTF_PAD = KPRINTF_MAX + 1024   # (a conversion's own text is at most 1 KiB)

_M32 = 0xffffffff
_KERNBASE = abi.KERNBASE
_I = struct.Struct("<I")
_PAGE = abi.PAGE_SIZE


def kernel_id(lc=None):
    """The running kernel's build id: (lo, hi) 32-bit words, and the text
    `kw86 ksyms` and exec's message show (16 hex digits, hi first)."""
    if lc is None:
        from kw86.nbsd.build_locore import load
        lc = load()
    import hashlib                  # here: start-up time (needed by kernelware links only)
    h = hashlib.sha256()
    h.update(KAPI_VERSION.encode())
    h.update(lc.image)
    for name, addr in sorted(lc.symbols.items()):
        h.update(b"%s=%x;" % (name.encode(), addr))
    d = h.digest()
    lo, hi = struct.unpack("<II", d[:8])
    return lo, hi


def id_text(lo, hi):
    return f"{hi:08x}{lo:08x}"


def link_script(lc=None):
    """The text of `kw86 ksyms`: PROVIDE() assignments (lld adds them to its
    default layout, so the program keeps its PT_NOTE) of every locore
    symbol, the kernel API first, and the build id."""
    if lc is None:
        from kw86.nbsd.build_locore import load
        lc = load()
    lo, hi = kernel_id(lc)
    lines = [f"/* kw86 kernel symbols: kernel {id_text(lo, hi)} (locore linked at {lc.base:#x}) */",
             "/* link a kernelware with -Wl,-T,THIS_FILE; it must be relinked when the kernel",
             "   changes (exec says so), or built with KAPI_DYNAMIC (see <sys/kapi.h>) */",
             f"PROVIDE(kw86_kernel_id_lo = {lo:#010x});",
             f"PROVIDE(kw86_kernel_id_hi = {hi:#010x});",
             "/* the kernel API (kw86/nbsd/kapi.py) */"]
    for name in EXPORTS:
        lines.append(f"PROVIDE({name} = {lc[name]:#010x});")
    lines.append("/* locore's entry points and data */")
    for name, addr in sorted(lc.symbols.items(), key=lambda kv: (kv[1], kv[0])):
        if name.startswith((".", "$")) or name in EXPORTS:
            continue
        lines.append(f"PROVIDE({name} = {addr:#010x});")
    return "\n".join(lines) + "\n"


class KApi:
    """The kernel API of kernel k (Kernel.kapi)."""

    @property
    def id(self):
        if self._id is None:
            self._id = kernel_id(self.lc)
        return self._id

    @id.setter
    def id(self, value):
        self._id = tuple(value)

    def __init__(self, k):
        self.k = k
        m = k.m
        self.m = m
        lc = k.boot.lc
        self.lc = lc
        self._id = None                 # the build id, hashed when first asked (self.id)
        self.symbols = {name: lc[name] for name in EXPORTS}
        bc = k.sys.bufcache
        self.bc = bc
        self.nbufs = (bc.end - bc.base) // bc.bsize
        self.arena_pa = None            # the structures' arena: need_arena()
        self.proc_slot = {}             # pid -> slot
        self.proc_free = list(range(NPROC - 1, -1, -1))
        self.files = [None] * NFILE     # slot -> File
        self.file_slot = {}             # id(File) -> slot
        self.file_next = 0
        self.vnodes = [None] * NVNODE   # slot -> [vnode, writable]
        self.vnode_slot = {}            # id(vnode) -> slot
        self.vnode_next = 0
        self.bufs = {}                  # buffer index -> Buf (bufcache.py)
        self.ticks = 0
        self.curpid = None
        self.calls = 0                  # kernel API calls made (--stats)
        self._w32(lc["hz"], k.hz)
        ns = k.epoch_ns
        self._wtv(lc["boottime"], ns)
        self._wtv(lc["time"], ns)
        self._handlers = [None] * kconst.KAPI_COUNT
        for name, num, nargs in FUNCTIONS:
            self._handlers[num] = (getattr(self, "k_" + name), nargs)

    def need_arena(self):
        """The structures' arena, allocated on first use (exec of a program
        linked with the kernel API, or a call): ENOMEM if no pages are left."""
        if self.arena_pa is not None:
            return
        size = (NPROC * SIZEOF_PROC + NFILE * SIZEOF_FILE + NVNODE * SIZEOF_VNODE
                + self.nbufs * SIZEOF_BUF)
        npages = (size + abi.PAGE_SIZE - 1) // abi.PAGE_SIZE
        try:
            pa = self.k.boot.frames.alloc_contig(npages)
        except MemoryError:
            raise Errno(abi.ENOMEM) from None
        self.m.fill(pa, npages * abi.PAGE_SIZE, 0)
        self.arena_pa = pa
        self.proc_pa = pa
        self.file_pa = self.proc_pa + NPROC * SIZEOF_PROC
        self.vnode_pa = self.file_pa + NFILE * SIZEOF_FILE
        self.buf_pa = self.vnode_pa + NVNODE * SIZEOF_VNODE
        self.arena_end = self.buf_pa + self.nbufs * SIZEOF_BUF
        self.switched(self.k.cur)       # curproc (0 until now)

    # -- guest memory -----------------------------------------------------------
    def _w32(self, kva, v):
        self.m.write(kva - _KERNBASE, _I.pack(v & _M32))

    def _wtv(self, kva, ns):
        self.m.write(kva - _KERNBASE, struct.pack("<II", (ns // 10**9) & _M32,
                                                   (ns % 10**9) // 1000))

    def _r32(self, kva):
        return _I.unpack(self.m.read(kva - _KERNBASE, 4))[0]

    def _arena_index(self, kva, base_pa, size, n):
        """The slot of a structure pointer into one of the arena's tables."""
        off = kva - _KERNBASE - base_pa
        if kva < _KERNBASE or off < 0 or off % size or off // size >= n:
            return None
        return off // size

    # -- kept current -----------------------------------------------------------
    def tick(self):
        """The clock tick (trap.intr): ticks and time."""
        self.ticks += 1
        self._w32(self.lc["ticks"], self.ticks)
        self._wtv(self.lc["time"], self.k.clock())

    def switched(self, q):
        """q runs now: curproc points at its struct proc."""
        if q is None or q.pid == self.curpid or self.arena_pa is None:
            return
        self.curpid = q.pid
        self._w32(self.lc["curproc"], self.proc_kva(q))

    def proc_kva(self, q, depth=0):
        """q's struct proc, (re)written from the Proc."""
        slot = self.proc_slot.get(q.pid)
        if slot is None:
            if not self.proc_free:
                live = self.k.sys.procs
                for pid in [pid for pid in self.proc_slot if pid not in live]:
                    self.proc_free.append(self.proc_slot.pop(pid))
            if not self.proc_free:
                return 0
            slot = self.proc_free.pop()
            self.proc_slot[q.pid] = slot
        kva = _KERNBASE + self.proc_pa + slot * SIZEOF_PROC
        parent = self.k.sys.procs.get(q.ppid)
        pptr = self.proc_kva(parent, depth + 1) if parent is not None and depth < 1 else \
            self._proc_kva_known(q.ppid)
        stat = {"zomb": SZOMB}.get(getattr(q, "state", ""), SONPROC if q is self.k.cur else SRUN)
        comm = q.comm.encode("latin-1", "replace")[:MAXCOMLEN] if isinstance(q.comm, str) \
            else bytes(q.comm)[:MAXCOMLEN]
        rec = struct.pack("<IiiiIII", kva + P_FILEDESC, 0, stat, q.pid, pptr,
                          q.cred.ruid, q.cred.euid) + comm.ljust(MAXCOMLEN + 1, b"\0")
        self.m.write(kva - _KERNBASE, rec)
        return kva

    def _proc_kva_known(self, pid):
        slot = self.proc_slot.get(pid)
        return 0 if slot is None else _KERNBASE + self.proc_pa + slot * SIZEOF_PROC

    # -- exec -------------------------------------------------------------------
    def check_image(self, img, name):
        """Refuse a program linked for another kernel (its NT_KW86_KERNEL_ID)."""
        want = img.kw86_kernel_id
        if want is not None or img.kw86_ksyms is not None:
            self.need_arena()           # before the old image is gone: ENOMEM fails exec
        if want is not None and tuple(want) != self.id:
            raise ExecError(f"{name}: linked for kernel {id_text(*want)}, this is "
                            f"{id_text(*self.id)}: relink with kw86 ksyms")

    def link(self, p, img, name):
        """Dynamic resolution: fill the program's (name, slot) table (bounds in
        its NT_KW86_KSYMS note) with this kernel's addresses."""
        if img.kw86_ksyms is None:
            return
        start, end = img.kw86_ksyms
        if end < start or (end - start) % 8 or end - start > 8 * 4096:
            raise ExecError(f"{name}: bad kernel symbol table ({start:#x}..{end:#x})")
        mem = p.mem
        try:
            raw = mem.copyin_nocharge(start, end - start) if end > start else b""
            for i in range(0, len(raw), 8):
                nameva, slot = struct.unpack_from("<II", raw, i)
                sym = bytes(mem.copyin_nocharge(nameva, 64)).split(b"\0")[0] \
                    if nameva else b""
                addr = self.symbols.get(sym.decode("latin-1"))
                if addr is None:
                    addr = self.lc.symbols.get(sym.decode("latin-1"))
                if addr is None:
                    raise ExecError(f"{name}: kernel symbol {sym.decode('latin-1')!r} is "
                                    f"not in this kernel ({id_text(*self.id)})")
                mem.copyout_nocharge(slot, _I.pack(addr))
        except (Fault, Errno):
            raise ExecError(f"{name}: bad kernel symbol table ({start:#x}..{end:#x})") from None

    # -- the hypercall ----------------------------------------------------------
    def call(self, p):
        """HC_KAPI: function %ecx, the caller's %esp in %esi (its return
        address; the arguments above it).  The result goes back in %eax
        through fast_gate (ebx = KW86_FAST)."""
        core = self.m.core
        num = core.get_gpr(ECX)
        h = self._handlers[num] if 0 <= num < len(self._handlers) else None
        if h is None:
            from kw86.nbsd.errors import BadFrame
            raise BadFrame(None)
        fn, nargs = h
        sp = core.get_gpr(ESI)
        args = struct.unpack(f"<{nargs}I", p.mem.copyin_nocharge(sp + 4, 4 * nargs))
        self.calls += 1
        if self.arena_pa is None:       # a program that called without the API's notes
            try:
                self.need_arena()
            except Errno as e:          # no pages for the tables: the call fails
                core.set_gpr(EAX, -e.errno & _M32)
                core.set_gpr(EBX, kconst.KW86_FAST)
                return
        rv = fn(p, sp + 4, *args)
        core.set_gpr(EAX, (rv or 0) & _M32)
        core.set_gpr(EBX, kconst.KW86_FAST)

    # -- printf / panic ---------------------------------------------------------
    def _format(self, p, fmtva, argva):
        """NetBSD kernel printf's common conversions (%d %i %u %x %X %o %c
        %s %p %%, l/h modifiers, flags - 0 +, space, width, precision)."""
        mem = p.mem
        fmt = mem.copyinstr(fmtva, 1024)
        out = bytearray()
        ap = argva + 4
        i, n = 0, len(fmt)

        def arg():
            nonlocal ap
            v = _I.unpack(mem.copyin_nocharge(ap, 4))[0]
            ap += 4
            return v

        while i < n:
            c = fmt[i]
            if c != 0x25:
                out.append(c)
                i += 1
                continue
            i += 1
            flags = b""
            while i < n and fmt[i] in b"-0+ #":
                flags += bytes([fmt[i]])
                i += 1
            width = ""
            while i < n and chr(fmt[i]).isdigit():
                width += chr(fmt[i])
                i += 1
            prec = ""
            if i < n and fmt[i] == 0x2e:
                i += 1
                prec = "."
                while i < n and chr(fmt[i]).isdigit():
                    prec += chr(fmt[i])
                    i += 1
            # a width or precision past what can be shown is cut to it (the
            # shown part is the same): no host memory for a "%999999999d"
            if width and int(width) > _KPRINTF_PAD:
                width = str(_KPRINTF_PAD)
            if len(prec) > 1 and int(prec[1:]) > _KPRINTF_PAD:
                prec = "." + str(_KPRINTF_PAD)
            while i < n and fmt[i] in b"lhqz":
                i += 1
            if i >= n:
                break
            conv = chr(fmt[i])
            i += 1
            spec = "%" + flags.decode() + width + prec
            if conv == "%":
                out += b"%"
            elif conv in "di":
                v = arg()
                out += ((spec + "d") % (v - (1 << 32) if v & 0x80000000 else v)).encode()
            elif conv in "uxXo":
                out += ((spec + conv.replace("u", "d")) % arg()).encode()
            elif conv == "p":
                out += ("0x%x" % arg()).encode()
            elif conv == "c":
                out += bytes([arg() & 0xff])
            elif conv == "s":
                va = arg()
                s = mem.copyinstr(va, 1024) if va else b"(null)"
                out += (spec + "s").encode() % s
            else:
                out += ("%" + conv).encode()
            if len(out) >= KPRINTF_MAX:
                break
        return bytes(out[:KPRINTF_MAX])

    def k_printf(self, p, argva, fmtva):
        text = self._format(p, fmtva, argva)
        self.k.console.write(None, text)
        return len(text)

    def k_panic(self, p, argva, fmtva):
        try:
            text = self._format(p, fmtva, argva).decode("latin-1")
        except (Fault, Errno):
            text = "(unreadable message)"
        raise KernelPanic(f"panic from kernelware {p.comm} (pid {p.pid}): {text.rstrip()}")

    # -- descriptors ------------------------------------------------------------
    def _fd_proc(self, p, fdp):
        """The process whose descriptor table fdp (a p_fd) is; 0: the caller's."""
        if fdp == 0:
            return p
        slot = self._arena_index(fdp - P_FILEDESC, self.proc_pa, SIZEOF_PROC, NPROC)
        if slot is None:
            return None
        for pid, s in self.proc_slot.items():
            if s == slot:
                return self.k.sys.procs.get(pid)
        return None

    def _file(self, p, fdp, fd):
        q = self._fd_proc(p, fdp)
        if q is None or fd & 0x80000000:
            return None
        try:
            f = q.fdt.get(fd)
        except Errno:
            return None
        if f is None:
            return None
        return f

    def vnode_kva(self, vp, writable=False):
        key = id(vp)
        slot = self.vnode_slot.get(key)
        if slot is None or self.vnodes[slot][0] is not vp:
            slot = self.vnode_next
            self.vnode_next = (slot + 1) % NVNODE
            old = self.vnodes[slot]
            if old is not None:
                self.vnode_slot.pop(id(old[0]), None)
            self.vnodes[slot] = [vp, writable]
            self.vnode_slot[key] = slot
        elif writable:
            self.vnodes[slot][1] = True
        kva = _KERNBASE + self.vnode_pa + slot * SIZEOF_VNODE
        self._write_vnode(kva, vp, slot)
        return kva

    def _write_vnode(self, kva, vp, slot):
        from kw86.nbsd import vfs
        vt = {vfs.VREG: VREG, vfs.VDIR: VDIR, vfs.VLNK: VLNK, vfs.VCHR: VCHR,
              vfs.VFIFO: VFIFO}.get(getattr(vp, "type", None), VNON)
        try:
            size = vp.getsize() if vt == VREG else 0
        except Exception:
            size = 0
        self.m.write(kva - _KERNBASE, struct.pack("<iiIIqI", vt, 1, 0, 0, size, slot))

    def _vnode(self, kva):
        slot = self._arena_index(kva, self.vnode_pa, SIZEOF_VNODE, NVNODE)
        if slot is None or self.vnodes[slot] is None:
            return None, False
        return self.vnodes[slot]

    def file_kva(self, f):
        key = id(f)
        slot = self.file_slot.get(key)
        if slot is None or self.files[slot] is not f:
            slot = self.file_next
            self.file_next = (slot + 1) % NFILE
            old = self.files[slot]
            if old is not None:
                self.file_slot.pop(id(old), None)
            self.files[slot] = f
            self.file_slot[key] = slot
        kva = _KERNBASE + self.file_pa + slot * SIZEOF_FILE
        vp = getattr(f, "vp", None)
        data = self.vnode_kva(vp, bool(f.fflags & abi.FWRITE)) if vp is not None else 0
        self.m.write(kva - _KERNBASE, struct.pack(
            "<IiiiqII", f.fflags, 0, DTYPE_VNODE if vp is not None else 0, 1,
            getattr(f, "offset", 0), 0, data))
        return kva

    def k_fd_getfile(self, p, argva, fdp, fd):
        f = self._file(p, fdp, fd)
        return 0 if f is None else self.file_kva(f)

    def k_getvnode(self, p, argva, fdp, fd, fpp):
        f = self._file(p, fdp, fd)
        if f is None:
            return abi.EBADF
        if getattr(f, "vp", None) is None:
            return abi.EINVAL                           # not a vnode (a pipe ...)
        p.mem.copyout_nocharge(fpp, _I.pack(self.file_kva(f)))
        return 0

    # -- the buffer cache -------------------------------------------------------
    def _hand_out(self, b, vkva, blkno, size, flags):
        idx = (b.paddr - self.bc.base) // self.bc.bsize
        self.bufs[idx] = b
        kva = _KERNBASE + self.buf_pa + idx * SIZEOF_BUF
        self.m.write(kva - _KERNBASE, struct.pack(
            "<IiiiiIiiIi", flags, 0, self.bc.bsize, size, 0, _KERNBASE + b.paddr,
            blkno, blkno, vkva, idx))
        return kva

    def _buf(self, bpva):
        idx = self._arena_index(bpva, self.buf_pa, SIZEOF_BUF, self.nbufs)
        if idx is None:
            return None, None
        b = self.bufs.get(idx)
        if b is None or b.key is None:
            return None, None
        raw = self.m.read(bpva - _KERNBASE, SIZEOF_BUF)
        return b, struct.unpack_from("<IiiiiIiiIi", raw)

    def _blkargs(self, vpva, blkno, size):
        vp, _ = self._vnode(vpva)
        if vp is None or getattr(vp, "type", None) is None:
            return None
        from kw86.nbsd import vfs
        if vp.type != vfs.VREG or not hasattr(vp, "strategy_read"):
            return None
        if blkno & 0x80000000 or not 0 < size <= self.bc.bsize:
            return None
        return vp

    def k_bread(self, p, argva, vpva, blkno, size, cred, bpp):
        vp = self._blkargs(vpva, blkno, size)
        if vp is None:
            return abi.EINVAL
        bc = self.bc
        try:
            miss = bc.incore(vp, blkno) is None
            b = bc.bread(vp, blkno)
            if miss:
                # a miss reads a cluster, as NetBSD's cluster_read: the
                # blocks that follow, to the end of the MAXPHYS-aligned
                # 64 KiB, the transfers a read(2) of 64 KiB makes
                n = MAXPHYS // bc.bsize
                last = min((blkno // n + 1) * n, -(-vp.getsize() // bc.bsize))
                for ahead in range(blkno + 1, last):
                    if bc.incore(vp, ahead) is None:
                        bc.bread(vp, ahead)
        except Errno as e:
            return e.errno
        p.mem.copyout_nocharge(bpp, _I.pack(
            self._hand_out(b, vpva, blkno, size, B_BUSY | B_DONE | B_READ)))
        return 0

    def k_getblk(self, p, argva, vpva, blkno, size, slpflag, slptimeo):
        vp = self._blkargs(vpva, blkno, size)
        if vp is None:
            return 0
        b = self.bc.getblk(vp, blkno)
        return self._hand_out(b, vpva, blkno, size, B_BUSY | (B_DONE if b.valid else 0))

    def k_bwrite(self, p, argva, bpva):
        b, hdr = self._buf(bpva)
        if b is None:
            return abi.EINVAL
        bcount, vkva = hdr[3], hdr[8]
        vp, writable = self._vnode(vkva)
        bs = self.bc.bsize
        if vp is None or vp is not b.vp or hdr[7] != b.blkno or not 0 <= bcount <= bs:
            return abi.EINVAL
        if not writable:
            return abi.EBADF
        was_valid = b.valid
        try:
            if bcount:
                self.bc.bwrite(b, 0, bcount)
        except Errno as e:
            self.bc.brelse_invalid(b)
            return e.errno
        if bcount < bs:
            # the rest of the block: beyond the end of the file it must read
            # as zeros; inside it the buffer no longer matches the file unless
            # it held the block before
            if vp.getsize() <= b.blkno * bs + bcount:
                self.m.write(b.paddr + bcount, bytes(bs - bcount))
                b.valid = bs
            elif not was_valid:
                self.bc.brelse_invalid(b)
        else:
            b.valid = bs
        self._write_vnode(vkva, vp, self._arena_index(vkva, self.vnode_pa, SIZEOF_VNODE, NVNODE))
        return 0

    def k_bdwrite(self, p, argva, bpva):
        self.k_bwrite(p, argva, bpva)
        return 0

    def k_brelse(self, p, argva, bpva):
        return 0

    def k_vn_rdwr(self, p, argva, rw, vpva, base, length, off_lo, off_hi, segflg, ioflg,
                  cred, aresid, procva):
        vp, writable = self._vnode(vpva)
        from kw86.nbsd import vfs
        if vp is None or getattr(vp, "type", None) != vfs.VREG or length & 0x80000000:
            return abi.EINVAL
        off = off_lo | (off_hi << 32)
        if off >= 1 << 63:
            return abi.EINVAL
        if rw == UIO_WRITE and not writable:
            return abi.EBADF
        if rw != UIO_READ and rw != UIO_WRITE:
            return abi.EINVAL
        lim = p.rlimits.get(abi.NBSD_RLIMIT_FSIZE)
        if rw == UIO_WRITE and lim is not None and off + length > lim[0]:
            p.post_signal(abi.NBSD_SIGXFSZ)     # NetBSD's vn_rdwr: enforce_rlimit_fsize
            return abi.EFBIG
        # A piece at a time (VN_RDWR_CHUNK bytes, ending on block boundaries
        # of the file, so the buffer cache sees the same block requests as
        # one transfer): host memory for one piece only, whatever the length
        # (a read of 2 GiB from a 4 GiB file loaded it whole first); the
        # first page of the guest's buffer that cannot take or give its part
        # ends the call with EFAULT and the residual count (NetBSD's uiomove;
        # the whole process used to die of the fault).  The copy is charged
        # once for what moved (as the one copy it was before).
        mem = p.mem
        charge, mem.charge = getattr(mem, "charge", None), None
        done, err = 0, 0
        try:
            step = VN_RDWR_CHUNK
            if rw == UIO_READ:
                size = vp.getsize()
                end = max(0, min(length, size - off))
                while done < end:
                    n = min(end - done, step - (off + done) % step)
                    data = self.bc.read(vp, off + done, n, size)
                    if not data:
                        break
                    try:
                        mem.copyout(base + done, data)
                        done += len(data)
                    except Fault:
                        # the buffer ends inside this piece: as far as it goes,
                        # a page at a time (then the fault)
                        pos = 0
                        while pos < len(data):
                            a = base + done
                            k = min(len(data) - pos, _PAGE - (a & (_PAGE - 1)))
                            mem.copyout(a, data[pos:pos + k])
                            pos += k
                            done += k
            else:
                while done < length:
                    n = min(length - done, step - (off + done) % step)
                    try:
                        data = mem.copyin(base + done, n)
                    except Fault:
                        # (as the read: what the buffer has, a page at a time)
                        end = done + n
                        while done < end:
                            a = base + done
                            k = min(end - done, _PAGE - (a & (_PAGE - 1)))
                            got = self.bc.write(vp, off + done, mem.copyin(a, k), vp.getsize())
                            done += got
                            if got < k:
                                break
                        break
                    got = self.bc.write(vp, off + done, data, vp.getsize())
                    done += got
                    if got < n:
                        break
        except Fault:
            err = abi.EFAULT
        except Errno as e:
            err = e.errno
        finally:
            mem.charge = charge
        if charge is not None and done:
            charge(done)
        resid = length - done
        self._write_vnode(vpva, vp, self._arena_index(vpva, self.vnode_pa, SIZEOF_VNODE, NVNODE))
        if aresid:
            p.mem.copyout_nocharge(aresid, _I.pack(resid))
        if err:
            return err
        if resid and not aresid:
            return abi.EIO
        return 0
