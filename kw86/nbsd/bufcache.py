"""The buffer cache: file blocks held in guest physical memory.

NetBSD keeps file data in fixed-size buffers (`struct buf`, bread/getblk/
bwrite).  kw86 does the same, and the buffers' bytes live in a region of the
*guest's* physical memory, so a kernelware (the paper's `cp`) can copy from
one buffer to another with guest instructions.

The memory object is anything with `read(paddr, n) -> bytes` and
`write(paddr, data)`: the Machine's physical memory in the real kernel (its
write path invalidates decoded instructions), `BytesPhysMem` in tests.

Policy, kept simple and correct:
- A buffer is identified by (vnode cache key, logical block number).
- Writes are write-through: `bwrite` hands the changed bytes to the file
  system at once (hostfs: the host file; mfs: its memory), so a buffer is
  never dirty and eviction never loses data.  (NetBSD delays writes; the
  difference is visible only in timing, which the disk model charges.)
- Replacement is LRU over all buffers.

Disk cost (hostfs = "HDD"): ../shared/cycle-model.md §2b gives IBM's own
formula for the DTLA drives, "sequential time = overhead + average seek +
latency + bytes / sustained rate"; §4's table gives the values used here for
the 5400 rpm DTLA-305: command overhead 0.5 ms [E], average seek 9.5 ms [E],
average rotational latency 5.55 ms [D] (30000/rpm), media rate 29 MB/s at
the outer zone [D] (16.78 MB in 0.57 s, [S16] p.28).  A block that directly
follows the previous one on the same file is charged the transfer only (the
head is already there); any other block pays overhead + seek + latency too.
MFS is memory: zero.
"""
from collections import OrderedDict

# NetBSD FFS/MFS default block size (newfs -b 8192).
DEFAULT_BSIZE = 8192


class BytesPhysMem:
    """A bytearray standing in for guest physical memory (tests)."""

    def __init__(self, size):
        self.mem = bytearray(size)

    def read(self, paddr, n):
        if paddr < 0 or paddr + n > len(self.mem):
            raise IndexError(f"physical read {paddr:#x}+{n} out of range")
        return bytes(self.mem[paddr:paddr + n])

    def write(self, paddr, data):
        if paddr < 0 or paddr + len(data) > len(self.mem):
            raise IndexError(f"physical write {paddr:#x}+{len(data)} out of range")
        self.mem[paddr:paddr + len(data)] = data


class DiskModel:
    """Cycles charged for moving blocks between a disk and the buffer cache."""

    def __init__(self, clock_hz=500_000_000, overhead_ms=0.5, seek_ms=9.5,
                 latency_ms=5.55, rate_bytes_per_s=29_000_000, name="DTLA-305 (5400 rpm)"):
        self.name = name
        self.clock_hz = clock_hz
        self.position_cycles = int(round((overhead_ms + seek_ms + latency_ms) * 1e-3 * clock_hz))
        self.cycles_per_byte = clock_hz / rate_bytes_per_s
        self._last = None           # (key, blkno) of the last block moved

    def cost(self, key, blkno, nbytes):
        seq = self._last == (key, blkno - 1) or self._last == (key, blkno)
        self._last = (key, blkno)
        c = int(round(nbytes * self.cycles_per_byte))
        if not seq:
            c += self.position_cycles
        return c


class Buf:
    """One buffer: `size` bytes of guest physical memory at `paddr`."""
    __slots__ = ("key", "blkno", "paddr", "size", "valid", "vp", "pins")

    def __init__(self, paddr, size):
        self.paddr = paddr
        self.size = size
        self.pins = 0           # pages of it mapped MAP_SHARED (vm.py): never evicted
        self.key = None
        self.blkno = -1
        self.valid = 0          # bytes of the block that hold file data
        self.vp = None

    def __repr__(self):
        return f"Buf({self.key}, blk {self.blkno}, paddr {self.paddr:#x}, valid {self.valid})"


class BufCache:
    """LRU cache of file blocks in guest physical memory.

    Vnodes used with it provide: `cache_key` (hashable, stable per file),
    `disk` (a DiskModel or None), `strategy_read(offset, n) -> bytes` (short
    at EOF) and `strategy_write(offset, data)`.
    """

    def __init__(self, phys, base, nbufs, bsize=DEFAULT_BSIZE, charge=None, kcharge=None,
                 lookup_cost=0):
        if nbufs < 2:
            raise ValueError("the buffer cache needs at least 2 buffers")
        self.phys = phys
        self.base = base
        self.bsize = bsize
        self.charge = charge or (lambda cycles: None)
        # kernel-cost table: getblk's hash lookup, per block looked up
        self.kcharge = kcharge if lookup_cost else None
        self.lookup_cost = lookup_cost
        # buffers given back, reused last-in first-out; below them the
        # `unmade` buffers not used yet (indices 0..unmade-1, made on first
        # use, highest first: the order a list of all of them popped gives)
        self.free = []
        self.unmade = nbufs
        self.lru = OrderedDict()        # (key, blkno) -> Buf, oldest first
        self.stats = dict(hits=0, misses=0, reads=0, writes=0, disk_cycles=0)

    @property
    def end(self):
        return self.base + (len(self.free) + len(self.lru) + self.unmade) * self.bsize

    def _alloc(self):
        if self.free:
            return self.free.pop()
        if self.unmade:
            self.unmade -= 1
            return Buf(self.base + self.unmade * self.bsize, self.bsize)
        for k, b in self.lru.items():       # oldest first; mapped buffers stay
            if not b.pins:
                del self.lru[k]
                return b
        reclaim = getattr(self, "reclaim", None)    # vm.py: unmap the oldest mapped one
        if reclaim is not None and reclaim(self):
            return self._alloc()
        from kw86.nbsd.abi import ENOMEM
        from kw86.nbsd.errors import Errno
        raise Errno(ENOMEM)                 # every buffer is mapped

    def incore(self, vp, blkno):
        return self.lru.get((vp.cache_key, blkno))

    def getblk(self, vp, blkno):
        """The buffer for (vp, blkno), allocated (contents unspecified) if absent."""
        k = (vp.cache_key, blkno)
        if self.kcharge is not None:
            self.kcharge(self.lookup_cost)
        b = self.lru.get(k)
        if b is not None:
            self.lru.move_to_end(k)
            b.vp = vp
            return b
        b = self._alloc()
        b.key, b.blkno, b.valid, b.vp = vp.cache_key, blkno, 0, vp
        self.lru[k] = b
        return b

    def _disk(self, vp, blkno, n):
        if vp.disk is not None and n:
            c = vp.disk.cost(vp.cache_key, blkno, n)
            self.stats["disk_cycles"] += c
            self.charge(c)

    def bread(self, vp, blkno):
        """The buffer for (vp, blkno) holding the block's data (read on a miss)."""
        k = (vp.cache_key, blkno)
        b = self.lru.get(k)
        if b is not None:
            if self.kcharge is not None:
                self.kcharge(self.lookup_cost)
            self.stats["hits"] += 1
            self.lru.move_to_end(k)
            b.vp = vp
            return b
        self.stats["misses"] += 1
        b = self.getblk(vp, blkno)
        try:
            data = vp.strategy_read(blkno * self.bsize, self.bsize)
        except BaseException:
            self.brelse_invalid(b)
            raise
        self.stats["reads"] += 1
        self._disk(vp, blkno, len(data))
        if len(data) < self.bsize:
            data = bytes(data) + bytes(self.bsize - len(data))
        self.phys.write(b.paddr, data)
        b.valid = self.bsize
        return b

    def bwrite(self, b, start, end):
        """Write bytes [start, end) of the buffer through to its file."""
        data = self.phys.read(b.paddr + start, end - start)
        b.vp.strategy_write(b.blkno * self.bsize + start, data)
        self.stats["writes"] += 1
        self._disk(b.vp, b.blkno, end - start)

    def brelse_invalid(self, b):
        """Forget a buffer's contents (after an error)."""
        self.lru.pop((b.key, b.blkno), None)
        b.key, b.blkno, b.valid, b.vp = None, -1, 0, None
        self.free.append(b)

    def invalidate(self, vp_or_key, from_blk=0):
        """Drop the file's buffers from block `from_blk` on (truncate, remove)."""
        key = getattr(vp_or_key, "cache_key", vp_or_key)
        for k in [k for k in self.lru if k[0] == key and k[1] >= from_blk]:
            b = self.lru[k]
            if b.pins:
                # mapped MAP_SHARED: the mapping keeps this frame, so reload
                # it from the file (zeros past its end) instead of dropping it
                data = b.vp.strategy_read(b.blkno * self.bsize, self.bsize) \
                    if b.vp is not None and not getattr(b.vp, "freed", False) else b""
                self.phys.write(b.paddr, bytes(data).ljust(self.bsize, b"\0"))
                continue
            self.brelse_invalid(b)

    # -- file I/O on top of the blocks ------------------------------------
    def read(self, vp, offset, n, size):
        """Up to n bytes of the file at offset (size = the file's size)."""
        if offset >= size or n <= 0:
            return b""
        n = min(n, size - offset)
        out = []
        bs = self.bsize
        while n > 0:
            blk, boff = divmod(offset, bs)
            chunk = min(n, bs - boff)
            b = self.bread(vp, blk)
            out.append(self.phys.read(b.paddr + boff, chunk))
            offset += chunk
            n -= chunk
        return b"".join(out)

    def write(self, vp, offset, data, size):
        """Write data at offset (size = the file's size before the write)."""
        bs = self.bsize
        pos = 0
        while pos < len(data):
            blk, boff = divmod(offset + pos, bs)
            chunk = min(len(data) - pos, bs - boff)
            blk_start = blk * bs
            if chunk == bs or blk_start >= size:
                # a whole block, or a block past EOF: nothing to read first
                b = self.getblk(vp, blk)
                if chunk != bs and b.valid == 0:
                    self.phys.write(b.paddr, bytes(bs))
            else:
                b = self.bread(vp, blk)
            self.phys.write(b.paddr + boff, data[pos:pos + chunk])
            b.valid = bs
            try:
                self.bwrite(b, boff, boff + chunk)
            except BaseException:
                self.brelse_invalid(b)      # the file did not take it (ENOSPC...)
                if pos:
                    return pos
                raise
            pos += chunk
        return len(data)

    def truncate(self, vp, newsize):
        """Keep the cache consistent with a file cut (or grown) to newsize."""
        bs = self.bsize
        first_gone = (newsize + bs - 1) // bs
        self.invalidate(vp, first_gone)
        if newsize % bs:
            b = self.incore(vp, newsize // bs)
            if b is not None:
                off = newsize % bs
                self.phys.write(b.paddr + off, bytes(bs - off))
