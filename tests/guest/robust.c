/* Guest helper for tests/test_nbsd_robust.py. */
#include <string.h>

static int depth(int n)
{
	volatile char b[256];
	b[0] = (char)n;
	return depth(n + 1) + b[0];
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";
	if (strcmp(what, "recurse") == 0)
		return depth(0);
	return 2;
}
