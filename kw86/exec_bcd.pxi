# kw86/exec_bcd.pxi -- BCD adjust instructions daa/das/aaa/aas/aam/aad
# (included by exec.pyx).  Owned by the integer-families helper.

cdef register_bcd():
    pass
