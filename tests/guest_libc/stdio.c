/*
 * stdio FILE: buffering and file streams.  Writes a transcript to stdout; the
 * interleaving of stdio output with direct write(2) calls shows each stream's
 * buffering (stdout on a file is fully buffered, stderr unbuffered, _IONBF and
 * _IOLBF as asked).  FILE is a scratch file the program creates.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char *argv[])
{
	const char *path = argc > 1 ? argv[1] : "/tmp/stdio.txt";
	char line[128], *lp = NULL;
	size_t cap = 0;
	FILE *f;
	int c, i;
	long pos;

	/* 1. stdout on a file: fully buffered, so the write(2) comes first */
	printf("A");
	write(1, "B", 1);
	printf("C\n");
	fflush(stdout);
	/* 2. unbuffered */
	setvbuf(stdout, NULL, _IONBF, 0);
	printf("D");
	write(1, "E", 1);
	printf("F\n");
	/* 3. line buffered: flushed at the newline */
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("G\nH");
	write(1, "I", 1);
	printf("J\n");
	setvbuf(stdout, NULL, _IOFBF, 0);

	/* 4. a file: write, read back, seek, tell, ungetc, EOF */
	f = fopen(path, "w+");
	if (f == NULL) {
		printf("fopen %d\n", errno);
		return 1;
	}
	for (i = 0; i < 1000; i++)
		fprintf(f, "line %04d\n", i);
	printf("ftell %ld\n", ftell(f));
	rewind(f);
	fgets(line, sizeof(line), f);
	printf("first %s", line);
	fseek(f, -10, SEEK_END);
	fgets(line, sizeof(line), f);
	printf("last %s", line);
	c = fgetc(f);			/* before feof: argument order is unspecified */
	printf("eof %d %d\n", c == EOF, feof(f) != 0);
	clearerr(f);
	fseek(f, 5, SEEK_SET);
	c = fgetc(f);
	ungetc('X', f);
	pos = ftell(f);
	printf("ungetc %c %ld", c, pos);
	c = fgetc(f);
	printf(" %c %ld\n", c, ftell(f));
	fseek(f, 0, SEEK_SET);
	fputs("LINE", f);
	fflush(f);
	pos = ftell(f);
	fclose(f);
	printf("pos %ld\n", pos);
	/* 5. append and getline */
	f = fopen(path, "a");
	fputs("appended\n", f);
	fclose(f);
	f = fopen(path, "r");
	i = 0;
	ssize_t n, longest = 0;
	while ((n = getline(&lp, &cap, f)) != -1) {
		i++;
		if (n > longest)
			longest = n;
	}
	printf("getline %d %ld %s", i, (long)longest, lp);
	fclose(f);
	free(lp);
	/* 6. a line longer than any internal buffer, read back in pieces */
	f = fopen(path, "w+");
	for (i = 0; i < 20000; i++)
		fputc('a' + i % 26, f);
	fputc('\n', f);
	rewind(f);
	{
		int pieces = 0, total = 0;
		while (fgets(line, sizeof(line), f) != NULL) {
			pieces++;
			total += (int)strlen(line);
		}
		printf("pieces %d total %d\n", pieces, total);
	}
	fclose(f);
	/* 7. errors */
	f = fopen("/nonexistent/x", "r");
	printf("fopen missing %s %d\n", f ? "ptr" : "NULL", errno);
	f = fopen(path, "r");
	errno = 0;
	c = fputc('x', f);
	printf("fputc on read-only %d %d\n", c, ferror(f) != 0);
	fclose(f);
	/* 8. fdopen, fileno, dprintf, sscanf-free number parsing via snprintf */
	{
		int fd = open(path, O_RDONLY);
		FILE *g = fdopen(fd, "r");
		printf("fileno %d\n", fileno(g) == fd);
		fclose(g);
		fflush(stdout);
		dprintf(1, "dprintf %d\n", 42);
	}
	/* 9. asprintf of a long string */
	{
		char *s = NULL, *big = malloc(100001);
		memset(big, 'z', 100000);
		big[100000] = '\0';
		int r = asprintf(&s, "<%s>", big);
		printf("asprintf %d %zu %c%c\n", r, strlen(s), s[0], s[100001]);
		free(s);
		free(big);
	}
	remove(path);
	fprintf(stderr, "to stderr\n");
	return 0;
}
