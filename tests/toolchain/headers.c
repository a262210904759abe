/*
 * Every libc header in one C89 translation unit (tests/test_toolchain_gcc.py builds
 * it with gcc -std=c89 and -std=gnu89): NetBSD's headers spell C99's restrict as
 * __restrict (a keyword of GCC and clang in every mode), so a program of another
 * language standard can include them.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/select.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <ctype.h>
#include <pwd.h>
#include <grp.h>
#include <setjmp.h>
#include <math.h>
#include <locale.h>
#include <assert.h>
#include <err.h>
#include <fnmatch.h>
#include <libgen.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <termios.h>
#include <utime.h>
#include <inttypes.h>
#include <stdint.h>
#include <nl_types.h>
#include <langinfo.h>
#include <paths.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/ioctl.h>
#include <netinet/in.h>
#include <arpa/inet.h>

int
main(void)
{
	char buf[16];
	FILE *f = fopen("/nonexistent", "r");

	snprintf(buf, sizeof buf, "%s-%d", "c89", (int)strlen("abc"));
	printf("%s %d\n", buf, f == NULL);
	return 0;
}
