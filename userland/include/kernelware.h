/*
 * kw86 libc: <kernelware.h>, for programs that know they may run in the kernel.
 *
 * A kernelware is an unmodified program that kw86 runs at CPL 0 (`kw86 exec
 * --kernelware PROG`).  Its libc's system-call stubs then make a plain near call
 * into the kernel instead of trapping.  This header is the small, optional API for
 * programs that want more: switching privilege for part of their run, and calling
 * kernel functions directly.
 */
#ifndef _KERNELWARE_H_
#define _KERNELWARE_H_

#include <sys/cdefs.h>
#include <sys/types.h>

/* kw86-private system calls (NetBSD uses nothing above 506; the kernel masks with 511). */
#define SYS_kw86_switch_to_kernel 510
#define SYS_kw86_switch_to_user   511

/* The auxiliary-vector entry in which the kernel publishes its system-call gate. */
#define AT_KW86_SYSCALL_GATE 0x4b57     /* 'KW' = 19287 */

__BEGIN_DECLS
/*
 * Run the rest of the process in kernel mode (CPL 0) / user mode (CPL 3).  Return 0,
 * or -1 with errno set (EPERM when the kernelware module is not loaded or the process
 * is not allowed to, ENOSYS on a kernel without kw86's extension).  Both are
 * idempotent: switching to the mode one is already in succeeds and does nothing.
 */
int switch_to_kernel_mode(void);
int switch_to_user_mode(void);

/* 1 when the code runs at CPL 0 (the low two bits of %cs), else 0. */
static __inline int
in_kernel_mode(void)
{
    unsigned int cs;
    __asm__ __volatile__("movl %%cs, %0" : "=r"(cs));
    return (cs & 3) == 0;
}

/*
 * The gate the system-call stubs call at CPL 0, from the auxiliary vector (0 when
 * the kernel published none).
 */
extern void *__kw86_syscall_gate;

/*
 * ---- Kernel functions a kernelware may call directly -------------------------------
 *
 * DEPENDS ON THE KERNEL: these are implemented by the kw86 kernel, not by this libc.
 * A program that uses them must be linked with the link script the kernel exports
 * (`kw86 ksyms`, giving each symbol its kernel address), must run at CPL 0 when it
 * calls them (check in_kernel_mode() first), and must be relinked when the kernel
 * changes.  Linking without that script leaves them undefined, on purpose.
 */

/*
 * Copy len bytes from the current offset of from_fd to the current offset of to_fd
 * inside the kernel's buffer cache (no copy through a user buffer), advancing both
 * offsets: the paper's 11-line change to cp.  Returns the number of bytes copied,
 * or a negative errno value (kernel code cannot reach the program's errno).
 */
off_t kw_bcopy_file(int from_fd, int to_fd, off_t len);

__END_DECLS

#endif
