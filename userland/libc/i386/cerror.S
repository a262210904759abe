/*
 * __cerror: the common error exit of every system-call stub.  The kernel returned
 * with CF set and the errno value in %eax; store it in errno and return -1 (in
 * %edx:%eax, so that calls returning a 64-bit value such as lseek also see -1).
 */
	.text
	.globl	__cerror
	.hidden	__cerror
	.type	__cerror,@function
	.p2align 4
__cerror:
	movl	%eax, errno
	movl	$-1, %eax
	movl	$-1, %edx
	ret
	.size	__cerror, .-__cerror

	.section .note.GNU-stack,"",@progbits
