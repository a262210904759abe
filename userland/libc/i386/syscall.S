/*
 * int syscall(int number, ...): make system call `number` with the remaining
 * arguments.  The number is taken off the stack so that the kernel sees the
 * arguments where a direct stub would have left them (user %esp+4 for int $0x80,
 * %esp+8 at the gate), then the caller's frame is rebuilt as it was.
 */
	.text
	.globl	syscall
	.type	syscall,@function
	.p2align 4
syscall:
	popl	%ecx			/* return address */
	popl	%eax			/* system-call number */
	pushl	%ecx			/* [ret][arg1]... as a direct stub sees it */
	movl	%cs, %edx
	testb	$3, %dl
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
2:	popl	%ecx			/* rebuild [ret][number slot][arg1]...: */
	pushl	%ecx			/* push/pop leave CF alone */
	pushl	%ecx
	jc	__cerror
	ret
	.size	syscall, .-syscall

	.section .note.GNU-stack,"",@progbits
