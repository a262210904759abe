/* false -- exit with status 1 (kw86 userland, from false(1)). */
int main(void)
{
	return 1;
}
