"""devfs: /dev with null, zero, random, urandom, tty, stdin, stdout, stderr.

Device numbers are NetBSD/i386's majors (sys/arch/i386/conf/majors.i386):
mem 2 (null minor 2, zero minor 12), ctty 1, filedesc 22 (stdin 0, stdout
1, stderr 2), rnd 46 (random minor 0, urandom minor 1).  random and
urandom give the kernel's seeded generator (the bytes kern.arandom and
getrandom give: runs are deterministic); writes are accepted and ignored,
as entropy a kw86 run does not need.

A Device implements read/write/ioctl for an open file.  /dev/stdin,
/dev/stdout and /dev/stderr are NetBSD's fdesc nodes: opening one
duplicates the process's descriptor 0, 1 or 2 (Device.open returns the
existing open file), so nothing here ever reaches a host path.
"""
from kw86.nbsd import abi
from kw86.nbsd.abi import Attr, EACCES, EINVAL, ENOENT, ENOTTY, ENXIO, EPERM
from kw86.nbsd.errors import Errno
from kw86.nbsd.vfs import Mount, Vnode, VDIR, VCHR, makedev


class Device:
    """A character device.  Methods get the open file `f` and the process `p`."""

    name = "?"

    def open(self, p, fflags):
        """None to open this device; or an existing File to share (fdesc)."""
        return None

    def read(self, f, n):
        return b""

    def write(self, f, data):
        return len(data)

    def ioctl(self, f, cmd, data):
        """data: bytes copied in (IOC_IN) or None; return bytes to copy out."""
        raise Errno(ENOTTY)

    def readable_bytes(self):
        return 0

    def isatty(self):
        return False


class NullDevice(Device):
    name = "null"

    def ioctl(self, f, cmd, data):
        if cmd == abi.NBSD_FIONREAD:
            return b"\0\0\0\0"
        raise Errno(ENOTTY)


class ZeroDevice(Device):
    name = "zero"

    def read(self, f, n):
        return bytes(n)

    def ioctl(self, f, cmd, data):
        raise Errno(ENOTTY)


class RandomDevice(Device):
    """/dev/random, /dev/urandom: `source(n)` gives n bytes.  A read returns
    at most 1 MiB (a short read, as a device may give)."""

    def __init__(self, name, source):
        self.name = name
        self.source = source

    def read(self, f, n):
        return self.source(min(n, 1 << 20))

    def ioctl(self, f, cmd, data):
        if cmd == abi.NBSD_FIONREAD:
            return b"\0\0\0\0"
        raise Errno(ENOTTY)


class CttyDevice(Device):
    """/dev/tty: the process's controlling terminal (the kernel's console)."""
    name = "tty"

    def __init__(self, devfs):
        self.devfs = devfs

    def _cons(self):
        if self.devfs.console is None:
            raise Errno(ENXIO)
        return self.devfs.console

    def open(self, p, fflags):
        self._cons()
        return None

    def read(self, f, n):
        return self._cons().read(f, n)

    def write(self, f, data):
        return self._cons().write(f, data)

    def ioctl(self, f, cmd, data):
        return self._cons().ioctl(f, cmd, data)

    def readable_bytes(self):
        return self._cons().readable_bytes()

    def isatty(self):
        return self._cons().isatty()

    def poll(self, events):
        return self._cons().poll(events)

    @property
    def wait_chan(self):
        return self.devfs.console


class FdDevice(Device):
    """/dev/stdin etc.: a second reference to the process's descriptor n."""

    def __init__(self, n):
        self.n = n
        self.name = ("stdin", "stdout", "stderr")[n]

    def open(self, p, fflags):
        f = p.fdt.get(self.n)           # EBADF if closed
        if fflags & abi.FREAD and not f.fflags & abi.FREAD or \
                fflags & abi.FWRITE and not f.fflags & abi.FWRITE:
            raise Errno(EACCES)
        return f


class DevVnode(Vnode):
    def __init__(self, mount, ino, device, rdev, mode):
        self.mount = mount
        self.ino = ino
        self.device = device
        self.rdev = rdev
        self.type = VCHR if device is not None else VDIR
        self.mode = self.type | mode
        self.uid = 0
        self.gid = 0

    def __repr__(self):
        return f"<DevVnode {getattr(self.device, 'name', '/dev')}>"

    def getattr(self):
        t = self.mount.mtime
        return Attr(mode=self.mode, ino=self.ino, nlink=2 if self.type == VDIR else 1,
                    uid=self.uid, gid=self.gid, rdev=self.rdev, size=512 if self.type == VDIR else 0,
                    blocks=1 if self.type == VDIR else 0, blksize=4096,
                    atime=t, mtime=t, ctime=t, birthtime=t, dev=self.mount.dev)

    def setattr(self, cred, mode=None, uid=None, gid=None, atime=None, mtime=None):
        if mode is not None:
            self.mode = self.type | (mode & abi.NBSD_ALLPERMS)
        if uid is not None:
            self.uid = uid
        if gid is not None:
            self.gid = gid

    def lookup(self, name):
        if self.type != VDIR:
            raise Errno(abi.ENOTDIR)
        vp = self.mount.nodes.get(name)
        if vp is None:
            raise Errno(ENOENT)
        return vp

    def readdir(self):
        if self.type != VDIR:
            raise Errno(abi.ENOTDIR)
        return [(n, v.ino, abi.NBSD_DT_CHR) for n, v in self.mount.nodes.items()]

    def _nope(self, *a):
        raise Errno(EPERM if self.type == VDIR else abi.ENOTDIR)

    create = mkdir = mkfifo = symlink = link = remove = rmdir = rename = _nope

    def truncate(self, size, cred):
        if self.type == VDIR:
            raise Errno(abi.EISDIR)
        # O_TRUNC on /dev/null is a no-op, as on a real device node.

    @property
    def cache_key(self):
        raise Errno(EINVAL)


class DevfsMount(Mount):
    fstype = "devfs"

    def __init__(self, console=None, mtime=0, random=None):
        super().__init__(False)
        self.console = console          # a Device for /dev/tty, or None (ENXIO)
        self.mtime = mtime
        self._root = DevVnode(self, 2, None, 0, 0o755)
        self.nodes = {}
        self.add(b"null", NullDevice(), makedev(2, 2), 0o666)
        self.add(b"zero", ZeroDevice(), makedev(2, 12), 0o666)
        if random is not None:
            self.add(b"random", RandomDevice("random", random), makedev(46, 0), 0o444)
            self.add(b"urandom", RandomDevice("urandom", random), makedev(46, 1), 0o644)
        self.add(b"tty", CttyDevice(self), makedev(1, 0), 0o666)
        for i, n in enumerate((b"stdin", b"stdout", b"stderr")):
            self.add(n, FdDevice(i), makedev(22, i), 0o666)

    def add(self, name, device, rdev, mode):
        self.nodes[name] = DevVnode(self, 3 + len(self.nodes), device, rdev, mode)

    @property
    def root(self):
        return self._root

