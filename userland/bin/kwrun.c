/*
 * kwrun -- run a program as a kernelware (kw86 userland; the way a user of
 * the paper's system started one).
 *
 *	kwrun PROG [ARGS...]
 *
 * The calling process joins the kernelware emulation (kw86's system call
 * 510, switch_to_kernel_mode: it continues at CPL 0) and execs PROG, looked
 * up in PATH like the shell does; the kernelware exec starts PROG at CPL 0
 * with its system calls made as function calls, the user memory layout
 * unchanged.  Root only, and the `kernelware` module must be loaded: else
 * "kwrun: kernelware: Operation not permitted" and exit status 1.
 */
#include <err.h>
#include <errno.h>
#include <kernelware.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int
main(int argc, char *argv[])
{
	if (argc < 2) {
		fprintf(stderr, "usage: kwrun program [argument ...]\n");
		return EXIT_FAILURE;
	}
	if (switch_to_kernel_mode() != 0)
		err(EXIT_FAILURE, "kernelware");
	execvp(argv[1], argv + 1);
	err(errno == ENOENT ? 127 : 126, "%s", argv[1]);
}
