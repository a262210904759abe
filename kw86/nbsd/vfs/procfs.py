"""procfs: /proc, the process file system NetBSD mounts from fstab
(`proc /proc procfs rw`), in its minimal form:

    /proc/curproc, /proc/self   symbolic links to the caller's pid ("42"),
                                so /proc/curproc/exe is the caller's own
    /proc/<pid>/                one directory per live process (0555, its
                                owner's), listed by getdents of /proc
        cmdline                 the arguments, NUL-terminated, read from the
                                process's own memory (ps_strings -> argv), as
                                NetBSD's procfs_docmdline does
        exe                     symbolic link to the executable's path
                                (NetBSD's p_path: absolute, as exec was given
                                it); readlink, open and execve go through it
        cwd, root               symbolic links to its working and root
                                directories (relative to the reader's root)
        emul                    its emulation's name ("netbsd")
        status                  procfs_status's one line: comm pid ppid pgid
                                sid tty flags start utime stime wchan euid
                                egid,groups

Nothing is writable: creating, removing or renaming in /proc is EROFS (a
lookup of a missing name is ENOENT).  File sizes read as 0, as NetBSD's
procfs reports; a read returns what the file holds at open (the contents
are made then and served through the buffer cache under a key of their
own, dropped at close).  Which process "curproc" names is the process
whose path lookup reaches it (VFS.caller, set by namei).
"""
import itertools
import struct

from kw86.nbsd import abi
from kw86.nbsd.abi import Attr, EINVAL, ENOENT, ENOTDIR, EROFS
from kw86.nbsd.errors import Errno
from kw86.nbsd.vfs import Mount, Vnode, VDIR, VLNK, VREG

# file ids: NetBSD's PROCFS_FILENO packs the pid and the node type
T_ROOT, T_CURPROC, T_SELF, T_PROC, T_CMDLINE, T_EXE, T_CWD, T_ROOTLNK, T_EMUL, T_STATUS = \
    range(1, 11)
PROC_FILES = ((b"cmdline", T_CMDLINE, VREG), (b"cwd", T_CWD, VLNK),
              (b"emul", T_EMUL, VREG), (b"exe", T_EXE, VLNK),
              (b"root", T_ROOTLNK, VLNK), (b"status", T_STATUS, VREG))
_DT = {VREG: abi.NBSD_DT_REG, VLNK: abi.NBSD_DT_LNK, VDIR: abi.NBSD_DT_DIR}
_keys = itertools.count(1)


def fileno(pid, t):
    return ((pid + 1) << 4) | t if pid >= 0 else t


def note_exec(p, path, host_image):
    """exec's hook: remember the executable's path (NetBSD's p_path: the
    name namei resolved, symbolic links expanded, made absolute) in guest
    terms, relative to the process's root; None for a program kw86 loaded
    from a host file (it has no path in the guest: its exe link is ENOENT).
    The lookup repeats exec's own and is not charged again."""
    if host_image:
        p.exec_path = None
        return
    vfs = p.sys.vfs
    hook, vfs.on_namei = vfs.on_namei, None
    try:
        stack = vfs.namei(p, path)      # (through /proc/curproc/exe: the old image's)
    except Errno:
        p.exec_path = None
        return
    finally:
        vfs.on_namei = hook
    root = p.root
    if len(stack) >= len(root) and all(a[1] is b[1] for a, b in zip(stack, root)):
        rel = stack[len(root):]
    else:
        rel = stack[1:]
    p.exec_path = b"/" + b"/".join(n for n, _ in rel)


def _live(q):
    return q is not None and not getattr(q, "zombie", False) and \
        getattr(q, "state", None) != "zomb"


def _readmem(q, va, n):
    """n bytes of q's memory at va as the process would read them: a page of
    a region not yet touched reads as zeros; None past a mapping's end."""
    vm = q.vm
    if vm is None:
        try:
            return q.mem.copyin(va, n)
        except Exception:
            return None
    out = bytearray()
    page_size = abi.PAGE_SIZE
    while n > 0:
        page = va & ~(page_size - 1)
        off = va - page
        k = min(n, page_size - off)
        pa = vm.pages.get(page)
        if pa is not None:
            out += vm.m.read(pa + off, k)
        elif vm.region_at(va) is not None:
            out += bytes(k)
        else:
            return None if not out else bytes(out)
        va, n = va + k, n - k
    return bytes(out)


def cmdline(q):
    """argv from ps_strings (NUL-terminated strings), at most ARG_MAX bytes."""
    ps = _readmem(q, abi.USRSTACK - abi.PS_STRINGS_SIZE, abi.PS_STRINGS_SIZE)
    if ps is None or len(ps) < 8:
        return b""
    argvp, argc = struct.unpack_from("<Ii", ps)
    if argc <= 0 or argc > abi.ARG_MAX // 4:
        return b""
    ptrs = _readmem(q, argvp, 4 * argc)
    if ptrs is None or len(ptrs) < 4 * argc:
        return b""
    out = []
    total = 0
    for (ptr,) in struct.iter_unpack("<I", ptrs):
        s = b""
        while total + len(s) < abi.ARG_MAX:
            chunk = _readmem(q, ptr + len(s), min(256, abi.PAGE_SIZE - ((ptr + len(s)) & 0xfff)))
            if not chunk:
                break
            z = chunk.find(b"\0")
            if z >= 0:
                s += chunk[:z]
                break
            s += chunk
        out.append(s + b"\0")
        total += len(s) + 1
        if total >= abi.ARG_MAX:
            break
    return b"".join(out)


def _tv(ns):
    s, rem = divmod(max(0, ns), 10**9)
    return f"{s},{rem // 1000}"


def status(q, sys):
    """procfs_status's line (kw86 has no controlling-terminal device
    numbers to show: -1,-1 and no ctty flag)."""
    flags = "sldr" if q.sid == q.pid else "noflags"
    start = getattr(q, "start_ns", None)
    if start is None:
        start = getattr(sys, "boottime", 0)
    ut = getattr(q, "cpu_ns", 0)
    l = getattr(q, "l", None)
    wchan = "nochan"
    if l is not None and getattr(l, "state", "run") == "sleep":
        wchan = "sleep"
    cred = q.cred
    groups = ",".join(str(g) for g in [cred.egid] + [g for g in cred.groups if g != cred.egid])
    comm = q.comm.decode("latin-1") if isinstance(q.comm, bytes) else str(q.comm)
    return (f"{comm} {q.pid} {q.ppid} {q.pgid} {q.sid} -1,-1 {flags} {_tv(start)} "
            f"{_tv(ut)} {_tv(0)} {wchan} {cred.euid} {groups}\n").encode("latin-1")


class ProcVnode(Vnode):
    """A procfs node: the root, curproc/self, a pid directory or one of its
    files.  A node of a process that has exited answers ENOENT."""

    disk = None

    def __init__(self, mount, t, pid=-1):
        self.mount = mount
        self.t = t
        self.pid = pid
        self.type = VDIR if t in (T_ROOT, T_PROC) else \
            VLNK if t in (T_CURPROC, T_SELF, T_EXE, T_CWD, T_ROOTLNK) else VREG
        self.ino = fileno(pid, t)
        self._data = None
        self._key = ("procfs", next(_keys))
        self._bc = None

    def __repr__(self):
        return f"<ProcVnode {self.t} pid {self.pid}>"

    def _proc(self):
        q = self.mount.procs().get(self.pid)
        if not _live(q):
            raise Errno(ENOENT)
        return q

    # -- attributes ----------------------------------------------------------
    def getattr(self):
        t = self.mount.clock()
        if self.t == T_ROOT:
            mode, nlink, uid, gid, size = VDIR | 0o555, 1, 0, 0, 512
        elif self.t in (T_CURPROC, T_SELF):
            who = self.mount.caller_pid()
            mode, nlink, uid, gid = VLNK | 0o777, 1, 0, 0
            size = len(b"%d" % who) if who is not None else 0
        else:
            q = self._proc()
            uid, gid = q.cred.euid, q.cred.egid
            if self.t == T_PROC:
                mode, nlink, size = VDIR | 0o555, 2, 512
            elif self.type == VLNK:
                mode, nlink, size = VLNK | 0o777, 1, 0
            else:
                mode, nlink, size = VREG | 0o444, 1, 0
        return Attr(mode=mode, ino=self.ino, nlink=nlink, uid=uid, gid=gid, size=size,
                    blocks=0, blksize=abi.PAGE_SIZE, atime=t, mtime=t, ctime=t, birthtime=t,
                    dev=self.mount.dev)

    def setattr(self, cred, mode=None, uid=None, gid=None, atime=None, mtime=None):
        raise Errno(EROFS)

    # -- directories ----------------------------------------------------------
    def lookup(self, name):
        if self.type != VDIR:
            raise Errno(ENOTDIR)
        if self.t == T_ROOT:
            if name == b"curproc":
                return ProcVnode(self.mount, T_CURPROC)
            if name == b"self":
                return ProcVnode(self.mount, T_SELF)
            if name.isdigit() and name[:1] != b"0" and len(name) < 10:
                pid = int(name)
                if _live(self.mount.procs().get(pid)):
                    return ProcVnode(self.mount, T_PROC, pid)
            raise Errno(ENOENT)
        self._proc()
        for n, t, _ in PROC_FILES:
            if n == name:
                return ProcVnode(self.mount, t, self.pid)
        raise Errno(ENOENT)

    def readdir(self):
        if self.type != VDIR:
            raise Errno(ENOTDIR)
        if self.t == T_ROOT:
            out = [(b"curproc", fileno(-1, T_CURPROC), abi.NBSD_DT_LNK),
                   (b"self", fileno(-1, T_SELF), abi.NBSD_DT_LNK)]
            out += [(b"%d" % pid, fileno(pid, T_PROC), abi.NBSD_DT_DIR)
                    for pid, q in sorted(self.mount.procs().items()) if _live(q)]
            return out
        self._proc()
        return [(n, fileno(self.pid, t), _DT[vt]) for n, t, vt in PROC_FILES]

    def _rofs(self, *a):
        raise Errno(EROFS)

    create = mkdir = mkfifo = symlink = link = remove = rmdir = rename = _rofs

    # -- symbolic links ------------------------------------------------------
    def readlink(self):
        if self.t in (T_CURPROC, T_SELF):
            who = self.mount.caller_pid()
            if who is None:
                raise Errno(ENOENT)
            return b"%d" % who
        if self.type != VLNK:
            raise Errno(EINVAL)
        q = self._proc()
        if self.t == T_EXE:
            path = q.exec_path
            if path is None:
                raise Errno(ENOENT)
            return path
        caller = self.mount.caller()
        stack = q.cwd if self.t == T_CWD else q.root
        root = getattr(caller, "root", None) or self.mount.vfs.root_stack()
        if len(stack) >= len(root) and all(a[1] is b[1] for a, b in zip(stack, root)):
            rel = stack[len(root):]
        else:
            rel = stack[1:]
        return b"/" + b"/".join(n for n, _ in rel)

    # -- regular files ---------------------------------------------------------
    def _contents(self):
        q = self._proc()
        if self.t == T_CMDLINE:
            return cmdline(q)
        if self.t == T_EMUL:
            emul = getattr(q, "emul", None)
            name = getattr(emul, "name", None) or "netbsd"
            return name.encode() + b"\n"
        return status(q, self.mount.sys)

    def open(self, fflags):
        if self.type == VREG:
            self._data = self._contents()
            self._key = ("procfs", next(_keys))     # a fresh snapshot per open

    def revalidate(self, bufcache):
        self._bc = bufcache

    def close(self, fflags):
        if self._bc is not None and self.type == VREG:
            self._bc.invalidate(self)

    def getsize(self):
        if self.type != VREG:
            return self.getattr().size
        if self._data is None:
            self._data = self._contents()
        return len(self._data)

    def truncate(self, size, cred):
        raise Errno(EROFS if self.type != VDIR else abi.EISDIR)

    @property
    def cache_key(self):
        return self._key

    def strategy_read(self, offset, n):
        if self._data is None:
            self._data = self._contents()
        return self._data[offset:offset + n]

    def strategy_write(self, offset, data):
        raise Errno(abi.EOPNOTSUPP)         # procfs_rw: these files take no writes


class ProcfsMount(Mount):
    """The procfs mount: `system` gives the process table (System.procs) and
    the clock; VFS.caller (set by namei) the process curproc names."""

    fstype = "procfs"

    def __init__(self, system):
        super().__init__(readonly=False)
        self.sys = system
        self._root = ProcVnode(self, T_ROOT)

    @property
    def root(self):
        return self._root

    def procs(self):
        return self.sys.procs

    def clock(self):
        return self.sys.clock()

    def caller(self):
        return getattr(self.vfs, "caller", None) if self.vfs is not None else None

    def caller_pid(self):
        return getattr(self.caller(), "pid", None)

    def statfs(self):
        return dict(bsize=abi.PAGE_SIZE, blocks=0, bfree=0, files=0, ffree=0)
