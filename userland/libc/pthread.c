/*
 * kw86 libc: POSIX threads on NetBSD's LWPs, as NetBSD's libpthread builds them.
 *
 * pthread_create maps a stack (with a PROT_NONE guard page below it unless the
 * caller gave one) and starts an LWP with _lwp_create from a ucontext_t: the
 * caller's registers and signal mask (getcontext), EIP at thread_start, the new
 * stack, and _UC_TLSBASE pointing at the thread's record, whose first words are
 * NetBSD's TCB (tcb_self ...), so %gs:0 finds the running thread.
 *
 * LWPs are created joinable in the kernel whatever the thread's detach state:
 * whoever frees a thread's stack first waits (_lwp_wait) for its LWP to be gone,
 * pthread_join for a joinable thread, the next pthread_create for a detached one
 * (dead detached threads wait on a list).  pthread_exit runs the cleanup
 * handlers and the key destructors, then _lwp_exit; the last thread's exit is
 * exit(0) (atexit handlers and stdio flushing run, as for a return from main).
 *
 * Cancellation is deferred: pthread_cancel marks the target and, while the
 * target is inside a cancellation point's system call or park, wakes it with
 * _lwp_wakeup (its sleep ends with EINTR) until it has noticed.  The
 * cancellation points here are read, write, poll, select, nanosleep (and sleep,
 * usleep over it), pthread_join, pthread_cond_wait/timedwait, pthread_testcancel.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/time.h>
#include <unistd.h>

#include "pthread_int.h"

#define PT_ATTR_MAGIC 0x44440004
#define DEFAULT_STACKSIZE (2u * 1024 * 1024)    /* NetBSD: the stack rlimit's, 2 MiB */

/* NetBSD/i386's ucontext_t (776 bytes): the parts _lwp_create reads */
struct uctx {
    unsigned int uc_flags;
    void *uc_link;
    sigset_t uc_sigmask;
    void *ss_sp;
    size_t ss_size;
    int ss_flags;
    unsigned int gregs[19];
    unsigned char fpregs[644];
    unsigned int tlsbase;
    unsigned int pad[4];
};
#define _UC_SIGMASK 0x1
#define _UC_CPU     0x4
#define _UC_TLSBASE 0x80000
#define REG_EBP  6
#define REG_EIP  14
#define REG_UESP 17

int getcontext(void *);
pid_t __sys_fork(void);
ssize_t __sys_read(int, void *, size_t);
ssize_t __sys_write(int, const void *, size_t);
int __sys_poll(struct pollfd *, nfds_t, int);
int __sys_select(int, fd_set *, fd_set *, fd_set *, struct timeval *);
int __sys_nanosleep(const struct timespec *, struct timespec *);

extern pthread_mutex_t __kw86_malloc_lock;
extern pthread_mutex_t __kw86_stdio_lock;

static pthread_mutex_t threads_lock = {
    _PT_MUTEX_MAGIC, 0, PTHREAD_MUTEX_NORMAL, 0, 0, 0, 0 };
static struct __kw86_pthread *all_threads;      /* every thread not yet reaped */
static struct __kw86_pthread *dead_detached;    /* exited detached threads to reap */
static int nlive = 1;                           /* threads that have not exited */

static struct {
    int used;
    void (*destructor)(void *);
} keys[PT_KEYS_MAX];
static pthread_mutex_t keys_lock = PTHREAD_MUTEX_INITIALIZER;

/* -- start-up ----------------------------------------------------------------- */

static void
pt_init(void)
{
    pthread_t m = &__kw86_main_thread;

    m->lid = _lwp_self();
    m->tcb_self = m->tcb_pthread = m;
    _lwp_setprivate(m);                 /* %gs:0 is now the main thread */
    m->next = NULL;
    all_threads = m;
    __atomic_store_n(&__isthreaded, 1, __ATOMIC_SEQ_CST);
}

static void
free_thread(pthread_t t)
{
    if (t == &__kw86_main_thread)
        return;
    if (t->map != NULL)
        (void)munmap(t->map, t->mapsize);
    t->magic = 0;
    free(t);
}

static void
unlink_thread(pthread_t t)
{
    pthread_t *pp;

    for (pp = &all_threads; *pp != NULL; pp = &(*pp)->next)
        if (*pp == t) {
            *pp = t->next;
            return;
        }
}

/* Free the stacks of detached threads that have exited (their LWPs are gone
 * or about to be: _lwp_wait waits for the last instructions of pthread_exit). */
static void
reap_dead(void)
{
    pthread_t list, t;
    int saved = errno;

    pthread_mutex_lock(&threads_lock);
    list = dead_detached;
    dead_detached = NULL;
    pthread_mutex_unlock(&threads_lock);
    while ((t = list) != NULL) {
        list = t->next;
        while (_lwp_wait(t->lid, NULL) == -1 && errno == EINTR)
            ;
        free_thread(t);
    }
    errno = saved;
}

static int
find_thread(pthread_t t)
{
    pthread_t p;

    if (t == NULL)
        return 0;
    for (p = all_threads; p != NULL; p = p->next)
        if (p == t)
            return 1;
    return 0;
}

/* -- attributes --------------------------------------------------------------- */

int
pthread_attr_init(pthread_attr_t *a)
{
    memset(a, 0, sizeof *a);
    a->magic = PT_ATTR_MAGIC;
    a->detachstate = PTHREAD_CREATE_JOINABLE;
    a->inheritsched = PTHREAD_INHERIT_SCHED;
    a->scope = PTHREAD_SCOPE_SYSTEM;
    a->policy = SCHED_OTHER;
    a->stacksize = DEFAULT_STACKSIZE;
    a->guardsize = (size_t)getpagesize();
    return 0;
}

int
pthread_attr_destroy(pthread_attr_t *a)
{
    if (a->magic != PT_ATTR_MAGIC)
        return EINVAL;
    a->magic = 0;
    return 0;
}

#define ATTR_CHECK(a) do { if ((a)->magic != PT_ATTR_MAGIC) return EINVAL; } while (0)

int pthread_attr_getdetachstate(const pthread_attr_t *a, int *v) { ATTR_CHECK(a); *v = a->detachstate; return 0; }
int pthread_attr_getstacksize(const pthread_attr_t *a, size_t *v) { ATTR_CHECK(a); *v = a->stacksize; return 0; }
int pthread_attr_getstackaddr(const pthread_attr_t *a, void **v) { ATTR_CHECK(a); *v = a->stackaddr; return 0; }
int pthread_attr_getguardsize(const pthread_attr_t *a, size_t *v) { ATTR_CHECK(a); *v = a->guardsize; return 0; }
int pthread_attr_getinheritsched(const pthread_attr_t *a, int *v) { ATTR_CHECK(a); *v = a->inheritsched; return 0; }
int pthread_attr_getschedpolicy(const pthread_attr_t *a, int *v) { ATTR_CHECK(a); *v = a->policy; return 0; }
int pthread_attr_getscope(const pthread_attr_t *a, int *v) { ATTR_CHECK(a); *v = a->scope; return 0; }

int
pthread_attr_getschedparam(const pthread_attr_t *a, struct sched_param *p)
{
    ATTR_CHECK(a);
    *p = a->param;
    return 0;
}

int
pthread_attr_getstack(const pthread_attr_t *a, void **addr, size_t *size)
{
    ATTR_CHECK(a);
    *addr = a->stackaddr;
    *size = a->stacksize;
    return 0;
}

int
pthread_attr_setdetachstate(pthread_attr_t *a, int v)
{
    ATTR_CHECK(a);
    if (v != PTHREAD_CREATE_JOINABLE && v != PTHREAD_CREATE_DETACHED)
        return EINVAL;
    a->detachstate = v;
    return 0;
}

int
pthread_attr_setstacksize(pthread_attr_t *a, size_t v)
{
    ATTR_CHECK(a);
    if (v < PTHREAD_STACK_MIN)
        return EINVAL;
    a->stacksize = v;
    return 0;
}

int
pthread_attr_setstackaddr(pthread_attr_t *a, void *v)
{
    ATTR_CHECK(a);
    a->stackaddr = v;
    return 0;
}

int
pthread_attr_setstack(pthread_attr_t *a, void *addr, size_t size)
{
    ATTR_CHECK(a);
    if (size < PTHREAD_STACK_MIN)
        return EINVAL;
    a->stackaddr = addr;
    a->stacksize = size;
    return 0;
}

int
pthread_attr_setguardsize(pthread_attr_t *a, size_t v)
{
    ATTR_CHECK(a);
    a->guardsize = v;
    return 0;
}

int
pthread_attr_setinheritsched(pthread_attr_t *a, int v)
{
    ATTR_CHECK(a);
    if (v != PTHREAD_INHERIT_SCHED && v != PTHREAD_EXPLICIT_SCHED)
        return EINVAL;
    a->inheritsched = v;
    return 0;
}

int
pthread_attr_setschedpolicy(pthread_attr_t *a, int v)
{
    ATTR_CHECK(a);
    if (v != SCHED_OTHER && v != SCHED_FIFO && v != SCHED_RR)
        return EINVAL;
    a->policy = v;
    return 0;
}

int
pthread_attr_setschedparam(pthread_attr_t *a, const struct sched_param *p)
{
    ATTR_CHECK(a);
    a->param = *p;
    return 0;
}

int
pthread_attr_setscope(pthread_attr_t *a, int v)
{
    ATTR_CHECK(a);
    if (v == PTHREAD_SCOPE_PROCESS)
        return ENOTSUP;                 /* every thread is an LWP */
    if (v != PTHREAD_SCOPE_SYSTEM)
        return EINVAL;
    a->scope = v;
    return 0;
}

int
pthread_getattr_np(pthread_t t, pthread_attr_t *a)
{
    pthread_attr_init(a);
    a->detachstate = t->detached ? PTHREAD_CREATE_DETACHED : PTHREAD_CREATE_JOINABLE;
    a->stackaddr = t->stackaddr;
    a->stacksize = t->stacksize;
    a->guardsize = t->guardsize;
    return 0;
}

/* Scheduling parameters are the thread's LWP's, as NetBSD's libpthread keeps
 * them: pthread_setschedparam is _sched_setparam(getpid(), lid, ...) and
 * pthread_getschedparam _sched_getparam(getpid(), lid, ...) (the kernel
 * schedules LWPs by class and priority: kw86/nbsd/sched.py).  kw86 checks the
 * values here first, and takes SCHED_OTHER with priority 0 (what getparam
 * reports) as PRI_NONE; t->policy/param keep the last values for a thread
 * whose LWP has exited but is not yet joined. */
static int
sched_check(int policy, const struct sched_param *p)
{
    if (policy != SCHED_OTHER && policy != SCHED_FIFO && policy != SCHED_RR)
        return EINVAL;
    if (policy == SCHED_OTHER)          /* no priority (PRI_NONE), or the 0 getparam reports */
        return p->sched_priority == -1 || p->sched_priority == 0 ? 0 : EINVAL;
    if (p->sched_priority < sched_get_priority_min(policy) ||
        p->sched_priority > sched_get_priority_max(policy))
        return EINVAL;
    return 0;
}

int
pthread_getschedparam(pthread_t t, int *policy, struct sched_param *p)
{
    int saved = errno, r = 0;

    if (_sched_getparam(getpid(), t->lid, policy, p) < 0) {
        r = errno;
        if (r == ESRCH) {               /* exited, not joined: its last values */
            *policy = t->policy;
            *p = t->param;
            r = 0;
        }
    }
    errno = saved;
    return r;
}

int
pthread_setschedparam(pthread_t t, int policy, const struct sched_param *p)
{
    int r = sched_check(policy, p), saved = errno;
    struct sched_param sp;

    if (r != 0)
        return r;
    sp = *p;
    if (policy == SCHED_OTHER)
        sp.sched_priority = -1;         /* PRI_NONE: SCHED_OTHER has none */
    if (_sched_setparam(getpid(), t->lid, policy, &sp) < 0) {
        r = errno;
        errno = saved;
        return r;
    }
    t->policy = policy;
    t->param = *p;
    if (policy == SCHED_OTHER)
        t->param.sched_priority = 0;
    return 0;
}

int
pthread_setschedprio(pthread_t t, int prio)
{
    struct sched_param p;

    p.sched_priority = prio;
    return pthread_setschedparam(t, t->policy, &p);
}

static int concurrency;
int pthread_getconcurrency(void) { return concurrency; }

int
pthread_setconcurrency(int n)
{
    if (n < 0)
        return EINVAL;
    concurrency = n;
    return 0;
}

/* -- create, exit, join, detach ----------------------------------------------- */

__attribute__((noreturn, used)) static void
thread_start(pthread_t t)
{
    pthread_exit(t->start(t->arg));
}

int
pthread_create(pthread_t *out, const pthread_attr_t *attr, void *(*start)(void *), void *arg)
{
    pthread_attr_t def;
    struct uctx uc;
    pthread_t t;
    size_t page = (size_t)getpagesize();
    unsigned int *sp;
    char *stack;
    int saved = errno, r;

    if (attr == NULL) {
        pthread_attr_init(&def);
        attr = &def;
    } else if (attr->magic != PT_ATTR_MAGIC) {
        return EINVAL;
    }
    if (!__isthreaded)
        pt_init();
    reap_dead();
    t = calloc(1, sizeof *t);
    if (t == NULL) {
        errno = saved;
        return EAGAIN;
    }
    t->tcb_self = t->tcb_pthread = t;
    t->magic = PT_MAGIC;
    t->start = start;
    t->arg = arg;
    t->state = PT_RUNNING;
    t->detached = attr->detachstate == PTHREAD_CREATE_DETACHED;
    if (attr->inheritsched == PTHREAD_EXPLICIT_SCHED) {
        r = sched_check(attr->policy, &attr->param);
        if (r != 0) {
            free(t);
            errno = saved;
            return r;
        }
        t->policy = attr->policy;
        t->param = attr->param;
    } else {
        t->policy = __kw86_self()->policy;
        t->param = __kw86_self()->param;
    }
    if (attr->stackaddr != NULL) {
        t->stackaddr = attr->stackaddr;
        t->stacksize = attr->stacksize;
    } else {
        size_t size = (attr->stacksize + page - 1) & ~(page - 1);
        size_t guard = (attr->guardsize + page - 1) & ~(page - 1);

        if (size < attr->stacksize || guard < attr->guardsize || size + guard < size) {
            free(t);                    /* rounding overflowed: no such mapping */
            errno = saved;
            return EAGAIN;
        }
        t->map = mmap(NULL, size + guard, PROT_READ | PROT_WRITE,
                      MAP_ANON | MAP_PRIVATE | MAP_STACK, -1, 0);
        if (t->map == MAP_FAILED) {
            free(t);
            errno = saved;
            return EAGAIN;
        }
        t->mapsize = size + guard;
        if (guard != 0 && mprotect(t->map, guard, PROT_NONE) == -1) {
            munmap(t->map, t->mapsize);
            free(t);
            errno = saved;
            return EAGAIN;
        }
        t->guardsize = guard;
        t->stackaddr = (char *)t->map + guard;
        t->stacksize = size;
    }
    stack = (char *)t->stackaddr + t->stacksize;
    /* thread_start(t) entered as if called: (esp + 4) 16-byte aligned */
    sp = (unsigned int *)(((unsigned long)stack & ~15ul) - 20);
    sp[0] = 0;                          /* return address: thread_start never returns */
    sp[1] = (unsigned int)t;

    memset(&uc, 0, sizeof uc);
    getcontext(&uc);                    /* selectors, flags, the caller's signal mask */
    uc.uc_flags = _UC_CPU | _UC_SIGMASK | _UC_TLSBASE;
    uc.gregs[REG_EIP] = (unsigned int)thread_start;
    uc.gregs[REG_UESP] = (unsigned int)sp;
    uc.gregs[REG_EBP] = 0;
    uc.tlsbase = (unsigned int)t;

    pthread_mutex_lock(&threads_lock);
    /* an explicit class and priority: the LWP starts suspended, gets them,
     * then runs (NetBSD's pthread_create; a refusal leaves it its creator's) */
    r = _lwp_create(&uc, attr->inheritsched == PTHREAD_EXPLICIT_SCHED ? LWP_SUSPENDED : 0,
                    &t->lid) == -1 ? errno : 0;
    if (r == 0) {
        t->next = all_threads;
        all_threads = t;
        nlive++;
    }
    pthread_mutex_unlock(&threads_lock);
    if (r != 0) {
        free_thread(t);
        errno = saved;
        return r == ENOMEM ? EAGAIN : r;
    }
    *out = t;
    if (attr->inheritsched == PTHREAD_EXPLICIT_SCHED) {
        (void)pthread_setschedparam(t, attr->policy, &attr->param);
        (void)_lwp_continue(t->lid);
    }
    errno = saved;
    return 0;
}

static void
run_destructors(pthread_t self)
{
    int i, round, again;

    if (!self->has_specific)
        return;
    for (round = 0; round < PT_DESTRUCTOR_ITERATIONS; round++) {
        again = 0;
        for (i = 0; i < PT_KEYS_MAX; i++) {
            void *v = self->specific[i];
            void (*d)(void *) = keys[i].destructor;

            if (v == NULL || !keys[i].used || d == NULL)
                continue;
            self->specific[i] = NULL;
            d(v);
            again = 1;
        }
        if (!again)
            break;
    }
}

void
pthread_exit(void *value)
{
    pthread_t self = __kw86_self();
    struct __kw86_cleanup *c;
    int last;

    self->cancel_disabled = 1;
    while ((c = self->cleanup) != NULL) {
        self->cleanup = c->next;
        c->routine(c->arg);
    }
    run_destructors(self);
    if (!__isthreaded)
        exit(0);                        /* the only thread */
    pthread_mutex_lock(&threads_lock);
    self->retval = value;
    last = --nlive == 0;
    if (!last) {
        if (self->detached) {
            unlink_thread(self);
            self->next = dead_detached;
            dead_detached = self;
        } else {
            self->state = PT_EXITED;
        }
    }
    pthread_mutex_unlock(&threads_lock);
    if (last)
        exit(0);
    _lwp_exit();
}

int
pthread_join(pthread_t t, void **value)
{
    pthread_t self = __kw86_self();
    int r = 0, saved = errno;

    __kw86_testcancel();
    if (!__isthreaded)
        return t == self ? EDEADLK : ESRCH;
    pthread_mutex_lock(&threads_lock);
    if (!find_thread(t))
        r = ESRCH;
    else if (t == self)
        r = EDEADLK;
    else if (t->detached || t->joining)
        r = EINVAL;
    else
        t->joining = 1;
    pthread_mutex_unlock(&threads_lock);
    if (r != 0)
        return r;
    for (;;) {
        int c = __kw86_cancelpt_enter(), w;

        w = _lwp_wait(t->lid, NULL);
        __kw86_cancelpt_leave(c);
        if (w == 0)
            break;
        if (errno != EINTR) {
            r = errno;
            break;
        }
        if (self->cancel_pending && !self->cancel_disabled) {
            t->joining = 0;             /* the target stays joinable */
            __kw86_testcancel();
        }
    }
    errno = saved;
    if (r != 0) {
        t->joining = 0;
        return r;
    }
    if (value != NULL)
        *value = t->retval;
    pthread_mutex_lock(&threads_lock);
    unlink_thread(t);
    pthread_mutex_unlock(&threads_lock);
    free_thread(t);
    return 0;
}

int
pthread_detach(pthread_t t)
{
    int r = 0, reap = 0, saved = errno;

    if (!__isthreaded)
        return t == &__kw86_main_thread ? (t->detached ? EINVAL : (t->detached = 1, 0)) : ESRCH;
    pthread_mutex_lock(&threads_lock);
    if (!find_thread(t))
        r = ESRCH;
    else if (t->detached || t->joining)
        r = EINVAL;
    else if (t->state == PT_EXITED) {
        unlink_thread(t);
        reap = 1;
    } else
        t->detached = 1;
    pthread_mutex_unlock(&threads_lock);
    if (reap) {
        while (_lwp_wait(t->lid, NULL) == -1 && errno == EINTR)
            ;
        free_thread(t);
    }
    errno = saved;
    return r;
}

pthread_t
pthread_self(void)
{
    return __kw86_self();
}

int
pthread_equal(pthread_t a, pthread_t b)
{
    return a == b;
}

/* -- once, keys ---------------------------------------------------------------- */

static void
once_unlock(void *m)
{
    pthread_mutex_unlock(m);
}

int
pthread_once(pthread_once_t *o, void (*fn)(void))
{
    if (__atomic_load_n(&o->done, __ATOMIC_ACQUIRE))
        return 0;
    pthread_mutex_lock(&o->mutex);
    if (!o->done) {
        pthread_cleanup_push(once_unlock, &o->mutex);   /* a cancelled fn: not done */
        fn();
        __atomic_store_n(&o->done, 1, __ATOMIC_RELEASE);
        pthread_cleanup_pop(0);
    }
    pthread_mutex_unlock(&o->mutex);
    return 0;
}

int
pthread_key_create(pthread_key_t *key, void (*destructor)(void *))
{
    pthread_t t;
    int i;

    pthread_mutex_lock(&keys_lock);
    for (i = 0; i < PT_KEYS_MAX; i++)
        if (!keys[i].used)
            break;
    if (i == PT_KEYS_MAX) {
        pthread_mutex_unlock(&keys_lock);
        return EAGAIN;
    }
    keys[i].used = 1;
    keys[i].destructor = destructor;
    /* a slot used before starts empty in every thread */
    if (__isthreaded) {
        pthread_mutex_lock(&threads_lock);
        for (t = all_threads; t != NULL; t = t->next)
            t->specific[i] = NULL;
        pthread_mutex_unlock(&threads_lock);
    } else {
        __kw86_main_thread.specific[i] = NULL;
    }
    pthread_mutex_unlock(&keys_lock);
    *key = (pthread_key_t)i;
    return 0;
}

int
pthread_key_delete(pthread_key_t key)
{
    int r = 0;

    pthread_mutex_lock(&keys_lock);
    if (key >= PT_KEYS_MAX || !keys[key].used)
        r = EINVAL;
    else
        keys[key].used = 0;
    pthread_mutex_unlock(&keys_lock);
    return r;
}

void *
pthread_getspecific(pthread_key_t key)
{
    if (key >= PT_KEYS_MAX)
        return NULL;
    return __kw86_self()->specific[key];
}

int
pthread_setspecific(pthread_key_t key, const void *value)
{
    pthread_t self = __kw86_self();

    if (key >= PT_KEYS_MAX || !keys[key].used)
        return EINVAL;
    self->specific[key] = (void *)value;
    self->has_specific = 1;
    return 0;
}

/* -- cancellation --------------------------------------------------------------- */

void
__kw86_cleanup_push(struct __kw86_cleanup *c, void (*routine)(void *), void *arg)
{
    pthread_t self = __kw86_self();

    c->routine = routine;
    c->arg = arg;
    c->next = self->cleanup;
    self->cleanup = c;
}

void
__kw86_cleanup_pop(struct __kw86_cleanup *c, int execute)
{
    pthread_t self = __kw86_self();

    self->cleanup = c->next;
    if (execute)
        c->routine(c->arg);
}

void
__kw86_testcancel(void)
{
    pthread_t self;

    if (!__isthreaded)
        return;
    self = __kw86_self();
    if (__atomic_load_n(&self->cancel_pending, __ATOMIC_SEQ_CST) && !self->cancel_disabled)
        pthread_exit(PTHREAD_CANCELED);
}

void
pthread_testcancel(void)
{
    __kw86_testcancel();
}

/* Around a cancellation point's system call: act on a pending cancellation
 * before it, and be woken from it by pthread_cancel (see the file comment). */
int
__kw86_cancelpt_enter(void)
{
    pthread_t self;

    if (!__isthreaded)
        return 0;
    self = __kw86_self();
    if (self->cancel_disabled)
        return 0;
    __atomic_store_n(&self->in_cancelpt, 1, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&self->cancel_pending, __ATOMIC_SEQ_CST)) {
        self->in_cancelpt = 0;
        pthread_exit(PTHREAD_CANCELED);
    }
    return 1;
}

void
__kw86_cancelpt_leave(int entered)
{
    if (entered)
        __atomic_store_n(&__kw86_self()->in_cancelpt, 0, __ATOMIC_SEQ_CST);
}

/* after a cancellation point's call failed: EINTR may be our cancellation */
static void
cancelpt_check(int entered, int failed)
{
    __kw86_cancelpt_leave(entered);
    if (entered && failed && errno == EINTR)
        __kw86_testcancel();
}

int
pthread_cancel(pthread_t t)
{
    int saved = errno, r = 0;

    if (!__isthreaded)
        r = t == &__kw86_main_thread ? 0 : ESRCH;
    else {
        pthread_mutex_lock(&threads_lock);
        if (!find_thread(t) || t->state != PT_RUNNING)
            r = ESRCH;
        pthread_mutex_unlock(&threads_lock);
    }
    if (r != 0)
        return r;
    __atomic_store_n(&t->cancel_pending, 1, __ATOMIC_SEQ_CST);
    if (t == __kw86_self()) {
        if (t->cancel_async)
            __kw86_testcancel();
        return 0;
    }
    /* The target either sees the flag before its system call or is inside a
     * cancellation point now: wake it until its sleep ends or it leaves. */
    while (__atomic_load_n(&t->in_cancelpt, __ATOMIC_SEQ_CST) && !t->cancel_disabled) {
        if (_lwp_wakeup(t->lid) == 0 || errno == ESRCH)
            break;
        sched_yield();
    }
    errno = saved;
    return 0;
}

int
pthread_setcancelstate(int state, int *old)
{
    pthread_t self = __kw86_self();

    if (state != PTHREAD_CANCEL_ENABLE && state != PTHREAD_CANCEL_DISABLE)
        return EINVAL;
    if (old != NULL)
        *old = self->cancel_disabled ? PTHREAD_CANCEL_DISABLE : PTHREAD_CANCEL_ENABLE;
    self->cancel_disabled = state == PTHREAD_CANCEL_DISABLE;
    if (!self->cancel_disabled && self->cancel_async)
        __kw86_testcancel();
    return 0;
}

int
pthread_setcanceltype(int type, int *old)
{
    pthread_t self = __kw86_self();

    if (type != PTHREAD_CANCEL_DEFERRED && type != PTHREAD_CANCEL_ASYNCHRONOUS)
        return EINVAL;
    if (old != NULL)
        *old = self->cancel_async ? PTHREAD_CANCEL_ASYNCHRONOUS : PTHREAD_CANCEL_DEFERRED;
    self->cancel_async = type == PTHREAD_CANCEL_ASYNCHRONOUS;
    if (self->cancel_async)
        __kw86_testcancel();
    return 0;
}

/* the cancellation points over system calls */

ssize_t
read(int fd, void *buf, size_t n)
{
    int c = __kw86_cancelpt_enter();
    ssize_t r = __sys_read(fd, buf, n);

    cancelpt_check(c, r == -1);
    return r;
}

ssize_t
write(int fd, const void *buf, size_t n)
{
    int c = __kw86_cancelpt_enter();
    ssize_t r = __sys_write(fd, buf, n);

    cancelpt_check(c, r == -1);
    return r;
}

int
poll(struct pollfd *fds, nfds_t n, int timeout)
{
    int c = __kw86_cancelpt_enter();
    int r = __sys_poll(fds, n, timeout);

    cancelpt_check(c, r == -1);
    return r;
}

int
select(int nd, fd_set *in, fd_set *ou, fd_set *ex, struct timeval *tv)
{
    int c = __kw86_cancelpt_enter();
    int r = __sys_select(nd, in, ou, ex, tv);

    cancelpt_check(c, r == -1);
    return r;
}

int
nanosleep(const struct timespec *rq, struct timespec *rm)
{
    int c = __kw86_cancelpt_enter();
    int r = __sys_nanosleep(rq, rm);

    cancelpt_check(c, r == -1);
    return r;
}

/* -- signals, names -------------------------------------------------------------- */

int
pthread_sigmask(int how, const sigset_t *set, sigset_t *oset)
{
    int saved = errno, r = 0;

    if (sigprocmask(how, set, oset) == -1)  /* __sigprocmask14: the calling LWP's mask */
        r = errno;
    errno = saved;
    return r;
}

int
pthread_kill(pthread_t t, int sig)
{
    int saved = errno, r = 0;

    if (sig < 0 || sig >= NSIG)
        return EINVAL;
    if (__isthreaded) {
        pthread_mutex_lock(&threads_lock);
        if (!find_thread(t) || t->state != PT_RUNNING)
            r = ESRCH;
        pthread_mutex_unlock(&threads_lock);
    } else if (t != &__kw86_main_thread) {
        r = ESRCH;
    }
    if (r == 0 && _lwp_kill(__isthreaded ? t->lid : _lwp_self(), sig) == -1)
        r = errno;
    errno = saved;
    return r;
}

/* The CPU-time clock of a thread: CLOCK_THREAD_CPUTIME_ID | its LWP id
 * (clock_getcpuclockid2 P_LWPID, as NetBSD's libpthread). */
int
pthread_getcpuclockid(pthread_t t, clockid_t *clock_id)
{
    int saved = errno, r = 0;
    lwpid_t lid = _lwp_self();

    if (__isthreaded) {
        pthread_mutex_lock(&threads_lock);
        if (!find_thread(t) || t->state != PT_RUNNING)
            r = ESRCH;
        else
            lid = t->lid;
        pthread_mutex_unlock(&threads_lock);
    } else if (t != &__kw86_main_thread) {
        r = ESRCH;
    }
    if (r == 0 && clock_getcpuclockid2(P_LWPID, (id_t)lid, clock_id) == -1)
        r = errno;
    errno = saved;
    return r;
}

int
pthread_setname_np(pthread_t t, const char *fmt, void *arg)
{
    char name[PTHREAD_MAX_NAMELEN_NP];
    int saved = errno, n;

    n = snprintf(name, sizeof name, fmt, arg);
    if (n < 0 || (size_t)n >= sizeof name)
        return EINVAL;
    memcpy(t->name, name, (size_t)n + 1);
    (void)_lwp_setname(__isthreaded ? t->lid : 0, name);
    errno = saved;
    return 0;
}

int
pthread_getname_np(pthread_t t, char *buf, size_t len)
{
    size_t n = strlen(t->name);

    if (len == 0)
        return 0;
    if (n >= len)
        n = len - 1;
    memcpy(buf, t->name, n);
    buf[n] = '\0';
    return 0;
}

/* -- fork -------------------------------------------------------------------------- */

struct atfork {
    void (*prepare)(void), (*parent)(void), (*child)(void);
    struct atfork *next, *prev;
};
static struct atfork *atfork_head, *atfork_tail;

int
pthread_atfork(void (*prepare)(void), void (*parent)(void), void (*child)(void))
{
    struct atfork *a = malloc(sizeof *a);

    if (a == NULL)
        return ENOMEM;
    a->prepare = prepare;
    a->parent = parent;
    a->child = child;
    a->next = NULL;
    a->prev = atfork_tail;
    if (atfork_tail != NULL)
        atfork_tail->next = a;
    else
        atfork_head = a;
    atfork_tail = a;
    return 0;
}

static void
reinit_lock(pthread_mutex_t *m, int type)
{
    memset(m, 0, sizeof *m);
    m->magic = _PT_MUTEX_MAGIC;
    m->type = type;
}

/* fork(2) under the atfork handlers (prepare in reverse order of registration,
 * parent and child in order); libc's own locks are held across the call so the
 * child's one thread finds malloc and stdio consistent. */
pid_t
fork(void)
{
    struct atfork *a;
    pthread_t self, t, next;
    pid_t pid;

    for (a = atfork_tail; a != NULL; a = a->prev)
        if (a->prepare != NULL)
            a->prepare();
    if (__isthreaded) {
        pthread_mutex_lock(&__kw86_stdio_lock);
        pthread_mutex_lock(&__kw86_malloc_lock);
        pthread_mutex_lock(&threads_lock);
    }
    pid = __sys_fork();
    if (pid == 0 && __isthreaded) {
        /* the child: this thread alone; the others' records are dropped (their
         * stacks stay mapped, as NetBSD leaves them) */
        self = __kw86_self();
        self->lid = _lwp_self();
        for (t = all_threads; t != NULL; t = next) {
            next = t->next;
            if (t != self && t != &__kw86_main_thread)
                t->magic = 0;
        }
        all_threads = self;
        self->next = NULL;
        dead_detached = NULL;
        nlive = 1;
        reinit_lock(&threads_lock, PTHREAD_MUTEX_NORMAL);
        reinit_lock(&keys_lock, PTHREAD_MUTEX_NORMAL);
        reinit_lock(&__kw86_malloc_lock, PTHREAD_MUTEX_NORMAL);
        reinit_lock(&__kw86_stdio_lock, PTHREAD_MUTEX_RECURSIVE);
    } else if (__isthreaded) {
        pthread_mutex_unlock(&threads_lock);
        pthread_mutex_unlock(&__kw86_malloc_lock);
        pthread_mutex_unlock(&__kw86_stdio_lock);
    }
    for (a = atfork_head; a != NULL; a = a->next) {
        if (pid == 0 && a->child != NULL)
            a->child();
        else if (pid != 0 && a->parent != NULL)
            a->parent();
    }
    return pid;
}
