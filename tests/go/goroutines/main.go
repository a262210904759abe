// goroutines: GOMAXPROCS=4 workers over channels, a WaitGroup, a mutex,
// and a pipeline of stages; the output does not depend on scheduling.
package main

import (
	"fmt"
	"runtime"
	"sort"
	"sync"
)

func collatz(n int) int {
	steps := 0
	for n != 1 {
		if n%2 == 0 {
			n /= 2
		} else {
			n = 3*n + 1
		}
		steps++
	}
	return steps
}

func main() {
	prev := runtime.GOMAXPROCS(4)
	fmt.Println("gomaxprocs", runtime.GOMAXPROCS(0), prev >= 1)

	jobs := make(chan int)
	results := make(chan [2]int)
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range jobs {
				results <- [2]int{n, collatz(n)}
			}
		}()
	}
	go func() {
		for n := 1; n <= 200; n++ {
			jobs <- n
		}
		close(jobs)
	}()
	go func() {
		wg.Wait()
		close(results)
	}()
	var out [][2]int
	for r := range results {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	total := 0
	for _, r := range out {
		total += r[1]
	}
	fmt.Println("results", len(out), "total steps", total, "n=27:", out[26][1])

	// a mutex-protected counter bumped by 16 goroutines
	var mu sync.Mutex
	count := 0
	var wg2 sync.WaitGroup
	for g := 0; g < 16; g++ {
		wg2.Add(1)
		go func() {
			defer wg2.Done()
			for i := 0; i < 1000; i++ {
				mu.Lock()
				count++
				mu.Unlock()
				if i%100 == 0 {
					runtime.Gosched()
				}
			}
		}()
	}
	wg2.Wait()
	fmt.Println("counter", count)

	// a pipeline: generate -> square -> sum, unbuffered channels
	gen := make(chan int)
	sq := make(chan int)
	go func() {
		for i := 1; i <= 100; i++ {
			gen <- i
		}
		close(gen)
	}()
	go func() {
		for v := range gen {
			sq <- v * v
		}
		close(sq)
	}()
	sum := 0
	for v := range sq {
		sum += v
	}
	fmt.Println("sum of squares", sum)

	// a buffered channel as a semaphore, and a select over two channels
	a, b := make(chan string, 1), make(chan string, 1)
	go func() { a <- "a" }()
	go func() { b <- "b" }()
	got := []string{}
	for len(got) < 2 {
		select {
		case v := <-a:
			got = append(got, v)
		case v := <-b:
			got = append(got, v)
		}
	}
	sort.Strings(got)
	fmt.Println("select", got)
}
