/*
 * <pthread.h>: POSIX threads in kw86's libc (libc/pthread*.c), on NetBSD's LWPs
 * (_lwp_create, ___lwp_park60/_lwp_unpark, _lwp_kill ...).  The numbers a program
 * sees are NetBSD's (lib/libpthread/pthread.h, pthread_types.h); the object layouts
 * are kw86's own (binary compatibility with NetBSD's libpthread is not a goal), and
 * every PTHREAD_*_INITIALIZER is a static initialiser.
 */
#ifndef _PTHREAD_H_
#define _PTHREAD_H_

#include <sys/cdefs.h>
#include <sys/types.h>
#include <time.h>
#include <sched.h>
#include <signal.h>
#include <limits.h>

struct __kw86_pthread;
#ifndef _KW86_PTHREAD_T_DECLARED
#define _KW86_PTHREAD_T_DECLARED
typedef struct __kw86_pthread *pthread_t;
#endif
typedef unsigned int pthread_key_t;

struct __kw86_waiter;                   /* a parked thread (libc/pthread_int.h) */

typedef struct {
    unsigned int magic;
    int detachstate, inheritsched, scope, policy;
    struct sched_param param;
    size_t stacksize, guardsize;
    void *stackaddr;
    char *name;
} pthread_attr_t;

typedef struct {
    unsigned int magic;                 /* 0x33330003 while valid */
    volatile int interlock;             /* guards the fields below */
    int type;                           /* PTHREAD_MUTEX_* */
    pthread_t owner;
    unsigned int count;                 /* recursion depth */
    struct __kw86_waiter *head, *tail;
    int protocol, prioceiling;          /* recorded (priorities are not applied) */
} pthread_mutex_t;

typedef struct {
    unsigned int magic;
    int type, pshared, protocol, prioceiling;
} pthread_mutexattr_t;

typedef struct {
    unsigned int magic;                 /* 0x55550005 while valid */
    volatile int interlock;
    clockid_t clock;
    pthread_mutex_t *mutex;             /* the mutex of the current waiters */
    struct __kw86_waiter *head, *tail;
} pthread_cond_t;

typedef struct {
    unsigned int magic;
    clockid_t clock;
    int pshared;
} pthread_condattr_t;

typedef struct {
    unsigned int magic;                 /* 0x99990009 while valid */
    pthread_mutex_t lock;
    pthread_cond_t readers, writers;
    int nreaders, rwaiting, wwaiting;
    pthread_t writer;
} pthread_rwlock_t;

typedef struct {
    unsigned int magic;
    int pshared;
} pthread_rwlockattr_t;

typedef struct {
    unsigned int magic;                 /* 0x88880008 while valid */
    pthread_mutex_t lock;
    pthread_cond_t cv;
    unsigned int count, arrived, generation;
} pthread_barrier_t;

typedef struct {
    unsigned int magic;
    int pshared;
} pthread_barrierattr_t;

typedef struct {
    unsigned int magic;                 /* 0x77770007 while valid */
    volatile int lock;
    pthread_t owner;
} pthread_spinlock_t;

typedef struct {
    pthread_mutex_t mutex;
    volatile int done;
} pthread_once_t;

#define _PT_MUTEX_MAGIC   0x33330003
#define _PT_COND_MAGIC    0x55550005
#define _PT_RWLOCK_MAGIC  0x99990009

#define PTHREAD_CREATE_JOINABLE 0
#define PTHREAD_CREATE_DETACHED 1
#define PTHREAD_INHERIT_SCHED   0
#define PTHREAD_EXPLICIT_SCHED  1
#define PTHREAD_SCOPE_PROCESS   0
#define PTHREAD_SCOPE_SYSTEM    1
#define PTHREAD_PROCESS_PRIVATE 0
#define PTHREAD_PROCESS_SHARED  1

#define PTHREAD_CANCEL_DEFERRED     0
#define PTHREAD_CANCEL_ASYNCHRONOUS 1
#define PTHREAD_CANCEL_ENABLE       0
#define PTHREAD_CANCEL_DISABLE      1
#define PTHREAD_CANCELED            ((void *)1)

#define PTHREAD_BARRIER_SERIAL_THREAD 1234567

#define PTHREAD_MUTEX_NORMAL     0
#define PTHREAD_MUTEX_ERRORCHECK 1
#define PTHREAD_MUTEX_RECURSIVE  2
#define PTHREAD_MUTEX_DEFAULT    PTHREAD_MUTEX_NORMAL
#define PTHREAD_PRIO_NONE        0
#define PTHREAD_PRIO_INHERIT     1
#define PTHREAD_PRIO_PROTECT     2

#define PTHREAD_MAX_NAMELEN_NP   32

#define PTHREAD_MUTEX_INITIALIZER { _PT_MUTEX_MAGIC, 0, PTHREAD_MUTEX_NORMAL, 0, 0, 0, 0 }
#define PTHREAD_COND_INITIALIZER  { _PT_COND_MAGIC, 0, CLOCK_REALTIME, 0, 0, 0 }
#define PTHREAD_RWLOCK_INITIALIZER \
    { _PT_RWLOCK_MAGIC, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, \
      PTHREAD_COND_INITIALIZER, 0, 0, 0, 0 }
#define PTHREAD_ONCE_INIT { PTHREAD_MUTEX_INITIALIZER, 0 }

/* pthread_cleanup_push/pop: a block, the handler record on the caller's stack */
struct __kw86_cleanup {
    void (*routine)(void *);
    void *arg;
    struct __kw86_cleanup *next;
};
#define pthread_cleanup_push(routine, arg) \
    { struct __kw86_cleanup __kw86_cln; __kw86_cleanup_push(&__kw86_cln, (routine), (arg));
#define pthread_cleanup_pop(execute) \
    __kw86_cleanup_pop(&__kw86_cln, (execute)); }

__BEGIN_DECLS
void __kw86_cleanup_push(struct __kw86_cleanup *, void (*)(void *), void *);
void __kw86_cleanup_pop(struct __kw86_cleanup *, int);

int  pthread_create(pthread_t *__restrict, const pthread_attr_t *__restrict,
                    void *(*)(void *), void *__restrict);
void pthread_exit(void *) __attribute__((__noreturn__));
int  pthread_join(pthread_t, void **);
int  pthread_detach(pthread_t);
pthread_t pthread_self(void);
int  pthread_equal(pthread_t, pthread_t);
int  pthread_once(pthread_once_t *, void (*)(void));
int  pthread_atfork(void (*)(void), void (*)(void), void (*)(void));

int  pthread_attr_init(pthread_attr_t *);
int  pthread_attr_destroy(pthread_attr_t *);
int  pthread_attr_getdetachstate(const pthread_attr_t *, int *);
int  pthread_attr_setdetachstate(pthread_attr_t *, int);
int  pthread_attr_getstacksize(const pthread_attr_t *__restrict, size_t *__restrict);
int  pthread_attr_setstacksize(pthread_attr_t *, size_t);
int  pthread_attr_getstackaddr(const pthread_attr_t *__restrict, void **__restrict);
int  pthread_attr_setstackaddr(pthread_attr_t *, void *);
int  pthread_attr_getstack(const pthread_attr_t *__restrict, void **__restrict, size_t *__restrict);
int  pthread_attr_setstack(pthread_attr_t *, void *, size_t);
int  pthread_attr_getguardsize(const pthread_attr_t *__restrict, size_t *__restrict);
int  pthread_attr_setguardsize(pthread_attr_t *, size_t);
int  pthread_attr_getinheritsched(const pthread_attr_t *__restrict, int *__restrict);
int  pthread_attr_setinheritsched(pthread_attr_t *, int);
int  pthread_attr_getschedparam(const pthread_attr_t *__restrict, struct sched_param *__restrict);
int  pthread_attr_setschedparam(pthread_attr_t *__restrict, const struct sched_param *__restrict);
int  pthread_attr_getschedpolicy(const pthread_attr_t *__restrict, int *__restrict);
int  pthread_attr_setschedpolicy(pthread_attr_t *, int);
int  pthread_attr_getscope(const pthread_attr_t *__restrict, int *__restrict);
int  pthread_attr_setscope(pthread_attr_t *, int);
int  pthread_getattr_np(pthread_t, pthread_attr_t *);
int  pthread_getschedparam(pthread_t, int *__restrict, struct sched_param *__restrict);
int  pthread_setschedparam(pthread_t, int, const struct sched_param *);
int  pthread_setschedprio(pthread_t, int);
int  pthread_getconcurrency(void);
int  pthread_setconcurrency(int);

int  pthread_mutex_init(pthread_mutex_t *__restrict, const pthread_mutexattr_t *__restrict);
int  pthread_mutex_destroy(pthread_mutex_t *);
int  pthread_mutex_lock(pthread_mutex_t *);
int  pthread_mutex_trylock(pthread_mutex_t *);
int  pthread_mutex_timedlock(pthread_mutex_t *__restrict, const struct timespec *__restrict);
int  pthread_mutex_unlock(pthread_mutex_t *);
int  pthread_mutexattr_init(pthread_mutexattr_t *);
int  pthread_mutexattr_destroy(pthread_mutexattr_t *);
int  pthread_mutexattr_gettype(const pthread_mutexattr_t *__restrict, int *__restrict);
int  pthread_mutexattr_settype(pthread_mutexattr_t *, int);
int  pthread_mutexattr_getpshared(const pthread_mutexattr_t *__restrict, int *__restrict);
int  pthread_mutexattr_setpshared(pthread_mutexattr_t *, int);
int  pthread_mutexattr_getprioceiling(const pthread_mutexattr_t *__restrict, int *__restrict);
int  pthread_mutexattr_setprioceiling(pthread_mutexattr_t *, int);
int  pthread_mutex_getprioceiling(const pthread_mutex_t *__restrict, int *__restrict);
int  pthread_mutex_setprioceiling(pthread_mutex_t *__restrict, int, int *__restrict);
int  pthread_mutexattr_getprotocol(const pthread_mutexattr_t *__restrict, int *__restrict);
int  pthread_mutexattr_setprotocol(pthread_mutexattr_t *, int);

int  pthread_cond_init(pthread_cond_t *__restrict, const pthread_condattr_t *__restrict);
int  pthread_cond_destroy(pthread_cond_t *);
int  pthread_cond_wait(pthread_cond_t *__restrict, pthread_mutex_t *__restrict);
int  pthread_cond_timedwait(pthread_cond_t *__restrict, pthread_mutex_t *__restrict,
                            const struct timespec *__restrict);
int  pthread_cond_signal(pthread_cond_t *);
int  pthread_cond_broadcast(pthread_cond_t *);
int  pthread_condattr_init(pthread_condattr_t *);
int  pthread_condattr_destroy(pthread_condattr_t *);
int  pthread_condattr_getclock(const pthread_condattr_t *__restrict, clockid_t *__restrict);
int  pthread_condattr_setclock(pthread_condattr_t *, clockid_t);
int  pthread_condattr_getpshared(const pthread_condattr_t *__restrict, int *__restrict);
int  pthread_condattr_setpshared(pthread_condattr_t *, int);

int  pthread_rwlock_init(pthread_rwlock_t *__restrict, const pthread_rwlockattr_t *__restrict);
int  pthread_rwlock_destroy(pthread_rwlock_t *);
int  pthread_rwlock_rdlock(pthread_rwlock_t *);
int  pthread_rwlock_tryrdlock(pthread_rwlock_t *);
int  pthread_rwlock_timedrdlock(pthread_rwlock_t *__restrict, const struct timespec *__restrict);
int  pthread_rwlock_wrlock(pthread_rwlock_t *);
int  pthread_rwlock_trywrlock(pthread_rwlock_t *);
int  pthread_rwlock_timedwrlock(pthread_rwlock_t *__restrict, const struct timespec *__restrict);
int  pthread_rwlock_unlock(pthread_rwlock_t *);
int  pthread_rwlockattr_init(pthread_rwlockattr_t *);
int  pthread_rwlockattr_destroy(pthread_rwlockattr_t *);
int  pthread_rwlockattr_getpshared(const pthread_rwlockattr_t *__restrict, int *__restrict);
int  pthread_rwlockattr_setpshared(pthread_rwlockattr_t *, int);

int  pthread_barrier_init(pthread_barrier_t *__restrict, const pthread_barrierattr_t *__restrict,
                          unsigned int);
int  pthread_barrier_destroy(pthread_barrier_t *);
int  pthread_barrier_wait(pthread_barrier_t *);
int  pthread_barrierattr_init(pthread_barrierattr_t *);
int  pthread_barrierattr_destroy(pthread_barrierattr_t *);
int  pthread_barrierattr_getpshared(const pthread_barrierattr_t *__restrict, int *__restrict);
int  pthread_barrierattr_setpshared(pthread_barrierattr_t *, int);

int  pthread_spin_init(pthread_spinlock_t *, int);
int  pthread_spin_destroy(pthread_spinlock_t *);
int  pthread_spin_lock(pthread_spinlock_t *);
int  pthread_spin_trylock(pthread_spinlock_t *);
int  pthread_spin_unlock(pthread_spinlock_t *);

int  pthread_key_create(pthread_key_t *, void (*)(void *));
int  pthread_key_delete(pthread_key_t);
void *pthread_getspecific(pthread_key_t);
int  pthread_setspecific(pthread_key_t, const void *);

int  pthread_cancel(pthread_t);
int  pthread_setcancelstate(int, int *);
int  pthread_setcanceltype(int, int *);
void pthread_testcancel(void);

int  pthread_sigmask(int, const sigset_t *__restrict, sigset_t *__restrict);
int  pthread_kill(pthread_t, int);
int  pthread_getcpuclockid(pthread_t, clockid_t *);

/* NetBSD's: the name is a printf format with one argument */
int  pthread_setname_np(pthread_t, const char *, void *);
int  pthread_getname_np(pthread_t, char *, size_t);
__END_DECLS

#endif
