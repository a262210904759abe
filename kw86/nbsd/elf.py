"""ELF loading for NetBSD/i386 executables, and the initial stack.

`load_elf(data)` validates an executable the way NetBSD's exec_elf does
and says what is wrong in one line (ExecError: a message and the errno
execve would return); it returns the load segments, the entry point, the
program headers' address and the start of the break, parsing the ELF
header and program headers itself.

Executables are ET_EXEC (loaded where they are linked) or ET_DYN (PIE),
placed as NetBSD 10's elf_placedynexec does without PaX ASLR: every
address moves by max(the largest PT_LOAD p_align, PAGE_SIZE) (0x1000 for
an i386 PIE linked at 0), never below vm.user_va0_disable's first page.
NetBSD has had PaX ASLR on by default on x86 since 8.0 (a random offset
for the PIE and the interpreter); kw86's runs are deterministic, so it
places them as NetBSD does with ASLR off (sysctl -w
security.pax.aslr.enabled=0, or a program marked paxctl +a).

A PT_INTERP (the first one, as NetBSD reads it) names the interpreter;
`load_interp(data, img)` validates it as NetBSD's
elf_load_interp does (an ET_DYN, whatever its own PT_INTERP or notes say)
and places it where a non-fixed mmap(0, size) would go, top-down below the
stack's reservation (VM_DEFAULT_ADDRESS_TOPDOWN: trunc_page(USRSTACK -
MAXSSIZ - size), truncated to its first segment's p_align), below any
program segment that is in the way.  The process then starts at the
interpreter's entry with AT_BASE = its base and AT_ENTRY = the program's.

`build_stack(...)` lays out what the process finds at _start [abi §5]:
argc, argv[], NULL, envp[], NULL, the auxv (NetBSD 10's order, plus
AT_KW86_SYSCALL_GATE), the exec name, the argument and environment strings,
and ps_strings at the top, so that crt0's ___start, which reads ps_strings,
finds argv, envp and the auxv contiguous.
"""
import struct

from kw86.nbsd import abi
from kw86.nbsd.abi import E2BIG, EACCES, EINVAL, ENOEXEC, ENOMEM

EM_NAMES = {0: "no machine", 2: "SPARC", 3: "i386", 8: "MIPS", 20: "PowerPC", 21: "PowerPC64",
            22: "S/390", 40: "ARM", 42: "SuperH", 43: "SPARC64", 50: "IA-64", 62: "x86-64",
            183: "AArch64", 243: "RISC-V", 258: "LoongArch"}
ET_REL, ET_EXEC, ET_DYN, ET_CORE = 1, 2, 3, 4
PT_LOAD, PT_DYNAMIC, PT_INTERP, PT_NOTE, PT_PHDR = 1, 2, 3, 4, 6
PT_GNU_STACK = 0x6474e551
PF_X, PF_W, PF_R = 1, 2, 4
NT_NETBSD_IDENT = 1
NT_NETBSD_PAX = 3
# kw86's own notes (name "kw86"), written by <sys/kapi.h> into a kernelware
# that calls kernel functions (kapi.py): the build id of the kernel it was
# linked for (`kw86 ksyms`), and the bounds of its table of kernel symbols
# for the loader to fill in (dynamic resolution)
NT_KW86_KERNEL_ID = 1
NT_KW86_KSYMS = 2
# Page 0 cannot be mapped (vm.user_va0_disable = 1 by default on NetBSD).
VM_MIN_USER = abi.PAGE_SIZE
# kw86 reads a whole program file into host memory to load it (NetBSD pages
# it in): a larger file is refused with ENOMEM rather than read.
MAX_IMAGE = 128 << 20
# NetBSD's sys/exec_elf.h: at most ELF_MAXPHNUM program headers; a PT_INTERP
# path is 2..MAXPATHLEN bytes with its NUL, the NUL its last byte
ELF_MAXPHNUM = 128
MAXPATHLEN = 1024
ET_NAMES = {ET_REL: "ET_REL", ET_EXEC: "ET_EXEC", ET_DYN: "ET_DYN", ET_CORE: "ET_CORE"}


class ExecError(Exception):
    """An executable cannot be run: a one-line message and execve's errno."""

    def __init__(self, msg, errno=ENOEXEC):
        super().__init__(msg)
        self.errno = errno


class ExecAbort(ExecError):
    """exec failed past its point of no return (the old image is gone):
    NetBSD's exec_abort ends the process with SIGABRT; the first program of
    a run (nothing to return to either) reports it as any ExecError."""


class _Phdr:
    __slots__ = ("p_type", "p_offset", "p_vaddr", "p_paddr", "p_filesz", "p_memsz", "p_flags",
                 "p_align")

    def __init__(self, *fields):
        (self.p_type, self.p_offset, self.p_vaddr, self.p_paddr, self.p_filesz, self.p_memsz,
         self.p_flags, self.p_align) = fields


class Segment:
    __slots__ = ("vaddr", "memsz", "filesz", "data", "flags", "offset")

    def __init__(self, vaddr, memsz, filesz, data, flags, offset):
        self.vaddr, self.memsz, self.filesz = vaddr, memsz, filesz
        self.data, self.flags, self.offset = data, flags, offset

    @property
    def prot(self):
        return ((abi.NBSD_PROT_READ if self.flags & PF_R else 0)
                | (abi.NBSD_PROT_WRITE if self.flags & PF_W else 0)
                | (abi.NBSD_PROT_EXEC if self.flags & PF_X else 0))

    @property
    def page_start(self):
        return self.vaddr & ~(abi.PAGE_SIZE - 1)

    @property
    def page_end(self):
        return (self.vaddr + self.memsz + abi.PAGE_SIZE - 1) & ~(abi.PAGE_SIZE - 1)

    def __repr__(self):
        fl = "".join(c if self.flags & b else "-" for c, b in (("r", PF_R), ("w", PF_W), ("x", PF_X)))
        return f"Segment({self.vaddr:#x}+{self.memsz:#x} file {self.filesz:#x} {fl})"


class ElfImage:
    def __init__(self):
        self.entry = 0
        self.segments = []
        self.phdr = 0               # address of the program headers in memory (AT_PHDR)
        self.phent = 32
        self.phnum = 0
        self.brk = 0                # first page after the highest segment
        self.netbsd_version = 0
        self.pax_flags = 0
        self.exec_stack = False
        self.kw86_kernel_id = None  # (NT_KW86_KERNEL_ID) the kernel it was linked for
        self.kw86_ksyms = None      # (NT_KW86_KSYMS) (start, end) of its kernel-symbol table
        self.dyn = False            # ET_DYN (a PIE): placed at `bias`
        self.bias = 0               # what was added to every address of the file
        self.interp = None          # PT_INTERP: the interpreter's path (no NUL)
        self.interp_img = None      # the interpreter's ElfImage (load_interp)
        self.bias_base = 0          # (an interpreter's image) its base address: AT_BASE

    @property
    def start(self):
        """Where the process starts: the interpreter's entry, or the program's."""
        return self.interp_img.entry if self.interp_img is not None else self.entry

    @property
    def base(self):
        """AT_BASE: the interpreter's base address, 0 without one."""
        return self.interp_img.bias_base if self.interp_img is not None else 0

    def __repr__(self):
        return f"ElfImage(entry={self.entry:#x}, {self.segments}, brk={self.brk:#x})"


def _parse_notes(blob):
    """[(name, type, desc)] of a PT_NOTE segment's bytes (4-byte aligned)."""
    out = []
    off = 0
    while off + 12 <= len(blob):
        namesz, descsz, ntype = struct.unpack_from("<III", blob, off)
        off += 12
        name = blob[off:off + namesz]
        off += (namesz + 3) & ~3
        desc = blob[off:off + descsz]
        off += (descsz + 3) & ~3
        if off > len(blob) + 3:
            break
        out.append((name, ntype, desc))
    return out


def _header(data, name):
    """The ELF header's checks (elf_check_header) and the program headers:
    (e_type, e_entry, e_phoff, phdrs)."""
    if len(data) < 4 or data[:4] != b"\x7fELF":
        if data[:2] == b"#!":
            raise ExecError(f"{name}: interpreter scripts are started by the shell, not execve")
        raise ExecError(f"{name}: not an ELF file")
    if len(data) < 52:
        raise ExecError(f"{name}: truncated ELF file ({len(data)} bytes)")
    ei_class, ei_data = data[4], data[5]
    if ei_data != 1:
        raise ExecError(f"{name}: big-endian ELF, not i386")
    if ei_class == 2:
        (machine,) = struct.unpack_from("<H", data, 18)
        mname = EM_NAMES.get(machine, f"machine {machine}")
        raise ExecError(f"{name}: 64-bit {mname} ELF, not i386 (kw86 runs 32-bit i386 programs)")
    if ei_class != 1:
        raise ExecError(f"{name}: bad ELF class {ei_class}")
    (e_type, e_machine, e_version, e_entry, e_phoff, e_shoff, e_flags, e_ehsize,
     e_phentsize, e_phnum) = struct.unpack_from("<HHIIIIIHHH", data, 16)
    if e_machine != 3:
        mname = EM_NAMES.get(e_machine, f"machine {e_machine}")
        raise ExecError(f"{name}: {mname} ELF, not i386")
    if e_type not in (ET_EXEC, ET_DYN):
        kind = {ET_REL: "a relocatable object", ET_CORE: "a core file"}.get(e_type, f"ELF type {e_type}")
        raise ExecError(f"{name}: {kind}, not an executable")
    if e_phnum == 0:
        raise ExecError(f"{name}: no program headers")
    if e_phnum > ELF_MAXPHNUM:
        raise ExecError(f"{name}: {e_phnum} program headers (at most {ELF_MAXPHNUM})")
    if e_phentsize != 32:
        raise ExecError(f"{name}: bad program header size {e_phentsize}")
    if e_phoff + e_phnum * 32 > len(data):
        raise ExecError(f"{name}: truncated ELF file (program headers past the end)")
    # The program headers (Elf32_Phdr, 32 bytes each, bounds checked above),
    # read directly: pyelftools cost every run 20 ms of imports.
    phdrs = [_Phdr(*struct.unpack_from("<8I", data, e_phoff + 32 * i)) for i in range(e_phnum)]
    return e_type, e_entry, e_phoff, phdrs


def _segment(ph, data, bias, name, top):
    """A PT_LOAD at p_vaddr + bias, checked against user space [VM_MIN_USER, top)."""
    if ph.p_offset + ph.p_filesz > len(data):
        raise ExecError(f"{name}: truncated ELF file (segment past the end)")
    if ph.p_filesz > ph.p_memsz:
        raise ExecError(f"{name}: segment at {ph.p_vaddr:#x} has more file than memory")
    vaddr = ph.p_vaddr + bias
    end = vaddr + ph.p_memsz
    if end > abi.KERNBASE or vaddr >= abi.KERNBASE:
        raise ExecError(f"{name}: segment at {vaddr:#x} overlaps the kernel "
                        f"(>= {abi.KERNBASE:#x})")
    if end > top:
        raise ExecError(f"{name}: segment at {vaddr:#x} overlaps the stack")
    if vaddr < VM_MIN_USER:
        raise ExecError(f"{name}: segment at {vaddr:#x} maps page 0")
    return Segment(vaddr, ph.p_memsz, ph.p_filesz,
                   data[ph.p_offset:ph.p_offset + ph.p_filesz], ph.p_flags, ph.p_offset)


def _add_segment(img, seg, name):
    for other in img.segments:
        if seg.vaddr < other.vaddr + other.memsz and other.vaddr < seg.vaddr + seg.memsz:
            raise ExecError(f"{name}: segments at {other.vaddr:#x} and {seg.vaddr:#x} overlap")
    img.segments.append(seg)


def _check_entry(img, name):
    if not any(s.flags & PF_X and s.vaddr <= img.entry < s.vaddr + s.memsz for s in img.segments):
        raise ExecError(f"{name}: entry point {img.entry:#x} is not in an executable segment")


def _interp_path(data, ph, name):
    """PT_INTERP's path, checked as NetBSD's exec_elf_makecmds does: 2 to
    MAXPATHLEN bytes, NUL-terminated by its last byte and only there."""
    if ph.p_filesz < 2 or ph.p_filesz > MAXPATHLEN:
        raise ExecError(f"{name}: bad PT_INTERP ({ph.p_filesz} bytes; a path of 1 to "
                        f"{MAXPATHLEN - 1} bytes and its NUL)")
    if ph.p_offset + ph.p_filesz > len(data):
        raise ExecError(f"{name}: truncated ELF file (PT_INTERP past the end)")
    raw = data[ph.p_offset:ph.p_offset + ph.p_filesz]
    if raw.find(b"\0") != len(raw) - 1:
        raise ExecError(f"{name}: bad PT_INTERP (not one NUL-terminated path)")
    return raw[:-1]


def pie_offset(align):
    """Where an ET_DYN goes (what is added to its addresses), given its largest
    PT_LOAD p_align: NetBSD's elf_placedynexec without ASLR, max(align,
    PAGE_SIZE), and at least ep_vm_minaddr (page 0 is never mapped)."""
    bias = max(align, abi.PAGE_SIZE)
    if bias < VM_MIN_USER:
        bias = -(-VM_MIN_USER // align) * align
    return bias


def load_elf(data, mem_limit=None, name="program"):
    """Validate a NetBSD/i386 executable (ET_EXEC, or ET_DYN: a PIE) and
    return its ElfImage.  A PT_INTERP is read (img.interp) but not loaded:
    load_interp does that with the interpreter's file.

    mem_limit: bytes of memory the segments may take in total (None: any).
    """
    data = bytes(data)
    e_type, e_entry, e_phoff, phdrs = _header(data, name)
    img = ElfImage()
    e_phnum = len(phdrs)
    if e_type == ET_DYN:
        align = max([1] + [ph.p_align for ph in phdrs if ph.p_type == PT_LOAD])
        bias = pie_offset(align)
        if bias & (align - 1):
            raise ExecError(f"{name}: PIE segment alignment {align:#x} is not a power of 2",
                            EINVAL)
        img.dyn, img.bias = True, bias
    bias = img.bias
    img.entry = (e_entry + bias) & 0xffffffff
    img.phnum = e_phnum
    for ph in phdrs:
        if ph.p_type == PT_INTERP:
            img.interp = _interp_path(data, ph, name)
            break                       # the first one (NetBSD reads no other)
    total = 0
    have_note = False
    for ph in phdrs:
        pt = ph.p_type
        if ph.p_offset + ph.p_filesz > len(data) and pt in (PT_LOAD, PT_NOTE):
            raise ExecError(f"{name}: truncated ELF file (segment past the end)")
        if pt == PT_NOTE:
            for nname, ntype, desc in _parse_notes(data[ph.p_offset:ph.p_offset + ph.p_filesz]):
                if nname == b"NetBSD\0" and ntype == NT_NETBSD_IDENT and len(desc) == 4:
                    img.netbsd_version = struct.unpack("<I", desc)[0]
                    have_note = True
                elif nname == b"PaX\0" and ntype == NT_NETBSD_PAX and len(desc) == 4:
                    img.pax_flags = struct.unpack("<I", desc)[0]
                elif nname == b"kw86\0" and ntype == NT_KW86_KERNEL_ID and len(desc) == 8:
                    img.kw86_kernel_id = struct.unpack("<II", desc)
                elif nname == b"kw86\0" and ntype == NT_KW86_KSYMS and len(desc) == 8:
                    img.kw86_ksyms = struct.unpack("<II", desc)
        elif pt == PT_GNU_STACK:
            img.exec_stack = bool(ph.p_flags & PF_X)
        elif pt == PT_PHDR:
            img.phdr = (ph.p_vaddr + bias) & 0xffffffff
        elif pt == PT_LOAD:
            if ph.p_memsz == 0:
                continue
            seg = _segment(ph, data, bias, name, abi.USRSTACK - abi.MAXSSIZ)
            _add_segment(img, seg, name)
            total += seg.page_end - seg.page_start
            if not img.phdr and ph.p_offset <= e_phoff and \
                    e_phoff + e_phnum * 32 <= ph.p_offset + ph.p_filesz:
                img.phdr = seg.vaddr + (e_phoff - ph.p_offset)
    if not have_note:
        raise ExecError(f"{name}: not a NetBSD executable (no NetBSD note in a PT_NOTE segment)")
    if not img.segments:
        raise ExecError(f"{name}: nothing to load")
    if img.dyn and img.kw86_ksyms is not None:
        # the table holds link-time pointers the kernel fills before the
        # program could relocate them: refused rather than half-linked
        raise ExecError(f"{name}: a kernelware with a kernel symbol table (KAPI_DYNAMIC) must "
                        f"be linked at a fixed address (ET_EXEC), not as a PIE")
    if mem_limit is not None and total > mem_limit:
        raise ExecError(f"{name}: segments need {total} bytes, more than the {mem_limit} "
                        f"bytes of memory", ENOMEM)
    _check_entry(img, name)
    img.brk = max(s.page_end for s in img.segments)
    return img


def load_interp(data, img, mem_limit=None, name="interpreter"):
    """Validate the interpreter img.interp names (its file's bytes) as
    NetBSD's elf_load_interp does, place it and set img.interp_img (an
    ElfImage whose entry and segments are at their final addresses, with
    bias_base = AT_BASE).  mem_limit counts the program's segments too."""
    data = bytes(data)
    e_type, e_entry, e_phoff, phdrs = _header(data, name)
    if e_type != ET_DYN:
        raise ExecError(f"{name}: the interpreter is {ET_NAMES.get(e_type, e_type)}, not a "
                        f"shared object (ET_DYN)")
    loads = [ph for ph in phdrs if ph.p_type == PT_LOAD and ph.p_memsz]
    if not loads:
        raise ExecError(f"{name}: nothing to load")
    first = loads[0]
    lo = first.p_vaddr & ~(abi.PAGE_SIZE - 1)
    hi = max(ph.p_vaddr + ph.p_memsz for ph in loads)
    size = ((hi + abi.PAGE_SIZE - 1) & ~(abi.PAGE_SIZE - 1)) - lo
    align = max(first.p_align, abi.PAGE_SIZE)
    if align & (align - 1):
        raise ExecError(f"{name}: segment alignment {first.p_align:#x} is not a power of 2",
                        EINVAL)
    if first.p_align > 1 and first.p_vaddr & (first.p_align - 1):
        # elf_load_psection: the base segment must start on its alignment
        raise ExecError(f"{name}: first segment at {first.p_vaddr:#x} is not aligned to its "
                        f"p_align {first.p_align:#x}", EINVAL)
    top = abi.USRSTACK - abi.MAXSSIZ
    # where mmap(0, size) goes: top-down from below the stack's reservation,
    # under whatever of the program is in the way
    cand = (top - size) & ~(align - 1)
    busy = sorted(((s.page_start, s.page_end) for s in img.segments), reverse=True)
    for s, e in busy:
        if s < cand + size and cand < e:
            cand = (s - size) & ~(align - 1)
    if size > top or cand < VM_MIN_USER:
        raise ExecError(f"{name}: no room for the interpreter ({size} bytes)", ENOMEM)
    it = ElfImage()
    it.dyn = True
    it.bias = cand - lo
    it.bias_base = cand
    it.entry = (e_entry + it.bias) & 0xffffffff
    it.phnum = len(phdrs)
    total = sum(s.page_end - s.page_start for s in img.segments)
    for ph in loads:
        seg = _segment(ph, data, it.bias, name, top)
        _add_segment(it, seg, name)
        total += seg.page_end - seg.page_start
        # (a segment below the first one goes below the base: into the program?)
        for s in img.segments:
            if seg.page_start < s.page_end and s.page_start < seg.page_end:
                raise ExecError(f"{name}: segment at {seg.vaddr:#x} overlaps the program's "
                                f"at {s.vaddr:#x}")
    if mem_limit is not None and total > mem_limit:
        raise ExecError(f"{name}: the program and its interpreter need {total} bytes, more "
                        f"than the {mem_limit} bytes of memory", ENOMEM)
    _check_entry(it, name)
    it.brk = max(s.page_end for s in it.segments)
    img.interp_img = it
    return it


# ---------------------------------------------------------------------------
# The initial stack

class StackImage:
    """Bytes to copy to [esp, esp+len(data)), and the addresses they define."""

    def __init__(self, data, esp, ps_strings, argv, envp, auxv, sigcode=0):
        self.data, self.esp, self.ps_strings = data, esp, ps_strings
        self.argv, self.envp, self.auxv = argv, envp, auxv
        self.sigcode = sigcode          # address of the signal trampoline (1.x), or 0

    def __repr__(self):
        return f"StackImage(esp={self.esp:#x}, {len(self.data)} bytes)"


def default_auxv(img, cred=None, stack_base=abi.USRSTACK, gate=0):
    """NetBSD 10's auxv [abi §5] (without AT_SUN_EXECNAME's value): the
    program's AT_PHDR and AT_ENTRY (relocated for a PIE), AT_BASE the
    interpreter's base (0 without one)."""
    uid = gid = 0
    ruid = rgid = 0
    if cred is not None:
        uid, gid, ruid, rgid = cred.euid, cred.egid, cred.ruid, cred.rgid
    aux = [(abi.AT_PHDR, img.phdr), (abi.AT_PHENT, img.phent), (abi.AT_PHNUM, img.phnum),
           (abi.AT_PAGESZ, abi.PAGE_SIZE), (abi.AT_BASE, img.base), (abi.AT_FLAGS, 0),
           (abi.AT_ENTRY, img.entry), (abi.AT_EUID, uid), (abi.AT_RUID, ruid),
           (abi.AT_EGID, gid), (abi.AT_RGID, rgid), (abi.AT_STACKBASE, stack_base),
           (abi.AT_SUN_EXECNAME, None)]
    if gate:
        aux.append((abi.AT_KW86_SYSCALL_GATE, gate))
    return aux


def build_stack(stack_top, argv, envp, auxv, execname=None, align=16, sigcode=b""):
    """Lay out the initial stack below stack_top.

    argv, envp: lists of bytes (no NULs inside).  auxv: [(type, value)]; a
    value of None for AT_SUN_EXECNAME is filled with execname's address.
    ps_strings occupies the top 16 bytes; `sigcode` (the 1.x kernel signal
    trampoline) goes right below it, as 1.x's exec copied it.
    """
    for s in list(argv) + list(envp) + ([execname] if execname else []):
        if b"\0" in s:
            raise ExecError("argument contains a NUL byte", abi.EINVAL)
    strs = [s + b"\0" for s in argv] + [s + b"\0" for s in envp]
    strsize = sum(len(s) for s in strs)
    if strsize > abi.ARG_MAX:
        raise ExecError("argument list too long", E2BIG)
    ename = (execname + b"\0") if execname else b""
    aux = list(auxv)
    if not any(t == abi.AT_NULL for t, _ in aux):
        aux.append((abi.AT_NULL, 0))
    elif aux[-1][0] != abi.AT_NULL:
        raise ExecError("auxv must end with AT_NULL", abi.EINVAL)
    nptr = 1 + len(argv) + 1 + len(envp) + 1
    ptrblock = 4 * nptr + 8 * len(aux)
    ps = stack_top - abi.PS_STRINGS_SIZE
    sc_addr = ((ps - len(sigcode)) & ~15) if sigcode else ps
    body = ptrblock + len(ename) + strsize
    esp = (sc_addr - body) & ~(align - 1)
    if esp < stack_top - abi.DFLSSIZ:
        raise ExecError("argument list too long", E2BIG)
    # addresses
    ename_addr = esp + ptrblock if ename else 0
    addr = esp + ptrblock + len(ename)
    argv_addrs = []
    for s in strs[:len(argv)]:
        argv_addrs.append(addr)
        addr += len(s)
    envp_addrs = []
    for s in strs[len(argv):]:
        envp_addrs.append(addr)
        addr += len(s)
    argv_ptr = esp + 4
    envp_ptr = argv_ptr + 4 * (len(argv) + 1)
    words = [len(argv)] + argv_addrs + [0] + envp_addrs + [0]
    auxw = []
    for t, v in aux:
        if v is None:
            v = ename_addr if t == abi.AT_SUN_EXECNAME else 0
        auxw += [t, v & 0xffffffff]
    out = bytearray(stack_top - esp)
    struct.pack_into(f"<{len(words)}I", out, 0, *words)
    struct.pack_into(f"<{len(auxw)}I", out, 4 * len(words), *auxw)
    off = ptrblock
    out[off:off + len(ename)] = ename
    off += len(ename)
    for s in strs:
        out[off:off + len(s)] = s
        off += len(s)
    out[ps - esp:] = abi.pack_ps_strings(argv_ptr, len(argv), envp_ptr, len(envp))
    if sigcode:
        out[sc_addr - esp:sc_addr - esp + len(sigcode)] = sigcode
    return StackImage(bytes(out), esp, ps, argv_ptr, envp_ptr, esp + 4 * len(words),
                      sc_addr if sigcode else 0)


def initial_registers(img, stack, segments=None):
    """setregs(): the register file at the first instruction [abi §5].
    segments: the selectors the process's emulation starts it with (the
    kernelware emulation's, kernelware.SEGMENTS); None: user mode."""
    regs = dict(eax=0, ecx=0, edx=0, esi=0, edi=0, ebp=0, ebx=stack.ps_strings,
                esp=stack.esp, eip=img.start, eflags=abi.PSL_USERSET)
    if segments is not None:
        regs.update(segments)
    else:
        regs.update(cs=abi.UCODEBIG if img.exec_stack else abi.UCODE, ds=abi.UDATA,
                    es=abi.UDATA, ss=abi.UDATA, fs=abi.UFS, gs=abi.UGS)
    return regs


def check_exec_permission(attr, cred, name=None):
    """execve's checks on the file: a regular file with an x bit we may use.
    The error names the file (`NAME: not a regular file`)."""
    pre = f"{name}: " if name else ""
    if attr.type != abi.NBSD_S_IFREG:
        raise ExecError(pre + "not a regular file", EACCES)
    if attr.size > MAX_IMAGE:
        raise ExecError(pre + f"too large to load ({attr.size} bytes; "
                        f"at most {MAX_IMAGE >> 20} MiB)", ENOMEM)
    if cred.euid == 0:
        if not attr.mode & 0o111:
            raise ExecError(pre + "permission denied", EACCES)
        return
    if cred.euid == attr.uid:
        ok = attr.mode & 0o100
    elif cred.groupmember(attr.gid):
        ok = attr.mode & 0o010
    else:
        ok = attr.mode & 0o001
    if not ok:
        raise ExecError(pre + "permission denied", EACCES)
