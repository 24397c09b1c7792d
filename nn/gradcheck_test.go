package nn

import (
	"fmt"
	"math"
	"slices"
	"testing"
)

// testData returns m random inputs (Normal(0, 1)) and targets for loss:
// Normal(0, 1) values for MSE, and for SoftmaxCrossEntropy random
// distributions (every other row one-hot, the rest soft), so that the
// gradient p·Σy − y is checked for both.
func testData(seed uint64, m, in, out int, loss Loss) (x, y []float64) {
	r := newRNG(seed)
	x, y = make([]float64, m*in), make([]float64, m*out)
	for i := range x {
		x[i] = r.normal()
	}
	for i := range m {
		row := y[i*out : (i+1)*out]
		switch {
		case loss == MSE:
			for j := range row {
				row[j] = r.normal()
			}
		case i%2 == 0:
			row[r.intN(out)] = 1
		default:
			s := 0.0
			for j := range row {
				row[j] = r.float64()
				s += row[j]
			}
			for j := range row {
				row[j] /= s
			}
		}
	}
	return x, y
}

// randomizeBiases gives every bias a Normal(0, 0.3) value, so that bias
// gradients are exercised and ReLU units are not all on one side at z = 0.
func randomizeBiases(net *Network[float64], seed uint64) {
	r := newRNG(seed)
	for i := range net.NumLayers() {
		for j := range net.Layer(i).B {
			net.Layer(i).B[j] = 0.3 * r.normal()
		}
	}
}

func snapshotMasks(tr *Trainer[float64], m int) []uint64 {
	var s []uint64
	for i := range tr.layers {
		if tr.net.layers[i].act == ReLU {
			s = append(s, tr.layers[i].bits[:m*tr.layers[i].stride]...)
		}
	}
	return s
}

// gradCheck compares the gradients of Trainer.Gradients with central
// differences of the batch's mean loss, in float64, for every parameter.
// The perturbed losses come from Network.Evaluate (the inference path),
// and a parameter whose perturbation moves any unit across Z = 0 (the
// ReLU's kink, where the difference quotient is not the derivative) is
// skipped; the test fails if more than 2% are.
func gradCheck(t *testing.T, specs []LayerSpec, loss Loss, m int, seed uint64) {
	t.Helper()
	net, err := New[float64](seed, specs...)
	if err != nil {
		t.Fatal(err)
	}
	randomizeBiases(net, seed+1)
	x, y := testData(seed+2, m, net.In(), net.Out(), loss)
	tr, err := NewTrainer(net, loss, SGD{})
	if err != nil {
		t.Fatal(err)
	}
	l0 := tr.Gradients(x, y, m)
	if l1, _ := net.Evaluate(x, y, m, loss); math.Abs(l1-l0) > 1e-12*math.Abs(l0) {
		t.Fatalf("loss from Gradients %v, from Evaluate %v", l0, l1)
	}
	base := snapshotMasks(tr, m)
	const h = 1e-6
	checked, skipped := 0, 0
	for li := range net.NumLayers() {
		dW, dB := tr.Grad(li)
		dW, dB = slices.Clone(dW), slices.Clone(dB)
		l := net.Layer(li)
		for _, p := range []struct {
			name string
			v, g []float64
		}{{"W", l.W, dW}, {"B", l.B, dB}} {
			for k := range p.v {
				orig := p.v[k]
				lossAt := func(v float64) (float64, bool) {
					p.v[k] = v
					tr.forward(x, m)
					same := slices.Equal(snapshotMasks(tr, m), base)
					c, _ := net.Evaluate(x, y, m, loss)
					return c, same
				}
				lp, okp := lossAt(orig + h)
				lm, okm := lossAt(orig - h)
				p.v[k] = orig
				if !okp || !okm {
					skipped++
					continue
				}
				checked++
				fd := (lp - lm) / (2 * h)
				if d := math.Abs(fd - p.g[k]); d > 1e-7*(math.Abs(fd)+math.Abs(p.g[k])) && d > 1e-9 {
					t.Errorf("layer %d %s[%d]: gradient %.12g, central difference %.12g", li, p.name, k, p.g[k], fd)
				}
			}
		}
	}
	if skipped*50 > checked+skipped {
		t.Errorf("%d parameters checked, %d skipped at a kink", checked, skipped)
	}
	t.Logf("%d parameters checked, %d skipped at a kink", checked, skipped)
}

// TestGradCheckLayers checks each layer kind alone (dW, dB) and after
// another layer (so that dX, the input gradient, is checked through it),
// with both losses.
func TestGradCheckLayers(t *testing.T) {
	cases := []struct {
		name  string
		specs []LayerSpec
	}{
		{"ReLU", []LayerSpec{Dense(5, 4, ReLU)}},
		{"Linear", []LayerSpec{Dense(5, 4, Linear)}},
		{"ReLU-into-Linear", []LayerSpec{Dense(5, 6, ReLU), Dense(6, 3, Linear)}},
		{"Linear-into-ReLU", []LayerSpec{Dense(5, 6, Linear), Dense(6, 3, ReLU)}},
		{"wide-ReLU", []LayerSpec{Dense(3, 70, ReLU), Dense(70, 2, Linear)}}, // mask rows over two words
	}
	for _, c := range cases {
		for _, loss := range []Loss{MSE, SoftmaxCrossEntropy} {
			t.Run(fmt.Sprintf("%s/%v", c.name, loss), func(t *testing.T) {
				gradCheck(t, c.specs, loss, 7, 11)
			})
		}
	}
}

// TestGradCheckNetwork checks a three-layer network (two ReLU layers and a
// Linear output) with both losses.
func TestGradCheckNetwork(t *testing.T) {
	for _, loss := range []Loss{MSE, SoftmaxCrossEntropy} {
		t.Run(loss.String(), func(t *testing.T) {
			gradCheck(t, MLP(6, 9, 8, 4), loss, 10, 21)
		})
	}
}
