/* kw86 libc: number conversion, arithmetic helpers, sorting, random numbers. */
#include <stdlib.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <inttypes.h>
#include <unistd.h>

/*
 * The strtol family: skip blanks, an optional sign, "0x"/"0" prefixes when base is
 * 16/8/0; accumulate in uintmax_t with an overflow check; clamp and set ERANGE.
 */
static uintmax_t
parse_unsigned(const char *s, char **endp, int base, int *negative, int *overflow)
{
    const char *p = s;
    uintmax_t v = 0;
    int any = 0;

    *negative = 0;
    *overflow = 0;
    if (base < 0 || base == 1 || base > 36) {
        errno = EINVAL;
        if (endp)
            *endp = (char *)(uintptr_t)s;
        return 0;
    }
    while (isspace((unsigned char)*p))
        p++;
    if (*p == '-' || *p == '+')
        *negative = *p++ == '-';
    if ((base == 0 || base == 16) && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') &&
        isxdigit((unsigned char)p[2])) {
        p += 2;
        base = 16;
    } else if (base == 0) {
        base = p[0] == '0' ? 8 : 10;
    }
    for (;; p++) {
        int d;
        unsigned char c = (unsigned char)*p;
        if (isdigit(c))
            d = c - '0';
        else if (isalpha(c))
            d = tolower(c) - 'a' + 10;
        else
            break;
        if (d >= base)
            break;
        any = 1;
        if (v > (UINTMAX_MAX - (uintmax_t)d) / (uintmax_t)base)
            *overflow = 1;
        else
            v = v * (uintmax_t)base + (uintmax_t)d;
    }
    if (endp)
        *endp = (char *)(uintptr_t)(any ? p : s);
    return v;
}

static intmax_t
to_signed(const char *s, char **endp, int base, intmax_t min, intmax_t max)
{
    int neg, ovf;
    uintmax_t v = parse_unsigned(s, endp, base, &neg, &ovf);

    if (!neg && (ovf || v > (uintmax_t)max)) {
        errno = ERANGE;
        return max;
    }
    if (neg && (ovf || v > (uintmax_t)(-(min + 1)) + 1)) {     /* |min| */
        errno = ERANGE;
        return min;
    }
    return neg ? (intmax_t)(0 - v) : (intmax_t)v;
}

static uintmax_t
to_unsigned(const char *s, char **endp, int base, uintmax_t max)
{
    int neg, ovf;
    uintmax_t v = parse_unsigned(s, endp, base, &neg, &ovf);

    if (ovf || v > max) {
        errno = ERANGE;
        return max;
    }
    /* C: a minus sign negates the value in the unsigned type. */
    return neg ? (0 - v) & max : v;
}

long strtol(const char *restrict s, char **restrict e, int b)
    { return (long)to_signed(s, e, b, LONG_MIN, LONG_MAX); }
long long strtoll(const char *restrict s, char **restrict e, int b)
    { return (long long)to_signed(s, e, b, LLONG_MIN, LLONG_MAX); }
intmax_t strtoimax(const char *s, char **e, int b)
    { return to_signed(s, e, b, INTMAX_MIN, INTMAX_MAX); }
int64_t strtoq(const char *s, char **e, int b)
    { return (int64_t)to_signed(s, e, b, LLONG_MIN, LLONG_MAX); }
unsigned long strtoul(const char *restrict s, char **restrict e, int b)
    { return (unsigned long)to_unsigned(s, e, b, ULONG_MAX); }
unsigned long long strtoull(const char *restrict s, char **restrict e, int b)
    { return (unsigned long long)to_unsigned(s, e, b, ULLONG_MAX); }
uintmax_t strtoumax(const char *s, char **e, int b)
    { return to_unsigned(s, e, b, UINTMAX_MAX); }
uint64_t strtouq(const char *s, char **e, int b)
    { return (uint64_t)to_unsigned(s, e, b, ULLONG_MAX); }

int atoi(const char *s) { return (int)strtol(s, NULL, 10); }
long atol(const char *s) { return strtol(s, NULL, 10); }
long long atoll(const char *s) { return strtoll(s, NULL, 10); }

/* OpenBSD/NetBSD strtonum: base 10 within [min, max], with an error string. */
long long
strtonum(const char *s, long long min, long long max, const char **errstr)
{
    char *end;
    long long v;
    int e = errno;

    if (errstr)
        *errstr = NULL;
    if (min > max) {
        if (errstr)
            *errstr = "invalid";
        errno = EINVAL;
        return 0;
    }
    errno = 0;
    v = strtoll(s, &end, 10);
    if (end == s || *end != '\0') {
        if (errstr)
            *errstr = "invalid";
        errno = EINVAL;
        return 0;
    }
    if ((errno == ERANGE && v == LLONG_MIN) || v < min) {
        if (errstr)
            *errstr = "too small";
        errno = ERANGE;
        return 0;
    }
    if ((errno == ERANGE && v == LLONG_MAX) || v > max) {
        if (errstr)
            *errstr = "too large";
        errno = ERANGE;
        return 0;
    }
    errno = e;
    return v;
}

int abs(int v) { return v < 0 ? -v : v; }
long labs(long v) { return v < 0 ? -v : v; }
long long llabs(long long v) { return v < 0 ? -v : v; }
intmax_t imaxabs(intmax_t v) { return v < 0 ? -v : v; }

div_t div(int n, int d) { div_t r = { n / d, n % d }; return r; }
ldiv_t ldiv(long n, long d) { ldiv_t r = { n / d, n % d }; return r; }
lldiv_t lldiv(long long n, long long d) { lldiv_t r = { n / d, n % d }; return r; }

/* ---- sorting */

static void
swap_bytes(char *a, char *b, size_t size)
{
    while (size-- > 0) {
        char t = *a;
        *a++ = *b;
        *b++ = t;
    }
}

/*
 * qsort: introsort-free quicksort with median-of-three pivots, recursing on the
 * smaller side (stack depth O(log n)), insertion sort below 8 elements.
 */
static void
qsort_range(char *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    while (n > 7) {
        char *lo = base, *hi = base + (n - 1) * size, *mid = base + (n / 2) * size;
        size_t i, j, left;

        /* median of three into lo */
        if (cmp(mid, lo) < 0) swap_bytes(mid, lo, size);
        if (cmp(hi, mid) < 0) {
            swap_bytes(hi, mid, size);
            if (cmp(mid, lo) < 0) swap_bytes(mid, lo, size);
        }
        swap_bytes(lo, mid, size);      /* pivot at base[0] */

        i = 1;
        j = n - 1;
        for (;;) {
            while (i <= j && cmp(base + i * size, base) < 0)
                i++;
            while (j >= i && cmp(base + j * size, base) > 0)
                j--;
            if (i >= j)
                break;
            swap_bytes(base + i * size, base + j * size, size);
            i++;
            j--;
        }
        swap_bytes(base, base + j * size, size);   /* pivot to its place j */
        left = j;
        if (left < n - left - 1) {
            qsort_range(base, left, size, cmp);
            base += (left + 1) * size;
            n -= left + 1;
        } else {
            qsort_range(base + (left + 1) * size, n - left - 1, size, cmp);
            n = left;
        }
    }
    /* insertion sort */
    {
        size_t i, k;
        for (i = 1; i < n; i++)
            for (k = i; k > 0 && cmp(base + (k - 1) * size, base + k * size) > 0; k--)
                swap_bytes(base + (k - 1) * size, base + k * size, size);
    }
}

void
qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    if (n > 1 && size > 0)
        qsort_range(base, n, size, cmp);
}

/* mergesort: stable, O(n log n), needs n*size bytes of scratch (ENOMEM if none). */
int
mergesort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    char *a = base, *tmp;
    size_t width;

    if (size == 0) {
        errno = EINVAL;
        return -1;
    }
    if (n < 2)
        return 0;
    if (n > SIZE_MAX / size) {
        errno = ENOMEM;
        return -1;
    }
    tmp = malloc(n * size);
    if (tmp == NULL)
        return -1;
    for (width = 1; width < n; width *= 2) {
        size_t lo;
        for (lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi) {
                if (cmp(a + j * size, a + i * size) < 0)
                    memcpy(tmp + (k++) * size, a + (j++) * size, size);
                else
                    memcpy(tmp + (k++) * size, a + (i++) * size, size);
            }
            while (i < mid)
                memcpy(tmp + (k++) * size, a + (i++) * size, size);
            while (j < hi)
                memcpy(tmp + (k++) * size, a + (j++) * size, size);
        }
        memcpy(a, tmp, n * size);
    }
    free(tmp);
    return 0;
}

int
heapsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    char *a = base;
    size_t start, end, root, child;

    if (size == 0) {
        errno = EINVAL;
        return -1;
    }
    if (n < 2)
        return 0;
    for (start = n / 2; start-- > 0;) {
        for (root = start; (child = 2 * root + 1) < n; root = child) {
            if (child + 1 < n && cmp(a + child * size, a + (child + 1) * size) < 0)
                child++;
            if (cmp(a + root * size, a + child * size) >= 0)
                break;
            swap_bytes(a + root * size, a + child * size, size);
        }
    }
    for (end = n - 1; end > 0; end--) {
        swap_bytes(a, a + end * size, size);
        for (root = 0; (child = 2 * root + 1) < end; root = child) {
            if (child + 1 < end && cmp(a + child * size, a + (child + 1) * size) < 0)
                child++;
            if (cmp(a + root * size, a + child * size) >= 0)
                break;
            swap_bytes(a + root * size, a + child * size, size);
        }
    }
    return 0;
}

void *
bsearch(const void *key, const void *base, size_t n, size_t size,
        int (*cmp)(const void *, const void *))
{
    const char *lo = base;

    while (n > 0) {
        const char *mid = lo + (n / 2) * size;
        int c = cmp(key, mid);
        if (c == 0)
            return (void *)(uintptr_t)mid;
        if (c > 0) {
            lo = mid + size;
            n -= n / 2 + 1;
        } else {
            n /= 2;
        }
    }
    return NULL;
}

/* ---- random numbers: a 64-bit LCG (Knuth's MMIX constants), deterministic. */

static uint64_t rand_state = 1;

void srand(unsigned int seed) { rand_state = seed; }
void srandom(unsigned int seed) { rand_state = seed; }

int
rand_r(unsigned int *seed)
{
    uint64_t s = *seed * 6364136223846793005ULL + 1442695040888963407ULL;

    *seed = (unsigned int)(s >> 32);
    return (int)((s >> 33) & RAND_MAX);
}

int
rand(void)
{
    rand_state = rand_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (int)((rand_state >> 33) & RAND_MAX);
}

long
random(void)
{
    return rand();
}

/* arc4random: bytes from the kernel (getrandom, else kern.arandom), else the LCG. */
void
arc4random_buf(void *buf, size_t n)
{
    unsigned char *p = buf;

    while (n > 0) {
        ssize_t got = getrandom(p, n, 0);
        if (got <= 0)
            break;
        p += got;
        n -= (size_t)got;
    }
    while (n-- > 0)
        *p++ = (unsigned char)(rand() >> 7);
}

uint32_t
arc4random(void)
{
    uint32_t v;

    arc4random_buf(&v, sizeof(v));
    return v;
}

uint32_t
arc4random_uniform(uint32_t bound)
{
    uint32_t min, r;

    if (bound < 2)
        return 0;
    min = (0U - bound) % bound;     /* reject the biased low range */
    do {
        r = arc4random();
    } while (r < min);
    return r % bound;
}
