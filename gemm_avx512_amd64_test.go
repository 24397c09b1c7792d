//go:build amd64 && gc && !purego

package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"golang.org/x/sys/cpu"
)

// The AVX-512 GEMM tiles against the generic path, through the drivers
// (gemm, forward, backward), on an impl of their own so that these tests do
// not depend on how archImpls wires them in. Sums may differ from the
// generic ones by rounding only, within γ·(K+2)·Σ|terms| with γ = 4u; the
// epilogue's selects are checked bit for bit against the path's own Z.

func gemmAVX512Impl(t testing.TB) *impl {
	if !(cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VL && cpu.X86.HasAVX512DQ) {
		t.Skip("no AVX-512 F/BW/VL/DQ")
	}
	o32, o64 := genericOps[float32](), genericOps[float64]()
	o32.gemmConfig, o64.gemmConfig = avx512GEMM32, avx512GEMM64
	return newImpl("avx512-gemm", o32, o64)
}

// gemmAVX512Small is the same impl with blocks of a few tiles, so that
// small matrices cross every block boundary (several K panels, row and
// column blocks).
func gemmAVX512Small(p *impl) *impl {
	q := *p
	q.b32 = blocking{mc: 2 * p.f32.mr, kc: 9, nc: 2 * p.f32.nr}
	q.b64 = blocking{mc: 2 * p.f64.mr, kc: 9, nc: 2 * p.f64.nr}
	return &q
}

func x512Eps[T Float]() float64 {
	var z T
	if any(z) == any(float32(0)) {
		return 0x1p-24
	}
	return 0x1p-53
}

func x512Rand[T Float](r *rand.Rand, n int, special float64) []T {
	s := make([]T, n)
	for i := range s {
		s[i] = T(r.Float64()*2 - 1)
		if special > 0 && r.Float64() < special {
			s[i] = []T{T(math.NaN()), T(math.Inf(1)), T(math.Inf(-1)), T(math.Copysign(0, -1)), 0}[r.IntN(5)]
		}
	}
	return s
}

// x512Close reports whether got is within bound of want, treating NaN and
// infinities as equal only to themselves.
func x512Close(got, want, bound float64) bool {
	switch {
	case math.IsNaN(want) || math.IsNaN(got):
		return math.IsNaN(want) && math.IsNaN(got)
	case math.IsInf(want, 0) || math.IsInf(got, 0):
		return got == want
	}
	return math.Abs(got-want) <= bound
}

func x512Bits[T Float](x T) uint64 {
	switch v := any(x).(type) {
	case float32:
		return uint64(math.Float32bits(v))
	case float64:
		return math.Float64bits(v)
	}
	panic("unreachable")
}

const x512Sentinel = 12345.5 // in the gaps of strided outputs

type x512FwdCase struct {
	m, k, n          int
	bias, z, mask    bool
	ldPad, stridePad int
	special          float64
	small            bool
}

func TestAVX512Forward(t *testing.T) {
	p := gemmAVX512Impl(t)
	testAVX512Forward[float32](t, p)
	testAVX512Forward[float64](t, p)
}

func testAVX512Forward[T Float](t *testing.T, p *impl) {
	o := opsFor[T](p)
	mr, nr := o.mr, o.nr
	r := rand.New(rand.NewPCG(7, uint64(nr)))
	var cases []x512FwdCase
	// (The driver computes fewer rows than a tile, or sums of up to
	// smallK terms, without the tiles: those shapes check the driver.)
	// The last row tiles of mr + 4, 5, 8 and 9 rows: the ends of the
	// tile's loops for 4 and 8 rows (the generator's shortRows).
	ms := []int{1, mr - 1, mr, mr + 1, mr + 4, mr + 5, mr + 8, mr + 9, 2*mr + 3, 3 * mr}
	ns := []int{1, 3, nr - 1, nr, nr + 1, 64, 64 + nr/2, 3*nr + 5}
	ks := []int{0, 1, 9, 10, 11, 17, 40, 67}
	for _, m := range ms {
		for _, n := range ns {
			for _, k := range ks {
				c := x512FwdCase{m: m, k: k, n: n,
					bias: r.IntN(3) > 0, z: r.IntN(2) == 0, mask: r.IntN(4) > 0,
					ldPad: r.IntN(3), stridePad: r.IntN(2), small: r.IntN(2) == 0}
				cases = append(cases, c)
			}
		}
	}
	// Special values: NaN, ±Inf, ±0 in X, W and the bias.
	for range 40 {
		cases = append(cases, x512FwdCase{m: mr + r.IntN(2*mr), k: smallK + 1 + r.IntN(40), n: 1 + r.IntN(3*nr),
			bias: true, z: r.IntN(2) == 0, mask: true, ldPad: r.IntN(2), special: 0.05, small: r.IntN(2) == 0})
	}
	// A few larger ones over the default blocking.
	cases = append(cases,
		x512FwdCase{m: 70, k: 600, n: 200, bias: true, z: true, mask: true},
		x512FwdCase{m: 33, k: 257, n: 130, bias: false, z: false, mask: true, ldPad: 1},
	)
	for _, c := range cases {
		name := fmt.Sprintf("%s/%+v", x512TypeName[T](), c)
		pp := p
		if c.small {
			pp = gemmAVX512Small(p)
		}
		x512CheckForward[T](t, name, pp, c, r)
	}
}

func x512TypeName[T Float]() string {
	var z T
	if any(z) == any(float32(0)) {
		return "f32"
	}
	return "f64"
}

func x512CheckForward[T Float](t *testing.T, name string, p *impl, c x512FwdCase, r *rand.Rand) {
	m, k, n := c.m, c.k, c.n
	ldx, ldw, ldo := k+c.ldPad, n+c.ldPad, n+c.ldPad
	x := x512Rand[T](r, max(0, (m-1)*ldx+k), c.special)
	w := x512Rand[T](r, max(0, (k-1)*ldw+n), c.special)
	var bias []T
	if c.bias {
		bias = x512Rand[T](r, n, c.special)
	}
	out := func() []T {
		s := make([]T, (m-1)*ldo+n)
		for i := range s {
			s[i] = x512Sentinel
		}
		return s
	}
	mask := func() Mask {
		if !c.mask {
			return Mask{}
		}
		words := MaskWords(n)
		mk := Mask{Rows: m, Cols: n, Stride: words + c.stridePad, Bits: make([]uint64, (m-1)*(words+c.stridePad)+words)}
		for i := range mk.Bits {
			mk.Bits[i] = 0xdeadbeefcafef00d
		}
		return mk
	}

	// The generic path, with Z.
	gr, gz := out(), out()
	forward(impls[0], m, k, n, x, ldx, w, ldw, bias, gr, ldo, gz, ldo, Mask{}, false)

	// This path with Z (to check the selects against) and with the
	// case's options.
	zr, zz, zmask := out(), out(), mask()
	forward(p, m, k, n, x, ldx, w, ldw, bias, zr, ldo, zz, ldo, zmask, c.mask)
	cr, cmask := out(), mask()
	var cz []T
	if c.z {
		cz = out()
	}
	forward(p, m, k, n, x, ldx, w, ldw, bias, cr, ldo, cz, ldo, cmask, c.mask)

	eps := x512Eps[T]()
	fails := 0
	fail := func(format string, args ...any) {
		t.Helper()
		if fails++; fails <= 5 {
			t.Errorf("%s: "+format, append([]any{name}, args...)...)
		}
	}
	for i := range m {
		for j := range n {
			sum := 0.0
			for q := range k {
				sum += math.Abs(float64(x[i*ldx+q]) * float64(w[q*ldw+j]))
			}
			if bias != nil {
				sum += math.Abs(float64(bias[j]))
			}
			bound := 4 * eps * float64(k+2) * sum
			got, want := zz[i*ldo+j], gz[i*ldo+j]
			if !x512Close(float64(got), float64(want), bound) {
				fail("Z[%d,%d] = %v, generic %v, bound %g", i, j, got, want, bound)
			}
			// The selects, bit for bit against this path's own Z.
			wantR := got
			if got < 0 {
				wantR = 0
			}
			if x512Bits(zr[i*ldo+j]) != x512Bits(wantR) || x512Bits(cr[i*ldo+j]) != x512Bits(wantR) {
				fail("R[%d,%d] = %v / %v, want ReLU(%v) = %v bit for bit", i, j, zr[i*ldo+j], cr[i*ldo+j], got, wantR)
			}
			if cz != nil && x512Bits(cz[i*ldo+j]) != x512Bits(got) {
				fail("Z[%d,%d] = %v without the mask... want %v", i, j, cz[i*ldo+j], got)
			}
		}
		// Mask words of the row: [Z ≥ 0], zero past n; the words
		// between rows untouched.
		if c.mask {
			for _, mk := range []Mask{zmask, cmask} {
				for wi := 0; wi < mk.Stride; wi++ {
					if i == m-1 && wi >= MaskWords(n) {
						break
					}
					var want uint64 = 0xdeadbeefcafef00d
					if wi < MaskWords(n) {
						want = 0
						for j := wi * 64; j < min(n, wi*64+64); j++ {
							if !(zz[i*ldo+j] < 0) {
								want |= 1 << (j % 64)
							}
						}
					}
					if got := mk.Bits[i*mk.Stride+wi]; got != want {
						fail("mask row %d word %d = %#x, want %#x", i, wi, got, want)
					}
				}
			}
		}
	}
	// The gaps of the strided outputs are untouched.
	for _, s := range [][]T{zr, zz, cr, cz} {
		for idx, v := range s {
			if idx%ldo >= n && v != x512Sentinel {
				fail("gap element %d written: %v", idx, v)
			}
		}
	}
}

func TestAVX512GEMM(t *testing.T) {
	p := gemmAVX512Impl(t)
	testAVX512GEMM[float32](t, p)
	testAVX512GEMM[float64](t, p)
}

func testAVX512GEMM[T Float](t *testing.T, p *impl) {
	o := opsFor[T](p)
	mr, nr := o.mr, o.nr
	r := rand.New(rand.NewPCG(11, uint64(nr)))
	ab := [][2]T{{1, 0}, {1, 1}, {2, 0}, {-1, 1}, {0.5, -0.25}, {1, 3}}
	for _, m := range []int{1, mr - 1, mr, mr + 1, 2*mr + 3, 50} {
		for _, n := range []int{1, nr - 1, nr, nr + 1, 3*nr + 5, 70} {
			for _, k := range []int{1, 9, 10, 33, 300} {
				for _, tt := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
					ab := ab[r.IntN(len(ab))]
					pp := p
					if r.IntN(2) == 0 {
						pp = gemmAVX512Small(p)
					}
					x512CheckGEMM(t, pp, r, tt[0], tt[1], m, n, k, ab[0], ab[1], r.IntN(3))
				}
			}
		}
	}
}

func x512CheckGEMM[T Float](t *testing.T, p *impl, r *rand.Rand, tA, tB bool, m, n, k int, alpha, beta T, pad int) {
	name := fmt.Sprintf("%s/tA=%v,tB=%v,m=%d,n=%d,k=%d,α=%v,β=%v,pad=%d", x512TypeName[T](), tA, tB, m, n, k, alpha, beta, pad)
	ar, ac := m, k
	if tA {
		ar, ac = k, m
	}
	br, bc := k, n
	if tB {
		br, bc = n, k
	}
	lda, ldb, ldc := ac+pad, bc+pad, n+pad
	a := x512Rand[T](r, (ar-1)*lda+ac, 0)
	b := x512Rand[T](r, (br-1)*ldb+bc, 0)
	c0 := x512Rand[T](r, (m-1)*ldc+n, 0)
	for i := range c0 {
		if i%ldc >= n {
			c0[i] = x512Sentinel
		} else if beta == 0 {
			c0[i] = T(math.NaN()) // β = 0: C is not read
		}
	}
	got, want := append([]T(nil), c0...), append([]T(nil), c0...)
	gemm(p, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, got, ldc)
	gemm(impls[0], tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, want, ldc)
	at := func(i, q int) float64 {
		if tA {
			return float64(a[q*lda+i])
		}
		return float64(a[i*lda+q])
	}
	bt := func(q, j int) float64 {
		if tB {
			return float64(b[j*ldb+q])
		}
		return float64(b[q*ldb+j])
	}
	eps := x512Eps[T]()
	fails := 0
	for i := range m {
		for j := range ldc {
			idx := i*ldc + j
			if idx >= len(got) {
				break
			}
			if j >= n {
				if got[idx] != x512Sentinel {
					t.Errorf("%s: gap C[%d,%d] written", name, i, j)
				}
				continue
			}
			sum := 0.0
			for q := range k {
				sum += math.Abs(at(i, q) * bt(q, j))
			}
			sum *= math.Abs(float64(alpha))
			if beta != 0 {
				sum += math.Abs(float64(beta) * float64(c0[idx]))
			}
			bound := 4 * eps * float64(k+2) * sum
			if !x512Close(float64(got[idx]), float64(want[idx]), bound) {
				if fails++; fails <= 5 {
					t.Errorf("%s: C[%d,%d] = %v, generic %v, bound %g", name, i, j, got[idx], want[idx], bound)
				}
			}
		}
	}
}

func TestAVX512Backward(t *testing.T) {
	p := gemmAVX512Impl(t)
	testAVX512Backward[float32](t, p)
	testAVX512Backward[float64](t, p)
}

func testAVX512Backward[T Float](t *testing.T, p *impl) {
	r := rand.New(rand.NewPCG(13, 1))
	o := opsFor[T](p)
	for _, s := range [][3]int{{1, 1, 1}, {o.mr + 1, 7, o.nr + 3}, {37, 45, 70}, {64, 300, 96}} {
		for _, acc := range []bool{false, true} {
			for _, small := range []bool{false, true} {
				pp := p
				if small {
					pp = gemmAVX512Small(p)
				}
				m, k, n := s[0], s[1], s[2]
				x, w := x512Rand[T](r, m*k, 0), x512Rand[T](r, k*n, 0)
				dr, z := x512Rand[T](r, m*n, 0), x512Rand[T](r, m*n, 0)
				mk := NewMask(m, n)
				for i := range m {
					stepMaskGeneric(mk.Bits[i*mk.Stride:(i+1)*mk.Stride], z[i*n:(i+1)*n])
				}
				run := func(q *impl) *BackwardArgs[T] {
					a := &BackwardArgs[T]{M: m, K: k, N: n, X: x, W: w, DR: dr, Mask: mk,
						DX: x512Rand[T](rand.New(rand.NewPCG(1, 1)), m*k, 0),
						DW: x512Rand[T](rand.New(rand.NewPCG(2, 1)), k*n, 0),
						DB: x512Rand[T](rand.New(rand.NewPCG(3, 1)), n, 0),
						DZ: make([]T, m*n), Accumulate: acc}
					backward(q, a, nil, k, n, n, 0, true, k, n, n)
					return a
				}
				got, want := run(pp), run(impls[0])
				eps := x512Eps[T]()
				name := fmt.Sprintf("%s/%v/acc=%v/small=%v", x512TypeName[T](), s, acc, small)
				check := func(what string, g, wv []T, kk int) {
					for i := range g {
						// |terms| ≤ 1 each, and the accumulated value ≤ 1.
						bound := 4 * eps * float64(kk+2) * float64(kk+1)
						if !x512Close(float64(g[i]), float64(wv[i]), bound) {
							t.Errorf("%s: %s[%d] = %v, generic %v", name, what, i, g[i], wv[i])
							return
						}
					}
				}
				check("dX", got.DX, want.DX, n)
				check("dW", got.DW, want.DW, m)
				for i := range got.DZ {
					if x512Bits(got.DZ[i]) != x512Bits(want.DZ[i]) {
						t.Errorf("%s: dZ[%d] = %v, generic %v", name, i, got.DZ[i], want.DZ[i])
						break
					}
				}
			}
		}
	}
}

// The packers against the generic ones, bit for bit, over blocks that
// start anywhere in a strided matrix, with a guard band after the packed
// block that must stay as it was.
func TestAVX512Pack(t *testing.T) {
	p := gemmAVX512Impl(t)
	testAVX512Pack(t, &p.f32)
	testAVX512Pack(t, &p.f64)
}

const guardLen = 40

func testAVX512Pack[T Float](t *testing.T, o *ops[T]) {
	r := rand.New(rand.NewPCG(17, uint64(o.nr)))
	half := o.packBRowsH != nil || o.packBTH != nil // bfloat16 operands widened as packed
	for range 600 {
		rows, cols := 1+r.IntN(70), 1+r.IntN(90)
		ld := cols + r.IntN(5)
		src := x512Rand[T](r, (rows-1)*ld+cols, 0.1)
		// The same matrix in bfloat16, of any bits (NaN payloads,
		// subnormals, ±0, ±Inf among them), and its widened values.
		h, wide := make([]BF16, len(src)), make([]T, len(src))
		for i := range h {
			h[i] = BF16(r.Uint32())
			wide[i] = T(h[i].Float32())
		}
		var tmp []T
		trans := r.IntN(4) == 0
		// A block of op(A) (mb×kb at i0, p0) and of op(B) (kb×nb at p0, j0).
		r0, c0 := r.IntN(rows), r.IntN(cols)
		br, bc := 1+r.IntN(rows-r0), r.IntN(cols-c0+1)
		i0, p0, mb, kb := r0, c0, br, bc
		if trans {
			i0, p0, mb, kb = c0, r0, bc, br
		}
		if mb > 0 {
			n := roundUp(mb, o.mr) * kb
			what := fmt.Sprintf("%s packA(trans=%v, i0=%d, p0=%d, mb=%d, kb=%d)", x512TypeName[T](), trans, i0, p0, mb, kb)
			samePacked(t, r, what, n,
				func(got []T) { o.packA(got, src, ld, trans, i0, p0, mb, kb, o.mr) },
				func(want []T) { packAGeneric(want, src, ld, trans, i0, p0, mb, kb, o.mr) })
			if half {
				samePacked(t, r, "packAH: "+what, n,
					func(got []T) { packAH(o, fromBF16Generic, got, h, ld, trans, i0, p0, mb, kb, o.mr, &tmp) },
					func(want []T) { packAGeneric(want, wide, ld, trans, i0, p0, mb, kb, o.mr) })
			}
		}
		p0, j0, kb2, nb := r0, c0, br, bc
		if trans {
			p0, j0, kb2, nb = c0, r0, bc, br
		}
		if nb > 0 {
			n := roundUp(nb, o.nr) * kb2
			what := fmt.Sprintf("%s packB(trans=%v, p0=%d, j0=%d, kb=%d, nb=%d)", x512TypeName[T](), trans, p0, j0, kb2, nb)
			samePacked(t, r, what, n,
				func(got []T) { o.packB(got, src, ld, trans, p0, j0, kb2, nb, o.nr) },
				func(want []T) { packBGeneric(want, src, ld, trans, p0, j0, kb2, nb, o.nr) })
			if half { // packBRowsH, packBTH and the buffered partial panel
				samePacked(t, r, "packBH: "+what, n,
					func(got []T) { packBH(o, fromBF16Generic, got, h, ld, trans, p0, j0, kb2, nb, o.nr, &tmp) },
					func(want []T) { packBGeneric(want, wide, ld, trans, p0, j0, kb2, nb, o.nr) })
			}
		}
		if nb > 0 && !trans && kb2 > 0 {
			// packBRows: the block's rows from row q on, into panels of a
			// block of kb2+extra rows (panel stride larger than the rows).
			q, extra := r.IntN(kb2), r.IntN(3)
			n, off, panel := roundUp(nb, o.nr)*(kb2+extra), (p0+q)*ld+j0, o.nr*(kb2+extra)
			what := fmt.Sprintf("%s packBRows(rows=%d, nb=%d, from row %d)", x512TypeName[T](), kb2-q, nb, q)
			samePacked(t, r, what, n,
				func(got []T) { o.packBRows(got[q*o.nr:], src[off:], ld, kb2-q, nb, o.nr, panel) },
				func(want []T) { packBRowsGeneric(want[q*o.nr:], src[off:], ld, kb2-q, nb, o.nr, panel) })
			if o.packBRowsH != nil {
				samePacked(t, r, "packBRowsH: "+what, n,
					func(got []T) { o.packBRowsH(got[q*o.nr:], h[off:], ld, kb2-q, nb, o.nr, panel) },
					func(want []T) { packBRowsGeneric(want[q*o.nr:], wide[off:], ld, kb2-q, nb, o.nr, panel) })
			}
		}
	}
}

// samePacked fails t unless got and want (the reference) leave the same
// bits in a block of n elements followed by a guard band that must stay
// as it was.
func samePacked[T Float](t *testing.T, r *rand.Rand, what string, n int, got, want func([]T)) {
	t.Helper()
	g := x512Rand[T](r, n+guardLen, 0)
	w := append([]T(nil), g...)
	got(g[:n])
	want(w[:n])
	for i := range w {
		if x512Bits(g[i]) != x512Bits(w[i]) {
			t.Fatalf("%s: [%d] = %v (%#x), want %v (%#x)", what, i, g[i], x512Bits(g[i]), w[i], x512Bits(w[i]))
		}
	}
}

// BenchmarkAVX512Forward runs the fused forward pass (bias, R and the mask;
// no Z) on the AVX-512 GEMM kernels, over the standard shapes, single
// threaded with -cpu 1 (the driver's default is GOMAXPROCS threads), in
// GFLOPS (2·M·K·N flops); BenchmarkAVX512FMAPeak measures the FMA peak of
// the core to compare with. Run both in one sitting:
//
//	go test -run '^$' -bench 'AVX512(Forward|FMAPeak)' -cpu 1 -count 5
func BenchmarkAVX512Forward(b *testing.B) {
	p := gemmAVX512Impl(b)
	for _, s := range benchShapes {
		b.Run(fmt.Sprintf("f32/%dx%dx%d", s[0], s[1], s[2]), func(b *testing.B) { benchAVX512Forward[float32](b, p, s[0], s[1], s[2]) })
	}
	for _, s := range benchShapes {
		b.Run(fmt.Sprintf("f64/%dx%dx%d", s[0], s[1], s[2]), func(b *testing.B) { benchAVX512Forward[float64](b, p, s[0], s[1], s[2]) })
	}
}

func benchAVX512Forward[T Float](b *testing.B, p *impl, m, k, n int) {
	r := rand.New(rand.NewPCG(1, 2))
	x, w, bias := benchRand[T](m*k, r), benchRand[T](k*n, r), benchRand[T](n, r)
	out, mask := make([]T, m*n), NewMask(m, n)
	b.ReportAllocs()
	for b.Loop() {
		forward(p, m, k, n, x, k, w, n, bias, out, n, nil, 0, mask, true)
	}
	reportGFLOPS(b, 2*float64(m)*float64(k)*float64(n))
}

// BenchmarkAVX512FMAPeak measures the FMA peak of one core: register-only
// zmm VFMADD231PS, 12 independent chains; bf16dot the same with
// VDPBF16PS (64 flops an instruction), which is twice f32 only where the
// core issues it at the FMA's rate (the classes that take the dot tile).
func BenchmarkAVX512FMAPeak(b *testing.B) {
	gemmAVX512Impl(b) // skips without AVX-512
	const iters = 1 << 12
	b.Run("f32", func(b *testing.B) {
		for b.Loop() {
			fmaPeakAVX512(iters)
		}
		reportGFLOPS(b, iters*12*32)
	})
	b.Run("bf16dot", func(b *testing.B) {
		if !cpu.X86.HasAVX512BF16 {
			b.Skip("no AVX512_BF16")
		}
		for b.Loop() {
			dotPeakAVX512BF16(iters)
		}
		reportGFLOPS(b, iters*12*64)
	})
}

// The tiles read B with a row stride (ldb): unpacked B gives the same
// result, bit for bit, as the packed micro-panel, and its columns past n
// are not read (the slice ends at column n of the last row).
func TestAVX512TileStridedB(t *testing.T) {
	gemmAVX512Impl(t)
	r := rand.New(rand.NewPCG(19, 1))
	for _, kc := range []int{0, 1, 5, 33, 70} {
		for _, n := range []int{1, 7, 8, 15, 16} {
			ldb := 16 + r.IntN(40)
			t.Run(fmt.Sprintf("kc=%d/n=%d/ldb=%d", kc, n, ldb), func(t *testing.T) {
				a32 := x512Rand[float32](r, 16*kc, 0)
				b32 := x512Rand[float32](r, max(0, (kc-1)*ldb+n), 0)
				packed := make([]float32, 16*kc)
				for p := range kc {
					copy(packed[p*16:p*16+n], b32[p*ldb:])
				}
				got, want := make([]float32, 16*16), make([]float32, 16*16)
				tileAVX512F32(a32, b32, ldb, kc, got, 16, 16, n, 0, 0, nil, nil, 0, 0, got, 16, nil, 0, 0, 0, 0)
				tileAVX512F32(a32, packed, 16, kc, want, 16, 16, n, 0, 0, nil, nil, 0, 0, want, 16, nil, 0, 0, 0, 0)
				for i := range got {
					if x512Bits(got[i]) != x512Bits(want[i]) {
						t.Fatalf("f32 [%d] = %v, packed %v", i, got[i], want[i])
					}
				}
				n64 := min(n, 8)
				a64 := x512Rand[float64](r, 16*kc, 0)
				b64 := x512Rand[float64](r, max(0, (kc-1)*ldb+n64), 0)
				packed64 := make([]float64, 8*kc)
				for p := range kc {
					copy(packed64[p*8:p*8+n64], b64[p*ldb:])
				}
				got64, want64 := make([]float64, 16*8), make([]float64, 16*8)
				tileAVX512F64(a64, b64, ldb, kc, got64, 8, 16, n64, 0, 0, nil, nil, 0, 0, got64, 8, nil, 0, 0, 0, 0)
				tileAVX512F64(a64, packed64, 8, kc, want64, 8, 16, n64, 0, 0, nil, nil, 0, 0, want64, 8, nil, 0, 0, 0, 0)
				for i := range got64 {
					if x512Bits(got64[i]) != x512Bits(want64[i]) {
						t.Fatalf("f64 [%d] = %v, packed %v", i, got64[i], want64[i])
					}
				}
			})
		}
	}
}

// tileOuts are the outputs of kernel calls for the tests that compare
// one way of calling a kernel with another: C, Z and R (rows of ld with
// slack past the outputs) and the mask words, filled the same way from
// seed, so that two sets start equal and must end equal bit for bit.
type tileOuts[T Float] struct {
	c, z, r []T
	bits    []uint64
}

func newTileOuts[T Float](seed uint64, n, words int) *tileOuts[T] {
	r := newRand(seed)
	o := &tileOuts[T]{c: x512Rand[T](r, n, 0.05), z: x512Rand[T](r, n, 0), r: x512Rand[T](r, n, 0), bits: make([]uint64, words)}
	for k := range o.bits {
		o.bits[k] = r.Uint64()
	}
	return o
}

// same fails the test unless o is want bit for bit; how names want's way.
func (o *tileOuts[T]) same(t *testing.T, name, how string, want *tileOuts[T]) {
	t.Helper()
	for _, v := range []struct {
		s    string
		g, w []T
	}{{"C", o.c, want.c}, {"Z", o.z, want.z}, {"R", o.r, want.r}} {
		for k := range v.g {
			if bitsOf(v.g[k]) != bitsOf(v.w[k]) {
				t.Fatalf("%s: %s[%d] = %s, %s %s", name, v.s, k, fmtBits(v.g[k]), how, fmtBits(v.w[k]))
			}
		}
	}
	for k := range o.bits {
		if o.bits[k] != want.bits[k] {
			t.Fatalf("%s: mask word %d = %#x, %s %#x", name, k, o.bits[k], how, want.bits[k])
		}
	}
}

// A wide call (callBlock: several columns of tiles) is, bit for bit, one
// call a column of tiles, and A read where it lies (tile.lda, ops.directA)
// the packed A: C, Z, R and the mask words (those of other columns and
// rows untouched), for columns that start inside a mask word and cross
// words, partial last columns, B packed and where it lies, A strided,
// with and without bias, Z and mask, β = 0 and 1, fwd and GEMM tiles. The
// buffers are larger than the outputs, their slack holding the guard.
func TestAVX512TileWideDirectA(t *testing.T) {
	gemmAVX512Impl(t)
	for _, s := range avx512Shapes32 {
		testTileWide(t, s)
	}
	for _, s := range avx512Shapes64 {
		testTileWide(t, s)
	}
}

func testTileWide[T Float](t *testing.T, s avx512Shape[T]) {
	nr, mr := s.nr, s.mr
	r := newRand(uint64(nr) + 5 + 100*uint64(mr))
	for i := range 300 {
		m, kc := 1+r.IntN(40), r.IntN(40)
		col := nr * r.IntN(64/nr*2)      // starts anywhere in a word, or the next
		n := 1 + r.IntN(wideCols-col%64) // up to wideCols, within its words
		direct, last := r.IntN(2) == 0, r.IntN(3) != 0
		if direct {
			kc = max(kc, 1) // the driver reads B where it lies only for k > 0
		}
		withBias, withZ, withBits := r.IntN(2) == 0, r.IntN(2) == 0, r.IntN(4) != 0
		beta := T(r.IntN(2))
		nt := ceilDiv(n, nr)
		ldc := col + n + r.IntN(9)
		stride := (ldc+63)/64 + r.IntN(2)
		// A where it lies (all mr rows of each tile) and packed.
		rows, lda := ceilDiv(m, mr)*mr, kc+r.IntN(20)
		araw := x512Rand[T](r, max(0, (rows-1)*lda+kc), 0.05)
		a := make([]T, rows*kc)
		packAGeneric(a, araw, lda, false, 0, 0, rows, kc, mr)
		dirA := kc > 0 && r.IntN(2) == 0
		ldb := nr
		var b []T
		if direct {
			ldb = col + n + r.IntN(20)
			b = x512Rand[T](r, max(0, (kc-1)*ldb+col+n), 0.05)
		} else {
			b = x512Rand[T](r, nt*nr*kc, 0.05)
		}
		bias := x512Rand[T](r, col+n, 0.05)
		tileAt := func(o *tileOuts[T], c0, width int, dirA bool) *tile[T] {
			c, z, rr, bits := o.c, o.z, o.r, o.bits
			tt := &tile[T]{kc: kc, a: a, c: c[c0:], ldc: ldc, m: m, n: width, alpha: 1, beta: beta, last: last, r: rr[c0:], ldr: ldc, col: c0}
			if dirA {
				tt.a, tt.lda = araw, lda
			}
			if direct {
				tt.b, tt.ldb = b[c0:], ldb
			} else {
				tt.b = b[(c0-col)*kc:]
			}
			if last {
				if withBias {
					tt.bias = bias[c0:]
				}
				if withZ {
					tt.z, tt.ldz = z[c0:], ldc
					tt.c = tt.z
				} else {
					tt.c = tt.r
				}
				if withBits {
					tt.bits, tt.stride = bits, stride
				}
			}
			return tt
		}
		size, words := (m+1)*ldc, (m+1)*stride
		got := newTileOuts[T](uint64(i), size, words)
		s.kernel()(tileAt(got, col, n, dirA))
		want := newTileOuts[T](uint64(i), size, words)
		for q := range nt {
			s.kernel()(tileAt(want, col+q*nr, min(nr, n-q*nr), false))
		}
		name := fmt.Sprintf("%s %dx%d m=%d kc=%d col=%d n=%d directB=%v directA=%v last=%v bias=%v z=%v bits=%v beta=%v", x512TypeName[T](), mr, nr, m, kc, col, n, direct, dirA, last, withBias, withZ, withBits, beta)
		got.same(t, name, "by columns", want)
	}
}

// BenchmarkAVX512Tile measures the bare register tile on L1-resident
// panels (β = 1, no epilogue): the ceiling of the GEMM on this path. From
// kc = 512 the two panels (64 KiB each at kc = 1024, the blocking's) are
// in L2, not L1, and the tile still ran at 111–113 GFLOPS against an FMA
// peak of 112–114 (two runs, 22:3x UTC on 2026-11-27): streaming the
// panels from L2 costs the tile nothing.
// BenchmarkAVX512Macro runs it as the driver does, over a packed mc×kc
// block of A (L2) and a kc×1024 block of B, for the cost of streaming A.
//
//	go test -run '^$' -bench 'AVX512(Tile|Macro|FMAPeak)' -cpu 1 -count 3
func BenchmarkAVX512Tile(b *testing.B) {
	gemmAVX512Impl(b)
	for _, kc := range []int{32, 64, 128, 256, 512, 1024} {
		b.Run(fmt.Sprintf("f32/kc=%d", kc), func(b *testing.B) {
			a, bb, c := make([]float32, 16*kc), make([]float32, 16*kc), make([]float32, 16*16)
			benchLoop(b, float64(2*16*16*kc), func() {
				tileAVX512F32(a, bb, 16, kc, c, 16, 16, 16, 1, 0, nil, nil, 0, 0, c, 16, nil, 0, 0, 0, 0)
			})
		})
		b.Run(fmt.Sprintf("f64/kc=%d", kc), func(b *testing.B) {
			a, bb, c := make([]float64, 16*kc), make([]float64, 8*kc), make([]float64, 16*8)
			benchLoop(b, float64(2*16*8*kc), func() {
				tileAVX512F64(a, bb, 8, kc, c, 8, 16, 8, 1, 0, nil, nil, 0, 0, c, 8, nil, 0, 0, 0, 0)
			})
		})
	}
}

func BenchmarkAVX512Macro(b *testing.B) {
	p := gemmAVX512Impl(b)
	b.Run("f32", func(b *testing.B) {
		benchMacro(b, p.b32, avx512MR32, avx512NR32, func(a, bb []float32, kc int, c []float32, ldc, beta int) {
			tileAVX512F32(a, bb, avx512NR32, kc, c, ldc, avx512MR32, avx512NR32, beta, 0, nil, nil, 0, 0, c, ldc, nil, 0, 0, 0, 0)
		})
	})
	b.Run("f64", func(b *testing.B) {
		benchMacro(b, p.b64, avx512MR64, avx512NR64, func(a, bb []float64, kc int, c []float64, ldc, beta int) {
			tileAVX512F64(a, bb, avx512NR64, kc, c, ldc, avx512MR64, avx512NR64, beta, 0, nil, nil, 0, 0, c, ldc, nil, 0, 0, 0, 0)
		})
	})
}

// BenchmarkAVX512Operands runs BenchmarkAVX512Macro's loops (f32, an
// mc×kc block of A, kc×1024 of B, C mc×1024 with ld 1024) with one operand
// at a time made L1-resident, to see what each costs: A (every tile reads
// the same micro-panel of A), C (every tile accumulates into one 16×16
// tile), and C with its rows 1040 apart instead of 1024 (4 KiB apart, the
// 16 rows of a tile fall in one L1 set). Those accumulate (β = 1), as a
// K panel after the first does; the fwd ones are a forward pass's only
// K panel (β = 0, R and the mask bits written), with C one of 8 blocks
// in turn so that it comes from memory, as in a pass. fwd/tall runs a
// column's row tiles in one call, as the driver does (NEXT_PANEL's
// prefetch of the next micro-panel of B spans them), and fwd/tall/B=L2
// gives every column the same micro-panel of B, so that it never comes
// from L3.
//
//	go test -run '^$' -bench 'AVX512(Operands|Tile/f32/kc=256)' -cpu 1 -count 3
func BenchmarkAVX512Operands(b *testing.B) {
	p := gemmAVX512Impl(b)
	const nc, blocks = 1024, 8
	mc, kc := p.b32.mc, p.b32.kc
	r := newRand(1)
	ap, bp := make([]float32, mc*kc), make([]float32, kc*nc)
	for i := range ap {
		ap[i] = randVal[float32](r)
	}
	for i := range bp {
		bp[i] = randVal[float32](r)
	}
	const stride = nc / 64 // mask words a row
	c, c1 := make([]float32, blocks*mc*(nc+16)), make([]float32, 16*16)
	bits, bias := make([]uint64, blocks*mc*stride), make([]float32, nc)
	for _, v := range []struct {
		name                             string
		aFixed, cTile, fwd, tall, bFixed bool
		ldc                              int
	}{
		{"real", false, false, false, false, false, nc}, {"A=L1", true, false, false, false, false, nc},
		{"C=L1", false, true, false, false, false, nc}, {"ldc=1040", false, false, false, false, false, nc + 16},
		{"fwd", false, false, true, false, false, nc}, {"fwd/C=L1", false, true, true, false, false, nc},
		{"fwd/ldc=1040", false, false, true, false, false, nc + 16},
		{"fwd/tall", false, false, true, true, false, nc}, {"fwd/tall/B=L2", false, false, true, true, true, nc},
	} {
		b.Run(v.name, func(b *testing.B) {
			blk := 0
			benchLoop(b, 2*float64(mc*kc*nc), func() {
				cb, wb := c, bits
				if v.fwd {
					cb, wb = c[blk*mc*(nc+16):], bits[blk*mc*stride:]
					blk = (blk + 1) % blocks
				}
				for jr := 0; jr < nc; jr += 16 {
					bb := bp[jr*kc : (jr+16)*kc]
					if v.bFixed {
						bb = bp[:16*kc]
					}
					if v.tall {
						ct, w := cb[jr:(mc-1)*v.ldc+jr+16], wb[jr/64:]
						tileAVX512F32(ap, bb, 16, kc, ct, v.ldc, mc, 16, 0, 1, bias[jr:jr+16], ct, v.ldc, 0, ct, v.ldc, w[:(mc-1)*stride+1], stride, jr%64/8, 0, 0)
						continue
					}
					for ir := 0; ir < mc; ir += 16 {
						a := ap[ir*kc : (ir+16)*kc]
						if v.aFixed {
							a = ap[:16*kc]
						}
						ct, ldc, w := cb[ir*v.ldc+jr:ir*v.ldc+15*v.ldc+jr+16], v.ldc, wb[ir*stride+jr/64:]
						if v.cTile {
							ct, ldc, w = c1, 16, bits
						}
						if !v.fwd {
							tileAVX512F32(a, bb, 16, kc, ct, ldc, 16, 16, 1, 0, nil, nil, 0, 0, ct, ldc, nil, 0, 0, 0, 0)
							continue
						}
						// R = C (no Z: storeZ = 0, z = R is not written).
						tileAVX512F32(a, bb, 16, kc, ct, ldc, 16, 16, 0, 1, bias[jr:jr+16], ct, ldc, 0, ct, ldc, w[:15*stride+1], stride, jr%64/8, 0, 0)
					}
				}
			})
		})
	}
}

// BenchmarkAVX512SmallPass runs the tile alone as the forward of
// 32×256×256 calls it (BenchmarkForward/f32/32x256x256: one wide call, A
// and B where they lie, rows 1 KiB apart, R and the mask written), and
// with one thing changed at a time, to see what each costs: Z stored too,
// A or B or both packed (micro-panels one after another), no epilogue
// (β = 0, C only). Run the variants in turn, as the host drifts:
//
//	go test -run '^$' -bench 'AVX512SmallPass' -cpu 1 -count 5
func BenchmarkAVX512SmallPass(b *testing.B) {
	gemmAVX512Impl(b)
	const m, k, n = 32, 256, 256
	r := newRand(1)
	x, w := benchRand[float32](m*k, r), benchRand[float32](k*n, r)
	// The packed operands' values do not matter to the time.
	ap, bp := make([]float32, m*k), make([]float32, k*n)
	out, z, bias, bits := make([]float32, m*n), make([]float32, m*n), make([]float32, n), make([]uint64, m*n/64)
	for _, v := range []struct {
		name                        string
		packA, packB, storeZ, noFwd bool
	}{
		{"pass", false, false, false, false}, {"Z", false, false, true, false},
		{"A=packed", true, false, false, false}, {"B=packed", false, true, false, false},
		{"AB=packed", true, true, false, false}, {"no-epilogue", false, false, false, true},
	} {
		b.Run(v.name, func(b *testing.B) {
			a, lda, bb, ldb, bcol := x, k, w, n, 16
			if v.packA {
				a, lda = ap, 0
			}
			if v.packB {
				bb, ldb, bcol = bp, 16, 16*k
			}
			zz, storeZ := out, 0
			if v.storeZ {
				zz, storeZ = z, 1
			}
			benchLoop(b, 2*m*k*n, func() {
				if v.noFwd {
					tileAVX512F32(a, bb, ldb, k, out, n, m, n, 0, 0, nil, nil, 0, 0, out, n, nil, 0, 0, bcol, lda)
					return
				}
				tileAVX512F32(a, bb, ldb, k, out, n, m, n, 0, 1, bias, zz, n, storeZ, out, n, bits, n/64, 0, bcol, lda)
			})
		})
	}
}

// BenchmarkAVX512Pack measures the packers on the blocks of B of the
// standard shapes, in elements a second (reported as G elements/s): the
// rows packer (an untransposed B, Xᵀ for dW, dZ) and the 16×16 transposer
// (Wᵀ for dX, an untransposed A), kb rows of nb columns, panels of kb×16:
//
//	go test -run '^$' -bench 'AVX512Pack' -cpu 1 -count 3
func BenchmarkAVX512Pack(b *testing.B) {
	gemmAVX512Impl(b)
	for _, s := range [][2]int{{1024, 1024}, {256, 256}, {64, 256}, {64, 784}} {
		kb, nb := s[0], s[1]
		src, dst := make([]float32, kb*nb), make([]float32, kb*nb)
		report := func(b *testing.B) {
			b.ReportMetric(float64(kb*nb)*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gelem/s")
		}
		b.Run(fmt.Sprintf("rows/%dx%d", kb, nb), func(b *testing.B) {
			for b.Loop() {
				packBRowsAVX512(dst, src, nb, kb, nb, 16, 16*kb, packBRowsAVX512F32)
			}
			report(b)
		})
		// A bfloat16 B as packBH packs it: widened as packed
		// (packBRowsH), and widened a block of rows at a time into a
		// buffer, then packed (the fallback of paths without it).
		h := make([]BF16, kb*nb)
		o := &active.f32
		b.Run(fmt.Sprintf("rowsH/%dx%d", kb, nb), func(b *testing.B) {
			for b.Loop() {
				packBH(o, active.bf16.from, dst, h, nb, false, 0, 0, kb, nb, 16, nil)
			}
			report(b)
		})
		b.Run(fmt.Sprintf("rowsH-buffered/%dx%d", kb, nb), func(b *testing.B) {
			defer func(f func([]float32, []BF16, int, int, int, int, int)) { o.packBRowsH = f }(o.packBRowsH)
			o.packBRowsH = nil
			var tmp []float32
			for b.Loop() {
				packBH(o, active.bf16.from, dst, h, nb, false, 0, 0, kb, nb, 16, &tmp)
			}
			report(b)
		})
		b.Run(fmt.Sprintf("transposeH/%dx%d", kb, nb), func(b *testing.B) {
			for b.Loop() {
				packBH(o, active.bf16.from, dst, h, kb, true, 0, 0, kb, nb, 16, nil) // B = Wᵀ: W is nb×kb
			}
			report(b)
		})
		b.Run(fmt.Sprintf("transposeH-buffered/%dx%d", kb, nb), func(b *testing.B) {
			defer func(f func([]float32, []BF16, int, int)) { o.packBTH = f }(o.packBTH)
			o.packBTH = nil
			var tmp []float32
			for b.Loop() {
				packBH(o, active.bf16.from, dst, h, kb, true, 0, 0, kb, nb, 16, &tmp)
			}
			report(b)
		})
		b.Run(fmt.Sprintf("transpose/%dx%d", kb, nb), func(b *testing.B) {
			for b.Loop() {
				for j := 0; j+16 <= nb; j += 16 { // B = Wᵀ: W is nb×kb
					packAPanelAVX512F32(dst[j*kb:(j+16)*kb], src[j*kb:], kb, kb)
				}
			}
			report(b)
		})
	}
}

// TestNTStrides: dX with W read in place (gemmNTAVX512F32) from rows 2
// or 4 KiB apart gives the bits of the same W with rows 3 elements longer,
// a few NaNs included (few: a sum that meets one is NaN whatever the
// rest), for whole and partial blocks of 16 rows.
func TestNTStrides(t *testing.T) {
	setPath(t, gemmAVX512Impl(t))
	for _, sh := range [][4]int{{48, 37, 512, 512}, {33, 70, 500, 512}, {16, 16, 1024, 1024}, {64, 33, 300, 1024}} {
		m, k, n, ldw := sh[0], sh[1], sh[2], sh[3]
		r := newRand(uint64(m * k))
		x, dr := make([]float32, m*k), make([]float32, m*n)
		for i := range x {
			x[i] = randVal[float32](r)
		}
		for i := range dr {
			if dr[i] = randVal[float32](r); r.IntN(3000) == 0 {
				dr[i] = fromBits[float32](0xffc00000 | uint64(r.IntN(1<<20)))
			}
		}
		mask := NewMask(m, n)
		for i := range mask.Bits {
			mask.Bits[i] = r.Uint64() | r.Uint64()
		}
		run := func(ld int) []float32 {
			w := make([]float32, (k-1)*ld+n)
			rw := newRand(5)
			for i := range k {
				for j := range n {
					if w[i*ld+j] = randVal[float32](rw); rw.IntN(3000) == 0 {
						w[i*ld+j] = fromBits[float32](0x7fc00000 | uint64(rw.IntN(1<<20)))
					}
				}
			}
			dx := make([]float32, m*k)
			Backward(&BackwardArgs[float32]{M: m, K: k, N: n, X: x, W: w, LdW: ld, DR: dr, Mask: mask,
				DX: dx, DW: make([]float32, k*n), Threads: 1})
			return dx
		}
		checkSameBits(t, fmt.Sprintf("%v dX", sh), run(ldw), run(n+3))
	}
}
