/*
 * A process-directed signal must survive the LWP it was meant for
 * (tests/test_nbsd_lwp_sigexit.py).  NetBSD keeps a process-directed signal
 * on the process; any LWP that does not block it takes it, so one left
 * pending when an LWP blocks it, is suspended or exits goes to another.
 *
 * main blocks SIGUSR1 throughout; a sleeper thread unblocks it and waits in
 * sigsuspend; each round a worker unblocks it, spins on system calls, and
 * main posts SIGUSR1 to the process while the worker is runnable (so the
 * kernel wakes nobody), then tells the worker to stop: the worker blocks
 * SIGUSR1 (or, in the "exit" rounds, just exits) - if it did not take the
 * signal first, the sleeper must.  The handler posts a semaphore main waits
 * for with a timeout.  One line per failed round, then "done N" (failures).
 */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 40

static sem_t done;
static volatile int ready, stop, taken;
static volatile pthread_t taker;

static void handler(int sig)
{
    (void)sig;
    taker = pthread_self();
    taken++;
    sem_post(&done);
}

static void unblock(int how)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    pthread_sigmask(how, &s, NULL);
}

static void *sleeper(void *a)
{
    sigset_t none;
    (void)a;
    sigemptyset(&none);
    for (;;)
        sigsuspend(&none);          /* takes SIGUSR1 when nobody else does */
    return NULL;
}

static void *worker(void *a)
{
    int mode = (int)(long)a;
    unblock(SIG_UNBLOCK);
    ready = 1;
    while (!stop)
        (void)getppid();            /* system calls: preempted at their exit */
    if (mode == 0)
        unblock(SIG_BLOCK);         /* then it can no longer take it */
    return NULL;                    /* _lwp_exit */
}

int main(void)
{
    struct sigaction sa;
    pthread_t s, w;
    int fails = 0, r, mode;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    sem_init(&done, 0, 0);
    unblock(SIG_BLOCK);             /* main never takes it; threads inherit */
    pthread_create(&s, NULL, sleeper, NULL);
    for (r = 0; r < ROUNDS; r++) {
        struct timespec ts;
        int got;
        mode = r & 1;               /* 0: worker blocks it then exits; 1: exits */
        ready = stop = 0;
        pthread_create(&w, NULL, worker, (void *)(long)mode);
        while (!ready)
            sched_yield();
        kill(getpid(), SIGUSR1);    /* the worker is runnable: nobody is woken */
        stop = 1;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 5;
        while ((got = sem_timedwait(&done, &ts)) == -1 && errno == EINTR)
            ;
        if (got != 0) {
            printf("FAIL round %d (%s): SIGUSR1 lost (%s)\n", r,
                   mode ? "worker exited" : "worker blocked it and exited",
                   strerror(errno));
            fails++;
        }
        pthread_join(w, NULL);
    }
    printf("rounds %d taken %d\n", ROUNDS, taken);
    if (taken != ROUNDS) {
        printf("FAIL taken %d times for %d posts\n", taken, ROUNDS);
        fails++;
    }
    printf("done %d\n", fails);
    return fails != 0;
}
