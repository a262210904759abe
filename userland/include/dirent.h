/* kw86 libc: <dirent.h>; struct dirent as NetBSD 10's __getdents30 returns it. */
#ifndef _DIRENT_H_
#define _DIRENT_H_

#include <sys/cdefs.h>
#include <sys/types.h>

#define MAXNAMLEN 511

struct dirent {
    ino_t          d_fileno;             /* 0  (64-bit) */
    unsigned short d_reclen;             /* 8  length of this record */
    unsigned short d_namlen;             /* 10 strlen(d_name) */
    unsigned char  d_type;               /* 12 DT_* */
    char           d_name[MAXNAMLEN + 1];/* 13; sizeof(struct dirent) = 528 */
};
#define d_ino d_fileno

#define DT_UNKNOWN  0
#define DT_FIFO     1
#define DT_CHR      2
#define DT_DIR      4
#define DT_BLK      6
#define DT_REG      8
#define DT_LNK      10
#define DT_SOCK     12
#define DT_WHT      14
#define IFTODT(mode) (((mode) & 0170000) >> 12)
#define DTTOIF(dt)   ((dt) << 12)

/* The size of a record holding a name of namlen bytes: 8-byte aligned. */
#define _DIRENT_RECLEN(namlen) ((13 + (namlen) + 1 + 7) & ~7)

typedef struct _kw86_dir DIR;

__BEGIN_DECLS
DIR    *opendir(const char *);
DIR    *fdopendir(int);
struct dirent *readdir(DIR *);
int     readdir_r(DIR *__restrict, struct dirent *__restrict, struct dirent **__restrict);
void    rewinddir(DIR *);
int     closedir(DIR *);
int     dirfd(DIR *);
long    telldir(DIR *);
void    seekdir(DIR *, long);
int     getdents(int, char *, size_t);
int     scandir(const char *, struct dirent ***, int (*)(const struct dirent *),
                int (*)(const struct dirent **, const struct dirent **));
int     alphasort(const struct dirent **, const struct dirent **);
__END_DECLS

#endif
