// hello: the smallest Go program, plus formatted numbers (GO386=softfloat:
// the float formatting is the runtime's software floating point).
package main

import (
	"fmt"
	"math"
	"os"
	"strconv"
)

func main() {
	fmt.Println("hello from go")
	fmt.Printf("args %d %q\n", len(os.Args)-1, os.Args[1:])
	fmt.Printf("sqrt2 %.10f pi %g e %e\n", math.Sqrt(2), math.Pi, math.E)
	fmt.Println(strconv.Itoa(1<<31-1), strconv.FormatInt(-1<<63, 16), 7.0/3)
}
