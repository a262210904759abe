# kw86/exec_core.pxi -- the Python-facing object around one Cpu (included by
# exec.pyx).  kw86/machine.py wraps it with names and policy; everything
# here validates its arguments so that no call can touch host memory
# outside the guest buffer.

cdef enum:
    SF_N = 512                  # Core.sf_*: call numbers the run_io answer cache holds

_SEG_INDEX = {"es": 0, "cs": 1, "ss": 2, "ds": 3, "fs": 4, "gs": 5}

cdef class Core:
    """One CPU + guest physical memory (C state; see kw86.machine.Machine)."""
    cdef Cpu* c
    # the system-call answer cache (sysfast_*, run_io): a register-only
    # result the host's hypercall handler armed for call number n, valid
    # while sf_valid[n] == sf_gen; sf_gen moves on whenever host code may
    # run (run_io's entry, before every handler call, a chunk's end)
    cdef object sf_handler
    cdef uint32_t sf_port, sf_hc_trap, sf_hc_gate, sf_ebx, sf_mask
    cdef uint64_t sf_cost, sf_gen
    # sysfast_frames: where a real system-call hypercall returns to (the
    # instructions after locore's two `outl`s; 0: unchecked), KERNBASE and
    # the gate's trapno, for sf_forged
    cdef uint32_t sf_site0, sf_site1, sf_kbase, sf_gate_trapno
    cdef uint64_t sf_count[2]
    cdef uint64_t sf_hits[2]
    cdef uint64_t sf_valid[SF_N]
    cdef uint32_t sf_eax[SF_N]
    cdef uint32_t sf_edx[SF_N]

    def __cinit__(self, uint32_t mem_size=64 << 20):
        if mem_size == 0 or mem_size > 0x80000000u:
            raise ValueError("guest memory must be 4 KiB .. 2 GiB")
        self.c = <Cpu*>calloc(1, sizeof(Cpu))
        if self.c == NULL:
            raise MemoryError("kw86: cannot allocate the CPU state")
        if mmu_init(&self.c.m, mem_size) != 0:
            free(self.c)
            self.c = NULL
            raise MemoryError(f"kw86: cannot allocate {mem_size} bytes of guest memory")
        self.c.eflags = 2
        self.c.cr0 = 0x10
        self.c.cc_op = CC_EFLAGS
        self.c.cc_size = 4
        self.c.gdtr_limit = 0xFFFF
        self.c.idtr_limit = 0xFFFF
        self.c.dr[6] = 0xFFFF0FF0u
        self.c.dr[7] = 0x400
        for k in range(6):
            self.c.seg[k].limit = 0xFFFF
            self.c.seg[k].access = 0x93
            self.c.seg[k].valid = 1
            seg_update(&self.c.seg[k])
        self.c.seg[SEG_CS].access = 0x9B
        seg_update(&self.c.seg[SEG_CS])
        cs_changed(self.c)
        for k in range(NCLASS_MAX):
            self.c.cost_class[k] = 1
        self.c.m.ifetch_page = KW_NOTAG
        self.c.m.cycles = &self.c.cycles
        fpu_init(&self.c.fpu)           # x87 in its FNINIT state (exec_fpu.pxi)
        self.sf_gen = 1

    def __dealloc__(self):
        if self.c != NULL:
            mmu_free(&self.c.m)
            free(self.c)
            self.c = NULL

    # ---- memory -------------------------------------------------------------

    @property
    def mem_size(self):
        return self.c.m.mem_size

    def _check_phys(self, addr, n):
        if addr < 0 or n < 0 or addr + n > self.c.m.mem_size:
            raise IndexError(f"physical range [{addr:#x}, {addr + n:#x}) is outside guest "
                             f"memory (size {self.c.m.mem_size:#x})")

    def read_phys(self, addr, n):
        self._check_phys(addr, n)
        cdef uint32_t a = addr
        return (<char*>self.c.m.mem)[a:a + n]

    def write_phys(self, addr, data):
        cdef const uint8_t[:] mv = memoryview(bytes(data)) if not isinstance(data, bytes) else data
        cdef uint32_t n = len(data), a
        self._check_phys(addr, n)
        a = addr
        if n:
            memcpy(self.c.m.mem + a, &mv[0], n)
            mmu_host_written(&self.c.m, a, n)

    def fill_phys(self, addr, n, int value=0):
        self._check_phys(addr, n)
        cdef uint32_t a = addr, nn = n
        if nn:
            memset(self.c.m.mem + a, value & 0xFF, nn)
            mmu_host_written(&self.c.m, a, nn)

    def translate(self, uint32_t lin, bint write=False, bint user=False):
        """Linear -> physical as the guest would (sets A/D bits); None on a
        fault (then .last_fault gives (address, error code))."""
        cdef uint32_t pa
        cdef uint64_t* cyc = self.c.m.cycles
        self.c.m.cycles = NULL          # host accesses charge no page walks
        try:
            if mmu_translate(&self.c.m, lin, write, user, &pa):
                return None
            return pa
        finally:
            self.c.m.cycles = cyc

    @property
    def last_fault(self):
        return (self.c.m.fault_addr, self.c.m.fault_err)

    def read_lin(self, uint32_t lin, uint32_t n, bint user=False):
        """Read n bytes at a linear address through paging; None on a fault."""
        cdef bytearray out = bytearray(n)
        cdef uint8_t* p = out
        cdef uint32_t done = 0, chunk
        cdef uint64_t* cyc = self.c.m.cycles
        self.c.m.cycles = NULL
        try:
            while done < n:
                chunk = 4096 - ((lin + done) & 0xFFF)
                if chunk > n - done:
                    chunk = n - done
                if mmu_read_buf(&self.c.m, lin + done, chunk, user, p + done):
                    return None
                done += chunk
            return bytes(out)
        finally:
            self.c.m.cycles = cyc

    def write_lin(self, uint32_t lin, data, bint user=False):
        """Write bytes at a linear address through paging; False on a fault
        (pages before the faulting one are written)."""
        cdef bytes b = bytes(data)
        cdef const uint8_t* p = b
        cdef uint32_t n = len(b), done = 0, chunk
        cdef uint64_t* cyc = self.c.m.cycles
        self.c.m.cycles = NULL
        try:
            while done < n:
                chunk = 4096 - ((lin + done) & 0xFFF)
                if chunk > n - done:
                    chunk = n - done
                if mmu_write_buf(&self.c.m, lin + done, chunk, user, p + done):
                    return False
                done += chunk
            return True
        finally:
            self.c.m.cycles = cyc

    def flush_tlb(self):
        mmu_flush(&self.c.m)

    def flush_dcache(self):
        mmu_dcache_flush(&self.c.m)

    # ---- registers ----------------------------------------------------------

    def get_gpr(self, int r):
        return self.c.gpr[r & 7]

    def set_gpr(self, int r, uint32_t v):
        self.c.gpr[r & 7] = v

    @property
    def eip(self):
        return self.c.eip

    @eip.setter
    def eip(self, uint32_t v):
        self.c.eip = v
        self.c.halted = 0
        self.c.io_ready = 0         # a redirected CPU drops a pending `in` answer
        update_attn(self.c)

    @property
    def eflags(self):
        return get_eflags(self.c)

    @eflags.setter
    def eflags(self, uint32_t v):
        set_eflags_all(self.c, v)

    def get_cr(self, int n):
        if n == 0:
            return self.c.cr0
        if n == 2:
            return self.c.cr2
        if n == 3:
            return self.c.cr3
        if n == 4:
            return self.c.cr4
        raise ValueError(f"no control register cr{n}")

    def set_cr(self, int n, uint32_t v):
        """Set a control register as the host (no privilege check; CR0/CR4
        values are taken as given, apart from ET=1).  Flushes the TLB."""
        if n == 0:
            self.c.cr0 = v | 0x10
        elif n == 2:
            self.c.cr2 = v
            return
        elif n == 3:
            self.c.cr3 = v
        elif n == 4:
            self.c.cr4 = v
        else:
            raise ValueError(f"no control register cr{n}")
        cr_changed(self.c)

    def get_dr(self, int n):
        return self.c.dr[n & 7]

    def set_dr(self, int n, uint32_t v):
        self.c.dr[n & 7] = v

    @property
    def cpl(self):
        return self.c.cpl

    @cpl.setter
    def cpl(self, int v):
        if not 0 <= v <= 3:
            raise ValueError("cpl must be 0..3")
        self.c.cpl = 255
        set_cpl(self.c, v)

    def get_seg(self, int s):
        """(selector, base, limit, access byte, big, valid) of ES..GS (0..5),
        6 = LDTR, 7 = TR."""
        cdef SegCache* sc = self._seg(s)
        return (sc.sel, sc.base, sc.limit, sc.access, sc.big, sc.valid)

    cdef SegCache* _seg(self, int s) except NULL:
        if 0 <= s < 6:
            return &self.c.seg[s]
        if s == 6:
            return &self.c.ldtr
        if s == 7:
            return &self.c.tr
        raise ValueError(f"segment index {s} out of range")

    def set_seg(self, int s, uint32_t sel, uint32_t base, uint32_t limit, int access,
                bint big, bint valid=True):
        """Load a segment's hidden part directly (no descriptor table)."""
        cdef SegCache* sc = self._seg(s)
        sc.sel = sel & 0xFFFF
        sc.base = base
        sc.limit = limit
        sc.access = access & 0xFF
        sc.big = big
        sc.gran = limit > 0xFFFFF
        sc.valid = valid
        seg_update(sc)
        if s == SEG_CS:
            cs_changed(self.c)
        elif s == SEG_SS:
            self.c.stack32 = big

    def set_seg_selector(self, int s, uint32_t sel):
        """Change only the visible selector."""
        self._seg(s).sel = sel & 0xFFFF

    def load_seg_from_table(self, int s, uint32_t sel):
        """Load ES..GS/LDTR/TR's hidden part from the descriptor in the
        GDT/LDT (guest memory) without privilege checks, as a loader would.
        Returns False if the selector is outside the table."""
        cdef uint32_t lo, hi
        cdef SegCache* sc = self._seg(s)
        if (sel & 0xFFFC) == 0:
            seg_null(sc, sel)
            return True
        if fetch_desc(self.c, sel, &lo, &hi):
            return False
        seg_from_desc(sc, sel, lo, hi)
        if s == SEG_CS:
            cs_changed(self.c)
        elif s == SEG_SS:
            self.c.stack32 = sc.big
        return True

    def get_table(self, int which):
        """(base, limit) of GDTR (0) or IDTR (1)."""
        if which == 0:
            return (self.c.gdtr_base, self.c.gdtr_limit)
        return (self.c.idtr_base, self.c.idtr_limit)

    def set_table(self, int which, uint32_t base, uint32_t limit):
        if which == 0:
            self.c.gdtr_base = base
            self.c.gdtr_limit = limit & 0xFFFF
        else:
            self.c.idtr_base = base
            self.c.idtr_limit = limit & 0xFFFF

    def get_msr(self, uint32_t n):
        if n == 0x10:
            return self.c.cycles + self.c.tsc_offset
        if n == 0x174:
            return self.c.sysenter_cs
        if n == 0x175:
            return self.c.sysenter_esp
        if n == 0x176:
            return self.c.sysenter_eip
        raise ValueError(f"MSR {n:#x} is not implemented")

    def set_msr(self, uint32_t n, uint64_t v):
        if n == 0x10:
            self.c.tsc_offset = v - self.c.cycles
        elif n == 0x174:
            self.c.sysenter_cs = v & 0xFFFF
        elif n == 0x175:
            self.c.sysenter_esp = <uint32_t>v
        elif n == 0x176:
            self.c.sysenter_eip = <uint32_t>v
        else:
            raise ValueError(f"MSR {n:#x} is not implemented")

    # ---- running ------------------------------------------------------------

    def run(self, uint64_t n):
        """Run up to n instructions with the GIL released; returns EV_*."""
        cdef int ev
        with nogil:
            ev = cpu_run(self.c, n)
        return ev

    def sysfast_setup(self, uint32_t port, uint32_t hc_trap, uint32_t hc_gate, uint32_t ebx,
                      uint32_t mask, uint64_t cost, handler):
        """Let run_io answer a system call itself: an `out` to port with
        value hc_trap or hc_gate (counted apart), when the port's write
        handler is still `handler` and call number %ecx & mask has an
        armed answer (sysfast_arm): %eax, %edx as armed, %ebx = ebx, cost
        modelled cycles added -- what the handler would have done.
        handler None: off (the values stay for sys_enter, sys_return)."""
        if mask >= SF_N:
            raise ValueError(f"sysfast mask {mask:#x} is over {SF_N - 1:#x}")
        self.sf_port, self.sf_hc_trap, self.sf_hc_gate = port, hc_trap, hc_gate
        self.sf_ebx, self.sf_mask, self.sf_cost = ebx, mask, cost
        self.sf_handler = handler
        self.sf_gen += 1

    def sysfast_frames(self, uint32_t site0, uint32_t site1, uint32_t kbase,
                       uint32_t gate_trapno):
        """Refuse a forged system-call hypercall (sf_forged): a real one
        returns to site0 or site1, and one that may take the register path
        (%ecx != 0) carries in %ecx, %esi copies of its frame's tf_eax,
        tf_esp, the frame on the kernel stack (linear kbase + physical).
        site0 = 0: no checks."""
        self.sf_site0, self.sf_site1 = site0, site1
        self.sf_kbase, self.sf_gate_trapno = kbase, gate_trapno
        self.sf_gen += 1

    cdef inline bint sf_forged(self, bint gate) noexcept nogil:
        """A system-call hypercall the kernel cannot trust: not made by
        locore's hypercall instructions, or one whose registers are not its
        frame's (the frame is the one source of truth: the general path and
        the trace read it; %ecx = 0 always takes the general path).  From
        int $0x80 at CPL 0 locore passes %ecx = 0, so a register-path frame
        (%ecx != 0) is one with esp/ss: the gate's (trapno
        sf_gate_trapno) for HC_GATE, one from CPL 3 otherwise."""
        cdef Cpu* c = self.c
        cdef uint32_t fesp, eax, trapno, cs, esp
        cdef uint8_t* f
        if self.sf_site0 == 0:
            return False
        if c.eip != self.sf_site0 and c.eip != self.sf_site1:
            return True
        if c.gpr[1] == 0:
            return False
        fesp = c.gpr[4] - self.sf_kbase
        if c.gpr[4] < self.sf_kbase or fesp > c.m.mem_size - 72:
            return True
        f = c.m.mem + fesp              # tf_eax +40, tf_trapno +44, tf_cs +56, tf_esp +64
        memcpy(&eax, f + 40, 4)
        memcpy(&esp, f + 64, 4)
        if eax != c.gpr[1] or esp != c.gpr[6]:
            return True
        memcpy(&trapno, f + 44, 4)
        if gate:
            return trapno != self.sf_gate_trapno
        memcpy(&cs, f + 56, 4)
        return trapno == self.sf_gate_trapno or not (cs & 3)

    def sysfast_arm(self, uint32_t n, uint32_t eax, uint32_t edx):
        """From inside the handler: call n answers eax, edx until host code
        next runs (the handler's next call, run_io's return)."""
        n &= self.sf_mask
        self.sf_valid[n] = self.sf_gen
        self.sf_eax[n] = eax
        self.sf_edx[n] = edx

    def sys_enter(self, bint gate):
        """A system-call hypercall's entry (trap.py): the per-call cost
        (sysfast_setup's) charged, the call counted by path (sysfast_count);
        -> the call number, %ecx & the mask; -1 for a forged one (sf_forged:
        nothing charged or counted)."""
        if self.sf_forged(gate):
            return -1
        self.c.cycles += self.sf_cost
        self.sf_count[1 if gate else 0] += 1
        return self.c.gpr[1] & self.sf_mask

    def sys_return(self, uint32_t n, uint32_t eax, uint32_t edx, bint arm):
        """The register return of call n: %eax, %edx, %ebx = the fast
        marker (sysfast_setup's); arm: the same answer again until host
        code next runs (sysfast_arm)."""
        cdef Cpu* c = self.c
        c.gpr[0] = eax
        c.gpr[2] = edx
        c.gpr[3] = self.sf_ebx
        if arm:
            n &= self.sf_mask
            self.sf_valid[n] = self.sf_gen
            self.sf_eax[n] = eax
            self.sf_edx[n] = edx

    def sysfast_count(self, int gate):
        """System calls by trap (0) or gate (1): sys_enter's and those
        run_io answered itself."""
        return self.sf_count[1 if gate else 0]

    def sysfast_hits(self, int gate):
        """System calls by trap (0) or gate (1) run_io answered itself."""
        return self.sf_hits[1 if gate else 0]

    def run_io(self, uint64_t n, uint64_t chunk, dict outs, dict ins):
        """Run up to n instructions, at most chunk per nogil stretch,
        serving EV_IO in between through the host's port handlers (dicts
        port -> callable or None: write(port, size, value), read(port, size)
        -> int).  Returns (ev, done): Machine.run's loop, kept in C so a
        hypercall round trip costs one Python call (the handler's), none
        for a system call answered from sysfast_arm's cache."""
        cdef int ev, fast
        cdef uint64_t left = n, done = 0, k, m
        cdef uint32_t nr, hv
        cdef Cpu* c = self.c
        self.sf_gen += 1
        while True:
            m = left if left < chunk else chunk
            fast = self.sf_handler is not None and outs.get(self.sf_port) is self.sf_handler
            with nogil:
                while True:
                    ev = cpu_run(c, m)
                    k = c.run_done
                    done += k
                    left -= k if k <= left else left
                    if not (fast and ev == EV_IO and c.io_write and c.io_port == self.sf_port):
                        break
                    hv = c.io_value
                    if hv != self.sf_hc_trap and hv != self.sf_hc_gate:
                        break
                    nr = c.gpr[1] & self.sf_mask
                    if self.sf_valid[nr] != self.sf_gen or self.sf_forged(hv == self.sf_hc_gate):
                        break
                    c.gpr[0] = self.sf_eax[nr]
                    c.gpr[2] = self.sf_edx[nr]
                    c.gpr[3] = self.sf_ebx
                    c.cycles += self.sf_cost
                    self.sf_count[1 if hv == self.sf_hc_gate else 0] += 1
                    self.sf_hits[1 if hv == self.sf_hc_gate else 0] += 1
                    m -= k if k <= m else m
                    if m == 0 or left == 0:
                        ev = -1                 # answered; the chunk is used up
                        break
            if ev == -1:
                if left == 0:
                    return EV_BUDGET, done
                PyErr_CheckSignals()
                self.sf_gen += 1
                continue
            if ev == EV_IO:
                # `out`: done, the handler sees the state after it;
                # `in`: completes (and counts) when the loop resumes
                self.sf_gen += 1
                port = c.io_port
                if c.io_write:
                    h = outs.get(port)
                    if h is not None:
                        h(port, c.io_size, c.io_value)
                else:
                    h = ins.get(port)
                    v = h(port, c.io_size) if h is not None else 0xFFFFFFFF
                    c.io_value = <uint32_t>(int(v) & 0xFFFFFFFF)
                    c.io_ready = 1
                if left == 0 and not c.io_ready:
                    return EV_BUDGET, done
                # (the answers the handler just armed stay: a host signal
                # handler only queues the signal for the kernel)
                PyErr_CheckSignals()
                continue
            if ev == EV_BUDGET and left > 0:
                PyErr_CheckSignals()    # a chunk ended: Ctrl-C is seen here
                self.sf_gen += 1
                continue
            return ev, done

    def stop(self):
        """Make run() return EV_STOP at the next instruction boundary (safe
        from another thread: the loop polls it on its slow path)."""
        self.c.stop_req = 1
        self.c.attn = 0

    @property
    def run_done(self):
        return self.c.run_done

    @property
    def halted(self):
        return bool(self.c.halted)

    @halted.setter
    def halted(self, v):
        self.c.halted = 1 if v else 0
        update_attn(self.c)

    @property
    def cycles(self):
        return self.c.cycles

    @cycles.setter
    def cycles(self, uint64_t v):
        self.c.cycles = v

    def add_cycles(self, uint64_t n):
        self.c.cycles += n

    @property
    def icount(self):
        return self.c.icount

    @icount.setter
    def icount(self, uint64_t v):
        self.c.icount = v

    @property
    def cycle_limit(self):
        return self.c.cycle_limit

    @cycle_limit.setter
    def cycle_limit(self, uint64_t v):
        self.c.cycle_limit = v

    @property
    def page_walks(self):
        return self.c.m.walks

    # ---- exceptions / events --------------------------------------------------

    @property
    def intercept(self):
        return self.c.intercept

    @intercept.setter
    def intercept(self, uint32_t v):
        self.c.intercept = v

    @property
    def intercept_soft(self):
        return bool(self.c.intercept_soft)

    @intercept_soft.setter
    def intercept_soft(self, v):
        self.c.intercept_soft = 1 if v else 0

    def exc_info(self):
        """(vector, has_error_code, error_code, cr2, soft) of the last
        intercepted exception / fault."""
        return (self.c.exc_vector, bool(self.c.exc_has_err), self.c.exc_err,
                self.c.exc_cr2, bool(self.c.exc_soft))

    @property
    def event_detail(self):
        return self.c.event_ext

    # ---- interrupts ----------------------------------------------------------

    def raise_irq(self, int vector):
        """Raise the external interrupt line with vector (edge: delivered once
        when IF=1, then cleared)."""
        self.c.irq_pending = 1
        self.c.irq_vector = vector & 0xFF
        update_attn(self.c)

    def clear_irq(self):
        self.c.irq_pending = 0
        update_attn(self.c)

    @property
    def irq_pending(self):
        return bool(self.c.irq_pending)

    def set_timer(self, uint64_t period, int vector=0x20, first=None):
        """Raise irq `vector` every `period` modelled cycles (0: off)."""
        if period == 0:
            self.c.timer_on = 0
        else:
            self.c.timer_on = 1
            self.c.timer_period = period
            self.c.timer_vector = vector & 0xFF
            self.c.timer_next = (self.c.cycles + period) if first is None else first
        update_attn(self.c)

    @property
    def timer_ticks(self):
        return self.c.timer_ticks

    @property
    def timer_next(self):
        return self.c.timer_next

    # ---- ports ----------------------------------------------------------------

    def hook_port(self, int port, bint on=True, bint free=False):
        if not 0 <= port <= 0xFFFF:
            raise ValueError(f"port {port:#x} is not 0..0xffff")
        if on:
            self.c.io_hooked[port >> 3] |= 1 << (port & 7)
        else:
            self.c.io_hooked[port >> 3] &= ~(1 << (port & 7))
        if free and on:
            self.c.io_free_bm[port >> 3] |= 1 << (port & 7)
        else:
            self.c.io_free_bm[port >> 3] &= ~(1 << (port & 7))

    def io_info(self):
        """(port, size, is_write, value) of the pending EV_IO."""
        return (self.c.io_port, self.c.io_size, bool(self.c.io_write), self.c.io_value)

    @property
    def io_pending_in(self):
        return bool(self.c.io_ready)

    def io_complete(self, uint32_t value=0):
        """Supply the result of the pending EV_IO; the instruction completes
        when run() resumes."""
        self.c.io_value = value
        self.c.io_ready = 1

    # ---- host breakpoints -------------------------------------------------------

    def set_breakpoints(self, addrs):
        """Linear addresses (up to 8) where run() stops with EV_BREAK before
        executing the instruction."""
        addrs = list(dict.fromkeys(int(a) & 0xFFFFFFFF for a in addrs))
        if len(addrs) > 8:
            raise ValueError("at most 8 host breakpoints")
        for k, a in enumerate(addrs):
            self.c.bp_lin[k] = a
        self.c.nbp = len(addrs)
        mmu_dcache_flush(&self.c.m)

    def set_blocks(self, on):
        """Run with translated blocks (exec_block.pxi; the default) or
        without them (the per-instruction path alone): tests compare both."""
        self.c.m.blocks_off = 0 if on else 1

    @property
    def block_instructions(self):
        """Instructions retired inside translated blocks so far."""
        return self.c.m.blk_insns

    def arm_bp_skip(self):
        """Resume past a breakpoint at the current CS:EIP (once)."""
        self.c.bp_skip_lin = self.c.seg[SEG_CS].base + self.c.eip
        self.c.bp_skip = 1

    # ---- the cycle model --------------------------------------------------------

    def set_costs(self, class_costs, event_costs):
        """class_costs: list indexed by cycle-class id (opcodes.CLASSES);
        event_costs: list indexed by EVC_* (see exec.pxd)."""
        for k, v in enumerate(class_costs):
            if k < NCLASS_MAX:
                self.c.cost_class[k] = min(int(v), 65535)
        for k, v in enumerate(event_costs):
            if k < EVC_N:
                self.c.cost_ev[k] = int(v)
        self.c.m.walk_cost = self.c.cost_ev[EVC_PAGE_WALK]
        mmu_dcache_flush(&self.c.m)     # cached entries hold class costs

    def get_costs(self):
        return ([self.c.cost_class[k] for k in range(NCLASS_MAX)],
                [self.c.cost_ev[k] for k in range(EVC_N)])


EVENT_NAMES = {EV_BUDGET: "budget", EV_HLT: "hlt", EV_HANG: "hang", EV_TRIPLE: "triple_fault",
               EV_IO: "io", EV_EXCEPTION: "exception", EV_TASKSWITCH: "task_switch",
               EV_STOP: "stop", EV_CYCLES: "cycles", EV_BREAK: "breakpoint"}
EVC = {"branch_taken": EVC_BRANCH_TAKEN, "seg_load": EVC_SEG_LOAD,
       "priv_change": EVC_PRIV_CHANGE, "page_walk": EVC_PAGE_WALK,
       "int_same": EVC_INT_SAME, "int_priv": EVC_INT_PRIV, "iret_same": EVC_IRET_SAME,
       "iret_priv": EVC_IRET_PRIV, "farcall_gate": EVC_FARCALL_GATE,
       "retf_outer": EVC_RETF_OUTER, "exception": EVC_EXCEPTION, "rep_start": EVC_REP_START,
       "movs_d": EVC_MOVS_D, "movs_b": EVC_MOVS_B, "stos_d": EVC_STOS_D,
       "stos_b": EVC_STOS_B, "rep_other": EVC_REP_OTHER, "io": EVC_IO,
       "task_switch": EVC_TASK_SWITCH}
EVC_COUNT = EVC_N

globals().update(dict(EV_BUDGET=EV_BUDGET, EV_HLT=EV_HLT, EV_HANG=EV_HANG, EV_TRIPLE=EV_TRIPLE,
                      EV_IO=EV_IO, EV_EXCEPTION=EV_EXCEPTION, EV_TASKSWITCH=EV_TASKSWITCH,
                      EV_STOP=EV_STOP, EV_CYCLES=EV_CYCLES, EV_BREAK=EV_BREAK))
