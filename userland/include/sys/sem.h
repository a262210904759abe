/* kw86 libc: <sys/sem.h>, System V semaphores (NetBSD 10: semctl is
 * __semctl50 over the ____semctl50 system call, 64-bit time_t). */
#ifndef _SYS_SEM_H_
#define _SYS_SEM_H_

#include <sys/ipc.h>

struct semid_ds {
	struct ipc_perm	sem_perm;	/* operation permission structure */
	unsigned short	sem_nsems;	/* number of semaphores in set */
	time_t		sem_otime;	/* last semop() time */
	time_t		sem_ctime;	/* last time changed by semctl() */
	struct __sem	*_sem_base;	/* private */
};

struct sembuf {
	unsigned short	sem_num;	/* semaphore # */
	short		sem_op;		/* semaphore operation */
	short		sem_flg;	/* operation flags */
};
#define SEM_UNDO	010000		/* undo changes on process exit */

/* semctl's fourth argument: the program declares it (X/Open), NetBSD's
 * libc and kernel use this layout */
union __semun {
	int		val;		/* value for SETVAL */
	struct semid_ds	*buf;		/* buffer for IPC_STAT & IPC_SET */
	unsigned short	*array;		/* array for GETALL & SETALL */
};

#define GETNCNT	3	/* Return the value of semncnt {READ} */
#define GETPID	4	/* Return the value of sempid {READ} */
#define GETVAL	5	/* Return the value of semval {READ} */
#define GETALL	6	/* Return semvals into arg.array {READ} */
#define GETZCNT	7	/* Return the value of semzcnt {READ} */
#define SETVAL	8	/* Set the value of semval to arg.val {ALTER} */
#define SETALL	9	/* Set semvals from arg.array {ALTER} */

#define SEM_A	0200	/* alter permission */
#define SEM_R	0400	/* read permission */
#define SEM_ALLOC 01000	/* semaphore is allocated (ipcs) */

struct seminfo {
	__int32_t	semmap, semmni, semmns, semmnu, semmsl, semopm, semume, semusz,
		semvmx, semaem;
};

struct semid_ds_sysctl {
	struct ipc_perm_sysctl sem_perm;
	__int16_t	sem_nsems;
	__int16_t	pad2;
	__int32_t	pad3;
	time_t		sem_otime;
	time_t		sem_ctime;
};
struct sem_sysctl_info {
	struct seminfo	seminfo;
	struct semid_ds_sysctl semids[1];
};

__BEGIN_DECLS
int	semctl(int, int, int, ...);
int	semget(key_t, int, int);
int	semop(int, struct sembuf *, size_t);
int	semconfig(int);
__END_DECLS

#endif /* !_SYS_SEM_H_ */
