/* <sys/spawn.h>: NetBSD 10's posix_spawn structures (i386 layouts), as the
 * kernel's posix_spawn (474) reads them (kw86/nbsd/syscalls/spawn.py). */
#ifndef _SYS_SPAWN_H_
#define _SYS_SPAWN_H_

#include <sys/cdefs.h>
#include <sys/types.h>
#include <signal.h>
#include <sched.h>

struct posix_spawnattr {
    short               sa_flags;       /* 0 */
    pid_t               sa_pgroup;      /* 4 */
    struct sched_param  sa_schedparam;  /* 8 */
    int                 sa_schedpolicy; /* 12 */
    sigset_t            sa_sigdefault;  /* 16 */
    sigset_t            sa_sigmask;     /* 32; 48 in all */
};

enum fae_action { FAE_OPEN, FAE_DUP2, FAE_CLOSE, FAE_CHDIR, FAE_FCHDIR };

typedef struct posix_spawn_file_actions_entry {
    enum fae_action fae_action;         /* 0 */
    int fae_fildes;                     /* 4 */
    union {
        struct {
            char *path;                 /* 8 */
#define fae_path        fae_data.open.path
            int oflag;                  /* 12 */
#define fae_oflag       fae_data.open.oflag
            mode_t mode;                /* 16 */
#define fae_mode        fae_data.open.mode
        } open;
        struct {
            int newfildes;              /* 8 */
#define fae_newfildes   fae_data.dup2.newfildes
        } dup2;
        struct {
            char *path;                 /* 8 */
#define fae_chdir_path  fae_data.chdir.path
        } chdir;
    } fae_data;
} posix_spawn_file_actions_entry_t;     /* 20 bytes */

struct posix_spawn_file_actions {
    unsigned int size;                  /* slots allocated */
    unsigned int len;                   /* slots used */
    posix_spawn_file_actions_entry_t *fae;
};

typedef struct posix_spawnattr          posix_spawnattr_t;
typedef struct posix_spawn_file_actions posix_spawn_file_actions_t;

#define POSIX_SPAWN_RESETIDS        0x01
#define POSIX_SPAWN_SETPGROUP       0x02
#define POSIX_SPAWN_SETSCHEDPARAM   0x04
#define POSIX_SPAWN_SETSCHEDULER    0x08
#define POSIX_SPAWN_SETSIGDEF       0x10
#define POSIX_SPAWN_SETSIGMASK      0x20
/* NetBSD's own: the parent waits for the child's file actions and
 * attributes and posix_spawn returns their error (not an exit 127) */
#define POSIX_SPAWN_RETURNERROR     0x40

#endif
