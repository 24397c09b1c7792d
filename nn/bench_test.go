package nn

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/fusedrelu/kernels"
)

// randBatches returns count batches of m random rows for a network with
// the given input and output widths: inputs Normal(0, 1), targets
// Normal(0, 1), as the PyTorch peer draws them.
func randBatches[T kernels.Float](seed uint64, count, m, in, out int) (xs, ys [][]T) {
	r := newRNG(seed)
	for range count {
		x, y := make([]T, m*in), make([]T, m*out)
		for i := range x {
			x[i] = T(r.normal())
		}
		for i := range y {
			y[i] = T(r.normal())
		}
		xs, ys = append(xs, x), append(ys, y)
	}
	return xs, ys
}

func sizesName(sizes []int) string {
	s := make([]string, len(sizes))
	for i, v := range sizes {
		s[i] = fmt.Sprint(v)
	}
	return strings.Join(s, "-")
}

// BenchmarkTrainStep measures training steps of an MLP (ReLU hidden
// layers, Linear output) with the seed's MSE loss and plain SGD, as the
// PyTorch peer (../shared/peers/run -m) does: examples/s is the figure to
// compare. The data cycle through 16 batches. Like the peer, every
// sub-benchmark runs on one thread (GOMAXPROCS = 1, which the kernels
// take as their default thread count), except those ending in
// /threads=all, which use every core.
func BenchmarkTrainStep(b *testing.B) {
	type cfg struct {
		sizes []int
		batch int
	}
	cases := []cfg{
		{[]int{784, 256, 256, 10}, 64},
		{[]int{784, 256, 256, 10}, 256},
		{[]int{64, 128, 64, 10}, 32},
	}
	b.Run("f32", func(b *testing.B) {
		for _, c := range cases {
			b.Run(fmt.Sprintf("%s/batch=%d", sizesName(c.sizes), c.batch), func(b *testing.B) {
				benchTrainStep[float32](b, c.sizes, c.batch, SGD{LR: 1e-3})
			})
		}
		b.Run("784-256-256-10/batch=64/adam", func(b *testing.B) {
			benchTrainStep[float32](b, []int{784, 256, 256, 10}, 64, Adam{LR: 1e-4})
		})
		// SGD as a separate pass over dW and dB instead of fused into the
		// backward pass: what the fusion saves.
		b.Run("784-256-256-10/batch=64/unfused", func(b *testing.B) {
			benchTrainStep[float32](b, []int{784, 256, 256, 10}, 64, unfusedSGD{SGD{LR: 1e-3}})
		})
		b.Run("784-256-256-10/batch=64/threads=all", func(b *testing.B) {
			benchTrainStep[float32](b, []int{784, 256, 256, 10}, 64, allThreads{SGD{LR: 1e-3}})
		})
		// The options, each on its own, then all together: what each
		// costs a step. "check" runs CheckFinite on the batch's x and y
		// before each Step (what Fit does once for all its data).
		sched := Warmup(100, Cosine(10000, 0))
		for _, o := range []struct {
			name string
			opt  Optimizer
		}{
			{"decay", SGD{LR: 1e-3, WeightDecay: 1e-4}},
			{"clip", SGD{LR: 1e-3, ClipNorm: 1}},
			{"schedule", SGD{LR: 1e-3, Schedule: sched}},
			{"check", checked{SGD{LR: 1e-3}}},
			{"adam/decay", Adam{LR: 1e-4, WeightDecay: 1e-2}},
			{"adam/clip", Adam{LR: 1e-4, ClipNorm: 1}},
			{"adam/schedule", Adam{LR: 1e-4, Schedule: sched}},
			{"adam/all", checked{Adam{LR: 1e-4, WeightDecay: 1e-2, ClipNorm: 1, Schedule: sched}}},
		} {
			b.Run("784-256-256-10/batch=64/"+o.name, func(b *testing.B) {
				benchTrainStep[float32](b, []int{784, 256, 256, 10}, 64, o.opt)
			})
		}
	})
	// Mixed precision (SetBF16): bfloat16 layers, float32 master weights;
	// its SGD is fused into the backward pass as float32's is.
	b.Run("bf16", func(b *testing.B) {
		b.Run("784-256-256-10/batch=64", func(b *testing.B) {
			benchTrainStep[float32](b, []int{784, 256, 256, 10}, 64, mixed{SGD{LR: 1e-3}})
		})
		b.Run("784-256-256-10/batch=64/adam", func(b *testing.B) {
			benchTrainStep[float32](b, []int{784, 256, 256, 10}, 64, mixed{Adam{LR: 1e-4}})
		})
	})
	b.Run("f64", func(b *testing.B) {
		b.Run("784-256-256-10/batch=64", func(b *testing.B) {
			benchTrainStep[float64](b, []int{784, 256, 256, 10}, 64, SGD{LR: 1e-3})
		})
	})
}

// unfusedSGD and allThreads are SGD for variants of the benchmark;
// checked is an optimiser whose steps check their data with CheckFinite.
type (
	unfusedSGD struct{ SGD }
	allThreads struct{ SGD }
	checked    struct{ Optimizer }
	mixed      struct{ Optimizer } // SetBF16(true)
)

func benchTrainStep[T kernels.Float](b *testing.B, sizes []int, batch int, opt Optimizer) {
	net, err := New[T](1, MLP(sizes...)...)
	if err != nil {
		b.Fatal(err)
	}
	unfused, check, half := false, false, false
	if c, ok := opt.(mixed); ok {
		opt, half = c.Optimizer, true
	}
	if c, ok := opt.(checked); ok {
		opt, check = c.Optimizer, true
	}
	if u, ok := opt.(unfusedSGD); ok {
		opt, unfused = u.SGD, true
	}
	if a, ok := opt.(allThreads); ok {
		opt = a.SGD
	} else {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	}
	tr, err := NewTrainer(net, MSE, opt)
	if err != nil {
		b.Fatal(err)
	}
	if unfused {
		tr.fused = false
		tr.allocGrads()
	}
	if half {
		if err := tr.SetBF16(true); err != nil {
			b.Fatal(err)
		}
	}
	const nb = 16
	xs, ys := randBatches[T](2, nb, batch, sizes[0], sizes[len(sizes)-1])
	tr.Step(xs[0], ys[0], batch) // size the buffers, fill the pools
	b.ReportAllocs()
	b.ResetTimer()
	in, out := sizes[0], sizes[len(sizes)-1]
	for i := 0; b.Loop(); i++ {
		if check {
			if CheckFinite("x", xs[i%nb], in) != nil || CheckFinite("y", ys[i%nb], out) != nil {
				b.Fatal("non-finite data")
			}
		}
		tr.Step(xs[i%nb], ys[i%nb], batch)
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "examples/s")
	b.ReportMetric(float64(tr.ForwardBytesPerExample()), "fwd-B/example")
}

// BenchmarkLinearOutput compares two ways to compute a Linear layer's
// Z = X·W + b with the kernels, for the 256→10 output layer at batch 64:
// GEMM with β = 1 onto rows filled with the bias (what the package does),
// and Forward writing Z and a discarded R.
func BenchmarkLinearOutput(b *testing.B) {
	const m, k, n = 64, 256, 10
	xs, _ := randBatches[float32](3, 1, m, k, 0)
	x := xs[0]
	w, bias := make([]float32, k*n), make([]float32, n)
	heInit(newRNG(4), w, k)
	z, r := make([]float32, m*n), make([]float32, m*n)
	b.Run("GEMM+bias", func(b *testing.B) {
		l := &Layer[float32]{W: w, B: bias, in: k, out: n, act: Linear}
		b.ReportAllocs()
		for b.Loop() {
			linearForward(l, m, x, z)
		}
	})
	b.Run("Forward+Z", func(b *testing.B) {
		fa := &kernels.ForwardArgs[float32]{M: m, K: k, N: n, X: x, W: w, Bias: bias, R: r, Z: z}
		b.ReportAllocs()
		for b.Loop() {
			kernels.Forward(fa)
		}
	})
}

// BenchmarkLinearBackward compares two ways to compute a Linear layer's
// backward pass (dZ = dR) for the 256→10 output layer at batch 64:
// Backward with an all-ones mask (what the package does: one call, db
// summed while dZ is packed), and two GEMMs and a column sum.
func BenchmarkLinearBackward(b *testing.B) {
	const m, k, n = 64, 256, 10
	xs, drs := randBatches[float32](3, 1, m, k, n)
	x, dr := xs[0], drs[0]
	w := make([]float32, k*n)
	heInit(newRNG(4), w, k)
	dx, dw, db := make([]float32, m*k), make([]float32, k*n), make([]float32, n)
	ones := kernels.NewMask(m, n)
	for i := range ones.Bits {
		ones.Bits[i] = ^uint64(0)
	}
	b.Run("Backward+ones", func(b *testing.B) {
		ba := &kernels.BackwardArgs[float32]{M: m, K: k, N: n, X: x, W: w, DR: dr, Mask: ones, DX: dx, DW: dw, DB: db}
		b.ReportAllocs()
		for b.Loop() {
			kernels.Backward(ba)
		}
	})
	b.Run("GEMM+GEMM+colsum", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			kernels.GEMM(kernels.NoTrans, kernels.Trans, m, k, n, 1, dr, 0, w, 0, 0, dx, 0)
			kernels.GEMM(kernels.Trans, kernels.NoTrans, k, n, m, 1, x, 0, dr, 0, 0, dw, 0)
			clear(db)
			for i := range m {
				for j, v := range dr[i*n : (i+1)*n] {
					db[j] += v
				}
			}
		}
	})
}

// BenchmarkPredict measures the inference-only forward pass.
func BenchmarkPredict(b *testing.B) {
	for _, m := range []int{1, 64} {
		b.Run(fmt.Sprintf("f32/784-256-256-10/batch=%d", m), func(b *testing.B) {
			net, _ := New[float32](1, MLP(784, 256, 256, 10)...)
			xs, _ := randBatches[float32](2, 1, m, 784, 0)
			y := make([]float32, m*10)
			net.Predict(y, xs[0], m)
			b.ReportAllocs()
			for b.Loop() {
				net.Predict(y, xs[0], m)
			}
			b.ReportMetric(float64(b.N*m)/b.Elapsed().Seconds(), "examples/s")
		})
		b.Run(fmt.Sprintf("bf16/784-256-256-10/batch=%d", m), func(b *testing.B) {
			net, _ := New[float32](1, MLP(784, 256, 256, 10)...)
			half := NewBF16Network(net)
			xs, _ := randBatches[float32](2, 1, m, 784, 0)
			y := make([]float32, m*10)
			half.Predict(y, xs[0], m)
			b.ReportAllocs()
			for b.Loop() {
				half.Predict(y, xs[0], m)
			}
			b.ReportMetric(float64(b.N*m)/b.Elapsed().Seconds(), "examples/s")
		})
	}
}
