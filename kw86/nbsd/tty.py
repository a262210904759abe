"""The console: the guest's terminal (or stdin/stdout stream) on host fds.

`HostConsole(in_fd, out_fd)` is a Device: reads never block the host (no
input ready -> WouldBlock, the scheduler waits for the host fd with
select), writes go straight to the host, and the tty ioctls answer as a
NetBSD tty would when the host fd is a terminal (ENOTTY otherwise, so
isatty() is right).  The guest's termios is kept here in NetBSD terms.
"""
import errno as host_errno
import os
import select

from kw86.nbsd import abi
from kw86.nbsd.abi import ENOTTY, EPIPE
from kw86.nbsd.errors import Errno, WouldBlock
from kw86.nbsd.vfs.devfs import Device


class HostConsole(Device):
    name = "console"

    def __init__(self, in_fd=0, out_fd=1, err_fd=None):
        self.in_fd = in_fd
        self.out_fd = out_fd
        self.err_fd = out_fd if err_fd is None else err_fd
        self.termios = abi.pack_termios()
        self.pgrp = 0
        self.eof = False

    def is_terminal(self):
        try:
            return os.isatty(self.in_fd) or os.isatty(self.out_fd)
        except OSError:
            return False

    isatty = is_terminal

    def read(self, f, n):
        if n == 0:
            return b""
        r, _, _ = select.select([self.in_fd], [], [], 0)
        if not r:
            raise WouldBlock(self)
        try:
            return os.read(self.in_fd, n)
        except BlockingIOError:
            raise WouldBlock(self) from None
        except OSError as e:
            raise abi.host_error(e) from None

    def write(self, f, data):
        fd = self.err_fd if getattr(f, "console_err", False) else self.out_fd
        done = 0
        try:
            while done < len(data):
                done += os.write(fd, data[done:])
            return done
        except OSError as e:
            if done:
                return done                     # a short write, the error comes next
            if e.errno == host_errno.EPIPE:
                raise Errno(EPIPE) from None
            raise abi.host_error(e) from None   # ENOSPC, EBADF, EFBIG ... as NetBSD's

    def poll(self, events):
        """POLLIN when the host fd has input (select, no wait); POLLOUT always."""
        rev = events & 0x4
        if events & (0x1 | 0x40):
            try:
                if select.select([self.in_fd], [], [], 0)[0]:
                    rev |= events & (0x1 | 0x40)
            except (OSError, ValueError):
                rev |= 0x8                              # POLLERR
        return rev

    def readable_bytes(self):
        try:
            import fcntl
            import termios
            import struct
            buf = fcntl.ioctl(self.in_fd, termios.FIONREAD, b"\0\0\0\0")
            return struct.unpack("<i", buf)[0]
        except (OSError, ImportError):
            return 0

    def ioctl(self, f, cmd, data):
        if cmd == abi.NBSD_FIONREAD:
            return self.readable_bytes().to_bytes(4, "little")
        if not self.is_terminal():
            raise Errno(ENOTTY)
        if cmd == abi.NBSD_TIOCGETA:
            return self.termios
        if cmd in (abi.NBSD_TIOCSETA, abi.NBSD_TIOCSETAW, abi.NBSD_TIOCSETAF):
            self.termios = bytes(data)
            return None
        if cmd == abi.NBSD_TIOCGWINSZ:
            try:
                sz = os.get_terminal_size(self.out_fd if os.isatty(self.out_fd) else self.in_fd)
                return abi.pack_winsize(sz.lines, sz.columns)
            except OSError:
                return abi.pack_winsize(24, 80)
        if cmd == abi.NBSD_TIOCSWINSZ:
            return None
        if cmd == abi.NBSD_TIOCGPGRP:
            return self.pgrp.to_bytes(4, "little")
        if cmd == abi.NBSD_TIOCSPGRP:
            self.pgrp = int.from_bytes(data[:4], "little")
            return None
        raise Errno(ENOTTY)

    def open(self, p, fflags):
        return None
