/*
 * kw86 libc: POSIX semaphores over the kernel's _ksem_* calls (kw86/nbsd/
 * syscalls/ksem.py), as NetBSD's librt builds them: a sem_t holds the id the
 * kernel handed out.  sem_wait and sem_timedwait are cancellation points; a
 * caught signal ends them with EINTR unless its handler has SA_RESTART (then
 * sem_wait goes on waiting; sem_timedwait always ends with EINTR), as the
 * kernel decides.  sem_open of a name this process already has open returns
 * the same sem_t (the kernel answers with the same id); sem_close releases it.
 * Errors come from the kernel, and EINVAL for a sem_t that is not one.
 */
#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdlib.h>

#include "pthread_int.h"

#define SEM_MAGIC 0x66660007

int _ksem_init(unsigned int, __intptr_t *);
int _ksem_open(const char *, int, mode_t, unsigned int, __intptr_t *);
int _ksem_unlink(const char *);
int _ksem_close(__intptr_t);
int _ksem_post(__intptr_t);
int _ksem_wait(__intptr_t);
int _ksem_trywait(__intptr_t);
int _ksem_getvalue(__intptr_t, unsigned int *);
int _ksem_destroy(__intptr_t);
int _ksem_timedwait(__intptr_t, const struct timespec *);

/* the named semaphores this process has open (sem_open's sem_t): kw86's
 * _ksem_open answers a name the process has open with the id it has, so a
 * second sem_open returns the same sem_t (POSIX), and `opens` counts the
 * sem_open calls that sem_close has not matched yet: the id is closed with
 * the last one, as each of NetBSD's sem_open/sem_close pairs closes only its
 * own descriptor */
struct named {
    sem_t sem;
    unsigned int opens;
    struct named *next;
};
static struct named *named_list;
static volatile int named_lock;

static int
valid(sem_t *s)
{
    if (s == NULL || s->magic != SEM_MAGIC) {
        errno = EINVAL;
        return 0;
    }
    return 1;
}

int
sem_init(sem_t *s, int pshared, unsigned int value)
{
    __intptr_t id;

    (void)pshared;
    if (value > SEM_VALUE_MAX) {
        errno = EINVAL;
        return -1;
    }
    if (_ksem_init(value, &id) == -1)
        return -1;
    s->id = id;
    s->magic = SEM_MAGIC;
    return 0;
}

int
sem_destroy(sem_t *s)
{
    if (!valid(s))
        return -1;
    if (_ksem_destroy(s->id) == -1)
        return -1;
    s->magic = 0xdead0007;
    return 0;
}

sem_t *
sem_open(const char *name, int oflag, ...)
{
    struct named *n;
    __intptr_t id;
    mode_t mode = 0;
    unsigned int value = 0;
    va_list ap;

    if (oflag & O_CREAT) {
        va_start(ap, oflag);
        mode = (mode_t)va_arg(ap, int);
        value = va_arg(ap, unsigned int);
        va_end(ap);
        if (value > SEM_VALUE_MAX) {
            errno = EINVAL;
            return SEM_FAILED;
        }
    }
    if (_ksem_open(name, oflag, mode, value, &id) == -1)
        return SEM_FAILED;
    __kw86_interlock(&named_lock);
    for (n = named_list; n != NULL; n = n->next)
        if (n->sem.id == id)
            break;
    if (n != NULL)
        n->opens++;
    else if ((n = malloc(sizeof(*n))) != NULL) {
        n->sem.magic = SEM_MAGIC;
        n->sem.id = id;
        n->opens = 1;
        n->next = named_list;
        named_list = n;
    }
    __kw86_interunlock(&named_lock);
    if (n == NULL) {
        int saved = errno;

        (void)_ksem_close(id);
        errno = saved;
        return SEM_FAILED;
    }
    return &n->sem;
}

int
sem_close(sem_t *s)
{
    struct named **pp, *n;

    if (!valid(s))
        return -1;
    __kw86_interlock(&named_lock);
    for (pp = &named_list; *pp != NULL && &(*pp)->sem != s; pp = &(*pp)->next)
        ;
    n = *pp;
    if (n != NULL && --n->opens > 0) {  /* another sem_open still holds it */
        __kw86_interunlock(&named_lock);
        return 0;
    }
    if (n != NULL)
        *pp = n->next;
    __kw86_interunlock(&named_lock);
    if (n == NULL) {                    /* not from sem_open */
        errno = EINVAL;
        return -1;
    }
    (void)_ksem_close(n->sem.id);
    n->sem.magic = 0xdead0007;
    free(n);
    return 0;
}

int
sem_unlink(const char *name)
{
    return _ksem_unlink(name);
}

/* a cancellation point's call: EINTR may be a pthread_cancel */
static int
waitcall(sem_t *s, const struct timespec *abs)
{
    int c, r;

    if (!valid(s))
        return -1;
    c = __kw86_cancelpt_enter();
    r = abs == NULL ? _ksem_wait(s->id) : _ksem_timedwait(s->id, abs);
    __kw86_cancelpt_leave(c);
    if (c && r == -1 && errno == EINTR)
        __kw86_testcancel();
    return r;
}

int sem_wait(sem_t *s) { return waitcall(s, NULL); }
int sem_timedwait(sem_t *s, const struct timespec *abs) { return waitcall(s, abs); }

int
sem_trywait(sem_t *s)
{
    return valid(s) ? _ksem_trywait(s->id) : -1;
}

int
sem_post(sem_t *s)
{
    return valid(s) ? _ksem_post(s->id) : -1;
}

int
sem_getvalue(sem_t *s, int *value)
{
    unsigned int v;

    if (!valid(s) || _ksem_getvalue(s->id, &v) == -1)
        return -1;
    *value = (int)v;
    return 0;
}
