/*
 * ld.kw86.so: a small program interpreter (PT_INTERP) for kw86's exec tests, written
 * here.  It is an ET_DYN linked at 0 and, like NetBSD's ld.elf_so, finds everything in
 * the auxiliary vector the kernel built for the program: its own base (AT_BASE), the
 * program's headers (AT_PHDR, AT_PHENT, AT_PHNUM) and entry (AT_ENTRY).  It
 *   1. relocates itself (R_386_RELATIVE at AT_BASE: its table of names below needs it),
 *   2. checks and prints what it was given (one "ld.kw86: NAME=VALUE" line each),
 *   3. relocates the program when it is a PIE (R_386_RELATIVE at the program's load
 *      address: AT_PHDR - PT_PHDR's p_vaddr); no symbol is ever resolved: any other
 *      relocation type ends the run with status 127, as a missing library would,
 *   4. jumps to AT_ENTRY with the stack and %ebx (ps_strings) the kernel gave it and
 *      %edx = 0 (no cleanup function: NetBSD's crt0 convention).
 * Freestanding: no libc, system calls by int $0x80 at CPL 3 and through the
 * kernelware's gate (AT_KW86_SYSCALL_GATE) at CPL 0.
 */
typedef unsigned long u32;

#define AT_NULL 0
#define AT_PHDR 3
#define AT_PHENT 4
#define AT_PHNUM 5
#define AT_PAGESZ 6
#define AT_BASE 7
#define AT_FLAGS 8
#define AT_ENTRY 9
#define AT_STACKBASE 13
#define AT_EUID 2000
#define AT_RUID 2001
#define AT_EGID 2002
#define AT_RGID 2003
#define AT_SUN_EXECNAME 2014
#define AT_KW86_SYSCALL_GATE 0x4b57

#define PT_LOAD 1
#define PT_DYNAMIC 2
#define PT_INTERP 3
#define PT_PHDR 6
#define PF_X 1
#define DT_NULL 0
#define DT_REL 17
#define DT_RELSZ 18
#define R_386_NONE 0
#define R_386_RELATIVE 8

extern const u32 _DYNAMIC[] __attribute__((visibility("hidden")));
extern char _start[] __attribute__((visibility("hidden")));

static u32 gate;

static long sys3(long nr, u32 a, u32 b, u32 c)
{
    u32 args[3] = { a, b, c };
    unsigned short cs;
    u32 g = gate;

    __asm__ __volatile__("movw %%cs, %0" : "=r"(cs));
    if (cs & 3)
        g = 0;
    __asm__ __volatile__(
        "pushl 8(%2)\n\tpushl 4(%2)\n\tpushl (%2)\n\tpushl $0\n\t"
        "testl %1, %1\n\tjz 1f\n\tcall *%1\n\tjmp 2f\n"
        "1:\tint $0x80\n"
        "2:\taddl $16, %%esp"
        : "+a"(nr) : "r"(g), "r"(args) : "memory", "cc", "ecx", "edx");
    return nr;
}

static u32 slen(const char *s)
{
    u32 n = 0;
    while (s[n])
        n++;
    return n;
}

static void put(const char *s)
{
    sys3(4, 2, (u32)s, slen(s));        /* write(2, ...): stderr, unbuffered */
}

static void puthex(u32 v)
{
    char b[11];
    int i;
    b[0] = '0';
    b[1] = 'x';
    for (i = 0; i < 8; i++)
        b[2 + i] = "0123456789abcdef"[(v >> (28 - 4 * i)) & 15];
    b[10] = 0;
    put(b);
}

static void putdec(u32 v)
{
    char b[12];
    int i = 11;
    b[i] = 0;
    do {
        b[--i] = '0' + v % 10;
        v /= 10;
    } while (v);
    put(b + i);
}

static void __attribute__((noreturn)) die(const char *why, u32 v)
{
    put("ld.kw86: fatal: ");
    put(why);
    put(" ");
    puthex(v);
    put("\n");
    sys3(1, 127, 0, 0);                  /* exit(127) */
    for (;;)
        ;
}

/* Apply a DT_REL table's R_386_RELATIVE entries at load address `base`. */
static u32 relocate(const u32 *dyn, u32 base, const char *who)
{
    const u32 *rel = 0;
    u32 relsz = 0, i, n = 0;

    for (; dyn[0] != DT_NULL; dyn += 2) {
        if (dyn[0] == DT_REL)
            rel = (const u32 *)(dyn[1] + base);
        else if (dyn[0] == DT_RELSZ)
            relsz = dyn[1];
    }
    for (i = 0; rel && i < relsz / 8; i++) {
        u32 type = rel[2 * i + 1] & 0xff;
        if (type == R_386_RELATIVE) {
            *(u32 *)(rel[2 * i] + base) += base;
            n++;
        } else if (type != R_386_NONE) {
            put("ld.kw86: fatal: ");
            put(who);
            put(": relocation type ");
            puthex(type);
            put(" needs symbol resolution\n");
            sys3(1, 127, 0, 0);         /* exit(127) */
        }
    }
    return n;
}

/* The names printed: a table of pointers, so that step 1 is needed to print them. */
static const char *const names[] = {
    "AT_BASE", "AT_ENTRY", "AT_PHDR", "AT_PHENT", "AT_PHNUM", "AT_PAGESZ", "AT_FLAGS",
    "AT_EUID", "AT_RUID", "AT_EGID", "AT_RGID", "AT_STACKBASE",
};
static const int types[] = {
    AT_BASE, AT_ENTRY, AT_PHDR, AT_PHENT, AT_PHNUM, AT_PAGESZ, AT_FLAGS,
    AT_EUID, AT_RUID, AT_EGID, AT_RGID, AT_STACKBASE,
};

u32 ld_main(u32 *sp)
{
    u32 argc = sp[0], *p = sp + 1 + argc + 1, *aux, i, k, self_rel;
    u32 val[sizeof(types) / sizeof(types[0])], seen = 0;
    u32 base = 0, entry = 0, phnum = 0, phent = 0, bias = 0, have_phdr = 0, dynv = 0;
    const u32 *phdr = 0;
    const char *execname = 0;
    const unsigned char *eh;

    while (*p)
        p++;
    aux = p + 1;
    for (; aux[0] != AT_NULL; aux += 2) {
        for (k = 0; k < sizeof(types) / sizeof(types[0]); k++)
            if (aux[0] == (u32)types[k]) {
                val[k] = aux[1];
                seen |= 1u << k;
            }
        if (aux[0] == AT_BASE)
            base = aux[1];
        else if (aux[0] == AT_ENTRY)
            entry = aux[1];
        else if (aux[0] == AT_PHDR)
            phdr = (const u32 *)aux[1];
        else if (aux[0] == AT_PHNUM)
            phnum = aux[1];
        else if (aux[0] == AT_PHENT)
            phent = aux[1];
        else if (aux[0] == AT_KW86_SYSCALL_GATE)
            gate = aux[1];
        else if (aux[0] == AT_SUN_EXECNAME)
            execname = (const char *)aux[1];
    }
    /* 1: ourselves.  We are linked at 0, so our load address is AT_BASE: check it
     * against where this code actually runs, and our ELF header is there. */
    if (base == 0 || base & 0xfff)
        die("AT_BASE is not a page address:", base);
    eh = (const unsigned char *)base;
    if (eh[0] != 0x7f || eh[1] != 'E' || eh[2] != 'L' || eh[3] != 'F' || eh[16] != 3)
        die("no ET_DYN ELF header at AT_BASE", base);
    if ((u32)_start != base + *(const u32 *)(eh + 24))
        die("not running at AT_BASE + e_entry:", (u32)_start);
    self_rel = relocate(_DYNAMIC, base, "ld.kw86.so");
    put("ld.kw86: self relocated, ");
    putdec(self_rel);
    put(" relocations\n");
    for (k = 0; k < sizeof(types) / sizeof(types[0]); k++) {
        put("ld.kw86: ");
        put(names[k]);
        put("=");
        if (seen & (1u << k))
            puthex(val[k]);
        else
            put("missing");
        put("\n");
    }
    {
        unsigned short cs;
        __asm__ __volatile__("movw %%cs, %0" : "=r"(cs));
        put("ld.kw86: cpl=");
        putdec(cs & 3);
        put("\n");
    }
    put("ld.kw86: execname=");
    put(execname ? execname : "(none)");
    put("\n");
    /* 2: the program's headers */
    if (phent != 32 || phdr == 0 || phnum == 0)
        die("bad AT_PHDR/AT_PHENT/AT_PHNUM", phent);
    for (i = 0; i < phnum; i++)
        if (phdr[8 * i] == PT_PHDR) {
            bias = (u32)phdr - phdr[8 * i + 2];
            have_phdr = 1;
        }
    if (!have_phdr)
        die("the program has no PT_PHDR", phnum);
    put("ld.kw86: program load address ");
    puthex(bias);
    put("\n");
    k = 0;
    have_phdr = 0;
    for (i = 0; i < phnum; i++) {
        const u32 *ph = phdr + 8 * i;
        if (ph[0] == PT_INTERP && !have_phdr++) {      /* the first, as the kernel */
            put("ld.kw86: PT_INTERP=");
            put((const char *)(ph[2] + bias));
            put("\n");
        } else if (ph[0] == PT_DYNAMIC) {
            dynv = ph[2] + bias;
        } else if (ph[0] == PT_LOAD && ph[6] & PF_X && entry >= ph[2] + bias &&
                   entry < ph[2] + bias + ph[5]) {
            k = 1;
        }
    }
    if (!k)
        die("AT_ENTRY is not in an executable segment of the program:", entry);
    /* 3: a PIE's relocations (a static ET_EXEC has none to apply) */
    if (bias != 0 && dynv != 0) {
        u32 n = relocate((const u32 *)dynv, bias, "program");
        put("ld.kw86: program relocated, ");
        putdec(n);
        put(" relocations\n");
    }
    put("ld.kw86: jumping to ");
    puthex(entry);
    put("\n");
    return entry;
}
