/*
 * POSIX threads (issue 14): libc/pthread*.c on the kernel's LWPs.  The same
 * source builds for the host (gcc -pthread, glibc) and must print the same
 * lines there as under kw86 (tests/test_nbsd_pthread.py).  Only main prints,
 * after the threads it checks are joined, so the output is deterministic.
 *
 *   pthread            every check below, one line each
 *   pthread mainexit   main calls pthread_exit; a worker prints later, status 0
 *   pthread lastexit   every thread (main last) pthread_exits: status 0
 *   pthread guard      a thread writes into its guard page: SIGSEGV
 *   pthread exit3      exit(3) from a second thread while others are blocked
 */
#define _GNU_SOURCE                     /* the host: pthread_*_np */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NT 8

static void
check(const char *what, int got, int want)
{
    if (got != want)
        printf("FAIL %s: got %d want %d\n", what, got, want);
}

/* -- mutex counter --------------------------------------------------------- */

static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void *
t_count(void *arg)
{
    int i;
    for (i = 0; i < 2000; i++) {
        pthread_mutex_lock(&count_lock);
        long v = counter;
        if ((i & 63) == 0)
            sched_yield();              /* invite a race the mutex must prevent */
        counter = v + 1;
        pthread_mutex_unlock(&count_lock);
    }
    return arg;
}

static void
test_counter(void)
{
    pthread_t t[NT];
    int i, ok = 1;
    for (i = 0; i < NT; i++)
        check("create", pthread_create(&t[i], NULL, t_count, (void *)(long)i), 0);
    for (i = 0; i < NT; i++) {
        void *r;
        check("join", pthread_join(t[i], &r), 0);
        ok &= r == (void *)(long)i;
    }
    printf("counter: %ld (8 threads x 2000), join values ok %d\n", counter, ok);
}

/* -- producer / consumer ---------------------------------------------------- */

#define QN 4
static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_nonempty = PTHREAD_COND_INITIALIZER;
static pthread_cond_t q_nonfull = PTHREAD_COND_INITIALIZER;
static int q_buf[QN], q_head, q_len, q_done;

static void *
t_producer(void *arg)
{
    int i;
    (void)arg;
    for (i = 1; i <= 500; i++) {
        pthread_mutex_lock(&q_lock);
        while (q_len == QN)
            pthread_cond_wait(&q_nonfull, &q_lock);
        q_buf[(q_head + q_len++) % QN] = i;
        pthread_cond_signal(&q_nonempty);
        pthread_mutex_unlock(&q_lock);
    }
    pthread_mutex_lock(&q_lock);
    q_done = 1;
    pthread_cond_broadcast(&q_nonempty);
    pthread_mutex_unlock(&q_lock);
    return NULL;
}

static void *
t_consumer(void *arg)
{
    long sum = 0, n = 0;
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&q_lock);
        while (q_len == 0 && !q_done)
            pthread_cond_wait(&q_nonempty, &q_lock);
        if (q_len == 0) {
            pthread_mutex_unlock(&q_lock);
            break;
        }
        sum += q_buf[q_head];
        q_head = (q_head + 1) % QN;
        q_len--;
        n++;
        pthread_cond_signal(&q_nonfull);
        pthread_mutex_unlock(&q_lock);
    }
    return (void *)(sum * 1000 + n);
}

static void
test_prodcons(void)
{
    pthread_t p, c[3];
    long total = 0, items = 0;
    int i;
    pthread_create(&p, NULL, t_producer, NULL);
    for (i = 0; i < 3; i++)
        pthread_create(&c[i], NULL, t_consumer, NULL);
    pthread_join(p, NULL);
    for (i = 0; i < 3; i++) {
        void *r;
        pthread_join(c[i], &r);
        total += (long)r / 1000;
        items += (long)r % 1000;
    }
    printf("producer/consumer: %ld items, sum %ld\n", items, total);
}

/* -- join values, self, equal, errors ---------------------------------------- */

static void *
t_square(void *arg)
{
    long i = (long)arg;
    if (i == 3)
        pthread_exit((void *)(i * i + 1000));
    return (void *)(i * i);
}

static void *
t_self(void *arg)
{
    (void)arg;
    return (void *)pthread_self();
}

static void
test_join(void)
{
    pthread_t t[5], s;
    int i;
    printf("join:");
    for (i = 0; i < 5; i++)
        pthread_create(&t[i], NULL, t_square, (void *)(long)i);
    for (i = 4; i >= 0; i--) {
        void *r;
        pthread_join(t[i], &r);
        printf(" %ld", (long)r);
    }
    printf("\n");
    pthread_create(&s, NULL, t_self, NULL);
    void *r;
    pthread_join(s, &r);
    printf("self equal in thread %d, main equal %d, join self EDEADLK %d\n",
           pthread_equal((pthread_t)r, s),
           pthread_equal(pthread_self(), pthread_self()),
           pthread_join(pthread_self(), NULL) == EDEADLK);
}

/* -- pthread_kill to one thread ---------------------------------------------- */

static pthread_t k_threads[3];
static volatile int k_hits[3];

static void
on_usr1(int sig)
{
    int i;
    (void)sig;
    for (i = 0; i < 3; i++)
        if (pthread_equal(pthread_self(), k_threads[i]))
            k_hits[i]++;
}

static void *
t_sigwaiter(void *arg)
{
    sigset_t none;
    (void)arg;
    sigemptyset(&none);
    sigsuspend(&none);                  /* SIGUSR1 is blocked outside it */
    return NULL;
}

static void
test_kill(void)
{
    sigset_t usr1, old;
    struct sigaction sa;
    int i;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    check("sigmask", pthread_sigmask(SIG_BLOCK, &usr1, &old), 0);
    for (i = 0; i < 3; i++)
        pthread_create(&k_threads[i], NULL, t_sigwaiter, NULL);
    check("kill", pthread_kill(k_threads[1], SIGUSR1), 0);
    pthread_join(k_threads[1], NULL);
    printf("pthread_kill: hits %d %d %d\n", k_hits[0], k_hits[1], k_hits[2]);
    pthread_kill(k_threads[0], SIGUSR1);
    pthread_kill(k_threads[2], SIGUSR1);
    pthread_join(k_threads[0], NULL);
    pthread_join(k_threads[2], NULL);
    printf("pthread_kill: then hits %d %d %d, kill 0 to a live thread %d, bad signal %d\n",
           k_hits[0], k_hits[1], k_hits[2], pthread_kill(pthread_self(), 0),
           pthread_kill(pthread_self(), 9999) == EINVAL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* -- mutex types ---------------------------------------------------------------- */

static pthread_mutex_t m_rec, m_err, m_norm;

static void *
t_trylocks(void *arg)
{
    long r = 0;
    (void)arg;
    r = pthread_mutex_trylock(&m_rec);
    r = r * 100 + pthread_mutex_unlock(&m_err);
    r = r * 100 + pthread_mutex_trylock(&m_norm);
    return (void *)r;
}

static void
test_mutex_types(void)
{
    pthread_mutexattr_t a;
    pthread_t t;
    void *r;
    int type;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutexattr_gettype(&a, &type);
    pthread_mutex_init(&m_rec, &a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_init(&m_err, &a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_NORMAL);
    pthread_mutex_init(&m_norm, &a);
    printf("mutexattr: type %d, bad type %d\n", type == PTHREAD_MUTEX_RECURSIVE,
           pthread_mutexattr_settype(&a, 99) == EINVAL);
    pthread_mutexattr_destroy(&a);

    int l1 = pthread_mutex_lock(&m_rec), l2 = pthread_mutex_lock(&m_rec),
        l3 = pthread_mutex_trylock(&m_rec);
    int e1 = pthread_mutex_lock(&m_err), e2 = pthread_mutex_lock(&m_err) == EDEADLK,
        e3 = pthread_mutex_trylock(&m_err) == EBUSY;
    pthread_mutex_lock(&m_norm);
    pthread_create(&t, NULL, t_trylocks, NULL);
    pthread_join(t, &r);
    long v = (long)r;
    printf("recursive: locks %d %d %d, other thread trylock EBUSY %d\n", l1, l2, l3,
           v / 10000 == EBUSY);
    printf("errorcheck: lock %d relock EDEADLK %d trylock EBUSY %d, unlock by other EPERM %d\n",
           e1, e2, e3, v / 100 % 100 == EPERM);
    printf("normal: trylock by other EBUSY %d, destroy locked EBUSY %d\n", v % 100 == EBUSY,
           pthread_mutex_destroy(&m_norm) == EBUSY);
    pthread_mutex_unlock(&m_rec);
    pthread_mutex_unlock(&m_rec);
    pthread_mutex_unlock(&m_rec);
    pthread_create(&t, NULL, t_trylocks, NULL);
    pthread_join(t, &r);
    printf("recursive: after 3 unlocks other thread trylock %ld, unlock unowned EPERM %d\n",
           (long)r / 10000, pthread_mutex_unlock(&m_rec) == EPERM);
    pthread_mutex_unlock(&m_err);
    pthread_mutex_unlock(&m_norm);
    printf("destroy: %d %d\n", pthread_mutex_destroy(&m_err), pthread_mutex_destroy(&m_norm));
}

/* -- once ------------------------------------------------------------------------- */

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int once_runs;

static void
init_once(void)
{
    once_runs++;
    sched_yield();
}

static void *
t_once(void *arg)
{
    pthread_once(&once, init_once);
    return arg;
}

static void
test_once(void)
{
    pthread_t t[NT];
    int i;
    for (i = 0; i < NT; i++)
        pthread_create(&t[i], NULL, t_once, NULL);
    for (i = 0; i < NT; i++)
        pthread_join(t[i], NULL);
    pthread_once(&once, init_once);
    printf("once: %d run from 9 callers\n", once_runs);
}

/* -- keys -------------------------------------------------------------------------- */

static pthread_key_t key;
static pthread_mutex_t d_lock = PTHREAD_MUTEX_INITIALIZER;
static int d_calls, d_sum;

static void
destructor(void *v)
{
    pthread_mutex_lock(&d_lock);
    d_calls++;
    d_sum += *(int *)v;
    pthread_mutex_unlock(&d_lock);
    free(v);
}

static void *
t_key(void *arg)
{
    int *v = malloc(sizeof *v);
    long before = pthread_getspecific(key) == NULL;
    *v = (int)(long)arg;
    pthread_setspecific(key, v);
    sched_yield();
    return (void *)(long)(before && pthread_getspecific(key) == v);
}

static void
test_keys(void)
{
    pthread_t t[4];
    int i, ok = 1;
    static int mine = 7;
    check("key", pthread_key_create(&key, destructor), 0);
    pthread_setspecific(key, &mine);
    for (i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, t_key, (void *)(long)(i + 1));
    for (i = 0; i < 4; i++) {
        void *r;
        pthread_join(t[i], &r);
        ok &= r != NULL;
    }
    printf("keys: own values %d, destructors %d sum %d, main's %d\n", ok, d_calls, d_sum,
           *(int *)pthread_getspecific(key));
    pthread_setspecific(key, NULL);
    int d1 = pthread_key_delete(key);
    printf("keys: delete %d, delete again EINVAL %d\n", d1, pthread_key_delete(key) == EINVAL);
}

/* -- cancellation --------------------------------------------------------------------- */

static int c_pipe[2];
static volatile int c_cleanups;
static pthread_mutex_t c_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c_cv = PTHREAD_COND_INITIALIZER;
static volatile int c_ready;

static void
cleanup(void *arg)
{
    c_cleanups += (int)(long)arg;
}

static void
unlock_cleanup(void *m)
{
    c_cleanups += 100;
    pthread_mutex_unlock(m);
}

static void *
t_read_cancel(void *arg)
{
    char b;
    (void)arg;
    pthread_cleanup_push(cleanup, (void *)1);
    c_ready = 1;
    for (;;)
        read(c_pipe[0], &b, 1);         /* nothing ever comes */
    pthread_cleanup_pop(0);
    return NULL;
}

static void *
t_cond_cancel(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&c_lock);
    pthread_cleanup_push(unlock_cleanup, &c_lock);
    c_ready = 1;
    for (;;)
        pthread_cond_wait(&c_cv, &c_lock);
    pthread_cleanup_pop(1);
    return NULL;
}

static void *
t_sleep_cancel(void *arg)
{
    (void)arg;
    pthread_cleanup_push(cleanup, (void *)10);
    c_ready = 1;
    for (;;)
        sleep(100);
    pthread_cleanup_pop(0);
    return NULL;
}

static void *
t_disabled(void *arg)
{
    int old, i;
    volatile int spin = 0;
    (void)arg;
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
    c_ready = 1;
    while (c_ready != 2)
        sched_yield();
    for (i = 0; i < 3; i++)
        usleep(1000);                   /* cancellation points, but disabled */
    spin = 1;
    pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
    pthread_testcancel();
    return (void *)(long)(spin + 40);
}

static void
run_cancel(const char *what, void *(*fn)(void *))
{
    pthread_t t;
    void *r;
    c_ready = 0;
    c_cleanups = 0;
    pthread_create(&t, NULL, fn, NULL);
    while (!c_ready)
        sched_yield();
    usleep(20000);                      /* let it block (cancellation works either way) */
    check("cancel", pthread_cancel(t), 0);
    c_ready = 2;
    pthread_join(t, &r);
    printf("cancel %s: canceled %d, cleanups %d\n", what, r == PTHREAD_CANCELED, c_cleanups);
}

static void
test_cancel(void)
{
    pipe(c_pipe);
    run_cancel("read", t_read_cancel);
    run_cancel("cond_wait", t_cond_cancel);
    printf("cancel cond_wait: mutex free again %d\n", pthread_mutex_trylock(&c_lock) == 0);
    pthread_mutex_unlock(&c_lock);
    run_cancel("sleep", t_sleep_cancel);
    run_cancel("disabled then enabled", t_disabled);
    int old;
    printf("cancel: bad state EINVAL %d, bad type EINVAL %d\n",
           pthread_setcancelstate(7, &old) == EINVAL, pthread_setcanceltype(7, &old) == EINVAL);
}

/* -- timeouts ---------------------------------------------------------------------- */

static pthread_mutex_t hold = PTHREAD_MUTEX_INITIALIZER;

static void *
t_timedlock(void *arg)
{
    struct timespec ts;
    (void)arg;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 30 * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    return (void *)(long)pthread_mutex_timedlock(&hold, &ts);
}

static int
timed(clockid_t clk, int use_attr)
{
    pthread_condattr_t ca;
    pthread_cond_t cv;
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    struct timespec ts, now;
    int r;
    pthread_condattr_init(&ca);
    if (use_attr)
        pthread_condattr_setclock(&ca, clk);
    pthread_cond_init(&cv, &ca);
    clock_gettime(clk, &ts);
    ts.tv_nsec += 50 * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&m);
    r = pthread_cond_timedwait(&cv, &m, &ts);
    clock_gettime(clk, &now);
    pthread_mutex_unlock(&m);
    pthread_cond_destroy(&cv);
    if (now.tv_sec < ts.tv_sec || (now.tv_sec == ts.tv_sec && now.tv_nsec < ts.tv_nsec))
        return -1;                      /* returned before the deadline */
    return r;
}

static void
test_timeouts(void)
{
    pthread_condattr_t ca;
    clockid_t clk;
    pthread_t t;
    void *r;
    struct timespec past = {0, 0}, bad = {0, 2000000000};
    pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
    printf("timedwait: realtime ETIMEDOUT %d, monotonic ETIMEDOUT %d\n",
           timed(CLOCK_REALTIME, 0) == ETIMEDOUT, timed(CLOCK_MONOTONIC, 1) == ETIMEDOUT);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_condattr_getclock(&ca, &clk);
    printf("condattr: clock monotonic %d, process cputime EINVAL %d\n", clk == CLOCK_MONOTONIC,
           pthread_condattr_setclock(&ca, CLOCK_PROCESS_CPUTIME_ID) == EINVAL);
    pthread_mutex_lock(&hold);
    pthread_create(&t, NULL, t_timedlock, NULL);
    pthread_join(t, &r);
    printf("timedlock: held by main ETIMEDOUT %d, past deadline on a free mutex %d\n",
           (long)r == ETIMEDOUT, (pthread_mutex_unlock(&hold), pthread_mutex_timedlock(&hold, &past)));
    pthread_mutex_lock(&c_lock);
    struct timespec neg = {-1, 0};
    int p1 = pthread_cond_timedwait(&cv, &c_lock, &past) == ETIMEDOUT;
    int p2 = pthread_cond_timedwait(&cv, &c_lock, &neg) == ETIMEDOUT;
    printf("timedwait: past deadline ETIMEDOUT %d, before the epoch %d, bad nsec EINVAL %d\n",
           p1, p2, pthread_cond_timedwait(&cv, &c_lock, &bad) == EINVAL);
    pthread_mutex_unlock(&c_lock);
    pthread_mutex_unlock(&hold);
}

/* -- rwlocks, barriers, spinlocks ----------------------------------------------------- */

static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static pthread_barrier_t bar;
static volatile int readers_in, max_readers, writer_in, rw_bad;
static pthread_spinlock_t spin;
static long spin_count;

static void *
t_rw(void *arg)
{
    int i, serial = 0;
    long id = (long)arg;
    if (pthread_barrier_wait(&bar) == PTHREAD_BARRIER_SERIAL_THREAD)
        serial = 1;
    for (i = 0; i < 20; i++) {
        if (id == 0 && i % 5 == 0) {
            pthread_rwlock_wrlock(&rw);
            writer_in++;
            if (readers_in != 0 || writer_in != 1)
                rw_bad = 1;
            sched_yield();
            writer_in--;
            pthread_rwlock_unlock(&rw);
        } else {
            pthread_rwlock_rdlock(&rw);
            pthread_spin_lock(&spin);
            readers_in++;
            if (readers_in > max_readers)
                max_readers = readers_in;
            if (writer_in)
                rw_bad = 1;
            pthread_spin_unlock(&spin);
            sched_yield();
            pthread_spin_lock(&spin);
            readers_in--;
            spin_count++;
            pthread_spin_unlock(&spin);
            pthread_rwlock_unlock(&rw);
        }
    }
    return (void *)(long)serial;
}

static void
test_rw(void)
{
    pthread_t t[4];
    int i, serials = 0;
    pthread_barrier_init(&bar, NULL, 4);
    pthread_spin_init(&spin, PTHREAD_PROCESS_PRIVATE);
    for (i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, t_rw, (void *)(long)i);
    for (i = 0; i < 4; i++) {
        void *r;
        pthread_join(t[i], &r);
        serials += (int)(long)r;
    }
    printf("barrier: %d serial thread of 4, destroy %d, count 0 EINVAL %d\n", serials,
           pthread_barrier_destroy(&bar), pthread_barrier_init(&bar, NULL, 0) == EINVAL);
    printf("rwlock: exclusive %d, reader passes %ld\n", !rw_bad, spin_count);
    pthread_rwlock_rdlock(&rw);
    pthread_rwlock_rdlock(&rw);
    int tw = pthread_rwlock_trywrlock(&rw);
    pthread_rwlock_unlock(&rw);
    pthread_rwlock_unlock(&rw);
    pthread_rwlock_wrlock(&rw);
    int tr = pthread_rwlock_tryrdlock(&rw);
    pthread_rwlock_unlock(&rw);
    printf("rwlock: trywrlock under readers EBUSY %d, tryrdlock under writer %s\n",
           tw == EBUSY, tr == EBUSY || tr == EDEADLK ? "refused" : "granted");
    pthread_spin_lock(&spin);
    int st = pthread_spin_trylock(&spin);
    pthread_spin_unlock(&spin);
    printf("spin: trylock held EBUSY %d, destroy %d\n", st == EBUSY, pthread_spin_destroy(&spin));
}

/* -- errno per thread, attributes, names, detached ------------------------------------ */

static void *
t_errno(void *arg)
{
    (void)arg;
    errno = 0;
    close(-1);
    sched_yield();
    return (void *)(long)errno;
}

static volatile int det_done;
static pthread_mutex_t det_lock = PTHREAD_MUTEX_INITIALIZER;

static void *
t_detached(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&det_lock);
    det_done++;
    pthread_mutex_unlock(&det_lock);
    return NULL;
}

static void *
t_stack(void *arg)
{
    char big[100000];
    memset(big, (int)(long)arg, sizeof big);
    return (void *)(long)big[sizeof big - 1];
}

static char *volatile where;

static void *
t_where(void *arg)
{
    volatile char here = 0;
    where = (char *)&here;
    return arg;
}

static void
test_setstack(void)
{
    pthread_attr_t a;
    pthread_t t;
    void *stk = NULL, *r, *got;
    size_t size;
    int e = posix_memalign(&stk, 4096, 65536);
    pthread_attr_init(&a);
    pthread_attr_setstack(&a, stk, 65536);
    pthread_attr_getstack(&a, &got, &size);
    pthread_create(&t, &a, t_where, NULL);
    pthread_join(t, &r);
    r = where;
    printf("setstack: posix_memalign %d page-aligned %d, attr back %d, thread on it %d\n", e,
           ((unsigned long)stk & 4095) == 0, got == stk && size == 65536,
           (char *)r >= (char *)stk && (char *)r < (char *)stk + 65536);
    pthread_attr_destroy(&a);
    free(stk);
}

static void
test_misc(void)
{
    pthread_t t;
    pthread_attr_t a;
    void *r;
    size_t sz;
    int ds, i;
    char name[64];

    errno = ENOENT;
    pthread_create(&t, NULL, t_errno, NULL);
    pthread_join(t, &r);
    printf("errno: thread's EBADF %d, main's still ENOENT %d\n", (long)r == EBADF, errno == ENOENT);

    pthread_attr_init(&a);
    pthread_attr_getdetachstate(&a, &ds);
    pthread_attr_setstacksize(&a, 256 * 1024);
    pthread_attr_getstacksize(&a, &sz);
    printf("attr: joinable default %d, stacksize %zu, too small EINVAL %d, bad detachstate EINVAL %d\n",
           ds == PTHREAD_CREATE_JOINABLE, sz, pthread_attr_setstacksize(&a, 100) == EINVAL,
           pthread_attr_setdetachstate(&a, 5) == EINVAL);
    pthread_create(&t, &a, t_stack, (void *)5);
    pthread_join(t, &r);
    printf("attr: 100 kB on a 256 kB stack %ld\n", (long)r);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    for (i = 0; i < 6; i++)
        check("detached create", pthread_create(&t, &a, t_detached, NULL), 0);
    for (;;) {
        pthread_mutex_lock(&det_lock);
        int d = det_done;
        pthread_mutex_unlock(&det_lock);
        if (d == 6)
            break;
        usleep(1000);
    }
    pthread_attr_destroy(&a);
    printf("detached: 6 ran\n");

#ifdef __GLIBC__
    pthread_setname_np(pthread_self(), "main-thread");
#else
    pthread_setname_np(pthread_self(), "main-%s", (void *)"thread");
#endif
    pthread_getname_np(pthread_self(), name, sizeof name);
    printf("name: %s\n", name);
}

/* -- semaphores ------------------------------------------------------------------------ */

static sem_t sem_items, sem_done;
static long sem_sum;
static pthread_mutex_t sem_lock = PTHREAD_MUTEX_INITIALIZER;

static void *
t_sem(void *arg)
{
    int i;
    for (i = 0; i < 50; i++) {
        sem_wait(&sem_items);
        pthread_mutex_lock(&sem_lock);
        sem_sum += (long)arg;
        pthread_mutex_unlock(&sem_lock);
    }
    sem_post(&sem_done);
    return NULL;
}

static void
test_sem(void)
{
    pthread_t t[4];
    struct timespec ts;
    int i, v, tw, tt, tb;
    sem_init(&sem_items, 0, 0);
    sem_init(&sem_done, 0, 0);
    for (i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, t_sem, (void *)(long)(i + 1));
    for (i = 0; i < 200; i++)
        sem_post(&sem_items);
    for (i = 0; i < 4; i++)
        sem_wait(&sem_done);
    for (i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    sem_post(&sem_items);
    sem_post(&sem_items);
    sem_getvalue(&sem_items, &v);
    sem_trywait(&sem_items);
    sem_trywait(&sem_items);
    errno = 0;
    tw = sem_trywait(&sem_items) == -1 && errno == EAGAIN;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 20000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    errno = 0;
    tt = sem_timedwait(&sem_items, &ts) == -1 && errno == ETIMEDOUT;
    ts.tv_nsec = -1;
    errno = 0;
    tb = sem_timedwait(&sem_items, &ts) == -1 && errno == EINVAL;
    printf("semaphores: sum %ld, value 2 -> %d, trywait EAGAIN %d, timedwait ETIMEDOUT %d, "
           "bad timeout EINVAL %d, destroy %d\n", sem_sum, v, tw, tt, tb, sem_destroy(&sem_items));
}

/* -- fork ------------------------------------------------------------------------------- */

static char fork_log[64];

static void at_prepare(void) { strcat(fork_log, "P"); }
static void at_parent(void) { strcat(fork_log, "p"); }
static void at_child(void) { strcat(fork_log, "c"); }

static int block_release;

static void *
t_block(void *arg)
{
    pthread_mutex_lock(&q_lock);
    while (!block_release)                      /* until the end of the test */
        pthread_cond_wait(&q_nonempty, &q_lock);
    pthread_mutex_unlock(&q_lock);
    return arg;
}

static void *
t_child_thread(void *arg)
{
    return (void *)((long)arg + 1);
}

static void
test_fork(void)
{
    pthread_t t, c;
    int st;
    pid_t pid;
    q_done = 0;
    pthread_create(&t, NULL, t_block, NULL);
    pthread_atfork(at_prepare, at_parent, at_child);
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        void *r;
        char *p = malloc(100);
        int ok = p != NULL && pthread_create(&c, NULL, t_child_thread, (void *)41) == 0 &&
                 pthread_join(c, &r) == 0 && (long)r == 42;
        printf("fork child: handlers %s, a new thread %d\n", fork_log, ok);
        fflush(stdout);
        _exit(0);
    }
    waitpid(pid, &st, 0);
    printf("fork parent: handlers %s, child status %d\n", fork_log, st);
    pthread_mutex_lock(&q_lock);
    block_release = 1;
    pthread_cond_broadcast(&q_nonempty);
    pthread_mutex_unlock(&q_lock);
    pthread_join(t, NULL);
}

/* -- modes ------------------------------------------------------------------------------- */

static void *
t_late(void *arg)
{
    (void)arg;
    usleep(20000);
    printf("worker: main has exited, still running\n");
    return NULL;
}

static void *
t_guard(void *arg)
{
    pthread_attr_t a;
    void *addr;
    size_t size;
    (void)arg;
    pthread_getattr_np(pthread_self(), &a);
    pthread_attr_getstack(&a, &addr, &size);
    printf("guard: writing below the stack\n");
    fflush(stdout);
    ((volatile char *)addr)[-1] = 1;
    printf("guard: no fault\n");
    return NULL;
}

static void *
t_exit3(void *arg)
{
    (void)arg;
    usleep(10000);
    exit(3);
}

int
main(int argc, char **argv)
{
    pthread_t t;
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc > 1 && strcmp(argv[1], "mainexit") == 0) {
        pthread_create(&t, NULL, t_late, NULL);
        printf("main: pthread_exit\n");
        pthread_exit(NULL);
    }
    if (argc > 1 && strcmp(argv[1], "lastexit") == 0) {
        pthread_create(&t, NULL, t_late, NULL);
        pthread_detach(t);
        pthread_exit(NULL);
    }
    if (argc > 1 && strcmp(argv[1], "guard") == 0) {
        pthread_create(&t, NULL, t_guard, NULL);
        pthread_join(t, NULL);
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "exit3") == 0) {
        pthread_create(&t, NULL, t_block, NULL);
        pthread_create(&t, NULL, t_exit3, NULL);
        pthread_join(t, NULL);
        return 0;
    }
    test_counter();
    test_prodcons();
    test_join();
    test_kill();
    test_mutex_types();
    test_once();
    test_keys();
    test_cancel();
    test_timeouts();
    test_rw();
    test_misc();
    test_setstack();
    test_sem();
    test_fork();
    printf("done\n");
    return 0;
}
