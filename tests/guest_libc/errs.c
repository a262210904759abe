/*
 * errs MODE: the err(3)/warn(3) family, perror and strerror.
 *   warn: the whole family in turn (except the exiting ones), on stderr
 *   err, errx, errc: exit through each with status 3
 *   strerror: "<n> <text>" for some numbers on stdout
 */
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char *argv[])
{
	const char *mode = argc > 1 ? argv[1] : "warn";
	int nums[] = { 0, EPERM, ENOENT, EACCES, EEXIST, ENOTDIR, EISDIR, EINVAL, ENOSPC,
	    ENAMETOOLONG, ENOSYS, 9999, -1 };
	size_t i;

	if (strcmp(mode, "warn") == 0) {
		errno = ENOENT;
		warn("file %s", "x");
		errno = EACCES;
		warn(NULL);
		warnx("plain %d", 5);
		warnc(EEXIST, "with code");
		errno = ENOTDIR;
		perror("perror");
		perror(NULL);
		printf("stdout\n");
		return 0;
	}
	if (strcmp(mode, "err") == 0) {
		errno = EISDIR;
		err(3, "%s", "dir");
	}
	if (strcmp(mode, "errx") == 0)
		errx(3, "no errno %s", "here");
	if (strcmp(mode, "errc") == 0)
		errc(3, ENOSPC, "full");
	if (strcmp(mode, "strerror") == 0) {
		for (i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
			printf("%d %s\n", nums[i], strerror(nums[i]));
		return 0;
	}
	return 9;
}
