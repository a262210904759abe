/*
 * cputime -- CPU-time clocks, rusage of a sleeping parent and relative
 * timers across clock_settime (tests/test_nbsd_cputime.py).  Prints
 * "ok N what" per check, "FAIL N what" on a wrong result, then "done".
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int _lwp_self(void);

static int n, bad;

static void
check(int cond, const char *what)
{
	n++;
	printf("%s %d %s\n", cond ? "ok" : "FAIL", n, what);
	if (!cond)
		bad++;
}

static long long
ns(clockid_t c)
{
	struct timespec ts;
	if (clock_gettime(c, &ts) != 0)
		return -1;
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static volatile unsigned sink;

static void
spin(int k)
{
	int i;
	for (i = 0; i < k; i++)
		sink += i;
}

static volatile int spinning = 1;

static void *
thread_spin(void *arg)
{
	clockid_t *c = arg;
	pthread_getcpuclockid(pthread_self(), c);
	spin(3000000);
	return 0;
}

static volatile int fired;

static void
on_alarm(int s)
{
	(void)s;
	fired = 1;
}

int
main(void)
{
	clockid_t c0, c1, cself, ct;
	struct timespec ts;
	struct rusage ru;
	long long a, b, t0;
	pthread_t th;
	pid_t pid;
	int st;

	/* clock_getcpuclockid: CLOCK_PROCESS_CPUTIME_ID | pid, 0 = the caller */
	check(clock_getcpuclockid(0, &c0) == 0 && c0 == (CLOCK_PROCESS_CPUTIME_ID | getpid()),
	    "clock_getcpuclockid(0) names this process");
	check(clock_getcpuclockid(getpid(), &c1) == 0 && c1 == c0, "clock_getcpuclockid(getpid())");
	check(clock_getcpuclockid2(P_LWPID, 0, &ct) == 0 &&
	    ct == (CLOCK_THREAD_CPUTIME_ID | _lwp_self()), "clock_getcpuclockid2(P_LWPID, 0)");
	errno = 0;
	check(clock_getcpuclockid2(P_PGID, 0, &ct) == -1 && errno == EINVAL,
	    "clock_getcpuclockid2 of another idtype: EINVAL");
	/* the process clock advances with work, the thread clock too */
	a = ns(CLOCK_PROCESS_CPUTIME_ID);
	b = ns(c0);
	spin(2000000);
	check(a >= 0 && b >= a && ns(c0) > b, "the process clock advances while it computes");
	a = ns(CLOCK_THREAD_CPUTIME_ID);
	spin(2000000);
	check(a >= 0 && ns(CLOCK_THREAD_CPUTIME_ID) > a, "the thread clock advances while it computes");
	/* but not while the process sleeps */
	a = ns(CLOCK_PROCESS_CPUTIME_ID);
	ts.tv_sec = 1; ts.tv_nsec = 0;
	nanosleep(&ts, 0);
	b = ns(CLOCK_PROCESS_CPUTIME_ID);
	check(b - a < 10000000, "a second's sleep costs no CPU time");
	/* nor while a child computes: the parent's getrusage stays small */
	getrusage(RUSAGE_SELF, &ru);
	t0 = ru.ru_utime.tv_sec * 1000000LL + ru.ru_utime.tv_usec +
	    ru.ru_stime.tv_sec * 1000000LL + ru.ru_stime.tv_usec;
	pid = fork();
	if (pid == 0) {
		spin(20000000);
		_exit(0);
	}
	check(clock_getcpuclockid(pid, &c1) == 0 && ns(c1) >= 0,
	    "a child's CPU clock can be read");
	waitpid(pid, &st, 0);
	getrusage(RUSAGE_SELF, &ru);
	a = ru.ru_utime.tv_sec * 1000000LL + ru.ru_utime.tv_usec +
	    ru.ru_stime.tv_sec * 1000000LL + ru.ru_stime.tv_usec;
	getrusage(RUSAGE_CHILDREN, &ru);
	b = ru.ru_utime.tv_sec * 1000000LL + ru.ru_utime.tv_usec +
	    ru.ru_stime.tv_sec * 1000000LL + ru.ru_stime.tv_usec;
	check(b > 20000 && a - t0 < b / 10, "a child's computing is the child's time, not the waiting parent's");
	{
		struct tms tm;
		struct rlimit rl;
		clock_t t = times(&tm);
		check(t != (clock_t)-1 && tm.tms_cutime + tm.tms_cstime >= 2 &&
		    tm.tms_cutime + tm.tms_cstime <= b / 10000 + 1 && tm.tms_utime + tm.tms_stime < 100,
		    "times(): the reaped child's ticks (1/100 s), few of our own");
		check(getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur == RLIM_INFINITY &&
		    RLIMIT_AS == 10, "RLIMIT_AS (NetBSD's RLIMIT_VMEM, 10)");
	}
	errno = 0;
	check(clock_gettime(c1, &ts) == -1 && errno == ESRCH, "the CPU clock of a reaped child: ESRCH");
	errno = 0;
	check(clock_gettime(CLOCK_THREAD_CPUTIME_ID | 999, &ts) == -1 && errno == ESRCH,
	    "the CPU clock of no LWP: ESRCH");
	errno = 0;
	check(clock_getres(CLOCK_PROCESS_CPUTIME_ID, &ts) == -1 && errno == EINVAL,
	    "clock_getres of a CPU clock: EINVAL (NetBSD clock_getres1)");
	errno = 0;
	check(clock_settime(c0, &ts) == -1 && errno == EINVAL, "clock_settime of a CPU clock: EINVAL");
	errno = 0;
	check(clock_gettime(17, &ts) == -1 && errno == EINVAL, "clock_gettime(17): EINVAL");
	/* each thread has its own clock */
	cself = 0;
	check(pthread_create(&th, 0, thread_spin, &cself) == 0 && pthread_join(th, 0) == 0 &&
	    (cself & CLOCK_THREAD_CPUTIME_ID) && (cself & ~CLOCK_THREAD_CPUTIME_ID) != _lwp_self(),
	    "pthread_getcpuclockid names the thread's own LWP");
	a = ns(CLOCK_THREAD_CPUTIME_ID);
	b = ns(CLOCK_PROCESS_CPUTIME_ID);
	check(a > 0 && b > a, "the process clock counts the other thread's time, this thread's does not");
	/* process-shared synchronisation: unsupported, ENOSYS as NetBSD's libpthread */
	{
		pthread_mutexattr_t ma;
		pthread_condattr_t ca;
		pthread_rwlockattr_t ra;
		pthread_barrierattr_t ba;
		pthread_mutexattr_init(&ma);
		pthread_condattr_init(&ca);
		pthread_rwlockattr_init(&ra);
		pthread_barrierattr_init(&ba);
		check(pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED) == ENOSYS &&
		    pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED) == ENOSYS &&
		    pthread_rwlockattr_setpshared(&ra, PTHREAD_PROCESS_SHARED) == ENOSYS &&
		    pthread_barrierattr_setpshared(&ba, PTHREAD_PROCESS_SHARED) == ENOSYS &&
		    pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_PRIVATE) == 0 &&
		    pthread_mutexattr_setpshared(&ma, 7) == EINVAL,
		    "*attr_setpshared: PROCESS_SHARED ENOSYS, PRIVATE 0, other EINVAL (NetBSD)");
	}
	/* a relative timer is not moved by clock_settime (root only) */
	if (getuid() == 0) {
		struct sigevent ev;
		struct itimerspec its;
		timer_t tid;
		struct timespec now, left;
		memset(&ev, 0, sizeof ev);
		ev.sigev_notify = SIGEV_SIGNAL;
		ev.sigev_signo = SIGALRM;
		signal(SIGALRM, on_alarm);
		timer_create(CLOCK_REALTIME, &ev, &tid);
		memset(&its, 0, sizeof its);
		its.it_value.tv_sec = 3;
		timer_settime(tid, 0, &its, 0);
		clock_gettime(CLOCK_REALTIME, &now);
		now.tv_sec -= 10;
		clock_settime(CLOCK_REALTIME, &now);
		ts.tv_sec = 5; ts.tv_nsec = 0;
		check(nanosleep(&ts, &left) == -1 && errno == EINTR && fired &&
		    left.tv_sec >= 1 && left.tv_sec <= 2,
		    "a relative timer fires on time after the clock is set back");
		fired = 0;
		its.it_value.tv_sec = 3;
		timer_settime(tid, 0, &its, 0);
		clock_gettime(CLOCK_REALTIME, &now);
		now.tv_sec += 100;
		clock_settime(CLOCK_REALTIME, &now);
		ts.tv_sec = 1; ts.tv_nsec = 0;
		check(nanosleep(&ts, 0) == 0 && !fired, "nor early after it is set forward");
		clock_gettime(CLOCK_REALTIME, &now);
		its.it_value.tv_sec = now.tv_sec + 1;
		its.it_value.tv_nsec = now.tv_nsec;
		fired = 0;
		timer_settime(tid, TIMER_ABSTIME, &its, 0);
		now.tv_sec += 2;
		clock_settime(CLOCK_REALTIME, &now);
		ts.tv_sec = 0; ts.tv_nsec = 50000000;
		nanosleep(&ts, 0);
		check(fired, "an absolute timer fires once the clock is set past it");
	}
	printf("done\n");
	return bad != 0;
}
