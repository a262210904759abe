/* The smallest kw86 guest program: print a line and exit 0. */
#include <stdio.h>

int
main(void)
{
    printf("hello, world\n");
    return 0;
}
