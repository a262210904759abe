/*
 * A NetBSD 1.5 program's signals (the paper's era): __sigaction14 (291)
 * installs handlers, the kernel enters them through its own sigcode with
 * (signum, code, struct sigcontext *), and the sigcode's __sigreturn14
 * (295) restores the (possibly edited) sigcontext.  Prints one hex line
 * per check (tests/test_nbsd_netbsd10.py::test_netbsd15_signals).
 * kw86's own code; NetBSD note version 1.5 (105000000).
 */
#ifndef NOTE_VERSION
#define NOTE_VERSION		105000000	/* 1.5; -DNOTE_VERSION=1000000000: a 10 binary */
#endif
#define SYS_exit		1
#define SYS_write		4
#define SYS_getpid		20
#define SYS_kill		37
#define SYS___sigaction14	291
#define SYS___sigprocmask14	293

#define SYSCALL(num, nargs)		\
	pushl	$0;			\
	movl	$num, %eax;		\
	int	$0x80;			\
	leal	4*(nargs+1)(%esp), %esp

	.section .note.netbsd.ident, "a", @note
	.p2align 2
	.long	7, 4, 1
	.ascii	"NetBSD\0\0"
	.long	NOTE_VERSION

	.text
	.globl	_start
_start:
	movl	%ebx, ps_strings
	/* SIGUSR1 (30) -> usr1, SIGSEGV (11) -> segv */
	movl	$usr1, sa
	pushl	$0
	pushl	$sa
	pushl	$30
	SYSCALL(SYS___sigaction14, 3)
	call	hex_cf			/* 1: 0 */
	movl	$segv, sa
	pushl	$0
	pushl	$sa
	pushl	$11
	SYSCALL(SYS___sigaction14, 3)
	/* kill(getpid(), SIGUSR1) with a marker in %ebx */
	SYSCALL(SYS_getpid, 0)
	movl	$0x1234abcd, %ebx
	pushl	$30
	pushl	%eax
	SYSCALL(SYS_kill, 2)
	movl	%ebx, %eax
	call	hex			/* 2: ebx survived the handler: 1234abcd */
	movl	got_sig, %eax
	call	hex			/* 3: the handler's signum: 1e */
	movl	got_mask, %eax
	call	hex			/* 4: SIGUSR1 blocked in the handler: 20000000 */
	movl	sigcode_ok, %eax
	call	hex			/* 5: handler returns into the sigcode below ps_strings: 1 */
	/* 6: after __sigreturn14 the mask is back to empty */
	pushl	$oset
	pushl	$0
	pushl	$1
	SYSCALL(SYS___sigprocmask14, 3)
	movl	oset, %eax
	call	hex
	/* 7: a fault whose handler moves sc_eip past the faulting load */
	movl	$0, %eax
	movl	$0x77, %ecx
fault:	movl	(%eax), %ecx		/* 8b 08: two bytes */
	movl	%ecx, %eax
	call	hex			/* still 0x77 */
	movl	segv_code, %eax
	call	hex			/* 8: the code argument: T_PAGEFLT (6) */
	/* 9: 1.x's other syscall entry, lcall $7,$0 (the LDT call gate):
	   getpid() the same as through int $0x80; 10: write(1, "lcall\n", 6) */
	SYSCALL(SYS_getpid, 0)
	movl	%eax, %esi
	pushl	$0
	movl	$SYS_getpid, %eax
	lcall	$7, $0
	addl	$4, %esp
	cmpl	%esi, %eax
	sete	%al
	movzbl	%al, %eax
	call	hex
	pushl	$6
	pushl	$lcallmsg
	pushl	$1
	pushl	$0
	movl	$SYS_write, %eax
	lcall	$7, $0
	leal	16(%esp), %esp
	call	hex
	pushl	$0
	SYSCALL(SYS_exit, 1)

usr1:	/* handler(signum, code, scp): cdecl */
	movl	4(%esp), %eax
	movl	%eax, got_sig
	movl	$0, %ebx		/* clobbered here, restored by sigreturn */
	pushl	$oset
	pushl	$0
	pushl	$1
	SYSCALL(SYS___sigprocmask14, 3)
	movl	oset, %eax
	movl	%eax, got_mask
	/* the return address is the sigcode, just below ps_strings */
	movl	(%esp), %eax
	movl	ps_strings, %ecx
	cmpl	%ecx, %eax
	jae	1f
	subl	$64, %ecx
	cmpl	%ecx, %eax
	jb	1f
	movl	$1, sigcode_ok
1:	ret

segv:
	movl	8(%esp), %eax
	movl	%eax, segv_code
	movl	12(%esp), %eax		/* scp */
	addl	$2, 44(%eax)		/* sc_eip += 2 (skip the movl) */
	ret

hex_cf:
	jnc	hex
	orl	$0xe0000000, %eax
hex:
	pushl	%ebx
	pushl	%esi
	movl	$outbuf+8, %esi
	movb	$10, (%esi)
	movl	$8, %ecx
1:	decl	%esi
	movl	%eax, %ebx
	andl	$15, %ebx
	movb	hexdigits(%ebx), %bl
	movb	%bl, (%esi)
	shrl	$4, %eax
	loop	1b
	pushl	$9
	pushl	$outbuf
	pushl	$1
	SYSCALL(SYS_write, 3)
	popl	%esi
	popl	%ebx
	ret

	.section .rodata
hexdigits:	.ascii	"0123456789abcdef"
lcallmsg:	.ascii	"lcall\n"

	.data
sa:		.long	0, 0, 0, 0, 0, 0	/* handler, mask[4], flags */

	.bss
ps_strings:	.space	4
got_sig:	.space	4
got_mask:	.space	4
sigcode_ok:	.space	4
segv_code:	.space	4
oset:		.space	16
outbuf:		.space	12
