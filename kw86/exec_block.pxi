# kw86/exec_block.pxi -- translated blocks: straight-line runs of inline forms
# (exec.pyx FK_*) in one code page, translated once into compact micro-ops
# (KwUop) that run_loop hands to blk_exec when the whole block fits in the
# instruction budget and below the attention threshold.
#
# A block starts at any instruction with an inline form and takes the
# following instructions of the same physical page while they have one (or
# are data-only handlers, chain_safe, called from the block: UK_CALLH); it
# ends after an unconditional branch (jmp, call, ret, indirect ones; a direct
# jmp or call whose target lies in the block's own page is followed instead:
# the block goes on at the target, UK_CALL_IN), before
# an instruction it cannot take, at the page end or at KW_BLK_MAX.  A jcc
# inside a block leaves it when taken (a side exit) and goes on when not.
# The instructions come from the decoded-instruction cache (decode_fill,
# which also decodes ahead of execution where the rest of the page is
# fetchable: the page lies within the CS limit, as run_loop's inline chains
# require), so a uop has exactly the semantics of the inline form (and thus
# of the handler) the per-instruction path runs.
#
# Exactness: blk_exec takes no slow path itself.  Wherever an inline form would
# leave its fast path (a TLB miss, a page-crossing access, a segment that is
# not paged (KW_BHOSTR: a base is fine, unlike the inline forms), a branch
# target beyond the CS limit, a 16-bit stack), blk_exec stops BEFORE that
# instruction with EIP, the cycle count and the retired count of that
# boundary (KwUop.eoff, .cpre and its index) and run_loop runs it the
# ordinary way (that one instruction: the next goes back to the blocks).
# The one walk blk_exec makes is an instruction fetch's, where a chain
# enters a code page whose translation is not in the TLB, exactly where
# run_loop's fetch would make it (see the end of blk_exec's loop).  No uop but a handler call can write a code page (the
# TLB withholds write tags from them), fault, or change the attention state,
# so one check per block (r + n <= budget, cycles + all its cycles + a taken
# branch < attention threshold) stands for the per-instruction checks; after
# a handler call (which may fault: blk_exec returns 2 with the exception
# pending, or charge page walks, or write code) the block stops after that
# instruction unless its page is unchanged and the rest still fits.
#
# Flags: every flag producer keeps its operands and result in locals (fa, fb,
# fr; fcf for the CF an inc/dec keeps) and notes its CC_* in pop: the flags
# are pending there.  The lazy-flag state in Cpu (cc_*) is written from them
# (blk_flush) only where something can see it: when blk_exec stops or
# returns, before a handler call and before a uop that reads the flags from
# Cpu; a loop's producers write nothing.  Producers without locals (shifts,
# imul, 8-bit cmp) write Cpu themselves where their flags are live (KwUop.fl,
# from a backward liveness pass) and clear pop.  A jcc straight after its
# producer decides from the locals (UK_JCC_L), an inc/dec takes the CF it
# keeps from the locals when the producer before it is known (KwUop.x) or
# from the pending state.
#
# Invalidation: blocks are keyed by physical address | CS.D like the dcache
# and record Mmu.code_gen[page] (bumped when the page's decoded instructions
# are dropped: a write to the page) and Mmu.dc_gen (bumped by a full dcache
# flush: breakpoints, cycle costs, mode changes that flush it).

cdef extern from * nogil:
    """
    #define KW_BLK_MAX 32
    #define KW_BLK_NCALL 4
    /* direct jmps/calls into the block's own page that blk_build follows,
       at most, per block */
    #define KW_BLK_FOLLOW 8
    #define KW_NBLK 8192
    #define KW_BLK_HASH(phys) ((((phys) >> 13) ^ (phys)) & (KW_NBLK - 1))
    /* a uop's 32-bit effective address: an absent base or index is
       KW_REG_ZERO, Cpu.gpr[8], which nothing writes (always 0), so there is
       no test for it */
    #define KW_REG_ZERO 8
    #define KW_UEA(g, u) ((uint32_t)(u)->disp + (g)[(u)->base] + ((g)[(u)->index] << (u)->shift))
    /* host address of an n-byte access at offset a (a plain variable) of
       segment s through the TLB array tlb (Mmu.tlb[Cpu.user]): a paged
       segment (flat but for its base: expand-up, readable and writable,
       page-granular limit), the whole access within its limit (offsets a ..
       a+n-1, so none wraps past 4 GiB), TLB hit for reads (rtag) or writes
       (wtag) at the linear address base + a, inside one page; else NULL
       (the block stops: the ordinary path does it).  With base 0 (DS, ES,
       SS) the linear address is the offset; a based one is Go's and NetBSD
       libpthread's TLS through %gs (4 GiB limit, offsets like 0xFFFFFFFC).
       fl and fb are blk_exec's per-segment tables (blk_flim): the limit of
       a paged segment, -1 for any other (and for SS with a 16-bit stack), so
       one signed compare stands for "paged and a+n-1 <= limit"; and the
       bases.  The page test is folded into the tag compare: a TLB entry only
       ever holds a page whose index bits are its slot's, so the page of the
       access's last byte equals the tag of the slot of its first only if
       both lie in that page and it hits. */
    /* (the slot's byte offset from the page number in one shift and one
       mask: TlbEnt is 16 bytes) */
    #define KW_BTLB(tlb, l) ((__typeof__(tlb))((char*)(tlb) + \
        (((l) >> (12 - 4)) & ((KW_TLB_SIZE - 1u) << 4))))
    /* (a hit's host address is never NULL: the compiler may then send the
       callers' NULL test straight to their stop) */
    #define KW_BHOST_(fl, fb, tlb, s, a, n, tagf) ({ uint32_t kw_l = (uint32_t)(a) + (fb)[s]; \
        _Static_assert(sizeof(*(tlb)) == 16, "KW_BTLB: a TlbEnt is 16 bytes"); \
        __typeof__(tlb) kw_e = KW_BTLB(tlb, kw_l); uint8_t* kw_h = (uint8_t*)0; \
        if (KW_LIKELY((int64_t)(a) + ((n) - 1) <= (fl)[s] \
                      && kw_e->tagf == ((kw_l + ((n) - 1u)) & 0xFFFFF000u))) { \
            kw_h = kw_e->host + (kw_l & 0xFFFu); \
            if (!kw_h) __builtin_unreachable(); \
        } \
        kw_h; })
    #define KW_BHOSTR(fl, fb, tlb, s, a, n) KW_BHOST_(fl, fb, tlb, s, a, n, rtag)
    /* the same for a paged segment with base 0 whose limit is lim (-1: not
       paged, or based: the caller takes the general form) -- the forms fixed
       to DS or SS (lim: blk_exec's flim[KW_FL_DS0 / KW_FL_SS0]): no segment
       number to load, no base to add */
    #define KW_BHOST0_(lim, tlb, a, n, tagf) ({ uint32_t kw_l = (uint32_t)(a); \
        __typeof__(tlb) kw_e = KW_BTLB(tlb, kw_l); uint8_t* kw_h = (uint8_t*)0; \
        if (KW_LIKELY((int64_t)kw_l + ((n) - 1) <= (lim) \
                      && kw_e->tagf == ((kw_l + ((n) - 1u)) & 0xFFFFF000u))) { \
            kw_h = kw_e->host + (kw_l & 0xFFFu); \
            if (!kw_h) __builtin_unreachable(); \
        } \
        kw_h; })
    #define KW_BHOST0R(lim, tlb, a, n) KW_BHOST0_(lim, tlb, a, n, rtag)
    #define KW_BHOST0W(lim, tlb, a, n) KW_BHOST0_(lim, tlb, a, n, wtag)
    #define KW_FL_DS0 6
    #define KW_FL_SS0 7
    #define KW_BHOSTW(fl, fb, tlb, s, a, n) KW_BHOST_(fl, fb, tlb, s, a, n, wtag)
    """
    enum: KW_BLK_MAX
    enum: KW_REG_ZERO
    enum: KW_BLK_NCALL
    enum: KW_BLK_FOLLOW
    enum: KW_NBLK
    uint32_t blk_hash "KW_BLK_HASH" (uint32_t phys)

ctypedef struct KwUop:
    void* lab           # its kind's label in blk_exec (kw_tab[k]): the threaded
                        # dispatch jumps through it (set last in blk_build)
    uint8_t k           # UK_* (the FK_* numbering of exec.pyx, plus UK_END and up)
    uint8_t r0          # ops[0].reg
    uint8_t r1          # ops[1].reg
    uint8_t base        # EA base register or KW_REG_ZERO (absent)
    uint8_t index       # EA index register or KW_REG_ZERO (absent)
    uint8_t shift       # log2(scale)
    uint8_t seg         # EA segment
    uint8_t fl          # 1: write the lazy flags to Cpu
    uint8_t cc          # condition (jcc, cmovcc, setcc)
    uint8_t len         # instruction length
    uint8_t x           # inc/dec: CF source (CFS_*); imul: nops; UK_CALLH: handler slot
    uint8_t idx         # its index in the block (instructions before it)
    int16_t eoff        # EIP offset of the instruction from the block's first
                        # (negative after a direct jmp/call followed backwards)
    uint16_t cpre       # cycles of the block's instructions before this one
    uint32_t imm
    int32_t disp

ctypedef struct KwBlk:
    uint64_t tag        # KW_DC_KEY(physical address, CS.D) of the first instruction; 0: empty
    uint32_t gen        # Mmu.code_gen[page] when built
    uint32_t dgen       # Mmu.dc_gen when built
    uint32_t csum       # cycles of all its instructions (without taken-branch events)
    uint16_t n          # instructions (the uops before the final UK_END)
    uint16_t pad
    KwUop u[KW_BLK_MAX]
    void* fns[KW_BLK_NCALL]     # UK_CALLH: the handlers
    Insn ins[KW_BLK_NCALL]      # and their decoded instructions
    uint8_t fill[856]           # (2112 bytes in all: 33 cache lines, so the
                                # headers of the table's blocks spread over all
                                # the host L1's sets; a 2048-byte stride put every
                                # one in 2 of its 64)

cdef extern from * nogil:
    uint32_t uea "KW_UEA" (uint32_t* g, KwUop* u)
    TlbEnt* KW_BTLB(TlbEnt* tlb, uint32_t lin)
    uint8_t* bhost_r "KW_BHOSTR" (int64_t* fl, uint32_t* fb, TlbEnt* tlb, int s, uint32_t a, int n)
    uint8_t* bhost0_r "KW_BHOST0R" (int64_t lim, TlbEnt* tlb, uint32_t a, int n)
    uint8_t* bhost0_w "KW_BHOST0W" (int64_t lim, TlbEnt* tlb, uint32_t a, int n)
    enum: KW_FL_DS0
    enum: KW_FL_SS0
    uint8_t* bhost_w "KW_BHOSTW" (int64_t* fl, uint32_t* fb, TlbEnt* tlb, int s, uint32_t a, int n)

cdef enum:
    UK_END = 0          # (FK_NONE) the block ends here, falling through to eoff
    # jcc straight after its producer: the condition from the locals
    UK_JCC_SUB = 100    # after sub/cmp/neg (fa - fb = fr)
    UK_JCC_LOGIC = 101  # after and/or/xor/test (fr)
    UK_JCC_ADD = 102    # after add (fa + fb = fr)
    UK_JCC_ZS = 103     # after inc/dec, a ZF or SF condition (fr)
    UK_CALLH = 104      # a data-only handler (chain_safe) called from the block
    # cmovcc after its producer (no flag producer between): the condition
    # from the locals, as UK_JCC_*
    UK_CMOV_SUB = 105   # after sub/cmp/neg
    UK_CMOV_LOGIC = 106 # after and/or/xor/test
    # a register producer (FK_ADD_RR..FK_DEC_R, 9..24) fused with the jcc after it
    # when the jcc's target lies in the block's page (so within the CS limit):
    # UK_F0 + (FK_x - FK_ADD_RR); cc = the jcc's condition, disp = its target's
    # offset from the block's EIP.  Taken: the flags are written, the block
    # left; not taken: written only if live (fl), the block goes on
    UK_F0 = 110
    UK_F_LAST = 125
    UK_F_ADD_RR = 110
    UK_F_ADD_RI = 111
    UK_F_SUB_RR = 112
    UK_F_SUB_RI = 113
    UK_F_AND_RR = 114
    UK_F_AND_RI = 115
    UK_F_OR_RR = 116
    UK_F_OR_RI = 117
    UK_F_XOR_RR = 118
    UK_F_XOR_RI = 119
    UK_F_CMP_RR = 120
    UK_F_CMP_RI = 121
    UK_F_TEST_RR = 122
    UK_F_TEST_RI = 123
    UK_F_INC_R = 124
    UK_F_DEC_R = 125
    # data-only handlers (UK_CALLH) Go's code runs often, as uops of their
    # own, with exactly the handler's semantics (blk_callh_kind); where the
    # handler would fault (#DE, a TLB miss, a write to a page without a write
    # tag) the block stops before the instruction and the handler runs it
    UK_TEST8_RR = 130   # test r8, r8 (op_test; flags: CC_LOGIC size 1, no locals)
    UK_TEST8_MR = 131   # test m8, r8 (Go's nil checks: testb %al, (reg))
    UK_SETCC_M8 = 132   # setcc m8 (op_setcc: Go's bools in stack slots)
    UK_ADC_RR = 133     # adc r32, r32 (op_adc: 64-bit arithmetic)
    UK_CMPXCHG_MR = 134 # (lock) cmpxchg m32, r32 (op_cmpxchg: Go's CAS; flags as cmp eax, m)
    UK_XADD_MR = 135    # (lock) xadd m32, r32 (op_xadd; flags as add)
    UK_DIV_R = 136      # div r/m32 (op_div): edx:eax / r; flags untouched
    UK_DIV_M = 137
    UK_IDIV_R = 138     # idiv r/m32 (op_idiv)
    UK_IDIV_M = 139
    UK_CDQ = 140        # cdq (op_cwd, 32-bit)
    UK_CMP8_RR = 141    # cmp r8, r8 (op_cmp; flags: CC_SUB size 1, no locals)
    UK_CMP8_MR = 142    # cmp m8, r8 (Go's byte searches and comparisons)
    UK_CMP8_RM = 143    # cmp r8, m8
    UK_XCHG_RR = 144    # xchg r32, r32 (op_xchg: Go's compiler swaps registers with it)
    UK_XCHG_MR = 145    # xchg m32, r32 (a write tag needed)
    # inc/dec r32 that compute no CF (CFS_NONE, CFS_KEEP: fcf stays as it
    # is), chosen after the liveness pass
    UK_INC_R_NC = 146
    UK_DEC_R_NC = 147
    # a jcc straight after an 8-bit compare (PO_SUB8), not JP/JNP: the
    # condition from the locals moved to the top byte
    UK_JCC_SUB8 = 148
    # blk_exec's pending flags (pop) of an 8-bit compare (cmp m8, imm8;
    # cmp r8/m8, r8/m8): fa - fb = fr as the inline form or handler writes
    # them to Cpu (CC_SUB, size 1); not a CC_* (those are below 16)
    PO_SUB8 = 64
    # a fused inc/dec + jz/jnz whose CF is kept (CFS_KEEP) or 0 (CFS_ZERO)
    UK_F_INCZ = 149
    UK_F_DECZ = 150
    # shifts whose flags nothing sees (fl 0)
    UK_SHL_NF = 151
    UK_SHR_NF = 152
    UK_SAR_NF = 153
    # mov r32, m32 / mov m32, r32 without an index register: disp + base
    UK_MOV_RM_B = 154
    UK_MOV_MR_B = 155
    # a direct call whose target lies in the block's own page, followed by
    # blk_build (the block goes on with the callee's instructions): the push
    # of the return address, as FK_CALL's (the stop before it where the push
    # would leave the fast path); a direct jmp followed likewise has no uop
    # (its cycles and the taken-branch event are in the next uop's cpre)
    UK_CALL_IN = 160
    # ZF conditions (je/jz, jne/jnz, cmove, cmovne) of fused cmp r, imm and
    # test r, r and of the jcc/cmovcc that decide from the locals: fr == 0 (a
    # sub's fa == fb) without cond_sub32/cond_logic32's switch and its
    # indirect jump; chosen after the liveness pass (their fl, disp, imm as
    # the general kind's).  (Z forms of fused cmp r, r and test r, imm as
    # well cost quicksort and CRC32, which use none of them, a register GCC
    # then spills in every memory uop: not taken.)
    UK_F_CMPZ_RI = 162
    UK_F_TESTZ_RR = 163
    UK_JCC_SUBZ = 165
    UK_JCC_LOGICZ = 166
    UK_CMOVZ_SUB = 167
    UK_CMOVZ_LOGIC = 168
    # Go's other common conditions, likewise without the switch (strings
    # tests, dynamic uop counts: fused cmp r, imm + jbe/ja 12 M (bounds
    # and stack checks) and + jb/jae 6 M, cmp r, r + je/jne 12 M, the stack
    # check's jbe after cmp r, m 12 M, test r, r + jle/jg and jl/jge 9.5 M)
    UK_F_CMPBE_RI = 170 # cmp r, imm + jbe/ja (cc >> 1 == 3): fa <= fb
    UK_F_CMPB_RI = 171  # cmp r, imm + jb/jae (1): fa < fb
    UK_F_CMPZ_RR = 172  # cmp r, r + je/jne (2): fa == fb
    UK_JCC_SUBBE = 173  # jbe/ja after sub/cmp/neg (3): fa <= fb
    UK_F_TESTS_RR = 174 # test r, r + jl/jge (6): SF (OF is 0)
    UK_F_TESTSZ_RR = 175  # test r, r + jle/jg (7): ZF or SF
    # UK_MOV_RM_B / UK_MOV_MR_B through DS or SS: while that segment is paged
    # with base 0 (NetBSD's user DS/SS: base 0, limit VM_MAXUSER_ADDRESS - 1,
    # still checked) the segment's limit comes from a fixed slot of flim;
    # else (a based segment, a miss, a stop) the body of the general form
    UK_MOV_RM_DS = 176
    UK_MOV_MR_DS = 177
    UK_MOV_RM_SS = 178
    UK_MOV_MR_SS = 179
    # inc/dec: where CF (kept) comes from
    CFS_MEM = 0         # the lazy state in Cpu (as the inline form)
    CFS_ZERO = 1        # after a logic op: 0
    CFS_SUB = 2         # after sub/cmp/neg: fa < fb
    CFS_ADD = 3         # after add: fr < fa
    CFS_KEEP = 4        # after inc/dec: its kept CF (fcf)
    CFS_NONE = 5        # none: its flags are dead and no inc/dec after it keeps its CF

cdef inline bint uk_branch(int k) noexcept nogil:
    """An unconditional branch: the block ends after it."""
    return (k == FK_JMP or k == FK_CALL or k == FK_RET or
            k == FK_JMP_R or k == FK_CALL_R or k == FK_JMP_M or k == FK_CALL_M)

cdef inline bint uk_jcc(int k) noexcept nogil:
    return k == FK_JCC or (k >= UK_JCC_SUB and k <= UK_JCC_ZS) or k == UK_JCC_SUB8

cdef inline bint uk_exits(int k) noexcept nogil:
    """May the block stop at this uop (before it, or after it: jcc taken,
    branch, handler call)?"""
    return (k == FK_MOV_RM or k == FK_MOV_MR or k == FK_MOV_RM8 or k == FK_MOV_MR8 or
            k == FK_MOV_MI32 or k == FK_MOV_MI8 or k == FK_MOVZX_M8 or k == FK_MOVSX_M8 or
            k == FK_MOVSX_M16 or k == FK_MOVZX_M16 or k == FK_CMP_RM or k == FK_CMP_MR or
            k == FK_CMP_MI32 or k == FK_CMP_MI8 or (k >= FK_ADD_RM and k <= FK_XOR_RM) or
            (k >= FK_ADD_MR and k <= FK_XOR_MI) or k == FK_INC_M or k == FK_DEC_M or k == FK_PUSH_R or k == FK_POP_R or
            k == FK_PUSH_I or k == FK_PUSH_M or k == FK_LEAVE or uk_jcc(k) or uk_branch(k) or
            k == UK_CALLH or (k >= UK_TEST8_MR and k <= UK_IDIV_M and k != UK_ADC_RR) or
            k == UK_CMP8_MR or k == UK_CMP8_RM or k == UK_XCHG_MR or k == UK_CALL_IN)

cdef inline int uk_cc_op(int k) noexcept nogil:
    """The CC_* (or PO_SUB8) a uop leaves in its locals (fa fb fr), -1 if it
    writes the flags without locals (shifts, imul, handlers), -2 if it leaves
    them alone."""
    if k >= UK_F0 and k <= UK_F_LAST:
        k = k - UK_F0 + FK_ADD_RR
    if ((k >= FK_ADD_RR and k <= FK_ADD_RI) or k == FK_ADD_RM or k == FK_ADD_MR or
            k == FK_ADD_MI):
        return CC_ADD
    if ((k >= FK_SUB_RR and k <= FK_SUB_RI) or k == FK_SUB_RM or k == FK_SUB_MR or
            k == FK_SUB_MI or k == FK_CMP_RR or k == FK_CMP_RI or k == FK_CMP_RM or
            k == FK_CMP_MR or k == FK_CMP_MI32 or k == FK_NEG_R):
        return CC_SUB
    if ((k >= FK_AND_RR and k <= FK_XOR_RI) or k == FK_TEST_RR or k == FK_TEST_RI or
            (k >= FK_AND_RM and k <= FK_XOR_RM) or (k >= FK_AND_MR and k <= FK_XOR_MR) or
            (k >= FK_AND_MI and k <= FK_XOR_MI)):
        return CC_LOGIC
    if k == FK_INC_R or k == FK_INC_M:
        return CC_INC
    if k == FK_DEC_R or k == FK_DEC_M:
        return CC_DEC
    if k == UK_CMPXCHG_MR:
        return CC_SUB
    if k == UK_XADD_MR:
        return CC_ADD
    if k == FK_CMP_MI8 or (k >= UK_CMP8_RR and k <= UK_CMP8_RM):
        return PO_SUB8
    if (k == FK_SHL_RI or k == FK_SHR_RI or k == FK_SAR_RI or
            k == FK_IMUL_R or k == UK_CALLH or k == UK_TEST8_RR or k == UK_TEST8_MR or
            k == UK_ADC_RR):
        return -1
    return -2

cdef inline bint uk_reads_flags(const KwUop* u) noexcept nogil:
    """Does this uop read the flags from Cpu's lazy state?"""
    return (u.k == FK_JCC or u.k == FK_CMOV_RR or u.k == FK_SETCC_R8 or u.k == UK_CALLH or
            u.k == UK_SETCC_M8 or u.k == UK_ADC_RR or
            ((u.k == FK_INC_R or u.k == FK_DEC_R or u.k == FK_INC_M or u.k == FK_DEC_M or
              u.k == UK_F0 + FK_INC_R - FK_ADD_RR or u.k == UK_F0 + FK_DEC_R - FK_ADD_RR) and
             u.x == CFS_MEM))

cdef int blk_uop_kind(int k) noexcept nogil:
    """The uop for a dcache slot's inline form (fused ones split), UK_END if
    blocks do not take it."""
    if k >= FK_ADD_RR_JCC and k <= FK_XOR_RI_JCC:
        return k - FK_ADD_RR_JCC + FK_ADD_RR
    if k >= FK_CMP_RR_JCC and k <= FK_CMP_MI8_JCC:
        return k - FK_FUSED
    if k == FK_NOPS:
        return FK_NOP
    if k == FK_CALL_FN:
        return UK_CALLH
    if k == FK_NONE:
        return UK_END
    return k

cdef int blk_callh_kind(void* fn, const Insn* i) noexcept nogil:
    """The uop of its own for a data-only handler's instruction (UK_TEST8_RR
    ...), UK_CALLH if it has none."""
    cdef int k0, s0
    if fn == <void*>op_cwd:
        return UK_CDQ if i.opsize == 4 else UK_CALLH
    if i.adsize != 4 or i.nops < 1:
        return UK_CALLH
    k0 = i.ops[0].kind
    s0 = i.ops[0].size
    if fn == <void*>op_setcc:
        return UK_SETCC_M8 if k0 == OPK_MEM and s0 == 1 else UK_CALLH
    if fn == <void*>op_div or fn == <void*>op_idiv:
        if s0 != 4 or i.nops != 1:
            return UK_CALLH
        if k0 == OPK_REG:
            return UK_DIV_R if fn == <void*>op_div else UK_IDIV_R
        if k0 == OPK_MEM:
            return UK_DIV_M if fn == <void*>op_div else UK_IDIV_M
        return UK_CALLH
    if fn == <void*>op_cmp and s0 == 1 and i.nops == 2 and i.ops[1].size == 1:
        if k0 == OPK_REG and i.ops[1].kind == OPK_REG:
            return UK_CMP8_RR
        if k0 == OPK_MEM and i.ops[1].kind == OPK_REG:
            return UK_CMP8_MR
        if k0 == OPK_REG and i.ops[1].kind == OPK_MEM:
            return UK_CMP8_RM
        return UK_CALLH
    if i.nops != 2 or i.ops[1].kind != OPK_REG or i.ops[1].size != s0:
        return UK_CALLH
    if fn == <void*>op_test and s0 == 1:
        if k0 == OPK_REG:
            return UK_TEST8_RR
        if k0 == OPK_MEM:
            return UK_TEST8_MR
    if fn == <void*>op_adc and s0 == 4 and k0 == OPK_REG:
        return UK_ADC_RR
    if fn == <void*>op_xchg and s0 == 4:
        if k0 == OPK_REG:
            return UK_XCHG_RR
        if k0 == OPK_MEM:
            return UK_XCHG_MR
    if fn == <void*>op_cmpxchg and s0 == 4 and k0 == OPK_MEM:
        return UK_CMPXCHG_MR
    if fn == <void*>op_xadd and s0 == 4 and k0 == OPK_MEM:
        return UK_XADD_MR
    return UK_CALLH

cdef inline void blk_end_uop(KwBlk* bk, int n, uint32_t off, uint32_t csum, int ni) noexcept nogil:
    cdef KwUop* u = &bk.u[n]
    memset(u, 0, sizeof(KwUop))
    u.k = UK_END
    u.eoff = off
    u.cpre = csum
    u.idx = ni

cdef void blk_build(Cpu* c, KwBlk* bk, DEnt* e, uint32_t eip) noexcept nogil:
    """Translate the block starting at eip, whose (cached, inline) slot is e,
    into bk.  The page holding eip lies within the CS limit (cs_check 0)."""
    cdef uint32_t phys = <uint32_t>(e.tag >> 1)
    cdef uint32_t off = 0, ph, csum = 0, save_eip, sc
    cdef DEnt* s = e
    cdef DEnt* dc = c.m.dcache
    cdef KwUop* u
    cdef const Insn* ip
    cdef int n = 0, k, lp = -2, need, keep, i, op, t, ncall = 0, ni = 0, pk
    cdef int nfol = 0, nofuse = -1
    cdef bint fused = 0, follow = 0
    cdef int64_t tpo
    cdef uint32_t taken = c.cost_ev[EVC_BRANCH_TAKEN]
    bk.tag = e.tag
    bk.gen = c.m.code_gen[phys >> 12]
    bk.dgen = c.m.dc_gen
    while True:
        if n >= KW_BLK_MAX - 1 or csum > 60000 or ni >= 250:
            break       # (ni: KwUop.idx is 8 bits; elided nops add to it)
        k = blk_uop_kind(s.fast)
        if k == UK_CALLH:
            k = blk_callh_kind(s.fn, &s.insn)
        if k == UK_END or (k == UK_CALLH and ncall >= KW_BLK_NCALL):
            break
        ip = &s.insn
        u = &bk.u[n]
        memset(u, 0, sizeof(KwUop))
        u.eoff = off
        u.cpre = csum
        u.k = k
        u.len = ip.length
        u.r0 = ip.ops[0].reg
        u.r1 = ip.ops[1].reg
        # (an absent register reads Cpu.gpr[KW_REG_ZERO], always 0)
        u.base = ip.base if ip.base < 8 else KW_REG_ZERO
        u.index = ip.index if ip.index < 8 else KW_REG_ZERO
        sc = ip.scale
        u.shift = 0 if sc <= 1 or ip.index >= 8 else (1 if sc == 2 else (2 if sc == 4 else 3))
        u.seg = ip.seg
        u.cc = ip.cc & 15
        u.imm = ip.imm
        u.disp = ip.disp
        u.idx = ni
        if k == FK_JCC or k == FK_JMP or k == FK_CALL:
            u.imm = off + ip.length + ip.imm     # the target's offset from the block's EIP
        pk = bk.u[n - 1].k if n > 0 else -1
        if k == FK_NOP and not (uk_jcc(pk) or (pk >= UK_F0 and pk <= UK_F_LAST) or
                                pk == UK_CALLH):
            # no uop: a nop cannot stop the block, so its cycles, length and
            # retired count go into the boundaries (eoff, cpre, idx) of the
            # uops after it, as a fused jcc's do; not straight after a uop
            # that leaves the block or stops at the boundary after it (a
            # taken jcc, a handler call: the next uop's eoff, cpre and idx)
            csum += s.cycles
            ni += 1
            off += ip.length
            fused = 1
        elif k == UK_CALLH:
            u.x = ncall
            bk.fns[ncall] = s.fn
            memcpy(&bk.ins[ncall], ip, sizeof(Insn))
            ncall += 1
        elif k == FK_IMUL_R:
            u.x = ip.nops
        elif k == FK_INC_R or k == FK_DEC_R or k == FK_INC_M or k == FK_DEC_M:
            if lp == CC_LOGIC:
                u.x = CFS_ZERO
            elif lp == CC_SUB:
                u.x = CFS_SUB
            elif lp == CC_ADD:
                u.x = CFS_ADD
            elif lp == CC_INC or lp == CC_DEC:
                u.x = CFS_KEEP
            else:
                u.x = CFS_MEM
        elif k == FK_JCC:
            t = u.cc >> 1
            pk = bk.u[n - 1].k if n > 0 and n != nofuse else -1
            tpo = <int64_t>(phys & 0xFFF) + <int32_t>u.imm
            if (pk >= FK_ADD_RR and pk <= FK_DEC_R and tpo >= 0 and tpo < 4096 and
                    ((pk != FK_INC_R and pk != FK_DEC_R) or t == 2 or t == 4)):
                # fuse into the producer just before it (see UK_F0)
                bk.u[n - 1].k = UK_F0 + pk - FK_ADD_RR
                bk.u[n - 1].cc = u.cc
                bk.u[n - 1].disp = <int32_t>u.imm
                csum += s.cycles
                ni += 1
                off += ip.length
                fused = 1       # (no uop of its own)
            elif lp == CC_SUB:
                u.k = UK_JCC_SUB
            elif lp == CC_LOGIC:
                u.k = UK_JCC_LOGIC
            elif lp == CC_ADD:
                u.k = UK_JCC_ADD
            elif (lp == CC_INC or lp == CC_DEC) and (t == 2 or t == 4):
                u.k = UK_JCC_ZS
            elif lp == PO_SUB8 and t != 5:
                u.k = UK_JCC_SUB8
        elif k == FK_CMOV_RR:
            if lp == CC_SUB:
                u.k = UK_CMOV_SUB
            elif lp == CC_LOGIC:
                u.k = UK_CMOV_LOGIC
        if ((k == FK_JMP or k == FK_CALL) and u.imm != 0 and nfol < KW_BLK_FOLLOW and
                n < KW_BLK_MAX - 2):
            # a direct jmp/call into this page (not to the block's start: that
            # is a loop): the block goes on at its target (UK_CALL_IN)
            tpo = <int64_t>(phys & 0xFFF) + <int32_t>u.imm
            follow = tpo >= 0 and tpo < 4096
        op = uk_cc_op(k)
        if op != -2:
            lp = op
        if follow:
            # the branch's cycles and the taken-branch event (as the exit at
            # a branch adds) in the next uop's cpre
            if k == FK_CALL:
                u.k = UK_CALL_IN
                n += 1
            elif n > 0 and (uk_jcc(bk.u[n - 1].k) or bk.u[n - 1].k == UK_CALLH or
                            (bk.u[n - 1].k >= UK_F0 and bk.u[n - 1].k <= UK_F_LAST)):
                # a side exit (or a handler call's stop) just before it uses
                # the next uop's boundary: a nop uop holds the one before the jmp
                u.k = FK_NOP
                n += 1
            csum += s.cycles + taken
            ni += 1
            off = u.imm
            nfol += 1
            nofuse = n      # (no jcc fused across it)
            follow = 0
        else:
            if not fused:
                csum += s.cycles
                ni += 1
                off += ip.length
                n += 1
            fused = 0
            if uk_branch(k):
                break
        # the next instruction: its slot in the same physical page, decoded
        # ahead where at least 16 bytes of the page remain (no page-crossing
        # decode, so decode_fill cannot fault)
        ph = phys + off
        if (ph ^ phys) >> 12:
            break
        s = &dc[ph & (KW_DC_SIZE - 1)]
        if s.tag != KW_DC_KEY(ph, 1):
            if 4096 - (ph & 0xFFF) < 16 or ph >= c.m.mem_size:
                break
            save_eip = c.eip
            c.eip = eip + off
            s = decode_fill(c, s, c.seg[SEG_CS].base + eip + off, ph)
            c.eip = save_eip
            if s == NULL or s.tag != KW_DC_KEY(ph, 1):
                break
    blk_end_uop(bk, n, off, csum, ni)
    bk.n = ni
    bk.csum = csum
    # flag liveness, backwards: the lazy state must be in Cpu at the block's
    # end and wherever a uop may stop the block or reads it from there
    # (keep: the next producer is an inc/dec that keeps this one's CF)
    need = 1
    keep = 0
    i = n - 1
    while i >= 0:
        u = &bk.u[i]
        if uk_cc_op(u.k) != -2:
            u.fl = need
            need = 0
            if ((u.k == FK_INC_R or u.k == FK_DEC_R or u.k == FK_INC_M or u.k == FK_DEC_M)
                    and not u.fl and not keep):
                u.x = CFS_NONE      # no CF to compute: nothing can see it
            keep = ((u.k == FK_INC_R or u.k == FK_DEC_R or u.k == FK_INC_M or
                     u.k == FK_DEC_M or u.k == UK_F0 + FK_INC_R - FK_ADD_RR or
                     u.k == UK_F0 + FK_DEC_R - FK_ADD_RR) and u.x == CFS_KEEP)
        if uk_reads_flags(u) or uk_exits(u.k):
            need = 1
        i -= 1
    # branches whose taken target is the block's own start (fl & 2: blk_exec
    # loops without leaving the uop; a fused producer's fl is not used else)
    for i in range(n):
        u = &bk.u[i]
        if (u.k == FK_INC_R or u.k == FK_DEC_R) and (u.x == CFS_NONE or u.x == CFS_KEEP):
            u.k = UK_INC_R_NC if u.k == FK_INC_R else UK_DEC_R_NC
        if (((u.k >= UK_F0 and u.k <= UK_F_LAST) and u.disp == 0) or
                ((uk_jcc(u.k) or u.k == FK_JMP) and u.imm == 0)):
            u.fl = 2
        if ((u.k == UK_F0 + FK_INC_R - FK_ADD_RR or u.k == UK_F0 + FK_DEC_R - FK_ADD_RR) and
                (u.cc >> 1) == 2 and (u.x == CFS_KEEP or u.x == CFS_ZERO)):
            u.k = UK_F_INCZ if u.k == UK_F0 + FK_INC_R - FK_ADD_RR else UK_F_DECZ
        elif (u.k == FK_SHL_RI or u.k == FK_SHR_RI or u.k == FK_SAR_RI) and u.fl == 0:
            u.k = UK_SHL_NF + (u.k - FK_SHL_RI)
        elif (u.k == FK_MOV_RM or u.k == FK_MOV_MR) and u.index == KW_REG_ZERO:
            if u.seg == SEG_DS:
                u.k = UK_MOV_RM_DS if u.k == FK_MOV_RM else UK_MOV_MR_DS
            elif u.seg == SEG_SS:
                u.k = UK_MOV_RM_SS if u.k == FK_MOV_RM else UK_MOV_MR_SS
            else:
                u.k = UK_MOV_RM_B if u.k == FK_MOV_RM else UK_MOV_MR_B
        elif (u.cc >> 1) == 2 and (u.k == UK_F_CMP_RI or u.k == UK_F_TEST_RR):
            u.k = UK_F_CMPZ_RI if u.k == UK_F_CMP_RI else UK_F_TESTZ_RR
        elif u.k == UK_F_CMP_RI and ((u.cc >> 1) == 3 or (u.cc >> 1) == 1):
            u.k = UK_F_CMPBE_RI if (u.cc >> 1) == 3 else UK_F_CMPB_RI
        elif u.k == UK_F_CMP_RR and (u.cc >> 1) == 2:
            u.k = UK_F_CMPZ_RR
        elif u.k == UK_JCC_SUB and (u.cc >> 1) == 3:
            u.k = UK_JCC_SUBBE
        elif u.k == UK_F_TEST_RR and ((u.cc >> 1) == 6 or (u.cc >> 1) == 7):
            u.k = UK_F_TESTS_RR if (u.cc >> 1) == 6 else UK_F_TESTSZ_RR
        elif (u.cc >> 1) == 2 and (u.k == UK_JCC_SUB or u.k == UK_JCC_LOGIC):
            u.k = UK_JCC_SUBZ if u.k == UK_JCC_SUB else UK_JCC_LOGICZ
        elif (u.cc >> 1) == 2 and (u.k == UK_CMOV_SUB or u.k == UK_CMOV_LOGIC):
            u.k = UK_CMOVZ_SUB if u.k == UK_CMOV_SUB else UK_CMOVZ_LOGIC
    # the labels of the final kinds (the final UK_END's too)
    for i in range(n + 1):
        bk.u[i].lab = kw_tab[bk.u[i].k]


cdef inline uint32_t blk_cf_mem(Cpu* c) noexcept nogil:
    """CF from the lazy state (what an inc/dec keeps), common cases inline."""
    if c.cc_op == CC_LOGIC:
        return 0
    if c.cc_op == CC_SUB and c.cc_size == 4:
        return c.cc_dst < c.cc_src
    if c.cc_op == CC_ADD and c.cc_size == 4:
        return c.cc_res < c.cc_dst
    if c.cc_op == CC_INC or c.cc_op == CC_DEC:
        return c.cc_aux
    if c.cc_op == CC_SUB and c.cc_size == 1:
        return (c.cc_dst & 0xFF) < (c.cc_src & 0xFF)
    return get_cf(c)



# Threaded dispatch (prototype, branch "threaded"): every uop kind with its own
# case in blk_exec also carries a C label (kw_lab), and a case that goes on to
# the next uop jumps straight to that uop's label through a table of label
# addresses (GCC labels-as-values: one indirect jump per case, so the branch
# predictor sees which uop kind follows which) instead of going back through
# the one shared switch.  Kinds without a label (UK_END) map to kwl_gen, the
# switch at the top of the loop.  Cython cannot emit labels, so these are C
# macros called as statements inside the Cython function; the table is static
# in blk_exec, filled once at import by blk_exec(NULL, ...) (the label addresses
# are constants of the function; no other thread can run a block before that).
cdef extern from * nogil:
    """
    #define KW_LAB(kind) kwl_##kind: ;
    #define KW_GEN() kwl_gen: ;
    /* direct threading: each uop holds its label (KwUop.lab = kw_tab[k],
       set by blk_build), so going on is one load and one indirect jump; kv
       (blk_exec's k) is not set: a body shared by several kinds reads u.k */
    #define KW_NEXT(up, kv) do { (up)++; goto *(up)->lab; } while (0)
    #define KW_DISP(up, kv) do { goto *(up)->lab; } while (0)
    static void* kw_tab[256];
    #define KW_TAB_BEGIN(bkp) \
        if (!(bkp)) { for (int kw_i = 0; kw_i < 256; kw_i++) kw_tab[kw_i] = &&kwl_gen;
    #define KW_TE(kind) kw_tab[(kind)] = &&kwl_##kind;
    #define KW_TAB_END() return 0; }
    #define KW_LAB_LOOP() kwl_loop: ;
    #define KW_GOTO_LOOP() goto kwl_loop
    #define KW_LAB_OUT() kwl_out: ;
    #define KW_GOTO_OUT() goto kwl_out
    """
    void kw_lab "KW_LAB" (int kind)
    void kw_gen "KW_GEN" ()
    void kw_next "KW_NEXT" (KwUop* u, int k)
    void kw_disp "KW_DISP" (KwUop* u, int k)
    void kw_tab_begin "KW_TAB_BEGIN" (KwBlk* bk)
    void kw_te "KW_TE" (int kind)
    void kw_tab_end "KW_TAB_END" ()
    void kw_lab_loop "KW_LAB_LOOP" ()
    void kw_goto_loop "KW_GOTO_LOOP" ()
    void kw_lab_out "KW_LAB_OUT" ()
    void kw_goto_out "KW_GOTO_OUT" ()
    void** kw_tab

cdef inline void blk_flush(Cpu* c, int pop, uint32_t fa, uint32_t fb, uint32_t fr,
                           uint32_t fcf) noexcept nogil:
    """Write the pending flags (blk_exec's locals: the last flag producer's
    operands fa, fb, result fr, kept CF fcf of an inc/dec, CC_* pop) to Cpu's
    lazy state, as that producer's inline form writes them."""
    if pop == CC_LOGIC:
        set_cc(c, CC_LOGIC, 4, 0, 0, fr)
    elif pop == PO_SUB8:
        set_cc(c, CC_SUB, 1, fa, fb, fr)
    elif pop == CC_INC or pop == CC_DEC:
        c.cc_aux = fcf
        c.cc_op = pop
        c.cc_size = 4
        c.cc_dst = fa
        c.cc_src = 1
        c.cc_res = fr
    else:
        set_cc(c, pop, 4, fa, fb, fr)

cdef inline uint32_t blk_cf_pend(int pop, uint32_t fa, uint32_t fb, uint32_t fr,
                                 uint32_t fcf) noexcept nogil:
    """CF of the pending flags (pop != 0)."""
    if pop == CC_SUB:
        return fa < fb
    if pop == CC_ADD:
        return fr < fa
    if pop == CC_LOGIC:
        return 0
    if pop == PO_SUB8:
        return (fa & 0xFF) < (fb & 0xFF)
    return fcf          # inc/dec: the CF it kept

cdef inline void blk_flim(Cpu* c, int64_t* fl, uint32_t* fb) noexcept nogil:
    """blk_exec's segment tables for KW_BHOSTR/W: a paged segment's limit
    (-1 for one that is not paged: every access takes the ordinary path, and
    for SS when the stack is 16-bit: pushes and pops use SP there) and the
    bases.  Only a handler call (UK_CALLH) can change segments or SS.B inside
    blk_exec: the tables are made again after one."""
    cdef int s
    for s in range(6):
        fl[s] = <int64_t>c.seg[s].limit if c.seg[s].paged else -1
        fb[s] = c.seg[s].base
    if not c.stack32:
        fl[SEG_SS] = -1
    fl[KW_FL_DS0] = fl[SEG_DS] if fb[SEG_DS] == 0 else -1
    fl[KW_FL_SS0] = fl[SEG_SS] if fb[SEG_SS] == 0 else -1

cdef int blk_stop(Cpu* c, KwBlk* bk, KwUop* u, uint32_t eip0, uint64_t cyc, uint64_t r,
                  uint32_t* peip, uint64_t* pr, int pop, uint32_t fa, uint32_t fb, uint32_t fr,
                  uint32_t fcf) noexcept nogil:
    """Stop before uop u: the state of that instruction boundary (the
    pending flags, if any, written to Cpu)."""
    if pop:
        blk_flush(c, pop, fa, fb, fr, fcf)
    c.cycles = cyc + u.cpre
    peip[0] = eip0 + u.eoff
    pr[0] = r + u.idx
    return 1


cdef extern from * nogil:
    """
    /* a block's code_gen and dc_gen as one 64-bit value for the chain's one
       compare (KwBlk's adjacent fields: one load on a little-endian host) */
    #define KW_BLK_GD(bk) ((uint64_t)(bk)->gen | ((uint64_t)(bk)->dgen << 32))
    /* a taken exit of a block, u the uop after it (UK_END: u itself): when
       the successor at nxt is a current block in the code page that fits,
       retire up to u, make it the block and jump straight to its first
       uop's label, from this exit's own indirect jump (each exit kind has
       its own, so the branch predictor sees which block follows which
       exit); else nothing (the caller's break: the end of blk_exec's loop,
       which tries the other cases).  The checks are those of that end. */
    #define KW_CHAIN(up, kv, bk, blocks, nxt, eip0, pdelta, ppage, pgd, cyc, r, rb, clim, rmax, cmax) do { \
        uint32_t kw_ph = (nxt) + (pdelta); \
        uint64_t kw_c = (cyc) + (up)->cpre, kw_r = (r) + (up)->idx; \
        __typeof__(bk) kw_nb = &(blocks)[KW_BLK_HASH(kw_ph)]; \
        if (KW_LIKELY((kw_ph & 0xFFFFF000u) == (ppage) && kw_nb->tag == KW_DC_KEY(kw_ph, 1) \
                      && KW_BLK_GD(kw_nb) == (pgd) && (uint64_t)kw_nb->n - 1 < (rb) - kw_r \
                      && kw_c + kw_nb->csum < (clim))) { \
            (cyc) = kw_c; (r) = kw_r; (bk) = kw_nb; (eip0) = (nxt); \
            (rmax) = (rb) - kw_nb->n; (cmax) = (clim) - kw_nb->csum; \
            (up) = &kw_nb->u[0]; goto *(up)->lab; \
        } } while (0)
    """
    uint64_t blk_gd "KW_BLK_GD" (KwBlk* bk)
    void kw_chain "KW_CHAIN" (KwUop* u, int k, KwBlk* bk, KwBlk* blocks, uint32_t nxt, uint32_t eip0,
                              uint32_t pdelta, uint32_t ppage, uint64_t pgd, uint64_t cyc, uint64_t r,
                              uint64_t rb, uint64_t clim, uint64_t rmax, uint64_t cmax)

cdef int blk_exec(Cpu* c, KwBlk* bk, uint32_t* peip, uint64_t* pr, uint64_t rb) noexcept nogil:
    """Run block bk at EIP *peip (the caller checked budget and attention
    threshold for it) and the blocks it chains to in the same code page.
    Updates c.cycles, *peip and *pr (retired).  Returns 0 at a block
    boundary, 1 when it stopped inside a block (the instruction at *peip is
    for the ordinary path), 2 when a handler faulted (exception pending, for
    the instruction at c.eip, *peip set to it)."""
    # the table of label addresses, filled once at import (blk_exec(NULL, ...)
    # at the end of this file) and only read after that
    kw_tab_begin(bk)
    kw_te(FK_MOV_RR)
    kw_te(FK_MOV_RI)
    kw_te(FK_MOV_RM)
    kw_te(FK_MOV_MR)
    kw_te(UK_MOV_RM_B)
    kw_te(UK_MOV_MR_B)
    kw_te(UK_MOV_RM_DS)
    kw_te(UK_MOV_MR_DS)
    kw_te(UK_MOV_RM_SS)
    kw_te(UK_MOV_MR_SS)
    kw_te(FK_LEA)
    kw_te(FK_NOP)
    kw_te(FK_ADD_RR)
    kw_te(FK_ADD_RI)
    kw_te(FK_SUB_RR)
    kw_te(FK_SUB_RI)
    kw_te(FK_CMP_RR)
    kw_te(FK_CMP_RI)
    kw_te(FK_AND_RR)
    kw_te(FK_AND_RI)
    kw_te(FK_OR_RR)
    kw_te(FK_OR_RI)
    kw_te(FK_XOR_RR)
    kw_te(FK_XOR_RI)
    kw_te(FK_TEST_RR)
    kw_te(FK_TEST_RI)
    kw_te(FK_INC_R)
    kw_te(FK_DEC_R)
    kw_te(UK_INC_R_NC)
    kw_te(UK_DEC_R_NC)
    kw_te(FK_SHL_RI)
    kw_te(FK_SHR_RI)
    kw_te(FK_SAR_RI)
    kw_te(FK_NEG_R)
    kw_te(FK_NOT_R)
    kw_te(FK_MOVZX_R8)
    kw_te(FK_IMUL_R)
    kw_te(FK_CMOV_RR)
    kw_te(UK_CMOV_SUB)
    kw_te(UK_CMOV_LOGIC)
    kw_te(FK_SETCC_R8)
    kw_te(FK_MOV_RM8)
    kw_te(FK_MOVZX_M8)
    kw_te(FK_MOVSX_M8)
    kw_te(FK_CMP_MI8)
    kw_te(FK_MOVSX_M16)
    kw_te(FK_MOVZX_M16)
    kw_te(FK_MOV_MR8)
    kw_te(FK_MOV_MI8)
    kw_te(FK_MOV_MI32)
    kw_te(FK_CMP_RM)
    kw_te(FK_CMP_MR)
    kw_te(FK_CMP_MI32)
    kw_te(FK_ADD_RM)
    kw_te(FK_SUB_RM)
    kw_te(FK_AND_RM)
    kw_te(FK_OR_RM)
    kw_te(FK_XOR_RM)
    kw_te(FK_ADD_MR)
    kw_te(FK_SUB_MR)
    kw_te(FK_AND_MR)
    kw_te(FK_OR_MR)
    kw_te(FK_XOR_MR)
    kw_te(FK_ADD_MI)
    kw_te(FK_SUB_MI)
    kw_te(FK_AND_MI)
    kw_te(FK_OR_MI)
    kw_te(FK_XOR_MI)
    kw_te(FK_INC_M)
    kw_te(FK_DEC_M)
    kw_te(FK_PUSH_R)
    kw_te(FK_PUSH_I)
    kw_te(FK_PUSH_M)
    kw_te(FK_POP_R)
    kw_te(FK_LEAVE)
    kw_te(UK_CALLH)
    kw_te(UK_TEST8_RR)
    kw_te(UK_TEST8_MR)
    kw_te(UK_SETCC_M8)
    kw_te(UK_ADC_RR)
    kw_te(UK_CMPXCHG_MR)
    kw_te(UK_XADD_MR)
    kw_te(UK_DIV_R)
    kw_te(UK_DIV_M)
    kw_te(UK_IDIV_R)
    kw_te(UK_IDIV_M)
    kw_te(UK_CDQ)
    kw_te(UK_CMP8_RR)
    kw_te(UK_CMP8_MR)
    kw_te(UK_CMP8_RM)
    kw_te(UK_XCHG_RR)
    kw_te(UK_XCHG_MR)
    kw_te(UK_CALL_IN)
    kw_te(UK_F_ADD_RR)
    kw_te(UK_F_ADD_RI)
    kw_te(UK_F_SUB_RR)
    kw_te(UK_F_SUB_RI)
    kw_te(UK_F_AND_RR)
    kw_te(UK_F_AND_RI)
    kw_te(UK_F_OR_RR)
    kw_te(UK_F_OR_RI)
    kw_te(UK_F_XOR_RR)
    kw_te(UK_F_XOR_RI)
    kw_te(UK_F_CMP_RR)
    kw_te(UK_F_CMP_RI)
    kw_te(UK_F_TEST_RR)
    kw_te(UK_F_TEST_RI)
    kw_te(UK_F_INC_R)
    kw_te(UK_F_DEC_R)
    kw_te(UK_F_INCZ)
    kw_te(UK_F_CMPZ_RI)
    kw_te(UK_F_TESTZ_RR)
    kw_te(UK_JCC_SUBZ)
    kw_te(UK_JCC_LOGICZ)
    kw_te(UK_CMOVZ_SUB)
    kw_te(UK_CMOVZ_LOGIC)
    kw_te(UK_F_DECZ)
    kw_te(UK_F_CMPBE_RI)
    kw_te(UK_F_CMPB_RI)
    kw_te(UK_F_CMPZ_RR)
    kw_te(UK_JCC_SUBBE)
    kw_te(UK_F_TESTS_RR)
    kw_te(UK_F_TESTSZ_RR)
    kw_te(UK_SHL_NF)
    kw_te(UK_SHR_NF)
    kw_te(UK_SAR_NF)
    kw_te(UK_JCC_SUB)
    kw_te(UK_JCC_LOGIC)
    kw_te(UK_JCC_ZS)
    kw_te(UK_JCC_SUB8)
    kw_te(UK_JCC_ADD)
    kw_te(FK_JCC)
    kw_te(FK_JMP)
    kw_te(FK_CALL)
    kw_te(FK_CALL_R)
    kw_te(FK_CALL_M)
    kw_te(FK_RET)
    kw_te(FK_JMP_R)
    kw_te(FK_JMP_M)
    kw_te(UK_END)
    kw_tab_end()
    cdef uint32_t* g = c.gpr
    cdef KwUop* u
    cdef KwBlk* blocks = <KwBlk*>c.m.blocks
    cdef uint32_t eip0 = peip[0], a, b, d, ea, fa = 0, fb = 0, fr = 0, fcf = 0, nxt = 0
    cdef uint32_t lin, ph, cs_base = c.seg[SEG_CS].base, cs_lim = c.seg[SEG_CS].limit
    cdef uint32_t ppage = (<uint32_t>(bk.tag >> 1)) & 0xFFFFF000u
    cdef uint32_t taken = c.cost_ev[EVC_BRANCH_TAKEN]
    cdef uint64_t cyc = c.cycles, r = pr[0], attn = c.attn
    # (the caller checked that bk fits: r + n <= rb, cycles + csum + taken < attn)
    cdef uint64_t clim = attn - taken, rmax = r, cmax = 0
    # the chain (see its end): physical address = EIP + pdelta in the code
    # page ppage; pgd its blocks' code_gen | dc_gen << 32
    cdef uint32_t pdelta = ppage + cs_base - ((cs_base + eip0) & 0xFFFFF000u)
    cdef uint64_t pgd
    cdef uint8_t* hp
    cdef TlbEnt* tlb = c.m.tlb[c.user]
    cdef TlbEnt* te
    cdef int k, t
    cdef int64_t p64
    cdef uint64_t q64
    cdef int64_t flim[8]
    cdef uint32_t fbase[6]
    # pending flags: CC_* of the last flag producer whose operands and result
    # are in fa fb fr (fcf), not yet written to Cpu; 0: Cpu's lazy state is
    # current.  Written (blk_flush) only where something can see it: a stop,
    # a handler call, a uop that reads the flags from Cpu, the return.
    cdef int pop = 0
    blk_flim(c, flim, fbase)
    pgd = blk_gd(bk)
    rmax = rb - bk.n
    cmax = clim - bk.csum
    while True:
        u = &bk.u[0]
        kw_disp(u, k)       # straight to the first uop's label
        # a taken branch back to the block's own start (KwUop.fl & 2) comes
        # here: retire the block up to the branch and go on with it while it
        # still fits, as the end of the loop below does for any successor
        kw_lab_loop()
        cyc += u[1].cpre + taken
        r += u[1].idx
        if r > rmax or cyc >= cmax:
            nxt = eip0
            kw_goto_out()
        u = &bk.u[0]
        kw_disp(u, k)
        while True:
            kw_gen()
            k = u.k
            if k == FK_NOP:
                kw_lab(FK_NOP)
                kw_next(u, k)
            elif k == FK_MOV_RR:
                kw_lab(FK_MOV_RR)
                g[u.r0] = g[u.r1]
                kw_next(u, k)
            elif k == FK_MOV_RI:
                kw_lab(FK_MOV_RI)
                g[u.r0] = u.imm
                kw_next(u, k)
            elif k == FK_MOV_RM:
                kw_lab(FK_MOV_RM)
                ea = uea(g, u)
                hp = bhost_r(flim, fbase, tlb, u.seg, ea, 4)
                if hp == NULL:
                    return blk_stop(c, bk, u, eip0, cyc, r, peip, pr, pop, fa, fb, fr, fcf)
                memcpy(&g[u.r0], hp, 4)
                kw_next(u, k)
            elif k == FK_MOV_MR:
                kw_lab(FK_MOV_MR)
                ea = uea(g, u)
                hp = bhost_w(flim, fbase, tlb, u.seg, ea, 4)
                if hp == NULL:
                    return blk_stop(c, bk, u, eip0, cyc, r, peip, pr, pop, fa, fb, fr, fcf)
                memcpy(hp, &g[u.r1], 4)
                kw_next(u, k)
            elif k == UK_MOV_RM_B:
                kw_lab(UK_MOV_RM_B)
                ea = <uint32_t>u.disp + g[u.base]
                hp = bhost_r(flim, fbase, tlb, u.seg, ea, 4)
                if hp == NULL:
                    return blk_stop(c, bk, u, eip0, cyc, r, peip, pr, pop, fa, fb, fr, fcf)
                memcpy(&g[u.r0], hp, 4)
                kw_next(u, k)
            elif k == UK_MOV_MR_B:
                kw_lab(UK_MOV_MR_B)
                ea = <uint32_t>u.disp + g[u.base]
                hp = bhost_w(flim, fbase, tlb, u.seg, ea, 4)
                if hp == NULL:
                    return blk_stop(c, bk, u, eip0, cyc, r, peip, pr, pop, fa, fb, fr, fcf)
                memcpy(hp, &g[u.r1], 4)
                kw_next(u, k)
            elif k == UK_MOV_RM_DS:
                kw_lab(UK_MOV_RM_DS)
                ea = <uint32_t>u.disp + g[u.base]
                hp = bhost0_r(flim[KW_FL_DS0], tlb, ea, 4)
                if unlikely(hp == NULL):     # based, not paged, a miss: as UK_MOV_RM_B
                    hp = bhost_r(flim, fbase, tlb, u.seg, ea, 4)
                    if hp == NULL:
                        return blk_stop(c, bk, u, eip0, cyc, r, peip, pr, pop, fa, fb, fr, fcf)
                memcpy(&g[u.r0], hp, 4)
                kw_next(u, k)
            elif k == UK_MOV_MR_DS:
                kw_lab(UK_MOV_MR_DS)
                ea = <uint32_t>u.disp + g[u.base]
                hp = bhost0_w(flim[KW_FL_DS0], tlb, ea, 4)
                if unlikely(hp == NULL):     # based, not paged, a miss: as UK_MOV_MR_B
                    hp = bhost_w(flim, fbase, tlb, u.seg, ea, 4)
                    if hp == NULL:
                        return blk_stop(c, bk, u, eip0, cyc, r, peip, pr, pop, fa, fb, fr, fcf)
                memcpy(hp, &g[u.r1], 4)
                kw_next(u, k)
            elif k == UK_MOV_RM_SS:
                kw_lab(UK_MOV_RM_SS)
                ea = <uint32_t>u.disp + g[u.base]
                hp = bhost0_r(flim[KW_FL_SS0], tlb, ea, 4)
                if unlikely(hp == NULL):     # based, not paged, a miss: as UK_MOV_RM_B
                    hp = bhost_r(flim, fbase, tlb, u.seg, ea, 4)
                    if hp == NULL:
                        return blk_stop(c, bk, u, eip0, cyc, r, peip, pr, pop, fa, fb, fr, fcf)
                memcpy(&g[u.r0], hp, 4)
                kw_next(u, k)
            elif k == UK_MOV_MR_SS:
                kw_lab(UK_MOV_MR_SS)
                ea = <uint32_t>u.disp + g[u.base]
                hp = bhost0_w(flim[KW_FL_SS0], tlb, ea, 4)
                if unlikely(hp == NULL):     # based, not paged, a miss: as UK_MOV_MR_B
                    hp = bhost_w(flim, fbase, tlb, u.seg, ea, 4)
                    if hp == NULL:
                        return blk_stop(c, bk, u, eip0, cyc, r, peip, pr, pop, fa, fb, fr, fcf)
                memcpy(hp, &g[u.r1], 4)
                kw_next(u, k)
            elif k == FK_LEA:
                kw_lab(FK_LEA)
                g[u.r0] = uea(g, u)
                kw_next(u, k)
            elif k == FK_ADD_RR:
                kw_lab(FK_ADD_RR)
                fa = g[u.r0]
                fb = g[u.r1]
                fr = fa + fb
                g[u.r0] = fr
                pop = CC_ADD
                kw_next(u, k)
            elif k == FK_ADD_RI:
                kw_lab(FK_ADD_RI)
                fa = g[u.r0]
                fb = u.imm
                fr = fa + fb
                g[u.r0] = fr
                pop = CC_ADD
                kw_next(u, k)
            elif k == FK_SUB_RR:
                kw_lab(FK_SUB_RR)
                fa = g[u.r0]
                fb = g[u.r1]
                fr = fa - fb
                g[u.r0] = fr
                pop = CC_SUB
                kw_next(u, k)
            elif k == FK_SUB_RI:
                kw_lab(FK_SUB_RI)
                fa = g[u.r0]
                fb = u.imm
                fr = fa - fb
                g[u.r0] = fr
                pop = CC_SUB
                kw_next(u, k)
            elif k == FK_CMP_RR:
                kw_lab(FK_CMP_RR)
                fa = g[u.r0]
                fb = g[u.r1]
                fr = fa - fb
                pop = CC_SUB
                kw_next(u, k)
            elif k == FK_CMP_RI:
                kw_lab(FK_CMP_RI)
                fa = g[u.r0]
                fb = u.imm
                fr = fa - fb
                pop = CC_SUB
                kw_next(u, k)
            elif k == FK_AND_RR:
                kw_lab(FK_AND_RR)
                fr = g[u.r0] & g[u.r1]
                g[u.r0] = fr
                pop = CC_LOGIC
                kw_next(u, k)
            elif k == FK_AND_RI:
                kw_lab(FK_AND_RI)
                fr = g[u.r0] & u.imm
                g[u.r0] = fr
                pop = CC_LOGIC
                kw_next(u, k)
            elif k == FK_OR_RR:
                kw_lab(FK_OR_RR)
                fr = g[u.r0] | g[u.r1]
                g[u.r0] = fr
                pop = CC_LOGIC
                kw_next(u, k)
            elif k == FK_OR_RI:
                kw_lab(FK_OR_RI)
                fr = g[u.r0] | u.imm
                g[u.r0] = fr
                pop = CC_LOGIC
                kw_next(u, k)
            elif k == FK_XOR_RR:
                kw_lab(FK_XOR_RR)
                fr = g[u.r0] ^ g[u.r1]
                g[u.r0] = fr
                pop = CC_LOGIC
                kw_next(u, k)
            elif k == FK_XOR_RI:
                kw_lab(FK_XOR_RI)
                fr = g[u.r0] ^ u.imm
                g[u.r0] = fr
                pop = CC_LOGIC
                kw_next(u, k)
            elif k == FK_TEST_RR:
                kw_lab(FK_TEST_RR)
                fr = g[u.r0] & g[u.r1]
                pop = CC_LOGIC
                kw_next(u, k)
            elif k == FK_TEST_RI:
                kw_lab(FK_TEST_RI)
                fr = g[u.r0] & u.imm
                pop = CC_LOGIC
                kw_next(u, k)
            elif k == FK_INC_R or k == FK_DEC_R:
                kw_lab(FK_INC_R)
                kw_lab(FK_DEC_R)
                k = u.k            # (the threaded dispatch does not set it)
                a = g[u.r0]
                t = u.x
                if t == CFS_ZERO:
                    fcf = 0
                elif t == CFS_SUB:
                    fcf = fa < fb
                elif t == CFS_ADD:
                    fcf = fr < fa
                elif t == CFS_MEM:
                    fcf = blk_cf_pend(pop, fa, fb, fr, fcf) if pop else blk_cf_mem(c)
                # (CFS_KEEP: fcf as the inc/dec before left it; CFS_NONE: dead)
                fa = a
                fr = a + 1 if k == FK_INC_R else a - 1
                g[u.r0] = fr
                pop = CC_INC if k == FK_INC_R else CC_DEC
                kw_next(u, k)
            elif k == UK_INC_R_NC:
                kw_lab(UK_INC_R_NC)
                fa = g[u.r0]
                fr = fa + 1
                g[u.r0] = fr
                pop = CC_INC
                kw_next(u, k)
            elif k == UK_DEC_R_NC:
                kw_lab(UK_DEC_R_NC)
                fa = g[u.r0]
                fr = fa - 1
                g[u.r0] = fr
                pop = CC_DEC
                kw_next(u, k)
            elif k == UK_SHL_NF:
                kw_lab(UK_SHL_NF)
                g[u.r0] = g[u.r0] << (u.imm & 0x1F)
                kw_next(u, k)
            elif k == UK_SHR_NF:
                kw_lab(UK_SHR_NF)
                g[u.r0] = g[u.r0] >> (u.imm & 0x1F)
                kw_next(u, k)
            elif k == UK_SAR_NF:
                kw_lab(UK_SAR_NF)
                g[u.r0] = <uint32_t>(<int32_t>g[u.r0] >> (u.imm & 0x1F))
                kw_next(u, k)
            elif k == FK_SHL_RI:
                kw_lab(FK_SHL_RI)
                a = g[u.r0]
                b = u.imm & 0x1F
                d = a << b
                g[u.r0] = d
                if u.fl:
                    set_cc(c, CC_SHL32, 4, a, b, d)
                    pop = 0
                kw_next(u, k)
            elif k == FK_SHR_RI:
                kw_lab(FK_SHR_RI)
                a = g[u.r0]
                b = u.imm & 0x1F
                d = a >> b
                g[u.r0] = d
                if u.fl:
                    set_cc(c, CC_SHR32, 4, a, b, d)
                    pop = 0
                kw_next(u, k)
            elif k == FK_SAR_RI:
                kw_lab(FK_SAR_RI)
                a = g[u.r0]
                b = u.imm & 0x1F
                d = <uint32_t>(<int32_t>a >> b)
                g[u.r0] = d
                if u.fl:
                    set_cc(c, CC_SAR32, 4, a, b, d)
                    pop = 0
                kw_next(u, k)
            elif k == FK_NEG_R:
                kw_lab(FK_NEG_R)
                fa = 0
                fb = g[u.r0]
                fr = 0 - fb
                g[u.r0] = fr
                pop = CC_SUB
                kw_next(u, k)
            elif k == FK_NOT_R:
                kw_lab(FK_NOT_R)
                g[u.r0] = ~g[u.r0]
                kw_next(u, k)
            elif k == FK_MOVZX_R8:
                kw_lab(FK_MOVZX_R8)
                g[u.r0] = get8(g, u.r1)
                kw_next(u, k)
            elif k == FK_IMUL_R:
                kw_lab(FK_IMUL_R)
                if u.x == 2:
                    p64 = <int64_t><int32_t>g[u.r0] * <int32_t>g[u.r1]
                else:
                    p64 = <int64_t><int32_t>g[u.r1] * <int32_t>u.imm
                a = <uint32_t>p64
                g[u.r0] = a
                if u.fl:
                    if likely(p64 == <int32_t>a):
                        set_cc(c, CC_LOGIC, 4, 0, 0, a)
                    else:
                        set_cc(c, CC_MULOV32, 4, 0, 0, a)
                    pop = 0
                kw_next(u, k)
            elif k == FK_CMOV_RR:
                kw_lab(FK_CMOV_RR)
                if pop:
                    blk_flush(c, pop, fa, fb, fr, fcf)
                    pop = 0
                t = cond_quick(u.cc, c.cc_op, c.cc_size, c.cc_dst, c.cc_src, c.cc_res)
                if unlikely(t < 0):
                    t = cond(c, u.cc)
                if t:
                    g[u.r0] = g[u.r1]
                kw_next(u, k)
            elif k == UK_CMOV_SUB:
                kw_lab(UK_CMOV_SUB)
                if cond_sub32(u.cc, fa, fb, fr):
                    g[u.r0] = g[u.r1]
                kw_next(u, k)
            elif k == UK_CMOV_LOGIC:
                kw_lab(UK_CMOV_LOGIC)
                if cond_logic32(u.cc, fr):
                    g[u.r0] = g[u.r1]
                kw_next(u, k)
            elif k == UK_CMOVZ_SUB or k == UK_CMOVZ_LOGIC:
                # (after a sub, fr == 0 is fa == fb; after a logic op the ZF)
                kw_lab(UK_CMOVZ_SUB)
                kw_lab(UK_CMOVZ_LOGIC)
                if <uint32_t>(fr == 0) ^ (u.cc & 1):
                    g[u.r0] = g[u.r1]
                kw_next(u, k)
            elif k == FK_SETCC_R8:
                kw_lab(FK_SETCC_R8)
                if pop:
                    blk_flush(c, pop, fa, fb, fr, fcf)
                    pop = 0
                t = cond_quick(u.cc, c.cc_op, c.cc_size, c.cc_dst, c.cc_src, c.cc_res)
                if unlikely(t < 0):
                    t = cond(c, u.cc)
                set8(g, u.r0, <uint32_t>t)
                kw_next(u, k)
            elif k == FK_MOV_RM8:
                kw_lab(FK_MOV_RM8)
                ea = uea(g, u)
                hp = bhost_r(flim, fbase, tlb, u.seg, ea, 1)
                if hp == NULL:
                    return blk_stop(c, bk, u, eip0, cyc, r, peip, pr, pop, fa, fb, fr, fcf)
                set8(g, u.r0, hp[0])
                kw_next(u, k)
            elif k == FK_MOVZX_M8:
                kw_lab(FK_MOVZX_M8)
                ea = uea(g, u)
                hp = bhost_r(flim, fbase, tlb, u.seg, ea, 1)
                if hp == NULL:
                    return blk_stop(c, bk, u, eip0, cyc, r, peip, pr, pop, fa, fb, fr, fcf)
                g[u.r0] = hp[0]
                kw_next(u, k)
            elif k == FK_MOVSX_M8:
                kw_lab(FK_MOVSX_M8)
                ea = uea(g, u)
                hp = bhost_r(flim, fbase, tlb, u.seg, ea, 1)
                if hp == NULL:
                    return blk_stop(c, bk, u, eip0, cyc, r, peip, pr, pop, fa, fb, fr, fcf)
                g[u.r0] = <uint32_t><int32_t>(<int8_t>hp[0])
                kw_next(u, k)
            elif k == FK_CMP_MI8:
                kw_lab(FK_CMP_MI8)
                ea = uea(g, u)
                hp = bhost_r(flim, fbase, tlb, u.seg, ea, 1)
                if hp == NULL:
                    return blk_stop(c, bk, u, eip0, cyc, r, peip, pr, pop, fa, fb, fr, fcf)
                fa = hp[0]
                fb = u.imm
                fr = fa - fb
                pop = PO_SUB8
                kw_next(u, k)
            elif k == FK_MOVSX_M16 or k == FK_MOVZX_M16:
                kw_lab(FK_MOVSX_M16)
                kw_lab(FK_MOVZX_M16)
                k = u.k            # (the threaded dispatch does not set it)
                ea = uea(g, u)
                hp = bhost_r(flim, fbase, tlb, u.seg, ea, 2)
                if hp == NULL:
                    return blk_stop(c, bk, u, eip0, cyc, r, peip, pr, pop, fa, fb, fr, fcf)
                a = hp[0] | (<uint32_t>hp[1] << 8)
                if k == FK_MOVSX_M16:
                    g[u.r0] = <uint32_t><int32_t><int16_t>a
                else:
                    g[u.r0] = a
                kw_next(u, k)
            elif k == FK_MOV_MR8:
                kw_lab(FK_MOV_MR8)
                ea = uea(g, u)
                hp = bhost_w(flim, fbase, tlb, u.seg, ea, 1)
                if hp == NULL:
                    return blk_stop(c, bk, u, eip0, cyc, r, peip, pr, pop, fa, fb, fr, fcf)
                hp[0] = <uint8_t>get8(g, u.r1)
                kw_next(u, k)
            elif k == FK_MOV_MI8:
                kw_lab(FK_MOV_MI8)
                ea = uea(g, u)
                hp = bhost_w(flim, fbase, tlb, u.seg, ea, 1)
                if hp == NULL:
                    return blk_stop(c, bk, u, eip0, cyc, r, peip, pr, pop, fa, fb, fr, fcf)
                hp[0] = <uint8_t>u.imm
                kw_next(u, k)
            elif k == FK_MOV_MI32:
                kw_lab(FK_MOV_MI32)
                ea = uea(g, u)
                hp = bhost_w(flim, fbase, tlb, u.seg, ea, 4)
                if hp == NULL:
                    return blk_stop(c, bk, u, eip0, cyc, r, peip, pr, pop, fa, fb, fr, fcf)
                memcpy(hp, &u.imm, 4)
                kw_next(u, k)
            elif k == FK_CMP_RM:
                kw_lab(FK_CMP_RM)
                ea = uea(g, u)
                hp = bhost_r(flim, fbase, tlb, u.seg, ea, 4)
                if hp == NULL:
                    return blk_stop(c, bk, u, eip0, cyc, r, peip, pr, pop, fa, fb, fr, fcf)
                fa = g[u.r0]
                memcpy(&fb, hp, 4)
                fr = fa - fb
                pop = CC_SUB
                kw_next(u, k)
            elif k == FK_CMP_MR or k == FK_CMP_MI32:
                kw_lab(FK_CMP_MR)
                kw_lab(FK_CMP_MI32)
                k = u.k            # (the threaded dispatch does not set it)
                ea = uea(g, u)
                hp = bhost_r(flim, fbase, tlb, u.seg, ea, 4)
                if hp == NULL:
                    return blk_stop(c, bk, u, eip0, cyc, r, peip, pr, pop, fa, fb, fr, fcf)
                memcpy(&fa, hp, 4)
                fb = g[u.r1] if k == FK_CMP_MR else u.imm
                fr = fa - fb
                pop = CC_SUB
                kw_next(u, k)
            elif k == FK_ADD_RM or k == FK_SUB_RM:
                kw_lab(FK_ADD_RM)
                kw_lab(FK_SUB_RM)
                k = u.k            # (the threaded dispatch does not set it)
                ea = uea(g, u)
                hp = bhost_r(flim, fbase, tlb, u.seg, ea, 4)
                if hp == NULL:
                    return blk_stop(c, bk, u, eip0, cyc, r, peip, pr, pop, fa, fb, fr, fcf)
                fa = g[u.r0]
                memcpy(&fb, hp, 4)
                if k == FK_ADD_RM:
                    fr = fa + fb
                    g[u.r0] = fr
                    pop = CC_ADD
                else:
                    fr = fa - fb
                    g[u.r0] = fr
                    pop = CC_SUB
                kw_next(u, k)
            elif k == FK_AND_RM or k == FK_OR_RM or k == FK_XOR_RM:
                kw_lab(FK_AND_RM)
                kw_lab(FK_OR_RM)
                kw_lab(FK_XOR_RM)
                k = u.k            # (the threaded dispatch does not set it)
                ea = uea(g, u)
                hp = bhost_r(flim, fbase, tlb, u.seg, ea, 4)
                if hp == NULL:
                    return blk_stop(c, bk, u, eip0, cyc, r, peip, pr, pop, fa, fb, fr, fcf)
                memcpy(&b, hp, 4)
                if k == FK_AND_RM:
                    fr = g[u.r0] & b
                elif k == FK_OR_RM:
                    fr = g[u.r0] | b
                else:
                    fr = g[u.r0] ^ b
                g[u.r0] = fr
                pop = CC_LOGIC
                kw_next(u, k)
            elif (k == FK_ADD_MR or k == FK_SUB_MR or k == FK_AND_MR or k == FK_OR_MR or
                  k == FK_XOR_MR or k == FK_ADD_MI or k == FK_SUB_MI or k == FK_AND_MI or
                  k == FK_OR_MI or k == FK_XOR_MI):
                kw_lab(FK_ADD_MR)
                kw_lab(FK_SUB_MR)
                kw_lab(FK_AND_MR)
                kw_lab(FK_OR_MR)
                kw_lab(FK_XOR_MR)
                kw_lab(FK_ADD_MI)
                kw_lab(FK_SUB_MI)
                kw_lab(FK_AND_MI)
                kw_lab(FK_OR_MI)
                kw_lab(FK_XOR_MI)
                k = u.k            # (the threaded dispatch does not set it)
                ea = uea(g, u)
                hp = bhost_w(flim, fbase, tlb, u.seg, ea, 4)
                if hp == NULL:
                    return blk_stop(c, bk, u, eip0, cyc, r, peip, pr, pop, fa, fb, fr, fcf)
                memcpy(&fa, hp, 4)
                if k <= FK_XOR_MR:
                    fb = g[u.r1]
                    t = k - FK_ADD_MR
                else:
                    fb = u.imm
                    t = k - FK_ADD_MI
                if t == 0:
                    fr = fa + fb
                    pop = CC_ADD
                elif t == 1:
                    fr = fa - fb
                    pop = CC_SUB
                else:
                    fr = fa & fb if t == 2 else (fa | fb if t == 3 else fa ^ fb)
                    pop = CC_LOGIC
                memcpy(hp, &fr, 4)
                kw_next(u, k)
            elif k == FK_INC_M or k == FK_DEC_M:
                kw_lab(FK_INC_M)
                kw_lab(FK_DEC_M)
                k = u.k            # (the threaded dispatch does not set it)
                ea = uea(g, u)
                hp = bhost_w(flim, fbase, tlb, u.seg, ea, 4)
                if hp == NULL:
                    return blk_stop(c, bk, u, eip0, cyc, r, peip, pr, pop, fa, fb, fr, fcf)
                memcpy(&a, hp, 4)
                t = u.x
                if t == CFS_ZERO:
                    fcf = 0
                elif t == CFS_SUB:
                    fcf = fa < fb
                elif t == CFS_ADD:
                    fcf = fr < fa
                elif t == CFS_MEM:
                    fcf = blk_cf_pend(pop, fa, fb, fr, fcf) if pop else blk_cf_mem(c)
                # (CFS_KEEP: fcf as the inc/dec before left it; CFS_NONE: dead)
                fa = a
                fr = a + 1 if k == FK_INC_M else a - 1
                memcpy(hp, &fr, 4)
                pop = CC_INC if k == FK_INC_M else CC_DEC
                kw_next(u, k)
            elif k == FK_PUSH_R or k == FK_PUSH_I:
                kw_lab(FK_PUSH_R)
                kw_lab(FK_PUSH_I)
                k = u.k            # (the threaded dispatch does not set it)
                a = g[4] - 4
                hp = bhost_w(flim, fbase, tlb, SEG_SS, a, 4)
                if hp == NULL:
                    return blk_stop(c, bk, u, eip0, cyc, r, peip, pr, pop, fa, fb, fr, fcf)
                b = g[u.r0] if k == FK_PUSH_R else u.imm
                memcpy(hp, &b, 4)
                g[4] = a
                kw_next(u, k)
            elif k == FK_PUSH_M:
                kw_lab(FK_PUSH_M)
                ea = uea(g, u)
                hp = bhost_r(flim, fbase, tlb, u.seg, ea, 4)
                if hp == NULL:
                    return blk_stop(c, bk, u, eip0, cyc, r, peip, pr, pop, fa, fb, fr, fcf)
                memcpy(&b, hp, 4)
                a = g[4] - 4
                hp = bhost_w(flim, fbase, tlb, SEG_SS, a, 4)
                if hp == NULL:
                    return blk_stop(c, bk, u, eip0, cyc, r, peip, pr, pop, fa, fb, fr, fcf)
                memcpy(hp, &b, 4)
                g[4] = a
                kw_next(u, k)
            elif k == FK_POP_R:
                kw_lab(FK_POP_R)
                a = g[4]
                hp = bhost_r(flim, fbase, tlb, SEG_SS, a, 4)
                if hp == NULL:
                    return blk_stop(c, bk, u, eip0, cyc, r, peip, pr, pop, fa, fb, fr, fcf)
                memcpy(&b, hp, 4)
                g[4] = a + 4
                g[u.r0] = b                 # pop esp: the popped value wins
                kw_next(u, k)
            elif k == FK_LEAVE:
                kw_lab(FK_LEAVE)
                a = g[5]
                hp = bhost_r(flim, fbase, tlb, SEG_SS, a, 4)
                if hp == NULL:
                    return blk_stop(c, bk, u, eip0, cyc, r, peip, pr, pop, fa, fb, fr, fcf)
                memcpy(&b, hp, 4)
                g[4] = a + 4
                g[5] = b
                kw_next(u, k)
            elif k == UK_CALLH:
                kw_lab(UK_CALLH)
                # a data-only handler, as the inline chain calls it (the
                # lazy flags in Cpu first: it may read or write them)
                if pop:
                    blk_flush(c, pop, fa, fb, fr, fcf)
                    pop = 0
                c.eip = eip0 + u.eoff
                c.eip_next = c.eip + u.len
                c.cycles = cyc + u.cpre
                if (<op_fn>bk.fns[u.x])(c, &bk.ins[u.x]) != RC_OK:
                    # a fault, nothing committed: the exception is pending
                    peip[0] = c.eip
                    pr[0] = r + u.idx
                    return 2
                cyc = c.cycles - u.cpre     # (page walks it charged move the rest)
                blk_flim(c, flim, fbase)
                if (c.m.code_gen[ppage >> 12] != bk.gen or c.m.dc_gen != bk.dgen or
                        c.m.ifetch_page == KW_NOTAG or cyc + bk.csum + taken >= attn):
                    # it wrote this code page, or the rest may not fit now
                    return blk_stop(c, bk, u + 1, eip0, cyc, r, peip, pr, pop, fa, fb, fr, fcf)
                kw_next(u, k)
            elif k == UK_TEST8_RR:
                kw_lab(UK_TEST8_RR)
                if u.fl:
                    set_cc(c, CC_LOGIC, 1, 0, 0, get8(g, u.r0) & get8(g, u.r1))
                    pop = 0
                kw_next(u, k)
            elif k == UK_TEST8_MR:
                kw_lab(UK_TEST8_MR)
                ea = uea(g, u)
                hp = bhost_r(flim, fbase, tlb, u.seg, ea, 1)
                if hp == NULL:
                    return blk_stop(c, bk, u, eip0, cyc, r, peip, pr, pop, fa, fb, fr, fcf)
                if u.fl:
                    set_cc(c, CC_LOGIC, 1, 0, 0, hp[0] & get8(g, u.r1))
                    pop = 0
                kw_next(u, k)
            elif k == UK_SETCC_M8:
                kw_lab(UK_SETCC_M8)
                ea = uea(g, u)
                hp = bhost_w(flim, fbase, tlb, u.seg, ea, 1)
                if hp == NULL:
                    return blk_stop(c, bk, u, eip0, cyc, r, peip, pr, pop, fa, fb, fr, fcf)
                if pop:
                    blk_flush(c, pop, fa, fb, fr, fcf)
                    pop = 0
                t = cond_quick(u.cc, c.cc_op, c.cc_size, c.cc_dst, c.cc_src, c.cc_res)
                if unlikely(t < 0):
                    t = cond(c, u.cc)
                hp[0] = <uint8_t>t
                kw_next(u, k)
            elif k == UK_ADC_RR:
                kw_lab(UK_ADC_RR)
                t = <int>(blk_cf_pend(pop, fa, fb, fr, fcf) if pop else blk_cf_mem(c))
                a = g[u.r0]
                b = g[u.r1]
                d = a + b + <uint32_t>t
                g[u.r0] = d
                if u.fl:
                    set_cc(c, CC_ADC, 4, a, b, d)
                    c.cc_aux = <uint32_t>t
                    pop = 0
                kw_next(u, k)
            elif k == UK_CMPXCHG_MR:
                kw_lab(UK_CMPXCHG_MR)
                # the handler writes the destination either way (the old
                # value back when they differ): a write tag is needed
                ea = uea(g, u)
                hp = bhost_w(flim, fbase, tlb, u.seg, ea, 4)
                if hp == NULL:
                    return blk_stop(c, bk, u, eip0, cyc, r, peip, pr, pop, fa, fb, fr, fcf)
                memcpy(&fb, hp, 4)
                fa = g[0]
                fr = fa - fb
                if fa == fb:
                    memcpy(hp, &g[u.r1], 4)
                else:
                    g[0] = fb
                pop = CC_SUB
                kw_next(u, k)
            elif k == UK_XADD_MR:
                kw_lab(UK_XADD_MR)
                ea = uea(g, u)
                hp = bhost_w(flim, fbase, tlb, u.seg, ea, 4)
                if hp == NULL:
                    return blk_stop(c, bk, u, eip0, cyc, r, peip, pr, pop, fa, fb, fr, fcf)
                memcpy(&fa, hp, 4)
                fb = g[u.r1]
                fr = fa + fb
                memcpy(hp, &fr, 4)
                g[u.r1] = fa
                pop = CC_ADD
                kw_next(u, k)
            elif k == UK_DIV_R or k == UK_DIV_M or k == UK_IDIV_R or k == UK_IDIV_M:
                kw_lab(UK_DIV_R)
                kw_lab(UK_DIV_M)
                kw_lab(UK_IDIV_R)
                kw_lab(UK_IDIV_M)
                k = u.k            # (the threaded dispatch does not set it)
                if k == UK_DIV_R or k == UK_IDIV_R:
                    b = g[u.r0]
                else:
                    ea = uea(g, u)
                    hp = bhost_r(flim, fbase, tlb, u.seg, ea, 4)
                    if hp == NULL:
                        return blk_stop(c, bk, u, eip0, cyc, r, peip, pr, pop, fa, fb, fr, fcf)
                    memcpy(&b, hp, 4)
                if k <= UK_DIV_M:
                    q64 = (<uint64_t>g[2] << 32) | g[0]
                    # a zero divisor or a quotient past 32 bits: #DE (the handler)
                    if b == 0 or q64 / b > 0xFFFFFFFFu:
                        return blk_stop(c, bk, u, eip0, cyc, r, peip, pr, pop, fa, fb, fr, fcf)
                    g[0] = <uint32_t>(q64 / b)
                    g[2] = <uint32_t>(q64 % b)
                else:
                    p64 = <int64_t>((<uint64_t>g[2] << 32) | g[0])
                    # a zero divisor, 2^63 / -1 or a quotient past 32 bits
                    if (b == 0 or (b == 0xFFFFFFFFu and <uint64_t>p64 == (<uint64_t>1) << 63) or
                            p64 / <int32_t>b >= (<int64_t>1) << 31 or
                            p64 / <int32_t>b < -((<int64_t>1) << 31)):
                        return blk_stop(c, bk, u, eip0, cyc, r, peip, pr, pop, fa, fb, fr, fcf)
                    g[0] = <uint32_t>(p64 / <int32_t>b)
                    g[2] = <uint32_t>(p64 % <int32_t>b)
                kw_next(u, k)
            elif k == UK_CMP8_RR:
                kw_lab(UK_CMP8_RR)
                fa = get8(g, u.r0)
                fb = get8(g, u.r1)
                fr = fa - fb
                pop = PO_SUB8
                kw_next(u, k)
            elif k == UK_CMP8_MR or k == UK_CMP8_RM:
                kw_lab(UK_CMP8_MR)
                kw_lab(UK_CMP8_RM)
                k = u.k            # (the threaded dispatch does not set it)
                ea = uea(g, u)
                hp = bhost_r(flim, fbase, tlb, u.seg, ea, 1)
                if hp == NULL:
                    return blk_stop(c, bk, u, eip0, cyc, r, peip, pr, pop, fa, fb, fr, fcf)
                if k == UK_CMP8_MR:
                    fa = hp[0]
                    fb = get8(g, u.r1)
                else:
                    fa = get8(g, u.r0)
                    fb = hp[0]
                fr = fa - fb
                pop = PO_SUB8
                kw_next(u, k)
            elif k == UK_XCHG_RR:
                kw_lab(UK_XCHG_RR)
                a = g[u.r0]
                g[u.r0] = g[u.r1]
                g[u.r1] = a
                kw_next(u, k)
            elif k == UK_XCHG_MR:
                kw_lab(UK_XCHG_MR)
                ea = uea(g, u)
                hp = bhost_w(flim, fbase, tlb, u.seg, ea, 4)
                if hp == NULL:
                    return blk_stop(c, bk, u, eip0, cyc, r, peip, pr, pop, fa, fb, fr, fcf)
                memcpy(&a, hp, 4)
                memcpy(hp, &g[u.r1], 4)
                g[u.r1] = a
                kw_next(u, k)
            elif k == UK_CALL_IN:
                kw_lab(UK_CALL_IN)
                # a call blk_build followed (its target in this page, so within
                # the CS limit): the push; the block goes on with the callee
                a = g[4] - 4
                hp = bhost_w(flim, fbase, tlb, SEG_SS, a, 4)
                if hp == NULL:
                    return blk_stop(c, bk, u, eip0, cyc, r, peip, pr, pop, fa, fb, fr, fcf)
                d = eip0 + u.eoff + u.len
                memcpy(hp, &d, 4)
                g[4] = a
                kw_next(u, k)
            elif k == UK_CDQ:
                kw_lab(UK_CDQ)
                g[2] = 0xFFFFFFFFu if (g[0] & 0x80000000u) else 0
                kw_next(u, k)
            elif k == UK_F_ADD_RR:
                kw_lab(UK_F_ADD_RR)
                fa = g[u.r0]
                fb = g[u.r1]
                fr = fa + fb
                g[u.r0] = fr
                if cond_quick(u.cc, CC_ADD, 4, fa, fb, fr):
                    pop = CC_ADD
                    if u.fl & 2:
                        kw_goto_loop()
                    nxt = eip0 + <uint32_t>u.disp
                    cyc += taken
                    u += 1
                    kw_chain(u, k, bk, blocks, nxt, eip0, pdelta, ppage, pgd, cyc, r, rb, clim, rmax, cmax)
                    break
                pop = CC_ADD
                kw_next(u, k)
            elif k == UK_F_ADD_RI:
                kw_lab(UK_F_ADD_RI)
                fa = g[u.r0]
                fb = u.imm
                fr = fa + fb
                g[u.r0] = fr
                if cond_quick(u.cc, CC_ADD, 4, fa, fb, fr):
                    pop = CC_ADD
                    if u.fl & 2:
                        kw_goto_loop()
                    nxt = eip0 + <uint32_t>u.disp
                    cyc += taken
                    u += 1
                    kw_chain(u, k, bk, blocks, nxt, eip0, pdelta, ppage, pgd, cyc, r, rb, clim, rmax, cmax)
                    break
                pop = CC_ADD
                kw_next(u, k)
            elif k == UK_F_SUB_RR:
                kw_lab(UK_F_SUB_RR)
                fa = g[u.r0]
                fb = g[u.r1]
                fr = fa - fb
                g[u.r0] = fr
                if cond_sub32(u.cc, fa, fb, fr):
                    pop = CC_SUB
                    if u.fl & 2:
                        kw_goto_loop()
                    nxt = eip0 + <uint32_t>u.disp
                    cyc += taken
                    u += 1
                    kw_chain(u, k, bk, blocks, nxt, eip0, pdelta, ppage, pgd, cyc, r, rb, clim, rmax, cmax)
                    break
                pop = CC_SUB
                kw_next(u, k)
            elif k == UK_F_SUB_RI:
                kw_lab(UK_F_SUB_RI)
                fa = g[u.r0]
                fb = u.imm
                fr = fa - fb
                g[u.r0] = fr
                if cond_sub32(u.cc, fa, fb, fr):
                    pop = CC_SUB
                    if u.fl & 2:
                        kw_goto_loop()
                    nxt = eip0 + <uint32_t>u.disp
                    cyc += taken
                    u += 1
                    kw_chain(u, k, bk, blocks, nxt, eip0, pdelta, ppage, pgd, cyc, r, rb, clim, rmax, cmax)
                    break
                pop = CC_SUB
                kw_next(u, k)
            elif k == UK_F_AND_RR:
                kw_lab(UK_F_AND_RR)
                fr = g[u.r0] & g[u.r1]
                g[u.r0] = fr
                if cond_logic32(u.cc, fr):
                    pop = CC_LOGIC
                    if u.fl & 2:
                        kw_goto_loop()
                    nxt = eip0 + <uint32_t>u.disp
                    cyc += taken
                    u += 1
                    kw_chain(u, k, bk, blocks, nxt, eip0, pdelta, ppage, pgd, cyc, r, rb, clim, rmax, cmax)
                    break
                pop = CC_LOGIC
                kw_next(u, k)
            elif k == UK_F_AND_RI:
                kw_lab(UK_F_AND_RI)
                fr = g[u.r0] & u.imm
                g[u.r0] = fr
                if cond_logic32(u.cc, fr):
                    pop = CC_LOGIC
                    if u.fl & 2:
                        kw_goto_loop()
                    nxt = eip0 + <uint32_t>u.disp
                    cyc += taken
                    u += 1
                    kw_chain(u, k, bk, blocks, nxt, eip0, pdelta, ppage, pgd, cyc, r, rb, clim, rmax, cmax)
                    break
                pop = CC_LOGIC
                kw_next(u, k)
            elif k == UK_F_OR_RR:
                kw_lab(UK_F_OR_RR)
                fr = g[u.r0] | g[u.r1]
                g[u.r0] = fr
                if cond_logic32(u.cc, fr):
                    pop = CC_LOGIC
                    if u.fl & 2:
                        kw_goto_loop()
                    nxt = eip0 + <uint32_t>u.disp
                    cyc += taken
                    u += 1
                    kw_chain(u, k, bk, blocks, nxt, eip0, pdelta, ppage, pgd, cyc, r, rb, clim, rmax, cmax)
                    break
                pop = CC_LOGIC
                kw_next(u, k)
            elif k == UK_F_OR_RI:
                kw_lab(UK_F_OR_RI)
                fr = g[u.r0] | u.imm
                g[u.r0] = fr
                if cond_logic32(u.cc, fr):
                    pop = CC_LOGIC
                    if u.fl & 2:
                        kw_goto_loop()
                    nxt = eip0 + <uint32_t>u.disp
                    cyc += taken
                    u += 1
                    kw_chain(u, k, bk, blocks, nxt, eip0, pdelta, ppage, pgd, cyc, r, rb, clim, rmax, cmax)
                    break
                pop = CC_LOGIC
                kw_next(u, k)
            elif k == UK_F_XOR_RR:
                kw_lab(UK_F_XOR_RR)
                fr = g[u.r0] ^ g[u.r1]
                g[u.r0] = fr
                if cond_logic32(u.cc, fr):
                    pop = CC_LOGIC
                    if u.fl & 2:
                        kw_goto_loop()
                    nxt = eip0 + <uint32_t>u.disp
                    cyc += taken
                    u += 1
                    kw_chain(u, k, bk, blocks, nxt, eip0, pdelta, ppage, pgd, cyc, r, rb, clim, rmax, cmax)
                    break
                pop = CC_LOGIC
                kw_next(u, k)
            elif k == UK_F_XOR_RI:
                kw_lab(UK_F_XOR_RI)
                fr = g[u.r0] ^ u.imm
                g[u.r0] = fr
                if cond_logic32(u.cc, fr):
                    pop = CC_LOGIC
                    if u.fl & 2:
                        kw_goto_loop()
                    nxt = eip0 + <uint32_t>u.disp
                    cyc += taken
                    u += 1
                    kw_chain(u, k, bk, blocks, nxt, eip0, pdelta, ppage, pgd, cyc, r, rb, clim, rmax, cmax)
                    break
                pop = CC_LOGIC
                kw_next(u, k)
            elif k == UK_F_CMP_RR:
                kw_lab(UK_F_CMP_RR)
                fa = g[u.r0]
                fb = g[u.r1]
                fr = fa - fb
                if cond_sub32(u.cc, fa, fb, fr):
                    pop = CC_SUB
                    if u.fl & 2:
                        kw_goto_loop()
                    nxt = eip0 + <uint32_t>u.disp
                    cyc += taken
                    u += 1
                    kw_chain(u, k, bk, blocks, nxt, eip0, pdelta, ppage, pgd, cyc, r, rb, clim, rmax, cmax)
                    break
                pop = CC_SUB
                kw_next(u, k)
            elif k == UK_F_CMP_RI:
                kw_lab(UK_F_CMP_RI)
                fa = g[u.r0]
                fb = u.imm
                fr = fa - fb
                if cond_sub32(u.cc, fa, fb, fr):
                    pop = CC_SUB
                    if u.fl & 2:
                        kw_goto_loop()
                    nxt = eip0 + <uint32_t>u.disp
                    cyc += taken
                    u += 1
                    kw_chain(u, k, bk, blocks, nxt, eip0, pdelta, ppage, pgd, cyc, r, rb, clim, rmax, cmax)
                    break
                pop = CC_SUB
                kw_next(u, k)
            elif k == UK_F_TEST_RR:
                kw_lab(UK_F_TEST_RR)
                fr = g[u.r0] & g[u.r1]
                if cond_logic32(u.cc, fr):
                    pop = CC_LOGIC
                    if u.fl & 2:
                        kw_goto_loop()
                    nxt = eip0 + <uint32_t>u.disp
                    cyc += taken
                    u += 1
                    kw_chain(u, k, bk, blocks, nxt, eip0, pdelta, ppage, pgd, cyc, r, rb, clim, rmax, cmax)
                    break
                pop = CC_LOGIC
                kw_next(u, k)
            elif k == UK_F_TEST_RI:
                kw_lab(UK_F_TEST_RI)
                fr = g[u.r0] & u.imm
                if cond_logic32(u.cc, fr):
                    pop = CC_LOGIC
                    if u.fl & 2:
                        kw_goto_loop()
                    nxt = eip0 + <uint32_t>u.disp
                    cyc += taken
                    u += 1
                    kw_chain(u, k, bk, blocks, nxt, eip0, pdelta, ppage, pgd, cyc, r, rb, clim, rmax, cmax)
                    break
                pop = CC_LOGIC
                kw_next(u, k)
            elif k == UK_F_CMPZ_RI:
                kw_lab(UK_F_CMPZ_RI)
                fa = g[u.r0]
                fb = u.imm
                fr = fa - fb
                if <uint32_t>(fr == 0) ^ (u.cc & 1):
                    pop = CC_SUB
                    if u.fl & 2:
                        kw_goto_loop()
                    nxt = eip0 + <uint32_t>u.disp
                    cyc += taken
                    u += 1
                    kw_chain(u, k, bk, blocks, nxt, eip0, pdelta, ppage, pgd, cyc, r, rb, clim, rmax, cmax)
                    break
                pop = CC_SUB
                kw_next(u, k)
            elif k == UK_F_CMPBE_RI:
                kw_lab(UK_F_CMPBE_RI)
                fa = g[u.r0]
                fb = u.imm
                fr = fa - fb
                if <uint32_t>(fa <= fb) ^ (u.cc & 1):
                    pop = CC_SUB
                    if u.fl & 2:
                        kw_goto_loop()
                    nxt = eip0 + <uint32_t>u.disp
                    cyc += taken
                    u += 1
                    kw_chain(u, k, bk, blocks, nxt, eip0, pdelta, ppage, pgd, cyc, r, rb, clim, rmax, cmax)
                    break
                pop = CC_SUB
                kw_next(u, k)
            elif k == UK_F_CMPB_RI:
                kw_lab(UK_F_CMPB_RI)
                fa = g[u.r0]
                fb = u.imm
                fr = fa - fb
                if <uint32_t>(fa < fb) ^ (u.cc & 1):
                    pop = CC_SUB
                    if u.fl & 2:
                        kw_goto_loop()
                    nxt = eip0 + <uint32_t>u.disp
                    cyc += taken
                    u += 1
                    kw_chain(u, k, bk, blocks, nxt, eip0, pdelta, ppage, pgd, cyc, r, rb, clim, rmax, cmax)
                    break
                pop = CC_SUB
                kw_next(u, k)
            elif k == UK_F_CMPZ_RR:
                kw_lab(UK_F_CMPZ_RR)
                fa = g[u.r0]
                fb = g[u.r1]
                fr = fa - fb
                if <uint32_t>(fa == fb) ^ (u.cc & 1):
                    pop = CC_SUB
                    if u.fl & 2:
                        kw_goto_loop()
                    nxt = eip0 + <uint32_t>u.disp
                    cyc += taken
                    u += 1
                    kw_chain(u, k, bk, blocks, nxt, eip0, pdelta, ppage, pgd, cyc, r, rb, clim, rmax, cmax)
                    break
                pop = CC_SUB
                kw_next(u, k)
            elif k == UK_F_TESTS_RR:
                kw_lab(UK_F_TESTS_RR)
                fr = g[u.r0] & g[u.r1]
                if (fr >> 31) ^ (u.cc & 1):
                    pop = CC_LOGIC
                    if u.fl & 2:
                        kw_goto_loop()
                    nxt = eip0 + <uint32_t>u.disp
                    cyc += taken
                    u += 1
                    kw_chain(u, k, bk, blocks, nxt, eip0, pdelta, ppage, pgd, cyc, r, rb, clim, rmax, cmax)
                    break
                pop = CC_LOGIC
                kw_next(u, k)
            elif k == UK_F_TESTSZ_RR:
                kw_lab(UK_F_TESTSZ_RR)
                fr = g[u.r0] & g[u.r1]
                if <uint32_t>(fr == 0 or (fr >> 31) != 0) ^ (u.cc & 1):
                    pop = CC_LOGIC
                    if u.fl & 2:
                        kw_goto_loop()
                    nxt = eip0 + <uint32_t>u.disp
                    cyc += taken
                    u += 1
                    kw_chain(u, k, bk, blocks, nxt, eip0, pdelta, ppage, pgd, cyc, r, rb, clim, rmax, cmax)
                    break
                pop = CC_LOGIC
                kw_next(u, k)
            elif k == UK_F_TESTZ_RR:
                kw_lab(UK_F_TESTZ_RR)
                fr = g[u.r0] & g[u.r1]
                if <uint32_t>(fr == 0) ^ (u.cc & 1):
                    pop = CC_LOGIC
                    if u.fl & 2:
                        kw_goto_loop()
                    nxt = eip0 + <uint32_t>u.disp
                    cyc += taken
                    u += 1
                    kw_chain(u, k, bk, blocks, nxt, eip0, pdelta, ppage, pgd, cyc, r, rb, clim, rmax, cmax)
                    break
                pop = CC_LOGIC
                kw_next(u, k)
            elif k == UK_F_INC_R:
                kw_lab(UK_F_INC_R)
                a = g[u.r0]
                t = u.x
                if t == CFS_ZERO:
                    fcf = 0
                elif t == CFS_SUB:
                    fcf = fa < fb
                elif t == CFS_ADD:
                    fcf = fr < fa
                elif t == CFS_MEM:
                    fcf = blk_cf_pend(pop, fa, fb, fr, fcf) if pop else blk_cf_mem(c)
                fa = a
                fr = a + 1
                g[u.r0] = fr
                if (<uint32_t>(fr == 0) if (u.cc >> 1) == 2 else (fr >> 31)) ^ (u.cc & 1):
                    pop = CC_INC
                    if u.fl & 2:
                        kw_goto_loop()
                    nxt = eip0 + <uint32_t>u.disp
                    cyc += taken
                    u += 1
                    kw_chain(u, k, bk, blocks, nxt, eip0, pdelta, ppage, pgd, cyc, r, rb, clim, rmax, cmax)
                    break
                pop = CC_INC
                kw_next(u, k)
            elif k == UK_F_DEC_R:
                kw_lab(UK_F_DEC_R)
                a = g[u.r0]
                t = u.x
                if t == CFS_ZERO:
                    fcf = 0
                elif t == CFS_SUB:
                    fcf = fa < fb
                elif t == CFS_ADD:
                    fcf = fr < fa
                elif t == CFS_MEM:
                    fcf = blk_cf_pend(pop, fa, fb, fr, fcf) if pop else blk_cf_mem(c)
                fa = a
                fr = a - 1
                g[u.r0] = fr
                if (<uint32_t>(fr == 0) if (u.cc >> 1) == 2 else (fr >> 31)) ^ (u.cc & 1):
                    pop = CC_DEC
                    if u.fl & 2:
                        kw_goto_loop()
                    nxt = eip0 + <uint32_t>u.disp
                    cyc += taken
                    u += 1
                    kw_chain(u, k, bk, blocks, nxt, eip0, pdelta, ppage, pgd, cyc, r, rb, clim, rmax, cmax)
                    break
                pop = CC_DEC
                kw_next(u, k)
            elif k == UK_F_INCZ or k == UK_F_DECZ:
                kw_lab(UK_F_INCZ)
                kw_lab(UK_F_DECZ)
                # (CFS_KEEP: fcf as the inc/dec before left it)
                if u.x == CFS_ZERO:
                    fcf = 0
                fa = g[u.r0]
                if u.k == UK_F_INCZ:
                    fr = fa + 1
                    pop = CC_INC
                else:
                    fr = fa - 1
                    pop = CC_DEC
                g[u.r0] = fr
                if (fr == 0) ^ (u.cc & 1):
                    if u.fl & 2:
                        kw_goto_loop()
                    nxt = eip0 + <uint32_t>u.disp
                    cyc += taken
                    u += 1
                    break
                kw_next(u, k)
            elif k == UK_JCC_SUB:
                kw_lab(UK_JCC_SUB)
                if cond_sub32(u.cc, fa, fb, fr):
                    if u.fl & 2:
                        kw_goto_loop()
                    nxt = eip0 + u.imm
                    if unlikely(nxt > cs_lim):
                        return blk_stop(c, bk, u, eip0, cyc, r, peip, pr, pop, fa, fb, fr, fcf)
                    cyc += taken
                    u += 1
                    kw_chain(u, k, bk, blocks, nxt, eip0, pdelta, ppage, pgd, cyc, r, rb, clim, rmax, cmax)
                    break
                kw_next(u, k)
            elif k == UK_JCC_SUB8:
                kw_lab(UK_JCC_SUB8)
                if cond_sub32(u.cc, fa << 24, fb << 24, fr << 24):
                    if u.fl & 2:
                        kw_goto_loop()
                    nxt = eip0 + u.imm
                    if unlikely(nxt > cs_lim):
                        return blk_stop(c, bk, u, eip0, cyc, r, peip, pr, pop, fa, fb, fr, fcf)
                    cyc += taken
                    u += 1
                    break
                kw_next(u, k)
            elif k == UK_JCC_LOGIC:
                kw_lab(UK_JCC_LOGIC)
                if cond_logic32(u.cc, fr):
                    if u.fl & 2:
                        kw_goto_loop()
                    nxt = eip0 + u.imm
                    if unlikely(nxt > cs_lim):
                        return blk_stop(c, bk, u, eip0, cyc, r, peip, pr, pop, fa, fb, fr, fcf)
                    cyc += taken
                    u += 1
                    kw_chain(u, k, bk, blocks, nxt, eip0, pdelta, ppage, pgd, cyc, r, rb, clim, rmax, cmax)
                    break
                kw_next(u, k)
            elif k == UK_JCC_SUBZ or k == UK_JCC_LOGICZ:
                # (a sub's fr == 0 is fa == fb; a logic op's is its ZF)
                kw_lab(UK_JCC_SUBZ)
                kw_lab(UK_JCC_LOGICZ)
                if <uint32_t>(fr == 0) ^ (u.cc & 1):
                    if u.fl & 2:
                        kw_goto_loop()
                    nxt = eip0 + u.imm
                    if unlikely(nxt > cs_lim):
                        return blk_stop(c, bk, u, eip0, cyc, r, peip, pr, pop, fa, fb, fr, fcf)
                    cyc += taken
                    u += 1
                    kw_chain(u, k, bk, blocks, nxt, eip0, pdelta, ppage, pgd, cyc, r, rb, clim, rmax, cmax)
                    break
                kw_next(u, k)
            elif k == UK_JCC_SUBBE:
                kw_lab(UK_JCC_SUBBE)
                if <uint32_t>(fa <= fb) ^ (u.cc & 1):
                    if u.fl & 2:
                        kw_goto_loop()
                    nxt = eip0 + u.imm
                    if unlikely(nxt > cs_lim):
                        return blk_stop(c, bk, u, eip0, cyc, r, peip, pr, pop, fa, fb, fr, fcf)
                    cyc += taken
                    u += 1
                    kw_chain(u, k, bk, blocks, nxt, eip0, pdelta, ppage, pgd, cyc, r, rb, clim, rmax, cmax)
                    break
                kw_next(u, k)
            elif k == UK_JCC_ZS:
                kw_lab(UK_JCC_ZS)
                if (<uint32_t>(fr == 0) if (u.cc >> 1) == 2 else (fr >> 31)) ^ (u.cc & 1):
                    if u.fl & 2:
                        kw_goto_loop()
                    nxt = eip0 + u.imm
                    if unlikely(nxt > cs_lim):
                        return blk_stop(c, bk, u, eip0, cyc, r, peip, pr, pop, fa, fb, fr, fcf)
                    cyc += taken
                    u += 1
                    kw_chain(u, k, bk, blocks, nxt, eip0, pdelta, ppage, pgd, cyc, r, rb, clim, rmax, cmax)
                    break
                kw_next(u, k)
            elif k == UK_JCC_ADD or k == FK_JCC:
                kw_lab(UK_JCC_ADD)
                kw_lab(FK_JCC)
                k = u.k            # (the threaded dispatch does not set it)
                if k == UK_JCC_ADD:
                    t = cond_quick(u.cc, CC_ADD, 4, fa, fb, fr)
                else:
                    if pop:
                        blk_flush(c, pop, fa, fb, fr, fcf)
                        pop = 0
                    t = cond_quick(u.cc, c.cc_op, c.cc_size, c.cc_dst, c.cc_src, c.cc_res)
                    if unlikely(t < 0):
                        t = cond(c, u.cc)
                if t:
                    if u.fl & 2:
                        kw_goto_loop()
                    nxt = eip0 + u.imm
                    if unlikely(nxt > cs_lim):
                        return blk_stop(c, bk, u, eip0, cyc, r, peip, pr, pop, fa, fb, fr, fcf)
                    cyc += taken
                    u += 1
                    kw_chain(u, k, bk, blocks, nxt, eip0, pdelta, ppage, pgd, cyc, r, rb, clim, rmax, cmax)
                    break
                kw_next(u, k)
            elif k == FK_JMP:
                kw_lab(FK_JMP)
                if u.fl & 2:
                    kw_goto_loop()
                nxt = eip0 + u.imm
                if unlikely(nxt > cs_lim):
                    return blk_stop(c, bk, u, eip0, cyc, r, peip, pr, pop, fa, fb, fr, fcf)
                cyc += taken
                u += 1
                kw_chain(u, k, bk, blocks, nxt, eip0, pdelta, ppage, pgd, cyc, r, rb, clim, rmax, cmax)
                break
            elif k == FK_CALL or k == FK_CALL_R or k == FK_CALL_M:
                kw_lab(FK_CALL)
                kw_lab(FK_CALL_R)
                kw_lab(FK_CALL_M)
                k = u.k            # (the threaded dispatch does not set it)
                if k == FK_CALL:
                    b = eip0 + u.imm
                elif k == FK_CALL_R:
                    b = g[u.r0]
                else:
                    ea = uea(g, u)
                    hp = bhost_r(flim, fbase, tlb, u.seg, ea, 4)
                    if hp == NULL:
                        return blk_stop(c, bk, u, eip0, cyc, r, peip, pr, pop, fa, fb, fr, fcf)
                    memcpy(&b, hp, 4)
                a = g[4] - 4
                hp = bhost_w(flim, fbase, tlb, SEG_SS, a, 4)
                if b > cs_lim or hp == NULL:
                    return blk_stop(c, bk, u, eip0, cyc, r, peip, pr, pop, fa, fb, fr, fcf)
                d = eip0 + u.eoff + u.len
                memcpy(hp, &d, 4)
                g[4] = a
                nxt = b
                cyc += taken
                u += 1
                kw_chain(u, k, bk, blocks, nxt, eip0, pdelta, ppage, pgd, cyc, r, rb, clim, rmax, cmax)
                break
            elif k == FK_RET:
                kw_lab(FK_RET)
                a = g[4]
                hp = bhost_r(flim, fbase, tlb, SEG_SS, a, 4)
                if hp == NULL:
                    return blk_stop(c, bk, u, eip0, cyc, r, peip, pr, pop, fa, fb, fr, fcf)
                memcpy(&b, hp, 4)
                if b > cs_lim:
                    return blk_stop(c, bk, u, eip0, cyc, r, peip, pr, pop, fa, fb, fr, fcf)
                g[4] = a + 4
                nxt = b
                cyc += taken
                u += 1
                kw_chain(u, k, bk, blocks, nxt, eip0, pdelta, ppage, pgd, cyc, r, rb, clim, rmax, cmax)
                break
            elif k == FK_JMP_R or k == FK_JMP_M:
                kw_lab(FK_JMP_R)
                kw_lab(FK_JMP_M)
                k = u.k            # (the threaded dispatch does not set it)
                if k == FK_JMP_R:
                    b = g[u.r0]
                else:
                    ea = uea(g, u)
                    hp = bhost_r(flim, fbase, tlb, u.seg, ea, 4)
                    if hp == NULL:
                        return blk_stop(c, bk, u, eip0, cyc, r, peip, pr, pop, fa, fb, fr, fcf)
                    memcpy(&b, hp, 4)
                if b > cs_lim:
                    return blk_stop(c, bk, u, eip0, cyc, r, peip, pr, pop, fa, fb, fr, fcf)
                nxt = b
                cyc += taken
                u += 1
                kw_chain(u, k, bk, blocks, nxt, eip0, pdelta, ppage, pgd, cyc, r, rb, clim, rmax, cmax)
                break
            else:           # UK_END: fall through to the next instruction
                kw_lab(UK_END)
                nxt = eip0 + u.eoff
                kw_chain(u, k, bk, blocks, nxt, eip0, pdelta, ppage, pgd, cyc, r, rb, clim, rmax, cmax)
                break
            u += 1
        # the boundary before uop u reached (a taken jcc or a branch: the one
        # after it; else the final UK_END): retire what lies before it
        cyc += u.cpre
        r += u.idx
        # go on with the block at nxt when it lies in the same code page, is
        # current and fits (budget, attention threshold)
        # (rmax, cmax: the last retired count and cycle count at which the
        # current block still fits, r + n <= rb and cyc + csum + taken < attn)
        # In the current code page (the common case: kept short, no Cpu
        # field read): its physical address is nxt + pdelta, and nxt lies
        # within the CS limit since the whole page does (checked when the
        # run entered the page: cs_check 0 in run_loop, or below).  The
        # block must be current (tag, then code_gen and dc_gen as one 64-bit
        # compare: pgd) and fit: bk.n - 1 < rb - r (r <= rb here) is
        # "n != 0 and r + n <= rb" in one unsigned compare.
        ph = nxt + pdelta
        if likely((ph & 0xFFFFF000u) == ppage):
            bk = &blocks[blk_hash(ph)]
            if likely(bk.tag == KW_DC_KEY(ph, 1) and blk_gd(bk) == pgd and
                      <uint64_t>bk.n - 1 < rb - r and cyc + bk.csum < clim):
                rmax = rb - bk.n
                cmax = clim - bk.csum
                eip0 = nxt
                continue
            break
        if nxt > cs_lim:
            break
        # another code page (a call or return across pages: Go's code is
        # large): as run_loop's fetch takes it, the translation from the
        # TLB (a hit: no walk, no cycles) and the whole page within the CS
        # limit (cs_page_check 0; blocks run only in 32-bit code), else
        # run_loop fetches it
        lin = cs_base + nxt
        te = KW_BTLB(tlb, lin)
        if <uint64_t>((lin & 0xFFFFF000u) - cs_base) + 4095 > cs_lim:
            break
        if te.rtag != (lin & 0xFFFFF000u):
            # a TLB miss (Go: a code page and a stack page sharing a slot):
            # the walk run_loop's fetch would make next, made here where
            # run_loop's top-of-loop checks would pass (within the budget,
            # below the attention threshold even with the walk's cycles: a
            # later break finds the same state there, and refetches from the
            # filled entry, a hit, nothing charged twice); its #PF raised
            # for the instruction at nxt (the fetch's fault: blk_exec's 2).
            # Not where ifetch_page is that page (run_loop's fetch would not
            # look at the TLB).
            if (cyc + c.m.walk_cost >= attn or r >= rb or
                    c.m.ifetch_page == (lin & 0xFFFFF000u)):
                break
            c.cycles = cyc
            if mmu_translate(&c.m, lin, 0, c.user, &ph):
                if pop:
                    blk_flush(c, pop, fa, fb, fr, fcf)
                raise_pf(c)
                c.eip = nxt
                peip[0] = nxt
                pr[0] = r
                return 2
            cyc = c.cycles
            if te.rtag != (lin & 0xFFFFF000u):
                break
        if te.host == c.m.ones:
            break
        ppage = <uint32_t>(te.host - c.m.mem)
        pdelta = ppage - (lin & 0xFFFFF000u) + cs_base
        c.m.ifetch_page = lin & 0xFFFFF000u
        c.m.ifetch_phys = ppage
        c.cs_check = 0
        ph = ppage | (lin & 0xFFF)
        bk = &blocks[blk_hash(ph)]
        # (pgd: the code page's code_gen and dc_gen, read when the run
        # entered the page; neither can move inside the run: a handler call
        # that moves them stops it)
        pgd = <uint64_t>c.m.code_gen[ppage >> 12] | (pgd & 0xFFFFFFFF00000000u)
        if (bk.tag != KW_DC_KEY(ph, 1) or blk_gd(bk) != pgd or
                bk.n == 0 or r + bk.n > rb or cyc + bk.csum >= clim):
            break
        rmax = rb - bk.n
        cmax = clim - bk.csum
        eip0 = nxt
    kw_lab_out()
    if pop:
        blk_flush(c, pop, fa, fb, fr, fcf)
    c.cycles = cyc
    peip[0] = nxt
    pr[0] = r
    return 0


# fill blk_exec's table of label addresses (threaded dispatch) at import
blk_exec(NULL, NULL, NULL, NULL, 0)
