/* kw86 bench bochs: the guest's 32-bit program (flat protected mode, CPL 0,
 * interrupts off).  It runs one workload of kw86 bench cpu (the same C source,
 * kw86/bench_cpu.py's WORKLOADS_C, compiled with the same flags) n times on the
 * 3 MiB buffer at 0x200000, then reports on Bochs's debug port 0xe9
 *
 *     kw86-bochs WORKLOAD N RESULT TSC
 *
 * (RESULT the workload's checksum in decimal, as `bench_cpu WORKLOAD N` prints it
 * under kw86; TSC the time-stamp counter's advance across the call, hex) and asks
 * Bochs to stop by writing "Shutdown" to port 0x8900.  The workload and N come
 * from `params`, which the harness patches in the image (found by its magic). */

unsigned wl_sieve(unsigned, unsigned char *);
unsigned wl_crc32(unsigned, unsigned char *);
unsigned wl_copy(unsigned, unsigned char *);
unsigned wl_sort(unsigned, unsigned char *);
unsigned wl_words(unsigned, unsigned char *);

#define DEBUG_PORT	0xe9
#define SHUTDOWN_PORT	0x8900
#define MEM		((unsigned char *)0x200000)

struct params {
	char magic[16];		/* "kw86-bochs-parm" */
	unsigned workload;	/* index into w[] */
	unsigned n;
};
__attribute__((section(".kw86params"), used))
volatile struct params params = { "kw86-bochs-parm", 0xffffffffu, 0 };

static const struct { const char *name; unsigned (*fn)(unsigned, unsigned char *); } w[] = {
	{ "sieve", wl_sieve }, { "crc32", wl_crc32 }, { "copy", wl_copy },
	{ "sort", wl_sort }, { "words", wl_words },
};

static inline void outb(unsigned short port, unsigned char v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline unsigned long long rdtsc(void)
{
	unsigned lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((unsigned long long)hi << 32) | lo;
}

/* the compiler may call these for loops it recognises (freestanding C) */
void *memset(void *d, int c, unsigned long n)
{
	void *r = d;
	__asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
	return r;
}

void *memcpy(void *d, const void *s, unsigned long n)
{
	void *r = d;
	__asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
	return r;
}

static void puts_e9(const char *s)
{
	while (*s)
		outb(DEBUG_PORT, (unsigned char)*s++);
}

static void putu(unsigned v)
{
	char buf[12];
	int i = sizeof buf - 1;
	buf[i] = 0;
	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	puts_e9(buf + i);
}

static void putx64(unsigned long long v)
{
	char buf[17];
	for (int i = 15; i >= 0; i--) {
		buf[i] = "0123456789abcdef"[v & 15];
		v >>= 4;
	}
	buf[16] = 0;
	puts_e9(buf);
}

void kmain(void)
{
	unsigned k = params.workload, n = params.n;
	if (k >= sizeof w / sizeof w[0]) {
		puts_e9("kw86-bochs: bad parameters\n");
	} else {
		unsigned long long t0 = rdtsc();
		unsigned r = w[k].fn(n, MEM);
		unsigned long long t1 = rdtsc();
		puts_e9("kw86-bochs ");
		puts_e9(w[k].name);
		puts_e9(" ");
		putu(n);
		puts_e9(" ");
		putu(r);
		puts_e9(" ");
		putx64(t1 - t0);
		puts_e9("\n");
	}
	puts_e9("kw86-bochs: end\n");
	for (const char *s = "Shutdown"; *s; s++)
		outb(SHUTDOWN_PORT, (unsigned char)*s);
}
