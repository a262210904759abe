/* kw86 libc: posix_spawn(3).  posix_spawn itself is the system call
 * (posix_spawn 474, a stub from syscalls.master: the kernel returns the
 * error number as the value, as NetBSD's does); posix_spawnp searches PATH
 * and calls it; the file actions and attributes are plain data the kernel
 * reads (<sys/spawn.h>). */
#include <spawn.h>
#include <errno.h>
#include <limits.h>
#include <paths.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libc_private.h"

#define FAE_FIRST 8                     /* slots of a new action list */

struct spawn_args {
    pid_t *pid;
    const posix_spawn_file_actions_t *fa;
    const posix_spawnattr_t *sa;
    char *const *argv, *const *envp;
};

static int
spawn_try(const char *path, void *arg)
{
    struct spawn_args *a = arg;

    return posix_spawn(a->pid, path, a->fa, a->sa, a->argv, a->envp);
}

int
posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
    const posix_spawnattr_t *sa, char *const *argv, char *const *envp)
{
    struct spawn_args a = { pid, fa, sa, argv, envp };

    /* the search execvp makes (exec.c): 0 (started), ENOEXEC, E2BIG,
       EAGAIN ... end it */
    return __kw86_pathsearch(file, spawn_try, &a);
}

/* -- file actions -- */

int
posix_spawn_file_actions_init(posix_spawn_file_actions_t *fa)
{
    fa->fae = malloc(FAE_FIRST * sizeof(*fa->fae));
    if (fa->fae == NULL)
        return ENOMEM;
    fa->size = FAE_FIRST;
    fa->len = 0;
    return 0;
}

int
posix_spawn_file_actions_destroy(posix_spawn_file_actions_t *fa)
{
    unsigned int i;

    if (fa == NULL)
        return EINVAL;
    for (i = 0; i < fa->len; i++) {
        if (fa->fae[i].fae_action == FAE_OPEN)
            free(fa->fae[i].fae_path);
        else if (fa->fae[i].fae_action == FAE_CHDIR)
            free(fa->fae[i].fae_chdir_path);
    }
    free(fa->fae);
    fa->fae = NULL;
    fa->len = fa->size = 0;
    return 0;
}

static posix_spawn_file_actions_entry_t *
fae_new(posix_spawn_file_actions_t *fa)
{
    if (fa->len == fa->size) {
        unsigned int n = fa->size ? 2 * fa->size : FAE_FIRST;
        posix_spawn_file_actions_entry_t *t = realloc(fa->fae, n * sizeof(*t));
        if (t == NULL)
            return NULL;
        fa->fae = t;
        fa->size = n;
    }
    return &fa->fae[fa->len];
}

int
posix_spawn_file_actions_addopen(posix_spawn_file_actions_t *__restrict fa, int fildes,
    const char *__restrict path, int oflag, mode_t mode)
{
    posix_spawn_file_actions_entry_t *e;
    char *copy;

    if (fildes < 0)
        return EBADF;
    if ((e = fae_new(fa)) == NULL || (copy = strdup(path)) == NULL)
        return ENOMEM;
    e->fae_action = FAE_OPEN;
    e->fae_fildes = fildes;
    e->fae_path = copy;
    e->fae_oflag = oflag;
    e->fae_mode = mode;
    fa->len++;
    return 0;
}

int
posix_spawn_file_actions_adddup2(posix_spawn_file_actions_t *fa, int fildes, int newfildes)
{
    posix_spawn_file_actions_entry_t *e;

    if (fildes < 0 || newfildes < 0)
        return EBADF;
    if ((e = fae_new(fa)) == NULL)
        return ENOMEM;
    e->fae_action = FAE_DUP2;
    e->fae_fildes = fildes;
    e->fae_newfildes = newfildes;
    fa->len++;
    return 0;
}

int
posix_spawn_file_actions_addclose(posix_spawn_file_actions_t *fa, int fildes)
{
    posix_spawn_file_actions_entry_t *e;

    if (fildes < 0)
        return EBADF;
    if ((e = fae_new(fa)) == NULL)
        return ENOMEM;
    e->fae_action = FAE_CLOSE;
    e->fae_fildes = fildes;
    fa->len++;
    return 0;
}

int
posix_spawn_file_actions_addchdir(posix_spawn_file_actions_t *__restrict fa,
    const char *__restrict path)
{
    posix_spawn_file_actions_entry_t *e;
    char *copy;

    if ((e = fae_new(fa)) == NULL || (copy = strdup(path)) == NULL)
        return ENOMEM;
    e->fae_action = FAE_CHDIR;
    e->fae_fildes = -1;
    e->fae_chdir_path = copy;
    fa->len++;
    return 0;
}

int
posix_spawn_file_actions_addfchdir(posix_spawn_file_actions_t *fa, int fildes)
{
    posix_spawn_file_actions_entry_t *e;

    if (fildes < 0)
        return EBADF;
    if ((e = fae_new(fa)) == NULL)
        return ENOMEM;
    e->fae_action = FAE_FCHDIR;
    e->fae_fildes = fildes;
    fa->len++;
    return 0;
}

/* -- attributes -- */

#define SPAWN_FLAGS (POSIX_SPAWN_RESETIDS | POSIX_SPAWN_SETPGROUP | \
    POSIX_SPAWN_SETSCHEDPARAM | POSIX_SPAWN_SETSCHEDULER | POSIX_SPAWN_SETSIGDEF | \
    POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_RETURNERROR)

int
posix_spawnattr_init(posix_spawnattr_t *sa)
{
    memset(sa, 0, sizeof(*sa));
    return 0;
}

int
posix_spawnattr_destroy(posix_spawnattr_t *sa)
{
    (void)sa;
    return 0;
}

int
posix_spawnattr_getflags(const posix_spawnattr_t *__restrict sa, short *__restrict flags)
{
    *flags = sa->sa_flags;
    return 0;
}

int
posix_spawnattr_getpgroup(const posix_spawnattr_t *__restrict sa, pid_t *__restrict pgroup)
{
    *pgroup = sa->sa_pgroup;
    return 0;
}

int
posix_spawnattr_getschedparam(const posix_spawnattr_t *__restrict sa,
    struct sched_param *__restrict param)
{
    *param = sa->sa_schedparam;
    return 0;
}

int
posix_spawnattr_getschedpolicy(const posix_spawnattr_t *__restrict sa, int *__restrict policy)
{
    *policy = sa->sa_schedpolicy;
    return 0;
}

int
posix_spawnattr_getsigdefault(const posix_spawnattr_t *__restrict sa,
    sigset_t *__restrict sigdefault)
{
    *sigdefault = sa->sa_sigdefault;
    return 0;
}

int
posix_spawnattr_getsigmask(const posix_spawnattr_t *__restrict sa, sigset_t *__restrict sigmask)
{
    *sigmask = sa->sa_sigmask;
    return 0;
}

int
posix_spawnattr_setflags(posix_spawnattr_t *sa, short flags)
{
    if (flags & ~SPAWN_FLAGS)
        return EINVAL;
    sa->sa_flags = flags;
    return 0;
}

int
posix_spawnattr_setpgroup(posix_spawnattr_t *sa, pid_t pgroup)
{
    sa->sa_pgroup = pgroup;
    return 0;
}

int
posix_spawnattr_setschedparam(posix_spawnattr_t *__restrict sa,
    const struct sched_param *__restrict param)
{
    sa->sa_schedparam = *param;
    return 0;
}

int
posix_spawnattr_setschedpolicy(posix_spawnattr_t *sa, int policy)
{
    if (policy != SCHED_OTHER && policy != SCHED_FIFO && policy != SCHED_RR)
        return EINVAL;
    sa->sa_schedpolicy = policy;
    return 0;
}

int
posix_spawnattr_setsigdefault(posix_spawnattr_t *__restrict sa,
    const sigset_t *__restrict sigdefault)
{
    sa->sa_sigdefault = *sigdefault;
    return 0;
}

int
posix_spawnattr_setsigmask(posix_spawnattr_t *__restrict sa, const sigset_t *__restrict sigmask)
{
    sa->sa_sigmask = *sigmask;
    return 0;
}
