/* kw86 libc: directories over NetBSD 10's __getdents30. */
#include <sys/types.h>
#include <sys/stat.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>

#define DIRBUF 8192     /* enough for at least 15 maximal records per getdents */

struct _kw86_dir {
    int    fd;
    size_t pos;         /* next record in buf */
    size_t len;         /* bytes of records in buf */
    long   index;       /* entries returned since the last rewind (telldir) */
    char   buf[DIRBUF];
};

DIR *
fdopendir(int fd)
{
    DIR *d;
    struct stat st;

    if (fstat(fd, &st) < 0)
        return NULL;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return NULL;
    }
    d = malloc(sizeof(*d));
    if (d == NULL)
        return NULL;
    d->fd = fd;
    d->pos = d->len = 0;
    d->index = 0;
    (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
    return d;
}

DIR *
opendir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d;

    if (fd < 0)
        return NULL;
    d = malloc(sizeof(*d));
    if (d == NULL) {
        int e = errno;
        close(fd);
        errno = e;
        return NULL;
    }
    d->fd = fd;
    d->pos = d->len = 0;
    d->index = 0;
    return d;
}

struct dirent *
readdir(DIR *d)
{
    for (;;) {
        struct dirent *de;

        if (d->pos >= d->len) {
            int n = getdents(d->fd, d->buf, sizeof(d->buf));
            if (n <= 0)
                return NULL;           /* 0: end (errno untouched); <0: errno set */
            d->len = (size_t)n;
            d->pos = 0;
        }
        de = (struct dirent *)(void *)(d->buf + d->pos);
        if (de->d_reclen == 0 || d->pos + de->d_reclen > d->len) {
            errno = EIO;                /* a malformed record: stop, do not loop */
            d->pos = d->len = 0;
            return NULL;
        }
        d->pos += de->d_reclen;
        if (de->d_fileno == 0)          /* a deleted entry */
            continue;
        d->index++;
        return de;
    }
}

int
readdir_r(DIR *restrict d, struct dirent *restrict entry, struct dirent **restrict result)
{
    int e = errno;
    struct dirent *de;

    errno = 0;
    de = readdir(d);
    if (de == NULL) {
        int err = errno;
        errno = e;
        *result = NULL;
        return err;
    }
    memcpy(entry, de, de->d_reclen < sizeof(*entry) ? de->d_reclen : sizeof(*entry));
    *result = entry;
    errno = e;
    return 0;
}

void
rewinddir(DIR *d)
{
    (void)lseek(d->fd, 0, SEEK_SET);
    d->pos = d->len = 0;
    d->index = 0;
}

long
telldir(DIR *d)
{
    return d->index;
}

/* Seek by rewinding and reading forward: positions are entry counts. */
void
seekdir(DIR *d, long loc)
{
    rewinddir(d);
    while (d->index < loc && readdir(d) != NULL)
        continue;
}

int
dirfd(DIR *d)
{
    return d->fd;
}

int
closedir(DIR *d)
{
    int fd = d->fd;

    free(d);
    return close(fd);
}

int
alphasort(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

int
scandir(const char *path, struct dirent ***out,
        int (*select)(const struct dirent *),
        int (*compar)(const struct dirent **, const struct dirent **))
{
    DIR *d = opendir(path);
    struct dirent *de, **list = NULL;
    size_t n = 0, cap = 0;

    if (d == NULL)
        return -1;
    while ((de = readdir(d)) != NULL) {
        struct dirent *copy;
        if (select != NULL && !select(de))
            continue;
        if (n == cap) {
            struct dirent **nl;
            cap = cap ? cap * 2 : 32;
            nl = realloc(list, cap * sizeof(*nl));
            if (nl == NULL)
                goto fail;
            list = nl;
        }
        copy = malloc(de->d_reclen);
        if (copy == NULL)
            goto fail;
        memcpy(copy, de, de->d_reclen);
        list[n++] = copy;
    }
    closedir(d);
    if (compar != NULL && n > 1)
        qsort(list, n, sizeof(*list), (int (*)(const void *, const void *))compar);
    *out = list;
    return (int)n;
fail:
    while (n > 0)
        free(list[--n]);
    free(list);
    closedir(d);
    errno = ENOMEM;
    return -1;
}
