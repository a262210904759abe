# kw86/exec_string.pxi -- string instructions movs/cmps/stos/lods/scas/ins/outs
# with rep/repe/repne (included by exec.pyx).  Owned by the integer-families
# helper.  Semantics: Intel SDM Vol. 2 per instruction and "REP/REPE/REPZ/
# REPNE/REPNZ"; Vol. 1 §7.3.9.
#
# * Operands: source DS:[eSI] (segment override allowed: Insn.seg), destination
#   ES:[eDI] (never overridden); the address size picks eSI/eDI/eCX (16-bit:
#   SI/DI/CX wrap at 64 KiB, the upper halves are kept); DF=1 steps down.
# * rep: eCX = 0 executes nothing.  Each iteration commits eCX/eSI/eDI, so a
#   fault in iteration k leaves the registers of k-1 completed iterations and
#   EIP at the instruction (it restarts there, SDM Vol. 1 §7.3.9.3).  The
#   handler returns with eip_next = eip (EIP unchanged) after a bounded amount of work or
#   when the loop needs attention (timer, interrupt, cycle limit), so an
#   interrupt can come between iterations and the instruction resumes.
#   F2 on movs/stos/lods/ins/outs acts as rep; on cmps/scas F3 = repe, F2 =
#   repne, checked after each iteration (after eCX is decremented).
# * Fast rep movs/stos (DESIGN.md): a chunk is the run of elements that stay
#   in one page for both source and destination (and inside both segment
#   limits, without offset wrap-around); it is copied through host pointers
#   from mmu_host_page().  Overlap keeps element-by-element semantics: when
#   the destination lies ahead of the source in the direction of the copy
#   (rep movsb with dst = src + 1 replicates a byte), the chunk is copied
#   element by element, otherwise memcpy/memmove give the same bytes.  Any
#   element that straddles a page, unbacked memory, or a segment-limit
#   problem takes the one-element path, which faults exactly.
# * ins/outs: io_perm() on every iteration, then (ins) the destination write
#   is probed before the port is read, so a #PF/#GP never loses port data.
#   A host-handled port leaves the loop (EV_IO) after the completed
#   iterations are committed; the instruction resumes when re-run.  A posted
#   out (RC_EXIT) commits its iteration first.
# * Cycles: one class cost ("string") per instruction; a rep adds rep_start
#   when it finishes and a per-element cost (movs_b/movs_d, stos_b/stos_d,
#   rep_other) per iteration; a paused rep gives back the class cost so that
#   a long rep is charged as one instruction.

from libc.string cimport memmove

cdef enum:
    STR_MOVS = 0
    STR_STOS = 1
    STR_LODS = 2
    STR_CMPS = 3
    STR_SCAS = 4
    STR_INS = 5
    STR_OUTS = 6

cdef enum:
    REP_SLOW_MAX = 4096     # elements per handler call on the one-element path
    REP_CHUNK_MAX = 1024    # page chunks per handler call (then the loop gets a look in)

cdef inline uint32_t sidx(Cpu* c, int r, int ad) noexcept nogil:
    return c.gpr[r] if ad == 4 else (c.gpr[r] & 0xFFFF)

cdef inline void sadv(Cpu* c, int r, int ad, uint32_t delta) noexcept nogil:
    if ad == 4:
        c.gpr[r] += delta
    else:
        c.gpr[r] = (c.gpr[r] & 0xFFFF0000u) | ((c.gpr[r] + delta) & 0xFFFF)

cdef inline uint32_t sdelta(Cpu* c, int size) noexcept nogil:
    if c.eflags & F_DF:
        return <uint32_t>(-size)
    return <uint32_t>size

cdef inline int str_size(const Insn* i, int kind) noexcept nogil:
    if kind == STR_OUTS or kind == STR_LODS or kind == STR_SCAS:
        return i.ops[1].size
    return i.ops[0].size

cdef int str_one(Cpu* c, const Insn* i, int kind, int size) noexcept nogil:
    """One iteration; registers are updated only when it completes."""
    cdef int ad = i.adsize, r
    cdef uint32_t a, b, d = sdelta(c, size), port
    if kind == STR_MOVS:
        if rd_mem(c, i.seg, sidx(c, 6, ad), size, &a):
            return RC_FAULT
        if wr_mem(c, SEG_ES, sidx(c, 7, ad), size, a):
            return RC_FAULT
        sadv(c, 6, ad, d)
        sadv(c, 7, ad, d)
    elif kind == STR_STOS:
        if wr_mem(c, SEG_ES, sidx(c, 7, ad), size, rget(c, 0, size)):
            return RC_FAULT
        sadv(c, 7, ad, d)
    elif kind == STR_LODS:
        if rd_mem(c, i.seg, sidx(c, 6, ad), size, &a):
            return RC_FAULT
        rset(c, 0, size, a)
        sadv(c, 6, ad, d)
    elif kind == STR_CMPS:
        # CMPS subtracts the ES:[eDI] element from the DS:[eSI] one.  The SDM
        # gives no order for the two reads; the CPU reads ES:[eDI] first (with
        # both not present, the #PF's CR2 is eDI's: tests/test_cpu_native.py)
        if rd_mem(c, SEG_ES, sidx(c, 7, ad), size, &b):
            return RC_FAULT
        if rd_mem(c, i.seg, sidx(c, 6, ad), size, &a):
            return RC_FAULT
        set_cc(c, CC_SUB, size, a, b, a - b)
        sadv(c, 6, ad, d)
        sadv(c, 7, ad, d)
    elif kind == STR_SCAS:
        if rd_mem(c, SEG_ES, sidx(c, 7, ad), size, &b):
            return RC_FAULT
        a = rget(c, 0, size)
        set_cc(c, CC_SUB, size, a, b, a - b)
        sadv(c, 7, ad, d)
    elif kind == STR_INS:
        port = c.gpr[2] & 0xFFFF
        if io_perm(c, port, size):
            return RC_FAULT
        if check_wr(c, SEG_ES, sidx(c, 7, ad), size):
            return RC_FAULT
        a = 0
        r = io_access(c, i, port, size, 0, &a)
        if r:
            return r
        if wr_mem(c, SEG_ES, sidx(c, 7, ad), size, a):
            return RC_FAULT
        sadv(c, 7, ad, d)
    else:   # STR_OUTS
        port = c.gpr[2] & 0xFFFF
        if io_perm(c, port, size):
            return RC_FAULT
        if rd_mem(c, i.seg, sidx(c, 6, ad), size, &a):
            return RC_FAULT
        r = io_access(c, i, port, size, 1, &a)
        if r == RC_EXIT:
            sadv(c, 6, ad, d)           # posted write: this iteration is done
            return RC_EXIT
        if r:
            return r
        sadv(c, 6, ad, d)
    return RC_OK

cdef inline uint32_t chunk_room(uint32_t lin, uint32_t off, int size, int down, int ad) noexcept nogil:
    """Elements from the one at lin (offset off) that stay in lin's page and
    do not wrap the offset space, stepping up or down.  0: the first
    element straddles a page."""
    cdef uint32_t po = lin & 0xFFF, k, kw
    if po + size > 4096:
        return 0
    if down:
        k = po / size + 1
        kw = off / size + 1
    else:
        k = (4096 - po) / size
        kw = <uint32_t>(((<uint64_t>1 << (ad * 8)) - off) / size)
    return k if k < kw else kw

cdef int rep_chunk(Cpu* c, const Insn* i, int kind, int size, uint32_t n) noexcept nogil:
    """Fast path for rep movs/stos: up to n elements in one page chunk.
    Returns the elements done (> 0), 0 when the one-element path must do
    the next element, or -1 with a fault raised (for the first element, so
    nothing was done)."""
    cdef int ad = i.adsize, down = (c.eflags & F_DF) != 0, r
    cdef uint32_t doff = sidx(c, 7, ad), soff = 0, k, kk, bytes, lin_d, lin_s = 0, tmp, j
    cdef uint32_t v, low_d, low_s = 0
    cdef uint8_t* hd
    cdef uint8_t* hs = NULL
    cdef uint16_t v16
    lin_d = c.seg[SEG_ES].base + doff
    k = chunk_room(lin_d, doff, size, down, ad)
    if k > n:
        k = n
    if kind == STR_MOVS:
        soff = sidx(c, 6, ad)
        lin_s = c.seg[i.seg].base + soff
        kk = chunk_room(lin_s, soff, size, down, ad)
        if kk < k:
            k = kk
    if k == 0:
        return 0
    bytes = k * size
    low_d = doff - (bytes - size) if down else doff
    if seg_addr(c, SEG_ES, low_d, bytes, 1, &tmp):
        return 0
    if kind == STR_MOVS:
        low_s = soff - (bytes - size) if down else soff
        if seg_addr(c, i.seg, low_s, bytes, 0, &tmp):
            return 0
        r = mmu_host_page(&c.m, lin_s, 0, c.user, &hs)
        if r == 1:
            raise_pf(c)
            return -1
        if r:
            return 0
    r = mmu_host_page(&c.m, lin_d, 1, c.user, &hd)
    if r == 1:
        raise_pf(c)
        return -1
    if r:
        return 0
    if down:
        hd -= bytes - size
        if kind == STR_MOVS:
            hs -= bytes - size
    if kind == STR_MOVS:
        if hd + bytes <= hs or hs + bytes <= hd or hd == hs:
            if hd != hs:
                memcpy(hd, hs, bytes)
        elif (hd > hs) != down:
            # the destination overlaps the source ahead of it in the copy
            # direction: element by element, as the hardware does
            if down:
                j = k
                while j > 0:
                    j -= 1
                    memmove(hd + j * size, hs + j * size, size)
            else:
                for j in range(k):
                    memmove(hd + j * size, hs + j * size, size)
        else:
            memmove(hd, hs, bytes)
        sadv(c, 6, ad, sdelta(c, size) * k)
        charge_frac(c, k, c.cost_ev[EVC_MOVS_B] if size == 1 else c.cost_ev[EVC_MOVS_D])
    else:
        v = c.gpr[0]
        if size == 1:
            memset(hd, v & 0xFF, bytes)
        elif size == 2:
            v16 = <uint16_t>v
            for j in range(k):
                memcpy(hd + 2 * j, &v16, 2)
        else:
            for j in range(k):
                memcpy(hd + 4 * j, &v, 4)
        charge_frac(c, k, c.cost_ev[EVC_STOS_B] if size == 1 else c.cost_ev[EVC_STOS_D])
    sadv(c, 7, ad, sdelta(c, size) * k)
    sadv(c, 1, ad, <uint32_t>(-<int64_t>k))
    return <int>k

cdef inline int rep_finish(Cpu* c) noexcept nogil:
    c.cycles += c.cost_ev[EVC_REP_START]
    return RC_OK

cdef inline int rep_pause(Cpu* c, const Insn* i) noexcept nogil:
    # more to do: EIP stays at the instruction (eip_next = eip); the loop
    # will charge the class cost again, so give it back (one charge per
    # instruction)
    c.cycles -= c.cost_class[row_info(i.row).cls]
    c.eip_next = c.eip
    return RC_OK

cdef int str_exec(Cpu* c, const Insn* i, int kind) noexcept nogil:
    cdef int size = str_size(i, kind), ad = i.adsize, r, slow = 0, progress = 0, chunks = 0
    cdef int cmp = kind == STR_CMPS or kind == STR_SCAS
    cdef int repne = (i.prefixes & PFX_REPNE) != 0 and not (i.prefixes & PFX_REP)
    cdef uint32_t n, per
    if not (i.prefixes & (PFX_REP | PFX_REPNE)):
        return str_one(c, i, kind, size)
    per = c.cost_ev[EVC_REP_OTHER]
    if kind == STR_MOVS:
        per = c.cost_ev[EVC_MOVS_B] if size == 1 else c.cost_ev[EVC_MOVS_D]
    elif kind == STR_STOS:
        per = c.cost_ev[EVC_STOS_B] if size == 1 else c.cost_ev[EVC_STOS_D]
    while True:
        n = sidx(c, 1, ad)
        if n == 0:
            return rep_finish(c)
        # pause for the loop (interrupts, timer, limits) only after some
        # progress: attn can stay due (an irq pending with IF=0)
        if progress and (slow >= REP_SLOW_MAX or chunks >= REP_CHUNK_MAX or c.cycles >= c.attn):
            return rep_pause(c, i)
        progress = 1
        # single-stepping (a trap is due after this instruction, attn = 0):
        # one element, then the pause above (SDM Vol. 3B §17.3.1.4, REP)
        # (alignment checks / data breakpoints, c.slow_mem: element by element too)
        if kind <= STR_STOS and not c.tf_armed and not c.slow_mem:
            r = rep_chunk(c, i, kind, size, n)
            if r > 0:
                chunks += 1
                continue
            if r < 0:
                return RC_FAULT
        r = str_one(c, i, kind, size)
        if r == RC_EXIT:
            # posted out to a host port: this iteration is done; leave the
            # loop, at the instruction again if iterations are left
            sadv(c, 1, ad, 0xFFFFFFFFu)
            charge_frac(c, 1, per)
            if sidx(c, 1, ad) == 0:
                c.cycles += c.cost_ev[EVC_REP_START]
            else:
                c.cycles -= c.cost_class[row_info(i.row).cls]
                c.eip_next = c.eip
            return RC_EXIT
        if r:
            return r            # RC_FAULT / RC_EVENT: completed iterations stay
        sadv(c, 1, ad, 0xFFFFFFFFu)
        charge_frac(c, 1, per)
        slow += 1
        if cmp:
            if repne:
                if cond(c, 4):
                    return rep_finish(c)
            elif not cond(c, 4):
                return rep_finish(c)

cdef int op_movs(Cpu* c, const Insn* i) noexcept nogil:
    return str_exec(c, i, STR_MOVS)

cdef int op_stos(Cpu* c, const Insn* i) noexcept nogil:
    return str_exec(c, i, STR_STOS)

cdef int op_lods(Cpu* c, const Insn* i) noexcept nogil:
    return str_exec(c, i, STR_LODS)

cdef int op_cmps(Cpu* c, const Insn* i) noexcept nogil:
    return str_exec(c, i, STR_CMPS)

cdef int op_scas(Cpu* c, const Insn* i) noexcept nogil:
    return str_exec(c, i, STR_SCAS)

cdef int op_ins(Cpu* c, const Insn* i) noexcept nogil:
    return str_exec(c, i, STR_INS)

cdef int op_outs(Cpu* c, const Insn* i) noexcept nogil:
    return str_exec(c, i, STR_OUTS)

cdef register_string():
    reg_all(["movsb", "movsw", "movsd"], op_movs)
    reg_all(["stosb", "stosw", "stosd"], op_stos)
    reg_all(["lodsb", "lodsw", "lodsd"], op_lods)
    reg_all(["cmpsb", "cmpsw", "cmpsd"], op_cmps)
    reg_all(["scasb", "scasw", "scasd"], op_scas)
    reg_all(["insb", "insw", "insd"], op_ins)
    reg_all(["outsb", "outsw", "outsd"], op_outs)
