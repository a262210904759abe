/*
 * A page fault taken at CPL 0 (a kernelware) with %esp just above a stack page
 * that is not there yet.  The CPU pushes the #PF frame (EFLAGS, CS, EIP, error
 * code: 16 bytes, no stack switch at CPL 0) on the kernelware's own stack; locore's
 * Xtrap0e and alltraps then push the trap number and the registers (48 bytes).
 * Whichever push crosses into the missing page faults while the #PF is being
 * delivered (hardware push) or saved (locore's pushes): a double fault, which the
 * kernel resolves by backing the stack page.  The #PF itself must then still be
 * handled for the address that caused it, not for the stack address of the second
 * fault (CR2 holds that one by then).
 *
 * For each offset 0, 4, ... 76 of %esp above a page boundary, on a fresh stack
 * page whose lower neighbour was never touched: switch %esp there, write to a
 * fresh anonymous page, switch back, read the value back.  Prints one line per
 * offset and "done"; a kernel that loses the fault address kills the program.
 */
#include <stdio.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#define NOFF 20

static void
write_on_stack(uintptr_t sp, volatile uint32_t *addr, uint32_t value)
{
	__asm__ volatile(
	    "movl %%esp, %%ecx\n\t"
	    "movl %0, %%esp\n\t"
	    "movl %2, (%1)\n\t"
	    "movl %%ecx, %%esp\n\t"
	    : : "r"(sp), "r"(addr), "r"(value) : "ecx", "memory");
}

int
main(void)
{
	long page = sysconf(_SC_PAGESIZE);
	char *heap = mmap(NULL, (size_t)page * NOFF, PROT_READ | PROT_WRITE,
	    MAP_ANON | MAP_PRIVATE, -1, 0);
	uintptr_t here = (uintptr_t)&page;
	/* well below anything main's callers touched: 256 KiB down, then
	   every third page (a touched page, the untouched one below it, a gap) */
	uintptr_t base = ((here - 256 * 1024) & ~(uintptr_t)(page - 1));
	int i, bad = 0;

	if (heap == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	for (i = 0; i < NOFF; i++) {
		uintptr_t p = base - (uintptr_t)i * 3 * page;	/* this page is touched */
		uintptr_t sp = p + (uintptr_t)i * 4;
		volatile uint32_t *dst = (volatile uint32_t *)(heap + (size_t)i * page + 12);
		uint32_t v = 0x5a000000u | (uint32_t)i;

		*(volatile uint32_t *)(p + page - 4) = 0;	/* back page p only */
		write_on_stack(sp, dst, v);
		printf("offset %d %s\n", i * 4, *dst == v ? "ok" : "WRONG");
		bad += *dst != v;
	}
	printf("done %d\n", bad);
	return bad != 0;
}
