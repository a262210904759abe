/*
 * tests/test_nbsd_kapi.py: a kernelware that uses the kernel API (<sys/kapi.h>)
 * directly: reads `ticks` twice around a busy loop, curproc->p_pid, hz, and
 * prints through the kernel's printf.  Built statically (linked with
 * `kw86 ksyms`) or with -DKAPI_DYNAMIC (exec fills its symbol table).
 *   kapi_ticks        at CPL 0: "ticks A B", "pid P P", "hz H"
 *   kapi_ticks call   calls kernel_printf whatever the mode (at CPL 3: SIGSEGV)
 */
#include <kernelware.h>
#include <sys/kapi.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	volatile unsigned spin = 0;
	int t0, t1, i;

	if (argc > 1 && strcmp(argv[1], "call") == 0) {
		kernel_printf("kernel printf from %s %d\n", "cpl", in_kernel_mode() ? 0 : 3);
		return 0;
	}
	if (!in_kernel_mode()) {
		printf("user mode\n");
		return 2;
	}
	t0 = ticks;
	for (i = 0; i < 3000000 && ticks - t0 < 3; i++)
		spin++;
	t1 = ticks;
	printf("ticks %d %d\n", t0, t1);
	printf("pid %d %d\n", (int)curproc->p_pid, (int)getpid());
	printf("comm %s\n", curproc->p_comm);
	printf("hz %d\n", hz);
	kernel_printf("kprintf %d %s %x|%5d|%-3s|\n", -7, "str", 0xbeef, 42, "a");
	return t1 > t0 ? 0 : 1;
}
