package nn

import (
	"fmt"
	"math"
	"testing"

	"github.com/fusedrelu/kernels"
)

// A naive plain-Go implementation of the same networks, in float64, one
// example at a time, written from the seed's equations with no kernels:
//
//	z_j = Σ_i W_ij·r_i + b_j,  r_j = ReLU(z_j) (or z_j)
//	dz_j = dr_j·Step(z_j),  dr_i = Σ_j W_ij·dz_j,  dW_ij += r_i·dz_j,  db_j += dz_j
//
// Beside every value it carries a magnitude: the same computation on
// absolute values, so that |naive − kernels| ≤ c·u·K·magnitude bounds
// the rounding of both (u the unit roundoff of the type under test, K
// the number of terms summed along the way), as design.md §2 asks:
// no fixed tolerance.
type naiveNet struct {
	w, b [][]float64 // per layer: W (In×Out), b (Out)
	in   []int
	out  []int
	act  []Activation
}

func newNaive[T kernels.Float](net *Network[T]) *naiveNet {
	n := &naiveNet{}
	for i := range net.NumLayers() {
		l := net.Layer(i)
		n.w = append(n.w, toF64(l.W))
		n.b = append(n.b, toF64(l.B))
		n.in, n.out, n.act = append(n.in, l.In()), append(n.out, l.Out()), append(n.act, l.Act())
	}
	return n
}

func toF64[T kernels.Float](v []T) []float64 {
	r := make([]float64, len(v))
	for i, x := range v {
		r[i] = float64(x)
	}
	return r
}

func abs(v []float64) []float64 {
	r := make([]float64, len(v))
	for i, x := range v {
		r[i] = math.Abs(x)
	}
	return r
}

// naiveResult is the naive forward and backward pass of one batch.
type naiveResult struct {
	out, outMag   []float64   // m×Out
	loss, lossMag float64     // mean over the batch
	dW, dB        [][]float64 // per layer
	dWMag, dBMag  [][]float64
	terms         int // the longest chain of summed terms, for the bound
}

func (n *naiveNet) run(x, y []float64, m int, loss Loss) naiveResult {
	L := len(n.w)
	res := naiveResult{dW: make([][]float64, L), dB: make([][]float64, L), dWMag: make([][]float64, L), dBMag: make([][]float64, L)}
	for l := range L {
		res.dW[l], res.dWMag[l] = make([]float64, n.in[l]*n.out[l]), make([]float64, n.in[l]*n.out[l])
		res.dB[l], res.dBMag[l] = make([]float64, n.out[l]), make([]float64, n.out[l])
		res.terms += n.in[l] + 1
	}
	res.terms += m + n.out[L-1]
	outN := n.out[L-1]
	for e := range m {
		// Forward, keeping every layer's input r (with magnitude) and z.
		rs, rMags, zs := [][]float64{x[e*n.in[0] : (e+1)*n.in[0]]}, [][]float64{abs(x[e*n.in[0] : (e+1)*n.in[0]])}, [][]float64{}
		for l := range L {
			r, rm := rs[l], rMags[l]
			z, zm := make([]float64, n.out[l]), make([]float64, n.out[l])
			for j := range z {
				z[j], zm[j] = n.b[l][j], math.Abs(n.b[l][j])
				for i := range r {
					z[j] += n.w[l][i*n.out[l]+j] * r[i]
					zm[j] += math.Abs(n.w[l][i*n.out[l]+j]) * rm[i]
				}
			}
			next := make([]float64, len(z))
			for j, v := range z {
				next[j] = v
				if n.act[l] == ReLU && v < 0 {
					next[j] = 0
				}
			}
			rs, rMags, zs = append(rs, next), append(rMags, zm), append(zs, z)
		}
		yhat, ym, t := rs[L], rMags[L], y[e*outN:(e+1)*outN]
		res.out = append(res.out, yhat...)
		res.outMag = append(res.outMag, ym...)
		// The loss and its gradient, for the batch mean.
		dr, drm := make([]float64, outN), make([]float64, outN)
		switch loss {
		case MSE:
			for j := range yhat {
				d := yhat[j] - t[j]
				res.loss += 0.5 * d * d / float64(m)
				res.lossMag += (math.Abs(d) + ym[j]) * ym[j] / float64(m)
				dr[j], drm[j] = d/float64(m), (ym[j]+math.Abs(t[j]))/float64(m)
			}
		case SoftmaxCrossEntropy:
			mx, se, sy, big := math.Inf(-1), 0.0, 0.0, 0.0
			for j := range yhat {
				mx, big = max(mx, yhat[j]), max(big, ym[j])
				sy += t[j]
			}
			for _, v := range yhat {
				se += math.Exp(v - mx)
			}
			for j, v := range yhat {
				p := math.Exp(v-mx) / se
				res.loss -= t[j] * math.Log(p) / float64(m)
				dr[j] = (p*sy - t[j]) / float64(m)
				drm[j] = (1 + 2*big) * (p*math.Abs(sy) + math.Abs(t[j])) / float64(m)
			}
			res.lossMag += (1 + 2*big) * (math.Abs(sy) + 1) / float64(m)
		}
		// Backward: the seed's three equations.
		for l := L - 1; l >= 0; l-- {
			dz := make([]float64, n.out[l])
			for j := range dz {
				dz[j] = dr[j]
				if n.act[l] == ReLU && zs[l][j] < 0 { // Step(z) = 0
					dz[j] = 0
				}
			}
			prev, prevM := rs[l], rMags[l]
			ndr, ndrm := make([]float64, n.in[l]), make([]float64, n.in[l])
			for i := range n.in[l] {
				for j := range n.out[l] {
					w := n.w[l][i*n.out[l]+j]
					res.dW[l][i*n.out[l]+j] += prev[i] * dz[j]
					res.dWMag[l][i*n.out[l]+j] += prevM[i]*drm[j] + math.Abs(prev[i]*dz[j])
					ndr[i] += w * dz[j]
					ndrm[i] += math.Abs(w) * drm[j]
				}
			}
			for j := range dz {
				res.dB[l][j] += dz[j]
				res.dBMag[l][j] += drm[j]
			}
			dr, drm = ndr, ndrm
		}
	}
	return res
}

// step applies the optimiser's rule, as its doc comment states it.
type naiveOpt struct {
	cfg    optConfig
	t      int
	s1, s2 [][]float64
}

func (o *naiveOpt) step(params, grads [][]float64) {
	if o.s1 == nil {
		for _, p := range params {
			o.s1, o.s2 = append(o.s1, make([]float64, len(p))), append(o.s2, make([]float64, len(p)))
		}
	}
	c := o.cfg
	lr := c.lr
	if c.sched != nil {
		lr *= c.sched.Factor(o.t)
	}
	o.t++
	if c.clip > 0 {
		ss := 0.0
		for _, g := range grads {
			for _, v := range g {
				ss += v * v
			}
		}
		if norm := math.Sqrt(ss); norm > c.clip {
			for _, g := range grads {
				for j := range g {
					g[j] *= c.clip / norm
				}
			}
		}
	}
	for i, p := range params {
		wd := 0.0
		if i%2 == 0 {
			wd = c.wd // weights only
		}
		for j := range p {
			g := grads[i][j]
			switch c.kind {
			case optSGD:
				p[j] -= lr * (g + wd*p[j])
			case optMomentum:
				o.s1[i][j] = c.mu*o.s1[i][j] + g + wd*p[j]
				p[j] -= lr * o.s1[i][j]
			case optAdam:
				p[j] *= 1 - lr*wd
				o.s1[i][j] = c.b1*o.s1[i][j] + (1-c.b1)*g
				o.s2[i][j] = c.b2*o.s2[i][j] + (1-c.b2)*g*g
				mh := o.s1[i][j] / (1 - math.Pow(c.b1, float64(o.t)))
				vh := o.s2[i][j] / (1 - math.Pow(c.b2, float64(o.t)))
				p[j] -= lr * mh / (math.Sqrt(vh) + c.eps)
			}
		}
	}
}

func (n *naiveNet) params() [][]float64 {
	var p [][]float64
	for l := range n.w {
		p = append(p, n.w[l], n.b[l])
	}
	return p
}

// within reports whether |got − want| ≤ tol·mag element by element.
func within(t *testing.T, what string, got, want, mag []float64, tol float64) {
	t.Helper()
	bad := 0
	for i := range want {
		if d := math.Abs(got[i] - want[i]); !(d <= tol*mag[i]) {
			if bad++; bad <= 3 {
				t.Errorf("%s[%d] = %.10g, naive %.10g (difference %.3g, bound %.3g)", what, i, got[i], want[i], d, tol*mag[i])
			}
		}
	}
	if len(got) != len(want) {
		t.Errorf("%s has %d elements, naive %d", what, len(got), len(want))
	}
}

// TestAgainstNaive runs one batch through the package (both element
// types) and through the naive implementation and compares the outputs,
// the loss and every gradient within c·u·K·magnitude.
func TestAgainstNaive(t *testing.T) {
	for _, loss := range []Loss{MSE, SoftmaxCrossEntropy} {
		for _, specs := range [][]LayerSpec{MLP(20, 16, 12, 5), MLP(70, 33, 3), {Dense(9, 65, Linear), Dense(65, 4, ReLU)}} {
			name := fmt.Sprintf("%v/%v", loss, specs)
			t.Run("f64/"+name, func(t *testing.T) { againstNaive[float64](t, specs, loss) })
			t.Run("f32/"+name, func(t *testing.T) { againstNaive[float32](t, specs, loss) })
		}
	}
}

func againstNaive[T kernels.Float](t *testing.T, specs []LayerSpec, loss Loss) {
	const m = 13
	net, err := New[T](5, specs...)
	if err != nil {
		t.Fatal(err)
	}
	for i := range net.NumLayers() {
		for j := range net.Layer(i).B {
			net.Layer(i).B[j] = T(0.1 * float64(j%7-3))
		}
	}
	x64, y64 := testData(6, m, net.In(), net.Out(), loss)
	x, y := fromF64[T](x64), fromF64[T](y64)
	// The naive network sees the same (rounded) data and parameters.
	nv := newNaive(net)
	ref := nv.run(toF64(x), toF64(y), m, loss)
	tol := 4 * unitRoundoff[T]() * float64(ref.terms)

	tr, _ := NewTrainer(net, loss, SGD{})
	got := tr.Gradients(x, y, m)
	within(t, "output", toF64(tr.Output(m)), ref.out, ref.outMag, tol)
	within(t, "loss", []float64{got}, []float64{ref.loss}, []float64{ref.lossMag}, tol)
	for l := range net.NumLayers() {
		dW, dB := tr.Grad(l)
		within(t, fmt.Sprintf("layer %d dW", l), toF64(dW), ref.dW[l], ref.dWMag[l], tol)
		within(t, fmt.Sprintf("layer %d dB", l), toF64(dB), ref.dB[l], ref.dBMag[l], tol)
	}
	pred := make([]T, m*net.Out())
	net.Predict(pred, x, m)
	within(t, "Predict", toF64(pred), ref.out, ref.outMag, tol)
}

func unitRoundoff[T kernels.Float]() float64 {
	if sizeOf[T]() == 4 {
		return 0x1p-24
	}
	return 0x1p-53
}

func fromF64[T kernels.Float](v []float64) []T {
	r := make([]T, len(v))
	for i, x := range v {
		r[i] = T(x)
	}
	return r
}

// TestTrainingAgainstNaive trains the package's float64 network and the
// naive one side by side, with each optimiser (SGD through the fused
// backward-and-update path, and unfused when it clips), alone and with
// weight decay, clipping and a schedule, on 12 batches, and compares the parameters
// after every step. Rounding differences stay near 1e-16 relative; the
// bound 1e-9·(|p| + 1) leaves room for their growth over the steps and
// still catches any difference in the rules.
func TestTrainingAgainstNaive(t *testing.T) {
	sched := Warmup(3, Cosine(8, 0.1))
	for _, opt := range []Optimizer{SGD{LR: 0.05}, Momentum{LR: 0.02, Momentum: 0.8}, Adam{LR: 0.01},
		// The options: weight decay (fused SGD, L2 for Momentum, AdamW),
		// clipping (which unfuses SGD) and a schedule.
		SGD{LR: 0.05, WeightDecay: 0.1, Schedule: sched},
		SGD{LR: 0.05, WeightDecay: 0.1, ClipNorm: 0.3},
		Momentum{LR: 0.02, Momentum: 0.8, WeightDecay: 0.05, ClipNorm: 0.3, Schedule: sched},
		Adam{LR: 0.01, WeightDecay: 0.2, ClipNorm: 0.3, Schedule: sched},
	} {
		for _, loss := range []Loss{MSE, SoftmaxCrossEntropy} {
			c := opt.optimizer()
			t.Run(fmt.Sprintf("%T/wd=%v/clip=%v/sched=%v/%v", opt, c.wd, c.clip, c.sched != nil, loss), func(t *testing.T) {
				net, _ := New[float64](8, MLP(10, 16, 8, 3)...)
				nv := newNaive(net)
				no := &naiveOpt{cfg: opt.optimizer()}
				tr, _ := NewTrainer(net, loss, opt)
				const m = 9
				for s := range 12 {
					x, y := testData(uint64(100+s), m, 10, 3, loss)
					l := tr.Step(x, y, m)
					ref := nv.run(x, y, m, loss)
					var g [][]float64
					for i := range ref.dW {
						g = append(g, ref.dW[i], ref.dB[i])
					}
					no.step(nv.params(), g)
					if math.Abs(l-ref.loss) > 1e-12*ref.lossMag {
						t.Errorf("step %d: loss %v, naive %v", s, l, ref.loss)
					}
					for li := range net.NumLayers() {
						for _, p := range []struct {
							name      string
							got, want []float64
						}{{"W", net.Layer(li).W, nv.w[li]}, {"B", net.Layer(li).B, nv.b[li]}} {
							for k := range p.want {
								if d := math.Abs(p.got[k] - p.want[k]); !(d <= 1e-9*(math.Abs(p.want[k])+1)) {
									t.Fatalf("step %d: layer %d %s[%d] = %.15g, naive %.15g", s, li, p.name, k, p.got[k], p.want[k])
								}
							}
						}
					}
				}
			})
		}
	}
}
