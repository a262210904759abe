/*
 * strto: for each line of stdin "BASE<tab>STRING", one output line
 *   "<strtol> <errno> <end>|<strtoul> <errno> <end>|<strtoll> ...|<strtoull> ..."
 * where <end> is how many bytes of STRING were consumed.  errno is cleared first.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
	char line[512];
	while (fgets(line, sizeof(line), stdin) != NULL) {
		char *s, *end;
		int base;
		size_t n = strlen(line);
		if (n && line[n - 1] == '\n')
			line[--n] = '\0';
		s = strchr(line, '\t');
		if (s == NULL)
			return 2;
		*s++ = '\0';
		base = atoi(line);

		errno = 0;
		long l = strtol(s, &end, base);
		printf("%ld %d %d|", l, errno, (int)(end - s));
		errno = 0;
		unsigned long ul = strtoul(s, &end, base);
		printf("%lu %d %d|", ul, errno, (int)(end - s));
		errno = 0;
		long long ll = strtoll(s, &end, base);
		printf("%lld %d %d|", ll, errno, (int)(end - s));
		errno = 0;
		unsigned long long ull = strtoull(s, &end, base);
		printf("%llu %d %d\n", ull, errno, (int)(end - s));
	}
	/* atoi/atol on the same kind of input */
	printf("atoi %d %d %d %ld\n", atoi("  -42abc"), atoi("+7"), atoi("x"), atol("123456"));
	return 0;
}
