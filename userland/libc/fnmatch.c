/* kw86 libc: fnmatch (POSIX shell patterns: * ? [set] [!set] [^set] and \ escapes). */
#include <fnmatch.h>
#include <ctype.h>
#include <string.h>

static int
fold(int c, int flags)
{
    return (flags & FNM_CASEFOLD) ? tolower(c) : c;
}

/* Match one bracket expression at *pp against c; advances *pp past it.
 * Returns 1 match, 0 no match, -1 malformed (then '[' is an ordinary char). */
static int
bracket(const char **pp, int c, int flags)
{
    const char *p = *pp;
    int negate = 0, matched = 0;

    if (*p == '!' || *p == '^') {
        negate = 1;
        p++;
    }
    if (*p == ']') {                      /* ']' first is literal */
        matched |= c == ']';
        p++;
    }
    while (*p != ']') {
        int lo, hi;
        if (*p == '\0')
            return -1;
        if (*p == '\\' && !(flags & FNM_NOESCAPE) && p[1] != '\0')
            p++;
        lo = (unsigned char)*p++;
        hi = lo;
        if (*p == '-' && p[1] != ']' && p[1] != '\0') {
            p++;
            if (*p == '\\' && !(flags & FNM_NOESCAPE) && p[1] != '\0')
                p++;
            hi = (unsigned char)*p++;
        }
        if ((flags & FNM_PATHNAME) && (lo == '/' || hi == '/'))
            continue;
        if (fold(lo, flags) <= fold(c, flags) && fold(c, flags) <= fold(hi, flags))
            matched = 1;
        else if (lo <= c && c <= hi)
            matched = 1;
    }
    *pp = p + 1;
    return matched != negate;
}

static int
match(const char *p, const char *s, const char *start, int flags)
{
    for (;;) {
        int c = (unsigned char)*s;
        switch (*p) {
        case '\0':
            if (c == '\0')
                return 0;
            if ((flags & FNM_LEADING_DIR) && c == '/')
                return 0;
            return FNM_NOMATCH;
        case '?':
            if (c == '\0' || ((flags & FNM_PATHNAME) && c == '/'))
                return FNM_NOMATCH;
            if ((flags & FNM_PERIOD) && c == '.' &&
                (s == start || ((flags & FNM_PATHNAME) && s[-1] == '/')))
                return FNM_NOMATCH;
            p++;
            s++;
            break;
        case '*':
            while (*p == '*')
                p++;
            if ((flags & FNM_PERIOD) && c == '.' &&
                (s == start || ((flags & FNM_PATHNAME) && s[-1] == '/')))
                return FNM_NOMATCH;
            if (*p == '\0') {
                if (flags & FNM_PATHNAME)
                    return ((flags & FNM_LEADING_DIR) || strchr(s, '/') == NULL)
                           ? 0 : FNM_NOMATCH;
                return 0;
            }
            for (;; s++) {
                if (match(p, s, start, flags & ~FNM_PERIOD) == 0)
                    return 0;
                if (*s == '\0' || ((flags & FNM_PATHNAME) && *s == '/'))
                    return FNM_NOMATCH;
            }
        case '[': {
            const char *q = p + 1;
            int r;
            if (c == '\0' || ((flags & FNM_PATHNAME) && c == '/'))
                return FNM_NOMATCH;
            if ((flags & FNM_PERIOD) && c == '.' &&
                (s == start || ((flags & FNM_PATHNAME) && s[-1] == '/')))
                return FNM_NOMATCH;
            r = bracket(&q, c, flags);
            if (r < 0) {                  /* not a bracket: literal '[' */
                if (c != '[')
                    return FNM_NOMATCH;
                p++;
                s++;
                break;
            }
            if (r == 0)
                return FNM_NOMATCH;
            p = q;
            s++;
            break;
        }
        case '\\':
            if (!(flags & FNM_NOESCAPE) && p[1] != '\0')
                p++;
            /* FALLTHROUGH */
        default:
            if (fold((unsigned char)*p, flags) != fold(c, flags))
                return FNM_NOMATCH;
            p++;
            s++;
            break;
        }
    }
}

int
fnmatch(const char *pattern, const char *string, int flags)
{
    return match(pattern, string, string, flags);
}
