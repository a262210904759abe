/*
 * A static NetBSD/i386 program that starts the way NetBSD 10's csu and
 * libc do (crt0 ___start, _libc_init, __libc_static_tls_setup): it takes
 * argc/argv/envp from ps_strings (%ebx at entry), finds the auxv after the
 * environment, installs a TCB with _lwp_setprivate and reads it back
 * through %gs, reads kern.arandom / hw.pagesize / kern.argmax, and makes
 * the other calls a NetBSD 10 static program makes in its first steps.
 * Every check prints one line: 8 hex digits (tests/test_nbsd_netbsd10.py
 * knows their order).  With an argument it is the image after execve
 * and only checks that the TLS state was reset.
 *
 * Written for kw86 (no NetBSD source): assembled with
 *   python -m ziglang cc -target x86-freestanding-none -mcpu=i686 -nostdlib
 *     -static -Wl,-e,_start nb10start.S
 */

/* NetBSD syscall numbers (syscalls.master) */
#define SYS_exit		1
#define SYS_fork		2
#define SYS_write		4
#define SYS_execve		59
#define SYS_sysarch		165
#define SYS_mmap		197
#define SYS___sysctl		202
#define SYS_getrlimit		194
#define SYS_minherit		273
#define SYS___vfork14		282
#define SYS___sigprocmask14	293
#define SYS_issetugid		305
#define SYS__lwp_self		311
#define SYS__lwp_getprivate	316
#define SYS__lwp_setprivate	317
#define SYS__lwp_unpark		321
#define SYS___clock_gettime50	427
#define SYS___fstat50		440
#define SYS___wait450		449
#define SYS____lwp_park60	478

/* a system call the way libc's stubs make it: args on the stack above a
   return-address slot, number in %eax, int $0x80; eax/edx/CF come back */
#define SYSCALL(num, nargs)		\
	pushl	$0;			\
	movl	$num, %eax;		\
	int	$0x80;			\
	leal	4*(nargs+1)(%esp), %esp

	.section .note.netbsd.ident, "a", @note
	.p2align 2
	.long	7, 4, 1			/* namesz, descsz, NT_NETBSD_IDENT */
	.ascii	"NetBSD\0\0"
	.long	1000000000		/* __NetBSD_Version__ 10.0 */

	.text
	.globl	_start
_start:
	movl	%ebx, ps_strings
	movl	(%esp), %eax
	movl	%eax, sp_argc
	/* argc, argv, envp from ps_strings (crt0-common.c ___start) */
	movl	0(%ebx), %esi		/* ps_argvstr */
	movl	4(%ebx), %ecx		/* ps_nargvstr */
	movl	%esi, argv
	movl	%ecx, argc
	movl	12(%ebx), %edx		/* ps_nenvstr */
	/* auxv = ps_argvstr + argc + envc + 2 */
	leal	2(%ecx,%edx), %eax
	leal	(%esi,%eax,4), %eax
	movl	%eax, auxv
	cmpl	$2, %ecx
	jge	after_exec

	/* 1: argc from ps_strings, 2: it matches the word at the entry esp */
	movl	argc, %eax
	call	hex
	movl	argc, %eax
	cmpl	sp_argc, %eax
	sete	%al
	movzbl	%al, %eax
	call	hex
	/* 3: AT_PAGESZ, 4: AT_ENTRY == _start, 5: AT_PHNUM, 6: AT_PHDR[0].p_type */
	movl	$6, %eax
	call	auxval
	call	hex
	movl	$9, %eax
	call	auxval
	cmpl	$_start, %eax
	sete	%al
	movzbl	%al, %eax
	call	hex
	movl	$5, %eax
	call	auxval
	call	hex
	movl	$3, %eax
	call	auxval
	movl	(%eax), %eax
	call	hex

	/* 7: _lwp_self (the first LWP's id is the pid, which is not 1: init is) */
	SYSCALL(SYS__lwp_self, 0)
	movl	%eax, selflid
	call	hex

	/* 8: _lwp_setprivate(&tcb), then %gs:0 is the TCB's self pointer */
	movl	$tcb, tcb
	pushl	$tcb
	SYSCALL(SYS__lwp_setprivate, 1)
	movl	%gs:0, %eax
	cmpl	$tcb, %eax
	sete	%al
	movzbl	%al, %eax
	call	hex
	/* 9: a TLS variable below the TCB (variant II: negative offset) */
	movl	%gs:-4, %eax
	call	hex
	/* 10: _lwp_getprivate == &tcb */
	SYSCALL(SYS__lwp_getprivate, 0)
	cmpl	$tcb, %eax
	sete	%al
	movzbl	%al, %eax
	call	hex
	/* 11: sysarch(I386_GET_GSBASE) == &tcb */
	pushl	$word
	pushl	$14
	SYSCALL(SYS_sysarch, 2)
	movl	word, %eax
	cmpl	$tcb, %eax
	sete	%al
	movzbl	%al, %eax
	call	hex
	/* 12: sysarch(I386_SET_GSBASE, &tcb2 pointer): %gs:0 now reads tcb2 */
	movl	$tcb2, tcb2
	movl	$tcb2, word
	pushl	$word
	pushl	$16
	SYSCALL(SYS_sysarch, 2)
	movl	%gs:0, %eax
	cmpl	$tcb2, %eax
	sete	%al
	movzbl	%al, %eax
	call	hex

	/* 13: __sysctl {kern, arandom} 16 bytes: the length returned */
	movl	$16, len
	pushl	$0
	pushl	$0
	pushl	$len
	pushl	$rnd
	pushl	$2
	pushl	$mib_arnd
	SYSCALL(SYS___sysctl, 6)
	movl	len, %eax
	call	hex
	/* 14: hw.pagesize, 15: kern.argmax */
	movl	$4, len
	pushl	$0
	pushl	$0
	pushl	$len
	pushl	$word
	pushl	$2
	pushl	$mib_pagesize
	SYSCALL(SYS___sysctl, 6)
	movl	word, %eax
	call	hex
	movl	$4, len
	pushl	$0
	pushl	$0
	pushl	$len
	pushl	$word
	pushl	$2
	pushl	$mib_argmax
	SYSCALL(SYS___sysctl, 6)
	movl	word, %eax
	call	hex

	/* 16: __sigprocmask14(SIG_BLOCK, NULL, &old) */
	pushl	$sigset
	pushl	$0
	pushl	$1
	SYSCALL(SYS___sigprocmask14, 3)
	call	hex
	/* 17: mmap(0, 4096, RW, MAP_ANON|MAP_PRIVATE, -1, PAD, (off_t)0):
	   the page is usable */
	pushl	$0			/* pos high */
	pushl	$0			/* pos low */
	pushl	$0			/* PAD */
	pushl	$-1
	pushl	$0x1002
	pushl	$3
	pushl	$4096
	pushl	$0
	SYSCALL(SYS_mmap, 8)
	movl	%eax, page
	movl	$0x55aa55aa, (%eax)
	movl	(%eax), %eax
	call	hex
	/* 17b: mmap with MAP_ALIGNED(20) (jemalloc's chunks): 1 MiB aligned */
	pushl	$0
	pushl	$0
	pushl	$0
	pushl	$-1
	pushl	$0x14001002
	pushl	$3
	pushl	$8192
	pushl	$0
	SYSCALL(SYS_mmap, 8)
	testl	$0xfffff, %eax
	sete	%al
	movzbl	%al, %eax
	call	hex
	/* 18: __fstat50(1, &st) */
	pushl	$statbuf
	pushl	$1
	SYSCALL(SYS___fstat50, 2)
	call	hex
	/* 19: issetugid */
	SYSCALL(SYS_issetugid, 0)
	call	hex
	/* 20: getrlimit(RLIMIT_NOFILE): rlim_cur (low word) */
	pushl	$rlim
	pushl	$8
	SYSCALL(SYS_getrlimit, 2)
	movl	rlim, %eax
	call	hex
	/* 21: __clock_gettime50(CLOCK_MONOTONIC) */
	pushl	$ts
	pushl	$3
	SYSCALL(SYS___clock_gettime50, 2)
	call	hex
	/* 22: minherit(page, 4096, MAP_INHERIT_ZERO) */
	pushl	$4
	pushl	$4096
	pushl	page
	SYSCALL(SYS_minherit, 3)
	call	hex
	/* 23: ___lwp_park60 with a zero timeout: ETIMEDOUT (CF set) */
	movl	$0, ts
	movl	$0, ts+4
	movl	$0, ts+8
	pushl	$0
	pushl	$0
	pushl	$0
	pushl	$ts
	pushl	$0
	pushl	$0
	SYSCALL(SYS____lwp_park60, 6)
	call	hex_cf
	/* 24: _lwp_unpark(self) then park: EALREADY */
	pushl	$0
	pushl	selflid
	SYSCALL(SYS__lwp_unpark, 2)
	pushl	$0
	pushl	$0
	pushl	$0
	pushl	$0
	pushl	$0
	pushl	$0
	SYSCALL(SYS____lwp_park60, 6)
	call	hex_cf
	/* 25: sysarch with an unknown op: EINVAL */
	pushl	$word
	pushl	$99
	SYSCALL(SYS_sysarch, 2)
	call	hex_cf

	/* 26: fork: the child sees the same TCB at %gs:0 and a zeroed
	   MAP_INHERIT_ZERO page; it exits with 0x40 | gs_ok | zero_ok << 1 */
	SYSCALL(SYS_fork, 0)
	testl	%edx, %edx
	jnz	child
	movl	%eax, word
	pushl	$0
	pushl	$0
	pushl	$status
	pushl	word
	SYSCALL(SYS___wait450, 4)
	movl	status, %eax
	shrl	$8, %eax
	call	hex

	/* 26b: __vfork14: the parent sleeps until the child exits, so the
	   child's "vchild" line comes before the parent's 7f; then its status (5) */
	SYSCALL(SYS___vfork14, 0)
	testl	%edx, %edx
	jnz	vchild
	movl	%eax, word
	movl	$0x7f, %eax		/* the parent's first output after vfork */
	call	hex
	pushl	$0
	pushl	$0
	pushl	$status
	pushl	word
	SYSCALL(SYS___wait450, 4)
	movl	status, %eax
	shrl	$8, %eax
	call	hex

	/* 27: exec ourselves with an argument: the new image has no TLS */
	movl	argv, %esi
	movl	(%esi), %eax
	movl	%eax, nargv
	movl	$xarg, nargv+4
	movl	$0, nargv+8
	pushl	$nenv
	pushl	$nargv
	pushl	(%esi)
	SYSCALL(SYS_execve, 3)
	orl	$0xee000000, %eax	/* the exec failed */
	call	hex
	jmp	done

child:
	xorl	%ebx, %ebx
	movl	%gs:0, %eax
	cmpl	$tcb2, %eax
	jne	1f
	orl	$1, %ebx
1:	movl	page, %eax
	cmpl	$0, (%eax)
	jne	2f
	orl	$2, %ebx
2:	orl	$0x40, %ebx
	pushl	%ebx
	SYSCALL(SYS_exit, 1)

vchild:
	pushl	$7
	pushl	$vchildmsg
	pushl	$1
	SYSCALL(SYS_write, 3)
	pushl	$5
	SYSCALL(SYS_exit, 1)

after_exec:
	/* 28: _lwp_getprivate, 29: sysarch(I386_GET_GSBASE): both 0 again */
	SYSCALL(SYS__lwp_getprivate, 0)
	call	hex
	movl	$0xffffffff, word
	pushl	$word
	pushl	$14
	SYSCALL(SYS_sysarch, 2)
	movl	word, %eax
	call	hex
done:
	pushl	$0
	SYSCALL(SYS_exit, 1)

/* %eax = the auxv value of type %eax (0 if absent) */
auxval:
	movl	auxv, %edx
1:	movl	(%edx), %ecx
	testl	%ecx, %ecx
	jz	2f
	cmpl	%eax, %ecx
	je	3f
	addl	$8, %edx
	jmp	1b
2:	xorl	%eax, %eax
	ret
3:	movl	4(%edx), %eax
	ret

/* print %eax, or with hex_cf "E" + errno when CF was set */
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
mib_arnd:	.long	1, 81		/* CTL_KERN, KERN_ARND */
mib_pagesize:	.long	6, 7		/* CTL_HW, HW_PAGESIZE */
mib_argmax:	.long	1, 8		/* CTL_KERN, KERN_ARGMAX */
xarg:		.asciz	"x"
vchildmsg:	.ascii	"vchild\n"

	.data
	.p2align 4
tls_block:	.long	0, 0, 0, 0x7153	/* the TLS variable at %gs:-4 */
tcb:		.long	0, 0, 0, 0	/* tcb_self, ... */
tcb2:		.long	0, 0, 0, 0
nenv:		.long	0

	.bss
	.p2align 4
ps_strings:	.space	4
sp_argc:	.space	4
argc:		.space	4
argv:		.space	4
auxv:		.space	4
word:		.space	4
selflid:	.space	4
len:		.space	4
page:		.space	4
status:		.space	4
nargv:		.space	12
rnd:		.space	16
sigset:		.space	16
rlim:		.space	16
ts:		.space	12
outbuf:		.space	12
statbuf:	.space	128
