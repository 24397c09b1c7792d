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
	for _, p := range impls {
		for _, q := range []*impl{p, smallBlocks(p)} {
			t.Run(q.name, func(t *testing.T) {
				t.Run("f32", func(t *testing.T) { testPackedRows[float32](t, q) })
				t.Run("f64", func(t *testing.T) { testPackedRows[float64](t, q) })
			})
		}
	}
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
	off := withoutPackedRows(p)
	bl := blocksFor[T](p)
	nr := o.nr
	below := o.limits.packedRowsBelow
	ks := []int{0, 1, 7, 40, bl.kc + 3}
	ns := []int{1, nr - 1, nr + 1, 3*nr + 5, 130}
	if testing.Short() {
		ks, ns = []int{0, 7, bl.kc + 3}, []int{nr - 1, 3*nr + 5, 130}
	}
	sp := specials[T]()
	r := newRand(77)
	fillSpecial := func(m *mat[T]) *mat[T] {
		m.fill(func(int, int) T {
			if r.IntN(12) == 0 {
				return sp[r.IntN(len(sp))]
			}
			return randVal[T](r)
		})
		return m
	}
	idx := 0
	for m := 1; m <= below+1; m++ {
		for _, k := range ks {
			for _, n := range ns {
				idx++
				threads := 1 + 2*(idx%2)
				x := fillSpecial(newMat[T](m, k, lay(idx)))
				w := fillSpecial(newMat[T](k, n, lay(idx+1)))
				bias := fillSpecial(newMat[T](1, n, lay(idx+2)))
				dr := fillSpecial(newMat[T](m, n, lay(idx+3)))
				xs, ws, bs, drs := x.clone(), w.clone(), bias.clone(), dr.clone()
				// A PackedW serves the path that packed it: one each.
				pws := map[*impl]*PackedW[T]{}
				for _, path := range []*impl{p, off} {
					setPath(t, path)
					pws[path] = PackW(k, n, w.arg(), w.ldArg())
				}
				what := fmt.Sprintf("%d×%d×%d, %d threads, on %s", m, k, n, threads, p.name)
				forward := func(path *impl) (rr, z *mat[T], mask Mask) {
					setPath(t, path)
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
					Forward(a)
					return
				}
				gotR, gotZ, gotM := forward(p)
				wantR, wantZ, wantM := forward(off)
				gotR.checkGuard(t, what+": R")
				gotZ.checkGuard(t, what+": Z")
				checkSameBits(t, what+": R against the tiles", gotR.buf, wantR.buf)
				checkSameBits(t, what+": Z against the tiles", gotZ.buf, wantZ.buf)
				if !equalWords(gotM.Bits, wantM.Bits) {
					t.Errorf("%s: the mask differs from the tiles'", what)
				}
				// dX = dZ·Wᵀ from the PackedW, written and accumulated.
				for _, accum := range []bool{false, true} {
					start := fillSpecial(newMat[T](m, k, lay(idx+6)))
					backward := func(path *impl) *mat[T] {
						setPath(t, path)
						dx := start.clone()
						a := &BackwardArgs[T]{M: m, K: k, N: n, PW: pws[path], DR: dr.arg(), LdDR: dr.ldArg(), Mask: gotM,
							DX: dx.arg(), LdDX: dx.ldArg(), Accumulate: accum, Threads: threads}
						Backward(a)
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
				if t.Failed() {
					return
				}
			}
		}
	}
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
