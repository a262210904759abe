"""The kernelware emulation: processes that run at CPL 0 (the paper's
"in-kernel execution", MISSION.md Mechanism 1) as one object.

`Kernelware` is an emulation (emul.py, NetBSD's struct emul) that owns:

- its selectors: CS = the kernel code selector (KCODE), SS/DS/ES = the
  kernel data selector (KDATA), FS/GS = the user TLS selectors (UFS/UGS);
  the user memory layout is unchanged (text, data, heap, stack at user
  addresses);
- how a process enters CPL 0 (enter: the first instruction of an exec'd
  image; the kernelware exec's frame, exec_frame) and leaves it (511);
- its system-call table (self.table, self.fastvec: the call gate's
  function-call path uses the same rows as int $0x80).

It is the `kernelware` module (module.py): loaded (`loaded`), a process
may join it; not loaded, 510 and kwrun are EPERM.  Preemption of a
kernelware is the other module's job (kwhook: locore's Xkwhook stubs mark
the interrupt; trap.intr preempts on the mark).

elf.py (initial registers), Kernel.exec/execve and 510/511 ask it instead
of choosing CS themselves.  A process is in the emulation while it runs at
CPL 0 (p.emul is the Kernelware, p.kernelware is True): `kw86 exec
--kernelware` starts pid 1 in it, 510 joins it, 511 leaves it; fork gives
the child its parent's emulation and mode, exec keeps them (the kernelware
exec starts the new image at CPL 0).

kw86's private system calls 510 and 511 (userland/README.md "kw86-private
numbers"; the paper's partial kernelware: a program runs only its I/O-heavy
part in kernel mode):

    510 switch_to_kernel_mode()   continue this process at CPL 0
    511 switch_to_user_mode()     continue it at CPL 3

Both return 0 to the instruction after the stub's trap or call, in the new
mode, with the same stack pointer; the one for the mode the process is
already in succeeds and changes nothing.  They rewrite the call's frame
(p.frame_esp) and return EJUSTRETURN, as execve and setcontext do:

- 510 from CPL 3 (int $0x80, a full frame on the kernel stack): the frame
  becomes a gate frame (trapno T_KW86_GATE, ds/es/ss KDATA, fs/gs kept: the
  user's TLS selectors) whose return is the gate's emulated `ret`:
  `[eflags][eip]` just below the user esp, tf_esp pointing at them
  (signals._resume_at, the same code sendsig and setcontext use for a
  kernelware).  gate_exit then pops the registers, `lss` the user stack
  with KDATA, `popfl; ret`: CPL 0 (locore's CS), no iret from a CPL-3 frame.
- 511 from CPL 0 (the gate, or an int $0x80 at CPL 0 with its short frame):
  a full user frame (trapno T_ASTFLT, LUCODE/LUDATA, the user TLS
  selectors in fs/gs, esp/ss) on the process's kernel stack, left by
  trapret's iret to CPL 3 (boot.enter_user_frame's layout, the kernel's
  normal process start).
- eflags: the user's arithmetic flags (PSL_USER), IF on, IOPL 0, CF clear.
- One LWP only: a switch in a process with other live LWPs (threads,
  `new` ones included, zombies not) is EBUSY.  The mode belongs to the
  process (p.emul, p.kernelware: its system call table, how signals are
  sent and how fork, execve and its LWPs start), while only the calling
  LWP's frame is rewritten: switching the others at their next return
  would need a rewrite of each one's frame wherever it sleeps (a gate
  frame on the user stack, a full one on its kernel stack) and leaves a
  window in which the process runs in both modes at once.  So the caller
  makes the switch while single-threaded (before pthread_create, after the
  joins), and the mode stays uniform across the process's LWPs; a
  same-mode call is still 0 (nothing changes), and EPERM comes first.

The address space does not change with the mode: demand paging and
copy-on-write in both (a fault at CPL 0 whose frame cannot be pushed on
the process's own stack is a double fault, resolved by the #DF task:
trap.dblfault).
p.kw_switches counts the switches and Kernel.stats has switches_to_kernel /
switches_to_user.

Permission: `loaded` (the kernelware module) and `policy`, an optional
callable (p) -> errno or 0 for a finer rule.  Refused: EPERM.
"""
from kw86.nbsd import abi
from kw86.nbsd.emul import Emul
from kw86.nbsd.errors import Errno
from kw86.nbsd.frame import TF_SIZE
from kw86.nbsd.kconst import T_KW86_GATE

_SANE = ~abi.PSL_C & abi.PSL_USER
# the selectors of a process at CPL 0
SEGMENTS = dict(cs=abi.KCODE, ss=abi.KDATA, ds=abi.KDATA, es=abi.KDATA, fs=abi.UFS, gs=abi.UGS)


class Kernelware(Emul):
    """The kernelware emulation of one kernel (k)."""

    name = "kernelware"
    kernel_mode = True

    def __init__(self, kernel, table, strace=None, fast=True):
        super().__init__(table, strace, fast)
        self.k = kernel
        self.loaded = False         # the kernelware module (module.py): 510 and kwrun need it
        self.policy = None          # optional (p) -> errno: who may join

    # -- membership ------------------------------------------------------------------
    def permit(self, p):
        """EPERM unless the module is loaded, p is root (only root may join
        the emulation: a kernelware owns the machine) and the policy lets p
        join."""
        if not self.loaded or p.cred.euid != 0:
            raise Errno(abi.EPERM)
        if self.policy is not None:
            err = self.policy(p)
            if err:
                raise Errno(err)

    def join(self, p):
        p.emul = self
        p.kernelware = True

    def leave(self, p):
        p.emul = self.k.emul_native
        p.kernelware = False

    # -- entering CPL 0 ------------------------------------------------------------
    @staticmethod
    def segments(img=None):
        """The selectors an exec'd image starts with (elf.initial_registers)."""
        return dict(SEGMENTS)

    def enter(self, p):
        """Start p's image at CPL 0: no frame, no iret; the registers are
        loaded directly (the CPU already runs at CPL 0 in the kernel)."""
        m, r = self.k.m, p.regs0
        for s in ("cs", "ss", "ds", "es", "fs", "gs"):
            m.load_segment(s, SEGMENTS[s])
        for n in ("eax", "ebx", "ecx", "edx", "esi", "edi", "ebp", "esp", "eip"):
            m.set_reg(n, r[n])
        m.set_reg("eflags", r["eflags"])

    def exec_frame(self, p, tf, r):
        """execve from the gate: the new image starts by gate_exit's `popfl;
        ret` with [eflags][eip] just below its initial stack pointer."""
        p.mem.copyout(r["esp"] - 8, abi_pack2(r["eflags"], r["eip"]))
        tf.update(esp=r["esp"] - 8, ss=abi.KDATA, cs=abi.KCODE, ds=abi.KDATA,
                  es=abi.KDATA, fs=abi.UFS, gs=abi.UGS, eflags=r["eflags"])

    # -- 510 / 511 --------------------------------------------------------------------
    @staticmethod
    def _single(p):
        """EBUSY while p has an LWP besides the caller that is not a zombie
        (the module docstring: the mode is the whole process's)."""
        if any(l is not p.l and l.state != "zomb" for l in p.lwps.values()):
            raise Errno(abi.EBUSY)

    def switch_to_kernel(self, p):
        """510: continue at CPL 0 (CS KCODE, SS/DS/ES KDATA, FS/GS the user's)."""
        k = self.k
        fesp = p.frame_esp
        tf = k.boot.read_frame(fesp)
        if tf.from_kernel:
            return 0
        self.permit(p)
        self._single(p)
        uesp = tf.esp
        from kw86.nbsd.signals import _resume_at
        eip = tf.eip
        eflags = (tf.eflags & _SANE) | abi.PSL_I | abi.PSL_MBO
        tf.update(eax=0, edx=0, trapno=T_KW86_GATE, err=0, eip=0, cs=abi.KCODE, ss=abi.KDATA,
                  ds=abi.KDATA, es=abi.KDATA, eflags=abi.PSL_I | abi.PSL_MBO)
        _resume_at(p, tf, eip, uesp, eflags)    # [eflags][eip] just below uesp (EFAULT)
        k.boot.write_frame(fesp, tf)
        self.join(p)
        p.kw_switches += 1
        k.n_switch_kernel += 1
        raise Errno(abi.EJUSTRETURN)

    def switch_to_user(self, p):
        """511: continue at CPL 3 (CS LUCODE, SS/DS/ES LUDATA, FS/GS the user TLS)."""
        k = self.k
        fesp = p.frame_esp
        tf = k.boot.read_frame(fesp)
        if not tf.from_kernel:
            return 0
        self._single(p)
        if tf.gate:
            # the caller's return address is at the entry esp (checked copy)
            eip = int.from_bytes(p.mem.copyin_nocharge(tf.esp, 4), "little")
            esp = tf.esp + 4
        else:                                   # int $0x80 at CPL 0: a short frame
            eip, esp = tf.eip, tf.esp
        eflags = (tf.eflags & _SANE) | abi.PSL_I | abi.PSL_MBO
        nf = tf.copy(eax=0, edx=0, trapno=abi.T_ASTFLT, err=0, eip=eip, cs=abi.UCODE,
                     eflags=eflags, esp=esp, ss=abi.UDATA, ds=abi.UDATA, es=abi.UDATA,
                     fs=abi.UFS, gs=abi.UGS, short=False)
        # iret to CPL 3 pops esp/ss: the full frame lives on the kernel stack
        # (where the gate already put its frame; a short frame moves there)
        nfesp = p.kstack - TF_SIZE
        k.boot.write_frame(nfesp, nf)
        if nfesp != fesp:
            k.m.set_reg("esp", nfesp)
            p.frame_esp = nfesp
        self.leave(p)
        p.kw_switches += 1
        k.n_switch_user += 1
        raise Errno(abi.EJUSTRETURN)


def abi_pack2(a, b):
    return (a & 0xffffffff).to_bytes(4, "little") + (b & 0xffffffff).to_bytes(4, "little")


def _kw(p):
    k = p.kernel
    if k is None or p.frame_esp is None:
        raise Errno(abi.ENOSYS)             # no machine (the table-only tests)
    return k.kw


def sys_switch_to_kernel_mode(p):
    """510 (the row in every emulation's table)."""
    return _kw(p).switch_to_kernel(p)


def sys_switch_to_user_mode(p):
    """511."""
    return _kw(p).switch_to_user(p)
