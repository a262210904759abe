/* kapi_ticks.c with dynamic resolution: exec fills the kernel symbols */
#define KAPI_DYNAMIC
#include "kapi_ticks.c"
