"""Assemble small test programs with zig (Intel syntax) and return the bytes
of .text.  Programs must be position independent apart from absolute
numeric addresses (no relocations).  Results are cached by source hash."""

import hashlib
import os
import subprocess
import sys
import tempfile

CACHE = os.path.join(os.path.dirname(__file__), ".cache")


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
