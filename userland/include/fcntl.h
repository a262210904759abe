/* kw86 libc: <fcntl.h> with NetBSD's values (sys/fcntl.h). */
#ifndef _FCNTL_H_
#define _FCNTL_H_

#include <sys/cdefs.h>
#include <sys/types.h>
#if defined(_XOPEN_SOURCE)
#include <sys/stat.h>       /* the S_I* mode bits, as NetBSD's sys/fcntl.h gives them to XSI programs */
#endif

#define O_RDONLY    0x00000000
#define O_WRONLY    0x00000001
#define O_RDWR      0x00000002
#define O_ACCMODE   0x00000003
#define O_NONBLOCK  0x00000004
#define O_APPEND    0x00000008
#define O_SHLOCK    0x00000010
#define O_EXLOCK    0x00000020
#define O_ASYNC     0x00000040
#define O_SYNC      0x00000080
#define O_NOFOLLOW  0x00000100
#define O_CREAT     0x00000200
#define O_TRUNC     0x00000400
#define O_EXCL      0x00000800
#define O_NOCTTY    0x00008000
#define O_DSYNC     0x00010000
#define O_RSYNC     0x00020000
#define O_DIRECTORY 0x00200000
#define O_CLOEXEC   0x00400000
#define O_NDELAY    O_NONBLOCK
#define FREAD       0x00000001
#define FWRITE      0x00000002

#define F_DUPFD     0
#define F_GETFD     1
#define F_SETFD     2
#define F_GETFL     3
#define F_SETFL     4
#define F_GETOWN    5
#define F_SETOWN    6
#define F_GETLK     7
#define F_SETLK     8
#define F_SETLKW    9
#define F_CLOSEM    10
#define F_MAXFD     11
#define F_DUPFD_CLOEXEC 12
#define FD_CLOEXEC  1
#define F_RDLCK     1
#define F_UNLCK     2
#define F_WRLCK     3

#define AT_FDCWD            (-100)
#define AT_EACCESS          0x100
#define AT_SYMLINK_NOFOLLOW 0x200
#define AT_SYMLINK_FOLLOW   0x400
#define AT_REMOVEDIR        0x800

#ifndef SEEK_SET
#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2
#endif

struct flock {
    off_t l_start;      /* starting offset */
    off_t l_len;        /* len = 0 means until end of file */
    pid_t l_pid;        /* lock owner */
    short l_type;       /* F_RDLCK, F_WRLCK, F_UNLCK */
    short l_whence;     /* SEEK_* */
};

/* flock(2) operations */
#define LOCK_SH 0x01            /* shared */
#define LOCK_EX 0x02            /* exclusive */
#define LOCK_NB 0x04            /* do not block */
#define LOCK_UN 0x08            /* unlock */

__BEGIN_DECLS
int flock(int, int);
int open(const char *, int, ...);
int openat(int, const char *, int, ...);
int creat(const char *, mode_t);
int fcntl(int, int, ...);
int posix_fallocate(int, off_t, off_t);
__END_DECLS

#endif
