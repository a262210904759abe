"""kw86.nbsd: the NetBSD/i386 kernel personality (see README.md here).

    from kw86.nbsd import Kernel
    status = Kernel(root).run_program(b"/bin/ls", [b"ls", b"-l"], [b"PATH=/bin"])
"""


def __getattr__(name):
    # lazy: the file-system layers and the tests need no machine
    if name == "Kernel":
        from kw86.nbsd.kernel import Kernel
        return Kernel
    raise AttributeError(f"module 'kw86.nbsd' has no attribute {name!r}")
