"""Boot + locore on the real machine: int $0x80 through NetBSD's trap frame
into the Python dispatcher and back, CF on errors, and the hypercall's
protection from CPL 3."""
import struct

import pytest

from buildreq import need_module
from kw86.nbsd import abi
from kw86.nbsd.proc import Proc
from kw86.nbsd.syscalls import dispatch
from kw86.nbsd.system import System
from kw86.nbsd.usermem import MachineUserMem

CODE_VA = 0x08048000
DATA_VA = 0x08049000


def asm_prog():
    msg = DATA_VA
    c = b""
    c += b"\xb8\x14\x00\x00\x00\xcd\x80"              # mov $20,%eax; int $0x80  (getpid)
    c += b"\x89\xc6\x89\xd7"                          # mov %eax,%esi; mov %edx,%edi
    c += b"\x6a\x05\x68" + struct.pack("<I", msg) + b"\x6a\x01\x6a\x00"   # push 5,msg,1,0
    c += b"\xb8\x04\x00\x00\x00\xcd\x80"              # write(1, msg, 5)
    c += b"\x83\xc4\x10"                              # add $16,%esp
    c += b"\x89\xc3"                                  # mov %eax,%ebx
    c += b"\x6a\x05\x68\x00\x00\xad\xde\x6a\x01\x6a\x00"   # write(1, 0xdead0000, 5)
    c += b"\xb8\x04\x00\x00\x00\xcd\x80"
    c += b"\x19\xc9"                                  # sbb %ecx,%ecx: -1 if CF
    c += b"\x89\xc5"                                  # mov %eax,%ebp
    c += b"\x83\xc4\x10"
    c += b"\x66\xba\x57\x4b\xef"                      # mov $0x4b57,%dx; out %eax,%dx (#GP)
    c += b"\x6a\x2a\x6a\x00\xb8\x01\x00\x00\x00\xcd\x80"   # exit(42)
    c += b"\xf4"
    return c


def test_int80_roundtrip(tmp_path):
    machine = need_module("kw86.machine")
    from kw86.nbsd.boot import Boot, HCALL_PORT, HC_SYSCALL, HC_TRAP
    m = machine.Machine(mem_size=16 << 20)
    boot = Boot(m, bufcache_bytes=1 << 20)
    (tmp_path / "root").mkdir()
    system = System(str(tmp_path / "root"), phys=m, bufcache_base=boot.bufcache_base,
                    bufcache_bytes=boot.bufcache_bytes, clock=lambda: m.cycles * 2)
    system.strict = True
    p = Proc(system, pid=7, ppid=1, mem=MachineUserMem(m))
    from kw86.nbsd.file import make_pipe
    r, w = make_pipe()
    p.fdt.alloc(r)
    p.fdt.alloc(w)

    pdir = boot.new_pdir()
    boot.map_user(pdir, CODE_VA, asm_prog(), writable=False)
    boot.map_user(pdir, DATA_VA, b"hello", size=4096)
    boot.map_user(pdir, abi.USRSTACK - 4096, size=4096)
    kstack = boot.new_kstack()
    esp = boot.enter_user_frame(kstack, dict(eip=CODE_VA, esp=abi.USRSTACK - 16))
    boot.start(pdir, kstack, esp)

    seen = []

    def hcall(port, size, value):
        fesp = m.get_reg("esp")
        tf = boot.read_frame(fesp)
        seen.append((value, tf.trapno, tf.cs, tf.err))
        if value == HC_SYSCALL:
            if tf.eax == 1:                           # exit: the process layer's job
                p.exit_status = m.read_virt(tf.esp + 4, 4)
                p.final = tf
                m.stop()
                return
            res = dispatch(p, tf.eax, tf.esp)
            if res.error:
                tf.eax, tf.eflags = res.error, tf.eflags | abi.PSL_C
            else:
                tf.eax, tf.edx = res.eax, res.edx
                tf.eflags &= ~abi.PSL_C
            boot.write_frame(fesp, tf)
        elif value == HC_TRAP:
            tf.eip += 1                               # skip the faulting out (test only)
            boot.write_frame(fesp, tf)

    m.set_port_handler(HCALL_PORT, write=hcall, free=True)
    res = m.run(10_000)
    assert res.event == "stop", res
    tf = p.final
    assert (tf.esi, tf.edi) == (7, 1)             # getpid: eax=pid, edx=ppid
    assert tf.ebx == 5                                # write returned 5
    assert r.read(p, 100) == b"hello"
    assert tf.ebp == abi.EFAULT and tf.ecx == 0xffffffff   # EFAULT with CF set
    assert p.exit_status == struct.pack("<I", 42)
    # every syscall frame: user cs/ss, T_ASTFLT, restart length 2
    sc = [s for s in seen if s[0] == HC_SYSCALL]
    assert all(s[1:] == (abi.T_ASTFLT, abi.UCODE, 2) for s in sc) and len(sc) == 4
    # the user `out` to the hypercall port trapped as #GP(0) instead
    assert (HC_TRAP, abi.T_PROTFLT, abi.UCODE, 0) in seen
    assert tf.cs == abi.UCODE and tf.ss == abi.UDATA and tf.ds == abi.UDATA


def _booted(tmp_path):
    machine = need_module("kw86.machine")
    from kw86.nbsd.boot import Boot
    m = machine.Machine(mem_size=16 << 20)
    boot = Boot(m, bufcache_bytes=1 << 20)
    (tmp_path / "root").mkdir()
    system = System(str(tmp_path / "root"), phys=m, bufcache_base=boot.bufcache_base,
                    bufcache_bytes=boot.bufcache_bytes, clock=lambda: m.cycles * 2)
    system.strict = True
    p = Proc(system, pid=7, ppid=1, mem=MachineUserMem(m))
    return m, boot, p


def kernelware_prog(gate_ptr):
    call_gate = b"\xff\x15" + struct.pack("<I", gate_ptr)         # call *gate_ptr
    stubs_at = CODE_VA + 0x100
    getpid, write, exit_ = stubs_at, stubs_at + 0x10, stubs_at + 0x20

    def call(target, here):
        return b"\xe8" + struct.pack("<i", target - (here + 5))
    c = bytearray()

    def emit(b):
        c.extend(b)
    emit(call(getpid, CODE_VA + len(c)))
    emit(b"\x89\xc6\x89\xd7")                                      # esi, edi = pid, ppid
    emit(b"\x6a\x05\x68" + struct.pack("<I", DATA_VA) + b"\x6a\x01")
    emit(call(write, CODE_VA + len(c)))
    emit(b"\x83\xc4\x0c\x89\xc3")                                  # add $12; ebx = result
    emit(b"\x6a\x05\x68\x00\x00\xad\xde\x6a\x01")
    emit(call(write, CODE_VA + len(c)))
    emit(b"\x19\xc9\x89\xc5\x83\xc4\x0c")                          # sbb ecx; ebp = eax
    emit(b"\x6a\x2a")
    emit(call(exit_, CODE_VA + len(c)))
    emit(b"\xf4")
    c = c.ljust(0x100, b"\x90")
    c += (b"\xb8\x14\x00\x00\x00" + call_gate + b"\xc3").ljust(0x10, b"\x90")
    c += (b"\xb8\x04\x00\x00\x00" + call_gate + b"\xc3").ljust(0x10, b"\x90")
    c += (b"\xb8\x01\x00\x00\x00" + call_gate + b"\xc3").ljust(0x10, b"\x90")
    return bytes(c)


def test_kernelware_gate_roundtrip(tmp_path):
    from kw86.nbsd.boot import HCALL_PORT, HC_GATE
    from kw86.nbsd import trap
    from kw86.nbsd.file import make_pipe
    m, boot, p = _booted(tmp_path)
    r, w = make_pipe()
    p.fdt.alloc(r)
    p.fdt.alloc(w)
    gate = boot.lc["kw86_syscall_gate"]
    pdir = boot.new_pdir()
    boot.map_user(pdir, CODE_VA, kernelware_prog(DATA_VA + 0x100), writable=False)
    boot.map_user(pdir, DATA_VA, b"hello".ljust(0x100, b"\0") + struct.pack("<I", gate),
                  size=4096)
    boot.map_user(pdir, abi.USRSTACK - 4096, size=4096)
    kstack = boot.new_kstack()
    # a kernelware starts at CPL 0 on its user stack (Python loads the state)
    m.set_cr(3, pdir)
    m.flush_tlb()
    boot.set_esp0(kstack)
    m.load_segment("cs", abi.KCODE)
    for s in ("ss", "ds", "es"):
        m.load_segment(s, abi.KDATA)
    m.set_reg("esp", abi.USRSTACK - 64)
    m.set_reg("eip", CODE_VA)
    m.set_reg("eflags", abi.PSL_USERSET)
    seen = []

    def hcall(port, size, value):
        fesp = m.get_reg("esp")
        tf = boot.read_frame(fesp)
        seen.append((value, tf.trapno, tf.cs))
        assert fesp == kstack - 72                      # on the kernel stack, full frame
        if value == HC_GATE and tf.eax == 1:
            p.final = tf
            p.status = struct.unpack("<I", m.read_virt(tf.esp + 8, 4))[0]
            m.stop()
            return
        trap.syscall(boot, p, fesp)

    m.set_port_handler(HCALL_PORT, write=hcall, free=True)
    res = m.run(10_000)
    assert res.event == "stop", (res, seen, hex(m.get_reg("eip")))
    tf = p.final
    assert (tf.esi, tf.edi) == (7, 1)
    assert tf.ebx == 5 and r.read(p, 100) == b"hello"
    assert tf.ebp == abi.EFAULT and tf.ecx == 0xffffffff
    assert tf.eax == 1 and p.status == 42
    assert all(s == (HC_GATE, 0x4b, abi.KCODE) for s in seen)
    assert m.get_reg("cpl") == 0


def test_call_insn_length():
    from kw86.nbsd.trap import call_insn_length
    assert call_insn_length(b"\x90\xff\x15\x00\x10\x00\x00") == 6       # call *abs32
    assert call_insn_length(b"\x90\x90\x90\x90\x90\xff\xd0") == 2       # call *%eax
    assert call_insn_length(b"\x90\x90\x90\x90\xff\x55\x08") == 3       # call *8(%ebp)
    assert call_insn_length(b"\x90\x90\xe8\x00\x00\x00\x00") == 5       # call rel32
    assert call_insn_length(b"\xff\x14\x25\x00\x10\x00\x00") == 7       # call *abs32 via SIB


def test_blocked_call_restarts_both_paths(tmp_path):
    """A read of an empty pipe sleeps (SysResult.block); the frame is backed
    up so the same call runs again when the process is resumed."""
    from kw86.nbsd.boot import HCALL_PORT, HC_GATE, HC_SYSCALL
    from kw86.nbsd import trap
    from kw86.nbsd.file import make_pipe
    m, boot, p = _booted(tmp_path)
    r, w = make_pipe()
    p.fdt.alloc(r)
    p.fdt.alloc(w)
    gate = boot.lc["kw86_syscall_gate"]
    call_gate = b"\xff\x15" + struct.pack("<I", DATA_VA + 0x100)
    buf = DATA_VA + 0x200
    code = b""
    code += b"\x6a\x05\x68" + struct.pack("<I", buf) + b"\x6a\x00\x6a\x00"   # read(0, buf, 5)
    code += b"\xb8\x03\x00\x00\x00\xcd\x80\x89\xc3\x83\xc4\x10"         # int80; ebx = eax
    code += b"\x6a\x05\x68" + struct.pack("<I", buf + 8) + b"\x6a\x00"
    code += b"\xe8" + struct.pack("<i", 0x80 - (len(code) + 5))                 # call stub
    code += b"\x89\xc6\x83\xc4\x0c"                                            # esi = eax
    code += b"\xb8\x01\x00\x00\x00\xcd\x80"                                  # exit via int80
    code = code.ljust(0x80, b"\x90") + b"\xb8\x03\x00\x00\x00" + call_gate + b"\xc3"
    pdir = boot.new_pdir()
    boot.map_user(pdir, CODE_VA, code, writable=False)
    boot.map_user(pdir, DATA_VA, bytes(0x100) + struct.pack("<I", gate), size=4096)
    boot.map_user(pdir, abi.USRSTACK - 4096, size=4096)
    kstack = boot.new_kstack()
    m.set_cr(3, pdir)
    m.flush_tlb()
    boot.set_esp0(kstack)
    m.load_segment("cs", abi.KCODE)          # a kernelware: int $0x80 works at CPL 0 too
    for s in ("ss", "ds", "es"):
        m.load_segment(s, abi.KDATA)
    m.set_reg("esp", abi.USRSTACK - 64)
    m.set_reg("eip", CODE_VA)
    m.set_reg("eflags", abi.PSL_USERSET)
    log = []

    def hcall(port, size, value):
        fesp = m.get_reg("esp")
        tf = boot.read_frame(fesp)
        if tf.eax == 1 and value == HC_SYSCALL:
            p.final = tf
            m.stop()
            return
        res = trap.syscall(boot, p, fesp)
        log.append((value, res.block is not None))
        if res.block is not None:
            w.write(p, b"data%d" % len(log))         # "another process" writes; wakeup

    m.set_port_handler(HCALL_PORT, write=hcall, free=True)
    res = m.run(10_000)
    assert res.event == "stop", (res, log)
    assert log == [(HC_SYSCALL, True), (HC_SYSCALL, False), (HC_GATE, True), (HC_GATE, False)]
    assert p.final.ebx == 5 and p.final.esi == 5
    assert m.read_virt(buf, 5) == b"data1" and m.read_virt(buf + 8, 5) == b"data3"
