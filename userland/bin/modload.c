/*
 * modload -- load a kernel module (kw86 userland, after NetBSD's modload(8)).
 *
 *	modload [-f] module
 *
 * The module is named by its name or a path to it (its last component,
 * ".kmod" dropped, names it): kw86's kernel has two, `kernelware` (the
 * kernelware emulation) and `kwhook` (the preemption hook).  Through
 * modctl(MODCTL_LOAD) with a modctl_load_t, as NetBSD's modload does; root
 * only.  -f: MODCTL_LOAD_FORCE (accepted; kw86's modules need no forcing).
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/module.h>

static void
usage(void)
{
	fprintf(stderr, "usage: modload [-f] module\n");
	exit(EXIT_FAILURE);
}

int
main(int argc, char *argv[])
{
	modctl_load_t ml;
	int ch, flags = MODCTL_NO_PROP;

	while ((ch = getopt(argc, argv, "f")) != -1) {
		switch (ch) {
		case 'f':
			flags |= MODCTL_LOAD_FORCE;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1)
		usage();
	memset(&ml, 0, sizeof(ml));
	ml.ml_filename = argv[0];
	ml.ml_flags = flags;
	if (modctl(MODCTL_LOAD, &ml) != 0)
		err(EXIT_FAILURE, "%s", argv[0]);
	return EXIT_SUCCESS;
}
