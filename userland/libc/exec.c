/* kw86 libc: the exec family, PATH search, system, popen. */
#include <sys/wait.h>
#include <errno.h>
#include <limits.h>
#include <paths.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libc_private.h"
#include "stdio_impl.h"

int
execv(const char *path, char * const *argv)
{
    return execve(path, argv, environ);
}

/* A file that is executable but not a binary is a shell script: run it with sh. */
static void
exec_script(const char *path, char * const *argv, char * const *envp)
{
    size_t n = 0, i;
    char **nargv;

    while (argv[n] != NULL)
        n++;
    nargv = malloc((n + 2) * sizeof(char *));
    if (nargv == NULL)
        return;
    nargv[0] = (char *)(unsigned long)"sh";
    nargv[1] = (char *)(unsigned long)path;
    for (i = 1; i <= n; i++)
        nargv[i + 1] = argv[i];
    if (n == 0)
        nargv[2] = NULL;
    execve(_PATH_BSHELL, nargv, envp);
    free(nargv);
}

int
__kw86_pathsearch(const char *file, int (*fn)(const char *, void *), void *arg)
{
    const char *path, *p;
    char buf[PATH_MAX];
    int err, saw_eacces = 0;

    if (*file == '\0')
        return ENOENT;
    if (strchr(file, '/') != NULL)          /* a path: no search */
        return fn(file, arg);
    path = getenv("PATH");
    if (path == NULL)
        path = _PATH_DEFPATH;
    for (p = path;; ) {
        const char *end = strchrnul(p, ':');
        const char *dir = p;
        size_t dlen = (size_t)(end - p);
        size_t flen = strlen(file);

        if (dlen == 0) {                    /* an empty element: the current directory */
            dir = ".";
            dlen = 1;
        }
        if (dlen + 1 + flen + 1 <= sizeof(buf)) {
            memcpy(buf, dir, dlen);
            buf[dlen] = '/';
            memcpy(buf + dlen + 1, file, flen + 1);
            err = fn(buf, arg);
            switch (err) {
            case EACCES:
                saw_eacces = 1;
                break;
            case ENOENT:
            case ENOTDIR:
            case ELOOP:
            case ENAMETOOLONG:
                break;
            default:
                return err;                 /* 0, ENOEXEC, E2BIG, ENOMEM ...: done */
            }
        }
        if (*end == '\0')
            break;
        p = end + 1;
    }
    return saw_eacces ? EACCES : ENOENT;
}

struct exec_args {
    char * const *argv, *const *envp;
};

/* execvpe's try: the exec, or a script (ENOEXEC) run by sh, which ends the search */
static int
exec_try(const char *path, void *arg)
{
    struct exec_args *a = arg;

    execve(path, a->argv, a->envp);
    if (errno != ENOEXEC)
        return errno;
    exec_script(path, a->argv, a->envp);
    return -1;
}

int
execvpe(const char *file, char * const *argv, char * const *envp)
{
    struct exec_args a = { argv, envp };
    int err = __kw86_pathsearch(file, exec_try, &a);

    if (err > 0)
        errno = err;
    return -1;
}

int
execvp(const char *file, char * const *argv)
{
    return execvpe(file, argv, environ);
}

/* The number of arguments after arg0 up to the terminating NULL (execl style). */
static int
count_args(va_list ap)
{
    va_list cp;
    int n = 1;

    va_copy(cp, ap);
    while (va_arg(cp, char *) != NULL)
        n++;
    va_end(cp);
    return n;
}

int
execl(const char *path, const char *arg0, ...)
{
    va_list ap;
    int n, i;

    va_start(ap, arg0);
    n = count_args(ap);
    {
        char *argv[n + 1];
        argv[0] = (char *)(unsigned long)arg0;
        for (i = 1; i <= n; i++)
            argv[i] = va_arg(ap, char *);
        va_end(ap);
        return execve(path, argv, environ);
    }
}

int
execlp(const char *file, const char *arg0, ...)
{
    va_list ap;
    int n, i;

    va_start(ap, arg0);
    n = count_args(ap);
    {
        char *argv[n + 1];
        argv[0] = (char *)(unsigned long)arg0;
        for (i = 1; i <= n; i++)
            argv[i] = va_arg(ap, char *);
        va_end(ap);
        return execvp(file, argv);
    }
}

int
execle(const char *path, const char *arg0, ...)
{
    va_list ap;
    int n, i;
    char **envp;

    va_start(ap, arg0);
    n = count_args(ap);
    {
        char *argv[n + 1];
        argv[0] = (char *)(unsigned long)arg0;
        for (i = 1; i <= n; i++)
            argv[i] = va_arg(ap, char *);
        envp = va_arg(ap, char **);
        va_end(ap);
        return execve(path, argv, envp);
    }
}

int
system(const char *command)
{
    pid_t pid;
    int status;
    struct sigaction ign, oint, oquit;
    sigset_t block, omask;

    if (command == NULL)
        return access(_PATH_BSHELL, X_OK) == 0;
    memset(&ign, 0, sizeof(ign));
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    sigaction(SIGINT, &ign, &oint);
    sigaction(SIGQUIT, &ign, &oquit);
    sigemptyset(&block);
    sigaddset(&block, SIGCHLD);
    sigprocmask(SIG_BLOCK, &block, &omask);
    pid = fork();
    if (pid == 0) {
        sigaction(SIGINT, &oint, NULL);
        sigaction(SIGQUIT, &oquit, NULL);
        sigprocmask(SIG_SETMASK, &omask, NULL);
        execl(_PATH_BSHELL, "sh", "-c", command, (char *)NULL);
        _exit(127);
    }
    if (pid < 0) {
        status = -1;
    } else {
        while (waitpid(pid, &status, 0) < 0) {
            if (errno != EINTR) {
                status = -1;
                break;
            }
        }
    }
    sigaction(SIGINT, &oint, NULL);
    sigaction(SIGQUIT, &oquit, NULL);
    sigprocmask(SIG_SETMASK, &omask, NULL);
    return status;
}

/* popen: one child per stream, remembered here for pclose. */
struct pchild {
    FILE *fp;
    pid_t pid;
    struct pchild *next;
};
static struct pchild *pchildren;

FILE *
popen(const char *command, const char *type)
{
    int fds[2], parent_end, child_end, child_fd;
    int reading = type[0] == 'r';
    struct pchild *pc;
    pid_t pid;
    FILE *fp;

    if ((type[0] != 'r' && type[0] != 'w') || (type[1] != '\0' && type[1] != 'e')) {
        errno = EINVAL;
        return NULL;
    }
    pc = malloc(sizeof(*pc));
    if (pc == NULL)
        return NULL;
    if (pipe(fds) < 0) {
        free(pc);
        return NULL;
    }
    parent_end = reading ? fds[0] : fds[1];
    child_end = reading ? fds[1] : fds[0];
    child_fd = reading ? STDOUT_FILENO : STDIN_FILENO;
    pid = fork();
    if (pid < 0) {
        int e = errno;
        close(fds[0]);
        close(fds[1]);
        free(pc);
        errno = e;
        return NULL;
    }
    if (pid == 0) {
        struct pchild *p;
        for (p = pchildren; p != NULL; p = p->next)   /* POSIX: not inherited */
            close(fileno(p->fp));
        close(parent_end);
        if (child_end != child_fd) {
            dup2(child_end, child_fd);
            close(child_end);
        }
        execl(_PATH_BSHELL, "sh", "-c", command, (char *)NULL);
        _exit(127);
    }
    close(child_end);
    fp = fdopen(parent_end, reading ? "r" : "w");
    if (fp == NULL) {
        close(parent_end);
        free(pc);
        return NULL;
    }
    pc->fp = fp;
    pc->pid = pid;
    pc->next = pchildren;
    pchildren = pc;
    return fp;
}

int
pclose(FILE *fp)
{
    struct pchild **pp, *pc;
    int status;
    pid_t r;

    for (pp = &pchildren; *pp != NULL && (*pp)->fp != fp; pp = &(*pp)->next)
        continue;
    if (*pp == NULL) {
        errno = ECHILD;
        return -1;
    }
    pc = *pp;
    *pp = pc->next;
    fclose(fp);
    do {
        r = waitpid(pc->pid, &status, 0);
    } while (r < 0 && errno == EINTR);
    free(pc);
    return r < 0 ? -1 : status;
}
