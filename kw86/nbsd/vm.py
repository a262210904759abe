"""A process's address space: its page directory and its regions (the
part of NetBSD's UVM kw86 models).

Regions (text, data, heap, stack, anon, sigcode) are demand-paged: a page
is backed on its first touch (VM.fault, from the page-fault trap, from the
#DF task for a kernelware's own stack (trap.dblfault), or from the
kernel's copyin/copyout); fork shares pages copy-on-write.  The same for a
user process and a kernelware.  The stack region is RLIMIT_STACK below
USRSTACK (set_stack_limit: NetBSD reserves MAXSSIZ at exec and makes
rlim_cur of it accessible).  Memory is overcommitted as UVM does
(check_memory refuses only a request larger than all free memory).
"""
from kw86.nbsd import abi
from kw86.nbsd.boot import PG_RW, PG_U, PG_V
from kw86.nbsd.errors import Errno

PAGE = abi.PAGE_SIZE
MMAP_TOP = abi.USRSTACK - abi.MAXSSIZ        # mmap placement is top-down below the stack
RESERVE_PAGES = 64                           # frames kept back for page tables, stacks


class MapObj:
    """A regular file mapped MAP_SHARED (NetBSD's vnode uvm_object): its
    pages are the buffer cache's own buffers (bufcache.py), so a store
    through the mapping and read/write(2) see the same bytes.  It keeps the
    vnode open while any region maps it (held per Region)."""
    __slots__ = ("vp", "fflags", "bc", "maxprot", "refs")

    def __init__(self, vp, fflags, bc, maxprot):
        self.vp, self.fflags, self.bc, self.maxprot = vp, fflags, bc, maxprot
        self.refs = 0
        vp.open(fflags)

    def hold(self):
        self.refs += 1

    def release(self):
        self.refs -= 1
        if self.refs == 0:
            self.vp.close(self.fflags)


class Region:
    __slots__ = ("start", "end", "prot", "kind", "obj", "off", "src")

    def __init__(self, start, end, prot, kind, obj=None, off=0, src=None):
        self.start, self.end, self.prot, self.kind = start, end, prot, kind
        self.obj, self.off = obj, off           # a shared file mapping: MapObj, file offset
        # a private file mapping: the vnode its pages were copied from (at
        # file offset off), which a growth maps further on (mremap)
        self.src = src
        if obj is not None:
            obj.hold()

    def piece(self, start, end, prot=None):
        """[start, end) of this region as a region of its own (split)."""
        return Region(start, end, self.prot if prot is None else prot, self.kind, self.obj,
                      self.off + (start - self.start), self.src)

    def drop(self):
        """The region is gone (munmap, exit, exec)."""
        if self.obj is not None:
            self.obj.release()
            self.obj = None

    def __repr__(self):
        return f"Region({self.kind} {self.start:#x}-{self.end:#x} prot {self.prot})"


class VM:
    """A process's address space: a page directory and its regions."""

    def __init__(self, kernel):
        self.k = kernel
        self.boot = kernel.boot
        self.m = kernel.m
        self.pdir = self.boot.new_pdir()
        self.pages = {}                 # va -> pa
        self.ptables = []
        self.pt_of = {}                 # pdi -> its page table (the kernel's own record:
        #                                 a kernelware may rewrite the directory's entries)
        self.regions = []
        self.brk_base = self.brk = 0
        self.cow = set()                # pages shared copy-on-write (mapped read-only)
        self.refs = kernel.frame_refs   # frame -> references beyond the first
        self.heap = None                # the break's region (load_elf)
        self.inherit_zero = set()       # minherit ZERO/NONE pages: zeroed in a fork child
        self.locked = set()             # mlock(2)ed pages (not inherited by a fork child)
        self.lock_future = False        # mlockall(MCL_FUTURE)
        self.shared = {}                # va -> [Buf, offset in it, ever writable, BufCache]: a MAP_SHARED
        # MAP_REMAPDUP (mremap): va -> the set of this space's addresses of
        # one frame (one set object per group): copy-on-write moves them together
        self.alias = {}
        #                                 file page (the frame is the buffer cache's, pinned)

    def present(self, va, n):
        """Every page of [va, va+n) backed (vm.read/vm.write may go there)."""
        end = va + n
        page = va & ~(PAGE - 1)
        while page < end:
            if page not in self.pages:
                return False
            page += PAGE
        return True

    def region_at(self, va):
        for r in self.regions:
            if r.start <= va < r.end:
                return r
        return None

    def _pte_addr(self, va, create):
        """The physical address of va's page table entry, from the kernel's
        own record of its page tables (pt_of), never from the directory in
        guest memory: a kernelware that pointed one of its directory's
        entries past the end of memory made every later lookup, and its own
        exit, a host IndexError (a kernel panic: kw86 stopped)."""
        pdi, pti = va >> 22, (va >> 12) & 0x3ff
        pt = self.pt_of.get(pdi)
        if pt is None:
            if not create:
                return None
            pt = self.boot.alloc_page()
            self.ptables.append(pt)
            self.pt_of[pdi] = pt
            self.m.write_u32(self.pdir + 4 * pdi, pt | PG_V | PG_RW | PG_U)
        return pt + 4 * pti

    def map(self, va, prot, data=None):
        """Back one page with a fresh zeroed frame (and data at its start)."""
        if va in self.pages:
            if data and va in self.cow:
                self._break_cow(va)
            self.protect(va, prot)
            if data:
                self.m.write(self.pages[va], data)
            return self.pages[va]
        pa = self.boot.alloc_page()
        if data:
            self.m.write(pa, data)
        self.pages[va] = pa
        self.m.write_u32(self._pte_addr(va, True),
                         pa | PG_V | PG_U | (PG_RW if prot & abi.NBSD_PROT_WRITE else 0))
        return pa

    def protect(self, va, prot):
        a = self._pte_addr(va, False)
        if prot & abi.NBSD_PROT_WRITE and va in self.shared:
            self.shared[va][2] = True
        if a is not None and va in self.pages:
            # PROT_NONE: the frame stays ours but the page is not present, so
            # every access (and the kernel's copyin/copyout) faults
            # a copy-on-write page stays read-only: the write fault copies it
            self.m.write_u32(a, self.pages[va] | PG_U |
                             (PG_V if prot & 7 else 0) |
                             (PG_RW if prot & abi.NBSD_PROT_WRITE and va not in self.cow
                              else 0))

    def unmap(self, va):
        pa = self.pages.pop(va, None)
        if pa is not None:
            self.m.write_u32(self._pte_addr(va, False), 0)
            self._release(va, pa)

    def _release(self, va, pa):
        """The bookkeeping of unmap(va) once its PTE is cleared: the frame
        back (or one reference less), a shared page written back."""
        if self.alias:
            self.unalias(va)
        self.cow.discard(va)
        self.locked.discard(va)
        sh = self.shared.pop(va, None)
        if sh is not None:
            if sh[2]:
                try:
                    writeback(sh)
                except Errno:
                    pass                # munmap/exit cannot report it (msync does)
            sh[0].pins -= 1
            _unmapped(sh[0], self, va)
            return
        self._unref(pa)

    def _unref(self, pa):
        n = self.refs.get(pa)
        if n is None:
            self.boot.frames.free(pa)
        elif n == 1:
            del self.refs[pa]
        else:
            self.refs[pa] = n - 1

    def unalias(self, va):
        """va leaves its MAP_REMAPDUP group (unmapped, or moved by mremap)."""
        g = self.alias.pop(va, None)
        if g is not None:
            g.discard(va)
            if len(g) == 1:
                self.alias.pop(next(iter(g)), None)

    def dup_alias(self, va, nva):
        """nva maps va's frame too (MAP_REMAPDUP): one group."""
        g = self.alias.get(va)
        if g is None:
            g = self.alias[va] = {va}
        g.add(nva)
        self.alias[nva] = g

    def _break_cow(self, va):
        """Give this address space its own copy of a shared page (writable
        again if its region is); every address of the page's MAP_REMAPDUP
        group moves to the copy with it (mremap(2): both ranges reference
        the same pages), and none is copied when the group holds every
        reference to the frame."""
        pa = self.pages[va]
        g = self.alias.get(va) if self.alias else None
        group = (va,) if g is None else tuple(g)
        if self.refs.get(pa, 0) + 1 > len(group):
            npa = self.boot.frames.alloc()
            self.m.write(npa, self.m.read(pa, PAGE))
            for a in group:
                self._unref(pa)
                self.pages[a] = npa
            if len(group) > 1:
                self.refs[npa] = len(group) - 1
            self.k.stats_cow += 1
        for a in group:
            self.cow.discard(a)
            r = self.region_at(a)
            prot = r.prot if r is not None else abi.NBSD_PROT_READ
            self.m.write_u32(self._pte_addr(a, False), self.pages[a] | PG_U |
                             (PG_V if prot & 7 else 0) |
                             (PG_RW if prot & abi.NBSD_PROT_WRITE else 0))
        self.m.flush_tlb()

    def add_region(self, start, end, prot, kind, obj=None, off=0, src=None):
        r = Region(start, end, prot, kind, obj, off, src)
        self.regions.append(r)
        return r

    def _fault_shared(self, r, page, write=False):
        """Map the buffer-cache page that holds the file's bytes at this
        page (read on a miss, pinned while mapped).  A page wholly past
        the end of the file is a fault (NetBSD: SIGBUS).  Like NetBSD's
        genfs_getpages, every page brought in marks the file accessed, and
        modified when the fault is a write (mmap(2): "the initial read or
        write reference to a mapped region" updates st_atime)."""
        obj = r.obj
        off = r.off + (page - r.start)
        if off >= obj.vp.getsize():
            return False
        bc = obj.bc
        blk, boff = divmod(off, bc.bsize)
        bc.reclaim = _reclaim           # every buffer mapped: take the oldest back
        try:
            b = bc.bread(obj.vp, blk)
        except Errno:
            return False                # the file's I/O error
        mark = getattr(obj.vp, "mark_update", None)
        if mark is not None:
            mark(write)
        b.pins += 1
        _mapped(b, self, page)
        pa = b.paddr + boff
        wr = bool(r.prot & abi.NBSD_PROT_WRITE)
        self.pages[page] = pa
        self.shared[page] = [b, boff, wr, bc]
        self.m.write_u32(self._pte_addr(page, True), pa | PG_U |
                         (PG_V if r.prot & 7 else 0) | (PG_RW if wr else 0))
        self.m.flush_tlb()
        return True

    def msync(self, start, end):
        """Write the MAP_SHARED file pages of [start, end) back to their
        files (the buffer cache writes through); the first error is raised."""
        for va in range(start, end, PAGE):
            sh = self.shared.get(va)
            if sh is not None and sh[2]:
                writeback(sh)

    def stack_region(self):
        return next((r for r in self.regions if r.kind == "stack"), None)

    def stack_used(self):
        """Bytes of stack in use: from its lowest backed page to USRSTACK
        (NetBSD's vm_ssize)."""
        r = self.stack_region()
        if r is None:
            return 0
        lo = min((va for va in self.pages if r.start <= va < r.end), default=r.end)
        return r.end - lo

    def set_stack_limit(self, size):
        """RLIMIT_STACK's rlim_cur (page-rounded, at most MAXSSIZ): the
        accessible part of the stack is [USRSTACK - size, USRSTACK)
        (NetBSD's dosetrlimit: uvm_map_protect of the MAXSSIZ reservation)."""
        size = min((size + PAGE - 1) & ~(PAGE - 1), abi.MAXSSIZ)
        r = self.stack_region()
        if r is not None:
            r.start = r.end - size

    def fault(self, va, write):
        """Demand paging: back a page of a region; False = a real fault."""
        r = self.region_at(va)
        if r is None or (write and not r.prot & abi.NBSD_PROT_WRITE) or \
                not r.prot & (abi.NBSD_PROT_READ | abi.NBSD_PROT_WRITE | abi.NBSD_PROT_EXEC):
            return False
        page = va & ~(PAGE - 1)
        if page in self.pages:
            if write and page in self.cow:
                self._break_cow(page)
                return True
            return False                # present: a protection fault
        if r.obj is not None:
            return self._fault_shared(r, page, write)
        self.map(page, r.prot)
        self.m.flush_tlb()
        return True

    def load_elf(self, img):
        """Map the program's segments and its interpreter's (img.interp_img);
        the break starts after the program's."""
        segs = img.segments + (img.interp_img.segments if img.interp_img is not None else [])
        for s in segs:
            prot = s.prot
            for page in range(s.page_start, s.page_end, PAGE):
                lo, hi = max(page, s.vaddr), min(page + PAGE, s.vaddr + s.filesz)
                pa = self.map(page, prot | (self.region_at(page).prot if self.region_at(page) else 0))
                if hi > lo:
                    self.m.write(pa + (lo - page), s.data[lo - s.vaddr:hi - s.vaddr])
            self.regions.append(Region(s.page_start, s.page_end, prot, "text" if s.flags & 1
                                       else "data"))
        self.brk_base = self.brk = img.brk
        self.heap = self.add_region(img.brk, img.brk, abi.NBSD_PROT_READ | abi.NBSD_PROT_WRITE,
                                    "heap")

    def check_memory(self, nbytes):
        """ENOMEM for one request that free physical memory could not back
        even alone (kw86 has no swap).  Nothing is reserved: like NetBSD's
        UVM, anonymous memory is overcommitted, and a page fault that finds
        no free page kills the process ("UVM: ... killed: out of swap")."""
        if nbytes // PAGE > self.boot.frames.nfree() - RESERVE_PAGES:
            raise Errno(abi.ENOMEM)

    def set_brk(self, new):
        if new < self.brk_base:
            return
        end = (new + PAGE - 1) & ~(PAGE - 1)
        if end > MMAP_TOP - (16 << 20) or any(
                r is not self.heap and r.start < end and r.end > self.heap.start
                for r in self.regions):
            raise Errno(abi.ENOMEM)
        if end > self.heap.end:
            self.check_memory(end - self.heap.end)
        old_end = self.heap.end
        self.heap.end = end
        for va in range(end, old_end, PAGE):
            self.unmap(va)
        self.m.flush_tlb()
        self.brk = new

    def find_space(self, length, hint=0, align=PAGE):
        """Top-down placement below MMAP_TOP (align: MAP_ALIGNED(n))."""
        top = MMAP_TOP
        amask = ~(max(align, PAGE) - 1)
        spans = sorted((r.start, r.end) for r in self.regions if r.end > r.start)
        cand = (top - length) & amask
        for s, e in reversed(spans):
            if e <= cand:
                break
            if s < cand + length:
                cand = (s - length) & amask
        if cand < self.heap.end + (16 << 20):
            raise Errno(abi.ENOMEM)
        return cand

    def copy(self):
        """The child's address space (fork): pages shared copy-on-write,
        read-only in both until one writes (a kernelware's too: its write
        fault on a shared stack page is a double fault the #DF task
        resolves, trap.dblfault)."""
        c = VM(self.k)
        refs, read_u32, write_u32 = self.refs, self.m.read_u32, self.m.write_u32
        zero = self.inherit_zero
        if zero:
            c.inherit_zero = set(zero)
        for va, pa in self.pages.items():
            if zero and va in zero:
                # minherit(MAP_INHERIT_ZERO/NONE): the child's page starts zeroed
                continue
            a = self._pte_addr(va, False)
            pte = read_u32(a)
            sh = self.shared.get(va)
            if sh is not None:          # MAP_SHARED: the same buffer, no copy-on-write
                sh[0].pins += 1
                _mapped(sh[0], c, va)
                c.pages[va] = pa
                c.shared[va] = list(sh)
                write_u32(c._pte_addr(va, True), pte & ~0x60)
                continue
            refs[pa] = refs.get(pa, 0) + 1
            c.pages[va] = pa
            self.cow.add(va)
            c.cow.add(va)
            if pte & PG_RW:
                write_u32(a, pte & ~PG_RW)
            write_u32(c._pte_addr(va, True), pa | (pte & (PG_V | PG_U)))
        self.m.flush_tlb()
        for g in {id(g): g for g in self.alias.values()}.values():
            # MAP_REMAPDUP groups: one memory at several addresses in the child too
            cg = {a for a in g if a in c.pages}
            if len(cg) > 1:
                for a in cg:
                    c.alias[a] = cg
        c.regions = [r.piece(r.start, r.end) for r in self.regions]
        c.heap = next(r for r in c.regions if r.kind == "heap")
        c.brk_base, c.brk = self.brk_base, self.brk
        return c

    def read(self, va, n):
        out = b""
        while n:
            k = min(n, PAGE - (va & (PAGE - 1)))
            out += self.m.read(self.pages[va & ~(PAGE - 1)] + (va & (PAGE - 1)), k)
            va, n = va + k, n - k
        return out

    def write(self, va, data):
        while data:
            if va & ~(PAGE - 1) in self.cow:
                self._break_cow(va & ~(PAGE - 1))
            k = min(len(data), PAGE - (va & (PAGE - 1)))
            self.m.write(self.pages[va & ~(PAGE - 1)] + (va & (PAGE - 1)), data[:k])
            va, data = va + k, data[k:]

    def free(self):
        """The whole address space goes: each page released as unmap does,
        and each page table that still maps one cleared whole, in one write
        (the memory and TLB state unmapping page by page leaves, without a
        TLB flush per page: a Go program leaves thousands)."""
        pages, self.pages = self.pages, {}
        self.alias = {}
        tables = {a & ~(PAGE - 1) for a in (self._pte_addr(pdi << 22, False)
                                            for pdi in {va >> 22 for va in pages}) if a}
        for va, pa in pages.items():
            self._release(va, pa)
        for pt in tables:
            self.m.fill(pt, PAGE, 0)    # the others are already all zero
        for pt in self.ptables:
            self.boot.frames.free(pt)
        self.boot.frames.free(self.pdir)
        self.ptables = []
        self.pt_of = {}
        for r in self.regions:
            r.drop()
        self.regions = []


def writeback(sh):
    """Write one mapped page ([Buf, offset, writable, BufCache]) to its
    file, up to the file's current end (a mapping never extends its file)."""
    b, boff, _, bc = sh
    if b.vp is None:
        return
    n = min(PAGE, b.vp.getsize() - (b.blkno * b.size + boff))
    if n > 0:
        bc.bwrite(b, boff, boff + n)


# -- who maps each buffer-cache buffer (MAP_SHARED pages) ----------------------
#
# When every buffer is mapped and another block is needed, the oldest mapped
# buffer is taken back: its pages are unmapped from every address space that
# maps it (written back first, as at munmap), and fault in again on the next
# touch.  This is paging out, for file pages: a shared mapping may be larger
# than the buffer cache.

_MAPPERS = {}                   # id(Buf) -> (Buf, {(VM, va)})


def _mapped(b, vm, va):
    ent = _MAPPERS.get(id(b))
    if ent is None:
        ent = _MAPPERS[id(b)] = (b, set())
    ent[1].add((vm, va))


def _unmapped(b, vm, va):
    ent = _MAPPERS.get(id(b))
    if ent is not None:
        ent[1].discard((vm, va))
        if not ent[1]:
            del _MAPPERS[id(b)]


def _reclaim(bc):
    """Unmap the least recently used mapped buffer of bc everywhere: True if
    one was freed for reuse."""
    for b in list(bc.lru.values()):             # oldest first
        ent = _MAPPERS.get(id(b))
        if not b.pins or ent is None:
            continue
        for vm, va in list(ent[1]):
            vm.unmap(va)
        vm.m.flush_tlb()
        return b.pins == 0
    return False
