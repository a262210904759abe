"""Partial kernelware: kw86's private system calls 510 and 511.

    510 switch_to_kernel_mode()   continue this process at CPL 0
    511 switch_to_user_mode()     continue it at CPL 3

(userland/README.md "kw86-private numbers"; the paper's partial kernelware: a
program runs only its I/O-heavy part in kernel mode.)  Both return 0 to the
instruction after the stub's trap or call, in the new mode, with the same
stack pointer; the one for the mode the process is already in succeeds and
changes nothing.  They rewrite the call's frame (p.frame_esp) and return
EJUSTRETURN, as execve and setcontext do:

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

The address space follows the mode: in kernel mode a kernelware takes no
fault on its own stack (no stack switch at CPL 0: the CPU could not push the
fault frame), so 510 makes every page of the process resident and private
(VM.make_resident: regions backed, copy-on-write pages copied, the stack
backed like the kernelware exec's) and turns demand paging off; 511 turns it
back on.  p.kernelware follows the mode (fork copies it, execve starts the
new image in it: the kernelware exec), p.kw_switches counts the switches
and Kernel.stats has switches_to_kernel / switches_to_user.

Permission: `Kernel.kernelware_loaded` (the kernelware module; modelled as
always loaded: True unless a caller turns it off) and `Kernel.kw_policy`,
an optional callable (p) -> errno or 0 for a finer rule.  Refused: EPERM.
"""
from kw86.nbsd import abi
from kw86.nbsd.boot import T_KW86_GATE, TF_SIZE
from kw86.nbsd.errors import Errno

_SANE = ~abi.PSL_C & abi.PSL_USER


def _mode_of(tf):
    """'kernel' for a frame from CPL 0 (the gate's, or a short one), else 'user'."""
    if tf["trapno"] == T_KW86_GATE or tf.get("short") or not tf["cs"] & 3:
        return "kernel"
    return "user"


def _check_permission(p):
    k = p.kernel
    if not k.kernelware_loaded:
        raise Errno(abi.EPERM)
    policy = k.kw_policy
    if policy is not None:
        err = policy(p)
        if err:
            raise Errno(err)


def sys_switch_to_kernel_mode(p):
    """510: continue at CPL 0 (CS KCODE, SS/DS/ES KDATA, FS/GS the user's)."""
    k = p.kernel
    if k is None or p.frame_esp is None:
        raise Errno(abi.ENOSYS)             # no machine (the table-only tests)
    fesp = p.frame_esp
    tf = k.boot.read_frame(fesp)
    if _mode_of(tf) == "kernel":
        return 0
    _check_permission(p)
    uesp = tf["esp"]
    p.vm.make_resident(uesp)                # MemoryError: ENOMEM, nothing changed
    from kw86.nbsd.signals import _resume_at
    tf["eax"] = tf["edx"] = 0
    eip = tf["eip"]
    eflags = (tf["eflags"] & _SANE) | abi.PSL_I | abi.PSL_MBO
    tf.update(trapno=T_KW86_GATE, err=0, eip=0, cs=abi.KCODE, ss=abi.KDATA, ds=abi.KDATA,
              es=abi.KDATA, eflags=abi.PSL_I | abi.PSL_MBO)
    try:
        _resume_at(p, tf, eip, uesp, eflags)    # [eflags][eip] just below uesp
    except BaseException:
        p.vm.prefault = False               # EFAULT: still a user process
        raise
    k.boot.write_frame(fesp, tf)
    p.kernelware = True
    p.kw_switches += 1
    k.n_switch_kernel += 1
    raise Errno(abi.EJUSTRETURN)


def sys_switch_to_user_mode(p):
    """511: continue at CPL 3 (CS LUCODE, SS/DS/ES LUDATA, FS/GS the user TLS)."""
    k = p.kernel
    if k is None or p.frame_esp is None:
        raise Errno(abi.ENOSYS)
    fesp = p.frame_esp
    tf = k.boot.read_frame(fesp)
    if _mode_of(tf) == "user":
        return 0
    _check_permission(p)
    if tf["trapno"] == T_KW86_GATE:
        # the caller's return address is at the entry esp (checked copy)
        eip = int.from_bytes(p.mem.copyin_nocharge(tf["esp"], 4), "little")
        esp = tf["esp"] + 4
        eflags = tf["eflags"]
    else:                                   # int $0x80 at CPL 0: a short frame
        eip, esp, eflags = tf["eip"], tf["esp"], tf["eflags"]
    eflags = (eflags & _SANE) | abi.PSL_I | abi.PSL_MBO
    nf = dict(tf, eax=0, edx=0, trapno=abi.T_ASTFLT, err=0, eip=eip, cs=abi.UCODE,
              eflags=eflags, esp=esp, ss=abi.UDATA, ds=abi.UDATA, es=abi.UDATA,
              fs=abi.UFS, gs=abi.UGS, short=False)
    # iret to CPL 3 pops esp/ss: the full frame lives on the kernel stack
    # (where the gate already put its frame; a short frame moves there)
    nfesp = p.kstack - TF_SIZE
    k.boot.write_frame(nfesp, nf)
    if nfesp != fesp:
        k.m.set_reg("esp", nfesp)
        p.frame_esp = nfesp
    p.vm.prefault = False                   # demand paging again
    p.kernelware = False
    p.kw_switches += 1
    k.n_switch_user += 1
    raise Errno(abi.EJUSTRETURN)
