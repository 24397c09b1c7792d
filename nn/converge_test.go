package nn

import (
	"fmt"
	"math"
	"testing"

	"github.com/fusedrelu/kernels"
)

// The convergence tests train on fixed, deterministically generated tasks
// with fixed seeds and check the loss each must reach. The thresholds
// are stated in the test names' doc comments; they hold with margin on
// every code path (the runs differ between paths only by rounding).

func xorData[T kernels.Float]() (x, y []T) {
	x = []T{0, 0, 0, 1, 1, 0, 1, 1}
	y = []T{0, 1, 1, 0}
	return
}

// regressionData samples y = sin(πx₁)·cos(πx₂/2) + x₁·x₂/2, a smooth
// function on [−1, 1]², at n points: uniformly at random (seeded) or,
// with grid, on a regular grid for testing.
func regressionData[T kernels.Float](n int, seed uint64, grid bool) (x, y []T) {
	r := newRNG(seed)
	side := int(math.Sqrt(float64(n)))
	for i := range n {
		var a, b float64
		if grid {
			a, b = -1+2*float64(i%side)/float64(side-1), -1+2*float64(i/side)/float64(side-1)
		} else {
			a, b = 2*r.float64()-1, 2*r.float64()-1
		}
		x = append(x, T(a), T(b))
		y = append(y, T(math.Sin(math.Pi*a)*math.Cos(math.Pi*b/2)+a*b/2))
	}
	return x, y
}

// spiralData returns `classes` interleaved spiral arms of perPoints noisy
// points each in the plane, with one-hot targets: a small classification
// set that is not linearly separable.
func spiralData[T kernels.Float](classes, per int, seed uint64) (x, y []T, labels []int) {
	r := newRNG(seed)
	for c := range classes {
		for i := range per {
			rad := float64(i+1) / float64(per)
			th := 4*rad + 2*math.Pi*float64(c)/float64(classes) + 0.15*r.normal()
			x = append(x, T(rad*math.Cos(th)), T(rad*math.Sin(th)))
			labels = append(labels, c)
		}
	}
	return x, OneHot[T](labels, classes), labels
}

func mustTrainer[T kernels.Float](t testing.TB, seed uint64, specs []LayerSpec, loss Loss, opt Optimizer) *Trainer[T] {
	t.Helper()
	net, err := New[T](seed, specs...)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := NewTrainer(net, loss, opt)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// TestConvergeXOR: 2-16-1 (ReLU, Linear), MSE, full batches of the four
// points, 500 epochs; the loss must fall below 1e-4 and every output lie
// within 0.02 of its target, with each optimiser, in float32 and float64.
// (Over 39 initialisation seeds the worst loss was 2.4e-6.)
func TestConvergeXOR(t *testing.T) {
	for _, c := range []struct {
		opt    Optimizer
		epochs int
	}{{SGD{LR: 0.1}, 500}, {Momentum{LR: 0.05, Momentum: 0.9}, 500}, {Adam{LR: 0.02}, 500}} {
		t.Run(fmt.Sprintf("%T/f32", c.opt), func(t *testing.T) { convergeXOR[float32](t, c.opt, c.epochs) })
		t.Run(fmt.Sprintf("%T/f64", c.opt), func(t *testing.T) { convergeXOR[float64](t, c.opt, c.epochs) })
	}
}

func convergeXOR[T kernels.Float](t *testing.T, opt Optimizer, epochs int) {
	x, y := xorData[T]()
	tr := mustTrainer[T](t, 3, MLP(2, 16, 1), MSE, opt)
	stats, err := tr.Fit(x, y, 4, FitConfig{Epochs: epochs, BatchSize: 4, NoShuffle: true})
	if err != nil {
		t.Fatal(err)
	}
	loss, _ := tr.Network().Evaluate(x, y, 4, MSE)
	out := make([]T, 4)
	tr.Network().Predict(out, x, 4)
	t.Logf("loss after %d epochs: %.3g (first epoch %.3g); outputs %.4f", epochs, loss, stats[0].Loss, out)
	if !(loss < 1e-4) {
		t.Errorf("loss %.3g, want < 1e-4", loss)
	}
	for i := range out {
		if math.Abs(float64(out[i]-y[i])) > 0.02 {
			t.Errorf("XOR(%v, %v) = %.4f, want %v ± 0.02", x[2*i], x[2*i+1], out[i], y[i])
		}
	}
}

// TestConvergeRegression: 2-32-32-1 on 512 random samples of a smooth
// function, MSE, batches of 32 shuffled, 80 epochs; the mean loss
// ½(y−ŷ)² on a 21×21 test grid must fall below 2e-3 with Adam, 3e-3 with
// Momentum and 1.5e-2 with plain SGD (predicting 0 gives 0.13; over 10
// seeds the worst were 1.0e-3, 1.6e-3 and 7.5e-3).
func TestConvergeRegression(t *testing.T) {
	for _, c := range []struct {
		opt    Optimizer
		epochs int
		want   float64
	}{{Adam{LR: 0.01}, 80, 2e-3}, {Momentum{LR: 0.02, Momentum: 0.9}, 80, 3e-3}, {SGD{LR: 0.05}, 80, 1.5e-2}} {
		t.Run(fmt.Sprintf("%T", c.opt), func(t *testing.T) {
			x, y := regressionData[float32](512, 1, false)
			tx, ty := regressionData[float32](441, 0, true)
			tr := mustTrainer[float32](t, 4, MLP(2, 32, 32, 1), MSE, c.opt)
			if _, err := tr.Fit(x, y, 512, FitConfig{Epochs: c.epochs, BatchSize: 32, Seed: 9}); err != nil {
				t.Fatal(err)
			}
			loss, _ := tr.Network().Evaluate(tx, ty, 441, MSE)
			base := 0.0
			for _, v := range ty {
				base += 0.5 * float64(v) * float64(v) / 441
			}
			t.Logf("test loss %.3g after %d epochs (predicting 0: %.3g)", loss, c.epochs, base)
			if !(loss < c.want) {
				t.Errorf("test loss %.3g, want < %g", loss, c.want)
			}
		})
	}
}

// TestConvergeClassification: 2-32-32-3 on three spiral arms of 100
// points, softmax cross-entropy, Adam, batches of 32 shuffled; after 100
// epochs the training loss must be below 0.02 and the accuracy at least
// 99%, in float32 and float64 (over 10 seeds the worst loss was 0.0059,
// every accuracy 100%).
func TestConvergeClassification(t *testing.T) {
	t.Run("f32", func(t *testing.T) { convergeSpiral[float32](t) })
	t.Run("f64", func(t *testing.T) { convergeSpiral[float64](t) })
}

func convergeSpiral[T kernels.Float](t *testing.T) {
	x, y, _ := spiralData[T](3, 100, 5)
	tr := mustTrainer[T](t, 6, MLP(2, 32, 32, 3), SoftmaxCrossEntropy, Adam{LR: 0.01})
	stats, err := tr.Fit(x, y, 300, FitConfig{Epochs: 100, BatchSize: 32, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	loss, acc := tr.Network().Evaluate(x, y, 300, SoftmaxCrossEntropy)
	t.Logf("loss %.3g, accuracy %.1f%% (first epoch: loss %.3g, accuracy %.1f%%)", loss, 100*acc, stats[0].Loss, 100*stats[0].Accuracy)
	if !(loss < 0.02) || !(acc >= 0.99) {
		t.Errorf("loss %.3g, accuracy %.1f%%, want < 0.02 and ≥ 99%%", loss, 100*acc)
	}
}
