"""`kw86 ksyms`: the kernel symbol table as a link script.

A kernelware linked with it (`ld -T ksyms.ld` or `-Wl,-T,ksyms.ld` next to
the program's own layout, or as `--just-symbols`-style assignments) can call
kernel entry points and read kernel variables directly, as in the paper
(static resolution: relink when the kernel changes).
"""
import sys


def add_arguments(p):
    p.add_argument("-o", "--output", default=None, help="write to FILE instead of stdout")


def run(args):
    from kw86.nbsd.build_locore import load
    lc = load()
    lines = ["/* kw86 kernel symbols (locore.S, linked at %#x) */" % lc.base]
    for name, addr in sorted(lc.symbols.items(), key=lambda kv: (kv[1], kv[0])):
        if name.startswith(".") or name.startswith("$"):
            continue
        lines.append(f"PROVIDE({name} = {addr:#010x});")
    text = "\n".join(lines) + "\n"
    if args.output:
        with open(args.output, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0
