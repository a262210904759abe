/* true -- exit with status 0 (kw86 userland, from true(1)). */
int main(void)
{
	return 0;
}
