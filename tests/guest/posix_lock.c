/* issue 14: advisory record locks across processes (fcntl F_GETLK/F_SETLK/
 * F_SETLKW, flock), released on close of any descriptor and on exit,
 * EAGAIN/EDEADLK/EBADF/EINVAL, F_SETLKW blocking until the holder releases
 * and interrupted by a caught signal (EINTR).
 * Prints "ok ..."/"FAIL ..." lines and "done N".  Usage: posix_lock DIR */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

static int fails;

static void
check(int cond, const char *what)
{
    printf("%s %s\n", cond ? "ok" : "FAIL", what);
    fflush(stdout);
    if (!cond)
        fails++;
}

static int
lk(int fd, int cmd, int type, off_t start, off_t len)
{
    struct flock fl;

    memset(&fl, 0, sizeof fl);
    fl.l_type = type;
    fl.l_whence = SEEK_SET;
    fl.l_start = start;
    fl.l_len = len;
    return fcntl(fd, cmd, &fl);
}

static int
getlk(int fd, int type, off_t start, off_t len, struct flock *out)
{
    memset(out, 0, sizeof *out);
    out->l_type = type;
    out->l_whence = SEEK_SET;
    out->l_start = start;
    out->l_len = len;
    return fcntl(fd, F_GETLK, out);
}

static void
onalrm(int sig)
{
    (void)sig;
}

int
main(int argc, char **argv)
{
    char path[256];
    const char *dir = argc > 1 ? argv[1] : "/tmp";
    int fd, fd2, r, st, pfd[2], back[2];
    pid_t child, me = getpid();
    struct flock fl;
    char c;

    snprintf(path, sizeof path, "%s/lockfile", dir);
    fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    write(fd, "0123456789", 10);

    check(lk(fd, F_SETLK, F_WRLCK, 0, 5) == 0, "F_SETLK write lock on [0,5)");
    check(getlk(fd, F_WRLCK, 0, 5, &fl) == 0 && fl.l_type == F_UNLCK,
          "F_GETLK in the owner: no conflict with itself");

    /* the child sees the parent's lock */
    pipe(pfd);                  /* child -> parent */
    pipe(back);                 /* parent -> child */
    child = fork();
    if (child == 0) {
        int cfd = open(path, O_RDWR);
        struct flock g;
        int ok = getlk(cfd, F_RDLCK, 2, 1, &g) == 0 && g.l_type == F_WRLCK &&
                 g.l_pid == me && g.l_start == 0 && g.l_len == 5 && g.l_whence == SEEK_SET;
        int ok2 = getlk(cfd, F_WRLCK, 5, 5, &g) == 0 && g.l_type == F_UNLCK;
        errno = 0;
        int ok3 = lk(cfd, F_SETLK, F_RDLCK, 4, 2) == -1 && errno == EAGAIN;
        int ok4 = lk(cfd, F_SETLK, F_WRLCK, 5, 0) == 0;     /* [5, EOF...) is free */
        c = (char)(ok | ok2 << 1 | ok3 << 2 | ok4 << 3);
        write(pfd[1], &c, 1);
        /* wait for the parent to test our lock, then exit (releasing it) */
        read(back[0], &c, 1);
        _exit(0);
    }
    read(pfd[0], &c, 1);
    check(c & 1, "child: F_GETLK reports the parent's write lock (type, pid, range)");
    check(c & 2, "child: F_GETLK of a free range is F_UNLCK");
    check(c & 4, "child: F_SETLK on a locked range is EAGAIN");
    check(c & 8, "child: F_SETLK of [5, end) (l_len 0) succeeds");
    check(getlk(fd, F_RDLCK, 100, 1, &fl) == 0 && fl.l_type == F_WRLCK && fl.l_pid == child &&
          fl.l_len == 0, "parent: F_GETLK sees the child's lock to the end of file");
    errno = 0;
    check(lk(fd, F_SETLK, F_WRLCK, 7, 1) == -1 && errno == EAGAIN, "parent: EAGAIN on the child's range");
    write(back[1], "x", 1);
    waitpid(child, &st, 0);
    check(getlk(fd, F_WRLCK, 100, 1, &fl) == 0 && fl.l_type == F_UNLCK,
          "the child's lock is gone when it exits");

    /* F_SETLKW sleeps until the holder unlocks */
    child = fork();
    if (child == 0) {
        int cfd = open(path, O_RDWR);
        c = 'r';
        write(pfd[1], &c, 1);
        r = lk(cfd, F_SETLKW, F_WRLCK, 0, 1);          /* blocks on the parent's lock */
        _exit(r == 0 ? 0 : 1);
    }
    read(pfd[0], &c, 1);
    usleep(100000);
    check(waitpid(child, &st, WNOHANG) == 0, "F_SETLKW is asleep while the range is locked");
    lk(fd, F_SETLK, F_UNLCK, 0, 5);
    waitpid(child, &st, 0);
    check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "F_SETLKW gets the lock after the unlock");

    /* EINTR: a caught signal ends the F_SETLKW sleep */
    lk(fd, F_SETLK, F_WRLCK, 0, 1);
    child = fork();
    if (child == 0) {
        struct sigaction sa;
        int cfd = open(path, O_RDWR);
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = onalrm;
        sigaction(SIGALRM, &sa, NULL);
        alarm(1);
        errno = 0;
        r = lk(cfd, F_SETLKW, F_WRLCK, 0, 1);
        _exit(r == -1 && errno == EINTR ? 0 : 1);
    }
    waitpid(child, &st, 0);
    check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "F_SETLKW interrupted by a signal: EINTR");

    /* EDEADLK: parent holds [0,1) and waits for [1,2) held by the child,
     * which waits for [0,1) */
    child = fork();
    if (child == 0) {
        int cfd = open(path, O_RDWR);
        lk(cfd, F_SETLK, F_WRLCK, 1, 1);
        c = 'l';
        write(pfd[1], &c, 1);
        r = lk(cfd, F_SETLKW, F_WRLCK, 0, 1);       /* sleeps on the parent */
        _exit(r == 0 ? 0 : 1);
    }
    read(pfd[0], &c, 1);
    usleep(100000);
    errno = 0;
    r = lk(fd, F_SETLKW, F_WRLCK, 1, 1);
    check(r == -1 && errno == EDEADLK, "F_SETLKW that would deadlock: EDEADLK");
    lk(fd, F_SETLK, F_UNLCK, 0, 0);
    waitpid(child, &st, 0);
    check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the other waiter then gets its lock");

    /* closing any descriptor of the file drops the process's locks */
    check(lk(fd, F_SETLK, F_WRLCK, 0, 0) == 0, "lock the whole file");
    fd2 = open(path, O_RDONLY);
    close(fd2);
    child = fork();
    if (child == 0) {
        int cfd = open(path, O_RDWR);
        struct flock g;
        _exit(getlk(cfd, F_WRLCK, 0, 0, &g) == 0 && g.l_type == F_UNLCK ? 0 : 1);
    }
    waitpid(child, &st, 0);
    check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "close of another descriptor released the locks");

    /* errors */
    fd2 = open(path, O_RDONLY);
    errno = 0;
    check(lk(fd2, F_SETLK, F_WRLCK, 0, 1) == -1 && errno == EBADF, "write lock on a read-only fd: EBADF");
    errno = 0;
    check(lk(fd, F_SETLK, 99, 0, 1) == -1 && errno == EINVAL, "bad l_type: EINVAL");
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_RDLCK;
    fl.l_whence = 7;
    errno = 0;
    check(fcntl(fd, F_SETLK, &fl) == -1 && errno == EINVAL, "bad l_whence: EINVAL");
    errno = 0;
    check(lk(fd, F_SETLK, F_RDLCK, -5, 1) == -1 && errno == EINVAL, "negative start: EINVAL");
    close(fd2);

    /* flock(2) */
    fd2 = open(path, O_RDWR);
    check(flock(fd, LOCK_EX) == 0, "flock LOCK_EX");
    errno = 0;
    check(flock(fd2, LOCK_SH | LOCK_NB) == -1 && errno == EWOULDBLOCK,
          "flock of another open file: EWOULDBLOCK");
    check(flock(fd, LOCK_UN) == 0 && flock(fd2, LOCK_SH | LOCK_NB) == 0, "after LOCK_UN it is free");
    close(fd2);                 /* the last close drops its flock */
    check(flock(fd, LOCK_EX | LOCK_NB) == 0, "the closed file's flock is gone");
    errno = 0;
    check(flock(fd, 0) == -1 && errno == EINVAL, "flock(0): EINVAL");
    pipe(pfd);
    errno = 0;
    check(flock(pfd[0], LOCK_SH) == -1 && errno == EOPNOTSUPP, "flock of a pipe: EOPNOTSUPP");
    close(fd);
    unlink(path);
    printf("done %d\n", fails);
    return fails != 0;
}
