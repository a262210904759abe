"""Hardware task switching (kw86/exec_task.pxi) against Intel SDM Vol. 3A ch. 7:
far jmp/call to a TSS or task gate, iret with NT=1, interrupts and exceptions
through IDT task gates, the busy bit (Table 7-2), NT and the previous-task
link (§7.4), the dynamic TSS fields saved exactly (§7.2.1, §22.28.2: 4-byte
selector stores), CR3/LDTR/segments/EFLAGS/EIP/GPRs loaded, CR0.TS, the T
flag (Vol. 3B §17.3.1.5) and the checks of Table 7-1 with their error codes,
before the commit point (old task: nothing changed) and after it (new task).

The machine is kw86.testing.make_system (GDT at GDT, IDT at IDT, the main
32-bit TSS at TSS, selector TSS_SEL, marked busy as `ltr` leaves it); each
test adds TSSs, task gates and code.  Programs are inline bytes, each line
commented with its assembly."""

import struct

import pytest

from kw86.testing import (GDT, IDT, TSS, KCODE, KDATA, UCODE, UDATA, TSS_SEL,
    KTEXT, UTEXT, USTACK, KSTACK, PD, PT0, desc, gate, make_system)

TSS2, TSS3 = 0x6000, 0x6200             # more TSSs (linear = physical)
SEL2, SEL3, GATE2, SEL16, BAD = 0x38, 0x40, 0x48, 0x50, 0x58   # new GDT entries
CODE2, STACK2 = 0x11000, 0x48000         # task 2's code and stack
CODE3, STACK3 = 0x12000, 0x4C000
MAIN = KTEXT + 0x400                      # where make_system(cpl=0) starts

F_NT, F_IF, F_TF = 0x4000, 0x200, 0x100


def tss32(eip, esp, *, eflags=0x2, cs=KCODE, ss=KDATA, ds=KDATA, es=KDATA, fs=KDATA,
          gs=KDATA, cr3=0, ldt=0, link=0, gprs=(0,) * 8, t=0, iomap=0x68):
    b = bytearray(0x68)
    struct.pack_into("<I", b, 0x00, link)
    struct.pack_into("<I", b, 0x1C, cr3)
    struct.pack_into("<II", b, 0x20, eip, eflags)
    g = list(gprs)
    g[4] = esp
    struct.pack_into("<8I", b, 0x28, *g)
    struct.pack_into("<6I", b, 0x48, es, cs, ss, ds, fs, gs)
    struct.pack_into("<IHH", b, 0x60, ldt, t, iomap)
    return bytes(b)


def tss16(ip, sp, *, flags=0x2, cs=KCODE, ss=KDATA, ds=KDATA, es=KDATA, ldt=0, gprs=(0,) * 8):
    b = bytearray(0x2C)
    struct.pack_into("<HH", b, 0x0E, ip, flags)
    g = list(gprs)
    g[4] = sp
    struct.pack_into("<8H", b, 0x12, *g)
    struct.pack_into("<5H", b, 0x22, es, cs, ss, ds, ldt)
    return bytes(b)


def tss_desc(base, limit=0x67, busy=False, dpl=0, p=1, bits=32):
    typ = (0x9 if bits == 32 else 0x1) | (2 if busy else 0)
    return desc(base, limit, typ, dpl, s=0, p=p, db=0)


def put_gdt(m, sel, d):
    m.write(GDT + (sel & ~7), d)


def system(cpl=0, paging=False):
    """make_system with the main TSS busy (as `ltr` leaves it), a larger GDT
    and task 2 (CPL 0, flat kernel segments) at SEL2, available."""
    m = make_system(cpl=cpl, paging=paging)
    m.set_gdt(GDT, 0x7F)
    put_gdt(m, TSS_SEL, tss_desc(TSS, 0x68 + 8192, busy=True))
    m.load_tr(TSS_SEL)
    if paging:
        m.write_u32(TSS + 0x1C, PD)     # CR3 field: loaded when a task switch returns here
    m.write(TSS2, tss32(CODE2, STACK2, cr3=PD if paging else 0))
    put_gdt(m, SEL2, tss_desc(TSS2))
    m.intercept = {3}
    return m


def busy(m, sel):
    return bool(m.read(GDT + (sel & ~7) + 5, 1)[0] & 2)


def saved(m, base):
    """The dynamic fields of a 32-bit TSS: dict of eip, eflags, gprs, sregs (raw dwords), link."""
    w = struct.unpack("<26I", m.read(base, 0x68))
    return dict(link=w[0], eip=w[8], eflags=w[9], gprs=list(w[10:18]), sregs=list(w[18:24]))


def run_to_int3(m, n=200):
    r = m.run(n)
    assert r.event == "exception" and r.exception.vector == 3, (r, m.get_reg("eip"))
    return r


# --- CALL to a TSS, IRET back: nesting, busy bits, saved state, CR0.TS --------------------------

def test_call_to_tss_nests_and_iret_returns():
    m = system()
    m.set_cr(0, m.get_cr(0) & ~8)                   # CR0.TS clear before
    m.write(MAIN, bytes.fromhex(
        "b811111111"        # mov eax, 0x11111111
        "bb22222222"        # mov ebx, 0x22222222
        "bd33333333"        # mov ebp, 0x33333333
        "f9"                # stc                     (CF in the saved EFLAGS)
        "9a00000000" "3800"  # call 0x38:0             (TSS2; offset ignored)
        "cc"))              # int3
    m.write(CODE2, bytes.fromhex(
        "cc"                # int3                    (look inside task 2)
        "b8efbeadde"        # mov eax, 0xdeadbeef
        "cf"                # iretd                   (NT=1: back to the caller)
        "eb00"))            # jmp $+2 (not reached)
    run_to_int3(m)
    ret = MAIN + 16 + 7
    # inside task 2
    assert m.get_reg("eip") == CODE2 + 1 and m.get_segment("tr").selector == SEL2
    assert m.get_reg("esp") == STACK2 and m.get_reg("eax") == 0
    assert m.get_reg("eflags") & F_NT                 # CALL sets NT in the new task
    assert m.get_cr(0) & 8                            # CR0.TS
    assert busy(m, SEL2) and busy(m, TSS_SEL)         # CALL: old stays busy
    assert struct.unpack("<H", m.read(TSS2, 2))[0] == TSS_SEL      # back link
    old = saved(m, TSS)
    assert old["eip"] == ret
    assert old["gprs"] == [0x11111111, 0, 0, 0x22222222, KSTACK, 0x33333333, 0, 0]
    assert old["eflags"] == 0x203                     # IF, bit 1, CF; NT clear
    assert old["sregs"] == [KDATA, KCODE, KDATA, KDATA, KDATA, KDATA]   # 4-byte stores
    # iret with NT=1: back to the main task
    m.set_cr(0, m.get_cr(0) & ~8)
    run_to_int3(m)
    assert m.get_reg("eip") == ret + 1 and m.get_segment("tr").selector == TSS_SEL
    assert (m.get_reg("eax"), m.get_reg("ebx"), m.get_reg("ebp")) == (0x11111111, 0x22222222,
                                                                        0x33333333)
    assert m.get_reg("eflags") & 1 and not m.get_reg("eflags") & F_NT
    assert m.get_cr(0) & 8                            # every switch sets TS
    assert busy(m, TSS_SEL) and not busy(m, SEL2)     # IRET clears the task it leaves
    t2 = saved(m, TSS2)
    assert t2["eip"] == CODE2 + 7 and t2["gprs"][0] == 0xDEADBEEF
    assert t2["eflags"] & F_NT == 0                   # IRET clears NT in the saved image
    assert t2["link"] == TSS_SEL                      # the link field is not cleared


def test_jmp_to_tss_busy_bits_nt_and_link():
    m = system()
    m.write(TSS2, tss32(CODE2, STACK2, eflags=0x2 | F_NT, link=0xBEEF,
                        gprs=(1, 2, 3, 4, 0, 6, 7, 8), ds=0, es=0))
    m.write(MAIN, bytes.fromhex("ea00000000" "3800"))     # jmp 0x38:0
    m.write(CODE2, bytes.fromhex("cc"))
    run_to_int3(m)
    assert m.get_segment("tr").selector == SEL2 and m.get_reg("eip") == CODE2 + 1
    assert busy(m, SEL2) and not busy(m, TSS_SEL)         # JMP: old cleared, new set
    assert m.get_reg("eflags") & F_NT                     # JMP leaves the loaded NT alone
    assert struct.unpack("<I", m.read(TSS2, 4))[0] == 0xBEEF   # no back link written
    assert [m.get_reg(r) for r in ("eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi")] == \
        [1, 2, 3, 4, STACK2, 6, 7, 8]
    assert m.get_segment("ds").selector == 0 and not m.get_segment("ds").valid
    assert saved(m, TSS)["eip"] == MAIN + 7
    assert m.cpl == 0 and m.get_reg("cs") == KCODE


def test_task_switch_loads_cr3_and_ldtr():
    m = system(paging=True)
    pd2 = 0x180000                  # a second page directory: same tables, one page moved
    m.write(pd2, m.read(PD, 4096))
    pt2 = 0x181000
    pt = bytearray(m.read(PT0, 4096))
    struct.pack_into("<I", pt, 4 * 0x77, 0x78000 | 7)    # 0x77000 -> physical 0x78000
    m.write(pt2, bytes(pt))
    m.write_u32(pd2, pt2 | 7)
    m.write(0x78000, b"TASK2PD!")
    m.write(0x77000, b"TASK1PD!")
    ldt = desc(0x6800, 0xFFF, 0x3, 0)                     # LDT data segment, selector 0x04
    m.write(0x7000, ldt)
    put_gdt(m, BAD, desc(0x7000, 7, 0x2, 0, s=0, db=0))   # LDT descriptor at 0x58
    m.write(TSS2, tss32(CODE2, STACK2, cr3=pd2, ldt=BAD, es=0x04 | 0))
    m.write(MAIN, bytes.fromhex("ea00000000" "3800"))     # jmp 0x38:0
    m.write(CODE2, bytes.fromhex(
        "a100700700"        # mov eax, [0x77000]
        "cc"))
    run_to_int3(m)
    assert m.get_cr(3) == pd2 and m.get_reg("eax") == struct.unpack("<I", b"TASK")[0]
    assert m.read_virt(0x77004, 4) == b"2PD!"
    assert m.get_segment("ldtr").selector == BAD and m.get_segment("ldtr").base == 0x7000
    assert m.get_segment("es").base == 0x6800
    assert saved(m, TSS)["eip"] == MAIN + 7


def test_16bit_tss():
    m = system()
    put_gdt(m, SEL16, tss_desc(TSS3, 0x2B, bits=16))
    m.write(TSS3, tss16(0x9000, 0x4000, gprs=(0x1111, 0x2222, 0, 0, 0, 0, 0, 0)))
    m.write(0x9000, bytes.fromhex("cc"))
    m.write(MAIN, bytes.fromhex("b8ffffffff" "ea00000000" "5000"))   # mov eax, -1; jmp 0x50:0
    run_to_int3(m)
    assert m.get_reg("eip") == 0x9001 and m.get_segment("tr").selector == SEL16
    assert m.get_reg("eax") == 0xFFFF1111 and m.get_reg("ecx") == 0xFFFF2222
    assert m.get_reg("esp") == 0xFFFF4000
    assert m.get_segment("fs").selector == 0 and m.get_segment("gs").selector == 0
    assert saved(m, TSS)["eip"] == MAIN + 12


# --- busy bit checks, task gates ----------------------------------------------------------------

@pytest.mark.parametrize("op", ["ea", "9a"])       # jmp, call
def test_jmp_or_call_to_busy_tss_is_gp(op):
    m = system()
    m.intercept = {3, 13}
    m.write(MAIN, bytes.fromhex(op + "00000000" "2800"))   # jmp/call 0x28:0 (the running TSS)
    e = m.run(10).exception
    assert (e.vector, e.error_code) == (13, TSS_SEL)
    assert m.get_reg("eip") == MAIN and m.get_segment("tr").selector == TSS_SEL


def test_call_through_task_gate_and_busy_target():
    m = system()
    m.intercept = {3, 13}
    put_gdt(m, GATE2, gate(SEL2, 0, 0x5, 3))              # task gate -> TSS2
    put_gdt(m, SEL2, tss_desc(TSS2, dpl=0))
    m.write(MAIN, bytes.fromhex("9a00000000" "4b00"))     # call 0x4b:0 (gate, RPL 3)
    m.write(CODE2, bytes.fromhex("cc"))
    run_to_int3(m)
    assert m.get_segment("tr").selector == SEL2            # the TSS's own DPL is not checked
    # a gate to a busy TSS: #GP(TSS selector)
    m2 = system()
    m2.intercept = {3, 13}
    put_gdt(m2, GATE2, gate(TSS_SEL, 0, 0x5, 0))
    m2.write(MAIN, bytes.fromhex("ea00000000" "4800"))     # jmp 0x48:0
    e = m2.run(10).exception
    assert (e.vector, e.error_code) == (13, TSS_SEL)


def test_iret_to_a_back_link_that_is_not_busy_is_ts():
    m = system()
    m.intercept = {3, 10}
    m.write(TSS, struct.pack("<I", SEL2))                  # back link -> TSS2, available
    m.set_reg("eflags", 0x2 | F_NT)
    m.write(MAIN, bytes.fromhex("cf"))                     # iretd
    e = m.run(10).exception
    assert (e.vector, e.error_code) == (10, SEL2)
    assert m.get_reg("eip") == MAIN and m.get_segment("tr").selector == TSS_SEL


# --- checks before the commit point: #TS, #NP, #GP, nothing changed -------------------------

@pytest.mark.parametrize("case,vec,err", [
    ("limit", 10, SEL2),            # TSS limit 66H < 67H: #TS(new TSS)
    ("np", 11, SEL2),               # TSS descriptor not present: #NP(new TSS)
    ("dpl", 13, SEL2),              # TSS DPL 0 < RPL 3: #GP
    ("ldt", 13, SEL2 | 4),          # a TSS selector with TI=1 (an LDT entry): #GP
])
def test_bad_tss_faults_in_the_old_task(case, vec, err):
    m = system()
    m.intercept = {3, 10, 11, 13}
    sel = SEL2
    if case == "limit":
        put_gdt(m, SEL2, tss_desc(TSS2, limit=0x66))
    elif case == "np":
        put_gdt(m, SEL2, tss_desc(TSS2, p=0))
    elif case == "dpl":
        sel = SEL2 | 3
    else:
        m.write(0x7000 + (SEL2 & ~7), tss_desc(TSS2))    # a TSS descriptor in an LDT
        put_gdt(m, BAD, desc(0x7000, 0x3F, 0x2, 0, s=0, db=0))
        m.load_ldtr(BAD)
        sel = SEL2 | 4
    before = m.read(TSS, 0x68), m.read(GDT, 0x80)
    m.write(MAIN, bytes.fromhex("ea00000000") + struct.pack("<H", sel))
    e = m.run(10).exception
    assert (e.vector, e.error_code) == (vec, err)
    assert m.get_reg("eip") == MAIN and m.get_segment("tr").selector == TSS_SEL
    assert (m.read(TSS, 0x68), m.read(GDT, 0x80)) == before


def test_page_fault_on_the_new_tss_is_the_old_tasks():
    m = system(paging=True)
    m.intercept = {3, 14}
    pte = m.read_u32(PT0 + 4 * 6)
    m.write_u32(PT0 + 4 * 6, 0)                           # TSS2's page not present
    m.write(MAIN, bytes.fromhex("9a00000000" "3800"))     # call 0x38:0
    e = m.run(10).exception
    assert (e.vector, e.cr2) == (14, TSS2) and m.get_reg("eip") == MAIN
    assert m.get_segment("tr").selector == TSS_SEL and not busy(m, SEL2)
    m.write_u32(PT0 + 4 * 6, pte)
    m.write(CODE2, bytes.fromhex("cc"))
    run_to_int3(m)                                        # restarted: it goes through now
    assert m.get_segment("tr").selector == SEL2


# --- checks after the commit point: raised in the new task ----------------------------------

@pytest.mark.parametrize("field,value,vec,err", [
    ("ds", 0x28, 10, 0x28),         # DS names a TSS descriptor: #TS(DS)
    ("ds", 0x1B, 10, 0x18),         # DS = user code (execute/read, DPL 3) at CPL 0: fine ...
    ("ss", UDATA, 10, UDATA & ~3),  # SS DPL 3 != CPL 0: #TS(SS)
    ("cs", 0x60, 11, 0x60),         # CS not present: #NP(CS)
    ("ss", 0, 10, 0),               # null SS: #TS(0)
])
def test_bad_segment_of_new_task_faults_in_the_new_task(field, value, vec, err):
    m = system()
    m.intercept = {3, 10, 11, 12, 13}
    put_gdt(m, 0x60, desc(0, 0xFFFFFFFF, 0xB, 0, p=0))
    m.write(TSS2, tss32(CODE2, STACK2, **{field: value}))
    m.write(CODE2, bytes.fromhex("cc"))
    m.write(MAIN, bytes.fromhex("ea00000000" "3800"))     # jmp 0x38:0
    r = m.run(10)
    if value == 0x1B:               # readable code, DPL 3 >= CPL: a legal DS
        assert r.exception.vector == 3 and m.get_segment("ds").selector == 0x1B
        return
    e = r.exception
    assert (e.vector, e.error_code) == (vec, err)
    # the switch completed: TR, busy bits, the old TSS written, EIP = the new task's
    assert m.get_segment("tr").selector == SEL2 and busy(m, SEL2) and not busy(m, TSS_SEL)
    assert m.get_reg("eip") == CODE2 and saved(m, TSS)["eip"] == MAIN + 7
    assert m.get_reg(field) == value


# --- interrupts and exceptions through task gates ---------------------------------------------

def test_int_through_task_gate_from_ring3_and_iret_back():
    m = system(cpl=3)
    m.write(IDT + 0x82 * 8, gate(SEL2, 0, 0x5, 3))        # task gate, DPL 3
    m.write(UTEXT, bytes.fromhex(
        "b807000000"        # mov eax, 7
        "cd82"              # int 0x82
        "cc"))              # int3
    m.write(CODE2, bytes.fromhex(
        "cc"                # int3
        "cf"))              # iretd
    run_to_int3(m)
    assert m.cpl == 0 and m.get_segment("tr").selector == SEL2
    assert m.get_reg("esp") == STACK2                      # no error code, no frame
    old = saved(m, TSS)
    assert old["eip"] == UTEXT + 7 and old["sregs"][:3] == [UDATA, UCODE, UDATA]
    assert old["gprs"][0] == 7 and old["gprs"][4] == USTACK
    run_to_int3(m)
    assert m.cpl == 3 and m.get_reg("eip") == UTEXT + 8 and m.get_reg("cs") == UCODE
    assert m.get_reg("esp") == USTACK and m.get_reg("eax") == 7


def test_int_through_dpl0_task_gate_from_ring3_is_gp():
    m = system(cpl=3)
    m.intercept = {3, 13}
    m.write(IDT + 0x82 * 8, gate(SEL2, 0, 0x5, 0))
    m.write(UTEXT, bytes.fromhex("cd82"))
    e = m.run(10).exception
    assert (e.vector, e.error_code) == (13, 0x82 * 8 + 2)
    assert m.get_segment("tr").selector == TSS_SEL


def test_page_fault_through_task_gate_handler_maps_and_returns():
    """#PF delivered through a task gate: the error code on the handler
    task's stack, CR2, the faulting instruction restarted by iret."""
    m = system(cpl=3, paging=True)
    m.write(IDT + 14 * 8, gate(SEL2, 0, 0x5, 0))
    m.write_u32(PT0 + 4 * 0x66, 0)                        # 0x66000 not present
    m.write(UTEXT, bytes.fromhex(
        "b8aa000000"        # mov eax, 0xaa
        "a300600600"        # mov [0x66000], eax       (faults once)
        "cc"))
    m.write(CODE2, bytes.fromhex(
        "5a"                # pop edx                  (the error code)
        "0f20d1"            # mov ecx, cr2
        "c705" + struct.pack("<I", PT0 + 4 * 0x66).hex() + "07600600"
                            # mov dword [PT0 + 4*0x66], 0x66007
        "cf"                # iretd
        "ebef"))            # jmp CODE2                (the next fault starts here)
    run_to_int3(m)
    assert m.get_reg("eip") == UTEXT + 11 and m.cpl == 3
    assert m.read(0x66000, 4) == b"\xaa\0\0\0"
    t2 = saved(m, TSS2)
    assert t2["gprs"][2] == 6 and t2["gprs"][1] == 0x66000     # err: W|U, not present; CR2
    assert t2["gprs"][4] == STACK2                               # error code popped
    assert t2["eip"] == CODE2 + 1 + 3 + 10 + 1 and not busy(m, SEL2)


def test_double_fault_from_stack_fault_at_cpl0_through_task_gate():
    """The kernel's use (NetBSD/i386, Kernel Mode Linux): at CPL 0 a push to
    an unmapped stack page faults, delivering that #PF faults again on the
    same stack, so #DF; #DF through a task gate runs on its own TSS stack,
    maps the page and irets back to the interrupted task, which restarts the
    push.  Twice, the handler looping after its iret."""
    m = system(cpl=0, paging=True)
    m.write(IDT + 14 * 8, gate(KCODE, KTEXT + 0x800, 0xE, 0))   # #PF: interrupt gate, CPL 0
    m.write(KTEXT + 0x800, bytes.fromhex("f4"))                 # (never reached)
    m.write(IDT + 8 * 8, gate(SEL2, 0, 0x5, 0))                 # #DF: task gate
    m.write_u32(PT0 + 4 * 0x70, 0)                              # stack page 0x70000 absent
    m.write_u32(PT0 + 4 * 0x6F, 0)                              # and the one below
    m.set_reg("esp", 0x71000)
    m.set_reg("eax", 0x12345678)
    m.write(MAIN, bytes.fromhex(
        "50"                # push eax                 (#PF, #PF, #DF)
        "bc00000700"        # mov esp, 0x70000
        "50"                # push eax                 (again, one page down)
        "cc"))
    m.write(CODE2, bytes.fromhex(
        "5a"                # pop edx                  (the #DF error code: 0)
        "0f20d1"            # mov ecx, cr2
        "81e100f0ffff"      # and ecx, 0xfffff000
        "c1e90a"            # shr ecx, 10              (PTE offset)
        "81c1" + struct.pack("<I", PT0).hex() +   # add ecx, PT0
        "8b4104"            # mov eax, [ecx+4]          (the page above's PTE)
        "2d00100000"        # sub eax, 0x1000
        "8901"              # mov [ecx], eax           (map the faulting page like it)
        "cf"                # iretd
        "ebe0"))            # jmp CODE2
    run_to_int3(m)
    assert m.get_reg("eip") == MAIN + 8 and m.get_segment("tr").selector == TSS_SEL
    assert m.get_reg("esp") == 0x70000 - 4
    assert m.read(0x70FFC, 4) == struct.pack("<I", 0x12345678)
    assert m.read(0x6FFFC, 4) == struct.pack("<I", 0x12345678)
    assert busy(m, TSS_SEL) and not busy(m, SEL2)
    t2 = saved(m, TSS2)
    assert t2["gprs"][2] == 0 and t2["gprs"][4] == STACK2        # error code 0, popped
    assert t2["link"] == TSS_SEL


def test_t_flag_raises_debug_trap_before_first_instruction():
    m = system()
    m.intercept = {1, 3}
    m.write(TSS2, tss32(CODE2, STACK2, t=1))
    m.write(MAIN, bytes.fromhex("9a00000000" "3800"))     # call 0x38:0
    m.write(CODE2, bytes.fromhex("90cc"))
    e = m.run(10).exception
    assert e.vector == 1 and m.get_reg("eip") == CODE2
    assert m.get_reg("dr6") & 0x8000 and not m.get_reg("dr6") & 0x4000   # BT, not BS
    assert m.get_segment("tr").selector == SEL2


def test_task_switch_cycles():
    m = system()
    m.write(MAIN, bytes.fromhex("ea00000000" "3800"))     # jmp 0x38:0
    m.write(CODE2, bytes.fromhex("cc"))
    c0 = m.cycles
    m.run(1)
    costs = m.core.get_costs()[1]
    from kw86 import exec as _exec
    assert m.cycles - c0 >= costs[_exec.EVC["task_switch"]] == 250


def test_virtual_8086_task_is_reported():
    m = system()
    m.write(TSS2, tss32(CODE2, STACK2, eflags=0x20002))
    m.write(MAIN, bytes.fromhex("ea00000000" "3800"))
    r = m.run(10)
    assert r.event == "task_switch" and m.core.event_detail == 3
    assert m.get_reg("eip") == MAIN and m.get_segment("tr").selector == TSS_SEL


def test_external_interrupt_through_task_gate_t_flag_and_ext_bit():
    """An external interrupt through a task gate: the T flag's #DB comes
    before the new task's first instruction; errors found before the commit
    point carry EXT = 1 (SDM Vol. 3A §6.13) and belong to the old task."""
    m = system()
    m.intercept = {1, 3, 11}
    m.write(IDT + 0x83 * 8, gate(SEL2, 0, 0x5, 0))
    m.write(TSS2, tss32(CODE2, STACK2, t=1))
    m.write(MAIN, bytes.fromhex("90" "90" "cc"))         # nop; nop; int3
    m.write(CODE2, bytes.fromhex("90cc"))
    m.run(1)
    m.raise_irq(0x83)
    e = m.run(10).exception
    assert e.vector == 1 and m.get_reg("eip") == CODE2 and m.get_reg("dr6") & 0x8000
    assert saved(m, TSS)["eip"] == MAIN + 1 and m.get_reg("eflags") & F_NT
    # the same interrupt to a TSS that is not present: #NP(selector | EXT)
    m = system()
    m.intercept = {3, 11}
    m.write(IDT + 0x83 * 8, gate(SEL2, 0, 0x5, 0))
    put_gdt(m, SEL2, tss_desc(TSS2, p=0))
    m.write(MAIN, bytes.fromhex("90" "90" "cc"))
    m.run(1)
    m.raise_irq(0x83)
    e = m.run(10).exception
    assert (e.vector, e.error_code) == (11, SEL2 | 1)
    assert m.get_reg("eip") == MAIN + 1 and m.get_segment("tr").selector == TSS_SEL
