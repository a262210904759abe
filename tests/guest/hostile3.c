/*
 * hostile3 -- a third hostile guest (tests/test_nbsd_hostile3.py): attacks on
 * the host through the kernel API, kw86's own messages and kernel memory
 * that is not guest memory.  Each subcommand prints "NAME RV ERRNO [DETAIL]"
 * lines and then "done".
 *
 *   hostile3 kprintf W N     (kernelware) N kernel printf calls whose format
 *                            is "%<W>d|" eight times (W: flags, width and
 *                            precision as given): NetBSD's kernel printf
 *                            takes any width; kw86's host memory must not
 *   hostile3 kpanic          (kernelware) panic() with a message full of
 *                            terminal escapes
 *   hostile3 comm SELF HOW   copy SELF to /tmp/<a name of terminal escapes
 *                            and a newline> and exec it with HOW:
 *                              spin   spin until --max-instructions ends kw86
 *                                     (its "instruction limit" line names it)
 *                              hcall  (kernelware) a forged hypercall (the
 *                                     kernel's "killed" line names it)
 *                              quiet  exit 0 (--strace shows its name)
 *   hostile3 bufs NPROC      NPROC processes each fill as many socket pairs
 *                            and pipes as they can open (non-blocking
 *                            writes until EAGAIN): the kernel's buffers live
 *                            in host memory, not the guest's
 *   hostile3 pipes NPROC     the same with pipes only
 *   hostile3 knotes NPROC    the same with EVFILT_USER knotes in a kqueue
 *   hostile3 regions NPROC   the same with address space cut into one-page
 *                            regions (mmap PROT_NONE, mprotect every other page)
 *   hostile3 fsize FILE      RLIMIT_FSIZE 10000: writes past it (EFBIG, SIGXFSZ)
 *   hostile3 locks N         fcntl locks on every other byte of a file, at most N
 *   hostile3 kfsize FILE     (kernelware) vn_rdwr under RLIMIT_FSIZE 10000
 *   hostile3 cpulimit        RLIMIT_CPU {1, 2}: SIGXCPU (caught) then SIGKILL
 *   hostile3 lwps            threads with 16 KiB stacks until pthread_create fails
 *   hostile3 regcheck        the same in this process, then what fails at the
 *                            bound changed nothing, and freeing gives room
 */
#include <sys/types.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/resource.h>
#include <sys/event.h>
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#define KAPI_DYNAMIC
#include <kernelware.h>
#include <sys/kapi.h>

/* a name of terminal escapes: set the window title, clear the screen, a
 * newline that would start a forged line of kw86's own */
#define EVIL "\033]2;pwn\007\033[2J\nkw86: x"

static void
say(const char *what, long r)
{
	printf("%s %ld %d\n", what, r, r < 0 ? errno : 0);
	fflush(stdout);
}

static void
sayd(const char *what, long r, const char *detail)
{
	printf("%s %ld %d %s\n", what, r, r < 0 ? errno : 0, detail);
	fflush(stdout);
}

static int
kprintf_width(const char *width, int n)
{
	char fmt[1024], one[32];
	int i, rv = 0;

	if (!in_kernel_mode()) {
		say("kprintf", -1);
		return 1;
	}
	snprintf(one, sizeof one, "%%%sd|", width);
	fmt[0] = 0;
	for (i = 0; i < 8; i++)
		strcat(fmt, one);
	strcat(fmt, "\n");
	for (i = 0; i < n; i++)
		rv = kernel_printf(fmt, i, i, i, i, i, i, i, i);
	say("kprintf", rv);
	return 0;
}

static int
copy(const char *from, const char *to)
{
	char buf[8192];
	int in = open(from, O_RDONLY), out;
	ssize_t n;

	if (in < 0)
		return -1;
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	if (out < 0)
		return -1;
	while ((n = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, (size_t)n) != n)
			return -1;
	close(in);
	close(out);
	return n < 0 ? -1 : 0;
}

static void
forged_hypercall(void)
{
	__asm__ __volatile__(
	    "movl $0x7777, %%eax\n\t"
	    "movl $0x10, %%esp\n\t"
	    "movw $0x4b57, %%dx\n\t"
	    "outl %%eax, %%dx\n\t"
	    "1: jmp 1b" ::: "eax", "edx", "memory");
}

static int
as_evil(const char *how)
{
	if (!strcmp(how, "spin")) {
		volatile unsigned n = 0;
		for (;;)
			n++;
	}
	if (!strcmp(how, "hcall")) {
		if (!in_kernel_mode())
			return 2;
		forged_hypercall();
		return 3;
	}
	return 0;
}

static int
comm(const char *self, const char *how)
{
	char *argv[4];
	int st;
	pid_t c;

	say("copy", copy(self, "/tmp/" EVIL));
	c = strcmp(how, "spin") ? fork() : 0;       /* spin: as this process */
	if (c == 0) {
		argv[0] = "/tmp/" EVIL;
		argv[1] = "as-evil";
		argv[2] = (char *)how;
		argv[3] = 0;
		execv(argv[0], argv);
		_exit(100 + errno);
	}
	waitpid(c, &st, 0);
	say("child", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	return 0;
}

/* -- kernel buffers ---------------------------------------------------------- */

static long
fill(int fd)
{
	static char chunk[65536];
	long total = 0;
	ssize_t n;

	fcntl(fd, F_SETFL, O_NONBLOCK);
	while ((n = write(fd, chunk, sizeof chunk)) > 0)
		total += n;
	return total;
}

/* one process: as many socket pairs and pipes as it can open, each filled;
 * returns through its pipe the bytes held and the errno that stopped it */
static int pipes_only, knotes_only, regions_only;

static void
hog(int out)
{
	struct rlimit rl;
	long held = 0;
	int sv[2], pf[2], n = 0, err = 0, big = 256 * 1024;

	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	for (;;) {
		if (pipes_only)
			goto pipes;
		if (socketpair(AF_LOCAL, SOCK_STREAM, 0, sv) < 0) {
			err = errno;
			break;
		}
		setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
		setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
		setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
		setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
		held += fill(sv[0]) + fill(sv[1]);
		n += 2;
	pipes:
		if (pipe(pf) < 0) {
			err = errno;
			break;
		}
		held += fill(pf[1]);
		n += 2;
	}
	dprintf(out, "%ld %d %d\n", held, n, err);
}

/* one process: EVFILT_USER knotes until the kernel says no */
static void
knotes(int out)
{
	static struct kevent ch[1024];
	int kq = kqueue(), i, n = 0, err = 0;

	for (;;) {
		for (i = 0; i < 1024; i++)
			EV_SET(&ch[i], (uintptr_t)(n + i), EVFILT_USER, EV_ADD, 0, 0, 0);
		if (kevent(kq, ch, 1024, 0, 0, 0) < 0) {
			err = errno;
			break;
		}
		n += 1024;
		if (n >= (1 << 24))
			break;
	}
	dprintf(out, "%d %d %d\n", 0, n, err);
}

/* one process: address space reserved PROT_NONE (no memory), then cut into
 * one-page regions of alternating protection until the kernel says no */
static void
regions(int out)
{
	size_t sz = 16u << 20, off;
	int n = 0, err = 0, k;
	char *p;

	for (k = 0; k < 256 && !err; k++) {
		p = mmap(0, sz, PROT_NONE, MAP_ANON | MAP_PRIVATE, -1, 0);
		if (p == MAP_FAILED) {
			err = errno;
			break;
		}
		for (off = 0; off < sz; off += 8192) {
			if (mprotect(p + off, 4096, PROT_READ) < 0) {
				err = errno;
				break;
			}
			n += 2;
		}
	}
	dprintf(out, "%d %d %d\n", 0, n, err);
}

/* at the bound: what failed changed nothing, and freeing regions gives room */
static int
regcheck(void)
{
	size_t sz = 16u << 20, off = 0;
	char *p = 0, *first = 0, *spare;
	int k, st, err = 0;
	pid_t c;

	/* one region kept whole, to be split at the bound */
	spare = mmap(0, 1 << 20, PROT_NONE, MAP_ANON | MAP_PRIVATE, -1, 0);

	for (k = 0; k < 256 && !err; k++) {
		p = mmap(0, sz, PROT_NONE, MAP_ANON | MAP_PRIVATE, -1, 0);
		if (p == MAP_FAILED) {
			err = errno;
			break;
		}
		if (!first)
			first = p;
		for (off = 0; off < sz; off += 8192)
			if (mprotect(p + off, 4096, PROT_READ) < 0) {
				err = errno;
				break;
			}
	}
	say("regcheck-full", err ? -1 : 0);
	if (p == MAP_FAILED || off >= sz)
		return 1;
	c = fork();                     /* the page it failed on is still PROT_NONE */
	if (c == 0) {
		(void)*(volatile char *)(p + off);
		_exit(0);
	}
	waitpid(c, &st, 0);
	say("regcheck-untouched", WIFSIGNALED(st) ? WTERMSIG(st) : -1000);
	/* (the failed mprotect needed two more: one more split may still fit) */
	for (k = 0; k < 4 && munmap(spare + 8192 * (1 + k), 4096) == 0; k++)
		;
	sayd("regcheck-munmap-split", k < 4 ? -1 : 0, k <= 1 ? "at-once" : "late");
	say("regcheck-mmap", mmap(0, 4096, PROT_READ, MAP_ANON | MAP_PRIVATE, -1, 0) ==
	    MAP_FAILED ? -1 : 0);
	say("regcheck-unmap-whole", munmap(first, sz));   /* thousands of regions gone */
	say("regcheck-mmap-after", mmap(0, 4096, PROT_READ, MAP_ANON | MAP_PRIVATE, -1, 0) ==
	    MAP_FAILED ? -1 : 0);
	say("regcheck-mprotect-after", mprotect(p + off, 4096, PROT_READ));
	return 0;
}

static void *
sleeper(void *a)
{
	(void)a;
	for (;;)
		pause();
	return 0;
}

/* LWPs (threads with small stacks) until the kernel says no */
static int
lwps(void)
{
	pthread_attr_t at;
	pthread_t t;
	int n = 0, e = 0;
	char detail[64];

	pthread_attr_init(&at);
	pthread_attr_setstacksize(&at, 16384);
	while (n < 100000 && (e = pthread_create(&t, &at, sleeper, 0)) == 0)
		n++;
	snprintf(detail, sizeof detail, "%d %d", n, e);
	sayd("lwps", 0, detail);
	return 0;
}

/* privileged instructions a kernelware may issue with any operands: each in
 * a child, which reports how it ended (a signal, or "ran").  The first five
 * (gdt-kdata, pde-kernel, kstack-garbage, dr7-syscall, msr-left) break state
 * shared with the other processes and run only when named: the damage can
 * outlive the attacker (kw86 repairs it only when it kills the attacker as
 * "broken"), so another process may die of it -- the guest's own machine,
 * never the host. */
static void
op_rdmsr_bad(void) { __asm__ __volatile__("movl $0xdeadbeef, %%ecx; rdmsr" ::: "eax", "ecx", "edx"); }
static void
op_wrmsr_bad(void) { __asm__ __volatile__("movl $0xc0000080, %%ecx; xorl %%eax, %%eax; xorl %%edx, %%edx; wrmsr" ::: "eax", "ecx", "edx"); }
static void
op_wrmsr_sysenter_eip(void) { __asm__ __volatile__("movl $0x176, %%ecx; movl $0x1234, %%eax; xorl %%edx, %%edx; wrmsr" ::: "eax", "ecx", "edx"); }
static void
op_wrmsr_tsc(void) { __asm__ __volatile__("movl $0x10, %%ecx; movl $-1, %%eax; movl $-1, %%edx; wrmsr" ::: "eax", "ecx", "edx"); }
static void
op_in_ports(void) { __asm__ __volatile__("movw $0, %%dx; 1: inl %%dx, %%eax; incw %%dx; jnz 1b" ::: "eax", "edx"); }
static void
op_out_ports(void) { __asm__ __volatile__("movw $0, %%dx; 1: cmpw $0x4b57, %%dx; je 2f; outl %%eax, %%dx; 2: incw %%dx; jnz 1b" ::: "eax", "edx"); }
static void
op_dr7(void) { __asm__ __volatile__("movl $0xc0100000, %%eax; movl %%eax, %%dr0; movl $0x000f0003, %%eax; movl %%eax, %%dr7; movl $1, %%eax; int $0x80" ::: "eax"); }
static void
op_cr4(void) { __asm__ __volatile__("movl $0xffffffff, %%eax; movl %%eax, %%cr4" ::: "eax"); }
static void
op_wbinvd(void) { __asm__ __volatile__("wbinvd; invd; clts" ::: "memory"); }
static void
op_ltr(void) { __asm__ __volatile__("movw $0x8, %%ax; ltr %%ax" ::: "eax"); }
static void
op_lldt(void) { __asm__ __volatile__("movw $0xfff8, %%ax; lldt %%ax" ::: "eax"); }
static void
op_sysexit(void) { __asm__ __volatile__("movl $0, %%edx; movl $0, %%ecx; sysexit" ::: "ecx", "edx"); }
static void
op_iret_forged(void) { __asm__ __volatile__("pushl $0xffff; pushl $0xffffffff; pushl $0x202; pushl $0x1b; pushl $0xc0100000; iret" ::: "memory"); }
static void
op_lgdt_far(void) {
	static struct { unsigned short l; unsigned int b; } __attribute__((packed)) d = { 0xffff, 0xfffff000 };
	__asm__ __volatile__("lgdt %0; movw $0x10, %%ax; movw %%ax, %%ds" :: "m"(d) : "eax");
}
static void
op_lidt_far(void) {
	static struct { unsigned short l; unsigned int b; } __attribute__((packed)) d = { 0x7ff, 0x7ffff000 };
	__asm__ __volatile__("lidt %0; int $0x80" :: "m"(d));
}
static void
op_hcall_kapi_wild(void) {
	/* the kernel API's hypercall (HC_KAPI) with its stack pointer at the kernel */
	__asm__ __volatile__("movl $8, %%eax; movl $0, %%ecx; movl $0xc0000000, %%esi; movw $0x4b57, %%dx; outl %%eax, %%dx" ::: "eax", "ecx", "edx", "esi");
}

static void
op_dr7_syscall(void) {
	/* a breakpoint on locore's int $0x80 entry (Xsyscall, argv: its address)
	 * left behind by a kernelware that then exits normally */
	unsigned a = (unsigned)strtoul(getenv("H3ADDR") ? getenv("H3ADDR") : "0", 0, 16);
	__asm__ __volatile__("movl %0, %%eax; movl %%eax, %%dr0; movl $0x00000303, %%eax; movl %%eax, %%dr7" :: "r"(a) : "eax");
}
static void
op_msr_left(void) {
	/* SYSENTER_EIP left pointing at garbage by a kernelware that exits normally */
	__asm__ __volatile__("movl $0x176, %%ecx; movl $0x1234, %%eax; xorl %%edx, %%edx; wrmsr" ::: "eax", "ecx", "edx");
}

/* a kernelware breaks the kernel's own structures, then makes a system call */
static void
wp_off3(void)
{
	__asm__ __volatile__("movl %%cr0, %%eax; andl $~0x10000, %%eax; movl %%eax, %%cr0" ::: "eax");
}
static void
op_gdt_kdata(void) {
	struct { unsigned short l; unsigned int b; } __attribute__((packed)) d;
	__asm__ __volatile__("sgdt %0" : "=m"(d));
	wp_off3();
	/* KDATA (selector 0x10): a present, limit-0 read-only data segment */
	((volatile unsigned *)(d.b + 0x10))[0] = 0;
	((volatile unsigned *)(d.b + 0x10))[1] = 0x00009000;
	getpid();
}
static void
op_pde_kernel(void) {
	unsigned cr3;
	__asm__ __volatile__("movl %%cr3, %0" : "=r"(cr3));
	wp_off3();
	/* its own page directory (reached through the kernel's map of all of
	 * physical memory at KERNBASE): the kernel's first 4 MiB unmapped */
	((volatile unsigned *)(0xc0000000u + cr3))[768] = 0;
	getpid();
}
static void
op_kstack_garbage(void) {
	unsigned esp0;
	struct { unsigned short l; unsigned int b; } __attribute__((packed)) d;
	unsigned short tr;
	__asm__ __volatile__("sgdt %0; str %1" : "=m"(d), "=r"(tr));
	{
		volatile unsigned *desc = (volatile unsigned *)(d.b + (tr & ~7));
		unsigned base = (desc[0] >> 16) | ((desc[1] & 0xff) << 16) | (desc[1] & 0xff000000);
		esp0 = ((volatile unsigned *)base)[1];
		wp_off3();
		/* its kernel stack full of garbage just below esp0 */
		memset((void *)(esp0 - 512), 0xa5, 512);
	}
	getpid();
	write(1, "after\n", 6);
}

static const struct { const char *name; void (*fn)(void); } ops[] = {
	{ "gdt-kdata", op_gdt_kdata }, { "pde-kernel", op_pde_kernel },
	{ "kstack-garbage", op_kstack_garbage },
	{ "dr7-syscall", op_dr7_syscall }, { "msr-left", op_msr_left },
	{ "rdmsr-bad", op_rdmsr_bad }, { "wrmsr-bad", op_wrmsr_bad },
	{ "wrmsr-sysenter-eip", op_wrmsr_sysenter_eip }, { "wrmsr-tsc", op_wrmsr_tsc },
	{ "in-ports", op_in_ports }, { "out-ports", op_out_ports }, { "dr7", op_dr7 },
	{ "cr4", op_cr4 }, { "wbinvd", op_wbinvd }, { "ltr", op_ltr }, { "lldt", op_lldt },
	{ "sysexit", op_sysexit }, { "iret-forged", op_iret_forged },
	{ "lgdt-far", op_lgdt_far }, { "lidt-far", op_lidt_far },
	{ "hcall-kapi-wild", op_hcall_kapi_wild },
};

static int
privops(const char *only)
{
	unsigned i;
	int st;
	pid_t c;

	if (!in_kernel_mode())
		return 2;
	for (i = 0; i < sizeof ops / sizeof ops[0]; i++) {
		if (only ? strcmp(only, ops[i].name) != 0 : i < 5)
			continue;
		c = fork();
		if (c == 0) {
			ops[i].fn();
			printf("ran %s\n", ops[i].name);
			fflush(stdout);
			_exit(0);
		}
		waitpid(c, &st, 0);
		say(ops[i].name, WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	}
	return 0;
}

/* RLIMIT_FSIZE: writes that would end past it are refused whole (EFBIG)
 * with SIGXFSZ; the file is what was written below it */
static volatile int xfsz;

static void
on_xfsz(int s)
{
	(void)s;
	xfsz++;
}

static int
fsize(const char *path)
{
	static char blk[8192];
	struct rlimit rl = { 10000, RLIM_INFINITY };
	struct stat st;
	char detail[64];
	int fd, st2, i;
	ssize_t n;
	pid_t c;

	signal(SIGXFSZ, on_xfsz);
	say("setrlimit", setrlimit(RLIMIT_FSIZE, &rl));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	for (i = 0; i < 10; i++)
		if ((n = write(fd, blk, 1000)) < 0)
			break;
	sayd("write-to-limit", i, (sprintf(detail, "%d", xfsz), detail));
	n = write(fd, blk, 1);
	sayd("write-past", n, (sprintf(detail, "%d", xfsz), detail));
	lseek(fd, 9000, SEEK_SET);
	n = write(fd, blk, 8192);                   /* would cross: refused whole */
	sayd("write-crossing", n, (sprintf(detail, "%d", xfsz), detail));
	say("pwrite-far", pwrite(fd, blk, 1, (off_t)1 << 40));
	say("pwrite-inside", pwrite(fd, blk, 100, 9900));
	close(fd);
	fd = open(path, O_WRONLY | O_APPEND);
	say("append", write(fd, blk, 1));
	close(fd);
	stat(path, &st);
	sayd("size", 0, (sprintf(detail, "%lld", (long long)st.st_size), detail));
	/* a child that does not catch it dies of SIGXFSZ */
	c = fork();
	if (c == 0) {
		signal(SIGXFSZ, SIG_DFL);
		fd = open(path, O_WRONLY | O_APPEND);
		write(fd, blk, 1);
		_exit(0);
	}
	waitpid(c, &st2, 0);
	say("child", WIFSIGNALED(st2) ? WTERMSIG(st2) : -WEXITSTATUS(st2));
	/* not a regular file: no limit */
	fd = open("/dev/null", O_WRONLY);
	say("devnull", write(fd, blk, 8192));
	return 0;
}

/* RLIMIT_CPU {1, 2}: SIGXCPU after a second of run time (caught), SIGKILL
 * at the hard limit */
static void
on_xcpu(int s)
{
	(void)s;
	write(1, "xcpu\n", 5);
}

static int
cpulimit(void)
{
	struct rlimit rl = { 1, 2 };
	volatile unsigned n = 0;
	int st;
	pid_t c;

	fflush(stdout);
	c = fork();
	if (c == 0) {
		signal(SIGXCPU, on_xcpu);
		if (setrlimit(RLIMIT_CPU, &rl) < 0)
			_exit(1);
		for (;;)
			n++;
	}
	waitpid(c, &st, 0);
	say("cpulimit-child", WIFSIGNALED(st) ? WTERMSIG(st) : -WEXITSTATUS(st));
	return 0;
}

/* (kernelware) the kernel API's vn_rdwr under RLIMIT_FSIZE 10000 */
static int
kfsize(const char *path)
{
	static char blk[8192];
	struct rlimit rl = { 10000, RLIM_INFINITY };
	struct file *fp;
	struct stat st;
	size_t resid = 0;
	char detail[64];
	int fd, rv;

	if (!in_kernel_mode())
		return 2;
	signal(SIGXFSZ, on_xfsz);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || getvnode(curproc->p_fd, fd, &fp) != 0)
		return 1;
	setrlimit(RLIMIT_FSIZE, &rl);
	rv = vn_rdwr(UIO_WRITE, (struct vnode *)fp->f_data, blk, 8192, 0, UIO_USERSPACE, 0,
	    NOCRED, &resid, curproc);
	sayd("vn_rdwr-inside", rv, (sprintf(detail, "%lu %d", (unsigned long)resid, xfsz), detail));
	rv = vn_rdwr(UIO_WRITE, (struct vnode *)fp->f_data, blk, 8192, 4096, UIO_USERSPACE, 0,
	    NOCRED, &resid, curproc);
	say("vn_rdwr-crossing", rv);
	fstat(fd, &st);                 /* (the signal is taken at a system call's return) */
	sayd("size", 0, (sprintf(detail, "%lld %d", (long long)st.st_size, xfsz), detail));
	return 0;
}

/* byte-range locks on every other byte until the kernel says no (or N) */
static int
locks(int max)
{
	struct flock fl;
	char detail[64];
	int fd = open("/tmp/lk", O_RDWR | O_CREAT, 0666), n, e = 0;

	for (n = 0; n < max; n++) {
		memset(&fl, 0, sizeof fl);
		fl.l_start = 2 * (off_t)n;
		fl.l_len = 1;
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		if (fcntl(fd, F_SETLK, &fl) < 0) {
			e = errno;
			break;
		}
	}
	snprintf(detail, sizeof detail, "%d %d", n, e);
	sayd("locks", 0, detail);
	/* an unlock in the middle of a lock may still split it */
	memset(&fl, 0, sizeof fl);
	fl.l_type = F_UNLCK;
	fl.l_whence = SEEK_SET;
	fl.l_start = 0;
	fl.l_len = 0;
	say("unlock-all", fcntl(fd, F_SETLK, &fl));
	return 0;
}

static int
bufs(int nproc)
{
	char line[128], detail[128];
	long held, total = 0;
	int i, n, e, pf[2], nfd = 0, errs = 0, maxerr = 0;
	pid_t kids[256];
	FILE *f;

	if (nproc > 256)
		nproc = 256;
	pipe(pf);
	for (i = 0; i < nproc; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			close(pf[0]);
			if (regions_only)
				regions(pf[1]);
			else if (knotes_only)
				knotes(pf[1]);
			else
				hog(pf[1]);
			pause();            /* keep everything held until killed */
			_exit(0);
		}
		if (kids[i] < 0)
			break;
	}
	nproc = i;
	close(pf[1]);
	f = fdopen(pf[0], "r");
	for (i = 0; i < nproc && fgets(line, sizeof line, f); i++) {
		if (sscanf(line, "%ld %d %d", &held, &n, &e) != 3)
			break;
		if (getenv("H3DEBUG"))
			printf("child %s", line);
		total += held;
		nfd += n;
		if (e)
			errs++;
		if (e > maxerr)
			maxerr = e;
	}
	snprintf(detail, sizeof detail, "%d %ld %d %d", nproc, total, nfd, maxerr);
	sayd("bufs", 0, detail);
	for (i = 0; i < nproc; i++)
		kill(kids[i], SIGKILL);
	for (i = 0; i < nproc; i++)
		waitpid(kids[i], 0, 0);
	/* everything is given back: one more pair and pipe work */
	say("socketpair-after", socketpair(AF_LOCAL, SOCK_STREAM, 0, pf));
	if (knotes_only) {
		static struct kevent ch[1024];
		int kq = kqueue();
		for (i = 0; i < 1024; i++)
			EV_SET(&ch[i], (uintptr_t)i, EVFILT_USER, EV_ADD, 0, 0, 0);
		say("knotes-after", kevent(kq, ch, 1024, 0, 0, 0));
	}
	return 0;
}

int
main(int argc, char **argv)
{
	const char *w = argc > 1 ? argv[1] : "";

	if (!strcmp(w, "kprintf") && argc > 3)
		kprintf_width(argv[2], atoi(argv[3]));
	else if (!strcmp(w, "kpanic")) {
		if (!in_kernel_mode())
			return 2;
		panic("\033]2;pwned\007\033[2J\nkw86: forged line %d", 1);
	} else if (!strcmp(w, "comm") && argc > 3)
		comm(argv[2], argv[3]);
	else if (!strcmp(w, "as-evil") && argc > 2)
		return as_evil(argv[2]);
	else if (!strcmp(w, "bufs") && argc > 2)
		bufs(atoi(argv[2]));
	else if (!strcmp(w, "lwps")) {
		lwps();
		printf("done\n");
		fflush(stdout);
		_exit(0);
	} else if (!strcmp(w, "locks") && argc > 2)
		locks(atoi(argv[2]));
	else if (!strcmp(w, "kfsize") && argc > 2)
		kfsize(argv[2]);
	else if (!strcmp(w, "cpulimit"))
		cpulimit();
	else if (!strcmp(w, "fsize") && argc > 2)
		fsize(argv[2]);
	else if (!strcmp(w, "privops"))
		privops(argc > 2 ? argv[2] : 0);
	else if (!strcmp(w, "regcheck"))
		regcheck();
	else if (!strcmp(w, "regions") && argc > 2) {
		regions_only = 1;
		bufs(atoi(argv[2]));
	} else if (!strcmp(w, "knotes") && argc > 2) {
		knotes_only = 1;
		bufs(atoi(argv[2]));
	} else if (!strcmp(w, "pipes") && argc > 2) {
		pipes_only = 1;
		bufs(atoi(argv[2]));
	}
	else {
		fprintf(stderr, "usage: hostile3 kprintf W N | kpanic | comm SELF HOW | bufs NPROC\n");
		return 2;
	}
	printf("done\n");
	return 0;
}
