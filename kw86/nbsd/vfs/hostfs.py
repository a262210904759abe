"""hostfs: a host directory as a guest file system (the sysroot, --bind).

Host safety.  The guest's namei (vfs.VFS.namei) walks paths itself, one
component at a time; this file system only ever sees a single component
name at a time, in a directory it already holds.  Every host call is made
relative to a directory file descriptor (`dir_fd=`), on a single name that
contains no '/', without following symbolic links (O_NOFOLLOW,
follow_symlinks=False).  Directory vnodes hold an O_PATH descriptor of
their own directory, opened from their parent's descriptor with
O_NOFOLLOW|O_DIRECTORY, so a vnode always names the directory it was
looked up as, even if the host tree changes, and nothing is ever resolved
from a host path string except the mount's root, once.

Inode numbers, modes, owners, link counts and times are the host's (lstat).
Host file names are bytes; nothing is decoded.
"""
import os
import stat as hstat
import weakref

from kw86.nbsd import abi
from kw86.nbsd.abi import Attr, EEXIST, EINVAL, EISDIR, ENOTDIR, ENOTEMPTY, EROFS
from kw86.nbsd.errors import Errno
from kw86.nbsd.vfs import Mount, Vnode, VDIR, VREG, VLNK

O_PATH = getattr(os, "O_PATH", 0)
O_DIRPATH = (O_PATH or os.O_RDONLY) | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_HOST_IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def _nbsd_rdev(st):
    """A host device node's st_rdev in NetBSD's dev_t encoding (sys/types.h
    makedev: major in bits 8-19, minor's low byte in 0-7, the rest in 20-31)."""
    if not (hstat.S_ISCHR(st.st_mode) or hstat.S_ISBLK(st.st_mode)):
        return 0
    ma, mi = os.major(st.st_rdev), os.minor(st.st_rdev)
    return ((ma << 8) & 0x000fff00) | ((mi << 12) & 0xfff00000) | (mi & 0xff)


def _attr_from_host(st, dev):
    return Attr(mode=abi.xlat_mode_from_host(st.st_mode), ino=st.st_ino, nlink=st.st_nlink,
                uid=st.st_uid, gid=st.st_gid, rdev=_nbsd_rdev(st), size=st.st_size,
                blocks=st.st_blocks, blksize=st.st_blksize or 4096,
                atime=st.st_atime_ns, mtime=st.st_mtime_ns, ctime=st.st_ctime_ns,
                # UFS1 has no birth time (reported as 0); use the host's if it has one.
                birthtime=getattr(st, "st_birthtime_ns", 0) or 0, dev=dev)


def _check_name(name):
    # namei never passes these; a second line of defence for host safety.
    if not name or b"/" in name or b"\0" in name or name in (b".", b".."):
        raise Errno(EINVAL)


class HostVnode(Vnode):

    def __init__(self, mount, parent, name, st):
        self.mount = mount
        self.parent = parent            # HostVnode of the directory, None for the root
        self.name = name
        self.key = (st.st_dev, st.st_ino)
        self.type = abi.xlat_mode_from_host(st.st_mode) & abi.NBSD_S_IFMT
        self._dfd = None                # O_PATH fd (directories)
        self._fd = None                 # I/O fd (regular files)
        self._fd_writable = False
        self._opens = 0
        self._finalizer = None
        self._cache_sig = None          # (mtime, size) when the cache was last valid
        self.disk = mount.disk

    def __repr__(self):
        return f"<HostVnode {self.name!r} ino={self.key[1]}>"

    # -- host handles ---------------------------------------------------------
    def dirfd(self):
        if self._dfd is None:
            if self.type != VDIR:
                raise Errno(ENOTDIR)
            try:
                self._dfd = os.open(self.name, O_DIRPATH, dir_fd=self.parent.dirfd())
            except OSError as e:
                raise abi.host_error(e) from None
            self._finalizer = weakref.finalize(self, os.close, self._dfd)
        return self._dfd

    def _here(self):
        """(dir_fd, name) designating this file on the host."""
        return self.parent.dirfd(), self.name

    def _host_stat(self):
        try:
            if self._fd is not None:
                return os.fstat(self._fd)
            if self.parent is None or self._dfd is not None:
                return os.fstat(self.dirfd())
            d, n = self._here()
            return os.stat(n, dir_fd=d, follow_symlinks=False)
        except OSError as e:
            raise abi.host_error(e) from None

    # -- attributes -------------------------------------------------------------
    def getattr(self):
        return _attr_from_host(self._host_stat(), self.mount.dev)

    def setattr(self, cred, mode=None, uid=None, gid=None, atime=None, mtime=None):
        if self.mount.readonly:
            raise Errno(EROFS)
        try:
            if self._fd is not None:
                target, kw = self._fd, {}
            elif self.parent is None or self.type == VDIR:
                # chmod/chown through the O_PATH fd via /proc would be Linux-only;
                # the directory's own name in its parent is equivalent here.
                if self.parent is None:
                    target, kw = self.mount.hostroot_bytes, {}
                else:
                    target, kw = self.name, dict(dir_fd=self.parent.dirfd())
            else:
                target, kw = self.name, dict(dir_fd=self.parent.dirfd())
            if mode is not None:
                hmode = abi.xlat_perm_to_host(mode & abi.NBSD_ALLPERMS)
                if self.type == VLNK:
                    pass                # NetBSD lchmod; Linux cannot: ignored
                elif isinstance(target, int):
                    os.chmod(target, hmode)
                else:
                    os.chmod(target, hmode, **kw)
            if uid is not None or gid is not None:
                u = -1 if uid is None else uid
                g = -1 if gid is None else gid
                if isinstance(target, int):
                    os.chown(target, u, g)
                else:
                    os.chown(target, u, g, follow_symlinks=False, **kw)
            if atime is not None or mtime is not None:
                st = self._host_stat()
                a = st.st_atime_ns if atime is None else atime
                m = st.st_mtime_ns if mtime is None else mtime
                if isinstance(target, int):
                    os.utime(target, ns=(a, m))
                else:
                    os.utime(target, ns=(a, m), follow_symlinks=False, **kw)
        except OSError as e:
            raise abi.host_error(e) from None

    # -- directories --------------------------------------------------------------
    def lookup(self, name):
        _check_name(name)
        d = self.dirfd()
        try:
            st = os.stat(name, dir_fd=d, follow_symlinks=False)
        except OSError as e:
            raise abi.host_error(e) from None
        return self.mount.vnode(self, name, st)

    def readdir(self):
        try:
            fd = os.open(b".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=self.dirfd())
        except OSError as e:
            raise abi.host_error(e) from None
        out = []
        try:
            with os.scandir(fd) as it:
                for ent in it:
                    name = os.fsencode(ent.name)
                    try:
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

    def _chown_new(self, name, cred):
        # A host running as root gives new files the guest's owner, as NetBSD would.
        if _HOST_IS_ROOT:
            try:
                # BSD: the new file takes the directory's group.
                os.chown(name, cred.euid, self.getattr().gid,
                         dir_fd=self.dirfd(), follow_symlinks=False)
            except OSError:
                pass

    def create(self, name, mode, cred):
        _check_name(name)
        self._ro()
        try:
            fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                         0o600, dir_fd=self.dirfd())
            try:
                os.fchmod(fd, abi.xlat_perm_to_host(mode))
            finally:
                os.close(fd)
        except OSError as e:
            raise abi.host_error(e) from None
        self._chown_new(name, cred)
        return self.lookup(name)

    def mkdir(self, name, mode, cred):
        _check_name(name)
        self._ro()
        try:
            os.mkdir(name, 0o700, dir_fd=self.dirfd())
            os.chmod(name, abi.xlat_perm_to_host(mode), dir_fd=self.dirfd())
        except OSError as e:
            raise abi.host_error(e) from None
        self._chown_new(name, cred)
        return self.lookup(name)

    def mkfifo(self, name, mode, cred):
        _check_name(name)
        self._ro()
        try:
            os.mkfifo(name, 0o600, dir_fd=self.dirfd())
            os.chmod(name, abi.xlat_perm_to_host(mode), dir_fd=self.dirfd())
        except OSError as e:
            raise abi.host_error(e) from None
        self._chown_new(name, cred)
        return self.lookup(name)

    def symlink(self, name, target, mode, cred):
        _check_name(name)
        self._ro()
        try:
            os.symlink(target, name, dir_fd=self.dirfd())
        except OSError as e:
            raise abi.host_error(e) from None
        self._chown_new(name, cred)
        return self.lookup(name)

    def link(self, name, vp):
        _check_name(name)
        self._ro()
        sd, sn = vp._here()
        try:
            os.link(sn, name, src_dir_fd=sd, dst_dir_fd=self.dirfd(), follow_symlinks=False)
        except OSError as e:
            raise abi.host_error(e) from None

    def remove(self, name, vp):
        _check_name(name)
        self._ro()
        try:
            os.unlink(name, dir_fd=self.dirfd())
        except OSError as e:
            raise abi.host_error(e) from None
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
        d, n = self._here()
        try:
            return os.readlink(n, dir_fd=d)
        except OSError as e:
            raise abi.host_error(e) from None

    # -- data -------------------------------------------------------------------
    @property
    def cache_key(self):
        return (self.mount.dev,) + self.key

    def _open_fd(self, writable):
        if self._fd is not None and (self._fd_writable or not writable):
            return
        d, n = self._here()
        flags = (os.O_RDWR if writable else os.O_RDONLY) | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            fd = os.open(n, flags, dir_fd=d)
        except OSError as e:
            raise abi.host_error(e) from None
        st = os.fstat(fd)
        if (st.st_dev, st.st_ino) != self.key or not hstat.S_ISREG(st.st_mode):
            os.close(fd)
            raise Errno(abi.ESTALE)
        if self._fd is not None:
            os.close(self._fd)
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
            os.close(self._fd)
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
                os.close(self._fd)
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
    def __init__(self, mount, st, dfd):
        super().__init__(mount, None, b"", st)
        self._dfd = dfd

    def _here(self):
        raise Errno(EINVAL)


class HostMount(Mount):
    """A host directory mounted read-write (or read-only: EROFS)."""

    fstype = "hostfs"

    def statfs(self):
        """The host file system's sizes (statvfs of the directory)."""
        try:
            st = os.statvfs(self.hostroot)
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
        self._vcache = weakref.WeakValueDictionary()
        self._root = HostRootVnode(self, st, dfd)
        self._root._finalizer = weakref.finalize(self._root, os.close, dfd)
        self._vcache[self._root.key] = self._root

    @property
    def root(self):
        return self._root

    def vnode(self, parent, name, st):
        key = (st.st_dev, st.st_ino)
        vp = self._vcache.get(key)
        if vp is not None:
            fmt = abi.xlat_mode_from_host(st.st_mode) & abi.NBSD_S_IFMT
            if vp.type == fmt:
                if vp is not self._root:
                    vp.parent, vp.name = parent, name
                return vp
        vp = HostVnode(self, parent, name, st)
        self._vcache[key] = vp
        return vp

    def forget_name(self, vp):
        """vp's name is gone (unlinked or replaced); open fds keep working."""
        pass

    def close(self):
        self._vcache.clear()
