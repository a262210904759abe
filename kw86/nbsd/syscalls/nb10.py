"""NetBSD 10 calls a real static NetBSD/i386 program makes beyond the
classic set: sysarch (%gs/%fs TLS bases; the LWP calls are in lwp.py), minherit, __pselect50, the *at family, utimensat /
futimens, msync and the mlock family.

Facts: NetBSD's syscalls.master (numbers, prototypes), i386 sysarch.h
(I386_GET_GSBASE 14, I386_GET_FSBASE 15, I386_SET_GSBASE 16,
I386_SET_FSBASE 17), sys/fcntl.h (AT_FDCWD -100, AT_EACCESS 0x100,
AT_SYMLINK_NOFOLLOW 0x200, AT_SYMLINK_FOLLOW 0x400, AT_REMOVEDIR 0x800),
sys/stat.h (UTIME_NOW (1<<30)-1, UTIME_OMIT (1<<30)-2), sys/mman.h
(MAP_INHERIT_SHARE 0, COPY 1, NONE 2, DONATE_COPY 3, ZERO 4).
"""
import struct
from contextlib import contextmanager

from kw86.nbsd import abi
from kw86.nbsd.abi import EINVAL
from kw86.nbsd.errors import Errno
from kw86.nbsd.syscalls import fs, poll, vm

I386_GET_GSBASE, I386_GET_FSBASE, I386_SET_GSBASE, I386_SET_FSBASE = 14, 15, 16, 17
AT_FDCWD = -100
AT_EACCESS, AT_SYMLINK_NOFOLLOW, AT_SYMLINK_FOLLOW, AT_REMOVEDIR = 0x100, 0x200, 0x400, 0x800
UTIME_NOW, UTIME_OMIT = (1 << 30) - 1, (1 << 30) - 2
MAP_INHERIT_SHARE, MAP_INHERIT_COPY, MAP_INHERIT_NONE, MAP_INHERIT_DONATE_COPY, \
    MAP_INHERIT_ZERO = 0, 1, 2, 3, 4
EBUSY = 16


# -- sysarch: the TLS segment bases ------------------------------------------

def set_fsbase(p, base):
    """The GUFS descriptor's base (%fs), like _lwp_setprivate for %gs."""
    p.fs_base = base & 0xffffffff
    k = p.kernel
    if k is not None:
        k.load_fs(p)


def sys_sysarch(p, op, parms):
    if op in (I386_GET_GSBASE, I386_GET_FSBASE):
        v = p.tls_base if op == I386_GET_GSBASE else p.fs_base
        p.mem.copyout(parms, struct.pack("<I", v & 0xffffffff))
        return 0
    if op in (I386_SET_GSBASE, I386_SET_FSBASE):
        base = struct.unpack("<I", p.mem.copyin(parms, 4))[0]
        if op == I386_SET_GSBASE:
            vm.sys__lwp_setprivate(p, base)
        else:
            set_fsbase(p, base)
        return 0
    # I386_GET_LDT/SET_LDT (no USER_LDT), IOPL/IOPERM (never for a guest),
    # PMC, MTRR, VM86: what a kernel without those options answers
    raise Errno(EINVAL)


# -- memory --------------------------------------------------------------------

def _range(p, addr, length):
    if addr & (abi.PAGE_SIZE - 1):
        raise Errno(EINVAL)
    end = addr + ((length + abi.PAGE_SIZE - 1) & ~(abi.PAGE_SIZE - 1))
    if length < 0 or end > abi.VM_MAXUSER_ADDRESS or end < addr:
        raise Errno(EINVAL)
    return addr, end


def sys_minherit(p, addr, length, inherit):
    """Record each page's fork inheritance: ZERO (arc4random's state) and
    NONE give the child fresh zero-filled pages; SHARE is kept as a
    copy (kw86 has no shared anonymous memory)."""
    if inherit not in (MAP_INHERIT_SHARE, MAP_INHERIT_COPY, MAP_INHERIT_NONE,
                       MAP_INHERIT_DONATE_COPY, MAP_INHERIT_ZERO):
        raise Errno(EINVAL)
    start, end = _range(p, addr, length)
    v = p.vm
    if v is None:
        return 0
    inh = v.inherit_zero
    for va in range(start, end, abi.PAGE_SIZE):
        if v.region_at(va) is None:
            raise Errno(abi.ENOMEM)
    for va in range(start, end, abi.PAGE_SIZE):
        if inherit in (MAP_INHERIT_ZERO, MAP_INHERIT_NONE):
            inh.add(va)
        else:
            inh.discard(va)
    return 0


def sys___msync13(p, addr, length, flags):
    """Write the range's MAP_SHARED file pages back (vm.VM.msync).  The
    buffer cache writes through, so MS_ASYNC and MS_SYNC both finish the
    writes before returning; MS_INVALIDATE has nothing more to drop (the
    mapping's pages are the cache's own).  NetBSD's msync(2): EINVAL for
    bad flags (ASYNC with SYNC) or an unaligned address, ENOMEM for a
    range with unmapped pages, EBUSY for MS_INVALIDATE over mlocked pages."""
    # MS_ASYNC 1, MS_INVALIDATE 2, MS_SYNC 4
    if flags & ~7 or (flags & 1 and flags & 4):
        raise Errno(EINVAL)
    start, end = _range(p, addr, length)
    v = p.vm
    if v is None:
        return 0
    if any(v.region_at(va) is None for va in range(start, end, abi.PAGE_SIZE)):
        raise Errno(abi.ENOMEM)
    if flags & 2 and any(va in v.locked for va in range(start, end, abi.PAGE_SIZE)):
        raise Errno(EBUSY)
    v.msync(start, end)
    return 0


def _lock_range(p, addr, length):
    a = addr & ~(abi.PAGE_SIZE - 1)
    start, end = _range(p, a, length + (addr - a))
    v = p.vm
    if v is not None:
        for va in range(start, end, abi.PAGE_SIZE):
            if v.region_at(va) is None:
                raise Errno(abi.ENOMEM)     # some of the range is not mapped
    return v, start, end


def _lock_limit(p, v, pages):
    """RLIMIT_MEMLOCK (the per-process limit): EAGAIN past it (mlock(2))."""
    from kw86.nbsd.syscalls.kern import getrlimit
    cur = getrlimit(p, abi.NBSD_RLIMIT_MEMLOCK)[0]
    n = len(v.locked | pages)
    if cur < abi.RLIM_INFINITY and n * abi.PAGE_SIZE > cur:
        raise Errno(abi.EAGAIN)
    from kw86.nbsd.vm import RESERVE_PAGES
    if len(pages.difference(v.pages)) > v.boot.frames.nfree() - RESERVE_PAGES:
        raise Errno(abi.EAGAIN)             # more than the machine's free memory


def _wire(v, pages):
    """Fault the pages in (an mlocked page never faults again: kw86 never
    pages out, so resident stays resident)."""
    for va in sorted(pages):
        if va not in v.pages and not v.fault(va, False):
            raise Errno(abi.ENOMEM)
    v.locked |= pages


def sys_mlock(p, addr, length):
    v, start, end = _lock_range(p, addr, length)
    if v is None:
        return 0
    pages = set(range(start, end, abi.PAGE_SIZE))
    _lock_limit(p, v, pages)
    _wire(v, pages)
    return 0


def sys_munlock(p, addr, length):
    v, start, end = _lock_range(p, addr, length)
    if v is not None:
        v.locked.difference_update(range(start, end, abi.PAGE_SIZE))
    return 0


def sys_mlockall(p, flags):
    """MCL_CURRENT wires every page of every accessible mapping, as UVM's
    uvm_map_pageable_all does (PROT_NONE reservations are skipped; the
    stack counts as far as RLIMIT_STACK makes it accessible), faulting in
    what was never touched; EAGAIN past RLIMIT_MEMLOCK or the machine's
    memory.  MCL_FUTURE is recorded (kw86 never pages anything out)."""
    if not flags or flags & ~3:             # MCL_CURRENT 1, MCL_FUTURE 2
        raise Errno(EINVAL)
    v = p.vm
    if v is not None:
        if flags & 1:
            pages = set()
            for r in v.regions:
                if r.prot & 7 and r.end > r.start:
                    pages.update(range(r.start, r.end, abi.PAGE_SIZE))
            _lock_limit(p, v, pages)
            _wire(v, pages)
        v.lock_future = bool(flags & 2)
    return 0


def sys_munlockall(p):
    v = p.vm
    if v is not None:
        v.locked.clear()
        v.lock_future = False
    return 0


# -- select with a timespec and a mask ---------------------------------------

def sys___pselect50(p, nd, ins, ous, exs, ts, mask):
    """select with a timespec; the signal mask is in force for the wait,
    atomically, as __pollts50's (poll.with_sigmask)."""
    tmo = None
    if ts:
        sec, nsec = abi.unpack_timespec(p.mem.copyin(ts, 12))
        if sec < 0 or not 0 <= nsec < 10**9:
            raise Errno(EINVAL)
        tmo = sec * 10**9 + nsec
    return poll.with_sigmask(p, mask, lambda: poll.select_ns(p, nd, ins, ous, exs, tmo))


# -- the *at calls -------------------------------------------------------------

@contextmanager
def at(p, fd, path):
    """Resolve a relative path from the directory open on fd (AT_FDCWD: the
    current directory), like NetBSD's fd_nameiat: the call runs with that
    directory as its cwd."""
    if fd == AT_FDCWD or fd & 0xffffffff == AT_FDCWD & 0xffffffff:
        yield
        return
    name = fs._path(p, path) if path else b""
    if name[:1] == b"/":
        yield
        return
    f = p.fdt.get(fd)
    vp = getattr(f, "vp", None)
    stack = getattr(f, "stack", None)
    if vp is None or stack is None:
        raise Errno(abi.ENOTDIR if vp is not None else abi.EBADF)
    if vp.type != abi.NBSD_S_IFDIR:
        raise Errno(abi.ENOTDIR)
    saved = p.cwd
    p.cwd = list(stack)
    try:
        yield
    finally:
        p.cwd = saved


def _signed(fd):
    return fd - (1 << 32) if fd & 0x80000000 else fd


def sys_openat(p, fd, path, oflags, mode):
    with at(p, _signed(fd), path):
        return fs.sys_open(p, path, oflags, mode)


_MAXPATHLEN = abi.MAXPATHLEN
_AT_FDCWD32 = AT_FDCWD & 0xffffffff
_VDIR = abi.NBSD_S_IFDIR


def _at_stack(p, fd):
    """The namei stack of the directory open on fd (at()'s checks)."""
    f = p.fdt.get(fd)
    vp = getattr(f, "vp", None)
    stack = getattr(f, "stack", None)
    if vp is None or stack is None:
        raise Errno(abi.ENOTDIR if vp is not None else abi.EBADF)
    if vp.type != abi.NBSD_S_IFDIR:
        raise Errno(abi.ENOTDIR)
    return stack


def sys_fstatat(p, fd, path, buf, flag):
    # as NetBSD's do_sys_statat: the path is copied in once, then the
    # directory of a relative one taken from fd (ls -l's call: kept lean)
    if flag & ~AT_SYMLINK_NOFOLLOW:
        raise Errno(EINVAL)
    mem = p.mem
    name = mem.copyinstr(path, _MAXPATHLEN)
    if fd & 0xffffffff == _AT_FDCWD32 or name[:1] == b"/":
        start = None
    else:
        # _at_stack(p, _signed(fd)), inline
        sfd = fd - (1 << 32) if fd & 0x80000000 else fd
        f = p.fdt.get(sfd)
        start = getattr(f, "stack", None)
        vp = getattr(f, "vp", None)
        if start is None or vp is None or vp.type != _VDIR:
            start = _at_stack(p, sfd)           # raises its errno
    st = p.sys.vfs.namei(p, name, not flag & AT_SYMLINK_NOFOLLOW, start=start, stat50=True)
    mem.copyout(buf, st if st.__class__ is bytes else st[-1][1].stat50())


def sys_faccessat(p, fd, path, amode, flag):
    if flag & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW):
        raise Errno(EINVAL)
    with at(p, _signed(fd), path):
        if flag & AT_EACCESS:
            from kw86.nbsd.vfs import access
            vp = fs._lookup(p, path, not flag & AT_SYMLINK_NOFOLLOW)
            if amode & ~7:
                raise Errno(EINVAL)
            if amode:
                access(vp, p.cred, amode)
            return 0
        return fs.sys_access(p, path, amode)


def sys_fchmodat(p, fd, path, mode, flag):
    if flag & ~AT_SYMLINK_NOFOLLOW:
        raise Errno(EINVAL)
    with at(p, _signed(fd), path):
        return (fs.sys_lchmod if flag & AT_SYMLINK_NOFOLLOW else fs.sys_chmod)(p, path, mode)


def sys_fchownat(p, fd, path, uid, gid, flag):
    if flag & ~AT_SYMLINK_NOFOLLOW:
        raise Errno(EINVAL)
    with at(p, _signed(fd), path):
        return (fs.sys_lchown if flag & AT_SYMLINK_NOFOLLOW else fs.sys_chown)(p, path, uid, gid)


def sys_mkdirat(p, fd, path, mode):
    with at(p, _signed(fd), path):
        return fs.sys_mkdir(p, path, mode)


def sys_mkfifoat(p, fd, path, mode):
    with at(p, _signed(fd), path):
        return fs.sys_mkfifo(p, path, mode)


def sys_unlinkat(p, fd, path, flag):
    if flag & ~AT_REMOVEDIR:
        raise Errno(EINVAL)
    with at(p, _signed(fd), path):
        return (fs.sys_rmdir if flag & AT_REMOVEDIR else fs.sys_unlink)(p, path)


def sys_readlinkat(p, fd, path, buf, bufsize):
    with at(p, _signed(fd), path):
        return fs.sys_readlink(p, path, buf, bufsize)


def sys_symlinkat(p, path1, fd, path2):
    with at(p, _signed(fd), path2):
        return fs.sys_symlink(p, path1, path2)


def sys_renameat(p, fromfd, frm, tofd, to):
    # each relative name from its descriptor's directory (its namei stack:
    # that directory itself, wherever it has been moved), as NetBSD's
    # do_sys_renameat; never a path rebuilt from names and looked up again
    fstart, fpath = _at_path(p, _signed(fromfd), frm)
    tstart, tpath = _at_path(p, _signed(tofd), to)
    return fs.do_rename(p, fpath, tpath, fstart, tstart)


def sys_linkat(p, fd1, name1, fd2, name2, flags):
    if flags & ~AT_SYMLINK_FOLLOW:
        raise Errno(EINVAL)
    start, path = _at_path(p, _signed(fd1), name1)
    lstart, lpath = _at_path(p, _signed(fd2), name2)
    # POSIX linkat: a symbolic link name1 is followed only with AT_SYMLINK_FOLLOW
    return fs.do_link(p, path, lpath, bool(flags & AT_SYMLINK_FOLLOW), start, lstart)


def _at_path(p, fd, addr):
    """(directory stack or None, path bytes) for an *at path argument."""
    name = fs._path(p, addr)
    if fd == AT_FDCWD or name[:1] == b"/":
        return None, name
    f = p.fdt.get(fd)
    if getattr(f, "vp", None) is None or getattr(f, "stack", None) is None or \
            f.vp.type != abi.NBSD_S_IFDIR:
        raise Errno(abi.ENOTDIR)
    return list(f.stack), name


# -- utimensat / futimens ------------------------------------------------------

def _times(p, tptr):
    """(atime, mtime) in ns or None to leave; UTIME_NOW/UTIME_OMIT."""
    now = p.sys.clock()
    if not tptr:
        return now, now, True
    raw = p.mem.copyin(tptr, 24)
    out = []
    for i in range(2):
        sec, nsec = abi.unpack_timespec(raw[12 * i:12 * i + 12])
        if nsec == UTIME_NOW:
            out.append(now)
        elif nsec == UTIME_OMIT:
            out.append(None)
        elif not 0 <= nsec < 10**9:
            raise Errno(EINVAL)
        else:
            out.append(sec * 10**9 + nsec)
    only_now = all(
        abi.unpack_timespec(raw[12 * i:12 * i + 12])[1] in (UTIME_NOW, UTIME_OMIT)
        for i in range(2))
    return out[0], out[1], only_now


def _utimens(p, vp, tptr):
    from kw86.nbsd.vfs import VWRITE, access
    a = vp.getattr()
    if vp.mount is not None and vp.mount.readonly:
        raise Errno(abi.EROFS)
    at_, mt, only_now = _times(p, tptr)
    if at_ is None and mt is None:
        return 0
    if only_now:
        if p.cred.euid not in (0, a.uid):
            access(vp, p.cred, VWRITE)
    else:
        fs._owner_or_root(p, a)
    kw = {}
    if at_ is not None:
        kw["atime"] = at_
    if mt is not None:
        kw["mtime"] = mt
    vp.setattr(p.cred, **kw)
    return 0


def sys_utimensat(p, fd, path, tptr, flag):
    if flag & ~AT_SYMLINK_NOFOLLOW:
        raise Errno(EINVAL)
    with at(p, _signed(fd), path):
        vp = fs._lookup(p, path, not flag & AT_SYMLINK_NOFOLLOW)
    return _utimens(p, vp, tptr)


def sys_futimens(p, fd, tptr):
    return _utimens(p, fs._fvp(p, fd)[1], tptr)



# -- statvfs: opendir's union-mount check (fstatvfs1), df, getmntinfo --------
#
# struct statvfs (NetBSD 9+, i386, 3268 bytes): f_flag, f_bsize, f_frsize,
# f_iosize (u_long) @0; f_blocks, f_bfree, f_bavail, f_bresvd, f_files,
# f_ffree, f_favail, f_fresvd (u64) @16; sync/async reads/writes (u64) @80;
# f_fsidx (2 x i32) @112; f_fsid, f_namemax (u_long), f_owner @120;
# f_spare[4] (u64) @132; f_fstypename[32] @164; f_mntonname[1024] @196;
# f_mntfromname[1024] @1220; f_mntfromlabel[1024] @2244.  The compat_90
# calls use the same layout without f_mntfromlabel (2244 bytes).
STATVFS_SIZE, STATVFS90_SIZE = 3268, 2244
MNT_RDONLY, MNT_NOSUID, MNT_NODEV, MNT_LOCAL = 0x1, 0x8, 0x10, 0x1000
ST_WAIT, ST_NOWAIT = 1, 2
_FSTYPE = {"hostfs": "ffs", "mfs": "mfs", "devfs": "tmpfs", "synthetic": "ffs"}
_FROM = {"hostfs": "/dev/wd0a", "mfs": "mfs:kw86", "devfs": "tmpfs"}


def pack_statvfs(m, size=STATVFS_SIZE):
    st = m.statfs()
    bsize = st.get("bsize", 8192)
    frsize = st.get("frsize", bsize)
    blocks, bfree = st.get("blocks", 0), st.get("bfree", 0)
    files, ffree = st.get("files", 0), st.get("ffree", 0)
    flag = MNT_LOCAL | (MNT_RDONLY if m.readonly else 0)
    if m.fstype == "devfs":
        flag |= MNT_NOSUID
    on = ("/" + "/".join(c.decode("latin-1") for c in m.path)).encode()
    typ = _FSTYPE.get(m.fstype, m.fstype).encode()
    frm = _FROM.get(m.fstype, m.fstype).encode() if m.path or m.fstype != "hostfs" \
        else b"/dev/wd0a"
    if m.fstype == "hostfs" and m.path:
        # a --bind: named by its mount point, never by its host path (a
        # guest sees no host path: the bind may lie inside the sysroot)
        frm = b"kw86:" + on
    dev = getattr(m, "dev", 0)
    head = struct.pack("<4I8Q4Q2iIII4Q", flag, bsize, frsize, bsize,
                       blocks, bfree, bfree, 0, files, ffree, ffree, 0,
                       0, 0, 0, 0, dev & 0x7fffffff, m.fstype == "mfs" and 0xfe or 0,
                       dev & 0xffffffff, abi.NAME_MAX, 0, 0, 0, 0, 0)
    assert len(head) == 164
    out = head + typ[:31].ljust(32, b"\0") + on[:1023].ljust(1024, b"\0") + \
        frm[:1023].ljust(1024, b"\0") + b"\0" * 1024
    return out[:size]


def _statvfs_out(p, m, buf, flags, size):
    if flags & ~(ST_WAIT | ST_NOWAIT):
        raise Errno(EINVAL)
    p.mem.copyout(buf, pack_statvfs(m, size))
    return 0


def _mount_of(vp):
    m = vp.mount
    if m is None or m.fstype == "synthetic":
        m = m.vfs.root_mount if m is not None and m.vfs is not None else m
    if m is None:
        raise Errno(abi.EOPNOTSUPP)
    return m


def sys___statvfs190(p, path, buf, flags):
    return _statvfs_out(p, _mount_of(fs._lookup(p, path, True)), buf, flags, STATVFS_SIZE)


def sys___fstatvfs190(p, fd, buf, flags):
    vp = getattr(p.fdt.get(fd), "vp", None)
    if vp is None:
        raise Errno(abi.EOPNOTSUPP)             # a pipe or socket has no file system
    return _statvfs_out(p, _mount_of(vp), buf, flags, STATVFS_SIZE)


def _getvfsstat(p, buf, bufsize, flags, size):
    if flags & ~(ST_WAIT | ST_NOWAIT):
        raise Errno(EINVAL)
    mounts = sorted((m for m in p.sys.vfs.mounts.values()), key=lambda m: m.path)
    if not buf:
        return len(mounts)
    n = min(len(mounts), bufsize // size)
    for i, m in enumerate(mounts[:n]):
        p.mem.copyout(buf + i * size, pack_statvfs(m, size))
    return n


def sys___getvfsstat90(p, buf, bufsize, flags):
    return _getvfsstat(p, buf, bufsize, flags, STATVFS_SIZE)


def sys_statvfs1_90(p, path, buf, flags):
    return _statvfs_out(p, _mount_of(fs._lookup(p, path, True)), buf, flags, STATVFS90_SIZE)


def sys_fstatvfs1_90(p, fd, buf, flags):
    vp = getattr(p.fdt.get(fd), "vp", None)
    if vp is None:
        raise Errno(abi.EOPNOTSUPP)
    return _statvfs_out(p, _mount_of(vp), buf, flags, STATVFS90_SIZE)


def sys_getvfsstat_90(p, buf, bufsize, flags):
    return _getvfsstat(p, buf, bufsize, flags, STATVFS90_SIZE)


# -- posix_fadvise, chflags ----------------------------------------------------

def sys___posix_fadvise50(p, fd, offset, length, advice):
    """Advice only (cp asks POSIX_FADV_SEQUENTIAL); NetBSD's checks."""
    f = p.fdt.get(fd)
    if getattr(f, "pipe", None) is not None:
        raise Errno(abi.ESPIPE)
    if not 0 <= advice <= 5 or length < 0:       # NORMAL..NOREUSE
        raise Errno(EINVAL)
    return 0


def _chflags(p, vp, flags):
    """File flags: kw86's file systems keep none, so only 0 can be set
    (what cp -p and install do for ordinary files); others EOPNOTSUPP."""
    a = vp.getattr()
    if vp.mount is not None and vp.mount.readonly:
        raise Errno(abi.EROFS)
    fs._owner_or_root(p, a)
    if flags & 0xffffffff:
        raise Errno(abi.EOPNOTSUPP)
    return 0


def sys_chflags(p, path, flags):
    return _chflags(p, fs._lookup(p, path, True), flags)


def sys_lchflags(p, path, flags):
    return _chflags(p, fs._lookup(p, path, False), flags)


def sys_fchflags(p, fd, flags):
    return _chflags(p, fs._fvp(p, fd)[1], flags)


def sys_fdatasync(p, fd):
    return fs.sys_fsync(p, fd)


def sys_fsync_range(p, fd, flags, start, length):
    # FDATASYNC 0x10, FFILESYNC 0x20 (one of them), FDISKSYNC 0x40
    if not flags & 0x30 or flags & ~0x70 or start < 0 or length < 0:
        raise Errno(EINVAL)
    f = p.fdt.get(fd)
    if not f.fflags & abi.FWRITE:
        raise Errno(abi.EBADF)
    return fs.sys_fsync(p, fd)
