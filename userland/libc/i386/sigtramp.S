/*
 * The signal trampoline, version 2 (siginfo), passed to __sigaction_sigtramp.
 *
 * NetBSD 10 delivers a signal by building struct sigframe_siginfo on the stack
 *     0: return address = this trampoline, 4: signo, 8: siginfo_t *, 12: ucontext_t *,
 *     16: siginfo_t (128 bytes), 144: ucontext_t
 * and jumping to the handler.  When the handler returns here, %esp points at the
 * signo slot (frame + 4), so the saved ucontext is at %esp + 140.  We resume it with
 * setcontext(ucp) (syscall 308), laid out like a call from C: a dummy return-address
 * word at (%esp), the argument at 4(%esp).  Like every stub, the trampoline traps at
 * CPL 3 and calls the gate at CPL 0 (a kernelware takes its signals in kernel mode).
 * setcontext does not return; if it fails the process cannot continue without its
 * context, so it exits with status 1.
 */
	.text
	.globl	__sigtramp_siginfo_2
	.type	__sigtramp_siginfo_2,@function
	.p2align 4
__sigtramp_siginfo_2:
	leal	140(%esp), %eax		/* ucontext_t * */
	movl	%eax, 4(%esp)		/* the argument; (%esp) is the dummy return slot */
	movl	$308, %eax		/* SYS_setcontext */
	movl	%cs, %ecx
	testb	$3, %cl
	jz	1f
	int	$0x80
	jmp	2f
1:
#ifdef __PIC__			/* a PIE's libc: the gate's address relative to the pc */
	call	5f
5:	popl	%ecx
	call	*(__kw86_syscall_gate-5b)(%ecx)
#else
	call	*__kw86_syscall_gate
#endif
2:	movl	$1, 4(%esp)		/* setcontext failed: exit(1) */
	movl	$1, %eax		/* SYS_exit */
	movl	%cs, %ecx
	testb	$3, %cl
	jz	3f
	int	$0x80
	hlt
3:
#ifdef __PIC__			/* a PIE's libc: the gate's address relative to the pc */
	call	5f
5:	popl	%ecx
	call	*(__kw86_syscall_gate-5b)(%ecx)
#else
	call	*__kw86_syscall_gate
#endif
	hlt
	.size	__sigtramp_siginfo_2, .-__sigtramp_siginfo_2

	.section .note.GNU-stack,"",@progbits
