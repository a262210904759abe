/*
 * ld.kw86.so's entry: ld_main(sp) returns the program's entry, to which we jump with
 * the initial stack and %ebx (ps_strings) as the kernel left them and %edx = 0.
 */
	.text
	.globl	_start
	.hidden	_start
	.type	_start,@function
_start:
	movl	%esp, %esi
	pushl	%ebx			/* ps_strings */
	pushl	%esi			/* u32 *sp: argc */
	call	ld_main
	addl	$4, %esp
	popl	%ebx
	movl	%esi, %esp
	xorl	%edx, %edx
	xorl	%ecx, %ecx
	xorl	%esi, %esi
	jmp	*%eax
	.size	_start, .-_start

	.section .note.GNU-stack,"",@progbits
