"""mfs: the in-memory file system (the paper's MFS), mounted at /tmp by default.

Real inode numbers (the root is 2, as on FFS), times from the guest clock
(a callable returning nanoseconds, derived from cycles), modes, owners,
link counts, symbolic and hard links, rename with NetBSD's rules, and a
size limit that gives ENOSPC.  Space is counted in 1 KiB fragments (FFS's
default fragment for 8 KiB blocks); st_blocks is in 512-byte units.

File data lives here (the "disk" of the MFS) and is read and written
through the buffer cache like any file system's; the transfers cost no
cycles (`disk = None`).
"""
from kw86.nbsd import abi
from kw86.nbsd.abi import (Attr, EEXIST, EINVAL, EISDIR, EMLINK, ENOENT, ENOSPC,
                           ENOTDIR, ENOTEMPTY, EPERM)
from kw86.nbsd.errors import Errno
from kw86.nbsd.vfs import Mount, Vnode, VDIR, VFIFO, VREG, VLNK

FRAG = 1024
DIRBLKSIZ = 512
LINK_MAX = 32767


def _frags(n):
    return (n + FRAG - 1) // FRAG * FRAG


class MfsVnode(Vnode):

    def __init__(self, mount, vtype, mode, uid, gid):
        self.mount = mount
        self.type = vtype
        self.ino = mount.alloc_ino()
        self.mode = vtype | (mode & abi.NBSD_ALLPERMS)
        self.uid, self.gid = uid, gid
        self.nlink = 0
        now = mount.now()
        self.atime = self.mtime = self.ctime = self.birthtime = now
        self.gen = mount.ino_gen
        self.data = bytearray() if vtype == VREG else None
        self.entries = {} if vtype == VDIR else None
        self.parent = None
        self.target = b""
        self.opens = 0

    def __repr__(self):
        return f"<MfsVnode ino={self.ino} {self.mode:o}>"

    # -- attributes -------------------------------------------------------------
    def _size(self):
        if self.type == VREG:
            return len(self.data)
        if self.type == VLNK:
            return len(self.target)
        if self.type == VDIR:
            used = sum(abi.dirent_reclen(len(n)) for n in self.entries) + 2 * 16
            return max(1, (used + DIRBLKSIZ - 1) // DIRBLKSIZ) * DIRBLKSIZ
        return 0

    def getattr(self):
        size = self._size()
        return Attr(mode=self.mode, ino=self.ino, nlink=self.nlink, uid=self.uid,
                    gid=self.gid, size=size, blocks=_frags(size) // 512,
                    blksize=self.mount.bsize, atime=self.atime, mtime=self.mtime,
                    ctime=self.ctime, birthtime=self.birthtime, gen=self.gen,
                    dev=self.mount.dev)

    def setattr(self, cred, mode=None, uid=None, gid=None, atime=None, mtime=None):
        if mode is not None:
            self.mode = self.type | (mode & abi.NBSD_ALLPERMS)
        if uid is not None:
            self.uid = uid
        if gid is not None:
            self.gid = gid
        if atime is not None:
            self.atime = atime
        if mtime is not None:
            self.mtime = mtime
        self.ctime = self.mount.now()

    def _touch_dir(self):
        self.mtime = self.ctime = self.mount.now()

    # -- directories ------------------------------------------------------------
    def lookup(self, name):
        if self.type != VDIR:
            raise Errno(ENOTDIR)
        vp = self.entries.get(name)
        if vp is None:
            raise Errno(ENOENT)
        return vp

    def readdir(self):
        if self.type != VDIR:
            raise Errno(ENOTDIR)
        self.atime = self.mount.now()
        return [(n, v.ino, abi.iftodt(v.mode)) for n, v in self.entries.items()]

    def _enter(self, name, vp):
        if name in self.entries:
            raise Errno(EEXIST)
        self.entries[name] = vp
        vp.nlink += 1
        self._touch_dir()

    def _new(self, name, vtype, mode, cred):
        if self.type != VDIR:
            raise Errno(ENOTDIR)
        if name in self.entries:
            raise Errno(EEXIST)
        if self.nlink <= 0:
            raise Errno(ENOENT)         # the directory was removed
        # BSD: a new file takes the directory's group.
        vp = MfsVnode(self.mount, vtype, mode, cred.euid, self.gid)
        self._enter(name, vp)
        return vp

    def create(self, name, mode, cred):
        return self._new(name, VREG, mode, cred)

    def mkdir(self, name, mode, cred):
        if self.nlink >= LINK_MAX:
            raise Errno(EMLINK)
        vp = self._new(name, VDIR, mode, cred)
        vp.parent = self
        vp.nlink += 1                   # its own '.'
        self.nlink += 1                 # the child's '..'
        return vp

    def mkfifo(self, name, mode, cred):
        return self._new(name, VFIFO, mode, cred)     # a name only (open: EOPNOTSUPP)

    def symlink(self, name, target, mode, cred):
        self.mount.reserve(len(target))
        vp = self._new(name, VLNK, mode, cred)
        vp.target = bytes(target)
        return vp

    def link(self, name, vp):
        if self.type != VDIR:
            raise Errno(ENOTDIR)
        if vp.type == VDIR:
            raise Errno(EPERM)
        if vp.nlink >= LINK_MAX:
            raise Errno(EMLINK)
        self._enter(name, vp)
        vp.ctime = self.mount.now()

    def _unlink_entry(self, name, vp):
        del self.entries[name]
        vp.nlink -= 1
        vp.ctime = self.mount.now()
        self._touch_dir()
        vp._maybe_free()

    def _maybe_free(self):
        if self.nlink <= 0 and self.opens <= 0:
            if self.type == VREG:
                self.mount.release(_frags(len(self.data)))
                self.mount.bufcache_invalidate(self)
                self.data = bytearray()
            elif self.type == VLNK:
                self.mount.release(len(self.target))

    def remove(self, name, vp):
        vp = self.entries.get(name)
        if vp is None:
            raise Errno(ENOENT)
        if vp.type == VDIR:
            raise Errno(EPERM)          # unlink(2) of a directory
        self._unlink_entry(name, vp)

    def rmdir(self, name, vp):
        vp = self.entries.get(name)
        if vp is None:
            raise Errno(ENOENT)
        if vp.type != VDIR:
            raise Errno(ENOTDIR)
        if vp.entries:
            raise Errno(ENOTEMPTY)
        del self.entries[name]
        vp.nlink = 0
        self.nlink -= 1
        self._touch_dir()
        vp.ctime = self.mount.now()

    def rename(self, name, vp, tdvp, tname, tvp):
        vp = self.entries.get(name)
        if vp is None:
            raise Errno(ENOENT)
        tvp = tdvp.entries.get(tname)
        if tvp is vp:
            return                      # same file: POSIX says do nothing
        if vp.type == VDIR:
            # a directory cannot move below itself
            d = tdvp
            while d is not None:
                if d is vp:
                    raise Errno(EINVAL)
                d = d.parent
        if tvp is not None:
            if vp.type == VDIR and tvp.type != VDIR:
                raise Errno(ENOTDIR)
            if vp.type != VDIR and tvp.type == VDIR:
                raise Errno(EISDIR)
            if tvp.type == VDIR:
                if tvp.entries:
                    raise Errno(ENOTEMPTY)
                tdvp.rmdir(tname, tvp)
            else:
                tdvp._unlink_entry(tname, tvp)
        del self.entries[name]
        tdvp.entries[tname] = vp
        if vp.type == VDIR and tdvp is not self:
            self.nlink -= 1
            tdvp.nlink += 1
            vp.parent = tdvp
        vp.ctime = self.mount.now()
        self._touch_dir()
        tdvp._touch_dir()

    # -- symbolic links ---------------------------------------------------------
    def readlink(self):
        if self.type != VLNK:
            raise Errno(EINVAL)
        self.atime = self.mount.now()
        return self.target

    # -- data -------------------------------------------------------------------
    @property
    def cache_key(self):
        return (self.mount.dev, self.ino, self.gen)

    def open(self, fflags):
        self.opens += 1

    def close(self, fflags):
        self.opens -= 1
        self._maybe_free()

    def getsize(self):
        return self._size()

    def strategy_read(self, offset, n):
        self.atime = self.mount.now()
        return bytes(self.data[offset:offset + n])

    def strategy_write(self, offset, data):
        end = offset + len(data)
        old = len(self.data)
        if end > old:
            self.mount.reserve(_frags(end) - _frags(old))
            self.data.extend(bytes(end - old))
        self.data[offset:end] = data
        self.mtime = self.ctime = self.mount.now()

    def truncate(self, size, cred):
        if self.type == VDIR:
            raise Errno(EISDIR)
        if self.type != VREG:
            raise Errno(EINVAL)
        old = len(self.data)
        if size > old:
            self.mount.reserve(_frags(size) - _frags(old))
            self.data.extend(bytes(size - old))
        else:
            self.mount.release(_frags(old) - _frags(size))
            del self.data[size:]
        self.mtime = self.ctime = self.mount.now()


class MfsMount(Mount):
    """An in-memory file system of `size` bytes."""

    fstype = "mfs"

    def __init__(self, size=32 * 1024 * 1024, clock=None, bsize=8192, root_mode=0o1777,
                 uid=0, gid=0):
        super().__init__(False)
        self.size = size
        self.used = 0
        self.bsize = bsize
        self.clock = clock or (lambda: 0)
        self._next_ino = 2
        self.ino_gen = 1
        self.bufcache = None            # set by the kernel: invalidated on free
        self._root = MfsVnode(self, VDIR, root_mode, uid, gid)
        self._root.nlink = 2
        self.disk = None

    @property
    def root(self):
        return self._root

    def now(self):
        return int(self.clock())

    def alloc_ino(self):
        i = self._next_ino
        self._next_ino += 1
        return i

    def reserve(self, n):
        if n > 0 and self.used + n > self.size:
            raise Errno(ENOSPC)
        self.used += n

    def release(self, n):
        self.used = max(0, self.used - n)

    def bufcache_invalidate(self, vp):
        if self.bufcache is not None:
            self.bufcache.invalidate(vp)

    def statfs(self):
        return dict(bsize=self.bsize, frsize=FRAG, blocks=self.size // FRAG,
                    bfree=(self.size - self.used) // FRAG, files=self._next_ino,
                    ffree=1 << 20)
