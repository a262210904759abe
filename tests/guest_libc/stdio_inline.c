/*
 * getc/putc as <stdio.h>'s inline macros: every way a stream can stop being
 * "simply buffered" (pushback, a direction switch, a seek, another buffering
 * mode, the buffer's end) must send them to the functions.  Prints one line
 * per check; tests/test_libc_guest.py computes the expected values.
 *
 *   stdio_inline FILE
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N 20000                 /* more than two BUFSIZ buffers */

static int byte_at(long i) { return (int)((i * 7 + i / 251) & 0xff); }

int main(int argc, char **argv)
{
	FILE *f;
	long i, bad, sum;
	int c, c2, c3, c4;
	char line[64];

	if (argc != 2)
		return 2;
	/* 1. putc of every byte value (0xff must not read as EOF), across buffers */
	f = fopen(argv[1], "w+");
	if (f == NULL)
		return 3;
	bad = 0;
	for (i = 0; i < N; i++)
		if (putc(byte_at(i), f) != byte_at(i))
			bad++;
	printf("putc bad %ld tell %ld\n", bad, ftell(f));
	/* 2. back to the start: getc reads it all, through buffer refills */
	rewind(f);
	bad = 0;
	for (i = 0; i < N; i++)
		if (getc(f) != byte_at(i))
			bad++;
	c = getc(f);
	printf("getc bad %ld end %d eof %d\n", bad, c, feof(f) != 0);
	/* 3. pushback in the buffer (after a read) and at its start (after a seek) */
	fseek(f, 100, SEEK_SET);
	c = getc(f);
	ungetc('Q', f);
	c2 = getc(f);
	c3 = getc(f);
	printf("ungetc mid %d %c %d tell %ld\n", c == byte_at(100), c2, c3 == byte_at(101),
	    ftell(f));
	fseek(f, 8192, SEEK_SET);
	ungetc('R', f);
	printf("ungetc start tell %ld", ftell(f));
	c = getc(f);
	c2 = getc(f);
	printf(" %c %d tell %ld\n", c, c2 == byte_at(8192), ftell(f));
	/* 4. getc, fread and ftell agree */
	fseek(f, 5, SEEK_SET);
	sum = getc(f);
	{
		unsigned char b[3];
		size_t k = fread(b, 1, 3, f);
		sum += (long)k + b[0] + b[1] + b[2];
	}
	printf("mix %ld tell %ld\n", sum, ftell(f));
	/* 5. reading, then writing with putc, then reading again (r+ semantics:
	 *    a seek between the directions) */
	fseek(f, 10, SEEK_SET);
	(void)getc(f);
	fseek(f, 0, SEEK_CUR);
	putc('A', f);
	putc('B', f);
	fseek(f, 10, SEEK_SET);
	c = getc(f);
	c2 = getc(f);
	c3 = getc(f);
	c4 = getc(f);
	printf("rw %d %c %c %d\n", c == byte_at(10), c2, c3, c4 == byte_at(13));
	fclose(f);
	/* 6. unbuffered and line-buffered streams still work through the macros */
	f = fopen(argv[1], "w+");
	setvbuf(f, NULL, _IONBF, 0);
	putc('u', f);
	putc('n', f);
	setvbuf(f, NULL, _IOLBF, 0);
	fputs("-l", f);
	putc('\n', f);
	fseek(f, 0, SEEK_SET);
	printf("modes %s", fgets(line, sizeof(line), f));
	fclose(f);
	/* 7. putchar/getchar on the standard streams */
	for (i = 0; i < 3; i++)
		putchar("ok\n"[i]);
	sum = 0;
	while ((c = getchar()) != EOF)
		sum += c;
	printf("stdin %ld\n", sum);
	return 0;
}
