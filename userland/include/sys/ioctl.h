/* kw86 libc: <sys/ioctl.h> (NetBSD encoding, sys/ioccom.h and sys/ttycom.h). */
#ifndef _SYS_IOCTL_H_
#define _SYS_IOCTL_H_

#include <sys/cdefs.h>
#include <sys/types.h>

#define IOCPARM_MASK    0x1fff
#define IOCPARM_SHIFT   16
#define IOCGROUP_SHIFT  8
#define IOCPARM_LEN(x)  (((x) >> IOCPARM_SHIFT) & IOCPARM_MASK)
#define IOCBASECMD(x)   ((x) & ~(IOCPARM_MASK << IOCPARM_SHIFT))
#define IOCGROUP(x)     (((x) >> IOCGROUP_SHIFT) & 0xff)
#define IOC_VOID        0x20000000UL
#define IOC_OUT         0x40000000UL
#define IOC_IN          0x80000000UL
#define IOC_INOUT       (IOC_IN | IOC_OUT)
#define IOC_DIRMASK     0xe0000000UL
#define _IOC(inout, group, num, len) \
    ((inout) | (((len) & IOCPARM_MASK) << IOCPARM_SHIFT) | ((group) << IOCGROUP_SHIFT) | (num))
#define _IO(g, n)        _IOC(IOC_VOID, (g), (n), 0)
#define _IOR(g, n, t)    _IOC(IOC_OUT, (g), (n), sizeof(t))
#define _IOW(g, n, t)    _IOC(IOC_IN, (g), (n), sizeof(t))
#define _IOWR(g, n, t)   _IOC(IOC_INOUT, (g), (n), sizeof(t))

struct winsize {
    unsigned short ws_row;
    unsigned short ws_col;
    unsigned short ws_xpixel;
    unsigned short ws_ypixel;
};

struct termios;
/* sizeof(struct termios) == 44 */
#define TIOCGETA    _IOC(IOC_OUT, 't', 19, 44)    /* 0x402c7413 */
#define TIOCSETA    _IOC(IOC_IN, 't', 20, 44)     /* 0x802c7414 */
#define TIOCSETAW   _IOC(IOC_IN, 't', 21, 44)
#define TIOCSETAF   _IOC(IOC_IN, 't', 22, 44)
#define TIOCGWINSZ  _IOR('t', 104, struct winsize) /* 0x40087468 */
#define TIOCSWINSZ  _IOW('t', 103, struct winsize) /* 0x80087467 */
#define TIOCGPGRP   _IOR('t', 119, int)
#define TIOCSPGRP   _IOW('t', 118, int)
#define TIOCSCTTY   _IO('t', 97)
#define TIOCNOTTY   _IO('t', 113)
#define FIONREAD    _IOR('f', 127, int)
#define FIONBIO     _IOW('f', 126, int)
#define FIOCLEX     _IO('f', 1)
#define FIONCLEX    _IO('f', 2)

__BEGIN_DECLS
int ioctl(int, unsigned long, ...);
__END_DECLS

#endif
