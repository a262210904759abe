"""Assemble kw86/nbsd/locore.S into a flat kernel image and a symbol table.

    python -m kw86.nbsd.build_locore [OUTDIR]

writes locore.json ({"base", "size", "text_end", "symbols": {name:
address}, "image": hex of the bytes to copy to physical LOCORE_PHYS, mapped
at virtual LOCORE_BASE}) into OUTDIR (default: this package's directory;
*.json is package data), so the kernel loads it without a toolchain at run
time.
`load()` returns the pair, assembling first when the files are missing or
older than locore.S.

Toolchain: zig from PyPI (`python -m ziglang cc`), pinned in pyproject.
"""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "locore.S")
LOCORE_BASE = 0xc0100000        # virtual: KERNBASE + 1 MiB, as NetBSD/i386 links its kernel
LOCORE_PHYS = LOCORE_BASE - 0xc0000000
ZIG_FLAGS = ["-target", "x86-freestanding-none", "-mcpu=i686"]


class Locore:
    def __init__(self, image, base, symbols, text_end):
        self.image = image
        self.base = base
        self.symbols = symbols
        self.text_end = text_end

    @property
    def phys(self):
        return self.base - 0xc0000000

    def __getitem__(self, name):
        return self.symbols[name]

    def __repr__(self):
        return f"Locore({len(self.image)} bytes at {self.base:#x}, {len(self.symbols)} symbols)"


def _zig(args, cwd):
    cmd = [sys.executable, "-m", "ziglang", "cc"] + ZIG_FLAGS + args
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"assembling locore failed:\n{' '.join(cmd)}\n{r.stderr}")


def assemble(src=SRC, base=LOCORE_BASE):
    """Assemble and link locore at `base`; returns a Locore."""
    from elftools.elf.elffile import ELFFile
    from elftools.elf.sections import SymbolTableSection
    with tempfile.TemporaryDirectory() as tmp:
        obj = os.path.join(tmp, "locore.o")
        exe = os.path.join(tmp, "locore.elf")
        _zig(["-c", src, "-o", obj], tmp)
        _zig(["-nostdlib", "-static", "-Wl,-e,kw86_locore_start",
              f"-Wl,--image-base={base:#x}", obj, "-o", exe], tmp)
        with open(exe, "rb") as f:
            ef = ELFFile(f)
            loads = [s for s in ef.iter_segments() if s.header.p_type == "PT_LOAD"]
            lo = min(s.header.p_vaddr for s in loads)
            hi = max(s.header.p_vaddr + s.header.p_memsz for s in loads)
            image = bytearray(hi - lo)
            for s in loads:
                d = s.data()
                off = s.header.p_vaddr - lo
                image[off:off + len(d)] = d
            syms = {}
            for sec in ef.iter_sections():
                if isinstance(sec, SymbolTableSection):
                    for sym in sec.iter_symbols():
                        if sym.name and sym["st_info"]["type"] in ("STT_NOTYPE", "STT_FUNC",
                                                                    "STT_OBJECT"):
                            if sym["st_shndx"] != "SHN_UNDEF" and sym["st_value"] >= lo:
                                syms[sym.name] = sym["st_value"]
            text = ef.get_section_by_name(".text")
            text_end = text["sh_addr"] + text["sh_size"] if text else hi
    return Locore(bytes(image), lo, syms, text_end)


def write(outdir=HERE, src=SRC):
    lc = assemble(src)
    with open(os.path.join(outdir, "locore.json"), "w") as f:
        json.dump({"base": lc.base, "size": len(lc.image), "text_end": lc.text_end,
                   "symbols": dict(sorted(lc.symbols.items(), key=lambda kv: kv[1])),
                   "image": lc.image.hex()}, f, indent=1)
        f.write("\n")
    return lc


def load(outdir=HERE):
    """The assembled locore, building it if needed (and possible)."""
    jsp = os.path.join(outdir, "locore.json")
    fresh = os.path.exists(jsp) and \
        (not os.path.exists(SRC) or os.path.getmtime(jsp) >= os.path.getmtime(SRC))
    if not fresh:
        try:
            return write(outdir)
        except OSError:             # read-only install: assemble in memory
            return assemble()
    with open(jsp) as f:
        meta = json.load(f)
    return Locore(bytes.fromhex(meta["image"]), meta["base"], meta["symbols"], meta["text_end"])


if __name__ == "__main__":
    lc = write(sys.argv[1] if len(sys.argv) > 1 else HERE)
    print(f"locore: {len(lc.image)} bytes at {lc.base:#x}, {len(lc.symbols)} symbols")
