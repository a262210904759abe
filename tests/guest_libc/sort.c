/*
 * sort: qsort on the integers read from stdin (one per line), printed sorted,
 * then the same numbers sorted as strings (strcmp) in descending order, then
 * 1- and 3-byte elements.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int calls;

static int cmp_int(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;
	calls++;
	return x < y ? -1 : x > y;
}

static int cmp_str_desc(const void *a, const void *b)
{
	return strcmp(*(char *const *)b, *(char *const *)a);
}

static int cmp_char(const void *a, const void *b)
{
	return *(const unsigned char *)a - *(const unsigned char *)b;
}

static int cmp_three(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

int main(void)
{
	char line[64];
	long *v = NULL;
	char **s = NULL;
	size_t n = 0, cap = 0, i;

	while (fgets(line, sizeof(line), stdin) != NULL) {
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			v = realloc(v, cap * sizeof(*v));
			s = realloc(s, cap * sizeof(*s));
			if (v == NULL || s == NULL)
				return 3;
		}
		line[strcspn(line, "\n")] = '\0';
		v[n] = strtol(line, NULL, 10);
		s[n] = strdup(line);
		n++;
	}
	qsort(v, n, sizeof(*v), cmp_int);
	for (i = 0; i < n; i++)
		printf("%ld\n", v[i]);
	printf("--\n");
	qsort(s, n, sizeof(*s), cmp_str_desc);
	for (i = 0; i < n; i++)
		printf("%s\n", s[i]);
	printf("-- %zu\n", n);
	/* element sizes that are not a multiple of 4 */
	{
		char b[] = "qwertyuiopasdfghjklzxcvbnm";
		struct three { char c[3]; } t[5] = { {"ee"}, {"aa"}, {"dd"}, {"bb"}, {"cc"} };
		qsort(b, strlen(b), 1, cmp_char);
		qsort(t, 5, sizeof(t[0]), cmp_three);
		printf("%s", b);
		for (i = 0; i < 5; i++)
			printf(" %s", t[i].c);
		printf("\n");
	}
	return 0;
}
