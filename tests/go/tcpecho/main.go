// tcpecho: a TCP echo server and its clients in one program over
// 127.0.0.1 (an ephemeral port): concurrent clients, line-by-line and
// bulk echo, half-close, and a refused connection.
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"sort"
	"strings"
	"sync"
)

func serve(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func(c net.Conn) {
			defer c.Close()
			io.Copy(c, c)
		}(c)
	}
}

func main() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println("listen:", err)
		return
	}
	addr := ln.Addr().(*net.TCPAddr)
	fmt.Println("listening on", addr.IP, addr.Port > 0)
	go serve(ln)

	// three clients at once, each echoing lines
	var wg sync.WaitGroup
	var mu sync.Mutex
	var lines []string
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c, err := net.Dial("tcp", addr.String())
			if err != nil {
				mu.Lock()
				lines = append(lines, "dial: "+err.Error())
				mu.Unlock()
				return
			}
			defer c.Close()
			r := bufio.NewReader(c)
			for j := 0; j < 3; j++ {
				fmt.Fprintf(c, "client %d line %d\n", i, j)
				s, err := r.ReadString('\n')
				if err != nil {
					s = "read: " + err.Error() + "\n"
				}
				mu.Lock()
				lines = append(lines, strings.TrimSpace(s))
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	sort.Strings(lines)
	for _, s := range lines {
		fmt.Println(s)
	}

	// 256 KiB through the echo, the write side half-closed
	c, err := net.Dial("tcp", addr.String())
	if err != nil {
		fmt.Println("dial:", err)
		return
	}
	data := bytes.Repeat([]byte("0123456789abcdef"), 16384)
	go func() {
		c.Write(data)
		c.(*net.TCPConn).CloseWrite()
	}()
	back, err := io.ReadAll(c)
	fmt.Println("bulk", len(back), bytes.Equal(back, data), err)
	c.Close()
	fmt.Println("local is loopback", c.LocalAddr().(*net.TCPAddr).IP.IsLoopback())

	ln.Close()
	_, err = net.Dial("tcp", addr.String())
	fmt.Println("after close, dial fails:", err != nil)
}
