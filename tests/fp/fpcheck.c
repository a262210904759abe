/*
 * fpcheck: the libc's floating point, driven by lines on stdin, one result line each.
 * The same source is built twice: for the guest against the kw86 libc (the functions
 * under test are the libc's own), and for the host with -DFP_HOST, where the kw86
 * libc's sources are compiled with renamed symbols (kw86_strtod, kw86_sqrt ...,
 * __kw86_vformat) and linked next to the host's libc; there the argument "ref" selects
 * the host's printf/strtod/libm instead, so tests/test_libc_float.py compares the two.
 *
 *   fpcheck printf [ref]     FMT <tab> HEXBITS      ->  RET|TEXT
 *   fpcheck strtod [ref]     STRING                 ->  HEXBITS|CONSUMED|E (E: R = ERANGE, 0)
 *   fpcheck roundtrip        HEXBITS                ->  HEXBITS of strtod(printf("%.17g"))
 *                                                       and of atof of the same string
 *   fpcheck libm [ref]       FUNC HEX [HEX]         ->  HEXBITS
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef FP_HOST
#include <math.h>
/* the kw86 libc, compiled for the host with renamed symbols */
typedef int (*kw_out_fn)(void *, const char *, unsigned int);
int __kw86_vformat(kw_out_fn, void *, const char *, va_list);
int kw86_errno;
int *kw86___errno(void) { return &kw86_errno; }   /* <errno.h>: errno is (*__errno()) */
double kw86_strtod(const char *, char **);
double kw86_atof(const char *);
#define KDECL1(f) double kw86_##f(double);
#define KDECL2(f) double kw86_##f(double, double);
KDECL1(sqrt) KDECL1(floor) KDECL1(ceil) KDECL1(fabs) KDECL1(exp) KDECL1(log)
KDECL1(sin) KDECL1(cos) KDECL1(trunc) KDECL1(round) KDECL1(tan) KDECL1(atan) KDECL1(log10)
KDECL2(fmod) KDECL2(pow) KDECL2(atan2)
#define K(f) kw86_##f

struct buf { char *p; unsigned int size, n; };

static int
buf_out(void *arg, const char *s, unsigned int n)
{
    struct buf *b = arg;
    unsigned int i;
    for (i = 0; i < n; i++, b->n++)
        if (b->n + 1 < b->size)
            b->p[b->n] = s[i];
    return 0;
}

static int
kw_snprintf(char *p, size_t size, const char *fmt, ...)
{
    struct buf b = { p, (unsigned int)size, 0 };
    va_list ap;
    int r;
    va_start(ap, fmt);
    r = __kw86_vformat(buf_out, &b, fmt, ap);
    va_end(ap);
    if (size > 0)
        p[b.n < size ? b.n : size - 1] = '\0';
    return r;
}
#define KERRNO kw86_errno
#else
#include <math.h>
#define K(f) f
#define kw_snprintf snprintf
#define KERRNO errno
#endif

static char out[16384];

static uint64_t
to_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, 8);
    return u;
}

static double
from_bits(uint64_t u)
{
    double d;
    memcpy(&d, &u, 8);
    return d;
}

static void
chomp(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
}

static int
do_printf(int ref)
{
    static char line[4096];
    while (fgets(line, sizeof(line), stdin)) {
        char *tab;
        double d;
        int r;
        chomp(line);
        tab = strchr(line, '\t');
        if (!tab)
            continue;
        *tab = '\0';
        d = from_bits(strtoull(tab + 1, NULL, 16));
#ifdef FP_HOST
        if (ref)
            r = snprintf(out, sizeof(out), line, d);
        else
#endif
            r = kw_snprintf(out, sizeof(out), line, d);
        printf("%d|%s\n", r, out);
    }
    (void)ref;
    return 0;
}

static int
do_strtod(int ref)
{
    static char line[4096];
    while (fgets(line, sizeof(line), stdin)) {
        char *end;
        double d;
        int e;
        chomp(line);
#ifdef FP_HOST
        if (ref) {
            errno = 0;
            d = strtod(line, &end);
            e = errno;
        } else
#endif
        {
            KERRNO = 0;
            d = K(strtod)(line, &end);
            e = KERRNO;
        }
        printf("%016llx|%d|%c\n", (unsigned long long)to_bits(d), (int)(end - line),
               e == ERANGE ? 'R' : e == 0 ? '0' : 'X');
    }
    (void)ref;
    return 0;
}

static int
do_roundtrip(void)
{
    static char line[256];
    while (fgets(line, sizeof(line), stdin)) {
        char txt[64];
        double d = from_bits(strtoull(line, NULL, 16));
        kw_snprintf(txt, sizeof(txt), "%.17g", d);
        printf("%016llx %016llx\n", (unsigned long long)to_bits(K(strtod)(txt, NULL)),
               (unsigned long long)to_bits(K(atof)(txt)));
    }
    return 0;
}

static int
do_libm(int ref)
{
    static char line[256];
    while (fgets(line, sizeof(line), stdin)) {
        char name[16], *p = line;
        double x, y, r;
        int n = 0;
        while (*p && *p != ' ' && n < 15)
            name[n++] = *p++;
        name[n] = '\0';
        x = from_bits(strtoull(p, &p, 16));
        y = from_bits(strtoull(p, &p, 16));
#define F1(f) if (!strcmp(name, #f)) r = ref ? f(x) : K(f)(x); else
#define F2(f) if (!strcmp(name, #f)) r = ref ? f(x, y) : K(f)(x, y); else
        F1(sqrt) F1(floor) F1(ceil) F1(fabs) F1(exp) F1(log) F1(sin) F1(cos)
        F1(trunc) F1(round) F1(tan) F1(atan) F1(log10)
        F2(fmod) F2(pow) F2(atan2)
        { printf("unknown %s\n", name); continue; }
        printf("%016llx\n", (unsigned long long)to_bits(r));
    }
    return 0;
}

int
main(int argc, char **argv)
{
    int ref = argc > 2 && !strcmp(argv[2], "ref");
#ifndef FP_HOST
    if (ref) {
        fprintf(stderr, "fpcheck: no reference libc in the guest\n");
        return 2;
    }
#endif
    if (argc < 2) {
        fprintf(stderr, "usage: fpcheck printf|strtod|roundtrip|libm [ref]\n");
        return 2;
    }
    if (!strcmp(argv[1], "printf"))
        return do_printf(ref);
    if (!strcmp(argv[1], "strtod"))
        return do_strtod(ref);
    if (!strcmp(argv[1], "roundtrip"))
        return do_roundtrip();
    if (!strcmp(argv[1], "libm"))
        return do_libm(ref);
    fprintf(stderr, "fpcheck: unknown mode %s\n", argv[1]);
    return 2;
}
