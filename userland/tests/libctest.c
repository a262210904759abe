/*
 * libctest: exercises the kw86 libc inside the guest and prints what it got, for
 * tests/test_userland_build.py (which runs it under a small system-call shim today,
 * and under the kw86 kernel once that runs programs).
 *
 *   libctest printf FMT TYPE VALUE ...   one line per case: "<return>|<snprintf output>"
 *       TYPE: i int, I long long, u unsigned, U unsigned long long (values parsed with
 *       strtoll/strtoull base 0), s string, c char (first byte), f double (VALUE = its
 *       64-bit pattern in hex), p pointer, n none (FMT has no conversion)
 *   libctest strto NUMBER ...            "strtol <v> <errno> <consumed>" and the same
 *                                        for strtoul, strtoll, strtoull
 *   libctest strftime FMT TIME ...       strftime(FMT, gmtime(TIME))
 *   libctest selftest                    internal checks: "ok NAME" / "FAIL NAME: why",
 *                                        then "selftest: N failures"; exit status N != 0
 *   libctest signals                     sigaction/signal/raise and the return through
 *                                        the signal trampoline
 *   libctest switch                      switch_to_kernel_mode / switch_to_user_mode:
 *                                        prints the mode after each (needs a kernel
 *                                        with kw86's system calls 510 and 511)
 *   libctest files DIR                   the same for stdio on files, directories with
 *                                        many entries, passwd/group lookups (DIR must be
 *                                        a writable, empty directory)
 */
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/types.h>
#include <sys/stat.h>
#include <ctype.h>
#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fnmatch.h>
#include <libgen.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <kernelware.h>

static int failures;

static void
check(int ok, const char *name, const char *why)
{
    if (ok) {
        printf("ok %s\n", name);
    } else {
        printf("FAIL %s: %s\n", name, why);
        failures++;
    }
}

/* ---- printf */

static int
do_printf(int argc, char **argv)
{
    char buf[512];
    int i, n = 0;

    for (i = 2; i + 2 < argc; i += 3) {
        const char *fmt = argv[i], *type = argv[i + 1], *val = argv[i + 2];
        union { uint64_t u; double d; } bits;

        switch (type[0]) {
        case 'i': n = snprintf(buf, sizeof(buf), fmt, (int)strtoll(val, NULL, 0)); break;
        case 'I': n = snprintf(buf, sizeof(buf), fmt, strtoll(val, NULL, 0)); break;
        case 'u': n = snprintf(buf, sizeof(buf), fmt, (unsigned)strtoull(val, NULL, 0)); break;
        case 'U': n = snprintf(buf, sizeof(buf), fmt, strtoull(val, NULL, 0)); break;
        case 's': n = snprintf(buf, sizeof(buf), fmt, val); break;
        case 'c': n = snprintf(buf, sizeof(buf), fmt, val[0]); break;
        case 'p': n = snprintf(buf, sizeof(buf), fmt, (void *)(uintptr_t)strtoul(val, NULL, 0)); break;
        case 'f':
            bits.u = strtoull(val, NULL, 16);
            n = snprintf(buf, sizeof(buf), fmt, bits.d);
            break;
        case 'n': n = snprintf(buf, sizeof(buf), fmt, 0); break;
        default:
            errx(2, "bad type %s", type);
        }
        printf("%d|%s\n", n, buf);
    }
    return 0;
}

/* ---- strto* */

static int
do_strto(int argc, char **argv)
{
    int i;
    char *end;

    for (i = 2; i < argc; i++) {
        const char *s = argv[i];
        long l;
        unsigned long ul;
        long long ll;
        unsigned long long ull;

        errno = 0; l = strtol(s, &end, 0);
        printf("strtol %ld %d %d\n", l, errno, (int)(end - s));
        errno = 0; ul = strtoul(s, &end, 0);
        printf("strtoul %lu %d %d\n", ul, errno, (int)(end - s));
        errno = 0; ll = strtoll(s, &end, 0);
        printf("strtoll %lld %d %d\n", ll, errno, (int)(end - s));
        errno = 0; ull = strtoull(s, &end, 0);
        printf("strtoull %llu %d %d\n", ull, errno, (int)(end - s));
    }
    return 0;
}

/* ---- strftime */

static int
do_strftime(int argc, char **argv)
{
    int i;
    char buf[256];

    for (i = 2; i + 1 < argc; i += 2) {
        time_t t = (time_t)strtoll(argv[i + 1], NULL, 0);
        struct tm tm;
        if (gmtime_r(&t, &tm) == NULL) {
            printf("gmtime failed\n");
            continue;
        }
        strftime(buf, sizeof(buf), argv[i], &tm);
        printf("%s\n", buf);
    }
    return 0;
}

/* ---- selftest */

static int
cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;

    return x < y ? -1 : x > y;
}

static void
test_qsort(void)
{
    static int a[2000];
    int i, ok = 1;
    unsigned seed = 12345;

    for (i = 0; i < 2000; i++)
        a[i] = rand_r(&seed) % 1000;     /* many duplicates */
    qsort(a, 2000, sizeof(int), cmp_int);
    for (i = 1; i < 2000; i++)
        if (a[i - 1] > a[i])
            ok = 0;
    check(ok, "qsort-random", "not sorted");
    for (i = 0; i < 2000; i++)
        a[i] = 2000 - i;
    qsort(a, 2000, sizeof(int), cmp_int);
    for (i = 0; i < 2000; i++)
        if (a[i] != i + 1)
            ok = 0;
    check(ok, "qsort-reversed", "not sorted");
    for (i = 0; i < 2000; i++)
        a[i] = (i * 7919) % 2000;
    ok = mergesort(a, 2000, sizeof(int), cmp_int) == 0;
    for (i = 0; i < 2000; i++)
        if (a[i] != i)
            ok = 0;
    check(ok, "mergesort", "not sorted");
    {
        int key = 777, *hit = bsearch(&key, a, 2000, sizeof(int), cmp_int);
        check(hit != NULL && *hit == 777, "bsearch", "not found");
    }
}

static void
test_malloc(void)
{
    enum { N = 300 };
    static unsigned char *blocks[N];
    static size_t sizes[N];
    unsigned seed = 42;
    int i, round, ok = 1;

    for (round = 0; round < 4; round++) {
        for (i = 0; i < N; i++) {
            size_t sz = (size_t)(rand_r(&seed) % (i % 10 == 0 ? 200000 : 3000)) + 1;
            if (blocks[i] != NULL && rand_r(&seed) % 2) {
                unsigned char *p = realloc(blocks[i], sz);
                size_t keep = sz < sizes[i] ? sz : sizes[i], k;
                if (p == NULL) { ok = 0; continue; }
                for (k = 0; k < keep; k++)
                    if (p[k] != (unsigned char)(i + k))
                        ok = 0;
                blocks[i] = p;
            } else {
                free(blocks[i]);
                blocks[i] = malloc(sz);
                if (blocks[i] == NULL) { ok = 0; continue; }
            }
            sizes[i] = sz;
            if (((uintptr_t)blocks[i] & 15) != 0)
                ok = 0;
            {
                size_t k;
                for (k = 0; k < sz; k++)
                    blocks[i][k] = (unsigned char)(i + k);
            }
        }
        for (i = 0; i < N; i++) {
            size_t k;
            for (k = 0; k < sizes[i]; k++)
                if (blocks[i][k] != (unsigned char)(i + k)) {
                    ok = 0;
                    break;
                }
        }
    }
    for (i = 0; i < N; i++)
        free(blocks[i]);
    check(ok, "malloc-stress", "corrupted or misaligned block");
    {
        void *p;
        errno = 0;
        p = malloc((size_t)-16);
        check(p == NULL && errno == ENOMEM, "malloc-huge", "expected NULL/ENOMEM");
        p = calloc(0x10000, 0x10001);
        check(p == NULL && errno == ENOMEM, "calloc-overflow", "expected NULL/ENOMEM");
        p = calloc(100, 10);
        check(p != NULL && ((char *)p)[0] == 0 && ((char *)p)[999] == 0, "calloc-zero", "not zeroed");
        free(p);
    }
}

static void
test_strings(void)
{
    char buf[64], small[8], *s, *tok, *save;
    int n;

    check(strlen("kernelware") == 10, "strlen", "");
    check(strcmp("abc", "abd") < 0 && strcmp("b", "a") > 0 && strcmp("x", "x") == 0, "strcmp", "");
    check(strncmp("abcdef", "abcxyz", 3) == 0, "strncmp", "");
    check(strcasecmp("HeLLo", "hello") == 0, "strcasecmp", "");
    strcpy(buf, "foo");
    strcat(buf, "bar");
    check(strcmp(buf, "foobar") == 0, "strcat", buf);
    check(strlcpy(small, "0123456789", sizeof(small)) == 10 && strcmp(small, "0123456") == 0,
          "strlcpy-truncates", small);
    strcpy(small, "ab");
    check(strlcat(small, "cdefghij", sizeof(small)) == 10 && strcmp(small, "abcdefg") == 0,
          "strlcat-truncates", small);
    s = "hello";
    check(strchr(s, 'l') == s + 2 && strchr(s, 'z') == NULL, "strchr", "");
    s = "a/b/c";
    check(strrchr(s, '/') == s + 3, "strrchr", "");
    check(strstr("the kernel mode", "kernel") != NULL && strstr("abc", "abd") == NULL, "strstr", "");
    check(strspn("aabbcd", "ab") == 4 && strcspn("hello world", " ") == 5, "strspn", "");
    memset(buf, 'x', sizeof(buf));
    memmove(buf + 1, buf, 10);
    strcpy(buf, "0123456789");
    memmove(buf + 2, buf, 5);
    check(memcmp(buf, "0101234789", 10) == 0, "memmove-overlap", buf);
    strcpy(buf, "a,b,,c");
    save = buf;
    n = 0;
    while ((tok = strsep(&save, ",")) != NULL)
        n++;
    check(n == 4, "strsep", "");
    strcpy(buf, "  x y  z ");
    n = 0;
    for (tok = strtok_r(buf, " ", &save); tok != NULL; tok = strtok_r(NULL, " ", &save))
        n++;
    check(n == 3, "strtok_r", "");
    s = strdup("dup");
    check(s != NULL && strcmp(s, "dup") == 0, "strdup", "");
    free(s);
    check(strcmp(strerror(ENOENT), "No such file or directory") == 0, "strerror", strerror(ENOENT));
    check(isdigit('7') && !isdigit('a') && isspace('\t') && toupper('q') == 'Q' && isxdigit('F'),
          "ctype", "");
    n = snprintf(small, sizeof(small), "%s", "a long string that does not fit");
    check(n == 31 && strcmp(small, "a long ") == 0, "snprintf-truncates", small);
    n = snprintf(NULL, 0, "%d", 123456);
    check(n == 6, "snprintf-null", "");
    {
        char *a = NULL;
        n = asprintf(&a, "%s-%05d", "x", 42);
        check(n == 7 && a != NULL && strcmp(a, "x-00042") == 0, "asprintf", a ? a : "NULL");
        free(a);
    }
}

static void
test_paths(void)
{
    char b1[64], b2[64];

    strcpy(b1, "/usr/bin/ls");
    strcpy(b2, "/usr/bin/ls");
    check(strcmp(basename(b1), "ls") == 0 && strcmp(dirname(b2), "/usr/bin") == 0,
          "basename-dirname", "");
    strcpy(b1, "/usr/lib/");
    check(strcmp(basename(b1), "lib") == 0, "basename-trailing-slash", "");
    strcpy(b1, "file");
    check(strcmp(dirname(b1), ".") == 0, "dirname-bare", "");
    strcpy(b1, "/");
    check(strcmp(basename(b1), "/") == 0 && strcmp(dirname(b1), "/") == 0, "basename-root", "");
    check(fnmatch("*.c", "ls.c", 0) == 0 && fnmatch("*.c", "ls.h", 0) == FNM_NOMATCH,
          "fnmatch-star", "");
    check(fnmatch("[a-c]?[!x]", "bzy", 0) == 0 && fnmatch("[a-c]?[!x]", "bzx", 0) != 0,
          "fnmatch-brackets", "");
    check(fnmatch("*", ".hidden", FNM_PERIOD) != 0 && fnmatch("a/*", "a/b/c", FNM_PATHNAME) != 0,
          "fnmatch-flags", "");
}

static jmp_buf jb;

static void
jump_back(int v)
{
    longjmp(jb, v);
}

static void
test_setjmp(void)
{
    volatile int count = 0;
    int r = setjmp(jb);

    count++;
    if (r == 0)
        jump_back(5);
    check(r == 5 && count == 2, "setjmp-longjmp", "");
    r = _setjmp(jb);
    if (r == 0)
        _longjmp(jb, 0);        /* 0 becomes 1 */
    check(r == 1, "longjmp-zero", "");
}

static void
test_getopt(void)
{
    char *args[] = { "prog", "-ab", "-c", "val", "-dfoo", "--", "-x", "rest", NULL };
    int c, a = 0, b = 0;
    char *cval = NULL, *dval = NULL;

    optind = 1;
    opterr = 0;
    while ((c = getopt(8, args, "abc:d:")) != -1) {
        switch (c) {
        case 'a': a = 1; break;
        case 'b': b = 1; break;
        case 'c': cval = optarg; break;
        case 'd': dval = optarg; break;
        }
    }
    check(a && b && cval != NULL && strcmp(cval, "val") == 0 && dval != NULL &&
          strcmp(dval, "foo") == 0 && optind == 6, "getopt", "");
    optind = 1;
    {
        char *bad[] = { "prog", "-z", NULL };
        c = getopt(2, bad, "a");
        check(c == '?' && optopt == 'z', "getopt-unknown", "");
    }
}

static void
test_time(void)
{
    time_t t = 1700000000;      /* 2023-11-14 22:13:20 UTC, a Tuesday */
    struct tm tm, tm2;
    char buf[64];

    gmtime_r(&t, &tm);
    check(tm.tm_year == 123 && tm.tm_mon == 10 && tm.tm_mday == 14 && tm.tm_hour == 22 &&
          tm.tm_min == 13 && tm.tm_sec == 20 && tm.tm_wday == 2 && tm.tm_yday == 317,
          "gmtime", "");
    tm2 = tm;
    check(mktime(&tm2) == t, "mktime-roundtrip", "");
    tm2.tm_mday += 30;          /* normalises into December */
    mktime(&tm2);
    check(tm2.tm_mon == 11 && tm2.tm_mday == 14, "mktime-normalise", "");
    strftime(buf, sizeof(buf), "%b %e %H:%M %Y", &tm);
    check(strcmp(buf, "Nov 14 22:13 2023") == 0, "strftime-ls", buf);
    t = -1;
    gmtime_r(&t, &tm);
    check(tm.tm_year == 69 && tm.tm_mon == 11 && tm.tm_mday == 31 && tm.tm_sec == 59,
          "gmtime-negative", "");
}

static void
test_env(void)
{
    check(setenv("KW86_TEST", "one", 1) == 0 && strcmp(getenv("KW86_TEST"), "one") == 0,
          "setenv", "");
    setenv("KW86_TEST", "two", 0);
    check(strcmp(getenv("KW86_TEST"), "one") == 0, "setenv-nooverwrite", "");
    unsetenv("KW86_TEST");
    check(getenv("KW86_TEST") == NULL, "unsetenv", "");
}

static void
test_syscalls(void)
{
    pid_t pid = getpid();
    int fds[2];

    check(pid > 0, "getpid", "");
    errno = 0;
    check(close(-1) == -1 && errno == EBADF, "errno-EBADF", strerror(errno));
    (void)fds;
}

static int
do_selftest(void)
{
    printf("mode %s\n", in_kernel_mode() ? "kernel" : "user");
    test_strings();
    test_qsort();
    test_malloc();
    test_paths();
    test_setjmp();
    test_getopt();
    test_time();
    test_env();
    test_syscalls();
    printf("selftest: %d failures\n", failures);
    return failures != 0;
}

/* ---- partial kernelware: switching privilege in the middle of a run */

static int
do_switch(void)
{
    int r;

    printf("start %s\n", in_kernel_mode() ? "kernel" : "user");
    r = switch_to_kernel_mode();
    printf("switch_to_kernel_mode %d %s\n", r, in_kernel_mode() ? "kernel" : "user");
    printf("getpid %s\n", getpid() > 0 ? "ok" : "failed");
    r = switch_to_kernel_mode();          /* already there: succeeds, no change */
    printf("switch_to_kernel_mode %d %s\n", r, in_kernel_mode() ? "kernel" : "user");
    r = switch_to_user_mode();
    printf("switch_to_user_mode %d %s\n", r, in_kernel_mode() ? "kernel" : "user");
    printf("getpid %s\n", getpid() > 0 ? "ok" : "failed");
    return 0;
}

/* ---- signals: needs a kernel that delivers them */

static volatile sig_atomic_t got_sig, got_info_signo, handler_calls;

static void
on_usr1(int sig)
{
    got_sig = sig;
    handler_calls++;
}

static void
on_usr2_info(int sig, siginfo_t *info, void *uc)
{
    got_sig = sig;
    got_info_signo = info != NULL ? info->si_signo : -1;
    handler_calls += uc != NULL;
}

static int
do_signals(void)
{
    struct sigaction sa, old;
    volatile long long keep = 0x123456789abcdefLL;   /* must survive the handler */
    int r;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    check(sigaction(SIGUSR1, &sa, NULL) == 0, "sigaction", strerror(errno));
    r = raise(SIGUSR1);
    check(r == 0 && got_sig == SIGUSR1 && handler_calls == 1 && keep == 0x123456789abcdefLL,
          "raise-handler-returns", "");
    check(sigaction(SIGUSR1, NULL, &old) == 0 && old.sa_handler == on_usr1, "sigaction-old", "");

    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_usr2_info;
    sa.sa_flags = SA_SIGINFO;
    got_sig = 0;
    check(sigaction(SIGUSR2, &sa, NULL) == 0, "sigaction-siginfo", strerror(errno));
    raise(SIGUSR2);
    check(got_sig == SIGUSR2 && got_info_signo == SIGUSR2 && handler_calls == 2,
          "siginfo-handler", "");

    got_sig = 0;
    check(signal(SIGUSR1, on_usr1) == on_usr1, "signal-returns-old", "");
    raise(SIGUSR1);
    check(got_sig == SIGUSR1 && handler_calls == 3, "signal-handler", "");
    printf("signals: %d failures\n", failures);
    return failures != 0;
}

/* ---- files: needs a kernel with a file system */

/* "file-with-a-long-name-NNNN" -> NNNN */
static int
sscanf_like(const char *name, int *n)
{
    const char *prefix = "file-with-a-long-name-";
    char *end;

    if (strncmp(name, prefix, strlen(prefix)) != 0)
        return 0;
    *n = (int)strtol(name + strlen(prefix), &end, 10);
    return *end == '\0';
}

static void
test_stdio_files(const char *dir)
{
    char path[PATH_MAX], line[128], *lp = NULL;
    size_t cap = 0;
    FILE *fp;
    int i, ok, c;
    long pos;

    snprintf(path, sizeof(path), "%s/stdio.txt", dir);
    fp = fopen(path, "w");
    check(fp != NULL, "fopen-w", strerror(errno));
    if (fp == NULL)
        return;
    for (i = 0; i < 5000; i++)                  /* > BUFSIZ: several flushes */
        fprintf(fp, "line %d %s\n", i, i % 2 ? "odd" : "even");
    check(fclose(fp) == 0, "fclose", strerror(errno));

    fp = fopen(path, "r");
    check(fp != NULL, "fopen-r", strerror(errno));
    if (fp == NULL)
        return;
    ok = 1;
    for (i = 0; i < 5000; i++) {
        char want[64];
        snprintf(want, sizeof(want), "line %d %s\n", i, i % 2 ? "odd" : "even");
        if (fgets(line, sizeof(line), fp) == NULL || strcmp(line, want) != 0) {
            ok = 0;
            break;
        }
    }
    check(ok && fgets(line, sizeof(line), fp) == NULL && feof(fp), "fgets-all", line);
    rewind(fp);
    c = fgetc(fp);
    check(c == 'l' && ungetc('L', fp) == 'L' && fgetc(fp) == 'L' && fgetc(fp) == 'i',
          "ungetc", "");
    check(fseek(fp, 11, SEEK_SET) == 0 && (pos = ftell(fp)) == 11 && fgetc(fp) == '\n' &&
          ftell(fp) == 12 && fseek(fp, -2, SEEK_CUR) == 0 && fgetc(fp) == 'n',
          "fseek-ftell", "");
    rewind(fp);
    for (i = 0; getline(&lp, &cap, fp) > 0; i++)
        continue;
    check(i == 5000, "getline", "");
    free(lp);
    fclose(fp);

    fp = fopen(path, "a+");
    check(fp != NULL && fputs("appended\n", fp) >= 0 && fflush(fp) == 0, "fopen-append", "");
    if (fp != NULL) {
        struct stat st;
        fclose(fp);
        check(stat(path, &st) == 0 && st.st_size > 70000 && S_ISREG(st.st_mode),
              "stat-size", "");
    }
    {
        char buf[100000];
        int fd = open(path, O_RDONLY);
        size_t n = 0;
        ssize_t r;
        fp = fdopen(fd, "r");
        check(fp != NULL, "fdopen", strerror(errno));
        if (fp != NULL) {
            while ((r = (ssize_t)fread(buf + n, 1, 4099, fp)) > 0)
                n += (size_t)r;
            check(n > 70000 && memcmp(buf + n - 9, "appended\n", 9) == 0, "fread", "");
            fclose(fp);
        }
    }
    check(unlink(path) == 0 && access(path, F_OK) < 0 && errno == ENOENT, "unlink", "");
    check(fopen(path, "r") == NULL && errno == ENOENT, "fopen-missing", "");
}

static void
test_directories(const char *dir)
{
    char path[PATH_MAX];
    DIR *d;
    struct dirent *de;
    int i, count = 0, ok = 1;
    static char seen[1000];

    snprintf(path, sizeof(path), "%s/many", dir);
    check(mkdir(path, 0755) == 0, "mkdir", strerror(errno));
    for (i = 0; i < 1000; i++) {
        int fd;
        snprintf(path, sizeof(path), "%s/many/file-with-a-long-name-%04d", dir, i);
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
        if (fd < 0 || close(fd) < 0)
            ok = 0;
    }
    check(ok, "create-1000", strerror(errno));
    snprintf(path, sizeof(path), "%s/many", dir);
    d = opendir(path);
    check(d != NULL, "opendir", strerror(errno));
    if (d == NULL)
        return;
    errno = 0;
    while ((de = readdir(d)) != NULL) {
        int n;
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (sscanf_like(de->d_name, &n) && n >= 0 && n < 1000 && !seen[n] &&
            de->d_namlen == strlen(de->d_name) && de->d_type == DT_REG) {
            seen[n] = 1;
            count++;
        } else {
            ok = 0;
        }
    }
    check(errno == 0 && ok && count == 1000, "readdir-1000", "");
    rewinddir(d);
    for (count = 0; readdir(d) != NULL; count++)
        continue;
    check(count == 1002, "rewinddir", "");
    closedir(d);
    check(opendir("/home/user/hello.txt") == NULL && errno == ENOTDIR, "opendir-notdir", "");
}

static void
test_users(void)
{
    struct passwd *pw = getpwnam("user");
    struct group *gr;

    check(pw != NULL && pw->pw_uid == 1000 && pw->pw_gid == 100 &&
          strcmp(pw->pw_dir, "/home/user") == 0 && strcmp(pw->pw_shell, "/bin/sh") == 0,
          "getpwnam", "");
    pw = getpwuid(0);
    check(pw != NULL && strcmp(pw->pw_name, "root") == 0, "getpwuid", "");
    check(getpwnam("nosuchuser") == NULL, "getpwnam-missing", "");
    gr = getgrgid(100);
    check(gr != NULL && strcmp(gr->gr_name, "users") == 0 && gr->gr_mem[0] != NULL &&
          strcmp(gr->gr_mem[0], "user") == 0, "getgrgid", "");
    gr = getgrnam("wheel");
    check(gr != NULL && gr->gr_gid == 0, "getgrnam", "");
    check(strcmp(user_from_uid(1000, 0), "user") == 0 &&
          strcmp(user_from_uid(4242, 0), "4242") == 0 && user_from_uid(4242, 1) == NULL,
          "user_from_uid", "");
}

static void
test_cwd(const char *dir)
{
    char buf[PATH_MAX], rp[PATH_MAX], *heap;

    check(chdir(dir) == 0 && getcwd(buf, sizeof(buf)) != NULL && strcmp(buf, dir) == 0,
          "chdir-getcwd", buf);
    check(getcwd(buf, 2) == NULL && errno == ERANGE, "getcwd-erange", strerror(errno));
    heap = getcwd(NULL, 0);
    check(heap != NULL && strcmp(heap, dir) == 0, "getcwd-malloc", "");
    free(heap);
    check(realpath(".", rp) != NULL && strcmp(rp, dir) == 0, "realpath-dot", rp);
    check(realpath("/home/user/../user/./hello.link", rp) != NULL &&
          strcmp(rp, "/home/user/hello.txt") == 0, "realpath-symlink", rp);
    check(chdir("/nonexistent") < 0 && errno == ENOENT, "chdir-enoent", "");
}

static int
do_files(const char *dir)
{
    test_cwd(dir);
    test_stdio_files(dir);
    test_directories(dir);
    test_users();
    printf("files: %d failures\n", failures);
    return failures != 0;
}

int
main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: libctest printf|strto|strftime|selftest ...\n");
        return 2;
    }
    if (strcmp(argv[1], "printf") == 0)
        return do_printf(argc, argv);
    if (strcmp(argv[1], "strto") == 0)
        return do_strto(argc, argv);
    if (strcmp(argv[1], "strftime") == 0)
        return do_strftime(argc, argv);
    if (strcmp(argv[1], "selftest") == 0)
        return do_selftest();
    if (strcmp(argv[1], "switch") == 0)
        return do_switch();
    if (strcmp(argv[1], "signals") == 0)
        return do_signals();
    if (strcmp(argv[1], "files") == 0 && argc == 3)
        return do_files(argv[2]);
    fprintf(stderr, "libctest: unknown mode %s\n", argv[1]);
    return 2;
}
