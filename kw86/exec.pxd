# kw86/exec.pxd -- the CPU state (one C struct) and the executor's C contract.
#
# Everything the hot loop touches is in `Cpu`; no Python object is reachable
# from it.  Field comments say what, units, and who writes it.

from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t, int32_t, int64_t
from kw86.decoder cimport Insn
from kw86.mmu cimport Mmu, DEnt
from kw86.x87 cimport Fpu

ctypedef struct SegCache:       # a segment register's hidden descriptor cache
    uint32_t base       # linear base
    uint32_t limit      # effective byte limit (granularity applied)
    uint16_t sel        # visible selector
    uint8_t access      # descriptor byte 5: P | DPL<<5 | S<<4 | type
    uint8_t big         # D/B bit: 32-bit code / 32-bit stack (ESP) / expand-down top 4G
    uint8_t valid       # 0: null selector loaded (DS/ES/FS/GS): any access #GP(0)
    uint8_t rd          # data, or readable code: reads allowed
    uint8_t wr          # writable data: writes allowed
    uint8_t expdown     # expand-down data segment
    uint8_t flat        # base 0, limit 4G, expand-up, rd and wr: skip limit checks
    uint8_t gran        # G bit (kept for sgdt-style reporting / lar)
    uint8_t paged       # flat but for the base (any base: translated blocks add it and
                        # check the limit; Go's TLS through %gs)
    uint8_t _pad

# cpu_run() results (events).  Python turns them into Machine.run results.
cdef enum:
    EV_BUDGET = 0       # instruction budget used up (or a stop request)
    EV_HLT = 1          # hlt with IF=1 and no timer armed: waiting for an interrupt
    EV_HANG = 2         # hlt with IF=0 and no NMI: the guest is dead
    EV_TRIPLE = 3       # triple fault: exception while delivering #DF
    EV_IO = 4           # I/O on a host-handled port (Cpu.io_*): an `out` is done (EIP after
                        # it); an `in` is not: it completes on resume with io_value
    EV_EXCEPTION = 5    # an intercepted exception (Cpu.intercept): Cpu.exc_* describe it
    EV_TASKSWITCH = 6   # virtual-8086 mode needed (iret to VM=1, a task with VM=1): not supported
    EV_STOP = 7         # Cpu.stop_req was set
    EV_CYCLES = 8       # cycle limit reached
    EV_BREAK = 9        # a host breakpoint (Cpu.bp_lin) before its instruction executed

# Handler return codes
cdef enum:
    RC_OK = 0           # committed: the loop moves EIP to eip_next
    RC_FAULT = 1        # exception raised (Cpu.exc_*), nothing committed
    RC_EVENT = 2        # leave the loop with Cpu.event (EIP not advanced)
    RC_DONE = 3         # handler committed EIP itself (eip already final), e.g. delivery
    RC_EXIT = 4         # committed like RC_OK, then leave the loop with c.event (posted out)

# Lazy-flag operations (Cpu.cc_op)
cdef enum:
    CC_EFLAGS = 0       # CF PF AF ZF SF OF are in Cpu.eflags
    CC_LOGIC = 1        # res; CF=OF=0, AF=0 (P6 leaves AF 0 on logic ops)
    CC_ADD = 2          # dst + src = res
    CC_ADC = 3          # dst + src + aux(carry in) = res
    CC_SUB = 4          # dst - src = res (also CMP, NEG with dst=0)
    CC_SBB = 5          # dst - src - aux = res
    CC_INC = 6          # res = dst + 1, aux = CF before
    CC_DEC = 7          # res = dst - 1, aux = CF before

cdef enum:
    F_CF = 0x0001
    F_PF = 0x0004
    F_AF = 0x0010
    F_ZF = 0x0040
    F_SF = 0x0080
    F_TF = 0x0100
    F_IF = 0x0200
    F_DF = 0x0400
    F_OF = 0x0800
    F_IOPL = 0x3000
    F_NT = 0x4000
    F_RF = 0x10000
    F_VM = 0x20000
    F_AC = 0x40000
    F_ID = 0x200000
    F_ARITH = 0x08D5    # CF PF AF ZF SF OF

cdef enum:              # exception vectors
    X_DE = 0
    X_DB = 1
    X_NMI = 2
    X_BP = 3
    X_OF = 4
    X_BR = 5
    X_UD = 6
    X_NM = 7
    X_DF = 8
    X_TS = 10
    X_NP = 11
    X_SS = 12
    X_GP = 13
    X_PF = 14
    X_MF = 16
    X_AC = 17
    X_MC = 18

cdef enum:
    NCLASS_MAX = 256    # cycle classes (kw86.isa.opcodes.CLASSES)
    NOPS_MAX = 2048     # mnemonic ids

cdef enum:              # Cpu.cost_ev indices: event costs from the profile
    EVC_BRANCH_TAKEN = 0
    EVC_SEG_LOAD = 1
    EVC_PRIV_CHANGE = 2
    EVC_PAGE_WALK = 3
    EVC_INT_SAME = 4
    EVC_INT_PRIV = 5
    EVC_IRET_SAME = 6
    EVC_IRET_PRIV = 7
    EVC_FARCALL_GATE = 8
    EVC_RETF_OUTER = 9
    EVC_EXCEPTION = 10  # extra for a hardware exception / interrupt delivery (over INT)
    EVC_REP_START = 11
    EVC_MOVS_D = 12     # per-element costs in 1/256 cycle (fixed point)
    EVC_MOVS_B = 13
    EVC_STOS_D = 14
    EVC_STOS_B = 15
    EVC_REP_OTHER = 16  # per iteration of lods/scas/cmps/ins/outs (1/256)
    EVC_IO = 17
    EVC_TASK_SWITCH = 18  # a hardware task switch (exec_task.pxi), over the instruction / delivery
    EVC_N = 24

ctypedef struct Cpu:
    # --- architectural registers ---
    uint32_t gpr[9]         # EAX ECX EDX EBX ESP EBP ESI EDI (encoding order); gpr[8] is
                            # always 0: translated blocks' absent base/index (KW_REG_ZERO)
    uint32_t eip            # EIP of the instruction being executed / next to execute
    uint32_t eip_next       # set by the loop to EIP + length (masked); branches overwrite it
    uint32_t eflags         # all non-arithmetic flags; arithmetic ones too when cc_op == CC_EFLAGS
    uint32_t cc_dst         # lazy flags: first operand
    uint32_t cc_src         # lazy flags: second operand
    uint32_t cc_res         # lazy flags: result (masked to cc_size)
    uint32_t cc_aux         # lazy flags: carry in (ADC/SBB) or old CF (INC/DEC)
    uint8_t cc_op           # CC_* (what produced the arithmetic flags)
    uint8_t cc_size         # 1, 2, 4 bytes
    uint8_t cpl             # current privilege level 0..3 (= CS.RPL in protected mode)
    uint8_t code32          # CS.D: default operand/address size 32
    uint8_t stack32         # SS.B: ESP (1) or SP (0) for stack operations
    uint8_t halted          # in hlt, waiting for an interrupt
    uint8_t user            # 1 when cpl == 3 (TLB mode of data accesses)
    uint8_t cs_check        # CS is 16-bit or not 4G: the loop masks EIP / checks the limit
    uint8_t shadow          # interrupt shadow (sti, mov/pop ss): 1 = set, 2 = seen at a boundary
                            # (retired count in shadow_ic); cleared once one more insn retired
    uint8_t shadow_ss       # the shadow came from mov/pop ss: it holds #DB traps too (SDM 3A §6.8.3)
    uint8_t ac_on           # CR0.AM, EFLAGS.AC, CPL 3: alignment checks (segments not flat)
    uint8_t slow_mem        # ac_on or data breakpoints: no segment is flat (seg_addr_chk)
    uint8_t dbg_x           # DR7: enabled instruction breakpoints (bit n: DRn)
    uint8_t dbg_d           # DR7: enabled data breakpoints (bit n: DRn)
    uint8_t dbg_hit         # data breakpoints hit by the current instruction (#DB trap after it)
    uint8_t exc_xbp         # the pending #DB is an instruction breakpoint (pushed RF stays 0)
    uint64_t shadow_ic      # retired-instruction count at the shadowed boundary
    SegCache seg[6]         # ES CS SS DS FS GS
    SegCache ldtr           # LDTR (sel + hidden base/limit)
    SegCache tr             # task register (sel + base/limit of the TSS, access = type)
    uint32_t gdtr_base, gdtr_limit
    uint32_t idtr_base, idtr_limit
    uint32_t cr0, cr2, cr3, cr4
    uint32_t dr[8]          # DR0..DR7 (breakpoints: dbg_x / dbg_d, SDM Vol. 3B §17.2)
    uint32_t sysenter_cs, sysenter_esp, sysenter_eip   # MSRs 0x174 0x175 0x176
    uint64_t tsc_offset     # rdtsc = cycles + tsc_offset (wrmsr 0x10 sets it)
    # --- counters and the cycle model ---
    uint64_t cycles         # modelled core clocks since reset
    uint64_t icount         # instructions retired (updated when cpu_run returns)
    uint64_t run_done       # instructions (and faults) executed by the last cpu_run
    uint32_t cyc_frac       # fractional cycles (1/256) carried by per-element costs
    uint32_t cost_ev[EVC_N] # event costs (cycles, or 1/256 cycles for per-element ones)
    uint16_t cost_class[NCLASS_MAX]  # instruction class -> cycles (from the profile)
    uint64_t cycle_limit    # stop with EV_CYCLES when cycles >= this (0: none)
    # --- interrupts ---
    uint8_t irq_pending     # external interrupt line raised (INTR), vector irq_vector
    uint8_t irq_vector
    uint8_t timer_on        # timer armed: raises irq timer_vector every timer_period cycles
    uint8_t timer_vector
    uint64_t timer_period   # cycles
    uint64_t timer_next     # cycle count of the next tick
    uint64_t timer_ticks    # ticks raised so far
    # --- exceptions / events ---
    uint8_t exc_vector      # pending (or last intercepted) exception
    uint8_t exc_has_err
    uint8_t exc_soft        # raised by int n / int3 / into (trap: EIP after the insn)
    uint8_t exc_depth       # (reserved)
    uint32_t exc_err        # its error code
    uint32_t exc_cr2        # CR2 for #PF
    uint32_t intercept      # bit v: report exception v (0..31) to the host, do not deliver
    uint8_t intercept_soft  # report software int n to the host too
    uint8_t stop_req        # host asked the loop to stop (EV_STOP)
    uint8_t event_ext       # EV_TASKSWITCH detail: 2 = iret to virtual-8086 mode, 3 = a VM=1 task
    uint8_t tf_armed        # TFA_* bits: #DB single-step trap due after the instruction being executed
    int event               # event to return after RC_EVENT
    # --- port I/O ---
    uint8_t io_hooked[8192] # bit per port: a host handler exists (EV_IO)
    uint16_t io_port        # EV_IO: port
    uint8_t io_size         # 1, 2, 4
    uint8_t io_write        # 1 = out
    uint32_t io_value       # out: value; in: the host's answer (when io_ready)
    uint8_t io_ready        # host supplied the result of the pending I/O: complete it
    uint8_t _pad2[3]
    uint8_t io_free_bm[8192]  # bit per hooked port: its in/out costs 0 cycles (hypercalls)
    # --- memory ---
    Mmu m                   # guest memory, paging, TLB, decoded-instruction cache
    uint64_t attn           # the loop takes its slow path when cycles >= attn (timer, limits, irq)
    uint32_t bp_lin[8]      # host breakpoints: linear addresses of instructions (EV_BREAK)
    uint32_t bp_skip_lin    # resume: the breakpoint at this linear address runs once
    uint8_t nbp             # number of host breakpoints
    uint8_t bp_skip         # bp_skip_lin is armed
    uint8_t _pad4[2]
    uint8_t fetch_buf[16]   # scratch: an instruction that crosses a page boundary
    DEnt cross              # scratch decode of such an instruction (not cached)
    # --- x87 FPU and MMX (kw86/x87.pxd; executed by exec_fpu.pxi) ---
    Fpu fpu

ctypedef int (*op_fn)(Cpu*, const Insn*) noexcept nogil

cdef int cpu_run(Cpu* c, uint64_t budget) noexcept nogil
cdef uint32_t get_eflags(Cpu* c) noexcept nogil
cdef void set_eflags_all(Cpu* c, uint32_t v) noexcept nogil
