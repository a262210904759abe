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


def syscall(boot, p, fesp):
    """Run the system call whose frame is at fesp; returns the SysResult."""
    tf = boot.read_frame(fesp)
    gate = tf["trapno"] == T_KW86_GATE
    mem = p.mem
    # int $0x80: args at user esp+4 (from CPL 0 the frame has no esp and
    # read_frame gives the interrupted one); the gate: the gate's own
    # return address is at esp, so args are at esp+8.
    sp = (tf["esp"] + 4) if gate else tf["esp"]
    res = dispatch(p, tf["eax"], sp)
    err = res.error
    restart = err == abi.ERESTART or res.block is not None
    if gate:
        ret = struct.unpack("<I", mem.copyin(tf["esp"], 4))[0]    # Fault: kill it
        esp = tf["esp"] + 4
        eip = ret
        if restart:
            k = call_insn_length(mem.copyin(ret - 7, 7)) if ret >= 7 else 0
            if not k:
                raise Fault(ret)
            eip = ret - k
    if restart:
        if not gate:
            tf["eip"] = (tf["eip"] - tf["err"]) & 0xffffffff
    elif err == abi.EJUSTRETURN:
        return res
    elif err:
        tf["eax"] = err
        tf["eflags"] |= abi.PSL_C
    else:
        tf["eax"], tf["edx"] = res.eax, res.edx
        tf["eflags"] &= ~abi.PSL_C
    if gate:
        eflags = (tf["eflags"] & ~abi.PSL_IOPL) | abi.PSL_I | abi.PSL_MBO
        mem.copyout(esp - 8, struct.pack("<II", eflags, eip))
        tf["esp"] = esp - 8
    boot.write_frame(fesp, tf)
    return res
