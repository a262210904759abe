/* kw86 libc: the System V signal-disposition calls (sighold, sigrelse,
 * sigignore, sigset, sigpause), POSIX shared memory objects (shm_open,
 * shm_unlink: files under the memory file system on /var/shm, as NetBSD's
 * librt does) and clock_nanosleep (NetBSD's call returns the error number
 * itself, as POSIX specifies). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

static int
mask_one(int how, int sig)
{
    sigset_t set;

    sigemptyset(&set);
    if (sigaddset(&set, sig) < 0)
        return -1;
    return sigprocmask(how, &set, NULL);
}

int
sighold(int sig)
{
    return mask_one(SIG_BLOCK, sig);
}

int
sigrelse(int sig)
{
    return mask_one(SIG_UNBLOCK, sig);
}

int
sigignore(int sig)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_IGN;
    sigemptyset(&sa.sa_mask);
    return sigaction(sig, &sa, NULL);
}

int
sigpause(int sig)
{
    sigset_t set;

    if (sigprocmask(SIG_BLOCK, NULL, &set) < 0 || sigdelset(&set, sig) < 0)
        return -1;
    return sigsuspend(&set);
}

void (*sigset(int sig, void (*disp)(int)))(int)
{
    struct sigaction sa, osa;
    sigset_t set, oset;

    if (disp == SIG_ERR) {
        errno = EINVAL;
        return SIG_ERR;
    }
    sigemptyset(&set);
    if (sigaddset(&set, sig) < 0)
        return SIG_ERR;
    if (sigaction(sig, NULL, &osa) < 0)
        return SIG_ERR;
    if (disp == SIG_HOLD) {
        if (sigprocmask(SIG_BLOCK, &set, &oset) < 0)
            return SIG_ERR;
        return sigismember(&oset, sig) ? SIG_HOLD : osa.sa_handler;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = disp;
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, NULL) < 0)
        return SIG_ERR;
    if (sigprocmask(SIG_UNBLOCK, &set, &oset) < 0)
        return SIG_ERR;
    return sigismember(&oset, sig) ? SIG_HOLD : osa.sa_handler;
}

/* -- shm_open / shm_unlink ------------------------------------------------- */

#define SHM_DIR    "/var/shm"
#define SHM_PREFIX ".shmobj_"
#define SHM_MODE   (S_ISVTX | S_IRWXU | S_IRWXG | S_IRWXO)

static int
shm_fs_ok(void)
{
    struct stat st;

    /* a world-writable sticky directory of a memory file system */
    if (stat(SHM_DIR, &st) < 0 || !S_ISDIR(st.st_mode) || (st.st_mode & SHM_MODE) != SHM_MODE)
        return 0;
    return 1;
}

static int
shm_path(char *buf, size_t len, const char *name)
{
    size_t n;

    if (!shm_fs_ok()) {
        errno = ENOTSUP;
        return -1;
    }
    if (*name++ != '/' || strchr(name, '/') != NULL) {
        errno = EINVAL;
        return -1;
    }
    n = strlen(SHM_DIR "/" SHM_PREFIX) + strlen(name);
    if (n >= len) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(buf, SHM_DIR "/" SHM_PREFIX);
    strcat(buf, name);
    return 0;
}

int
shm_open(const char *name, int oflag, mode_t mode)
{
    char path[PATH_MAX];

    if (shm_path(path, sizeof(path), name) < 0)
        return -1;
    return open(path, oflag | O_CLOEXEC | O_NOFOLLOW, mode);
}

int
shm_unlink(const char *name)
{
    char path[PATH_MAX];

    if (shm_path(path, sizeof(path), name) < 0)
        return -1;
    return unlink(path);
}

/* -- clock_nanosleep ------------------------------------------------------- */

int __sys_clock_nanosleep(clockid_t, int, const struct timespec *, struct timespec *);

int
clock_nanosleep(clockid_t clock_id, int flags, const struct timespec *rqtp,
                struct timespec *rmtp)
{
    int saved = errno, r;

    r = __sys_clock_nanosleep(clock_id, flags, rqtp, rmtp);
    if (r == -1) {              /* a sleep a signal ended arrives as EINTR in errno */
        r = errno;
        errno = saved;
    }
    return r;
}
