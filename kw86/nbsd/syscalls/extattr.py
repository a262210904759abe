"""Extended attributes and ACLs: the extattr_* calls (361-372), the
Linux-style *xattr calls (375-386) and the __acl_* calls (487-498, at the
end), as NetBSD 10's vfs_xattr.c runs them over file
systems without extended attributes (FFSv2 without the EA option, tmpfs:
their VOP_GETEXTATTR, VOP_SETEXTATTR, VOP_DELETEEXTATTR and
VOP_LISTEXTATTR are EOPNOTSUPP), which is what every file system of the
guest is.  So a call fails only where NetBSD's would, in NetBSD's order:
the attribute name copied in (EFAULT; ENAMETOOLONG past KERNEL_NAME_MAX
255 bytes with its NUL), the path looked up (ENOENT, ENOTDIR, EACCES,
ELOOP ...; the _link calls do not follow a last symbolic link) or the
descriptor found (EBADF; EINVAL for one that is no vnode: a pipe, a
socket, a kqueue), a data size above INT_MAX EINVAL where the VOP would
copy data, then the file system's EOPNOTSUPP; the *xattr calls report
that as ENOTSUP (XATTR_ERRNO).  A program that asks (bsdtar, cp -p of
other systems) learns the file system keeps none, as on NetBSD.
extattrctl (360), the UFS1 attribute administration, is left ENOSYS.
"""
from kw86.nbsd import abi
from kw86.nbsd.errors import Errno

NAME_MAX = 255                          # KERNEL_NAME_MAX: the name buffer, NUL included
INT_MAX = 0x7fffffff


def _name(p, addr):
    return p.mem.copyinstr(addr, NAME_MAX)


def _path_vp(p, path, follow):
    return p.sys.vfs.namei(p, p.mem.copyinstr(path, abi.MAXPATHLEN), follow)[-1][1]


def _fd_vp(p, fd):
    f = p.fdt.get(fd)                   # EBADF
    vp = getattr(f, "vp", None)
    if vp is None:
        raise Errno(abi.EINVAL)         # fd_getvnode: not a vnode
    return vp


def _vop(data, nbytes):
    """The VOP itself: a data size above INT_MAX is refused first (when
    there is data to move), then the file system has no attributes."""
    if data and nbytes > INT_MAX:
        raise Errno(abi.EINVAL)
    raise Errno(abi.EOPNOTSUPP)


def _xattr(fn):
    """XATTR_ERRNO: the *xattr calls say ENOTSUP for EOPNOTSUPP."""
    def call(*a):
        try:
            return fn(*a)
        except Errno as e:
            if e.errno == abi.EOPNOTSUPP:
                raise Errno(abi.ENOTSUP) from None
            raise
    call.__name__, call.__doc__ = fn.__name__, fn.__doc__
    return call


# -- <sys/extattr.h> ------------------------------------------------------------

def sys_extattr_set_file(p, path, ns, name, data, nbytes):
    _name(p, name)
    _path_vp(p, path, True)
    _vop(True, nbytes)


def sys_extattr_set_link(p, path, ns, name, data, nbytes):
    _name(p, name)
    _path_vp(p, path, False)
    _vop(True, nbytes)


def sys_extattr_set_fd(p, fd, ns, name, data, nbytes):
    _name(p, name)
    _fd_vp(p, fd)
    _vop(True, nbytes)


def sys_extattr_get_file(p, path, ns, name, data, nbytes):
    _name(p, name)
    _path_vp(p, path, True)
    _vop(data, nbytes)


def sys_extattr_get_link(p, path, ns, name, data, nbytes):
    _name(p, name)
    _path_vp(p, path, False)
    _vop(data, nbytes)


def sys_extattr_get_fd(p, fd, ns, name, data, nbytes):
    _name(p, name)
    _fd_vp(p, fd)
    _vop(data, nbytes)


def sys_extattr_delete_file(p, path, ns, name):
    _name(p, name)
    _path_vp(p, path, True)
    _vop(None, 0)                       # VOP_DELETEEXTATTR, then VOP_SETEXTATTR(NULL)


def sys_extattr_delete_link(p, path, ns, name):
    _name(p, name)
    _path_vp(p, path, False)
    _vop(None, 0)


def sys_extattr_delete_fd(p, fd, ns, name):
    _name(p, name)
    _fd_vp(p, fd)
    _vop(None, 0)


def sys_extattr_list_file(p, path, ns, data, nbytes):
    _path_vp(p, path, True)
    _vop(data, nbytes)


def sys_extattr_list_link(p, path, ns, data, nbytes):
    _path_vp(p, path, False)
    _vop(data, nbytes)


def sys_extattr_list_fd(p, fd, ns, data, nbytes):
    _fd_vp(p, fd)
    _vop(data, nbytes)


# -- <sys/xattr.h> ----------------------------------------------------------------

def _set(p, vp_of, name, size, flags):
    _name(p, name)
    vp_of()
    if flags:
        raise Errno(abi.EOPNOTSUPP)     # the VOP_GETEXTATTR that XATTR_CREATE/REPLACE make
    _vop(True, size)


@_xattr
def sys_setxattr(p, path, name, value, size, flags):
    _set(p, lambda: _path_vp(p, path, True), name, size, flags)


@_xattr
def sys_lsetxattr(p, path, name, value, size, flags):
    _set(p, lambda: _path_vp(p, path, False), name, size, flags)


@_xattr
def sys_fsetxattr(p, fd, name, value, size, flags):
    _set(p, lambda: _fd_vp(p, fd), name, size, flags)


@_xattr
def sys_getxattr(p, path, name, value, size):
    _name(p, name)
    _path_vp(p, path, True)
    _vop(value, size)


@_xattr
def sys_lgetxattr(p, path, name, value, size):
    _name(p, name)
    _path_vp(p, path, False)
    _vop(value, size)


@_xattr
def sys_fgetxattr(p, fd, name, value, size):
    _name(p, name)
    _fd_vp(p, fd)
    _vop(value, size)


@_xattr
def sys_listxattr(p, path, lst, size):
    _path_vp(p, path, True)
    _vop(lst, size)


@_xattr
def sys_llistxattr(p, path, lst, size):
    _path_vp(p, path, False)
    _vop(lst, size)


@_xattr
def sys_flistxattr(p, fd, lst, size):
    _fd_vp(p, fd)
    _vop(lst, size)


@_xattr
def sys_removexattr(p, path, name):
    _name(p, name)
    _path_vp(p, path, True)
    _vop(None, 0)


@_xattr
def sys_lremovexattr(p, path, name):
    _name(p, name)
    _path_vp(p, path, False)
    _vop(None, 0)


@_xattr
def sys_fremovexattr(p, fd, name):
    _name(p, name)
    _fd_vp(p, fd)
    _vop(None, 0)


# -- POSIX.1e / NFSv4 ACLs (487-498), NetBSD 10's kern_acl.c -------------------
#
# The same picture: no guest file system keeps ACLs (NetBSD's ffs without
# the acls/posix1eacls mount options, tmpfs: VOP_GETACL, VOP_SETACL and
# VOP_ACLCHECK are EOPNOTSUPP).  The path is looked up (the _link calls do
# not follow) or the descriptor found, a struct acl given to set or check
# is copied in first (EFAULT), then EOPNOTSUPP.

ACL_SIZE = 4 + 4 + 16 + 254 * 16        # struct acl: maxcnt, cnt, spare[4], 254 entries


def _acl_in(p, aclp):
    p.mem.copyin(aclp, ACL_SIZE)        # acl_copyin


def sys___acl_get_file(p, path, type_, aclp):
    _path_vp(p, path, True)
    raise Errno(abi.EOPNOTSUPP)


def sys___acl_get_link(p, path, type_, aclp):
    _path_vp(p, path, False)
    raise Errno(abi.EOPNOTSUPP)


def sys___acl_get_fd(p, fd, type_, aclp):
    _fd_vp(p, fd)
    raise Errno(abi.EOPNOTSUPP)


def sys___acl_set_file(p, path, type_, aclp):
    _path_vp(p, path, True)
    _acl_in(p, aclp)
    raise Errno(abi.EOPNOTSUPP)


def sys___acl_set_link(p, path, type_, aclp):
    _path_vp(p, path, False)
    _acl_in(p, aclp)
    raise Errno(abi.EOPNOTSUPP)


def sys___acl_set_fd(p, fd, type_, aclp):
    _fd_vp(p, fd)
    _acl_in(p, aclp)
    raise Errno(abi.EOPNOTSUPP)


def sys___acl_delete_file(p, path, type_):
    _path_vp(p, path, True)
    raise Errno(abi.EOPNOTSUPP)


def sys___acl_delete_link(p, path, type_):
    _path_vp(p, path, False)
    raise Errno(abi.EOPNOTSUPP)


def sys___acl_delete_fd(p, fd, type_):
    _fd_vp(p, fd)
    raise Errno(abi.EOPNOTSUPP)


def sys___acl_aclcheck_file(p, path, type_, aclp):
    _path_vp(p, path, True)
    _acl_in(p, aclp)
    raise Errno(abi.EOPNOTSUPP)


def sys___acl_aclcheck_link(p, path, type_, aclp):
    _path_vp(p, path, False)
    _acl_in(p, aclp)
    raise Errno(abi.EOPNOTSUPP)


def sys___acl_aclcheck_fd(p, fd, type_, aclp):
    _fd_vp(p, fd)
    _acl_in(p, aclp)
    raise Errno(abi.EOPNOTSUPP)
