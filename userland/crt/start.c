/*
 * kw86 crt0, C half: find argv, envp and the auxiliary vector on the initial stack,
 * remember what the libc needs from them, run main and exit with its result.
 */
#include <stddef.h>
#include <stdlib.h>
#include <kernelware.h>

#include "../libc/libc_private.h"

extern int main(int argc, char **argv, char **envp);

/* Auxiliary vector types (NetBSD sys/exec_elf.h values; abi doc section 5). */
#define AT_NULL        0
#define AT_PAGESZ      6
#define AT_EUID        2000
#define AT_RUID        2001
#define AT_EGID        2002
#define AT_RGID        2003
#define AT_SUN_EXECNAME 2014

struct ps_strings;

__attribute__((noreturn, used))
void __kw86_start(long *sp, struct ps_strings *ps)
{
    int argc = (int)sp[0];
    char **argv = (char **)(sp + 1);
    char **envp = argv + argc + 1;
    char **p = envp;
    const unsigned long *aux;

    while (*p != NULL)
        p++;
    aux = (const unsigned long *)(p + 1);
    for (; aux[0] != AT_NULL; aux += 2) {
        switch (aux[0]) {
        case AT_PAGESZ:
            __kw86_pagesize = (size_t)aux[1];
            break;
        case AT_KW86_SYSCALL_GATE:
            __kw86_syscall_gate = (void *)aux[1];
            break;
        case AT_SUN_EXECNAME:
            __kw86_execname = (const char *)aux[1];
            break;
        default:
            break;
        }
    }
    __kw86_ps_strings = ps;
    environ = envp;
    __kw86_set_progname(argc > 0 ? argv[0] : NULL);
    exit(main(argc, argv, envp));
}
