/*
 * ipcrm -- remove System V message queues, semaphore sets and shared memory
 * segments (kw86 userland, after ipcrm(1) of NetBSD: its options, written
 * for this project).
 *
 *   ipcrm [-q msqid] [-m shmid] [-s semid] [-Q msgkey] [-M shmkey] [-S semkey] ...
 *
 * Each option removes one object, by id or by key (a number in C notation:
 * decimal, 0x hex, 0 octal), in the order given; a segment is only marked
 * and goes with its last detach.  An object that cannot be removed is
 * reported on stderr ("ipcrm: msqid(5): Invalid argument") and the others
 * are still done; the exit status is the number of failures.
 */
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

static void
usage(void)
{
	fprintf(stderr, "usage: ipcrm [-q msqid] [-m shmid] [-s semid]\n"
	    "             [-Q msgkey] [-M shmkey] [-S semkey] ...\n");
	exit(1);
}

static int
number(const char *s, long *v)
{
	char *end;

	errno = 0;
	*v = strtol(s, &end, 0);
	return *s != 0 && *end == 0 && errno == 0;
}

int
main(int argc, char *argv[])
{
	int c, fails = 0, r, id;
	long v;
	const char *what;

	while ((c = getopt(argc, argv, "q:m:s:Q:M:S:")) != -1) {
		if (!number(optarg, &v)) {
			warnx("%s: not a number", optarg);
			usage();
		}
		id = (int)v;
		what = c == 'q' || c == 'Q' ? "msq" : c == 'm' || c == 'M' ? "shm" : "sem";
		switch (c) {
		case 'Q':
		case 'M':
		case 'S':
			/* the object with this key (IPC_PRIVATE names none) */
			if ((key_t)v == IPC_PRIVATE) {
				warnx("%skey(%s): not a key", what, optarg);
				fails++;
				continue;
			}
			id = c == 'Q' ? msgget((key_t)v, 0) : c == 'M' ?
			    shmget((key_t)v, 0, 0) : semget((key_t)v, 0, 0);
			if (id < 0) {
				warn("%skey(%s)", what, optarg);
				fails++;
				continue;
			}
			break;
		case 'q':
		case 'm':
		case 's':
			break;
		default:
			usage();
		}
		if (c == 'q' || c == 'Q')
			r = msgctl(id, IPC_RMID, NULL);
		else if (c == 'm' || c == 'M')
			r = shmctl(id, IPC_RMID, NULL);
		else
			r = semctl(id, 0, IPC_RMID);
		if (r < 0) {
			warn("%s%s(%s)", what, c >= 'a' ? "id" : "key", optarg);
			fails++;
		}
	}
	if (optind < argc || argc == 1)
		usage();
	return fails;
}
