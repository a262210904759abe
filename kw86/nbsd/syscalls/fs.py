"""File-system system calls: open files, paths, attributes, directories.

Each sys_* is `handler(p, *args)` for a table row; it returns the result or
raises Errno.  Work shared between calls (read/readv/pread, the stat
family, the utimes family) lives in the do_* helpers, as in NetBSD's
vfs_syscalls.c / sys_generic.c.
"""
import struct

from kw86.nbsd import abi
from kw86.nbsd.abi import (EBADF, EEXIST, EFTYPE, EINVAL, EISDIR, ENOENT,
                           ENOTDIR, EPERM, EPIPE, ERANGE, EXDEV, FREAD, FWRITE)
from kw86.nbsd.errors import Errno, WouldBlock
from kw86.nbsd.file import DevFile, PipeFile, VnodeFile, make_pipe
from kw86.nbsd.vfs import VDIR, VLNK, VREG, VCHR, VEXEC, VREAD, VWRITE, Cred, access, \
    check_sticky
from kw86.nbsd.vfs import vnode_key as vfs_vnode_key

CHUNK = 1 << 20             # bytes moved per step of a big read/write
IOV_MAX = 1024
_MAXPATHLEN = abi.MAXPATHLEN
SSIZE_MAX = 0x7fffffff
NOCHANGE = 0xffffffff       # (uid_t)-1 / (gid_t)-1


def _path(p, addr):
    return p.mem.copyinstr(addr, abi.MAXPATHLEN)


def _namei(p, addr, follow=True):
    return p.sys.vfs.namei(p, _path(p, addr), follow)


def _lookup(p, addr, follow=True):
    return _namei(p, addr, follow)[-1][1]


def _parent(p, addr, follow=False):
    return p.sys.vfs.namei(p, _path(p, addr), follow, parent=True)


def _fvp(p, fd):
    f = p.fdt.get(fd)
    vp = getattr(f, "vp", None)
    if vp is None:
        raise Errno(EINVAL)
    return f, vp


# ---------------------------------------------------------------------------
# read / write

def _streaming(f):
    if isinstance(f, VnodeFile):
        return True
    return isinstance(f, DevFile) and f.device.name in ("zero", "null")


def do_read(p, f, buf, n, off=None):
    if n > SSIZE_MAX:
        raise Errno(EINVAL)
    total = 0
    while total < n or n == 0:
        want = min(CHUNK, n - total)
        try:
            data = f.read(p, want) if off is None else f.pread(p, want, off + total)
        except (WouldBlock, Errno) as e:
            if total and (isinstance(e, WouldBlock) or e.errno == abi.EAGAIN):
                break
            raise
        if data:
            p.mem.copyout(buf + total, data)
            total += len(data)
        if n == 0 or len(data) < want or not _streaming(f):
            break
    return total


def _gather(p, segs, start, want):
    """want bytes of user memory from the iovec list segs, from byte start."""
    out = []
    for base, n in segs:
        if start >= n:
            start -= n
            continue
        k = min(n - start, want)
        out.append(p.mem.copyin(base + start, k))
        want -= k
        start = 0
        if not want:
            break
    return b"".join(out)


def do_write(p, f, buf, n, off=None, segs=None):
    """write(2) of n bytes at buf (or, for writev, of the iovecs segs)."""
    if n > SSIZE_MAX:
        raise Errno(EINVAL)
    lim = p.rlimits.get(abi.NBSD_RLIMIT_FSIZE)
    if lim is not None and f.__class__ is VnodeFile and f.vp.type == VREG:
        _rlimit_fsize(p, f, n, off, lim[0])
    total = 0
    # A blocking write to a pipe or tty moves all its data (POSIX): when it
    # must sleep half-way, the count so far is kept in p.wpartial and the
    # restarted call goes on from there (a signal then returns the count).
    # writev is one write of its whole vector.
    key = (id(f), buf, n) if segs is None else (id(f), "v", tuple(segs))
    wp = p.wpartial
    if wp is not None:
        p.wpartial = None
        if wp[0] == key:
            total = wp[1]
    try:
        while total < n or n == 0:
            want = min(CHUNK, n - total)
            data = p.mem.copyin(buf + total, want) if segs is None else \
                _gather(p, segs, total, want)
            try:
                k = f.write(p, data) if off is None else f.pwrite(p, data, off + total)
            except (WouldBlock, Errno) as e:
                if total and isinstance(e, WouldBlock):
                    p.wpartial = (key, total)
                    raise
                if total and (isinstance(e, WouldBlock) or e.errno == abi.EAGAIN):
                    break
                raise
            total += k
            if n == 0 or (k < want and not isinstance(f, PipeFile) and f.kind != "socket"):
                break
    except Errno as e:
        if e.errno == EPIPE and not getattr(f, "nosigpipe", False):
            p.post_signal(abi.NBSD_SIGPIPE)     # dofilewrite: EPIPE -> SIGPIPE
        raise
    return total


def _rlimit_fsize(p, f, n, off, cur):
    """RLIMIT_FSIZE, as NetBSD's enforce_rlimit_fsize (vfs_vnops.c): a write
    to a regular file that would end past the limit (from the end of the
    file for O_APPEND) is refused whole, EFBIG, and the process gets
    SIGXFSZ (whose default action ends it with a core)."""
    if off is not None:
        start = off
    elif f.flags & abi.NBSD_O_APPEND:
        start = f.vp.getsize()
    else:
        start = f.offset
    if start + n > cur:
        p.post_signal(abi.NBSD_SIGXFSZ)
        raise Errno(abi.EFBIG)


def sys_read(p, fd, buf, nbyte):
    return do_read(p, p.fdt.get(fd), buf, nbyte)


def sys_write(p, fd, buf, nbyte):
    return do_write(p, p.fdt.get(fd), buf, nbyte)


def sys_pread(p, fd, buf, nbyte, offset):
    f = p.fdt.get(fd)
    if offset < 0 and isinstance(f, VnodeFile):
        raise Errno(EINVAL)
    return do_read(p, f, buf, nbyte, offset)


def sys_pwrite(p, fd, buf, nbyte, offset):
    f = p.fdt.get(fd)
    if offset < 0 and isinstance(f, VnodeFile):
        raise Errno(EINVAL)
    return do_write(p, f, buf, nbyte, offset)


def _iovecs(p, iovp, iovcnt):
    if iovcnt < 0 or iovcnt > IOV_MAX:
        raise Errno(EINVAL)
    raw = p.mem.copyin(iovp, 8 * iovcnt) if iovcnt else b""
    iov = [struct.unpack_from("<II", raw, 8 * i) for i in range(iovcnt)]
    if sum(n for _, n in iov) > SSIZE_MAX:
        raise Errno(EINVAL)
    return iov


def _vec(p, fd, iovp, iovcnt, op, off=None):
    f = p.fdt.get(fd)
    total = 0
    for base, n in _iovecs(p, iovp, iovcnt):
        if n == 0:
            continue
        try:
            k = op(p, f, base, n, None if off is None else off + total)
        except (Errno, WouldBlock):
            if total:
                break
            raise
        total += k
        if k < n:
            break
    return total


def sys_readv(p, fd, iovp, iovcnt):
    f = p.fdt.get(fd)
    if f.kind == "socket":                  # one receive into the whole vector
        from kw86.nbsd.syscalls.socket import sock_readv
        return sock_readv(p, fd, f, iovp, iovcnt)
    return _vec(p, fd, iovp, iovcnt, do_read)


def _writev(p, fd, iovp, iovcnt, off=None):
    f = p.fdt.get(fd)
    segs = [(b, n) for b, n in _iovecs(p, iovp, iovcnt) if n]
    if not segs:
        return 0
    return do_write(p, f, 0, sum(n for _, n in segs), off, segs)


def sys_writev(p, fd, iovp, iovcnt):
    return _writev(p, fd, iovp, iovcnt)


def sys_preadv(p, fd, iovp, iovcnt, offset):
    return _vec(p, fd, iovp, iovcnt, do_read, offset)


def sys_pwritev(p, fd, iovp, iovcnt, offset):
    f = p.fdt.get(fd)
    if offset < 0 and isinstance(f, VnodeFile):
        raise Errno(EINVAL)
    return _writev(p, fd, iovp, iovcnt, offset)


# ---------------------------------------------------------------------------
# open / close

def vn_open(p, path, flags, mode):
    """Open a guest path; returns the File (not yet in the descriptor table)."""
    abi.check_open_flags(flags)
    fflags = (flags & abi.NBSD_O_ACCMODE) + 1
    vfs = p.sys.vfs
    nofollow = bool(flags & abi.NBSD_O_NOFOLLOW)
    created = False
    if flags & abi.NBSD_O_CREAT:
        excl = bool(flags & abi.NBSD_O_EXCL)
        try:
            stack, name, vp = vfs.namei(p, path, follow=not (excl or nofollow), parent=True)
        except Errno as e:
            if e.errno == EINVAL:           # "/", ".", ".." with O_CREAT
                vp = vfs.lookup(p, path)
                raise Errno(EISDIR if vp.type == VDIR else EEXIST) from None
            raise
        dvp = stack[-1][1]
        if vp is None:
            if path.endswith(b"/"):
                raise Errno(EISDIR)
            access(dvp, p.cred, VWRITE)
            vp = dvp.create(name, mode & ~p.umask & abi.NBSD_ALLPERMS & ~abi.NBSD_S_ISVTX, p.cred)
            created = True
        elif excl:
            raise Errno(EEXIST)
        stack = stack + [(name, vp)]
    else:
        stack = vfs.namei(p, path, follow=not nofollow)
        vp = stack[-1][1]
    if vp.type == VLNK:
        # O_NOFOLLOW on a symbolic link: NetBSD's open(2) gives EFTYPE (its
        # manual notes that POSIX says ELOOP; Go's os package expects EFTYPE)
        raise Errno(EFTYPE)
    if flags & abi.NBSD_O_DIRECTORY and vp.type != VDIR:
        raise Errno(ENOTDIR)
    if vp.type == VDIR and (fflags & FWRITE or flags & abi.NBSD_O_TRUNC and not created):
        raise Errno(EISDIR)
    if not created:
        want = (VREAD if fflags & FREAD else 0) | \
            (VWRITE if fflags & FWRITE or flags & abi.NBSD_O_TRUNC else 0)
        access(vp, p.cred, want)
    if vp.type in (VCHR, abi.NBSD_S_IFBLK) and getattr(vp, "device", None) is None:
        raise Errno(abi.ENXIO)              # a host device node: no driver here, never the host's
    if vp.type == VCHR:
        shared = vp.device.open(p, fflags)
        if shared is not None:
            return shared
        return DevFile(vp, fflags, flags)
    if vp.type == abi.NBSD_S_IFIFO:
        return fifo_open(p, vp, fflags, flags)
    if vp.type not in (VREG, VDIR):
        raise Errno(abi.EOPNOTSUPP)        # sockets in the tree
    if flags & abi.NBSD_O_TRUNC and not created and vp.type == VREG and fflags & FWRITE:
        vp.truncate(0, p.cred)
        p.sys.bufcache.truncate(vp, 0)
    return VnodeFile(vp, fflags, flags, p.sys.bufcache, stack, vfs)


def fifo_open(p, vp, fflags, flags):
    """NetBSD fifo_open: the opener counts as a reader/writer at once (so
    the other side sees it), then a reader waits for a writer and a writer
    for a reader, unless O_NONBLOCK (a reader opens at once, a writer gets
    ENXIO); O_RDWR never waits.  A waiting open keeps its count across the
    restart (p.fifo_wait); one that is gone (exit, another FIFO opened
    after an EINTR) gives it back.  Opens in progress are the LWP's: two
    LWPs of one process (a reader and a writer) wait for each other."""
    from kw86.nbsd.sched import wakeup
    from kw86.nbsd.file import FifoFile, Pipe
    sysm = p.sys
    reg = sysm.fifos
    pend = sysm.fifo_pending     # (pid, lid) -> (key, pipe, rd, wr, gens)
    key = vfs_vnode_key(vp)
    procs = getattr(sysm, "procs", None) or {}
    me = (p.pid, p.l.lid)
    for who, (k, pp, r, w, _g) in list(pend.items()):       # openers that went away
        q = procs.get(who[0])
        ql = None if q is None or q.state == "zomb" else q.lwps.get(who[1])
        if who != me and (ql is None or ql.state == "zomb" or ql.fifo_wait != k):
            del pend[who]
            pp.readers -= r
            pp.writers -= w
            wakeup(pp)
    rd, wr = int(bool(fflags & FREAD)), int(bool(fflags & FWRITE))
    mine = pend.get(me)
    if mine is not None and (mine[0] != key or (mine[2], mine[3]) != (rd, wr)):
        del pend[me]                         # an earlier open was interrupted
        mine[1].readers -= mine[2]
        mine[1].writers -= mine[3]
        wakeup(mine[1])
        mine = None
    if mine is None:
        pp = reg.get(key)
        if pp is None:
            pp = reg[key] = Pipe(sysm.clock, uid=p.cred.euid, gid=p.cred.egid)
            pp.rgen = pp.wgen = 0
        pp.readers += rd
        pp.writers += wr
        pp.rgen += rd                           # (fifofs fi_rgen / fi_wgen: an opener
        pp.wgen += wr                           # that came and went still counts)
        gens = (pp.rgen, pp.wgen)
        wakeup(("fifo", key))
    else:
        pp = mine[1]
        gens = mine[4]
    nonblock = bool(flags & abi.NBSD_O_NONBLOCK)
    wait = False
    if rd and not wr and not pp.writers and pp.wgen == gens[1] and not nonblock:
        wait = True
    if wr and not rd and not pp.readers and pp.rgen == gens[0]:
        if nonblock:
            pend.pop(me, None)
            p.fifo_wait = None
            pp.writers -= 1
            if pp.readers <= 0 and pp.writers <= 0 and reg.get(key) is pp:
                del reg[key]
            raise Errno(abi.ENXIO)
        wait = True
    if wait:
        pend[me] = (key, pp, rd, wr, gens)
        p.fifo_wait = key
        raise WouldBlock(("fifo", key))
    pend.pop(me, None)
    p.fifo_wait = None
    return FifoFile(pp, vp, fflags, flags, reg, key)


def sys_open(p, path, flags, mode):
    f = vn_open(p, _path(p, path), flags & 0xffffffff, mode)
    try:
        return p.fdt.alloc(f, cloexec=bool(flags & abi.NBSD_O_CLOEXEC))
    except Errno:
        if f.refs == 0:
            f.close_final()
        raise


def sys_close(p, fd):
    f = p.fdt.get(fd)
    if len(p.lwps) > 1:
        _restart_users(p, fd, f)
    p.fdt.close(fd)


def _restart_users(p, fd, f):
    """NetBSD fd_close with other LWPs inside a call on the descriptor: it
    restarts them (fo_restart: pipe_restart, soo_restart) and waits until
    they leave; the restarted call finds the descriptor gone (EBADF), a
    write that had already moved some bytes returns that count (dofilewrite:
    ERESTART after a partial transfer is success).  Here: the process's
    LWPs asleep in a read/write-like call on the file (not poll, select or
    kevent, which hold no reference) when no other descriptor of the
    process names it, decided now, so that the number cannot be reused
    under them."""
    from kw86.nbsd import trap
    if any(s is not None and s[0] is f for i, s in enumerate(p.fdt.slots) if i != fd):
        return
    if isinstance(f, PipeFile):
        # one end's sleepers: writers wait only on a non-empty buffer,
        # readers only on an empty one
        if bool(f.pipe.buf) != (f.end == "w"):
            return
        chan = f.pipe
    elif f.kind == "socket":
        chan = f
    else:
        return
    k = p.kernel
    for l in p.lwps.values():
        if l is p.l or l.state != "sleep" or l.blocked is None or l.timed_start is not None \
                or not any(c is chan for c in l.wchans):
            continue
        wp = l.wpartial
        count = wp[1] if wp is not None and wp[0].__class__ is tuple and \
            wp[0][0] == id(f) and wp[1] else None
        l.wpartial = None
        trap.interrupt(l, count, err=EBADF)
        if k is not None:
            k._setrun(l)


# ---------------------------------------------------------------------------
# names: link, unlink, symlink, readlink, mkdir, rmdir, rename

def sys_link(p, path, link):
    do_link(p, _path(p, path), _path(p, link), True)


def do_link(p, path, lpath, follow, start=None, lstart=None):
    """link(2)/linkat(2): start, lstart are the namei stacks of the directories
    the relative paths start from (the *at calls' descriptors: the
    directories themselves, wherever they are now), None for the cwd."""
    vfs = p.sys.vfs
    vp = vfs.namei(p, path, follow, start=start)[-1][1]
    if vp.type == VDIR:
        raise Errno(EPERM)
    stack, name, tvp = vfs.namei(p, lpath, False, parent=True, start=lstart)
    if tvp is not None:
        raise Errno(EEXIST)
    if lpath.endswith(b"/"):
        raise Errno(ENOENT)                 # "x/" names a directory: only mkdir makes one
    dvp = stack[-1][1]
    if dvp.mount is not vp.mount:
        raise Errno(EXDEV)
    access(dvp, p.cred, VWRITE)
    dvp.link(name, vp)


def sys_unlink(p, path):
    stack, name, vp = _parent(p, path)
    if vp is None:
        raise Errno(ENOENT)
    if vp.type == VDIR:
        raise Errno(EPERM)
    dvp = stack[-1][1]
    access(dvp, p.cred, VWRITE)
    check_sticky(dvp, vp, p.cred)
    dvp.remove(name, vp)
    if vp.type == VREG and vp.mount.fstype != "devfs":
        p.sys.bufcache.invalidate(vp)


def sys_symlink(p, path, link):
    target = _path(p, path)
    lpath = _path(p, link)
    stack, name, vp = p.sys.vfs.namei(p, lpath, False, parent=True)
    if vp is not None:
        raise Errno(EEXIST)
    if lpath.endswith(b"/"):
        raise Errno(ENOENT)                 # "x/" names a directory: only mkdir makes one
    dvp = stack[-1][1]
    access(dvp, p.cred, VWRITE)
    dvp.symlink(name, target, 0o777 & ~p.umask, p.cred)


def sys_readlink(p, path, buf, count):
    vp = _lookup(p, path, follow=False)
    if vp.type != VLNK:
        raise Errno(EINVAL)
    data = vp.readlink()[:count]
    p.mem.copyout(buf, data)
    return len(data)


ACCESSPERMS = 0o777                     # <sys/stat.h>: S_IRWXU | S_IRWXG | S_IRWXO


def sys_mkdir(p, path, mode):
    stack, name, vp = _parent(p, path)
    if vp is not None:
        raise Errno(EEXIST)
    dvp = stack[-1][1]
    access(dvp, p.cred, VWRITE)
    # NetBSD do_sys_mkdirat/ufs_mkdir: the mode is masked with ACCESSPERMS (0777):
    # no set-id or sticky bit from mkdir (chmod sets those)
    dvp.mkdir(name, mode & ~p.umask & ACCESSPERMS, p.cred)


def sys_mkfifo(p, path, mode):
    stack, name, vp = _parent(p, path)
    if vp is not None:
        raise Errno(EEXIST)
    dvp = stack[-1][1]
    access(dvp, p.cred, VWRITE)
    dvp.mkfifo(name, mode & ~p.umask & abi.NBSD_ALLPERMS, p.cred)


def sys_rmdir(p, path):
    s = _path(p, path)
    last = [c for c in s.split(b"/") if c][-1:] or [b"/"]
    if last[0] == b".":
        raise Errno(EINVAL)
    if last[0] in (b"..", b"/"):
        raise Errno(abi.ENOTEMPTY if last[0] == b".." else abi.EBUSY)
    stack, name, vp = p.sys.vfs.namei(p, s, False, parent=True)
    if vp is None:
        raise Errno(ENOENT)
    if vp.type != VDIR:
        raise Errno(ENOTDIR)
    if vp.mount.root is vp or vp.mount.fstype == "synthetic":
        raise Errno(abi.EBUSY)              # a mount point (or the way to one)
    dvp = stack[-1][1]
    access(dvp, p.cred, VWRITE)
    check_sticky(dvp, vp, p.cred)
    dvp.rmdir(name, vp)


def sys_rename(p, frm, to):
    do_rename(p, _path(p, frm), _path(p, to))


def sys___posix_rename(p, frm, to):
    do_rename(p, _path(p, frm), _path(p, to), posix=True)


def do_rename(p, fpath, tpath, fstart=None, tstart=None, posix=False):
    """rename(2)/renameat(2) (fstart, tstart: as do_link's); posix: NetBSD's
    __posix_rename (libc's rename under _POSIX_C_SOURCE/_XOPEN_SOURCE)."""
    vfs = p.sys.vfs
    fstack, fname, fvp = vfs.namei(p, fpath, False, parent=True, start=fstart)
    if fvp is None:
        raise Errno(ENOENT)
    tstack, tname, tvp = vfs.namei(p, tpath, False, parent=True, start=tstart)
    if fvp.type != VDIR and tpath.endswith(b"/"):
        raise Errno(ENOTDIR)                # a non-directory cannot become "x/"
    fdvp, tdvp = fstack[-1][1], tstack[-1][1]
    if fdvp.mount is not tdvp.mount or fvp.mount is not fdvp.mount or \
            (tvp is not None and tvp.mount is not tdvp.mount):
        raise Errno(EXDEV)
    access(fdvp, p.cred, VWRITE)
    access(tdvp, p.cred, VWRITE)
    check_sticky(fdvp, fvp, p.cred)
    if tvp is not None:
        check_sticky(tdvp, tvp, p.cred)
    if fvp is tvp:
        # two names of one file: __posix_rename does nothing (POSIX); NetBSD's
        # rename(2) and renameat(2) do nothing only for the same name in the
        # same directory, else the from name goes (their manual page: "If both
        # from and to refer to the same name in the same directory")
        if posix or fvp.type == VDIR or (fdvp is tdvp and fname == tname):
            return
        fdvp.remove(fname, fvp)
        return
    if fvp.type == VDIR:
        if any(v is fvp for _, v in tstack):
            raise Errno(EINVAL)             # into its own subtree
        if vfs.on_mount_path(fstack, fname):
            raise Errno(abi.EBUSY)          # a mount point lies below it (VFS.on_mount_path)
        if tvp is not None and tvp.type != VDIR:
            raise Errno(ENOTDIR)
    elif tvp is not None and tvp.type == VDIR:
        raise Errno(EISDIR)
    fdvp.rename(fname, fvp, tdvp, tname, tvp)
    if tvp is not None and tvp.type == VREG:
        p.sys.bufcache.invalidate(tvp)


# ---------------------------------------------------------------------------
# directories: chdir, fchdir, getcwd, getdents

def sys_chdir(p, path):
    stack = _namei(p, path)
    vp = stack[-1][1]
    if vp.type != VDIR:
        raise Errno(ENOTDIR)
    access(vp, p.cred, VEXEC)
    p.cwd = stack


def _under(stack, root):
    """The directory of a namei stack lies under (or is) the root whose
    stack is given (NetBSD's vn_isunder)."""
    return len(stack) >= len(root) and all(a[1] is b[1] for a, b in zip(stack, root))


def sys_fchdir(p, fd):
    f = p.fdt.get(fd)
    if not isinstance(f, VnodeFile) or f.vp.type != VDIR or f.stack is None:
        raise Errno(ENOTDIR)
    access(f.vp, p.cred, VEXEC)
    if not _under(f.stack, p.root):
        raise Errno(EPERM)              # NetBSD's fchdir: not under the process's root
    p.cwd = list(f.stack)


def sys_chroot(p, path):
    if p.cred.euid != 0:
        raise Errno(EPERM)
    stack = _namei(p, path)
    if stack[-1][1].type != VDIR:
        raise Errno(ENOTDIR)
    p.root = stack
    if not _under(p.cwd, stack):
        # NetBSD's change_root: a working directory outside the new root
        # would be a way out of it; it silently becomes the new root
        p.cwd = list(stack)


def getcwd_path(p):
    cwd, root = p.cwd, p.root
    if len(cwd) >= len(root) and all(a[1] is b[1] for a, b in zip(cwd, root)):
        rel = cwd[len(root):]
    else:
        rel = cwd[1:]
    return b"/" + b"/".join(n for n, _ in rel)


def sys___getcwd(p, buf, length):
    path = getcwd_path(p)
    if length < 2:
        raise Errno(EINVAL if length == 0 else ERANGE)
    if len(path) + 1 > length:
        raise Errno(ERANGE)
    p.mem.copyout(buf, path + b"\0")
    return len(path) + 1


def _getdents(p, fd, buf, count, abiv):
    f = p.fdt.get(fd)
    data = f.getdents(p, min(count, 1 << 20), abiv)
    p.mem.copyout(buf, data)
    cost = p.sys.kcost["getdents_entry"]
    if cost:                            # kernel-cost table: per entry returned
        # the file's count of the records it just packed (VnodeFile), else
        # counted here by walking them
        n = getattr(f, "getdents_records", None)
        if n is None:
            roff = 8 if abiv == "10" else 4         # d_reclen
            n = off = 0
            while off + roff + 2 <= len(data):
                reclen = data[off + roff] | data[off + roff + 1] << 8
                if not reclen:
                    break
                off += reclen
                n += 1
        p.sys.kcharge(n * cost)
    return len(data)


def sys___getdents30(p, fd, buf, count):
    return _getdents(p, fd, buf, count, "10")


def sys_getdents12(p, fd, buf, count):
    return _getdents(p, fd, buf, count, "15")


def sys_lseek(p, fd, offset, whence):
    return p.fdt.get(fd).seek(offset, whence)


# ---------------------------------------------------------------------------
# attributes: stat family, chmod/chown/utimes, access, truncate

def _copystat(p, attr, ub, abiv):
    p.mem.copyout(ub, abi.pack_stat50(attr) if abiv == "10" else abi.pack_stat13(attr))


def sys___stat50(p, path, ub):
    # (the hot path of ls -l: _lookup and _copystat inline; namei's stat50
    # mode answers with the packed struct when it can, else with the stack)
    mem = p.mem
    st = p.sys.vfs.namei(p, mem.copyinstr(path, _MAXPATHLEN), True, stat50=True)
    mem.copyout(ub, st if st.__class__ is bytes else st[-1][1].stat50())


def sys___lstat50(p, path, ub):
    mem = p.mem
    st = p.sys.vfs.namei(p, mem.copyinstr(path, _MAXPATHLEN), False, stat50=True)
    mem.copyout(ub, st if st.__class__ is bytes else st[-1][1].stat50())


def sys___fstat50(p, fd, sb):
    _copystat(p, p.fdt.get(fd).stat(), sb, "10")


def sys___stat13(p, path, ub):
    _copystat(p, _lookup(p, path, True).stat_attr(), ub, "15")


def sys___lstat13(p, path, ub):
    _copystat(p, _lookup(p, path, False).stat_attr(), ub, "15")


def sys___fstat13(p, fd, sb):
    _copystat(p, p.fdt.get(fd).stat(), sb, "15")


def _owner_or_root(p, a):
    if p.cred.euid != 0 and p.cred.euid != a.uid:
        raise Errno(EPERM)


def do_chmod(p, vp, mode):
    a = vp.getattr()
    if vp.mount is not None and vp.mount.readonly:
        raise Errno(abi.EROFS)          # before the owner check, as ufs_setattr (and chown here)
    _owner_or_root(p, a)
    mode &= abi.NBSD_ALLPERMS
    if p.cred.euid != 0:
        if vp.type != VDIR and mode & abi.NBSD_S_ISVTX:
            raise Errno(EFTYPE)             # BSD: sticky on a file is root's
        if mode & abi.NBSD_S_ISGID and not p.cred.groupmember(a.gid):
            raise Errno(EPERM)
    vp.setattr(p.cred, mode=mode)


def sys_chmod(p, path, mode):
    do_chmod(p, _lookup(p, path, True), mode)


def sys_fchmod(p, fd, mode):
    do_chmod(p, _fvp(p, fd)[1], mode)


def sys_lchmod(p, path, mode):
    do_chmod(p, _lookup(p, path, False), mode)


def do_chown(p, vp, uid, gid, posix=True):
    """chown and its kin. posix: NetBSD's __posix_chown family (libc's chown
    under _POSIX_C_SOURCE/_XOPEN_SOURCE): a caller other than root loses the
    set-id bits; else NetBSD's own chown(2) (16, 123, 275): a change of owner
    clears S_ISUID and a change of group S_ISGID, whoever calls (chown(2))."""
    a = vp.getattr()
    uid = None if uid == NOCHANGE else uid
    gid = None if gid == NOCHANGE else gid
    if vp.mount is not None and vp.mount.readonly:
        raise Errno(abi.EROFS)
    if p.cred.euid != 0:
        # _POSIX_CHOWN_RESTRICTED: only the owner, to one of its groups
        if p.cred.euid != a.uid or (uid is not None and uid != a.uid) or \
                (gid is not None and gid != a.gid and not p.cred.groupmember(gid)):
            raise Errno(EPERM)
    vp.setattr(p.cred, uid=uid, gid=gid)
    # POSIX semantics: a caller other than root loses the set-user-id and
    # set-group-id bits, whatever the file type (directories too)
    if posix:
        clear = (abi.NBSD_S_ISUID | abi.NBSD_S_ISGID) if p.cred.euid != 0 else 0
    else:
        clear = (abi.NBSD_S_ISUID if uid is not None else 0) | \
            (abi.NBSD_S_ISGID if gid is not None else 0)
    if a.mode & clear:
        vp.setattr(p.cred, mode=a.mode & abi.NBSD_ALLPERMS & ~clear)


def sys_chown(p, path, uid, gid):
    do_chown(p, _lookup(p, path, True), uid, gid, posix=False)


def sys_fchown(p, fd, uid, gid):
    do_chown(p, _fvp(p, fd)[1], uid, gid, posix=False)


def sys_lchown(p, path, uid, gid):
    do_chown(p, _lookup(p, path, False), uid, gid, posix=False)


def sys___posix_chown(p, path, uid, gid):
    do_chown(p, _lookup(p, path, True), uid, gid)


def sys___posix_fchown(p, fd, uid, gid):
    do_chown(p, _fvp(p, fd)[1], uid, gid)


def sys___posix_lchown(p, path, uid, gid):
    do_chown(p, _lookup(p, path, False), uid, gid)


def do_utimes(p, vp, tptr, abiv):
    a = vp.getattr()
    if vp.mount is not None and vp.mount.readonly:
        raise Errno(abi.EROFS)
    if tptr == 0:
        if p.cred.euid not in (0, a.uid):
            access(vp, p.cred, VWRITE)
        now = p.sys.clock()
        vp.setattr(p.cred, atime=now, mtime=now)
        return
    _owner_or_root(p, a)
    sz = abi.timespec_size(abiv)
    raw = p.mem.copyin(tptr, 2 * sz)
    ts = []
    for i in range(2):
        sec, usec = abi.unpack_timeval(raw[i * sz:(i + 1) * sz], abiv)
        if usec < 0 or usec >= 1000000:
            raise Errno(EINVAL)
        ts.append(sec * 10**9 + usec * 1000)
    vp.setattr(p.cred, atime=ts[0], mtime=ts[1])


def sys___utimes50(p, path, tptr):
    do_utimes(p, _lookup(p, path, True), tptr, "10")


def sys___lutimes50(p, path, tptr):
    do_utimes(p, _lookup(p, path, False), tptr, "10")


def sys___futimes50(p, fd, tptr):
    do_utimes(p, _fvp(p, fd)[1], tptr, "10")


def sys_utimes(p, path, tptr):
    do_utimes(p, _lookup(p, path, True), tptr, "15")


def sys_lutimes(p, path, tptr):
    do_utimes(p, _lookup(p, path, False), tptr, "15")


def sys_futimes(p, fd, tptr):
    do_utimes(p, _fvp(p, fd)[1], tptr, "15")


def sys_access(p, path, mode):
    if mode & ~7:
        raise Errno(EINVAL)
    c = p.cred
    real = Cred(c.ruid, c.rgid, c.groups)       # access(2) checks the real ids
    ctx = _Ctx(p, real)
    vp = p.sys.vfs.lookup(ctx, _path(p, path))
    if mode:
        access(vp, real, mode)


class _Ctx:
    def __init__(self, p, cred):
        self.root, self.cwd, self.cred = p.root, p.cwd, cred


def sys_truncate(p, path, length):
    vp = _lookup(p, path, True)
    if length < 0:
        raise Errno(EINVAL)
    if vp.type == VDIR:
        raise Errno(EISDIR)
    access(vp, p.cred, VWRITE)
    vp.truncate(length, p.cred)
    p.sys.bufcache.truncate(vp, length)


def sys_ftruncate(p, fd, length):
    f = p.fdt.get(fd)
    if length < 0 or not f.fflags & FWRITE or not isinstance(f, VnodeFile):
        raise Errno(EINVAL)
    f.vp.truncate(length, p.cred)
    p.sys.bufcache.truncate(f.vp, length)


def sys_fsync(p, fd):
    f = p.fdt.get(fd)
    if isinstance(f, VnodeFile):
        f.vp.fsync()
    elif getattr(f, "vp", None) is None:
        raise Errno(EINVAL)                 # a pipe or socket (NetBSD: no vnode to sync)


def sys_umask(p, newmask):
    old = p.umask
    p.umask = newmask & abi.NBSD_ALLPERMS
    return old


# ---------------------------------------------------------------------------
# descriptors: dup, dup2, fcntl, pipe, ioctl

def sys_dup(p, fd):
    return p.fdt.alloc(p.fdt.get(fd))


def sys_dup2(p, from_, to):
    f = p.fdt.get(from_)
    if to < 0 or to >= p.fdt.limit:
        raise Errno(EBADF)
    if from_ == to:
        return to
    return p.fdt.install(to, f)


def sys_dup3(p, from_, to, flags):
    if flags & ~abi.NBSD_O_CLOEXEC or from_ == to:
        raise Errno(EINVAL)
    f = p.fdt.get(from_)
    if to < 0 or to >= p.fdt.limit:
        raise Errno(EBADF)
    return p.fdt.install(to, f, cloexec=bool(flags & abi.NBSD_O_CLOEXEC))


_FLOCK = struct.Struct("<qqihh")            # l_start, l_len, l_pid, l_type, l_whence


def sys_fcntl(p, fd, cmd, arg):
    t = p.fdt
    if cmd == abi.NBSD_F_CLOSEM:
        if fd < 0:
            raise Errno(EBADF)
        t.closefrom(fd)
        return 0
    if cmd == abi.NBSD_F_MAXFD:
        return t.maxfd()
    f = t.get(fd)
    if cmd in (abi.NBSD_F_DUPFD, abi.NBSD_F_DUPFD_CLOEXEC):
        a = arg - (1 << 32) if arg & 0x80000000 else arg
        if a < 0 or a >= t.limit:
            raise Errno(EINVAL)
        return t.alloc(f, a, cloexec=cmd == abi.NBSD_F_DUPFD_CLOEXEC)
    if cmd == abi.NBSD_F_GETFD:
        return abi.NBSD_FD_CLOEXEC if t.get_cloexec(fd) else 0
    if cmd == abi.NBSD_F_SETFD:
        t.set_cloexec(fd, arg & abi.NBSD_FD_CLOEXEC)
        return 0
    if cmd == abi.NBSD_F_GETFL:
        return f.getfl()
    if cmd == abi.NBSD_F_SETFL:
        f.flags = (f.flags & ~abi.NBSD_FCNTLFLAGS) | (arg & abi.NBSD_FCNTLFLAGS)
        return 0
    if cmd == abi.NBSD_F_GETOWN:
        return 0
    if cmd == abi.NBSD_F_SETOWN:
        return 0
    if cmd in (abi.NBSD_F_GETLK, abi.NBSD_F_SETLK, abi.NBSD_F_SETLKW):
        if not isinstance(f, VnodeFile):
            raise Errno(EINVAL)
        from kw86.nbsd import lockf         # record locks across processes (lockf.py)
        return lockf.fcntl_lock(p, f, cmd, arg, _FLOCK)
    raise Errno(EINVAL)


def sys_flock(p, fd, how):
    from kw86.nbsd import lockf             # (lockf.py)
    return lockf.flock(p, p.fdt.get(fd), how)


def _pipe(p, flags=0):
    r, w = make_pipe(p.sys.clock, p.cred.euid, p.cred.egid)
    if flags & abi.NBSD_O_NONBLOCK:
        r.flags |= abi.NBSD_O_NONBLOCK
        w.flags |= abi.NBSD_O_NONBLOCK
    ce = bool(flags & abi.NBSD_O_CLOEXEC)
    try:
        fd0 = p.fdt.alloc(r, cloexec=ce)
    except Errno:
        r.close_final()
        w.close_final()
        raise
    try:
        fd1 = p.fdt.alloc(w, cloexec=ce)
    except Errno:
        p.fdt.close(fd0)
        w.close_final()
        raise
    return fd0, fd1


def sys_pipe(p):
    return _pipe(p)


O_NOSIGPIPE = 0x01000000


def sys_pipe2(p, fildes, flags):
    if flags & ~(abi.NBSD_O_CLOEXEC | abi.NBSD_O_NONBLOCK | O_NOSIGPIPE):
        raise Errno(EINVAL)
    fd0, fd1 = _pipe(p, flags)
    try:
        p.mem.copyout(fildes, struct.pack("<ii", fd0, fd1))
    except Exception:
        p.fdt.close(fd0)
        p.fdt.close(fd1)
        raise
    return 0


def sys_ioctl(p, fd, com, data):
    f = p.fdt.get(fd)
    if not f.fflags & (FREAD | FWRITE):
        raise Errno(EBADF)
    if com == abi.NBSD_FIOCLEX:
        p.fdt.set_cloexec(fd, True)
        return 0
    if com == abi.NBSD_FIONCLEX:
        p.fdt.set_cloexec(fd, False)
        return 0
    size = (com >> 16) & 0x1fff
    din = None
    if com & abi.IOC_IN and size:
        din = p.mem.copyin(data, size)
    if com == abi.NBSD_FIONBIO:
        if int.from_bytes(din, "little"):
            f.flags |= abi.NBSD_O_NONBLOCK
        else:
            f.flags &= ~abi.NBSD_O_NONBLOCK
        return 0
    out = f.ioctl(p, com, din)
    if com & abi.IOC_OUT and out is not None and size:
        p.mem.copyout(data, bytes(out[:size]).ljust(size, b"\0"))
    return 0

