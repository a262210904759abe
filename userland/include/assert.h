/* kw86 libc: <assert.h> (may be included more than once, as the standard says). */
#include <sys/cdefs.h>

#undef assert
#ifdef NDEBUG
#define assert(e) ((void)0)
#else
#define assert(e) ((e) ? (void)0 : __assert13(__FILE__, __LINE__, __func__, #e))
#endif

#ifndef _ASSERT_H_DECLS
#define _ASSERT_H_DECLS
__BEGIN_DECLS
__dead void __assert13(const char *, int, const char *, const char *);
__END_DECLS
#define static_assert _Static_assert
#endif
