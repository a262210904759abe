// filecopy: write 1 MiB of deterministic data in a temporary directory,
// copy it with io.Copy, compare sizes and SHA-256, rename, seek, remove.
package main

import (
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
)

func sum(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	h := sha256.New()
	io.Copy(h, f)
	return fmt.Sprintf("%x", h.Sum(nil))
}

func main() {
	dir, err := os.MkdirTemp("", "gocopy")
	if err != nil {
		fmt.Println("mkdirtemp:", err)
		return
	}
	defer os.RemoveAll(dir)
	src := filepath.Join(dir, "src.bin")
	dst := filepath.Join(dir, "dst.bin")
	data := make([]byte, 1<<20)
	rand.New(rand.NewSource(42)).Read(data)
	if err := os.WriteFile(src, data, 0644); err != nil {
		fmt.Println("write:", err)
		return
	}
	in, _ := os.Open(src)
	out, _ := os.Create(dst)
	n, err := io.Copy(out, in)
	in.Close()
	out.Close()
	fmt.Println("copied", n, err)
	st, _ := os.Stat(dst)
	fmt.Println("size", st.Size(), "mode", st.Mode())
	a, b := sum(src), sum(dst)
	fmt.Println("sha256", a, a == b)

	moved := filepath.Join(dir, "moved.bin")
	fmt.Println("rename", os.Rename(dst, moved))
	f, _ := os.Open(moved)
	f.Seek(-16, io.SeekEnd)
	tail := make([]byte, 16)
	io.ReadFull(f, tail)
	f.Close()
	fmt.Printf("tail %x\n", tail)
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		fmt.Println("entry", e.Name())
	}
	fmt.Println("remove", os.Remove(moved), os.Remove(src))
	_, err = os.Stat(src)
	fmt.Println("gone", os.IsNotExist(err))
}
