package fma

import (
	"runtime"
	"testing"
)

// Every loop runs, for zero, one and a chunk of iterations, and the
// amd64 and arm64 builds have assembly loops.
func TestLoops(t *testing.T) {
	ls := Loops()
	if len(ls) == 0 {
		t.Fatal("no loops")
	}
	for _, l := range ls {
		if l.FlopsPerIter <= 0 || (l.Dtype != "f32" && l.Dtype != "f64") {
			t.Errorf("%+v: bad loop", l)
		}
		for _, n := range []int{0, 1, ChunkIters} {
			l.Run(n)
		}
		t.Logf("%s %s: %d flops an iteration", l.ISA, l.Dtype, l.FlopsPerIter)
	}
	if (runtime.GOARCH == "amd64" || runtime.GOARCH == "arm64") && ls[0].ISA == "go" {
		t.Logf("no assembly loop on this %s CPU or build", runtime.GOARCH)
	}
}
