//go:build onednn && cgo

package main

import (
	"strings"
	"testing"
	"time"
)

// Every operation bench measures oneDNN on runs, on a shape with no
// multiple of a tile (f32 and bf16); those it has not are errors.
func TestOneDNN(t *testing.T) {
	onednnThreads(1)
	if v := onednnVersion(); !strings.Contains(v, ".") {
		t.Errorf("onednnVersion() = %q", v)
	}
	for _, dt := range []string{"f32", "bf16"} {
		for _, op := range opsFor(dt) {
			r := measureOneDNN(request{Op: op, Dtype: dt, Shape: shape{7, 19, 33}, Budget: time.Millisecond})
			if r.Err != "" || r.T.Best <= 0 || r.T.Calls < 3 {
				t.Errorf("%s %s: %+v", dt, op, r)
			}
		}
	}
	for _, req := range []request{{Op: "gemm", Dtype: "bf16"}, {Op: "fwd", Dtype: "f64"}, {Op: "nop", Dtype: "f32"}} {
		req.Shape, req.Budget = shape{2, 3, 4}, time.Millisecond
		if r := measureOneDNN(req); r.Err == "" {
			t.Errorf("%s %s: no error", req.Dtype, req.Op)
		}
	}
}
