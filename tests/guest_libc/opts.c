/*
 * opts: getopt(argc, argv, argv[1]) over the remaining arguments.  Prints
 * "opt <c> arg <optarg|-> ind <optind>" for each option (c '?' or ':' with
 * "optopt <c>" on errors), then "rest <optind> <args...>".  getopt's own
 * messages go to stderr with the program name.
 */
#include <stdio.h>
#include <unistd.h>

int main(int argc, char *argv[])
{
	const char *optstring = argv[1];
	int c, i;

	argv[1] = argv[0];      /* getopt sees: argv[0] options... */
	while ((c = getopt(argc - 1, argv + 1, optstring)) != -1) {
		printf("opt %c arg %s ind %d", c, optarg ? optarg : "-", optind);
		if (c == '?' || c == ':')
			printf(" optopt %c", optopt);
		printf("\n");
		optarg = NULL;
	}
	printf("rest %d", optind);
	for (i = optind; i < argc - 1; i++)
		printf(" %s", argv[1 + i]);
	printf("\n");
	return 0;
}
