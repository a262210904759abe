/*
 * The stack protector and constructors in a GCC-built program
 * (tests/test_toolchain_gcc.py): "ssp ARG" copies ARG into a 16-byte buffer, so a
 * long one overwrites the canary and __stack_chk_fail must end the process with
 * SIGABRT ("ssp ARG catch": even with a SIGABRT handler, which NetBSD's __fail
 * resets to the default first); constructors run before main, destructors after.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

extern long __stack_chk_guard[8];
static int ctor_ran;

static void
caught(int sig)
{
	printf("caught %d\n", sig);	/* __stack_chk_fail resets SIGABRT first */
	_exit(9);
}

static void __attribute__((constructor))
ctor(void)
{
	ctor_ran = 1;
}

static void __attribute__((destructor))
dtor(void)
{
	printf("destructor\n");
}

static int __attribute__((noinline))
copy(const char *s)
{
	char buf[16];
	volatile char *p = buf;
	size_t i;

	for (i = 0; s[i] != '\0'; i++)	/* no strcpy: no _FORTIFY_SOURCE check */
		p[i] = s[i];
	p[i] = '\0';
	return (int)strlen(buf);
}

int
main(int argc, char **argv)
{
	printf("constructor %d\n", ctor_ran);
	printf("guard %s\n", __stack_chk_guard[0] == (long)0xff0a0000L ? "terminator" :
	    __stack_chk_guard[0] == 0 ? "zero" : "random");
	fflush(stdout);
	if (argc > 2)				/* "ssp ARG catch" */
		signal(SIGABRT, caught);
	if (argc > 1)
		printf("copied %d\n", copy(argv[1]));
	return 0;
}
