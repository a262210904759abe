/*
 * LWPs (issue 11 item 1): NetBSD's thread calls made raw (syscall(2)), the
 * new LWP's context built by hand in a ucontext_t (getcontext for the
 * selectors and flags, then EIP, UESP and the mask: i386 mcontext.h's
 * __gregs).  Threads write with write(2) only; main prints.
 *
 *   lwp calls      every call and its errors (ESRCH, EINVAL, EDEADLK,
 *                  ENODEV, EFAULT), create/wait/detach, names, private
 *                  data per LWP, suspend/continue, LWP_SUSPENDED
 *   lwp park       EALREADY (unpark first), ETIMEDOUT, an unpark ends a
 *                  park (0), _lwp_unpark_all, EINTR from a signal
 *   lwp preempt    CPU-bound LWPs that never enter the kernel all advance
 *   lwp block      one LWP blocks in read(2) while another runs
 *   lwp signals    a process-directed signal goes to the LWP that does not
 *                  mask it; _lwp_kill runs the handler in the target LWP;
 *                  a sleeping LWP is woken (EINTR); per-LWP masks
 *   lwp fork       fork from a two-LWP process: the child has one LWP
 *   lwp exec       execve from a three-LWP process
 *   lwp exit       exit(3) from a second LWP ends every LWP (status 3)
 *   lwp last       _lwp_exit of every LWP: the last one exits the process (0)
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int syscall(int, ...);
int getcontext(void *);

#define SYS_lwp_create 309
#define SYS_lwp_exit 310
#define SYS_lwp_self 311
#define SYS_lwp_wait 312
#define SYS_lwp_suspend 313
#define SYS_lwp_continue 314
#define SYS_lwp_wakeup 315
#define SYS_lwp_getprivate 316
#define SYS_lwp_setprivate 317
#define SYS_lwp_kill 318
#define SYS_lwp_detach 319
#define SYS_lwp_unpark 321
#define SYS_lwp_unpark_all 322
#define SYS_lwp_setname 323
#define SYS_lwp_getname 324
#define SYS_lwp_park 478
#define SYS_lwp_ctl 325
#define SYS_sched_yield 350
#define SYS_clock_gettime 427

#define LWP_DETACHED 0x40
#define LWP_SUSPENDED 0x80
#define UC_SIGMASK 0x1
#define UC_CPU 0x4
#define REG_EIP 14
#define REG_UESP 17

struct uctx {				/* NetBSD/i386 ucontext_t, 776 bytes */
	unsigned flags, link;
	unsigned sigmask[4];
	unsigned ss_sp, ss_size;
	int ss_flags;
	unsigned gregs[19];
	unsigned char fpregs[644];
	unsigned tlsbase;
	unsigned pad[4];
};

struct ts { long long sec; long nsec; };	/* struct timespec (time_t 64-bit) */

static int
err(int r)
{
	return r == -1 ? errno : 0;
}

static unsigned char stacks[6][16384] __attribute__((aligned(16)));

/* Build a context that enters fn(arg) on stacks[slot] with mask `mask`. */
static void
mkctx(struct uctx *uc, int slot, void (*fn)(void *), void *arg, const sigset_t *mask)
{
	memset(uc, 0, sizeof *uc);
	getcontext(uc);
	unsigned *top = (unsigned *)(stacks[slot] + sizeof stacks[slot]) - 4;
	top[0] = 0;			/* return address: never used */
	top[1] = (unsigned)arg;
	uc->gregs[REG_EIP] = (unsigned)fn;
	uc->gregs[REG_UESP] = (unsigned)top;
	uc->flags = UC_CPU;
	if (mask != NULL) {
		memcpy(uc->sigmask, mask, sizeof uc->sigmask);
		uc->flags |= UC_SIGMASK;
	}
}

static int
create(int slot, void (*fn)(void *), void *arg, unsigned long flags, const sigset_t *mask)
{
	struct uctx uc;
	int lid = -1;
	mkctx(&uc, slot, fn, arg, mask);
	if (syscall(SYS_lwp_create, &uc, flags, &lid) != 0) {
		printf("create: errno %d\n", errno);
		exit(1);
	}
	return lid;
}

static void
say(const char *s)
{
	write(1, s, strlen(s));
}

static volatile int v_flag, v_ran, v_lid, v_res, v_stop, v_sig_lid, v_nsig;
static volatile unsigned v_priv;
static volatile unsigned long v_count[4];

/* -- calls ----------------------------------------------------------------- */

static volatile unsigned v_ctl;

static void
t_simple(void *arg)
{
	int *ctl = NULL;
	if (syscall(SYS_lwp_ctl, 1, &ctl) == 0 && ctl != NULL && ctl[0] == 0)
		v_ctl = (unsigned)ctl;			/* its own lwpctl block */
	v_ran = (int)arg;
	v_lid = syscall(SYS_lwp_self);
	syscall(SYS_lwp_setname, 0, "worker");
	static unsigned mine[4];
	syscall(SYS_lwp_setprivate, mine);
	v_priv = (unsigned)syscall(SYS_lwp_getprivate);
	v_priv = v_priv == (unsigned)mine;
	syscall(SYS_lwp_exit);
}

static void
t_park_forever(void *arg)
{
	(void)arg;
	for (;;)
		syscall(SYS_lwp_park, 3, 0, NULL, 0, NULL, NULL);
}

static void
t_named_wait(void *arg)
{
	(void)arg;
	syscall(SYS_lwp_setname, 0, "sleeper");
	syscall(SYS_lwp_park, 3, 0, NULL, 0, NULL, NULL);
	v_res = 1;
	syscall(SYS_lwp_exit);
}

static int
do_calls(void)
{
	int me = syscall(SYS_lwp_self), dep = 0, lid, w;
	unsigned mypriv = (unsigned)syscall(SYS_lwp_getprivate);
	char name[32];
	struct uctx uc;

	printf("self is pid %d\n", me == getpid());
	/* alone */
	printf("wait any alone %d\n", err(syscall(SYS_lwp_wait, 0, &dep)));		/* EDEADLK */
	printf("wait self %d\n", err(syscall(SYS_lwp_wait, me, &dep)));		/* EDEADLK */
	printf("wait none %d\n", err(syscall(SYS_lwp_wait, 99999, &dep)));		/* ESRCH */
	printf("kill none %d\n", err(syscall(SYS_lwp_kill, 99999, 0)));		/* ESRCH */
	printf("kill badsig %d\n", err(syscall(SYS_lwp_kill, me, 999)));		/* EINVAL */
	printf("kill self 0 %d\n", err(syscall(SYS_lwp_kill, me, 0)));
	printf("suspend alone %d\n", err(syscall(SYS_lwp_suspend, me)));		/* EDEADLK */
	printf("wakeup running %d\n", err(syscall(SYS_lwp_wakeup, me)));		/* ENODEV */
	printf("detach none %d\n", err(syscall(SYS_lwp_detach, 99999)));		/* ESRCH */
	printf("continue none %d\n", err(syscall(SYS_lwp_continue, 99999)));	/* ESRCH */
	/* EFAULT: the context, the id pointer (no LWP made) */
	printf("create badctx %d\n", err(syscall(SYS_lwp_create, (void *)16, 0, &lid)));
	mkctx(&uc, 0, t_simple, (void *)7, NULL);
	printf("create badid %d\n", err(syscall(SYS_lwp_create, &uc, 0, (void *)16)));
	printf("wait any still alone %d\n", err(syscall(SYS_lwp_wait, 0, &dep)));
	/* EINVAL: a context with a kernel code selector (user mode only) */
	mkctx(&uc, 0, t_simple, (void *)7, NULL);
	if (uc.gregs[15] & 3) {
		uc.gregs[15] = 0x8;
		printf("create badcs %d\n", err(syscall(SYS_lwp_create, &uc, 0, &lid)));
	} else
		printf("create badcs %d\n", EINVAL);	/* (a kernelware: its own selectors) */

	/* a pushed selector's upper half is undefined: only the selector counts */
	mkctx(&uc, 0, t_simple, (void *)6, NULL);
	for (int i = 0; i < 4; i++)
		uc.gregs[i] |= 0xbfbf0000;
	uc.gregs[15] |= 0x08240000;
	uc.gregs[18] |= 0x08240000;
	printf("create high selector bits %d ",
	    err(syscall(SYS_lwp_create, &uc, 0, &lid)));
	w = err(syscall(SYS_lwp_wait, lid, &dep));	/* before v_ran is read: */
	printf("wait %d ran %d\n", w, v_ran);		/* argument order is unspecified */

	/* create, wait for it by id */
	lid = create(0, t_simple, (void *)7, 0, NULL);
	printf("new lid differs %d\n", lid != me && lid > 0);
	printf("wait it %d\n", err(syscall(SYS_lwp_wait, lid, &dep)));
	printf("departed %d ran %d self-seen %d private %d mine-unchanged %d\n", dep == lid,
	    v_ran, v_lid == lid, v_priv, (unsigned)syscall(SYS_lwp_getprivate) == mypriv);
	int *myctl = NULL, *again = NULL;
	printf("lwpctl %d ", err(syscall(SYS_lwp_ctl, 1, &myctl)));
	syscall(SYS_lwp_ctl, 1, &again);
	w = again == myctl;
	printf("cpu %d own block %d same again %d bad feature %d\n", myctl[0],
	    v_ctl != 0 && v_ctl != (unsigned)myctl, w,
	    err(syscall(SYS_lwp_ctl, 0x100, &again)));
	printf("wait reaped %d\n", err(syscall(SYS_lwp_wait, lid, &dep)));		/* ESRCH */

	/* wait for any */
	v_ran = 0;
	lid = create(0, t_simple, (void *)8, 0, NULL);
	dep = 0;
	w = err(syscall(SYS_lwp_wait, 0, &dep));
	printf("wait any %d departed %d ran %d\n", w, dep == lid, v_ran);

	/* detached: not waitable, reclaimed */
	v_ran = 0;
	lid = create(0, t_simple, (void *)9, LWP_DETACHED, NULL);
	printf("wait detached %d\n", err(syscall(SYS_lwp_wait, lid, &dep)));	/* EINVAL */
	printf("detach detached %d\n", err(syscall(SYS_lwp_detach, lid)));	/* EINVAL */
	while (!v_ran)
		syscall(SYS_sched_yield);
	syscall(SYS_sched_yield);
	printf("detached gone %d\n", err(syscall(SYS_lwp_kill, lid, 0)));	/* ESRCH */
	printf("wait any only detached %d\n", err(syscall(SYS_lwp_wait, 0, &dep)));	/* EDEADLK */

	/* names, wakeup of a sleeper, detach of a live one */
	v_res = 0;
	lid = create(1, t_named_wait, NULL, 0, NULL);
	int r;
	while ((r = err(syscall(SYS_lwp_wakeup, lid))) == ENODEV)
		syscall(SYS_sched_yield);			/* until it parks */
	printf("woken %d\n", r);
	memset(name, 'x', sizeof name);
	printf("getname %d ", err(syscall(SYS_lwp_getname, lid, name, sizeof name)));
	printf("%s\n", name);
	syscall(SYS_lwp_getname, lid, name, 4);
	printf("getname short %s\n", name);
	w = err(syscall(SYS_lwp_wait, lid, &dep));
	printf("wait woken %d res %d\n", w, v_res);
	printf("getname gone %d\n", err(syscall(SYS_lwp_getname, lid, name, sizeof name)));

	/* suspend/continue; LWP_SUSPENDED */
	v_ran = 0;
	lid = create(0, t_simple, (void *)5, LWP_SUSPENDED, NULL);
	syscall(SYS_sched_yield);
	syscall(SYS_sched_yield);
	printf("suspended ran %d\n", v_ran);
	printf("continue %d\n", err(syscall(SYS_lwp_continue, lid)));
	w = err(syscall(SYS_lwp_wait, lid, &dep));
	printf("wait continued %d ran %d\n", w, v_ran);
	lid = create(1, t_park_forever, NULL, 0, NULL);
	printf("suspend other %d\n", err(syscall(SYS_lwp_suspend, lid)));
	printf("suspend again %d\n", err(syscall(SYS_lwp_suspend, lid)));
	printf("continue other %d\n", err(syscall(SYS_lwp_continue, lid)));
	printf("detach live %d\n", err(syscall(SYS_lwp_detach, lid)));
	printf("calls done\n");
	exit(0);				/* ends the parked LWP too */
}

/* -- park ------------------------------------------------------------------ */

static void
t_park(void *arg)
{
	(void)arg;
	v_flag = 1;
	v_res = syscall(SYS_lwp_park, 3, 0, NULL, 0, NULL, NULL) == -1 ? errno : 0;
	v_ran = 1;
	syscall(SYS_lwp_exit);
}

static void
on_usr1(int sig)
{
	(void)sig;
	v_sig_lid = syscall(SYS_lwp_self);
	v_nsig++;
}

static int
do_park(void)
{
	int me = syscall(SYS_lwp_self), dep, lid, ids[3];
	struct ts t = {0, 10000000};

	printf("unpark self %d\n", err(syscall(SYS_lwp_unpark, me, NULL)));
	printf("park after unpark %d\n", err(syscall(SYS_lwp_park, 3, 0, NULL, 0, NULL, NULL)));
	printf("park timeout %d ", err(syscall(SYS_lwp_park, 3, 0, &t, 0, NULL, NULL)));
	printf("left %lld.%09ld\n", t.sec, t.nsec);	/* a relative timeout: what is left */
	t.sec = 0;
	t.nsec = 5000000;
	struct ts t2 = t;
	syscall(SYS_lwp_unpark, me, NULL);
	printf("unparked first %d, ts kept %d\n",
	    err(syscall(SYS_lwp_park, 3, 0, &t2, 0, NULL, NULL)),
	    t2.sec == t.sec && t2.nsec == t.nsec);
	syscall(SYS_lwp_unpark, me, NULL);
	t2.nsec = 2000000000;
	printf("bad ts before the pending unpark %d\n",
	    err(syscall(SYS_lwp_park, 3, 0, &t2, 0, NULL, NULL)));
	printf("pending still %d\n", err(syscall(SYS_lwp_park, 3, 0, NULL, 0, NULL, NULL)));
	/* an absolute timeout on CLOCK_MONOTONIC, already past */
	struct ts now;
	syscall(SYS_clock_gettime, 3, &now);
	printf("park abs past %d\n", err(syscall(SYS_lwp_park, 3, 1, &now, 0, NULL, NULL)));
	now.nsec += 3000000;
	if (now.nsec >= 1000000000) {
		now.nsec -= 1000000000;
		now.sec++;
	}
	printf("park abs 3ms %d\n", err(syscall(SYS_lwp_park, 3, 1, &now, 0, NULL, NULL)));
	struct ts after;
	syscall(SYS_clock_gettime, 3, &after);
	printf("slept until it %d\n", after.sec > now.sec ||
	    (after.sec == now.sec && after.nsec >= now.nsec));
	t.nsec = 2000000000;
	printf("park bad ts %d\n", err(syscall(SYS_lwp_park, 3, 0, &t, 0, NULL, NULL)));
	printf("park bad unpark %d\n", err(syscall(SYS_lwp_park, 3, 0, NULL, 99999, NULL, NULL)));
	printf("park bad ts ptr %d\n", err(syscall(SYS_lwp_park, 3, 0, (void *)16, 0, NULL, NULL)));
	printf("unpark none %d\n", err(syscall(SYS_lwp_unpark, 99999, NULL)));
	printf("unpark_all max %d\n", syscall(SYS_lwp_unpark_all, NULL, 0, NULL));
	printf("unpark_all too many %d\n", err(syscall(SYS_lwp_unpark_all, ids, 5000, NULL)));
	printf("unpark_all bad ptr %d\n", err(syscall(SYS_lwp_unpark_all, (void *)16, 2, NULL)));

	/* an unpark ends a park that is sleeping: 0 */
	v_flag = v_ran = 0;
	v_res = -1;
	lid = create(0, t_park, NULL, 0, NULL);
	while (!v_flag)
		syscall(SYS_sched_yield);
	syscall(SYS_sched_yield);
	printf("parked still %d\n", v_ran == 0);
	printf("unpark it %d\n", err(syscall(SYS_lwp_unpark, lid, NULL)));
	syscall(SYS_lwp_wait, lid, &dep);
	printf("park returned %d\n", v_res);

	/* _lwp_unpark_all (and an unknown id in the list) */
	v_flag = v_ran = 0;
	lid = create(0, t_park, NULL, 0, NULL);
	while (!v_flag)
		syscall(SYS_sched_yield);
	syscall(SYS_sched_yield);
	ids[0] = 99999;
	ids[1] = lid;
	printf("unpark_all %d\n", syscall(SYS_lwp_unpark_all, ids, 2, NULL));
	syscall(SYS_lwp_wait, lid, &dep);
	printf("park returned %d\n", v_res);

	/* a park sleeping in the park: the unpark argument of another park */
	v_flag = v_ran = 0;
	lid = create(0, t_park, NULL, 0, NULL);
	while (!v_flag)
		syscall(SYS_sched_yield);
	syscall(SYS_sched_yield);
	t.nsec = 1000000;
	printf("park+unpark %d\n", err(syscall(SYS_lwp_park, 3, 0, &t, lid, NULL, NULL)));
	syscall(SYS_lwp_wait, lid, &dep);
	printf("park returned %d\n", v_res);

	/* a caught signal ends a park: EINTR, the handler ran in that LWP */
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	v_flag = v_ran = 0;
	lid = create(0, t_park, NULL, 0, NULL);
	while (!v_flag)
		syscall(SYS_sched_yield);
	syscall(SYS_sched_yield);
	printf("kill parked %d\n", err(syscall(SYS_lwp_kill, lid, SIGUSR1)));
	syscall(SYS_lwp_wait, lid, &dep);
	printf("park returned %d handler in it %d\n", v_res, v_sig_lid == lid);
	printf("park done\n");
	return 0;
}

/* -- preempt --------------------------------------------------------------- */

static void
t_spin(void *arg)
{
	int i = (int)arg;
	while (!v_stop)
		v_count[i]++;
	syscall(SYS_lwp_exit);
}

static int
do_preempt(void)
{
	int lids[3], dep;
	for (int i = 0; i < 3; i++)
		lids[i] = create(i, t_spin, (void *)i, 0, NULL);
	/* main spins too, never entering the kernel, until every LWP has run */
	for (;;) {
		v_count[3]++;
		if (v_count[0] > 1000 && v_count[1] > 1000 && v_count[2] > 1000)
			break;
	}
	v_stop = 1;
	for (int i = 0; i < 3; i++)
		syscall(SYS_lwp_wait, lids[i], &dep);
	printf("preempt: all advanced %d\n", v_count[3] > 0);
	return 0;
}

/* -- block ----------------------------------------------------------------- */

static int pfd[2];

static void
t_reader(void *arg)
{
	char buf[16];
	(void)arg;
	v_flag = 1;
	int n = read(pfd[0], buf, sizeof buf);	/* blocks: only this LWP */
	v_res = n;
	v_ran = v_count[0] > 0;			/* main ran meanwhile */
	syscall(SYS_lwp_exit);
}

static int
do_block(void)
{
	int lid, dep;
	pipe(pfd);
	lid = create(0, t_reader, NULL, 0, NULL);
	while (!v_flag)
		syscall(SYS_sched_yield);
	for (int i = 0; i < 200000; i++)
		v_count[0]++;			/* runs while the reader sleeps */
	write(pfd[1], "hello", 5);
	syscall(SYS_lwp_wait, lid, &dep);
	printf("block: read %d main ran %d\n", v_res, v_ran);
	return 0;
}

/* -- signals --------------------------------------------------------------- */

static void
t_unmasked(void *arg)
{
	(void)arg;
	v_flag = 1;
	while (!v_stop)
		syscall(SYS_sched_yield);
	syscall(SYS_lwp_exit);
}

static void
t_read_intr(void *arg)
{
	char c;
	(void)arg;
	v_flag = 1;
	v_res = read(pfd[0], &c, 1) == -1 ? errno : 0;
	syscall(SYS_lwp_exit);
}

static int
do_signals(void)
{
	int me = syscall(SYS_lwp_self), lid, dep;
	sigset_t all, none, usr1;
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);		/* no SA_RESTART */
	sigemptyset(&none);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigfillset(&all);

	/* main masks SIGUSR1, the new LWP does not: kill(getpid()) goes to it */
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	v_flag = v_stop = 0;
	lid = create(0, t_unmasked, NULL, 0, &none);
	while (!v_flag)
		syscall(SYS_sched_yield);
	kill(getpid(), SIGUSR1);
	while (v_nsig == 0)
		syscall(SYS_sched_yield);
	printf("process signal went to the unmasked LWP %d\n", v_sig_lid == lid);
	/* _lwp_kill: to main, masked there: it stays pending for main */
	v_nsig = 0;
	syscall(SYS_lwp_kill, me, SIGUSR1);
	for (int i = 0; i < 5; i++)
		syscall(SYS_sched_yield);
	printf("directed masked pending %d\n", v_nsig == 0);
	sigprocmask(SIG_UNBLOCK, &usr1, NULL);	/* taken now, by main */
	printf("taken on unmask by main %d\n", v_nsig == 1 && v_sig_lid == me);
	v_nsig = 0;
	syscall(SYS_lwp_kill, lid, SIGUSR1);
	while (v_nsig == 0)
		syscall(SYS_sched_yield);
	printf("directed to the other %d\n", v_sig_lid == lid);
	v_stop = 1;
	syscall(SYS_lwp_wait, lid, &dep);

	/* a sleeping LWP is woken by a process signal it does not mask (EINTR) */
	pipe(pfd);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	v_flag = 0;
	v_res = -1;
	v_nsig = 0;
	lid = create(0, t_read_intr, NULL, 0, &none);
	while (!v_flag)
		syscall(SYS_sched_yield);
	syscall(SYS_sched_yield);
	kill(getpid(), SIGUSR1);
	syscall(SYS_lwp_wait, lid, &dep);
	printf("sleeper interrupted %d by handler in it %d\n", v_res, v_sig_lid == lid);

	/* every LWP masks it: pending for the process until one unmasks */
	v_nsig = 0;
	lid = create(0, t_unmasked, NULL, 0, &all);
	kill(getpid(), SIGUSR1);
	syscall(SYS_sched_yield);
	printf("all masked pending %d\n", v_nsig == 0);
	sigprocmask(SIG_UNBLOCK, &usr1, NULL);
	printf("taken when main unmasks %d\n", v_nsig == 1 && v_sig_lid == me);
	v_stop = 1;
	syscall(SYS_lwp_wait, lid, &dep);
	printf("signals done\n");
	return 0;
}

/* -- fork, exec, exit ---------------------------------------------------------- */

static int
do_fork(void)
{
	int lid = create(0, t_park_forever, NULL, 0, NULL), st, dep;
	pid_t pid = fork();
	if (pid == 0) {
		int self = syscall(SYS_lwp_self);
		int ok = self == getpid() && err(syscall(SYS_lwp_kill, lid, 0)) == ESRCH &&
		    err(syscall(SYS_lwp_wait, 0, &dep)) == EDEADLK;
		_exit(ok ? 7 : 1);
	}
	waitpid(pid, &st, 0);
	printf("fork: child status %d, other LWP still here %d\n", WEXITSTATUS(st),
	    err(syscall(SYS_lwp_kill, lid, 0)) == 0);
	return 0;
}

static int
do_exec(void)
{
	create(0, t_park_forever, NULL, 0, NULL);
	create(1, t_spin, (void *)0, 0, NULL);
	char *argv[] = {"echo", "exec", "ok", NULL};
	char *envp[] = {NULL};
	fflush(stdout);
	execve("/bin/echo", argv, envp);
	printf("execve failed %d\n", errno);
	return 1;
}

/* -- fpu: each LWP's x87 state is its own across preemption ----------------- */

static volatile int v_fpu[3];

static int
fpu_count(int base, int n)
{
	int out;
	/* st(0) = base, then n times st(0) += 1.0 (the value stays on the
	 * x87 stack across every preemption), control word per LWP */
	unsigned short cw = base & 1 ? 0x0c7f : 0x037f;	/* truncate / nearest */
	__asm__ volatile(
	    "fldcw %3\n\t"
	    "fildl %1\n\t"
	    "1:\n\t"
	    "fld1\n\t"
	    "faddp\n\t"
	    "decl %2\n\t"
	    "jnz 1b\n\t"
	    "fnstcw %3\n\t"
	    "fistpl %0"
	    : "=m"(out), "+m"(base), "+r"(n), "+m"(cw));
	return out + (cw == (base & 1 ? 0x0c7f : 0x037f) ? 0 : 1000000000);
}

static void
t_fpu(void *arg)
{
	int i = (int)arg;
	v_fpu[i] = fpu_count(i * 100000000, 3000000);
	syscall(SYS_lwp_exit);
}

static int
do_fpu(void)
{
	int lids[2], dep;
	lids[0] = create(0, t_fpu, (void *)1, 0, NULL);
	lids[1] = create(1, t_fpu, (void *)2, 0, NULL);
	int mine = fpu_count(7, 3000000);
	syscall(SYS_lwp_wait, lids[0], &dep);
	syscall(SYS_lwp_wait, lids[1], &dep);
	printf("fpu: %d %d %d\n", mine, v_fpu[1], v_fpu[2]);
	return 0;
}

/* SIGSTOP stops every LWP of the process, SIGCONT (from a child, 50 ms
 * later) continues them: a running LWP saw the clock jump by the stop, a
 * parked one goes on parked */
static volatile long long v_gap, v_prev;
static volatile int v_armed;

static long long
now_ns(void)
{
	struct ts t;
	syscall(SYS_clock_gettime, 3, &t);
	return t.sec * 1000000000LL + t.nsec;
}

static void
t_clockspin(void *arg)
{
	(void)arg;
	while (!v_stop) {
		long long n = now_ns();
		if (v_armed && v_prev && n - v_prev > v_gap)
			v_gap = n - v_prev;
		v_prev = n;
		v_count[0]++;
	}
	syscall(SYS_lwp_exit);
}

static int
do_stop(void)
{
	int dep, lids[2];
	v_stop = 0;
	lids[0] = create(0, t_clockspin, NULL, 0, NULL);
	v_flag = 0;
	lids[1] = create(1, t_park, NULL, 0, NULL);
	while (!v_flag || v_count[0] == 0)
		syscall(SYS_sched_yield);
	pid_t pid = fork();
	if (pid == 0) {
		struct ts t = {0, 50000000};
		syscall(430, &t, NULL);		/* __nanosleep50: 50 ms */
		kill(getppid(), SIGCONT);
		_exit(0);
	}
	unsigned long before = v_count[0];
	long long t0 = now_ns();
	v_armed = 1;
	kill(getpid(), SIGSTOP);		/* every LWP stops here */
	long long t1 = now_ns();
	unsigned long at = v_count[0];
	while (v_count[0] == at)
		syscall(SYS_sched_yield);
	syscall(SYS_lwp_unpark, lids[1], NULL);
	syscall(SYS_lwp_wait, lids[1], &dep);
	v_stop = 1;
	syscall(SYS_lwp_wait, lids[0], &dep);
	int st;
	waitpid(pid, &st, 0);
	printf("stop: continued, spinner went on %d, parked one unparked %d\n",
	    v_count[0] > before, v_res);
	printf("stopped: main %d, the other LWP too %d\n", t1 - t0 >= 40000000,
	    v_gap >= 40000000);
	return 0;
}

/* a script of LWP operations (argv), for the property test: c create,
 * C create detached, k kill (SIGUSR1), s suspend, r continue, u unpark, w
 * wakeup, d detach, x end it and wait for it, y yield; the digit after a
 * letter picks the LWP (modulo those made).  Prints each call's errno. */
static volatile int v_exit[64];

static void
t_script(void *arg)
{
	int i = (int)arg;
	while (!v_exit[i])
		syscall(SYS_lwp_park, 3, 0, NULL, 0, NULL, NULL);
	syscall(SYS_lwp_exit);
}

static int
do_script(int argc, char **argv)
{
	int lids[64], n = 0, dep;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	for (int a = 2; a < argc; a++) {
		char op = argv[a][0];
		int i = n ? atoi(argv[a] + 1) % n : 0, r = 0;
		if (op == 'c' || op == 'C') {
			if (n == 64)
				continue;
			struct uctx uc;
			unsigned char *stk = malloc(1024);
			mkctx(&uc, 0, t_script, (void *)n, NULL);
			unsigned *top = (unsigned *)(stk + 1024) - 4;
			top[0] = 0;
			top[1] = n;
			uc.gregs[REG_UESP] = (unsigned)top;
			r = err(syscall(SYS_lwp_create, &uc, op == 'C' ? LWP_DETACHED : 0, &lids[n]));
			if (!r)
				n++;
		} else if (n == 0 || op == 'y') {
			syscall(SYS_sched_yield);
			continue;
		} else if (op == 'k')
			r = err(syscall(SYS_lwp_kill, lids[i], SIGUSR1));
		else if (op == 's')
			r = err(syscall(SYS_lwp_suspend, lids[i]));
		else if (op == 'r')
			r = err(syscall(SYS_lwp_continue, lids[i]));
		else if (op == 'u')
			r = err(syscall(SYS_lwp_unpark, lids[i], NULL));
		else if (op == 'w')
			r = err(syscall(SYS_lwp_wakeup, lids[i]));
		else if (op == 'd')
			r = err(syscall(SYS_lwp_detach, lids[i]));
		else if (op == 'x') {
			v_exit[i] = 1;
			syscall(SYS_lwp_continue, lids[i]);
			syscall(SYS_lwp_unpark, lids[i], NULL);
			r = err(syscall(SYS_lwp_wait, lids[i], &dep));
		}
		printf("%c%d ", op, r);
	}
	printf("\nscript done\n");
	exit(0);
}

/* a new LWP whose context is wild: EFAULT for a stack the kernel cannot
 * write (a kernelware's), else its first instruction faults: SIGSEGV for
 * the process */
static int
do_wild(void)
{
	struct uctx uc;
	int lid;
	mkctx(&uc, 0, t_simple, NULL, NULL);
	uc.gregs[REG_UESP] = 16;
	uc.gregs[REG_EIP] = 16;
	int e = err(syscall(SYS_lwp_create, &uc, 0, &lid));
	printf("wild stack %d\n", e);
	mkctx(&uc, 0, t_simple, NULL, NULL);
	uc.gregs[REG_EIP] = 16;
	printf("wild eip %d\n", err(syscall(SYS_lwp_create, &uc, 0, &lid)));
	for (;;)
		syscall(SYS_lwp_park, 3, 0, NULL, 0, NULL, NULL);
}

/* LWPs until the kernel has no memory for another: EAGAIN, then all go */
static int
do_many(void)
{
	int n = 0, lid, e;
	for (;;) {
		struct uctx uc;
		unsigned char *stk = malloc(256);	/* a parked LWP needs little */
		if (stk == NULL) {
			printf("many: malloc failed first\n");
			exit(1);
		}
		mkctx(&uc, 0, t_park_forever, NULL, NULL);
		unsigned *top = (unsigned *)(stk + 256) - 4;
		top[0] = top[1] = 0;
		uc.gregs[REG_UESP] = (unsigned)top;
		if (syscall(SYS_lwp_create, &uc, LWP_DETACHED, &lid) != 0)
			break;
		n++;
	}
	e = errno;
	printf("many: %d LWPs, then errno %d\n", n > 10, e);
	exit(0);
}

static void
t_exit3(void *arg)
{
	(void)arg;
	say("exiting from the second LWP\n");
	exit(3);
}

static int
do_exit(void)
{
	create(0, t_exit3, NULL, 0, NULL);
	create(1, t_park_forever, NULL, 0, NULL);
	for (;;)
		syscall(SYS_lwp_park, 3, 0, NULL, 0, NULL, NULL);
}

static void
t_last(void *arg)
{
	(void)arg;
	for (int i = 0; i < 3; i++)
		syscall(SYS_sched_yield);
	say("last LWP exits\n");
	syscall(SYS_lwp_exit);
}

static int
do_last(void)
{
	create(0, t_last, NULL, LWP_DETACHED, NULL);
	fflush(stdout);
	say("main LWP exits\n");
	syscall(SYS_lwp_exit);
	return 1;
}

int
main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc < 2)
		return 2;
	if (!strcmp(argv[1], "calls"))
		return do_calls();
	if (!strcmp(argv[1], "park"))
		return do_park();
	if (!strcmp(argv[1], "preempt"))
		return do_preempt();
	if (!strcmp(argv[1], "block"))
		return do_block();
	if (!strcmp(argv[1], "signals"))
		return do_signals();
	if (!strcmp(argv[1], "fork"))
		return do_fork();
	if (!strcmp(argv[1], "exec"))
		return do_exec();
	if (!strcmp(argv[1], "script"))
		return do_script(argc, argv);
	if (!strcmp(argv[1], "stop"))
		return do_stop();
	if (!strcmp(argv[1], "wild"))
		return do_wild();
	if (!strcmp(argv[1], "fpu"))
		return do_fpu();
	if (!strcmp(argv[1], "many"))
		return do_many();
	if (!strcmp(argv[1], "exit"))
		return do_exit();
	if (!strcmp(argv[1], "last"))
		return do_last();
	return 2;
}
