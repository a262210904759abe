/* x87/MMX oracle: runs one instruction on the host's own x87, natively, as
 * a 32-bit (x86-linux) static program.  Built with `python3 -m ziglang cc
 * -target x86-linux-musl -static` by tests/x87_oracle.py; written for kw86.
 *
 * stdin: records of 320 bytes:
 *   [0..107]   FNSAVE image (32-bit protected-mode format) to FRSTOR first
 *   [108..267] 160 bytes of memory operand at MEM (0x40001000)
 *   [268]      instruction length n (1..15)
 *   [269..283] the instruction (memory operands use [disp32] = MEM)
 * stdout: records of 276 bytes:
 *   [0]        0 = ran, else the signal number it died of
 *   [1..3]     0
 *   [4..111]   FNSAVE image after the instruction
 *   [112..271] memory at MEM afterwards
 *   [272..275] EFLAGS after the instruction
 * The code page runs: push 0; popfd; frstor [ST]; insn; fnsave [OUT];
 * pushfd; pop [FL]; ret.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define BASE 0x40000000u
#define CODE ((uint8_t *)BASE)
#define MEM ((uint8_t *)(BASE + 0x1000))
#define ST ((uint8_t *)(BASE + 0x1200))   /* FXSAVE's 512 bytes at MEM stay below */
#define OUT ((uint8_t *)(BASE + 0x1300))
#define FL ((uint8_t *)(BASE + 0x1400))

static sigjmp_buf jb;
static void on_sig(int s) { siglongjmp(jb, s); }

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

int main(void) {
    static uint8_t in[320], out[276];
    struct sigaction sa;
    if (mmap((void *)BASE, 0x2000, PROT_READ | PROT_WRITE | PROT_EXEC,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != (void *)BASE)
        return 2;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sig;
    sa.sa_flags = SA_NODEFER;
    sigaction(SIGFPE, &sa, 0);
    sigaction(SIGILL, &sa, 0);
    sigaction(SIGSEGV, &sa, 0);
    sigaction(SIGBUS, &sa, 0);
    while (rd(in, 320) == 320) {
        int n = in[268], k = 0, s;
        uint8_t *c = CODE;
        memcpy(ST, in, 108);
        memcpy(MEM, in + 108, 160);
        memset(OUT, 0, 108);
        c[k++] = 0x6A; c[k++] = 0x00; c[k++] = 0x9D;          /* push 0; popfd */
        c[k++] = 0xDD; c[k++] = 0x25; put32(c + k, (uint32_t)(uintptr_t)ST); k += 4;
        memcpy(c + k, in + 269, n); k += n;
        c[k++] = 0xDD; c[k++] = 0x35; put32(c + k, (uint32_t)(uintptr_t)OUT); k += 4;
        c[k++] = 0x9C;                                         /* pushfd */
        c[k++] = 0x8F; c[k++] = 0x05; put32(c + k, (uint32_t)(uintptr_t)FL); k += 4;
        c[k++] = 0xC3;
        memset(out, 0, sizeof out);
        s = sigsetjmp(jb, 1);
        if (s == 0) {
            ((void (*)(void))(uintptr_t)BASE)();
        } else {
            __asm__ volatile("fninit");
        }
        out[0] = (uint8_t)s;
        memcpy(out + 4, OUT, 108);
        memcpy(out + 112, MEM, 160);
        memcpy(out + 272, FL, 4);
        if (write(1, out, sizeof out) != (int)sizeof out) return 3;
    }
    return 0;
}
