package kernels

import "math"

// AdamCoeffs are the scalars of one step of [AdamUpdate]: the decay rates
// β1 and β2, ε, and the step's bias corrections folded into Step =
// lr/(1−β1ᵗ) and Corr = 1/√(1−β2ᵗ). [NewAdamCoeffs] computes them.
type AdamCoeffs[T Float] struct {
	Beta1, Beta2, Eps T
	Step, Corr        T
}

// NewAdamCoeffs returns the coefficients of step t (counted from 1) of
// Adam with learning rate lr, decay rates beta1 and beta2 in [0, 1) and
// eps > 0. The corrections are computed in float64, then rounded to T.
func NewAdamCoeffs[T Float](lr, beta1, beta2, eps float64, t int) AdamCoeffs[T] {
	if t < 1 {
		panicf("Adam step t = %d, want ≥ 1", t)
	}
	if !(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1) {
		panicf("Adam betas %v, %v, want 0 ≤ β < 1", beta1, beta2)
	}
	return AdamCoeffs[T]{
		Beta1: T(beta1), Beta2: T(beta2), Eps: T(eps),
		Step: T(lr / (1 - math.Pow(beta1, float64(t)))),
		Corr: T(1 / math.Sqrt(1-math.Pow(beta2, float64(t)))),
	}
}

// AdamUpdate applies one step of Adam (Kingma and Ba) to the parameters p
// from their gradient g, updating the first and second moment estimates
// m and v, for every i < len(p):
//
//	m[i] = β1·m[i] + (1−β1)·g[i]
//	v[i] = β2·v[i] + ((1−β2)·g[i])·g[i]
//	p[i] = p[i] − (Step·m[i]) / (√v[i]·Corr + ε)
//
// Each operation is rounded to T, in this order and without fused
// multiply-adds, so the results are the same bits on every code path and
// architecture (NaN payloads aside). g, m and v need at least len(p)
// elements.
//
// Aliasing: p, m and v are written and may not share memory with one
// another or with g (a panic, before anything is written).
//
// A training loop keeps m and v (zero at first) with the parameters:
//
//	for t := 1; ; t++ {
//		// … g = the gradient of the loss …
//		kernels.AdamUpdate(w, g, m, v, kernels.NewAdamCoeffs[float32](0.001, 0.9, 0.999, 1e-8, t))
//	}
func AdamUpdate[T Float](p, g, m, v []T, c AdamCoeffs[T]) {
	n := len(p)
	checkLen("g", g, "p", n)
	checkLen("m", m, "p", n)
	checkLen("v", v, "p", n)
	if n == 0 {
		return
	}
	ps, gs, ms, vs := vecRegion("p", p, n), vecRegion("g", g, n), vecRegion("m", m, n), vecRegion("v", v, n)
	checkDisjoint(&ps, &gs)
	checkDisjoint(&ms, &gs)
	checkDisjoint(&vs, &gs)
	checkDisjoint(&ps, &ms)
	checkDisjoint(&ps, &vs)
	checkDisjoint(&ms, &vs)
	k := c.kernel()
	if raceEnabled { // the kernel may be assembly, which the detector does not see
		raceRead(g[:n])
		raceWrite(p)
		raceWrite(m[:n])
		raceWrite(v[:n])
	}
	opsFor[T](active).adam(p, g[:n], m[:n], v[:n], k)
}

// adamCoef is AdamCoeffs as the kernels read it: β1, 1−β1, β2, 1−β2,
// Corr, ε, Step. It is passed by value (a pointer through the ops
// function value would escape: an allocation a call).
type adamCoef[T Float] [7]T

// kernel returns c as the kernels read it.
func (c AdamCoeffs[T]) kernel() adamCoef[T] {
	return adamCoef[T]{c.Beta1, 1 - c.Beta1, c.Beta2, 1 - c.Beta2, c.Corr, c.Eps, c.Step}
}

// adamGeneric is AdamUpdate's loop. The conversions T(…) round each
// product on its own: Go may otherwise fuse a product into the next
// addition (it does on arm64), which the vector kernels do not.
func adamGeneric[T Float](p, g, m, v []T, k adamCoef[T]) {
	b1, c1, b2, c2, corr, eps, step := k[0], k[1], k[2], k[3], k[4], k[5], k[6]
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	for i, gi := range g {
		mi := T(b1*m[i]) + T(c1*gi)
		vi := T(b2*v[i]) + T(T(c2*gi)*gi)
		m[i], v[i] = mi, vi
		d := T(T(T(math.Sqrt(float64(vi)))*corr) + eps)
		p[i] -= T(step*mi) / d
	}
}

// adamVia returns adamGeneric done by asm (an assembly kernel, whose
// arguments are the slices and k's seven values) on whole vectors of
// block elements, in calls of at most chunk elements (so that a call is
// bounded), and by adamGeneric on the rest: the same bits, since both
// round every operation alone, in one order.
func adamVia[T Float](asm func(p, g, m, v []T, b1, c1, b2, c2, corr, eps, step T), block, chunk int) func(p, g, m, v []T, k adamCoef[T]) {
	return func(p, g, m, v []T, k adamCoef[T]) {
		g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
		for len(p) >= block {
			n := min(len(p), chunk) &^ (block - 1)
			asm(p[:n], g[:n], m[:n], v[:n], k[0], k[1], k[2], k[3], k[4], k[5], k[6])
			p, g, m, v = p[n:], g[n:], m[n:], v[n:]
		}
		adamGeneric(p, g, m, v, k)
	}
}
