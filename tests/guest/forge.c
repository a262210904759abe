/*
 * forge.c -- a kernelware that hands the kernel system-call hypercalls
 * locore did not make (tests/test_nbsd_leftovers.py; hostile.c has the
 * older forms).  Every mode must die with SIGSEGV and the kernel's
 * "forged system call" line; "survived" (exit 3) means the kernel ran it.
 *
 *   forge outl            getpid(), then the same call as a consistent
 *                         frame (tf_eax = %ecx = 20, tf_esp = %esi) with
 *                         our own `outl`: the CPU core's answer cache holds
 *                         getpid's answer, the core must not give it
 *   forge outl0           our own `outl` with %ecx = 0 (the general path)
 *                         and a frame asking exit(0)
 *   forge kstack HCALL TSS  a CPL 3 frame written on our kernel stack (TSS
 *                         esp0 - 512) asking exit(0) (tf_eax = 1), %ecx = 20
 *                         (getpid), then a jump to locore's hypercall
 *                         (HCALL, kw86_hcall): the register path would run
 *                         getpid, the frame path exit
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static unsigned int frame[32];

static void
fill(unsigned int eax, unsigned int cs)
{
	/* gs fs es ds edi esi ebp ebx edx ecx eax trapno err eip cs eflags esp ss */
	memset(frame, 0, sizeof frame);
	frame[0] = frame[1] = frame[2] = frame[3] = 0x10;
	frame[10] = eax;
	frame[11] = 3;                 /* T_ASTFLT */
	frame[12] = 2;
	frame[13] = 0x1234;
	frame[14] = cs;
	frame[15] = 0x202;
	frame[16] = (unsigned int)&frame[24];
	frame[17] = 0x23;
}

int
main(int argc, char **argv)
{
	const char *w = argc > 1 ? argv[1] : "";

	if (!strcmp(w, "outl")) {
		fill(20, 0x1b);
		if (getpid() <= 0)
			return 4;
		__asm__ __volatile__(
		    "movl %%eax, %%esp\n\t"
		    "movl $4, %%eax\n\t"        /* HC_GATE, as the gate's getpid */
		    "movw $0x4b57, %%dx\n\t"
		    "outl %%eax, %%dx\n\t"
		    "jmp .\n\t" :: "a"(frame), "c"(20), "S"(frame[16]) : "edx", "memory");
	}
	if (!strcmp(w, "outl0")) {
		fill(1, 0x08);
		__asm__ __volatile__(
		    "movl %%eax, %%esp\n\t"
		    "movl $2, %%eax\n\t"        /* HC_SYSCALL */
		    "movw $0x4b57, %%dx\n\t"
		    "outl %%eax, %%dx\n\t"
		    "jmp .\n\t" :: "a"(frame), "c"(0) : "edx", "memory");
	}
	if (!strcmp(w, "kstack") && argc > 3) {
		unsigned long hcall = strtoul(argv[2], 0, 16);
		unsigned long tss = strtoul(argv[3], 0, 16);
		unsigned int *kf = (unsigned int *)(*(unsigned int *)(tss + 4) - 512);
		fill(1, 0x1b);
		memcpy(kf, frame, 72);
		__asm__ __volatile__(
		    "movl %%eax, %%esp\n\t"
		    "movl $2, %%eax\n\t"        /* HC_SYSCALL */
		    "jmp *%%edx\n\t" :: "a"(kf), "d"(hcall), "c"(20), "S"(kf[16]) : "memory");
	}
	printf("survived %s\n", w);
	return 3;
}
