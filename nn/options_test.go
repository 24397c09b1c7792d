package nn

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fusedrelu/kernels"
)

func panics(t *testing.T, name, msg string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), msg) || !strings.HasPrefix(fmt.Sprint(r), "nn: ") {
			t.Errorf("%s: panic %v, want one saying %q", name, r, msg)
		}
	}()
	f()
}

// TestScheduleValues checks each schedule's factor at known steps.
func TestScheduleValues(t *testing.T) {
	for _, c := range []struct {
		name  string
		s     Schedule
		steps []int
		want  []float64
	}{
		{"Constant(0.5)", Constant(0.5), []int{0, 1, 1000}, []float64{0.5, 0.5, 0.5}},
		{"StepDecay(10, 0.5)", StepDecay(10, 0.5), []int{0, 9, 10, 19, 20, 25, 30}, []float64{1, 1, 0.5, 0.5, 0.25, 0.25, 0.125}},
		{"Cosine(100, 0)", Cosine(100, 0), []int{0, 50, 100, 200}, []float64{1, 0.5, 0, 0}},
		{"Cosine(100, 0.1)", Cosine(100, 0.1), []int{0, 50, 100, 101}, []float64{1, 0.55, 0.1, 0.1}},
		{"Cosine(4, 0) quarter", Cosine(4, 0), []int{1, 3}, []float64{(1 + math.Sqrt2/2) / 2, (1 - math.Sqrt2/2) / 2}},
		{"Warmup(4, nil)", Warmup(4, nil), []int{0, 1, 3, 4, 100}, []float64{0.25, 0.5, 1, 1, 1}},
		{"Warmup(4, Cosine(10, 0))", Warmup(4, Cosine(10, 0)), []int{0, 3, 4, 9, 14, 20}, []float64{0.25, 1, 1, 0.5, 0, 0}},
		{"Warmup(2, Constant(0.5))", Warmup(2, Constant(0.5)), []int{0, 1, 2}, []float64{0.25, 0.5, 0.5}},
		{"ScheduleFunc", ScheduleFunc(func(t int) float64 { return 1 / float64(t+1) }), []int{0, 1, 3}, []float64{1, 0.5, 0.25}},
	} {
		for i, st := range c.steps {
			if got := c.s.Factor(st); math.Abs(got-c.want[i]) > 1e-15 {
				t.Errorf("%s.Factor(%d) = %v, want %v", c.name, st, got, c.want[i])
			}
		}
	}
	panics(t, "StepDecay(0, …)", "StepDecay(0", func() { StepDecay(0, 0.5) })
	panics(t, "StepDecay(…, -1)", "gamma", func() { StepDecay(1, -1) })
	panics(t, "Cosine(…, 2)", "floor", func() { Cosine(10, 2) })
	panics(t, "Cosine(0, …)", "steps ≥ 1", func() { Cosine(0, 0) })
	panics(t, "Warmup(0, …)", "Warmup(0", func() { Warmup(0, nil) })
	panics(t, "Constant(NaN)", "Constant(NaN)", func() { Constant(math.NaN()) })
}

// TestScheduleInTrainer checks that each step runs at LR × factor(step),
// counting across Fit and Step, that Reset restarts the count, and that
// an invalid factor panics in Step and is an error from Fit.
func TestScheduleInTrainer(t *testing.T) {
	var seen []int
	sched := ScheduleFunc(func(s int) float64 { seen = append(seen, s); return float64(s + 1) })
	tr := mustTrainer[float64](t, 1, MLP(2, 3, 1), MSE, SGD{LR: 0.5, Schedule: sched})
	x, y := xorData[float64]()
	if lr := tr.LR(); lr != 0.5 {
		t.Errorf("LR before any step: %v, want 0.5", lr)
	}
	// With plain SGD the update is −lr·g: compare against the gradient.
	before := tr.Network().Clone()
	g, _ := NewTrainer(before.Clone(), MSE, SGD{})
	g.Gradients(x, y, 4)
	tr.Step(x, y, 4)
	dW, _ := g.Grad(1)
	for j, w := range tr.Network().Layer(1).W {
		if want := before.Layer(1).W[j] - 0.5*dW[j]; math.Abs(w-want) > 1e-14 {
			t.Fatalf("step 0: W[%d] = %v, want %v (lr 0.5)", j, w, want)
		}
	}
	if tr.Steps() != 1 || tr.LR() != 1.0 {
		t.Errorf("after a step: Steps %d, LR %v; want 1 and 1.0", tr.Steps(), tr.LR())
	}
	if _, err := tr.Fit(x, y, 4, FitConfig{Epochs: 2, BatchSize: 2, NoShuffle: true}); err != nil {
		t.Fatal(err)
	}
	if tr.Steps() != 5 {
		t.Errorf("Steps after Step and 2 epochs of 2 batches: %d, want 5", tr.Steps())
	}
	tr.Reset()
	if tr.Steps() != 0 || tr.LR() != 0.5 {
		t.Errorf("after Reset: Steps %d, LR %v", tr.Steps(), tr.LR())
	}
	// The factors the trainer asked for, in order, from step 0.
	for i, s := range []int{0, 0, 1, 1, 2, 3, 4, 0} {
		if i >= len(seen) || seen[i] != s {
			t.Fatalf("the schedule was asked for steps %v", seen)
		}
	}
	bad := mustTrainer[float64](t, 1, MLP(2, 3, 1), MSE, Adam{Schedule: ScheduleFunc(func(s int) float64 {
		if s == 3 {
			return math.NaN()
		}
		return 1
	})})
	_, err := bad.Fit(x, y, 4, FitConfig{Epochs: 5, BatchSize: 2, NoShuffle: true})
	if err == nil || !strings.Contains(err.Error(), "factor at step 3 is NaN") || !strings.Contains(err.Error(), "epoch 2, batch 2 of 2") {
		t.Errorf("Fit with a NaN factor: %v", err)
	}
	panics(t, "Step with a NaN factor", "factor at step 3 is NaN", func() { bad.Step(x, y, 4) })
}

// TestAdamW checks one AdamW step against the rule computed by hand from
// the gradient: the weights decay by 1 − lr·λ first, the biases not.
func TestAdamW(t *testing.T) {
	const lr, wd, b1, b2, eps = 0.01, 0.5, 0.9, 0.999, 1e-8
	x, y := testData(3, 5, 3, 2, MSE)
	tr := mustTrainer[float64](t, 4, []LayerSpec{Dense(3, 2, Linear)}, MSE, Adam{LR: lr, WeightDecay: wd})
	for j := range tr.Network().Layer(0).B {
		tr.Network().Layer(0).B[j] = float64(j) + 0.5
	}
	w0, b0 := append([]float64(nil), tr.Network().Layer(0).W...), append([]float64(nil), tr.Network().Layer(0).B...)
	tr.Gradients(x, y, 5)
	gw, gb := tr.Grad(0)
	gw, gb = append([]float64(nil), gw...), append([]float64(nil), gb...)
	tr.Step(x, y, 5)
	adam := func(p, g float64) float64 { // step 1 from zero moments
		m, v := (1-b1)*g, (1-b2)*g*g
		return p - lr/(1-b1)*m/(math.Sqrt(v)/math.Sqrt(1-b2)+eps)
	}
	for j, w := range tr.Network().Layer(0).W {
		if want := adam(w0[j]*(1-lr*wd), gw[j]); math.Abs(w-want) > 1e-14 {
			t.Errorf("W[%d] = %.17g, want %.17g", j, w, want)
		}
	}
	for j, b := range tr.Network().Layer(0).B {
		if want := adam(b0[j], gb[j]); math.Abs(b-want) > 1e-14 {
			t.Errorf("B[%d] = %.17g, want %.17g (no decay)", j, b, want)
		}
	}
}

// TestClipNorm checks the global norm GradNorm reports, and that the
// update of SGD is the clipped gradient's, or the gradient's when its
// norm is below the bound.
func TestClipNorm(t *testing.T) {
	x, y := testData(5, 8, 4, 3, SoftmaxCrossEntropy)
	ref := mustTrainer[float64](t, 2, MLP(4, 6, 3), SoftmaxCrossEntropy, SGD{})
	ref.Gradients(x, y, 8)
	ss := 0.0
	for i := range 2 {
		dW, dB := ref.Grad(i)
		for _, g := range append(append([]float64(nil), dW...), dB...) {
			ss += g * g
		}
	}
	norm := math.Sqrt(ss)
	for _, clip := range []float64{norm / 4, norm * 2} {
		tr := mustTrainer[float64](t, 2, MLP(4, 6, 3), SoftmaxCrossEntropy, SGD{LR: 0.1, ClipNorm: clip})
		before := tr.Network().Clone()
		tr.Step(x, y, 8)
		if math.Abs(tr.GradNorm()-norm) > 1e-14*norm {
			t.Errorf("clip %v: GradNorm %v, want %v", clip, tr.GradNorm(), norm)
		}
		scale := min(1, clip/norm)
		for i := range 2 {
			dW, _ := ref.Grad(i)
			for j, w := range tr.Network().Layer(i).W {
				if want := before.Layer(i).W[j] - 0.1*scale*dW[j]; math.Abs(w-want) > 1e-14 {
					t.Fatalf("clip %v: layer %d W[%d] = %v, want %v", clip, i, j, w, want)
				}
			}
		}
	}
}

// TestSetOptimizer checks that settings changed between steps apply to
// the next step, keep the state, and that a change of type or an
// invalid setting is an error that changes nothing.
func TestSetOptimizer(t *testing.T) {
	x, y := testData(5, 8, 4, 3, MSE)
	a := mustTrainer[float32](t, 2, MLP(4, 6, 3), MSE, Adam{LR: 0.01})
	b := mustTrainer[float32](t, 2, MLP(4, 6, 3), MSE, Adam{LR: 0.01})
	for range 3 {
		a.Step(fromF64[float32](x), fromF64[float32](y), 8)
		b.Step(fromF64[float32](x), fromF64[float32](y), 8)
	}
	opt := b.Optimizer().(Adam)
	if opt.LR != 0.01 || opt.Beta1 != 0.9 || opt.Beta2 != 0.999 || opt.Epsilon != 1e-8 {
		t.Errorf("Optimizer(): %+v, want the defaults filled in", opt)
	}
	if err := b.SetOptimizer(opt); err != nil {
		t.Fatal(err)
	}
	a.Step(fromF64[float32](x), fromF64[float32](y), 8)
	b.Step(fromF64[float32](x), fromF64[float32](y), 8)
	if !sameNet(a.Network(), b.Network()) || b.Steps() != 4 {
		t.Error("SetOptimizer with the same settings changed the run (moments or step count lost)")
	}
	// LR 0 … is the default; a tiny one must leave the network almost
	// unchanged while the other trainer moves.
	opt.LR = 1e-30
	if err := b.SetOptimizer(opt); err != nil || b.LR() != 1e-30 {
		t.Fatal(err, b.LR())
	}
	before := b.Network().Clone()
	b.Step(fromF64[float32](x), fromF64[float32](y), 8)
	if !sameNet(before, b.Network()) {
		t.Error("after SetOptimizer(LR: 1e-30) the weights still move")
	}
	for _, c := range []struct {
		opt Optimizer
		msg string
	}{
		{SGD{}, "cannot change"},
		{nil, "SetOptimizer(nil)"},
		{Adam{LR: -1}, "learning rate -1"},
		{Adam{WeightDecay: math.Inf(1)}, "weight decay +Inf"},
		{Adam{ClipNorm: -2}, "clip norm -2"},
	} {
		if err := b.SetOptimizer(c.opt); err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("SetOptimizer(%#v): %v, want an error saying %q", c.opt, err, c.msg)
		}
	}
	if b.Optimizer().(Adam).LR != 1e-30 {
		t.Error("a failed SetOptimizer changed the settings")
	}
	// SGD with ClipNorm unfuses, and without fuses again.
	s := mustTrainer[float32](t, 2, MLP(4, 6, 3), MSE, SGD{})
	if !s.fused || s.SetOptimizer(SGD{ClipNorm: 1}) != nil || s.fused || s.SetOptimizer(SGD{}) != nil || !s.fused {
		t.Error("SGD's fused update does not follow ClipNorm")
	}
}

// TestValidation checks the validation columns, early stopping at the
// epoch where the validation loss has not improved for Patience epochs,
// and the configuration errors.
func TestValidation(t *testing.T) {
	// Few training examples, a wide network and a large rate: the
	// validation loss soon rises (overfitting).
	x, y, _ := spiralData[float32](3, 8, 1)
	vx, vy, _ := spiralData[float32](3, 40, 2)
	newTr := func() *Trainer[float32] {
		return mustTrainer[float32](t, 5, MLP(2, 64, 64, 3), SoftmaxCrossEntropy, Adam{LR: 0.1})
	}
	const epochs = 60
	cfg := FitConfig{Epochs: epochs, BatchSize: 8, Seed: 1, Validation: NewDataset(vx, vy, 120)}
	full, err := newTr().Fit(x, y, 24, cfg)
	if err != nil || len(full) != epochs {
		t.Fatal(err, len(full))
	}
	// Where patience 5 must stop: the first epoch 5 epochs after the
	// best so far with no better one in between.
	const patience = 5
	best, bad, stop := math.Inf(1), 0, 0
	for _, s := range full {
		if math.IsNaN(s.ValLoss) || math.IsNaN(s.ValAccuracy) || s.ValAccuracy < 0 || s.ValAccuracy > 1 {
			t.Fatalf("epoch %d: validation %v, %v", s.Epoch, s.ValLoss, s.ValAccuracy)
		}
		if s.ValLoss < best {
			best, bad = s.ValLoss, 0
			if !s.Improved {
				t.Errorf("epoch %d: a new best validation loss, Improved false", s.Epoch)
			}
		} else if bad++; s.Improved {
			t.Errorf("epoch %d: Improved without a new best", s.Epoch)
		}
		if bad == patience && stop == 0 {
			stop = s.Epoch
		}
	}
	if stop == 0 || stop >= epochs {
		t.Fatalf("the validation loss never stalls for %d epochs: the test needs another setup", patience)
	}
	cfg.Patience = patience
	var progress bytes.Buffer
	cfg.Progress = &progress
	early, err := newTr().Fit(x, y, 24, cfg)
	if err != nil || len(early) != stop || early[stop-1].ValLoss != full[stop-1].ValLoss {
		t.Errorf("Patience %d: %v, stopped after %d epochs, want %d", patience, err, len(early), stop)
	}
	if !strings.Contains(progress.String(), "val loss") || !strings.Contains(progress.String(), "val accuracy") ||
		!strings.Contains(progress.String(), "early stop") {
		t.Errorf("progress:\n%s", progress.String())
	}
	t.Logf("stopped at epoch %d of %d; last line %q", stop, epochs, strings.TrimSpace(progress.String()[strings.LastIndex(strings.TrimSpace(progress.String()), "\n")+1:]))
	// The last epoch's validation loss is Evaluate's on the final network.
	tr := newTr()
	s, _ := tr.Fit(x, y, 24, FitConfig{Epochs: 2, Validation: NewDataset(vx, vy, 120)})
	if l, a := tr.Network().Evaluate(vx, vy, 120, SoftmaxCrossEntropy); l != s[1].ValLoss || a != s[1].ValAccuracy {
		t.Errorf("ValLoss %v, ValAccuracy %v; Evaluate %v, %v", s[1].ValLoss, s[1].ValAccuracy, l, a)
	}
	// MSE has no accuracy; without validation the columns are NaN.
	m := mustTrainer[float32](t, 5, MLP(2, 4, 3), MSE, SGD{})
	s, _ = m.Fit(x, y, 24, FitConfig{Epochs: 1, Validation: NewDataset(vx, vy, 120)})
	if math.IsNaN(s[0].ValLoss) || !math.IsNaN(s[0].ValAccuracy) || strings.Contains(s[0].String(), "val accuracy") {
		t.Errorf("MSE with validation: %v", s[0])
	}
	s, _ = m.Fit(x, y, 24, FitConfig{Epochs: 1})
	if !math.IsNaN(s[0].ValLoss) || strings.Contains(s[0].String(), "val") {
		t.Errorf("without validation: %v", s[0])
	}
	a := newTr()
	if _, err := a.Fit(a.Network().Layer(0).W, y, 24, FitConfig{Epochs: 1}); err == nil || !strings.Contains(err.Error(), "x shares memory") {
		t.Errorf("Fit on x in a layer's W: %v", err)
	}
	for _, c := range []struct {
		cfg FitConfig
		msg string
	}{
		{FitConfig{Epochs: 1, Patience: 2}, "no Validation"},
		{FitConfig{Epochs: 1, Patience: -1}, "Patience = -1"},
		{FitConfig{Epochs: 1, Validation: NewDataset(fromF64[float64](nil), nil, 3)}, "element type"},
		{FitConfig{Epochs: 1, Validation: NewDataset(vx, vy, 121)}, "121 examples"},
		{FitConfig{Epochs: 1, Validation: NewDataset(vx, vy, 0)}, "0 examples"},
		{FitConfig{Epochs: 1, ProgressStyle: 7}, "ProgressStyle = 7"},
	} {
		if _, err := newTr().Fit(x, y, 24, c.cfg); err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("Fit(%+v): %v, want an error saying %q", c.cfg, err, c.msg)
		}
	}
}

// TestDivergence: SGD at a huge rate diverges; Fit names the epoch and
// batch, and the network keeps the finite weights from before it.
func TestDivergence(t *testing.T) {
	x, y := regressionData[float32](64, 1, false)
	tr := mustTrainer[float32](t, 1, MLP(2, 32, 32, 1), MSE, SGD{LR: 1e6})
	stats, err := tr.Fit(x, y, 64, FitConfig{Epochs: 10, BatchSize: 16, NoShuffle: true})
	var d *DivergedError
	if !errors.Is(err, ErrDiverged) || !errors.As(err, &d) {
		t.Fatalf("Fit with LR 1e6: %v after %d epochs, want ErrDiverged", err, len(stats))
	}
	if len(stats) != d.Epoch-1 || d.Batches != 4 || d.Batch < 1 || d.Batch > 4 || d.Step != 4*(d.Epoch-1)+d.Batch-1 ||
		!strings.Contains(err.Error(), fmt.Sprintf("epoch %d, batch %d of 4", d.Epoch, d.Batch)) {
		t.Errorf("%v: %+v after %d epochs", err, d, len(stats))
	}
	t.Log(err)
	for i := range tr.Network().NumLayers() {
		if e := checkFinite("W", tr.Network().Layer(i).W, 1); e != nil {
			t.Errorf("layer %d after divergence: %v", i, e)
		}
	}
	if tr.Steps() != d.Step {
		t.Errorf("%d steps taken, the error says the diverging one was step %d (not taken)", tr.Steps(), d.Step)
	}
}

// TestNonFiniteData: a NaN or Inf in x, y or the validation set is
// reported by Fit before training, with its row and column; CheckFinite
// finds the first one wherever it is.
func TestNonFiniteData(t *testing.T) {
	x, y, _ := spiralData[float64](3, 10, 1) // 30×2 and 30×3
	inf := math.Inf(1)
	for _, c := range []struct {
		data     string
		set      func(x, y, vx, vy []float64)
		row, col int
		val      string
	}{
		{"x", func(x, _, _, _ []float64) { x[5*2+1] = math.NaN() }, 5, 1, "NaN"},
		{"y", func(_, y, _, _ []float64) { y[29*3+2] = -inf }, 29, 2, "-Inf"},
		{"x", func(x, _, _, _ []float64) { x[0] = inf; x[7] = math.NaN() }, 0, 0, "+Inf"},
		{"validation x", func(_, _, vx, _ []float64) { vx[3*2] = inf }, 3, 0, "+Inf"},
		{"validation y", func(_, _, _, vy []float64) { vy[4] = math.NaN() }, 1, 1, "NaN"},
	} {
		xx, yy := append([]float64(nil), x...), append([]float64(nil), y...)
		vx, vy := append([]float64(nil), x...), append([]float64(nil), y...)
		c.set(xx, yy, vx, vy)
		tr := mustTrainer[float64](t, 1, MLP(2, 8, 3), SoftmaxCrossEntropy, Adam{})
		before := tr.Network().Clone()
		_, err := tr.Fit(xx, yy, 30, FitConfig{Epochs: 1, Validation: NewDataset(vx, vy, 30)})
		var nf *NonFiniteError
		want := fmt.Sprintf("%s has %s at row %d, column %d", c.data, c.val, c.row, c.col)
		if !errors.Is(err, ErrNonFinite) || !errors.As(err, &nf) || nf.Row != c.row || nf.Col != c.col || nf.Data != c.data ||
			!strings.Contains(err.Error(), want) {
			t.Errorf("%v, want an error saying %q", err, want)
		}
		if !sameNet(before, tr.Network()) || tr.Steps() != 0 {
			t.Errorf("%s: the network was trained before the data was checked", c.data)
		}
	}
	// CheckFinite against a plain scan, at every offset of a few lengths
	// about the block size, in both element types.
	for _, n := range []int{1, 3, 255, 256, 257, 1000} {
		for _, bad := range []float64{math.NaN(), inf, -inf} {
			for i := 0; i < n; i += 1 + n/40 {
				v64 := make([]float64, n)
				v32 := make([]float32, n)
				for j := range v64 {
					v64[j] = math.MaxFloat32 * float64(j%3-1)
					v32[j] = float32(v64[j])
				}
				v64[i], v32[i] = bad, float32(bad)
				if i+1 < n {
					v64[n-1], v32[n-1] = math.NaN(), float32(math.NaN())
				}
				for _, err := range []error{CheckFinite("v", v64, 7), CheckFinite("v", v32, 7)} {
					var nf *NonFiniteError
					if !errors.As(err, &nf) || nf.Row != i/7 || nf.Col != i%7 || !(nf.Value == bad || math.IsNaN(bad) && math.IsNaN(nf.Value)) {
						t.Fatalf("n %d, %v at %d: %v", n, bad, i, err)
					}
				}
			}
			if CheckFinite("v", make([]float32, n), 1) != nil || CheckFinite("v", []float64{math.MaxFloat64, -math.MaxFloat64, math.SmallestNonzeroFloat64}, 1) != nil {
				t.Fatal("CheckFinite of finite values: an error")
			}
		}
	}
	if err := CheckFinite("v", []float32{1}, 0); err == nil || errors.Is(err, ErrNonFinite) || !strings.Contains(err.Error(), "cols = 0") {
		t.Errorf("CheckFinite(cols 0) = %v, want an error saying cols = 0", err)
	}
}

// TestProgressLive checks the live line (forced, and redrawn at every
// batch here) and the detection of terminals.
func TestProgressLive(t *testing.T) {
	defer func(d time.Duration) { progressEvery = d }(progressEvery)
	progressEvery = 0
	x, y, _ := spiralData[float32](3, 10, 1)
	var out bytes.Buffer
	tr := mustTrainer[float32](t, 1, MLP(2, 8, 3), SoftmaxCrossEntropy, Adam{})
	if _, err := tr.Fit(x, y, 30, FitConfig{Epochs: 2, BatchSize: 8, Progress: &out, ProgressStyle: ProgressLive}); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{"\repoch 1/2  batch 1/4  loss ", "\repoch 2/2  batch 4/4  loss ", "examples/s  elapsed ", "  ETA ", "\repoch 1/2  loss "} {
		if !strings.Contains(s, want) {
			t.Errorf("live progress lacks %q:\n%q", want, s)
		}
	}
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	if len(lines) != 2 {
		t.Errorf("%d lines, want 2 (one an epoch):\n%q", len(lines), s)
	}
	for _, l := range lines {
		// Each redraw covers the previous one: a summary line is padded
		// to the width of the live line it replaces.
		parts := strings.Split(l, "\r")
		last := parts[len(parts)-1]
		if prev := parts[len(parts)-2]; len([]rune(last)) < len([]rune(strings.TrimRight(prev, " "))) {
			t.Errorf("the summary %q does not cover %q", last, prev)
		}
	}
	// Not a terminal: a buffer, a regular file.
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if isTerminal(&out) || isTerminal(f) || isTerminal(io.Discard) {
		t.Error("a buffer or a file taken for a terminal")
	}
	// A character device passes for one (the test has no terminal to
	// open; /dev/null is the character device every Unix has).
	if null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0); err == nil {
		if fi, _ := null.Stat(); fi.Mode()&os.ModeCharDevice != 0 && !isTerminal(null) {
			t.Error("a character device not taken for a terminal")
		}
		null.Close()
	}
	if _, err := tr.Fit(x, y, 30, FitConfig{Epochs: 2, BatchSize: 8, Progress: f}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(f.Name())
	if strings.Contains(string(b), "\r") || strings.Count(string(b), "\n") != 2 {
		t.Errorf("progress to a file:\n%q", b)
	}
}

// TestOptionsZeroAllocs: a step with every option on (schedule, weight
// decay, clipping) allocates nothing in steady state, with each
// optimiser; and Fit's allocations do not grow with the number of steps.
func TestOptionsZeroAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts under the race detector are meaningless")
	}
	perBackward := backwardAllocs()
	const m = 16
	x64, y64 := testData(1, m, 20, 4, MSE)
	x, y := fromF64[float32](x64), fromF64[float32](y64)
	sched := Warmup(5, Cosine(100, 0.1))
	for _, opt := range []Optimizer{
		SGD{WeightDecay: 1e-4, Schedule: sched},
		SGD{WeightDecay: 1e-4, ClipNorm: 0.1, Schedule: sched},
		Momentum{WeightDecay: 1e-4, ClipNorm: 0.1, Schedule: sched},
		Adam{WeightDecay: 1e-4, ClipNorm: 0.1, Schedule: ScheduleFunc(func(s int) float64 { return 1 / (1 + float64(s)) })},
	} {
		tr := mustTrainer[float32](t, 1, MLP(20, 32, 16, 4), SoftmaxCrossEntropy, opt)
		tr.Step(x, y, m)
		if a := testing.AllocsPerRun(20, func() {
			if CheckFinite("x", x, 20) != nil || CheckFinite("y", y, 4) != nil {
				t.Fatal("non-finite")
			}
			tr.Step(x, y, m)
		}); a > 5*perBackward {
			t.Errorf("%#v: Step allocates %v objects, want 0", opt, a)
		}
	}
	// Fit: one epoch of 8 batches and one of 64 allocate the same number
	// of objects (per Fit and per epoch, none per step).
	xs, ys := testData(2, 64*8, 20, 4, SoftmaxCrossEntropy)
	xf, yf := fromF64[float32](xs), fromF64[float32](ys)
	allocs := func(n int) float64 {
		tr := mustTrainer[float32](t, 1, MLP(20, 32, 16, 4), SoftmaxCrossEntropy, Adam{WeightDecay: 1e-4, ClipNorm: 1, Schedule: sched})
		cfg := FitConfig{Epochs: 1, BatchSize: 8, Seed: 1, Validation: NewDataset(xf, yf, 16), Progress: io.Discard}
		tr.Fit(xf, yf, n, cfg)
		return testing.AllocsPerRun(5, func() { tr.Fit(xf, yf, n, cfg) })
	}
	// (A garbage collection may empty the kernels' pools during the
	// longer run: a couple of objects.)
	if a, b := allocs(64), allocs(512); b > a+2 {
		t.Errorf("Fit allocates %v objects for 8 steps, %v for 64", a, b)
	}
}

// TestOptionsThreads: training with every option on gives the same bits
// for any number of kernel threads.
func TestOptionsThreads(t *testing.T) {
	x64, y64 := testData(7, 96, 128, 10, SoftmaxCrossEntropy)
	x, y := fromF64[float32](x64), fromF64[float32](y64)
	run := func(threads int, opt Optimizer) []byte {
		defer kernels.SetThreads(kernels.SetThreads(threads))
		tr := mustTrainer[float32](t, 3, MLP(128, 256, 256, 10), SoftmaxCrossEntropy, opt)
		if _, err := tr.Fit(x, y, 96, FitConfig{Epochs: 2, BatchSize: 48, Seed: 2, Validation: NewDataset(x, y, 32)}); err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		tr.WriteCheckpoint(&b)
		return b.Bytes()
	}
	sched := Warmup(2, Cosine(4, 0))
	for _, opt := range []Optimizer{
		SGD{LR: 0.05, WeightDecay: 0.01, Schedule: sched},
		Momentum{WeightDecay: 0.01, ClipNorm: 0.5, Schedule: sched},
		Adam{WeightDecay: 0.01, ClipNorm: 0.5, Schedule: sched},
	} {
		one := run(1, opt)
		for _, n := range []int{2, 3} {
			if !bytes.Equal(one, run(n, opt)) {
				t.Errorf("%T: %d threads give other bits than 1", opt, n)
			}
		}
	}
}
