"""Signal delivery (NetBSD 10's siginfo frames, trampoline version 2) and
the context calls (getcontext/setcontext), abi §7.

sendsig builds struct sigframe_siginfo below the interrupted stack pointer:
    0 ra = the trampoline libc registered, 4 signo, 8 siginfo_t *,
    12 ucontext_t *, 16 siginfo_t (128), 144 ucontext_t (776); 920 bytes,
16-byte aligned, and resumes the process at the handler.  The trampoline
calls setcontext(ucp), which restores the saved context (checked: a user
process cannot raise its privilege or its IOPL; a kernelware stays at CPL 0).

Per LWP: the mask (p.sigmask), the alternate stack (p.sigstk), the
sigsuspend mask and the FPU state are the current LWP's (p.l, proc.py);
the handlers (p.sigacts) are the process's.

Frames: a user process has a full trap frame on its kernel stack.  A
kernelware in a system call has the gate's frame, whose return is emulated
(trap.py): its "interrupted context" is the return from the gate, and the
handler is entered the same way (`[eflags][eip]` under tf_esp).  A
kernelware interrupted at CPL 0 (timer, fault) has a short frame on its own
stack: the signal frame is built below it and the short frame is moved
below that, so its iret enters the handler with esp at the signal frame.
"""
import struct

from kw86.nbsd import abi
from kw86.nbsd.boot import T_KW86_GATE
from kw86.nbsd.errors import Errno

SIGFRAME_SIZE = 920
SIGFRAME15_SIZE = 112           # signum, code, scp, handler, struct sigcontext
# The kernel's signal trampoline for the sigcontext ABI (1.5's sigcode; 10's
# compat_16 one does the same), kw86's own bytes:
#   call *12(%esp)          handler(signum, code, scp)
#   lea  16(%esp), %eax     the sigcontext
#   mov  4(%eax), %fs       its fs and gs
#   mov  (%eax), %gs
#   push %eax; push %eax    scp, and a return-address slot
#   mov  $295, %eax; int $0x80      __sigreturn14(scp)
#   push %eax; push %eax; mov $1, %eax; int $0x80       exit(errno) if it returns
#   hlt
SIGCODE = bytes.fromhex("ff54240c" "8d442410" "8e6004" "8e28" "50" "50" "b827010000" "cd80"
                        "50" "50" "b801000000" "cd80" "f4")
MINSIGSTKSZ = 8192
PSL_CLEARSIG = abi.PSL_T | abi.PSL_VM | abi.PSL_AC | abi.PSL_D
_UC_SIGMASK, _UC_STACK, _UC_CPU, _UC_FPU, _UC_TLSBASE = 0x1, 0x2, 0x4, 0x8, 0x80000
USER_CS = (abi.UCODE, abi.UCODEBIG, abi.UCODE_G)
USER_DS = (abi.UDATA, abi.UDATA_G, abi.UFS, abi.UGS, 0)
UNBLOCKABLE = abi.sigbit(abi.NBSD_SIGKILL) | abi.sigbit(abi.NBSD_SIGSTOP)


def bad_user_selectors(r):
    """A context's selectors are not user ones (setcontext, sigreturn,
    _lwp_create: EINVAL).  Only a selector's low 16 bits count: a pushed
    segment register leaves the upper half of its word undefined, and
    getcontext reports the word as the frame has it (NetBSD's
    VALID_USER_DSEL/USERMODE test the selector)."""
    return (r["cs"] & 0xffff) not in USER_CS or r["ss"] & 0xffff == 0 or \
        any(r[s] & 0xffff not in USER_DS for s in ("ds", "es", "ss", "fs", "gs"))


def context_of(p, tf):
    """The interrupted user context of a frame: dict of GREG_NAMES."""
    ctx = tf.regs(abi.GREG_NAMES)
    if tf.trapno == T_KW86_GATE:
        eflags, eip = struct.unpack("<II", p.mem.copyin(tf.esp, 8))
        ctx.update(eip=eip, eflags=eflags, esp=tf.esp + 8)
    ctx["uesp"] = ctx["esp"]
    return ctx


def _resume_at(p, tf, eip, esp, eflags):
    """Make the frame return to eip with esp (user: iret; kernelware: gate_exit)."""
    if tf.trapno == T_KW86_GATE:
        p.mem.copyout(esp - 8, struct.pack("<II", eflags, eip))
        tf.esp = esp - 8
    else:
        tf.update(eip=eip, esp=esp, eflags=eflags)


def sendsig(p, boot, fesp, sig, code=0, addr=0, trapno=0, tf=None, pid=0, uid=0, value=0):
    """Deliver sig to its handler; False when the frame cannot take it now,
    else True, or for a short frame the address it was moved to (the next
    signal delivered in the same pass builds on that one).
    tf (with fesp None): the interrupted context as a short frame that lies
    nowhere (a kernelware's double fault, trap.dfsig: its stack could not
    take a frame); the handler's frame then goes below its esp or on the
    alternate stack."""
    if tf is None:
        tf = boot.read_frame(fesp)
    short = tf.short
    handler, mask, flags, tramp = p.sigacts[sig]
    ctx = context_of(p, tf)
    # A short frame (a kernelware interrupted at CPL 0) lies on the process's
    # own stack just below the interrupted esp: the signal frame goes below it.
    top = fesp if short and fesp is not None else ctx["esp"]
    # sigaltstack: SA_ONSTACK handlers run on the alternate stack unless the
    # process is already on it
    ss_sp, ss_size, ss_flags = p.sigstk or (0, 0, abi.NBSD_SS_DISABLE)
    onstack = not ss_flags & abi.NBSD_SS_DISABLE and ss_sp <= ctx["esp"] < ss_sp + ss_size
    if flags & abi.NBSD_SA_ONSTACK and not ss_flags & abi.NBSD_SS_DISABLE and not onstack:
        top, onstack = ss_sp + ss_size, True
    stack = (ss_sp, ss_size, ss_flags | (abi.NBSD_SS_ONSTACK if onstack else 0))
    # sigsuspend(2): the handler's context carries the mask from before the call
    saved_mask = p.sigmask
    if p.oldmask is not None:
        saved_mask, p.oldmask = p.oldmask, None
    if not tramp:
        # the sigcontext ABI (1.5's __sigaction14, or a NULL trampoline):
        # struct sigframe {signum, code, scp, handler, sigcontext} under
        # the stack, entered at the kernel's sigcode, which calls the handler
        fp = (top - SIGFRAME15_SIZE) & ~3 & 0xffffffff
        sc = abi.pack_sigcontext(dict(ctx, esp=ctx["esp"]), onstack=int(bool(
            stack[2] & abi.NBSD_SS_ONSTACK)), trapno=trapno, err=ctx.get("err", 0),
            mask=saved_mask)
        # 1.x trapsignal(p, sig, type & ~T_USER): the code is the trap type
        # (T_PAGEFLT for a page fault) [4.4BSD/1.x i386 trap.c, U]
        code15 = trapno or code
        p.mem.copyout(fp, struct.pack("<iiII", sig, code15, fp + 16, handler) + sc)
        entry = sigcode_addr(p)
    else:
        fp = ((top - SIGFRAME_SIZE) & ~15) & 0xffffffff
        uc = abi.pack_ucontext(ctx, sigmask=saved_mask, stack=stack, tlsbase=p.tls_base)
        fpu = p.kernel.fpu if p.kernel is not None else None
        if fpu is not None:
            uc = fpu.save_ucontext(p.l, uc)       # __fpregs, _UC_FPU | _UC_FXSAVE
        # (pid, uid, value: kill's SI_USER, sigqueue's SI_QUEUE, a timer's SI_TIMER)
        si = abi.pack_siginfo(sig, code, 0, pid=pid, uid=uid, addr=addr, trap=trapno,
                              status=(value + 2**31) % 2**32 - 2**31)
        frame = struct.pack("<IiII", tramp, sig, fp + 16, fp + 144) + si + uc
        p.mem.copyout(fp, frame)                # Fault: the caller kills the process
        if fpu is not None:
            fpu.sigreset(p.l)                     # the handler's FPU: empty, default cw
        entry = handler
    p.sigmask |= mask | (0 if flags & abi.NBSD_SA_NODEFER else abi.sigbit(sig))
    p.sigmask &= ~UNBLOCKABLE
    if flags & abi.NBSD_SA_RESETHAND:
        p.sigacts.pop(sig, None)
    eflags = ctx["eflags"] & ~PSL_CLEARSIG
    if short:
        # same-privilege iret pops no esp: move the frame to just below the
        # signal frame, so that the iret leaves esp = fp, and point the CPU
        # (parked in the hypercall on this frame) at the moved copy
        tf.update(eip=entry, eflags=eflags)
        return _move_short_frame(boot, tf, fp, p)
    if tf.trapno != T_KW86_GATE:
        # NetBSD's sendsig: the GDT user selectors
        tf.update(cs=abi.UCODE_G, ds=abi.UDATA_G, es=abi.UDATA_G, ss=abi.UDATA_G)
    _resume_at(p, tf, entry, fp, eflags)
    boot.write_frame(fesp, tf)
    return True


def _move_short_frame(boot, tf, esp, p):
    """Write the short frame just below esp (on the process's own stack: a
    page not there yet is backed, as for any copyout; Fault if it is not
    the process's) and point the CPU at it."""
    nf = esp - 64
    if nf < abi.VM_MAXUSER_ADDRESS:
        p.mem.copyout_nocharge(nf, tf.pack())
    else:
        boot.write_frame(nf, tf)
    boot.m.set_reg("esp", nf)
    return nf


def sigcode_addr(p):
    """Where the process's copy of SIGCODE is: below ps_strings for a 1.x
    program (exec put it there), else a read-only page mapped on first use
    (as NetBSD maps its emulation's sigcode object)."""
    a = p.sigcode
    if a:
        return a
    vm = p.vm
    va = vm.find_space(abi.PAGE_SIZE)
    vm.add_region(va, va + abi.PAGE_SIZE, abi.NBSD_PROT_READ | abi.NBSD_PROT_EXEC, "sigcode")
    vm.map(va, abi.NBSD_PROT_READ | abi.NBSD_PROT_EXEC, SIGCODE)
    p.kernel.m.flush_tlb()
    p.sigcode = va
    return va


def _frame(p):
    """(kernel, the call's trap frame): ENOSYS without a machine (the
    CPU-less harness) or outside a call."""
    k = p.kernel
    if k is None or p.frame_esp is None:
        raise Errno(abi.ENOSYS)
    return k, k.boot.read_frame(p.frame_esp)


def sys___sigaction14(p, signum, nsa, osa):
    """compat_16___sigaction14 (291, 1.5's sigaction): handlers get the
    sigcontext frame through the kernel's sigcode."""
    from kw86.nbsd.syscalls.vm import sys___sigaction_sigtramp
    if nsa and p.kernel is not None:
        sigcode_addr(p)                         # mapped now, not at delivery
    return sys___sigaction_sigtramp(p, signum, nsa, osa, 0, 0)


def sys___sigreturn14(p, scp):
    """compat_16___sigreturn14 (295): restore the context saved in a struct
    sigcontext, with __sigreturn14's checks (user selectors, no change to
    the user-static eflags bits: EINVAL), the mask and the on-stack flag."""
    k, tf = _frame(p)
    regs, onstack, _trapno, _err, mask = abi.unpack_sigcontext(
        p.mem.copyin(scp, abi.SIGCONTEXT_SIZE))
    fesp = p.frame_esp
    gate = tf.trapno == T_KW86_GATE
    if tf.short or gate:
        # a kernelware: stays at CPL 0 on its own segments
        for n in ("edi", "esi", "ebp", "ebx", "edx", "ecx", "eax"):
            setattr(tf, n, regs[n])
        eflags = (regs["eflags"] & abi.PSL_USER) | abi.PSL_I | abi.PSL_MBO
        if gate:
            _resume_at(p, tf, regs["eip"], regs["esp"], eflags)
            k.boot.write_frame(fesp, tf)
        else:
            tf.update(eip=regs["eip"], eflags=eflags)
            _move_short_frame(k.boot, tf, regs["esp"], p)
    else:
        if bad_user_selectors(regs) or ((regs["eflags"] ^ tf.eflags) & abi.PSL_USERSTATIC):
            raise Errno(abi.EINVAL)
        for n in ("gs", "fs", "es", "ds", "edi", "esi", "ebp", "ebx", "edx", "ecx", "eax",
                  "eip", "cs", "ss"):
            setattr(tf, n, regs[n])
        tf.esp = regs["esp"]
        tf.eflags = (tf.eflags & ~abi.PSL_USER) | (regs["eflags"] & abi.PSL_USER)
        tf.trapno = abi.T_ASTFLT
        k.boot.write_frame(fesp, tf)
    p.sigmask = mask & ~UNBLOCKABLE
    # (sc_onstack needs no restoring: on-stack is judged from the stack pointer)
    raise Errno(abi.EJUSTRETURN)


def sys___sigaltstack14(p, nss, oss):
    """sigaltstack(2): (ss_sp, ss_size, ss_flags); "on it" is computed from
    the stack pointer of the call."""
    cur = p.sigstk or (0, 0, abi.NBSD_SS_DISABLE)
    k, tf = _frame(p)
    sp = context_of(p, tf)["esp"]
    onstack = not cur[2] & abi.NBSD_SS_DISABLE and cur[0] <= sp < cur[0] + cur[1]
    if oss:
        p.mem.copyout(oss, struct.pack("<IIi", cur[0], cur[1],
                                       cur[2] | (abi.NBSD_SS_ONSTACK if onstack else 0)))
    if nss:
        ss_sp, ss_size, ss_flags = struct.unpack("<IIi", p.mem.copyin(nss, 12))
        if onstack:
            raise Errno(abi.EPERM)
        if ss_flags & ~abi.NBSD_SS_DISABLE:
            raise Errno(abi.EINVAL)
        if not ss_flags & abi.NBSD_SS_DISABLE and ss_size < MINSIGSTKSZ:
            raise Errno(abi.ENOMEM)
        p.sigstk = (ss_sp, ss_size, ss_flags)


def sys_getcontext(p, ucp):
    k, tf = _frame(p)
    if tf.trapno == T_KW86_GATE:
        # returning from the gate: pop its return address, eax = 0, CF clear
        (ret,) = struct.unpack("<I", p.mem.copyin(tf.esp, 4))
        ctx = tf.regs(abi.GREG_NAMES)
        ctx.update(eip=ret, esp=tf.esp + 4, eflags=tf.eflags & ~abi.PSL_C)
    else:
        ctx = tf.regs(abi.GREG_NAMES)
        ctx["eflags"] = tf.eflags & ~abi.PSL_C
    ctx["eax"] = 0
    ctx["uesp"] = ctx["esp"]
    p.mem.copyout(ucp, k.fpu.save_ucontext(p.l, abi.pack_ucontext(
        ctx, sigmask=p.sigmask, stack=(0, 0, abi.NBSD_SS_DISABLE), tlsbase=p.tls_base)))


def sys_setcontext(p, ucp):
    k, tf = _frame(p)
    raw = p.mem.copyin(ucp, abi.UCONTEXT_SIZE)
    uc = abi.unpack_ucontext(raw)
    fesp = p.frame_esp
    gate = tf.trapno == T_KW86_GATE
    moved = False
    if uc["flags"] & _UC_CPU:
        r = uc["regs"]
        if tf.short and not gate:
            # int $0x80 at CPL 0 (a kernelware's own trap, e.g. Go's signal
            # trampoline): it stays at CPL 0, as __sigreturn14 does
            for n in ("edi", "esi", "ebp", "ebx", "edx", "ecx", "eax"):
                setattr(tf, n, r[n])
            eflags = (r["eflags"] & abi.PSL_USER) | abi.PSL_I | abi.PSL_MBO
            tf.update(eip=r["eip"], eflags=eflags)
            _move_short_frame(k.boot, tf, r["uesp"], p)
            moved = True
        elif not gate:
            # __sigreturn14/setcontext checks: user selectors, user flags only
            if bad_user_selectors(r) or ((r["eflags"] ^ tf.eflags) & abi.PSL_USERSTATIC):
                raise Errno(abi.EINVAL)
            for n in ("gs", "fs", "es", "ds", "edi", "esi", "ebp", "ebx", "edx", "ecx", "eax",
                      "eip", "cs", "ss"):
                setattr(tf, n, r[n])
            tf.esp = r["uesp"]
            tf.eflags = (tf.eflags & ~abi.PSL_USER) | (r["eflags"] & abi.PSL_USER)
            tf.trapno = abi.T_ASTFLT
            tf.short = False
        else:
            for n in ("edi", "esi", "ebp", "ebx", "edx", "ecx", "eax"):
                setattr(tf, n, r[n])
            eflags = (r["eflags"] & abi.PSL_USER) | abi.PSL_I | abi.PSL_MBO
            _resume_at(p, tf, r["eip"], r["uesp"], eflags)
    if uc["flags"] & _UC_FPU:
        k.fpu.load_ucontext(p.l, raw, uc["flags"])        # fpu.py
    if uc["flags"] & _UC_SIGMASK:
        p.sigmask = uc["sigmask"] & ~UNBLOCKABLE
    if uc["flags"] & _UC_TLSBASE:
        from kw86.nbsd.syscalls.vm import sys__lwp_setprivate
        sys__lwp_setprivate(p, uc["tlsbase"])
    if not moved:
        k.boot.write_frame(fesp, tf)
    raise Errno(abi.EJUSTRETURN)
