/* kw86 libc: <stdarg.h> on the compiler's builtins. */
#ifndef _STDARG_H_
#define _STDARG_H_

#include <sys/_types.h>

typedef __va_list va_list;
#define va_start(ap, last) __builtin_va_start(ap, last)
#define va_arg(ap, type)   __builtin_va_arg(ap, type)
#define va_end(ap)         __builtin_va_end(ap)
#define va_copy(dst, src)  __builtin_va_copy(dst, src)
#define __va_copy(dst, src) __builtin_va_copy(dst, src)

#endif
