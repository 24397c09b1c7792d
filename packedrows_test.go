package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestPackedRows: a job of few rows on a PackedW takes the rows route over
// the packed panels (ops.packedRows, packedRowsItem) where the path has
// it, and must give the register tiles' bits: Forward's R, Z and mask and
// Backward's dX (plain and accumulated) against the same calls with the
// route off, with NaN payloads, ±Inf, ±0 and denormals among the
// operands; every row count up to the route's limit and past it, K across
// the packing's K blocks and N across its column blocks (the small
// blocking), one and three threads; guard bands around the outputs.
func TestPackedRows(t *testing.T) {
	forEachPathBlocks(t, testPackedRows[float32], testPackedRows[float64])
}

// withoutPackedRows is p with the rows route over packed panels off: jobs
// on a PackedW take the register tiles whatever their rows.
func withoutPackedRows(p *impl) *impl {
	q := *p
	q.name = p.name + "/tiles"
	q.f32.packedRows, q.f64.packedRows = nil, nil
	return &q
}

func testPackedRows[T Float](t *testing.T, p *impl) {
	o := opsFor[T](p)
	if o.packedRows == nil {
		t.Skipf("%s has no packedRows for this type", p.name)
	}
	bl := blocksFor[T](p)
	nr := o.nr
	ks := []int{0, 1, 7, 40, bl.kc + 3}
	ns := []int{1, nr - 1, nr + 1, 3*nr + 5, 130}
	if testing.Short() {
		ks, ns = []int{0, 7, bl.kc + 3}, []int{nr - 1, 3*nr + 5, 130}
	}
	r := newRand(77)
	idx := 0
	for m := 1; m <= o.limits.packedRowsBelow+1; m++ {
		for _, k := range ks {
			for _, n := range ns {
				idx++
				checkPackedRows[T](t, p, r, m, k, n, idx, 1+2*(idx%2), nil)
				if t.Failed() {
					return
				}
			}
		}
	}
}

// checkPackedRows runs one case of TestPackedRows on path p: m×k×n, its
// layouts and options from idx, X, W, the bias and dR random with one
// value in twelve special (or, with special, as applySpecials puts them);
// nothing on a path without the route for T.
func checkPackedRows[T Float](t *testing.T, p *impl, r *rand.Rand, m, k, n, idx, threads int, special []byte) {
	t.Helper()
	if opsFor[T](p).packedRows == nil {
		return // the path has no route over the panels for T
	}
	off := withoutPackedRows(p)
	sp := specials[T]()
	oneIn := 12 // specials at random, unless the fuzzer places them
	if special != nil {
		oneIn = 0
	}
	fill := func(mt *mat[T]) *mat[T] { return fillSpecial(mt, r, sp, oneIn) }
	x := fill(newMat[T](m, k, lay(idx)))
	w := fill(newMat[T](k, n, lay(idx+1)))
	bias := fill(newMat[T](1, n, lay(idx+2)))
	dr := fill(newMat[T](m, n, lay(idx+3)))
	applySpecials(special, sp, x, w, bias, dr)
	xs, ws, bs, drs := x.clone(), w.clone(), bias.clone(), dr.clone()
	// A PackedW serves the path that packed it: one each.
	pws := map[*impl]*PackedW[T]{}
	for _, path := range []*impl{p, off} {
		withPath(path, func() { pws[path] = PackW(k, n, w.arg(), w.ldArg()) })
	}
	what := fmt.Sprintf("%d×%d×%d, %d threads, on %s", m, k, n, threads, p.name)
	forward := func(path *impl) (rr, z *mat[T], mask Mask) {
		rr, z = newMat[T](m, n, lay(idx+4)), newMat[T](m, n, lay(idx+5))
		mask = NewMask(m, n)
		a := &ForwardArgs[T]{M: m, K: k, N: n, X: x.arg(), LdX: x.ldArg(), PW: pws[path],
			R: rr.arg(), LdR: rr.ldArg(), Z: z.arg(), LdZ: z.ldArg(), Mask: mask, Threads: threads}
		if idx%3 != 0 {
			a.Bias = bias.arg()
		}
		if idx%4 == 0 {
			a.Z, a.LdZ = nil, 0
		}
		withPath(path, func() { Forward(a) })
		return
	}
	gotR, gotZ, gotM := forward(p)
	wantR, wantZ, wantM := forward(off)
	checkSameForward(t, what, " against the tiles", gotR, gotZ, gotM, wantR, wantZ, wantM)
	// dX = dZ·Wᵀ from the PackedW, written and accumulated.
	for _, accum := range []bool{false, true} {
		start := fill(newMat[T](m, k, lay(idx+6)))
		backward := func(path *impl) *mat[T] {
			dx := start.clone()
			a := &BackwardArgs[T]{M: m, K: k, N: n, PW: pws[path], DR: dr.arg(), LdDR: dr.ldArg(), Mask: gotM,
				DX: dx.arg(), LdDX: dx.ldArg(), Accumulate: accum, Threads: threads}
			withPath(path, func() { Backward(a) })
			return dx
		}
		got, want := backward(p), backward(off)
		got.checkGuard(t, what+": DX")
		checkSameBits(t, fmt.Sprintf("%s: DX (accumulate %v) against the tiles", what, accum), got.buf, want.buf)
	}
	x.unchanged(t, what+": X", xs)
	w.unchanged(t, what+": W", ws)
	bias.unchanged(t, what+": Bias", bs)
	dr.unchanged(t, what+": DR", drs)
}

// FuzzPackedRows is TestPackedRows on the fuzzer's cases: M up to 19
// (the route's limits and past them), N and K as fuzzDims gives them,
// options: bit 0 float64, 1 smallBlocks, 2 three threads, the rest the
// layouts and flags (checkPackedRows's idx); special values go into X,
// W, the bias and dR. The route's sums are checked against the tiles'
// bit for bit; the tiles are checked against the reference elsewhere.
func FuzzPackedRows(f *testing.F) {
	for i, m := range []uint8{1, 2, 3, 4, 5, 8, 11, 12, 13} {
		for j, nk := range [][2]uint8{{1, 0}, {15, 1}, {16, 7}, {17, 8}, {64, 9}, {65, 17}, {33, 71}} {
			f.Add(m, nk[0], nk[1], uint32(i*7+j*3), uint64(i*16+j), []byte(nil))
		}
		f.Add(m, uint8(40), uint8(20), uint32(i)|2, uint64(i), []byte{0, 3, 0, 1, 5, 1, 2, 9, 9, 3, 1, 2})
	}
	f.Fuzz(func(t *testing.T, m8, n8, k8 uint8, opts uint32, seed uint64, special []byte) {
		_, n, k := fuzzDims(0, n8, k8)
		m := int(m8) % 20
		if m == 0 {
			m = 1
		}
		threads := 1 + 2*int(opts>>2&1)
		for _, p := range fuzzPaths(opts&2 != 0) {
			if opts&1 == 0 {
				checkPackedRows[float32](t, p, newRand(seed), m, k, n, int(opts>>3), threads, special)
			} else {
				checkPackedRows[float64](t, p, newRand(seed), m, k, n, int(opts>>3), threads, special)
			}
		}
	})
}

// BenchmarkPackedRowsRoute: a Forward on a PackedW of a few rows on the
// rows route over the packed panels against the register tiles (the
// route off), for the limit in routeLimits.packedRowsBelow (TUNING.md).
func BenchmarkPackedRowsRoute(b *testing.B) {
	for _, m := range []int{1, 2, 3, 4, 8, 11, 12, 16} {
		for _, route := range []bool{true, false} {
			name := fmt.Sprintf("f32/%dx784x256/tiles", m)
			if route {
				name = fmt.Sprintf("f32/%dx784x256/rows", m)
			}
			b.Run(name, func(b *testing.B) {
				if !route {
					setPath(b, withoutPackedRows(active))
				}
				r := rand.New(rand.NewPCG(1, 2))
				a := &ForwardArgs[float32]{M: m, K: 784, N: 256,
					X: benchRand[float32](m*784, r), Bias: benchRand[float32](256, r),
					R: make([]float32, m*256), Mask: NewMask(m, 256), Threads: 1}
				a.PW = PackW(784, 256, benchRand[float32](784*256, r), 0)
				Forward(a)
				b.ReportAllocs()
				for b.Loop() {
					Forward(a)
				}
				reportGFLOPS(b, 2*float64(m)*784*256)
			})
		}
	}
}
