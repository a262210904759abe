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

#if defined(__PIC__)
/*
 * A PIE (crt objects compiled with -fPIE, which zig cc marks __PIC__; linked -pie): the kernel loads it at an
 * address of its choosing (NetBSD's elf_placedynexec; kw86: 0x1000 for an i386 PIE linked
 * at 0) and nothing has applied its relocations yet unless an interpreter (PT_INTERP)
 * did, which AT_BASE != 0 says.  A static PIE relocates itself here, first thing, before
 * any pointer stored in its data is read: only R_386_RELATIVE (what a static PIE
 * resolved at link time has left: "add the load address"); anything else would need
 * symbol resolution, which a static program has no use for, and ends the program with a
 * message.  This code reads no initialised pointer and no GOT entry itself: _DYNAMIC and
 * the strings are addressed relative to the program counter.
 */
#define AT_PHDR        3
#define AT_PHNUM       5
#define AT_BASE        7
#define PT_DYNAMIC     2
#define DT_NULL        0
#define DT_RELA        7
#define DT_REL         17
#define DT_RELSZ       18
#define DT_RELENT      19
#define DT_TEXTREL     22
#define R_386_NONE     0
#define R_386_RELATIVE 8

extern const unsigned long _DYNAMIC[] __attribute__((visibility("hidden")));

/* write(2, msg, n) and _exit(127) without libc (its stubs read the gate's global). */
static void __attribute__((noreturn)) reloc_fail(unsigned long gate, const char *msg,
                                                 unsigned long n)
{
    unsigned long args[3] = { 2, (unsigned long)msg, n };
    unsigned short cs;
    long nr;
    int i;

    __asm__ __volatile__("movw %%cs, %0" : "=r"(cs));
    if (cs & 3)
        gate = 0;                       /* CPL 3: int $0x80 (the gate is for CPL 0) */
    for (i = 0; i < 2; i++) {
        nr = i == 0 ? 4 : 1;            /* SYS_write, then SYS_exit */
        if (i == 1)
            args[0] = 127;
        __asm__ __volatile__(
            "pushl 8(%2)\n\tpushl 4(%2)\n\tpushl (%2)\n\tpushl $0\n\t"
            "testl %1, %1\n\tjz 1f\n\tcall *%1\n\tjmp 2f\n"
            "1:\tint $0x80\n"
            "2:\taddl $16, %%esp"
            : "+a"(nr) : "r"(gate), "r"(args) : "memory", "cc", "ecx", "edx");
    }
    for (;;)
        ;
}

static void self_relocate(const unsigned long *aux)
{
    static const char unsupported[] = "static PIE: relocation type 0x00 is not supported "
                                      "(only R_386_RELATIVE)\n";
    const unsigned long *phdr = 0, *dyn, *rel = 0;
    unsigned long phnum = 0, base = 0, gate = 0, relsz = 0, relent = 8, reloc, i;
    int have_dyn = 0;

    for (; aux[0] != 0; aux += 2) {
        if (aux[0] == AT_PHDR)
            phdr = (const unsigned long *)aux[1];
        else if (aux[0] == AT_PHNUM)
            phnum = aux[1];
        else if (aux[0] == AT_BASE)
            base = aux[1];
        else if (aux[0] == AT_KW86_SYSCALL_GATE)
            gate = aux[1];
    }
    if (base != 0)
        return;                         /* the interpreter relocated the program */
    reloc = 0;
    for (i = 0; phdr != 0 && i < phnum; i++, phdr += 8) {
        if (phdr[0] == PT_DYNAMIC) {    /* p_type; p_vaddr is word 2 */
            reloc = (unsigned long)_DYNAMIC - phdr[2];
            have_dyn = 1;
        }
    }
    if (!have_dyn) {
        static const char nodyn[] = "static PIE: no PT_DYNAMIC in AT_PHDR's headers\n";
        reloc_fail(gate, nodyn, sizeof(nodyn) - 1);
    }
    for (dyn = _DYNAMIC; dyn[0] != DT_NULL; dyn += 2) {
        if (dyn[0] == DT_REL)
            rel = (const unsigned long *)(dyn[1] + reloc);
        else if (dyn[0] == DT_RELSZ)
            relsz = dyn[1];
        else if (dyn[0] == DT_RELENT)
            relent = dyn[1];
        else if (dyn[0] == DT_RELA || dyn[0] == DT_TEXTREL) {
            static const char bad[] = "static PIE: DT_RELA or DT_TEXTREL is not supported\n";
            reloc_fail(gate, bad, sizeof(bad) - 1);
        }
    }
    if (relent != 8 && relsz != 0) {
        static const char badent[] = "static PIE: DT_RELENT is not 8\n";
        reloc_fail(gate, badent, sizeof(badent) - 1);
    }
    for (i = 0; rel != 0 && i < relsz / 8; i++) {
        unsigned long offset = rel[2 * i], type = rel[2 * i + 1] & 0xff;
        if (type == R_386_RELATIVE) {
            *(unsigned long *)(offset + reloc) += reloc;
        } else if (type != R_386_NONE) {
            char buf[sizeof(unsupported)];
            unsigned long k;
            for (k = 0; k < sizeof(unsupported); k++)
                buf[k] = unsupported[k];
            buf[30] = "0123456789abcdef"[(type >> 4) & 15];
            buf[31] = "0123456789abcdef"[type & 15];
            reloc_fail(gate, buf, sizeof(buf) - 1);
        }
    }
}
#endif

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
#if defined(__PIC__)
    self_relocate(aux);
#endif
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
