/*
 * cp_calls -- cp without its buffer-cache copy: the paper's unmodified cp,
 * which as a kernelware gains only its system calls made as calls (the
 * middle variant of Figs. 10 and 11, `kw86 bench paper`).
 */
#define CP_CALLS_ONLY
#include "cp.c"
