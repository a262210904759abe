"""User memory as the system calls see it: copyin, copyout, copyinstr.

The real implementation walks the process's page tables through the
Machine (and charges the cycles of the copy); `FlatUserMem` is a
bytearray-backed stand-in for tests.  Every failure is a Fault, which the
dispatcher turns into EFAULT: a wild guest pointer never becomes a host
exception.
"""
from kw86.nbsd import abi
from kw86.nbsd.errors import Errno, Fault


class UserMem:
    """Interface (duck-typed): what every handler uses to touch user memory."""

    def copyin(self, addr, n):
        raise NotImplementedError

    def copyout(self, addr, data):
        raise NotImplementedError

    def copyinstr(self, addr, maxlen):
        """The NUL-terminated string at addr, without the NUL.

        ENAMETOOLONG when no NUL within maxlen bytes (NetBSD copyinstr).
        """
        out = bytearray()
        while len(out) < maxlen:
            # read up to the next page boundary, so a string ending just
            # before an unmapped page still works
            chunk = min(maxlen - len(out), abi.PAGE_SIZE - ((addr + len(out)) & (abi.PAGE_SIZE - 1)))
            data = self.copyin_nocharge(addr + len(out), chunk)
            i = data.find(b"\0")
            if i >= 0:
                out += data[:i]
                charge = getattr(self, "charge", None)
                if charge is not None:
                    charge(len(out) + 1)        # copyinstr copies up to the NUL
                return bytes(out)
            out += data
        raise Errno(abi.ENAMETOOLONG)

    # Accesses that stand for guest instructions, not for the kernel's
    # copyin/copyout (the call gate's emulated `ret`): not charged.
    def copyin_nocharge(self, addr, n):
        c, self.charge = getattr(self, "charge", None), None
        try:
            return self.copyin(addr, n)
        finally:
            self.charge = c

    def copyout_nocharge(self, addr, data):
        c, self.charge = getattr(self, "charge", None), None
        try:
            self.copyout(addr, data)
        finally:
            self.charge = c


class FlatUserMem(UserMem):
    """`size` bytes of user memory mapped at `base`; everything else faults."""

    def __init__(self, size, base=0x1000):
        self.base = base
        self.mem = bytearray(size)

    def _range(self, addr, n):
        if n < 0 or addr < self.base or addr + n > self.base + len(self.mem) \
                or addr + n > abi.VM_MAXUSER_ADDRESS:
            raise Fault(addr)
        return addr - self.base

    def copyin(self, addr, n):
        off = self._range(addr, n)
        return bytes(self.mem[off:off + n])

    def copyout(self, addr, data):
        off = self._range(addr, len(data))
        self.mem[off:off + len(data)] = data


_VM_MAXUSER = abi.VM_MAXUSER_ADDRESS
# copyin of more than this is read piece by piece (MachineUserMem._copyin_big)
_BIG = 1 << 20


class MachineUserMem(UserMem):
    """User memory of the current address space of a kw86.Machine.

    Goes through the guest's page tables with user-mode rights
    (Machine.read_virt / write_virt, user=True), so a kernel page, an
    unmapped page or a read-only page (for copyout) is a Fault, whatever the
    CPL the caller ran at: a kernelware's pointers are checked exactly like a
    user process's.  `fault(addr, write)` (optional, the VM system's) may
    resolve the fault (copy-on-write, stack growth) and return True to retry
    once.  `charge(nbytes)` (optional) charges the copy's cycles.
    """

    def __init__(self, machine, fault=None, charge=None):
        self.m = machine
        self.fault = fault
        self.charge = charge
        # Machine.read_virt / write_virt without their Python frame on the
        # hot paths below (every system call copies): the addresses there
        # are already checked to lie below VM_MAXUSER_ADDRESS, so the
        # wrappers' 32-bit masking changes nothing
        self._read_lin = machine.core.read_lin
        self._write_lin = machine.core.write_lin

    @staticmethod
    def _check(addr, n):
        if n < 0 or addr < 0 or addr + n > abi.VM_MAXUSER_ADDRESS:
            raise Fault(addr)

    def copyin(self, addr, n):
        if n < 0 or addr < 0 or addr + n > _VM_MAXUSER:    # _check, inline (every call's arguments)
            raise Fault(addr)
        if n == 0:
            return b""
        if n > _BIG:
            return self._copyin_big(addr, n)
        data = self._read_lin(addr, n, True)
        if data is None:
            # Some page of the range is not present (yet): let the VM system
            # resolve each one (demand-zero, stack growth) -- a large buffer
            # the guest never touched has many such pages -- and the first
            # it cannot resolve is the fault.
            if self.fault is None:
                raise Fault(addr)
            page = addr & ~(abi.PAGE_SIZE - 1)
            while page < addr + n:
                pos = max(page, addr)
                if self.m.translate(pos, write=False, user=True) is None and \
                        (not self.fault(pos, False) or
                         self.m.translate(pos, write=False, user=True) is None):
                    raise Fault(pos)
                page += abi.PAGE_SIZE
            data = self.m.read_virt(addr, n, user=True)
            if data is None:
                raise Fault(addr)
        if self.charge is not None:
            self.charge(n)
        return bytes(data)

    def _copyin_big(self, addr, n):
        """copyin of more than _BIG bytes, a piece at a time: host memory only
        for what the guest has mapped, up to the first fault (a length of
        2 GiB from a small buffer made the host allocate and clear 2 GiB
        before the first page was looked at).  Charged once, as one copy."""
        c, self.charge = self.charge, None
        try:
            parts = [self.copyin(a, min(_BIG, addr + n - a)) for a in range(addr, addr + n, _BIG)]
        finally:
            self.charge = c
        if c is not None:
            c(n)
        return b"".join(parts)

    def copyinstr(self, addr, maxlen):
        """As UserMem.copyinstr (same faults, same charge: up to the NUL), read
        in a short first piece: a path is usually far shorter than the rest of
        its page, which the general version copies out of the guest whole."""
        out, pos, left, want = b"", addr, maxlen, 128
        while left > 0:
            chunk = min(left, want, abi.PAGE_SIZE - (pos & (abi.PAGE_SIZE - 1)))
            if pos < 0 or pos + chunk > abi.VM_MAXUSER_ADDRESS:
                raise Fault(pos)
            data = self._read_lin(pos, chunk, True)
            if data is None and self.fault is not None and self.fault(pos, False):
                data = self._read_lin(pos, chunk, True)
            if data is None:
                raise Fault(pos)
            i = data.find(b"\0")
            if i >= 0:
                out += data[:i]
                if self.charge is not None:
                    self.charge(len(out) + 1)   # copyinstr copies up to the NUL
                return out
            out += data
            pos += chunk
            left -= chunk
            want = abi.PAGE_SIZE
        raise Errno(abi.ENAMETOOLONG)

    def copyout(self, addr, data):
        n = len(data)
        if 0 < n <= abi.PAGE_SIZE - (addr & (abi.PAGE_SIZE - 1)) and addr >= 0 and \
                addr + n <= abi.VM_MAXUSER_ADDRESS:
            # within one page (a struct stat, a result word): write_virt checks
            # the page and writes nothing when it faults; a fault the VM
            # system may resolve (copy-on-write, stack growth) takes the
            # general path below
            if self._write_lin(addr, data, True):
                if self.charge is not None:
                    self.charge(n)
                return
        self._check(addr, n)
        if n == 0:
            return
        # All-or-nothing per page run: check every page before writing any.
        page = addr & ~(abi.PAGE_SIZE - 1)
        while page < addr + n:
            if self.m.translate(max(page, addr), write=True, user=True) is None:
                if self.fault is None or not self.fault(max(page, addr), True) or \
                        self.m.translate(max(page, addr), write=True, user=True) is None:
                    raise Fault(max(page, addr))
            page += abi.PAGE_SIZE
        if not self.m.write_virt(addr, bytes(data), user=True):
            raise Fault(addr)
        if self.charge is not None:
            self.charge(n)
