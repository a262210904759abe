/*
 * dynprog: the program of kw86's dynamic-exec tests, built three ways (test_nbsd_dynexec):
 * a static PIE (relocates itself in crt/start.c), a static ET_EXEC whose PT_INTERP
 * names tests/guest/dynexec/ld_kw86.c, and a PIE with that PT_INTERP (the interpreter
 * relocates it).  It prints what exec gave it and checks that its pointers were
 * relocated (tables of strings and of functions, a pointer to data) and what
 * /proc/curproc/exe names (the program, never its interpreter); then, by argv:
 *     dynprog                      just that
 *     dynprog exec PATH ARGS...    execv(PATH, ARGS): the new image replaces this one
 *     dynprog fork PATH ARGS...    fork, the child execs PATH, the parent waits
 *     dynprog errno PATH           execv(PATH) must fail: prints the errno
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
extern char _start[];

static const char *const words[] = { "alpha", "beta", "gamma" };
static int add(int a, int b) { return a + b; }
static int mul(int a, int b) { return a * b; }
static int (*const ops[])(int, int) = { add, mul };
int counter = 7;
int *counterp = &counter;

static unsigned long auxval(unsigned long type)
{
    char **p = environ;
    const unsigned long *a;

    while (*p)
        p++;
    for (a = (const unsigned long *)(p + 1); a[0] != 0; a += 2)
        if (a[0] == type)
            return a[1];
    return ~0ul;
}

int main(int argc, char **argv)
{
    unsigned long entry = auxval(9), phdr = auxval(3), base = auxval(7);

    printf("dynprog: %s AT_ENTRY=%#lx AT_PHDR=%#lx AT_BASE=%#lx AT_PHNUM=%lu main=%#lx\n",
           argv[0], entry, phdr, base, auxval(5), (unsigned long)main);
    printf("dynprog: entry %s, words %s %s %s, ops %d %d, counter %d\n",
           entry == (unsigned long)_start ? "is _start" : "is NOT _start",
           words[0], words[1], words[2], ops[0](2, 3), ops[1](2, 3), *counterp);
    {
        unsigned short cs;
        __asm__ __volatile__("movw %%cs, %0" : "=r"(cs));
        printf("dynprog: cpl %d\n", cs & 3);
    }
    {
        char exe[256];
        ssize_t n = readlink("/proc/curproc/exe", exe, sizeof exe - 1);
        exe[n < 0 ? 0 : n] = 0;
        printf("dynprog: /proc/curproc/exe %s\n", n < 0 ? strerror(errno) : exe);
    }
    fflush(stdout);
    if (argc >= 3 && strcmp(argv[1], "exec") == 0) {
        execv(argv[2], argv + 2);
        printf("dynprog: execv %s: errno %d\n", argv[2], errno);
        return 1;
    }
    if (argc >= 3 && strcmp(argv[1], "fork") == 0) {
        int st;
        pid_t pid = fork();
        if (pid == 0) {
            execv(argv[2], argv + 2);
            _exit(100 + errno);
        }
        if (pid < 0 || waitpid(pid, &st, 0) != pid) {
            printf("dynprog: fork/waitpid failed: errno %d\n", errno);
            return 1;
        }
        printf("dynprog: child %s exit %d\n", argv[2], WIFEXITED(st) ? WEXITSTATUS(st) : -1);
        return 0;
    }
    if (argc >= 3 && strcmp(argv[1], "errno") == 0) {
        char *args[] = { argv[2], NULL };
        execv(argv[2], args);
        printf("dynprog: execv %s: errno %d\n", argv[2], errno);
        return 0;
    }
    return 0;
}
