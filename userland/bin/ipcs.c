/*
 * ipcs -- report System V IPC status (kw86 userland, after ipcs(1) of
 * NetBSD: its options and output format, written for this project).
 *
 *   ipcs [-abcmopqstMQST]
 *
 * -q, -m, -s: the message queues, shared memory segments, semaphore sets
 * (all three by default), one line each: type, id, key, mode, owner, group;
 * -b the biggest allowed size (QBYTES, SEGSZ, NSEMS), -c the creator, -o
 * outstanding use (CBYTES and QNUM, NATTCH), -p the pids (LSPID LRPID,
 * CPID LPID), -t the times (hh:mm:ss or no-entry), -a all of them;
 * -Q, -M, -S, -T the kernel's limits.  Everything comes from sysctl(3):
 * kern.sysvmsg/sysvsem/sysvshm and kern.ipc.sysvipc_info (the kernel's
 * tables, kw86/nbsd/syscalls/sysvipc.py).  NetBSD's -C core and -N
 * namelist (kvm(3) on a kernel image) have no kernel image to read here.
 */
#include <err.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/sysctl.h>
#include <time.h>
#include <unistd.h>

#define SHMINFO		1
#define SHMTOTAL	2
#define MSGINFO		4
#define MSGTOTAL	8
#define SEMINFO		16
#define SEMTOTAL	32

#define BIGGEST		1
#define CREATOR		2
#define OUTSTANDING	4
#define PID		8
#define TIME		16

static int display, option;

static void
usage(void)
{
	fprintf(stderr, "usage: ipcs [-abcmopqstMQST]\n");
	exit(1);
}

/* --rw-r----- : r, w and a (alter) for owner, group, other */
static const char *
perm_string(unsigned mode)
{
	static char b[12];
	static const char bits[] = "rwarwarwa";
	int i;

	b[0] = b[1] = '-';
	for (i = 0; i < 9; i++)
		b[2 + i] = mode & (0400 >> i) ? bits[i] : '-';
	b[11] = 0;
	return b;
}

static const char *
hms(time_t t)
{
	static char b[3][16];
	static int n;
	struct tm *tm;
	char *s = b[n++ % 3];

	if (t == 0)
		return "no-entry";
	tm = localtime(&t);
	snprintf(s, 16, "%2d:%02d:%02d", tm->tm_hour, tm->tm_min, tm->tm_sec);
	return s;
}

static void
owner(uid_t uid, gid_t gid)
{
	printf(" %8s %8s", user_from_uid(uid, 0), group_from_gid(gid, 0));
}

static void
line_head(char t, int id, __uint64_t key, unsigned mode, uid_t uid, gid_t gid)
{
	printf("%c %9d %10lld %s", t, id, (long long)key, perm_string(mode));
	owner(uid, gid);
}

static void
header(const char *what, const char *more)
{
	printf("%s:\nT        ID     KEY        MODE       OWNER    GROUP%s", what, more);
}

/* kern.sysv* says 1, then the whole of kern.ipc.sysvipc_info.<which> */
static void *
table(int facility, int which, const char *name)
{
	int mib[4], valid;
	size_t len = sizeof valid;
	void *buf;

	mib[0] = CTL_KERN;
	mib[1] = facility;
	if (sysctl(mib, 2, &valid, &len, NULL, 0) < 0) {
		warn("sysctl(%s)", name);
		return NULL;
	}
	if (!valid) {
		warnx("SVID %s facility not configured in the system", name);
		return NULL;
	}
	mib[1] = KERN_SYSVIPC;
	mib[2] = KERN_SYSVIPC_INFO;
	mib[3] = which;
	if (sysctl(mib, 4, NULL, &len, NULL, 0) < 0) {
		warn("sysctl(kern.ipc.sysvipc_info)");
		return NULL;
	}
	if ((buf = malloc(len)) == NULL)
		err(1, "malloc");
	if (sysctl(mib, 4, buf, &len, NULL, 0) < 0) {
		warn("sysctl(kern.ipc.sysvipc_info)");
		free(buf);
		return NULL;
	}
	return buf;
}

static void
messages(void)
{
	struct msg_sysctl_info *t = table(KERN_SYSVMSG, KERN_SYSVIPC_MSG_INFO, "messages");
	struct msginfo *mi;
	int i;

	if (t == NULL)
		return;
	mi = &t->msginfo;
	if (display & MSGTOTAL) {
		printf("msginfo:\n");
		printf("\tmsgmax: %6d\t(max characters in a message)\n", mi->msgmax);
		printf("\tmsgmni: %6d\t(# of message queues)\n", mi->msgmni);
		printf("\tmsgmnb: %6d\t(max characters in a message queue)\n", mi->msgmnb);
		printf("\tmsgtql: %6d\t(max # of messages in system)\n", mi->msgtql);
		printf("\tmsgssz: %6d\t(size of a message segment)\n", mi->msgssz);
		printf("\tmsgseg: %6d\t(# of message segments in system)\n\n", mi->msgseg);
	}
	if (display & MSGINFO) {
		header("Message Queues", "");
		if (option & CREATOR) printf("  CREATOR   CGROUP");
		if (option & OUTSTANDING) printf(" CBYTES  QNUM");
		if (option & BIGGEST) printf(" QBYTES");
		if (option & PID) printf(" LSPID LRPID");
		if (option & TIME) printf("    STIME    RTIME    CTIME");
		printf("\n");
		for (i = 0; i < mi->msgmni; i++) {
			struct msgid_ds_sysctl *q = &t->msgids[i];

			if (q->msg_qbytes == 0)
				continue;
			line_head('q', IXSEQ_TO_IPCID(i, q->msg_perm), q->msg_perm._key,
			    q->msg_perm.mode, q->msg_perm.uid, q->msg_perm.gid);
			if (option & CREATOR)
				owner(q->msg_perm.cuid, q->msg_perm.cgid);
			if (option & OUTSTANDING)
				printf(" %6lld %5lld", (long long)q->_msg_cbytes,
				    (long long)q->msg_qnum);
			if (option & BIGGEST)
				printf(" %6lld", (long long)q->msg_qbytes);
			if (option & PID)
				printf(" %5d %5d", (int)q->msg_lspid, (int)q->msg_lrpid);
			if (option & TIME)
				printf(" %s %s %s", hms(q->msg_stime), hms(q->msg_rtime),
				    hms(q->msg_ctime));
			printf("\n");
		}
		printf("\n");
	}
	free(t);
}

static void
sharedmem(void)
{
	struct shm_sysctl_info *t = table(KERN_SYSVSHM, KERN_SYSVIPC_SHM_INFO,
	    "shared memory");
	struct shminfo *si;
	unsigned i;

	if (t == NULL)
		return;
	si = &t->shminfo;
	if (display & SHMTOTAL) {
		printf("shminfo:\n");
		printf("\tshmmax: %7llu\t(max shared memory segment size)\n",
		    (unsigned long long)si->shmmax);
		printf("\tshmmin: %7u\t(min shared memory segment size)\n", si->shmmin);
		printf("\tshmmni: %7u\t(max number of shared memory identifiers)\n", si->shmmni);
		printf("\tshmseg: %7u\t(max shared memory segments per process)\n", si->shmseg);
		printf("\tshmall: %7u\t(max amount of shared memory in pages)\n\n", si->shmall);
	}
	if (display & SHMINFO) {
		header("Shared Memory", "");
		if (option & CREATOR) printf("  CREATOR   CGROUP");
		if (option & OUTSTANDING) printf(" NATTCH");
		if (option & BIGGEST) printf("   SEGSZ");
		if (option & PID) printf("  CPID  LPID");
		if (option & TIME) printf("    ATIME    DTIME    CTIME");
		printf("\n");
		for (i = 0; i < si->shmmni; i++) {
			struct shmid_ds_sysctl *s = &t->shmids[i];

			if (!(s->shm_perm.mode & 0x0800))	/* SHMSEG_ALLOCATED */
				continue;
			line_head('m', IXSEQ_TO_IPCID(i, s->shm_perm), s->shm_perm._key,
			    s->shm_perm.mode, s->shm_perm.uid, s->shm_perm.gid);
			if (option & CREATOR)
				owner(s->shm_perm.cuid, s->shm_perm.cgid);
			if (option & OUTSTANDING)
				printf(" %6u", s->shm_nattch);
			if (option & BIGGEST)
				printf(" %7llu", (unsigned long long)s->shm_segsz);
			if (option & PID)
				printf(" %5d %5d", (int)s->shm_cpid, (int)s->shm_lpid);
			if (option & TIME)
				printf(" %s %s %s", hms(s->shm_atime), hms(s->shm_dtime),
				    hms(s->shm_ctime));
			printf("\n");
		}
		printf("\n");
	}
	free(t);
}

static void
semaphores(void)
{
	struct sem_sysctl_info *t = table(KERN_SYSVSEM, KERN_SYSVIPC_SEM_INFO, "semaphores");
	struct seminfo *si;
	int i;

	if (t == NULL)
		return;
	si = &t->seminfo;
	if (display & SEMTOTAL) {
		printf("seminfo:\n");
		printf("\tsemmap: %6d\t(# of entries in semaphore map)\n", si->semmap);
		printf("\tsemmni: %6d\t(# of semaphore identifiers)\n", si->semmni);
		printf("\tsemmns: %6d\t(# of semaphores in system)\n", si->semmns);
		printf("\tsemmnu: %6d\t(# of undo structures in system)\n", si->semmnu);
		printf("\tsemmsl: %6d\t(max # of semaphores per id)\n", si->semmsl);
		printf("\tsemopm: %6d\t(max # of operations per semop call)\n", si->semopm);
		printf("\tsemume: %6d\t(max # of undo entries per process)\n", si->semume);
		printf("\tsemusz: %6d\t(size in bytes of undo structure)\n", si->semusz);
		printf("\tsemvmx: %6d\t(semaphore maximum value)\n", si->semvmx);
		printf("\tsemaem: %6d\t(adjust on exit max value)\n\n", si->semaem);
	}
	if (display & SEMINFO) {
		header("Semaphores", "");
		if (option & CREATOR) printf("  CREATOR   CGROUP");
		if (option & BIGGEST) printf(" NSEMS");
		if (option & TIME) printf("    OTIME    CTIME");
		printf("\n");
		for (i = 0; i < si->semmni; i++) {
			struct semid_ds_sysctl *s = &t->semids[i];

			if (!(s->sem_perm.mode & SEM_ALLOC))
				continue;
			line_head('s', IXSEQ_TO_IPCID(i, s->sem_perm), s->sem_perm._key,
			    s->sem_perm.mode, s->sem_perm.uid, s->sem_perm.gid);
			if (option & CREATOR)
				owner(s->sem_perm.cuid, s->sem_perm.cgid);
			if (option & BIGGEST)
				printf(" %5d", s->sem_nsems);
			if (option & TIME)
				printf(" %s %s", hms(s->sem_otime), hms(s->sem_ctime));
			printf("\n");
		}
		printf("\n");
	}
	free(t);
}

int
main(int argc, char *argv[])
{
	int c;

	while ((c = getopt(argc, argv, "MmQqSsabcoptT")) != -1) {
		switch (c) {
		case 'M': display |= SHMTOTAL; break;
		case 'm': display |= SHMINFO; break;
		case 'Q': display |= MSGTOTAL; break;
		case 'q': display |= MSGINFO; break;
		case 'S': display |= SEMTOTAL; break;
		case 's': display |= SEMINFO; break;
		case 'T': display |= SHMTOTAL | MSGTOTAL | SEMTOTAL; break;
		case 'a': option |= BIGGEST | CREATOR | OUTSTANDING | PID | TIME; break;
		case 'b': option |= BIGGEST; break;
		case 'c': option |= CREATOR; break;
		case 'o': option |= OUTSTANDING; break;
		case 'p': option |= PID; break;
		case 't': option |= TIME; break;
		default: usage();
		}
	}
	if (optind < argc)
		usage();
	if (display == 0)
		display = SHMINFO | MSGINFO | SEMINFO;
	if (display & (MSGINFO | MSGTOTAL))
		messages();
	if (display & (SHMINFO | SHMTOTAL))
		sharedmem();
	if (display & (SEMINFO | SEMTOTAL))
		semaphores();
	return 0;
}
