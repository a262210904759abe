"""Unicorn (QEMU TCG) as a second x87/MMX oracle: FRSTOR an image, execute
one instruction, FNSAVE, in Unicorn's flat 32-bit mode (tests only)."""
import struct

from unicorn import Uc, UcError, UC_ARCH_X86, UC_MODE_32
from unicorn.x86_const import UC_X86_REG_EIP, UC_X86_REG_ESP, UC_X86_REG_EFLAGS

from x87_oracle import MEM_ADDR

BASE = MEM_ADDR & ~0xFFFF           # one 64 KiB window holding code, operand and images
CODE = BASE
ST = MEM_ADDR + 0x100
OUT = MEM_ADDR + 0x200
STACK = BASE + 0xF000


class UcX87:
    def __init__(self):
        self.uc = Uc(UC_ARCH_X86, UC_MODE_32)
        self.uc.mem_map(BASE, 0x10000)

    def run(self, state, insn, mem):
        """-> (ok, state108, mem16, eflags)"""
        uc = self.uc
        code = (b"\xdd\x25" + struct.pack("<I", ST) + insn + b"\xdd\x35" + struct.pack("<I", OUT)
                + b"\x90")
        uc.mem_write(CODE, code)
        uc.mem_write(ST, state)
        uc.mem_write(MEM_ADDR, (mem + bytes(16))[:16])
        uc.mem_write(OUT, bytes(108))
        uc.reg_write(UC_X86_REG_ESP, STACK)
        uc.reg_write(UC_X86_REG_EFLAGS, 0x2)
        try:
            uc.emu_start(CODE, CODE + len(code) - 1, count=3)
        except UcError:
            self.__init__()         # a fault can leave the engine unusable: start afresh
            return False, bytes(108), bytes(16), 0
        return (True, bytes(uc.mem_read(OUT, 108)), bytes(uc.mem_read(MEM_ADDR, 16)),
                uc.reg_read(UC_X86_REG_EFLAGS))
