/*
 * modstat -- list the loaded kernel modules (kw86 userland, after NetBSD's
 * modstat(8)).
 *
 *	modstat [name]
 *
 * modctl(MODCTL_STAT) with a struct iovec: the kernel fills the buffer with
 * modstat_t records (the strings of required modules after them) and sets
 * iov_len to the size the whole list needs; a buffer too small is grown
 * and the call repeated.  One line per module: name, class, source,
 * flags, references (for `kernelware`: the processes in its emulation),
 * size, required modules.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/module.h>

static const char *const classes[] = {
	"any", "misc", "vfs", "driver", "exec", "secmodel", "bufq"
};
static const char *const sources[] = { "builtin", "boot", "filesys" };

int
main(int argc, char *argv[])
{
	struct iovec iov;
	modstat_t *ms;
	size_t len = 4096, n, i;
	char *buf;

	while (getopt(argc, argv, "") != -1) {
		fprintf(stderr, "usage: modstat [name]\n");
		return EXIT_FAILURE;
	}
	argc -= optind;
	argv += optind;
	for (;;) {
		if ((buf = malloc(len)) == NULL)
			err(EXIT_FAILURE, "malloc");
		iov.iov_base = buf;
		iov.iov_len = len;
		if (modctl(MODCTL_STAT, &iov) != 0)
			err(EXIT_FAILURE, "modctl");
		if (iov.iov_len <= len)
			break;
		len = iov.iov_len;
		free(buf);
	}
	printf("%-16s %-8s %-7s %4s %4s %7s %s\n", "NAME", "CLASS", "SOURCE", "FLAG",
	    "REFS", "SIZE", "REQUIRES");
	n = 0;
	for (ms = (modstat_t *)buf; (char *)(ms + 1) <= buf + iov.iov_len &&
	    ms->ms_name[0] != '\0'; ms++)
		n++;
	ms = (modstat_t *)buf;
	for (i = 0; i < n; i++, ms++) {
		const char *req = buf + ms->ms_reqoffset;

		if (argc > 0 && strcmp(argv[0], ms->ms_name) != 0)
			continue;
		printf("%-16s %-8s %-7s %4s %4u %7s %s\n", ms->ms_name,
		    ms->ms_class < sizeof(classes) / sizeof(classes[0]) ?
		    classes[ms->ms_class] : "?",
		    ms->ms_source < sizeof(sources) / sizeof(sources[0]) ?
		    sources[ms->ms_source] : "?",
		    "-", ms->ms_refcnt, ms->ms_size ? "?" : "-",
		    req[0] != '\0' ? req : "-");
	}
	free(buf);
	return EXIT_SUCCESS;
}
