"""hostfs: a host directory as a guest file system (the sysroot, --bind).

Host safety (README, "What kw86 guarantees to the host").  The rule: every
host operation on an object goes through a descriptor of *that object*,
obtained without following a symbolic link and checked against the vnode's
identity; nothing is ever looked up again later by a name or a host path.

- The guest's namei (vfs.VFS.namei) walks paths itself, one component at a
  time; this file system only ever sees one component name (no '/', not
  '.' or '..') in a directory it already holds as a descriptor.
- A directory vnode holds an O_PATH descriptor of its own directory, opened
  from its parent's descriptor with O_NOFOLLOW|O_DIRECTORY and checked to be
  the (st_dev, st_ino) the vnode was looked up as; the mount root's is opened
  once, from the host path given on the command line, and that path is never
  used again.  A directory that is removed, renamed or replaced on the host
  keeps being *that* directory (a removed one answers ENOENT to creations,
  as NetBSD's does); its old name is never consulted again.
- Any other vnode is reached, for each operation, by an O_PATH|O_NOFOLLOW
  open of its name in its parent's descriptor whose fstat must show the
  vnode's (st_dev, st_ino) (else ESTALE; a vanished name gives ENOENT).  A
  symbolic link swapped in meanwhile is opened as the link itself (O_PATH
  with O_NOFOLLOW), so its identity differs and nothing is done.
- Attributes are changed through that descriptor: fchmod/fchown/futimens
  on an open file, else chmod/chown/utimensat of /proc/self/fd/N, Linux's
  name for the open object itself (no symlink is followed by it: for an
  O_PATH descriptor of a link the call acts on the link; chmod of a link is
  refused and ignored, as Linux has no lchmod).  I/O descriptors are opened
  the same way: verified O_PATH first, then reopened through /proc/self/fd/N
  (a FIFO or device swapped in is never opened, so kw86 never blocks in an
  open and never triggers a device's open side effects).
- New objects are made with O_CREAT|O_EXCL|O_NOFOLLOW (files: the mode and
  owner are then set on that very descriptor) or mkdirat/mkfifoat/symlinkat
  with a restrictive mode, then opened O_PATH|O_NOFOLLOW, checked (type, our
  host uid) and fixed up through that descriptor: the process umask is
  never changed, and a link swapped in is never followed.
- unlink, rmdir, rename act on a directory entry of a held directory and
  never follow a link; link(2) links the verified object itself
  (linkat of /proc/self/fd/N with AT_SYMLINK_FOLLOW).
openat2(RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS) would add nothing: no host call
ever resolves more than one component, and none follows a link (a magic
link of a procfs inside the root included: it is read as a link and its
target walked inside the guest's tree).  Host mount points inside the root
are crossed, as the host shows them.
Without /proc (not Linux) the same checks are made with ordinary O_NOFOLLOW
descriptors of regular files and directories; attribute changes on other
file types are then EOPNOTSUPP.

Inode numbers, modes, owners, link counts and times are the host's (lstat),
but for the set-id bits: those the guest sets are never given to the host
file but kept beside it (see _SETID below).
Host file names are bytes; nothing is decoded.
"""
import errno as _herrno
import os
import stat as hstat
import sys
import weakref

from kw86.nbsd import abi
from kw86.nbsd.abi import (Attr, EEXIST, EINVAL, EISDIR, ENFILE, ENOTDIR, ENOTEMPTY,
                           EOPNOTSUPP, EROFS, ESTALE)
from kw86.nbsd.errors import Errno
from kw86.nbsd.vfs import Mount, Vnode, VDIR, VREG, VLNK

# /proc/self/fd/N names the open object itself (Linux): chmod/chown/utime and
# reopen of an O_PATH descriptor.  Without it O_PATH descriptors would be of
# no use for those, so ordinary descriptors are used instead.
PROC_FD = hasattr(os, "O_PATH") and os.path.isdir("/proc/self/fd")
O_PATH = os.O_PATH if PROC_FD else 0
O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
O_NOCTTY = getattr(os, "O_NOCTTY", 0)
O_DIRPATH = (O_PATH or os.O_RDONLY) | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# a descriptor of the object at a name, never following it, opening nothing
O_OBJ = (O_PATH or (os.O_RDONLY | O_NONBLOCK | O_NOCTTY)) | os.O_NOFOLLOW | os.O_CLOEXEC
_HOST_IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
_EUID = os.geteuid() if hasattr(os, "geteuid") else -1
_lstat = os.lstat
_FSENC, _FSERR = sys.getfilesystemencoding(), sys.getfilesystemencodeerrors()


def _fdpath(fd):
    return f"/proc/self/fd/{fd}"


# -- the host descriptors vnodes hold ---------------------------------------------
# Every directory vnode holds an O_PATH descriptor and an open regular file its
# I/O descriptor, for as long as the guest holds the vnode (a working
# directory, an open file, a path of nested directories below one).  A guest
# can hold as many as it likes (chdir down 100,000 nested directories, open
# thousands of them in many processes), so without a bound it would use up
# kw86's own descriptor limit: kw86 could then open nothing else for itself
# (a module, the program of an execve) and every guest would see the host's
# EMFILE.  The bound leaves a reserve below the host's RLIMIT_NOFILE; past it
# an operation that would hold one more descriptor fails with ENFILE (NetBSD's
# "Too many open files in system": the system's file table is full) before it
# changes anything, and works again once the guest lets go of some.
_HELD_CHECK = 256           # below this many no limit is looked up
_held = 0
_held_max = None


def held_limit():
    """How many host descriptors vnodes may hold (the host's soft
    RLIMIT_NOFILE less a reserve for kw86 itself)."""
    global _held_max
    if _held_max is None:
        try:
            import resource
            soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        except (ImportError, OSError, ValueError):
            soft = 1024
        if soft < 0 or soft > 1 << 20:          # RLIM_INFINITY
            soft = 1 << 20
        _held_max = max(16, soft - max(64, soft // 8))
    return _held_max


def _may_hold():
    """ENFILE when one more held descriptor would pass the bound."""
    if _held >= _HELD_CHECK and _held >= held_limit():
        raise Errno(ENFILE)


def _held_add(n):
    global _held
    _held += n


def _close_held(fd):
    """A held descriptor's end (a vnode's finalizer, a file's last close)."""
    global _held
    _held -= 1
    try:
        os.close(fd)
    except OSError:
        pass


def _nbsd_rdev(st):
    """A host device node's st_rdev in NetBSD's dev_t encoding (sys/types.h
    makedev: major in bits 8-19, minor's low byte in 0-7, the rest in 20-31)."""
    if not (hstat.S_ISCHR(st.st_mode) or hstat.S_ISBLK(st.st_mode)):
        return 0
    ma, mi = os.major(st.st_rdev), os.minor(st.st_rdev)
    return ((ma << 8) & 0x000fff00) | ((mi << 12) & 0xfff00000) | (mi & 0xff)


# -- set-user-ID and set-group-ID bits ----------------------------------------------
# hostfs never sets S_ISUID/S_ISGID on a host file (kw86 is often run as root:
# a guest root's chmod 4755 would leave a real set-user-ID-root program for
# host users; a set-group-ID directory makes what host users create in it
# take its group).  The guest's own set-id bits are kept beside the file: in
# an extended attribute of the host object (trusted.kw86.mode when kw86 runs
# as root, which host users can neither read nor set; user.kw86.mode else),
# the bits as octal text, and where the host file system (or the object's
# type: a FIFO, a socket node) takes none, in the mount's memory for the
# run.  A directory that holds objects with the attribute carries
# trusted/user.kw86.setid itself, so that a stat reads the attribute only in
# such directories (one look per directory vnode, not one per stat).  What
# the guest sees is the host's mode with the kept bits added: a host file
# that already has set-id bits shows them, the guest can only remove them.
# The sticky bit goes to the host as it is (on a directory it only narrows
# who may remove entries there; on a file Linux ignores it).
_SETID = 0o6000
_XA_PREFIX = b"trusted." if _HOST_IS_ROOT else b"user."
_XA_MODE = _XA_PREFIX + b"kw86.mode"
_XA_DIR = _XA_PREFIX + b"kw86.setid"
_XATTR = PROC_FD and hasattr(os, "getxattr")
_XA_TYPES = (hstat.S_IFREG, hstat.S_IFDIR)     # the types Linux gives such attributes
_ENODATA = getattr(_herrno, "ENODATA", 61)
_HOST_NOTSUP = {getattr(_herrno, n) for n in ("ENOTSUP", "EOPNOTSUPP") if hasattr(_herrno, n)}


def _xa_bits(path, follow=True):
    """The kept set-id bits of the object at path (0 if none)."""
    try:
        v = os.getxattr(path, _XA_MODE, follow_symlinks=follow)
    except OSError:
        return 0
    try:
        return int(v, 8) & _SETID
    except ValueError:
        return 0


_HAS_BIRTHTIME = hasattr(os.stat_result, "st_birthtime_ns")
_HOST_CHR_BLK = (hstat.S_IFCHR, hstat.S_IFBLK)
_HOST_S_IFLNK = hstat.S_IFLNK
_TYPE_OF_HOST = abi._TYPE_XLAT_MAP      # host S_IFMT bits -> NetBSD's (xlat_mode_from_host)
_STAT50 = abi._STAT50                   # struct stat of NetBSD 10 (abi.pack_stat50)
_NS = 1000000000
_M64 = (1 << 64) - 1


# -- nodes that lead out of the tree ----------------------------------------------
# A character or block device node, a FIFO or a socket node in the root or a
# bind is a way to something outside the tree: the host's hardware (a
# /dev/mem, a disk) or a host process (a daemon's control socket in a bound
# /run).  kw86 never opens one on the host (ENXIO, ECONNREFUSED, a FIFO of
# the guest's own), and never changes its mode or owner there: kw86 is often
# run as root, and a guest's chmod 0666 or chown of such a node would hand
# the device or the daemon to every host user (connecting to a Linux UNIX
# socket needs write permission on its node).  The guest's chmod and chown of
# one are kept in its mount's memory for the run (_nodemeta: (st_dev,
# st_ino) -> [mode bits, set-id ones included, uid, gid]) and shown by stat.
_HOST_NODES = (hstat.S_IFCHR, hstat.S_IFBLK, hstat.S_IFIFO, hstat.S_IFSOCK)


def _node_override(nodemeta, st):
    """(mode, uid, gid) of host node st as the guest set them."""
    m = nodemeta.get((st.st_dev, st.st_ino)) if nodemeta else None
    if m is None:
        return st.st_mode, st.st_uid, st.st_gid
    return (st.st_mode & 0o170000) | m[0], m[1], m[2]


def _attr_from_host(st, dev, setid=0, nodemeta=None):
    hmode = st.st_mode
    fmt = hmode & 0o170000              # S_IFMT (namei calls this per component: kept lean)
    if fmt in _HOST_NODES and nodemeta:
        hmode, uid, gid = _node_override(nodemeta, st)
        return Attr(abi.xlat_mode_from_host(hmode) | setid, st.st_ino, st.st_nlink, uid, gid,
                    _nbsd_rdev(st) if fmt in _HOST_CHR_BLK else 0, st.st_size, st.st_blocks,
                    st.st_blksize or 4096, st.st_atime_ns, st.st_mtime_ns, st.st_ctime_ns,
                    (st.st_birthtime_ns or 0) if _HAS_BIRTHTIME else 0, 0, 0, dev)
    return Attr(abi.xlat_mode_from_host(hmode) | setid, st.st_ino, st.st_nlink, st.st_uid,
                st.st_gid,
                _nbsd_rdev(st) if fmt in _HOST_CHR_BLK else 0, st.st_size, st.st_blocks,
                st.st_blksize or 4096, st.st_atime_ns, st.st_mtime_ns, st.st_ctime_ns,
                # UFS1 has no birth time (reported as 0); use the host's if it has one.
                (st.st_birthtime_ns or 0) if _HAS_BIRTHTIME else 0, 0, 0, dev)


def _stat50_from_host(st, dev, setid=0, nodemeta=None):
    """abi.pack_stat50(_attr_from_host(st, dev, setid, nodemeta)) in one step
    (the stat family's hot path: no Attr on the way)."""
    hmode = st.st_mode
    fmt = hmode & 0o170000
    at, mt, ct = st.st_atime_ns, st.st_mtime_ns, st.st_ctime_ns
    bt = (st.st_birthtime_ns or 0) if _HAS_BIRTHTIME else 0
    uid, gid = st.st_uid, st.st_gid
    if fmt in _HOST_NODES and nodemeta:
        hmode, uid, gid = _node_override(nodemeta, st)
    return _STAT50.pack(dev & _M64, _TYPE_OF_HOST.get(fmt, 0) | (hmode & 0o7777) | setid,
                        st.st_ino,
                        st.st_nlink, uid, gid,
                        _nbsd_rdev(st) if fmt in _HOST_CHR_BLK else 0,
                        at // _NS, at % _NS, mt // _NS, mt % _NS, ct // _NS, ct % _NS,
                        bt // _NS, bt % _NS, st.st_size, st.st_blocks, st.st_blksize or 4096,
                        0, 0, 0, 0)


_DT_REG = abi.iftodt(abi.NBSD_S_IFREG)
_DT_LNK = abi.iftodt(abi.NBSD_S_IFLNK)


def _check_name(name):
    # namei never passes these; a second line of defence for host safety.
    if not name or b"/" in name or b"\0" in name or name in (b".", b".."):
        raise Errno(EINVAL)


def _key(st):
    return (st.st_dev, st.st_ino)


def _chmod_fd(fd, hmode, opath):
    if opath:
        os.chmod(_fdpath(fd), hmode)
    else:
        os.chmod(fd, hmode)


def _chown_fd(fd, uid, gid, opath):
    if opath:
        os.chown(_fdpath(fd), uid, gid)
    else:
        os.chown(fd, uid, gid)


def _utime_fd(fd, ns, opath):
    if opath:
        os.utime(_fdpath(fd), ns=ns)
    else:
        os.utime(fd, ns=ns)


def _open_new(dfd, name, want_fmt):
    """A descriptor of the object just created as `name` in dfd (O_PATH,
    never following a link) and its stat; ESTALE if the name now holds
    another type of file (a racing guest swapped it)."""
    fd = os.open(name, O_OBJ | (os.O_DIRECTORY if want_fmt == hstat.S_IFDIR else 0),
                 dir_fd=dfd)
    st = os.fstat(fd)
    if hstat.S_IFMT(st.st_mode) != want_fmt:
        os.close(fd)
        raise Errno(ESTALE)
    return fd, st


class _ObjectFd:
    """HostVnode._object's context: (fd, opath) inside, fd closed at the end
    when it was opened for the operation (a class, not contextlib's
    generator: contextlib and functools cost every start-up their import)."""
    __slots__ = ("fd", "owned", "opath")

    def __init__(self, fd, owned, opath):
        self.fd, self.owned, self.opath = fd, owned, opath

    def __enter__(self):
        return self.fd, self.opath

    def __exit__(self, *exc):
        if self.owned:
            os.close(self.fd)
        return False


class HostVnode(Vnode):

    def __init__(self, mount, parent, name, st):
        self.mount = mount
        self.parent = parent            # HostVnode of the directory, None for the root
        self.name = name
        self.key = (st.st_dev, st.st_ino)
        self.type = _TYPE_OF_HOST.get(st.st_mode & 0o170000, 0)
        self._dfd = None                # O_PATH fd (directories)
        self._fd = None                 # I/O fd (regular files)
        self._fd_writable = False
        self._opens = 0
        self._finalizer = None
        self._cache_sig = None          # (mtime, size) when the cache was last valid
        self._st_hint = None            # (host stat, namei_gen) of the last lookup of it
        self._meta_dir = None           # directories: holds objects with kept set-id bits?
        self.disk = mount.disk

    def __repr__(self):
        return f"<HostVnode {self.name!r} ino={self.key[1]}>"

    # -- host handles ---------------------------------------------------------
    def _adopt_dfd(self, fd):
        self._dfd = fd
        _held_add(1)
        self._finalizer = weakref.finalize(self, _close_held, fd)

    def dirfd(self):
        """This directory's own O_PATH descriptor (opened once, verified)."""
        if self._dfd is None:
            if self.type != VDIR:
                raise Errno(ENOTDIR)
            _may_hold()
            self._adopt_dfd(self._open_verified(O_DIRPATH))
        return self._dfd

    def _open_verified(self, flags):
        """Open this vnode's name in its parent (flags include O_NOFOLLOW) and
        check the result is this vnode's own host object: ESTALE when the
        name now holds another one.  The caller owns the descriptor."""
        try:
            fd = os.open(self.name, flags, dir_fd=self.parent.dirfd())
        except OSError as e:
            raise abi.host_error(e) from None
        try:
            st = os.fstat(fd)
        except OSError as e:
            os.close(fd)
            raise abi.host_error(e) from None
        if _key(st) != self.key:
            os.close(fd)
            raise Errno(ESTALE)
        return fd

    def _objfd(self):
        """(fd, owned, opath): a descriptor of this vnode's own host object.
        owned: the caller closes it; opath: act on it through /proc/self/fd."""
        if self._dfd is not None or self.type == VDIR:
            return self.dirfd(), False, PROC_FD
        if self._fd is not None:
            return self._fd, False, False
        if not O_PATH and self.type != VREG:
            raise Errno(EOPNOTSUPP)     # no way to hold it without opening it
        return self._open_verified(O_OBJ), True, PROC_FD

    def _object(self):
        """`with self._object() as (fd, opath)`: the object's descriptor for
        one operation, closed after it if it was opened for it."""
        return _ObjectFd(*self._objfd())

    def _host_stat(self):
        try:
            if self._fd is not None:
                return os.fstat(self._fd)
            if self._dfd is not None:
                return os.fstat(self._dfd)
            st = os.stat(self.name, dir_fd=self.parent.dirfd(), follow_symlinks=False)
        except OSError as e:
            raise abi.host_error(e) from None
        if _key(st) != self.key:
            raise Errno(ESTALE)         # the name holds another object now
        return st

    # -- kept set-id bits (see _SETID) -------------------------------------------
    def _dir_has_meta(self):
        """Does this directory hold objects with kept set-id bits (its own
        attribute, looked at once per vnode)?"""
        m = self._meta_dir
        if m is None:
            m = False
            if self.mount._xattr:
                try:
                    os.getxattr(_fdpath(self.dirfd()), _XA_DIR)
                    m = True
                except OSError:
                    pass
            self._meta_dir = m
        return m

    def _mark_meta(self):
        """Mark this directory as holding objects with kept bits (through its
        own descriptor); False if the host takes no attribute here."""
        if self._meta_dir:
            return True
        try:
            os.setxattr(_fdpath(self.dirfd()), _XA_DIR, b"1")
        except OSError:
            return False
        self._meta_dir = True
        return True

    def _setid_of(self, st):
        """The guest's kept set-id bits of this vnode's object (st: its host
        stat), read through a descriptor of the object where the vnode holds
        one, else by its name in its (held) directory, only in a directory
        marked as holding such objects.  Reading changes nothing."""
        mount = self.mount
        mem = mount._setid_mem
        if mem:
            b = mem.get((st.st_dev, st.st_ino))
            if b is not None:
                return b
        if not mount._xattr or (st.st_mode & 0o170000) not in _XA_TYPES:
            return 0
        dvp = self.parent
        if dvp is not None and not dvp._dir_has_meta():
            return 0
        if self._dfd is not None:
            return _xa_bits(_fdpath(self._dfd))
        if self._fd is not None:
            return _xa_bits(self._fd)
        if dvp is None:
            return 0
        return _xa_bits(b"/proc/self/fd/%d/" % dvp.dirfd() + self.name, False)

    def _keep_setid(self, fd, opath, st, bits):
        """Keep `bits` (S_ISUID|S_ISGID, or 0) as the guest's set-id bits of
        the object open as fd (st: its host stat): its extended attribute,
        set through that descriptor, else the mount's memory."""
        mount = self.mount
        key = (st.st_dev, st.st_ino)
        if mount._xattr and (st.st_mode & 0o170000) in _XA_TYPES and \
                key[0] not in mount._noxattr:
            target = _fdpath(fd) if opath else fd
            try:
                if bits:
                    dvp = self.parent
                    if dvp is not None and not dvp._mark_meta():
                        raise OSError(_herrno.EOPNOTSUPP, "no attribute on the directory")
                    os.setxattr(target, _XA_MODE, b"%o" % bits)
                else:
                    try:
                        os.removexattr(target, _XA_MODE)
                    except OSError as e:
                        if e.errno != _ENODATA:
                            raise
                mount._setid_mem.pop(key, None)
                return
            except OSError as e:
                if e.errno in _HOST_NOTSUP:
                    mount._noxattr.add(key[0])
        mount._setid_mem[key] = bits    # (0 included: it overrides an attribute left)

    # -- attributes -------------------------------------------------------------
    def getattr(self):
        st = self._host_stat()
        return _attr_from_host(st, self.mount.dev, self._setid_of(st), self.mount._nodemeta)

    def stat_attr(self):
        # The host stat of this object made by the lookup of the namei that
        # returned it (same system call: the vfs's namei count is unchanged),
        # instead of a second one; anything older is never used.
        h = self._st_hint
        vfs = self.mount.vfs
        if h is not None:
            self._st_hint = None
            if vfs is not None and h[1] == vfs.namei_gen:
                return _attr_from_host(h[0], self.mount.dev, self._setid_of(h[0]),
                                       self.mount._nodemeta)
        return self.getattr()

    def stat50(self):
        # stat_attr() packed (the same hint, used the same way), without an Attr
        h = self._st_hint
        if h is not None:
            self._st_hint = None
            vfs = self.mount.vfs
            if vfs is not None and h[1] == vfs.namei_gen:
                return _stat50_from_host(h[0], self.mount.dev, self._setid_of(h[0]),
                                         self.mount._nodemeta)
        st = self._host_stat()
        return _stat50_from_host(st, self.mount.dev, self._setid_of(st), self.mount._nodemeta)

    def setattr(self, cred, mode=None, uid=None, gid=None, atime=None, mtime=None):
        if self.mount.readonly:
            raise Errno(EROFS)
        try:
            with self._object() as (fd, opath):
                st = os.fstat(fd)
                if st.st_mode & 0o170000 in _HOST_NODES:
                    self._setattr_node(cred, st, mode, uid, gid)
                    mode = uid = gid = None                   # never on the host
                if mode is not None and self.type != VLNK:    # Linux has no lchmod
                    hmode = abi.xlat_perm_to_host(mode & abi.NBSD_ALLPERMS)
                    _chmod_fd(fd, hmode & ~_SETID, opath)     # never set on the host
                    self._keep_setid(fd, opath, os.fstat(fd), hmode & _SETID)
                if uid is not None or gid is not None:
                    # the host's chown clears set-id bits (Linux, even for
                    # root); NetBSD's root keeps them: kept as the guest's
                    had = os.fstat(fd).st_mode & _SETID if cred.euid == 0 else 0
                    _chown_fd(fd, -1 if uid is None else uid, -1 if gid is None else gid,
                              opath)
                    if had:
                        st = os.fstat(fd)
                        lost = had & ~st.st_mode
                        if lost:
                            self._keep_setid(fd, opath, st, self._setid_of(st) | lost)
                if atime is not None or mtime is not None:
                    st = os.fstat(fd)
                    a = st.st_atime_ns if atime is None else atime
                    m = st.st_mtime_ns if mtime is None else mtime
                    _utime_fd(fd, (a, m), opath)
        except OSError as e:
            raise abi.host_error(e) from None

    def _setattr_node(self, cred, st, mode, uid, gid):
        """chmod/chown of a device, FIFO or socket node: in the mount's
        memory (_nodemeta), its set-id bits with them (do_chown clears them
        as NetBSD's chown does, through a chmod)."""
        mount = self.mount
        key = (st.st_dev, st.st_ino)
        m = mount._nodemeta.get(key)
        if m is None:
            m = [(st.st_mode & 0o7777) | self._setid_of(st), st.st_uid, st.st_gid]
        mount._setid_mem.pop(key, None)
        perm, huid, hgid = m
        if mode is not None:
            perm = abi.xlat_perm_to_host(mode & abi.NBSD_ALLPERMS)
        if uid is not None:
            huid = uid
        if gid is not None:
            hgid = gid
        mount._nodemeta[key] = [perm, huid, hgid]

    # -- directories --------------------------------------------------------------
    def lookup(self, name):
        # (_check_name inline: namei's hot path)
        if not name or name == b"." or name == b".." or b"/" in name or b"\0" in name:
            raise Errno(EINVAL)
        d = self._dfd
        if d is None:
            d = self.dirfd()
        mount = self.mount
        vfs = mount.vfs
        for _ in range(3):
            try:
                st = _lstat(name, dir_fd=d)
            except OSError as e:
                raise abi.host_error(e) from None
            vp = mount.vnode(self, name, st)
            vp._st_hint = (st, vfs.namei_gen) if vfs is not None else None
            if vp.type != VDIR or vp._dfd is not None:
                return vp
            # a directory is held by its descriptor from its lookup on, so
            # that it stays this directory whatever later becomes of its name
            try:
                vp.dirfd()
                return vp
            except Errno as e:
                if e.errno != ESTALE:
                    raise
        raise Errno(ESTALE)             # the name keeps changing under us

    def lookup_stat50(self, name, follow):
        # the stat family's last component (namei(stat50=True)): the host
        # lstat of the name, as lookup() + stat50() would answer, without
        # making a vnode (a directory's is not opened: nothing will act on
        # it); a live vnode of the object is renamed as a lookup renames it
        if not name or name == b"." or name == b".." or b"/" in name or b"\0" in name:
            raise Errno(EINVAL)
        d = self._dfd
        if d is None:
            d = self.dirfd()
        try:
            st = _lstat(name, dir_fd=d)
        except OSError as e:
            raise abi.host_error(e) from None
        fmt = st.st_mode & 0o170000
        if fmt == _HOST_S_IFLNK and follow:
            return None                 # namei follows it
        mount = self.mount
        ref = mount._vcache.get((st.st_dev, st.st_ino))
        if ref is not None:
            vp = ref()
            if vp is not None and vp is not mount._root and \
                    vp.type == _TYPE_OF_HOST.get(fmt, 0):
                vp.parent, vp.name = self, name     # (HostMount.vnode)
        setid = mount._setid_mem.get((st.st_dev, st.st_ino)) if mount._setid_mem else None
        if setid is None:
            setid = 0
            if mount._xattr and fmt in _XA_TYPES and self._dir_has_meta():
                setid = _xa_bits(b"/proc/self/fd/%d/" % d + name, False)
        return _stat50_from_host(st, mount.dev, setid, mount._nodemeta)

    def readdir(self):
        try:
            fd = os.open(b".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=self.dirfd())
        except OSError as e:
            raise abi.host_error(e) from None
        out = []
        try:
            with os.scandir(fd) as it:
                for ent in it:
                    name = ent.name.encode(_FSENC, _FSERR)      # os.fsencode, inline
                    try:
                        # a regular file or a symlink: the type and inode number
                        # the host's getdents gave (d_type, d_ino), no stat; a
                        # directory (d_ino differs from st_ino at a mount point)
                        # or anything else: lstat
                        if ent.is_file(follow_symlinks=False):
                            out.append((name, ent.inode(), _DT_REG))
                            continue
                        if ent.is_symlink():
                            out.append((name, ent.inode(), _DT_LNK))
                            continue
                        st = ent.stat(follow_symlinks=False)
                    except OSError:
                        continue        # vanished meanwhile
                    out.append((name, st.st_ino, abi.iftodt(abi.xlat_mode_from_host(st.st_mode))))
        finally:
            os.close(fd)
        return out

    def _ro(self):
        if self.mount.readonly:
            raise Errno(EROFS)

    def _new_owner(self, cred):
        """(uid, gid) a new file gets when the host runs as root (as NetBSD:
        the creator's euid and, BSD rule, the directory's group), else None."""
        if not _HOST_IS_ROOT:
            return None
        return cred.euid, self._host_stat().st_gid

    def _finish_new(self, name, fd, opath, hmode, cred):
        """Set the owner and mode of a just-created object through its own
        descriptor fd (owner first: a chown clears set-id bits; those are
        never set on the host, see _SETID); its vnode."""
        owner = self._new_owner(cred)
        if owner is not None:
            try:
                _chown_fd(fd, owner[0], owner[1], opath)
            except OSError:
                pass
        if hmode is not None:
            _chmod_fd(fd, hmode & ~_SETID, opath)
        st = os.fstat(fd)
        vp = self.mount.vnode(self, name, st)
        bits = (hmode or 0) & _SETID
        if bits & abi.NBSD_S_ISGID and cred.euid != 0 and not cred.groupmember(st.st_gid):
            bits &= ~abi.NBSD_S_ISGID   # NetBSD ufs_makeinode: not of the file's group
        if bits:
            vp._keep_setid(fd, opath, st, bits)
        elif self.mount._setid_mem:
            self.mount._setid_mem.pop((st.st_dev, st.st_ino), None)    # (a reused inode)
        if self.mount._nodemeta:
            self.mount._nodemeta.pop((st.st_dev, st.st_ino), None)     # (the same)
        return vp

    def create(self, name, mode, cred):
        _check_name(name)
        self._ro()
        try:
            fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW |
                         os.O_CLOEXEC | O_NOCTTY, 0o600, dir_fd=self.dirfd())
            try:
                return self._finish_new(name, fd, False, abi.xlat_perm_to_host(mode), cred)
            finally:
                os.close(fd)
        except OSError as e:
            raise abi.host_error(e) from None

    def _made(self, name, fmt, hmode, cred):
        """After mkdirat/mkfifoat/symlinkat: fix the new object up through an
        O_NOFOLLOW descriptor of it (a link swapped in is never followed)."""
        try:
            if fmt == hstat.S_IFLNK and not O_PATH:
                # no descriptor of a link without O_PATH: leave it as made
                return self.mount.vnode(self, name, os.stat(
                    name, dir_fd=self.dirfd(), follow_symlinks=False))
            fd, st = _open_new(self.dirfd(), name, fmt)
        except OSError as e:
            raise abi.host_error(e) from None
        try:
            if _EUID >= 0 and st.st_uid != _EUID:
                vp = self.mount.vnode(self, name, st)  # not ours to fix up
            else:
                vp = self._finish_new(name, fd, PROC_FD, hmode, cred)
            if fmt == hstat.S_IFDIR and O_PATH and vp._dfd is None and vp.key == _key(st):
                vp._adopt_dfd(fd)       # the new directory's own descriptor
                fd = None
            return vp
        except OSError as e:
            raise abi.host_error(e) from None
        finally:
            if fd is not None:
                os.close(fd)

    def mkdir(self, name, mode, cred):
        _check_name(name)
        self._ro()
        _may_hold()                     # (its vnode holds a descriptor: none half-made)
        try:
            os.mkdir(name, 0o700, dir_fd=self.dirfd())
        except OSError as e:
            raise abi.host_error(e) from None
        return self._made(name, hstat.S_IFDIR, abi.xlat_perm_to_host(mode), cred)

    def mkfifo(self, name, mode, cred):
        _check_name(name)
        self._ro()
        try:
            os.mkfifo(name, 0o600, dir_fd=self.dirfd())
        except OSError as e:
            raise abi.host_error(e) from None
        return self._made(name, hstat.S_IFIFO, abi.xlat_perm_to_host(mode), cred)

    def mksock(self, name, mode, cred):
        """A socket node for bind(2) of a guest AF_LOCAL socket: mknod(S_IFSOCK)
        makes the inode only; no host socket is created, bound or opened."""
        _check_name(name)
        self._ro()
        try:
            os.mknod(name, hstat.S_IFSOCK | 0o600, dir_fd=self.dirfd())
        except OSError as e:
            raise abi.host_error(e) from None
        return self._made(name, hstat.S_IFSOCK, abi.xlat_perm_to_host(mode), cred)

    def symlink(self, name, target, mode, cred):
        _check_name(name)
        self._ro()
        try:
            os.symlink(target, name, dir_fd=self.dirfd())
        except OSError as e:
            raise abi.host_error(e) from None
        return self._made(name, hstat.S_IFLNK, None, cred)

    def link(self, name, vp):
        _check_name(name)
        self._ro()
        self._meta_follows(vp)
        try:
            with vp._object() as (fd, opath):
                if PROC_FD:
                    # linkat(AT_FDCWD, "/proc/self/fd/N", dir, name, AT_SYMLINK_FOLLOW):
                    # the object itself, whatever its name now holds
                    os.link(_fdpath(fd), name, dst_dir_fd=self.dirfd(), follow_symlinks=True)
                else:
                    os.link(vp.name, name, src_dir_fd=vp.parent.dirfd(),
                            dst_dir_fd=self.dirfd(), follow_symlinks=False)
        except OSError as e:
            raise abi.host_error(e) from None

    def _meta_follows(self, vp):
        """vp gets a name in this directory (link, rename): mark it if vp
        has kept set-id bits in an attribute, so that they show there."""
        if self.mount._xattr and vp.parent is not None and vp.parent._dir_has_meta() and \
                not self._meta_dir:
            try:
                if vp._setid_of(vp._host_stat()):
                    self._mark_meta()
            except Errno:
                pass

    def remove(self, name, vp):
        # a directory entry of a held directory; unlinkat never follows a link
        _check_name(name)
        self._ro()
        mem = self.mount._setid_mem
        gone = None
        if mem:
            try:
                st = _lstat(name, dir_fd=self.dirfd())
                if st.st_nlink <= 1:
                    gone = (st.st_dev, st.st_ino)
            except OSError:
                pass
        try:
            os.unlink(name, dir_fd=self.dirfd())
        except OSError as e:
            raise abi.host_error(e) from None
        if gone is not None:
            mem.pop(gone, None)         # (its inode number may come back as another file)
        if vp is not None:
            self.mount.forget_name(vp)

    def rmdir(self, name, vp):
        _check_name(name)
        self._ro()
        try:
            os.rmdir(name, dir_fd=self.dirfd())
        except OSError as e:
            err = abi.xlat_errno(e)
            if err == EEXIST:
                err = ENOTEMPTY
            raise Errno(err) from None

    def rename(self, name, vp, tdvp, tname, tvp):
        _check_name(name)
        _check_name(tname)
        self._ro()
        if tdvp is not self:
            tdvp._meta_follows(vp)
        try:
            os.rename(name, tname, src_dir_fd=self.dirfd(), dst_dir_fd=tdvp.dirfd())
        except OSError as e:
            err = abi.xlat_errno(e)
            if err == EEXIST:
                err = ENOTEMPTY
            raise Errno(err) from None
        if tvp is not None and tvp is not vp:
            self.mount.forget_name(tvp)
        vp.parent, vp.name = tdvp, tname

    # -- symbolic links ---------------------------------------------------------
    def readlink(self):
        if self.type != VLNK:
            raise Errno(EINVAL)
        try:
            if O_PATH:
                with self._object() as (fd, _):
                    return os.readlink(b"", dir_fd=fd)    # readlinkat(fd, "")
            return os.readlink(self.name, dir_fd=self.parent.dirfd())
        except OSError as e:
            raise abi.host_error(e) from None

    # -- data -------------------------------------------------------------------
    @property
    def cache_key(self):
        return (self.mount.dev,) + self.key

    def _open_fd(self, writable):
        if self._fd is not None and (self._fd_writable or not writable):
            return
        if self._fd is None:
            _may_hold()
        flags = (os.O_RDWR if writable else os.O_RDONLY) | os.O_CLOEXEC | O_NOCTTY
        try:
            if PROC_FD:
                if self._fd is not None:
                    # upgrade: reopen the very file we hold (even if unlinked)
                    fd = os.open(_fdpath(self._fd), flags)
                else:
                    with self._object() as (ofd, _):
                        if not hstat.S_ISREG(os.fstat(ofd).st_mode):
                            raise Errno(ESTALE)
                        fd = os.open(_fdpath(ofd), flags)
            else:
                fd = os.open(self.name, flags | os.O_NOFOLLOW | O_NONBLOCK,
                             dir_fd=self.parent.dirfd())
        except OSError as e:
            raise abi.host_error(e) from None
        st = os.fstat(fd)
        if _key(st) != self.key or not hstat.S_ISREG(st.st_mode):
            os.close(fd)
            raise Errno(ESTALE)
        if self._fd is not None:
            os.close(self._fd)          # (an upgrade: still one held)
        else:
            _held_add(1)
        self._fd, self._fd_writable = fd, writable

    def open(self, fflags):
        if self.type != VREG:
            return
        self._open_fd(bool(fflags & abi.FWRITE))
        self._opens += 1

    def revalidate(self, bufcache):
        """On open: drop cached blocks if the host changed the file meanwhile."""
        if self.type != VREG:
            return
        st = self._host_stat()
        sig = (st.st_mtime_ns, st.st_size)
        if self._cache_sig is not None and sig != self._cache_sig:
            bufcache.invalidate(self)
        self._cache_sig = sig

    def close(self, fflags):
        if self.type != VREG:
            return
        self._opens -= 1
        if self._opens <= 0 and self._fd is not None:
            _close_held(self._fd)
            self._fd, self._fd_writable, self._opens = None, False, 0

    def _with_fd(self, writable, fn):
        if self._fd is not None and (self._fd_writable or not writable):
            return fn(self._fd)
        had = self._fd is not None
        self._open_fd(writable)
        try:
            return fn(self._fd)
        finally:
            if not had and self._opens == 0:
                _close_held(self._fd)
                self._fd, self._fd_writable = None, False

    def getsize(self):
        return self._host_stat().st_size

    def strategy_read(self, offset, n):
        try:
            return self._with_fd(False, lambda fd: os.pread(fd, n, offset))
        except OSError as e:
            raise abi.host_error(e) from None

    def strategy_write(self, offset, data):
        if self.mount.readonly:
            raise Errno(EROFS)

        self._cache_sig = None          # our own write: the next open re-baselines

        def w(fd):
            done = 0
            while done < len(data):
                done += os.pwrite(fd, data[done:], offset + done)
        try:
            self._with_fd(True, w)
        except OSError as e:
            raise abi.host_error(e) from None

    def truncate(self, size, cred):
        if self.type == VDIR:
            raise Errno(EISDIR)
        if self.type != VREG:
            raise Errno(EINVAL)
        if self.mount.readonly:
            raise Errno(EROFS)
        try:
            self._with_fd(True, lambda fd: os.ftruncate(fd, size))
        except OSError as e:
            raise abi.host_error(e) from None

    def fsync(self):
        if self._fd is not None:
            try:
                os.fsync(self._fd)
            except OSError as e:
                raise abi.host_error(e) from None


class HostRootVnode(HostVnode):
    """The mount's root: its descriptor is opened once from the host path."""

    def __init__(self, mount, st, dfd):
        super().__init__(mount, None, b"", st)
        self._dfd = dfd

    def dirfd(self):
        return self._dfd


class HostMount(Mount):
    """A host directory mounted read-write (or read-only: EROFS)."""

    fstype = "hostfs"

    def statfs(self):
        """The host file system's sizes (fstatvfs of the root's descriptor)."""
        try:
            st = os.statvfs(self._root.dirfd())
        except OSError:
            return dict(bsize=8192, blocks=0, bfree=0, files=0, ffree=0)
        return dict(bsize=st.f_bsize, frsize=st.f_frsize, blocks=st.f_blocks,
                    bfree=st.f_bavail, files=st.f_files, ffree=st.f_favail)

    def __init__(self, hostdir, readonly=False, disk=None):
        super().__init__(readonly)
        self.hostroot = os.path.abspath(hostdir)
        self.hostroot_bytes = os.fsencode(self.hostroot)
        self.disk = disk
        try:
            dfd = os.open(self.hostroot, O_DIRPATH)
        except OSError as e:
            raise ValueError(f"cannot mount {hostdir}: {e.strerror}") from None
        st = os.fstat(dfd)
        # (st_dev, st_ino) -> weak reference to the vnode (a WeakValueDictionary
        # by hand: its get and set are Python code, and lookup calls both)
        self._vcache = {}
        # the guest's set-id bits (see _SETID): in extended attributes where
        # the host takes them, else here, for the run ((st_dev, st_ino) -> bits)
        self._xattr = _XATTR
        self._noxattr = set()           # host st_dev values that take no attribute
        self._setid_mem = {}
        self._nodemeta = {}             # device, FIFO, socket nodes: the guest's mode, owner
        self._root = HostRootVnode(self, st, dfd)
        _held_add(1)
        self._root._finalizer = weakref.finalize(self._root, _close_held, dfd)
        self._cache_put(self._root.key, self._root)

    @property
    def root(self):
        return self._root

    def _cache_put(self, key, vp):
        cache = self._vcache

        def gone(ref):
            if cache.get(key) is ref:
                del cache[key]
        cache[key] = weakref.ref(vp, gone)

    def vnode(self, parent, name, st):
        key = (st.st_dev, st.st_ino)
        ref = self._vcache.get(key)
        if ref is not None:
            vp = ref()
            if vp is not None and vp.type == _TYPE_OF_HOST.get(st.st_mode & 0o170000, 0):
                if vp is not self._root:
                    vp.parent, vp.name = parent, name
                return vp
        vp = HostVnode(self, parent, name, st)
        self._cache_put(key, vp)
        return vp

    def forget_name(self, vp):
        """vp's name is gone (unlinked or replaced); open fds keep working."""
        pass

    def close(self):
        self._vcache.clear()
