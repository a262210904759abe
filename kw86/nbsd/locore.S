/*
 * kw86 locore: the NetBSD/i386 personality's entry and exit code.
 *
 * Real i386 code, linked at KERNBASE and run by the emulated CPU.  Every
 * way into the kernel (exception, interrupt, int $0x80, the kernelware
 * call gate) builds a NetBSD trap frame (sys/arch/i386/include/frame.h,
 * netbsd-i386-abi.md section 6):
 *
 *	tf_gs 0, tf_fs 4, tf_es 8, tf_ds 12, tf_edi 16, tf_esi 20, tf_ebp 24,
 *	tf_ebx 28, tf_edx 32, tf_ecx 36, tf_eax 40, tf_trapno 44, tf_err 48,
 *	tf_eip 52, tf_cs 56, tf_eflags 60, tf_esp 64, tf_ss 68
 *
 * loads the kernel's data segments and enters the Python kernel with a
 * hypercall: `outl %eax, %dx` to HCALL_PORT with the hypercall number
 * in %eax and %esp pointing at the frame.  There is exactly one hypercall
 * instruction (kw86_hcall), so every process parked in the kernel waits at
 * the same address and a switch needs no %eip change.  I/O to that port needs CPL <=
 * IOPL; the kernel runs user code with IOPL 0 and the TSS I/O bitmap
 * beyond its limit, so only CPL 0 can make it.  Python may change the
 * frame (results, signals) or switch to another process by loading CR3,
 * TSS.esp0 and %esp (every process sleeps parked at a hypercall, with its
 * frame on its own kernel stack); execution then continues after the
 * `outl` and leaves through trapret (INTRFASTEXIT) or gate_exit.
 *
 * Assembled by kw86/nbsd/build_locore.py (zig cc, x86-freestanding, i686).
 */

/*
 * Every number shared with the Python kernel (HC_* hypercalls, T_* trap
 * codes, TF_* frame offsets, KCODE_SEL/KDATA_SEL/KCPU_SEL, TSS_ESP0,
 * KW86_FAST, KERNBASE/USRSTACK) comes from kw86/nbsd/kconst.py through this
 * header, which build_locore.py generates.
 */
#include "kw86_const.h"

/*
 * The register result protocol (the system-call fast path).  Before the
 * hypercall %ebx is cleared; the syscall entries also load %ecx = tf_eax
 * (the call number; 0 for an int $0x80 from CPL 0, whose frame has no
 * tf_esp) and %esi = tf_esp (the user stack), so Python needs no frame
 * read for a plain call.  When
 * Python returns with %ebx = KW86_FAST the call succeeded and its result
 * is in %eax/%edx: fast_return restores the other registers from the frame
 * and leaves with the carry clear.  With any other %ebx the frame is
 * authoritative (errors, restarts, signals, switches), as before.
 */

	.text
	.code32

/* Save the rest of the frame (the CPU, or the stub, pushed eip..err). */
.macro INTRENTRY
	pushl	%eax
	pushl	%ecx
	pushl	%edx
	pushl	%ebx
	pushl	%ebp
	pushl	%esi
	pushl	%edi
	pushl	%ds
	pushl	%es
	pushl	%fs
	pushl	%gs
	movw	$KDATA_SEL, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %gs
	movw	$KCPU_SEL, %ax
	movw	%ax, %fs
	cld
.endm

/*
 * The gate's entry saves the same frame without loading segments: a
 * kernelware already runs on the kernel's data segments (ds/es/ss KDATA,
 * fs/gs its own TLS selectors), as a function-call path into the kernel
 * would.  The slow exit (gate_exit) restores them from the frame anyway
 * (after a switch they belong to another process).
 */
.macro GATEENTRY
	pushl	%eax
	pushl	%ecx
	pushl	%edx
	pushl	%ebx
	pushl	%ebp
	pushl	%esi
	pushl	%edi
	pushl	%ds
	pushl	%es
	pushl	%fs
	pushl	%gs
	cld
.endm

.macro HYPERCALL n
	movl	$\n, %eax
	jmp	kw86_hcall
.endm

/* Exceptions without an error code push a zero in its place. */
.macro TRAP_NOERR name, code
	.p2align 4
	.globl	\name
\name:
	pushl	$0
	pushl	$\code
	jmp	alltraps
.endm

.macro TRAP_ERR name, code
	.p2align 4
	.globl	\name
\name:
	pushl	$\code
	jmp	alltraps
.endm

	.globl	kw86_locore_start
kw86_locore_start:

TRAP_NOERR Xtrap00, T_DIVIDE
TRAP_NOERR Xtrap01, T_TRCTRAP
TRAP_NOERR Xtrap02, T_NMI
TRAP_NOERR Xtrap03, T_BPTFLT
TRAP_NOERR Xtrap04, T_OFLOW
TRAP_NOERR Xtrap05, T_BOUND
TRAP_NOERR Xtrap06, T_PRIVINFLT
TRAP_NOERR Xtrap07, T_DNA
TRAP_ERR   Xtrap08, T_DOUBLEFLT
TRAP_NOERR Xtrap09, T_FPOPFLT
TRAP_ERR   Xtrap0a, T_TSSFLT
TRAP_ERR   Xtrap0b, T_SEGNPFLT
TRAP_ERR   Xtrap0c, T_STKFLT
TRAP_ERR   Xtrap0d, T_PROTFLT
TRAP_ERR   Xtrap0e, T_PAGEFLT
TRAP_NOERR Xtrap0f, T_RESERVED
TRAP_NOERR Xtrap10, T_ARITHTRAP
TRAP_ERR   Xtrap11, T_ALIGNFLT
TRAP_NOERR Xtrap12, T_MCA
TRAP_NOERR Xtrap13, T_XMM
/* 20..31 are reserved by Intel */
TRAP_NOERR Xtrap14, T_RESERVED
TRAP_NOERR Xtrap15, T_RESERVED
TRAP_NOERR Xtrap16, T_RESERVED
TRAP_NOERR Xtrap17, T_RESERVED
TRAP_NOERR Xtrap18, T_RESERVED
TRAP_NOERR Xtrap19, T_RESERVED
TRAP_NOERR Xtrap1a, T_RESERVED
TRAP_NOERR Xtrap1b, T_RESERVED
TRAP_NOERR Xtrap1c, T_RESERVED
TRAP_NOERR Xtrap1d, T_RESERVED
TRAP_NOERR Xtrap1e, T_RESERVED
TRAP_NOERR Xtrap1f, T_RESERVED

	.p2align 4
alltraps:
	INTRENTRY
	HYPERCALL HC_TRAP

/*
 * The hypercall.  After it, a frame built by the call gate leaves through
 * gate_exit, every other one through trapret.
 */
	.p2align 4
	.globl	kw86_hcall
kw86_hcall:
	xorl	%ebx, %ebx
	movw	$HCALL_PORT, %dx
	outl	%eax, %dx
	.globl	kw86_hcall_return
kw86_hcall_return:
	cmpl	$KW86_FAST, %ebx
	jne	1f
	/*
	 * The register result protocol's exit (see KW86_FAST): the call
	 * succeeded, its result is in %eax/%edx; restore everything else
	 * from the frame with the carry clear and leave (int $0x80: iret; the
	 * gate: fast_gate).
	 */
	cmpl	$T_KW86_GATE, TF_TRAPNO(%esp)
	je	fast_gate
	andl	$~1, TF_EFLAGS(%esp)		/* tf_eflags: PSL_C clear */
	popl	%gs
	popl	%fs
	popl	%es
	popl	%ds
	popl	%edi
	popl	%esi
	popl	%ebp
	popl	%ebx
	movl	4(%esp), %ecx		/* tf_ecx; eax and edx hold the result */
	addl	$20, %esp		/* edx ecx eax trapno err */
	iret
1:	cmpl	$T_KW86_GATE, TF_TRAPNO(%esp)
	je	gate_exit
	/* FALLTHROUGH */

/* INTRFASTEXIT: restore the frame and return from the trap. */
	.globl	trapret
trapret:
	popl	%gs
	popl	%fs
	popl	%es
	popl	%ds
	popl	%edi
	popl	%esi
	popl	%ebp
	popl	%ebx
	popl	%edx
	popl	%ecx
	popl	%eax
	addl	$8, %esp		/* trapno, err */
	iret

/*
 * int $0x80 (a DPL-3 gate).  As NetBSD's IDTVEC(syscall): the restart
 * length 2 becomes tf_err, T_ASTFLT tf_trapno.  Python reads the number
 * from tf_eax and the arguments from tf_esp + 4 with checked copies,
 * writes eax/edx and PSL_C into the frame, and on ERESTART subtracts
 * tf_err from tf_eip.
 */
	.p2align 4
	.globl	Xsyscall
Xsyscall:
	pushl	$2
	pushl	$T_ASTFLT
	INTRENTRY
	movl	TF_EAX(%esp), %ecx		/* tf_eax: the call number */
	movl	TF_ESP(%esp), %esi		/* tf_esp: the arguments are at +4 */
	testb	$3, TF_CS(%esp)		/* tf_cs: from CPL 0 there is no tf_esp: */
	jnz	1f
	xorl	%ecx, %ecx		/* number 0, the general path */
1:	HYPERCALL HC_SYSCALL

/*
 * NetBSD 1.x's other system call entry: `lcall $7,$0` through the LDT call
 * gate LSYS5CALLS (selector 0x07, DPL 3, one word copied).  From CPL 3 the
 * CPU switched to the kernel stack and pushed ss, esp, the copied word, cs,
 * eip: the copied word's slot becomes tf_eflags (1.x's Xosyscall did the
 * same).  From CPL 0 (a kernelware) only cs and eip were pushed: eflags is
 * slid in under them, giving the short frame an int $0x80 from CPL 0 makes.
 * The restart length (tf_err) is 7, the size of the lcall.
 */
	.p2align 4
	.globl	Xosyscall
Xosyscall:
	pushfl
	pushl	%eax			/* [eax][fl][eip][cs]... */
	testb	$3, 12(%esp)		/* tf_cs */
	jz	2f
	movl	4(%esp), %eax		/* eflags into the copied word's slot */
	movl	%eax, 16(%esp)
	popl	%eax
	addl	$4, %esp		/* [eip][cs][eflags][esp][ss] */
	jmp	3f
2:	movl	4(%esp), %eax		/* eflags */
	xchgl	%eax, 12(%esp)		/* [eax][fl][eip][FL], eax = cs */
	xchgl	%eax, 8(%esp)		/* [eax][fl][CS][FL], eax = eip */
	movl	%eax, 4(%esp)		/* [eax][EIP][CS][FL] */
	popl	%eax			/* [eip][cs][eflags] */
3:	pushl	$7
	pushl	$T_ASTFLT
	INTRENTRY
	movl	TF_EAX(%esp), %ecx		/* tf_eax: the call number */
	movl	TF_ESP(%esp), %esi		/* tf_esp: the arguments are at +4 */
	testb	$3, TF_CS(%esp)		/* tf_cs: from CPL 0 there is no tf_esp: */
	jnz	1f
	xorl	%ecx, %ecx		/* number 0, the general path */
1:	HYPERCALL HC_SYSCALL

/* Hardware interrupts 0x20..0x2f (the timer is IRQ 0 = vector 0x20). */
.macro INTR name, vec
	.p2align 4
	.globl	\name
\name:
	pushl	$0
	pushl	$\vec
	jmp	allintrs
.endm

INTR Xintr20, 0x20
INTR Xintr21, 0x21
INTR Xintr22, 0x22
INTR Xintr23, 0x23
INTR Xintr24, 0x24
INTR Xintr25, 0x25
INTR Xintr26, 0x26
INTR Xintr27, 0x27
INTR Xintr28, 0x28
INTR Xintr29, 0x29
INTR Xintr2a, 0x2a
INTR Xintr2b, 0x2b
INTR Xintr2c, 0x2c
INTR Xintr2d, 0x2d
INTR Xintr2e, 0x2e
INTR Xintr2f, 0x2f

	.p2align 4
allintrs:
	INTRENTRY
	HYPERCALL HC_INTR

/*
 * Any other vector: Xstray_base + 16 * (vector - 0x30).  Each stub pushes
 * a zero error code and the vector (as a 32-bit immediate, so every stub
 * has the same size).
 */
	.p2align 4
	.globl	Xstray_base
Xstray_base:
	.set	vec, 0x30
	.rept	0xd0
	.p2align 4
	pushl	$0
	.byte	0x68			/* pushl $imm32 */
	.long	vec
	jmp	allstrays
	.set	vec, vec + 1
	.endr

	.p2align 4
allstrays:
	INTRENTRY
	HYPERCALL HC_STRAY

/*
 * The kernelware system-call gate (the address in AT_KW86_SYSCALL_GATE).
 *
 * A hybrid libc stub running at CPL 0 does `call *gate` with the number
 * in %eax; on entry (%esp) is the return address into the stub, 4(%esp)
 * the stub's own return address and the arguments start at 8(%esp), where
 * int $0x80 would find them at tf_esp + 4 after the stub's call.
 *
 * The gate never touches the user stack: with interrupts off it parks
 * the user %esp in gate_esp (one CPU: no one else runs until `sti`),
 * switches to this process's kernel stack (TSS.esp0, as Kernel Mode Linux
 * does) and builds the same frame int $0x80 would, with trapno
 * T_KW86_GATE, cs KCODE, eflags PSL_I|PSL_MBO and tf_eip 0: Python reads
 * the return address from the user stack with a checked copy (a wild
 * user %esp kills the kernelware instead of faulting in the kernel).
 *
 * Exit (gate_exit): Python has emulated `ret` and written the result
 * flags (PSL_C for an error, PSL_I) and the return address just below the
 * final user %esp, and set tf_esp to point at them; so the gate pops the
 * registers, switches to the user stack with lss, and `popfl; ret`
 * restore the flags (IF included) and return.  Calls that do not simply
 * return (execve, setcontext, sigreturn, a new fork child) are sent out
 * through trapret with a full frame instead (Python picks: it returns
 * from the hypercall with tf_trapno = T_ASTFLT to mean "leave by iret").
 */
	.p2align 4
	.globl	kw86_syscall_gate
kw86_syscall_gate:
	cli
	movl	%esp, %ss:gate_esp
	movl	%ss:kw86_tss + TSS_ESP0, %esp
	pushl	$KDATA_SEL		/* tf_ss */
	pushl	%ss:gate_esp		/* tf_esp: the user %esp at entry */
	pushl	$0x202			/* tf_eflags: PSL_I | PSL_MBO */
	pushl	$KCODE_SEL		/* tf_cs */
	pushl	$0			/* tf_eip: filled in by Python */
	pushl	$0			/* tf_err: the call's length, Python's */
	pushl	$T_KW86_GATE		/* tf_trapno */
	GATEENTRY
	movl	TF_EAX(%esp), %ecx		/* tf_eax: the call number */
	movl	TF_ESP(%esp), %esi		/* tf_esp: the return address; arguments at +8 */
	HYPERCALL HC_GATE

	.p2align 4
	.globl	gate_exit
gate_exit:
	popl	%gs
	popl	%fs
	popl	%es
	popl	%ds
	popl	%edi
	popl	%esi
	popl	%ebp
	popl	%ebx
	popl	%edx
	popl	%ecx
	popl	%eax
	addl	$8, %esp		/* trapno, err: now eip cs eflags esp ss */
	lss	12(%esp), %esp		/* the user stack: [eflags][return eip] */
	popfl
	ret

/*
 * The fast exit from the gate (KW86_FAST, see kw86_hcall_return): the
 * return address is still where the caller's `call` put it (tf_esp, the
 * entry %esp), so restore eflags (PSL_I | PSL_MBO, carry clear) from the
 * kernel stack, switch to the user stack and `ret`.
 */
	.p2align 4
	.globl	fast_gate		/* (its presence: this locore has KW86_FAST) */
fast_gate:
	movl	$0x202, TF_EFLAGS(%esp)	/* tf_eflags: PSL_I | PSL_MBO */
	addl	$16, %esp		/* gs fs es ds: untouched since GATEENTRY */
	popl	%edi
	popl	%esi
	popl	%ebp
	popl	%ebx
	movl	4(%esp), %ecx
	addl	$20, %esp		/* now eip cs eflags esp ss */
	pushl	8(%esp)			/* tf_eflags */
	popfl
	lss	12(%esp), %esp		/* the user stack at entry: [return eip] */
	ret

/*
 * The kernelware preemption hook (the kwhook module, kw86/nbsd/module.py).
 * Loading it overwrites the IDT entries of the hardware interrupts
 * (0x20..0x2f) and of int $0x80 with gates to these stubs, keeping the
 * originals' offsets in kw86_kwhook_orig[slot] (vector - 0x20; 16 for 0x80); unloading writes the
 * original entries back.  At CPL 0 the CPU switched no stack, so the
 * interrupted %esp is the stub's %esp + 12 (eip, cs, eflags pushed): the
 * paper's test is "interrupted at CPL 0, esp below USRSTACK (a user stack:
 * a kernelware), eip below KERNBASE (not kernel code)".  If it holds, the
 * stub marks the interrupt (kw86_kwhook_ast = the vector, an AST the
 * kernel reads and clears at the clock tick, where it then preempts the
 * kernelware as it preempts a user process), and in every case it jumps
 * to the original handler.  From user mode it costs three instructions
 * (testb, jnz, jmp): the paper's Fig. 4 measures this on a user getpid.
 */
.macro KWHOOK vec, slot
	.p2align 4
	.globl	Xkwhook\vec
Xkwhook\vec:
	testb	$3, 4(%esp)			/* the interrupted %cs */
	jnz	1f				/* user mode: nothing to test */
	cmpl	$KERNBASE, (%esp)		/* the interrupted %eip */
	jae	1f
	cmpl	$(USRSTACK - 12), %esp		/* the interrupted %esp = %esp + 12 */
	jae	1f
	movl	$\vec, %ss:kw86_kwhook_ast	/* the mark: this vector */
1:	jmp	*%ss:kw86_kwhook_orig + 4 * \slot
.endm

KWHOOK 0x20, 0
KWHOOK 0x21, 1
KWHOOK 0x22, 2
KWHOOK 0x23, 3
KWHOOK 0x24, 4
KWHOOK 0x25, 5
KWHOOK 0x26, 6
KWHOOK 0x27, 7
KWHOOK 0x28, 8
KWHOOK 0x29, 9
KWHOOK 0x2a, 10
KWHOOK 0x2b, 11
KWHOOK 0x2c, 12
KWHOOK 0x2d, 13
KWHOOK 0x2e, 14
KWHOOK 0x2f, 15
KWHOOK 0x80, 16

/*
 * ---- The double-fault task (issue 8 section 5; boot.py, trap.dblfault) ----
 *
 * At CPL 0 the CPU switches no stack, so a kernelware whose fault frame
 * cannot be pushed (the faulting access is its stack: a new stack page, a
 * copy-on-write page after fork) gets a #PF while delivering the #PF: a
 * double fault.  IDT[8] is a task gate to kw86_dftss (GDT DFTSS_SEL), as
 * NetBSD/i386 and Kernel Mode Linux do: the CPU saves the interrupted
 * task's state in kw86_tss (EIP = the faulting instruction, ESP before the
 * failed push) and runs this stub on the #DF task's own stack.  Python
 * grows the stack (CR2 = the failed push) and the iret (NT = 1) returns to
 * the interrupted task, which re-executes the instruction; a stack that
 * is not the process's makes Python point kw86_tss at Xdfsig on the
 * process's kernel stack instead.  The next #DF starts after the iret.
 */
	.p2align 4
	.globl	Xdblfault
Xdblfault:
	addl	$4, %esp		/* the error code (always 0) */
	movl	$HC_DBLFAULT, %eax
	movw	$HCALL_PORT, %dx
	outl	%eax, %dx
	iret				/* back to the interrupted task */
	jmp	Xdblfault

/* The interrupted task, when its #DF was not a stack to grow: Python
 * delivers SIGSEGV (or kills the process) from here, on its kernel stack. */
	.p2align 4
	.globl	Xdfsig
Xdfsig:
	HYPERCALL HC_DFSIG
/* ---- end of the double-fault task -------------------------------------- */

/*
 * The idle loop: Python sends the CPU here (with an iret frame on the
 * idle stack) when no process can run; the Machine jumps its clock to
 * the next timer tick on `hlt`.
 */
	.p2align 4
	.globl	kw86_idle
kw86_idle:
	sti
	hlt
	jmp	kw86_idle

/*
 * ---- The kernel API (kw86/nbsd/kapi.py, `kw86 ksyms`) ----------------------
 *
 * Functions a kernelware calls directly at CPL 0, cdecl, with NetBSD's
 * names (bread, getblk, bwrite, ..., printf, panic).  Each is a stub that
 * loads its KAPI_* number and enters the kernel the way the system-call
 * gate does: interrupts off, the caller's %esp parked, this process's
 * kernel stack, a gate frame (trapno T_KW86_GATE, so the return is
 * fast_gate's `ret` straight to the caller), hypercall HC_KAPI with %ecx =
 * the function and %esi = the caller's %esp (its return address; the
 * arguments from 4(%esi)).  eax, ecx, edx are the caller's to lose (cdecl);
 * the result comes back in %eax.  The pages are supervisor-only: a call
 * from CPL 3 is a page fault (SIGSEGV).
 */
.macro KAPI name, num
	.p2align 4
	.globl	\name
\name:
	movl	$\num, %eax
	jmp	kapi_entry
.endm

/* printf also as kernel_printf: a kernelware's libc has a printf of its own */
	.p2align 4
	.globl	kernel_printf
kernel_printf:
KAPI printf, KAPI_PRINTF
KAPI panic, KAPI_PANIC
KAPI getvnode, KAPI_GETVNODE
KAPI fd_getfile, KAPI_FD_GETFILE
KAPI bread, KAPI_BREAD
KAPI getblk, KAPI_GETBLK
KAPI bwrite, KAPI_BWRITE
KAPI bdwrite, KAPI_BDWRITE
KAPI brelse, KAPI_BRELSE
KAPI vn_rdwr, KAPI_VN_RDWR

	.p2align 4
	.globl	kapi_entry
kapi_entry:
	cli
	movl	%esp, %ss:gate_esp
	movl	%ss:kw86_tss + TSS_ESP0, %esp
	pushl	$KDATA_SEL		/* tf_ss */
	pushl	%ss:gate_esp		/* tf_esp: the caller's %esp (its return address) */
	pushl	$0x202			/* tf_eflags: PSL_I | PSL_MBO */
	pushl	$KCODE_SEL		/* tf_cs */
	pushl	$0			/* tf_eip */
	pushl	$0			/* tf_err */
	pushl	$T_KW86_GATE		/* tf_trapno: leave by fast_gate */
	GATEENTRY
	movl	%eax, %ecx		/* the KAPI_* number */
	movl	TF_ESP(%esp), %esi	/* the caller's %esp */
	HYPERCALL HC_KAPI
	.globl	kapi_end
kapi_end:
/* ---- end of the kernel API stubs ------------------------------------------ */

/*
 * ---- The sysenter/sysexit system-call path (issue 9 section 4) ----------
 *
 * Beyond the paper: NetBSD 1.5 never used sysenter.  boot.py sets the MSRs
 * once: SYSENTER_CS = KCODE_SEL (so SS = KDATA, and sysexit loads GUCODE
 * 0x1b / GUDATA 0x23 at RPL 3), SYSENTER_EIP = Xsysenter (a user program
 * cannot choose where it enters: wrmsr is CPL 0 only) and SYSENTER_ESP =
 * &kw86_tss.esp0, so the first instruction loads this process's kernel
 * stack from the TSS (esp0 changes at every switch; the MSR never does).
 *
 * sysenter saves nothing (SDM Vol. 2B): the user stub passes its %esp in
 * %ecx and its return point in %edx (`movl %esp,%ecx; movl $1f,%edx;
 * sysenter; 1:`, SYSENTER_STUB_LEN bytes, userland/build.py) and the number
 * in %eax; the arguments are at %esp + 4 as for int $0x80.  The entry builds
 * the frame an int $0x80 from CPL 3 builds (tf_cs/tf_ss the selectors
 * sysexit returns with, tf_eflags with PSL_I, which sysenter cleared,
 * tf_err the stub's length, so ERESTART and a sleep back tf_eip up to the
 * stub's first instruction) and makes the same HC_SYSCALL: Python cannot
 * tell the paths apart.  It has its own hypercall instruction so that its
 * fast exit is sysexit without a test on the other paths; a switch, a
 * signal, a restart, exec or a fork child leave by kw86_hcall_return's
 * iret (sched.py resumes every parked process there).
 *
 * Fast exit (KW86_FAST): the result is in %eax; %ecx = tf_esp and %edx =
 * tf_eip are consumed by sysexit, so the path returns no second value in
 * %edx (the stubs use int $0x80 for pipe and 64-bit results).  The user's
 * flags come back with popfl (carry clear; IF by the sti, whose one
 * instruction of delay covers sysexit), the segment registers from the
 * frame as trapret does.  Interrupts stay off from sysenter to sysexit.
 */
	.p2align 4
	.globl	Xsysenter
Xsysenter:
	movl	(%esp), %esp		/* TSS.esp0: this process's kernel stack */
	pushl	$SYSEXIT_UDATA_SEL	/* tf_ss */
	pushl	%ecx			/* tf_esp: the user %esp, from the stub */
	pushfl				/* tf_eflags: the user's, IF cleared */
	orl	$0x200, (%esp)		/* PSL_I: user mode runs with it */
	pushl	$SYSEXIT_UCODE_SEL	/* tf_cs */
	pushl	%edx			/* tf_eip: the stub's return point */
	pushl	$SYSENTER_STUB_LEN	/* tf_err: the restart length */
	pushl	$T_ASTFLT		/* tf_trapno: a system call */
	.globl	Xsysenter_save
Xsysenter_save:
	INTRENTRY
	.globl	Xsysenter_dispatch
Xsysenter_dispatch:
	movl	TF_EAX(%esp), %ecx	/* tf_eax: the call number */
	movl	TF_ESP(%esp), %esi	/* tf_esp: the arguments are at +4 */
	movl	$HC_SYSCALL, %eax
	xorl	%ebx, %ebx
	movw	$HCALL_PORT, %dx
	outl	%eax, %dx
	.globl	sysenter_return
sysenter_return:
	cmpl	$KW86_FAST, %ebx
	jne	kw86_hcall_return	/* the frame is authoritative: iret */
	.globl	sysenter_exit
sysenter_exit:
	andl	$~0x201, TF_EFLAGS(%esp)	/* PSL_C clear, PSL_I by the sti */
	popl	%gs
	popl	%fs
	popl	%es
	popl	%ds
	popl	%edi
	popl	%esi
	popl	%ebp
	popl	%ebx
	movl	20(%esp), %edx		/* tf_eip: sysexit's EIP */
	movl	32(%esp), %ecx		/* tf_esp: sysexit's ESP */
	pushl	28(%esp)		/* tf_eflags */
	popfl
	sti
	sysexit
	.globl	sysenter_end
sysenter_end:
/* ---- end of the sysenter path --------------------------------------------- */

	.globl	kw86_locore_end
kw86_locore_end:

	.data
/*
 * ---- The kernel API's variables (kapi.py keeps them current) --------------
 * hz; ticks (clock ticks since boot, written at every tick); time (struct
 * timeval, 1.5's 32-bit tv_sec; also as kernel_time, which no libc function
 * shadows) and boottime; curproc (the running process's struct proc,
 * rewritten at every switch).
 */
	.p2align 4
	.globl	hz, ticks, time, kernel_time, boottime, curproc
hz:	.long	0
ticks:	.long	0
time:
kernel_time:
	.long	0, 0
boottime:
	.long	0, 0
curproc:
	.long	0
/* ---- end of the kernel API's variables ------------------------------------ */
	.p2align 4
/* The one TSS: Python fills in ss0/esp0 on every switch and points the
 * GDT's TSS descriptor here; the I/O bitmap base is beyond the limit. */
	.globl	kw86_tss
kw86_tss:
	.space	104
	.globl	gate_esp
gate_esp:
	.long	0
/* kwhook: the mark its stubs set, and the original handlers they jump to */
	.globl	kw86_kwhook_ast
kw86_kwhook_ast:
	.long	0
	.globl	kw86_kwhook_orig
kw86_kwhook_orig:
	.space	4 * 17		/* slot: vector - 0x20, and 16 for 0x80 */
/* ---- the double-fault task's TSS and stack (boot.py fills the TSS) ---- */
	.p2align 7			/* 104 bytes: never across a page */
	.globl	kw86_dftss
kw86_dftss:
	.space	104
	.p2align 4
	.globl	kw86_dfstack
kw86_dfstack:
	.space	1024
	.globl	kw86_dfstack_top
kw86_dfstack_top:
/* ---- end of the double-fault task's data ------------------------------- */
	.globl	kw86_locore_data_end
kw86_locore_data_end:
