"""Open files (NetBSD's struct file), descriptor tables and pipes.

An open file is shared by dup, dup2, fcntl(F_DUPFD), fork and /dev/stdin;
it holds the offset and the status flags (O_APPEND, O_NONBLOCK...).  A
descriptor slot holds the file and its close-on-exec flag.

Nothing blocks the host: an empty pipe (or a tty with no input) raises
WouldBlock(chan) unless the file is non-blocking (then EAGAIN); the
scheduler sleeps the process on `chan` and reruns the system call after
`sched.wakeup(chan)`.
"""
import struct

from kw86.nbsd import abi
from kw86.nbsd.abi import (EAGAIN, EBADF, EINVAL, EISDIR, EMFILE, ENFILE, ENOTDIR, ENOTTY,
                           EPIPE, ESPIPE, FREAD, FWRITE)
from kw86.nbsd.errors import Errno, WouldBlock
from kw86.nbsd.sched import wakeup
from kw86.nbsd.vfs import VDIR, VREG, write_clears_setid

_DIRENT10_HEAD = struct.Struct("<QHHB")     # d_fileno, d_reclen, d_namlen, d_type (abi.pack_dirent)
_NULS = bytes(8)


class File:
    """Base open file."""

    kind = "?"
    _nf = None                          # the OpenFiles it counts in, once installed

    def __init__(self, fflags, flags):
        self.fflags = fflags            # FREAD | FWRITE
        self.flags = flags & abi.NBSD_FCNTLFLAGS   # status flags F_GETFL shows
        self.offset = 0
        self.refs = 0

    @property
    def nonblock(self):
        return bool(self.flags & abi.NBSD_O_NONBLOCK)

    def getfl(self):
        return (self.fflags - 1) | self.flags   # FFLAGS -> O_ACCMODE: minus one

    def read(self, p, n):
        raise Errno(EBADF)

    def write(self, p, data):
        raise Errno(EBADF)

    def pread(self, p, n, off):
        raise Errno(ESPIPE)

    def pwrite(self, p, data, off):
        raise Errno(ESPIPE)

    def seek(self, off, whence):
        raise Errno(ESPIPE)

    def stat(self):
        raise NotImplementedError

    def ioctl(self, p, cmd, data):
        raise Errno(ENOTTY)

    def getdents(self, p, nbytes, abiv):
        raise Errno(ENOTDIR)

    def readable_bytes(self):
        return 0

    def close_final(self):
        """The last reference is gone."""

    # for ERESTART-free blocking: the scheduler needs to know where to sleep
    def _block(self, chan):
        if self.nonblock:
            raise Errno(EAGAIN)
        raise WouldBlock(chan)


class VnodeFile(File):
    """A file, directory or symbolic link of a file system."""

    kind = "vnode"

    def __init__(self, vp, fflags, flags, bufcache, stack=None, vfs=None):
        super().__init__(fflags, flags)
        self.vp = vp
        self.bc = bufcache
        self.stack = stack              # namei stack (directories: for '..' and mounts)
        self.vfs = vfs
        self._dirsnap = None
        vp.open(fflags)
        reval = getattr(vp, "revalidate", None)
        if reval is not None and bufcache is not None:
            reval(bufcache)

    def __repr__(self):
        return f"<VnodeFile {self.vp!r} off={self.offset}>"

    def _check_read(self):
        if not self.fflags & FREAD:
            raise Errno(EBADF)
        if self.vp.type == VDIR:
            raise Errno(EISDIR)
        if self.vp.type != VREG:
            raise Errno(EINVAL)

    def _check_write(self):
        if not self.fflags & FWRITE:
            raise Errno(EBADF)
        if self.vp.type != VREG:
            raise Errno(EISDIR if self.vp.type == VDIR else EINVAL)

    def pread(self, p, n, off):
        self._check_read()
        if off < 0:
            raise Errno(EINVAL)
        data = self.bc.read(self.vp, off, n, self.vp.getsize())
        if n > 0:
            # every read marks the file accessed (NetBSD's ufs read:
            # IN_ACCESS), whether or not its blocks were in the cache
            mark = getattr(self.vp, "mark_update", None)
            if mark is not None:
                mark(False)
        return data

    def read(self, p, n):
        data = self.pread(p, n, self.offset)
        self.offset += len(data)
        return data

    def pwrite(self, p, data, off):
        self._check_write()
        if off < 0:
            raise Errno(EINVAL)
        if not data:
            return 0
        n = self.bc.write(self.vp, off, data, self.vp.getsize())
        if n and p is not None and p.cred.euid != 0:
            write_clears_setid(self.vp, p.cred)         # (NetBSD's ufs write)
        return n

    def write(self, p, data):
        self._check_write()
        if self.flags & abi.NBSD_O_APPEND:
            self.offset = self.vp.getsize()
        n = self.pwrite(p, data, self.offset)
        self.offset += n
        return n

    def seek(self, off, whence):
        if whence == abi.NBSD_SEEK_SET:
            new = off
        elif whence == abi.NBSD_SEEK_CUR:
            new = self.offset + off
        elif whence == abi.NBSD_SEEK_END:
            new = self.vp.getsize() + off
        else:
            raise Errno(EINVAL)
        if new < 0:
            raise Errno(EINVAL)
        if self.vp.type == VDIR and new == 0:
            self._dirsnap = None
        self.offset = new
        return new

    def stat(self):
        return self.vp.getattr()

    def ioctl(self, p, cmd, data):
        if cmd == abi.NBSD_FIONREAD and self.vp.type == VREG:
            n = max(0, self.vp.getsize() - self.offset)
            return min(n, 0x7fffffff).to_bytes(4, "little")
        raise Errno(ENOTTY)

    def readable_bytes(self):
        return max(0, self.vp.getsize() - self.offset) if self.vp.type == VREG else 0

    def dir_entries(self):
        """The directory's entries in a stable order: '.', '..', sorted names."""
        vp = self.vp
        me = vp.getattr().ino
        up = me
        if self.stack and len(self.stack) > 1:
            up = self.stack[-2][1].getattr().ino
        ents = {n: (i, t) for n, i, t in vp.readdir()}
        if self.vfs is not None and self.stack is not None:
            dirpath = tuple(n for n, _ in self.stack[1:])
            for n in self.vfs.mount_children(dirpath):
                if n not in ents:
                    try:
                        cvp = self.vfs.child_at(dirpath, n, vp)
                    except Errno:
                        continue
                    ents[n] = (cvp.getattr().ino, abi.NBSD_DT_DIR)
        out = [(b".", me, abi.NBSD_DT_DIR), (b"..", up, abi.NBSD_DT_DIR)]
        out += [(n, i, t) for n, (i, t) in sorted(ents.items())]
        return out

    def getdents(self, p, nbytes, abiv):
        if self.vp.type != VDIR:
            raise Errno(ENOTDIR)
        if not self.fflags & FREAD:
            raise Errno(EBADF)
        if self._dirsnap is None or self.offset == 0:
            self._dirsnap = self.dir_entries()
        out = []
        used = 0
        i = self.offset
        snap = self._dirsnap
        n = len(snap)
        if abiv == "10":
            # abi.pack_dirent's __getdents30 record, inline (a call per entry
            # of ls's directories): 13-byte head, name, NUL padding to 8
            pack, append = _DIRENT10_HEAD.pack, out.append
            while i < n:
                name, ino, t = snap[i]
                nl = len(name)
                reclen = (nl + 21) & ~7         # (13 + nl + 1 + 7) & ~7
                if used + reclen > nbytes:
                    break
                append(pack(ino, reclen, nl, t) + name + _NULS[:reclen - 13 - nl])
                used += reclen
                i += 1
        while i < n and abiv != "10":
            name, ino, t = snap[i]
            if len(name) > 255:
                i += 1                  # dirent12 cannot carry it
                continue
            rec = abi.pack_dirent(ino, t, name, abiv)
            if used + len(rec) > nbytes:
                break
            out.append(rec)
            used += len(rec)
            i += 1
        if not out and i < len(snap):
            raise Errno(EINVAL)         # buffer too small for one entry
        self.offset = i
        self.getdents_records = len(out)        # (the per-entry charge: syscalls/fs.py)
        return b"".join(out)

    def close_final(self):
        self.vp.close(self.fflags)


class DevFile(File):
    """An open character device."""

    kind = "dev"

    def __init__(self, vp, fflags, flags):
        super().__init__(fflags, flags)
        self.vp = vp
        self.device = vp.device

    def __repr__(self):
        return f"<DevFile {self.device.name}>"

    def read(self, p, n):
        if not self.fflags & FREAD:
            raise Errno(EBADF)
        try:
            return self.device.read(self, n)
        except WouldBlock:
            if self.nonblock:
                raise Errno(EAGAIN) from None
            raise

    def write(self, p, data):
        if not self.fflags & FWRITE:
            raise Errno(EBADF)
        return self.device.write(self, data)

    def seek(self, off, whence):
        # character devices accept lseek and ignore it (NetBSD returns the offset)
        if whence == abi.NBSD_SEEK_SET:
            self.offset = off
        elif whence == abi.NBSD_SEEK_CUR:
            self.offset += off
        elif whence != abi.NBSD_SEEK_END:
            raise Errno(EINVAL)
        return self.offset

    def stat(self):
        return self.vp.getattr()

    def ioctl(self, p, cmd, data):
        return self.device.ioctl(self, cmd, data)

    def poll(self, events):
        fn = getattr(self.device, "poll", None)
        if fn is not None:
            return fn(events)
        return events & (0x1 | 0x40 | 0x4)             # null, zero: always ready

    def readable_bytes(self):
        return self.device.readable_bytes()


# ---------------------------------------------------------------------------
# Pipes

class Pipe:
    """A unidirectional pipe: PIPE_SIZE bytes of buffer, PIPE_BUF atomicity."""

    _next_ino = 1

    def __init__(self, clock=None, capacity=abi.PIPE_SIZE, uid=0, gid=0):
        self.buf = bytearray()
        self.capacity = capacity
        self.readers = 0
        self.writers = 0
        self.ino = Pipe._next_ino
        Pipe._next_ino += 1
        t = int(clock()) if clock else 0
        self.atime = self.mtime = self.ctime = t
        self.clock = clock
        self.uid, self.gid = uid, gid

    def _now(self):
        return int(self.clock()) if self.clock else 0


class PipeFile(File):
    kind = "pipe"

    def __init__(self, pipe, end):
        fflags = FREAD if end == "r" else FWRITE
        super().__init__(fflags, 0)
        self.pipe = pipe
        self.end = end
        if end == "r":
            pipe.readers += 1
        else:
            pipe.writers += 1

    def __repr__(self):
        return f"<PipeFile {self.end} {self.pipe.ino} {len(self.pipe.buf)}B>"

    def read(self, p, n):
        if not self.fflags & FREAD:
            raise Errno(EBADF)
        pp = self.pipe
        if pp.buf:
            data = bytes(pp.buf[:n])
            del pp.buf[:n]
            pp.atime = pp._now()
            wakeup(pp)
            return data
        if pp.writers == 0 or n == 0:
            return b""
        self._block(pp)

    def write(self, p, data):
        """Raises Errno(EPIPE) with no reader; the caller posts SIGPIPE."""
        if not self.fflags & FWRITE:
            raise Errno(EBADF)
        pp = self.pipe
        if pp.readers == 0:
            raise Errno(EPIPE)
        n = len(data)
        if n == 0:
            return 0
        space = pp.capacity - len(pp.buf)
        if space <= 0 or (n <= abi.PIPE_BUF and space < n):
            self._block(pp)
        # a short count: do_write goes on (and sleeps) for a blocking fd
        k = min(space, n)
        pp.buf += data[:k]
        pp.mtime = pp._now()
        wakeup(pp)
        return k

    def stat(self):
        pp = self.pipe
        return abi.Attr(mode=abi.NBSD_S_IFIFO | 0o600, ino=pp.ino, nlink=1, uid=pp.uid,
                        gid=pp.gid, size=len(pp.buf), blksize=abi.PIPE_SIZE,
                        atime=pp.atime, mtime=pp.mtime, ctime=pp.ctime, birthtime=pp.ctime,
                        dev=0)

    def ioctl(self, p, cmd, data):
        if cmd == abi.NBSD_FIONREAD:
            return len(self.pipe.buf).to_bytes(4, "little")
        raise Errno(ENOTTY)

    def poll(self, events):
        """NetBSD pipe_poll: readable with data or at EOF, writable with
        PIPE_BUF of space or with no reader; POLLHUP when the other end is gone."""
        pp = self.pipe
        rev = 0
        if self.fflags & FREAD:
            if pp.buf or pp.writers == 0:
                rev |= events & (0x1 | 0x40)            # POLLIN | POLLRDNORM
            if pp.writers == 0:
                rev |= 0x10                             # POLLHUP
        if self.fflags & FWRITE:
            if pp.readers == 0 or pp.capacity - len(pp.buf) >= abi.PIPE_BUF:
                rev |= events & 0x4                     # POLLOUT (= POLLWRNORM)
            if pp.readers == 0:
                rev |= 0x10
        return rev

    def readable_bytes(self):
        return len(self.pipe.buf)

    def close_final(self):
        pp = self.pipe
        if self.fflags & FREAD:
            pp.readers -= 1
        if self.fflags & FWRITE:
            pp.writers -= 1
        wakeup(pp)


class FifoFile(PipeFile):
    """An open FIFO (named pipe): a Pipe shared by everyone who opened the
    same vnode (System.fifos), read and written like a pipe; O_RDWR opens
    both ends.  Its data goes when the last opener closes (NetBSD fifofs)."""

    kind = "fifo"

    def __init__(self, pipe, vp, fflags, flags, registry, key):
        File.__init__(self, fflags, flags)
        self.pipe = pipe
        self.vp = vp
        self.end = "rw" if fflags & FREAD and fflags & FWRITE else ("r" if fflags & FREAD else "w")
        self._registry, self._key = registry, key   # (fifo_open counted this opener)
        wakeup(("fifo", key))

    def __repr__(self):
        return f"<FifoFile {self.end} {len(self.pipe.buf)}B>"

    def stat(self):
        a = self.vp.getattr()
        a.size = 0
        return a

    def close_final(self):
        super().close_final()
        pp = self.pipe
        if pp.readers <= 0 and pp.writers <= 0 and self._registry.get(self._key) is pp:
            del self._registry[self._key]       # no opener left: the data goes
        wakeup(("fifo", self._key))


def make_pipe(clock=None, uid=0, gid=0):
    pp = Pipe(clock, uid=uid, gid=gid)
    return PipeFile(pp, "r"), PipeFile(pp, "w")


# ---------------------------------------------------------------------------
# Descriptor tables

MAXFILES = 3404                         # kern.maxfiles (NetBSD 10 on a small i386)


class OpenFiles:
    """The system's open files against kern.maxfiles (NetBSD's nfiles: a
    file counts from its first descriptor until its last reference, a
    descriptor or a message in flight, is gone).  Past the limit a new
    file is ENFILE, whoever asks.  Every pipe, socket, kqueue and open
    device or file keeps kernel state in kw86's host memory (a pipe up to
    PIPE_SIZE bytes of data), which the per-process RLIMIT_NOFILE alone
    bounded only per process: 160 processes of 3,404 descriptors each."""
    __slots__ = ("n", "limit", "knotes")

    def __init__(self, limit=MAXFILES):
        self.n = 0
        self.limit = limit
        self.knotes = 0                 # in all kqueues (kqueue.KQ_MAXKNOTES)

    def charge(self, f):
        if f._nf is None:
            if self.n >= self.limit:
                raise Errno(ENFILE)
            self.n += 1
            f._nf = self


def uncharge(f):
    """f's last reference is gone (after its close_final)."""
    nf = f._nf
    if nf is not None:
        nf.n -= 1
        f._nf = None


class FdTable:
    """fd -> (open file, close-on-exec)."""

    def __init__(self, limit=abi.OPEN_MAX, nfiles=None):
        self.slots = []
        self.limit = limit
        self.nfiles = nfiles            # the system's OpenFiles (None: no system limit)
        self.kq = None                  # its kqueues' descriptor knotes (kqueue.FdKnotes)
        self.lock_owner = None          # (System, pid) once it set a record lock (lockf.py)

    def __len__(self):
        return sum(1 for s in self.slots if s is not None)

    def get(self, fd):
        if 0 <= fd < len(self.slots):
            s = self.slots[fd]
            if s is not None:
                return s[0]
        raise Errno(EBADF)

    def valid(self, fd):
        return 0 <= fd < len(self.slots) and self.slots[fd] is not None

    def get_cloexec(self, fd):
        self.get(fd)
        return self.slots[fd][1]

    def set_cloexec(self, fd, on):
        self.get(fd)
        self.slots[fd][1] = bool(on)

    def alloc(self, f, minfd=0, cloexec=False):
        """Install f at the lowest free descriptor >= minfd."""
        if minfd < 0 or minfd >= self.limit:
            raise Errno(EINVAL)
        fd = minfd
        while fd < len(self.slots) and self.slots[fd] is not None:
            fd += 1
        if fd >= self.limit:
            raise Errno(EMFILE)
        if f.refs == 0 and self.nfiles is not None:
            self.nfiles.charge(f)               # ENFILE: kern.maxfiles
        while len(self.slots) <= fd:
            self.slots.append(None)
        self.slots[fd] = [f, bool(cloexec)]
        f.refs += 1
        return fd

    def install(self, fd, f, cloexec=False):
        """Put f at exactly fd, closing what was there (dup2)."""
        if fd < 0 or fd >= self.limit:
            raise Errno(EBADF)
        if f.refs == 0 and self.nfiles is not None:
            self.nfiles.charge(f)               # ENFILE: kern.maxfiles
        while len(self.slots) <= fd:
            self.slots.append(None)
        old = self.slots[fd]
        f.refs += 1
        self.slots[fd] = [f, bool(cloexec)]
        if old is not None:
            if self.kq is not None:
                self.kq.fd_closed(fd)           # knote_fdclose
            self._drop(old[0])
        return fd

    def close(self, fd):
        f = self.get(fd)
        self.slots[fd] = None
        while self.slots and self.slots[-1] is None:
            self.slots.pop()
        if self.kq is not None:
            self.kq.fd_closed(fd)               # knote_fdclose
        self._drop(f)

    def _drop(self, f):
        if self.lock_owner is not None:         # POSIX record locks go with any close
            from kw86.nbsd import lockf
            lockf.on_close(self, f)
        f.refs -= 1
        if f.refs == 0:
            if getattr(f, "flock_sys", None) is not None:
                from kw86.nbsd import lockf
                lockf.file_closed(f)
            f.close_final()
            uncharge(f)
        elif f.kind == "socket":
            f.unref()                           # only messages in flight may hold it now

    def fork(self):
        t = FdTable(self.limit, self.nfiles)
        # a kqueue is not inherited: the child's descriptor is closed (NetBSD fd_copy)
        t.slots = [None if s is None or s[0].kind == "kqueue" else [s[0], s[1]]
                   for s in self.slots]
        for s in t.slots:
            if s is not None:
                s[0].refs += 1
        return t

    def exec_cloexec(self):
        for fd, s in enumerate(self.slots):
            if s is not None and s[1]:
                self.close(fd)

    def closefrom(self, lowfd):
        for fd in range(max(lowfd, 0), len(self.slots)):
            if self.valid(fd):
                self.close(fd)

    def close_all(self):
        self.closefrom(0)

    def maxfd(self):
        for fd in range(len(self.slots) - 1, -1, -1):
            if self.slots[fd] is not None:
                return fd
        return -1

