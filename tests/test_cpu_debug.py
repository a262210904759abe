"""Debug features and other corner cases found by acceptance testing:
single-step (TF) at run boundaries, mov ss/pop ss shadows, rep strings
under TF, #AC, debug registers, 16-bit stack wrap of pusha, CPUID.DE,
reserved bits of 4 MiB PDEs.  Each test cites the Intel SDM section."""

import struct

from kw86.testing import FlatCPU, desc


def cpu_at(code, cpl=3, **regs):
    c = FlatCPU(cpl=cpl)
    c.write_mem(0x1000, bytes.fromhex(code))
    c.set_reg("eip", 0x1000)
    c.set_reg("esp", 0x8000)
    for k, v in regs.items():
        c.set_reg(k, v)
    return c


def exc(r):
    return None if r is None else (r.vector, r.error_code)


# --- F1: TF set by POPF / IRET: trap after the FOLLOWING instruction -----------
# SDM Vol. 3B §17.3.1.4: "the processor generates a single-step debug exception
# ... after the instruction following the POPF/IRET that set TF"; this must not
# depend on where run() budgets end.

def test_popf_setting_tf_traps_after_the_next_instruction_when_stepping():
    c = cpu_at("9d 40 40", eax=0)                  # popf; inc eax; inc eax
    c.write_mem(0x8000, struct.pack("<I", 0x302))
    assert c.step() is None                        # popf itself is not traced
    assert exc(c.step()) == (1, None)              # inc eax ran, then #DB
    assert c.get_reg("eip") == 0x1002 and c.get_reg("eax") == 1
    assert c.get_reg("dr6") & 0x4000               # DR6.BS


def test_popf_setting_tf_same_result_for_any_run_split():
    for split in ([5], [1, 4], [1, 1, 3]):
        c = cpu_at("9d 40 40", eax=0)
        c.write_mem(0x8000, struct.pack("<I", 0x302))
        r = None
        for n in split:
            r = c.machine.run(n).exception
            if r is not None:
                break
        assert exc(r) == (1, None), split
        assert c.get_reg("eip") == 0x1002 and c.get_reg("eax") == 1, split


def test_iret_setting_tf_traps_after_the_next_instruction():
    # iret (same privilege) to 0x1010 with EFLAGS.TF; there: inc eax; inc eax
    c = cpu_at("cf", cpl=0, eax=0)
    c.write_mem(0x1010, bytes.fromhex("40 40"))
    c.write_mem(0x8000, struct.pack("<III", 0x1010, 0x08, 0x302))
    m = c.machine
    m.intercept = [v for v in range(32)]
    for split in ([5], [1, 4]):
        c.set_reg("eip", 0x1000)
        c.set_reg("esp", 0x8000)
        c.set_reg("eax", 0)
        c.set_reg("eflags", 0x202)
        r = None
        for n in split:
            r = m.run(n).exception
            if r is not None:
                break
        assert exc(r) == (1, None), split
        assert c.get_reg("eip") == 0x1011 and c.get_reg("eax") == 1, split


# --- F2: mov ss / pop ss hold the single-step trap for one instruction --------
# SDM Vol. 3A §6.8.3: after MOV SS / POP SS, "interrupts, debug exceptions, and
# single-step trap exceptions" are inhibited until the boundary after the
# next instruction.

def _with_gdt(c):
    g = (b"\0" * 8 + desc(0, 0xFFFFFFFF, 0xB, 0) + desc(0, 0xFFFFFFFF, 0x3, 0)
         + desc(0, 0xFFFFFFFF, 0xB, 3) + desc(0, 0xFFFFFFFF, 0x3, 3))
    c.write_mem(0x50000, g)
    c.machine.set_gdt(0x50000, len(g) - 1)


def test_mov_ss_holds_the_single_step_trap():
    for split in ([5], [1, 4], [1, 1, 1]):
        c = cpu_at("8e d0 40 40", eax=0x23, eflags=0x302)   # mov ss, ax; inc; inc
        _with_gdt(c)
        r = None
        for n in split:
            r = c.machine.run(n).exception
            if r is not None:
                break
        assert exc(r) == (1, None), split
        assert c.get_reg("eip") == 0x1003 and c.get_reg("eax") == 0x24, split
        # the next one is traced normally
        assert exc(c.step()) == (1, None)
        assert c.get_reg("eip") == 0x1004 and c.get_reg("eax") == 0x25


def test_pop_ss_holds_the_single_step_trap():
    c = cpu_at("17 40 40", eax=0, eflags=0x302)            # pop ss; inc; inc
    _with_gdt(c)
    c.write_mem(0x8000, struct.pack("<I", 0x23))
    r = c.machine.run(5).exception
    assert exc(r) == (1, None)
    assert c.get_reg("eip") == 0x1002 and c.get_reg("eax") == 1


def test_sti_does_not_hold_the_single_step_trap():
    # STI only inhibits maskable interrupts (SDM Vol. 3A §6.8.3 / STI)
    c = cpu_at("fb 40", cpl=0, eflags=0x102)
    r = c.machine.run(5).exception
    assert exc(r) == (1, None) and c.get_reg("eip") == 0x1001


# --- F3: rep string under TF: a single-step trap after EACH iteration ----------
# SDM Vol. 3B §17.3.1.4 and Vol. 2B REP: a repeated string instruction is
# single-stepped per iteration: the trap leaves EIP at the instruction while
# iterations remain, ECX/ESI/EDI as after that iteration; after the last one
# EIP points past it.

def test_rep_movsb_traps_after_each_iteration():
    c = cpu_at("f3 a4 90", ecx=3, esi=0x3000, edi=0x4000, eflags=0x302)
    c.write_mem(0x3000, b"abc")
    seen = []
    for _ in range(3):
        assert exc(c.step()) == (1, None)
        seen.append((c.get_reg("ecx"), c.get_reg("eip"), c.get_reg("esi"), c.get_reg("edi")))
    assert seen == [(2, 0x1000, 0x3001, 0x4001), (1, 0x1000, 0x3002, 0x4002),
                    (0, 0x1002, 0x3003, 0x4003)]
    assert c.read_mem(0x4000, 3) == b"abc"


def test_rep_stosd_traps_after_each_iteration_in_one_run():
    c = cpu_at("f3 ab 90", ecx=100, edi=0x4000, eax=0x11223344, eflags=0x302)
    r = c.machine.run(1000).exception
    assert exc(r) == (1, None)
    assert c.get_reg("ecx") == 99 and c.get_reg("eip") == 0x1000
    assert c.read_mem(0x4000, 8) == bytes.fromhex("44332211 00000000")


def test_repe_cmpsb_stops_on_mismatch_and_traps_past_it():
    c = cpu_at("f3 a6 90", ecx=5, esi=0x3000, edi=0x4000, eflags=0x302)
    c.write_mem(0x3000, b"axyzw")
    c.write_mem(0x4000, b"abyzw")
    assert exc(c.step()) == (1, None)
    assert c.get_reg("ecx") == 4 and c.get_reg("eip") == 0x1000
    assert exc(c.step()) == (1, None)          # mismatch: done, EIP past it
    assert c.get_reg("ecx") == 3 and c.get_reg("eip") == 0x1002


def test_rep_with_ecx_zero_under_tf_traps_once_past_it():
    c = cpu_at("f3 a4 90", ecx=0, eflags=0x302)
    assert exc(c.step()) == (1, None) and c.get_reg("eip") == 0x1002


# --- F9: reserved bits of a 4 MiB PDE (no PSE-36, no PAT in CPUID) -------------
# SDM Vol. 3A §4.3 (Table 4-4): with CR4.PSE=1, a PDE with PS=1 has bits 21:13
# reserved when PSE-36 is not supported, and bit 12 (PAT) when PAT is not
# supported; §4.7: such an entry gives #PF with P=1 and RSVD (bit 3) set.

PD4 = 0x100000


def _big_page_cpu(pde):
    c = cpu_at("8b 03", cpl=3, ebx=0x00400010)          # mov eax, [0x400010]
    # PDE 0: identity 4 MiB page for the code/stack; PDE 1: the page under test
    c.write_mem(PD4, struct.pack("<II", 0x00000087, pde))
    c.set_reg("cr4", c.get_reg("cr4") | 0x10)            # CR4.PSE
    c.set_reg("cr3", PD4)
    c.set_reg("cr0", c.get_reg("cr0") | 0x80000000)
    return c


def test_4mib_page_with_reserved_bits_is_pf_rsvd():
    for bit in range(12, 22):
        c = _big_page_cpu(0x00800087 | (1 << bit))
        r = c.step()
        assert r is not None and r.vector == 14, bit
        assert r.error_code == 0b1101, bit                 # U/S, RSVD, P
        assert r.cr2 == 0x00400010, bit
        assert c.get_reg("eip") == 0x1000


def test_4mib_page_without_reserved_bits_translates():
    c = _big_page_cpu(0x00800087)
    c.write_mem(0x00800010, struct.pack("<I", 0xCAFEF00D))
    assert c.step() is None and c.get_reg("eax") == 0xCAFEF00D


# --- F7: PUSHA/PUSHAD on a 16-bit stack wrap SP through 0 ------------------------
# SDM Vol. 2B PUSHA/PUSHAD: #SS(0) only "if the starting or ending stack
# address is outside the stack segment limit"; each push decrements SP
# modulo 64 KiB on a 16-bit (B=0) stack.

def test_pushad_wraps_a_16bit_sp():
    c = cpu_at("60", esp=0xABCD0010, eax=0xA0, ecx=0xC1, edx=0xD2, ebx=0xB3,
               ebp=0xB5, esi=0x56, edi=0xD7)
    c.set_segment("ss", 0x23, 0, 0xFFFF, type=3, big=False)
    assert c.step() is None
    assert c.get_reg("esp") == 0xABCDFFF0
    lo = struct.unpack("<4I", c.read_mem(0x0000, 16))       # the first four pushes
    hi = struct.unpack("<4I", c.read_mem(0xFFF0, 16))       # the last four
    assert lo == (0xB3, 0xD2, 0xC1, 0xA0)                   # ebx edx ecx eax
    assert hi == (0xD7, 0x56, 0xB5, 0xABCD0010)             # edi esi ebp esp
    # and POPAD reads them back across the wrap
    c.write_mem(0x1001, bytes.fromhex("61"))
    for r in ("eax", "ecx", "edx", "ebx", "ebp", "esi", "edi"):
        c.set_reg(r, 0)
    assert c.step() is None
    assert c.get_reg("esp") == 0xABCD0010 and c.get_reg("eax") == 0xA0
    assert c.get_reg("edi") == 0xD7


def test_pushad_16bit_stack_still_checks_the_limit():
    # limit 0x7FFF: after wrapping, 0xFFF0.. is outside: #SS(0), nothing done
    c = cpu_at("60", esp=0x10)
    c.set_segment("ss", 0x23, 0, 0x7FFF, type=3, big=False)
    r = c.step()
    assert exc(r) == (12, 0) and c.get_reg("esp") == 0x10


# --- F8: CPUID.1:EDX.DE matches CR4.DE and the DR4/DR5 behaviour ----------------
# SDM Vol. 2A CPUID (EDX bit 2 DE: "support for ... CR4.DE ... and optional
# trapping of accesses to DR4 and DR5"); Vol. 3B §17.2.2: DR4/DR5 alias
# DR6/DR7 when CR4.DE = 0, and #UD when CR4.DE = 1.

def test_cpuid_reports_de_and_dr4_dr5_follow_cr4_de():
    c = cpu_at("0f a2", cpl=0, eax=1)
    assert c.step() is None and c.get_reg("edx") & 4
    # CR4.DE = 0: mov dr4/dr5 reach DR6/DR7
    c = cpu_at("0f 23 f8 0f 21 e1 0f 22 e2 0f 21 e1", cpl=0,   # mov dr7,eax; mov ecx,dr4
               eax=0x100, edx=8)                               # mov cr4,edx; mov ecx,dr4
    assert c.step() is None and c.get_reg("dr7") & 0x100
    assert c.step() is None and c.get_reg("ecx") == c.get_reg("dr6")
    assert c.step() is None and c.get_reg("cr4") == 8
    assert exc(c.step()) == (6, None)


# --- F4: alignment check #AC(0) ---------------------------------------------------
# SDM Vol. 3A §6.15 Interrupt 17 (Table 6-7): with CR0.AM = 1, EFLAGS.AC = 1
# and CPL 3, an unaligned data reference (word not at a multiple of 2, dword
# of 4, quadword of 8) raises #AC with error code 0; nothing is committed.

def _ac_cpu(code, cpl=3, ac=True, am=True, **regs):
    c = cpu_at(code, cpl=cpl, **regs)
    c.set_reg("eflags", 0x202 | (0x40000 if ac else 0))
    if am:
        c.set_reg("cr0", c.get_reg("cr0") | 0x40000)
    return c


def test_ac_on_misaligned_load_store_push_and_string():
    cases = [("8b 03", dict(ebx=0x3001)),            # mov eax, [ebx]   dword at +1
             ("66 8b 03", dict(ebx=0x3003)),         # mov ax, [ebx]    word at odd
             ("89 03", dict(ebx=0x3002)),            # mov [ebx], eax
             ("01 03", dict(ebx=0x3002)),            # add [ebx], eax
             ("50", dict(esp=0x8002)),               # push eax on a misaligned stack
             ("f3 a5", dict(ecx=4, esi=0x3001, edi=0x4000)),   # rep movsd
             ("0f c7 0b", dict(ebx=0x3004))]         # cmpxchg8b [ebx] (quadword)
    for code, regs in cases:
        c = _ac_cpu(code, **regs)
        before = {r: c.get_reg(r) for r in ("eax", "ecx", "esi", "edi", "esp")}
        assert exc(c.step()) == (17, 0), code
        assert c.get_reg("eip") == 0x1000, code
        assert {r: c.get_reg(r) for r in before} == before, code


def test_ac_off_unless_all_three_conditions():
    for kw in (dict(ac=False), dict(am=False), dict(cpl=0)):
        c = _ac_cpu("8b 03 f3 a5", ebx=0x3001, ecx=4, esi=0x3001, edi=0x4001, **kw)
        assert c.step() is None, kw
        assert c.step() is None, kw
    # aligned accesses and byte accesses never fault
    c = _ac_cpu("8b 03 8a 43 01 66 8b 43 02 50", ebx=0x3000)
    for _ in range(4):
        assert c.step() is None


def test_popf_turning_ac_on_and_off():
    # pushfd; or dword [esp], 0x40000; popfd; mov eax,[ebx] -> #AC;
    # then with AC cleared the same load works (fast path again)
    c = _ac_cpu("9c 81 0c 24 00 00 04 00 9d 8b 03", ac=False, ebx=0x3001)
    assert c.machine.run(3).exception is None
    assert exc(c.step()) == (17, 0) and c.get_reg("eip") == 0x1009
    c.set_reg("eflags", 0x202)
    assert c.step() is None and c.get_reg("eip") == 0x100B


# --- F5: debug registers DR0-DR3 / DR7 ------------------------------------------
# SDM Vol. 3B §17.2.4-17.2.5 (DR7 L/G enables, R/W: 00 execute, 01 write,
# 11 read/write; LEN 00/01/11 = 1/2/4 bytes), §17.3.1.1 (instruction
# breakpoint: fault before the instruction, EFLAGS.RF suppresses it once),
# §17.3.1.2 (data breakpoint: trap after the access's instruction, DR6.Bn).

def _dr7(n, rw, ln, g=False):
    return (1 << (2 * n + (1 if g else 0))) | (rw << (16 + 4 * n)) | (ln << (18 + 4 * n))


def test_data_read_write_breakpoint_traps_after_the_instruction():
    # mov dr0, eax; mov dr7, ecx; mov eax, [ebx]; nop   (the acceptance case)
    c = cpu_at("0f 23 c0 0f 23 f9 8b 03 90", cpl=0, eax=0x3000, ecx=0xF0001, ebx=0x3000)
    c.write_mem(0x3000, struct.pack("<I", 0x1234))
    assert c.step() is None and c.step() is None
    assert exc(c.step()) == (1, None)
    assert c.get_reg("eip") == 0x1008 and c.get_reg("eax") == 0x1234
    assert c.get_reg("dr6") & 0xF == 1
    assert c.step() is None                      # nop: no access, no trap


def test_data_write_breakpoint_ignores_reads_and_checks_overlap():
    c = cpu_at("8b 03 89 43 fe 89 43 04 90", ebx=0x3000)   # read; write 0x2ffe; write 0x3004
    c.set_reg("dr1", 0x3000)
    c.set_reg("dr7", 0x400 | _dr7(1, 1, 1, g=True))        # write, 2 bytes at 0x3000
    assert c.step() is None                                 # a read: no
    assert exc(c.step()) == (1, None)                       # 0x2ffe..0x3001 overlaps
    assert c.get_reg("eip") == 0x1005 and c.get_reg("dr6") & 0xF == 2
    assert c.step() is None                                 # 0x3004: outside


def test_data_breakpoint_in_rep_movsd_traps_after_that_iteration():
    c = cpu_at("f3 a5 90", ecx=8, esi=0x3000, edi=0x4000)
    c.set_reg("dr2", 0x4008)
    c.set_reg("dr7", 0x400 | _dr7(2, 1, 3))
    r = c.machine.run(100).exception
    assert exc(r) == (1, None)
    assert c.get_reg("ecx") == 5 and c.get_reg("edi") == 0x400C
    assert c.get_reg("eip") == 0x1000 and c.get_reg("dr6") & 0xF == 4
    assert c.machine.run(100).exception is None
    assert c.get_reg("ecx") == 0


def test_data_breakpoint_and_single_step_are_one_db():
    c = cpu_at("89 03 90", ebx=0x3000, eflags=0x302)
    c.set_reg("dr0", 0x3000)
    c.set_reg("dr7", 0x400 | _dr7(0, 3, 3))
    assert exc(c.step()) == (1, None)
    assert c.get_reg("eip") == 0x1002
    assert c.get_reg("dr6") & 0x400F == 0x4001


def test_faulting_instruction_reports_no_data_breakpoint():
    # add [ebx], eax in a read-only segment: the read hits the breakpoint,
    # the write faults (#GP): only the fault is reported, and no later #DB
    c = cpu_at("01 03 90", ebx=0x3000)
    c.set_segment("ds", 0x23, 0, 0xFFFFFFFF, type=1)      # read-only data
    c.set_reg("dr0", 0x3000)
    c.set_reg("dr7", 0x400 | _dr7(0, 3, 0))
    assert exc(c.step()) == (13, 0) and c.get_reg("eip") == 0x1000
    c.set_reg("eip", 0x1002)
    assert c.step() is None                      # nop: nothing pending


def test_instruction_breakpoint_faults_before_and_rf_resumes():
    c = cpu_at("40 40 40 eb fc", eax=0)          # inc eax x3; jmp back to the 2nd inc
    c.set_reg("dr3", 0x1001)
    c.set_reg("dr7", 0x400 | _dr7(3, 0, 0))
    assert c.step() is None                      # inc at 0x1000
    assert exc(c.step()) == (1, None)            # fault: the 2nd inc has not run
    assert c.get_reg("eip") == 0x1001 and c.get_reg("eax") == 1
    assert c.get_reg("dr6") & 0xF == 8
    c.set_reg("eflags", c.get_reg("eflags") | 0x10000)     # RF: run it once
    assert c.step() is None and c.get_reg("eax") == 2
    assert not c.get_reg("eflags") & 0x10000     # RF cleared as it started
    assert c.step() is None and c.step() is None            # inc, jmp -> 0x1001
    assert exc(c.step()) == (1, None) and c.get_reg("eip") == 0x1001
    c.set_reg("dr7", 0x400)                      # disabled: runs freely
    assert c.machine.run(7).exception is None


def test_instruction_breakpoint_through_the_idt_handler_sets_rf():
    from kw86.testing import make_system, gate, IDT, KCODE, KTEXT, UTEXT
    m = make_system(cpl=3)
    m.write(IDT + 8, gate(KCODE, KTEXT + 0x500, 0xE, 0))
    # #DB handler: inc ebx; or dword [esp+8], RF; iret
    m.write(KTEXT + 0x500, bytes.fromhex("43 81 4c 24 08 00 00 01 00 cf"))
    m.write(UTEXT, bytes.fromhex("40 40 40 cc"))
    m.set_reg("eax", 0)
    m.set_reg("ebx", 0)
    m.set_reg("dr0", UTEXT + 1)
    m.set_reg("dr7", 0x401)
    r = m.run(100)
    assert r.exception is not None and r.exception.vector == 3
    assert m.get_reg("eax") == 3 and m.get_reg("ebx") == 1


def test_io_breakpoint_needs_cr4_de():
    # SDM Vol. 3B §17.2.4: R/W = 10 is an I/O breakpoint when CR4.DE = 1
    # (undefined, here ignored, when CR4.DE = 0); the #DB is a trap after
    # the in/out.  Port 0x71 (unhooked, reads all ones), 1 byte at 0x70..0x71.
    for de in (0, 8):
        c = cpu_at("66 ba 71 00 ec 90", cpl=0)         # mov dx, 0x71; in al, dx; nop
        c.set_reg("cr4", de)
        c.set_reg("dr0", 0x70)
        c.set_reg("dr7", 0x400 | _dr7(0, 2, 1))        # 2 bytes: ports 0x70-0x71
        assert c.step() is None
        r = c.step()
        if de:
            assert exc(r) == (1, None) and c.get_reg("eip") == 0x1005
            assert c.get_reg("dr6") & 0xF == 1
        else:
            assert r is None


def test_dr7_gd_makes_the_next_debug_register_access_a_db_fault():
    # SDM Vol. 3B §17.2.4: GD: #DB before any MOV to/from a debug register,
    # DR6.BD set, GD cleared when the handler is entered
    c = cpu_at("0f 23 f8 0f 21 c1 90", cpl=0, eax=0x2400)   # mov dr7,eax; mov ecx,dr0
    assert c.step() is None and c.get_reg("dr7") & 0x2000
    assert exc(c.step()) == (1, None) and c.get_reg("eip") == 0x1003
    assert c.get_reg("dr6") & 0x2000 and not c.get_reg("dr7") & 0x2000
    assert c.step() is None                      # GD is off now: the access runs


def test_fault_after_an_instruction_breakpoint_resumes_without_a_second_db():
    # SDM Vol. 3B §17.3.1.1: the EFLAGS image of a fault-class exception has
    # RF = 1 (but for an instruction breakpoint's #DB), so an instruction
    # that faults after its breakpoint was taken restarts without hitting it
    from kw86.testing import make_system, gate, IDT, KCODE, KTEXT, UTEXT
    m = make_system(cpl=3)
    m.write(IDT + 0, gate(KCODE, KTEXT + 0x600, 0xE, 0))    # #DE: inc ecx; iret
    m.write(KTEXT + 0x600, bytes.fromhex("41 cf"))
    m.write(IDT + 8, gate(KCODE, KTEXT + 0x500, 0xE, 0))    # #DB: inc ebx; RF; iret
    m.write(KTEXT + 0x500, bytes.fromhex("43 81 4c 24 08 00 00 01 00 cf"))
    m.write(UTEXT, bytes.fromhex("40 f7 f1 40 cc"))           # inc eax; div ecx; inc eax; int3
    for r, v in dict(eax=0, ebx=0, ecx=0, edx=0).items():
        m.set_reg(r, v)
    m.set_reg("dr0", UTEXT + 1)
    m.set_reg("dr7", 0x401)
    res = m.run(100)
    assert res.exception is not None and res.exception.vector == 3
    assert m.get_reg("ebx") == 1 and m.get_reg("ecx") == 1 and m.get_reg("eax") == 2
