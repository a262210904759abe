"""`kw86 ksyms`: the kernel symbol table as a link script.

PROVIDE() assignments of the kernel API (kapi.py: bread, getblk, bwrite,
..., printf, panic, ticks, curproc ...), every locore symbol, and the
kernel's build id.  A kernelware linked with it (`-Wl,-T,ksyms.ld`: lld adds
the assignments to its default layout, so the PT_NOTE stays) calls kernel
functions and reads kernel variables directly, as in the paper; it carries
the build id in an ELF note (<sys/kapi.h>) and exec refuses it on another
kernel (static resolution: relink).  Built with KAPI_DYNAMIC it needs no
script: exec fills its symbol table.
"""
import sys


def add_arguments(p):
    p.add_argument("-o", "--output", default=None, help="write to FILE instead of stdout")


def run(args):
    from kw86.nbsd.kapi import link_script
    text = link_script()
    if args.output:
        try:
            with open(args.output, "w") as f:
                f.write(text)
        except OSError as e:
            print(f"kw86: ksyms: {args.output}: {e.strerror}", file=sys.stderr)
            return 1
    else:
        sys.stdout.write(text)
    return 0
