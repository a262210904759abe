/* kw86 bench bochs: the boot path of the Bochs guest image (our own code).
 *
 * Sector 0 of the disk image is this boot sector: the BIOS loads it at 0x7c00 and
 * jumps to it in real mode with the boot drive in DL.  It enables A20 (the "fast
 * A20" bit of port 0x92), reads the rest of the image (LOAD_SECTORS sectors from
 * LBA 1, int 13h AH=42h extended read) to 0x10000, loads a flat GDT (4 GiB code
 * and data, base 0), sets CR0.PE and far-jumps to start32, which sets the data
 * segments and the stack, clears .bss and calls kmain() (main.c).  Errors are
 * reported as one letter on the debug port 0xe9 before stopping. */

	.set	DEBUG_PORT, 0xe9
	.set	STACK_TOP, 0x90000

	.code16
	.section .boot16, "ax"
	.globl	_start16
_start16:
	cli
	xorw	%ax, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movw	$0x7c00, %sp
	ljmp	$0, $.Lnorm		/* CS:IP = 0000:7cxx whatever the BIOS used */
.Lnorm:
	inb	$0x92, %al		/* A20 on, no reset */
	orb	$2, %al
	andb	$0xfe, %al
	outb	%al, $0x92

	movw	$dap, %si		/* DL: the boot drive, as the BIOS passed it */
	movb	$0x42, %ah
	int	$0x13
	jc	.Ldiskerr

	lgdt	gdt_desc
	movl	%cr0, %eax
	orl	$1, %eax
	movl	%eax, %cr0
	ljmpl	$0x08, $start32

.Ldiskerr:
	movb	$'D', %al
	outb	%al, $DEBUG_PORT
.Lhang16:
	hlt
	jmp	.Lhang16

	.p2align 2
dap:					/* disk address packet for AH=42h */
	.byte	0x10, 0
	.word	LOAD_SECTORS
	.word	0x0000, 0x1000		/* buffer 1000:0000 = 0x10000 */
	.long	1, 0			/* first LBA */

	.p2align 3
gdt:
	.quad	0
	.quad	0x00cf9a000000ffff	/* 0x08: code, base 0, limit 4 GiB, 32-bit */
	.quad	0x00cf92000000ffff	/* 0x10: data, base 0, limit 4 GiB */
gdt_desc:
	.word	gdt_desc - gdt - 1
	.long	gdt

	.org	510
	.byte	0x55, 0xaa

	.code32
	.section .text.start32, "ax"
	.globl	start32
start32:
	movw	$0x10, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %fs
	movw	%ax, %gs
	movw	%ax, %ss
	movl	$STACK_TOP, %esp
	cld
	movl	$__bss_start, %edi	/* .bss is not in the image: clear it */
	movl	$__bss_end, %ecx
	subl	%edi, %ecx
	xorl	%eax, %eax
	rep stosb
	call	kmain
	/* kmain asks Bochs to stop; should it not, a triple fault (no IDT) does */
	.globl	triple_fault
triple_fault:
	lidt	null_idt
	int3
.Lhang32:
	hlt
	jmp	.Lhang32

	.section .rodata.null_idt, "a"
	.p2align 2
null_idt:
	.word	0
	.long	0
