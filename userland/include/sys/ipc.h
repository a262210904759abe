/* kw86 libc: <sys/ipc.h>, System V IPC (NetBSD's field order and values;
 * the kernel side is kw86/nbsd/syscalls/sysvipc.py). */
#ifndef _SYS_IPC_H_
#define _SYS_IPC_H_

#include <sys/cdefs.h>
#include <sys/types.h>

struct ipc_perm {
	uid_t		uid;	/* user id */
	gid_t		gid;	/* group id */
	uid_t		cuid;	/* creator user id */
	gid_t		cgid;	/* creator group id */
	mode_t		mode;	/* r/w permission */
	unsigned short	_seq;	/* sequence number (private) */
	key_t		_key;	/* the key (private) */
};

/* kern.ipc.sysvipc_info's form of it (ipcs(1)) */
struct ipc_perm_sysctl {
	__uint64_t	_key;
	uid_t		uid;
	gid_t		gid;
	uid_t		cuid;
	gid_t		cgid;
	mode_t		mode;
	__int16_t	_seq;
	__int16_t	pad;
};

#define IPC_R		000400	/* read permission */
#define IPC_W		000200	/* write/alter permission */
#define IPC_M		010000	/* permission to change control info */

#define IPC_CREAT	001000
#define IPC_EXCL	002000
#define IPC_NOWAIT	004000

#define IPC_PRIVATE	((key_t)0)

#define IPC_RMID	0
#define IPC_SET		1
#define IPC_STAT	2

/* the id of slot ix with perm's sequence number (ipcs(1)) */
#define IXSEQ_TO_IPCID(ix, perm) (((perm)._seq << 16) | ((ix) & 0xffff))

__BEGIN_DECLS
key_t	ftok(const char *, int);
__END_DECLS

#endif /* !_SYS_IPC_H_ */
