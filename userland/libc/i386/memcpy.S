/*
 * kw86 libc: memcpy, memmove and memset with the i386 string instructions.
 * `rep movsl` / `rep stosl` move four bytes per element, and kw86's CPU runs
 * them page by page at host memcpy speed (and the cycle model charges them
 * as a P6 would), so the buffers cp and ls move cost what they cost on the
 * paper's machine with NetBSD's own assembly string routines.
 * cdecl: arguments at 4(%esp)...; %esi/%edi/%ebx/%ebp preserved; DF clear on return.
 */
	.text

/* void *memcpy(void *dst, const void *src, size_t n) */
	.globl	memcpy
	.type	memcpy, @function
	.p2align 4
memcpy:
	pushl	%esi
	pushl	%edi
	movl	12(%esp), %edi
	movl	16(%esp), %esi
	movl	20(%esp), %ecx
.Lforward:
	movl	%edi, %eax		/* return dst */
	movl	%ecx, %edx
	shrl	$2, %ecx
	cld
	rep movsl
	movl	%edx, %ecx
	andl	$3, %ecx
	rep movsb
	popl	%edi
	popl	%esi
	ret
	.size	memcpy, . - memcpy

/* void *memmove(void *dst, const void *src, size_t n): backwards when dst
 * lies inside [src, src+n). */
	.globl	memmove
	.type	memmove, @function
	.p2align 4
memmove:
	pushl	%esi
	pushl	%edi
	movl	12(%esp), %edi
	movl	16(%esp), %esi
	movl	20(%esp), %ecx
	movl	%edi, %eax
	subl	%esi, %eax		/* dst - src (unsigned) */
	cmpl	%ecx, %eax
	jae	.Lforward		/* dst < src, or dst >= src + n */
	movl	%edi, %eax		/* return dst */
	leal	-1(%esi,%ecx), %esi	/* last byte of src */
	leal	-1(%edi,%ecx), %edi	/* last byte of dst */
	movl	%ecx, %edx
	andl	$3, %ecx
	std
	rep movsb			/* the odd tail bytes first */
	subl	$3, %esi		/* start of the last whole dword */
	subl	$3, %edi
	movl	%edx, %ecx
	shrl	$2, %ecx
	rep movsl
	cld
	popl	%edi
	popl	%esi
	ret
	.size	memmove, . - memmove

/* void *memset(void *dst, int c, size_t n) */
	.globl	memset
	.type	memset, @function
	.p2align 4
memset:
	pushl	%edi
	movl	8(%esp), %edi
	movzbl	12(%esp), %eax
	movl	16(%esp), %ecx
	imull	$0x01010101, %eax, %eax
	movl	%ecx, %edx
	shrl	$2, %ecx
	cld
	rep stosl
	movl	%edx, %ecx
	andl	$3, %ecx
	rep stosb
	movl	8(%esp), %eax
	popl	%edi
	ret
	.size	memset, . - memset

	.section .note.GNU-stack, "", @progbits
