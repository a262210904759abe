/*
 * kw86 crt0 for NetBSD/i386: the program entry point and the NetBSD note.
 *
 * At _start the kernel (NetBSD 10's setregs, abi doc section 5) has left
 *     (%esp)    argc
 *     4(%esp)   argv[0] ... argv[argc-1], NULL, envp[0] ... NULL, auxv pairs, AT_NULL
 *     %ebx      the address of struct ps_strings
 * and every other general register zero.  We hand the stack pointer and ps_strings
 * to __kw86_start (crt/start.c), which never returns.
 */

	.text
	.globl	_start
	.type	_start,@function
	.p2align 4
_start:
	xorl	%ebp, %ebp		/* the outermost frame, for backtraces */
	movl	%esp, %eax		/* -> argc */
	andl	$-16, %esp		/* SysV i386: 16-byte aligned at a call */
	subl	$8, %esp
	pushl	%ebx			/* struct ps_strings * */
	pushl	%eax			/* long *sp */
	call	__kw86_start
	hlt				/* not reached: __kw86_start calls exit() */
	.size	_start, .-_start

/*
 * The NetBSD identification note.  The kernel scans PT_NOTE program headers for
 * namesz 7, descsz 4, type 1 (ELF_NOTE_TYPE_NETBSD_TAG), name "NetBSD\0" padded to a
 * multiple of 4, desc = __NetBSD_Version__ of the ABI the program was built for:
 * 10.0 = 1000000000.  An allocated SHT_NOTE section makes lld emit a PT_NOTE.
 */
	.section .note.netbsd.ident,"a",@note
	.p2align 2
	.long	7			/* namesz */
	.long	4			/* descsz */
	.long	1			/* type: NetBSD tag */
	.ascii	"NetBSD\0\0"		/* name, padded to 8 */
	.long	1000000000		/* NetBSD 10.0 */

	.section .note.GNU-stack,"",@progbits
