"""The FPU context of processes (issue 10 item 5): NetBSD/i386's lazy
switching, the exec control word, fork, signals and SIGFPE.

The FPU state is per LWP (proc.Lwp: fpu_save, fpu_cw): the owner below is
an LWP, and every method here takes the LWP (threads of one process each
have their own x87 state, as NetBSD's per-lwp pcb_savefpu).

Lazy switching, as NetBSD 1.5's npxdna did (NetBSD 8 and later switch
eagerly; their fpudna panics): the machine's x87 holds the state of one
process, the *owner*.  A switch to any other process sets CR0.TS, so its
first FPU (or MMX, or `wait` with CR0.MP) instruction raises #NM (vector 7,
T_DNA); the trap clears TS, saves the owner's state in the owner's `Proc`
(`Machine.fpu_image()`, which unlike FNSAVE leaves the FPU as it is), loads
this process's (`set_fpu_image`; a process that has not used the FPU since
exec gets FNINIT's state with its exec control word) and returns: locore's
iret re-runs the instruction.  A switch back to the owner clears TS, so a
process that alone uses the FPU takes one #NM per exec.  A process that
never uses it never takes #NM.  A kernelware at CPL 0 takes the same path
(its #NM is a trap of its own, as a user process's is), and so does a #NM
after a hardware task switch (the #DF task's round trip sets TS): the owner
is then the process itself and the trap only clears TS.

Costs: the #NM itself (exception, locore, hypercall, iret) is executed by
the machine and costs what its instructions cost; the state moves the
Python side does are charged through the kernel-cost table at the
profile's x87_env class (FNSAVE/FRSTOR; profiles/celeron500.toml, fldcw 8
[S4], the save/restore forms "more, not split" [E]), and a first use at
x87_ctl (FNINIT) + x87_env (FLDCW), as npxdna's fninit; fldcw.

exec: the control word is __NetBSD_NPXCW__ 0x037f (= __INITIAL_NPXCW__)
for a program whose NetBSD note says 6.99.26 or later, else
__NetBSD_COMPAT_NPXCW__ 0x127f (53-bit precision), as NetBSD's setregs
does with ep_osversion >= 699002600 (x86 fenv.h / npx.h, i386 machdep.c).

Signals (trampoline version 2): the ucontext's mcontext __fpregs (644
bytes at ucontext offset 112: a 512-byte union, then __fp_pad[33]) gets
the state in FXSAVE layout with _UC_FPU | _UC_FXSAVE (0x20), as NetBSD's
i386 cpu_getmcontext always does (it converts when the CPU has no FXSR);
the handler then runs with the registers emptied and the default control
word (NetBSD's buildcontext -> fpu_sigreset); setcontext with _UC_FPU loads
the state back (FXSAVE layout with _UC_FXSAVE, else the 108-byte save87
one), so a handler that uses the FPU returns to unchanged state.  The 1.5
sigcontext ABI (struct sigcontext, 96 bytes) has no FPU fields: on that
path the FPU is neither saved nor reset.

SIGFPE (#MF, T_ARITHTRAP): the bits are status & ~(control & 0x3f) (the
stack-fault bit 0x40 kept), the status exception flags are cleared (fnclex)
and si_code comes from NetBSD's fpetable rule: invalid -> FPE_FLTINV
(FPE_FLTSUB with a stack fault), else zero divide -> FPE_FLTDIV, denormal
-> FPE_FLTUND, overflow -> FPE_FLTOVF, underflow -> FPE_FLTUND, precision
-> FPE_FLTRES, a stack fault alone -> FPE_FLTSUB; si_addr = the trap's
%eip (NetBSD's fputrap: the waiting instruction that took #MF).
"""
import struct

CR0_MP, CR0_EM, CR0_TS = 0x2, 0x4, 0x8

NPXCW_NETBSD = 0x037F           # __NetBSD_NPXCW__ (= __INITIAL_NPXCW__)
NPXCW_COMPAT = 0x127F           # __NetBSD_COMPAT_NPXCW__: NetBSD before 6.99.26
NPXCW_VERSION = 699002600       # ep_osversion from which setregs uses the first
MXCSR_INIT, MXCSR_MASK = 0x1F80, 0xFFBF     # __INITIAL_MXCSR__, __INITIAL_MXCSR_MASK__

_UC_FPU, _UC_FXSAVE = 0x8, 0x20
FPREGS_OFF = 112                # ucontext_t: mcontext @36, __gregs[19], then __fpregs
FPREGS_SIZE = 644               # 512 (fxsave) + 33 * 4 (__fp_pad)
FNSAVE_SIZE = 108
FXSAVE_SIZE = 512

# si_code (NetBSD sys/siginfo.h)
FPE_FLTDIV, FPE_FLTOVF, FPE_FLTUND, FPE_FLTRES, FPE_FLTINV, FPE_FLTSUB = 3, 4, 5, 6, 7, 8
# status word exception bits
SW_IE, SW_DE, SW_ZE, SW_OE, SW_UE, SW_PE, SW_SF = 0x1, 0x2, 0x4, 0x8, 0x10, 0x20, 0x40
_SW_CLEX = 0x80FF               # fnclex: the six flags, SF, ES and B


def fpe_code(bits):
    """si_code of the unmasked exception bits (status & ~control, 7 bits)."""
    if bits & SW_IE:
        return FPE_FLTSUB if bits & SW_SF else FPE_FLTINV
    if bits & SW_ZE:
        return FPE_FLTDIV
    if bits & SW_DE:
        return FPE_FLTUND
    if bits & SW_OE:
        return FPE_FLTOVF
    if bits & SW_UE:
        return FPE_FLTUND
    if bits & SW_PE:
        return FPE_FLTRES
    if bits & SW_SF:
        return FPE_FLTSUB
    return 0


FPETABLE = bytes(fpe_code(i) for i in range(128))


def fresh_image(cw):
    """The 108-byte FNSAVE image of FNINIT's state with control word cw."""
    return struct.pack("<7I", 0xFFFF0000 | cw, 0xFFFF0000, 0xFFFFFFFF, 0, 0, 0, 0xFFFF0000) \
        + bytes(80)


def _tag(se, m):
    """The 2-bit tag of a non-empty register (valid 0, zero 1, special 2)."""
    e = se & 0x7FFF
    if e == 0x7FFF:
        return 2
    if e == 0:
        return 1 if m == 0 else 2
    return 0 if m >> 63 else 2                  # an unnormal is special


def fnsave_to_fxsave(img):
    """FNSAVE image (32-bit format) -> the 512-byte FXSAVE layout (abridged
    tag byte: bit i set when physical register i is not empty; MXCSR and
    its mask as NetBSD's save area keeps them on a CPU without SSE)."""
    cw, sw, tw = struct.unpack_from("<HxxHxxHxx", img, 0)
    fip, fcs, fop, fdp, fds = struct.unpack_from("<IHHIH", img, 12)
    ab = 0
    for i in range(8):
        if (tw >> (2 * i)) & 3 != 3:
            ab |= 1 << i
    out = bytearray(FXSAVE_SIZE)
    struct.pack_into("<HHBxHIHxxIHxxII", out, 0, cw, sw, ab, fop & 0x7FF, fip, fcs, fdp, fds,
                     MXCSR_INIT, MXCSR_MASK)
    for k in range(8):
        out[32 + 16 * k:42 + 16 * k] = img[28 + 10 * k:38 + 10 * k]
    return bytes(out)


def fxsave_to_fnsave(fx):
    """The 512-byte FXSAVE layout -> an FNSAVE image (tags from the contents)."""
    cw, sw, ab, fop, fip, fcs, fdp, fds = struct.unpack_from("<HHBxHIHxxIH", fx, 0)
    top = (sw >> 11) & 7
    regs = [bytes(fx[32 + 16 * k:42 + 16 * k]) for k in range(8)]
    tw = 0
    for i in range(8):                          # physical register i = ST((i - top) & 7)
        if ab >> i & 1:
            r = regs[(i - top) & 7]
            t = _tag(struct.unpack_from("<H", r, 8)[0], struct.unpack_from("<Q", r, 0)[0])
        else:
            t = 3
        tw |= t << (2 * i)
    return struct.pack("<IIIIHHII", 0xFFFF0000 | cw, 0xFFFF0000 | sw, 0xFFFF0000 | tw, fip,
                       fcs, fop & 0x7FF, fdp, 0xFFFF0000 | fds) + b"".join(regs)


class LazyFpu:
    """The kernel's FPU ownership (Kernel.fpu).  Per process: p.fpu_save (the
    FNSAVE image while p does not own the FPU; None: untouched since exec)
    and p.fpu_cw (the control word exec chose)."""

    def __init__(self, k, classes=None):
        self.k = k
        self.m = k.m
        self.owner = None
        env, ctl = 8, 2
        if classes is not None:
            from kw86.isa import opcodes
            names = list(opcodes.CLASSES)
            env = classes[names.index("x87_env")]
            ctl = classes[names.index("x87_ctl")]
        self.cost_save = self.cost_restore = env        # fnsave / frstor
        self.cost_init = ctl + env                      # fninit; fldcw
        self.n_dna = 0                  # #NM taken (T_DNA)
        self.n_loads = 0                # of them, those that loaded a state

    # -- CR0.TS --------------------------------------------------------------
    def _ts(self, on):
        cr0 = self.m.get_cr(0)
        new = (cr0 | CR0_TS) if on else (cr0 & ~CR0_TS)
        if new != cr0:
            self.m.set_cr(0, new)

    def switch(self, q):
        """q is about to run: TS unless its state is the one in the FPU."""
        self._ts(self.owner is not q)

    # -- #NM -----------------------------------------------------------------
    def dna(self, p):
        """T_DNA for the running process p; False when it is not the lazy
        switch's (CR0.EM, or TS clear: the caller sends SIGILL)."""
        m = self.m
        cr0 = m.get_cr(0)
        if cr0 & CR0_EM or not cr0 & CR0_TS:
            return False
        m.set_cr(0, cr0 & ~CR0_TS)                      # clts
        self.n_dna += 1
        if self.owner is p:
            return True                 # a task switch set TS (the #DF task)
        cost = 0
        if self.owner is not None:
            self.owner.fpu_save = m.fpu_image()         # fnsave
            cost += self.cost_save
        if p.fpu_save is None:
            m.set_fpu_image(fresh_image(p.fpu_cw))      # fninit; fldcw
            cost += self.cost_init
        else:
            m.set_fpu_image(p.fpu_save)                 # frstor
            p.fpu_save = None
            cost += self.cost_restore
        self.owner = p
        self.n_loads += 1
        self.k.sys.kcharge(cost)
        return True

    # -- process life --------------------------------------------------------
    def exec(self, p, img):
        """setregs: a fresh state with the control word for the program's
        NetBSD version."""
        ver = getattr(img, "netbsd_version", 0)
        p.fpu_cw = NPXCW_NETBSD if ver >= NPXCW_VERSION else NPXCW_COMPAT
        p.fpu_save = None
        if self.owner is p:
            self.owner = None
        cur = self.k.curlwp
        if cur is p or cur is None:
            self._ts(True)

    def fork(self, p, c):
        """The child starts with a copy of the parent's state."""
        c.fpu_cw = p.fpu_cw
        if self.owner is p:
            c.fpu_save = self.m.fpu_image()
            self.k.sys.kcharge(self.cost_save)
        else:
            c.fpu_save = p.fpu_save

    def exit(self, p):
        if self.owner is p:
            self.owner = None
            self._ts(True)

    # -- state of a process (running or not) ---------------------------------
    def image(self, p):
        """p's state as an FNSAVE image."""
        if self.owner is p:
            return self.m.fpu_image()
        return p.fpu_save if p.fpu_save is not None else fresh_image(p.fpu_cw)

    def set_image(self, p, img):
        if self.owner is p:
            self.m.set_fpu_image(img)
        else:
            p.fpu_save = bytes(img)

    # -- signals -------------------------------------------------------------
    def save_ucontext(self, p, uc):
        """uc (a packed ucontext_t) with p's FPU state in __fpregs (FXSAVE
        layout, __fp_pad zero) and _UC_FPU | _UC_FXSAVE."""
        b = bytearray(uc)
        b[FPREGS_OFF:FPREGS_OFF + FPREGS_SIZE] = fnsave_to_fxsave(self.image(p)) + \
            bytes(FPREGS_SIZE - FXSAVE_SIZE)
        flags = struct.unpack_from("<I", b, 0)[0] | _UC_FPU | _UC_FXSAVE
        struct.pack_into("<I", b, 0, flags)
        return bytes(b)

    def sigreset(self, p):
        """The handler's FPU: registers empty, the default control word, the
        rest as it was (NetBSD's fpu_sigreset)."""
        img = bytearray(self.image(p))
        struct.pack_into("<H", img, 0, p.fpu_cw)
        struct.pack_into("<H", img, 8, 0xFFFF)
        self.set_image(p, bytes(img))

    def load_ucontext(self, p, raw, flags):
        """setcontext with _UC_FPU: the FXSAVE layout with _UC_FXSAVE, else
        the 108-byte save87 one."""
        fp = raw[FPREGS_OFF:FPREGS_OFF + FPREGS_SIZE]
        if flags & _UC_FXSAVE:
            img = fxsave_to_fnsave(fp)
        else:
            img = bytes(fp[:FNSAVE_SIZE])
        self.set_image(p, img)

    # -- #MF -----------------------------------------------------------------
    def arithtrap(self, p):
        """fputrap: si_code of the pending x87 exception of the running
        process p (its state is in the FPU: #MF comes from a waiting
        instruction, which takes #NM first while TS is set); fnclex."""
        m = self.m
        if self.owner is not p:
            return 0
        img = bytearray(m.fpu_image())
        cw, sw = struct.unpack_from("<H", img, 0)[0], struct.unpack_from("<H", img, 4)[0]
        bits = sw & ~(cw & 0x3F)
        struct.pack_into("<H", img, 4, sw & ~_SW_CLEX)
        m.set_fpu_image(bytes(img))
        return FPETABLE[bits & 0x7F]
