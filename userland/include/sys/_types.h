/* kw86 libc: NetBSD/i386 fundamental types (ILP32; 64-bit off_t, time_t, ino_t, dev_t). */
#ifndef _SYS__TYPES_H_
#define _SYS__TYPES_H_

typedef signed char        __int8_t;
typedef unsigned char      __uint8_t;
typedef short              __int16_t;
typedef unsigned short     __uint16_t;
typedef int                __int32_t;
typedef unsigned int       __uint32_t;
typedef long long          __int64_t;
typedef unsigned long long __uint64_t;
typedef long               __intptr_t;
typedef unsigned long      __uintptr_t;

typedef unsigned int       __size_t;     /* i386: size_t is unsigned int */
typedef int                __ssize_t;
typedef int                __ptrdiff_t;
typedef __int64_t          __off_t;
typedef __uint32_t         __mode_t;
typedef __uint64_t         __dev_t;
typedef __uint64_t         __ino_t;
typedef __uint32_t         __nlink_t;
typedef __uint32_t         __uid_t;
typedef __uint32_t         __gid_t;
typedef __int32_t          __pid_t;
typedef __uint32_t         __id_t;
typedef __int64_t          __time_t;     /* 64-bit since NetBSD 6 */
typedef int                __suseconds_t;
typedef unsigned int       __clock_t;
typedef int                __clockid_t;
typedef __int64_t          __blkcnt_t;
typedef __int32_t          __blksize_t;
typedef __uint32_t         __useconds_t;
typedef __uint32_t         __socklen_t;
typedef __int32_t          __lwpid_t;
typedef __builtin_va_list  __va_list;

typedef struct {
    __uint32_t __bits[4];    /* signal n is bit (n-1)%32 of word (n-1)/32 */
} __sigset_t;

#endif
