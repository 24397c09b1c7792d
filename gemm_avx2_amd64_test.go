//go:build amd64 && gc && !purego

package kernels

import (
	"fmt"
	"testing"
)

// avx2GEMMImpl is the generic path with the AVX2 register tiles, until
// avx2Ops32/avx2Ops64 use them: the GEMM, forward and backward drivers
// on it are checked against the generic path.
func avx2GEMMImpl() *impl {
	o32, o64 := genericOps[float32](), genericOps[float64]()
	o32.gemmConfig, o64.gemmConfig = avx2GEMM32, avx2GEMM64
	return newImpl("avx2gemm", o32, o64)
}

func needAVX2(tb testing.TB) {
	if !hasAVX2 {
		tb.Skip("the CPU has no AVX2+FMA")
	}
}

// TestAVX2GEMM runs the differential suites of kernels_test.go (tile
// tails, every block boundary, special values, every flag of the forward
// and backward passes, against the generic path and an accurate sum) on
// the AVX2 tiles.
func TestAVX2GEMM(t *testing.T) {
	needAVX2(t)
	p := avx2GEMMImpl()
	setPath(t, p)
	t.Run("GEMM/f32", func(t *testing.T) { testGEMMTyped[float32](t, p) })
	t.Run("GEMM/f64", func(t *testing.T) { testGEMMTyped[float64](t, p) })
	t.Run("Forward/f32", func(t *testing.T) { testForwardTyped[float32](t, p) })
	t.Run("Forward/f64", func(t *testing.T) { testForwardTyped[float64](t, p) })
	t.Run("Backward/f32", func(t *testing.T) { testBackwardTyped[float32](t, p) })
	t.Run("Backward/f64", func(t *testing.T) { testBackwardTyped[float64](t, p) })
}

// TestAVX2TileEpilogue checks the assembly epilogues, of whole tiles and
// of tiles with fewer rows, bit for bit against tile.finish applied to the
// product the same assembly computes, with every combination of β, bias,
// Z and mask, special values in C and the bias, products that are NaN,
// ±Inf and −0, and guard values around every output: the rest of each
// mask word, the elements between rows and past the tile. Tiles with
// fewer columns go through tile.finish itself.
func TestAVX2TileEpilogue(t *testing.T) {
	needAVX2(t)
	t.Run("f32", func(t *testing.T) {
		testTileEpilogue(t, avx2MR32, avx2NR32, kernelAVX2[float32], packedTileAVX2F32)
	})
	t.Run("f64", func(t *testing.T) {
		testTileEpilogue(t, avx2MR64, avx2NR64, kernelAVX2[float64], packedTileAVX2F64)
	})
}

func testTileEpilogue[T Float](t *testing.T, mr, nr int, kernel func(*tile[T]), prod func(a, b []T, kc int, c []T, ldc, beta int)) {
	r := newRand(71)
	all := specials[T]()
	tiny := T(1e-30)
	if !is32[T]() {
		tiny = 1e-200
	}
	e := &errs{tb: t, what: "tile"}
	defer e.done()
	n := 0
	for _, kc := range []int{0, 1, 2, 3, 4, 5, 7, 8, 13, 64} {
		for flags := range 32 {
			last, beta1 := flags&1 != 0, flags&2 != 0
			hasBias, hasZ, hasBits := flags&4 != 0, flags&8 != 0, flags&16 != 0
			if !last && flags > 3 {
				continue
			}
			for rep := range 9 {
				// Whole tiles, and edge tiles of every height (the asm
				// epilogue on a temporary tile) and narrower ones
				// (finish).
				tm, tn := mr, nr
				switch rep / 3 {
				case 1:
					tm = 1 + (kc+flags+rep)%mr
				case 2:
					tm, tn = 1+(flags+rep)%mr, 1+(kc+flags)%nr
				}
				rep := rep % 3
				n++
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
				// values between rows and after the tile.
				ldc, ldz, ldr := nr+3+rep, nr+5, nr+1+2*rep
				mk := func(ld int) []T {
					m := make([]T, (mr+1)*ld)
					for i := range m {
						m[i] = guard[T]()
						if i%ld < nr {
							m[i] = randVal[T](r)
							if r.IntN(8) == 0 {
								m[i] = randSpecial(r, all)
							}
						}
					}
					return m
				}
				c, zb, rb := mk(ldc), mk(ldz), mk(ldr)
				if !beta1 {
					for i := range c {
						if i%ldc < nr {
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
					tl := &tile[T]{kc: kc, a: a, b: b, c: c, ldc: ldc, m: tm, n: tn, alpha: 1, last: last,
						bias: bias, ldz: ldz, r: rb, ldr: ldr, stride: stride, col: col, nrMask: 1<<nr - 1}
					if beta1 {
						tl.beta = 1
					}
					if last && hasZ {
						tl.z, tl.c, tl.ldc = zb, zb, ldz // c is z when Z is stored, r otherwise
					} else if last {
						tl.c, tl.ldc = rb, ldr
					}
					if hasBits {
						tl.bits = bits
					}
					return tl
				}
				// At most one NaN among the terms of each sum v = AB + C +
				// bias: which of two NaNs a sum returns depends on the order
				// of its operands, which the Go compiler may swap (it does
				// under -race), so the bits would not be defined. A NaN
				// alone passes through both, bit for bit.
				ab := make([]T, mr*nr)
				prod(a, b, kc, ab, nr, 0)
				cin := mkTile(c, zb, rb, bits) // cin.c is the matrix read as C
				for j := range bias[:min(len(bias), nr)] {
					for i := range mr {
						if isNaN(bias[j]) && isNaN(ab[i*nr+j]) {
							bias[j] = 0.25
						}
					}
				}
				for i := range mr {
					for j := range nr {
						if (isNaN(ab[i*nr+j]) || bias != nil && isNaN(bias[j])) && isNaN(cin.c[i*cin.ldc+j]) {
							cin.c[i*cin.ldc+j] = 1.5
						}
					}
				}
				c2, zb2, rb2 := append([]T(nil), c...), append([]T(nil), zb...), append([]T(nil), rb...)
				bits2 := append([]uint64(nil), bits...)

				kernel(mkTile(c, zb, rb, bits))
				ref := mkTile(c2, zb2, rb2, bits2)
				ref.finish(ab, nr)

				name := fmt.Sprintf("%d×%d tile kc=%d last=%v β=%v bias=%v Z=%v mask=%v col=%d rep=%d", tm, tn, kc, last, beta1, hasBias, hasZ, hasBits, col, rep)
				for _, o := range []struct {
					what      string
					got, want []T
					ld        int
				}{{"C", c, c2, ldc}, {"Z", zb, zb2, ldz}, {"R", rb, rb2, ldr}} {
					for i := range o.got {
						if bitsOf(o.got[i]) != bitsOf(o.want[i]) {
							e.add("%s: %s[%d,%d] = %s, want %s", name, o.what, i/o.ld, i%o.ld, fmtBits(o.got[i]), fmtBits(o.want[i]))
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

// packedTileAVX2F32 and packedTileAVX2F64 are the tiles on packed
// micro-panels of B (ldb = nr).
func packedTileAVX2F32(a, b []float32, kc int, c []float32, ldc, beta int) {
	tileAVX2F32(a, b, kc, c, ldc, beta, avx2NR32, 1)
}

func packedTileAVX2F64(a, b []float64, kc int, c []float64, ldc, beta int) {
	tileAVX2F64(a, b, kc, c, ldc, beta, avx2NR64, 1)
}

// oneTile is an AVX2 tile function on one tile (mt = 1).
func oneTile[T Float](f func(a, b []T, kc int, c []T, ldc, beta, ldb, mt int)) func(a, b []T, kc int, c []T, ldc, beta, ldb int) {
	return func(a, b []T, kc int, c []T, ldc, beta, ldb int) { f(a, b, kc, c, ldc, beta, ldb, 1) }
}

// TestAVX2TileProduct checks the product of one tile against an accurate
// sum, with every k remainder of the unrolled loop and panels up to the
// largest kc, B packed (ldb = nr) and where it lies (ldb > nr, B's slice
// ending with the tile's last row).
func TestAVX2TileProduct(t *testing.T) {
	needAVX2(t)
	t.Run("f32", func(t *testing.T) { testTileProduct(t, avx2MR32, avx2NR32, oneTile(tileAVX2F32)) })
	t.Run("f64", func(t *testing.T) { testTileProduct(t, avx2MR64, avx2NR64, oneTile(tileAVX2F64)) })
}

func testTileProduct[T Float](t *testing.T, mr, nr int, prod func(a, b []T, kc int, c []T, ldc, beta, ldb int)) {
	r := newRand(72)
	e := &errs{tb: t, what: "tile"}
	defer e.done()
	for _, kc := range []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 31, 256, 511, 512} {
		for _, ldb := range []int{nr, nr + 3, 4 * nr} {
			a, b := make([]T, mr*kc), make([]T, max(0, (kc-1)*ldb+nr))
			for i := range a {
				a[i] = randVal[T](r)
			}
			for i := range b {
				b[i] = randVal[T](r)
			}
			for _, beta := range []int{0, 1} {
				ld := nr + 1
				c := make([]T, mr*ld)
				for i := range c {
					c[i] = randVal[T](r)
				}
				c0 := append([]T(nil), c...)
				prod(a, b, kc, c[:(mr-1)*ld+nr], ld, beta, ldb)
				checkTileSums(e, fmt.Sprintf("kc=%d ldb=%d β=%d", kc, ldb, beta), c, c0, a, b, mr, ldb, kc, beta, mr, nr, ld, mr)
			}
		}
	}
}

// TestAVX2Pack runs the packers' test (testAVX512Pack: against the
// generic packers, bit for bit, blocks anywhere in a strided matrix, a
// guard band after) on the AVX2 ones: 6-row panels of A, whole and
// partial, and 64-byte rows of B.
func TestAVX2Pack(t *testing.T) {
	needAVX2(t)
	o32, o64 := avx2Path.f32, avx2Path.f64
	testAVX512Pack(t, &o32)
	testAVX512Pack(t, &o64)
}

// TestAVX2TileR4: the edge tile's 4-row product is, bit for bit, the
// first 4 rows of the whole tile's (β = 0), special values included, and
// writes its 4 rows of nr and nothing past them.
func TestAVX2TileR4(t *testing.T) {
	needAVX2(t)
	testTileR4(t, avx2NR32, oneTile(tileAVX2F32), tileR4AVX2F32)
	testTileR4(t, avx2NR64, oneTile(tileAVX2F64), tileR4AVX2F64)
}

func testTileR4[T Float](t *testing.T, nr int, whole func(a, b []T, kc int, c []T, ldc, beta, ldb int), r4 func(a, b []T, kc int, ab []T, ldb int)) {
	r := newRand(74)
	for _, kc := range []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 31, 256, 513} {
		for _, ldb := range []int{nr, nr + 3, 4 * nr} {
			a, b := make([]T, 6*kc), make([]T, max(0, (kc-1)*ldb+nr))
			for i := range a {
				a[i] = randVal[T](r)
				if r.IntN(16) == 0 {
					a[i] = randSpecial(r, specials[T]())
				}
			}
			for i := range b {
				b[i] = randVal[T](r)
				if r.IntN(16) == 0 {
					b[i] = randSpecial(r, specials[T]())
				}
			}
			want := make([]T, 6*nr)
			whole(a, b, kc, want, nr, 0, ldb)
			got := make([]T, 4*nr+tailGuard)
			for i := range got {
				got[i] = guard[T]()
			}
			r4(a, b, kc, got[:4*nr], ldb)
			for i := range got {
				w := guard[T]()
				if i < 4*nr {
					w = want[i]
				}
				if bitsOf(got[i]) != bitsOf(w) {
					t.Fatalf("%s kc=%d ldb=%d: [%d] = %s, want %s", typeName[T](), kc, ldb, i, fmtBits(got[i]), fmtBits(w))
				}
			}
		}
	}
}

// TestAVX2TileTall: a column of tiles in one kernel call (callColumn) is,
// bit for bit, one call a tile: C, Z, R and the mask words, with whole and
// partial last tiles, whole and partial columns, B packed and where it
// lies, with and without bias, Z and mask, β = 0 and 1, α = 1 and not,
// fwd and GEMM tiles; the buffers' slack past the outputs must match too.
func TestAVX2TileTall(t *testing.T) {
	needAVX2(t)
	testTileTall[float32](t, avx2NR32)
	testTileTall[float64](t, avx2NR64)
}

func testTileTall[T Float](t *testing.T, nr int) {
	const mr = 6
	r := newRand(uint64(nr) + 9)
	for i := range 400 {
		m, kc := 1+r.IntN(40), r.IntN(40)
		direct, last := kc > 0 && r.IntN(2) == 0, r.IntN(3) != 0
		n := nr
		if !direct && r.IntN(3) == 0 {
			n = 1 + r.IntN(nr)
		}
		withBias, withZ, withBits := r.IntN(2) == 0, r.IntN(2) == 0, r.IntN(4) != 0
		beta, alpha := T(r.IntN(2)), T(1)
		if !last && r.IntN(5) == 0 {
			alpha = 0.5
		}
		col := nr * r.IntN(64/nr)
		ldc := col + nr + r.IntN(9)
		stride := 1 + r.IntN(2)
		mt := ceilDiv(m, mr)
		a := x512Rand[T](r, mt*mr*kc, 0.05)
		ldb := nr
		b := x512Rand[T](r, nr*kc, 0.05)
		if direct {
			ldb = nr + r.IntN(20)
			b = x512Rand[T](r, (kc-1)*ldb+nr, 0.05)
		}
		bias := x512Rand[T](r, nr, 0.05)
		tileAt := func(o *tileOuts[T], row, rows int) *tile[T] {
			c, z, rr, bits := o.c, o.z, o.r, o.bits
			tt := &tile[T]{kc: kc, a: a[row*kc:], b: b, c: c[row*ldc+col:], ldc: ldc, m: rows, n: n, alpha: alpha, beta: beta, last: last, r: rr[row*ldc+col:], ldr: ldc, col: col}
			if direct {
				tt.ldb = ldb
			}
			if last {
				if withBias {
					tt.bias = bias
				}
				if withZ {
					tt.z, tt.ldz = z[row*ldc+col:], ldc
					tt.c = tt.z
				} else {
					tt.c = tt.r
				}
				if withBits {
					tt.bits, tt.stride = bits[row*stride:], stride
				}
			}
			return tt
		}
		size, words := (m+1)*ldc, (m+1)*stride
		got := newTileOuts[T](uint64(i), size, words)
		kernelAVX2(tileAt(got, 0, m))
		want := newTileOuts[T](uint64(i), size, words)
		for q := range mt {
			kernelAVX2(tileAt(want, q*mr, min(mr, m-q*mr)))
		}
		name := fmt.Sprintf("%s m=%d kc=%d n=%d col=%d direct=%v last=%v bias=%v z=%v bits=%v α=%v β=%v", typeName[T](), m, kc, n, col, direct, last, withBias, withZ, withBits, alpha, beta)
		got.same(t, name, "a tile a call", want)
	}
}

// TestAVX2TileNoAlloc: the kernels' temporary tile stays on the stack.
func TestAVX2TileNoAlloc(t *testing.T) {
	needAVX2(t)
	a, b, c := make([]float32, 6*9), make([]float32, 16*9), make([]float32, 5*16+16)
	tl := &tile[float32]{kc: 9, a: a, b: b, c: c, ldc: 16, m: 5, n: 16, alpha: 1}
	if n := testing.AllocsPerRun(10, func() { kernelAVX2(tl) }); n != 0 {
		t.Errorf("kernelAVX2[float32] on an edge tile: %v allocations", n)
	}
	a64, b64, c64 := make([]float64, 6*9), make([]float64, 8*9), make([]float64, 5*8+8)
	tl64 := &tile[float64]{kc: 9, a: a64, b: b64, c: c64, ldc: 8, m: 6, n: 7, alpha: 1}
	if n := testing.AllocsPerRun(10, func() { kernelAVX2(tl64) }); n != 0 {
		t.Errorf("kernelAVX2[float64] on an edge tile: %v allocations", n)
	}
}

// benchLoop runs f in a benchmark loop and reports GFLOPS of flops per
// call.
func benchLoop(b *testing.B, flops float64, f func()) {
	for b.Loop() {
		f()
	}
	reportGFLOPS(b, flops)
}

// The benchmarks of bench_test.go on the AVX2 tiles, as FUSEDRELU_ISA=avx2
// will run them once avx2Ops32/64 use them; -cpu 1 for one thread:
//
//	go test -run '^$' -bench 'AVX2(Forward|GEMM|Backward)' -cpu 1 -count 5
func BenchmarkAVX2Forward(b *testing.B) {
	needAVX2(b)
	setPath(b, avx2GEMMImpl())
	for _, s := range [][3]int{{1024, 1024, 1024}, {256, 1024, 1024}, {128, 512, 512}, {64, 784, 256}, {32, 256, 256}} {
		b.Run(fmt.Sprintf("f32/%dx%dx%d", s[0], s[1], s[2]), func(b *testing.B) { benchForward[float32](b, s[0], s[1], s[2]) })
	}
	for _, s := range [][3]int{{1024, 1024, 1024}, {256, 1024, 1024}} {
		b.Run(fmt.Sprintf("f64/%dx%dx%d", s[0], s[1], s[2]), func(b *testing.B) { benchForward[float64](b, s[0], s[1], s[2]) })
	}
}

func BenchmarkAVX2GEMM(b *testing.B) {
	needAVX2(b)
	setPath(b, avx2GEMMImpl())
	b.Run("f32/1024x1024x1024", func(b *testing.B) { benchGEMM[float32](b, 1024, 1024, 1024) })
	b.Run("f64/1024x1024x1024", func(b *testing.B) { benchGEMM[float64](b, 1024, 1024, 1024) })
}

func BenchmarkAVX2Backward(b *testing.B) {
	needAVX2(b)
	setPath(b, avx2GEMMImpl())
	for _, s := range [][3]int{{1024, 1024, 1024}, {64, 784, 256}, {32, 256, 256}} {
		b.Run(fmt.Sprintf("f32/%dx%dx%d", s[0], s[1], s[2]), func(b *testing.B) { benchBackward[float32](b, s[0], s[1], s[2]) })
	}
}

// BenchmarkAVX2Tile measures the bare register tile on L1-resident
// panels: the ceiling of the GEMM on this path.
func BenchmarkAVX2Tile(b *testing.B) {
	needAVX2(b)
	for _, kc := range []int{64, 128, 256, 512} {
		b.Run(fmt.Sprintf("f32/kc=%d", kc), func(b *testing.B) {
			a, bb, c := make([]float32, 6*kc), make([]float32, 16*kc), make([]float32, 6*16)
			benchLoop(b, float64(2*6*16*kc), func() { tileAVX2F32(a, bb, kc, c, 16, 1, 16, 1) })
		})
		b.Run(fmt.Sprintf("f64/kc=%d", kc), func(b *testing.B) {
			a, bb, c := make([]float64, 6*kc), make([]float64, 8*kc), make([]float64, 6*8)
			benchLoop(b, float64(2*6*8*kc), func() { tileAVX2F64(a, bb, kc, c, 8, 1, 8, 1) })
		})
	}
}

// BenchmarkAVX2Macro measures the tiles as the driver runs them, on the
// blocking of this machine: a packed mc×kc block of A (in L2) and a
// kc×1024 block of B, for every column panel of B every row panel of A,
// into an mc×1024 C. The kernel's speed with A streaming from L2, without
// packing or the rest of the driver.
func BenchmarkAVX2Macro(b *testing.B) {
	needAVX2(b)
	p := avx2GEMMImpl()
	b.Run("f32", func(b *testing.B) { benchMacro(b, p.b32, avx2MR32, avx2NR32, packedTileAVX2F32) })
	b.Run("f64", func(b *testing.B) { benchMacro(b, p.b64, avx2MR64, avx2NR64, packedTileAVX2F64) })
}

func benchMacro[T Float](b *testing.B, bl blocking, mr, nr int, tile func(a, b []T, kc int, c []T, ldc, beta int)) {
	const nc = 1024
	mc, kc := bl.mc, bl.kc
	r := newRand(1)
	ap, bp, c := make([]T, mc*kc), make([]T, kc*nc), make([]T, mc*nc)
	for i := range ap {
		ap[i] = randVal[T](r)
	}
	for i := range bp {
		bp[i] = randVal[T](r)
	}
	b.Logf("mc=%d kc=%d", mc, kc)
	benchLoop(b, 2*float64(mc*kc*nc), func() {
		for jr := 0; jr < nc; jr += nr {
			for ir := 0; ir < mc; ir += mr {
				tile(ap[ir*kc:(ir+mr)*kc], bp[jr*kc:(jr+nr)*kc], kc, c[ir*nc+jr:ir*nc+(mr-1)*nc+jr+nr], nc, 1)
			}
		}
	})
}

// BenchmarkAVX2Pack measures the packers on the blocks of a 1024³ GEMM,
// in elements per second (reported as "GFLOPS": one per element): A
// untransposed (the forward pass) and B untransposed and transposed (dX
// of the backward pass).
func BenchmarkAVX2Pack(b *testing.B) {
	needAVX2(b)
	const n = 1024
	p := avx2GEMMImpl()
	r := newRand(1)
	src := make([]float32, n*n)
	for i := range src {
		src[i] = randVal[float32](r)
	}
	o, bl := p.f32, p.b32
	dst := make([]float32, max(bl.mc, bl.nc)*bl.kc)
	b.Run("A", func(b *testing.B) {
		benchLoop(b, n*n, func() {
			for pc := 0; pc < n; pc += bl.kc {
				for ic := 0; ic < n; ic += bl.mc {
					o.packA(dst, src, n, false, ic, pc, min(bl.mc, n-ic), min(bl.kc, n-pc), o.mr)
				}
			}
		})
	})
	for _, trans := range []bool{false, true} {
		b.Run(fmt.Sprintf("B/trans=%v", trans), func(b *testing.B) {
			benchLoop(b, n*n, func() {
				for pc := 0; pc < n; pc += bl.kc {
					o.packB(dst, src, n, trans, pc, 0, min(bl.kc, n-pc), min(bl.nc, n), o.nr)
				}
			})
		})
	}
}
