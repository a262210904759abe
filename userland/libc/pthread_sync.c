/*
 * kw86 libc: libpthread's synchronisation objects: mutexes, condition variables,
 * rwlocks, spinlocks, barriers, and the parking underneath them.
 *
 * Every object that can make a thread wait has an interlock (a word taken with
 * xchg for a few instructions; contention yields the CPU) and a FIFO of waiters.
 * A waiter is a struct __kw86_waiter on the waiting thread's stack; it parks in
 * ___lwp_park60 until a waker, under the interlock, takes it off the queue and
 * sets w->woken, then unparks its LWP (_lwp_unpark) after dropping the interlock.
 * An unpark that comes before the park makes the park return at once (EALREADY),
 * so no wake-up is lost; every park loop re-checks w->woken.
 *
 * Mutexes hand ownership straight to the first waiter on unlock (FIFO, no
 * stealing).  Errors as NetBSD's manual pages give them: EINVAL for an object
 * that was never initialised (or destroyed), EDEADLK for an error-checking
 * mutex locked again by its owner, EPERM for an unlock by another thread,
 * EBUSY for trylock and for destroying a locked or waited-on object, EAGAIN
 * when a recursive mutex's count would overflow, ETIMEDOUT.
 */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <string.h>
#include <time.h>

#include "pthread_int.h"

#define PT_SPIN_MAGIC    0x77770007
#define PT_BARRIER_MAGIC 0x88880008
#define PT_ATTR_MAGIC    0x44440004
#define UNPARK_BATCH 64

/* -- interlocks and parking -------------------------------------------------- */

void
__kw86_interlock(volatile int *l)
{
    int spins = 0;

    while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE) != 0) {
        while (__atomic_load_n(l, __ATOMIC_RELAXED) != 0) {
            if (++spins >= 8) {         /* the holder is off the CPU: let it run */
                sched_yield();
                spins = 0;
            }
        }
    }
}

static int
valid_abstime(const struct timespec *abs)
{
    return abs == NULL || (abs->tv_nsec >= 0 && abs->tv_nsec < 1000000000L);
}

int
__kw86_park(struct __kw86_waiter *w, clockid_t clock, const struct timespec *abs,
            int cancellable)
{
    pthread_t self = w->thread;
    int saved = errno, r = 0;

    if (cancellable)
        __atomic_store_n(&self->in_cancelpt, 1, __ATOMIC_SEQ_CST);
    for (;;) {
        struct timespec ts;

        if (__atomic_load_n(&w->woken, __ATOMIC_ACQUIRE))
            break;
        if (cancellable && self->cancel_pending && !self->cancel_disabled) {
            r = ECANCELED;
            break;
        }
        if (abs != NULL && abs->tv_sec < 0) {
            r = ETIMEDOUT;              /* before the epoch: long past */
            break;
        }
        if (abs != NULL)
            ts = *abs;
        if (___lwp_park60(clock, abs != NULL ? TIMER_ABSTIME : 0, abs != NULL ? &ts : NULL,
                          0, w, NULL) == -1) {
            if (errno == ETIMEDOUT) {
                if (!__atomic_load_n(&w->woken, __ATOMIC_ACQUIRE))
                    r = ETIMEDOUT;
                break;
            }
            if (errno == EINTR && (cancellable & PARK_INTR) &&
                !__atomic_load_n(&w->woken, __ATOMIC_ACQUIRE) &&
                !(self->cancel_pending && !self->cancel_disabled)) {
                r = EINTR;              /* a caught signal ends this wait */
                break;
            }
            if (errno != EINTR && errno != EALREADY) {
                if (!__atomic_load_n(&w->woken, __ATOMIC_ACQUIRE))
                    r = errno;          /* EINVAL (a timeout the kernel refuses), EFAULT */
                break;
            }
        }
        /* 0 (unparked), EALREADY (an unpark came first), EINTR: look again */
    }
    if (cancellable)
        __atomic_store_n(&self->in_cancelpt, 0, __ATOMIC_SEQ_CST);
    errno = saved;
    return r;
}

/* Under the interlock: mark w woken and return its LWP to unpark afterwards. */
static lwpid_t
wake_locked(struct __kw86_waiter *w)
{
    lwpid_t lid = w->lid;

    __atomic_store_n(&w->woken, 1, __ATOMIC_RELEASE);
    return lid;                         /* w may be gone from here on */
}

static void
unpark(lwpid_t lid)
{
    int saved = errno;

    (void)_lwp_unpark(lid, NULL);
    errno = saved;
}

static void
enqueue(struct __kw86_waiter **head, struct __kw86_waiter **tail, struct __kw86_waiter *w)
{
    w->next = NULL;
    if (*tail != NULL)
        (*tail)->next = w;
    else
        *head = w;
    *tail = w;
}

/* Take w off the queue if it is still there (a wait that timed out or was cancelled). */
static void
dequeue(struct __kw86_waiter **head, struct __kw86_waiter **tail, struct __kw86_waiter *w)
{
    struct __kw86_waiter *p = NULL, *q;

    for (q = *head; q != NULL; p = q, q = q->next) {
        if (q == w) {
            if (p != NULL)
                p->next = q->next;
            else
                *head = q->next;
            if (*tail == q)
                *tail = p;
            return;
        }
    }
}

static void
waiter_init(struct __kw86_waiter *w)
{
    w->next = NULL;
    w->thread = __kw86_self();
    w->lid = w->thread->lid;
    w->woken = 0;
}

/* -- mutex attributes --------------------------------------------------------- */

int
pthread_mutexattr_init(pthread_mutexattr_t *a)
{
    a->magic = PT_ATTR_MAGIC;
    a->type = PTHREAD_MUTEX_DEFAULT;
    a->pshared = PTHREAD_PROCESS_PRIVATE;
    a->protocol = PTHREAD_PRIO_NONE;
    a->prioceiling = sched_get_priority_min(SCHED_FIFO);
    return 0;
}

int
pthread_mutexattr_destroy(pthread_mutexattr_t *a)
{
    if (a->magic != PT_ATTR_MAGIC)
        return EINVAL;
    a->magic = 0;
    return 0;
}

int
pthread_mutexattr_gettype(const pthread_mutexattr_t *a, int *type)
{
    if (a->magic != PT_ATTR_MAGIC)
        return EINVAL;
    *type = a->type;
    return 0;
}

int
pthread_mutexattr_settype(pthread_mutexattr_t *a, int type)
{
    if (a->magic != PT_ATTR_MAGIC)
        return EINVAL;
    if (type != PTHREAD_MUTEX_NORMAL && type != PTHREAD_MUTEX_ERRORCHECK &&
        type != PTHREAD_MUTEX_RECURSIVE)
        return EINVAL;
    a->type = type;
    return 0;
}

int
pthread_mutexattr_getpshared(const pthread_mutexattr_t *a, int *pshared)
{
    if (a->magic != PT_ATTR_MAGIC)
        return EINVAL;
    *pshared = a->pshared;
    return 0;
}

int
pthread_mutexattr_setpshared(pthread_mutexattr_t *a, int pshared)
{
    if (a->magic != PT_ATTR_MAGIC)
        return EINVAL;
    if (pshared == PTHREAD_PROCESS_SHARED)
        return ENOSYS;                  /* as NetBSD's libpthread: not supported (waiters
                                           are queued by address in one process) */
    if (pshared != PTHREAD_PROCESS_PRIVATE)
        return EINVAL;
    a->pshared = pshared;
    return 0;
}

int
pthread_mutexattr_getprotocol(const pthread_mutexattr_t *a, int *protocol)
{
    if (a->magic != PT_ATTR_MAGIC)
        return EINVAL;
    *protocol = a->protocol;
    return 0;
}

int
pthread_mutexattr_setprotocol(pthread_mutexattr_t *a, int protocol)
{
    if (a->magic != PT_ATTR_MAGIC)
        return EINVAL;
    if (protocol != PTHREAD_PRIO_NONE && protocol != PTHREAD_PRIO_INHERIT &&
        protocol != PTHREAD_PRIO_PROTECT)
        return EINVAL;
    a->protocol = protocol;             /* recorded: the kernel applies no priorities */
    return 0;
}

static int
ceiling_ok(int prio)
{
    return prio >= sched_get_priority_min(SCHED_FIFO) && prio <= sched_get_priority_max(SCHED_FIFO);
}

int
pthread_mutexattr_getprioceiling(const pthread_mutexattr_t *a, int *prio)
{
    if (a->magic != PT_ATTR_MAGIC)
        return EINVAL;
    *prio = a->prioceiling;
    return 0;
}

int
pthread_mutexattr_setprioceiling(pthread_mutexattr_t *a, int prio)
{
    if (a->magic != PT_ATTR_MAGIC || !ceiling_ok(prio))
        return EINVAL;
    a->prioceiling = prio;
    return 0;
}

int
pthread_mutex_getprioceiling(const pthread_mutex_t *m, int *prio)
{
    if (m->magic != _PT_MUTEX_MAGIC)
        return EINVAL;
    *prio = m->prioceiling;
    return 0;
}

int
pthread_mutex_setprioceiling(pthread_mutex_t *m, int prio, int *old)
{
    int r;

    if (m->magic != _PT_MUTEX_MAGIC || !ceiling_ok(prio))
        return EINVAL;
    r = pthread_mutex_lock(m);          /* POSIX: locks the mutex to change it */
    if (r != 0 && r != EDEADLK)
        return r;
    if (old != NULL)
        *old = m->prioceiling;
    m->prioceiling = prio;
    if (r == 0)
        pthread_mutex_unlock(m);
    return 0;
}

/* -- mutexes ------------------------------------------------------------------ */

int
pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *a)
{
    if (a != NULL && a->magic != PT_ATTR_MAGIC)
        return EINVAL;
    memset(m, 0, sizeof *m);
    m->type = a != NULL ? a->type : PTHREAD_MUTEX_DEFAULT;
    m->protocol = a != NULL ? a->protocol : PTHREAD_PRIO_NONE;
    m->prioceiling = a != NULL ? a->prioceiling : 0;
    m->magic = _PT_MUTEX_MAGIC;
    return 0;
}

int
pthread_mutex_destroy(pthread_mutex_t *m)
{
    if (m->magic != _PT_MUTEX_MAGIC)
        return EINVAL;
    if (m->owner != NULL || m->head != NULL)
        return EBUSY;
    m->magic = 0xdead0003;
    return 0;
}

static int
mutex_lock(pthread_mutex_t *m, const struct timespec *abs, int try)
{
    pthread_t self = __kw86_self();
    struct __kw86_waiter w;
    int r;

    if (m->magic != _PT_MUTEX_MAGIC)
        return EINVAL;
    __kw86_interlock(&m->interlock);
    if (m->owner == NULL) {
        m->owner = self;
        m->count = 1;
        __kw86_interunlock(&m->interlock);
        return 0;
    }
    if (m->owner == self) {
        if (m->type == PTHREAD_MUTEX_RECURSIVE) {
            r = 0;
            if (m->count == UINT_MAX)
                r = EAGAIN;
            else
                m->count++;
            __kw86_interunlock(&m->interlock);
            return r;
        }
        if (m->type == PTHREAD_MUTEX_ERRORCHECK) {
            __kw86_interunlock(&m->interlock);
            return try ? EBUSY : EDEADLK;
        }
        /* a normal mutex locked again by its owner waits for ever (or times out) */
    }
    if (try) {
        __kw86_interunlock(&m->interlock);
        return EBUSY;
    }
    if (!valid_abstime(abs)) {
        __kw86_interunlock(&m->interlock);
        return EINVAL;
    }
    waiter_init(&w);
    enqueue(&m->head, &m->tail, &w);
    __kw86_interunlock(&m->interlock);
    r = __kw86_park(&w, CLOCK_REALTIME, abs, 0);
    if (r != 0) {
        __kw86_interlock(&m->interlock);
        if (w.woken)
            r = 0;                      /* handed over just as the time ran out */
        else
            dequeue(&m->head, &m->tail, &w);
        __kw86_interunlock(&m->interlock);
    }
    return r;                           /* 0: the unlocker made us the owner */
}

int
pthread_mutex_lock(pthread_mutex_t *m)
{
    return mutex_lock(m, NULL, 0);
}

int
pthread_mutex_trylock(pthread_mutex_t *m)
{
    return mutex_lock(m, NULL, 1);
}

int
pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *abs)
{
    return mutex_lock(m, abs, 0);
}

int
pthread_mutex_unlock(pthread_mutex_t *m)
{
    pthread_t self = __kw86_self();
    struct __kw86_waiter *w;
    lwpid_t lid;

    if (m->magic != _PT_MUTEX_MAGIC)
        return EINVAL;
    __kw86_interlock(&m->interlock);
    if (m->owner != self) {
        __kw86_interunlock(&m->interlock);
        return EPERM;
    }
    if (m->type == PTHREAD_MUTEX_RECURSIVE && m->count > 1) {
        m->count--;
        __kw86_interunlock(&m->interlock);
        return 0;
    }
    w = m->head;
    if (w == NULL) {
        m->owner = NULL;
        m->count = 0;
        __kw86_interunlock(&m->interlock);
        return 0;
    }
    m->head = w->next;
    if (m->head == NULL)
        m->tail = NULL;
    m->owner = w->thread;
    m->count = 1;
    lid = wake_locked(w);
    __kw86_interunlock(&m->interlock);
    unpark(lid);
    return 0;
}

/* -- condition variables ------------------------------------------------------ */

int
pthread_condattr_init(pthread_condattr_t *a)
{
    a->magic = PT_ATTR_MAGIC;
    a->clock = CLOCK_REALTIME;
    a->pshared = PTHREAD_PROCESS_PRIVATE;
    return 0;
}

int
pthread_condattr_destroy(pthread_condattr_t *a)
{
    if (a->magic != PT_ATTR_MAGIC)
        return EINVAL;
    a->magic = 0;
    return 0;
}

int
pthread_condattr_getclock(const pthread_condattr_t *a, clockid_t *clock)
{
    if (a->magic != PT_ATTR_MAGIC)
        return EINVAL;
    *clock = a->clock;
    return 0;
}

int
pthread_condattr_setclock(pthread_condattr_t *a, clockid_t clock)
{
    if (a->magic != PT_ATTR_MAGIC)
        return EINVAL;
    if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC)
        return EINVAL;
    a->clock = clock;
    return 0;
}

int
pthread_condattr_getpshared(const pthread_condattr_t *a, int *pshared)
{
    if (a->magic != PT_ATTR_MAGIC)
        return EINVAL;
    *pshared = a->pshared;
    return 0;
}

int
pthread_condattr_setpshared(pthread_condattr_t *a, int pshared)
{
    if (a->magic != PT_ATTR_MAGIC)
        return EINVAL;
    if (pshared == PTHREAD_PROCESS_SHARED)
        return ENOSYS;                  /* NetBSD's libpthread: PROCESS_SHARED unsupported */
    if (pshared != PTHREAD_PROCESS_PRIVATE)
        return EINVAL;
    a->pshared = pshared;
    return 0;
}

int
pthread_cond_init(pthread_cond_t *c, const pthread_condattr_t *a)
{
    if (a != NULL && a->magic != PT_ATTR_MAGIC)
        return EINVAL;
    memset(c, 0, sizeof *c);
    c->clock = a != NULL ? a->clock : CLOCK_REALTIME;
    c->magic = _PT_COND_MAGIC;
    return 0;
}

int
pthread_cond_destroy(pthread_cond_t *c)
{
    if (c->magic != _PT_COND_MAGIC)
        return EINVAL;
    if (c->head != NULL)
        return EBUSY;
    c->magic = 0xdead0005;
    return 0;
}

static int
cond_wait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *abs)
{
    pthread_t self = __kw86_self();
    struct __kw86_waiter w;
    unsigned int count;
    int r;

    if (c->magic != _PT_COND_MAGIC || m->magic != _PT_MUTEX_MAGIC)
        return EINVAL;
    if (!valid_abstime(abs))
        return EINVAL;
    if (m->owner != self)
        return EPERM;
    __kw86_testcancel();                /* a cancellation point */
    __kw86_interlock(&c->interlock);
    if (c->mutex != NULL && c->mutex != m && c->head != NULL) {
        __kw86_interunlock(&c->interlock);
        return EINVAL;                  /* waiters on one cv use one mutex */
    }
    c->mutex = m;
    waiter_init(&w);
    enqueue(&c->head, &c->tail, &w);
    __kw86_interunlock(&c->interlock);

    count = m->count;                   /* a recursive mutex is released entirely */
    m->count = 1;
    (void)pthread_mutex_unlock(m);
    r = __kw86_park(&w, c->clock, abs, 1);
    if (r != 0) {
        __kw86_interlock(&c->interlock);
        if (w.woken) {
            if (r == ETIMEDOUT)
                r = 0;                  /* signalled as the time ran out */
        } else {
            dequeue(&c->head, &c->tail, &w);
        }
        if (c->head == NULL)
            c->mutex = NULL;
        __kw86_interunlock(&c->interlock);
    }
    (void)mutex_lock(m, NULL, 0);
    m->count = count;
    if (r == ECANCELED) {
        if (w.woken)
            (void)pthread_cond_signal(c);   /* pass on the wake-up this thread took */
        __kw86_testcancel();            /* cleanup handlers run with the mutex held */
    }
    return r;
}

int
pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
    return cond_wait(c, m, NULL);
}

int
pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *abs)
{
    if (abs == NULL)
        return EINVAL;
    return cond_wait(c, m, abs);
}

int
pthread_cond_signal(pthread_cond_t *c)
{
    struct __kw86_waiter *w;
    lwpid_t lid;

    if (c->magic != _PT_COND_MAGIC)
        return EINVAL;
    __kw86_interlock(&c->interlock);
    w = c->head;
    if (w == NULL) {
        __kw86_interunlock(&c->interlock);
        return 0;
    }
    c->head = w->next;
    if (c->head == NULL) {
        c->tail = NULL;
        c->mutex = NULL;
    }
    lid = wake_locked(w);
    __kw86_interunlock(&c->interlock);
    unpark(lid);
    return 0;
}

int
pthread_cond_broadcast(pthread_cond_t *c)
{
    struct __kw86_waiter *w, *next;
    lwpid_t lids[UNPARK_BATCH];
    size_t n = 0;
    int saved = errno;

    if (c->magic != _PT_COND_MAGIC)
        return EINVAL;
    __kw86_interlock(&c->interlock);
    w = c->head;
    c->head = c->tail = NULL;
    c->mutex = NULL;
    for (; w != NULL; w = next) {
        next = w->next;
        lids[n++] = wake_locked(w);
        if (n == UNPARK_BATCH) {
            (void)_lwp_unpark_all(lids, n, NULL);
            n = 0;
        }
    }
    __kw86_interunlock(&c->interlock);
    if (n > 0)
        (void)_lwp_unpark_all(lids, n, NULL);
    errno = saved;
    return 0;
}

/* -- rwlocks: a mutex and two condition variables, writers preferred ---------- */

int
pthread_rwlockattr_init(pthread_rwlockattr_t *a)
{
    a->magic = PT_ATTR_MAGIC;
    a->pshared = PTHREAD_PROCESS_PRIVATE;
    return 0;
}

int
pthread_rwlockattr_destroy(pthread_rwlockattr_t *a)
{
    if (a->magic != PT_ATTR_MAGIC)
        return EINVAL;
    a->magic = 0;
    return 0;
}

int
pthread_rwlockattr_getpshared(const pthread_rwlockattr_t *a, int *pshared)
{
    if (a->magic != PT_ATTR_MAGIC)
        return EINVAL;
    *pshared = a->pshared;
    return 0;
}

int
pthread_rwlockattr_setpshared(pthread_rwlockattr_t *a, int pshared)
{
    if (a->magic != PT_ATTR_MAGIC)
        return EINVAL;
    if (pshared == PTHREAD_PROCESS_SHARED)
        return ENOSYS;                  /* NetBSD's libpthread: PROCESS_SHARED unsupported */
    if (pshared != PTHREAD_PROCESS_PRIVATE)
        return EINVAL;
    a->pshared = pshared;
    return 0;
}

int
pthread_rwlock_init(pthread_rwlock_t *rw, const pthread_rwlockattr_t *a)
{
    if (a != NULL && a->magic != PT_ATTR_MAGIC)
        return EINVAL;
    memset(rw, 0, sizeof *rw);
    pthread_mutex_init(&rw->lock, NULL);
    pthread_cond_init(&rw->readers, NULL);
    pthread_cond_init(&rw->writers, NULL);
    rw->magic = _PT_RWLOCK_MAGIC;
    return 0;
}

int
pthread_rwlock_destroy(pthread_rwlock_t *rw)
{
    if (rw->magic != _PT_RWLOCK_MAGIC)
        return EINVAL;
    if (rw->nreaders != 0 || rw->writer != NULL || rw->rwaiting != 0 || rw->wwaiting != 0)
        return EBUSY;
    rw->magic = 0xdead0009;
    return 0;
}

/* Wait on cv for the rwlock: timed waits cannot be cancelled (rdlock and
 * wrlock are not cancellation points), so cancellation is held off. */
static int
rw_wait(pthread_rwlock_t *rw, pthread_cond_t *cv, const struct timespec *abs)
{
    pthread_t self = __kw86_self();
    int disabled = self->cancel_disabled, r;

    self->cancel_disabled = 1;
    r = cond_wait(cv, &rw->lock, abs);
    self->cancel_disabled = disabled;
    return r;
}

static int
rw_rdlock(pthread_rwlock_t *rw, const struct timespec *abs, int try)
{
    pthread_t self = __kw86_self();
    int r = 0;

    if (rw->magic != _PT_RWLOCK_MAGIC)
        return EINVAL;
    pthread_mutex_lock(&rw->lock);
    if (rw->writer == self) {
        r = EDEADLK;
    } else if (try) {
        if (rw->writer != NULL || rw->wwaiting != 0)
            r = EBUSY;
    } else if (!valid_abstime(abs)) {
        r = EINVAL;
    } else {
        while (r == 0 && (rw->writer != NULL || rw->wwaiting != 0)) {
            rw->rwaiting++;
            r = rw_wait(rw, &rw->readers, abs);
            rw->rwaiting--;
        }
    }
    if (r == 0) {
        if (rw->nreaders == INT_MAX)
            r = EAGAIN;
        else
            rw->nreaders++;
    }
    pthread_mutex_unlock(&rw->lock);
    return r;
}

static int
rw_wrlock(pthread_rwlock_t *rw, const struct timespec *abs, int try)
{
    pthread_t self = __kw86_self();
    int r = 0;

    if (rw->magic != _PT_RWLOCK_MAGIC)
        return EINVAL;
    pthread_mutex_lock(&rw->lock);
    if (rw->writer == self) {
        r = EDEADLK;
    } else if (try) {
        if (rw->writer != NULL || rw->nreaders != 0)
            r = EBUSY;
    } else if (!valid_abstime(abs)) {
        r = EINVAL;
    } else {
        while (r == 0 && (rw->writer != NULL || rw->nreaders != 0)) {
            rw->wwaiting++;
            r = rw_wait(rw, &rw->writers, abs);
            rw->wwaiting--;
        }
        if (r != 0 && rw->writer == NULL && rw->wwaiting == 0 && rw->rwaiting != 0)
            pthread_cond_broadcast(&rw->readers);   /* readers held back for us */
    }
    if (r == 0)
        rw->writer = self;
    pthread_mutex_unlock(&rw->lock);
    return r;
}

int pthread_rwlock_rdlock(pthread_rwlock_t *rw) { return rw_rdlock(rw, NULL, 0); }
int pthread_rwlock_tryrdlock(pthread_rwlock_t *rw) { return rw_rdlock(rw, NULL, 1); }
int pthread_rwlock_wrlock(pthread_rwlock_t *rw) { return rw_wrlock(rw, NULL, 0); }
int pthread_rwlock_trywrlock(pthread_rwlock_t *rw) { return rw_wrlock(rw, NULL, 1); }

int
pthread_rwlock_timedrdlock(pthread_rwlock_t *rw, const struct timespec *abs)
{
    return abs == NULL ? EINVAL : rw_rdlock(rw, abs, 0);
}

int
pthread_rwlock_timedwrlock(pthread_rwlock_t *rw, const struct timespec *abs)
{
    return abs == NULL ? EINVAL : rw_wrlock(rw, abs, 0);
}

int
pthread_rwlock_unlock(pthread_rwlock_t *rw)
{
    pthread_t self = __kw86_self();
    int r = 0;

    if (rw->magic != _PT_RWLOCK_MAGIC)
        return EINVAL;
    pthread_mutex_lock(&rw->lock);
    if (rw->writer == self)
        rw->writer = NULL;
    else if (rw->writer == NULL && rw->nreaders > 0)
        rw->nreaders--;
    else
        r = EPERM;                      /* not held by the caller */
    if (r == 0 && rw->writer == NULL && rw->nreaders == 0) {
        if (rw->wwaiting != 0)
            pthread_cond_signal(&rw->writers);
        else if (rw->rwaiting != 0)
            pthread_cond_broadcast(&rw->readers);
    }
    pthread_mutex_unlock(&rw->lock);
    return r;
}

/* -- spinlocks ---------------------------------------------------------------- */

int
pthread_spin_init(pthread_spinlock_t *s, int pshared)
{
    if (pshared != PTHREAD_PROCESS_PRIVATE && pshared != PTHREAD_PROCESS_SHARED)
        return EINVAL;
    s->lock = 0;
    s->owner = NULL;
    s->magic = PT_SPIN_MAGIC;
    return 0;
}

int
pthread_spin_destroy(pthread_spinlock_t *s)
{
    if (s->magic != PT_SPIN_MAGIC)
        return EINVAL;
    if (s->lock != 0)
        return EBUSY;
    s->magic = 0xdead0007;
    return 0;
}

int
pthread_spin_lock(pthread_spinlock_t *s)
{
    pthread_t self = __kw86_self();

    if (s->magic != PT_SPIN_MAGIC)
        return EINVAL;
    if (s->lock != 0 && s->owner == self)
        return EDEADLK;
    /* spin (a holder may be running elsewhere or be preempted: then yield now
     * and then so that it can run and let go) */
    for (;;) {
        int i;

        if (__atomic_exchange_n(&s->lock, 1, __ATOMIC_ACQUIRE) == 0)
            break;
        for (i = 0; i < 1000 && __atomic_load_n(&s->lock, __ATOMIC_RELAXED) != 0; i++)
            __asm__ volatile("pause");
        if (i == 1000)
            sched_yield();
    }
    s->owner = self;
    return 0;
}

int
pthread_spin_trylock(pthread_spinlock_t *s)
{
    if (s->magic != PT_SPIN_MAGIC)
        return EINVAL;
    if (__atomic_exchange_n(&s->lock, 1, __ATOMIC_ACQUIRE) != 0)
        return EBUSY;
    s->owner = __kw86_self();
    return 0;
}

int
pthread_spin_unlock(pthread_spinlock_t *s)
{
    if (s->magic != PT_SPIN_MAGIC)
        return EINVAL;
    /* NetBSD's libpthread keeps no owner for a spin lock: unlocking one the
     * caller does not hold (undefined for POSIX, EPERM only a "may") releases
     * it and returns 0, as pthread_spin_unlock(3) lists EINVAL alone */
    s->owner = NULL;
    __kw86_interunlock(&s->lock);
    return 0;
}

/* -- barriers ----------------------------------------------------------------- */

int
pthread_barrierattr_init(pthread_barrierattr_t *a)
{
    a->magic = PT_ATTR_MAGIC;
    a->pshared = PTHREAD_PROCESS_PRIVATE;
    return 0;
}

int
pthread_barrierattr_destroy(pthread_barrierattr_t *a)
{
    if (a->magic != PT_ATTR_MAGIC)
        return EINVAL;
    a->magic = 0;
    return 0;
}

int
pthread_barrierattr_getpshared(const pthread_barrierattr_t *a, int *pshared)
{
    if (a->magic != PT_ATTR_MAGIC)
        return EINVAL;
    *pshared = a->pshared;
    return 0;
}

int
pthread_barrierattr_setpshared(pthread_barrierattr_t *a, int pshared)
{
    if (a->magic != PT_ATTR_MAGIC)
        return EINVAL;
    if (pshared == PTHREAD_PROCESS_SHARED)
        return ENOSYS;                  /* NetBSD's libpthread: PROCESS_SHARED unsupported */
    if (pshared != PTHREAD_PROCESS_PRIVATE)
        return EINVAL;
    a->pshared = pshared;
    return 0;
}

int
pthread_barrier_init(pthread_barrier_t *b, const pthread_barrierattr_t *a, unsigned int count)
{
    if ((a != NULL && a->magic != PT_ATTR_MAGIC) || count == 0)
        return EINVAL;
    memset(b, 0, sizeof *b);
    pthread_mutex_init(&b->lock, NULL);
    pthread_cond_init(&b->cv, NULL);
    b->count = count;
    b->magic = PT_BARRIER_MAGIC;
    return 0;
}

int
pthread_barrier_destroy(pthread_barrier_t *b)
{
    if (b->magic != PT_BARRIER_MAGIC)
        return EINVAL;
    if (b->arrived != 0)
        return EBUSY;
    b->magic = 0xdead0008;
    return 0;
}

int
pthread_barrier_wait(pthread_barrier_t *b)
{
    pthread_t self = __kw86_self();
    unsigned int gen;
    int disabled, r = 0;

    if (b->magic != PT_BARRIER_MAGIC)
        return EINVAL;
    pthread_mutex_lock(&b->lock);
    gen = b->generation;
    if (++b->arrived == b->count) {
        b->arrived = 0;
        b->generation++;
        pthread_cond_broadcast(&b->cv);
        r = PTHREAD_BARRIER_SERIAL_THREAD;
    } else {
        disabled = self->cancel_disabled;   /* not a cancellation point */
        self->cancel_disabled = 1;
        while (gen == b->generation)
            cond_wait(&b->cv, &b->lock, NULL);
        self->cancel_disabled = disabled;
    }
    pthread_mutex_unlock(&b->lock);
    return r;
}
