# kw86/exec_string.pxi -- string instructions movs/cmps/stos/lods/scas/ins/outs
# with rep/repe/repne (included by exec.pyx).  Owned by the integer-families
# helper.  Rules (DESIGN.md): fast rep movs/stos copy page chunks through
# mmu_host_page(), keep byte-by-byte semantics for overlapping moves, DF=1
# runs backwards, and a fault between iterations leaves ECX/ESI/EDI exact.
# ins/outs use io_perm() and io_access() from exec_system.pxi.

cdef register_string():
    pass
