/* <sys/ktrace.h>: utrace(2) (306), NetBSD's limits of a user record. */
#ifndef _SYS_KTRACE_H_
#define _SYS_KTRACE_H_

#include <sys/cdefs.h>
#include <sys/types.h>

#define KTR_USER_MAXIDLEN 20            /* the label, with its NUL */
#define KTR_USER_MAXLEN   2048          /* the data */

__BEGIN_DECLS
int utrace(const char *, void *, size_t);
__END_DECLS

#endif
