package nn

import (
	"fmt"
	"math"

	"github.com/fusedrelu/kernels"
)

// Optimizer is an update rule: [SGD], [Momentum] or [Adam]. A zero field
// takes the default its type documents. The per-parameter state
// (velocities, moments) and the step count live in the [Trainer]; the
// trainer keeps a copy of the settings, which [Trainer.SetOptimizer]
// changes between steps (changing the value given to NewTrainer does
// not).
//
// Each optimiser has three options beside its own settings:
//
//   - Schedule scales the learning rate step by step (see [Schedule]);
//     nil keeps it constant.
//   - WeightDecay shrinks the weights W of every layer (not the biases B)
//     toward 0 at each step: for SGD and Momentum as an L2 penalty added
//     to the gradient, g + WeightDecay·w; for Adam decoupled from the
//     gradient (AdamW, Loshchilov and Hutter), w ← w·(1 − lr·WeightDecay)
//     before the Adam step, lr being the step's scheduled rate.
//   - ClipNorm, when > 0, clips the gradient by its global norm before the
//     update: if ‖g‖ (the Euclidean norm of every W and B gradient of the
//     network together, summed in float64) exceeds ClipNorm, every
//     gradient is multiplied by ClipNorm/‖g‖. The decay term is not
//     clipped. With SGD this turns off the fused update (the gradient
//     must be whole before the update).
//
// Invalid settings (a negative or non-finite rate, decay or norm, β ≥ 1,
// …) are errors of NewTrainer and SetOptimizer, before any step.
type Optimizer interface {
	optimizer() optConfig
}

// SGD is plain stochastic gradient descent: w ← w − lr·(g + WeightDecay·w)
// for weights, b ← b − lr·g for biases.
//
// Without ClipNorm the [Trainer] fuses this update into the backward
// pass: it scales the loss gradient by −lr and lets kernels.Backward
// accumulate Xᵀ·dZ and Σ dZ straight into W and B (after scaling W by
// 1 − lr·WeightDecay), so that no gradient is written to memory and the
// parameters are read and written once a step. The result is the same
// update up to rounding.
type SGD struct {
	LR          float64  // learning rate; 0 means 0.01
	WeightDecay float64  // L2 penalty on the weights; 0 means none
	ClipNorm    float64  // clip the gradient's global norm to this; 0 means no clipping
	Schedule    Schedule // learning-rate schedule; nil means constant
}

// Momentum is SGD with (heavy-ball) momentum, as PyTorch's SGD with
// momentum and no dampening (g including the L2 term WeightDecay·w for
// weights):
//
//	v ← Momentum·v + g,  w ← w − lr·v     (v starts at 0)
type Momentum struct {
	LR          float64 // learning rate; 0 means 0.01
	Momentum    float64 // 0 means 0.9
	WeightDecay float64 // L2 penalty on the weights; 0 means none
	ClipNorm    float64 // clip the gradient's global norm to this; 0 means no clipping
	Schedule    Schedule
}

// Adam is the optimiser of Kingma and Ba, with the bias corrections
// written as PyTorch does, at step t = 1, 2, …:
//
//	m ← β₁·m + (1−β₁)·g,  v ← β₂·v + (1−β₂)·g²
//	w ← w − lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε)
//
// The step is [kernels.AdamUpdate]: vector code on amd64 and arm64, the
// same bits on every path. With WeightDecay it is AdamW (PyTorch's
// AdamW): weights are first multiplied by 1 − lr·WeightDecay.
type Adam struct {
	LR          float64 // learning rate; 0 means 0.001
	Beta1       float64 // 0 means 0.9
	Beta2       float64 // 0 means 0.999
	Epsilon     float64 // 0 means 1e-8
	WeightDecay float64 // decoupled weight decay (AdamW); 0 means none
	ClipNorm    float64 // clip the gradient's global norm to this; 0 means no clipping
	Schedule    Schedule
}

type optKind uint8

const (
	optSGD optKind = iota + 1
	optMomentum
	optAdam
)

func (k optKind) String() string {
	switch k {
	case optSGD:
		return "SGD"
	case optMomentum:
		return "Momentum"
	case optAdam:
		return "Adam"
	}
	return fmt.Sprintf("optimizer(%d)", uint8(k))
}

// optConfig is an optimiser with its defaults filled in.
type optConfig struct {
	kind                optKind
	lr, mu, b1, b2, eps float64
	wd, clip            float64
	sched               Schedule
}

func def(v, d float64) float64 {
	if v == 0 {
		return d
	}
	return v
}

func (o SGD) optimizer() optConfig {
	return optConfig{kind: optSGD, lr: def(o.LR, 0.01), wd: o.WeightDecay, clip: o.ClipNorm, sched: o.Schedule}
}
func (o Momentum) optimizer() optConfig {
	return optConfig{kind: optMomentum, lr: def(o.LR, 0.01), mu: def(o.Momentum, 0.9), wd: o.WeightDecay, clip: o.ClipNorm, sched: o.Schedule}
}
func (o Adam) optimizer() optConfig {
	return optConfig{kind: optAdam, lr: def(o.LR, 0.001), b1: def(o.Beta1, 0.9), b2: def(o.Beta2, 0.999), eps: def(o.Epsilon, 1e-8),
		wd: o.WeightDecay, clip: o.ClipNorm, sched: o.Schedule}
}

// public returns the optimiser of c, with its defaults filled in.
func (c optConfig) public() Optimizer {
	switch c.kind {
	case optSGD:
		return SGD{LR: c.lr, WeightDecay: c.wd, ClipNorm: c.clip, Schedule: c.sched}
	case optMomentum:
		return Momentum{LR: c.lr, Momentum: c.mu, WeightDecay: c.wd, ClipNorm: c.clip, Schedule: c.sched}
	}
	return Adam{LR: c.lr, Beta1: c.b1, Beta2: c.b2, Epsilon: c.eps, WeightDecay: c.wd, ClipNorm: c.clip, Schedule: c.sched}
}

func (c optConfig) check() error {
	ok := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	if !ok(c.lr) || c.lr < 0 {
		return fmt.Errorf("nn: learning rate %v, want a finite value ≥ 0", c.lr)
	}
	if !ok(c.wd) || c.wd < 0 {
		return fmt.Errorf("nn: weight decay %v, want a finite value ≥ 0", c.wd)
	}
	if !ok(c.clip) || c.clip < 0 {
		return fmt.Errorf("nn: clip norm %v, want a finite value ≥ 0 (0: no clipping)", c.clip)
	}
	switch c.kind {
	case optMomentum:
		if !ok(c.mu) || c.mu < 0 || c.mu >= 1 {
			return fmt.Errorf("nn: momentum %v, want 0 ≤ momentum < 1", c.mu)
		}
	case optAdam:
		if !ok(c.b1) || !ok(c.b2) || c.b1 < 0 || c.b1 >= 1 || c.b2 < 0 || c.b2 >= 1 {
			return fmt.Errorf("nn: Adam betas %v, %v, want 0 ≤ β < 1", c.b1, c.b2)
		}
		if !ok(c.eps) || c.eps <= 0 {
			return fmt.Errorf("nn: Adam epsilon %v, want > 0", c.eps)
		}
	}
	return nil
}

// optState is an optimiser's state for one network: one slot per
// parameter slice (each layer's W and B).
type optState[T kernels.Float] struct {
	cfg    optConfig
	t      int   // steps taken
	s1, s2 [][]T // momentum velocity; Adam first and second moments
}

func newOptState[T kernels.Float](cfg optConfig, sizes []int) *optState[T] {
	o := &optState[T]{cfg: cfg}
	alloc := func() [][]T {
		s := make([][]T, len(sizes))
		for i, n := range sizes {
			s[i] = make([]T, n)
		}
		return s
	}
	switch cfg.kind {
	case optMomentum:
		o.s1 = alloc()
	case optAdam:
		o.s1, o.s2 = alloc(), alloc()
	}
	return o
}

// step applies one update to params[i] from grads[i], for every i, at
// the learning rate lr (the schedule's already applied). params and
// grads alternate W and B of each layer: weight decay applies to the
// even ones.
func (o *optState[T]) step(params, grads [][]T, lr float64) {
	o.t++
	c := o.cfg
	switch c.kind {
	case optSGD:
		lrT, wd := T(lr), T(c.wd)
		for i, p := range params {
			g := grads[i][:len(p)]
			if i%2 == 0 && c.wd != 0 {
				for j := range p {
					p[j] -= lrT * (g[j] + wd*p[j])
				}
				continue
			}
			for j := range p {
				p[j] -= lrT * g[j]
			}
		}
	case optMomentum:
		lrT, mu, wd := T(lr), T(c.mu), T(c.wd)
		for i, p := range params {
			g, v := grads[i][:len(p)], o.s1[i][:len(p)]
			if i%2 == 0 && c.wd != 0 {
				for j := range p {
					v[j] = mu*v[j] + (g[j] + wd*p[j])
					p[j] -= lrT * v[j]
				}
				continue
			}
			for j := range p {
				v[j] = mu*v[j] + g[j]
				p[j] -= lrT * v[j]
			}
		}
	case optAdam:
		if c.wd != 0 {
			decay(params, lr*c.wd)
		}
		// The vector kernel (kernels.AdamUpdate), an order of magnitude
		// faster than a scalar loop.
		k := kernels.NewAdamCoeffs[T](lr, c.b1, c.b2, c.eps, o.t)
		for i, p := range params {
			kernels.AdamUpdate(p, grads[i], o.s1[i], o.s2[i], k)
		}
	}
}

// decay multiplies the weights (the even slices of params) by 1 − f.
func decay[T kernels.Float](params [][]T, f float64) {
	s := T(1 - f)
	for i := 0; i < len(params); i += 2 {
		p := params[i]
		for j := range p {
			p[j] *= s
		}
	}
}

// clipNorm scales the gradients so that their global Euclidean norm is
// at most maxNorm, and returns the norm before clipping. The sum of
// squares runs in float64 over four partial sums in a fixed order, so
// that it is the same bits for any thread count.
func clipNorm[T kernels.Float](grads [][]T, maxNorm float64) float64 {
	norm := math.Sqrt(sumSquares(grads))
	if norm > maxNorm {
		s := T(maxNorm / norm)
		for _, g := range grads {
			for j := range g {
				g[j] *= s
			}
		}
	}
	return norm
}

func sumSquares[T kernels.Float](grads [][]T) float64 {
	var s0, s1, s2, s3 float64
	for _, g := range grads {
		j := 0
		for ; j+4 <= len(g); j += 4 {
			a, b, c, d := float64(g[j]), float64(g[j+1]), float64(g[j+2]), float64(g[j+3])
			s0 += a * a
			s1 += b * b
			s2 += c * c
			s3 += d * d
		}
		for ; j < len(g); j++ {
			a := float64(g[j])
			s0 += a * a
		}
	}
	return (s0 + s1) + (s2 + s3)
}

// reset forgets the optimiser's state, as if no step had been taken.
func (o *optState[T]) reset() {
	o.t = 0
	for _, s := range [][][]T{o.s1, o.s2} {
		for _, v := range s {
			clear(v)
		}
	}
}
