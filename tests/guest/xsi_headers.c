/* Declarations a program finds where NetBSD's headers put them: with
 * _XOPEN_SOURCE, <fcntl.h> brings the S_I* mode bits (NetBSD's sys/fcntl.h
 * includes <sys/stat.h>), and <signal.h> declares pthread_sigmask and
 * pthread_kill.  No other header is included on purpose: the program
 * failing to compile is the failure.  Prints "done 0" when the calls work. */
#define _XOPEN_SOURCE 600
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>

int
main(void)
{
	sigset_t set, old;
	int fails = 0;
	mode_t m = S_IRUSR | S_IWUSR | S_IRGRP | S_IROTH;

	if (m != 0644)
		fails++, printf("FAIL S_I* bits %o\n", (unsigned)m);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
		fails++, printf("FAIL pthread_sigmask\n");
	if (pthread_sigmask(SIG_SETMASK, NULL, &old) != 0 || !sigismember(&old, SIGUSR1))
		fails++, printf("FAIL pthread_sigmask did not block SIGUSR1\n");
	printf("done %d\n", fails);
	return fails != 0;
}
