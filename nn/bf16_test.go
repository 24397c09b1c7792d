package nn

import (
	"fmt"
	"math"
	"testing"

	"github.com/fusedrelu/kernels"
)

// round returns v rounded to bfloat16 and widened back: the values a
// mixed-precision step computes with.
func round(v []float32) []float32 {
	h := make([]kernels.BF16, len(v))
	kernels.ToBF16(h, v)
	out := make([]float32, len(v))
	kernels.FromBF16(out, h)
	return out
}

// toH returns v rounded to bfloat16.
func toH(v []float32) []kernels.BF16 {
	h := make([]kernels.BF16, len(v))
	kernels.ToBF16(h, v)
	return h
}

// halfReference computes the mixed-precision gradients of the mean loss
// with the kernels on explicitly rounded values: W, the batch, each
// layer's output but the last, dR and each dX rounded to bfloat16 where
// SetBF16's step rounds them; the forward pass by ForwardBF16 (on a core
// with the bfloat16 dot product its sums are not Forward's), the backward
// by the float32 Backward (BackwardBF16 is it on the widened values). It
// returns the loss, the last layer's output and each layer's dW and dB.
func halfReference(net *Network[float32], loss Loss, x, y []float32, m int) (float64, []float32, [][2][]float32) {
	L := net.NumLayers()
	ins := make([][]float32, L)
	masks := make([]kernels.Mask, L)
	pws := make([]*kernels.PackedW[float32], L)
	cur := round(x[:m*net.In()])
	var out []float32
	for i := range L {
		l := net.Layer(i)
		ins[i] = cur
		pws[i] = kernels.PackW(l.In(), l.Out(), round(l.W), 0)
		r, z := make([]float32, m*l.Out()), make([]float32, m*l.Out())
		masks[i] = kernels.NewMask(m, l.Out())
		if l.Act() != ReLU {
			for j := range masks[i].Bits {
				masks[i].Bits[j] = ^uint64(0)
			}
		}
		pwh := new(kernels.PackedW[float32])
		pwh.PackBF16(l.In(), l.Out(), toH(l.W), 0)
		a := kernels.ForwardBF16Args{M: m, K: l.In(), N: l.Out(), X: toH(cur), PW: pwh, Bias: l.B, R32: r, Z: z}
		if l.Act() == ReLU {
			a.Mask = masks[i]
		}
		kernels.ForwardBF16(&a)
		if l.Act() != ReLU {
			r = z
		}
		out, cur = r, round(r)
	}
	n := net.Out()
	d := make([]float32, m*n)
	lv := lossGrad(loss, out, y[:m*n], d, m, n, 1) / float64(m)
	grads := make([][2][]float32, L)
	dr := round(d)
	for i := L - 1; i >= 0; i-- {
		l := net.Layer(i)
		grads[i] = [2][]float32{make([]float32, l.In()*l.Out()), make([]float32, l.Out())}
		dx := make([]float32, m*l.In())
		kernels.Backward(&kernels.BackwardArgs[float32]{M: m, K: l.In(), N: l.Out(), X: ins[i], PW: pws[i],
			DR: dr, Mask: masks[i], DX: dx, DW: grads[i][0], DB: grads[i][1]})
		dr = round(dx)
	}
	return lv, out, grads
}

// TestBF16Gradients: a mixed-precision trainer's loss, output and
// gradients are those of the float32 kernels on the values rounded where
// it rounds them: the loss, output, dB the same bits, dW within float32
// rounding of the sum (the float32 Backward may sum a small dW in another
// order: kernels' TestLayersBF16).
func TestBF16Gradients(t *testing.T) {
	for _, c := range []struct {
		specs []LayerSpec
		loss  Loss
	}{
		{MLP(20, 33, 17, 5), SoftmaxCrossEntropy},
		{[]LayerSpec{Dense(9, 40, Linear), Dense(40, 24, ReLU), Dense(24, 3, ReLU)}, MSE},
		{[]LayerSpec{Dense(70, 3, Linear)}, MSE},
	} {
		for _, m := range []int{1, 7, 64} {
			t.Run(fmt.Sprintf("%v/m=%d", c.specs, m), func(t *testing.T) {
				net, err := New[float32](3, c.specs...)
				if err != nil {
					t.Fatal(err)
				}
				for l := range net.NumLayers() {
					for j := range net.Layer(l).B {
						net.Layer(l).B[j] = float32(j%5)/10 - 0.2
					}
				}
				x64, y64 := testData(uint64(m), m, net.In(), net.Out(), c.loss)
				x, y := fromF64[float32](x64), fromF64[float32](y64)
				tr, err := NewTrainer(net, c.loss, SGD{LR: 0.1})
				if err != nil {
					t.Fatal(err)
				}
				if err := tr.SetBF16(true); err != nil {
					t.Fatal(err)
				}
				got := tr.Gradients(x, y, m)
				want, wantOut, grads := halfReference(net, c.loss, x, y, m)
				if got != want {
					t.Errorf("loss %v, want %v", got, want)
				}
				sameBits(t, "output", tr.Output(m), wantOut)
				for i := range net.NumLayers() {
					dW, dB := tr.Grad(i)
					sameBits(t, fmt.Sprintf("layer %d dB", i), dB, grads[i][1])
					for j := range dW {
						if d := math.Abs(float64(dW[j] - grads[i][0][j])); d > 1e-5*(1+math.Abs(float64(grads[i][0][j]))) {
							t.Errorf("layer %d dW[%d] = %v, want %v", i, j, dW[j], grads[i][0][j])
							break
						}
					}
				}
			})
		}
	}
}

func sameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Errorf("%s[%d] = %v, want %v", what, i, got[i], want[i])
			return
		}
	}
}

// TestBF16Training: mixed precision trains the spiral classifier as
// float32 does (TestConvergeClassification's bar), with steps that
// allocate nothing; SetBF16 is refused for float64 and can be turned off.
func TestBF16Training(t *testing.T) {
	x, y, _ := spiralData[float32](3, 100, 5)
	tr := mustTrainer[float32](t, 6, MLP(2, 32, 32, 3), SoftmaxCrossEntropy, Adam{LR: 0.01})
	if err := tr.SetBF16(true); err != nil || !tr.BF16() {
		t.Fatalf("SetBF16(true) = %v, BF16() = %v", err, tr.BF16())
	}
	if _, err := tr.Fit(x, y, 300, FitConfig{Epochs: 100, BatchSize: 32, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	loss, acc := tr.Network().Evaluate(x, y, 300, SoftmaxCrossEntropy)
	t.Logf("bfloat16: loss %.3g, accuracy %.1f%%", loss, 100*acc)
	if !(loss < 0.05) || !(acc >= 0.98) {
		t.Errorf("loss %.3g, accuracy %.1f%%, want < 0.05 and ≥ 98%%", loss, 100*acc)
	}
	if a := testing.AllocsPerRun(5, func() { tr.Step(x[:64], y[:32*3], 32) }); a != 0 && !raceEnabled {
		t.Errorf("%v allocations a mixed-precision step, want 0", a)
	}
	if err := tr.SetBF16(false); err != nil || tr.BF16() {
		t.Errorf("SetBF16(false) = %v, BF16() = %v", err, tr.BF16())
	}
	tr64 := mustTrainer[float64](t, 6, MLP(2, 4, 3), MSE, SGD{LR: 0.1})
	if err := tr64.SetBF16(true); err == nil || tr64.BF16() {
		t.Errorf("SetBF16(true) on a float64 trainer = %v, BF16() = %v, want an error", err, tr64.BF16())
	}
}

// TestBF16FusedSGD: plain SGD adds its step into the weights in the
// backward pass in mixed precision too (dR scaled by −lr, then rounded);
// its step agrees with the unfused one (SGD with a ClipNorm that never
// clips), which rounds dR unscaled, to within bfloat16's rounding of the
// update, with and without weight decay.
func TestBF16FusedSGD(t *testing.T) {
	for _, wd := range []float64{0, 0.01} {
		x, y, _ := spiralData[float32](3, 40, 5)
		const m = 64
		make2 := func(opt Optimizer) *Trainer[float32] {
			tr := mustTrainer[float32](t, 6, MLP(2, 32, 32, 3), SoftmaxCrossEntropy, opt)
			if err := tr.SetBF16(true); err != nil {
				t.Fatal(err)
			}
			return tr
		}
		fused, plain := make2(SGD{LR: 0.5, WeightDecay: wd}), make2(SGD{LR: 0.5, WeightDecay: wd, ClipNorm: 1e30})
		if !fused.fused || plain.fused {
			t.Fatalf("fused %v, plain %v: want the first fused only", fused.fused, plain.fused)
		}
		w0 := make([][]float32, fused.Network().NumLayers())
		for i := range w0 {
			w0[i] = append([]float32(nil), fused.Network().Layer(i).W...)
		}
		lf, lp := fused.Step(x[:2*m], y[:3*m], m), plain.Step(x[:2*m], y[:3*m], m)
		if lf != lp {
			t.Errorf("wd %v: losses %v and %v, want the same (the same forward pass)", wd, lf, lp)
		}
		for i := range w0 {
			wf, wp := fused.Network().Layer(i).W, plain.Network().Layer(i).W
			for j := range wf {
				step := math.Abs(float64(wp[j] - w0[i][j]))
				if d := math.Abs(float64(wf[j] - wp[j])); d > step/64+1e-6 {
					t.Errorf("wd %v layer %d W[%d]: fused %v, unfused %v (from %v)", wd, i, j, wf[j], wp[j], w0[i][j])
					break
				}
			}
		}
	}
}
