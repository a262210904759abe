/*
 * Compile-time checks that the headers give NetBSD 10/i386's layouts and values
 * (../../shared/netbsd-i386-abi.md section 3 and 4).  No code: a wrong layout fails
 * the build here instead of corrupting memory in the guest.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <sys/mman.h>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <termios.h>
#include <errno.h>

#define CHECK(cond) _Static_assert(cond, #cond)

CHECK(sizeof(struct stat) == 124);
CHECK(offsetof(struct stat, st_mode) == 8);
CHECK(offsetof(struct stat, st_ino) == 12);
CHECK(offsetof(struct stat, st_nlink) == 20);
CHECK(offsetof(struct stat, st_uid) == 24);
CHECK(offsetof(struct stat, st_rdev) == 32);
CHECK(offsetof(struct stat, st_atim) == 40);
CHECK(offsetof(struct stat, st_mtim) == 52);
CHECK(offsetof(struct stat, st_ctim) == 64);
CHECK(offsetof(struct stat, st_birthtim) == 76);
CHECK(offsetof(struct stat, st_size) == 88);
CHECK(offsetof(struct stat, st_blocks) == 96);
CHECK(offsetof(struct stat, st_blksize) == 104);
CHECK(offsetof(struct stat, st_flags) == 108);
CHECK(sizeof(struct timespec) == 12 && sizeof(struct timeval) == 12);
CHECK(sizeof(time_t) == 8 && sizeof(off_t) == 8 && sizeof(ino_t) == 8 && sizeof(dev_t) == 8);
CHECK(sizeof(size_t) == 4 && sizeof(long) == 4 && sizeof(void *) == 4);

CHECK(offsetof(struct dirent, d_reclen) == 8);
CHECK(offsetof(struct dirent, d_namlen) == 10);
CHECK(offsetof(struct dirent, d_type) == 12);
CHECK(offsetof(struct dirent, d_name) == 13);
CHECK(sizeof(struct dirent) == 528);

CHECK(sizeof(sigset_t) == 16);
CHECK(sizeof(struct sigaction) == 24);
CHECK(offsetof(struct sigaction, sa_mask) == 4);
CHECK(offsetof(struct sigaction, sa_flags) == 20);
CHECK(sizeof(siginfo_t) == 128);
CHECK(sizeof(stack_t) == 12);

CHECK(sizeof(struct termios) == 44);
CHECK(offsetof(struct termios, c_cc) == 16);
CHECK(offsetof(struct termios, c_ispeed) == 36);
CHECK(sizeof(struct winsize) == 8);
CHECK(TIOCGETA == 0x402c7413UL);
CHECK(TIOCSETA == 0x802c7414UL);
CHECK(TIOCGWINSZ == 0x40087468UL);
CHECK(TIOCSWINSZ == 0x80087467UL);

CHECK(sizeof(struct rlimit) == 16);
CHECK(sizeof(struct rusage) == 80);
CHECK(sizeof(struct flock) == 24);
CHECK(sizeof(struct pollfd) == 8);
CHECK(sizeof(jmp_buf) == 13 * 4);

CHECK(O_CREAT == 0x200 && O_TRUNC == 0x400 && O_EXCL == 0x800 && O_APPEND == 0x8);
CHECK(O_DIRECTORY == 0x200000 && O_CLOEXEC == 0x400000 && O_NOFOLLOW == 0x100);
CHECK(MAP_ANON == 0x1000 && MAP_PRIVATE == 2 && MAP_FIXED == 0x10);
CHECK(ENOSYS == 78 && ENOTEMPTY == 66 && EAGAIN == 35 && ELOOP == 62 && EFTYPE == 79);
CHECK(SIGCHLD == 20 && SIGUSR1 == 30 && SIGSYS == 12 && SIGPWR == 32);
CHECK(SA_SIGINFO == 0x40 && SA_RESTART == 2);
CHECK(WNOHANG == 1 && WUNTRACED == 2);
CHECK(S_IFLNK == 0120000 && S_IFDIR == 0040000);
CHECK(DT_DIR == 4 && DT_LNK == 10 && DT_REG == 8);
CHECK(AT_FDCWD == -100);
