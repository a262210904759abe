"""The process as the system calls see it (the part that needs no CPU).

The scheduler, fork, exec and signal delivery extend this later (they need
the Machine); the file-system calls need only what is here: credentials,
descriptor table, current and root directory (namei stacks), umask,
limits, user memory, and a place to post signals.
"""
from kw86.nbsd import abi
from kw86.nbsd.file import FdTable
from kw86.nbsd.vfs import Cred


class Proc:

    def __init__(self, system, pid=1, ppid=0, cred=None, mem=None, comm="init",
                 cwd=None, root=None, fdt=None, umask=0o022):
        self.sys = system
        self.pid = pid
        self.ppid = ppid
        self.pgid = pid
        self.sid = pid
        self.comm = comm
        self.cred = cred or Cred(0, 0)
        self.mem = mem
        self.root = root or system.vfs.root_stack()
        self.cwd = cwd or list(self.root)
        self.fdt = fdt or FdTable()
        self.umask = umask
        self.login = b"root"
        self.rlimits = {
            abi.NBSD_RLIMIT_NOFILE: [abi.OPEN_MAX, 3404],
            abi.NBSD_RLIMIT_STACK: [abi.DFLSSIZ, abi.MAXSSIZ],
        }
        self.siglist = []               # posted, not yet delivered (scheduler's job)
        self.lwpid = 1
        self.tls_base = 0

    # namei's context protocol: .root, .cwd, .cred
    def post_signal(self, sig):
        """psignal(): the signal layer delivers it later."""
        self.siglist.append(sig)

    def __repr__(self):
        return f"<Proc {self.pid} {self.comm}>"
