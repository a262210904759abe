/*
 * kw86 libc: the System V IPC calls that are not plain stubs.
 *
 * semctl(2): the fourth argument, a union semun the program declares, is
 * only read for the commands that use it (IPC_STAT, IPC_SET, GETALL, SETVAL,
 * SETALL); the kernel's ____semctl50 takes a pointer to it (NetBSD's
 * __semctl50 does the same).
 *
 * ftok(3): NetBSD's key: the low 8 bits of id, the low 8 bits of the
 * file's st_dev, the low 16 bits of its st_ino:
 * (id & 0xff) << 24 | (st_dev & 0xff) << 16 | (st_ino & 0xffff);
 * (key_t)-1 with errno from stat(2) when the file cannot be stat'ed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>

/* NetBSD 10/i386's layouts (the kernel packs the same: sysvipc.py) */
#define CHECK(cond) _Static_assert(cond, #cond)
CHECK(sizeof(struct ipc_perm) == 28 && offsetof(struct ipc_perm, _key) == 24);
CHECK(sizeof(struct semid_ds) == 52 && offsetof(struct semid_ds, sem_otime) == 32);
CHECK(sizeof(struct sembuf) == 6);
CHECK(sizeof(struct msqid_ds) == 80 && offsetof(struct msqid_ds, msg_stime) == 44);
CHECK(sizeof(struct shmid_ds) == 72 && offsetof(struct shmid_ds, shm_atime) == 44);
CHECK(sizeof(struct ipc_perm_sysctl) == 32 && sizeof(struct msgid_ds_sysctl) == 92);
CHECK(sizeof(struct semid_ds_sysctl) == 56 && sizeof(struct shmid_ds_sysctl) == 76);
CHECK(offsetof(struct msg_sysctl_info, msgids) == 24);
CHECK(offsetof(struct sem_sysctl_info, semids) == 40);
CHECK(offsetof(struct shm_sysctl_info, shmids) == 24);

int ____semctl50(int, int, int, union __semun *);

int
semctl(int semid, int semnum, int cmd, ...)
{
	union __semun arg;
	va_list ap;

	switch (cmd) {
	case IPC_SET:
	case IPC_STAT:
	case GETALL:
	case SETVAL:
	case SETALL:
		va_start(ap, cmd);
		arg = va_arg(ap, union __semun);
		va_end(ap);
		return ____semctl50(semid, semnum, cmd, &arg);
	default:
		return ____semctl50(semid, semnum, cmd, 0);
	}
}

key_t
ftok(const char *path, int id)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return (key_t)-1;
	return (key_t)((unsigned)(id & 0xff) << 24 | (unsigned)(st.st_dev & 0xff) << 16 |
	    (unsigned)(st.st_ino & 0xffff));
}
