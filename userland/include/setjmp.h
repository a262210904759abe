/* kw86 libc: <setjmp.h> (i386: ebx esi edi ebp esp eip, plus the signal mask). */
#ifndef _SETJMP_H_
#define _SETJMP_H_

#include <sys/cdefs.h>

/* [0] eip [1] ebx [2] esp [3] ebp [4] esi [5] edi [6] mask saved? [7..10] sigset */
typedef long jmp_buf[13];
typedef long sigjmp_buf[13];

__BEGIN_DECLS
int  setjmp(jmp_buf) __attribute__((__returns_twice__));
__dead void longjmp(jmp_buf, int);
int  _setjmp(jmp_buf) __attribute__((__returns_twice__));
__dead void _longjmp(jmp_buf, int);
int  sigsetjmp(sigjmp_buf, int) __attribute__((__returns_twice__));
__dead void siglongjmp(sigjmp_buf, int);
__END_DECLS

#endif
