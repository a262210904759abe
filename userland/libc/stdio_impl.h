/* kw86 libc: FILE flags and helpers shared by the stdio files. */
#ifndef _KW86_STDIO_IMPL_H_
#define _KW86_STDIO_IMPL_H_

#include <stdio.h>

#define __SRD      0x0001   /* opened for reading */
#define __SWR      0x0002   /* opened for writing */
#define __SEOF     0x0010   /* end of file seen */
#define __SERR     0x0020   /* error seen */
#define __SAPP     0x0040   /* O_APPEND: every write goes to the end */
#define __SMODESET 0x0080   /* buffering mode decided */
#define __SMBF     0x0100   /* buf came from malloc */
#define __SREADING 0x0400   /* buffer holds input */
#define __SWRITING 0x0800   /* buffer holds output */
#define __SSTATIC  0x1000   /* the FILE itself is static (stdin/stdout/stderr) */

int __kw86_fwrite_bytes(FILE *fp, const char *p, size_t n);
int __kw86_parse_mode(const char *mode, int *oflags, int *fflags);

#endif
