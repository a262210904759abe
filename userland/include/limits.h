/* kw86 libc: <limits.h> for NetBSD/i386. */
#ifndef _LIMITS_H_
#define _LIMITS_H_

#define CHAR_BIT   8
#define SCHAR_MIN  (-0x7f - 1)
#define SCHAR_MAX  0x7f
#define UCHAR_MAX  0xff
#define CHAR_MIN   SCHAR_MIN      /* char is signed on i386 */
#define CHAR_MAX   SCHAR_MAX
#define SHRT_MIN   (-0x7fff - 1)
#define SHRT_MAX   0x7fff
#define USHRT_MAX  0xffff
#define INT_MIN    (-0x7fffffff - 1)
#define INT_MAX    0x7fffffff
#define UINT_MAX   0xffffffffU
#define LONG_MIN   (-0x7fffffffL - 1)
#define LONG_MAX   0x7fffffffL
#define ULONG_MAX  0xffffffffUL
#define LLONG_MIN  (-0x7fffffffffffffffLL - 1)
#define LLONG_MAX  0x7fffffffffffffffLL
#define ULLONG_MAX 0xffffffffffffffffULL
#define QUAD_MIN   LLONG_MIN
#define QUAD_MAX   LLONG_MAX
#define UQUAD_MAX  ULLONG_MAX
#define SSIZE_MAX  INT_MAX
#define SIZE_T_MAX UINT_MAX
#define MB_LEN_MAX 1

/* POSIX limits as NetBSD defines them (sys/syslimits.h). */
#define ARG_MAX      (256 * 1024)
#define CHILD_MAX    160
#define LINK_MAX     32767
#define MAX_CANON    255
#define MAX_INPUT    255
#define NAME_MAX     511          /* NetBSD 10: struct dirent d_name[512] */
#define NGROUPS_MAX  16
#define OPEN_MAX     128
#define PATH_MAX     1024
#define PIPE_BUF     512
#define LINE_MAX     2048
#define IOV_MAX      1024
#define LOGIN_NAME_MAX 17
#define HOST_NAME_MAX 255
#define TTY_NAME_MAX 32
#define NZERO        20
#define _POSIX_ARG_MAX   4096
#define _POSIX_PATH_MAX  256
#define _POSIX_NAME_MAX  14
#define _POSIX_OPEN_MAX  20
#define _POSIX2_LINE_MAX 2048
#define BC_BASE_MAX   99
#define BC_DIM_MAX    2048
#define BC_SCALE_MAX  99
#define BC_STRING_MAX 1000
#define COLL_WEIGHTS_MAX 2
#define EXPR_NEST_MAX 32
#define RE_DUP_MAX    255
/* message catalogues (<nl_types.h>, gencat): NetBSD's values */
#define NL_ARGMAX     9
#define NL_LANGMAX    14
#define NL_MSGMAX     32767
#define NL_NMAX       1
#define NL_SETMAX     255
#define NL_TEXTMAX    2048
/* threads (libc/pthread*.c): NetBSD's limits.h values; PTHREAD_STACK_MIN is kw86's
 * choice (the smallest stack pthread_attr_setstacksize accepts) */
#define _POSIX_THREAD_DESTRUCTOR_ITERATIONS 4
#define _POSIX_THREAD_KEYS_MAX   128
#define _POSIX_THREAD_THREADS_MAX 64
#define PTHREAD_DESTRUCTOR_ITERATIONS _POSIX_THREAD_DESTRUCTOR_ITERATIONS
#define PTHREAD_KEYS_MAX         256
#define PTHREAD_STACK_MIN        16384

#endif
