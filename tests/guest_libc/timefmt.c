/*
 * timefmt FORMAT TIME...: strftime(FORMAT, gmtime(TIME)) and
 * strftime(FORMAT, localtime(TIME)) (TZ is unset: UTC) for each TIME, one
 * line each: "<length>|<text>|<localtime text>".  Then the struct tm fields of
 * gmtime for each TIME, and "small <n> <buf>" for a buffer too small.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(int argc, char *argv[])
{
	char buf[512], lbuf[512];
	int i;

	for (i = 2; i < argc; i++) {
		time_t t = (time_t)strtoll(argv[i], NULL, 10);
		struct tm tm = *gmtime(&t);
		size_t n = strftime(buf, sizeof(buf), argv[1], &tm);
		strftime(lbuf, sizeof(lbuf), argv[1], localtime(&t));
		printf("%zu|%s|%s\n", n, buf, lbuf);
		printf("tm %d %d %d %d %d %d %d %d\n", tm.tm_year, tm.tm_mon, tm.tm_mday,
		    tm.tm_hour, tm.tm_min, tm.tm_sec, tm.tm_wday, tm.tm_yday);
		printf("mktime %lld\n", (long long)mktime(&tm));
	}
	{
		time_t t = 0;
		memset(buf, '#', sizeof(buf));
		size_t n = strftime(buf, 5, "%Y-%m-%d", gmtime(&t));
		printf("small %zu %s\n", n, buf[5] == '#' ? "intact" : "OVERRUN");
	}
	{
		time_t before = time(NULL), t2;
		printf("time %s\n", before > 1600000000 && time(&t2) >= before && t2 >= before ?
		    "plausible" : "WRONG");
	}
	return 0;
}
