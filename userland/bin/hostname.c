/*
 * hostname -- print or set the name of the host (kw86 userland, from
 * hostname(1) of NetBSD).  With no operand it prints kern.hostname; -s
 * prints it up to the first '.', -d only what follows the first '.'.
 * With an operand the super-user sets kern.hostname (sysctl(3), as
 * sethostname(3) does); others get EPERM from the kernel.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/param.h>
#include <sys/sysctl.h>
#include <unistd.h>

#ifndef MAXHOSTNAMELEN
#define MAXHOSTNAMELEN 256
#endif

static void usage(void)
{
	fprintf(stderr, "usage: hostname [-ds] [name-of-host]\n");
	exit(1);
}

int main(int argc, char *argv[])
{
	char name[MAXHOSTNAMELEN + 1];
	int mib[2] = { CTL_KERN, KERN_HOSTNAME };
	int ch, sflag = 0, dflag = 0;
	char *p;

	while ((ch = getopt(argc, argv, "ds")) != -1) {
		switch (ch) {
		case 'd':
			dflag = 1;
			break;
		case 's':
			sflag = 1;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1 || (argc == 1 && (sflag || dflag)))
		usage();
	if (argc == 1) {
		if (sysctl(mib, 2, NULL, NULL, argv[0], strlen(argv[0])) < 0)
			err(1, "sethostname");
		return 0;
	}
	if (gethostname(name, sizeof(name)) < 0)
		err(1, "gethostname");
	name[sizeof(name) - 1] = '\0';
	p = strchr(name, '.');
	if (dflag) {
		if (p != NULL)
			printf("%s\n", p + 1);
	} else {
		if (sflag && p != NULL)
			*p = '\0';
		printf("%s\n", name);
	}
	if (fflush(stdout) == EOF || ferror(stdout))
		err(1, "stdout");
	return 0;
}
