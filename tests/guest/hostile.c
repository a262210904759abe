/*
 * hostile -- a kernelware that attacks the kernel it runs in
 * (tests/test_nbsd_hostile.py).  Run with `kw86 exec --kernelware`; each
 * subcommand does one thing the kernel must survive.  Addresses of locore
 * symbols come as hexadecimal arguments (the test reads them from locore).
 *
 *   hostile hcall N ESP        the hypercall (outl to port 0x4b57) with eax N, esp ESP
 *   hostile jmphcall A N ESP   jump to locore's hypercall (A) with eax N and esp ESP
 *   hostile forge N            a hypercall on a forged frame of garbage on its stack
 *   hostile forgecall N        a forged syscall frame (trapno T_ASTFLT, cs KCODE, eax N)
 *   hostile cli                cli; jmp .
 *   hostile hlt                cli; hlt
 *   hostile wpgate A           clear CR0.WP, write `jmp .` over the gate (A), call getpid
 *   hostile wptext A           clear CR0.WP, write garbage over kernel text at A, fault
 *   hostile cr3 V              load CR3 with V
 *   hostile cr0                clear CR0.PG|PE
 *   hostile lidt               load an IDT of limit 0 and wait for the timer
 *   hostile lgdt               load a GDT of limit 0 and reload %ds
 *   hostile idtzero A          clear CR0.WP and zero the IDT (at A), wait for the timer
 *   hostile triple             lidt limit 0, then int3
 *   hostile esp0               %esp = 0, then push
 *   hostile ok                 print "ok" and exit 0 (a well-behaved sibling)
 *
 * Anything that returns prints "survived NAME" and exits 3.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static unsigned long
arg(char **argv, int i)
{
	return strtoul(argv[i], 0, 16);
}

struct dtr {
	unsigned short limit;
	unsigned int base;
} __attribute__((packed));

static void
spin(void)
{
	for (;;)
		__asm__ __volatile__("" ::: "memory");
}

static void
wp_off(void)
{
	__asm__ __volatile__(
	    "movl %%cr0, %%eax\n\t"
	    "andl $~0x10000, %%eax\n\t"
	    "movl %%eax, %%cr0" ::: "eax", "memory");
}

int
main(int argc, char **argv)
{
	const char *w = argc > 1 ? argv[1] : "";
	static unsigned int frame[32];

	if (!strcmp(w, "ok")) {
		printf("ok\n");
		return 0;
	}
	if (!strcmp(w, "hcall") && argc > 3) {
		unsigned long n = arg(argv, 2), sp = arg(argv, 3);
		__asm__ __volatile__(
		    "movl %1, %%esp\n\t"
		    "movw $0x4b57, %%dx\n\t"
		    "outl %%eax, %%dx\n\t"
		    "jmp .\n\t" :: "a"(n), "r"(sp) : "edx", "memory");
	}
	if (!strcmp(w, "jmphcall") && argc > 4) {
		unsigned long a = arg(argv, 2), n = arg(argv, 3), sp = arg(argv, 4);
		__asm__ __volatile__(
		    "movl %2, %%esp\n\t"
		    "jmp *%1" :: "a"(n), "c"(a), "r"(sp) : "memory");
	}
	if (!strcmp(w, "forge") && argc > 2) {
		unsigned long n = arg(argv, 2);
		int i;
		for (i = 0; i < 32; i++)
			frame[i] = 0xdeadbeef ^ (i * 0x01010101u);
		/* %ecx as the frame's tf_eax (frame[10]: call 229, none), as locore
		   leaves it for a system-call hypercall: the kernel's fast path takes
		   the number from %ecx, the frame path from tf_eax; garbage left in
		   %ecx (once the frame's own address) could name a real call, which
		   returns to the `jmp .` below and spins there for ever */
		__asm__ __volatile__(
		    "movl %1, %%esp\n\t"
		    "movw $0x4b57, %%dx\n\t"
		    "outl %%eax, %%dx\n\t"
		    "jmp .\n\t" :: "a"(n), "r"(frame), "c"(frame[10]) : "edx", "memory");
	}
	if (!strcmp(w, "forgecall") && argc > 2) {
		/* gs fs es ds edi esi ebp ebx edx ecx eax trapno err eip cs eflags */
		memset(frame, 0, sizeof frame);
		frame[0] = frame[1] = frame[2] = frame[3] = 0x10;
		frame[10] = arg(argv, 2);      /* eax: the call */
		frame[11] = 3;                 /* T_ASTFLT */
		frame[12] = 2;
		frame[13] = 0x1234;            /* eip */
		frame[14] = 0x08;              /* KCODE */
		frame[15] = 0x202;
		__asm__ __volatile__(
		    "movl %1, %%esp\n\t"
		    "movw $0x4b57, %%dx\n\t"
		    "outl %%eax, %%dx\n\t"
		    "jmp .\n\t" :: "a"(2), "r"(frame) : "edx", "memory");
	}
	if (!strcmp(w, "cli")) {
		__asm__ __volatile__("cli\n\tjmp ." ::: "memory");
	}
	if (!strcmp(w, "hlt")) {
		__asm__ __volatile__("cli\n\thlt" ::: "memory");
	}
	if (!strcmp(w, "wpgate") && argc > 2) {
		volatile unsigned char *g = (unsigned char *)arg(argv, 2);
		wp_off();
		g[0] = 0xeb;
		g[1] = 0xfe;
		getpid();
	}
	if (!strcmp(w, "wptext") && argc > 2) {
		volatile unsigned char *g = (unsigned char *)arg(argv, 2);
		int i;
		wp_off();
		for (i = 0; i < 64; i++)
			g[i] = 0xff;
		*(volatile int *)0 = 1;
	}
	if (!strcmp(w, "cr3") && argc > 2) {
		unsigned long v = arg(argv, 2);
		__asm__ __volatile__("movl %0, %%cr3" :: "r"(v) : "memory");
		spin();
	}
	if (!strcmp(w, "cr0")) {
		__asm__ __volatile__(
		    "movl %%cr0, %%eax\n\t"
		    "andl $0x7ffffffe, %%eax\n\t"
		    "movl %%eax, %%cr0" ::: "eax", "memory");
		spin();
	}
	if (!strcmp(w, "lidt") || !strcmp(w, "triple")) {
		static struct dtr d = { 0, 0 };
		__asm__ __volatile__("lidt %0" :: "m"(d) : "memory");
		if (!strcmp(w, "triple"))
			__asm__ __volatile__("int3");
		spin();
	}
	if (!strcmp(w, "lgdt")) {
		static struct dtr d = { 0, 0 };
		__asm__ __volatile__(
		    "lgdt %0\n\t"
		    "movl $0x10, %%eax\n\t"
		    "movl %%eax, %%ds" :: "m"(d) : "eax", "memory");
		spin();
	}
	if (!strcmp(w, "idtzero") && argc > 2) {
		wp_off();
		memset((void *)arg(argv, 2), 0, 256 * 8);
		spin();
	}
	if (!strcmp(w, "esp0")) {
		__asm__ __volatile__("xorl %%esp, %%esp\n\tpushl $1" ::: "memory");
	}
	printf("survived %s\n", w);
	return 3;
}
