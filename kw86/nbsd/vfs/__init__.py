"""The vnode layer: vnodes, mounts, the mount table and namei.

Paths are bytes, in guest terms, and are never handed to the host.  namei
walks them one component at a time over a *stack* of (name, vnode) pairs
from the global root: `..` pops the stack (and never pops past the
process's root), a symbolic link is read and its target's components are
pushed in front of the rest of the path (an absolute target restarts from
the process's root), so every path, whatever its symlinks, stays inside the
guest's tree.  Mount points are keyed by their guest path; crossing one
replaces the covered directory by the mounted root.

File systems subclass Vnode (hostfs.py, mfs.py, devfs.py).  The methods
raise Errno; the defaults say what an operation means for a file that
cannot do it.
"""
import os

from kw86.nbsd import abi
from kw86.nbsd.abi import (EACCES, EEXIST, EINVAL, EISDIR, ELOOP, ENAMETOOLONG,
                           ENOENT, ENOTDIR, EOPNOTSUPP, EPERM, EROFS, EXDEV)
from kw86.nbsd.errors import Errno

VREAD, VWRITE, VEXEC = 4, 2, 1          # access modes (as the R/W/X bits)
MAXSYMLINKS = 32                        # NetBSD's sys/param.h

_MAXPATHLEN, _NAME_MAX = abi.MAXPATHLEN, abi.NAME_MAX
VDIR, VREG, VLNK, VCHR, VFIFO = (abi.NBSD_S_IFDIR, abi.NBSD_S_IFREG, abi.NBSD_S_IFLNK,
                                 abi.NBSD_S_IFCHR, abi.NBSD_S_IFIFO)


def makedev(major, minor):
    """NetBSD's makedev(): major in bits 8-19, minor split around it."""
    return ((major << 8) & 0x000fff00) | (minor & 0xff) | ((minor << 12) & 0xfff00000)


class Cred:
    """Process credentials (kauth_cred)."""

    def __init__(self, uid=0, gid=0, groups=(), euid=None, egid=None):
        self.ruid = uid
        self.euid = uid if euid is None else euid
        self.svuid = self.euid
        self.rgid = gid
        self.egid = gid if egid is None else egid
        self.svgid = self.egid
        self.groups = list(groups) or [self.egid]

    def copy(self):
        c = Cred.__new__(Cred)
        c.__dict__.update(self.__dict__)
        c.groups = list(self.groups)
        return c

    def groupmember(self, gid):
        return gid == self.egid or gid in self.groups


ROOTCRED = Cred(0, 0)


class Vnode:
    """Base vnode.  `type` is a NBSD_S_IF* value; `mount` the Mount."""

    type = VREG
    mount = None
    disk = None                 # DiskModel for data transfers, None = free

    # -- attributes --------------------------------------------------------
    def getattr(self):
        raise NotImplementedError

    def stat_attr(self):
        """getattr() for stat(2) of the vnode namei just returned: a file
        system may answer from what that very namei read (hostfs: the host
        stat its lookup made, checked to be of this object)."""
        return self.getattr()

    def stat50(self):
        """stat_attr() as NetBSD 10's struct stat (__stat50's bytes); hostfs
        packs it straight from the host's stat."""
        return abi.pack_stat50(self.stat_attr())

    def setattr(self, cred, mode=None, uid=None, gid=None, atime=None, mtime=None):
        raise Errno(EOPNOTSUPP)

    # -- directories -------------------------------------------------------
    def lookup(self, name):
        raise Errno(ENOTDIR)

    def lookup_stat50(self, name, follow):
        """lookup(name).stat50() when the file system can read it without a
        vnode, else None (namei then looks the name up); follow: a
        symbolic link there is to be followed (None: namei does that)."""
        return None

    def readdir(self):
        """[(name, ino, dtype)] without '.' and '..', any order."""
        raise Errno(ENOTDIR)

    def create(self, name, mode, cred):
        raise Errno(ENOTDIR)

    def mkdir(self, name, mode, cred):
        raise Errno(ENOTDIR)

    def mkfifo(self, name, mode, cred):
        raise Errno(ENOTDIR)

    def symlink(self, name, target, mode, cred):
        raise Errno(ENOTDIR)

    def link(self, name, vp):
        raise Errno(ENOTDIR)

    def remove(self, name, vp):
        raise Errno(ENOTDIR)

    def rmdir(self, name, vp):
        raise Errno(ENOTDIR)

    def rename(self, name, vp, tdvp, tname, tvp):
        raise Errno(ENOTDIR)

    # -- symbolic links ----------------------------------------------------
    def readlink(self):
        raise Errno(EINVAL)

    # -- regular files -----------------------------------------------------
    def open(self, fflags):
        """Called for each open (fflags: abi.FREAD|FWRITE)."""

    def close(self, fflags):
        """Called when an open file on this vnode is closed for good."""

    def getsize(self):
        return self.getattr().size

    def truncate(self, size, cred):
        raise Errno(EINVAL if self.type != VDIR else EISDIR)

    def fsync(self):
        pass

    @property
    def cache_key(self):
        raise NotImplementedError

    def strategy_read(self, offset, n):
        raise Errno(EOPNOTSUPP)

    def strategy_write(self, offset, data):
        raise Errno(EOPNOTSUPP)

    # -- device special files ----------------------------------------------
    device = None               # a Device for VCHR vnodes


class Mount:
    """A mounted file system: its root vnode, device number, flags."""

    fstype = "?"

    def __init__(self, readonly=False):
        self.readonly = readonly
        self.dev = 0
        self.path = ()
        self.vfs = None         # set by VFS.mount

    @property
    def root(self):
        raise NotImplementedError

    def statfs(self):
        return dict(bsize=8192, blocks=0, bfree=0, files=0, ffree=0)


class SynthDir(Vnode):
    """A directory that exists only because a mount point lies below it
    (`--bind H:/mnt/host` over a root without /mnt): read-only, root's,
    0755, its entries are the mount points under it (VFS.mount_children)."""

    type = VDIR

    def __init__(self, vfs, path):
        self.vfs = vfs
        self.path = path
        self.mount = vfs.synth_mount
        self.ino = 0x5f000000 | (abs(hash(path)) & 0xffffff)

    def getattr(self):
        t = self.mount.mtime
        return abi.Attr(mode=VDIR | 0o755, ino=self.ino,
                        nlink=2 + len(self.vfs.mount_children(self.path)), uid=0, gid=0,
                        size=512, blocks=1, blksize=512, atime=t, mtime=t, ctime=t,
                        birthtime=t, dev=self.mount.dev)

    def lookup(self, name):
        raise Errno(ENOENT)             # its children are mounts (VFS._child)

    def readdir(self):
        return []

    def _rofs(self, *a):
        raise Errno(EROFS)

    create = mkdir = mkfifo = symlink = link = remove = rmdir = rename = setattr = _rofs

    @property
    def cache_key(self):
        return ("synth", self.path)


class SynthMount(Mount):
    fstype = "synthetic"

    def __init__(self):
        super().__init__(readonly=True)
        self.mtime = 0

    @property
    def root(self):
        return None                     # many roots: one SynthDir per path


def vnode_key(vp):
    """The identity of the object behind vp (its cache_key: the same file
    through any vnode); a device or synthetic node without one is keyed by
    the vnode itself.  FIFOs, bound AF_LOCAL sockets and record locks are
    found by it."""
    try:
        return vp.cache_key
    except (NotImplementedError, AttributeError):
        return ("vnode", id(vp))


def access(vp, cred, mode, attr=None):
    """NetBSD permission check (genfs_can_access): root bypasses all but exec."""
    if mode & VWRITE and vp.mount is not None and vp.mount.readonly and \
            vp.type in (VREG, VDIR, VLNK):
        raise Errno(EROFS)
    if cred.euid == 0 and attr is None and vp.type == VDIR:
        return          # root may search and read any directory: no getattr (namei's hot path)
    a = attr or vp.getattr()
    if cred.euid == 0:
        if mode & VEXEC and a.type != VDIR and not a.mode & 0o111:
            raise Errno(EACCES)
        return
    if cred.euid == a.uid:
        bits = (a.mode >> 6) & 7
    elif cred.groupmember(a.gid):
        bits = (a.mode >> 3) & 7
    else:
        bits = a.mode & 7
    if mode & ~bits:
        raise Errno(EACCES)


def write_clears_setid(vp, cred):
    """After data was written to vp by cred: as NetBSD's ufs write, a writer
    other than the superuser clears the file's S_ISUID and S_ISGID (kauth
    KAUTH_VNODE_RETAIN_SUID/SGID: root keeps them)."""
    if cred.euid == 0:
        return
    a = vp.getattr()
    if a.mode & (abi.NBSD_S_ISUID | abi.NBSD_S_ISGID):
        vp.setattr(cred, mode=a.mode & abi.NBSD_ALLPERMS & ~(abi.NBSD_S_ISUID | abi.NBSD_S_ISGID))


def check_sticky(dvp, vp, cred):
    """Removing or renaming `vp` from a sticky directory needs ownership."""
    if cred.euid == 0:
        return
    da = dvp.getattr()
    if da.mode & abi.NBSD_S_ISVTX:
        if cred.euid != da.uid and cred.euid != vp.getattr().uid:
            raise Errno(EPERM)


def stack_path(stack):
    """The guest path of a namei stack."""
    names = [n for n, _ in stack[1:]]
    return b"/" + b"/".join(names)


class VFS:
    """The mount table and the name lookup over it."""

    def __init__(self):
        self.mounts = {}            # guest path tuple -> Mount
        self.root_mount = None
        self.on_namei = None        # on_namei(ncomponents): the kernel-cost charge
        self.synth = {}             # path tuple -> SynthDir (mount points' missing parents)
        self.synth_mount = SynthMount()
        self.caller = None          # the ctx of the last namei (procfs's curproc)
        self._mount_comps = frozenset()     # every component of a mount point's path
        self.namei_gen = 0          # counts namei calls (hostfs: what a lookup read is of which)

    # -- mount table --------------------------------------------------------
    def mount(self, guest_path, mnt):
        path = self._mount_path(guest_path)
        if path in self.mounts:
            raise Errno(abi.EBUSY)
        mnt.path = path
        mnt.vfs = self
        self.mounts[path] = mnt
        self._mount_comps = frozenset(c for p in self.mounts for c in p)
        if not path:
            self.root_mount = mnt
        return mnt

    def unmount(self, guest_path):
        self.mounts.pop(self._mount_path(guest_path))
        self._mount_comps = frozenset(c for p in self.mounts for c in p)

    @staticmethod
    def _mount_path(guest_path):
        """A mount point's key: its components, '.' dropped and '..' taken
        by name (EINVAL if it would climb above '/')."""
        if isinstance(guest_path, str):
            guest_path = os.fsencode(guest_path)
        out = []
        for c in guest_path.split(b"/"):
            if c in (b"", b"."):
                continue
            if c == b"..":
                if not out:
                    raise Errno(EINVAL)
                out.pop()
            else:
                out.append(c)
        return tuple(out)

    @property
    def root(self):
        return self.root_mount.root

    def root_stack(self):
        return [(b"", self.root)]

    def mount_children(self, dirpath):
        """Names under the directory at dirpath that lead to a mount point:
        mount points directly under it, and the first component of deeper
        ones (whose directory may exist only as a SynthDir)."""
        n = len(dirpath)
        return sorted({p[n] for p in self.mounts if len(p) > n and p[:n] == dirpath})

    def on_mount_path(self, stack, name):
        """Whether the directory `name` under the directory on top of stack
        lies on the way to a mount point (a proper prefix of one's path).
        Mount points are kept by path: such a directory must not move
        (rename: EBUSY), or the directories the mounts cover would come out
        from under them at its new name (a read-only bind of a directory
        inside the root would be writable there)."""
        path = tuple(n for n, _ in stack[1:]) + (name,)
        n = len(path)
        return any(len(p) > n and p[:n] == path for p in self.mounts)

    def child_at(self, dirpath, name, dvp):
        """The vnode of name under the directory dvp at dirpath (mounts first;
        a missing directory on the way to a mount point is synthesised)."""
        path = dirpath + (name,)
        m = self.mounts.get(path)
        if m is not None:
            return m.root
        try:
            return dvp.lookup(name)
        except Errno as e:
            if e.errno != ENOENT or not any(len(p) > len(path) and p[:len(path)] == path
                                            for p in self.mounts):
                raise
        sd = self.synth.get(path)
        if sd is None:
            sd = self.synth[path] = SynthDir(self, path)
        return sd

    # -- namei --------------------------------------------------------------
    def _child(self, stack, name):
        if name not in self._mount_comps:
            # not a mount point nor on the way to one (namei's hot path:
            # no path tuple, no mount table lookup)
            return stack[-1][1].lookup(name)
        return self.child_at(tuple(n for n, _ in stack[1:]), name, stack[-1][1])

    def lookup_child(self, stack, name):
        """The child `name` of the directory on top of stack, or None."""
        try:
            return self._child(stack, name)
        except Errno as e:
            if e.errno == ENOENT:
                return None
            raise

    def namei(self, ctx, path, follow=True, parent=False, start=None, stat50=False):
        """Resolve a guest path.

        ctx has .root and .cwd (stacks) and .cred; start, if given, is the
        stack a relative path starts from instead of ctx.cwd (the *at calls:
        the directory open on their descriptor).
        stat50=True (the stat family): the result may instead be the
        file's struct stat (bytes, as Vnode.stat50 gives it), read by the
        file system straight from the directory holding the last component
        (Vnode.lookup_stat50) without a vnode for it.
        parent=False: returns the stack, whose top is the file.
        parent=True: returns (dir stack, last name, vnode or None); the last
        component is followed if it is a symlink and follow is set (so
        O_CREAT through a dangling link creates its target), and must not
        be '.' or '..' (EINVAL; callers that want another errno check first).
        """
        if not path:
            raise Errno(ENOENT)
        if len(path) >= _MAXPATHLEN:
            raise Errno(ENAMETOOLONG)
        if b"\0" in path:
            raise Errno(EINVAL)
        self.caller = ctx                   # whose lookup this is (procfs: curproc)
        self.namei_gen += 1
        root = ctx.root
        if path[0] == 47:                   # b"/"
            stack = list(root)
        else:
            stack = list(ctx.cwd if start is None else start)
        # the components, as a stack (the next one last); empty ones
        # (leading, trailing or doubled slashes) dropped
        inner = path.strip(b"/")
        if inner:
            comps = inner.split(b"/")
            if b"//" in inner:
                comps = [c for c in comps if c]
            comps.reverse()
        else:
            comps = []
        if self.on_namei is not None:
            self.on_namei(len(comps))       # kernel-cost table: per component
        must_dir = path[-1] == 47           # ends in b"/"
        links = 0
        if not comps:                       # "/" or "///"
            if parent:
                raise Errno(EINVAL)
            return stack
        cred = ctx.cred
        mount_comps = self._mount_comps
        while comps:
            name = comps.pop()
            last = not comps
            dvp = stack[-1][1]
            if dvp.type != VDIR:
                raise Errno(ENOTDIR)
            if cred.euid != 0:
                access(dvp, cred, VEXEC)    # (root may search any directory)
            if len(name) > _NAME_MAX:
                raise Errno(ENAMETOOLONG)
            if name[0] == 46 and (name == b"." or name == b".."):
                if last and parent:
                    raise Errno(EINVAL)
                if name == b"..":
                    if len(stack) > len(root):
                        stack.pop()
                continue
            if last and parent:
                vp = self.lookup_child(stack, name)
                if vp is not None and vp.type == VLNK and (follow or must_dir):
                    links = self._expand(vp, stack, comps, root, links)
                    if not comps:           # link to "/" or "."
                        raise Errno(EEXIST)
                    continue
                if must_dir and vp is not None and vp.type != VDIR:
                    raise Errno(ENOTDIR)
                return stack, name, vp
            if name in mount_comps:
                vp = self.child_at(tuple(n for n, _ in stack[1:]), name, dvp)
            else:
                # not a mount point nor on the way to one (the hot path:
                # no path tuple, no mount table lookup)
                if stat50 and last and not must_dir:
                    st = dvp.lookup_stat50(name, follow)
                    if st is not None:
                        return st
                vp = dvp.lookup(name)
            if vp.type == VLNK and (not last or follow or must_dir):
                links = self._expand(vp, stack, comps, root, links)
                continue
            stack.append((name, vp))
        if must_dir and stack[-1][1].type != VDIR:
            raise Errno(ENOTDIR)
        if parent:
            # the path ended in '.' or '..' after a symlink expansion
            raise Errno(EINVAL)
        return stack

    def _expand(self, vp, stack, comps, root, links):
        links += 1
        if links > MAXSYMLINKS:
            raise Errno(ELOOP)
        target = vp.readlink()
        if not target:
            raise Errno(ENOENT)
        if len(target) >= _MAXPATHLEN:
            # a host link longer than any NetBSD's (namei_follow reads at
            # most MAXPATHLEN bytes of it, and the path must fit that)
            raise Errno(ENAMETOOLONG)
        if target[:1] == b"/":
            stack[:] = list(root)
        more = [c for c in target.split(b"/") if c]
        if self.on_namei is not None:
            self.on_namei(len(more))
        comps.extend(reversed(more))        # comps is a stack (namei)
        return links

    def lookup(self, ctx, path, follow=True):
        """The vnode at path (following a final symlink if follow)."""
        return self.namei(ctx, path, follow)[-1][1]

    def same_mount_or_exdev(self, a, b):
        if a.mount is not b.mount:
            raise Errno(EXDEV)
