"""mknod (__mknod50, 450) and mknodat (460), as NetBSD's do_sys_mknodat:

- a FIFO type with dev 0 is mkfifo (anyone; the checks and errors are
  mkfifo's: EEXIST, EACCES ...);
- anything else needs root (kauth KAUTH_SYSTEM_MKNOD: EPERM otherwise);
- a type that is none of S_IFCHR, S_IFBLK, S_IFREG, S_IFWHT (nor a FIFO)
  is EINVAL.
kw86 does not make device nodes, regular files or whiteouts this way (a
device node in a host directory is what the host-safety rules exclude):
for root those fail loudly, ENOSYS with one report naming the call.
"""
from kw86.nbsd import abi
from kw86.nbsd.abi import EINVAL, EPERM
from kw86.nbsd.errors import Errno

S_IFMT, S_IFIFO, S_IFCHR, S_IFBLK, S_IFREG, S_IFWHT = \
    0o170000, 0o010000, 0o020000, 0o060000, 0o100000, 0o160000


def _mknod(p, mode, dev, mkfifo):
    mode &= 0xffffffff
    if mode & S_IFIFO and dev == 0:
        return mkfifo()
    if p.cred.euid != 0:
        raise Errno(EPERM)
    if mode & S_IFMT not in (S_IFCHR, S_IFBLK, S_IFREG, S_IFWHT):
        raise Errno(EINVAL)
    from kw86.nbsd.syscalls import nosys
    res = nosys(p, 450, "__mknod50 of a device node or regular file or whiteout")
    raise Errno(res.error)


def sys___mknod50(p, path, mode, dev):
    from kw86.nbsd.syscalls import fs
    return _mknod(p, mode, dev, lambda: fs.sys_mkfifo(p, path, mode))


def sys_mknodat(p, fd, path, mode, dev):
    from kw86.nbsd.syscalls import nb10
    return _mknod(p, mode, dev, lambda: nb10.sys_mkfifoat(p, fd, path, mode))
