/*
 * The start-up step tools/gcc_netbsd.py links into a GCC-built program (with
 * -Wl,--wrap=main, so crt0's call of main comes here first): what NetBSD's csu and
 * _libc_init do before main and kw86's crt0 leaves out (each instruction added to
 * crt0 would move the modelled cycles of every program in the sysroot):
 *
 *   - the main thread's TLS (its thread control block as %gs's base,
 *     _lwp_setprivate), as NetBSD's libc sets up a static program's TLS before
 *     main: code built by a GCC for Linux reads its stack protector's canary at
 *     %gs:0x14 (-mstack-protector-guard=tls, that GCC's default), which is then a
 *     word of that block that does not change while the thread runs, instead of
 *     address 0x14 (SIGSEGV);
 *   - the stack protector's global guard from kern.arandom (__guard_setup, libc);
 *   - the program's constructors (.init_array, called with argc, argv, envp as
 *     NetBSD's and glibc's csu do), and its destructors (.fini_array, in reverse
 *     order) registered with atexit so that exit() runs them.
 *
 * Compiled without the stack protector: the guard changes under this frame.
 */
#include <stdlib.h>

extern int __real_main(int, char **, char **);
int __wrap_main(int, char **, char **);
extern void __guard_setup(void);
extern int _lwp_setprivate(void *);
extern char __kw86_main_thread[];	/* libc's main thread: struct tls_tcb first */

typedef void (*initfn)(int, char **, char **);
typedef void (*finifn)(void);
extern initfn __init_array_start[] __attribute__((weak));
extern initfn __init_array_end[] __attribute__((weak));
extern finifn __fini_array_start[] __attribute__((weak));
extern finifn __fini_array_end[] __attribute__((weak));

static void
run_fini_array(void)
{
	finifn *f = __fini_array_end;

	while (f > __fini_array_start)
		(*--f)();
}

int
__wrap_main(int argc, char **argv, char **envp)
{
	initfn *f;

	_lwp_setprivate(__kw86_main_thread);
	__guard_setup();
	if (__fini_array_start != __fini_array_end)
		atexit(run_fini_array);
	for (f = __init_array_start; f < __init_array_end; f++)
		(*f)(argc, argv, envp);
	return __real_main(argc, argv, envp);
}
