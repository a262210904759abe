"""Assemble small test programs with zig (Intel syntax) and return the bytes
of .text.  Programs must be position independent apart from absolute
numeric addresses (no relocations).  Results are cached by source hash."""

import hashlib
import os
import subprocess
import sys
import tempfile

# outside the repository: a cache, not a source
CACHE = os.environ.get("KW86_ZASM_CACHE") or os.path.join(tempfile.gettempdir(), "kw86-zasm-cache")


def assemble(src, bits=32):
    head = ".intel_syntax noprefix\n" + (".code16\n" if bits == 16 else "") + ".text\n"
    text = head + src + "\n"
    key = hashlib.sha256(text.encode()).hexdigest()[:20]
    path = os.path.join(CACHE, key + ".bin")
    if os.path.exists(path):
        with open(path, "rb") as f:
            return f.read()
    from elftools.elf.elffile import ELFFile
    with tempfile.TemporaryDirectory() as d:
        s = os.path.join(d, "x.S")
        o = os.path.join(d, "x.o")
        with open(s, "w") as f:
            f.write(text)
        subprocess.run([sys.executable, "-m", "ziglang", "cc", "-target", "x86-freestanding-none",
                        "-mcpu=i686", "-c", s, "-o", o], check=True, capture_output=True)
        with open(o, "rb") as f:
            elf = ELFFile(f)
            rel = elf.get_section_by_name(".rel.text") or elf.get_section_by_name(".rela.text")
            if rel is not None and rel.num_relocations():
                raise ValueError("test program needs relocations: use numeric addresses")
            data = elf.get_section_by_name(".text").data()
    os.makedirs(CACHE, exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    return data


def compile_c(src, opt="-O2"):
    """Compile freestanding C with zig (i686) and return (.text bytes,
    {function name: offset}).  The code must need no relocations (no
    globals, no calls outside the file)."""
    key = hashlib.sha256((opt + src).encode()).hexdigest()[:20]
    path = os.path.join(CACHE, key + ".c.bin")
    if os.path.exists(path):
        import json
        with open(path, "rb") as f:
            n = int.from_bytes(f.read(4), "little")
            meta = json.loads(f.read(n))
            return f.read(), meta
    from elftools.elf.elffile import ELFFile
    import json
    with tempfile.TemporaryDirectory() as d:
        s = os.path.join(d, "x.c")
        o = os.path.join(d, "x.o")
        with open(s, "w") as f:
            f.write(src)
        subprocess.run([sys.executable, "-m", "ziglang", "cc", "-target", "x86-freestanding-none",
                        "-mcpu=i686", opt, "-fno-stack-protector", "-ffreestanding",
                        "-fno-builtin", "-c", s, "-o", o], check=True, capture_output=True)
        with open(o, "rb") as f:
            elf = ELFFile(f)
            rel = elf.get_section_by_name(".rel.text")
            if rel is not None and rel.num_relocations():
                raise ValueError("C test program needs relocations")
            text_idx = [k for k, sec in enumerate(elf.iter_sections()) if sec.name == ".text"][0]
            data = elf.get_section_by_name(".text").data()
            syms = {sym.name: sym["st_value"] for sym in elf.get_section_by_name(".symtab").iter_symbols()
                    if sym["st_info"]["type"] == "STT_FUNC" and sym["st_shndx"] == text_idx}
    os.makedirs(CACHE, exist_ok=True)
    meta = json.dumps(syms).encode()
    with open(path, "wb") as f:
        f.write(len(meta).to_bytes(4, "little") + meta + data)
    return data, syms
