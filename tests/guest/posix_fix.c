/* Conformance fixes found by the Open POSIX Test Suite (tools/posix_suite.py),
 * each checked against NetBSD's documented behaviour: one "ok ..." or
 * "FAIL ..." line per check and "done N" (N failures) at the end.
 * tests/test_nbsd_posix_fix.py runs it as a user process and as a kernelware. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int fails;

static void
check(int cond, const char *what)
{
    printf("%s %s\n", cond ? "ok" : "FAIL", what);
    if (!cond)
        fails++;
}

/* -- pthread_spin_unlock: NetBSD keeps no owner ------------------------------ */

static pthread_spinlock_t spin;
static volatile int spin_stage;

static void *
spin_holder(void *arg)
{
    (void)arg;
    pthread_spin_lock(&spin);
    spin_stage = 1;
    while (spin_stage == 1)
        sched_yield();
    return NULL;
}

static void
test_spin_unlock(void)
{
    pthread_t t;

    check(pthread_spin_init(&spin, PTHREAD_PROCESS_PRIVATE) == 0, "spin: init");
    pthread_create(&t, NULL, spin_holder, NULL);
    while (spin_stage == 0)
        sched_yield();
    /* held by the other thread: NetBSD releases it and answers 0 */
    check(pthread_spin_trylock(&spin) == EBUSY, "spin: held by another thread, trylock EBUSY");
    check(pthread_spin_unlock(&spin) == 0, "spin: unlock of another thread's lock is 0");
    check(pthread_spin_trylock(&spin) == 0, "spin: ... and released it (trylock 0)");
    check(pthread_spin_unlock(&spin) == 0, "spin: unlock own 0");
    check(pthread_spin_unlock(&spin) == 0, "spin: unlock of an unlocked lock is 0");
    spin_stage = 2;
    pthread_join(t, NULL);
    check(pthread_spin_destroy(&spin) == 0, "spin: destroy 0");
    check(pthread_spin_unlock(&spin) == EINVAL, "spin: unlock destroyed EINVAL");
}

int
main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    test_spin_unlock();
    printf("done %d\n", fails);
    return fails != 0;
}
