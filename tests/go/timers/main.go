// timers: time.Sleep, time.After, a Ticker, AfterFunc, a select timeout
// and a context deadline.  Checks durations against the clock (at least,
// never at most: a slow machine is not wrong).
package main

import (
	"context"
	"fmt"
	"time"
)

func atLeast(name string, start time.Time, d time.Duration) {
	el := time.Since(start)
	fmt.Printf("%s ok=%v\n", name, el >= d)
}

func main() {
	start := time.Now()
	time.Sleep(30 * time.Millisecond)
	atLeast("sleep 30ms", start, 30*time.Millisecond)

	start = time.Now()
	<-time.After(20 * time.Millisecond)
	atLeast("after 20ms", start, 20*time.Millisecond)

	start = time.Now()
	t := time.NewTicker(10 * time.Millisecond)
	for i := 1; i <= 3; i++ {
		<-t.C
		fmt.Println("tick", i)
	}
	t.Stop()
	atLeast("3 ticks", start, 30*time.Millisecond)

	done := make(chan string)
	time.AfterFunc(15*time.Millisecond, func() { done <- "afterfunc fired" })
	fmt.Println(<-done)

	never := make(chan int)
	select {
	case <-never:
		fmt.Println("wrong")
	case <-time.After(10 * time.Millisecond):
		fmt.Println("select timeout")
	}

	tm := time.NewTimer(time.Hour)
	fmt.Println("stopped", tm.Stop())

	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Millisecond)
	defer cancel()
	start = time.Now()
	<-ctx.Done()
	fmt.Println("context", ctx.Err())
	atLeast("context 25ms", start, 25*time.Millisecond)

	// timers from many goroutines, fired in deadline order
	order := make(chan int, 5)
	for _, ms := range []int{50, 10, 40, 20, 30} {
		ms := ms
		go func() {
			time.Sleep(time.Duration(ms) * time.Millisecond)
			order <- ms
		}()
	}
	for i := 0; i < 5; i++ {
		fmt.Print(<-order, " ")
	}
	fmt.Println()
}
