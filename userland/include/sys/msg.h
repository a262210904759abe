/* kw86 libc: <sys/msg.h>, System V message queues (NetBSD 10: msgctl is
 * __msgctl50, 64-bit time_t). */
#ifndef _SYS_MSG_H_
#define _SYS_MSG_H_

#include <sys/ipc.h>

#define MSG_NOERROR	010000		/* don't complain about too long msgs */

typedef unsigned long	msgqnum_t;
typedef size_t		msglen_t;

struct msqid_ds {
	struct ipc_perm	msg_perm;	/* operation permission structure */
	msgqnum_t	msg_qnum;	/* number of messages in the queue */
	msglen_t	msg_qbytes;	/* max # of bytes in the queue */
	pid_t		msg_lspid;	/* process ID of last msgsnd() */
	pid_t		msg_lrpid;	/* process ID of last msgrcv() */
	time_t		msg_stime;	/* time of last msgsnd() */
	time_t		msg_rtime;	/* time of last msgrcv() */
	time_t		msg_ctime;	/* time of last change */
	struct __msg	*_msg_first;	/* private */
	struct __msg	*_msg_last;	/* private */
	msglen_t	_msg_cbytes;	/* # of bytes currently in queue */
};

struct msginfo {
	__int32_t	msgmax, msgmni, msgmnb, msgtql, msgssz, msgseg;
};

struct msgid_ds_sysctl {
	struct ipc_perm_sysctl msg_perm;
	__uint64_t	msg_qnum;
	__uint64_t	msg_qbytes;
	__uint64_t	_msg_cbytes;
	pid_t		msg_lspid;
	pid_t		msg_lrpid;
	time_t		msg_stime;
	time_t		msg_rtime;
	time_t		msg_ctime;
	__int32_t	pad;
};
struct msg_sysctl_info {
	struct msginfo	msginfo;
	struct msgid_ds_sysctl msgids[1];
};

__BEGIN_DECLS
int	msgctl(int, int, struct msqid_ds *);
int	msgget(key_t, int);
int	msgsnd(int, const void *, size_t, int);
ssize_t	msgrcv(int, void *, size_t, long, int);
__END_DECLS

#endif /* !_SYS_MSG_H_ */
