"""kw86: an i386 machine in Cython and a NetBSD/i386 kernel personality.

Public API (kept small and stable):
    kw86.Machine            CPU + memory, the object the kernel drives
    kw86.CPUException       a guest exception reported by FlatCPU.step()
    kw86.decoder.decode     bytes -> Instruction
    kw86.testing.FlatCPU    a flat protected-mode CPU for tests
    kw86.nbsd.Kernel        boot, spawn, run
"""

__version__ = "0.1.0"


def __getattr__(name):
    # Imported lazily so that `import kw86` works (e.g. for `kw86 disasm`)
    # without pulling in the whole machine.
    if name in ("Machine", "CPUException"):
        from kw86 import machine
        return getattr(machine, name)
    raise AttributeError(f"module 'kw86' has no attribute {name!r}")
