/* Message catalogues as NetBSD's libc has them (catopen(3), catgets(3),
 * catclose(3)), reading NetBSD's catalogue format (<nl_types.h> under
 * _NLS_PRIVATE; /usr/bin/gencat writes it).
 *
 * catopen(name, oflag): a name with a '/' is the catalogue's path; otherwise
 * each ':'-separated template of NLSPATH (ignored in a set-id program;
 * default "/usr/share/nls/%L/%N.cat:/usr/share/nls/%N/%L") is tried, %N being
 * the name, %L the language (the LC_MESSAGES locale's name with
 * NL_CAT_LOCALE, else $LANG; "C" when unset or containing a '/'), %l, %t
 * and %c nothing, %% a '%'.  The file is mapped read-only; a NULL or empty
 * name, a file that cannot be opened or mapped, or one without the
 * catalogue magic gives (nl_catd)-1 (errno from open/mmap; EFTYPE for a
 * file that is not a catalogue).
 * catgets(catd, set, msg, s): the text, or s with errno ENOMSG when the
 * catalogue has no such message (EBADF for (nl_catd)-1).  Unlike NetBSD's,
 * every header is checked against the file's size, so a damaged catalogue
 * answers "not found" instead of reading past its mapping.
 * catclose: unmaps; EBADF for NULL or (nl_catd)-1. */
#define _NLS_PRIVATE
#include <nl_types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#define NLS_DEFAULT_PATH "/usr/share/nls/%L/%N.cat:/usr/share/nls/%N/%L"
#define NLS_DEFAULT_LANG "C"
#define NLERR ((nl_catd)-1)

static uint32_t
be32(const void *p)
{
    const unsigned char *b = p;

    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static nl_catd
load_catalogue(const char *path)
{
    struct stat st;
    nl_catd catd;
    void *data;
    int fd;

    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return NLERR;
    if (fstat(fd, &st) < 0) {
        close(fd);
        return NLERR;
    }
    if (st.st_size > INT_MAX) {
        close(fd);
        errno = EFBIG;
        return NLERR;
    }
    data = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_FILE | MAP_SHARED, fd, 0);
    close(fd);
    if (data == MAP_FAILED)
        return NLERR;
    if (st.st_size < (off_t)sizeof(int32_t) ||
        be32(&((struct _nls_cat_hdr *)data)->__magic) != _NLS_MAGIC) {
        munmap(data, (size_t)st.st_size);
        errno = EFTYPE;
        return NLERR;
    }
    if ((catd = malloc(sizeof(*catd))) == NULL) {
        munmap(data, (size_t)st.st_size);
        errno = ENOMEM;
        return NLERR;
    }
    catd->__data = data;
    catd->__size = (int)st.st_size;
    return catd;
}

static void
append(char **t, char *end, const char *u)
{
    while (*u && *t < end)
        *(*t)++ = *u++;
}

nl_catd
catopen(const char *name, int oflag)
{
    char path[PATH_MAX + 1], *t, *end = path + PATH_MAX;
    const char *nlspath, *lang, *s;
    nl_catd catd;

    if (name == NULL || *name == '\0')
        return NLERR;
    if (strchr(name, '/'))
        return load_catalogue(name);

    if (issetugid() || (nlspath = getenv("NLSPATH")) == NULL)
        nlspath = NLS_DEFAULT_PATH;
    if (oflag == NL_CAT_LOCALE)
        lang = setlocale(LC_MESSAGES, NULL);
    else
        lang = getenv("LANG");
    if (lang == NULL || strchr(lang, '/'))
        lang = NLS_DEFAULT_LANG;

    s = nlspath;
    do {
        t = path;
        while (*s && *s != ':') {
            if (*s == '%') {
                switch (*++s) {
                case 'L':
                    append(&t, end, lang);
                    break;
                case 'N':
                    append(&t, end, name);
                    break;
                case 'l':
                case 't':
                case 'c':
                    break;
                case '\0':
                    s--;            /* a '%' ending the path stays as it is */
                    /* FALLTHROUGH */
                default:
                    if (t < end)
                        *t++ = *s;
                }
            } else if (t < end) {
                *t++ = *s;
            }
            s++;
        }
        *t = '\0';
        catd = load_catalogue(path);
        if (catd != NLERR)
            return catd;
        if (*s)
            s++;
    } while (*s);
    return NLERR;
}

char *
catgets(nl_catd catd, int set_id, int msg_id, const char *s)
{
    const char *data;
    uint32_t size, nsets, hdr_off, txt_off, l, u, i, idx, n, off, len;
    const struct _nls_set_hdr *sets;
    const struct _nls_msg_hdr *msgs;
    const size_t H = sizeof(struct _nls_cat_hdr);

    if (catd == NLERR || catd == NULL) {
        errno = EBADF;
        return (char *)(unsigned long)s;
    }
    data = catd->__data;
    size = (uint32_t)catd->__size;
    if (size < H)
        goto notfound;
    nsets = be32(&((const struct _nls_cat_hdr *)data)->__nsets);
    hdr_off = be32(&((const struct _nls_cat_hdr *)data)->__msg_hdr_offset);
    txt_off = be32(&((const struct _nls_cat_hdr *)data)->__msg_txt_offset);
    if (nsets > (size - H) / sizeof(*sets) || hdr_off > size - H || txt_off > size - H)
        goto notfound;
    sets = (const struct _nls_set_hdr *)(data + H);
    msgs = (const struct _nls_msg_hdr *)(data + H + hdr_off);

    /* binary search of the sets, then of the set's messages */
    l = 0;
    u = nsets;
    while (l < u) {
        i = l + (u - l) / 2;
        int32_t no = (int32_t)be32(&sets[i].__setno);
        if (set_id < no) {
            u = i;
        } else if (set_id > no) {
            l = i + 1;
        } else {
            idx = be32(&sets[i].__index);
            n = be32(&sets[i].__nmsgs);
            if (idx > (size - H - hdr_off) / sizeof(*msgs) ||
                n > (size - H - hdr_off) / sizeof(*msgs) - idx)
                goto notfound;
            l = idx;
            u = idx + n;
            while (l < u) {
                i = l + (u - l) / 2;
                no = (int32_t)be32(&msgs[i].__msgno);
                if (msg_id < no) {
                    u = i;
                } else if (msg_id > no) {
                    l = i + 1;
                } else {
                    off = be32(&msgs[i].__offset);
                    len = be32(&msgs[i].__msglen);
                    if (off > size - H - txt_off || len == 0 ||
                        len > size - H - txt_off - off ||
                        data[H + txt_off + off + len - 1] != '\0')
                        goto notfound;
                    return (char *)(unsigned long)(data + H + txt_off + off);
                }
            }
            goto notfound;
        }
    }
notfound:
    errno = ENOMSG;
    return (char *)(unsigned long)s;
}

int
catclose(nl_catd catd)
{
    if (catd == NULL || catd == NLERR) {
        errno = EBADF;
        return -1;
    }
    munmap(catd->__data, (size_t)catd->__size);
    free(catd);
    return 0;
}
