/* kw86 libc: <sys/shm.h>, System V shared memory (NetBSD 10: shmctl is
 * __shmctl50, 64-bit time_t). */
#ifndef _SYS_SHM_H_
#define _SYS_SHM_H_

#include <sys/ipc.h>

#define SHM_RDONLY	010000	/* Attach read-only (else read-write) */
#define SHM_RND		020000	/* Round attach address to SHMLBA */
#define SHMLBA		4096	/* Segment low boundary address multiple (PAGE_SIZE) */

typedef unsigned int	shmatt_t;

struct shmid_ds {
	struct ipc_perm	shm_perm;	/* operation permission structure */
	size_t		shm_segsz;	/* size of segment in bytes */
	pid_t		shm_lpid;	/* process ID of last shm operation */
	pid_t		shm_cpid;	/* process ID of creator */
	shmatt_t	shm_nattch;	/* number of current attaches */
	time_t		shm_atime;	/* time of last shmat() */
	time_t		shm_dtime;	/* time of last shmdt() */
	time_t		shm_ctime;	/* time of last change by shmctl() */
	void		*_shm_internal;	/* private */
};

#define SHM_LOCK	3	/* Lock segment in memory. */
#define SHM_UNLOCK	4	/* Unlock a segment locked by SHM_LOCK. */
#define SHM_R		IPC_R
#define SHM_W		IPC_W

struct shminfo {
	__uint64_t shmmax;
	__uint32_t shmmin, shmmni, shmseg, shmall;
};

struct shmid_ds_sysctl {
	struct ipc_perm_sysctl shm_perm;
	__uint64_t	shm_segsz;
	pid_t		shm_lpid;
	pid_t		shm_cpid;
	time_t		shm_atime;
	time_t		shm_dtime;
	time_t		shm_ctime;
	__uint32_t	shm_nattch;
};
struct shm_sysctl_info {
	struct shminfo	shminfo;
	struct shmid_ds_sysctl shmids[1];
};

__BEGIN_DECLS
void	*shmat(int, const void *, int);
int	shmctl(int, int, struct shmid_ds *);
int	shmdt(const void *);
int	shmget(key_t, size_t, int);
__END_DECLS

#endif /* !_SYS_SHM_H_ */
