package main

import (
	"math"
	"testing"
)

// TestElemTypes checks the numeric fields of the element-type descriptors
// against Go's own view of the types.
func TestElemTypes(t *testing.T) {
	if f32.Size != 4 || 1<<f32.Shift != f32.Size || f32.One != uint64(math.Float32bits(1)) {
		t.Errorf("f32 = %+v", f32)
	}
	if f64.Size != 8 || 1<<f64.Shift != f64.Size || f64.One != math.Float64bits(1) {
		t.Errorf("f64 = %+v", f64)
	}
	for _, w := range isas {
		if got := f32.Lanes(w.Bytes) * f32.Size; got != w.Bytes {
			t.Errorf("%s: %d float32 lanes of 4 bytes = %d bytes", w.Name, f32.Lanes(w.Bytes), got)
		}
	}
}

// TestLog2 checks log2 on powers of two and its panic on others.
func TestLog2(t *testing.T) {
	for k := range 10 {
		if got := log2(1 << k); got != k {
			t.Errorf("log2(%d) = %d", 1<<k, got)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("log2(6) did not panic")
		}
	}()
	log2(6)
}
