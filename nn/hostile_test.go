package nn

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// panicMsg runs f and returns the message of its panic, "" if it did
// not panic. A runtime error is returned with a "runtime:" prefix so
// that no test takes it for one of the package's messages.
func panicMsg(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(interface{ RuntimeError() }); ok {
				msg = fmt.Sprintf("runtime: %v", e)
				return
			}
			msg = fmt.Sprint(r)
			if msg == "" {
				msg = "(empty panic)"
			}
		}
	}()
	f()
	return ""
}

// TestPredictSharedBuffer is the reproduction of y and x in one buffer,
// x = buf[:m·4], y = buf[:m·8], with m above a chunk of rows: the outputs
// of the first chunk used to overwrite the inputs of the next one, giving
// wrong rows 256 … 299 and no error. Predict must refuse, before writing.
func TestPredictSharedBuffer(t *testing.T) {
	net, _ := New[float32](5, MLP(4, 16, 8)...)
	const m = 300
	buf := make([]float32, m*8)
	for i := range buf[:m*4] {
		buf[i] = float32(i%7) - 3
	}
	orig := slices.Clone(buf)
	msg := panicMsg(func() { net.Predict(buf[:m*8], buf[:m*4], m) })
	if !strings.HasPrefix(msg, "nn: Predict: y overlaps x") {
		t.Errorf("Predict with y over x: panic %q, want nn: Predict: y overlaps x", msg)
	}
	if !slices.Equal(buf, orig) {
		t.Error("Predict with y over x wrote to the buffer before refusing")
	}
	// The same outputs from separate buffers are what the caller must use.
	y := make([]float32, m*8)
	net.Predict(y, orig[:m*4], m)
}

// TestPredictLinearInPlace is the reproduction of y == x through one
// Linear layer: the bias rows used to be copied into y, destroying x,
// before the kernel's overlap check panicked.
func TestPredictLinearInPlace(t *testing.T) {
	for _, act := range []Activation{Linear, ReLU} {
		net, _ := New[float64](2, Dense(6, 6, act))
		for i := range net.Layer(0).B {
			net.Layer(0).B[i] = 100 + float64(i)
		}
		x := make([]float64, 5*6)
		for i := range x {
			x[i] = float64(i)
		}
		orig := slices.Clone(x)
		msg := panicMsg(func() { net.Predict(x, x, 5) })
		if !strings.HasPrefix(msg, "nn: Predict: y overlaps x") {
			t.Errorf("%v: Predict(x, x): panic %q", act, msg)
		}
		if !slices.Equal(x, orig) {
			t.Errorf("%v: Predict(x, x) wrote to x before refusing: %v", act, x[:6])
		}
	}
}

// TestLinearLayerChecksFirst calls the Linear layer's forward pass
// directly with an output over its input, and over its parameters: the
// panic must come with the output untouched.
func TestLinearLayerChecksFirst(t *testing.T) {
	net, _ := New[float32](2, Dense(4, 4, Linear))
	l := net.Layer(0)
	for i := range l.B {
		l.B[i] = 9
	}
	buf := make([]float32, 3*4)
	for i := range buf {
		buf[i] = float32(i)
	}
	orig := slices.Clone(buf)
	if msg := panicMsg(func() { linearForward(l, 3, buf, buf) }); !strings.Contains(msg, "overlaps the input") {
		t.Errorf("output over input: panic %q", msg)
	}
	if msg := panicMsg(func() { linearForward(l, 3, buf[:11], make([]float32, 12)) }); !strings.HasPrefix(msg, "nn: Linear layer") {
		t.Errorf("short input: panic %q", msg)
	}
	if !slices.Equal(buf, orig) {
		t.Error("the layer wrote before its checks")
	}
	w := slices.Clone(l.W)
	if msg := panicMsg(func() { linearForward(l, 1, make([]float32, 4), l.W[:4]) }); !strings.Contains(msg, "parameters") {
		t.Errorf("output over W: panic %q", msg)
	}
	if !slices.Equal(w, l.W) {
		t.Error("the layer wrote to W before its checks")
	}
}

// TestPredictOverParams: y over a layer's weights or biases.
func TestPredictOverParams(t *testing.T) {
	net, _ := New[float32](2, MLP(2, 3, 2)...)
	x := []float32{1, 2}
	for _, y := range [][]float32{net.Layer(1).B, net.Layer(1).W[:2], net.Layer(0).W[2:4]} {
		before := slices.Clone(y)
		if msg := panicMsg(func() { net.Predict(y, x, 1) }); !strings.Contains(msg, "overlaps the parameters") {
			t.Errorf("panic %q", msg)
		}
		if !slices.Equal(y, before) {
			t.Error("Predict wrote to the parameters before refusing")
		}
	}
}

// TestPredictOverflow: m·In and m·Out wrap for m = 2⁶²+1 and In = 4, so
// a multiplication-based check passed and Predict wrote 256 rows before
// a bounds panic. The check must fail first, with nothing written.
func TestPredictOverflow(t *testing.T) {
	net, _ := New[float32](1, MLP(4, 8, 4)...)
	x, y := make([]float32, 1024), make([]float32, 1024)
	for _, m := range []int{1<<62 + 1, 1<<63 - 1, 1 << 62, 257} {
		msg := panicMsg(func() { net.Predict(y, x, m) })
		if !strings.HasPrefix(msg, "nn: Predict of") {
			t.Errorf("m = %d: panic %q, want an nn: Predict message", m, msg)
		}
		if slices.ContainsFunc(y, func(v float32) bool { return v != 0 }) {
			t.Fatalf("m = %d: Predict wrote to y before panicking", m)
		}
	}
	for name, f := range map[string]func(){
		"Classify":        func() { net.Classify(make([]int, 1024), x, 1<<62+1) },
		"Probabilities":   func() { net.Probabilities(y, x, 1<<62+1) },
		"EvaluateClasses": func() { net.EvaluateClasses(x, make([]int, 1024), 1<<62+1) },
		"Softmax":         func() { Softmax(y, x, 1<<62+1, 4) },
		"Argmax":          func() { Argmax(make([]int, 1024), x, 1<<62+1, 4) },
	} {
		if msg := panicMsg(f); !strings.HasPrefix(msg, "nn: "+name) {
			t.Errorf("%s: panic %q", name, msg)
		}
	}
}

// TestSaveErrors: a network whose W was replaced by a short slice is an
// error from Save, WriteTo, MarshalBinary and ReadParams (they return
// errors, so they do not panic), and Save into a missing directory names
// the path asked for, not its temporary file.
func TestSaveErrors(t *testing.T) {
	net, _ := New[float32](1, MLP(4, 3, 2)...)
	good, _ := net.MarshalBinary()
	bad := net.Clone()
	bad.Layer(0).W = bad.Layer(0).W[:5]
	dir := t.TempDir()
	path := filepath.Join(dir, "net.frn")
	var err error
	if msg := panicMsg(func() { err = bad.Save(path) }); msg != "" || err == nil || !strings.Contains(err.Error(), "len(W) = 5") {
		t.Errorf("Save of a short W: panic %q, error %v", msg, err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("Save of a short W left %v", ents)
	}
	if msg := panicMsg(func() { _, err = bad.MarshalBinary() }); msg != "" || err == nil {
		t.Errorf("MarshalBinary of a short W: panic %q, error %v", msg, err)
	}
	if msg := panicMsg(func() { err = bad.ReadParams(strings.NewReader(string(good))) }); msg != "" || err == nil {
		t.Errorf("ReadParams into a short W: panic %q, error %v", msg, err)
	}

	missing := filepath.Join(dir, "no", "such", "net.frn")
	err = net.Save(missing)
	if err == nil || !strings.Contains(err.Error(), missing) || strings.Contains(err.Error(), ".tmp") {
		t.Errorf("Save into a missing directory: %v, want an error naming %s and no temporary file", err, missing)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Save into a missing directory: %v is not fs.ErrNotExist", err)
	}
	if err := net.Save(path); err != nil {
		t.Fatal(err)
	}
	// A directory in the way of the rename: the error names path too.
	if err := net.Save(dir); err == nil || !strings.Contains(err.Error(), dir) || strings.Contains(err.Error(), ".tmp") {
		t.Errorf("Save over a directory: %v", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 { // net.frn
		t.Errorf("Save left temporary files: %v", ents)
	}
}

// TestLayerIndex: Layer out of range panics with an nn: message.
func TestLayerIndex(t *testing.T) {
	net, _ := New[float32](1, MLP(4, 3, 2)...)
	for _, i := range []int{-1, 2} {
		if msg := panicMsg(func() { net.Layer(i) }); !strings.HasPrefix(msg, "nn: Layer(") {
			t.Errorf("Layer(%d): panic %q", i, msg)
		}
	}
}

// FuzzPredict drives Predict with arbitrary m, slice lengths and places
// of x and y in one guarded buffer (so that they may overlap, and each
// other's guards). Every call must either succeed, with the outputs of
// separate buffers and nothing else written, or panic with an nn: or
// kernels: message having written nothing.
func FuzzPredict(f *testing.F) {
	f.Add(int64(300), uint16(0), uint16(1200), uint16(0), uint16(2400), uint8(0), uint64(1))        // the shared-buffer reproduction
	f.Add(int64(5), uint16(0), uint16(30), uint16(0), uint16(30), uint8(1), uint64(2))              // y == x, one Linear layer
	f.Add(int64(1<<62+1), uint16(0), uint16(1024), uint16(1024), uint16(1024), uint8(0), uint64(3)) // m·In wraps
	f.Add(int64(3), uint16(0), uint16(12), uint16(12), uint16(24), uint8(0), uint64(4))             // apart: success
	f.Add(int64(-1), uint16(0), uint16(0), uint16(0), uint16(0), uint8(2), uint64(5))
	f.Add(int64(260), uint16(2000), uint16(1040), uint16(0), uint16(2080), uint8(0), uint64(6)) // x after y
	nets := []*Network[float32]{}
	for i, specs := range [][]LayerSpec{MLP(4, 16, 8), {Dense(6, 6, Linear)}, {Dense(3, 5, ReLU)}, MLP(2, 3, 3, 2)} {
		n, err := New[float32](uint64(i+1), specs...)
		if err != nil {
			f.Fatal(err)
		}
		for l := range n.NumLayers() {
			for j := range n.Layer(l).B {
				n.Layer(l).B[j] = float32(j%5) - 2
			}
		}
		nets = append(nets, n)
	}
	f.Fuzz(func(t *testing.T, m int64, xOff, xLen, yOff, yLen uint16, which uint8, seed uint64) {
		net := nets[int(which)%len(nets)]
		const size = 5000
		xo, xl := int(xOff)%size, int(xLen)
		yo, yl := int(yOff)%size, int(yLen)
		xl, yl = min(xl, size-xo), min(yl, size-yo)
		buf := make([]float32, size)
		r := rand.New(rand.NewPCG(seed, 9))
		for i := range buf {
			buf[i] = float32(r.NormFloat64())
		}
		orig := slices.Clone(buf)
		x, y := buf[xo:xo+xl:xo+xl], buf[yo:yo+yl:yo+yl]
		mm := int(m)
		msg := panicMsg(func() { net.Predict(y, x, mm) })
		if msg != "" {
			if !strings.HasPrefix(msg, "nn:") && !strings.HasPrefix(msg, "kernels:") {
				t.Fatalf("m = %d, x = [%d:%d], y = [%d:%d]: panic %q", mm, xo, xo+xl, yo, yo+yl, msg)
			}
			if !slices.Equal(buf, orig) {
				t.Fatalf("m = %d, x = [%d:%d], y = [%d:%d]: panic %q after writing", mm, xo, xo+xl, yo, yo+yl, msg)
			}
			return
		}
		in, out := net.In(), net.Out()
		want := make([]float32, mm*out)
		net.Predict(want, slices.Clone(orig[xo:xo+mm*in]), mm)
		for i := range buf {
			w := orig[i]
			if i >= yo && i < yo+mm*out {
				w = want[i-yo]
			}
			if math.Float32bits(buf[i]) != math.Float32bits(w) {
				t.Fatalf("m = %d, x = [%d:%d], y = [%d:%d]: element %d is %v, want %v", mm, xo, xo+xl, yo, yo+yl, i, buf[i], w)
			}
		}
	})
}

// TestEmptyNetwork: a zero Network (not made by New or Load) is an nn:
// panic where the functions panic and an error where they return one.
func TestEmptyNetwork(t *testing.T) {
	var net Network[float32]
	if msg := panicMsg(func() { net.Predict(make([]float32, 4), make([]float32, 4), 1) }); !strings.HasPrefix(msg, "nn: the network has no layers") {
		t.Errorf("Predict: panic %q", msg)
	}
	if _, err := net.MarshalBinary(); err == nil || !strings.HasPrefix(err.Error(), "nn: the network has no layers") {
		t.Errorf("MarshalBinary: %v", err)
	}
}
