/*
 * kw86 libc: libpthread's private state.
 *
 * Each thread has a struct __kw86_pthread whose first words are its TCB as NetBSD
 * lays one out (sys/tls.h struct tls_tcb: tcb_self, tcb_dtv, tcb_pthread): the
 * kernel's %gs base (_lwp_setprivate, or _UC_TLSBASE in _lwp_create's context)
 * points at it, so %gs:0 is the thread's own address.  Until the first
 * pthread_create the process has one thread and __isthreaded is 0: errno, malloc
 * and stdio then take no lock and read no %gs.
 *
 * Waiting: a thread that must wait puts a struct __kw86_waiter (on its stack) on
 * the object's queue under the object's interlock, drops the interlock and parks
 * (___lwp_park60) until a waker sets w->woken and unparks it (_lwp_unpark).
 */
#ifndef _KW86_PTHREAD_INT_H_
#define _KW86_PTHREAD_INT_H_

#include <pthread.h>
#include <sys/types.h>
#include <time.h>
#include <sched.h>

#define PT_KEYS_MAX 256                 /* PTHREAD_KEYS_MAX */
#define PT_DESTRUCTOR_ITERATIONS 4

struct __kw86_waiter {
    struct __kw86_waiter *next;
    pthread_t thread;
    lwpid_t lid;
    volatile int woken;
};

struct __kw86_pthread {
    /* struct tls_tcb */
    struct __kw86_pthread *tcb_self;
    void *tcb_dtv;
    struct __kw86_pthread *tcb_pthread;
    int err;                            /* this thread's errno */
    lwpid_t lid;
    unsigned int magic;                 /* PT_MAGIC while the thread can be named */
    void *(*start)(void *);
    void *arg;
    void *retval;
    int state;                          /* PT_RUNNING, PT_EXITED */
    int detached;
    int joining;                        /* a pthread_join is waiting for it */
    volatile int cancel_pending;
    int cancel_disabled;
    int cancel_async;
    volatile int in_cancelpt;           /* inside a cancellation point's system call */
    struct __kw86_cleanup *cleanup;
    void *specific[PT_KEYS_MAX];
    int has_specific;
    void *map;                          /* the stack mapping libpthread made, or NULL */
    size_t mapsize;
    size_t guardsize;
    void *stackaddr;
    size_t stacksize;
    char name[PTHREAD_MAX_NAMELEN_NP];
    int policy;                         /* scheduling, as the thread was given it */
    struct sched_param param;
    struct __kw86_pthread *next;        /* all threads / dead detached threads */
};

#define PT_MAGIC 0x11110001
#define PT_RUNNING 1
#define PT_EXITED 2

extern int __isthreaded;
extern struct __kw86_pthread __kw86_main_thread;

static inline pthread_t
__kw86_self(void)
{
    pthread_t t;
    if (!__isthreaded)
        return &__kw86_main_thread;
    __asm__ volatile("movl %%gs:0, %0" : "=r"(t));
    return t;
}

/* interlocks: held for a few instructions; contention yields the CPU */
void __kw86_interlock(volatile int *);
static inline void
__kw86_interunlock(volatile int *l)
{
    __atomic_store_n(l, 0, __ATOMIC_RELEASE);
}

/* park until w->woken (0), the absolute time abs on clock (ETIMEDOUT), a
 * cancellation of a cancellable wait (ECANCELED), or with PARK_INTR a signal (EINTR) */
int __kw86_park(struct __kw86_waiter *w, clockid_t clock, const struct timespec *abs,
                int cancellable);
#define PARK_INTR 2                     /* with cancellable: a signal ends it (EINTR) */
void __kw86_wake(struct __kw86_waiter *w);

/* cancellation points */
int __kw86_cancelpt_enter(void);
void __kw86_cancelpt_leave(int);
void __kw86_testcancel(void);

/* libc's own locks (malloc, stdio): no-ops, inline, until the process has threads */
static inline void
__kw86_libc_lock(pthread_mutex_t *m)
{
    if (__isthreaded)
        (void)pthread_mutex_lock(m);
}

static inline void
__kw86_libc_unlock(pthread_mutex_t *m)
{
    if (__isthreaded)
        (void)pthread_mutex_unlock(m);
}

/* the system calls under libpthread (syscalls.master) */
int _lwp_create(const void *, unsigned long, lwpid_t *);
int _lwp_continue(lwpid_t);
#define LWP_SUSPENDED 0x00000080      /* NetBSD's <sys/lwp.h>: created suspended */
void _lwp_exit(void) __attribute__((__noreturn__));
lwpid_t _lwp_self(void);
int _lwp_wait(lwpid_t, lwpid_t *);
int _lwp_kill(lwpid_t, int);
int _lwp_wakeup(lwpid_t);
int _lwp_unpark(lwpid_t, const void *);
ssize_t _lwp_unpark_all(const lwpid_t *, size_t, const void *);
int ___lwp_park60(clockid_t, int, struct timespec *, lwpid_t, const void *, const void *);
int _lwp_setname(lwpid_t, const char *);
int _lwp_getname(lwpid_t, char *, size_t);
void _lwp_setprivate(void *);

#endif
