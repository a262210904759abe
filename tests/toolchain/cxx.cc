// Freestanding C++ built by g++ against kw86's C library (tests/test_toolchain_gcc.py,
// -fno-exceptions -fno-rtti, tools/gcc_netbsd_cxxrt.c as its runtime), and natively
// by the host's g++ for the expected output: virtual dispatch through a pure virtual
// base, templates, new/delete of objects and arrays, static objects constructed in
// order and destroyed in reverse by exit(), a function-local static, lambdas.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

namespace kw {

struct Shape {
	virtual int64_t area() const = 0;
	virtual const char *name() const { return "shape"; }
	virtual ~Shape() {}
};

struct Rect : Shape {
	int32_t w, h;
	Rect(int32_t a, int32_t b) : w(a), h(b) {}
	int64_t area() const override { return (int64_t)w * h; }
	const char *name() const override { return "rect"; }
};

struct Square final : Rect {
	explicit Square(int32_t a) : Rect(a, a) {}
	int64_t area() const override { return Rect::area() + 1; }
	const char *name() const override { return "square"; }
};

template <typename T, int N>
struct Ring {
	T v[N];
	int n = 0;
	void push(const T &x) { v[n++ % N] = x; }
	T sum() const { T s = T(); for (int i = 0; i < N && i < n; i++) s += v[i]; return s; }
};

struct Noisy {
	const char *tag;
	explicit Noisy(const char *t) : tag(t) { printf("construct %s\n", tag); }
	~Noisy() { printf("destroy %s\n", tag); }
};

Noisy first("first");
Noisy second("second");

int
counter()
{
	static Noisy once("local static");	// constructed on the first call only
	static int calls;
	return ++calls;
}

struct V2 {
	int32_t x, y;
	V2 operator+(const V2 &o) const { return V2{x + o.x, y + o.y}; }
	bool operator<(const V2 &o) const { return x * x + y * y < o.x * o.x + o.y * o.y; }
};

}  // namespace kw

int
main()
{
	using namespace kw;
	Shape *shapes[] = { new Rect(3, 4), new Square(5), new Rect(100000, 300000) };
	int64_t total = 0;
	for (Shape *s : shapes) {
		printf("%s %lld\n", s->name(), (long long)s->area());
		total += s->area();
	}
	for (Shape *s : shapes)
		delete s;
	printf("total %lld\n", (long long)total);

	Ring<int64_t, 4> r;
	for (int i = 1; i <= 6; i++)
		r.push((int64_t)i * 1000000007);
	Ring<double, 3> d;
	d.push(0.5);
	d.push(0.25);
	printf("ring %lld %.2f\n", (long long)r.sum(), d.sum());

	int32_t *a = new int32_t[16];
	for (int i = 0; i < 16; i++)
		a[i] = (i * 7919) % 31 - 15;
	qsort(a, 16, sizeof a[0], [](const void *p, const void *q) {
		int32_t x = *(const int32_t *)p, y = *(const int32_t *)q;
		return (x > y) - (x < y);
	});
	printf("sorted %d %d %d\n", (int)a[0], (int)a[8], (int)a[15]);
	delete[] a;

	V2 u{3, 4}, w{-1, 2};
	V2 t = u + w;
	printf("v2 %d %d %d\n", (int)t.x, (int)t.y, (int)(w < u));
	int k = 0;
	auto add = [&k](int n) { k += n; return k; };
	add(5);
	printf("lambda %d counter %d", add(7), counter());
	printf(" %d\n", counter());
	return 0;
}
