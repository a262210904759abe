/* The PT_INTERP of the ET_EXEC variant of dynprog: lld makes one for a .interp section. */
	.section .interp,"aR",@progbits
	.asciz	"/usr/libexec/ld.kw86.so"

	.section .note.GNU-stack,"",@progbits
