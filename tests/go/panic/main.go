// panic: an unrecovered panic two calls deep after a recovered one: exit
// status 2 and the runtime's traceback on stderr.
package main

import (
	"fmt"
	"os"
)

type point struct{ x, y int }

func recovered() (msg string) {
	defer func() { msg = fmt.Sprint("recovered: ", recover()) }()
	var m map[string]int
	m["x"] = 1
	return "not reached"
}

//go:noinline
func inner(p *point) int {
	if p.x > 2 {
		panic(fmt.Sprintf("boom at %d,%d", p.x, p.y))
	}
	return inner(&point{p.x + 1, p.y * 2})
}

//go:noinline
func outer() int {
	return inner(&point{0, 1})
}

func main() {
	fmt.Println(recovered())
	fmt.Fprintln(os.Stderr, "about to panic")
	fmt.Println(outer())
}
