package nn

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/fusedrelu/kernels"
)

func TestNewErrors(t *testing.T) {
	for _, c := range []struct {
		specs []LayerSpec
		msg   string
	}{
		{nil, "at least one layer"},
		{MLP(5), "at least one layer"},
		{[]LayerSpec{Dense(0, 3, ReLU)}, "0→3"},
		{[]LayerSpec{Dense(3, -1, ReLU)}, "3→-1"},
		{[]LayerSpec{Dense(3, 1<<24+1, ReLU)}, "want widths from 1"},
		{[]LayerSpec{Dense(3, 4, 0)}, "unknown activation Activation(0)"},
		{[]LayerSpec{Dense(3, 4, ReLU), Dense(5, 2, Linear)}, "layer 1 has 5 inputs, but layer 0 has 4 outputs"},
		{make([]LayerSpec, maxLayers+1), "at most 1024"},
	} {
		n, err := New[float32](1, c.specs...)
		if n != nil || err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("New(%v): %v, %v; want an error saying %q", c.specs, n, err, c.msg)
		}
	}
	net, _ := New[float32](1, MLP(2, 3, 1)...)
	for _, c := range []struct {
		loss Loss
		opt  Optimizer
		msg  string
	}{
		{0, SGD{}, "unknown loss"},
		{MSE, nil, "nil optimizer"},
		{MSE, SGD{LR: math.NaN()}, "learning rate NaN"},
		{MSE, SGD{LR: -1}, "learning rate -1"},
		{MSE, Momentum{Momentum: 1}, "momentum 1"},
		{MSE, Adam{Beta2: 1.5}, "betas"},
		{MSE, Adam{Epsilon: -1}, "epsilon"},
	} {
		if tr, err := NewTrainer(net, c.loss, c.opt); tr != nil || err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("NewTrainer(%v, %#v): %v; want an error saying %q", c.loss, c.opt, err, c.msg)
		}
	}
	if _, err := NewTrainer[float32](nil, MSE, SGD{}); err == nil {
		t.Error("NewTrainer(nil): no error")
	}
}

func TestDefaults(t *testing.T) {
	if c := (SGD{}).optimizer(); c.lr != 0.01 {
		t.Errorf("SGD{}: %+v", c)
	}
	if c := (Momentum{}).optimizer(); c.lr != 0.01 || c.mu != 0.9 {
		t.Errorf("Momentum{}: %+v", c)
	}
	if c := (Adam{}).optimizer(); c.lr != 0.001 || c.b1 != 0.9 || c.b2 != 0.999 || c.eps != 1e-8 {
		t.Errorf("Adam{}: %+v", c)
	}
	specs := MLP(4, 3, 2)
	if want := []LayerSpec{{4, 3, ReLU}, {3, 2, Linear}}; !slices.Equal(specs, want) {
		t.Errorf("MLP(4, 3, 2) = %v, want %v", specs, want)
	}
	n, _ := New[float64](1, specs...)
	if n.NumParams() != 4*3+3+3*2+2 || n.In() != 4 || n.Out() != 2 || n.String() != "nn.Network[4→3 ReLU, 3→2 Linear]" {
		t.Errorf("%v: %d parameters, In %d, Out %d", n, n.NumParams(), n.In(), n.Out())
	}
}

// TestInit checks the initialisers' statistics on large layers, the zero
// biases, and that a seed gives the same bits and another seed others.
func TestInit(t *testing.T) {
	n, _ := New[float64](42, Dense(1000, 400, ReLU), Dense(400, 300, Linear))
	mean := func(v []float64) (float64, float64) {
		s, ss := 0.0, 0.0
		for _, x := range v {
			s += x
		}
		s /= float64(len(v))
		for _, x := range v {
			ss += (x - s) * (x - s)
		}
		return s, ss / float64(len(v))
	}
	// He: Normal(0, 2/1000) over 400 000 values; the sample variance is
	// within 1% with overwhelming probability.
	m, v := mean(n.Layer(0).W)
	if math.Abs(m) > 3e-4 || math.Abs(v/(2.0/1000)-1) > 0.01 {
		t.Errorf("He: mean %.3g, variance %.5g, want 0 and %.5g", m, v, 2.0/1000)
	}
	// Glorot: Uniform(±√(6/700)), variance a²/3 = 2/700.
	a := math.Sqrt(6.0 / 700)
	m, v = mean(n.Layer(1).W)
	if math.Abs(m) > 3e-4 || math.Abs(v/(2.0/700)-1) > 0.01 {
		t.Errorf("Glorot: mean %.3g, variance %.5g, want 0 and %.5g", m, v, 2.0/700)
	}
	for _, w := range n.Layer(1).W {
		if math.Abs(w) >= a {
			t.Fatalf("Glorot weight %v outside ±%v", w, a)
		}
	}
	for i := range 2 {
		for _, b := range n.Layer(i).B {
			if b != 0 {
				t.Fatal("a bias is not zero")
			}
		}
	}
	same, _ := New[float64](42, n.Specs()...)
	other, _ := New[float64](43, n.Specs()...)
	if !sameNet(n, same) || slices.Equal(n.Layer(0).W, other.Layer(0).W) {
		t.Error("seed 42 twice gave different networks, or seed 43 the same")
	}
	f32, _ := New[float32](42, n.Specs()...)
	for i, w := range f32.Layer(0).W {
		if w != float32(n.Layer(0).W[i]) {
			t.Fatal("float32 initialisation is not the rounded float64 one")
		}
	}
}

func TestLossValues(t *testing.T) {
	out, y := []float64{1, 2, 0, 0}, []float64{0, 4, 1, -1}
	g := make([]float64, 4)
	// MSE: ½(1 + 4) + ½(1 + 1) = 3.5 over two examples; gradient (ŷ−y)/2.
	if c := lossGrad(MSE, out, y, g, 2, 2, 1); c != 3.5 || !slices.Equal(g, []float64{0.5, -1, -0.5, 0.5}) {
		t.Errorf("MSE: %v, gradient %v", c, g)
	}
	// Cross-entropy: logits (0, ln 3) give p = (1/4, 3/4).
	out, y = []float64{0, math.Log(3)}, []float64{0, 1}
	c := lossGrad(SoftmaxCrossEntropy, out, y, g[:2], 1, 2, 1)
	if math.Abs(c+math.Log(0.75)) > 1e-15 || math.Abs(g[0]-0.25) > 1e-15 || math.Abs(g[1]+0.25) > 1e-15 {
		t.Errorf("cross-entropy: %v, gradient %v", c, g[:2])
	}
	// Stable for huge logits; a target that sums to 2 scales p.
	out, y = []float64{1000, -1000}, []float64{0.5, 1.5}
	c = lossGrad(SoftmaxCrossEntropy, out, y, g[:2], 1, 2, -2)
	if math.Abs(c-1.5*2000) > 1e-9 || g[0] != -2*(2-0.5) || g[1] != -2*(0-1.5) {
		t.Errorf("cross-entropy of ±1000: %v, gradient %v", c, g[:2])
	}
	if a := argmax([]float32{float32(math.NaN()), 1, 3, 3}); a != 2 {
		t.Errorf("argmax skipping NaN: %d", a)
	}
	if h := OneHot[float32]([]int{2, 0}, 3); !slices.Equal(h, []float32{0, 0, 1, 1, 0, 0}) {
		t.Errorf("OneHot: %v", h)
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "labels[0] = 3") {
			t.Errorf("OneHot with a bad label: %v", r)
		}
	}()
	OneHot[float32]([]int{3}, 3)
}

// TestPredictMatchesTraining checks that the inference path (no mask, in
// chunks of 256 rows) gives the training forward pass's outputs, bit for
// bit, for batches below, at and above a chunk.
func TestPredictMatchesTraining(t *testing.T) {
	for _, m := range []int{1, 7, 256, 300} {
		net, _ := New[float32](3, MLP(17, 40, 9, 5)...)
		tr, _ := NewTrainer(net, MSE, Adam{})
		x, y := testData(4, m, 17, 5, MSE)
		xf, yf := fromF64[float32](x), fromF64[float32](y)
		tr.Gradients(xf, yf, m)
		got := make([]float32, m*5)
		net.Predict(got, xf, m)
		if !slices.Equal(got, tr.Output(m)) {
			t.Errorf("m = %d: Predict differs from the training forward pass", m)
		}
	}
}

func TestConcurrentPredict(t *testing.T) {
	net, _ := New[float64](3, MLP(30, 20, 4)...)
	x, _ := testData(5, 50, 30, 4, MSE)
	want := make([]float64, 200)
	net.Predict(want, x, 50)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			got := make([]float64, 200)
			for range 20 {
				net.Predict(got, x, 50)
				if !slices.Equal(got, want) {
					t.Errorf("goroutine %d: different outputs", g)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestBatchSizes steps with growing and shrinking batch sizes: buffers
// sized for a larger batch must give a smaller batch the same gradients,
// bit for bit, as a fresh trainer.
func TestBatchSizes(t *testing.T) {
	net, _ := New[float64](3, MLP(6, 8, 3)...)
	tr, _ := NewTrainer(net, SoftmaxCrossEntropy, Momentum{})
	for _, m := range []int{5, 50, 3, 64} {
		x, y := testData(uint64(m), m, 6, 3, SoftmaxCrossEntropy)
		l := tr.Gradients(x, y, m)
		fresh, _ := NewTrainer(net, SoftmaxCrossEntropy, Momentum{})
		if lf := fresh.Gradients(x, y, m); lf != l {
			t.Errorf("m = %d: loss %v, fresh trainer %v", m, l, lf)
		}
		for i := range 2 {
			a, b := tr.Grad(i)
			c, d := fresh.Grad(i)
			if !slices.Equal(a, c) || !slices.Equal(b, d) {
				t.Errorf("m = %d: layer %d gradients differ from a fresh trainer's", m, i)
			}
		}
		tr.Step(x, y, m)
	}
}

func TestStepPanics(t *testing.T) {
	net, _ := New[float32](1, MLP(4, 3, 2)...)
	tr, _ := NewTrainer(net, MSE, SGD{})
	for _, c := range []struct {
		name string
		f    func()
		msg  string
	}{
		{"short x", func() { tr.Step(make([]float32, 7), make([]float32, 4), 2) }, "len(x) = 7"},
		{"short y", func() { tr.Step(make([]float32, 8), make([]float32, 3), 2) }, "len(y) = 3"},
		{"m = 0", func() { tr.Step(nil, nil, 0) }, "0 rows"},
		// m·In would wrap: the lengths are compared by division.
		{"huge m", func() { tr.Step(make([]float32, 8), make([]float32, 4), 1<<62+1) }, "want ≥ 4611686018427387905×4"},
		{"huge m Gradients", func() { tr.Gradients(make([]float32, 8), make([]float32, 4), 1<<62+1) }, "len(x) = 8"},
		{"x is W", func() { tr.Step(net.Layer(0).W, make([]float32, 4), 2) }, "x shares memory with the parameters of layer 0"},
		{"y in B", func() { tr.Gradients(make([]float32, 4), net.Layer(1).B, 1) }, "y shares memory with the parameters of layer 1"},
		{"Evaluate m = 0", func() { net.Evaluate(nil, nil, 0, MSE) }, "Evaluate of m = 0 examples, want m ≥ 1"},
		{"Evaluate huge m", func() { net.Evaluate(make([]float32, 8), make([]float32, 4), 1<<62+1, MSE) }, "len(x) = 8"},
		{"Predict", func() { net.Predict(make([]float32, 1), make([]float32, 8), 2) }, "len(y) = 1"},
		{"resized W", func() {
			n2 := net.Clone()
			n2.Layer(0).W = n2.Layer(0).W[:5]
			n2.Predict(make([]float32, 2), make([]float32, 4), 1)
		}, "len(W) = 5"},
	} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), c.msg) {
					t.Errorf("%s: panic %v, want one saying %q", c.name, r, c.msg)
				}
			}()
			c.f()
		}()
	}
}

// TestFit checks epochs, partial last batches, the callback, ErrStop,
// progress lines and reproducibility.
func TestFit(t *testing.T) {
	x, y, _ := spiralData[float32](3, 30, 1) // 90 examples: batches of 32, 32, 26
	newTr := func() *Trainer[float32] {
		return mustTrainer[float32](t, 2, MLP(2, 16, 3), SoftmaxCrossEntropy, Adam{LR: 0.01})
	}
	tr := newTr()
	var seen []int
	var progress bytes.Buffer
	stats, err := tr.Fit(x, y, 90, FitConfig{Epochs: 4, Seed: 3, Progress: &progress, OnEpoch: func(s EpochStats) error {
		seen = append(seen, s.Epoch)
		if s.Examples != 90 || s.Epochs != 4 || s.ExamplesPerSec <= 0 || math.IsNaN(s.Accuracy) || math.IsNaN(s.Loss) {
			t.Errorf("stats %+v", s)
		}
		return nil
	}})
	if err != nil || len(stats) != 4 || !slices.Equal(seen, []int{1, 2, 3, 4}) || tr.opt.t != 12 {
		t.Fatalf("Fit: %v, %d stats, callbacks %v, %d steps (want 12)", err, len(stats), seen, tr.opt.t)
	}
	lines := strings.Split(strings.TrimSpace(progress.String()), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "epoch 1/4  loss ") || !strings.Contains(lines[3], "accuracy") || !strings.HasSuffix(lines[3], "examples/s") {
		t.Errorf("progress:\n%s", progress.String())
	}
	// The same seeds give the same bits; another shuffling seed does not.
	again := newTr()
	stats2, _ := again.Fit(x, y, 90, FitConfig{Epochs: 4, Seed: 3})
	if !sameNet(tr.Network(), again.Network()) || stats2[3].Loss != stats[3].Loss {
		t.Error("the same run twice gave different networks")
	}
	other := newTr()
	other.Fit(x, y, 90, FitConfig{Epochs: 4, Seed: 4})
	if sameNet(tr.Network(), other.Network()) {
		t.Error("another shuffling seed gave the same network")
	}
	// ErrStop ends training early without an error; another error is
	// returned.
	n := 0
	stats, err = newTr().Fit(x, y, 90, FitConfig{Epochs: 10, OnEpoch: func(EpochStats) error {
		if n++; n == 2 {
			return fmt.Errorf("enough: %w", ErrStop)
		}
		return nil
	}})
	if err != nil || len(stats) != 2 {
		t.Errorf("ErrStop: %v after %d epochs", err, len(stats))
	}
	boom := errors.New("boom")
	if stats, err = newTr().Fit(x, y, 90, FitConfig{Epochs: 10, OnEpoch: func(EpochStats) error { return boom }}); err != boom || len(stats) != 1 {
		t.Errorf("callback error: %v after %d epochs", err, len(stats))
	}
	// Without shuffling, one batch of everything is one Step.
	a, b := newTr(), newTr()
	a.Fit(x, y, 90, FitConfig{Epochs: 1, BatchSize: 100, NoShuffle: true})
	b.Step(x, y, 90)
	if !sameNet(a.Network(), b.Network()) {
		t.Error("Fit with NoShuffle and one batch differs from Step")
	}
	for _, c := range []struct {
		cfg FitConfig
		n   int
		msg string
	}{
		{FitConfig{}, 90, "Epochs = 0"},
		{FitConfig{Epochs: 1, BatchSize: -1}, 90, "BatchSize = -1"},
		{FitConfig{Epochs: 1}, 0, "on 0 examples"},
		{FitConfig{Epochs: 1}, 91, "len(x) = 180"},
	} {
		if _, err := newTr().Fit(x, y, c.n, c.cfg); err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("Fit(%d, %+v): %v, want an error saying %q", c.n, c.cfg, err, c.msg)
		}
	}
	// MSE has no accuracy.
	r := mustTrainer[float32](t, 2, MLP(2, 4, 3), MSE, SGD{})
	if s, _ := r.Fit(x, y, 90, FitConfig{Epochs: 1}); !math.IsNaN(s[0].Accuracy) || strings.Contains(s[0].String(), "accuracy") {
		t.Errorf("MSE stats %v", s[0])
	}
}

// backwardAllocs returns the allocations of one kernels.Backward call of
// a ReLU layer in steady state: the kernels are meant to allocate
// nothing, but the test below must not fail for the kernels' sake.
func backwardAllocs() float64 {
	x, dr := make([]float32, 8*16), make([]float32, 8*16)
	w, dx, dw, db := make([]float32, 16*16), make([]float32, 8*16), make([]float32, 16*16), make([]float32, 16)
	mask := kernels.NewMask(8, 16)
	ba := &kernels.BackwardArgs[float32]{M: 8, K: 16, N: 16, X: x, W: w, DR: dr, Mask: mask, DX: dx, DW: dw, DB: db}
	return testing.AllocsPerRun(20, func() { kernels.Backward(ba) })
}

// TestZeroAllocs checks that a training step (with each optimiser), a
// gradient computation and a prediction allocate nothing in steady
// state, apart from what the kernels themselves allocate per
// kernels.Backward call (nothing, once the kernels allow it).
func TestZeroAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts under the race detector are meaningless")
	}
	perBackward := backwardAllocs()
	if perBackward > 0 {
		t.Logf("kernels.Backward allocates %v objects a call; the test allows that much per call", perBackward)
	}
	const m = 16
	x64, y64 := testData(1, m, 20, 4, MSE)
	x, y := fromF64[float32](x64), fromF64[float32](y64)
	for _, c := range []struct {
		opt       Optimizer
		backwards float64 // kernels.Backward calls a step: the fused SGD step splits dX from dW
	}{{SGD{}, 5}, {Momentum{}, 3}, {Adam{}, 3}} {
		net, _ := New[float32](1, MLP(20, 32, 16, 4)...)
		tr, _ := NewTrainer(net, SoftmaxCrossEntropy, c.opt)
		tr.Step(x, y, m)
		if a := testing.AllocsPerRun(20, func() { tr.Step(x, y, m) }); a > c.backwards*perBackward {
			t.Errorf("%T: Step allocates %v objects, want 0 (+ %v for the kernels)", c.opt, a, c.backwards*perBackward)
		}
		if a := testing.AllocsPerRun(20, func() { tr.Gradients(x, y, m) }); a > 3*perBackward {
			t.Errorf("%T: Gradients allocates %v objects", c.opt, a)
		}
		out := make([]float32, m*4)
		net.Predict(out, x, m)
		if a := testing.AllocsPerRun(20, func() { net.Predict(out, x, m) }); a > 0 {
			t.Errorf("Predict allocates %v objects", a)
		}
	}
}

// TestForwardMemory measures the memory the training forward pass keeps
// per example (the allocation of its buffers for 128 rows less that for
// 64, over 64) and checks it against ForwardBytesPerExample: for
// 784-256-256-10 in float32, 2152 bytes (the R of each layer, the masks
// of the ReLU layers); Z instead of the masks would be 4136.
func TestForwardMemory(t *testing.T) {
	net, _ := New[float32](1, MLP(784, 256, 256, 10)...)
	tr, _ := NewTrainer(net, MSE, SGD{})
	alloc := func(m int) uint64 {
		// A small object is counted when its span is taken, as if the
		// span were full, and corrected when the span is released: the
		// collections flush the spans, so that the counts are exact.
		var a, b runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&a)
		tr.allocForward(m)
		runtime.GC()
		runtime.ReadMemStats(&b)
		return b.TotalAlloc - a.TotalAlloc
	}
	alloc(64)
	measured := float64(alloc(128)-alloc(64)) / 64
	computed := tr.ForwardBytesPerExample()
	t.Logf("forward pass keeps %.1f bytes per example (measured), %d (computed); with Z instead of masks %d",
		measured, computed, computed-2*32+2*1024)
	if computed != 2152 || math.Abs(measured-float64(computed)) > 0.01*float64(computed) {
		t.Errorf("measured %.1f bytes per example, computed %d, want 2152", measured, computed)
	}
}
