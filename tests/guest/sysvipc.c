/*
 * System V IPC: semaphores, message queues, shared memory (tests/test_nbsd_sysvipc.py).
 *
 * Built for the guest (our libc, kw86's kernel: kw86/nbsd/syscalls/sysvipc.py)
 * and for the host (glibc, Linux); with no argument it prints lines both
 * kernels must agree on (error names, not numbers):
 *   every call and its errors, a parent/child producer-consumer over a message
 *   queue whose msg_qbytes is small enough that the producer blocks, one over
 *   a shared-memory ring guarded by two semaphores, SEM_UNDO applied at a
 *   child's exit (its own, a SIGKILL, a value clamped at 0), GETNCNT/GETZCNT of
 *   sleeping children, EIDRM for sleepers of a removed set and queue, EINTR
 *   for a caught signal even with SA_RESTART, shm_nattch across fork and exec,
 *   shmdt and IPC_RMID with attachments, ftok.
 * "perm": a child that drops root is refused by the modes (EACCES) and by
 *   ownership (EPERM).
 * "netbsd": what NetBSD's kernel does where Linux differs (limits: SEMMNI,
 *   SEMMSL, SEMMNS, SEMOPM, SEMUME, MSGMNB, MSGTQL, SHMMAX; ids; msgrcv with
 *   a negative type; IPC_SET's clamp; IPC_STAT's internal mode bit of a
 *   segment; a removed segment's id).
 * Every object it makes is removed before it exits (the host's namespace
 * is shared).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef __linux__
#define _msg_cbytes __msg_cbytes	/* glibc's name of it */
#endif

#ifndef __linux__
int syscall(int, ...);
#endif

union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
};

static const char *
en(int e)
{
	static char buf[16];

	switch (e) {
	case 0: return "0";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EINTR: return "EINTR";
	case E2BIG: return "E2BIG";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	case EEXIST: return "EEXIST";
	case EINVAL: return "EINVAL";
	case EMFILE: return "EMFILE";
	case EFBIG: return "EFBIG";
	case ENOSPC: return "ENOSPC";
	case ERANGE: return "ERANGE";
	case EIDRM: return "EIDRM";
	case ENOMSG: return "ENOMSG";
	}
	snprintf(buf, sizeof buf, "E#%d", e);
	return buf;
}

/* "ok" for a call that did not return -1, else its errno's name */
static const char *
rc(long r)
{
	return r == -1 ? en(errno) : "ok";
}

#define BAD ((void *)0x10)		/* an address nothing maps */

static int
sem_val(int id, int n)
{
	return semctl(id, n, GETVAL);
}

static int
semop1(int id, int num, int op, int flg)
{
	struct sembuf b;

	b.sem_num = num;
	b.sem_op = op;
	b.sem_flg = flg;
	return semop(id, &b, 1);
}

static void
wait_child(pid_t pid, const char *what)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		printf("%s: waitpid failed\n", what);
	else if (WIFSIGNALED(st))
		printf("%s: child killed by %d\n", what, WTERMSIG(st));
	else if (WEXITSTATUS(st) != 0)
		printf("%s: child status %d\n", what, WEXITSTATUS(st));
}

/* until n sleepers wait on semaphore num of id (GETNCNT or GETZCNT) */
static int
await_sleepers(int id, int num, int cmd, int n)
{
	int i, c = -1;

	for (i = 0; i < 20000; i++) {
		c = semctl(id, num, cmd);
		if (c >= n)
			return c;
		usleep(1000);
	}
	return c;
}

/* until the child sleeps in a call (a queue has no count of its sleepers):
 * Linux's /proc/PID/stat state S; the guest's kernel is deterministic, and
 * the child reaches its call within the pause */
static void
await_asleep(pid_t pid)
{
#ifdef __linux__
	char path[64], buf[512], *p;
	int i, fd, n;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	for (i = 0; i < 20000; i++) {
		fd = open(path, O_RDONLY);
		n = fd < 0 ? 0 : read(fd, buf, sizeof buf - 1);
		if (fd >= 0)
			close(fd);
		buf[n > 0 ? n : 0] = 0;
		p = strrchr(buf, ')');
		if (p != NULL && p[1] == ' ' && p[2] == 'S')
			break;
		usleep(1000);
	}
#endif
	usleep(20000);
}

static volatile int hits;

static void
on_usr1(int sig)
{
	(void)sig;
	hits++;
}

static void
semaphores(void)
{
	union semun arg;
	struct semid_ds ds;
	struct sembuf ops[3];
	unsigned short vals[3], back[3];
	int id, id2, r;
	key_t key = (key_t)(0x4b570000 | (getpid() & 0xffff));
	pid_t pid;

	/* semget */
	id = semget(IPC_PRIVATE, 3, IPC_CREAT | 0600);
	printf("semget private: %s\n", rc(id));
	printf("semget nsems 0: %s\n", rc(semget(IPC_PRIVATE, 0, 0600)));
	printf("semget nsems -1: %s\n", rc(semget(IPC_PRIVATE, -1, 0600)));
	printf("semget absent key: %s\n", rc(semget(key, 1, 0600)));
	id2 = semget(key, 2, IPC_CREAT | 0600);
	printf("semget key create: %s\n", rc(id2));
	printf("semget key again: %s\n", semget(key, 2, 0600) == id2 ? "same id" : "other");
	printf("semget key nsems 0: %s\n", semget(key, 0, 0) == id2 ? "same id" : "other");
	printf("semget key excl: %s\n", rc(semget(key, 2, IPC_CREAT | IPC_EXCL | 0600)));
	printf("semget key more sems: %s\n", rc(semget(key, 3, 0600)));
	printf("semctl rmid key: %s\n", rc(semctl(id2, 0, IPC_RMID)));
	printf("semctl rmid again: %s\n", rc(semctl(id2, 0, IPC_RMID)));
	printf("semget key after rmid: %s\n", rc(semget(key, 2, 0600)));

	/* IPC_STAT / IPC_SET */
	arg.buf = &ds;
	memset(&ds, 0, sizeof ds);
	r = semctl(id, 0, IPC_STAT, arg);
	printf("stat: %s", rc(r));
	printf(" nsems %d mode %o uid self %d cuid self %d otime %d ctime set %d\n",
	    (int)ds.sem_nsems, (unsigned)ds.sem_perm.mode & 0777, ds.sem_perm.uid == geteuid(),
	    ds.sem_perm.cuid == geteuid(), (int)ds.sem_otime, ds.sem_ctime != 0);
	ds.sem_perm.mode = 0640;
	printf("set: %s\n", rc(semctl(id, 0, IPC_SET, arg)));
	semctl(id, 0, IPC_STAT, arg);
	printf("stat after set: mode %o\n", (unsigned)ds.sem_perm.mode & 0777);
	arg.buf = BAD;
	printf("stat bad buf: %s\n", rc(semctl(id, 0, IPC_STAT, arg)));
	printf("set bad buf: %s\n", rc(semctl(id, 0, IPC_SET, arg)));
	printf("semctl bad id: %s\n", rc(semctl(id + 0x7ff0000, 0, GETVAL)));
	printf("semctl bad cmd: %s\n", rc(semctl(id, 0, 99)));

	/* values */
	arg.val = 5;
	printf("setval: %s", rc(semctl(id, 1, SETVAL, arg)));
	printf(" val %d\n", sem_val(id, 1));
	arg.val = 32767;
	printf("setval 32767: %s\n", rc(semctl(id, 1, SETVAL, arg)));
	arg.val = 32768;
	printf("setval 32768: %s\n", rc(semctl(id, 1, SETVAL, arg)));
	arg.val = -1;
	printf("setval -1: %s\n", rc(semctl(id, 1, SETVAL, arg)));
	printf("getval semnum 3: %s\n", rc(semctl(id, 3, GETVAL)));
	printf("getval semnum -1: %s\n", rc(semctl(id, -1, GETVAL)));
	vals[0] = 1; vals[1] = 2; vals[2] = 3;
	arg.array = vals;
	printf("setall: %s\n", rc(semctl(id, 0, SETALL, arg)));
	memset(back, 0, sizeof back);
	arg.array = back;
	printf("getall: %s", rc(semctl(id, 0, GETALL, arg)));
	printf(" %d %d %d\n", back[0], back[1], back[2]);
	arg.array = BAD;
	printf("getall bad array: %s\n", rc(semctl(id, 0, GETALL, arg)));

	/* semop */
	ops[0].sem_num = 0; ops[0].sem_op = -1; ops[0].sem_flg = 0;
	ops[1].sem_num = 2; ops[1].sem_op = 4; ops[1].sem_flg = 0;
	printf("semop two: %s", rc(semop(id, ops, 2)));
	printf(" vals %d %d %d\n", sem_val(id, 0), sem_val(id, 1), sem_val(id, 2));
	printf("getpid after semop: %s\n", semctl(id, 0, GETPID) == getpid() ? "self" : "other");
	arg.buf = &ds;
	semctl(id, 0, IPC_STAT, arg);
	printf("otime set: %d\n", ds.sem_otime != 0);
	/* all or nothing: the second op cannot be done, so the first is not */
	ops[0].sem_num = 1; ops[0].sem_op = 10; ops[0].sem_flg = 0;
	ops[1].sem_num = 0; ops[1].sem_op = -1; ops[1].sem_flg = IPC_NOWAIT;
	printf("semop atomic nowait: %s", rc(semop(id, ops, 2)));
	printf(" vals %d %d %d\n", sem_val(id, 0), sem_val(id, 1), sem_val(id, 2));
	printf("semop zero nowait: %s\n", rc(semop1(id, 2, 0, IPC_NOWAIT)));
	printf("semop zero ok: %s\n", rc(semop1(id, 0, 0, IPC_NOWAIT)));
	printf("semop semnum 3: %s\n", rc(semop1(id, 3, 1, 0)));
	printf("semop bad sops: %s\n", rc(semop(id, BAD, 1)));
	printf("semop bad id: %s\n", rc(semop1(-1, 0, 1, 0)));

	/* a sleeper: GETNCNT, woken by a semop */
	arg.val = 0;
	semctl(id, 0, SETVAL, arg);
	pid = fork();
	if (pid == 0) {
		int r2 = semop1(id, 0, -2, 0);
		printf("child: semop -2 woke: %s\n", rc(r2));
		fflush(stdout);
		_exit(0);
	}
	printf("ncnt: %d\n", await_sleepers(id, 0, GETNCNT, 1));
	printf("zcnt: %d\n", semctl(id, 0, GETZCNT));
	semop1(id, 0, 1, 0);
	printf("ncnt just after +1: %d\n", semctl(id, 0, GETNCNT));
	usleep(20000);
	printf("ncnt after +1: %d val %d\n", semctl(id, 0, GETNCNT), sem_val(id, 0));
	semop1(id, 0, 1, 0);
	wait_child(pid, "ncnt");
	printf("val after child: %d ncnt %d\n", sem_val(id, 0), semctl(id, 0, GETNCNT));

	/* a wait-for-zero sleeper: GETZCNT */
	arg.val = 2;
	semctl(id, 1, SETVAL, arg);
	pid = fork();
	if (pid == 0) {
		printf("child: wait zero: %s\n", rc(semop1(id, 1, 0, 0)));
		fflush(stdout);
		_exit(0);
	}
	printf("zcnt: %d\n", await_sleepers(id, 1, GETZCNT, 1));
	semop1(id, 1, -2, 0);
	wait_child(pid, "zcnt");

	/* SEM_UNDO at a child's exit */
	arg.val = 1;
	semctl(id, 0, SETVAL, arg);
	pid = fork();
	if (pid == 0) {
		semop1(id, 0, 3, SEM_UNDO);
		semop1(id, 0, -1, SEM_UNDO);
		semop1(id, 0, 5, 0);		/* not undone */
		printf("child: val %d\n", sem_val(id, 0));
		fflush(stdout);
		_exit(0);
	}
	wait_child(pid, "undo");
	printf("undo after exit: val %d\n", sem_val(id, 0));
	/* ... after SIGKILL */
	pid = fork();
	if (pid == 0) {
		semop1(id, 0, -4, SEM_UNDO);
		for (;;)
			pause();
	}
	while (sem_val(id, 0) != 2)
		usleep(1000);
	printf("undo before kill: val %d\n", sem_val(id, 0));
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	printf("undo after kill: val %d\n", sem_val(id, 0));
	/* ... clamped at 0 */
	arg.val = 0;
	semctl(id, 2, SETVAL, arg);
	pid = fork();
	if (pid == 0) {
		semop1(id, 2, 5, SEM_UNDO);
		printf("child: val %d\n", sem_val(id, 2));
		fflush(stdout);
		semop1(id, 2, -4, 0);		/* leaves 1: the undo of -5 would go below 0 */
		_exit(0);
	}
	wait_child(pid, "clamp");
	printf("undo clamped: val %d\n", sem_val(id, 2));
	/* ... SETVAL drops the undo */
	pid = fork();
	if (pid == 0) {
		semop1(id, 2, 2, SEM_UNDO);
		arg.val = 7;
		semctl(id, 2, SETVAL, arg);
		_exit(0);
	}
	wait_child(pid, "setval undo");
	printf("undo after setval: val %d\n", sem_val(id, 2));

	/* EINTR: a caught signal ends the sleep, SA_RESTART or not */
	{
		struct sigaction sa;

		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_usr1;
		sa.sa_flags = SA_RESTART;
		sigaction(SIGUSR1, &sa, NULL);
		arg.val = 0;
		semctl(id, 0, SETVAL, arg);
		pid = fork();
		if (pid == 0) {
			int r2 = semop1(id, 0, -1, 0);
			printf("child: semop after signal: %s hits %d\n", rc(r2), hits);
			fflush(stdout);
			_exit(0);
		}
		await_sleepers(id, 0, GETNCNT, 1);
		kill(pid, SIGUSR1);
		wait_child(pid, "eintr");
		printf("ncnt after eintr: %d\n", semctl(id, 0, GETNCNT));
	}

	/* EIDRM: the set is removed under a sleeper */
	pid = fork();
	if (pid == 0) {
		int r2 = semop1(id, 0, -1, 0);
		printf("child: semop on removed set: %s\n", rc(r2));
		fflush(stdout);
		_exit(0);
	}
	await_sleepers(id, 0, GETNCNT, 1);
	r = semctl(id, 0, IPC_RMID);
	wait_child(pid, "eidrm");
	printf("rmid with sleeper: %s\n", rc(r));
	printf("semop after rmid: %s\n", rc(semop1(id, 0, 1, 0)));
}

struct msg {
	long mtype;
	char mtext[64];
};

static void
messages(void)
{
	struct msqid_ds ds;
	struct msg m, r;
	int id, id2, i;
	key_t key = (key_t)(0x4b580000 | (getpid() & 0xffff));
	pid_t pid;
	long sum;
	ssize_t n;

	id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	printf("msgget private: %s\n", rc(id));
	printf("msgget absent key: %s\n", rc(msgget(key, 0600)));
	id2 = msgget(key, IPC_CREAT | 0600);
	printf("msgget key: %s", rc(id2));
	printf(" again %s\n", msgget(key, 0) == id2 ? "same" : "other");
	printf("msgget excl: %s\n", rc(msgget(key, IPC_CREAT | IPC_EXCL | 0600)));
	printf("msgctl rmid: %s", rc(msgctl(id2, IPC_RMID, NULL)));
	printf(" again %s\n", rc(msgctl(id2, IPC_RMID, NULL)));

	m.mtype = 1;
	strcpy(m.mtext, "hello");
	printf("msgsnd: %s\n", rc(msgsnd(id, &m, 6, 0)));
	m.mtype = 0;
	printf("msgsnd type 0: %s\n", rc(msgsnd(id, &m, 6, 0)));
	m.mtype = -3;
	printf("msgsnd type -3: %s\n", rc(msgsnd(id, &m, 6, IPC_NOWAIT)));
	printf("msgsnd bad buf: %s\n", rc(msgsnd(id, BAD, 6, 0)));
	printf("msgsnd bad id: %s\n", rc(msgsnd(-1, &m, 6, 0)));
	printf("msgsnd size -1: %s\n", rc(msgsnd(id, &m, (size_t)-1, 0)));
	memset(&ds, 0, sizeof ds);
	printf("stat: %s", rc(msgctl(id, IPC_STAT, &ds)));
	printf(" qnum %lu lspid %s mode %o\n", (unsigned long)ds.msg_qnum, ds.msg_lspid == getpid() ? "self" : "other",
	    (unsigned)ds.msg_perm.mode & 0777);
	printf("stat bad buf: %s\n", rc(msgctl(id, IPC_STAT, BAD)));
	printf("msgrcv too small: %s\n", rc(msgrcv(id, &r, 3, 0, 0)));
	memset(&r, 0, sizeof r);
	n = msgrcv(id, &r, 3, 0, MSG_NOERROR);
	printf("msgrcv noerror: %ld type %ld text %.3s\n", (long)n, r.mtype, r.mtext);
	printf("msgrcv empty nowait: %s\n", rc(msgrcv(id, &r, 64, 0, IPC_NOWAIT)));
	printf("msgrcv bad id: %s\n", rc(msgrcv(id + 0x1230000, &r, 64, 0, IPC_NOWAIT)));
	printf("msgctl bad cmd: %s\n", rc(msgctl(id, 99, &ds)));

	/* types: exact, first, and <= |t| */
	for (i = 0; i < 4; i++) {
		static const long types[] = { 3, 1, 2, 5 };

		m.mtype = types[i];
		snprintf(m.mtext, sizeof m.mtext, "m%d", i);
		msgsnd(id, &m, strlen(m.mtext) + 1, 0);
	}
	n = msgrcv(id, &r, 64, 2, 0);
	printf("msgrcv type 2: %ld %ld %s\n", (long)n, r.mtype, r.mtext);
	n = msgrcv(id, &r, 64, -2, 0);
	printf("msgrcv type -2: %ld %ld %s\n", (long)n, r.mtype, r.mtext);
	printf("msgrcv type 4: %s\n", rc(msgrcv(id, &r, 64, 4, IPC_NOWAIT)));
	n = msgrcv(id, &r, 64, 0, 0);
	printf("msgrcv type 0: %ld %ld %s\n", (long)n, r.mtype, r.mtext);
	n = msgrcv(id, &r, 64, 0, 0);
	printf("msgrcv type 0: %ld %ld %s\n", (long)n, r.mtype, r.mtext);
	memset(&ds, 0, sizeof ds);
	msgctl(id, IPC_STAT, &ds);
	printf("stat: qnum %lu lrpid %s rtime set %d\n", (unsigned long)ds.msg_qnum,
	    ds.msg_lrpid == getpid() ? "self" : "other", ds.msg_rtime != 0);

	/* IPC_SET: a smaller queue, so the producer below must wait */
	ds.msg_qbytes = 200;
	ds.msg_perm.mode = 0660;
	printf("set: %s\n", rc(msgctl(id, IPC_SET, &ds)));
	memset(&ds, 0, sizeof ds);
	msgctl(id, IPC_STAT, &ds);
	printf("stat after set: qbytes %lu mode %o\n", (unsigned long)ds.msg_qbytes,
	    (unsigned)ds.msg_perm.mode & 0777);
	for (i = 0; i < 3; i++) {
		m.mtype = 1;
		msgsnd(id, &m, 64, 0);
	}
	printf("msgsnd full nowait: %s\n", rc(msgsnd(id, &m, 64, IPC_NOWAIT)));
	for (i = 0; i < 3; i++)
		msgrcv(id, &r, 64, 0, 0);

	/* producer/consumer: 300 messages of 1..300 through a 200-byte queue */
	pid = fork();
	if (pid == 0) {
		for (i = 1; i <= 300; i++) {
			m.mtype = 1 + (i % 3);
			snprintf(m.mtext, sizeof m.mtext, "%d", i);
			if (msgsnd(id, &m, 40, 0) < 0) {
				printf("child: msgsnd %d: %s\n", i, en(errno));
				_exit(1);
			}
		}
		m.mtype = 9;
		msgsnd(id, &m, 0, 0);
		_exit(0);
	}
	sum = 0;
	for (i = 0; ; i++) {
		n = msgrcv(id, &r, 64, 0, 0);
		if (n < 0) {
			printf("msgrcv: %s\n", en(errno));
			break;
		}
		if (r.mtype == 9)
			break;
		sum += atol(r.mtext);
	}
	wait_child(pid, "producer");
	printf("producer/consumer: %d messages, sum %ld, last size %ld\n", i, sum, (long)n);

	/* EINTR in msgrcv and msgsnd, EIDRM for a sleeper */
	pid = fork();
	if (pid == 0) {
		n = msgrcv(id, &r, 64, 0, 0);
		printf("child: msgrcv after signal: %s hits %d\n", rc(n), hits);
		for (i = 0; i < 5; i++)
			msgsnd(id, &m, 40, 0);
		printf("child: msgsnd after signal: %s\n", rc(msgsnd(id, &m, 40, 0)));
		fflush(stdout);
		_exit(0);
	}
	await_asleep(pid);
	kill(pid, SIGUSR1);
	while (msgctl(id, IPC_STAT, &ds) == 0 && ds.msg_qnum < 5)
		usleep(1000);
	await_asleep(pid);
	kill(pid, SIGUSR1);
	wait_child(pid, "msg eintr");
	for (i = 0; i < 5; i++)
		msgrcv(id, &r, 64, 0, 0);
	pid = fork();
	if (pid == 0) {
		n = msgrcv(id, &r, 64, 0, 0);
		printf("child: msgrcv on removed queue: %s\n", rc(n));
		fflush(stdout);
		_exit(0);
	}
	await_asleep(pid);
	i = msgctl(id, IPC_RMID, NULL);
	wait_child(pid, "msg eidrm");
	printf("msgctl rmid with sleeper: %s\n", rc(i));
	printf("msgsnd after rmid: %s\n", rc(msgsnd(id, &m, 4, 0)));
}

static void
sharedmem(void)
{
	struct shmid_ds ds;
	int id, id2, pfd[2], cfd[2], *ring;
	char *p, *q, c;
	key_t key = (key_t)(0x4b590000 | (getpid() & 0xffff));
	pid_t pid;
	long sum;
	int sem, i;
	union semun arg;

	id = shmget(IPC_PRIVATE, 10000, IPC_CREAT | 0600);
	printf("shmget private: %s\n", rc(id));
	printf("shmget size 0: %s\n", rc(shmget(IPC_PRIVATE, 0, 0600)));
	printf("shmget absent key: %s\n", rc(shmget(key, 100, 0600)));
	id2 = shmget(key, 100, IPC_CREAT | 0600);
	printf("shmget key: %s", rc(id2));
	printf(" again %s", shmget(key, 50, 0) == id2 ? "same" : "other");
	printf(" size 0 %s\n", shmget(key, 0, 0) == id2 ? "same" : "other");
	printf("shmget key bigger: %s\n", rc(shmget(key, 200, 0600)));
	printf("shmget excl: %s\n", rc(shmget(key, 100, IPC_CREAT | IPC_EXCL | 0600)));
	printf("shmctl rmid: %s\n", rc(shmctl(id2, IPC_RMID, NULL)));
	printf("shmget key after rmid: %s\n", rc(shmget(key, 100, 0600)));

	memset(&ds, 0, sizeof ds);
	printf("stat: %s", rc(shmctl(id, IPC_STAT, &ds)));
	printf(" segsz %lu nattch %u cpid %s lpid %d mode %o\n", (unsigned long)ds.shm_segsz, (unsigned)ds.shm_nattch,
	    ds.shm_cpid == getpid() ? "self" : "other", (int)ds.shm_lpid,
	    (unsigned)ds.shm_perm.mode & 0777);
	printf("stat bad buf: %s\n", rc(shmctl(id, IPC_STAT, BAD)));
	printf("shmctl bad cmd: %s\n", rc(shmctl(id, 99, &ds)));
	ds.shm_perm.mode = 0644;
	printf("set: %s\n", rc(shmctl(id, IPC_SET, &ds)));
	shmctl(id, IPC_STAT, &ds);
	printf("stat after set: mode %o\n", (unsigned)ds.shm_perm.mode & 0777);

	p = shmat(id, NULL, 0);
	printf("shmat: %s aligned %d\n", p == (void *)-1 ? en(errno) : "ok",
	    ((unsigned long)p & 4095) == 0);
	printf("zero filled: %d\n", p[0] == 0 && p[9999] == 0);
	strcpy(p, "shared");
	q = shmat(id, NULL, SHM_RDONLY);
	printf("second attach sees: %s, nattch ", q == (void *)-1 ? en(errno) : q);
	shmctl(id, IPC_STAT, &ds);
	printf("%u lpid %s atime set %d\n", (unsigned)ds.shm_nattch,
	    ds.shm_lpid == getpid() ? "self" : "other", ds.shm_atime != 0);
	printf("shmat unaligned: %s\n", (void *)shmat(id, p + 1, 0) == (void *)-1 ? en(errno) : "ok");
	printf("shmat bad id: %s\n", (void *)shmat(-1, NULL, 0) == (void *)-1 ? en(errno) : "ok");
	printf("shmdt not attached: %s\n", rc(shmdt(p + 4096)));
	printf("mprotect a read-only attach: write %s, read %s\n",
	    rc(mprotect(q, 4096, PROT_READ | PROT_WRITE)), rc(mprotect(q, 4096, PROT_READ)));
	pid = fork();
	if (pid == 0) {
		q[0] = 'x';			/* SIGSEGV */
		_exit(0);
	}
	wait_child(pid, "store to a read-only attach");
	printf("shmdt second: %s\n", rc(shmdt(q)));
	printf("shmdt again: %s\n", rc(shmdt(q)));
	/* SHM_RND: the rounded-down address, where q was */
	q = shmat(id, q + 100, SHM_RND);
	printf("shmat rnd: %s sees %s\n", q == (void *)-1 ? en(errno) : "ok",
	    q == (void *)-1 ? "-" : q);
	shmdt(q);

	/* fork: the child shares the attachment (nattch 2), sees and writes */
	if (pipe(pfd) < 0)
		return;
	pid = fork();
	if (pid == 0) {
		struct shmid_ds d2;

		shmctl(id, IPC_STAT, &d2);
		printf("child: nattch %u sees %s\n", (unsigned)d2.shm_nattch, p);
		strcpy(p, "from child");
		fflush(stdout);
		_exit(0);
	}
	wait_child(pid, "shm fork");
	shmctl(id, IPC_STAT, &ds);
	printf("after child: %s nattch %u dtime set %d\n", p, (unsigned)ds.shm_nattch,
	    ds.shm_dtime != 0);

	/* exec detaches: nattch falls back to 1 while the exec'd child lives */
	if (pipe(cfd) < 0)
		return;
	pid = fork();
	if (pid == 0) {
		int dn = open("/dev/null", O_WRONLY);

		close(pfd[1]);
		dup2(pfd[0], 0);
		dup2(dn, 1);
		close(cfd[0]);
		fcntl(cfd[1], F_SETFD, FD_CLOEXEC);
		execl("/bin/cat", "cat", (char *)NULL);
		_exit(127);
	}
	close(cfd[1]);
	while (read(cfd[0], &c, 1) > 0)
		;
	shmctl(id, IPC_STAT, &ds);
	printf("child exec'd: nattch %u\n", (unsigned)ds.shm_nattch);
	close(pfd[0]);
	close(pfd[1]);
	close(cfd[0]);
	wait_child(pid, "shm exec");

	/* IPC_RMID while attached: the memory stays until the last detach */
	printf("rmid attached: %s\n", rc(shmctl(id, IPC_RMID, NULL)));
	printf("still there: %s\n", p);
	shmdt(p);
	printf("stat after last detach: %s\n", rc(shmctl(id, IPC_STAT, &ds)));

	/* producer/consumer through a shared ring of 8 ints and two semaphores */
	id = shmget(IPC_PRIVATE, 8 * sizeof(int), 0600);
	sem = semget(IPC_PRIVATE, 2, 0600);		/* 0: free slots, 1: full slots */
	arg.val = 8;
	semctl(sem, 0, SETVAL, arg);
	ring = shmat(id, NULL, 0);
	pid = fork();
	if (pid == 0) {
		for (i = 1; i <= 500; i++) {
			semop1(sem, 0, -1, 0);
			ring[i % 8] = i;
			semop1(sem, 1, 1, 0);
		}
		_exit(0);
	}
	sum = 0;
	for (i = 1; i <= 500; i++) {
		semop1(sem, 1, -1, 0);
		sum += ring[i % 8];
		semop1(sem, 0, 1, 0);
	}
	wait_child(pid, "ring");
	printf("shm ring: 500 items, sum %ld\n", sum);
	shmdt(ring);
	shmctl(id, IPC_RMID, NULL);
	semctl(sem, 0, IPC_RMID);
}

static void
keys(void)
{
	key_t a = ftok("/dev/null", 1), b = ftok("/dev/null", 1), c = ftok("/dev/null", 2);
	struct stat st;

	stat("/dev/null", &st);
	printf("ftok: same %d, id differs %d, id in top byte %d, inode %d\n", a == b, a != c,
	    ((unsigned long)c >> 24) == 2, (a & 0xffff) == (key_t)(st.st_ino & 0xffff));
	errno = 0;
	a = ftok("/nonexistent/x", 1);
	printf("ftok missing: %ld %s\n", (long)a, en(errno));
}

/* a child that is not root: the modes and ownership refuse it */
static void
perm(void)
{
	int sem, sem2, msq, shm;
	union semun arg;
	struct semid_ds sds;
	pid_t pid;

	sem = semget(IPC_PRIVATE, 1, 0600);
	sem2 = semget(IPC_PRIVATE, 1, 0604);
	msq = msgget(IPC_PRIVATE, 0620);
	shm = shmget(IPC_PRIVATE, 4096, 0644);
	pid = fork();
	if (pid == 0) {
		struct msg m;
		struct shmid_ds d;
		void *a;

		gid_t g = 100;

		if (setgroups(1, &g) < 0 || setgid(100) < 0 || setuid(100) < 0) {
			printf("child: cannot drop root\n");
			_exit(1);
		}
		arg.buf = &sds;
		printf("child: sem 0600 stat %s", rc(semctl(sem, 0, IPC_STAT, arg)));
		printf(" semop %s", rc(semop1(sem, 0, 1, 0)));
		printf(" rmid %s", rc(semctl(sem, 0, IPC_RMID)));
		printf(" set %s\n", rc(semctl(sem, 0, IPC_SET, arg)));
		printf("child: sem 0604 stat %s", rc(semctl(sem2, 0, IPC_STAT, arg)));
		printf(" getval %s", rc(semctl(sem2, 0, GETVAL)));
		printf(" semop %s\n", rc(semop1(sem2, 0, 1, IPC_NOWAIT)));
		m.mtype = 1;
		printf("child: msq 0620 send %s", rc(msgsnd(msq, &m, 1, 0)));
		printf(" recv %s", rc(msgrcv(msq, &m, 1, 0, IPC_NOWAIT)));
		printf(" stat %s\n", rc(msgctl(msq, IPC_STAT, NULL)));
		a = shmat(shm, NULL, 0);
		printf("child: shm 0644 attach rw %s", a == (void *)-1 ? en(errno) : "ok");
		a = shmat(shm, NULL, SHM_RDONLY);
		printf(" ro %s", a == (void *)-1 ? en(errno) : "ok");
		printf(" stat %s", rc(shmctl(shm, IPC_STAT, &d)));
		printf(" rmid %s\n", rc(shmctl(shm, IPC_RMID, NULL)));
		fflush(stdout);
		_exit(0);
	}
	wait_child(pid, "perm");
	semctl(sem, 0, IPC_RMID);
	semctl(sem2, 0, IPC_RMID);
	msgctl(msq, IPC_RMID, NULL);
	shmctl(shm, IPC_RMID, NULL);
	printf("perm: done\n");
}

/* NetBSD's own numbers and choices (the guest only) */
static void
netbsd(void)
{
	int ids[12], n, i, id;
	struct sembuf ops[101];
	struct msqid_ds ds;
	struct shmid_ds sd;
	struct msg m, r;
	union semun arg;

	for (n = 0; n < 12; n++) {
		ids[n] = semget(IPC_PRIVATE, 1, 0600);
		if (ids[n] < 0)
			break;
	}
	printf("semmni: %d sets, then %s\n", n, en(errno));
	printf("first ids: %#x %#x\n", ids[0], ids[1]);
	for (i = 0; i < n; i++)
		semctl(ids[i], 0, IPC_RMID);
	id = semget(IPC_PRIVATE, 1, 0600);
	printf("slot 0 again: %#x\n", id);
	semctl(id, 0, IPC_RMID);
	printf("semmsl: 60 %s", rc(id = semget(IPC_PRIVATE, 60, 0600)));
	printf(", 61 %s\n", rc(semget(IPC_PRIVATE, 61, 0600)));
	printf("semmns: 1 more %s\n", rc(semget(IPC_PRIVATE, 1, 0600)));
	semctl(id, 0, IPC_RMID);
	id = semget(IPC_PRIVATE, 12, 0600);
	memset(ops, 0, sizeof ops);
	printf("semopm: 100 %s", rc(semop(id, ops, 100)));
	printf(", 101 %s, 0 %s\n", rc(semop(id, ops, 101)), rc(semop(id, ops, 0)));
	for (i = 0; i < 11; i++)
		if (semop1(id, i, 1, SEM_UNDO) < 0)
			break;
	printf("semume: %d undo entries, then %s\n", i, en(errno));
	arg.val = 40000;
	printf("setval 40000: %s\n", rc(semctl(id, 0, SETVAL, arg)));
#ifndef __linux__
	printf("semconfig: %d\n", semconfig(0));
#endif
	arg.val = 3;
	semctl(id, 11, SETVAL, arg);
	printf("getpid after setval: %d\n", semctl(id, 11, GETPID));
	semctl(id, 0, IPC_RMID);

	id = msgget(IPC_PRIVATE, 0600);
	msgctl(id, IPC_STAT, &ds);
	printf("msg_qbytes %lu\n", (unsigned long)ds.msg_qbytes);
	m.mtype = 1;
	printf("msgsnd 2049: %s\n", rc(msgsnd(id, &m, 2049, IPC_NOWAIT)));
	ds.msg_qbytes = 0;
	printf("set qbytes 0: %s\n", rc(msgctl(id, IPC_SET, &ds)));
	ds.msg_qbytes = 100000;
	printf("set qbytes 100000 as root: %s", rc(msgctl(id, IPC_SET, &ds)));
	msgctl(id, IPC_STAT, &ds);
	printf(" -> %lu\n", (unsigned long)ds.msg_qbytes);
	ds.msg_qbytes = 200;
	msgctl(id, IPC_SET, &ds);
	printf("msgsnd bigger than the queue: %s\n", rc(msgsnd(id, &m, 201, IPC_NOWAIT)));
	for (i = 0; i < 4; i++) {
		static const long types[] = { 3, 2, 1, 5 };

		m.mtype = types[i];
		msgsnd(id, &m, 0, 0);
	}
	msgrcv(id, &r, 0, -2, 0);
	printf("msgrcv -2 takes the first of type <= 2: %ld\n", r.mtype);
	msgctl(id, IPC_RMID, NULL);
	/* MSGTQL: 40 message headers in the whole system */
	ids[0] = msgget(IPC_PRIVATE, 0600);
	ids[1] = msgget(IPC_PRIVATE, 0600);
	for (i = 0; i < 50; i++)
		if (msgsnd(ids[i & 1], &m, 1, IPC_NOWAIT) < 0)
			break;
	printf("msgtql: %d messages, then %s\n", i, en(errno));
	msgctl(ids[0], IPC_RMID, NULL);
	msgctl(ids[1], IPC_RMID, NULL);

	/* MSG_LOCKED: a sender that must wait holds the queue; a smaller
	 * message that would fit waits behind it (IPC_NOWAIT: EAGAIN) */
	id = msgget(IPC_PRIVATE, 0600);
	msgctl(id, IPC_STAT, &ds);
	ds.msg_qbytes = 100;
	msgctl(id, IPC_SET, &ds);
	m.mtype = 1;
	msgsnd(id, &m, 50, 0);
	{
		pid_t pid = fork();

		if (pid == 0) {
			m.mtype = 2;
			_exit(msgsnd(id, &m, 60, 0) == 0 ? 0 : 1);
		}
		usleep(100000);
		msgctl(id, IPC_STAT, &ds);
		printf("locked: mode %#o, 10 bytes nowait %s", (unsigned)ds.msg_perm.mode,
		    rc(msgsnd(id, &m, 10, IPC_NOWAIT)));
		msgrcv(id, &r, 64, 1, 0);
		wait_child(pid, "locked");
		msgctl(id, IPC_STAT, &ds);
		printf(", after a receive: mode %#o qnum %lu cbytes %lu\n",
		    (unsigned)ds.msg_perm.mode, (unsigned long)ds.msg_qnum,
		    (unsigned long)ds._msg_cbytes);
	}
	msgctl(id, IPC_RMID, NULL);
#ifndef __linux__
	/* the compat_50 calls NetBSD 1.5 to 5 binaries make (301-303): the same
	 * fields with 32-bit times, nothing written past the old size */
	{
		unsigned char b[96];
		int32_t t0, t1;
		struct semid_ds sd;
		struct shmid_ds sd2;
		int r1, r2;

		id = semget(IPC_PRIVATE, 2, 0640);
		semop1(id, 0, 1, 0);
		memset(b, 0xee, sizeof b);
		arg.buf = (void *)b;
		r1 = syscall(301, id, 0, IPC_STAT, &arg);
		arg.buf = &sd;
		semctl(id, 0, IPC_STAT, arg);
		memcpy(&t0, b + 32, 4);
		memcpy(&t1, b + 36, 4);
		printf("__semctl13: %s nsems %d times %d size %d", rc(r1), b[28] | b[29] << 8,
		    t0 == (int32_t)sd.sem_otime && t1 == (int32_t)sd.sem_ctime && t0 != 0,
		    b[43] != 0xee && b[44] == 0xee);
		b[16] = 0x80; b[17] = 0x01;		/* mode 0600 */
		arg.buf = (void *)b;
		r2 = syscall(301, id, 0, IPC_SET, &arg);
		arg.buf = &sd;
		semctl(id, 0, IPC_STAT, arg);
		printf(", set %s mode %o\n", rc(r2), (unsigned)sd.sem_perm.mode & 0777);
		semctl(id, 0, IPC_RMID);

		id = msgget(IPC_PRIVATE, 0600);
		m.mtype = 1;
		msgsnd(id, &m, 5, 0);
		memset(b, 0xee, sizeof b);
		r1 = syscall(302, id, IPC_STAT, b);
		msgctl(id, IPC_STAT, &ds);
		memcpy(&t0, b + 44, 4);
		printf("__msgctl13: %s qnum %d qbytes %d stime %d size %d", rc(r1), b[28],
		    b[32] | b[33] << 8, t0 == (int32_t)ds.msg_stime && t0 != 0,
		    b[67] == 0 && b[68] == 0xee);
		b[32] = 100; b[33] = 0;
		r2 = syscall(302, id, IPC_SET, b);
		msgctl(id, IPC_STAT, &ds);
		printf(", set %s qbytes %lu\n", rc(r2), (unsigned long)ds.msg_qbytes);
		msgctl(id, IPC_RMID, NULL);

		void *at;

		id = shmget(IPC_PRIVATE, 5000, 0600);
		at = shmat(id, NULL, 0);
		memset(b, 0xee, sizeof b);
		r1 = syscall(303, id, IPC_STAT, b);
		shmctl(id, IPC_STAT, &sd2);
		memcpy(&t0, b + 44, 4);
		printf("__shmctl13: %s segsz %d nattch %d atime %d size %d\n", rc(r1),
		    b[28] | b[29] << 8, b[40], t0 == (int32_t)sd2.shm_atime && t0 != 0,
		    b[59] == 0 && b[60] == 0xee);
		shmdt(at);
		shmctl(id, IPC_RMID, NULL);
	}
#endif
	/* kernel addresses are EFAULT; a message whose copyout fails is lost */
	id = msgget(IPC_PRIVATE, 0600);
	m.mtype = 1;
	msgsnd(id, &m, 8, 0);
	printf("kernel pointers: msgrcv %s", rc(msgrcv(id, (void *)0xc0001000, 8, 0, 0)));
	msgctl(id, IPC_STAT, &ds);
	printf(" (qnum %lu after)", (unsigned long)ds.msg_qnum);
	printf(" msgsnd %s", rc(msgsnd(id, (void *)0xc0001000, 8, 0)));
	printf(" msgctl %s", rc(msgctl(id, IPC_STAT, (void *)0xc0001000)));
	msgctl(id, IPC_RMID, NULL);
	id = semget(IPC_PRIVATE, 1, 0600);
	printf(" semop %s", rc(semop(id, (void *)0xc0001000, 1)));
	arg.array = (void *)0xc0001000;
	printf(" getall %s\n", rc(semctl(id, 0, GETALL, arg)));
	semctl(id, 0, IPC_RMID);
	id = shmget(IPC_PRIVATE, 4096, 0600);
	printf("shmat over the text: %s\n",
	    shmat(id, (void *)0x8048000, 0) == (void *)-1 ? en(errno) : "ok");
	shmctl(id, IPC_RMID, NULL);
	printf("shmmax (64 MiB machine): 16 MiB %s", rc(id = shmget(IPC_PRIVATE, 16 << 20, 0600)));
	printf(", +1 %s\n", rc(shmget(IPC_PRIVATE, (16 << 20) + 1, 0600)));
	shmctl(id, IPC_STAT, &sd);
	printf("shm stat mode %#o\n", (unsigned)sd.shm_perm.mode);
	shmat(id, NULL, 0);
	shmctl(id, IPC_RMID, NULL);
	printf("removed but attached: stat %s", rc(shmctl(id, IPC_STAT, &sd)));
	printf(" attach %s\n", shmat(id, NULL, 0) == (void *)-1 ? en(errno) : "ok");
}

/*
 * "semops SEQ...": each SEQ is semop calls separated by '|', each call
 * operations separated by ';', each operation "num,op,flg" (IPC_NOWAIT is
 * always added).  On a fresh set of 4 semaphores (0, 1, 2, 3) it prints
 * each call's result and the values, then lets a child replay the sequence
 * and exit (its SEM_UNDO adjustments applied) and prints the values again.
 */
static int
run_calls(int id, const char *seq, int print)
{
	struct sembuf ops[8];
	unsigned short v[4];
	union semun arg;
	const char *p = seq;
	char *end;
	int n, r;

	while (*p) {
		for (n = 0; n < 8 && *p && *p != '|'; n++) {
			ops[n].sem_num = (unsigned short)strtol(p, &end, 10);
			ops[n].sem_op = (short)strtol(end + 1, &end, 10);
			ops[n].sem_flg = (short)(strtol(end + 1, &end, 10) | IPC_NOWAIT);
			p = *end == ';' ? end + 1 : end;
		}
		if (*p == '|')
			p++;
		r = semop(id, ops, n);
		if (print) {
			printf("%s", rc(r));
			arg.array = v;
			semctl(id, 0, GETALL, arg);
			printf(" %d %d %d %d\n", v[0], v[1], v[2], v[3]);
		}
	}
	return 0;
}

static void
semops(int argc, char **argv)
{
	unsigned short v[4] = { 0, 1, 2, 3 };
	union semun arg;
	int i, id;
	pid_t pid;

	for (i = 0; i < argc; i++) {
		id = semget(IPC_PRIVATE, 4, 0600);
		arg.array = v;
		semctl(id, 0, SETALL, arg);
		printf("seq %d\n", i);
		run_calls(id, argv[i], 1);
		pid = fork();
		if (pid == 0)
			_exit(run_calls(id, argv[i], 0));
		wait_child(pid, "replay");
		{
			unsigned short w[4];

			arg.array = w;
			semctl(id, 0, GETALL, arg);
			printf("after replay: %d %d %d %d\n", w[0], w[1], w[2], w[3]);
		}
		semctl(id, 0, IPC_RMID);
	}
}

/*
 * "fuzz SEED N" (the guest only: it would litter a host's namespace): N
 * random SysV IPC calls with ids it made, stale and random ids, random
 * commands and flags, and pointers into its buffer, to its end, NULL, the
 * kernel's addresses and unmapped ones; alarm(1) ends any sleep (EINTR);
 * now and then a child does the same and exits (its SEM_UNDO, its shm
 * attachments) or is killed.  Prints "fuzz: N calls" and "done".
 */
static unsigned long long fz_state;

static unsigned long
fz(void)
{
	fz_state = fz_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned long)(fz_state >> 33);
}

static void
on_alrm(int sig)
{
	(void)sig;
}

/* a known id half the time */
#define ID(x) (nids && fz() % 2 ? ids[fz() % nids] : (int)(x))

static void
fuzz(unsigned long seed, int n)
{
	static char arena[16384];	/* writes past buf's end stay in here */
	char *buf = arena + 4096;
	int ids[16], nids = 0, i, k;
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alrm;
	sigaction(SIGALRM, &sa, NULL);
	fz_state = seed;
	for (i = 0; i < n; i++) {
		unsigned long w[6];
		void *ptrs[6] = { buf, buf + 8192 - 2, NULL, (void *)0xc0100000,
		    (void *)0x10, buf + (fz() % 8192) };

		for (k = 0; k < 6; k++) {
			switch (fz() % 6) {
			case 0: w[k] = fz() % 8; break;
			case 1: w[k] = (unsigned long)-1; break;
			case 2: w[k] = fz() * 65537UL; break;
			case 3: w[k] = nids ? (unsigned long)ids[fz() % nids] : 0; break;
			case 4: w[k] = (unsigned long)ptrs[fz() % 6]; break;
			default: w[k] = fz() % 0x20000; break;
			}
		}
		for (k = 0; k < 8192; k += 64)
			buf[k] = (char)fz();
		alarm(1);
		switch (fz() % 15) {
		case 0: k = semget(fz() % 3 ? IPC_PRIVATE : (key_t)(fz() % 4), (int)(fz() % 70),
			    (int)(w[2] & 07777)); break;
		case 1: k = msgget(fz() % 3 ? IPC_PRIVATE : (key_t)(fz() % 4), (int)(w[1] & 07777));
			break;
		case 2: k = shmget(fz() % 3 ? IPC_PRIVATE : (key_t)(fz() % 4),
			    fz() % 2 ? fz() % 100000 : w[1], (int)(w[2] & 07777)); break;
		case 3: k = semop(ID(w[0]), (struct sembuf *)ptrs[fz() % 6], fz() % 8); break;
		case 4: k = semctl(ID(w[0]), (int)w[1], (int)(fz() % 12), w[3]); break;
		case 5: k = msgsnd(ID(w[0]), ptrs[fz() % 6], fz() % 3000, (int)(w[3] & 07777));
			break;
		case 6: k = (int)msgrcv(ID(w[0]), ptrs[fz() % 6], fz() % 3000, (long)w[3],
			    (int)(w[4] & 017777)); break;
		case 7: k = msgctl(ID(w[0]), (int)(fz() % 4), (struct msqid_ds *)ptrs[fz() % 6]);
			break;
		case 8: k = (int)(long)shmat(ID(w[0]), fz() % 2 ? NULL : ptrs[fz() % 6],
			    (int)(w[2] & 037777)); break;
		case 9: k = shmdt(ptrs[fz() % 6]); break;
		case 10: k = shmctl(ID(w[0]), (int)(fz() % 6), (struct shmid_ds *)ptrs[fz() % 6]);
			break;
		case 11: {
			pid_t pid = fork();

			if (pid == 0) {
				n = i + 20 < n ? i + 20 : n;
				continue;	/* the child goes on for a few calls */
			}
			if (pid > 0 && fz() % 2)
				kill(pid, SIGKILL);
			if (pid > 0)
				waitpid(pid, NULL, 0);
			k = -1;
			break;
		}
		case 12:			/* every id it knows goes */
			while (nids > 0) {
				k = ids[--nids];
				semctl(k, 0, IPC_RMID);
				msgctl(k, IPC_RMID, NULL);
				shmctl(k, IPC_RMID, NULL);
			}
			k = -1;
			break;
		default: {
			/* ids are often valid ones */
			int which = (int)(fz() % 3);

			k = which == 0 ? semget(IPC_PRIVATE, 1 + (int)(fz() % 5), 0600) :
			    which == 1 ? msgget(IPC_PRIVATE, 0600) : shmget(IPC_PRIVATE, 1 + fz() % 20000, 0600);
			break;
		}
		}
		alarm(0);
		if (k > 0 && nids < 16)
			ids[nids++] = k;
		else if (k > 0)
			ids[fz() % 16] = k;
	}
	printf("fuzz: %d calls\n", n);
}

/* "make": objects left behind for ipcs(1) and ipcrm(1) */
static void
make(void)
{
	struct msg m;
	int q, sh, se;
	void *p;

	q = msgget(0x1234, IPC_CREAT | 0640);
	m.mtype = 1;
	msgsnd(q, &m, 10, 0);
	msgsnd(q, &m, 20, 0);
	sh = shmget(0x5678, 10000, IPC_CREAT | 0600);
	p = shmat(sh, NULL, 0);
	shmdt(p);
	se = semget(IPC_PRIVATE, 3, 0666);
	printf("made %d %d %d\n", q, sh, se);
}

int
main(int argc, char **argv)
{
	struct sigaction sa;

	setvbuf(stdout, NULL, _IONBF, 0);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	if (argc > 1 && strcmp(argv[1], "perm") == 0)
		perm();
	else if (argc > 1 && strcmp(argv[1], "netbsd") == 0)
		netbsd();
	else if (argc > 1 && strcmp(argv[1], "make") == 0)
		make();
	else if (argc > 1 && strcmp(argv[1], "semops") == 0)
		semops(argc - 2, argv + 2);
	else if (argc > 3 && strcmp(argv[1], "fuzz") == 0)
		fuzz(strtoul(argv[2], NULL, 10), atoi(argv[3]));
	else {
		semaphores();
		messages();
		sharedmem();
		keys();
	}
	printf("done\n");
	return 0;
}
