/*
 * <semaphore.h>: POSIX semaphores (libc/semaphore.c) over the kernel's
 * _ksem_* system calls, as NetBSD's librt: a sem_t holds the kernel's id.
 * Unnamed ones (sem_init) are process-private (pshared is accepted and
 * ignored: they are not shared with a forked child); named ones (sem_open)
 * live in the system's namespace until sem_unlink.
 */
#ifndef _SEMAPHORE_H_
#define _SEMAPHORE_H_

#include <sys/cdefs.h>
#include <sys/types.h>
#include <time.h>
#include <limits.h>

typedef struct {
    unsigned int magic;                 /* 0x66660007 while valid */
    __intptr_t id;                      /* the kernel's semaphore id */
} sem_t;

#define SEM_VALUE_MAX INT_MAX
#define SEM_FAILED ((sem_t *)0)

__BEGIN_DECLS
int sem_init(sem_t *, int, unsigned int);
int sem_destroy(sem_t *);
sem_t *sem_open(const char *, int, ...);
int sem_close(sem_t *);
int sem_unlink(const char *);
int sem_wait(sem_t *);
int sem_trywait(sem_t *);
int sem_timedwait(sem_t *__restrict, const struct timespec *__restrict);
int sem_post(sem_t *);
int sem_getvalue(sem_t *__restrict, int *__restrict);
__END_DECLS

#endif
