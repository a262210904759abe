"""The trap frame: NetBSD/i386's struct trapframe (abi §6) with named fields.

One definition for everything that reads or writes a frame: the system-call
path (trap.py), signal delivery and the context calls (signals.py), the
kernelware emulation (kernelware.py), the kernel (kernel.py) and the tracer
and profiler, which parse raw bytes they read without touching the guest.
The byte offsets are kconst.TF_* (the same numbers locore.S uses).

    tf = TrapFrame.parse(raw)          # 64 or 72 bytes
    tf.eax, tf.trapno, tf.esp ...
    tf.short                           # a frame from CPL 0 without esp/ss
    tf.gate                            # built by the kernelware call gate
    raw = tf.pack()

A trap taken at CPL 0 without a stack switch (a kernelware interrupted, or
an int $0x80 from CPL 0) pushes no esp/ss: for such a `short` frame `esp`
is the address where tf_esp would be (NetBSD's `&tf->tf_esp`), i.e. the
interrupted stack pointer, and `ss` the current %ss.
"""
import struct

from kw86.nbsd.kconst import (T_KW86_GATE, TF_CS, TF_EAX, TF_EBP, TF_EBX, TF_ECX,  # noqa: F401
                              TF_EDI, TF_EDX, TF_EFLAGS, TF_EIP, TF_ERR, TF_ES, TF_ESI, TF_ESP,
                              TF_DS, TF_FS, TF_GS, TF_SHORT_SIZE, TF_SIZE, TF_SS, TF_TRAPNO)

FIELDS = ("gs", "fs", "es", "ds", "edi", "esi", "ebp", "ebx", "edx", "ecx", "eax",
          "trapno", "err", "eip", "cs", "eflags", "esp", "ss")
assert [FIELDS.index(n) * 4 for n in ("eax", "trapno", "eip", "esp", "ss")] == \
    [TF_EAX, TF_TRAPNO, TF_EIP, TF_ESP, TF_SS] and TF_SIZE == 4 * len(FIELDS)
_FULL = struct.Struct(f"<{len(FIELDS)}I")
_SHORT = struct.Struct(f"<{len(FIELDS) - 2}I")


class TrapFrame:
    __slots__ = FIELDS + ("short",)

    def __init__(self, short=False, **fields):
        for n in FIELDS:
            setattr(self, n, 0)
        self.short = short
        for n, v in fields.items():
            setattr(self, n, v)

    @classmethod
    def parse(cls, raw, short=None, ss=0):
        """The frame in raw (at least 64 bytes).  short=None: decide as the
        CPU did (esp/ss were pushed when tf_cs has RPL 3, and the gate
        pushes them too); a short frame's esp is `at + 64`, given by the
        caller through `esp_at` semantics (read_frame)."""
        tf = cls.__new__(cls)
        vals = _SHORT.unpack_from(raw)
        for n, v in zip(FIELDS, vals):
            setattr(tf, n, v)
        if short is None:
            short = not (vals[14] & 3 or vals[11] == T_KW86_GATE)
        tf.short = short
        if not short and len(raw) >= TF_SIZE:
            tf.esp, tf.ss = struct.unpack_from("<II", raw, TF_ESP)
        else:
            tf.esp, tf.ss = 0, ss
        return tf

    def pack(self):
        """The frame's bytes: 64 for a short frame, 72 otherwise."""
        if self.short:
            return _SHORT.pack(*(getattr(self, n) & 0xffffffff for n in FIELDS[:-2]))
        return _FULL.pack(*(getattr(self, n) & 0xffffffff for n in FIELDS))

    @property
    def gate(self):
        """Built by the kernelware call gate (its return is an emulated `ret`)."""
        return self.trapno == T_KW86_GATE

    @property
    def from_kernel(self):
        """Entered from CPL 0: the gate, or a trap without a stack switch."""
        return self.trapno == T_KW86_GATE or not self.cs & 3

    def update(self, **fields):
        for n, v in fields.items():
            setattr(self, n, v)

    def copy(self, **changes):
        tf = TrapFrame.__new__(TrapFrame)
        for n in self.__slots__:
            setattr(tf, n, getattr(self, n))
        tf.update(**changes)
        return tf

    def regs(self, names):
        """{name: value} of the named fields (the context calls' gregs)."""
        return {n: getattr(self, n) for n in names if n in FIELDS}

    def __repr__(self):
        return "TrapFrame(" + " ".join(f"{n}={getattr(self, n):#x}" for n in FIELDS) + \
            (" short" if self.short else "") + ")"
