/* <langinfo.h>, <nl_types.h> and gencat(1) as NetBSD has them, and NetBSD's
 * two-argument setpgrp.  Run as: posix_nls DIR, DIR a writable directory
 * that holds py.cat (a catalogue the host test wrote in NetBSD's format).
 * Leaves DIR/t.cat (gencat's output) for the host test to parse.  Prints
 * "ok ..." / "FAIL ..." per check and "done N" (N failures). */
#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <nl_types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

static int fails;

static void
check(int cond, const char *what)
{
	printf("%s %s\n", cond ? "ok" : "FAIL", what);
	if (!cond)
		fails++;
}

static void
check_str(const char *got, const char *want, const char *what)
{
	char line[256];

	snprintf(line, sizeof(line), "%s: [%s] want [%s]", what, got ? got : "(null)", want);
	check(got != NULL && strcmp(got, want) == 0, line);
}

static const char *const want_items[57] = {
	"%a %b %e %H:%M:%S %Y", "%m/%d/%y", "%H:%M:%S", "%I:%M:%S %p", "AM", "PM",
	"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat",
	"January", "February", "March", "April", "May", "June", "July", "August",
	"September", "October", "November", "December",
	"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
	".", "", "yes", "^[Yy]", "no", "^[Nn]", "", "646", "", "", "", "", "",
};

static void
langinfo(void)
{
	int i, bad = 0;

	for (i = 0; i < 57; i++) {
		const char *s = nl_langinfo(i);

		if (s == NULL || strcmp(s, want_items[i]) != 0) {
			printf("  item %d: [%s] want [%s]\n", i, s ? s : "(null)", want_items[i]);
			bad++;
		}
	}
	check(bad == 0, "nl_langinfo: the 57 items of NetBSD's C locale");
	check(D_T_FMT == 0 && CODESET == 51 && ALT_DIGITS == 56 && RADIXCHAR == 44,
	    "langinfo.h: NetBSD's item numbers");
	check_str(nl_langinfo(-1), "", "nl_langinfo(-1)");
	check_str(nl_langinfo(57), "", "nl_langinfo(57)");
	check_str(nl_langinfo(100000), "", "nl_langinfo(100000)");
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL) {
		printf("FAIL cannot write %s: %s\n", path, strerror(errno));
		fails++;
		return;
	}
	fputs(text, f);
	fclose(f);
}

static void
want_msg(nl_catd c, int set, int msg, const char *want, const char *what)
{
	char line[160];
	const char *s;

	errno = 0;
	s = catgets(c, set, msg, "DEFAULT");
	snprintf(line, sizeof(line), "%s: catgets(%d, %d)", what, set, msg);
	check_str(s, want, line);
	if (strcmp(want, "DEFAULT") == 0) {
		snprintf(line, sizeof(line), "%s: catgets(%d, %d) errno %d == ENOMSG", what, set,
		    msg, errno);
		check(errno == ENOMSG, line);
	}
}

static void
catalogues(const char *dir)
{
	char src[512], cat[512], cmd[1200], path[512];
	nl_catd c, c2;
	int st;
	pid_t pid;

	/* a catalogue the host wrote in NetBSD's layout */
	snprintf(path, sizeof(path), "%s/py.cat", dir);
	c = catopen(path, 0);
	check(c != (nl_catd)-1, "catopen of the host-written catalogue");
	if (c != (nl_catd)-1) {
		want_msg(c, 1, 1, "one", "host catalogue");
		want_msg(c, 1, 7, "seven", "host catalogue");
		want_msg(c, 4, 2, "four.two", "host catalogue");
		want_msg(c, 4, 3, "DEFAULT", "host catalogue");
		want_msg(c, 2, 1, "DEFAULT", "host catalogue");
		check(catclose(c) == 0, "catclose");
	}

	/* gencat from a source with every construct */
	snprintf(src, sizeof(src), "%s/t.msg", dir);
	snprintf(cat, sizeof(cat), "%s/t.cat", dir);
	write_file(src,
	    "$ a comment\n"
	    "$\n"
	    "1 default set\n"
	    "\n"
	    "$set 3 the third set\n"
	    "1 tabs\\there\\nnewline \\\\ back\\101\\060\n"
	    "2 continued \\\n"
	    "line\n"
	    "3 \n"
	    "4 gone\n"
	    "4\n"
	    "$quote \"\n"
	    "5 \"  spaced \\\"q\\\"  \"\n"
	    "$set 2\n"
	    "9 in set two\n"
	    "$set 7\n"
	    "1 set seven\n"
	    "$delset 7 removed again\n"
	    "$set 200\n"
	    "2 two\n"
	    "1 one\n");
	snprintf(cmd, sizeof(cmd), "gencat %s %s", cat, src);
	st = system(cmd);
	check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "gencat exits 0");
	c = catopen(cat, 0);
	check(c != (nl_catd)-1, "catopen of gencat's catalogue by path");
	if (c != (nl_catd)-1) {
		want_msg(c, NL_SETD, 1, "default set", "gencat");
		want_msg(c, 3, 1, "tabs\there\nnewline \\ backA0", "gencat escapes");
		want_msg(c, 3, 2, "continued line", "gencat continuation");
		want_msg(c, 3, 3, "", "gencat empty message");
		want_msg(c, 3, 4, "DEFAULT", "gencat deleted message");
		want_msg(c, 3, 5, "  spaced \"q\"  ", "gencat $quote");
		want_msg(c, 2, 9, "in set two", "gencat");
		want_msg(c, 7, 1, "DEFAULT", "gencat $delset");
		want_msg(c, 200, 1, "one", "gencat sorted");
		want_msg(c, 200, 2, "two", "gencat sorted");
		want_msg(c, 0, 1, "DEFAULT", "gencat set 0");

		/* the descriptor is inherited by a fork child (fork/7-1) */
		pid = fork();
		if (pid == 0) {
			const char *s = catgets(c, 3, 2, "x");
			_exit(strcmp(s, "continued line") == 0 ? 0 : 1);
		}
		check(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
		    WEXITSTATUS(st) == 0, "the catalogue read in a fork child");
		check(catclose(c) == 0, "catclose");
	}

	/* merging: an existing catalogue keeps its messages, the source wins */
	write_file(src, "$set 2\n9 replaced\n10 new\n$set 3\n1\n");
	st = system(cmd);
	check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "gencat into an existing catalogue");
	c = catopen(cat, 0);
	if (c != (nl_catd)-1) {
		want_msg(c, 2, 9, "replaced", "gencat merge");
		want_msg(c, 2, 10, "new", "gencat merge");
		want_msg(c, 3, 1, "DEFAULT", "gencat merge delete");
		want_msg(c, 3, 2, "continued line", "gencat merge keeps");
		want_msg(c, 200, 2, "two", "gencat merge keeps");
		catclose(c);
	} else {
		check(0, "catopen after the merge");
	}

	/* a bad source: exit 1, catalogue untouched */
	snprintf(path, sizeof(path), "%s/bad.msg", dir);
	write_file(path, "$set 256\n1 x\n");
	snprintf(cmd, sizeof(cmd), "gencat %s/bad.cat %s 2>/dev/null", dir, path);
	st = system(cmd);
	check(WIFEXITED(st) && WEXITSTATUS(st) == 1, "gencat: set 256 is an error (exit 1)");
	snprintf(path, sizeof(path), "%s/bad.cat", dir);
	{
		struct stat sb;

		/* NetBSD's gencat creates a new catfile before reading the sources */
		check(stat(path, &sb) == 0 && sb.st_size == 0,
		    "gencat: a new catfile is left empty after an error");
	}
	/* an existing catalogue is left as it was after an error */
	snprintf(path, sizeof(path), "%s/bad.msg", dir);
	snprintf(cmd, sizeof(cmd), "gencat %s %s 2>/dev/null", cat, path);
	st = system(cmd);
	c = catopen(cat, 0);
	check(WIFEXITED(st) && WEXITSTATUS(st) == 1 && c != (nl_catd)-1 &&
	    strcmp(catgets(c, 2, 10, "x"), "new") == 0,
	    "gencat: an existing catalogue is unchanged after an error");
	if (c != (nl_catd)-1)
		catclose(c);

	/* catopen by name through NLSPATH: %N, %L ("C" without LANG), %% */
	snprintf(path, sizeof(path), "%s/C", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/C/t%%x.cat", dir);
	snprintf(cmd, sizeof(cmd), "cp %s %s", cat, path);
	st = system(cmd);
	check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "cp the catalogue");
	snprintf(path, sizeof(path), "/nonexistent/%%N:%s/%%L/%%N%%%%x.cat", dir);
	setenv("NLSPATH", path, 1);
	unsetenv("LANG");
	c = catopen("t", 0);
	check(c != (nl_catd)-1, "catopen(\"t\") through NLSPATH");
	if (c != (nl_catd)-1) {
		want_msg(c, 2, 10, "new", "NLSPATH");
		catclose(c);
	}
	c = catopen("t", NL_CAT_LOCALE);
	check(c != (nl_catd)-1, "catopen(\"t\", NL_CAT_LOCALE) through NLSPATH");
	if (c != (nl_catd)-1)
		catclose(c);
	setenv("LANG", "xx_YY", 1);
	errno = 0;
	c = catopen("t", 0);
	check(c == (nl_catd)-1 && errno == ENOENT, "catopen with LANG=xx_YY: -1, ENOENT");
	c2 = catopen("t", NL_CAT_LOCALE);
	check(c2 != (nl_catd)-1, "NL_CAT_LOCALE uses LC_MESSAGES (\"C\"), not LANG");
	if (c2 != (nl_catd)-1)
		catclose(c2);
	unsetenv("LANG");

	/* failures */
	errno = 0;
	c = catopen("/nonexistent/x.cat", 0);
	check(c == (nl_catd)-1 && errno == ENOENT, "catopen of a missing file: -1, ENOENT");
	snprintf(path, sizeof(path), "%s/t.msg", dir);
	errno = 0;
	c = catopen(path, 0);
	check(c == (nl_catd)-1 && errno == EFTYPE, "catopen of a text file: -1, EFTYPE");
	check(catopen("", 0) == (nl_catd)-1, "catopen(\"\"): -1");
	check(catopen(NULL, 0) == (nl_catd)-1, "catopen(NULL): -1");
	errno = 0;
	check(strcmp(catgets((nl_catd)-1, 1, 1, "d"), "d") == 0 && errno == EBADF,
	    "catgets((nl_catd)-1): the default, EBADF");
	errno = 0;
	check(catclose((nl_catd)-1) == -1 && errno == EBADF, "catclose((nl_catd)-1): EBADF");

	/* a damaged catalogue (right magic, offsets past the end) */
	snprintf(path, sizeof(path), "%s/damaged.cat", dir);
	{
		static const unsigned char d[] = {
			0xff, 0x88, 0xff, 0x89, 0, 0, 0, 1, 0, 0, 0, 0x20, 0x7f, 0, 0, 0,
			0x7f, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0,
		};
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		write(fd, d, sizeof(d));
		close(fd);
	}
	c = catopen(path, 0);
	check(c != (nl_catd)-1, "catopen of a damaged catalogue (the magic is right)");
	if (c != (nl_catd)-1) {
		want_msg(c, 1, 1, "DEFAULT", "damaged catalogue");
		catclose(c);
	}
}

static void
pgrp(void)
{
	pid_t pid;
	int st;

	pid = fork();
	if (pid == 0) {
		if (setpgrp(0, 0) != 0)
			_exit(1);
		_exit(getpgrp() == getpid() ? 0 : 2);
	}
	check(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "setpgrp(0, 0) makes a process group leader");
	errno = 0;
	check(setpgrp(0, -1) == -1 && errno == EINVAL, "setpgrp(0, -1): EINVAL");
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: posix_nls DIR\n");
		return 2;
	}
	langinfo();
	catalogues(argv[1]);
	pgrp();
	printf("done %d\n", fails);
	return fails != 0;
}
