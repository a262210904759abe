"""Calls on the process itself: exit, the break, mmap, TLS, signals' bookkeeping.

They need the machine-backed process (kernel.Process: p.vm, p.kernel); with
the CPU-less test harness they return ENOSYS.
"""
import struct

from kw86.nbsd import abi
from kw86.nbsd.abi import EINVAL, ENOMEM, ENOSYS, EPERM, ESRCH
from kw86.nbsd.errors import Errno, Exit, WouldBlock

PAGE = abi.PAGE_SIZE
MAP_COPY = 0x4                          # <sys/mman.h>: "previously: copy on write"


def _vm(p):
    vm = p.vm
    if vm is None:
        raise Errno(ENOSYS)
    return vm


def sys_exit(p, rval):
    raise Exit(abi.w_exitcode(rval))


def _kernel(p):
    k = p.kernel
    if k is None:
        raise Errno(ENOSYS)
    return k


def sys_fork(p):
    return _kernel(p).fork(p), 0        # the child gets eax 0, edx 1 (kernel.py)


def sys_vfork(p):
    """__vfork14: a copy-on-write fork whose parent sleeps until the child
    execs or exits (kernel.py)."""
    pid = _kernel(p).fork(p)
    p.vforking = True
    return pid, 0


def _wait(p, pid, status, options, rusage, abiv):
    """wait4: the pid (-1 any child, 0 the caller's group, < -1 group -pid)
    as wait6's (idtype, id), exits and traps always asked for (NetBSD's
    do_sys_wait); rusage is wrusage's wru_self."""
    if options & ~(abi.NBSD_WNOHANG | abi.NBSD_WUNTRACED | abi.NBSD_WALTSIG | abi.NBSD_WALLSIG
                   | abi.NBSD_WCONTINUED | abi.NBSD_WNOWAIT | abi.NBSD_WEXITED):
        raise Errno(EINVAL)
    if pid == abi.NBSD_WAIT_ANY:
        idtype, id_ = abi.NBSD_P_ALL, 0
    elif pid <= 0:
        idtype, id_ = abi.NBSD_P_PGID, -pid       # 0: the caller's own group
    else:
        idtype, id_ = abi.NBSD_P_PID, pid
    ru = []
    cpid, st, _ = _kernel(p).wait6(p, idtype, id_, options | abi.NBSD_WEXITED | abi.NBSD_WTRAPPED,
                                   ru)
    if cpid and status:
        p.mem.copyout(status, struct.pack("<i", st))
    if cpid and rusage:
        (ut, stime), _ = ru[0]
        p.mem.copyout(rusage, abi.pack_rusage(ut, stime, abi=abiv))
    return cpid


def sys___wait450(p, pid, status, options, rusage):
    return _wait(p, pid, status, options, rusage, "10")


def sys_wait4(p, pid, status, options, rusage):
    return _wait(p, pid, status, options, rusage, "15")


def sys_wait6(p, idtype, id_, status, options, wru, info):
    """wait6(2): the child wait6's (idtype, id) selects; its status, struct
    wrusage (wru_self, wru_children: two struct rusage) and a SIGCHLD
    siginfo_t (si_code CLD_*, si_pid, si_uid, si_status).  With WNOHANG and
    nothing to report it returns 0 and the siginfo is zeroed."""
    ru = []
    cpid, st, si = _kernel(p).wait6(p, idtype, id_, options, ru)
    if cpid and status:
        p.mem.copyout(status, struct.pack("<i", st))
    if cpid and wru:
        (s_ut, s_st), (c_ut, c_st) = ru[0]
        p.mem.copyout(wru, abi.pack_rusage(s_ut, s_st) + abi.pack_rusage(c_ut, c_st))
    if info:
        if cpid:
            code, val, uid = si
            p.mem.copyout(info, abi.pack_siginfo(abi.NBSD_SIGCHLD, code, pid=cpid, uid=uid,
                                                 status=val))
        else:
            p.mem.copyout(info, bytes(abi.SIGINFO_SIZE))
    return cpid


def _strvec(p, addr):
    out = []
    total = 0
    if not addr:
        return out
    while True:
        (ptr,) = struct.unpack("<I", p.mem.copyin(addr + 4 * len(out), 4))
        if not ptr:
            return out
        s = p.mem.copyinstr(ptr, abi.ARG_MAX)
        total += len(s) + 1
        if total > abi.ARG_MAX:
            raise Errno(abi.E2BIG)
        out.append(s)


def sys_execve(p, path, argp, envp):
    k = _kernel(p)
    pathname = p.mem.copyinstr(path, abi.MAXPATHLEN)
    k.execve(p, pathname, _strvec(p, argp), _strvec(p, envp))   # EJUSTRETURN


def _nanosleep(p, rqtp, rmtp, abiv):
    """Sleep on the guest clock; a caught signal ends it with EINTR and the
    time left in *rmtp (the deadline counts from the first try: poll.py)."""
    from kw86.nbsd.syscalls.poll import Interrupted, PollWait, sleep_start
    sec, nsec = abi.unpack_timespec(p.mem.copyin(rqtp, abi.timespec_size(abiv)), abiv)
    if sec < 0 or not 0 <= nsec < 10**9:
        raise Errno(EINVAL)
    ns = sec * 10**9 + nsec
    if ns == 0:
        return 0
    _kernel(p)
    try:
        rem = sleep_start(p, ("nanosleep", rqtp, ns), ns)
    except Interrupted as e:
        if rmtp:
            p.mem.copyout(rmtp, abi.pack_timespec(*divmod(e.remaining, 10**9), abiv))
        raise
    if rem == 0:
        if rmtp:
            p.mem.copyout(rmtp, abi.pack_timespec(0, 0, abiv))
        return 0
    raise WouldBlock(PollWait((), rem))


def sys___nanosleep50(p, rqtp, rmtp):
    return _nanosleep(p, rqtp, rmtp, "10")


TIMER_ABSTIME = 1
CLOCK_SET_CHAN = ("clock_settime",)          # woken when CLOCK_REALTIME is set (sched.py)


def sys_clock_nanosleep(p, clock_id, flags, rqtp, rmtp):
    """clock_nanosleep (477): NetBSD returns the error as the call's value
    (POSIX), not through errno; CLOCK_REALTIME or CLOCK_MONOTONIC, relative
    or TIMER_ABSTIME (a deadline already past returns at once); rmtp only
    for a relative sleep.  The sleep itself is nanosleep's (on the guest
    clock; a caught signal ends it with EINTR)."""
    from kw86.nbsd.syscalls.ident import CLOCK_MONOTONIC, CLOCK_REALTIME, _clock
    from kw86.nbsd.syscalls.poll import Interrupted, PollWait, sleep_done, sleep_start
    try:
        sec, nsec = abi.unpack_timespec(p.mem.copyin(rqtp, 12))
    except Errno as e:
        return e.errno
    if clock_id not in (CLOCK_REALTIME, CLOCK_MONOTONIC) or sec < 0 or \
            not 0 <= nsec < 10**9:
        return EINVAL
    ns = sec * 10**9 + nsec
    _kernel(p)
    if flags & TIMER_ABSTIME:
        # a deadline on the clock itself: it is looked at again whenever
        # the sleeper wakes, and clock_settime wakes every sleeper, so
        # setting CLOCK_REALTIME moves the wake-up as POSIX requires
        try:
            sleep_start(p, ("clock_nanosleep", clock_id, flags, rqtp, sec, nsec), None)
        except Interrupted:
            return abi.EINTR
        left = ns - _clock(p, clock_id)
        if left <= 0:
            sleep_done(p)
            return 0
        raise WouldBlock(PollWait((CLOCK_SET_CHAN,), left))
    if ns == 0:
        return 0
    try:
        rem = sleep_start(p, ("clock_nanosleep", clock_id, flags, rqtp, sec, nsec), ns)
    except Interrupted as e:
        if rmtp and not flags & TIMER_ABSTIME:
            p.mem.copyout(rmtp, abi.pack_timespec(*divmod(e.remaining, 10**9), "10"))
        return abi.EINTR
    if rem == 0:
        if rmtp and not flags & TIMER_ABSTIME:
            p.mem.copyout(rmtp, abi.pack_timespec(0, 0, "10"))
        return 0
    raise WouldBlock(PollWait((), rem))


def sys_nanosleep(p, rqtp, rmtp):
    return _nanosleep(p, rqtp, rmtp, "15")


def sys_obreak(p, nsize):
    _vm(p).set_brk(nsize)


def sys_mmap(p, addr, length, prot, flags, fd, pos):
    vm = _vm(p)
    if length == 0:
        raise Errno(EINVAL)
    # no upper bound of its own: as NetBSD's sys_mmap, a length that wraps
    # when rounded to pages, or that no free range can hold, is ENOMEM
    # (find_space), and a file offset + length is checked for wrapping in
    # the 64-bit off_t only (EOVERFLOW cannot happen for a 32-bit length)
    if length + (addr & (PAGE - 1)) + PAGE - 1 > 0xffffffff:
        raise Errno(ENOMEM)
    if prot & ~7:
        raise Errno(EINVAL)
    if not flags & (abi.NBSD_MAP_SHARED | abi.NBSD_MAP_PRIVATE) and not flags & abi.NBSD_MAP_ANON:
        raise Errno(EINVAL)
    if flags & MAP_COPY:                    # the obsolete MAP_COPY is MAP_PRIVATE (uvm_mmap.c)
        flags = (flags & ~MAP_COPY) | abi.NBSD_MAP_PRIVATE
    if flags & abi.NBSD_MAP_SHARED and flags & abi.NBSD_MAP_PRIVATE:
        raise Errno(EINVAL)                 # both at once (NetBSD sys_mmap)
    length = (length + (addr & (PAGE - 1)) + PAGE - 1) & ~(PAGE - 1)
    anon = bool(flags & abi.NBSD_MAP_ANON)
    f = None
    if not anon:
        f = p.fdt.get(fd)
        if getattr(f, "vp", None) is None or f.vp.type != abi.NBSD_S_IFREG:
            raise Errno(abi.ENODEV)
        if pos & (PAGE - 1) or pos < 0:
            raise Errno(EINVAL)
        # NetBSD's mmap(2): PROT_READ needs a descriptor open for reading,
        # PROT_WRITE with MAP_SHARED one open for writing (a private
        # mapping may always be written: the writes stay in its copy)
        if not f.fflags & abi.FREAD and prot & abi.NBSD_PROT_READ:
            raise Errno(abi.EACCES)
        if flags & abi.NBSD_MAP_SHARED and prot & abi.NBSD_PROT_WRITE and \
                not f.fflags & abi.FWRITE:
            raise Errno(abi.EACCES)
    # MAP_ALIGNED(n) = n << 24: 2^n-byte alignment (jemalloc asks for it)
    align_log = (flags >> 24) & 0xff
    if align_log > 30:
        raise Errno(EINVAL)
    if align_log < 12:
        align_log = 0                       # page alignment anyway
    if flags & abi.NBSD_MAP_FIXED:
        if addr & (PAGE - 1) or addr + length > abi.VM_MAXUSER_ADDRESS or addr < PAGE:
            raise Errno(EINVAL)
        if align_log and addr & ((1 << align_log) - 1):
            raise Errno(EINVAL)
        base = addr
    else:
        base = _hinted(vm, addr & ~(PAGE - 1), length, align_log) or \
            vm.find_space(length, align=1 << align_log if align_log else PAGE)
    _check_as(p, vm, base, length)
    if len(vm.regions) >= MAX_MAP_ENTRIES:
        raise Errno(ENOMEM)
    if flags & abi.NBSD_MAP_FIXED:
        _unmap(vm, base, length)
    if prot != abi.NBSD_PROT_NONE or not anon:
        # a PROT_NONE anonymous mapping is a reservation (Go's heap arenas,
        # 258 MiB + 512 MiB on 386): UVM commits nothing until the pages
        # are mapped again with access (MAP_FIXED) and touched, so no
        # physical memory is asked of it
        vm.check_memory(length)
    if anon and flags & abi.NBSD_MAP_SHARED:
        # one zero-filled object every process that inherits the mapping
        # sees (NetBSD: an anonymous uvm_object), paged as a file would be
        from kw86.nbsd.vm import MapObj
        obj = MapObj(_AnonObject(p.sys.bufcache, length), abi.FREAD | abi.FWRITE,
                     p.sys.bufcache, abi.NBSD_PROT_READ | abi.NBSD_PROT_WRITE |
                     abi.NBSD_PROT_EXEC)
        vm.add_region(base, base + length, prot, "shared", obj, 0)
        vm.m.flush_tlb()
        return base
    if f is not None and flags & abi.NBSD_MAP_SHARED:
        # the file's pages themselves, through the buffer cache (vm.py)
        from kw86.nbsd.vm import MapObj
        maxprot = abi.NBSD_PROT_EXEC | (abi.NBSD_PROT_READ if f.fflags & abi.FREAD else 0) | \
            (abi.NBSD_PROT_WRITE if f.fflags & abi.FWRITE else 0)
        obj = MapObj(f.vp, f.fflags & (abi.FREAD | abi.FWRITE), p.sys.bufcache, maxprot)
        vm.add_region(base, base + length, prot, "shared", obj, pos)
        vm.m.flush_tlb()
        return base
    if f is None:
        vm.add_region(base, base + length, prot, "anon")
    else:
        vm.add_region(base, base + length, prot, "file", off=pos, src=f.vp)
        copy_file_pages(vm, p.sys.bufcache, f.vp, pos, base, length, prot)
    vm.m.flush_tlb()
    return base


def copy_file_pages(vm, bc, vp, pos, base, length, prot):
    """A private file mapping's pages: [base, base+length) backed by copies
    of the file from offset pos (read through the buffer cache bc); the
    pages past the end of the file are left to demand-zero."""
    size = vp.getsize()
    data = bc.read(vp, pos, min(length, max(0, size - pos)), size)
    for off in range(0, len(data), PAGE):
        vm.map(base + off, prot | abi.NBSD_PROT_WRITE, data[off:off + PAGE])
        vm.protect(base + off, prot)


class _AnonObject:
    """The memory of one MAP_SHARED|MAP_ANON mapping, shared by every
    address space that inherits it across fork (mmap(2): "modifications
    are shared"): `size` zero bytes, kept by block only once written back,
    whose pages are buffer-cache buffers as a shared file mapping's are
    (vm.py MapObj).  Gone with its last mapping."""
    __slots__ = ("bc", "size", "blocks", "cache_key", "opens", "freed")
    disk = None                         # memory: no I/O cost
    _ids = iter(range(1, 1 << 62))

    def __init__(self, bc, size):
        self.bc, self.size, self.blocks = bc, size, {}
        self.cache_key = ("anon", next(_AnonObject._ids))
        self.opens, self.freed = 0, False

    def getsize(self):
        return self.size

    def open(self, fflags):
        self.opens += 1

    def close(self, fflags):
        self.opens -= 1
        if self.opens <= 0 and not self.freed:
            self.freed = True
            self.bc.invalidate(self)
            self.blocks = {}

    def strategy_read(self, offset, n):
        bs, out = self.bc.bsize, bytearray()
        end = min(offset + n, self.size)
        while offset < end:
            blk, boff = divmod(offset, bs)
            k = min(end - offset, bs - boff)
            data = self.blocks.get(blk)
            out += data[boff:boff + k] if data is not None else bytes(k)
            offset += k
        return bytes(out)

    def strategy_write(self, offset, data):
        bs, pos = self.bc.bsize, 0
        while pos < len(data):
            blk, boff = divmod(offset + pos, bs)
            k = min(len(data) - pos, bs - boff)
            b = self.blocks.get(blk)
            if b is None:
                b = self.blocks[blk] = bytearray(bs)
            b[boff:boff + k] = data[pos:pos + k]
            pos += k


def _hinted(vm, hint, length, align_log):
    """The address of a non-fixed mmap with a hint: NetBSD's sys_mmap takes
    the lower of the hint and the default top-down address, and UVM places
    the mapping there when that range is free (Go's runtime asks for its
    heap just above its image), even where the break would grow (then
    brk fails, as on NetBSD); 0 = no usable hint."""
    if not hint:
        return 0
    from kw86.nbsd.vm import MMAP_TOP
    base = min(hint, (MMAP_TOP - length) & ~(PAGE - 1))
    if align_log:
        base = (base + (1 << align_log) - 1) & ~((1 << align_log) - 1)
    end = base + length
    if base < vm.heap.end or end > MMAP_TOP:
        return 0
    if any(r.start < end and r.end > base for r in vm.regions if r.end > r.start):
        return 0
    return base


def _check_as(p, vm, base, length):
    """RLIMIT_AS (uvm_mmap: the map's size plus the new mapping's; what a
    MAP_FIXED mapping replaces is counted as it is removed first)."""
    from kw86.nbsd.syscalls.kern import getrlimit
    cur = getrlimit(p, abi.NBSD_RLIMIT_AS)[0]
    if cur >= abi.RLIM_INFINITY:
        return
    end = base + length
    size = sum(r.end - r.start - max(0, min(r.end, end) - max(r.start, base))
               for r in vm.regions)
    if size + length > cur:
        raise Errno(ENOMEM)


# kw86's bound on a process's map entries (regions): each is kw86's host
# memory and the map is searched in a line, so a guest cutting its address
# space into one-page pieces (mmap PROT_NONE, mprotect every other page: no
# memory of its own) held gigabytes and took minutes a call.  NetBSD's bound
# is kernel memory; Linux's vm.max_map_count is 65,530.  Past it mmap,
# mprotect and munmap (which may split a region) are ENOMEM.
MAX_MAP_ENTRIES = 8192


def _splits(vm, addr, end, skip):
    """How many more regions cutting [addr, end) out of them would make."""
    return sum((r.start < addr) + (r.end > end) - 1 for r in vm.regions
               if r.start < end and r.end > addr and r.kind not in skip and r.end > r.start)


def _unmap(vm, addr, length):
    end = addr + length
    if len(vm.regions) + _splits(vm, addr, end, ("text", "data", "heap", "stack")) > \
            MAX_MAP_ENTRIES:
        raise Errno(ENOMEM)
    keep = []
    gone = []
    for r in vm.regions:
        if r.end <= addr or r.start >= end or r.kind in ("text", "data", "heap", "stack"):
            keep.append(r)
            continue
        if r.start < addr:
            keep.append(r.piece(r.start, addr))
        if r.end > end:
            keep.append(r.piece(end, r.end))
        gone.append(r)
    vm.regions = keep
    # the backed pages of the range (a reservation of 512 MiB has none)
    if length // PAGE > len(vm.pages):
        backed = sorted(va for va in vm.pages if addr <= va < end)
    else:
        backed = [va for va in range(addr, end, PAGE) if va in vm.pages]
    for va in backed:
        if vm.region_at(va) is None:
            vm.unmap(va)
    for r in gone:                          # after the pages: a file mapping writes back
        r.drop()
    vm.m.flush_tlb()


def sys_munmap(p, addr, length):
    vm = _vm(p)
    if addr & (PAGE - 1) or length == 0 or addr + length > abi.VM_MAXUSER_ADDRESS:
        raise Errno(EINVAL)
    _unmap(vm, addr, (length + PAGE - 1) & ~(PAGE - 1))


def sys_mprotect(p, addr, length, prot):
    vm = _vm(p)
    if addr & (PAGE - 1) or prot & ~7:
        raise Errno(EINVAL)
    end = addr + ((length + PAGE - 1) & ~(PAGE - 1))
    if end > abi.VM_MAXUSER_ADDRESS:
        raise Errno(EINVAL)             # NetBSD's range_test: beyond the user map
    va = addr
    while va < end:                         # every page mapped, else ENOMEM
        r = vm.region_at(va)
        if r is None:
            raise Errno(ENOMEM)
        va = r.end
    for r in vm.regions:                    # a shared file mapping: at most the fd's access
        if r.obj is not None and r.start < end and r.end > addr and prot & ~r.obj.maxprot:
            raise Errno(abi.EACCES)
    # split the regions the range cuts, so that demand paging sees the new prot
    if len(vm.regions) + _splits(vm, addr, end, ("heap",)) + \
            sum(1 for r in vm.regions if r.start < end and r.end > addr and r.kind != "heap"
                and r.end > r.start) > MAX_MAP_ENTRIES:
        raise Errno(ENOMEM)
    out = []
    for r in vm.regions:
        if r.end <= addr or r.start >= end or r.kind == "heap":
            out.append(r)
            continue
        if r.start < addr:
            out.append(r.piece(r.start, addr))
        out.append(r.piece(max(r.start, addr), min(r.end, end), prot))
        if r.end > end:
            out.append(r.piece(end, r.end))
        r.drop()
    vm.regions[:] = out
    if (end - addr) // PAGE > len(vm.pages):
        backed = [va for va in vm.pages if addr <= va < end]
    else:
        backed = [va for va in range(addr, end, PAGE) if va in vm.pages]
    for va in backed:
        vm.protect(va, prot)
    vm.m.flush_tlb()


def sys_madvise(p, addr, length, behav):
    if behav not in (0, 1, 2, 3, 4, 6):
        raise Errno(EINVAL)
    return 0                                # advice only


def sys_getrandom(p, buf, buflen, flags):
    if flags & ~0x3:                        # GRND_NONBLOCK 1, GRND_RANDOM 2
        raise Errno(EINVAL)
    n = min(buflen, 1 << 20)
    p.mem.copyout(buf, p.sys.random_bytes(n))
    return n


def sys__lwp_setprivate(p, ptr):
    """The TLS base: NetBSD points the GUGS descriptor (%gs) at it (x86's
    cpu_lwp_setprivate: a 4 GiB user data segment based at ptr, so the
    TLS block's negative offsets wrap below it; paging still keeps the
    kernel out)."""
    p.tls_base = ptr & 0xffffffff
    k = p.kernel
    if k is not None:
        k.load_gs(p)
        # trapret reloads %gs from the frame, hence from the updated GDT


def sys___sigaction_sigtramp(p, signum, nsa, osa, tramp, vers):
    if not 1 <= signum < abi.NBSD_NSIG:
        raise Errno(EINVAL)
    if nsa and vers != 2 and tramp:
        raise Errno(EINVAL)                 # only the siginfo trampoline (version 2)
    acts = p.sigacts
    old = acts.get(signum, (abi.NBSD_SIG_DFL, 0, 0, 0))
    if osa:
        p.mem.copyout(osa, abi.pack_sigaction(old[0], old[1], old[2]))
    if nsa:
        if signum in (abi.NBSD_SIGKILL, abi.NBSD_SIGSTOP):
            raise Errno(EINVAL)
        h, mask, fl = abi.unpack_sigaction(p.mem.copyin(nsa, abi.SIGACTION_SIZE))
        acts[signum] = (h, mask, fl, tramp)


def sys___sigprocmask14(p, how, set_, oset):
    mask = p.sigmask
    if oset:
        p.mem.copyout(oset, abi.pack_sigset(mask))
    if set_:
        new = abi.unpack_sigset(p.mem.copyin(set_, 16))
        new &= ~(abi.sigbit(abi.NBSD_SIGKILL) | abi.sigbit(abi.NBSD_SIGSTOP))
        if how == abi.NBSD_SIG_BLOCK:
            mask |= new
        elif how == abi.NBSD_SIG_UNBLOCK:
            mask &= ~new
        elif how == abi.NBSD_SIG_SETMASK:
            mask = new
        else:
            raise Errno(EINVAL)
        p.sigmask = mask


def sys___sigsuspend14(p, set_):
    """Sleep with a temporary mask until a signal is caught: always EINTR,
    the handler's context carries the old mask (sendsig, p.oldmask)."""
    new = abi.unpack_sigset(p.mem.copyin(set_, 16))
    new &= ~(abi.sigbit(abi.NBSD_SIGKILL) | abi.sigbit(abi.NBSD_SIGSTOP))
    if p.oldmask is None:
        p.oldmask = p.sigmask
    p.sigmask = new
    acts = p.sigacts
    for sig in p.siglist + p.l.siglist:     # the process's and this LWP's
        if not new & abi.sigbit(sig) and acts.get(sig, (abi.NBSD_SIG_DFL,))[0] != abi.NBSD_SIG_IGN:
            raise Errno(abi.EINTR)          # already pending: deliver it now
    raise WouldBlock(("sigsuspend", p.pid))


def sys___sigpending14(p, set_):
    mask = 0
    for sig in p.siglist + p.l.siglist:     # the process's and this LWP's
        mask |= abi.sigbit(sig)
    p.mem.copyout(set_, abi.pack_sigset(mask))


def sys_kill(p, pid, signum):
    if not 0 <= signum < abi.NBSD_NSIG:
        raise Errno(EINVAL)
    procs = p.sys.procs or {p.pid: p}
    if pid in (0, -1, p.pid, -p.pgid):
        # (kill(-1, sig): every process but init, NetBSD's killpg1)
        targets = [p] if pid == p.pid else [q for q in procs.values()
                                           if (pid == -1 and q.pid > 1) or
                                           (pid != -1 and q.pgid == (p.pgid if pid == 0 else -pid))]
    else:
        q = procs.get(pid)
        if q is None:
            raise Errno(ESRCH)
        targets = [q]
    for q in targets:
        if p.cred.euid != 0 and p.cred.ruid not in (q.cred.ruid, q.cred.svuid) and \
                p.cred.euid not in (q.cred.ruid, q.cred.svuid):
            raise Errno(EPERM)
        if signum:
            q.post_signal(signum, (0, p.pid, p.cred.euid, 0, None))     # SI_USER


def sys_sync(p):
    return 0


_PATHCONF = {1: 32767, 2: 255, 3: 255, 4: 511, 5: 1024, 6: 512, 7: 1, 8: 0}


def sys_pathconf(p, path, name):
    p.sys.vfs.lookup(p, p.mem.copyinstr(path, abi.MAXPATHLEN))
    try:
        return _PATHCONF[name]
    except KeyError:
        raise Errno(EINVAL) from None


def sys_fpathconf(p, fd, name):
    p.fdt.get(fd)
    try:
        return _PATHCONF[name]
    except KeyError:
        raise Errno(EINVAL) from None

