/* kw86 libc: <sys/stat.h>, NetBSD 10's struct stat (__stat50, 124 bytes). */
#ifndef _SYS_STAT_H_
#define _SYS_STAT_H_

#include <sys/cdefs.h>
#include <sys/types.h>
#include <sys/time.h>

struct stat {
    dev_t     st_dev;        /*   0 */
    mode_t    st_mode;       /*   8 */
    ino_t     st_ino;        /*  12 (64-bit, 4-byte aligned on i386) */
    nlink_t   st_nlink;      /*  20 */
    uid_t     st_uid;        /*  24 */
    gid_t     st_gid;        /*  28 */
    dev_t     st_rdev;       /*  32 */
    struct timespec st_atim; /*  40 */
    struct timespec st_mtim; /*  52 */
    struct timespec st_ctim; /*  64 */
    struct timespec st_birthtim; /* 76 */
    off_t     st_size;       /*  88 */
    blkcnt_t  st_blocks;     /*  96 */
    blksize_t st_blksize;    /* 104 */
    __uint32_t st_flags;     /* 108 */
    __uint32_t st_gen;       /* 112 */
    __uint32_t st_spare[2];  /* 116 .. 124 */
};

#define st_atime st_atim.tv_sec
#define st_mtime st_mtim.tv_sec
#define st_ctime st_ctim.tv_sec
#define st_birthtime st_birthtim.tv_sec
#define st_atimespec st_atim
#define st_mtimespec st_mtim
#define st_ctimespec st_ctim
#define st_atimensec st_atim.tv_nsec
#define st_mtimensec st_mtim.tv_nsec
#define st_ctimensec st_ctim.tv_nsec

#define S_IFMT   0170000
#define S_IFIFO  0010000
#define S_IFCHR  0020000
#define S_IFDIR  0040000
#define S_IFBLK  0060000
#define S_IFREG  0100000
#define S_IFLNK  0120000
#define S_IFSOCK 0140000
#define S_IFWHT  0160000
#define S_ISUID  0004000
#define S_ISGID  0002000
#define S_ISVTX  0001000
#define S_ISTXT  S_ISVTX
#define S_IRWXU  0000700
#define S_IRUSR  0000400
#define S_IWUSR  0000200
#define S_IXUSR  0000100
#define S_IRWXG  0000070
#define S_IRGRP  0000040
#define S_IWGRP  0000020
#define S_IXGRP  0000010
#define S_IRWXO  0000007
#define S_IROTH  0000004
#define S_IWOTH  0000002
#define S_IXOTH  0000001
#define S_IREAD  S_IRUSR
#define S_IWRITE S_IWUSR
#define S_IEXEC  S_IXUSR
#define ACCESSPERMS (S_IRWXU | S_IRWXG | S_IRWXO)
#define ALLPERMS    (S_ISUID | S_ISGID | S_ISTXT | S_IRWXU | S_IRWXG | S_IRWXO)
#define DEFFILEMODE (S_IRUSR | S_IWUSR | S_IRGRP | S_IWGRP | S_IROTH | S_IWOTH)
#define S_BLKSIZE   512

#define S_ISDIR(m)  (((m) & S_IFMT) == S_IFDIR)
#define S_ISCHR(m)  (((m) & S_IFMT) == S_IFCHR)
#define S_ISBLK(m)  (((m) & S_IFMT) == S_IFBLK)
#define S_ISREG(m)  (((m) & S_IFMT) == S_IFREG)
#define S_ISFIFO(m) (((m) & S_IFMT) == S_IFIFO)
#define S_ISLNK(m)  (((m) & S_IFMT) == S_IFLNK)
#define S_ISSOCK(m) (((m) & S_IFMT) == S_IFSOCK)
#define S_ISWHT(m)  (((m) & S_IFMT) == S_IFWHT)

#define UTIME_NOW  ((1 << 30) - 1)
#define UTIME_OMIT ((1 << 30) - 2)

__BEGIN_DECLS
int    stat(const char *__restrict, struct stat *__restrict);
int    lstat(const char *__restrict, struct stat *__restrict);
int    fstat(int, struct stat *);
int    fstatat(int, const char *__restrict, struct stat *__restrict, int);
int    chmod(const char *, mode_t);
int    fchmod(int, mode_t);
int    lchmod(const char *, mode_t);
int    fchmodat(int, const char *, mode_t, int);
int    mkdir(const char *, mode_t);
int    mkdirat(int, const char *, mode_t);
int    mkfifo(const char *, mode_t);
int    mknod(const char *, mode_t, dev_t);
mode_t umask(mode_t);
int    utimensat(int, const char *, const struct timespec *, int);
int    futimens(int, const struct timespec *);
__END_DECLS

#endif
