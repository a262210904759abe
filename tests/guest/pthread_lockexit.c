/* A thread ends holding the stdio lock (flockfile with no funlockfile, as the
 * POSIX suite's fork/11-1 does with ftrylockfile); exit(3) in main must still
 * end the process and flush what the thread left in stdout's buffer: NetBSD's
 * exit flushes through fflush(NULL), which walks the streams without taking
 * their locks.  A libc whose exit takes the lock waits forever. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void *
holder(void *arg)
{
    (void)arg;
    flockfile(stdout);
    fputs("thread: ends holding the stdio lock, ", stdout);   /* stays buffered */
    return NULL;
}

int
main(void)
{
    pthread_t t;
    static char buf[BUFSIZ];

    setvbuf(stdout, buf, _IOFBF, sizeof buf);
    fputs("main: joined, exit(0); ", stdout);
    if (pthread_create(&t, NULL, holder, NULL) != 0 || pthread_join(t, NULL) != 0)
        _exit(2);
    /* no stdio here: the lock belongs to the dead thread (NetBSD would wait too) */
    exit(0);
}
