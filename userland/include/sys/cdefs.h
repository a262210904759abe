/* kw86 libc: compiler helpers shared by the headers. */
#ifndef _SYS_CDEFS_H_
#define _SYS_CDEFS_H_

#ifdef __cplusplus
#define __BEGIN_DECLS extern "C" {
#define __END_DECLS }
#else
#define __BEGIN_DECLS
#define __END_DECLS
#endif

#define __dead          __attribute__((__noreturn__))
#define __pure          __attribute__((__pure__))
#define __unused        __attribute__((__unused__))
#define __used          __attribute__((__used__))
#define __packed        __attribute__((__packed__))
#define __aligned(x)    __attribute__((__aligned__(x)))
#define __printflike(f, a) __attribute__((__format__(__printf__, f, a)))
#define __scanflike(f, a)  __attribute__((__format__(__scanf__, f, a)))
#define __predict_true(e)  __builtin_expect(!!(e), 1)
#define __predict_false(e) __builtin_expect(!!(e), 0)
#define __UNCONST(a)    ((void *)(unsigned long)(const void *)(a))
#define __CONCAT(x, y)  x ## y
#define __STRING(x)     #x
/* __restrict: a keyword of GCC and clang in every language mode (C89, C++);
   C99's restrict elsewhere */
#if !defined(__GNUC__) && !defined(__clang__)
#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 199901L
#define __restrict      restrict
#else
#define __restrict
#endif
#endif

/* Everything the libc declares is NetBSD's: POSIX plus the BSD extensions. */
#ifndef _NETBSD_SOURCE
#define _NETBSD_SOURCE 1
#endif

#endif
