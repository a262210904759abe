"""NetBSD calls programs make that are not about files or processes:
mincore (78), utrace (306), uuidgen (355), mremap (411), __settimeofday50
(419) and __adjtime50 (421) with their NetBSD 1.5-4 forms (122, 140),
posix_fallocate (479), fdiscard (480), each as NetBSD 10 answers it (its
manual pages, headers and sources; the notes below).
"""
from kw86.nbsd import abi
from kw86.nbsd.errors import Errno

PAGE = abi.PAGE_SIZE
OFF_T_MAX = (1 << 63) - 1


def _kernel(p):
    k = p.kernel
    if k is None or p.vm is None:
        raise Errno(abi.ENOSYS)         # the CPU-less harness has no address space
    return k


# ---------------------------------------------------------------------------
# mincore(2)

def sys_mincore(p, addr, length, vec):
    """One byte per page of [addr, addr+len): 1 when the page is resident,
    else 0 (uvm_mmap.c sys_mincore: the anonymous layer's page, else the
    object's: here a frame of this address space, or for a shared file or
    shared anonymous mapping its block in the buffer cache, which is that
    object's page cache).  addr must be page-aligned and the rounded range
    non-empty and not wrapping (EINVAL); vec must be writable for all its
    bytes (EFAULT, checked first, as uvm_vslock); a page outside every
    mapping is ENOMEM (a hole in the map)."""
    _kernel(p)
    vm = p.vm
    if addr & (PAGE - 1):
        raise Errno(abi.EINVAL)
    end = addr + ((length + PAGE - 1) & ~(PAGE - 1))
    if end <= addr or end > 1 << 32:
        raise Errno(abi.EINVAL)
    npages = (end - addr) // PAGE
    if npages > (1 << 20):
        raise Errno(abi.ENOMEM)         # more than the user address space
    # vec wired for writing before the map is looked at (uvm_vslock):
    # its bytes read and written back unchanged
    p.mem.copyout(vec, p.mem.copyin(vec, npages))
    va = addr
    while va < end:                     # the whole range mapped, no hole
        r = vm.region_at(va) if va < abi.VM_MAXUSER_ADDRESS else None
        if r is None:
            raise Errno(abi.ENOMEM)
        va = r.end
    pages = vm.pages
    out = bytearray(npages)
    for i in range(npages):
        va = addr + i * PAGE
        if va in pages:
            out[i] = 1
            continue
        r = vm.region_at(va)
        obj = r.obj if r is not None else None
        if obj is not None:
            off = r.off + (va - r.start)
            if off < obj.vp.getsize() and obj.bc.incore(obj.vp, off // obj.bc.bsize):
                out[i] = 1
    p.mem.copyout(vec, bytes(out))
    return 0


# ---------------------------------------------------------------------------
# utrace(2)

KTR_USER_MAXIDLEN = 20                  # <sys/ktrace.h>
KTR_USER_MAXLEN = 2048


def sys_utrace(p, label, addr, length):
    """A user record in the process's trace (NetBSD's ktruser): only when
    the process is traced (kw86: --strace, written as kdump prints a USER
    record: the label and the bytes); untraced it does nothing and returns
    0 whatever its arguments.  Traced: len > KTR_USER_MAXLEN is ENOSPC
    (the kernel's answer; utrace(2) says EINVAL); a label that cannot be
    copied in (a bad pointer, KTR_USER_MAXIDLEN bytes without a NUL) is
    recorded empty; data that cannot be copied in is EFAULT, the record
    written with no data."""
    out = p.sys.strace
    if out is None:
        return 0
    if length > KTR_USER_MAXLEN:
        raise Errno(abi.ENOSPC)
    from kw86.nbsd.errors import Fault
    try:
        name = p.mem.copyinstr(label, KTR_USER_MAXIDLEN)
    except (Errno, Fault):
        name = b""
    err = 0
    try:
        data = p.mem.copyin(addr, length) if length else b""
    except Fault:
        data, err = b"", abi.EFAULT
    from kw86.nbsd.hostlog import clean
    head = f"{p.pid:6d} {p.l.lid:6d} {p.comm[:8]:<8s} USER  "
    out.write(head + f'"{clean(name.decode("latin-1"))}" {len(data)} bytes\n')
    for off in range(0, len(data), 16):
        chunk = data[off:off + 16]
        hexs = " ".join(f"{b:02x}" for b in chunk)
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        out.write(f"      {off:4x} {hexs:<47s}  |{text}|\n")
    if err:
        raise Errno(err)
    return 0


# ---------------------------------------------------------------------------
# uuidgen(2)

def sys_uuidgen(p, store, count):
    """count (1..2048, else EINVAL) UUIDs of version 4, as NetBSD's
    kern_uuid.c since 2014 (1.20) makes them: 16 random bytes (cprng_fast;
    kw86's deterministic per-run generator), the version nibble of
    time_hi_and_version set to 4 and clock_seq_hi_and_reserved's variant
    bits to 10; copied out one by one (a fault stops there: EFAULT, the
    UUIDs before it written)."""
    if not 1 <= count <= 2048:
        raise Errno(abi.EINVAL)
    for i in range(count):
        u = bytearray(p.sys.random_bytes(16))
        u[7] = (u[7] & 0x0f) | 0x40             # time_hi_and_version (LE u16 at 6): 0x4xxx
        u[8] = (u[8] & ~0x40 & 0xff) | 0x80     # clock_seq_hi_and_reserved: 10xxxxxx
        p.mem.copyout(store + 16 * i, bytes(u))
    return 0


# ---------------------------------------------------------------------------
# settimeofday(2), adjtime(2): the guest's clock only

def set_realtime(p, ns):
    """CLOCK_REALTIME := ns (guest time; the host's clock is never touched),
    as clock_settime does (sched.py): realtime timers and absolute sleeps
    see the step."""
    from kw86.nbsd.syscalls.ident import adj_slew
    from kw86.nbsd.syscalls.sched import realtime_offset
    sysm = p.sys
    now = int(sysm.clock())
    old = realtime_offset(sysm)
    sysm.realtime_offset = ns - now - adj_slew(sysm, now)
    from kw86.nbsd.syscalls.ptimer import realtime_changed
    realtime_changed(sysm, sysm.realtime_offset - old)
    from kw86.nbsd.sched import wakeup
    from kw86.nbsd.syscalls.vm import CLOCK_SET_CHAN
    wakeup(CLOCK_SET_CHAN)


def sys___settimeofday50(p, tv, tzp):
    """settimeofday1: a time zone is ignored (NetBSD keeps none; it logs);
    tv NULL does nothing; tv copied in (EFAULT); tv_usec outside [0, 10^6)
    EINVAL; then settime1: tv_sec outside [0, 2^36] EINVAL ("an
    unreasonable value"), then only root (kauth KAUTH_SYSTEM_TIME: EPERM)."""
    return _settimeofday(p, tv, "10")


def sys_settimeofday(p, tv, tzp):
    """compat_50_settimeofday (122): the same with NetBSD 1.5-4's struct
    timeval50 (32-bit tv_sec)."""
    return _settimeofday(p, tv, "15")


def _settimeofday(p, tv, abiv):
    if not tv:
        return 0
    sec, usec = abi.unpack_timeval(p.mem.copyin(tv, abi.timespec_size(abiv)), abiv)
    if not 0 <= usec < 10**6:
        raise Errno(abi.EINVAL)
    if sec < 0 or sec > 1 << 36:
        raise Errno(abi.EINVAL)
    if p.cred.euid != 0:
        raise Errno(abi.EPERM)
    set_realtime(p, sec * 10**9 + usec * 1000)
    return 0


class TimeAdj:
    """A pending adjtime(2) correction, slewed as NetBSD's ntp_update_second
    does once a second: 5000 us a second while more than 1 s remains, then
    500 us a second, then the last < 500 us; the clock moves evenly within
    each second.  `applied(now)` is what has been added to CLOCK_REALTIME
    since `start`; `remaining(now)` the whole seconds' part not yet done
    (adjtime's olddelta)."""
    __slots__ = ("start", "delta_us")

    def __init__(self, start, delta_us):
        self.start, self.delta_us = start, delta_us

    @staticmethod
    def _steps(r):
        """The correction's per-second steps: [(n seconds, us each)], the
        last a single step of the rest."""
        sign = -1 if r < 0 else 1
        r = abs(r)
        out = []
        if r > 1_000_000:
            n = -(-(r - 1_000_000) // 5000)
            out.append((n, 5000 * sign))
            r -= 5000 * n
        if r > 500:
            n = -(-(r - 500) // 500)
            out.append((n, 500 * sign))
            r -= 500 * n
        if r:
            out.append((1, r * sign))
        return out

    def _done_us(self, seconds):
        """us applied after `seconds` (a float) of slewing."""
        done = 0
        for n, us in self._steps(self.delta_us):
            if seconds >= n:
                done += n * us
                seconds -= n
            else:
                return done + seconds * us
        return done

    def applied(self, now):
        """ns added by now (nearest ns)."""
        el = max(0, now - self.start)
        whole, frac = divmod(el, 10**9)
        return int(round((self._done_us(whole) + (self._done_us(whole + 1) -
                                                   self._done_us(whole)) * frac / 10**9) * 1000))

    def remaining(self, now):
        whole = max(0, now - self.start) // 10**9
        return self.delta_us - int(self._done_us(whole))


def sys___adjtime50(p, delta, olddelta):
    """adjtime(2) as kern_time.c: root only, even just to read (kauth
    KAUTH_REQ_SYSTEM_TIME_ADJTIME first: EPERM); delta copied in (EFAULT);
    then olddelta gets what was left of the pending correction
    (normalised to 0 <= tv_usec < 10^6) and delta replaces it (tv_usec
    clamped to +-999999), slewed from now (TimeAdj); olddelta is copied
    out last (EFAULT after the change, as adjtime1 runs first).  The
    guest's clock only."""
    return _adjtime(p, delta, olddelta, "10")


def sys_adjtime(p, delta, olddelta):
    """compat_50_adjtime (140): the same with struct timeval50."""
    return _adjtime(p, delta, olddelta, "15")


def _adjtime(p, delta, olddelta, abiv):
    if p.cred.euid != 0:
        raise Errno(abi.EPERM)
    us = None
    if delta:
        sec, usec = abi.unpack_timeval(p.mem.copyin(delta, abi.timespec_size(abiv)), abiv)
        if sec > (1 << 63) // 10**6 - 1:
            us = (1 << 63) - 1
        elif sec < -(1 << 63) // 10**6 + 1:
            us = -(1 << 63)
        else:
            us = sec * 10**6 + max(-999999, min(999999, usec))
    sysm = p.sys
    now = int(sysm.clock())
    adj = getattr(sysm, "time_adj", None)
    left = adj.remaining(now) if adj is not None else 0
    if us is not None:
        if adj is not None:
            # what was slewed so far stays in the clock
            sysm.realtime_offset = getattr(sysm, "realtime_offset", 0) + adj.applied(now)
        sysm.time_adj = TimeAdj(now, us) if us else None
    if olddelta:
        sec, usec = divmod(left, 10**6)         # floor: usec in [0, 10^6)
        p.mem.copyout(olddelta, abi.pack_timeval(sec, usec, abiv))
    return 0


# ---------------------------------------------------------------------------
# lpathconf(2)

def sys_lpathconf(p, path, name):
    """pathconf of the path itself, a last symbolic link not followed
    (NetBSD 10, with the ACL work); the values are pathconf's (vm.py)."""
    from kw86.nbsd.syscalls.vm import _PATHCONF
    p.sys.vfs.namei(p, p.mem.copyinstr(path, abi.MAXPATHLEN), False)
    try:
        return _PATHCONF[name]
    except KeyError:
        raise Errno(abi.EINVAL) from None


# ---------------------------------------------------------------------------
# posix_fallocate(2), fdiscard(2)

def _falloc_file(p, fd):
    """fd_getvnode: EBADF for no descriptor, EINVAL for one that is not a
    vnode (a pipe, socket, kqueue); then FWRITE or EBADF."""
    f = p.fdt.get(fd)
    vp = getattr(f, "vp", None)
    if vp is None:
        raise Errno(abi.EINVAL)
    if not f.fflags & abi.FWRITE:
        raise Errno(abi.EBADF)
    return f, vp


def sys_posix_fallocate(p, fd, pos, length):
    """The error is the value (POSIX; NetBSD's sys_posix_fallocate sets
    *retval).  After the checks (pos or len negative, or the end past
    OFF_T_MAX: EINVAL; EBADF, EINVAL as _falloc_file; a directory EISDIR),
    VOP_FALLOCATE: NetBSD 10 implements it in no file system (ffs, tmpfs,
    ... genfs_eopnotsupp; devices and FIFOs too): EOPNOTSUPP."""
    if pos < 0 or length < 0 or length > OFF_T_MAX - pos:
        return abi.EINVAL
    try:
        f, vp = _falloc_file(p, fd)
    except Errno as e:
        return e.errno
    if vp.type == abi.NBSD_S_IFDIR:
        return abi.EISDIR
    return abi.EOPNOTSUPP


def sys_fdiscard(p, fd, pos, length):
    """As posix_fallocate's checks, the error through errno; then
    VOP_FDISCARD: no file system implements it (EOPNOTSUPP); a character
    device goes to its driver's d_discard, which none of the guest's
    devices has (ENODEV)."""
    if pos < 0 or length < 0 or length > OFF_T_MAX - pos:
        raise Errno(abi.EINVAL)
    f, vp = _falloc_file(p, fd)
    if vp.type == abi.NBSD_S_IFDIR:
        raise Errno(abi.EISDIR)
    if vp.type in (abi.NBSD_S_IFCHR, abi.NBSD_S_IFBLK):
        raise Errno(abi.ENODEV)
    raise Errno(abi.EOPNOTSUPP)


# ---------------------------------------------------------------------------
# mremap(2)

MAP_REMAPDUP = 0x0004
MAP_FIXED = 0x0010
MAP_ALIGNMENT_SHIFT = 24
MAP_ALIGNMENT_MASK = 0xff << MAP_ALIGNMENT_SHIFT


def sys_mremap(p, old, oldsize, new, newsize, flags):
    """NetBSD's mremap(2) (uvm_mremap.c): resize or move [old, old+oldsize)
    to newsize bytes.  Flags other than MAP_FIXED, MAP_REMAPDUP and
    MAP_ALIGNED(n) are EINVAL; sizes are rounded to pages; unaligned
    addresses and empty or wrapping ranges are EINVAL; MAP_ALIGNED(n)
    needs 12 <= n < 32 (EINVAL; an alignment past the map ENOMEM), and with
    MAP_FIXED an address it fits (EINVAL).  In place when possible (not
    MAP_REMAPDUP, not moved by MAP_FIXED, alignment kept): the same size
    does nothing, a smaller one unmaps the tail, a larger one grows into
    free space after it; else (or when that space is taken) the mapping
    moves: with MAP_FIXED to new, which must be free (ENOMEM: mremap never
    replaces a mapping), otherwise to where mmap would put it; MAP_REMAPDUP
    keeps the old mapping, both then one memory (also across fork: each
    process's copy is one memory at both addresses, vm.VM.alias).  Growth
    continues the mapping's last piece (uvm_mapent_extend): its
    protection, and for a file mapping the file further on (a private
    one's new pages are copies of the file from there, as kw86 copies
    them at mmap); a range whose last page is not mapped cannot grow
    (EINVAL).  kw86's limit: the program's own text, data, break and
    stack cannot be moved or grown (EINVAL).  -> the new address."""
    _kernel(p)
    vm = p.vm
    if flags & ~(MAP_FIXED | MAP_REMAPDUP | MAP_ALIGNMENT_MASK) & 0xffffffff:
        raise Errno(abi.EINVAL)
    oldsize = (oldsize + PAGE - 1) & ~(PAGE - 1)
    newsize = (newsize + PAGE - 1) & ~(PAGE - 1)
    fixed = bool(flags & MAP_FIXED)
    dup = bool(flags & MAP_REMAPDUP)
    newva = new if fixed else 0
    if old & (PAGE - 1) or newva & (PAGE - 1):
        raise Errno(abi.EINVAL)
    if oldsize == 0 or newsize == 0 or old + oldsize > 1 << 32 or newva + newsize > 1 << 32:
        raise Errno(abi.EINVAL)         # (the sums wrap on NetBSD's 32-bit vaddr_t)
    align = 0
    shift = (flags & MAP_ALIGNMENT_MASK) >> MAP_ALIGNMENT_SHIFT
    if shift:
        if shift >= 32:
            raise Errno(abi.EINVAL)
        align = 1 << shift
        if align < PAGE:
            raise Errno(abi.EINVAL)
        if align >= abi.VM_MAXUSER_ADDRESS:
            raise Errno(abi.ENOMEM)
        if fixed:
            if newva & (align - 1):
                raise Errno(abi.EINVAL)
            align = 0
    if any(r.kind in ("text", "data", "heap", "stack") for r in vm.regions
           if r.start < old + oldsize and r.end > old):
        raise Errno(abi.EINVAL)
    # the piece a growth continues: the mapping of the range's last page
    tail = vm.region_at(old + oldsize - PAGE)
    from kw86.nbsd.syscalls.vm import _unmap
    if not dup and (not fixed or newva == old) and (align == 0 or old & (align - 1) == 0):
        if newsize == oldsize:
            return old
        if newsize < oldsize:
            _unmap(vm, old + newsize, oldsize - newsize)
            return old
        if _free(vm, old + oldsize, newsize - oldsize):
            _grow(vm, tail, old + oldsize, old + oldsize, newsize - oldsize)
            vm.m.flush_tlb()
            return old
        if fixed:
            raise Errno(abi.ENOMEM)
    # move (or duplicate): uvm_map_extract needs the old range mapped
    va = old
    while va < old + oldsize:
        r = vm.region_at(va)
        if r is None:
            raise Errno(abi.EINVAL)
        va = r.end
    if fixed:
        if not _free(vm, newva, newsize):
            raise Errno(abi.ENOMEM)
        dst = newva
    else:
        dst = vm.find_space(newsize, align=align or PAGE)
    vm.check_memory(newsize if dup else max(0, newsize - oldsize))
    _transfer(p, vm, old, dst, min(oldsize, newsize), dup)
    if newsize > oldsize:
        _grow(vm, tail, old + oldsize, dst + oldsize, newsize - oldsize)
    if not dup:
        _unmap(vm, old, oldsize)
    vm.m.flush_tlb()
    return dst


def _free(vm, start, length):
    end = start + length
    if end > abi.VM_MAXUSER_ADDRESS or start < PAGE:
        return False
    return not any(r.start < end and r.end > start for r in vm.regions if r.end > r.start)


def _grow(vm, tail, end, at, length):
    """uvm_mapent_extend: [at, at+length) continues `tail`, the mapping of
    the old range's last page (which ended at `end`): its protection and
    kind, a file mapping's object at the offsets after `end` (a shared
    one's pages fault in from it, a private one's are copies of the file
    from there, as its first pages were at mmap); EINVAL without one."""
    if tail is None:
        raise Errno(abi.EINVAL)
    vm.check_memory(length)
    src = tail.src if tail.kind == "file" else None
    off = tail.off + (end - tail.start) if tail.obj is not None or src is not None else 0
    vm.add_region(at, at + length, tail.prot,
                  "anon" if tail.kind == "file" and src is None else tail.kind,
                  tail.obj, off, src)
    if src is not None:
        from kw86.nbsd.syscalls.vm import copy_file_pages
        copy_file_pages(vm, vm.k.sys.bufcache, src, off, at, length, tail.prot)


def _transfer(p, vm, src, dst, length, dup):
    """[src, src+length)'s mapping at dst: regions copied (a shared file
    mapping keeps its object and offset: its pages fault in from it
    again); private pages moved by their page table entries, or, for
    MAP_REMAPDUP, the same frames entered twice (one more reference each;
    the untouched pages of the range made first, so that both see one
    memory)."""
    from kw86.nbsd.vm import Region
    end = src + length
    delta = dst - src
    for r in list(vm.regions):
        if r.end <= src or r.start >= end or r.end <= r.start:
            continue
        s, e = max(r.start, src), min(r.end, end)
        piece = r.piece(s, e)
        vm.regions.append(Region(s + delta, e + delta, piece.prot, piece.kind, piece.obj,
                                 piece.off, piece.src))
        piece.drop()
    m = vm.m
    for va in range(src, end, PAGE):
        r = vm.region_at(va)
        if r is None or r.obj is not None:
            continue                    # a shared file page: faulted again at dst
        if va not in vm.pages:
            if not dup:
                continue                # demand-zero at dst as it was here
            vm.map(va, r.prot)          # one frame for both addresses
        pa = vm.pages[va]
        a = vm._pte_addr(va, False)
        pte = m.read_u32(a)
        nva = va + delta
        if dup:
            vm.refs[pa] = vm.refs.get(pa, 0) + 1
            vm.pages[nva] = pa
            vm.dup_alias(va, nva)       # one memory: copy-on-write keeps them together
            if va in vm.cow:
                vm.cow.add(nva)
            m.write_u32(vm._pte_addr(nva, True), pte)
        else:
            del vm.pages[va]
            m.write_u32(a, 0)
            vm.pages[nva] = pa
            m.write_u32(vm._pte_addr(nva, True), pte)
            g = vm.alias.pop(va, None)
            if g is not None:           # a moved address of a MAP_REMAPDUP group
                g.discard(va)
                g.add(nva)
                vm.alias[nva] = g
            for s in (vm.cow, vm.locked, vm.inherit_zero):
                if va in s:
                    s.discard(va)
                    s.add(nva)
