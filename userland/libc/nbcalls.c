/* kw86 libc: posix_fallocate(2) and fdiscard(2) over their system calls
 * (479, 480: a PAD word before the 64-bit arguments).  posix_fallocate
 * returns the error number, as the kernel does (never errno). */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

int __sys_posix_fallocate(int, int, off_t, off_t);
int __sys_fdiscard(int, int, off_t, off_t);

int
posix_fallocate(int fd, off_t pos, off_t len)
{
    return __sys_posix_fallocate(fd, 0, pos, len);
}

int
fdiscard(int fd, off_t pos, off_t len)
{
    return __sys_fdiscard(fd, 0, pos, len);
}
