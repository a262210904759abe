# cython: language_level=3
# kw86/mmu.pyx -- slow paths of the MMU: page walks, TLB fill, page-crossing
# accesses, cache invalidation.  The contract and the fast paths are in
# mmu.pxd; see its header for the rules (Intel SDM Vol. 3A §4.3, §4.7).

from libc.stdlib cimport malloc, calloc, free
from libc.string cimport memset, memcpy
from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t, uintptr_t

cdef inline uint32_t phys_rd32(Mmu* m, uint32_t pa) noexcept nogil:
    # Page-table reads: an entry outside RAM reads as 0 (not present), so a
    # wild CR3 or PDE gives the guest a #PF and never touches the host.
    # The page is remembered as a paging structure (see mmu_host_written).
    cdef uint32_t v
    if pa > m.mem_size - 4:
        return 0
    m.pt_pages[pa >> 12] = 1
    memcpy(&v, m.mem + pa, 4)
    return v

cdef inline void phys_wr32(Mmu* m, uint32_t pa, uint32_t v) noexcept nogil:
    if pa <= m.mem_size - 4:
        memcpy(m.mem + pa, &v, 4)
        if m.code_pages[pa >> 12]:
            mmu_phys_written(m, pa, 4)


cdef int mmu_init(Mmu* m, uint32_t mem_size) noexcept nogil:
    cdef uint32_t i
    memset(m, 0, sizeof(Mmu))
    mem_size = (mem_size + 4095) & 0xFFFFF000u
    if mem_size == 0:
        return -1
    m.mem = <uint8_t*>calloc(mem_size, 1)
    m.ones = <uint8_t*>malloc(4096)
    m.code_pages = <uint8_t*>calloc(mem_size >> 12, 1)
    m.pt_pages = <uint8_t*>calloc(mem_size >> 12, 1)
    m.code_gen = <uint32_t*>calloc(mem_size >> 12, sizeof(uint32_t))
    # aligned to the slots of one 4 KiB page (4096 * sizeof(DEnt), a power of
    # two): the run loop tells that two slots belong to the same page by
    # their addresses alone (exec.pyx run_loop)
    # calloc'd, so an empty slot is all zeros (KW_DC_NOTAG) and the cache's
    # pages stay untouched until code lands in them
    m.dcache_raw = calloc(sizeof(DEnt) * KW_DC_SIZE + 4096 * sizeof(DEnt), 1)
    if m.dcache_raw != NULL:
        m.dcache = <DEnt*>((<uintptr_t>m.dcache_raw + 4096 * sizeof(DEnt) - 1)
                           & ~<uintptr_t>(4096 * sizeof(DEnt) - 1))
    if (m.mem == NULL or m.ones == NULL or m.code_pages == NULL or m.dcache == NULL
            or m.pt_pages == NULL or m.code_gen == NULL):
        mmu_free(m)
        return -1
    memset(m.ones, 0xFF, 4096)
    m.mem_size = mem_size
    m.npages = mem_size >> 12
    mmu_flush(m)
    return 0


cdef void mmu_free(Mmu* m) noexcept nogil:
    free(m.mem)
    free(m.ones)
    free(m.code_pages)
    free(m.pt_pages)
    free(m.dcache_raw)
    free(m.code_gen)
    free(m.blocks)
    m.code_gen = NULL
    m.blocks = NULL
    m.mem = NULL
    m.ones = NULL
    m.code_pages = NULL
    m.pt_pages = NULL
    m.dcache = NULL
    m.dcache_raw = NULL
    m.mem_size = 0
    m.npages = 0


cdef void mmu_flush(Mmu* m) noexcept nogil:
    cdef uint32_t i
    for i in range(KW_TLB_SIZE):
        m.tlb[0][i].rtag = KW_NOTAG
        m.tlb[0][i].wtag = KW_NOTAG
        m.tlb[1][i].rtag = KW_NOTAG
        m.tlb[1][i].wtag = KW_NOTAG
    m.ifetch_page = KW_NOTAG
    m.has_big = 0


cdef void mmu_invlpg(Mmu* m, uint32_t lin) noexcept nogil:
    cdef uint32_t i = (lin >> 12) & (KW_TLB_SIZE - 1)
    cdef uint32_t i4
    m.tlb[0][i].rtag = KW_NOTAG
    m.tlb[0][i].wtag = KW_NOTAG
    m.tlb[1][i].rtag = KW_NOTAG
    m.tlb[1][i].wtag = KW_NOTAG
    if m.has_big:
        # a 4 MiB page may be cached under any of its 4K slots
        for i4 in range(1024):
            i = (((lin & 0xFFC00000u) >> 12) + i4) & (KW_TLB_SIZE - 1)
            if (m.tlb[0][i].rtag & 0xFFC00000u) == (lin & 0xFFC00000u):
                m.tlb[0][i].rtag = KW_NOTAG
                m.tlb[0][i].wtag = KW_NOTAG
            if (m.tlb[1][i].rtag & 0xFFC00000u) == (lin & 0xFFC00000u):
                m.tlb[1][i].rtag = KW_NOTAG
                m.tlb[1][i].wtag = KW_NOTAG
    m.ifetch_page = KW_NOTAG


cdef void mmu_dcache_flush(Mmu* m) noexcept nogil:
    cdef uint32_t i
    if m.dc_used:                   # else every slot is still empty (untouched)
        for i in range(KW_DC_SIZE):
            if m.dcache[i].tag != KW_DC_NOTAG:
                m.dcache[i].tag = KW_DC_NOTAG
        m.dc_used = 0
    memset(m.code_pages, 0, m.npages)
    m.dc_gen += 1
    # write tags were withheld from code pages: refill lazily
    mmu_flush(m)


cdef void mmu_phys_written(Mmu* m, uint32_t phys, uint32_t n) noexcept nogil:
    """Physical bytes [phys, phys+n) were written: drop decoded instructions
    that may overlap them (including ones starting up to 15 bytes before)."""
    cdef uint32_t page, first, last, i, a, idx
    if n == 0 or m.npages == 0:
        return
    first = phys >> 12
    last = (phys + n - 1) >> 12
    if last >= m.npages:
        last = m.npages - 1
    page = first
    while page <= last:
        if m.code_pages[page]:
            m.code_pages[page] = 0
            m.code_gen[page] += 1
            # every slot a tag in this page can occupy, plus the 15 bytes
            # before it (an instruction that starts there may reach in)
            a = (page << 12) - 15 if page > 0 else 0
            while a < ((page + 1) << 12):
                idx = a & (KW_DC_SIZE - 1)
                if m.dcache[idx].tag == KW_DC_KEY(a, 0) or m.dcache[idx].tag == KW_DC_KEY(a, 1):
                    m.dcache[idx].tag = KW_DC_NOTAG
                a += 1
        page += 1


cdef void mmu_host_written(Mmu* m, uint32_t phys, uint32_t n) noexcept nogil:
    """The host (Python) wrote physical [phys, phys+n): drop decoded
    instructions there, and flush the TLB if a page walk ever read one of
    those pages (a page directory or table), so Python's page-table edits
    take effect without an explicit flush."""
    cdef uint32_t page, last
    if n == 0:
        return
    mmu_phys_written(m, phys, n)
    last = (phys + n - 1) >> 12
    if last >= m.npages:
        last = m.npages - 1
    page = phys >> 12
    while page <= last:
        if m.pt_pages[page]:
            mmu_flush(m)
            return
        page += 1


cdef void mmu_mark_code(Mmu* m, uint32_t phys_page) noexcept nogil:
    """The dcache now holds instructions from physical page phys_page (an
    index): withdraw every TLB write tag pointing at it, so guest writes to
    it take the slow path and invalidate."""
    cdef uint32_t i
    cdef uint8_t* host
    if phys_page >= m.npages or m.code_pages[phys_page]:
        return
    m.code_pages[phys_page] = 1
    m.dc_used = 1
    host = m.mem + (<uint64_t>phys_page << 12)
    for i in range(KW_TLB_SIZE):
        if m.tlb[0][i].host == host:
            m.tlb[0][i].wtag = KW_NOTAG
        if m.tlb[1][i].host == host:
            m.tlb[1][i].wtag = KW_NOTAG


cdef inline int pf(Mmu* m, uint32_t lin, uint32_t err) noexcept nogil:
    m.fault_addr = lin
    m.fault_err = err
    return 1


cdef inline void charge_walk(Mmu* m) noexcept nogil:
    m.walks += 1
    if m.cycles != NULL:
        m.cycles[0] += m.walk_cost


cdef int mmu_translate(Mmu* m, uint32_t lin, int write, int user, uint32_t* phys) noexcept nogil:
    """Translate linear lin for a data access (write: 0/1, user: CPL 3).
    Fills the TLB entry of that mode.  0 = ok (*phys set); 1 = #PF."""
    cdef uint32_t pde_a, pde, pte_a, pte, pa, perm, page = lin & 0xFFFFF000u
    cdef uint32_t err = (2 if write else 0) | (4 if user else 0)
    cdef int writable, dirty
    cdef TlbEnt* e = &m.tlb[user][(lin >> 12) & (KW_TLB_SIZE - 1)]
    # Cycle model: a walk is charged only when the translation is not
    # already cached (a P6 TLB hit costs nothing extra), or when a write
    # must set the dirty bit (the P6 walks again for that, SDM Vol. 3A
    # §4.8).  The software TLB stands for the P6's TLBs here: callers that
    # re-translate a cached page (code-page changes, interrupt-frame probes)
    # are not charged for it.  It is larger than the P6's (1,024 entries per
    # mode against 64 data / 32 instruction entries, 4-way), so a working
    # set of 64 to 1,024 pages is charged fewer walks than a P6 would take.
    cdef int cached = e.rtag == page
    if not m.paging:
        pa = page
        writable = 1
        dirty = 1
    else:
        if not cached:
            charge_walk(m)
        pde_a = (m.cr3 & 0xFFFFF000u) + ((lin >> 22) << 2)
        pde = phys_rd32(m, pde_a)
        if not (pde & 1):
            return pf(m, lin, err)
        if (pde & 0x80) and m.pse:
            # CPUID has neither PSE-36 nor PAT: bits 21:12 of a 4 MiB PDE
            # are reserved: #PF with P and RSVD (SDM Vol. 3A §4.3, §4.7)
            if pde & 0x003FF000u:
                return pf(m, lin, err | 9)
            perm = pde
            if user and not (perm & 4):
                return pf(m, lin, err | 1)
            writable = (perm & 2) != 0 or (not user and not m.wp)
            if write and not writable:
                return pf(m, lin, err | 1)
            if cached and write and not (pde & 0x40):
                charge_walk(m)
            if not (pde & 0x20) or (write and not (pde & 0x40)):
                phys_wr32(m, pde_a, pde | 0x20 | (0x40 if write else 0))
                pde = pde | 0x20 | (0x40 if write else 0)
            dirty = (pde & 0x40) != 0
            pa = (pde & 0xFFC00000u) | (lin & 0x3FF000u)
            m.has_big = 1
        else:
            pte_a = (pde & 0xFFFFF000u) + (((lin >> 12) & 0x3FF) << 2)
            pte = phys_rd32(m, pte_a)
            if not (pte & 1):
                return pf(m, lin, err)
            if (pte & 0x80) and m.pse:
                return pf(m, lin, err | 9)      # PAT bit, reserved without PAT (§4.3)
            perm = pde & pte
            if user and not (perm & 4):
                return pf(m, lin, err | 1)
            writable = (perm & 2) != 0 or (not user and not m.wp)
            if write and not writable:
                return pf(m, lin, err | 1)
            if not (pde & 0x20):
                phys_wr32(m, pde_a, pde | 0x20)
            if cached and write and not (pte & 0x40):
                charge_walk(m)
            if not (pte & 0x20) or (write and not (pte & 0x40)):
                pte = pte | 0x20 | (0x40 if write else 0)
                phys_wr32(m, pte_a, pte)
            dirty = (pte & 0x40) != 0
            pa = pte & 0xFFFFF000u
    phys[0] = pa | (lin & 0xFFF)
    e.rtag = page
    if pa < m.mem_size:
        e.host = m.mem + pa
        if writable and dirty and not m.code_pages[pa >> 12]:
            e.wtag = page
        else:
            e.wtag = KW_NOTAG
    else:
        e.host = m.ones
        e.wtag = KW_NOTAG
    if m.ifetch_page == page:
        m.ifetch_page = KW_NOTAG
    return 0


cdef int mmu_host_page(Mmu* m, uint32_t lin, int write, int user, uint8_t** host) noexcept nogil:
    """Host pointer to the byte at lin, valid up to the end of its page, for
    bulk copies (rep movs/stos).  For write, the page's decoded instructions
    are invalidated first.  Unbacked memory: returns 2 (not an error: use
    the byte-wise path).  0 = ok, 1 = #PF."""
    cdef uint32_t pa
    if mmu_translate(m, lin, write, user, &pa):
        return 1
    if pa >= m.mem_size:
        return 2
    if write and m.code_pages[pa >> 12]:
        mmu_phys_written(m, pa & 0xFFFFF000u, 4096)
    host[0] = m.mem + pa
    return 0


cdef int mmu_read_slow(Mmu* m, uint32_t lin, int size, int user, uint32_t* out) noexcept nogil:
    cdef uint8_t buf[4]
    buf[0] = buf[1] = buf[2] = buf[3] = 0
    if mmu_read_buf(m, lin, size, user, buf):
        return 1
    out[0] = buf[0] | (<uint32_t>buf[1] << 8) | (<uint32_t>buf[2] << 16) | (<uint32_t>buf[3] << 24)
    return 0


cdef int mmu_write_slow(Mmu* m, uint32_t lin, int size, int user, uint32_t val) noexcept nogil:
    cdef uint8_t buf[4]
    buf[0] = val & 0xFF
    buf[1] = (val >> 8) & 0xFF
    buf[2] = (val >> 16) & 0xFF
    buf[3] = (val >> 24) & 0xFF
    return mmu_write_buf(m, lin, size, user, buf)


cdef int mmu_read_buf(Mmu* m, uint32_t lin, uint32_t n, int user, uint8_t* buf) noexcept nogil:
    """Read n <= 4096 bytes at linear lin (may straddle one page boundary)."""
    cdef uint32_t pa0, pa1 = 0, n0, lin1
    if n == 0:
        return 0
    n0 = 4096 - (lin & 0xFFF)
    if n0 > n:
        n0 = n
    if mmu_translate(m, lin, 0, user, &pa0):
        return 1
    if n0 < n:
        lin1 = (lin + n0) & 0xFFFFFFFFu
        if mmu_translate(m, lin1, 0, user, &pa1):
            return 1
    if pa0 < m.mem_size:
        memcpy(buf, m.mem + pa0, n0)
    else:
        memset(buf, 0xFF, n0)
    if n0 < n:
        if pa1 < m.mem_size:
            memcpy(buf + n0, m.mem + pa1, n - n0)
        else:
            memset(buf + n0, 0xFF, n - n0)
    return 0


cdef int mmu_write_buf(Mmu* m, uint32_t lin, uint32_t n, int user, const uint8_t* buf) noexcept nogil:
    """Write n <= 4096 bytes at linear lin.  Both pages of a straddling write
    are translated (and may fault) before any byte is written."""
    cdef uint32_t pa0, pa1 = 0, n0, lin1
    if n == 0:
        return 0
    n0 = 4096 - (lin & 0xFFF)
    if n0 > n:
        n0 = n
    if mmu_translate(m, lin, 1, user, &pa0):
        return 1
    if n0 < n:
        lin1 = (lin + n0) & 0xFFFFFFFFu
        if mmu_translate(m, lin1, 1, user, &pa1):
            return 1
    if pa0 < m.mem_size:
        if m.code_pages[pa0 >> 12]:
            mmu_phys_written(m, pa0, n0)
        memcpy(m.mem + pa0, buf, n0)
    if n0 < n and pa1 < m.mem_size:
        if m.code_pages[pa1 >> 12]:
            mmu_phys_written(m, pa1, n - n0)
        memcpy(m.mem + pa1, buf + n0, n - n0)
    return 0
