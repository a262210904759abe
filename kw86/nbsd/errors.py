"""Kernel-internal control flow: errno results, user-memory faults, sleeping.

A handler raises Errno(E...) to fail a system call; copyin/copyout raise
Fault, which the dispatcher turns into EFAULT; an operation that would have
to sleep (an empty pipe, a full pipe) raises WouldBlock(chan) so the
scheduler can put the process to sleep on `chan` and restart the call when
`wakeup(chan)` (sched.py) is called.  Nothing here ever blocks the host thread.
"""


class Errno(Exception):
    """A system call fails with this NetBSD errno (a positive number)."""

    def __init__(self, errno, msg=None):
        super().__init__(errno, msg)
        self.errno = errno
        self.msg = msg

    def __repr__(self):
        from kw86.nbsd import abi
        return f"Errno({abi.errno_name(self.errno)})"


class Fault(Exception):
    """A user address could not be read or written (becomes EFAULT)."""

    def __init__(self, addr=None):
        super().__init__(addr)
        self.addr = addr


class BadFrame(Fault):
    """A trap frame the kernel must read or write is not mapped (a
    kernelware's forged hypercall, or kernel memory it overwrote): the
    process that made the hypercall is killed, never the host.  why: what
    was wrong, when it is not a missing frame (the kill's message)."""

    def __init__(self, addr=None, why=None):
        super().__init__(addr)
        self.why = why


class Exit(Exception):
    """The current process is gone (exit(2), or a fatal signal): a wait status."""

    def __init__(self, status):
        super().__init__(status)
        self.status = status


class WouldBlock(Exception):
    """The operation must sleep on `chan`; the caller restarts it when woken."""

    def __init__(self, chan):
        super().__init__(chan)
        self.chan = chan


class KernelPanic(Exception):
    """The kernel's own state is broken (a kw86 bug): kw86 ends with a panic
    message and a register dump (Kernel.run), never a traceback."""
