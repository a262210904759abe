/* A small freestanding C program whose i386 code the decoder benchmark
 * decodes (used when the built userland's /bin/ls is not available).
 * Mixed integer code: loops, calls, switch tables, 64-bit arithmetic,
 * string handling, bit twiddling. */
typedef unsigned int u32;
typedef unsigned long long u64;
typedef unsigned char u8;

static u32 crc_table[256];

void crc_init(void) {
    for (u32 i = 0; i < 256; i++) {
        u32 c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

u32 crc32(const u8 *p, u32 n) {
    u32 c = 0xFFFFFFFFu;
    while (n--)
        c = crc_table[(c ^ *p++) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

static void swap(int *a, int *b) { int t = *a; *a = *b; *b = t; }

void quicksort(int *v, int lo, int hi) {
    while (lo < hi) {
        int p = v[(lo + hi) / 2], i = lo, j = hi;
        while (i <= j) {
            while (v[i] < p) i++;
            while (v[j] > p) j--;
            if (i <= j) swap(&v[i++], &v[j--]);
        }
        if (j - lo < hi - i) { quicksort(v, lo, j); lo = i; }
        else { quicksort(v, i, hi); hi = j; }
    }
}

u32 my_strlen(const char *s) { const char *p = s; while (*p) p++; return (u32)(p - s); }

int my_strcmp(const char *a, const char *b) {
    while (*a && *a == *b) { a++; b++; }
    return (u8)*a - (u8)*b;
}

char *my_strrchr(const char *s, int c) {
    const char *r = 0;
    do { if (*s == (char)c) r = s; } while (*s++);
    return (char *)r;
}

void *my_memmove(void *d, const void *s, u32 n) {
    u8 *dp = d; const u8 *sp = s;
    if (dp < sp) while (n--) *dp++ = *sp++;
    else { dp += n; sp += n; while (n--) *--dp = *--sp; }
    return d;
}

static char *put_uint(char *out, u64 v, u32 base, int upper, int width, char pad) {
    char tmp[24]; int n = 0;
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    do { tmp[n++] = digits[v % base]; v /= base; } while (v);
    while (n < width) tmp[n++] = pad;
    while (n) *out++ = tmp[--n];
    return out;
}

int my_format(char *out, const char *fmt, const long *args) {
    char *o = out;
    for (; *fmt; fmt++) {
        if (*fmt != '%') { *o++ = *fmt; continue; }
        int width = 0; char pad = ' ';
        fmt++;
        if (*fmt == '0') { pad = '0'; fmt++; }
        while (*fmt >= '0' && *fmt <= '9') width = width * 10 + (*fmt++ - '0');
        switch (*fmt) {
        case 'd': { long v = *args++; if (v < 0) { *o++ = '-'; v = -v; }
                    o = put_uint(o, (u64)v, 10, 0, width, pad); break; }
        case 'u': o = put_uint(o, (u32)*args++, 10, 0, width, pad); break;
        case 'x': o = put_uint(o, (u32)*args++, 16, 0, width, pad); break;
        case 'X': o = put_uint(o, (u32)*args++, 16, 1, width, pad); break;
        case 'o': o = put_uint(o, (u32)*args++, 8, 0, width, pad); break;
        case 's': { const char *s = (const char *)*args++; while (*s) *o++ = *s++; break; }
        case 'c': *o++ = (char)*args++; break;
        case '%': *o++ = '%'; break;
        default: *o++ = '?'; break;
        }
    }
    *o = 0;
    return (int)(o - out);
}

struct entry { const char *key; u32 value; struct entry *next; };
static struct entry *buckets[64];
static struct entry pool[256];
static u32 pool_used;

static u32 hash(const char *s) { u32 h = 5381; while (*s) h = h * 33 + (u8)*s++; return h; }

int table_put(const char *key, u32 value) {
    u32 h = hash(key) & 63;
    for (struct entry *e = buckets[h]; e; e = e->next)
        if (!my_strcmp(e->key, key)) { e->value = value; return 0; }
    if (pool_used == 256) return -1;
    struct entry *e = &pool[pool_used++];
    e->key = key; e->value = value; e->next = buckets[h]; buckets[h] = e;
    return 1;
}

u32 table_get(const char *key, u32 dflt) {
    for (struct entry *e = buckets[hash(key) & 63]; e; e = e->next)
        if (!my_strcmp(e->key, key)) return e->value;
    return dflt;
}

u64 mulmod(u64 a, u64 b, u64 m) {
    u64 r = 0;
    a %= m;
    while (b) { if (b & 1) r = (r + a) % m; a = (a << 1) % m; b >>= 1; }
    return r;
}

u32 popcount(u32 x) { x = x - ((x >> 1) & 0x55555555); x = (x & 0x33333333) + ((x >> 2) & 0x33333333);
                      return (((x + (x >> 4)) & 0x0F0F0F0F) * 0x01010101) >> 24; }

int isqrt(u32 n) { u32 x = n, y = (x + 1) / 2; while (y < x) { x = y; y = (x + n / x) / 2; } return (int)x; }

void bignum_mul(u32 *r, const u32 *a, const u32 *b, int n) {
    for (int i = 0; i < 2 * n; i++) r[i] = 0;
    for (int i = 0; i < n; i++) {
        u64 carry = 0;
        for (int j = 0; j < n; j++) {
            u64 t = (u64)a[i] * b[j] + r[i + j] + carry;
            r[i + j] = (u32)t; carry = t >> 32;
        }
        r[i + n] = (u32)carry;
    }
}

int classify(int c) {
    switch (c) {
    case ' ': case '\t': case '\n': return 1;
    case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9': return 2;
    case '.': case ',': case ';': case ':': return 3;
    case '(': case ')': case '[': case ']': return 4;
    default: return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ? 5 : 0;
    }
}
