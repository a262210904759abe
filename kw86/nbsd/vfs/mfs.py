"""mfs: the in-memory file system (the paper's MFS), mounted at /tmp by default.

Real inode numbers (the root is 2, as on FFS), times from the guest clock
(a callable returning nanoseconds, derived from cycles), modes, owners,
link counts, symbolic and hard links, rename with NetBSD's rules.

Space and inodes are counted as an FFS made by NetBSD's newfs(8) (and so
mount_mfs) with its defaults would count them:
- block and fragment sizes by file-system size: < 20 MB 4K/512, < 1 GB
  8K/1K, else 16K/2K; one inode per 4 fragments of space (newfs -i
  default), each a 128-byte UFS1 dinode whose table is not data space;
  inodes 0 and 1 are reserved and 2 is the root, as newfs leaves them;
- a regular file takes whole blocks, but only fragments for the last block
  of a file of at most 12 blocks (NDADDR direct blocks), plus its indirect
  blocks; a directory likewise for its size (entries of 8 + name + 1 bytes
  rounded to 4, in 512-byte DIRBLKSIZ chunks); a symbolic link shorter than
  60 bytes lives in its inode (UFS1 MAXSYMLINKLEN), a longer one takes
  fragments; a FIFO takes only its inode;
- a creation with no free inode, and any growth past the data space, is
  ENOSPC; statvfs shows the same numbers (f_files/f_ffree are the inodes).
Not modelled: cylinder-group headers and superblock copies (not deducted)
and the minfree reserve (everything is available, as root sees it).
st_blocks is in 512-byte units.

Creation, removal and rename are O(1) (a directory's size is kept, not
recounted; inode numbers come from a free list, lowest first).

File data lives here (the "disk" of the MFS) and is read and written
through the buffer cache like any file system's; the transfers cost no
cycles (`disk = None`).
"""
import heapq

from kw86.nbsd import abi
from kw86.nbsd.abi import (Attr, EEXIST, EINVAL, EISDIR, EMLINK, ENOENT, ENOSPC,
                           ENOTDIR, ENOTEMPTY, EPERM)
from kw86.nbsd.errors import Errno
from kw86.nbsd.vfs import Mount, Vnode, VDIR, VFIFO, VREG, VLNK

DIRBLKSIZ = 512
LINK_MAX = 32767
NDADDR = 12                 # direct block pointers in a UFS1 inode
DINODE_SIZE = 128           # a UFS1 dinode
MAXSYMLINKLEN = 60          # UFS1: a shorter link target lives in the inode
ROOTINO = 2


def _direntsize(namelen):
    """An on-disk UFS directory entry: 8 bytes, the name, a NUL, to 4."""
    return (8 + namelen + 1 + 3) & ~3


EMPTY_DIR = 2 * _direntsize(2)      # '.' and '..'


def newfs_geometry(size):
    """(block size, fragment size, bytes per inode): newfs(8)'s defaults."""
    if size < 20 << 20:
        bsize, fsize = 4096, 512
    elif size < 1 << 30:
        bsize, fsize = 8192, 1024
    else:
        bsize, fsize = 16384, 2048
    return bsize, fsize, 4 * fsize


class MfsVnode(Vnode):

    def __init__(self, mount, vtype, mode, uid, gid):
        self.mount = mount
        self.type = vtype
        self.ino, self.gen = mount.alloc_ino()     # ENOSPC when none is free
        self.mode = vtype | (mode & abi.NBSD_ALLPERMS)
        self.uid, self.gid = uid, gid
        self.nlink = 0
        now = mount.now()
        self.atime = self.mtime = self.ctime = self.birthtime = now
        self.data = bytearray() if vtype == VREG else None
        self.entries = {} if vtype == VDIR else None
        self.dirbytes = EMPTY_DIR       # the entries' on-disk size (directories)
        self.space = 0                  # bytes of data space it holds
        self.parent = None
        self.target = b""
        self.opens = 0
        self.freed = False

    def __repr__(self):
        return f"<MfsVnode ino={self.ino} {self.mode:o}>"

    # -- attributes -------------------------------------------------------------
    def _size(self):
        if self.type == VREG:
            return len(self.data)
        if self.type == VLNK:
            return len(self.target)
        if self.type == VDIR:
            return _dirsize(self.dirbytes)
        return 0

    def getattr(self):
        size = self._size()
        return Attr(mode=self.mode, ino=self.ino, nlink=self.nlink, uid=self.uid,
                    gid=self.gid, size=size, blocks=self.space // 512,
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

    def _resize(self, nbytes):
        """Make the data space held match a content of nbytes (ENOSPC, and
        nothing changed, if it cannot grow)."""
        need = self.mount.space_for(nbytes)
        if need != self.space:
            self.mount.reserve(need - self.space)
            self.space = need

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

    def _add(self, name, vp):
        """A new entry (the directory grows first: ENOSPC leaves it as it was)."""
        n = self.dirbytes + _direntsize(len(name))
        self._resize(_dirsize(n))
        self.dirbytes = n
        self.entries[name] = vp

    def _drop(self, name):
        del self.entries[name]
        self.dirbytes -= _direntsize(len(name))
        self._resize(_dirsize(self.dirbytes))

    def _enter(self, name, vp):
        if name in self.entries:
            raise Errno(EEXIST)
        self._add(name, vp)
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
        try:
            if vtype == VDIR:
                vp._resize(_dirsize(EMPTY_DIR))
            self._enter(name, vp)
        except Errno:
            vp._free()
            raise
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

    def mksock(self, name, mode, cred):
        """A socket node (bind(2) of an AF_LOCAL socket): a name only."""
        return self._new(name, abi.NBSD_S_IFSOCK, mode, cred)

    def symlink(self, name, target, mode, cred):
        vp = self._new(name, VLNK, mode, cred)
        if len(target) >= MAXSYMLINKLEN:
            try:
                vp.space = self.mount.frag_space(len(target))
                self.mount.reserve(vp.space)
            except Errno:
                vp.space = 0
                self._unlink_entry(name, vp)
                raise
        vp.target = bytes(target)
        return vp

    def link(self, name, vp):
        if self.type != VDIR:
            raise Errno(ENOTDIR)
        if vp.type == VDIR:
            raise Errno(EPERM)
        if vp.nlink >= LINK_MAX:
            raise Errno(EMLINK)
        if self.nlink <= 0:
            raise Errno(ENOENT)         # the directory was removed
        self._enter(name, vp)
        vp.ctime = self.mount.now()

    def _unlink_entry(self, name, vp):
        self._drop(name)
        vp.nlink -= 1
        vp.ctime = self.mount.now()
        self._touch_dir()
        vp._maybe_free()

    def _maybe_free(self):
        if self.nlink <= 0 and self.opens <= 0:
            self._free()

    def _free(self):
        """Give back the data space and the inode (once)."""
        if self.freed:
            return
        self.freed = True
        if self.type == VREG:
            self.mount.bufcache_invalidate(self)
            self.data = bytearray()
        self.mount.release(self.space)
        self.space = 0
        self.mount.free_ino(self.ino)

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
        self._drop(name)
        vp.nlink = 0
        self.nlink -= 1
        self._touch_dir()
        vp.ctime = self.mount.now()
        vp._maybe_free()

    def rename(self, name, vp, tdvp, tname, tvp):
        vp = self.entries.get(name)
        if vp is None:
            raise Errno(ENOENT)
        if tdvp.nlink <= 0:
            raise Errno(ENOENT)         # into a removed directory (as create: no name there)
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
        tdvp._add(tname, vp)            # may be ENOSPC: the source is untouched
        self._drop(name)
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

    @property
    def disk(self):
        """The cost model of a block I/O (system.MfsStrategy: the server's
        copy and two switches), told which file it is for."""
        d = self.mount.disk
        if d is not None:
            d.vp = self
        return d

    def mark_update(self, modified):
        """A page of the file brought into a mapping (vm.py _fault_shared):
        accessed, and changed too for a write fault (NetBSD's
        ufs_gop_markupdate: IN_ACCESS, IN_CHANGE | IN_UPDATE)."""
        now = self.mount.now()
        self.atime = now
        if modified:
            self.mtime = self.ctime = now

    def strategy_read(self, offset, n):
        self.atime = self.mount.now()
        return bytes(self.data[offset:offset + n])

    def strategy_write(self, offset, data):
        end = offset + len(data)
        old = len(self.data)
        if end > old:
            self._resize(end)
            self.data.extend(bytes(end - old))
        self.data[offset:end] = data
        self.mtime = self.ctime = self.mount.now()

    def truncate(self, size, cred):
        if self.type == VDIR:
            raise Errno(EISDIR)
        if self.type != VREG:
            raise Errno(EINVAL)
        old = len(self.data)
        self._resize(size)
        if size > old:
            self.data.extend(bytes(size - old))
        else:
            del self.data[size:]
        self.mtime = self.ctime = self.mount.now()


def _dirsize(nbytes):
    return max(1, (nbytes + DIRBLKSIZ - 1) // DIRBLKSIZ) * DIRBLKSIZ


class MfsMount(Mount):
    """An in-memory file system of `size` bytes, laid out as newfs would."""

    fstype = "mfs"

    def __init__(self, size=32 * 1024 * 1024, clock=None, bsize=None, root_mode=0o1777,
                 uid=0, gid=0):
        super().__init__(False)
        self.size = size
        fs_bsize, self.frag, density = newfs_geometry(size)
        self.bsize = bsize or fs_bsize
        # newfs: one inode per `density` bytes, at least the reserved ones, root
        # and a few; their table is not data space
        self.ninodes = max(ROOTINO + 8, size // density)
        self.dsize = max(0, size - self.ninodes * DINODE_SIZE) // self.frag * self.frag
        self.used = 0
        self.clock = clock or (lambda: 0)
        self._next_ino = ROOTINO
        self._free_inos = []            # a heap: the lowest free number first
        self.ifree = self.ninodes - ROOTINO   # 0 and 1 are never free
        self.ino_gen = 0
        self.bufcache = None            # set by the kernel: invalidated on free
        self._root = MfsVnode(self, VDIR, root_mode, uid, gid)
        self._root.nlink = 2
        self._root._resize(_dirsize(EMPTY_DIR))
        self.disk = None

    @property
    def root(self):
        return self._root

    def now(self):
        return int(self.clock())

    def alloc_ino(self):
        """(inode number, generation) of a free inode, ENOSPC if none is."""
        if self.ifree <= 0:
            raise Errno(ENOSPC)
        if self._free_inos:
            i = heapq.heappop(self._free_inos)
        else:
            i = self._next_ino
            self._next_ino += 1
        self.ifree -= 1
        self.ino_gen += 1
        return i, self.ino_gen

    def free_ino(self, ino):
        heapq.heappush(self._free_inos, ino)
        self.ifree += 1

    def frag_space(self, n):
        """Data space of n bytes in fragments."""
        return -(-n // self.frag) * self.frag

    def space_for(self, n):
        """Data space a file or directory of n bytes takes: whole blocks, the
        last in fragments while the file has no more than NDADDR blocks, and
        the indirect blocks beyond those."""
        if n <= 0:
            return 0
        b = self.bsize
        nblk = -(-n // b)
        if nblk <= NDADDR:
            return (nblk - 1) * b + self.frag_space(n - (nblk - 1) * b)
        nptr = b // 4
        rest = nblk - NDADDR
        ind = 1                                         # single indirect
        if rest > nptr:
            rest -= nptr
            ind += 1 + -(-min(rest, nptr * nptr) // nptr)   # double indirect
            if rest > nptr * nptr:
                rest -= nptr * nptr
                ind += 1 + -(-rest // (nptr * nptr)) + -(-rest // nptr)   # triple
        return (nblk + ind) * b

    def reserve(self, n):
        if n > 0 and self.used + n > self.dsize:
            raise Errno(ENOSPC)
        self.used = max(0, self.used + n)

    def release(self, n):
        self.used = max(0, self.used - n)

    def bufcache_invalidate(self, vp):
        if self.bufcache is not None:
            self.bufcache.invalidate(vp)

    def statfs(self):
        return dict(bsize=self.bsize, frsize=self.frag, blocks=self.dsize // self.frag,
                    bfree=(self.dsize - self.used) // self.frag, files=self.ninodes,
                    ffree=self.ifree)
