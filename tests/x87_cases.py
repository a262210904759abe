"""Random and special x87 operands and machine states (shared by the x87 tests)."""
import struct

from x87_oracle import MEM_ADDR, image

J = 1 << 63
M64 = (1 << 64) - 1


def rand80(R):
    """An 80-bit register value from every class the x87 distinguishes."""
    k = R.randrange(16)
    s = R.randrange(2) << 15
    if k == 0:
        return (s, 0)
    if k == 1:
        return (s | R.randrange(1, 4), R.getrandbits(64) | J)
    if k == 2:
        return (s, R.getrandbits(63) >> R.randrange(63))                    # denormal
    if k == 3:
        return (s, J | R.getrandbits(63))                                   # pseudo-denormal
    if k == 4:
        return (s | 0x7FFF, J)                                              # infinity
    if k == 5:
        return (s | 0x7FFF, (3 << 62) | R.getrandbits(62))                  # QNaN
    if k == 6:
        return (s | 0x7FFF, (2 << 62) | max(1, R.getrandbits(62) >> R.randrange(62)))  # SNaN
    if k == 7:
        return (s | R.randrange(1, 0x8000), R.getrandbits(63))              # unnormal, pseudo-NaN/inf
    if k == 8:   # few significant bits: exact sums/products, halfway cases
        return (s | R.randrange(16383 - 70, 16383 + 70),
                J | (R.getrandbits(63) & ~((1 << R.randrange(64)) - 1) & M64))
    if k == 9:
        return (s | R.randrange(0x7FFE - 3, 0x7FFF), J | R.getrandbits(63))  # near overflow
    if k == 10:  # integers and halves near 1
        return (s | (16383 + R.randrange(-5, 5)),
                J | ((R.getrandbits(63) >> R.randrange(64) << R.randrange(40)) & M64))
    if k == 11:  # near 2^63 (fist, frndint)
        return (s | (16383 + 62 + R.randrange(-3, 3)), J | R.getrandbits(63))
    if k == 12:  # the single/double ranges' edges
        return (s | (16383 + R.choice([-126, -149, 127, -1022, -1074, 1023]) + R.randrange(-3, 3)),
                J | (R.getrandbits(63) >> R.randrange(64)))
    if k == 13:  # near the extended underflow threshold
        return (s | R.randrange(1, 70), J | R.getrandbits(63))
    if k == 14:  # all ones / halfway patterns at 24/53/64 bits
        p = R.choice([24, 53, 63])
        low = R.choice([0, 1 << (63 - p), (1 << (64 - p)) - 1, (1 << (63 - p)) - 1, 1 << (64 - p)])
        hi = R.choice([(M64 << (64 - p)) & M64, J | (R.getrandbits(63) & (M64 << (64 - p)))])
        return (s | R.randrange(16383 - 3, 16383 + 3), (J | hi | low) & M64)
    return (s | R.randrange(1, 0x7FFF), J | R.getrandbits(63))


def rand_state(R, masks=None):
    rc = R.randrange(4)
    pc = R.choice([0, 2, 3, 3])
    m = 0x3F if masks is None else masks
    cw = 0x40 | m | (pc << 8) | (rc << 10)
    top = R.randrange(8)
    tw = 0
    regs = []
    for i in range(8):
        regs.append(rand80(R))
        if R.random() < 0.12:
            tw |= 3 << (2 * ((top + i) & 7))
    sw = (top << 11) | (R.randrange(0x40) & m)     # only masked flags already set
    return image(cw, sw, tw, regs)


def rand_mem(R):
    k = R.randrange(6)
    if k == 0:
        return R.getrandbits(128).to_bytes(16, "little")
    if k == 1:    # doubles
        e = R.choice([0, 0x7FF, R.randrange(1, 0x7FF)])
        v = (R.getrandbits(1) << 63) | (e << 52) | (R.getrandbits(52) >> R.randrange(53))
        return struct.pack("<Q", v) + bytes(8)
    if k == 2:    # singles
        e = R.choice([0, 0xFF, R.randrange(1, 0xFF)])
        v = (R.getrandbits(1) << 31) | (e << 23) | (R.getrandbits(23) >> R.randrange(24))
        return struct.pack("<I", v) + bytes(12)
    if k == 3:    # small integers
        return struct.pack("<q", R.randrange(-70000, 70000)) + bytes(8)
    if k == 4:    # packed BCD, sometimes with invalid digits
        d = R.randrange(10 ** 18)
        b = bytearray(10)
        for i in range(9):
            b[i] = (d % 10) | ((d // 10 % 10) << 4)
            d //= 100
        b[9] = R.choice([0, 0x80])
        if R.random() < 0.1:
            b[R.randrange(9)] |= 0xA0
        return bytes(b) + bytes(6)
    return struct.pack("<Q", R.getrandbits(64) >> R.randrange(64)) + bytes(8)


TRANSCENDENTAL = (0xF0, 0xF1, 0xF2, 0xF3, 0xF9, 0xFB, 0xFE, 0xFF)
# memory forms that are not tested through the 108-byte image round trip
_SKIP_MEM = {(1, 1), (3, 1), (3, 4), (3, 6), (5, 1), (5, 5), (7, 1), (1, 4), (1, 6), (5, 4), (5, 6)}


def instructions(transcendental=False):
    out = []
    for esc in range(8):
        for modrm in range(0xC0, 0x100):
            if esc == 1 and modrm in TRANSCENDENTAL and not transcendental:
                continue
            out.append(bytes([0xD8 + esc, modrm]))
        for reg in range(8):
            if (esc, reg) in _SKIP_MEM:
                continue
            out.append(bytes([0xD8 + esc, (reg << 3) | 5]) + struct.pack("<I", MEM_ADDR))
    return out


def key(insn):
    if insn[1] < 0xC0:
        return f"{insn[0]:02x}/{(insn[1] >> 3) & 7}"
    if insn[0] == 0xD9 and insn[1] >= 0xE0:
        return insn[:2].hex()
    return f"{insn[0]:02x}r{(insn[1] >> 3) & 7}"


def compare(case, native, kw):
    """Differences between the host's result and kw86's (FIP/FDP/FOP excluded:
    they are host addresses).  Returns a list of field names."""
    st, insn, mem = case
    status, nst, nmem, nfl = native
    kst, kmem, kfl, fx = kw
    if status:
        return [] if (status == 4 and fx & 8) else [f"signal {status}"]
    if fx & 8:
        return ["kw86 #UD"]
    d = []
    if kst[0:12] != nst[0:12]:
        kc, ks, kt = struct.unpack("<HxxHxxHxx", kst[:12])
        nc, ns, nt = struct.unpack("<HxxHxxHxx", nst[:12])
        d += [f"{n} {a:04x}!={b:04x}" for n, a, b in (("cw", kc, nc), ("sw", ks, ns), ("tw", kt, nt))
              if a != b]
    if kst[28:] != nst[28:]:
        d.append("regs")
    if insn[1] < 0xC0:
        if fx & 1:
            if kmem != nmem:
                d.append("mem")
        elif nmem != (mem + bytes(16))[:16]:
            d.append("mem written by the host only")
    if fx & 2 and (kfl & 0x8D5) != (nfl & 0x8D5):
        d.append(f"eflags {kfl & 0x8D5:03x}!={nfl & 0x8D5:03x}")
    return d


def fmt(case, native, kw):
    st, insn, mem = case

    def regs(s):
        return " ".join(f"{struct.unpack('<H', s[36 + 10 * i:38 + 10 * i])[0]:04x}:"
                        f"{struct.unpack('<Q', s[28 + 10 * i:36 + 10 * i])[0]:016x}" for i in range(3))

    def hdr(s):
        c, w, t = struct.unpack("<HxxHxxHxx", s[:12])
        return f"cw={c:04x} sw={w:04x} tw={t:04x}"
    return (f"{insn.hex()} mem={mem[:10].hex()}\n  in   {hdr(st)} {regs(st)}\n"
            f"  kw86 {hdr(kw[0])} {regs(kw[0])} mem={kw[1][:10].hex()}\n"
            f"  host {hdr(native[1])} {regs(native[1])} mem={native[2][:10].hex()}")
