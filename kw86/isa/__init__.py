"""kw86.isa: the instruction-set tables (opcodes.py is the single source of truth)."""
