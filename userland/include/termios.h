/* kw86 libc: <termios.h> (NetBSD layout: 4 flags, c_cc[20], speeds; 44 bytes). */
#ifndef _TERMIOS_H_
#define _TERMIOS_H_

#include <sys/cdefs.h>
#include <sys/types.h>
#include <sys/ioctl.h>

typedef unsigned int  tcflag_t;
typedef unsigned char cc_t;
typedef unsigned int  speed_t;

#define NCCS 20
#define VEOF     0
#define VEOL     1
#define VEOL2    2
#define VERASE   3
#define VWERASE  4
#define VKILL    5
#define VREPRINT 6
#define VINTR    8
#define VQUIT    9
#define VSUSP    10
#define VDSUSP   11
#define VSTART   12
#define VSTOP    13
#define VLNEXT   14
#define VDISCARD 15
#define VMIN     16
#define VTIME    17
#define VSTATUS  18

struct termios {
    tcflag_t c_iflag;    /* 0 */
    tcflag_t c_oflag;    /* 4 */
    tcflag_t c_cflag;    /* 8 */
    tcflag_t c_lflag;    /* 12 */
    cc_t     c_cc[NCCS]; /* 16 */
    int      c_ispeed;   /* 36 */
    int      c_ospeed;   /* 40 */
};

/* c_iflag */
#define IGNBRK  0x00000001
#define BRKINT  0x00000002
#define IGNPAR  0x00000004
#define PARMRK  0x00000008
#define INPCK   0x00000010
#define ISTRIP  0x00000020
#define INLCR   0x00000040
#define IGNCR   0x00000080
#define ICRNL   0x00000100
#define IXON    0x00000200
#define IXOFF   0x00000400
#define IXANY   0x00000800
#define IMAXBEL 0x00002000
/* c_oflag */
#define OPOST   0x00000001
#define ONLCR   0x00000002
/* c_cflag */
#define CSIZE   0x00000300
#define CS5     0x00000000
#define CS6     0x00000100
#define CS7     0x00000200
#define CS8     0x00000300
#define CSTOPB  0x00000400
#define CREAD   0x00000800
#define PARENB  0x00001000
#define PARODD  0x00002000
#define HUPCL   0x00004000
#define CLOCAL  0x00008000
/* c_lflag */
#define ECHOKE  0x00000001
#define ECHOE   0x00000002
#define ECHOK   0x00000004
#define ECHO    0x00000008
#define ECHONL  0x00000010
#define ECHOPRT 0x00000020
#define ECHOCTL 0x00000040
#define ISIG    0x00000080
#define ICANON  0x00000100
#define ALTWERASE 0x00000200
#define IEXTEN  0x00000400
#define TOSTOP  0x00400000
#define NOFLSH  0x80000000

#define TCSANOW   0
#define TCSADRAIN 1
#define TCSAFLUSH 2
#define TCSASOFT  0x10

#define B0      0
#define B9600   9600
#define B19200  19200
#define B38400  38400
#define B115200 115200

__BEGIN_DECLS
int     tcgetattr(int, struct termios *);
int     tcsetattr(int, int, const struct termios *);
speed_t cfgetispeed(const struct termios *);
speed_t cfgetospeed(const struct termios *);
int     cfsetispeed(struct termios *, speed_t);
int     cfsetospeed(struct termios *, speed_t);
void    cfmakeraw(struct termios *);
__END_DECLS

#endif
