/* kw86 exec --profile (tests/test_nbsd_profile.py): a deep call chain with a
 * hot leaf, a cold sibling, a system call per round and a forked child
 * running the same chain.  argv[1]: rounds (default 10). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

volatile unsigned sink;

__attribute__((noinline)) unsigned prof_leaf(unsigned n)
{
	unsigned s = 0, i;
	for (i = 0; i < n; i++)
		s += (i * i) ^ (s >> 3);
	return s;
}

__attribute__((noinline)) unsigned prof_level3(unsigned n) { return prof_leaf(n) + sink; }
__attribute__((noinline)) unsigned prof_level2(unsigned n) { return prof_level3(n) + sink; }
__attribute__((noinline)) unsigned prof_level1(unsigned n) { return prof_level2(n) + sink; }

__attribute__((noinline)) unsigned prof_cold(unsigned n)
{
	unsigned s = 1, i;
	for (i = 0; i < n; i++)
		s = s * 3 + i;
	return s;
}

__attribute__((noinline)) void prof_child(int rounds)
{
	int r;
	for (r = 0; r < rounds; r++)
		sink += prof_level1(1000);
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 10, r, st;
	pid_t pid;
	for (r = 0; r < rounds; r++) {
		sink += prof_level1(2000);
		sink += prof_cold(50);
		sink += getpid();
	}
	pid = fork();
	if (pid == 0) {
		prof_child(rounds);
		_exit(0);
	}
	waitpid(pid, &st, 0);
	printf("done %d\n", WEXITSTATUS(st));
	return 0;
}
