"""CPU benchmarks (pytest-benchmark, run on demand: `pytest bench/test_bench_cpu.py`).

Each program also runs under Unicorn in the same run, so the ratio is
measured on this machine; extra_info records kw86 MIPS, Unicorn MIPS, the
ratio and the modelled cycles.  Programs are assembled with zig (tests/asm).
"""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
from asm.zasm import assemble, compile_c  # noqa: E402

from kw86.testing import FlatCPU, make_system, UTEXT, KTEXT  # noqa: E402

CODE = 0x1000

SIEVE = """
    mov esi, 3                  # passes
pass_:
    mov edi, 0x100000           # flags array
    mov ecx, 200000
fill:
    mov byte ptr [edi+ecx-1], 1
    dec ecx
    jnz fill
    mov ebx, 2
    xor edx, edx                # prime count
outer:
    cmp byte ptr [edi+ebx], 0
    je next
    inc edx
    lea eax, [ebx+ebx]
inner:
    cmp eax, 200000
    jae next
    mov byte ptr [edi+eax], 0
    add eax, ebx
    jmp inner
next:
    inc ebx
    cmp ebx, 200000
    jb outer
    dec esi
    jnz pass_
    int3
"""

CRC32 = """
    mov esi, 0x100000
    mov ecx, 65536
    mov edx, 0xffffffff
byte_:
    movzx eax, byte ptr [esi]
    xor edx, eax
    mov ebx, 8
bit_:
    mov eax, edx
    and eax, 1
    neg eax
    and eax, 0xedb88320
    shr edx, 1
    xor edx, eax
    dec ebx
    jnz bit_
    inc esi
    dec ecx
    jnz byte_
    not edx
    int3
"""

COPY_BYTES = """
    mov esi, 0x100000
    mov edi, 0x300000
    mov ecx, 1048576
l:
    mov al, byte ptr [esi]
    mov byte ptr [edi], al
    inc esi
    inc edi
    dec ecx
    jnz l
    int3
"""

REP_MOVSD = """
    mov edx, 64
again:
    mov esi, 0x100000
    mov edi, 0x300000
    mov ecx, 262144
    cld
    rep movsd
    dec edx
    jnz again
    int3
"""


SORT_C = r"""
static void qs(int *a, int lo, int hi) {
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
unsigned entry(int *a, int n, unsigned seed) {
    for (int k = 0; k < n; k++) { seed = seed * 1103515245u + 12345u; a[k] = (int)(seed >> 1); }
    qs(a, 0, n - 1);
    unsigned h = 0;
    for (int k = 0; k < n; k++) h = h * 31 + (unsigned)a[k];
    return h;
}
"""


def run_kw86(code):
    cpu = FlatCPU(cpl=0, mem_size=16 << 20)
    cpu.write_mem(CODE, code)
    cpu.write_mem(0x100000, bytes(range(256)) * 4096)
    cpu.set_reg("eip", CODE)
    cpu.set_reg("esp", 0x90000)
    m = cpu.machine
    t = time.process_time()
    r = m.run(2_000_000_000)
    dt = time.process_time() - t
    assert r.exception is not None and r.exception.vector == 3, r
    return m.instructions, dt, m.cycles, cpu


def run_unicorn(code):
    from unicorn import Uc, UC_ARCH_X86, UC_MODE_32
    from unicorn.x86_const import UC_X86_REG_ESP
    mu = Uc(UC_ARCH_X86, UC_MODE_32)
    mu.mem_map(0, 16 << 20)
    mu.mem_write(CODE, code)
    mu.mem_write(0x100000, bytes(range(256)) * 4096)
    mu.reg_write(UC_X86_REG_ESP, 0x90000)
    t = time.process_time()
    mu.emu_start(CODE, CODE + len(code) - 1)      # stop at the final int3
    return time.process_time() - t, mu


def compare(benchmark, code, name):
    n, dt, cycles, cpu = run_kw86(code)
    udt, mu = run_unicorn(code)
    result = benchmark.pedantic(lambda: run_kw86(code), rounds=3, iterations=1)
    n, dt = result[0], min(benchmark.stats.stats.min, dt)
    info = {"instructions": n, "kw86_mips": round(n / dt / 1e6, 1),
            "unicorn_mips": round(n / udt / 1e6, 1), "ratio_vs_unicorn": round(udt / dt, 2),
            "cycles": cycles}
    benchmark.extra_info.update(info)
    print(f"\n{name}: {info}")
    return cpu, mu


def test_bench_sieve(benchmark):
    code = assemble(SIEVE)
    cpu, mu = compare(benchmark, code, "sieve")
    from unicorn.x86_const import UC_X86_REG_EDX
    assert cpu.get_reg("edx") == mu.reg_read(UC_X86_REG_EDX) == 17984


def test_bench_crc32(benchmark):
    code = assemble(CRC32)
    cpu, mu = compare(benchmark, code, "crc32")
    from unicorn.x86_const import UC_X86_REG_EDX
    assert cpu.get_reg("edx") == mu.reg_read(UC_X86_REG_EDX)


def test_bench_copy_byte_loop(benchmark):
    compare(benchmark, assemble(COPY_BYTES), "copy bytes")


def test_bench_rep_movsd(benchmark):
    code = assemble(REP_MOVSD)
    n, dt, cycles, cpu = run_kw86(code)
    udt, mu = run_unicorn(code)
    benchmark.pedantic(lambda: run_kw86(code), rounds=3, iterations=1)
    dt = min(dt, benchmark.stats.stats.min)
    info = {"kw86_GB_per_s": round(64 * 2**20 / dt / 1e9, 2),
            "unicorn_GB_per_s": round(64 * 2**20 / udt / 1e9, 3),
            "cycles_per_dword": round(cycles / (64 * 262144), 2)}
    benchmark.extra_info.update(info)
    print(f"\nrep movsd (64 x 1 MiB): {info}")
    assert cpu.read_mem(0x300000, 4096) == cpu.read_mem(0x100000, 4096)


def test_bench_int80_iret_round_trip(benchmark):
    n_calls = 200_000
    user = assemble(f"""
        mov ecx, {n_calls}
    l:  int 0x80
        dec ecx
        jnz l
        int3
    """)

    def kw():
        m = make_system(cpl=3)
        m.write(UTEXT, user)
        m.write(KTEXT, bytes.fromhex("cf"))          # iretd
        t = time.process_time()
        r = m.run(10 * n_calls)
        dt = time.process_time() - t
        assert r.exception.vector == 3
        return dt, m.cycles

    dt, cycles = kw()
    from unicorn import Uc, UC_ARCH_X86, UC_MODE_32, UC_HOOK_INTR
    mu = Uc(UC_ARCH_X86, UC_MODE_32)
    mu.mem_map(0, 16 << 20)
    mu.mem_write(CODE, user)
    mu.hook_add(UC_HOOK_INTR, lambda uc, intno, data: None)   # Unicorn hands int to the host
    t = time.process_time()
    mu.emu_start(CODE, CODE + len(user) - 1)
    udt = time.process_time() - t
    benchmark.pedantic(kw, rounds=3, iterations=1)
    dt = min(dt, benchmark.stats.stats.min)
    info = {"round_trip_ns": round(dt / n_calls * 1e9, 1),
            "unicorn_int_hook_ns": round(udt / n_calls * 1e9, 1),
            "cycles_per_round_trip": round(cycles / n_calls, 1)}
    benchmark.extra_info.update(info)
    print(f"\nint 0x80/iret: {info}")


def test_bench_c_quicksort(benchmark):
    """zig -O2 -mcpu=i686 code: quicksort of 200,000 ints (calls, loads,
    stores, imul, shifts, compares: a typical compiled-C mix)."""
    import struct
    text, syms = compile_c(SORT_C)
    n = 200_000
    code = text + b"\xcc"                        # return lands on the int3
    ret = CODE + len(text)
    frame = struct.pack("<IIII", ret, 0x400000, n, 12345)

    def setup_kw():
        cpu = FlatCPU(cpl=0, mem_size=16 << 20)
        cpu.write_mem(CODE, code)
        cpu.write_mem(0x90000 - 16, frame)
        cpu.set_reg("esp", 0x90000 - 16)
        cpu.set_reg("eip", CODE + syms["entry"])
        return cpu

    def kw():
        cpu = setup_kw()
        t = time.process_time()
        r = cpu.machine.run(2_000_000_000)
        dt = time.process_time() - t
        assert r.exception.vector == 3
        return cpu, dt

    cpu, dt = kw()
    from unicorn import Uc, UC_ARCH_X86, UC_MODE_32
    from unicorn.x86_const import UC_X86_REG_ESP, UC_X86_REG_EAX
    mu = Uc(UC_ARCH_X86, UC_MODE_32)
    mu.mem_map(0, 16 << 20)
    mu.mem_write(CODE, code)
    mu.mem_write(0x90000 - 16, frame)
    mu.reg_write(UC_X86_REG_ESP, 0x90000 - 16)
    t = time.process_time()
    mu.emu_start(CODE + syms["entry"], ret)
    udt = time.process_time() - t
    assert mu.reg_read(UC_X86_REG_EAX) == cpu.get_reg("eax")
    benchmark.pedantic(kw, rounds=3, iterations=1)
    dt = min(dt, benchmark.stats.stats.min)
    ins = cpu.instructions
    info = {"instructions": ins, "kw86_mips": round(ins / dt / 1e6, 1),
            "unicorn_mips": round(ins / udt / 1e6, 1), "ratio_vs_unicorn": round(udt / dt, 2),
            "cycles": cpu.cycles}
    benchmark.extra_info.update(info)
    print(f"\nC quicksort: {info}")


WORDS_C = r"""
struct node { unsigned key; unsigned val; struct node *next; };
static unsigned hash(const unsigned char *s, int n) {
    unsigned h = 2166136261u;
    for (int i = 0; i < n; i++) { h ^= s[i]; h *= 16777619u; }
    return h;
}
unsigned entry(unsigned seed, int rounds, struct node *pool, struct node **tab,
               unsigned char *text) {
    unsigned x = seed, words = 0, lines = 0, total = 0; int np = 0;
    for (int i = 0; i < 65536; i++) {
        x = x * 1103515245u + 12345u; unsigned c = (x >> 16) & 31;
        text[i] = c < 5 ? ' ' : c == 5 ? '\n' : 'a' + c;
    }
    for (int r = 0; r < rounds; r++) {
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


def test_bench_c_word_count(benchmark):
    """zig -O2 -mcpu=i686 code: word and line count of 64 KiB of text with a
    switch, FNV hashing and a chained hash table (byte loads, pointer
    chasing, read-modify-write counters: another typical compiled-C mix)."""
    import struct
    text, syms = compile_c(WORDS_C)
    code = text + b"\xcc"
    ret = CODE + len(text)
    frame = struct.pack("<IIIIII", ret, 1234, 20, 0x400000, 0x500000, 0x600000)

    def kw():
        cpu = FlatCPU(cpl=0, mem_size=16 << 20)
        cpu.write_mem(CODE, code)
        cpu.write_mem(0x90000 - 24, frame)
        cpu.set_reg("esp", 0x90000 - 24)
        cpu.set_reg("eip", CODE + syms["entry"])
        t = time.process_time()
        r = cpu.machine.run(2_000_000_000)
        dt = time.process_time() - t
        assert r.exception.vector == 3
        return cpu, dt

    cpu, dt = kw()
    from unicorn import Uc, UC_ARCH_X86, UC_MODE_32
    from unicorn.x86_const import UC_X86_REG_ESP, UC_X86_REG_EAX
    mu = Uc(UC_ARCH_X86, UC_MODE_32)
    mu.mem_map(0, 16 << 20)
    mu.mem_write(CODE, code)
    mu.mem_write(0x90000 - 24, frame)
    mu.reg_write(UC_X86_REG_ESP, 0x90000 - 24)
    t = time.process_time()
    mu.emu_start(CODE + syms["entry"], ret)
    udt = time.process_time() - t
    assert mu.reg_read(UC_X86_REG_EAX) == cpu.get_reg("eax")
    benchmark.pedantic(kw, rounds=3, iterations=1)
    dt = min(dt, benchmark.stats.stats.min)
    ins = cpu.instructions
    info = {"instructions": ins, "kw86_mips": round(ins / dt / 1e6, 1),
            "unicorn_mips": round(ins / udt / 1e6, 1), "ratio_vs_unicorn": round(udt / dt, 2),
            "cycles": cpu.cycles}
    benchmark.extra_info.update(info)
    print(f"\nC word count: {info}")


def test_bench_hypercall_round_trip(benchmark):
    """An `out` to a host-hooked port from CPL 0 (the kernel's hypercall):
    leave the C loop, call the Python handler, resume."""
    n_calls = 100_000
    code = assemble(f"""
        mov ecx, {n_calls}
    l:  out 0xe9, eax
        dec ecx
        jnz l
        int3
    """)
    calls = [0]

    def handler(port, size, value):
        calls[0] += 1

    def kw():
        cpu = FlatCPU(cpl=0)
        cpu.machine.set_port_handler(0xE9, write=handler, free=True)
        cpu.write_mem(CODE, code)
        cpu.set_reg("eip", CODE)
        t = time.perf_counter()
        r = cpu.machine.run(10 * n_calls)
        dt = time.perf_counter() - t
        assert r.exception.vector == 3
        return dt

    dt = kw()
    benchmark.pedantic(kw, rounds=3, iterations=1)
    dt = min(dt, benchmark.stats.stats.min)
    benchmark.extra_info["hypercall_round_trip_us"] = round(dt / n_calls * 1e6, 3)
    print(f"\nhypercall round trip: {dt / n_calls * 1e6:.3f} us")
