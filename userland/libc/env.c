/* kw86 libc: the environment (getenv, setenv, unsetenv, putenv). */
#include <stdlib.h>
#include <string.h>
#include <errno.h>

/* environ points at the kernel's array until the first change; then at our copy. */
static char **owned;        /* our malloc'd array, or NULL */

static size_t
name_len(const char *s)
{
    return strcspn(s, "=");
}

static char **
find(const char *name, size_t len)
{
    char **e;

    if (environ == NULL)
        return NULL;
    for (e = environ; *e != NULL; e++)
        if (strncmp(*e, name, len) == 0 && (*e)[len] == '=')
            return e;
    return NULL;
}

char *
getenv(const char *name)
{
    size_t len = name_len(name);
    char **e;

    if (name[len] != '\0')
        return NULL;
    e = find(name, len);
    return e != NULL ? *e + len + 1 : NULL;
}

/* Add (or replace) an entry; entry is kept, not copied. */
static int
put(char *entry, size_t len)
{
    char **e = find(entry, len), **n;
    size_t count = 0;

    if (e != NULL) {
        *e = entry;
        return 0;
    }
    if (environ != NULL)
        while (environ[count] != NULL)
            count++;
    n = malloc((count + 2) * sizeof(char *));
    if (n == NULL)
        return -1;
    if (count > 0)
        memcpy(n, environ, count * sizeof(char *));
    n[count] = entry;
    n[count + 1] = NULL;
    free(owned);
    owned = environ = n;
    return 0;
}

int
setenv(const char *name, const char *value, int overwrite)
{
    size_t len = name_len(name), vlen;
    char *entry;

    if (len == 0 || name[len] != '\0') {
        errno = EINVAL;
        return -1;
    }
    if (!overwrite && find(name, len) != NULL)
        return 0;
    vlen = strlen(value);
    entry = malloc(len + vlen + 2);
    if (entry == NULL)
        return -1;
    memcpy(entry, name, len);
    entry[len] = '=';
    memcpy(entry + len + 1, value, vlen + 1);
    /* The old string may belong to the kernel's area or to the caller: leak it. */
    return put(entry, len);
}

int
putenv(char *string)
{
    size_t len = name_len(string);

    if (len == 0 || string[len] != '=') {
        errno = EINVAL;
        return -1;
    }
    return put(string, len);
}

int
unsetenv(const char *name)
{
    size_t len = name_len(name);
    char **e;

    if (len == 0 || name[len] != '\0') {
        errno = EINVAL;
        return -1;
    }
    while ((e = find(name, len)) != NULL)
        do {
            e[0] = e[1];
        } while (*e++ != NULL);
    return 0;
}
