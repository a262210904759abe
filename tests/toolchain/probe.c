/*
 * What another compiler's code leans on, with one deterministic output: built by
 * GCC (tests/test_toolchain_gcc.py, several -O levels and code-generation
 * options) and by zig cc against kw86's libc and run under kw86, and by the host's
 * own cc against its own libc; the outputs must be the same line for line.
 *
 * Only fixed-width types are printed (long is 64-bit on the host), floating
 * point results are exact or printed with few digits (x87 keeps excess precision
 * on i386, SSE does not on x86-64), and no call with side effects shares an
 * argument list with what it changes (GCC evaluates arguments right to left,
 * clang left to right).
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t crc;

static void
put(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int i, n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	for (i = 0; i < n; i++) {		/* CRC-32 of everything printed */
		int k;
		crc ^= (uint8_t)buf[i];
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
	}
	fputs(buf, stdout);
}

/* 64-bit division: libgcc's __divdi3, __udivdi3, __moddi3, __umoddi3 on i386 */
static void
div64(void)
{
	static const int64_t s[] = { 0, 1, -1, 7, -7, 1000000007, -123456789012345LL,
	    INT64_MAX, INT64_MIN + 1, 0x100000000LL, -0x100000001LL, 999999999999LL };
	static const int64_t d[] = { 1, -1, 3, -3, 10, 0x7fffffff, -0x80000000LL,
	    0x100000000LL, 1000000007, -98765432109LL };
	volatile int64_t a, b;
	volatile uint64_t ua, ub;
	unsigned i, j;
	int64_t acc = 0;
	uint64_t uacc = 0;

	for (i = 0; i < sizeof s / sizeof s[0]; i++)
		for (j = 0; j < sizeof d / sizeof d[0]; j++) {
			a = s[i];
			b = d[j];
			acc = acc * 31 + a / b;
			acc = acc * 31 + a % b;
			ua = (uint64_t)s[i];
			ub = (uint64_t)d[j];
			uacc = uacc * 37 + ua / ub;
			uacc = uacc * 37 + ua % ub;
		}
	a = -123456789012345LL;
	b = 1000;
	put("div64 %" PRId64 " %" PRId64 " %" PRIu64 " q %" PRId64 " r %" PRId64 "\n",
	    acc, (int64_t)(acc >> 7), uacc, a / b, a % b);
}

/* x87 conversions: fnstcw/fldcw around fistp, __fixunsxfdi, __floatundixf */
static void
conv(void)
{
	static const double v[] = { 0.0, 0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 123456.789,
	    -98765.4321, 4294967295.0, 4294967296.75, 9007199254740993.0,
	    1e18, -1e18, 18446744073709549568.0 };
	volatile double x;
	unsigned i;

	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		int32_t i32 = 0;
		int64_t i64 = 0;
		uint64_t u64 = 0;
		x = v[i];
		if (x > -2147483648.0 && x < 2147483648.0)
			i32 = (int32_t)x;
		if (x > -9.2e18 && x < 9.2e18)
			i64 = (int64_t)x;
		if (x >= 0 && x < 18446744073709551616.0)
			u64 = (uint64_t)x;
		put("conv %d %" PRId32 " %" PRId64 " %" PRIu64 "\n", (int)i, i32, i64, u64);
	}
	{
		volatile uint64_t big = 0xfedcba9876543210ULL;
		volatile int64_t neg = -0x123456789aLL;
		double d1 = (double)big, d2 = (double)neg;
		float f1 = (float)big;
		put("float %.0f %.0f %.0f\n", d1, d2, (double)f1);
	}
	{
		volatile double a = 1.0, b = 3.0;
		double q = a / b;
		/* + 0.5: q * 3e6 is 999999.99999999994 in the x87's 64-bit mantissa
		   (GCC -O0 rounds q to double, then multiplies in extended precision),
		   1000000 in a double (SSE) */
		put("third %.6f %d %d\n", q, (int)(q * 3000000.0 + 0.5), (int)(q * 1e9) % 1000);
	}
}

/* struct returned through the hidden pointer (ret $4), passed by value */
struct trio { int32_t a; int64_t b; char c[5]; };
struct small { int16_t x, y; };

static struct trio __attribute__((noinline))
mktrio(int32_t a, int64_t b, const char *c)
{
	struct trio t;
	t.a = a;
	t.b = b;
	memcpy(t.c, c, 5);
	return t;
}

static int64_t __attribute__((noinline))
sumtrio(struct trio t, struct small s, int32_t k)
{
	return t.a + t.b + t.c[0] + t.c[4] + s.x * 1000 + s.y + k;
}

static struct small __attribute__((noinline))
mksmall(int16_t x, int16_t y)
{
	struct small s = { x, y };
	return s;
}

/* varargs of every width */
static int64_t
vsum(int n, ...)
{
	va_list ap;
	int64_t t = 0;
	int i;

	va_start(ap, n);
	for (i = 0; i < n; i++) {
		switch (va_arg(ap, int)) {
		case 0: t += va_arg(ap, int); break;
		case 1: t += va_arg(ap, int64_t); break;
		case 2: t += (int64_t)(va_arg(ap, double) * 4); break;
		default: t += (int64_t)strlen(va_arg(ap, char *)); break;
		}
	}
	va_end(ap);
	return t;
}

/* a jump table (PIE-compiled code reaches it through the GOT) */
static int __attribute__((noinline))
classify(int c)
{
	switch (c) {
	case 0: return 11;
	case 1: return 23;
	case 2: return 37;
	case 3: return 41;
	case 4: return 53;
	case 5: return 67;
	case 6: return 79;
	case 7: return 83;
	case 8: return 97;
	case 9: return 101;
	default: return -1;
	}
}

/* a return that is a branch target: `rep ret` with -mtune=amdfam10 (K8/K10) */
static int __attribute__((noinline))
scale(int a)
{
	if (a > 3)
		return a * 7;
	return a;
}

static jmp_buf jb;
static int depth;

static void __attribute__((noinline))
dive(int n)		/* ends with longjmp at n == 0 */
{
	char pad[64];

	memset(pad, n, sizeof pad);
	depth += pad[n % 64];
	if (n == 0)
		longjmp(jb, 42);
	dive(n - 1);
}

static int
cmp32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	return (x > y) - (x < y);
}

struct bits { unsigned a : 3, b : 7, c : 13; signed d : 9; };

int
main(int argc, char **argv)
{
	int i;
	int32_t arr[64];
	uint32_t seed = 12345;
	char buf[200];

	(void)argv;
	div64();
	conv();
	{
		struct trio t = mktrio(-5, 0x123456789LL, "wxyz!");
		struct small s = mksmall(-7, 300);
		put("struct %d %" PRId64 " %.5s %d %d %" PRId64 "\n", (int)t.a, t.b, t.c,
		    s.x, s.y, sumtrio(t, s, argc));
	}
	put("varargs %" PRId64 "\n", vsum(5, 0, -17, 1, (int64_t)1 << 40, 2, 2.75,
	    3, "hello", 0, 1000));
	{
		int t = 0;
		int (*volatile fp)(int) = scale;
		for (i = -2; i < 12; i++)
			t = t * 3 + classify(i) + fp(i);
		put("switch %d\n", t);
	}
	if ((i = setjmp(jb)) == 0)
		dive(100);
	put("longjmp %d depth %d\n", i, depth);
	for (i = 0; i < 64; i++) {
		seed = seed * 1103515245u + 12345u;
		arr[i] = (int32_t)(seed >> 3) - 0x08000000;
	}
	qsort(arr, 64, sizeof arr[0], cmp32);
	put("qsort %" PRId32 " %" PRId32 " %" PRId32 "\n", arr[0], arr[31], arr[63]);
	{
		volatile uint32_t w = 0x00f0f0f1u;
		volatile uint64_t q = 0x0000100000000000ULL;
		put("bits %d %d %d %d %08" PRIx32 " %016" PRIx64 "\n", __builtin_popcount(w),
		    __builtin_clz(w), __builtin_ctzll(q), __builtin_popcountll(q | w),
		    __builtin_bswap32(w), __builtin_bswap64(q));
	}
	{
		volatile int64_t a = 0x7fffffffffffLL, b = 0x10001;
		int64_t r;
		int o = __builtin_mul_overflow(a, b, &r);
		volatile uint64_t sh = 0x8000000000000001ULL;
		volatile int n = 37;
		put("ovf %d %" PRId64 " shifts %" PRIx64 " %" PRIx64 " %" PRId64 "\n", o, r,
		    sh << n, sh >> n, (int64_t)sh >> n);
	}
	{
		struct bits b;
		memset(&b, 0, sizeof b);
		b.a = 5;
		b.b = 100;
		b.c = 8000;
		b.d = -200;
		put("bitfield %u %u %u %d %u\n", b.a, b.b, b.c, b.d, (unsigned)sizeof b);
	}
	{
		int n = 10 + argc;
		char vla[n];			/* a VLA and memset/memcpy GCC inlines */
		memset(vla, 'q', (size_t)n - 1);
		vla[n - 1] = 0;
		memcpy(buf, vla, (size_t)n);
		strcat(buf, "-tail");
		put("vla %s %d\n", buf, (int)strlen(buf));
	}
	{
		long double x = 1.0L;
		for (i = 0; i < 70; i++)
			x *= 2.0L;
		put("ldouble %.1Lf %d\n", x + 1.0L, x + 1.0L > x);
	}
	{
		/* 64-bit atomics: cmpxchg8b loops, and loads/stores through the x87
		   (fild/fistp of a qword is one access) */
		static int64_t a64 = 0x0123456789abcdefLL;
		static int32_t a32 = 5;
		int64_t old = 0x0123456789abcdefLL, v;
		int f, c;
		int ok = __atomic_compare_exchange_n(&a64, &old, -2, 0, __ATOMIC_SEQ_CST,
		    __ATOMIC_SEQ_CST);
		__atomic_fetch_add(&a64, 0x100000001LL, __ATOMIC_SEQ_CST);
		__atomic_store_n(&a64, __atomic_load_n(&a64, __ATOMIC_SEQ_CST) * 3,
		    __ATOMIC_SEQ_CST);
		v = __atomic_exchange_n(&a64, 7, __ATOMIC_SEQ_CST);
		f = (int)__sync_fetch_and_add(&a32, 3);
		c = (int)__sync_val_compare_and_swap(&a32, 8, 1);
		put("atomic %d %" PRId64 " %" PRId64 " %d %d %d\n", ok, v, a64, f, c, (int)a32);
	}
	put("crc %08" PRIx32 "\n", crc);
	return 0;
}
