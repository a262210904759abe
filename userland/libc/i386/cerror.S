/*
 * __cerror: the common error exit of every system-call stub.  The kernel returned
 * with CF set and the errno value in %eax; store it in errno (*__errno(): the calling thread's) and return -1 (in
 * %edx:%eax, so that calls returning a 64-bit value such as lseek also see -1).
 */
	.text
	.globl	__cerror
	.hidden	__cerror
	.type	__cerror,@function
	.p2align 4
__cerror:
	pushl	%eax			/* errno is per thread: *__errno() */
	call	__errno
	popl	%ecx
	movl	%ecx, (%eax)
	movl	$-1, %eax
	movl	$-1, %edx
	ret
	.size	__cerror, .-__cerror

	.section .note.GNU-stack,"",@progbits
