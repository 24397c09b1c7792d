//go:build amd64 && gc && !purego

package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// Tests of the rows route's vector loops (rows_amd64.go): axpy, axpy4 and
// dot of each ISA this CPU has, against an accurate reference within the
// rounding bound and against the generic functions (the class of a
// result: NaN, ±Inf, finite), bit for bit against a Go model of the
// documented order of operations, and with guard bands around every
// operand: nothing outside dst is written, no input changes.

// rowsKit is one ISA's vector loops for T.
type rowsKit[T Float] struct {
	name  string
	vec   int // elements in a vector
	axpy  func(dst []T, alpha T, x []T)
	axpy4 func(dst []T, a0, a1, a2, a3 T, x0, x1, x2, x3 []T)
	dot   func(x, y []T) T
	// axpyZ and axpy4Z: axpy and axpy4 into zeros.
	axpyZ  func(dst []T, alpha T, x []T)
	axpy4Z func(dst []T, a0, a1, a2, a3 T, x0, x1, x2, x3 []T)
}

// rowsKits returns the kits of the ISAs this CPU has; axpy and dot come
// from the setters, as the paths get them.
func rowsKits[T Float]() []rowsKit[T] {
	var ks []any
	if is32[T]() {
		if hasAVX2 {
			o := genericOps[float32]()
			o.rowsKernels = avx2Rows32
			ks = append(ks, rowsKit[float32]{"avx2", 8, o.axpy, axpy4AVX2F32, o.dot, o.axpyZ, o.axpy4Z})
		}
		if hasAVX512 {
			o := genericOps[float32]()
			o.rowsKernels = avx512Rows32
			ks = append(ks, rowsKit[float32]{"avx512", 16, o.axpy, axpy4AVX512F32, o.dot, o.axpyZ, o.axpy4Z})
		}
	} else {
		if hasAVX2 {
			o := genericOps[float64]()
			o.rowsKernels = avx2Rows64
			ks = append(ks, rowsKit[float64]{"avx2", 4, o.axpy, axpy4AVX2F64, o.dot, o.axpyZ, o.axpy4Z})
		}
		if hasAVX512 {
			o := genericOps[float64]()
			o.rowsKernels = avx512Rows64
			ks = append(ks, rowsKit[float64]{"avx512", 8, o.axpy, axpy4AVX512F64, o.dot, o.axpyZ, o.axpy4Z})
		}
	}
	out := make([]rowsKit[T], len(ks))
	for i, k := range ks {
		out[i] = k.(rowsKit[T])
	}
	return out
}

// forRowsKits runs f for each kit of both types.
func forRowsKits(t *testing.T, f32 func(*testing.T, rowsKit[float32]), f64 func(*testing.T, rowsKit[float64])) {
	if !hasAVX2 && !hasAVX512 {
		t.Skip("neither AVX2+FMA nor AVX-512 on this CPU")
	}
	for _, k := range rowsKits[float32]() {
		t.Run(k.name+"/f32", func(t *testing.T) { f32(t, k) })
	}
	for _, k := range rowsKits[float64]() {
		t.Run(k.name+"/f64", func(t *testing.T) { f64(t, k) })
	}
}

// rowsLens are the lengths tested: every length 0 … 300 (every tail of
// every vector width, the blocks of 2 and 4 vectors), and around the
// chunks of one assembly call, of axpy and dot (rowsVecLen) and of axpy4
// (a quarter of it).
func rowsLens[T Float](long bool) []int {
	var lens []int
	for n := range 301 {
		lens = append(lens, n)
	}
	if long {
		c := rowsVecLen[T]()
		for _, base := range []int{c / 4, c} {
			lens = append(lens, base-1, base, base+1, base+17, 2*base+40)
		}
	}
	return dedup(lens)
}

// rowsOffsets are the (dst, x) offsets in elements from a buffer's start:
// aligned, and misaligned by different amounts.
var rowsOffsets = [][2]int{{0, 0}, {1, 3}, {3, 1}, {2, 2}}

const rowsGuard = 24 // guard elements on each side of an operand

// rowsBuf is an operand of n elements at offset off inside a buffer whose
// other elements are guard values.
type rowsBuf[T Float] struct {
	buf []T
	lo  int
	n   int
}

func newRowsBuf[T Float](n, off int) *rowsBuf[T] {
	b := &rowsBuf[T]{buf: make([]T, rowsGuard+off+n+rowsGuard), lo: rowsGuard + off, n: n}
	for i := range b.buf {
		b.buf[i] = guard[T]()
	}
	return b
}

func (b *rowsBuf[T]) s() []T { return b.buf[b.lo : b.lo+b.n : b.lo+b.n] }

// checkGuard reports any guard element that changed.
func (b *rowsBuf[T]) checkGuard(e *errs, what string) {
	for i, v := range b.buf {
		if (i < b.lo || i >= b.lo+b.n) && bitsOf(v) != bitsOf(guard[T]()) {
			e.add("%s: element %d outside the slice (offset %d, len %d) written: %s", what, i-b.lo, b.lo-rowsGuard, b.n, fmtBits(v))
			return
		}
	}
}

// rowsFill fills s with values in [−1, 1) and, when special, now and then
// a special value (NaN, ±Inf, ±0, denormals, the extremes).
func rowsFill[T Float](s []T, r interface{ IntN(int) int }, rnd func() T, special bool, tab []T) {
	for i := range s {
		s[i] = rnd()
		if special && r.IntN(25) == 0 {
			s[i] = tab[r.IntN(len(tab))]
		}
	}
}

// rowsAlphas are the α of the axpy tests: ordinary, zero of both signs
// (0·Inf = NaN still), ±Inf, NaN, tiny and huge.
func rowsAlphas[T Float]() []T {
	return []T{-0.75, 0, T(math.Copysign(0, -1)), 1, T(math.Inf(1)), T(math.Inf(-1)), T(math.NaN()), 1e-30, T(maxFinite[T]() / 2)}
}

// rowsHuge reports whether a·b is finite but near or past T's largest
// value: a float64 reference of a float64 sum with it may overflow where
// the exact sum does not.
func rowsHuge[T Float](a, b T) bool {
	p := math.Abs(float64(a)) * math.Abs(float64(b))
	return !math.IsInf(float64(a), 0) && !math.IsInf(float64(b), 0) && !(p < maxFinite[T]()/4)
}

// rowsSameClass checks got against the generic result ref: both within the
// bound of the exact sum a, so of the same class unless a partial sum may
// overflow (then FMA and the generic rounding may differ: a·x = Inf in
// the generic code, finite inside an FMA).
func rowsSameClass[T Float](got, ref T, a *acc) string {
	if overflowRisk[T](a) {
		return ""
	}
	if classOf(float64(got)) != classOf(float64(ref)) {
		return fmt.Sprintf("got %s, generic %s", fmtBits(got), fmtBits(ref))
	}
	return ""
}

func TestRowsAxpy(t *testing.T) {
	forRowsKits(t, testRowsAxpy[float32], testRowsAxpy[float64])
}

func testRowsAxpy[T Float](t *testing.T, k rowsKit[T]) {
	r := newRand(101)
	rnd := func() T { return randVal[T](r) }
	tab := specials[T]()
	e := &errs{tb: t, what: "axpy"}
	defer e.done()
	for _, n := range rowsLens[T](true) {
		offs := rowsOffsets
		if n > 300 {
			offs = offs[:2]
		}
		for _, off := range offs {
			for ai, alpha := range rowsAlphas[T]() {
				special := ai%2 == 1
				if n > 300 && ai > 2 {
					break
				}
				d, x := newRowsBuf[T](n, off[0]), newRowsBuf[T](n, off[1])
				rowsFill(d.s(), r, rnd, special, tab)
				rowsFill(x.s(), r, rnd, special, tab)
				d0 := append([]T(nil), d.s()...)
				x0 := append([]T(nil), x.s()...)
				ref := append([]T(nil), d0...)
				axpyGeneric(ref, alpha, x0)

				k.axpy(d.s(), alpha, x.s())

				what := fmt.Sprintf("n=%d off=%v α=%v", n, off, alpha)
				d.checkGuard(e, what+": dst")
				x.checkGuard(e, what+": x")
				checkSameBits(t, what+": x", x.s(), x0)
				for i, got := range d.s() {
					var a acc
					a.add(float64(d0[i]))
					a.addProd(float64(alpha), float64(x0[i]))
					if rowsHuge(alpha, x0[i]) {
						continue
					}
					if msg := sumErr(got, &a); msg != "" {
						e.add("%s: [%d]: %s", what, i, msg)
					} else if msg := rowsSameClass(got, ref[i], &a); msg != "" {
						e.add("%s: [%d]: %s", what, i, msg)
					}
				}
			}
		}
	}
}

func TestRowsAxpy4(t *testing.T) {
	forRowsKits(t, testRowsAxpy4[float32], testRowsAxpy4[float64])
}

// rowsCase4 is a case of the four-row tests: a length, the offsets of
// dst and of the rows, four coefficients (special ones now and then), and
// four filled rows with copies of their values.
type rowsCase4[T Float] struct {
	n       int
	off     [2]int
	special bool
	a       [4]T
	xs      [4]*rowsBuf[T]
	x0s     [4][]T
}

func (c *rowsCase4[T]) what() string { return fmt.Sprintf("n=%d off=%v α=%v", c.n, c.off, c.a) }

// forRowsCases4 runs f on every case of the four-row tests: the lengths
// of rowsLens, the offsets of rowsOffsets (the first two only above 300
// elements), plain and special values.
func forRowsCases4[T Float](r *rand.Rand, f func(c *rowsCase4[T])) {
	rnd := func() T { return randVal[T](r) }
	tab := specials[T]()
	alphas := rowsAlphas[T]()
	for _, n := range rowsLens[T](true) {
		offs := rowsOffsets
		if n > 300 {
			offs = offs[:2]
		}
		for oi, off := range offs {
			for _, special := range []bool{false, true} {
				c := &rowsCase4[T]{n: n, off: off, special: special}
				for j := range c.a {
					c.a[j] = -0.75 + T(j)/3
					if special {
						c.a[j] = alphas[r.IntN(len(alphas))]
					}
				}
				for j := range c.xs {
					c.xs[j] = newRowsBuf[T](n, (off[1]+j*oi)%4)
					rowsFill(c.xs[j].s(), r, rnd, special, tab)
					c.x0s[j] = append([]T(nil), c.xs[j].s()...)
				}
				f(c)
			}
		}
	}
}

// checkRows checks the guard bands around the rows and that their values
// did not change.
func (c *rowsCase4[T]) checkRows(t *testing.T, e *errs) {
	for j := range c.xs {
		c.xs[j].checkGuard(e, fmt.Sprintf("%s: x%d", c.what(), j))
		checkSameBits(t, fmt.Sprintf("%s: x%d", c.what(), j), c.xs[j].s(), c.x0s[j])
	}
}

// testRowsAxpy4 checks axpy4 bit for bit against its four axpy calls, and
// against the accurate sum within the bound.
func testRowsAxpy4[T Float](t *testing.T, k rowsKit[T]) {
	r := newRand(102)
	rnd := func() T { return randVal[T](r) }
	tab := specials[T]()
	e := &errs{tb: t, what: "axpy4"}
	defer e.done()
	forRowsCases4(r, func(c *rowsCase4[T]) {
		a, xs, x0s := c.a, c.xs, c.x0s
		d := newRowsBuf[T](c.n, c.off[0])
		rowsFill(d.s(), r, rnd, c.special, tab)
		d0 := append([]T(nil), d.s()...)
		want := append([]T(nil), d0...)
		for j := range 4 {
			k.axpy(want, a[j], x0s[j])
		}

		k.axpy4(d.s(), a[0], a[1], a[2], a[3], xs[0].s(), xs[1].s(), xs[2].s(), xs[3].s())

		what := c.what()
		d.checkGuard(e, what+": dst")
		c.checkRows(t, e)
		for i, got := range d.s() {
			if bitsOf(got) != bitsOf(want[i]) {
				e.add("%s: [%d] = %s, four axpy give %s", what, i, fmtBits(got), fmtBits(want[i]))
				continue
			}
			var s acc
			s.add(float64(d0[i]))
			huge := false
			for j := range 4 {
				s.addProd(float64(a[j]), float64(x0s[j][i]))
				huge = huge || rowsHuge[T](a[j], x0s[j][i])
			}
			if huge { // the reference's float64 product may overflow
				continue
			}
			if msg := sumErr(got, &s); msg != "" {
				e.add("%s: [%d]: %s", what, i, msg)
			}
		}
	})
}

func TestRowsZero(t *testing.T) {
	forRowsKits(t, testRowsZero[float32], testRowsZero[float64])
}

// testRowsZero checks axpyZ and axpy4Z bit for bit against clear(dst)
// then axpy and axpy4, over a dst of anything (NaNs, infinities, −0: its
// values must not matter), with guard bands and the inputs unchanged;
// and that a −0 product gives +0, as −0 + +0 does.
func testRowsZero[T Float](t *testing.T, k rowsKit[T]) {
	r := newRand(105)
	rnd := func() T { return randVal[T](r) }
	tab := specials[T]()
	e := &errs{tb: t, what: "axpyZ"}
	defer e.done()
	forRowsCases4(r, func(c *rowsCase4[T]) {
		a, xs, x0s, n := c.a, c.xs, c.x0s, c.n
		want, want4 := make([]T, n), make([]T, n)
		k.axpy(want, a[0], x0s[0])
		k.axpy4(want4, a[0], a[1], a[2], a[3], x0s[0], x0s[1], x0s[2], x0s[3])
		for _, four := range []bool{false, true} {
			d := newRowsBuf[T](n, c.off[0])
			rowsFill(d.s(), r, rnd, true, tab) // garbage, specials included
			wantd := want
			if four {
				wantd = want4
				k.axpy4Z(d.s(), a[0], a[1], a[2], a[3], xs[0].s(), xs[1].s(), xs[2].s(), xs[3].s())
			} else {
				k.axpyZ(d.s(), a[0], xs[0].s())
			}
			what := fmt.Sprintf("four=%v %s", four, c.what())
			d.checkGuard(e, what+": dst")
			c.checkRows(t, e)
			for i, got := range d.s() {
				if bitsOf(got) != bitsOf(wantd[i]) {
					e.add("%s: [%d] = %s, clear then axpy give %s", what, i, fmtBits(got), fmtBits(wantd[i]))
				}
			}
		}
	})
	// A −0 product: fma(α, x, +0) = +0, where α·x alone is −0.
	negZero := T(math.Copysign(0, -1))
	for _, n := range []int{1, k.vec, 4*k.vec + 3} {
		x, d := make([]T, n), make([]T, n)
		for i := range x {
			x[i], d[i] = negZero, T(math.NaN())
		}
		k.axpyZ(d, 2, x)
		for i, v := range d {
			if bitsOf(v) != bitsOf(T(0)) {
				e.add("axpyZ(−0·2) n=%d: [%d] = %s, want +0", n, i, fmtBits(v))
			}
		}
		for i := range d {
			d[i] = T(math.Inf(-1))
		}
		k.axpy4Z(d, 2, 3, 4, 5, x, x, x, x)
		for i, v := range d {
			if bitsOf(v) != bitsOf(T(0)) {
				e.add("axpy4Z(−0·…) n=%d: [%d] = %s, want +0", n, i, fmtBits(v))
			}
		}
	}
}

func TestRowsDot(t *testing.T) {
	forRowsKits(t, testRowsDot[float32], testRowsDot[float64])
}

func testRowsDot[T Float](t *testing.T, k rowsKit[T]) {
	r := newRand(103)
	rnd := func() T { return randVal[T](r) }
	tab := sumSpecials[T]()
	e := &errs{tb: t, what: "dot"}
	defer e.done()
	for _, n := range rowsLens[T](true) {
		offs := rowsOffsets
		if n > 300 {
			offs = offs[:2]
		}
		for _, off := range offs {
			for _, special := range []bool{false, true} {
				x, y := newRowsBuf[T](n, off[0]), newRowsBuf[T](n, off[1])
				rowsFill(x.s(), r, rnd, special, tab)
				rowsFill(y.s(), r, rnd, special, tab)
				x0 := append([]T(nil), x.s()...)
				y0 := append([]T(nil), y.s()...)

				got := k.dot(x.s(), y.s())

				what := fmt.Sprintf("n=%d off=%v special=%v", n, off, special)
				x.checkGuard(e, what+": x")
				y.checkGuard(e, what+": y")
				checkSameBits(t, what+": x", x.s(), x0)
				checkSameBits(t, what+": y", y.s(), y0)
				var s acc
				for i := range n {
					s.addProd(float64(x0[i]), float64(y0[i]))
				}
				if msg := sumErr(got, &s); msg != "" {
					e.add("%s: %s", what, msg)
				} else if msg := rowsSameClass(got, dotGeneric(x0, y0), &s); msg != "" {
					e.add("%s: %s", what, msg)
				}
				if again := k.dot(x.s(), y.s()); bitsOf(again) != bitsOf(got) {
					e.add("%s: %s, then %s", what, fmtBits(got), fmtBits(again))
				}
			}
		}
	}
}

// TestRowsModel checks axpy and dot bit for bit against a Go model of the
// order of operations their comments document: every element of axpy
// rounded once (FMA), the tail's too, and the partial sums of dot and the
// order they are added in. Go has no float32
// FMA, so the float32 inputs have 12-bit significands: their products are
// exact in float32, and fma(a, b, c) is a·b + c in float32. The float64
// inputs are arbitrary, with math.FMA.
func TestRowsModel(t *testing.T) {
	forRowsKits(t, func(t *testing.T, k rowsKit[float32]) {
		r := newRand(104)
		v12 := func() float32 { // ±m·2^−e, m < 2^12
			return float32(r.IntN(8191)-4095) * float32(math.Ldexp(1, -r.IntN(24)))
		}
		testRowsModel(t, k, v12, func(a, b, c float32) float32 { return a*b + c })
	}, func(t *testing.T, k rowsKit[float64]) {
		r := newRand(105)
		testRowsModel(t, k, func() float64 { return randVal[float64](r) * math.Ldexp(1, -r.IntN(24)) }, math.FMA)
	})
}

func testRowsModel[T Float](t *testing.T, k rowsKit[T], rnd func() T, fma func(a, b, c T) T) {
	e := &errs{tb: t, what: "model"}
	defer e.done()
	for _, n := range rowsLens[T](true) {
		x, y := make([]T, n), make([]T, n)
		for i := range n {
			x[i], y[i] = rnd(), rnd()
		}
		if got, want := k.dot(x, y), rowsDotModel(k, x, y, fma); bitsOf(got) != bitsOf(want) {
			e.add("dot n=%d: %s, model %s", n, fmtBits(got), fmtBits(want))
		}
		alpha := rnd()
		got := append([]T(nil), y...)
		k.axpy(got, alpha, x)
		for i := range n {
			if want := fma(alpha, x[i], y[i]); bitsOf(got[i]) != bitsOf(want) {
				e.add("axpy n=%d: [%d] = %s, model %s", n, i, fmtBits(got[i]), fmtBits(want))
				break
			}
		}
	}
}

// rowsDotModel is dot as the comments of the wrappers and of the
// assembly document it.
func rowsDotModel[T Float](k rowsKit[T], x, y []T, fma func(a, b, c T) T) T {
	asm := func(x, y []T) T { // dotAsm…
		l := k.vec
		acc := make([][]T, 4)
		for v := range acc {
			acc[v] = make([]T, l)
		}
		n4 := len(x) &^ (4*l - 1)
		for i := range n4 {
			acc[i%(4*l)/l][i%l] = fma(x[i], y[i], acc[i%(4*l)/l][i%l])
		}
		nv := len(x) &^ (l - 1)
		for i := n4; i < nv; i++ {
			acc[0][i%l] = fma(x[i], y[i], acc[0][i%l])
		}
		for i := nv; i < len(x); i++ { // the masked tail
			acc[1][i%l] = fma(x[i], y[i], acc[1][i%l])
		}
		for j := range l {
			acc[0][j] += acc[1][j]
			acc[2][j] += acc[3][j]
			acc[0][j] += acc[2][j]
		}
		for h := l / 2; h >= 1; h /= 2 {
			for j := range h {
				acc[0][j] += acc[0][j+h]
			}
		}
		return acc[0][0]
	}
	var s T
	for c := rowsVecLen[T](); len(x) > c; x, y = x[c:], y[c:] {
		s += asm(x[:c], y[:c])
	}
	return s + asm(x, y)
}

// TestRowsPieces checks that axpy and axpy4 of a slice are, bit for bit,
// axpy and axpy4 of its pieces cut anywhere (every element is rounded by
// the same FMA, the tail's too): the caller may cut its columns into
// chunks of any width without changing a result.
func TestRowsPieces(t *testing.T) {
	forRowsKits(t, testRowsPieces[float32], testRowsPieces[float64])
}

func testRowsPieces[T Float](t *testing.T, k rowsKit[T]) {
	r := newRand(106)
	e := &errs{tb: t, what: "pieces"}
	defer e.done()
	for _, n := range []int{1, 7, 33, 100, 255, 256, 300, rowsVecLen[T]() + 77} {
		var xs [4][]T
		for j := range xs {
			xs[j] = make([]T, n)
			rowsFill(xs[j], r, func() T { return randVal[T](r) }, false, nil)
		}
		d0 := make([]T, n)
		rowsFill(d0, r, func() T { return randVal[T](r) }, false, nil)
		a := [4]T{randVal[T](r), randVal[T](r), randVal[T](r), randVal[T](r)}
		whole := append([]T(nil), d0...)
		k.axpy(whole, a[0], xs[0])
		whole4 := append([]T(nil), d0...)
		k.axpy4(whole4, a[0], a[1], a[2], a[3], xs[0], xs[1], xs[2], xs[3])
		for range 5 {
			cut := r.IntN(n + 1)
			pieces := append([]T(nil), d0...)
			k.axpy(pieces[:cut], a[0], xs[0][:cut])
			k.axpy(pieces[cut:], a[0], xs[0][cut:])
			pieces4 := append([]T(nil), d0...)
			k.axpy4(pieces4[:cut], a[0], a[1], a[2], a[3], xs[0], xs[1], xs[2], xs[3])
			k.axpy4(pieces4[cut:], a[0], a[1], a[2], a[3], xs[0][cut:], xs[1][cut:], xs[2][cut:], xs[3][cut:])
			for i := range n {
				if bitsOf(pieces[i]) != bitsOf(whole[i]) {
					e.add("axpy n=%d cut at %d: [%d] = %s, whole %s", n, cut, i, fmtBits(pieces[i]), fmtBits(whole[i]))
					break
				}
				if bitsOf(pieces4[i]) != bitsOf(whole4[i]) {
					e.add("axpy4 n=%d cut at %d: [%d] = %s, whole %s", n, cut, i, fmtBits(pieces4[i]), fmtBits(whole4[i]))
					break
				}
			}
		}
	}
}

// TestRowsNoAlloc checks that the wrappers allocate nothing.
func TestRowsNoAlloc(t *testing.T) {
	forRowsKits(t, testRowsNoAlloc[float32], testRowsNoAlloc[float64])
}

func testRowsNoAlloc[T Float](t *testing.T, k rowsKit[T]) {
	n := 2*rowsVecLen[T]() + 13
	d, x := make([]T, n), make([]T, n)
	var s T
	if allocs := testing.AllocsPerRun(10, func() {
		k.axpy(d, 0.5, x)
		k.axpy4(d, 1, 2, 3, 4, x, x, x, x)
		s += k.dot(d, x)
	}); allocs != 0 {
		t.Errorf("%v allocations per run", allocs)
	}
}

// BenchmarkRows measures the rows route's loops on the shape of a batch
// of one, x·W with W 1024×1024 (4 MiB of float32: in L3, not L2), at the
// same flops (2·1024·1024 a run) and bytes of W each:
//
//   - axpy/rows: acc[0:1024] += x[p]·W[p, :] for each row p;
//   - axpy/chunks: runRows's order, 256-column chunks of W (1 KiB of a 4
//     KiB row per call), acc[0:256] += x[p]·W[p, jc:jc+256];
//   - axpy4/rows, axpy4/chunks: the same four rows per call;
//   - dot: 1024 dots of length 1024 with the rows of W (B transposed).
//
// GFLOPS counts 2 flops a multiply-add; GB/s the bytes of W.
func BenchmarkRows(b *testing.B) {
	b.Run("f32", func(b *testing.B) { benchRows[float32](b) })
	b.Run("f64", func(b *testing.B) { benchRows[float64](b) })
}

func benchRows[T Float](b *testing.B) {
	const m, n, chunk = 1024, 1024, 256
	r := newRand(7)
	w, x, acc := make([]T, m*n), make([]T, m), make([]T, n)
	for i := range w {
		w[i] = randVal[T](r)
	}
	for i := range x {
		x[i] = randVal[T](r)
	}
	type kit struct {
		name  string
		axpy  func(dst []T, alpha T, x []T)
		axpy4 func(dst []T, a0, a1, a2, a3 T, x0, x1, x2, x3 []T)
		dot   func(x, y []T) T
	}
	kits := []kit{{"generic", axpyGeneric[T], rowsAxpy4Ref[T], dotGeneric[T]}}
	for _, k := range rowsKits[T]() {
		kits = append(kits, kit{k.name, k.axpy, k.axpy4, k.dot})
	}
	report := func(b *testing.B) {
		sec := b.Elapsed().Seconds() / float64(b.N)
		b.ReportMetric(2*m*n/sec/1e9, "GFLOPS")
		b.ReportMetric(float64(len(w))*float64(rowsSizeOf[T]())/sec/1e9, "GB/s")
	}
	for _, k := range kits {
		b.Run("axpy/rows/"+k.name, func(b *testing.B) {
			for b.Loop() {
				clear(acc)
				for p := range m {
					k.axpy(acc, x[p], w[p*n:(p+1)*n])
				}
			}
			report(b)
		})
		b.Run("axpy/chunks/"+k.name, func(b *testing.B) {
			a := acc[:chunk]
			for b.Loop() {
				for jc := 0; jc < n; jc += chunk {
					clear(a)
					for p := range m {
						k.axpy(a, x[p], w[p*n+jc:p*n+jc+chunk])
					}
				}
			}
			report(b)
		})
		b.Run("axpy4/rows/"+k.name, func(b *testing.B) {
			for b.Loop() {
				clear(acc)
				for p := 0; p < m; p += 4 {
					k.axpy4(acc, x[p], x[p+1], x[p+2], x[p+3],
						w[p*n:(p+1)*n], w[(p+1)*n:(p+2)*n], w[(p+2)*n:(p+3)*n], w[(p+3)*n:(p+4)*n])
				}
			}
			report(b)
		})
		b.Run("axpy4/chunks/"+k.name, func(b *testing.B) {
			a := acc[:chunk]
			for b.Loop() {
				for jc := 0; jc < n; jc += chunk {
					clear(a)
					for p := 0; p < m; p += 4 {
						o := p*n + jc
						k.axpy4(a, x[p], x[p+1], x[p+2], x[p+3],
							w[o:o+chunk], w[o+n:o+n+chunk], w[o+2*n:o+2*n+chunk], w[o+3*n:o+3*n+chunk])
					}
				}
			}
			report(b)
		})
		b.Run("dot/"+k.name, func(b *testing.B) {
			for b.Loop() {
				for j := range n {
					acc[j] = k.dot(x, w[j*m:(j+1)*m])
				}
			}
			report(b)
		})
	}
}

// rowsAxpy4Ref is four axpyGeneric calls, for the benchmark.
func rowsAxpy4Ref[T Float](dst []T, a0, a1, a2, a3 T, x0, x1, x2, x3 []T) {
	axpyGeneric(dst, a0, x0[:len(dst)])
	axpyGeneric(dst, a1, x1[:len(dst)])
	axpyGeneric(dst, a2, x2[:len(dst)])
	axpyGeneric(dst, a3, x3[:len(dst)])
}

func rowsSizeOf[T Float]() int {
	if is32[T]() {
		return 4
	}
	return 8
}

// BenchmarkRowsStart measures the start of the rows route's chains into a
// fresh C, on the shape of dW = xᵀ·dz from a batch of one (an outer
// product: row i of dW is x[i]·dz, with dW in L3 for 1024×1024 and in
// L2 for 784×256), on each ISA: "clear" is clear(row) then axpy, as the
// rows route did, "zero" axpyZ, the same bits in one pass over the row.
// GB/s counts the bytes of dW written:
//
//	go test -run '^$' -bench RowsStart -cpu 1
func BenchmarkRowsStart(b *testing.B) {
	for _, s := range [][2]int{{1024, 1024}, {784, 256}} {
		m, n := s[0], s[1]
		r := newRand(8)
		dw, x, dz := make([]float32, m*n), make([]float32, m), make([]float32, n)
		for i := range x {
			x[i] = randVal[float32](r)
		}
		for i := range dz {
			dz[i] = randVal[float32](r)
		}
		report := func(b *testing.B) {
			b.ReportMetric(float64(4*m*n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
		}
		for _, k := range rowsKits[float32]() {
			name := fmt.Sprintf("%dx%d/%s/", m, n, k.name)
			b.Run(name+"clear", func(b *testing.B) {
				for b.Loop() {
					for i := range m {
						row := dw[i*n : (i+1)*n]
						clear(row)
						k.axpy(row, x[i], dz)
					}
				}
				report(b)
			})
			b.Run(name+"zero", func(b *testing.B) {
				for b.Loop() {
					for i := range m {
						k.axpyZ(dw[i*n:(i+1)*n], x[i], dz)
					}
				}
				report(b)
			})
		}
	}
}

// BenchmarkRowsForward runs the fused forward pass of a batch of one,
// 1×1024×1024 (bias, R and the mask), which takes the rows route, on each
// path as it is ("as-is") and with the table's rows kernels put in
// ("rows"), in GFLOPS. Run it single threaded:
//
//	go test -run '^$' -bench RowsForward -cpu 1
func BenchmarkRowsForward(b *testing.B) {
	const m, k, n = 1, 1024, 1024
	for _, p := range impls {
		q := *p
		switch p.name {
		case "avx2":
			q.f32.rowsKernels, q.f64.rowsKernels = avx2Rows32, avx2Rows64
		case "avx512":
			q.f32.rowsKernels, q.f64.rowsKernels = avx512Rows32, avx512Rows64
		default:
			continue
		}
		for _, v := range []struct {
			name string
			p    *impl
		}{{"as-is", p}, {"rows", &q}} {
			b.Run(fmt.Sprintf("f32/%s/%s", p.name, v.name), func(b *testing.B) {
				benchRowsForward[float32](b, v.p, m, k, n)
			})
		}
	}
}

func benchRowsForward[T Float](b *testing.B, p *impl, m, k, n int) {
	r := newRand(1)
	x, w, bias := make([]T, m*k), make([]T, k*n), make([]T, n)
	for _, s := range [][]T{x, w, bias} {
		for i := range s {
			s[i] = randVal[T](r)
		}
	}
	out, mask := make([]T, m*n), NewMask(m, n)
	b.ReportAllocs()
	for b.Loop() {
		forward(p, m, k, n, x, k, w, n, bias, out, n, nil, 0, mask, true)
	}
	b.ReportMetric(2*float64(m*k*n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOPS")
}
