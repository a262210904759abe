"""The numbers locore.S and the Python kernel share, defined once.

build_locore.py turns every upper-case integer below into a `#define` of a
generated header (kw86_const.h) that locore.S includes, so the hypercall
numbers, the trap codes, the trap-frame offsets and the selectors locore
uses are these; the Python side imports them from here (abi.py re-exports
the T_* codes).  This file imports nothing: setup.py's build loads it by
path, before kw86 is importable.
"""

# -- the hypercall: `outl %eax, %dx` to HCALL_PORT, %eax = HC_*, %esp = the frame
HCALL_PORT = 0x4b57
HC_TRAP = 1                 # exception: tf_trapno holds the T_* code
HC_SYSCALL = 2              # int $0x80 (and 1.x's lcall $7,$0)
HC_INTR = 3                 # hardware interrupt: tf_trapno = the vector
HC_GATE = 4                 # the kernelware function-call gate
HC_STRAY = 5                # a vector nobody handles
HC_IDLE = 6                 # nothing to run
# the register result protocol: %ebx = KW86_FAST after the hypercall means
# "the call succeeded, its result is in %eax/%edx" (kw86_hcall_return)
KW86_FAST = 0x4b57fa57

# -- NetBSD/i386 trap codes (sys/arch/i386/include/trap.h; abi §6)
T_PRIVINFLT = 0
T_BPTFLT = 1
T_ARITHTRAP = 2
T_ASTFLT = 3
T_PROTFLT = 4
T_TRCTRAP = 5
T_PAGEFLT = 6
T_ALIGNFLT = 7
T_DIVIDE = 8
T_NMI = 9
T_OFLOW = 10
T_BOUND = 11
T_DNA = 12
T_DOUBLEFLT = 13
T_FPOPFLT = 14
T_TSSFLT = 15
T_SEGNPFLT = 16
T_STKFLT = 17
T_MCA = 18
T_XMM = 19
T_RESERVED = 20
T_KW86_GATE = 0x4b          # kw86: a frame built by the kernelware call gate

# -- the trap frame (struct trapframe, sys/arch/i386/include/frame.h; abi §6):
# byte offsets of its words; TF_SIZE with tf_esp/tf_ss (an inter-privilege
# frame), TF_SHORT_SIZE without (a trap from CPL 0: no stack switch)
TF_GS = 0
TF_FS = 4
TF_ES = 8
TF_DS = 12
TF_EDI = 16
TF_ESI = 20
TF_EBP = 24
TF_EBX = 28
TF_EDX = 32
TF_ECX = 36
TF_EAX = 40
TF_TRAPNO = 44
TF_ERR = 48
TF_EIP = 52
TF_CS = 56
TF_EFLAGS = 60
TF_ESP = 64
TF_SS = 68
TF_SIZE = 72
TF_SHORT_SIZE = 64

# -- selectors locore loads (abi.py builds the same from the GDT indices)
KCODE_SEL = 0x08            # GCODE_SEL << 3
KDATA_SEL = 0x10            # GDATA_SEL << 3
KCPU_SEL = 0x30             # GCPU_SEL << 3: the kernel's %fs

TSS_ESP0 = 4                # offset of esp0 in the i386 TSS

# -- the address-space split (NetBSD/i386 vmparam.h)
KERNBASE = 0xc0000000
USRSTACK = 0xbfc00000

# -- the kernel API a kernelware calls directly (kapi.py; `kw86 ksyms`): each
# function is a locore stub `movl $KAPI_x, %eax; jmp kapi_entry`, which
# builds a gate frame and makes hypercall HC_KAPI with %ecx = KAPI_x and
# %esi = the caller's %esp (its return address; the cdecl arguments above)
HC_KAPI = 7
KAPI_PRINTF = 0
KAPI_PANIC = 1
KAPI_GETVNODE = 2
KAPI_FD_GETFILE = 3
KAPI_BREAD = 4
KAPI_GETBLK = 5
KAPI_BWRITE = 6
KAPI_BDWRITE = 7
KAPI_BRELSE = 8
KAPI_VN_RDWR = 9
KAPI_COUNT = 10

# -- the double-fault task (issue 8 section 5; boot.py, trap.dblfault): IDT[8]
# is a task gate to the #DF TSS (GDT slot GTRAPTSS_SEL, NetBSD/i386's own),
# whose stub makes hypercall HC_DBLFAULT; a #DF the kernel cannot resolve
# resumes the interrupted task at Xdfsig, which makes HC_DFSIG
HC_DBLFAULT = 16
HC_DFSIG = 17
DFTSS_SEL = 0x90            # GTRAPTSS_SEL (18) << 3

# -- the sysenter/sysexit path (issue 9 section 4, beyond the paper; locore's
# Xsysenter, boot.py sets the MSRs, userland/build.py's sysenter stubs).  SDM
# Vol. 2B SYSENTER/SYSEXIT: CS = SYSENTER_CS, SS = SYSENTER_CS + 8 on entry;
# CS = (SYSENTER_CS + 16) | 3, SS = (SYSENTER_CS + 24) | 3, EIP = EDX, ESP =
# ECX on exit.  With SYSENTER_CS = KCODE_SEL those are NetBSD's GUCODE/GUDATA.
MSR_SYSENTER_CS = 0x174
MSR_SYSENTER_ESP = 0x175
MSR_SYSENTER_EIP = 0x176
SYSEXIT_UCODE_SEL = 0x1b    # (KCODE_SEL + 16) | 3 = GUCODE_SEL << 3 | 3
SYSEXIT_UDATA_SEL = 0x23    # (KCODE_SEL + 24) | 3 = GUDATA_SEL << 3 | 3
# the user stub `movl %esp,%ecx; movl $ret,%edx; sysenter` (2 + 5 + 2 bytes)
# ends at ret = %edx: a restarted call resumes at ret - SYSENTER_STUB_LEN
SYSENTER_STUB_LEN = 9
