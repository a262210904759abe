/* kw86 libc: <stdbool.h>. */
#ifndef _STDBOOL_H_
#define _STDBOOL_H_
#ifndef __cplusplus
#define bool  _Bool
#define true  1
#define false 0
#endif
#define __bool_true_false_are_defined 1
#endif
