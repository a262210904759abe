"""The machine-independent kernel state the system calls share.

`System` bundles the mount table, the buffer cache, the guest clock, the
console and the strace sink.  The full Kernel (boot, processes, scheduler)
owns one; tests build one over a temporary directory and a bytearray
standing in for physical memory.
"""
import os
import sys

from kw86.nbsd.bufcache import BufCache, BytesPhysMem, DiskModel
from kw86.nbsd.file import OpenFiles
from kw86.nbsd.hostlog import HostText
from kw86.nbsd.vfs import VFS
from kw86.nbsd.vfs.devfs import DevfsMount
from kw86.nbsd.vfs.hostfs import HostMount
from kw86.nbsd.vfs.mfs import MfsMount


def parse_bind(spec):
    """'HOSTDIR:GUESTDIR[:ro]' -> (hostdir, guestdir, readonly); GUESTDIR
    normalised ('/mnt/../etc/./x/' -> '/etc/x'); ValueError for a bad spec
    or a GUESTDIR that climbs above the root (the root itself is refused by
    VFS.mount: EBUSY)."""
    parts = spec.split(":")
    ro = False
    if len(parts) == 3 and parts[2] in ("ro", "rw"):
        ro = parts[2] == "ro"
        parts = parts[:2]
    if len(parts) != 2 or not parts[0] or not parts[1].startswith("/"):
        raise ValueError(f"bad --bind {spec!r}: want HOSTDIR:/GUESTDIR[:ro]")
    try:
        comps = normalize_guest_path(parts[1])
    except ValueError:
        raise ValueError(f"bad --bind {spec!r}: {parts[1]} names the root's parent") from None
    return parts[0], os.fsdecode(b"/" + b"/".join(comps)), ro


def normalize_guest_path(path):
    """The components of an absolute guest path, '.' and '..' resolved by
    name (a mount point is a name, not a lookup); ValueError if '..' would
    climb above '/'."""
    if isinstance(path, str):
        path = os.fsencode(path)
    out = []
    for c in path.split(b"/"):
        if c in (b"", b"."):
            continue
        if c == b"..":
            if not out:
                raise ValueError(path)
            out.pop()
        else:
            out.append(c)
    return tuple(out)


# The kernel-cost table: cycles of kernel work done in Python (the `[kernel]`
# section of a cycle profile, each entry with its basis in cycle-model.md).
# Zero without a profile (the tests without a machine).
KERNEL_COSTS = dict(syscall=0, namei_component=0, getdents_entry=0, bcache_lookup=0,
                    copy_start=0, copy_byte=0.0, copy_l1_bytes=16384, copy_l2_bytes=131072,
                    copy_byte_l2=None, copy_byte_mem=None, mfs_switch=0)
DISK_KEYS = ("disk_overhead_ms", "disk_seek_ms", "disk_latency_ms", "disk_rate_bytes_per_s")


class MfsStrategy:
    """What a block I/O costs on NetBSD 1.5's MFS: the file's data lives in
    the memory of the mount_mfs server process, so mfs_strategy queues the
    buffer, wakes the server and sleeps; the server copies the block between
    its memory and the buffer and wakes the caller.  Charged as kernel work:
    two process switches (kcost mfs_switch each) and one copy of the block
    at the rate of the file's working set (System.copy_rate(file size)).
    Used by bufcache as an MFS vnode's `disk` (MfsVnode.disk sets `vp`)."""

    def __init__(self, system):
        self.sys = system
        self.vp = None
        self.switches = 0
        self.bytes = 0

    def cost(self, key, blkno, nbytes):
        s = self.sys
        ws = max(nbytes, self.vp.getsize() if self.vp is not None else nbytes)
        self.switches += 2
        self.bytes += nbytes
        s.kcharge(2 * s.kcost["mfs_switch"] + s.kcost["copy_start"] +
                  nbytes * s.copy_rate(ws))
        return 0                        # not disk time: kernel work, charged above


class System:

    def copy_rate(self, ws):
        """Clocks per byte of a copy whose working set is ws bytes: L1 rate up
        to copy_l1_bytes, L2 up to copy_l2_bytes, else SDRAM's (kcost table;
        cycle-model.md §2a/§4b)."""
        l1, r1, l2, r2, rm = self._copy_tiers
        return r1 if ws <= l1 else r2 if ws <= l2 else rm

    def __init__(self, root, phys=None, bufcache_base=0, bufcache_bytes=4 << 20,
                 bsize=8192, mfs_size=32 << 20, mfs_at="/tmp", binds=(), clock=None,
                 console=None, charge=None, hdd=True, strace=None, seed=0x4b57,
                 kcosts=None, proc_at="/proc"):
        from kw86.nbsd.vfs import makedev
        self.clock = clock or (lambda: 0)
        self._charge = charge
        self.kcost = dict(KERNEL_COSTS)
        disk_args = {}
        for k, v in (kcosts or {}).items():
            if k in DISK_KEYS:
                disk_args[k[5:] if k != "disk_rate_bytes_per_s" else "rate_bytes_per_s"] = v
            elif k in KERNEL_COSTS:
                self.kcost[k] = v
            else:
                raise ValueError(f"unknown kernel cost {k!r} (known: "
                                 f"{', '.join(list(KERNEL_COSTS) + list(DISK_KEYS))})")
        self.kcycles = 0                # cycles charged from the kernel-cost table
        kc = self.kcost
        # a copy's rate by where its working set lives (copy_rate): L1, L2,
        # SDRAM; without the L2/SDRAM rates every copy is charged copy_byte
        self._copy_tiers = (kc["copy_l1_bytes"], kc["copy_byte"], kc["copy_l2_bytes"],
                            kc["copy_byte"] if kc["copy_byte_l2"] is None else kc["copy_byte_l2"],
                            kc["copy_byte"] if kc["copy_byte_mem"] is None else kc["copy_byte_mem"])
        self.phys = phys if phys is not None else BytesPhysMem(bufcache_base + bufcache_bytes)
        self.bufcache = BufCache(self.phys, bufcache_base, bufcache_bytes // bsize, bsize,
                                 charge=charge, kcharge=self.kcharge,
                                 lookup_cost=self.kcost["bcache_lookup"])
        self.vfs = VFS()
        if self.kcost["namei_component"]:
            def namei_charge(n, c=self.kcost["namei_component"]):
                cycles = int(n * c)             # kcharge(n * c), inline: one per namei
                if cycles:
                    self.kcycles += cycles
                    if self._charge is not None:
                        self._charge(cycles)
            self.vfs.on_namei = namei_charge
        disk = DiskModel(**disk_args) if hdd else None
        rootm = HostMount(root, disk=disk)
        rootm.dev = makedev(0, 0)               # wd0a
        self.vfs.mount("/", rootm)
        self.devfs = DevfsMount(console=console, mtime=self.clock(),
                                random=lambda n: self._rng.randbytes(n))
        self.devfs.dev = makedev(0xff, 0xff)
        self.vfs.mount("/dev", self.devfs)
        if proc_at:
            from kw86.nbsd.vfs.procfs import ProcfsMount
            self.procfs = ProcfsMount(self)     # NetBSD's fstab: proc /proc procfs rw
            self.procfs.dev = makedev(0xfd, 0)
            self.vfs.mount(proc_at, self.procfs)
        self.vfs.synth_mount.mtime = self.clock()
        self.vfs.synth_mount.dev = makedev(0, 0)    # as if on the root's device
        for i, spec in enumerate(binds):
            host, guest, ro = parse_bind(spec) if isinstance(spec, str) else spec
            m = HostMount(host, readonly=ro, disk=disk)
            m.dev = makedev(0, 16 + i)
            self.vfs.mount(guest, m)
        if mfs_at:
            self.mfs = MfsMount(mfs_size, clock=self.clock)     # newfs geometry
            self.mfs.disk = MfsStrategy(self)   # its server's copy of each block
            self.mfs.bufcache = self.bufcache
            self.mfs.dev = makedev(0xfe, 0)
            self.vfs.mount(mfs_at, self.mfs)
        # NetBSD's /var/shm: a memory file system (tmpfs there; mode 1777)
        # holding shm_open(3)'s objects (libc/posixrt.c, as NetBSD's librt)
        self.shmfs = MfsMount(8 << 20, clock=self.clock)
        self.shmfs.fstype = "tmpfs"
        self.shmfs.bufcache = self.bufcache
        self.shmfs.dev = makedev(0xfe, 1)
        self.vfs.mount("/var/shm", self.shmfs)
        # a writable text stream, or None; kw86's own lines (hostlog.py:
        # the guest's names and texts in them never reach a terminal raw)
        self.strace = strace if strace is None else HostText(strace)
        self.hostname = "kw86"
        self.boottime = self.clock()
        self.sysinfo = {}               # osrelease, version, model, physmem overrides
        self._rng_seed = seed           # random.Random(seed), made on first use (_rng)
        self._rng_obj = None
        self.warned = set()             # syscall names already reported ENOSYS
        self.stderr = HostText(sys.stderr)
        self.nfiles = OpenFiles()       # kern.maxfiles (file.py)
        self.procs = {}                 # pid -> proc.Proc (the kernel's; tests may add)
        self.kernel = None              # the Kernel over a machine, or None (tests)
        self.strict = False             # tests: a handler's internal error raises
        self.domainname = ""
        self.fifos = {}                 # vnode key -> the pipe of a FIFO (syscalls/fs.py)
        self.fifo_pending = {}          # (pid, lid) -> a FIFO open in progress

    def kcharge(self, cycles):
        """Charge kernel work from the kernel-cost table (counted apart)."""
        cycles = int(cycles)
        if cycles:
            self.kcycles += cycles
            if self._charge is not None:
                self._charge(cycles)

    @property
    def _rng(self):
        """The run's seeded generator (kern.arandom, /dev/urandom), made on
        first use: most runs never ask, and the random module costs start-up."""
        rng = self._rng_obj
        if rng is None:
            import random
            rng = self._rng_obj = random.Random(self._rng_seed)
        return rng

    def random_bytes(self, n):
        """Deterministic 'random' bytes (kern.arandom): seeded per run."""
        return bytes(self._rng.getrandbits(8) for _ in range(n))
