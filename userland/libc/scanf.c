/* The scanf family (C99 7.19.6.2 / POSIX fscanf): scanf, fscanf, sscanf,
 * vscanf, vfscanf, vsscanf.
 *
 * Directives: white space (skips any amount, none included), ordinary
 * characters (must match), and conversions %[*][width][hh|h|l|ll|j|z|t|q|L]
 * with d i o u x X (integers as strtoll/strtoull read them, %i choosing the
 * base from the prefix), a e f g A E F G (decimal and hexadecimal floating,
 * inf, infinity, nan, nan(...), as strtod reads them; l: double, L: long
 * double), s, c, [set] (with ^ and a leading ]), p (hexadecimal, as printf
 * writes it), n, and %%.  What a number conversion read beyond the longest
 * prefix that is a number goes back to the input (ungetc), as NetBSD's
 * vfscanf does: "1e+" converts as 1 and leaves "e+", "0xg" as 0 leaving
 * "xg", a lone sign is a matching failure and stays in the input.
 * Result: the number of assignments, or EOF when input ends (or fails)
 * before the first conversion.  Wide characters (%lc, %ls, %l[) are not
 * supported: the call stops there (a matching failure), as it must not
 * store narrow bytes into wchar_t arrays. */
#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct in {
    FILE *fp;               /* or NULL: a string */
    const unsigned char *s;
    size_t pos;             /* characters consumed (for %n) */
    int eof;                /* input failure seen */
};

static int
in_get(struct in *in)
{
    int c;

    if (in->fp) {
        c = fgetc(in->fp);
    } else {
        c = *in->s ? *in->s++ : EOF;
    }
    if (c == EOF)
        in->eof = 1;
    else
        in->pos++;
    return c;
}

static void
in_unget(struct in *in, int c)
{
    if (c == EOF)
        return;
    in->pos--;
    if (in->fp)
        ungetc(c, in->fp);
    else
        in->s--;
}

enum { LEN_NONE, LEN_HH, LEN_H, LEN_L, LEN_LL, LEN_J, LEN_Z, LEN_T, LEN_LD };

/* Number scanning: characters go into buf while they can still be part of
 * a number (at most `width`); `commit` marks the longest prefix that is a
 * number.  At the end the look-ahead character and everything after the
 * commit point are pushed back, as NetBSD's vfscanf does ("1e+" reads as 1
 * and leaves "e+"; a lone sign is no number and stays in the input).
 * Returns the committed length (0: no number); buf holds it. */
struct num {
    struct in *in;
    char *buf;
    size_t bufsz, width, n, commit;
    int c;
};

static void
num_get(struct num *m)
{
    m->c = m->n < m->width ? in_get(m->in) : EOF;
}

static int
num_accept(struct num *m)
{
    if (m->n + 1 >= m->bufsz)
        return 0;                       /* too long for any number we keep */
    m->buf[m->n++] = (char)m->c;
    num_get(m);
    return 1;
}

static size_t
num_done(struct num *m)
{
    in_unget(m->in, m->c);
    while (m->n > m->commit)
        in_unget(m->in, (unsigned char)m->buf[--m->n]);
    m->buf[m->commit] = '\0';
    return m->commit;
}

static int
digit_value(int c)
{
    return isdigit(c) ? c - '0' : isalpha(c) ? tolower(c) - 'a' + 10 : 99;
}

static size_t
scan_int(struct in *in, char *buf, size_t bufsz, size_t width, int *base)
{
    struct num m = { in, buf, bufsz, width, 0, 0, EOF };

    num_get(&m);
    if (m.c == '+' || m.c == '-')
        num_accept(&m);
    if (m.c == '0' && (*base == 0 || *base == 16)) {
        num_accept(&m);
        m.commit = m.n;
        if (m.c == 'x' || m.c == 'X') {
            *base = 16;
            num_accept(&m);             /* "0x" with no digit after it is the 0 */
        } else if (*base == 0) {
            *base = 8;
        }
    }
    if (*base == 0)
        *base = 10;
    while (m.c != EOF && digit_value(m.c) < *base) {
        if (!num_accept(&m))
            return num_done(&m), 0;
        m.commit = m.n;
    }
    return num_done(&m);
}

static int
num_word(struct num *m, const char *w)
{
    for (; *w; w++) {
        if (m->c == EOF || tolower(m->c) != *w || !num_accept(m))
            return 0;
    }
    return 1;
}

static size_t
scan_float(struct in *in, char *buf, size_t bufsz, size_t width)
{
    struct num m = { in, buf, bufsz, width, 0, 0, EOF };
    int hex = 0, digits = 0;

    num_get(&m);
    if (m.c == '+' || m.c == '-')
        num_accept(&m);
    if (m.c == 'i' || m.c == 'I') {
        if (num_word(&m, "inf")) {
            m.commit = m.n;
            if (num_word(&m, "inity"))
                m.commit = m.n;
        }
        return num_done(&m);
    }
    if (m.c == 'n' || m.c == 'N') {
        if (num_word(&m, "nan")) {
            m.commit = m.n;
            if (m.c == '(' && num_accept(&m)) {
                while (m.c != EOF && (isalnum(m.c) || m.c == '_') && num_accept(&m))
                    ;
                if (m.c == ')' && num_accept(&m))
                    m.commit = m.n;
            }
        }
        return num_done(&m);
    }
    if (m.c == '0') {
        num_accept(&m);
        m.commit = m.n;
        digits = 1;
        if (m.c == 'x' || m.c == 'X') {
            hex = 1;
            digits = 0;
            num_accept(&m);
        }
    }
    while (m.c != EOF && (hex ? isxdigit(m.c) : isdigit(m.c)) && num_accept(&m)) {
        digits = 1;
        m.commit = m.n;
    }
    if (m.c == '.' && num_accept(&m)) {
        if (digits)
            m.commit = m.n;
        while (m.c != EOF && (hex ? isxdigit(m.c) : isdigit(m.c)) && num_accept(&m)) {
            digits = 1;
            m.commit = m.n;
        }
    }
    if (digits && m.c != EOF && (hex ? (m.c == 'p' || m.c == 'P') : (m.c == 'e' || m.c == 'E')) &&
        num_accept(&m)) {
        if (m.c == '+' || m.c == '-')
            num_accept(&m);
        while (m.c != EOF && isdigit(m.c) && num_accept(&m))
            m.commit = m.n;
    }
    return num_done(&m);
}

static int
vscan(struct in *in, const char *fmt, va_list ap)
{
    const unsigned char *f = (const unsigned char *)fmt;
    int assigned = 0, converted = 0;
    char buf[512];

    while (*f) {
        int c, suppress = 0, len = LEN_NONE, conv;
        size_t width = 0;

        if (isspace(*f)) {
            while (isspace(*f))
                f++;
            while ((c = in_get(in)) != EOF && isspace(c))
                ;
            in_unget(in, c);
            continue;
        }
        if (*f != '%' || f[1] == '%') {
            if (*f == '%') {
                f++;
                while ((c = in_get(in)) != EOF && isspace(c))
                    ;
            } else {
                c = in_get(in);
            }
            if (c == EOF)
                goto input_failure;
            if (c != *f) {
                in_unget(in, c);
                goto done;
            }
            f++;
            continue;
        }
        f++;
        if (*f == '*') {
            suppress = 1;
            f++;
        }
        while (isdigit(*f)) {
            if (width < 100000000)
                width = width * 10 + (*f - '0');
            f++;
        }
        switch (*f) {
        case 'h':
            len = LEN_H;
            if (*++f == 'h') {
                len = LEN_HH;
                f++;
            }
            break;
        case 'l':
            len = LEN_L;
            if (*++f == 'l') {
                len = LEN_LL;
                f++;
            }
            break;
        case 'q': len = LEN_LL; f++; break;
        case 'j': len = LEN_J; f++; break;
        case 'z': len = LEN_Z; f++; break;
        case 't': len = LEN_T; f++; break;
        case 'L': len = LEN_LD; f++; break;
        }
        conv = *f++;
        if (conv == '\0')
            goto done;

        if (conv == 'n') {
            if (!suppress) {
                size_t v = in->pos;

                switch (len) {
                case LEN_HH: *va_arg(ap, signed char *) = (signed char)v; break;
                case LEN_H: *va_arg(ap, short *) = (short)v; break;
                case LEN_L: *va_arg(ap, long *) = (long)v; break;
                case LEN_LL: case LEN_J: *va_arg(ap, long long *) = (long long)v; break;
                case LEN_Z: *va_arg(ap, size_t *) = v; break;
                case LEN_T: *va_arg(ap, ptrdiff_t *) = (ptrdiff_t)v; break;
                default: *va_arg(ap, int *) = (int)v;
                }
            }
            continue;
        }
        if (len == LEN_L && (conv == 'c' || conv == 's' || conv == '['))
            goto done;                  /* wide characters: not supported */

        if (conv != 'c' && conv != '[') {
            while ((c = in_get(in)) != EOF && isspace(c))
                ;
            if (c == EOF)
                goto input_failure;
            in_unget(in, c);
        }

        switch (conv) {
        case 'c': {
            char *out = suppress ? NULL : va_arg(ap, char *);
            size_t i;

            if (width == 0)
                width = 1;
            for (i = 0; i < width; i++) {
                c = in_get(in);
                if (c == EOF) {
                    if (i == 0)
                        goto input_failure;
                    break;          /* a short %Nc stores what there was (NetBSD) */
                }
                if (out)
                    out[i] = (char)c;
            }
            if (!suppress)
                assigned++;
            converted++;
            break;
        }
        case 's': {
            char *out = suppress ? NULL : va_arg(ap, char *);
            size_t i = 0;

            if (width == 0)
                width = SIZE_MAX;
            while (i < width && (c = in_get(in)) != EOF) {
                if (isspace(c)) {
                    in_unget(in, c);
                    break;
                }
                if (out)
                    out[i] = (char)c;
                i++;
            }
            if (out)
                out[i] = '\0';
            if (!suppress)
                assigned++;
            converted++;
            break;
        }
        case '[': {
            unsigned char set[256];
            int negate = 0;
            char *out;
            size_t i = 0;

            memset(set, 0, sizeof(set));
            if (*f == '^') {
                negate = 1;
                f++;
            }
            if (*f == ']') {
                set[']'] = 1;
                f++;
            }
            while (*f && *f != ']') {
                if (f[1] == '-' && f[2] && f[2] != ']' && f[2] >= f[0]) {
                    int ch;

                    for (ch = f[0]; ch <= f[2]; ch++)
                        set[ch] = 1;
                    f += 3;
                } else {
                    set[*f++] = 1;
                }
            }
            if (*f != ']')
                goto done;              /* an unterminated set */
            f++;
            out = suppress ? NULL : va_arg(ap, char *);
            if (width == 0)
                width = SIZE_MAX;
            while (i < width && (c = in_get(in)) != EOF) {
                if (set[c] == negate) {
                    in_unget(in, c);
                    break;
                }
                if (out)
                    out[i] = (char)c;
                i++;
            }
            if (i == 0) {
                if (in->eof && converted == 0)
                    goto input_failure;
                goto done;
            }
            if (out)
                out[i] = '\0';
            if (!suppress)
                assigned++;
            converted++;
            break;
        }
        case 'd': case 'i': case 'o': case 'u': case 'x': case 'X': case 'p': {
            int base = conv == 'd' || conv == 'u' ? 10 : conv == 'i' ? 0 :
                conv == 'o' ? 8 : 16;
            size_t n = scan_int(in, buf, sizeof(buf), width ? width : SIZE_MAX, &base);
            unsigned long long u;
            long long s;

            if (n == 0)
                goto done;
            if (conv == 'd' || conv == 'i') {
                s = strtoll(buf, NULL, base);
                u = (unsigned long long)s;
            } else {
                u = strtoull(buf, NULL, base);
                s = (long long)u;
            }
            if (!suppress) {
                if (conv == 'p') {
                    *va_arg(ap, void **) = (void *)(uintptr_t)u;
                } else {
                    switch (len) {
                    case LEN_HH: *va_arg(ap, char *) = (char)s; break;
                    case LEN_H: *va_arg(ap, short *) = (short)s; break;
                    case LEN_L: *va_arg(ap, long *) = (long)s; break;
                    case LEN_LL: case LEN_J: *va_arg(ap, long long *) = s; break;
                    case LEN_Z: *va_arg(ap, size_t *) = (size_t)u; break;
                    case LEN_T: *va_arg(ap, ptrdiff_t *) = (ptrdiff_t)s; break;
                    default: *va_arg(ap, int *) = (int)s;
                    }
                }
                assigned++;
            }
            converted++;
            break;
        }
        case 'a': case 'e': case 'f': case 'g':
        case 'A': case 'E': case 'F': case 'G': {
            size_t n = scan_float(in, buf, sizeof(buf), width ? width : SIZE_MAX);
            double d;

            if (n == 0)
                goto done;
            d = strtod(buf, NULL);
            if (!suppress) {
                if (len == LEN_L)
                    *va_arg(ap, double *) = d;
                else if (len == LEN_LD)
                    *va_arg(ap, long double *) = d;
                else
                    *va_arg(ap, float *) = (float)d;
                assigned++;
            }
            converted++;
            break;
        }
        default:
            goto done;                  /* an unknown conversion */
        }
    }
done:
    return assigned;
input_failure:
    return converted == 0 && assigned == 0 ? EOF : assigned;
}

int
vfscanf(FILE *fp, const char *fmt, va_list ap)
{
    struct in in = { fp, NULL, 0, 0 };

    return vscan(&in, fmt, ap);
}

int
vscanf(const char *fmt, va_list ap)
{
    return vfscanf(stdin, fmt, ap);
}

int
vsscanf(const char *str, const char *fmt, va_list ap)
{
    struct in in = { NULL, (const unsigned char *)str, 0, 0 };

    return vscan(&in, fmt, ap);
}

int
fscanf(FILE *fp, const char *fmt, ...)
{
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = vfscanf(fp, fmt, ap);
    va_end(ap);
    return r;
}

int
scanf(const char *fmt, ...)
{
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = vfscanf(stdin, fmt, ap);
    va_end(ap);
    return r;
}

int
sscanf(const char *str, const char *fmt, ...)
{
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = vsscanf(str, fmt, ap);
    va_end(ap);
    return r;
}
