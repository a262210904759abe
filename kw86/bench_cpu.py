"""`kw86 bench cpu`: kw86's interpreter against Unicorn, measured in one run.

One guest program (a NetBSD/i386 ELF built with zig against kw86's libc, the
C below) holds the workloads: sieve, CRC32, byte-copy loop (hand-written
loops, the same as bench/test_bench_cpu.py), quicksort and word count (zig
-O2 C).  The very same binary runs

* at CPL 3 as `kw86 exec PROG WORKLOAD N` (a child process, as users run it),
* at CPL 0 as `kw86 exec --kernelware PROG WORKLOAD N`,
* on FlatCPU (CPL 0, in this process): its PT_LOAD segments loaded at their
  addresses, the workload function called directly,
* under Unicorn (in this process), the same function on the same bytes.

Every engine runs every workload at two sizes N1 < N2, interleaved (round by
round, workload by workload, engine after engine), best of R rounds, in CPU
time (time.process_time for the in-process engines, the child's rusage from
wait4 for `kw86 exec`).  Rates come from the difference of the two sizes, so
start-up (Python, boot, decoding, Unicorn's translation) cancels:
MIPS = (instructions(N2) - instructions(N1)) / (time(N2) - time(N1)).
Instruction counts are kw86's (Machine.instructions, `--stats`); Unicorn
runs the same instructions (the results are checked equal).  Ratios are
printed for kw86/Unicorn and CPL 3/CPL 0; a shared machine is noisy, so
only ratios from one run mean anything: the load is printed with them.

The CPL 3 / CPL 0 column (issue 12: "CPL 3 within 5 % of CPL 0") has a
phase of its own, since the sizes above (0.05-0.1 s between N1 and N2) put
a single ratio anywhere in about +-15 %: P rounds (--parity-rounds), each
workload at N = 1 and a larger N (PARITY_N, about 0.3-0.5 s of guest work),
the two modes run back to back at each size, which one goes first swapped
from round to round and workload to workload.  Each round gives a paired
ratio (CPL 3 rate / CPL 0 rate, both from that round's N - 1 difference:
the load of the moment hits both alike); the column is their median,
printed with an interval for it and, for comparison, the ratio of each
mode's best rate over the P rounds.  The interval is the sign test's, free
of any assumption on the noise but independent rounds: the k-th smallest
and largest of the P ratios (7 rounds: the whole range, 98.4 %; 9, the
default: the second smallest and largest, 96.1 %); "within 5 %" says yes
when it lies in [0.95, 1.05], no when it lies outside, "not shown" when it
straddles a line ("too few rounds" under 6, where no interval reaches
95 %), so a reader sees whether a difference stands out of the noise.
"""

import hashlib
import importlib.util
import json
import math
import os
import re
import resource
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

WORKLOADS_C = r"""
/* kw86 bench cpu: the workloads.  Each wl_NAME(n, mem) does n units of work
 * on the buffer mem (>= 3 MiB) and returns a checksum; no libc, no globals,
 * so the functions run alone on a flat CPU too. */

/* sieve of Eratosthenes over 200,000 flags, n passes */
__asm__(
"	.text\n"
"	.globl	wl_sieve_asm\n"
"	.type	wl_sieve_asm,@function\n"
"wl_sieve_asm:\n"
"	.intel_syntax noprefix\n"
"	push ebx\n	push esi\n	push edi\n	push ebp\n"
"	mov esi, [esp+20]\n"
"	mov ebp, [esp+24]\n"
"	xor edx, edx\n"
".Lsv_pass:\n"
"	mov edi, ebp\n"
"	mov ecx, 200000\n"
".Lsv_fill:\n"
"	mov byte ptr [edi+ecx-1], 1\n"
"	dec ecx\n"
"	jnz .Lsv_fill\n"
"	mov ebx, 2\n"
"	xor edx, edx\n"
".Lsv_outer:\n"
"	cmp byte ptr [edi+ebx], 0\n"
"	je .Lsv_next\n"
"	inc edx\n"
"	lea eax, [ebx+ebx]\n"
".Lsv_inner:\n"
"	cmp eax, 200000\n"
"	jae .Lsv_next\n"
"	mov byte ptr [edi+eax], 0\n"
"	add eax, ebx\n"
"	jmp .Lsv_inner\n"
".Lsv_next:\n"
"	inc ebx\n"
"	cmp ebx, 200000\n"
"	jb .Lsv_outer\n"
"	dec esi\n"
"	jnz .Lsv_pass\n"
"	mov eax, edx\n"
"	pop ebp\n	pop edi\n	pop esi\n	pop ebx\n"
"	ret\n"
"	.att_syntax prefix\n"
"	.size	wl_sieve_asm, .-wl_sieve_asm\n"
);

/* bitwise CRC32 (registers only) over 64 KiB, n passes */
__asm__(
"	.text\n"
"	.globl	wl_crc32_asm\n"
"	.type	wl_crc32_asm,@function\n"
"wl_crc32_asm:\n"
"	.intel_syntax noprefix\n"
"	push ebx\n	push esi\n	push edi\n	push ebp\n"
"	mov ebp, [esp+20]\n"
"	mov edx, 0xffffffff\n"
".Lcr_pass:\n"
"	mov esi, [esp+24]\n"
"	mov ecx, 65536\n"
".Lcr_byte:\n"
"	movzx eax, byte ptr [esi]\n"
"	xor edx, eax\n"
"	mov ebx, 8\n"
".Lcr_bit:\n"
"	mov eax, edx\n"
"	and eax, 1\n"
"	neg eax\n"
"	and eax, 0xedb88320\n"
"	shr edx, 1\n"
"	xor edx, eax\n"
"	dec ebx\n"
"	jnz .Lcr_bit\n"
"	inc esi\n"
"	dec ecx\n"
"	jnz .Lcr_byte\n"
"	dec ebp\n"
"	jnz .Lcr_pass\n"
"	not edx\n"
"	mov eax, edx\n"
"	pop ebp\n	pop edi\n	pop esi\n	pop ebx\n"
"	ret\n"
"	.att_syntax prefix\n"
"	.size	wl_crc32_asm, .-wl_crc32_asm\n"
);

/* byte-copy loop: 1 MiB from mem to mem + 2 MiB, n passes */
__asm__(
"	.text\n"
"	.globl	wl_copy_asm\n"
"	.type	wl_copy_asm,@function\n"
"wl_copy_asm:\n"
"	.intel_syntax noprefix\n"
"	push ebx\n	push esi\n	push edi\n	push ebp\n"
"	mov ebp, [esp+20]\n"
"	mov edx, [esp+24]\n"
".Lcp_pass:\n"
"	mov esi, edx\n"
"	lea edi, [edx+0x200000]\n"
"	mov ecx, 1048576\n"
".Lcp_loop:\n"
"	mov al, byte ptr [esi]\n"
"	mov byte ptr [edi], al\n"
"	inc esi\n"
"	inc edi\n"
"	dec ecx\n"
"	jnz .Lcp_loop\n"
"	dec ebp\n"
"	jnz .Lcp_pass\n"
"	mov eax, [edx+0x2ffffc]\n"
"	pop ebp\n	pop edi\n	pop esi\n	pop ebx\n"
"	ret\n"
"	.att_syntax prefix\n"
"	.size	wl_copy_asm, .-wl_copy_asm\n"
);

unsigned wl_sieve_asm(unsigned n, unsigned char *mem);
unsigned wl_crc32_asm(unsigned n, unsigned char *mem);
unsigned wl_copy_asm(unsigned n, unsigned char *mem);

static void fill(unsigned char *p, unsigned len)
{
	for (unsigned i = 0; i < len; i++)
		p[i] = (unsigned char)(i * 7 ^ (i >> 8));
}

unsigned wl_sieve(unsigned n, unsigned char *mem) { return wl_sieve_asm(n, mem); }
unsigned wl_crc32(unsigned n, unsigned char *mem) { fill(mem, 65536); return wl_crc32_asm(n, mem); }
unsigned wl_copy(unsigned n, unsigned char *mem) { fill(mem, 1 << 20); return wl_copy_asm(n, mem); }

static void qs(int *a, int lo, int hi)
{
	while (lo < hi) {
		int p = a[(lo + hi) >> 1], i = lo, j = hi;
		while (i <= j) {
			while (a[i] < p) i++;
			while (a[j] > p) j--;
			if (i <= j) { int t = a[i]; a[i] = a[j]; a[j] = t; i++; j--; }
		}
		if (j - lo < hi - i) { qs(a, lo, j); lo = i; } else { qs(a, i, hi); hi = j; }
	}
}

/* quicksort of 20,000 ints, n times (a fresh pseudo-random array each time) */
unsigned wl_sort(unsigned n, unsigned char *mem)
{
	int *a = (int *)mem;
	unsigned h = 0, seed = 12345;
	for (unsigned r = 0; r < n; r++) {
		for (int k = 0; k < 20000; k++) { seed = seed * 1103515245u + 12345u; a[k] = (int)(seed >> 1); }
		qs(a, 0, 20000 - 1);
		for (int k = 0; k < 20000; k++) h = h * 31 + (unsigned)a[k];
	}
	return h;
}

struct node { unsigned key; unsigned val; struct node *next; };

static unsigned hash(const unsigned char *s, int n)
{
	unsigned h = 2166136261u;
	for (int i = 0; i < n; i++) { h ^= s[i]; h *= 16777619u; }
	return h;
}

/* word and line count of 64 KiB of text, n rounds: a switch, FNV hashing,
   a chained hash table */
unsigned wl_words(unsigned n, unsigned char *mem)
{
	struct node *pool = (struct node *)mem;
	struct node **tab = (struct node **)(mem + 0x100000);
	unsigned char *text = mem + 0x200000;
	unsigned x = 1234, words = 0, lines = 0, total = 0; int np = 0;
	for (int k = 0; k < 1024; k++) tab[k] = 0;
	for (int i = 0; i < 65536; i++) {
		x = x * 1103515245u + 12345u; unsigned c = (x >> 16) & 31;
		text[i] = c < 5 ? ' ' : c == 5 ? '\n' : 'a' + c;
	}
	for (unsigned r = 0; r < n; r++) {
		int inword = 0, start = 0;
		for (int i = 0; i < 65536; i++) {
			unsigned char ch = text[i];
			switch (ch) {
			case ' ': case '\n':
				if (ch == '\n') lines++;
				if (inword) {
					words++;
					unsigned h = hash(text + start, i - start);
					struct node *p = tab[h & 1023];
					while (p && p->key != h) p = p->next;
					if (p) p->val++;
					else if (np < 4096) {
						p = &pool[np++]; p->key = h; p->val = 1;
						p->next = tab[h & 1023]; tab[h & 1023] = p;
					}
				}
				inword = 0; break;
			default:
				if (!inword) { inword = 1; start = i; }
			}
		}
	}
	for (int k = 0; k < 1024; k++)
		for (struct node *p = tab[k]; p; p = p->next) total += p->val * (p->key & 7);
	return words ^ lines ^ total ^ np;
}
"""

MAIN_C = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

unsigned wl_sieve(unsigned, unsigned char *);
unsigned wl_crc32(unsigned, unsigned char *);
unsigned wl_copy(unsigned, unsigned char *);
unsigned wl_sort(unsigned, unsigned char *);
unsigned wl_words(unsigned, unsigned char *);

static unsigned char mem[3 << 20] __attribute__((aligned(4096)));

int main(int argc, char *argv[])
{
	static const struct { const char *name; unsigned (*fn)(unsigned, unsigned char *); } w[] = {
		{ "sieve", wl_sieve }, { "crc32", wl_crc32 }, { "copy", wl_copy },
		{ "sort", wl_sort }, { "words", wl_words },
	};
	if (argc != 3) {
		fprintf(stderr, "usage: bench_cpu WORKLOAD N\n");
		return 2;
	}
	for (unsigned k = 0; k < sizeof w / sizeof w[0]; k++)
		if (strcmp(argv[1], w[k].name) == 0) {
			unsigned n = (unsigned)strtoul(argv[2], 0, 10);
			printf("%s %u %u\n", argv[1], n, w[k].fn(n, mem));
			return 0;
		}
	fprintf(stderr, "bench_cpu: unknown workload %s\n", argv[1]);
	return 2;
}
"""

# workload -> (label, N1, N2): N2 = 2 N1, sized for ~0.1-0.3 s of kw86 CPU at N2
WORKLOADS = {
    "sieve": ("sieve", 8, 16),
    "crc32": ("CRC32, registers only", 6, 12),
    "copy": ("byte-copy loop", 6, 12),
    "sort": ("zig -O2 C quicksort", 6, 12),
    "words": ("zig -O2 C word count", 12, 24),
}
COMPUTE_MIX = ("sieve", "crc32", "sort")        # the "compute" row

# the CPL 3 / CPL 0 phase: each workload at N = 1 and at PARITY_N (scaled by
# --scale), about 0.3-0.5 s of guest work between the two at a load of 1
PARITY_N = {"sieve": 48, "crc32": 72, "copy": 36, "sort": 48, "words": 120}
PARITY_ROUNDS = 9

MEM = 0x100000          # FlatCPU / Unicorn: the workload buffer (3 MiB)
STACK = 0x90000
RET = 0x1000            # return address: an int3 (FlatCPU) / Unicorn's stop address
FLAT_MEM = 0x8800000    # FlatCPU memory: up to the program at 0x8048000


class BenchError(Exception):
    pass


def _cache_dir():
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "kw86", "bench")


def build_program(verbose=False):
    """The guest program (NetBSD/i386 ELF), built once per source version."""
    build_py = os.path.join(ROOT, "userland", "build.py")
    if not os.path.exists(build_py):
        raise BenchError("kw86 bench cpu builds its guest program with the source tree's "
                         "userland/build.py, which this installation lacks")
    with open(build_py, "rb") as f:
        key = hashlib.sha256(f.read() + WORKLOADS_C.encode() + MAIN_C.encode()).hexdigest()[:16]
    d = os.path.join(_cache_dir(), key)
    exe = os.path.join(d, "bench_cpu")
    if os.path.exists(exe):
        return exe
    os.makedirs(d, exist_ok=True)
    srcs = []
    for name, text in (("bench_main.c", MAIN_C), ("bench_workloads.c", WORKLOADS_C)):
        p = os.path.join(d, name)
        with open(p, "w") as f:
            f.write(text)
        srcs.append(p)
    spec = importlib.util.spec_from_file_location("kw86_userland_build", build_py)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    tmp = exe + ".tmp"
    mod.build_program(srcs, tmp, verbose=verbose, obj_dir=os.path.join(d, "obj"))
    os.replace(tmp, exe)
    return exe


def load_elf(path):
    """PT_LOAD segments [(vaddr, bytes, memsz)] and {function: address}."""
    from elftools.elf.elffile import ELFFile
    segs, syms = [], {}
    with open(path, "rb") as f:
        elf = ELFFile(f)
        for seg in elf.iter_segments():
            if seg["p_type"] == "PT_LOAD":
                segs.append((seg["p_vaddr"], seg.data(), seg["p_memsz"]))
        for sym in elf.get_section_by_name(".symtab").iter_symbols():
            if sym["st_info"]["type"] == "STT_FUNC":
                syms[sym.name] = sym["st_value"]
    return segs, syms


# --- the engines: each returns (instructions or None, CPU seconds, result) ----

def run_flat(image, fn, n):
    from kw86.testing import FlatCPU
    segs, syms = image
    cpu = FlatCPU(cpl=0, mem_size=FLAT_MEM)
    for vaddr, data, memsz in segs:
        cpu.write_mem(vaddr, data + bytes(memsz - len(data)))
    cpu.write_mem(RET, b"\xcc")
    cpu.write_mem(STACK - 12, struct.pack("<III", RET, n, MEM))
    cpu.set_reg("esp", STACK - 12)
    cpu.set_reg("eip", syms["wl_" + fn])
    m = cpu.machine
    t = time.process_time()
    r = m.run(1 << 62)
    dt = time.process_time() - t
    if r.exception is None or r.exception.vector != 3:
        raise BenchError(f"FlatCPU: {fn} {n} did not return: {r}")
    return m.instructions - 1, dt, cpu.get_reg("eax")     # (the int3 at RET not counted)


def run_unicorn(image, fn, n):
    from unicorn import Uc, UC_ARCH_X86, UC_MODE_32
    from unicorn.x86_const import UC_X86_REG_ESP, UC_X86_REG_EAX
    segs, syms = image
    mu = Uc(UC_ARCH_X86, UC_MODE_32)
    mu.mem_map(0, 16 << 20)
    for vaddr, data, memsz in segs:
        lo = vaddr & ~0xFFF
        hi = (vaddr + memsz + 0xFFF) & ~0xFFF
        try:
            mu.mem_map(lo, hi - lo)
        except Exception:       # overlaps a page mapped for the segment before
            mu.mem_map(lo + 0x1000, hi - lo - 0x1000)
        mu.mem_write(vaddr, data)
    mu.mem_write(STACK - 12, struct.pack("<III", RET, n, MEM))
    mu.reg_write(UC_X86_REG_ESP, STACK - 12)
    t = time.process_time()
    mu.emu_start(syms["wl_" + fn], RET)
    dt = time.process_time() - t
    return None, dt, mu.reg_read(UC_X86_REG_EAX)


STATS_RE = re.compile(r"kw86: (\d+) instructions")


def run_exec(exe, fn, n, kernelware, env=None):
    cmd = [sys.executable, "-m", "kw86.cli", "exec", "--stats"]
    if kernelware:
        cmd.append("--kernelware")
    cmd += ["./" + os.path.basename(exe), fn, str(n)]
    p = subprocess.Popen(cmd, cwd=os.path.dirname(exe), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=env)
    out, err = p.communicate()
    # communicate() reaped the child: its rusage is in RUSAGE_CHILDREN; take the
    # difference around it instead (one child at a time)
    return out, err, p.returncode, cmd


def run_exec_timed(exe, fn, n, kernelware, env=None):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out, err, rc, cmd = run_exec(exe, fn, n, kernelware, env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    dt = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if rc != 0:
        raise BenchError(f"{' '.join(cmd)} failed ({rc}): {err.decode(errors='replace')[-500:]}")
    m = STATS_RE.search(err.decode(errors="replace"))
    if not m:
        raise BenchError(f"no --stats line from {' '.join(cmd)}")
    fields = out.decode().split()
    return int(m.group(1)), dt, int(fields[2])


# --- the run -------------------------------------------------------------------

ENGINES = [
    ("unicorn", "Unicorn"),
    ("flat", "kw86 FlatCPU CPL 0"),
    ("user", "kw86 exec CPL 3"),
    ("kernel", "kw86 exec --kernelware CPL 0"),
]


def have_unicorn():
    try:
        import unicorn  # noqa: F401
        return True
    except ImportError:
        return False


def loadavg():
    try:
        return tuple(round(x, 2) for x in os.getloadavg())
    except OSError:
        return None


def measure_parity(exe, workloads, rounds, scale=1.0, stream=sys.stdout, verbose=False,
                   env=None):
    """The CPL 3 / CPL 0 phase: `rounds` rounds of every workload at N = 1
    and N = PARITY_N (scaled), `kw86 exec` and `kw86 exec --kernelware`
    back to back at each size, the first of the two alternating.  Returns
    {"sizes": {w: (1, N)}, "runs": {w: [{"user": (di, dt), "kernel": (di, dt)}
    per round]}}: each round's N - 1 instruction and CPU-time differences.
    env: the environment of the `kw86 exec` children (None: this process's)."""
    sizes = {w: (1, max(2, round(PARITY_N[w] * scale))) for w in workloads}
    runs = {w: [] for w in workloads}
    for rnd in range(rounds):
        for i, w in enumerate(workloads):
            order = ("user", "kernel") if (rnd + i) % 2 == 0 else ("kernel", "user")
            got = {}
            for n in sizes[w]:
                for mode in order:
                    ins, dt, res = run_exec_timed(exe, w, n, mode == "kernel", env)
                    got[(mode, n)] = (ins, dt, res)
                    if verbose:
                        stream.write(f"  CPL 3/CPL 0 round {rnd + 1} {w:6} {mode:6} n={n:<4} "
                                     f"{dt:7.3f} s {ins} insns\n")
                        stream.flush()
                if got[("user", n)][2] != got[("kernel", n)][2]:
                    raise BenchError(f"{w} {n}: CPL 3 returned {got[('user', n)][2]:#x}, "
                                     f"CPL 0 {got[('kernel', n)][2]:#x}")
            n1, n2 = sizes[w]
            runs[w].append({mode: (got[(mode, n2)][0] - got[(mode, n1)][0],
                                   got[(mode, n2)][1] - got[(mode, n1)][1])
                            for mode in ("user", "kernel")})
    return {"sizes": sizes, "runs": runs}


def _median(xs):
    xs = sorted(xs)
    k = len(xs) // 2
    return xs[k] if len(xs) % 2 else (xs[k - 1] + xs[k]) / 2


def median_interval(xs, conf=0.95):
    """A distribution-free interval for the median of what xs samples (the
    sign test's): (lo, hi, coverage), the k-th smallest and the k-th largest
    of xs for the largest k whose coverage 1 - 2 P(Binomial(n, 1/2) < k) is
    still at least conf; k = 1 (the whole range) when none reaches it, and
    coverage says how much that one has (7 values: 98.4 %; 5: 93.8 %)."""
    xs = sorted(xs)
    n = len(xs)

    def coverage(k):
        return 1 - 2 * sum(math.comb(n, i) for i in range(k)) / 2 ** n
    k = 1
    while k + 1 <= (n + 1) // 2 and coverage(k + 1) >= conf:
        k += 1
    return xs[k - 1], xs[n - k], coverage(k)


GOAL = 0.05             # issue 12: CPL 3 within 5 % of CPL 0


def within_goal(lo, hi, coverage=1.0, tol=GOAL, conf=0.95):
    """'yes' when the whole interval lies in [1 - tol, 1 + tol], 'no' when it
    lies wholly outside, else 'not shown' (the noise straddles the line);
    'too few rounds' when the interval covers less than conf (fewer than 6
    rounds: the sign test cannot say anything at 95 %)."""
    if coverage < conf:
        return "too few rounds"
    if 1 - tol <= lo and hi <= 1 + tol:
        return "yes"
    if lo > 1 + tol or hi < 1 - tol:
        return "no"
    return "not shown"


def parity_summary(runs, ws):
    """CPL 3 / CPL 0 of the workloads ws together (one row), from
    measure_parity's per-round (di, dt) pairs: the ratio of the best rate
    of each mode (per workload: its best round; a row of several
    workloads adds their best instruction and time differences), and the
    per-round paired ratios (that round's workloads added up, CPL 3 rate /
    CPL 0 rate) with their median, min and max.  None where a time
    difference is not positive (too small to measure)."""
    nrounds = min(len(runs[w]) for w in ws)
    if nrounds == 0:
        return None
    best = {}
    for mode in ("user", "kernel"):
        di = dt = 0
        for w in ws:
            rates = [(r[mode][0] / r[mode][1], r[mode]) for r in runs[w] if r[mode][1] > 0]
            if not rates:
                return None
            b = max(rates)[1]
            di += b[0]
            dt += b[1]
        best[mode] = di / dt
    per_round = []
    for k in range(nrounds):
        rate = {}
        for mode in ("user", "kernel"):
            di = sum(runs[w][k][mode][0] for w in ws)
            dt = sum(runs[w][k][mode][1] for w in ws)
            rate[mode] = di / dt if dt > 0 else None
        if rate["user"] and rate["kernel"]:
            per_round.append(rate["user"] / rate["kernel"])
    if not per_round:
        return None
    lo, hi, cov = median_interval(per_round)
    return {"best": best["user"] / best["kernel"], "rounds": per_round,
            "median": _median(per_round), "min": min(per_round), "max": max(per_round),
            "lo": lo, "hi": hi, "coverage": cov, "within": within_goal(lo, hi, cov),
            "user_mips": best["user"] / 1e6, "kernel_mips": best["kernel"] / 1e6}


def measure(rounds=3, workloads=None, engines=None, scale=1.0, stream=sys.stdout,
            verbose=False, parity_rounds=PARITY_ROUNDS, base_env=None):
    """Run the benchmark; returns a dict (rates, ratios, load).  With both
    exec engines and parity_rounds > 0 the CPL 3 / CPL 0 column comes from
    measure_parity: the median of the per-round paired ratios, with
    cpl3_vs_cpl0_min/_max/_rounds/_best (the main rounds' ratio stays as
    cpl3_vs_cpl0_main).
    base_env: the environment of the `kw86 exec` children (None: this
    process's)."""
    workloads = list(workloads or WORKLOADS)
    engines = list(engines or [e for e, _ in ENGINES])
    notes = []
    if "unicorn" in engines and not have_unicorn():
        engines.remove("unicorn")
        notes.append("Unicorn is NOT installed (pip install unicorn, or pip install -e '.[test]'): "
                     "kw86 measured alone, no kw86/Unicorn ratios")
    exe = build_program(verbose=verbose)
    image = load_elf(exe)
    sizes = {w: (max(1, round(WORKLOADS[w][1] * scale)), max(2, round(WORKLOADS[w][2] * scale)))
             for w in workloads}
    best = {}           # (w, engine, size) -> (ins, dt)
    results = {}        # (w, size) -> result value (all engines must agree)
    load0 = loadavg()
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    wall0 = time.time()
    for rnd in range(rounds):
        for w in workloads:
            for eng in engines:
                for n in sizes[w]:
                    if eng == "flat":
                        ins, dt, res = run_flat(image, w, n)
                    elif eng == "unicorn":
                        ins, dt, res = run_unicorn(image, w, n)
                    else:
                        ins, dt, res = run_exec_timed(exe, w, n, eng == "kernel", base_env)
                    prev = results.setdefault((w, n), (res, eng))
                    if prev[0] != res:
                        raise BenchError(f"{w} {n}: {eng} returned {res:#x}, "
                                         f"{prev[1]} {prev[0]:#x}")
                    key = (w, eng, n)
                    if key not in best or dt < best[key][1]:
                        best[key] = (ins, dt)
                    if verbose:
                        stream.write(f"  round {rnd + 1} {w:6} {eng:8} n={n:<3} {dt:7.3f} s"
                                     + (f" {ins} insns" if ins is not None else "") + "\n")
                        stream.flush()
    parity = None
    if "user" in engines and "kernel" in engines and parity_rounds > 0:
        parity = measure_parity(exe, workloads, parity_rounds, scale, stream, verbose,
                                base_env)
    load1 = loadavg()
    # instruction deltas: kw86's own count per engine; Unicorn runs FlatCPU's
    # instructions (same function, same bytes, results checked equal)
    flat_ins = {}
    for w in workloads:
        n1, n2 = sizes[w]
        if ("flat" in engines):
            flat_ins[w] = best[(w, "flat", n2)][0] - best[(w, "flat", n1)][0]
        else:
            flat_ins[w] = None
    rate = {}           # (w, engine) -> (instructions, seconds) of the N2 - N1 difference
    for w in workloads:
        n1, n2 = sizes[w]
        for eng in engines:
            i1, t1 = best[(w, eng, n1)]
            i2, t2 = best[(w, eng, n2)]
            di = (i2 - i1) if i1 is not None else flat_ins[w]
            if di is None:
                if eng == "unicorn":
                    # without FlatCPU: the exec count (same function, the
                    # workload's part only in the difference)
                    for other in ("user", "kernel"):
                        if other in engines:
                            di = best[(w, other, n2)][0] - best[(w, other, n1)][0]
                            break
            rate[(w, eng)] = (di, t2 - t1)
    table = []
    for row, ws in mips_rows(workloads, engines, rate):
        for eng in ("flat", "user", "kernel"):
            if eng in engines and "unicorn" in engines and row.get("unicorn_mips"):
                a = row.get(eng + "_mips")
                row[eng + "_vs_unicorn"] = round(a / row["unicorn_mips"], 2) if a else None
        if "user" in engines and "kernel" in engines and row.get("kernel_mips"):
            a = row.get("user_mips")
            row["cpl3_vs_cpl0"] = round(a / row["kernel_mips"], 2) if a else None
        if parity is not None:
            row["cpl3_vs_cpl0_main"] = row.get("cpl3_vs_cpl0")
            p = parity_summary(parity["runs"], ws)
            row["cpl3_vs_cpl0"] = round(p["median"], 3) if p else None
            if p:
                row["cpl3_vs_cpl0_best"] = round(p["best"], 3)
                row["cpl3_vs_cpl0_median"] = round(p["median"], 3)
                row["cpl3_vs_cpl0_min"] = round(p["min"], 3)
                row["cpl3_vs_cpl0_max"] = round(p["max"], 3)
                row["cpl3_vs_cpl0_lo"] = round(p["lo"], 3)
                row["cpl3_vs_cpl0_hi"] = round(p["hi"], 3)
                row["cpl3_vs_cpl0_coverage"] = round(p["coverage"], 3)
                row["cpl3_vs_cpl0_within_5pct"] = p["within"]
                row["cpl3_vs_cpl0_rounds"] = [round(x, 3) for x in p["rounds"]]
                row["parity_user_mips"] = round(p["user_mips"], 1)
                row["parity_kernel_mips"] = round(p["kernel_mips"], 1)
        table.append(row)
    out = {
        "rounds": rounds, "sizes": sizes, "engines": engines, "table": table, "notes": notes,
        "parity_rounds": parity_rounds if parity is not None else 0,
        "parity_sizes": parity["sizes"] if parity is not None else None,
        "load_before": load0, "load_after": load1,
        "uptime": _uptime(), "cpus": os.cpu_count(),
        "wall_s": round(time.time() - wall0, 1),
        "python_cpu_s": round(resource.getrusage(resource.RUSAGE_SELF).ru_utime - cpu0.ru_utime, 1),
    }
    try:
        import unicorn
        out["unicorn_version"] = unicorn.__version__
    except ImportError:
        pass
    return out


def _uptime():
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return None


def format_table(res):
    eng = res["engines"]
    cols = [("workload", "label", "{}")]
    names = dict(ENGINES)
    for e in eng:
        cols.append((names[e] + " MIPS", e + "_mips", "{:.1f}"))
    for e in ("flat", "user", "kernel"):
        if e in eng and "unicorn" in eng:
            short = {"flat": "FlatCPU", "user": "CPL 3", "kernel": "CPL 0"}[e]
            cols.append((f"{short} / Unicorn", e + "_vs_unicorn", "{:.2f}x"))
    if "user" in eng and "kernel" in eng:
        cols.append(("CPL 3 / CPL 0", "cpl3_vs_cpl0",
                     "{:.3f}" if res.get("parity_rounds") else "{:.2f}"))
        if res.get("parity_rounds"):
            cov = median_interval([0] * res["parity_rounds"])[2]
            cols.append((f"{math.floor(cov * 1000) / 10:g} % interval", "cpl3_vs_cpl0_spread",
                         "{}"))
            cols.append(("within 5 %", "cpl3_vs_cpl0_within_5pct", "{}"))
            cols.append((f"best of {res['parity_rounds']} per mode", "cpl3_vs_cpl0_best",
                         "{:.3f}"))
    def value(row, key):
        if key == "cpl3_vs_cpl0_spread" and row.get("cpl3_vs_cpl0_lo") is not None:
            return f"[{row['cpl3_vs_cpl0_lo']:.3f}, {row['cpl3_vs_cpl0_hi']:.3f}]"
        return row.get(key)
    return markdown_table(cols, res["table"], value)


def mips_rows(workloads, engines, rate):
    """(row, its workloads) per workload and, with two or more of the mix, the
    compute mix: row = {workload, label, ENGINE_mips} from rate[(w, engine)] =
    (instructions, seconds) of the N2 - N1 difference (None where unmeasured)."""
    rows = [(w, WORKLOADS[w][0], [w]) for w in workloads]
    mix = [w for w in COMPUTE_MIX if w in workloads]
    if len(mix) > 1:
        rows.append(("compute", "compute mix (" + " + ".join(mix) + ")", mix))
    for key, label, ws in rows:
        row = {"workload": key, "label": label}
        for eng in engines:
            di = sum(rate[(w, eng)][0] or 0 for w in ws)
            dt = sum(rate[(w, eng)][1] for w in ws)
            row[eng + "_mips"] = round(di / dt / 1e6, 1) if dt > 0 and di > 0 else None
        yield row, ws


def markdown_table(cols, rows, value=lambda row, key: row.get(key)):
    """A Markdown table: cols are (title, key, format) with the first column
    left-aligned, a cell value(row, key) or "-" where it is None."""
    lines = ["| " + " | ".join(c[0] for c in cols) + " |",
             "| " + " | ".join("---" if k == 0 else "---:" for k in range(len(cols))) + " |"]
    for row in rows:
        cells = []
        for _, key, fmt in cols:
            v = value(row, key)
            cells.append("-" if v is None else fmt.format(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def add_common_arguments(p, engines, engines_note=""):
    """The options `kw86 bench cpu` and `kw86 bench bochs` share (engines:
    the command's (name, title) pairs)."""
    p.add_argument("-n", "--rounds", type=int, default=3, help="best of N rounds (default 3)")
    p.add_argument("--workloads", default=",".join(WORKLOADS),
                   help="comma-separated subset of: " + ", ".join(WORKLOADS))
    p.add_argument("--engines", default=",".join(e for e, _ in engines),
                   help="comma-separated subset of: " + ", ".join(e for e, _ in engines)
                   + engines_note)
    p.add_argument("--scale", type=float, default=1.0,
                   help="multiply the workload sizes (default 1)")


def add_output_arguments(p):
    p.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    p.add_argument("-v", "--verbose", action="store_true", help="print every measurement")


def add_arguments(p):
    add_common_arguments(p, ENGINES)
    p.add_argument("--parity-rounds", type=int, default=PARITY_ROUNDS, metavar="P",
                   help="rounds of the CPL 3 / CPL 0 phase (default %(default)s; 0: the column "
                        "from the main rounds, about +-15 %% per ratio)")
    add_output_arguments(p)


def workloads_and_engines(cmd, args, engines):
    """The --workloads and --engines lists of `kw86 bench CMD` (engines: its
    (name, title) pairs), or None after saying which name is unknown."""
    ws = [w for w in args.workloads.split(",") if w]
    es = [e for e in args.engines.split(",") if e]
    for kind, names, known in (("workload", ws, WORKLOADS), ("engine", es, dict(engines))):
        for n in names:
            if n not in known:
                sys.stderr.write(f"kw86 bench {cmd}: unknown {kind} {n!r}\n")
                return None
    return ws, es


def run(args):
    chosen = workloads_and_engines("cpu", args, ENGINES)
    if chosen is None:
        return 2
    ws, es = chosen
    if "unicorn" in es and not have_unicorn():
        sys.stderr.write("kw86 bench cpu: Unicorn is not installed (pip install unicorn, or "
                         "pip install -e '.[test]'); measuring kw86 alone, without ratios\n")
    try:
        res = measure(rounds=args.rounds, workloads=ws, engines=es, scale=args.scale,
                      verbose=args.verbose, parity_rounds=max(0, args.parity_rounds))
    except BenchError as e:
        sys.stderr.write(f"kw86 bench cpu: {e}\n")
        return 1
    both = "unicorn" in res["engines"]
    print(f"kw86 bench cpu: best of {res['rounds']}, CPU time, rates from two sizes "
          f"(N2 - N1), "
          + (f"kw86 and Unicorn {res.get('unicorn_version', '')} interleaved in one run"
             if both else "kw86 only (no Unicorn in this run)"))
    print(f"load average before {res['load_before']}, after {res['load_after']} "
          f"on {res['cpus']} CPUs; {res['wall_s']} s wall")
    for note in res["notes"]:
        print("NOTE: " + note)
    if res.get("parity_rounds"):
        sz = res["parity_sizes"]
        print(f"CPL 3 / CPL 0: a phase of its own, {res['parity_rounds']} rounds of kw86 exec "
              f"and kw86 exec --kernelware back to back at N = 1 and N = "
              + ", ".join(f"{w} {sz[w][1]}" for w in sz)
              + " (the first of the two swapped every round); the column: the median of the "
              f"{res['parity_rounds']} rounds' paired ratios (CPL 3 rate / CPL 0 rate, each "
              "from that round's N - 1 difference), the sign test's interval for that median "
              "(the k-th smallest and largest ratio), whether it lies within 5 % of 1, and "
              "the ratio of each mode's best rate")
        main = [f"{r['workload']} {r['cpl3_vs_cpl0_main']:.2f}" for r in res["table"]
                if r.get("cpl3_vs_cpl0_main") is not None]
        if main:
            print("  (the main rounds' CPL 3 / CPL 0, best of "
                  f"{res['rounds']} at the small sizes: " + ", ".join(main) + ")")
    print()
    print(format_table(res))
    unsure = [r["workload"] for r in res["table"]
              if r.get("cpl3_vs_cpl0_within_5pct") in ("not shown", "too few rounds")]
    if unsure:
        print(f"\nCPL 3 / CPL 0 not shown to 5 % for {', '.join(unsure)} at this load: more "
              f"rounds narrow the interval (--parity-rounds 21 --workloads "
              + ",".join(dict.fromkeys(x for w in unsure
                                       for x in ([w] if w in WORKLOADS else COMPUTE_MIX)))
              + " --engines user,kernel)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1)
    return 0
