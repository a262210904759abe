/* Integer-instruction oracle: runs one instruction on the host CPU, natively,
 * as a 32-bit (x86-linux) static program at user level (CPL 3).  Built with
 * `python3 -m ziglang cc -target x86-linux-musl -static` by
 * tests/int_native_oracle.py; written for kw86.
 *
 * Address space (the program itself is linked at 0x10000000, far away):
 *   0x00001000-0x00ffffff  reserved PROT_NONE (any access there faults), but
 *   DATA = 0x0000f000      the 4 KiB data page, RW: the last below 64 KiB, so
 *                          that 16-bit addressing (67h) reaches it and an
 *                          access at offset FFFFh runs on into 10000h (no
 *                          wrap in protected mode) where it faults
 *   CODE = 0x00020000      the code page, RWX: trampoline, the instruction at
 *                          CODE+0x100, the state areas at CODE+0x800
 *
 * stdin: records of 4148 bytes:
 *   [0..31]     EAX ECX EDX EBX ESP EBP ESI EDI before
 *   [32..35]    EFLAGS before (arithmetic flags and DF only)
 *   [36]        instruction length n (1..15), [37..51] the instruction
 *   [52..4147]  the data page before
 * stdout: records of 4152 bytes:
 *   [0..3]      0 = ran to its end, else the signal number it died of
 *   [4..15]     trap number, error code, fault address (si_addr) if it died
 *   [16..47]    EAX ECX EDX EBX ESP EBP ESI EDI after (at the fault if it died)
 *   [48..51]    EFLAGS after, [52..55] EIP after (CODE+0x100+n when it ran)
 *   [56..4151]  the data page after
 * Exit status 4: a signal outside the code page (a harness bug).
 */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define RESV 0x00001000u
#define RESV_END 0x01000000u
#define DATA 0x0000f000u
#define CODE 0x00020000u
#define INSN (CODE + 0x100)
#define IN_IMG (CODE + 0x800)       /* popad image (32) + EFLAGS (4) */
#define GUEST_ESP (CODE + 0x840)
#define HOST_ESP (CODE + 0x844)
#define OUT_ESP (CODE + 0x848)
#define OUT_TOP (CODE + 0x900)      /* pushfd at 0x8fc, pushad below at 0x8dc */
#define IN_SZ 4148
#define OUT_SZ 4152

static sigjmp_buf jb;
static volatile uint32_t fault[20];
static uint8_t altstack[65536];

static void on_sig(int s, siginfo_t *si, void *ctx) {
    ucontext_t *uc = ctx;
    uint32_t eip = (uint32_t)uc->uc_mcontext.gregs[14];
    int k;
    if (eip < CODE || eip >= CODE + 0x1000) _exit(4);
    for (k = 0; k < 19; k++) fault[k] = (uint32_t)uc->uc_mcontext.gregs[k];
    fault[19] = (uint32_t)(uintptr_t)si->si_addr;
    siglongjmp(jb, s);
}

static int rd(uint8_t *p, int n) {
    int got = 0;
    while (got < n) {
        int r = (int)read(0, p + got, n - got);
        if (r <= 0) return got;
        got += r;
    }
    return got;
}

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

static int emit_abs(uint8_t *c, int k, uint8_t op, uint8_t modrm, uint32_t addr) {
    c[k++] = op; c[k++] = modrm; put32(c + k, addr); return k + 4;
}

int main(void) {
    static uint8_t in[IN_SZ], out[OUT_SZ];
    uint8_t *code = (uint8_t *)(uintptr_t)CODE;
    struct sigaction sa;
    stack_t ss;
    int k;
    void *r = mmap((void *)(uintptr_t)RESV, RESV_END - RESV, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_NORESERVE, -1, 0);
    if (r != (void *)(uintptr_t)RESV) return 2;
    if (mmap((void *)(uintptr_t)DATA, 0x1000, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != (void *)(uintptr_t)DATA)
        return 2;
    if (mmap((void *)(uintptr_t)CODE, 0x1000, PROT_READ | PROT_WRITE | PROT_EXEC,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != (void *)(uintptr_t)CODE)
        return 2;
    ss.ss_sp = altstack;
    ss.ss_size = sizeof altstack;
    ss.ss_flags = 0;
    if (sigaltstack(&ss, 0)) return 2;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sig;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
    sigaction(SIGFPE, &sa, 0);
    sigaction(SIGILL, &sa, 0);
    sigaction(SIGSEGV, &sa, 0);
    sigaction(SIGBUS, &sa, 0);
    sigaction(SIGTRAP, &sa, 0);
    /* prologue at CODE: save the host's registers, load the case's, jump */
    memset(code, 0xCC, 0x1000);
    k = 0;
    code[k++] = 0x60;                                        /* pushad */
    k = emit_abs(code, k, 0x89, 0x25, HOST_ESP);             /* mov [HOST_ESP], esp */
    code[k++] = 0xBC; put32(code + k, IN_IMG); k += 4;       /* mov esp, IN_IMG */
    code[k++] = 0x61;                                        /* popad */
    code[k++] = 0x9D;                                        /* popfd */
    k = emit_abs(code, k, 0x8B, 0x25, GUEST_ESP);            /* mov esp, [GUEST_ESP] */
    code[k++] = 0xE9; put32(code + k, INSN - (CODE + k + 4)); /* jmp INSN */
    while (rd(in, IN_SZ) == IN_SZ) {
        int n = in[36], s;
        uint8_t *c = (uint8_t *)(uintptr_t)INSN;
        uint8_t *img = (uint8_t *)(uintptr_t)IN_IMG;
        if (n < 1 || n > 15) return 5;
        /* popad order: EDI ESI EBP (ESP) EBX EDX ECX EAX */
        put32(img + 0, get32(in + 28)); put32(img + 4, get32(in + 24));
        put32(img + 8, get32(in + 20)); put32(img + 12, 0);
        put32(img + 16, get32(in + 12)); put32(img + 20, get32(in + 8));
        put32(img + 24, get32(in + 4)); put32(img + 28, get32(in + 0));
        put32(img + 32, get32(in + 32));
        put32((uint8_t *)(uintptr_t)GUEST_ESP, get32(in + 16));
        memcpy(c, in + 37, n);
        k = n;
        k = emit_abs(c, k, 0x89, 0x25, OUT_ESP);             /* mov [OUT_ESP], esp */
        c[k++] = 0xBC; put32(c + k, OUT_TOP); k += 4;        /* mov esp, OUT_TOP */
        c[k++] = 0x9C;                                       /* pushfd */
        c[k++] = 0x60;                                       /* pushad */
        c[k++] = 0xFC;                                       /* cld */
        k = emit_abs(c, k, 0x8B, 0x25, HOST_ESP);            /* mov esp, [HOST_ESP] */
        c[k++] = 0x61;                                       /* popad */
        c[k++] = 0xC3;                                       /* ret */
        memcpy((void *)(uintptr_t)DATA, in + 52, 4096);
        memset(out, 0, sizeof out);
        s = sigsetjmp(jb, 0);
        if (s == 0) {
            const uint8_t *o = (const uint8_t *)(uintptr_t)(OUT_TOP - 36);
            ((void (*)(void))(uintptr_t)CODE)();
            /* pushad image at OUT_TOP-36: EDI ESI EBP ESP EBX EDX ECX EAX */
            put32(out + 16, get32(o + 28)); put32(out + 20, get32(o + 24));
            put32(out + 24, get32(o + 20)); put32(out + 28, get32(o + 16));
            put32(out + 32, get32((const uint8_t *)(uintptr_t)OUT_ESP));
            put32(out + 36, get32(o + 8)); put32(out + 40, get32(o + 4));
            put32(out + 44, get32(o + 0));
            put32(out + 48, get32(o + 32));
            put32(out + 52, INSN + n);
        } else {
            /* sigcontext: gs fs es ds edi esi ebp esp ebx edx ecx eax trapno err eip cs efl */
            put32(out + 0, (uint32_t)s);
            put32(out + 4, fault[12]); put32(out + 8, fault[13]); put32(out + 12, fault[19]);
            put32(out + 16, fault[11]); put32(out + 20, fault[10]);
            put32(out + 24, fault[9]); put32(out + 28, fault[8]);
            put32(out + 32, fault[7]); put32(out + 36, fault[6]);
            put32(out + 40, fault[5]); put32(out + 44, fault[4]);
            put32(out + 48, fault[16]); put32(out + 52, fault[14]);
        }
        memcpy(out + 56, (void *)(uintptr_t)DATA, 4096);
        if (write(1, out, sizeof out) != (int)sizeof out) return 3;
    }
    return 0;
}
