/* kw86 libc: locale (C only), assert, realpath, temporary files, strmode, readv. */
#include <sys/stat.h>
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libc_private.h"

/* ---- locale: only "C" (alias "POSIX") exists */

char *
setlocale(int category, const char *locale)
{
    if (category < LC_ALL || category > LC_MESSAGES)
        return NULL;
    if (locale == NULL || locale[0] == '\0' || strcmp(locale, "C") == 0 ||
        strcmp(locale, "POSIX") == 0)
        return (char *)(unsigned long)"C";
    return NULL;
}

struct lconv *
localeconv(void)
{
    static struct lconv c = {
        ".", "", "", "", "", "", "", "", "", "",
        127, 127, 127, 127, 127, 127, 127, 127,
    };
    return &c;
}

/* ---- assert */

void
__assert13(const char *file, int line, const char *func, const char *expr)
{
    fprintf(stderr, "assertion \"%s\" failed: file \"%s\", line %d, function \"%s\"\n",
            expr, file, line, func);
    abort();
}

/* ---- realpath: resolve ".", ".." and symbolic links, component by component */

char *
realpath(const char *restrict path, char *restrict resolved)
{
    char out[PATH_MAX], rest[PATH_MAX], link[PATH_MAX];
    size_t olen;
    int links = 0;

    if (path == NULL) {
        errno = EINVAL;
        return NULL;
    }
    if (path[0] == '\0') {
        errno = ENOENT;
        return NULL;
    }
    if (strlcpy(rest, path, sizeof(rest)) >= sizeof(rest)) {
        errno = ENAMETOOLONG;
        return NULL;
    }
    if (rest[0] == '/') {
        out[0] = '/';
        out[1] = '\0';
    } else if (getcwd(out, sizeof(out)) == NULL) {
        return NULL;
    }
    olen = strlen(out);

    while (rest[0] != '\0') {
        char comp[NAME_MAX + 1];
        char *p = rest, *slash;
        size_t clen;
        struct stat st;

        while (*p == '/')
            p++;
        slash = strchr(p, '/');
        clen = slash != NULL ? (size_t)(slash - p) : strlen(p);
        if (clen > NAME_MAX) {
            errno = ENAMETOOLONG;
            return NULL;
        }
        memcpy(comp, p, clen);
        comp[clen] = '\0';
        memmove(rest, p + clen, strlen(p + clen) + 1);
        if (clen == 0 || strcmp(comp, ".") == 0)
            continue;
        if (strcmp(comp, "..") == 0) {
            while (olen > 1 && out[olen - 1] != '/')
                olen--;
            if (olen > 1)
                olen--;
            out[olen] = '\0';
            continue;
        }
        if (olen + (olen > 1) + clen + 1 > sizeof(out)) {
            errno = ENAMETOOLONG;
            return NULL;
        }
        if (olen > 1)
            out[olen++] = '/';
        memcpy(out + olen, comp, clen + 1);
        olen += clen;
        if (lstat(out, &st) < 0)
            return NULL;
        if (S_ISLNK(st.st_mode)) {
            ssize_t n;
            size_t rlen = strlen(rest);
            if (++links > 32) {
                errno = ELOOP;
                return NULL;
            }
            n = readlink(out, link, sizeof(link) - 1);
            if (n < 0)
                return NULL;
            link[n] = '\0';
            if ((size_t)n + rlen + 2 > sizeof(rest)) {
                errno = ENAMETOOLONG;
                return NULL;
            }
            /* rest = link + "/" + rest; restart from / for absolute links */
            memmove(rest + n + 1, rest, rlen + 1);
            memcpy(rest, link, (size_t)n);
            rest[n] = '/';
            if (link[0] == '/') {
                olen = 1;
                out[1] = '\0';
            } else {
                while (olen > 1 && out[olen - 1] != '/')
                    olen--;
                if (olen > 1)
                    olen--;
                out[olen] = '\0';
            }
        } else if (!S_ISDIR(st.st_mode) && rest[strspn(rest, "/")] != '\0') {
            errno = ENOTDIR;
            return NULL;
        }
    }
    if (resolved == NULL) {
        resolved = strdup(out);
        return resolved;
    }
    memcpy(resolved, out, olen + 1);
    return resolved;
}

/* ---- temporary names: the trailing X's become letters and digits */

static int
fill_template(char *tmpl, size_t *nx)
{
    static const char chars[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    size_t len = strlen(tmpl), i;

    for (*nx = 0; *nx < len && tmpl[len - 1 - *nx] == 'X'; (*nx)++)
        continue;
    if (*nx < 6) {
        errno = EINVAL;
        return -1;
    }
    for (i = len - *nx; i < len; i++)
        tmpl[i] = chars[arc4random_uniform(sizeof(chars) - 1)];
    return 0;
}

int
mkstemp(char *tmpl)
{
    char save[PATH_MAX];
    size_t nx;
    int tries, fd;

    if (strlcpy(save, tmpl, sizeof(save)) >= sizeof(save)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (tries = 0; tries < 100; tries++) {
        strcpy(tmpl, save);
        if (fill_template(tmpl, &nx) < 0)
            return -1;
        fd = open(tmpl, O_RDWR | O_CREAT | O_EXCL, 0600);
        if (fd >= 0 || errno != EEXIST)
            return fd;
    }
    errno = EEXIST;
    return -1;
}

char *
mkdtemp(char *tmpl)
{
    char save[PATH_MAX];
    size_t nx;
    int tries;

    if (strlcpy(save, tmpl, sizeof(save)) >= sizeof(save)) {
        errno = ENAMETOOLONG;
        return NULL;
    }
    for (tries = 0; tries < 100; tries++) {
        strcpy(tmpl, save);
        if (fill_template(tmpl, &nx) < 0)
            return NULL;
        if (mkdir(tmpl, 0700) == 0)
            return tmpl;
        if (errno != EEXIST)
            return NULL;
    }
    errno = EEXIST;
    return NULL;
}

char *
mktemp(char *tmpl)
{
    size_t nx;
    struct stat st;
    int tries;
    char save[PATH_MAX];

    if (strlcpy(save, tmpl, sizeof(save)) >= sizeof(save)) {
        errno = ENAMETOOLONG;
        return NULL;
    }
    for (tries = 0; tries < 100; tries++) {
        strcpy(tmpl, save);
        if (fill_template(tmpl, &nx) < 0)
            return NULL;
        if (lstat(tmpl, &st) < 0 && errno == ENOENT)
            return tmpl;
    }
    errno = EEXIST;
    return NULL;
}

/* ---- strmode (BSD): "drwxr-xr-x " for ls -l; 11 characters and a NUL */

void
strmode(mode_t mode, char *p)
{
    switch (mode & S_IFMT) {
    case S_IFDIR:  *p++ = 'd'; break;
    case S_IFCHR:  *p++ = 'c'; break;
    case S_IFBLK:  *p++ = 'b'; break;
    case S_IFREG:  *p++ = '-'; break;
    case S_IFLNK:  *p++ = 'l'; break;
    case S_IFSOCK: *p++ = 's'; break;
    case S_IFIFO:  *p++ = 'p'; break;
    case S_IFWHT:  *p++ = 'w'; break;
    default:       *p++ = '?'; break;
    }
    *p++ = (mode & S_IRUSR) ? 'r' : '-';
    *p++ = (mode & S_IWUSR) ? 'w' : '-';
    switch (mode & (S_IXUSR | S_ISUID)) {
    case 0:                 *p++ = '-'; break;
    case S_IXUSR:           *p++ = 'x'; break;
    case S_ISUID:           *p++ = 'S'; break;
    default:                *p++ = 's'; break;
    }
    *p++ = (mode & S_IRGRP) ? 'r' : '-';
    *p++ = (mode & S_IWGRP) ? 'w' : '-';
    switch (mode & (S_IXGRP | S_ISGID)) {
    case 0:                 *p++ = '-'; break;
    case S_IXGRP:           *p++ = 'x'; break;
    case S_ISGID:           *p++ = 'S'; break;
    default:                *p++ = 's'; break;
    }
    *p++ = (mode & S_IROTH) ? 'r' : '-';
    *p++ = (mode & S_IWOTH) ? 'w' : '-';
    switch (mode & (S_IXOTH | S_ISVTX)) {
    case 0:                 *p++ = '-'; break;
    case S_IXOTH:           *p++ = 'x'; break;
    case S_ISVTX:           *p++ = 'T'; break;
    default:                *p++ = 't'; break;
    }
    *p++ = ' ';
    *p = '\0';
}
