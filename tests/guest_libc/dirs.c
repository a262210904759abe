/*
 * dirs DIR...: opendir/readdir/closedir: every name of each DIR, one per line
 * with its d_type ("name type"), then "count <n>"; for a DIR that cannot be
 * opened: "error <errno>".  rewinddir: the count again after a rewind.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char *argv[])
{
	int i;
	for (i = 1; i < argc; i++) {
		DIR *d = opendir(argv[i]);
		struct dirent *de;
		int n = 0, m = 0;
		if (d == NULL) {
			printf("error %d\n", errno);
			continue;
		}
		for (;;) {
			errno = 0;          /* printf may set it (isatty on stdout) */
			if ((de = readdir(d)) == NULL)
				break;
			if (strlen(de->d_name) != de->d_namlen)
				printf("BAD namlen %s\n", de->d_name);
			printf("%s %d\n", de->d_name, de->d_type);
			n++;
		}
		if (errno != 0)
			printf("readdir errno %d\n", errno);
		rewinddir(d);
		while (readdir(d) != NULL)
			m++;
		closedir(d);
		printf("count %d %d\n", n, m);
	}
	return 0;
}
