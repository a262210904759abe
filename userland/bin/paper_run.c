/*
 * paper_run -- run a command as a process or as a kernelware, N times in a
 * row, optionally timing each run with rdtsc (the paper's Fig. 7: an
 * unmodified `ls` timed as a whole).
 *
 *   paper_run [-k] [-t] [-n N] [-o FILE] CMD [ARGS...]
 *
 * Each run is fork, execvp(CMD) in the child, wait4 in the parent.
 *   -k       switch to kernel mode first (switch_to_kernel_mode(), the
 *            paper's partial kernelware), so every child is exec'd as a
 *            kernelware: the same binary, its system calls made as calls;
 *            back to user mode at the end
 *   -t       time each run: rdtsc just before fork and just after wait4
 *            returns, the region bracketed by bench_mark(); prints
 *            "paper_run CMD run I cycles C" for each run, after the last
 *   -n N     N runs (default 1); keeping or dropping the first (a warm-up)
 *            is the caller's choice
 *   -o FILE  the child's standard output goes to FILE (e.g. /dev/null)
 *
 * Exits 1 if a run did not exit 0 (or the mode switch failed), after
 * saying which.
 */
#include <sys/types.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <kernelware.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/bench.h"

static void usage(void)
{
	fprintf(stderr, "usage: paper_run [-k] [-t] [-n count] [-o file] command [arg ...]\n");
	exit(1);
}

int main(int argc, char *argv[])
{
	const char *out = NULL;
	unsigned long long t0, *cycles;
	int kernel = 0, timed = 0, ch, status, bad = 0;
	long n = 1, i;
	pid_t pid;

	while ((ch = getopt(argc, argv, "ktn:o:")) != -1) {
		switch (ch) {
		case 'k':
			kernel = 1;
			break;
		case 't':
			timed = 1;
			break;
		case 'n':
			n = bench_count(optarg, "count");
			break;
		case 'o':
			out = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	if ((cycles = calloc((size_t)n, sizeof(*cycles))) == NULL)
		err(1, NULL);
	if (kernel && switch_to_kernel_mode() < 0)
		err(1, "switch_to_kernel_mode");
	fflush(stdout);
	for (i = 0; i < n; i++) {
		if (timed) {
			bench_mark();
			t0 = rdtsc();
		}
		if ((pid = fork()) < 0)
			err(1, "fork");
		if (pid == 0) {
			if (out != NULL) {
				int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);

				if (fd < 0 || dup2(fd, 1) < 0)
					err(127, "%s", out);
				if (fd != 1)
					close(fd);
			}
			execvp(argv[0], argv);
			err(127, "%s", argv[0]);
		}
		if (waitpid(pid, &status, 0) < 0)
			err(1, "waitpid");
		if (timed) {
			cycles[i] = rdtsc() - t0;
			bench_mark();
		}
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			warnx("%s: run %ld: status %#x", argv[0], i + 1, status);
			bad = 1;
		}
	}
	if (kernel && switch_to_user_mode() < 0)
		err(1, "switch_to_user_mode");
	if (timed)
		for (i = 0; i < n; i++)
			printf("paper_run %s run %ld cycles %llu\n", argv[0], i + 1, cycles[i]);
	free(cycles);
	return bad;
}
