/*
 * kw86 libc: malloc, free, realloc, calloc.
 *
 * Two kinds of blocks, both preceded by a 16-byte header that records the size:
 *  - small (up to 32 KiB): power-of-two size classes, 16 B .. 32 KiB; freed blocks
 *    go on the free list of their class and are reused for the same class.  Memory
 *    for them comes from the break (sbrk) in 64 KiB chunks, so a process's heap sits
 *    right after its .bss as on NetBSD.
 *  - large: mmap'd anonymous regions of whole pages, returned with munmap on free.
 *    If mmap is not available, they come from the break too (and are kept on a
 *    first-fit list when freed).
 * Failures return NULL with errno = ENOMEM; sizes that overflow are failures.
 */
#include <sys/mman.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>

#include "libc_private.h"
#include "pthread_int.h"

/* One lock for the allocator's lists, taken by malloc and free (realloc, calloc
 * and posix_memalign go through them); a no-op until the first pthread_create. */
pthread_mutex_t __kw86_malloc_lock = PTHREAD_MUTEX_INITIALIZER;

#define HDR        16u                  /* header size, keeps payloads 16-aligned */
#define MIN_SHIFT  4                    /* smallest class: 16 bytes of block */
#define MAX_SHIFT  15                   /* largest small class: 32 KiB of block */
#define NCLASSES   (MAX_SHIFT - MIN_SHIFT + 1)
#define CHUNK      (64u * 1024u)        /* sbrk granularity for small blocks */
#define LARGE_MMAP 1u                   /* header kind: mmap'd */
#define LARGE_BRK  2u                   /* header kind: large block from the break */
#define ALIGNED    3u                   /* header kind: inside another block (posix_memalign) */

struct header {
    size_t size;        /* small: block size (power of two); large: mapping size */
    unsigned kind;      /* 0 small, LARGE_MMAP or LARGE_BRK */
    unsigned magic;     /* catches frees of pointers malloc never returned */
    struct header *next;/* free-list link while free */
};

#define MAGIC 0x6b773836u   /* "kw86" */

static struct header *free_small[NCLASSES];
static struct header *free_large;      /* LARGE_BRK blocks, first fit */
static char *arena_pos, *arena_end;    /* unused part of the last sbrk chunk */

static void *
payload(struct header *h)
{
    return (char *)h + HDR;
}

static struct header *
header_of(void *p)
{
    return (struct header *)(void *)((char *)p - HDR);
}

static int
size_class(size_t block)
{
    int c = 0;
    size_t s = (size_t)1 << MIN_SHIFT;

    while (s < block) {
        s <<= 1;
        c++;
    }
    return c;
}

static void *
arena_alloc(size_t n)
{
    void *p;

    if ((size_t)(arena_end - arena_pos) < n) {
        size_t want = n > CHUNK ? n : CHUNK;
        char *chunk = sbrk((intptr_t)want);
        if (chunk == (char *)-1)
            return NULL;
        if (chunk != arena_end) {      /* not contiguous: the old tail is lost */
            arena_pos = chunk;
        }
        arena_end = chunk + want;
        /* keep 16-byte alignment of the arena */
        if (((uintptr_t)arena_pos & 15) != 0)
            arena_pos += 16 - ((uintptr_t)arena_pos & 15);
        if ((size_t)(arena_end - arena_pos) < n)
            return arena_alloc(n);
    }
    p = arena_pos;
    arena_pos += n;
    return p;
}

static void *
alloc_small(size_t block)
{
    int c = size_class(block);
    struct header *h = free_small[c];

    if (h != NULL) {
        free_small[c] = h->next;
    } else {
        h = arena_alloc((size_t)1 << (c + MIN_SHIFT));
        if (h == NULL)
            return NULL;
        h->size = (size_t)1 << (c + MIN_SHIFT);
        h->kind = 0;
    }
    h->magic = MAGIC;
    h->next = NULL;
    return payload(h);
}

static void *
alloc_large(size_t block)
{
    size_t page = __kw86_pagesize ? __kw86_pagesize : 4096;
    size_t len = (block + page - 1) & ~(page - 1);
    struct header *h, **pp;

    if (len < block)
        return NULL;
    h = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_ANON | MAP_PRIVATE, -1, 0);
    if (h != MAP_FAILED) {
        h->kind = LARGE_MMAP;
    } else {
        for (pp = &free_large; *pp != NULL; pp = &(*pp)->next)
            if ((*pp)->size >= len)
                break;
        if (*pp != NULL) {
            h = *pp;
            *pp = h->next;
            len = h->size;
        } else {
            h = arena_alloc(len);
            if (h == NULL)
                return NULL;
        }
        h->kind = LARGE_BRK;
    }
    h->size = len;
    h->magic = MAGIC;
    h->next = NULL;
    return payload(h);
}

void *
malloc(size_t n)
{
    void *p;

    if (n > SIZE_MAX - HDR - 4096) {
        errno = ENOMEM;
        return NULL;
    }
    __kw86_libc_lock(&__kw86_malloc_lock);
    if (n + HDR <= ((size_t)1 << MAX_SHIFT))
        p = alloc_small(n + HDR);
    else
        p = alloc_large(n + HDR);
    __kw86_libc_unlock(&__kw86_malloc_lock);
    if (p == NULL)
        errno = ENOMEM;
    return p;
}

static void
bad_free(void *p)
{
    static const char msg[] = "free: invalid pointer\n";

    (void)p;
    (void)write(2, msg, sizeof(msg) - 1);
    abort();
}

void
free(void *p)
{
    struct header *h;

    if (p == NULL)
        return;
    h = header_of(p);
    if (h->magic != MAGIC)
        bad_free(p);
    __kw86_libc_lock(&__kw86_malloc_lock);
    h->magic = 0;
    switch (h->kind) {
    case 0: {
        int c = size_class(h->size);
        h->next = free_small[c];
        free_small[c] = h;
        break;
    }
    case LARGE_MMAP:
        (void)munmap(h, h->size);
        break;
    case LARGE_BRK:
        h->next = free_large;
        free_large = h;
        break;
    case ALIGNED:                       /* the block it was carved from */
        __kw86_libc_unlock(&__kw86_malloc_lock);
        free(h->next);
        return;
    default:
        __kw86_libc_unlock(&__kw86_malloc_lock);
        bad_free(p);
    }
    __kw86_libc_unlock(&__kw86_malloc_lock);
}

static size_t
usable(struct header *h)
{
    return h->size - HDR;
}

void *
realloc(void *p, size_t n)
{
    struct header *h;
    void *q;

    if (p == NULL)
        return malloc(n);
    h = header_of(p);
    if (h->magic != MAGIC)
        bad_free(p);
    if (n <= usable(h) && (h->kind != 0 || n + HDR > h->size / 2 || h->size <= 64))
        return p;                       /* fits and does not waste half the block */
    q = malloc(n);
    if (q == NULL)
        return NULL;
    memcpy(q, p, n < usable(h) ? n : usable(h));
    free(p);
    return q;
}

void *
reallocarray(void *p, size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(p, n * size);
}

void *
calloc(size_t n, size_t size)
{
    void *p;

    if (size != 0 && n > SIZE_MAX / size) {
        errno = ENOMEM;
        return NULL;
    }
    p = malloc(n * size);
    if (p != NULL)
        memset(p, 0, n * size);
    return p;
}

int
posix_memalign(void **out, size_t align, size_t n)
{
    void *p;

    if (align < sizeof(void *) || (align & (align - 1)) != 0)
        return EINVAL;
    if (align <= 16) {                  /* every payload is 16-byte aligned */
        p = malloc(n);
        if (p == NULL)
            return ENOMEM;
        *out = p;
        return 0;
    }
    /* A larger alignment: carve an aligned payload out of a block with room for
     * it and a header of kind ALIGNED that leads free() back to the block. */
    if (n > SIZE_MAX - align - 2 * HDR)
        return ENOMEM;
    p = malloc(n + align + HDR);
    if (p == NULL)
        return ENOMEM;
    {
        struct header *outer = header_of(p), *h;
        char *q = (char *)(((uintptr_t)p + HDR + align - 1) & ~(uintptr_t)(align - 1));

        h = header_of(q);
        h->kind = ALIGNED;
        h->magic = MAGIC;
        h->next = (struct header *)p;
        h->size = (size_t)((char *)outer + usable(outer) + HDR - q) + HDR;
        *out = q;
    }
    return 0;
}

void *
aligned_alloc(size_t align, size_t n)
{
    void *p = NULL;
    int e = posix_memalign(&p, align, n);

    if (e != 0) {
        errno = e;
        return NULL;
    }
    return p;
}
