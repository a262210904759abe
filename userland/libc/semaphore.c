/*
 * kw86 libc: unnamed POSIX semaphores, process-private, on libpthread's waiter
 * queues (pthread_sync.c): sem_post hands its unit straight to the first waiter
 * and unparks it.  sem_wait and sem_timedwait are cancellation points and end
 * with EINTR when a caught signal interrupts them, as sem_wait(3) says.
 * Errors: EINVAL (not a semaphore, a bad timeout, a value above SEM_VALUE_MAX),
 * EAGAIN (sem_trywait at 0), ETIMEDOUT, EOVERFLOW (sem_post at SEM_VALUE_MAX),
 * EBUSY (sem_destroy with waiters), ENOSYS (sem_init pshared: not provided).
 */
#include <errno.h>
#include <semaphore.h>

#include "pthread_int.h"

#define SEM_MAGIC 0x66660006

int
sem_init(sem_t *s, int pshared, unsigned int value)
{
    if (value > SEM_VALUE_MAX) {
        errno = EINVAL;
        return -1;
    }
    if (pshared) {
        errno = ENOSYS;
        return -1;
    }
    s->interlock = 0;
    s->value = value;
    s->head = s->tail = NULL;
    s->magic = SEM_MAGIC;
    return 0;
}

int
sem_destroy(sem_t *s)
{
    if (s->magic != SEM_MAGIC) {
        errno = EINVAL;
        return -1;
    }
    if (s->head != NULL) {
        errno = EBUSY;
        return -1;
    }
    s->magic = 0xdead0006;
    return 0;
}

static int
sem_take(sem_t *s, const struct timespec *abs, int try)
{
    struct __kw86_waiter w, *p, *q;
    int r;

    if (s->magic != SEM_MAGIC) {
        errno = EINVAL;
        return -1;
    }
    if (!try)
        __kw86_testcancel();
    __kw86_interlock(&s->interlock);
    if (s->value > 0) {
        s->value--;
        __kw86_interunlock(&s->interlock);
        return 0;
    }
    if (try || (abs != NULL && (abs->tv_nsec < 0 || abs->tv_nsec >= 1000000000L))) {
        __kw86_interunlock(&s->interlock);
        errno = try ? EAGAIN : EINVAL;
        return -1;
    }
    w.thread = __kw86_self();
    w.lid = __isthreaded ? w.thread->lid : _lwp_self();
    w.woken = 0;
    w.next = NULL;
    if (s->tail != NULL)
        s->tail->next = &w;
    else
        s->head = &w;
    s->tail = &w;
    __kw86_interunlock(&s->interlock);
    r = __kw86_park(&w, CLOCK_REALTIME, abs, 1 | PARK_INTR);
    if (r != 0) {
        int woken;

        __kw86_interlock(&s->interlock);
        woken = w.woken;
        if (!woken) {                   /* still queued: leave the queue */
            for (p = NULL, q = s->head; q != NULL && q != &w; p = q, q = q->next)
                ;
            if (q != NULL) {
                if (p != NULL)
                    p->next = q->next;
                else
                    s->head = q->next;
                if (s->tail == q)
                    s->tail = p;
            }
        }
        __kw86_interunlock(&s->interlock);
        if (r == ECANCELED) {
            if (woken)
                (void)sem_post(s);      /* pass on the unit this thread was given */
            __kw86_testcancel();
        }
        if (woken)
            r = 0;                      /* the unit came as the wait ended */
    }
    if (r != 0) {
        errno = r;
        return -1;
    }
    return 0;
}

int sem_wait(sem_t *s) { return sem_take(s, NULL, 0); }
int sem_trywait(sem_t *s) { return sem_take(s, NULL, 1); }

int
sem_timedwait(sem_t *s, const struct timespec *abs)
{
    return sem_take(s, abs, 0);
}

int
sem_post(sem_t *s)
{
    struct __kw86_waiter *w;
    lwpid_t lid;
    int saved = errno;

    if (s->magic != SEM_MAGIC) {
        errno = EINVAL;
        return -1;
    }
    __kw86_interlock(&s->interlock);
    w = s->head;
    if (w == NULL) {
        if (s->value >= SEM_VALUE_MAX) {
            __kw86_interunlock(&s->interlock);
            errno = EOVERFLOW;
            return -1;
        }
        s->value++;
        __kw86_interunlock(&s->interlock);
        return 0;
    }
    s->head = w->next;
    if (s->head == NULL)
        s->tail = NULL;
    lid = w->lid;
    __atomic_store_n(&w->woken, 1, __ATOMIC_RELEASE);
    __kw86_interunlock(&s->interlock);
    (void)_lwp_unpark(lid, NULL);
    errno = saved;
    return 0;
}

int
sem_getvalue(sem_t *s, int *value)
{
    if (s->magic != SEM_MAGIC) {
        errno = EINVAL;
        return -1;
    }
    *value = (int)s->value;
    return 0;
}
