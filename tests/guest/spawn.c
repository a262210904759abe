/* posix_spawn(2) and fexecve(2) as NetBSD 10 does them (tests/test_nbsd_spawn.py).
 *
 * Run with no argument: the checks, one "ok NAME" or "FAIL NAME: why" line
 * each, then "done N" (N failures).  With an argument it is the spawned
 * child reporting what it inherited: "child mask", "child sig",
 * "child pgrp", "child fd N", "child env", "child sched", "child cwd"
 * print one line and exit 0; "child exit N" exits N.
 *
 * It builds for the host too (glibc, Linux), $SPAWN_TMP standing for /tmp:
 * the checks outside the `#ifndef __GLIBC__` blocks (NetBSD's own
 * behaviour) hold there as well.
 */
#include <spawn.h>
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef __GLIBC__
/* the host build (tests/test_nbsd_spawn.py): glibc's names of the two */
#define posix_spawn_file_actions_addchdir posix_spawn_file_actions_addchdir_np
#define posix_spawn_file_actions_addfchdir posix_spawn_file_actions_addfchdir_np
#endif

extern char **environ;

static int failures;
static const char *self;
static const char *tmp = "/tmp";        /* $SPAWN_TMP on the host */

/* tmp/NAME (four at a time) */
static const char *
T(const char *name)
{
    static char bufs[4][512];
    static int i;
    char *b = bufs[i++ & 3];
    snprintf(b, sizeof bufs[0], "%s/%s", tmp, name);
    return b;
}

static void
check(int cond, const char *name, const char *fmt, long a, long b)
{
    if (cond) {
        printf("ok %s\n", name);
    } else {
        printf("FAIL %s: ", name);
        printf(fmt, a, b);
        printf("\n");
        failures++;
    }
    fflush(stdout);
}

static int
child(int argc, char **argv)
{
    if (strcmp(argv[1], "exit") == 0)
        return atoi(argv[2]);
    if (strcmp(argv[1], "mask") == 0) {
        sigset_t m;
        sigprocmask(SIG_BLOCK, NULL, &m);
        printf("mask usr1=%d usr2=%d\n", sigismember(&m, SIGUSR1), sigismember(&m, SIGUSR2));
    } else if (strcmp(argv[1], "sig") == 0) {
        struct sigaction sa;
        sigaction(SIGUSR1, NULL, &sa);
        printf("sig usr1=%s\n", sa.sa_handler == SIG_IGN ? "ign" :
               sa.sa_handler == SIG_DFL ? "dfl" : "other");
    } else if (strcmp(argv[1], "pgrp") == 0) {
        printf("pgrp %s\n", getpgrp() == getpid() ? "own" : "parent's");
    } else if (strcmp(argv[1], "fd") == 0) {
        int fd = atoi(argv[2]);
        printf("fd %d %s\n", fd, fcntl(fd, F_GETFD) < 0 ? "closed" : "open");
    } else if (strcmp(argv[1], "env") == 0) {
        const char *v = getenv("SPAWN_T");
        printf("env %s argc=%d\n", v ? v : "(none)", argc);
    } else if (strcmp(argv[1], "sched") == 0) {
        struct sched_param sp;
        int pol = sched_getscheduler(0);
        sched_getparam(0, &sp);
        printf("sched %d %d\n", pol, sp.sched_priority);
    } else if (strcmp(argv[1], "fds") == 0) {
        /* fds 0..7 as N (/dev/null), A, B (DIR/a, DIR/b), ? (else) or -
         * (closed), written to REPORT (opened after looking) */
        struct stat sn, sa, sb, st;
        char out[16], pa[512];
        int fd, rfd;
        stat("/dev/null", &sn);
        snprintf(pa, sizeof pa, "%s/a", argv[3]);
        stat(pa, &sa);
        snprintf(pa, sizeof pa, "%s/b", argv[3]);
        stat(pa, &sb);
        for (fd = 0; fd < 8; fd++) {
            char c = '-';
            if (fstat(fd, &st) == 0)
                c = st.st_ino == sn.st_ino && st.st_dev == sn.st_dev ? 'N' :
                    st.st_ino == sa.st_ino && st.st_dev == sa.st_dev ? 'A' :
                    st.st_ino == sb.st_ino && st.st_dev == sb.st_dev ? 'B' : '?';
            out[fd] = c;
        }
        out[8] = '\n';
        rfd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
        write(rfd, out, 9);
        close(rfd);
        return 0;
    } else if (strcmp(argv[1], "exe") == 0) {
        char buf[512];
        ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
        buf[n > 0 ? n : 0] = '\0';
        printf("exe %s\n", buf);
    } else if (strcmp(argv[1], "ids") == 0) {
        printf("ids %d %d\n", (int)getuid(), (int)geteuid());
    } else if (strcmp(argv[1], "cwd") == 0) {
        char buf[256];
        printf("cwd %s\n", getcwd(buf, sizeof buf) ? buf : "?");
    }
    fflush(stdout);
    return 0;
}

#ifndef __GLIBC__
/* posix_spawn by a plain `int $0x80`, whatever the mode: from a kernelware
 * (CPL 0) that is a short trap frame on its own stack, not the call gate's */
static int
spawn_int80(pid_t *pid, const char *path, char *const *argv, char *const *envp)
{
    /* the arguments as the stub leaves them above its return address */
    unsigned int a[6] = { (unsigned int)pid, (unsigned int)path, 0, 0, (unsigned int)argv,
                          (unsigned int)envp };
    int ret;
    __asm__ volatile(
        "pushl 20(%1)\n\tpushl 16(%1)\n\tpushl 12(%1)\n\tpushl 8(%1)\n\tpushl 4(%1)\n"
        "\tpushl (%1)\n\tpushl $0\n\tmovl $474, %%eax\n\tint $0x80\n\taddl $28, %%esp"
        : "=&a"(ret)
        : "r"(a)
        : "memory", "cc", "edx", "ecx");
    return ret;
}
#endif

/* spawn self with "child ARGS" and stdout to a file; its line, and its status */
static int
spawn_self(const char *what, const char *arg, const posix_spawnattr_t *sa,
           posix_spawn_file_actions_t *extra, char *line, size_t len, int *status)
{
    posix_spawn_file_actions_t fa, *fap = extra;
    char *av[5] = { (char *)self, (char *)"child", (char *)what, (char *)arg, NULL };
    pid_t pid;
    int err, fd;

    if (fap == NULL) {
        posix_spawn_file_actions_init(&fa);
        fap = &fa;
    }
    posix_spawn_file_actions_addopen(fap, 1, T("spawn.out"), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    err = posix_spawn(&pid, self, fap, sa, av, environ);
    if (fap == &fa)
        posix_spawn_file_actions_destroy(&fa);
    if (err)
        return err;
    if (waitpid(pid, status, 0) != pid)
        return -1;
    line[0] = '\0';
    fd = open(T("spawn.out"), O_RDONLY);
    if (fd >= 0) {
        ssize_t n = read(fd, line, len - 1);
        line[n > 0 ? n : 0] = '\0';
        if (n > 0 && line[n - 1] == '\n')
            line[n - 1] = '\0';
        close(fd);
    }
    return 0;
}

/* Each SEQ (comma-separated actions: oFD:FILE:MODE with FILE a, b or x (a
 * path that does not exist) and MODE r, w or c (O_WRONLY|O_CREAT), dFROM:TO,
 * cFD) is run from the same start (fds 0-2 /dev/null, 3 DIR/a, 4 DIR/b
 * close-on-exec, 5-7 closed): "ERR FDS" per line, ERR the posix_spawn
 * result and FDS what the child saw ("child fds"), "-" when it did not
 * run.  NetBSD: with POSIX_SPAWN_RETURNERROR, so that an action's error
 * is the result, as glibc's always is. */
static int
fa_sequences(const char *prog, const char *dir, int n, char **seqs)
{
    char report[512], pa[512], pb[512], px[512], line[32];
    int i, null = open("/dev/null", O_RDWR);

    snprintf(report, sizeof report, "%s/report", dir);
    snprintf(pa, sizeof pa, "%s/a", dir);
    snprintf(pb, sizeof pb, "%s/b", dir);
    snprintf(px, sizeof px, "%s/no/such", dir);
    for (i = 0; i < n; i++) {
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t sa;
        char *av[] = { (char *)prog, (char *)"child", (char *)"fds", report, (char *)dir,
                       NULL };
        char *act, *save = NULL, *seq = strdup(seqs[i]);
        int saved[8], fd, err, status, ok;
        pid_t pid;

        for (fd = 0; fd < 8; fd++)      /* the start: saved, then set */
            saved[fd] = fcntl(fd, F_DUPFD_CLOEXEC, 20);
        for (fd = 0; fd < 3; fd++)
            dup2(null, fd);
        fd = open(pa, O_RDWR | O_CREAT, 0644);
        dup2(fd, 3);
        close(fd);
        fd = open(pb, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd != 4) {
            dup3(fd, 4, O_CLOEXEC);
            close(fd);
        }
        for (fd = 5; fd < 8; fd++)
            close(fd);
        posix_spawn_file_actions_init(&fa);
        for (act = strtok_r(seq, ",", &save); act != NULL; act = strtok_r(NULL, ",", &save)) {
            int a = atoi(act + 1), b = 0;
            char *c1 = strchr(act, ':');
            if (c1 != NULL)
                b = atoi(c1 + 1);
            if (act[0] == 'o') {
                char *file = c1 + 1, *mode = strchr(file, ':') + 1;
                const char *path = file[0] == 'a' ? pa : file[0] == 'b' ? pb : px;
                int flags = mode[0] == 'r' ? O_RDONLY : mode[0] == 'w' ? O_WRONLY :
                    O_WRONLY | O_CREAT;
                posix_spawn_file_actions_addopen(&fa, a, path, flags, 0644);
            } else if (act[0] == 'd') {
                posix_spawn_file_actions_adddup2(&fa, a, b);
            } else if (act[0] == 'c') {
                posix_spawn_file_actions_addclose(&fa, a);
            }
        }
        posix_spawnattr_init(&sa);
#ifndef __GLIBC__
        posix_spawnattr_setflags(&sa, POSIX_SPAWN_RETURNERROR);
#endif
        unlink(report);
        err = posix_spawn(&pid, prog, &fa, &sa, av, environ);
        ok = err == 0;
        if (err == 0 || wait(&status) > 0)     /* (NetBSD's failed child: exit 127) */
            if (err == 0)
                waitpid(pid, &status, 0);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&sa);
        for (fd = 0; fd < 8; fd++) {    /* back to how it was */
            if (saved[fd] >= 0) {
                dup2(saved[fd], fd);
                close(saved[fd]);
            } else {
                close(fd);
            }
        }
        strcpy(line, "-\n");
        if (ok) {
            fd = open(report, O_RDONLY);
            memset(line, 0, sizeof line);
            if (fd < 0 || read(fd, line, 9) != 9)
                strcpy(line, "?\n");
            close(fd);
        }
        printf("%d %s", err, line);
        free(seq);
    }
    return 0;
}

int
main(int argc, char **argv)
{
    char *echo_av[] = { (char *)"echo", (char *)"from", (char *)"echo", NULL };
    char line[256], want[600], cwd0[256];
    pid_t pid, w;
    int err, status, fd, p[2];
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t sa;
    sigset_t set;

    if (argc > 1 && strcmp(argv[1], "child") == 0)
        return child(argc - 1, argv + 1);
    if (argc > 2 && strcmp(argv[1], "fa") == 0)
        return fa_sequences(argv[0], argv[2], argc - 3, argv + 3);
    self = argv[0];
    if (getenv("SPAWN_TMP") != NULL)
        tmp = getenv("SPAWN_TMP");
    umask(022);
    setvbuf(stdout, NULL, _IOLBF, 0);

    /* a plain spawn: the pid, its exit status */
    err = posix_spawn(&pid, "/bin/echo", NULL, NULL, echo_av, environ);
    check(err == 0 && pid > 0, "plain", "err %ld pid %ld", err, pid);
    w = waitpid(pid, &status, 0);
    check(w == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0, "plain-wait",
          "wait %ld status %#lx", w, status);
    {
        char *av[] = { (char *)self, (char *)"child", (char *)"exit", (char *)"7", NULL };
        err = posix_spawn(&pid, self, NULL, NULL, av, environ);
        w = waitpid(pid, &status, 0);
        check(err == 0 && w == pid && WEXITSTATUS(status) == 7, "exit-status",
              "err %ld status %#lx", err, status);
    }
    err = posix_spawn(NULL, "/bin/echo", NULL, NULL, echo_av, environ);
    w = wait(&status);
    check(err == 0 && w > 0 && status == 0, "null-pid", "err %ld status %#lx", err, status);
#ifndef __GLIBC__
    {
        char *av[] = { (char *)self, (char *)"child", (char *)"exit", (char *)"9", NULL };
        pid = 0;
        err = spawn_int80(&pid, self, av, environ);
        w = waitpid(pid, &status, 0);
        check(err == 0 && w == pid && WEXITSTATUS(status) == 9, "int80", "err %ld status %#lx",
              err, status);
    }
#endif

    /* posix_spawnp: PATH */
    setenv("PATH", "/nonexistent:/usr/bin:/bin", 1);
    err = posix_spawnp(&pid, "echo", NULL, NULL, echo_av, environ);
    w = waitpid(pid, &status, 0);
    check(err == 0 && w == pid && status == 0, "spawnp", "err %ld status %#lx", err, status);
    err = posix_spawnp(&pid, "no-such-program", NULL, NULL, echo_av, environ);
    check(err == ENOENT, "spawnp-enoent", "err %ld %ld", err, 0);

    /* the program's errors come back with no child made */
    err = posix_spawn(&pid, "/no/such/file", NULL, NULL, echo_av, environ);
    check(err == ENOENT, "enoent", "err %ld %ld", err, 0);
    check(wait(&status) < 0 && errno == ECHILD, "enoent-no-child", "errno %ld %ld", errno, 0);
    fd = open(T("spawn-noexec"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    write(fd, "hello\n", 6);
    close(fd);
    err = posix_spawn(&pid, T("spawn-noexec"), NULL, NULL, echo_av, environ);
    check(err == EACCES, "eacces", "err %ld %ld", err, 0);
    chmod(T("spawn-noexec"), 0755);
    err = posix_spawn(&pid, T("spawn-noexec"), NULL, NULL, echo_av, environ);
    check(err == ENOEXEC, "enoexec", "err %ld %ld", err, 0);
    err = posix_spawn(&pid, tmp, NULL, NULL, echo_av, environ);
    check(err == EACCES, "directory", "err %ld %ld", err, 0);
    check(wait(&status) < 0 && errno == ECHILD, "errors-no-child", "errno %ld %ld", errno, 0);

#ifndef __GLIBC__
    /* wild pointers: EFAULT as the value, never a crash (glibc's
     * posix_spawn reads them in the caller, and faults) */
    err = posix_spawn(&pid, (const char *)1, NULL, NULL, echo_av, environ);
    check(err == EFAULT, "efault-path", "err %ld %ld", err, 0);
    err = posix_spawn(&pid, "/bin/echo", NULL, NULL, (char **)8, environ);
    check(err == EFAULT, "efault-argv", "err %ld %ld", err, 0);
    err = posix_spawn(&pid, "/bin/echo", (posix_spawn_file_actions_t *)0xc0000000, NULL,
                      echo_av, environ);
    check(err == EFAULT, "efault-actions", "err %ld %ld", err, 0);
    err = posix_spawn(&pid, "/bin/echo", NULL, (posix_spawnattr_t *)16, echo_av, environ);
    check(err == EFAULT, "efault-attr", "err %ld %ld", err, 0);
    {
        posix_spawn_file_actions_t bad = { 1, 1, (posix_spawn_file_actions_entry_t *)24 };
        err = posix_spawn(&pid, "/bin/echo", &bad, NULL, echo_av, environ);
        check(err == EFAULT, "efault-entries", "err %ld %ld", err, 0);
    }
    check(wait(&status) < 0 && errno == ECHILD, "efault-no-child", "errno %ld %ld", errno, 0);
    /* a bad pid pointer: the child runs, the call says EFAULT */
    err = posix_spawn((pid_t *)4, "/bin/echo", NULL, NULL, echo_av, environ);
    w = wait(&status);
    check(err == EFAULT && w > 0 && status == 0, "efault-pid", "err %ld status %#lx", err,
          status);
#endif

    /* file actions, in order: open on 1, then dup2 of a pipe */
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, T("spawn.echo"), O_WRONLY | O_CREAT | O_TRUNC,
                                     0600);
    err = posix_spawn(&pid, "/bin/echo", &fa, NULL, echo_av, environ);
    posix_spawn_file_actions_destroy(&fa);
    waitpid(pid, &status, 0);
    fd = open(T("spawn.echo"), O_RDONLY);
    memset(line, 0, sizeof line);
    read(fd, line, sizeof line - 1);
    close(fd);
    check(err == 0 && strcmp(line, "from echo\n") == 0, "addopen", "err %ld status %#lx", err,
          status);
    {
        struct stat st;
        stat(T("spawn.echo"), &st);
        check((st.st_mode & 0777) == (0600 & ~022), "addopen-mode", "mode %lo %ld",
              (long)(st.st_mode & 0777), 0);
    }
    pipe(p);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    posix_spawn_file_actions_addclose(&fa, p[0]);
    posix_spawn_file_actions_addclose(&fa, p[1]);
    err = posix_spawn(&pid, "/bin/echo", &fa, NULL, echo_av, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(p[1]);
    memset(line, 0, sizeof line);
    {
        size_t got = 0;
        ssize_t n;
        while ((n = read(p[0], line + got, sizeof line - 1 - got)) > 0)
            got += n;
    }
    close(p[0]);
    waitpid(pid, &status, 0);
    check(err == 0 && strcmp(line, "from echo\n") == 0 && status == 0, "dup2-pipe",
          "err %ld status %#lx", err, status);

#ifndef __GLIBC__
    /* a failing action: exit 127 in the child (a zombie to reap), or the
     * error with POSIX_SPAWN_RETURNERROR (NetBSD's; glibc always returns
     * the error and reaps the child) */
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addclose(&fa, 42);
    err = posix_spawn(&pid, "/bin/echo", &fa, NULL, echo_av, environ);
    w = waitpid(pid, &status, 0);
    check(err == 0 && w == pid && WIFEXITED(status) && WEXITSTATUS(status) == 127,
          "close-ebadf-127", "err %ld status %#lx", err, status);
    posix_spawnattr_init(&sa);
    posix_spawnattr_setflags(&sa, POSIX_SPAWN_RETURNERROR);
    pid = -5;
    err = posix_spawn(&pid, "/bin/echo", &fa, &sa, echo_av, environ);
    check(err == EBADF && pid == -5, "close-ebadf-returnerror", "err %ld pid %ld", err, pid);
    w = wait(&status);
    check(w > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 127, "returnerror-zombie",
          "wait %ld status %#lx", w, status);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/no/such/dir/x", O_RDONLY, 0);
    err = posix_spawn(&pid, "/bin/echo", &fa, &sa, echo_av, environ);
    check(err == ENOENT, "open-enoent", "err %ld %ld", err, 0);
    wait(&status);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addchdir(&fa, T("spawn-noexec"));
    err = posix_spawn(&pid, "/bin/echo", &fa, &sa, echo_av, environ);
    check(err == ENOTDIR, "chdir-enotdir", "err %ld %ld", err, 0);
    wait(&status);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&sa);
#endif

    /* chdir / fchdir: the child's cwd, then a relative open there; the
     * program itself is found from the parent's cwd */
    getcwd(cwd0, sizeof cwd0);
    mkdir(T("spawn-dir"), 0755);
    snprintf(want, sizeof want, "%s/spawn-dir\n", tmp);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addchdir(&fa, T("spawn-dir"));
    posix_spawn_file_actions_addopen(&fa, 1, "pwd.out", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    {
        char *av[] = { (char *)"pwd", NULL };
#ifndef __GLIBC__
        /* NetBSD finds the program from the parent's cwd, before the
         * actions (execve_loadvm in the parent); glibc after them */
        chdir("/bin");
        err = posix_spawn(&pid, "pwd", &fa, NULL, av, environ);
        chdir(cwd0);
#else
        err = posix_spawn(&pid, "/bin/pwd", &fa, NULL, av, environ);
#endif
    }
    posix_spawn_file_actions_destroy(&fa);
    waitpid(pid, &status, 0);
    memset(line, 0, sizeof line);
    fd = open(T("spawn-dir/pwd.out"), O_RDONLY);
    read(fd, line, sizeof line - 1);
    close(fd);
    check(err == 0 && status == 0 && strcmp(line, want) == 0, "addchdir",
          "err %ld status %#lx", err, status);
    getcwd(line, sizeof line);
    check(strcmp(line, cwd0) == 0, "parent-cwd", "%ld %ld", 0, 0);
    snprintf(want, sizeof want, "cwd %s/spawn-dir", tmp);
    fd = open(T("spawn-dir"), O_RDONLY | O_DIRECTORY);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addfchdir(&fa, fd);
    err = spawn_self("cwd", NULL, NULL, &fa, line, sizeof line, &status);
    posix_spawn_file_actions_destroy(&fa);
    close(fd);
    check(err == 0 && strcmp(line, want) == 0, "addfchdir", "err %ld %ld",
          err, 0);

    /* close-on-exec descriptors are closed in the child, others kept */
    fd = open(T("spawn-noexec"), O_RDONLY | O_CLOEXEC);
    {
        char num[16];
        snprintf(num, sizeof num, "%d", fd);
        err = spawn_self("fd", num, NULL, NULL, line, sizeof line, &status);
        snprintf(num, sizeof num, "fd %d closed", fd);
        check(err == 0 && strcmp(line, num) == 0, "cloexec", "err %ld %ld", err, 0);
        fcntl(fd, F_SETFD, 0);
        snprintf(num, sizeof num, "%d", fd);
        err = spawn_self("fd", num, NULL, NULL, line, sizeof line, &status);
        snprintf(num, sizeof num, "fd %d open", fd);
        check(err == 0 && strcmp(line, num) == 0, "inherited-fd", "err %ld %ld", err, 0);
    }
    close(fd);

    /* the child's executable as /proc shows it */
    err = spawn_self("exe", NULL, NULL, NULL, line, sizeof line, &status);
    snprintf(want, sizeof want, "exe %s", self);
    check(err == 0 && strcmp(line, want) == 0, "proc-exe", "err %ld %ld", err, 0);

    /* an interpreter script: "#!interp" runs interp path args... */
    fd = open(T("spawn-script"), O_WRONLY | O_CREAT | O_TRUNC, 0755);
    write(fd, "#!/bin/sh\necho script \"$0\" \"$1\"\n", 32);
    close(fd);
    {
        char *av[] = { (char *)"spawn-script", (char *)"arg1", NULL };
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 1, T("spawn.out"), O_WRONLY | O_CREAT | O_TRUNC,
                                         0644);
        err = posix_spawn(&pid, T("spawn-script"), &fa, NULL, av, environ);
        posix_spawn_file_actions_destroy(&fa);
        waitpid(pid, &status, 0);
        memset(line, 0, sizeof line);
        fd = open(T("spawn.out"), O_RDONLY);
        read(fd, line, sizeof line - 1);
        close(fd);
        snprintf(want, sizeof want, "script %s arg1\n", T("spawn-script"));
        check(err == 0 && status == 0 && strcmp(line, want) == 0, "script",
              "err %ld status %#lx", err, status);
    }

    /* the environment given, not the parent's */
    {
        char *av[] = { (char *)self, (char *)"child", (char *)"env", NULL };
        char *ev[] = { (char *)"SPAWN_T=given", NULL };
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 1, T("spawn.out"), O_WRONLY | O_CREAT |
                                         O_TRUNC, 0644);
        err = posix_spawn(&pid, self, &fa, NULL, av, ev);
        posix_spawn_file_actions_destroy(&fa);
        waitpid(pid, &status, 0);
        memset(line, 0, sizeof line);
        fd = open(T("spawn.out"), O_RDONLY);
        read(fd, line, sizeof line - 1);
        close(fd);
        check(err == 0 && strcmp(line, "env given argc=2\n") == 0, "envp", "err %ld %ld",
              err, 0);
    }

    /* attributes: signal mask, signal defaults, process group */
    posix_spawnattr_init(&sa);
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    sigaddset(&set, SIGKILL);
    posix_spawnattr_setsigmask(&sa, &set);
    posix_spawnattr_setflags(&sa, POSIX_SPAWN_SETSIGMASK);
    err = spawn_self("mask", NULL, &sa, NULL, line, sizeof line, &status);
    check(err == 0 && strcmp(line, "mask usr1=0 usr2=1") == 0, "setsigmask", "err %ld %ld",
          err, 0);
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    err = spawn_self("mask", NULL, NULL, NULL, line, sizeof line, &status);
    check(err == 0 && strcmp(line, "mask usr1=1 usr2=0") == 0, "mask-inherited",
          "err %ld %ld", err, 0);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    signal(SIGUSR1, SIG_IGN);
    err = spawn_self("sig", NULL, NULL, NULL, line, sizeof line, &status);
    check(err == 0 && strcmp(line, "sig usr1=ign") == 0, "sigign-inherited", "err %ld %ld",
          err, 0);
    posix_spawnattr_setsigdefault(&sa, &set);
    posix_spawnattr_setflags(&sa, POSIX_SPAWN_SETSIGDEF);
    err = spawn_self("sig", NULL, &sa, NULL, line, sizeof line, &status);
    check(err == 0 && strcmp(line, "sig usr1=dfl") == 0, "setsigdef", "err %ld %ld", err, 0);
    signal(SIGUSR1, SIG_DFL);
    err = spawn_self("pgrp", NULL, NULL, NULL, line, sizeof line, &status);
    check(err == 0 && strcmp(line, "pgrp parent's") == 0, "pgrp-inherited", "err %ld %ld",
          err, 0);
    posix_spawnattr_setpgroup(&sa, 0);
    posix_spawnattr_setflags(&sa, POSIX_SPAWN_SETPGROUP);
    err = spawn_self("pgrp", NULL, &sa, NULL, line, sizeof line, &status);
    check(err == 0 && strcmp(line, "pgrp own") == 0, "setpgroup", "err %ld %ld", err, 0);
    posix_spawnattr_setpgroup(&sa, 99999);
    err = spawn_self("pgrp", NULL, &sa, NULL, line, sizeof line, &status);
    check(err == EPERM, "setpgroup-eperm", "err %ld %ld", err, 0);
    wait(&status);
#ifndef __GLIBC__
    /* RESETIDS: the child's effective user is the real one (as root here) */
    fd = open(T("spawn.out"), O_WRONLY | O_CREAT | O_TRUNC, 0666);
    fchmod(fd, 0666);                   /* (the child opens it as user 1000) */
    close(fd);
    {
        char l1[256] = "", l2[256] = "";
        int e1 = -1, e2 = -1;
        if (getuid() == 0 && seteuid(1000) == 0) {
            posix_spawnattr_setflags(&sa, 0);
            e1 = spawn_self("ids", NULL, &sa, NULL, l1, sizeof l1, &status);
            posix_spawnattr_setflags(&sa, POSIX_SPAWN_RESETIDS);
            e2 = spawn_self("ids", NULL, &sa, NULL, l2, sizeof l2, &status);
            seteuid(0);
        }
        check(e1 == 0 && strcmp(l1, "ids 0 1000") == 0, "ids-inherited", "err %ld euid %ld",
              e1, (long)geteuid());
        check(e2 == 0 && strcmp(l2, "ids 0 0") == 0, "resetids", "err %ld %ld", e2, 0);
    }
    {                                   /* (on the host only root may) */
        struct sched_param sp = { 10 };
        posix_spawnattr_setschedpolicy(&sa, SCHED_FIFO);
        posix_spawnattr_setschedparam(&sa, &sp);
        posix_spawnattr_setflags(&sa, POSIX_SPAWN_SETSCHEDULER);
        err = spawn_self("sched", NULL, &sa, NULL, line, sizeof line, &status);
        check(err == 0 && strcmp(line, "sched 1 10") == 0, "setscheduler", "err %ld %ld",
              err, 0);
        /* a priority under SCHED_OTHER: EINVAL (sys_sched.c), here its error */
        sp.sched_priority = 0;
        posix_spawnattr_setschedparam(&sa, &sp);
        posix_spawnattr_setflags(&sa, POSIX_SPAWN_SETSCHEDPARAM | POSIX_SPAWN_RETURNERROR);
        err = spawn_self("sched", NULL, &sa, NULL, line, sizeof line, &status);
        check(err == EINVAL, "setschedparam-other", "err %ld %ld", err, 0);
        wait(&status);
    }
#endif
    {
        short fl = 0;
        check(posix_spawnattr_setflags(&sa, 0x100) == EINVAL, "setflags-einval", "%ld %ld",
              0, 0);
        posix_spawnattr_setflags(&sa, POSIX_SPAWN_SETSIGMASK);
        posix_spawnattr_getflags(&sa, &fl);
        check(fl == POSIX_SPAWN_SETSIGMASK, "getflags", "flags %#lx %ld", fl, 0);
    }
    posix_spawnattr_destroy(&sa);

    /* fexecve: exec of an open descriptor (in a forked child) */
    fd = open("/bin/echo", O_RDONLY);
    pid = fork();
    if (pid == 0) {
        char *av[] = { (char *)"echo", (char *)"fexecve", (char *)"ran", NULL };
        fexecve(fd, av, environ);
        _exit(100 + errno);
    }
    waitpid(pid, &status, 0);
    check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "fexecve", "status %#lx %ld",
          status, 0);
    close(fd);
    /* an interpreter script through its descriptor */
    fd = open(T("spawn-exit3"), O_WRONLY | O_CREAT | O_TRUNC, 0755);
    write(fd, "#!/bin/sh\nexit 3\n", 17);
    close(fd);
    fd = open(T("spawn-exit3"), O_RDONLY);
    pid = fork();
    if (pid == 0) {
        char *av[] = { (char *)"spawn-exit3", NULL };
        fexecve(fd, av, environ);
        _exit(100 + errno);
    }
    waitpid(pid, &status, 0);
    check(WIFEXITED(status) && WEXITSTATUS(status) == 3, "fexecve-script", "status %#lx %ld",
          status, 0);
    close(fd);
    fd = open(T("spawn-noexec"), O_RDONLY);
    chmod(T("spawn-noexec"), 0644);
    check(fexecve(fd, echo_av, environ) < 0 && errno == EACCES, "fexecve-eacces",
          "errno %ld %ld", errno, 0);
    close(fd);
#ifndef __GLIBC__
    fd = open(T("spawn-w"), O_WRONLY | O_CREAT | O_TRUNC, 0755);
    check(fexecve(fd, echo_av, environ) < 0 && errno == EBADF, "fexecve-wronly",
          "errno %ld %ld", errno, 0);
#endif
    close(fd);
    check(fexecve(fd, echo_av, environ) < 0 && errno == EBADF, "fexecve-ebadf",
          "errno %ld %ld", errno, 0);
    pipe(p);
    check(fexecve(p[0], echo_av, environ) < 0 && errno == EACCES, "fexecve-pipe",
          "errno %ld %ld", errno, 0);
    close(p[0]);
    close(p[1]);

#ifndef __GLIBC__
    /* the process table full: EAGAIN as the value, no child */
    {
        char *av[] = { (char *)self, (char *)"child", (char *)"exit", (char *)"0", NULL };
        int n = 0;
        do {
            err = posix_spawn(&pid, self, NULL, NULL, av, environ);
        } while (err == 0 && ++n < 1000);
        check(err == EAGAIN && n > 100, "eagain", "err %ld after %ld", err, n);
        while (n > 0 && wait(&status) > 0)
            n--;
        check(n == 0, "eagain-reaped", "%ld left %ld", n, 0);
    }
#endif
    printf("done %d\n", failures);
    return failures != 0;
}
