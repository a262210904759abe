/* kw86 libc: <sys/param.h>. */
#ifndef _SYS_PARAM_H_
#define _SYS_PARAM_H_

#include <sys/types.h>
#include <limits.h>

#define __NetBSD_Version__ 1000000000   /* NetBSD 10.0: the ABI we are built for */
#define __NetBSD__ 1
#define BSD     199506
#define BSD4_3  1
#define BSD4_4  1

#define MAXPATHLEN    PATH_MAX
#define MAXSYMLINKS   32
#define MAXHOSTNAMELEN 256
#define MAXLOGNAME    16
#define MAXCOMLEN     16
#define MAXBSIZE      65536
#define DEV_BSIZE     512
#define DEV_BSHIFT    9
#define NBBY          8
#define NOFILE        OPEN_MAX
#define NGROUPS       NGROUPS_MAX
#define HZ            100
#define PAGE_SIZE     4096
#define PAGE_SHIFT    12
#define PGSHIFT       12
#define NBPG          4096
#define USRSTACK      0xbfc00000
#define KERNBASE      0xc0000000

#define MIN(a, b)       (((a) < (b)) ? (a) : (b))
#define MAX(a, b)       (((a) > (b)) ? (a) : (b))
#define howmany(x, y)   (((x) + ((y) - 1)) / (y))
#define roundup(x, y)   ((((x) + ((y) - 1)) / (y)) * (y))
#define rounddown(x, y) (((x) / (y)) * (y))
#define powerof2(x)     ((((x) - 1) & (x)) == 0)
#define nitems(x)       (sizeof(x) / sizeof((x)[0]))
#define __arraycount(x) (sizeof(x) / sizeof((x)[0]))
#define setbit(a, i)    ((a)[(i) / NBBY] |= 1 << ((i) % NBBY))
#define clrbit(a, i)    ((a)[(i) / NBBY] &= ~(1 << ((i) % NBBY)))
#define isset(a, i)     ((a)[(i) / NBBY] & (1 << ((i) % NBBY)))
#define isclr(a, i)     (((a)[(i) / NBBY] & (1 << ((i) % NBBY))) == 0)

#endif
