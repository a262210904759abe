/* kw86 libc: <sys/types.h> with NetBSD/i386 sizes. */
#ifndef _SYS_TYPES_H_
#define _SYS_TYPES_H_

#include <sys/cdefs.h>
#include <sys/_types.h>
#include <stdint.h>

typedef unsigned char  u_char;
typedef unsigned short u_short;
typedef unsigned int   u_int;
typedef unsigned long  u_long;
typedef unsigned char  unchar;
typedef unsigned short ushort;
typedef unsigned int   uint;
typedef unsigned long  ulong;

typedef __uint8_t  u_int8_t;
typedef __uint16_t u_int16_t;
typedef __uint32_t u_int32_t;
typedef __uint64_t u_int64_t;
typedef __int64_t  quad_t;
typedef __uint64_t u_quad_t;
typedef __int32_t  register_t;
typedef char *     caddr_t;
typedef const char *__caddr_const_t;

#ifndef _SIZE_T_DEFINED
#define _SIZE_T_DEFINED
typedef __size_t size_t;
#endif
#ifndef _SSIZE_T_DEFINED
#define _SSIZE_T_DEFINED
typedef __ssize_t ssize_t;
#endif
#ifndef _OFF_T_DEFINED
#define _OFF_T_DEFINED
typedef __off_t off_t;
#endif
#ifndef _MODE_T_DEFINED
#define _MODE_T_DEFINED
typedef __mode_t mode_t;
#endif
#ifndef _PID_T_DEFINED
#define _PID_T_DEFINED
typedef __pid_t pid_t;
#endif
#ifndef _UID_T_DEFINED
#define _UID_T_DEFINED
typedef __uid_t uid_t;
typedef __gid_t gid_t;
#endif
#ifndef _TIME_T_DEFINED
#define _TIME_T_DEFINED
typedef __time_t time_t;
#endif
#ifndef _CLOCK_T_DEFINED
#define _CLOCK_T_DEFINED
typedef __clock_t clock_t;
#endif
#ifndef _CLOCKID_T_DEFINED
#define _CLOCKID_T_DEFINED
typedef __clockid_t clockid_t;
#endif
#ifndef _USECONDS_T_DEFINED
#define _USECONDS_T_DEFINED
typedef __useconds_t useconds_t;
#endif
#ifndef _TIMER_T_DEFINED
#define _TIMER_T_DEFINED
typedef int timer_t;            /* NetBSD: __timer_t, an int */
#endif
typedef __dev_t      dev_t;
typedef __ino_t      ino_t;
typedef __nlink_t    nlink_t;
typedef __id_t       id_t;
typedef __suseconds_t suseconds_t;
typedef __blkcnt_t   blkcnt_t;
typedef __blksize_t  blksize_t;
typedef __uint64_t   fsblkcnt_t;
typedef __uint64_t   fsfilcnt_t;
typedef __lwpid_t    lwpid_t;
typedef __int32_t    daddr_t;
typedef __int32_t    key_t;
typedef __uint32_t   fixpt_t;
typedef __int32_t    segsz_t;
typedef __int32_t    swblk_t;

/* dev_t helpers as NetBSD packs them: major in bits 8..19, minor in 0..7 and 20..31. */
#define major(x)        ((__int32_t)((((x) & 0x000fff00) >>  8)))
#define minor(x)        ((__int32_t)((((x) & 0xfff00000) >> 12) | (((x) & 0x000000ff) >>  0)))
#define makedev(x, y)   ((dev_t)((((dev_t)(x) <<  8) & 0x000fff00) | \
                                 (((dev_t)(y) << 12) & 0xfff00000) | \
                                 (((dev_t)(y) <<  0) & 0x000000ff)))

#ifndef NULL
#define NULL ((void *)0)
#endif

#endif
