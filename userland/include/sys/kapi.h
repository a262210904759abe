/*
 * kw86: <sys/kapi.h>, the kernel functions and variables a kernelware uses
 * directly (kw86/nbsd/kapi.py is the kernel's side; `kw86 ksyms` prints their
 * addresses as a link script).
 *
 * Call these only at CPL 0 (in_kernel_mode() in <kernelware.h>): they are
 * kernel addresses, and from user mode a call is a page fault (SIGSEGV).
 *
 * Two ways to link:
 *  - static, as in the paper: link with the script of `kw86 ksyms`
 *    (python userland/build.py --program prog.c --ksyms ksyms.ld).  This header
 *    puts the kernel's build id from the script into an ELF note; exec refuses the
 *    program on another kernel ("linked for kernel X, this is Y: relink").
 *  - dynamic (beyond the paper): #define KAPI_DYNAMIC before including this header.
 *    Every name below then goes through a pointer that exec fills in from the
 *    running kernel's symbols (a table of (name, slot) pairs and a note with its
 *    bounds); no script, no relink.
 *
 * Names and meanings are NetBSD's where they fit; the structures are kw86's
 * layouts with NetBSD's field names (only the fields below exist).  Differences:
 * kw86's buffer cache writes through, so bdwrite() is bwrite(); bwrite() writes
 * b_bcount bytes at the block's place in the file and extends the file to cover
 * them; f_offset and v_size are values at the time the structure was handed out.
 */
#ifndef _SYS_KAPI_H_
#define _SYS_KAPI_H_

#include <sys/cdefs.h>
#include <sys/types.h>

#define MAXCOMLEN 16

struct filedesc;                        /* opaque: p_fd, getvnode's first argument */
struct ucred;                           /* opaque: pass NOCRED */
#define NOCRED ((struct ucred *)0)

struct proc {
	struct filedesc *p_fd;          /* its open files */
	int      p_flag;
	int      p_stat;                /* SRUN 2, SSLEEP 3, SSTOP 4, SZOMB 5, SONPROC 7 */
	pid_t    p_pid;
	struct proc *p_pptr;            /* the parent (0 if unknown) */
	uid_t    p_ruid;                /* real and effective user id (NetBSD: p_cred) */
	uid_t    p_uid;
	char     p_comm[MAXCOMLEN + 1];
};

enum vtype { VNON, VREG, VDIR, VBLK, VCHR, VLNK, VSOCK, VFIFO, VBAD };

struct vnode {
	enum vtype v_type;
	int      v_usecount;
	void    *v_mount;
	void    *v_data;
	off_t    v_size __attribute__((aligned(4)));  /* the file's size */
	long     v_id;
};

#define DTYPE_VNODE 1
struct file {
	int      f_flag;                /* FREAD 1 | FWRITE 2 ... */
	int      f_iflags;
	int      f_type;                /* DTYPE_VNODE */
	int      f_count;
	off_t    f_offset __attribute__((aligned(4)));
	void    *f_ops;
	void    *f_data;                /* the struct vnode */
};

/* b_flags: NetBSD's values */
#define B_DELWRI 0x00000080
#define B_BUSY   0x00000010
#define B_DONE   0x00000200
#define B_ERROR  0x00000800
#define B_INVAL  0x00002000
#define B_READ   0x00100000

struct buf {
	long     b_flags;
	int      b_error;
	long     b_bufsize;             /* the block size (8192) */
	long     b_bcount;              /* valid bytes: bread/getblk's size; bwrite writes these */
	long     b_resid;
	caddr_t  b_data;                /* kernel virtual address of the block in memory */
	daddr_t  b_blkno;
	daddr_t  b_lblkno;              /* logical block number in the file */
	struct vnode *b_vp;
	int      b_kw86_index;
	int      b_spare[6];
};

enum uio_rw { UIO_READ, UIO_WRITE };
enum uio_seg { UIO_USERSPACE, UIO_SYSSPACE };

/* NetBSD 1.5's struct timeval: 32-bit seconds */
struct timeval50 {
	long     tv_sec;
	long     tv_usec;
};

#define KAPI_FUNCTIONS(F) \
	F(int, kernel_printf, (const char *, ...)) \
	F(void, panic, (const char *, ...)) \
	F(int, getvnode, (struct filedesc *, int, struct file **)) \
	F(struct file *, fd_getfile, (struct filedesc *, int)) \
	F(int, bread, (struct vnode *, daddr_t, int, struct ucred *, struct buf **)) \
	F(struct buf *, getblk, (struct vnode *, daddr_t, int, int, int)) \
	F(int, bwrite, (struct buf *)) \
	F(void, bdwrite, (struct buf *)) \
	F(void, brelse, (struct buf *)) \
	F(int, vn_rdwr, (enum uio_rw, struct vnode *, caddr_t, int, off_t, enum uio_seg, int, \
	    struct ucred *, size_t *, struct proc *))
#define KAPI_VARIABLES(V) \
	V(int, hz) \
	V(int, ticks) \
	V(struct timeval50, kernel_time) \
	V(struct timeval50, boottime) \
	V(struct proc *, curproc)

#ifndef KAPI_DYNAMIC

__BEGIN_DECLS
#define KAPI_DECL_F(ret, name, args) ret name args;
#define KAPI_DECL_V(type, name) extern volatile type name;
KAPI_FUNCTIONS(KAPI_DECL_F)
KAPI_VARIABLES(KAPI_DECL_V)
__END_DECLS

/* The build id of the kernel whose script this program is linked with. */
__asm__(".pushsection .note.kw86.kernel,\"a\",@note\n"
	"\t.p2align 2\n\t.long 5, 8, 1\n\t.asciz \"kw86\"\n\t.p2align 2\n"
	"\t.long kw86_kernel_id_lo, kw86_kernel_id_hi\n\t.popsection");

#else /* KAPI_DYNAMIC */

struct kapi_rel { const char *name; void **slot; };
#define KAPI_REL(name) \
	static const struct kapi_rel __kapi_rel_##name \
	    __attribute__((used, retain, section("kw86_ksyms"), aligned(4))) = \
	    { #name, (void **)&__kapi_##name };
#define KAPI_DECL_F(ret, name, args) static ret (*__kapi_##name) args; KAPI_REL(name)
#define KAPI_DECL_V(type, name) static volatile type *__kapi_##name; KAPI_REL(name)
KAPI_FUNCTIONS(KAPI_DECL_F)
KAPI_VARIABLES(KAPI_DECL_V)

#define kernel_printf (*__kapi_kernel_printf)
#define panic (*__kapi_panic)
#define getvnode (*__kapi_getvnode)
#define fd_getfile (*__kapi_fd_getfile)
#define bread (*__kapi_bread)
#define getblk (*__kapi_getblk)
#define bwrite (*__kapi_bwrite)
#define bdwrite (*__kapi_bdwrite)
#define brelse (*__kapi_brelse)
#define vn_rdwr (*__kapi_vn_rdwr)
#define hz (*__kapi_hz)
#define ticks (*__kapi_ticks)
#define kernel_time (*__kapi_kernel_time)
#define boottime (*__kapi_boottime)
#define curproc (*__kapi_curproc)

/* Where exec finds the table to fill. */
__asm__(".pushsection .note.kw86.ksyms,\"a\",@note\n"
	"\t.p2align 2\n\t.long 5, 8, 2\n\t.asciz \"kw86\"\n\t.p2align 2\n"
	"\t.long __start_kw86_ksyms, __stop_kw86_ksyms\n\t.popsection");

#endif /* KAPI_DYNAMIC */

#endif /* !_SYS_KAPI_H_ */
