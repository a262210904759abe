/*
 * setest -- the sysenter system-call path (tests/test_nbsd_sysenter.py).
 *
 * Built twice by the test: with libc's ordinary stubs (int $0x80) and with
 * the sysenter stubs (userland/build.py: syscalls_sysenter.o before
 * libc.a).  The same source, so the outputs of the two must be equal.
 *
 *   setest calls      getpid, stat, read/write 64 KiB, errors, lseek, pipe
 *   setest sig R      a blocking pipe read interrupted by SIGALRM; R = 1:
 *                     SA_RESTART (the handler writes a byte, the restarted
 *                     read returns it), R = 0: EINTR
 *   setest fork PROG  fork; the child checks getpid and execs PROG
 *   setest forge W    W = eip: sysenter whose return point (%edx) is a
 *                     kernel address; msr: rdmsr/wrmsr from CPL 3; esp: a
 *                     kernel %esp in %ecx (the arguments: EFAULT)
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#define BIG (64 * 1024)
static char wbuf[BIG], rbuf[BIG];
static int pfd[2];
static volatile int handled;

static void calls(void)
{
	struct stat st;
	int fd, i;
	ssize_t n;
	off_t off;

	printf("getpid %d ppid %d\n", (int)getpid(), (int)getppid());
	if (stat("/bin/sh", &st) == 0)
		printf("stat /bin/sh mode %o size %lld nlink %d\n", (unsigned)st.st_mode,
		    (long long)st.st_size, (int)st.st_nlink);
	errno = 0;
	printf("stat /nonexistent %d errno %d\n", stat("/nonexistent", &st), errno);
	for (i = 0; i < BIG; i++)
		wbuf[i] = (char)(i * 7 + 3);
	fd = open("/tmp/setest.dat", O_RDWR | O_CREAT | O_TRUNC, 0644);
	printf("open %s\n", fd >= 0 ? "ok" : "failed");
	n = write(fd, wbuf, BIG);
	printf("write %ld\n", (long)n);
	off = lseek(fd, 0, SEEK_SET);
	printf("lseek %lld\n", (long long)off);
	n = read(fd, rbuf, BIG);
	printf("read %ld same %d\n", (long)n, memcmp(rbuf, wbuf, BIG) == 0);
	n = read(fd, rbuf, BIG);
	printf("read at end %ld\n", (long)n);
	if (fstat(fd, &st) == 0)
		printf("fstat size %lld\n", (long long)st.st_size);
	close(fd);
	errno = 0;
	printf("read bad fd %ld errno %d\n", (long)read(fd, rbuf, 1), errno);
	printf("pipe %d\n", pipe(pfd));
	printf("pipe fds %d %d\n", pfd[0], pfd[1]);
	printf("unlink %d\n", unlink("/tmp/setest.dat"));
}

static void onalrm(int sig)
{
	(void)sig;
	handled++;
	if (write(pfd[1], "x", 1) != 1)
		_exit(9);
}

static void sig(int restart)
{
	struct sigaction sa;
	struct itimerval it;
	char c = 0;
	ssize_t n;

	if (pipe(pfd) != 0)
		exit(2);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = onalrm;
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigaction(SIGALRM, &sa, NULL);
	memset(&it, 0, sizeof it);
	it.it_value.tv_usec = 20000;
	setitimer(ITIMER_REAL, &it, NULL);
	errno = 0;
	n = read(pfd[0], &c, 1);	/* blocks until SIGALRM */
	printf("sig restart %d: read %ld errno %d handled %d c %c\n", restart, (long)n,
	    errno, handled, c ? c : '-');
	if (!restart) {
		n = read(pfd[0], &c, 1);	/* the handler's byte is still there */
		printf("then read %ld c %c\n", (long)n, c);
	}
}

static void forkexec(char *prog)
{
	int status = 0;
	pid_t pid, me = getpid(), w;

	pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(2);
	}
	if (pid == 0) {
		char *argv[] = { prog, "10", NULL };
		char *envp[] = { NULL };

		printf("child: getppid ok %d, getpid differs %d\n", getppid() == me,
		    getpid() != me);
		fflush(stdout);
		execve(prog, argv, envp);
		perror("execve");
		_exit(3);
	}
	w = waitpid(pid, &status, 0);
	printf("parent: waitpid ok %d, exited %d status %d\n", w == pid, WIFEXITED(status),
	    WEXITSTATUS(status));
}

static void onsegv(int sig, siginfo_t *si, void *ctx)
{
	(void)ctx;
	printf("SIGSEGV %d addr %#lx\n", sig, (unsigned long)si->si_addr);
	fflush(stdout);
	_exit(11);
}

static void forge(const char *what)
{
	struct sigaction sa;
	unsigned int lo = 0, hi = 0, eax, flags;

	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = onsegv;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGILL, &sa, NULL);
	fflush(stdout);
	if (strcmp(what, "eip") == 0) {
		/* getpid with the return point in the kernel: sysexit returns to
		 * CPL 3 there, and the fetch faults in user mode */
		__asm__ volatile("movl %%esp, %%ecx\n\tmovl $0xc0100000, %%edx\n\tsysenter"
		    : "=a"(eax) : "a"(20) : "ecx", "edx", "memory", "cc");
		printf("returned %u\n", eax);
	} else if (strcmp(what, "msr") == 0) {
		__asm__ volatile("movl $0x176, %%ecx\n\trdmsr" : "=a"(lo), "=d"(hi) : : "ecx");
		printf("rdmsr %#x %#x\n", lo, hi);
	} else if (strcmp(what, "wrmsr") == 0) {
		__asm__ volatile("movl $0x176, %%ecx\n\txorl %%edx, %%edx\n\tmovl $0x1000, %%eax\n\t"
		    "wrmsr" : : : "eax", "ecx", "edx");
		printf("wrmsr done\n");
	} else if (strcmp(what, "esp") == 0) {
		/* stat with %ecx (the user stack, the arguments) a kernel address:
		 * EFAULT, and the return by iret with that %esp; %edi keeps ours */
		__asm__ volatile("movl %%esp, %%edi\n\tmovl $0xc0001000, %%ecx\n\t"
		    "movl $1f, %%edx\n\tsysenter\n1:\tmovl %%edi, %%esp\n\t"
		    "pushfl\n\tpopl %1"
		    : "=a"(eax), "=r"(flags) : "a"(439) : "ecx", "edx", "edi", "memory", "cc");
		printf("stat with a kernel stack: eax %u carry %u\n", eax, flags & 1);
	}
}

int main(int argc, char *argv[])
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && strcmp(argv[1], "calls") == 0)
		calls();
	else if (argc > 2 && strcmp(argv[1], "sig") == 0)
		sig(atoi(argv[2]));
	else if (argc > 2 && strcmp(argv[1], "fork") == 0)
		forkexec(argv[2]);
	else if (argc > 2 && strcmp(argv[1], "forge") == 0)
		forge(argv[2]);
	else {
		fprintf(stderr, "usage: setest calls|sig R|fork PROG|forge W\n");
		return 1;
	}
	return 0;
}
