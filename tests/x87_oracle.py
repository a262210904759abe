"""The host's own x87 as an oracle (tests only).

tests/x87native/harness.c is compiled once per session with zig's cc for
x86-linux-musl (a static 32-bit program) and runs natively on the x86-64
host: FRSTOR a 108-byte image, execute one instruction, FNSAVE.  `available()`
says whether this host can do that (zig present, 32-bit programs runnable).
"""
import functools
import hashlib
import os
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "x87native", "harness.c")
MEM_ADDR = 0x40001000           # the harness's memory operand


@functools.lru_cache(maxsize=None)
def harness_path():
    with open(SRC, "rb") as f:
        src = f.read()
    tag = hashlib.sha256(src).hexdigest()[:16]
    out = os.path.join(tempfile.gettempdir(), f"kw86-x87-harness-{tag}")
    if not os.path.exists(out):
        tmp = out + f".{os.getpid()}"
        subprocess.run([sys.executable, "-m", "ziglang", "cc", "-target", "x86-linux-musl",
                        "-static", "-O2", SRC, "-o", tmp], check=True, capture_output=True,
                       timeout=600)
        os.replace(tmp, out)
    return out


@functools.lru_cache(maxsize=None)
def available():
    if sys.platform != "linux" or os.uname().machine not in ("x86_64", "i686", "i386"):
        return False
    try:
        st = image(0x037F, 0, 0xFFFF, [])
        r = run_native([(st, bytes([0xD9, 0xE8]), b"")])
        return r[0][0] == 0
    except Exception:
        return False


def image(cw, sw, tw, regs):
    """A 108-byte FNSAVE image: regs[i] = (se, m) for ST(i)."""
    b = struct.pack("<IIIIIII", 0xFFFF0000 | cw, 0xFFFF0000 | sw, 0xFFFF0000 | tw, 0, 0, 0, 0)
    for i in range(8):
        se, m = regs[i] if i < len(regs) else (0, 0)
        b += struct.pack("<QH", m, se)
    return b


def run_native(cases, memsize=16):
    """cases: [(state108, insn_bytes, mem)] -> [(status, state108, mem[:memsize], eflags)].
    Memory operands in insn must be encoded as [disp32] = MEM_ADDR (160 bytes there)."""
    recs = []
    for st, insn, mem in cases:
        rec = st + (mem + bytes(160))[:160] + bytes([len(insn)]) + (insn + bytes(15))[:15]
        recs.append(rec + bytes(320 - len(rec)))
    out = subprocess.run([harness_path()], input=b"".join(recs), capture_output=True,
                         timeout=600).stdout
    res = []
    for k in range(len(cases)):
        o = out[276 * k:276 * (k + 1)]
        res.append((o[0], o[4:112], o[112:112 + memsize], struct.unpack("<I", o[272:276])[0]))
    return res
