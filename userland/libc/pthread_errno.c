/*
 * kw86 libc: errno per thread, and the state every program has whether it
 * makes threads or not (the main thread's record, __isthreaded).
 */
#include <errno.h>

#include "pthread_int.h"

int __isthreaded;                       /* set by the first pthread_create, never cleared */
struct __kw86_pthread __kw86_main_thread = {
    .tcb_self = &__kw86_main_thread,
    .tcb_pthread = &__kw86_main_thread,
    .magic = PT_MAGIC,
    .state = PT_RUNNING,
    .name = "",
};

int *
__errno(void)
{
    return &__kw86_self()->err;
}
