/*
 * <semaphore.h>: unnamed POSIX semaphores (libc/semaphore.c), process-private,
 * built on libpthread's parking (___lwp_park60/_lwp_unpark).  Named semaphores
 * (sem_open) and process-shared ones are not provided (sem_init with pshared:
 * ENOSYS).
 */
#ifndef _SEMAPHORE_H_
#define _SEMAPHORE_H_

#include <sys/cdefs.h>
#include <sys/types.h>
#include <time.h>
#include <limits.h>

struct __kw86_waiter;

typedef struct {
    unsigned int magic;                 /* 0x66660006 while valid */
    volatile int interlock;
    unsigned int value;
    struct __kw86_waiter *head, *tail;
} sem_t;

#define SEM_VALUE_MAX INT_MAX
#define SEM_FAILED ((sem_t *)0)

__BEGIN_DECLS
int sem_init(sem_t *, int, unsigned int);
int sem_destroy(sem_t *);
int sem_wait(sem_t *);
int sem_trywait(sem_t *);
int sem_timedwait(sem_t *__restrict, const struct timespec *__restrict);
int sem_post(sem_t *);
int sem_getvalue(sem_t *__restrict, int *__restrict);
__END_DECLS

#endif
