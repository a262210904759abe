/* kw86 libc: <stdlib.h>. */
#ifndef _STDLIB_H_
#define _STDLIB_H_

#include <sys/cdefs.h>
#include <sys/_types.h>

#ifndef _SIZE_T_DEFINED
#define _SIZE_T_DEFINED
typedef __size_t size_t;
#endif
#ifndef __cplusplus
#ifndef _WCHAR_T_DEFINED
#define _WCHAR_T_DEFINED
#endif
#endif
#ifndef NULL
#define NULL ((void *)0)
#endif

typedef struct { int quot, rem; } div_t;
typedef struct { long quot, rem; } ldiv_t;
typedef struct { long long quot, rem; } lldiv_t;

#define EXIT_SUCCESS 0
#define EXIT_FAILURE 1
#define RAND_MAX     0x7fffffff
#define MB_CUR_MAX   1

__BEGIN_DECLS
extern char **environ;          /* C linkage, as unistd.h's declaration */
void   *malloc(size_t);
void   *calloc(size_t, size_t);
void   *realloc(void *, size_t);
void   *reallocarray(void *, size_t, size_t);
void    free(void *);
int     posix_memalign(void **, size_t, size_t);
void   *aligned_alloc(size_t, size_t);

__dead void abort(void);
__dead void exit(int);
__dead void _Exit(int);
int     atexit(void (*)(void));

char   *getenv(const char *);
int     setenv(const char *, const char *, int);
int     unsetenv(const char *);
int     putenv(char *);

int     atoi(const char *);
long    atol(const char *);
long long atoll(const char *);
long    strtol(const char *__restrict, char **__restrict, int);
unsigned long strtoul(const char *__restrict, char **__restrict, int);
long long strtoll(const char *__restrict, char **__restrict, int);
unsigned long long strtoull(const char *__restrict, char **__restrict, int);
long long strtonum(const char *, long long, long long, const char **);
__int64_t  strtoq(const char *, char **, int);
__uint64_t strtouq(const char *, char **, int);
double  strtod(const char *__restrict, char **__restrict);
double  atof(const char *);

int     abs(int);
long    labs(long);
long long llabs(long long);
div_t   div(int, int);
ldiv_t  ldiv(long, long);
lldiv_t lldiv(long long, long long);

void    qsort(void *, size_t, size_t, int (*)(const void *, const void *));
void   *bsearch(const void *, const void *, size_t, size_t,
                int (*)(const void *, const void *));
int     heapsort(void *, size_t, size_t, int (*)(const void *, const void *));
int     mergesort(void *, size_t, size_t, int (*)(const void *, const void *));

int     rand(void);
int     rand_r(unsigned int *);
void    srand(unsigned int);
long    random(void);
void    srandom(unsigned int);
__uint32_t arc4random(void);
__uint32_t arc4random_uniform(__uint32_t);
void    arc4random_buf(void *, size_t);

int     system(const char *);
char   *realpath(const char *__restrict, char *__restrict);
int     mkstemp(char *);
char   *mkdtemp(char *);
char   *mktemp(char *);

const char *getprogname(void);
void    setprogname(const char *);
__END_DECLS

#endif
