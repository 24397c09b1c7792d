//go:build arm64 && gc && !purego

package kernels

import (
	"fmt"
	"math"
	"testing"
)

// neonGEMMImpl is the neon path with the NEON register tiles, packers and
// vector loops of the rows route, until neonOps32/neonOps64 use them: the
// GEMM, forward and backward drivers on it are checked against the
// generic path.
func neonGEMMImpl() *impl {
	return newImpl("neongemm", neonPath.f32, neonPath.f64)
}

// TestNEONGEMM runs the differential suites of kernels_test.go (tile
// tails, every block boundary, special values, every flag of the forward
// and backward passes, against the generic path and an accurate sum) on
// the NEON tiles: under emulation, with -short, the short sweeps.
func TestNEONGEMM(t *testing.T) {
	p := neonGEMMImpl()
	setPath(t, p)
	t.Run("GEMM/f32", func(t *testing.T) { testGEMMTyped[float32](t, p) })
	t.Run("GEMM/f64", func(t *testing.T) { testGEMMTyped[float64](t, p) })
	t.Run("Forward/f32", func(t *testing.T) { testForwardTyped[float32](t, p) })
	t.Run("Forward/f64", func(t *testing.T) { testForwardTyped[float64](t, p) })
	t.Run("Backward/f32", func(t *testing.T) { testBackwardTyped[float32](t, p) })
	t.Run("Backward/f64", func(t *testing.T) { testBackwardTyped[float64](t, p) })
}

// neonProd32 and neonProd64 are the assembly's product of a whole tile
// into ab (mr×nr, row stride nr), as the kernels compute it for edge
// tiles.
func neonProd32(a, b []float32, kc int, ab []float32) {
	tileNEONF32(a, b, kc, negZeros[float32](neonNR32), 0, ab, neonNR32, neonMR32)
}

func neonProd64(a, b []float64, kc int, ab []float64) {
	tileNEONF64(a, b, kc, negZeros[float64](neonNR64), 0, ab, neonNR64, neonMR64)
}

// TestNEONTileEpilogue checks the assembly epilogues of tiles of whole
// columns (any number of rows) bit for bit, NaN payloads included, against
// tile.finish applied to the product the same assembly computes (the path
// of the other edge tiles), with every combination of β, bias, Z and mask,
// special values in C and the bias, products that are NaN, ±Inf and −0,
// and guard values around every output: the rest of each mask word, the
// elements between rows, the rows past the tile's m and past the tile.
func TestNEONTileEpilogue(t *testing.T) {
	t.Run("f32", func(t *testing.T) {
		testNEONTileEpilogue(t, neonMR32, neonNR32, kernelNEON[float32], neonProd32)
	})
	t.Run("f64", func(t *testing.T) {
		testNEONTileEpilogue(t, neonMR64, neonNR64, kernelNEON[float64], neonProd64)
	})
}

func testNEONTileEpilogue[T Float](t *testing.T, mr, nr int, kernel func(*tile[T]), prod func(a, b []T, kc int, ab []T)) {
	r := newRand(81)
	all := specials[T]()
	tiny := T(1e-30)
	if !is32[T]() {
		tiny = 1e-200
	}
	e := &errs{tb: t, what: "tile"}
	defer e.done()
	kcs := []int{0, 1, 2, 3, 4, 5, 7, 8, 13, 64}
	if testing.Short() {
		kcs = []int{0, 1, 5, 8, 13}
	}
	n := 0
	for _, kc := range kcs {
		for flags := range 32 {
			last, beta1 := flags&1 != 0, flags&2 != 0
			hasBias, hasZ, hasBits := flags&4 != 0, flags&8 != 0, flags&16 != 0
			if !last && flags > 3 {
				continue
			}
			for rep := range 3 {
				n++
				m := mr
				if rep == 1 || flags%3 == 0 {
					m = 1 + (kc+flags)%mr // edge tiles of fewer rows, in assembly too
				}
				// The panels: random, with special values, and on rep 2
				// products that underflow to −0 (tiny·−tiny) so that the
				// epilogue sees v = −0.
				a, b := make([]T, mr*kc), make([]T, nr*kc)
				for i := range a {
					a[i] = randVal[T](r)
					if r.IntN(40) == 0 {
						a[i] = randSpecial(r, all)
					}
					if rep == 2 {
						a[i] = tiny
					}
				}
				for i := range b {
					b[i] = randVal[T](r)
					if r.IntN(40) == 0 {
						b[i] = randSpecial(r, all)
					}
					if rep == 2 {
						b[i] = []T{-tiny, tiny, -tiny, 0}[i%4]
					}
				}
				// The outputs, with a row stride past nr and guard
				// values between rows, past row m and after the tile.
				ld := nr + 3 + rep
				mk := func() []T {
					s := make([]T, (mr+1)*ld)
					for i := range s {
						s[i] = guard[T]()
						if i%ld < nr && i/ld < m {
							s[i] = randVal[T](r)
							if r.IntN(8) == 0 {
								s[i] = randSpecial(r, all)
							}
						}
					}
					return s
				}
				c, zb, rb := mk(), mk(), mk()
				if !beta1 {
					for i := range c {
						if i%ld < nr && i/ld < m {
							c[i] = poison[T]() // β = 0: C must not be read
						}
					}
				}
				var bias []T
				if hasBias {
					bias = make([]T, nr+1)
					for j := range bias {
						bias[j] = randVal[T](r)
						if r.IntN(4) == 0 {
							bias[j] = randSpecial(r, all)
						}
					}
					bias[nr] = guard[T]()
				}
				stride := 3
				bits := make([]uint64, mr*stride+1)
				for i := range bits {
					bits[i] = r.Uint64()
				}
				col := nr * r.IntN(64/nr*stride) // any chunk of the row's words
				mkTile := func(c, zb, rb []T, bits []uint64) *tile[T] {
					tl := &tile[T]{kc: kc, a: a, b: b, c: c, ldc: ld, m: m, n: nr, alpha: 1, last: last,
						bias: bias, ldz: ld, r: rb, ldr: ld, stride: stride, col: col, nrMask: 1<<nr - 1}
					if beta1 {
						tl.beta = 1
					}
					if last && hasZ {
						tl.z, tl.c = zb, zb // c is z when Z is stored, r otherwise
					} else if last {
						tl.c = rb
					}
					if hasBits {
						tl.bits = bits
					}
					return tl
				}
				c2, zb2, rb2 := append([]T(nil), c...), append([]T(nil), zb...), append([]T(nil), rb...)
				bits2 := append([]uint64(nil), bits...)

				kernel(mkTile(c, zb, rb, bits)) // whole columns: all in assembly
				ref := mkTile(c2, zb2, rb2, bits2)
				ab := make([]T, mr*nr)
				prod(a, b, kc, ab)
				ref.finish(ab, nr)

				name := fmt.Sprintf("kc=%d m=%d last=%v β=%v bias=%v Z=%v mask=%v col=%d rep=%d", kc, m, last, beta1, hasBias, hasZ, hasBits, col, rep)
				for _, o := range []struct {
					what      string
					got, want []T
				}{{"C", c, c2}, {"Z", zb, zb2}, {"R", rb, rb2}} {
					for i := range o.got {
						if bitsOf(o.got[i]) != bitsOf(o.want[i]) {
							e.add("%s: %s[%d,%d] = %s, want %s", name, o.what, i/ld, i%ld, fmtBits(o.got[i]), fmtBits(o.want[i]))
						}
					}
				}
				for i := range bits {
					if bits[i] != bits2[i] {
						e.add("%s: mask word %d = %#x, want %#x", name, i, bits[i], bits2[i])
					}
				}
			}
		}
	}
	t.Logf("%d tiles", n)
}

// TestNEONTileProduct checks the product of one tile against an accurate
// sum, with every k remainder of the unrolled loop, panels up to the
// largest kc, β = 0 and 1, and every row count.
func TestNEONTileProduct(t *testing.T) {
	t.Run("f32", func(t *testing.T) { testNEONTileProduct(t, neonMR32, neonNR32, tileNEONF32) })
	t.Run("f64", func(t *testing.T) { testNEONTileProduct(t, neonMR64, neonNR64, tileNEONF64) })
}

func testNEONTileProduct[T Float](t *testing.T, mr, nr int, tileFn func(a, b []T, kc int, cin []T, ldcin int, r []T, ldr, m int)) {
	r := newRand(82)
	e := &errs{tb: t, what: "tile"}
	defer e.done()
	for _, kc := range []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 31, 256, 511, 512} {
		a, b := make([]T, mr*kc), make([]T, nr*kc)
		for i := range a {
			a[i] = randVal[T](r)
		}
		for i := range b {
			b[i] = randVal[T](r)
		}
		for _, beta := range []int{0, 1} {
			m := 1 + (kc+beta)%mr
			if kc%2 == 0 {
				m = mr
			}
			ld := nr + 1
			c := make([]T, (mr+1)*ld)
			for i := range c {
				c[i] = randVal[T](r)
			}
			c0 := append([]T(nil), c...)
			cin, ldcin := any(negZeros[float32](neonNR32)), 0
			if !is32[T]() {
				cin = any(negZeros[float64](neonNR64))
			}
			if beta == 1 {
				cin, ldcin = any(c[:(m-1)*ld+nr]), ld
			}
			tileFn(a, b, kc, cin.([]T), ldcin, c[:(m-1)*ld+nr], ld, m)
			checkTileSums(e, fmt.Sprintf("kc=%d β=%d m=%d", kc, beta, m), c, c0, a, b, mr, nr, kc, beta, m, nr, ld, mr+1)
		}
	}
}

// TestNEONTileNegZero: a tile whose products are all −0 gives −0 with
// β = 0 and no bias (the assembly adds rows of −0 instead), and +0 after
// adding a C of +0, as tile.finish does.
func TestNEONTileNegZero(t *testing.T) {
	negz := float32(math.Copysign(0, -1))
	const mr, nr, kc = neonMR32, neonNR32, 3
	a, b := make([]float32, mr*kc), make([]float32, nr*kc)
	for i := range a {
		a[i] = 1e-30
	}
	for i := range b {
		b[i] = -1e-30
	}
	for _, beta := range []float32{0, 1} {
		c := make([]float32, mr*nr)
		r := make([]float32, mr*nr)
		tl := &tile[float32]{kc: kc, a: a, b: b, c: c, ldc: nr, m: mr, n: nr, alpha: 1, beta: beta}
		kernelNEON(tl)
		tl = &tile[float32]{kc: kc, a: a, b: b, c: r, ldc: nr, m: mr, n: nr, alpha: 1, beta: beta, last: true, r: r, ldr: nr, nrMask: 0xff}
		kernelNEON(tl)
		want := bitsOf(negz)
		if beta == 1 {
			want = 0
		}
		for i := range c {
			if bitsOf(c[i]) != want || bitsOf(r[i]) != want {
				t.Fatalf("β=%v: C[%d] = %s, R[%d] = %s, want bits %#x", beta, i, fmtBits(c[i]), i, fmtBits(r[i]), want)
			}
		}
	}
}

// TestNEONVectors checks axpy and dot (the rows route) against an
// accurate sum on every length around the blocks and the chunks, with
// special values, and that dst past len(x) and the inputs are untouched.
func TestNEONVectors(t *testing.T) {
	t.Run("f32", func(t *testing.T) { testNEONVectors(t, axpyNEONF32, dotNEONF32) })
	t.Run("f64", func(t *testing.T) { testNEONVectors(t, axpyNEONF64, dotNEONF64) })
}

func testNEONVectors[T Float](t *testing.T, axpy func(dst []T, alpha T, x []T), dot func(x, y []T) T) {
	r := newRand(83)
	tab := sumSpecials[T]()
	e := &errs{tb: t, what: "vectors"}
	defer e.done()
	var lens []int
	for n := range 70 {
		lens = append(lens, n)
	}
	lens = append(lens, 255, 256, 257, neonVecChunk-1, neonVecChunk, neonVecChunk+17, 2*neonVecChunk+40)
	for _, n := range lens {
		for _, special := range []bool{false, true} {
			vec := func() []T {
				v := make([]T, n+1)
				for i := range v {
					v[i] = randVal[T](r)
					if special && r.IntN(30) == 0 {
						v[i] = randSpecial(r, tab)
					}
				}
				v[n] = guard[T]()
				return v
			}
			x, y := vec(), vec()
			x0, y0 := append([]T(nil), x...), append([]T(nil), y...)
			alpha := T(-0.75)
			if special {
				alpha = randSpecial(r, tab)
			}
			axpy(y[:n], alpha, x[:n])
			for i := range n {
				var s acc
				s.add(float64(y0[i]))
				s.addProd(float64(alpha), float64(x[i]))
				if msg := sumErr(y[i], &s); msg != "" {
					e.add("axpy n=%d α=%v: [%d]: %s", n, alpha, i, msg)
				}
			}
			checkSameBits(t, fmt.Sprintf("axpy n=%d: x", n), x, x0)
			if bitsOf(y[n]) != bitsOf(guard[T]()) {
				e.add("axpy n=%d: dst[n] written", n)
			}
			got := dot(x[:n], y0[:n])
			var s acc
			for i := range n {
				s.addProd(float64(x[i]), float64(y0[i]))
			}
			if msg := sumErr(got, &s); msg != "" {
				e.add("dot n=%d: %s", n, msg)
			}
			if again := dot(x[:n], y0[:n]); bitsOf(again) != bitsOf(got) {
				e.add("dot n=%d: %s, then %s", n, fmtBits(got), fmtBits(again))
			}
		}
	}
}

// TestNEONPackers checks the packers against the generic ones, bit for
// bit, on blocks with and without a partial panel, both layouts.
func TestNEONPackers(t *testing.T) {
	t.Run("f32", func(t *testing.T) { testNEONPackers[float32](t, neonMR32, neonNR32) })
	t.Run("f64", func(t *testing.T) { testNEONPackers[float64](t, neonMR64, neonNR64) })
}

func testNEONPackers[T Float](t *testing.T, mr, nr int) {
	r := newRand(84)
	for _, trans := range []bool{false, true} {
		for _, mb := range []int{1, mr - 1, mr, mr + 1, 3*mr + 2} {
			for _, kb := range []int{1, 7, 8, 9, 17} {
				ld := max(mb, kb) + 5
				src := make([]T, (max(mb, kb)+7)*ld)
				for i := range src {
					src[i] = randVal[T](r)
				}
				// A: rows i0 … of op(A), columns p0 …
				want := make([]T, roundUp(mb, mr)*kb)
				got := make([]T, len(want))
				for i := range got {
					got[i] = guard[T]()
				}
				packAGeneric(want, src, ld, trans, 2, 3, mb, kb, mr)
				packANEON(got, src, ld, trans, 2, 3, mb, kb, mr)
				checkSameBits(t, fmt.Sprintf("packA trans=%v mb=%d kb=%d", trans, mb, kb), got, want)
				// B: rows p0 … of op(B), columns j0 …; here mb is B's width.
				nb := mb
				want = make([]T, kb*roundUp(nb, nr))
				got = make([]T, len(want))
				for i := range got {
					got[i] = guard[T]()
				}
				packBGeneric(want, src, ld, trans, 3, 2, kb, nb, nr)
				packB8(got, src, ld, trans, 3, 2, kb, nb, nr)
				checkSameBits(t, fmt.Sprintf("packB trans=%v kb=%d nb=%d", trans, kb, nb), got, want)
			}
		}
	}
}

// TestNEONTileNoAlloc: the kernels' temporary tile and scratch rows stay
// on the stack.
func TestNEONTileNoAlloc(t *testing.T) {
	a, b, c := make([]float32, 12*9), make([]float32, 8*9), make([]float32, 12*8)
	bits := make([]uint64, 12)
	edge := &tile[float32]{kc: 9, a: a, b: b, c: c, ldc: 8, m: 12, n: 7, alpha: 1}
	fwd := &tile[float32]{kc: 9, a: a, b: b, c: c, ldc: 8, m: 5, n: 8, alpha: 1, last: true, r: c, ldr: 8}
	fwdBits := &tile[float32]{kc: 9, a: a, b: b, c: c, ldc: 8, m: 12, n: 8, alpha: 1, last: true, r: c, ldr: 8, bits: bits, stride: 1, nrMask: 0xff}
	for _, tl := range []*tile[float32]{edge, fwd, fwdBits} {
		if n := testing.AllocsPerRun(10, func() { kernelNEON(tl) }); n != 0 {
			t.Errorf("kernelNEON[float32] (m=%d n=%d last=%v): %v allocations", tl.m, tl.n, tl.last, n)
		}
	}
	a64, b64, c64 := make([]float64, 6*9), make([]float64, 8*9), make([]float64, 6*8)
	edge64 := &tile[float64]{kc: 9, a: a64, b: b64, c: c64, ldc: 8, m: 6, n: 7, alpha: 1}
	fwd64 := &tile[float64]{kc: 9, a: a64, b: b64, c: c64, ldc: 8, m: 6, n: 8, alpha: 1, last: true, r: c64, ldr: 8}
	for _, tl := range []*tile[float64]{edge64, fwd64} {
		if n := testing.AllocsPerRun(10, func() { kernelNEON(tl) }); n != 0 {
			t.Errorf("kernelNEON[float64] (m=%d n=%d last=%v): %v allocations", tl.m, tl.n, tl.last, n)
		}
	}
	x, y := make([]float32, 100), make([]float32, 100)
	if n := testing.AllocsPerRun(10, func() { axpyNEONF32(y, 2, x); _ = dotNEONF32(x, y) }); n != 0 {
		t.Errorf("axpy, dot: %v allocations", n)
	}
}

// The benchmarks, for real hardware (emulated timings mean nothing):
//
//	go test -run '^$' -bench 'NEON' -count 5
//
// BenchmarkNEONTile measures the bare register tile on L1-resident
// panels: the ceiling of the GEMM on this path (GFLOPS per core at the
// FMA peak: 2 pipes × 4 lanes × 2 flops × GHz for float32 on Neoverse N1).
func BenchmarkNEONTile(b *testing.B) {
	for _, kc := range []int{64, 128, 256, 512} {
		b.Run(fmt.Sprintf("f32/kc=%d", kc), func(b *testing.B) {
			a, bb, c := make([]float32, 12*kc), make([]float32, 8*kc), make([]float32, 12*8)
			for b.Loop() {
				tileNEONF32(a, bb, kc, c, 8, c, 8, 12)
			}
			reportGFLOPS(b, float64(2*12*8*kc))
		})
		b.Run(fmt.Sprintf("f64/kc=%d", kc), func(b *testing.B) {
			a, bb, c := make([]float64, 6*kc), make([]float64, 8*kc), make([]float64, 6*8)
			for b.Loop() {
				tileNEONF64(a, bb, kc, c, 8, c, 8, 6)
			}
			reportGFLOPS(b, float64(2*6*8*kc))
		})
	}
}

// BenchmarkNEONForward, BenchmarkNEONBackward and BenchmarkNEONGEMM run
// bench_test.go's shapes on the NEON tiles (neonGEMMImpl), as the neon
// path will once neonOps32/neonOps64 set them.
func BenchmarkNEONForward(b *testing.B) {
	setPath(b, neonGEMMImpl())
	benchShape[float32](b, "f32", benchForward[float32])
	benchShape[float64](b, "f64", benchForward[float64])
}

func BenchmarkNEONBackward(b *testing.B) {
	setPath(b, neonGEMMImpl())
	benchShape[float32](b, "f32", benchBackward[float32])
	benchShape[float64](b, "f64", benchBackward[float64])
}

func BenchmarkNEONGEMM(b *testing.B) {
	setPath(b, neonGEMMImpl())
	benchShape[float32](b, "f32", benchGEMM[float32])
	benchShape[float64](b, "f64", benchGEMM[float64])
}
