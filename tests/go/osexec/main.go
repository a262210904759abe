// osexec: os/exec of the system's programs (/bin/echo, /bin/cat, false):
// output, stdin and stdout pipes, a two-process pipeline, an exit status.
package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
)

func main() {
	out, err := exec.Command("/bin/echo", "hello", "from", "echo").Output()
	fmt.Printf("echo: %q %v\n", out, err)

	cmd := exec.Command("/bin/cat")
	cmd.Stdin = strings.NewReader("through cat\nsecond line\n")
	var buf bytes.Buffer
	cmd.Stdout = &buf
	err = cmd.Run()
	fmt.Printf("cat: %q %v\n", buf.String(), err)

	// stdin and stdout pipes, written and read by this process
	cat := exec.Command("/bin/cat")
	w, _ := cat.StdinPipe()
	r, _ := cat.StdoutPipe()
	if err := cat.Start(); err != nil {
		fmt.Println("start:", err)
		return
	}
	go func() {
		for i := 0; i < 100; i++ {
			fmt.Fprintf(w, "line %d\n", i)
		}
		w.Close()
	}()
	all, _ := io.ReadAll(r)
	err = cat.Wait()
	fmt.Println("pipe lines", bytes.Count(all, []byte("\n")), len(all), err)

	// echo | cat: two children joined by an OS pipe
	e := exec.Command("/bin/echo", "piped")
	c := exec.Command("/bin/cat")
	pr, pw, _ := os.Pipe()
	e.Stdout = pw
	c.Stdin = pr
	var cout bytes.Buffer
	c.Stdout = &cout
	e.Start()
	c.Start()
	pw.Close()
	pr.Close()
	e.Wait()
	c.Wait()
	fmt.Printf("pipeline: %q\n", cout.String())

	// an exit status
	err = exec.Command("false").Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		fmt.Println("false exits", ee.ExitCode())
	} else {
		fmt.Println("false:", err)
	}

	// a missing program
	_, err = exec.Command("/nonexistent/prog").Output()
	fmt.Println("missing:", errors.Is(err, os.ErrNotExist))
	_, err = exec.LookPath("no-such-program-here")
	fmt.Println("lookpath:", err != nil)
}
