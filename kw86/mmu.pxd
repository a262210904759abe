# kw86/mmu.pxd -- guest physical memory, paging, the software TLB and the
# decoded-instruction cache (the C contract shared with exec.pyx).
#
# Guest physical memory is ONE host buffer of mem_size bytes (a multiple of
# 4 KiB).  Every guest access goes linear -> (TLB hit | page walk) -> host
# pointer into that buffer; a physical address at or beyond mem_size is not
# backed: reads give all ones, writes are dropped (as an empty bus would).
# Nothing here can touch host memory outside the buffer whatever the guest
# puts in CR3 or its page tables.
#
# Paging: Intel SDM Vol. 3A §4.3 (32-bit paging): two-level 4 KiB pages,
# 4 MiB pages when CR4.PSE and PDE.PS, U/S and R/W combined over both levels,
# CR0.WP for supervisor writes, accessed/dirty bits written back, #PF error
# code P | W/R << 1 | U/S << 2, CR2 = faulting linear address (§4.7).
#
# Software TLB: direct mapped, one array per access mode (index 0 =
# supervisor, 1 = user, i.e. CPL 3 data accesses), so a privilege change needs
# no flush.  A read hit is: tag compare + in-page check + load.  The write
# tag is only set when the page is writable in that mode, its dirty bit is
# already set, and the physical page holds no cached decoded instructions:
# so the first write walks (sets D) and writes to code pages take the slow
# path, which invalidates the decoded instructions of that page (self
# modifying code).  Flushed on CR3 load / CR0 / CR4 writes and by invlpg.

from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t, int32_t
from libc.string cimport memcpy
from kw86.decoder cimport Insn

cdef extern from *:
    """
    #define KW_TLB_BITS 10
    #define KW_TLB_SIZE (1u << KW_TLB_BITS)
    #define KW_DC_BITS 16
    #define KW_DC_SIZE (1u << KW_DC_BITS)
    #define KW_NOTAG 1u            /* never equal to a 4K-aligned page tag */
    /* a dcache slot's tag: KW_DC_VALID | phys << 1 | bits32; an all-zero slot
       (calloc'd, untouched until used) is empty */
    #define KW_DC_VALID 0x8000000000000000ull
    #define KW_DC_NOTAG 0ull
    #define KW_DC_KEY(phys, b32) (KW_DC_VALID | ((uint64_t)(phys) << 1) | (uint64_t)(b32))
    """
    enum: KW_TLB_BITS
    enum: KW_TLB_SIZE
    enum: KW_DC_BITS
    enum: KW_DC_SIZE
    const uint32_t KW_NOTAG
    const uint64_t KW_DC_NOTAG
    const uint64_t KW_DC_VALID
    uint64_t KW_DC_KEY(uint32_t phys, int b32) noexcept nogil

ctypedef struct TlbEnt:
    uint32_t rtag       # linear page base (4K aligned) when reads hit; KW_NOTAG if empty
    uint32_t wtag       # linear page base when writes hit (writable, dirty, no code); else KW_NOTAG
    uint8_t* host       # host address of the 4 KiB page (inside Mmu.mem, or Mmu.ones)

ctypedef struct DEnt:           # one decoded-instruction cache slot (64 bytes)
    uint64_t tag        # KW_DC_KEY(physical address, bits32 (CS.D)); KW_DC_NOTAG (0) if empty
    void* fn            # executor handler (exec.pyx op_fn), resolved at decode time
    uint16_t cycles     # base cost from the cycle profile (class of insn.row)
    uint8_t bits32      # code size it was decoded for (CS.D)
    uint8_t fast        # exec.pyx FK_*: the loop runs this form inline (0: call fn)
    Insn insn

ctypedef struct Mmu:
    uint8_t* mem            # guest physical memory, mem_size bytes
    uint32_t mem_size       # bytes, multiple of 4096
    uint32_t npages         # mem_size >> 12
    uint8_t* ones           # a 4 KiB page of 0xFF: what unbacked physical reads see
    uint8_t* code_pages     # per physical page: 1 if the dcache may hold instructions from it
    uint8_t* pt_pages       # per physical page: 1 if a page walk read it (a PD or PT page)
    DEnt* dcache            # KW_DC_SIZE slots indexed by phys & (KW_DC_SIZE-1)
    void* dcache_raw        # its calloc'd allocation (dcache is aligned inside it)
    uint8_t dc_used         # a slot may have been filled since mmu_init / the last flush
    TlbEnt tlb[2][KW_TLB_SIZE]  # [0] supervisor, [1] user (CPL 3)
    uint32_t cr3            # page directory base (copy of Cpu.cr3)
    uint8_t paging          # CR0.PG (and CR0.PE)
    uint8_t wp              # CR0.WP
    uint8_t pse             # CR4.PSE
    uint8_t has_big         # a 4 MiB page is in the TLB (invlpg must scan)
    uint32_t fault_addr     # linear address of the last page fault (-> CR2)
    uint32_t fault_err      # its #PF error code
    uint64_t walks          # page walks done (TLB misses with paging on)
    uint64_t* cycles        # the CPU's cycle counter (a walk adds walk_cost); NULL: none
    uint32_t walk_cost      # cycles charged per page walk (profile event page_walk)
    uint32_t ifetch_page    # linear page of the current code page (KW_NOTAG: none)
    uint32_t ifetch_phys    # its physical page base
    uint8_t ifetch_user     # mode the ifetch translation was made for
    # translated blocks (exec_block.pxi), keyed by physical address like the
    # dcache and invalidated with it: a block records code_gen of its page and
    # dc_gen when built and is stale once either moved on
    uint32_t* code_gen      # per physical page: bumped when decoded code there is dropped
    uint32_t dc_gen         # bumped by mmu_dcache_flush
    void* blocks            # exec_block.pxi's KwBlk table (allocated by exec on first run)
    uint8_t blocks_off      # 1: run without translated blocks (tests compare both)
    uint64_t blk_insns      # instructions retired inside translated blocks

# --- slow paths (mmu.pyx) ---
cdef int mmu_init(Mmu* m, uint32_t mem_size) noexcept nogil
cdef void mmu_free(Mmu* m) noexcept nogil
cdef int mmu_translate(Mmu* m, uint32_t lin, int write, int user, uint32_t* phys) noexcept nogil
cdef int mmu_read_slow(Mmu* m, uint32_t lin, int size, int user, uint32_t* out) noexcept nogil
cdef int mmu_write_slow(Mmu* m, uint32_t lin, int size, int user, uint32_t val) noexcept nogil
cdef int mmu_read_buf(Mmu* m, uint32_t lin, uint32_t n, int user, uint8_t* buf) noexcept nogil
cdef int mmu_write_buf(Mmu* m, uint32_t lin, uint32_t n, int user, const uint8_t* buf) noexcept nogil
cdef int mmu_host_page(Mmu* m, uint32_t lin, int write, int user, uint8_t** host) noexcept nogil
cdef void mmu_flush(Mmu* m) noexcept nogil
cdef void mmu_invlpg(Mmu* m, uint32_t lin) noexcept nogil
cdef void mmu_phys_written(Mmu* m, uint32_t phys, uint32_t n) noexcept nogil
cdef void mmu_mark_code(Mmu* m, uint32_t phys_page) noexcept nogil
cdef void mmu_dcache_flush(Mmu* m) noexcept nogil
cdef void mmu_host_written(Mmu* m, uint32_t phys, uint32_t n) noexcept nogil

# --- fast paths (inlined into the executor) ---

cdef inline int mmu_read(Mmu* m, uint32_t lin, int size, int user, uint32_t* out) noexcept nogil:
    """Read size (1, 2, 4) bytes at linear lin, zero-extended into *out.
    0 = done; 1 = page fault (m.fault_addr / m.fault_err set)."""
    cdef TlbEnt* e = &m.tlb[user][(lin >> 12) & (KW_TLB_SIZE - 1)]
    cdef uint32_t off = lin & 0xFFF
    cdef uint16_t v16
    if e.rtag == (lin & 0xFFFFF000u) and off <= <uint32_t>(4096 - size):
        if size == 4:
            memcpy(out, e.host + off, 4)
        elif size == 1:
            out[0] = e.host[off]
        else:
            memcpy(&v16, e.host + off, 2)
            out[0] = v16
        return 0
    return mmu_read_slow(m, lin, size, user, out)

cdef inline int mmu_write(Mmu* m, uint32_t lin, int size, int user, uint32_t val) noexcept nogil:
    """Write the low size (1, 2, 4) bytes of val at linear lin.  A store
    that straddles two pages checks both before writing anything."""
    cdef TlbEnt* e = &m.tlb[user][(lin >> 12) & (KW_TLB_SIZE - 1)]
    cdef uint32_t off = lin & 0xFFF
    cdef uint16_t v16
    if e.wtag == (lin & 0xFFFFF000u) and off <= <uint32_t>(4096 - size):
        if size == 4:
            memcpy(e.host + off, &val, 4)
        elif size == 1:
            e.host[off] = <uint8_t>val
        else:
            v16 = <uint16_t>val
            memcpy(e.host + off, &v16, 2)
        return 0
    return mmu_write_slow(m, lin, size, user, val)
