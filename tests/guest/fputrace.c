/*
 * x87 and MMX state changes for `kw86 exec --trace` (tests/test_nbsd_trace.py):
 * a short, fixed sequence in inline assembly whose changed registers the
 * test knows.  Prints the results so that a traced run can be compared
 * with an untraced one.
 */
#include <stdio.h>

int
main(void)
{
	unsigned short cw = 0x027f, sw;
	double d = 0;
	unsigned long long a = 0x0001000200030004ULL, b = 0x0010002000300040ULL, r = 0;

	__asm__ volatile(
	    "fldcw %2\n\t"          /* fcw=0x27f */
	    "fld1\n\t"              /* st0 = 1 */
	    "fldpi\n\t"             /* st0 = pi */
	    "faddp %%st, %%st(1)\n\t" /* st0 = 1 + pi (double precision) */
	    "fstpl %0\n\t"          /* pop */
	    "fnstsw %1\n\t"
	    : "=m"(d), "=m"(sw) : "m"(cw));
	__asm__ volatile(
	    "movq %1, %%mm0\n\t"
	    "movq %2, %%mm1\n\t"
	    "paddw %%mm1, %%mm0\n\t" /* mm0 = 0x0011002200330044 */
	    "movq %%mm0, %0\n\t"
	    "emms\n\t"
	    : "=m"(r) : "m"(a), "m"(b)
#if defined(__MMX__) || defined(__clang__)
	    : "mm0", "mm1"		/* GCC names them only with -mmmx (then uses them) */
#endif
	    );
	printf("x87 %llx sw %04x mmx %016llx\n", *(unsigned long long *)&d, sw, r);
	return 0;
}
