/*
 * modunload -- unload a kernel module (kw86 userland, after NetBSD's
 * modunload(8)).
 *
 *	modunload name
 *
 * modctl(MODCTL_UNLOAD, name); root only.  Unloading `kernelware` while a
 * process runs in the kernelware emulation fails with EBUSY; unloading
 * `kwhook` puts back every IDT entry it replaced.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/module.h>

int
main(int argc, char *argv[])
{
	while (getopt(argc, argv, "") != -1)
		goto usage;
	argc -= optind;
	argv += optind;
	if (argc != 1)
		goto usage;
	if (modctl(MODCTL_UNLOAD, argv[0]) != 0)
		err(EXIT_FAILURE, "%s", argv[0]);
	return EXIT_SUCCESS;
usage:
	fprintf(stderr, "usage: modunload name\n");
	return EXIT_FAILURE;
}
