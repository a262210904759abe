"""System-level CPU tests: small programs (bytes inline, each line commented
with its assembly) run on a Machine with a real GDT, IDT and TSS in guest
memory.  Expected behaviour: Intel SDM Vol. 3A ch. 5-6 and Vol. 2."""

import struct

import pytest

from kw86.machine import Machine

from kw86.testing import (GDT, IDT, TSS, KCODE, KDATA, UCODE, UDATA, TSS_SEL,
    KTEXT, UTEXT, USTACK, KSTACK, PD, PT0, desc, gate, make_system as make_env)


def stack_words(m, n):
    esp = m.get_reg("esp")
    return list(struct.unpack(f"<{n}I", m.read(esp, 4 * n)))


def test_int80_trap_gate_ring3_to_ring0_and_iret_back():
    m = make_env()
    m.write(UTEXT, bytes.fromhex(
        "b814000000"    # mov eax, 0x14
        "cd80"          # int 0x80
        "cc"))          # int3
    m.write(KTEXT, bytes.fromhex(
        "cc"            # int3            (stop inside the handler)
        "b842000000"    # mov eax, 0x42
        "cf"))          # iretd
    r = m.run(100)
    assert r.event == "exception" and r.exception.vector == 3
    assert m.cpl == 0 and m.get_reg("cs") == KCODE and m.get_reg("ss") == KDATA
    assert m.get_reg("esp") == KSTACK - 20          # SS, ESP, EFLAGS, CS, EIP
    eip, cs, fl, esp, ss = stack_words(m, 5)
    assert (eip, cs, esp, ss) == (UTEXT + 7, UCODE, USTACK, UDATA)
    assert fl & 0x200                               # IF of the interrupted code
    assert m.get_reg("eflags") & 0x200              # trap gate keeps IF
    r = m.run(100)
    assert r.event == "exception" and r.exception.vector == 3
    assert m.cpl == 3 and m.get_reg("cs") == UCODE and m.get_reg("ss") == UDATA
    assert m.get_reg("esp") == USTACK and m.get_reg("eax") == 0x42
    assert m.get_reg("eip") == UTEXT + 8


def test_int_through_dpl0_gate_from_ring3_is_gp():
    m = make_env()
    m.intercept = {3, 13}
    m.write(UTEXT, bytes.fromhex("cd81"))           # int 0x81
    r = m.run(10)
    assert r.exception.vector == 13
    assert r.exception.error_code == 0x81 * 8 + 2  # IDT bit set
    assert m.get_reg("eip") == UTEXT and m.cpl == 3


def test_user_write_to_supervisor_page_faults():
    m = make_env(paging=True)
    m.intercept = {14}
    m.write(UTEXT, bytes.fromhex("c70510000500 01000000"))   # mov dword [0x50010], 1
    r = m.run(10)
    e = r.exception
    assert (e.vector, e.error_code, e.cr2) == (14, 7, 0x50010)   # P | W | U
    assert m.get_cr(2) == 0x50010
    assert m.read(0x50010, 4) == b"\0\0\0\0"
    m.set_reg("eip", UTEXT)
    m.write(UTEXT, bytes.fromhex("a110000500"))               # mov eax, [0x50010]
    e = m.run(10).exception
    assert (e.vector, e.error_code, e.cr2) == (14, 5, 0x50010)


def test_cr0_wp_makes_supervisor_write_to_readonly_page_fault():
    m = make_env(cpl=0, paging=True)
    m.intercept = {14, 3}
    code = bytes.fromhex("c70520100500 78563412"    # mov dword [0x51020], 0x12345678
                         "cc")                       # int3
    m.write(KTEXT + 0x400, code)
    r = m.run(10)                                   # WP=0: the write succeeds
    assert r.exception.vector == 3
    assert m.read(0x51020, 4) == bytes.fromhex("78563412")
    m.set_cr(0, m.get_cr(0) | 0x10000)              # WP
    m.set_reg("eip", KTEXT + 0x400)
    e = m.run(10).exception
    assert (e.vector, e.error_code, e.cr2) == (14, 3, 0x51020)   # P | W, supervisor


def test_accessed_and_dirty_bits_are_set():
    m = make_env(paging=True)
    m.write(UTEXT, bytes.fromhex("c70500600600 01000000 cc"))  # mov dword [0x66000], 1; int3
    m.run(10)
    pte = m.read_u32(PT0 + 4 * 0x66)
    assert pte & 0x60 == 0x60
    assert m.read_u32(PD) & 0x20


def test_ud_reports_bytes():
    m = make_env()
    m.intercept = {6}
    m.write(UTEXT, bytes.fromhex("0f0b"))           # ud2
    e = m.run(10).exception
    assert e.vector == 6 and e.error_code is None and e.insn_bytes == b"\x0f\x0b"


def test_bound_raises_br():
    m = make_env()
    m.intercept = {5}
    m.write(0x6000, struct.pack("<ii", -5, 10))
    m.write(UTEXT, bytes.fromhex("b80b000000"       # mov eax, 11
                                 "620500600000"))   # bound eax, [0x6000]
    e = m.run(10).exception
    assert e.vector == 5 and e.error_code is None and m.get_reg("eip") == UTEXT + 5


def test_de_on_divide_by_zero():
    m = make_env()
    m.intercept = {0}
    m.write(UTEXT, bytes.fromhex("31c9 f7f1"))      # xor ecx, ecx; div ecx
    e = m.run(10).exception
    assert e.vector == 0 and m.get_reg("eip") == UTEXT + 2


def test_gp_on_segment_limit_violation_and_ss_on_stack():
    m = make_env()
    m.intercept = {12, 13}
    m.set_segment("ds", UDATA, 0, 0xFFF, dpl=3)
    m.write(UTEXT, bytes.fromhex("a1fe0f0000"))     # mov eax, [0xffe]  (4 bytes past 0xfff)
    e = m.run(10).exception
    assert (e.vector, e.error_code) == (13, 0)
    m.set_segment("ss", UDATA, 0, USTACK - 1, dpl=3, type=0x7)   # expand-down: ESP-4 below limit
    m.set_reg("eip", UTEXT + 5)
    m.write(UTEXT + 5, bytes.fromhex("50"))         # push eax
    e = m.run(10).exception
    assert (e.vector, e.error_code) == (12, 0)
    assert m.get_reg("esp") == USTACK


def test_double_fault_when_gp_gate_not_present():
    m = make_env()
    m.intercept = {8}
    m.set_segment("ds", UDATA, 0, 0xFFF, dpl=3)
    m.write(UTEXT, bytes.fromhex("a100200000"))     # mov eax, [0x2000] -> #GP, gate 13 absent -> #NP
    e = m.run(10).exception
    assert (e.vector, e.error_code) == (8, 0)


def test_triple_fault_is_an_event():
    m = make_env(idt_limit=0)
    m.write(UTEXT, bytes.fromhex("0f0b"))           # ud2 -> no IDT -> #GP -> #DF -> triple
    r = m.run(10)
    assert r.event == "triple_fault"
    assert m.get_reg("eip") == UTEXT


def test_io_at_cpl3_iopl0_uses_the_tss_bitmap():
    m = make_env()
    m.intercept = {13, 3}
    seen = []
    m.set_port_handler(0x80, read=lambda p, s: 0x5A, write=lambda p, s, v: seen.append((p, s, v)))
    m.write(UTEXT, bytes.fromhex("b077 e680"        # mov al, 0x77; out 0x80, al (allowed)
                                 "e480"             # in al, 0x80
                                 "e681"))           # out 0x81, al -> #GP(0)
    e = m.run(10).exception
    assert seen == [(0x80, 1, 0x77)]
    assert m.get_reg("al") == 0x5A
    assert (e.vector, e.error_code) == (13, 0) and m.get_reg("eip") == UTEXT + 6


def test_io_iopl3_allows_everything():
    m = make_env(iopl=3)
    m.intercept = {13, 3}
    m.write(UTEXT, bytes.fromhex("e681 e4ff cc"))   # out 0x81, al; in al, 0xff; int3
    r = m.run(10)
    assert r.exception.vector == 3 and m.get_reg("al") == 0xFF


def test_cli_at_cpl3_is_gp():
    m = make_env()
    m.intercept = {13}
    m.write(UTEXT, bytes.fromhex("fa"))
    assert m.run(5).exception.vector == 13


def test_call_gate_to_ring0_copies_params_and_retf_returns():
    m = make_env()
    m.write(UTEXT, bytes.fromhex(
        "68efbeadde"        # push 0xdeadbeef   (the one parameter)
        "9a0000000033 00"   # call far 0x33:0   (call gate, 1 param)
        "cc"))              # int3
    m.write(KTEXT + 0x100, bytes.fromhex(
        "cc"                # int3
        "ca0400"))          # retf 4
    r = m.run(10)
    assert r.exception.vector == 3 and m.cpl == 0
    eip, cs, param, esp, ss = stack_words(m, 5)
    assert (eip, cs, param, esp, ss) == (UTEXT + 12, UCODE, 0xDEADBEEF, USTACK - 4, UDATA)
    assert m.get_reg("esp") == KSTACK - 20
    r = m.run(10)
    assert r.exception.vector == 3 and m.cpl == 3
    assert m.get_reg("esp") == USTACK and m.get_reg("eip") == UTEXT + 13


def test_sysenter_sysexit():
    m = make_env()
    m.set_msr(0x174, KCODE)
    m.set_msr(0x175, KSTACK)
    m.set_msr(0x176, KTEXT + 0x200)
    m.write(UTEXT, bytes.fromhex("89e1"             # mov ecx, esp
                                 "ba0a000200"       # mov edx, UTEXT+10
                                 "0f34"             # sysenter
                                 "90"               # (skipped)
                                 "cc"))             # int3 at UTEXT+10
    m.write(KTEXT + 0x200, bytes.fromhex("cc 0f35"))    # int3; sysexit
    r = m.run(10)
    assert r.exception.vector == 3 and m.cpl == 0 and m.get_reg("esp") == KSTACK
    assert m.get_reg("eflags") & 0x200 == 0
    r = m.run(10)
    assert r.exception.vector == 3 and m.cpl == 3
    assert m.get_reg("cs") == UCODE and m.get_reg("ss") == UDATA
    assert m.get_reg("eip") == UTEXT + 11 and m.get_reg("esp") == USTACK


def test_timer_interrupt_preempts_user_loop():
    m = make_env()
    m.write(UTEXT, bytes.fromhex("ebfe"))           # jmp $
    m.write(KTEXT + 0x300, bytes.fromhex("cc"))     # int3 in the timer handler
    m.set_timer(1000, 0x20)
    r = m.run(100000)
    assert r.exception.vector == 3 and m.cpl == 0
    eip, cs, fl, esp, ss = stack_words(m, 5)
    assert (eip, cs) == (UTEXT, UCODE)
    assert m.get_reg("eflags") & 0x200 == 0         # interrupt gate clears IF
    assert 1000 + 130 <= m.cycles < 1200            # + delivery (70) + privilege change (60)


def test_sti_hlt_waits_for_the_timer_and_the_clock_jumps():
    m = make_env(cpl=0)
    m.set_reg("eflags", 0x2)
    m.write(KTEXT + 0x400, bytes.fromhex("fb f4 cc"))   # sti; hlt; int3
    m.write(KTEXT + 0x300, bytes.fromhex("cf"))         # iretd
    m.set_timer(5_000_000, 0x20)
    r = m.run(100)
    assert r.exception.vector == 3
    assert m.get_reg("eip") == KTEXT + 0x403
    assert 5_000_000 <= m.cycles < 5_000_200
    assert m.timer_ticks == 1


def test_hlt_with_interrupts_off_is_a_hang():
    m = make_env(cpl=0)
    m.set_reg("eflags", 0x2)
    m.write(KTEXT + 0x400, bytes.fromhex("f4"))
    assert m.run(10).event == "hang"


def test_self_modifying_code_is_seen():
    m = make_env(cpl=0)
    m.write(KTEXT + 0x400, bytes.fromhex(
        "c6050a040100 40"   # mov byte [KTEXT+0x40a], 0x40 (inc eax)
        "909090"            # nop x3
        "48"                # dec eax  (rewritten to inc eax)
        "cc"))              # int3
    m.set_reg("eip", KTEXT + 0x40A)
    m.run(1)                                        # decode and cache "dec eax"
    assert m.get_reg("eax") == 0xFFFFFFFF
    m.set_reg("eax", 0)
    m.set_reg("eip", KTEXT + 0x400)
    m.run(10)
    assert m.get_reg("eax") == 1


def test_python_write_invalidates_decoded_code():
    m = make_env(cpl=0)
    m.write(KTEXT + 0x400, bytes.fromhex("40 cc"))  # inc eax; int3
    m.run(10)
    assert m.get_reg("eax") == 1
    m.write(KTEXT + 0x400, bytes.fromhex("48"))     # dec eax
    m.set_reg("eip", KTEXT + 0x400)
    m.run(10)
    assert m.get_reg("eax") == 0


def test_hypercall_port_from_cpl0_costs_no_cycles():
    m = make_env(cpl=0)
    calls = []
    m.set_port_handler(0xE9, write=lambda p, s, v: calls.append(v), free=True)
    m.write(KTEXT + 0x400, bytes.fromhex("b80c000000 e7e9 cc"))   # mov eax, 12; out 0xe9, eax; int3
    m.run(10)
    assert calls == [12]
    assert m.cycles < 10


def test_iret_to_ring3_nulls_kernel_data_segments():
    m = make_env()
    m.write(UTEXT, bytes.fromhex("cd80 cc"))        # int 0x80; int3
    m.write(KTEXT, bytes.fromhex(
        "66b81000"          # mov ax, 0x10
        "8ed8"              # mov ds, ax
        "cf"))              # iretd
    m.run(10)
    assert m.cpl == 3 and m.get_reg("ds") == 0
    assert m.get_segment("ds").valid is False or m.get_segment("ds").valid == 0


def test_lar_lsl_verr_verw():
    m = make_env()
    m.write(UTEXT, bytes.fromhex(
        "b823000000"        # mov eax, 0x23
        "0f02d8"            # lar ebx, eax
        "0f03c8"            # lsl ecx, eax
        "0f00e0"            # verr ax
        "9c"                # pushfd
        "b810000000"        # mov eax, 0x10  (DPL 0 data: invisible at CPL 3)
        "0f00e8"            # verw ax
        "9c"                # pushfd
        "cc"))
    m.run(20)
    # LAR: dword 2 masked by 00FxFF00h; bits 19:16 undefined (SDM LAR), kw86 gives 0
    assert m.get_reg("ebx") == 0x00C0F300 and m.get_reg("ecx") == 0xFFFFFFFF
    f2, f1 = stack_words(m, 2)
    assert f1 & 0x40 and not f2 & 0x40


def test_cpuid_reports_p6_with_fpu_and_mmx():
    m = make_env()
    m.write(UTEXT, bytes.fromhex("31c0 0fa2 cc"))   # xor eax,eax; cpuid; int3
    m.run(10)
    vendor = struct.pack("<III", m.get_reg("ebx"), m.get_reg("edx"), m.get_reg("ecx"))
    assert vendor == b"GenuineIntel"
    m.set_reg("eip", UTEXT + 2)
    m.set_reg("eax", 1)
    m.run(10)
    assert (m.get_reg("eax") >> 8) & 0xF == 6
    edx = m.get_reg("edx")
    assert edx & 1 and edx & (1 << 23)              # FPU, MMX (kw86/x87.pyx, exec_fpu.pxi)
    assert edx & (1 << 11) and edx & (1 << 4)       # SEP, TSC


def test_x87_raises_nm_with_em_set():
    m = make_env()
    m.intercept = {7}
    m.write(UTEXT, bytes.fromhex("d9e8"))           # fld1
    assert m.run(5).exception.vector == 7


def test_rep_movs_interrupted_by_page_fault_resumes():
    m = make_env(paging=True)
    m.intercept = {14, 3}
    src = bytes(range(256)) * 32                    # 8 KiB
    m.write(0x70000, src)
    # make the destination's second page not present
    m.write_u32(PT0 + 4 * 0x81, 0)
    m.flush_tlb()
    m.write(UTEXT, bytes.fromhex(
        "be00000700"        # mov esi, 0x70000
        "bf00000800"        # mov edi, 0x80000
        "b900080000"        # mov ecx, 0x800 (dwords)
        "fc"                # cld
        "f3a5"              # rep movsd
        "cc"))
    e = m.run(100000).exception
    assert (e.vector, e.cr2, e.error_code) == (14, 0x81000, 6)
    assert m.get_reg("ecx") == 0x400 and m.get_reg("edi") == 0x81000
    assert m.get_reg("esi") == 0x71000 and m.get_reg("eip") == UTEXT + 16
    m.write_u32(PT0 + 4 * 0x81, 0x81000 | 7)       # "page in", resume
    m.flush_tlb()
    r = m.run(100000)
    assert r.exception.vector == 3
    assert m.read(0x80000, 8192) == src and m.get_reg("ecx") == 0


def test_interrupt_at_cpl0_uses_the_current_stack_and_iret_same_level():
    m = make_env(cpl=0)
    m.set_reg("esp", 0x38000)                       # e.g. a kernelware's user stack
    m.write(KTEXT + 0x400, bytes.fromhex("ebfe"))   # jmp $
    m.write(KTEXT + 0x300, bytes.fromhex("cc cf"))  # int3; iretd
    m.set_timer(500, 0x20)
    r = m.run(10000)
    assert r.exception.vector == 3 and m.cpl == 0
    assert m.get_reg("esp") == 0x38000 - 12          # EFLAGS, CS, EIP only
    eip, cs, fl = stack_words(m, 3)
    assert (eip, cs) == (KTEXT + 0x400, KCODE) and fl & 0x200
    m.set_timer(0)
    m.run(3)
    assert m.get_reg("esp") == 0x38000 and m.get_reg("eip") == KTEXT + 0x400
    assert m.get_reg("eflags") & 0x200


def test_save_and_restore_context():
    m = make_env()
    m.set_reg("eax", 7)
    ctx = m.save_context()
    m.load_segment("cs", KCODE)
    m.set_reg("eax", 9)
    m.restore_context(ctx)
    assert m.cpl == 3 and m.get_reg("eax") == 7 and m.get_reg("cs") == UCODE


def test_page_walks_are_charged_and_counted():
    m = make_env(paging=True)
    m.write(UTEXT, bytes.fromhex("a100600600 cc"))  # mov eax, [0x66000]; int3
    m.run(10)
    assert m.page_walks >= 2                        # code, data
    assert m.cycles >= 15 * m.page_walks


def test_page_walks_are_charged_on_tlb_misses_only():
    # A loop that bounces between two code pages and reads one data page:
    # a P6 keeps those three translations in its TLBs, so only the first
    # touch of each page walks (SDM Vol. 3A §4.10.2), however often the
    # code page changes.
    m = make_env(paging=True)
    m.write(UTEXT, bytes.fromhex("b964000000"        # mov ecx, 100
                                 "a100600600"        # mov eax, [0x66000]
                                 "e9f60f0000"))      # jmp UTEXT + 0x1005 (next page)
    m.write(UTEXT + 0x1005, bytes.fromhex("49"       # dec ecx
                                          "0f85f9efffff"  # jnz UTEXT + 5
                                          "cc"))     # int3
    m.run(10000)
    assert m.get_reg("ecx") == 0
    assert m.page_walks == 3                        # two code pages, one data page
    # The first write to a clean page walks again to set its dirty bit,
    # even though the read left it in the TLB; a second write does not.
    m = make_env(paging=True)
    m.write(UTEXT, bytes.fromhex("a100600600"        # mov eax, [0x66000]
                                 "a300600600"        # mov [0x66000], eax
                                 "a300600600"        # mov [0x66000], eax
                                 "cc"))
    m.run(10)
    assert m.page_walks == 3                        # code, data read, dirty bit


def test_profiles_are_data_files(tmp_path):
    from kw86.machine import load_profile
    p = tmp_path / "fast.toml"
    p.write_text('name = "fast"\n[classes]\nalu = 1\nnop = 7\n[events]\nbranch_taken = 0\n')
    m = Machine(mem_size=1 << 20, profile=str(p))
    assert m.profile == "fast"
    m.set_segment("cs", 0x08, 0, 0xFFFFFFFF, dpl=0)
    m.write(0x1000, b"\x90\x90")
    m.set_reg("eip", 0x1000)
    m.run(2)
    assert m.cycles == 14
    with pytest.raises(ValueError, match="unknown"):
        Machine(mem_size=1 << 20, profile="no-such-profile")
    bad = tmp_path / "bad.toml"
    bad.write_text("[classes]\nwarp_drive = 3\n")
    with pytest.raises(ValueError, match="warp_drive"):
        load_profile(str(bad))


def test_pse_4mib_pages_and_invlpg():
    m = make_env(cpl=0, paging=True)
    m.intercept = {3, 14}
    m.set_cr(4, 0x10)                                   # CR4.PSE
    m.write_u32(PD + 4 * 2, 0x00000000 | 0x83)          # 0x800000 -> phys 0 (4 MiB, RW, P)
    m.write(0x1234, b"\x11\x22\x33\x44")
    m.write(KTEXT + 0x400, bytes.fromhex("a134128000 cc"))   # mov eax, [0x801234]; int3
    m.run(10)
    assert m.get_reg("eax") == 0x44332211
    assert m.read_u32(PD + 8) & 0x20                    # accessed
    # the guest unmaps it without invlpg: the stale translation is still used
    m.write(KTEXT + 0x400, bytes.fromhex("c70508001000 00000000"     # mov dword [PD+8], 0
                                         "8b1534128000 cc"))         # mov edx, [0x801234]; int3
    m.set_reg("eip", KTEXT + 0x400)
    r = m.run(10)
    assert r.exception.vector == 3 and m.get_reg("edx") == 0x44332211
    m.write(KTEXT + 0x400, bytes.fromhex("0f013d34128000"   # invlpg [0x801234]
                                         "a134128000 cc"))  # mov eax, [0x801234]; int3
    m.set_reg("eip", KTEXT + 0x400)
    e = m.run(10).exception
    assert (e.vector, e.cr2) == (14, 0x801234)


def test_mov_cr3_flushes_the_tlb():
    m = make_env(cpl=0, paging=True)
    m.intercept = {3, 14}
    m.write(KTEXT + 0x400, bytes.fromhex("a100600600 cc"))   # mov eax, [0x66000]
    m.run(10)
    m.write_u32(PT0 + 4 * 0x66, 0)                      # unmap
    m.write(KTEXT + 0x400, bytes.fromhex("0f20d8 0f22d8 a100600600 cc"))  # mov eax,cr3; mov cr3,eax; ...
    m.set_reg("eip", KTEXT + 0x400)
    e = m.run(10).exception
    assert (e.vector, e.cr2) == (14, 0x66000)


def test_sti_and_mov_ss_interrupt_shadows():
    m = make_env(cpl=0)
    m.set_reg("eflags", 0x2)
    m.write(KTEXT + 0x400, bytes.fromhex("fb 90 90 cc"))     # sti; nop; nop; int3
    m.write(KTEXT + 0x300, bytes.fromhex("cc"))              # handler: int3
    m.raise_irq(0x20)
    m.run(1)                                            # sti
    assert m.get_reg("eip") == KTEXT + 0x401 and m.core.irq_pending
    m.run(1)                                            # nop runs in the shadow, then the irq
    assert not m.core.irq_pending and m.get_reg("eip") == KTEXT + 0x300
    eip, cs, fl = stack_words(m, 3)
    assert eip == KTEXT + 0x402                         # taken after the nop, not before it


def test_16bit_interrupt_gate_pushes_words():
    m = make_env(cpl=0)
    m.write(IDT + 0x40 * 8, gate(KCODE, 0x9000, 0x6, 0))   # 16-bit gate: 16-bit offset
    m.write(KTEXT + 0x400, bytes.fromhex("cd40"))
    m.write(0x9000, bytes.fromhex("cc"))
    r = m.run(10)
    assert r.exception.vector == 3 and m.get_reg("esp") == KSTACK - 6
    ip, cs, fl = struct.unpack("<3H", m.read(KSTACK - 6, 6))
    assert (ip, cs) == ((KTEXT + 0x402) & 0xFFFF, KCODE)


def test_cycle_limit_and_stop_from_a_port_handler():
    m = make_env(cpl=0)
    m.write(KTEXT + 0x400, bytes.fromhex("90 ebfd"))    # l: nop; jmp l
    r = m.run(10**9, max_cycles=1000)
    assert r.event == "cycles" and 1000 <= m.cycles < 1010
    m.set_port_handler(0xE9, write=lambda p, s, v: m.stop(), free=True)
    m.write(KTEXT + 0x500, bytes.fromhex("e6e9 90 90"))  # out 0xe9, al; nop; nop
    m.set_reg("eip", KTEXT + 0x500)
    r = m.run(100)
    assert r.event == "stop" and m.get_reg("eip") == KTEXT + 0x502   # the out completed


def test_timer_hz_and_idle_clock_jump():
    m = make_env(cpl=0)
    m.set_timer(hz=100)                                 # 500 MHz / 100 = 5,000,000 cycles
    m.write(KTEXT + 0x300, bytes.fromhex("cf"))         # iretd
    m.write(KTEXT + 0x400, bytes.fromhex("f4 ebfd"))    # l: hlt; jmp l
    r = m.run(30)
    assert r.event == "budget"
    assert m.timer_ticks == 10 and m.cycles >= 10 * 5_000_000


def test_far_jmp_call_retf_same_privilege_and_ldt_segments():
    m = make_env(cpl=0)
    # an LDT with one data segment (base 0x6000) at selector 0x04 | TI
    ldt = desc(0x6000, 0xFFF, 0x3, 0)
    m.write(0x7000, ldt)
    gdt_ldt = desc(0x7000, 7, 0x2, 0, s=0, db=0)
    m.write(GDT + 7 * 8, gdt_ldt)
    m.set_gdt(GDT, 8 * 8 - 1)
    m.write(0x6010, struct.pack("<I", 0xFEEDF00D))
    m.write(KTEXT + 0x400, bytes.fromhex(
        "66b83800 0f00d0"       # mov ax, 0x38; lldt ax
        "66b80400 8ee0"         # mov ax, 0x04; mov fs, ax
        "64a110000000"          # mov eax, fs:[0x10]
        "9a00060100 0800"       # call far 0x08:KTEXT+0x600
        "ea10060100 0800"))     # jmp far 0x08:KTEXT+0x610
    m.write(KTEXT + 0x600, bytes.fromhex("bb01000000 cb"))   # mov ebx, 1; retf
    m.write(KTEXT + 0x610, bytes.fromhex("cc"))
    r = m.run(20)
    assert r.exception.vector == 3 and m.get_reg("eip") == KTEXT + 0x611
    assert m.get_reg("eax") == 0xFEEDF00D and m.get_reg("ebx") == 1
    assert m.get_reg("esp") == KSTACK and m.get_reg("fs") == 0x04
    assert m.get_segment("fs").base == 0x6000


def test_segment_load_checks():
    m = make_env()
    m.intercept = {13, 11, 12}
    m.write(UTEXT, bytes.fromhex("66b81000 8ed8"))      # mov ax, 0x10; mov ds, ax (DPL 0 at CPL 3)
    e = m.run(10).exception
    assert (e.vector, e.error_code) == (13, 0x10)
    m.set_reg("eip", UTEXT)
    m.write(UTEXT, bytes.fromhex("66b80000 8ed0"))      # mov ss, 0 -> #GP(0)
    e = m.run(10).exception
    assert (e.vector, e.error_code) == (13, 0)
    m.set_reg("eip", UTEXT)
    m.write(UTEXT, bytes.fromhex("66b80000 8ed8 cc"))   # null into ds is fine ...
    m.intercept = {3, 13}
    assert m.run(10).exception.vector == 3
    m.set_reg("eip", UTEXT + 7)
    m.write(UTEXT + 7, bytes.fromhex("a100000000"))     # ... until it is used
    e = m.run(10).exception
    assert (e.vector, e.error_code) == (13, 0)


def test_host_page_table_edits_take_effect_without_a_flush():
    m = make_env(cpl=0, paging=True)
    m.intercept = {3, 14}
    m.write(0x66000, b"\x01\0\0\0")
    m.write(0x67000, b"\x02\0\0\0")
    m.write(KTEXT + 0x400, bytes.fromhex("a100600600 cc"))   # mov eax, [0x66000]; int3
    m.run(10)
    assert m.get_reg("eax") == 1
    m.write_u32(PT0 + 4 * 0x66, 0x67000 | 3)           # Python remaps the page
    m.set_reg("eip", KTEXT + 0x400)
    m.run(10)
    assert m.get_reg("eax") == 2


def test_bad_tss_stack_gives_ts_and_not_present_gate_np():
    m = make_env()
    m.intercept = {10, 11}
    m.write_u32(TSS + 8, 0)                            # SS0 = null
    m.write(UTEXT, bytes.fromhex("cd80"))
    e = m.run(10).exception
    assert (e.vector, e.error_code) == (10, 0) and m.cpl == 3
    m.write(IDT + 0x83 * 8, gate(KCODE, KTEXT, 0xF, 3, p=0))
    m.set_reg("eip", UTEXT)
    m.write(UTEXT, bytes.fromhex("cd83"))
    e = m.run(10).exception
    assert (e.vector, e.error_code) == (11, 0x83 * 8 + 2)


def test_host_breakpoints_stop_before_and_resume_through():
    m = make_env(cpl=0)
    m.write(KTEXT + 0x400, bytes.fromhex("40 40 40 cc"))     # inc eax x3; int3
    m.add_breakpoint(KTEXT + 0x401)
    r = m.run(10)
    assert r.event == "breakpoint" and m.get_reg("eip") == KTEXT + 0x401 and m.get_reg("eax") == 1
    r = m.run(10)
    assert r.exception.vector == 3 and m.get_reg("eax") == 3
    m.remove_breakpoint(KTEXT + 0x401)
    m.set_reg("eip", KTEXT + 0x400)
    assert m.run(10).exception.vector == 3 and m.get_reg("eax") == 6


def test_celeron500_profile_prices_every_instruction_class():
    import os
    import tomllib
    from kw86.isa import opcodes
    from kw86.machine import PROFILE_DIR
    with open(os.path.join(PROFILE_DIR, "celeron500.toml"), "rb") as f:
        prof = tomllib.load(f)
    assert set(prof["classes"]) == set(opcodes.CLASSES)
    assert prof["classes"]["rdtsc"] == 32 and prof["events"]["priv_change"] == 60
