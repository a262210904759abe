/*
 * echo -- write arguments to standard output (kw86 userland, from echo(1)
 * of NetBSD): arguments separated by single blanks, then a newline unless
 * the first argument is -n.
 */
#include <stdio.h>
#include <string.h>

int main(int argc, char *argv[])
{
	int nflag = 0;

	(void)argc;
	argv++;
	if (*argv != NULL && strcmp(*argv, "-n") == 0) {
		nflag = 1;
		argv++;
	}
	while (*argv != NULL) {
		fputs(*argv, stdout);
		if (*++argv != NULL)
			putchar(' ');
	}
	if (!nflag)
		putchar('\n');
	if (fflush(stdout) == EOF || ferror(stdout))
		return 1;
	return 0;
}
