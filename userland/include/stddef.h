/* kw86 libc: <stddef.h>. */
#ifndef _STDDEF_H_
#define _STDDEF_H_

#include <sys/_types.h>

#ifndef _SIZE_T_DEFINED
#define _SIZE_T_DEFINED
typedef __size_t size_t;
#endif
typedef __ptrdiff_t ptrdiff_t;
#ifndef __cplusplus
typedef int wchar_t;
#endif
typedef struct { long long __ll __attribute__((__aligned__(8))); } max_align_t;

#ifndef NULL
#define NULL ((void *)0)
#endif
#define offsetof(type, member) __builtin_offsetof(type, member)

#endif
