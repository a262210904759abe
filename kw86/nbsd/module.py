"""Kernel modules: the paper's kernelware module in its two parts, loaded
and unloaded at run time through NetBSD's modctl(2) (number 246,
syscalls.master: `int modctl(int cmd, void *arg)`; sys/module.h).

    kernelware  the kernelware emulation (kernelware.Kernelware): while it
                is loaded, a process may join it (510, kwrun) and run at
                CPL 0; unloading it while a process is in it is EBUSY.
                Not loaded: nothing reaches CPL 0 (510 and kwrun: EPERM).
    kwhook      the preemption hook: overwrites the IDT entries of the
                hardware interrupts (0x20..0x2f) and of int $0x80 with
                gates to locore's Xkwhook<vec> stubs (the paper's test, then
                the original handler); unloading writes every replaced
                8-byte entry back as it was.  Not loaded, a kernelware
                interrupted at CPL 0 is never preempted: it keeps the CPU
                until it blocks (the kernel is not preemptive).

`kw86 exec` loads the emulation at boot (--modules chooses; the Kernel
API itself loads nothing unless asked), `kw86 exec --kernelware` loads
both.  From the guest: modload(8),
modunload(8), modstat(8) in the sysroot (userland/bin), root only.

modctl(cmd, arg), the commands of sys/module.h's enum modctl:
    MODCTL_LOAD 0    arg: modctl_load_t {ml_filename, ml_flags, ml_props,
                     ml_propslen} (16 bytes on i386); the module is named by
                     ml_filename (a path's last component, ".kmod" dropped)
    MODCTL_UNLOAD 1  arg: the module's name
    MODCTL_EXISTS 3  0: modules may be loaded
    MODCTL_STAT 4    arg: struct iovec {iov_base, iov_len}: modstat_t
                     records (64 bytes: ms_name[32], uint64 ms_addr,
                     ms_source, ms_class, ms_size, ms_refcnt, ms_flags,
                     ms_reqoffset) for each loaded module; iov_len is set to
                     the size the whole list needs (the caller retries
                     with a bigger buffer)
Errors: EPERM (not root), ENOENT (no such module / not loaded), EEXIST
(already loaded), EBUSY (in use), EINVAL (other commands), EFAULT.
"""
import struct

from kw86.nbsd import abi
from kw86.nbsd.boot import IDT_PHYS, gate_desc
from kw86.nbsd.errors import Errno

MODCTL_LOAD, MODCTL_UNLOAD, MODCTL_OSTAT, MODCTL_EXISTS, MODCTL_STAT = 0, 1, 2, 3, 4
MAXMODNAME = 32
MODULE_CLASS_MISC = 1
MODULE_SOURCE_FILESYS = 2
MODSTAT = struct.Struct("<32sQIIIIII")          # modstat_t, 64 bytes
assert MODSTAT.size == 64
HOOKED_VECTORS = tuple(range(0x20, 0x30)) + (abi.SYSCALL_VECTOR,)


class Module:
    name = ""

    def __init__(self, kernel):
        self.k = kernel
        self.loaded = False

    def refcnt(self):
        return 0

    def load(self):
        self.loaded = True

    def unload(self):
        self.loaded = False

    def after_repair(self):
        """The kernel's shared state was rewritten from its pristine copies
        (Boot.repair after a kernelware broke it): put the module back."""


class KernelwareModule(Module):
    """The kernelware emulation (k.kw)."""

    name = "kernelware"

    @property
    def loaded(self):
        return self.k.kw.loaded

    @loaded.setter
    def loaded(self, v):
        self.k.kw.loaded = v

    def users(self):
        return [q for q in self.k.sys.procs.values()
                if q.state != "zomb" and q.emul is self.k.kw]

    def refcnt(self):
        return len(self.users())

    def load(self):
        self.loaded = True

    def unload(self):
        if self.users():
            raise Errno(abi.EBUSY)
        self.loaded = False


class KwHook(Module):
    """The preemption hook: IDT entries to locore's Xkwhook<vec> stubs."""

    name = "kwhook"

    def __init__(self, kernel):
        super().__init__(kernel)
        self.saved = {}                 # vector -> the 8 bytes it replaced

    def _install(self):
        m, lc = self.k.m, self.k.boot.lc
        orig = lc["kw86_kwhook_orig"] - abi.KERNBASE
        for slot, vec in enumerate(HOOKED_VECTORS):
            ent = IDT_PHYS + 8 * vec
            old = m.read(ent, 8)
            self.saved[vec] = old
            lo, hi = struct.unpack("<II", old)
            # the original handler's offset (the stub jumps there), and a gate
            # of the same kind and DPL to the stub
            m.write(orig + 4 * slot, struct.pack("<I", (hi & 0xffff0000) | (lo & 0xffff)))
            dpl = (hi >> 13) & 3
            trap = (hi >> 8) & 0xf == 0xf
            m.write(ent, gate_desc(lc[f"Xkwhook{vec:#04x}"], lo >> 16, dpl, trap=trap))

    def load(self):
        self._install()
        self.loaded = True

    def unload(self):
        m = self.k.m
        for vec, old in self.saved.items():
            m.write(IDT_PHYS + 8 * vec, old)
        self.saved = {}
        self.k.m.write_u32(self.k.boot.lc["kw86_kwhook_ast"] - abi.KERNBASE, 0)
        self.loaded = False

    def after_repair(self):
        if self.loaded:
            self._install()

    def take_ast(self, vec):
        """The stub's mark, read and cleared: did the stub of vector vec
        find a kernelware interrupted?  (A mark another vector's stub left,
        e.g. a kernelware's own int $0x80, is dropped.)"""
        m = self.k.m
        a = self.k.boot.lc["kw86_kwhook_ast"] - abi.KERNBASE
        mark = m.read_u32(a)
        if mark:
            m.write_u32(a, 0)
        return mark == vec


class Modules:
    """The kernel's module list (NetBSD's module_list)."""

    def __init__(self, kernel):
        self.k = kernel
        self.mods = {m.name: m for m in (KernelwareModule(kernel), KwHook(kernel))}

    def __getitem__(self, name):
        return self.mods[name]

    def load(self, name):
        mod = self.mods.get(name)
        if mod is None:
            raise Errno(abi.ENOENT)
        if mod.loaded:
            raise Errno(abi.EEXIST)
        mod.load()

    def unload(self, name):
        mod = self.mods.get(name)
        if mod is None or not mod.loaded:
            raise Errno(abi.ENOENT)
        mod.unload()

    def loaded(self):
        return [m for m in self.mods.values() if m.loaded]

    def after_repair(self):
        for m in self.mods.values():
            m.after_repair()


def _name_of(path):
    name = path.rsplit(b"/", 1)[-1]
    if name.endswith(b".kmod"):
        name = name[:-5]
    return name.decode("latin-1")


def sys_modctl(p, cmd, arg):
    """modctl(2), 246."""
    k = p.kernel
    if k is None:
        raise Errno(abi.ENOSYS)
    if cmd in (MODCTL_LOAD, MODCTL_UNLOAD) and p.cred.euid != 0:
        raise Errno(abi.EPERM)              # kauth: KAUTH_SYSTEM_MODULE, root only
    if cmd == MODCTL_LOAD:
        fn, _flags, _props, _plen = struct.unpack("<IiII", p.mem.copyin(arg, 16))
        k.modules.load(_name_of(p.mem.copyinstr(fn, abi.MAXPATHLEN)))
        return 0
    if cmd == MODCTL_UNLOAD:
        k.modules.unload(_name_of(p.mem.copyinstr(arg, abi.MAXPATHLEN)))
        return 0
    if cmd == MODCTL_EXISTS:
        return 0
    if cmd == MODCTL_STAT:
        base, length = struct.unpack("<II", p.mem.copyin(arg, 8))
        mods = k.modules.loaded()
        req = MODSTAT.size * len(mods)      # ms_reqoffset: "" after the records
        out = b"".join(MODSTAT.pack(m.name.encode()[:MAXMODNAME - 1], 0, MODULE_SOURCE_FILESYS,
                                    MODULE_CLASS_MISC, 0, m.refcnt(), 0, req)
                       for m in mods) + b"\0"
        if base and length:
            p.mem.copyout(base, out[:min(length, len(out))])
        p.mem.copyout(arg + 4, struct.pack("<I", len(out)))
        return 0
    raise Errno(abi.EINVAL)
