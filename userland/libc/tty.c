/* kw86 libc: terminals, through the NetBSD tty ioctls. */
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>
#include <errno.h>
#include <string.h>

int
tcgetattr(int fd, struct termios *t)
{
    return ioctl(fd, TIOCGETA, t);
}

int
tcsetattr(int fd, int action, const struct termios *t)
{
    unsigned long req;

    switch (action & ~TCSASOFT) {
    case TCSANOW:   req = TIOCSETA; break;
    case TCSADRAIN: req = TIOCSETAW; break;
    case TCSAFLUSH: req = TIOCSETAF; break;
    default:
        errno = EINVAL;
        return -1;
    }
    return ioctl(fd, req, t);
}

/* A terminal is a descriptor that answers TIOCGETA. */
int
isatty(int fd)
{
    struct termios t;
    int e = errno;

    if (ioctl(fd, TIOCGETA, &t) == 0)
        return 1;
    if (errno != EBADF)
        errno = ENOTTY;
    (void)e;
    return 0;
}

speed_t cfgetispeed(const struct termios *t) { return (speed_t)t->c_ispeed; }
speed_t cfgetospeed(const struct termios *t) { return (speed_t)t->c_ospeed; }
int cfsetispeed(struct termios *t, speed_t s) { t->c_ispeed = (int)s; return 0; }
int cfsetospeed(struct termios *t, speed_t s) { t->c_ospeed = (int)s; return 0; }

void
cfmakeraw(struct termios *t)
{
    t->c_iflag &= ~(unsigned)(IMAXBEL | IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR |
                              IGNCR | ICRNL | IXON);
    t->c_oflag &= ~(unsigned)OPOST;
    t->c_lflag &= ~(unsigned)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
    t->c_cflag &= ~(unsigned)(CSIZE | PARENB);
    t->c_cflag |= CS8;
    t->c_cc[VMIN] = 1;
    t->c_cc[VTIME] = 0;
}

pid_t
tcgetpgrp(int fd)
{
    int pgrp;

    if (ioctl(fd, TIOCGPGRP, &pgrp) < 0)
        return -1;
    return pgrp;
}

int
tcsetpgrp(int fd, pid_t pgrp)
{
    int p = pgrp;

    return ioctl(fd, TIOCSPGRP, &p);
}
