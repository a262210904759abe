/* kw86 libc: basename and dirname (POSIX: they may use a static buffer). */
#include <libgen.h>
#include <limits.h>
#include <string.h>

char *
basename(char *path)
{
    static char buf[PATH_MAX];
    const char *end, *start;
    size_t n;

    if (path == NULL || *path == '\0')
        return strcpy(buf, ".");
    end = path + strlen(path);
    while (end > path + 1 && end[-1] == '/')
        end--;
    if (end == path + 1 && path[0] == '/')
        return strcpy(buf, "/");
    start = end;
    while (start > path && start[-1] != '/')
        start--;
    n = (size_t)(end - start);
    if (n >= sizeof(buf))
        n = sizeof(buf) - 1;
    memcpy(buf, start, n);
    buf[n] = '\0';
    return buf;
}

char *
dirname(char *path)
{
    static char buf[PATH_MAX];
    const char *end;
    size_t n;

    if (path == NULL || *path == '\0')
        return strcpy(buf, ".");
    end = path + strlen(path);
    while (end > path + 1 && end[-1] == '/')   /* trailing slashes */
        end--;
    while (end > path && end[-1] != '/')       /* the last component */
        end--;
    if (end == path)
        return strcpy(buf, path[0] == '/' ? "/" : ".");
    while (end > path + 1 && end[-1] == '/')   /* slashes before it */
        end--;
    n = (size_t)(end - path);
    if (n >= sizeof(buf))
        n = sizeof(buf) - 1;
    memcpy(buf, path, n);
    buf[n] = '\0';
    return buf;
}
