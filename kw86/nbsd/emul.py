"""Emulations: a process's system-call table and its mode rules (NetBSD's
struct emul, reached through p->p_emul).

Every process has one (p.emul): the native NetBSD emulation, or the
kernelware emulation (kernelware.py) once the process joined it (kwrun, a
`kw86 exec --kernelware` start, or 510 switch_to_kernel_mode).  fork gives
the child its parent's; exec keeps it (the kernelware exec starts the new
image at CPL 0).  The system-call path (trap.py) takes the row from
p.emul.fastvec (the rows the register fast path may run) or runs
dispatch() over p.emul.table.
"""


class Emul:
    """The native emulation (NetBSD/i386): user mode, the global table."""

    name = "netbsd"
    kernel_mode = False             # processes of this emulation exec at CPL 3

    def __init__(self, table, strace=None, fast=True):
        self.table = table
        self.set_fast(fast and strace is None)

    def set_fast(self, fast):
        """The rows the register fast path may run (none with --strace: it
        sees every call through the general path)."""
        self.fastvec = [r if r is not None and r.fast and fast else None for r in self.table.vec]

    def __repr__(self):
        return f"<emul {self.name}>"
