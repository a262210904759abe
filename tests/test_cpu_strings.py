"""String instructions with rep/repe/repne: element-by-element semantics of
the fast page-chunk path (overlap, DF=1, page and 64 KiB boundaries),
restartability after a fault or an interrupt between iterations, ins/outs
permission checks (SDM Vol. 2 MOVS/STOS/LODS/CMPS/SCAS/INS/OUTS, REP; Vol. 1
§7.3.9; DESIGN.md "fast rep movs/stos")."""

import struct
import time

from hypothesis import given, settings, strategies as st

from kw86.testing import FlatCPU, make_system, UTEXT

CF, ZF, DF = 0x1, 0x40, 0x400
AT = 0x1000
DATA = 0x40000


def start(cpu, code, **regs):
    code = bytes.fromhex(code.replace(" ", ""))
    cpu.write_mem(AT, code)
    cpu.set_reg("eip", AT)
    cpu.set_reg("esp", 0x8000)
    fl = 0x202 | (DF if regs.pop("df", False) else 0) | regs.pop("flags", 0)
    for k, v in regs.items():
        cpu.set_reg(k, v & 0xFFFFFFFF)
    cpu.set_reg("eflags", fl)
    return AT + len(code)


def finish(cpu, end, limit=100000):
    for _ in range(limit):
        if cpu.get_reg("eip") == end:
            return None
        e = cpu.step()
        if e is not None:
            return e
    raise AssertionError("did not finish")


def run(code, cpu=None, bits=32, **regs):
    cpu = cpu or FlatCPU(bits=bits)
    end = start(cpu, code, **regs)
    return cpu, finish(cpu, end)


# --- a reference model: the manual's loop, one element at a time ---------------

def model_rep(mem, base, op, size, count, si, di, df, ad, al=0):
    """mem: bytearray standing for linear base..; returns (si, di)."""
    mask = 0xFFFFFFFF if ad == 32 else 0xFFFF
    step = -size if df else size
    for _ in range(count):
        if op == "movs":
            v = mem[si - base:si - base + size]
            mem[di - base:di - base + size] = v
            si = (si + step) & mask
        else:
            mem[di - base:di - base + size] = al.to_bytes(4, "little")[:size]
        di = (di + step) & mask
    return si, di


MOVS = {1: "a4", 2: "66a5", 4: "a5"}
STOS = {1: "aa", 2: "66ab", 4: "ab"}


@settings(max_examples=150)
@given(op=st.sampled_from(["movs", "stos"]), size=st.sampled_from([1, 2, 4]),
       df=st.booleans(), count=st.integers(0, 600),
       src=st.integers(0x1000, 0x3000), delta=st.integers(-40, 40) | st.integers(-0x1800, 0x1800),
       prefix=st.sampled_from(["f3", "f2"]))
def test_rep_movs_stos_match_the_element_model(op, size, df, count, src, delta, prefix):
    cpu = FlatCPU()
    window = 0x6000
    base = DATA
    pattern = bytes((k * 7 + 3) & 0xFF for k in range(window))
    cpu.write_mem(base, pattern)
    si = base + src
    di = base + max(0, min(window - 8, src + delta))
    # keep every element inside the window
    span = count * size
    lo, hi = (min(si, di) - span - 8, max(si, di) + span + 8)
    if lo < base or hi > base + window:
        count = 0
    code = prefix + (MOVS if op == "movs" else STOS)[size]
    cpu, e = run(code, cpu=cpu, ecx=count, esi=si, edi=di, eax=0xA1B2C3D4, df=df)
    assert e is None
    mem = bytearray(pattern)
    msi, mdi = model_rep(mem, base, op, size, count, si, di, df, 32, 0xA1B2C3D4)
    assert cpu.read_mem(base, window) == bytes(mem)
    assert cpu.get_reg("ecx") == 0
    assert cpu.get_reg("edi") == mdi
    if op == "movs":
        assert cpu.get_reg("esi") == msi


def test_rep_movsb_replicates_a_byte():
    cpu = FlatCPU()
    cpu.write_mem(DATA, b"A" + b"\0" * 5000)
    cpu, e = run("f3a4", cpu=cpu, esi=DATA, edi=DATA + 1, ecx=5000)
    assert e is None
    assert cpu.read_mem(DATA, 5001) == b"A" * 5001
    assert (cpu.get_reg("esi"), cpu.get_reg("edi"), cpu.get_reg("ecx")) == (DATA + 5000, DATA + 5001, 0)


def test_rep_movsb_df1_dst_below_src_replicates():
    cpu = FlatCPU()
    cpu.write_mem(DATA, bytes(range(16)))
    cpu, e = run("f3a4", cpu=cpu, esi=DATA + 10, edi=DATA + 9, ecx=10, df=True)
    assert cpu.read_mem(DATA, 16) == bytes([10] * 10) + bytes([10, 11, 12, 13, 14, 15])
    assert (cpu.get_reg("esi"), cpu.get_reg("edi")) == (DATA, DATA - 1)


def test_rep_with_ecx_zero_does_nothing():
    cpu = FlatCPU()
    cpu.write_mem(DATA, b"\x11" * 8)
    cpu, e = run("f3a5", cpu=cpu, esi=DATA, edi=DATA + 4, ecx=0, flags=CF)
    assert e is None and cpu.read_mem(DATA, 8) == b"\x11" * 8
    assert (cpu.get_reg("esi"), cpu.get_reg("edi")) == (DATA, DATA + 4)
    cpu, e = run("f3a6", esi=DATA, edi=DATA + 4, ecx=0, flags=CF | ZF)     # repe cmpsb
    assert cpu.get_reg("eflags") & (CF | ZF) == CF | ZF


def test_rep_movsd_backwards():
    cpu = FlatCPU()
    src = bytes(range(64))
    cpu.write_mem(DATA, src)
    cpu, _ = run("f3a5", cpu=cpu, esi=DATA + 60, edi=DATA + 0x1000 + 60, ecx=16, df=True)
    assert cpu.read_mem(DATA + 0x1000, 64) == src
    assert (cpu.get_reg("esi"), cpu.get_reg("edi")) == (DATA - 4, DATA + 0x1000 - 4)


def test_16bit_addressing_wraps_si_di_and_keeps_upper_halves():
    cpu = FlatCPU()
    cpu.write_mem(0xFFFE, b"ab")
    cpu.write_mem(0x0000, b"cd")
    # addr16 rep movsb: SI from 0xFFFE wraps to 0; upper halves of ESI/EDI/ECX kept
    cpu, e = run("67f3a4", cpu=cpu, esi=0x1234FFFE, edi=0x56782000, ecx=0xABCD0004)
    assert e is None
    assert cpu.read_mem(0x2000, 4) == b"abcd"
    assert (cpu.get_reg("esi"), cpu.get_reg("edi"), cpu.get_reg("ecx")) == (
        0x12340002, 0x56782004, 0xABCD0000)


def test_16bit_code_segment_string_ops():
    cpu = FlatCPU(bits=16)
    cpu.write_mem(0x3000, b"hello")
    cpu, e = run("f3a4", cpu=cpu, esi=0x3000, edi=0x3100, ecx=5)     # 16-bit: SI/DI/CX
    assert e is None and cpu.read_mem(0x3100, 5) == b"hello"
    cpu, e = run("66f3ab", cpu=cpu, edi=0x3200, ecx=2, eax=0x01020304)   # rep stosd
    assert cpu.read_mem(0x3200, 8) == bytes([4, 3, 2, 1] * 2)


def test_repe_cmps_and_repne_scas():
    cpu = FlatCPU()
    cpu.write_mem(DATA, b"abcdefgh")
    cpu.write_mem(DATA + 0x100, b"abcdXfgh")
    cpu, _ = run("f3a6", cpu=cpu, esi=DATA, edi=DATA + 0x100, ecx=8)     # repe cmpsb
    assert cpu.get_reg("ecx") == 3 and cpu.get_reg("esi") == DATA + 5
    assert not cpu.get_reg("eflags") & ZF and not cpu.get_reg("eflags") & CF   # 'e' - 'X' > 0
    cpu.write_mem(DATA + 0x200, b"hello, world\0....")
    cpu, _ = run("f2ae", cpu=cpu, edi=DATA + 0x200, ecx=0xFFFFFFFF, eax=0)   # strlen
    assert 0xFFFFFFFF - cpu.get_reg("ecx") - 1 == 12 and cpu.get_reg("eflags") & ZF


def test_lods_and_cmps_single():
    cpu = FlatCPU()
    cpu.write_mem(DATA, struct.pack("<II", 0x11223344, 0x55667788))
    cpu, _ = run("adad", cpu=cpu, esi=DATA)
    assert cpu.get_reg("eax") == 0x55667788 and cpu.get_reg("esi") == DATA + 8
    cpu, _ = run("fdad", cpu=cpu, esi=DATA + 4)                          # std; lodsd
    assert cpu.get_reg("eax") == 0x55667788 and cpu.get_reg("esi") == DATA


def _paged_cpu(missing):
    """FlatCPU with identity paging of 0..4 MiB (user, writable) except the
    pages in `missing` (not present)."""
    cpu = FlatCPU()
    pd, pt = 0x200000, 0x201000
    cpu.write_mem(pd, struct.pack("<I", pt | 7) + b"\0" * 4092)
    cpu.write_mem(pt, b"".join(struct.pack("<I", 0 if (k << 12) in missing else (k << 12) | 7)
                               for k in range(1024)))
    cpu.set_reg("cr3", pd)
    cpu.set_reg("cr0", cpu.get_reg("cr0") | 0x80000000)
    return cpu, pt


def _map(cpu, pt, page):
    cpu.write_mem(pt + 4 * (page >> 12), struct.pack("<I", page | 7))
    cpu.machine.flush_tlb()


def test_rep_movs_faults_midway_and_resumes():
    src, dst, hole = 0x2F000, 0x50000, 0x30000
    cpu, pt = _paged_cpu({hole})
    data = bytes((k * 13) & 0xFF for k in range(0x1800))
    cpu.write_mem(src, data[:0x1000])
    cpu.write_mem(hole, data[0x1000:])          # physical memory is there, unmapped
    end = start(cpu, "f3a5", esi=src + 0x700, edi=dst, ecx=0x300)    # rep movsd, 3 KiB
    e = finish(cpu, end)
    assert e is not None and e.vector == 14 and e.cr2 == hole
    assert e.error_code == 4                    # user read, not present
    done = (hole - (src + 0x700)) // 4
    assert cpu.get_reg("eip") == AT
    assert cpu.get_reg("ecx") == 0x300 - done
    assert cpu.get_reg("esi") == hole and cpu.get_reg("edi") == dst + done * 4
    assert cpu.read_mem(dst, done * 4) == data[0x700:0x1000]
    _map(cpu, pt, hole)
    assert finish(cpu, end) is None
    assert cpu.read_mem(dst, 0xC00) == data[0x700:0x700 + 0xC00]
    assert cpu.get_reg("ecx") == 0


def test_rep_stos_faults_on_destination_page_and_resumes():
    hole = 0x61000
    cpu, pt = _paged_cpu({hole})
    end = start(cpu, "f3aa", edi=hole - 5, ecx=10, eax=0x5A, df=False)
    e = finish(cpu, end)
    assert e.vector == 14 and e.cr2 == hole and e.error_code == 6   # user write, not present
    assert cpu.get_reg("ecx") == 5 and cpu.get_reg("edi") == hole
    _map(cpu, pt, hole)
    assert finish(cpu, end) is None
    assert cpu.read_mem(hole - 5, 10) == b"\x5a" * 10


def test_element_straddling_a_page_with_second_page_missing():
    # movsd whose source dword straddles into an unmapped page: nothing of
    # that element is done, registers point at it
    hole = 0x31000
    cpu, pt = _paged_cpu({hole})
    end = start(cpu, "f3a5", esi=hole - 6, edi=0x50000, ecx=4)
    e = finish(cpu, end)
    assert e.vector == 14 and e.cr2 == hole
    assert cpu.get_reg("ecx") == 3 and cpu.get_reg("esi") == hole - 2


def test_rep_is_interruptible_between_iterations():
    cpu = FlatCPU()
    m = cpu.machine
    n = 1 << 18
    cpu.write_mem(DATA, bytes(k & 0xFF for k in range(n * 4)))
    end = start(cpu, "f3a5", esi=DATA, edi=DATA + 0x200000, ecx=n)
    r = m.run(1, max_cycles=500)                # stops between chunks
    assert cpu.get_reg("eip") == AT
    left = cpu.get_reg("ecx")
    assert 0 < left < n
    assert cpu.get_reg("esi") == DATA + 4 * (n - left)
    assert finish(cpu, end) is None
    assert cpu.read_mem(DATA + 0x200000, n * 4) == cpu.read_mem(DATA, n * 4)
    del r


def test_rep_movsd_is_fast():
    cpu = FlatCPU()
    n = 4 << 20
    cpu.write_mem(0x100000, b"\x5a" * n)
    end = start(cpu, "f3a5", esi=0x100000, edi=0x600000, ecx=n // 4)
    t = time.perf_counter()
    assert finish(cpu, end) is None
    dt = time.perf_counter() - t
    assert cpu.read_mem(0x600000 + n - 4, 4) == b"\x5a" * 4
    assert dt < 0.5, f"rep movsd of 4 MiB took {dt:.3f} s"


def test_ins_outs_permission_and_ports():
    m = make_system(cpl=3)
    m.intercept = range(32)
    m.write(UTEXT, bytes.fromhex("66ba8100 6c"))       # mov dx, 0x81; insb (port denied)
    r = m.run(10)
    assert r.exception is not None and r.exception.vector == 13
    m = make_system(cpl=3)
    m.intercept = range(32)
    seq = iter(range(1, 100))
    got = []
    m.set_port_handler(0x80, read=lambda p, s: next(seq), write=lambda p, s, v: got.append(v))
    buf = 0x50000
    m.write(buf + 0x100, b"xyz")
    code = bytes.fromhex("66ba8000" "bf00000500" "b904000000" "f36c"        # rep insb x4
                         "be00010500" "b903000000" "f36e")                    # rep outsb x3
    m.write(UTEXT, code + b"\xf4")              # hlt at CPL 3: #GP stops the run
    r = m.run(100)
    assert r.exception.vector == 13 and m.get_reg("eip") == UTEXT + len(code), r
    assert m.read(buf, 4) == bytes([1, 2, 3, 4])
    assert got == list(b"xyz")
    assert m.get_reg("edi") == buf + 4 and m.get_reg("ecx") == 0


def test_rep_progresses_with_an_irq_pending_and_if_clear():
    cpu = FlatCPU()
    cpu.machine.raise_irq(0x20)
    end = start(cpu, "f3aa", edi=DATA, ecx=3 * 4096 + 5, eax=0x77)
    cpu.set_reg("eflags", 0x002)                # IF = 0: the irq stays pending
    for passes in range(1, 50):                 # each pass makes progress (a chunk)
        r = cpu.machine.run(1)
        assert r.exception is None
        if cpu.get_reg("eip") == end:
            break
    assert passes <= 5 and cpu.get_reg("ecx") == 0
    assert cpu.read_mem(DATA, 3 * 4096 + 5) == b"\x77" * (3 * 4096 + 5)


def test_rep_cycles_do_not_depend_on_chunking():
    def cost(pause):
        cpu = FlatCPU()
        end = start(cpu, "f3a5", esi=DATA, edi=DATA + 0x100000, ecx=50000)
        c0 = cpu.machine.cycles
        while cpu.get_reg("eip") != end:
            cpu.machine.run(1, max_cycles=pause)
        return cpu.machine.cycles - c0
    whole = cost(None)
    assert whole == cost(300) == cost(4000)
    # class cost + rep_start 20 + 0.8 per dword (profile celeron500, cycle-model.md §4a)
    assert abs(whole - (20 + 0.8 * 50000)) < 0.005 * whole       # 0.8 is stored in 1/256
