"""`kw86 disasm`: disassemble i386 code from a hex string or a file region.

    kw86 disasm "55 89 e5 83 ec 08"
    kw86 disasm --16 b80000cd21
    kw86 disasm --file a.out --offset 0x1000 --length 64 --address 0x8049000

One instruction per line: address, bytes, Intel-syntax text.  Encodings a
P6 does not define print as "(bad)  ; #UD"; an instruction longer than 15
bytes as "(bad)  ; #GP"; a stream that ends mid-instruction as
"(incomplete)".
"""
import re
import sys


def _int(text):
    try:
        v = int(text, 0)
    except ValueError:
        raise ValueError(f"not a number: {text!r}")
    if v < 0:
        raise ValueError(f"must not be negative: {text!r}")
    return v


def add_arguments(parser):
    parser.add_argument("hex", nargs="*",
                        help="code as hex digits (spaces, commas and 0x/\\x prefixes allowed)")
    parser.add_argument("--file", metavar="PATH", help="read the code from a file instead")
    parser.add_argument("--offset", default="0", metavar="N",
                        help="start offset in the file (default 0)")
    parser.add_argument("--length", default=None, metavar="N",
                        help="number of bytes to read from the file (default: to the end)")
    parser.add_argument("--address", default=None, metavar="ADDR",
                        help="address of the first byte (default: the file offset, or 0)")
    parser.add_argument("--16", dest="bits16", action="store_true",
                        help="16-bit code segment (default: 32-bit)")
    parser.add_argument("--count", default=None, metavar="N",
                        help="stop after N instructions")


def parse_hex(text):
    """Hex digits with optional separators (space, comma, colon), "0x" and "\\x"
    prefixes.  Raises ValueError with a one-line message."""
    t = re.sub(r"(0x|\\x)", "", text, flags=re.IGNORECASE)
    t = re.sub(r"[\s,:;]", "", t)
    if not t:
        raise ValueError("no hex bytes given")
    if not re.fullmatch(r"[0-9a-fA-F]*", t):
        bad = re.search(r"[^0-9a-fA-F]", t).group(0)
        raise ValueError(f"bad hex: unexpected character {bad!r}")
    if len(t) % 2:
        raise ValueError("bad hex: odd number of digits")
    return bytes.fromhex(t)


def disassemble(code, bits=32, address=0, count=None):
    """Yield (address, bytes, text) for each instruction in `code`."""
    from kw86.decoder import IncompleteInstruction, decode
    pos = 0
    n = 0
    mask = 0xFFFFFFFF if bits == 32 else 0xFFFF
    while pos < len(code) and (count is None or n < count):
        addr = (address + pos) & 0xFFFFFFFF
        try:
            ins = decode(code[pos:pos + 15], bits, ip=addr & mask)
        except IncompleteInstruction:
            yield addr, code[pos:], "(incomplete)"
            return
        if ins.valid:
            text = str(ins)
        else:
            text = f"(bad)  ; #{ins.fault}"
        length = max(ins.length, 1)
        yield addr, code[pos:pos + length], text
        pos += length
        n += 1


def format_line(addr, raw, text, width=8):
    hexbytes = " ".join(f"{b:02x}" for b in raw)
    return f"{addr:08x}:  {hexbytes:<{3 * width - 1}}  {text}"


def run(args):
    try:
        bits = 16 if args.bits16 else 32
        count = _int(args.count) if args.count is not None else None
        if args.file:
            if args.hex:
                raise ValueError("give either hex bytes or --file, not both")
            offset = _int(args.offset)
            length = _int(args.length) if args.length is not None else None
            try:
                with open(args.file, "rb") as f:
                    f.seek(offset)
                    code = f.read() if length is None else f.read(length)
            except OSError as e:
                raise ValueError(f"cannot read {args.file}: {e.strerror or e}")
            address = _int(args.address) if args.address is not None else offset
        else:
            if not args.hex:
                raise ValueError("no code given: pass hex bytes or --file PATH")
            code = parse_hex(" ".join(args.hex))
            address = _int(args.address) if args.address is not None else 0
    except ValueError as e:
        print(f"kw86 disasm: error: {e}", file=sys.stderr)
        return 2
    out = sys.stdout
    for addr, raw, text in disassemble(code, bits, address, count):
        # long instructions wrap their bytes over several lines, 8 per line
        out.write(format_line(addr, raw[:8], text) + "\n")
        for k in range(8, len(raw), 8):
            out.write(" " * 11 + " ".join(f"{b:02x}" for b in raw[k:k + 8]) + "\n")
    return 0
