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
from kw86.nbsd.errors import Fault
from kw86.nbsd.syscalls import dispatch


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
EAX, EDX, TRAPNO, ERR, EIP, CS, EFLAGS, ESP = 40, 32, 44, 48, 52, 56, 60, 64


def syscall(boot, p, fesp):
    """Run the system call whose frame is at fesp; returns the SysResult.

    The hot path: one read of the frame, one write of the words it changes.
    """
    m = boot.m
    raw = m.read_virt(fesp, 72)         # a short frame may end the mapping: retry
    if raw is None:
        raw = m.read_virt(fesp, 64)
        if raw is None:
            raise RuntimeError(f"trap frame at {fesp:#x} is not mapped")
        raw += b"\0" * 8
    f = bytearray(raw)
    eax, trapno, cs, uesp = (_W.unpack_from(f, EAX)[0], _W.unpack_from(f, TRAPNO)[0],
                             _W.unpack_from(f, CS)[0], _W.unpack_from(f, ESP)[0])
    gate = trapno == T_KW86_GATE
    if not gate and not cs & 3:
        uesp = fesp + 64                # from CPL 0 without a stack switch
    mem = p.mem
    # int $0x80: args at user esp+4; the gate: its own return address is at
    # esp, so the args are at esp+8.
    p.blocked = None
    res = dispatch(p, eax, uesp + 4 if gate else uesp)
    err = res.error
    if err == abi.EJUSTRETURN:
        return res
    restart = err == abi.ERESTART or res.block is not None
    eflags = _W.unpack_from(f, EFLAGS)[0]
    if restart:
        if not gate:
            eip = _W.unpack_from(f, EIP)[0]
            _W.pack_into(f, EIP, (eip - _W.unpack_from(f, ERR)[0]) & 0xffffffff)
    elif err:
        _W.pack_into(f, EAX, err)
        eflags |= abi.PSL_C
    else:
        _W.pack_into(f, EAX, res.eax)
        _W.pack_into(f, EDX, res.edx)
        eflags &= ~abi.PSL_C
    _W.pack_into(f, EFLAGS, eflags)
    if gate:
        ret = _W.unpack(mem.copyin_nocharge(uesp, 4))[0]     # Fault: the kernel kills it
        esp = uesp + 4
        eip = ret
        if res.block is not None:
            p.blocked = (fesp, ret)     # a signal may end the sleep with EINTR
        if restart:
            k = call_insn_length(mem.copyin_nocharge(ret - 7, 7)) if ret >= 7 else 0
            if not k:
                raise Fault(ret)
            eip = ret - k
        ef = (eflags & ~abi.PSL_IOPL) | abi.PSL_I | abi.PSL_MBO
        mem.copyout_nocharge(esp - 8, struct.pack("<II", ef, eip))
        m.write_virt(fesp + 64, _W.pack(esp - 8))
    elif res.block is not None:
        p.blocked = (fesp, None)
    m.write_virt(fesp + 32, bytes(f[32:64]))
    return res


def interrupt(p, value=None):
    """End p's sleep in a system call (p.blocked, set above): the call returns
    EINTR, or `value` (a count already transferred) with the carry clear,
    instead of being restarted.  p need not be the running process: its frame
    is in kernel memory, the gate's return words on its own stack."""
    fesp, ret = p.blocked
    p.blocked = None
    m = p.kernel.m
    f = bytearray(m.read_virt(fesp, 64))
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
        sp = _W.unpack(m.read_virt(fesp + ESP, 4))[0]
        ef = _W.unpack(p.vm.read(sp, 4))[0]
        ef = (ef | abi.PSL_C) if value is None else (ef & ~abi.PSL_C)
        p.vm.write(sp, struct.pack("<II", ef, ret))
    m.write_virt(fesp + 32, bytes(f[32:64]))
