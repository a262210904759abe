"""The system-call path on the machine: from a trap frame to dispatch and back.

Both ways in end here: `int $0x80` (frame built by the CPU + Xsyscall) and
the kernelware call gate (frame built by kw86_syscall_gate, trapno
T_KW86_GATE).  `syscall(boot, p, fesp)` reads the frame at kernel address
fesp, runs the call and writes the result into the frame the way NetBSD's
syscall() does (abi §1): eax/edx and PSL_C clear on success, eax = errno
and PSL_C set on failure, EJUSTRETURN leaves the frame alone, ERESTART (and
a call that must sleep) backs up so the call runs again.

For the gate, the return to the caller is emulated here (gate_exit in
locore.S): the return address is read from the user stack with a checked
copy, and `[eflags][return eip]` is written just below the caller's final
stack pointer, which becomes tf_esp.  A user stack the kernel cannot read
or write raises Fault: the kernel kills that kernelware (SIGSEGV), never
runs on a bad stack.
"""
import struct

from kw86.nbsd import abi
from kw86.nbsd.boot import T_KW86_GATE
from kw86.nbsd.errors import BadFrame, Exit, Fault
from kw86.nbsd.syscalls import TABLE, SysResult, dispatch, exc_result


def call_insn_length(code):
    """Length of the `call` ending at the end of `code` (bytes before the
    return address), or 0 if none of the near-call forms fits.

    Forms: e8 rel32 (5); ff /2 with any ModRM/SIB/displacement (2..7).
    """
    n = len(code)
    for length in range(2, min(7, n) + 1):
        b = code[n - length:]
        if b[0] != 0xff:
            continue
        modrm = b[1]
        if (modrm >> 3) & 7 != 2:
            continue
        mod, rm = modrm >> 6, modrm & 7
        need = 2
        if mod != 3 and rm == 4:
            need += 1                                   # SIB
            if mod == 0 and (b[2] & 7) == 5:
                need += 4
        if mod == 0 and rm == 5:
            need += 4
        elif mod == 1:
            need += 1
        elif mod == 2:
            need += 4
        if need == length:
            return length
    if n >= 5 and code[n - 5] == 0xe8:
        return 5
    return 0


_TF = struct.Struct("<18I")         # the full frame (abi §6), as words
_W = struct.Struct("<I")
_TAIL = struct.Struct("<10I")       # edx ecx eax trapno err eip cs eflags esp ss, at +32
_OUT = struct.Struct("<8I")         # edx .. eflags, written back at +32
EAX, EDX, TRAPNO, ERR, EIP, CS, EFLAGS, ESP = 40, 32, 44, 48, 52, 56, 60, 64
_KERNBASE = abi.KERNBASE
_PSL_C = abi.PSL_C
_NOT_C = ~abi.PSL_C & 0xffffffff
_EJUSTRETURN, _ERESTART = abi.EJUSTRETURN, abi.ERESTART
_VEC = TABLE.vec
_MASK = abi.NSYSENT - 1
_DONE = SysResult()                 # what the fast path returns (no block)
_OUT9 = struct.Struct("<9I")        # edx .. eflags, esp
_W2 = struct.Struct("<II")
_NOT_IOPL = ~abi.PSL_IOPL & 0xffffffff
_PSL_I_MBO = abi.PSL_I | abi.PSL_MBO


# si_code values (NetBSD sys/siginfo.h)
ILL_PRVOPC, ILL_COPROC = 5, 7
FPE_INTDIV, FPE_INTOVF, FPE_FLTSUB = 1, 2, 8
SEGV_MAPERR, SEGV_ACCERR = 1, 2
BUS_ADRALN, BUS_ADRERR, BUS_OBJERR = 1, 2, 3
TRAP_BRKPT, TRAP_TRACE, TRAP_DBREG = 1, 2, 6

# trap type -> (signal, si_code, si_addr is cr2 (else the faulting eip)), as
# NetBSD 10's i386 trap() sends them for a user-mode trap [trap.c]
_TRAPSIG = {
    abi.T_PRIVINFLT: (abi.NBSD_SIGILL, ILL_PRVOPC, False),     # #UD
    abi.T_FPOPFLT: (abi.NBSD_SIGILL, ILL_COPROC, False),
    abi.T_DNA: (abi.NBSD_SIGILL, ILL_COPROC, False),           # (no FPU to switch in)
    abi.T_BOUND: (abi.NBSD_SIGFPE, FPE_FLTSUB, False),
    abi.T_OFLOW: (abi.NBSD_SIGFPE, FPE_INTOVF, False),
    abi.T_DIVIDE: (abi.NBSD_SIGFPE, FPE_INTDIV, False),
    abi.T_ARITHTRAP: (abi.NBSD_SIGFPE, 0, False),              # (the FPU's status decides)
    abi.T_XMM: (abi.NBSD_SIGFPE, 0, False),
    abi.T_PROTFLT: (abi.NBSD_SIGSEGV, SEGV_ACCERR, True),      # #GP
    abi.T_SEGNPFLT: (abi.NBSD_SIGBUS, BUS_ADRERR, True),
    abi.T_STKFLT: (abi.NBSD_SIGBUS, BUS_ADRERR, True),
    abi.T_TSSFLT: (abi.NBSD_SIGBUS, BUS_OBJERR, True),
    abi.T_ALIGNFLT: (abi.NBSD_SIGBUS, BUS_ADRALN, True),
    abi.T_BPTFLT: (abi.NBSD_SIGTRAP, TRAP_BRKPT, False),
    abi.T_TRCTRAP: (abi.NBSD_SIGTRAP, TRAP_TRACE, False),
}


def trapsignal(m, p, tf):
    """The signal, si_code and si_addr for a trap of process p (frame tf)
    that the kernel did not resolve.  A page fault is SEGV_ACCERR inside a
    mapping the access is not allowed in, SEGV_MAPERR outside any (UVM's
    EACCES / no entry); #GP, #NP, #SS, #TS and #AC report %cr2, as NetBSD's
    rcr2() does; the rest the faulting %eip."""
    trapno = tf["trapno"]
    if trapno == abi.T_PAGEFLT:
        cr2 = m.get_reg("cr2")
        inside = p.vm is not None and cr2 < abi.VM_MAXUSER_ADDRESS and \
            p.vm.region_at(cr2) is not None
        return abi.NBSD_SIGSEGV, SEGV_ACCERR if inside else SEGV_MAPERR, cr2
    sig, code, at_cr2 = _TRAPSIG.get(trapno, (abi.NBSD_SIGBUS, 0, False))
    if trapno == abi.T_TRCTRAP and m.get_reg("dr6") & 0xf:
        code = TRAP_DBREG                       # a debug-register breakpoint hit
    return sig, code, m.get_reg("cr2") if at_cr2 else tf["eip"]


def syscall(boot, p, fesp):
    """Run the system call whose frame is at fesp; returns the SysResult.

    The hot path: one read of the frame (physical, for a frame on a kernel
    stack), one write of the words it changes.
    """
    m = boot.m
    core = m.core
    if fesp >= _KERNBASE and fesp - _KERNBASE + 72 <= boot.mem_size:
        raw = core.read_phys(fesp - _KERNBASE, 72)
    else:
        raw = m.read_virt(fesp, 72)     # a short frame may end the mapping: retry
        if raw is None:
            raw = m.read_virt(fesp, 64)
            if raw is None:
                raise BadFrame(fesp)
            raw += b"\0" * 8
    edx, ecx, eax, trapno, err, eip, cs, eflags, uesp, _ss = _TAIL.unpack_from(raw, 32)
    gate = trapno == T_KW86_GATE
    if not gate and not cs & 3:
        uesp = fesp + 64                # from CPL 0 without a stack switch
    p.blocked = None
    row = _VEC[eax & _MASK]
    if row is not None and row.fast and fesp >= _KERNBASE and (gate or cs & 3) and \
            p.sys.strace is None:
        # The fast path: dispatch inlined, no SysResult for a plain return,
        # one read of the user stack, one write of the frame.  (int $0x80
        # from user mode, or the gate; the frame on the kernel stack.)
        n = row.argbytes
        if gate:
            # [return into the stub][stub's return][args] at the entry esp
            ustack = core.read_lin(uesp, 8 + n, True)
            if ustack is None:
                row = None                      # let the general path fault it in
            else:
                args = row.argst.unpack_from(ustack, 8) if n else ()
                if n and p.mem.charge is not None:
                    p.mem.charge(n)
        if row is not None:
            try:
                if not gate:
                    args = row.argst.unpack(p.mem.copyin(uesp + 4, n)) if n else ()
                rv = row.handler(p, *args)
            except Exit:
                raise
            except BaseException as e:
                res = exc_result(p, row, e, SysResult(0, 0, 0, None, row))
                if res.block is not None or res.error == _ERESTART or \
                        res.error == _EJUSTRETURN:
                    return _general_tail(m, core, p, fesp, gate, res, edx, ecx, eax, trapno,
                                         err, eip, cs, eflags, uesp)
                eax = res.error
                eflags |= _PSL_C
            else:
                if rv is None:
                    eax = edx = 0
                elif rv.__class__ is int and not row.is_off:
                    eax, edx = rv & 0xffffffff, 0
                elif isinstance(rv, tuple):
                    eax, edx = rv[0] & 0xffffffff, rv[1] & 0xffffffff
                else:
                    rv &= (1 << 64) - 1
                    eax, edx = rv & 0xffffffff, (rv >> 32) if row.is_off else 0
                eflags &= _NOT_C
            if gate:
                # emulate the `ret` of gate_exit: [eflags][return eip] just
                # below the caller's final esp (entry esp + 4)
                ef = (eflags & _NOT_IOPL) | _PSL_I_MBO
                if not core.write_lin(uesp - 4, _W2.pack(ef, _W.unpack_from(ustack)[0]), True):
                    raise Fault(uesp - 4)
                core.write_phys(fesp - _KERNBASE + 32, _OUT9.pack(
                    edx, ecx, eax, trapno, err, eip, cs, eflags, uesp - 4))
            else:
                core.write_phys(fesp - _KERNBASE + 32, _OUT.pack(
                    edx, ecx, eax, trapno, err, eip, cs, eflags))
            return _DONE
    if not gate:
        res = dispatch(p, eax, uesp)
    else:
        # int $0x80: args at user esp+4; the gate: its own return address
        # is at esp, so the args are at esp+8.
        res = dispatch(p, eax, uesp + 4 if gate else uesp)
    return _general_tail(m, core, p, fesp, gate, res, edx, ecx, eax, trapno, err, eip, cs,
                         eflags, uesp)


def commit(boot, p, fesp, res):
    """Write the result of a call the kernel's fast path already ran (res)
    into its frame: a restart, a sleep, an error, or a return that must
    not use the register protocol (a signal or a switch follows)."""
    m = boot.m
    core = m.core
    if fesp >= _KERNBASE and fesp - _KERNBASE + 72 <= boot.mem_size:
        raw = core.read_phys(fesp - _KERNBASE, 72)
    else:
        raw = m.read_virt(fesp, 72)
        if raw is None:
            raise BadFrame(fesp)
    edx, ecx, eax, trapno, err, eip, cs, eflags, uesp, _ss = _TAIL.unpack_from(raw, 32)
    return _general_tail(m, core, p, fesp, trapno == T_KW86_GATE, res, edx, ecx, eax, trapno,
                         err, eip, cs, eflags, uesp)


def _general_tail(m, core, p, fesp, gate, res, edx, ecx, eax, trapno, err, eip, cs, eflags,
                  uesp):
    """The frame after a call: result, restart (back up), sleep, the gate's ret."""
    error = res.error
    if error == _EJUSTRETURN:
        return res
    block = res.block
    restart = error == _ERESTART or block is not None
    if restart:
        if not gate:
            eip = (eip - err) & 0xffffffff
    elif error:
        eax = error
        eflags |= _PSL_C
    else:
        eax, edx = res.eax, res.edx
        eflags &= _NOT_C
    if gate:
        mem = p.mem
        ret = _W.unpack(mem.copyin_nocharge(uesp, 4))[0]     # Fault: the kernel kills it
        esp = uesp + 4
        reip = ret
        if block is not None:
            p.blocked = (fesp, ret)     # a signal may end the sleep with EINTR
        if restart:
            k = call_insn_length(mem.copyin_nocharge(ret - 7, 7)) if ret >= 7 else 0
            if not k:
                raise Fault(ret)
            reip = ret - k
        ef = (eflags & ~abi.PSL_IOPL) | abi.PSL_I | abi.PSL_MBO
        mem.copyout_nocharge(esp - 8, struct.pack("<II", ef, reip))
        m.write_virt(fesp + 64, _W.pack(esp - 8))
    elif block is not None:
        p.blocked = (fesp, None)
    out = _OUT.pack(edx, ecx, eax, trapno, err, eip, cs, eflags)
    if fesp >= _KERNBASE:
        core.write_phys(fesp - _KERNBASE + 32, out)
    else:
        m.write_virt(fesp + 32, out)
    return res


def _pread(p, va, n):
    """n bytes of p's memory at va, p need not be running: kernel VA through
    the (shared) kernel mapping, user VA through p's own pages."""
    if va >= _KERNBASE:
        data = p.kernel.m.read_virt(va, n)
    else:
        data = p.vm.read(va, n) if p.vm is not None and p.vm.present(va, n) else None
    if data is None:
        raise BadFrame(va)
    return data


def _pwrite(p, va, data):
    if va >= _KERNBASE:
        ok = p.kernel.m.write_virt(va, data)
    else:
        ok = p.vm is not None and p.vm.present(va, len(data))
        if ok:
            p.vm.write(va, data)
    if not ok:
        raise BadFrame(va)


def interrupt(p, value=None):
    """End p's sleep in a system call (p.blocked, set above): the call returns
    EINTR, or `value` (a count already transferred) with the carry clear,
    instead of being restarted.  p need not be the running process: its frame
    and the gate's return words are read through its own mappings.  A frame
    that is no longer there raises BadFrame (the caller kills p)."""
    fesp, ret = p.blocked
    p.blocked = None
    p.timed_start = None
    f = bytearray(_pread(p, fesp, 64))
    eflags = _W.unpack_from(f, EFLAGS)[0]
    if value is None:
        _W.pack_into(f, EAX, abi.EINTR)
        eflags |= abi.PSL_C
    else:
        _W.pack_into(f, EAX, value & 0xffffffff)
        eflags &= ~abi.PSL_C
    _W.pack_into(f, EFLAGS, eflags)
    if ret is None:                     # int $0x80: undo the back-up of tf_eip
        eip = _W.unpack_from(f, EIP)[0]
        _W.pack_into(f, EIP, (eip + _W.unpack_from(f, ERR)[0]) & 0xffffffff)
    else:                               # the gate: [eflags][eip] under tf_esp
        sp = _W.unpack(_pread(p, fesp + ESP, 4))[0]
        ef = _W.unpack(_pread(p, sp, 4))[0]
        ef = (ef | abi.PSL_C) if value is None else (ef & ~abi.PSL_C)
        _pwrite(p, sp, struct.pack("<II", ef, ret))
    _pwrite(p, fesp + 32, bytes(f[32:64]))
