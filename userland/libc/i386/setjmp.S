/*
 * setjmp/longjmp for i386 (cdecl: ebx, esi, edi, ebp and esp are callee-saved).
 * jmp_buf words: [0] eip [1] ebx [2] esp [3] ebp [4] esi [5] edi [6] mask saved
 * [7..10] signal mask.  setjmp and sigsetjmp(env, nonzero) also save the signal mask
 * with sigprocmask (as BSD setjmp does); _setjmp and sigsetjmp(env, 0) do not.
 */
	.text

	.globl	_setjmp
	.type	_setjmp,@function
	.p2align 4
_setjmp:
	movl	4(%esp), %eax		/* env */
	movl	0(%esp), %edx		/* return address */
	movl	%edx, 0(%eax)
	movl	%ebx, 4(%eax)
	leal	4(%esp), %edx		/* esp after our return */
	movl	%edx, 8(%eax)
	movl	%ebp, 12(%eax)
	movl	%esi, 16(%eax)
	movl	%edi, 20(%eax)
	movl	$0, 24(%eax)		/* no signal mask */
	xorl	%eax, %eax
	ret
	.size	_setjmp, .-_setjmp

	.globl	_longjmp
	.type	_longjmp,@function
	.p2align 4
_longjmp:
	movl	4(%esp), %edx		/* env */
	movl	8(%esp), %eax		/* value; 0 becomes 1 */
	testl	%eax, %eax
	jnz	1f
	incl	%eax
1:	movl	4(%edx), %ebx
	movl	8(%edx), %esp
	movl	12(%edx), %ebp
	movl	16(%edx), %esi
	movl	20(%edx), %edi
	jmp	*0(%edx)
	.size	_longjmp, .-_longjmp

/* sigsetjmp(env, savemask): save the mask first (a C call), then the registers. */
	.globl	sigsetjmp
	.type	sigsetjmp,@function
	.p2align 4
sigsetjmp:
	movl	4(%esp), %eax		/* env */
	movl	8(%esp), %ecx		/* savemask */
	testl	%ecx, %ecx
	jz	_setjmp
	jmp	setjmp
	.size	sigsetjmp, .-sigsetjmp

	.globl	setjmp
	.type	setjmp,@function
	.p2align 4
setjmp:
	movl	4(%esp), %eax		/* env */
	leal	28(%eax), %edx		/* &env[7]: the old mask goes here */
	pushl	%edx
	pushl	$0			/* set = NULL: only read the mask */
	pushl	$1			/* SIG_BLOCK */
	call	sigprocmask
	addl	$12, %esp
	movl	4(%esp), %eax
	movl	0(%esp), %edx
	movl	%edx, 0(%eax)
	movl	%ebx, 4(%eax)
	leal	4(%esp), %edx
	movl	%edx, 8(%eax)
	movl	%ebp, 12(%eax)
	movl	%esi, 16(%eax)
	movl	%edi, 20(%eax)
	movl	$1, 24(%eax)		/* mask saved */
	xorl	%eax, %eax
	ret
	.size	setjmp, .-setjmp

/* longjmp and siglongjmp restore the mask when setjmp saved one. */
	.globl	longjmp
	.type	longjmp,@function
	.globl	siglongjmp
	.type	siglongjmp,@function
	.p2align 4
longjmp:
siglongjmp:
	movl	4(%esp), %edx
	cmpl	$0, 24(%edx)
	je	_longjmp
	pushl	$0			/* oset = NULL */
	leal	28(%edx), %eax
	pushl	%eax			/* set = &env[7] */
	pushl	$3			/* SIG_SETMASK */
	call	sigprocmask
	addl	$12, %esp
	jmp	_longjmp
	.size	longjmp, .-longjmp

	.section .note.GNU-stack,"",@progbits
