"""NetBSD/i386 constants and structure layouts, and guest<->host translation.

Every value is NetBSD's (see ../shared/netbsd-i386-abi.md, section in
brackets).  Guest constants carry an NBSD_ prefix; they reach the host only
through the xlat_* functions at the bottom, which strip each bit they know
and reject leftovers with EINVAL (Blink's xlat.c habit).

Two ABIs are packed: "10" (NetBSD 10: 64-bit time_t, __stat50, dirent of
__getdents30) and "15" (NetBSD 1.5, the paper's: __stat13, dirent12, 32-bit
timespec).
"""
import errno as _host_errno
import os
import stat as _host_stat
import struct

from kw86.nbsd.errors import Errno

# --------------------------------------------------------------------------
# errno [§4]
EPERM = 1; ENOENT = 2; ESRCH = 3; EINTR = 4; EIO = 5; ENXIO = 6; E2BIG = 7; ENOEXEC = 8
EBADF = 9; ECHILD = 10; EDEADLK = 11; ENOMEM = 12; EACCES = 13; EFAULT = 14; ENOTBLK = 15
EBUSY = 16; EEXIST = 17; EXDEV = 18; ENODEV = 19; ENOTDIR = 20; EISDIR = 21; EINVAL = 22
ENFILE = 23; EMFILE = 24; ENOTTY = 25; ETXTBSY = 26; EFBIG = 27; ENOSPC = 28; ESPIPE = 29
EROFS = 30; EMLINK = 31; EPIPE = 32; EDOM = 33; ERANGE = 34; EAGAIN = 35; EINPROGRESS = 36
EALREADY = 37; ENOTSOCK = 38; EDESTADDRREQ = 39; EMSGSIZE = 40; EPROTOTYPE = 41
ENOPROTOOPT = 42; EPROTONOSUPPORT = 43; ESOCKTNOSUPPORT = 44; EOPNOTSUPP = 45
EPFNOSUPPORT = 46; EAFNOSUPPORT = 47; EADDRINUSE = 48; EADDRNOTAVAIL = 49; ENETDOWN = 50
ENETUNREACH = 51; ENETRESET = 52; ECONNABORTED = 53; ECONNRESET = 54; ENOBUFS = 55
EISCONN = 56; ENOTCONN = 57; ESHUTDOWN = 58; ETOOMANYREFS = 59; ETIMEDOUT = 60
ECONNREFUSED = 61; ELOOP = 62; ENAMETOOLONG = 63; EHOSTDOWN = 64; EHOSTUNREACH = 65
ENOTEMPTY = 66; EPROCLIM = 67; EUSERS = 68; EDQUOT = 69; ESTALE = 70; ENOLCK = 77; ENOSYS = 78
EFTYPE = 79; EIDRM = 82; ENOMSG = 83; EOVERFLOW = 84; EILSEQ = 85; ENOTSUP = 86
ECANCELED = 87; EBADMSG = 88; EPROTO = 96
NBSD_ERRNO = {_n: _v for _n, _v in list(globals().items())
              if _n[:1] == "E" and _n.isupper() and isinstance(_v, int)}
NBSD_EWOULDBLOCK = EAGAIN
ERESTART = -3                         # kernel-internal: rerun the trap
EJUSTRETURN = -2                      # kernel-internal: frame already set
_ERRNO_NAMES = {v: k for k, v in NBSD_ERRNO.items()}
_ERRNO_TEXT = {
    1: "Operation not permitted", 2: "No such file or directory",
    3: "No such process", 4: "Interrupted system call", 5: "Input/output error",
    6: "Device not configured", 7: "Argument list too long",
    8: "Exec format error", 9: "Bad file descriptor", 10: "No child processes",
    12: "Cannot allocate memory", 13: "Permission denied", 14: "Bad address",
    16: "Device busy", 17: "File exists", 18: "Cross-device link",
    19: "Operation not supported by device", 20: "Not a directory",
    21: "Is a directory", 22: "Invalid argument", 24: "Too many open files",
    25: "Inappropriate ioctl for device", 27: "File too large",
    28: "No space left on device", 29: "Illegal seek",
    30: "Read-only file system", 31: "Too many links", 32: "Broken pipe",
    34: "Result too large", 35: "Resource temporarily unavailable",
    62: "Too many levels of symbolic links", 63: "File name too long",
    66: "Directory not empty", 78: "Function not implemented",
    84: "Value too large to be stored in data type",
}


def errno_name(e):
    return _ERRNO_NAMES.get(e, str(e))


def errno_text(e):
    return _ERRNO_TEXT.get(e, errno_name(e))


# --------------------------------------------------------------------------
# open(2) / fcntl(2) [§4]
NBSD_O_RDONLY = 0x0
NBSD_O_WRONLY = 0x1
NBSD_O_RDWR = 0x2
NBSD_O_ACCMODE = 0x3
NBSD_O_NONBLOCK = 0x4
NBSD_O_APPEND = 0x8
NBSD_O_SHLOCK = 0x10
NBSD_O_EXLOCK = 0x20
NBSD_O_ASYNC = 0x40
NBSD_O_SYNC = 0x80
NBSD_O_NOFOLLOW = 0x100
NBSD_O_CREAT = 0x200
NBSD_O_TRUNC = 0x400
NBSD_O_EXCL = 0x800
NBSD_O_NOCTTY = 0x8000
NBSD_O_DSYNC = 0x10000
NBSD_O_RSYNC = 0x20000
NBSD_O_DIRECTORY = 0x200000
NBSD_O_CLOEXEC = 0x400000
NBSD_AT_FDCWD = -100
# Kernel file flags: FREAD/FWRITE = O_ACCMODE + 1 (NetBSD's FFLAGS()).
FREAD = 0x1
FWRITE = 0x2
# Flags F_SETFL may change (NetBSD FCNTLFLAGS).
NBSD_FCNTLFLAGS = NBSD_O_APPEND | NBSD_O_ASYNC | NBSD_O_SYNC | NBSD_O_NONBLOCK \
    | NBSD_O_DSYNC | NBSD_O_RSYNC
NBSD_O_ALLKNOWN = (NBSD_O_ACCMODE | NBSD_O_NONBLOCK | NBSD_O_APPEND | NBSD_O_SHLOCK
                   | NBSD_O_EXLOCK | NBSD_O_ASYNC | NBSD_O_SYNC | NBSD_O_NOFOLLOW
                   | NBSD_O_CREAT | NBSD_O_TRUNC | NBSD_O_EXCL | NBSD_O_NOCTTY
                   | NBSD_O_DSYNC | NBSD_O_RSYNC | NBSD_O_DIRECTORY | NBSD_O_CLOEXEC)

NBSD_F_DUPFD, NBSD_F_GETFD, NBSD_F_SETFD, NBSD_F_GETFL, NBSD_F_SETFL = 0, 1, 2, 3, 4
NBSD_F_GETOWN, NBSD_F_SETOWN, NBSD_F_GETLK, NBSD_F_SETLK, NBSD_F_SETLKW = 5, 6, 7, 8, 9
NBSD_F_CLOSEM, NBSD_F_MAXFD, NBSD_F_DUPFD_CLOEXEC = 10, 11, 12
NBSD_FD_CLOEXEC = 1
NBSD_F_RDLCK, NBSD_F_UNLCK, NBSD_F_WRLCK = 1, 2, 3
NBSD_SEEK_SET, NBSD_SEEK_CUR, NBSD_SEEK_END = 0, 1, 2
# access(2)
NBSD_F_OK, NBSD_X_OK, NBSD_W_OK, NBSD_R_OK = 0, 1, 2, 4

# --------------------------------------------------------------------------
# mmap(2) [§4]
NBSD_PROT_NONE, NBSD_PROT_READ, NBSD_PROT_WRITE, NBSD_PROT_EXEC = 0, 1, 2, 4
NBSD_MAP_SHARED = 0x1
NBSD_MAP_PRIVATE = 0x2
NBSD_MAP_FIXED = 0x10
NBSD_MAP_NORESERVE = 0x40
NBSD_MAP_INHERIT = 0x80
NBSD_MAP_TRYFIXED = 0x400
NBSD_MAP_WIRED = 0x800
NBSD_MAP_ANON = 0x1000
NBSD_MAP_STACK = 0x2000
NBSD_MAP_ALIGNMENT_SHIFT = 24
NBSD_MAP_FAILED = 0xffffffff
NBSD_MADV_NORMAL, NBSD_MADV_RANDOM, NBSD_MADV_SEQUENTIAL = 0, 1, 2
NBSD_MADV_WILLNEED, NBSD_MADV_DONTNEED, NBSD_MADV_FREE = 3, 4, 6

# --------------------------------------------------------------------------
# Signals [§4]
SIGNAL_NAMES = ["", "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "EMT", "FPE",
                "KILL", "BUS", "SEGV", "SYS", "PIPE", "ALRM", "TERM", "URG",
                "STOP", "TSTP", "CONT", "CHLD", "TTIN", "TTOU", "IO", "XCPU",
                "XFSZ", "VTALRM", "PROF", "WINCH", "INFO", "USR1", "USR2", "PWR"]
for _i, _n in enumerate(SIGNAL_NAMES):
    if _n:
        globals()["NBSD_SIG" + _n] = _i
NBSD_NSIG = 64                  # signals 1..63 (SIGRTMIN 33 .. SIGRTMAX 63)
NBSD_SIGRTMIN, NBSD_SIGRTMAX = 33, 63
NBSD_SIG_DFL, NBSD_SIG_IGN, NBSD_SIG_ERR = 0, 1, 0xffffffff
NBSD_SA_ONSTACK, NBSD_SA_RESTART, NBSD_SA_RESETHAND = 0x1, 0x2, 0x4
NBSD_SA_NOCLDSTOP, NBSD_SA_NODEFER, NBSD_SA_NOCLDWAIT = 0x8, 0x10, 0x20
NBSD_SA_SIGINFO = 0x40
NBSD_SIG_BLOCK, NBSD_SIG_UNBLOCK, NBSD_SIG_SETMASK = 1, 2, 3
NBSD_SS_ONSTACK, NBSD_SS_DISABLE = 1, 4
# Messages a shell prints for a signal death (NetBSD's sys_siglist).
SIGNAL_TEXT = {1: "Hangup", 2: "Interrupt", 3: "Quit", 4: "Illegal instruction",
               5: "Trace/BPT trap", 6: "Abort trap", 7: "EMT trap",
               8: "Floating point exception", 9: "Killed", 10: "Bus error",
               11: "Segmentation fault", 12: "Bad system call", 13: "Broken pipe",
               14: "Alarm clock", 15: "Terminated", 24: "Cputime limit exceeded",
               25: "Filesize limit exceeded", 26: "Virtual timer expired",
               27: "Profiling timer expired", 30: "User defined signal 1",
               31: "User defined signal 2"}

# --------------------------------------------------------------------------
# wait(2) [§4]
NBSD_WNOHANG, NBSD_WUNTRACED, NBSD_WALTSIG, NBSD_WALLSIG = 0x1, 0x2, 0x4, 0x8
NBSD_WCONTINUED, NBSD_WEXITED, NBSD_WNOWAIT = 0x10, 0x20, 0x10000
NBSD_WAIT_ANY = -1
NBSD_WCOREFLAG = 0x80
NBSD_WTRAPPED, NBSD_WNOZOMBIE = 0x40, 0x20000
# wait6: one of these must be asked for; the rest is all it knows (else EINVAL)
NBSD_WSELECTOPTS = NBSD_WEXITED | NBSD_WUNTRACED | NBSD_WCONTINUED | NBSD_WTRAPPED
NBSD_WALLOPTS = NBSD_WNOHANG | NBSD_WALTSIG | NBSD_WALLSIG | NBSD_WNOWAIT | NBSD_WNOZOMBIE | \
    NBSD_WSELECTOPTS
# idtype_t (sys/idtype.h): P_MYID -1, then P_ALL, P_PID, P_LWPID, P_PPID, P_PGID, P_SID,
# P_CID, P_UID, P_GID, ...
NBSD_P_ALL, NBSD_P_PID, NBSD_P_LWPID, NBSD_P_PPID, NBSD_P_PGID, NBSD_P_SID = 0, 1, 2, 3, 4, 5
NBSD_P_UID, NBSD_P_GID = 7, 8
# SIGCHLD si_code (sys/siginfo.h)
NBSD_CLD_EXITED, NBSD_CLD_KILLED, NBSD_CLD_DUMPED = 1, 2, 3
NBSD_CLD_TRAPPED, NBSD_CLD_STOPPED, NBSD_CLD_CONTINUED = 4, 5, 6


def w_exitcode(code):
    return (code & 0xff) << 8


def w_termsig(sig, core=False):
    return (sig & 0x7f) | (NBSD_WCOREFLAG if core else 0)


def w_stopcode(sig):
    return ((sig & 0xff) << 8) | 0x7f


# --------------------------------------------------------------------------
# File types and modes [§3]
NBSD_S_IFMT = 0o170000
NBSD_S_IFIFO = 0o010000
NBSD_S_IFCHR = 0o020000
NBSD_S_IFDIR = 0o040000
NBSD_S_IFBLK = 0o060000
NBSD_S_IFREG = 0o100000
NBSD_S_IFLNK = 0o120000
NBSD_S_IFSOCK = 0o140000
NBSD_S_IFWHT = 0o160000
NBSD_S_ISUID, NBSD_S_ISGID, NBSD_S_ISVTX = 0o4000, 0o2000, 0o1000
NBSD_ALLPERMS = 0o7777
NBSD_DT_UNKNOWN, NBSD_DT_FIFO, NBSD_DT_CHR, NBSD_DT_DIR = 0, 1, 2, 4
NBSD_DT_BLK, NBSD_DT_REG, NBSD_DT_LNK, NBSD_DT_SOCK, NBSD_DT_WHT = 6, 8, 10, 12, 14


def iftodt(mode):
    return (mode & NBSD_S_IFMT) >> 12


# --------------------------------------------------------------------------
# ioctl [§4]
IOC_VOID, IOC_OUT, IOC_IN = 0x20000000, 0x40000000, 0x80000000


def _ioc(inout, group, num, size):
    return inout | ((size & 0x1fff) << 16) | (ord(group) << 8) | num


NBSD_TIOCGETA = _ioc(IOC_OUT, 't', 19, 44)          # 0x402c7413
NBSD_TIOCSETA = _ioc(IOC_IN, 't', 20, 44)
NBSD_TIOCSETAW = _ioc(IOC_IN, 't', 21, 44)
NBSD_TIOCSETAF = _ioc(IOC_IN, 't', 22, 44)
NBSD_TIOCGWINSZ = _ioc(IOC_OUT, 't', 104, 8)        # 0x40087468
NBSD_TIOCSWINSZ = _ioc(IOC_IN, 't', 103, 8)
NBSD_TIOCGPGRP = _ioc(IOC_OUT, 't', 119, 4)
NBSD_TIOCSPGRP = _ioc(IOC_IN, 't', 118, 4)
NBSD_FIONREAD = _ioc(IOC_OUT, 'f', 127, 4)
NBSD_FIONBIO = _ioc(IOC_IN, 'f', 126, 4)
NBSD_FIOCLEX = _ioc(IOC_VOID, 'f', 1, 0)
NBSD_FIONCLEX = _ioc(IOC_VOID, 'f', 2, 0)
assert NBSD_TIOCGETA == 0x402c7413 and NBSD_TIOCGWINSZ == 0x40087468

# --------------------------------------------------------------------------
# sysctl MIBs [§4]
CTL_KERN, CTL_VM, CTL_VFS, CTL_NET, CTL_DEBUG, CTL_HW, CTL_MACHDEP, CTL_USER = 1, 2, 3, 4, 5, 6, 7, 8
KERN_OSTYPE, KERN_OSRELEASE, KERN_OSREV, KERN_VERSION = 1, 2, 3, 4
KERN_ARGMAX, KERN_HOSTNAME, KERN_CLOCKRATE, KERN_ARND = 8, 10, 12, 81
HW_MACHINE, HW_MODEL, HW_NCPU, HW_BYTEORDER, HW_PHYSMEM = 1, 2, 3, 4, 5
HW_USERMEM, HW_PAGESIZE, HW_MACHINE_ARCH, HW_NCPUONLINE = 6, 7, 10, 16

# --------------------------------------------------------------------------
# Machine: PSL bits, selectors, traps, memory layout [§5, §6]
PSL_C, PSL_MBO, PSL_PF, PSL_AF, PSL_Z, PSL_N = 0x1, 0x2, 0x4, 0x10, 0x40, 0x80
PSL_T, PSL_I, PSL_D, PSL_V, PSL_IOPL, PSL_NT = 0x100, 0x200, 0x400, 0x800, 0x3000, 0x4000
PSL_RF, PSL_VM, PSL_AC, PSL_VIF, PSL_VIP, PSL_ID = 0x10000, 0x20000, 0x40000, 0x80000, 0x100000, 0x200000
PSL_USERSET = PSL_MBO | PSL_I                         # 0x202
PSL_USERSTATIC = PSL_MBO | PSL_IOPL | PSL_NT | PSL_VM | PSL_VIF | PSL_VIP
# user-settable: everything a user program may change with popf/sigreturn
PSL_USER = PSL_C | PSL_PF | PSL_AF | PSL_Z | PSL_N | PSL_T | PSL_D | PSL_V | PSL_AC | PSL_ID | PSL_RF

SEL_KPL, SEL_UPL = 0, 3


def gsel(idx, rpl):
    return (idx << 3) | rpl


def lsel(idx, rpl):
    return (idx << 3) | 4 | rpl


GCODE_SEL, GDATA_SEL, GUCODE_SEL, GUDATA_SEL, GLDT_SEL, GCPU_SEL = 1, 2, 3, 4, 5, 6
GTRAPTSS_SEL, GIPITSS_SEL = 18, 19
GUCODEBIG_SEL, GUFS_SEL, GUGS_SEL, NGDT = 20, 21, 22, 23
LSYS5CALLS_SEL, LSYS5SIGR_SEL, LUCODE_SEL, LUDATA_SEL = 0, 1, 2, 3
LSOL26CALLS_SEL, LUCODEBIG_SEL, LBSDICALLS_SEL, NLDT = 4, 5, 16, 17
KCODE = gsel(GCODE_SEL, SEL_KPL)          # 0x08
KDATA = gsel(GDATA_SEL, SEL_KPL)          # 0x10
UCODE_G = gsel(GUCODE_SEL, SEL_UPL)       # 0x1b
UDATA_G = gsel(GUDATA_SEL, SEL_UPL)       # 0x23
KLDT = gsel(GLDT_SEL, SEL_KPL)            # 0x28
KCPU = gsel(GCPU_SEL, SEL_KPL)            # 0x30
UFS = gsel(GUFS_SEL, SEL_UPL)             # 0xab
UGS = gsel(GUGS_SEL, SEL_UPL)             # 0xb3
UCODE = lsel(LUCODE_SEL, SEL_UPL)         # 0x17
UDATA = lsel(LUDATA_SEL, SEL_UPL)         # 0x1f
UCODEBIG = lsel(LUCODEBIG_SEL, SEL_UPL)   # 0x2f
assert (KCODE, KDATA, UCODE_G, UDATA_G, UFS, UGS, UCODE, UDATA) == \
    (0x08, 0x10, 0x1b, 0x23, 0xab, 0xb3, 0x17, 0x1f)
from kw86.nbsd import kconst as _kconst  # noqa: E402
assert (KCODE, KDATA, KCPU) == (_kconst.KCODE_SEL, _kconst.KDATA_SEL, _kconst.KCPU_SEL)

# T_ trap codes and the vector -> code map [§6]
# (defined once in kconst.py, which locore.S's generated header also uses)
from kw86.nbsd.kconst import (T_ALIGNFLT, T_ARITHTRAP, T_ASTFLT, T_BOUND,  # noqa: E402
                              T_BPTFLT, T_DIVIDE, T_DNA, T_DOUBLEFLT, T_FPOPFLT, T_MCA,
                              T_NMI, T_OFLOW, T_PAGEFLT, T_PRIVINFLT, T_PROTFLT, T_RESERVED,
                              T_SEGNPFLT, T_STKFLT, T_TRCTRAP, T_TSSFLT, T_XMM)
T_USER = 0x100
VECTOR_TO_TRAP = {0: T_DIVIDE, 1: T_TRCTRAP, 2: T_NMI, 3: T_BPTFLT, 4: T_OFLOW,
                  5: T_BOUND, 6: T_PRIVINFLT, 7: T_DNA, 8: T_DOUBLEFLT, 9: T_FPOPFLT,
                  10: T_TSSFLT, 11: T_SEGNPFLT, 12: T_STKFLT, 13: T_PROTFLT,
                  14: T_PAGEFLT, 15: T_RESERVED, 16: T_ARITHTRAP, 17: T_ALIGNFLT,
                  18: T_MCA, 19: T_XMM}
SYSCALL_VECTOR = 0x80
NSYSENT = 512                             # kernel masks eax with NSYSENT-1 [§1]

PAGE_SIZE = 4096
PGSHIFT = 12
from kw86.nbsd.kconst import KERNBASE, USRSTACK  # noqa: E402
VM_MAXUSER_ADDRESS = USRSTACK
VM_MIN_ADDRESS = 0
DFLSSIZ = 2 * 1024 * 1024                 # default stack limit (10)
MAXSSIZ = 64 * 1024 * 1024
MAXPATHLEN = 1024
MAXNAMLEN = 511                           # 10; 1.5's dirent12 allows 255
NAME_MAX = 511
ARG_MAX = 256 * 1024
PIPE_BUF = 512
PIPE_SIZE = 16384
OPEN_MAX = 128                            # default RLIMIT_NOFILE soft limit
NGROUPS = 16

# auxv [§5]
AT_NULL, AT_IGNORE, AT_EXECFD, AT_PHDR, AT_PHENT, AT_PHNUM = 0, 1, 2, 3, 4, 5
AT_PAGESZ, AT_BASE, AT_FLAGS, AT_ENTRY = 6, 7, 8, 9
AT_DCACHEBSIZE, AT_ICACHEBSIZE, AT_UCACHEBSIZE, AT_STACKBASE = 10, 11, 12, 13
AT_EUID, AT_RUID, AT_EGID, AT_RGID = 2000, 2001, 2002, 2003
AT_SUN_EXECNAME = 2014
AT_KW86_SYSCALL_GATE = 0x4b57             # kw86: the kernelware call gate address

NETBSD_VERSION_10 = 1000000000
NETBSD_VERSION_15 = 105000000

# --------------------------------------------------------------------------
# Structure packers.  Each returns bytes of the exact NetBSD size.

_TS10 = struct.Struct("<qi")              # timespec/timeval, 10: 12 bytes
_TS15 = struct.Struct("<ii")              # 1.5 and compat_50: 8 bytes


def _s32(v):
    v &= 0xffffffff
    return v - (1 << 32) if v & 0x80000000 else v


def pack_timespec(sec, nsec, abi="10"):
    if abi == "10":
        return _TS10.pack(sec, nsec)
    return _TS15.pack(_s32(sec), nsec)


def unpack_timespec(data, abi="10"):
    return (_TS10 if abi == "10" else _TS15).unpack_from(data)


pack_timeval = pack_timespec              # same shapes (usec in the 2nd field)
unpack_timeval = unpack_timespec


def timespec_size(abi="10"):
    return 12 if abi == "10" else 8


def ns_split(ns):
    return ns // 1000000000, ns % 1000000000


class Attr:
    """File attributes in guest terms (what VOP_GETATTR fills in).

    Times are integers in nanoseconds since the epoch.
    """
    __slots__ = ("mode", "ino", "nlink", "uid", "gid", "rdev", "size", "blocks",
                 "blksize", "atime", "mtime", "ctime", "birthtime", "flags", "gen", "dev")

    def __init__(self, mode=0, ino=0, nlink=1, uid=0, gid=0, rdev=0, size=0, blocks=0,
                 blksize=4096, atime=0, mtime=0, ctime=0, birthtime=0, flags=0, gen=0, dev=0):
        self.mode, self.ino, self.nlink, self.uid, self.gid = mode, ino, nlink, uid, gid
        self.rdev, self.size, self.blocks, self.blksize = rdev, size, blocks, blksize
        self.atime, self.mtime, self.ctime, self.birthtime = atime, mtime, ctime, birthtime
        self.flags, self.gen, self.dev = flags, gen, dev

    @property
    def type(self):
        return self.mode & NBSD_S_IFMT

    def __repr__(self):
        return f"Attr(mode={self.mode:o}, ino={self.ino}, size={self.size})"


_STAT50 = struct.Struct("<QIQIIIQ" + "qi" * 4 + "qqiII" + "II")
assert _STAT50.size == 124
_STAT13 = struct.Struct("<IIIIIII" + "ii" * 3 + "qqIII" + "qq")
assert _STAT13.size == 96


def pack_stat50(a):
    """struct stat of NetBSD 10 (__stat50, 124 bytes)."""
    t = []
    for ns in (a.atime, a.mtime, a.ctime, a.birthtime):
        t += ns_split(ns)
    return _STAT50.pack(a.dev & (2**64 - 1), a.mode, a.ino, a.nlink, a.uid, a.gid,
                        a.rdev, *t, a.size, a.blocks, a.blksize, a.flags, a.gen, 0, 0)


def pack_stat13(a):
    """struct stat of NetBSD 1.5 (__stat13, 96 bytes); 32-bit times."""
    t = []
    for ns in (a.atime, a.mtime, a.ctime):
        s, n = ns_split(ns)
        t += (_s32(s), n)
    return _STAT13.pack(a.dev & 0xffffffff, a.ino & 0xffffffff, a.mode, a.nlink,
                        a.uid, a.gid, a.rdev & 0xffffffff, *t, a.size, a.blocks,
                        a.blksize, a.flags, a.gen, 0, 0)


def unpack_stat50(data):
    v = _STAT50.unpack(data)
    a = Attr(dev=v[0], mode=v[1], ino=v[2], nlink=v[3], uid=v[4], gid=v[5], rdev=v[6])
    a.atime, a.mtime, a.ctime, a.birthtime = (v[7 + 2 * i] * 10**9 + v[8 + 2 * i] for i in range(4))
    a.size, a.blocks, a.blksize, a.flags, a.gen = v[15:20]
    return a


def dirent_reclen(namelen, abi="10"):
    if abi == "10":
        return (13 + namelen + 1 + 7) & ~7
    return (8 + namelen + 1 + 3) & ~3


def pack_dirent(ino, dtype, name, abi="10"):
    """One directory record: __getdents30's (10) or dirent12 (1.5)."""
    n = len(name)
    reclen = dirent_reclen(n, abi)
    if abi == "10":
        head = struct.pack("<QHHB", ino, reclen, n, dtype)
    else:
        head = struct.pack("<IHBB", ino & 0xffffffff, reclen, dtype, n)
    rec = head + name
    return rec + b"\0" * (reclen - len(rec))


def unpack_dirents(buf, abi="10"):
    """Parse records back (for tests and strace): [(ino, type, name)]."""
    out, off = [], 0
    while off < len(buf):
        if abi == "10":
            ino, reclen, n, t = struct.unpack_from("<QHHB", buf, off)
            name = bytes(buf[off + 13:off + 13 + n])
        else:
            ino, reclen, t, n = struct.unpack_from("<IHBB", buf, off)
            name = bytes(buf[off + 8:off + 8 + n])
        if reclen == 0:
            break
        out.append((ino, t, name))
        off += reclen
    return out


def pack_rusage(utime_us=0, stime_us=0, longs=(0,) * 14, abi="10"):
    """struct rusage: two timevals then 14 longs (10: 80 bytes; 1.5: 72)."""
    tv = pack_timeval(utime_us // 10**6, utime_us % 10**6, abi) + \
        pack_timeval(stime_us // 10**6, stime_us % 10**6, abi)
    return tv + struct.pack("<14i", *longs)


# termios: iflag, oflag, cflag, lflag, cc[20], ispeed, ospeed = 44 bytes
NCCS = 20
VEOF, VEOL, VEOL2, VERASE, VWERASE, VKILL, VREPRINT = 0, 1, 2, 3, 4, 5, 6
VINTR, VQUIT, VSUSP, VDSUSP, VSTART, VSTOP, VLNEXT, VDISCARD, VMIN, VTIME, VSTATUS = \
    8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18
_TERMIOS = struct.Struct("<IIII20sii")
assert _TERMIOS.size == 44
# A sane default: what NetBSD's ttydefaults.h gives a fresh tty.
TTYDEF_IFLAG = 0x00000002 | 0x00000100 | 0x00000200 | 0x00000800 | 0x00002000  # BRKINT ICRNL IXON IXANY IMAXBEL
TTYDEF_OFLAG = 0x00000001 | 0x00000002                                         # OPOST ONLCR
# ECHO ICANON ISIG IEXTEN ECHOE ECHOKE ECHOCTL
TTYDEF_LFLAG = 0x00000008 | 0x00000100 | 0x00000080 | 0x00000400 | 0x00000002 | 0x00000001 | 0x00000040
TTYDEF_CFLAG = 0x00000800 | 0x00000300 | 0x00004000                            # CREAD CS8 HUPCL
TTYDEF_SPEED = 9600


def default_cc():
    cc = bytearray(b"\xff" * NCCS)         # _POSIX_VDISABLE
    for i, ch in ((VEOF, 4), (VERASE, 0x7f), (VWERASE, 0x17), (VKILL, 0x15),
                  (VREPRINT, 0x12), (VINTR, 3), (VQUIT, 0x1c), (VSUSP, 0x1a),
                  (VDSUSP, 0x19), (VSTART, 0x11), (VSTOP, 0x13), (VLNEXT, 0x16),
                  (VDISCARD, 0x0f), (VMIN, 1), (VTIME, 0), (VSTATUS, 0x14)):
        cc[i] = ch
    return bytes(cc)


def pack_termios(iflag=TTYDEF_IFLAG, oflag=TTYDEF_OFLAG, cflag=TTYDEF_CFLAG,
                 lflag=TTYDEF_LFLAG, cc=None, ispeed=TTYDEF_SPEED, ospeed=TTYDEF_SPEED):
    return _TERMIOS.pack(iflag, oflag, cflag, lflag, cc if cc is not None else default_cc(),
                         ispeed, ospeed)


def unpack_termios(data):
    return _TERMIOS.unpack(data)


def pack_winsize(row, col, xpixel=0, ypixel=0):
    return struct.pack("<4H", row, col, xpixel, ypixel)


RLIM_INFINITY = (1 << 63) - 1             # NetBSD: 0x7fffffffffffffff
NBSD_RLIMIT_CPU, NBSD_RLIMIT_FSIZE, NBSD_RLIMIT_DATA, NBSD_RLIMIT_STACK = 0, 1, 2, 3
NBSD_RLIMIT_CORE, NBSD_RLIMIT_RSS, NBSD_RLIMIT_MEMLOCK, NBSD_RLIMIT_NPROC = 4, 5, 6, 7
NBSD_RLIMIT_NOFILE, NBSD_RLIMIT_SBSIZE, NBSD_RLIMIT_AS, NBSD_RLIMIT_NTHR = 8, 9, 10, 11
NBSD_RLIM_NLIMITS = 12


def pack_rlimit(cur, mx):
    return struct.pack("<QQ", cur, mx)


def unpack_rlimit(data):
    return struct.unpack("<QQ", data)


def pack_sigset(mask):
    """sigset_t: u32[4]; signal n is bit (n-1) of the 128-bit mask."""
    return struct.pack("<4I", *((mask >> (32 * i)) & 0xffffffff for i in range(4)))


def unpack_sigset(data):
    w = struct.unpack("<4I", data)
    return w[0] | (w[1] << 32) | (w[2] << 64) | (w[3] << 96)


def sigbit(sig):
    return 1 << (sig - 1)


def pack_sigaction(handler, mask, flags):
    return struct.pack("<I", handler) + pack_sigset(mask) + struct.pack("<i", flags)


def unpack_sigaction(data):
    (h,) = struct.unpack_from("<I", data)
    return h, unpack_sigset(data[4:20]), struct.unpack_from("<i", data, 20)[0]


SIGACTION_SIZE = 24

# struct sigcontext (96) [§7]
SIGCONTEXT_REGS = ("gs", "fs", "es", "ds", "edi", "esi", "ebp", "ebx", "edx", "ecx",
                   "eax", "eip", "cs", "eflags", "esp", "ss")
_SIGCONTEXT = struct.Struct("<16I" + "iiII" + "16s")
assert _SIGCONTEXT.size == 96
SIGCONTEXT_SIZE = 96


def pack_sigcontext(regs, onstack=0, trapno=0, err=0, mask=0):
    return _SIGCONTEXT.pack(*(regs[r] & 0xffffffff for r in SIGCONTEXT_REGS), onstack,
                            mask & 0xffffffff, trapno, err, pack_sigset(mask))


def unpack_sigcontext(data):
    v = _SIGCONTEXT.unpack(data)
    regs = dict(zip(SIGCONTEXT_REGS, v[:16]))
    return regs, v[16], v[18], v[19], unpack_sigset(v[20])


# mcontext __gregs indices and ucontext_t (776 bytes) [§7]
GREG_NAMES = ("gs", "fs", "es", "ds", "edi", "esi", "ebp", "esp", "ebx", "edx", "ecx",
              "eax", "trapno", "err", "eip", "cs", "eflags", "uesp", "ss")
_REG_INDEX = {n: i for i, n in enumerate(GREG_NAMES)}
UCONTEXT_SIZE = 776
MCONTEXT_OFF = 36
FPREGS_OFF = 112
TLSBASE_OFF = 756
_UC_SIGMASK, _UC_STACK, _UC_CPU, _UC_FPU, _UC_TLSBASE = 0x1, 0x2, 0x4, 0x8, 0x80000


def pack_ucontext(regs, sigmask=0, stack=(0, 0, 0), link=0, tlsbase=0, flags=None):
    """regs: dict with GREG_NAMES keys (missing ones are 0)."""
    if flags is None:
        flags = _UC_SIGMASK | _UC_STACK | _UC_CPU | _UC_TLSBASE
    b = bytearray(UCONTEXT_SIZE)
    struct.pack_into("<II", b, 0, flags, link)
    b[8:24] = pack_sigset(sigmask)
    struct.pack_into("<IIi", b, 24, *stack)
    struct.pack_into("<19I", b, MCONTEXT_OFF,
                     *(regs.get(n, 0) & 0xffffffff for n in GREG_NAMES))
    struct.pack_into("<I", b, TLSBASE_OFF, tlsbase)
    return bytes(b)


def unpack_ucontext(data):
    flags, link = struct.unpack_from("<II", data, 0)
    mask = unpack_sigset(data[8:24])
    stack = struct.unpack_from("<IIi", data, 24)
    regs = dict(zip(GREG_NAMES, struct.unpack_from("<19I", data, MCONTEXT_OFF)))
    (tls,) = struct.unpack_from("<I", data, TLSBASE_OFF)
    return dict(flags=flags, link=link, sigmask=mask, stack=stack, regs=regs, tlsbase=tls)


SIGINFO_SIZE = 128


def pack_siginfo(signo, code=0, errno=0, pid=0, uid=0, addr=0, status=0, trap=0):
    """siginfo_t (128 bytes): _ksiginfo {signo, code, errno, reason union}.

    The reason union at offset 12: for faults {addr, trap}; for children /
    kill {pid, uid, status...}.
    """
    b = bytearray(SIGINFO_SIZE)
    struct.pack_into("<iii", b, 0, signo, code, errno)
    if addr or trap:
        struct.pack_into("<Ii", b, 12, addr, trap)
    else:
        struct.pack_into("<iIi", b, 12, pid, uid, status)
    return bytes(b)


def pack_ps_strings(argv_ptr, argc, envp_ptr, envc):
    return struct.pack("<IiIi", argv_ptr, argc, envp_ptr, envc)


PS_STRINGS_SIZE = 16

# --------------------------------------------------------------------------
# Guest <-> host translation (xlat_*).  The only place host constants meet
# guest constants.

_HOST_TO_NBSD_ERRNO = {}
for _name, _val in NBSD_ERRNO.items():
    if hasattr(_host_errno, _name):
        _HOST_TO_NBSD_ERRNO[getattr(_host_errno, _name)] = _val
if hasattr(_host_errno, "EWOULDBLOCK"):
    _HOST_TO_NBSD_ERRNO[_host_errno.EWOULDBLOCK] = EAGAIN 
if hasattr(_host_errno, "EOPNOTSUPP"):
    _HOST_TO_NBSD_ERRNO.setdefault(_host_errno.EOPNOTSUPP, EOPNOTSUPP)


def xlat_errno(exc):
    """Host OSError (or a host errno number) -> NetBSD errno; unknown -> EIO."""
    e = exc.errno if isinstance(exc, OSError) else exc
    return _HOST_TO_NBSD_ERRNO.get(e, EIO)


def host_error(exc):
    """Wrap a host OSError as the guest Errno to raise."""
    return Errno(xlat_errno(exc))


_OPEN_XLAT = [
    (NBSD_O_NONBLOCK, os.O_NONBLOCK), (NBSD_O_APPEND, os.O_APPEND),
    (NBSD_O_SYNC, getattr(os, "O_SYNC", 0)), (NBSD_O_NOFOLLOW, getattr(os, "O_NOFOLLOW", 0)),
    (NBSD_O_CREAT, os.O_CREAT), (NBSD_O_TRUNC, os.O_TRUNC), (NBSD_O_EXCL, os.O_EXCL),
    (NBSD_O_NOCTTY, getattr(os, "O_NOCTTY", 0)), (NBSD_O_DSYNC, getattr(os, "O_DSYNC", 0)),
    (NBSD_O_RSYNC, getattr(os, "O_RSYNC", 0)), (NBSD_O_DIRECTORY, getattr(os, "O_DIRECTORY", 0)),
    (NBSD_O_CLOEXEC, getattr(os, "O_CLOEXEC", 0)),
    # locks and async have no host equivalent worth passing: accepted, dropped
    (NBSD_O_SHLOCK, 0), (NBSD_O_EXLOCK, 0), (NBSD_O_ASYNC, 0),
]


def xlat_open_flags(flags):
    """NetBSD open flags -> host os.O_* flags; unknown bits -> EINVAL."""
    acc = flags & NBSD_O_ACCMODE
    if acc == 3:
        raise Errno(EINVAL)
    host = {0: os.O_RDONLY, 1: os.O_WRONLY, 2: os.O_RDWR}[acc]
    rest = flags & ~NBSD_O_ACCMODE
    for g, h in _OPEN_XLAT:
        if rest & g:
            host |= h
            rest &= ~g
    if rest:
        raise Errno(EINVAL)
    return host


def check_open_flags(flags):
    """Validate guest open flags (the kernel keeps them in guest terms)."""
    if flags & ~NBSD_O_ALLKNOWN & 0xffffffff:
        raise Errno(EINVAL)
    if flags & NBSD_O_ACCMODE == 3:
        raise Errno(EINVAL)
    return flags


_TYPE_XLAT = [
    (_host_stat.S_IFIFO, NBSD_S_IFIFO), (_host_stat.S_IFCHR, NBSD_S_IFCHR),
    (_host_stat.S_IFDIR, NBSD_S_IFDIR), (_host_stat.S_IFBLK, NBSD_S_IFBLK),
    (_host_stat.S_IFREG, NBSD_S_IFREG), (_host_stat.S_IFLNK, NBSD_S_IFLNK),
    (_host_stat.S_IFSOCK, NBSD_S_IFSOCK),
]


_TYPE_XLAT_MAP = dict(_TYPE_XLAT)


def xlat_mode_from_host(hmode):
    """Host st_mode -> NetBSD st_mode (type bits mapped, permission bits kept)."""
    return _TYPE_XLAT_MAP.get(hmode & 0o170000, 0) | (hmode & 0o7777)


def xlat_perm_to_host(mode):
    """Guest permission bits (chmod, open, mkdir) -> host; file-type or other bits -> EINVAL."""
    if mode & ~NBSD_ALLPERMS:
        raise Errno(EINVAL)
    host = 0
    for g, h in ((NBSD_S_ISUID, _host_stat.S_ISUID), (NBSD_S_ISGID, _host_stat.S_ISGID),
                 (NBSD_S_ISVTX, _host_stat.S_ISVTX)):
        if mode & g:
            host |= h
    return host | (mode & 0o777)


def xlat_seek_whence(whence):
    try:
        return {NBSD_SEEK_SET: os.SEEK_SET, NBSD_SEEK_CUR: os.SEEK_CUR,
                NBSD_SEEK_END: os.SEEK_END}[whence]
    except KeyError:
        raise Errno(EINVAL) from None
