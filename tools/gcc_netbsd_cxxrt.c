/*
 * The little C++ runtime freestanding C++ needs (g++ -fno-exceptions -fno-rtti;
 * no libstdc++ exists for NetBSD/i386 here), linked by tools/gcc_netbsd.py into a
 * program with C++ sources (the linker keeps what is used):
 *
 *   operator new / new[] / delete / delete[] (sized too)  malloc and free; a failed
 *                                      new aborts (no exceptions to throw bad_alloc)
 *   __cxa_atexit, __dso_handle          destructors of static objects, run by exit()
 *                                      in the reverse order of construction
 *   __cxa_guard_acquire/release/abort   function-local statics (one thread's view:
 *                                      the guard's first byte says "done")
 *   __cxa_pure_virtual, __cxa_deleted_virtual   a message and abort()
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

/* i386 Itanium C++ ABI manglings (size_t is unsigned int: j) */
void *cxx_new(size_t) __asm__("_Znwj");
void *cxx_new_array(size_t) __asm__("_Znaj");
void cxx_delete(void *) __asm__("_ZdlPv");
void cxx_delete_array(void *) __asm__("_ZdaPv");
void cxx_delete_sized(void *, size_t) __asm__("_ZdlPvj");
void cxx_delete_array_sized(void *, size_t) __asm__("_ZdaPvj");

void *
cxx_new(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		abort();
	return p;
}

void *cxx_new_array(size_t n) { return cxx_new(n); }
void cxx_delete(void *p) { free(p); }
void cxx_delete_array(void *p) { free(p); }
void cxx_delete_sized(void *p, size_t n) { (void)n; free(p); }
void cxx_delete_array_sized(void *p, size_t n) { (void)n; free(p); }

void *__dso_handle __attribute__((visibility("hidden"))) = &__dso_handle;

#define NDTORS 256
static struct { void (*fn)(void *); void *arg; } dtors[NDTORS];
static int ndtors;

static void
run_dtors(void)
{
	while (ndtors > 0) {
		ndtors--;
		dtors[ndtors].fn(dtors[ndtors].arg);
	}
}

int
__cxa_atexit(void (*fn)(void *), void *arg, void *dso)
{
	(void)dso;
	if (ndtors == NDTORS)
		return -1;
	if (ndtors == 0 && atexit(run_dtors) != 0)
		return -1;
	dtors[ndtors].fn = fn;
	dtors[ndtors].arg = arg;
	ndtors++;
	return 0;
}

int __cxa_guard_acquire(uint64_t *g) { return *(volatile uint8_t *)g == 0; }
void __cxa_guard_release(uint64_t *g) { *(volatile uint8_t *)g = 1; }
void __cxa_guard_abort(uint64_t *g) { (void)g; }

static void __attribute__((noreturn))
die(const char *msg, size_t n)
{
	write(2, msg, n);
	abort();
}

void __cxa_pure_virtual(void) { die("pure virtual method called\n", 27); }
void __cxa_deleted_virtual(void) { die("deleted virtual method called\n", 30); }
